"""Back-test: does a health model's score, some months ahead, tell who churns?

For every renewal in history (``health.renewals``) the account's kept score on the
*scoring day*, the last month end at least ``horizon_months`` before the renewal,
is set against the outcome. Scores on a day read only data dated up to that day, so
nothing the account did after the scoring day reaches its example. Renewals of
accounts that had no score on their scoring day (not yet a customer, or before the
history starts) are left out and counted.

Reported on all renewals: AUC of the score for churn (the chance a churner scored
below a renewer; 0.5 is a coin toss), churn rate per colour band, the red band's
lift (its churn rate / the overall rate) and red vs green churn.

The learned alternative (``health.learned``) is trained on the renewals whose outcome
day (renewal day + grace days) is before the *cut-off*, and both models are compared
on the renewals from the cut-off on, which neither has seen: AUC, Brier score, log
loss, calibration by decile, and the AUC the hand model would have with the weights
the learned model suggests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from csmetrics.errors import HealthError
from csmetrics.health.book import open_book
from csmetrics.health.learned import fit
from csmetrics.health.renewals import renewal_events, scoring_day
from csmetrics.health.scoring import BANDS
from csmetrics.periods import add_months

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.health.book import Book


@dataclass(frozen=True)
class Backtest:
    """Everything ``csmetrics health backtest`` prints (see the module doc)."""

    model: str
    horizon_months: int
    as_of: date
    cutoff: date
    renewals: int
    churned: int
    unscored: int
    auc: float | None
    bands: pd.DataFrame  # band, renewals, churned, churn_rate, lift
    by_term: pd.DataFrame  # billing_term, renewals, churned, churn_rate, auc
    red_vs_green: float | None
    train: tuple[int, int]  # renewals, churned before the cut-off
    test: tuple[int, int]  # renewals, churned from the cut-off on
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    context_coefficients: dict[str, float] = field(default_factory=dict)
    learned_note: str | None = None
    examples: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)


def _auc(churned: pd.Series, risk: pd.Series) -> float | None:
    if churned.nunique() < 2:
        return None
    return float(roc_auc_score(churned.astype(int), risk))


def backtest(
    engine: Engine,
    config: Config,
    model: str | None = None,
    horizon_months: int | None = None,
    cutoff: date | None = None,
) -> Backtest:
    settings = config.health.backtest
    horizon = horizon_months or settings.horizon_months
    if not 1 <= horizon <= 24:
        raise HealthError(f"the horizon must be 1 to 24 months, not {horizon}")
    book = open_book(engine, config, model)
    as_of = book.as_of
    cut = cutoff or settings.cutoff or add_months(as_of, -settings.test_months)
    if cut > as_of:
        raise HealthError(
            f"the cut-off {cut} is after the data's as-of day {as_of}: nothing would be left to test"
        )
    if not engine.has_rows("contracts"):
        raise HealthError("no contracts: there are no renewals to back-test on")
    events = renewal_events(engine, config, as_of)
    events["scoring_day"] = [scoring_day(d, horizon) for d in events["renewal_date"]]
    scores = book.scores().rename(columns={"as_of": "scoring_day"})
    examples = events.merge(scores, on=["account_id", "scoring_day"], how="left")
    scored = examples[examples["score"].notna()].reset_index(drop=True)
    unscored = len(examples) - len(scored)
    if scored.empty:
        raise HealthError(
            f"no renewal has a score {horizon} months before it: the history "
            f"({book.days[0]} to {as_of}) is too short for this horizon"
        )
    tiers = engine.execute(engine.table("accounts").select("account_id", "tier"))
    scored = scored.merge(tiers, on="account_id", how="left")
    grace = timedelta(days=config.revenue.renewal_grace_days)
    scored["known_on"] = [d + grace for d in scored["renewal_date"]]
    scored["split"] = np.where(scored["known_on"] < cut, "train", "test")
    # A training example's inputs predate its outcome, and its outcome the cut-off.
    train_rows = scored["split"] == "train"
    assert (scored.loc[train_rows, "scoring_day"] < cut).all()
    assert (scored["scoring_day"] < scored["renewal_date"]).all()

    churned = scored["churned"]
    result = Backtest(
        model=book.model_name,
        horizon_months=horizon,
        as_of=as_of,
        cutoff=cut,
        renewals=len(scored),
        churned=int(churned.sum()),
        unscored=unscored,
        auc=_auc(churned, -scored["score"]),
        bands=_bands(scored),
        by_term=_by_term(scored),
        red_vs_green=_red_vs_green(scored),
        train=(int(train_rows.sum()), int(churned[train_rows].sum())),
        test=(int((~train_rows).sum()), int(churned[~train_rows].sum())),
        examples=scored,
    )
    return _with_learned(
        result, book, settings.calibration, settings.context, settings.min_training_renewals
    )


def _bands(scored: pd.DataFrame) -> pd.DataFrame:
    overall = scored["churned"].mean()
    rows = []
    for band in BANDS:
        part = scored[scored["band"] == band]
        rate = part["churned"].mean() if len(part) else np.nan
        rows.append(
            {
                "band": band,
                "renewals": len(part),
                "churned": int(part["churned"].sum()),
                "churn_rate": rate,
                "lift": rate / overall if overall else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _by_term(scored: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for term, part in scored.groupby("billing_term", sort=True):
        rows.append(
            {
                "billing_term": term,
                "renewals": len(part),
                "churned": int(part["churned"].sum()),
                "churn_rate": part["churned"].mean(),
                "auc": _auc(part["churned"], -part["score"]),
            }
        )
    return pd.DataFrame(rows)


def _red_vs_green(scored: pd.DataFrame) -> float | None:
    red = scored.loc[scored["band"] == "red", "churned"]
    green = scored.loc[scored["band"] == "green", "churned"]
    if red.empty or green.empty or green.mean() == 0:
        return None
    return float(red.mean() / green.mean())


def _with_learned(
    result: Backtest, book: Book, method: str, context: tuple[str, ...], minimum: int
) -> Backtest:
    from dataclasses import replace

    scored = result.examples
    train = scored[scored["split"] == "train"]
    test = scored[scored["split"] == "test"]
    need = (
        f"at least {minimum} renewals with at least 5 churned and 5 renewed before the "
        f"cut-off {result.cutoff}"
    )
    have = f"there are {len(train)} ({int(train['churned'].sum())} churned)"
    if len(train) < minimum or train["churned"].sum() < 5 or (~train["churned"]).sum() < 5:
        return replace(result, learned_note=f"no learned model: it needs {need}; {have}")
    if test.empty or test["churned"].nunique() < 2:
        return replace(
            result,
            learned_note=(
                f"no learned model: the renewals from the cut-off {result.cutoff} on need both "
                f"churns and renewals to compare on; there are {len(test)}"
            ),
        )
    points = _points(book, scored)
    names = list(book.model.measures)
    ctx_columns = list(context)
    learned = fit(
        points.loc[train.index, names],
        train[ctx_columns],
        train["churned"].to_numpy(),
        method,
    )
    p_test = learned.churn_probability(points.loc[test.index, names], test[ctx_columns])
    suggested = learned.suggested_weights()
    y = test["churned"].astype(int)
    hand_auc = _auc(test["churned"], -test["score"])
    suggested_score = _reweighted(points.loc[test.index, names], suggested)
    comparison = pd.DataFrame(
        [
            {
                "model": f"hand ({result.model})",
                "renewals": len(test),
                "auc": hand_auc,
                "brier": np.nan,
                "log_loss": np.nan,
            },
            {
                "model": "hand, suggested weights",
                "renewals": int(suggested_score.notna().sum()),
                "auc": _auc(test["churned"][suggested_score.notna()], -suggested_score.dropna()),
                "brier": np.nan,
                "log_loss": np.nan,
            },
            {
                "model": "learned (calibrated)",
                "renewals": len(test),
                "auc": _auc(test["churned"], pd.Series(p_test, index=test.index)),
                "brier": float(brier_score_loss(y, p_test)),
                "log_loss": float(log_loss(y, np.clip(p_test, 1e-6, 1 - 1e-6), labels=[0, 1])),
            },
        ]
    )
    weights = pd.DataFrame(
        {
            "measure": names,
            "weight": [_share(book, m) for m in names],
            "suggested": [suggested[m] for m in names],
            "coefficient": [learned.coefficients[m] for m in names],
        }
    )
    context_coefficients = {k: v for k, v in learned.coefficients.items() if k not in names}
    return replace(
        result,
        comparison=comparison,
        calibration=_calibration(p_test, y.to_numpy()),
        weights=weights,
        context_coefficients=context_coefficients,
    )


def _points(book: Book, scored: pd.DataFrame) -> pd.DataFrame:
    """One column per measure: its points on each example's scoring day (NaN: no points)."""
    days = sorted(set(scored["scoring_day"]))
    detail = book.measures(days)
    wide = detail.pivot_table(
        index=["account_id", "as_of"], columns="measure", values="points", aggfunc="first"
    )
    keys = pd.MultiIndex.from_arrays([scored["account_id"], scored["scoring_day"]])
    out = wide.reindex(keys)
    out.index = scored.index
    return out


def _share(book: Book, measure: str) -> float:
    """A measure's weight as a share of the model's weights, in percent (untiered)."""
    measures = book.model.measures
    total = sum(m.weight for m in measures.values())
    return 100.0 * measures[measure].weight / total if total else 0.0


def _reweighted(points: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """The hand score with other weights: weighted mean of the points present."""
    w = np.array([weights[m] for m in points.columns])
    values = points.to_numpy(dtype="float64")
    present = ~np.isnan(values) & (w > 0)
    total = np.where(present, w, 0.0).sum(axis=1)
    summed = np.where(present, np.nan_to_num(values) * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(total > 0, summed / total, np.nan), index=points.index)


def _calibration(p: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Deciles of predicted churn probability: mean predicted vs observed churn rate."""
    order = np.argsort(p, kind="stable")
    rows = []
    for decile, idx in enumerate(np.array_split(order, 10), start=1):
        if len(idx) == 0:
            continue
        rows.append(
            {
                "decile": decile,
                "renewals": len(idx),
                "predicted": float(p[idx].mean()),
                "observed": float(y[idx].mean()),
            }
        )
    return pd.DataFrame(rows)
