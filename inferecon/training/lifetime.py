"""Lifetime sizing: the model that minimizes training plus inference compute or cost.

Also the break-even inference volumes between two models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import fraction, non_negative, positive
from inferecon.training.lifecycle import (
    INFERENCE_FLOP_PER_PARAM_TOKEN,
    TRAINING_FLOP_PER_PARAM_TOKEN,
    inference_flop,
    training_flop,
)
from inferecon.training.scaling import (
    ScalingFit,
    _check_loss_above_E,
    compute_optimal_tokens_for_params,
    get_fit,
    loss,
    loss_floor,
    tokens_to_reach_loss,
)

__all__ = [
    "BreakEven",
    "LifetimeComparison",
    "break_even_inference_tokens",
    "compare_break_even",
    "compare_lifetime_optimal",
    "effective_inference_tokens",
    "lifetime_cost_optimal",
    "lifetime_cost_usd",
    "lifetime_flop",
    "lifetime_optimal",
    "lifetime_saving_fraction",
    "matched_loss_tokens",
    "usd_per_flop",
]


def break_even_inference_tokens(
    params_1: ArrayLike, tokens_1: ArrayLike, params_2: ArrayLike, tokens_2: ArrayLike
) -> NDArray[np.float64]:
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
        raise ValueError(
            f"params_1 and params_2 are equal ({float(n1[same].ravel()[0]):.3g}): both options "
            "cost the same per inference token, so there is no break-even volume; "
            "compare their training FLOPs instead"
        )
    t = (TRAINING_FLOP_PER_PARAM_TOKEN * (n2 * d2 - n1 * d1)) / (INFERENCE_FLOP_PER_PARAM_TOKEN * (n1 - n2))
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


def compare_break_even(
    params_1: float,
    tokens_1: float,
    params_2: float,
    tokens_2: float,
    fit: str | ScalingFit | None = None,
    loss_tolerance: float = 1e-3,
) -> BreakEven:
    """Compare two (N, D) options honestly: training FLOPs, losses and the break-even volume.

    The options are ordered so that "large" has more parameters. With a ``fit``, the smaller
    option counts as matching if its loss is within ``loss_tolerance`` (nats) of the larger's;
    if it is worse, the result says so, and whether *any* amount of data could close the gap
    (the loss floor of its size). ``N_1 = N_2`` raises ValueError.
    """
    n1, d1, n2, d2 = (
        float(positive(k, v))
        for k, v in (
            ("params_1", params_1),
            ("tokens_1", tokens_1),
            ("params_2", params_2),
            ("tokens_2", tokens_2),
        )
    )
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
                how = (
                    f"with {need:.3g} tokens ({float(training_flop(ns, need)):.3g} training FLOP) "
                    f"it would match"
                )
            else:
                how = f"no amount of data can close the gap: its loss floor is {floor:.4f}"
            return BreakEven(
                case="smaller-is-worse",
                params_large=nl,
                tokens_large=dl,
                params_small=ns,
                tokens_small=ds,
                training_flop_large=cl,
                training_flop_small=cs,
                loss_large=ll,
                loss_small=ls,
                inference_tokens=float("inf"),
                message=(
                    f"the {ns:.3g}-parameter option reaches loss {ls:.4f}, worse than "
                    f"{ll:.4f}: a break-even volume would compare unequal models; {how}"
                ),
            )
    t = float(break_even_inference_tokens(nl, dl, ns, ds))
    if cs <= cl:
        return BreakEven(
            case="smaller-always-cheaper",
            params_large=nl,
            tokens_large=dl,
            params_small=ns,
            tokens_small=ds,
            training_flop_large=cl,
            training_flop_small=cs,
            loss_large=ll,
            loss_small=ls,
            inference_tokens=0.0,
            message=(
                f"the smaller option is also cheaper to train ({cs:.3g} vs {cl:.3g} FLOP): "
                "it is cheaper at every inference volume, no break-even needed"
            ),
        )
    return BreakEven(
        case="break-even",
        params_large=nl,
        tokens_large=dl,
        params_small=ns,
        tokens_small=ds,
        training_flop_large=cl,
        training_flop_small=cs,
        loss_large=ll,
        loss_small=ls,
        inference_tokens=t,
        message=(
            f"the smaller option costs {cs - cl:.3g} more training FLOP and saves "
            f"{INFERENCE_FLOP_PER_PARAM_TOKEN * (nl - ns):.3g} FLOP per inference token: "
            f"it pays back after {t:.3g} inference tokens"
        ),
    )


def matched_loss_tokens(
    fit: str | ScalingFit, params_reference: ArrayLike, tokens_reference: ArrayLike, params: ArrayLike
) -> NDArray[np.float64]:
    """Tokens a model of ``params`` needs to match the loss of (``params_reference``, ``tokens_reference``).

    ValueError (from :func:`tokens_to_reach_loss`) if the size can never match.
    """
    n_ref = positive("params_reference", params_reference)
    d_ref = positive("tokens_reference", tokens_reference)
    return tokens_to_reach_loss(fit, positive("params", params), loss(fit, n_ref, d_ref))


def lifetime_flop(params: ArrayLike, tokens: ArrayLike, inference_tokens: ArrayLike) -> NDArray[np.float64]:
    """Training plus inference compute, :math:`6ND + 2NT_\\mathrm{inf}` (FLOP)."""
    t = non_negative("inference_tokens", inference_tokens)
    return training_flop(params, tokens) + inference_flop(params, t)


def _lifetime_stationarity(
    f: ScalingFit, log_d: NDArray[np.float64], t: NDArray[np.float64], ell: NDArray[np.float64]
) -> NDArray[np.float64]:
    d = np.exp(log_d)
    return (
        (f.beta * f.B / f.alpha + f.B) * d**-f.beta
        + f.beta * f.B * t / (3 * f.alpha) * d ** (-f.beta - 1)
        + f.E
        - ell
    )


def lifetime_optimal(
    fit: str | ScalingFit, target_loss: ArrayLike, inference_tokens: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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
    n = (f.A / (ell - f.E - f.B * d**-f.beta)) ** (1 / f.alpha)
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


def compare_lifetime_optimal(
    fit: str | ScalingFit,
    baseline_params: float,
    inference_tokens: float,
    baseline_tokens: float | None = None,
) -> LifetimeComparison:
    """Sardana et al.'s comparison for one baseline.

    The baseline is :math:`N` trained to the fit's own compute optimum for its size
    (:func:`compute_optimal_tokens_for_params`, their "Chinchilla-style" model) unless
    ``baseline_tokens`` is given; the target is its loss, and the lifetime-optimal model
    reaches the same loss with least :math:`6ND + 2NT`.
    """
    f = get_fit(fit)
    n0 = float(positive("baseline_params", baseline_params))
    d0 = (
        float(compute_optimal_tokens_for_params(f, n0))
        if baseline_tokens is None
        else float(positive("baseline_tokens", baseline_tokens))
    )
    t = float(non_negative("inference_tokens", inference_tokens))
    target = float(loss(f, n0, d0))
    n, d = lifetime_optimal(f, target, t)
    return LifetimeComparison(
        fit_id=f.id,
        target_loss=target,
        inference_tokens=t,
        baseline_params=n0,
        baseline_tokens=d0,
        baseline_flop=float(lifetime_flop(n0, d0, t)),
        optimal_params=float(n),
        optimal_tokens=float(d),
        optimal_flop=float(lifetime_flop(n, d, t)),
    )


def lifetime_saving_fraction(
    fit: str | ScalingFit,
    baseline_params: float,
    inference_tokens: ArrayLike,
    baseline_tokens: float | None = None,
) -> NDArray[np.float64]:
    """Share of lifetime FLOPs saved by the lifetime-optimal model, vectorized over demand.

    .. math:: 1 - \\frac{6N^*D^* + 2N^*T}{6N_0D_0 + 2N_0T}

    with :math:`(N_0, D_0)` the baseline (trained to the fit's compute optimum for its size
    unless ``baseline_tokens`` is given) and :math:`(N^*, D^*)` = :func:`lifetime_optimal` for
    the baseline's loss. 0 at :math:`T = 0`; it rises towards 1 as demand grows.
    """
    f = get_fit(fit)
    n0 = float(positive("baseline_params", baseline_params))
    d0 = (
        float(compute_optimal_tokens_for_params(f, n0))
        if baseline_tokens is None
        else float(positive("baseline_tokens", baseline_tokens))
    )
    t = non_negative("inference_tokens", inference_tokens)
    n, d = lifetime_optimal(f, float(loss(f, n0, d0)), t)
    return 1.0 - lifetime_flop(n, d, t) / lifetime_flop(n0, d0, t)


def usd_per_flop(price_usd_per_hour: ArrayLike, flop_per_s: ArrayLike) -> NDArray[np.float64]:
    """Price of one FLOP at full utilization, :math:`c = p/(3600\\,F)` (USD/FLOP)."""
    return positive("price_usd_per_hour", price_usd_per_hour) / (3600.0 * positive("flop_per_s", flop_per_s))


def effective_inference_tokens(
    prefill_tokens: ArrayLike,
    decode_tokens: ArrayLike,
    *,
    training_usd_per_flop: ArrayLike,
    inference_usd_per_flop: ArrayLike,
    training_mfu: ArrayLike,
    prefill_mfu: ArrayLike,
    decode_mfu: ArrayLike,
) -> NDArray[np.float64]:
    """Inference tokens, re-weighted so the cost problem becomes the FLOP problem.

    The cost objective of Sardana et al. (their eq. for cost-optimal training) is

    .. math:: \\frac{c_\\mathrm{tr}}{u_\\mathrm{tr}}6ND + 2N c_\\mathrm{inf}
              \\left(\\frac{T_\\mathrm{in}}{u_\\mathrm{pre}}
              + \\frac{T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)
              = \\frac{c_\\mathrm{tr}}{u_\\mathrm{tr}}\\left(6ND + 2N T_\\mathrm{eff}\\right),\\quad
              T_\\mathrm{eff} = \\frac{c_\\mathrm{inf}\\,u_\\mathrm{tr}}{c_\\mathrm{tr}}
              \\left(\\frac{T_\\mathrm{in}}{u_\\mathrm{pre}}
              + \\frac{T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)

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


def lifetime_cost_usd(
    params: ArrayLike,
    tokens: ArrayLike,
    prefill_tokens: ArrayLike,
    decode_tokens: ArrayLike,
    *,
    training_usd_per_flop: ArrayLike,
    inference_usd_per_flop: ArrayLike,
    training_mfu: ArrayLike,
    prefill_mfu: ArrayLike,
    decode_mfu: ArrayLike,
) -> NDArray[np.float64]:
    """Training plus serving cost in USD (Sardana et al. 2024, cost variant).

    .. math:: \\$ = \\frac{c_\\mathrm{tr}\\,6ND}{u_\\mathrm{tr}}
              + c_\\mathrm{inf}\\left(\\frac{2N T_\\mathrm{in}}{u_\\mathrm{pre}}
              + \\frac{2N T_\\mathrm{out}}{u_\\mathrm{dec}}\\right)
    """
    c_tr = positive("training_usd_per_flop", training_usd_per_flop)
    u_tr = fraction("training_mfu", training_mfu)
    t_eff = effective_inference_tokens(
        prefill_tokens,
        decode_tokens,
        training_usd_per_flop=c_tr,
        inference_usd_per_flop=inference_usd_per_flop,
        training_mfu=u_tr,
        prefill_mfu=prefill_mfu,
        decode_mfu=decode_mfu,
    )
    return c_tr / u_tr * lifetime_flop(params, tokens, t_eff)


def lifetime_cost_optimal(
    fit: str | ScalingFit,
    target_loss: ArrayLike,
    prefill_tokens: ArrayLike,
    decode_tokens: ArrayLike,
    *,
    training_usd_per_flop: ArrayLike,
    inference_usd_per_flop: ArrayLike,
    training_mfu: ArrayLike,
    prefill_mfu: ArrayLike,
    decode_mfu: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The (N, D) reaching ``target_loss`` at least lifetime USD (Sardana et al. 2024).

    Separate prices per FLOP for training and inference hardware, and separate utilizations for
    training, prefill and decode; solved as :func:`lifetime_optimal` with
    :func:`effective_inference_tokens`.
    """
    t_eff = effective_inference_tokens(
        prefill_tokens,
        decode_tokens,
        training_usd_per_flop=training_usd_per_flop,
        inference_usd_per_flop=inference_usd_per_flop,
        training_mfu=training_mfu,
        prefill_mfu=prefill_mfu,
        decode_mfu=decode_mfu,
    )
    return lifetime_optimal(fit, target_loss, t_eff)
