"""Re-importing the same data changes nothing; a changed value updates its row."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from csmetrics import Workspace

from .conftest import DATA, rows


def test_reimport_is_idempotent(seeded: Workspace) -> None:
    first = seeded.import_files("contracts", [DATA / "contracts.csv"])
    again = seeded.import_files("contracts", [DATA / "contracts.csv"])
    assert (first.rows_inserted, first.rows_unchanged) == (3, 0)
    assert (again.rows_read, again.rows_inserted, again.rows_updated, again.rows_unchanged) == (
        3,
        0,
        0,
        3,
    )
    assert seeded.row_count("contracts") == 3
    ledger = rows(
        seeded,
        "SELECT rows_inserted, rows_unchanged, content_hashes[1] FROM _imports WHERE table_name = 'contracts'",
    )
    assert [r[:2] for r in ledger] == [(3, 0), (0, 3)]
    assert ledger[0][2] == ledger[1][2] and len(ledger[0][2]) == 64


def test_changed_value_updates_the_row(seeded: Workspace, tmp_path: Path) -> None:
    seeded.import_files("contracts", [DATA / "contracts.csv"])
    changed = tmp_path / "contracts.csv"
    text = (
        (DATA / "contracts.csv")
        .read_text()
        .replace("K3,A2,router,2026-02-01,,300", "K3,A2,router,2026-02-01,,450")
    )
    changed.write_text(text + "K4,A1,router,2026-05-01,,10,USD,1,monthly\n")
    report = seeded.import_files("contracts", [changed])
    assert (report.rows_inserted, report.rows_updated, report.rows_unchanged) == (1, 1, 2)
    assert rows(seeded, "SELECT contract_id, arr FROM contracts ORDER BY 1") == [
        ("K1", 1200.0),
        ("K2", 600.5),
        ("K3", 450.0),
        ("K4", 10.0),
    ]
    assert report.ok


def test_reimport_replaces_the_files_quarantine(seeded: Workspace) -> None:
    seeded.import_files("contracts", [DATA / "contracts_bad.csv"])
    seeded.import_files("contracts", [DATA / "contracts_bad.csv"])
    assert rows(seeded, "SELECT count(*), count(DISTINCT batch_id) FROM _quarantine") == [(10, 1)]
    assert len(seeded.quarantine("contracts")) == 10


def test_events_insert_only_new_keys(seeded: Workspace) -> None:
    start = datetime(2026, 3, 1, 9)
    events = [
        {
            "account_id": "A1",
            "user_id": f"U{i % 3}",
            "event_time": start + timedelta(minutes=i),
            "event_type": "sign_in",
        }
        for i in range(10)
    ]
    first = seeded.load("events", events)
    again = seeded.load("events", [*events, {**events[0], "event_type": "report_viewed"}])
    assert (first.rows_inserted, first.rows_unchanged) == (10, 0)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (1, 0, 10)
    assert seeded.row_count("events") == 11
