"""Adoption: monthly active users, license utilisation, MAU vs target, key features.

Definitions for a period [a, b):

* A user is *active* on a day when they did at least one significant action that day
  (an event whose type is in ``adoption.active_event_types``). Days are calendar
  days of ``event_time``: an event at 23:59:59.999 on the 31st belongs to that month.
* **MAU** of a period is measured over its *end month*: the window
  [max(a, b - 1 month), b), i.e. the period's last calendar month (for a month, the
  month itself; for a quarter, its third month: the quarterly MAU expected outcome
  is the MAU the quarter ends with). MAU = distinct active users per account,
  added up over accounts.
* **Licenses** of a period: seats of the contracts in force on the period's last
  day, b - 1 (start_date <= b - 1 < end_date, churn recognition as for ARR), so a
  term ending on b still counts for the month it paid for.
* **License utilisation** = MAU of the accounts holding licenses / their licenses.
  An account with users but no licenses (a pilot) is in neither part.
* **Key-feature adoption**: accounts with at least one active user in the end month
  that also used a key feature (``adoption.key_features``) there / active accounts;
  and users who used a key feature / licenses.

Every KPI reads the user rollups (``kpis.rollups``), never raw events when the store
has them: a month-aligned period is answered from one row per user and month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.contracts import effective_contracts
from csmetrics.kpis.registry import Kpi, ratio, register, total
from csmetrics.kpis.rollups import active_days, month_aligned, reads_month_rollup
from csmetrics.periods import add_months

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

WINDOW_COLUMNS = ("end_lo", "end_hi", "start_lo", "start_hi")


def windows(ctx: KpiContext) -> ir.Table:
    """Per period: ``_pi`` (its index), the end month [end_lo, end_hi) and the month
    before the period [start_lo, start_hi)."""
    rows: dict[str, list] = {c: [] for c in ("_pi", *PERIOD_COLUMNS, *WINDOW_COLUMNS)}
    for i, p in enumerate(ctx.periods):
        rows["_pi"].append(i)
        rows["period"].append(p.label)
        rows["period_start"].append(p.start)
        rows["period_end"].append(p.end)
        rows["end_lo"].append(max(p.start, add_months(p.end, -1)))
        rows["end_hi"].append(p.end)
        rows["start_lo"].append(add_months(p.start, -1))
        rows["start_hi"].append(p.start)
    schema = {"_pi": "int64", "period": "string"}
    schema.update({c: "date" for c in rows if c not in schema})
    return ibis.memtable(rows, schema=schema)


def with_periods(ctx: KpiContext, t: ir.Table) -> ir.Table:
    """``t`` keyed by ``_pi`` with the period columns in its place."""
    w = windows(ctx).select("_pi", *PERIOD_COLUMNS).rename(_w="_pi")
    j = t.join(w, t._pi == w._w)
    return j.select(*PERIOD_COLUMNS, *[c for c in t.columns if c != "_pi"])


def _bounds(ctx: KpiContext, lo: str, hi: str) -> tuple[date, date]:
    w = {
        "end_lo": [max(p.start, add_months(p.end, -1)) for p in ctx.periods],
        "end_hi": [p.end for p in ctx.periods],
        "start_lo": [add_months(p.start, -1) for p in ctx.periods],
        "start_hi": [p.start for p in ctx.periods],
    }
    return min(w[lo]), max(w[hi])


def typed_days(ctx: KpiContext, types: Sequence[str]) -> ir.Table:
    """account_id, user_id, day of activity with the given event types (see ``rollups``)."""
    return active_days(ctx, types)


def users_in_window(ctx: KpiContext, types: Sequence[str], lo: str, hi: str) -> ir.Table:
    """_pi (period index), account_id, user_id: users with an event of ``types`` in [lo, hi).

    Rows may repeat (a user active on several days); count distinct users.
    """
    first, last = _bounds(ctx, lo, hi)
    ud = typed_days(ctx, types)
    ud = ud.filter(ud.day >= first, ud.day < last)
    w = windows(ctx)
    w = w.select("_pi", lo, hi)
    if month_aligned(ctx):
        # every window is then exactly one calendar month: an equality join on the month
        j = ud.join(w, ud.day.truncate("M") == w[lo])
    else:
        j = ud.join(w, [ud.day >= w[lo], ud.day < w[hi]])
    return j.select("_pi", "account_id", "user_id")


def _per_account(ctx: KpiContext, users: ir.Table, name: str, types: Sequence[str]) -> ir.Table:
    """Distinct users per period and account (the heavy step keyed by a small integer)."""
    # from the month rollup a (period, account, user) comes once: counting rows is enough
    n = users.count() if reads_month_rollup(ctx, types) else users.user_id.nunique()
    counted = users.group_by(["_pi", "account_id"]).aggregate(**{name: n})
    return with_periods(ctx, counted)


def licenses_at_end(ctx: KpiContext) -> ir.Table:
    """Period columns, account_id, licenses: seats in force on the period's last day."""
    c = effective_contracts(ctx)
    p = ctx.periods_table()
    last = p.period_end - ibis.interval(days=1)
    p = p.mutate(_last=last)
    j = p.join(c, [c.start_date <= p._last, c.end_date.isnull() | (c.end_date > p._last)])
    return j.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(
        licenses=j.licenses.fill_null(0).sum()
    )


