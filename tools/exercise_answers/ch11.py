"""Answer checks for chapter 11 (bounds against reality)."""

from __future__ import annotations

from inferecon.serving import frontier
from inferecon.serving.closed_forms import sqrt_law_latency_seconds
from inferecon.specs.models import get_model
from inferecon.validation import predictions as validation

from . import Answer


def _row(row_id: str) -> validation.Measurement:
    return next(m for m in validation.load_measurements() if m.id == row_id)


def _ex2() -> float:
    # Pope et al. high-throughput decode: 6.0 s for 64 tokens x 512 sequences on 64 TPU v4
    return validation.implied_mfu(_row("pope-540b-ht-decode"))


def _ex3() -> float:
    # square-root law from PaLM 62B's 13 ms to PaLM 540B, in ms
    n62, n540 = get_model("palm-62b").total_params, get_model("palm-540b").total_params
    return float(sqrt_law_latency_seconds(13.0, n62, n540))


def _ex4() -> float:
    # LLaMA-7B, one A100 80GB, FP16, static batch 64, 512 in / 512 out, derated by the
    # throughput regime's fitted efficiency
    s = validation.scenario(model="llama-7b", accelerator="a100-80gb-sxm", phase="request",
                            unit="tokens/s", n_chips=1, batch=64, prompt_tokens=512,
                            generated_tokens=512, weight_format="fp16", kv_format="fp16")
    fit = validation.fit_efficiency(validation.predict_all(), "throughput")
    return float(validation.derated_value(s, fit.geometric_mean))


def _ex5() -> float:
    # cheapest fp8 (weights and KV) configuration of Llama 3 70B on H100 at >= 150 tokens/s per request
    front = frontier.sweep("h100-sxm", "llama-3-70b", constants=validation.BOUND_CONSTANTS,
                           weight_format="fp8", kv_format="fp8").frontier()
    return float(front.cost_at_speed(150.0))


ANSWERS = {
    "11.2": Answer(_ex2, rtol=0.02, unit="MFU (a fraction)",
                      hint="FLOPs = 512 x sum over the 64 steps of (2N + a x context); divide by 6.0 s x 64 x 275e12."),
    "11.3": Answer(_ex3, rtol=0.02, unit="ms per token",
                      hint="T(N) = T_ref sqrt(N / N_ref) with the catalogue's parameter counts."),
    "11.4": Answer(_ex4, rtol=0.02, unit="output tokens/s",
                      hint="validation.scenario(...) with phase='request', bound_value, times the throughput fit's geometric mean."),
    "11.5": Answer(_ex5, rtol=0.02, unit="$ per million output tokens",
                      hint="frontier.sweep(..., constants=validation.BOUND_CONSTANTS, weight_format='fp8', kv_format='fp8').frontier().cost_at_speed(150)."),
}
