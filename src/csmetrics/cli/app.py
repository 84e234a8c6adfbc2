"""The Typer application and the one place CLI errors are turned into a single line."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, NoReturn

import typer

from csmetrics import __version__
from csmetrics.cli import (
    comp_cmds,
    demo_cmd,
    health_cmds,
    import_cmd,
    kpi_cmds,
    risk_cmds,
    scorecard_cmds,
    web_cmds,
    workspace_cmds,
)
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


for module in (
    workspace_cmds,
    import_cmd,
    demo_cmd,
    kpi_cmds,
    health_cmds,
    comp_cmds,
    risk_cmds,
    scorecard_cmds,
    web_cmds,
):
    module.register(app)
risk_cmds.add_health_commands(health_cmds.health_app)  # `csmetrics health risks`


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


def run() -> None:
    """The ``csmetrics`` console script: ``main()``, then a fast exit (see ``_exit_now``)."""
    try:
        main()
    except SystemExit as done:
        _exit_now(done.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """Leave without tearing the interpreter down.

    By now every command has closed its workspace and written its output; unloading
    pandas, Ibis and DuckDB at exit would add ~0.4 s to every command (see the
    Scorecard section of bench/RESULTS.md). Only the console script (``run``) does this; ``main()``
    returns normally, so code and tests that call it in-process are unaffected.
    """
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`) or stream
            stream.flush()
    os._exit(code or 0)
