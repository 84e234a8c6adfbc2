"""ARR on a day: the base every revenue KPI is built on.

A contract is active on day d when start_date <= d < end_date (an empty end is
open). Churn recognition decides which end counts:

* ``end_of_term`` (default): the contract's end_date, the day after the last paid day.
* ``cancellation``: the earlier of end_date and cancelled_at, so the ARR leaves on the
  day the customer gave notice. Every revenue KPI (ARR, the bridge, retention) reads
  the same effective end, so switching the setting recomputes all history alike.
  Renewals keep the contractual end_date (a renewal falls due when the term ends).

An account's ARR on a day is the sum over its active contracts of arr x the rate in
force that day. An account is *active* (a paying logo) on a day when its ARR is
positive; an account with only zero-ARR contracts is not a customer for any KPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.fx import FAR_FUTURE, span_rates, with_span_rates

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext


def effective_contracts(ctx: KpiContext) -> ir.Table:
    """Contracts with ``end_date`` = the effective end and ``term_end`` = the contractual one."""
    c = ctx.table("contracts")
    end = c.end_date
    if ctx.churn_recognition == "cancellation":
        cancelled_first = c.cancelled_at.notnull() & (
            c.end_date.isnull() | (c.cancelled_at < c.end_date)
        )
        end = ibis.ifelse(cancelled_first, c.cancelled_at, c.end_date)
    c = c.mutate(term_end=c.end_date, arr=c.arr.cast("float64"), end_date=end)
    return c.filter(c.end_date.isnull() | (c.end_date > c.start_date))


def first_paid_start(ctx: KpiContext) -> ir.Table:
    """account_id, first_paid_start: the first day the account ever had positive ARR."""
    c = effective_contracts(ctx)
    return (
        c.filter(c.arr > 0)
        .group_by("account_id")
        .aggregate(first_paid_start=lambda t: t.start_date.min())
    )


def contracts_across(ctx: KpiContext, spans: ir.Table, key: str, lo: str, hi: str) -> ir.Table:
    """Every (span, contract) pair where the contract is active on day ``lo`` or ``hi``.

    Carries the span's ``key``, ``lo`` and ``hi`` and the contract's columns, plus
    ``on_lo``/``on_hi`` (active that day) and ``rate_lo``/``rate_hi`` (the rate in
    force that day). ``spans`` is small (periods or monthly steps); this is one range
    join of the contracts to it and one equality join to the spans' rates.
    """
    c = effective_contracts(ctx)
    c = c.mutate(_end=c.end_date.fill_null(ibis.literal(FAR_FUTURE)))
    s = spans.select(key, lo, hi)
    joined = s.join(c, [c.start_date <= s[hi], c._end > s[lo]])
    on_lo = (joined.start_date <= joined[lo]) & (joined._end > joined[lo])
    on_hi = (joined.start_date <= joined[hi]) & (joined._end > joined[hi])
    joined = joined.mutate(on_lo=on_lo, on_hi=on_hi).filter(on_lo | on_hi)
    return with_span_rates(ctx, joined, span_rates(ctx, spans, key, lo, hi), key)


def arr_at_bounds(ctx: KpiContext, spans: ir.Table, key: str, lo: str, hi: str) -> ir.Table:
    """Per span and account: ARR on ``lo`` and on ``hi``, in the reporting currency.

    ``arr_lo``: ARR active on lo at lo's rates; ``arr_hi_const``: ARR active on hi at
    lo's rates (constant currency, so business change and rate change separate);
    ``arr_hi``: ARR active on hi at hi's rates. Grouped on the compact span ``key``
    and the account, then every column of ``spans`` is joined back. Accounts with
    no contract active on either day are absent.
    """
    j = contracts_across(ctx, spans, key, lo, hi)
    zero = ibis.literal(0.0)
    per_account = j.group_by([key, "account_id"]).aggregate(
        arr_lo=ibis.ifelse(j.on_lo, j.arr * j.rate_lo, zero).sum(),
        arr_hi_const=ibis.ifelse(j.on_hi, j.arr * j.rate_lo, zero).sum(),
        arr_hi=ibis.ifelse(j.on_hi, j.arr * j.rate_hi, zero).sum(),
    )
    return per_account.join(spans, key)
