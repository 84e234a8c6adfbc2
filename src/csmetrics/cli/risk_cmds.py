"""Risk commands: `ctas` (list, close, refresh calls to action) and `health risks`.

Each parses, asks the Workspace, renders. ``csmetrics ctas --csm C07`` lists open
calls to action (refreshing them first when the data is newer than the last
refresh); ``csmetrics ctas close CTA-000012 --outcome "..."`` closes one.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

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
    rich_table,
)
from csmetrics.cli.kpi_cmds import EveryOption, FromOption, PeriodOption, ToOption
from csmetrics.workspace import Workspace

AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Judge the rules on this day (default: the latest day the data covers).",
    ),
]
CsmOption = Annotated[str | None, typer.Option("--csm", help="Only this CSM's accounts (csm_id).")]
RiskByOption = Annotated[
    str,
    typer.Option(
        "--by",
        "-b",
        help="account (the at-risk list with reasons), or at-risk ARR by csm, team, tier, "
        "segment or company.",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `ctas` command group to the app."""
    ctas_app = typer.Typer(
        help="Calls to action opened by risk rules. Without a command: list them, most "
        "urgent first (open ones unless --status says otherwise), after judging the rules "
        "when the data is newer than the last refresh.",
        no_args_is_help=False,
    )
    ctas_app.callback(invoke_without_command=True)(list_ctas)
    ctas_app.command("close")(close_cta)
    ctas_app.command("refresh")(refresh_ctas)
    app.add_typer(ctas_app, name="ctas")


def add_health_commands(health_app: typer.Typer) -> None:
    """Add `risks` to the `health` command group."""
    health_app.command("risks")(risks)


# -- ctas ------------------------------------------------------------------------------


def list_ctas(
    ctx: typer.Context,
    csm: CsmOption = None,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="open, closed or all.", show_default=True)
    ] = "open",
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="List as stored; do not judge the rules first.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List calls to action, most urgent first (open ones unless --status says otherwise).

    When the data runs past the last refresh, the rules are judged on its latest day
    first, so the list is current (--no-refresh to skip).
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = workspace
        return
    with Workspace.open(workspace) as ws:
        if not no_refresh:
            _refresh_if_stale(ws)
        frame = ws.ctas(csm=csm, status=status, account=account)
    who = f" for {csm}" if csm else (f" for {account}" if account else "")
    if frame.empty and fmt is OutputFormat.table:
        console.print(f"no {'' if status == 'all' else status + ' '}calls to action{who}")
        return
    if fmt is OutputFormat.table:
        view = _cta_view(frame, status)
        if csm is not None:
            view = view.drop(columns="owner")
        _emit_table(view, output, f"{status.capitalize()} calls to action{who}")
        return
    emit(_plain(frame, fmt), fmt, output, title="calls to action")


def close_cta(
    ctx: typer.Context,
    cta_id: Annotated[str, typer.Argument(help="The CTA to close, e.g. CTA-000012.")],
    outcome: Annotated[
        str, typer.Option("--outcome", "-m", help="What was done and what came of it.")
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="csm_id of who closes it (default: its owner).")
    ] = None,
    on: Annotated[
        datetime | None,
        typer.Option("--on", formats=["%Y-%m-%d"], help="Day closed (default: today)."),
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace folder (holds csmetrics.yaml)."),
    ] = None,
) -> None:
    """Close a call to action with its outcome."""
    with Workspace.open(_workspace(ctx, workspace)) as ws:
        ws.close_cta(cta_id, outcome, by=by, on=on.date() if on else None)
    console.print(f"[green]✓[/] closed {cta_id}")


def refresh_ctas(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace folder (holds csmetrics.yaml)."),
    ] = None,
) -> None:
    """Judge the risk rules and open, keep or close calls to action accordingly."""
    with Workspace.open(_workspace(ctx, workspace)) as ws:
        result = ws.refresh_ctas(as_of.date() if as_of else None)
    _print_refresh(result)
    for rule in result.evaluation.rules:
        if rule.status == "evaluated":
            console.print(f"  {rule.rule}: fired for {rule.fired:,} account(s)", highlight=False)
        else:
            console.print(f"  [yellow]{rule.rule}: {rule.status}[/]: {rule.note}", highlight=False)


def _workspace(ctx: typer.Context, given: Path | None) -> Path:
    """The subcommand's --workspace, else the group's, else the current folder."""
    if given is not None:
        return given
    return ctx.obj if isinstance(ctx.obj, Path) else DEFAULT_WORKSPACE


def _refresh_if_stale(ws: Workspace) -> None:
    from csmetrics.risk import last_refresh

    latest = last_refresh(ws.engine)
    if latest is not None and latest >= ws.as_of():
        return
    _print_refresh(ws.refresh_ctas(), stream=err_console)


def _print_refresh(result: object, stream: Console = console) -> None:
    from csmetrics.risk import CtaRefresh

    assert isinstance(result, CtaRefresh)
    stream.print(
        f"refreshed calls to action as of {result.as_of.isoformat()}: {result.opened:,} opened, "
        f"{result.kept:,} still open, {result.closed:,} closed"
        + (f", {result.suppressed:,} not reopened (closed by a CSM)" if result.suppressed else ""),
        highlight=False,
    )
    for note in result.evaluation.notes():
        stream.print(f"[yellow]not judged:[/] {note}", highlight=False)


