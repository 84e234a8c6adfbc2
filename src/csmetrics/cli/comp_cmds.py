"""Compensation commands: comp plans, comp statement, comp run. Parse, ask the Workspace, render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

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
from csmetrics.compensation import formats, statement_rows
from csmetrics.compensation.curve import describe
from csmetrics.workspace import Workspace

if TYPE_CHECKING:
    from csmetrics.compensation import Statement

comp_app = typer.Typer(
    help="Variable pay: plans, payout statements per CSM, and a run that writes them all.",
    no_args_is_help=True,
)

PeriodOption = Annotated[
    str, typer.Option("--period", "-p", help="The plan period to pay, e.g. 2026-Q3 or 2026.")
]
PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="One plan id; default: every plan that pays per this period."),
]


def register(app: typer.Typer) -> None:
    """Add the ``comp`` command group to the app."""
    comp_app.command("plans")(plans)
    comp_app.command("statement")(statement)
    comp_app.command("run")(run)
    app.add_typer(comp_app, name="comp")


def plans(
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List the plans in csmetrics.yaml with their components, weights, targets and curves."""
    with Workspace.open(workspace, read_only=True) as ws:
        configured = ws.config.compensation.plans
        currency = ws.config.company.reporting_currency
    rows = []
    for pid, plan in configured.items():
        who = plan.eligible
        for cid, c in plan.components.items():
            target = "targets table" if c.target_source == "targets_table" else ""
            if c.target is not None:
                target = f"{target} else {c.target:g}" if target else f"{c.target:g}"
            rows.append(
                {
                    "plan": pid,
                    "period": plan.period,
                    "on_target_pay": f"{plan.on_target_pay:,.2f} {plan.currency or currency}",
                    "eligible": _eligible(who.roles, who.teams, who.csm_ids),
                    "component": cid,
                    "measure": c.measure,
                    "scope": c.scope,
                    "weight": formats.weight(c.weight),
                    "target": target,
                    "curve": describe(c),
                    "missing": c.missing,
                }
            )
    if not rows:
        err_console.print("no compensation plans in csmetrics.yaml (compensation.plans)")
        return
    frame = pd.DataFrame(rows)
    if fmt is not OutputFormat.table or output is not None:
        emit(frame, fmt, output, title="Compensation plans")
        return
    for pid, part in frame.groupby("plan", sort=False):
        first = part.iloc[0]
        title = configured[str(pid)].title or pid
        console.print(
            f"[bold]{pid}[/]: {title}; per {first['period']}, on-target pay "
            f"{first['on_target_pay']}; eligible: {first['eligible']}",
            highlight=False,
        )
        shown = part.drop(columns=["plan", "period", "on_target_pay", "eligible"])
        emit(shown, fmt)


