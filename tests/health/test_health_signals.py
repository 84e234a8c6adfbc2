"""Raw signals, point in time: only what was known on the day scored counts."""

from __future__ import annotations

from datetime import date

import pytest
from health_data import account, contract, sign_ins, user

from csmetrics.config.health import SIGNALS, HealthModel, Measure
from csmetrics.health.book import compute

DAY = date(2026, 3, 31)
WINDOWS = {
    "mau_trend": 1,
    "tickets_per_100_licenses": 3,
    "ticket_days_open": 3,
    "ticket_csat": 3,
    "invoices_on_time": 6,
    "champion_present": 1,
    "email_engagement": 6,
    "community_engagement": 6,
    "renewals_so_far": 1,
    "tenure_months": 1,
    "goals_achieved": 24,
}
EVERY_SIGNAL = HealthModel(
    measures={
        name: Measure(signal=name, window_months=WINDOWS[name], points=((0, 0), (1, 100)))
        for name in SIGNALS
    }
)


def ticket(tid, account_id, opened, resolved=None, csat=None) -> dict:
    return {
        "ticket_id": tid,
        "account_id": account_id,
        "priority": "normal",
        "opened_at": opened,
        "first_response_at": opened,
        "resolved_at": resolved,
        "csat": csat,
    }


def invoice(iid, due, paid) -> dict:
    return {
        "invoice_id": iid,
        "account_id": "A1",
        "issued_at": "2025-12-01",
        "due_at": due,
        "paid_at": paid,
        "amount": 1000.0,
    }


def engagement(channel, action, at) -> dict:
    return {
        "account_id": "A1",
        "user_id": "u1",
        "channel": channel,
        "action": action,
        "occurred_at": at,
    }


def goal(name, target, achieved=None) -> dict:
    return {
        "account_id": "A1",
        "goal": name,
        "defined_at": "2025-06-01",
        "target_date": target,
        "status": "achieved" if achieved else "on_track",
        "achieved_at": achieved,
    }


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    from health_data import build

    ws = build(
        tmp_path_factory.mktemp("signals"),
        accounts=[account("A1"), account("A2"), account("A3"), account("A4")],
        contracts=[
            contract("K1", "A1", "2025-01-01", None),
            contract("K2", "A2", "2025-01-01", None),
            contract("K3", "A3", "2025-01-01", None),
            contract("R1", "A4", "2024-01-01", "2025-01-01"),
            contract("R2", "A4", "2025-01-01", "2026-01-01"),
            contract("R3", "A4", "2026-01-01", "2027-01-01"),
        ],
        events=[
            *sign_ins("A1", "2025-12", 8),
            *sign_ins("A1", "2026-01", 8),
            *sign_ins("A1", "2026-02", 8),
            *sign_ins("A1", "2026-03", 4),
            *sign_ins("A2", "2026-03", 6),
        ],
        tickets=[
            ticket("T1", "A1", "2026-01-05 00:00", "2026-01-07 00:00", csat=5),
            ticket("T2", "A1", "2026-02-10 00:00", "2026-04-10 00:00", csat=5),  # open on 03-31
            ticket("T3", "A1", "2026-03-20 00:00", "2026-03-21 00:00", csat=2),
            ticket("T4", "A1", "2026-04-02 00:00"),  # after the day
            ticket("T0", "A1", "2025-12-15 00:00", "2025-12-16 00:00", csat=1),  # before the window
        ],
        invoices=[
            invoice("I1", "2026-01-15", "2026-01-10"),  # on time
            invoice("I2", "2026-02-15", "2026-02-20"),  # late
            invoice("I3", "2026-03-15", "2026-04-05"),  # unpaid on 03-31
            invoice("I4", "2026-04-15", "2026-04-01"),  # not due yet
        ],
        users=[
            user("A1", "c1", "champion"),
            user("A2", "c2", "champion", left="2026-03-15 12:00"),
            user("A4", "x4", "admin"),
        ],
        engagements=[
            engagement("email", "open", "2026-02-01 10:00"),
            engagement("email", "click", "2026-02-01 10:05"),
            engagement("email", "bounce", "2026-03-01 10:00"),
            engagement("email", "unsubscribe", "2026-03-02 10:00"),
            engagement("community", "post", "2026-03-03 10:00"),
            engagement("webinar", "attend", "2026-03-04 10:00"),
            engagement("community", "post", "2026-04-03 10:00"),  # after the day
        ],
        success_plans=[
            goal("faster routing", "2026-03-01", achieved="2026-02-01"),  # achieved
            goal("go live in EMEA", "2026-01-15"),  # past target, not achieved: missed
            goal("self-serve reports", "2026-06-30"),  # still open
            goal("train all teams", "2026-03-20", achieved="2026-04-10"),  # missed on 03-31
        ],
    )
    snap = compute(ws.engine, ws.config, "signals", EVERY_SIGNAL, [DAY])
    ws.close()
    frame = snap.measures
    return {(r.account_id, r.measure): r.raw for r in frame.itertuples(index=False)}


