"""What the health views share: measure labels and units, raw values as text, grains."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics import kpis
from csmetrics.errors import KpiError
from csmetrics.health.population import context, month_end
from csmetrics.health.signals import SIGNALS
from csmetrics.kpis.grains import GRAIN_COLUMNS, GRAIN_TABLES, attach
from csmetrics.periods import Period, add_months

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.health import Measure
    from csmetrics.engine import Engine

BETTER = "higher"  # every health score: higher is healthier


def label(name: str, measure: Measure) -> str:
    return measure.label or name.replace("_", " ").capitalize()


def unit(measure: Measure) -> str:
    if measure.kpi:
        return "nps" if measure.kpi == "nps" else kpis.get(measure.kpi).unit
    return SIGNALS[measure.signal or ""].unit


def format_raw(measure: Measure, value: float | None) -> str:
    """A raw value as a CS leader reads it: 41%, NPS +25, 3 days, yes/no; 'no data'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    kind = unit(measure)
    if kind == "nps":
        return f"{100 * value:+.0f}"
    if kind == "ratio":
        return f"{100 * value:.0f}%"
    if kind == "change":
        return f"{100 * value:+.0f}%"
    if kind == "flag":
        return "yes" if value >= 0.5 else "no"
    if kind == "days":
        return f"{value:.1f} days"
    if kind == "months":
        return f"{value:.0f} months"
    if kind == "money":
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}"


def months_before(day: date, months: int) -> date:
    """The month end ``months`` calendar months before the month holding ``day``."""
    return month_end(add_months(date(day.year, day.month, 1), -months))


def grain_columns(engine: Engine, config: Config, day: date, grain: str) -> pd.DataFrame:
    """account_id plus the grain's columns on ``day`` (the owner on that day, like KPIs)."""
    if grain not in GRAIN_COLUMNS:
        raise KpiError(f"unknown grain {grain!r}; use one of {', '.join(GRAIN_COLUMNS)}")
    accounts = engine.table("accounts").select("account_id")
    if grain == "company":
        return engine.execute(accounts)
    missing = [t for t in GRAIN_TABLES[grain] if not engine.has_rows(t)]
    if missing:
        raise KpiError(f"grouping by {grain} needs table {', '.join(missing)}")
    period = Period(day, day + timedelta(days=1), day.isoformat())
    ctx = replace(context(engine, config, (period,)), grain=grain)
    facts = accounts.mutate(period_start=ibis.literal(day))
    joined = attach(ctx, facts)
    return engine.execute(joined.select(*dict.fromkeys(["account_id", *GRAIN_COLUMNS[grain]])))
