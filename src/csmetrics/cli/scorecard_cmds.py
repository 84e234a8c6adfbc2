"""Scorecard commands: scorecard, targets, fair, forecasts. Each parses, asks the Workspace,
renders: rich tables with attainment colours in the terminal, or csv / json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
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
from csmetrics.cli.kpi_cmds import PeriodOption
from csmetrics.workspace import Workspace

if TYPE_CHECKING:
    from csmetrics.forecasting import QuarterRenewals
    from csmetrics.scorecards import Scorecard
    from csmetrics.scorecards.fair import FairComparison

PresetOption = Annotated[
    str | None,
    typer.Option("--preset", help="Maturity preset: early, growth, late (default: config)."),
]
SPARKS = "▁▂▃▄▅▆▇█"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("scorecard")(scorecard)
    app.command("targets")(targets)
    app.command("fair")(fair)
    app.command("forecasts")(forecasts)


# -- commands --------------------------------------------------------------------------


def scorecard(
    csm: Annotated[str | None, typer.Option("--csm", help="A CSM's card (csm_id).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="A team's card (team name).")] = None,
    company: Annotated[bool, typer.Option("--company", help="The company's card.")] = False,
    period: PeriodOption = None,
    preset: PresetOption = None,
    members: Annotated[
        bool, typer.Option("--members", help="csv/json: the members' rows (team, company).")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Each KPI of a preset against its target: attainment, interval, rank, trend."""
    with Workspace.open(workspace, read_only=True) as ws:
        card = ws.scorecard(csm=csm, team=team, company=company, period=period, preset=preset)
    if fmt is OutputFormat.table:
        _print(lambda c: _render_card(c, card), output)
        return
    subject = {"grain": card.subject.grain, "id": card.subject.id, "name": card.subject.name}
    if fmt is OutputFormat.json:
        payload = {
            "subject": subject,
            "period": card.period.label,
            "preset": card.preset.name,
            "score": card.score,
            "rank": card.score_rank,
            "ranked": card.peers,
            "accounts": card.accounts,
            "lines": _records(card.lines),
            "members": _records(card.members),
            "notes": list(card.notes),
        }
        _write(json.dumps(payload, indent=2) + "\n", output)
        return
    frame = card.members if members else card.lines
    frame = frame.assign(period=card.period.label, preset=card.preset.name)
    if not members:
        frame.insert(0, "subject", card.subject.id)
    emit(frame, fmt, output)


def targets(
    by: Annotated[str, typer.Option("--by", "-b", help="csm, team or company.")] = "csm",
    period: PeriodOption = None,
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help="KPIs (repeat); default: the preset's.")
    ] = None,
    preset: PresetOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Targets per CSM, team or company for a period, and where each comes from."""
    with Workspace.open(workspace, read_only=True) as ws:
        (resolved,) = ws.periods(period)
        frame = ws.targets(by=by, period=resolved, kpis=kpi, preset=preset)
    emit(frame, fmt, output, title=f"Targets by {by}, {resolved.label}")


def fair(
    period: PeriodOption = None,
    accounts: Annotated[
        bool, typer.Option("--accounts", help="csv/json: one row per account instead.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Logo retention achieved vs expected from each CSM's book on the period's first day."""
    with Workspace.open(workspace, read_only=True) as ws:
        result = ws.fair_comparison(period)
    if fmt is not OutputFormat.table:
        emit(result.accounts if accounts else result.by_csm, fmt, output)
        for note in result.notes:
            err_console.print(f"[dim]note: {note}[/]")
        return
    _print(lambda c: _render_fair(c, result), output)


