"""Periods: months, (fiscal) quarters, (fiscal) years and explicit day ranges.

Every period is a half-open range of days [start, end). For KPIs, the start cohort
is what is active on ``start`` and the end state what is active on ``end``.

Fiscal years are named after the calendar year in which they end, the common
convention: with ``fiscal_year_start_month=2``, FY2027 runs 2026-02-01..2027-02-01
and ``2027-Q1`` is February to April 2026. With the default (January) fiscal and
calendar periods coincide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from csmetrics.errors import PeriodError

PeriodKind = Literal["month", "quarter", "year", "range"]
Every = Literal["month", "quarter", "year"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(?:FY)?(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:FY)?(\d{4})$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of days with the label a user typed or would type."""

    start: date
    end: date
    label: str
    kind: PeriodKind = "range"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def months(self) -> list[Period]:
        """The calendar months that start inside this period."""
        out = []
        first = _month_start(self.start)
        if first < self.start:
            first = add_months(first, 1)
        while first < self.end:
            out.append(month(first.year, first.month))
            first = add_months(first, 1)
        return out

    def __str__(self) -> str:
        return self.label


def add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _days_in_month(year, month0 + 1)
    return date(year, month0 + 1, min(day.day, last))


def _days_in_month(year: int, month_: int) -> int:
    nxt = date(year + (month_ == 12), month_ % 12 + 1, 1)
    return (nxt - date(year, month_, 1)).days


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def month(year: int, month_: int) -> Period:
    start = date(year, month_, 1)
    return Period(start, add_months(start, 1), f"{year:04d}-{month_:02d}", "month")


def fiscal_year(year: int, fiscal_start_month: int = 1) -> Period:
    """Fiscal year ``year`` (named after the calendar year in which it ends)."""
    start = date(year if fiscal_start_month == 1 else year - 1, fiscal_start_month, 1)
    return Period(start, add_months(start, 12), f"{year:04d}", "year")


def quarter(year: int, q: int, fiscal_start_month: int = 1) -> Period:
    start = add_months(fiscal_year(year, fiscal_start_month).start, 3 * (q - 1))
    return Period(start, add_months(start, 3), f"{year:04d}-Q{q}", "quarter")


def parse_period(text: str, fiscal_start_month: int = 1) -> Period:
    """Parse ``2026-07``, ``2026-Q3``, ``2026`` or ``2026-07-01..2026-10-01``."""
    value = text.strip()
    try:
        if m := _MONTH.match(value):
            return month(int(m[1]), int(m[2]))
        if m := _QUARTER.match(value):
            return quarter(int(m[1]), int(m[2]), fiscal_start_month)
        if m := _YEAR.match(value):
            return fiscal_year(int(m[1]), fiscal_start_month)
        if m := _RANGE.match(value):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end <= start:
                raise PeriodError(f"period {text!r}: the end must be after the start")
            return Period(start, end, value, "range")
    except ValueError as exc:
        raise PeriodError(f"period {text!r}: {exc}") from None
    raise PeriodError(
        f"period {text!r} not understood; use 2026-07 (month), 2026-Q3 (quarter), "
        "2026 (year) or 2026-07-01..2026-10-01 (days, end exclusive)"
    )


def period_containing(day: date, every: Every, fiscal_start_month: int = 1) -> Period:
    """The month, fiscal quarter or fiscal year that contains ``day``."""
    if every == "month":
        return month(day.year, day.month)
    months_into_fy = (day.month - fiscal_start_month) % 12
    fy_start = add_months(_month_start(day), -months_into_fy)
    fy_label = fy_start.year + (1 if fiscal_start_month != 1 else 0)
    if every == "year":
        return fiscal_year(fy_label, fiscal_start_month)
    return quarter(fy_label, months_into_fy // 3 + 1, fiscal_start_month)


def following(period: Period, fiscal_start_month: int = 1) -> Period:
    """The period of the same kind that starts where this one ends."""
    if period.kind == "range":
        return Period(period.end, period.end + (period.end - period.start), "", "range")
    return period_containing(period.end, period.kind, fiscal_start_month)


def series(
    first: Period | str, last: Period | str, every: Every, fiscal_start_month: int = 1
) -> list[Period]:
    """Consecutive periods of kind ``every`` from the one holding ``first`` to ``last``."""
    a = parse_period(first, fiscal_start_month) if isinstance(first, str) else first
    b = parse_period(last, fiscal_start_month) if isinstance(last, str) else last
    out: list[Period] = []
    current = period_containing(a.start, every, fiscal_start_month)
    while current.start <= b.last_day:
        out.append(current)
        current = period_containing(current.end, every, fiscal_start_month)
    return out


def last_complete(every: Every, today: date, fiscal_start_month: int = 1) -> Period:
    """The latest period of kind ``every`` that ended on or before ``today``."""
    current = period_containing(today, every, fiscal_start_month)
    return period_containing(current.start - timedelta(days=1), every, fiscal_start_month)


def iter_days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)
