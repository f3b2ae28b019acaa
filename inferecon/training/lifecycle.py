"""Training once, serving many times: the compute of a model's whole life.

Training a dense transformer with :math:`N` parameters on :math:`D` tokens costs about
:math:`6ND` FLOPs (forward :math:`2N` per token, backward :math:`4N`); generating or
prefilling one token costs about :math:`2N` (forward only) plus an attention term that grows
with context :cite:`kaplan2020scaling,hoffmann2022training`. Serving :math:`T` tokens
therefore matches the training bill when :math:`2NT = 6ND`, i.e. at :math:`T = 3D`: the
parameter count cancels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import fraction, non_negative, positive
from inferecon.units import DAY_S

__all__ = [
    "INFERENCE_FLOP_PER_PARAM_TOKEN",
    "SCENARIOS",
    "STRATEGIES",
    "TRAINING_FLOP_PER_PARAM_TOKEN",
    "Scenario",
    "cost_crossover_tokens",
    "crossover_days",
    "crossover_requests",
    "crossover_tokens",
    "inference_factor",
    "inference_flop",
    "strategy_for",
    "training_flop",
]

#: FLOPs per parameter per training token: forward 2 + backward 4 (Kaplan et al. 2020, §2.1).
TRAINING_FLOP_PER_PARAM_TOKEN = 6.0
#: FLOPs per parameter per inference token: one forward pass.
INFERENCE_FLOP_PER_PARAM_TOKEN = 2.0


def training_flop(params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """Training compute :math:`C_\\mathrm{train} = 6 N D` in FLOP.

    Parameters
    ----------
    params : parameters :math:`N` (> 0).
    tokens : training tokens :math:`D` (> 0).

    Examples
    --------
    >>> float(training_flop(70e9, 1.4e12))
    5.88e+23
    """
    return TRAINING_FLOP_PER_PARAM_TOKEN * positive("params", params) * positive("tokens", tokens)


def inference_flop(
    params: ArrayLike, tokens: ArrayLike, attention_flop_per_token: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Inference compute :math:`C_\\mathrm{inf} = (2N + a\\ell)\\,T` in FLOP.

    Parameters
    ----------
    params : parameters :math:`N` used per token (active parameters for an MoE).
    tokens : tokens processed :math:`T` (prompt plus generated, >= 0).
    attention_flop_per_token : extra attention FLOPs per token :math:`a\\ell` (e.g.
        ``model.attention_flop_per_context_token * mean_context``); 0 ignores attention.
    """
    n = positive("params", params)
    t = non_negative("tokens", tokens)
    a = non_negative("attention_flop_per_token", attention_flop_per_token)
    return (INFERENCE_FLOP_PER_PARAM_TOKEN * n + a) * t


