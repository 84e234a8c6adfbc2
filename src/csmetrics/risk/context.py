"""What a risk rule receives: the tables, the config and the evaluation days.

Rules are judged *as of* a day d, with everything known by the end of d. A window of
N days is the N days ending with d, [d - N + 1, d], i.e. timestamps in
[d - N + 1 00:00, d + 1 00:00). Several days travel together as a small table (one
row per day), so a monthly series of at-risk ARR is one query per rule, not one per
month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import KpiContext

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.periods import Period

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RiskContext:
    """The tables (deferred), the config and the days the rules are judged on."""

    tables: Callable[[str], ir.Table]
    config: Config
    days: tuple[date, ...]

    def table(self, name: str) -> ir.Table:
        return self.tables(name)

    def days_table(self) -> ir.Table:
        """as_of: one row per evaluation day."""
        return ibis.memtable({"as_of": list(self.days)}, schema={"as_of": "date"})

    def kpi_context(self, periods: Sequence[Period]) -> KpiContext:
        """A KPI context over the same tables, to reuse KPI building blocks."""
        return KpiContext(tables=self.tables, config=self.config, periods=tuple(periods))


def window_start(as_of: ir.Value, days: int) -> ir.Value:
    """The first day of the ``days``-day window that ends with ``as_of``."""
    return as_of - ibis.interval(days=days - 1)


def next_day(as_of: ir.Value) -> ir.Value:
    """The day after ``as_of``: the exclusive end of every window."""
    return as_of + ibis.interval(days=1)


def in_window(
    rows: ir.Table, days: ir.Table, column: str, length: int, *, timestamp: bool
) -> ir.Table:
    """``rows`` joined to every evaluation day whose ``length``-day window holds ``column``.

    ``timestamp`` says whether ``column`` is a timestamp (compared with midnights) or a
    date (compared with days).
    """
    lo, hi = window_start(days.as_of, length), next_day(days.as_of)
    if timestamp:
        lo, hi = lo.cast("timestamp"), hi.cast("timestamp")
    return rows.join(days, [rows[column] >= lo, rows[column] < hi])


def known_by(rows: ir.Table, days: ir.Table, column: str, *, timestamp: bool) -> ir.Table:
    """``rows`` joined to every evaluation day on or after ``column`` (known by its end)."""
    hi = next_day(days.as_of)
    if timestamp:
        hi = hi.cast("timestamp")
    return rows.join(days, rows[column] < hi)
