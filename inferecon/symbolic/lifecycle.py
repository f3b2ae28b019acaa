"""Symbolic twin of :mod:`inferecon.training.lifecycle`: the training-inference crossover.

Each function returns a sympy expression in the module's symbols; tests lambdify them and
compare with the numeric functions of the same name.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "D",
    "N",
    "T",
    "a",
    "cost_crossover_tokens",
    "crossover_days",
    "crossover_equation",
    "crossover_tokens",
    "ell",
    "inference_compute",
    "inference_factor",
    "r",
    "t_req",
    "training_compute",
    "u_inf",
    "u_tr",
]

N = sp.Symbol("N", positive=True)  # parameters
D = sp.Symbol("D", positive=True)  # training tokens
T = sp.Symbol("T", positive=True)  # inference tokens
a = sp.Symbol("a", positive=True)  # attention FLOP per token per context token
ell = sp.Symbol(r"\ell", positive=True)  # mean context length
r = sp.Symbol("r", positive=True)  # requests per day
t_req = sp.Symbol(r"t_\mathrm{req}", positive=True)  # tokens per request
u_tr = sp.Symbol(r"u_\mathrm{train}", positive=True)
u_inf = sp.Symbol(r"u_\mathrm{inf}", positive=True)


def training_compute() -> sp.Expr:
    """:math:`C_\\mathrm{train} = 6ND` (2 forward + 4 backward FLOP per parameter per token)."""
    return 6 * N * D


def inference_compute(attention: bool = False) -> sp.Expr:
    """:math:`C_\\mathrm{inf} = (2N + a\\ell)T`, or :math:`2NT` without the attention term."""
    return (2 * N + (a * ell if attention else 0)) * T


def crossover_equation(attention: bool = False) -> sp.Eq:
    """The equation :math:`C_\\mathrm{train} = C_\\mathrm{inf}`."""
    return sp.Eq(training_compute(), inference_compute(attention))


def crossover_tokens(attention: bool = False) -> sp.Expr:
    """Solve the crossover equation for :math:`T`: :math:`3D`, or :math:`6ND/(2N+a\\ell)`."""
    (sol,) = sp.solve(crossover_equation(attention), T)
    return sp.simplify(sol)


def inference_factor() -> sp.Expr:
    """:math:`C_\\mathrm{inf}/C_\\mathrm{train}` simplified: :math:`N` cancels, leaving :math:`T/(3D)`."""
    return sp.simplify(inference_compute() / training_compute())


def crossover_days() -> sp.Expr:
    """Days to the crossover with :math:`r` requests/day of :math:`t_\\mathrm{req}` tokens:
    :math:`3D/(r t_\\mathrm{req})`."""
    days = sp.Symbol("days", positive=True)
    (sol,) = sp.solve(sp.Eq(crossover_tokens(), r * t_req * days), days)
    return sol


def cost_crossover_tokens() -> sp.Expr:
    """Solve :math:`6ND/u_\\mathrm{train} = 2NT/u_\\mathrm{inf}` for :math:`T`."""
    (sol,) = sp.solve(sp.Eq(training_compute() / u_tr, inference_compute() / u_inf), T)
    return sp.simplify(sol)
