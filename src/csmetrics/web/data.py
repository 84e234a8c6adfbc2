"""The workspace behind the web app: opened once, used under one lock, results cached
per data version.

DuckDB admits one writer process, and one connection must not run two queries at
once, so every use of the workspace goes through ``WebData.lock``. Slow answers (the
KPI snapshot, the risk evaluation, scorecards, renewals, statements) are cached with
the *data version* they were computed from: the number of import batches per table
in the store's ledger. Forecasts submitted on the renewals page are imports too, so
only the answers that read ``renewal_forecasts`` are recomputed after one.
Everything here is unscoped; pages reach it only through ``ScopedData``
(``web.scoped``), which applies the viewer's access filter.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from csmetrics import risk
from csmetrics.errors import CsMetricsError
from csmetrics.kpis.compute import context
from csmetrics.kpis.grains import owners
from csmetrics.periods import Period, following, parse_period, period_containing
from csmetrics.web import snapshots
from csmetrics.workspace import Workspace

T = TypeVar("T")
VIEW_CACHE = 512
FORECASTS = "renewal_forecasts"
ACCOUNT_COLUMNS = (
    "account_id",
    "account_name",
    "tier",
    "segment",
    "industry",
    "region",
    "csm_id",
    "csm_name",
    "team",
    "arr",
    "renewal_date",
    "customer_since",
    "paying",
)


@dataclass(frozen=True)
class Versions:
    """Import batches per table; ``analytics`` leaves out the forecasts the app writes."""

    full: tuple[tuple[str, int], ...]

    @property
    def analytics(self) -> tuple[tuple[str, int], ...]:
        return tuple(item for item in self.full if item[0] != FORECASTS)


class WebData:
    """The open workspace, its lock and the caches (module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ws = Workspace.open(root)
        self.lock = threading.RLock()
        self._cache: dict[Hashable, tuple[object, object]] = {}
        self._versions: Versions | None = None
        self._writes = 0  # the app's own writes (forecasts, closed CTAs)
        self._views: OrderedDict[Hashable, tuple[object, object]] = OrderedDict()
        self.warm_error: str | None = None

    @property
    def config(self) -> Any:
        return self.ws.config

    def close(self) -> None:
        with self.lock:
            self.ws.close()

    # -- versions and caching ----------------------------------------------------------

    def versions(self) -> Versions:
        """The data version, read once: this process holds the store's only write lock, so
        it changes only through ``changed()`` after the app's own writes."""
        with self.lock:
            if self._versions is None:
                self._versions = self._read_versions()
            return self._versions

    def _read_versions(self) -> Versions:
        con = self.ws.engine.duckdb
        with self.lock:
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_imports'"
            ).fetchall()[0][0]
            if not exists:
                return Versions(())
            rows = con.execute(
                "SELECT table_name, count(*) FROM _imports GROUP BY 1 ORDER BY 1"
            ).fetchall()
        return Versions(tuple((str(t), int(n)) for t, n in rows))

    def cached(self, key: Hashable, compute: Callable[[], T], *, forecasts: bool = False) -> T:
        """``compute()`` once per data version (``forecasts``: it reads renewal_forecasts)."""
        with self.lock:
            versions = self.versions()
            version = versions.full if forecasts else versions.analytics
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]  # type: ignore[return-value]
            value = compute()
            self._cache[key] = (version, value)
            return value

    def view_cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A whole page's view, kept until the data or anything the app writes changes
        (at most ``VIEW_CACHE`` of them, least recently used dropped first)."""
        with self.lock:
            version = (self.versions().full, self._writes)
            hit = self._views.get(key)
            if hit is not None and hit[0] == version:
                self._views.move_to_end(key)
                return hit[1]  # type: ignore[return-value]
        value = compute()
        with self.lock:
            self._views[key] = (version, value)
            self._views.move_to_end(key)
            while len(self._views) > VIEW_CACHE:
                self._views.popitem(last=False)
        return value

    def changed(self) -> None:
        """After a write through the app: forget facts the engine caches."""
        with self.lock:
            self.ws.engine.invalidate()
            self._versions = None
            self._writes += 1

    def warm(self) -> None:
        """Compute what the first pages need (run in the background at start)."""
        try:
            self.snapshot()
            self.health_scores()  # stores the scores the renewal_red_health rule reads
            self.health_history()
            self.evaluation()
            self.accounts()
            self.refresh_ctas()
            self._warm_pages()
        except Exception as exc:  # reported on the pages; the requests retry it
            self.warm_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__

    def _warm_pages(self) -> None:
        """The slower answers the first visits ask for: next quarter's renewals, the last
        quarter's statements and company scorecard, the health back-test."""
        fiscal = self.config.company.fiscal_year_start_month
        last = [p for p in self.snapshot().periods if p.kind == "quarter"][-1]
        upcoming = following(period_containing(self.as_of(), "quarter", fiscal), fiscal)
        for key, compute, forecasts in (
            (("renewals", upcoming.label), lambda: self.ws.renewal_forecasts(upcoming), True),
            (("statements", last.label), lambda: self.ws.comp_statements(last), False),
            (
                ("scorecard", "company", None, last.label),
                lambda: self.ws.scorecard(company=True, period=last),
                False,
            ),
        ):
            try:
                self.cached(key, compute, forecasts=forecasts)
            except CsMetricsError:
                continue  # the page says why when it is opened
        self.health_backtest()

    # -- basic facts -------------------------------------------------------------------

    def as_of(self) -> date:
        return self.cached("as_of", self.ws.as_of)

    def csms(self) -> pd.DataFrame:
        """csm_id, name, team, role, manager_id of every CSM."""

        def load() -> pd.DataFrame:
            table = self.ws.table("csms")
            frame = self.ws.engine.execute(table.select("csm_id", "name", "team", "role"))
            for column in frame.columns:
                frame[column] = frame[column].astype("string")
            return frame.sort_values("name").reset_index(drop=True)

        return self.cached("csms", load)

    def snapshot(self) -> snapshots.Snapshot:
        def build() -> snapshots.Snapshot:
            as_of = self.as_of()
            return snapshots.build(self.ws, snapshots.default_periods(self.ws, as_of), as_of)

        return self.cached("snapshot", build)

    def period_snapshot(self, label: str | None) -> tuple[snapshots.Snapshot, Period]:
        """The snapshot holding ``label`` (default: the last complete quarter)."""
        main = self.snapshot()
        quarters = [p for p in main.periods if p.kind == "quarter"]
        if label is None:
            return main, quarters[-1]
        found = main.period(label)
        if found is not None:
            return main, found
        period = parse_period(label, self.config.company.fiscal_year_start_month)
        extra = self.cached(
            ("snapshot", period.label),
            lambda: snapshots.build(self.ws, [period], self.as_of()),
        )
        return extra, period

    def accounts(self) -> pd.DataFrame:
        """Every account with its owner on the as-of day (``ACCOUNT_COLUMNS``): the current
        book, with ARR and the next renewal for paying accounts."""

        def load() -> pd.DataFrame:
            as_of = self.as_of()
            day = Period(as_of, as_of + timedelta(days=1), as_of.isoformat(), "range")
            ctx = context(self.ws.engine, self.config, [day], "account", None)
            owned = self.ws.engine.execute(owners(ctx).select("account_id", "csm_id"))
            accounts = self.ws.engine.execute(
                self.ws.table("accounts").select(
                    "account_id",
                    account_name="name",
                    tier="tier",
                    segment="segment",
                    industry="industry",
                    region="region",
                )
            )
            frame = accounts.merge(owned, on="account_id", how="left")
            names = self.csms()[["csm_id", "name", "team"]].rename(columns={"name": "csm_name"})
            frame["csm_id"] = frame["csm_id"].astype("string")
            frame = frame.merge(names, on="csm_id", how="left")
            book = self.evaluation_on(as_of).book[
                ["account_id", "arr", "renewal_date", "customer_since"]
            ]
            frame = frame.merge(book, on="account_id", how="left")
            frame["paying"] = frame["arr"].notna()
            frame["arr"] = frame["arr"].astype("float64").round(2)
            for column in ("account_id", "account_name", "tier", "segment", "team"):
                frame[column] = frame[column].astype("string")
            return frame[list(ACCOUNT_COLUMNS)].sort_values("account_name").reset_index(drop=True)

        return self.cached("accounts", load)

    # -- risk --------------------------------------------------------------------------

    def risk_days(self) -> list[date]:
        """The as-of day and the last day of each snapshot period (at-risk numbers and trend)."""
        ends = [p.last_day for p in self.snapshot().periods]
        return sorted({*ends, self.as_of()})

    def evaluation(self) -> risk.Evaluation:
        def judge() -> risk.Evaluation:
            found = risk.evaluate(self.ws.engine, self.config, self.risk_days())
            keys = ("account_id", "csm_id", "team", "tier", "segment")
            return replace(
                found,
                book=snapshots.categorical(found.book, keys),
                signals=snapshots.categorical(found.signals, keys),
            )

        return self.cached("evaluation", judge)

    def evaluation_on(self, day: date) -> risk.Evaluation:
        """The evaluation of one day (from the cached one when it is among its days)."""
        full = self.evaluation()
        if day not in full.days:
            return self.cached(
                ("evaluation", day), lambda: risk.evaluate(self.ws.engine, self.config, [day])
            )
        book = full.book[full.book["as_of"] == day].reset_index(drop=True)
        signals = full.signals[full.signals["as_of"] == day].reset_index(drop=True)
        return risk.Evaluation((day,), book, signals, full.rules)

    def refresh_ctas(self) -> None:
        """Open and close calls to action for the as-of day, once per data version."""

        def run() -> bool:
            last = risk.last_refresh(self.ws.engine)
            as_of = self.as_of()
            if last is None or last < as_of:
                self.ws.refresh_ctas(as_of)
            return True

        self.cached("ctas-refreshed", run)

    # -- health ------------------------------------------------------------------------

    def health_scores(self) -> pd.DataFrame | str:
        """Today's health score per account, or why there is none (the message)."""

        def load() -> pd.DataFrame | str:
            try:
                frame = self.ws.health_scores()
            except CsMetricsError as exc:
                return str(exc)
            frame["account_id"] = frame["account_id"].astype("string")
            return frame

        return self.cached("health_scores", load)

    def health_history(self) -> pd.DataFrame | str:
        """Every kept score of every account (month ends and the as-of day)."""

        def load() -> pd.DataFrame | str:
            try:
                frame = self.ws.health_history()
            except CsMetricsError as exc:
                return str(exc)
            frame["account_id"] = frame["account_id"].astype("string")
            return frame

        return self.cached("health_history", load)

    def health_explanation(self, account_id: str) -> Any:
        """One account's score measure by measure (an ``Explanation``), or the message."""

        def load() -> Any:
            try:
                return self.ws.explain_health(account_id)
            except CsMetricsError as exc:
                return str(exc)

        return self.cached(("health_explanation", account_id), load)

    def health_backtest(self) -> Any:
        def load() -> Any:
            try:
                return self.ws.health_backtest()
            except CsMetricsError as exc:
                return str(exc)

        return self.cached("health_backtest", load)
