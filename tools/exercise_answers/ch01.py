"""Answer checks for chapter 1 (the training-inference asymmetry)."""

from __future__ import annotations

from inferecon.specs.models import get_model
from inferecon.training import lifecycle

from . import Answer


def _tokens(model_id: str) -> float:
    d = get_model(model_id).training_tokens
    assert d is not None, f"{model_id} has no published training tokens"
    return d


def _ex2() -> float:
    # Llama 3 8B, 20M requests/day x 800 tokens: days until 2NT = 6ND
    return float(lifecycle.crossover_days(_tokens("llama-3-8b"), 20e6, 800))


def _ex3() -> float:
    # Llama 3 70B at a mean context of 32,000 tokens: crossover tokens as a fraction of 3D
    m = get_model("llama-3-70b")
    d = _tokens("llama-3-70b")
    t = lifecycle.crossover_tokens(d, params=m.active_params,
                                   attention_flop_per_token=m.attention_flop_per_context_token * 32_000)
    return float(t / (3 * d))


def _ex4() -> float:
    # Chinchilla 70B: cost crossover with training MFU 45% and serving utilization 12%
    return float(lifecycle.cost_crossover_tokens(_tokens("chinchilla-70b"), 0.45, 0.12))


def _ex5() -> float:
    # GPT-3 175B (300B tokens): requests/day of 1,000 tokens for the crossover within 7 days
    return float(lifecycle.crossover_tokens(_tokens("gpt-3-175b")) / (7 * 1_000))


ANSWERS = {
    "1.2": Answer(_ex2, rtol=0.01, unit="days",
                      hint="Serving matches training after T = 3D tokens; divide by tokens per day."),
    "1.3": Answer(_ex3, rtol=0.01, unit="fraction of 3D (dimensionless)",
                      hint="Per token, inference costs 2N + a*l; a = model.attention_flop_per_context_token."),
    "1.4": Answer(_ex4, rtol=0.01, unit="tokens",
                      hint="A FLOP costs price/(u*C): compare 6ND/u_train with 2NT/u_inf."),
    "1.5": Answer(_ex5, rtol=0.10, unit="requests per day",
                      hint="The crossover is 3D tokens; spread them over 7 days of 1,000-token requests."),
}
