"""Answer checks for chapter 7 (parallelism and the Pareto frontier)."""

from __future__ import annotations

from inferecon.serving import closed_forms, frontier

from . import Answer


def _ex2() -> float:
    # Erdil eq. 14 for Llama 3.1 405B in 16-bit, paper constants (75% of 3.3 TB/s), 1 us hops
    return 1.0 / closed_forms.model_min_token_latency_seconds("h100-sxm", "llama-3.1-405b", "bf16", "erdil-paper")


def _ex3() -> float:
    # cheapest $/M for Llama 3.1 405B (16-bit, H100, paper constants, short context) at >= 30 tok/s
    fr = frontier.sweep("h100-sxm", "llama-3.1-405b", constants="erdil-paper").frontier()
    return float(fr.cost_at_speed(30.0))


def _ex4() -> float:
    # square-root law anchored on Llama 3 70B at 150 tok/s -> best speed of a 405B model
    return float(closed_forms.sqrt_law_tokens_per_second(150.0, 70e9, 405e9))


def _ex5() -> float:
    # ratio of the fastest Llama 3 8B speeds with FP8 (W8A8) and 16-bit weights, paper constants
    fp8 = frontier.sweep("h100-sxm", "llama-3-8b", weight_format="fp8").frontier().max_speed
    bf16 = frontier.sweep("h100-sxm", "llama-3-8b", weight_format="bf16").frontier().max_speed
    return fp8 / bf16


ANSWERS = {
    "7.2": Answer(_ex2, rtol=0.01, unit="tokens per second",
                  hint="k = L n_r t_hop with the 405B's layers; pN/B uses 0.75 x 3.3 TB/s and the matmul "
                       "weights; T = 3 k^(2/3) (pN/B)^(1/3) - 2k; the speed is 1/T."),
    "7.3": Answer(_ex3, rtol=0.02, unit="USD per million tokens",
                  hint="Sweep, take the frontier, and use Frontier.cost_at_speed(30)."),
    "7.4": Answer(_ex4, rtol=0.01, unit="tokens per second",
                  hint="v(N) = v_ref sqrt(N_ref / N) with the 70B as the reference."),
    "7.5": Answer(_ex5, rtol=0.02, unit="ratio (dimensionless)",
                  hint="Compare Frontier.max_speed of two Llama 3 8B sweeps that differ only in weight_format."),
}
