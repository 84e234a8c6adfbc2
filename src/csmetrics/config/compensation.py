"""The ``compensation:`` section: variable-pay plans for CSMs and managers.

A plan pays, per period, an on-target amount split over weighted components. Each
component measures one KPI from the registry for the CSM's own book (``individual``)
or for their team (``team``), compares it with a target, and turns the attainment
into a payout percentage through a curve: nothing below the threshold, linear up to
100% at target, an accelerator above, a cap. The math is in docs/compensation.md and
``csmetrics.compensation.curve``; these models only say what a valid plan looks like.
KPI names are checked against the registry when a plan is run (the registry lives in
a layer above config).
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Weights are written as decimals (0.5, 0.2, 0.15); allow for binary rounding only.
WEIGHT_TOLERANCE = 1e-6

Fraction = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Component(_Model):
    """One weighted part of a plan: a measure, a target and a payout curve."""

    title: str | None = None
    # A KPI name from the registry (docs/kpis.md), e.g. nrr, csat, mau, next_meeting_scheduled.
    measure: str
    # individual: the CSM's book (KPI by csm); team: the CSM's team (KPI by team).
    scope: Literal["individual", "team"] = "individual"
    weight: Annotated[float, Field(gt=0, le=1)]
    # The target in the KPI's unit (0.95 for a ratio of 95%, 1200 for users).
    target: Positive | None = None
    # config: ``target`` above; targets_table: the targets table row for this KPI, the
    # component's grain (csm or team), the CSM's id or team and the period, falling back
    # to ``target`` when there is no row.
    target_source: Literal["config", "targets_table"] = "config"
    # Which way is better; empty = the KPI's own direction from the registry.
    direction: Literal["higher", "lower"] | None = None
    # Attainment (actual / target) below which the component pays nothing.
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.0
    # Payout at the threshold; the curve is linear from here to 100% at target.
    # Empty = the threshold itself (80% attainment pays 80%).
    threshold_payout: Fraction | None = None
    # Payout points gained per attainment point above target (2.0: 110% pays 120%).
    accelerator: Annotated[float, Field(ge=0)] = 1.0
    # Highest payout, as a share of the component's target pay (1.5 = 150%); empty = none.
    cap: Annotated[float, Field(ge=1)] | None = None
    # Explicit curve instead of threshold/accelerator: [attainment, payout] points,
    # linear between them, 0 below the first, the last payout beyond the last.
    curve: (
        tuple[tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]], ...] | None
    ) = None
    # When the KPI has no value for the CSM or team (no renewals, no surveys, no target):
    # zero (pays 0), target (pays as at 100% attainment) or exclude_and_reweight (the
    # component drops out and the others' weights grow to fill it).
    missing: Literal["zero", "target", "exclude_and_reweight"]

    @field_validator("curve")
    @classmethod
    def _curve_shape(
        cls, value: tuple[tuple[float, float], ...] | None
    ) -> tuple[tuple[float, float], ...] | None:
        if value is None:
            return value
        if len(value) < 2:
            raise ValueError("a curve needs at least two [attainment, payout] points")
        for (a0, p0), (a1, p1) in itertools.pairwise(value):
            if a1 <= a0:
                raise ValueError(f"curve attainments must increase: {a0} then {a1}")
            if p1 < p0:
                raise ValueError(f"curve payouts must not decrease: {p0} then {p1}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Component:
        if self.target_source == "config" and self.target is None:
            raise ValueError("target is required (or target_source: targets_table)")
        if self.curve is not None:
            mixed = {"threshold", "threshold_payout", "accelerator"} & self.model_fields_set
            if mixed:
                raise ValueError(
                    f"give either curve or {', '.join(sorted(mixed))}, not both "
                    "(the curve's first point is the threshold)"
                )
        if self.threshold_payout is not None and self.threshold >= 1:
            raise ValueError("threshold_payout needs a threshold below 1 (100% attainment)")
        return self


class Eligibility(_Model):
    """Who is on a plan: by role and team, plus named CSMs, minus exclusions."""

    # csms.role values; empty = nobody by role (use csm_ids).
    roles: tuple[str, ...] = ("csm",)
    # csms.team values; empty = every team.
    teams: tuple[str, ...] = ()
    # Always on the plan, whatever their role and team.
    csm_ids: tuple[str, ...] = ()
    # Never on the plan.
    exclude_csm_ids: tuple[str, ...] = ()

    def includes(self, csm_id: str, role: str | None, team: str | None) -> bool:
        if csm_id in self.exclude_csm_ids:
            return False
        if csm_id in self.csm_ids:
            return True
        return role in self.roles and (not self.teams or team in self.teams)


class Plan(_Model):
    """A variable-pay plan: period, on-target pay, who is on it, and its components."""

    title: str | None = None
    # quarter or year (fiscal, from company.fiscal_year_start_month); month also works.
    period: Literal["month", "quarter", "year"] = "quarter"
    # Currency of the pay amounts; empty = company.reporting_currency.
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    # Variable pay at 100% on every component for one full plan period.
    on_target_pay: Positive
    # Overrides of on_target_pay by csms.role and by csm_id (the csm_id wins).
    on_target_pay_by_role: dict[str, Positive] = Field(default_factory=dict)
    on_target_pay_by_csm: dict[str, Positive] = Field(default_factory=dict)
    # days_employed: pay x days employed in the period (csms.start_date/end_date) / days
    # in the period; none: a CSM employed any day of the period is paid in full.
    proration: Literal["days_employed", "none"] = "days_employed"
    eligible: Eligibility = Field(default_factory=Eligibility)
    components: dict[str, Component]

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not value.isalpha():
            raise ValueError("must be a 3-letter ISO 4217 currency code, e.g. USD")
        return value.upper() if value else value

    @field_validator("components")
    @classmethod
    def _weights(cls, value: dict[str, Component]) -> dict[str, Component]:
        if not value:
            raise ValueError("a plan needs at least one component")
        for name in value:
            if not _ID.match(name):
                raise ValueError(f"component id {name!r}: use letters, digits, _ . -")
        total = math.fsum(c.weight for c in value.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            parts = " + ".join(f"{name} {c.weight:g}" for name, c in value.items())
            raise ValueError(f"component weights must sum to 1, not {total:g} ({parts})")
        return value


class CompensationConfig(_Model):
    """Every plan by id; none by default (no variable pay is computed)."""

    plans: dict[str, Plan] = Field(default_factory=dict)

    @field_validator("plans")
    @classmethod
    def _ids(cls, value: dict[str, Plan]) -> dict[str, Plan]:
        for name in value:
            if not _ID.match(name):
                raise ValueError(f"plan id {name!r}: use letters, digits, _ . -")
        return value
