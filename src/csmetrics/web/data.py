"""The workspace behind the web app: opened once, used under one lock, results cached
per data version.

DuckDB admits one writer process, and one connection must not run two queries at
once, so every use of the workspace goes through ``WebData.lock``. Slow answers (the
KPI snapshot, the risk evaluation, scorecards, renewals, statements) are cached with
the *data version* they were computed from: the number of import batches per table
in the store's ledger. Forecasts submitted on the renewals page are imports too, so
only the answers that read ``renewal_forecasts`` are recomputed after one.

When the data changes under a serving app (``serve_stale``), an answer cached from the
previous version is still returned at once, and one background thread (the refresher)
recomputes it and what ``warm()`` computes into a separate generation, swapped in as a
whole when the round is complete: pages never wait for a recompute and never mix the
old snapshot with half of a new one. The refresher computes on a second connection
to the store (``Workspace.sibling``) and takes the lock only to write (health scores,
calls to action), so a page that queries the store meanwhile does not wait for it.
Answers that read the forecasts are the exception: a CSM who just submitted one must
see it, so those are recomputed at once.
Everything here is unscoped; pages reach it only through ``ScopedData``
(``web.scoped``), which applies the viewer's access filter.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
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


@dataclass
class Recompute:
    """The refresher's state, as the admin API reports it."""

    state: str = "idle"  # running, done, failed
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    rounds: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": self.seconds,
            "rounds": self.rounds,
            "error": self.error,
        }


