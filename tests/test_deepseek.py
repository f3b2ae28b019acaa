"""DeepSeek's V3/R1 inference fleet (Day 6 text) against the package's layout bound.

The published figures are data: they are checked exactly, against the quoted sentences and
against each other. The bound is checked against hand-worked values from DeepSeek-V3's
configuration, and against the published figures with a stated band.
"""

import math

import numpy as np
import pytest

from inferecon.validation import deepseek as ds

P = ds.PUBLISHED

# ---- DeepSeek-V3 by hand (config.json of deepseek-ai/DeepSeek-V3)
D, L, L_MOE, V = 7168, 61, 58, 129280
EXPERT = 3 * D * 2048                                                 # 44,040,192
ATTN = (D * 1536 + 1536 + 1536 * 128 * 192     # q: down, norm, up (nope 128 + rope 64)
        + D * 576 + 512 + 512 * 128 * 256      # kv: down (latent 512 + rope 64), norm, up
        + 128 * 128 * D)                       # o
DENSE_FFN = 3 * D * 18432
ROUTER = 256 * D
ALWAYS = L * ATTN + 3 * DENSE_FFN + L_MOE * (EXPERT + ROUTER) + V * D  # all matmul weights but routed experts
ACTIVE = ALWAYS + L_MOE * 8 * EXPERT
KV_TOKEN = (512 + 64) * L * 2                                        # 70,272 B per token in bf16
ATT_FLOP = 2 * L * 128 * (2 * 512 + 64)                              # MLA, absorbed, per context token
C8, C16, B_HBM, B_IB = 1978.9e12, 989.4e12, 3.35e12, 50e9


# ------------------------------------------------------------------ the published figures

def test_published_figures_are_the_quoted_ones():
    q = ds.QUOTES
    assert (P.peak_nodes, P.average_nodes, P.gpus_per_node) == (278, 226.75, 8)
    assert "reached 278" in q["nodes"] and "226.75 nodes" in q["nodes"] and "8 H800 GPUs" in q["nodes"]
    assert P.usd_per_gpu_hour == 2.0 and "$2 per hour" in q["cost"]
    assert P.daily_cost_usd == 87_072 and "$87,072" in q["cost"]
    assert (P.input_tokens_per_day, P.cache_hit_tokens_per_day, P.cache_hit_rate) == (608e9, 342e9, 0.563)
    assert "608B" in q["input"] and "342B" in q["input"] and "(56.3%)" in q["input"]
    assert P.output_tokens_per_day == 168e9 and "168B" in q["output"]
    assert P.output_tokens_per_s_per_user == (20, 22) and "20–22 tokens per second" in q["output"]
    assert P.kv_length_per_output_token == 4989 and "4,989 tokens" in q["output"]
    assert P.prefill_input_tokens_per_s_per_node == 73_700
    assert "~73.7k tokens/s input (including cache hits)" in q["throughput"]
    assert P.decode_output_tokens_per_s_per_node == 14_800 and "~14.8k tokens/s output" in q["throughput"]
    assert P.theoretical_revenue_usd_per_day == 562_027 and "$562,027" in q["revenue"]
    assert P.cost_profit_margin == 5.45 and "545%" in q["revenue"]
    assert (P.r1_usd_per_million_input_cache_hit, P.r1_usd_per_million_input_cache_miss,
            P.r1_usd_per_million_output) == (0.14, 0.55, 2.19)
    assert "0.14/M input tokens (cache hit)" in q["pricing"] and "$2.19/M output" in q["pricing"]


def test_layouts_are_the_quoted_ones():
    pre, dec = ds.PREFILL_UNIT, ds.DECODE_UNIT
    assert (pre.nodes, pre.ep, pre.dp, pre.routed_experts_per_gpu) == (4, 32, 32, 9)
    assert "EP32" in ds.QUOTES["prefill_layout"] and "4 nodes" in ds.QUOTES["prefill_layout"]
    assert (dec.nodes, dec.ep, dec.dp, dec.routed_experts_per_gpu) == (18, 144, 144, 2)
    assert "EP144" in ds.QUOTES["decode_layout"] and "18 nodes" in ds.QUOTES["decode_layout"]
    # 256 routed experts + 32 redundant copies fill the slots exactly
    assert (256 + 32) / ds.DECODE_UNIT.gpus == 2 and (256 + 32) / ds.PREFILL_UNIT.gpus == 9