def forecasts(
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", "-q", help="e.g. 2026-Q3; default: the last complete quarter."),
    ] = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Also list this CSM's renewals.")] = None,
    renewals: Annotated[
        bool, typer.Option("--renewals", help="csv/json: one row per renewal instead.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Renewal forecasts: each CSM's calls vs the model vs what happened (Brier score)."""
    with Workspace.open(workspace, read_only=True) as ws:
        found = ws.renewal_forecasts(quarter)
        scores = ws.forecast_accuracy(renewals=found)
    listing = found.renewals
    if csm is not None:
        listing = listing[listing["csm_id"] == csm]
        scores = scores[scores["csm_id"].isin([csm, "all"])]
    if fmt is not OutputFormat.table:
        emit(listing if renewals else scores, fmt, output)
        return
    _print(lambda c: _render_forecasts(c, found, scores, listing if csm else None), output)


# -- rendering ---------------------------------------------------------------------------


def _render_card(out: Console, card: Scorecard) -> None:
    s = card.subject
    who = {"csm": f"{s.name} ({s.id}, {s.team})", "team": f"team {s.name}", "company": s.name}
    title = f"Scorecard: {who[s.grain]}, {card.period.label}, preset {card.preset.name}"
    trend = f"trend {card.periods[0].label}..{card.periods[-1].label}"
    columns = ["KPI", "value", "numerator / denominator", "target", "attainment"]
    columns += [f"interval ({card.confidence:.0%})", "n", "rank", trend, "weight"]
    grid = _grid(title, columns, left=("KPI", trend))
    labels = card.trend_labels
    shown = {k.name: k.display_unit for k in card.preset.kpis}
    for row in card.lines.to_dict("records"):
        unit = shown.get(row["kpi"], row["unit"])
        parts = ""
        if _num(row["denominator"]) is not None:
            top = _fmt(row["numerator"], row["parts"])
            bottom = _fmt(row["denominator"], "count" if row["average"] else row["parts"])
            parts = f"{top} / {bottom}"
        target = _fmt(row["target"], unit)
        if row["target_source"]:
            target = f"{target} [dim]{row['target_source']}[/]"
        interval = ""
        if _num(row["low"]) is not None:
            interval = f"{_pct(row['low'])}..{_pct(row['high'])}"
        n = "" if _num(row["count"]) is None else f"{row['count']:,.0f}"
        if row["too_few"]:
            n = f"[yellow]{n or 0} too few[/]"
        rank = (
            ""
            if _num(row["rank"]) is None or s.grain == "company"
            else f"{row['rank']:.0f}/{row['of']}"
        )
        trend = [row[label] for label in labels]
        grid.add_row(
            f"{row['title']}",
            _fmt(row["value"], unit),
            parts,
            target,
            _attainment(row["attainment"]),
            interval,
            n,
            rank,
            _trend(trend, unit, row["direction"]),
            f"{row['weight']:.0%}",
        )
    out.print(grid)
    score = (
        _attainment(card.score)
        if card.score is not None
        else Text("n/a (no KPI with both a value and a target)")
    )
    tail = Text("Score (weighted attainment, capped): ").append_text(score)
    if card.score_rank is not None and s.grain != "company":
        among = f"the CSMs of {s.team}" if s.grain == "csm" else "teams"
        tail.append(f"  rank {card.score_rank} of {card.peers} among {among}")
    tail.append(f"  ·  {card.accounts:,} accounts on {card.period.start}")
    out.print(tail)
    if not card.members.empty:
        out.print(_members_table(card))
    for note in card.notes:
        out.print(f"[dim]note: {note}[/]")


def _members_table(card: Scorecard) -> Table:
    kind = "CSMs" if card.member_grain == "csm" else "Teams"
    member = card.member_grain or ""
    columns = ["rank", member, "accounts", *card.preset.names, "score"]
    grid = _grid(f"{kind}, ranked by score", columns, left=(member,))
    units = {k.name: k.display_unit for k in card.preset.kpis}
    for member in card.members.to_dict("records"):
        cells = []
        for kpi in card.preset.names:
            text = _fmt(member[kpi], units[kpi])
            cells.append(Text(text, style=_colour(member[f"{kpi}:attainment"])))
        label = (
            member["name"]
            if member["name"] == member["id"]
            else f"{member['name']} ({member['id']})"
        )
        rank = "" if _num(member["rank"]) is None else f"{member['rank']:.0f}"
        grid.add_row(rank, label, f"{member['accounts']:,}", *cells, _attainment(member["score"]))
    return grid


def _render_fair(out: Console, result: FairComparison) -> None:
    model = result.model
    title = f"Fair comparison: logo retention {result.period.label}, achieved vs expected"
    title += f" from the book on {result.period.start}"
    columns = ["rank", "CSM", "team", "accounts", "retained", "expected", "achieved"]
    columns += ["expected %", "difference", "interval", "z"]
    grid = _grid(title, columns, left=("CSM", "team"))
    level = f"{result.confidence:.0%}"
    for row in result.by_csm.to_dict("records"):
        colour = "green" if row["low"] > 0 else "red" if row["high"] < 0 else ""
        accounts = f"{row['accounts']:,}" + (" [yellow]too few[/]" if row["too_few"] else "")
        grid.add_row(
            str(row["rank"]),
            f"{row['csm_name']} ({row['csm_id']})",
            str(row["team"] or ""),
            accounts,
            f"{row['retained']:,}",
            f"{row['expected_retained']:,.1f}",
            _pct(row["achieved"]),
            _pct(row["expected"]),
            Text(_pp(row["difference"]), style=colour),
            f"{_pp(row['low'])}..{_pp(row['high'])}",
            "" if _num(row["z"]) is None else f"{row['z']:+.2f}",
        )
    out.print(grid)
    c = result.company
    if c:
        out.print(
            f"Company: {c['retained']:,.0f} of {c['accounts']:,.0f} retained ({_pct(c['achieved'])}), "
            f"expected {c['expected_retained']:,.1f} ({_pct(c['expected'])}), difference {_pp(c['difference'])}"
        )
    calibration = (
        "calibrated (Platt, stratified folds)"
        if model.calibrated
        else "not calibrated (too few churners to fold)"
    )
    out.print(
        f"[dim]Interval: {level} if the CSM made no difference (sum of Bernoullis). Model: logistic "
        f"regression, {calibration}, on {model.examples:,} account-periods "
        f"({len(model.trained_on)} periods from {model.trained_from} to {model.trained_until}), "
        f"retention {_pct(model.retention_rate)}; features: {', '.join(model.features)}.[/]"
    )
    for note in result.notes:
        out.print(f"[dim]note: {note}[/]")


def _render_forecasts(
    out: Console, found: QuarterRenewals, scores: pd.DataFrame, listing: pd.DataFrame | None
) -> None:
    q = found.quarter.label
    if listing is not None:
        columns = ["account", "tier", "renewal", "ARR", "forecast", "stay (forecast)"]
        columns += ["stay (model)", "actual", "submitted"]
        left = ("account", "tier", "renewal", "forecast", "actual", "submitted")
        grid = _grid(f"Renewals {q}", columns, left=left)
        for r in listing.to_dict("records"):
            called = (
                f"{r['forecast_outcome']} {r['forecast_probability']:.0%}"
                if isinstance(r["forecast_outcome"], str)
                else "[yellow]none[/]"
            )
            style = (
                "red"
                if r["actual"] == "churn"
                else "yellow"
                if r["actual"] == "downsell"
                else "green"
            )
            submitted = (
                ""
                if pd.isna(r["submitted_at"])
                else pd.Timestamp(r["submitted_at"]).date().isoformat()
            )
            grid.add_row(
                r["account_id"],
                str(r["tier"]),
                str(r["renewal_date"]),
                f"{r['start_arr']:,.0f}",
                called,
                _pct(r["forecast_keep"]),
                _pct(r["model_keep"]),
                Text(r["actual"], style=style),
                submitted,
            )
        out.print(grid)
    title = f"Forecast accuracy {q}: Brier score (lower is better) and logo retention"
    columns = ["CSM", "renewals", "forecast", "Brier", "Brier (model)", "calls right"]
    columns += ["accounts", "retention: forecast", "model", "actual", "forecast - actual"]
    grid = _grid(title, columns, left=("CSM",))
    for r in scores.to_dict("records"):
        label = "company" if r["csm_id"] == "all" else f"{r['csm_name']} ({r['csm_id']})"
        better = (
            _num(r["brier"]) is not None
            and _num(r["model_brier"]) is not None
            and r["brier"] < r["model_brier"]
        )
        brier = Text(_dec(r["brier"]), style="green" if better else "")
        grid.add_row(
            label,
            f"{r['renewals']:,}",
            f"{r['forecast']:,}"
            + ("" if _num(r["coverage"]) is None else f" ({r['coverage']:.0%})"),
            brier,
            _dec(r["model_brier"]),
            _pct(r["calls_right"]),
            f"{r['accounts']:,}",
            _pct(r["forecast_retention"]),
            _pct(r["model_retention"]),
            _pct(r["actual_retention"]),
            _pp(r["forecast_error"]),
        )
    out.print(grid)
    for note in found.notes:
        out.print(f"[dim]note: {note}[/]")


# -- small formatters -------------------------------------------------------------------


def _grid(title: str, columns: list[str], left: tuple[str, ...] = ()) -> Table:
    grid = Table(title=title, header_style="bold", title_justify="left")
    for name in columns:
        grid.add_column(name, justify="left" if name in left else "right")
    return grid


def _print(render: Any, output: Path | None) -> None:
    if output is None:
        render(console)
        return
    target = Console(file=open(output, "w", encoding="utf-8"), width=200)  # noqa: SIM115
    try:
        render(target)
    finally:
        target.file.close()


def _write(text: str, output: Path | None) -> None:
    if output is not None:
        output.write_text(text, "utf-8")
    else:
        typer.echo(text, nl=False)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _fmt(value: Any, unit: str) -> str:
    number = _num(value)
    if number is None:
        return "n/a"
    if unit == "ratio":
        return _pct(number)
    if unit == "points":
        return f"{100 * number:+.1f}"
    if unit == "money":
        return f"{number:,.0f}"
    if unit == "days":
        return f"{number:,.1f} d"
    if unit == "count":
        return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
    return f"{number:,.2f}"


def _pct(value: Any) -> str:
    number = _num(value)
    return "n/a" if number is None else f"{100 * number:.1f}%"


def _pp(value: Any) -> str:
    number = _num(value)
    return "n/a" if number is None else f"{100 * number:+.1f} pp"


def _dec(value: Any) -> str:
    number = _num(value)
    return "n/a" if number is None else f"{number:.3f}"


def _colour(value: Any) -> str:
    number = _num(value)
    if number is None:
        return ""
    return "green" if number >= 1 else "yellow" if number >= 0.9 else "red"


def _attainment(value: Any) -> Text:
    number = _num(value)
    if number is None:
        return Text("n/a", style="dim")
    text = "met (value 0)" if math.isinf(number) else f"{100 * number:.1f}%"
    return Text(text, style=_colour(number))


def _trend(values: list[Any], unit: str, direction: str) -> str:
    numbers = [_num(v) for v in values]
    known = [n for n in numbers if n is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    spark = "".join(
        " " if n is None else SPARKS[0 if hi == lo else round((n - lo) / (hi - lo) * 7)]
        for n in numbers
    )
    if len(numbers) < 2 or numbers[-1] is None or numbers[-2] is None:
        return spark
    change = numbers[-1] - numbers[-2]
    better = change > 0 if direction == "higher" else change < 0
    style = "green" if better else "red" if change else "dim"
    shown = {
        "ratio": f"{100 * change:+.1f} pp",
        "points": f"{100 * change:+.1f} pts",
        "days": f"{change:+,.1f} d",
    }.get(unit)
    shown = shown or (f"{change:+,.0f}" if unit in ("count", "money") else f"{change:+,.2f}")
    return f"{spark} [{style}]{shown}[/]"
