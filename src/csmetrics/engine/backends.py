"""Where KPI expressions run: the one module that knows how engines differ.

The workspace always keeps its DuckDB store (imports, quarantine, stored scores,
calls to action). KPI expressions are plain Ibis and run on a *compute* backend:

* ``duckdb`` (default): the store itself. Tables listed under ``engine.tables`` are
  read in place from Parquet (no import), which is how data larger than memory is
  answered: DuckDB streams the files within ``engine.memory_limit``.
* ``pyspark``: a Spark session (``local[2]``, ``spark://host:7077``...). Tables under
  ``engine.tables`` are Parquet paths or catalog tables; every other canonical table
  is shipped from the store once per change (they are small: accounts, contracts...).
* ``url``: any other Ibis backend by connection URL, on the same terms as Spark.

The event rollups live only in the store, so they are used only when the events are
in the store and the store computes; elsewhere KPIs read raw events (the same answer).
Compile rules a backend lacks for an operation the KPIs use are added here, once.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from csmetrics.errors import EngineError

if TYPE_CHECKING:
    from ibis.backends import BaseBackend
    from ibis.expr.types import Table

    from csmetrics.config import EngineConfig

ROLLUP_PREFIX = "_rollup"
_view_ids = itertools.count(1)

# Spark settings that make local answers match the store's: UTC days, no web UI on a
# port, Arrow transfers, few shuffle partitions for small data (overridable in config).
SPARK_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
# A local master stays on loopback: nothing listens on the machine's other addresses.
LOCAL_DRIVER = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


def is_location(value: str) -> bool:
    """A Parquet path or glob, as opposed to a table name on the engine."""
    return "/" in value or "*" in value or value.endswith(".parquet")


def resolve_location(value: str, root: Path | None) -> str:
    """A relative Parquet path is relative to the workspace folder."""
    if not is_location(value) or "://" in value:
        return value
    path = Path(value)
    if not path.is_absolute() and root is not None:
        path = root / path
    return str(path)


class Compute:
    """A compute backend plus where each canonical table comes from on it."""

    name = "duckdb"

    def __init__(self, backend: BaseBackend, store: BaseBackend, tables: dict[str, str]) -> None:
        self.backend = backend
        self.store = store
        self.locations = dict(tables)
        self._tables: dict[str, Table] = {}
        self._counts: dict[str, int] = {}
        self._views: list[str] = []
        self._prefix = f"csm{next(_view_ids)}_"

    @property
    def in_store(self) -> bool:
        """Expressions run on the store itself."""
        return self.backend is self.store

    @property
    def uses_rollups(self) -> bool:
        """The store's event rollups describe the events this engine reads."""
        return self.in_store and "events" not in self.locations

    def is_external(self, name: str) -> bool:
        return name in self.locations

    def table(self, name: str) -> Table:
        if name.startswith(ROLLUP_PREFIX) and not self.uses_rollups:
            raise EngineError(f"table {name!r}: rollups are kept only for events in the store")
        if name not in self._tables:
            if name in self.locations:
                self._tables[name] = self._external(name, self.locations[name])
            elif self.in_store:
                return _store_table(self.store, name)
            else:
                self._tables[name] = self._shipped(name)
        return self._tables[name]

    def row_count(self, name: str) -> int:
        """Rows of an external table (cached until ``invalidate``)."""
        if name not in self._counts:
            self._counts[name] = int(self.backend.execute(self.table(name).count()))
        return self._counts[name]

    def invalidate(self) -> None:
        """Forget shipped copies and counts: the store changed."""
        external = {k: v for k, v in self._tables.items() if k in self.locations}
        self._tables = external
        self._counts = {}

    def execute(self, expr: Any, **kwargs: Any) -> Any:
        return self.backend.execute(expr, **kwargs)

    def to_arrow(self, expr: Any) -> Any:
        return self.backend.to_pyarrow(expr)

    def errors(self) -> tuple[type[BaseException], ...]:
        """The backend's own error types, translated to EngineError by the engine."""
        import duckdb

        return (duckdb.Error,)

    def close(self) -> None:
        """Nothing to release: the store is closed by its engine."""

    # -- where tables come from -----------------------------------------------------

    def _view_name(self, name: str) -> str:
        view = f"{self._prefix}{name}"
        self._views.append(view)
        return view

    def _external(self, name: str, location: str) -> Table:
        if not is_location(location):
            return _store_table(self.backend, location)
        if Path(location).is_dir():  # DuckDB reads a folder through a glob of its files
            location = str(Path(location) / "**" / "*.parquet")
        try:
            return self.backend.read_parquet(location, table_name=self._view_name(name))
        except Exception as exc:
            raise EngineError(
                f"engine.tables.{name}: cannot read {location}: {str(exc).splitlines()[0]}"
            ) from None

    def _shipped(self, name: str) -> Table:
        data = self.store.to_pyarrow(_store_table(self.store, name))
        view = self._view_name(name)
        self.backend.create_table(view, data, temp=True, overwrite=True)
        return self.backend.table(view)


