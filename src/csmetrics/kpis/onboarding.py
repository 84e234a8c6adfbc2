"""Onboarding: time to close, SLA, open onboardings and their age, checklist, time to value.

For a period [a, b):

* **Days to close**: closed_at - deal_closed_at over onboardings closed in [a, b).
* **Within SLA**: of those, the share closed in at most the SLA days: the account
  tier's ``onboarding.sla_days_by_tier`` entry, else ``onboarding.sla_days``.
* **Open onboardings**: deal closed before b and not closed by b (closed_at empty or
  >= b); their **age** is (b - 1) - deal_closed_at in days, as of the period's last day.
* **Checklist completion**: over onboardings closed in [a, b), the share of the four
  points done (understands_purchase, setup_assisted, tested, team_trained; empty =
  not done); **checklist complete**: the share with all four done.
* **Time to value**: go_live_at - deal_closed_at over onboardings gone live in [a, b).
* **ARR onboarded in 30 / 90 days**: for onboardings whose deal closed in [a, b), the
  ARR of the onboarded contract (at the rate of day a) when go-live came at most 30
  (90) days after the deal closed. Onboardings without a contract carry no ARR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.fx import with_rate
from csmetrics.kpis.registry import Kpi, Measures, ratio, register, total
from csmetrics.kpis.surveys import in_periods

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

CHECKLIST = ("understands_purchase", "setup_assisted", "tested", "team_trained")


def _days(later: ir.Value, earlier: ir.Value) -> ir.Value:
    return later.delta(earlier, unit="day").cast("int64")


def _with_sla(ctx: KpiContext, o: ir.Table) -> ir.Table:
    cfg = ctx.config.onboarding
    accounts = ctx.table("accounts").select(_a="account_id", _tier="tier")
    o = o.left_join(accounts, o.account_id == accounts._a).drop("_a")
    if cfg.sla_days_by_tier:
        tiers = ibis.memtable(
            {"_t": list(cfg.sla_days_by_tier), "_sla": list(cfg.sla_days_by_tier.values())},
            schema={"_t": "string", "_sla": "int64"},
        )
        o = o.left_join(tiers, o._tier == tiers._t).drop("_t")
        return o.mutate(sla_days=o._sla.fill_null(cfg.sla_days)).drop("_sla", "_tier")
    return o.mutate(sla_days=ibis.literal(cfg.sla_days, "int64")).drop("_tier")


def closed_facts(ctx: KpiContext) -> ir.Table:
    """Per period and onboarding closed in it: days, within-SLA flag, checklist points."""
    o = _with_sla(ctx, ctx.table("onboardings"))
    j = in_periods(ctx, o.filter(o.closed_at.notnull()), "closed_at")
    days = _days(j.closed_at, j.deal_closed_at)
    points = sum(j[c].fill_null(False).cast("int64") for c in CHECKLIST)
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        closed=ibis.literal(1, "int64"),
        days=days,
        within_sla=(days <= j.sla_days).cast("int64"),
        points=points,
        possible=ibis.literal(len(CHECKLIST), "int64"),
        complete=(points == len(CHECKLIST)).cast("int64"),
    )


def open_facts(ctx: KpiContext) -> ir.Table:
    """Per period and onboarding open at its end: age in days on the period's last day."""
    o = ctx.table("onboardings")
    p = ctx.periods_table()
    j = o.join(
        p,
        [
            o.deal_closed_at < p.period_end,
            o.closed_at.isnull() | (o.closed_at >= p.period_end),
        ],
    )
    last = j.period_end - ibis.interval(days=1)
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        open=ibis.literal(1, "int64"),
        age=_days(last, j.deal_closed_at),
    )


def live_facts(ctx: KpiContext) -> ir.Table:
    """Per period and onboarding gone live in it: days from deal close to go-live."""
    o = ctx.table("onboardings")
    j = in_periods(ctx, o.filter(o.go_live_at.notnull()), "go_live_at")
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        live=ibis.literal(1, "int64"),
        days=_days(j.go_live_at, j.deal_closed_at),
    )


def arr_onboarded_facts(ctx: KpiContext) -> ir.Table:
    """Per period and onboarding whose deal closed in it: contract ARR live within 30/90 days."""
    o = ctx.table("onboardings")
    c = ctx.table("contracts").select(_c="contract_id", _arr="arr", currency="currency")
    o = o.join(c, o.contract_id == c._c)
    j = in_periods(ctx, o, "deal_closed_at")
    j = with_rate(ctx, j, ctx.periods_table().select("period_start"), "period_start", "fx_rate")
    arr = j._arr.cast("float64") * j.fx_rate
    took = _days(j.go_live_at, j.deal_closed_at)
    zero = ibis.literal(0.0)
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        arr_30=ibis.ifelse(j.go_live_at.notnull() & (took <= 30), arr, zero),
        arr_90=ibis.ifelse(j.go_live_at.notnull() & (took <= 90), arr, zero),
    )


