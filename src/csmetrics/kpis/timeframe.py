"""Which days a question is about: the data's as-of day and the periods asked for.

The *as-of* day is the latest day the data covers: the latest contract start or
cancellation and the latest time of any event, ticket, activity, survey response,
engagement, advocacy action or invoice; capped at today. Contract end dates are left
out on purpose: a term's end is known years ahead, so it says nothing about how
recent the data is (an export taken on 10-31 would otherwise look current on any
later day, and ARR "today" would miss renewals the export could not hold yet).
Without a period, KPIs answer for the last complete quarter before the as-of day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis

from csmetrics import schema
from csmetrics.errors import KpiError
from csmetrics.periods import (
    Every,
    Period,
    last_complete,
    parse_period,
    period_containing,
    series,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine

ACTIVITY_TABLES = (
    "events",
    "tickets",
    "activities",
    "survey_responses",
    "engagements",
    "advocacy",
    "invoices",
)
EVERY = ("month", "quarter", "year")


def seconds_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Whole seconds from ``earlier`` to ``later`` (timestamps or dates).

    Each side is floored to its second first: the precision every engine agrees on
    (DuckDB's epoch keeps microseconds, Spark's drops them), so durations in hours
    and days are the same number on any backend.
    """
    return (later.epoch_seconds().floor() - earlier.epoch_seconds().floor()).cast("float64")


_DEFAULT_SPAN = {"month": 12, "quarter": 4, "year": 3}


def data_as_of(engine: Engine, today: date | None = None) -> date:
    """The latest day covered by the data (today when there is none), capped at today."""
    today = today or date.today()
    parts = []
    if engine.has_rows("contracts"):
        c = engine.table("contracts")
        for value in (c.start_date, c.cancelled_at):
            parts.append(c.aggregate(day=value.cast("date").max()))
    for name in ACTIVITY_TABLES:
        if engine.has_rows(name):
            t = engine.table(name)
            column = schema.table(name).time_column
            parts.append(t.aggregate(day=t[column].cast("date").max()))
    if not parts:
        return today
    union = ibis.union(*parts)
    latest = engine.execute(union.aggregate(day=union.day.max()))["day"].iloc[0]
    if latest is None or latest != latest:  # no non-null day at all
        return today
    return min(_as_date(latest), today)


def _as_date(value: object) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # type: ignore[no-any-return]
    return value  # type: ignore[return-value]


def resolve_periods(
    config: Config,
    as_of: date,
    period: str | Period | None = None,
    every: str | None = None,
    start: str | Period | None = None,
    end: str | Period | None = None,
) -> list[Period]:
    """The periods a request means.

    ``period`` alone: that period. ``every`` with ``start``/``end``: the series of
    months, quarters or years from the one holding ``start`` to the one holding
    ``end`` (end defaults to the last complete one, start to a year of them before
    it). Nothing: the last complete quarter before the as-of day.
    """
    fiscal = config.company.fiscal_year_start_month
    if every is None:
        if start is not None or end is not None:
            raise KpiError("--from/--to need --every month|quarter|year")
        if period is None:
            return [last_complete("quarter", as_of + timedelta(days=1), fiscal)]
        return [parse_period(period, fiscal) if isinstance(period, str) else period]
    if every not in EVERY:
        raise KpiError(f"every must be one of {', '.join(EVERY)}, not {every!r}")
    if period is not None:
        raise KpiError("give either a period or a series (every/from/to), not both")
    kind: Every = every  # type: ignore[assignment]
    last = _parsed(end, fiscal) or last_complete(kind, as_of + timedelta(days=1), fiscal)
    first = _parsed(start, fiscal)
    if first is None:
        first = last
        for _ in range(_DEFAULT_SPAN[kind] - 1):
            first = period_containing(first.start - timedelta(days=1), kind, fiscal)
    periods = series(first, last, kind, fiscal)
    if not periods:
        raise KpiError(f"the series from {first} to {last} is empty: --from is after --to")
    return periods


def _parsed(value: str | Period | None, fiscal: int) -> Period | None:
    if value is None or isinstance(value, Period):
        return value
    return parse_period(value, fiscal)