def combine(parts: dict[str, ir.Table]) -> ir.Table:
    """Outer-combine per-account tables, each with one measure column, into one (zeros filled)."""
    names = list(parts)
    aligned = []
    for name, t in parts.items():
        extra = {other: ibis.literal(0, "int64") for other in names if other != name}
        aligned.append(
            t.select(
                *PERIOD_COLUMNS, "account_id", **{name: t[name].cast("int64")}, **extra
            ).select(*PERIOD_COLUMNS, "account_id", *names)
        )
    u = ibis.union(*aligned)
    return u.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(
        **{name: u[name].sum() for name in names}
    )


def active_types(ctx: KpiContext) -> tuple[str, ...]:
    return ctx.config.adoption.active_event_types


def mau_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: mau (distinct active users in the end month)."""
    types = active_types(ctx)
    return _per_account(ctx, users_in_window(ctx, types, "end_lo", "end_hi"), "mau", types)


def utilisation_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: mau, licenses, and mau_licensed (MAU where licenses > 0)."""
    t = combine({"mau": mau_facts(ctx), "licenses": licenses_at_end(ctx)})
    return t.mutate(mau_licensed=ibis.ifelse(t.licenses > 0, t.mau, 0))


def key_feature_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: active and key-feature users, licenses, and account flags."""
    key = ctx.config.adoption.key_features
    t = combine(
        {
            "mau": mau_facts(ctx),
            "key_users": _per_account(
                ctx, users_in_window(ctx, key, "end_lo", "end_hi"), "key_users", key
            ),
            "licenses": licenses_at_end(ctx),
        }
    )
    active = t.mau > 0
    return t.mutate(
        active_account=active.cast("int64"),
        key_account=(active & (t.key_users > 0)).cast("int64"),
        key_users_licensed=ibis.ifelse(t.licenses > 0, t.key_users, 0),
    )


def stored_targets(ctx: KpiContext, kpis: Sequence[str], grain: str) -> ir.Table:
    """kpi, grain_id, period, target, source: the targets set for ``kpis`` at ``grain``.

    In order of precedence (the first that sets a kpi, id and period wins): the
    ``targets`` table, then ``targets.values`` in config, then, for the company's MAU,
    ``adoption.mau_targets``. Ids are csm_id, team name or ``all`` (company); periods
    are labels (``2026-Q3``) compared as written.
    """
    t = ctx.table("targets")
    table_rows = t.filter(t.kpi.isin(list(kpis)), t.grain == grain).select(
        kpi=t.kpi.cast("string"),
        grain_id=t.grain_id.cast("string"),
        period=t.period.cast("string"),
        target=t.target.cast("float64"),
        source=ibis.literal("table", "string"),
    )
    configured: dict[tuple[str, str, str], tuple[float, str]] = {}
    for row in ctx.config.targets.values:
        if row.kpi in kpis and row.grain == grain:
            configured.setdefault((row.kpi, row.id, row.period), (row.target, "config"))
    if grain == "company" and "mau" in kpis:
        for label, value in ctx.config.adoption.mau_targets.items():
            configured.setdefault(
                ("mau", "all", str(label)), (float(value), "adoption.mau_targets")
            )
    if not configured:
        return table_rows
    keys = list(configured)
    conf = ibis.memtable(
        {
            "kpi": [k[0] for k in keys],
            "grain_id": [k[1] for k in keys],
            "period": [k[2] for k in keys],
            "target": [configured[k][0] for k in keys],
            "source": [configured[k][1] for k in keys],
        },
        schema={
            "kpi": "string",
            "grain_id": "string",
            "period": "string",
            "target": "float64",
            "source": "string",
        },
    )
    conf = conf.anti_join(
        table_rows,
        [
            conf.kpi == table_rows.kpi,
            conf.grain_id == table_rows.grain_id,
            conf.period == table_rows.period,
        ],
    )
    return ibis.union(table_rows, conf)


def target_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: mau, and the MAU target of the account's group in this grain.

    Targets come from ``stored_targets`` (kpi ``mau``; grain csm -> the owner's csm_id,
    team -> the owner's team, company -> ``all``). Every row of a group carries its
    target, and the measure takes it once (max), not summed over accounts.
    """
    from csmetrics.kpis.grains import owners

    facts = mau_facts(ctx)
    grain = ctx.grain
    if grain == "company":
        facts = facts.mutate(_gid=ibis.literal("all"))
    else:
        o = owners(ctx).rename(_account="account_id", _start="period_start", _csm="csm_id")
        facts = facts.left_join(
            o, [facts.account_id == o._account, facts.period_start == o._start]
        ).drop("_account", "_start")
        if grain == "team":
            csms = ctx.table("csms").select(_c="csm_id", _team="team")
            facts = facts.left_join(csms, facts._csm == csms._c).drop("_c", "_csm")
            facts = facts.rename(_gid="_team")
        else:
            facts = facts.rename(_gid="_csm")
    t = stored_targets(ctx, ("mau",), grain)
    stored = t.select(_tid="grain_id", _tperiod="period", target="target")
    j = facts.left_join(stored, [facts._gid == stored._tid, facts.period == stored._tperiod])
    return j.select(*PERIOD_COLUMNS, "account_id", "mau", "target")


