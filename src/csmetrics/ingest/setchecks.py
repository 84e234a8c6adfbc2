"""Checks that need more than one row: foreign keys and duplicate keys in the batch.

Every problem found in a batch lands in ``__problems`` (seq, column, reason,
ref_seq); ``ref_seq`` points at another staged row (the first occurrence of a
duplicate key) so its place can be named once line numbers are known. A row is
loadable when it has no problem at all (``__valid``). Order matters:
row-level problems first, then foreign keys (a reference to a row of the same
batch counts only if that row is itself loadable, re-checked until stable for
self-references such as ``csms.manager_id``), then duplicates among what is left,
keeping the first occurrence.
"""

from __future__ import annotations

import duckdb

from csmetrics.ingest.checks import shown
from csmetrics.ingest.sql import ident, lit, printable
from csmetrics.ingest.staging import STAGE
from csmetrics.schema import ForeignKey, Table

PROBLEMS = "__problems"
VALID = "__valid"


def collect_problems(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """Fill ``__problems`` and define ``__valid``; return the number of rejected rows."""
    con.execute(
        f'CREATE TEMP TABLE {PROBLEMS} (seq BIGINT, "column" VARCHAR, reason VARCHAR, ref_seq BIGINT)'
    )
    con.execute(
        f"""INSERT INTO {PROBLEMS}
            SELECT __seq, p."column", p.reason, NULL
            FROM (SELECT __seq, unnest(__errs) AS p FROM {STAGE} WHERE __errs IS NOT NULL)"""
    )
    con.execute(
        f"""CREATE TEMP VIEW {VALID} AS
            SELECT * FROM {STAGE} s
            WHERE s.__errs IS NULL AND NOT EXISTS (SELECT 1 FROM {PROBLEMS} p WHERE p.seq = s.__seq)"""
    )
    for column, fk in table.foreign_keys:
        _check_foreign_key(con, table, column, fk)
    _check_duplicates(con, table)
    row = con.execute(f"SELECT count(DISTINCT seq) FROM {PROBLEMS}").fetchone()
    return int(row[0]) if row else 0


def _check_foreign_key(
    con: duckdb.DuckDBPyConnection, table: Table, column: str, fk: ForeignKey
) -> None:
    value, target = f"s.{ident(column)}", ident(fk.column)
    in_store = f"EXISTS (SELECT 1 FROM {ident(fk.table)} r WHERE r.{target} = {value})"
    reason = f"{shown(value)} || {lit(f' is not a known {fk.table}.{fk.column}')}"
    if fk.table != table.name:
        con.execute(
            f"""INSERT INTO {PROBLEMS}
                SELECT s.__seq, {lit(column)}, {reason}, NULL FROM {STAGE} s
                WHERE {value} IS NOT NULL AND NOT {in_store}"""
        )
        return
    # A self-reference may point at a row of this batch, but only at one that will load.
    in_batch = f"EXISTS (SELECT 1 FROM {VALID} b WHERE b.{target} = {value})"
    while True:
        inserted = con.execute(
            f"""INSERT INTO {PROBLEMS}
                SELECT s.__seq, {lit(column)}, {reason}, NULL FROM {VALID} s
                WHERE {value} IS NOT NULL AND NOT {in_store} AND NOT {in_batch}"""
        ).fetchone()
        if not inserted or not inserted[0]:
            break


def _check_duplicates(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Later rows with the key of an earlier loadable row are rejected, naming the first.

    Grouping by a 64-bit hash of the key first keeps the big aggregate small (one
    integer per row instead of the key's strings); only rows whose hash repeats are
    then grouped by the real key, so a hash collision can never reject a row.
    """
    keys = table.primary_key
    key_list = ", ".join(ident(k) for k in keys)
    joined = " AND ".join(f"s.{ident(k)} = d.{ident(k)}" for k in keys)
    shown_key = " || ', ' || ".join(f"{lit(k + '=')} || {printable(f's.{ident(k)}')}" for k in keys)
    con.execute(
        f"""INSERT INTO {PROBLEMS}
            WITH repeated AS MATERIALIZED (
              SELECT * FROM {VALID} WHERE hash({key_list}) IN (
                SELECT hash({key_list}) AS h FROM {VALID} GROUP BY h HAVING count(*) > 1)
            )
            SELECT s.__seq, {lit(",".join(keys))}, 'duplicate key ' || {shown_key}, d.first_seq
            FROM repeated s
            JOIN (SELECT {key_list}, min(__seq) AS first_seq FROM repeated
                  GROUP BY {key_list} HAVING count(*) > 1) d ON {joined}
            WHERE s.__seq <> d.first_seq"""
    )
