"""The decode roofline: b*, step time, the cheapest batch; hand-worked and published values, limits, errors.

What fits in HBM is tested in test_memory.py, the prefill pass in test_prefill.py."""

import dataclasses

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import memory, moe_batching, prefill
from inferecon.serving import roofline as rl
from inferecon.specs.deployment import deployment

H100 = ie.get_accelerator("h100-sxm")

# Llama 3 70B by hand (models.py derives the same from the config):
# matmul weights = 80 x (2*8192*8192 + 2*8192*1024 + 3*8192*28672) + 128256*8192
L70_MATMUL = 80 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 128256 * 8192
L70_KV = 2 * 8 * 128 * 80 * 2          # 327,680 B per token in bf16
L70_ATTN = 4 * 80 * 64 * 128           # attention FLOP per token of context


# ------------------------------------------------------------------ b* (public checks)

def test_h100_bstar_dense_is_295():
    # 2 B x 989.4e12 / (2 x 3.35e12) = 295.34
    assert float(ie.dense_optimal_batch("h100-sxm", "bf16")) == pytest.approx(295.343, rel=1e-4)


@pytest.mark.parametrize("flop_per_s,bytes_per_s,expected", [
    (2 * 989.4e12, 3.35e12, 590.69),   # the 2:4-sparse datasheet figure: the common error
    (1e15, 3.3e12, 303.03),            # Erdil's round numbers
    (1e15, 3.35e12, 298.51),           # the scaling book's numbers ("298")
])
def test_h100_bstar_with_other_figure_sets(flop_per_s, bytes_per_s, expected):
    acc = dataclasses.replace(H100, flop_per_s={"bf16": flop_per_s}, hbm_bytes_per_s=bytes_per_s)
    assert float(ie.dense_optimal_batch(acc)) == pytest.approx(expected, rel=1e-4)


def test_bstar_with_erdil_caps():
    # caps scale C by 0.70 and B by 0.75: 295.343 * 0.70 / 0.75 = 275.65
    b = rl.dense_optimal_batch("h100-sxm", flop_utilization=rl.ERDIL_FLOP_UTILIZATION,
                               bandwidth_utilization=rl.ERDIL_BANDWIDTH_UTILIZATION)
    assert float(b) == pytest.approx(275.654, rel=1e-4)


def test_a100_bstar():
    # 2 x 312e12 / (2 x 2039e9) = 153.02; INT8 W8A8: 1 x 624e12 / (2 x 2039e9) = 153.02
    assert float(ie.dense_optimal_batch("a100-80gb-sxm")) == pytest.approx(153.016, rel=1e-4)
    assert float(ie.dense_optimal_batch("a100-80gb-sxm", "int8")) == pytest.approx(153.016, rel=1e-4)


def test_weight_only_formats_lower_bstar_in_proportion_to_bytes():
    bf16 = float(ie.dense_optimal_batch(H100, "bf16"))
    assert float(ie.dense_optimal_batch(H100, "int8-w")) == pytest.approx(bf16 / 2, rel=1e-12)
    assert float(ie.dense_optimal_batch(H100, "int4-g128")) == pytest.approx(bf16 * 0.53125 / 2, rel=1e-12)
    # W8A8 halves bytes and doubles FLOP/s (1978.9 vs 2 x 989.4): b* unchanged to 5e-5
    assert float(ie.dense_optimal_batch(H100, "fp8")) == pytest.approx(bf16, rel=1e-4)


def test_optimal_batch_table():
    t = rl.optimal_batch_table(("bf16", "fp8", "fp4"))
    assert set(t) == set(ie.ACCELERATORS)
    assert t["a100-80gb-sxm"]["fp8"] is None      # no FP8 tensor cores
    assert t["h100-sxm"]["fp4"] is None
    assert t["b200"]["fp4"] == pytest.approx(0.5625 * 9000 / (2 * 8.0), rel=1e-9)  # 316.4
    assert t["h100-sxm"]["bf16"] == pytest.approx(295.343, rel=1e-4)