def _attainment(facts: ir.Table) -> dict[str, ir.Value]:
    return {"numerator": facts.mau.sum(), "denominator": facts.target.max()}


_COMMON = {"family": "adoption", "tables": ("events",)}

register(
    Kpi(
        name="mau",
        title="Monthly active users",
        description=(
            "Distinct users with at least one significant action (the event types in "
            "adoption.active_event_types) in the period's last month."
        ),
        formula="distinct users with a significant action in [max(a, b - 1 month), b)",
        unit="count",
        direction="higher",
        facts=mau_facts,
        measures=total("mau"),
        example=(
            "Users u1 (sign_in on 2026-07-31 23:59:59.999) and u2 (meeting_booked on "
            "2026-07-02) -> MAU for 2026-07 = 2; a page_view alone does not count."
        ),
        **_COMMON,
    )
)

register(
    Kpi(
        name="license_utilisation",
        title="License utilisation",
        description=(
            "MAU of the accounts holding licenses divided by their licenses in force on "
            "the period's last day."
        ),
        formula="MAU of licensed accounts / licenses active on day b - 1",
        unit="ratio",
        direction="higher",
        facts=utilisation_facts,
        measures=ratio("mau_licensed", "licenses"),
        family="adoption",
        tables=("events", "contracts"),
        example="8 active users on an account with 10 licenses on 2026-07-31 -> 0.80.",
    )
)

register(
    Kpi(
        name="mau_attainment",
        title="MAU vs target",
        description=(
            "MAU the period ends with against the MAU target (the quarterly MAU expected "
            "outcome) from the targets table or adoption.mau_targets; null without a target."
        ),
        formula="MAU in the period's last month / MAU target for the group and period",
        unit="ratio",
        direction="higher",
        facts=target_facts,
        measures=_attainment,
        grains=("csm", "team", "company"),
        example="Target 100 for 2026-Q3; 90 users active in September -> 0.90.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="key_feature_account_adoption",
        title="Key-feature adoption (accounts)",
        description=(
            "Share of active accounts (at least one active user in the period's last month) "
            "whose users used a key feature (adoption.key_features) that month."
        ),
        formula="active accounts with a key-feature event in the end month / active accounts",
        unit="ratio",
        direction="higher",
        facts=key_feature_facts,
        measures=ratio("key_account", "active_account"),
        example="4 active accounts, 3 of them used a key feature in July -> 0.75.",
        **_COMMON,
    )
)

register(
    Kpi(
        name="key_feature_user_adoption",
        title="Key-feature adoption (licensed users)",
        description=(
            "Users who used a key feature in the period's last month, on accounts holding "
            "licenses, divided by those licenses."
        ),
        formula="key-feature users of licensed accounts / licenses active on day b - 1",
        unit="ratio",
        direction="higher",
        facts=key_feature_facts,
        measures=ratio("key_users_licensed", "licenses"),
        family="adoption",
        tables=("events", "contracts"),
        example="3 users created routing rules in July on an account with 10 licenses -> 0.30.",
    )
)
