"""Answer checks of chapters 9 and 10: registered, correct values accepted, wrong ones rejected."""

import pytest
from _exercise_answers import chapter

from inferecon.exercises import check, exercise_ids


def test_registered():
    ids = exercise_ids()
    for k in ("9.2", "9.3", "9.4", "9.5", "10.2", "10.3", "10.4", "10.5"):
        assert k in ids


def test_hand_worked_answers():
    # ch9-ex2: (1 - 0.7^6)/(1 - 0.7) = 0.882351/0.3 = 2.94117
    assert check("9.2", 2.94117)
    # ch10-ex2: (0.60 + 0.02)/(1 - 0.08) = 0.673913
    assert check("10.2", 0.673913)
    # ch10-ex3: 0.1 + 1 - (0.5*0.95 + 0.5*0.10) = 0.575
    assert check("10.3", 0.575)
    # ch9-ex4: 6,000 + 6*3e9*5e10/(0.4*989.4e12)/3600*2 = 6,000 + 1,263.4 -> / 0.10 per M = 7.263e10
    assert check("9.4", (6000 + 6 * 3e9 * 5e10 / (0.4 * 989.4e12) / 3600 * 2) / 0.10 * 1e6)
    # ch9-ex3: memory-bound, N = 7,504,658,432 matmul params of Llama 3 8B, KV 131,072 B/token:
    # (N + 32*8192*131072) / (2N + 32*8192*131072) = 4.18652e10 / 4.93699e10 = 0.84799
    kv = 32 * 8192 * 131072
    assert check("9.3", (7_504_658_432 + kv) / (2 * 7_504_658_432 + kv))
    assert check("9.3", 0.848)
    # ch9-ex5: batch 1, no context, INT8: every pass is memory-bound, so Leviathan's formula with
    # c = N_8B / N_70B (matmul params, same bytes each) = 7.5047e9 / 6.9502e10 = 0.10798; gamma = 6:
    # (1 - 0.8^7) / 0.2 / (1 + 6c) = 3.951424 / 1.64788 = 2.3979 (gamma 5: 2.3958, gamma 7: 2.3698)
    from inferecon import get_model
    c = get_model("llama-3-8b").matmul_params / get_model("llama-3-70b").matmul_params
    best = max((1 - 0.8 ** (g + 1)) / 0.2 / (1 + g * c) for g in range(17))
    assert best == pytest.approx((1 - 0.8**7) / 0.2 / (1 + 6 * c), rel=1e-12)
    assert check("9.5", best)
    assert check("9.5", 2.398)


@pytest.mark.parametrize("n", [7, 8])
def test_wrong_answers_rejected(n):
    for key, ans in chapter(n).items():
        v = ans.compute()
        assert check(key, v)
        assert not check(key, v * 1.5 + 1)
