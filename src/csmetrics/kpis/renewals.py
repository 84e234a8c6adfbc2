"""Renewal rate: renewals due in the period that renewed, by count and by ARR.

A contract is *due* in [a, b) when its term ends in it: its last paid day
(end_date - 1) falls in [a, b), i.e. a < end_date <= b. A contract that ends on b
is therefore due in the same period in which its non-renewal is churn. Open-ended
contracts are never due. The contractual end_date is used whatever the churn
recognition setting: cancelling early does not move the renewal date.

It *renewed* when the same account has another contract of the same product that
starts after the due contract started and no later than end_date +
``revenue.renewal_grace_days``, and runs past the due contract's end (an early or
co-termed renewal, an upgrade that replaces the term, or a late renewal within the
grace days). Renewed ARR is the due contract's ARR (what was up for renewal), at the
rate in force on day a.

Monthly and annual terms are reported apart: ``renewal_rate_monthly`` (monthly
billing) and ``renewal_rate_annual`` (annual and multi-year); ``renewal_rate`` is all
terms. Each comes by count and by ARR (``renewal_arr_rate*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.fx import with_rate
from csmetrics.kpis.registry import Kpi, ratio, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

TERMS: dict[str, tuple[str, ...] | None] = {
    "": None,
    "_monthly": ("monthly",),
    "_annual": ("annual", "multi_year"),
}


def with_successors(
    terms: ir.Table, contracts: ir.Table, term_end: str, grace_days: int
) -> ir.Table:
    """``terms`` (contracts: contract_id, account_id, product, start_date, and the day
    the term ends in column ``term_end``) left-joined to the contracts that renew them.

    A successor is another contract of the same account and product that starts after
    the term started, no later than ``grace_days`` after it ends, and runs past its
    end. Successor columns: _id, _account, _product, _start, _end (null when none).
    """
    nxt = contracts.select(
        _id="contract_id",
        _account="account_id",
        _product="product",
        _start="start_date",
        _end="end_date",
    )
    ends = terms[term_end]
    return terms.left_join(
        nxt,
        [
            nxt._account == terms.account_id,
            nxt._product == terms.product,
            nxt._id != terms.contract_id,
            nxt._start > terms.start_date,
            nxt._start <= ends + ibis.interval(days=grace_days),
            nxt._end.isnull() | (nxt._end > ends),
        ],
    )


def renewal_facts(ctx: KpiContext, terms: tuple[str, ...] | None = None) -> ir.Table:
    """Per period and due contract: due (1), renewed (0/1), due_arr, renewed_arr."""
    periods = ctx.periods_table()
    c = ctx.table("contracts")
    if terms is not None:
        c = c.filter(c.billing_term.isin(terms))
    due = periods.join(c, [c.end_date > periods.period_start, c.end_date <= periods.period_end])
    matched = with_successors(
        due, ctx.table("contracts"), "end_date", ctx.config.revenue.renewal_grace_days
    )
    per_contract = matched.group_by(
        [*PERIOD_COLUMNS, "contract_id", "account_id", "currency", "arr", "billing_term"]
    ).aggregate(renewals=matched._id.count())
    priced = with_rate(ctx, per_contract, periods, "period_start", "rate")
    due_arr = priced.arr.cast("float64") * priced.rate
    renewed = priced.renewals > 0
    return priced.select(
        *PERIOD_COLUMNS,
        "account_id",
        "contract_id",
        "billing_term",
        due=ibis.literal(1),
        renewed=renewed.cast("int64"),
        due_arr=due_arr,
        renewed_arr=ibis.ifelse(renewed, due_arr, ibis.literal(0.0)),
    )


def _facts_for(terms: tuple[str, ...] | None) -> Callable[[KpiContext], ir.Table]:
    def facts(ctx: KpiContext) -> ir.Table:
        return renewal_facts(ctx, terms)

    return facts


_TERM_WORDS = {
    "": ("", "all billing terms"),
    "_monthly": (" (monthly terms)", "monthly billing terms only"),
    "_annual": (" (annual terms)", "annual and multi-year terms only"),
}

for _suffix, _terms in TERMS.items():
    _title_suffix, _scope = _TERM_WORDS[_suffix]
    _facts = _facts_for(_terms)  # shared by the count and ARR rates: one query for both
    register(
        Kpi(
            name=f"renewal_rate{_suffix}",
            title=f"Renewal rate{_title_suffix}",
            description=(
                "Share of the contracts due for renewal in the period that renewed "
                f"(same account and product, within the grace days); {_scope}."
            ),
            formula="contracts due in the period that renewed / contracts due in the period",
            unit="ratio",
            direction="higher",
            tables=("contracts",),
            facts=_facts,
            measures=ratio("renewed", "due"),
            family="renewals",
            example=(
                "2026-Q3: 4 contracts end between 2026-07-02 and 2026-10-01, 3 are followed "
                "by a contract of the same product -> 3 / 4 = 0.75."
            ),
        )
    )
    register(
        Kpi(
            name=f"renewal_arr_rate{_suffix}",
            title=f"Renewal rate by ARR{_title_suffix}",
            description=(
                "Share of the ARR due for renewal in the period that renewed, valued at "
                f"the due contracts' ARR; {_scope}."
            ),
            formula="ARR of due contracts that renewed / ARR of contracts due in the period",
            unit="ratio",
            direction="higher",
            tables=("contracts",),
            facts=_facts,
            measures=ratio("renewed_arr", "due_arr"),
            parts="money",
            family="renewals",
            example=(
                "Due: 10,000 (renewed), 5,000 (renewed), 5,000 (not) -> 15,000 / 20,000 = 0.75."
            ),
        )
    )
