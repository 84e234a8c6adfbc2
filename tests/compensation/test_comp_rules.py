"""Missing data, targets from the targets table, lower-is-better measures, pay overrides
and who is on a plan, on the hand-made company of comp_data."""

from __future__ import annotations

import pytest
from comp_data import Q3, line, response

from csmetrics.compensation import formats
from csmetrics.errors import CompensationError

MIX_PLAN = """
compensation:
  plans:
    mix:
      period: quarter
      on_target_pay: 10000
      on_target_pay_by_role: {manager: 20000}
      on_target_pay_by_csm: {C4: 12000}
      eligible:
        roles: [csm]
        teams: [West]
        csm_ids: [C1, M1]
        exclude_csm_ids: [C6]
      components:
        retention: {measure: nrr, weight: 0.5, target: 1.0, missing: zero}
        satisfaction: {measure: csat, weight: 0.3, target: 0.8, missing: exclude_and_reweight}
        churn: {measure: logo_churn, weight: 0.2, target: 0.25, cap: 1.5, missing: target}
"""

# CSAT: A1 (C1) answers 5, 4, 2 -> 2/3; A4 (C4) answers 5 -> 1. C5 has no answer.
RESPONSES = [
    response("A1", "u1", "2025-07-15", 5),
    response("A1", "u2", "2025-08-15", 4),
    response("A1", "u3", "2025-09-15", 2),
    response("A4", "u4", "2025-08-01", 5),
]


@pytest.fixture
def mix_ws(make_ws):
    return make_ws(MIX_PLAN, survey_responses=RESPONSES)


def test_who_is_on_the_plan_and_their_on_target_pay(mix_ws):
    found = {s.csm_id: s for s in mix_ws.comp_statements(Q3)}
    # West CSMs except C6 (excluded), plus C1 and M1 by id; C2 (East) is not on it.
    assert sorted(found) == ["C1", "C3", "C4", "C5", "M1"]
    assert (found["C1"].payee.on_target_pay, found["C1"].payee.pay_basis) == (10_000, "plan")
    assert (found["C4"].payee.on_target_pay, found["C4"].payee.pay_basis) == (12_000, "csm C4")
    assert (found["M1"].payee.on_target_pay, found["M1"].payee.pay_basis) == (
        20_000,
        "role manager",
    )


def test_hand_worked_statements(mix_ws):
    found = {s.csm_id: s for s in mix_ws.comp_statements(Q3)}
    c1 = found["C1"]
    # retention: NRR 1.10, default curve pays the attainment: 10,000 x 0.5 x 110%
    assert line(c1, "retention").amount == 5_500.0
    # satisfaction: CSAT 2/3 against 0.8 -> 83.33% (to a hundredth of a percent):
    # 10,000 x 0.3 x 83.33%
    sat = line(c1, "satisfaction")
    assert (sat.numerator, sat.denominator) == (2, 3)
    assert (sat.attainment, sat.payout) == (0.8333, 0.8333)
    assert sat.amount == 2_499.90
    # churn: lower is better; no logo lost -> unbounded attainment -> the cap, 150%
    churn = line(c1, "churn")
    assert churn.direction == "lower"
    assert churn.value == 0.0 and churn.payout == 1.5 and churn.capped
    assert churn.amount == 3_000.0
    assert c1.total == 10_999.90
    c4 = found["C4"]  # OTP 12,000: 6,000 + 12,000 x 0.3 x 125% + 12,000 x 0.2 x 150%
    assert [x.amount for x in c4.lines] == [6_000.0, 4_500.0, 3_600.0]


def test_exclude_and_reweight_spreads_the_weight_over_the_components_kept(mix_ws):
    s = mix_ws.comp_statement("C5", Q3)
    sat = line(s, "satisfaction")
    assert sat.value is None and sat.excluded
    assert (sat.effective_weight, sat.amount) == (0.0, 0.0)
    assert line(s, "retention").effective_weight == pytest.approx(0.5 / 0.7)
    assert line(s, "churn").effective_weight == pytest.approx(0.2 / 0.7)
    # NRR 150% (no cap on this component) and churn at the cap:
    # 10,000 x 0.5/0.7 x 150% + 10,000 x 0.2/0.7 x 150% = 10,714.29 + 4,285.71
    assert [x.amount for x in s.lines] == [10_714.29, 0.0, 4_285.71]
    assert s.total == 15_000.0
    assert s.target_pay == 10_000.0  # reweighting keeps the target pay whole
    assert any("satisfaction excluded" in note for note in s.notes)
    assert formats.amount_working(line(s, "retention"), s.payee) == (
        "amount = 10,000.00 x (50% / 70%) x 150% = 10,714.29"
    )


