"""Speculative decoding: expected tokens, Monte-Carlo acceptance, roofline step times, optimal gamma."""

import numpy as np
import pytest

import inferecon as ie
from inferecon.levers import speculative as sd
from inferecon.planning import planner
from inferecon.serving.roofline import decode_compute_seconds, decode_step_seconds


def test_expected_tokens_by_hand():
    # alpha=0.8, gamma=4: 1 + .8 + .64 + .512 + .4096 = 3.3616 (Leviathan eq. 1)
    assert float(sd.expected_tokens_per_step(0.8, 4)) == pytest.approx(3.3616, rel=1e-12)
    # alpha=0.5, gamma=2: 1 + .5 + .25 = 1.75
    assert float(sd.expected_tokens_per_step(0.5, 2)) == pytest.approx(1.75, rel=1e-12)


@pytest.mark.parametrize("gamma", [0, 1, 3, 8, 16])
def test_limits(gamma):
    # alpha -> 0: every draft rejected, one token (the target's own) per step
    assert float(sd.expected_tokens_per_step(0.0, gamma)) == pytest.approx(1.0, abs=1e-15)
    # alpha -> 1: all gamma drafts accepted plus the bonus token
    assert float(sd.expected_tokens_per_step(1 - 1e-9, gamma)) == pytest.approx(gamma + 1, rel=1e-6)


def test_no_speculation_is_one_token():
    assert np.allclose(sd.expected_tokens_per_step(np.linspace(0, 0.99, 7), 0), 1.0)


def test_monotone_in_alpha_and_gamma():
    a = np.linspace(0, 0.99, 50)
    e = sd.expected_tokens_per_step(a[:, None], np.arange(0, 10)[None, :])
    assert np.all(np.diff(e, axis=0) >= 0) and np.all(np.diff(e, axis=1) >= 0)


@pytest.mark.parametrize("alpha,gamma", [(0.8, 4), (0.6, 3), (0.9, 8), (0.3, 2)])
def test_monte_carlo_matches_formula_and_rejects_erdil_paper(alpha, gamma):
    # 200,000 simulated steps with a seeded rng; tolerance 4 standard errors of the mean
    x = sd.simulate_tokens_per_step(alpha, gamma, n_steps=200_000, seed=7)
    se = x.std(ddof=1) / np.sqrt(x.size)
    mean = x.mean()
    assert abs(mean - float(sd.expected_tokens_per_step(alpha, gamma))) < 4 * se
    # the simulation draws the bonus-token scheme; the convention without it (Erdil's paper)
    # differs by alpha^gamma, many standard errors
    paper = float(sd.erdil_paper_tokens_per_step(alpha, gamma))
    assert abs(mean - paper) > 10 * se
    assert float(sd.expected_tokens_per_step(alpha, gamma)) - paper == pytest.approx(alpha**gamma, rel=1e-9)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, float("nan")])
def test_bad_acceptance(bad):
    with pytest.raises(ValueError, match="acceptance"):
        sd.expected_tokens_per_step(bad, 4)


def test_bad_acceptance_message():
    with pytest.raises(ValueError, match=r"acceptance must lie in \[0, 1\), got 1.0"):
        sd.expected_tokens_per_step(1.0, 3)


@pytest.mark.parametrize("bad", [-1, 1.5])
def test_bad_draft_tokens(bad):
    with pytest.raises(ValueError, match="draft_tokens"):
        sd.expected_tokens_per_step(0.8, bad)


def test_verification_memory_bound_equals_plain_step():
    # b=1, no context, gamma=4 on H100: 5 tokens of arithmetic (5*2N/989e12 ~ 1e-14 N s) are far
    # below the weight read (2N/3.35e12 ~ 6e-13 N s), so verifying costs one plain step.
    t_v = sd.verification_step_seconds("h100-sxm", "llama-3-8b", 1, 4)
    t_p = decode_step_seconds("h100-sxm", "llama-3-8b", 1)
    assert float(t_v) == pytest.approx(float(t_p), rel=1e-12)
    # and that plain step is 2 bytes x matmul params / 3.35e12 B/s
    n = ie.get_model("llama-3-8b").matmul_params
    assert float(t_p) == pytest.approx(2 * n / 3.35e12, rel=1e-12)


def test_verification_compute_bound_scales_with_gamma_plus_one():
    # b=1024, gamma=3: 4096 tokens of arithmetic, compute-bound: time = 4096 * 2N / 989.4e12
    t_v = sd.verification_step_seconds("h100-sxm", "llama-3-8b", 1024, 3)
    n = ie.get_model("llama-3-8b").active_matmul_params
    assert float(t_v) == pytest.approx(4096 * 2 * n / 989.4e12, rel=1e-12)
    assert float(t_v) == pytest.approx(float(decode_compute_seconds("h100-sxm", "llama-3-8b", 4096)), rel=1e-12)


def test_verification_moe_reads_more_experts():
    # Mixtral at b=1: one token reads 2 of 8 experts per layer, five tokens read more
    t1 = sd.verification_step_seconds("h100-sxm", "mixtral-8x7b", 1, 0)
    t5 = sd.verification_step_seconds("h100-sxm", "mixtral-8x7b", 1, 4)
    assert float(t5) > 1.5 * float(t1)


def test_kv_read_once_per_sequence():
    # KV bytes do not grow with gamma: at b=1 and long context the pass stays memory-bound
    # and the difference between gamma=4 and gamma=0 is zero for a dense model
    a = sd.verification_step_seconds("h100-sxm", "llama-3-8b", 1, 4, 8000)
    b = sd.verification_step_seconds("h100-sxm", "llama-3-8b", 1, 0, 8000)
    assert float(a) == pytest.approx(float(b), rel=1e-12)


