"""Too many tickets and no support contact, judged on 2026-06-30.

too_many_tickets (30 days: [2026-06-01 00:00, 2026-07-01 00:00), fires at 3):
  A1: 3 tickets, the first at 2026-06-01 00:00 exactly   -> fires
  A2: 3 tickets, one at 2026-05-31 23:59:59 (outside)    -> 2 in the window: silent
  A3: 3 tickets, one at 2026-07-01 00:00 (after the day) -> 2: silent

no_support_contact (365 days: [2025-07-01, 2026-07-01); customers since 2025-01-01):
  S1: last ticket 2025-06-30 23:00 -> fires
  S2: a ticket at 2025-07-01 00:00 -> silent
  S3: no ticket, customer since 2025-07-02 (not a customer for the whole window) -> silent
  S4: no ticket, customer since 2025-07-01 -> fires ("none ever")
"""

from __future__ import annotations

import pytest
from risk_data import account, contract, fired, judge, only, ticket


@pytest.fixture
def ws(make_ws):
    tickets = [
        ticket("t1", "A1", "2026-06-01 00:00", priority="urgent"),
        ticket("t2", "A1", "2026-06-15 10:00", resolved_at="2026-06-16 10:00"),
        ticket("t3", "A1", "2026-06-30 23:59:59"),
        ticket("t4", "A2", "2026-05-31 23:59:59"),
        ticket("t5", "A2", "2026-06-10 10:00"),
        ticket("t6", "A2", "2026-06-11 10:00"),
        ticket("t7", "A3", "2026-06-10 10:00"),
        ticket("t8", "A3", "2026-06-11 10:00"),
        ticket("t9", "A3", "2026-07-01 00:00"),
    ]
    names = ["A1", "A2", "A3"]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        tickets=tickets,
    )


def test_too_many_tickets_counts_the_window_to_the_second(ws):
    reasons = fired(judge(ws, only("too_many_tickets")), "too_many_tickets")
    assert set(reasons) == {"A1"}
    # t2 was resolved on 06-16, t1 and t3 are still open at the end of 06-30
    assert reasons["A1"] == (
        "3 tickets opened in the last 30 days (1 urgent, 2 still open); the rule fires at 3"
    )


def test_just_short_of_the_ticket_threshold_is_silent(ws):
    assert (
        set(fired(judge(ws, only("too_many_tickets", min_tickets=4)), "too_many_tickets")) == set()
    )
    assert set(fired(judge(ws, only("too_many_tickets", min_tickets=2)), "too_many_tickets")) == {
        "A1",
        "A2",
        "A3",
    }


def test_ticket_priorities_narrow_the_count(ws):
    cfg = only("too_many_tickets", min_tickets=1, priorities=["urgent"])
    reasons = fired(judge(ws, cfg), "too_many_tickets")
    assert reasons == {
        "A1": "1 urgent ticket opened in the last 30 days (1 still open); the rule fires at 1"
    }


def test_a_wider_window_takes_the_earlier_ticket(ws):
    # 31 days: [2026-05-31, 2026-07-01) holds A2's 05-31 23:59:59 ticket.
    cfg = only("too_many_tickets", window_days=31)
    assert set(fired(judge(ws, cfg), "too_many_tickets")) == {"A1", "A2"}


@pytest.fixture
def quiet_ws(make_ws):
    names = ["S1", "S2", "S3", "S4"]
    starts = {"S3": "2025-07-02", "S4": "2025-07-01"}
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n, start=starts.get(n, "2025-01-01")) for n in names],
        tickets=[
            ticket("q1", "S1", "2025-06-30 23:00"),
            ticket("q2", "S2", "2025-07-01 00:00"),
        ],
    )


def test_no_support_contact_fires_after_a_silent_year(quiet_ws):
    reasons = fired(judge(quiet_ws, only("no_support_contact")), "no_support_contact")
    assert reasons == {
        "S1": "no support ticket in the last 365 days (the last was opened on 2025-06-30)",
        "S4": "no support ticket in the last 365 days (none ever)",
    }


def test_no_support_contact_window_is_a_parameter(quiet_ws):
    # 366 days reach back to 2025-06-30: S1's ticket counts; S4 is too new now.
    cfg = only("no_support_contact", window_days=366)
    assert set(fired(judge(quiet_ws, cfg), "no_support_contact")) == set()
