"""Answer checks of chapter 5 against hand calculations."""

import pytest
from _exercise_answers import ANSWERS

from inferecon.exercises import check, exercise_ids

# Llama 3 8B: 7,504,658,432 matmul parameters; attention 4 x 32 layers x 4,096 = 524,288 FLOP per
# token of context; the H200's dense FP8 rate is 1,978.9 TFLOP/s (NVIDIA H200 datasheet).
L3_8B_MATMUL = 7_504_658_432
L3_8B_ATTN = 4 * 32 * 4096
H200_FP8 = 1978.9e12


def test_chapter5_exercises_registered():
    assert {"5.2", "5.3", "5.4"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    # the H200 reports 143,771 MiB: floor((0.9 x 143,771 x 2**20 - 70,553,706,496) / (32,768 x 163,840))
    # = floor(12.13) = 12 (with "141 GB" read as 141e9 B it was floor(10.49) = 10)
    ("5.2", float(int((0.9 * 143_771 * 2**20 - 70_553_706_496) / (32_768 * 163_840))), 0.0),
    # KV-read floors in proportion to KV bytes per token: 360,448 / 70,272 = 5.13
    ("5.3", 360_448 / 70_272, 1e-12),
    # compute-bound prefill: P (2N + a (P - 1) / 2) FLOP / C = 16,384 x 1.9304e10 / 1.9789e15 s = 159.8 ms
    ("5.4", 16_384 * (2 * L3_8B_MATMUL + L3_8B_ATTN * (16_384 - 1) / 2) / H200_FP8 * 1e3, 1e-9),
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    if ex == "5.2":
        assert hand == 12.0
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol, abs=0 if rtol else 1e-12)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)


def test_the_prefill_answer_is_compute_bound_and_about_160_ms():
    assert ANSWERS["5.4"].compute() == pytest.approx(159.8, abs=0.1)