def statement(
    csm: Annotated[str, typer.Option("--csm", "-c", help="The csm_id to show.")],
    period: PeriodOption,
    plan: PlanOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """One CSM's payout statement: every input, attainment, the curve applied, the amount."""
    with Workspace.open(workspace, read_only=True) as ws:
        found = ws.comp_statements(period, plan, [csm])
        company = ws.config.company.name
    if fmt is not OutputFormat.table:
        emit(statement_rows(found), fmt, output)
        return
    for s in found:
        console.print(_render(s, company, console.width))


def run(
    period: PeriodOption,
    plan: PlanOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder to write (replaced as a whole); default WORKSPACE/comp/P/."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Write every statement of the period: statements.csv and one HTML page per CSM."""
    with Workspace.open(workspace, read_only=True) as ws:
        result = ws.comp_run(period, out, plan)
    frame = pd.DataFrame(
        [
            {
                "csm_id": s.csm_id,
                "name": s.payee.name,
                "team": s.payee.team,
                "plan": s.plan_id,
                "days": f"{s.payee.days_employed}/{s.payee.period_days}",
                "target_pay": s.target_pay,
                "earned": s.total,
                "of_target": s.payout,
                "currency": s.currency,
            }
            for s in result.statements
        ],
        columns=[
            "csm_id",
            "name",
            "team",
            "plan",
            "days",
            "target_pay",
            "earned",
            "of_target",
            "currency",
        ],
    )
    if fmt is OutputFormat.table:
        shown = frame.assign(
            target_pay=frame["target_pay"].map(formats.money),
            earned=frame["earned"].map(formats.money),
            of_target=frame["of_target"].map(formats.share),
        )
        emit(shown, fmt, title=f"Variable pay {period}")
    else:
        emit(frame, fmt)
    err_console.print(
        f"wrote {len(result.statements)} statements for {len(result.pages)} people to "
        f"{result.out_dir} ({result.csv.name}, one HTML page each, index.html)",
        highlight=False,
        soft_wrap=True,
    )


# -- rendering -------------------------------------------------------------------------


def _eligible(roles: tuple[str, ...], teams: tuple[str, ...], ids: tuple[str, ...]) -> str:
    parts = []
    if roles:
        parts.append(f"roles {', '.join(roles)}")
    if teams:
        parts.append(f"teams {', '.join(teams)}")
    if ids:
        parts.append(f"csms {', '.join(ids)}")
    return "; ".join(parts) or "nobody"


def _render(s: Statement, company: str, width: int) -> Group:
    """A statement for the terminal: header, pay basis, measures, payout, working, notes.

    The measures and payout tables need about 110 columns; a narrower terminal gets one
    block per component instead, so no number is ever cropped.
    """
    p, period = s.payee, s.period
    head = Text.assemble(
        (f"{company} · variable pay statement\n", "dim"),
        (f"{p.name} ({p.csm_id})", "bold"),
        f" · team {p.team or '—'} · role {p.role or '—'} · ",
        (f"{period.label}", "bold"),
        f" ({period.start.isoformat()} to {period.last_day.isoformat()})\n",
        f"plan {s.plan_id}: {s.plan_title}; amounts in {s.currency}",
    )
    employed = (
        f"{p.start_date.isoformat() if p.start_date else '—'} to "
        f"{p.end_date.isoformat() if p.end_date else 'today'}"
    )
    basis = RichTable.grid(padding=(0, 2))
    basis.add_column(style="dim")
    basis.add_column(justify="right")
    basis.add_row("on-target pay, full period", f"{formats.money(p.on_target_pay)} ({p.pay_basis})")
    basis.add_row("employed (end exclusive)", employed)
    basis.add_row("days employed in period", f"{p.days_employed} of {p.period_days}")
    basis.add_row("pro-rating", f"{p.proration}, factor {p.factor:.4f}")
    basis.add_row("target pay this period", formats.money(s.target_pay))

    measure_rows, payout_rows = [], []
    for line in s.lines:
        better = "" if line.direction == "higher" else " (lower is better)"
        measure_rows.append(
            [
                line.component_id,
                line.measure + better,
                f"{line.scope} {line.scope_id or '—'}",
                formats.in_unit(line.numerator, line.parts),
                formats.in_unit(line.denominator, line.parts),
                formats.in_unit(line.value, line.unit),
                formats.in_unit(line.target, line.unit),
                line.target_source,
                formats.share(line.attainment),
            ]
        )
        curve_or = "curve"
        payout_rows.append(
            [
                line.component_id,
                formats.share(line.threshold) if line.threshold is not None else curve_or,
                formats.share(line.threshold_payout)
                if line.threshold_payout is not None
                else curve_or,
                f"{line.accelerator:g}" if line.accelerator is not None else curve_or,
                formats.share(line.cap) if line.cap is not None else "none",
                formats.share(line.payout) + (" capped" if line.capped else ""),
                formats.weight(line.weight),
                formats.weight(line.effective_weight),
                formats.money(line.target_pay),
                formats.money(line.amount),
            ]
        )
    payout_rows.append(
        [
            "total",
            "",
            "",
            "",
            "",
            "",
            "100%",
            "",
            formats.money(s.target_pay),
            formats.money(s.total),
        ]
    )
    measures = _grid("Measures", _MEASURE_COLUMNS, measure_rows)
    payout = _grid("Payout", _PAYOUT_COLUMNS, payout_rows, total=True)
    fits = _fits(_MEASURE_COLUMNS, measure_rows, width) and _fits(
        _PAYOUT_COLUMNS, payout_rows, width
    )
    if not fits:
        measures, payout = _cards(measure_rows, payout_rows), Text("")
    working = Text()
    for line in s.lines:
        working.append(f"{line.component_id}: ", style="bold")
        working.append(f"curve {line.curve}.\n")
        if line.attainment is not None:
            working.append(f"  {formats.attainment_working(line)}\n")
        working.append("  payout ")
        if line.missing:
            working.append(f"missing ({line.missing_rule}): ", style="red")
        working.append(f"{line.working}\n")
        working.append(f"  {formats.amount_working(line, p)}\n")
    for note in s.notes:
        working.append(f"note: {note}\n", style="yellow")
    total = Text.assemble(
        ("earned ", "bold"),
        (f"{formats.money(s.total)} {s.currency}", "bold green"),
        f" of {formats.money(s.target_pay)} target pay ({formats.share(s.payout)})\n",
    )
    return Group(head, Text(""), basis, measures, payout, working, total)


# (header, width): 0 for a number column, as wide as its widest number; otherwise the
# most a text column takes before it folds onto more lines. Nothing is cut short.
_MEASURE_COLUMNS = (
    ("component", 13),
    ("KPI", 12),
    ("for", 11),
    ("numerator", 0),
    ("denominator", 0),
    ("actual", 0),
    ("target", 0),
    ("target from", 9),
    ("attainment", 0),
)
_PAYOUT_COLUMNS = (
    ("component", 13),
    ("threshold", 0),
    ("pays at threshold", 0),
    ("accelerator", 0),
    ("cap", 0),
    ("payout", 0),
    ("weight", 0),
    ("applied", 0),
    ("target pay", 0),
    ("amount", 0),
)


def _widths(columns: tuple[tuple[str, int], ...], rows: list[list[str]]) -> list[int]:
    out = []
    for i, (name, width) in enumerate(columns):
        if width:
            out.append(width)
        else:
            header = max(len(word) for word in name.split())
            out.append(max(header, *(len(row[i]) for row in rows)))
    return out


def _grid(
    title: str, columns: tuple[tuple[str, int], ...], rows: list[list[str]], total: bool = False
) -> RichTable:
    """A table whose number columns are as wide as their widest number, so none folds."""
    grid = RichTable(title=title, title_justify="left", header_style="bold")
    for (name, text_width), width in zip(columns, _widths(columns, rows), strict=True):
        if text_width:
            grid.add_column(name, overflow="fold", max_width=width)
        else:
            grid.add_column(name, justify="right", overflow="fold", min_width=width)
    for i, row in enumerate(rows):
        last = total and i == len(rows) - 1
        if last:
            grid.add_section()
        grid.add_row(*row, style="bold" if last else None)
    return grid


def _fits(columns: tuple[tuple[str, int], ...], rows: list[list[str]], width: int) -> bool:
    """Whether the table fits ``width``: its columns plus borders and padding."""
    return sum(_widths(columns, rows)) + 3 * len(columns) + 1 <= width


def _cards(measure_rows: list[list[str]], payout_rows: list[list[str]]) -> Group:
    """Each component as a block of label: value lines (for narrow terminals)."""
    blocks: list[RenderableType] = []
    labels = [n for n, _ in _MEASURE_COLUMNS[1:]] + [n for n, _ in _PAYOUT_COLUMNS[1:]]
    for m_row, p_row in zip(measure_rows, payout_rows, strict=False):
        card = RichTable.grid(padding=(0, 2))
        card.add_column(style="dim")
        card.add_column(overflow="fold")
        for label, value in zip(labels, m_row[1:] + p_row[1:], strict=True):
            card.add_row(label, value)
        blocks += [Text(m_row[0], style="bold"), card]
    total = payout_rows[-1]
    blocks.append(Text.assemble(("total", "bold"), f": target pay {total[-2]}, amount {total[-1]}"))
    return Group(*blocks)
