"""The connection to the analytics engine, and the only place that executes expressions.

Domain code builds deferred Ibis expressions; ``Engine`` runs them. The store is
always one DuckDB file inside the workspace folder; expressions run on the compute
backend the config names (the store itself by default, or Spark, or another Ibis
backend: see ``engine.backends``). Canonical tables are created empty on first open,
so a KPI over an optional table finds it empty instead of missing, and can say "not
available" rather than fail.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from csmetrics.engine.backends import Compute, connect
from csmetrics.errors import EngineError, WorkspaceError
from csmetrics.schema import TABLES

if TYPE_CHECKING:
    from ibis.expr.types import Expr, Table

    from csmetrics.config import EngineConfig


class Engine:
    """An open store plus where expressions run: Ibis for expressions, the raw DuckDB
    connection for bulk I/O and stored state."""

    def __init__(self, backend: Any, path: Path | None) -> None:
        self.backend = backend
        self.path = path
        self.compute: Compute = Compute(backend, backend, {})
        self._row_counts: dict[str, int] | None = None
        self._owns_compute = True

    @classmethod
    def open(cls, path: Path | None, settings: EngineConfig, *, read_only: bool = False) -> Engine:
        """The store at ``path`` with the compute backend ``settings`` name."""
        engine = cls.open_duckdb(
            path,
            read_only=read_only,
            threads=settings.threads,
            memory_limit=settings.memory_limit,
        )
        try:
            engine.compute = connect(settings, engine.backend, path.parent if path else None)
        except BaseException:
            engine.close()
            raise
        return engine

    @classmethod
    def open_duckdb(
        cls,
        path: Path | None,
        *,
        read_only: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> Engine:
        """Open (creating if needed) a DuckDB store; ``None`` is an in-memory store."""
        target = ":memory:" if path is None else str(path)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        try:
            backend = ibis.duckdb.connect(target, read_only=read_only, **config)
        except duckdb.IOException as exc:
            message = str(exc).splitlines()[0]
            if "lock" in message.lower():
                raise WorkspaceError(
                    f"{path}: the store is in use by another csmetrics process ({message})"
                ) from None
            raise WorkspaceError(f"{path}: cannot open the store: {message}") from None
        # DuckDB's own progress bar would print over ours (and into redirected output).
        backend.con.execute("SET enable_progress_bar = false")
        engine = cls(backend, path)
        if not read_only:
            engine.ensure_canonical_tables()
        return engine

    # -- raw access for bulk I/O (ingest) -------------------------------------------

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """The underlying DuckDB connection, for streaming imports and transactions."""
        return self.backend.con

    def ensure_canonical_tables(self) -> None:
        for spec in TABLES:
            self.duckdb.execute(spec.create_sql())

    def invalidate(self) -> None:
        """Forget cached facts about the data (call after every write)."""
        self._row_counts = None
        self.compute.invalidate()

    # -- expressions -----------------------------------------------------------------

    @property
    def uses_rollups(self) -> bool:
        """The store's event rollups answer KPIs (events in the store, computed there)."""
        return self.compute.uses_rollups

    def is_external(self, name: str) -> bool:
        """The table is read from outside the store (``engine.tables``)."""
        return self.compute.is_external(name)

    def table(self, name: str) -> Table:
        """A table as the compute backend sees it, for KPI expressions."""
        return self.compute.table(name)

    def stored(self, name: str) -> Table:
        """A table of the store itself (rollups and other derived state)."""
        try:
            return self.backend.table(name)
        except Exception as exc:  # ibis raises backend-specific errors here
            raise EngineError(f"table {name!r} is not in the store: {exc}") from None

    def row_count(self, name: str) -> int:
        """Rows in a table, 0 if it does not exist (cached until the next write)."""
        if self._row_counts is None:
            self._row_counts = {}
        if name not in self._row_counts and self.is_external(name):
            self._row_counts[name] = self.compute.row_count(name)
        if name not in self._row_counts:
            exists = self.duckdb.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
                [name],
            ).fetchall()
            if not exists or not exists[0][0]:
                self._row_counts[name] = 0
            else:
                count = self.duckdb.execute(f'SELECT count(*) FROM "{name}"').fetchall()
                self._row_counts[name] = int(count[0][0])
        return self._row_counts[name]

    def has_rows(self, name: str) -> bool:
        return self.row_count(name) > 0

    def execute(self, expr: Expr, **kwargs: Any) -> pd.DataFrame:
        result = self._run(self.compute.execute, expr, **kwargs)
        if isinstance(result, pd.Series):
            return result.to_frame()
        if not isinstance(result, pd.DataFrame):
            return pd.DataFrame({"value": [result]})
        return result

    def scalar(self, expr: Expr) -> Any:
        return self._run(self.compute.execute, expr)

    def to_arrow(self, expr: Expr) -> pa.Table:
        return self._run(self.compute.to_arrow, expr)

    def _run(self, run: Any, expr: Expr, **kwargs: Any) -> Any:
        try:
            return run(expr, **kwargs)
        except self.compute.errors() as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"the {self.compute.name} engine refused a query: {first}") from exc

    def sql(self, expr: Expr) -> str:
        """The store's SQL for an expression over store tables."""
        return str(ibis.to_sql(expr, dialect=self.backend.name))

    def sibling(self) -> Engine:
        """A second connection to this store, in this process, with its own transactions:
        a batch written through it lands beside queries on this engine, which go on
        seeing the data as it was until the batch commits (one writing process, not one
        connection). It shares this engine's compute backend (only this one closes it)."""
        backend = ibis.duckdb.from_connection(self.duckdb.cursor())
        backend.con.execute("SET enable_progress_bar = false")
        engine = Engine(backend, self.path)
        if self.compute.in_store:
            engine.compute = Compute(backend, backend, self.compute.locations)
        else:
            engine.compute = self.compute
            engine._owns_compute = False
        return engine

    def close(self) -> None:
        if self._owns_compute:
            with contextlib.suppress(Exception):
                self.compute.close()
        with contextlib.suppress(Exception):  # closing twice, or a connection already gone
            self.backend.disconnect()
