"""sympy derivations of chapter 4, lambdified and compared with the numeric package on grids."""

import numpy as np
import pytest
import sympy as sp

import inferecon as ie
from inferecon.serving import costs, memory, prefill
from inferecon.serving import roofline as rl
from inferecon.symbolic import roofline as sym

DENSE = ["llama-3-8b", "llama-3-70b", "palm-62b", "chinchilla-70b", "gpt-3-175b"]
GPUS = ["a100-80gb-sxm", "h100-sxm", "h200-sxm", "b200", "mi300x", "tpu-v5e"]


def _inputs(acc_id, model_id, weight="bf16", kv="bf16"):
    acc, m = ie.get_accelerator(acc_id), ie.get_model(model_id)
    wf, kf = ie.get_format(weight), ie.get_format(kv)
    return dict(p_w=wf.bytes_per_element, N=float(m.matmul_params), C=acc.peak_flop_per_s(wf.compute_precision),
                B=acc.hbm_bytes_per_s, k=float(m.kv_bytes_per_token(kf.bytes_per_element)),
                a=float(m.attention_flop_per_context_token))


def test_short_context_bstar_is_the_textbook_form():
    expected = sym.p_w * sym.C * sym.u_C / (2 * sym.B * sym.u_B)
    assert sp.simplify(sym.optimal_batch() - expected) == 0
    # and N cancels
    assert sym.N not in sym.optimal_batch().free_symbols


@pytest.mark.parametrize("acc_id", GPUS)
@pytest.mark.parametrize("weight", ["bf16", "int8-w", "int4-g128"])
def test_bstar_symbolic_vs_numeric_grid(acc_id, weight):
    f = sp.lambdify((sym.p_w, sym.C, sym.B, sym.u_C, sym.u_B), sym.optimal_batch(), "numpy")
    uc, ub = np.meshgrid(np.linspace(0.3, 1.0, 5), np.linspace(0.4, 1.0, 4))
    x = _inputs(acc_id, "llama-3-8b", weight)
    np.testing.assert_allclose(f(x["p_w"], x["C"], x["B"], uc, ub),
                               rl.dense_optimal_batch(acc_id, weight, flop_utilization=uc, bandwidth_utilization=ub),
                               rtol=1e-12)


@pytest.mark.parametrize("model_id", DENSE)
@pytest.mark.parametrize("acc_id", ["a100-80gb-sxm", "h100-sxm", "b200"])
def test_bstar_with_context_symbolic_vs_numeric(model_id, acc_id):
    args = (sym.p_w, sym.N, sym.C, sym.B, sym.u_C, sym.u_B, sym.ell, sym.k, sym.a)
    f = sp.lambdify(args, sym.optimal_batch(context=True), "numpy")
    x = _inputs(acc_id, model_id)
    ell = np.array([0.0, 10.0, 50.0, 100.0, 150.0, 300.0, 1000.0, 1e4, 1e5])[:, None]
    uc = np.array([0.5, 0.7, 1.0])[None, :]
    ub = 0.75
    numeric = rl.optimal_batch(acc_id, model_id, ell, flop_utilization=uc, bandwidth_utilization=ub)
    analytic = f(x["p_w"], x["N"], x["C"], x["B"], uc, ub, ell, x["k"], x["a"])
    ok = analytic > 1                                     # where the closed form applies
    assert ok.sum() >= 5
    assert np.all(np.isfinite(numeric[ok]))
    np.testing.assert_allclose(numeric[ok], analytic[ok], rtol=1e-10)
    # where the closed form's denominator is <= 0, the step never turns compute-bound
    assert np.all(np.isinf(numeric[analytic <= 0]))


@pytest.mark.parametrize("model_id", DENSE)
def test_kv_bound_context_symbolic_vs_numeric(model_id):
    args = (sym.N, sym.C, sym.B, sym.u_C, sym.u_B, sym.k, sym.a)
    f = sp.lambdify(args, sym.kv_bound_context(), "numpy")
    for acc_id in GPUS:
        x = _inputs(acc_id, model_id)
        for uc, ub in [(1.0, 1.0), (0.7, 0.75), (0.4, 0.9)]:
            expected = f(x["N"], x["C"], x["B"], uc, ub, x["k"], x["a"])
            got = float(memory.kv_bound_context(acc_id, model_id, flop_utilization=uc, bandwidth_utilization=ub))
            assert got == pytest.approx(expected, rel=1e-10)


def test_step_terms_symbolic_vs_numeric():
    tm = sp.lambdify((sym.p_w, sym.N, sym.b, sym.ell, sym.k, sym.n, sym.u_B, sym.B), sym.memory_time(), "numpy")
    tc = sp.lambdify((sym.N, sym.a, sym.b, sym.ell, sym.n, sym.u_C, sym.C), sym.compute_time(), "numpy")
    b = np.array([1.0, 7.0, 64.0, 512.0])[:, None]
    ell = np.array([0.0, 100.0, 4096.0])[None, :]
    for model_id in ["llama-3-70b", "gpt-3-175b"]:
        x = _inputs("h100-sxm", model_id)
        for n in (1, 4):
            np.testing.assert_allclose(
                ie.decode_memory_seconds("h100-sxm", model_id, b, ell, bandwidth_utilization=0.8, n_devices=n),
                tm(x["p_w"], x["N"], b, ell, x["k"], n, 0.8, x["B"]), rtol=1e-12)
            np.testing.assert_allclose(
                ie.decode_compute_seconds("h100-sxm", model_id, b, ell, flop_utilization=0.6, n_devices=n),
                tc(x["N"], x["a"], b, ell, n, 0.6, x["C"]), rtol=1e-12)


