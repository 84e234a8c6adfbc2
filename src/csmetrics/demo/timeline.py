"""The demo's calendar: integer epoch days, month indices and timestamps in microseconds.

The simulation steps month by month; every date is carried as an epoch day (int64)
and every timestamp as epoch microseconds, so whole columns are computed with numpy
and converted to Arrow only when a table is written. Month ``k`` is counted from the
first month of history (``k = 0``); negative ``k`` is before the history starts.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from csmetrics.periods import add_months

EPOCH = date(1970, 1, 1)
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
NA = np.iinfo(np.int64).min
"""Null marker for integer-coded dates, timestamps, integers and booleans."""

_PAD = 160  # months of calendar kept before the start and after the end


def epoch_day(day: date) -> int:
    return (day - EPOCH).days


def from_epoch_day(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


@dataclass(frozen=True, eq=False)
class Timeline:
    """``months`` calendar months of history ending (exclusive) on ``end``."""

    start: date
    end: date
    months: int
    _starts: np.ndarray = field(repr=False)

    @classmethod
    def ending(cls, end: date, months: int) -> Timeline:
        start = add_months(end, -months)
        starts = [epoch_day(add_months(start, k)) for k in range(-_PAD, months + _PAD + 1)]
        return cls(start, end, months, np.asarray(starts, dtype=np.int64))

    @property
    def start_day(self) -> int:
        return epoch_day(self.start)

    @property
    def end_day(self) -> int:
        return epoch_day(self.end)

    def month_start(self, k: np.ndarray | int) -> np.ndarray:
        """Epoch day of the first day of month ``k`` (vectorised)."""
        index = np.asarray(k) + _PAD
        if index.size and (index.min() < 0 or index.max() >= len(self._starts)):
            raise ValueError(f"month index outside the calendar: {index.min() - _PAD}..")
        return self._starts[index]

    def on_anchor(self, k: np.ndarray | int, anchor: np.ndarray | int) -> np.ndarray:
        """Epoch day of day-of-month ``anchor`` (1-28) in month ``k``."""
        return self.month_start(k) + np.asarray(anchor) - 1

    def month_of(self, day: np.ndarray | int) -> np.ndarray:
        """Month index holding epoch day ``day``."""
        return np.searchsorted(self._starts, np.asarray(day), side="right") - 1 - _PAD

    def month_label(self, k: int) -> str:
        d = from_epoch_day(int(self.month_start(k)))
        return f"{d.year:04d}-{d.month:02d}"

    def quarter_label(self, day: int) -> str:
        d = from_epoch_day(day)
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so that (for example) changing the
    events scale never changes the contracts drawn for the same seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def uniform_int(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One integer in [low, high) per element (high > low assumed)."""
    low = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - low, 1)
    return low + (rng.random(np.broadcast(low, span).shape) * span).astype(np.int64)


def working_time(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A timestamp (epoch us) in [lo, hi) for each element, mostly in working hours."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    uniform = lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)
    day = uniform // US_PER_DAY * US_PER_DAY
    hour = np.clip(rng.normal(13.0, 3.0, len(lo)), 0, 23.999) * US_PER_HOUR
    shaped = day + hour.astype(np.int64)
    return np.where((shaped >= lo) & (shaped < hi), shaped, uniform)
