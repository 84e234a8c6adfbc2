"""The ARR bridge on hand-made histories: every number below can be checked by hand."""

from __future__ import annotations

import pytest
from kpi_helpers import account, contract, one

LINES = ["start", "new", "expansion", "contraction", "churn", "reactivation", "fx", "end"]


def bridge_row(frame, **where) -> list[float]:
    row = one(frame, **where)
    return [row[line] for line in LINES]


def assert_reconciles(frame):
    check = (
        frame["start"]
        + frame["new"]
        + frame["expansion"]
        - frame["contraction"]
        - frame["churn"]
        + frame["reactivation"]
        + frame["fx"]
    )
    assert (check.round(2) == frame["end"]).all(), frame
    assert frame["reconciles"].all(), frame


def test_concurrent_contracts_and_a_mid_month_upgrade(make_ws):
    # A1: router 12,000 upgraded on 2025-07-15 to 18,000 (K1 cut short, K3 replaces
    #     it), plus calendar 6,000 running alongside.
    # A2: router 5,000 ends 2025-08-01 while calendar 3,000 runs on -> contraction,
    #     not churn; the calendar contract ends 2026-01-01 -> churn in December.
    ws = make_ws(
        [account("A1"), account("A2")],
        [
            contract("K1", "A1", "2025-01-01", "2025-07-15", 12_000),
            contract("K2", "A1", "2025-06-01", None, 6_000, product="calendar"),
            contract("K3", "A1", "2025-07-15", "2026-07-15", 18_000),
            contract("K4", "A2", "2025-01-01", "2025-08-01", 5_000),
            contract("K5", "A2", "2025-01-01", "2026-01-01", 3_000, product="calendar"),
        ],
    )
    months = ws.movements(by="account", every="month", start="2025-07", end="2025-12")
    assert_reconciles(months)
    #                                              start  new  exp   con  churn react fx  end
    assert bridge_row(months, account_id="A1", period="2025-07") == [
        18_000, 0, 6_000, 0, 0, 0, 0, 24_000
    ]  # fmt: skip
    assert bridge_row(months, account_id="A2", period="2025-07") == [
        8_000, 0, 0, 5_000, 0, 0, 0, 3_000
    ]  # fmt: skip
    assert bridge_row(months, account_id="A2", period="2025-12") == [
        3_000, 0, 0, 0, 3_000, 0, 0, 0
    ]  # fmt: skip

    quarter = ws.movements(period="2025-Q3")
    assert_reconciles(quarter)
    # 26,000 + 6,000 expansion - 5,000 contraction = 27,000
    assert bridge_row(quarter, period="2025-Q3") == [26_000, 0, 6_000, 5_000, 0, 0, 0, 27_000]
    assert ws.kpi("arr", period="2025-Q3")["value"].tolist() == [27_000]
    assert ws.kpi("expansion_arr", period="2025-Q3")["value"].tolist() == [6_000]
    assert ws.kpi("contraction_arr", period="2025-Q3")["value"].tolist() == [5_000]


def test_churn_and_reactivation_in_the_same_quarter(make_ws):
    # A3 pays 10,000 until 2025-08-01, is gone in August, returns on 2025-09-10 at 8,000.
    # A4 is a brand-new logo from 2025-08-20 at 4,000.
    ws = make_ws(
        [account("A3"), account("A4")],
        [
            contract("K6", "A3", "2025-01-01", "2025-08-01", 10_000),
            contract("K7", "A3", "2025-09-10", "2026-09-10", 8_000),
            contract("K8", "A4", "2025-08-20", None, 4_000),
        ],
    )
    months = ws.movements(by="account", every="month", start="2025-07", end="2025-09")
    assert_reconciles(months)
    assert one(months, account_id="A3", period="2025-07")["churn"] == 10_000
    assert one(months, account_id="A3", period="2025-09")["reactivation"] == 8_000
    assert one(months, account_id="A4", period="2025-08")["new"] == 4_000

    quarter = ws.movements(period="2025-Q3")
    # 10,000 - 10,000 churn + 4,000 new + 8,000 reactivation = 12,000
    assert bridge_row(quarter, period="2025-Q3") == [10_000, 4_000, 0, 0, 10_000, 8_000, 0, 12_000]
    # The quarter only sees both ends: A3 paid on 07-01 and pays on 10-01, so it is
    # retained; NRR counts its 8,000 of 10,000 and excludes the new logo A4.
    logo = one(ws.kpi("logo_retention", period="2025-Q3"))
    assert (logo["numerator"], logo["denominator"], logo["value"]) == (1, 1, 1.0)
    nrr = one(ws.kpi("nrr", period="2025-Q3"))
    assert (nrr["numerator"], nrr["denominator"], nrr["value"]) == (8_000, 10_000, 0.8)
    assert ws.kpi("reactivation_arr", period="2025-Q3")["value"].tolist() == [8_000]