def crossover_tokens(
    training_tokens: ArrayLike, params: ArrayLike | None = None, attention_flop_per_token: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Inference tokens at which serving compute equals training compute.

    .. math:: 6ND = (2N + a\\ell)\\,T^\\times \\;\\Rightarrow\\; T^\\times = \\frac{6ND}{2N + a\\ell}
              \\xrightarrow{a = 0} 3D

    With no attention term the answer is :math:`3D` whatever :math:`N`; ``params`` is only
    needed when ``attention_flop_per_token`` > 0.
    """
    d = positive("training_tokens", training_tokens)
    a = non_negative("attention_flop_per_token", attention_flop_per_token)
    if params is None:
        if np.any(a > 0):
            raise ValueError("params is required when attention_flop_per_token > 0")
        return 3.0 * d
    n = positive("params", params)
    return TRAINING_FLOP_PER_PARAM_TOKEN * n * d / (INFERENCE_FLOP_PER_PARAM_TOKEN * n + a)


def inference_factor(inference_tokens: ArrayLike, training_tokens: ArrayLike) -> NDArray[np.float64]:
    """Lifetime inference compute over training compute, :math:`2NT/6ND = T/(3D)`.

    Below 1, training dominates the model's compute bill; above 1, serving does.
    """
    d = positive("training_tokens", training_tokens)
    return non_negative("inference_tokens", inference_tokens) / (3.0 * d)


def crossover_requests(training_tokens: ArrayLike, tokens_per_request: ArrayLike) -> NDArray[np.float64]:
    """Requests served before inference compute equals training compute, :math:`3D/t_\\mathrm{req}`."""
    d = positive("training_tokens", training_tokens)
    return 3.0 * d / positive("tokens_per_request", tokens_per_request)


def crossover_days(
    training_tokens: ArrayLike, requests_per_day: ArrayLike, tokens_per_request: ArrayLike
) -> NDArray[np.float64]:
    """Days of traffic until inference compute equals training compute.

    .. math:: t^\\times = \\frac{3D}{r\\,t_\\mathrm{req}}

    with :math:`r` requests per day and :math:`t_\\mathrm{req}` tokens (prompt + output)
    per request.
    """
    return crossover_requests(training_tokens, tokens_per_request) / positive(
        "requests_per_day", requests_per_day
    )


STRATEGIES: tuple[tuple[float, str, str], ...] = (
    (
        0.1,
        "training dominates",
        "train compute-optimally (or reuse an open model); serving cost is a rounding error",
    ),
    (1.0, "training-heavy", "near compute-optimal; modest over-training pays only if the model lives longer"),
    (10.0, "inference-heavy", "over-train a smaller model; quantize and batch for serving"),
    (
        float("inf"),
        "inference dominates",
        "over-train hard, distil, quantize, route easy queries to small models",
    ),
)


def strategy_for(factor: float) -> tuple[str, str]:
    """Regime name and recommended strategy for an inference factor :math:`T/(3D)`.

    The thresholds (0.1, 1, 10) are the course's rule of thumb: an order of magnitude either
    side of parity.
    """
    f = float(non_negative("factor", factor))
    for limit, regime, advice in STRATEGIES:
        if f < limit:
            return regime, advice
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A deployment: traffic, request size and lifetime (the course's illustrative assumptions)."""

    name: str
    requests_per_day: float
    tokens_per_request: float
    lifetime_days: float

    def __post_init__(self) -> None:
        for attr in ("requests_per_day", "tokens_per_request", "lifetime_days"):
            positive(attr, getattr(self, attr))

    @property
    def lifetime_tokens(self) -> float:
        """Tokens served over the deployment, :math:`r\\,t_\\mathrm{req}\\,\\text{days}`."""
        return self.requests_per_day * self.tokens_per_request * self.lifetime_days

    @property
    def tokens_per_second(self) -> float:
        """Average token throughput the deployment must sustain."""
        return self.requests_per_day * self.tokens_per_request / DAY_S


#: Four deployments from a lab demo to a major API. Traffic figures are round assumptions
#: chosen an order of magnitude or more apart, not measurements of any product.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(name="research prototype", requests_per_day=1e3, tokens_per_request=1e3, lifetime_days=90),
    Scenario(name="internal tool", requests_per_day=5e4, tokens_per_request=2e3, lifetime_days=365),
    Scenario(name="consumer product", requests_per_day=1e7, tokens_per_request=1e3, lifetime_days=365),
    Scenario(name="major API", requests_per_day=1e9, tokens_per_request=1e3, lifetime_days=365),
)


def cost_crossover_tokens(
    training_tokens: ArrayLike, training_utilization: ArrayLike, inference_utilization: ArrayLike
) -> NDArray[np.float64]:
    """Inference tokens at which serving *cost* equals training cost on the same hardware.

    A FLOP costs :math:`\\text{price}/(u\\,C)`, so with training utilization (MFU)
    :math:`u_\\mathrm{tr}` and inference utilization :math:`u_\\mathrm{inf}`:

    .. math:: \\frac{6ND}{u_\\mathrm{tr}} = \\frac{2NT}{u_\\mathrm{inf}}
              \\;\\Rightarrow\\; T^\\$ = 3D\\,\\frac{u_\\mathrm{inf}}{u_\\mathrm{tr}}

    Decode runs at far lower utilization than training, so the cost crossover comes much
    earlier than the compute crossover.
    """
    d = positive("training_tokens", training_tokens)
    u_tr = fraction("training_utilization", training_utilization)
    u_inf = fraction("inference_utilization", inference_utilization)
    return 3.0 * d * u_inf / u_tr
