"""Advocacy actions and validated references; a reference who became a detractor.

A1 and A2 pay since 2025-01-01 (default contracts), so both are customers of a year
or more by 2026-07-31.
"""

from __future__ import annotations

from activity_data import contract


def adv(account_id, kind, day, confirmed=None, positive=None) -> dict:
    return {
        "account_id": account_id,
        "type": kind,
        "occurred_at": day,
        "confirmed_by_champion": confirmed,
        "positive": positive,
    }


def nps(account_id, user_id, at, score) -> dict:
    return {
        "survey": "nps",
        "account_id": account_id,
        "user_id": user_id,
        "responded_at": at,
        "score": score,
    }


ADVOCACY = [
    adv("A1", "reference", "2026-03-01"),
    adv("A1", "success_story", "2026-04-01", confirmed=True),
    adv("A2", "reference", "2026-03-01"),
    adv("A2", "case_study", "2026-04-01"),
    # July actions: a positive G2 review counts, a negative one does not; an unconfirmed
    # success story does not; a case study does
    adv("A1", "g2_review", "2026-07-02", positive=True),
    adv("A2", "g2_review", "2026-07-03", positive=False),
    adv("A2", "success_story", "2026-07-04", confirmed=False),
    adv("A1", "case_study", "2026-07-05"),
]
RESPONSES = [
    nps("A1", "u1", "2026-06-01 10:00", 10),
    nps("A2", "v1", "2026-06-01 10:00", 9),
    # A2's champion turns detractor in August: its latest answer is now a 4
    nps("A2", "v1", "2026-08-10 10:00", 4),
    {
        "survey": "csat",
        "account_id": "A1",
        "user_id": "u1",
        "responded_at": "2026-07-09 10:00",
        "score": 5,
    },
    {
        "survey": "csat",
        "account_id": "A1",
        "user_id": "u2",
        "responded_at": "2026-07-09 11:00",
        "score": 3,
    },
]


def test_advocacy_actions_by_kind(make_ws):
    ws = make_ws(advocacy=ADVOCACY, survey_responses=RESPONSES)
    # July: G2 (A1), case study (A1), positive CSAT (u1) = 3
    assert ws.kpi("advocacy_actions", period="2026-07")["value"].tolist() == [3]
    assert ws.kpi("advocacy_g2_review", period="2026-07")["value"].tolist() == [1]
    assert ws.kpi("advocacy_success_story", period="2026-07")["value"].tolist() == [0]
    assert ws.kpi("advocacy_positive_csat", period="2026-07")["value"].tolist() == [1]
    # June: two promoters
    assert ws.kpi("advocacy_promoter", period="2026-06")["value"].tolist() == [2]


def test_a_reference_who_became_a_detractor_is_no_longer_validated(make_ws):
    ws = make_ws(advocacy=ADVOCACY, survey_responses=RESPONSES)
    assert ws.kpi("reference_accounts", period="2026-07")["value"].tolist() == [2]
    assert ws.kpi("validated_references", period="2026-07")["value"].tolist() == [2]
    by_account = ws.kpi("validated_references", by="account", period="2026-08")
    assert dict(zip(by_account["account_id"], by_account["value"], strict=True)) == {
        "A1": 1,
        "A2": 0,  # latest NPS 4 on 2026-08-10
    }


def test_tenure_and_open_escalations(make_ws):
    ws = make_ws(
        contracts=[
            contract("K1", "A1", "2025-01-01", None),
            contract("K2", "A2", "2026-01-01", None),  # customer for 7 months only
        ],
        advocacy=ADVOCACY,
        survey_responses=RESPONSES,
        tickets=[
            {
                "ticket_id": "T1",
                "account_id": "A1",
                "priority": "high",
                "opened_at": "2026-07-10 10:00",
                "resolved_at": "2026-08-05 10:00",
                "escalated": True,
            }
        ],
    )
    # July: A1 has an escalation open on 07-31, A2 is too new -> 0
    assert ws.kpi("validated_references", period="2026-07")["value"].tolist() == [0]
    # September: A1's escalation was resolved on 08-05 -> validated again
    assert ws.kpi("validated_references", period="2026-09")["value"].tolist() == [1]
