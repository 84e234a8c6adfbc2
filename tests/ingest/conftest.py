"""Fixtures for the importer tests: a workspace seeded with the small hand-made files."""

from __future__ import annotations

from pathlib import Path

import pytest

import csmetrics
from csmetrics import Workspace

DATA = Path(__file__).parent.parent / "data" / "ingest"


@pytest.fixture
def seeded(workspace: Workspace) -> Workspace:
    """A workspace holding csms C1-C3 and accounts A1, A2 (tests/data/ingest)."""
    for table in ("csms", "accounts"):
        report = workspace.import_files(table, [DATA / f"{table}.csv"])
        assert report.ok, report.rejections
    return workspace


def rows(ws: Workspace, sql: str) -> list[tuple]:
    """Run a query on the store (tests read the tables directly)."""
    return ws.engine.duckdb.execute(sql).fetchall()


def workspace_with(root: Path, config_yaml: str) -> Workspace:
    """A new workspace whose csmetrics.yaml is exactly ``config_yaml``."""
    csmetrics.init(root).close()
    (root / "csmetrics.yaml").write_text(config_yaml, "utf-8")
    return csmetrics.open(root)
