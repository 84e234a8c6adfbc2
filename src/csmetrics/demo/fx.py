"""Monthly exchange rates that drift, so FX effects show up apart from expansion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csmetrics.demo.timeline import Timeline
from csmetrics.demo.vocab import CURRENCIES

# USD per unit at the start of the rate history; the drift is a small random walk.
_BASE = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
HISTORY_MONTHS = 48  # rates go back before the first month, for contracts signed earlier


@dataclass(frozen=True, eq=False)
class FxRates:
    """``rates[c, k + HISTORY_MONTHS]`` is the rate of currency ``c`` in month ``k``."""

    timeline: Timeline
    rates: np.ndarray

    def usd(self, currency: np.ndarray, month: np.ndarray) -> np.ndarray:
        """USD per unit of ``currency`` (codes into CURRENCIES) in month index ``month``."""
        k = np.clip(np.asarray(month) + HISTORY_MONTHS, 0, self.rates.shape[1] - 1)
        return self.rates[np.asarray(currency), k]

    def columns(self) -> dict[str, np.ndarray]:
        n_months = self.rates.shape[1]
        months = np.arange(n_months) - HISTORY_MONTHS
        currency = np.repeat(np.array(CURRENCIES, dtype=object), n_months)
        return {
            "currency": currency,
            "rate_date": np.tile(self.timeline.month_start(months), len(CURRENCIES)),
            "rate": np.round(self.rates.reshape(-1), 6),
        }


def build_fx(timeline: Timeline, rng: np.random.Generator) -> FxRates:
    n_months = HISTORY_MONTHS + timeline.months
    rows = []
    for code in CURRENCIES:
        if code == "USD":
            rows.append(np.ones(n_months))
            continue
        steps = rng.normal(0.0005, 0.013, n_months)
        steps[0] = 0.0
        rows.append(_BASE[code] * np.exp(np.cumsum(steps)))
    return FxRates(timeline, np.vstack(rows))
