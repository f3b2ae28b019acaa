"""Scaling laws for deployment: loss, compute-optimal size, over-training, break-even, lifetime.

The parametric loss law of Hoffmann et al. (Chinchilla, Approach 3) models the final
pre-training loss (nats per token) of a dense transformer with :math:`N` parameters trained
on :math:`D` tokens as

.. math:: L(N, D) = E + \\frac{A}{N^\\alpha} + \\frac{B}{D^\\beta}

:cite:`hoffmann2022training`. :math:`E` is the irreducible loss of the data, :math:`A/N^\\alpha`
what a finite model cannot represent, :math:`B/D^\\beta` what finite data cannot teach. The
published fits are named :class:`ScalingFit` objects carrying their citation keys:

* :data:`HOFFMANN_2022`: Approach 3 as printed (rounded) in the paper.
* :data:`HOFFMANN_2022_TEX`: the unrounded values found in the paper's TeX source.
* :data:`SARDANA_2024`: the constants used by Sardana et al.'s code (α = 0.336, β = 0.283).
* :data:`BESIROGLU_2024`: the Besiroglu et al. refit on data reconstructed from Hoffmann's plots.

The printed Approach-3 constants put the compute-optimal model at Gopher's budget near 32B,
not at Chinchilla's 70B; the refit puts it near 72B. Use :data:`BESIROGLU_2024` when you mean
"compute-optimal" and say so (:cite:`besiroglu2024chinchilla`).

Training compute is :math:`6ND` and inference :math:`2N` per token
(:func:`inferecon.lifecycle.training_flop`, :func:`inferecon.lifecycle.inference_flop`).
Everything here broadcasts over numpy arrays. :func:`fit_approach3` imports scipy lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import fraction, lookup, non_negative, positive
from .lifecycle import (
    INFERENCE_FLOP_PER_PARAM_TOKEN, TRAINING_FLOP_PER_PARAM_TOKEN, inference_flop, training_flop,
)
from .models import get_model

__all__ = [
    "ScalingFit", "HOFFMANN_2022", "HOFFMANN_2022_TEX", "SARDANA_2024", "BESIROGLU_2024", "FITS",
    "get_fit", "CHINCHILLA_TOKENS_PER_PARAM", "GOPHER_BUDGET_FLOP", "HOFFMANN_2022_TABLE3",
    "ComputeOptimalProjection",
    "loss", "loss_floor", "compute_optimal_params", "compute_optimal_tokens",
    "compute_optimal_tokens_per_param", "compute_optimal_loss", "compute_optimal_flop_for_params",
    "compute_optimal_tokens_for_params", "compute_optimal_for_loss", "compute_optimal_flop_for_loss",
    "compute_efficiency",
    "tokens_to_reach_loss", "params_to_reach_loss", "min_params_for_loss", "min_tokens_for_loss",
    "iso_loss_curve", "training_tokens_for_flop",
    "overtraining_ratio", "overtraining_ratio_vs_fit", "TrainedModel", "TRAINED_MODELS",
    "break_even_inference_tokens", "BreakEven", "compare_break_even", "matched_loss_tokens",
    "lifetime_flop", "lifetime_optimal", "LifetimeComparison", "compare_lifetime_optimal",
    "lifetime_saving_fraction",
    "usd_per_flop", "effective_inference_tokens", "lifetime_cost_usd", "lifetime_cost_optimal",
    "Approach3Result", "synthetic_runs", "fit_approach3", "bootstrap_approach3",
    "HOFFMANN_INIT_GRID", "COARSE_INIT_GRID", "TIGHT_OPTIONS", "SCREEN_OPTIONS",
]


# --------------------------------------------------------------------------- fits
@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingFit:
    """Constants of :math:`L(N, D) = E + A/N^\\alpha + B/D^\\beta` with their source.

    Attributes
    ----------
    id, name : catalogue id and display name.
    short_name : a compact label for tables and legends (defaults to ``name``).
    E : irreducible loss, nats per token (> 0).
    A, B : scale of the parameter and data terms (> 0).
    alpha, beta : exponents of the parameter and data terms (> 0).
    citation : key in ``references.bib``.
    notes : how the values were obtained and where sources disagree.
    """

    id: str
    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    citation: str
    short_name: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        if not self.short_name:
            object.__setattr__(self, "short_name", self.name)
        for attr in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, attr)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise ValueError(f"{self.id}: {attr} must be a finite number > 0, got {value!r}")

    @property
    def params_exponent(self) -> float:
        """:math:`a = \\beta/(\\alpha+\\beta)` in :math:`N^* \\propto C^a` (Hoffmann eq. 4)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def tokens_exponent(self) -> float:
        """:math:`b = \\alpha/(\\alpha+\\beta)` in :math:`D^* \\propto C^b`."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """:math:`G = (\\alpha A/(\\beta B))^{1/(\\alpha+\\beta)}`, the prefactor of :math:`N^*`."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """``(E, A, B, alpha, beta)``."""
        return (self.E, self.A, self.B, self.alpha, self.beta)

    @classmethod
    def from_tuple(cls, values: Sequence[float], *, id: str = "fitted", name: str = "fitted law",
                   citation: str = "hoffmann2022training") -> "ScalingFit":
        """Build a fit from ``(E, A, B, alpha, beta)``, e.g. one row of :func:`bootstrap_approach3`."""
        if len(values) != 5:
            raise ValueError(f"values must be (E, A, B, alpha, beta), got {len(values)} numbers")
        e, a, b, al, be = (float(v) for v in values)
        return cls(id=id, name=name, E=e, A=a, B=b, alpha=al, beta=be, citation=citation)


#: Hoffmann et al. 2022, Approach 3 (eq. 10) as printed: rounded to two decimals.
HOFFMANN_2022 = ScalingFit(
    id="hoffmann2022", name="Hoffmann et al. 2022 (Approach 3, as printed)",
    E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, citation="hoffmann2022training",
    short_name="Hoffmann 2022, printed",
    notes="Rounded values of eq. (10). They put the Gopher-budget optimum near 32B, not 70B.",
)
#: The same fit with the unrounded E, α, β found in the paper's TeX source (as reported by
#: Besiroglu et al. 2024); A and B are the printed values.
HOFFMANN_2022_TEX = ScalingFit(
    id="hoffmann2022-tex", name="Hoffmann et al. 2022 (Approach 3, TeX source)",
    E=1.6934, A=406.4, B=410.7, alpha=0.3392, beta=0.2849, citation="hoffmann2022training",
    short_name="Hoffmann 2022, TeX source",
    notes="E, alpha, beta from the TeX source as quoted by besiroglu2024chinchilla; the "
          "Gopher-budget optimum (~40B) matches the paper's own remark about Approach 3.",
)
#: The constants in Sardana et al.'s code (``utils.ChinchillaConstants``), which the authors
#: call the original Chinchilla coefficients.
SARDANA_2024 = ScalingFit(
    id="sardana2024", name="Sardana et al. 2024 (Chinchilla constants in their code)",
    E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283, citation="sardana2024beyond",
    short_name="Sardana 2024 code",
    notes="alpha, beta differ from the printed 0.34/0.28 in the third decimal; used to "
          "reproduce their worked examples.",
)
#: Besiroglu, Erdil, Barnett & You 2024 refit of Approach 3 (standard errors: E 0.03,
#: A 124.58, B 1293.23, α 0.02, β 0.02).
BESIROGLU_2024 = ScalingFit(
    id="besiroglu2024", name="Besiroglu et al. 2024 (refit)",
    E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658, citation="besiroglu2024chinchilla",
    short_name="Besiroglu 2024 refit",
    notes="Refit on 240 points reconstructed from Hoffmann's Figure 4 (Huber delta 1e-3, "
          "summed loss). Consistent with Approaches 1 and 2 (a = 0.513); puts 70B/1.4T near "
          "the compute optimum at Gopher's budget.",
)

FITS: Mapping[str, ScalingFit] = MappingProxyType(
    {f.id: f for f in (HOFFMANN_2022, HOFFMANN_2022_TEX, SARDANA_2024, BESIROGLU_2024)})


def get_fit(fit: "str | ScalingFit") -> ScalingFit:
    """Return a :class:`ScalingFit` by id (``"besiroglu2024"``); an unknown id lists the valid ones."""
    if isinstance(fit, ScalingFit):
        return fit
    return lookup("scaling fit", fit, dict(FITS))


#: Hoffmann's rule of thumb: about 20 training tokens per parameter at the compute optimum
#: (Table 3 lists 20.0-22.4 from Approach 1).
CHINCHILLA_TOKENS_PER_PARAM = 20.0
#: Gopher's training budget, one "Gopher unit" in Hoffmann's Table 3 (FLOP).
GOPHER_BUDGET_FLOP = 5.76e23


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeOptimalProjection:
    """One row of Hoffmann et al. 2022 Table 3 (Approach 1 projections)."""

    params: float
    flop: float
    tokens: float
    citation: str = "hoffmann2022training"


#: Hoffmann et al. 2022, Table 3: compute-optimal size, FLOPs and tokens from Approach 1.
HOFFMANN_2022_TABLE3: tuple[ComputeOptimalProjection, ...] = tuple(
    ComputeOptimalProjection(params=n, flop=c, tokens=d) for n, c, d in (
        (400e6, 1.92e19, 8.0e9), (1e9, 1.21e20, 20.2e9), (10e9, 1.23e22, 205.1e9),
        (67e9, 5.76e23, 1.5e12), (175e9, 3.85e24, 3.7e12), (280e9, 9.90e24, 5.9e12),
        (520e9, 3.43e25, 11.0e12), (1e12, 1.27e26, 21.2e12), (10e12, 1.30e28, 216.2e12),
    ))


# --------------------------------------------------------------------------- the law
def loss(fit: "str | ScalingFit", params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """Predicted final pre-training loss (nats/token).

    .. math:: L(N, D) = E + \\frac{A}{N^\\alpha} + \\frac{B}{D^\\beta}

    Parameters
    ----------
    fit : a :class:`ScalingFit` or its id.
    params : parameters :math:`N` (> 0).
    tokens : training tokens :math:`D` (> 0).

    Examples
    --------
    >>> round(float(loss("hoffmann2022", 70e9, 1.4e12)), 4)
    1.9366
    """
    f = get_fit(fit)
    n = positive("params", params)
    d = positive("tokens", tokens)
    return f.E + f.A / n ** f.alpha + f.B / d ** f.beta


def loss_floor(fit: "str | ScalingFit", params: ArrayLike) -> NDArray[np.float64]:
    """Loss of a size trained on unlimited data, :math:`\\lim_{D\\to\\infty} L = E + A/N^\\alpha`.

    No amount of over-training takes a model of :math:`N` parameters below this.
    """
    f = get_fit(fit)
    return f.E + f.A / positive("params", params) ** f.alpha


def _check_loss_above_E(f: ScalingFit, target_loss: ArrayLike) -> NDArray[np.float64]:
    ell = positive("target_loss", target_loss)
    bad = ell <= f.E
    if bad.any():
        raise ValueError(f"target_loss must exceed the irreducible loss E = {f.E:g} of {f.name}, "
                         f"got {float(ell[bad].ravel()[0]):.6g}")
    return ell


# ------------------------------------------------------------ compute-optimal
def compute_optimal_params(fit: "str | ScalingFit", flop: ArrayLike) -> NDArray[np.float64]:
    """Loss-minimizing parameters for a training budget :math:`C = 6ND` (Hoffmann eq. 4).

    .. math:: N^*(C) = G\\left(\\frac{C}{6}\\right)^{a},\\quad
              G = \\left(\\frac{\\alpha A}{\\beta B}\\right)^{\\frac{1}{\\alpha+\\beta}},\\quad
              a = \\frac{\\beta}{\\alpha+\\beta}

    Derived in :func:`inferecon.symbolic.scaling.compute_optimal`.
    """
    f = get_fit(fit)
    c = positive("flop", flop)
    return f.G * (c / TRAINING_FLOP_PER_PARAM_TOKEN) ** f.params_exponent


def compute_optimal_tokens(fit: "str | ScalingFit", flop: ArrayLike) -> NDArray[np.float64]:
    """Loss-minimizing training tokens for a budget :math:`C`:
    :math:`D^*(C) = G^{-1}(C/6)^{b}`, :math:`b = \\alpha/(\\alpha+\\beta)`."""
    f = get_fit(fit)
    c = positive("flop", flop)
    return (c / TRAINING_FLOP_PER_PARAM_TOKEN) ** f.tokens_exponent / f.G


def compute_optimal_tokens_per_param(fit: "str | ScalingFit", flop: ArrayLike) -> NDArray[np.float64]:
    """Tokens per parameter at the optimum, :math:`D^*/N^* = G^{-2}(C/6)^{(\\alpha-\\beta)/(\\alpha+\\beta)}`.

    Constant (independent of :math:`C`) only when :math:`\\alpha = \\beta`.
    """
    return compute_optimal_tokens(fit, flop) / compute_optimal_params(fit, flop)


def compute_optimal_loss(fit: "str | ScalingFit", flop: ArrayLike) -> NDArray[np.float64]:
    """Lowest loss reachable with :math:`C` training FLOPs, :math:`L(N^*(C), D^*(C))`."""
    return loss(fit, compute_optimal_params(fit, flop), compute_optimal_tokens(fit, flop))


def compute_optimal_flop_for_params(fit: "str | ScalingFit", params: ArrayLike) -> NDArray[np.float64]:
    """The budget at which :math:`N` is the compute-optimal size: :math:`C = 6(N/G)^{1/a}`."""
    f = get_fit(fit)
    n = positive("params", params)
    return TRAINING_FLOP_PER_PARAM_TOKEN * (n / f.G) ** (1.0 / f.params_exponent)


def compute_optimal_tokens_for_params(fit: "str | ScalingFit", params: ArrayLike) -> NDArray[np.float64]:
    """Tokens that make :math:`N` compute-optimal under ``fit``: :math:`D = (N/G)^{1/a}/N`.

    This is what Sardana et al.'s code calls a "Chinchilla-style" model of size :math:`N`
    (their ``chinchilla_tokens_from_params``), not :math:`20N`.
    """
    n = positive("params", params)
    return compute_optimal_flop_for_params(fit, n) / (TRAINING_FLOP_PER_PARAM_TOKEN * n)


def compute_optimal_for_loss(fit: "str | ScalingFit", target_loss: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The compute-optimal :math:`(N, D)` that reaches ``target_loss``.

    At the optimum :math:`\\alpha A N^{-\\alpha} = \\beta B D^{-\\beta}` (the balance condition),
    so

    .. math:: N = \\left(\\frac{A(1+\\alpha/\\beta)}{\\ell - E}\\right)^{1/\\alpha},\\qquad
              D = \\left(\\frac{B(1+\\beta/\\alpha)}{\\ell - E}\\right)^{1/\\beta}
    """
    f = get_fit(fit)
    gap = _check_loss_above_E(f, target_loss) - f.E
    n = (f.A * (1 + f.alpha / f.beta) / gap) ** (1 / f.alpha)
    d = (f.B * (1 + f.beta / f.alpha) / gap) ** (1 / f.beta)
    return n, d


