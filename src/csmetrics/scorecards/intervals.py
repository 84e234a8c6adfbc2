"""Intervals for small books: the Wilson score interval of a share, and a normal z.

A CSM with 6 renewals of which 5 renewed has 83% renewal, but that says little: the
Wilson interval (Wilson, 1927) stays inside [0, 1] and is honest for small counts
and shares near 0 or 1, where the textbook p +- z sqrt(p(1-p)/n) is not.
"""

from __future__ import annotations

import math
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 0.90 -> 1.645, 0.95 -> 1.960."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: float, trials: float, confidence: float) -> tuple[float, float]:
    """The Wilson score interval of successes / trials; (nan, nan) without trials.

    centre = (p + z^2 / 2n) / (1 + z^2 / n),
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2).
    """
    if trials <= 0:
        return (math.nan, math.nan)
    z = z_value(confidence)
    n, p = float(trials), successes / trials
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))
