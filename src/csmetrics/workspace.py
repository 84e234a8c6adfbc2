"""The facade: one object that the CLI, the web app and notebooks all drive.

A workspace is a folder holding ``csmetrics.yaml`` and the embedded store
(``csmetrics.duckdb`` by default). ``Workspace.open(dir)`` validates the config
and opens the store; everything else (import, KPIs, scorecards) is a method here,
so no edge reaches past it into the layers below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from csmetrics import kpis as _kpis
from csmetrics import schema
from csmetrics.config import CONFIG_FILENAME, Config, default_config_text, load_config
from csmetrics.engine import Engine
from csmetrics.errors import WorkspaceError
from csmetrics.ingest import ImportReport, import_files, load_data

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from ibis.expr.types import Table as IbisTable

    from csmetrics.engine.rollups import RefreshResult
    from csmetrics.periods import Period

ProgressCallback = Callable[[int, int | None], None]


class Workspace:
    """An open workspace: config + store. Use as a context manager or call ``close()``."""

    def __init__(self, root: Path, config: Config, engine: Engine) -> None:
        self.root = root
        self.config = config
        self.engine = engine

    # -- lifecycle -------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path | str, *, force: bool = False) -> Workspace:
        """Create a workspace folder with the commented default config and an empty store."""
        root = Path(root)
        config_path = root / CONFIG_FILENAME
        if config_path.exists() and not force:
            raise WorkspaceError(
                f"{root}: already a workspace ({CONFIG_FILENAME} exists); use --force to reset it"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            if force:
                for leftover in (root / "csmetrics.duckdb", root / "csmetrics.duckdb.wal"):
                    leftover.unlink(missing_ok=True)
            config_path.write_text(default_config_text(), "utf-8")
        except OSError as exc:
            raise WorkspaceError(f"{root}: cannot create the workspace: {exc.strerror}") from None
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str, *, read_only: bool = False) -> Workspace:
        root = Path(root)
        config_path = root / CONFIG_FILENAME
        if not config_path.exists():
            raise WorkspaceError(
                f"{root}: not a csmetrics workspace (no {CONFIG_FILENAME}); "
                f"create one with `csmetrics init {root}`"
            )
        config = load_config(config_path)
        store = root / config.engine.path
        if read_only and not store.exists():
            raise WorkspaceError(f"{store}: the store does not exist yet; import data first")
        engine = Engine.open_duckdb(
            store,
            read_only=read_only,
            threads=config.engine.threads,
            memory_limit=config.engine.memory_limit,
        )
        return cls(root, config, engine)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- data ------------------------------------------------------------------------

    def table(self, name: str) -> IbisTable:
        """A canonical table as a deferred Ibis expression."""
        return self.engine.table(schema.table(name).name)

    def row_count(self, name: str) -> int:
        return self.engine.row_count(schema.table(name).name)

    def import_files(
        self,
        table: str,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Import CSV/Parquet/Excel/JSON-lines files into a canonical table as one batch."""
        report = import_files(
            self.engine, self.config, table, [Path(p) for p in paths], progress=progress
        )
        self.engine.invalidate()
        self._after_import(table)
        return report

    def load(
        self,
        table: str,
        data: pa.Table | pd.DataFrame | Iterable[dict[str, Any]],
        *,
        source: str = "<memory>",
    ) -> ImportReport:
        """Import in-memory rows (Arrow, pandas or dicts) with the same checks as files."""
        report = load_data(self.engine, self.config, table, data, source=source)
        self.engine.invalidate()
        self._after_import(table)
        return report

    # -- rollups ---------------------------------------------------------------------

    def refresh_rollups(self, *, full: bool = False) -> list[RefreshResult]:
        """Bring the derived tables (e.g. the daily user activity) up to date with events.

        Incremental by default: only the (account, day) slices that new events touch
        are recomputed. ``full=True`` rebuilds from scratch. Safe to call any time; it
        catches up after an interrupted import or refresh.
        """
        from csmetrics.engine import rollups as _rollups
        from csmetrics.kpis.rollups import ROLLUPS

        adoption = self.config.adoption
        preferred = (*adoption.active_event_types, *adoption.key_features)
        return [_rollups.refresh(self.engine, r, full=full, preferred=preferred) for r in ROLLUPS]

    def _after_import(self, table: str) -> None:
        """Keep the rollups of a table fresh after it was imported into.

        If the refresh fails, the rollups are dropped so KPIs answer from the raw
        events (right, only slower) until ``refresh_rollups()`` rebuilds them.
        """
        from csmetrics.engine import rollups as _rollups
        from csmetrics.kpis.rollups import ROLLUPS

        if not any(r.source == schema.table(table).name for r in ROLLUPS):
            return
        try:
            self.refresh_rollups()
        except Exception:
            for rollup in ROLLUPS:
                _rollups.drop(self.engine, rollup)
            raise

    def survey_comments(self, account_id: str, limit: int | None = None) -> pd.DataFrame:
        """The verbatim survey comments of one account, newest first (account view)."""
        from csmetrics.kpis.surveys import comments

        expr = comments(self.table("survey_responses"), account_id)
        return self.engine.execute(expr.limit(limit) if limit else expr)

    def check_integrity(self) -> list[str]:
        """Every cross-table problem of the store (empty required tables, orphans, duplicates)."""
        from csmetrics.ingest.integrity import check_store

        return check_store(self.engine.duckdb)

    def quarantine(self, table: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows rejected by imports, with file, row, column and reason."""
        from csmetrics.ingest.ledger import quarantined_rows

        return quarantined_rows(
            self.engine.duckdb, schema.table(table).name if table else None, limit
        )

    # -- KPIs ------------------------------------------------------------------------

    def as_of(self) -> date:
        """The latest day the data covers (contracts, events, tickets...), capped at today."""
        return _kpis.data_as_of(self.engine)

    def periods(
        self,
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> list[Period]:
        """The periods a request means; none given = the last complete quarter."""
        needs_as_of = period is None or every is not None
        as_of = self.as_of() if needs_as_of else date.today()
        return _kpis.resolve_periods(self.config, as_of, period, every, start, end)

    def kpi(
        self,
        name: str,
        by: str = "company",
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> pd.DataFrame:
        """One KPI: ``ws.kpi("nrr", by="csm", period="2026-Q3")``.

        Columns: the grain's (e.g. csm_id, csm_name), period, period_start,
        period_end, value, and numerator/denominator for ratios.
        """
        periods = self.periods(period, every, start, end)
        return _kpis.compute(self.engine, self.config, name, periods, by)

    def kpis(
        self,
        names: Sequence[str],
        by: str = "company",
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> pd.DataFrame:
        """Several KPIs in one long frame: a ``kpi`` column, then as ``kpi()``."""
        import pandas as pd

        periods = self.periods(period, every, start, end)
        results = _kpis.compute_many(self.engine, self.config, names, periods, by)
        frame = pd.concat(
            [result.assign(kpi=name) for name, result in results.items()], ignore_index=True
        )
        return frame[["kpi", *[c for c in frame.columns if c != "kpi"]]]

    def movements(
        self,
        period: str | Period | None = None,
        by: str = "company",
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> pd.DataFrame:
        """The ARR bridge: start, new, expansion, contraction, churn, reactivation, fx, end."""
        periods = self.periods(period, every, start, end)
        return _kpis.bridge(self.engine, self.config, periods, by)

    def summary(self) -> _kpis.Summary:
        """Headline numbers: ARR today, retention over the last complete quarter, ARR by tier."""
        return _kpis.headline(self.engine, self.config, self.as_of())


def open(root: Path | str, *, read_only: bool = False) -> Workspace:
    """Open an existing workspace folder: ``ws = csmetrics.open("demo")``."""
    return Workspace.open(root, read_only=read_only)


def init(root: Path | str, *, force: bool = False) -> Workspace:
    """Create a new workspace folder and open it."""
    return Workspace.init(root, force=force)
