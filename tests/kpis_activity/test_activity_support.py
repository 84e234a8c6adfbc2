"""Support KPIs: response and resolution times vs SLA, volume, CSAT; a ticket never answered.

SLA (defaults): first response urgent 1 h, high 4 h, normal 8 h; resolution urgent 8 h,
high 24 h, normal 72 h. The tickets' data time is the latest timestamp in the table:
2026-07-20 12:00 (T5's opening).

  T1 urgent  opened 07-01 10:00, answered +0.5 h, resolved +6 h, csat 5
  T2 urgent  opened 07-02 10:00, answered +2 h (late), resolved +10 h (late), csat 4
  T3 high    opened 07-03 10:00, never answered, never resolved: deadlines long past
  T4 normal  opened 07-04 10:00, answered +3.5 h, resolved +30 h, csat 2   (A2)
  T5 normal  opened 07-20 12:00, not answered yet: deadline in the future -> pending
"""

from __future__ import annotations

import math

import pytest


def ticket(
    tid, account_id, priority, opened, response=None, resolved=None, csat=None, escalated=None
):
    return {
        "ticket_id": tid,
        "account_id": account_id,
        "priority": priority,
        "opened_at": opened,
        "first_response_at": response,
        "resolved_at": resolved,
        "csat": csat,
        "escalated": escalated,
    }


TICKETS = [
    ticket("T1", "A1", "urgent", "2026-07-01 10:00", "2026-07-01 10:30", "2026-07-01 16:00", 5),
    ticket("T2", "A1", "urgent", "2026-07-02 10:00", "2026-07-02 12:00", "2026-07-02 20:00", 4),
    ticket("T3", "A1", "high", "2026-07-03 10:00"),
    ticket("T4", "A2", "normal", "2026-07-04 10:00", "2026-07-04 13:30", "2026-07-05 16:00", 2),
    ticket("T5", "A1", "normal", "2026-07-20 12:00"),
]


@pytest.fixture
def ws(make_ws):
    return make_ws(tickets=TICKETS)


def test_first_response_time_leaves_out_unanswered_tickets(ws):
    frame = ws.kpi("first_response_hours", period="2026-07")
    # (0.5 + 2 + 3.5) / 3 answered tickets = 2.0; T3 and T5 are not in the mean
    assert frame["denominator"].tolist() == [3]
    assert frame["value"].tolist() == [pytest.approx(2.0)]


def test_never_answered_ticket_is_a_breach_once_past_sla(ws):
    frame = ws.kpi("first_response_sla", period="2026-07")
    # met: T1, T4; breached: T2 (late), T3 (never, past 4 h); T5 pending
    assert (frame["numerator"][0], frame["denominator"][0]) == (2, 4)


def test_resolution_vs_sla(ws):
    hours = ws.kpi("resolution_hours", period="2026-07")
    assert hours["value"].tolist() == [pytest.approx((6 + 10 + 30) / 3)]
    sla = ws.kpi("resolution_sla", period="2026-07")
    # met: T1 (6 <= 8), T4 (30 <= 72); breached: T2 (10 > 8), T3 (unresolved, past 24 h)
    assert (sla["numerator"][0], sla["denominator"][0]) == (2, 4)


def test_support_csat_and_volume(ws):
    csat = ws.kpi("support_csat", period="2026-07")
    assert (csat["numerator"][0], csat["denominator"][0]) == (2, 3)
    volume = ws.kpi("tickets_per_account_month", period="2026-Q3")
    # 5 tickets / (2 accounts under contract x 3 months) = 0.8333
    assert (volume["numerator"][0], volume["denominator"][0]) == (5, 6)
    assert volume["value"][0] == pytest.approx(5 / 6)


def test_a_month_without_tickets_has_no_response_time(ws):
    assert math.isnan(ws.kpi("first_response_hours", period="2026-08")["value"][0])
