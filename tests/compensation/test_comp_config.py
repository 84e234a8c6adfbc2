"""A bad plan is a one-line error naming the plan, the component and the line."""

from __future__ import annotations

import pytest
from comp_data import Q3

from csmetrics.config import parse_config
from csmetrics.errors import ConfigError

PLAN = """\
compensation:
  plans:
    q:
      on_target_pay: 1000
      components:
        a: {{measure: nrr, weight: 0.5, target: 1.0, missing: zero{a}}}
        b: {{measure: csat, weight: {b}, target: 0.8, missing: zero}}
"""


def plan(a: str = "", b: str = "0.5") -> str:
    return PLAN.format(a=a, b=b)


def test_a_valid_plan_parses_with_its_defaults():
    q = parse_config(plan()).compensation.plans["q"]
    assert q.period == "quarter" and q.proration == "days_employed"
    assert q.eligible.roles == ("csm",)
    a = q.components["a"]
    assert (a.scope, a.threshold, a.threshold_payout, a.accelerator, a.cap) == (
        "individual",
        0.0,
        None,
        1.0,
        None,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            plan(b="0.4"),
            r"csmetrics.yaml:5: compensation.plans.q.components: component weights must sum "
            r"to 1, not 0.9 \(a 0.5 \+ b 0.4\)",
        ),
        (
            plan(a=", curve: [[0.5, 0.2], [1.0, 1.0]], threshold: 0.5"),
            r"compensation.plans.q.components.a: give either curve or threshold, not both",
        ),
        (
            plan(a=", curve: [[0.5, 0.8], [1.0, 0.6]]"),
            r"compensation.plans.q.components.a.curve: .*payouts must not decrease: 0.8 then 0.6",
        ),
        (plan(a=", curve: [[1.0, 1.0]]"), r"a curve needs at least two"),
        (
            plan(a=", cap: 0.8"),
            r"compensation.plans.q.components.a.cap: .*greater than or equal to 1",
        ),
        (plan(a=", threshold: 1.2"), r"components.a.threshold: .*less than or equal to 1"),
        (plan(a=", scope: company"), r"components.a.scope: Input should be 'individual' or 'team'"),
        (plan(a=", missing_rule: zero"), r"components.a.missing_rule: unknown key"),
        (plan(a=", target_source: crm"), r"components.a.target_source: Input should be"),
        (
            "compensation:\n  plans:\n    q:\n      on_target_pay: 1\n      components:\n"
            "        a: {measure: nrr, weight: 1}\n",
            r"csmetrics.yaml:6: compensation.plans.q.components.a.missing: Field required",
        ),
        (
            "compensation:\n  plans:\n    q:\n      on_target_pay: 1\n      components:\n"
            "        a: {measure: nrr, weight: 1, missing: zero}\n",
            r"csmetrics.yaml:6: compensation.plans.q.components.a: target is required",
        ),
        (
            "compensation:\n  plans:\n    q:\n      on_target_pay: 1\n      period: week\n"
            "      components: {}\n",
            r"compensation.plans.q.period: Input should be 'month', 'quarter' or 'year'",
        ),
        (
            "compensation:\n  plans:\n    q:\n      on_target_pay: 1\n      components: {}\n",
            r"csmetrics.yaml:5: compensation.plans.q.components: a plan needs at least one",
        ),
    ],
)
def test_bad_plans_name_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert "\n" not in str(info.value)


def test_an_unknown_kpi_is_reported_for_its_component_before_anything_is_computed(make_ws):
    ws = make_ws(plan().replace("measure: csat", "measure: csatt"))
    with pytest.raises(
        ConfigError, match=r"compensation.plans.q.components.b.measure: unknown KPI 'csatt'"
    ):
        ws.comp_statements(Q3)


def test_a_kpi_without_the_scopes_grain_is_refused(make_ws):
    ws = make_ws(plan().replace("measure: csat", "measure: cost_to_retain"))
    with pytest.raises(ConfigError, match=r"components.b.scope: cost_to_retain has no csm grain"):
        ws.comp_statements(Q3)


def test_a_lower_is_better_measure_needs_a_cap(make_ws):
    ws = make_ws(plan().replace("measure: csat", "measure: logo_churn"))
    with pytest.raises(ConfigError, match=r"components.b.cap: logo_churn is lower-is-better"):
        ws.comp_statements(Q3)
