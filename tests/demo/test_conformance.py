"""Every generated file obeys the canonical schema: columns and types, keys, foreign
keys, allowed values, bounds and row checks (all read from csmetrics.schema)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from csmetrics import schema
from csmetrics.schema import OrderCheck, RangeWhen

from .conftest import scalar

NAMES = schema.table_names()


@pytest.mark.parametrize("name", NAMES)
def test_files_carry_exactly_the_canonical_arrow_schema(demo, name):
    expected = schema.table(name).arrow_schema()
    assert demo.paths(name), f"no file for {name}"
    for path in demo.paths(name):
        assert pq.read_schema(path).equals(expected, check_metadata=False), path


@pytest.mark.parametrize("name", NAMES)
def test_every_table_has_rows(demo, name):
    assert demo.rows[name] > 0


@pytest.mark.parametrize("name", NAMES)
def test_primary_keys_are_unique(db, name):
    key = ", ".join(f'"{c}"' for c in schema.table(name).primary_key)
    dups = scalar(
        db, f'select count(*) from (select {key} from "{name}" group by all having count(*) > 1)'
    )
    assert dups == 0


@pytest.mark.parametrize("name", NAMES)
def test_foreign_keys_resolve(db, name):
    for column, fk in schema.table(name).foreign_keys:
        orphans = scalar(
            db,
            f'select count(*) from "{name}" where "{column}" is not null and "{column}" not in '
            f'(select "{fk.column}" from "{fk.table}")',
        )
        assert orphans == 0, f"{name}.{column} -> {fk.table}.{fk.column}"


@pytest.mark.parametrize("name", NAMES)
def test_values_respect_nullability_allowed_values_and_bounds(db, name):
    for col in schema.table(name).columns:
        c = f'"{col.name}"'
        if not col.nullable:
            assert scalar(db, f'select count(*) from "{name}" where {c} is null') == 0, col.name
        if col.allowed:
            values = ", ".join(f"'{v}'" for v in col.allowed)
            bad = scalar(db, f'select count(*) from "{name}" where {c} not in ({values})')
            assert bad == 0, col.name
        if col.minimum is not None:
            assert scalar(db, f'select count(*) from "{name}" where {c} < {col.minimum}') == 0
        if col.maximum is not None:
            assert scalar(db, f'select count(*) from "{name}" where {c} > {col.maximum}') == 0


@pytest.mark.parametrize("name", NAMES)
def test_row_checks_hold(db, name):
    for check in schema.table(name).checks:
        if isinstance(check, OrderCheck):
            op = "<=" if check.strict else "<"
            where = f'"{check.later}" {op} "{check.earlier}"'
        else:
            assert isinstance(check, RangeWhen)
            where = (
                f"\"{check.when_column}\" = '{check.when_value}' and "
                f'("{check.column}" < {check.minimum} or "{check.column}" > {check.maximum})'
            )
        assert scalar(db, f'select count(*) from "{name}" where {where}') == 0, check.message


def test_money_is_rounded_to_cents(db):
    for name, column in (("contracts", "arr"), ("invoices", "amount"), ("opportunities", "amount")):
        off = scalar(
            db,
            f"select count(*) from {name} where abs({column} * 100 - round({column} * 100)) > 1e-6",
        )
        assert off == 0, name


def test_nothing_happens_after_the_end_of_history(db, demo):
    end = demo.end_date.isoformat()
    for name, column in (
        ("events", "event_time"),
        ("tickets", "resolved_at"),
        ("tickets", "first_response_at"),
        ("survey_responses", "responded_at"),
        ("invoices", "paid_at"),
        ("onboardings", "closed_at"),
        ("users", "deactivated_at"),
        ("contracts", "start_date"),
        ("success_plans", "defined_at"),
        ("success_plans", "achieved_at"),
        ("activities", "occurred_at"),
        ("engagements", "occurred_at"),
        ("advocacy", "occurred_at"),
        ("renewal_forecasts", "submitted_at"),
        ("survey_sends", "sent_at"),
    ):
        assert scalar(db, f"select count(*) from {name} where {column} >= DATE '{end}'") == 0, name