class SparkCompute(Compute):
    """Apache Spark through Ibis's PySpark backend."""

    name = "pyspark"

    def __init__(self, session: Any, store: BaseBackend, tables: dict[str, str]) -> None:
        self.session = session
        super().__init__(ibis.pyspark.connect(session), store, tables)

    def errors(self) -> tuple[type[BaseException], ...]:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        return (*super().errors(), PySparkException, Py4JError)

    def _external(self, name: str, location: str) -> Table:
        if not is_location(location):
            return _store_table(self.backend, location)
        try:
            frame = self.session.read.parquet(location)
        except Exception as exc:
            raise EngineError(
                f"engine.tables.{name}: cannot read {location}: {str(exc).splitlines()[0]}"
            ) from None
        view = self._view_name(name)
        frame.createOrReplaceTempView(view)
        return self.backend.table(view)

    def _shipped(self, name: str) -> Table:
        data = self.store.to_pyarrow(_store_table(self.store, name))
        view = self._view_name(name)
        self.session.createDataFrame(data).createOrReplaceTempView(view)
        return self.backend.table(view)

    def close(self) -> None:
        # The session is the process's (getOrCreate): drop only this engine's views.
        for view in self._views:
            with contextlib.suppress(Exception):
                self.session.catalog.dropTempView(view)
        self._views = []


def _store_table(backend: BaseBackend, name: str) -> Table:
    try:
        return backend.table(name)
    except Exception as exc:  # ibis raises backend-specific errors here
        raise EngineError(
            f"table {name!r} is not in the store: {str(exc).splitlines()[0]}"
        ) from None


def connect(settings: EngineConfig, store: BaseBackend, root: Path | None) -> Compute:
    """The compute backend ``settings`` asks for, over the open ``store``."""
    tables = {name: resolve_location(loc, root) for name, loc in settings.tables.items()}
    if settings.backend == "duckdb":
        return Compute(store, store, tables)
    if settings.backend == "pyspark":
        return SparkCompute(spark_session(settings), store, tables)
    try:
        backend = ibis.connect(settings.url or "")
    except Exception as exc:
        raise EngineError(f"engine.url: cannot connect: {str(exc).splitlines()[0]}") from None
    compute = Compute(backend, store, tables)
    compute.name = backend.name
    return compute


def spark_session(settings: EngineConfig) -> Any:
    """The process's Spark session for ``settings.master`` (created on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "engine.backend is pyspark but PySpark is not installed "
            "(pip install 'csmetrics[spark]')"
        ) from None
    if shutil.which("java") is None and not _java_home():
        raise EngineError(
            "engine.backend is pyspark but no Java runtime was found: install Java 17+ "
            "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    _quiet_pyspark()
    builder = SparkSession.builder.master(settings.master).appName("csmetrics")
    local = settings.master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    defaults = {**SPARK_DEFAULTS, **(LOCAL_DRIVER if local else {})}
    for key, value in {**defaults, **settings.spark_conf}.items():
        if isinstance(value, bool):  # YAML true/false; Spark wants the words
            value = str(value).lower()
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise EngineError(
            f"engine.master {settings.master!r}: cannot start Spark: {str(exc).splitlines()[0]}"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    _add_spark_rules()
    return session


def _java_home() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()


def _quiet_pyspark() -> None:
    """PySpark warns about pandas 3 on every transfer (it works; the data goes through Arrow)."""
    warnings.filterwarnings("ignore", module=r"pyspark\..*")


_RULES_ADDED = False


def _add_spark_rules() -> None:
    """Operations the KPIs use that Ibis's PySpark compiler lacks, in Spark SQL terms."""
    global _RULES_ADDED
    if _RULES_ADDED:
        return
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler
    from ibis.expr import operations as ops

    for op, function in ((ops.BitOr, "bit_or"), (ops.BitAnd, "bit_and"), (ops.BitXor, "bit_xor")):
        setattr(PySparkCompiler, f"visit_{op.__name__}", _aggregate_rule(function))
    _RULES_ADDED = True


def _aggregate_rule(function: str) -> Any:
    def visit(self: Any, op: Any, *, arg: Any, where: Any = None, order_by: Any = ()) -> Any:
        return self.agg[function](arg, where=where)

    return visit
