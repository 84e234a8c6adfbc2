"""Workspaces for the payout tests: the company of ``comp_data`` with a plan of the test's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from comp_data import RETENTION_PLAN, build

from csmetrics.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path: Path) -> Iterator[Callable[..., Workspace]]:
    """``make_ws(config, **extra_tables)`` -> an open workspace, closed after the test."""
    opened: list[Workspace] = []

    def make(config: str, **extra: list[dict]) -> Workspace:
        ws = build(tmp_path / f"ws{len(opened)}", config, **extra)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def retention_ws(make_ws) -> Workspace:
    """The retention plan (individual + team NRR), pro-rated by days employed."""
    return make_ws(RETENTION_PLAN.format(proration="days_employed"))


@pytest.fixture
def retention_root(retention_ws: Workspace) -> Path:
    """The retention workspace's folder, closed so a command can open it."""
    retention_ws.close()
    return retention_ws.root


@pytest.fixture(scope="module")
def retention_shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The retention workspace built once per module, for tests that only read it."""
    ws = build(
        tmp_path_factory.mktemp("retention") / "ws",
        RETENTION_PLAN.format(proration="days_employed"),
    )
    yield ws
    ws.close()