def test_speedup_reduces_to_leviathan_when_memory_bound():
    # At b=1, ctx=0 everything is memory-bound, so t_V = t_P and c = t_Q/t_P = N_8B/N_70B
    acc = planner.ideal_replica("h100-sxm", 8)
    c = ie.get_model("llama-3-8b").matmul_params / ie.get_model("llama-3-70b").matmul_params
    for gamma in (1, 3, 6):
        s = sd.speedup(acc, "llama-3-70b", "llama-3-8b", 1, 0.8, gamma)
        assert float(s) == pytest.approx(float(sd.leviathan_speedup(0.8, gamma, c)), rel=1e-12)


def test_cost_without_speculation_equals_plain_cost():
    b = np.array([1.0, 32.0, 128.0])   # 128 x 2,000 tokens of KV (34 GB) + 16 GB of weights fit on one H100
    t = decode_step_seconds("h100-sxm", "llama-3-8b", b, 2000)
    plain = ie.serving.costs.usd_per_million_tokens(t, b, 2.0)
    spec = sd.usd_per_million_tokens("h100-sxm", "llama-3-8b", "llama-3-8b", b, 0.8, 0, 2000)
    assert np.allclose(spec, plain, rtol=1e-12)


def test_optimal_gamma_matches_brute_force():
    acc = planner.ideal_replica("h100-sxm", 8)
    g, s = sd.optimal_draft_tokens(acc, "llama-3-70b", "llama-3-8b", 1, 0.8, max_draft_tokens=12)
    brute = [float(sd.speedup(acc, "llama-3-70b", "llama-3-8b", 1, 0.8, k)) for k in range(13)]
    assert float(g) == int(np.argmax(brute)) and float(s) == pytest.approx(max(brute), rel=1e-12)
    assert float(g) >= 1 and float(s) > 1.5


def test_speculation_does_not_pay_when_compute_bound():
    # Far above b*, every extra verified token costs full arithmetic: the best gamma is 0
    g, s = sd.optimal_draft_tokens("h100-sxm", "llama-3-8b", "llama-3-8b", 4096, 0.8)
    assert float(g) == 0 and float(s) == pytest.approx(1.0, rel=1e-12)


def test_optimal_gamma_vectorized_shapes():
    g, s = sd.optimal_draft_tokens("h100-sxm", "llama-3-8b", "llama-3-8b", np.array([1, 64, 4096]),
                                   np.array([[0.6], [0.9]]))
    assert g.shape == (2, 3) and s.shape == (2, 3)
    # speculation's best gain shrinks as the batch grows toward compute-bound
    assert np.all(np.diff(s, axis=1) <= 0)


def test_erdil_layer_latency_by_hand():
    # 4 x (6.8 us + 1.2 us x (sqrt(8) - 1) + 4 us) = 4 x 12.994 us = 51.98 us
    assert sd.erdil_layer_latency_seconds(8) == pytest.approx(4 * (6.8 + 1.2 * (8**0.5 - 1) + 4) * 1e-6, rel=1e-12)
    assert sd.erdil_layer_latency_seconds(1) == pytest.approx(16e-6, rel=1e-12)


def test_pareto_front_and_speed_at_cost_by_hand():
    speed = [10, 20, 15, 30, 5]
    cost = [1.0, 2.0, 3.0, 4.0, 0.5]
    s, c = sd.pareto_front(speed, cost)
    # (15, 3.0) is dominated by (20, 2.0); the rest trade speed for cost
    assert s.tolist() == [5, 10, 20, 30] and c.tolist() == [0.5, 1.0, 2.0, 4.0]
    assert sd.speed_at_cost(s, c, [0.4, 0.5, 2.5, 10]).tolist() == [0.0, 5.0, 20.0, 30.0]


def test_layer_latency_adds_per_pass():
    # gamma = 2: two draft passes (32 layers each) and one target pass (80 layers)
    acc = planner.ideal_replica("h100-sxm", 8)
    lam = 5e-5
    a = sd.speculative_step_seconds(acc, "llama-3-70b", "llama-3-8b", 4, 2, 1000, lam)
    b = sd.speculative_step_seconds(acc, "llama-3-70b", "llama-3-8b", 4, 2, 1000)
    assert float(a - b) == pytest.approx((2 * 32 + 80) * lam, rel=1e-9)


def test_fixed_cost_gain_at_least_one():
    acc = planner.ideal_replica("h100-sxm", 8)
    f = sd.frontier(acc, "llama-3-70b", "llama-3-8b", 0.8, 1000, np.arange(1.0, 513.0),
                    weight_format="int8", layer_latency_seconds=sd.erdil_layer_latency_seconds(8))
    c = np.geomspace(f.plain_cost.min(), f.plain_cost.max(), 20)
    gain = sd.fixed_cost_speed_gain(f, c)
    # gamma = 0 is inside the speculative sweep, so it can never be slower at equal cost
    assert np.all(gain >= 1 - 1e-12)
    # with Erdil's per-layer latency the gain for Llama 3 70B (8B draft, alpha 0.8) lies in
    # 1.4-2.0x, bracketing his +66%; without it the pure roofline gives more than 2x
    assert 1.4 < float(np.median(gain)) < 2.0
    f0 = sd.frontier(acc, "llama-3-70b", "llama-3-8b", 0.8, 1000, np.arange(1.0, 513.0), weight_format="int8")
    c0 = np.geomspace(f0.plain_cost.min(), f0.plain_cost.max(), 20)
    assert float(np.median(sd.fixed_cost_speed_gain(f0, c0))) > 2.0
