"""A batch is atomic: killing the process anywhere inside it leaves the store as it was.

Each run imports in a separate process that SIGKILLs itself at a named point inside
the transaction (``CSMETRICS_FAULT_POINT``); the store must then hold exactly what it
held before (every table, the ledger and the quarantine), and a normal re-run must
complete as if the crash never happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import csmetrics
from csmetrics.ingest import FAULT_ENV_VAR, FAULT_POINTS

from .conftest import DATA

CLI = [sys.executable, "-c", "from csmetrics.cli.app import main; main()"]


def store_fingerprint(root: Path) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the sorted rows of every table in the store."""
    with csmetrics.open(root, read_only=True) as ws:
        con = ws.engine.duckdb
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
            ).fetchall()
        ]
        fingerprint = {}
        for name in names:
            count, digest = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' "
                f"ORDER BY CAST(t AS VARCHAR)), '')) FROM \"{name}\" t"
            ).fetchone()
            fingerprint[name] = (count, digest)
        return fingerprint


def run_import(
    root: Path, table: str, path: Path, fault: str | None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV_VAR}
    if fault:
        env[FAULT_ENV_VAR] = fault
    return subprocess.run(
        [*CLI, "import", "--workspace", str(root), table, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A workspace on disk with csms, accounts and a first contracts batch, closed."""
    root = tmp_path / "ws"
    with csmetrics.init(root) as ws:
        for table in ("csms", "accounts"):
            ws.import_files(table, [DATA / f"{table}.csv"])
        ws.import_files("contracts", [DATA / "contracts.csv"])
    return root


def test_killed_import_leaves_store_unchanged_and_rerun_completes(
    store: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "contracts.csv"
    text = (DATA / "contracts_bad.csv").read_text()
    batch.write_text(
        text.replace(
            "K1,A1,router,2026-01-01,2027-01-01,1200", "K1,A1,router,2026-01-01,2027-01-01,1500"
        )
    )
    before = store_fingerprint(store)
    assert before["contracts"][0] == 3

    for point in FAULT_POINTS:
        crashed = run_import(store, "contracts", batch, point)
        assert crashed.returncode == -signal.SIGKILL, (point, crashed.stderr)
        assert store_fingerprint(store) == before, point

    done = run_import(store, "contracts", batch, None)
    assert done.returncode == 1, done.stderr  # rows were rejected, the good ones loaded
    after = store_fingerprint(store)
    assert after["contracts"][0] == 4  # K1 updated (1200 -> 1500), K10 inserted
    assert after["_quarantine"][0] == 10
    assert after["_imports"][0] == before["_imports"][0] + 1
    with csmetrics.open(store, read_only=True) as ws:
        assert ws.engine.duckdb.execute(
            "SELECT arr FROM contracts WHERE contract_id = 'K1'"
        ).fetchone() == (1500.0,)


def test_killed_events_import_from_parquet(store: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    n = 5000
    pq.write_table(
        pa.table(
            {
                "account_id": ["A1" if i % 2 else "A2" for i in range(n)],
                "user_id": [f"U{i % 40}" for i in range(n)],
                "event_time": pa.array([i * 60_000_000 for i in range(n)], pa.timestamp("us")),
                "event_type": ["sign_in"] * n,
            }
        ),
        path,
    )
    before = store_fingerprint(store)
    crashed = run_import(store, "events", path, "after_upsert")
    assert crashed.returncode == -signal.SIGKILL
    assert store_fingerprint(store) == before
    assert run_import(store, "events", path, None).returncode == 0
    assert store_fingerprint(store)["events"][0] == n
