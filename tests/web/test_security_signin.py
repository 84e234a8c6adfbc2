"""Password guessing is limited: per login and per client address, in the state store.

A workspace of its own with ``login_max_failures: 3`` and ``address_max_failures: 6``
(``security_fixtures.LIMITS``). A login that does not exist is treated exactly like one
that does, the lockout outlives a restart and is seen by a second app on the same
store (another worker), and an admin (page or CLI) can lift it; all of it is audited.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from csmetrics.cli.app import app as cli
from csmetrics.web.state import AuditEntry, Lockout, LoginFailure
from csmetrics.web.state.models import utcnow

from .conftest import token_of
from .security_fixtures import (
    LIMITS,
    PASSWORD,
    add_logins,
    alert,
    attempt,
    client,
    close_app,
    open_app,
    small_workspace,
)

LOCKOUT_SECONDS = int(LIMITS["lockout_minutes"] * 60)


@pytest.fixture(scope="module")
def template(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The workspace with its logins, made once and copied for each test."""
    root = small_workspace(tmp_path_factory.mktemp("signin") / "ws")
    app = open_app(root)
    add_logins(app)
    close_app(app)
    return root


@pytest.fixture
def root(template, tmp_path):  # type: ignore[no-untyped-def]
    return Path(shutil.copytree(template, tmp_path / "ws"))


@pytest.fixture
def app(root):  # type: ignore[no-untyped-def]
    app = open_app(root)
    yield app
    close_app(app)


def _audit(app, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with app.state.web.store.session() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_login_locks_after_its_failures_and_the_answer_never_tells_if_it_exists(app):
    answers = {}
    for login in ("ana", "ghost"):  # ana exists, ghost does not
        c = client(app, f"198.51.100.{len(answers) + 10}")
        seen = [attempt(c, login, "wrong-password") for _ in range(4)]
        assert [r.status_code for r in seen] == [401, 401, 429, 429], login
        assert alert(seen[0]) == "Wrong login or password."
        assert 0 < int(seen[2].headers["Retry-After"]) <= LOCKOUT_SECONDS
        # locked means locked: the right password is refused too, without being checked
        right = attempt(c, login, PASSWORD)
        assert right.status_code == 429
        assert "csmetrics_session" not in right.cookies
        answers[login] = (
            [r.status_code for r in seen],
            [alert(r) for r in seen],
            sorted(k for k in seen[2].headers if k.lower() != "set-cookie"),
        )
    assert answers["ana"] == answers["ghost"]
    assert "locked" in answers["ana"][1][2] and "administrator" in answers["ana"][1][2]
    lockouts = _audit(app, "login.lockout")
    assert {e.target for e in lockouts} == {"login:ana", "login:ghost"}
    assert all(e.address.startswith("198.51.100.") for e in lockouts)
    with app.state.web.store.session() as db:
        refused = {r.key: r.refused for r in db.scalars(select(Lockout))}
    assert refused == {"ana": 2, "ghost": 2}  # counted on the row, not audited one by one


def test_an_address_guessing_many_logins_gets_429_with_retry_after(app):
    guesser = client(app, "203.0.113.7")
    codes = [attempt(guesser, f"user{i}", "wrong-password").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    refused = attempt(guesser, "ana", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= LOCKOUT_SECONDS
    assert "network address" in alert(refused)
    # another address is not affected, and ana's own count was never touched
    assert attempt(client(app, "203.0.113.8"), "ana", PASSWORD).status_code == 303
    (entry,) = _audit(app, "login.lockout")
    assert entry.target == "address:203.0.113.7" and entry.address == "203.0.113.7"


def test_a_good_password_starts_the_logins_count_again(app):
    c = client(app)
    assert attempt(c, "ana", "wrong-password").status_code == 401
    assert attempt(c, "ana", "wrong-password").status_code == 401
    assert attempt(c, "ana", PASSWORD).status_code == 303
    other = client(app)
    assert attempt(other, "ana", "wrong-password").status_code == 401
    assert attempt(other, "ana", "wrong-password").status_code == 401
    assert attempt(other, "ana", PASSWORD).status_code == 303


def test_a_lapsed_lockout_starts_a_fresh_count(app):
    c = client(app)
    for _ in range(3):
        attempt(c, "ana", "wrong-password")
    assert attempt(c, "ana", PASSWORD).status_code == 429
    with app.state.web.store.session() as db:
        db.execute(update(Lockout).values(until=utcnow() - timedelta(seconds=1)))
    assert attempt(c, "ana", "wrong-password").status_code == 401  # not locked again at once
    assert attempt(c, "ana", PASSWORD).status_code == 303


def test_failures_outside_the_window_are_forgotten(app):
    c = client(app)
    for _ in range(2):
        attempt(c, "ana", "wrong-password")
    with app.state.web.store.session() as db:
        db.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=11)))
    assert attempt(c, "ana", "wrong-password").status_code == 401
    assert attempt(c, "ana", "wrong-password").status_code == 401
    with app.state.web.store.session() as db:  # the old ones were pruned
        assert len(db.scalars(select(LoginFailure)).all()) == 2


