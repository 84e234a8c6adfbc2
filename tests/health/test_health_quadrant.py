"""The outcome/experience quadrant on crafted accounts, with ARR and movement since last quarter.

Outcome = usage points (license utilisation 0..100%), experience = NPS points (-100..+100
-> 0..100); both split at 50. Scores on 2026-03-31, movement from 2025-12-31.
"""

from __future__ import annotations

from datetime import date

import pytest
from health_data import account, build, contract, nps, sign_ins

MODEL = """\
health:
  models:
    q:
      measures:
        usage: {kpi: license_utilisation, weight: 1, points: [[0, 0], [1, 100]]}
        nps: {kpi: nps, window_months: 3, weight: 1, points: [[-1, 0], [1, 100]]}
quadrant:
  outcome: {usage: 1}
  experience: {nps: 1}
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ids = ["H", "T", "A", "R", "N", "L", "W"]
    arr = {"H": 100.0, "T": 200.0, "A": 300.0, "R": 400.0, "N": 500.0, "L": 600.0, "W": 700.0}
    workspace = build(
        tmp_path_factory.mktemp("quadrant"),
        MODEL,
        accounts=[account(i) for i in ids],
        contracts=[
            *[contract(f"K{i}", i, "2025-01-01", None, arr=arr[i]) for i in "HTARN"],
            contract("KL", "L", "2025-01-01", "2026-02-01", arr=arr["L"]),  # leaves in February
            contract("KW", "W", "2026-02-01", None, arr=arr["W"]),  # new in February
        ],
        events=[
            # December (the end of last quarter)
            *sign_ins("H", "2025-12", 8),
            *sign_ins("T", "2025-12", 8),
            *sign_ins("A", "2025-12", 2),
            *sign_ins("R", "2025-12", 8),
            *sign_ins("L", "2025-12", 8),
            # March
            *sign_ins("H", "2026-03", 8),
            *sign_ins("T", "2026-03", 8),
            *sign_ins("A", "2026-03", 2),
            *sign_ins("R", "2026-03", 2),
            *sign_ins("N", "2026-03", 5),
            *sign_ins("W", "2026-03", 9),
            {
                "account_id": "H",
                "user_id": "H-u0",
                "event_time": "2026-03-31 17:00",
                "event_type": "sign_in",
            },
        ],
        survey_responses=[
            nps("H", "p", "2025-12-05 10:00", 10),
            nps("H", "p", "2026-03-05 10:00", 10),
            nps("T", "p", "2026-03-05 10:00", 2),  # no answer in December
            nps("A", "p", "2025-12-05 10:00", 9),
            nps("A", "p", "2026-03-05 10:00", 9),
            nps("R", "p", "2025-12-05 10:00", 3),
            nps("R", "p", "2026-03-05 10:00", 3),
            nps("L", "p", "2025-12-05 10:00", 10),
            nps("W", "p", "2026-03-05 10:00", 10),
        ],
    )
    yield workspace
    workspace.close()


def test_each_account_lands_in_its_quadrant(ws):
    q = ws.quadrant()
    assert q.as_of == date(2026, 3, 31) and q.previous_day == date(2025, 12, 31)
    got = q.accounts.set_index("account_id")
    assert got.loc["H", "quadrant"] == "Happy & Successful"  # usage 80%, NPS +100
    assert got.loc["T", "quadrant"] == "Trapped"  # usage 80%, NPS -100
    assert got.loc["A", "quadrant"] == "Accessible to competition"  # usage 20%, NPS +100
    assert got.loc["R", "quadrant"] == "High Risk"  # usage 20%, NPS -100
    assert got.loc["N", "quadrant"] == "Not enough data"  # usage 50%, no NPS
    assert got.loc["W", "quadrant"] == "Happy & Successful"  # usage 90%, NPS +100
    assert got.loc["T", "outcome"] == pytest.approx(80.0)
    assert got.loc["T", "experience"] == pytest.approx(0.0)
    assert "L" not in got.index


def test_counts_and_arr_per_quadrant(ws):
    summary = ws.quadrant().summary.set_index("quadrant")
    assert summary.loc["Happy & Successful", "accounts"] == 2
    assert summary.loc["Happy & Successful", "arr"] == pytest.approx(800.0)  # H + W
    assert summary.loc["Trapped", "arr"] == pytest.approx(200.0)
    assert summary.loc["High Risk", "arr"] == pytest.approx(400.0)
    assert summary.loc["Not enough data", "accounts"] == 1
    assert summary["accounts"].sum() == 6
    assert summary.loc["Happy & Successful", "share"] == pytest.approx(2 / 6)
    assert summary.loc["Happy & Successful", "arr_share"] == pytest.approx(800 / 2200)


def test_movement_since_the_end_of_last_quarter(ws):
    moves = {
        (r["from"], r["to"]): (r["accounts"], r["arr"])
        for r in ws.quadrant().movement.to_dict("records")
    }
    assert moves[("Happy & Successful", "Happy & Successful")] == (1, 100.0)  # H
    assert moves[("Not enough data", "Trapped")] == (1, 200.0)  # T had no NPS in December
    assert moves[("Accessible to competition", "Accessible to competition")] == (1, 300.0)
    assert moves[("Trapped", "High Risk")] == (1, 400.0)  # R: usage fell from 80% to 20%
    assert moves[("Happy & Successful", "Left")] == (1, 600.0)  # L: its ARR when it left
    assert moves[("New customer", "Happy & Successful")] == (1, 700.0)  # W
    assert moves[("Not enough data", "Not enough data")] == (1, 500.0)  # N: no data either time
    assert sum(a for a, _ in moves.values()) == 7


def test_quadrant_by_tier_and_of_an_earlier_quarter(ws):
    by_tier = ws.quadrant(by="tier").summary
    assert set(by_tier["tier"]) == {"corp"}
    december = ws.quadrant("2025-Q4").accounts.set_index("account_id")
    assert december.loc["R", "quadrant"] == "Trapped"
    assert december.loc["L", "quadrant"] == "Happy & Successful"