def test_published_figures_agree_with_each_other():
    # cost: 226.75 nodes x 8 GPUs x $2 x 24 h, exactly
    assert P.average_nodes * 8 * 2 * 24 == P.daily_cost_usd
    # cache hit share 342/608 = 56.25% from the rounded token counts, printed as 56.3%
    assert abs(342 / 608 - P.cache_hit_rate) < 1e-3
    # revenue at R1 prices: 342B x 0.14 + 266B x 0.55 + 168B x 2.19 = $562,100 (token counts rounded
    # to 1B, so within 0.02% of the published $562,027)
    rev = 342e3 * 0.14 + 266e3 * 0.55 + 168e3 * 2.19
    assert rev == pytest.approx(P.theoretical_revenue_usd_per_day, rel=2e-4)
    assert round((P.theoretical_revenue_usd_per_day - P.daily_cost_usd) / P.daily_cost_usd, 2) == 5.45
    # Little's law over the day: decode nodes 168e9/86400/14.8k = 131.4, prefill 608e9/86400/73.7k = 95.5;
    # together 226.9 against the published 226.75 average (0.1%)
    nodes = 168e9 / 86400 / 14_800 + 608e9 / 86400 / 73_700
    assert nodes == pytest.approx(226.75, rel=2e-3)
    # $/M output: $87,072 / 168,000 M = $0.518; decode alone $16/h / (14.8k x 3600) x 1e6 = $0.300
    assert P.fleet_usd_per_million_output == pytest.approx(0.51829, rel=1e-4)
    assert P.decode_usd_per_million_output == pytest.approx(0.30030, rel=1e-4)


def test_little_law_batch():
    # 14,800 / (8 x 21) = 88.1 sequences per GPU; 84.1 at 22 tokens/s, 92.5 at 20
    assert float(ds.sequences_per_gpu(21)) == pytest.approx(88.095, rel=1e-4)
    lo, hi = P.sequences_per_decode_node
    assert (lo / 8, hi / 8) == pytest.approx((84.09, 92.5), rel=1e-3)


def test_h800_is_an_h100_with_slower_nvlink():
    h = ds.H800_SXM
    assert h.peak_flop_per_s("fp8") == C8 and h.peak_flop_per_s("bf16") == C16
    assert h.hbm_bytes_per_s == B_HBM and h.scaleup_bytes_per_s == 200e9   # 400 GB/s bidirectional
    assert h.price_usd_per_hour == 2.0


# ------------------------------------------------------------------ the bound by hand

def test_layout_decode_step_by_hand_without_mtp():
    b, ell = 88.0, 4989.0
    st = ds.layout_decode_step(b, ell, acceptance=None)
    weights = ALWAYS + 2 * L_MOE * EXPERT                      # DP replicas + 2 routed experts per layer, FP8
    mem = (weights * 1.0 + b * ell * KV_TOKEN) / B_HBM
    comp = b * 2 * ACTIVE / C8 + b * ell * ATT_FLOP / C16
    remote = 18 * (1 - (17 / 18) ** 8) * 17 / 18               # other nodes reached by a token's 8 experts
    net = b * L_MOE * remote * D * (1 + 2) / B_IB              # FP8 dispatch + BF16 combine
    assert st.weight_bytes_per_gpu == pytest.approx(weights, rel=1e-12)
    assert float(st.memory_seconds) == pytest.approx(mem, rel=1e-12)       # 15.6 ms
    assert float(st.compute_seconds) == pytest.approx(comp, rel=1e-12)     # 10.8 ms
    assert float(st.network_seconds) == pytest.approx(net, rel=1e-12)      # 13.7 ms
    assert mem == pytest.approx(15.53e-3, rel=1e-2) and str(st.bound) == "memory"
    assert float(st.tokens_per_s_per_node) == pytest.approx(8 * b / mem, rel=1e-12)


def test_mtp_doubles_query_tokens_and_adds_one_layer():
    b, ell = 88.0, 4989.0
    plain = ds.layout_decode_step(b, ell, acceptance=None)
    mtp = ds.layout_decode_step(b, ell, acceptance=0.9)
    # the module's own weights: one MLA block, shared expert, router, 2 of its experts, 2d x d proj., head
    module = ATTN + EXPERT + ROUTER + 2 * D * D + V * D + 2 * EXPERT
    assert mtp.weight_bytes_per_gpu - plain.weight_bytes_per_gpu == pytest.approx(module, rel=1e-12)
    # network: 2 x 58 main layers + 1 module layer instead of 58
    assert float(mtp.network_seconds / plain.network_seconds) == pytest.approx((2 * 58 + 1) / 58, rel=1e-12)
    assert float(mtp.tokens_per_step) == pytest.approx(1.9)
    # with MTP the all-to-all (27.7 ms) is the largest term
    assert str(mtp.bound) == "network"


def test_prefill_bound_by_hand():
    pre = ds.layout_prefill_tokens_per_s()
    assert pre["compute"] == pytest.approx(8 * C8 / (2 * ACTIVE), rel=1e-12)           # 216k tokens/s
    remote = 4 * (1 - 0.75 ** 8) * 3 / 4
    assert pre["network"] == pytest.approx(8 * B_IB / (L_MOE * remote * D * 3), rel=1e-12)   # 119k tokens/s
    assert pre["bound"] == pre["network"] and pre["bound_by"] == 1.0


