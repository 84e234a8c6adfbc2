"""The demo command: generate the demo company and load it through the normal importer."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from csmetrics import schema
from csmetrics.cli.common import console, err_console
from csmetrics.config import CONFIG_FILENAME
from csmetrics.demo import DemoManifest, check_parameters, default_end_date, generate
from csmetrics.demo.workspace_config import demo_config_text
from csmetrics.ingest import ImportReport
from csmetrics.workspace import Workspace

SOURCE_FOLDER = "source"
_SHOWN_REJECTIONS = 10


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the demo workspace (created if missing).")
    ],
    accounts: Annotated[
        int, typer.Option("--accounts", min=20, help="Number of customer accounts.")
    ] = 2000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")
    ] = 7,
    months: Annotated[
        int, typer.Option("--months", min=6, max=120, help="Months of history to simulate.")
    ] = 36,
    events_scale: Annotated[
        float,
        typer.Option(
            "--events-scale",
            min=0.001,
            max=1000,
            help="Product-event volume multiplier: 1.0 is about 4M events at 2,000 "
            "accounts, 25 about 100M. Active users and MAU do not change with it.",
        ),
    ] = 1.0,
    end_date: Annotated[
        datetime | None,
        typer.Option(
            "--end-date",
            formats=["%Y-%m-%d"],
            help="Day after the history ends, the first of a month "
            "(default: the first day of the current month).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Reset DIR if it is already a workspace (deletes its store)."),
    ] = False,
) -> None:
    """Build the demo company and load it into a new workspace DIR.

    Every canonical table is generated into DIR/source/ (kept: the files double as
    import examples), then imported through the normal importer, table by table.
    Exits 1 if any row is rejected (the demo is meant to load cleanly).
    """
    began = time.perf_counter()
    end = end_date.date() if end_date else default_end_date()
    check_parameters(accounts, months, events_scale, end)
    Workspace.init(directory, force=force).close()
    # The demo's own csmetrics.yaml (the default plus its pay plans), validated on open.
    (directory / CONFIG_FILENAME).write_text(demo_config_text(), "utf-8")
    with Workspace.open(directory) as ws:
        manifest = _generate(
            directory / SOURCE_FOLDER,
            accounts=accounts,
            seed=seed,
            months=months,
            events_scale=events_scale,
            end_date=end,
        )
        reports = _import(ws, manifest)
    _print_summary(manifest, reports, time.perf_counter() - began)
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


def _bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _generate(out: Path, **params: object) -> DemoManifest:
    with _bar() as bar:
        task = bar.add_task("generating", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"generating {stage}")

        return generate(out, progress=report, **params)  # type: ignore[arg-type]


def _import(ws: Workspace, manifest: DemoManifest) -> list[ImportReport]:
    reports = []
    order = schema.load_order()
    with _bar() as bar:
        overall = bar.add_task("importing", total=len(order))
        rows = bar.add_task("", total=None)
        for spec in order:
            bar.update(overall, description=f"importing {spec.name}")
            bar.reset(rows, total=manifest.rows.get(spec.name) or None, description="  rows")

            def progress(done: int, total: int | None) -> None:
                bar.update(rows, completed=done, total=total)

            reports.append(ws.import_files(spec.name, manifest.paths(spec.name), progress=progress))
            bar.advance(overall)
    return reports


def _print_summary(manifest: DemoManifest, reports: list[ImportReport], seconds: float) -> None:
    grid = RichTable(
        title=f"demo company: {manifest.accounts:,} accounts, "
        f"{manifest.start_date:%Y-%m} to {manifest.end_date:%Y-%m} (seed {manifest.seed})",
        title_justify="left",
        header_style="bold",
    )
    for name, justify in (
        ("table", "left"),
        ("files", "right"),
        ("generated", "right"),
        ("loaded", "right"),
        ("rejected", "right"),
        ("seconds", "right"),
    ):
        grid.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in reports:
        rejected = f"[red]{r.rows_rejected:,}[/]" if r.rows_rejected else "0"
        grid.add_row(
            r.table,
            str(len(manifest.files.get(r.table, ()))),
            f"{manifest.rows.get(r.table, 0):,}",
            f"{r.rows_loaded:,}",
            rejected,
            f"{r.seconds:.1f}",
        )
    console.print(grid)
    for r in reports:
        for rejection in r.rejections[:_SHOWN_REJECTIONS]:
            console.print(f"[red]{rejection}[/]", highlight=False, soft_wrap=True)
    loaded = sum(r.rows_loaded for r in reports)
    console.print(
        f"generated in {manifest.seconds:.1f}s, {loaded:,} rows loaded, "
        f"{seconds:.1f}s in all; source files in {manifest.out_dir}"
    )
    if all(r.ok for r in reports):
        console.print(
            f"[green]✓[/] demo workspace ready; next: csmetrics summary -w {manifest.out_dir.parent}",
            highlight=False,
        )
    else:
        console.print("[bold red]some rows were rejected[/]: csmetrics quarantine")
