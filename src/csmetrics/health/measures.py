"""The raw value of every measure of a model, for every scored account and day.

A KPI measure is the KPI at the account grain over the window of ``window_months``
months ending on the as-of day ([as_of + 1 day - N months, as_of + 1 day)); all days
are one series, so each family of KPIs is one query. A signal measure is a raw signal
(``health.signals``) over the same window; all signals are unioned into one query.
A measure whose tables are empty has no value anywhere and says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics import kpis
from csmetrics.errors import ConfigError, KpiError, NotAvailable
from csmetrics.health.population import Window, context
from csmetrics.health.signals import KEYS, SIGNALS, SignalContext
from csmetrics.kpis.compute import check_available, check_grain

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.config.health import HealthModel, Measure
    from csmetrics.engine import Engine

RAW_COLUMNS = ("account_id", "as_of", "measure", "raw")


@dataclass(frozen=True)
class RawValues:
    """Long frame account_id, as_of, measure, raw; and why a measure has no data at all."""

    frame: pd.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)


def describe_source(measure: Measure) -> str:
    """``kpi nps, 12 months`` / ``signal champion_present``: where a raw value comes from."""
    kind, name = ("kpi", measure.kpi) if measure.kpi else ("signal", measure.signal)
    months = measure.window_months
    if kind == "signal" and name in ("champion_present", "renewals_so_far", "tenure_months"):
        return f"{kind} {name}"
    return f"{kind} {name}, {months} month{'s' if months != 1 else ''}"


def unit_of(measure: Measure) -> str:
    """The unit of a measure's raw value (for display): ratio, count, days, score..."""
    if measure.kpi:
        return kpis.get(measure.kpi).unit
    return SIGNALS[measure.signal or ""].unit


def check_model(model_name: str, model: HealthModel) -> None:
    """Every KPI a model names exists and is available per account (a ConfigError if not)."""
    for name, measure in model.measures.items():
        if measure.kpi is None:
            continue
        key = f"health.models.{model_name}.measures.{name}.kpi"
        try:
            check_grain(kpis.get(measure.kpi), "account")
        except KpiError as exc:
            raise ConfigError(f"{key}: {exc}") from None


def raw_values(
    engine: Engine, config: Config, model_name: str, model: HealthModel, pop: pd.DataFrame
) -> RawValues:
    """The raw value of each measure of ``model`` for each row of ``pop`` (see module doc)."""
    check_model(model_name, model)
    days = sorted(set(pop["as_of"]))
    parts: list[pd.DataFrame] = []
    unavailable: dict[str, str] = {}
    if days:
        kpi_part, missing = _kpi_values(engine, config, model, days)
        parts.append(kpi_part)
        unavailable.update(missing)
        signal_part, missing = _signal_values(engine, config, model, pop, days)
        parts.append(signal_part)
        unavailable.update(missing)
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else None
    if frame is None or frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in RAW_COLUMNS})
    frame["raw"] = frame["raw"].astype("float64")
    keys = pop[["account_id", "as_of"]]
    frame = frame.merge(keys, on=["account_id", "as_of"], how="inner")
    return RawValues(frame[list(RAW_COLUMNS)], unavailable)


def _kpi_values(
    engine: Engine, config: Config, model: HealthModel, days: list[date]
) -> tuple[pd.DataFrame, dict[str, str]]:
    by_window: dict[int, list[tuple[str, Measure]]] = defaultdict(list)
    for name, measure in model.measures.items():
        if measure.kpi is not None:
            by_window[measure.window_months].append((name, measure))
    frames, unavailable = [], {}
    for months, members in by_window.items():
        wanted = []
        for name, measure in members:
            try:
                check_available(engine, config, kpis.get(measure.kpi or ""), "account")
            except NotAvailable as exc:
                unavailable[name] = str(exc)
                continue
            wanted.append((name, measure))
        if not wanted:
            continue
        periods = [Window.ending(day, months).period() for day in days]
        names = list(dict.fromkeys(m.kpi for _, m in wanted if m.kpi))
        results = kpis.compute_many(engine, config, names, periods, "account")
        for name, measure in wanted:
            result = results[measure.kpi or ""]
            frames.append(
                pd.DataFrame(
                    {
                        "account_id": result["account_id"],
                        "as_of": [d - timedelta(days=1) for d in result["period_end"]],
                        "measure": name,
                        "raw": result["value"].astype("float64"),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=list(RAW_COLUMNS)), unavailable
    return pd.concat(frames, ignore_index=True), unavailable


def _signal_values(
    engine: Engine, config: Config, model: HealthModel, pop: pd.DataFrame, days: list[date]
) -> tuple[pd.DataFrame, dict[str, str]]:
    ctx = context(engine, config)
    tables, unavailable = [], {}
    spans_by_window: dict[int, ir.Table] = {}
    for name, measure in model.measures.items():
        if measure.signal is None:
            continue
        signal = SIGNALS[measure.signal]
        missing = [t for t in signal.tables if not engine.has_rows(t)]
        if missing:
            unavailable[name] = f"{signal.name}: not available: needs table {', '.join(missing)}"
            continue
        months = measure.window_months
        if months not in spans_by_window:
            spans_by_window[months] = _spans(pop, months)
        sctx = SignalContext(ctx, spans_by_window[months], tuple(days), months)
        built = signal.build(sctx)
        tables.append(built.select(*KEYS, measure=ibis.literal(name), raw=built.raw))
    if not tables:
        return pd.DataFrame(columns=list(RAW_COLUMNS)), unavailable
    frame = engine.execute(ibis.union(*tables))
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame[list(RAW_COLUMNS)], unavailable


def _spans(pop: pd.DataFrame, months: int) -> ir.Table:
    """The scored accounts with their window of ``months`` months, as an in-memory table."""
    windows = [Window.ending(day, months) for day in set(pop["as_of"])]
    lo = pop["as_of"].map({w.as_of: w.lo for w in windows})
    hi = pop["as_of"].map({w.as_of: w.hi for w in windows})
    midnight = {d: datetime.combine(d, time()) for w in windows for d in (w.lo, w.hi)}
    frame = pd.DataFrame(
        {
            "account_id": pop["account_id"].astype(str),
            "as_of": pop["as_of"],
            "lo": lo,
            "hi": hi,
            "lo_ts": lo.map(midnight),
            "hi_ts": hi.map(midnight),
            "licenses": pop["licenses"].astype("int64"),
        }
    )
    return ibis.memtable(
        frame,
        schema={
            "account_id": "string",
            "as_of": "date",
            "lo": "date",
            "hi": "date",
            "lo_ts": "timestamp",
            "hi_ts": "timestamp",
            "licenses": "int64",
        },
    )
