"""Answer checks of chapter 3 against hand calculations."""

import pytest
from _exercise_answers import ANSWERS, chapter
from _student_visible import leaked

import inferecon.training.scaling as sc
from inferecon.exercises import check, exercise_ids

BES = sc.BESIROGLU_2024   # E 1.8172, A 482.01, B 2085.43, alpha 0.3478, beta 0.3658


def test_chapter3_exercises_registered():
    assert {"3.2", "3.3", "3.4", "3.5"} <= set(exercise_ids())


def _hand_loss(n, d):
    return BES.E + BES.A / n ** BES.alpha + BES.B / d ** BES.beta


def test_no_answer_is_readable_in_the_student_edition():
    # 3.2's answer (6.90B, a closed form, checked within 0.5%) lies within 1% of Sardana's 6.97B
    assert not leaked("03_overtraining", chapter(3))


def test_3_2_smallest_size_for_gophers_loss():
    # N_min = (A / (L(280e9, 300e9) - E))^(1/alpha) = 6.90e9
    ell = _hand_loss(280e9, 300e9)
    hand = (BES.A / (ell - BES.E)) ** (1 / BES.alpha)
    assert hand == pytest.approx(6.90e9, rel=2e-3)
    assert ANSWERS["3.2"].compute() == pytest.approx(hand, rel=1e-9)
    assert check("3.2", hand)
    # Chinchilla's floor-size (10.7B, stated in the prose) is not the answer
    assert not check("3.2", 10.7e9)
    assert not check("3.2", 6.97e9)           # Sardana's lifetime-optimal size, in the prose


def test_3_3_break_even_of_50b():
    # D50 from L(50e9, D) = L(70e9, 1.4e12); T* = (6*50e9*D50 - 6*70e9*1.4e12) / (2*20e9)
    ell = _hand_loss(70e9, 1.4e12)
    d50 = (BES.B / (ell - BES.E - BES.A / 50e9 ** BES.alpha)) ** (1 / BES.beta)
    hand = (6 * 50e9 * d50 - 5.88e23) / 4e10
    assert ANSWERS["3.3"].compute() == pytest.approx(hand, rel=1e-9)
    assert check("3.3", hand)
    assert not check("3.3", 2.54e12)          # the 35B break-even of the prose


def test_3_4_lifetime_optimal_size():
    assert check("3.4", 2.02e10)
    assert not check("3.4", 70e9)


def test_3_5_llama3_70b_ratio():
    # 15e12 / (20 x 70,553,706,496) = 10.63
    hand = 15e12 / (20 * 70_553_706_496)
    assert ANSWERS["3.5"].compute() == pytest.approx(hand, rel=1e-12)
    assert check("3.5", hand)
    assert not check("3.5", 93.4)             # Llama 3 8B's ratio (in the prose) is not the answer
