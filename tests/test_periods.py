"""Period parsing and fiscal calendars: every period is a half-open range of days."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmetrics.errors import PeriodError
from csmetrics.periods import (
    add_months,
    last_complete,
    parse_period,
    period_containing,
    series,
)


def _span(text):
    p = parse_period(text)
    return (p.start, p.end)


def test_month_quarter_year_and_range():
    assert _span("2026-07") == (date(2026, 7, 1), date(2026, 8, 1))
    assert _span("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert _span("2026-Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert _span("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    rng = parse_period("2026-07-01..2026-10-01")
    assert (rng.start, rng.end, rng.kind) == (date(2026, 7, 1), date(2026, 10, 1), "range")


def test_fiscal_year_is_named_after_the_year_it_ends():
    fy = parse_period("2027", fiscal_start_month=2)
    assert (fy.start, fy.end) == (date(2026, 2, 1), date(2027, 2, 1))
    q1 = parse_period("2027-Q1", fiscal_start_month=2)
    assert (q1.start, q1.end) == (date(2026, 2, 1), date(2026, 5, 1))
    q4 = parse_period("2027-Q4", fiscal_start_month=2)
    assert (q4.start, q4.end) == (date(2026, 11, 1), date(2027, 2, 1))


def test_period_containing_round_trips_with_fiscal_start():
    q = period_containing(date(2026, 1, 15), "quarter", fiscal_start_month=2)
    assert q.label == "2026-Q4" and q.start == date(2025, 11, 1)
    assert period_containing(date(2026, 2, 1), "quarter", 2).label == "2027-Q1"


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "July", "2026-10-01..2026-07-01", ""])
def test_bad_periods_say_what_is_accepted(bad):
    with pytest.raises(PeriodError, match="period"):
        parse_period(bad)


def test_series_covers_the_range_without_gaps():
    quarters = series("2025-Q4", "2026-Q3", "quarter")
    assert [q.label for q in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    months = series("2026-01", "2026-03", "month")
    assert [m.label for m in months] == ["2026-01", "2026-02", "2026-03"]


def test_last_complete_quarter():
    assert last_complete("quarter", date(2026, 11, 22)).label == "2026-Q3"
    assert last_complete("quarter", date(2026, 10, 1)).label == "2026-Q3"
    assert last_complete("month", date(2026, 1, 5)).label == "2025-12"


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    fiscal=st.integers(min_value=1, max_value=12),
    every=st.sampled_from(["month", "quarter", "year"]),
)
def test_every_day_lies_in_exactly_the_period_that_contains_it(day, fiscal, every):
    period = period_containing(day, every, fiscal)
    assert period.contains(day)
    assert parse_period(period.label, fiscal) == period
    assert period_containing(period.end, every, fiscal).start == period.end
