"""The Typer application and the one place CLI errors are turned into a single line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from csmetrics import __version__
from csmetrics.cli import demo_cmd, import_cmd, kpi_cmds, workspace_cmds
from csmetrics.cli.common import err_console
from csmetrics.errors import CsMetricsError

app = typer.Typer(
    name="csmetrics",
    help="Measure Customer Success: retention, adoption, health, CSM scorecards and pay.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csmetrics {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    _state["debug"] = debug


for module in (workspace_cmds, import_cmd, demo_cmd, kpi_cmds):
    module.register(app)


def main() -> None:
    """Entry point: user errors print one red line (traceback only with --debug).

    Click's standalone mode handles usage errors and exit codes itself; only our
    own errors, which it lets through, are caught here.
    """
    try:
        app()
    except CsMetricsError as exc:
        if "--debug" in sys.argv:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
