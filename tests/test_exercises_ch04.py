"""Answer checks of chapter 4 against hand calculations."""

import pytest
from _exercise_answers import ANSWERS

from inferecon.exercises import check, exercise_ids


def test_chapter4_exercises_registered():
    assert {"4.2", "4.3"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    # MI300X: b* = 2 x 0.70 x 1307.4e12 / (2 x 0.75 x 5.3e12) = 230.2
    ("4.2", 2 * 0.70 * 1307.4e12 / (2 * 0.75 * 5.3e12), 1e-12),
    # b = 0.15 x 8 x 989.4e12 / (70 x 2 x 69,501,714,432) = 122.0
    ("4.3", 0.15 * 8 * 989.4e12 / (70 * 2 * 69_501_714_432), 1e-12),
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol, abs=0 if rtol else 1e-12)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)
