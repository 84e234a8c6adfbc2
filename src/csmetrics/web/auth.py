"""Logins and sessions: a signed, HttpOnly, SameSite=Lax cookie carrying a server-side
session id, and a CSRF token per session that every POST must echo.

The cookie holds nothing but the session id, signed with the workspace's secret key,
so a tampered or forged cookie is refused before the store is asked. Before login a
short-lived signed cookie carries the login form's CSRF token (double submit).
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select

from csmetrics.errors import WorkspaceError
from csmetrics.web.state import StateStore, User, WebSession
from csmetrics.web.state.models import utcnow

SESSION_COOKIE = "csmetrics_session"
LOGIN_COOKIE = "csmetrics_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_LOGIN_SECONDS = 2 * 3600


def secret_key(path: Path) -> bytes:
    """The signing key, created on first use (random, owner-readable only)."""
    try:
        if path.exists():
            key = path.read_bytes().strip()
            if len(key) >= 32:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key
    except OSError as exc:
        raise WorkspaceError(
            f"{path}: cannot read or create the web secret key: {exc.strerror}"
        ) from None


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

    def __init__(self, store: StateStore, key: bytes, hours: float, secure: str) -> None:
        self.store = store
        self.hours = hours
        self.secure = secure
        self._session_signer = URLSafeTimedSerializer(key, salt="csmetrics.session")
        self._login_signer = URLSafeTimedSerializer(key, salt="csmetrics.login-form")

    def _secure(self, request: Request) -> bool:
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
            secure=self._secure(request),
            path="/",
        )

    def start(self, request: Request, response: Response, user: User) -> Login:
        """A new session for ``user``; its id goes out in the signed cookie."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with self.store.session() as db:
            db.execute(delete(WebSession).where(WebSession.expires_at < now))
            db.add(
                WebSession(
                    id=session_id,
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=self.hours),
                )
            )
        age = int(self.hours * 3600)
        self._set(request, response, SESSION_COOKIE, self._session_signer.dumps(session_id), age)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return _login(user, session_id, csrf)

    def current(self, request: Request) -> Login | None:
        """The request's login, or None: no cookie, a bad signature, expired or ended."""
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
            if row.expires_at < utcnow():
                db.delete(row)
                return None
            user = db.get(User, row.user_id)
            if user is None or not user.active:
                return None
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
