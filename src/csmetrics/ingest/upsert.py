"""Write the loadable rows of a batch into the canonical table, by primary key.

A row whose key is new is inserted; a row whose key exists replaces the stored
row when any value differs (updated) and is left alone when all are equal
(unchanged), so re-importing a file changes nothing. The large events table has
every column in its key, so there a row either exists already or is inserted:
one anti-join, no per-row comparison and no delete.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from csmetrics.ingest.setchecks import VALID
from csmetrics.ingest.sql import ident, lit
from csmetrics.schema import Table

ACTIONS = "__actions"


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def upsert(con: duckdb.DuckDBPyConnection, table: Table, loaded: int) -> UpsertCounts:
    target = ident(table.name)
    columns = ", ".join(ident(c.name) for c in table.columns)
    key_match = " AND ".join(f"t.{ident(k)} = v.{ident(k)}" for k in table.primary_key)
    if table.large:
        inserted = _count(
            con.execute(
                f"""INSERT INTO {target} ({columns})
                    SELECT {columns} FROM {VALID} v
                    WHERE NOT EXISTS (
                      SELECT 1 FROM {target} t WHERE {key_match}{_time_window(con, table)})"""
            )
        )
        return UpsertCounts(inserted, 0, loaded - inserted)

    same = " AND ".join(
        f"t.{ident(c.name)} IS NOT DISTINCT FROM v.{ident(c.name)}" for c in table.columns
    )
    con.execute(
        f"""CREATE TEMP TABLE {ACTIONS} AS
            SELECT v.__seq AS seq,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM {target} t WHERE {key_match}) THEN 'insert'
                        WHEN EXISTS (SELECT 1 FROM {target} t WHERE {key_match} AND {same})
                        THEN 'same' ELSE 'update' END AS action
            FROM {VALID} v"""
    )
    counts = dict(con.execute(f"SELECT action, count(*) FROM {ACTIONS} GROUP BY action").fetchall())
    if counts.get("update"):
        con.execute(
            f"""DELETE FROM {target} t WHERE EXISTS (
                  SELECT 1 FROM {VALID} v JOIN {ACTIONS} a ON a.seq = v.__seq
                  WHERE a.action = 'update' AND {key_match})"""
        )
    if counts.get("insert") or counts.get("update"):
        con.execute(
            f"""INSERT INTO {target} ({columns})
                SELECT {", ".join(f"v.{ident(c.name)}" for c in table.columns)}
                FROM {VALID} v JOIN {ACTIONS} a ON a.seq = v.__seq
                WHERE a.action <> 'same'"""
        )
    return UpsertCounts(
        int(counts.get("insert", 0)), int(counts.get("update", 0)), int(counts.get("same", 0))
    )


def _time_window(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    """Restrict the stored side to the batch's time range when time is part of the key.

    DuckDB skips row groups outside the range by their min/max, so a new day of
    events is compared with that day only, not with the whole history.
    """
    time_column = table.time_column
    if time_column is None or time_column not in table.primary_key:
        return ""
    column = ident(time_column)
    low, high = con.execute(
        f"SELECT CAST(min({column}) AS VARCHAR), CAST(max({column}) AS VARCHAR) FROM {VALID}"
    ).fetchone() or (None, None)
    if low is None or high is None:
        return ""
    sql_type = table.column(time_column).type.sql
    return f" AND t.{column} BETWEEN CAST({lit(low)} AS {sql_type}) AND CAST({lit(high)} AS {sql_type})"


def _count(result: duckdb.DuckDBPyConnection) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0
