"""Import commands: import, validate, quarantine. Each parses, asks the Workspace, renders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from csmetrics.cli.common import (
    DEFAULT_WORKSPACE,
    FormatOption,
    OutputFormat,
    OutputPathOption,
    WorkspaceOption,
    console,
    emit,
    err_console,
)
from csmetrics.config import CONFIG_FILENAME, load_config
from csmetrics.errors import ConfigError
from csmetrics.ingest import ImportReport
from csmetrics.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("validate")(validate)
    app.command("quarantine")(quarantine)


def import_(
    table: Annotated[str, typer.Argument(help="Canonical table to load, e.g. contracts.")],
    files: Annotated[
        list[Path], typer.Argument(help="CSV/TSV (.gz), Parquet, Excel or JSON-lines files.")
    ],
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Import files into a table as one atomic batch; bad rows go to the quarantine.

    Exits 1 when any row was rejected (the good rows are loaded all the same).
    """
    with Workspace.open(workspace) as ws:
        with _progress_bar(f"importing {table}") as update:
            report = ws.import_files(table, files, progress=update)
        _print_report(report, ws.config.imports.max_reported_errors)
    if not report.ok:
        raise typer.Exit(1)


def validate(workspace: WorkspaceOption = DEFAULT_WORKSPACE) -> None:
    """Check the config and the store's integrity; print every problem, exit 1 if any."""
    try:
        load_config(workspace / CONFIG_FILENAME)
    except ConfigError as exc:
        for problem in str(exc).split("; "):
            err_console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    with Workspace.open(workspace, read_only=True) as ws:
        problems = ws.check_integrity()
    for problem in problems:
        console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    if problems:
        console.print(f"[bold red]{len(problems)} problem(s)[/]")
        raise typer.Exit(1)
    console.print("[green]✓[/] config and store are valid")


def quarantine(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    table: Annotated[str | None, typer.Option("--table", "-t", help="Only this table.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most this many rows.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
) -> None:
    """List rows rejected by imports: table, file, row, column, reason and the raw row."""
    with Workspace.open(workspace, read_only=True) as ws:
        frame = ws.quarantine(table, limit)
    if fmt is OutputFormat.table:
        if frame.empty:
            console.print("the quarantine is empty")
            return
        frame = frame.drop(columns=["raw", "batch_id"])
    emit(frame, fmt, output, title="quarantine")


class _progress_bar:
    """A transient Rich progress bar fed by the importer's (done, total) callback."""

    def __init__(self, label: str) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.task = self.progress.add_task(label, total=None)

    def __enter__(self) -> Callable[[int, int | None], None]:
        self.progress.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total)


def _print_report(report: ImportReport, max_errors: int) -> None:
    summary = RichTable(title=f"import {report.table}", title_justify="left", show_header=False)
    summary.add_column("", style="bold")
    summary.add_column("", justify="right")
    for label, value in (
        ("read", report.rows_read),
        ("loaded", report.rows_loaded),
        ("  inserted", report.rows_inserted),
        ("  updated", report.rows_updated),
        ("  unchanged", report.rows_unchanged),
        ("rejected", report.rows_rejected),
    ):
        style = "red" if label == "rejected" and value else ""
        summary.add_row(label, f"[{style}]{value:,}[/]" if style else f"{value:,}")
    summary.add_row("seconds", f"{report.seconds:.2f}")
    console.print(summary)
    if report.ignored_columns:
        console.print(
            "ignored columns (not in the schema or the mapping): "
            + ", ".join(report.ignored_columns),
            highlight=False,
        )
    shown = report.rejections[:max_errors]
    for rejection in shown:
        console.print(f"[red]{rejection}[/]", highlight=False, soft_wrap=True)
    more = report.problems - len(shown)
    if more > 0:
        console.print(
            f"... and {more:,} more problem(s): csmetrics quarantine --table {report.table}",
            highlight=False,
        )
    if report.ok:
        console.print(f"[green]✓[/] {report.rows_loaded:,} rows loaded into {report.table}")
    else:
        console.print(
            f"[bold red]{report.rows_rejected:,} row(s) rejected[/] and quarantined; "
            f"{report.rows_loaded:,} good rows loaded"
        )
