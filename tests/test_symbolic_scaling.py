"""The sympy derivations of chapter 2-3 agree with the numeric functions on grids of inputs."""

import numpy as np
import pytest
import sympy as sp

import inferecon.training.scaling as sc
from inferecon.symbolic import scaling as ss
from inferecon.training import lifetime

FITS = list(sc.FITS.values())
CONSTS = (ss.E, ss.A, ss.B, ss.alpha, ss.beta)


def _lam(expr, *args):
    return sp.lambdify((*CONSTS, *args), expr, "numpy")


def test_loss_law_and_floor():
    f_loss = _lam(ss.loss_law(), ss.N, ss.D)
    f_floor = _lam(ss.loss_floor(), ss.N)
    n = np.geomspace(1e8, 1e12, 9)[:, None]
    d = np.geomspace(1e9, 1e15, 7)[None, :]
    for fit in FITS:
        assert np.allclose(f_loss(*fit.as_tuple(), n, d), sc.loss(fit, n, d), rtol=1e-12)
        assert np.allclose(f_floor(*fit.as_tuple(), n), sc.loss_floor(fit, n), rtol=1e-12)


def test_balance_condition_holds_at_the_numeric_optimum():
    eq = ss.balance_condition()
    lhs, rhs = _lam(eq.lhs, ss.N, ss.D), _lam(eq.rhs, ss.N, ss.D)
    c = np.geomspace(1e19, 1e27, 9)
    for fit in FITS:
        n, d = sc.compute_optimal_params(fit, c), sc.compute_optimal_tokens(fit, c)
        assert np.allclose(lhs(*fit.as_tuple(), n, d), rhs(*fit.as_tuple(), n, d), rtol=1e-10)
        # and fails off the optimum (a test that can fail)
        assert not np.allclose(lhs(*fit.as_tuple(), 2 * n, d / 2), rhs(*fit.as_tuple(), 2 * n, d / 2), rtol=1e-3)


def test_derived_optimum_equals_hoffmann_closed_form_and_numeric():
    n_d, d_d = ss.compute_optimal()
    n_c, d_c = ss.compute_optimal_closed_form()
    c = np.geomspace(1e18, 1e28, 11)
    for fit in FITS:
        for derived, closed, numeric in ((n_d, n_c, sc.compute_optimal_params), (d_d, d_c, sc.compute_optimal_tokens)):
            got = _lam(derived, ss.C)(*fit.as_tuple(), c)
            assert np.allclose(got, _lam(closed, ss.C)(*fit.as_tuple(), c), rtol=1e-10)
            assert np.allclose(got, numeric(fit, c), rtol=1e-10)
        # the derived optimum spends exactly the budget
        assert np.allclose(6 * _lam(n_d, ss.C)(*fit.as_tuple(), c) * _lam(d_d, ss.C)(*fit.as_tuple(), c), c, rtol=1e-10)


def test_tokens_per_param_expression():
    expr = ss.tokens_per_param_at_optimum()
    # the exponent of C is (alpha - beta)/(alpha + beta)
    assert sp.simplify(sp.diff(sp.log(expr), ss.C) * ss.C - (ss.alpha - ss.beta) / (ss.alpha + ss.beta)) == 0
    c = np.geomspace(1e18, 1e28, 11)
    for fit in FITS:
        assert np.allclose(_lam(expr, ss.C)(*fit.as_tuple(), c), sc.compute_optimal_tokens_per_param(fit, c), rtol=1e-10)


def test_compute_optimal_for_loss():
    n_e, d_e = ss.compute_optimal_for_loss()
    for fit in FITS:
        ell = fit.E + np.array([0.05, 0.1, 0.2, 0.5, 1.0])
        n, d = sc.compute_optimal_for_loss(fit, ell)
        assert np.allclose(_lam(n_e, ss.ell)(*fit.as_tuple(), ell), n, rtol=1e-10)
        assert np.allclose(_lam(d_e, ss.ell)(*fit.as_tuple(), ell), d, rtol=1e-10)


def test_tokens_to_reach_loss():
    expr = ss.tokens_to_reach_loss()
    # substituting back into the law gives the target exactly (for a target above the floor,
    # written as ell = floor + gap with gap > 0)
    gap = sp.Symbol("gap", positive=True)
    above = {ss.ell: ss.loss_floor() + gap}
    assert sp.simplify(ss.loss_law().subs(ss.D, expr.subs(above)) - ss.ell.subs(above)) == 0
    f = _lam(expr, ss.N, ss.ell)
    n = np.geomspace(2e10, 1e12, 6)
    for fit in FITS:
        ell = float(sc.loss_floor(fit, 2e10)) + 0.02
        assert np.allclose(f(*fit.as_tuple(), n, ell), sc.tokens_to_reach_loss(fit, n, ell), rtol=1e-10)


