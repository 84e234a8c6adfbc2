"""What a KPI builder receives: the tables, the config, the periods, the grain, the as-of day.

Periods travel as a small in-memory table (one row per period), so a monthly series
of twelve months is one expression, not twelve queries. ``steps_table`` splits each
period at calendar-month boundaries: the monthly steps of the ARR bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import ibis

from csmetrics.periods import Period, add_months

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.kpis.registry import Grain

PERIOD_COLUMNS = ("period", "period_start", "period_end")


@dataclass(frozen=True)
class KpiContext:
    """Everything a KPI expression may depend on; frozen so builders cannot leak state."""

    tables: Callable[[str], ir.Table]
    config: Config
    periods: tuple[Period, ...]
    grain: Grain = "company"
    as_of: date | None = None

    def table(self, name: str) -> ir.Table:
        """A canonical table as a deferred expression."""
        return self.tables(name)

    @property
    def reporting_currency(self) -> str:
        return self.config.company.reporting_currency

    @property
    def churn_recognition(self) -> str:
        return self.config.revenue.churn_recognition

    def periods_table(self) -> ir.Table:
        """period_index, period (label), period_start, period_end: one row per period.

        ``period_index`` is a compact key for the big joins and group-bys; the label
        and days are joined back onto the (much smaller) results.
        """
        return ibis.memtable(
            {
                "period_index": list(range(len(self.periods))),
                "period": [p.label for p in self.periods],
                "period_start": [p.start for p in self.periods],
                "period_end": [p.end for p in self.periods],
            },
            schema={
                "period_index": "int64",
                "period": "string",
                "period_start": "date",
                "period_end": "date",
            },
        )

    def steps_table(self) -> ir.Table:
        """The periods cut at month boundaries: step_index, period columns, step_start/end."""
        columns = ("step_index", *PERIOD_COLUMNS, "step_start", "step_end")
        rows: dict[str, list] = {name: [] for name in columns}
        for p in self.periods:
            for lo, hi in month_steps(p.start, p.end):
                rows["step_index"].append(len(rows["step_index"]))
                rows["period"].append(p.label)
                rows["period_start"].append(p.start)
                rows["period_end"].append(p.end)
                rows["step_start"].append(lo)
                rows["step_end"].append(hi)
        types = ("int64", "string", "date", "date", "date", "date")
        return ibis.memtable(rows, schema=dict(zip(columns, types, strict=True)))


def month_steps(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end) cut at every first-of-month inside it."""
    out = []
    lo = start
    while lo < end:
        hi = min(add_months(date(lo.year, lo.month, 1), 1), end)
        out.append((lo, hi))
        lo = hi
    return out
