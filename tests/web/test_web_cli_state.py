"""`csmetrics users ...`, the state store's migrations and the web config section."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import csmetrics
from csmetrics.cli.app import app as cli
from csmetrics.config import parse_config
from csmetrics.errors import ConfigError
from csmetrics.web.state import StateStore, users
from csmetrics.web.state.db import STATE_FILE


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    with csmetrics.init(root) as ws:
        ws.load(
            "csms",
            [
                {
                    "csm_id": "C1",
                    "name": "Ana",
                    "team": "East",
                    "role": "csm",
                    "start_date": "2024-01-01",
                }
            ],
        )
    return root


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_users_add_list_set_role_reset_password(workspace):
    w = ["-w", str(workspace)]
    added = run(
        "users",
        "add",
        "ana",
        "--role",
        "csm",
        "--csm-id",
        "C1",
        "--name",
        "Ana",
        *w,
        "--password-stdin",
        stdin="first-password\n",
    )
    assert added.exit_code == 0, added.output
    listed = run("users", "list", *w)
    assert "ana" in listed.output and "C1" in listed.output and "csm" in listed.output
    changed = run("users", "set-role", "ana", "--role", "manager", "--team", "East", *w)
    assert changed.exit_code == 0, changed.output
    reset = run("users", "reset-password", "ana", *w, "--password-stdin", stdin="second-password\n")
    assert reset.exit_code == 0, reset.output
    store = StateStore.for_workspace(workspace, csmetrics.open(workspace, read_only=True).config)
    with store.session() as db:
        assert users.authenticate(db, "ana", "first-password") is None
        user = users.authenticate(db, "ana", "second-password")
        assert (user.role, user.team, user.csm_id) == ("manager", "East", "C1")
        actions = [e.action for e in users_audit(db)]
    assert actions == ["user.add", "user.set_role", "user.reset_password"]
    store.dispose()


def users_audit(db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from csmetrics.web.state import AuditEntry

    return db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "bo", "--role", "csm", "--password-stdin"), "needs --csm-id"),
        (("users", "add", "bo", "--role", "manager", "--password-stdin"), "needs --team"),
        (("users", "add", "bo", "--role", "boss", "--password-stdin"), "unknown role 'boss'"),
        (
            ("users", "add", "bo", "--role", "csm", "--csm-id", "C9", "--password-stdin"),
            "'C9' is not in the csms table",
        ),
        (("users", "add", "bo", "--role", "admin", "--password-stdin"), "at least 8 characters"),
        (("users", "set-role", "nobody", "--role", "admin"), "no user 'nobody'"),
    ],
)
def test_users_errors_are_one_line(workspace, args, message):
    from csmetrics.cli.app import main  # noqa: F401 (the entry point prints CsMetricsError)

    result = run(*args, "-w", str(workspace), stdin="short\n")
    assert result.exit_code != 0
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)


def test_the_state_store_migrates_to_head_once(tmp_path):
    url = f"sqlite:///{tmp_path / STATE_FILE}"
    store = StateStore(url)
    store.migrate()
    store.migrate()  # idempotent
    inspector = sa.inspect(store.engine)
    assert {"users", "sessions", "forecasts", "saved_views", "audit_log", "alembic_version"} <= set(
        inspector.get_table_names()
    )
    with store.engine.connect() as con:
        assert con.execute(sa.text("select version_num from alembic_version")).scalar() == "0002"
    store.dispose()


def test_web_config_is_validated_with_the_key_named():
    assert parse_config("web:\n  session_hours: 2\n").web.session_hours == 2
    with pytest.raises(
        ConfigError, match=r"csmetrics.yaml:2: web.database_url: must be a SQLAlchemy URL"
    ):
        parse_config("web:\n  database_url: state.sqlite\n")
    with pytest.raises(ConfigError, match=r"web.secure_cookies"):
        parse_config("web:\n  secure_cookies: sometimes\n")