def test_break_even_volume():
    expr = ss.break_even_volume()
    f = sp.lambdify((ss.N_1, ss.D_1, ss.N_2, ss.D_2), expr, "numpy")
    rng = np.random.default_rng(0)
    n1 = 10 ** rng.uniform(10, 12, 50)
    n2 = n1 * rng.uniform(0.1, 0.9, 50)
    d1 = 10 ** rng.uniform(11, 13, 50)
    d2 = d1 * rng.uniform(1.5, 20, 50)
    sym = f(n1, d1, n2, d2)
    num = lifetime.break_even_inference_tokens(n1, d1, n2, d2)
    pos = sym > 0
    assert pos.sum() > 10 and (~pos).sum() > 0  # the grid exercises both cases
    assert np.allclose(sym[pos], num[pos], rtol=1e-12)
    assert np.all(num[~pos] == 0.0)  # the package reports "no break-even" as 0, never negative


def test_lifetime_stationarity_vanishes_at_the_numeric_optimum():
    expr = ss.lifetime_stationarity()
    f = _lam(expr, ss.D, ss.T, ss.ell)
    t = np.geomspace(1e9, 1e16, 8)
    for fit in FITS:
        ell = fit.E + 0.15
        _, d = lifetime.lifetime_optimal(fit, ell, t)
        scale = fit.B * d ** -fit.beta  # size of the terms being cancelled
        assert np.all(np.abs(f(*fit.as_tuple(), d, t, ell)) < 1e-9 * scale)
        # away from the root it does not vanish
        assert np.all(np.abs(f(*fit.as_tuple(), 2 * d, t, ell)) > 1e-3 * scale)


def test_lifetime_stationarity_matches_sardana_form():
    # Sardana et al.: (beta B/alpha + B) D^-beta + (beta B T/(3 alpha)) D^(-beta-1) + E - ell
    sardana = ((ss.beta * ss.B / ss.alpha + ss.B) * ss.D ** -ss.beta
               + ss.beta * ss.B * ss.T / (3 * ss.alpha) * ss.D ** (-ss.beta - 1) + ss.E - ss.ell)
    assert sp.simplify(ss.lifetime_stationarity() - sardana) == 0


def test_effective_inference_tokens():
    expr = ss.effective_inference_tokens()
    assert not expr.has(ss.N) and not expr.has(ss.D)   # the cost problem is the FLOP problem
    args = (ss.T_in, ss.T_out, ss.c_tr, ss.c_inf, ss.u_tr, ss.u_pre, ss.u_dec)
    f = sp.lambdify(args, expr, "numpy")
    rng = np.random.default_rng(1)
    t_in, t_out = 10 ** rng.uniform(9, 14, 20), 10 ** rng.uniform(9, 14, 20)
    c_tr, c_inf = 10 ** rng.uniform(-19, -18, 20), 10 ** rng.uniform(-19, -18, 20)
    u_tr, u_pre, u_dec = rng.uniform(0.2, 0.6, 20), rng.uniform(0.2, 0.6, 20), rng.uniform(0.01, 0.5, 20)
    num = lifetime.effective_inference_tokens(t_in, t_out, training_usd_per_flop=c_tr, inference_usd_per_flop=c_inf,
                                        training_mfu=u_tr, prefill_mfu=u_pre, decode_mfu=u_dec)
    assert np.allclose(f(t_in, t_out, c_tr, c_inf, u_tr, u_pre, u_dec), num, rtol=1e-12)
    # and the numeric lifetime cost equals the symbolic one
    cost = sp.lambdify((ss.N, ss.D, *args), ss.lifetime_cost(), "numpy")
    n, d = 7e9, 2e12
    assert np.allclose(cost(n, d, t_in, t_out, c_tr, c_inf, u_tr, u_pre, u_dec),
                       lifetime.lifetime_cost_usd(n, d, t_in, t_out, training_usd_per_flop=c_tr,
                                            inference_usd_per_flop=c_inf, training_mfu=u_tr,
                                            prefill_mfu=u_pre, decode_mfu=u_dec), rtol=1e-12)


@pytest.mark.parametrize("name", ss.__all__)
def test_exports_exist(name):
    assert hasattr(ss, name)
