"""The connection to the analytics engine, and the only place that executes expressions.

Domain code builds deferred Ibis expressions; ``Engine`` runs them. The embedded
default is one DuckDB file inside the workspace folder. Canonical tables are created
empty on first open, so a KPI over an optional table finds it empty instead of
missing, and can say "not available" rather than fail.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from csmetrics.errors import EngineError, WorkspaceError
from csmetrics.schema import TABLES

if TYPE_CHECKING:
    from ibis.expr.types import Expr, Table


class Engine:
    """An open store: Ibis for expressions, the raw DuckDB connection for bulk I/O."""

    def __init__(self, backend: Any, path: Path | None) -> None:
        self.backend = backend
        self.path = path
        self._row_counts: dict[str, int] | None = None

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

    # -- expressions -----------------------------------------------------------------

    def table(self, name: str) -> Table:
        try:
            return self.backend.table(name)
        except Exception as exc:  # ibis raises backend-specific errors here
            raise EngineError(f"table {name!r} is not in the store: {exc}") from None

    def row_count(self, name: str) -> int:
        """Rows in a stored table, 0 if it does not exist (cached until the next write)."""
        if self._row_counts is None:
            self._row_counts = {}
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
        try:
            result = self.backend.execute(expr, **kwargs)
        except duckdb.Error as exc:
            raise EngineError(f"the engine refused a query: {str(exc).splitlines()[0]}") from exc
        if isinstance(result, pd.Series):
            return result.to_frame()
        if not isinstance(result, pd.DataFrame):
            return pd.DataFrame({"value": [result]})
        return result

    def scalar(self, expr: Expr) -> Any:
        return self.backend.execute(expr)

    def to_arrow(self, expr: Expr) -> pa.Table:
        return self.backend.to_pyarrow(expr)

    def sql(self, expr: Expr) -> str:
        return str(ibis.to_sql(expr, dialect=self.backend.name))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing twice, or a connection already gone
            self.backend.disconnect()