# ------------------------------------------------------- b* with context and MoE

@pytest.mark.parametrize("model_id", [m for m in ie.MODELS if not ie.get_model(m).is_moe])
def test_optimal_batch_reduces_to_dense_closed_form_at_zero_context(model_id):
    assert float(rl.optimal_batch(H100, model_id, 0.0)) == pytest.approx(
        float(ie.dense_optimal_batch(H100)), rel=1e-12)


def test_optimal_batch_with_context_by_hand():
    # Llama 3 70B, H100, bf16, l = 1000:
    # W = 2 N / B, F = (2N + a l)/C, K = l k / B, b* = W / (F - K) ~ 915
    ell = 1000.0
    w = 2 * L70_MATMUL / 3.35e12
    f = (2 * L70_MATMUL + L70_ATTN * ell) / 989.4e12
    k = ell * L70_KV / 3.35e12
    expected = w / (f - k)
    assert expected == pytest.approx(915.4, rel=1e-3)
    assert float(rl.optimal_batch(H100, "llama-3-70b", ell)) == pytest.approx(expected, rel=1e-12)





@pytest.mark.parametrize("model_id", ["mixtral-8x7b", "deepseek-v3"])
def test_moe_optimal_batch_matches_independent_solver_and_balances(model_id):
    b = float(rl.optimal_batch(H100, model_id))
    # moe_batching.moe_optimal_batch (chapter 6) solves the same balance with its own code
    assert b == pytest.approx(float(moe_batching.moe_optimal_batch(H100, model_id)), rel=1e-9)
    mem = float(ie.decode_memory_seconds(H100, model_id, b))
    comp = float(ie.decode_compute_seconds(H100, model_id, b))
    assert mem == pytest.approx(comp, rel=1e-9)
    # neither model fits on one H100 in bf16: the bound is the capacity until there are enough devices
    assert rl.decode_bound(H100, model_id, b).item() == "capacity"
    assert rl.decode_bound(H100, model_id, 0.9 * b, n_devices=32).item() == "memory"
    assert rl.decode_bound(H100, model_id, 1.1 * b, n_devices=32).item() == "compute"


def test_moe_bstar_near_sparsity_rule():
    # b*_dense x N_total/N_active: Mixtral 295.3 x 46.70/12.88 = 1,071; solved 1,079 (within 1%)
    b = float(rl.optimal_batch(H100, "mixtral-8x7b"))
    assert b == pytest.approx(295.343 * 46.702792704 / 12.879925248, rel=0.01)


def test_moe_optimal_batch_with_context_balances():
    ctx = np.array([0.0, 200.0, 400.0])
    b = rl.optimal_batch(H100, "mixtral-8x7b", ctx)
    finite = np.isfinite(b)
    assert finite.all()
    mem = ie.decode_memory_seconds(H100, "mixtral-8x7b", b, ctx)
    comp = ie.decode_compute_seconds(H100, "mixtral-8x7b", b, ctx)
    np.testing.assert_allclose(mem, comp, rtol=1e-9)
    assert np.all(np.diff(b) > 0)


def test_optimal_batch_is_one_when_compute_bound_at_batch_one():
    slow = dataclasses.replace(H100, flop_per_s={"bf16": 1e9})  # a chip with almost no arithmetic
    assert float(rl.optimal_batch(slow, "llama-3-8b")) == 1.0
    assert float(rl.optimal_batch(slow, "mixtral-8x7b")) == 1.0


def test_optimal_batch_broadcasts():
    b = rl.optimal_batch(H100, "llama-3-8b", np.array([[0.0], [100.0]]), flop_utilization=[0.5, 1.0])
    assert b.shape == (2, 2)
    assert b[0, 0] == pytest.approx(295.343 / 2, rel=1e-4)


# ---------------------------------------------------------- step time: flat, then linear

