"""Symbolic twin of :mod:`inferecon.levers.routing`: cost and quality derived by summing over outcomes.

Every query is a path (class, which answer is used, correct or not) with a probability; the
expected cost and quality are sums over these paths, built here explicitly and simplified
by sympy. The break-even conditions against "large only" follow by solving.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "P_S",
    "a_Le",
    "a_Lh",
    "a_Se",
    "a_Sh",
    "c_K",
    "c_L",
    "c_R",
    "c_S",
    "cascade_cost",
    "cascade_savings",
    "e",
    "in_terms_of_share",
    "quality",
    "quality_by_path",
    "required_small_share",
    "rho",
    "rho_R",
    "router_beats_cascade",
    "router_cost",
    "router_savings",
    "s_e",
    "s_h",
    "sigma",
]

e = sp.Symbol("e", positive=True)  # share of easy queries
s_e = sp.Symbol(r"s_e", nonnegative=True)  # P(small answer used | easy)
s_h = sp.Symbol(r"s_h", nonnegative=True)  # P(small answer used | hard)
a_Se, a_Sh = sp.symbols(r"a_{S\,e} a_{S\,h}", positive=True)  # small-model accuracy by class
a_Le, a_Lh = sp.symbols(r"a_{L\,e} a_{L\,h}", positive=True)  # large-model accuracy by class
c_S, c_L = sp.symbols(r"c_S c_L", positive=True)  # cost per query of each model
c_R = sp.Symbol(r"c_R", nonnegative=True)  # router cost per query
c_K = sp.Symbol(r"c_K", nonnegative=True)  # cascade confidence-check cost
rho = sp.Symbol(r"\rho", positive=True)  # c_S / c_L
rho_R = sp.Symbol(r"\rho_R", nonnegative=True)  # c_R / c_L
sigma = sp.Symbol(r"\sigma", positive=True)  # target savings
P_S = sp.Symbol("P_S", positive=True)  # share answered by the small model


def _paths() -> list[tuple[sp.Expr, str, str]]:
    """(probability, used model, class) for the four (class, decision) paths."""
    return [
        (e * s_e, "S", "e"),
        (e * (1 - s_e), "L", "e"),
        ((1 - e) * s_h, "S", "h"),
        ((1 - e) * (1 - s_h), "L", "h"),
    ]


_ACC = {("S", "e"): a_Se, ("S", "h"): a_Sh, ("L", "e"): a_Le, ("L", "h"): a_Lh}


def quality_by_path() -> sp.Expr:
    """The expected quality left as its sum over the four (class, answer used) paths, one term
    per path, for display; :func:`quality` is the same expression expanded."""
    return sp.Add(*(p * _ACC[(mdl, cls)] for p, mdl, cls in _paths()))


def quality() -> sp.Expr:
    """:math:`Q = \\sum_\\text{paths} P(\\text{path})\\,a_{\\text{model},\\text{class}}`."""
    return sp.expand(quality_by_path())


def router_cost() -> sp.Expr:
    """Router: every path pays :math:`c_R` plus the one model it uses."""
    return sp.expand(sp.Add(*(p * (c_R + (c_S if mdl == "S" else c_L)) for p, mdl, _ in _paths())))


def cascade_cost() -> sp.Expr:
    """Cascade: every path pays :math:`c_K + c_S`; escalated paths also pay :math:`c_L`."""
    return sp.expand(sp.Add(*(p * (c_K + c_S + (0 if mdl == "S" else c_L)) for p, mdl, _ in _paths())))


def router_savings() -> sp.Expr:
    """:math:`1 - C_\\mathrm{router}/c_L` in terms of :math:`P_S`, :math:`\\rho`, :math:`\\rho_R`."""
    expr = 1 - router_cost() / c_L
    return sp.simplify(expr.subs({c_S: rho * c_L, c_R: rho_R * c_L}))


def cascade_savings() -> sp.Expr:
    """:math:`1 - C_\\mathrm{cascade}/c_L` with :math:`c_K = 0`."""
    expr = 1 - cascade_cost().subs(c_K, 0) / c_L
    return sp.simplify(expr.subs({c_S: rho * c_L}))


def in_terms_of_share(expr: sp.Expr, collect_in: sp.Symbol | None = None) -> sp.Expr:
    """Rewrite ``expr`` with :math:`P_S = e s_e + (1-e) s_h` (eliminating :math:`s_h`),
    collected in ``collect_in`` (default :math:`P_S`) for display."""
    out = sp.expand(sp.simplify(expr.subs(s_h, (P_S - e * s_e) / (1 - e))))
    return sp.collect(out, P_S if collect_in is None else collect_in)


def required_small_share() -> sp.Expr:
    """Solve router savings :math:`= \\sigma` for :math:`P_S`: :math:`(\\sigma + \\rho_R)/(1 - \\rho)`."""
    sol = sp.solve(sp.Eq(in_terms_of_share(router_savings()), sigma), P_S)[0]
    num, den = sp.fraction(sp.together(sol))
    return (-num) / (-den) if num.could_extract_minus_sign() else num / den


def router_beats_cascade() -> sp.Expr:
    """Cascade cost minus router cost (same keep probabilities); positive means the router is
    cheaper: :math:`c_K - c_R + (1 - P_S) c_S`, the cascade's wasted small-model runs."""
    return sp.factor(sp.simplify(cascade_cost() - router_cost()))
