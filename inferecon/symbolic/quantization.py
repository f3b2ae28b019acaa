"""Symbolic twin of :mod:`inferecon.levers.quantization`: when does halving weight bytes halve the cost?"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "N",
    "b",
    "ell",
    "k",
    "kv_weight_crossover_context",
    "memory_bound_cost_ratio",
    "p_16",
    "p_q",
    "ratio_long_context",
    "ratio_short_context",
]

N = sp.Symbol("N", positive=True)  # matmul parameters read per step
b = sp.Symbol("b", positive=True)  # batch
ell = sp.Symbol(r"\ell", positive=True)  # context tokens
k = sp.Symbol(r"k_\mathrm{kv}", positive=True)  # KV bytes per cached token
p_q = sp.Symbol(r"p_q", positive=True)  # bytes per quantized weight
p_16 = sp.Symbol(r"p_{16}", positive=True)  # bytes per 16-bit weight


def memory_bound_cost_ratio() -> sp.Expr:
    """Cost per token, quantized over 16-bit, when both steps are memory-bound.

    .. math:: \\frac{p_q N + b\\ell k}{p_{16} N + b\\ell k}
    """
    return (p_q * N + b * ell * k) / (p_16 * N + b * ell * k)


def ratio_short_context() -> sp.Expr:
    """:math:`\\ell \\to 0`: the byte ratio :math:`p_q/p_{16}` (one half for INT8)."""
    return sp.limit(memory_bound_cost_ratio(), ell, 0)


def ratio_long_context() -> sp.Expr:
    """:math:`\\ell \\to \\infty`: 1, KV reads swamp the weights and quantizing them buys nothing."""
    return sp.limit(memory_bound_cost_ratio(), ell, sp.oo)


def kv_weight_crossover_context() -> sp.Expr:
    """Context at which the batch's KV bytes equal the weight bytes: solve :math:`b\\ell k = p N`."""
    return sp.solve(sp.Eq(b * ell * k, p_16 * N), ell)[0]