def test_cost_regimes_symbolic_vs_numeric():
    mem = sp.lambdify((sym.p_w, sym.N, sym.b, sym.ell, sym.k, sym.n, sym.u_B, sym.B, sym.price),
                      sym.cost_per_million_tokens("memory"), "numpy")
    comp = sp.lambdify((sym.N, sym.a, sym.ell, sym.n, sym.u_C, sym.C, sym.price),
                       sym.cost_per_million_tokens("compute"), "numpy")
    assert sym.b not in sym.cost_per_million_tokens("compute").free_symbols     # flat above b*
    x = _inputs("h100-sxm", "llama-3-8b")
    below = np.array([1.0, 4.0, 32.0, 200.0])
    np.testing.assert_allclose(costs.decode_usd_per_million_tokens("h100-sxm", "llama-3-8b", below),
                               mem(x["p_w"], x["N"], below, 0.0, x["k"], 1, 1.0, x["B"], 2.0), rtol=1e-12)
    above = np.array([400.0, 4000.0])
    np.testing.assert_allclose(costs.decode_usd_per_million_tokens("h100-sxm", "llama-3-8b", above),
                               comp(x["N"], x["a"], 0.0, 1, 1.0, x["C"], 2.0), rtol=1e-12)
    # the memory-bound short-context cost is inversely proportional to b
    c = sym.memory_bound_cost_per_million_tokens()
    assert sp.simplify(c * sym.b - (c * sym.b).subs(sym.b, 1)) == 0


def test_device_seconds_per_token_matches_cost():
    expr = sym.device_seconds_per_token("memory") * sym.price / 3600 * 10**6
    assert sp.simplify(expr - sym.cost_per_million_tokens("memory")) == 0


def test_tokens_per_second_batch1_has_no_factor_two():
    assert sp.simplify(sym.tokens_per_second_batch1() - sym.u_B * sym.B / (sym.p_w * sym.N)) == 0
    f = sp.lambdify((sym.u_B, sym.B, sym.p_w, sym.N), sym.tokens_per_second_batch1(), "numpy")
    for acc_id in GPUS:
        x = _inputs(acc_id, "llama-3-8b")
        for ub in (0.5, 1.0):
            e = costs.decode_economics(acc_id, "llama-3-8b", 1, bandwidth_utilization=ub)
            if acc_id == "tpu-v5e":   # 16 GB of weights do not fit in its 16 GB: no speed at all
                assert e.bound.item() == "capacity" and float(e.tokens_per_second) == 0
                continue
            assert float(e.tokens_per_second) == pytest.approx(f(ub, x["B"], x["p_w"], x["N"]), rel=1e-12)


def test_max_batch_symbolic_vs_numeric():
    f = sp.lambdify((sym.H, sym.p_w, sym.N, sym.ell, sym.k), sym.max_batch(), "numpy")
    m = ie.get_model("llama-3-70b")
    ell = np.array([512.0, 2048.0, 8192.0, 32768.0])
    for acc_id, n in [("h100-sxm", 2), ("h200-sxm", 1), ("b200", 1)]:
        acc = ie.get_accelerator(acc_id)
        expected = np.floor(f(n * memory.USABLE_HBM_FRACTION * acc.hbm_bytes, 1.0, float(m.total_params), ell, float(m.kv_bytes_per_token(1.0))))
        got = memory.max_batch(acc_id, m, ell, weight_format="fp8", kv_format="fp8", n_devices=n)
        np.testing.assert_array_equal(got, expected)


def test_prefill_flop_symbolic_vs_numeric():
    f = sp.lambdify((sym.N, sym.a, sym.P), sym.prefill_flop(), "numpy")
    p = np.array([1.0, 2.0, 100.0, 4096.0, 131072.0])
    for model_id in ["llama-3-8b", "deepseek-v3", "palm-540b"]:
        m = ie.get_model(model_id)
        np.testing.assert_allclose(prefill.prefill_flop(m, p),
                                   f(float(m.active_matmul_params), float(m.attention_flop_per_context_token), p),
                                   rtol=1e-12)


def test_kv_weight_parity_symbolic_vs_numeric():
    f = sp.lambdify((sym.p_w, sym.N, sym.ell, sym.k), sym.kv_weight_parity_batch(), "numpy")
    m = rl.MISTRAL_LARGE_2
    ell = np.array([1e3, 1e4, 1e5])
    np.testing.assert_allclose(memory.kv_weight_parity_batch(m, ell),
                               f(2.0, float(m.matmul_params), ell, float(m.kv_bytes_per_token(2.0))), rtol=1e-12)
