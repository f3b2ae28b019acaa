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
(:func:`inferecon.training.lifecycle.training_flop`, :func:`inferecon.training.lifecycle.inference_flop`).
Everything here broadcasts over numpy arrays. :func:`fit_approach3` imports scipy lazily.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import lookup, positive, real
from inferecon.specs.models import get_model
from inferecon.training.lifecycle import (
    TRAINING_FLOP_PER_PARAM_TOKEN,
    training_flop,
)

__all__ = [
    "BESIROGLU_2024",
    "CHINCHILLA_TOKENS_PER_PARAM",
    "FITS",
    "GOPHER_BUDGET_FLOP",
    "HOFFMANN_2022",
    "HOFFMANN_2022_TABLE3",
    "HOFFMANN_2022_TEX",
    "SARDANA_2024",
    "TRAINED_MODELS",
    "ComputeOptimalProjection",
    "ScalingFit",
    "TrainedModel",
    "compute_efficiency",
    "compute_optimal_flop_for_loss",
    "compute_optimal_flop_for_params",
    "compute_optimal_for_loss",
    "compute_optimal_loss",
    "compute_optimal_params",
    "compute_optimal_tokens",
    "compute_optimal_tokens_for_params",
    "compute_optimal_tokens_per_param",
    "get_fit",
    "iso_loss_curve",
    "loss",
    "loss_floor",
    "min_params_for_loss",
    "min_tokens_for_loss",
    "overtraining_ratio",
    "overtraining_ratio_vs_fit",
    "params_to_reach_loss",
    "tokens_to_reach_loss",
    "training_tokens_for_flop",
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
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise ValueError(
                    f"{self.id}: {attr} must be a finite number > 0, got {value!r} ({type(value).__name__})"
                )
            if not (math.isfinite(value) and value > 0):
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
        return float((self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta)))

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """``(E, A, B, alpha, beta)``."""
        return (self.E, self.A, self.B, self.alpha, self.beta)

    @classmethod
    def from_tuple(
        cls,
        values: Sequence[float],
        *,
        id: str = "fitted",
        name: str = "fitted law",
        citation: str = "hoffmann2022training",
    ) -> ScalingFit:
        """Build a fit from ``(E, A, B, alpha, beta)``, e.g. one row of :func:`bootstrap_approach3`."""
        if len(values) != 5:
            raise ValueError(f"values must be (E, A, B, alpha, beta), got {len(values)} numbers")
        e, a, b, al, be = (float(v) for v in values)
        return cls(id=id, name=name, E=e, A=a, B=b, alpha=al, beta=be, citation=citation)


#: Hoffmann et al. 2022, Approach 3 (eq. 10) as printed: rounded to two decimals.
HOFFMANN_2022 = ScalingFit(
    id="hoffmann2022",
    name="Hoffmann et al. 2022 (Approach 3, as printed)",
    E=1.69,
    A=406.4,
    B=410.7,
    alpha=0.34,
    beta=0.28,
    citation="hoffmann2022training",
    short_name="Hoffmann 2022, printed",
    notes="Rounded values of eq. (10). They put the Gopher-budget optimum near 32B, not 70B.",
)
#: The same fit with the unrounded E, α, β found in the paper's TeX source (as reported by
#: Besiroglu et al. 2024); A and B are the printed values.
HOFFMANN_2022_TEX = ScalingFit(
    id="hoffmann2022-tex",
    name="Hoffmann et al. 2022 (Approach 3, TeX source)",
    E=1.6934,
    A=406.4,
    B=410.7,
    alpha=0.3392,
    beta=0.2849,
    citation="hoffmann2022training",
    short_name="Hoffmann 2022, TeX source",
    notes="E, alpha, beta from the TeX source as quoted by besiroglu2024chinchilla; the "
    "Gopher-budget optimum (~40B) matches the paper's own remark about Approach 3.",
)
#: The constants in Sardana et al.'s code (``utils.ChinchillaConstants``), which the authors
#: call the original Chinchilla coefficients.
SARDANA_2024 = ScalingFit(
    id="sardana2024",
    name="Sardana et al. 2024 (Chinchilla constants in their code)",
    E=1.69,
    A=406.4,
    B=410.7,
    alpha=0.336,
    beta=0.283,
    citation="sardana2024beyond",
    short_name="Sardana 2024 code",
    notes="alpha, beta differ from the printed 0.34/0.28 in the third decimal; used to "
    "reproduce their worked examples.",
)
#: Besiroglu, Erdil, Barnett & You 2024 refit of Approach 3 (standard errors: E 0.03,
#: A 124.58, B 1293.23, α 0.02, β 0.02).
BESIROGLU_2024 = ScalingFit(
    id="besiroglu2024",
    name="Besiroglu et al. 2024 (refit)",
    E=1.8172,
    A=482.01,
    B=2085.43,
    alpha=0.3478,
    beta=0.3658,
    citation="besiroglu2024chinchilla",
    short_name="Besiroglu 2024 refit",
    notes="Refit on 240 points reconstructed from Hoffmann's Figure 4 (Huber delta 1e-3, "
    "summed loss). Consistent with Approaches 1 and 2 (a = 0.513); puts 70B/1.4T near "
    "the compute optimum at Gopher's budget.",
)

