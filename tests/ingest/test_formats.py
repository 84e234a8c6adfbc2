"""Every supported format loads, and reports rows the way its users count them."""

from __future__ import annotations

import gzip
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from csmetrics import Workspace
from csmetrics.errors import InputDataError

from .conftest import DATA, rows

CONTRACT_COLUMNS = [
    "contract_id",
    "account_id",
    "product",
    "start_date",
    "arr",
    "currency",
    "billing_term",
]


def _contracts(ws: Workspace) -> list[tuple]:
    return rows(
        ws, "SELECT contract_id, start_date::VARCHAR, arr, billing_term FROM contracts ORDER BY 1"
    )


def test_csv(seeded: Workspace) -> None:
    report = seeded.import_files("contracts", [DATA / "contracts.csv"])
    assert (report.rows_read, report.rows_inserted, report.rows_rejected) == (3, 3, 0)
    # "Annual" is an allowed value in another case: stored as the canonical "annual".
    assert _contracts(seeded) == [
        ("K1", "2026-01-01", 1200.0, "annual"),
        ("K2", "2026-03-01", 600.5, "annual"),
        ("K3", "2026-02-01", 300.0, "monthly"),
    ]


def test_tsv_and_gzipped_csv(seeded: Workspace, tmp_path: Path) -> None:
    packed = tmp_path / "contracts.csv.gz"
    with (DATA / "contracts.csv").open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    report = seeded.import_files("contracts", [DATA / "contracts.tsv", packed])
    # K1 and K2 are in both files: the TSV's rows come first and are kept.
    assert report.rows_read == 5
    tsv = DATA / "contracts.tsv"
    assert [str(r) for r in report.rejections] == [
        f"{packed}:2:contract_id: duplicate key contract_id=K1 (first seen at {tsv}:2)",
        f"{packed}:3:contract_id: duplicate key contract_id=K2 (first seen at {tsv}:3)",
    ]
    assert [r[0] for r in _contracts(seeded)] == ["K1", "K2", "K3"]


def test_parquet_rows_are_data_rows(seeded: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "contracts.parquet"
    table = pa.table(
        {
            "contract_id": ["P1", "P2", "P3"],
            "account_id": ["A1", "A2", "A1"],
            "product": ["router", "router", "router"],
            "start_date": pa.array([date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]),
            "arr": [100.0, -1.0, 250.0],
            "currency": ["USD", "USD", "USD"],
            "licenses": [3.0, 4.0, 5.5],  # floats from a tool that has no integer NULLs
            "billing_term": ["annual", "annual", "monthly"],
        }
    )
    pq.write_table(table, path)
    report = seeded.import_files("contracts", [path])
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (2, "arr", "'-1.0' must not be negative"),
        (3, "licenses", "'5.5' is not a whole number"),
    ]
    assert rows(seeded, "SELECT contract_id, licenses FROM contracts") == [("P1", 3)]


def test_excel_rows_are_sheet_rows(seeded: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "contracts.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append([*CONTRACT_COLUMNS, "licenses"])
    sheet.append(["X1", "A1", "router", datetime(2026, 1, 1), 1000, "USD", "annual", 10])
    sheet.append([None] * 8)  # an empty row, as spreadsheets often have: skipped
    sheet.append(["X2", "A2", "router", "2026-02-01", "n/a", "USD", "annual", None])
    sheet.append(["X3", "A2", "router", "2026-03-01", 99.5, "USD", "monthly", "7"])
    book.save(path)
    report = seeded.import_files("contracts", [path])
    assert (report.rows_read, report.rows_loaded) == (3, 2)
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (4, "arr", "'n/a' is not a number")
    ]
    assert rows(
        seeded, "SELECT contract_id, start_date::VARCHAR, licenses FROM contracts ORDER BY 1"
    ) == [
        ("X1", "2026-01-01", 10),
        ("X3", "2026-03-01", 7),
    ]


def test_json_lines(seeded: Workspace) -> None:
    report = seeded.import_files("events", [DATA / "events.jsonl"])
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (3, "account_id", "'A9' is not a known accounts.account_id"),
        (
            4,
            "event_time",
            "'not a time' is not a timestamp (expected YYYY-MM-DD HH:MM:SS)",
        ),
    ]
    assert report.ignored_columns == ("browser",)
    assert rows(seeded, "SELECT event_type FROM events ORDER BY event_time") == [
        ("sign_in",),
        ("report_viewed",),
    ]


def test_pandas_and_arrow_in_memory(seeded: Workspace) -> None:
    frame = pd.DataFrame(
        {
            "contract_id": ["M1", "M2"],
            "account_id": ["A1", "A2"],
            "product": ["router", "router"],
            "start_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "arr": [100.0, float("nan")],  # NaN is pandas' missing value: arr is required
            "currency": ["USD", "USD"],
            "billing_term": ["annual", "annual"],
        }
    )
    report = seeded.load("contracts", frame, source="frame")
    assert [str(r) for r in report.rejections] == ["frame:2:arr: required value is missing"]
    arrow = pa.Table.from_pandas(frame.iloc[:1].assign(contract_id="M3"), preserve_index=False)
    assert seeded.load("contracts", arrow).rows_inserted == 1
    assert [r[0] for r in _contracts(seeded)] == ["M1", "M3"]


def test_unsupported_and_missing_files_are_one_line_errors(
    seeded: Workspace, tmp_path: Path
) -> None:
    odd = tmp_path / "contracts.docx"
    odd.write_text("hello")
    with pytest.raises(InputDataError, match=r"contracts.docx: unsupported file type"):
        seeded.import_files("contracts", [odd])
    with pytest.raises(InputDataError, match=r"nope.csv: file not found"):
        seeded.import_files("contracts", [tmp_path / "nope.csv"])


def test_malformed_csv_names_the_file_and_loads_nothing(seeded: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    lines = ["contract_id,account_id,product,start_date,arr,currency,billing_term"]
    lines += [f"K{i},A1,router,2026-01-01,10,USD,annual" for i in range(5)]
    lines += ["K9,A1,router,2026-01-01,10,USD,annual,extra,cells"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputDataError) as caught:
        seeded.import_files("contracts", [path])
    assert str(caught.value).startswith(f"{path}:7: cannot read: Expected Number of Columns: 7")
    assert seeded.row_count("contracts") == 0


def test_empty_input_is_an_empty_batch(seeded: Workspace) -> None:
    report = seeded.load("contracts", [])
    assert (report.rows_read, report.rows_loaded, report.ok) == (0, 0, True)


def test_offsets_are_converted_to_utc(seeded: Workspace) -> None:
    from datetime import timedelta, timezone

    eastern = timezone(timedelta(hours=-5))
    report = seeded.load(
        "users",
        [
            {
                "user_id": "U1",
                "account_id": "A1",
                "created_at": datetime(2026, 1, 1, 23, 30, tzinfo=eastern),
            },
            {"user_id": "U2", "account_id": "A1", "created_at": "2026-01-01T23:30:00-05:00"},
            {"user_id": "U3", "account_id": "A1", "created_at": "2026-01-01 23:30"},
        ],
    )
    assert report.ok
    assert rows(seeded, "SELECT user_id, created_at::VARCHAR FROM users ORDER BY 1") == [
        ("U1", "2026-01-02 04:30:00"),
        ("U2", "2026-01-02 04:30:00"),
        ("U3", "2026-01-01 23:30:00"),
    ]
