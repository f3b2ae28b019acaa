"""Symbolic twin of :mod:`inferecon.training.scaling`: Chinchilla's law, its optimum, break-even, lifetime.

Each function derives its result with sympy from the loss law
:math:`L = E + A N^{-\\alpha} + B D^{-\\beta}` (:cite:`hoffmann2022training`) rather than typing the
answer in; tests lambdify the results and compare them with the numeric functions of
:mod:`inferecon.training.scaling` on grids of inputs.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "D_1",
    "D_2",
    "N_1",
    "N_2",
    "A",
    "B",
    "C",
    "D",
    "E",
    "N",
    "T",
    "T_eff",
    "T_in",
    "T_out",
    "alpha",
    "balance_condition",
    "beta",
    "break_even_equation",
    "break_even_volume",
    "c_inf",
    "c_tr",
    "compute_optimal",
    "compute_optimal_closed_form",
    "compute_optimal_for_loss",
    "effective_inference_tokens",
    "ell",
    "lagrangian",
    "lam",
    "lifetime_cost",
    "lifetime_lagrangian",
    "lifetime_stationarity",
    "loss_floor",
    "loss_law",
    "tokens_per_param_at_optimum",
    "tokens_to_reach_loss",
    "u_dec",
    "u_pre",
    "u_tr",
]

N = sp.Symbol("N", positive=True)  # parameters
D = sp.Symbol("D", positive=True)  # training tokens
C = sp.Symbol(r"C_\mathrm{train}", positive=True)  # training FLOP (C is the accelerator FLOP/s)
T = sp.Symbol(r"T_\mathrm{inf}", positive=True)  # lifetime inference tokens
E = sp.Symbol("E", positive=True)
A = sp.Symbol("A_N", positive=True)
B = sp.Symbol("B_D", positive=True)
alpha = sp.Symbol("alpha", positive=True)
beta = sp.Symbol("beta", positive=True)
ell = sp.Symbol(r"L_\mathrm{target}", positive=True)  # target loss (\ell is context length)
lam = sp.Symbol("lambda")  # Lagrange multiplier
N_1, D_1, N_2, D_2 = sp.symbols("N_1 D_1 N_2 D_2", positive=True)
c_tr = sp.Symbol(r"c_\mathrm{tr}", positive=True)  # USD per peak FLOP, training hardware
c_inf = sp.Symbol(r"c_\mathrm{inf}", positive=True)  # USD per peak FLOP, inference hardware
u_tr = sp.Symbol(r"u_\mathrm{tr}", positive=True)  # training MFU
u_pre = sp.Symbol(r"u_\mathrm{pre}", positive=True)  # prefill MFU
u_dec = sp.Symbol(r"u_\mathrm{dec}", positive=True)  # decode MFU
T_in = sp.Symbol(r"T_\mathrm{in}", positive=True)  # lifetime prompt tokens
T_out = sp.Symbol(r"T_\mathrm{out}", positive=True)  # lifetime generated tokens
T_eff = sp.Symbol(r"T_\mathrm{eff}", positive=True)


def loss_law() -> sp.Expr:
    """:math:`L(N, D) = E + A/N^\\alpha + B/D^\\beta`."""
    return E + A / N**alpha + B / D**beta


def loss_floor() -> sp.Expr:
    """:math:`\\lim_{D\\to\\infty} L(N, D) = E + A/N^\\alpha`."""
    return sp.limit(loss_law(), D, sp.oo)


def lagrangian() -> sp.Expr:
    """:math:`\\mathcal L = L(N, D) + \\lambda(6ND - C)`: minimize loss at fixed compute."""
    return loss_law() + lam * (6 * N * D - C)


def balance_condition() -> sp.Eq:
    """Eliminate :math:`\\lambda` from :math:`\\partial_N\\mathcal L = \\partial_D\\mathcal L = 0`.

    :math:`N\\,\\partial_N L = D\\,\\partial_D L` (both equal :math:`-6\\lambda ND`), i.e.
    :math:`\\alpha A N^{-\\alpha} = \\beta B D^{-\\beta}`: at the optimum the two reducible terms
    are in the ratio :math:`\\beta:\\alpha`.
    """
    lg = lagrangian()
    (lam_sol,) = sp.solve(sp.diff(lg, D), lam)
    cond = sp.diff(lg, N).subs(lam, lam_sol)  # = dL/dN - (N/D)... times D
    lhs, rhs = sp.expand(-N * cond).as_independent(B)  # split the A-term from the B-term
    return sp.Eq(sp.simplify(lhs), sp.simplify(-rhs))


def compute_optimal() -> tuple[sp.Expr, sp.Expr]:
    """Solve the balance condition with :math:`6ND = C` for :math:`(N^*, D^*)`.

    Taking logs, :math:`\\log N` and :math:`\\log D` satisfy two linear equations; sympy solves
    them and the result is returned in powers of :math:`C`.
    """
    n, d = sp.symbols("n d", real=True)  # n = log N, d = log D
    eq1 = sp.Eq(sp.log(alpha * A) - alpha * n, sp.log(beta * B) - beta * d)  # log of balance
    eq2 = sp.Eq(n + d, sp.log(C / 6))  # log of 6ND = C
    sol = sp.solve([eq1, eq2], [n, d], dict=True)[0]
    return sp.simplify(sp.exp(sol[n])), sp.simplify(sp.exp(sol[d]))


def compute_optimal_closed_form() -> tuple[sp.Expr, sp.Expr]:
    """Hoffmann's eq. (4) form: :math:`N^* = G(C/6)^a`, :math:`D^* = G^{-1}(C/6)^b`.

    With :math:`G = (\\alpha A/(\\beta B))^{1/(\\alpha+\\beta)}`, :math:`a = \\beta/(\\alpha+\\beta)`,
    :math:`b = \\alpha/(\\alpha+\\beta)`. Tests check it equals :func:`compute_optimal`.
    """
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    return (G * (C / 6) ** (beta / (alpha + beta)), (C / 6) ** (alpha / (alpha + beta)) / G)


def tokens_per_param_at_optimum() -> sp.Expr:
    """:math:`D^*/N^*`, simplified; it depends on :math:`C` through
    :math:`C^{(\\alpha-\\beta)/(\\alpha+\\beta)}`."""
    n_opt, d_opt = compute_optimal_closed_form()
    return sp.powsimp(sp.simplify(d_opt / n_opt), force=True)


def compute_optimal_for_loss() -> tuple[sp.Expr, sp.Expr]:
    """The compute-optimal :math:`(N, D)` reaching loss :math:`\\ell`: balance condition plus
    :math:`L = \\ell`.

    With :math:`x = A N^{-\\alpha}` the balance condition gives :math:`B D^{-\\beta} = (\\alpha/\\beta)x`,
    so :math:`E + x(1 + \\alpha/\\beta) = \\ell`; then each term is inverted for its variable.
    """
    x = sp.Symbol("x", positive=True)
    g = sp.Symbol("g", positive=True)  # g = ell - E > 0, substituted back at the end
    (x_sol,) = sp.solve(sp.Eq(x + alpha / beta * x, g), x)
    y = sp.Symbol("y", positive=True)
    (n_sol,) = sp.solve(sp.Eq(A / N**alpha, y), N)  # N = (A/y)^(1/alpha)
    (d_sol,) = sp.solve(sp.Eq(B / D**beta, y), D)
    n_expr = n_sol.subs(y, x_sol).subs(g, ell - E)
    d_expr = d_sol.subs(y, alpha / beta * x_sol).subs(g, ell - E)
    return n_expr, d_expr


def tokens_to_reach_loss() -> sp.Expr:
    """Solve :math:`L(N, D) = \\ell` for :math:`D`: :math:`(B/(\\ell - E - A/N^\\alpha))^{1/\\beta}`.

    Real only when :math:`\\ell` exceeds the loss floor :func:`loss_floor`: the data term
    :math:`B/D^\\beta` must equal the gap :math:`\\ell - E - A/N^\\alpha`, which must be positive.
    """
    gap = sp.Symbol("Delta", positive=True)
    (sol,) = sp.solve(sp.Eq(B / D**beta, gap), D)
    return sol.subs(gap, ell - loss_floor())


def break_even_equation() -> sp.Eq:
    """Equal lifetime compute: :math:`6N_1D_1 + 2N_1T = 6N_2D_2 + 2N_2T`."""
    return sp.Eq(6 * N_1 * D_1 + 2 * N_1 * T, 6 * N_2 * D_2 + 2 * N_2 * T)


def break_even_volume() -> sp.Expr:
    """Solve :func:`break_even_equation` for :math:`T`:
    :math:`T^* = (6N_2D_2 - 6N_1D_1)/(2(N_1 - N_2))` (undefined when :math:`N_1 = N_2`)."""
    (sol,) = sp.solve(break_even_equation(), T)
    return sp.factor(sol)


def lifetime_lagrangian() -> sp.Expr:
    """:math:`\\mathcal L = 6ND + 2NT + \\lambda(L(N, D) - \\ell)` (Sardana et al. 2024)."""
    return 6 * N * D + 2 * N * T + lam * (loss_law() - ell)


def lifetime_stationarity() -> sp.Expr:
    """The equation in :math:`D` alone whose root is the lifetime-optimal token count.

    From :math:`\\partial_N\\mathcal L = \\partial_D\\mathcal L = 0`, eliminate :math:`\\lambda`
    to get :math:`A N^{-\\alpha}` in terms of :math:`D`, then substitute into the constraint
    :math:`L = \\ell`. Returns the left side of ``expr = 0``:

    .. math:: \\left(\\frac{\\beta B}{\\alpha} + B\\right)D^{-\\beta}
              + \\frac{\\beta B T}{3\\alpha}D^{-\\beta-1} + E - \\ell
    """
    lg = lifetime_lagrangian()
    (lam_sol,) = sp.solve(sp.diff(lg, D), lam)
    x = sp.Symbol("x", positive=True)  # x = A N^-alpha
    cond_n = sp.expand(sp.diff(lg, N).subs(lam, lam_sol) * N)  # 6ND + 2NT - lam*alpha*A*N^-alpha
    cond_n = cond_n.subs(A, x * N**alpha)
    (x_sol,) = sp.solve(cond_n, x)
    constraint = (loss_law() - ell).subs(A, x * N**alpha).subs(x, x_sol)
    return sp.expand(sp.simplify(constraint))


def lifetime_cost() -> sp.Expr:
    """Lifetime USD (Sardana et al. 2024, cost variant):
    :math:`c_\\mathrm{tr}6ND/u_\\mathrm{tr}
    + c_\\mathrm{inf}(2NT_\\mathrm{in}/u_\\mathrm{pre} + 2NT_\\mathrm{out}/u_\\mathrm{dec})`."""
    return c_tr * 6 * N * D / u_tr + c_inf * (2 * N * T_in / u_pre + 2 * N * T_out / u_dec)


def effective_inference_tokens() -> sp.Expr:
    """Solve :math:`\\$ = (c_\\mathrm{tr}/u_\\mathrm{tr})(6ND + 2NT_\\mathrm{eff})` for
    :math:`T_\\mathrm{eff}`.

    The solution does not depend on :math:`N` or :math:`D`, so the cost-optimal model is the
    FLOP-optimal model for :math:`T_\\mathrm{eff}` inference tokens.
    """
    (sol,) = sp.solve(sp.Eq(lifetime_cost(), c_tr / u_tr * (6 * N * D + 2 * N * T_eff)), T_eff)
    return sp.factor(sol)
