"""The at-risk list and the calls to action."""

from __future__ import annotations

import pandas as pd

from csmetrics import risk
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import Column, Number, Table, View, page
from csmetrics.web.views.overview import at_risk_chart

SORTS = {"arr": ("arr", False), "renewal": ("renewal_date", True)}


@page("risks", "/risks", "At risk", EVERYONE, params=("sort",), periodic=False)
def risks(d: ScopedData, params: dict[str, str]) -> View:
    """Accounts with a risk rule firing on the as-of day, sortable by ARR or renewal date."""
    view = View("risks", "At-risk accounts", d.as_of)
    evaluation = d.evaluation(d.as_of)
    summary = risk.at_risk(evaluation, "company")
    signals = evaluation.signals
    if not summary.empty:
        row = summary.iloc[-1]
        view.numbers = [
            Number(
                "at_risk_arr",
                "At-risk ARR",
                float(row["at_risk_arr"]),
                "money",
                d.as_of,
                numerator=float(row["at_risk_arr"]),
                denominator=float(row["arr"]),
                parts_unit="money",
            ),
            Number(
                "at_risk_share",
                "Share of ARR at risk",
                _share(row),
                "ratio",
                d.as_of,
                numerator=float(row["at_risk_arr"]),
                denominator=float(row["arr"]),
                parts_unit="money",
            ),
            Number(
                "at_risk_accounts",
                "Accounts at risk",
                int(row["at_risk_accounts"]),
                "count",
                d.as_of,
                note=f"of {int(row['accounts'])} paying",
            ),
            Number(
                "high_risk_arr",
                "High-severity ARR",
                float(row["high_risk_arr"]),
                "money",
                d.as_of,
                note=f"{int(row['high_risk_accounts'])} accounts",
            ),
        ]
    chart = at_risk_chart(d)
    if chart is not None:
        view.charts.append(chart)
    accounts = _per_account(signals)
    column, ascending = SORTS.get(params.get("sort", "arr"), SORTS["arr"])
    accounts = accounts.sort_values(
        [column, "account_name"], ascending=[ascending, True], na_position="last"
    )
    view.tables.append(
        Table(
            "accounts",
            "At-risk accounts",
            accounts.reset_index(drop=True),
            [
                Column("account_name", "Account", link="/accounts/{account_id}"),
                Column("csm_name", "CSM"),
                Column("tier", "Tier"),
                Column("arr", "ARR", "money"),
                Column("renewal_date", "Renewal", "date"),
                Column("days_to_renewal", "Days to renewal", "count"),
                Column("severity", "Worst severity"),
                Column("rules", "Rules firing"),
                Column("reasons", "Why"),
            ],
            d.as_of,
        )
    )
    by_rule = (
        signals.groupby(["rule", "title", "severity"])
        .agg(accounts=("account_id", "nunique"), arr=("arr", "sum"))
        .reset_index()
        .sort_values("arr", ascending=False)
        if not signals.empty
        else pd.DataFrame(columns=["rule", "title", "severity", "accounts", "arr"])
    )
    view.tables.append(
        Table(
            "rules",
            "By rule",
            by_rule,
            [
                Column("title", "Rule"),
                Column("severity", "Severity"),
                Column("accounts", "Accounts", "count"),
                Column("arr", "ARR", "money"),
            ],
            d.as_of,
        )
    )
    view.notes += [f"not judged: {note}" for note in evaluation.notes()]
    view.extra["sort"] = params.get("sort", "arr")
    return view


_SEVERITY = {"high": 0, "medium": 1, "low": 2}


def _per_account(signals: pd.DataFrame) -> pd.DataFrame:
    """One row per account: its rules, reasons and worst severity."""
    if signals.empty:
        return pd.DataFrame(
            columns=[
                "account_id",
                "account_name",
                "csm_name",
                "tier",
                "arr",
                "renewal_date",
                "days_to_renewal",
                "severity",
                "rules",
                "reasons",
            ]
        )
    ordered = signals.assign(_rank=signals["severity"].map(_SEVERITY)).sort_values("_rank")
    grouped = ordered.groupby("account_id", sort=False)
    out = grouped.agg(
        account_name=("account_name", "first"),
        csm_name=("csm_name", "first"),
        tier=("tier", "first"),
        arr=("arr", "first"),
        renewal_date=("renewal_date", "first"),
        days_to_renewal=("days_to_renewal", "first"),
        severity=("severity", "first"),
        rules=("title", lambda s: "; ".join(s)),
        reasons=("reason", lambda s: "; ".join(s)),
    )
    return out.reset_index()


def _share(row: pd.Series) -> float | None:
    return float(row["at_risk_arr"]) / float(row["arr"]) if float(row["arr"]) else None


@page(
    "ctas",
    "/ctas",
    "Calls to action",
    EVERYONE,
    template="ctas.html.j2",
    params=("status",),
    periodic=False,
)
def ctas(d: ScopedData, params: dict[str, str]) -> View:
    """Open (or closed) calls to action with their playbook steps, most urgent first."""
    status = params.get("status", "open")
    if status not in ("open", "closed", "all"):
        status = "open"
    view = View("ctas", "Calls to action", d.as_of)
    frame = d.ctas(status)
    opened = d.ctas("open")
    due = pd.to_datetime(opened["due_date"])
    view.numbers = [
        Number("open", "Open CTAs", len(opened), "count", d.as_of),
        Number("overdue", "Overdue", int((due < pd.Timestamp(d.as_of)).sum()), "count", d.as_of),
        Number("urgent", "Urgent", int((opened["priority"] == "urgent").sum()), "count", d.as_of),
        Number(
            "arr",
            "ARR with an open CTA",
            float(opened.drop_duplicates("account_id")["arr"].sum()),
            "money",
            d.as_of,
        ),
    ]
    frame = frame.assign(
        steps=[" / ".join(p) if isinstance(p, list) else "" for p in frame["playbook"]]
    )
    view.tables.append(
        Table(
            "ctas",
            f"Calls to action ({status})",
            frame,
            [
                Column("cta_id", "CTA"),
                Column("status", "Status"),
                Column("priority", "Priority"),
                Column("due_date", "Due", "date"),
                Column("account_name", "Account", link="/accounts/{account_id}"),
                Column("csm_name", "Owner"),
                Column("rule", "Rule"),
                Column("reason", "Reason"),
                Column("steps", "Playbook"),
                Column("arr", "ARR", "money"),
                Column("renewal_date", "Renewal", "date"),
                Column("opened_at", "Opened", "date"),
                Column("closed_at", "Closed", "date"),
                Column("outcome", "Outcome"),
            ],
            d.as_of,
        )
    )
    view.extra["status"] = status
    view.extra["rows"] = frame.to_dict("records")
    return view
