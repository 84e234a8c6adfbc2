"""Team overview: the headline KPIs of the viewer's selection, their trend and breakdown."""

from __future__ import annotations

from datetime import date

from csmetrics import risk
from csmetrics.periods import Period
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import (
    Chart,
    Number,
    Series,
    Table,
    View,
    kpi_number,
    page,
    period_as_of,
)
from csmetrics.web.views.common import breakdown, breakdown_key, trend

TILES = ("arr", "nrr", "grr", "logo_retention", "nps", "onboarding_within_sla")
BREAKDOWN = ("arr", "active_accounts", "nrr", "grr", "logo_retention", "nps", "mau")


@page("overview", "/", "Team overview", EVERYONE)
def overview(d: ScopedData, params: dict[str, str]) -> View:
    """ARR, retention, at-risk ARR, NPS, MAU vs target and onboarding for a period."""
    period = d.period()
    as_of = period_as_of(period, d.as_of)
    view = View("overview", "Team overview", d.as_of, period)
    view.numbers = [kpi_number(name, d.kpi(name), as_of, period) for name in TILES]
    view.numbers.insert(4, at_risk_number(d, period, as_of))
    view.numbers.insert(6, mau_number(d, period, as_of))
    charts = (
        trend(d, "arr", "ARR at quarter end", ["arr"], chart="bar"),
        trend(d, "retention", "Retention by quarter", ["nrr", "grr", "logo_retention"]),
        at_risk_chart(d),
        trend(d, "nps", "NPS by quarter", ["nps"]),
        trend(d, "mau", "Monthly active users by month", ["mau"], kind="month"),
        trend(d, "onboarding", "Onboardings within SLA by quarter", ["onboarding_within_sla"]),
    )
    view.charts = [c for c in charts if c is not None]
    key = breakdown_key(d)
    frame, columns = breakdown(d, key, BREAKDOWN, period, at_risk_day=period.last_day)
    title = f"{period.label} by {columns[0].label.lower()}"
    view.tables.append(Table("breakdown", title, frame, columns, as_of))
    return view


def at_risk_number(d: ScopedData, period: Period, as_of: date) -> Number:
    """At-risk ARR on the period's last day, with the share of ARR it is."""
    summary = risk.at_risk(d.evaluation(period.last_day), "company")
    if summary.empty:
        return Number("at_risk_arr", "At-risk ARR", None, "money", as_of, period.label)
    row = summary.iloc[-1]
    return Number(
        "at_risk_arr",
        "At-risk ARR",
        float(row["at_risk_arr"]),
        "money",
        as_of,
        period.label,
        numerator=float(row["at_risk_arr"]),
        denominator=float(row["arr"]),
        note=f"{int(row['at_risk_accounts'])} of {int(row['accounts'])} paying accounts",
        href="/risks",
        parts_unit="money",
    )


def at_risk_chart(d: ScopedData) -> Chart | None:
    quarter_ends = {p.last_day: p.label for p in d.periods("quarter")}
    summary = d.at_risk(list(quarter_ends))
    rows = summary[summary["as_of"].isin(list(quarter_ends))]
    if rows.empty:
        return None
    return Chart(
        "at_risk",
        "At-risk ARR at quarter end",
        [quarter_ends[day] for day in rows["as_of"]],
        [Series("At-risk ARR", [float(v) for v in rows["at_risk_arr"]])],
        "money",
        d.as_of,
        "bar",
    )


def mau_number(d: ScopedData, period: Period, as_of: date) -> Number:
    """MAU of the period's last month against the selection's MAU target."""
    mau = d.kpi("mau")
    value = mau.value if mau is not None else None
    target = d.attainment("mau_attainment")
    if target is None or not target.denominator:
        note = "no MAU target for this selection"
        return Number("mau", "MAU vs target", value, "count", as_of, period.label, note=note)
    share = target.value
    return Number(
        "mau",
        "MAU vs target",
        value,
        "count",
        as_of,
        period.label,
        numerator=value,
        denominator=target.denominator,
        note=f"{share * 100:.0f}% of target" if share is not None else "",
        compare=target.denominator,
        compare_label="target",
    )
