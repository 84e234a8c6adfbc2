"""What a page shows, as data: numbers (tiles), charts and tables.

A view is built once per request from ``ScopedData`` and rendered three ways: the
HTML page, the JSON API (``/api/...``) and a CSV per table (``/export/...``), so the
three can never disagree. ``PAGES`` is the registry the routers are built from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from csmetrics.kpis import get as get_kpi
from csmetrics.periods import Period
from csmetrics.web import format as fmt
from csmetrics.web.roles import Role
from csmetrics.web.snapshots import Aggregate


@dataclass(frozen=True)
class Number:
    """A headline number with its parts and the day its data is as of."""

    key: str
    label: str
    value: float | None
    unit: str
    as_of: date
    period: str | None = None
    numerator: float | None = None
    denominator: float | None = None
    note: str = ""
    href: str | None = None
    compare: float | None = None  # e.g. a target, shown beside the value
    compare_label: str = ""
    parts_unit: str = "count"  # the unit of numerator and denominator


@dataclass(frozen=True)
class Series:
    name: str
    y: list[float | None]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    x: list[str]
    series: list[Series]
    unit: str
    as_of: date
    kind: str = "line"  # line or bar


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str = "text"
    link: str | None = None  # a URL template such as "/accounts/{account_id}"


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    frame: pd.DataFrame
    columns: list[Column]
    as_of: date
    note: str = ""
    limit: int | None = None  # rows shown on the page (the CSV and the API have all)


@dataclass
class View:
    """Everything one page shows."""

    page: str
    title: str
    as_of: date
    period: Period | None = None
    numbers: list[Number] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    subtitle: str = ""

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "title": self.title,
            "subtitle": self.subtitle,
            "as_of": self.as_of.isoformat(),
            "period": _period_json(self.period),
            "numbers": [_number_json(n) for n in self.numbers],
            "charts": [
                {
                    "key": c.key,
                    "title": c.title,
                    "unit": c.unit,
                    "as_of": c.as_of.isoformat(),
                    "x": c.x,
                    "series": [{"name": s.name, "y": [_plain(v) for v in s.y]} for s in c.series],
                }
                for c in self.charts
            ],
            "tables": [
                {
                    "name": t.name,
                    "title": t.title,
                    "as_of": t.as_of.isoformat(),
                    "columns": [
                        {"key": c.key, "label": c.label, "unit": c.unit} for c in t.columns
                    ],
                    "rows": records(t.frame, [c.key for c in t.columns]),
                }
                for t in self.tables
            ],
            "notes": self.notes,
            **{k: v for k, v in self.extra.items() if k.startswith("json_")},
        }


def _period_json(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


def _number_json(n: Number) -> dict[str, Any]:
    return {
        "key": n.key,
        "label": n.label,
        "value": _plain(n.value),
        "unit": n.unit,
        "numerator": _plain(n.numerator),
        "denominator": _plain(n.denominator),
        "period": n.period,
        "as_of": n.as_of.isoformat(),
        "note": n.note,
        "compare": _plain(n.compare),
        "compare_label": n.compare_label,
        "parts_unit": n.parts_unit,
    }


def _plain(value: Any) -> Any:
    """JSON-safe: NaN -> None, numpy -> Python, dates -> ISO text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    present = [c for c in columns if c in frame.columns]
    return [
        {c: _plain(v) for c, v in zip(present, row, strict=True)}
        for row in frame[present].itertuples(index=False, name=None)
    ]


# Short names for tiles, columns and legends (the registry's titles are for the docs).
SHORT = {
    "arr": "ARR",
    "active_accounts": "Accounts",
    "nrr": "NRR",
    "grr": "GRR",
    "logo_retention": "Logo retention",
    "nps": "NPS",
    "nps_response_rate": "NPS response rate",
    "csat": "CSAT",
    "ces": "CES",
    "support_csat": "Support CSAT",
    "mau": "MAU",
    "license_utilisation": "License utilisation",
    "key_feature_user_adoption": "Key-feature users",
    "key_feature_account_adoption": "Key-feature accounts",
    "mau_new_users": "New users",
    "mau_retained_users": "Retained users",
    "mau_reengaged_users": "Re-engaged users",
    "mau_lapsed_users": "Lapsed users",
    "onboarding_within_sla": "Onboarding in SLA",
    "onboarding_days": "Days to onboard",
    "time_to_value_days": "Days to value",
    "open_onboardings": "Open onboardings",
    "open_onboarding_age_days": "Open onboarding age",
    "onboarding_checklist_completion": "Checklist done",
    "advocacy_actions": "Advocacy actions",
    "validated_references": "Validated references",
    "advocacy_g2_review": "G2 reviews",
    "advocacy_case_study": "Case studies",
    "advocacy_reference": "References",
    "advocacy_success_story": "Success stories",
    "advocacy_promoter": "Promoters",
    "advocacy_positive_csat": "Positive CSAT",
    "renewal_rate": "Renewal rate",
    "new_arr": "New ARR",
    "expansion_arr": "Expansion ARR",
    "contraction_arr": "Contraction ARR",
    "churned_arr": "Churned ARR",
}


def short(name: str) -> str:
    return SHORT.get(name) or get_kpi(name).title


def kpi_number(
    key: str,
    agg: Aggregate | None,
    as_of: date,
    period: Period,
    *,
    label: str | None = None,
    note: str = "",
    href: str | None = None,
) -> Number:
    """A tile for a KPI from the snapshot (its title and unit from the registry)."""
    spec = get_kpi(key)
    unit = fmt.kpi_unit(key, spec.unit)
    if agg is None:
        return Number(
            key, label or short(key), None, unit, as_of, period.label, note=note or "not available"
        )
    return Number(
        key,
        label or short(key),
        agg.value,
        unit,
        as_of,
        period.label,
        numerator=agg.numerator,
        denominator=agg.denominator,
        note=note,
        href=href,
        parts_unit=spec.parts if spec.is_ratio else spec.unit,
    )


def period_as_of(period: Period, data_as_of: date) -> date:
    """The day a period's numbers are as of: its last day, or the data's if earlier."""
    return min(period.last_day, data_as_of)


Builder = Callable[..., View]


@dataclass(frozen=True)
class Page:
    """A page: its URL, who may open it, and how its view is built."""

    name: str
    path: str
    title: str
    roles: tuple[Role, ...]
    build: Builder
    template: str = "view.html.j2"
    nav: bool = True
    params: tuple[str, ...] = ()  # page-specific query parameters (besides the filters)
    description: str = ""
    periodic: bool = True  # about a period (offers the period filter) or about today


PAGES: list[Page] = []


def page(
    name: str,
    path: str,
    title: str,
    roles: tuple[Role, ...],
    *,
    template: str = "view.html.j2",
    nav: bool = True,
    params: tuple[str, ...] = (),
    periodic: bool = True,
) -> Callable[[Builder], Builder]:
    """Declare a page; its builder takes ``(data, params, **path_params)``."""

    def register(build: Builder) -> Builder:
        PAGES.append(
            Page(
                name,
                path,
                title,
                roles,
                build,
                template,
                nav,
                params,
                (build.__doc__ or "").strip().splitlines()[0] if build.__doc__ else "",
                periodic,
            )
        )
        return build

    return register
