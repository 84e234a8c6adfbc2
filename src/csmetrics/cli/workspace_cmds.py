"""Workspace commands: init, schema, docs, refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from csmetrics import schema
from csmetrics.cli.common import DEFAULT_WORKSPACE, WorkspaceOption, console
from csmetrics.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("schema")(show_schema)
    app.command("docs")(write_docs)
    app.command("refresh")(refresh)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    force: Annotated[
        bool, typer.Option("--force", help="Reset an existing workspace (deletes its store).")
    ] = False,
) -> None:
    """Create a workspace: a commented csmetrics.yaml and an empty embedded store."""
    with Workspace.init(directory, force=force) as ws:
        console.print(f"[green]created[/] workspace {ws.root}")
        console.print(f"  config: {ws.root / 'csmetrics.yaml'}")
        console.print(f"  store:  {ws.engine.path}")
        console.print(f"next: csmetrics import --workspace {ws.root} accounts accounts.csv")


def show_schema(
    table: Annotated[str | None, typer.Argument(help="Show one table only.")] = None,
) -> None:
    """Print the canonical data model: tables, columns, types, keys and constraints."""
    from csmetrics.schema.render import constraints_text

    tables = (schema.table(table),) if table else schema.TABLES
    for spec in tables:
        title = f"[bold]{spec.name}[/]" + (" [red](required)[/]" if spec.required else "")
        grid = RichTable(title=title, title_justify="left", header_style="bold")
        grid.add_column("column")
        grid.add_column("type")
        grid.add_column("req")
        grid.add_column("key")
        grid.add_column("constraints")
        grid.add_column("description")
        for col in spec.columns:
            grid.add_row(
                col.name,
                col.type.value,
                "yes" if col.required else "",
                "PK" if col.name in spec.primary_key else "",
                constraints_text(col).replace("`", ""),
                col.description,
            )
        console.print(spec.description)
        console.print(grid)


def write_docs(
    out: Annotated[Path, typer.Option("--out", help="Docs folder.")] = Path("docs"),
) -> None:
    """Regenerate the references generated from code (docs/data-model.md, docs/kpis.md)."""
    from csmetrics.docs import generated_docs

    out.mkdir(parents=True, exist_ok=True)
    for name, text in generated_docs().items():
        (out / name).write_text(text, "utf-8")
        console.print(f"wrote {out / name}")


def refresh(
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from scratch instead of catching up.")
    ] = False,
) -> None:
    """Bring the derived tables (daily and monthly user activity) up to date with events.

    Imports do this themselves; run it after an interrupted import, or with --full after
    changing which event types count, so each gets a bit of its own.
    """
    import time

    with Workspace.open(workspace) as ws:
        began = time.perf_counter()
        results = ws.refresh_rollups(full=full)
        seconds = time.perf_counter() - began
        engine = ws.config.engine
    if not results:
        where = "read outside the store" if "events" in engine.tables else "not in this engine"
        console.print(
            f"nothing to refresh: the {engine.backend} engine reads raw events ({where}), "
            "so no rollups are kept"
        )
        return
    grid = RichTable(header_style="bold")
    for column in ("table", "mode", "new events", "slices recomputed", "rows"):
        grid.add_column(column, justify="left" if column in ("table", "mode") else "right")
    for r in results:
        grid.add_row(r.name, r.mode, f"{r.new_source_rows:,}", f"{r.slices:,}", f"{r.rows:,}")
    console.print(grid)
    console.print(f"refreshed in {seconds:.1f}s")
