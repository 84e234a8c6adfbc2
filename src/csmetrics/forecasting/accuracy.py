"""Forecast accuracy per CSM for a quarter: Brier score and logo retention forecast vs actual.

Per CSM (owner on the quarter's first day), over their renewals (``renewals``):

* ``renewals``, ``forecast`` (how many carry a forecast) and ``coverage``;
* **Brier score** = mean over forecast renewals of (forecast_keep - kept)^2: 0 is
  perfect, 0.25 is what always saying 50% earns, lower is better; ``model_brier``
  is the model's score on the same renewals, the bar a forecast should clear;
* ``calls_right``: the share of forecasts whose outcome (renew / downsell / churn)
  happened;
* **logo retention for the quarter**: ``forecast_retention`` = (sum of forecast_keep
  over forecast renewals + sum of the model's keep over every other account of the
  book) / accounts in the book; ``model_retention`` = the model's keep summed over the
  book / accounts; ``actual_retention`` = accounts still paying on day b / accounts,
  which is the logo retention KPI of the CSM for the quarter; ``forecast_error`` =
  forecast minus actual.

A row ``csm_id = all`` holds the company.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics.forecasting.renewals import QuarterRenewals

ACCURACY_COLUMNS = [
    "csm_id",
    "csm_name",
    "team",
    "renewals",
    "forecast",
    "coverage",
    "brier",
    "model_brier",
    "calls_right",
    "accounts",
    "forecast_retention",
    "model_retention",
    "actual_retention",
    "forecast_error",
]


def brier(probabilities: pd.Series | np.ndarray, outcomes: pd.Series | np.ndarray) -> float:
    """Mean squared difference between probabilities and 0/1 outcomes; nan when empty."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def accuracy(quarter: QuarterRenewals) -> pd.DataFrame:
    """ACCURACY_COLUMNS, one row per CSM with a book, then the company (``all``)."""
    renewals, book = quarter.renewals, quarter.book
    rows = []
    owners = book[book["csm_id"].notna()].drop_duplicates("csm_id")
    for owner in owners.itertuples(index=False):
        rows.append(
            _row(
                owner.csm_id,
                owner.csm_name,
                owner.team,
                renewals[renewals["csm_id"] == owner.csm_id],
                book[book["csm_id"] == owner.csm_id],
            )
        )
    out = pd.DataFrame(rows, columns=ACCURACY_COLUMNS).sort_values("csm_id")
    company = pd.DataFrame([_row("all", "company", None, renewals, book)], columns=ACCURACY_COLUMNS)
    out = pd.concat([out, company], ignore_index=True)
    out["forecast_error"] = out["forecast_retention"] - out["actual_retention"]
    return out


def _row(
    csm_id: str, name: str, team: str | None, renewals: pd.DataFrame, book: pd.DataFrame
) -> list[object]:
    called = renewals[renewals["forecast_keep"].notna()]
    n_renewals, n_called = len(renewals), len(called)
    accounts = len(book)
    called_keep = dict(zip(called["account_id"], called["forecast_keep"], strict=True))
    keep = book["account_id"].map(called_keep).fillna(book["model_keep"])
    return [
        csm_id,
        name,
        team,
        n_renewals,
        n_called,
        n_called / n_renewals if n_renewals else np.nan,
        brier(called["forecast_keep"], called["kept"]),
        brier(called["model_keep"], called["kept"])
        if called["model_keep"].notna().all()
        else np.nan,
        float((called["forecast_outcome"] == called["actual"]).mean()) if n_called else np.nan,
        accounts,
        float(keep.sum() / accounts) if accounts and keep.notna().all() else np.nan,
        float(book["model_keep"].sum() / accounts)
        if accounts and book["model_keep"].notna().all()
        else np.nan,
        float(book["retained"].sum() / accounts) if accounts else np.nan,
        np.nan,  # forecast_error, filled by ``accuracy``
    ]
