"""Renewal rate (count, ARR, monthly vs annual terms, grace days) and the expansion split."""

from __future__ import annotations

import pytest
from kpi_helpers import account, contract, one, reopen, set_revenue_option


def parts(frame) -> tuple:
    row = one(frame)
    return row["numerator"], row["denominator"]


RENEWALS = [
    # A15 is billed monthly: July and August renew, September's term is the last.
    contract("K26", "A15", "2025-06-01", "2025-07-01", 1_200, term="monthly"),
    contract("K27", "A15", "2025-07-01", "2025-08-01", 1_200, term="monthly"),
    contract("K28", "A15", "2025-08-01", "2025-09-01", 1_200, term="monthly"),
    contract("K29", "A15", "2025-09-01", "2025-10-01", 1_200, term="monthly"),
    # A16's annual term ends 2025-07-10; the renewal starts three days late.
    contract("K30", "A16", "2024-07-10", "2025-07-10", 6_000),
    contract("K31", "A16", "2025-07-13", "2026-07-13", 6_000),
    # A17 renews a different product only: not a renewal of K32.
    contract("K32", "A17", "2024-09-01", "2025-09-01", 2_400, term="multi_year"),
    contract("K33", "A17", "2025-09-01", None, 2_400, product="calendar"),
]


def test_renewal_rate_by_count_by_arr_and_by_term(make_ws):
    ws = make_ws([account("A15"), account("A16"), account("A17")], RENEWALS)
    # Due in 2025-Q3 (term ends 07-02..10-01): K27, K28, K29 (monthly), K30, K32.
    # Renewed with 0 grace days: K27 (by K28), K28 (by K29). K26 ended 07-01: Q2's.
    assert parts(ws.kpi("renewal_rate", period="2025-Q3")) == (2, 5)
    assert parts(ws.kpi("renewal_arr_rate", period="2025-Q3")) == (2_400, 12_000)
    assert parts(ws.kpi("renewal_rate_monthly", period="2025-Q3")) == (2, 3)
    assert parts(ws.kpi("renewal_arr_rate_monthly", period="2025-Q3")) == (2_400, 3_600)
    assert parts(ws.kpi("renewal_rate_annual", period="2025-Q3")) == (0, 2)
    assert one(ws.kpi("renewal_rate", period="2025-Q3"))["value"] == pytest.approx(0.4)

    set_revenue_option(ws.root, "renewal_grace_days", "5")
    with reopen(ws) as ws2:
        # K31 starts 3 days after K30 ended: within 5 grace days, so K30 renewed.
        assert parts(ws2.kpi("renewal_rate", period="2025-Q3")) == (3, 5)
        assert parts(ws2.kpi("renewal_arr_rate", period="2025-Q3")) == (8_400, 12_000)
        assert parts(ws2.kpi("renewal_rate_annual", period="2025-Q3")) == (1, 2)


def test_renewal_rate_per_month_and_per_csm(make_ws):
    ws = make_ws([account("A15", "C1"), account("A16", "C2"), account("A17", "C2")], RENEWALS)
    months = ws.kpi("renewal_rate", every="month", start="2025-07", end="2025-09")
    # A term is due in the month of its last paid day (end_date - 1):
    # July: K27 (ends 08-01, renewed), K30 (late); August: K28 (ends 09-01, renewed),
    # K32 (ends 09-01, other product only); September: K29 (ends 10-01, not renewed).
    assert months[["period", "numerator", "denominator"]].values.tolist() == [
        ["2025-07", 1, 2], ["2025-08", 1, 2], ["2025-09", 0, 1]
    ]  # fmt: skip
    by_csm = ws.kpi("renewal_rate", by="csm", period="2025-Q3")
    assert by_csm[["csm_id", "numerator", "denominator"]].values.tolist() == [
        ["C1", 2, 3], ["C2", 0, 2]
    ]  # fmt: skip


def test_expansion_split_into_upsell_cross_sell_and_whitespace(make_ws):
    # A13 pays 10,000 for router (team sales), then in 2025-Q3:
    #   08-01 +2,000 router for sales       -> upsell (July, closing 08-01)
    #   08-15 +3,000 calendar for sales     -> cross-sell (August)
    #   09-05 +4,000 router for marketing   -> whitespace (a new customer team)
    # A14 drops calendar (5,000) on 09-01 and adds 8,000 router on 08-20: in August
    #   the account grows by 3,000 net; the only growing line is router -> upsell 3,000.
    ws = make_ws(
        [account("A13", "C1"), account("A14", "C2")],
        [
            contract("K20", "A13", "2025-01-01", None, 10_000, team="sales"),
            contract("K21", "A13", "2025-08-01", None, 2_000, team="sales"),
            contract("K22", "A13", "2025-08-15", None, 3_000, team="sales", product="calendar"),
            contract("K23", "A13", "2025-09-05", None, 4_000, team="marketing"),
            contract("K24", "A14", "2025-01-01", None, 10_000, team="sales"),
            contract(
                "K25", "A14", "2025-01-01", "2025-09-01", 5_000, team="sales", product="calendar"
            ),
            contract("K34", "A14", "2025-08-20", None, 8_000, team="sales"),
        ],
    )
    q3 = "2025-Q3"
    values = {
        name: ws.kpi(name, period=q3)["value"].iloc[0]
        for name in (
            "upsell_arr", "cross_sell_arr", "whitespace_arr", "expansion_arr",
            "upsell_accounts", "cross_sell_accounts", "whitespace_accounts", "expanded_accounts",
        )
    }  # fmt: skip
    assert values == {
        "upsell_arr": 5_000,  # 2,000 (A13) + 3,000 (A14)
        "cross_sell_arr": 3_000,
        "whitespace_arr": 4_000,
        "expansion_arr": 12_000,  # the bridge: A13 9,000 + A14 3,000 = the three kinds
        "upsell_accounts": 2,
        "cross_sell_accounts": 1,
        "whitespace_accounts": 1,
        "expanded_accounts": 2,
    }
    by_csm = ws.kpi("upsell_arr", by="csm", period=q3)
    assert by_csm[["csm_id", "value"]].values.tolist() == [["C1", 2_000], ["C2", 3_000]]
