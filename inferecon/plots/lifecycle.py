"""Figures for chapter 1: cumulative inference compute against the training bill."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.specs.models import ModelSpec, get_model
from inferecon.training import lifecycle
from inferecon.units import format_count

__all__ = ["crossover_days_map", "cumulative_compute"]


_DAY_TICKS = ((1, "1 day"), (7, "1 week"), (30, "1 month"), (365, "1 year"), (3650, "10 years"))


@course_figure
def cumulative_compute(
    model: str | ModelSpec,
    scenarios: Sequence[lifecycle.Scenario],
    training_tokens: float | None = None,
    max_days: float = 3650.0,
) -> Figure:
    """Cumulative inference FLOPs of each scenario against the model's training FLOPs.

    Uses ``lifecycle.training_flop`` (6ND with active parameters) and
    ``lifecycle.inference_flop`` (2N per token); crossovers at ``lifecycle.crossover_days``.
    """
    m = get_model(model)
    d = training_tokens if training_tokens is not None else m.training_tokens
    if d is None:
        raise ValueError(f"{m.name} has no published training_tokens; pass training_tokens")
    n = float(m.active_params)
    train = float(lifecycle.training_flop(n, d))
    days = np.logspace(0, np.log10(max_days), 200)
    fig, ax = new_figure(height=4.6)
    # the training bill is named in the legend below: at either end of its line a note would
    # sit on a scenario's curve (issue 16)
    ax.axhline(train, color="black", lw=1.5, ls="--", label=f"training: 6ND = {train:.2g} FLOP")
    for color, sc in zip(COLORS, scenarios, strict=False):
        flop = lifecycle.inference_flop(n, sc.requests_per_day * sc.tokens_per_request * days)
        ax.loglog(days, flop, color=color, label=sc.name)
        cross = float(lifecycle.crossover_days(d, sc.requests_per_day, sc.tokens_per_request))
        if cross <= max_days:
            ax.plot([cross], [train], "o", color=color, ms=7, zorder=5)
    ax.set_xlabel("days in service")
    ax.set_ylabel("cumulative FLOP")
    ticks = [t for t in _DAY_TICKS if t[0] <= max_days]
    ax.xaxis.set_major_locator(FixedLocator([t[0] for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([t[1] for t in ticks])
    ax.set_title(f"{m.name} trained on {format_count(d)} tokens: when does serving overtake training?")
    legend_below(fig, ax, title="serving at 2N FLOP per token")
    return fig


@course_figure
def crossover_days_map(
    training_tokens: float,
    tokens_per_request: Sequence[float],
    requests_per_day: tuple[float, float] = (1e3, 1e10),
    mark: tuple[float, float] | None = None,
) -> Figure:
    """Days until the compute crossover as a function of traffic, one line per request size.

    The static companion of the crossover explorer: :math:`3D/(r\\,t_\\mathrm{req})`.
    """
    r = np.logspace(np.log10(requests_per_day[0]), np.log10(requests_per_day[1]), 200)
    fig, ax = new_figure(height=4.4)
    for color, t in zip(COLORS, tokens_per_request, strict=False):
        ax.loglog(
            r, lifecycle.crossover_days(training_tokens, r, t), color=color, label=f"{t:,.0f} tokens/request"
        )
    for days, label in ((1, "1 day"), (30, "1 month"), (365, "1 year")):
        ax.axhline(days, color="grey", lw=0.8, ls=":")
        # at the low-traffic end, where every crossover lies beyond the top of the panel
        ax.text(r[0], days, f" {label}", ha="left", va="bottom", color="grey")
    if mark is not None:
        ax.plot(
            [mark[0]],
            [float(lifecycle.crossover_days(training_tokens, mark[0], mark[1]))],
            "k*",
            ms=11,
            label="explorer default",
        )
    ax.set_xlabel("requests per day")
    ax.set_ylabel("days until inference compute = training compute")
    ax.set_ylim(0.1, 1e6)
    ax.set_title(f"Crossover time for D = {format_count(training_tokens)} training tokens (any N)")
    legend_below(fig, ax)
    return fig
