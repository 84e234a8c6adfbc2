"""Running KPIs: check the data is there, attach the grain, group, execute, tidy.

This is the one place in ``kpis`` that hands expressions to the engine. A result is a
DataFrame with the grain columns, ``period``/``period_start``/``period_end``,
``value`` and, for ratios, ``numerator`` and ``denominator``. Money is rounded to
cents; a ratio whose denominator is 0 is null.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics.errors import KpiError, NotAvailable
from csmetrics.kpis.context import PERIOD_COLUMNS, KpiContext
from csmetrics.kpis.grains import GRAIN_TABLES, attach, group_keys
from csmetrics.kpis.movements import BRIDGE_COLUMNS, MOVEMENTS, SIGNS, bridge_facts
from csmetrics.kpis.movements import bridge_measures as _bridge_measures
from csmetrics.kpis.registry import GRAINS, Kpi, get

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.periods import Period


def check_grain(kpi: Kpi, grain: str) -> None:
    if grain not in GRAINS:
        raise KpiError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    if grain not in kpi.grains:
        raise KpiError(
            f"{kpi.name} is not available by {grain}; it supports {', '.join(kpi.grains)}"
        )


def check_available(
    engine: Engine, config: Config, kpi: Kpi, grain: str, *, currencies: bool = True
) -> None:
    """Raise NotAvailable when a table the KPI (or its grain) reads is empty."""
    needed = list(dict.fromkeys([*kpi.tables, *GRAIN_TABLES.get(grain, ())]))
    missing = [name for name in needed if not engine.has_rows(name)]
    if missing:
        raise NotAvailable(kpi.name, missing)
    if currencies and "contracts" in kpi.tables:
        _check_currencies(engine, config, kpi)


def _check_currencies(engine: Engine, config: Config, kpi: Kpi) -> None:
    """Every contract currency other than the reporting one needs exchange rates."""
    reporting = config.company.reporting_currency
    contracts = engine.table("contracts")
    used = contracts.select(currency=contracts.currency.upper()).distinct()
    used = used.filter(used.currency != reporting)
    rates = engine.table("fx_rates")
    known = rates.select(_known=rates.currency.upper()).distinct()
    unknown = used.anti_join(known, used.currency == known._known)
    missing = sorted(engine.execute(unknown)["currency"].tolist())
    if not missing:
        return
    if not engine.has_rows("fx_rates"):
        raise NotAvailable(kpi.name, ["fx_rates"])
    raise KpiError(
        f"{kpi.name}: no exchange rate to {reporting} for {', '.join(missing)} in fx_rates"
    )


def context(
    engine: Engine, config: Config, periods: Sequence[Period], grain: str, as_of: date | None
) -> KpiContext:
    return KpiContext(
        tables=engine.table,
        config=config,
        periods=tuple(periods),
        grain=grain,  # type: ignore[arg-type]
        as_of=as_of,
    )


def expression(kpi: Kpi, ctx: KpiContext) -> ir.Table:
    """The deferred expression of one KPI at the context's grain and periods."""
    combined = expression_many([kpi], ctx)
    prefix = f"{kpi.name}{SEP}"
    return combined.rename({c.removeprefix(prefix): c for c in combined.columns if SEP in c})


SEP = "__"


def expression_many(same_facts: Sequence[Kpi], ctx: KpiContext) -> ir.Table:
    """Several KPIs built on the same facts, aggregated in one pass.

    Columns: the group keys, then for each KPI ``<kpi>__value``, ``__numerator`` and
    ``__denominator`` (ratios) and any further column its measures return.
    """
    if len({k.facts for k in same_facts}) != 1:
        raise ValueError("expression_many needs KPIs that share one facts builder")
    facts = attach(ctx, same_facts[0].facts(ctx))
    keys = group_keys(ctx.grain)
    measures, columns = {}, []
    for kpi in same_facts:
        mine = kpi.measures(facts)
        names = ["value", *[c for c in ("numerator", "denominator") if c in mine]]
        names += [c for c in mine if c not in names]  # extra measures ride along
        columns += [f"{kpi.name}{SEP}{c}" for c in names]
        measures.update({f"{kpi.name}{SEP}{c}": value for c, value in mine.items()})
    grouped = facts.group_by(keys).aggregate(**measures)
    values = {}
    for kpi in same_facts:
        if kpi.is_ratio:
            num = grouped[f"{kpi.name}{SEP}numerator"]
            den = grouped[f"{kpi.name}{SEP}denominator"]
            values[f"{kpi.name}{SEP}value"] = ibis.ifelse(den != 0, num / den, ibis.null("float64"))
    grouped = grouped.mutate(**values).select(*keys, *columns)
    if ctx.grain == "company":
        grouped = _every_period(ctx, grouped)
    return grouped


def _every_period(ctx: KpiContext, grouped: ir.Table) -> ir.Table:
    """One company row per period even when the period has no facts at all."""
    periods = ctx.periods_table()
    joined = periods.left_join(grouped, "period")
    return joined.select(*PERIOD_COLUMNS, *[c for c in grouped.columns if c not in PERIOD_COLUMNS])


