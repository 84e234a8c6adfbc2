"""Raw signals: per-account values no KPI gives, measured as of a day.

Every signal is point-in-time: the value for day d reads only rows dated on or before
d (a ticket resolved after d is still open on d; an invoice paid after d is unpaid on
d), so a score kept for d is what could have been known on d, and the back-test sees
no later data. A signal gets the scored accounts with their window [lo, hi) (hi is the
day after the as-of day) and returns ``account_id``, ``as_of``, ``raw``; ``raw`` is
null when the account has nothing to measure (e.g. no ticket in the window).

* ``mau_trend``: MAU of the window's last month / mean MAU of the three months before
  it, minus 1 (-0.25 = a quarter fewer active users than usual); null when the three
  months before had no active user. MAU as in the ``mau`` KPI.
* ``tickets_per_100_licenses``: tickets opened in the window per 100 licenses in
  force on the as-of day, per month of the window; null without licenses.
* ``ticket_days_open``: mean days the tickets opened in the window stayed open,
  counting a ticket still open on the as-of day up to that day.
* ``ticket_csat``: share of the CSAT ratings (1-5) of tickets resolved in the window
  that are 4 or 5.
* ``invoices_on_time``: share of the invoices due in the window that were paid on or
  before their due day.
* ``champion_present``: 1 when a user with a champion role (``health.champion_roles``)
  is active on the as-of day (created on or before it, not deactivated), else 0; null
  for an account with no user at all.
* ``email_engagement``: opens and clicks / (opens, clicks, bounces and unsubscribes)
  of marketing email in the window.
* ``community_engagement``: community posts and webinar attendances in the window.
* ``renewals_so_far``: renewal days on or before the as-of day on which the account
  continued (a paid contract in force on the day after a term ended, signed by then).
* ``tenure_months``: months since the account's first paid contract started.
* ``goals_achieved``: of the success-plan goals decided in the window (achieved, or
  past their target day unachieved), the share achieved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis import get
from csmetrics.kpis.compute import expression
from csmetrics.kpis.contracts import first_paid_start
from csmetrics.kpis.timeframe import seconds_between
from csmetrics.periods import Period, add_months

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.kpis import KpiContext

Unit = str  # ratio | count | days | months | flag


@dataclass(frozen=True)
class SignalContext:
    """The scored accounts and their windows, and what a signal may read.

    ``spans``: account_id, as_of, lo, hi (dates), lo_ts, hi_ts (timestamps), licenses;
    ``days``: the distinct as-of days in it.
    """

    kpi: KpiContext
    spans: ir.Table
    days: tuple[date, ...]
    window_months: int

    @property
    def config(self) -> Config:
        return self.kpi.config

    def table(self, name: str) -> ir.Table:
        return self.kpi.table(name)


@dataclass(frozen=True)
class Signal:
    name: str
    title: str
    unit: Unit
    tables: tuple[str, ...]
    build: Callable[[SignalContext], ir.Table]


KEYS = ("account_id", "as_of")
_SECONDS_PER_DAY = 86400.0


def _result(t: ir.Table, raw: ir.Value) -> ir.Table:
    return t.select(*KEYS, raw=raw.cast("float64"))


def _share(part: ir.Value, whole: ir.Value) -> ir.Value:
    return ibis.ifelse(whole > 0, part.cast("float64") / whole, ibis.null("float64"))


def _in_window(s: ir.Table, t: ir.Table, column: str) -> list[ir.BooleanValue]:
    """Join conditions: same account, ``t[column]`` inside the span's [lo, hi)."""
    timed = t[column].type().is_timestamp()
    lo, hi = (s.lo_ts, s.hi_ts) if timed else (s.lo, s.hi)
    return [t.account_id == s.account_id, t[column] >= lo, t[column] < hi]


def _spans(ctx: SignalContext) -> ir.Table:
    return ctx.spans.select(*KEYS, "lo", "hi", "lo_ts", "hi_ts", "licenses")


# -- usage ------------------------------------------------------------------------------