FITS: Mapping[str, ScalingFit] = MappingProxyType(
    {f.id: f for f in (HOFFMANN_2022, HOFFMANN_2022_TEX, SARDANA_2024, BESIROGLU_2024)}
)


def get_fit(fit: str | ScalingFit) -> ScalingFit:
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
    ComputeOptimalProjection(params=n, flop=c, tokens=d)
    for n, c, d in (
        (400e6, 1.92e19, 8.0e9),
        (1e9, 1.21e20, 20.2e9),
        (10e9, 1.23e22, 205.1e9),
        (67e9, 5.76e23, 1.5e12),
        (175e9, 3.85e24, 3.7e12),
        (280e9, 9.90e24, 5.9e12),
        (520e9, 3.43e25, 11.0e12),
        (1e12, 1.27e26, 21.2e12),
        (10e12, 1.30e28, 216.2e12),
    )
)


# --------------------------------------------------------------------------- the law
def loss(fit: str | ScalingFit, params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
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
    return f.E + f.A / n**f.alpha + f.B / d**f.beta


def loss_floor(fit: str | ScalingFit, params: ArrayLike) -> NDArray[np.float64]:
    """Loss of a size trained on unlimited data, :math:`\\lim_{D\\to\\infty} L = E + A/N^\\alpha`.

    No amount of over-training takes a model of :math:`N` parameters below this.
    """
    f = get_fit(fit)
    return f.E + f.A / positive("params", params) ** f.alpha


def _check_loss_above_E(f: ScalingFit, target_loss: ArrayLike) -> NDArray[np.float64]:
    ell = positive("target_loss", target_loss)
    bad = ell <= f.E
    if bad.any():
        raise ValueError(
            f"target_loss must exceed the irreducible loss E = {f.E:g} of {f.name}, "
            f"got {float(ell[bad].ravel()[0]):.6g}"
        )
    return ell


# ------------------------------------------------------------ compute-optimal
def compute_optimal_params(fit: str | ScalingFit, flop: ArrayLike) -> NDArray[np.float64]:
    """Loss-minimizing parameters for a training budget :math:`C = 6ND` (Hoffmann eq. 4).

    .. math:: N^*(C) = G\\left(\\frac{C}{6}\\right)^{a},\\quad
              G = \\left(\\frac{\\alpha A}{\\beta B}\\right)^{\\frac{1}{\\alpha+\\beta}},\\quad
              a = \\frac{\\beta}{\\alpha+\\beta}

    Derived in :func:`inferecon.symbolic.scaling.compute_optimal`.
    """
    f = get_fit(fit)
    c = positive("flop", flop)
    return f.G * (c / TRAINING_FLOP_PER_PARAM_TOKEN) ** f.params_exponent


def compute_optimal_tokens(fit: str | ScalingFit, flop: ArrayLike) -> NDArray[np.float64]:
    """Loss-minimizing training tokens for a budget :math:`C`:
    :math:`D^*(C) = G^{-1}(C/6)^{b}`, :math:`b = \\alpha/(\\alpha+\\beta)`."""
    f = get_fit(fit)
    c = positive("flop", flop)
    return (c / TRAINING_FLOP_PER_PARAM_TOKEN) ** f.tokens_exponent / f.G


def compute_optimal_tokens_per_param(fit: str | ScalingFit, flop: ArrayLike) -> NDArray[np.float64]:
    """Tokens per parameter at the optimum, :math:`D^*/N^* = G^{-2}(C/6)^{(\\alpha-\\beta)/(\\alpha+\\beta)}`.

    Constant (independent of :math:`C`) only when :math:`\\alpha = \\beta`.
    """
    return compute_optimal_tokens(fit, flop) / compute_optimal_params(fit, flop)


def compute_optimal_loss(fit: str | ScalingFit, flop: ArrayLike) -> NDArray[np.float64]:
    """Lowest loss reachable with :math:`C` training FLOPs, :math:`L(N^*(C), D^*(C))`."""
    return loss(fit, compute_optimal_params(fit, flop), compute_optimal_tokens(fit, flop))


def compute_optimal_flop_for_params(fit: str | ScalingFit, params: ArrayLike) -> NDArray[np.float64]:
    """The budget at which :math:`N` is the compute-optimal size: :math:`C = 6(N/G)^{1/a}`."""
    f = get_fit(fit)
    n = positive("params", params)
    return TRAINING_FLOP_PER_PARAM_TOKEN * (n / f.G) ** (1.0 / f.params_exponent)


def compute_optimal_tokens_for_params(fit: str | ScalingFit, params: ArrayLike) -> NDArray[np.float64]:
    """Tokens that make :math:`N` compute-optimal under ``fit``: :math:`D = (N/G)^{1/a}/N`.

    This is what Sardana et al.'s code calls a "Chinchilla-style" model of size :math:`N`
    (their ``chinchilla_tokens_from_params``), not :math:`20N`.
    """
    n = positive("params", params)
    return compute_optimal_flop_for_params(fit, n) / (TRAINING_FLOP_PER_PARAM_TOKEN * n)


def compute_optimal_for_loss(
    fit: str | ScalingFit, target_loss: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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


def compute_optimal_flop_for_loss(fit: str | ScalingFit, target_loss: ArrayLike) -> NDArray[np.float64]:
    """Least training compute that reaches ``target_loss``: :math:`C = 6ND` at
    :func:`compute_optimal_for_loss`."""
    n, d = compute_optimal_for_loss(fit, target_loss)
    return training_flop(n, d)


def compute_efficiency(fit: str | ScalingFit, params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
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
def min_params_for_loss(fit: str | ScalingFit, target_loss: ArrayLike) -> NDArray[np.float64]:
    """Smallest size that reaches ``target_loss`` with unlimited data: :math:`(A/(\\ell-E))^{1/\\alpha}`.

    Any smaller model has a loss floor above the target.
    """
    f = get_fit(fit)
    return (f.A / (_check_loss_above_E(f, target_loss) - f.E)) ** (1 / f.alpha)


def min_tokens_for_loss(fit: str | ScalingFit, target_loss: ArrayLike) -> NDArray[np.float64]:
    """Fewest tokens that reach ``target_loss`` with an unlimited model: :math:`(B/(\\ell-E))^{1/\\beta}`."""
    f = get_fit(fit)
    return (f.B / (_check_loss_above_E(f, target_loss) - f.E)) ** (1 / f.beta)


def tokens_to_reach_loss(
    fit: str | ScalingFit, params: ArrayLike, target_loss: ArrayLike
) -> NDArray[np.float64]:
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
        hint = (
            f"the smallest size that can is {float(min_params_for_loss(f, lb)):.3g} parameters"
            if lb > f.E
            else f"no size can: the target is not above E = {f.E:g}"
        )
        raise ValueError(
            f"a model with {nb:.3g} parameters can never reach loss {lb:.4f} under {f.name}: "
            f"its loss floor (infinite data) is {fb:.4f}; {hint}"
        )
    return (f.B / (ell - floor)) ** (1 / f.beta)


def params_to_reach_loss(
    fit: str | ScalingFit, tokens: ArrayLike, target_loss: ArrayLike
) -> NDArray[np.float64]:
    """Parameters needed to reach loss :math:`\\ell` with :math:`D` tokens,
    :math:`N = (A/(\\ell - E - B/D^\\beta))^{1/\\alpha}`; ValueError if :math:`D` is too few."""
    f = get_fit(fit)
    d = positive("tokens", tokens)
    ell = positive("target_loss", target_loss)
    d, ell = np.broadcast_arrays(d, ell)
    floor = f.E + f.B / d**f.beta
    bad = ell <= floor
    if bad.any():
        i = np.flatnonzero(bad.ravel())[0]
        raise ValueError(
            f"{d.ravel()[i]:.3g} tokens can never reach loss {ell.ravel()[i]:.4f} under {f.name}: "
            f"even an infinite model stops at {floor.ravel()[i]:.4f}"
        )
    return (f.A / (ell - floor)) ** (1 / f.alpha)


def iso_loss_curve(
    fit: str | ScalingFit,
    target_loss: float,
    params: ArrayLike | None = None,
    n_points: int = 200,
    max_params: float = 1e13,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The :math:`(N, D)` pairs with :math:`L(N, D) = \\ell` (an iso-loss curve).

    By default spans sizes from 1.05 times :func:`min_params_for_loss` (where :math:`D\\to\\infty`)
    to ``max_params``. Returns ``(params, tokens)``.
    """
    f = get_fit(fit)
    if params is None:
        n_pts = int(real("n_points", n_points, low=2, integer=True))
        max_params = real("max_params", max_params, low=0.0, low_open=True)
        n_min = float(min_params_for_loss(f, target_loss)) * 1.05
        if n_min >= max_params:
            raise ValueError(
                f"max_params = {max_params:.3g} is below the smallest size "
                f"({n_min:.3g}) that reaches loss {target_loss:g}"
            )
        params = np.geomspace(n_min, max_params, n_pts)
    n = positive("params", params)
    return n, tokens_to_reach_loss(f, n, target_loss)


# ---------------------------------------------------------------- over-training
def overtraining_ratio(
    params: ArrayLike, tokens: ArrayLike, reference_tokens_per_param: ArrayLike = CHINCHILLA_TOKENS_PER_PARAM
) -> NDArray[np.float64]:
    """Tokens per parameter relative to the 20-tokens-per-parameter rule, :math:`D/(20N)`.

    Above 1 the model saw more data than the Chinchilla rule of thumb for its size.
    """
    return positive("tokens", tokens) / (
        positive("reference_tokens_per_param", reference_tokens_per_param) * positive("params", params)
    )


def overtraining_ratio_vs_fit(
    fit: str | ScalingFit, params: ArrayLike, tokens: ArrayLike
) -> NDArray[np.float64]:
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
        TrainedModel(
            name="Chinchilla 70B",
            params=70e9,
            tokens=float(chin.training_tokens or 0),
            citation="hoffmann2022training",
            note="the compute-optimal reference, 20 tokens/param",
        ),
        TrainedModel(
            name="LLaMA-7B",
            params=6.7e9,
            tokens=1.0e12,
            citation="touvron2023llama",
            note="Table 2 of the paper: 6.7B parameters, 1.0T tokens",
        ),
        TrainedModel(
            name="LLaMA-13B",
            params=13.0e9,
            tokens=1.0e12,
            citation="touvron2023llama",
            note="Table 2 of the paper: 13.0B parameters, 1.0T tokens",
        ),
        TrainedModel(
            name="Mistral 7B",
            params=7.24e9,
            tokens=None,
            citation="jiang2023mistral",
            note="the paper does not disclose its training tokens; 7.24B is counted from "
            "its configuration (32 layers, d_model 4096, SwiGLU 14336, 8 KV heads, "
            "vocabulary 32000)",
        ),
        TrainedModel(
            name="Phi-2",
            params=2.7e9,
            tokens=1.4e12,
            citation="javaheripi2023phi2",
            note="2.7B parameters trained on 1.4T tokens (multiple passes over a mix "
            "of synthetic and filtered web data)",
        ),
        TrainedModel(
            name="Llama 3 8B",
            params=float(llama3_8b.total_params),
            tokens=float(llama3_8b.training_tokens or 0),
            citation="grattafiori2024llama3",
            note="about 15T tokens; parameters counted from the configuration",
        ),
    )


#: Published sizes and token counts used in chapter 3 (Mistral's token count is undisclosed).
TRAINED_MODELS: tuple[TrainedModel, ...] = _trained_models()


# ---------------------------------------------------------------- break-even


# ---------------------------------------------------------------- lifetime


# ---------------------------------------------------------------- fitting
