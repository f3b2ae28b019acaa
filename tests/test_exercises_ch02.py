"""Answer checks of chapter 2 against hand calculations from the published constants.

The constants are typed here from the papers (not read from ``inferecon.training.scaling``), so these
tests are a second route to each expected answer.
"""

import math

import pytest
from _exercise_answers import ANSWERS

from inferecon.exercises import check, exercise_ids

# Besiroglu et al. (2024) refit and Hoffmann et al. (2022) TeX-source constants: E, A, B, alpha, beta
REFIT = (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
TEX = (1.6934, 406.4, 410.7, 0.3392, 0.2849)
GOPHER_N, GOPHER_D = 280e9, 300e9


def _loss(fit, n, d):
    e, a, b, alpha, beta = fit
    return e + a / n**alpha + b / d**beta


def _n_opt(fit, c):
    _, a, b, alpha, beta = fit
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return g * (c / 6) ** (beta / (alpha + beta))


def _tokens_per_param(fit, c):
    _, a, b, alpha, beta = fit
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return g**-2 * (c / 6) ** ((alpha - beta) / (alpha + beta))


def _efficiency(fit, n, d):
    # compute a compute-optimal split needs for the loss of (n, d), over 6nd: bisect on log C
    target = _loss(fit, n, d)
    lo, hi = math.log(1e15), math.log(6 * n * d)
    for _ in range(200):
        mid = (lo + hi) / 2
        c = math.exp(mid)
        nn = _n_opt(fit, c)
        if _loss(fit, nn, c / (6 * nn)) > target:
            lo = mid
        else:
            hi = mid
    return math.exp(hi) / (6 * n * d)


def test_chapter2_exercises_registered():
    assert {"2.2", "2.3", "2.4", "2.5"} <= set(exercise_ids())


@pytest.mark.parametrize("ex,hand,rtol", [
    ("2.2", _tokens_per_param(REFIT, 1e25), 1e-9),       # 17.1 tokens per parameter
    ("2.3", _n_opt(TEX, 1e25), 1e-9),                    # 148.3B parameters
    ("2.4", _loss(REFIT, GOPHER_N, GOPHER_D), 1e-9),     # 1.8172 + 0.0503 + 0.1321 = 1.9996
    ("2.5", _efficiency(REFIT, GOPHER_N, GOPHER_D), 1e-6),  # 0.497
])
def test_answers_match_hand_calculations(ex, hand, rtol):
    assert ANSWERS[ex].compute() == pytest.approx(hand, rel=rtol)
    assert check(ex, hand)
    assert not check(ex, hand * 1.2)


def test_answers_differ_from_the_numbers_the_prose_states():
    # the chapter states Chinchilla's loss and efficiency and the TeX optimum at Gopher's budget
    assert not check("2.4", _loss(REFIT, 70e9, 1.4e12))
    assert not check("2.3", _n_opt(TEX, 5.76e23))
    assert not check("2.5", _efficiency(REFIT, 70e9, 1.4e12))
