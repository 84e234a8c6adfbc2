"""Renewal forecasts: each renewal of a quarter with the CSM's call, the model's and the outcome.

The renewals of quarter [a, b) are the accounts paying on day a (the book, see
``scorecards.book``) with an annual or multi-year term in force on day a that ends in
(a, b] (``forecasts.include_monthly`` adds those renewing only monthly terms). Each
is attributed to its owner on day a, like every KPI.

* **Forecast**: the latest ``renewal_forecasts`` row for the account and quarter
  submitted before the cutoff (``forecasts.cutoff``: the quarter's first day, or the
  renewal date). Its probability is of its outcome, so the chance the customer stays
  (``forecast_keep``) is p for *renew* and *downsell* (both keep the logo) and 1 - p
  for *churn*. ``forecast_by`` is who submitted it.
* **Model**: the expected-retention model (``scorecards.expected``) fitted on the
  quarters before a: the chance the account still pays on day b (``model_keep``).
* **Actual**: *churn* when the account pays nothing on day b; *downsell* when it pays
  less than on day a (at day a's rates); else *renew*. ``kept`` is 1 unless churn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.errors import KpiError, NotAvailable
from csmetrics.kpis.timeframe import data_as_of
from csmetrics.scorecards.expected import examples, fit, has_health

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.periods import Period

RENEWAL_COLUMNS = [
    "account_id",
    "csm_id",
    "csm_name",
    "team",
    "tier",
    "renewal_date",
    "start_arr",
    "forecast_outcome",
    "forecast_probability",
    "forecast_keep",
    "submitted_at",
    "forecast_by",
    "model_keep",
    "actual",
    "kept",
    "end_arr",
]


@dataclass(frozen=True)
class QuarterRenewals:
    """The renewals of one quarter (``RENEWAL_COLUMNS``) and the whole book (for logo
    retention: ``book`` has account_id, csm_id, csm_name, team, model_keep, retained)."""

    quarter: Period
    renewals: pd.DataFrame
    book: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def quarter_renewals(engine: Engine, config: Config, quarter: Period) -> QuarterRenewals:
    """Every renewal of ``quarter`` with forecast, model and actual (see the module doc)."""
    if quarter.kind != "quarter":
        raise KpiError(f"renewal forecasts are per quarter (e.g. 2026-Q3), not {quarter.label!r}")
    if not engine.has_rows("renewal_forecasts"):
        raise NotAvailable("renewal forecasts", ["renewal_forecasts"])
    notes: list[str] = []
    with_health = has_health(engine, config)
    book = examples(engine, config, [quarter], with_health)
    book["model_keep"] = _model_keep(engine, config, quarter, book, with_health, notes)
    due = book["annual_due"] > 0
    if config.forecasts.include_monthly:
        due = book["renewing"] > 0
    renewals = book[due].copy()
    renewals = _with_forecasts(engine, config, quarter, renewals)
    renewals["actual"] = np.select(
        [renewals["retained"] == 0, renewals["end_arr"] < renewals["start_arr"] - 0.005],
        ["churn", "downsell"],
        "renew",
    )
    renewals["kept"] = renewals["retained"].astype("int64")
    renewals["renewal_date"] = pd.to_datetime(renewals["renewal_date"]).dt.date
    as_of = data_as_of(engine)
    if quarter.end > as_of + timedelta(days=1):
        notes.append(f"{quarter.label} is not over (data to {as_of}): outcomes are as of that day")
    renewals = renewals.sort_values(["csm_id", "renewal_date", "account_id"], na_position="last")
    kept_book = book[["account_id", "csm_id", "csm_name", "team", "model_keep", "retained"]]
    return QuarterRenewals(
        quarter=quarter,
        renewals=renewals[RENEWAL_COLUMNS].reset_index(drop=True),
        book=kept_book.reset_index(drop=True),
        notes=tuple(notes),
    )


def _model_keep(
    engine: Engine,
    config: Config,
    quarter: Period,
    book: pd.DataFrame,
    with_health: bool,
    notes: list[str],
) -> np.ndarray:
    try:
        model = fit(engine, config, quarter)
    except KpiError as exc:
        notes.append(f"no model column: {exc}")
        return np.full(len(book), np.nan)
    if with_health and not model.uses_health:
        book = book.assign(health=np.nan)
    return model.predict(book)


def _with_forecasts(
    engine: Engine, config: Config, quarter: Period, renewals: pd.DataFrame
) -> pd.DataFrame:
    """The latest forecast before the cutoff for each renewal (none: nulls)."""
    f = engine.table("renewal_forecasts")
    f = f.filter(f.quarter == quarter.label)
    if config.forecasts.cutoff == "quarter_start":
        f = f.filter(f.submitted_at < datetime.combine(quarter.start, datetime.min.time()))
    forecasts = engine.execute(
        f.select("account_id", "csm_id", "outcome", "probability", "submitted_at")
    )
    forecasts = forecasts.rename(
        columns={
            "csm_id": "forecast_by",
            "outcome": "forecast_outcome",
            "probability": "forecast_probability",
        }
    )
    forecasts["submitted_at"] = pd.to_datetime(forecasts["submitted_at"])
    matched = renewals[["account_id", "renewal_date"]].merge(forecasts, on="account_id")
    if config.forecasts.cutoff == "renewal":
        before = matched["submitted_at"] < pd.to_datetime(matched["renewal_date"])
        matched = matched[before]
    latest = matched.sort_values("submitted_at").drop_duplicates("account_id", keep="last")
    out = renewals.merge(latest.drop(columns="renewal_date"), on="account_id", how="left")
    p = out["forecast_probability"].astype("float64")
    out["forecast_keep"] = np.where(out["forecast_outcome"] == "churn", 1 - p, p)
    return out
