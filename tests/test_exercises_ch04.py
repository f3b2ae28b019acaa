"""Answer checks of chapter 4 against hand calculations."""

import pytest

from inferecon.exercises import check, exercise_ids
from inferecon.exercises.ch04 import ANSWERS


def test_chapter4_exercises_registered():
    assert {"ch4-ex2", "ch4-ex3", "ch4-ex4", "ch4-ex5"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    # b* = 2 x 0.70 x 312e12 / (2 x 0.75 x 2039e9) = 142.8
    ("ch4-ex2", 2 * 0.70 * 312e12 / (2 * 0.75 * 2039e9), 1e-12),
    # b = 0.15 x 8 x 989.4e12 / (70 x 2 x 69,501,714,432) = 122.0
    ("ch4-ex3", 0.15 * 8 * 989.4e12 / (70 * 2 * 69_501_714_432), 1e-12),
    # floor((0.9 x 141e9 - 70,553,706,496) / (32,768 x 163,840)) = floor(10.49) = 10
    ("ch4-ex4", 10.0, 0.0),
    # KV-read floors in proportion to KV bytes per token: 360,448 / 70,272 = 5.13
    ("ch4-ex5", 360_448 / 70_272, 1e-12),
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol, abs=0 if rtol else 1e-12)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)
