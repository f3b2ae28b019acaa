"""Answer checks for chapter 5 (mixture of experts)."""

from __future__ import annotations

import math

from .. import moe
from . import Answer


def _ex2() -> float:
    # DeepSeek-V3 MoE layer (256 routed experts, 8 per token), 32 tokens: expected experts read
    return float(moe.expected_experts_read(256, 8, 32))


def _ex3() -> float:
    # smallest (real-valued) batch at which half of DeepSeek-V3's routed experts are read:
    # 1 - (1 - 1/s)^b = 1/2  =>  b = ln 2 / -ln(1 - 1/s), s = 32
    s = 256 / 8
    return math.log(2.0) / -math.log1p(-1.0 / s)


def _ex4() -> float:
    # DeepSeek-V3's b* on an H100 SXM (datasheet figures, bf16, no utilization caps)
    return float(moe.moe_optimal_batch("h100-sxm", "deepseek-v3"))


def _ex5() -> float:
    # Mixtral 8x7B's b* on an H100 SXM (datasheet figures, bf16)
    return float(moe.moe_optimal_batch("h100-sxm", "mixtral-8x7b"))


ANSWERS = {
    "ch5-ex2": Answer(_ex2, rtol=0.01, unit="experts per layer",
                      hint="Each expert is missed by one token with probability 1 - k/n."),
    "ch5-ex3": Answer(_ex3, rtol=0.01, unit="tokens",
                      hint="Solve 1 - (1 - 1/s)^b = 1/2 for b with s = n/k."),
    "ch5-ex4": Answer(_ex4, rtol=0.02, unit="sequences",
                      hint="Set p N_read(b)/B = 2 N_active b / C; at this size every expert is read."),
    "ch5-ex5": Answer(_ex5, rtol=0.02, unit="sequences",
                      hint="Dense b* = p C / (2B), times total over active matmul parameters."),
}
