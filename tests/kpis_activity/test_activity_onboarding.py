"""Onboarding KPIs; one onboarding still open.

SLA 30 days (default); tier 'strategic' overridden to 150 days in one test.

  O1 A1 (corp)  deal 2026-06-01, live 06-11 (10 d), closed 06-21 (20 d), 4/4 checklist, K1 12,000
  O2 A2 (corp)  deal 2026-05-22, live 07-11 (50 d), closed 07-01 (40 d), 2/4 checklist, K2 6,000
  O3 A1         deal 2026-06-01, still open -> 60 days old on 2026-07-31
"""

from __future__ import annotations

import pytest
from activity_data import account, contract


def onboarding(oid, account_id, deal, live=None, closed=None, contract_id=None, checks=(True,) * 4):
    names = ("understands_purchase", "setup_assisted", "tested", "team_trained")
    return {
        "onboarding_id": oid,
        "account_id": account_id,
        "contract_id": contract_id,
        "deal_closed_at": deal,
        "go_live_at": live,
        "closed_at": closed,
        **dict(zip(names, checks, strict=True)),
    }


ONBOARDINGS = [
    onboarding("O1", "A1", "2026-06-01", "2026-06-11", "2026-06-21", "K1"),
    onboarding(
        "O2", "A2", "2026-05-22", "2026-07-11", "2026-07-01", "K2", (True, False, True, None)
    ),
    onboarding("O3", "A1", "2026-06-01"),
]
CONTRACTS = [
    contract("K1", "A1", "2026-06-01", None, arr=12000.0),
    contract("K2", "A2", "2026-05-22", None, arr=6000.0),
]


@pytest.fixture
def ws(make_ws):
    return make_ws(contracts=CONTRACTS, onboardings=ONBOARDINGS)


def test_days_to_close_and_sla(ws):
    days = ws.kpi("onboarding_days", period="2026-Q3")  # only O2 closed in Q3 (07-01)
    assert days["value"].tolist() == [40.0]
    both = ws.kpi("onboarding_days", period="2026-06-01..2026-08-01")
    assert both["value"].tolist() == [30.0]  # (20 + 40) / 2
    sla = ws.kpi("onboarding_within_sla", period="2026-06-01..2026-08-01")
    assert (sla["numerator"][0], sla["denominator"][0]) == (1, 2)  # 20 <= 30, 40 > 30


def test_sla_by_tier(make_ws):
    ws = make_ws(
        accounts=[account("A1"), account("A2", "C2", tier="strategic")],
        contracts=CONTRACTS,
        onboardings=ONBOARDINGS,
    )
    path = ws.root / "csmetrics.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "sla_days_by_tier: {}", "sla_days_by_tier: {strategic: 150}"
        ),
        "utf-8",
    )
    import csmetrics

    root = ws.root
    ws.close()
    with csmetrics.open(root) as again:
        sla = again.kpi("onboarding_within_sla", period="2026-06-01..2026-08-01")
    assert (sla["numerator"][0], sla["denominator"][0]) == (2, 2)  # O2: 40 <= 150


def test_open_onboardings_and_their_age(ws):
    assert ws.kpi("open_onboardings", period="2026-07")["value"].tolist() == [1]  # O3
    age = ws.kpi("open_onboarding_age_days", period="2026-07")
    assert age["value"].tolist() == [60.0]  # 2026-07-31 - 2026-06-01
    # at the end of June, O2 (closed 07-01) was open too: ages 29 and 39 -> 34
    june = ws.kpi("open_onboarding_age_days", period="2026-06")
    assert (june["denominator"][0], june["value"][0]) == (2, 34.0)


def test_checklist(ws):
    points = ws.kpi("onboarding_checklist_completion", period="2026-06-01..2026-08-01")
    assert (points["numerator"][0], points["denominator"][0]) == (6, 8)  # 4 + 2 of 8
    complete = ws.kpi("onboarding_checklist_complete", period="2026-06-01..2026-08-01")
    assert (complete["numerator"][0], complete["denominator"][0]) == (1, 2)


def test_time_to_value_and_arr_onboarded(ws):
    ttv = ws.kpi("time_to_value_days", period="2026-06-01..2026-08-01")
    assert ttv["value"].tolist() == [30.0]  # (10 + 50) / 2
    # deals closed in Q2: O1 (live in 10 d, 12,000), O2 (live in 50 d, 6,000), O3 (no contract)
    assert ws.kpi("arr_onboarded_30d", period="2026-Q2")["value"].tolist() == [12000.0]
    assert ws.kpi("arr_onboarded_90d", period="2026-Q2")["value"].tolist() == [18000.0]
    by_csm = ws.kpi("arr_onboarded_90d", by="csm", period="2026-Q2")
    assert dict(zip(by_csm["csm_id"], by_csm["value"], strict=True)) == {
        "C1": 12000.0,
        "C2": 6000.0,
    }
