"""Where a staged row came from, as the number a user can find in the input.

CSV rows are reported by physical line (the header is line 1), which differs from
the record number when quoted fields hold line breaks or the file has blank lines
(the reader skips those). The line of record r is

    header lines + r + line breaks inside records before r

and that is exact when it accounts for every line of the file: total lines ==
header lines + records + inner line breaks + trailing blank lines. The check needs
one pass counting b"\\n" over the file, done only for files with rejected rows.
When it fails (blank lines between records), the lines of the few rejected
records are found by re-reading the file with Python's csv module, which
tracks physical lines and skips blank lines like DuckDB does. Other inputs report
``__row + row_offset``: the data row for Parquet, JSON lines and in-memory data,
the sheet row for Excel. JSON-lines records skip blank lines, so where a file has
some, the lines of rejected records are found by a scan too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from csmetrics.ingest.setchecks import PROBLEMS
from csmetrics.ingest.sources import NL_COLUMN, Source
from csmetrics.ingest.sql import register
from csmetrics.ingest.staging import SEQ_BITS, STAGE, StagedInput
from csmetrics.ingest.textscan import csv_reader, jsonl_record_lines, open_binary

PLACES = "__places"
_MASK = (1 << SEQ_BITS) - 1
_CHUNK = 1 << 20


def resolve_places(
    con: duckdb.DuckDBPyConnection, sources: list[Source], staged: list[StagedInput]
) -> None:
    """Fill ``__places(seq, line)`` for every row named by a problem."""
    con.execute(f"CREATE TEMP TABLE {PLACES} (seq BIGINT, line BIGINT)")
    needed = f"""(SELECT DISTINCT x AS seq FROM (
                    SELECT seq AS x FROM {PROBLEMS}
                    UNION ALL SELECT ref_seq FROM {PROBLEMS} WHERE ref_seq IS NOT NULL))"""
    for index, (source, counts) in enumerate(zip(sources, staged, strict=True)):
        low, high = index << SEQ_BITS, (index + 1) << SEQ_BITS
        in_input = f"n.seq >= {low} AND n.seq < {high}"
        record = f"(n.seq & {_MASK})"
        if not con.execute(f"SELECT 1 FROM {needed} n WHERE {in_input} LIMIT 1").fetchall():
            continue  # nothing to place: the file is not read again
        if source.kind not in ("csv", "jsonl") or _lines_are_exact(source, counts):
            before = "0"
            if source.kind == "csv" and counts.newlines:
                before = f"""coalesce((SELECT sum(s.{NL_COLUMN}) FROM {STAGE} s
                    WHERE s.__seq >= {low} AND s.__seq < n.seq AND s.{NL_COLUMN} > 0), 0)"""
            con.execute(
                f"""INSERT INTO {PLACES}
                    SELECT n.seq, {record} + {source.row_offset} + {before} FROM {needed} n
                    WHERE {in_input}"""
            )
            continue
        records = [
            int(r) & _MASK
            for (r,) in con.execute(f"SELECT n.seq FROM {needed} n WHERE {in_input}").fetchall()
        ]
        if source.kind == "jsonl":
            assert source.path is not None
            lines = jsonl_record_lines(source.path, records)
        else:
            lines = csv_record_lines(source, records)
        found = pa.table(
            {
                "seq": pa.array([low | r for r in lines], pa.int64()),
                "line": pa.array(list(lines.values()), pa.int64()),
            }
        )
        register(con, "__found_lines", found)
        try:
            con.execute(f"INSERT INTO {PLACES} SELECT seq, line FROM __found_lines")
        finally:
            con.unregister("__found_lines")


def _lines_are_exact(source: Source, counts: StagedInput) -> bool:
    assert source.path is not None
    total, trailing_blank = count_lines(source.path)
    expected = source.row_offset + counts.records + counts.newlines
    return total - trailing_blank == expected


def count_lines(path: Path) -> tuple[int, int]:
    """Physical lines of a (possibly gzipped) text file, and how many at the end are blank."""
    total = 0
    last = b""
    with open_binary(path) as handle:
        while chunk := handle.read(_CHUNK):
            total += chunk.count(b"\n")
            last = (last + chunk)[-4096:]
    if not last:
        return 0, 0
    if not last.endswith(b"\n"):
        total += 1
        return total, 0
    tail = len(last) - len(last.rstrip(b"\r\n"))
    trailing_newlines = last[len(last) - tail :].count(b"\n")
    return total, trailing_newlines - 1


def csv_record_lines(source: Source, records: Iterable[int]) -> dict[int, int]:
    """The first physical line of each wanted data record (1-based, header excluded)."""
    wanted = sorted(set(records))
    found: dict[int, int] = {}
    if not wanted or source.path is None:
        return found
    with io.TextIOWrapper(open_binary(source.path), encoding="utf-8-sig", newline="") as text:
        reader = csv_reader(text, source.delimiter)
        previous_end, record, header_seen = 0, 0, False
        target = iter(wanted)
        goal = next(target)
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not row:
                continue
            if not header_seen:
                header_seen = True
                continue
            record += 1
            if record == goal:
                found[goal] = start
                goal = next(target, None)
                if goal is None:
                    break
    return found