def test_mau_trend_compares_with_the_three_months_before(raw):
    assert raw[("A1", "mau_trend")] == pytest.approx(4 / 8 - 1)  # 4 users after 8, 8, 8
    assert raw[("A2", "mau_trend")] != raw[("A2", "mau_trend")]  # nobody before: no trend


def test_tickets_per_100_licenses_per_month(raw):
    # T1, T2, T3 opened in January-March (T4 is after the day): 3 / 10 x 100 / 3 months
    assert raw[("A1", "tickets_per_100_licenses")] == pytest.approx(10.0)
    assert raw[("A2", "tickets_per_100_licenses")] == 0.0


def test_a_ticket_resolved_after_the_day_is_still_open_on_it(raw):
    # T1 2 days, T2 open from 02-10 to the end of 03-31 = 50 days, T3 1 day
    assert raw[("A1", "ticket_days_open")] == pytest.approx(53 / 3)


def test_ticket_csat_counts_tickets_resolved_by_the_day(raw):
    # T1 (5) and T3 (2) resolved in the window; T2's 5 came after the day
    assert raw[("A1", "ticket_csat")] == pytest.approx(0.5)


def test_invoices_on_time_as_known_on_the_day(raw):
    # due in the window: I1 on time, I2 late, I3 unpaid; I4 not due yet
    assert raw[("A1", "invoices_on_time")] == pytest.approx(1 / 3)


def test_champion_present_on_the_day(raw):
    assert raw[("A1", "champion_present")] == 1.0
    assert raw[("A2", "champion_present")] == 0.0  # deactivated on 03-15
    assert raw[("A3", "champion_present")] != raw[("A3", "champion_present")]  # no users
    assert raw[("A4", "champion_present")] == 0.0  # users, none a champion


def test_email_and_community_engagement(raw):
    assert raw[("A1", "email_engagement")] == pytest.approx(2 / 4)
    assert raw[("A1", "community_engagement")] == 2.0  # the April post is after the day
    assert raw[("A2", "community_engagement")] == 0.0


def test_renewals_so_far_and_tenure(raw):
    assert raw[("A4", "renewals_so_far")] == 2.0  # 2025-01-01 and 2026-01-01
    assert raw[("A1", "renewals_so_far")] == 0.0
    # 2024-01-01 to 2026-03-31: 820 days
    assert raw[("A4", "tenure_months")] == pytest.approx(820 / 30.4375)


def test_goals_achieved_share_of_the_goals_decided(raw):
    # achieved: faster routing; missed: EMEA (target 01-15) and training (achieved after)
    assert raw[("A1", "goals_achieved")] == pytest.approx(1 / 3)


def test_renewals_so_far_counts_only_renewals_by_the_day(tmp_path):
    from health_data import build

    ws = build(
        tmp_path / "w",
        accounts=[account("A4")],
        contracts=[
            contract("R1", "A4", "2024-01-01", "2025-01-01"),
            contract("R2", "A4", "2025-01-01", "2026-01-01"),
            contract("R3", "A4", "2026-01-01", "2027-01-01"),
        ],
    )
    model = HealthModel(
        measures={"r": Measure(signal="renewals_so_far", points=((0, 0), (1, 100)))}
    )
    snap = compute(ws.engine, ws.config, "r", model, [date(2025, 12, 31), DAY])
    ws.close()
    got = dict(zip(snap.measures["as_of"], snap.measures["raw"], strict=True))
    assert got == {date(2025, 12, 31): 1.0, DAY: 2.0}
