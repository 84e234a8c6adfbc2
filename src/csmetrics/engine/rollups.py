"""Derived tables kept in the store and refreshed incrementally from an append-only source.

A ``Rollup`` is a derived table defined by an Ibis expression over one source table
(``build``), plus how a source row maps to the *slice* of the derived table it
feeds (``slices``: e.g. the (account_id, day) of an event). The engine knows no KPI;
the expressions come from ``kpis.rollups``.

Refresh protocol (DuckDB):

* ``_rollups`` holds one row per derived table: the source's rowid watermark (the
  highest source rowid already rolled up), the source row count at that moment, the
  number of import batches of the source in ``_imports`` and when it ran.
* The source is append-only (the importer inserts new event keys and never
  deletes), so the rows added since the last refresh are exactly those with a rowid
  above the watermark.
* An incremental refresh takes those new rows, finds the slices they touch, deletes
  those slices from the derived table and recomputes them from the *whole* source
  (bounded by the slices' time range so zone maps skip the rest). A slice is thus
  always a full recompute of itself, so the result equals a full rebuild.
* Everything (delete, insert, watermark) runs in one transaction: a crash leaves the
  previous consistent state and the next ``refresh`` catches up.
* A full rebuild happens when the derived table is missing or has another shape than
  its expression (an older version), or when the source looks rewritten (fewer rows
  than recorded, or a watermark beyond the source's rowids).

Two refinements keep the rollups small and the rebuild to one pass over the source:

* ``encode``: a string column of the source (e.g. ``event_type``) is kept as bits of a
  BIGINT mask, one bit per value, so a rollup row covers every value at once. The
  value -> bit dictionary lives in ``_rollup_codes``; it is append-only between full
  rebuilds, which re-assign it (preferred values first, then by frequency). At most
  ``MAX_CODES`` values get their own bit; the rest share ``OTHER_BIT``, and a reader
  asking for such a value must fall back to the source.
* ``reads``: a rollup may be computed from another rollup (the month rollup from the
  day rollup) instead of the source. Its slices are still found from the new source
  rows; a touched slice is recomputed from the rows of ``reads`` in its time range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from csmetrics.errors import EngineError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.engine.connection import Engine

STATE = "_rollups"
CODES = "_rollup_codes"
MAX_CODES = 62  # bits 0..61 name one value each; bit 62 is shared by the rest
OTHER_BIT = 62
_NEW = "__rollup_new"
_TOUCHED = "__rollup_touched"
_SCOPE = "__rollup_scope"


@dataclass(frozen=True)
class Rollup:
    """A derived table: ``build(rows, codes) -> rows``; ``slices(source)`` adds the slice keys.

    ``time_column`` is the source's time column and ``span`` the width of a slice in
    time ("day" or "month"), used to bound the recompute to the touched time range.
    ``order_by`` sorts a full rebuild so zone maps prune reads by time. ``encode``
    names a source column kept as bits (``codes`` maps its values to bit numbers);
    ``reads``/``reads_time`` name the table ``build`` reads when it is not the source.
    """

    name: str
    source: str
    time_column: str
    span: Literal["day", "month"]
    slice_keys: tuple[str, ...]
    slices: Callable[[ir.Table], ir.Table]
    build: Callable[[ir.Table, Mapping[str, int]], ir.Table]
    order_by: tuple[str, ...] = ()
    encode: str | None = None
    reads: str | None = None
    reads_time: str | None = None

    @property
    def input(self) -> str:
        """The table ``build`` reads."""
        return self.reads or self.source


@dataclass(frozen=True)
class RefreshResult:
    name: str
    mode: Literal["full", "incremental", "fresh"]
    new_source_rows: int
    slices: int
    rows: int


def _exec(engine: Engine, sql: str, params: list | None = None) -> None:
    """Run a statement and drain its result (the connection refuses new work otherwise)."""
    engine.duckdb.execute(sql, params or []).fetchall()


def _one(engine: Engine, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, the result drained."""
    rows = engine.duckdb.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _exists(engine: Engine, name: str) -> bool:
    row = _one(
        engine,
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    )
    return bool(row and row[0])


def _ensure_state(engine: Engine) -> None:
    _exec(
        engine,
        f"""CREATE TABLE IF NOT EXISTS {STATE} (
              name VARCHAR PRIMARY KEY, source VARCHAR, watermark BIGINT, source_rows BIGINT,
              batches BIGINT, mode VARCHAR, refreshed_at TIMESTAMP)""",
    )


def _state(engine: Engine, name: str) -> tuple[int, int] | None:
    if not _exists(engine, STATE):
        return None
    row = _one(engine, f"SELECT watermark, source_rows FROM {STATE} WHERE name = ?", [name])
    return (int(row[0]), int(row[1])) if row else None


def _source_bounds(engine: Engine, source: str) -> tuple[int, int]:
    """(row count, highest rowid) of the source; (0, -1) when empty."""
    row = _one(engine, f'SELECT count(*), max(rowid) FROM "{source}"')
    assert row is not None
    return int(row[0]), -1 if row[1] is None else int(row[1])


