"""Expansion split: upsell, cross-sell and whitespace, in ARR and in accounts.

Per monthly step (as in the ARR bridge) and account already paying on its first day,
each *line* (product x customer_team) compares its ARR on the step's last and first
day at constant rates; a line that grew is:

* **whitespace** when its customer_team had no ARR on the account at the step's start
  (a new team or business unit; takes precedence),
* else **cross-sell** when its product had no ARR on the account at the start,
* else **upsell** (more of a product the account already has).

The account's bridge expansion (net per account and month) is shared among the
lines that grew in proportion to their growth, so upsell + cross-sell + whitespace
= ``expansion_arr`` exactly; when no line of the account shrank that month, each
kind simply gets its lines' growth. The ``*_accounts`` KPIs count the distinct
accounts with expansion of that kind in the period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.contracts import contracts_across
from csmetrics.kpis.registry import Kpi, count_where, register, total

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

KINDS = ("upsell", "cross_sell", "whitespace")


def expansion_facts(ctx: KpiContext) -> ir.Table:
    """Per step, expanding account and growing line: its kind and its share of the expansion."""
    steps = ctx.steps_table()
    j = contracts_across(ctx, steps, "step_index", "step_start", "step_end")
    zero = ibis.literal(0.0)
    j = j.mutate(
        lo=ibis.ifelse(j.on_lo, j.arr * j.rate_lo, zero),
        hi=ibis.ifelse(j.on_hi, j.arr * j.rate_lo, zero),
    )
    # Only accounts whose ARR grew (net) in a step carry expansion: find them with the
    # same group-by as the bridge, then classify the few contract lines they hold.
    accounts = j.group_by(["step_index", "account_id"]).aggregate(
        account_lo=j.lo.sum(), account_hi=j.hi.sum()
    )
    expanding = accounts.filter(
        (accounts.account_lo > 0) & (accounts.account_hi > accounts.account_lo)
    )
    mine = j.join(expanding, ["step_index", "account_id"])
    lines = mine.group_by(
        ["step_index", "account_id", "account_lo", "account_hi", "product", "customer_team"]
    ).aggregate(line_lo=mine.lo.sum(), line_hi=mine.hi.sum())
    growth = ibis.greatest(lines.line_hi - lines.line_lo, zero)
    account = ibis.window(group_by=["step_index", "account_id"])
    product = ibis.window(group_by=["step_index", "account_id", "product"])
    team = ibis.window(group_by=["step_index", "account_id", "customer_team"])
    lines = lines.mutate(
        growth=growth,
        account_growth=growth.sum().over(account),
        product_lo=lines.line_lo.sum().over(product),
        team_lo=lines.line_lo.sum().over(team),
    )
    growing = lines.filter(lines.growth > 0)
    kind = ibis.cases(
        (growing.customer_team.notnull() & (growing.team_lo <= 0), "whitespace"),
        (growing.product_lo <= 0, "cross_sell"),
        else_="upsell",
    )
    net = growing.account_hi - growing.account_lo
    facts = growing.mutate(kind=kind, share=growing.growth * net / growing.account_growth)
    facts = facts.mutate(
        **{f"{k}_arr": ibis.ifelse(facts.kind == k, facts.share, zero) for k in KINDS}
    )
    return facts.join(steps, "step_index")


_WORDS = {
    "upsell": ("Upsell", "more ARR of a product the account already had"),
    "cross_sell": ("Cross-sell", "ARR of a product the account did not have"),
    "whitespace": ("Whitespace", "ARR from a customer team or unit that had none"),
}

for _kind, (_label, _meaning) in _WORDS.items():
    register(
        Kpi(
            name=f"{_kind}_arr",
            title=f"{_label} ARR",
            description=f"Expansion ARR that is {_meaning}, from accounts already paying.",
            formula=(
                f"sum over months and accounts of the bridge expansion carried by {_kind} "
                "lines (shared in proportion to each growing line's growth)"
            ),
            unit="money",
            direction="higher",
            tables=("contracts",),
            facts=expansion_facts,
            measures=total(f"{_kind}_arr"),
            family="expansion",
            example=(
                "A1 pays 100 for router (team sales) on 2026-07-01 and 130 for router + "
                "40 for calendar on 2026-08-01 -> July upsell 30.00, cross-sell 40.00."
            ),
        )
    )
    register(
        Kpi(
            name=f"{_kind}_accounts",
            title=f"Accounts with {_label.lower()}",
            description=f"Number of accounts with {_label.lower()} expansion in the period.",
            formula=f"distinct accounts with {_kind} ARR > 0 in any month of the period",
            unit="count",
            direction="higher",
            tables=("contracts",),
            facts=expansion_facts,
            measures=count_where(f"{_kind}_arr"),
            family="expansion",
            example=f"A1 and A3 had {_label.lower()} in 2026-Q3 -> 2.",
        )
    )

register(
    Kpi(
        name="expanded_accounts",
        title="Accounts that expanded",
        description="Number of paying accounts whose ARR grew in at least one month.",
        formula="distinct accounts with bridge expansion > 0 in any month of the period",
        unit="count",
        direction="higher",
        tables=("contracts",),
        facts=expansion_facts,
        measures=count_where("share"),
        family="expansion",
        example="A1 expanded in July, A2 in July and August -> 2.",
    )
)
