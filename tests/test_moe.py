"""Mixture of experts: eq. 22 against exact enumeration, parameter splits, b* for MoE."""

from __future__ import annotations

import itertools
import math
import numpy as np
import pytest

import inferecon as ie
from inferecon import moe, roofline


def _enumerated_mean_experts(n: int, k: int, b: int) -> float:
    """Average distinct experts over every routing: each token picks one of the C(n, k) expert sets."""
    subsets = list(itertools.combinations(range(n), k))
    total = 0
    count = 0
    for routing in itertools.product(subsets, repeat=b):
        total += len(set().union(*routing))
        count += 1
    return total / count


@pytest.mark.parametrize("n,k,b", [(2, 1, 2), (4, 1, 3), (4, 2, 1), (4, 2, 3), (5, 2, 3), (6, 3, 2),
                                   (8, 2, 3), (6, 1, 5)])
def test_eq22_is_exact_for_uniform_independent_routing(n, k, b):
    exact = _enumerated_mean_experts(n, k, b)
    assert float(moe.expected_experts_read(n, k, b)) == pytest.approx(exact, rel=1e-12)
    # and the fraction form used for the parameter count
    assert float(moe.expert_read_fraction(n / k, b)) == pytest.approx(exact / n, rel=1e-12)


def test_eq22_is_not_the_with_replacement_model():
    # One token with k = 2 distinct experts out of 4 reads exactly 2 experts (enumeration);
    # k independent draws *with* replacement would give 4 * (1 - (3/4)**2) = 1.75.
    assert _enumerated_mean_experts(4, 2, 1) == 2.0
    assert float(moe.expected_experts_read(4, 2, 1)) == pytest.approx(2.0, rel=1e-12)
    assert float(moe.expected_experts_read(4, 2, 1)) != pytest.approx(1.75, rel=1e-3)


def test_expected_experts_hand_values():
    # two tokens, 1 of 2 experts: 2 * (1 - 1/2**2) = 1.5
    assert float(moe.expected_experts_read(2, 1, 2)) == pytest.approx(1.5)
    # DeepSeek-V3 MoE layer, 32 tokens: 256 * (1 - (31/32)**32) = 163.3 (hand: (31/32)**32 = 0.3621)
    assert float(moe.expected_experts_read(256, 8, 32)) == pytest.approx(256 * (1 - 0.3621), rel=1e-3)


def test_read_fraction_limits_and_monotonicity():
    b = np.arange(1, 1000)
    f = moe.expert_read_fraction(32, b)
    assert f[0] == pytest.approx(1 / 32)
    # (31/32)**999 = 1.8e-14: still below 1 in double precision
    assert np.all(np.diff(f) > 0) and f[-1] < 1 and f[-1] > 1 - 1e-13
    assert float(moe.expert_read_fraction(1, 7)) == 1.0   # dense: everything is read


def test_param_split_adds_up():
    for mid in ("mixtral-8x7b", "deepseek-v3"):
        m = ie.get_model(mid)
        ps = moe.param_split(m)
        assert ps.total == pytest.approx(m.matmul_params, rel=1e-15)
        assert ps.active == pytest.approx(m.active_matmul_params, rel=1e-15)
        assert ps.always_read == pytest.approx(m.dense_matmul_params, rel=1e-15)


def test_deepseek_v3_split_by_hand():
    ps = moe.param_split("deepseek-v3")
    # routed: 58 MoE layers x 256 experts x 3 x 7168 x 2048 = 653,908,770,816
    assert ps.routed == 58 * 256 * 3 * 7168 * 2048 == 653_908_770_816
    # shared: 58 x 1 x 3 x 7168 x 2048; dense FFN: 3 layers x 3 x 7168 x 18432
    assert ps.shared_experts == 58 * 3 * 7168 * 2048
    assert ps.dense_ffn == 3 * 3 * 7168 * 18432
    # published: 671B total, 37B activated (DeepSeek-AI 2024); ours counts embeddings separately
    m = ie.get_model("deepseek-v3")
    assert m.total_params == pytest.approx(671e9, rel=0.005)
    assert m.active_params == pytest.approx(37e9, rel=0.03)


def test_params_read_at_batch_one_equals_active():
    for mid in ("mixtral-8x7b", "deepseek-v3"):
        m = ie.get_model(mid)
        # eq. 22 with b = 1: N_always + N_routed / s = N_active
        assert float(moe.params_read_per_step(m, 1)) == pytest.approx(m.active_matmul_params, rel=1e-12)
        big = float(moe.params_read_per_step(m, 1e6))
        assert big == pytest.approx(m.matmul_params, rel=1e-9)


def test_total_to_active_ratio_by_hand():
    # Mixtral: routed 32 x 8 x 3 x 4096 x 14336 = 45,097,156,608; a token uses 2 of 8
    m = ie.get_model("mixtral-8x7b")
    always = m.matmul_params - 45_097_156_608
    assert moe.total_to_active_ratio(m) == pytest.approx(
        (always + 45_097_156_608) / (always + 45_097_156_608 / 4), rel=1e-12)
    assert 3.6 < moe.total_to_active_ratio(m) < 3.7
    assert 18.2 < moe.total_to_active_ratio("deepseek-v3") < 18.4


