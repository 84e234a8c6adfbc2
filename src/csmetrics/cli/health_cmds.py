"""Health commands: `csmetrics health scores|explain|quadrant|backtest`.

Each parses, asks the Workspace, renders. The workspace is opened writable so scores
that are missing or stale can be computed once and kept.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from csmetrics.cli.common import (
    DEFAULT_WORKSPACE,
    FormatOption,
    OutputFormat,
    OutputPathOption,
    WorkspaceOption,
    console,
    emit,
)
from csmetrics.cli.kpi_cmds import PeriodOption
from csmetrics.workspace import Workspace

health_app = typer.Typer(
    help="Health scores, their explanation, the outcome/experience quadrant and the back-test.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Health model (health.models); default: the default one."),
]
ScoresByOption = Annotated[
    str,
    typer.Option(
        "--by", "-b", help="account (one row each), or csm, team, tier, segment, company."
    ),
]
BAND_STYLE = {"red": "bold red", "yellow": "yellow", "green": "green"}


def register(app: typer.Typer) -> None:
    """Mount the `health` command group."""
    app.add_typer(health_app, name="health")


@health_app.command("scores")
def scores(
    by: ScoresByOption = "account",
    period: PeriodOption = None,
    model: ModelOption = None,
    band: Annotated[
        str | None, typer.Option("--band", help="Only accounts in this band: red, yellow, green.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="Show at most this many rows.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Health scores (0-100, higher is healthier) with band, change, trend and why.

    On the as-of day of the data, or the last day of --period. Accounts are listed
    least healthy first.
    """
    if band is not None and band.lower() not in BAND_STYLE:
        raise typer.BadParameter(f"{band!r}: use red, yellow or green", param_hint="--band")
    with Workspace.open(workspace) as ws:
        frame = ws.health_scores(period, by=by, model=model)
        name = model or ws.config.health.default_model
    if band is not None and "band" in frame:
        frame = frame[frame["band"] == band.lower()].reset_index(drop=True)
    if limit is not None:
        frame = frame.head(limit)
    if fmt is not OutputFormat.table:
        emit(frame if fmt is OutputFormat.parquet else _iso_dates(frame), fmt, output)
        return
    if frame.empty:
        console.print("no account is scored on that day")
        return
    first = frame.iloc[0]
    title = (
        f"Health ({name} model) on {first['as_of']}: 0-100, higher is healthier; "
        f"change vs {first['compared_to']}, trend vs {first['trend_since']}"
    )
    _print(_scores_grid(frame, by, title), output)


