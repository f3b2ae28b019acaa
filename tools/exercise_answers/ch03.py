"""Answer checks for chapter 3 (over-training and the break-even volume)."""

from __future__ import annotations

from inferecon.specs.models import get_model
from inferecon.training import lifetime
from inferecon.training import scaling as sc

from . import Answer

__all__ = ["ANSWERS"]


def _min_size_for_gopher_loss() -> float:
    # smallest N whose loss floor reaches Gopher's (280B on 300B tokens) predicted loss, refit
    return float(sc.min_params_for_loss(sc.BESIROGLU_2024, sc.loss(sc.BESIROGLU_2024, 280e9, 300e9)))


def _break_even_50b() -> float:
    d = float(lifetime.matched_loss_tokens(sc.BESIROGLU_2024, 70e9, 1.4e12, 50e9))
    return float(lifetime.break_even_inference_tokens(70e9, 1.4e12, 50e9, d))


def _lifetime_70b_1e14() -> float:
    return lifetime.compare_lifetime_optimal(sc.BESIROGLU_2024, 70e9, 1e14).optimal_params


def _llama3_70b_ratio() -> float:
    return float(sc.overtraining_ratio(get_model("llama-3-70b").total_params, 15e12))


ANSWERS: dict[str, Answer] = {
    "3.2": Answer(
        compute=_min_size_for_gopher_loss, rtol=0.005, unit="parameters",
        hint="Set the loss floor E + A/N^alpha equal to the target loss L(280e9, 300e9) under the "
             "refit and solve for N.",
    ),
    "3.3": Answer(
        compute=_break_even_50b, rtol=0.02, unit="inference tokens",
        hint="First the tokens a 50B model needs to reach L(70e9, 1.4e12) under the refit; then "
             "T* = (6 N2 D2 - 6 N1 D1) / (2 (N1 - N2)).",
    ),
    "3.4": Answer(
        compute=_lifetime_70b_1e14, rtol=0.02, unit="parameters",
        hint="Target = loss of 70B at its compute-optimal token count under the refit; solve the "
             "lifetime stationarity equation for D with T = 1e14, then N from the loss equation.",
    ),
    "3.5": Answer(
        compute=_llama3_70b_ratio,
        rtol=0.02, unit="dimensionless (D / 20N)",
        hint="Divide the training tokens (15e12) by 20 times the parameter count of the "
             "configuration (total_params, embeddings included).",
    ),
}
