"""Answer checks of chapter 4 against hand calculations."""

import pytest
from _exercise_answers import ANSWERS

from inferecon.exercises import check, exercise_ids


def test_chapter4_exercises_registered():
    assert {"4.2", "4.3", "4.4", "4.5"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    # MI300X: b* = 2 x 0.70 x 1307.4e12 / (2 x 0.75 x 5.3e12) = 230.2
    ("4.2", 2 * 0.70 * 1307.4e12 / (2 * 0.75 * 5.3e12), 1e-12),
    # b = 0.15 x 8 x 989.4e12 / (70 x 2 x 69,501,714,432) = 122.0
    ("4.3", 0.15 * 8 * 989.4e12 / (70 * 2 * 69_501_714_432), 1e-12),
    # the H200 reports 143,771 MiB: floor((0.9 x 143,771 x 2**20 - 70,553,706,496) / (32,768 x 163,840))
    # = floor(12.13) = 12 (with "141 GB" read as 141e9 B it was floor(10.49) = 10)
    ("4.4", float(int((0.9 * 143_771 * 2**20 - 70_553_706_496) / (32_768 * 163_840))), 0.0),
    # KV-read floors in proportion to KV bytes per token: 360,448 / 70,272 = 5.13
    ("4.5", 360_448 / 70_272, 1e-12),
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    if ex == "4.4":
        assert hand == 12.0
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol, abs=0 if rtol else 1e-12)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)
