"""`csmetrics comp plans | statement | run` on the hand-made company."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from comp_data import Q3
from typer.testing import CliRunner

from csmetrics.cli.app import app


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_statement_prints_inputs_working_and_amount(retention_root):
    result = run("comp", "statement", "--csm", "C3", "--period", Q3, "-w", str(retention_root))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Cleo (C3)" in out and "plan retention" in out
    assert "61 of 92" in out and "factor 0.6630" in out
    assert "attainment = actual / target = 111.25% / 100% = 111.25%" in out
    assert "100% + 2 x (111.25% - 100%) = 122.5%" in out
    assert "amount = 10,000.00 x 40% x 122.5% x 61/92 = 3,248.91" in out
    assert "missing (target)" in out
    assert "earned 7,227.17 USD of 6,630.43 target pay" in out
    for number in ("44,500.00", "40,000.00", "111.25%", "3,978.26", "2,652.17", "3,248.91"):
        assert number in out, number  # every input and amount, whatever the terminal width


def test_statement_as_json_has_a_row_per_component_and_the_total(retention_root):
    result = run(
        "comp", "statement", "-c", "C5", "-p", Q3, "--format", "json", "-w", str(retention_root)
    )
    assert result.exit_code == 0, result.output
    records = {r["component"]: r for r in json.loads(result.stdout)}
    assert set(records) == {"book_nrr", "team_nrr", "TOTAL"}
    assert records["book_nrr"]["payout"] == 1.5 and records["book_nrr"]["amount"] == 9000.0
    assert records["team_nrr"]["numerator"] == 44500.0
    assert records["TOTAL"]["amount"] == 13900.0


def test_run_writes_the_files_and_lists_the_totals(retention_root, tmp_path):
    out = tmp_path / "q3"
    result = run("comp", "run", "-p", Q3, "--out", str(out), "-f", "csv", "-w", str(retention_root))
    assert result.exit_code == 0, result.output
    from io import StringIO

    listed = pd.read_csv(StringIO(result.stdout)).set_index("csm_id")
    assert listed.loc["C3", "earned"] == 7227.17
    assert listed.loc["C3", "days"] == "61/92"
    assert "wrote 6 statements for 6 people" in result.stderr
    assert (out / "statements.csv").exists() and (out / "C3.html").exists()


def test_plans_lists_every_component(retention_root):
    result = run("comp", "plans", "-f", "csv", "-w", str(retention_root))
    assert result.exit_code == 0, result.output
    from io import StringIO

    listed = pd.read_csv(StringIO(result.stdout))
    assert listed["component"].tolist() == ["book_nrr", "team_nrr"]
    assert listed["weight"].tolist() == ["60%", "40%"]
    assert listed["curve"].iloc[0] == (
        "0% below 90%; 50% at 90% rising to 100% at target; +2 x each point above; capped at 150%"
    )


def test_errors_are_one_red_line(retention_root):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from csmetrics.cli.app import main; main()",
            "comp",
            "statement",
            "--csm",
            "M1",
            "--period",
            Q3,
            "-w",
            str(retention_root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: M1 is on no plan for 2025-Q3")


def test_a_wide_terminal_gets_the_measures_and_payout_tables(retention_root):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from csmetrics.cli.app import main; main()",
            *("comp", "statement", "--csm", "C5", "--period", Q3, "-w", str(retention_root)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("│ book_nrr")]
    measures, payout = rows
    for cell in ("15,000.00", "10,000.00", "150%", "100%"):
        assert f" {cell} │" in measures, cell
    for cell in ("90%", "50%", "2", "150% capped", "60%", "6,000.00", "9,000.00"):
        assert f" {cell} │" in payout, cell