def test_a_quarter_bridge_is_the_sum_of_its_months_per_grain(make_ws):
    ws = make_ws(
        [account("A1", "C1"), account("A2", "C2"), account("A3", "C3")],
        [
            contract("K1", "A1", "2025-01-01", "2025-08-15", 1_000),
            contract("K2", "A1", "2025-08-15", None, 1_500),
            contract("K3", "A2", "2025-03-01", "2025-09-01", 2_000),
            contract("K4", "A3", "2025-07-10", None, 700),
        ],
    )
    quarter = ws.movements(period="2025-Q3", by="csm")
    months = ws.movements(every="month", start="2025-07", end="2025-09", by="csm")
    assert_reconciles(quarter)
    for csm_id in ("C1", "C2", "C3"):
        mine = months[months["csm_id"] == csm_id]
        q = one(quarter, csm_id=csm_id)
        assert q["start"] == mine.iloc[0]["start"] and q["end"] == mine.iloc[-1]["end"]
        for line in LINES[1:-1]:
            assert q[line] == pytest.approx(mine[line].sum())
    assert bridge_row(quarter, csm_id="C1") == [1_000, 0, 500, 0, 0, 0, 0, 1_500]
    assert bridge_row(quarter, csm_id="C2") == [2_000, 0, 0, 0, 2_000, 0, 0, 0]
    assert bridge_row(quarter, csm_id="C3") == [0, 700, 0, 0, 0, 0, 0, 700]


def test_a_range_that_is_not_whole_months_is_cut_at_month_starts(make_ws):
    ws = make_ws(
        [account("A1")],
        [
            contract("K1", "A1", "2025-01-01", "2025-07-20", 1_000),
            contract("K2", "A1", "2025-07-20", None, 1_200),
        ],
    )
    # 2025-06-15..2025-08-10 is cut into [06-15, 07-01), [07-01, 08-01), [08-01, 08-10).
    frame = ws.movements(period="2025-06-15..2025-08-10")
    assert bridge_row(frame, period="2025-06-15..2025-08-10") == [1_000, 0, 200, 0, 0, 0, 0, 1_200]


def test_two_currencies_put_rate_changes_on_the_fx_line(make_ws):
    # Reporting currency USD. EUR is worth 1.10 USD until 2025-08-14 and 1.20 from 08-15.
    # A8: 10,000 EUR all along, plus 2,000 EUR more from 2025-08-20.
    # A9: 5,000 USD, plus 1,000 USD of a second product from 2025-08-10.
    ws = make_ws(
        [account("A8"), account("A9")],
        [
            contract("K14", "A8", "2025-01-01", None, 10_000, currency="EUR"),
            contract("K17", "A8", "2025-08-20", None, 2_000, currency="EUR"),
            contract("K15", "A9", "2025-01-01", None, 5_000),
            contract("K16", "A9", "2025-08-10", None, 1_000, product="calendar"),
        ],
        fx_rates=[
            {"currency": "EUR", "rate_date": "2025-01-01", "rate": 1.10},
            {"currency": "EUR", "rate_date": "2025-08-15", "rate": 1.20},
        ],
    )
    months = ws.movements(by="account", every="month", start="2025-07", end="2025-09")
    assert_reconciles(months)
    # August, A8: start 10,000 x 1.10 = 11,000; at August-start rates the end is
    # 12,000 x 1.10 = 13,200 (expansion 2,200); at the 09-01 rate it is 12,000 x 1.20
    # = 14,400, so fx = 1,200.
    assert bridge_row(months, account_id="A8", period="2025-08") == [
        11_000, 0, 2_200, 0, 0, 0, 1_200, 14_400
    ]  # fmt: skip
    assert bridge_row(months, account_id="A9", period="2025-08") == [
        5_000, 0, 1_000, 0, 0, 0, 0, 6_000
    ]  # fmt: skip
    quarter = ws.movements(period="2025-Q3")
    assert bridge_row(quarter, period="2025-Q3") == [16_000, 0, 3_200, 0, 0, 0, 1_200, 20_400]
    assert ws.kpi("fx_arr", period="2025-Q3")["value"].tolist() == [1_200]
    assert ws.kpi("arr", period="2025-Q3")["value"].tolist() == [20_400]
    # NRR is in constant currency (07-01 rates): A8 12,000 x 1.10 = 13,200, A9 6,000.
    nrr = one(ws.kpi("nrr", period="2025-Q3"))
    assert (nrr["numerator"], nrr["denominator"]) == (19_200, 16_000)
    assert nrr["value"] == pytest.approx(1.2)
    grr = one(ws.kpi("grr", period="2025-Q3"))
    assert (grr["numerator"], grr["denominator"], grr["value"]) == (16_000, 16_000, 1.0)
