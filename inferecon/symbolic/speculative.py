"""Symbolic twin of :mod:`inferecon.levers.speculative`: expected tokens per step and the speedup.

The expected number of tokens is derived, not typed: a step emits :math:`1 + \\min(K, \\gamma)`
tokens where :math:`K` (leading acceptances) is geometric, :math:`P(K \\ge i) = \\alpha^i`, so
:math:`E = \\sum_{i=0}^{\\gamma} P(K \\ge i)` and sympy sums the series.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "alpha",
    "bonus_token_gap",
    "c",
    "erdil_paper_tokens",
    "expected_tokens",
    "expected_tokens_sum",
    "gamma",
    "i",
    "leviathan_speedup",
    "limit_alpha_one",
    "limit_alpha_zero",
    "speculative_speedup",
    "step_time",
    "t_P",
    "t_Q",
    "t_V",
]

alpha = sp.Symbol(r"\alpha_\mathrm{acc}", positive=True)  # per-token acceptance probability
gamma = sp.Symbol(r"\gamma", integer=True, nonnegative=True)  # draft length
i = sp.Symbol("i", integer=True, nonnegative=True)
c = sp.Symbol("c", positive=True)  # draft step time / target step time
t_P = sp.Symbol(r"t_P", positive=True)  # plain target decode step
t_Q = sp.Symbol(r"t_Q", positive=True)  # draft decode step
t_V = sp.Symbol(r"t_V", positive=True)  # target verification pass (gamma+1 tokens)


def expected_tokens_sum() -> sp.Sum:
    """The unevaluated series :math:`\\sum_{i=0}^{\\gamma} \\alpha^i` (tail-sum of 1 + min(K, γ))."""
    return sp.Sum(alpha**i, (i, 0, gamma))


def expected_tokens() -> sp.Expr:
    """:math:`E = (1 - \\alpha^{\\gamma+1})/(1 - \\alpha)`, sympy's evaluation of the series for α ≠ 1."""
    s = expected_tokens_sum().doit()
    if isinstance(s, sp.Piecewise):  # sympy returns (gamma+1 if alpha == 1, geometric otherwise)
        s = next(expr for expr, cond in s.args if cond != sp.Eq(alpha, 1) and expr.has(alpha))
    return sp.simplify(s)


def erdil_paper_tokens() -> sp.Expr:
    """Erdil (2025) §4.1 as printed: :math:`(1 - \\alpha^{\\gamma})/(1 - \\alpha)`."""
    return (1 - alpha**gamma) / (1 - alpha)


def bonus_token_gap() -> sp.Expr:
    """With-bonus minus without-bonus expression; simplifies to :math:`\\alpha^\\gamma` (all drafts
    accepted)."""
    return sp.simplify(expected_tokens() - erdil_paper_tokens())


def limit_alpha_zero() -> sp.Expr:
    """:math:`\\lim_{\\alpha\\to 0} E = 1`: every draft rejected, the target's own token only."""
    return sp.limit(expected_tokens(), alpha, 0)


def limit_alpha_one() -> sp.Expr:
    """:math:`\\lim_{\\alpha\\to 1} E = \\gamma + 1`: every draft accepted plus the bonus token."""
    return sp.simplify(sp.limit(expected_tokens(), alpha, 1))


def leviathan_speedup() -> sp.Expr:
    """Leviathan et al. Theorem 3.8: :math:`E/(\\gamma c + 1)` with :math:`c = t_Q/t_P`."""
    return expected_tokens() / (gamma * c + 1)


def step_time() -> sp.Expr:
    """One speculative step on shared devices: :math:`\\gamma t_Q + t_V`."""
    return gamma * t_Q + t_V


def speculative_speedup() -> sp.Expr:
    """Roofline speedup at a fixed batch: :math:`t_P E / (\\gamma t_Q + t_V)`.

    With a memory-bound verification (:math:`t_V = t_P`) it reduces to
    :func:`leviathan_speedup` at :math:`c = t_Q/t_P`.
    """
    return t_P * expected_tokens() / step_time()
