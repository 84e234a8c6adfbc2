"""`csmetrics health scores|explain|quadrant|backtest` end to end on the back-test company."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from health_data import build, synthetic_company
from typer.testing import CliRunner

from csmetrics.cli.app import app

MODEL = """\
health:
  models:
    s:
      bands: {red_below: 40, green_from: 70}
      measures:
        nps: {label: NPS, kpi: nps, window_months: 6, weight: 2, points: [[-1, 0], [1, 100]]}
        tickets:
          signal: tickets_per_100_licenses
          window_months: 3
          weight: 1
          points: [[0, 100], [20, 0]]
  backtest: {cutoff: 2026-01-01}
quadrant:
  outcome: {tickets: 1}
  experience: {nps: 1}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    build(root, MODEL, **synthetic_company()).close()
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_scores_table_says_which_way_is_good_and_what_it_compares_with(folder):
    code, out = run("health", "scores", "-w", str(folder), "-n", "5")
    assert code == 0
    out = " ".join(out.split())
    assert "Health (s model) on 2026-09-30" in out
    assert "higher is healthier" in out and "change vs 2026-08-31" in out


def test_scores_as_csv_and_json_are_the_full_frame(folder):
    code, out = run(
        "health", "scores", "-w", str(folder), "--format", "json", "--period", "2026-06"
    )
    assert code == 0
    rows = json.loads(out)
    assert {r["as_of"] for r in rows} == {"2026-06-30"}
    assert {"account_id", "score", "band", "change", "trend", "why", "better"} <= set(rows[0])
    code, out = run("health", "scores", "-w", str(folder), "-f", "csv", "--by", "company")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert (
        frame["red"].iloc[0] + frame["yellow"].iloc[0] + frame["green"].iloc[0]
        == frame["accounts"].iloc[0]
    )


def test_explain_shows_each_measure_and_the_total(folder):
    _, out = run("health", "scores", "-w", str(folder), "-f", "json")
    account = json.loads(out)[0]["account_id"]
    code, out = run("health", "explain", account, "-w", str(folder), "-f", "json")
    assert code == 0
    e = json.loads(out)
    assert sum(m["contribution"] for m in e["measures"]) == pytest.approx(e["score"])
    assert [m["measure"] for m in e["measures"]] == ["nps", "tickets"]
    code, out = run("health", "explain", account, "-w", str(folder))
    assert code == 0 and "NPS" in out and "contribution" in out


def test_quadrant_and_movement(folder):
    code, out = run("health", "quadrant", "-w", str(folder))
    assert code == 0 and "Movement from 2026-06-30 to 2026-09-30" in out
    code, out = run("health", "quadrant", "-w", str(folder), "-f", "json", "--movement")
    moves = json.loads(out)
    assert {"from", "to", "accounts", "arr"} <= set(moves[0])


def test_backtest_prints_auc_bands_calibration_and_weights(folder):
    code, out = run("health", "backtest", "-w", str(folder))
    assert code == 0
    for text in ("AUC", "Churn by band", "Calibration", "suggested", "learned (calibrated)"):
        assert text in out
    code, out = run("health", "backtest", "-w", str(folder), "-f", "json", "--horizon", "2")
    payload = json.loads(out)
    assert payload["horizon_months"] == 2 and len(payload["calibration"]) == 10


def test_errors_are_one_line(folder):
    for args, message in (
        (["explain", "NOPE"], "unknown account 'NOPE'"),
        (["scores", "--model", "x"], "unknown health model 'x'"),
        (["backtest", "--cutoff", "2030-01-01"], "is after the data's as-of day"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from csmetrics.cli.app import main; main()",
                "health",
                *args,
                "-w",
                str(folder),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1, done.stderr
        assert message in done.stderr and done.stderr.count("\n") == 1
