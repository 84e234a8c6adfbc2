"""The canonical schema is one consistent declaration (SPEC §1)."""

from __future__ import annotations

import pytest

from csmetrics import schema
from csmetrics.errors import SchemaError
from csmetrics.schema import OrderCheck, RangeWhen

SPEC_TABLES = {
    "accounts", "csms", "assignments", "contracts", "users", "events", "tickets",
    "survey_sends", "survey_responses", "advocacy", "onboardings", "invoices",
    "activities", "engagements", "success_plans", "opportunities", "renewal_forecasts",
    "fx_rates", "costs",
}  # fmt: skip


def test_every_spec_table_is_declared():
    assert set(schema.table_names()) >= SPEC_TABLES


def test_required_tables_are_the_spec_bold_ones():
    assert {t.name for t in schema.required_tables()} == {"accounts", "csms", "contracts"}


@pytest.mark.parametrize("spec", schema.TABLES, ids=lambda t: t.name)
def test_table_is_internally_consistent(spec):
    names = spec.column_names
    assert len(names) == len(set(names)), "duplicate column"
    assert spec.primary_key and set(spec.primary_key) <= set(names)
    for key in spec.primary_key:
        assert not spec.column(key).nullable, f"primary key column {key} must be required"
    for col in spec.columns:
        assert col.description.strip()
        if col.allowed is not None:
            assert col.type.value == "string"
        if col.minimum is not None or col.maximum is not None:
            assert col.type.value in {"integer", "float", "money"}
    for check in spec.checks:
        if isinstance(check, OrderCheck):
            assert {check.earlier, check.later} <= set(names)
            assert spec.column(check.earlier).type == spec.column(check.later).type
        elif isinstance(check, RangeWhen):
            assert {check.column, check.when_column} <= set(names)
    if spec.time_column:
        assert spec.column(spec.time_column).type.value in {"date", "timestamp"}


@pytest.mark.parametrize("spec", schema.TABLES, ids=lambda t: t.name)
def test_foreign_keys_point_at_primary_keys(spec):
    for _, fk in spec.foreign_keys:
        target = schema.table(fk.table)
        assert target.primary_key == (fk.column,)


def test_load_order_puts_referenced_tables_first():
    order = [t.name for t in schema.load_order()]
    assert sorted(order) == sorted(schema.table_names())
    for spec in schema.TABLES:
        for _, fk in spec.foreign_keys:
            if fk.table != spec.name:
                assert order.index(fk.table) < order.index(spec.name)


def test_arrow_schema_matches_declaration():
    contracts = schema.table("contracts").arrow_schema()
    assert contracts.field("arr").type.id == contracts.field("arr").type.id
    assert str(contracts.field("start_date").type) == "date32[day]"
    assert not contracts.field("contract_id").nullable
    assert contracts.field("end_date").nullable


def test_unknown_table_names_the_known_ones():
    with pytest.raises(SchemaError, match=r"unknown table 'contract'.*contracts"):
        schema.table("contract")
