"""Symbolic twins of chapters 9-10 lambdified and compared with the numeric functions."""

import numpy as np
import pytest
import sympy as sp

from inferecon.levers import quantization as qz
from inferecon.levers import routing, speculative
from inferecon.planning import planner
from inferecon.serving.roofline import decode_step_seconds
from inferecon.specs.models import get_model
from inferecon.symbolic import quantization as sq
from inferecon.symbolic import routing as sr
from inferecon.symbolic import speculative as ss

A = np.linspace(0.0, 0.99, 23)[:, None]
G = np.arange(0, 13)[None, :]


def test_expected_tokens_sympy_vs_numeric():
    f = sp.lambdify((ss.alpha, ss.gamma), ss.expected_tokens(), "numpy")
    a = np.where(A == 0, 1e-300, A)  # the closed form has a removable 0**0 at alpha = 0, gamma = -1
    np.testing.assert_allclose(f(a, G), speculative.expected_tokens_per_step(A, G), rtol=1e-12)


def test_series_and_closed_form_agree():
    s = ss.expected_tokens_sum()
    for g in range(6):
        assert sp.simplify(s.subs(ss.gamma, g).doit() - ss.expected_tokens().subs(ss.gamma, g)) == 0


def test_limits_and_bonus_gap():
    assert ss.limit_alpha_zero() == 1
    assert sp.simplify(ss.limit_alpha_one() - (ss.gamma + 1)) == 0
    assert sp.simplify(ss.bonus_token_gap() - ss.alpha**ss.gamma) == 0
    f = sp.lambdify((ss.alpha, ss.gamma), ss.erdil_paper_tokens(), "numpy")
    np.testing.assert_allclose(f(A[1:], G), speculative.erdil_paper_tokens_per_step(A[1:], G), rtol=1e-12)


def test_leviathan_speedup_sympy_vs_numeric():
    f = sp.lambdify((ss.alpha, ss.gamma, ss.c), ss.leviathan_speedup(), "numpy")
    for c in (0.01, 0.1, 0.5):
        np.testing.assert_allclose(f(A[1:], G, c), speculative.leviathan_speedup(A[1:], G, c), rtol=1e-12)


def test_roofline_speedup_sympy_vs_numeric():
    acc = planner.ideal_replica("h100-sxm", 8)
    f = sp.lambdify((ss.alpha, ss.gamma, ss.t_P, ss.t_Q, ss.t_V), ss.speculative_speedup(), "numpy")
    for b, ctx in ((1, 0), (64, 4000), (600, 500)):
        t_p = decode_step_seconds(acc, "llama-3-70b", b, ctx)
        t_q = decode_step_seconds(acc, "llama-3-8b", b, ctx)
        for g in (1, 4, 7):
            t_v = speculative.verification_step_seconds(acc, "llama-3-70b", b, g, ctx)
            got = speculative.speedup(acc, "llama-3-70b", "llama-3-8b", b, 0.75, g, ctx)
            assert float(f(0.75, g, t_p, t_q, t_v)) == pytest.approx(float(got), rel=1e-12)


RNG = np.random.default_rng(11)
GRID = {name: RNG.random(200) for name in ("e", "se", "sh", "ase", "ash", "ale", "alh", "rho", "ov")}


def test_routing_quality_and_costs_sympy_vs_numeric():
    g = GRID
    fq = sp.lambdify((sr.e, sr.s_e, sr.s_h, sr.a_Se, sr.a_Sh, sr.a_Le, sr.a_Lh), sr.quality(), "numpy")
    np.testing.assert_allclose(fq(g["e"], g["se"], g["sh"], g["ase"], g["ash"], g["ale"], g["alh"]),
                               routing.mixture_quality(g["e"], g["se"], g["sh"], g["ase"], g["ash"], g["ale"], g["alh"]),
                               rtol=1e-12)
    fr = sp.lambdify((sr.c_S, sr.c_L, sr.e, sr.s_e, sr.s_h, sr.c_R), sr.router_cost(), "numpy")
    fc = sp.lambdify((sr.c_S, sr.c_L, sr.e, sr.s_e, sr.s_h, sr.c_K), sr.cascade_cost(), "numpy")
    args = (g["rho"], 1.0, g["e"], g["se"], g["sh"], 0.1 * g["ov"])
    np.testing.assert_allclose(fr(*args), routing.router_cost(*args), rtol=1e-12)
    np.testing.assert_allclose(fc(*args), routing.cascade_cost(*args), rtol=1e-12)


def test_routing_quality_by_path_is_the_expanded_quality():
    # four terms, one per (class, answer used) path; expands to quality()
    assert len(sp.Add.make_args(sr.quality_by_path())) == 4
    assert sp.expand(sr.quality_by_path() - sr.quality()) == 0


def test_routing_savings_and_required_share():
    assert sp.simplify(sr.in_terms_of_share(sr.router_savings()) - (sr.P_S * (1 - sr.rho) - sr.rho_R)) == 0
    assert sp.simplify(sr.in_terms_of_share(sr.cascade_savings()) - (sr.P_S - sr.rho)) == 0
    f = sp.lambdify((sr.sigma, sr.rho, sr.rho_R), sr.required_small_share(), "numpy")
    s, r, rr = np.meshgrid(np.linspace(0.05, 0.9, 9), np.linspace(0.01, 0.9, 7), [0.0, 0.03])
    np.testing.assert_allclose(f(s, r, rr), routing.required_small_share(s, r, rr), rtol=1e-12)


def test_quantization_ratio_sympy_vs_numeric_when_memory_bound():
    m = get_model("llama-3-8b")
    f = sp.lambdify((sq.p_q, sq.p_16, sq.N, sq.b, sq.ell, sq.k), sq.memory_bound_cost_ratio(), "numpy")
    b = np.array([1.0, 8.0, 32.0])[:, None]
    ctx = np.logspace(0, 5, 9)[None, :]
    got = qz.cost_ratio("h100-sxm", m, b, ctx, "w8a16", n_devices=8)  # memory-bound at these batches; fits on 8
    np.testing.assert_allclose(f(1.0, 2.0, m.matmul_params, b, ctx, 131072.0), got, rtol=1e-12)
    assert sq.ratio_short_context() == sq.p_q / sq.p_16 and sq.ratio_long_context() == 1
    fx = sp.lambdify((sq.p_16, sq.N, sq.b, sq.k), sq.kv_weight_crossover_context(), "numpy")
    assert float(fx(2.0, m.matmul_params, 16, 131072.0)) == pytest.approx(
        float(qz.kv_weight_crossover_context(m, 16)), rel=1e-12)
