"""Symbolic twin of :mod:`inferecon.serving.roofline` and the decode part of :mod:`inferecon.serving.costs`.

A dense model of :math:`N` matmul parameters at :math:`p_w` bytes each, decoding a batch of
:math:`b` sequences that each attend to :math:`\\ell` cached tokens of :math:`k` bytes, on
:math:`n` devices of :math:`C` FLOP/s and :math:`B` bytes/s used at fractions
:math:`u_C, u_B`. Each function returns a sympy expression; tests lambdify them and compare
with the numeric functions of :mod:`inferecon.serving.roofline` and :mod:`inferecon.serving.costs`.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "B",
    "C",
    "H",
    "N",
    "P",
    "a",
    "b",
    "compute_time",
    "cost_per_million_tokens",
    "device_seconds_per_token",
    "ell",
    "i",
    "k",
    "kv_bound_context",
    "kv_weight_parity_batch",
    "max_batch",
    "memory_bound_cost_per_million_tokens",
    "memory_time",
    "n",
    "optimal_batch",
    "optimal_batch_equation",
    "p_w",
    "prefill_flop",
    "price",
    "step_time",
    "tokens_per_second_batch1",
    "u_B",
    "u_C",
]

p_w = sp.Symbol("p", positive=True)  # bytes per weight
N = sp.Symbol("N", positive=True)  # matmul parameters
C = sp.Symbol("C", positive=True)  # FLOP/s per device
B = sp.Symbol("B", positive=True)  # HBM bytes/s per device
b = sp.Symbol("b", positive=True)  # batch (sequences)
ell = sp.Symbol(r"\ell", nonnegative=True)  # cached tokens per sequence
k = sp.Symbol(r"k_\mathrm{kv}", positive=True)  # KV bytes per cached token
a = sp.Symbol("a", nonnegative=True)  # attention FLOP per context token
u_C = sp.Symbol("u_C", positive=True)  # FLOP/s utilization cap
u_B = sp.Symbol("u_B", positive=True)  # bandwidth utilization cap
n = sp.Symbol(r"N_\mathrm{GPU}", positive=True)  # devices
P = sp.Symbol("P", positive=True)  # prompt tokens
H = sp.Symbol("H", positive=True)  # usable HBM bytes (all devices)
price = sp.Symbol(r"\pi", positive=True)  # $ per device-hour
i = sp.Symbol("i", integer=True, nonnegative=True)  # token position in a prompt


def memory_time(context: bool = True) -> sp.Expr:
    """:math:`t_\\mathrm{mem} = (p_w N + b\\ell k)/(n u_B B)` (weights once, KV per sequence)."""
    kv = b * ell * k if context else 0
    return (p_w * N + kv) / (n * u_B * B)


def compute_time(context: bool = True) -> sp.Expr:
    """:math:`t_\\mathrm{comp} = b(2N + a\\ell)/(n u_C C)`."""
    attn = a * ell if context else 0
    return b * (2 * N + attn) / (n * u_C * C)


def step_time(context: bool = True) -> sp.Expr:
    """:math:`t = \\max(t_\\mathrm{mem}, t_\\mathrm{comp})`."""
    return sp.Max(memory_time(context), compute_time(context))


def optimal_batch_equation(context: bool = False) -> sp.Eq:
    """The balance :math:`t_\\mathrm{mem} = t_\\mathrm{comp}` that defines :math:`b^*`."""
    return sp.Eq(memory_time(context), compute_time(context))


def optimal_batch(context: bool = False) -> sp.Expr:
    """Solve the balance for :math:`b`.

    Without context: :math:`b^* = p_w u_C C/(2 u_B B)`. With context:
    :math:`b^* = p_w N u_C C / \\big(u_B B(2N + a\\ell) - u_C C \\ell k\\big)`, valid while the
    denominator is positive (else the step never turns compute-bound).
    """
    (sol,) = sp.solve(optimal_batch_equation(context), b)
    return sp.simplify(sol)


def kv_bound_context() -> sp.Expr:
    """Context where the denominator of :math:`b^*` vanishes: beyond it, memory-bound at every batch."""
    denom = sp.denom(sp.together(optimal_batch(context=True)))
    (sol,) = sp.solve(sp.Eq(denom, 0), ell)
    # Same expression with a positive denominator in the regime where it exists (C k u_C > B a u_B).
    tidy = 2 * N * u_B * B / (C * k * u_C - B * a * u_B)
    if sp.simplify(sol - tidy) != 0:  # pragma: no cover - guards the hand rearrangement
        raise AssertionError(f"kv_bound_context rearrangement failed: {sol} != {tidy}")
    return tidy


def kv_weight_parity_batch() -> sp.Expr:
    """Batch at which KV bytes read equal weight bytes read: :math:`p_w N/(\\ell k)`."""
    (sol,) = sp.solve(sp.Eq(p_w * N, b * ell * k), b)
    return sol


def device_seconds_per_token(regime: str = "memory") -> sp.Expr:
    """Device-seconds per generated token, :math:`n\\,t/b` (Erdil eq. 2), in one regime.

    ``"memory"``: :math:`(p_w N + b\\ell k)/(u_B B\\, b)`, falling as :math:`1/b` at short
    context; ``"compute"``: :math:`(2N + a\\ell)/(u_C C)`, independent of :math:`b`.
    """
    t = {"memory": memory_time(), "compute": compute_time()}[regime]
    return sp.simplify(n * t / b)


def cost_per_million_tokens(regime: str = "memory") -> sp.Expr:
    """$/M :math:`= 10^6\\, n\\, t\\, \\pi/(3600\\, b)` with :math:`t` the memory or compute term.

    ``regime="memory"`` gives the cost below :math:`b^*` (falls as :math:`1/b`),
    ``"compute"`` the flat cost above it (no :math:`b` left).
    """
    t = {"memory": memory_time(), "compute": compute_time()}[regime]
    return sp.simplify(10**6 * n * t * price / (3600 * b))


def memory_bound_cost_per_million_tokens() -> sp.Expr:
    """Short-context memory-bound cost, :math:`10^6 p_w N \\pi/(3600\\, u_B B\\, b)`."""
    return sp.simplify(cost_per_million_tokens("memory").subs(ell, 0))


def tokens_per_second_batch1() -> sp.Expr:
    """Speed of one sequence at short context on one device: :math:`u_B B/(p_w N)`.

    The seed text's :math:`B/(2 p N)` has a spurious factor 2: a decode step reads each
    weight once (:math:`p` bytes), it does not read two bytes per byte.
    """
    return sp.simplify(1 / memory_time(context=False).subs({n: 1}))


def max_batch() -> sp.Expr:
    """Unrounded capacity :math:`(H - p_w N)/(\\ell k)` (``memory.max_batch`` floors it)."""
    (sol,) = sp.solve(sp.Eq(p_w * N + b * ell * k, H), b)
    return sol


def prefill_flop() -> sp.Expr:
    """:math:`\\sum_{i=0}^{P-1} (2N + a i) = 2NP + aP(P-1)/2`."""
    return sp.factor_terms(sp.simplify(sp.summation(2 * N + a * i, (i, 0, P - 1))))
