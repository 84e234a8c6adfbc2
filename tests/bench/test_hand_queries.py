"""The benchmarks' hand-written queries must keep giving csmetrics' answers.

`make bench` compares csmetrics with the same KPI written by hand in DuckDB SQL,
polars and pandas; a run stops when a way disagrees. These tests hold the hand
versions to the KPI definitions on a small demo company and on a small generated
subscription book, so a change to a definition shows up here, not hours into a run.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

import csmetrics
from csmetrics import schema
from csmetrics.demo import generate
from csmetrics.kpis import bridge, compute_many
from csmetrics.periods import month, quarter

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import arr_data  # noqa: E402
import bench_adoption  # noqa: E402
import hand_revenue  # noqa: E402
from harness import next_month, same  # noqa: E402

END = date(2026, 1, 1)
MONTHS = [date(2025, m, 1) for m in range(1, 13)]
SPANS = [(m, next_month(m)) for m in MONTHS]
QUARTERS = [quarter(2025, q) for q in range(1, 5)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo company (its Parquet files) imported into a workspace."""
    source = tmp_path_factory.mktemp("source")
    manifest = generate(source, accounts=300, months=24, events_scale=0.05, seed=5, end_date=END)
    root = tmp_path_factory.mktemp("ws")
    with csmetrics.init(root, force=True) as ws:
        for spec in schema.load_order():
            assert ws.import_files(spec.name, manifest.paths(spec.name)).ok
    return source, root


def _bridge_by_hand(store: Path, contracts: Path, fx: Path) -> list[dict]:
    labels = [str(m) for m in MONTHS]
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = hand_revenue.run_sql(con, hand_revenue.bridge_sql(SPANS))
    finally:
        con.close()
    return [
        hand_revenue.bridge_answer(labels, rows),
        hand_revenue.bridge_answer(labels, hand_revenue.bridge_polars(contracts, fx, SPANS)),
        hand_revenue.bridge_answer(labels, hand_revenue.bridge_pandas(contracts, fx, SPANS)),
    ]


def _bridge_by_csmetrics(root: Path) -> dict:
    with csmetrics.open(root) as ws:
        frame = bridge(ws.engine, ws.config, [month(m.year, m.month) for m in MONTHS])
    rows = frame[list(hand_revenue.LINES)].to_numpy().tolist()
    return hand_revenue.bridge_answer([str(m) for m in MONTHS], rows)


def test_hand_written_bridge_matches_csmetrics(demo: tuple[Path, Path]) -> None:
    source, root = demo
    expected = _bridge_by_csmetrics(root)
    assert any(v for row in expected["money"] for v in row[1:6]), "the bridge has movements"
    hands = _bridge_by_hand(
        root / "csmetrics.duckdb", source / "contracts.parquet", source / "fx_rates.parquet"
    )
    for answer in hands:
        assert same(answer, expected)


def test_hand_written_retention_matches_csmetrics(demo: tuple[Path, Path]) -> None:
    source, root = demo
    names = ["logo_retention", "grr", "nrr"]
    with csmetrics.open(root) as ws:
        out = compute_many(ws.engine, ws.config, names, QUARTERS)
    logos = out["logo_retention"]
    counts = [
        [int(d), int(n)] for d, n in zip(logos["denominator"], logos["numerator"], strict=True)
    ]
    ratios = [list(r) for r in zip(*(out[k]["value"] for k in names), strict=True)]
    assert counts[0][0] > 0
    spans = [(q.start, q.end) for q in QUARTERS]
    con = duckdb.connect(str(root / "csmetrics.duckdb"), read_only=True)
    rows = hand_revenue.run_sql(con, hand_revenue.retention_sql(spans))
    con.close()
    contracts, fx = source / "contracts.parquet", source / "fx_rates.parquet"
    for found in (
        rows,
        hand_revenue.retention_polars(contracts, fx, spans),
        hand_revenue.retention_pandas(contracts, fx, spans),
    ):
        answer = hand_revenue.retention_answer([str(a) for a, _ in spans], found)
        assert answer["count"] == counts
        assert same(answer["ratio"], ratios)


def test_hand_written_adoption_matches_csmetrics(demo: tuple[Path, Path]) -> None:
    source, root = demo
    with csmetrics.open(root) as ws:
        periods = [month(m.year, m.month) for m in MONTHS]
        out = compute_many(ws.engine, ws.config, ["mau", "license_utilisation"], periods)
    expected = [
        [str(p), int(a), int(n), int(d)]
        for p, a, n, d in zip(
            out["mau"]["period_start"],
            out["mau"]["value"],
            out["license_utilisation"]["numerator"],
            out["license_utilisation"]["denominator"],
            strict=True,
        )
    ]
    assert sum(row[1] for row in expected) > 0
    store = str(root / "csmetrics.duckdb")
    assert bench_adoption.way_duckdb(store, MONTHS) == expected
    assert bench_adoption.way_polars(str(source), MONTHS) == expected
    assert bench_adoption.way_pandas(str(source), MONTHS) == expected


def test_generated_book_imports_cleanly_and_bridges_alike(tmp_path: Path) -> None:
    """The 1M-account generator at a small size: every row valid, the same bridge."""
    source = tmp_path / "book"
    manifest = arr_data.generate(source, accounts=3000, seed=2)
    assert 5 * 3000 < manifest["contracts"] < 9 * 3000
    root = tmp_path / "ws"
    with csmetrics.init(root, force=True) as ws:
        for table in ("csms", "accounts", "fx_rates", "contracts"):
            report = ws.import_files(table, [source / f for f in manifest["files"][table]])
            assert report.ok and not report.rows_rejected
    expected = _bridge_by_csmetrics(root)
    money = expected["money"]
    assert all(row[k] > 0 for row in money for k in (1, 2, 3, 4))  # new, exp, contr, churn
    assert any(row[5] > 0 for row in money)  # reactivation
    for answer in _bridge_by_hand(
        root / "csmetrics.duckdb", source / "contracts", source / "fx_rates.parquet"
    ):
        assert same(answer, expected)


def test_answers_compare_by_kind() -> None:
    assert same({"money": [100.004]}, {"money": [100.0]})
    assert not same({"money": [100.02]}, {"money": [100.0]})
    assert not same({"count": [3]}, {"count": [4]})
    assert not same([1.0, 2.0], [1.0, 2.0 + 1e-6])
