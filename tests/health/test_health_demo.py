"""The default model on the demo company: it predicts churn and recovers the latent health.

The demo's ground truth (source/truth/) is read here only, to check what csmetrics
computes from the canonical tables; csmetrics itself never reads it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import csmetrics
from csmetrics import health
from csmetrics.cli.app import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("health-demo")
    args = ["demo", str(root), "--force", "--accounts", "400", "--months", "24"]
    args += ["--events-scale", "0.05", "--seed", "3", "--end-date", "2026-05-01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stdout
    workspace = csmetrics.open(root)
    yield workspace
    workspace.close()


def test_the_default_model_predicts_churn_at_the_next_renewal(ws):
    b = ws.health_backtest()
    assert b.renewals > 400
    assert b.auc >= 0.68
    assert b.red_vs_green >= 2.0
    rows = b.comparison.set_index("model")["auc"]
    assert rows["learned (calibrated)"] >= rows["hand (standard)"]


def test_scores_follow_the_latent_health(ws):
    scores = health.scores(ws.engine, ws.config).set_index("account_id")
    truth = pd.read_parquet(ws.root / "source" / "truth" / "account_months.parquet")
    truth["month"] = pd.to_datetime(truth["month"])
    last = truth[truth["month"] == truth["month"].max()].set_index("account_id")["health"]
    both = pd.concat([scores["score"], last], axis=1, join="inner").dropna()
    assert len(both) > 200
    assert both["score"].corr(both["health"], method="spearman") > 0.5
