"""NPS, NPS response rate, CSAT, CES, comments: hand-worked numbers."""

from __future__ import annotations

import math

from activity_data import one


def response(survey, account_id, user_id, at, score, comment=None) -> dict:
    return {
        "survey": survey,
        "account_id": account_id,
        "user_id": user_id,
        "responded_at": at,
        "score": score,
        "comment": comment,
    }


def send(survey, account_id, user_id, at) -> dict:
    return {"survey": survey, "account_id": account_id, "user_id": user_id, "sent_at": at}


RESPONSES = [
    # July NPS, A1: 10, 9, 8 ; A2: 3  -> promoters 2, detractors 1, responses 4
    response("nps", "A1", "u1", "2026-07-02 10:00", 10, "Routing saves us hours"),
    response("nps", "A1", "u2", "2026-07-03 10:00", 9),
    response("nps", "A1", "u3", "2026-07-04 10:00", 8),
    response("nps", "A2", "v1", "2026-07-05 10:00", 3, "Too many clicks"),
    # July CSAT: 5, 4, 2 -> 2 / 3 ; CES: 2, 5 -> 3.5
    response("csat", "A1", "u1", "2026-07-06 10:00", 5),
    response("csat", "A1", "u2", "2026-07-06 11:00", 4),
    response("csat", "A2", "v1", "2026-07-06 12:00", 2),
    response("ces", "A1", "u1", "2026-07-07 10:00", 2),
    response("ces", "A2", "v1", "2026-07-07 10:00", 5),
]
SENDS = [
    # A1: four NPS sends in July, u1, u2 and u3 answered; u4 did not
    send("nps", "A1", "u1", "2026-07-01 09:00"),
    send("nps", "A1", "u2", "2026-07-01 09:00"),
    send("nps", "A1", "u3", "2026-07-01 09:00"),
    send("nps", "A1", "u4", "2026-07-01 09:00"),
    # A2: sent in July (answered 07-05), again in August: the July answer is not the August one
    send("nps", "A2", "v1", "2026-07-01 09:00"),
    send("nps", "A2", "v1", "2026-08-01 09:00"),
]


def test_nps_by_account_and_company(make_ws):
    ws = make_ws(survey_responses=RESPONSES)
    company = ws.kpi("nps", period="2026-07")
    assert company["numerator"].tolist() == [1] and company["denominator"].tolist() == [4]
    assert company["value"].tolist() == [0.25]  # NPS +25
    by_account = ws.kpi("nps", by="account", period="2026-07")
    assert one(by_account, account_id="A1")["value"] == 2 / 3  # (2 - 0) / 3
    assert one(by_account, account_id="A2")["value"] == -1.0  # NPS -100


def test_a_period_without_responses_has_no_nps(make_ws):
    ws = make_ws(survey_responses=RESPONSES, survey_sends=SENDS)
    august = ws.kpi("nps", period="2026-08")
    assert august["denominator"].tolist() == [0]
    assert math.isnan(august["value"][0])  # not available, never 0


def test_nps_response_rate(make_ws):
    ws = make_ws(survey_responses=RESPONSES, survey_sends=SENDS)
    july = ws.kpi("nps_response_rate", period="2026-07")
    # sends in July: 5; answered: u1, u2, u3, v1 -> 4 / 5
    assert (july["numerator"][0], july["denominator"][0]) == (4, 5)
    august = ws.kpi("nps_response_rate", period="2026-08")
    assert (august["numerator"][0], august["denominator"][0]) == (0, 1)


def test_csat_and_ces(make_ws):
    ws = make_ws(survey_responses=RESPONSES)
    csat = ws.kpi("csat", period="2026-07")
    assert (csat["numerator"][0], csat["denominator"][0]) == (2, 3)
    ces = ws.kpi("ces", period="2026-07")
    assert ces["value"].tolist() == [3.5]
    assert math.isnan(ws.kpi("ces", period="2026-08")["value"][0])


def test_comments_for_the_account_view(make_ws):
    ws = make_ws(survey_responses=RESPONSES)
    a1 = ws.survey_comments("A1")
    assert a1["comment"].tolist() == ["Routing saves us hours"]
    assert ws.survey_comments("A2")["score"].tolist() == [3]


def test_kpis_whose_optional_table_is_empty_are_not_available(make_ws):
    import pytest

    from csmetrics.errors import NotAvailable

    ws = make_ws()
    needs = {
        "nps": "survey_responses",
        "nps_response_rate": "survey_sends",
        "first_response_hours": "tickets",
        "onboarding_days": "onboardings",
        "advocacy_actions": "advocacy",
        "training_feedback": "activities",
        "cost_to_retain": "costs",
        "mau": "events",
    }
    for name, table in needs.items():
        with pytest.raises(NotAvailable, match=table):
            ws.kpi(name, period="2026-07")