@health_app.command("explain")
def explain(
    account: Annotated[str, typer.Argument(help="The account_id to explain.")],
    period: PeriodOption = None,
    model: ModelOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """One account's score measure by measure: raw value, points, weight, contribution."""
    with Workspace.open(workspace) as ws:
        e = ws.explain_health(account, period, model)
    if fmt is OutputFormat.json:
        payload = {
            "model": e.model,
            "account_id": e.account_id,
            "account_name": e.account_name,
            "tier": e.tier,
            "as_of": e.as_of.isoformat(),
            "score": e.score,
            "band": e.band,
            "better": e.better,
            "bands": e.bands.model_dump(),
            "previous_day": e.previous_day.isoformat(),
            "previous_score": e.previous_score,
            "change": e.change,
            "why": e.why,
            "trend_since": e.trend_since.isoformat(),
            "trend": e.trend,
            "measures": _records(e.measures),
            "history": _records(_iso_dates(e.history)),
        }
        _write(json.dumps(payload, indent=2) + "\n", output)
        return
    if fmt is not OutputFormat.table:
        emit(e.measures, fmt, output)
        return
    buffer = Console(record=True, width=200) if output else console
    band = f"[{BAND_STYLE.get(e.band or '', '')}]{e.band}[/]" if e.band else "no band"
    buffer.print(
        f"[bold]{e.account_id}[/] {e.account_name} ({e.tier or 'no tier'}): health "
        f"[bold]{_num(e.score)}[/] {band} on {e.as_of} ({e.model} model; higher is healthier; "
        f"red below {e.bands.red_below:g}, green from {e.bands.green_from:g})",
        highlight=False,
    )
    buffer.print(
        f"change vs {e.previous_day}: {_signed(e.change)} ({e.why or 'no earlier score'}); "
        f"trend since {e.trend_since}: {_signed(e.trend)}",
        highlight=False,
    )
    grid = Table(header_style="bold", show_footer=True)
    narrow = buffer.width < 140  # keep what explains the score; drop where it comes from
    columns = [
        ("measure", "left", "score"),
        ("source", "left", ""),
        ("value", "right", ""),
        ("points", "right", ""),
        ("weight", "right", ""),
        ("share", "right", ""),
        ("contribution", "right", _num(e.score, 2)),
        (f"on {e.previous_day}", "right", ""),
        ("change", "right", _signed(e.change, 2)),
        ("note", "left", ""),
    ]
    if narrow:
        columns = [c for c in columns if c[0] not in ("source", f"on {e.previous_day}")]
    for title, justify, footer in columns:
        grid.add_column(title, justify=justify, footer=footer)  # type: ignore[arg-type]
    for row in e.measures.itertuples(index=False):
        cells = [
            row.label,
            row.source,
            row.value,
            _num(row.points),
            f"{row.weight:g}",
            f"{100 * row.share:.1f}%",
            _num(row.contribution, 2),
            row.previous,
            _signed(row.contribution_change, 2),
            row.note,
        ]
        if narrow:
            cells = [c for i, c in enumerate(cells) if i not in (1, 7)]
        grid.add_row(*cells)
    buffer.print(grid)
    recent = e.history.tail(13)
    trend = Table(title="Score at each month end", header_style="bold")
    for column in ("as of", "score", "band"):
        trend.add_column(column, justify="left" if column != "score" else "right")
    for row in recent.itertuples(index=False):
        trend.add_row(str(row.as_of), _num(row.score), _band_text(row.band))
    buffer.print(trend)
    if output is not None:
        output.write_text(buffer.export_text(), "utf-8")  # type: ignore[union-attr]


@health_app.command("quadrant")
def quadrant(
    by: Annotated[
        str, typer.Option("--by", "-b", help="company, csm, team, tier or segment.")
    ] = "company",
    period: PeriodOption = None,
    movement: Annotated[
        bool, typer.Option("--movement", help="csv/json: the movement since last quarter.")
    ] = False,
    accounts: Annotated[
        bool, typer.Option("--accounts", help="List each account's outcome and experience.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Customer outcome vs customer experience: accounts and ARR per quadrant, and movement."""
    with Workspace.open(workspace) as ws:
        q = ws.quadrant(period, by=by)
        split = ws.config.quadrant
    if accounts:
        emit(_shown(q.accounts.sort_values(["quadrant", "account_id"]), fmt), fmt, output)
        return
    if fmt is not OutputFormat.table:
        emit(q.movement if movement else q.summary, fmt, output)
        return
    out = Console(record=True, width=200) if output else console
    money = {"arr": _money, "share": _pct, "arr_share": _pct}
    out.print(
        _frame_grid(
            q.summary,
            f"Outcome vs experience on {q.as_of} ({q.model} model; high = "
            f"outcome from {split.outcome_split:g}, experience from {split.experience_split:g})",
            money,
        )
    )
    out.print(
        _frame_grid(q.movement, f"Movement from {q.previous_day} to {q.as_of}", {"arr": _money})
    )
    if output is not None:
        output.write_text(out.export_text(), "utf-8")  # type: ignore[union-attr]


@health_app.command("backtest")
def backtest(
    model: ModelOption = None,
    horizon: Annotated[
        int | None,
        typer.Option("--horizon", help="Months between the score and the renewal (default 3)."),
    ] = None,
    cutoff: Annotated[
        str | None,
        typer.Option("--cutoff", help="Train before this day, test from it (YYYY-MM-DD)."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """How well the score predicted churn at each renewal in history, and a learned model."""
    with Workspace.open(workspace) as ws:
        b = ws.health_backtest(model, horizon, cutoff)
    if fmt is OutputFormat.json:
        _write(json.dumps(_backtest_payload(b), indent=2) + "\n", output)
        return
    if fmt is not OutputFormat.table:
        emit(_iso_dates(b.examples.drop(columns=["known_on"])), fmt, output)
        return
    out = Console(record=True, width=200) if output else console
    out.print(
        f"[bold]Back-test of the {b.model} model[/]: score {b.horizon_months} months before "
        f"each renewal, history to {b.as_of}",
        highlight=False,
    )
    out.print(
        f"{b.renewals:,} renewals scored ({b.churned:,} churned, "
        f"{_pct(b.churned / b.renewals)}); {b.unscored:,} had no score that early.  "
        f"AUC {_num(b.auc, 3)}; red-band churn {_times(b.red_vs_green)} green-band churn",
        highlight=False,
    )
    out.print(_frame_grid(b.bands, "Churn by band", {"churn_rate": _pct, "lift": _times}))
    out.print(_frame_grid(b.by_term, "By billing term", {"churn_rate": _pct, "auc": _auc}))
    out.print(
        f"Learned model: trained on {b.train[0]:,} renewals before {b.cutoff} "
        f"({b.train[1]:,} churned), tested on {b.test[0]:,} from it ({b.test[1]:,} churned)",
        highlight=False,
    )
    if b.learned_note:
        out.print(f"[yellow]{b.learned_note}[/]", highlight=False)
    else:
        formats = {"auc": _auc, "brier": _dec, "log_loss": _dec}
        out.print(_frame_grid(b.comparison, "Hand vs learned, on the test renewals", formats))
        out.print("(Brier score and log loss judge probabilities; the hand score is not one.)")
        cal = {"predicted": _pct, "observed": _pct}
        out.print(_frame_grid(b.calibration, "Calibration (test renewals by decile)", cal))
        weights = {"weight": _pct_points, "suggested": _pct_points, "coefficient": _dec}
        shown = b.weights.rename(columns={"weight": "model weight", "suggested": "suggested"})
        weights["model weight"] = weights.pop("weight")
        out.print(
            _frame_grid(shown, "Weights (share of the total): the model's and suggested", weights)
        )
    if output is not None:
        output.write_text(out.export_text(), "utf-8")  # type: ignore[union-attr]


# -- rendering helpers ---------------------------------------------------------------


def _scores_grid(frame: pd.DataFrame, by: str, title: str) -> Table:
    grid = Table(title=title, header_style="bold")
    if by == "account":
        wide = console.width >= 130
        heads = ("account", "name", "tier", "ARR", "score", "band", "change", "trend")
        if not wide:  # a narrow terminal keeps room for why
            heads = ("account", "tier", "ARR", "score", "band", "change")
        for head in heads:
            right = head in ("ARR", "score", "change", "trend")
            short = head in ("name", "tier")
            grid.add_column(
                head,
                justify="right" if right else "left",
                no_wrap=True,
                max_width=18 if short else None,
                overflow="ellipsis",
            )
        grid.add_column("why", min_width=24)
        for row in frame.itertuples(index=False):
            cells = {
                "account": str(row.account_id),
                "name": str(row.account_name),
                "tier": str(row.tier),
                "ARR": _money(row.arr) if wide else _short_money(row.arr),
                "score": _num(row.score),
                "band": _band_text(row.band),
                "change": _signed(row.change),
                "trend": _signed(row.trend),
            }
            why = str(row.why) if isinstance(row.why, str) else ""
            grid.add_row(*[cells[h] for h in heads], why)
        return grid
    keys = [c for c in frame.columns if c not in _GROUP_VALUES | _META | {"csm_id"}]
    for head in [*keys, "accounts", "score", "change", "red", "yellow", "green", "ARR", "red ARR"]:
        grid.add_column(head, justify="left" if head in keys else "right")
    for row in frame.to_dict("records"):
        grid.add_row(
            *[str(row[k]) for k in keys],
            f"{row['accounts']:,}",
            _num(row["score"]),
            _signed(row["change"]),
            f"[red]{row['red']:,}[/]",
            f"[yellow]{row['yellow']:,}[/]",
            f"[green]{row['green']:,}[/]",
            _short_money(row["arr"]),
            _short_money(row["red_arr"]),
        )
    return grid


_GROUP_VALUES = {
    "accounts",
    "scored",
    "score",
    "change",
    "arr",
    "red",
    "yellow",
    "green",
    "red_arr",
    "yellow_arr",
    "green_arr",
}
_META = {"as_of", "compared_to", "trend_since", "better"}


def _frame_grid(frame: pd.DataFrame, title: str, formats: dict[str, Any]) -> Table:
    grid = Table(title=title, header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        grid.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.to_dict("records"):
        cells = []
        for column, value in row.items():
            render = formats.get(column)
            if render is not None:
                cells.append(render(value))
            elif isinstance(value, float):
                cells.append(_num(value))
            elif isinstance(value, int):
                cells.append(f"{value:,}")
            else:
                cells.append(_band_text(value) if column == "band" else str(value))
        grid.add_row(*cells)
    return grid


def _backtest_payload(b: Any) -> dict[str, Any]:
    return {
        "model": b.model,
        "horizon_months": b.horizon_months,
        "as_of": b.as_of.isoformat(),
        "cutoff": b.cutoff.isoformat(),
        "renewals": b.renewals,
        "churned": b.churned,
        "unscored": b.unscored,
        "auc": b.auc,
        "red_vs_green": b.red_vs_green,
        "bands": _records(b.bands),
        "by_term": _records(b.by_term),
        "train": {"renewals": b.train[0], "churned": b.train[1]},
        "test": {"renewals": b.test[0], "churned": b.test[1]},
        "learned_note": b.learned_note,
        "comparison": _records(b.comparison),
        "calibration": _records(b.calibration),
        "weights": _records(b.weights),
        "context_coefficients": b.context_coefficients,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].map(lambda v: hasattr(v, "isoformat")).any():
            shown[column] = shown[column].map(
                lambda v: v.isoformat() if hasattr(v, "isoformat") else v
            )
    return shown


def _shown(frame: pd.DataFrame, fmt: OutputFormat) -> pd.DataFrame:
    if fmt is not OutputFormat.table:
        return frame
    return frame.assign(
        outcome=frame["outcome"].map(_num),
        experience=frame["experience"].map(_num),
        arr=frame["arr"].map(_money),
    )


def _print(grid: Table, output: Path | None) -> None:
    if output is None:
        console.print(grid)
        return
    buffer = Console(record=True, width=200)
    buffer.print(grid)
    output.write_text(buffer.export_text(), "utf-8")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, "utf-8")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: object, digits: int = 1) -> str:
    return "" if _missing(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _signed(value: object, digits: int = 1) -> str:
    if _missing(value):
        return ""
    rounded = round(float(value), digits) + 0.0  # type: ignore[arg-type]  # no "-0.0"
    return f"{rounded:+.{digits}f}" if rounded else f"{0:.{digits}f}"


def _short_money(value: object) -> str:
    """12.4M, 46.3k, 950: money at a glance in narrow columns."""
    if _missing(value):
        return ""
    amount = float(value)  # type: ignore[arg-type]
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(amount) >= size:
            return f"{amount / size:.1f}{suffix}"
    return f"{amount:.0f}"


def _money(value: object) -> str:
    return "" if _missing(value) else f"{float(value):,.0f}"  # type: ignore[arg-type]


def _pct(value: object) -> str:
    return "" if _missing(value) else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]


def _pct_points(value: object) -> str:
    return "" if _missing(value) else f"{float(value):.1f}%"  # type: ignore[arg-type]


def _times(value: object) -> str:
    return "n/a" if _missing(value) else f"{float(value):.1f}x"  # type: ignore[arg-type]


def _auc(value: object) -> str:
    return "n/a" if _missing(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def _dec(value: object) -> str:
    return "" if _missing(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def _band_text(band: object) -> str:
    if not isinstance(band, str):
        return ""
    return f"[{BAND_STYLE.get(band, '')}]{band}[/]"