def _batches(engine: Engine, source: str) -> int:
    if not _exists(engine, "_imports"):
        return 0
    row = _one(engine, "SELECT count(*) FROM _imports WHERE table_name = ?", [source])
    return int(row[0]) if row else 0


def _ensure_codes(engine: Engine) -> None:
    _exec(
        engine,
        f"""CREATE TABLE IF NOT EXISTS {CODES} (
              source VARCHAR, "column" VARCHAR, value VARCHAR, bit INTEGER,
              PRIMARY KEY (source, "column", value))""",
    )


def codes(engine: Engine, source: str, column: str) -> dict[str, int]:
    """value -> bit of an encoded column; empty before the first refresh."""
    if not _exists(engine, CODES):
        return {}
    rows = engine.duckdb.execute(
        f'SELECT value, bit FROM {CODES} WHERE source = ? AND "column" = ?', [source, column]
    ).fetchall()
    return {str(v): int(b) for v, b in rows}


def _assign_codes(
    engine: Engine, rollup: Rollup, where: str, preferred: Sequence[str], *, reset: bool
) -> dict[str, int]:
    """Give the column's values seen in ``where`` rows a bit each (append-only unless reset)."""
    column = rollup.encode
    assert column is not None
    _ensure_codes(engine)
    if reset:
        _exec(
            engine,
            f'DELETE FROM {CODES} WHERE source = ? AND "column" = ?',
            [rollup.source, column],
        )
    known = codes(engine, rollup.source, column)
    seen = engine.duckdb.execute(
        f'SELECT "{column}", count(*) AS n FROM "{rollup.source}" {where} '
        f"GROUP BY 1 ORDER BY n DESC, 1"
    ).fetchall()
    present = {str(v) for v, _ in seen if v is not None}
    order = [v for v in preferred if v in present] + [str(v) for v, _ in seen if v is not None]
    free = [b for b in range(MAX_CODES) if b not in set(known.values())]
    added: dict[str, int] = {}
    for value in dict.fromkeys(order):
        if value in known or value in added or not free:
            continue
        added[value] = free.pop(0)
    for value, bit in added.items():
        _exec(
            engine,
            f"INSERT INTO {CODES} VALUES (?, ?, ?, ?)",
            [rollup.source, column, value, bit],
        )
    return {**known, **added}


def _current_codes(
    engine: Engine, rollup: Rollup, where: str, preferred: Sequence[str], *, reset: bool
) -> dict[str, int]:
    if rollup.encode is None:
        return {}
    if rollup.reads is not None:  # a rollup of a rollup reads the masks as they are
        return codes(engine, rollup.source, rollup.encode)
    return _assign_codes(engine, rollup, where, preferred, reset=reset)


def _expected_columns(engine: Engine, rollup: Rollup) -> list[str]:
    return list(rollup.build(engine.stored(rollup.input), {}).columns)


def _stored_columns(engine: Engine, name: str) -> list[str]:
    return list(engine.stored(name).columns)


def is_fresh(engine: Engine, rollup: Rollup) -> bool:
    """True when the derived table exists and holds every source row (cheap: counts only)."""
    state = _state(engine, rollup.name)
    if state is None or not _exists(engine, rollup.name):
        return False
    count, _ = _source_bounds(engine, rollup.source)
    return count == state[1]


def refresh(
    engine: Engine, rollup: Rollup, *, full: bool = False, preferred: Sequence[str] = ()
) -> RefreshResult:
    """Bring one derived table up to date with its source (see the module doc).

    ``preferred``: values of the encoded column to give bits first on a full rebuild
    (the ones KPIs filter on), so they never end up sharing the "other" bit.
    """
    _ensure_state(engine)
    state = _state(engine, rollup.name)
    count, top = _source_bounds(engine, rollup.source)
    rebuild = (
        full
        or state is None
        or not _exists(engine, rollup.name)
        or count < state[1]
        or top < state[0]
        or _stored_columns(engine, rollup.name) != _expected_columns(engine, rollup)
    )
    if rebuild:
        return _rebuild(engine, rollup, count, top, preferred)
    watermark, rolled = state
    if count == rolled and top == watermark:
        return RefreshResult(rollup.name, "fresh", 0, 0, _rows(engine, rollup.name))
    return _incremental(engine, rollup, watermark, count, top, preferred)


def _rows(engine: Engine, name: str) -> int:
    row = _one(engine, f'SELECT count(*) FROM "{name}"')
    return int(row[0]) if row else 0


def _record(engine: Engine, rollup: Rollup, top: int, count: int, mode: str) -> None:
    _exec(engine, f"DELETE FROM {STATE} WHERE name = ?", [rollup.name])
    _exec(
        engine,
        f"INSERT INTO {STATE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            rollup.name,
            rollup.source,
            top,
            count,
            _batches(engine, rollup.source),
            mode,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )


