"""Payouts of the retention plan on the hand-made company (numbers in comp_data's doc).

OTP 10,000 per quarter: 60% on the CSM's NRR, 40% on the team's NRR; threshold 90%
pays 50%, linear to 100% at target 1.0, accelerator 2, cap 150%.
"""

from __future__ import annotations

import pytest
from comp_data import Q3, RETENTION_PLAN, line

from csmetrics.errors import CompensationError


def test_below_threshold_pays_nothing(retention_shared):
    s = retention_shared.comp_statement("C2", Q3)
    book = line(s, "book_nrr")
    assert (book.numerator, book.denominator, book.value) == (10_000, 20_000, 0.5)
    assert book.attainment == 0.5
    assert book.payout == 0.0
    assert book.amount == 0.0
    assert "below the threshold 90%" in book.working
    assert s.total == 0.0  # East's team NRR 0.70 is below the threshold too


def test_at_target_pays_the_target_pay(retention_shared):
    s = retention_shared.comp_statement("C4", Q3)
    book = line(s, "book_nrr")
    assert (book.value, book.attainment, book.payout) == (1.0, 1.0, 1.0)
    assert book.target_pay == 6_000.0
    assert book.amount == 6_000.0  # 10,000 x 0.6 x 100%


def test_above_target_the_accelerator_applies(retention_shared):
    s = retention_shared.comp_statement("C1", Q3)
    book = line(s, "book_nrr")
    assert book.attainment == pytest.approx(1.1)
    assert book.payout == pytest.approx(1.2)  # 100% + 2 x 10%
    assert book.amount == 7_200.0  # 10,000 x 0.6 x 120%
    assert s.total == 7_200.0


def test_at_the_cap(retention_shared):
    book = line(retention_shared.comp_statement("C5", Q3), "book_nrr")
    assert book.attainment == 1.5
    assert book.payout == 1.5  # 100% + 2 x 50% = 200%, capped at 150%
    assert book.capped
    assert "capped at 150%" in book.working
    assert book.amount == 9_000.0


def test_between_threshold_and_target(retention_shared):
    book = line(retention_shared.comp_statement("C6", Q3), "book_nrr")
    assert book.attainment == 0.95
    assert book.payout == pytest.approx(0.75)  # 50% + (95% - 90%) / 10% x 50%
    assert book.amount == 4_500.0


def test_team_component_pays_on_the_team_numbers(retention_shared):
    s = retention_shared.comp_statement("C5", Q3)
    team = line(s, "team_nrr")
    assert (team.scope, team.scope_id) == ("team", "West")
    assert (team.numerator, team.denominator) == (44_500, 40_000)
    assert team.attainment == pytest.approx(1.1125)
    assert team.payout == pytest.approx(1.225)  # 100% + 2 x 11.25%
    assert team.amount == 4_900.0  # 10,000 x 0.4 x 122.5%
    assert s.total == 13_900.0
    # every West CSM earns the same team line
    for csm in ("C4", "C6"):
        assert line(retention_shared.comp_statement(csm, Q3), "team_nrr").amount == 4_900.0


def test_a_csm_who_joined_mid_quarter_is_pro_rated_by_days_employed(retention_shared):
    s = retention_shared.comp_statement("C3", Q3)
    assert (s.payee.days_employed, s.payee.period_days) == (61, 92)  # from 2025-08-01
    assert s.target_pay == 6_630.43  # 10,000 x 61 / 92
    book = line(s, "book_nrr")
    # She owned nothing on 2025-07-01, so her NRR is missing; the rule pays it as on target.
    assert book.value is None and book.attainment is None
    assert "C3's book" in book.missing
    assert book.payout == 1.0
    assert book.amount == 3_978.26  # 10,000 x 0.6 x 100% x 61/92
    assert line(s, "team_nrr").amount == 3_248.91  # 10,000 x 0.4 x 122.5% x 61/92
    assert s.total == 7_227.17
    assert any("61 of the period's 92 days" in note for note in s.notes)


def test_pro_rating_can_be_switched_off(make_ws):
    ws = make_ws(RETENTION_PLAN.format(proration="none"))
    s = ws.comp_statement("C3", Q3)
    assert s.payee.factor == 1.0
    assert s.total == 10_900.0  # 6,000 + 4,900


def test_every_eligible_employed_csm_gets_a_statement(retention_shared):
    found = retention_shared.comp_statements(Q3)
    # M1 is a manager (the plan takes role csm); C9 left before the quarter.
    assert [s.csm_id for s in found] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert sum(s.total for s in found) == pytest.approx(
        7_200 + 0 + 7_227.17 + 10_900 + 13_900 + 9_400
    )


def test_the_total_is_the_sum_of_the_rounded_lines(retention_shared):
    for s in retention_shared.comp_statements(Q3):
        assert s.total == round(sum(x.amount for x in s.lines), 2)


def test_a_person_on_no_plan_is_a_one_line_error(retention_shared):
    with pytest.raises(CompensationError, match=r"M1 is on no plan for 2025-Q3 .*role manager"):
        retention_shared.comp_statement("M1", Q3)
    with pytest.raises(CompensationError, match=r"C9 is on no plan .*not employed in 2025-Q3"):
        retention_shared.comp_statement("C9", Q3)
    with pytest.raises(CompensationError, match=r"unknown CSM 'C77'"):
        retention_shared.comp_statement("C77", Q3)


def test_the_period_must_be_the_plans_kind(retention_shared):
    with pytest.raises(CompensationError, match=r"no plan pays per year \(2025\)"):
        retention_shared.comp_statements("2025")
    with pytest.raises(
        CompensationError, match=r"plan retention pays per quarter; 2025-08 is a month"
    ):
        retention_shared.comp_statements("2025-08", plan="retention")
    with pytest.raises(CompensationError, match=r"unknown plan 'bonus'; plans: retention"):
        retention_shared.comp_statements(Q3, plan="bonus")


def test_no_plans_in_config_is_a_clear_error(make_ws):
    ws = make_ws("")
    with pytest.raises(CompensationError, match=r"no compensation plans in csmetrics.yaml"):
        ws.comp_statements(Q3)
