"""Answer checks for chapter 6 (mixture of experts)."""

from __future__ import annotations

import math

from inferecon.serving import moe, moe_batching

from . import Answer


def _ex2() -> float:
    # DeepSeek-V3 MoE layer (256 routed experts, 8 per token), 24 tokens: expected experts read
    return float(moe.expected_experts_read(256, 8, 24))


def _ex3() -> float:
    # smallest (real-valued) batch at which half of DeepSeek-V3's routed experts are read:
    # 1 - (1 - 1/s)^b = 1/2  =>  b = ln 2 / -ln(1 - 1/s), s = 32
    s = 256 / 8
    return math.log(2.0) / -math.log1p(-1.0 / s)


def _ex4() -> float:
    # DeepSeek-V3's whole-layer b* on an A100 80GB SXM (datasheet figures, bf16, no caps)
    return float(moe_batching.moe_optimal_batch("a100-80gb-sxm", "deepseek-v3"))


def _ex5() -> float:
    # Mixtral 8x7B's b* on an A100 80GB SXM (datasheet figures, bf16)
    return float(moe_batching.moe_optimal_batch("a100-80gb-sxm", "mixtral-8x7b"))


def _ex6() -> float:
    # batch at which each DeepSeek-V3 routed expert gets b*_dense tokens on average (A100, bf16)
    return float(moe_batching.per_expert_optimal_batch("a100-80gb-sxm", "deepseek-v3"))


ANSWERS = {
    "6.2": Answer(_ex2, rtol=0.01, unit="experts per layer",
                  hint="Each expert is missed by one token with probability 1 - k/n."),
    "6.3": Answer(_ex3, rtol=0.01, unit="tokens",
                  hint="Solve 1 - (1 - 1/s)^b = 1/2 for b with s = n/k."),
    "6.4": Answer(_ex4, rtol=0.02, unit="sequences",
                  hint="Set p N_read(b)/B = 2 N_active b / C with the A100's bf16 FLOP/s and "
                       "bandwidth; at this size every expert is read."),
    "6.5": Answer(_ex5, rtol=0.02, unit="sequences",
                  hint="Dense b* = p C / (2B) on the A100, times total over active matmul parameters."),
    "6.6": Answer(_ex6, rtol=0.02, unit="tokens in the step",
                  hint="An expert receives b k / n tokens on average and is compute-bound when that "
                       "reaches the dense threshold p C / (2B)."),
}
