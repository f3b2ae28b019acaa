"""Mixture of experts: eq. 22 against exact enumeration, parameter splits, b* for MoE."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import moe, moe_batching, roofline


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
        b = float(moe_batching.moe_optimal_batch("h100-sxm", mid))
        mem = float(roofline.decode_memory_seconds("h100-sxm", mid, b))
        comp = float(roofline.decode_compute_seconds("h100-sxm", mid, b))
        assert mem == pytest.approx(comp, rel=1e-9)


def test_moe_optimal_batch_dense_and_rule():
    # dense: b* = 2 x 989.4e12 / (2 x 3.35e12) = 295.34 on H100 SXM in bf16
    assert float(moe_batching.moe_optimal_batch("h100-sxm", "llama-3-70b")) == pytest.approx(295.34, rel=1e-4)
    # DeepSeek-V3: b* >> s = 32, so every expert is read at b* and the rule is exact:
    # 295.34 x 670.10 / 36.62 = 5,404
    exact = float(moe_batching.moe_optimal_batch("h100-sxm", "deepseek-v3"))
    assert exact == pytest.approx(5404, rel=1e-3)
    assert exact == pytest.approx(float(moe_batching.sparsity_rule_optimal_batch("h100-sxm", "deepseek-v3")), rel=1e-6)
    # the folk "sparsity 8" figure, 295.34 x 8 = 2,363, is off by more than 2x
    naive = float(moe_batching.naive_sparsity_optimal_batch("h100-sxm", 8))
    assert naive == pytest.approx(2362.7, rel=1e-3)
    assert exact / naive > 2.2


def test_rule_overestimates_when_b_star_is_near_s():
    # With a dense b* of about 1.5 (0.5% of the H100's FLOP/s usable), Mixtral's b* is a few
    # tokens, comparable to s = 4: not every expert is read at b*, so the exact root lies
    # strictly between the dense b* and the all-experts rule 1.48 x 3.65 = 5.4.
    kw = dict(flop_utilization=0.005)
    exact = float(moe_batching.moe_optimal_batch("h100-sxm", "mixtral-8x7b", **kw))
    rule = float(moe_batching.sparsity_rule_optimal_batch("h100-sxm", "mixtral-8x7b", **kw))
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
        act, tot = moe_batching.dense_counterpart(m, "active"), moe_batching.dense_counterpart(m, "total")
        assert not act.is_moe and not tot.is_moe
        assert act.matmul_params == pytest.approx(m.active_matmul_params, rel=1e-4)
        assert tot.matmul_params == pytest.approx(m.matmul_params, rel=1e-4)
        assert act.kv_elements_per_token == m.kv_elements_per_token
    # Mixtral: two experts of width 14336 per layer = one dense FFN of width 28,672 (+ router)
    assert abs(moe_batching.dense_counterpart("mixtral-8x7b", "active").d_ff - 28_672) <= 4


@pytest.mark.parametrize("call,match", [
    (lambda: moe.expected_experts_read(4, 5, 1), "n_active must be <= n_experts"),
    (lambda: moe.expert_read_fraction(0.5, 3), "sparsity must be >= 1"),
    (lambda: moe.expert_read_fraction(4, 0), "batch_tokens must be >= 1"),
    (lambda: moe_batching.dense_counterpart("llama-3-70b"), "already dense"),
    (lambda: moe_batching.dense_counterpart("mixtral-8x7b", "half"), "match must be 'active' or 'total'"),
    (lambda: moe_batching.moe_optimal_batch("h100-sxm", "deepseek-v3", flop_utilization=1.5), "flop_utilization must lie in"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ per-expert batching condition
def test_tokens_per_expert_by_hand():
    # 320 tokens x 8 experts each / 256 experts = 10 tokens per expert
    assert float(moe.tokens_per_expert(256, 8, 320)) == pytest.approx(10.0)
    assert float(moe.tokens_per_expert(8, 2, 100)) == pytest.approx(25.0)
    # every token-slot lands on some expert: n x E[t_e] = b k
    b = np.array([1.0, 17.0, 4096.0])
    assert np.allclose(256 * moe.tokens_per_expert(256, 8, b), 8 * b)
    with pytest.raises(ValueError, match="n_active must be <= n_experts"):
        moe.tokens_per_expert(8, 9, 10)


def test_tokens_per_expert_by_enumeration():
    # 8 experts, 2 per token, 3 tokens: mean tokens routed to expert 0 over all 28^3 routings
    subsets = list(itertools.combinations(range(8), 2))
    mean = np.mean([sum(0 in s for s in r) for r in itertools.product(subsets, repeat=3)])
    assert mean == pytest.approx(float(moe.tokens_per_expert(8, 2, 3)))


def test_per_expert_optimal_batch_by_hand():
    # H100 bf16 datasheet: 989.4e12 FLOP/s, 3.35e12 B/s -> dense b* = 2 x 989.4e12 / (2 x 3.35e12) = 295.3
    acc = ie.get_accelerator("h100-sxm")
    dense = 2 * acc.peak_flop_per_s("bf16") / (2 * acc.hbm_bytes_per_s)
    assert float(moe_batching.per_expert_optimal_batch(acc, "deepseek-v3")) == pytest.approx(32 * dense)
    assert float(moe_batching.per_expert_optimal_batch(acc, "mixtral-8x7b")) == pytest.approx(4 * dense)
    # a dense model: s = 1, the dense b*
    assert float(moe_batching.per_expert_optimal_batch(acc, "llama-3-70b")) == pytest.approx(dense)
    # it equals the folk rule with the routed sparsity, and caps scale it like the dense b*
    assert float(moe_batching.per_expert_optimal_batch(acc, "deepseek-v3", flop_utilization=0.7, bandwidth_utilization=0.75)) \
        == pytest.approx(float(moe_batching.naive_sparsity_optimal_batch(acc, 32, flop_utilization=0.7,
                                                                bandwidth_utilization=0.75)))


@pytest.mark.parametrize("acc_id", ["h100-sxm", "a100-80gb-sxm", "h200-sxm"])
@pytest.mark.parametrize("model_id", ["deepseek-v3", "mixtral-8x7b"])
def test_per_expert_batch_exceeds_the_layer_bstar(acc_id, model_id):
    # N_total/N_active < s whenever weights are always read, so b*_expert > b*_MoE, and at the
    # layer's b* each expert's share b*/s is below the dense threshold (memory-bound on its own)
    per_expert = float(moe_batching.per_expert_optimal_batch(acc_id, model_id))
    layer = float(moe_batching.moe_optimal_batch(acc_id, model_id))
    m = ie.get_model(model_id)
    assert per_expert > layer
    share = float(moe.tokens_per_expert(m.n_routed_experts, m.n_active_experts, layer))
    assert share < float(roofline.dense_optimal_batch(acc_id))
    assert per_expert / layer == pytest.approx(m.sparsity / moe.total_to_active_ratio(m), rel=1e-3)


def test_per_expert_symbolic_vs_numeric():
    import sympy as sp

    from inferecon.symbolic import moe as sm
    from inferecon.symbolic.roofline import B, C, b, p_w, u_B, u_C
    f = sp.lambdify((sm.s, p_w, C, B, u_C, u_B), sm.per_expert_optimal_batch())
    for acc_id in ("h100-sxm", "a100-80gb-sxm"):
        acc = ie.get_accelerator(acc_id)
        for model_id in ("deepseek-v3", "mixtral-8x7b"):
            for uc, ub in ((1.0, 1.0), (0.7, 0.75)):
                m = ie.get_model(model_id)
                sym = f(m.sparsity, 2.0, acc.peak_flop_per_s("bf16"), acc.hbm_bytes_per_s, uc, ub)
                num = float(moe_batching.per_expert_optimal_batch(acc, m, flop_utilization=uc, bandwidth_utilization=ub))
                assert sym == pytest.approx(num, rel=1e-12)
    # the condition balances one expert's own roofline, whatever its size N_e
    cond = sm.per_expert_condition()
    root = sm.per_expert_optimal_batch()
    assert sp.simplify((cond.lhs - cond.rhs).subs(b, root)) == 0
    assert sm.N_e not in root.free_symbols
    g = sp.lambdify((b, sm.s), sm.expert_tokens())
    assert g(320.0, 32.0) == pytest.approx(float(moe.tokens_per_expert(256, 8, 320)))


def test_sparsity_given_as_an_active_fraction_is_refused():
    # Mixtral routes 2 of 8 experts: s = 4, not the fraction 0.25
    with pytest.raises(ValueError, match=r"sparsity must be >= 1 .* an active fraction k/n = 0.25 is sparsity 4"):
        moe.expert_read_fraction(0.25, 4)
    assert float(moe.expert_read_fraction(4, 1)) == pytest.approx(0.25)
