"""Routing and cascades between a small and a large model: expected cost and quality.

Queries are **easy** (share :math:`e`) or **hard**. Each model answers a class correctly
with a known probability (:math:`a_{S,e}, a_{S,h}` for the small model, :math:`a_{L,e},
a_{L,h}` for the large one). Costs are per query: :math:`c_S < c_L`.

* A **router** decides before any model runs: it sends an easy query to the small model with
  probability :math:`s_e` and a hard one with probability :math:`s_h` (a perfect router has
  :math:`s_e = 1, s_h = 0`), and costs :math:`c_R` per query.
* A **cascade** always runs the small model first, then escalates to the large model when
  the small model's confidence is low: it keeps an easy query's small answer with
  probability :math:`k_e` and a hard one's with :math:`k_h`; the check costs :math:`c_K`.
  Escalated queries pay for **both** models.

Both have the same quality form, because a query ends with exactly one answer:

.. math::
    Q = e\\,[s_e a_{S,e} + (1 - s_e) a_{L,e}] + (1 - e)\\,[s_h a_{S,h} + (1 - s_h) a_{L,h}]

but different costs:

.. math::
    C_\\mathrm{router} = c_R + P_S\\,c_S + (1 - P_S)\\,c_L, \\qquad
    C_\\mathrm{cascade} = c_K + c_S + (1 - P_K)\\,c_L

with :math:`P_S = e s_e + (1-e) s_h` the share answered by the small model
:cite:`chen2023frugalgpt,ong2024routellm`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import fraction, non_negative, positive

__all__ = [
    "STRATEGIES",
    "cascade_cost",
    "cascade_max_escalation",
    "cheapest_strategy",
    "mixture_quality",
    "required_small_share",
    "router_cost",
    "router_savings_perfect",
    "savings",
    "small_share",
]

#: Strategy labels used by :func:`cheapest_strategy`, in index order.
STRATEGIES = ("large only", "small only", "router", "cascade")


def _frac(name: str, value: ArrayLike) -> NDArray[np.float64]:
    return fraction(name, value, low_open=False)


def small_share(easy_fraction: ArrayLike, keep_easy: ArrayLike, keep_hard: ArrayLike) -> NDArray[np.float64]:
    """Share of queries answered by the small model, :math:`P_S = e\\,s_e + (1-e)\\,s_h`."""
    e = _frac("easy_fraction", easy_fraction)
    return e * _frac("keep_easy", keep_easy) + (1.0 - e) * _frac("keep_hard", keep_hard)


def mixture_quality(
    easy_fraction: ArrayLike,
    keep_easy: ArrayLike,
    keep_hard: ArrayLike,
    small_accuracy_easy: ArrayLike,
    small_accuracy_hard: ArrayLike,
    large_accuracy_easy: ArrayLike,
    large_accuracy_hard: ArrayLike,
) -> NDArray[np.float64]:
    """Expected accuracy when the small model's answer is used with probability
    :math:`s_e` (easy) or :math:`s_h` (hard) and the large model's otherwise (module docstring).

    ``keep_easy = keep_hard = 1`` is "small only"; ``0`` and ``0`` is "large only".
    """
    e = _frac("easy_fraction", easy_fraction)
    se, sh = _frac("keep_easy", keep_easy), _frac("keep_hard", keep_hard)
    ase = _frac("small_accuracy_easy", small_accuracy_easy)
    ash = _frac("small_accuracy_hard", small_accuracy_hard)
    ale = _frac("large_accuracy_easy", large_accuracy_easy)
    alh = _frac("large_accuracy_hard", large_accuracy_hard)
    return e * (se * ase + (1 - se) * ale) + (1 - e) * (sh * ash + (1 - sh) * alh)


def router_cost(
    cost_small: ArrayLike,
    cost_large: ArrayLike,
    easy_fraction: ArrayLike,
    keep_easy: ArrayLike,
    keep_hard: ArrayLike,
    router_cost: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """Expected cost per query of a router, :math:`c_R + P_S c_S + (1 - P_S) c_L`."""
    cs, cl = non_negative("cost_small", cost_small), positive("cost_large", cost_large)
    p = small_share(easy_fraction, keep_easy, keep_hard)
    return non_negative("router_cost", router_cost) + p * cs + (1.0 - p) * cl


def cascade_cost(
    cost_small: ArrayLike,
    cost_large: ArrayLike,
    easy_fraction: ArrayLike,
    keep_easy: ArrayLike,
    keep_hard: ArrayLike,
    check_cost: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """Expected cost per query of a cascade, :math:`c_K + c_S + (1 - P_K) c_L`.

    Every query pays the small model; escalated ones also pay the large model.
    """
    cs, cl = non_negative("cost_small", cost_small), positive("cost_large", cost_large)
    p = small_share(easy_fraction, keep_easy, keep_hard)
    return non_negative("check_cost", check_cost) + cs + (1.0 - p) * cl


def savings(cost: ArrayLike, cost_large: ArrayLike) -> NDArray[np.float64]:
    """Fraction saved against sending everything to the large model, :math:`1 - C/c_L`."""
    return 1.0 - non_negative("cost", cost) / positive("cost_large", cost_large)


def router_savings_perfect(
    small_share_: ArrayLike, cost_ratio: ArrayLike, router_cost_ratio: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Router savings as a function of the routed share and the price ratio.

    .. math:: 1 - \\frac{C_\\mathrm{router}}{c_L} = P_S\\,(1 - \\rho) - \\rho_R,
              \\qquad \\rho = c_S/c_L,\\; \\rho_R = c_R/c_L
    """
    p = _frac("small_share", small_share_)
    rho = _frac("cost_ratio", cost_ratio)
    return p * (1.0 - rho) - non_negative("router_cost_ratio", router_cost_ratio)


