"""Retention, attribution and churn recognition on hand-made histories."""

from __future__ import annotations

import math

import pytest
from kpi_helpers import account, contract, one, reopen, set_revenue_option


def ratio(frame, **where) -> tuple:
    row = one(frame, **where)
    return row["numerator"], row["denominator"], row["value"]


def test_a_contract_ending_on_the_period_boundary(make_ws):
    # Both terms end on 2025-10-01 (last paid day 09-30). A5 renews from 10-01 at 7,700;
    # A6 does not. For 2025-Q3 = [07-01, 10-01): A6 is churn in this quarter.
    ws = make_ws(
        [account("A5"), account("A6")],
        [
            contract("K9", "A5", "2024-10-01", "2025-10-01", 7_000),
            contract("K10", "A5", "2025-10-01", "2026-10-01", 7_700),
            contract("K11", "A6", "2024-10-01", "2025-10-01", 5_000),
        ],
    )
    q3 = ws.movements(period="2025-Q3", by="account")
    assert one(q3, account_id="A5")["expansion"] == 700
    assert one(q3, account_id="A6")["churn"] == 5_000
    assert ratio(ws.kpi("logo_retention", period="2025-Q3")) == (1, 2, 0.5)
    assert ratio(ws.kpi("logo_churn", period="2025-Q3")) == (1, 2, 0.5)
    # GRR: min(7,700, 7,000) + 0 over 12,000; NRR: 7,700 over 12,000.
    assert ratio(ws.kpi("grr", period="2025-Q3"))[:2] == (7_000, 12_000)
    assert ratio(ws.kpi("nrr", period="2025-Q3"))[:2] == (7_700, 12_000)
    assert ratio(ws.kpi("net_arr_churn", period="2025-Q3"))[:2] == (4_300, 12_000)
    # Both renewals are due in Q3 (they end on its last day); one renewed.
    assert ratio(ws.kpi("renewal_rate", period="2025-Q3")) == (1, 2, 0.5)
    assert ratio(ws.kpi("renewal_arr_rate", period="2025-Q3"))[:2] == (7_000, 12_000)
    # In Q4 A6 is no longer in the cohort and nothing is due.
    assert ratio(ws.kpi("logo_retention", period="2025-Q4")) == (1, 1, 1.0)
    assert ratio(ws.kpi("renewal_rate", period="2025-Q4"))[:2] == (0, 0)
    assert math.isnan(ratio(ws.kpi("renewal_rate", period="2025-Q4"))[2])


def test_reassignment_mid_quarter_stays_with_the_owner_on_day_one(make_ws):
    # A1 moves from Ana (C1) to Ben (C2) on 2025-08-15; accounts.csm_id already says C2.
    # A2 has no assignment rows: its current owner Cleo (C3) is used.
    ws = make_ws(
        [account("A1", "C2"), account("A2", "C3")],
        [
            contract("K1", "A1", "2025-01-01", None, 10_000),
            contract("K2", "A1", "2025-09-01", None, 2_000, product="calendar"),
            contract("K3", "A2", "2025-01-01", "2025-09-01", 4_000),
        ],
        assignments=[
            {
                "account_id": "A1",
                "csm_id": "C1",
                "valid_from": "2025-01-01",
                "valid_to": "2025-08-15",
            },
            {"account_id": "A1", "csm_id": "C2", "valid_from": "2025-08-15", "valid_to": None},
        ],
    )
    q3 = ws.kpi("nrr", by="csm", period="2025-Q3")
    assert q3[["csm_id", "csm_name"]].values.tolist() == [["C1", "Ana"], ["C3", "Cleo"]]
    assert ratio(q3, csm_id="C1") == (12_000, 10_000, 1.2)
    assert ratio(q3, csm_id="C3") == (0, 4_000, 0.0)
    q4 = ws.kpi("nrr", by="csm", period="2025-Q4")
    assert q4["csm_id"].tolist() == ["C2"]
    # Monthly: July and August start with Ana, September with Ben (A2's book is
    # empty from its end on 09-01, the close of August).
    months = ws.kpi("book_of_business", by="csm", every="month", start="2025-07", end="2025-09")
    owners = months[months["value"] > 0][["period", "csm_id"]].values.tolist()
    assert owners == [["2025-07", "C1"], ["2025-07", "C3"], ["2025-08", "C1"], ["2025-09", "C2"]]
    # Team: Ana and Ben are both East; the team's numbers are the sum of its CSMs'.
    teams = ws.kpi("nrr", by="team", period="2025-Q3")
    assert ratio(teams, team="East") == (12_000, 10_000, 1.2)
    assert ratio(teams, team="West") == (0, 4_000, 0.0)


