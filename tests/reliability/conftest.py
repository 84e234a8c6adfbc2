"""Budgets and counters of the reliability suite (bad input, faults).

The default run is bounded so ``make test`` stays quick; ``HYPOTHESIS_PROFILE=soak``
(``make soak``) multiplies every budget (``budgets.py``); tests marked ``soak`` are
left out of the default run by ``addopts``. Each
test adds what it tried to a tally (cases per importer, kills and where they
landed), summed over the xdist workers and printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from .budgets import SOAK, Tally


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counter = Tally()
    yield counter
    request.node.user_properties.append(("tally", dict(counter.counts)))


def pytest_configure(config: pytest.Config) -> None:
    if SOAK:
        settings.load_profile("soak")
