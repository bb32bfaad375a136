"""NPS and CSAT with their intervals, against values computed by hand."""

from __future__ import annotations

import math

import pytest

from harken.surveys import stats


def test_nps_and_its_standard_error_by_hand() -> None:
    # 5 promoters, 2 passives, 3 detractors: p = .5, d = .3, NPS = 20
    # Var = (.5 + .3 − .2²) / 10 = .076, SE = 27.568 points, ±1.96 SE = 54.03
    s = stats.nps([9, 9, 10, 10, 9, 7, 8, 0, 5, 6])
    assert s.value == pytest.approx(20.0)
    assert s.counts == {"promoters": 5, "passives": 2, "detractors": 3}
    assert s.enough
    assert s.low == pytest.approx(20 - 54.0325, abs=1e-3)
    assert s.high == pytest.approx(20 + 54.0325, abs=1e-3)


def test_nps_all_promoters_has_no_spread_and_is_clipped() -> None:
    s = stats.nps([10] * 12)
    assert (s.value, s.low, s.high) == (100.0, 100.0, 100.0)
    s = stats.nps([0] * 6 + [10] * 6)  # p = d = .5: NPS 0, SE = 100·√(1/12) = 28.87
    assert s.value == 0
    assert s.high == pytest.approx(1.959964 * 100 * math.sqrt(1 / 12), abs=1e-3)


def test_wilson_interval_by_hand() -> None:
    # 8 of 10: centre (0.8 + z²/20)/(1 + z²/10) = 0.71674; half-width 0.22658
    low, high = stats.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)
    assert stats.wilson(0, 10)[0] == 0.0
    assert stats.wilson(10, 10)[1] == pytest.approx(1.0)


def test_csat_is_the_satisfied_share_with_wilson() -> None:
    s = stats.csat([5, 5, 4, 4, 4, 5, 4, 5, 2, 1])
    assert s.value == pytest.approx(80.0)
    assert s.low == pytest.approx(49.02, abs=0.01)
    assert s.high == pytest.approx(94.33, abs=0.01)


def test_small_samples_are_not_enough_data() -> None:
    s = stats.nps([10, 9, 3])
    assert s.value == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert not s.enough and s.low is None and s.high is None
    empty = stats.csat([])
    assert empty.value is None and empty.n == 0 and not empty.enough
