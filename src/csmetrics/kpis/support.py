"""Support: response and resolution times against the SLA, ticket volume, support CSAT.

Tickets belong to the period containing their ``opened_at``. Service levels are
``support.first_response_hours`` and ``support.resolution_hours`` by priority.

* **Time to first response** (hours): mean of first_response_at - opened_at over the
  answered tickets. A ticket never answered has no response time: it is left out of
  the mean (it would otherwise count as 0 or as an arbitrary age).
* **Within SLA** (first response, resolution): met when the response (resolution)
  came within the priority's hours; **breached** when it came later, *or* when it
  never came and the deadline (opened_at + hours) has passed by the tickets' data
  time, the latest opened/answered/resolved timestamp in the table. A ticket still
  inside its deadline with no response yet is pending: in neither part. Share =
  met / (met + breached).
* **Tickets per account per month**: tickets opened / (accounts with a contract in
  force on the period's last day x months in the period; a partial month counts as
  one). Tickets of accounts no longer under contract still count in the numerator.
* **Support CSAT**: share of tickets with a CSAT answer scoring 4-5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.adoption import combine, licenses_at_end
from csmetrics.kpis.context import PERIOD_COLUMNS, month_steps
from csmetrics.kpis.registry import Kpi, Measures, ratio, register
from csmetrics.kpis.surveys import in_periods
from csmetrics.kpis.timeframe import seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

_SECONDS_PER_HOUR = 3600.0


def _hours(later: ir.Value, earlier: ir.Value) -> ir.Value:
    return seconds_between(later, earlier) / _SECONDS_PER_HOUR


def _sla_table(hours: dict[str, float], column: str) -> ir.Table:
    return ibis.memtable(
        {"_priority": list(hours), column: [float(h) for h in hours.values()]},
        schema={"_priority": "string", column: "float64"},
    )


def ticket_facts(ctx: KpiContext) -> ir.Table:
    """Per period and ticket: response/resolution hours and SLA met/breached flags."""
    t = ctx.table("tickets")
    data_time = ibis.greatest(
        t.opened_at.max(),
        t.first_response_at.max().fill_null(t.opened_at.max()),
        t.resolved_at.max().fill_null(t.opened_at.max()),
    ).as_scalar()
    cfg = ctx.config.support
    for hours, column in (
        (cfg.first_response_hours, "_resp_sla"),
        (cfg.resolution_hours, "_res_sla"),
    ):
        sla = _sla_table(hours, column)
        t = t.left_join(sla, t.priority == sla._priority).drop("_priority")
    j = in_periods(ctx, t, "opened_at")
    zero = ibis.literal(0, "int64")

    def judged(done: ir.Value, sla_hours: ir.Value) -> tuple[ir.Value, ir.Value]:
        took = _hours(done, j.opened_at)
        overdue = _hours(data_time, j.opened_at) > sla_hours
        met = done.notnull() & (took <= sla_hours)
        breached = (done.notnull() & (took > sla_hours)) | (done.isnull() & overdue)
        return met.cast("int64"), breached.cast("int64")

    resp_met, resp_breached = judged(j.first_response_at, j._resp_sla)
    res_met, res_breached = judged(j.resolved_at, j._res_sla)
    answered = j.first_response_at.notnull()
    resolved = j.resolved_at.notnull()
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        tickets=ibis.literal(1, "int64"),
        answered=answered.cast("int64"),
        response_hours=ibis.ifelse(answered, _hours(j.first_response_at, j.opened_at), 0.0),
        resolved=resolved.cast("int64"),
        resolution_hours=ibis.ifelse(resolved, _hours(j.resolved_at, j.opened_at), 0.0),
        response_met=resp_met,
        response_judged=resp_met + resp_breached,
        resolution_met=res_met,
        resolution_judged=res_met + res_breached,
        rated=ibis.ifelse(j.csat.notnull(), 1, zero),
        satisfied=ibis.ifelse(j.csat >= 4, 1, zero),
    )


def volume_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: tickets opened and account-months under contract."""
    months = {p.label: len(month_steps(p.start, p.end)) for p in ctx.periods}
    m = ibis.memtable(
        {"_p": list(months), "_months": list(months.values())},
        schema={"_p": "string", "_months": "int64"},
    )
    lic = licenses_at_end(ctx)
    lic = lic.join(m, lic.period == m._p)
    under = lic.select(*PERIOD_COLUMNS, "account_id", account_months=lic._months)
    t = ticket_facts(ctx)
    tickets = t.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(tickets=t.tickets.sum())
    return combine({"tickets": tickets, "account_months": under})


def _mean(column: str, count: str) -> Measures:
    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        return {"numerator": facts[column].sum(), "denominator": facts[count].sum()}

    return measures


_COMMON = {"family": "support", "tables": ("tickets",), "facts": ticket_facts}

register(
    Kpi(
        name="first_response_hours",
        title="Time to first response",
        description=(
            "Mean hours from a ticket's opening to support's first response, over the "
            "answered tickets opened in the period (never-answered tickets are left out)."
        ),
        formula="sum of (first_response_at - opened_at) in hours / answered tickets",
        unit="score",
        direction="lower",
        measures=_mean("response_hours", "answered"),
        parts="score",
        average=True,
        example="Tickets answered after 1 h and 3 h, a third never answered -> 2.0 hours.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="first_response_sla",
        title="First response within SLA",
        description=(
            "Share of tickets answered within the priority's first-response hours; a ticket "
            "never answered counts as a breach once its deadline has passed."
        ),
        formula="tickets answered within SLA / (within SLA + late + unanswered past deadline)",
        unit="ratio",
        direction="higher",
        measures=ratio("response_met", "response_judged"),
        example="urgent SLA 1 h: answered in 0.5 h, in 2 h, never (opened a day ago) -> 1 / 3.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="resolution_hours",
        title="Resolution time",
        description="Mean hours from opening to resolution over resolved tickets opened in the period.",
        formula="sum of (resolved_at - opened_at) in hours / resolved tickets",
        unit="score",
        direction="lower",
        measures=_mean("resolution_hours", "resolved"),
        parts="score",
        average=True,
        example="Resolved after 10 h and 30 h -> 20.0 hours.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="resolution_sla",
        title="Resolution within SLA",
        description=(
            "Share of tickets resolved within the priority's resolution hours; an unresolved "
            "ticket past its deadline is a breach."
        ),
        formula="tickets resolved within SLA / (within SLA + late + unresolved past deadline)",
        unit="ratio",
        direction="higher",
        measures=ratio("resolution_met", "resolution_judged"),
        example="high SLA 24 h: resolved in 20 h and in 30 h -> 0.50.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="support_csat",
        title="Support CSAT",
        description="Share of rated tickets (opened in the period) whose CSAT is 4 or 5.",
        formula="tickets rated 4-5 / rated tickets",
        unit="ratio",
        direction="higher",
        measures=ratio("satisfied", "rated"),
        example="Ratings 5, 4, 1 -> 0.67.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="tickets_per_account_month",
        title="Tickets per account per month",
        description=(
            "Tickets opened in the period per account under contract on its last day, per month."
        ),
        formula="tickets opened / (accounts under contract on day b - 1 x months in the period)",
        unit="count",
        direction="lower",
        tables=("tickets", "contracts"),
        facts=volume_facts,
        measures=_mean("tickets", "account_months"),
        parts="count",
        average=True,
        family="support",
        example="2 accounts under contract, 9 tickets in 2026-Q3 -> 9 / (2 x 3) = 1.5.",
    )
)
