"""DeepSeek-V3's MTP as a one-token draft: published acceptance and speedup against the roofline."""

import numpy as np
import pytest

from inferecon.levers import self_speculation as ss
from inferecon.levers.speculative import expected_tokens_per_step
from inferecon.specs.deployment import deployment

# DeepSeek-V3 by hand (config.json), as in test_deepseek.py
D, L, L_MOE, V = 7168, 61, 58, 129280
EXPERT = 3 * D * 2048
ATTN = (D * 1536 + 1536 + 1536 * 128 * 192 + D * 576 + 512 + 512 * 128 * 256 + 128 * 128 * D)
ROUTER = 256 * D
ALWAYS = L * ATTN + 3 * 3 * D * 18432 + L_MOE * (EXPERT + ROUTER) + V * D   # all matmul weights but routed
ROUTED = L_MOE * 256 * EXPERT
MTP_ALWAYS = ATTN + 2 * D * D + EXPERT + ROUTER + V * D    # block, 2d x d projection, shared expert, head
MTP_ROUTED = 256 * EXPERT


def test_published_figures_are_quoted():
    p = ss.DEEPSEEK_V3_MTP
    assert (p.acceptance_low, p.acceptance_high, p.speedup, p.draft_tokens) == (0.85, 0.90, 1.8, 1)
    assert "ranges between 85% and 90%" in p.quote
    assert "delivering 1.8 times TPS (Tokens Per Second)" in p.quote
    assert "predicts the next 2 tokens" in p.quote


def test_expected_tokens_is_one_plus_alpha():
    # gamma = 1: E = (1 - a^2) / (1 - a) = 1 + a
    assert ss.DEEPSEEK_V3_MTP.expected_tokens_per_step == pytest.approx((1.85, 1.90), rel=1e-12)
    a = np.array([0.0, 0.5, 0.85, 0.9])
    assert expected_tokens_per_step(a, 1) == pytest.approx(1 + a, rel=1e-12)


def test_implied_overhead_of_the_published_speedup():
    # 1.85 / 1.8 - 1 = 1/36 = 2.8%; 1.90 / 1.8 - 1 = 1/18 = 5.6%
    c = ss.implied_step_overhead([0.85, 0.90], 1.8)
    assert c == pytest.approx([1 / 36, 1 / 18], rel=1e-12)
    assert np.all(c > 0)    # 1.8x is reachable: it does not exceed 1 + alpha


def test_mtp_module_has_the_published_size():
    q = ss.mtp_module("deepseek-v3")
    assert q.n_layers == 1 and q.n_moe_layers == 1
    assert q.matmul_params == MTP_ALWAYS + MTP_ROUTED       # 12.54B (head included, input embedding not)
    # 13.46B with the input embedding, against "14B of the Multi-Token Prediction (MTP) Module weights"
    # (the checkpoint also stores norms and an extra RMSNorm pair): within 5%
    assert q.total_params == pytest.approx(ss.DEEPSEEK_V3_MTP_PARAMS, rel=0.05)
    assert q.total_params < ss.DEEPSEEK_V3_MTP_PARAMS


def test_serving_batch_reproduces_the_published_speedup():
    # 16 H100 in FP8, 512 sequences, short context: every expert is read by the plain step already,
    # the step is memory-bound, so the verification of 2 tokens costs nothing extra and the step pays only
    # the module's weights: ratio = 1 + (MTP_ALWAYS + MTP_ROUTED) / (ALWAYS + ROUTED) = 1.0187
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=16)
    st = ss.self_speculative_step(d, 512, [0.85, 0.90])
    ratio = 1 + (MTP_ALWAYS + MTP_ROUTED) / (ALWAYS + ROUTED)
    assert st.step_cost_ratio == pytest.approx([ratio, ratio], rel=1e-6)
    assert list(st.plain_bound) == ["memory", "memory"] and list(st.verify_bound) == ["memory", "memory"]
    s = st.speedup                                 # 1.816 and 1.865
    assert s == pytest.approx([1.85 / ratio, 1.90 / ratio], rel=1e-6)
    # band: the published 1.8x is within 1% below the roofline at 85% acceptance (a bound is above the
    # measurement; the 1% is kernels and the sampling step the roofline leaves out), and below it at 90%
    assert 0 <= s[0] / 1.8 - 1 <= 0.01
    assert s[1] > 1.8