def mau_trend(ctx: SignalContext) -> ir.Table:
    """Uses the ``mau`` KPI over the four months ending on each as-of day (one query)."""
    days = sorted(set(ctx.days))
    rows: dict[str, list] = {"as_of": [], "step": [], "p_start": [], "p_end": []}
    periods: dict[tuple[date, date], Period] = {}
    for day in days:
        hi = day + timedelta(days=1)
        for step in range(4):
            start, end = add_months(hi, -(step + 1)), add_months(hi, -step)
            periods[(start, end)] = Period(start, end, f"{start}..{end}")
            rows["as_of"].append(day)
            rows["step"].append(step)
            rows["p_start"].append(start)
            rows["p_end"].append(end)
    steps = ibis.memtable(
        rows, schema={"as_of": "date", "step": "int64", "p_start": "date", "p_end": "date"}
    )
    kctx = replace(ctx.kpi, periods=tuple(periods.values()), grain="account")
    mau = expression(get("mau"), kctx).select("account_id", "period_start", "period_end", "value")
    s = ctx.spans.select(*KEYS)
    per_day = s.join(steps, "as_of")
    j = per_day.left_join(
        mau,
        [
            mau.account_id == per_day.account_id,
            mau.period_start == per_day.p_start,
            mau.period_end == per_day.p_end,
        ],
    )
    value = j.value.fill_null(0).cast("float64")
    agg = j.group_by(KEYS).aggregate(
        current=value.sum(where=j.step == 0),
        before=value.sum(where=j.step > 0) / 3.0,
    )
    return _result(agg, ibis.ifelse(agg.before > 0, agg.current / agg.before - 1.0, None))


# -- support ----------------------------------------------------------------------------


def tickets_per_100_licenses(ctx: SignalContext) -> ir.Table:
    s, t = _spans(ctx), ctx.table("tickets")
    j = s.left_join(t, _in_window(s, t, "opened_at"))
    agg = j.group_by(KEYS).aggregate(tickets=j.ticket_id.count(), licenses=j.licenses.max())
    rate = agg.tickets.cast("float64") * 100.0 / agg.licenses / ctx.window_months
    return _result(agg, ibis.ifelse(agg.licenses > 0, rate, ibis.null("float64")))


def ticket_days_open(ctx: SignalContext) -> ir.Table:
    s, t = _spans(ctx), ctx.table("tickets")
    j = s.join(t, _in_window(s, t, "opened_at"))
    resolved = j.resolved_at.notnull() & (j.resolved_at < j.hi_ts)
    until = ibis.ifelse(resolved, j.resolved_at, j.hi_ts)
    days = seconds_between(until, j.opened_at) / _SECONDS_PER_DAY
    agg = j.group_by(KEYS).aggregate(raw=days.mean())
    return _result(agg, agg.raw)


def ticket_csat(ctx: SignalContext) -> ir.Table:
    s, t = _spans(ctx), ctx.table("tickets")
    t = t.filter(t.csat.notnull())
    j = s.join(t, _in_window(s, t, "resolved_at"))
    agg = j.group_by(KEYS).aggregate(good=(j.csat >= 4).sum(), rated=j.ticket_id.count())
    return _result(agg, _share(agg.good, agg.rated))


# -- billing ----------------------------------------------------------------------------


def invoices_on_time(ctx: SignalContext) -> ir.Table:
    s, i = _spans(ctx), ctx.table("invoices")
    j = s.join(i, _in_window(s, i, "due_at"))
    on_time = j.paid_at.notnull() & (j.paid_at <= j.due_at)
    agg = j.group_by(KEYS).aggregate(on_time=on_time.sum(), due=j.invoice_id.count())
    return _result(agg, _share(agg.on_time, agg.due))


# -- people and engagement ----------------------------------------------------------------


def champion_present(ctx: SignalContext) -> ir.Table:
    s, u = _spans(ctx), ctx.table("users")
    j = s.join(u, [u.account_id == s.account_id, u.created_at < s.hi_ts])
    active = j.deactivated_at.isnull() | (j.deactivated_at >= j.hi_ts)
    champion = j.role.isin(ctx.config.health.champion_roles) & active
    agg = j.group_by(KEYS).aggregate(champions=champion.sum())
    return _result(agg, ibis.ifelse(agg.champions > 0, 1.0, 0.0))


