"""Overdue invoices, renewal near with red health, champion left; judged on 2026-06-30."""

from __future__ import annotations

import pytest
from risk_data import D, account, contract, fired, judge, load, only, status, user

# -- overdue invoices (more than 30 days past due on 2026-06-30: due before 2026-05-31) --
#   I1: due 2026-05-30, unpaid (31 days)          -> fires
#   I2: due 2026-05-31, unpaid (30 days)          -> silent
#   I3: due 2026-05-01, paid on 2026-06-30        -> silent (paid by the end of the day)
#   I4: due 2026-05-01, paid on 2026-07-02        -> fires (unpaid as of 06-30)
#   I5: 1,000 USD and 500 EUR overdue (EUR at 1.10 on 06-30) -> 1,550.00 USD
#   I6: issued 2026-07-01 (after the day), long past due later -> silent


def invoice(invoice_id: str, account_id: str, due: str, paid: str | None = None, **extra):
    return {
        "invoice_id": invoice_id,
        "account_id": account_id,
        "issued_at": extra.pop("issued", "2026-04-01"),
        "due_at": due,
        "paid_at": paid,
        "amount": extra.pop("amount", 1000.0),
        **extra,
    }


@pytest.fixture
def invoice_ws(make_ws):
    names = ["I1", "I2", "I3", "I4", "I5", "I6"]
    rows = [
        invoice("v1", "I1", "2026-05-30"),
        invoice("v2", "I2", "2026-05-31"),
        invoice("v3", "I3", "2026-05-01", "2026-06-30"),
        invoice("v4", "I4", "2026-05-01", "2026-07-02"),
        invoice("v5", "I5", "2026-04-15", currency="USD"),
        invoice("v6", "I5", "2026-05-20", amount=500.0, currency="EUR"),
        invoice("v7", "I6", "2026-07-01", issued="2026-07-01"),
    ]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        fx_rates=[
            {"currency": "EUR", "rate_date": "2026-01-01", "rate": 1.05},
            {"currency": "EUR", "rate_date": "2026-06-30", "rate": 1.10},
        ],
        invoices=rows,
    )


def test_overdue_invoices_fire_past_the_days_overdue(invoice_ws):
    reasons = fired(judge(invoice_ws, only("overdue_invoices")), "overdue_invoices")
    assert set(reasons) == {"I1", "I4", "I5"}
    assert reasons["I1"] == (
        "1 invoice unpaid more than 30 days past due, 1,000.00 USD outstanding; "
        "the oldest was due on 2026-05-30 (31 days ago)"
    )
    assert reasons["I5"] == (
        "2 invoices unpaid more than 30 days past due, 1,550.00 USD outstanding; "
        "the oldest was due on 2026-04-15 (76 days ago)"
    )


def test_overdue_thresholds_are_parameters(invoice_ws):
    cfg = only("overdue_invoices", days_overdue=29)
    assert set(fired(judge(invoice_ws, cfg), "overdue_invoices")) == {"I1", "I2", "I4", "I5"}
    cfg = only("overdue_invoices", min_invoices=2)
    assert set(fired(judge(invoice_ws, cfg), "overdue_invoices")) == {"I5"}


# -- renewal near with red health (within 90 days of 2026-06-30: up to 2026-09-28) ------
#   H1: term ends 2026-09-28 (90 days), red           -> fires
#   H2: term ends 2026-09-29 (91 days), red           -> silent
#   H3: term ends 2026-08-01 but renewed (a new term starts that day), red -> silent
#   H4: term ends 2026-08-01, yellow                  -> silent
#   H5: red on 2026-05-31, green on 2026-07-31 (after the day) -> the red counts: fires
#   H6: green on 2026-05-31, red on 2026-06-30        -> fires
#   H7: open-ended contract, red                      -> silent


def score(account_id: str, day: str, band: str | None, value: float = 30.0, model: str = ""):
    return (model, account_id, day, value, band)


@pytest.fixture
def health_ws(make_ws):
    names = [f"H{i}" for i in range(1, 8)]
    contracts = [
        contract("c1", "H1", "2025-09-28", "2026-09-28"),
        contract("c2", "H2", "2025-09-29", "2026-09-29"),
        contract("c3", "H3", "2025-08-01", "2026-08-01"),
        contract("c3b", "H3", "2026-08-01", "2027-08-01"),
        contract("c4", "H4", "2025-08-01", "2026-08-01"),
        contract("c5", "H5", "2025-08-01", "2026-08-01"),
        contract("c6", "H6", "2025-08-01", "2026-08-01"),
        contract("c7", "H7", "2025-01-01", None),
    ]
    return make_ws(accounts=[account(n) for n in names], contracts=contracts)


def store_scores(ws, rows: list[tuple]) -> None:
    model = ws.config.health.default_model
    con = ws.engine.duckdb
    con.execute(
        "CREATE TABLE IF NOT EXISTS _health_scores (model VARCHAR, account_id VARCHAR, "
        "as_of DATE, score DOUBLE, band VARCHAR)"
    )
    for m, *rest in rows:
        con.execute("INSERT INTO _health_scores VALUES (?, ?, ?, ?, ?)", [m or model, *rest])
    ws.engine.invalidate()