def test_missing_zero_and_missing_target(mix_ws):
    # M1 owns no accounts: NRR missing -> zero; CSAT -> excluded; churn missing -> as on target.
    s = mix_ws.comp_statement("M1", Q3)
    assert line(s, "retention").payout == 0.0
    assert "missing: zero pays 0%" in line(s, "retention").working
    churn = line(s, "churn")
    assert churn.payout == 1.0 and churn.missing
    assert churn.amount == 5_714.29  # 20,000 x 0.2/0.7 x 100%
    assert s.total == 5_714.29


def test_a_kpi_whose_table_is_empty_is_missing_with_the_reason(make_ws):
    ws = make_ws(MIX_PLAN)  # no survey_responses at all
    sat = line(ws.comp_statement("C1", Q3), "satisfaction")
    assert sat.missing == "not available: needs table survey_responses"
    assert sat.excluded


TARGETS_PLAN = """
compensation:
  plans:
    goals:
      period: quarter
      on_target_pay: 1000
      components:
        book:
          measure: nrr
          weight: 0.5
          target_source: targets_table
          target: 1.0
          missing: zero
        team:
          measure: nrr
          scope: team
          weight: 0.5
          target_source: targets_table
          missing: zero
"""

TARGETS = [
    {"kpi": "nrr", "grain": "csm", "grain_id": "C1", "period": Q3, "target": 1.1},
    {"kpi": "nrr", "grain": "csm", "grain_id": "C4", "period": "2025-Q2", "target": 2.0},
    {"kpi": "nrr", "grain": "team", "grain_id": "West", "period": Q3, "target": 1.1125},
    {"kpi": "logo_retention", "grain": "team", "grain_id": "East", "period": Q3, "target": 0.5},
]


def test_targets_come_from_the_targets_table_with_the_plan_as_fallback(make_ws):
    ws = make_ws(TARGETS_PLAN, targets=TARGETS)
    c1 = ws.comp_statement("C1", Q3)
    book = line(c1, "book")
    assert (book.target, book.target_source, book.attainment) == (1.1, "targets table", 1.0)
    # East has no nrr target for the quarter (the logo_retention row is another KPI)
    team = line(c1, "team")
    assert team.target is None and team.payout == 0.0
    assert team.missing == "no target in the targets table for team East in 2025-Q3"
    c4 = ws.comp_statement("C4", Q3)  # C4's row is for another quarter: the plan's 1.0
    assert (line(c4, "book").target, line(c4, "book").target_source) == (
        1.0,
        "plan (no targets table row)",
    )
    west = line(c4, "team")
    assert (west.target, west.attainment, west.amount) == (1.1125, 1.0, 500.0)


TWO_PLANS = """
compensation:
  plans:
    base:
      on_target_pay: 1000
      eligible: {roles: [], csm_ids: [C1]}
      components:
        nrr: {measure: nrr, weight: 1, target: 1.0, missing: zero}
    spiff:
      title: Expansion spiff
      on_target_pay: 500
      eligible: {roles: [], csm_ids: [C1]}
      components:
        nrr: {measure: nrr, weight: 1, target: 1.1, missing: zero}
"""


def test_a_person_on_two_plans_gets_two_statements_on_one_page(make_ws):
    ws = make_ws(TWO_PLANS)
    found = ws.comp_statements(Q3)
    assert [(s.plan_id, s.total) for s in found] == [("base", 1_100.0), ("spiff", 500.0)]
    with pytest.raises(CompensationError, match=r"C1 is on plans base, spiff; choose one"):
        ws.comp_statement("C1", Q3)
    assert ws.comp_statement("C1", Q3, plan="spiff").total == 500.0  # NRR 1.10 vs 1.10
    run = ws.comp_run(Q3)
    assert list(run.pages) == ["C1"]
    page = run.pages["C1"].read_text("utf-8")
    assert 'id="plan-base"' in page and 'id="plan-spiff"' in page