def test_step_time_flat_below_bstar_and_linear_above():
    b_star = float(ie.dense_optimal_batch(H100))
    below = np.arange(1, int(b_star) + 1, dtype=float)
    t_below = ie.decode_step_seconds(H100, "llama-3-8b", below)
    # memory-bound: every step reads the same weights, 2 x 7,504,658,432 B / 3.35e12 B/s = 4.4804 ms
    np.testing.assert_allclose(t_below, 2 * 7_504_658_432 / 3.35e12, rtol=1e-12)
    above = np.array([300.0, 600.0, 1200.0, 4800.0])
    t_above = ie.decode_step_seconds(H100, "llama-3-8b", above)
    # compute-bound: t = b x 2N / C, proportional to b
    np.testing.assert_allclose(t_above, above * 2 * 7_504_658_432 / 989.4e12, rtol=1e-12)
    np.testing.assert_allclose(t_above[1:] / t_above[:-1], above[1:] / above[:-1], rtol=1e-12)


def test_step_time_grows_with_context_and_batch():
    b = np.array([1.0, 8.0, 64.0])
    t0 = ie.decode_step_seconds(H100, "llama-3-70b", b, 0.0, weight_format="fp8", n_devices=4)
    t1 = ie.decode_step_seconds(H100, "llama-3-70b", b, 8192.0, weight_format="fp8", n_devices=4)
    assert np.all(t1 > t0)
    assert np.all(np.diff(t1) > 0)


def test_n_devices_divides_time_ideally():
    t2 = float(ie.decode_step_seconds(H100, "llama-3-70b", 16, 2048, n_devices=2))
    t16 = float(ie.decode_step_seconds(H100, "llama-3-70b", 16, 2048, n_devices=16))
    assert t16 == pytest.approx(t2 / 8, rel=1e-12)


def test_a_step_that_does_not_fit_gets_no_time():
    # Llama 3.1 405B in bf16: 405.9e9 x 2 B = 812 GB of weights against 0.9 x 81,559 MiB = 77.0 GB
    with pytest.raises(ValueError, match=r"Llama 3.1 405B does not fit on 1 x H100 SXM.*short by 735 GB"):
        ie.decode_step_seconds(H100, "llama-3.1-405b", 1)
    st = rl.decode_step(deployment(H100, "llama-3.1-405b"), [1, 8])
    assert not st.fits.any() and list(st.bound) == ["capacity", "capacity"]
    assert np.all(np.isinf(st.seconds)) and np.all(np.isinf(st.usd_per_million_tokens))
    assert np.all(st.tokens_per_s == 0)
    # on 16 devices in FP8 it fits: 406 GB < 16 x 77.0 GB, and the roofs are the ones above / 16
    st16 = rl.decode_step(deployment(H100, "llama-3.1-405b", weight_format="fp8", n_devices=16), 1)
    assert bool(st16.fits) and st16.bound.item() == "memory"


def test_decode_mfu_is_b_over_bstar_below_and_cap_above():
    b_star = float(ie.dense_optimal_batch(H100))
    np.testing.assert_allclose(rl.decode_mfu(H100, "llama-3-8b", [1.0, 100.0]),
                               np.array([1.0, 100.0]) / b_star, rtol=1e-12)
    assert float(rl.decode_mfu(H100, "llama-3-8b", 1000.0)) == pytest.approx(1.0)
    assert float(rl.decode_mfu(H100, "llama-3-8b", 1000.0, flop_utilization=0.7,
                               bandwidth_utilization=0.75)) == pytest.approx(0.7)


# ---------------------------------------------- the cheapest batch, the examples' models

def test_moved_names_live_only_in_memory_and_prefill():
    # the split of chapter 4 and 5: no alias of a moved name is left behind in the roofline
    for name in (*memory.__all__, *prefill.__all__):
        assert not hasattr(rl, name), name
    assert not set(rl.__all__) & (set(memory.__all__) | set(prefill.__all__))
    assert ie.max_batch is memory.max_batch and ie.prefill_step is prefill.prefill_step


