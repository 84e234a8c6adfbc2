"""Payout statements: every input number, the curve applied and the amount, per component.

For each person on a plan and each component:

1. the actual: the KPI for the CSM's book (individual) or their team (team), with its
   numerator and denominator;
2. the target, from the plan or the targets table;
3. attainment = actual / target (target / actual when lower is better);
4. the payout share from the component's curve (``curve.payout``);
5. amount = on-target pay x effective weight x payout share x pro-rating factor,
   rounded to cents. The statement total is the sum of the rounded lines, so it adds up.

A component without a value follows its ``missing`` rule: ``zero`` pays 0, ``target``
pays what 100% attainment pays, ``exclude_and_reweight`` drops it and divides the
weights of the components kept by their sum (0.5 and 0.3 kept of 1.0 become 0.625 and
0.375), so the target pay is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from csmetrics.compensation import curve
from csmetrics.compensation.measures import Measurements, measure
from csmetrics.compensation.payees import Payee, payees, roster, why_not
from csmetrics.compensation.plans import GRAIN_OF_SCOPE, measure_of, select
from csmetrics.errors import CompensationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from csmetrics.config import Config
    from csmetrics.config.compensation import Component, Plan
    from csmetrics.engine import Engine
    from csmetrics.periods import Period


@dataclass(frozen=True)
class ComponentLine:
    """One component of one statement, with every number it used."""

    component_id: str
    title: str
    measure: str  # KPI name
    measure_title: str
    unit: str  # the KPI's unit: ratio, money, count, days, score
    parts: str  # unit of a ratio's numerator and denominator
    direction: str  # higher or lower is better
    scope: str  # individual or team
    scope_id: str | None  # the csm_id or team measured
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    target_source: str  # "plan" or "targets table"
    missing: str | None  # why there is no value or no target; None when measured
    missing_rule: str  # zero | target | exclude_and_reweight
    attainment: float | None
    threshold: float | None  # None when an explicit curve is used
    threshold_payout: float | None
    accelerator: float | None
    cap: float | None
    curve: str  # the whole curve in words
    payout: float  # share of the component's target pay
    working: str  # which part of the curve applied, with the numbers
    capped: bool
    weight: float  # as configured
    effective_weight: float  # after exclude_and_reweight
    target_pay: float  # on-target pay x effective weight x pro-rating factor
    amount: float

    @property
    def excluded(self) -> bool:
        return self.missing is not None and self.missing_rule == "exclude_and_reweight"


@dataclass(frozen=True)
class Statement:
    """What one person earns on one plan for one period, line by line."""

    plan_id: str
    plan_title: str
    period: Period
    currency: str
    payee: Payee
    lines: tuple[ComponentLine, ...]
    notes: tuple[str, ...]

    @property
    def csm_id(self) -> str:
        return self.payee.csm_id

    @property
    def target_pay(self) -> float:
        """On-target pay for the period after pro-rating."""
        return round(self.payee.on_target_pay * self.payee.factor, 2)

    @property
    def total(self) -> float:
        return round(math.fsum(line.amount for line in self.lines), 2)

    @property
    def payout(self) -> float | None:
        """Total earned over the pro-rated target pay (1.0 = paid at target)."""
        return self.total / self.target_pay if self.target_pay else None


def statements(
    engine: Engine,
    config: Config,
    period: Period,
    plan: str | None = None,
    csm_ids: Sequence[str] | None = None,
) -> list[Statement]:
    """Every statement for ``period`` (one plan or all of its kind; some CSMs or all).

    KPIs are computed once for all plans and people: one batch by csm, one by team.
    """
    plans = select(config, period, plan)
    people = roster(engine)
    if csm_ids is not None:
        _check_people(people, plans, period, csm_ids)
        people = people[people["csm_id"].isin(list(csm_ids))]
    on_plan = {pid: payees(people, p, period) for pid, p in plans.items()}
    wanted, targets = [], []
    for pid, p in plans.items():
        if not on_plan[pid]:
            continue
        for c in p.components.values():
            grain = GRAIN_OF_SCOPE[c.scope]
            wanted.append((c.measure, grain))
            if c.target_source == "targets_table":
                targets.append((c.measure, grain))
    measured = measure(engine, config, period, wanted, targets)
    currency = config.company.reporting_currency
    out = []
    for pid, p in plans.items():
        for person in on_plan[pid]:
            out.append(_statement(pid, p, period, p.currency or currency, person, measured))
    return sorted(out, key=lambda s: (s.csm_id, s.plan_id))


def _check_people(
    people: pd.DataFrame, plans: dict[str, Plan], period: Period, csm_ids: Sequence[str]
) -> None:
    """A one-line error for a CSM who is unknown or on none of the plans this period."""
    known = set(people["csm_id"])
    for csm_id in csm_ids:
        if csm_id not in known:
            raise CompensationError(f"unknown CSM {csm_id!r}: no such csm_id in the csms table")
        row = people[people["csm_id"] == csm_id].iloc[0].to_dict()
        if not any(payees(people[people["csm_id"] == csm_id], p, period) for p in plans.values()):
            reasons = "; ".join(f"{pid}: {why_not(row, p, period)}" for pid, p in plans.items())
            raise CompensationError(f"{csm_id} is on no plan for {period.label} ({reasons})")


def _statement(
    plan_id: str, plan: Plan, period: Period, currency: str, person: Payee, m: Measurements
) -> Statement:
    drafts = [_draft(cid, c, plan_id, person, period, m) for cid, c in plan.components.items()]
    dropped = [d.component_id for d in drafts if d.excluded]
    kept = math.fsum(d.weight for d in drafts if not d.excluded)
    notes = []
    if dropped and kept > 0:
        notes.append(
            f"{', '.join(dropped)} excluded (no value) and reweighted: the other weights are "
            f"divided by {kept:g}, their sum"
        )
    elif dropped:
        notes.append("every component is excluded for want of data: nothing pays")
    if person.proration == "days_employed" and person.days_employed < person.period_days:
        notes.append(
            f"pro-rated: employed {person.days_employed} of the period's {person.period_days} days"
        )
    scale = kept if dropped else 1.0  # exactly the configured weights when nothing drops
    lines = []
    for d in drafts:
        eff = 0.0 if d.excluded else d.weight / scale
        base = person.on_target_pay * eff * person.factor
        amount = round(base * d.payout, 2)
        lines.append(replace(d, effective_weight=eff, target_pay=round(base, 2), amount=amount))
    return Statement(
        plan_id=plan_id,
        plan_title=plan.title or plan_id,
        period=period,
        currency=currency,
        payee=person,
        lines=tuple(lines),
        notes=tuple(notes),
    )


def _draft(
    cid: str, c: Component, plan_id: str, person: Payee, period: Period, m: Measurements
) -> ComponentLine:
    kpi = measure_of(f"compensation.plans.{plan_id}.components.{cid}", c)
    grain = GRAIN_OF_SCOPE[c.scope]
    key = person.csm_id if grain == "csm" else person.team
    got = m.get(c.measure, grain, key, period)
    target, source = c.target, "plan"
    if c.target_source == "targets_table":
        stored = m.target(c.measure, grain, key)
        if stored is not None:
            target, source = stored, "targets table"
        else:
            source = "plan (no targets table row)" if target is not None else "targets table"
    direction = c.direction or kpi.direction
    missing = got.missing
    if missing is None and target is None:
        missing = f"no target in the targets table for {grain} {key} in {period.label}"
    a = None
    if missing is None and got.value is not None and target is not None:
        a = curve.attainment(got.value, target, direction)
    if a is None:
        share, working = _missing_payout(c, missing or "no value")
        capped = False
    else:
        result = curve.payout(c, a)
        share, working, capped = result.share, result.working, result.capped
    return ComponentLine(
        component_id=cid,
        title=c.title or kpi.title,
        measure=kpi.name,
        measure_title=kpi.title,
        unit=kpi.unit,
        parts=kpi.parts,
        direction=direction,
        scope=c.scope,
        scope_id=key,
        value=got.value,
        numerator=got.numerator,
        denominator=got.denominator,
        target=target,
        target_source=source,
        missing=missing,
        missing_rule=c.missing,
        attainment=a,
        threshold=None if c.curve else c.threshold,
        threshold_payout=None if c.curve else _threshold_payout(c),
        accelerator=None if c.curve else c.accelerator,
        cap=c.cap,
        curve=curve.describe(c),
        payout=share,
        working=working,
        capped=capped,
        weight=c.weight,
        effective_weight=c.weight,
        target_pay=0.0,
        amount=0.0,
    )


def _threshold_payout(c: Component) -> float:
    return c.threshold_payout if c.threshold_payout is not None else c.threshold


def _missing_payout(c: Component, reason: str) -> tuple[float, str]:
    if c.missing == "zero":
        return 0.0, f"{reason}; missing: zero pays 0%"
    if c.missing == "target":
        at_target = curve.payout(c, 1.0).share
        return (
            at_target,
            f"{reason}; missing: target pays as at 100% attainment: {curve.pct(at_target)}",
        )
    return 0.0, f"{reason}; missing: exclude_and_reweight drops the component"
