"""Quantization decisions: when INT8 halves the cost per token and when it does not."""

import numpy as np
import pytest

import inferecon as ie
from inferecon.levers import quantization as qz


def test_int8_halves_cost_when_weights_dominate():
    # Llama 3 8B, b=1, one token of context on H100: bytes = p N + 131,072, with p N ~ 1.5e10
    # (bf16) vs 7.5e9 (int8): ratio = (7.5e9 + 1.3e5)/(1.5e10 + 1.3e5) = 0.5 + 4e-6
    for scheme in ("w8a16", "w8a8"):
        assert float(qz.cost_ratio("h100-sxm", "llama-3-8b", 1, 1, scheme)) == pytest.approx(0.5, abs=1e-4)


def test_int8_buys_little_when_kv_dominates():
    # b=64 at 100k context: KV = 64 * 1e5 * 131,072 B = 8.4e11 B >> weights 1.5e10 B,
    # so halving the weights saves under 1%
    # (that much KV needs about 11 ideally sharded H100s; the ratio does not depend on the count)
    r = float(qz.cost_ratio("h100-sxm", "llama-3-8b", 64, 100_000, "w8a16", n_devices=16))
    n = ie.get_model("llama-3-8b").matmul_params
    kv = 64 * 1e5 * 131072
    assert r == pytest.approx((n + kv) / (2 * n + kv), rel=1e-12) and r > 0.99
    # quantizing the KV cache is what helps there: FP8 KV halves the dominant term
    assert float(qz.cost_ratio("h100-sxm", "llama-3-8b", 64, 100_000, "w8a8-kv8", n_devices=16)) < 0.51


def test_compute_bound_weight_only_saves_nothing_w8a8_halves():
    # b=4096, no context: compute-bound in both formats (b* ~ 295 in bf16, ~ 590 in int8)
    assert float(qz.cost_ratio("h100-sxm", "llama-3-8b", 4096, 0, "w8a16")) == pytest.approx(1.0, rel=1e-12)
    # W8A8 uses the INT8 rate: 989.4 / 1978.9 TFLOP/s
    assert float(qz.cost_ratio("h100-sxm", "llama-3-8b", 4096, 0, "w8a8")) == pytest.approx(989.4 / 1978.9, rel=1e-12)


def test_int4_weight_only_at_short_context():
    # int4-g128 stores 0.5 + 4/128 = 0.53125 bytes per weight: ratio 0.265625 at b = 1
    r = float(qz.cost_ratio("h100-sxm", "llama-3-8b", 1, 1, "w4a16"))
    assert r == pytest.approx(0.53125 / 2, abs=1e-4)


def test_ratio_between_half_and_one_on_a_grid():
    b = np.logspace(0, 3, 13)[:, None]
    ctx = np.logspace(0, 5, 11)[None, :]
    r = qz.cost_ratio("h100-sxm", "llama-3-8b", b, ctx, "w8a16", n_devices=256)  # enough HBM for b x ctx
    assert np.all(r >= 0.5 - 1e-12) and np.all(r <= 1 + 1e-12)
    # while memory-bound (b <= 64 here, far below b* ~ 295), more context never makes weight
    # quantization more valuable; at b = 1000 the ratio is 1 (compute-bound) until KV reads
    # take over, so it is not monotone there
    small = b[:, 0] <= 64
    assert np.all(np.diff(r[small], axis=1) >= -1e-12)
    assert r[-1, 0] == pytest.approx(1.0, rel=1e-12) and r[-1, 6] < 0.99


def test_kv_weight_crossover_context_by_hand():
    # b=1: 2 bytes * matmul params / 131,072 bytes per token
    n = ie.get_model("llama-3-8b").matmul_params
    assert float(qz.kv_weight_crossover_context("llama-3-8b", 1)) == pytest.approx(2 * n / 131072, rel=1e-12)
    assert float(qz.kv_weight_crossover_context("llama-3-8b", 64)) == pytest.approx(2 * n / 131072 / 64, rel=1e-12)


def test_capacity_doubles_with_fp8_kv():
    # same weights, half the KV bytes per token: floor(free / (l k/2)) vs floor(free / (l k))
    a = float(qz.capacity_batch("h100-sxm", "llama-3-8b", 4096, "w8a8"))
    b = float(qz.capacity_batch("h100-sxm", "llama-3-8b", 4096, "w8a8-kv8"))
    assert b in (2 * a, 2 * a + 1)


def test_70b_fits_one_h100_only_when_quantized():
    with pytest.raises(ValueError, match="weights in bf16 need 141 GB"):
        qz.capacity_batch("h100-sxm", "llama-3-70b", 1000, "bf16")
    # INT8: free = 0.9 x 81,559 MiB (85.521e9 B) - 70.554e9 = 6.415e9 B; a 1000-token sequence
    # holds 327.68 MB -> 19 (with "80 GB" read as 80e9 B it was 1.446e9 B -> 4)
    assert float(qz.capacity_batch("h100-sxm", "llama-3-70b", 1000, "w8a8")) == 19.0
    assert float(qz.capacity_batch("h100-sxm", "llama-3-70b", 1000, "w4a16")) > 50


def test_published_quality_values():
    # AWQ Table 4 (Lin et al. 2024): Llama-2-70B WikiText-2 PPL 3.32 -> 3.41 (AWQ), 3.42 (GPTQ)
    r = qz.quality_cost("AWQ", "Llama-2-70B", "W4A16 g128")
    assert (r.baseline, r.quantized) == (3.32, 3.41)
    assert r.relative_increase == pytest.approx(0.09 / 3.32, rel=1e-12)
    # the table's claim: AWQ at or below GPTQ and RTN on every Llama-2 row
    for model in ("Llama-2-7B", "Llama-2-13B", "Llama-2-70B"):
        for scheme in ("W4A16 g128", "W3A16 g128"):
            awq = qz.quality_cost("AWQ", model, scheme).quantized
            assert awq <= qz.quality_cost("GPTQ", model, scheme).quantized
            assert awq <= qz.quality_cost("RTN", model, scheme).quantized
    # at 4 bits every method costs under 5% perplexity on Llama-2-70B; at 3 bits RTN costs ~20%
    assert qz.quality_cost("RTN", "Llama-2-70B", "W4A16 g128").relative_increase < 0.05
    assert qz.quality_cost("RTN", "Llama-2-70B", "W3A16 g128").relative_increase > 0.19


def test_unknown_lookups():
    with pytest.raises(ValueError, match="available: AWQ / Llama-2-13B"):
        qz.quality_cost("QuIP", "Llama-2-7B", "W2")
    with pytest.raises(ValueError, match="unknown quantization scheme 'int3'; valid ids are"):
        qz.get_scheme("int3")


def test_format_table_rows():
    rows = qz.format_table("h100-sxm", "llama-3-8b", 2000)
    by = {r.scheme: r for r in rows}
    assert by["bf16"].weights_gb == pytest.approx(2 * 8.030261248, rel=1e-9)
    assert by["w8a8-kv8"].max_batch > by["w8a8"].max_batch > by["bf16"].max_batch
    rows = qz.format_table("h100-sxm", "llama-3-70b", 2000, schemes=("bf16", "w4a16"))
    assert rows[0].usd_per_million_tokens is None and rows[1].usd_per_million_tokens > 0
