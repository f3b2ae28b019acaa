"""Answer checks for chapter 3 (over-training and the break-even volume)."""

from __future__ import annotations

from .. import scaling as sc
from . import Answer

__all__ = ["ANSWERS"]


def _break_even_50b() -> float:
    d = float(sc.matched_loss_tokens(sc.BESIROGLU_2024, 70e9, 1.4e12, 50e9))
    return float(sc.break_even_inference_tokens(70e9, 1.4e12, 50e9, d))


def _lifetime_70b_1e14() -> float:
    return sc.compare_lifetime_optimal(sc.BESIROGLU_2024, 70e9, 1e14).optimal_params


def _llama3_8b_ratio() -> float:
    m = next(m for m in sc.TRAINED_MODELS if m.name == "Llama 3 8B")
    return float(sc.overtraining_ratio(m.params, m.tokens))


ANSWERS: dict[str, Answer] = {
    "ch3-ex2": Answer(
        compute=lambda: float(sc.min_params_for_loss(sc.BESIROGLU_2024, sc.loss(sc.BESIROGLU_2024, 70e9, 1.4e12))),
        rtol=0.01, unit="parameters",
        hint="Set the loss floor E + A/N^alpha equal to the target loss L(70e9, 1.4e12) and solve for N.",
    ),
    "ch3-ex3": Answer(
        compute=_break_even_50b, rtol=0.02, unit="inference tokens",
        hint="First the tokens a 50B model needs to reach L(70e9, 1.4e12) under the refit; then "
             "T* = (6 N2 D2 - 6 N1 D1) / (2 (N1 - N2)).",
    ),
    "ch3-ex4": Answer(
        compute=_lifetime_70b_1e14, rtol=0.02, unit="parameters",
        hint="Target = loss of 70B at its compute-optimal token count under the refit; solve the "
             "lifetime stationarity equation for D with T = 1e14, then N from the loss equation.",
    ),
    "ch3-ex5": Answer(
        compute=_llama3_8b_ratio,
        rtol=0.02, unit="dimensionless (D / 20N)",
        hint="Llama 3 8B: about 8.03e9 parameters and 15e12 tokens; divide D by 20 N.",
    ),
}