def test_ideal_roofline_of_the_unit_by_hand():
    st = ds.ideal_decode_step(88.0)
    b = 88.0 * 144
    mem = ((ALWAYS + L_MOE * 256 * EXPERT) + b * 4989 * KV_TOKEN) / (144 * B_HBM)   # every expert is read
    assert float(st.memory_seconds) == pytest.approx(mem, rel=1e-6)
    assert str(st.bound) == "memory" and bool(st.fits)


# ------------------------------------------------------------------ published against bound

def test_bounds_are_above_the_service_within_a_stated_band():
    rows = {r.quantity: r for r in ds.compare()}
    for r in rows.values():
        assert r.consistent, r.quantity          # no published speed beats its bound, no cost undercuts it
    # The service reaches 31% of the layout bound in decode (the bound credits perfect overlap, no load
    # imbalance, kernels at peak and 90% MTP acceptance): band 20-50%.
    dec = rows["decode output tokens/s per H800 node"]
    assert 0.2 <= dec.ratio <= 0.5 and dec.ratio == pytest.approx(0.306, abs=0.005)
    assert rows["output tokens/s per user"].ratio == pytest.approx(dec.ratio, rel=1e-9)
    # the plain roofline of the ideal 144-GPU group is looser (66k tokens/s per node): 22%
    ideal = rows["decode output tokens/s per H800 node (plain roofline)"]
    assert ideal.bound > dec.bound and 0.15 <= ideal.ratio <= 0.4
    # prefill: 119k computed tokens/s per node / (1 - 0.563) = 272k input tokens/s; the service 27%
    pre = rows["prefill input tokens/s per H800 node (incl. cache hits)"]
    assert pre.bound == pytest.approx(ds.layout_prefill_tokens_per_s()["network"] / (1 - 0.563), rel=1e-12)
    assert 0.15 <= pre.ratio <= 0.5
    # costs: the bound is the inverse of the speed bound at $16 per node-hour
    usd = rows["decode $ per million output tokens at $2/GPU-h"]
    assert usd.bound == pytest.approx(1e6 * 16 / 3600 / dec.bound, rel=1e-12)
    assert usd.ratio == pytest.approx(1 / dec.ratio, rel=1e-12)
    fleet = rows["fleet $ per million output tokens (daily cost / output)"]
    expected = 1e6 * 16 / 3600 * (1 / dec.bound + (608 / 168) / pre.bound)
    assert fleet.bound == pytest.approx(expected, rel=1e-12)
    assert 2.0 <= fleet.ratio <= 5.0
    assert "load imbalance" in dec.gap and "overlap" in dec.gap and "MTP" in dec.gap and "FP8" in dec.gap


def test_lower_acceptance_lowers_the_bound():
    hi = ds.compare(acceptance=0.9)[0].bound
    lo = ds.compare(acceptance=0.85)[0].bound
    assert lo < hi and lo / hi == pytest.approx(1.85 / 1.9, rel=1e-12)   # network-bound: step time unchanged


def test_table_lists_every_row():
    text = ds.comparison_table()
    assert text.count("\n") == len(ds.compare()) and "14,800" in text and "0.31" in text


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize("kw,match", [
    (dict(batch=0), "batch"), (dict(batch="10"), "batch"), (dict(batch=float("nan")), "batch"),
    (dict(batch=8, context_tokens=-1), "context_tokens"), (dict(batch=8, acceptance=1.0), "acceptance"),
    (dict(batch=8, hbm_fraction=1.5), "hbm_fraction"), (dict(batch=8, model="llama-3-70b"), "dense"),
])
def test_bad_input_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        ds.layout_decode_step(**kw)


def test_capacity_is_reported_not_priced():
    st = ds.layout_decode_step(2000.0, 4989.0)       # 2000 caches of 351 MB do not fit in 77 GB
    assert not bool(st.fits) and str(st.bound) == "capacity"
    assert math.isinf(float(st.seconds)) and float(st.tokens_per_s_per_node) == 0.0


def test_scalar_and_one_element_array_agree():
    a = ds.layout_decode_step(88.0).memory_seconds
    b = ds.layout_decode_step(np.array([88.0])).memory_seconds
    assert float(a) == pytest.approx(float(b[0]), rel=0)


def test_comparison_refuses_nonpositive_figures():
    with pytest.raises(ValueError, match="published"):
        ds.DeepSeekComparison(quantity="x", unit="tokens/s", published=0.0, bound=1.0, bound_by="memory",
                              higher_is_better=True, gap="")
