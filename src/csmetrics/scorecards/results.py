"""KPI results for a scorecard: one registry call at the CSM grain, rolled up.

Every KPI computed by CSM rolls up to teams and the company by adding numerators and
denominators (or values), which the registry guarantees: every grain is the same
facts grouped differently, and an account has one owner in a period. So a team's
card costs one query per KPI family, whatever the number of CSMs, teams and trend
periods. KPIs that are not additive (``NOT_ADDITIVE``) or not available by CSM (the
company-only profitability KPIs) are computed at their own grain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.errors import KpiError, NotAvailable
from csmetrics.kpis.compute import check_available, check_grain, compute_many

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.kpis import Kpi
    from csmetrics.periods import Period

# A target taken once per group (max), not summed: computed at each grain instead.
NOT_ADDITIVE = frozenset({"mau_attainment"})
RESULT_COLUMNS = ["grain_id", "name", "kpi", "period", "value", "numerator", "denominator"]


def grain_results(
    engine: Engine,
    config: Config,
    chosen: Sequence[Kpi],
    periods: Sequence[Period],
    grains: Sequence[str],
    teams: pd.Series,
    notes: list[str],
) -> dict[str, pd.DataFrame]:
    """RESULT_COLUMNS per grain (``teams`` maps csm_id to team).

    A KPI the grain or the data cannot answer is left out with a note saying why.
    """
    by_csm = [k for k in chosen if k.name not in NOT_ADDITIVE and answers(engine, config, k, "csm")]
    base = computed(engine, config, by_csm, periods, "csm")
    out = {}
    for grain in grains:
        frames = [rolled_up(base, grain, teams, by_csm, periods)]
        rest = [k for k in chosen if k not in by_csm and answers(engine, config, k, grain, notes)]
        frames.append(computed(engine, config, rest, periods, grain))
        merged = pd.concat([f for f in frames if len(f)] or [empty_results()], ignore_index=True)
        out[grain] = merged[merged["grain_id"].notna()].reset_index(drop=True)
    return out


def answers(
    engine: Engine, config: Config, kpi: Kpi, grain: str, notes: list[str] | None = None
) -> bool:
    """Whether the KPI can be computed at ``grain`` on this data; why not, in ``notes``."""
    try:
        check_grain(kpi, grain)
        check_available(engine, config, kpi, grain, currencies=False)
    except NotAvailable as exc:
        if notes is not None:
            notes.append(str(exc))
        return False
    except KpiError:
        if notes is not None:
            notes.append(f"{kpi.name}: only by {', '.join(kpi.grains)}, not by {grain}")
        return False
    return True


def computed(
    engine: Engine, config: Config, chosen: Sequence[Kpi], periods: Sequence[Period], grain: str
) -> pd.DataFrame:
    """RESULT_COLUMNS of ``chosen`` at ``grain``: one query per KPI family (null ids kept)."""
    if not chosen:
        return empty_results()
    results = compute_many(engine, config, [k.name for k in chosen], periods, grain)
    frames = [_keyed(frame, grain).assign(kpi=name) for name, frame in results.items()]
    out = pd.concat(frames, ignore_index=True)
    for column in ("numerator", "denominator"):
        if column not in out:
            out[column] = np.nan
    return out[RESULT_COLUMNS].astype(
        {"value": "float64", "numerator": "float64", "denominator": "float64"}
    )


def rolled_up(
    base: pd.DataFrame,
    grain: str,
    teams: pd.Series,
    chosen: Sequence[Kpi],
    periods: Sequence[Period] = (),
) -> pd.DataFrame:
    """CSM rows added up to ``grain``: ratios from the summed parts, other values summed.

    The company gets a row for every KPI and period, as the registry gives it: a sum
    over nothing is 0, a ratio over nothing is null.
    """
    if grain == "csm":
        return base
    if grain == "team":
        keyed = base.assign(grain_id=base["grain_id"].map(teams))
        keyed = keyed[keyed["grain_id"].notna()]
    else:
        keyed = base.assign(grain_id="all")
    parts = ["value", "numerator", "denominator"]
    summed = keyed.groupby(["grain_id", "kpi", "period"], as_index=False)[parts].sum(min_count=1)
    if grain == "company":
        summed = _every_period(summed, chosen, periods)
    is_ratio = summed["kpi"].isin({k.name for k in chosen if k.is_ratio})
    quotient = summed["numerator"] / summed["denominator"].where(summed["denominator"] != 0)
    summed["value"] = np.where(is_ratio, quotient, summed["value"])
    summed["numerator"] = summed["numerator"].where(is_ratio)
    summed["denominator"] = summed["denominator"].where(is_ratio)
    summed["name"] = summed["grain_id"] if grain == "team" else "company"
    return summed[RESULT_COLUMNS]


def _every_period(
    summed: pd.DataFrame, chosen: Sequence[Kpi], periods: Sequence[Period]
) -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [["all"], [k.name for k in chosen], [p.label for p in periods]],
        names=["grain_id", "kpi", "period"],
    )
    full = summed.set_index(["grain_id", "kpi", "period"]).reindex(index).reset_index()
    for kpi in chosen:
        mine = full["kpi"] == kpi.name
        if kpi.is_ratio:
            for part in ("numerator", "denominator"):
                if kpi.parts in ("money", "count"):
                    full.loc[mine, part] = full.loc[mine, part].fillna(0.0)
        else:
            full.loc[mine, "value"] = full.loc[mine, "value"].fillna(0.0)
    return full


def _keyed(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    if grain == "csm":
        return frame.rename(columns={"csm_id": "grain_id", "csm_name": "name"})
    if grain == "team":
        return frame.assign(grain_id=frame["team"], name=frame["team"])
    return frame.assign(grain_id="all", name="company")


def empty_results() -> pd.DataFrame:
    types = dict.fromkeys(RESULT_COLUMNS, "object")
    types |= dict.fromkeys(("value", "numerator", "denominator"), "float64")
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in types.items()})
