"""Retention KPIs over a period [a, b): logo retention and churn, GRR, NRR, net ARR churn.

The *start cohort* is the accounts with positive ARR on day a. An account whose ARR
on a is zero (never a customer yet, already churned, or only on a free contract) is
outside the cohort: it is in no denominator, and ARR it gains during the period is
new business, not retention. A grain whose cohort is empty has denominator 0 and a
null value.

Revenue retention is measured in constant currency: start and end ARR are both
valued at the rates in force on day a, so an exchange-rate move is neither
expansion nor churn (the ARR bridge shows it on its own ``fx`` line).

Logo retention looks only at the two ends: an account that churns in July and comes
back in September is retained for the quarter (the bridge shows both movements).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.contracts import arr_at_bounds
from csmetrics.kpis.registry import Kpi, ratio, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext


def cohort_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account paying on day a or day b: start, end and kept ARR, logo flags.

    Accounts outside the start cohort (paying only on b) carry zeros, so their owner
    still gets a row: with an empty denominator, hence a null value.
    """
    t = arr_at_bounds(ctx, ctx.periods_table(), "period_index", "period_start", "period_end")
    t = t.filter((t.arr_lo > 0) | (t.arr_hi_const > 0))
    zero = ibis.literal(0.0)
    cohort = t.arr_lo > 0
    start = ibis.ifelse(cohort, t.arr_lo, zero)
    end = ibis.ifelse(cohort, t.arr_hi_const, zero)
    return t.select(
        *PERIOD_COLUMNS,
        "account_id",
        logos_start=cohort.cast("int64"),
        logos_retained=(cohort & (t.arr_hi_const > 0)).cast("int64"),
        logos_lost=(cohort & (t.arr_hi_const <= 0)).cast("int64"),
        start_arr=start,
        end_arr=end,
        kept_arr=ibis.least(end, start),
        lost_arr=start - end,
    )


_COMMON = {
    "tables": ("contracts",),
    "facts": cohort_facts,
    "family": "retention",
}

register(
    Kpi(
        name="logo_retention",
        title="Logo retention",
        description=(
            "Share of the accounts paying on the period's first day that still pay on "
            "the day after it ends."
        ),
        formula="accounts with ARR > 0 on day a and on day b / accounts with ARR > 0 on day a",
        unit="ratio",
        direction="higher",
        measures=ratio("logos_retained", "logos_start"),
        example=(
            "10 accounts pay on 2026-07-01; 9 of them still pay on 2026-10-01 -> "
            "2026-Q3 logo retention = 9 / 10 = 0.90."
        ),
        **_COMMON,
    )
)

register(
    Kpi(
        name="logo_churn",
        title="Logo churn",
        description="Share of the accounts paying on day a that no longer pay on day b.",
        formula="1 - logo retention = accounts lost / accounts with ARR > 0 on day a",
        unit="ratio",
        direction="lower",
        measures=ratio("logos_lost", "logos_start"),
        example="10 accounts at the start, 1 lost -> 1 / 10 = 0.10.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="grr",
        title="Gross revenue retention (GRR)",
        description=(
            "How much of the start cohort's ARR is kept, counting losses but no "
            "expansion; never above 1."
        ),
        formula=(
            "sum over the start cohort of min(end ARR, start ARR) / sum of start ARR "
            "(both at day a's exchange rates)"
        ),
        unit="ratio",
        direction="higher",
        measures=ratio("kept_arr", "start_arr"),
        parts="money",
        example=(
            "A: 100 -> 150, B: 100 -> 60, C: 100 -> 0 -> GRR = (100 + 60 + 0) / 300 = 0.5333."
        ),
        **_COMMON,
    )
)

register(
    Kpi(
        name="nrr",
        title="Net revenue retention (NRR)",
        description=(
            "End ARR of the accounts paying on day a over their start ARR: expansion "
            "counts, new logos (and returning churned logos) do not. Above 1 is "
            "positive net retention."
        ),
        formula="sum over the start cohort of end ARR / sum of start ARR (day a's rates)",
        unit="ratio",
        direction="higher",
        measures=ratio("end_arr", "start_arr"),
        parts="money",
        example="A: 100 -> 150, B: 100 -> 60, C: 100 -> 0 -> NRR = 210 / 300 = 0.70.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="net_arr_churn",
        title="Net ARR churn",
        description=(
            "ARR the start cohort lost (churn + contraction) net of what it gained "
            "(expansion), over its start ARR; negative means the cohort grew. "
            "Equals 1 - NRR."
        ),
        formula=(
            "sum over the start cohort of (start ARR - end ARR) / sum of start ARR "
            "= (churn + contraction - expansion) / start ARR"
        ),
        unit="ratio",
        direction="lower",
        measures=ratio("lost_arr", "start_arr"),
        parts="money",
        example="A: 100 -> 150, B: 100 -> 60, C: 100 -> 0 -> (300 - 210) / 300 = 0.30.",
        **_COMMON,
    )
)
