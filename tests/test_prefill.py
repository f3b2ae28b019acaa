"""The prefill pass: FLOPs by hand, memory-bound short prompts, compute-bound long ones."""

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import prefill

H100 = ie.get_accelerator("h100-sxm")

# Llama 3 70B by hand (models.py derives the same from the config):
# matmul weights = 80 x (2*8192*8192 + 2*8192*1024 + 3*8192*28672) + 128256*8192
L70_MATMUL = 80 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 128256 * 8192
L70_ATTN = 4 * 80 * 64 * 128           # attention FLOP per token of context


def test_prefill_flop_is_sum_of_per_token_flop():
    m = ie.get_model("llama-3-70b")
    for p in (1, 3, 257):
        expected = sum(float(m.flop_per_token(i)) for i in range(p))
        assert float(prefill.prefill_flop(m, p)) == pytest.approx(expected, rel=1e-12)
    # by hand, P = 3: 3 x 2N + a x (0 + 1 + 2)
    assert float(prefill.prefill_flop(m, 3)) == 6 * L70_MATMUL + 3 * L70_ATTN


def test_prefill_memory_bound_short_compute_bound_long():
    # a 16-token prompt only reads the weights once: 2 x 7,504,658,432 B / 3.35e12 (+ tiny KV write)
    t16 = float(prefill.prefill_seconds(H100, "llama-3-8b", 16))
    assert t16 == pytest.approx((2 * 7_504_658_432 + 16 * 131_072) / 3.35e12, rel=1e-12)
    p = 8192.0
    t = float(prefill.prefill_seconds(H100, "llama-3-8b", p))
    assert t == pytest.approx(float(prefill.prefill_flop("llama-3-8b", p)) / 989.4e12, rel=1e-12)
    assert float(prefill.prefill_mfu(H100, "llama-3-8b", p)) == pytest.approx(1.0)
    assert float(prefill.prefill_mfu(H100, "llama-3-8b", 16)) < 0.1


def test_prefill_time_monotone_in_prompt():
    t = prefill.prefill_seconds(H100, "llama-3-70b", np.logspace(0, 5, 50), weight_format="fp8", n_devices=2)
    assert np.all(np.diff(t) >= 0)

