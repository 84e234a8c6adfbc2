"""Budgets of the reliability suite: bounded by default, multiplied under soak.

``HYPOTHESIS_PROFILE=soak`` (``make soak``) multiplies every budget by
``CSMETRICS_SOAK_FACTOR`` (25 unless set) and runs the tests marked ``soak``.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, Phase, settings

SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
# Set CSMETRICS_FUZZ_SHRINK=0 to see a failure at once instead of its smallest form.
_PHASES = tuple(
    p for p in Phase if os.environ.get("CSMETRICS_FUZZ_SHRINK", "1") != "0" or p is not Phase.shrink
)
SOAK_FACTOR = int(os.environ.get("CSMETRICS_SOAK_FACTOR", "25"))

settings.register_profile(
    "soak", deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)


def budget(default: int) -> int:
    """How many cases a test tries: ``default``, or ``SOAK_FACTOR`` times it under soak."""
    return default * SOAK_FACTOR if SOAK else default


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for an importer property: no deadline (disk and DuckDB vary)."""
    return settings(
        max_examples=budget(examples),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
        database=None,
        phases=_PHASES,
    )


class Tally:
    """Counts kept by one test; they travel with its report (``user_properties``), so the
    summary at the end of the run (tests/conftest.py) adds them up across xdist workers."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
