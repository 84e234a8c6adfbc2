"""The back-test: renewals found, the score judged against them, and no data from after the
cut-off (or after an example's scoring day) reaching the learned model."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from health_data import account, build, contract, nps, synthetic_company

from csmetrics import health
from csmetrics.errors import HealthError
from csmetrics.health.renewals import renewal_events, scoring_day
from csmetrics.periods import add_months

MODEL = """\
health:
  models:
    s:
      measures:
        nps: {kpi: nps, window_months: 6, weight: 2, points: [[-1, 0], [1, 100]]}
        tickets:
          signal: tickets_per_100_licenses
          window_months: 3
          weight: 1
          points: [[0, 100], [20, 0]]
  backtest: {cutoff: 2026-01-01, min_training_renewals: 50}
quadrant:
  outcome: {tickets: 1}
  experience: {nps: 1}
"""
CUTOFF = date(2026, 1, 1)


def test_scoring_day_is_the_last_month_end_at_least_the_horizon_before():
    assert scoring_day(date(2026, 7, 15), 3) == date(2026, 3, 31)
    assert scoring_day(date(2026, 7, 1), 3) == date(2026, 3, 31)
    assert scoring_day(date(2026, 7, 31), 3) == date(2026, 4, 30)
    assert scoring_day(date(2026, 5, 31), 1) == date(2026, 4, 30)


def test_renewals_and_churn_are_found_per_account_and_day(make_ws):
    def product(cid, aid, start, end, name="router", arr=1000.0):
        return {**contract(cid, aid, start, end, arr=arr), "product": name}

    ws = make_ws(
        accounts=[account(a) for a in ("A", "B", "C", "D", "E", "F")],
        contracts=[
            product("A1", "A", "2025-01-01", "2026-01-01"),
            product("A2", "A", "2026-01-01", None),  # renewed
            product("B1", "B", "2025-02-01", "2026-02-01"),  # churned
            product("C1", "C", "2025-03-01", "2026-03-01"),  # one product dropped...
            product("C2", "C", "2025-03-01", "2026-03-01", name="reports"),
            product("C3", "C", "2026-03-01", None, name="reports"),  # ...the other renewed
            product("D1", "D", "2025-04-01", "2026-04-01"),
            product("D2", "D", "2026-04-11", None),  # back 10 days later: churn, then return
            product("E1", "E", "2025-01-01", None),  # open-ended: never due
            product("F1", "F", "2025-09-01", "2026-09-01"),  # after the as-of day
        ],
        survey_responses=[nps("A", "p", "2026-06-30 10:00", 9)],
    )
    events = renewal_events(ws.engine, ws.config, date(2026, 6, 30))
    got = {(r.account_id, r.renewal_date.isoformat()): r.churned for r in events.itertuples()}
    assert got == {
        ("A", "2026-01-01"): False,
        ("B", "2026-02-01"): True,
        ("C", "2026-03-01"): False,
        ("D", "2026-04-01"): True,
    }


@pytest.fixture(scope="module")
def company():
    return synthetic_company()


@pytest.fixture(scope="module")
def ws(tmp_path_factory, company):
    workspace = build(
        tmp_path_factory.mktemp("backtest"), MODEL, **{k: list(v) for k, v in company.items()}
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def result(ws):
    return ws.health_backtest()


def test_the_score_ranks_churners_below_renewers(result):
    assert result.model == "s" and result.horizon_months == 3
    assert result.cutoff == CUTOFF
    # 200 renewals between 2025-07 and 2026-06, every one scored 3 months ahead
    assert result.renewals == 200 and result.unscored == 0
    assert result.auc > 0.7
    bands = result.bands.set_index("band")
    assert bands["renewals"].sum() == 200
    assert bands.loc["red", "churn_rate"] > 2 * bands.loc["green", "churn_rate"]
    overall = result.churned / result.renewals
    assert bands.loc["red", "lift"] == pytest.approx(bands.loc["red", "churn_rate"] / overall)


def test_the_auc_is_the_share_of_churner_renewer_pairs_ranked_right(result):
    ex = result.examples
    churners = ex.loc[ex["churned"], "score"].to_numpy()
    renewers = ex.loc[~ex["churned"], "score"].to_numpy()
    wins = (churners[:, None] < renewers[None, :]).sum() + 0.5 * (
        churners[:, None] == renewers[None, :]
    ).sum()
    assert result.auc == pytest.approx(wins / (len(churners) * len(renewers)))


def test_training_renewals_are_decided_before_the_cut_off(result):
    ex = result.examples
    train, test = ex[ex["split"] == "train"], ex[ex["split"] == "test"]
    assert (train["renewal_date"] < CUTOFF).all() and (test["renewal_date"] >= CUTOFF).all()
    assert (train["scoring_day"] < CUTOFF).all()
    assert result.train == (len(train), int(train["churned"].sum()))
    assert result.test == (len(test), int(test["churned"].sum()))


def test_the_learned_model_is_compared_calibrated_and_suggests_weights(result):
    assert result.learned_note is None
    rows = result.comparison.set_index("model")
    learned = rows.loc["learned (calibrated)"]
    assert learned["renewals"] == result.test[0]
    assert 0.5 < learned["auc"] <= 1.0
    assert 0 <= learned["brier"] < 0.25
    assert result.calibration["renewals"].sum() == result.test[0]
    assert len(result.calibration) == 10
    weights = result.weights.set_index("measure")
    assert weights["suggested"].sum() == pytest.approx(100.0)
    assert weights.loc["nps", "weight"] == pytest.approx(200 / 3)
    # more NPS points, less churn: a negative coefficient on the points
    assert weights.loc["nps", "coefficient"] < 0


def test_data_after_the_scoring_day_and_the_cut_off_is_not_used(tmp_path, company, ws, result):
    """Plant a perfect signal where it must not be seen: NPS answers that give away each
    training renewal's outcome, dated after its scoring day (and more after the cut-off).
    The kept scores change on later days, but not one training input, nor the model."""
    train = result.examples[result.examples["split"] == "train"]
    planted = []
    for row in train.itertuples():
        score = 0 if row.churned else 10
        day = add_months(row.renewal_date.replace(day=1), -2)  # after the scoring day
        planted.append(nps(row.account_id, "plant", f"{day.isoformat()} 08:00", score))
        planted.append(nps(row.account_id, "plant", "2026-02-15 08:00", score))  # after the cut-off
    tables = {k: list(v) for k, v in company.items()}
    tables["survey_responses"] = tables["survey_responses"] + planted
    churner = train[train["churned"]].iloc[0]
    # the end of the planted month, still before the renewal
    last_month_end = add_months(churner.renewal_date.replace(day=1), -1) - timedelta(days=1)
    unplanted = health.scores(ws.engine, ws.config, last_month_end).set_index("account_id")
    other = build(tmp_path / "planted", MODEL, **tables)
    try:
        again = other.health_backtest()
        planted_scores = health.scores(other.engine, other.config, last_month_end)
    finally:
        other.close()
    # the plant is real data: the churner's score before it left fell
    moved = planted_scores.set_index("account_id").loc[churner.account_id, "score"]
    assert moved < unplanted.loc[churner.account_id, "score"]
    first = train.set_index(["account_id", "renewal_date"])
    second = again.examples[again.examples["split"] == "train"].set_index(
        ["account_id", "renewal_date"]
    )
    assert second.index.equals(first.index)
    assert np.array_equal(second["score"].to_numpy(), first["score"].to_numpy())
    assert again.weights.equals(result.weights)
    assert again.context_coefficients == result.context_coefficients


def test_too_little_history_before_the_cut_off_gives_no_learned_model(ws):
    b = ws.health_backtest(cutoff="2025-09-01")
    assert b.learned_note is not None and "no learned model" in b.learned_note
    assert b.comparison.empty and b.auc is not None


def test_a_cut_off_after_the_data_is_refused(ws):
    with pytest.raises(HealthError, match=r"the cut-off 2027-01-01 is after the data's as-of day"):
        ws.health_backtest(cutoff="2027-01-01")
    with pytest.raises(HealthError, match=r"not a date"):
        ws.health_backtest(cutoff="soon")
