"""The KPI registry: every KPI declared once, with its meaning and its expression.

A KPI is a frozen ``Kpi``: what it means (title, description, formula in words,
unit, direction, a worked example), what it needs (tables, grains) and how it is
computed, in two deferred Ibis steps:

``facts(ctx)``
    Returns a table of *facts* for every period in ``ctx.periods``: one row per
    account (or per contract, ticket, response...) with the columns ``period``,
    ``period_start``, ``period_end``, ``account_id`` and the measure columns the
    KPI adds up. Facts never group by a grain; the core does that.
``measures(facts)``
    Returns the aggregations over one group of facts, keyed by output column:
    ``numerator`` and ``denominator`` for a ratio (the core adds ``value`` =
    numerator / denominator, null when the denominator is 0), or ``value``.

The core (``kpis.compute``) attaches the grain columns to the facts (the account's
owner on the period's first day, its tier, ...), groups by grain and period, and
executes. Because every grain is the same facts grouped differently, per-CSM
numerators and denominators always add up to the company's.

How to add a KPI (or a family, e.g. ``kpis/adoption.py``)
---------------------------------------------------------
1. Create a module in this package; it is discovered by ``all_kpis()`` without
   editing any other file.
2. Write ``def _facts(ctx: KpiContext) -> ibis.Table`` from ``ctx.table(name)``,
   ``ctx.periods_table()`` and the shared helpers (``contracts.effective_contracts``,
   ``contracts.arr_at_bounds``, ``fx.with_rate``, ``retention.cohort_facts``,
   ``movements.bridge_facts``); never execute, never name an engine.
3. Call ``register(Kpi(name=..., title=..., ..., tables=("events",),
   facts=_facts, measures=ratio("active", "licensed")))`` at module level. KPIs
   declared with the *same* facts function are computed in one query when asked
   together (``ws.kpis([...])``).
4. Run ``csmetrics docs --out docs`` to regenerate docs/kpis.md; the module's
   docstring opens its family's section there, so put the precise definitions in it.
A KPI whose tables are empty in a workspace answers ``NotAvailable`` by itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from csmetrics.errors import KpiError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

Unit = Literal["ratio", "money", "count", "days", "score"]
Direction = Literal["higher", "lower"]
Grain = Literal["account", "csm", "team", "tier", "segment", "company"]

GRAINS: tuple[Grain, ...] = ("account", "csm", "team", "tier", "segment", "company")
UNITS: tuple[Unit, ...] = ("ratio", "money", "count", "days", "score")

Facts = Callable[["KpiContext"], "ir.Table"]
Measures = Callable[["ir.Table"], "dict[str, ir.Value]"]


@dataclass(frozen=True)
class Kpi:
    """One KPI: its meaning, what it needs, and how to build it (see the module doc).

    ``parts`` is the unit of a ratio's numerator and denominator (count or money).
    ``average`` marks a mean in the KPI's own unit (days, hours, score): measures give
    ``numerator`` (the sum) and ``denominator`` (how many), and the value is their
    quotient like a ratio's, so a group with nothing to average is null, never 0.
    """

    name: str
    title: str
    description: str
    formula: str
    unit: Unit
    direction: Direction
    tables: tuple[str, ...]
    facts: Facts
    measures: Measures
    grains: tuple[Grain, ...] = GRAINS
    parts: Unit = "count"
    family: str = ""
    example: str = ""
    average: bool = False
    # How a ratio is shown: "percent" (24.2%) or "points" (x 100, signed: NPS +24.2).
    # Values, targets and thresholds stay ratios either way.
    shown_as: Literal["percent", "points"] = "percent"

    @property
    def display_unit(self) -> str:
        """The unit a screen formats the value in: ``points`` for NPS-like ratios."""
        return "points" if self.unit == "ratio" and self.shown_as == "points" else self.unit

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"KPI {self.name}: unknown unit {self.unit!r}")
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"KPI {self.name}: direction must be higher or lower")
        unknown = set(self.grains) - set(GRAINS)
        if unknown:
            raise ValueError(f"KPI {self.name}: unknown grains {sorted(unknown)}")

    @property
    def is_ratio(self) -> bool:
        return self.unit == "ratio" or self.average


_REGISTRY: dict[str, Kpi] = {}
_discovered = False


def register(kpi: Kpi) -> Kpi:
    """Add a KPI to the registry; a name can be declared only once."""
    existing = _REGISTRY.get(kpi.name)
    if existing is not None and existing is not kpi:
        raise ValueError(f"KPI {kpi.name!r} is declared twice")
    _REGISTRY[kpi.name] = kpi
    return kpi


def unregister(name: str) -> None:
    """Remove a KPI (for tests that declare throwaway KPIs)."""
    _REGISTRY.pop(name, None)


def _discover() -> None:
    """Import every module of this package once, so each family registers its KPIs."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    package = importlib.import_module("csmetrics.kpis")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"csmetrics.kpis.{info.name}")


def get(name: str) -> Kpi:
    """The KPI called ``name``; a KpiError listing the known names otherwise."""
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KpiError(f"unknown KPI {name!r}; known KPIs: {known}") from None


# Families listed first in docs and `csmetrics kpis --list`; others follow by name.
FAMILY_ORDER = ("revenue", "retention", "movements", "renewals", "expansion")


def all_kpis() -> tuple[Kpi, ...]:
    """Every registered KPI, grouped by family (declaration order within a family)."""
    _discover()

    def rank(kpi: Kpi) -> tuple[int, str]:
        known = kpi.family in FAMILY_ORDER
        return (FAMILY_ORDER.index(kpi.family) if known else len(FAMILY_ORDER), kpi.family)

    return tuple(sorted(_REGISTRY.values(), key=rank))


# -- measure helpers: the usual ways facts add up -------------------------------------


def ratio(numerator: str, denominator: str) -> Measures:
    """A ratio of two summed fact columns."""

    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        return {
            "numerator": facts[numerator].sum(),
            "denominator": facts[denominator].sum(),
        }

    return measures


def total(column: str) -> Measures:
    """The sum of one fact column."""

    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        return {"value": facts[column].sum()}

    return measures


def count_where(column: str) -> Measures:
    """The number of distinct accounts whose fact ``column`` is true (or positive)."""

    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        hit = facts[column] > 0
        return {"value": facts.account_id.nunique(where=hit)}

    return measures
