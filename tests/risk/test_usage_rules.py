"""Usage drop and key-feature use, judged on 2026-06-30 (the last month is June).

Trailing months: March, April, May. Every account has 10 active users (sign_in) in
each of them, so the trailing average is 10; June decides:

  A1: 6 active in June  -> 40% below 10: fires (the rule fires at 40% or more)
  A2: 7 active in June  -> 30% below: silent
  A3: 4 users a month, 0 in June -> average 4 < min_baseline_mau 5: silent
"""

from __future__ import annotations

from datetime import date

import pytest
from risk_data import D, account, contract, event, fired, judge, only

from csmetrics.risk import evaluate

BASELINE = ("2026-03-05", "2026-04-05", "2026-05-05")


def _active(account_id: str, users: int, day: str, kind: str = "sign_in") -> list[dict]:
    return [event(account_id, f"{account_id}-u{i}", f"{day} 10:00", kind) for i in range(users)]


def _usage() -> list[dict]:
    rows = []
    for day in BASELINE:
        rows += _active("A1", 10, day) + _active("A2", 10, day) + _active("A3", 4, day)
    rows += _active("A1", 6, "2026-06-10") + _active("A2", 7, "2026-06-10")
    return rows


@pytest.fixture
def ws(make_ws):
    return make_ws(
        accounts=[account("A1"), account("A2"), account("A3")],
        contracts=[contract("K1", "A1"), contract("K2", "A2"), contract("K3", "A3")],
        events=_usage(),
    )


def test_usage_drop_fires_at_the_threshold_and_not_short_of_it(ws):
    reasons = fired(judge(ws, only("usage_drop")), "usage_drop")
    assert set(reasons) == {"A1"}
    assert reasons["A1"] == (
        "MAU 6 in the last month is 40% below the trailing 3-month average of 10 "
        "(the rule fires at 40% or more)"
    )


def test_a_smaller_drop_setting_catches_the_30_percent_drop(ws):
    assert set(fired(judge(ws, only("usage_drop", drop=0.3)), "usage_drop")) == {"A1", "A2"}
    assert set(fired(judge(ws, only("usage_drop", drop=0.41)), "usage_drop")) == set()


def test_small_accounts_are_judged_only_above_the_minimum_baseline(ws):
    reasons = fired(judge(ws, only("usage_drop", min_baseline_mau=4.0)), "usage_drop")
    assert set(reasons) == {"A1", "A3"}
    assert reasons["A3"].startswith("MAU 0 in the last month is 100% below")


def test_baseline_months_is_a_parameter(ws):
    # Only May as baseline: the same numbers, "trailing 1-month average of 10".
    reasons = fired(judge(ws, only("usage_drop", baseline_months=1)), "usage_drop")
    assert "trailing 1-month average of 10 " in reasons["A1"]


def test_a_day_inside_a_month_uses_month_long_windows_ending_that_day(make_ws):
    # Judged on 2026-06-15: last month [05-16, 06-16), before it [04-16, 05-16) ...
    rows = []
    for day in ("2026-02-20", "2026-03-20", "2026-04-20"):
        rows += _active("A1", 10, day)
    rows += _active("A1", 5, "2026-06-15")
    ws = make_ws(accounts=[account("A1")], contracts=[contract("K1", "A1")], events=rows)
    reasons = fired(judge(ws, only("usage_drop"), day=date(2026, 6, 15)), "usage_drop")
    assert reasons["A1"].startswith("MAU 5 in the last month is 50% below")
    # On 06-14 the June 15 sign-ins are not yet known: MAU 0.
    reasons = fired(judge(ws, only("usage_drop"), day=date(2026, 6, 14)), "usage_drop")
    assert reasons["A1"].startswith("MAU 0 in the last month is 100% below")


def test_usage_rules_are_not_available_without_events(make_ws):
    ws = make_ws()
    evaluation = judge(ws)
    by_rule = {r.rule: r for r in evaluation.rules}
    assert by_rule["usage_drop"].status == "not available"
    assert by_rule["usage_drop"].note == "needs table events"
    assert "usage_drop: not available: needs table events" in evaluation.notes()
    assert evaluation.signals[evaluation.signals["rule"] == "usage_drop"].empty


# -- key features ---------------------------------------------------------------------
# June, 10 active users each (sign_in), and key-feature users (report_viewed):
#   K1: 1 of 10 (10%)  -> silent: the rule fires below 10%
#   K2: 0 of 10        -> fires
#   K3: no user active -> fires ("no user was active")
#   K4: 0 of 10, but a customer only since 2026-04-02 (89 days on 06-30) -> silent (grace 90)
#   K5: 0 of 10, a customer since 2026-04-01 (exactly 90 days) -> fires


@pytest.fixture
def key_ws(make_ws):
    names = ["K1", "K2", "K3", "K4", "K5"]
    starts = {"K4": "2026-04-02", "K5": "2026-04-01"}
    rows = _active("K1", 10, "2026-06-03") + _active("K1", 1, "2026-06-04", "report_viewed")
    rows += _active("K2", 10, "2026-06-03") + _active("K4", 10, "2026-06-03")
    rows += _active("K5", 10, "2026-06-03")
    rows += _active("K3", 3, "2026-05-20")  # active in May only
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"C{n}", n, start=starts.get(n, "2025-01-01")) for n in names],
        events=rows,
    )


def test_key_feature_use_below_the_share_fires(key_ws):
    reasons = fired(judge(key_ws, only("low_key_feature_use")), "low_key_feature_use")
    assert set(reasons) == {"K2", "K3", "K5"}
    assert reasons["K2"] == (
        "0 of 10 active users (0%) used a key feature in the last month "
        "(the rule expects at least 10%)"
    )
    assert reasons["K3"] == "no user was active in the last month, so no key feature was used"


def test_key_feature_share_just_above_is_silent_and_just_below_fires(key_ws):
    at_11 = judge(key_ws, only("low_key_feature_use", min_share=0.11))
    assert "K1" in fired(at_11, "low_key_feature_use")  # 10% < 11%
    assert fired(at_11, "low_key_feature_use")["K1"].startswith("1 of 10 active users (10%)")


def test_key_feature_rule_needs_key_features_configured(key_ws):
    cfg = only("low_key_feature_use").model_copy(
        update={"adoption": key_ws.config.adoption.model_copy(update={"key_features": ()})}
    )
    evaluation = evaluate(key_ws.engine, cfg, [D])
    rule = next(r for r in evaluation.rules if r.rule == "low_key_feature_use")
    assert (rule.status, rule.note) == ("not available", "adoption.key_features is empty")
