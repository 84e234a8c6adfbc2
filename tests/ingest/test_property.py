"""Property: for any mix of good and bad CSV rows, loaded + rejected == read, every good
row is stored with its values, and every bad row is reported at its physical line."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics.config import Config
from csmetrics.engine import Engine
from csmetrics.ingest import import_files, load_data

GOOD_ARR = st.sampled_from(["0", "12", "99.5", "1e3", " 7 "])
BAD_ARR = st.sampled_from(["abc", "-5", "NaN", "inf", ""])
GOOD_DATE = st.sampled_from(["2026-01-01", "2026-02-28", "2026-12-31 00:00:00"])
BAD_DATE = st.sampled_from(["2026-02-30", "yesterday", ""])
GOOD_TERM = st.sampled_from(["monthly", "annual", "Annual", "multi_year"])
BAD_TERM = st.sampled_from(["weekly", ""])
PRODUCT = st.text(alphabet=st.sampled_from('ab ,"\n'), min_size=0, max_size=6)


@st.composite
def contract_rows(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(min_value=0, max_value=25))
    out = []
    for i in range(n):
        reuse = out and draw(st.integers(0, 9)) == 0  # now and then a duplicate key
        out.append(
            {
                "contract_id": out[draw(st.integers(0, len(out) - 1))]["contract_id"]
                if reuse
                else f"K{i}",
                "account_id": draw(st.sampled_from(["A1", "A1", "A1", "A9"])),
                "product": draw(PRODUCT),
                "start_date": draw(st.one_of(GOOD_DATE, GOOD_DATE, BAD_DATE)),
                "arr": draw(st.one_of(GOOD_ARR, GOOD_ARR, BAD_ARR)),
                "currency": "USD",
                "billing_term": draw(st.one_of(GOOD_TERM, GOOD_TERM, BAD_TERM)),
            }
        )
    return out


def _is_good(row: dict[str, object]) -> bool:
    return (
        row["account_id"] == "A1"
        and str(row["product"]).strip(" ") != ""
        and row["start_date"] not in ("2026-02-30", "yesterday", "")
        and row["arr"] not in ("abc", "-5", "NaN", "inf", "")
        and row["billing_term"] in ("monthly", "annual", "Annual", "multi_year")
    )


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """One in-memory store for all examples (opening one per example would dominate)."""
    store = Engine.open_duckdb(None)
    account = {"account_id": "A1", "name": "Acme", "tier": "corp", "created_at": "2024-01-01"}
    load_data(store, Config(), "accounts", [account])
    yield store
    store.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=contract_rows())
def test_every_row_is_loaded_or_rejected_at_its_line(
    engine: Engine, records: list[dict[str, object]]
) -> None:
    config = Config()
    engine.duckdb.execute("DELETE FROM contracts")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contracts.csv"
        lines, line = [], 2
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(contract_rows_fields()), lineterminator="\n"
            )
            writer.writeheader()
            for row in records:
                writer.writerow(row)
                lines.append(line)
                line += 1 + sum(str(v).count("\n") for v in row.values())
        report = import_files(engine, config, "contracts", [path])

    seen: set[object] = set()
    expected_good, expected_bad_lines = {}, set()
    for row, at in zip(records, lines, strict=True):
        if _is_good(row) and row["contract_id"] not in seen:
            seen.add(row["contract_id"])
            expected_good[row["contract_id"]] = str(row["product"]).strip(" ")
        else:
            expected_bad_lines.add(at)

    assert report.rows_read == len(records)
    assert report.rows_loaded + report.rows_rejected == report.rows_read
    assert report.rows_loaded == len(expected_good)
    assert {r.row for r in report.rejections} == expected_bad_lines
    stored = dict(engine.duckdb.execute("SELECT contract_id, product FROM contracts").fetchall())
    assert stored == expected_good


def contract_rows_fields() -> tuple[str, ...]:
    return ("contract_id", "account_id", "product", "start_date", "arr", "currency", "billing_term")
