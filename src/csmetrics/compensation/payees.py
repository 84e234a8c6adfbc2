"""Who a plan pays in a period, how much at target, and for how many days.

A person is on a plan when the plan's ``eligible`` rule includes their csm_id, role
and team (``csms``) and they were employed at least one day of the period:
[start_date, end_date) overlaps [a, b). Their on-target pay is the plan's, or the
override for their role, or the one for their csm_id (the most specific wins). With
``proration: days_employed`` it is scaled by days employed in the period / days in
the period, so a CSM who joined on 2026-08-01 earns 61/92 of a 2026-Q3 plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from csmetrics.config.compensation import Plan
    from csmetrics.engine import Engine
    from csmetrics.periods import Period


@dataclass(frozen=True)
class Payee:
    """One person on one plan for one period, with their pay basis."""

    csm_id: str
    name: str
    team: str | None
    role: str | None
    start_date: date | None
    end_date: date | None
    on_target_pay: float  # for a full period
    pay_basis: str  # "plan", "role manager", "csm C07": where on_target_pay came from
    days_employed: int
    period_days: int
    proration: str  # the plan's rule

    @property
    def factor(self) -> float:
        """The share of a full period's pay this person earns."""
        if self.proration == "none":
            return 1.0
        return self.days_employed / self.period_days


def roster(engine: Engine) -> pd.DataFrame:
    """Every person in ``csms`` (a few hundred rows at most)."""
    csms = engine.table("csms")
    frame = engine.execute(
        csms.select("csm_id", "name", "team", "role", "start_date", "end_date").order_by("csm_id")
    )
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def payees(people: pd.DataFrame, plan: Plan, period: Period) -> list[Payee]:
    """The people ``plan`` pays for ``period``, in csm_id order."""
    out = []
    for row in people.to_dict("records"):
        person = _payee(row, plan, period)
        if person is not None:
            out.append(person)
    return out


def employed_days(start: date | None, end: date | None, period: Period) -> int:
    """Days of [start, end) inside the period; an empty start or end is unbounded."""
    lo = max(start, period.start) if start else period.start
    hi = min(end, period.end) if end else period.end
    return max((hi - lo).days, 0)


def why_not(row: dict, plan: Plan, period: Period) -> str:
    """Why a person is not on the plan in this period (for a one-line error)."""
    if not plan.eligible.includes(str(row["csm_id"]), _text(row["role"]), _text(row["team"])):
        return f"role {row['role']}, team {row['team']} is not eligible"
    return (
        f"not employed in {period.label} (start {row['start_date']}, end {_day(row['end_date'])})"
    )


def _payee(row: dict, plan: Plan, period: Period) -> Payee | None:
    csm_id, role, team = str(row["csm_id"]), _text(row["role"]), _text(row["team"])
    if not plan.eligible.includes(csm_id, role, team):
        return None
    start, end = _day(row["start_date"]), _day(row["end_date"])
    days = employed_days(start, end, period)
    if days == 0:
        return None
    pay, basis = plan.on_target_pay, "plan"
    if role is not None and role in plan.on_target_pay_by_role:
        pay, basis = plan.on_target_pay_by_role[role], f"role {role}"
    if csm_id in plan.on_target_pay_by_csm:
        pay, basis = plan.on_target_pay_by_csm[csm_id], f"csm {csm_id}"
    return Payee(
        csm_id=csm_id,
        name=str(row["name"]),
        team=team,
        role=role,
        start_date=start,
        end_date=end,
        on_target_pay=float(pay),
        pay_basis=basis,
        days_employed=days,
        period_days=period.days,
        proration=plan.proration,
    )


def _text(value: object) -> str | None:
    return None if value is None or value != value else str(value)


def _day(value: object) -> date | None:
    if value is None or value != value or value is pd.NaT:
        return None
    return value  # type: ignore[return-value]
