"""Compensation statements and health (scores by band and the back-test)."""

from __future__ import annotations

import pandas as pd

from csmetrics.compensation import statement_rows
from csmetrics.periods import Period, parse_period
from csmetrics.web.roles import EVERYONE, LEADERS
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import Chart, Column, Number, Series, Table, View, page


def _comp_period(d: ScopedData) -> Period:
    """The period filter, else the last complete quarter."""
    if d.filters.period:
        return parse_period(d.filters.period, d.fiscal)
    return d.periods("quarter")[-1]


@page("compensation", "/compensation", "Compensation", EVERYONE, template="compensation.html.j2")
def compensation(d: ScopedData, params: dict[str, str]) -> View:
    """Payout statements: a CSM sees their own, a manager their team's, leaders everyone's."""
    period = _comp_period(d)
    view = View("compensation", f"Compensation {period.label}", d.as_of, period)
    found = d.statements(period)
    if d.filters.csm:
        found = [s for s in found if s.csm_id == d.filters.csm]
    if not found:
        view.notes.append(
            f"no payout statement for {period.label} in your view (no plan pays for this period, or no one on it)"
        )
    summary = pd.DataFrame(
        [
            {
                "csm_id": s.csm_id,
                "name": s.payee.name,
                "team": s.payee.team,
                "plan": s.plan_title,
                "target_pay": s.target_pay,
                "total": s.total,
                "payout": s.payout,
                "currency": s.currency,
            }
            for s in found
        ],
        columns=["csm_id", "name", "team", "plan", "target_pay", "total", "payout", "currency"],
    )
    if len(found):
        view.numbers = [
            Number("statements", "Statements", len(found), "count", d.as_of, period.label),
            Number(
                "target_pay",
                "On-target pay",
                float(summary["target_pay"].sum()),
                "money",
                d.as_of,
                period.label,
            ),
            Number(
                "total", "Earned", float(summary["total"].sum()), "money", d.as_of, period.label
            ),
        ]
    view.tables.append(
        Table(
            "statements",
            "Statements",
            summary,
            [
                Column("name", "CSM", link="/compensation?csm={csm_id}&period=" + period.label),
                Column("csm_id", "csm_id"),
                Column("team", "Team"),
                Column("plan", "Plan"),
                Column("target_pay", "On-target pay", "money"),
                Column("total", "Earned", "money"),
                Column("payout", "Payout", "ratio"),
            ],
            d.as_of,
        )
    )
    lines = statement_rows(found) if found else pd.DataFrame()
    if len(lines):
        view.tables.append(
            Table(
                "lines",
                "Every component with the numbers it used",
                lines,
                [Column(c, c.replace("_", " "), "text") for c in lines.columns],
                d.as_of,
                limit=0,
            )
        )
    view.extra["statements"] = found
    return view


@page("health", "/health", "Health", EVERYONE, periodic=False)
def health(d: ScopedData, params: dict[str, str]) -> View:
    """Today's health scores: accounts and ARR by band, and the accounts that fell most."""
    view = View("health", "Health", d.as_of)
    scores = d.health_scores()
    if isinstance(scores, str):
        view.notes.append(f"health scores are not available: {scores}")
        return view
    f = d.filters
    for column, wanted in (
        ("tier", f.tier),
        ("segment", f.segment),
        ("team", f.team),
        ("csm_id", f.csm),
    ):
        if wanted:
            scores = scores[scores[column].astype("string") == wanted]
    bands = (
        scores.groupby("band")
        .agg(accounts=("account_id", "size"), arr=("arr", "sum"))
        .reindex(["red", "yellow", "green"])
        .fillna(0)
        .reset_index()
    )
    view.numbers = [
        Number(
            "mean",
            "Mean score",
            float(scores["score"].mean()) if len(scores) else None,
            "score",
            d.as_of,
        ),
        *[
            Number(
                f"{row.band}_arr",
                f"ARR {row.band}",
                float(row.arr),
                "money",
                d.as_of,
                note=f"{int(row.accounts)} accounts",
            )
            for row in bands.itertuples()
        ],
    ]
    view.charts.append(
        Chart(
            "bands",
            "ARR by health band",
            list(bands["band"]),
            [Series("ARR", [float(v) for v in bands["arr"]])],
            "money",
            d.as_of,
            "bar",
        )
    )
    cols = [
        Column("account_name", "Account", link="/accounts/{account_id}"),
        Column("csm_name", "CSM"),
        Column("tier", "Tier"),
        Column("arr", "ARR", "money"),
        Column("score", "Score", "score"),
        Column("band", "Band"),
        Column("change", "Change", "score"),
        Column("why", "Why"),
    ]
    view.tables.append(
        Table(
            "scores",
            "Scores, lowest first",
            scores.sort_values("score").reset_index(drop=True),
            cols,
            d.as_of,
            limit=200,
        )
    )
    return view


@page("backtest", "/health/backtest", "Health back-test", LEADERS, periodic=False)
def backtest(d: ScopedData, params: dict[str, str]) -> View:
    """How well the health score predicted churn at each renewal: churn by band, AUC, lift."""
    view = View("backtest", "Health back-test", d.as_of)
    found = d.health_backtest()
    if isinstance(found, str):
        view.notes.append(f"no back-test: {found}")
        return view
    view.subtitle = f"model {found.model}, score {found.horizon_months} months before each renewal"
    view.numbers = [
        Number("auc", "AUC", found.auc, "score", found.as_of, note="0.5 = no better than chance"),
        Number(
            "renewals",
            "Renewals scored",
            found.renewals,
            "count",
            found.as_of,
            note=f"{found.churned} churned",
        ),
        Number(
            "red_vs_green",
            "Churn red vs green",
            found.red_vs_green,
            "score",
            found.as_of,
            note="times as likely",
        ),
    ]
    view.charts.append(
        Chart(
            "bands",
            "Churn rate by band",
            list(found.bands["band"]),
            [Series("churn rate", [float(v) for v in found.bands["churn_rate"]])],
            "ratio",
            found.as_of,
            "bar",
        )
    )
    if len(found.calibration):
        cal = found.calibration
        view.charts.append(
            Chart(
                "calibration",
                "Learned model: predicted vs observed churn by decile",
                [str(v) for v in cal["decile"]],
                [
                    Series("predicted", [float(v) for v in cal["predicted"]]),
                    Series("observed", [float(v) for v in cal["observed"]]),
                ],
                "ratio",
                found.as_of,
            )
        )
    for name, title, frame in (
        ("bands", "By band", found.bands),
        ("by_term", "By billing term", found.by_term),
        ("comparison", "Hand-weighted vs learned", found.comparison),
        ("weights", "Weights: configured and suggested", found.weights),
    ):
        if len(frame):
            view.tables.append(
                Table(
                    name,
                    title,
                    frame,
                    [Column(c, c.replace("_", " "), _unit(c)) for c in frame.columns],
                    found.as_of,
                )
            )
    if found.learned_note:
        view.notes.append(found.learned_note)
    return view


def _unit(column: str) -> str:
    if column in ("renewals", "churned"):
        return "count"
    if column in ("churn_rate",):
        return "ratio"
    if column in ("band", "billing_term", "model", "measure"):
        return "text"
    return "score"