def test_cost_optimal_batch_is_min_of_bstar_and_capacity():
    # short context: ceil(295.34) = 296 (capacity is infinite)
    assert float(rl.cost_optimal_batch(H100, "llama-3-8b")) == 296.0
    # long context: capacity binds (b* is infinite beyond l_kv)
    assert float(rl.cost_optimal_batch(H100, "llama-3-70b", 8192, weight_format="fp8")) == 2.0


def test_mistral_large_2_shape_against_published():
    m = rl.MISTRAL_LARGE_2
    assert float(m.kv_bytes_per_token(2)) == 2 * 8 * 128 * 88 * 2 == 360_448   # "about 360 KB"
    assert m.total_params == pytest.approx(123e9, rel=5e-3)                     # "123B"


@pytest.mark.parametrize("spec,published,rtol", [
    (rl.LLAMA_2_7B, 6.74e9, 2e-3),      # Hugging Face model card: 6.74B
    (rl.LLAMA_2_13B, 13.0e9, 5e-3),
    (rl.CODE_LLAMA_34B, 33.7e9, 5e-3),
    (rl.LLAMA_2_70B, 69.0e9, 5e-3),     # usually quoted as 69B / 68.98B
])
def test_seed_models_parameter_counts(spec, published, rtol):
    assert spec.total_params == pytest.approx(published, rel=rtol)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs,match", [
    (dict(batch=0), r"batch must be >= 1"),
    (dict(batch=1, context_tokens=-1), r"context_tokens must be >= 0"),
    (dict(batch=1, bandwidth_utilization=1.5), r"bandwidth_utilization must lie in \(0, 1\]"),
    (dict(batch=1, n_devices=0), r"n_devices must be >= 1"),
])
def test_decode_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ie.decode_step_seconds(H100, "llama-3-8b", **kwargs)


def test_unknown_ids_and_unsupported_precision():
    with pytest.raises(ValueError, match="unknown accelerator 'h900'"):
        rl.optimal_batch("h900", "llama-3-8b")
    with pytest.raises(ValueError, match="unknown model"):
        rl.optimal_batch(H100, "llama-9")
    with pytest.raises(ValueError, match="A100 80GB SXM has no 'fp8' tensor-core rate"):
        rl.optimal_batch("a100-80gb-sxm", "llama-3-8b", weight_format="fp8")
    with pytest.raises(ValueError, match="prompt_tokens must be >= 1"):
        prefill.prefill_seconds(H100, "llama-3-8b", 0)
    with pytest.raises(ValueError, match="hbm_fraction must lie in"):
        memory.max_batch(H100, "llama-3-8b", 100, hbm_fraction=0.0)


def test_min_devices_and_per_point_bounds():
    # DeepSeek-V3 in bf16: 671.0e9 x 2 B = 1.342 TB over 0.9 x 81,559 MiB = 76.97 GB per H100 -> 17.4 -> 18
    assert int(memory.min_devices(H100, "deepseek-v3")) == 18
    # Llama 3 8B, 2,048 tokens of context: 16.06 GB of weights + b x 2,048 x 131,072 B;
    # batch 200 needs 69.7 GB (fits on one), batch 300 needs 96.6 GB (two)
    assert memory.min_devices(H100, "llama-3-8b", [200, 300], 2048).tolist() == [1, 2]
    st = rl.decode_step(deployment(H100, "llama-3-8b", context_tokens=2048), [1, 200, 300])
    assert st.fits.tolist() == [True, True, False]
    assert st.bound.tolist() == ["memory", "memory", "capacity"]
    assert float(st.shortfall_bytes[2]) == pytest.approx(16.06e9 + 300 * 2048 * 131072 - 0.9 * 81_559 * 2**20, rel=1e-3)
    assert float(st.shortfall_bytes[1]) == 0.0
    pf = prefill.prefill_step(deployment(H100, "llama-3-8b"), 4096)
    assert pf.bound.item() == "compute" and bool(pf.fits)
