"""Small hand-made workspaces for the KPI tests (data loaded through ``ws.load``)."""

from __future__ import annotations

import pytest
from kpi_helpers import CSMS, load

import csmetrics
from csmetrics.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path):
    """``make_ws(accounts, contracts, **other_tables)`` -> an open workspace."""
    opened: list[Workspace] = []

    def make(accounts: list[dict], contracts: list[dict], **tables: list[dict]) -> Workspace:
        ws = csmetrics.init(tmp_path / f"ws{len(opened)}")
        opened.append(ws)
        load(ws, "csms", CSMS)
        load(ws, "accounts", accounts)
        if contracts:
            load(ws, "contracts", contracts)
        for name, rows in tables.items():
            load(ws, name, rows)
        return ws

    yield make
    for ws in opened:
        ws.close()
