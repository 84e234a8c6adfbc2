"""The rollup expressions: derived tables that make event KPIs fast at scale.

Two derived tables, both maintained by ``engine.rollups`` from ``events``:

``_rollup_user_day``: account_id, user_id, day, types, events
    One row per user and day they did anything: ``types`` is a bit mask of the event
    types they used that day (bit numbers in ``_rollup_codes``), ``events`` how many
    events. One pass over the events builds it; a new day of events recomputes only
    the (account_id, day) slices it touches. Answers periods that do not start and
    end on a month boundary.
``_rollup_user_month``: account_id, user_id, month, types, active_days, events
    The same per user and month, computed from the day rollup (about 15x fewer rows
    at demo density), which is what makes MAU for any month-aligned period fast.
    Refreshed by (account_id, month) slice.

Neither is keyed by a configuration: which event types count as a significant
action or a key feature is a mask applied when a KPI reads them, so changing
``adoption.active_event_types`` or ``adoption.key_features`` needs no rebuild. (The
configured types get bits first; a type without a bit of its own, past the 62nd
distinct type, is answered from raw events.)

KPIs read ``active_days(ctx, types)``: the month rollup when every period is
month-aligned, else the day rollup, else (a store without rollups: another engine,
a read-only copy) the same expression over raw events: the same answer, slower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import ibis

from csmetrics.engine.rollups import CODES, OTHER_BIT, STATE, Rollup
from csmetrics.errors import EngineError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

USER_DAY = "_rollup_user_day"
USER_MONTH = "_rollup_user_month"
ENCODED = "event_type"


def with_day(events: ir.Table) -> ir.Table:
    """Events plus ``day``: the calendar day of event_time (23:59:59.999 stays on its day)."""
    return events.mutate(day=events.event_time.date())


def with_month(events: ir.Table) -> ir.Table:
    """Events plus ``month``: the first day of event_time's calendar month."""
    return events.mutate(month=events.event_time.date().truncate("M"))


def type_mask(event_type: ir.StringValue, codes: Mapping[str, int]) -> ir.IntegerValue:
    """The BIGINT with the bit of ``event_type`` set (the shared bit for uncoded types)."""
    masks = {value: 1 << bit for value, bit in codes.items()}
    other = ibis.literal(1 << OTHER_BIT, "int64")
    if not masks:
        return other
    return event_type.substitute(masks, else_=other).cast("int64")


def user_day(events: ir.Table, codes: Mapping[str, int]) -> ir.Table:
    """account_id, user_id, day, types (bit mask), events: every user's days of activity."""
    t = with_day(events).mutate(_mask=lambda e: type_mask(e.event_type, codes))
    return t.group_by(["account_id", "user_id", "day"]).aggregate(
        types=t._mask.bit_or(), events=t.count()
    )


def user_month(days: ir.Table, codes: Mapping[str, int]) -> ir.Table:
    """account_id, user_id, month, types, active_days, events: from the day rollup."""
    t = days.mutate(month=days.day.truncate("M"))
    return t.group_by(["account_id", "user_id", "month"]).aggregate(
        types=t.types.bit_or(), active_days=t.count(), events=t.events.sum()
    )


USER_DAY_ROLLUP = Rollup(
    name=USER_DAY,
    source="events",
    time_column="event_time",
    span="day",
    slice_keys=("account_id", "day"),
    slices=with_day,
    build=user_day,
    encode=ENCODED,
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
    encode=ENCODED,
    reads=USER_DAY,
    reads_time="day",
)

ROLLUPS: tuple[Rollup, ...] = (USER_DAY_ROLLUP, USER_MONTH_ROLLUP)


def event_days(events: ir.Table, types: Sequence[str], *, months: bool = False) -> ir.Table:
    """account_id, user_id, day: the same answer as the rollups, straight from events.

    ``months``: ``day`` is the first of the month, as the month rollup gives it; the
    distinct set is then ~20x smaller, which keeps a scan of billions of events within
    a small memory limit.
    """
    e = events.filter(events.event_type.isin(list(types)))
    e = with_month(e).rename(day="month") if months else with_day(e)
    return e.select("account_id", "user_id", "day").distinct()


def _stored(ctx: KpiContext, name: str) -> ir.Table | None:
    try:
        return ctx.table(name)
    except EngineError:
        return None


def month_aligned(ctx: KpiContext) -> bool:
    """Every period starts and ends on the first of a month (months, quarters, years)."""
    return all(p.start.day == 1 and p.end.day == 1 for p in ctx.periods)


def _fresh(ctx: KpiContext) -> bool:
    """Both rollups hold every stored event (a crash between an import and its refresh
    leaves them behind until the next refresh; until then KPIs read raw events)."""
    state = _stored(ctx, STATE)
    if state is None:
        return False
    recorded = (
        state.filter(state.name.isin([USER_DAY, USER_MONTH]))
        .select("source_rows")
        .to_pyarrow()
        .column(0)
        .to_pylist()
    )
    if len(recorded) != 2:
        return False
    events = ctx.table("events").count().to_pyarrow().as_py()
    return all(n == events for n in recorded)


def rollup_source(ctx: KpiContext, types: Sequence[str]) -> Literal["month", "day", "events"]:
    """Where ``active_days`` answers from: the month rollup (month-aligned periods), the
    day rollup, or raw events (no fresh rollups, or a type without a bit of its own)."""
    codes = _codes(ctx)
    if not types or not all(t in codes for t in types) or not _fresh(ctx):
        return "events"
    if month_aligned(ctx) and _stored(ctx, USER_MONTH) is not None:
        return "month"
    return "day" if _stored(ctx, USER_DAY) is not None else "events"


def reads_month_rollup(ctx: KpiContext, types: Sequence[str]) -> bool:
    """``active_days(ctx, types)`` answers from the month rollup: one row per account,
    user and month, so counting rows counts users."""
    return rollup_source(ctx, types) == "month"


def _codes(ctx: KpiContext) -> dict[str, int]:
    """The event type -> bit dictionary of the rollups (empty without one)."""
    stored = _stored(ctx, CODES)
    if stored is None:
        return {}
    rows = (
        stored.filter((stored.source == "events") & (stored["column"] == ENCODED))
        .select("value", "bit")
        .to_pyarrow()
        .to_pylist()
    )
    return {r["value"]: int(r["bit"]) for r in rows}


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
    source = rollup_source(ctx, wanted)
    if source == "events":
        return event_days(ctx.table("events"), wanted, months=month_aligned(ctx))
    codes = _codes(ctx)
    mask = sum(1 << codes[t] for t in wanted)
    if source == "month":
        m = ctx.table(USER_MONTH)
        m = m.filter((m.types & mask) != 0)
        return m.select("account_id", "user_id", day=m.month)
    d = ctx.table(USER_DAY)
    d = d.filter((d.types & mask) != 0)
    return d.select("account_id", "user_id", "day")
