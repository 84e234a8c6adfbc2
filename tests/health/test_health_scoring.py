"""Points, weights, missing data, tier overrides and bands, worked by hand."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from csmetrics.config.health import Bands, HealthModel, Measure, MeasureOverride, TierOverride
from csmetrics.health.scoring import band_of, points, score

DAY = date(2026, 6, 30)


def linear(*pairs, **kw) -> Measure:
    return Measure(kpi="nps", points=tuple(pairs), **kw)


def steps(*pairs, **kw) -> Measure:
    return Measure(signal="champion_present", scheme="thresholds", points=tuple(pairs), **kw)


def test_linear_points_interpolate_and_are_flat_beyond_the_ends():
    m = linear((0.1, 0), (0.4, 50), (0.8, 100))
    got = points(np.array([0.0, 0.1, 0.25, 0.4, 0.6, 0.8, 1.5, np.nan]), m)
    # 0.25 is halfway from 0.1 to 0.4 -> 25; 0.6 halfway from 0.4 to 0.8 -> 75
    assert got[:7] == pytest.approx([0.0, 0.0, 25.0, 50.0, 75.0, 100.0, 100.0])
    assert math.isnan(got[7])


def test_falling_points_make_lower_better():
    m = linear((0.0, 100), (5.0, 60), (15.0, 0))  # tickets per 100 licenses
    assert points(np.array([0.0, 2.5, 10.0, 20.0]), m).tolist() == [100.0, 80.0, 30.0, 0.0]


def test_threshold_points_step_at_each_pair():
    m = steps((0, 40), (1, 70), (2, 100))  # renewals so far
    got = points(np.array([-1.0, 0.0, 0.5, 1.0, 1.99, 2.0, 7.0]), m)
    # below the first pair: the first pair's points
    assert got.tolist() == [40.0, 40.0, 40.0, 70.0, 70.0, 100.0, 100.0]


def test_bands_red_below_green_from():
    bands = Bands(red_below=40, green_from=70)
    got = band_of(np.array([0.0, 39.99, 40.0, 69.99, 70.0, 100.0, np.nan]), bands)
    assert got.tolist() == ["red", "red", "yellow", "yellow", "green", "green", None]


MODEL = HealthModel(
    measures={
        "usage": Measure(kpi="license_utilisation", weight=50, points=((0.0, 0), (1.0, 100))),
        "nps": Measure(kpi="nps", weight=30, points=((-1.0, 0), (1.0, 100))),
        "champion": Measure(
            signal="champion_present",
            weight=20,
            scheme="thresholds",
            points=((0, 0), (1, 100)),
        ),
        "goals": Measure(signal="goals_achieved", weight=0, points=((0.0, 0), (1.0, 100))),
    }
)


def run(model: HealthModel, rows: dict[str, dict[str, float]], tiers: dict[str, str] | None = None):
    keys = pd.DataFrame(
        {
            "account_id": list(rows),
            "as_of": DAY,
            "tier": [(tiers or {}).get(a, "corp") for a in rows],
        }
    )
    raw = pd.DataFrame(
        [
            {"account_id": a, "as_of": DAY, "measure": m, "raw": v}
            for a, values in rows.items()
            for m, v in values.items()
        ],
        columns=["account_id", "as_of", "measure", "raw"],
    )
    measures, scores = score(model, keys, raw)
    return measures.set_index(["account_id", "measure"]), scores.set_index("account_id")


def test_weighted_mean_of_points_with_contributions_that_add_up():
    # usage 0.6 -> 60 points, NPS +0.2 -> 60 points, champion yes -> 100 points
    # score = (50 x 60 + 30 x 60 + 20 x 100) / 100 = 68
    measures, scores = run(MODEL, {"A1": {"usage": 0.6, "nps": 0.2, "champion": 1, "goals": 0.5}})
    assert scores.loc["A1", "score"] == pytest.approx(68.0)
    assert scores.loc["A1", "band"] == "yellow"
    a1 = measures.loc["A1"]
    assert a1.loc["usage", "weight"] == pytest.approx(0.5)
    assert a1.loc["usage", "contribution"] == pytest.approx(30.0)
    assert a1.loc["nps", "contribution"] == pytest.approx(18.0)
    assert a1.loc["champion", "contribution"] == pytest.approx(20.0)
    # a weight-0 measure is shown with its points but does not count
    assert a1.loc["goals", "points"] == pytest.approx(50.0)
    assert a1.loc["goals", "weight"] == 0.0 and a1.loc["goals", "contribution"] == 0.0
    assert a1["contribution"].sum() == pytest.approx(scores.loc["A1", "score"])


def test_missing_measure_is_skipped_and_its_weight_spread():
    # no NPS: (50 x 60 + 20 x 100) / 70 = 71.43 (green)
    measures, scores = run(MODEL, {"A1": {"usage": 0.6, "champion": 1}})
    assert scores.loc["A1", "score"] == pytest.approx(5000 / 70)
    assert scores.loc["A1", "band"] == "green"
    nps = measures.loc[("A1", "nps")]
    assert math.isnan(nps["raw"]) and math.isnan(nps["points"])
    assert nps["weight"] == 0.0 and nps["contribution"] == 0.0
    assert measures.loc[("A1", "usage"), "weight"] == pytest.approx(50 / 70)


def test_missing_measure_with_a_fixed_score():
    # the model says 50 points for a missing measure; the champion measure says 0
    model = MODEL.model_copy(
        update={
            "missing": 50.0,
            "measures": {
                **MODEL.measures,
                "champion": MODEL.measures["champion"].model_copy(update={"missing": 0.0}),
            },
        }
    )
    # usage 60, NPS missing -> 50, champion missing -> 0: (3000 + 1500 + 0) / 100 = 45
    measures, scores = run(model, {"A1": {"usage": 0.6}})
    assert scores.loc["A1", "score"] == pytest.approx(45.0)
    assert measures.loc[("A1", "nps"), "points"] == 50.0
    assert measures.loc[("A1", "champion"), "points"] == 0.0


def test_no_measure_with_data_gives_no_score_and_no_band():
    _, scores = run(MODEL, {"A1": {}})
    assert math.isnan(scores.loc["A1", "score"])
    assert scores.loc["A1", "band"] is None


def test_tier_override_changes_weights_points_and_bands():
    model = MODEL.model_copy(
        update={
            "tiers": {
                "strategic": TierOverride(
                    bands=Bands(red_below=60, green_from=90),
                    measures={
                        "nps": MeasureOverride(weight=70),
                        "usage": MeasureOverride(points=((0.5, 0), (1.0, 100))),
                    },
                )
            }
        }
    )
    rows = {
        "S1": {"usage": 0.6, "nps": 0.2, "champion": 1},
        "C1": {"usage": 0.6, "nps": 0.2, "champion": 1},
    }
    measures, scores = run(model, rows, {"S1": "strategic", "C1": "corp"})
    # corp: the model as declared -> 68 (yellow)
    assert scores.loc["C1", "score"] == pytest.approx(68.0)
    # strategic: usage 0.6 on [0.5, 1.0] -> 20 points; NPS weight 70
    # (50 x 20 + 70 x 60 + 20 x 100) / 140 = 7200 / 140 = 51.43 -> red below 60
    assert scores.loc["S1", "score"] == pytest.approx(7200 / 140)
    assert scores.loc["S1", "band"] == "red"
    assert measures.loc[("S1", "usage"), "points"] == pytest.approx(20.0)
    assert measures.loc[("S1", "nps"), "weight"] == pytest.approx(70 / 140)
