"""Figures for chapter 10: routing, cascades and the deployment planner.

Every function calls :mod:`inferecon.levers.routing` or :mod:`inferecon.planning.planner` and returns
a Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from inferecon.levers import routing
from inferecon.planning import planner
from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.specs.models import get_model

__all__ = ["monthly_cost_vs_traffic", "planner_static", "router_savings", "strategy_map"]


@course_figure
def router_savings(
    cost_ratios: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
    router_cost_ratio: float = 0.0,
    band: tuple[float, float] = (0.5, 0.7),
) -> Figure:
    """Savings of a router against the share of traffic it sends to the small model, one line
    per price ratio :math:`c_S/c_L`; the 50–70% band claimed in Brenndoerfer's handbook
    (:cite:`brenndoerfer2025inference`) shaded."""
    p = np.linspace(0, 1, 101)
    fig: Figure
    fig, ax = new_figure(height=4.4)
    ax.axhspan(*band, color="0.85", zorder=0, label="claim: “router saves 50–70%”")
    for color, rho in zip(COLORS, cost_ratios, strict=False):
        ax.plot(
            p,
            routing.router_savings_perfect(p, rho, router_cost_ratio),
            color=color,
            label=f"c_S / c_L = {rho:g}",
        )
    ax.set_xlabel("share of queries answered by the small model P_S")
    ax.set_ylabel("savings against large only")
    ax.set_ylim(-0.05, 1.0)
    legend_below(fig, ax)
    ax.set_title("Savings = P_S (1 − c_S/c_L) − c_R/c_L")
    return fig


@course_figure
def strategy_map(quality_floor: float, n: int = 161, **kwargs: Any) -> Figure:
    """Cheapest strategy meeting ``quality_floor`` over (easy share, price ratio); ``kwargs``
    are the accuracies and keep probabilities of :func:`inferecon.levers.routing.cheapest_strategy`."""
    e = np.linspace(0, 1, n)
    rho = np.linspace(0.01, 1.0, n)
    idx, _ = routing.cheapest_strategy(e[None, :], rho[:, None], quality_floor=quality_floor, **kwargs)
    colors = ["#DDDDDD"] + [COLORS[i] for i in (1, 0, 2, 3)]
    cmap = ListedColormap(colors)
    fig: Figure
    fig, ax = new_figure(height=4.8)
    ax.pcolormesh(e, rho, idx + 1, cmap=cmap, vmin=-0.5, vmax=4.5, shading="nearest")
    ax.grid(False)
    handles = [Patch(color=colors[i + 1], label=name) for i, name in enumerate(routing.STRATEGIES)]
    handles.append(Patch(color=colors[0], label="none meets the floor"))
    legend_below(fig, handles=handles, ncol=2)
    ax.set_xlabel("share of easy queries e")
    ax.set_ylabel("price ratio c_S / c_L")
    ax.set_title(f"Cheapest strategy with expected accuracy ≥ {quality_floor:g}")
    return fig


@course_figure
def monthly_cost_vs_traffic(
    configs: Sequence[planner.ReplicaConfig],
    labels: Sequence[str],
    workload: planner.Workload,
    multipliers: planner.Multipliers | None = None,
    rates: np.ndarray | None = None,
) -> Figure:
    """Monthly cost against average request rate: bare fleet (dashed) and with the
    multipliers (solid), one colour per configuration."""
    r = np.logspace(-1, 3, 61) if rates is None else np.asarray(rates, dtype=float)
    fig: Figure
    fig, ax = new_figure(height=4.6)
    for color, cfg, lab in zip(COLORS, configs, labels, strict=False):
        bare = planner.fleet(workload, cfg, None, r).usd_per_month
        ax.loglog(r, bare, "--", color=color, lw=1.2, label=None if multipliers else lab)
        if multipliers:
            full = planner.fleet(workload, cfg, multipliers, r).usd_per_month
            ax.loglog(r, full, "-", color=color, lw=1.8, label=lab)
    ax.set_xlabel("average requests per second")
    ax.set_ylabel("$ per month")
    title = "Monthly cost: bare fleet (dashed)"
    if multipliers:
        title += f", with ×{multipliers.product:.3g} multipliers (solid)"
    ax.set_title(title)
    legend_below(fig, ax)
    return fig


@course_figure
def planner_static(
    config: planner.ReplicaConfig,
    workload: planner.Workload,
    multipliers: planner.Multipliers,
    rates: np.ndarray | None = None,
) -> Figure:
    """The planner explorer's output across traffic: replicas (left) and $/month (right),
    bare and with the multipliers."""
    r = np.logspace(-1, 3, 41) if rates is None else np.asarray(rates, dtype=float)
    bare = planner.fleet(workload, config, None, r)
    full = planner.fleet(workload, config, multipliers, r)
    fig: Figure
    fig, (ax1, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    ax1.loglog(r, bare.devices, "--", color=COLORS[0], label="bare fleet")
    ax1.loglog(r, full.devices, "-", color=COLORS[1], label=f"with ×{multipliers.product:.3g} multipliers")
    ax1.set_xlabel("average requests per second")
    ax1.set_ylabel("GPUs")
    legend_below(fig, ax1)
    ax2.loglog(r, bare.usd_per_month, "--", color=COLORS[0])
    ax2.loglog(r, full.usd_per_month, "-", color=COLORS[1])
    ax2.set_xlabel("average requests per second")
    ax2.set_ylabel("$ per month")
    model = get_model(config.model).name
    fig.suptitle(
        f"{model} in {config.weight_format} on {config.replica.name}, "
        f"peak/avg {workload.peak_to_average:g}, "
        f"{workload.input_tokens:g} in / {workload.output_tokens:g} out tokens",
    )
    return fig