def test_the_lockout_outlives_a_restart_and_holds_in_another_worker(root, app):
    c = client(app)
    for _ in range(3):
        attempt(c, "ana", "wrong-password")
    second = open_app(root)  # another worker process on the same state store
    try:
        assert attempt(client(second), "ana", PASSWORD).status_code == 429
    finally:
        close_app(second)
    close_app(app)
    restarted = open_app(root)
    try:
        assert attempt(client(restarted), "ana", PASSWORD).status_code == 429
    finally:
        close_app(restarted)


def test_an_admin_sees_and_lifts_a_lockout(app):
    c = client(app, "198.51.100.20")
    for _ in range(3):
        attempt(c, "ana", "wrong-password")
    admin = client(app, "198.51.100.99")
    assert attempt(admin, "boss", PASSWORD).status_code == 303
    page = admin.get("/admin/users")
    assert 'id="lockouts"' in page.text and "<td>ana</td>" in page.text
    with app.state.web.store.session() as db:
        lock_id = db.scalar(select(Lockout.id).where(Lockout.key == "ana"))
    lifted = admin.post(
        "/admin/lockouts/clear",
        data={"lockout": str(lock_id), "csrf_token": token_of(page.text)},
        follow_redirects=False,
    )
    assert lifted.status_code == 303 and "Lockout+lifted" in lifted.headers["location"]
    assert "<td>ana</td>" not in admin.get("/admin/users").text.split('id="lockouts"')[1][:2000]
    assert attempt(c, "ana", PASSWORD).status_code == 303
    (entry,) = _audit(app, "lockout.clear")
    assert (entry.login, entry.target, entry.address) == ("boss", "login:ana", "198.51.100.99")
    again = admin.post(
        "/admin/lockouts/clear",
        data={"lockout": str(lock_id), "csrf_token": token_of(page.text)},
        follow_redirects=False,
    )
    assert "error=" in again.headers["location"]


def test_only_an_admin_may_lift_a_lockout(app):
    c = client(app)
    for _ in range(3):
        attempt(c, "ghost", "wrong-password")
    csm = client(app, "198.51.100.30")
    assert attempt(csm, "ana", PASSWORD).status_code == 303
    forbidden = csm.get("/admin/users")  # the error page carries the session's token
    assert forbidden.status_code == 403
    refused = csm.post(
        "/admin/lockouts/clear",
        data={"lockout": "1", "csrf_token": token_of(forbidden.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert attempt(c, "ghost", "wrong-password").status_code == 429


def test_the_cli_unlocks_a_login(root, app):
    c = client(app)
    for _ in range(3):
        attempt(c, "ana", "wrong-password")
    result = CliRunner().invoke(cli, ["users", "unlock", "ana", "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert "can sign in again" in result.output
    assert attempt(c, "ana", PASSWORD).status_code == 303
    (entry,) = _audit(app, "lockout.clear")
    assert entry.login.startswith("cli") and entry.address == "local"
    again = CliRunner().invoke(cli, ["users", "unlock", "ana", "-w", str(root)])
    assert again.exit_code == 0 and "not locked" in again.output
