"""Net profitability (late-stage companies): cost to retain and to expand ARR, CAC payback.

Costs are the ``costs`` rows whose month starts in [a, b), in the reporting currency.
Company grain only: costs are not attributed to accounts.

* **Cost to retain a dollar**: cs_retention cost / retained ARR, where retained ARR
  is the start cohort's kept ARR as in GRR (sum of min(end ARR, start ARR)).
* **Cost to expand a dollar**: cs_expansion cost / expansion ARR of the period (the
  ARR bridge's expansion line).
* **CAC payback (months)**: acquisition cost / new ARR x 12, i.e. the months of new
  recurring revenue that pay back what acquiring it cost (new ARR from the bridge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.movements import bridge_facts
from csmetrics.kpis.registry import Kpi, ratio, register
from csmetrics.kpis.retention import cohort_facts

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

_MONTHS_PER_YEAR = 12.0


def cost_facts(ctx: KpiContext, category: str, scale: float = 1.0) -> ir.Table:
    """Per period: the cost of one category (account_id null: costs are company-wide)."""
    c = ctx.table("costs")
    c = c.filter(c.category == category)
    p = ctx.periods_table()
    j = c.join(p, [c.month >= p.period_start, c.month < p.period_end])
    return j.select(
        *PERIOD_COLUMNS,
        account_id=ibis.null("string"),
        cost=j.amount.cast("float64") * scale,
        arr=ibis.literal(0.0),
    )


def _with_arr(ctx: KpiContext, category: str, arr: ir.Table, scale: float = 1.0) -> ir.Table:
    costs = cost_facts(ctx, category, scale)
    arr = arr.select(*PERIOD_COLUMNS, "account_id", cost=ibis.literal(0.0), arr="arr")
    return ibis.union(costs, arr)


def retain_facts(ctx: KpiContext) -> ir.Table:
    t = cohort_facts(ctx)
    return _with_arr(ctx, "cs_retention", t.mutate(arr=t.kept_arr))


def expand_facts(ctx: KpiContext) -> ir.Table:
    t = bridge_facts(ctx)
    return _with_arr(ctx, "cs_expansion", t.mutate(arr=t.expansion))


def payback_facts(ctx: KpiContext) -> ir.Table:
    t = bridge_facts(ctx)
    return _with_arr(ctx, "acquisition", t.mutate(arr=t.new), scale=_MONTHS_PER_YEAR)


_COMMON = {
    "family": "profitability",
    "grains": ("company",),
    "parts": "money",
    "measures": ratio("cost", "arr"),
}

register(
    Kpi(
        name="cost_to_retain",
        title="Cost to retain a dollar of ARR",
        description="CS retention cost of the period per dollar of ARR retained from its start cohort.",
        formula="cs_retention cost / sum over the start cohort of min(end ARR, start ARR)",
        unit="ratio",
        direction="lower",
        tables=("costs", "contracts"),
        facts=retain_facts,
        example="20,000 of cs_retention cost, 400,000 ARR retained -> 0.05 per dollar.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="cost_to_expand",
        title="Cost to expand a dollar of ARR",
        description="CS expansion cost of the period per dollar of expansion ARR.",
        formula="cs_expansion cost / expansion ARR (ARR bridge)",
        unit="ratio",
        direction="lower",
        tables=("costs", "contracts"),
        facts=expand_facts,
        example="6,000 of cs_expansion cost, 24,000 expansion ARR -> 0.25 per dollar.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="cac_payback_months",
        title="CAC payback",
        description="Months of new recurring revenue needed to pay back the acquisition cost.",
        formula="acquisition cost / new ARR x 12 (months)",
        unit="score",
        direction="lower",
        tables=("costs", "contracts"),
        facts=payback_facts,
        average=True,
        example="30,000 acquisition cost, 60,000 new ARR -> 30,000 / 60,000 x 12 = 6 months.",
        **_COMMON,
    )
)
