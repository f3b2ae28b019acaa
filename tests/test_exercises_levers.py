"""Answer checks of chapters 7 and 8: registered, correct values accepted, wrong ones rejected."""

import pytest

from inferecon.exercises import ch07, ch08, check, exercise_ids


def test_registered():
    ids = exercise_ids()
    for k in ("ch7-ex2", "ch7-ex3", "ch7-ex4", "ch7-ex5", "ch8-ex2", "ch8-ex3", "ch8-ex4", "ch8-ex5"):
        assert k in ids


def test_hand_worked_answers():
    # ch7-ex2: (1 - 0.7^6)/(1 - 0.7) = 0.882351/0.3 = 2.94117
    assert check("ch7-ex2", 2.94117)
    # ch8-ex2: (0.60 + 0.02)/(1 - 0.08) = 0.673913
    assert check("ch8-ex2", 0.673913)
    # ch8-ex3: 0.1 + 1 - (0.5*0.95 + 0.5*0.10) = 0.575
    assert check("ch8-ex3", 0.575)
    # ch7-ex4: 6,000 + 6*3e9*5e10/(0.4*989.4e12)/3600*2 = 6,000 + 1,263.4 -> / 0.10 per M = 7.263e10
    assert check("ch7-ex4", (6000 + 6 * 3e9 * 5e10 / (0.4 * 989.4e12) / 3600 * 2) / 0.10 * 1e6)


@pytest.mark.parametrize("module", [ch07, ch08])
def test_wrong_answers_rejected(module):
    for key, ans in module.ANSWERS.items():
        v = ans.compute()
        assert check(key, v)
        assert not check(key, v * 1.5 + 1)
