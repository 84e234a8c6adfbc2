"""CSM activities: EBR/QBR cadence, next meeting booked, training feedback, documentation."""

from __future__ import annotations

import math

import pytest


def act(aid, account_id, kind, at, next_at=None, feedback=None, csm_id="C1") -> dict:
    return {
        "activity_id": aid,
        "account_id": account_id,
        "csm_id": csm_id,
        "type": kind,
        "occurred_at": at,
        "next_meeting_at": next_at,
        "feedback_score": feedback,
    }


ACTIVITIES = [
    act("X1", "A1", "qbr", "2026-07-10 10:00", next_at="2026-10-10 10:00"),
    act("X2", "A1", "ebr", "2026-08-10 10:00"),  # latest for A1 in Q3: nothing booked
    act("X3", "A2", "qbr", "2026-07-15 10:00", next_at="2026-08-15 10:00", csm_id="C2"),
    act("X4", "A1", "training", "2026-07-20 10:00", feedback=5),
    act("X5", "A2", "training", "2026-07-21 10:00", feedback=4, csm_id="C2"),
    act("X6", "A2", "documentation", "2026-07-22 10:00", csm_id="C1"),  # C1 wrote it for A2
]


@pytest.fixture
def ws(make_ws):
    return make_ws(activities=ACTIVITIES)


def test_reviews_per_account_per_year(ws):
    q3 = ws.kpi("ebr_qbr_per_account_year", period="2026-Q3")
    # 3 reviews / (2 accounts x 92/365 years)
    assert q3["value"][0] == pytest.approx(3 / (2 * 92 / 365))


def test_next_meeting_scheduled(ws):
    july = ws.kpi("next_meeting_scheduled", period="2026-07")
    # A1's latest (07-20 training) booked nothing; A2's latest (07-22) neither
    assert (july["numerator"][0], july["denominator"][0]) == (0, 2)
    by_day = ws.kpi("next_meeting_scheduled", period="2026-07-01..2026-07-16")
    # as of 07-16: A1's QBR booked 10-10, A2's QBR booked 08-15 -> both
    assert (by_day["numerator"][0], by_day["denominator"][0]) == (2, 2)


def test_training_feedback_and_documentation(ws):
    assert ws.kpi("training_feedback", period="2026-07")["value"].tolist() == [4.5]
    assert math.isnan(ws.kpi("training_feedback", period="2026-09")["value"][0])
    by_csm = ws.kpi("documentation_contributions", by="csm", period="2026-07")
    # attributed to the account's owner (A2 -> C2), not to the writer (C1)
    assert dict(zip(by_csm["csm_id"], by_csm["value"], strict=True)) == {"C1": 0, "C2": 1}