class WebData:
    """The open workspace, its lock and the caches (module doc)."""

    def __init__(self, root: Path, *, serve_stale: bool = False) -> None:
        self.root = root
        self._ws = Workspace.open(root)
        self.lock = threading.RLock()
        self.serve_stale = serve_stale
        self._cache: dict[Hashable, tuple[object, object]] = {}
        self._next: dict[Hashable, tuple[object, object]] = {}  # the refresher's generation
        self._versions: Versions | None = None
        self._writes = 0  # the app's own writes (forecasts, closed CTAs)
        self._refreshed = 0  # generations swapped in
        self._views: OrderedDict[Hashable, tuple[object, object]] = OrderedDict()
        self._views_lock = threading.Lock()
        self._local = threading.local()  # per thread: fresh, force, stale
        self._queue: dict[Hashable, Callable[[], object]] = {}
        self._queue_lock = threading.Lock()
        self._warm_wanted = False
        self._force_wanted = False
        self._refreshing = False
        self._failed: dict[Hashable, object] = {}  # key -> version its recompute failed at
        self.recompute = Recompute()
        self.warm_error: str | None = None

    @property
    def ws(self) -> Workspace:
        """The open workspace; in the refresher, its own second connection to the store."""
        side: Workspace | None = getattr(self._local, "ws", None)
        return side if side is not None else self._ws

    @property
    def config(self) -> Any:
        return self._ws.config

    def close(self) -> None:
        with self.lock:
            self._ws.close()

    # -- versions and caching ----------------------------------------------------------

    def versions(self) -> Versions:
        """The data version, read once: this process holds the store's only write lock, so
        it changes only through ``changed()`` after the app's own writes."""
        with self.lock:
            if self._versions is None:
                self._versions = self._read_versions()
            return self._versions

    def _read_versions(self) -> Versions:
        con = self._ws.engine.duckdb
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
        """``compute()`` once per data version (``forecasts``: it reads renewal_forecasts).

        A hit is answered without the lock, so a page whose answers are cached never waits
        behind another page's long computation; a hit read while a write is landing is
        the previous version's answer, as if the request had come a moment earlier. With
        ``serve_stale``, so is a hit of an older version while the refresher recomputes it
        (module doc)."""
        versions = self._versions or self.versions()
        version = versions.full if forecasts else versions.analytics
        if getattr(self._local, "fresh", False):
            return self._cached_fresh(key, compute, version)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]  # type: ignore[return-value]
        if hit is not None and self.serve_stale and not forecasts:
            self._local.stale = True  # whatever is built from it is stale too
            self._want(key, compute, version)
            return hit[1]  # type: ignore[return-value]
        ahead = self._next.get(key)
        if ahead is not None and ahead[0] == version:
            return ahead[1]  # type: ignore[return-value]
        with self.lock:
            versions = self.versions()
            version = versions.full if forecasts else versions.analytics
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]  # type: ignore[return-value]
            value, clean = self._compute(compute)
            # built from a stale answer: kept, but as stale, so it is recomputed later
            self._cache[key] = (version if clean else None, value)
            return value

    def _compute(self, compute: Callable[[], T]) -> tuple[T, bool]:
        """``compute()`` and whether it used no stale answer (``_local.stale``)."""
        outer = getattr(self._local, "stale", False)
        self._local.stale = False
        try:
            value = compute()
            return value, not self._local.stale
        finally:
            self._local.stale = outer or self._local.stale

    def _cached_fresh(self, key: Hashable, compute: Callable[[], T], version: object) -> T:
        """In the refresher: answers of the current version only, into the next generation
        (``force``: recompute even what is current)."""
        ahead = self._next.get(key)
        if ahead is not None and ahead[0] == version:
            return ahead[1]  # type: ignore[return-value]
        if not getattr(self._local, "force", False):
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]  # type: ignore[return-value]
        if getattr(self._local, "ws", None) is not None:
            value = compute()  # on the refresher's own connection
        else:
            with self.lock:
                value = compute()
        self._next[key] = (version, value)
        return value

    # -- the refresher ------------------------------------------------------------------

    @property
    def refreshing(self) -> bool:
        """A recompute is running: some answers may be the previous data's."""
        return self._refreshing

    def refresh(self, *, force: bool = False) -> bool:
        """Recompute in the background what ``warm()`` computes (``force``: even what is
        current), serving the cached answers until done. False: one was already
        running (it does this too before it ends)."""
        with self._queue_lock:
            self._warm_wanted = True
            self._force_wanted = self._force_wanted or force
            return self._start()

    def _want(self, key: Hashable, compute: Callable[[], object], version: object) -> None:
        """A stale answer was served: have the refresher recompute it (once per version)."""
        ahead = self._next.get(key)
        if (ahead is not None and ahead[0] == version) or self._failed.get(key) == version:
            return
        with self._queue_lock:
            if key not in self._queue:
                self._queue[key] = compute
                self._start()

    def _start(self) -> bool:
        """Start the refresher unless it runs (call under ``_queue_lock``)."""
        if self._refreshing:
            return False
        self._refreshing = True
        self.recompute = Recompute("running", started_at=datetime.now(UTC))
        threading.Thread(target=self._refresh_rounds, name="csmetrics-refresh", daemon=True).start()
        return True

    def _refresh_rounds(self) -> None:
        """Rounds of recomputing until nothing is wanted; each round's answers are swapped
        in together when the round is complete."""
        self._local.fresh = True
        clock = time.monotonic()
        errors: list[str] = []
        while True:
            with self._queue_lock:
                warm, force = self._warm_wanted, self._force_wanted
                items = dict(self._queue)
                self._queue.clear()
                self._warm_wanted = self._force_wanted = False
                if not warm and not items:
                    self._refreshing = False
                    self.recompute.state = "failed" if errors else "done"
                    self.recompute.error = "; ".join(errors[:3]) or None
                    self.recompute.finished_at = datetime.now(UTC)
                    self.recompute.seconds = round(time.monotonic() - clock, 3)
                    return
            self._local.force = force
            try:
                self._round(warm, items, errors)
            except Exception as exc:  # e.g. the second connection could not be opened
                errors.append(_first_line(exc))
            self._swap()
            self.recompute.rounds += 1

    def _round(
        self, warm: bool, items: dict[Hashable, Callable[[], object]], errors: list[str]
    ) -> None:
        """One round on a second connection (unless the config computes elsewhere: then
        on the app's own, under the lock). The health scores come first, under the lock:
        computing them stores them, and once stored for this data version the rest only
        reads them."""
        side = None
        if self._ws.engine.compute.in_store:
            with self.lock:
                side = self._ws.sibling()
        self._local.ws = side
        try:
            with self.lock:
                self.health_scores()
            if warm:
                try:
                    self._warm_steps()
                except Exception as exc:
                    errors.append(_first_line(exc))
            for key, compute in items.items():
                try:
                    self.cached(key, compute)
                except Exception as exc:  # the previous answer stays; not retried
                    versions = self._versions or self.versions()
                    self._failed[key] = versions.analytics
                    errors.append(f"{key}: {_first_line(exc)}")
        finally:
            self._local.ws = None
            if side is not None:
                side.close()

    def _swap(self) -> None:
        """The refresher's generation replaces the cached answers, all at once."""
        ready, self._next = self._next, {}
        self._cache.update(ready)
        self._refreshed += 1

    def view_cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A whole page's view, kept until the data or anything the app writes changes
        (at most ``VIEW_CACHE`` of them, least recently used dropped first). The views
        have their own lock: a hit never waits behind a computation holding ``lock``."""
        versions = self._versions or self.versions()
        version = (versions.full, self._writes, self._refreshed)
        with self._views_lock:
            hit = self._views.get(key)
            if hit is not None and hit[0] == version:
                self._views.move_to_end(key)
                return hit[1]  # type: ignore[return-value]
        value = compute()
        with self._views_lock:
            self._views[key] = (version, value)
            self._views.move_to_end(key)
            while len(self._views) > VIEW_CACHE:
                self._views.popitem(last=False)
        return value

    def changed(self) -> None:
        """After a write through the app (or an import beside it): forget facts the engine
        caches and read the new data version (at once: a request must not wait for the
        lock just to learn it)."""
        with self.lock:
            self._ws.engine.invalidate()
            self._versions = self._read_versions()
            self._writes += 1

    def warm(self) -> None:
        """Compute what the first pages need (run in the background at start)."""
        try:
            self._warm_steps()
        except Exception as exc:  # reported on the pages; the requests retry it
            self.warm_error = _first_line(exc)

    def _warm_steps(self) -> None:
        self.snapshot()
        self.health_scores()  # stores the scores the renewal_red_health rule reads
        self.health_history()
        self.evaluation()
        self.accounts()
        self.refresh_ctas()
        self._warm_pages()

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
        return self.cached("as_of", lambda: self.ws.as_of())  # the connection of the caller

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
            as_of = self.as_of()
            with self.lock:  # a write: one at a time with the pages' own (closing a CTA)
                last = risk.last_refresh(self.ws.engine)
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


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
