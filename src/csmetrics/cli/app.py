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
    """Entry point: user errors print one red line (traceback only with --debug)."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:  # click returns typer.Exit codes in this mode
            sys.exit(code)
    except CsMetricsError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
