"""Symbolic twin of Erdil's §2.2 model: the minimum-latency GPU count and its laws.

With tensor parallelism over :math:`N_\\mathrm{GPU}` devices laid out in 2D, each of the
:math:`n_r` sequential all-reduces of a layer spans :math:`\\sqrt{N_\\mathrm{GPU}}` ranks of
a ring and costs :math:`2 t_\\mathrm{hop}(\\sqrt{N_\\mathrm{GPU}} - 1)`; below the optimal
batch the step reads the weights once, so :cite:`erdil2025inference` (eq. 9)

.. math:: T(N_\\mathrm{GPU}) = 2 L n_r t_\\mathrm{hop}\\bigl(\\sqrt{N_\\mathrm{GPU}} - 1\\bigr)
          + \\frac{pN}{N_\\mathrm{GPU} B}.

Each function returns a sympy expression; ``tests/test_symbolic_parallelism.py``
lambdifies them and compares with :mod:`inferecon.serving.parallelism` on a grid.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

__all__ = [
    "B",
    "C",
    "L",
    "N",
    "N_gpu",
    "b",
    "bandwidth_elasticity",
    "c_L",
    "gpu_seconds_per_token_at_min_latency",
    "halved_precision_speedup",
    "latency_derivative",
    "min_latency",
    "min_latency_leading",
    "n_r",
    "optimal_batch",
    "optimal_gpu_count",
    "p",
    "precision_elasticity",
    "sqrt_law_exponent",
    "t_hop",
    "token_latency",
]

N = sp.Symbol("N", positive=True)  # parameters read per step
p = sp.Symbol("p", positive=True)  # bytes per parameter
B = sp.Symbol("B", positive=True)  # HBM bytes/s per GPU
C = sp.Symbol("C", positive=True)  # FLOP/s per GPU
L = sp.Symbol(r"n_\mathrm{layers}", positive=True)  # layers
n_r = sp.Symbol(r"n_r", positive=True)  # sequential all-reduces per layer
t_hop = sp.Symbol(r"t_\mathrm{hop}", positive=True)  # ring hop latency
N_gpu = sp.Symbol(r"N_\mathrm{GPU}", positive=True)  # GPUs
b = sp.Symbol("b", positive=True)  # batch
c_L = sp.Symbol(r"c_\mathrm{layers}", positive=True)  # L = c_L N^{1/4}


def token_latency() -> sp.Expr:
    """Eq. 9: ring all-reduce latency plus weight reads, :math:`T(N_\\mathrm{GPU})`."""
    return 2 * L * n_r * t_hop * (sp.sqrt(N_gpu) - 1) + p * N / (N_gpu * B)


def latency_derivative() -> sp.Expr:
    """:math:`\\partial T/\\partial N_\\mathrm{GPU}`: more GPUs add latency and cut reads."""
    return sp.diff(token_latency(), N_gpu)


_y = sp.Symbol("y", positive=True)  # sqrt(N_GPU): makes the stationarity condition a polynomial


def _tidy(expr: sp.Expr) -> sp.Expr:
    return sp.expand(sp.powsimp(sp.expand_power_base(expr, force=True), force=True))


@cache
def optimal_gpu_count() -> sp.Expr:
    """Eq. 13 (interior case): the root of :math:`\\partial T/\\partial N_\\mathrm{GPU} = 0`.

    Solved in :math:`y = \\sqrt{N_\\mathrm{GPU}}` (a monotone change of variable), where the
    condition is :math:`2 L n_r t_\\mathrm{hop} = 2pN/(B y^3)`:

    .. math:: N^*_\\mathrm{GPU} = \\Bigl(\\frac{pN}{L n_r t_\\mathrm{hop} B}\\Bigr)^{2/3}
    """
    t_y = token_latency().subs(N_gpu, _y**2)
    sols = sp.solve(sp.Eq(sp.diff(t_y, _y), 0), _y)
    if len(sols) != 1:
        raise RuntimeError(f"expected one positive root, got {sols}")
    return _tidy(sols[0] ** 2)


@cache
def min_latency() -> sp.Expr:
    """Eq. 14: :math:`T(N^*) = 3(L n_r t_\\mathrm{hop})^{2/3}(pN/B)^{1/3} - 2 L n_r t_\\mathrm{hop}`."""
    return _tidy(token_latency().subs(N_gpu, optimal_gpu_count()))


def min_latency_leading() -> sp.Expr:
    """Eq. 18, the leading term: :math:`3 (L n_r t_\\mathrm{hop})^{2/3} (pN/B)^{1/3}`."""
    return 3 * (L * n_r * t_hop) ** sp.Rational(2, 3) * (p * N / B) ** sp.Rational(1, 3)


def optimal_batch() -> sp.Expr:
    """:math:`b^* = pC/(2B)`: weight reads :math:`pN/B` equal arithmetic :math:`2Nb/C`."""
    (sol,) = sp.solve(sp.Eq(p * N / B, 2 * N * b / C), b)
    return sol


@cache
def gpu_seconds_per_token_at_min_latency() -> sp.Expr:
    """Eq. 15-17: :math:`N^* T_\\min / b^*`, i.e. :math:`(2N/C)\\,(3 - 2/\\sqrt{N^*})`."""
    return _tidy(optimal_gpu_count() * min_latency() / optimal_batch())


def _elasticity(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    return sp.simplify(sp.diff(sp.log(expr), var) * var)


def bandwidth_elasticity() -> sp.Expr:
    """:math:`\\partial \\ln T / \\partial \\ln B = -1/3` for the leading term: the cube-root law."""
    return _elasticity(min_latency_leading(), B)


def precision_elasticity() -> sp.Expr:
    """:math:`\\partial \\ln T / \\partial \\ln p = 1/3`."""
    return _elasticity(min_latency_leading(), p)


def halved_precision_speedup() -> sp.Expr:
    """Relative gain in best tokens/s from halving bytes per parameter: :math:`2^{1/3} - 1 \\approx 26\\%`."""
    t = min_latency_leading()
    return sp.nsimplify(sp.simplify(t / t.subs(p, p / 2)) - 1)


def sqrt_law_exponent() -> sp.Expr:
    """With Chinchilla-like shapes, :math:`L = c_L N^{1/4}`, the best latency grows as :math:`N^{1/2}`.

    Returns :math:`\\partial \\ln T_\\mathrm{lead}/\\partial \\ln N` after the substitution.
    """
    return _elasticity(min_latency_leading().subs(L, c_L * N ** sp.Rational(1, 4)), N)
