"""Cross-table integrity of the whole store, for ``csmetrics validate``.

The importer keeps each batch clean, but a store can still be incomplete (a
required table never imported), or hold rows written by other means (the demo
generator, a warehouse sync) or orphaned since (a parent re-imported without a
child's key). Every check is one set-based query per table; all problems are
returned together, each naming the table and column, how many rows and an example.
"""

from __future__ import annotations

import duckdb

from csmetrics.ingest.checks import stored_row_problems
from csmetrics.ingest.sql import ident, lit, printable
from csmetrics.schema import TABLES, Table


def check_store(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every integrity problem of the store, as one line each (empty when all is well)."""
    existing = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    problems: list[str] = []
    for table in TABLES:
        rows = _count(con, table) if table.name in existing else 0
        if rows == 0:
            if table.required:
                problems.append(f"{table.name}: required table is empty; import it first")
            continue
        problems.extend(_duplicate_keys(con, table))
        problems.extend(_orphans(con, table, existing))
        problems.extend(_row_checks(con, table))
    return problems


def _count(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    row = con.execute(f"SELECT count(*) FROM {ident(table.name)}").fetchone()
    return int(row[0]) if row else 0


def _duplicate_keys(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    keys = ", ".join(ident(k) for k in table.primary_key)
    shown = " || ', ' || ".join(
        f"{lit(k + '=')} || {printable(ident(k))}" for k in table.primary_key
    )
    row = con.execute(
        f"""SELECT count(*), arg_max(example, n), max(n) FROM (
              SELECT {shown} AS example, count(*) AS n FROM {ident(table.name)}
              GROUP BY {keys} HAVING count(*) > 1)"""
    ).fetchone()
    if not row or not row[0]:
        return []
    return [
        f"{table.name}: {row[0]} primary key value(s) appear more than once, "
        f"e.g. {row[1]} ({row[2]} rows)"
    ]


def _orphans(con: duckdb.DuckDBPyConnection, table: Table, existing: set[str]) -> list[str]:
    problems = []
    for column, fk in table.foreign_keys:
        parent = ident(fk.table)
        if fk.table not in existing:
            continue
        row = con.execute(
            f"""SELECT count(*), min(c.{ident(column)}) FROM {ident(table.name)} c
                WHERE c.{ident(column)} IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM {parent} p WHERE p.{ident(fk.column)} = c.{ident(column)})"""
        ).fetchone()
        if row and row[0]:
            problems.append(
                f"{table.name}.{column}: {row[0]} row(s) reference a missing "
                f"{fk.table}.{fk.column}, e.g. {row[1]!r}"
            )
    return problems


def _row_checks(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    checks = stored_row_problems(table)
    if not checks:
        return []
    selects = ", ".join(
        f"count(*) FILTER (WHERE ({c}) IS NOT NULL), "
        f'min(({c})."column") FILTER (WHERE ({c}) IS NOT NULL), '
        f"min(({c}).reason) FILTER (WHERE ({c}) IS NOT NULL)"
        for c in checks
    )
    row = con.execute(f"SELECT {selects} FROM {ident(table.name)}").fetchone() or ()
    problems = []
    for i in range(0, len(row), 3):
        count, column, reason = row[i : i + 3]
        if count:
            problems.append(f"{table.name}.{column}: {count} row(s) break a rule, e.g. {reason}")
    return problems
