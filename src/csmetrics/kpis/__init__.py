"""The semantic layer: every KPI declared once in a registry, built as Ibis expressions.

See ``kpis.registry`` for how a KPI is declared and how to add one. Family modules
(revenue, retention, movements, renewals, expansion, ...) register their KPIs when
imported; ``all_kpis()``/``get()`` import every module of this package first.
"""

from __future__ import annotations

from csmetrics.kpis.compute import bridge, compute, compute_many, expression
from csmetrics.kpis.context import KpiContext
from csmetrics.kpis.registry import (
    GRAINS,
    Kpi,
    all_kpis,
    count_where,
    get,
    ratio,
    register,
    total,
    unregister,
)
from csmetrics.kpis.summary import Summary, headline
from csmetrics.kpis.timeframe import data_as_of, resolve_periods

__all__ = [
    "GRAINS",
    "Kpi",
    "KpiContext",
    "Summary",
    "all_kpis",
    "bridge",
    "compute",
    "compute_many",
    "count_where",
    "data_as_of",
    "expression",
    "get",
    "headline",
    "ratio",
    "register",
    "resolve_periods",
    "total",
    "unregister",
]
