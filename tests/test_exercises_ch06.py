"""Answer checks of chapter 6 against hand calculations."""

import math

import pytest
from _exercise_answers import ANSWERS, chapter
from _student_visible import leaked

from inferecon.exercises import check, exercise_ids

# A100 80GB SXM datasheet (catalogue): 312e12 FLOP/s bf16, 2039e9 B/s; dense b* = 2 x 312e12 / (2 x 2039e9)
B_DENSE_A100 = 2 * 312e12 / (2 * 2039e9)          # 153.0


def test_chapter5_exercises_registered():
    assert {"6.2", "6.3", "6.4", "6.5", "6.6"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    # 256 x (1 - (31/32)^24) = 136.5
    ("6.2", 256 * (1 - (31 / 32) ** 24), 1e-12),
    # ln 2 / -ln(31/32) = 21.83
    ("6.3", math.log(2) / -math.log(31 / 32), 1e-12),
    # DeepSeek-V3 on the A100: 153.0 x 18.296 (total/active matmul weights) = 2,800; the exact root
    # differs from the rule by the unread fraction (31/32)^2800 ~ 1e-39
    ("6.4", B_DENSE_A100 * 18.296, 1e-4),
    # Mixtral on the A100: 153.0 x 3.653 = 559 (the exact root is a little below the rule)
    ("6.5", B_DENSE_A100 * 3.653, 2e-3),
    # per-expert threshold for DeepSeek-V3 on the A100: s x b*_dense = 32 x 153.0 = 4,897
    ("6.6", 32 * B_DENSE_A100, 1e-12),
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)


def test_no_answer_is_readable_in_the_student_edition():
    assert not leaked("06_moe", chapter(6))


def test_prose_values_are_not_the_answers():
    # the prose states the H100 values and DeepSeek-V3's reads at 32 tokens
    assert not check("6.2", 256 * (1 - (31 / 32) ** 32))
    assert not check("6.4", 5404) and not check("6.5", 1079) and not check("6.6", 9451)
