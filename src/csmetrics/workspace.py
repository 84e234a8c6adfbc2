"""The facade: one object that the CLI, the web app and notebooks all drive.

A workspace is a folder holding ``csmetrics.yaml`` and the embedded store
(``csmetrics.duckdb`` by default). ``Workspace.open(dir)`` validates the config
and opens the store; everything else (import, KPIs, scorecards) is a method here,
so no edge reaches past it into the layers below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from csmetrics import kpis as _kpis
from csmetrics import schema
from csmetrics.config import CONFIG_FILENAME, Config, default_config_text, load_config
from csmetrics.engine import Engine
from csmetrics.errors import KpiError, WorkspaceError
from csmetrics.ingest import ImportReport, import_files, load_data

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from ibis.expr.types import Table as IbisTable

    from csmetrics.compensation import CompRun, Statement
    from csmetrics.engine.rollups import RefreshResult
    from csmetrics.forecasting import QuarterRenewals
    from csmetrics.health import Backtest, Explanation, Quadrant
    from csmetrics.periods import Period
    from csmetrics.risk import CtaRefresh, Evaluation
    from csmetrics.scorecards import Scorecard
    from csmetrics.scorecards.fair import FairComparison

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
        engine = Engine.open(store, config.engine, read_only=read_only)
        return cls(root, config, engine)

    def close(self) -> None:
        self.engine.close()

    def sibling(self) -> Workspace:
        """This workspace through a second connection to its open store: an import run on
        it (in another thread) does not hold this one's connection, and readers of this
        one see the data as it was until the import commits. Close it when done."""
        return Workspace(self.root, self.config, self.engine.sibling())

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
        self._check_importable(table)
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
        self._check_importable(table)
        report = load_data(self.engine, self.config, table, data, source=source)
        self.engine.invalidate()
        self._after_import(table)
        return report

    def _check_importable(self, table: str) -> None:
        name = schema.table(table).name
        if self.engine.is_external(name):
            raise WorkspaceError(
                f"{name} is read from {self.config.engine.tables[name]} (engine.tables.{name}); "
                "add the data there instead of importing it"
            )

    # -- rollups ---------------------------------------------------------------------

    def refresh_rollups(self, *, full: bool = False) -> list[RefreshResult]:
        """Bring the derived tables (e.g. the daily user activity) up to date with events.

        Incremental by default: only the (account, day) slices that new events touch
        are recomputed. ``full=True`` rebuilds from scratch. Safe to call any time; it
        catches up after an interrupted import or refresh. Nothing to do when the
        events are read outside the store or another engine computes (no rollups).
        """
        from csmetrics.engine import rollups as _rollups
        from csmetrics.kpis.rollups import ROLLUPS

        if not self.engine.uses_rollups:
            return []
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

    # -- scorecards and forecasts ------------------------------------------------------

    def targets(
        self,
        by: str = "csm",
        period: str | Period | None = None,
        kpis: Sequence[str] | None = None,
        preset: str | None = None,
    ) -> pd.DataFrame:
        """Targets per group for a period with their source (table, config, derived,
        default); ``kpis`` default to the preset's. Derived ones show their parts."""
        from csmetrics import scorecards

        (resolved,) = self.periods(period)
        names = list(kpis) if kpis else list(scorecards.resolve_preset(self.config, preset).names)
        return scorecards.targets_for(self.engine, self.config, names, by, resolved)

    def scorecard(
        self,
        csm: str | None = None,
        team: str | None = None,
        company: bool = False,
        period: str | Period | None = None,
        preset: str | None = None,
    ) -> Scorecard:
        """A scorecard: ``ws.scorecard(csm="C07", period="2026-Q3")``, ``team="Scale"``
        or ``company=True``; ``preset`` early, growth, late (default from config)."""
        from csmetrics import scorecards

        chosen = [g for g, on in (("csm", csm), ("team", team), ("company", company)) if on]
        if len(chosen) != 1:
            raise KpiError("a scorecard is for one of: a csm, a team or the company")
        (resolved,) = self.periods(period)
        grain = chosen[0]
        subject = csm if grain == "csm" else team
        return scorecards.build(self.engine, self.config, grain, subject, resolved, preset)  # type: ignore[arg-type]

    def fair_comparison(self, period: str | Period | None = None) -> FairComparison:
        """Each CSM's logo retention against what their book on day one predicted."""
        from csmetrics.scorecards.fair import compare

        (resolved,) = self.periods(period)
        return compare(self.engine, self.config, resolved)

    def renewal_forecasts(self, quarter: str | Period | None = None) -> QuarterRenewals:
        """Every renewal of a quarter: the CSM's forecast, the model's, the outcome."""
        from csmetrics import forecasting

        (resolved,) = self.periods(quarter)
        return forecasting.quarter_renewals(self.engine, self.config, resolved)

    def forecast_accuracy(
        self, quarter: str | Period | None = None, renewals: QuarterRenewals | None = None
    ) -> pd.DataFrame:
        """Per CSM: Brier score, forecast vs model vs actual logo retention for the quarter."""
        from csmetrics import forecasting

        return forecasting.accuracy(renewals or self.renewal_forecasts(quarter))

    # -- health ----------------------------------------------------------------------

    def _health_day(self, period: str | Period | date | None) -> date | None:
        """The day a health question is about: a period's last day; None = the as-of day."""
        if period is None or isinstance(period, date):
            return period
        (resolved,) = self.periods(period)
        return resolved.last_day

    def health_scores(
        self,
        period: str | Period | date | None = None,
        by: str = "account",
        model: str | None = None,
    ) -> pd.DataFrame:
        """Health scores (0-100, higher is healthier) on a period's last day (default: the
        as-of day): per account with band, change vs the previous month end, trend and why;
        by csm/team/tier/segment/company: mean score, accounts and ARR per band."""
        from csmetrics import health

        day = self._health_day(period)
        return health.health_table(self.engine, self.config, day, model, by).frame

    def health_history(
        self, account_id: str | None = None, model: str | None = None
    ) -> pd.DataFrame:
        """Every kept score (each month end and the as-of day), optionally of one account."""
        from csmetrics import health

        return health.history(self.engine, self.config, model, account_id)

    def explain_health(
        self,
        account_id: str,
        as_of: str | Period | date | None = None,
        model: str | None = None,
    ) -> Explanation:
        """One account's score measure by measure: raw value, points, weight, contribution."""
        from csmetrics import health

        return health.explain(self.engine, self.config, account_id, self._health_day(as_of), model)

    def quadrant(self, period: str | Period | date | None = None, by: str = "company") -> Quadrant:
        """Outcome vs experience quadrants: accounts and ARR per quadrant, and the movement
        since the end of the previous quarter."""
        from csmetrics import health

        return health.quadrant(self.engine, self.config, self._health_day(period), by)

    def health_backtest(
        self,
        model: str | None = None,
        horizon_months: int | None = None,
        cutoff: date | str | None = None,
    ) -> Backtest:
        """How well a health model's score predicted churn at each renewal in history."""
        from csmetrics import health
        from csmetrics.errors import HealthError

        if isinstance(cutoff, str):
            try:
                cutoff = date.fromisoformat(cutoff)
            except ValueError:
                raise HealthError(f"cut-off {cutoff!r} is not a date like 2025-10-31") from None
        return health.backtest(self.engine, self.config, model, horizon_months, cutoff)

    # -- risk ------------------------------------------------------------------------

    def risk_days(
        self,
        as_of: date | str | None = None,
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> list[date]:
        """The days risks are judged on: ``as_of``, or the last day of each period asked
        for, or (nothing given) the latest day the data covers."""
        from csmetrics.errors import RiskError

        if as_of is not None:
            if period is not None or every is not None:
                raise RiskError("give either an as-of day or a period, not both")
            try:
                return [as_of if isinstance(as_of, date) else date.fromisoformat(as_of)]
            except ValueError:
                raise RiskError(f"as-of day {as_of!r} is not a date like 2026-10-31") from None
        if period is None and every is None:
            return [self.as_of()]
        return [p.last_day for p in self.periods(period, every, start, end)]

    def evaluate_risks(
        self,
        as_of: date | str | None = None,
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
    ) -> Evaluation:
        """Judge every risk rule (``risk:``) for every paying account on the day(s) asked."""
        from csmetrics import risk

        days = self.risk_days(as_of, period, every, start, end)
        self._keep_health_current(self.config.risk.rules.renewal_red_health.health_model)
        return risk.evaluate(self.engine, self.config, days)

    def _keep_health_current(self, model: str | None = None) -> None:
        """Score health before a rule or a model reads the stored scores (a no-op when
        they are current: once per data version; in memory on a read-only store)."""
        from csmetrics import health
        from csmetrics.errors import HealthError

        name = model or self.config.health.default_model
        if name not in self.config.health.models:
            return  # the reader says no scores of that model are stored
        # nothing to score yet: the reader then reports the scores as missing
        with contextlib.suppress(HealthError):
            health.open_book(self.engine, self.config, name)

    def risks(
        self,
        as_of: date | str | None = None,
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
        csm: str | None = None,
        rule: str | None = None,
    ) -> pd.DataFrame:
        """The at-risk list: one row per account and firing rule, with the reason.

        ``ws.risks()`` judges the latest day of data; ``as_of="2026-06-30"`` or
        ``period="2026-Q2"`` (its last day) another; ``csm``/``rule`` narrow it.
        """
        return self.evaluate_risks(as_of, period, every, start, end).only(csm, rule).signals

    def at_risk_arr(
        self,
        by: str = "company",
        as_of: date | str | None = None,
        period: str | Period | None = None,
        every: str | None = None,
        start: str | Period | None = None,
        end: str | Period | None = None,
        csm: str | None = None,
        rule: str | None = None,
    ) -> pd.DataFrame:
        """At-risk accounts and ARR by csm, team, tier, segment, account or company
        (``csm``: that CSM's book only; ``rule``: at risk by that rule only)."""
        from csmetrics import risk

        evaluation = self.evaluate_risks(as_of, period, every, start, end)
        return risk.at_risk(evaluation.only(csm, rule), by)

    def refresh_ctas(self, as_of: date | str | None = None) -> CtaRefresh:
        """Open, keep and close calls to action from the rules judged on ``as_of``."""
        from csmetrics import risk

        (day,) = self.risk_days(as_of)
        self._keep_health_current(self.config.risk.rules.renewal_red_health.health_model)
        return risk.refresh(self.engine, self.config, day)

    def ctas(
        self, csm: str | None = None, status: str = "open", account: str | None = None
    ) -> pd.DataFrame:
        """Calls to action (open ones by default), most urgent first."""
        from csmetrics import risk

        return risk.listing(self.engine, status=status, csm=csm, account=account)

    def close_cta(
        self, cta_id: str, outcome: str, by: str | None = None, on: date | None = None
    ) -> None:
        """Close a call to action with its outcome (``by``: who, default the owner)."""
        from csmetrics import risk

        risk.close(self.engine, cta_id, outcome, by=by, on=on)

    # -- compensation ----------------------------------------------------------------

    def comp_statements(
        self, period: str | Period, plan: str | None = None, csms: Sequence[str] | None = None
    ) -> list[Statement]:
        """Payout statements for a period: one plan or every plan paying per its kind."""
        from csmetrics import compensation

        (resolved,) = self.periods(period)
        return compensation.statements(self.engine, self.config, resolved, plan, csms)

    def comp_statement(
        self, csm_id: str, period: str | Period, plan: str | None = None
    ) -> Statement:
        """One CSM's payout statement: ``ws.comp_statement("C07", "2026-Q3")``."""
        from csmetrics.errors import CompensationError

        found = self.comp_statements(period, plan, [csm_id])
        if len(found) > 1:
            plans = ", ".join(s.plan_id for s in found)
            raise CompensationError(f"{csm_id} is on plans {plans}; choose one with plan=")
        return found[0]

    def comp_run(
        self, period: str | Period, out_dir: Path | str | None = None, plan: str | None = None
    ) -> CompRun:
        """Write every statement of the period: statements.csv and one HTML page per CSM.

        Default folder: ``<workspace>/comp/<period>/``, replaced as a whole (atomically).
        """
        from csmetrics import compensation

        (resolved,) = self.periods(period)
        statements = self.comp_statements(resolved, plan)
        target = Path(out_dir) if out_dir is not None else self.root / "comp" / resolved.label
        return compensation.write_run(statements, target, self.config.company.name)


def open(root: Path | str, *, read_only: bool = False) -> Workspace:
    """Open an existing workspace folder: ``ws = csmetrics.open("demo")``."""
    return Workspace.open(root, read_only=read_only)


def init(root: Path | str, *, force: bool = False) -> Workspace:
    """Create a new workspace folder and open it."""
    return Workspace.init(root, force=force)
