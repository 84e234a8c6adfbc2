"""Attainment and the payout curve, worked by hand."""

from __future__ import annotations

import math

import pytest

from csmetrics.compensation import attainment, describe, payout
from csmetrics.config.compensation import Component

# threshold 80% pays 50%, linear to 100% at target, +2 per point above, cap 150%
LINE = Component(
    measure="nrr",
    weight=1.0,
    target=1.0,
    threshold=0.8,
    threshold_payout=0.5,
    accelerator=2.0,
    cap=1.5,
    missing="zero",
)


@pytest.mark.parametrize(
    ("a", "share", "capped"),
    [
        (0.0, 0.0, False),
        (0.7999, 0.0, False),  # below the threshold: nothing
        (0.8, 0.5, False),  # at the threshold: its payout
        (0.9, 0.75, False),  # 50% + (90% - 80%) / 20% x 50%
        (1.0, 1.0, False),  # at target
        (1.1, 1.2, False),  # 100% + 2 x 10%
        (1.25, 1.5, False),  # 100% + 2 x 25% reaches the cap exactly
        (1.4, 1.5, True),  # 180% capped at 150%
    ],
)
def test_threshold_accelerator_cap(a, share, capped):
    result = payout(LINE, a)
    assert result.share == pytest.approx(share)
    assert result.capped is capped


def test_threshold_payout_defaults_to_the_threshold_so_the_line_pays_the_attainment():
    c = Component(measure="csat", weight=1.0, target=0.8, threshold=0.7, missing="zero")
    assert payout(c, 0.69).share == 0.0
    assert payout(c, 0.7).share == pytest.approx(0.7)
    assert payout(c, 0.85).share == pytest.approx(0.85)
    assert payout(c, 1.3).share == pytest.approx(1.3)  # accelerator 1, no cap
    assert "pays the attainment" in payout(c, 0.85).working


def test_explicit_curve_interpolates_and_is_flat_beyond_its_last_point():
    c = Component(
        measure="csat",
        weight=1.0,
        target=0.8,
        curve=((0.5, 0.25), (1.0, 1.0), (1.5, 1.5)),
        missing="zero",
    )
    assert payout(c, 0.49).share == 0.0
    assert payout(c, 0.5).share == pytest.approx(0.25)
    assert payout(c, 0.75).share == pytest.approx(0.625)  # 25% + 25% / 50% x 75%
    assert payout(c, 1.2).share == pytest.approx(1.2)
    assert payout(c, 2.0).share == pytest.approx(1.5)
    assert "between (50%, 25%) and (100%, 100%)" in payout(c, 0.75).working


def test_attainment_inverts_for_lower_is_better():
    assert attainment(0.95, 1.0, "higher") == pytest.approx(0.95)
    assert attainment(20.0, 30.0, "lower") == pytest.approx(1.5)  # 30 days target, 20 taken
    assert math.isinf(attainment(0.0, 0.1, "lower"))
    assert payout(LINE, math.inf).share == 1.5  # unbounded attainment pays the cap


def test_attainment_is_exact_at_decimal_boundaries():
    # 0.6 / 0.8 is 0.7499999999999999 in binary; it must meet a 75% threshold.
    c = Component(
        measure="csat",
        weight=1.0,
        target=0.8,
        threshold=0.75,
        threshold_payout=0.5,
        missing="zero",
    )
    a = attainment(0.6, 0.8, "higher")
    assert a == 0.75
    assert payout(c, a).share == 0.5


def test_describe_says_the_whole_curve():
    assert describe(LINE) == (
        "0% below 80%; 50% at 80% rising to 100% at target; +2 x each point above; capped at 150%"
    )
