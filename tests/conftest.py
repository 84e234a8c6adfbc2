"""Shared fixtures: a fresh workspace in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import csmetrics
from csmetrics import Workspace

DATA = Path(__file__).parent / "data"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace (default config, empty store) closed after the test."""
    ws = csmetrics.init(tmp_path / "ws")
    yield ws
    ws.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Add up the ``tally`` the reliability tests report (cases tried, kills injected)."""
    total: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, counts in getattr(report, "user_properties", ()):
                if name == "tally" and getattr(report, "when", "call") == "teardown":
                    for key, n in counts.items():
                        total[key] = total.get(key, 0) + n
    if total:
        terminalreporter.write_sep("-", "reliability tally")
        for key in sorted(total):
            terminalreporter.write_line(f"{key}: {total[key]:,}")
