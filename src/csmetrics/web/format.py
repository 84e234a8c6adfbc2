"""How numbers read on the pages: money, percentages, NPS points, counts, days, dates."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
UNITS = ("money", "ratio", "nps", "count", "days", "hours", "score", "text", "date", "pct_points")


def missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or value != value
    except (TypeError, ValueError):
        return False


def money(value: Any, currency: str = "USD", compact: bool = False) -> str:
    if missing(value):
        return "—"
    symbol = SYMBOLS.get(currency, f"{currency} ")
    amount = float(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if compact and amount >= 1_000_000:
        return f"{sign}{symbol}{amount / 1_000_000:,.2f}M"
    if compact and amount >= 10_000:
        return f"{sign}{symbol}{amount / 1_000:,.1f}k"
    return f"{sign}{symbol}{amount:,.0f}"


def percent(value: Any, digits: int = 1) -> str:
    return "—" if missing(value) else f"{float(value) * 100:.{digits}f}%"


def nps(value: Any) -> str:
    """NPS as points from -100 to 100 (the KPI is kept as a fraction)."""
    return "—" if missing(value) else f"{float(value) * 100:+.1f}"


def count(value: Any) -> str:
    return "—" if missing(value) else f"{round(float(value)):,}"


def number(value: Any, unit: str, currency: str = "USD", compact: bool = False) -> str:
    """Any value in its unit (see ``UNITS``)."""
    if missing(value):
        return "—"
    if unit == "money":
        return money(value, currency, compact)
    if unit == "ratio":
        return percent(value)
    if unit == "nps":
        return nps(value)
    if unit == "count":
        return count(value)
    if unit == "days":
        return f"{float(value):,.1f} d"
    if unit == "hours":
        return f"{float(value):,.1f} h"
    if unit == "score":
        return f"{float(value):,.2f}"
    if unit == "pct_points":
        return f"{float(value) * 100:+.1f} pts"
    if unit == "date":
        return day(value)
    return str(value)


def day(value: Any) -> str:
    if missing(value):
        return "—"
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else f"{value:%Y-%m-%d %H:%M}"
        )
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "date") and callable(value.date):
        return day(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value.date())
    return str(value)


def kpi_unit(name: str, unit: str) -> str:
    """The display unit of a KPI: NPS reads in points, the rest in their own unit."""
    return "nps" if name == "nps" else unit
