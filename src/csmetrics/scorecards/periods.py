"""The periods before a period: for trends and for the history a model learns from."""

from __future__ import annotations

from datetime import timedelta

from csmetrics.periods import Period, period_containing


def previous(period: Period, fiscal_start_month: int = 1) -> Period:
    """The period of the same kind (or, for a range, the same length) that ends where
    ``period`` starts."""
    if period.kind == "range":
        start = period.start - (period.end - period.start)
        return Period(start, period.start, f"{start}..{period.start}", "range")
    return period_containing(period.start - timedelta(days=1), period.kind, fiscal_start_month)


def trailing(period: Period, n: int, fiscal_start_month: int = 1) -> list[Period]:
    """``n`` consecutive periods ending with ``period``, oldest first."""
    out = [period]
    while len(out) < n:
        out.append(previous(out[-1], fiscal_start_month))
    return out[::-1]


def before(period: Period, n: int, fiscal_start_month: int = 1) -> list[Period]:
    """The ``n`` periods that end on or before ``period`` starts, oldest first."""
    return trailing(previous(period, fiscal_start_month), n, fiscal_start_month)
