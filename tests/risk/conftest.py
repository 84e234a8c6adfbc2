"""Small hand-made workspaces for the risk tests (data loaded through ``ws.load``)."""

from __future__ import annotations

import pytest
from risk_data import CSMS, account, contract, load

import csmetrics
from csmetrics.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path):
    """``make_ws(accounts=..., contracts=..., **tables)`` -> an open workspace.

    Defaults: A1 (owner C1) and A2 (owner C2), each with an open 12,000 ARR contract
    from 2025-01-01.
    """
    opened: list[Workspace] = []

    def make(
        accounts: list[dict] | None = None, contracts: list[dict] | None = None, **tables
    ) -> Workspace:
        ws = csmetrics.init(tmp_path / f"ws{len(opened)}")
        opened.append(ws)
        load(ws, "csms", CSMS)
        load(ws, "accounts", accounts or [account("A1", "C1"), account("A2", "C2")])
        load(ws, "contracts", contracts or [contract("K1", "A1"), contract("K2", "A2")])
        for name, rows in tables.items():
            load(ws, name, rows)
        return ws

    yield make
    for ws in opened:
        ws.close()
