"""Net profitability from costs, company grain only.

Q3 2026: A1 (12,000 ARR since 2025) expands to 24,000 on 2026-08-01; A3 is new on
2026-07-15 with 6,000; A2 (12,000) churns on 2026-09-01.
Retained ARR (GRR's kept ARR of the start cohort A1, A2): min(24,000, 12,000) + 0 = 12,000.
Expansion ARR 12,000; new ARR 6,000.
"""

from __future__ import annotations

import pytest
from activity_data import account, contract

from csmetrics.errors import KpiError

CONTRACTS = [
    contract("K1", "A1", "2025-01-01", "2026-08-01", arr=12000.0),
    contract("K1b", "A1", "2026-08-01", None, arr=24000.0),
    contract("K2", "A2", "2025-01-01", "2026-09-01", arr=12000.0),
    contract("K3", "A3", "2026-07-15", None, arr=6000.0),
]
COSTS = [
    {"month": "2026-07-01", "category": "cs_retention", "amount": 400.0},
    {"month": "2026-08-01", "category": "cs_retention", "amount": 200.0},
    {"month": "2026-08-01", "category": "cs_expansion", "amount": 3000.0},
    {"month": "2026-07-01", "category": "acquisition", "amount": 3000.0},
    {"month": "2026-10-01", "category": "acquisition", "amount": 9999.0},  # outside Q3
]


@pytest.fixture
def ws(make_ws):
    return make_ws(
        accounts=[account("A1"), account("A2", "C2"), account("A3")],
        contracts=CONTRACTS,
        costs=COSTS,
    )


def test_cost_to_retain_and_expand(ws):
    retain = ws.kpi("cost_to_retain", period="2026-Q3")
    assert (retain["numerator"][0], retain["denominator"][0]) == (600.0, 12000.0)
    assert retain["value"][0] == pytest.approx(0.05)
    expand = ws.kpi("cost_to_expand", period="2026-Q3")
    assert (expand["numerator"][0], expand["denominator"][0]) == (3000.0, 12000.0)


def test_cac_payback_months(ws):
    payback = ws.kpi("cac_payback_months", period="2026-Q3")
    assert payback["value"].tolist() == [pytest.approx(6.0)]  # 3,000 / 6,000 x 12


def test_company_grain_only(ws):
    with pytest.raises(KpiError, match="not available by csm"):
        ws.kpi("cost_to_retain", by="csm", period="2026-Q3")