def _run(engine: Engine, work: Callable[[], None]) -> None:
    _exec(engine, "BEGIN TRANSACTION")
    try:
        work()
    except BaseException as exc:
        _exec(engine, "ROLLBACK")
        if isinstance(exc, Exception) and not isinstance(exc, EngineError):
            raise EngineError(f"refreshing a rollup failed: {exc}") from exc
        raise
    _exec(engine, "COMMIT")
    engine.invalidate()


def _rebuild(
    engine: Engine, rollup: Rollup, count: int, top: int, preferred: Sequence[str]
) -> RefreshResult:
    def work() -> None:
        # Reading only rows up to ``top`` would need a rowid filter the expression cannot
        # express; the importer holds the write lock while it appends, so none arrive here.
        bits = _current_codes(engine, rollup, "", preferred, reset=True)
        expr = rollup.build(engine.stored(rollup.input), bits)
        if rollup.order_by:
            expr = expr.order_by(list(rollup.order_by))
        _exec(engine, f'CREATE OR REPLACE TABLE "{rollup.name}" AS {engine.sql(expr)}')
        _record(engine, rollup, top, count, "full")

    _run(engine, work)
    return RefreshResult(rollup.name, "full", count, 0, _rows(engine, rollup.name))


def _incremental(
    engine: Engine,
    rollup: Rollup,
    watermark: int,
    count: int,
    top: int,
    preferred: Sequence[str],
) -> RefreshResult:
    keys = list(rollup.slice_keys)
    touched_n = 0
    new_rows = f"WHERE rowid > {int(watermark)} AND rowid <= {int(top)}"

    def work() -> None:
        nonlocal touched_n
        _exec(
            engine,
            f'CREATE OR REPLACE VIEW {_NEW} AS SELECT * FROM "{rollup.source}" {new_rows}',
        )
        bits = _current_codes(engine, rollup, new_rows, preferred, reset=False)
        new = engine.stored(_NEW)
        touched = rollup.slices(new).select(*keys).distinct()
        _exec(engine, f"CREATE OR REPLACE TABLE {_TOUCHED} AS {engine.sql(touched)}")
        lo_hi = _one(
            engine,
            f"SELECT date_trunc('{rollup.span}', min({rollup.time_column})), "
            f"date_trunc('{rollup.span}', max({rollup.time_column})) + INTERVAL 1 {rollup.span} "
            f"FROM {_NEW}",
        )
        touched_n = _rows(engine, _TOUCHED)
        if lo_hi is not None and lo_hi[0] is not None:
            rows = _recompute(engine, rollup, bits, lo_hi[0], lo_hi[1])
            match = " AND ".join(f'r."{k}" = t."{k}"' for k in keys)
            _exec(
                engine,
                f'DELETE FROM "{rollup.name}" r WHERE EXISTS '
                f"(SELECT 1 FROM {_TOUCHED} t WHERE {match})",
            )
            _exec(engine, f'INSERT INTO "{rollup.name}" {engine.sql(rows)}')
        for view in (_NEW, _SCOPE):
            _exec(engine, f"DROP VIEW IF EXISTS {view}")
        _exec(engine, f"DROP TABLE IF EXISTS {_TOUCHED}")
        _record(engine, rollup, top, count, "incremental")

    _run(engine, work)
    return RefreshResult(
        rollup.name, "incremental", top - watermark, touched_n, _rows(engine, rollup.name)
    )


def _recompute(
    engine: Engine, rollup: Rollup, bits: Mapping[str, int], lo: object, hi: object
) -> ir.Table:
    """The touched slices, recomputed whole from the rows of their time range."""
    keys = list(rollup.slice_keys)
    t = engine.stored(_TOUCHED)
    time_column = rollup.reads_time if rollup.reads else rollup.time_column
    _exec(
        engine,
        f'CREATE OR REPLACE VIEW {_SCOPE} AS SELECT * FROM "{rollup.input}" '
        f"WHERE {time_column} >= TIMESTAMP '{lo}' AND {time_column} < TIMESTAMP '{hi}'",
    )
    scope = engine.stored(_SCOPE)
    if rollup.reads:
        # a rollup of a rollup: build the time range, keep the touched slices
        built = rollup.build(scope, bits)
        return built.semi_join(t, [built[k] == t[k] for k in keys])
    sliced = rollup.slices(scope)
    scoped = sliced.semi_join(t, [sliced[k] == t[k] for k in keys])
    return rollup.build(scoped.select(*scope.columns), bits)


def drop(engine: Engine, rollup: Rollup) -> None:
    """Forget a derived table (the next refresh rebuilds it)."""
    _exec(engine, f'DROP TABLE IF EXISTS "{rollup.name}"')
    if _exists(engine, STATE):
        _exec(engine, f"DELETE FROM {STATE} WHERE name = ?", [rollup.name])
    if rollup.encode and rollup.reads is None and _exists(engine, CODES):
        _exec(engine, f"DELETE FROM {CODES} WHERE source = ?", [rollup.source])
    engine.invalidate()


__all__ = [
    "CODES",
    "OTHER_BIT",
    "STATE",
    "RefreshResult",
    "Rollup",
    "codes",
    "drop",
    "is_fresh",
    "refresh",
]
