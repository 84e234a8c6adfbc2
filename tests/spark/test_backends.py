"""Tables read in place and other Ibis backends: same answers, clear limits.

These need no Spark: DuckDB reading the events from the demo's Parquet files (how
data larger than the store is answered), and a second DuckDB reached by URL standing
in for "another Ibis backend" (every table shipped to it from the store).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from spark_data import set_engine
from typer.testing import CliRunner

from csmetrics import Workspace
from csmetrics.cli.app import app as cli
from csmetrics.errors import EngineError, WorkspaceError
from csmetrics.kpis.registry import all_kpis

SERIES = {"every": "month", "start": "2025-10", "end": "2026-03"}


def _copy(demo: Path, name: str, engine: dict[str, object]) -> Path:
    root = demo.parent / name
    if not root.exists():
        shutil.copytree(demo, root)
        set_engine(root, engine)
    return root


def _family(ws: Workspace, family: str, by: str = "csm") -> pd.DataFrame:
    names = [k.name for k in all_kpis() if k.family == family]
    return ws.kpis(names, by=by, **SERIES).sort_values(["kpi", "csm_id", "period"])


def test_events_read_in_place_from_parquet_match_the_imported_events(demo: Path) -> None:
    mapped = _copy(demo, "mapped", {"tables": {"events": "source/events"}})
    with Workspace.open(demo) as ws:
        assert ws.engine.uses_rollups
        expected = _family(ws, "adoption")
        imported = ws.row_count("events")
    with Workspace.open(mapped) as ws:
        assert ws.engine.is_external("events") and not ws.engine.uses_rollups
        assert ws.row_count("events") == imported > 50_000
        actual = _family(ws, "adoption")
        assert ws.refresh_rollups() == []
    pd.testing.assert_frame_equal(
        expected.reset_index(drop=True), actual.reset_index(drop=True), check_exact=True
    )


def test_refresh_says_why_there_is_nothing_to_refresh(demo: Path) -> None:
    mapped = _copy(demo, "mapped", {"tables": {"events": "source/events"}})
    result = CliRunner().invoke(cli, ["refresh", "--workspace", str(mapped)])
    assert result.exit_code == 0, result.output
    assert "nothing to refresh" in result.output and "read outside the store" in result.output


def test_a_table_read_in_place_cannot_be_imported_into(demo: Path) -> None:
    mapped = _copy(demo, "mapped", {"tables": {"events": "source/events"}})
    with Workspace.open(mapped) as ws, pytest.raises(WorkspaceError, match=r"engine.tables.events"):
        ws.import_files("events", [demo / "source" / "events" / "part-0000.parquet"])


def test_a_missing_parquet_location_names_the_config_key(demo: Path) -> None:
    broken = _copy(demo, "broken", {"tables": {"tickets": "nowhere/tickets.parquet"}})
    with (
        Workspace.open(broken) as ws,
        pytest.raises(EngineError, match=r"engine.tables.tickets: cannot read .*nowhere"),
    ):
        ws.kpi("first_response_hours")


def test_another_ibis_backend_by_url_gets_every_table_shipped(demo: Path) -> None:
    other = _copy(demo, "url", {"backend": "url", "url": "duckdb://"})
    with Workspace.open(demo) as ws:
        expected = [_family(ws, f) for f in ("retention", "support")]
        bridge = ws.movements(by="csm", **SERIES)
    with Workspace.open(other) as ws:
        assert not ws.engine.compute.in_store and not ws.engine.uses_rollups
        actual = [_family(ws, f) for f in ("retention", "support")]
        assert ws.movements(by="csm", **SERIES).equals(bridge)
    for left, right in zip(expected, actual, strict=True):
        pd.testing.assert_frame_equal(
            left.reset_index(drop=True), right.reset_index(drop=True), rtol=1e-12
        )
