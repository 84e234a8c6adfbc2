"""Small hand-made workspaces for the health tests: a model in csmetrics.yaml, crafted rows."""

from __future__ import annotations

import pytest
from health_data import build

from csmetrics.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path):
    """``make_ws(config_yaml, accounts=..., contracts=..., **tables)`` -> an open workspace."""
    opened: list[Workspace] = []

    def make(config: str = "", **tables) -> Workspace:
        ws = build(tmp_path / f"ws{len(opened)}", config, **tables)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
