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

import codecs
import csv
import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from csmetrics.config import Config
from csmetrics.errors import InputDataError
from csmetrics.ingest.frames import ROW_COLUMN, to_arrow, unique_headers
from csmetrics.ingest.sql import ident, lit, register
from csmetrics.ingest.textscan import (
    MAX_LINE_BYTES,
    csv_reader,
    jsonl_record_lines,
    jsonl_repeated_key,
    open_binary,
)

NL_COLUMN = "__nl"
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_NOT_OBJECT = "\x00not an object"
_REPEATED = "\x00repeated key"
_JSON_KINDS = {"ARRAY": "an array", "VARCHAR": "a string", "BOOLEAN": "true/false", "NULL": "null"}
_UTF16 = "{path}: UTF-16 text (or binary data); re-export as UTF-8"
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
    raw_headers: tuple[str, ...] | None = None
    """Column names as the file spells them, repeats kept (``headers`` are made unique)."""
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

        sheet, raw_headers = read_excel(path, sheet=table)
        source = open_arrow(con, sheet, str(path), key, kind="excel", path=path)
        source.raw_headers = raw_headers
        return source
    except duckdb.Error as exc:
        text = _first_line(exc).removeprefix("Invalid Input Error: ")[:300]
        raise InputDataError(f"{path}: cannot read {kind} file: {text}") from None


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
    register(con, view, table)
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
        f"delim={lit(delimiter)}, quote='\"', escape='\"', strict_mode=true, "
        f"max_line_size={MAX_LINE_BYTES})"
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
        raw_headers=tuple(h.strip() for h in raw_header),
        row_offset=1 + sum(h.count("\n") for h in raw_header),
        path=path,
        ordered=True,
        delimiter=delimiter,
    )


def _csv_header(path: Path, delimiter: str) -> list[str]:
    """The first record of the file (quoted names may hold delimiters or line breaks)."""
    utf16 = False
    try:
        with open_binary(path) as raw:
            utf16 = raw.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        with io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="") as text:
            for record in csv_reader(text, delimiter):
                if record:
                    utf16 = utf16 or any("\x00" in name for name in record)
                    if utf16:
                        break
                    return record
    except UnicodeDecodeError as exc:
        if utf16:
            raise InputDataError(_UTF16.format(path=path)) from None
        raise InputDataError(f"{path}: not UTF-8 text ({exc.reason}); re-export as UTF-8") from None
    except (OSError, EOFError, zlib.error, csv.Error) as exc:
        raise InputDataError(f"{path}: cannot read the header: {exc}") from None
    if utf16:
        raise InputDataError(_UTF16.format(path=path))
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
    source.raw_headers = _parquet_names(path)
    return source


def _parquet_names(path: Path) -> tuple[str, ...] | None:
    """Top-level column names as written (DuckDB renames a repeated name to ``name_1``)."""
    import pyarrow.parquet as pq

    try:
        return tuple(pq.read_schema(path).names)
    except (OSError, ValueError, pa.ArrowException):
        return None  # DuckDB read the file; its names are the best there is


def _jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Each line is one JSON object; every value is taken as text and cast like a CSV cell.

    One scan finds the keys (in order of first appearance) and the first line that is
    not an object or repeats a key: such a line has no unambiguous row, so the file
    is refused naming it, like a CSV record with the wrong number of cells.
    """
    scan = f"read_ndjson_objects({lit(str(path))})"
    try:
        with open_binary(path) as raw:
            head = raw.read(4096)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputDataError(f"{path}: cannot read jsonl file: {exc}") from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise InputDataError(_UTF16.format(path=path))  # JSON text never holds a raw NUL
    if head.startswith(codecs.BOM_UTF8):
        raise InputDataError(
            f"{path}: starts with a byte order mark, which JSON lines must not hold; "
            "re-export as UTF-8 without BOM"
        )
    try:
        found = con.execute(
            f"""SELECT k, min(i) FROM (
                  SELECT row_number() OVER () AS i, json_type(json) AS t, json_keys(json) AS ks
                  FROM {scan}
                ), unnest(CASE
                    WHEN t IS DISTINCT FROM 'OBJECT' THEN [{lit(_NOT_OBJECT)}]
                    WHEN len(ks) > len(list_distinct(ks)) THEN list_append(ks, {lit(_REPEATED)})
                    ELSE ks END) AS u(k)
                GROUP BY k ORDER BY min(i), min(list_position(ks, k))"""
        ).fetchall()
    except duckdb.Error as exc:
        raise InputDataError(_json_error(path, exc)) from None
    firsts = dict(found)
    _check_json_objects(con, path, scan, firsts)
    headers = tuple(str(k) for k in firsts if k not in (_NOT_OBJECT, _REPEATED))
    # No key anywhere: the file is empty or holds only {} (blank records), an empty batch.
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
        rows_hint=None if headers else 0,
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


def _check_json_objects(
    con: duckdb.DuckDBPyConnection, path: Path, scan: str, firsts: dict[str, int]
) -> None:
    """Refuse the file at its first line that is not one object with distinct keys."""
    bad = {k: firsts[k] for k in (_NOT_OBJECT, _REPEATED) if k in firsts}
    if not bad:
        return
    kind, record = min(bad.items(), key=lambda item: item[1])
    line = jsonl_record_lines(path, [record]).get(record, record)
    if kind == _REPEATED:
        key = jsonl_repeated_key(path, line)
        named = f"key {key!r}" if key is not None else "a key"
        raise InputDataError(f"{path}:{line}: {named} appears twice in the object; keep one")
    found = con.execute(
        f"SELECT json_type(json) FROM (SELECT row_number() OVER () AS i, json FROM {scan}) "
        f"WHERE i = {int(record)}"
    ).fetchone()
    kind_found = str(found[0]) if found and found[0] else "NULL"
    what = _JSON_KINDS.get(kind_found, "a number")
    raise InputDataError(f"{path}:{line}: expected one JSON object per line, found {what}")


def _json_error(path: Path, exc: BaseException) -> str:
    """One line for malformed JSON, at the physical line (DuckDB counts one past the record)."""
    text = _first_line(exc).removeprefix("Invalid Input Error: ")
    where = re.search(r"in line (\d+): (.*?)\.?\s*$", text)
    if "Malformed JSON" in text and where:
        record = max(int(where.group(1)) - 1, 1)
        line = jsonl_record_lines(path, [record]).get(record, record)
        cause = where.group(2).split(". Try ")[0]
        return f"{path}:{line}: cannot read: malformed JSON ({cause})"
    return f"{path}: cannot read jsonl file: {text[:300]}"


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
