"""Stage a batch: every input row cast to the canonical types, with its row-level problems.

The stage is one temporary table per batch, filled by one ``INSERT ... SELECT`` per
input, so DuckDB streams each file through the casts and checks without Python
seeing a row. Columns: ``__seq`` (input index << 40 | record number: unique, and
ordered like the inputs), ``__nl`` (CSV line breaks inside the record), the typed
canonical columns, ``__errs`` (the row's problems, NULL when clean) and ``__raw``
(the row as read, as JSON, kept only for rows with problems). Records whose cells
are all empty are staged with ``__blank`` and removed after their lines are counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from csmetrics.ingest import casting
from csmetrics.ingest.checks import cast_problems, problem_list, row_problems, value_problems
from csmetrics.ingest.frames import ROW_COLUMN
from csmetrics.ingest.mapping import ColumnMap
from csmetrics.ingest.sources import NL_COLUMN, Source
from csmetrics.ingest.sql import ident, lit
from csmetrics.schema import ColumnType, Table

STAGE = "__stage"
SEQ_BITS = 40
PROBLEM_TYPE = 'STRUCT("column" VARCHAR, reason VARCHAR)[]'


@dataclass(frozen=True)
class StagedInput:
    """What staging learned about one input: records read, blank records, line breaks."""

    records: int
    blank: int
    newlines: int


def create_stage(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    columns = ", ".join(f"{ident(c.name)} {c.type.sql}" for c in table.columns)
    con.execute(
        f"CREATE TEMP TABLE {STAGE} (__seq BIGINT, {NL_COLUMN} INTEGER, __blank BOOLEAN, "
        f"{columns}, __errs {PROBLEM_TYPE}, __raw VARCHAR)"
    )


def stage_input(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: Source,
    cmap: ColumnMap,
    index: int,
    date_formats: tuple[str, ...],
) -> StagedInput:
    """Insert one input into the stage; return its record, blank and line-break counts."""
    con.execute(f"INSERT INTO {STAGE} {stage_select(table, source, cmap, index, date_formats)}")
    low, high = index << SEQ_BITS, (index + 1) << SEQ_BITS
    counts = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE __blank), coalesce(sum({NL_COLUMN}), 0) "
        f"FROM {STAGE} WHERE __seq >= {low} AND __seq < {high}"
    ).fetchone()
    records, blank, newlines = (int(v) for v in counts) if counts else (0, 0, 0)
    if blank:
        con.execute(f"DELETE FROM {STAGE} WHERE __blank AND __seq >= {low} AND __seq < {high}")
    return StagedInput(records, blank, newlines)


def stage_select(
    table: Table, source: Source, cmap: ColumnMap, index: int, date_formats: tuple[str, ...]
) -> str:
    raw_cols, typed_cols, problems = [], [], []
    for col in table.columns:
        raw, typed = ident(f"__r_{col.name}"), ident(f"__t_{col.name}")
        header = cmap.source_for.get(col.name)
        if header is None:
            raw_cols.append(f"NULL AS {raw}")
            typed_cols.append(f"CAST(NULL AS {col.type.sql}) AS {typed}")
            continue
        source_type = source.types[header]
        raw_cols.append(f"{casting.normalized_raw(ident(header), source_type)} AS {raw}")
        expr = casting.typed(raw, source_type, col.type, date_formats)
        if col.allowed and col.type is ColumnType.STRING:
            # Exports often capitalise enumerations ("Annual"); the canonical value is lower case.
            allowed = ", ".join(lit(v) for v in col.allowed)
            expr = f"CASE WHEN lower({expr}) IN ({allowed}) THEN lower({expr}) ELSE {expr} END"
        typed_cols.append(f"{expr} AS {typed}")
        problems.extend(cast_problems(col, raw, typed, date_formats))
        problems.extend(value_problems(col, typed, raw))
    problems.extend(row_problems(table, lambda name: ident(f"__t_{name}")))

    headers = [ident(h) for h in source.headers]
    blank = " AND ".join(f"{h} IS NULL" for h in headers) or "true"
    raw_json = ", ".join(f"{ident(h)} := {ident(h)}" for h in source.headers)
    raw_json_sql = f"CAST(to_json(struct_pack({raw_json})) AS VARCHAR)" if raw_json else "'{}'"
    out_cols = ", ".join(f"{ident(f'__t_{c.name}')} AS {ident(c.name)}" for c in table.columns)
    return f"""
WITH l1 AS (
  SELECT *, {", ".join(raw_cols)}, ({blank}) AS __blank FROM {source.relation}
), l2 AS (
  SELECT *, {", ".join(typed_cols)} FROM l1
), l3 AS (
  SELECT *, {problem_list(problems)} AS __all FROM l2
)
SELECT
  ({index}::BIGINT << {SEQ_BITS}) | {ROW_COLUMN} AS __seq,
  {NL_COLUMN},
  __blank,
  {out_cols},
  CASE WHEN len(__all) > 0 AND NOT __blank THEN __all END AS __errs,
  CASE WHEN len(__all) > 0 AND NOT __blank THEN {raw_json_sql} END AS __raw
FROM l3"""