SCORES = [
    score("H1", "2026-06-30", "red", 22.5),
    score("H2", "2026-06-30", "red"),
    score("H3", "2026-06-30", "red"),
    score("H4", "2026-06-30", "yellow", 55.0),
    score("H5", "2026-05-31", "red"),
    score("H5", "2026-07-31", "green", 80.0),
    score("H6", "2026-05-31", "green", 80.0),
    score("H6", "2026-06-30", "red"),
    score("H7", "2026-06-30", "red"),
]


def test_renewal_with_red_health_reads_the_latest_score_by_the_day(health_ws):
    store_scores(health_ws, SCORES)
    reasons = fired(judge(health_ws, only("renewal_red_health")), "renewal_red_health")
    assert set(reasons) == {"H1", "H5", "H6"}
    model = health_ws.config.health.default_model
    assert reasons["H1"] == (
        f"renewal on 2026-09-28, in 90 days, with red health (score 22.5, model {model}, "
        "scored on 2026-06-30); the rule looks 90 days ahead"
    )


def test_renewal_window_and_bands_are_parameters(health_ws):
    store_scores(health_ws, SCORES)
    cfg = only("renewal_red_health", within_days=91)
    assert set(fired(judge(health_ws, cfg), "renewal_red_health")) == {"H1", "H2", "H5", "H6"}
    cfg = only("renewal_red_health", bands=["red", "yellow"])
    assert set(fired(judge(health_ws, cfg), "renewal_red_health")) == {"H1", "H4", "H5", "H6"}


def test_without_stored_health_the_rule_is_silent_and_says_so(health_ws):
    evaluation = judge(health_ws, only("renewal_red_health"))
    assert fired(evaluation, "renewal_red_health") == {}
    rule = status(evaluation, "renewal_red_health")
    assert rule.status == "not available"
    assert rule.note == "no health scores are stored (_health_scores is missing or empty)"


def test_scores_of_another_model_only_are_not_read(health_ws):
    store_scores(health_ws, [score("H1", "2026-06-30", "red", model="experimental")])
    evaluation = judge(health_ws, only("renewal_red_health"))
    model = health_ws.config.health.default_model
    assert status(evaluation, "renewal_red_health").note == (
        f"no health scores of model {model!r} are stored"
    )
    cfg = only("renewal_red_health", health_model="experimental")
    assert set(fired(judge(health_ws, cfg), "renewal_red_health")) == {"H1"}


# -- champion left (lookback 180 days: departures on 2026-01-02 .. 2026-06-30) ----------
#   P1: champion deactivated 2026-01-02 08:00               -> fires
#   P2: champion deactivated 2026-01-01 23:00 (too long ago) -> silent
#   P3: champion left 2026-05-01, a new one from 2026-05-10 -> silent
#   P4: never had a champion                                -> silent
#   P5: champion deactivated 2026-07-01 00:00 (after the day) -> silent
#   P6: one of two champions left                           -> silent
#   P7: "Champion" (capitalised) left 2026-06-01            -> fires


@pytest.fixture
def champion_ws(make_ws):
    names = [f"P{i}" for i in range(1, 8)]
    users = [
        user("p1", "P1", "champion", left="2026-01-02 08:00"),
        user("p2", "P2", "champion", left="2026-01-01 23:00"),
        user("p3", "P3", "champion", left="2026-05-01 10:00"),
        user("p3b", "P3", "champion", created="2026-05-10 09:00"),
        user("p4", "P4", "admin"),
        user("p5", "P5", "champion", left="2026-07-01 00:00"),
        user("p6", "P6", "champion", left="2026-03-01 10:00"),
        user("p6b", "P6", "champion"),
        user("p7", "P7", "Champion", left="2026-06-01 10:00"),
    ]
    return make_ws(
        accounts=[account(n) for n in names],
        contracts=[contract(f"K{n}", n) for n in names],
        users=users,
    )


def test_champion_left_fires_until_a_new_one_is_active(champion_ws):
    reasons = fired(judge(champion_ws, only("champion_left")), "champion_left")
    assert set(reasons) == {"P1", "P7"}
    assert reasons["P1"] == (
        "champion p1 left on 2026-01-02 (179 days ago) and no active user has the champion role"
    )


def test_champion_lookback_is_a_parameter(champion_ws):
    cfg = only("champion_left", lookback_days=181)
    assert set(fired(judge(champion_ws, cfg), "champion_left")) == {"P1", "P2", "P7"}
    cfg = only("champion_left", lookback_days=179)
    assert set(fired(judge(champion_ws, cfg), "champion_left")) == {"P7"}


def test_a_new_champion_clears_the_rule_on_the_day_they_start(champion_ws):
    load(champion_ws, "users", [user("p1b", "P1", "champion", created="2026-06-30 23:00")])
    assert set(fired(judge(champion_ws, only("champion_left")), "champion_left")) == {"P7"}
    # On 06-29 p1b is not there yet; the lookback then reaches 2026-01-01 (P2 too).
    before = judge(champion_ws, only("champion_left"), day=D.replace(day=29))
    assert set(fired(before, "champion_left")) == {"P1", "P2", "P7"}
