"""``csmetrics serve`` and ``csmetrics users add|list|set-role|reset-password|unlock``."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from csmetrics.cli.common import DEFAULT_WORKSPACE, WorkspaceOption, console, err_console
from csmetrics.config import CONFIG_FILENAME, load_config
from csmetrics.errors import WorkspaceError

if TYPE_CHECKING:
    from csmetrics.web.state import StateStore

users_app = typer.Typer(
    help="Web app logins: add, list, change role, reset password, unlock.", no_args_is_help=True
)
# The audit log's "from" for changes made at this machine's command line.
LOCAL = "local"

RoleOption = Annotated[str, typer.Option("--role", help="admin, leader, manager or csm.")]
CsmOption = Annotated[
    str | None, typer.Option("--csm-id", help="The csms.csm_id of this person (a CSM's book).")
]
TeamOption = Annotated[
    str | None, typer.Option("--team", help="The team a manager leads (csms.team).")
]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")


def serve(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    demo_users: Annotated[
        bool,
        typer.Option(
            "--demo-users",
            help="Create (or reset) the demo logins admin, leader, manager and csm, "
            "linked to the workspace's people, and print them.",
        ),
    ] = False,
) -> None:
    """Serve the web app of a workspace (pages, JSON API at /api, OpenAPI at /docs)."""
    import uvicorn

    from csmetrics.web import create_app
    from csmetrics.web.demo_users import DEMO_PASSWORD, ensure_demo_users

    app = create_app(workspace)
    web = app.state.web
    if demo_users:
        logins = ensure_demo_users(web.store, web.data.csms())
        grid = RichTable(title="demo logins", title_justify="left", header_style="bold")
        for column in ("login", "password", "role", "who"):
            grid.add_column(column)
        for login in logins:
            grid.add_row(login.login, DEMO_PASSWORD, login.role, login.who)
        console.print(grid)
    else:
        with web.store.session() as db:
            from csmetrics.web.state import users

            if users.count(db) == 0:
                err_console.print(
                    "[yellow]no logins yet[/]: add one with "
                    f"`csmetrics users add LOGIN --role admin -w {workspace}`"
                )
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(
        f"[green]✓[/] csmetrics is serving {workspace} at http://{shown}:{port}/ (Ctrl+C stops)"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _store(workspace: Path) -> StateStore:
    from csmetrics.web.state import StateStore

    config_path = workspace / CONFIG_FILENAME
    if not config_path.exists():
        raise WorkspaceError(f"{workspace}: not a csmetrics workspace (no {CONFIG_FILENAME})")
    return StateStore.for_workspace(workspace, load_config(config_path))


def _check_link(workspace: Path, csm_id: str | None, team: str | None) -> None:
    """Check a csm_id or team against the workspace's csms (skipped while a server holds it)."""
    if not csm_id and not team:
        return
    from csmetrics.web.state.users import UserError
    from csmetrics.workspace import Workspace

    try:
        ws = Workspace.open(workspace, read_only=True)
    except WorkspaceError as exc:
        err_console.print(f"[yellow]not checked against csms[/]: {exc}")
        return
    with ws:
        csms = ws.engine.execute(ws.table("csms").select("csm_id", "team"))
    if csm_id and csm_id not in set(csms["csm_id"].astype(str)):
        raise UserError(f"csm_id {csm_id!r} is not in the csms table of {workspace}")
    if team and team not in set(csms["team"].dropna().astype(str)):
        raise UserError(f"team {team!r} is not a team of the csms table of {workspace}")


def _who() -> str:
    """Who made a change from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="The login name.")],
    role: RoleOption,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    csm_id: CsmOption = None,
    team: TeamOption = None,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password_stdin: StdinOption = False,
) -> None:
    """Add a login (a CSM needs --csm-id, a manager --team)."""
    from csmetrics.web.state import users

    users.check_link(role, csm_id, team)
    _check_link(workspace, csm_id, team)
    password = _password(password_stdin)
    store = _store(workspace)
    with store.session() as db:
        users.add(
            db,
            login,
            password,
            role,
            name=name,
            csm_id=csm_id,
            team=team,
            by=_who(),
            address=LOCAL,
        )
    store.dispose()
    console.print(f"[green]✓[/] added {login} ({role})", highlight=False)


@users_app.command("list")
def listing(workspace: WorkspaceOption = DEFAULT_WORKSPACE) -> None:
    """List the logins with role, linked csm_id and team."""
    from csmetrics.web.state import users

    store = _store(workspace)
    with store.session() as db:
        found = users.listing(db)
    store.dispose()
    grid = RichTable(header_style="bold")
    for column in ("login", "name", "role", "csm_id", "team", "active"):
        grid.add_column(column)
    for u in found:
        grid.add_row(
            u.login, u.name, u.role, u.csm_id or "", u.team or "", "yes" if u.active else "no"
        )
    console.print(grid)


@users_app.command("set-role")
def set_role(
    login: Annotated[str, typer.Argument(help="The login name.")],
    role: RoleOption,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    csm_id: CsmOption = None,
    team: TeamOption = None,
) -> None:
    """Change a login's role (and its csm_id/team); its sessions end."""
    from csmetrics.web.state import users

    _check_link(workspace, csm_id, team)
    store = _store(workspace)
    with store.session() as db:
        users.set_role(db, login, role, csm_id=csm_id, team=team, by=_who(), address=LOCAL)
    store.dispose()
    console.print(f"[green]✓[/] {login} is now {role}", highlight=False)


@users_app.command("reset-password")
def reset_password(
    login: Annotated[str, typer.Argument(help="The login name.")],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    password_stdin: StdinOption = False,
) -> None:
    """Set a new password; the login's sessions end."""
    from csmetrics.web.state import users

    password = _password(password_stdin)
    store = _store(workspace)
    with store.session() as db:
        users.reset_password(db, login, password, by=_who(), address=LOCAL)
    store.dispose()
    console.print(f"[green]✓[/] new password set for {login}", highlight=False)


@users_app.command("unlock")
def unlock(
    login: Annotated[str, typer.Argument(help="The login name.")],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Lift a login's lockout after too many failed sign-ins (the admin page can too)."""
    from csmetrics.web.signin_limits import SigninLimits
    from csmetrics.web.state.models import utcnow

    store = _store(workspace)
    limits = SigninLimits(load_config(workspace / CONFIG_FILENAME).web)
    with store.session() as db:
        lifted = limits.clear(db, utcnow(), _who(), login=login, address=LOCAL)
    store.dispose()
    if lifted:
        console.print(f"[green]✓[/] {login} can sign in again", highlight=False)
    else:
        console.print(f"{login} is not locked", highlight=False)
