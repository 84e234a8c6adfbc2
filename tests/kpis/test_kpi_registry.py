"""The registry: every KPI fully declared, extensible by a new module, documented."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest
from kpi_helpers import account, contract

import csmetrics
from csmetrics import kpis
from csmetrics.errors import KpiError, NotAvailable
from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.reference import kpis_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"
REQUIRED = {
    "arr", "mrr", "book_of_business", "active_accounts", "logo_retention", "logo_churn",
    "grr", "nrr", "net_arr_churn", "new_arr", "expansion_arr", "contraction_arr",
    "churned_arr", "reactivation_arr", "fx_arr", "renewal_rate", "renewal_arr_rate",
    "renewal_rate_monthly", "renewal_rate_annual", "upsell_arr", "cross_sell_arr",
    "whitespace_arr", "upsell_accounts", "cross_sell_accounts", "whitespace_accounts",
}  # fmt: skip


def test_every_kpi_is_fully_declared():
    names = [k.name for k in kpis.all_kpis()]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED
    for k in kpis.all_kpis():
        assert k.title and k.description and k.formula and k.example, k.name
        assert k.unit in ("ratio", "money", "count", "days", "score")
        assert k.direction in ("higher", "lower")
        assert k.tables and k.grains and k.family


def test_unknown_kpi_and_unsupported_grain_are_clear_errors(tmp_path):
    with pytest.raises(KpiError, match=r"unknown KPI 'nps2'.*known KPIs: .*arr"):
        kpis.get("nps2")
    with csmetrics.init(tmp_path / "ws") as ws, pytest.raises(KpiError, match="not available by"):
        ws.kpi("book_of_business", by="tier", period="2025-Q3")


def test_a_kpi_on_an_empty_table_is_not_available(tmp_path):
    with csmetrics.init(tmp_path / "ws") as ws:
        with pytest.raises(NotAvailable, match=r"^arr: not available: needs table contracts$"):
            ws.kpi("arr", period="2025-Q3")
        with pytest.raises(NotAvailable, match="needs table contracts"):
            ws.movements(period="2025-Q3")


def test_foreign_currency_without_rates(make_ws):
    ws = make_ws([account("A1")], [contract("K1", "A1", "2025-01-01", None, 100, currency="EUR")])
    with pytest.raises(NotAvailable, match=r"^nrr: not available: needs table fx_rates$"):
        ws.kpi("nrr", period="2025-Q3")
    ws.load("fx_rates", [{"currency": "GBP", "rate_date": "2025-01-01", "rate": 1.3}])
    with pytest.raises(KpiError, match="no exchange rate to USD for EUR"):
        ws.kpi("arr", period="2025-Q3")


def _tickets_per_account(ctx):
    t = ctx.table("tickets")
    periods = ctx.periods_table()
    day = t.opened_at.cast("date")
    j = periods.join(t, [day >= periods.period_start, day < periods.period_end])
    return j.select(*PERIOD_COLUMNS, "account_id", tickets=ibis.literal(1))


def test_a_new_family_registers_without_touching_the_core(make_ws):
    # What a module such as kpis/support.py does: declare and register.
    kpi = kpis.Kpi(
        name="test_ticket_volume",
        title="Tickets opened",
        description="Support tickets opened in the period.",
        formula="number of tickets with opened_at in [a, b)",
        unit="count",
        direction="lower",
        tables=("tickets",),
        facts=_tickets_per_account,
        measures=kpis.total("tickets"),
        family="support",
        example="3 tickets in July -> 3.",
    )
    kpis.register(kpi)
    try:
        assert kpis.get("test_ticket_volume") is kpi
        ws = make_ws([account("A1", "C1"), account("A2", "C2")], [])
        with pytest.raises(
            NotAvailable, match="test_ticket_volume: not available: needs table tickets"
        ):
            ws.kpi("test_ticket_volume", period="2025-07")
        ws.load(
            "tickets",
            [
                {"ticket_id": "T1", "account_id": "A1", "priority": "low", "opened_at": "2025-07-02 10:00"},
                {"ticket_id": "T2", "account_id": "A1", "priority": "high", "opened_at": "2025-07-30 09:00"},
                {"ticket_id": "T3", "account_id": "A2", "priority": "low", "opened_at": "2025-08-01 00:00"},
            ],
        )  # fmt: skip
        frame = ws.kpi(
            "test_ticket_volume", by="csm", every="month", start="2025-07", end="2025-08"
        )
        assert frame[["period", "csm_id", "value"]].values.tolist() == [
            ["2025-07", "C1", 2], ["2025-08", "C2", 1]
        ]  # fmt: skip
    finally:
        kpis.unregister("test_ticket_volume")


def test_docs_kpis_md_is_generated_from_the_registry_and_current():
    text = kpis_markdown()
    on_disk = (DOCS / "kpis.md").read_text("utf-8") if (DOCS / "kpis.md").exists() else ""
    assert on_disk == text, "docs/kpis.md is stale: run `csmetrics docs --out docs`"
    for k in kpis.all_kpis():
        assert f"### `{k.name}`: {k.title}" in text
        assert k.formula in text and k.example in text


def test_nps_is_a_ratio_shown_as_points():
    from csmetrics.cli.common import percent, points
    from csmetrics.kpis import get

    nps = get("nps")
    assert (nps.unit, nps.display_unit) == ("ratio", "points")  # stored -1..1, shown -100..100
    assert get("logo_retention").display_unit == "ratio"
    assert (points(0.25), points(-0.0625), points(None)) == ("+25.0", "-6.2", "n/a")
    assert percent(0.25) == "25.0%"
