"""csmetrics validate: the whole store's integrity, every problem at once."""

from __future__ import annotations

from csmetrics import Workspace

from .conftest import DATA


def test_clean_store_has_no_problems(seeded: Workspace) -> None:
    seeded.import_files("contracts", [DATA / "contracts.csv"])
    assert seeded.check_integrity() == []


def test_rows_written_around_the_importer_are_caught(seeded: Workspace) -> None:
    seeded.import_files("contracts", [DATA / "contracts.csv"])
    seeded.engine.duckdb.execute(
        """INSERT INTO contracts (contract_id, account_id, product, start_date, end_date, arr,
                                  currency, billing_term)
           VALUES ('K1', 'A1', 'router', DATE '2026-01-01', NULL, 5, 'USD', 'annual'),
                  ('K8', 'A404', 'router', DATE '2026-01-01', DATE '2025-01-01', -3, 'USD', 'weekly')"""
    )
    assert seeded.check_integrity() == [
        "contracts: 1 primary key value(s) appear more than once, e.g. contract_id=K1 (2 rows)",
        "contracts.account_id: 1 row(s) reference a missing accounts.account_id, e.g. 'A404'",
        "contracts.arr: 1 row(s) break a rule, e.g. '-3.0' must not be negative",
        "contracts.billing_term: 1 row(s) break a rule, e.g. 'weekly' is not one of monthly, annual, multi_year",
        "contracts.end_date: 1 row(s) break a rule, e.g. end_date must be after start_date "
        "(start_date 2026-01-01, end_date 2025-01-01)",
    ]


def test_orphans_appear_when_a_parent_disappears(seeded: Workspace) -> None:
    seeded.import_files("contracts", [DATA / "contracts.csv"])
    seeded.engine.duckdb.execute("DELETE FROM accounts WHERE account_id = 'A2'")
    assert seeded.check_integrity() == [
        "contracts.account_id: 1 row(s) reference a missing accounts.account_id, e.g. 'A2'"
    ]
