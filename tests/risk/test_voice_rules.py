"""Low survey scores, bounces/unsubscribes and references stopped, judged on 2026-06-30.

Surveys (180 days: responses in [2026-01-02, 2026-07-01)):
  A1: NPS 6                 -> mean 6 <= 6: fires
  A2: NPS 7                 -> silent
  A3: NPS 4 and 8           -> mean 6: fires;  A4: NPS 5 and 8 -> 6.5: silent
  A5: CSAT 2 -> fires;  A6: CSAT 3 -> silent
  A7: NPS 2 on 2026-01-01 23:59 (outside the window), NPS 9 inside -> silent
  A8: CES 5 (effort; off by default)
"""

from __future__ import annotations

import pytest
from risk_data import account, contract, fired, judge, only, user


def response(account_id: str, score: int, at: str = "2026-03-01 10:00", survey: str = "nps"):
    return {
        "survey": survey,
        "account_id": account_id,
        "user_id": f"{account_id}-{score}-{at[:10]}",
        "responded_at": at,
        "score": score,
    }


@pytest.fixture
def survey_ws(make_ws):
    names = [f"A{i}" for i in range(1, 9)]
    rows = [
        response("A1", 6),
        response("A2", 7),
        response("A3", 4),
        response("A3", 8),
        response("A4", 5),
        response("A4", 8),
        response("A5", 2, survey="csat"),
        response("A6", 3, survey="csat"),
        response("A7", 2, at="2026-01-01 23:59"),
        response("A7", 9),
        response("A8", 5, survey="ces"),
    ]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        survey_responses=rows,
    )


def test_low_survey_scores_fire_at_the_limits(survey_ws):
    reasons = fired(judge(survey_ws, only("low_survey_score")), "low_survey_score")
    assert set(reasons) == {"A1", "A3", "A5"}
    assert reasons["A3"] == (
        "mean NPS answer 6 from 2 responses in the last 180 days (the rule fires at 6 or lower)"
    )
    assert reasons["A5"] == (
        "mean CSAT answer 2 from 1 response in the last 180 days (the rule fires at 2 or lower)"
    )


def test_survey_limits_just_below_the_scores_are_silent(survey_ws):
    cfg = only("low_survey_score", nps_at_most=5.9, csat_at_most=1.9)
    assert fired(judge(survey_ws, cfg), "low_survey_score") == {}


def test_effort_fires_at_or_above_its_limit_and_a_survey_can_be_left_out(survey_ws):
    cfg = only("low_survey_score", nps_at_most=None, csat_at_most=None, ces_at_least=5.0)
    reasons = fired(judge(survey_ws, cfg), "low_survey_score")
    assert reasons == {
        "A8": "mean CES answer 5 from 1 response in the last 180 days (the rule fires at 5 or higher)"
    }
    cfg = only("low_survey_score", nps_at_most=None, csat_at_most=None, ces_at_least=5.1)
    assert fired(judge(survey_ws, cfg), "low_survey_score") == {}


def test_a_survey_rule_without_any_limit_is_not_available(survey_ws):
    cfg = only("low_survey_score", nps_at_most=None, csat_at_most=None)
    rule = next(r for r in judge(survey_ws, cfg).rules if r.rule == "low_survey_score")
    assert (rule.status, rule.note) == ("not available", "no survey limit is set")


# -- bounces and unsubscribes (90 days: [2026-04-02, 2026-07-01); at least 3 contacts
# and 10% of the users on record on 2026-04-02) ----------------------------------------
#   B1: 30 users, 3 contacts bounce/unsubscribe (one bounces twice) -> 10%: fires
#   B2: 31 users, 3 contacts -> 9.7%: silent
#   B3: 10 users, 2 contacts -> below 3: silent
#   B4: no users on record, 3 contacts -> the share cannot be judged; the count fires
#   B5: 30 users, 3 contacts but one bounced on 2026-04-01 23:59 (outside) -> silent


def engagement(account_id: str, user_id: str, action: str, at: str = "2026-05-10 09:00"):
    return {
        "account_id": account_id,
        "user_id": user_id,
        "channel": "email",
        "action": action,
        "occurred_at": at,
    }