def email_engagement(ctx: SignalContext) -> ir.Table:
    s, e = _spans(ctx), ctx.table("engagements")
    e = e.filter(e.channel == "email")
    j = s.join(e, _in_window(s, e, "occurred_at"))
    good = j.action.isin(("open", "click"))
    bad = j.action.isin(("bounce", "unsubscribe"))
    agg = j.group_by(KEYS).aggregate(good=good.sum(), counted=(good | bad).sum())
    return _result(agg, _share(agg.good, agg.counted))


def community_engagement(ctx: SignalContext) -> ir.Table:
    s, e = _spans(ctx), ctx.table("engagements")
    e = e.filter(
        ((e.channel == "community") & (e.action == "post"))
        | ((e.channel == "webinar") & (e.action == "attend"))
    )
    j = s.left_join(e, _in_window(s, e, "occurred_at"))
    agg = j.group_by(KEYS).aggregate(raw=j.action.count())
    return _result(agg, agg.raw)


# -- commercial history ---------------------------------------------------------------------


def renewals_so_far(ctx: SignalContext) -> ir.Table:
    s = _spans(ctx)
    c = ctx.table("contracts")
    due = c.filter(c.end_date.notnull()).select(
        _account="account_id", _id="contract_id", _start="start_date", _due="end_date"
    )
    nxt = c.filter(c.arr > 0)
    grace = ibis.interval(days=ctx.config.revenue.renewal_grace_days)
    pairs = due.join(
        nxt,
        [
            nxt.account_id == due._account,
            nxt.contract_id != due._id,
            nxt.start_date > due._start,
            nxt.start_date <= due._due + grace,
            nxt.end_date.isnull() | (nxt.end_date > due._due),
        ],
    )
    renewals = pairs.group_by(["_account", "_due"]).aggregate(signed=pairs.start_date.min())
    j = s.left_join(
        renewals,
        [
            renewals._account == s.account_id,
            renewals._due <= s.as_of,
            renewals.signed <= s.as_of,
        ],
    )
    agg = j.group_by(KEYS).aggregate(raw=j._due.count())
    return _result(agg, agg.raw)


def tenure_months(ctx: SignalContext) -> ir.Table:
    s = _spans(ctx)
    first = first_paid_start(ctx.kpi)
    j = s.join(first, "account_id")
    days = seconds_between(j.hi, j.first_paid_start) / _SECONDS_PER_DAY
    return _result(j, ibis.greatest(days - 1, 0) / 30.4375)


def goals_achieved(ctx: SignalContext) -> ir.Table:
    s, g = _spans(ctx), ctx.table("success_plans")
    j = s.join(g, [g.account_id == s.account_id, g.defined_at < s.hi])
    achieved = j.achieved_at.notnull() & (j.achieved_at < j.hi)
    decided_on = ibis.ifelse(achieved, j.achieved_at, j.target_date)
    decided = decided_on.notnull() & (decided_on >= j.lo) & (decided_on < j.hi)
    agg = j.group_by(KEYS).aggregate(achieved=(decided & achieved).sum(), decided=decided.sum())
    return _result(agg, _share(agg.achieved, agg.decided))


SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal("mau_trend", "MAU trend", "change", ("events",), mau_trend),
        Signal(
            "tickets_per_100_licenses",
            "Tickets per 100 licenses per month",
            "count",
            ("tickets", "contracts"),
            tickets_per_100_licenses,
        ),
        Signal(
            "ticket_days_open", "Days tickets stay open", "days", ("tickets",), ticket_days_open
        ),
        Signal(
            "ticket_csat", "Support CSAT (resolved tickets)", "ratio", ("tickets",), ticket_csat
        ),
        Signal(
            "invoices_on_time", "Invoices paid on time", "ratio", ("invoices",), invoices_on_time
        ),
        Signal("champion_present", "Champion present", "flag", ("users",), champion_present),
        Signal("email_engagement", "Email engagement", "ratio", ("engagements",), email_engagement),
        Signal(
            "community_engagement",
            "Community posts and webinars",
            "count",
            ("engagements",),
            community_engagement,
        ),
        Signal("renewals_so_far", "Renewals so far", "count", ("contracts",), renewals_so_far),
        Signal("tenure_months", "Months as a customer", "months", ("contracts",), tenure_months),
        Signal(
            "goals_achieved",
            "Success-plan goals achieved",
            "ratio",
            ("success_plans",),
            goals_achieved,
        ),
    )
}
