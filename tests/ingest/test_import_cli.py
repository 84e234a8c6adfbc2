"""The import, validate and quarantine commands: output, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import csmetrics
from csmetrics.cli.app import app, main

from .conftest import DATA

CLI = [sys.executable, "-c", "from csmetrics.cli.app import main; main()"]
runner = CliRunner()


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real entry point in a child process: exit status as the shell sees it."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``csmetrics.cli.app.main`` in this process (faster than a child), with its output."""
    monkeypatch.setattr(sys, "argv", ["csmetrics", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def root(tmp_path: Path) -> Path:
    csmetrics.init(tmp_path / "ws").close()
    return tmp_path / "ws"


def test_clean_import_exits_0_then_rejections_exit_1(root: Path) -> None:
    ok = cli("import", "--workspace", str(root), "csms", str(DATA / "csms.csv"))
    assert ok.returncode == 0, ok.stderr
    assert "3 rows loaded into csms" in ok.stdout

    with csmetrics.open(root) as ws:
        ws.import_files("accounts", [DATA / "accounts.csv"])
    bad = cli("import", "-w", str(root), "contracts", str(DATA / "contracts_bad.csv"))
    assert bad.returncode == 1
    assert f"{DATA / 'contracts_bad.csv'}:3:arr: 'abc' is not a number" in bad.stdout
    assert "10 row(s) rejected" in bad.stdout
    assert "2 good rows loaded" in bad.stdout


def test_user_errors_are_one_red_line(root: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    broken = tmp_path / "contracts.csv"
    broken.write_text("contract_id,account_id\nK1,A1\n")
    code, _, err = run_main(
        monkeypatch, capsys, "import", "-w", str(root), "contracts", str(broken)
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {broken}: missing required column(s) product, start_date")
    code, _, err = run_main(monkeypatch, capsys, "import", "-w", str(root), "contrcts", str(broken))
    assert code == 1
    assert err.strip().startswith("error: unknown table 'contrcts'")
    code, _, err = run_main(monkeypatch, capsys, "import", "-w", str(root), "csms", "nope.parquet")
    assert (code, err.strip()) == (1, "error: nope.parquet: file not found")


def test_max_reported_errors_limits_the_listing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    csmetrics.init(root).close()
    (root / "csmetrics.yaml").write_text("imports:\n  max_reported_errors: 2\n")
    with csmetrics.open(root) as ws:
        ws.import_files("csms", [DATA / "csms.csv"])
        ws.import_files("accounts", [DATA / "accounts.csv"])
    result = runner.invoke(
        app, ["import", "-w", str(root), "contracts", str(DATA / "contracts_bad.csv")]
    )
    assert result.exit_code == 1
    assert result.stdout.count("contracts_bad.csv:") == 2
    assert "and 8 more problem(s): csmetrics quarantine --table contracts" in result.stdout


def test_validate_lists_every_problem(root: Path) -> None:
    result = runner.invoke(app, ["validate", "-w", str(root)])
    assert result.exit_code == 1
    assert "accounts: required table is empty" in result.stdout
    assert "csms: required table is empty" in result.stdout
    assert "contracts: required table is empty" in result.stdout


def test_validate_reports_config_problems(root: Path) -> None:
    (root / "csmetrics.yaml").write_text(
        "imports:\n  csv_delimter: ';'\ncompany:\n  fiscal_year_start_month: 13\n"
    )
    result = runner.invoke(app, ["validate", "-w", str(root)])
    assert result.exit_code == 1
    assert "imports.csv_delimter: unknown key" in result.output
    assert "company.fiscal_year_start_month" in result.output


def test_quarantine_lists_rejected_rows(root: Path) -> None:
    with csmetrics.open(root) as ws:
        ws.import_files("csms", [DATA / "csms.csv"])
        ws.import_files("accounts", [DATA / "accounts.csv"])
        ws.import_files("contracts", [DATA / "contracts_bad.csv"])
    result = runner.invoke(
        app, ["quarantine", "-w", str(root), "--table", "contracts", "--format", "csv"]
    )
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("table_name,file,row,column,reason,raw")
    assert len(lines) == 11
    assert ",3,arr,'abc' is not a number," in lines[1]
    empty = runner.invoke(app, ["quarantine", "-w", str(root), "--table", "events"])
    assert "the quarantine is empty" in empty.stdout
