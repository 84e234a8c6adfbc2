"""Sessions end on the server: after the idle timeout, at the absolute lifetime, and at
once on logout, a password change or deactivation, so a copied cookie dies with them.
The state store's migration to 0002 keeps the sessions it finds.

A workspace of its own with ``session_idle_minutes: 5`` and ``session_hours: 1``.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from sqlalchemy import select, update

from csmetrics.web.auth import SESSION_COOKIE
from csmetrics.web.state import StateStore, WebSession
from csmetrics.web.state.models import Base, utcnow

from .conftest import token_of
from .security_fixtures import (
    PASSWORD,
    add_logins,
    attempt,
    client,
    close_app,
    open_app,
    small_workspace,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = small_workspace(tmp_path_factory.mktemp("sessions") / "ws")
    app = open_app(root)
    add_logins(app)
    close_app(app)
    return root


@pytest.fixture
def app(template, tmp_path):  # type: ignore[no-untyped-def]
    app = open_app(Path(shutil.copytree(template, tmp_path / "ws")))
    yield app
    close_app(app)


def _signed_in(app, login: str = "ana"):  # type: ignore[no-untyped-def]
    c = client(app)
    assert attempt(c, login, PASSWORD).status_code == 303
    assert c.get("/api/me").status_code == 200
    return c


def _age(app, **values) -> None:  # type: ignore[no-untyped-def]
    with app.state.web.store.session() as db:
        db.execute(update(WebSession).values(**values))


def _sessions(app) -> int:  # type: ignore[no-untyped-def]
    with app.state.web.store.session() as db:
        return len(db.scalars(select(WebSession.id)).all())


def test_a_session_idle_longer_than_the_timeout_ends(app):
    c = _signed_in(app)
    _age(app, last_seen_at=utcnow() - timedelta(minutes=6))
    assert c.get("/api/me").status_code == 401
    assert _sessions(app) == 0  # ended on the server, not only refused
    page = c.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_activity_keeps_a_session_alive_until_its_absolute_end(app):
    c = _signed_in(app)
    _age(app, last_seen_at=utcnow() - timedelta(minutes=4))
    assert c.get("/api/me").status_code == 200
    with app.state.web.store.session() as db:
        seen = db.scalar(select(WebSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)  # the request moved it on
    _age(app, last_seen_at=utcnow() - timedelta(minutes=4))
    assert c.get("/api/me").status_code == 200
    # however active, the session ends at created + session_hours
    _age(app, expires_at=utcnow() - timedelta(seconds=1))
    assert c.get("/api/me").status_code == 401


def test_the_cookie_lives_no_longer_than_the_session(app):
    c = client(app)
    response = attempt(c, "ana", PASSWORD)
    header = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "Max-Age=3600" in header  # session_hours: 1


@pytest.mark.parametrize("how", ["logout", "password change", "deactivation", "role change"])
def test_a_copied_cookie_dies_when_the_session_ends(app, how):
    victim = _signed_in(app)
    stolen = client(app, "192.0.2.66")
    stolen.cookies.set(SESSION_COOKIE, victim.cookies[SESSION_COOKIE])
    assert stolen.get("/api/me").json()["login"] == "ana"
    if how == "logout":
        token = token_of(victim.get("/admin/users").text)  # the 403 page carries the token
        assert victim.post("/logout", data={"csrf_token": token}).status_code == 200
    else:
        admin = _signed_in(app, "boss")
        token = token_of(admin.get("/admin/users").text)
        path, form = {
            "password change": ("/admin/users/ana/password", {"password": "a-new-password-2"}),
            "deactivation": ("/admin/users/ana/active", {"active": "0"}),
            "role change": ("/admin/users/ana/role", {"role": "csm", "csm_id": "C1"}),
        }[how]
        done = admin.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and "error=" not in done.headers["location"]
    assert stolen.get("/api/me").status_code == 401
    assert victim.get("/api/me").status_code == 401


def test_the_migration_to_0002_keeps_existing_sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    engine = sa.create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option(
        "script_location", str(resources.files("csmetrics.web").joinpath("migrations"))
    )
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
    created = utcnow().replace(microsecond=0) - timedelta(minutes=3)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, login, name, password_hash, role, active, created_at, "
                "password_changed_at) VALUES (1, 'ana', 'Ana', 'x', 'csm', 1, :t, :t)"
            ),
            {"t": created},
        )
        connection.execute(
            sa.text(
                "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) "
                "VALUES ('s1', 1, 'c', :t, :e)"
            ),
            {"t": created, "e": created + timedelta(hours=1)},
        )
    engine.dispose()
    store = StateStore(url)
    store.migrate()
    with store.session() as db:
        row = db.get(WebSession, "s1")
        assert row is not None and row.last_seen_at == created
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    store.dispose()
