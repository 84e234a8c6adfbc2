"""Expected retention: how likely each account was to stay, judged on its first day.

A calibrated logistic regression (scikit-learn) learns, from account-periods that
ended on or before the start of the period judged, the chance an account paying on a
period's first day still pays on the day after it ends. Each example is described
only by what was known on its own first day (``book``):

* ``tier`` (one column per tier seen in training);
* ``ARR band`` on that day (``fair_comparison.arr_bands`` edges, one column per band);
* ``tenure``: log(1 + years since the account first paid);
* ``renewal due``: an annual or multi-year term ends in the period; ``monthly``: a
  monthly-billed term is in force (such a customer renews every month);
* ``health`` at the start when stored scores exist: the latest ``_health_scores``
  score of the model ``fair_comparison.health_model`` (default: ``health.default_model``)
  dated before the period's first day (standardised; a missing score is 0 with its own
  indicator column).

Training uses the ``fair_comparison.history_periods`` periods of the same kind (or
length) ending where the judged period starts, so nothing from the judged period or
later reaches the model: no outcome, no score, no contract signed after day one.
Calibration: Platt scaling over stratified folds (``CalibratedClassifierCV``), or the
plain regression when churners are too few to fold; with no churn (or no retention)
at all in the history, every account gets the observed rate.

The same model gives renewal forecasts their "model" column (``forecasting``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.errors import KpiError
from csmetrics.kpis.compute import context
from csmetrics.scorecards.book import book_expression
from csmetrics.scorecards.periods import before

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.kpis.context import KpiContext
    from csmetrics.periods import Period

HEALTH_TABLE = "_health_scores"
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class RetentionModel:
    """A fitted expected-retention model and what it was fitted on."""

    features: tuple[str, ...]
    tiers: tuple[str, ...]
    arr_bands: tuple[float, ...]
    uses_health: bool
    health_mean: float
    health_scale: float
    trained_on: tuple[str, ...]
    trained_from: date
    trained_until: date
    examples: int
    retention_rate: float
    calibrated: bool
    estimator: object | None

    def predict(self, book: pd.DataFrame) -> np.ndarray:
        """P(still paying at the period's end) for each row of a book frame."""
        if self.estimator is None:
            return np.full(len(book), self.retention_rate)
        return self.estimator.predict_proba(self.design(book))[:, 1]  # type: ignore[attr-defined]

    def design(self, book: pd.DataFrame) -> np.ndarray:
        """The feature matrix, columns as ``features``."""
        return _design(
            book, self.tiers, self.arr_bands, self.uses_health, self.health_mean, self.health_scale
        )


def examples(
    engine: Engine, config: Config, periods: Sequence[Period], with_health: bool
) -> pd.DataFrame:
    """The book of each period (``book``), with ``health`` at its start when asked."""
    ctx = context(engine, config, periods, "company", None)
    expr = book_expression(ctx)
    if with_health:
        expr = _with_health(ctx, expr, health_model(config))
    frame = engine.execute(expr)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    if not with_health:
        frame["health"] = np.nan
    # a fixed order, so the calibration folds (and the fit) are the same on every run
    return frame.sort_values(["period_start", "account_id"], ignore_index=True)


def has_health(engine: Engine, config: Config) -> bool:
    """Whether stored health scores of the configured model exist."""
    if not engine.has_rows(HEALTH_TABLE):
        return False
    scores = engine.table(HEALTH_TABLE)
    mine = scores.filter(scores.model == health_model(config))
    return int(engine.scalar(mine.count())) > 0


def health_model(config: Config) -> str:
    """The health model whose stored scores are a feature."""
    return config.fair_comparison.health_model or config.health.default_model


def _with_health(ctx: KpiContext, book: ir.Table, model: str) -> ir.Table:
    """``book`` plus ``health``: the latest score dated strictly before each period's start."""
    scores = ctx.tables(HEALTH_TABLE)
    scores = scores.filter(scores.model == model).select(
        _a="account_id", _at=scores.as_of.cast("date"), _score=scores.score.cast("float64")
    )
    starts = ctx.periods_table().select(_p="period", _s="period_start")
    dated = starts.join(scores, scores._at < starts._s)
    latest = dated.group_by(["_p", "_a"]).aggregate(health=dated._score.argmax(dated._at))
    j = book.left_join(latest, [book.period == latest._p, book.account_id == latest._a])
    return j.drop("_p", "_a")


def fit(engine: Engine, config: Config, period: Period) -> RetentionModel:
    """The model for judging ``period``, fitted on the periods that end where it starts."""
    options = config.fair_comparison
    history = before(period, options.history_periods, config.company.fiscal_year_start_month)
    with_health = has_health(engine, config)
    train = examples(engine, config, history, with_health)
    return fit_frame(train, config, period, with_health)


def fit_frame(
    train: pd.DataFrame, config: Config, period: Period, with_health: bool
) -> RetentionModel:
    """Fit on a book frame of past periods; refuses any example not over by ``period.start``."""
    late = train[pd.to_datetime(train["period_end"]) > pd.Timestamp(period.start)]
    if len(late):
        raise KpiError(
            f"expected retention for {period.label}: {len(late)} training examples end after "
            f"{period.start}; the model may only learn from earlier periods"
        )
    options = config.fair_comparison
    if len(train) < options.min_examples:
        raise KpiError(
            f"expected retention for {period.label}: {len(train)} account-periods before "
            f"{period.start}, fewer than fair_comparison.min_examples ({options.min_examples}); "
            "more history is needed"
        )
    uses_health = with_health and train["health"].notna().any()
    health = train["health"].astype("float64")
    mean = float(health.mean()) if uses_health else 0.0
    scale = float(health.std()) if uses_health and health.std() > 0 else 1.0
    tiers = tuple(sorted(train["tier"].dropna().astype(str).unique()))
    bands = tuple(options.arr_bands)
    y = train["retained"].to_numpy(dtype=int)
    rate = float(y.mean())
    labels = tuple(sorted(train["period"].unique()))
    common = {
        "features": _feature_names(tiers, bands, uses_health),
        "tiers": tiers,
        "arr_bands": bands,
        "uses_health": uses_health,
        "health_mean": mean,
        "health_scale": scale,
        "trained_on": labels,
        "trained_from": min(train["period_start"]),
        "trained_until": max(train["period_end"]),
        "examples": len(train),
        "retention_rate": rate,
    }
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority == 0:
        return RetentionModel(**common, calibrated=False, estimator=None)
    x = _design(train, tiers, bands, uses_health, mean, scale)
    estimator, calibrated = _estimator(minority)
    estimator.fit(x, y)
    return RetentionModel(**common, calibrated=calibrated, estimator=estimator)


def _estimator(minority: int) -> tuple[object, bool]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    regression = LogisticRegression(C=1.0, max_iter=2000)
    if minority < 2:
        return regression, False
    folds = StratifiedKFold(n_splits=min(5, minority), shuffle=True, random_state=0)
    return CalibratedClassifierCV(regression, method="sigmoid", cv=folds), True


def _feature_names(
    tiers: tuple[str, ...], bands: tuple[float, ...], health: bool
) -> tuple[str, ...]:
    edges = [0.0, *bands]
    names = [f"tier={t}" for t in tiers]
    names += [f"arr>={edges[i]:,.0f}" for i in range(len(edges))]
    names += ["log1p(tenure years)", "renewal due", "monthly"]
    if health:
        names += ["health (standardised)", "health missing"]
    return tuple(names)


def _design(
    book: pd.DataFrame,
    tiers: tuple[str, ...],
    bands: tuple[float, ...],
    health: bool,
    mean: float,
    scale: float,
) -> np.ndarray:
    tier = book["tier"].astype(str).to_numpy()
    columns = [(tier == t).astype(float) for t in tiers]
    band = np.searchsorted(np.asarray(bands), book["start_arr"].to_numpy(dtype=float), side="right")
    columns += [(band == i).astype(float) for i in range(len(bands) + 1)]
    years = book["tenure_days"].fillna(0).clip(lower=0).to_numpy(dtype=float) / _DAYS_PER_YEAR
    columns.append(np.log1p(years))
    columns.append((book["annual_due"].to_numpy(dtype=float) > 0).astype(float))
    columns.append(book["monthly"].to_numpy(dtype=float))
    if health:
        h = book["health"].astype("float64").to_numpy()
        missing = np.isnan(h)
        columns.append(np.where(missing, 0.0, (h - mean) / scale))
        columns.append(missing.astype(float))
    return np.column_stack(columns)


def bernoulli_sum_sd(p: np.ndarray) -> float:
    """Standard deviation of a sum of independent Bernoulli(p) outcomes."""
    return math.sqrt(float(np.sum(p * (1 - p))))
