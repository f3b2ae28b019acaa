"""The multi-device step model: collectives, the step terms by hand, feasibility, the closed forms."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from _reference_step import reference_token_seconds

import inferecon as ie
from inferecon.serving import closed_forms, frontier, network
from inferecon.serving import parallelism as par

US = 1e-6


# ----------------------------------------------------------------------------- collectives
def test_nccl_ll_latency_fit_by_hand():
    # Erdil eq. 23: 6.8 us + 1.2 us (ranks/node - 1) + 10 us log2(nodes)
    assert float(network.collective_seconds("allreduce", 8, 1, 0.0)) == pytest.approx(15.2 * US, rel=1e-12)
    assert float(network.collective_seconds("allreduce", 16, 2, 0.0)) == pytest.approx((6.8 + 8.4 + 10) * US, rel=1e-12)
    assert float(network.collective_seconds("allreduce", 64, 8, 0.0)) == pytest.approx((6.8 + 8.4 + 30) * US, rel=1e-12)
    assert float(network.collective_seconds("allreduce", 1, 1, 1e9)) == 0.0   # one rank: nothing to do


def test_allreduce_bandwidth_matches_erdil_eq24():
    # Erdil eq. 24: d_model 10,000, per-GPU batch 100, 2-byte activations, 8 GPUs, LL at
    # 112 GB/s algorithm bandwidth: 2 x 10,000 x 100 x 7 / (8 x 112e9) = 15.6 us ("about 16 us").
    s = 2.0 * 10_000 * 100
    bw_only = float(network.collective_seconds("allreduce", 8, 1, s)) - 15.2 * US
    assert bw_only == pytest.approx(2 * 10_000 * 100 * 7 / (8 * 112.5e9), rel=1e-9)
    assert bw_only == pytest.approx(16 * US, rel=0.03)


def test_internode_bandwidth_term_by_hand():
    # 16 ranks in 2 nodes, S = 1 MB, LL (factor 0.5): intra 2(7/8) S / 450e9, inter 2(1/2) S / (8 x 50e9)
    s = 1e6
    bw = (2 * 7 / 8 * s / 450e9 + 2 * 1 / 2 * s / (8 * 50e9)) / 0.5
    assert float(network.collective_seconds("allreduce", 16, 2, s)) == pytest.approx(25.2 * US + bw, rel=1e-12)


def test_notebook_set_takes_the_fastest_protocol():
    s = 64e6   # a large message: LL128 (factor 0.95, 26 us latency) beats LL (0.5) and Simple (392 us)
    q = 8
    bw = 2 * (q - 1) / q * s / 450e9
    ll = 6.8e-6 + 2 * 0.6e-6 * 7 + bw / 0.5
    ll128 = 14e-6 + 2 * 1.25e-6 * 7 + bw / 0.95
    simple = 2 * 28e-6 * 7 + bw / 1.0
    got = float(network.collective_seconds("allreduce", 8, 1, s, constants="erdil-code"))
    assert got == pytest.approx(min(ll, ll128, simple), rel=1e-12)
    assert got == pytest.approx(ll128, rel=1e-12)
    # a tiny message: LL wins
    assert float(network.collective_seconds("allreduce", 8, 1, 0.0, constants="erdil-code")) == pytest.approx(15.2 * US)


def test_p2p_and_tpu_ring_by_hand():
    # a send inside a node: 6.8 + 0.6 us; across nodes: 6.8 + 5 us; plus S / bandwidth / 0.5
    assert float(network.collective_seconds("p2p", 2, 1, 0.0)) == pytest.approx(7.4 * US)
    assert float(network.collective_seconds("p2p", 2, 2, 1e6)) == pytest.approx(11.8 * US + 1e6 / 50e9 / 0.5)
    # TPU v4 ring: 2 (r - 1) hops of 1 us, plus (r - 1)/r S / 270e9
    assert float(network.collective_seconds("allreduce", 4, 1, 1e6, accelerator="tpu-v4")) == pytest.approx(
        6 * US + 0.75 * 1e6 / 270e9)


@pytest.mark.parametrize("kwargs,match", [
    (dict(kind="broadcast", ranks=2, nodes=1, size_bytes=0), "kind must be"),
    (dict(kind="allreduce", ranks=2, nodes=3, size_bytes=0), "nodes must be <= ranks"),
    (dict(kind="allreduce", ranks=0, nodes=1, size_bytes=0), "ranks must be >= 1"),
    (dict(kind="allreduce", ranks=2, nodes=1, size_bytes=-1), "size_bytes must be >= 0"),
    (dict(kind="p2p", ranks=4, nodes=1, size_bytes=0), "a point-to-point transfer has ranks = 2"),
])
def test_collective_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        network.collective_seconds(**kwargs)


# ----------------------------------------------------------------------------- the step model by hand
def test_llama70b_on_a_dgx_term_by_term():
    # Paper constants: 1e15 FLOP/s x 0.7, 3.3e12 B/s x 0.75, LL, 4 us launches, Megatron TP 8.
    out = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 1, tp=8)
    m = ie.get_model("llama-3-70b")
    kernels = 80 * 4 * 4e-6                                       # 1.28 ms
    size = 8192 * 1 * 2                                           # one token's d_model in bf16
    one = 15.2e-6 + 2 * 7 / 8 * size / 450e9 / 0.5                # one 8-way all-reduce
    coll = 80 * 2 * one                                           # out-proj and FFN-down
    memory = 2 * m.matmul_params / (8 * 0.75 * 3.3e12)            # 7.02 ms
    # activations in and out of each matmul slice, 1D TP over 8: 4d + (qkv + o + up + d_ff) / 8
    memory += 80 * 2 * (4 * 8192 + (10_240 + 8192 + 57_344 + 28_672) / 8) / (0.75 * 3.3e12)
    compute = 2 * m.active_matmul_params / (8 * 0.7e15)
    assert float(out.kernel_seconds) == pytest.approx(kernels, rel=1e-12)
    assert float(out.collective_seconds) == pytest.approx(coll, rel=1e-12)
    assert float(out.memory_seconds) == pytest.approx(memory, rel=1e-12)
    assert float(out.compute_seconds) == pytest.approx(compute, rel=1e-12)
    assert float(out.token_seconds) == pytest.approx(kernels + coll + memory, rel=1e-12)
    assert float(out.token_seconds) == pytest.approx(10.753e-3, rel=1e-3)
    # 2D layout (2 x 4 grid): QKV and FFN-up reduce over 2 ranks, the others over 4
    out2 = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 1, tp=8, tp_heads=4)
    qkv, up = (64 + 16) * 128 / 4, 2 * 28672 / 4   # SwiGLU: gate and up outputs
    r2 = lambda words: 6.8e-6 + 1.2e-6 + 2 * 1 / 2 * words * 2 / 450e9 / 0.5   # noqa: E731
    r4 = lambda words: 6.8e-6 + 3.6e-6 + 2 * 3 / 4 * words * 2 / 450e9 / 0.5   # noqa: E731
    assert float(out2.collective_seconds) == pytest.approx(
        80 * (r2(qkv) + r4(8192 / 2) + r2(up) + r4(8192 / 2)), rel=1e-12)


def test_erdil_opening_example_dgx_h100():
    # Erdil's intro: 16-bit Llama 3 70B on a DGX H100 (8 GPUs), short context, "70 tokens/s
    # per request at 15% utilization". Utilization u = b v F / (N C) ties the two numbers to a
    # batch: b = 0.15 x 8 x 1e15 / (70 x 1.39e11) = 123. At that batch the model, with the
    # paper's constants, should land within 15% of both numbers.
    m = ie.get_model("llama-3-70b")
    b = float(frontier.implied_batch(70, 0.15, 8, 1e15, m.flop_per_token(0)))
    assert b == pytest.approx(0.15 * 8 * 1e15 / (70 * 2 * m.active_matmul_params), rel=1e-12)
    best = frontier.best_split("h100-sxm", "llama-3-70b", 8, [round(b)], constants="erdil-paper")
    speed, util = float(best.tokens_per_s_per_request[0]), float(best.utilization[0])
    assert speed == pytest.approx(70, rel=0.15)
    assert util == pytest.approx(0.15, rel=0.15)
    assert int(best.n_devices[0]) == 8 and bool(best.feasible[0])


def test_pipeline_adds_capacity_not_speed():
    # Dense model, no context: with p stages each stage re-reads its weights for every
    # micro-batch, so the weights term equals that of one stage of t devices.
    # (weights only: the activation traffic follows the micro-batch, see the next test)
    weights_only = replace(par.get_constants("erdil-paper"), activation_traffic=False)
    one = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 64, tp=4, pp=1, constants=weights_only)
    two = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 64, tp=4, pp=2, constants=weights_only)
    assert float(two.memory_seconds) == pytest.approx(float(one.memory_seconds), rel=1e-12)
    assert float(two.compute_seconds) == pytest.approx(float(one.compute_seconds) / 2, rel=1e-12)
    assert float(two.token_seconds) > float(one.token_seconds) - float(one.compute_seconds)
    # uneven stages: 80 layers over 3 stages -> the slowest has 27, kappa = 81/80
    three = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 63, tp=4, pp=3)
    assert float(three.extras["pipeline_imbalance"]) == pytest.approx(81 / 80)


def test_kv_replication_when_heads_are_split_beyond_kv_heads():
    # Llama 3 70B has 8 KV heads: splitting heads 16 ways stores each KV head twice
    out = par.decode_step_breakdown("h100-sxm", "llama-3-70b", 8, 1000, tp=16)
    assert float(out.extras["kv_replication"]) == 2.0
    # DeepSeek-V3's MLA latent is shared by all heads: every head split replicates it
    out = par.decode_step_breakdown("h100-sxm", "deepseek-v3", 8, 0, tp=16, tp_heads=4, ep=16,
                                    weight_format="fp8", kv_format="fp8")
    assert float(out.extras["kv_replication"]) == 4.0


def test_monotone_in_batch_and_context():
    b = np.arange(1, 400)
    t = par.token_latency_seconds("h100-sxm", "llama-3-70b", b, tp=8)
    assert np.all(np.diff(t) > 0)
    ctx = np.array([0, 1_000, 10_000, 30_000])
    t = par.token_latency_seconds("h100-sxm", "llama-3-70b", 4, ctx, tp=8)
    assert np.all(np.diff(t) > 0)
    # MoE: the step reads more experts as the batch grows
    t = par.token_latency_seconds("h100-sxm", "mixtral-8x7b", np.arange(1, 64), tp=2)
    assert np.all(np.diff(t) > 0)


def test_expert_parallel_terms():
    # DeepSeek-V3, fp8, 64 GPUs in 8 nodes, experts over 64 groups: dispatch + combine all-to-alls
    kw = dict(weight_format="fp8", kv_format="fp8")
    ep = par.decode_step_breakdown("h100-sxm", "deepseek-v3", 256, tp=64, tp_heads=8, ep=64, **kw)
    tp = par.decode_step_breakdown("h100-sxm", "deepseek-v3", 256, tp=64, tp_heads=8, ep=1, **kw)
    assert float(ep.memory_seconds) == pytest.approx(float(tp.memory_seconds), rel=1e-12)
    assert float(ep.collective_seconds) != pytest.approx(float(tp.collective_seconds), rel=1e-3)
    # the MoE layers' share of collectives: 58 of 61 layers use EP
    m = ie.get_model("deepseek-v3")
    assert m.n_moe_layers == 58


@pytest.mark.parametrize("kwargs,match", [
    (dict(model="llama-3-70b", batch=1, tp=3), "tp_heads does not divide the number of query heads"),
    (dict(model="llama-3-70b", batch=1, tp=8, tp_heads=16), "tp_heads does not divide tp"),
    (dict(model="llama-3-70b", batch=1, tp=24, tp_heads=8), "tp / tp_heads does not divide d_model"),
    (dict(model="llama-3-70b", batch=1, tp=1), r"do not fit in HBM \(needs 141\.1 GB per device, may use 80\.0 GB\)"),
    (dict(model="llama-3-70b", batch=1, tp=8, ep=2), "a dense model needs ep = 1"),
    (dict(model="mixtral-8x7b", batch=1, tp=8, ep=3), "ep does not divide tp"),
    (dict(model="llama-3-8b", batch=64, tp=1, pp=33), "more pipeline stages than layers"),
    (dict(model="llama-3-8b", batch=2, tp=1, pp=4), "more pipeline stages than sequences"),
    (dict(model="llama-3-8b", batch=0.5, tp=1), "batch must be >= 1"),
    (dict(model="llama-3-8b", batch=2.5, tp=1), "batch must be a whole number"),
    (dict(model="llama-3-8b", batch=1, tp=1, constants="vendor"), "unknown constant set 'vendor'; valid ids are: erdil-code, erdil-paper"),
    (dict(model="llama-3-8b", batch=1, tp=1, weight_format="fp8", accelerator="a100-80gb-sxm"), "no 'fp8' tensor-core rate"),
])
def test_infeasible_and_bad_input_raise(kwargs, match):
    acc = kwargs.pop("accelerator", "h100-sxm")
    model = kwargs.pop("model")
    batch = kwargs.pop("batch")
    with pytest.raises(ValueError, match=match):
        par.decode_step_breakdown(acc, model, batch, **kwargs)


def test_masked_not_priced():
    out = par.evaluate_configurations("h100-sxm", "llama-3-70b", tp=np.array([1, 8, 3]), tp_heads=np.array([1, 8, 3]),
                                      pp=1, ep=1, batch=4)
    assert out.feasible.tolist() == [False, True, False]
    assert np.isinf(out.token_seconds[[0, 2]]).all() and np.isinf(out.usd_per_million_tokens[[0, 2]]).all()
    assert not np.isnan(out.usd_per_million_tokens).any()
    assert par.describe_infeasible(int(out.reason[0])) == ["weights and KV cache do not fit in HBM"]
    assert "tp_heads does not divide the number of query heads" in par.describe_infeasible(int(out.reason[2]))


@pytest.mark.parametrize("model,acc,constants,ctx,fmt", [
    ("llama-3-70b", "h100-sxm", "erdil-paper", 0, "bf16"),
    ("llama-3-70b", "h100-sxm", "erdil-code", 4000, "fp8"),
    ("deepseek-v3", "h100-sxm", "erdil-paper", 1000, "fp8"),
    ("deepseek-v3", "h200-sxm", "erdil-code", 0, "bf16"),
    ("mixtral-8x7b", "a100-80gb-sxm", "erdil-paper", 2000, "bf16"),
    ("palm-540b", "tpu-v4", "erdil-paper", 0, "int8"),
    ("llama-3.1-405b", "mi300x", "erdil-code", 8000, "bf16"),
])
def test_vectorized_equals_scalar_reference(model, acc, constants, ctx, fmt):
    sw = frontier.sweep(acc, model, constants=constants, context_tokens=ctx, weight_format=fmt,
                        max_devices=256, n_batches=24)
    rng = np.random.default_rng(12345)
    idx = rng.choice(sw.size, size=min(250, sw.size), replace=False)
    n_finite = 0
    for i in idx:
        r = sw.row(int(i))
        ref = reference_token_seconds(acc, model, tp=r["tp"], tp_heads=r["tp_heads"], pp=r["pp"], ep=r["ep"],
                                          batch=r["batch"], context_tokens=ctx, weight_format=fmt,
                                          constants=constants)
        got = float(sw.token_seconds[i])
        if math.isinf(ref):
            assert math.isinf(got), r
        else:
            n_finite += 1
            assert got == pytest.approx(ref, rel=1e-12), r
    assert n_finite > 50
    assert np.any(sw.ep > 1) or not ie.get_model(model).is_moe


# ----------------------------------------------------------------------------- Erdil §2.2 closed forms
_L70 = dict(params=69.5e9, bytes_per_param=2.0, n_layers=80, n_reduce=4, hbm_bytes_per_s=0.75 * 3.3e12)


def test_closed_form_by_hand():
    k = 80 * 4 * 1e-6                         # L n_r t_hop = 0.32 ms
    mm = 2 * 69.5e9 / (0.75 * 3.3e12)         # pN/B = 56.16 ms
    assert float(closed_forms.min_latency_gpu_count(**_L70)) == pytest.approx((mm / k) ** (2 / 3), rel=1e-12)
    assert float(closed_forms.min_latency_gpu_count(**_L70)) == pytest.approx(31.35, rel=1e-3)
    t = 3 * k ** (2 / 3) * mm ** (1 / 3) - 2 * k
    assert float(closed_forms.min_token_latency_seconds(**_L70)) == pytest.approx(t, rel=1e-12)
    assert float(closed_forms.min_token_latency_seconds(**_L70)) == pytest.approx(4.735e-3, rel=1e-3)


def test_closed_form_is_the_minimum_of_eq9():
    ng = np.geomspace(1, 400, 400_001)
    for params, layers in ((8e9, 32), (69.5e9, 80), (405e9, 126), (1.8e12, 120)):
        kw = dict(_L70, params=params, n_layers=layers)
        t = closed_forms.simple_token_latency_seconds(ng, **kw)
        i = int(np.argmin(t))
        assert float(closed_forms.min_token_latency_seconds(**kw)) == pytest.approx(float(t[i]), rel=1e-8)
        assert float(closed_forms.min_latency_gpu_count(**kw)) == pytest.approx(float(ng[i]), rel=1e-3)


def test_min_latency_cost_is_about_three_times_arithmetic():
    gs = float(closed_forms.min_latency_gpu_seconds_per_token(params=69.5e9, flop_per_s=0.7e15, bytes_per_param=2,
                                                     n_layers=80, n_reduce=4, hbm_bytes_per_s=0.75 * 3.3e12))
    floor = 2 * 69.5e9 / 0.7e15
    assert 2.0 < gs / floor < 3.0            # eq. 17: 3 - 2 (L n t B / pN)^(1/3) = 2.64 here
    assert gs / floor == pytest.approx(3 - 2 * (80 * 4e-6 * 0.75 * 3.3e12 / (2 * 69.5e9)) ** (1 / 3), rel=1e-9)


def test_closed_form_degenerate_case_one_gpu():
    # a tiny model whose weights read faster than one hop: N* = 1 and T = pN/B
    kw = dict(params=1e6, bytes_per_param=2, n_layers=80, n_reduce=4, hbm_bytes_per_s=3.3e12)
    assert float(closed_forms.min_latency_gpu_count(**kw)) == 1.0
    assert float(closed_forms.min_token_latency_seconds(**kw)) == pytest.approx(2e6 / 3.3e12)


def test_sqrt_law_erdil_and_pope():
    # Erdil: 400 tok/s for Llama 3 8B -> 400 sqrt(8/70) = 135 and 400 sqrt(8/405) = 56 tok/s
    assert float(closed_forms.sqrt_law_tokens_per_second(400, 8e9, 70e9)) == pytest.approx(135.2, rel=1e-3)
    assert float(closed_forms.sqrt_law_tokens_per_second(400, 8e9, 405e9)) == pytest.approx(56.2, rel=1e-3)
    # Pope et al. best latencies 4, 13, 32 ms (PaLM 8B, 62B, 540B): sqrt law from 8B within 15%
    pred = closed_forms.sqrt_law_latency_seconds(4e-3, 8e9, np.array([62e9, 540e9]))
    np.testing.assert_allclose(pred, [13e-3, 32e-3], rtol=0.15)


def test_model_closed_form_on_palm_orders_like_pope():
    # PaLM uses parallel layers (2 all-reduces per layer); the closed form on TPU v4 must
    # grow about like sqrt(N) across 8B -> 62B -> 540B: measured ratios 3.25 and 8.0.
    t = [closed_forms.model_min_token_latency_seconds("tpu-v4", m, "int8") for m in ("palm-8b", "palm-62b", "palm-540b")]
    assert 2.5 < t[1] / t[0] < 4.0
    assert 6.5 < t[2] / t[0] < 11.0
    # and the analytic model is a bound: faster than the measured 4 / 13 / 32 ms
    assert all(ti < pi for ti, pi in zip(t, (4e-3, 13e-3, 32e-3)))


def test_closed_form_bad_input():
    with pytest.raises(ValueError, match="n_gpu must be >= 1"):
        closed_forms.simple_token_latency_seconds(0.5, **_L70)
    with pytest.raises(ValueError, match="hop_seconds must be > 0"):
        closed_forms.min_token_latency_seconds(**_L70, hop_seconds=0)


def test_constant_sets():
    paper, nb = par.get_constants("erdil-paper"), par.get_constants("erdil-code")
    assert (paper.flop_utilization, paper.bandwidth_utilization) == (0.7, 0.75)
    assert (nb.flop_utilization, nb.bandwidth_utilization) == (1.0, 1.0)
    assert paper.accelerator("h100-sxm").price_usd_per_hour == 2.0
    assert nb.accelerator("h100-sxm").price_usd_per_hour == pytest.approx(2.10)
    assert paper.accelerator("h100-sxm").peak_flop_per_s("bf16") == 1e15
    assert paper.accelerator("h100-sxm").hbm_bytes_per_s == 3.3e12
    assert (paper.preference_alpha, nb.preference_alpha) == (3.0, 4.0)
    # accelerators without an override keep the catalogue's figures
    assert paper.accelerator("mi300x") == ie.get_accelerator("mi300x")
    with pytest.raises(ValueError, match="flop_utilization must lie in"):
        par.ConstantSet(id="x", name="x", flop_utilization=1.2, bandwidth_utilization=1, accelerator_overrides={})
    with pytest.raises(ValueError, match="protocols must be a non-empty subset"):
        par.ConstantSet(id="x", name="x", flop_utilization=1, bandwidth_utilization=1, accelerator_overrides={},
                        protocols=("LL64",))


def test_erdil_activation_bytes_by_hand():
    # eq. 43's matmul in/out widths for Llama 3 70B (g = 8):
    # 2*8192 + (1 + 2/8)*64*128 + 64*128 + 2*8192 + 2*28672 = 108,544 elements per layer and token
    assert float(par.erdil_activation_bytes("llama-3-70b", 1)) == 80 * 108_544 * 2
    # at b* = 295 it is a few percent of the 2-byte weight reads the step model counts
    share = float(par.erdil_activation_bytes("llama-3-70b", 295)) / (2 * ie.get_model("llama-3-70b").matmul_params)
    assert 0.03 < share < 0.045
    with pytest.raises(ValueError, match="batch must be >= 1"):
        par.erdil_activation_bytes("llama-3-70b", 0)
