"""The scores of one model over history: computed once, stored, recomputed when stale.

``open_book`` checks the stored fingerprint (``health.store``); when it differs the
whole history (every month end and the as-of day) is recomputed set-wise and written
in one transaction. A read-only store cannot be written: its book is computed in
memory (and kept for the process, keyed by the fingerprint) instead. A day that is not
kept (mid-month in the past) is scored on the fly from the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from csmetrics.errors import HealthError
from csmetrics.health import store
from csmetrics.health.measures import raw_values
from csmetrics.health.population import history_days, population
from csmetrics.health.scoring import score
from csmetrics.kpis import data_as_of

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.health import HealthModel
    from csmetrics.engine import Engine


def resolve_model(config: Config, name: str | None) -> tuple[str, HealthModel]:
    """The model called ``name`` ("default" or None: the default model)."""
    health = config.health
    if name is None or (name == "default" and "default" not in health.models):
        name = health.default_model
    if name not in health.models:
        raise HealthError(
            f"unknown health model {name!r}; models: {', '.join(health.models)} "
            "(declared under health.models in csmetrics.yaml)"
        )
    return name, health.models[name]


@dataclass(frozen=True)
class Snapshot:
    """Scores, measure detail and the scored population (with ARR) on some days."""

    scores: pd.DataFrame
    measures: pd.DataFrame
    population: pd.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)


def compute(
    engine: Engine, config: Config, model_name: str, model: HealthModel, days: list[date]
) -> Snapshot:
    """Score every paying account on each of ``days`` (set-wise; nothing is stored)."""
    pop = population(engine, config, days)
    raw = raw_values(engine, config, model_name, model, pop)
    measures, scores = score(model, pop, raw.frame)
    return Snapshot(scores, measures, pop, raw.unavailable)


_MEMORY: dict[tuple[int, str], Snapshot] = {}


@dataclass
class Book:
    """The kept scores of one model; read through ``scores``/``measures``/``snapshot``."""

    engine: Engine
    config: Config
    model_name: str
    model: HealthModel
    as_of: date
    days: list[date]
    memory: Snapshot | None = None

    def scores(self, days: list[date] | None = None, account_id: str | None = None) -> pd.DataFrame:
        if self.memory is None:
            return store.read_scores(self.engine, self.model_name, days, account_id)
        return _filter(self.memory.scores, days, account_id)

    def measures(
        self, days: list[date] | None = None, account_id: str | None = None
    ) -> pd.DataFrame:
        if self.memory is None:
            return store.read_measures(self.engine, self.model_name, days, account_id)
        return _filter(self.memory.measures, days, account_id)

    def snapshot(self, day: date, account_id: str | None = None) -> Snapshot:
        """Scores and measures on ``day``: kept rows when it is a kept day, else computed."""
        if day in self.days:
            pop = population(self.engine, self.config, [day])
            if account_id is not None:
                pop = pop[pop["account_id"] == account_id]
            return Snapshot(self.scores([day], account_id), self.measures([day], account_id), pop)
        snap = compute(self.engine, self.config, self.model_name, self.model, [day])
        if account_id is None:
            return snap
        return Snapshot(
            _filter(snap.scores, None, account_id),
            _filter(snap.measures, None, account_id),
            _filter(snap.population, None, account_id),
            snap.unavailable,
        )

    def day(self, wanted: date | None) -> date:
        """The day asked for, or the as-of day; never after the data's as-of day."""
        if wanted is None or wanted > self.as_of:
            return self.as_of
        return wanted


def open_book(engine: Engine, config: Config, model: str | None = None) -> Book:
    """The model's scores over history, recomputed and stored first when stale."""
    name, definition = resolve_model(config, model)
    missing = [t for t in ("accounts", "contracts") if not engine.has_rows(t)]
    if missing:
        raise HealthError(
            f"nothing to score: no rows in {' and '.join(missing)} (import them first)"
        )
    as_of = data_as_of(engine)
    days = history_days(engine, as_of)
    print_ = store.fingerprint(engine, config, name, definition, as_of)
    if store.is_read_only(engine):
        key = (id(engine), print_)
        if key not in _MEMORY:
            _MEMORY.clear()
            _MEMORY[key] = compute(engine, config, name, definition, days)
        return Book(engine, config, name, definition, as_of, days, _MEMORY[key])
    if store.stored_fingerprint(engine, name) != print_:
        snap = compute(engine, config, name, definition, days)
        store.write(engine, name, print_, as_of, snap.scores, snap.measures)
    return Book(engine, config, name, definition, as_of, days)


def _filter(frame: pd.DataFrame, days: list[date] | None, account_id: str | None) -> pd.DataFrame:
    rows = frame
    if days is not None:
        rows = rows[rows["as_of"].isin(days)]
    if account_id is not None:
        rows = rows[rows["account_id"] == account_id]
    return rows.reset_index(drop=True)
