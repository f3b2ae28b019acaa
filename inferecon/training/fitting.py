"""Fitting the Chinchilla loss law to training runs (Hoffmann's Approach 3) and bootstrapping it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from itertools import product
from types import MappingProxyType
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import positive, real
from inferecon.training.scaling import ScalingFit, get_fit, loss

__all__ = [
    "COARSE_INIT_GRID",
    "HOFFMANN_INIT_GRID",
    "SCREEN_OPTIONS",
    "TIGHT_OPTIONS",
    "Approach3Result",
    "bootstrap_approach3",
    "fit_approach3",
    "synthetic_runs",
]


#: Hoffmann's grid of initial points for (alpha, beta, e=log E, a=log A, b=log B), 4,500 starts
#: (also used by Sardana et al.'s ``huber_optimize.py``).
HOFFMANN_INIT_GRID: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "alpha": (0.0, 0.5, 1.0, 1.5, 2.0),
        "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
        "e": (-1.0, -0.5, 0.0, 0.5, 1.0),
        "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
        "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    }
)


#: A coarse grid (2^5 = 32 starts) inside the same region, fast enough for a notebook. On the
#: synthetic data of chapter 2, all but two of its 32 starts reach the same minimum.
COARSE_INIT_GRID: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {"alpha": (0.2, 0.8), "beta": (0.2, 0.8), "e": (-0.5, 0.5), "a": (3.0, 10.0), "b": (3.0, 10.0)}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Approach3Result:
    """Outcome of :func:`fit_approach3`: the fitted law and the optimizer's bookkeeping."""

    fit: ScalingFit
    objective: float
    n_starts: int
    n_points: int
    delta: float


