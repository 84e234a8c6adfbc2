"""Pieces several pages share: KPI trend charts and breakdown tables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from csmetrics import risk
from csmetrics.kpis import get as get_kpi
from csmetrics.periods import Period
from csmetrics.web import format as fmt
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import Chart, Column, Series, short


def trend(
    d: ScopedData,
    key: str,
    title: str,
    names: Sequence[str],
    kind: str = "quarter",
    chart: str = "line",
) -> Chart | None:
    """One chart of KPIs over the snapshot's quarters (or months); None when none is available."""
    series, x, unit = [], [p.label for p in d.periods(kind)], None
    for name in names:
        found = d.kpi_series(name, kind)
        if found is None:
            continue
        spec = get_kpi(name)
        unit = unit or fmt.kpi_unit(name, spec.unit)
        series.append(Series(short(name), [_value(v) for v in found["value"]]))
    if not series:
        return None
    return Chart(key, title, x, series, unit or "count", d.as_of, chart)


def _value(v: object) -> float | None:
    return None if fmt.missing(v) else float(v)  # type: ignore[arg-type]


def breakdown_key(d: ScopedData) -> str:
    """Teams for the whole company, CSMs within a team, tiers within one CSM's book."""
    scope, f = d.viewer.scope, d.filters
    if f.csm or scope.role == "csm":
        return "tier"
    if f.team or scope.role == "manager":
        return "csm_id"
    return "team"


KEY_LABEL = {"team": "Team", "csm_id": "CSM", "tier": "Tier", "segment": "Segment"}


def breakdown(
    d: ScopedData, key: str, names: Sequence[str], period: Period, *, at_risk_day: object = None
) -> tuple[pd.DataFrame, list[Column]]:
    """One row per group of ``key`` with each KPI (and at-risk ARR on ``at_risk_day``)."""
    frame: pd.DataFrame | None = None
    columns = [Column("csm_name" if key == "csm_id" else key, KEY_LABEL[key])]
    for name in names:
        part = d.kpi_by(name, key, period)
        if part is None:
            continue
        spec = get_kpi(name)
        keep = part[[key, "value"]].rename(columns={"value": name})
        frame = keep if frame is None else frame.merge(keep, on=key, how="outer")
        columns.append(Column(name, short(name), fmt.kpi_unit(name, spec.unit)))
    if frame is None:
        frame = pd.DataFrame({key: pd.Series(dtype="string")})
    if at_risk_day is not None:
        evaluation = d.evaluation(at_risk_day)  # type: ignore[arg-type]
        if not evaluation.book.empty:
            grouped = risk.at_risk(evaluation, key if key != "csm_id" else "csm")
            grouped = grouped[[key, "at_risk_arr", "at_risk_accounts"]]
            frame = frame.merge(grouped, on=key, how="outer")
            columns += [
                Column("at_risk_arr", "At-risk ARR", "money"),
                Column("at_risk_accounts", "At-risk accounts", "count"),
            ]
    if key == "csm_id":
        names_ = d.csms()[["csm_id", "name"]].rename(columns={"name": "csm_name"})
        frame["csm_id"] = frame["csm_id"].astype("string")
        frame = frame.merge(names_, on="csm_id", how="left")
        columns[0] = Column("csm_name", "CSM", link="/scorecard?csm={csm_id}")
        columns.insert(1, Column("csm_id", "csm_id"))
    frame = frame[frame[key].notna()]
    sort = "arr" if "arr" in frame.columns else key
    return frame.sort_values(sort, ascending=sort != "arr").reset_index(drop=True), columns
