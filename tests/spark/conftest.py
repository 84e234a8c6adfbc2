"""One small demo company per test session, for the backend tests to copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from spark_data import DEMO_ARGS
from typer.testing import CliRunner

from csmetrics.cli.app import app as cli


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backends") / "duckdb"
    result = CliRunner().invoke(cli, ["demo", str(root), *DEMO_ARGS])
    assert result.exit_code == 0, result.output
    return root
