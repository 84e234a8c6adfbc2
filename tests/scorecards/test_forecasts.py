"""Renewal forecasts: forecast vs model vs actual per renewal, Brier score per CSM."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from scorecard_data import account, contract, monthly, one

from csmetrics.errors import KpiError, NotAvailable
from csmetrics.forecasting import brier

ACCOUNTS = [
    *(account(f"F{i}") for i in range(1, 7)),
    account("G1", "C2"),
]
CONTRACTS = [
    contract("K1", "F1", "2025-08-01", "2026-08-01"),
    contract("K1b", "F1", "2026-08-01", "2027-08-01"),  # renews
    contract("K2", "F2", "2025-09-01", "2026-09-01"),  # churns
    contract("K3", "F3", "2025-08-15", "2026-08-15"),
    contract("K3b", "F3", "2026-08-15", "2027-08-15", 6_000.0),  # downsells 12,000 -> 6,000
    contract("K4", "F4", "2025-07-20", "2026-07-20"),
    contract("K4b", "F4", "2026-07-20", "2027-07-20"),  # renews, never forecast
    contract("K5", "F5", "2026-01-01", "2027-01-01"),  # not due in Q3
    *monthly("M", "F6", "2026-01-01", 12),  # monthly terms only: not listed by default
    contract("L1", "G1", "2025-09-10", "2026-09-10"),
    contract("L1b", "G1", "2026-09-10", "2027-09-10"),
]


def forecast(account_id: str, outcome: str, p: float, at: str, csm: str = "C1") -> dict:
    return {
        "account_id": account_id,
        "csm_id": csm,
        "quarter": "2026-Q3",
        "outcome": outcome,
        "probability": p,
        "submitted_at": at,
    }


FORECASTS = [
    forecast("F1", "renew", 0.9, "2026-06-20 10:00:00"),
    forecast("F2", "churn", 0.7, "2026-06-25 10:00:00"),
    forecast("F2", "renew", 0.8, "2026-07-15 10:00:00"),  # after the quarter started
    forecast("F3", "downsell", 0.6, "2026-06-28 10:00:00"),
    forecast("G1", "renew", 0.5, "2026-06-30 23:59:59", "C2"),
]
CONFIG = "fair_comparison:\n  min_examples: 10\n"


@pytest.fixture
def ws(make_ws):
    return make_ws(ACCOUNTS, CONTRACTS, config=CONFIG, renewal_forecasts=FORECASTS)


def test_brier_score_by_hand():
    assert brier([0.9, 0.3, 0.6], [1, 0, 1]) == pytest.approx((0.01 + 0.09 + 0.16) / 3)
    assert brier([0.5, 0.5], [0, 1]) == 0.25  # always 50%: 0.25
    assert brier([1.0, 0.0], [1, 0]) == 0.0


def test_each_renewal_with_forecast_model_and_actual(ws):
    found = ws.renewal_forecasts("2026-Q3")
    listing = found.renewals
    assert sorted(listing["account_id"]) == ["F1", "F2", "F3", "F4", "G1"]  # F5 not due, F6 monthly
    f2 = one(listing, account_id="F2")
    # the latest forecast before 2026-07-01 counts: churn at 70% -> stays with 30%
    assert (f2["forecast_outcome"], f2["forecast_keep"]) == ("churn", pytest.approx(0.3))
    assert (f2["actual"], f2["kept"]) == ("churn", 0)
    f3 = one(listing, account_id="F3")
    assert (f3["forecast_keep"], f3["actual"], f3["kept"]) == (0.6, "downsell", 1)
    assert one(listing, account_id="F1")["actual"] == "renew"
    assert pd.isna(one(listing, account_id="F4")["forecast_keep"])  # never forecast
    # the history holds no churn, so the model says everyone stays
    assert listing["model_keep"].tolist() == [1.0] * 5


def test_accuracy_per_csm_and_for_the_company(ws):
    scores = ws.forecast_accuracy("2026-Q3")
    c1 = one(scores, csm_id="C1")
    assert (c1["renewals"], c1["forecast"]) == (4, 3)
    assert c1["coverage"] == 0.75
    assert c1["brier"] == pytest.approx((0.01 + 0.09 + 0.16) / 3)  # F1, F2, F3
    assert c1["model_brier"] == pytest.approx(1 / 3)  # said 1.0 for F2, which left
    assert c1["calls_right"] == 1.0
    # book of 6 on day one: forecasts 0.9 + 0.3 + 0.6, the model's 1.0 for F4, F5, F6
    assert c1["accounts"] == 6
    assert c1["forecast_retention"] == pytest.approx(4.8 / 6)
    assert c1["model_retention"] == 1.0
    assert c1["actual_retention"] == pytest.approx(5 / 6)
    assert c1["forecast_error"] == pytest.approx(4.8 / 6 - 5 / 6)
    company = one(scores, csm_id="all")
    assert company["brier"] == pytest.approx((0.01 + 0.09 + 0.16 + 0.25) / 4)
    assert company["accounts"] == 7


def test_cutoff_at_the_renewal_takes_later_updates(make_ws):
    config = CONFIG + "forecasts:\n  cutoff: renewal\n  include_monthly: true\n"
    ws = make_ws(ACCOUNTS, CONTRACTS, config=config, renewal_forecasts=FORECASTS)
    listing = ws.renewal_forecasts("2026-Q3").renewals
    assert one(listing, account_id="F2")["forecast_keep"] == 0.8  # 2026-07-15, before 09-01
    assert "F6" in set(listing["account_id"])
    c1 = one(ws.forecast_accuracy("2026-Q3"), csm_id="C1")
    assert c1["brier"] == pytest.approx((0.01 + 0.64 + 0.16) / 3)


def test_quarters_only_and_the_table_is_needed(ws, make_ws):
    with pytest.raises(KpiError, match="per quarter"):
        ws.renewal_forecasts("2026-07")
    bare = make_ws(ACCOUNTS, CONTRACTS, config=CONFIG)
    with pytest.raises(NotAvailable, match="renewal_forecasts"):
        bare.renewal_forecasts("2026-Q3")


def test_cli_forecasts_and_fair(ws):
    root = str(ws.root)
    ws.close()
    env = {**os.environ, "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from csmetrics.cli.app import main; main()", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)

    shown = cli("forecasts", "--quarter", "2026-Q3", "--csm", "C1", "-w", root)
    assert shown.returncode == 0, shown.stderr
    assert "Renewals 2026-Q3" in shown.stdout and "0.087" in shown.stdout
    rows = json.loads(cli("forecasts", "-q", "2026-Q3", "-f", "json", "-w", root).stdout)
    assert {r["csm_id"] for r in rows} == {"C1", "C2", "all"}
    fair = cli("fair", "--period", "2026-Q3", "-f", "csv", "-w", root)
    assert fair.returncode == 0, fair.stderr
    assert fair.stdout.splitlines()[0].startswith("csm_id,csm_name,team,accounts,retained")
