"""Inputs as DuckDB relations: every source exposes its columns plus ``__row`` and ``__nl``.

CSV, Parquet and JSON lines are read by DuckDB itself, so a file is streamed
through SQL and never held in Python. ``__row`` is the 1-based record number in
the input (Parquet: ``file_row_number``; CSV and JSON lines: ``row_number() OVER ()``
over a scan that keeps file order; Excel and in-memory data: explicit). ``__nl`` is
the number of line breaks inside a CSV record's quoted fields, which turns record
numbers into physical line numbers (see ``lines.py``). ``row_offset`` is what to
add to ``__row`` for the number a user sees: 1 for a CSV header line, 0 otherwise
(Excel rows are already the sheet's row numbers).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from csmetrics.config import Config
from csmetrics.errors import InputDataError
from csmetrics.ingest.frames import ROW_COLUMN, to_arrow, unique_headers
from csmetrics.ingest.sql import ident, lit

NL_COLUMN = "__nl"
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUPPORTED = CSV_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES + EXCEL_SUFFIXES


@dataclass
class Source:
    """One input of a batch, ready to be selected from."""

    name: str
    kind: str
    relation: str
    headers: tuple[str, ...]
    types: dict[str, str]
    row_offset: int = 0
    path: Path | None = None
    ordered: bool = False
    delimiter: str = ","
    rows_hint: int | None = None
    release: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for release in self.release:
            release()


def file_kind(path: Path) -> str:
    name = path.name.lower()
    for kind, suffixes in (
        ("csv", CSV_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("excel", EXCEL_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    raise InputDataError(f"{path}: unsupported file type; expected one of {', '.join(SUPPORTED)}")


def open_file(
    con: duckdb.DuckDBPyConnection, key: str, *, path: Path, config: Config, table: str
) -> Source:
    """Describe a file as a relation; raises InputDataError naming the file when unreadable."""
    kind = file_kind(path)
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    try:
        if kind == "csv":
            return _csv(con, path, config)
        if kind == "parquet":
            return _parquet(con, path)
        if kind == "jsonl":
            return _jsonl(con, path)
        from csmetrics.ingest.excel import read_excel

        return open_arrow(
            con, read_excel(path, sheet=table), str(path), key, kind="excel", path=path
        )
    except duckdb.Error as exc:
        raise InputDataError(f"{path}: cannot read {kind} file: {_first_line(exc)}") from None


def open_memory(con: duckdb.DuckDBPyConnection, data: Any, name: str, key: str) -> Source:
    """In-memory rows (Arrow, pandas, dicts), numbered from 1 in the order given."""
    return open_arrow(con, to_arrow(data, name), name, key, kind="memory")


def open_arrow(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    name: str,
    key: str,
    *,
    kind: str,
    path: Path | None = None,
) -> Source:
    """Register an Arrow table that already has its ``__row`` numbers as a view."""
    view = f"__input_{key}"
    con.register(view, table)
    source = _describe(con, view, name, kind, path=path)
    source.relation = f"(SELECT *, 0 AS {NL_COLUMN} FROM {ident(view)})"
    source.rows_hint = table.num_rows
    source.release.append(lambda: con.unregister(view))
    return source


def _csv(con: duckdb.DuckDBPyConnection, path: Path, config: Config) -> Source:
    """Header read here, the rest by DuckDB with every option explicit (no sniffing).

    Explicit columns make a record with too many or too few cells an error naming
    its line, instead of a guess about where the header is.
    """
    tab = path.name.lower().endswith((".tsv", ".tsv.gz"))
    delimiter = "\t" if tab else (config.imports.csv_delimiter or ",")
    raw_header = _csv_header(path, delimiter)
    headers = unique_headers(raw_header)
    columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in headers) + "}"
    scan = (
        f"read_csv({lit(str(path))}, columns={columns}, header=true, auto_detect=false, "
        f"delim={lit(delimiter)}, quote='\"', escape='\"', strict_mode=true)"
    )
    newlines = " + ".join(
        f"coalesce(length({ident(h)}) - length(replace({ident(h)}, chr(10), '')), 0)"
        for h in headers
    )
    return Source(
        name=str(path),
        kind="csv",
        relation=(
            f"(SELECT *, row_number() OVER () AS {ROW_COLUMN}, "
            f"CAST({newlines or '0'} AS INTEGER) AS {NL_COLUMN} FROM {scan})"
        ),
        headers=tuple(headers),
        types=dict.fromkeys(headers, "VARCHAR"),
        row_offset=1 + sum(h.count("\n") for h in raw_header),
        path=path,
        ordered=True,
        delimiter=delimiter,
    )


def _csv_header(path: Path, delimiter: str) -> list[str]:
    """The first record of the file (quoted names may hold delimiters or line breaks)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as text:  # type: ignore[operator]
            for record in csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True):
                if record:
                    return record
    except UnicodeDecodeError as exc:
        raise InputDataError(f"{path}: not UTF-8 text ({exc.reason}); re-export as UTF-8") from None
    except (OSError, csv.Error) as exc:
        raise InputDataError(f"{path}: cannot read the header: {exc}") from None
    raise InputDataError(f"{path}: the file is empty (expected a header line)")


def _parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    scan = f"read_parquet({lit(str(path))}, file_row_number=true)"
    source = _describe(con, scan, str(path), "parquet", path=path, hidden=("file_row_number",))
    source.relation = (
        f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {ROW_COLUMN}, "
        f"0 AS {NL_COLUMN} FROM {scan})"
    )
    meta = con.execute(
        f"SELECT sum(num_rows) FROM parquet_file_metadata({lit(str(path))})"
    ).fetchone()
    source.rows_hint = int(meta[0]) if meta and meta[0] is not None else None
    return source


def _jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Each line is one JSON object; every value is taken as text and cast like a CSV cell."""
    scan = f"read_ndjson_objects({lit(str(path))})"
    keys = con.execute(
        f"""SELECT k FROM (
              SELECT row_number() OVER () AS i, json_keys(json) AS ks FROM {scan}
            ), unnest(ks) AS t(k)
            GROUP BY k ORDER BY min(i), min(list_position(ks, k))"""
    ).fetchall()
    headers = tuple(str(k) for (k,) in keys)
    fields = ", ".join(
        f"json_extract_string(json, {lit(_json_path(h))}) AS {ident(h)}" for h in headers
    )
    select = f"{fields}, " if fields else ""
    relation = (
        f"(SELECT {select}row_number() OVER () AS {ROW_COLUMN}, 0 AS {NL_COLUMN} FROM {scan})"
    )
    return Source(
        name=str(path),
        kind="jsonl",
        relation=relation,
        headers=headers,
        types=dict.fromkeys(headers, "VARCHAR"),
        path=path,
        ordered=True,
    )


def _describe(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    name: str,
    kind: str,
    *,
    path: Path | None = None,
    hidden: tuple[str, ...] = (),
) -> Source:
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    types = {
        str(col): str(dtype)
        for col, dtype, *_ in described
        if col not in hidden and col != ROW_COLUMN
    }
    return Source(
        name=name, kind=kind, relation=relation, headers=tuple(types), types=types, path=path
    )


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
