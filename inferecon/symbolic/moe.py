"""Symbolic twin of the batching conditions of :mod:`inferecon.serving.moe`.

One routed expert of :math:`N_e` weights at :math:`p_w` bytes each, on a device of :math:`C`
FLOP/s and :math:`B` bytes/s used at fractions :math:`u_C, u_B`, in a decode step of :math:`b`
tokens routed uniformly to :math:`k` of :math:`n` experts (sparsity :math:`s = n/k`). Tests
lambdify these results and compare them with :func:`inferecon.serving.moe.tokens_per_expert` and
:func:`inferecon.serving.moe_batching.per_expert_optimal_batch`.
"""

from __future__ import annotations

import sympy as sp

from inferecon.symbolic.roofline import B, C, b, p_w, u_B, u_C

__all__ = [
    "N_e",
    "expert_compute_time",
    "expert_memory_time",
    "expert_tokens",
    "per_expert_condition",
    "per_expert_optimal_batch",
    "s",
]

N_e = sp.Symbol("N_e", positive=True)  # weights of one routed expert
s = sp.Symbol("s", positive=True)  # routed sparsity n/k


def expert_tokens() -> sp.Expr:
    """Expected tokens one expert receives, :math:`b/s`."""
    return b / s


def expert_memory_time() -> sp.Expr:
    """Time to read one expert's weights, :math:`p_w N_e/(u_B B)` (once per step)."""
    return p_w * N_e / (u_B * B)


def expert_compute_time() -> sp.Expr:
    """Time for one expert's arithmetic on its share of the batch, :math:`2 N_e (b/s)/(u_C C)`."""
    return 2 * N_e * expert_tokens() / (u_C * C)


def per_expert_condition() -> sp.Eq:
    """The balance of one expert's own roofline, arithmetic time = memory time."""
    return sp.Eq(expert_compute_time(), expert_memory_time())


def per_expert_optimal_batch() -> sp.Expr:
    """:math:`b^*_\\mathrm{expert} = s\\,p_w u_C C/(2 u_B B)`: the expert's size cancels."""
    (root,) = sp.solve(per_expert_condition(), b)
    return sp.simplify(root)
