"""The accounts rules are judged on: paying customers on each evaluation day.

An account is judged on day d when its ARR on d is positive (the KPIs' definition of
a paying logo): a churned account raises no risk, and its open calls to action close.
With it come the facts every rule, CTA and roll-up needs:

* ``arr``: ARR active on d in the reporting currency (``kpis.contracts``);
* ``renewal_date``: the nearest contractual term end after d of a contract active on
  d that has not already renewed (no later contract of the same account and product
  starts by its end plus ``revenue.renewal_grace_days``, as in the renewal-rate KPI);
  empty when every term is open-ended or already renewed;
* ``customer_since``: the day the account first had positive ARR;
* the owner on d (``assignments``, else ``accounts.csm_id``), their name and team,
  and the account's name, tier and segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.contracts import arr_at_bounds, effective_contracts, first_paid_start
from csmetrics.kpis.grains import owners
from csmetrics.kpis.renewals import with_successors
from csmetrics.periods import Period
from csmetrics.risk.context import ONE_DAY

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.risk.context import RiskContext

BOOK_COLUMNS = (
    "as_of",
    "account_id",
    "account_name",
    "tier",
    "segment",
    "csm_id",
    "csm_name",
    "team",
    "arr",
    "renewal_date",
    "customer_since",
)


def _arr_on_days(ctx: RiskContext) -> ir.Table:
    """as_of, account_id, arr: ARR active on each day, accounts with positive ARR only."""
    spans = ibis.memtable(
        {"span": list(range(len(ctx.days))), "day_lo": list(ctx.days), "day_hi": list(ctx.days)},
        schema={"span": "int64", "day_lo": "date", "day_hi": "date"},
    )
    per_account = arr_at_bounds(ctx.kpi_context(()), spans, "span", "day_lo", "day_hi")
    paying = per_account.filter(per_account.arr_hi > 0)
    return paying.select(as_of=paying.day_hi, account_id=paying.account_id, arr=paying.arr_hi)


def renewal_dates(ctx: RiskContext) -> ir.Table:
    """as_of, account_id, renewal_date: the nearest term end still to renew (module doc)."""
    kctx = ctx.kpi_context(())
    c = effective_contracts(kctx)
    days = ctx.days_table()
    active = days.join(
        c,
        [
            c.start_date <= days.as_of,
            c.end_date.isnull() | (c.end_date > days.as_of),
            c.term_end.notnull(),
            c.term_end > days.as_of,
        ],
    )
    matched = with_successors(
        active, ctx.table("contracts"), "term_end", ctx.config.revenue.renewal_grace_days
    )
    per_term = matched.group_by(["as_of", "account_id", "contract_id", "term_end"]).aggregate(
        successors=matched._id.count()
    )
    due = per_term.filter(per_term.successors == 0)
    return due.group_by(["as_of", "account_id"]).aggregate(renewal_date=due.term_end.min())


def book(ctx: RiskContext) -> ir.Table:
    """The judged accounts on each day with their ARR, renewal and owner (module doc)."""
    paying = _arr_on_days(ctx)
    renewals = renewal_dates(ctx).rename(_d="as_of", _a="account_id")
    j = paying.left_join(
        renewals, [paying.as_of == renewals._d, paying.account_id == renewals._a]
    ).drop("_d", "_a")
    since = first_paid_start(ctx.kpi_context(())).rename(_a="account_id")
    j = j.left_join(since, j.account_id == since._a).drop("_a")

    periods = [Period(d, d + ONE_DAY, d.isoformat()) for d in ctx.days]
    owned = owners(ctx.kpi_context(periods)).rename(_d="period_start", _a="account_id")
    j = j.left_join(owned, [j.as_of == owned._d, j.account_id == owned._a]).drop("_d", "_a")
    csms = ctx.table("csms").select(_c="csm_id", csm_name="name", team="team")
    j = j.left_join(csms, j.csm_id == csms._c).drop("_c")
    accounts = ctx.table("accounts").select(
        _a="account_id", account_name="name", tier="tier", segment="segment"
    )
    j = j.join(accounts, j.account_id == accounts._a).drop("_a")
    return j.select(*BOOK_COLUMNS[:-1], customer_since=j.first_paid_start)
