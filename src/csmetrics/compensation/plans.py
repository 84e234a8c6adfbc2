"""Choosing the plans a request means, and checking them against the KPI registry.

Config validation cannot see the registry (it lives in a layer above config), so a
misspelt KPI or a KPI that has no CSM or team grain is reported here, before any
number is computed, as a config error naming the plan and component.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csmetrics.config import CONFIG_FILENAME
from csmetrics.errors import CompensationError, ConfigError, KpiError
from csmetrics.kpis import Kpi, get

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.compensation import Component, Plan
    from csmetrics.periods import Period

GRAIN_OF_SCOPE = {"individual": "csm", "team": "team"}


def select(config: Config, period: Period, plan: str | None = None) -> dict[str, Plan]:
    """The plans to pay for ``period``: the one named, or every plan of the period's kind."""
    plans = config.compensation.plans
    if not plans:
        raise CompensationError(
            f"no compensation plans in {CONFIG_FILENAME} (compensation.plans); "
            "see docs/compensation.md"
        )
    if plan is not None:
        if plan not in plans:
            raise CompensationError(f"unknown plan {plan!r}; plans: {', '.join(plans)}")
        chosen = {plan: plans[plan]}
        if plans[plan].period != period.kind:
            raise CompensationError(
                f"plan {plan} pays per {plans[plan].period}; {period.label} is a "
                f"{_kind(period)}: give a {plans[plan].period} such as "
                f"{_example(plans[plan].period)}"
            )
    else:
        chosen = {pid: p for pid, p in plans.items() if p.period == period.kind}
        if not chosen:
            kinds = ", ".join(f"{pid} ({p.period})" for pid, p in plans.items())
            raise CompensationError(
                f"no plan pays per {_kind(period)} ({period.label}); plans: {kinds}"
            )
    for pid, p in chosen.items():
        check(pid, p)
    return chosen


def check(plan_id: str, plan: Plan) -> None:
    """Raise a ConfigError naming the component whose measure cannot be paid on."""
    for cid, component in plan.components.items():
        key = f"compensation.plans.{plan_id}.components.{cid}"
        kpi = measure_of(key, component)
        direction = component.direction or kpi.direction
        if direction == "lower" and component.cap is None and component.curve is None:
            raise ConfigError(
                f"{CONFIG_FILENAME}: {key}.cap: {kpi.name} is lower-is-better, where an "
                "actual of 0 means unbounded attainment; set a cap"
            )


def measure_of(key: str, component: Component) -> Kpi:
    grain = GRAIN_OF_SCOPE[component.scope]
    try:
        kpi = get(component.measure)
    except KpiError as exc:
        raise ConfigError(f"{CONFIG_FILENAME}: {key}.measure: {exc}") from None
    if grain not in kpi.grains:
        raise ConfigError(
            f"{CONFIG_FILENAME}: {key}.scope: {kpi.name} has no {grain} grain "
            f"(it supports {', '.join(kpi.grains)})"
        )
    return kpi


def _kind(period: Period) -> str:
    return "range of days" if period.kind == "range" else period.kind


_EXAMPLES = {"month": "2026-07", "quarter": "2026-Q3", "year": "2026"}


def _example(kind: str) -> str:
    return _EXAMPLES[kind]
