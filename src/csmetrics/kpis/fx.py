"""Currency conversion: the rate in force on a day, from fx_rates.

A rate applies from its ``rate_date`` until the next rate of the same currency; a day
before the first known rate uses that first rate (so a history that starts a little
after the first contract still converts). The reporting currency converts at 1 and
needs no row. Lookups are joins of a *small* table of days (period or step bounds)
to the rate ranges, so converting millions of contract rows is one equality join.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

FAR_PAST = date(1, 1, 1)
FAR_FUTURE = date(9999, 12, 31)


def rate_ranges(ctx: KpiContext) -> ir.Table:
    """currency, valid_from, valid_to (exclusive, far future for the latest), rate."""
    fx = ctx.table("fx_rates")
    by_currency = ibis.window(group_by=fx.currency, order_by=fx.rate_date)
    first = fx.rate_date.min().over(ibis.window(group_by=fx.currency))
    ranges = fx.select(
        currency=fx.currency.upper(),
        valid_from=ibis.ifelse(fx.rate_date == first, ibis.literal(FAR_PAST), fx.rate_date),
        valid_to=fx.rate_date.lead().over(by_currency).fill_null(ibis.literal(FAR_FUTURE)),
        rate=fx.rate.cast("float64"),
    )
    return ranges


def rates_on(ctx: KpiContext, days: ir.Table, day: str, rate: str) -> ir.Table:
    """``currency``, ``day``, ``rate``: the rate of each currency on each distinct day."""
    wanted = days.select(day).distinct()
    ranges = rate_ranges(ctx)
    joined = wanted.join(
        ranges,
        [ranges.valid_from <= wanted[day], ranges.valid_to > wanted[day]],
    )
    return joined.select(joined.currency, joined[day], joined.rate.name(rate))


def with_rate(ctx: KpiContext, frame: ir.Table, days: ir.Table, day: str, rate: str) -> ir.Table:
    """Add column ``rate`` to ``frame`` (which has ``currency`` and ``day``).

    ``days`` is a small table holding every value of ``day`` that ``frame`` uses; the
    reporting currency always converts at 1, an unknown currency gives a null rate
    (the KPI runner refuses to run before that can happen).
    """
    rates = rates_on(ctx, days, day, "_rate").rename(_currency="currency", _day=day)
    joined = frame.left_join(
        rates,
        [frame.currency.upper() == rates._currency, frame[day] == rates._day],
    )
    reporting = ibis.literal(ctx.reporting_currency)
    value = ibis.ifelse(joined.currency.upper() == reporting, 1.0, joined._rate)
    return joined.mutate(**{rate: value}).drop("_currency", "_day", "_rate")


def span_rates(ctx: KpiContext, spans: ir.Table, key: str, lo: str, hi: str) -> ir.Table:
    """currency, ``key``, rate_lo, rate_hi: each known currency's rate on both days of a span."""
    ranges = rate_ranges(ctx)
    s = spans.select(key, lo, hi)

    def on(day: str, name: str) -> ir.Table:
        j = s.join(ranges, [ranges.valid_from <= s[day], ranges.valid_to > s[day]])
        return j.select(j.currency, j[key], **{name: j.rate})

    return on(lo, "rate_lo").join(on(hi, "rate_hi"), ["currency", key])


def with_span_rates(ctx: KpiContext, frame: ir.Table, rates: ir.Table, key: str) -> ir.Table:
    """Add rate_lo and rate_hi to ``frame`` (with ``currency`` and ``key``); reporting = 1."""
    r = rates.rename(_currency="currency", _key=key, _lo="rate_lo", _hi="rate_hi")
    joined = frame.left_join(r, [frame.currency.upper() == r._currency, frame[key] == r._key])
    local = joined.currency.upper() == ibis.literal(ctx.reporting_currency)
    return joined.mutate(
        rate_lo=ibis.ifelse(local, 1.0, joined._lo),
        rate_hi=ibis.ifelse(local, 1.0, joined._hi),
    ).drop("_currency", "_key", "_lo", "_hi")
