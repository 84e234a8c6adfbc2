"""The headline numbers a CS leader opens with (``csmetrics summary``, ``make demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from csmetrics.kpis.compute import compute, compute_many
from csmetrics.kpis.timeframe import resolve_periods
from csmetrics.periods import Period

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics.config import Config
    from csmetrics.engine import Engine

RETENTION = ("logo_retention", "grr", "nrr")


@dataclass(frozen=True)
class Summary:
    """ARR on the as-of day, retention over the last complete quarters, ARR by tier."""

    as_of: date
    quarter: Period
    arr: float
    mrr: float
    active_accounts: int
    logo_retention: float | None
    grr: float | None
    nrr: float | None
    arr_by_tier: pd.DataFrame
    retention_by_quarter: pd.DataFrame


def on_day(day: date) -> Period:
    """The one-day range whose closing values are those active on ``day``."""
    return Period(day - timedelta(days=1), day, day.isoformat(), "range")


def headline(engine: Engine, config: Config, as_of: date) -> Summary:
    """Four queries: ARR and accounts today, ARR by tier, and four quarters of retention."""
    today = [on_day(as_of)]
    now = compute_many(engine, config, ["arr", "active_accounts"], today)
    arr = float(now["arr"].loc[0, "value"])
    by_tier = compute(engine, config, "arr", today, grain="tier")
    quarters = resolve_periods(config, as_of, every="quarter")
    trend = compute_many(engine, config, ["arr", *RETENTION], quarters)
    history = trend["arr"][["period", "value"]].rename(columns={"value": "arr"})
    for name in RETENTION:
        history[name] = trend[name]["value"].to_numpy()
    last = history.iloc[-1]
    return Summary(
        as_of=as_of,
        quarter=quarters[-1],
        arr=arr,
        mrr=round(arr / 12, 2),
        active_accounts=int(now["active_accounts"].loc[0, "value"]),
        logo_retention=_maybe(last["logo_retention"]),
        grr=_maybe(last["grr"]),
        nrr=_maybe(last["nrr"]),
        arr_by_tier=by_tier[["tier", "value"]].rename(columns={"value": "arr"}),
        retention_by_quarter=history,
    )


def _maybe(value: object) -> float | None:
    if value is None or value != value:  # null or NaN
        return None
    return float(value)  # type: ignore[arg-type]
