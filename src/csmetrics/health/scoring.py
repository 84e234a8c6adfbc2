"""From raw values to points, weights, contributions, a score and a colour band.

For one account on one day, with the measure settings of its tier:

* **points** (0-100) of a measure: ``linear`` interpolates between the [raw, points]
  pairs and is flat beyond the first and last; ``thresholds`` gives the points of the
  last pair whose raw value is at or below the raw value (below the first pair: the
  first pair's points).
* a measure without a raw value is **skipped** (``missing: skip``) or scores the
  fixed points given (``missing: 50``); the measure's setting wins over the model's.
* a measure **counts** when it has points and a weight above 0. Its **share** is its
  weight / the sum of the weights of the measures that count, so the weights of
  skipped measures are spread over the others (re-weighting).
* **contribution** = share x points; **score** = the sum of the contributions, i.e.
  the weighted mean of the points present. No measure counting: no score, no band.
* **band**: red below ``bands.red_below``, green from ``bands.green_from``, yellow
  between (the tier's bands when it overrides them).

The stored ``weight`` is the share (0-1), so contributions add up to the score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from csmetrics.config.health import Bands, HealthModel, Measure

MEASURE_COLUMNS = ("account_id", "as_of", "measure", "raw", "points", "weight", "contribution")
SCORE_COLUMNS = ("account_id", "as_of", "score", "band")
BANDS = ("red", "yellow", "green")


def points(raw: np.ndarray, measure: Measure) -> np.ndarray:
    """Points 0-100 for each raw value (NaN where the raw value is NaN)."""
    xs = np.array([x for x, _ in measure.points], dtype="float64")
    ys = np.array([y for _, y in measure.points], dtype="float64")
    raw = np.asarray(raw, dtype="float64")
    if measure.scheme == "linear":
        out = np.interp(raw, xs, ys)
    else:
        index = np.clip(np.searchsorted(xs, raw, side="right") - 1, 0, len(xs) - 1)
        out = ys[index]
    return np.where(np.isnan(raw), np.nan, out)


def band_of(score: np.ndarray, bands: Bands) -> np.ndarray:
    """'red' / 'yellow' / 'green' per score; None where there is no score."""
    score = np.asarray(score, dtype="float64")
    out = np.where(
        score < bands.red_below, "red", np.where(score >= bands.green_from, "green", "yellow")
    ).astype(object)
    out[np.isnan(score)] = None
    return out


def score(
    model: HealthModel, keys: pd.DataFrame, raw: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every row of ``keys`` (account_id, as_of, tier) from the long ``raw`` values.

    Returns (measures, scores): one row per key and measure with raw, points, weight
    (the share), contribution; and one row per key with score and band.
    """
    keys = keys[["account_id", "as_of", "tier"]].reset_index(drop=True)
    names = list(model.measures)
    wide = raw.pivot_table(
        index=["account_id", "as_of"], columns="measure", values="raw", aggfunc="first"
    )
    wide = wide.reindex(columns=names)
    aligned = keys.join(wide, on=["account_id", "as_of"])
    n, m = len(keys), len(names)
    raws = aligned[names].to_numpy(dtype="float64") if n else np.empty((0, m))
    pts = np.full((n, m), np.nan)
    weights = np.zeros((n, m))
    tiers = keys["tier"].fillna("").astype(str).to_numpy()
    for tier in np.unique(tiers) if n else []:
        rows = tiers == tier
        for j, name in enumerate(names):
            measure = model.measure_for(name, tier)
            p = points(raws[rows, j], measure)
            missing = measure.missing if measure.missing is not None else model.missing
            if missing != "skip":
                p = np.where(np.isnan(p), float(missing), p)
            pts[rows, j] = p
            weights[rows, j] = measure.weight
    counts = (weights > 0) & ~np.isnan(pts)
    total = np.where(counts, weights, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(counts, weights / total[:, None], 0.0)
    contribution = np.where(counts, share * np.nan_to_num(pts), 0.0)
    scores = np.where(total > 0, contribution.sum(axis=1), np.nan)
    band = np.empty(n, dtype=object)
    for tier in np.unique(tiers) if n else []:
        rows = tiers == tier
        band[rows] = band_of(scores[rows], model.bands_for(tier))
    measures = pd.DataFrame(
        {
            "account_id": np.repeat(keys["account_id"].to_numpy(), m),
            "as_of": np.repeat(keys["as_of"].to_numpy(), m),
            "measure": np.tile(np.array(names, dtype=object), n),
            "raw": raws.reshape(-1),
            "points": pts.reshape(-1),
            "weight": share.reshape(-1),
            "contribution": contribution.reshape(-1),
        }
    )
    result = pd.DataFrame(
        {
            "account_id": keys["account_id"],
            "as_of": keys["as_of"],
            "score": scores,
            "band": band,
        }
    )
    return measures, result
