"""Who is scored on which day: the days of history and the paying accounts on each.

Scores are kept for the last day of every month of history and for the data's as-of
day. History starts in the month of the first product event: usage is the backbone
of health, and billing exports often reach back years before usage was tracked.
Without events it starts with the earliest activity of any kind (ticket, survey
answer, invoice...), and without those with the earliest contract. An account is
scored on day d when it is a paying customer that day (ARR above 0, churn
recognition as for ARR).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics import schema
from csmetrics.kpis import KpiContext
from csmetrics.kpis.contracts import arr_at_bounds, effective_contracts
from csmetrics.kpis.timeframe import ACTIVITY_TABLES
from csmetrics.periods import Period, add_months

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine

POPULATION_COLUMNS = ("account_id", "as_of", "tier", "arr", "licenses")


def context(engine: Engine, config: Config, periods: tuple[Period, ...] = ()) -> KpiContext:
    """A KPI context at the account grain (what the health layer builds expressions with)."""
    return KpiContext(tables=engine.table, config=config, periods=periods, grain="account")


def month_end(day: date) -> date:
    return add_months(date(day.year, day.month, 1), 1) - timedelta(days=1)


def history_start(engine: Engine) -> date | None:
    """The first day of the month of the first event (see the module doc)."""
    parts = []
    sources = ("events",) if engine.has_rows("events") else ACTIVITY_TABLES
    for name in sources:
        if engine.has_rows(name):
            t = engine.table(name)
            column = schema.table(name).time_column
            parts.append(t.aggregate(day=t[column].cast("date").min()))
    if not parts and engine.has_rows("contracts"):
        c = engine.table("contracts")
        parts.append(c.aggregate(day=c.start_date.min()))
    if not parts:
        return None
    union = ibis.union(*parts)
    first = engine.execute(union.aggregate(day=union.day.min()))["day"].iloc[0]
    if first is None or first != first:
        return None
    first = pd.Timestamp(first).date()
    return date(first.year, first.month, 1)


def history_days(engine: Engine, as_of: date) -> list[date]:
    """The last day of every month from the history start to ``as_of``, then ``as_of``."""
    start = history_start(engine)
    if start is None or start > as_of:
        return [as_of]
    days, current = [], month_end(start)
    while current < as_of:
        days.append(current)
        current = month_end(current + timedelta(days=1))
    return [*days, as_of]


@dataclass(frozen=True)
class Window:
    """The days a measure looks at for a score on ``as_of``: [lo, hi), hi = as_of + 1 day."""

    as_of: date
    lo: date
    hi: date

    @classmethod
    def ending(cls, as_of: date, months: int) -> Window:
        hi = as_of + timedelta(days=1)
        return cls(as_of, add_months(hi, -months), hi)

    def period(self) -> Period:
        return Period(self.lo, self.hi, f"{self.lo.isoformat()}..{self.hi.isoformat()}")


def population(engine: Engine, config: Config, days: list[date]) -> pd.DataFrame:
    """account_id, as_of, tier, arr, licenses: the paying accounts on each day."""
    ctx = context(engine, config)
    spans = ibis.memtable(
        {"span": list(range(len(days))), "as_of": days, "_day": days, "_day2": days},
        schema={"span": "int64", "as_of": "date", "_day": "date", "_day2": "date"},
    )
    arr = arr_at_bounds(ctx, spans, "span", "_day", "_day2")
    arr = arr.filter(arr.arr_lo > 0).select("account_id", "as_of", arr=arr.arr_lo)
    seats = _licenses(ctx, spans)
    accounts = engine.table("accounts").select("account_id", "tier")
    joined = arr.left_join(seats, ["account_id", "as_of"]).drop("account_id_right", "as_of_right")
    joined = joined.left_join(accounts, "account_id").drop("account_id_right")
    frame = engine.execute(joined.select(*POPULATION_COLUMNS))
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["licenses"] = frame["licenses"].fillna(0).astype("int64")
    return frame.sort_values(["as_of", "account_id"], kind="stable").reset_index(drop=True)


def _licenses(ctx: KpiContext, spans: ir.Table) -> ir.Table:
    """account_id, as_of, licenses: seats of the paid contracts in force on the day."""
    c = effective_contracts(ctx)
    c = c.filter(c.arr > 0)
    j = spans.join(c, [c.start_date <= spans._day, c.end_date.isnull() | (c.end_date > spans._day)])
    return j.group_by(["account_id", "as_of"]).aggregate(licenses=j.licenses.fill_null(0).sum())