def test_an_account_whose_start_arr_is_zero(make_ws):
    # A7 is on a free pilot (ARR 0) on 2025-07-01 and converts to 9,000 on 08-01.
    # It is Cleo's only account, so Cleo's cohort is empty: null, not 0 and no error.
    ws = make_ws(
        [account("A7", "C3"), account("A1", "C1")],
        [
            contract("K12", "A7", "2025-06-01", "2025-08-01", 0),
            contract("K13", "A7", "2025-08-01", None, 9_000),
            contract("K1", "A1", "2025-01-01", None, 1_000),
        ],
    )
    nrr = ws.kpi("nrr", by="csm", period="2025-Q3")
    assert ratio(nrr, csm_id="C1") == (1_000, 1_000, 1.0)
    cleo = ratio(nrr, csm_id="C3")
    assert cleo[:2] == (0, 0) and math.isnan(cleo[2])
    by_account = ws.kpi("logo_retention", by="account", period="2025-Q3")
    assert math.isnan(one(by_account, account_id="A7")["value"])
    # Company: A7 is in no denominator; its 9,000 is new ARR, not retention.
    assert ratio(ws.kpi("nrr", period="2025-Q3")) == (1_000, 1_000, 1.0)
    assert ws.kpi("new_arr", period="2025-Q3")["value"].tolist() == [9_000]
    # A free pilot is not an active (paying) account.
    assert ws.kpi("active_accounts", period="2025-06")["value"].tolist() == [1]
    assert ws.kpi("active_accounts", period="2025-Q3")["value"].tolist() == [2]


def test_churn_recognition_end_of_term_versus_cancellation(make_ws):
    # A11 pays 12,000 for 2025 and gives notice on 2025-08-10; A12 pays 3,000, open.
    ws = make_ws(
        [account("A11"), account("A12")],
        [
            contract("K18", "A11", "2025-01-01", "2026-01-01", 12_000, cancelled="2025-08-10"),
            contract("K19", "A12", "2025-01-01", None, 3_000),
        ],
    )
    # end_of_term (default): A11 pays to the end of its term and churns in December.
    assert ratio(ws.kpi("logo_retention", period="2025-Q3")) == (2, 2, 1.0)
    assert ratio(ws.kpi("logo_retention", period="2025-Q4")) == (1, 2, 0.5)
    months = ws.movements(every="month", start="2025-07", end="2025-12")
    assert months.set_index("period")["churn"].to_dict() == {
        "2025-07": 0, "2025-08": 0, "2025-09": 0, "2025-10": 0, "2025-11": 0, "2025-12": 12_000
    }  # fmt: skip
    assert ws.kpi("arr", period="2025-Q3")["value"].tolist() == [15_000]

    set_revenue_option(ws.root, "churn_recognition", "cancellation")
    with reopen(ws) as ws2:
        # cancellation: the ARR leaves on 2025-08-10, so the churn is August's, and
        # every KPI reads the same history.
        assert ratio(ws2.kpi("logo_retention", period="2025-Q3")) == (1, 2, 0.5)
        assert ratio(ws2.kpi("logo_retention", period="2025-Q4")) == (1, 1, 1.0)
        months = ws2.movements(every="month", start="2025-07", end="2025-12")
        assert months.set_index("period")["churn"].to_dict() == {
            "2025-07": 0, "2025-08": 12_000, "2025-09": 0, "2025-10": 0, "2025-11": 0,
            "2025-12": 0,
        }  # fmt: skip
        assert months["reconciles"].all()
        assert ws2.kpi("arr", period="2025-Q3")["value"].tolist() == [3_000]
        # The renewal is still due when the term ends (2025-Q4) and did not happen.
        assert ratio(ws2.kpi("renewal_rate", period="2025-Q4")) == (0, 1, 0.0)
        assert ratio(ws2.kpi("renewal_rate", period="2025-Q3"))[:2] == (0, 0)


@pytest.mark.parametrize("grain", ["account", "csm", "team", "tier", "segment"])
def test_every_grain_adds_up_to_the_company(make_ws, grain):
    ws = make_ws(
        [
            account("A1", "C1", "strategic", "enterprise"),
            account("A2", "C2", "corp", "smb"),
            account("A3", "C3", "corp", "enterprise"),
        ],
        [
            contract("K1", "A1", "2025-01-01", None, 10_000),
            contract("K2", "A2", "2025-01-01", "2025-08-01", 4_000),
            contract("K3", "A3", "2025-01-01", None, 2_000),
            contract("K4", "A3", "2025-08-01", None, 1_000, product="calendar"),
        ],
    )
    company = one(ws.kpi("nrr", period="2025-Q3"))
    split = ws.kpi("nrr", by=grain, period="2025-Q3")
    assert split["numerator"].sum() == company["numerator"] == 13_000
    assert split["denominator"].sum() == company["denominator"] == 16_000
