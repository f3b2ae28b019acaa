"""Chapter 6's source statements, recomputed by hand and held against the figures the course
shows (package and stored notebook values).

Sources: DeepSeek-AI 2024 (deepseekai2024v3), "671B total parameters, 37B activated"; Jiang et
al. 2024 (jiang2024mixtral), Mixtral 8x7B with 47B parameters of which 13B are active; Erdil 2025
(erdil2025inference), eq. 21-22; a widely shared lecture summary, "256 experts with 32 active,
sparsity 8" and b* ~ 2,400 (reference.md §5.5).
"""

from __future__ import annotations

import pytest
from _student_visible import stored_value

import inferecon as ie
from inferecon.serving import moe, moe_batching, roofline

STEM = "06_moe"
# H100 SXM datasheet (catalogue): 989.4e12 FLOP/s bf16, 3.35e12 B/s -> dense b* = 2 x 989.4 / (2 x 3.35)
B_DENSE = 2 * 989.4e12 / (2 * 3.35e12)           # 295.3


def test_deepseek_v3_total_and_active():
    ds = ie.get_model("deepseek-v3")
    assert ds.total_params == pytest.approx(671e9, rel=0.002)
    assert ds.active_params == pytest.approx(37e9, rel=0.02)
    assert stored_value(STEM, "format_count(ds.total_params)") == "671B"
    assert ds.n_routed_experts / ds.n_active_experts == 32          # 256 / 8: not "sparsity 8"


def test_mixtral_total_and_active():
    mix = ie.get_model("mixtral-8x7b")
    assert mix.total_params == pytest.approx(47e9, rel=0.01)
    assert mix.active_params == pytest.approx(13e9, rel=0.01)
    assert stored_value(STEM, "format_count(mix.active_params)") == "12.9B"


def test_experts_read_at_32_tokens_by_hand():
    hand = 256 * (1 - (1 - 8 / 256) ** 32)          # eq. 22 per layer: 163.3
    assert hand == pytest.approx(163.3, abs=0.05)
    assert float(moe.expected_experts_read(256, 8, 32)) == pytest.approx(hand, rel=1e-12)
    assert stored_value(STEM, 'f"{float(moe.expected_experts_read(256, 8, 32)):.0f}"') == "163"


def test_folk_bstar_is_wrong_twice():
    # quoted: "sparsity 8" -> b* ~ 2,400; the arithmetic is 8 x 295.3 = 2,363
    assert 8 * B_DENSE == pytest.approx(2363, abs=1)
    assert float(moe_batching.naive_sparsity_optimal_batch("h100-sxm", 8)) == pytest.approx(8 * B_DENSE)
    # the right factor is total / active matmul weights (18.30), not 8 and not s = 32
    ratio = moe.total_to_active_ratio("deepseek-v3")
    assert ratio == pytest.approx(18.30, abs=0.01)
    b_ds = float(moe_batching.moe_optimal_batch("h100-sxm", "deepseek-v3"))
    assert b_ds == pytest.approx(B_DENSE * ratio, rel=1e-6)
    assert stored_value(STEM, 'f"{b_ds:,.0f}"') == "5,404"
    assert 8 * B_DENSE < 0.5 * b_ds                                   # "less than half"


def test_per_expert_condition_beside_the_layer_bstar():
    # Issue 14 item 12. Each routed expert gets b/s tokens and needs b*_dense of them:
    # b*_expert = 32 x 295.3 = 9,451 (DeepSeek-V3), 4 x 295.3 = 1,181 (Mixtral)
    assert float(moe_batching.per_expert_optimal_batch("h100-sxm", "deepseek-v3")) == pytest.approx(32 * B_DENSE)
    assert stored_value(STEM, "f\"{b_expert['DeepSeek-V3']:,.0f}\"") == f"{32 * B_DENSE:,.0f}" == "9,451"
    assert stored_value(STEM, "f\"{b_expert['Mixtral 8x7B']:,.0f}\"") == f"{4 * B_DENSE:,.0f}" == "1,181"
    # at the whole layer's b* an expert receives 5,404 / 32 = 169 tokens: memory-bound on its own
    share = 5403.7 / 32
    assert share < B_DENSE
    assert stored_value(STEM, "f\"{share_at_bstar['DeepSeek-V3']:.0f}\"") == f"{share:.0f}" == "169"
    assert float(roofline.dense_optimal_batch("h100-sxm")) == pytest.approx(B_DENSE)
