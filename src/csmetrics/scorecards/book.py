"""The book each owner held on a period's first day, account by account.

For a period [a, b), the book is the start cohort of the retention KPIs (accounts
with ARR > 0 on day a), each with what was known about it on day a:

* ``csm_id``, ``csm_name``, ``team``: the owner on day a (``kpis.grains.owners``);
* ``tier``; ``start_arr`` (ARR on day a, reporting currency); ``tenure_days`` (a minus
  the first day the account ever paid);
* ``renewing``: a contract in force on day a has its term end in (a, b], so the
  customer renews in the period; ``annual_due``: such contracts billed annually or
  multi-year; ``renewal_date``: the first such term end (annual terms first);
  ``monthly``: a monthly-billed contract is in force on day a;
* ``retained`` (1/0) and ``end_arr``: still paying on day b, and the ARR then at day
  a's rates: the outcome, known only after the period.

Contracts signed after day a are never looked at for the day-one columns, so a
monthly renewal in the period's second month cannot leak into them.

The derived logo retention target (``expected_keep``) follows
``targets.logo_retention``: 1 for an account not renewing; its tier's renewal rate
for one renewing; for one whose due contracts are all monthly terms, the monthly
rate to the power of the months the period spans (it renews every month).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from csmetrics.kpis.compute import context
from csmetrics.kpis.contracts import first_paid_start
from csmetrics.kpis.grains import owners
from csmetrics.kpis.retention import cohort_facts

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.kpis.context import KpiContext
    from csmetrics.periods import Period

GRAIN_ID = {"csm": "csm_id", "team": "team"}


def book_expression(ctx: KpiContext) -> ir.Table:
    """The book per period and account (see the module doc), as one deferred expression."""
    cohort = cohort_facts(ctx)
    cohort = cohort.filter(cohort.logos_start == 1).select(
        "period",
        "period_start",
        "period_end",
        "account_id",
        start_arr="start_arr",
        end_arr="end_arr",
        retained="logos_retained",
    )
    c = ctx.table("contracts")
    starts = ctx.periods_table().select("period", "period_start", "period_end")
    live = starts.join(
        c,
        [
            c.start_date <= starts.period_start,
            c.end_date.isnull() | (c.end_date > starts.period_start),
        ],
    )
    due = live.end_date.notnull() & (live.end_date <= live.period_end)
    monthly = live.billing_term == "monthly"
    terms = live.group_by(["period", "account_id"]).aggregate(
        _due=due.cast("int64").sum(),
        annual_due=(due & ~monthly).cast("int64").sum(),
        monthly=monthly.cast("int64").max(),
        _annual_date=live.end_date.min(where=due & ~monthly),
        _any_date=live.end_date.min(where=due),
    )
    terms = terms.rename(_p="period", _a="account_id")
    j = cohort.left_join(terms, [cohort.period == terms._p, cohort.account_id == terms._a])
    j = j.drop("_p", "_a")
    first = first_paid_start(ctx).rename(_a="account_id")
    j = j.left_join(first, j.account_id == first._a).drop("_a")
    own = owners(ctx).rename(_a="account_id", _s="period_start")
    j = j.left_join(own, [j.account_id == own._a, j.period_start == own._s]).drop("_a", "_s")
    staff = ctx.table("csms").select(_c="csm_id", csm_name="name", team="team")
    j = j.left_join(staff, j.csm_id == staff._c).drop("_c")
    accounts = ctx.table("accounts").select(_a="account_id", tier="tier")
    j = j.left_join(accounts, j.account_id == accounts._a).drop("_a")
    return j.select(
        "period",
        "period_start",
        "period_end",
        "account_id",
        "csm_id",
        "csm_name",
        "team",
        "tier",
        "start_arr",
        "end_arr",
        renewal_date=ibis.coalesce(j._annual_date, j._any_date),
        tenure_days=j.period_start.delta(j.first_paid_start, unit="day").cast("int64"),
        renewing=(j._due.fill_null(0) > 0).cast("int64"),
        annual_due=j.annual_due.fill_null(0),
        monthly=j.monthly.fill_null(0),
        retained="retained",
    )


def book_frame(engine: Engine, config: Config, periods: Sequence[Period]) -> pd.DataFrame:
    """The book per period and account as a DataFrame, with ``expected_keep`` added."""
    ctx = context(engine, config, periods, "company", None)
    frame = engine.execute(book_expression(ctx))
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    months = {p.label: _months(p) for p in periods}
    return frame.assign(expected_keep=_expected_keep(frame, config, months))


def _months(period: Period) -> int:
    """Monthly renewals a month-to-month customer makes in the period: months it spans."""
    return max(1, round(period.days / 30.4375))


def _expected_keep(frame: pd.DataFrame, config: Config, months: dict[str, int]) -> np.ndarray:
    rule = config.targets.logo_retention
    by_tier = frame["tier"].map(rule.renewal_rate_by_tier).fillna(rule.renewal_rate)
    monthly_only = frame["annual_due"].eq(0) & frame["monthly"].eq(1)
    monthly_keep = rule.monthly_renewal_rate ** frame["period"].map(months).astype("float64")
    keep = np.where(monthly_only, monthly_keep, by_tier)
    return np.where(frame["renewing"].eq(1), keep, 1.0).astype("float64")


def group_id(book: pd.DataFrame, grain: str) -> pd.Series:
    """The id of each book row's group at ``grain``: csm_id, team, or ``all``."""
    if grain == "company":
        return pd.Series("all", index=book.index, dtype="object")
    return book[GRAIN_ID[grain]]


def group_totals(book: pd.DataFrame, grain: str) -> pd.DataFrame:
    """grain_id, period, accounts, renewing, expected_kept, retained: the book per group."""
    keyed = book.assign(grain_id=group_id(book, grain))
    keyed = keyed[keyed["grain_id"].notna()]
    out = keyed.groupby(["grain_id", "period"], as_index=False).agg(
        accounts=("account_id", "size"),
        renewing=("renewing", "sum"),
        expected_kept=("expected_keep", "sum"),
        retained=("retained", "sum"),
    )
    return out
