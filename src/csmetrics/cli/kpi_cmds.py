"""KPI commands: kpi, kpis, movements, summary. Each parses, asks the Workspace, renders."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table as RichTable

from csmetrics import kpis
from csmetrics.cli.common import (
    DEFAULT_WORKSPACE,
    FormatOption,
    OutputFormat,
    OutputPathOption,
    WorkspaceOption,
    console,
    emit,
    err_console,
    money,
    percent,
    points,
    rich_table,
)
from csmetrics.workspace import Workspace

BRIDGE_MONEY = ("start", "new", "expansion", "contraction", "churn", "reactivation", "fx", "end")


# Plain strings, checked by the KPI layer, so a typo is a one-line error like any other.
ByOption = Annotated[
    str, typer.Option("--by", "-b", help="Grain: account, csm, team, tier, segment or company.")
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        "-p",
        help="2026-07, 2026-Q3, 2026 or 2026-07-01..2026-10-01; default: last complete quarter.",
    ),
]
EveryOption = Annotated[
    str | None, typer.Option("--every", help="A series: month, quarter or year.")
]
FromOption = Annotated[str | None, typer.Option("--from", help="First period of the series.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last period of the series.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("kpi")(kpi)
    app.command("kpis")(list_or_compute)
    app.command("movements")(movements)
    app.command("summary")(summary)


def kpi(
    name: Annotated[str, typer.Argument(help="KPI name; `csmetrics kpis --list` shows them.")],
    by: ByOption = "company",
    period: PeriodOption = None,
    every: EveryOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Compute one KPI at a grain, for a period or a series of periods."""
    definition = kpis.get(name)
    with Workspace.open(workspace, read_only=True) as ws:
        frame = ws.kpi(name, by=by, period=period, every=every, start=start, end=end)
    shown = _shaped(frame, fmt, {"value": definition.display_unit, **_parts(definition)})
    _emit(shown, fmt, output, f"{definition.title} by {by}")


def list_or_compute(
    names: Annotated[
        list[str] | None, typer.Argument(help="KPIs to compute; none = list them all.")
    ] = None,
    show_list: Annotated[
        bool, typer.Option("--list", "-l", help="List every KPI with its unit and formula.")
    ] = False,
    by: ByOption = "company",
    period: PeriodOption = None,
    every: EveryOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List the KPIs (--list), or compute several in one long table."""
    if show_list or not names:
        emit(_catalogue(), fmt, output, title="KPIs")
        return
    for name in names:
        kpis.get(name)
    with Workspace.open(workspace, read_only=True) as ws:
        frame = ws.kpis(names, by=by, period=period, every=every, start=start, end=end)
    _emit(_shaped(frame, fmt), fmt, output, f"KPIs by {by}")


def movements(
    period: PeriodOption = None,
    by: ByOption = "company",
    every: EveryOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """The ARR bridge: start + new + expansion - contraction - churn + reactivation + fx = end."""
    with Workspace.open(workspace, read_only=True) as ws:
        frame = ws.movements(period, by=by, every=every, start=start, end=end)
        currency = ws.config.company.reporting_currency
    ok = bool(frame["reconciles"].all())
    shown = _shaped(frame.drop(columns="reconciles"), fmt, dict.fromkeys(BRIDGE_MONEY, "money"))
    _emit(shown, fmt, output, f"ARR bridge ({currency})")
    if ok:
        err_console.print(
            "[green]reconciles:[/] start + new + expansion - contraction - churn "
            "+ reactivation + fx = end on every row"
        )
        return
    bad = int((~frame["reconciles"]).sum())
    err_console.print(f"[bold red]error:[/] the bridge does not reconcile on {bad} row(s)")
    raise typer.Exit(1)


def summary(workspace: WorkspaceOption = DEFAULT_WORKSPACE) -> None:
    """Headline numbers: ARR, accounts, retention last quarter, ARR by tier."""
    with Workspace.open(workspace, read_only=True) as ws:
        s = ws.summary()
        company, currency = ws.config.company.name, ws.config.company.reporting_currency
    head = RichTable(title=f"{company}: headline on {s.as_of.isoformat()}", header_style="bold")
    head.add_column("KPI")
    head.add_column("value", justify="right")
    head.add_row(f"ARR ({currency})", money(s.arr))
    head.add_row(f"MRR ({currency})", money(s.mrr))
    head.add_row("Active accounts", f"{s.active_accounts:,}")
    head.add_row(f"Logo retention {s.quarter.label}", percent(s.logo_retention))
    head.add_row(f"GRR {s.quarter.label}", percent(s.grr))
    head.add_row(f"NRR {s.quarter.label}", percent(s.nrr))
    console.print(head)

    trend = RichTable(title="Retention by quarter", header_style="bold")
    for column in ("quarter", f"ARR ({currency})", "logo retention", "GRR", "NRR"):
        trend.add_column(column, justify="left" if column == "quarter" else "right")
    for row in s.retention_by_quarter.itertuples(index=False):
        trend.add_row(
            row.period,
            money(row.arr),
            percent(row.logo_retention),
            percent(row.grr),
            percent(row.nrr),
        )
    console.print(trend)

    tiers = RichTable(title=f"ARR by tier on {s.as_of.isoformat()}", header_style="bold")
    tiers.add_column("tier")
    tiers.add_column(f"ARR ({currency})", justify="right")
    tiers.add_column("share", justify="right")
    for row in s.arr_by_tier.itertuples(index=False):
        tiers.add_row(str(row.tier), money(row.arr), percent(row.arr / s.arr if s.arr else None))
    console.print(tiers)


# -- rendering helpers ---------------------------------------------------------------


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": k.name,
                "title": k.title,
                "unit": k.unit,
                "better": k.direction,
                "grains": ", ".join(k.grains),
                "formula": k.formula,
            }
            for k in kpis.all_kpis()
        ]
    )


def _parts(definition: kpis.Kpi) -> dict[str, str]:
    if not definition.is_ratio:
        return {}
    return {"numerator": definition.parts, "denominator": definition.parts}


def _shaped(
    frame: pd.DataFrame, fmt: OutputFormat, units: dict[str, str] | None = None
) -> pd.DataFrame:
    """Dates as ISO text for csv/json; for the terminal, the period label alone, ratios
    as percentages and money with thousands separators. Parquet keeps typed columns."""
    if fmt is OutputFormat.parquet:
        return frame
    shown = frame.copy()
    if fmt is not OutputFormat.table:
        for column in ("period_start", "period_end"):
            if column in shown:
                shown[column] = shown[column].map(lambda d: d.isoformat())
        return shown
    shown = shown.drop(columns=["period_start", "period_end"], errors="ignore")
    for column, unit in (units or {}).items():
        render = {"ratio": percent, "points": points, "money": money}.get(unit)
        if render is not None:
            shown[column] = shown[column].map(render)
    return shown


def _emit(frame: pd.DataFrame, fmt: OutputFormat, output: Path | None, title: str) -> None:
    """``emit``, with numbers (also those already rendered as text) right-aligned."""
    if fmt is not OutputFormat.table:
        emit(frame, fmt, output, title=title)
        return
    grid = rich_table(frame, title)
    for column, name in zip(grid.columns, frame.columns, strict=True):
        if name in _NUMERIC or pd.api.types.is_numeric_dtype(frame[name]):
            column.justify = "right"
    if output is None:
        console.print(grid)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(grid)
    output.write_text(buffer.getvalue(), "utf-8")


_NUMERIC = {"value", "numerator", "denominator", *BRIDGE_MONEY}
