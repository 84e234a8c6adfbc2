"""One account's score taken apart: every measure's raw value, points, weight, contribution.

The contributions add up to the score (each is the measure's share of the weights
that count x its points). Beside each measure: its value and points at the previous
month end and how much its contribution moved, so a change reads measure by measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.errors import HealthError
from csmetrics.health.book import open_book
from csmetrics.health.display import BETTER, format_raw, label, months_before
from csmetrics.health.measures import describe_source
from csmetrics.health.table import change_reasons

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.health import Bands, HealthModel
    from csmetrics.engine import Engine


@dataclass(frozen=True)
class Explanation:
    model: str
    account_id: str
    account_name: str
    tier: str | None
    as_of: date
    score: float | None
    band: str | None
    bands: Bands
    previous_day: date
    previous_score: float | None
    why: str
    trend_since: date
    trend: float | None
    measures: pd.DataFrame
    history: pd.DataFrame
    better: str = BETTER

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


def explain(
    engine: Engine,
    config: Config,
    account_id: str,
    as_of: date | None = None,
    model: str | None = None,
) -> Explanation:
    book = open_book(engine, config, model)
    accounts = engine.table("accounts")
    found = engine.execute(
        accounts.filter(accounts.account_id == account_id).select("account_id", "name", "tier")
    )
    if found.empty:
        raise HealthError(f"unknown account {account_id!r}")
    day = book.day(as_of)
    history = book.scores(account_id=account_id)
    now = book.snapshot(day, account_id)
    if now.scores.empty:
        last = history["as_of"].max() if len(history) else None
        hint = f"; its last score is of {last}" if last is not None else ""
        raise HealthError(f"{account_id} is not a paying customer on {day}: no health score{hint}")
    tier = found["tier"].iloc[0]
    previous_day = months_before(day, 1)
    since = months_before(day, config.health.trend_months)
    before = book.snapshot(previous_day, account_id) if previous_day >= book.days[0] else None
    earlier = book.snapshot(since, account_id) if since >= book.days[0] else None
    current = now.scores.iloc[0]
    score = _value(current["score"])
    previous = _value(before.scores["score"].iloc[0]) if before and len(before.scores) else None
    old = _value(earlier.scores["score"].iloc[0]) if earlier and len(earlier.scores) else None
    before_measures = before.measures if before else now.measures.iloc[0:0]
    change = pd.Series(
        {account_id: (score - previous) if score is not None and previous is not None else np.nan}
    )
    why = change_reasons(book.model, now.measures, before_measures, change).get(account_id, "")
    return Explanation(
        model=book.model_name,
        account_id=account_id,
        account_name=str(found["name"].iloc[0]),
        tier=None if pd.isna(tier) else str(tier),
        as_of=day,
        score=score,
        band=current["band"] if isinstance(current["band"], str) else None,
        bands=book.model.bands_for(None if pd.isna(tier) else str(tier)),
        previous_day=previous_day,
        previous_score=previous,
        why=why,
        trend_since=since,
        trend=(score - old) if score is not None and old is not None else None,
        measures=_detail(book.model, tier, now.measures, before_measures, now.unavailable),
        history=history[["as_of", "score", "band"]].reset_index(drop=True),
    )


def _value(value: object) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def _detail(
    model: HealthModel,
    tier: object,
    now: pd.DataFrame,
    before: pd.DataFrame,
    unavailable: dict[str, str],
) -> pd.DataFrame:
    tier_name = None if pd.isna(tier) else str(tier)
    now = now.set_index("measure")
    before = before.set_index("measure") if len(before) else before
    rows = []
    for name in model.measures:
        measure = model.measure_for(name, tier_name)
        mine = now.loc[name]
        raw, points = _value(mine["raw"]), _value(mine["points"])
        was = before.loc[name] if name in getattr(before, "index", []) else None
        raw_was = _value(was["raw"]) if was is not None else None
        contribution_was = _value(was["contribution"]) if was is not None else None
        missing = measure.missing if measure.missing is not None else model.missing
        rows.append(
            {
                "measure": name,
                "label": label(name, measure),
                "source": describe_source(measure),
                "raw": raw,
                "value": format_raw(measure, raw),
                "points": points,
                "weight": measure.weight,
                "share": float(mine["weight"]),
                "contribution": float(mine["contribution"]),
                "previous": format_raw(measure, raw_was) if was is not None else "",
                "contribution_change": (
                    float(mine["contribution"]) - contribution_was
                    if contribution_was is not None
                    else None
                ),
                "note": _note(name, measure.weight, raw, missing, unavailable),
            }
        )
    return pd.DataFrame(rows)


def _note(
    name: str, weight: float, raw: float | None, missing: object, unavailable: dict[str, str]
) -> str:
    if weight == 0:
        return "shown only (weight 0)"
    if raw is not None:
        return ""
    reason = unavailable.get(name, "no data in its window")
    if missing == "skip":
        return f"skipped, weight re-spread: {reason}"
    return f"scored {float(missing):g} points: {reason}"  # type: ignore[arg-type]