def required_small_share(
    target_savings: ArrayLike, cost_ratio: ArrayLike, router_cost_ratio: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Share of traffic a router must send to the small model to save ``target_savings``.

    .. math:: P_S = \\frac{\\sigma + \\rho_R}{1 - \\rho}

    Values above 1 mean the target is out of reach at that price ratio.
    """
    s = fraction("target_savings", target_savings, low_open=False, high_open=True)
    rho = fraction("cost_ratio", cost_ratio, low_open=False, high_open=True)
    return (s + non_negative("router_cost_ratio", router_cost_ratio)) / (1.0 - rho)


def cascade_max_escalation(
    target_savings: ArrayLike, cost_ratio: ArrayLike, check_cost_ratio: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Largest escalation share :math:`1 - P_K` at which a cascade still saves ``target_savings``.

    .. math:: 1 - P_K = 1 - \\rho - \\rho_K - \\sigma

    Negative values mean no cascade can reach the target.
    """
    s = fraction("target_savings", target_savings, low_open=False, high_open=True)
    rho = _frac("cost_ratio", cost_ratio)
    return 1.0 - rho - non_negative("check_cost_ratio", check_cost_ratio) - s


def cheapest_strategy(
    easy_fraction: ArrayLike,
    cost_ratio: ArrayLike,
    *,
    quality_floor: float,
    small_accuracy_easy: float,
    small_accuracy_hard: float,
    large_accuracy_easy: float,
    large_accuracy_hard: float,
    router_keep_easy: float,
    router_keep_hard: float,
    cascade_keep_easy: float,
    cascade_keep_hard: float,
    router_cost_ratio: float = 0.0,
    check_cost_ratio: float = 0.0,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Cheapest of the four strategies whose expected quality meets ``quality_floor``.

    Costs are in units of :math:`c_L` (``cost_ratio`` = :math:`c_S/c_L`). Returns
    ``(index, cost)`` arrays broadcast over ``easy_fraction`` and ``cost_ratio``; the index
    points into :data:`STRATEGIES`, and -1 means no strategy meets the floor (cost NaN is never
    returned: it is +inf there).
    """
    e = _frac("easy_fraction", easy_fraction)
    rho = _frac("cost_ratio", cost_ratio)
    e, rho = np.broadcast_arrays(e, rho)
    floor = float(_frac("quality_floor", quality_floor))
    for name, value in (
        ("small_accuracy_easy", small_accuracy_easy),
        ("small_accuracy_hard", small_accuracy_hard),
        ("large_accuracy_easy", large_accuracy_easy),
        ("large_accuracy_hard", large_accuracy_hard),
        ("router_keep_easy", router_keep_easy),
        ("router_keep_hard", router_keep_hard),
        ("cascade_keep_easy", cascade_keep_easy),
        ("cascade_keep_hard", cascade_keep_hard),
    ):
        _frac(name, value)
    non_negative("router_cost_ratio", router_cost_ratio)
    non_negative("check_cost_ratio", check_cost_ratio)
    acc = (small_accuracy_easy, small_accuracy_hard, large_accuracy_easy, large_accuracy_hard)
    keeps = [
        (0.0, 0.0),
        (1.0, 1.0),
        (router_keep_easy, router_keep_hard),
        (cascade_keep_easy, cascade_keep_hard),
    ]
    q = np.stack([mixture_quality(e, ke, kh, *acc) for ke, kh in keeps])
    c = np.stack(
        [
            np.ones_like(e),
            rho + 0.0 * e,
            router_cost(rho, 1.0, e, router_keep_easy, router_keep_hard, router_cost_ratio),
            cascade_cost(rho, 1.0, e, cascade_keep_easy, cascade_keep_hard, check_cost_ratio),
        ]
    )
    c = np.where(q >= floor - 1e-12, c, np.inf)
    idx = np.argmin(c, axis=0)
    best = np.take_along_axis(c, idx[None], axis=0)[0]
    return np.where(np.isfinite(best), idx, -1), best
