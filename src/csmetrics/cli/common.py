"""What every command shares: the console, the --workspace option, output formats."""

from __future__ import annotations

import io
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (holds csmetrics.yaml).",
        envvar="CSMETRICS_WORKSPACE",
        show_default=True,
    ),
]
DEFAULT_WORKSPACE = Path(".")


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
OutputPathOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of the terminal."),
]


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def money(value: object) -> str:
    """1,234.50; empty for null."""
    if value is None or value != value:  # null or NaN
        return ""
    return f"{float(value):,.2f}"  # type: ignore[arg-type]


def percent(value: object) -> str:
    """A ratio as 12.3%; "n/a" for null (a ratio with nothing to divide by)."""
    if value is None or value != value:  # null or NaN
        return "n/a"
    return f"{100 * float(value):.1f}%"  # type: ignore[arg-type]


def points(value: object) -> str:
    """A ratio shown on a -100..100 scale, signed: NPS +24.2; "n/a" for null."""
    if value is None or value != value:  # null or NaN
        return "n/a"
    return f"{100 * float(value):+.1f}"  # type: ignore[arg-type]


def rich_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold", show_lines=False)
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    for i, column in enumerate(frame.columns):
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        # a narrow terminal shrinks columns; never below a readable width (ids, names,
        # numbers stay whole; the table gets wider than the terminal instead)
        longest = max((len(row[i]) for row in cells), default=0)
        table.add_column(
            str(column),
            justify="right" if numeric else "left",
            min_width=min(max(longest, 4), 16),
            no_wrap=numeric,
        )
    for row in cells:
        table.add_row(*row)
    return table


def emit(
    frame: pd.DataFrame,
    fmt: OutputFormat = OutputFormat.table,
    output: Path | None = None,
    title: str | None = None,
) -> None:
    """Render a result frame in the chosen format, to the terminal or a file."""
    if fmt is OutputFormat.parquet:
        target = output or Path("result.parquet")
        frame.to_parquet(target, index=False)
        err_console.print(f"wrote {len(frame)} rows to {target}")
        return
    if fmt is OutputFormat.table:
        if output is not None:
            buffer = io.StringIO()
            Console(file=buffer, width=200).print(rich_table(frame, title))
            output.write_text(buffer.getvalue(), "utf-8")
        else:
            console.print(rich_table(frame, title))
        return
    if fmt is OutputFormat.csv:
        text = frame.to_csv(index=False)
    else:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        text = json.dumps(records, indent=2) + "\n"
    if output is not None:
        output.write_text(text, "utf-8")
    else:
        typer.echo(text, nl=False)