def _mean(column: str, count: str) -> Measures:
    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        return {"numerator": facts[column].sum(), "denominator": facts[count].sum()}

    return measures


_TABLES = {"family": "onboarding", "tables": ("onboardings",)}

register(
    Kpi(
        name="onboarding_days",
        title="Days to close onboarding",
        description="Mean days from deal close to onboarding close, over onboardings closed in the period.",
        formula="sum of (closed_at - deal_closed_at) / onboardings closed",
        unit="days",
        direction="lower",
        facts=closed_facts,
        measures=_mean("days", "closed"),
        parts="days",
        average=True,
        example="Closed after 20 and 40 days -> 30.0 days.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="onboarding_within_sla",
        title="Onboardings within SLA",
        description=(
            "Share of onboardings closed in the period within the SLA days (per tier "
            "override, else onboarding.sla_days)."
        ),
        formula="onboardings closed in <= SLA days / onboardings closed",
        unit="ratio",
        direction="higher",
        facts=closed_facts,
        measures=ratio("within_sla", "closed"),
        example="SLA 30: closed after 20 and 40 days -> 0.50.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="open_onboardings",
        title="Open onboardings",
        description="Onboardings whose deal closed before the period's end and still open at it.",
        formula="count of onboardings with deal_closed_at < b and (closed_at empty or >= b)",
        unit="count",
        direction="lower",
        facts=open_facts,
        measures=total("open"),
        example="Deal closed 2026-06-01, not closed by 2026-08-01 -> open in 2026-07.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="open_onboarding_age_days",
        title="Open onboarding age",
        description="Mean age in days, on the period's last day, of the onboardings open at its end.",
        formula="sum of ((b - 1) - deal_closed_at) / open onboardings",
        unit="days",
        direction="lower",
        facts=open_facts,
        measures=_mean("age", "open"),
        parts="days",
        average=True,
        example="Deal closed 2026-06-01, open on 2026-07-31 -> 60 days.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="onboarding_checklist_completion",
        title="Onboarding checklist completion",
        description=(
            "Share of the four checklist points (understands purchase, setup assisted, tested, "
            "team trained) done, over onboardings closed in the period."
        ),
        formula="checklist points done / (4 x onboardings closed)",
        unit="ratio",
        direction="higher",
        facts=closed_facts,
        measures=ratio("points", "possible"),
        example="Two onboardings with 4 and 2 points done -> 6 / 8 = 0.75.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="onboarding_checklist_complete",
        title="Onboardings with the full checklist",
        description="Share of onboardings closed in the period with all four checklist points done.",
        formula="onboardings closed with 4 of 4 points / onboardings closed",
        unit="ratio",
        direction="higher",
        facts=closed_facts,
        measures=ratio("complete", "closed"),
        example="Two onboardings with 4 and 2 points done -> 0.50.",
        **_TABLES,
    )
)

register(
    Kpi(
        name="time_to_value_days",
        title="Time to value",
        description="Mean days from deal close to go-live, over onboardings gone live in the period.",
        formula="sum of (go_live_at - deal_closed_at) / onboardings gone live",
        unit="days",
        direction="lower",
        facts=live_facts,
        measures=_mean("days", "live"),
        parts="days",
        average=True,
        example="Live after 10 and 50 days -> 30.0 days.",
        **_TABLES,
    )
)

for _window in (30, 90):
    register(
        Kpi(
            name=f"arr_onboarded_{_window}d",
            title=f"ARR live within {_window} days",
            description=(
                f"ARR of the contracts whose deal closed in the period and went live within "
                f"{_window} days of the deal close (per CSM: the account's owner)."
            ),
            formula=f"sum of contract ARR where go_live_at - deal_closed_at <= {_window} days",
            unit="money",
            direction="higher",
            tables=("onboardings", "contracts"),
            facts=arr_onboarded_facts,
            measures=total(f"arr_{_window}"),
            family="onboarding",
            example=(
                f"Deals of 12,000 (live after 20 days) and 6,000 (live after 60 days) -> "
                f"{'12,000' if _window == 30 else '18,000'}."
            ),
        )
    )
