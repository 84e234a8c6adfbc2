"""The store's record of imports: ``_imports`` (one row per batch) and ``_quarantine``.

Both are written inside the batch's transaction, so the ledger never claims a
batch the tables do not hold. A quarantine row is one problem of one rejected row:
where it came from (file, row, column), why, and the row itself as JSON (as read
for rows failing value checks; as it would have loaded for key problems).
Re-importing a file supersedes that file's earlier quarantine rows for the table,
so the quarantine lists what is wrong with the latest version of each input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from csmetrics.ingest.lines import PLACES
from csmetrics.ingest.report import Rejection
from csmetrics.ingest.setchecks import PROBLEMS
from csmetrics.ingest.sql import ident
from csmetrics.ingest.staging import SEQ_BITS, STAGE
from csmetrics.schema import Table

IMPORTS = "_imports"
QUARANTINE = "_quarantine"
REJECTS = "__rejects"
FILES = "__files"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {IMPORTS} (
      batch_id VARCHAR, table_name VARCHAR, files VARCHAR[], content_hashes VARCHAR[],
      rows_read BIGINT, rows_loaded BIGINT, rows_inserted BIGINT, rows_updated BIGINT,
      rows_unchanged BIGINT, rows_rejected BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {QUARANTINE} (
      batch_id VARCHAR, table_name VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR,
      reason VARCHAR, raw VARCHAR, imported_at TIMESTAMP)""",
)


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    table: str
    files: tuple[str, ...]
    hashes: tuple[str, ...]
    read: int
    loaded: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    started_at: datetime
    finished_at: datetime


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _DDL:
        con.execute(ddl)


def quarantine(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    batch_id: str,
    names: Sequence[str],
    supersede: Sequence[str],
    imported_at: datetime,
) -> None:
    """Write this batch's problems to ``_quarantine`` (dropping superseded ones first)."""
    con.execute(f"CREATE TEMP TABLE {FILES} (idx BIGINT, name VARCHAR)")
    con.executemany(f"INSERT INTO {FILES} VALUES (?, ?)", list(enumerate(names)))
    typed_row = ", ".join(f"{ident(c.name)} := s.{ident(c.name)}" for c in table.columns)
    con.execute(
        f"""CREATE TEMP TABLE {REJECTS} AS
            SELECT p.seq, f.name AS file, pl.line AS "row", p."column",
                   p.reason || CASE WHEN p.ref_seq IS NULL THEN ''
                                    ELSE ' (first seen at ' || rf.name || ':' || rpl.line || ')' END
                     AS reason,
                   coalesce(s.__raw, CAST(to_json(struct_pack({typed_row})) AS VARCHAR)) AS raw
            FROM {PROBLEMS} p
            JOIN {STAGE} s ON s.__seq = p.seq
            JOIN {FILES} f ON f.idx = p.seq >> {SEQ_BITS}
            JOIN {PLACES} pl ON pl.seq = p.seq
            LEFT JOIN {PLACES} rpl ON rpl.seq = p.ref_seq
            LEFT JOIN {FILES} rf ON rf.idx = p.ref_seq >> {SEQ_BITS}"""
    )
    if supersede:
        con.execute(
            f"DELETE FROM {QUARANTINE} WHERE table_name = ? AND list_contains(?, file)",
            [table.name, list(supersede)],
        )
    con.execute(
        f"""INSERT INTO {QUARANTINE}
            SELECT ?, ?, file, "row", "column", reason, raw, ? FROM {REJECTS}
            ORDER BY seq, "column\"""",
        [batch_id, table.name, imported_at],
    )


def first_rejections(
    con: duckdb.DuckDBPyConnection, limit: int
) -> tuple[tuple[Rejection, ...], int]:
    """The first ``limit`` problems of the batch in input order, and how many there are."""
    rows = con.execute(
        f'SELECT file, "row", "column", reason FROM {REJECTS} ORDER BY seq, "column" LIMIT ?',
        [limit],
    ).fetchall()
    total = con.execute(f"SELECT count(*) FROM {REJECTS}").fetchone()
    rejections = tuple(Rejection(f, int(r), c, reason) for f, r, c, reason in rows)
    return rejections, int(total[0]) if total else 0


def record_batch(con: duckdb.DuckDBPyConnection, record: BatchRecord) -> None:
    con.execute(
        f"INSERT INTO {IMPORTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.batch_id,
            record.table,
            list(record.files),
            list(record.hashes),
            record.read,
            record.loaded,
            record.inserted,
            record.updated,
            record.unchanged,
            record.rejected,
            record.started_at,
            record.finished_at,
        ],
    )


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, table: str | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Quarantined problems, newest batch first, in input order within a batch."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [QUARANTINE],
    ).fetchone()
    columns = ["table_name", "file", "row", "column", "reason", "raw", "batch_id", "imported_at"]
    if not exists or not exists[0]:
        return pd.DataFrame(columns=columns)
    where = "WHERE table_name = ?" if table else ""
    params: list[object] = [table] if table else []
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    selected = ", ".join(f'"{c}"' for c in columns)
    return con.execute(
        f"""SELECT {selected} FROM {QUARANTINE} {where}
            ORDER BY imported_at DESC, table_name, file, "row", "column" {limit_sql}""",
        params,
    ).df()
