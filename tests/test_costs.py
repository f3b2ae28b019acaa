"""Dollars per token: hand-worked values, the 1/b law, published anchors, the seed table."""

import dataclasses

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import costs, memory
from inferecon.serving import roofline as rl

H100 = ie.get_accelerator("h100-sxm")
A100 = ie.get_accelerator("a100-80gb-sxm")
L8_MATMUL = 7_504_658_432          # Llama 3 8B matmul weights (32 layers + unembedding)
# Llama 2 7B by hand: 32 x (4 x 4096^2 + 3 x 4096 x 11008) + 32000 x 4096
L2_7B_MATMUL = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008) + 32000 * 4096


def test_usd_per_million_tokens_by_hand():
    # 10 tokens per 0.01 s step at $3.60/h: 1e6 x 0.01/10 x 3.6/3600 = $1.00
    assert float(costs.usd_per_million_tokens(0.01, 10, 3.6)) == pytest.approx(1.0, rel=1e-12)
    assert float(costs.usd_per_million_tokens(0.01, 10, 3.6, n_devices=8)) == pytest.approx(8.0, rel=1e-12)
    assert float(costs.tokens_per_second(0.01, 10)) == pytest.approx(1000.0)


def test_monthly_usd():
    # 365/12 days x 24 h = 730 h; one A100 at $1.50/h = $1,095
    assert float(costs.monthly_usd(1.5)) == pytest.approx(1095.0, rel=1e-12)
    assert float(costs.monthly_usd(2.0, 8)) == pytest.approx(8 * 2.0 * 730, rel=1e-12)


def test_model_flop_utilization_erdil_intro():
    # Erdil's opening example: 70 tok/s per user, 15% utilization, 8 x H100, 2 x 69.5e9 FLOP/token
    flop = 2 * 69_501_714_432
    one = float(costs.model_flop_utilization(70.0, flop, 989.4e12, 8))
    assert one == pytest.approx(70 * flop / (8 * 989.4e12), rel=1e-12)
    assert 0.15 / one == pytest.approx(122.0, abs=0.5)      # the batch behind the example


def test_decode_cost_batch1_llama3_8b_h100_by_hand():
    # memory-bound: t = 2 x 7,504,658,432 / 3.35e12 = 4.4804 ms; $/M = 1e6 x t x 2.00/3600 = $2.489
    t = 2 * L8_MATMUL / 3.35e12
    assert float(costs.decode_usd_per_million_tokens(H100, "llama-3-8b", 1)) == pytest.approx(
        1e6 * t * 2.0 / 3600, rel=1e-12)


def test_cost_falls_as_one_over_b_while_memory_bound_then_flat():
    b_star = float(ie.dense_optimal_batch(H100))
    below = np.array([1.0, 2.0, 10.0, 100.0, 290.0])
    c = costs.decode_usd_per_million_tokens(H100, "llama-3-8b", below)
    np.testing.assert_allclose(c * below, c[0] * below[0], rtol=1e-12)      # c ~ 1/b
    above = np.array([300.0, 1000.0, 5000.0])
    ca = costs.decode_usd_per_million_tokens(H100, "llama-3-8b", above)
    # flat at the arithmetic floor 1e6 x 2N/C x price/3600
    np.testing.assert_allclose(ca, 1e6 * 2 * L8_MATMUL / 989.4e12 * 2.0 / 3600, rtol=1e-12)
    assert b_star > below[-1] and b_star < above[0]


def test_cost_is_linear_in_price():
    c1 = costs.decode_usd_per_million_tokens(A100, "llama-3-8b", 32, 1024, price_usd_per_hour=1.0)
    c3 = costs.decode_usd_per_million_tokens(A100, "llama-3-8b", 32, 1024, price_usd_per_hour=3.0)
    assert float(c3) == pytest.approx(3 * float(c1), rel=1e-12)
    # default price is the catalogue's ($1.50/h for the A100, Erdil)
    c = costs.decode_usd_per_million_tokens(A100, "llama-3-8b", 32, 1024)
    assert float(c) == pytest.approx(1.5 * float(c1), rel=1e-12)


