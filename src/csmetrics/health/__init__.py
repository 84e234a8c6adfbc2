"""Health: scores per account over time, their explanation, the quadrant and the back-test.

A health model (``health.models`` in csmetrics.yaml) scores every paying account at
every month end and on the data's as-of day; the scores and their per-measure detail
are kept in ``_health_scores``/``_health_measures`` and recomputed when the data or
the model changes. Other layers read them through ``scores``::

    from csmetrics import health
    health.scores(engine, config)                  # today's, default model
    health.scores(engine, config, date(2026, 6, 30), model="standard")
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from csmetrics.health.backtest import Backtest, backtest
from csmetrics.health.book import Book, open_book, resolve_model
from csmetrics.health.explain import Explanation, explain
from csmetrics.health.quadrant import QUADRANTS, Quadrant, quadrant
from csmetrics.health.scoring import BANDS
from csmetrics.health.signals import SIGNALS
from csmetrics.health.table import HealthTable, health_table

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics.config import Config
    from csmetrics.engine import Engine

SCORE_COLUMNS = ["account_id", "as_of", "score", "band"]


def scores(
    engine: Engine, config: Config, as_of: date | None = None, model: str | None = None
) -> pd.DataFrame:
    """account_id, as_of, score (0-100, higher is healthier), band, for every paying account.

    ``as_of`` None: the data's as-of day (a later day is answered for the as-of day,
    which the ``as_of`` column shows). ``model`` None: ``health.default_model``. Kept
    scores are computed and stored first when missing or stale.
    """
    book = open_book(engine, config, model)
    day = book.day(as_of)
    frame = book.scores([day]) if day in book.days else book.snapshot(day).scores
    return frame[SCORE_COLUMNS].reset_index(drop=True)


def history(
    engine: Engine, config: Config, model: str | None = None, account_id: str | None = None
) -> pd.DataFrame:
    """Every kept score (month ends and the as-of day) of a model, optionally one account's."""
    book = open_book(engine, config, model)
    return book.scores(account_id=account_id)[SCORE_COLUMNS]


__all__ = [
    "BANDS",
    "QUADRANTS",
    "SIGNALS",
    "Backtest",
    "Book",
    "Explanation",
    "HealthTable",
    "Quadrant",
    "backtest",
    "explain",
    "health_table",
    "history",
    "open_book",
    "quadrant",
    "resolve_model",
    "scores",
]
