"""Answer checks for chapter 4 (the roofline of decoding)."""

from __future__ import annotations

from inferecon.serving import costs, memory, roofline
from inferecon.specs.hardware import get_accelerator
from inferecon.specs.models import get_model

from . import Answer


def _ex2() -> float:
    # MI300X, bf16, with Erdil's sustained caps: b* = p u_C C / (2 u_B B)
    return float(roofline.dense_optimal_batch("mi300x", "bf16",
                                              flop_utilization=roofline.ERDIL_FLOP_UTILIZATION,
                                              bandwidth_utilization=roofline.ERDIL_BANDWIDTH_UTILIZATION))


def _ex3() -> float:
    # Erdil's opening example: Llama 3 70B, 8 H100s, 70 tokens/s per sequence, 15% MFU -> batch
    flop = float(get_model("llama-3-70b").flop_per_token(0))
    mfu_per_sequence = float(costs.model_flop_utilization(70.0, flop, get_accelerator("h100-sxm").peak_flop_per_s("bf16"), 8))
    return 0.15 / mfu_per_sequence


def _ex4() -> float:
    # Llama 3 70B, fp8 weights and fp8 KV, one H200, 32K context, 90% of the reported HBM usable
    return float(memory.max_batch("h200-sxm", "llama-3-70b", 32_768, weight_format="fp8",
                                  kv_format="fp8", hbm_fraction=0.9))


def _ex5() -> float:
    # KV-read cost floor at 100K context: Mistral Large 2 over DeepSeek-V3 (both bf16 KV, H100)
    mistral = costs.decode_floor_usd_per_million_tokens("h100-sxm", roofline.MISTRAL_LARGE_2, 100_000)
    deepseek = costs.decode_floor_usd_per_million_tokens("h100-sxm", "deepseek-v3", 100_000)
    return float(mistral / deepseek)


ANSWERS = {
    "4.2": Answer(_ex2, rtol=0.01, unit="sequences (batch)",
                      hint="b* = p C/(2B) with the dense (not sparse) C and B multiplied by their caps 0.70 and 0.75."),
    "4.3": Answer(_ex3, rtol=0.02, unit="sequences (batch)",
                      hint="MFU = b x (tokens/s per sequence) x (FLOP per token) / (8 x 989.4e12); solve for b."),
    "4.4": Answer(_ex4, rtol=1e-9, unit="sequences (a whole number)",
                      hint="floor((0.9 x reported HBM bytes - weight bytes) / (32,768 x KV bytes per token)); "
                           "the H200 reports 143,771 MiB (1 MiB = 2**20 B); fp8 is 1 byte."),
    "4.5": Answer(_ex5, rtol=0.01, unit="ratio (dimensionless)",
                      hint="At the KV-read floor the cost is proportional to KV bytes per token."),
}
