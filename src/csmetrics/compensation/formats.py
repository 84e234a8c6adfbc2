"""How statement numbers read, the same in the terminal and in the HTML pages.

Shares (ratios, attainment, payout) are percentages with two decimals; money has
thousands separators and cents; counts are whole; days and scores keep two decimals.
A missing number is an em dash, never 0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from csmetrics.compensation.curve import pct

if TYPE_CHECKING:
    from csmetrics.compensation.payees import Payee
    from csmetrics.compensation.statement import ComponentLine

DASH = "—"


def share(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return pct(value)


def money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:,.2f}"


def in_unit(value: float | None, unit: str) -> str:
    """A KPI value, target, numerator or denominator in its unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if unit == "ratio":
        return pct(value)
    if unit == "money":
        return money(value)
    if unit == "count" and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def weight(value: float) -> str:
    return pct(value)


def attainment_working(line: ComponentLine) -> str:
    """How the attainment was computed, with the numbers; empty when there is none."""
    if line.attainment is None:
        return ""
    actual, target = in_unit(line.value, line.unit), in_unit(line.target, line.unit)
    if line.direction == "lower":
        return f"attainment = target / actual (lower is better) = {target} / {actual} = " + share(
            line.attainment
        )
    return f"attainment = actual / target = {actual} / {target} = {share(line.attainment)}"


def amount_working(line: ComponentLine, payee: Payee) -> str:
    """amount = on-target pay x weight applied x payout x pro-rating, with exact numbers:
    a reweighted weight as weight / kept weights, pro-rating as days / days."""
    applied = weight(line.effective_weight)
    if line.effective_weight and abs(line.effective_weight - line.weight) > 1e-12:
        applied = f"({weight(line.weight)} / {weight(line.weight / line.effective_weight)})"
    factor = ""
    if payee.factor != 1.0:
        factor = f" x {payee.days_employed}/{payee.period_days}"
    return (
        f"amount = {money(payee.on_target_pay)} x {applied} x {share(line.payout)}{factor} "
        f"= {money(line.amount)}"
    )
