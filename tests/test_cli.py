"""The CLI shell: --help everywhere, one-line errors, init and schema."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csmetrics.cli.app import app


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from csmetrics.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _commands(group, prefix=()):
    import typer.main

    click_group = typer.main.get_command(group)
    stack = [(prefix, click_group)]
    while stack:
        path, cmd = stack.pop()
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append(((*path, name), sub))


@pytest.mark.parametrize("path", list(_commands(app)), ids=lambda p: " ".join(p) or "csmetrics")
def test_every_command_has_help(path):
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_init_then_schema(tmp_path):
    result = run("init", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    result = run("schema", "contracts")
    assert result.returncode == 0
    assert "billing_term" in result.stdout


def test_user_error_is_one_red_line_without_traceback(tmp_path):
    result = run("init", str(tmp_path / "ws"))
    result = run("init", str(tmp_path / "ws"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    run("init", str(tmp_path / "ws"))
    result = run("--debug", "init", str(tmp_path / "ws"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_unknown_schema_table(tmp_path):
    result = run("schema", "deals")
    assert result.returncode == 1
    assert "unknown table 'deals'" in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("csmetrics ")


def test_usage_error_is_short_and_exits_2(tmp_path):
    result = run("kpis", "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