def compute(
    engine: Engine,
    config: Config,
    name: str,
    periods: Sequence[Period],
    grain: str = "company",
    as_of: date | None = None,
) -> pd.DataFrame:
    """One KPI as a tidy DataFrame (see the module doc)."""
    return compute_many(engine, config, [name], periods, grain, as_of)[name]


def compute_many(
    engine: Engine,
    config: Config,
    names: Sequence[str],
    periods: Sequence[Period],
    grain: str = "company",
    as_of: date | None = None,
) -> dict[str, pd.DataFrame]:
    """Several KPIs, one query per family of KPIs that share their facts."""
    chosen = [get(name) for name in dict.fromkeys(names)]
    for kpi in chosen:
        check_grain(kpi, grain)
        check_available(engine, config, kpi, grain, currencies=False)
    revenue = [kpi for kpi in chosen if "contracts" in kpi.tables]
    if revenue:
        _check_currencies(engine, config, revenue[0])
    ctx = context(engine, config, periods, grain, as_of)
    keys = group_keys(grain)
    by_facts: dict[object, list[Kpi]] = {}
    for kpi in chosen:
        by_facts.setdefault(kpi.facts, []).append(kpi)
    out: dict[str, pd.DataFrame] = {}
    for members in by_facts.values():
        out.update(split(engine.execute(expression_many(members, ctx)), members, keys))
    return {kpi.name: out[kpi.name] for kpi in chosen}


def split(frame: pd.DataFrame, members: Sequence[Kpi], keys: list[str]) -> dict[str, pd.DataFrame]:
    """The result of ``expression_many`` as one tidy frame per KPI."""
    out = {}
    for kpi in members:
        prefix = f"{kpi.name}{SEP}"
        mine = [c for c in frame.columns if c.startswith(prefix)]
        part = frame[[*keys, *mine]].rename(columns={c: c.removeprefix(prefix) for c in mine})
        out[kpi.name] = tidy(part, kpi, keys)
    return out


def tidy(frame: pd.DataFrame, kpi: Kpi, keys: list[str]) -> pd.DataFrame:
    """Empty sums to 0, money to cents, counts to integers; rows by period then grain.

    A ratio, a duration (days) or a score with nothing to measure stays null.
    """
    frame = frame.copy()
    if kpi.is_ratio:
        for part in ("numerator", "denominator"):
            frame[part] = _unit(frame[part], kpi.parts)
        frame["value"] = frame["value"].astype("float64")
    else:
        frame["value"] = _unit(frame["value"], kpi.unit)
    return _ordered(frame, keys)


def _unit(column: pd.Series, unit: str) -> pd.Series:
    if unit == "money":
        return column.astype("float64").fillna(0.0).round(2)
    if unit == "count":
        return column.fillna(0).astype("int64")
    return column.astype("float64")


def _ordered(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    grain_keys = [k for k in keys if k not in PERIOD_COLUMNS]
    order = ["period_start", "period_end", *grain_keys]
    return frame.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def bridge_expression(ctx: KpiContext) -> ir.Table:
    """The deferred ARR bridge per grain and period (unrounded; see ``bridge``)."""
    facts = attach(ctx, bridge_facts(ctx))
    grouped = facts.group_by(group_keys(ctx.grain)).aggregate(**_bridge_measures(facts))
    return _every_period(ctx, grouped) if ctx.grain == "company" else grouped


def bridge(
    engine: Engine,
    config: Config,
    periods: Sequence[Period],
    grain: str = "company",
    as_of: date | None = None,
) -> pd.DataFrame:
    """The ARR bridge per grain and period: start, new ... fx, end, reconciling to the cent."""
    kpi = get("new_arr")
    check_grain(kpi, grain)
    check_available(engine, config, kpi, grain)
    ctx = context(engine, config, periods, grain, as_of)
    return tidy_bridge(engine.execute(bridge_expression(ctx)), group_keys(grain))


def tidy_bridge(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Round each line to cents and balance on fx; flag rows that do not reconcile.

    ``fx`` is taken as end minus start minus the business movements, so sub-cent
    rounding of converted amounts lands on the fx line (it is exactly 0 when every
    contract is in the reporting currency) and the printed bridge adds up to the
    cent. ``reconciles`` checks that this balancing fx agrees with the rate effect
    computed independently, within the rounding.
    """
    frame = frame.copy()
    for column in BRIDGE_COLUMNS:
        frame[column] = frame[column].astype("float64").fillna(0.0).round(2)
    business = sum(SIGNS[line] * frame[line] for line in MOVEMENTS if line != "fx")
    balancing = (frame["end"] - frame["start"] - business).round(2)
    # Rounding eight lines to cents moves the balance by at most 4 cents; more means
    # the movements do not explain the change in ARR.
    frame["reconciles"] = (balancing - frame["fx"]).abs() < 0.045
    frame["fx"] = balancing
    return _ordered(frame[[*keys, *BRIDGE_COLUMNS, "reconciles"]], keys)
