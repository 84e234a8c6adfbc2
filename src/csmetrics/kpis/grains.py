"""Grains: who or what a fact is attributed to.

* ``account``: the account (account_id, account_name).
* ``csm``: the owner on the period's first day: the ``assignments`` row with
  valid_from <= a < valid_to (the latest valid_from if rows overlap), else the
  account's current ``accounts.csm_id``. Reassigning an account mid-period does
  not move that period; the next period follows the new owner.
* ``team``: the ``csms.team`` of that owner.
* ``tier``, ``segment``: the account's current tier and segment.
* ``company``: everything together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext
    from csmetrics.kpis.registry import Grain

GRAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("account_id", "account_name"),
    "csm": ("csm_id", "csm_name"),
    "team": ("team",),
    "tier": ("tier",),
    "segment": ("segment",),
    "company": (),
}

# The tables a grain reads besides the KPI's own (the owner needs csms for names).
GRAIN_TABLES: dict[str, tuple[str, ...]] = {
    "account": ("accounts",),
    "csm": ("accounts", "csms"),
    "team": ("accounts", "csms"),
    "tier": ("accounts",),
    "segment": ("accounts",),
    "company": (),
}


def owners(ctx: KpiContext) -> ir.Table:
    """period_start, account_id, csm_id: the owner of every account on each period's first day."""
    starts = ctx.periods_table().select("period_start").distinct()
    accounts = ctx.table("accounts").select("account_id", current_csm="csm_id")
    base = starts.cross_join(accounts)
    a = ctx.table("assignments").select(
        _account="account_id", _csm="csm_id", _from="valid_from", _to="valid_to"
    )
    joined = base.left_join(
        a,
        [
            base.account_id == a._account,
            a._from <= base.period_start,
            a._to.isnull() | (a._to > base.period_start),
        ],
    )
    per_account = joined.group_by(["period_start", "account_id"]).aggregate(
        assigned=joined._csm.argmax(joined._from),
        current_csm=joined.current_csm.max(),
    )
    return per_account.select(
        "period_start",
        "account_id",
        csm_id=ibis.coalesce(per_account.assigned, per_account.current_csm),
    )


def attach(ctx: KpiContext, facts: ir.Table) -> ir.Table:
    """``facts`` (with account_id and period_start) plus the columns of ``ctx.grain``."""
    grain = ctx.grain
    if grain == "company":
        return facts
    if grain in ("account", "tier", "segment"):
        accounts = ctx.table("accounts")
        source, target = ("name", "account_name") if grain == "account" else (grain, grain)
        attrs = accounts.select(_account=accounts.account_id, **{target: accounts[source]})
        joined = facts.left_join(attrs, facts.account_id == attrs._account)
        return joined.drop("_account")
    owned = owners(ctx).rename(_account="account_id", _start="period_start")
    joined = facts.left_join(
        owned, [facts.account_id == owned._account, facts.period_start == owned._start]
    ).drop("_account", "_start")
    csms = ctx.table("csms").select(_csm="csm_id", csm_name="name", team="team")
    joined = joined.left_join(csms, joined.csm_id == csms._csm).drop("_csm")
    return joined.drop("team") if grain == "csm" else joined.drop("csm_id", "csm_name")


def group_keys(grain: Grain) -> list[str]:
    """The columns a KPI result is grouped by: the grain's, then the period's."""
    return [*GRAIN_COLUMNS[grain], *PERIOD_COLUMNS]
