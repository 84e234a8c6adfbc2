"""The rollup expressions: derived tables that make event KPIs fast at scale.

Two derived tables, both maintained by ``engine.rollups`` from ``events``:

``_rollup_user_day``: account_id, user_id, day, event_type, events
    The daily activity of every user, one row per event type. Refreshed by
    (account_id, day) slice: a new day of events recomputes only the slices it
    touches. Answers periods that do not start and end on a month boundary.
``_rollup_user_month``: account_id, user_id, month, event_types, events
    One row per user and month with the sorted list of event types they used. At
    demo density this is about 8x fewer rows than events (users act on several days
    and in several ways a month), which is what makes MAU for any month-aligned
    period fast. Refreshed by (account_id, month) slice.

Neither is keyed by a configuration: which event types count as a significant
action or a key feature is a filter applied when a KPI reads them, so changing
``adoption.active_event_types`` or ``adoption.key_features`` needs no rebuild.

KPIs read ``active_days(ctx, types)``: the month rollup when every period is
month-aligned, else the day rollup, else (a store without rollups: another engine,
a read-only copy) the same expression over raw events: the same answer, slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis

from csmetrics.engine.rollups import Rollup
from csmetrics.errors import EngineError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

USER_DAY = "_rollup_user_day"
USER_MONTH = "_rollup_user_month"


def with_day(events: ir.Table) -> ir.Table:
    """Events plus ``day``: the calendar day of event_time (23:59:59.999 stays on its day)."""
    return events.mutate(day=events.event_time.date())


def with_month(events: ir.Table) -> ir.Table:
    """Events plus ``month``: the first day of event_time's calendar month."""
    return events.mutate(month=events.event_time.date().truncate("M"))


def user_day(events: ir.Table) -> ir.Table:
    """account_id, user_id, day, event_type, events: the daily activity of every user."""
    t = with_day(events)
    return t.group_by(["account_id", "user_id", "day", "event_type"]).aggregate(events=t.count())


def user_month(events: ir.Table) -> ir.Table:
    """account_id, user_id, month, event_types (sorted, distinct), events."""
    t = with_month(events)
    return t.group_by(["account_id", "user_id", "month"]).aggregate(
        event_types=t.event_type.collect(distinct=True).sort(), events=t.count()
    )


USER_DAY_ROLLUP = Rollup(
    name=USER_DAY,
    source="events",
    time_column="event_time",
    span="day",
    slice_keys=("account_id", "day"),
    slices=with_day,
    build=user_day,
    order_by=("day", "account_id"),
)

USER_MONTH_ROLLUP = Rollup(
    name=USER_MONTH,
    source="events",
    time_column="event_time",
    span="month",
    slice_keys=("account_id", "month"),
    slices=with_month,
    build=user_month,
    order_by=("month", "account_id"),
)

ROLLUPS: tuple[Rollup, ...] = (USER_DAY_ROLLUP, USER_MONTH_ROLLUP)


def _stored(ctx: KpiContext, name: str) -> ir.Table | None:
    try:
        return ctx.table(name)
    except EngineError:
        return None


def month_aligned(ctx: KpiContext) -> bool:
    """Every period starts and ends on the first of a month (months, quarters, years)."""
    return all(p.start.day == 1 and p.end.day == 1 for p in ctx.periods)


def reads_month_rollup(ctx: KpiContext) -> bool:
    """``active_days`` answers from the month rollup: one row per account, user and month."""
    return month_aligned(ctx) and _stored(ctx, USER_MONTH) is not None


def active_days(ctx: KpiContext, types: Sequence[str]) -> ir.Table:
    """account_id, user_id, day: users with an event of ``types`` on that day.

    For month-aligned periods ``day`` is the first day of the month (every window
    the KPIs use then starts and ends on a month boundary, so this is exact). Rows
    may repeat; callers count distinct users.
    """
    wanted = list(types)
    if not wanted:
        empty = {"account_id": "string", "user_id": "string", "day": "date"}
        return ibis.memtable({k: [] for k in empty}, schema=empty)
    monthly = ctx.table(USER_MONTH) if reads_month_rollup(ctx) else None
    if monthly is not None:
        m = monthly.filter(ibis.or_(*[monthly.event_types.contains(t) for t in wanted]))
        return m.select("account_id", "user_id", day=m.month)
    daily = _stored(ctx, USER_DAY)
    if daily is None:
        daily = user_day(ctx.table("events"))
    d = daily.filter(daily.event_type.isin(wanted))
    return d.select("account_id", "user_id", "day")
