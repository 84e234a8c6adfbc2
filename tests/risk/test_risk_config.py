"""The `risk:` section: ten rules with defaults, partial overrides, one-line errors."""

from __future__ import annotations

import pytest

from csmetrics.config import Config, parse_config
from csmetrics.config.risk import RULE_NAMES
from csmetrics.errors import ConfigError


def test_ten_rules_are_on_by_default_each_with_a_playbook():
    rules = Config().risk.rules
    assert RULE_NAMES == (
        "usage_drop",
        "low_key_feature_use",
        "too_many_tickets",
        "no_support_contact",
        "low_survey_score",
        "bounces_unsubscribes",
        "references_stopped",
        "overdue_invoices",
        "renewal_red_health",
        "champion_left",
    )
    for name, rule in rules.items():
        assert rule.enabled, name
        assert rule.playbook, name
        assert rule.severity in ("high", "medium", "low")


def test_one_parameter_can_be_changed_alone():
    config = parse_config("risk:\n  rules:\n    usage_drop:\n      drop: 0.5\n")
    rule = config.risk.rules.usage_drop
    assert rule.drop == 0.5
    assert rule.baseline_months == 3  # untouched defaults stay
    assert rule.playbook == Config().risk.rules.usage_drop.playbook
    assert config.risk.rules.champion_left == Config().risk.rules.champion_left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "risk:\n  rules:\n    usage_drop:\n      dorp: 0.5\n",
            r"csmetrics.yaml:4: risk.rules.usage_drop.dorp: unknown key",
        ),
        (
            "risk:\n  rules:\n    churn_predicted: {}\n",
            r"csmetrics.yaml:3: risk.rules.churn_predicted: unknown key",
        ),
        (
            "risk:\n  rules:\n    usage_drop:\n      drop: 1.5\n",
            r"csmetrics.yaml:4: risk.rules.usage_drop.drop: Input should be less than 1",
        ),
        (
            "risk:\n  rules:\n    too_many_tickets:\n      priorities: [critical]\n",
            r"risk.rules.too_many_tickets.priorities: unknown ticket priority 'critical'",
        ),
        (
            "risk:\n  rules:\n    references_stopped:\n      types: [blog]\n",
            r"risk.rules.references_stopped.types: unknown advocacy type 'blog'",
        ),
        (
            "risk:\n  rules:\n    renewal_red_health:\n      bands: [crimson]\n",
            r"risk.rules.renewal_red_health.bands.0: Input should be 'red', 'yellow' or 'green'",
        ),
        (
            "risk:\n  rules:\n    champion_left:\n      roles: []\n",
            r"risk.rules.champion_left.roles: Tuple should have at least 1 item",
        ),
        (
            "risk:\n  rules:\n    overdue_invoices:\n      playbook: [Call, '  ']\n",
            r"risk.rules.overdue_invoices.playbook: a playbook step cannot be empty",
        ),
        (
            "risk:\n  rules:\n    low_survey_score:\n      severity: critical\n",
            r"risk.rules.low_survey_score.severity: Input should be 'high', 'medium' or 'low'",
        ),
        (
            "risk:\n  ctas:\n    priority:\n      arr_medium: 200000\n",
            r"risk.ctas.priority: arr_medium must not be above arr_high",
        ),
        (
            "risk:\n  ctas:\n    priority:\n      severity_points: {high: 3}\n",
            r"risk.ctas.priority.severity_points: give points for every severity; missing medium, low",
        ),
        (
            "risk:\n  ctas:\n    priority:\n      high_at: 6\n",
            r"risk.ctas.priority: need urgent_at > high_at > medium_at",
        ),
    ],
)
def test_bad_risk_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert "\n" not in str(info.value)
