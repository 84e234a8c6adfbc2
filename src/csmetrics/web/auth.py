"""Logins and sessions: a signed, HttpOnly, SameSite=Lax cookie carrying a server-side
session id, and a CSRF token per session that every POST must echo.

The cookie holds nothing but the session id, signed with the workspace's secret key,
so a tampered or forged cookie is refused before the store is asked. The session row
decides the rest on every request: it ends after ``web.session_hours`` however active,
after ``web.session_idle_minutes`` without a request, and at once on logout, a password
change, a role change or deactivation (the row is deleted), so a copied cookie dies
with it. Before login a short-lived signed cookie carries the login form's CSRF token
(double submit).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select

from csmetrics.web.state import StateStore, User, WebSession
from csmetrics.web.state.models import utcnow

SESSION_COOKIE = "csmetrics_session"
LOGIN_COOKIE = "csmetrics_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_LOGIN_SECONDS = 2 * 3600


def client_address(request: Request) -> str:
    """The client's address as the server sees it (uvicorn takes X-Forwarded-For from the
    proxies it trusts: loopback, or those in FORWARDED_ALLOW_IPS)."""
    return (request.client.host if request.client else "")[:64] or "unknown"


@dataclass(frozen=True)
class Login:
    """The signed-in user of a request and their session's CSRF token."""

    user_id: int
    login: str
    name: str
    role: str
    csm_id: str | None
    team: str | None
    session_id: str
    csrf_token: str


class Sessions:
    """Starting, reading and ending sessions (see the module doc)."""

    def __init__(
        self, store: StateStore, key: bytes, hours: float, secure: str, idle_minutes: float = 60.0
    ) -> None:
        self.store = store
        self.hours = hours
        self.secure = secure
        self.idle = timedelta(minutes=idle_minutes)
        # last_seen_at is written at most this often: a write per request would serialise
        # every request on the state store, and the idle timeout needs no finer grain.
        self.touch_every = min(timedelta(seconds=60), self.idle / 4)
        self._session_signer = URLSafeTimedSerializer(key, salt="csmetrics.session")
        self._login_signer = URLSafeTimedSerializer(key, salt="csmetrics.login-form")

    def https(self, request: Request) -> bool:
        """Whether the request came over https (cookies get Secure, responses HSTS)."""
        if self.secure == "auto":
            forwarded = request.headers.get("x-forwarded-proto", "")
            return request.url.scheme == "https" or forwarded == "https"
        return self.secure == "always"

    def _set(self, request: Request, response: Response, name: str, value: str, age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=age,
            httponly=True,
            samesite="lax",
            secure=self.https(request),
            path="/",
        )

    def start(self, request: Request, response: Response, user: User) -> Login:
        """A new session for ``user``; its id goes out in the signed cookie."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with self.store.session() as db:
            db.execute(
                delete(WebSession).where(
                    (WebSession.expires_at < now) | (WebSession.last_seen_at < now - self.idle)
                )
            )
            db.add(
                WebSession(
                    id=session_id,
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=self.hours),
                    last_seen_at=now,
                )
            )
        age = int(self.hours * 3600)
        self._set(request, response, SESSION_COOKIE, self._session_signer.dumps(session_id), age)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return _login(user, session_id, csrf)

    def current(self, request: Request) -> Login | None:
        """The request's login, or None: no cookie, a bad signature, expired, idle too
        long, or ended."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            session_id = self._session_signer.loads(raw, max_age=int(self.hours * 3600))
        except BadSignature:
            return None
        with self.store.session() as db:
            row = db.get(WebSession, session_id)
            if row is None:
                return None
            now = utcnow()
            if row.expires_at < now or row.last_seen_at < now - self.idle:
                db.delete(row)
                return None
            user = db.get(User, row.user_id)
            if user is None or not user.active:
                return None
            if now - row.last_seen_at >= self.touch_every:
                row.last_seen_at = now
            return _login(user, row.id, row.csrf_token)

    def end(self, response: Response, login: Login | None) -> None:
        if login is not None:
            with self.store.session() as db:
                db.execute(delete(WebSession).where(WebSession.id == login.session_id))
        response.delete_cookie(SESSION_COOKIE, path="/")

    def count(self, user_id: int) -> int:
        with self.store.session() as db:
            return len(db.scalars(select(WebSession.id).where(WebSession.user_id == user_id)).all())

    # -- CSRF ---------------------------------------------------------------------------

    @staticmethod
    def new_login_token() -> str:
        return secrets.token_urlsafe(32)

    def set_login_token(self, request: Request, response: Response, token: str) -> None:
        """Send the login form's CSRF token as a signed cookie to compare the post with."""
        self._set(request, response, LOGIN_COOKIE, self._login_signer.dumps(token), _LOGIN_SECONDS)

    def expected_login_token(self, request: Request) -> str | None:
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw:
            return None
        try:
            return str(self._login_signer.loads(raw, max_age=_LOGIN_SECONDS))
        except BadSignature:
            return None


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse (403) a state-changing request whose token is missing or wrong."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "the form's security token is missing or stale; reload the page")


def _login(user: User, session_id: str, csrf: str) -> Login:
    return Login(
        user_id=user.id,
        login=user.login,
        name=user.name,
        role=user.role,
        csm_id=user.csm_id,
        team=user.team,
        session_id=session_id,
        csrf_token=csrf,
    )
