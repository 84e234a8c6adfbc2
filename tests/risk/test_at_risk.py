"""At-risk accounts and ARR by CSM, team, tier and company, worked out by hand.

On 2026-06-30 (default rules):
  A1  C1 (East)  strategic  120,000  3 tickets in June (medium) + an invoice 31 days overdue (high)
  A2  C2 (West)  corp        30,000  quiet; owned by C1 until 2026-06-15, then C2
  A3  C2 (West)  corp        20,000  (12,000 + 8,000) 3 tickets in June (medium)
  A4  C2 (West)  low_touch    6,000  3 tickets in June, but its contract ended 2026-06-01
  A5  C1 (East)  low_touch    5,000  quiet

By CSM: C1 = A1 + A5: 125,000, at risk 120,000 (96%), high 120,000.
        C2 = A2 + A3:  50,000, at risk  20,000 (40%), high 0.
By tier: strategic 120,000 / 120,000; corp 50,000 / 20,000; low_touch 5,000 / 0.
Company: 4 accounts, 175,000, at risk 2 accounts and 140,000 (80%), high 120,000.
"""

from __future__ import annotations

from datetime import date

import pytest
from risk_data import D, account, contract, ticket

from csmetrics.risk import at_risk


def _tickets(account_id: str) -> list[dict]:
    return [ticket(f"{account_id}-t{i}", account_id, f"2026-06-1{i} 10:00") for i in range(3)]


@pytest.fixture
def ws(make_ws):
    return make_ws(
        accounts=[
            account("A1", "C1", "strategic"),
            account("A2", "C2", "corp"),
            account("A3", "C2", "corp"),
            account("A4", "C2", "low_touch"),
            account("A5", "C1", "low_touch"),
        ],
        contracts=[
            contract("K1", "A1", arr=120000.0),
            contract("K2", "A2", arr=30000.0),
            contract("K3", "A3", arr=12000.0),
            contract("K3b", "A3", arr=8000.0, product="scheduler"),
            contract("K4", "A4", end="2026-06-01", arr=6000.0),
            contract("K5", "A5", arr=5000.0),
        ],
        assignments=[
            {
                "account_id": "A2",
                "csm_id": "C1",
                "valid_from": "2025-01-01",
                "valid_to": "2026-06-15",
            },
            {"account_id": "A2", "csm_id": "C2", "valid_from": "2026-06-15", "valid_to": None},
        ],
        tickets=[
            *_tickets("A1"),
            *_tickets("A3"),
            *_tickets("A4"),
            # every account has a ticket this year, so "no support contact" stays silent
            *[ticket(f"x{i}", f"A{i}", "2026-02-01 10:00") for i in range(1, 6)],
        ],
        invoices=[
            {
                "invoice_id": "v1",
                "account_id": "A1",
                "issued_at": "2026-04-30",
                "due_at": "2026-05-30",
                "amount": 30000.0,
            }
        ],
    )


def rows(frame, key: str) -> dict:
    return {r[key]: r for r in frame.to_dict("records")}


def test_at_risk_arr_by_csm_follows_the_owner_on_the_day(ws):
    by_csm = rows(ws.at_risk_arr(by="csm", as_of=D), "csm_id")
    assert set(by_csm) == {"C1", "C2"}
    c1, c2 = by_csm["C1"], by_csm["C2"]
    assert (c1["csm_name"], c1["accounts"], c1["arr"]) == ("Ana", 2, 125000.0)
    assert (c1["at_risk_accounts"], c1["at_risk_arr"], c1["at_risk_share"]) == (1, 120000.0, 0.96)
    assert (c1["high_risk_accounts"], c1["high_risk_arr"]) == (1, 120000.0)
    assert (c2["accounts"], c2["arr"], c2["at_risk_accounts"], c2["at_risk_arr"]) == (
        2,
        50000.0,
        1,
        20000.0,
    )
    assert c2["at_risk_share"] == pytest.approx(0.4)
    assert (c2["high_risk_accounts"], c2["high_risk_arr"]) == (0, 0.0)


def test_at_risk_arr_by_team_tier_and_company(ws):
    by_team = rows(ws.at_risk_arr(by="team", as_of=D), "team")
    assert (by_team["East"]["arr"], by_team["East"]["at_risk_arr"]) == (125000.0, 120000.0)
    assert (by_team["West"]["arr"], by_team["West"]["at_risk_arr"]) == (50000.0, 20000.0)

    by_tier = rows(ws.at_risk_arr(by="tier", as_of=D), "tier")
    assert {t: (r["arr"], r["at_risk_arr"]) for t, r in by_tier.items()} == {
        "strategic": (120000.0, 120000.0),
        "corp": (50000.0, 20000.0),
        "low_touch": (5000.0, 0.0),
    }

    (company,) = ws.at_risk_arr(as_of=D).to_dict("records")
    assert company["as_of"] == D
    assert (company["accounts"], company["arr"]) == (4, 175000.0)
    assert (company["at_risk_accounts"], company["at_risk_arr"]) == (2, 140000.0)
    assert (company["high_risk_accounts"], company["high_risk_arr"]) == (1, 120000.0)
    assert company["at_risk_share"] == pytest.approx(0.8)


def test_at_risk_counts_an_account_once_however_many_rules_fire(ws):
    signals = ws.risks(as_of=D)
    assert sorted(signals[signals["account_id"] == "A1"]["rule"]) == [
        "overdue_invoices",
        "too_many_tickets",
    ]
    assert set(signals["account_id"]) == {"A1", "A3"}  # A4 is no longer a customer
    a1 = signals[signals["account_id"] == "A1"].iloc[0]
    assert (a1["csm_id"], a1["team"], a1["tier"], a1["arr"]) == (
        "C1",
        "East",
        "strategic",
        120000.0,
    )


def test_a_series_judges_each_period_end(ws):
    # On 2026-05-31 nothing fires yet (June's tickets, the invoice only 1 day late),
    # and A4 is still a customer.
    frame = ws.at_risk_arr(every="month", start="2026-05", end="2026-06")
    assert frame["as_of"].tolist() == [date(2026, 5, 31), D]
    may, june = frame.to_dict("records")
    assert (may["accounts"], may["arr"], may["at_risk_arr"]) == (5, 181000.0, 0.0)
    assert (june["accounts"], june["arr"], june["at_risk_arr"]) == (4, 175000.0, 140000.0)


def test_narrowing_to_one_csm_or_one_rule(ws):
    (c2,) = ws.at_risk_arr(by="company", as_of=D, csm="C2").to_dict("records")
    assert (c2["accounts"], c2["arr"], c2["at_risk_arr"]) == (2, 50000.0, 20000.0)
    (invoices,) = ws.at_risk_arr(as_of=D, rule="overdue_invoices").to_dict("records")
    assert (invoices["at_risk_accounts"], invoices["at_risk_arr"]) == (1, 120000.0)
    assert set(ws.risks(as_of=D, csm="C2")["account_id"]) == {"A3"}


def test_bad_groupings_and_rules_are_one_line_errors(ws):
    from csmetrics.errors import RiskError

    with pytest.raises(RiskError, match="unknown grouping 'region'"):
        ws.at_risk_arr(by="region", as_of=D)
    with pytest.raises(RiskError, match="unknown risk rule 'usage'"):
        ws.risks(as_of=D, rule="usage")
    with pytest.raises(RiskError, match="either an as-of day or a period"):
        ws.risks(as_of=D, period="2026-06")
    assert at_risk(ws.evaluate_risks(as_of=D), "account")["account_id"].tolist() == [
        "A1",
        "A3",
        "A2",
        "A5",
    ]