def test_erdil_compute_floor_llama3_70b():
    # "at 100% utilization ... about $0.11/M": 2N / (0.7 x 989.4e12) x $2/h -> $0.1115 (70% FLOP cap)
    floor = float(costs.decode_floor_usd_per_million_tokens(H100, "llama-3-70b", flop_utilization=0.7))
    assert floor == pytest.approx(1e6 * 2 * 69_501_714_432 / (0.7 * 989.4e12) * 2.0 / 3600, rel=1e-12)
    assert floor == pytest.approx(0.11, rel=0.03)


def test_erdil_kv_floor_mistral_large_2():
    # Erdil 4: 36 GB KV per token at 100K; 36 PB / 3.3 TB/s x $2/h = $6.06 per million tokens
    erdil_h100 = dataclasses.replace(H100, hbm_bytes_per_s=3.3e12)
    floor = float(costs.decode_floor_usd_per_million_tokens(erdil_h100, rl.MISTRAL_LARGE_2, 100_000,
                                                            price_usd_per_hour=2.0))
    assert floor == pytest.approx(1e6 * 100_000 * 360_448 / 3.3e12 * 2.0 / 3600, rel=1e-12)  # 6.068
    assert floor == pytest.approx(6.06, rel=3e-3)
    assert 36e15 / 3.3e12 / 3600 * 2.0 == pytest.approx(6.06, abs=0.005)   # his arithmetic is right


def test_floor_is_the_large_batch_limit():
    ctx = 2048.0
    floor = float(costs.decode_floor_usd_per_million_tokens(H100, "llama-3-70b", ctx, weight_format="fp8"))
    # a billion sequences fit only on ~10^7 ideally sharded devices; $/M does not depend on the device count
    big = float(costs.decode_usd_per_million_tokens(H100, "llama-3-70b", 1e9, ctx, weight_format="fp8", n_devices=10**8))
    assert big == pytest.approx(floor, rel=1e-6)
    small = costs.decode_usd_per_million_tokens(H100, "llama-3-70b", [1.0, 10.0, 100.0], ctx, weight_format="fp8",
                                             n_devices=4)
    assert np.all(small > floor) and np.all(np.diff(small) < 0)


def test_prefill_cost_per_token_compute_bound():
    # long prompt, compute-bound: $/M = 1e6 x F_prefill(P)/P / C x price/3600
    p = 4096.0
    f = 2 * L8_MATMUL * p + 4 * 32 * 32 * 128 * p * (p - 1) / 2
    c = float(costs.prefill_usd_per_million_tokens(H100, "llama-3-8b", p))
    assert c == pytest.approx(1e6 * f / p / 989.4e12 * 2.0 / 3600, rel=1e-12)
    # input tokens are cheaper than batch-1 output tokens by orders of magnitude
    assert c < float(costs.decode_usd_per_million_tokens(H100, "llama-3-8b", 1, p)) / 100


def test_decode_economics_consistent():
    b = np.array([1.0, 64.0, 1024.0])
    e = costs.decode_economics(H100, "llama-3-8b", b, 0.0)
    np.testing.assert_allclose(e.tokens_per_second, b / e.step_seconds, rtol=1e-12)
    np.testing.assert_allclose(e.tokens_per_second_per_sequence, 1 / e.step_seconds, rtol=1e-12)
    np.testing.assert_allclose(e.step_seconds, np.maximum(e.memory_seconds, e.compute_seconds))
    np.testing.assert_allclose(e.usd_per_million_tokens,
                               costs.decode_usd_per_million_tokens(H100, "llama-3-8b", b), rtol=1e-12)
    assert list(e.bound) == ["memory", "memory", "compute"]
    np.testing.assert_allclose(e.mfu[:2], b[:2] / float(ie.dense_optimal_batch(H100)), rtol=1e-12)