def compute_optimal_flop_for_loss(fit: "str | ScalingFit", target_loss: ArrayLike) -> NDArray[np.float64]:
    """Least training compute that reaches ``target_loss``: :math:`C = 6ND` at
    :func:`compute_optimal_for_loss`."""
    n, d = compute_optimal_for_loss(fit, target_loss)
    return training_flop(n, d)


def compute_efficiency(fit: "str | ScalingFit", params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """Share of a run's compute that a compute-optimal split would need for the same loss.

    .. math:: \\eta(N, D) = \\frac{C^*(L(N, D))}{6ND} \\le 1

    1 means (N, D) is compute-optimal under ``fit``; 0.5 means the same loss was reachable
    with half the training compute. Its inverse is the over-training (or under-training) tax.
    """
    return compute_optimal_flop_for_loss(fit, loss(fit, params, tokens)) / training_flop(params, tokens)


def training_tokens_for_flop(params: ArrayLike, flop: ArrayLike) -> NDArray[np.float64]:
    """Tokens a budget buys for a given size: :math:`D = C/(6N)` (inverse of 6ND)."""
    return positive("flop", flop) / (TRAINING_FLOP_PER_PARAM_TOKEN * positive("params", params))


# -------------------------------------------------------------- iso-loss
def min_params_for_loss(fit: "str | ScalingFit", target_loss: ArrayLike) -> NDArray[np.float64]:
    """Smallest size that reaches ``target_loss`` with unlimited data: :math:`(A/(\\ell-E))^{1/\\alpha}`.

    Any smaller model has a loss floor above the target.
    """
    f = get_fit(fit)
    return (f.A / (_check_loss_above_E(f, target_loss) - f.E)) ** (1 / f.alpha)


def min_tokens_for_loss(fit: "str | ScalingFit", target_loss: ArrayLike) -> NDArray[np.float64]:
    """Fewest tokens that reach ``target_loss`` with an unlimited model: :math:`(B/(\\ell-E))^{1/\\beta}`."""
    f = get_fit(fit)
    return (f.B / (_check_loss_above_E(f, target_loss) - f.E)) ** (1 / f.beta)


def tokens_to_reach_loss(fit: "str | ScalingFit", params: ArrayLike, target_loss: ArrayLike) -> NDArray[np.float64]:
    """Training tokens a model of :math:`N` parameters needs to reach loss :math:`\\ell`.

    .. math:: D(N, \\ell) = \\left(\\frac{B}{\\ell - E - A/N^\\alpha}\\right)^{1/\\beta}

    Raises
    ------
    ValueError
        if :math:`\\ell` is at or below the size's loss floor :math:`E + A/N^\\alpha`: no amount
        of data gets there (the message gives the floor and the smallest size that can).
    """
    f = get_fit(fit)
    n = positive("params", params)
    ell = positive("target_loss", target_loss)
    n, ell = np.broadcast_arrays(n, ell)
    floor = loss_floor(f, n)
    bad = ell <= floor
    if bad.any():
        i = np.flatnonzero(bad.ravel())[0]
        nb, lb, fb = n.ravel()[i], ell.ravel()[i], floor.ravel()[i]
        hint = (f"the smallest size that can is {float(min_params_for_loss(f, lb)):.3g} parameters"
                if lb > f.E else f"no size can: the target is not above E = {f.E:g}")
        raise ValueError(
            f"a model with {nb:.3g} parameters can never reach loss {lb:.4f} under {f.name}: "
            f"its loss floor (infinite data) is {fb:.4f}; {hint}")
    return (f.B / (ell - floor)) ** (1 / f.beta)


def params_to_reach_loss(fit: "str | ScalingFit", tokens: ArrayLike, target_loss: ArrayLike) -> NDArray[np.float64]:
    """Parameters needed to reach loss :math:`\\ell` with :math:`D` tokens,
    :math:`N = (A/(\\ell - E - B/D^\\beta))^{1/\\alpha}`; ValueError if :math:`D` is too few."""
    f = get_fit(fit)
    d = positive("tokens", tokens)
    ell = positive("target_loss", target_loss)
    d, ell = np.broadcast_arrays(d, ell)
    floor = f.E + f.B / d ** f.beta
    bad = ell <= floor
    if bad.any():
        i = np.flatnonzero(bad.ravel())[0]
        raise ValueError(
            f"{d.ravel()[i]:.3g} tokens can never reach loss {ell.ravel()[i]:.4f} under {f.name}: "
            f"even an infinite model stops at {floor.ravel()[i]:.4f}")
    return (f.A / (ell - floor)) ** (1 / f.alpha)


def iso_loss_curve(fit: "str | ScalingFit", target_loss: float, params: ArrayLike | None = None,
                   n_points: int = 200, max_params: float = 1e13) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The :math:`(N, D)` pairs with :math:`L(N, D) = \\ell` (an iso-loss curve).

    By default spans sizes from 1.05 times :func:`min_params_for_loss` (where :math:`D\\to\\infty`)
    to ``max_params``. Returns ``(params, tokens)``.
    """
    f = get_fit(fit)
    if params is None:
        n_min = float(min_params_for_loss(f, target_loss)) * 1.05
        if n_min >= max_params:
            raise ValueError(f"max_params = {max_params:.3g} is below the smallest size "
                             f"({n_min:.3g}) that reaches loss {target_loss:g}")
        params = np.geomspace(n_min, max_params, int(n_points))
    n = positive("params", params)
    return n, tokens_to_reach_loss(f, n, target_loss)


# ---------------------------------------------------------------- over-training
def overtraining_ratio(params: ArrayLike, tokens: ArrayLike,
                       reference_tokens_per_param: ArrayLike = CHINCHILLA_TOKENS_PER_PARAM) -> NDArray[np.float64]:
    """Tokens per parameter relative to the 20-tokens-per-parameter rule, :math:`D/(20N)`.

    Above 1 the model saw more data than the Chinchilla rule of thumb for its size.
    """
    return positive("tokens", tokens) / (positive("reference_tokens_per_param", reference_tokens_per_param)
                                         * positive("params", params))


def overtraining_ratio_vs_fit(fit: "str | ScalingFit", params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """Tokens per parameter relative to the fit's own optimum at the same compute.

    .. math:: \\frac{D/N}{D^*(C)/N^*(C)},\\qquad C = 6ND

    1 means the budget was split compute-optimally under ``fit``; above 1 the model is smaller
    and trained longer than that optimum.
    """
    n = positive("params", params)
    d = positive("tokens", tokens)
    c = training_flop(n, d)
    return (d / n) / compute_optimal_tokens_per_param(fit, c)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedModel:
    """A published model's size and pre-training tokens (``tokens=None`` if undisclosed)."""

    name: str
    params: float
    tokens: float | None
    citation: str
    note: str = ""


def _trained_models() -> tuple[TrainedModel, ...]:
    llama3_8b = get_model("llama-3-8b")
    chin = get_model("chinchilla-70b")
    return (
        TrainedModel(name="Chinchilla 70B", params=70e9, tokens=float(chin.training_tokens or 0),
                     citation="hoffmann2022training", note="the compute-optimal reference, 20 tokens/param"),
        TrainedModel(name="LLaMA-7B", params=6.7e9, tokens=1.0e12, citation="touvron2023llama",
                     note="Table 2 of the paper: 6.7B parameters, 1.0T tokens"),
        TrainedModel(name="LLaMA-13B", params=13.0e9, tokens=1.0e12, citation="touvron2023llama",
                     note="Table 2 of the paper: 13.0B parameters, 1.0T tokens"),
        TrainedModel(name="Mistral 7B", params=7.24e9, tokens=None, citation="jiang2023mistral",
                     note="the paper does not disclose its training tokens; 7.24B is counted from "
                          "its configuration (32 layers, d_model 4096, SwiGLU 14336, 8 KV heads, "
                          "vocabulary 32000)"),
        TrainedModel(name="Phi-2", params=2.7e9, tokens=1.4e12, citation="javaheripi2023phi2",
                     note="2.7B parameters trained on 1.4T tokens (multiple passes over a mix "
                          "of synthetic and filtered web data)"),
        TrainedModel(name="Llama 3 8B", params=float(llama3_8b.total_params),
                     tokens=float(llama3_8b.training_tokens or 0), citation="grattafiori2024llama3",
                     note="about 15T tokens; parameters counted from the configuration"),
    )


#: Published sizes and token counts used in chapter 3 (Mistral's token count is undisclosed).
TRAINED_MODELS: tuple[TrainedModel, ...] = _trained_models()


# ---------------------------------------------------------------- break-even
def break_even_inference_tokens(params_1: ArrayLike, tokens_1: ArrayLike,
                                params_2: ArrayLike, tokens_2: ArrayLike) -> NDArray[np.float64]:
    """Lifetime inference tokens at which two (N, D) options cost the same FLOPs.

    Each option costs :math:`6N_iD_i + 2N_iT` over :math:`T` inference tokens; equating them,

    .. math:: T^* = \\frac{6N_2D_2 - 6N_1D_1}{2(N_1 - N_2)}

    Beyond :math:`T^*` the smaller model is cheaper. If the smaller model is also the cheaper one
    to train, the formula is negative: there is no break-even, the smaller model is cheaper from
    the first token, and **0 is returned**. This is FLOP arithmetic only: it says nothing about
    whether the two reach the same loss (see :func:`compare_break_even`).

    Raises
    ------
    ValueError
        if :math:`N_1 = N_2` (same cost per inference token: the volumes never cross).
    """
    n1 = positive("params_1", params_1)
    d1 = positive("tokens_1", tokens_1)
    n2 = positive("params_2", params_2)
    d2 = positive("tokens_2", tokens_2)
    n1, d1, n2, d2 = np.broadcast_arrays(n1, d1, n2, d2)
    same = n1 == n2
    if same.any():
        raise ValueError(f"params_1 and params_2 are equal ({float(n1[same].ravel()[0]):.3g}): both options "
                         "cost the same per inference token, so there is no break-even volume; "
                         "compare their training FLOPs instead")
    t = ((TRAINING_FLOP_PER_PARAM_TOKEN * (n2 * d2 - n1 * d1))
         / (INFERENCE_FLOP_PER_PARAM_TOKEN * (n1 - n2)))
    return np.maximum(t, 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakEven:
    """Two training options compared over a model's lifetime (see :func:`compare_break_even`).

    ``case`` is one of ``"break-even"`` (the over-trained smaller model pays back after
    ``inference_tokens``), ``"smaller-always-cheaper"`` (it is also cheaper to train: no
    break-even needed), ``"smaller-is-worse"`` (it has a higher loss: not a like-for-like
    comparison; ``inference_tokens`` is then ``inf``: no volume makes them equivalent).
    """

    case: str
    params_large: float
    tokens_large: float
    params_small: float
    tokens_small: float
    training_flop_large: float
    training_flop_small: float
    loss_large: float | None
    loss_small: float | None
    inference_tokens: float
    message: str

    @property
    def extra_training_flop(self) -> float:
        """Training FLOPs of the smaller option minus the larger (negative if it is cheaper)."""
        return self.training_flop_small - self.training_flop_large


def compare_break_even(params_1: float, tokens_1: float, params_2: float, tokens_2: float,
                       fit: "str | ScalingFit | None" = None, loss_tolerance: float = 1e-3) -> BreakEven:
    """Compare two (N, D) options honestly: training FLOPs, losses and the break-even volume.

    The options are ordered so that "large" has more parameters. With a ``fit``, the smaller
    option counts as matching if its loss is within ``loss_tolerance`` (nats) of the larger's;
    if it is worse, the result says so, and whether *any* amount of data could close the gap
    (the loss floor of its size). ``N_1 = N_2`` raises ValueError.
    """
    n1, d1, n2, d2 = (float(positive(k, v)) for k, v in
                      (("params_1", params_1), ("tokens_1", tokens_1),
                       ("params_2", params_2), ("tokens_2", tokens_2)))
    if n1 == n2:
        break_even_inference_tokens(n1, d1, n2, d2)  # raises the standard message
    (nl, dl), (ns, ds) = sorted([(n1, d1), (n2, d2)], reverse=True)
    cl, cs = float(training_flop(nl, dl)), float(training_flop(ns, ds))
    ll = ls = None
    tol = float(non_negative("loss_tolerance", loss_tolerance))
    if fit is not None:
        f = get_fit(fit)
        ll, ls = float(loss(f, nl, dl)), float(loss(f, ns, ds))
        if ls > ll + tol:
            floor = float(loss_floor(f, ns))
            if floor < ll:
                need = float(tokens_to_reach_loss(f, ns, ll))
                how = (f"with {need:.3g} tokens ({float(training_flop(ns, need)):.3g} training FLOP) "
                       f"it would match")
            else:
                how = f"no amount of data can close the gap: its loss floor is {floor:.4f}"
            return BreakEven(
                case="smaller-is-worse", params_large=nl, tokens_large=dl, params_small=ns,
                tokens_small=ds, training_flop_large=cl, training_flop_small=cs, loss_large=ll,
                loss_small=ls, inference_tokens=float("inf"),
                message=(f"the {ns:.3g}-parameter option reaches loss {ls:.4f}, worse than "
                         f"{ll:.4f}: a break-even volume would compare unequal models; {how}"))
    t = float(break_even_inference_tokens(nl, dl, ns, ds))
    if cs <= cl:
        return BreakEven(
            case="smaller-always-cheaper", params_large=nl, tokens_large=dl, params_small=ns,
            tokens_small=ds, training_flop_large=cl, training_flop_small=cs, loss_large=ll,
            loss_small=ls, inference_tokens=0.0,
            message=(f"the smaller option is also cheaper to train ({cs:.3g} vs {cl:.3g} FLOP): "
                     "it is cheaper at every inference volume, no break-even needed"))
    return BreakEven(
        case="break-even", params_large=nl, tokens_large=dl, params_small=ns, tokens_small=ds,
        training_flop_large=cl, training_flop_small=cs, loss_large=ll, loss_small=ls,
        inference_tokens=t,
        message=(f"the smaller option costs {cs - cl:.3g} more training FLOP and saves "
                 f"{INFERENCE_FLOP_PER_PARAM_TOKEN * (nl - ns):.3g} FLOP per inference token: "
                 f"it pays back after {t:.3g} inference tokens"))


def matched_loss_tokens(fit: "str | ScalingFit", params_reference: ArrayLike, tokens_reference: ArrayLike,
                        params: ArrayLike) -> NDArray[np.float64]:
    """Tokens a model of ``params`` needs to match the loss of (``params_reference``, ``tokens_reference``).

    ValueError (from :func:`tokens_to_reach_loss`) if the size can never match.
    """
    return tokens_to_reach_loss(fit, params, loss(fit, params_reference, tokens_reference))


# ---------------------------------------------------------------- lifetime
def lifetime_flop(params: ArrayLike, tokens: ArrayLike, inference_tokens: ArrayLike) -> NDArray[np.float64]:
    """Training plus inference compute, :math:`6ND + 2NT_\\mathrm{inf}` (FLOP)."""
    return training_flop(params, tokens) + inference_flop(params, inference_tokens)


def _lifetime_stationarity(f: ScalingFit, log_d: NDArray[np.float64], t: NDArray[np.float64],
                           ell: NDArray[np.float64]) -> NDArray[np.float64]:
    d = np.exp(log_d)
    return ((f.beta * f.B / f.alpha + f.B) * d ** -f.beta
            + f.beta * f.B * t / (3 * f.alpha) * d ** (-f.beta - 1) + f.E - ell)


def lifetime_optimal(fit: "str | ScalingFit", target_loss: ArrayLike,
                     inference_tokens: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The (N, D) that reaches ``target_loss`` with the least lifetime compute (Sardana et al. 2024).

    Minimize :math:`6ND + 2NT` subject to :math:`L(N, D) = \\ell`. Eliminating the multiplier
    and :math:`N` leaves one equation in :math:`D`
    (:func:`inferecon.symbolic.scaling.lifetime_stationarity`):

    .. math:: \\left(\\frac{\\beta B}{\\alpha} + B\\right)D^{-\\beta}
              + \\frac{\\beta B T}{3\\alpha}D^{-\\beta-1} + E - \\ell = 0,\\qquad
              N = \\left(\\frac{A}{\\ell - E - B D^{-\\beta}}\\right)^{1/\\alpha}

    The left side falls strictly from :math:`+\\infty` to :math:`E - \\ell < 0`, so the root is
    unique; it is found by vectorized bisection in :math:`\\log D` (no per-point loop).
    :math:`T = 0` gives :func:`compute_optimal_for_loss`.

    Returns ``(params, tokens)`` broadcast over ``target_loss`` and ``inference_tokens``.
    """
    f = get_fit(fit)
    ell = _check_loss_above_E(f, target_loss)
    t = non_negative("inference_tokens", inference_tokens)
    ell, t = np.broadcast_arrays(ell, t)
    # bracket: D at T = 0 is a lower bound (inference pushes D up); the data-limited D where
    # B D^-beta alone uses the whole gap is an upper bound only for T -> inf, so widen in log.
    d0 = (f.B * (1 + f.beta / f.alpha) / (ell - f.E)) ** (1 / f.beta)
    lo = np.log(d0) - 1e-9
    hi = np.log(d0) + 1.0
    for _ in range(200):  # widen the upper end until the sign changes (a few steps at most)
        pos = _lifetime_stationarity(f, hi, t, ell) > 0
        if not pos.any():
            break
        hi = np.where(pos, hi + 2.0 * (hi - lo), hi)
    for _ in range(100):  # bisection: interval shrinks 2^-100
        mid = 0.5 * (lo + hi)
        pos = _lifetime_stationarity(f, mid, t, ell) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    d = np.exp(0.5 * (lo + hi))
    n = (f.A / (ell - f.E - f.B * d ** -f.beta)) ** (1 / f.alpha)
    return n, d


@dataclass(frozen=True, slots=True, kw_only=True)
class LifetimeComparison:
    """A baseline model against the lifetime-optimal model of the same loss."""

    fit_id: str
    target_loss: float
    inference_tokens: float
    baseline_params: float
    baseline_tokens: float
    baseline_flop: float
    optimal_params: float
    optimal_tokens: float
    optimal_flop: float

    @property
    def flop_saved(self) -> float:
        """Lifetime FLOPs saved by the lifetime-optimal model."""
        return self.baseline_flop - self.optimal_flop

    @property
    def fraction_saved(self) -> float:
        """Saved FLOPs as a fraction of the baseline's lifetime FLOPs."""
        return self.flop_saved / self.baseline_flop


def compare_lifetime_optimal(fit: "str | ScalingFit", baseline_params: float, inference_tokens: float,
                             baseline_tokens: float | None = None) -> LifetimeComparison:
    """Sardana et al.'s comparison for one baseline.

    The baseline is :math:`N` trained to the fit's own compute optimum for its size
    (:func:`compute_optimal_tokens_for_params`, their "Chinchilla-style" model) unless
    ``baseline_tokens`` is given; the target is its loss, and the lifetime-optimal model
    reaches the same loss with least :math:`6ND + 2NT`.
    """
    f = get_fit(fit)
    n0 = float(positive("baseline_params", baseline_params))
    d0 = (float(compute_optimal_tokens_for_params(f, n0)) if baseline_tokens is None
          else float(positive("baseline_tokens", baseline_tokens)))
    t = float(non_negative("inference_tokens", inference_tokens))
    target = float(loss(f, n0, d0))
    n, d = lifetime_optimal(f, target, t)
    return LifetimeComparison(
        fit_id=f.id, target_loss=target, inference_tokens=t,
        baseline_params=n0, baseline_tokens=d0, baseline_flop=float(lifetime_flop(n0, d0, t)),
        optimal_params=float(n), optimal_tokens=float(d), optimal_flop=float(lifetime_flop(n, d, t)))


def lifetime_saving_fraction(fit: "str | ScalingFit", baseline_params: float, inference_tokens: ArrayLike,
                             baseline_tokens: float | None = None) -> NDArray[np.float64]:
    """Share of lifetime FLOPs saved by the lifetime-optimal model, vectorized over demand.

    .. math:: 1 - \\frac{6N^*D^* + 2N^*T}{6N_0D_0 + 2N_0T}

    with :math:`(N_0, D_0)` the baseline (trained to the fit's compute optimum for its size
    unless ``baseline_tokens`` is given) and :math:`(N^*, D^*)` = :func:`lifetime_optimal` for
    the baseline's loss. 0 at :math:`T = 0`; it rises towards 1 as demand grows.
    """
    f = get_fit(fit)
    n0 = float(positive("baseline_params", baseline_params))
    d0 = (float(compute_optimal_tokens_for_params(f, n0)) if baseline_tokens is None
          else float(positive("baseline_tokens", baseline_tokens)))
    t = non_negative("inference_tokens", inference_tokens)
    n, d = lifetime_optimal(f, float(loss(f, n0, d0)), t)
    return 1.0 - lifetime_flop(n, d, t) / lifetime_flop(n0, d0, t)


def usd_per_flop(price_usd_per_hour: ArrayLike, flop_per_s: ArrayLike) -> NDArray[np.float64]:
    """Price of one FLOP at full utilization, :math:`c = p/(3600\\,F)` (USD/FLOP)."""
    return positive("price_usd_per_hour", price_usd_per_hour) / (3600.0 * positive("flop_per_s", flop_per_s))


def effective_inference_tokens(prefill_tokens: ArrayLike, decode_tokens: ArrayLike, *,
                               training_usd_per_flop: ArrayLike, inference_usd_per_flop: ArrayLike,
                               training_mfu: ArrayLike, prefill_mfu: ArrayLike,
                               decode_mfu: ArrayLike) -> NDArray[np.float64]:
    """Inference tokens, re-weighted so the cost problem becomes the FLOP problem.

    The cost objective of Sardana et al. (their eq. for cost-optimal training) is

    .. math:: \\frac{c_\\mathrm{tr}}{u_\\mathrm{tr}}6ND + 2N c_\\mathrm{inf}
              \\left(\\frac{T_\\mathrm{in}}{u_\\mathrm{pre}} + \\frac{T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)
              = \\frac{c_\\mathrm{tr}}{u_\\mathrm{tr}}\\left(6ND + 2N T_\\mathrm{eff}\\right),\\quad
              T_\\mathrm{eff} = \\frac{c_\\mathrm{inf}\\,u_\\mathrm{tr}}{c_\\mathrm{tr}}
              \\left(\\frac{T_\\mathrm{in}}{u_\\mathrm{pre}} + \\frac{T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)

    so the cost-optimal model is :func:`lifetime_optimal` with :math:`T_\\mathrm{eff}`. A low
    decode MFU makes each generated token count many times.
    """
    t_in = non_negative("prefill_tokens", prefill_tokens)
    t_out = non_negative("decode_tokens", decode_tokens)
    c_tr = positive("training_usd_per_flop", training_usd_per_flop)
    c_inf = positive("inference_usd_per_flop", inference_usd_per_flop)
    u_tr = fraction("training_mfu", training_mfu)
    u_pre = fraction("prefill_mfu", prefill_mfu)
    u_dec = fraction("decode_mfu", decode_mfu)
    return c_inf * u_tr / c_tr * (t_in / u_pre + t_out / u_dec)


def lifetime_cost_usd(params: ArrayLike, tokens: ArrayLike, prefill_tokens: ArrayLike,
                      decode_tokens: ArrayLike, *, training_usd_per_flop: ArrayLike,
                      inference_usd_per_flop: ArrayLike, training_mfu: ArrayLike,
                      prefill_mfu: ArrayLike, decode_mfu: ArrayLike) -> NDArray[np.float64]:
    """Training plus serving cost in USD (Sardana et al. 2024, cost variant).

    .. math:: \\$ = \\frac{c_\\mathrm{tr}\\,6ND}{u_\\mathrm{tr}}
              + c_\\mathrm{inf}\\left(\\frac{2N T_\\mathrm{in}}{u_\\mathrm{pre}}
              + \\frac{2N T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)
    """
    c_tr = positive("training_usd_per_flop", training_usd_per_flop)
    u_tr = fraction("training_mfu", training_mfu)
    t_eff = effective_inference_tokens(
        prefill_tokens, decode_tokens, training_usd_per_flop=c_tr,
        inference_usd_per_flop=inference_usd_per_flop, training_mfu=u_tr,
        prefill_mfu=prefill_mfu, decode_mfu=decode_mfu)
    return c_tr / u_tr * lifetime_flop(params, tokens, t_eff)


def lifetime_cost_optimal(fit: "str | ScalingFit", target_loss: ArrayLike, prefill_tokens: ArrayLike,
                          decode_tokens: ArrayLike, *, training_usd_per_flop: ArrayLike,
                          inference_usd_per_flop: ArrayLike, training_mfu: ArrayLike,
                          prefill_mfu: ArrayLike, decode_mfu: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The (N, D) reaching ``target_loss`` at least lifetime USD (Sardana et al. 2024).

    Separate prices per FLOP for training and inference hardware, and separate utilizations for
    training, prefill and decode; solved as :func:`lifetime_optimal` with
    :func:`effective_inference_tokens`.
    """
    t_eff = effective_inference_tokens(
        prefill_tokens, decode_tokens, training_usd_per_flop=training_usd_per_flop,
        inference_usd_per_flop=inference_usd_per_flop, training_mfu=training_mfu,
        prefill_mfu=prefill_mfu, decode_mfu=decode_mfu)
    return lifetime_optimal(fit, target_loss, t_eff)


# ---------------------------------------------------------------- fitting
#: Hoffmann's grid of initial points for (alpha, beta, e=log E, a=log A, b=log B), 4,500 starts
#: (also used by Sardana et al.'s ``huber_optimize.py``).
HOFFMANN_INIT_GRID: Mapping[str, tuple[float, ...]] = MappingProxyType({
    "alpha": (0.0, 0.5, 1.0, 1.5, 2.0), "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
    "e": (-1.0, -0.5, 0.0, 0.5, 1.0), "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)})
#: A coarse grid (2^5 = 32 starts) inside the same region, fast enough for a notebook. On the
#: synthetic data of chapter 2, all but two of its 32 starts reach the same minimum.
COARSE_INIT_GRID: Mapping[str, tuple[float, ...]] = MappingProxyType({
    "alpha": (0.2, 0.8), "beta": (0.2, 0.8), "e": (-0.5, 0.5), "a": (3.0, 10.0), "b": (3.0, 10.0)})


@dataclass(frozen=True, slots=True, kw_only=True)
class Approach3Result:
    """Outcome of :func:`fit_approach3`: the fitted law and the optimizer's bookkeeping."""

    fit: ScalingFit
    objective: float
    n_starts: int
    n_points: int
    delta: float


def synthetic_runs(fit: "str | ScalingFit", params: ArrayLike, tokens_per_param: ArrayLike, *,
                   noise_sd: float = 0.01, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Synthetic training runs on the grid ``params`` x ``tokens_per_param`` with known truth.

    Loss is :math:`L(N, D)\\,e^{\\sigma z}`, :math:`z \\sim \\mathcal N(0, 1)` (multiplicative
    noise, i.e. additive on log-loss, the scale the fit works on), from a seeded generator so the
    result is reproducible. Returns flat ``(params, tokens, losses)``.
    """
    n = positive("params", params).ravel()
    r = positive("tokens_per_param", tokens_per_param).ravel()
    sd = float(non_negative("noise_sd", noise_sd))
    nn, rr = np.meshgrid(n, r, indexing="ij")
    nn, dd = nn.ravel(), (nn * rr).ravel()
    rng = np.random.default_rng(seed)
    return nn, dd, loss(fit, nn, dd) * np.exp(sd * rng.standard_normal(nn.size))


def _huber_objective(theta: NDArray[np.float64], log_n: NDArray[np.float64], log_d: NDArray[np.float64],
                     log_l: NDArray[np.float64], delta: float) -> tuple[float, NDArray[np.float64]]:
    """Sum of Huber losses of log-loss residuals and its gradient; theta = (e, a, b, alpha, beta).

    Residual :math:`r_i = \\mathrm{LSE}(a - \\alpha\\log N_i, b - \\beta\\log D_i, e) - \\log L_i`;
    its gradient uses the softmax weights of the three terms.
    """
    e, a, b, alpha, beta = theta
    t1 = a - alpha * log_n
    t2 = b - beta * log_d
    top = np.maximum(np.maximum(t1, t2), e)
    w1, w2, w3 = np.exp(t1 - top), np.exp(t2 - top), np.exp(e - top)
    total = w1 + w2 + w3
    r = top + np.log(total) - log_l
    absr = np.abs(r)
    value = float(np.where(absr <= delta, 0.5 * r * r, delta * (absr - 0.5 * delta)).sum())
    h = np.clip(r, -delta, delta) / total
    hw1, hw2 = h * w1, h * w2
    grad = np.array([(h * w3).sum(), hw1.sum(), hw2.sum(), -(hw1 * log_n).sum(), -(hw2 * log_d).sum()])
    return value, grad


def _starts(grid: Mapping[str, Sequence[float]]) -> NDArray[np.float64]:
    for key in ("alpha", "beta", "e", "a", "b"):
        if key not in grid or len(grid[key]) == 0:
            raise ValueError(f"initial_grid needs a non-empty {key!r} entry; keys: alpha, beta, e, a, b")
    return np.array([(e, a, b, al, be) for al, be, e, a, b in
                     product(grid["alpha"], grid["beta"], grid["e"], grid["a"], grid["b"])], dtype=float)


#: Optimizer settings used by :func:`fit_approach3` for the final, converged fit.
TIGHT_OPTIONS: Mapping[str, float] = MappingProxyType({"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
#: Settings for screening the initial points: each start is run to within about 1e-7 of its
#: local minimum, and only the best one is then polished with :data:`TIGHT_OPTIONS`. The
#: result is the same minimum as running every start with tight settings, at about half the
#: optimizer steps.
SCREEN_OPTIONS: Mapping[str, float] = MappingProxyType({"maxiter": 2000, "ftol": 1e-10, "gtol": 1e-7})


def _one_blas_thread():
    """Run scipy's L-BFGS-B with a single BLAS thread, if threadpoolctl is installed.

    L-BFGS-B calls BLAS/LAPACK on 10 x 10 matrices at every step; a multi-threaded OpenBLAS
    wakes its threads for each of them, which makes the fit several times slower on a busy
    machine (e.g. under ``pytest -n 2``) without changing a digit of the result.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional: only speed depends on it
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _fit_from_starts(log_n, log_d, log_l, delta, starts, *, mean_loss: bool = False,
                     options: Mapping[str, float] | None = None) -> tuple[NDArray[np.float64], float]:
    """Best L-BFGS-B fit over ``starts``; returns ``(theta, summed Huber loss)``.

    With ``options=None`` every start is screened with :data:`SCREEN_OPTIONS` and the best is
    polished with :data:`TIGHT_OPTIONS`. Explicit ``options`` are used as given for every start,
    with no polishing (``options={}`` is scipy's default stopping rule).
    """
    from scipy.optimize import minimize  # lazy: keeps `import inferecon` light

    # The summed Huber loss is divided by n*delta, so the objective is about the mean |residual|
    # (1e-3 to 1e-2 here) and the tolerances bite near the minimum; ``mean_loss`` divides by n
    # only, the averaged objective (about delta * |residual|, 1e-6 here) that Besiroglu et al.
    # blame for the original early stop. The scale moves where the optimizer stops, not the
    # minimum.
    scale = 1.0 / log_l.size if mean_loss else 1.0 / (delta * log_l.size)

    def objective(th):
        v, g = _huber_objective(th, log_n, log_d, log_l, delta)
        return v * scale, g * scale

    def run(x0, opts):
        res = minimize(objective, x0, jac=True, method="L-BFGS-B", options=opts)
        return res.x, _huber_objective(res.x, log_n, log_d, log_l, delta)[0]

    best_x, best_v = None, np.inf
    opts = dict(SCREEN_OPTIONS if options is None else options)
    with _one_blas_thread():
        for x0 in starts:
            x, v = run(x0, opts)
            if np.all(np.isfinite(x)) and v < best_v:
                best_x, best_v = x, v
        if best_x is None:  # pragma: no cover - every start diverged
            raise ValueError("the fit did not converge from any initial point")
        if options is None:
            x, v = run(best_x, dict(TIGHT_OPTIONS))
            if np.all(np.isfinite(x)) and v <= best_v:
                best_x, best_v = x, v
    return best_x, best_v


def _validate_runs(params, tokens, losses):
    n = positive("params", params).ravel()
    d = positive("tokens", tokens).ravel()
    l_ = positive("losses", losses).ravel()
    if not n.size == d.size == l_.size:
        raise ValueError(f"params, tokens and losses must have the same length, got "
                         f"{n.size}, {d.size}, {l_.size}")
    if n.size < 5:
        raise ValueError(f"need at least 5 runs to fit 5 constants, got {n.size}")
    return np.log(n), np.log(d), np.log(l_)


def fit_approach3(params: ArrayLike, tokens: ArrayLike, losses: ArrayLike, *, delta: float = 1e-3,
                  initial_grid: Mapping[str, Sequence[float]] = COARSE_INIT_GRID,
                  mean_loss: bool = False, options: Mapping[str, float] | None = None,
                  id: str = "fitted", name: str = "Approach-3 fit", citation: str = "hoffmann2022training") -> Approach3Result:
    """Fit :math:`E, A, B, \\alpha, \\beta` to runs the way Hoffmann et al. (Approach 3) do.

    Minimize over :math:`\\theta = (e, a, b, \\alpha, \\beta)`, with :math:`E = e^e`, :math:`A = e^a`,
    :math:`B = e^b`,

    .. math:: \\sum_i \\mathrm{Huber}_\\delta\\Big(\\mathrm{LSE}(a - \\alpha\\log N_i,\\;
              b - \\beta\\log D_i,\\; e) - \\log L_i\\Big)

    with L-BFGS-B (scipy, imported here) from every point of ``initial_grid``, keeping the best
    (each start is screened with :data:`SCREEN_OPTIONS`, the best one polished with
    :data:`TIGHT_OPTIONS`). The Huber loss is **summed**, and the optimizer sees it divided by
    :math:`n\\delta`, which keeps it near the mean absolute residual so that the stopping rule
    acts near the minimum. Besiroglu et al. traced the original fit's errors to an optimizer
    that stopped before convergence because of a poor choice of loss scale
    :cite:`besiroglu2024chinchilla`; ``mean_loss=True`` with ``options={}`` (the averaged loss
    and scipy's default tolerances) reproduces that failure for teaching.
    """
    log_n, log_d, log_l = _validate_runs(params, tokens, losses)
    dl = float(positive("delta", delta))
    starts = _starts(initial_grid)
    x, v = _fit_from_starts(log_n, log_d, log_l, dl, starts, mean_loss=mean_loss, options=options)
    e, a, b, alpha, beta = x
    if alpha <= 0 or beta <= 0:
        raise ValueError(f"the best fit has a non-positive exponent (alpha={alpha:.3g}, beta={beta:.3g}); "
                         "the runs do not span enough sizes and token counts")
    fit = ScalingFit(id=id, name=name, E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)),
                     alpha=float(alpha), beta=float(beta), citation=citation,
                     notes=f"Huber delta {dl:g}, {len(starts)} initial points, {log_n.size} runs")
    return Approach3Result(fit=fit, objective=v, n_starts=len(starts), n_points=int(log_n.size), delta=dl)


def bootstrap_approach3(params: ArrayLike, tokens: ArrayLike, losses: ArrayLike, *, n_boot: int = 20,
                        seed: int = 0, delta: float = 1e-3,
                        start: "ScalingFit | None" = None) -> NDArray[np.float64]:
    """Refit on resamples (with replacement) of the runs; rows are ``(E, A, B, alpha, beta)``.

    Each resample starts from ``start`` (e.g. the full-data fit; by default it is computed
    first with :data:`COARSE_INIT_GRID`) and from two spread-out points, so the spread reflects
    the data, not the optimizer. The generator is seeded: results are reproducible.
    """
    log_n, log_d, log_l = _validate_runs(params, tokens, losses)
    dl = float(positive("delta", delta))
    nb = int(positive("n_boot", n_boot))
    if start is None:
        start = fit_approach3(params, tokens, losses, delta=dl).fit
    s = get_fit(start) if isinstance(start, str) else start
    starts = np.array([[np.log(s.E), np.log(s.A), np.log(s.B), s.alpha, s.beta],
                       [0.0, 5.0, 5.0, 0.3, 0.3], [0.5, 7.0, 8.0, 0.4, 0.4]])
    rng = np.random.default_rng(seed)
    out = np.empty((nb, 5))
    for k in range(nb):  # one optimization per resample: the loop is over fits, not points
        idx = rng.integers(0, log_n.size, log_n.size)
        x, _ = _fit_from_starts(log_n[idx], log_d[idx], log_l[idx], dl, starts)
        out[k] = (np.exp(x[0]), np.exp(x[1]), np.exp(x[2]), x[3], x[4])
    return out

