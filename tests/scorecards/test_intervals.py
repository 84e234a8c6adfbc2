"""Wilson score intervals, checked against hand-worked numbers."""

from __future__ import annotations

import math

import pytest

from csmetrics.scorecards.intervals import wilson, z_value


def test_normal_quantiles():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


def test_nine_of_ten_at_95_percent():
    # z^2 = 3.841459; centre = (0.9 + z^2/20) / (1 + z^2/10) = 1.092073 / 1.384146 = 0.788987
    # half = z / 1.384146 * sqrt(0.9 * 0.1 / 10 + z^2 / 400) = 1.416009 * 0.136395 = 0.193137
    low, high = wilson(9, 10, 0.95)
    assert low == pytest.approx(0.595850, abs=1e-6)
    assert high == pytest.approx(0.982124, abs=1e-6)


def test_three_of_four_at_90_percent():
    # z^2 = 2.705543; centre = (0.75 + z^2/8) / (1 + z^2/4) = 1.088193 / 1.676386 = 0.649130
    # half = z / 1.676386 * sqrt(0.1875 / 4 + z^2 / 64) = 0.981190 * 0.298578 = 0.292962
    low, high = wilson(3, 4, 0.90)
    assert low == pytest.approx(0.356168, abs=1e-6)
    assert high == pytest.approx(0.942093, abs=1e-6)


def test_all_or_nothing_stays_inside_zero_one():
    # p = 0: the interval is [0, z^2 / (n + z^2)] = [0, 3.841459 / 8.841459]
    assert wilson(0, 5, 0.95) == pytest.approx((0.0, 0.434482), abs=1e-6)
    # p = 1 mirrors it: [n / (n + z^2), 1]
    assert wilson(5, 5, 0.95) == pytest.approx((0.565518, 1.0), abs=1e-6)


def test_a_bigger_book_narrows_the_interval():
    small = wilson(9, 10, 0.9)
    large = wilson(90, 100, 0.9)
    assert large[1] - large[0] < small[1] - small[0]
    assert large[0] < 0.9 < large[1]


def test_no_trials_no_interval():
    low, high = wilson(0, 0, 0.9)
    assert math.isnan(low) and math.isnan(high)
