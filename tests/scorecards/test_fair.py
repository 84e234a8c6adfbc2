"""Fair comparison: the uncertainty arithmetic, a model that cannot see the future, and the
demo company's most skilled CSM coming out on top."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scorecard_data import account, contract

from csmetrics.errors import KpiError
from csmetrics.periods import parse_period
from csmetrics.scorecards.expected import fit_frame, health_model
from csmetrics.scorecards.fair import summarise
from csmetrics.scorecards.intervals import z_value

TIERS = ("corp", "low_touch", "strategic")


def test_difference_and_its_interval_by_hand():
    book = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "csm_id": ["C1", "C1", "C1", "C2"],
            "csm_name": ["Ana", "Ana", "Ana", "Ben"],
            "team": ["East", "East", "East", "West"],
            "expected": [0.9, 0.8, 0.5, 0.6],
            "retained": [1, 1, 0, 1],
        }
    )
    out = summarise(book, z_value(0.9), min_accounts=2).set_index("csm_id")
    c1 = out.loc["C1"]
    # expected retained 0.9 + 0.8 + 0.5 = 2.2; variance 0.09 + 0.16 + 0.25 = 0.5
    assert (c1["accounts"], c1["retained"]) == (3, 2)
    assert c1["expected_retained"] == pytest.approx(2.2)
    assert c1["difference"] == pytest.approx(2 / 3 - 2.2 / 3)
    half = 1.644854 * math.sqrt(0.5) / 3  # 0.387706
    assert (c1["low"], c1["high"]) == pytest.approx((-0.066667 - half, -0.066667 + half), abs=1e-5)
    assert c1["z"] == pytest.approx(-0.2 / math.sqrt(0.5))
    c2 = out.loc["C2"]
    assert c2["difference"] == pytest.approx(0.4) and c2["too_few"]  # 1 account < 2
    assert (c2["rank"], c1["rank"]) == (1, 2)


def _history() -> tuple[list[dict], list[dict]]:
    """60 accounts on yearly terms from 2023; every 5th leaves after two terms, every 7th
    after three (some of those in 2026-Q3), the rest stay."""
    accounts, contracts = [], []
    for i in range(60):
        aid, csm = f"A{i:02d}", ("C1", "C2", "C3")[i % 3]
        accounts.append(account(aid, csm, TIERS[i % 3]))
        start = date(2023, 1 + i % 12, 1)
        terms = 2 if i % 5 == 0 else 3 if i % 7 == 0 else 5
        for k in range(terms):
            lo, hi = start.replace(year=start.year + k), start.replace(year=start.year + k + 1)
            contracts.append(
                contract(f"K{i:02d}{k}", aid, lo.isoformat(), hi.isoformat(), 5_000.0 * (1 + i % 4))
            )
    return accounts, contracts


def _health(ws, rows: list[tuple[str, str, float]]) -> None:
    con = ws.engine.duckdb
    con.execute(
        "CREATE TABLE IF NOT EXISTS _health_scores "
        "(model VARCHAR, account_id VARCHAR, as_of DATE, score DOUBLE, band VARCHAR)"
    )
    model = health_model(ws.config)  # health.default_model unless fair_comparison names one
    con.executemany(
        "INSERT INTO _health_scores VALUES (?, ?, ?, ?, NULL)", [[model, *r] for r in rows]
    )
    ws.engine.invalidate()


def _churn_day(contracts: list[dict], account_id: str) -> str:
    return max(c["end_date"] for c in contracts if c["account_id"] == account_id)


@pytest.fixture
def history(make_ws):
    accounts, contracts = _history()
    config = "fair_comparison:\n  min_examples: 20\n"
    ws = make_ws(accounts, contracts, config=config)
    # Health known before each quarter: low ahead of a churn within the year, else high.
    rows = []
    for quarter_start in pd.date_range("2024-01-01", "2026-06-30", freq="QS"):
        day = (quarter_start - pd.Timedelta(days=1)).date().isoformat()
        for a in accounts:
            leaves = pd.Timestamp(_churn_day(contracts, a["account_id"])) - quarter_start
            rows.append((a["account_id"], day, 20.0 if leaves.days < 200 else 80.0))
    _health(ws, rows)
    return ws, accounts, contracts


def test_the_model_never_sees_the_period_or_after(history):
    ws, accounts, _ = history
    before = ws.fair_comparison("2026-Q3")
    model = before.model
    assert model.uses_health
    assert model.trained_until <= date(2026, 7, 1)
    assert model.trained_on[-1] == "2026-Q2" and len(model.trained_on) == 8
    # Plant a perfect signal from the future: scores dated on and after day one that
    # give away who leaves in Q3, and a changed outcome (A08 now leaves in Q3 too).
    leaving = set(before.accounts.loc[before.accounts["retained"] == 0, "account_id"])
    assert leaving  # someone does leave in Q3
    future = [
        (a["account_id"], day, 0.0 if a["account_id"] in leaving else 100.0)
        for a in accounts
        for day in ("2026-07-01", "2026-08-15", "2027-01-01")
    ]
    _health(ws, future)
    con = ws.engine.duckdb
    con.execute(
        "DELETE FROM contracts WHERE account_id = 'A08' AND start_date >= DATE '2026-07-01'"
    )
    ws.engine.invalidate()
    after = ws.fair_comparison("2026-Q3")
    mine = before.accounts.set_index("account_id")["expected"]
    again = after.accounts.set_index("account_id").loc[mine.index, "expected"]
    np.testing.assert_allclose(again.to_numpy(), mine.to_numpy(), rtol=0, atol=1e-12)
    assert after.accounts.set_index("account_id").loc["A08", "retained"] == 0  # the outcome moved
    assert after.company["retained"] == before.company["retained"] - 1
    assert after.company["expected_retained"] == pytest.approx(before.company["expected_retained"])


def test_fitting_refuses_examples_that_end_after_the_start(history):
    ws, _, _ = history
    from csmetrics.scorecards.expected import examples

    late = examples(ws.engine, ws.config, [parse_period("2026-Q2"), parse_period("2026-Q3")], False)
    with pytest.raises(KpiError, match=r"end after 2026-07-01"):
        fit_frame(late, ws.config, parse_period("2026-Q3"), False)


def test_not_enough_history_is_an_error(make_ws):
    ws = make_ws([account("A1")], [contract("K1", "A1", "2026-01-01", "2027-01-01")])
    with pytest.raises(KpiError, match=r"fewer than fair_comparison\.min_examples"):
        ws.fair_comparison("2026-Q3")


def test_without_health_scores_the_comparison_says_so(make_ws):
    accounts, contracts = _history()
    ws = make_ws(accounts, contracts, config="fair_comparison:\n  min_examples: 20\n")
    result = ws.fair_comparison("2026-Q3")
    assert not result.model.uses_health
    assert any("health at the start not used" in note for note in result.notes)
    assert "health (standardised)" not in result.model.features
    assert result.by_csm["accounts"].sum() == result.company["accounts"]


@pytest.mark.slow
def test_the_most_skilled_demo_csm_ranks_in_the_top_quarter(tmp_path):
    import csmetrics
    from csmetrics.demo import generate

    manifest = generate(
        tmp_path / "demo",
        accounts=2000,
        months=36,
        events_scale=0.01,
        seed=7,
        end_date=date(2026, 11, 1),
    )
    with csmetrics.init(tmp_path / "ws") as ws:
        for table in ("csms", "accounts", "assignments", "contracts", "fx_rates"):
            ws.import_files(table, manifest.paths(table))
        result = ws.fair_comparison("2025")
    # the truth is the generator's; csmetrics never reads it
    skill = pd.read_parquet(manifest.out_dir / "truth" / "csm_skill.parquet")
    best = skill.loc[skill["skill"].idxmax(), "csm_id"]
    ranks = result.by_csm.set_index("csm_id")["rank"]
    assert ranks[best] <= len(ranks) / 4, result.by_csm
