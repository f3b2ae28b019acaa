"""Symbolic twin of :mod:`inferecon.serving.engine`: the batch that forms and the load limit.

A dense, memory-bound decode step :math:`t(b) = A + K b` (:math:`A = p_w N/(n u_B B)` the weight
read, :math:`K = \\bar\\ell k_\\mathrm{kv}/(n u_B B)` one sequence's KV read), requests at rate
:math:`\\lambda` with :math:`m = E[O-1]` decode tokens, and interleaved prefills taking a share
:math:`\\rho = \\lambda E[s]` of the time. Little's law with the tagged sequence's step
:math:`t(\\bar b + 1)`:

.. math:: \\bar b = \\frac{\\lambda m}{1 - \\rho}\\,\\bigl(A + K(\\bar b + 1)\\bigr)
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "A",
    "Es",
    "K",
    "b",
    "batch",
    "c",
    "capacity_limit",
    "fixed_point_equation",
    "kv_read_limit",
    "lam",
    "m",
    "time_per_token",
]

lam = sp.Symbol(r"\lambda", positive=True)  # requests per second
m = sp.Symbol("m", positive=True)  # decode tokens per request, E[O - 1]
A = sp.Symbol("A", positive=True)  # weight-read time of a step
K = sp.Symbol("K", positive=True)  # KV-read time per sequence in the step
Es = sp.Symbol(r"E[s]", nonnegative=True)  # mean prefill seconds per request
c = sp.Symbol("c", positive=True)  # sequences the KV cache holds
b = sp.Symbol(r"\bar b", nonnegative=True)  # mean batch (others)


def fixed_point_equation() -> sp.Equality:
    """:math:`\\bar b (1 - \\lambda E[s]) = \\lambda m (A + K(\\bar b + 1))`."""
    return sp.Eq(b * (1 - lam * Es), lam * m * (A + K * (b + 1)))


def batch() -> sp.Expr:
    """The solution :math:`\\bar b = \\lambda m (A + K) / (1 - \\lambda E[s] - \\lambda m K)`."""
    sol = sp.solve(fixed_point_equation(), b)
    return sp.simplify(sol[0])


def time_per_token() -> sp.Expr:
    """:math:`\\tau = (A + K(\\bar b + 1))/(1 - \\lambda E[s])`."""
    return sp.simplify((A + K * (batch() + 1)) / (1 - lam * Es))


def kv_read_limit() -> sp.Expr:
    """Load at which the batch grows without bound, :math:`\\lambda = 1/(E[s] + mK)`."""
    return sp.solve(sp.Eq(1 - lam * Es - lam * m * K, 0), lam)[0]


def capacity_limit() -> sp.Expr:
    """Load at which the mean batch plus the tagged sequence fills the cache, :math:`\\bar b + 1 = c`."""
    return sp.solve(sp.Eq(batch() + 1, c), lam)[0]
