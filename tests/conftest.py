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
