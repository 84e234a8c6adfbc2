"""Revenue KPIs: ARR, MRR, book of business, active accounts.

All are *closing* values: what is active on the period's end day b (the same day the
ARR bridge ends on), converted at the rate in force on b. ARR by tier is ``arr`` by
tier; book of business is ``arr`` by CSM (the owner on the period's first day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csmetrics.kpis.contracts import arr_at_bounds
from csmetrics.kpis.registry import Kpi, count_where, register, total

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext


def closing_arr(ctx: KpiContext) -> ir.Table:
    """Per period and account: arr_hi, the ARR active on the period's end day."""
    return arr_at_bounds(ctx, ctx.periods_table(), "period_index", "period_start", "period_end")


def _mrr(facts: ir.Table) -> dict[str, ir.Value]:
    return {"value": facts.arr_hi.sum() / 12}


register(
    Kpi(
        name="arr",
        title="Annual recurring revenue (ARR)",
        description=(
            "Recurring revenue under contract on the period's end day, annualised and "
            "converted to the reporting currency. By tier it is ARR by tier."
        ),
        formula=(
            "sum of arr of every contract active on day b (start_date <= b < end_date), "
            "each at the exchange rate in force on b"
        ),
        unit="money",
        direction="higher",
        tables=("contracts",),
        facts=closing_arr,
        measures=total("arr_hi"),
        family="revenue",
        example=(
            "2026-Q3: contracts of 12,000 USD and 6,000 EUR (rate 1.10 on 2026-10-01) "
            "active on 2026-10-01 -> ARR = 12,000 + 6,600 = 18,600.00 USD."
        ),
    )
)

register(
    Kpi(
        name="mrr",
        title="Monthly recurring revenue (MRR)",
        description="ARR divided by twelve: the recurring revenue of one month.",
        formula="ARR / 12",
        unit="money",
        direction="higher",
        tables=("contracts",),
        facts=closing_arr,
        measures=_mrr,
        family="revenue",
        example="ARR 18,600.00 -> MRR = 1,550.00.",
    )
)

register(
    Kpi(
        name="book_of_business",
        title="Book of business",
        description=(
            "The ARR a CSM (or a team) is responsible for: the ARR of every account "
            "they own on the period's first day, measured at the period's end."
        ),
        formula="sum of closing ARR of the accounts owned on day a",
        unit="money",
        direction="higher",
        tables=("contracts",),
        facts=closing_arr,
        measures=total("arr_hi"),
        grains=("csm", "team", "company"),
        family="revenue",
        example=(
            "Ana owns A1 (10,000 ARR) and A2 (5,000 ARR) on 2026-07-01 -> her 2026-Q3 "
            "book of business is 15,000.00."
        ),
    )
)

register(
    Kpi(
        name="active_accounts",
        title="Active accounts",
        description=(
            "Paying logos on the period's end day: accounts with positive ARR "
            "(an account with only zero-ARR contracts is not counted)."
        ),
        formula="number of accounts whose ARR on day b is above zero",
        unit="count",
        direction="higher",
        tables=("contracts",),
        facts=closing_arr,
        measures=count_where("arr_hi"),
        family="revenue",
        example="Three accounts hold contracts on 2026-10-01, one of them a free pilot -> 2.",
    )
)
