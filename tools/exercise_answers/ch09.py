"""Answer checks for chapter 9 (making each token cheaper)."""

from __future__ import annotations

from inferecon.levers import quantization, speculative
from inferecon.planning.planner import ideal_replica
from inferecon.training import distillation

from . import Answer


def _ex2() -> float:
    # expected tokens per step at alpha = 0.7, gamma = 5
    return float(speculative.expected_tokens_per_step(0.7, 5))


def _ex3() -> float:
    # Llama 3 8B, 32 sequences of 8,192 tokens on one H100: INT8 weights (W8A16) over BF16
    return float(quantization.cost_ratio("h100-sxm", "llama-3-8b", 32, 8192, "w8a16"))


def _ex4() -> float:
    # distil into 3B: 50B generated tokens at $0.12/M, training at 40% MFU; serving $0.12 vs $0.02 per M
    fixed = distillation.distillation_cost_usd(3e9, 50e9, 0.12, mfu=0.4)
    return float(distillation.breakeven_tokens(fixed, 0.12, 0.02))


def _ex5() -> float:
    # best speedup, Llama 3 70B + 8B draft, INT8, ideal 8 x H100, batch 1, no context, alpha 0.8
    _, s = speculative.optimal_draft_tokens(ideal_replica("h100-sxm", 8), "llama-3-70b", "llama-3-8b",
                                            1, 0.8, 0, 16, weight_format="int8")
    return float(s)


ANSWERS = {
    "9.2": Answer(_ex2, rtol=0.005, unit="tokens per step",
                      hint="Sum alpha^i for i = 0..gamma: (1 - alpha^(gamma+1)) / (1 - alpha)."),
    "9.3": Answer(_ex3, rtol=0.01, unit="ratio (dimensionless)",
                      hint="Memory-bound: (1 byte x N + b l k) / (2 bytes x N + b l k), N = matmul params."),
    "9.4": Answer(_ex4, rtol=0.01, unit="tokens",
                      hint="One-off cost = generation + 6 N D / (u C) x price; divide by the saving per token."),
    "9.5": Answer(_ex5, rtol=0.01, unit="speedup (dimensionless)",
                      hint="Sweep gamma with speculative.optimal_draft_tokens on planner.ideal_replica('h100-sxm', 8)."),
}
