"""Erdil §2.2 in sympy: lambdified closed forms against the numeric model, and the laws."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from inferecon.serving import closed_forms
from inferecon.symbolic import parallelism as S

ARGS = (S.N, S.p, S.L, S.n_r, S.B, S.t_hop)
GRID = dict(
    N=np.array([8e9, 70e9, 405e9, 1.8e12, 540e9]),
    p=np.array([2.0, 1.0, 0.5, 2.0, 1.0]),
    L=np.array([32, 80, 126, 120, 118]),
    n_r=np.array([4, 4, 4, 4, 2]),
    B=np.array([3.3e12, 2.475e12, 4.8e12, 8e12, 1.2e12]),
    t_hop=np.array([1e-6, 1e-6, 2e-6, 0.5e-6, 1e-6]),
)


def _num(fn, **extra):
    return fn(params=GRID["N"], bytes_per_param=GRID["p"], n_layers=GRID["L"], n_reduce=GRID["n_r"],
              hbm_bytes_per_s=GRID["B"], hop_seconds=GRID["t_hop"], **extra)


def _sym(expr):
    return sp.lambdify(ARGS, expr, "numpy")(*GRID.values())


def test_optimal_gpu_count_matches_numeric():
    np.testing.assert_allclose(_sym(S.optimal_gpu_count()), _num(closed_forms.min_latency_gpu_count), rtol=1e-12)


def test_min_latency_matches_numeric():
    np.testing.assert_allclose(_sym(S.min_latency()), _num(closed_forms.min_token_latency_seconds), rtol=1e-12)


def test_token_latency_matches_numeric_eq9():
    n_gpu = np.array([1.0, 4.0, 16.0, 64.0, 250.0])
    f = sp.lambdify(ARGS + (S.N_gpu,), S.token_latency(), "numpy")
    got = f(*GRID.values(), n_gpu)
    want = closed_forms.simple_token_latency_seconds(n_gpu, GRID["N"], GRID["p"], GRID["L"], GRID["n_r"], GRID["B"],
                                            GRID["t_hop"])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_gpu_seconds_at_min_latency_matches_numeric():
    c = 1e15
    f = sp.lambdify(ARGS + (S.C,), S.gpu_seconds_per_token_at_min_latency(), "numpy")
    np.testing.assert_allclose(f(*GRID.values(), c), _num(closed_forms.min_latency_gpu_seconds_per_token, flop_per_s=c),
                               rtol=1e-12)


def test_derivative_vanishes_at_the_optimum():
    d = S.latency_derivative().subs(S.N_gpu, S.optimal_gpu_count())
    assert sp.simplify(d) == 0


def test_optimal_batch():
    assert sp.simplify(S.optimal_batch() - S.C * S.p / (2 * S.B)) == 0


def test_laws():
    assert S.bandwidth_elasticity() == sp.Rational(-1, 3)       # cube root of memory bandwidth
    assert S.precision_elasticity() == sp.Rational(1, 3)
    assert S.sqrt_law_exponent() == sp.Rational(1, 2)           # latency ~ sqrt(N) with L ~ N^(1/4)
    gain = S.halved_precision_speedup()
    assert sp.simplify(gain - (2 ** sp.Rational(1, 3) - 1)) == 0
    assert float(gain) == pytest.approx(0.2599, abs=1e-4)       # Erdil: "about 26%"


def test_laws_hold_in_the_numeric_leading_term():
    # doubling B divides the leading term by 2^(1/3); halving p likewise
    base = dict(params=70e9, bytes_per_param=2, n_layers=80, n_reduce=4, hbm_bytes_per_s=3.3e12, hop_seconds=1e-12)
    t0 = float(closed_forms.min_token_latency_seconds(**base))
    t_b = float(closed_forms.min_token_latency_seconds(**{**base, "hbm_bytes_per_s": 6.6e12}))
    t_p = float(closed_forms.min_token_latency_seconds(**{**base, "bytes_per_param": 1}))
    # tiny hop latency: the -2 L n t term is (2/3)(k/M)^(1/3) = 0.1% of T, so the ratios are 2^(1/3) to 1e-3
    assert t0 / t_b == pytest.approx(2 ** (1 / 3), rel=1e-3)
    assert t0 / t_p == pytest.approx(2 ** (1 / 3), rel=1e-3)


def test_min_latency_is_erdils_eq14():
    k = S.L * S.n_r * S.t_hop
    target = 3 * k ** sp.Rational(2, 3) * (S.p * S.N / S.B) ** sp.Rational(1, 3) - 2 * k
    diff = sp.expand(sp.powsimp(sp.expand_power_base(S.min_latency() - target, force=True), force=True))
    assert diff == 0