def test_batch_one_pays_for_the_second_tokens_experts():
    # one sequence: the second query token routes to up to 8 more experts per layer
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=16)
    st = ss.self_speculative_step(d, 1, 0.9)
    f1, f2 = 1 - (31 / 32), 1 - (31 / 32) ** 2
    ratio = (ALWAYS + f2 * ROUTED + MTP_ALWAYS + f1 * MTP_ROUTED) / (ALWAYS + f1 * ROUTED)   # 1.585
    assert float(st.step_cost_ratio) == pytest.approx(ratio, rel=1e-6)
    assert float(st.speedup) == pytest.approx(1.9 / ratio, rel=1e-6)      # 1.20: far below 1.8
    assert float(st.speedup) < 1.3


def test_compute_bound_verification_doubles_the_arithmetic():
    # DeepSeek's decode batch (88 per GPU x 144) at 4,989 tokens on an ideal 144-GPU group
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=144, context_tokens=4989)
    b = 88 * 144
    st = ss.self_speculative_step(d, b, 0.9)
    active = ALWAYS + L_MOE * 8 * EXPERT
    att = 2 * L * 128 * (2 * 512 + 64)
    comp2 = 2 * b * (2 * active + att * 4989) / (144 * 1978.9e12)
    assert str(st.verify_bound) == "compute"
    assert float(st.verify_seconds) == pytest.approx(comp2, rel=1e-9)
    assert 1.3 < float(st.speedup) < 1.5         # the gain shrinks to about 1.4


def test_step_never_cheaper_than_plain():
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=16, context_tokens=2000)
    st = ss.self_speculative_step(d, np.array([1, 8, 64, 256]), 0.85)
    assert np.all(st.step_cost_ratio >= 1.0)
    assert np.all(st.speedup <= 1.85 + 1e-12)     # never above 1 + alpha


@pytest.mark.parametrize("kw,match", [
    (dict(batch=0, acceptance=0.9), "batch"), (dict(batch="8", acceptance=0.9), "batch"),
    (dict(batch=8, acceptance=1.0), "acceptance"), (dict(batch=8, acceptance=-0.1), "acceptance"),
    (dict(batch=8, acceptance=float("nan")), "acceptance"),
])
def test_bad_input_refused(kw, match):
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=16)
    with pytest.raises(ValueError, match=match):
        ss.self_speculative_step(d, **kw)


def test_capacity_is_refused_with_the_shortfall():
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=8)
    with pytest.raises(ValueError, match="does not fit"):
        ss.self_speculative_step(d, 1, 0.9)
    with pytest.raises(ValueError, match="deployment must be a Deployment"):
        ss.self_speculative_step("h100-sxm", 1, 0.9)


def test_dense_models_have_no_mtp_block():
    with pytest.raises(ValueError, match="dense"):
        ss.mtp_module("llama-3-70b")
    with pytest.raises(ValueError, match="speedup"):
        ss.implied_step_overhead(0.9, 0.5)
    with pytest.raises(ValueError, match="acceptance_low"):
        ss.PublishedSelfSpeculation(method="x", model="m", draft_tokens=1, acceptance_low=0.9,
                                    acceptance_high=0.8, speedup=1.5, source="", quote="", conditions="")


def test_scalar_and_one_element_array_agree():
    d = deployment("h100-sxm", "deepseek-v3", weight_format="fp8", n_devices=16)
    a = ss.self_speculative_step(d, 64, 0.9).speedup
    b = ss.self_speculative_step(d, np.array([64]), np.array([0.9])).speedup
    assert float(a) == pytest.approx(float(b[0]), rel=0)


def test_draft_head_speedups_are_quoted():
    by = {p.method.split(" (")[0]: p for p in ss.DRAFT_HEAD_SPEEDUPS}
    assert (by["Medusa-2"].speedup_low, by["Medusa-2"].speedup_high) == (2.3, 3.6)
    assert "improves the speedup to 2.3-3.6x" in by["Medusa-2"].quote
    assert by["Medusa-1"].speedup_low == 2.2 and "over 2.2x speedup" in by["Medusa-1"].quote
    assert (by["EAGLE"].speedup_low, by["EAGLE"].speedup_high) == (2.7, 3.5)
    assert "latency speedup ratio of 2.7x-3.5x" in by["EAGLE"].quote
    # multi-token drafts: above what one MTP token can give (1 + alpha < 2)
    assert all(p.speedup_low > 2 for p in ss.DRAFT_HEAD_SPEEDUPS)