def test_seed_001_batch1_corrected():
    # The seed's table: 143 tok/s = B/(pN) with B = 2.0 TB/s, p = 2, N = 7e9; its formula B/(2pN)
    # gives half. The package: 2039e9 / (2 x 6,607,077,376) = 154.3 tok/s for the Llama 2 7B shape.
    assert 2.0e12 / (2 * 7e9) == pytest.approx(143, abs=0.5)
    e = costs.decode_economics(A100, rl.LLAMA_2_7B, 1)
    assert rl.LLAMA_2_7B.matmul_params == L2_7B_MATMUL
    assert float(e.tokens_per_second) == pytest.approx(2039e9 / (2 * L2_7B_MATMUL), rel=1e-12)
    # $1.50/h: 1e6 / 154.3 / 3600 x 1.5 = $2.70 per million
    assert float(e.usd_per_million_tokens) == pytest.approx(1e6 / (2039e9 / (2 * L2_7B_MATMUL)) / 3600 * 1.5,
                                                            rel=1e-12)


def test_seed_001_prose_figures_are_impossible():
    # "143,000 tokens per second": above the A100's arithmetic ceiling C/(2N) = 23,611 tok/s
    ceiling = float(costs.decode_economics(A100, rl.LLAMA_2_7B, 1e7).tokens_per_second)
    assert ceiling == pytest.approx(312e12 / (2 * L2_7B_MATMUL), rel=1e-6)
    assert 143_000 > 6 * ceiling
    # 143,000 tok/s at $1.50/h would cost less than the arithmetic floor
    floor = float(costs.decode_floor_usd_per_million_tokens(A100, rl.LLAMA_2_7B))
    assert float(costs.usd_per_million_tokens(1 / 143_000, 1, 1.5)) < floor


def test_seed_70b_needs_int8_or_two_gpus():
    with pytest.raises(ValueError, match="Llama 2 70B weights in bf16 need 138 GB"):
        memory.max_batch(A100, rl.LLAMA_2_70B, 2048)
    assert float(memory.max_batch(A100, rl.LLAMA_2_70B, 2048, weight_format="int8")) >= 1
    assert float(memory.max_batch(A100, rl.LLAMA_2_70B, 2048, n_devices=2)) >= 1


@pytest.mark.parametrize("call,match", [
    (lambda: costs.usd_per_million_tokens(0.01, 1, -1.0), r"price_usd_per_hour must be > 0"),
    (lambda: costs.usd_per_million_tokens(0.0, 1, 1.0), r"step_seconds must be > 0"),
    (lambda: costs.tokens_per_second(0.01, 0.5), r"batch must be >= 1"),
    (lambda: costs.model_flop_utilization(10, 0, 1e15), r"flop_per_token must be > 0"),
    (lambda: costs.monthly_usd(2.0, 0), r"n_devices must be >= 1"),
    (lambda: costs.decode_usd_per_million_tokens(H100, "llama-3-8b", 1, price_usd_per_hour=0),
     r"price_usd_per_hour must be > 0"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_an_impossible_speed_is_refused_not_given_an_mfu():
    # 1e6 tokens/s of Llama 3 70B (1.41e11 FLOP/token) on one 1e15 FLOP/s device: 141 x the peak
    with pytest.raises(ValueError, match=r"tokens_per_second is impossible: it needs 141 times"):
        costs.model_flop_utilization(1e6, 1.41e11, 1e15)
    assert float(costs.model_flop_utilization(1e3, 1.41e11, 1e15)) == pytest.approx(0.141)


def test_economics_of_a_configuration_that_does_not_fit():
    e = costs.decode_economics(H100, "llama-3-70b", [1, 64])   # 141 GB of bf16 weights, 77 GB usable
    assert e.bound.tolist() == ["capacity", "capacity"] and not e.fits.any()
    assert np.all(np.isinf(e.usd_per_million_tokens)) and np.all(e.tokens_per_second == 0)
    with pytest.raises(ValueError, match="Llama 3 70B does not fit on 1 x H100 SXM"):
        costs.decode_usd_per_million_tokens(H100, "llama-3-70b", 1)