@pytest.fixture
def bounce_ws(make_ws):
    users = [user(f"B1-u{i}", "B1") for i in range(30)]
    users += [user(f"B2-u{i}", "B2") for i in range(31)]
    users += [user(f"B3-u{i}", "B3") for i in range(10)]
    users += [user(f"B5-u{i}", "B5") for i in range(30)]
    # someone deactivated before the window starts is not on record then
    users += [user("B2-gone", "B2", left="2026-04-01 12:00")]
    rows = [
        engagement("B1", "B1-u0", "bounce"),
        engagement("B1", "B1-u0", "bounce", "2026-06-10 09:00"),
        engagement("B1", "B1-u1", "bounce"),
        engagement("B1", "B1-u2", "unsubscribe"),
        engagement("B1", "B1-u3", "open"),
        engagement("B2", "B2-u0", "bounce"),
        engagement("B2", "B2-u1", "bounce"),
        engagement("B2", "B2-u2", "unsubscribe"),
        engagement("B3", "B3-u0", "bounce"),
        engagement("B3", "B3-u1", "bounce"),
        engagement("B4", "x1", "bounce"),
        engagement("B4", "x2", "bounce"),
        engagement("B4", "x3", "bounce"),
        engagement("B5", "B5-u0", "bounce", "2026-04-01 23:59"),
        engagement("B5", "B5-u1", "bounce"),
        engagement("B5", "B5-u2", "bounce"),
    ]
    names = ["B1", "B2", "B3", "B4", "B5"]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        users=users,
        engagements=rows,
    )


def test_bounces_fire_on_count_and_share(bounce_ws):
    reasons = fired(judge(bounce_ws, only("bounces_unsubscribes")), "bounces_unsubscribes")
    assert set(reasons) == {"B1", "B4"}
    assert reasons["B1"] == (
        "3 contacts of 30 users (10%) bounced or unsubscribed in the last 90 days "
        "(2 bounced, 1 unsubscribed)"
    )
    assert reasons["B4"] == (
        "3 contacts bounced or unsubscribed in the last 90 days (3 bounced, 0 unsubscribed)"
    )


def test_bounce_share_and_count_limits_are_parameters(bounce_ws):
    cfg = only("bounces_unsubscribes", min_share=0.09)
    assert set(fired(judge(bounce_ws, cfg), "bounces_unsubscribes")) == {"B1", "B2", "B4"}
    cfg = only("bounces_unsubscribes", min_contacts=2, min_share=0.2)
    assert set(fired(judge(bounce_ws, cfg), "bounces_unsubscribes")) == {"B3", "B4"}


# -- references stopped (window 180 days: [2026-01-02, 2026-07-01); lookback 365 days
# before it: [2025-01-02, 2026-01-02); at least 2 actions) ------------------------------
#   R1: references 2025-03-01 and 2025-09-01, none since          -> fires
#   R2: the same plus a case study on 2026-01-02                   -> silent
#   R3: one reference in 2025                                      -> silent
#   R4: references 2025-01-01 (before the lookback) and 2025-09-01 -> silent
#   R5: two G2 reviews in 2025 (not in the default types)          -> silent


def advocacy(account_id: str, kind: str, day: str, **extra):
    return {"account_id": account_id, "type": kind, "occurred_at": day, **extra}


@pytest.fixture
def reference_ws(make_ws):
    rows = [
        advocacy("R1", "reference", "2025-03-01"),
        advocacy("R1", "speaking", "2025-09-01"),
        advocacy("R2", "reference", "2025-03-01"),
        advocacy("R2", "reference", "2025-09-01"),
        advocacy("R2", "case_study", "2026-01-02"),
        advocacy("R3", "reference", "2025-09-01"),
        advocacy("R4", "reference", "2025-01-01"),
        advocacy("R4", "reference", "2025-09-01"),
        advocacy("R5", "g2_review", "2025-03-01", positive=True),
        advocacy("R5", "g2_review", "2025-09-01", positive=False),
    ]
    names = ["R1", "R2", "R3", "R4", "R5"]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        advocacy=rows,
    )


def test_references_stopped_fires_after_a_silent_window(reference_ws):
    reasons = fired(judge(reference_ws, only("references_stopped")), "references_stopped")
    assert reasons == {
        "R1": "2 advocacy actions (reference, speaking) in the 365 days before the last 180, "
        "none since; the last on 2025-09-01"
    }


def test_references_thresholds_are_parameters(reference_ws):
    cfg = only("references_stopped", min_actions=1)
    assert set(fired(judge(reference_ws, cfg), "references_stopped")) == {"R1", "R3", "R4"}
    # a G2 review counts only when positive: R5 has one
    cfg = only("references_stopped", min_actions=1, types=["g2_review"])
    assert set(fired(judge(reference_ws, cfg), "references_stopped")) == {"R5"}
    cfg = only("references_stopped", min_actions=2, types=["g2_review"])
    assert set(fired(judge(reference_ws, cfg), "references_stopped")) == set()
