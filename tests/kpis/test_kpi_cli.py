"""The KPI commands end to end, on a small hand-made workspace."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass

import pandas as pd
import pytest
from kpi_helpers import account, contract
from typer.testing import CliRunner

import csmetrics
from csmetrics import kpis
from csmetrics.cli.app import app


def run(*args: str) -> Result:
    """The command in-process (fast); stdout and stderr apart."""
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, for what only ``main()`` does (one-line errors, exit codes)."""
    return subprocess.run(
        [sys.executable, "-c", "from csmetrics.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def workspace(make_ws):
    # Ana: A1 10,000 -> 12,000 (expands in August). Ben: A2 4,000, churns 2025-09-01.
    # Cleo: A3 starts 2025-08-01 (not in her Q3 cohort: empty denominator).
    ws = make_ws(
        [account("A1", "C1", "strategic"), account("A2", "C2"), account("A3", "C3")],
        [
            contract("K1", "A1", "2025-01-01", None, 10_000),
            contract("K2", "A1", "2025-08-10", None, 2_000, product="calendar"),
            contract("K3", "A2", "2025-01-01", "2025-09-01", 4_000),
            contract("K4", "A3", "2025-08-01", None, 1_000),
        ],
    )
    root = ws.root
    ws.close()
    return root


def test_kpi_nrr_by_csm_prints_one_row_per_csm(workspace):
    result = run("kpi", "nrr", "--by", "csm", "--period", "2025-Q3", "-w", str(workspace))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(lines) == 3  # Ana, Ben, Cleo
    assert "Ana" in lines[0] and "120.0%" in lines[0]
    assert "Ben" in lines[1] and "0.0%" in lines[1]
    assert "Cleo" in lines[2] and "n/a" in lines[2]

    result = run(
        "kpi", "nrr", "--by", "csm", "--period", "2025-Q3", "-w", str(workspace), "-f", "csv"
    )
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame.columns.tolist() == [
        "csm_id", "csm_name", "period", "period_start", "period_end", "value", "numerator",
        "denominator",
    ]  # fmt: skip
    assert frame[["csm_id", "numerator", "denominator"]].values.tolist() == [
        ["C1", 12_000, 10_000], ["C2", 0, 4_000], ["C3", 0, 0]
    ]  # fmt: skip
    assert frame["period_start"].tolist() == ["2025-07-01"] * 3


def test_kpi_series_as_json(workspace):
    result = run(
        "kpi", "arr", "--every", "month", "--from", "2025-07", "--to", "2025-09",
        "-w", str(workspace), "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    # Closing ARR: on 08-01 10,000 + 4,000 + 1,000; on 09-01 A1 has 12,000 and A2 has ended.
    assert [(r["period"], r["period_end"], r["value"]) for r in rows] == [
        ("2025-07", "2025-08-01", 15_000.0),
        ("2025-08", "2025-09-01", 13_000.0),
        ("2025-09", "2025-10-01", 13_000.0),
    ]


def test_movements_prints_the_bridge_and_that_it_reconciles(workspace):
    result = run("movements", "--period", "2025-Q3", "-w", str(workspace), "-f", "csv")
    assert result.returncode == 0, result.stderr
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0].to_dict()
    assert {k: row[k] for k in ("start", "new", "expansion", "churn", "end")} == {
        "start": 14_000, "new": 1_000, "expansion": 2_000, "churn": 4_000, "end": 13_000
    }  # fmt: skip
    assert "reconciles" in result.stderr


def test_summary_and_list(workspace):
    result = run("summary", "-w", str(workspace))
    assert result.returncode == 0, result.stderr
    for text in ("ARR (USD)", "Logo retention", "NRR", "GRR", "ARR by tier", "strategic"):
        assert text in result.stdout
    result = run("kpis", "--list")
    assert result.returncode == 0, result.stderr
    listed = pd.read_csv(io.StringIO(run("kpis", "--list", "-f", "csv").stdout))
    assert listed["name"].tolist() == [k.name for k in kpis.all_kpis()]


def test_not_available_is_one_line_and_exit_1(tmp_path):
    csmetrics.init(tmp_path / "empty").close()
    result = run_process("kpi", "nrr", "--period", "2025-Q3", "-w", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert result.stderr.strip() == "error: nrr: not available: needs table contracts"
    assert result.stdout == ""
