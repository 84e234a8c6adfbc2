"""Where the MAU change comes from: new, retained, re-engaged and lapsed users.

For a period [a, b) compare two sets of active users per account (see ``adoption``):

* S, the *start set*: active in the month before the period, [a - 1 month, a);
* E, the *end set*: active in the period's last month, [max(a, b - 1 month), b).

For a month both are consecutive months (month over month); for a quarter, the
quarter's last month against the previous quarter's last month. Each user is:

* **retained**: in S and in E;
* **lapsed**: in S, not in E;
* **new**: in E, not in S, and first ever active on or after a;
* **re-engaged**: in E, not in S, and active at some time before a - 1 month
  (came back after a month or more without a significant action).

So MAU(E) - MAU(S) = new + re-engaged - lapsed, exactly (``mau_net_change``).
**From newly launched customers**: the net change on accounts whose first paid
contract started within ``adoption.new_customer_months`` months before the end month.
**New customer teams**: (account, users.customer_team) pairs whose first active user
ever was active in [a, b).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.adoption import active_types, typed_days, windows
from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.contracts import first_paid_start
from csmetrics.kpis.registry import Kpi, register, total
from csmetrics.periods import add_months

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext


def first_active(ctx: KpiContext) -> ir.Table:
    """account_id, user_id, first_day: the first day each user was ever active."""
    ud = typed_days(ctx, active_types(ctx))
    return ud.group_by(["account_id", "user_id"]).aggregate(first_day=ud.day.min())


def user_change(ctx: KpiContext) -> ir.Table:
    """Per period, account and user active in S or E: in_start, in_end and the user's kind."""
    lo = min(add_months(p.start, -1) for p in ctx.periods)
    hi = max(p.end for p in ctx.periods)
    ud = typed_days(ctx, active_types(ctx))
    ud = ud.filter(ud.day >= lo, ud.day < hi)
    w = windows(ctx)
    in_start = (ud.day >= w.start_lo) & (ud.day < w.start_hi)
    in_end = (ud.day >= w.end_lo) & (ud.day < w.end_hi)
    j = ud.join(w, in_start | in_end)
    j = j.mutate(_s=in_start.cast("int64"), _e=in_end.cast("int64"))
    users = j.group_by([*PERIOD_COLUMNS, "start_lo", "account_id", "user_id"]).aggregate(
        in_start=j._s.max(), in_end=j._e.max()
    )
    f = first_active(ctx).rename(_a="account_id", _u="user_id")
    users = users.left_join(f, [users.account_id == f._a, users.user_id == f._u]).drop("_a", "_u")
    came = (users.in_end == 1) & (users.in_start == 0)
    return users.mutate(
        retained=((users.in_start == 1) & (users.in_end == 1)).cast("int64"),
        lapsed=((users.in_start == 1) & (users.in_end == 0)).cast("int64"),
        new=(came & (users.first_day >= users.period_start)).cast("int64"),
        reengaged=(came & (users.first_day < users.start_lo)).cast("int64"),
        net=users.in_end - users.in_start,
    )


def change_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: retained, lapsed, new, reengaged users and the net change."""
    u = user_change(ctx)
    cols = ("retained", "lapsed", "new", "reengaged", "net")
    return u.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(**{c: u[c].sum() for c in cols})


def launched_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: the net MAU change when the account launched recently."""
    t = change_facts(ctx)
    starts = first_paid_start(ctx).rename(_a="account_id")
    t = t.left_join(starts, t.account_id == starts._a).drop("_a")
    months = ctx.config.adoption.new_customer_months
    w = windows(ctx).select(_p="period", _end_lo="end_lo")
    t = t.left_join(w, t.period == w._p).drop("_p")
    cutoff = t._end_lo - ibis.interval(months=months)
    recent = t.first_paid_start.notnull() & (t.first_paid_start >= cutoff)
    return t.select(*PERIOD_COLUMNS, "account_id", net_launched=ibis.ifelse(recent, t.net, 0))


def team_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: customer teams whose first active user ever began in [a, b)."""
    f = first_active(ctx)
    users = ctx.table("users").select(_u="user_id", customer_team="customer_team")
    f = f.join(users, f.user_id == users._u).drop("_u")
    f = f.filter(f.customer_team.notnull())
    teams = f.group_by(["account_id", "customer_team"]).aggregate(first_day=f.first_day.min())
    p = ctx.periods_table()
    j = teams.join(p, [teams.first_day >= p.period_start, teams.first_day < p.period_end])
    return j.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(new_teams=j.count())


def _change_kpi(name: str, column: str, title: str, description: str, example: str) -> None:
    register(
        Kpi(
            name=name,
            title=title,
            description=description,
            formula=f"sum over accounts of {column} users between S and E (see adoption_change)",
            unit="count",
            direction="lower" if column == "lapsed" else "higher",
            tables=("events",),
            facts=change_facts,
            measures=total(column),
            family="adoption",
            example=example,
        )
    )


_change_kpi(
    "mau_new_users",
    "new",
    "MAU change: new users",
    "Users active in the period's last month who were never active before the period.",
    "u3 first signs in on 2026-07-10 -> 1 new user in 2026-07.",
)
_change_kpi(
    "mau_retained_users",
    "retained",
    "MAU change: retained users",
    "Users active in the month before the period and in its last month.",
    "u1 active in June and July -> 1 retained user in 2026-07.",
)
_change_kpi(
    "mau_reengaged_users",
    "reengaged",
    "MAU change: re-engaged users",
    "Users active in the period's last month, not in the month before the period, but "
    "active at some earlier time (back after a month or more inactive).",
    "u4 active in April, silent in May and June, active in July -> 1 re-engaged in 2026-07.",
)
_change_kpi(
    "mau_lapsed_users",
    "lapsed",
    "MAU change: lapsed users",
    "Users active in the month before the period but not in its last month.",
    "u2 active in June, not in July -> 1 lapsed user in 2026-07.",
)
_change_kpi(
    "mau_net_change",
    "net",
    "MAU net change",
    "MAU of the period's last month minus MAU of the month before the period; equals "
    "new + re-engaged - lapsed.",
    "June MAU 3, July MAU 4 -> +1 (2 new + 1 re-engaged - 2 lapsed).",
)

register(
    Kpi(
        name="mau_change_new_customers",
        title="MAU change from newly launched customers",
        description=(
            "The part of the MAU net change on accounts whose first paid contract started "
            "at most adoption.new_customer_months months before the period's last month."
        ),
        formula="sum of MAU net change over accounts launched within N months",
        unit="count",
        direction="higher",
        tables=("events", "contracts"),
        facts=launched_facts,
        measures=total("net_launched"),
        family="adoption",
        example="A new account (first contract 2026-06-15) goes from 0 to 5 MAU in July -> +5.",
    )
)

register(
    Kpi(
        name="new_customer_teams",
        title="New customer teams",
        description=(
            "Customer teams (users.customer_team within an account) whose first active user "
            "ever was active in the period: whitespace adoption."
        ),
        formula="count of (account, customer_team) whose first active day is in [a, b)",
        unit="count",
        direction="higher",
        tables=("events", "users"),
        facts=team_facts,
        measures=total("new_teams"),
        family="adoption",
        example="Team 'finance' of A1 has its first active user on 2026-07-03 -> 1 in 2026-07.",
    )
)
