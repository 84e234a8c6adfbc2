"""The numbers a plan pays on: KPI values by CSM and by team, and targets, for one period.

Every KPI the selected plans name is computed through the registry in one batch per
grain (``compute_many`` by csm, then by team), never once per CSM. A KPI whose table
is empty is *not available* for everyone, with the registry's reason; a CSM or team
without a value (no row, or a ratio whose denominator is 0) is missing with its own
reason. Neither is ever a silent 0: the plan's ``missing`` rule decides, and the
statement says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csmetrics.errors import NotAvailable
from csmetrics.kpis import compute_many, get
from csmetrics.kpis.compute import check_available

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.periods import Period

Grain = str  # "csm" or "team"
KEY_COLUMN = {"csm": "csm_id", "team": "team"}


@dataclass(frozen=True)
class Measured:
    """One KPI value for one CSM or team; ``missing`` says why there is no value."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    missing: str | None = None


@dataclass(frozen=True)
class Measurements:
    """KPI values by (kpi, grain, csm_id or team) and targets by the same key."""

    values: dict[tuple[str, Grain, str], Measured]
    unavailable: dict[str, str]  # kpi -> reason, when its tables are empty
    targets: dict[tuple[str, Grain, str], float]

    def get(self, kpi: str, grain: Grain, key: str | None, period: Period) -> Measured:
        if kpi in self.unavailable:
            return Measured(None, missing=self.unavailable[kpi])
        if key is None:
            return Measured(None, missing=f"no {KEY_COLUMN[grain]} to measure")
        found = self.values.get((kpi, grain, key))
        if found is None:
            who = f"{key}'s book" if grain == "csm" else f"team {key}'s books"
            return Measured(
                None,
                missing=f"nothing in {who} for {kpi} to measure in {period.label} "
                f"(accounts count for their owner on {period.start.isoformat()})",
            )
        return found

    def target(self, kpi: str, grain: Grain, key: str | None) -> float | None:
        return None if key is None else self.targets.get((kpi, grain, key))


def measure(
    engine: Engine,
    config: Config,
    period: Period,
    wanted: Iterable[tuple[str, Grain]],
    targets_for: Iterable[tuple[str, Grain]] = (),
) -> Measurements:
    """Compute every (kpi, grain) in ``wanted`` for ``period`` and read the targets asked for."""
    by_grain: dict[Grain, list[str]] = {}
    for kpi, grain in dict.fromkeys(wanted):
        by_grain.setdefault(grain, []).append(kpi)
    values: dict[tuple[str, Grain, str], Measured] = {}
    unavailable: dict[str, str] = {}
    for grain, names in by_grain.items():
        ready = []
        for name in names:
            try:
                check_available(engine, config, get(name), grain, currencies=False)
            except NotAvailable as exc:
                unavailable[name] = str(exc).removeprefix(f"{name}: ")
            else:
                ready.append(name)
        if not ready:
            continue
        for name, frame in compute_many(engine, config, ready, [period], grain).items():
            values.update(_values(name, grain, frame))
    return Measurements(values, unavailable, _targets(engine, period, targets_for))


def _values(name: str, grain: Grain, frame: pd.DataFrame) -> dict[tuple[str, Grain, str], Measured]:
    out = {}
    ratio = "denominator" in frame.columns
    for row in frame.to_dict("records"):
        key = row.get(KEY_COLUMN[grain])
        if key is None or key != key:  # an account without an owner
            continue
        value = _number(row.get("value"))
        numerator = _number(row.get("numerator")) if ratio else None
        denominator = _number(row.get("denominator")) if ratio else None
        missing = None
        if value is None:
            missing = "no value: its denominator is 0" if denominator == 0 else "no value"
        out[(name, grain, str(key))] = Measured(value, numerator, denominator, missing)
    return out


def _targets(
    engine: Engine, period: Period, wanted: Iterable[tuple[str, Grain]]
) -> dict[tuple[str, Grain, str], float]:
    """Rows of the targets table for these (kpi, grain) pairs and the period's label."""
    pairs = sorted(set(wanted))
    if not pairs or not engine.has_rows("targets"):
        return {}
    t = engine.table("targets")
    kpis = [kpi for kpi, _ in pairs]
    grains = [grain for _, grain in pairs]
    rows = engine.execute(
        t.filter(t.period == period.label, t.kpi.isin(kpis), t.grain.isin(grains)).select(
            "kpi", "grain", "grain_id", "target"
        )
    )
    chosen = set(pairs)
    return {
        (r["kpi"], r["grain"], str(r["grain_id"])): float(r["target"])
        for r in rows.to_dict("records")
        if (r["kpi"], r["grain"]) in chosen and _number(r["target"]) is not None
    }


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number
