"""Fair comparison: the retention each CSM achieved against what their book predicted.

For a period [a, b), each account a CSM owned on day a (the start cohort of logo
retention) gets p, its chance of still paying on day b from the expected-retention
model (``expected``), fitted only on periods that ended by day a. Per CSM, with n
accounts of which k were retained:

* expected retained = sum of p; expected rate = sum of p / n; achieved rate = k / n;
* difference = achieved rate - expected rate: what the CSM changed, not the book
  they were handed (a book of healthy, long-tenured strategic accounts with no
  renewal due is expected to stay whoever owns it);
* its uncertainty: if the CSM made no difference, k is a sum of independent
  Bernoulli(p) outcomes with variance V = sum of p (1 - p), so the interval is
  difference +- z sqrt(V) / n and ``z`` = (k - sum of p) / sqrt(V) says how unusual
  the result is. It leaves out the model's own estimation error, so it is a little
  narrower than the truth;
* ``too_few`` when the book holds fewer than ``fair_comparison.min_accounts``.

CSMs are ranked by difference (1 = most above expectation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.kpis.timeframe import data_as_of
from csmetrics.scorecards.expected import (
    HEALTH_TABLE,
    RetentionModel,
    examples,
    fit,
    health_model,
)
from csmetrics.scorecards.intervals import z_value

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.periods import Period

COLUMNS = [
    "csm_id",
    "csm_name",
    "team",
    "accounts",
    "retained",
    "expected_retained",
    "achieved",
    "expected",
    "difference",
    "low",
    "high",
    "z",
    "too_few",
    "rank",
]
TOTALS = ("accounts", "retained", "expected_retained", "achieved", "expected", "difference")
TOTALS += ("low", "high", "z")


@dataclass(frozen=True)
class FairComparison:
    """Per CSM (``by_csm``, COLUMNS), per account (``accounts``), the model, and notes."""

    period: Period
    model: RetentionModel
    by_csm: pd.DataFrame
    accounts: pd.DataFrame
    company: dict[str, float]
    confidence: float
    notes: tuple[str, ...] = field(default=())


def compare(engine: Engine, config: Config, period: Period) -> FairComparison:
    """Fit on the history before ``period`` and set each book's outcome against it."""
    model = fit(engine, config, period)
    book = examples(engine, config, [period], model.uses_health)
    book["expected"] = model.predict(book)
    notes = []
    if not model.uses_health:
        notes.append(
            f"health at the start not used: no stored scores of the health model "
            f"{health_model(config)!r} ({HEALTH_TABLE}) before {period.start}"
        )
    as_of = data_as_of(engine)
    if period.end > as_of + timedelta(days=1):
        notes.append(
            f"{period.label} is not over (data to {as_of}): accounts still paying today count "
            "as retained"
        )
    options = config.fair_comparison
    by_csm = summarise(book, z_value(options.confidence), options.min_accounts)
    company = summarise(book.assign(csm_id="all"), z_value(options.confidence), 1)
    totals = {k: float(company[k].iloc[0]) for k in TOTALS} if len(company) else {}
    columns = ["account_id", "csm_id", "csm_name", "team", "tier", "start_arr", "tenure_days"]
    columns += ["annual_due", "monthly", "health", "expected", "retained"]
    return FairComparison(
        period=period,
        model=model,
        by_csm=by_csm,
        accounts=book[columns].reset_index(drop=True),
        company=totals,
        confidence=options.confidence,
        notes=tuple(notes),
    )


def summarise(book: pd.DataFrame, z: float, min_accounts: int) -> pd.DataFrame:
    """COLUMNS from a book with ``expected`` (p) and ``retained`` (0/1) per account."""
    owned = book[book["csm_id"].notna()].assign(variance=book["expected"] * (1 - book["expected"]))
    if owned.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = owned.groupby("csm_id", as_index=False).agg(
        csm_name=("csm_name", "first"),
        team=("team", "first"),
        accounts=("account_id", "size"),
        retained=("retained", "sum"),
        expected_retained=("expected", "sum"),
        variance=("variance", "sum"),
    )
    n = grouped["accounts"].astype("float64")
    grouped["achieved"] = grouped["retained"] / n
    grouped["expected"] = grouped["expected_retained"] / n
    grouped["difference"] = grouped["achieved"] - grouped["expected"]
    sd = np.sqrt(grouped["variance"])
    grouped["low"] = grouped["difference"] - z * sd / n
    grouped["high"] = grouped["difference"] + z * sd / n
    excess = grouped["retained"] - grouped["expected_retained"]
    grouped["z"] = (excess / sd).where(sd > 0)
    grouped["too_few"] = grouped["accounts"] < min_accounts
    grouped["rank"] = grouped["difference"].rank(method="min", ascending=False).astype("int64")
    return grouped.sort_values(["rank", "csm_id"])[COLUMNS].reset_index(drop=True)
