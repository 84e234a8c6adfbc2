"""Attainment and the payout curve: the two formulas every statement line applies.

Attainment compares the actual with the target: actual / target when higher is
better, target / actual when lower is better (an actual of 0 or less on a
lower-is-better measure is unbounded attainment, so it pays the top of the curve).

Attainment and payout are rounded to a hundredth of a percent (4 decimals) before use,
so a statement can be recomputed by hand from the numbers it prints, and binary
fractions land where the arithmetic says (0.6 / 0.8 is 75%, not 74.99...%).

The payout, as a share of the component's target pay, for attainment ``a``:

* explicit ``curve`` points: 0 below the first point, linear between points, the
  last point's payout beyond the last;
* otherwise, with threshold ``t``, threshold payout ``p`` (default ``t``) and
  accelerator ``k``: 0 when a < t; p + (a - t) / (1 - t) x (1 - p) when t <= a < 1;
  1 + k x (a - 1) when a >= 1;

then never above ``cap``. Each result carries the working in words and numbers, so a
statement shows which part of the curve was applied and how.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from csmetrics.config.compensation import Component


@dataclass(frozen=True)
class Payout:
    """A payout share with how it was reached."""

    share: float  # of the component's target pay: 1.0 = 100%
    working: str  # e.g. "50% + (98.00% - 95%) / 5% x 50% = 80.00%"
    capped: bool = False


# Attainment and payout shares are kept to a hundredth of a percent, as printed.
SHARE_DECIMALS = 4


def attainment(actual: float, target: float, direction: str) -> float:
    """actual / target (higher is better) or target / actual (lower is better)."""
    if direction == "lower":
        return math.inf if actual <= 0 else round(target / actual, SHARE_DECIMALS)
    return round(actual / target, SHARE_DECIMALS)


def payout(component: Component, a: float) -> Payout:
    """The share of target pay that attainment ``a`` earns on this component's curve."""
    raw = _from_points(component.curve, a) if component.curve else _from_line(component, a)
    cap = component.cap
    if cap is not None and raw.share > cap:
        return Payout(cap, f"{raw.working}, capped at {pct(cap)}", capped=True)
    if math.isinf(raw.share):
        return raw
    return Payout(round(raw.share, SHARE_DECIMALS), raw.working, raw.capped)


def _from_line(c: Component, a: float) -> Payout:
    t, k = c.threshold, c.accelerator
    p = c.threshold_payout if c.threshold_payout is not None else t
    if a < t:
        return Payout(0.0, f"{pct(a)} is below the threshold {pct(t)}: 0%")
    if a < 1:
        share = p + (a - t) / (1 - t) * (1 - p)
        if p == t:
            return Payout(share, f"between threshold and target, pays the attainment: {pct(share)}")
        working = f"{pct(p)} + ({pct(a)} - {pct(t)}) / {pct(1 - t)} x {pct(1 - p)} = {pct(share)}"
        return Payout(share, working)
    if math.isinf(a):
        share = math.inf if k > 0 else 1.0
        return Payout(share, "unbounded attainment (actual 0 on a lower-is-better measure)")
    share = 1 + k * (a - 1)
    return Payout(share, f"100% + {k:g} x ({pct(a)} - 100%) = {pct(share)}")


def _from_points(points: tuple[tuple[float, float], ...], a: float) -> Payout:
    first_a = points[0][0]
    if a < first_a:
        return Payout(0.0, f"{pct(a)} is below the curve's first point {pct(first_a)}: 0%")
    last_a, last_p = points[-1]
    if a >= last_a:
        return Payout(last_p, f"at or beyond the curve's last point {pct(last_a)}: {pct(last_p)}")
    for (a0, p0), (a1, p1) in itertools.pairwise(points):
        if a0 <= a < a1:
            share = p0 + (a - a0) / (a1 - a0) * (p1 - p0)
            working = (
                f"between ({pct(a0)}, {pct(p0)}) and ({pct(a1)}, {pct(p1)}): "
                f"{pct(p0)} + ({pct(a)} - {pct(a0)}) / {pct(a1 - a0)} x {pct(p1 - p0)} "
                f"= {pct(share)}"
            )
            return Payout(share, working)
    raise AssertionError("unreachable: the points cover every attainment")  # pragma: no cover


def describe(component: Component) -> str:
    """The whole curve in one line, for plan listings and statement headers."""
    cap = f"; capped at {pct(component.cap)}" if component.cap is not None else "; no cap"
    if component.curve:
        points = ", ".join(f"{pct(a)} -> {pct(p)}" for a, p in component.curve)
        return f"0% below {pct(component.curve[0][0])}; points {points}, linear between{cap}"
    t = component.threshold
    p = component.threshold_payout if component.threshold_payout is not None else t
    below = f"0% below {pct(t)}; " if t > 0 else ""
    return (
        f"{below}{pct(p)} at {pct(t)} rising to 100% at target; "
        f"+{component.accelerator:g} x each point above{cap}"
    )


def pct(share: float) -> str:
    """A share as a percentage with two decimals, trailing zeros dropped (95%, 98.25%)."""
    if math.isinf(share):
        return "unbounded"
    text = f"{100 * share:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
