"""What fits in HBM and what the KV cache costs: bytes, capacity, KV intensity; hand-worked and published values."""

import numpy as np
import pytest

import inferecon as ie
from inferecon.serving import memory
from inferecon.serving import roofline as rl

H100 = ie.get_accelerator("h100-sxm")

# Llama 3 70B by hand (models.py derives the same from the config):
# matmul weights = 80 x (2*8192*8192 + 2*8192*1024 + 3*8192*28672) + 128256*8192
L70_MATMUL = 80 * (2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 128256 * 8192
L70_KV = 2 * 8 * 128 * 80 * 2          # 327,680 B per token in bf16
L70_ATTN = 4 * 80 * 64 * 128           # attention FLOP per token of context
L70_TOTAL = 70_553_706_496             # every parameter (test_models checks it)


# ------------------------------------------------------------------- memory capacity

def test_kv_cache_and_weight_bytes_by_hand():
    assert float(memory.kv_cache_bytes("llama-3-70b", 1000, 4)) == 4 * 1000 * L70_KV
    assert float(memory.kv_cache_bytes("llama-3-8b", 1)) == 131_072
    assert memory.weight_bytes("llama-3-70b", "fp8") == L70_TOTAL
    assert memory.weight_bytes("llama-3-70b", "int4-g128") == pytest.approx(L70_TOTAL * 0.53125)



def test_kv_bytes_llama3_bf16():
    assert float(ie.get_model("llama-3-70b").kv_bytes_per_token(2)) == 327_680
    assert float(ie.get_model("llama-3-8b").kv_bytes_per_token(2)) == 131_072


def test_max_batch_by_hand():
    # capacity as the H100 reports it: 81,559 MiB = 85,520,809,984 B; 90% usable by default
    usable = 0.9 * 81_559 * 2**20
    assert memory.USABLE_HBM_FRACTION == 0.9
    # (76.97e9 - 70,553,706,496) / (8192 x 163,840) = 4.78 -> 4 sequences (FP8 weights and KV)
    assert (usable - 70_553_706_496) / (8192 * 163_840) == pytest.approx(4.78, abs=0.01)
    b = memory.max_batch(H100, "llama-3-70b", 8192, weight_format="fp8", kv_format="fp8")
    assert float(b) == 4.0
    # bf16 KV doubles the per-sequence bytes: 2.39 -> 2
    assert float(memory.max_batch(H100, "llama-3-70b", 8192, weight_format="fp8")) == 2.0
    # two H100s hold the bf16 weights: (153.94e9 - 141.1e9) / (8192 x 327,680) = 4.78 -> 4
    assert float(memory.max_batch(H100, "llama-3-70b", 8192, n_devices=2)) == 4.0
    # all of HBM (hbm_fraction=1): (85.52e9 - 70.55e9) / (8192 x 163,840) = 11.15 -> 11
    assert float(memory.max_batch(H100, "llama-3-70b", 8192, weight_format="fp8", kv_format="fp8",
                              hbm_fraction=1.0)) == 11.0


def test_capacity_is_what_the_device_reports():
    # issue 14 item 1: the old catalogue stored "80 GB" as 80e9 B and understated the batch.
    # Llama 3 70B bf16 on 2 x H100 at 640 tokens, all HBM: (2 x 85.52e9 - 141.1e9) / (640 x 327,680)
    hand = (2 * 81_559 * 2**20 - 2 * 70_553_706_496) / (640 * 327_680)
    assert hand == pytest.approx(142.7, abs=0.1)
    assert float(memory.max_batch(H100, "llama-3-70b", 640, n_devices=2, hbm_fraction=1.0)) == 142.0
    assert (2 * 80e9 - 2 * 70_553_706_496) / (640 * 327_680) == pytest.approx(90.1, abs=0.1)  # the old figure


def test_max_batch_limits():
    b = memory.max_batch(H100, "llama-3-70b", [0.0, 1e6], weight_format="fp8")
    assert np.isinf(b[0])              # no context: only the weights
    assert b[1] == 0.0                 # a million-token sequence does not fit next to them
    caps = memory.max_batch(H100, "llama-3-8b", [1024, 4096, 16384])
    assert np.all(np.diff(caps) < 0)   # longer contexts fit fewer sequences


def test_max_batch_error_names_the_sizes():
    # 0.9 x 85.52e9 = 77.0 GB usable on one H100
    with pytest.raises(ValueError, match=r"Llama 3 70B weights in bf16 need 141 GB .* hold 77 GB \(hbm_fraction 0.9\)"):
        memory.max_batch(H100, "llama-3-70b", 8192)
    # an array of device counts: the message names the first one that fails (70.6 GB > 0.5 x 85.5 GB)
    with pytest.raises(ValueError, match=r"need 70.6 GB .* but 1 x H100 SXM hold 42.8 GB \(hbm_fraction 0.5\)"):
        memory.max_batch(H100, "llama-3-70b", 1024, weight_format="fp8", hbm_fraction=0.5, n_devices=[2, 1])
    # 2 x 70,553,706,496 B = 141.1 GB of bf16 weights: an H200 reports 143,771 MiB = 150.75e9 B,
    # so they fit in the device (93.6% of it) but not in vLLM's default 90% (135.7 GB)
    with pytest.raises(ValueError, match=r"need 141 GB .* 1 x H200 SXM hold 136 GB"):
        memory.max_batch("h200-sxm", "llama-3-70b", 0)
    assert np.isinf(memory.max_batch("h200-sxm", "llama-3-70b", 0, hbm_fraction=1.0))
    assert 2 * 70_553_706_496 / (143_771 * 2**20) == pytest.approx(0.936, abs=1e-3)


# ------------------------------------------- the KV cache's bandwidth against the weights

def test_gqa_intensity_is_2g_over_p():
    # Erdil 4.3: a/k = 2g/p; Llama 3 70B g = 8, bf16 -> 8 FLOP/B; MHA -> 1
    assert memory.kv_arithmetic_intensity("llama-3-70b") == pytest.approx(8.0)
    assert memory.kv_arithmetic_intensity("chinchilla-70b") == pytest.approx(1.0)
    assert memory.kv_arithmetic_intensity("palm-540b", "fp8") == pytest.approx(96.0)


def test_kv_bound_context_by_hand_and_bstar_infinite_beyond_it():
    # l_kv = (2N/C) / (k/B - a/C): about 1,476 tokens for Llama 3 70B on an H100 in bf16
    expected = (2 * L70_MATMUL / 989.4e12) / (L70_KV / 3.35e12 - L70_ATTN / 989.4e12)
    lk = float(memory.kv_bound_context(H100, "llama-3-70b"))
    assert lk == pytest.approx(expected, rel=1e-12)
    assert lk == pytest.approx(1476.3, rel=1e-3)
    b = rl.optimal_batch(H100, "llama-3-70b", [0.5 * lk, 0.99 * lk, 1.01 * lk, 100 * lk])
    assert np.all(np.isfinite(b[:2])) and np.all(np.isinf(b[2:]))
    assert b[1] > b[0]                            # b* grows towards the KV-bound context


def test_mla_with_fp8_cache_never_kv_bound_on_16bit_ridge():
    # a/k = 2*61*128*(2*512+64) / ((512+64)*61*1) = 483.6 FLOP/B > 295 FLOP/B (H100 bf16)
    assert memory.kv_arithmetic_intensity("deepseek-v3", "fp8") == pytest.approx(2 * 128 * 1088 / 576, rel=1e-12)
    assert np.isinf(memory.kv_bound_context(H100, "deepseek-v3", kv_format="fp8"))
    assert np.isfinite(rl.optimal_batch(H100, "deepseek-v3", 1e6, kv_format="fp8"))


def test_kv_weight_parity_batch_mistral_large_2():
    # Erdil: 244 GB of weights, 36 GB of KV per 100K-token sequence -> "above a batch of 7"
    m = rl.MISTRAL_LARGE_2
    matmul = 88 * (2 * 12288 * 12288 + 2 * 12288 * 1024 + 3 * 12288 * 28672) + 32768 * 12288
    assert m.matmul_params == matmul
    assert float(memory.kv_weight_parity_batch(m, 100_000)) == pytest.approx(2 * matmul / (100_000 * 360_448), rel=1e-12)
    assert float(memory.kv_weight_parity_batch(m, 100_000)) == pytest.approx(6.8, abs=0.05)
    assert np.isinf(memory.kv_weight_parity_batch(m, 0.0))