def test_moe_optimal_batch_balances_the_roofline():
    for mid in ("mixtral-8x7b", "deepseek-v3"):
        b = float(moe.moe_optimal_batch("h100-sxm", mid))
        mem = float(roofline.decode_memory_seconds("h100-sxm", mid, b))
        comp = float(roofline.decode_compute_seconds("h100-sxm", mid, b))
        assert mem == pytest.approx(comp, rel=1e-9)


def test_moe_optimal_batch_dense_and_rule():
    # dense: b* = 2 x 989.4e12 / (2 x 3.35e12) = 295.34 on H100 SXM in bf16
    assert float(moe.moe_optimal_batch("h100-sxm", "llama-3-70b")) == pytest.approx(295.34, rel=1e-4)
    # DeepSeek-V3: b* >> s = 32, so every expert is read at b* and the rule is exact:
    # 295.34 x 670.10 / 36.62 = 5,404
    exact = float(moe.moe_optimal_batch("h100-sxm", "deepseek-v3"))
    assert exact == pytest.approx(5404, rel=1e-3)
    assert exact == pytest.approx(float(moe.sparsity_rule_optimal_batch("h100-sxm", "deepseek-v3")), rel=1e-6)
    # the folk "sparsity 8" figure, 295.34 x 8 = 2,363, is off by more than 2x
    naive = float(moe.naive_sparsity_optimal_batch("h100-sxm", 8))
    assert naive == pytest.approx(2362.7, rel=1e-3)
    assert exact / naive > 2.2


def test_rule_overestimates_when_b_star_is_near_s():
    # With a dense b* of about 1.5 (0.5% of the H100's FLOP/s usable), Mixtral's b* is a few
    # tokens, comparable to s = 4: not every expert is read at b*, so the exact root lies
    # strictly between the dense b* and the all-experts rule 1.48 x 3.65 = 5.4.
    kw = dict(flop_utilization=0.005)
    exact = float(moe.moe_optimal_batch("h100-sxm", "mixtral-8x7b", **kw))
    rule = float(moe.sparsity_rule_optimal_batch("h100-sxm", "mixtral-8x7b", **kw))
    dense = float(roofline.dense_optimal_batch("h100-sxm", **kw))
    assert dense == pytest.approx(295.34 * 0.005, rel=1e-4)
    assert dense < exact < rule
    assert rule / exact > 1.05
    # ... and at the root memory and arithmetic times still agree
    mem = float(roofline.decode_memory_seconds("h100-sxm", "mixtral-8x7b", exact))
    comp = float(roofline.decode_compute_seconds("h100-sxm", "mixtral-8x7b", exact, **kw))
    assert mem == pytest.approx(comp, rel=1e-9)


def test_dense_counterparts():
    for mid in ("mixtral-8x7b", "deepseek-v3"):
        m = ie.get_model(mid)
        act, tot = moe.dense_counterpart(m, "active"), moe.dense_counterpart(m, "total")
        assert not act.is_moe and not tot.is_moe
        assert act.matmul_params == pytest.approx(m.active_matmul_params, rel=1e-4)
        assert tot.matmul_params == pytest.approx(m.matmul_params, rel=1e-4)
        assert act.kv_elements_per_token == m.kv_elements_per_token
    # Mixtral: two experts of width 14336 per layer = one dense FFN of width 28,672 (+ router)
    assert abs(moe.dense_counterpart("mixtral-8x7b", "active").d_ff - 28_672) <= 4


@pytest.mark.parametrize("call,match", [
    (lambda: moe.expected_experts_read(4, 5, 1), "n_active must be <= n_experts"),
    (lambda: moe.expert_read_fraction(0.5, 3), "sparsity must be >= 1"),
    (lambda: moe.expert_read_fraction(4, 0), "batch_tokens must be >= 1"),
    (lambda: moe.dense_counterpart("llama-3-70b"), "already dense"),
    (lambda: moe.dense_counterpart("mixtral-8x7b", "half"), "match must be 'active' or 'total'"),
    (lambda: moe.moe_optimal_batch("h100-sxm", "deepseek-v3", flop_utilization=1.5), "flop_utilization must lie in"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ch5_answers_by_hand():
    from inferecon.exercises import check
    # ch5-ex2: 256 x (1 - (31/32)**32) = 163.3
    assert check("ch5-ex2", 256 * (1 - (31 / 32) ** 32)).correct
    # ch5-ex3: batch where half of a DeepSeek-V3 layer's experts are read: ln 2 / -ln(31/32) = 21.83
    assert check("ch5-ex3", math.log(2) / -math.log(31 / 32)).correct
    # ch5-ex4: DeepSeek-V3 b* on an H100 (datasheet, bf16): 295.34 x 18.296 = 5,404
    assert check("ch5-ex4", 5404).correct
    # ch5-ex5: Mixtral b* on an H100: 295.34 x 3.653 = 1,079
    assert check("ch5-ex5", 1079).correct
