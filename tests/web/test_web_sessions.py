"""Sessions and CSRF: signed HttpOnly cookies, a token on every form, logout ends it all."""

from __future__ import annotations

import warnings
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from csmetrics.web.auth import SESSION_COOKIE
from csmetrics.web.state import AuditEntry, User, WebSession
from csmetrics.web.state.models import utcnow

from .conftest import PASSWORD, csrf, sign_in, token_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_login_without_the_forms_token_is_refused(web_app, logins):
    client = TestClient(web_app)
    client.get("/login")
    refused = client.post(
        "/login", data={"login": "leader", "password": PASSWORD}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert SESSION_COOKIE not in refused.cookies


def test_login_with_a_token_from_another_browser_is_refused(web_app, logins):
    theirs = token_of(TestClient(web_app).get("/login").text)
    mine = TestClient(web_app)
    mine.get("/login")
    refused = mine.post(
        "/login",
        data={"login": "leader", "password": PASSWORD, "csrf_token": theirs},
        follow_redirects=False,
    )
    assert refused.status_code == 403


def test_wrong_password_is_refused_and_audited(web_app, logins):
    client = TestClient(web_app)
    token = token_of(client.get("/login").text)
    refused = client.post(
        "/login", data={"login": "leader", "password": "nope-nope", "csrf_token": token}
    )
    assert refused.status_code == 401
    assert "Wrong login or password" in refused.text
    with web_app.state.web.store.session() as db:
        last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.login) == ("login.failed", "leader")


def test_the_session_cookie_is_signed_httponly_and_samesite(web_app, logins):
    client = TestClient(web_app)
    token = token_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"login": "csm", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    header = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in header
    assert "SameSite=lax" in header or "samesite=lax" in header.lower()
    assert "Secure" not in header  # plain http here; https requests get Secure
    with web_app.state.web.store.session() as db:
        stored = db.scalar(select(User.password_hash).where(User.login == "csm"))
    assert stored.startswith("$argon2id$")


def test_a_form_post_without_or_with_a_wrong_token_is_refused(web_app, logins):
    client = sign_in(TestClient(web_app), "csm")
    form = {"account_id": "A00001", "quarter": "2026-Q3", "outcome": "renew", "probability": "80"}
    assert client.post("/renewals/forecast", data=form, follow_redirects=False).status_code == 403
    wrong = {**form, "csrf_token": "x" * 43}
    assert client.post("/renewals/forecast", data=wrong, follow_redirects=False).status_code == 403
    other = sign_in(TestClient(web_app), "leader")
    foreign = {**form, "csrf_token": csrf(other)}
    assert (
        client.post("/renewals/forecast", data=foreign, follow_redirects=False).status_code == 403
    )
    saved = client.post(
        "/views/save", data={"page": "overview", "name": "x"}, follow_redirects=False
    )
    assert saved.status_code == 403


def test_a_tampered_cookie_is_refused(web_app, logins):
    client = sign_in(TestClient(web_app), "leader")
    assert client.get("/api/me").status_code == 200
    value = client.cookies[SESSION_COOKIE]
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    client.cookies.set(SESSION_COOKIE, flipped)
    assert client.get("/api/me").status_code == 401
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_cookie_signed_with_another_key_is_refused(web_app, logins):
    client = sign_in(TestClient(web_app), "leader")
    session_id = URLSafeTimedSerializer(b"k" * 64, salt="csmetrics.session")
    with web_app.state.web.store.session() as db:
        real = db.scalars(select(WebSession.id)).first()
    client.cookies.set(SESSION_COOKIE, session_id.dumps(real))
    assert client.get("/api/me").status_code == 401


def _own_login(web_app, login: str, people) -> None:  # type: ignore[no-untyped-def]
    """A login of this test alone (changing the shared ones would log other tests out)."""
    from csmetrics.web.state import users

    with web_app.state.web.store.session() as db:
        users.add(db, login, PASSWORD, "csm", csm_id=people.csm, by="test")


def test_an_expired_session_is_refused(web_app, logins, people):
    _own_login(web_app, "expiring", people)
    client = sign_in(TestClient(web_app), "expiring")
    assert client.get("/api/me").json()["login"] == "expiring"
    with web_app.state.web.store.session() as db:
        user_id = db.scalar(select(User.id).where(User.login == "expiring"))
        db.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert client.get("/api/me").status_code == 401


def test_logout_ends_the_session_on_the_server(web_app, logins):
    client = sign_in(TestClient(web_app), "manager")
    cookie = client.cookies[SESSION_COOKIE]
    token = csrf(client)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403  # no token
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/login")
    replay = TestClient(web_app)
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/api/me").status_code == 401


def test_changing_a_role_ends_that_users_sessions(web_app, logins, people):
    from csmetrics.web.state import users

    _own_login(web_app, "promoted", people)
    client = sign_in(TestClient(web_app), "promoted")
    assert client.get("/api/me").json()["role"] == "csm"
    with web_app.state.web.store.session() as db:
        users.set_role(db, "promoted", "manager", team=people.team, by="test")
    assert client.get("/api/me").status_code == 401
    sign_in(client, "promoted")
    assert client.get("/api/me").json()["sees"] == "team"


def test_login_only_redirects_to_local_paths(web_app, logins):
    client = TestClient(web_app)
    token = token_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "login": "leader",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