def _cta_view(frame: pd.DataFrame, status: str) -> pd.DataFrame:
    view = pd.DataFrame(
        {
            "cta": frame["cta_id"],
            "priority": frame["priority"],
            "due": frame["due_date"].map(_iso),
            "account": frame["account_name"].fillna(frame["account_id"]),
            "owner": frame["csm_name"].fillna(frame["csm_id"]).fillna(""),
            "rule": frame["rule"],
            "reason": frame["reason"],
            "playbook": frame["playbook"].map(
                lambda steps: "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
            ),
        }
    )
    if status != "open":
        view.insert(1, "status", frame["status"])
        view["outcome"] = [
            "" if o is None else f"{_iso(d)} {o}"
            for o, d in zip(frame["outcome"], frame["closed_at"], strict=True)
        ]
    return view


# -- health risks ---------------------------------------------------------------------


def risks(
    by: RiskByOption = "account",
    as_of: AsOfOption = None,
    period: PeriodOption = None,
    every: EveryOption = None,
    start: FromOption = None,
    end: ToOption = None,
    csm: CsmOption = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this risk rule.")] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputPathOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """At-risk accounts with the reasons (--by account), or at-risk ARR by a grouping.

    Rules are judged on the latest day of data, on --as-of, or on the last day of
    --period (or of each period of an --every series).
    """
    from csmetrics.risk import at_risk

    with Workspace.open(workspace, read_only=True) as ws:
        evaluation = ws.evaluate_risks(
            as_of.date() if as_of else None, period, every, start, end
        ).only(csm, rule)
        currency = ws.config.company.reporting_currency
    days = ", ".join(d.isoformat() for d in evaluation.days)
    if by == "account":
        frame = evaluation.signals
        if fmt is OutputFormat.table:
            accounts = frame.drop_duplicates(["as_of", "account_id"])
            title = (
                f"At-risk accounts on {days}: {len(accounts):,} accounts, "
                f"{money(accounts['arr'].sum())} {currency} ARR"
            )
            _emit_table(_signal_view(frame, len(evaluation.days) > 1), output, title)
        else:
            emit(_plain(frame, fmt), fmt, output, title="at-risk accounts")
    else:
        frame = at_risk(evaluation, by)
        if fmt is OutputFormat.table:
            _emit_table(
                _at_risk_view(frame, len(evaluation.days) > 1),
                output,
                f"At-risk ARR ({currency}) by {by} on {days}",
            )
        else:
            emit(_plain(frame, fmt), fmt, output, title="at-risk ARR")
    for note in evaluation.notes():
        err_console.print(f"[yellow]not judged:[/] {note}", highlight=False)


def _signal_view(frame: pd.DataFrame, dated: bool) -> pd.DataFrame:
    view = pd.DataFrame(
        {
            "account": frame["account_name"],
            "tier": frame["tier"],
            "owner": frame["csm_name"].fillna(frame["csm_id"]).fillna(""),
            "ARR": frame["arr"].map(money),
            "renewal": [
                "" if pd.isna(d) else f"{_iso(r)} ({int(d)} d)"
                for r, d in zip(frame["renewal_date"], frame["days_to_renewal"], strict=True)
            ],
            "rule": frame["rule"],
            "severity": frame["severity"],
            "reason": frame["reason"],
        }
    )
    if dated:
        view.insert(0, "as_of", frame["as_of"].map(_iso))
    return view


def _at_risk_view(frame: pd.DataFrame, dated: bool) -> pd.DataFrame:
    view = frame.copy()
    if not dated:
        view = view.drop(columns="as_of")
    else:
        view["as_of"] = view["as_of"].map(_iso)
    for column in ("arr", "at_risk_arr", "high_risk_arr"):
        view[column] = view[column].map(money)
    view["at_risk_share"] = view["at_risk_share"].map(percent)
    return view


# -- rendering helpers ---------------------------------------------------------------

_RIGHT = {
    "ARR",
    "arr",
    "at_risk_arr",
    "high_risk_arr",
    "at_risk_share",
    "accounts",
    "at_risk_accounts",
    "high_risk_accounts",
}

_WHOLE = {"cta", "status", "priority", "due", "as_of", "ARR", "renewal", *_RIGHT}


def _emit_table(frame: pd.DataFrame, output: Path | None, title: str) -> None:
    grid = rich_table(frame, title)
    grid.show_lines = "playbook" in frame.columns
    for column, name in zip(grid.columns, frame.columns, strict=True):
        if name in _RIGHT:
            column.justify = "right"
        if name in _WHOLE:  # ids, dates and amounts are never cut; the prose wraps
            column.no_wrap = True
            column.min_width = max([len(str(name)), *(len(str(v)) for v in frame[name])])
    if output is None:
        console.print(grid)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(grid)
    output.write_text(buffer.getvalue(), "utf-8")


def _plain(frame: pd.DataFrame, fmt: OutputFormat) -> pd.DataFrame:
    """Dates as ISO text and lists joined for CSV; Parquet and JSON keep lists."""
    if fmt is OutputFormat.parquet:
        return frame
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].map(lambda v: isinstance(v, date)).any():
            shown[column] = shown[column].map(_iso)
    if fmt is OutputFormat.csv and "playbook" in shown:
        shown["playbook"] = shown["playbook"].map(" | ".join)
    return shown


def _iso(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)
