"""`csmetrics demo DIR`: generate, import through the importer, zero rejections."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import csmetrics
from csmetrics import schema
from csmetrics.cli.app import app
from csmetrics.errors import WorkspaceError

ARGS = ["--accounts", "80", "--months", "12", "--events-scale", "0.05", "--end-date", "2026-05-01"]


def test_demo_loads_every_table_with_zero_rejections(tmp_path):
    target = tmp_path / "ws"
    result = CliRunner().invoke(app, ["demo", str(target), *ARGS])
    assert result.exit_code == 0, result.output
    assert "demo workspace ready" in result.output
    manifest = json.loads((target / "source" / "manifest.json").read_text())
    with csmetrics.open(target, read_only=True) as ws:
        for spec in schema.TABLES:
            assert ws.row_count(spec.name) == manifest["rows"][spec.name], spec.name
    assert (target / "source" / "contracts.parquet").exists()


def test_demo_refuses_an_existing_workspace_unless_forced(tmp_path):
    target = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["demo", str(target), *ARGS]).exit_code == 0
    again = runner.invoke(app, ["demo", str(target), *ARGS])
    assert again.exit_code != 0
    assert isinstance(again.exception, WorkspaceError)
    forced = runner.invoke(app, ["demo", str(target), *ARGS, "--force", "--seed", "8"])
    assert forced.exit_code == 0, forced.output


def test_demo_options_are_validated_before_anything_is_written(tmp_path):
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "ws"), "--months", "2"])
    assert result.exit_code == 2
    assert not (tmp_path / "ws").exists()


def test_an_end_date_inside_a_month_is_refused_before_anything_is_written(tmp_path):
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "ws"), "--end-date", "2026-05-15"])
    assert result.exit_code != 0
    assert "first day of a month" in str(result.exception)
    assert not (tmp_path / "ws").exists()
