"""sympy derivations of chapter 1 against the numeric functions."""

import numpy as np
import pytest
import sympy as sp

import inferecon as ie
from inferecon.symbolic import lifecycle as sym

GRID_D = np.array([1e10, 3e11, 1.4e12, 15e12])
GRID_N = np.array([1e8, 7e9, 70e9, 4e11])


def test_crossover_is_3d():
    assert sym.crossover_tokens() == 3 * sym.D
    assert sym.inference_factor() == sym.T / (3 * sym.D)


def test_crossover_with_attention_matches_numeric():
    f = sp.lambdify((sym.N, sym.D, sym.a, sym.ell), sym.crossover_tokens(attention=True), "numpy")
    n, d = np.meshgrid(GRID_N, GRID_D)
    a, ell = 2.6e6, 8000.0
    np.testing.assert_allclose(f(n, d, a, ell),
                               ie.crossover_tokens(d, params=n, attention_flop_per_token=a * ell), rtol=1e-12)


def test_days_and_cost_crossover_match_numeric():
    days = sp.lambdify((sym.D, sym.r, sym.t_req), sym.crossover_days(), "numpy")
    r = np.logspace(3, 9, 7)
    np.testing.assert_allclose(days(15e12, r, 700.0), ie.crossover_days(15e12, r, 700.0), rtol=1e-12)
    cost = sp.lambdify((sym.D, sym.u_tr, sym.u_inf), sym.cost_crossover_tokens(), "numpy")
    u = np.linspace(0.05, 1, 5)
    np.testing.assert_allclose(cost(GRID_D[:, None], 0.4, u), ie.cost_crossover_tokens(GRID_D[:, None], 0.4, u),
                               rtol=1e-12)


def test_factor_matches_numeric():
    f = sp.lambdify((sym.T, sym.D), sym.inference_factor(), "numpy")
    t = np.logspace(9, 15, 5)
    np.testing.assert_allclose(f(t[:, None], GRID_D), ie.inference_factor(t[:, None], GRID_D), rtol=1e-12)


def test_symbols_render_without_bold_modifier_trap():
    assert r"\boldsymbol" not in sp.latex(sym.cost_crossover_tokens())
    assert r"\mathrm{inf}" in sp.latex(sym.cost_crossover_tokens())


@pytest.mark.parametrize("fn", [sym.training_compute, sym.inference_compute])
def test_compute_expressions_are_linear_in_n(fn):
    assert sp.degree(fn(), sym.N) == 1
