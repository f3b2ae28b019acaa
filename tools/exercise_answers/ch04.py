"""Answer checks for chapter 4 (the roofline of a decode step)."""

from __future__ import annotations

from inferecon.serving import costs, roofline
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


ANSWERS = {
    "4.2": Answer(_ex2, rtol=0.01, unit="sequences (batch)",
                      hint="b* = p C/(2B) with the dense (not sparse) C and B multiplied by their caps 0.70 and 0.75."),
    "4.3": Answer(_ex3, rtol=0.02, unit="sequences (batch)",
                      hint="MFU = b x (tokens/s per sequence) x (FLOP per token) / (8 x 989.4e12); solve for b."),
}
