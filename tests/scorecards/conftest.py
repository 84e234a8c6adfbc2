"""Small hand-made workspaces for the scorecard tests (data loaded through ``ws.load``)."""

from __future__ import annotations

import pytest
from scorecard_data import CSMS, load

import csmetrics
from csmetrics.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path):
    """``make_ws(accounts, contracts, config="yaml text", **tables)`` -> an open workspace.

    ``config`` replaces csmetrics.yaml (keys left out keep their defaults).
    """
    opened: list[Workspace] = []

    def make(
        accounts: list[dict], contracts: list[dict], config: str = "", **tables: list[dict]
    ) -> Workspace:
        root = tmp_path / f"ws{len(opened)}"
        csmetrics.init(root).close()
        if config:
            (root / "csmetrics.yaml").write_text(config, "utf-8")
        ws = csmetrics.open(root)
        opened.append(ws)
        load(ws, "csms", CSMS)
        load(ws, "accounts", accounts)
        load(ws, "contracts", contracts)
        for name, rows in tables.items():
            load(ws, name, rows)
        return ws

    yield make
    for ws in opened:
        ws.close()