def synthetic_runs(
    fit: str | ScalingFit,
    params: ArrayLike,
    tokens_per_param: ArrayLike,
    *,
    noise_sd: float = 0.01,
    seed: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Synthetic training runs on the grid ``params`` x ``tokens_per_param`` with known truth.

    Loss is :math:`L(N, D)\\,e^{\\sigma z}`, :math:`z \\sim \\mathcal N(0, 1)` (multiplicative
    noise, i.e. additive on log-loss, the scale the fit works on), from a seeded generator so the
    result is reproducible. Returns flat ``(params, tokens, losses)``.
    """
    n = positive("params", params).ravel()
    r = positive("tokens_per_param", tokens_per_param).ravel()
    sd = real("noise_sd", noise_sd, low=0.0)
    seed = int(real("seed", seed, low=0, integer=True))
    grid_n, grid_r = np.meshgrid(n, r, indexing="ij")
    nn, dd = grid_n.ravel(), (grid_n * grid_r).ravel()
    rng = np.random.default_rng(seed)
    return nn, dd, loss(fit, nn, dd) * np.exp(sd * rng.standard_normal(nn.size))


def _huber_objective(
    theta: NDArray[np.float64],
    log_n: NDArray[np.float64],
    log_d: NDArray[np.float64],
    log_l: NDArray[np.float64],
    delta: float,
) -> tuple[float, NDArray[np.float64]]:
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
    return np.array(
        [
            (e, a, b, al, be)
            for al, be, e, a, b in product(grid["alpha"], grid["beta"], grid["e"], grid["a"], grid["b"])
        ],
        dtype=float,
    )


#: Optimizer settings used by :func:`fit_approach3` for the final, converged fit.
TIGHT_OPTIONS: Mapping[str, float] = MappingProxyType({"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})


#: Settings for screening the initial points: each start is run to within about 1e-7 of its
#: local minimum, and only the best one is then polished with :data:`TIGHT_OPTIONS`. The
#: result is the same minimum as running every start with tight settings, at about half the
#: optimizer steps.
SCREEN_OPTIONS: Mapping[str, float] = MappingProxyType({"maxiter": 2000, "ftol": 1e-10, "gtol": 1e-7})


def _one_blas_thread() -> AbstractContextManager[object]:
    """Run scipy's L-BFGS-B with a single BLAS thread, if threadpoolctl is installed.

    L-BFGS-B calls BLAS/LAPACK on 10 x 10 matrices at every step; a multi-threaded OpenBLAS
    wakes its threads for each of them, which makes the fit several times slower on a busy
    machine (e.g. under ``pytest -n 2``) without changing a digit of the result.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional: only speed depends on it
        return nullcontext()
    return cast(AbstractContextManager[object], threadpool_limits(limits=1, user_api="blas"))


def _fit_from_starts(
    log_n: NDArray[np.float64],
    log_d: NDArray[np.float64],
    log_l: NDArray[np.float64],
    delta: float,
    starts: NDArray[np.float64],
    *,
    mean_loss: bool = False,
    options: Mapping[str, float] | None = None,
) -> tuple[NDArray[np.float64], float]:
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

    def objective(th: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        v, g = _huber_objective(th, log_n, log_d, log_l, delta)
        return v * scale, g * scale

    def run(x0: NDArray[np.float64], opts: dict[str, float]) -> tuple[NDArray[np.float64], float]:
        res = minimize(objective, x0, jac=True, method="L-BFGS-B", options=opts)
        x: NDArray[np.float64] = np.asarray(res.x, dtype=np.float64)
        return x, _huber_objective(x, log_n, log_d, log_l, delta)[0]

    best_x: NDArray[np.float64] | None = None
    best_v = math.inf
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


def _validate_runs(
    params: ArrayLike, tokens: ArrayLike, losses: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    n = positive("params", params).ravel()
    d = positive("tokens", tokens).ravel()
    l_ = positive("losses", losses).ravel()
    if not n.size == d.size == l_.size:
        raise ValueError(
            f"params, tokens and losses must have the same length, got {n.size}, {d.size}, {l_.size}"
        )
    if n.size < 5:
        raise ValueError(f"need at least 5 runs to fit 5 constants, got {n.size}")
    return np.log(n), np.log(d), np.log(l_)


def fit_approach3(
    params: ArrayLike,
    tokens: ArrayLike,
    losses: ArrayLike,
    *,
    delta: float = 1e-3,
    initial_grid: Mapping[str, Sequence[float]] = COARSE_INIT_GRID,
    mean_loss: bool = False,
    options: Mapping[str, float] | None = None,
    id: str = "fitted",
    name: str = "Approach-3 fit",
    citation: str = "hoffmann2022training",
) -> Approach3Result:
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
    dl = real("delta", delta, low=0.0, low_open=True)
    starts = _starts(initial_grid)
    x, v = _fit_from_starts(log_n, log_d, log_l, dl, starts, mean_loss=mean_loss, options=options)
    e, a, b, alpha, beta = x
    if alpha <= 0 or beta <= 0:
        raise ValueError(
            f"the best fit has a non-positive exponent (alpha={alpha:.3g}, beta={beta:.3g}); "
            "the runs do not span enough sizes and token counts"
        )
    fit = ScalingFit(
        id=id,
        name=name,
        E=float(np.exp(e)),
        A=float(np.exp(a)),
        B=float(np.exp(b)),
        alpha=float(alpha),
        beta=float(beta),
        citation=citation,
        notes=f"Huber delta {dl:g}, {len(starts)} initial points, {log_n.size} runs",
    )
    return Approach3Result(fit=fit, objective=v, n_starts=len(starts), n_points=int(log_n.size), delta=dl)


def bootstrap_approach3(
    params: ArrayLike,
    tokens: ArrayLike,
    losses: ArrayLike,
    *,
    n_boot: int = 20,
    seed: int = 0,
    delta: float = 1e-3,
    start: ScalingFit | str | None = None,
) -> NDArray[np.float64]:
    """Refit on resamples (with replacement) of the runs; rows are ``(E, A, B, alpha, beta)``.

    Each resample starts from ``start`` (e.g. the full-data fit; by default it is computed
    first with :data:`COARSE_INIT_GRID`) and from two spread-out points, so the spread reflects
    the data, not the optimizer. The generator is seeded: results are reproducible.
    """
    log_n, log_d, log_l = _validate_runs(params, tokens, losses)
    dl = real("delta", delta, low=0.0, low_open=True)
    nb = int(real("n_boot", n_boot, low=1, integer=True))
    seed = int(real("seed", seed, low=0, integer=True))
    if start is None:
        start = fit_approach3(params, tokens, losses, delta=dl).fit
    s = get_fit(start)
    starts = np.array(
        [
            [np.log(s.E), np.log(s.A), np.log(s.B), s.alpha, s.beta],
            [0.0, 5.0, 5.0, 0.3, 0.3],
            [0.5, 7.0, 8.0, 0.4, 0.4],
        ]
    )
    rng = np.random.default_rng(seed)
    out = np.empty((nb, 5))
    for k in range(nb):  # one optimization per resample: the loop is over fits, not points
        idx = rng.integers(0, log_n.size, log_n.size)
        x, _ = _fit_from_starts(log_n[idx], log_d[idx], log_l[idx], dl, starts)
        out[k] = (np.exp(x[0]), np.exp(x[1]), np.exp(x[2]), x[3], x[4])
    return out
