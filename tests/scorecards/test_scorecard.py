"""Scorecards on crafted books: attainment, Wilson interval, rank in team, trend, score."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from scorecard_data import account, contract, one

from csmetrics import kpis
from csmetrics.errors import KpiError
from csmetrics.scorecards.results import grain_results

CONFIG = """
scorecards:
  preset: test
  presets:
    test: {logo_retention: 3, grr: 1}
    mine: {logo_churn: 1}
  min_count: 3
targets:
  default: {grr: 0.9, logo_churn: 0.1}
"""
ACCOUNTS = [
    account("A1"),
    account("A2"),
    account("A3"),
    account("A4"),
    account("B1", "C3"),
    account("B2", "C3"),
    account("W1", "C2"),
]
CONTRACTS = [
    contract("K1", "A1", "2025-08-01", "2026-08-01"),
    contract("K1b", "A1", "2026-08-01", "2027-08-01"),  # renewed
    contract("K2", "A2", "2025-08-01", "2026-08-01"),  # not renewed: lost in 2026-Q3
    contract("K3", "A3", "2025-01-01", "2027-01-01"),
    contract("K4", "A4", "2025-03-01", "2027-03-01"),
    contract("L1", "B1", "2025-06-01", "2026-06-01"),
    contract("L1b", "B1", "2026-06-01", "2027-06-01"),
    contract("L2", "B2", "2025-09-01", "2026-09-01"),
    contract("L2b", "B2", "2026-09-01", "2027-09-01"),
    contract("V1", "W1", "2025-01-01", "2027-01-01"),
]
TARGETS = [
    {"kpi": "logo_retention", "grain": "csm", "grain_id": "C1", "period": "2026-Q3", "target": 0.8}
]


@pytest.fixture
def ws(make_ws):
    return make_ws(ACCOUNTS, CONTRACTS, config=CONFIG, targets=TARGETS)


def test_csm_card_attainment_interval_rank_trend(ws):
    card = ws.scorecard(csm="C1", period="2026-Q3")
    assert [p.label for p in card.periods] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    logo = one(card.lines, kpi="logo_retention")
    assert (logo["numerator"], logo["denominator"], logo["value"]) == (3, 4, 0.75)
    assert (logo["target"], logo["target_source"]) == (0.8, "table")
    assert logo["attainment"] == pytest.approx(0.9375)  # 0.75 / 0.8
    assert (logo["low"], logo["high"]) == pytest.approx((0.356168, 0.942093), abs=1e-6)
    assert logo["count"] == 4 and not logo["too_few"]
    assert (logo["rank"], logo["of"]) == (2, 2)  # C3 kept both accounts; West is another team
    assert [logo[q] for q in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")] == [1, 1, 1, 0.75]
    assert logo["change"] == pytest.approx(-0.25)
    grr = one(card.lines, kpi="grr")
    assert (grr["numerator"], grr["denominator"]) == (36_000, 48_000)
    assert (grr["target"], grr["target_source"]) == (0.9, "default")
    assert grr["attainment"] == pytest.approx(0.75 / 0.9)
    assert math.isnan(grr["low"])  # a money ratio gets no Wilson interval
    # weights 3:1 -> 0.75 x 0.9375 + 0.25 x 0.8333 = 0.911458
    assert card.score == pytest.approx(0.75 * 0.9375 + 0.25 * 0.75 / 0.9)
    assert (card.score_rank, card.peers, card.accounts) == (2, 2, 4)


def test_a_small_book_is_flagged_and_the_derived_target_applies(ws):
    card = ws.scorecard(csm="C3", period="2026-Q3")
    logo = one(card.lines, kpi="logo_retention")
    # B1 renews next year (counts 1), B2 renews in Q3 at the corp rate 0.9 -> 1.9 / 2
    assert (logo["target"], logo["target_source"]) == (pytest.approx(0.95), "derived")
    assert (logo["target_numerator"], logo["target_denominator"]) == (pytest.approx(1.9), 2)
    assert logo["attainment"] == pytest.approx(1 / 0.95)
    assert logo["too_few"]  # 2 accounts < min_count 3
    assert logo["rank"] == 1
    assert card.score == pytest.approx(0.75 / 0.95 + 0.25 / 0.9)
    assert card.score_rank == 1


def test_team_card_adds_up_its_csms_and_ranks_teams_and_members(ws):
    card = ws.scorecard(team="East", period="2026-Q3")
    logo = one(card.lines, kpi="logo_retention")
    assert (logo["numerator"], logo["denominator"]) == (5, 6)
    # derived: C1 (A1, A2 due at 0.9; A3, A4 not due) 3.8 + C3 1.9 = 5.7 over 6
    assert logo["target"] == pytest.approx(0.95)
    assert logo["attainment"] == pytest.approx((5 / 6) / 0.95)
    assert (logo["rank"], logo["of"]) == (2, 2)  # West kept its one account
    grr = one(card.lines, kpi="grr")
    assert (grr["numerator"], grr["denominator"]) == (60_000, 72_000)
    east = 0.75 * (5 / 6) / 0.95 + 0.25 * (60 / 72) / 0.9
    assert card.score == pytest.approx(east)
    assert (card.score_rank, card.peers) == (2, 2)
    assert card.members["id"].tolist() == ["C3", "C1"]
    assert card.members["rank"].tolist() == [1, 2]
    assert card.members["logo_retention"].tolist() == [1.0, 0.75]


def test_company_card_lists_teams(ws):
    card = ws.scorecard(company=True, period="2026-Q3")
    logo = one(card.lines, kpi="logo_retention")
    assert (logo["numerator"], logo["denominator"]) == (6, 7)
    assert card.members["id"].tolist() == ["West", "East"]
    assert card.accounts == 7


def test_lower_is_better_ranks_and_attains_the_other_way(ws):
    card = ws.scorecard(csm="C1", period="2026-Q3", preset="mine")
    line = one(card.lines, kpi="logo_churn")
    assert line["value"] == 0.25
    assert line["attainment"] == pytest.approx(0.1 / 0.25)  # target / value
    assert line["rank"] == 2  # C3 lost nothing
    other = ws.scorecard(csm="C3", period="2026-Q3", preset="mine")
    assert one(other.lines, kpi="logo_churn")["attainment"] == math.inf  # no churn at all
    assert other.score == pytest.approx(1.5)  # capped at scorecards.attainment_cap


def test_unknown_subjects_and_presets_are_one_line_errors(ws):
    with pytest.raises(KpiError, match="unknown CSM 'C9'"):
        ws.scorecard(csm="C9", period="2026-Q3")
    with pytest.raises(KpiError, match="unknown team 'North'; teams: East, West"):
        ws.scorecard(team="North", period="2026-Q3")
    with pytest.raises(KpiError, match="unknown preset 'board'"):
        ws.scorecard(csm="C1", period="2026-Q3", preset="board")
    with pytest.raises(KpiError, match="one of"):
        ws.scorecard(csm="C1", team="East", period="2026-Q3")


def test_kpis_without_data_or_grain_are_noted_not_fatal(ws):
    card = ws.scorecard(team="East", period="2026-Q3", preset="late")
    assert "cost_to_retain: only by company, not by team" in card.notes
    assert any("needs table costs" in n or "only by company" in n for n in card.notes)
    assert math.isnan(one(card.lines, kpi="cost_to_retain")["value"])


def test_rolled_up_results_equal_the_registry_at_each_grain(ws):
    names = ["logo_retention", "grr", "nrr", "renewal_rate", "active_accounts", "arr"]
    chosen = [kpis.get(n) for n in names]
    periods = ws.periods(every="quarter", start="2026-Q1", end="2026-Q3")
    staff = ws.engine.execute(ws.table("csms").select("csm_id", "team"))
    teams = staff.set_index("csm_id")["team"]
    results = grain_results(ws.engine, ws.config, chosen, periods, ["team", "company"], teams, [])
    for grain, key in (("team", "team"), ("company", None)):
        direct = ws.kpis(names, by=grain, every="quarter", start="2026-Q1", end="2026-Q3")
        direct["grain_id"] = direct[key] if key else "all"
        merged = results[grain].merge(direct, on=["grain_id", "kpi", "period"], suffixes=("", "_d"))
        assert len(merged) == len(direct) == len(results[grain])
        assert merged["value"].to_numpy() == pytest.approx(
            merged["value_d"].to_numpy(), nan_ok=True
        )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from csmetrics.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_cli_scorecard_table_json_and_errors(ws):
    root = str(ws.root)
    ws.close()
    shown = _cli("scorecard", "--csm", "C1", "--period", "2026-Q3", "-w", root)
    assert shown.returncode == 0, shown.stderr
    assert "Logo retention" in shown.stdout and "93.8%" in shown.stdout
    assert "rank 2 of 2 among the CSMs of East" in shown.stdout
    data = _cli("scorecard", "--team", "East", "--period", "2026-Q3", "-f", "json", "-w", root)
    payload = json.loads(data.stdout)
    assert payload["lines"][0]["kpi"] == "logo_retention"
    assert payload["lines"][0]["numerator"] == 5
    assert [m["id"] for m in payload["members"]] == ["C3", "C1"]
    bad = _cli("scorecard", "--csm", "C9", "--period", "2026-Q3", "-w", root)
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "unknown CSM 'C9'" in bad.stderr


def test_a_csm_without_a_book_gets_an_empty_card_not_an_error(make_ws):
    ws = make_ws([account("A1")], [contract("K1", "A1", "2026-01-01", "2027-01-01")], config=CONFIG)
    card = ws.scorecard(csm="C2", period="2026-Q3")
    assert card.lines["value"].isna().all() and card.lines["too_few"].all()
    assert (card.score, card.score_rank, card.accounts) == (None, None, 0)
    assert ws.scorecard(team="West", period="2026-Q3").members.empty
