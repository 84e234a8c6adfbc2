"""The as-of day and the periods a request means."""

from __future__ import annotations

from datetime import date

import pytest
from kpi_helpers import account, contract

from csmetrics.config import Config
from csmetrics.errors import KpiError
from csmetrics.kpis import resolve_periods


def test_as_of_is_the_latest_day_the_data_covers(make_ws):
    ws = make_ws(
        [account("A1")],
        [
            # A term ending in 2027 is a schedule, not data: it does not move the as-of day.
            contract("K1", "A1", "2025-01-01", "2027-01-01", 1_000),
            contract(
                "K2", "A1", "2025-03-10", None, 500, product="calendar", cancelled="2025-05-02"
            ),
        ],
    )
    assert ws.as_of() == date(2025, 5, 2)
    ws.load(
        "tickets",
        [
            {
                "ticket_id": "T1",
                "account_id": "A1",
                "priority": "low",
                "opened_at": "2025-08-14 16:00",
            }
        ],
    )
    assert ws.as_of() == date(2025, 8, 14)
    # Without a period: the last complete quarter before the as-of day.
    assert ws.kpi("arr")["period"].tolist() == ["2025-Q2"]
    assert ws.movements()["period"].tolist() == ["2025-Q2"]


def test_as_of_never_passes_today(make_ws):
    ws = make_ws([account("A1")], [contract("K1", "A1", "2999-01-01", None, 1)])
    assert ws.as_of() == date.today()


def test_series_and_defaults():
    config = Config.model_validate({"company": {"fiscal_year_start_month": 2}})
    as_of = date(2026, 8, 20)
    # Fiscal years start in February and are named after the year they end in.
    assert [p.label for p in resolve_periods(config, as_of)] == ["2027-Q2"]
    quarters = resolve_periods(config, as_of, every="quarter")
    assert [p.label for p in quarters] == ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]
    assert quarters[-1].start == date(2026, 5, 1)
    months = resolve_periods(config, as_of, every="month", start="2026-05", end="2026-07")
    assert [p.label for p in months] == ["2026-05", "2026-06", "2026-07"]
    with pytest.raises(KpiError, match="need --every"):
        resolve_periods(config, as_of, start="2026-05")
    with pytest.raises(KpiError, match="not both"):
        resolve_periods(config, as_of, period="2026-05", every="month")
