"""Answer checks for chapter 5 (memory: the KV cache, capacity and the prompt)."""

from __future__ import annotations

from inferecon.serving import costs, memory, prefill, roofline

from . import Answer


def _ex2() -> float:
    # Llama 3 70B, fp8 weights and fp8 KV, one H200, 32K context, 90% of the reported HBM usable
    return float(memory.max_batch("h200-sxm", "llama-3-70b", 32_768, weight_format="fp8",
                                    kv_format="fp8", hbm_fraction=0.9))


def _ex3() -> float:
    # KV-read cost floor at 100K context: Mistral Large 2 over DeepSeek-V3 (both bf16 KV, H100)
    mistral = costs.decode_floor_usd_per_million_tokens("h100-sxm", roofline.MISTRAL_LARGE_2, 100_000)
    deepseek = costs.decode_floor_usd_per_million_tokens("h100-sxm", "deepseek-v3", 100_000)
    return float(mistral / deepseek)


def _ex4() -> float:
    # Llama 3 8B, FP8 weights (8-bit matmuls), one H200, a 16,384-token prompt in one pass: TTFT in ms
    return float(prefill.prefill_seconds("h200-sxm", "llama-3-8b", 16_384, weight_format="fp8")) * 1e3


ANSWERS = {
    "5.2": Answer(_ex2, rtol=1e-9, unit="sequences (a whole number)",
                      hint="floor((0.9 x reported HBM bytes - weight bytes) / (32,768 x KV bytes per token)); "
                           "the H200 reports 143,771 MiB (1 MiB = 2**20 B); fp8 is 1 byte."),
    "5.3": Answer(_ex3, rtol=0.01, unit="ratio (dimensionless)",
                      hint="At the KV-read floor the cost is proportional to KV bytes per token."),
    "5.4": Answer(_ex4, rtol=0.02, unit="milliseconds",
                      hint="Compute-bound: P (2N + a (P - 1)/2) FLOP over the H200's dense FP8 FLOP/s."),
}
