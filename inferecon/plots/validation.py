"""Figures for chapter 11: the package's bound next to published measurements.

Every function takes :class:`inferecon.validation.predictions.Prediction` objects (or a frontier
and an :class:`inferecon.validation.predictions.EfficiencyFit`) computed by
:mod:`inferecon.validation.predictions`, and
returns a matplotlib Figure; no formula is re-implemented here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from inferecon.plots import COLORS, SMALL, _off_rising_line, course_figure, legend_below, new_figure, wrap
from inferecon.serving.closed_forms import sqrt_law_latency_seconds
from inferecon.serving.frontier import Frontier
from inferecon.specs.models import get_model
from inferecon.validation import predictions as validation
from inferecon.validation.measurements import SOURCE_LABELS, Measurement

__all__ = [
    "REGIME_STYLE",
    "derated_frontier",
    "efficiency_by_regime",
    "predicted_vs_measured",
    "sqrt_law",
]

#: Colour and marker of each regime, shared by the chapter's figures.
REGIME_STYLE = {
    "throughput": (COLORS[0], "o", "throughput (large batch)"),
    "latency": (COLORS[1], "s", "latency (small batch, best latency)"),
    "prefill": (COLORS[2], "^", "prefill (prompt processing)"),
    "provider": (COLORS[3], "D", "provider (price and speed)"),
}


def _rate(value: float, higher_is_better: bool) -> float:
    return value if higher_is_better else 1.0 / value


@course_figure
def predicted_vs_measured(
    predictions: Sequence[validation.Prediction], label_ids: Sequence[str] = ()
) -> Figure:
    """Measured against predicted, on log axes, with the line y = x (the bound).

    Each row is drawn as a *rate* in its own unit (tokens/s, or 1/time for latencies), so
    that for every row "within the bound" means on or below the line whatever the unit.
    Rows that restate another (MFUs) are left out. Dotted lines mark 50% and 25% of the
    bound; rows beyond the bound are ringed in black.
    """
    fig, ax = new_figure(height=6)
    rows = [p for p in predictions if p.measurement.independent and p.predicted > 0]
    xs = np.array([_rate(p.predicted, p.measurement.higher_is_better) for p in rows])
    ys = np.array([_rate(p.measurement.value, p.measurement.higher_is_better) for p in rows])
    lo, hi = min(xs.min(), ys.min()) / 3, max(xs.max(), ys.max()) * 3
    line = np.array([lo, hi])
    ax.loglog(line, line, color="black", lw=1.4, label="y = x: the bound")
    for f, ls in ((0.5, ":"), (0.25, "-.")):
        ax.loglog(line, f * line, color="0.45", lw=0.9, ls=ls, label=f"{f:.0%} of the bound")
    for regime, (color, marker, label) in REGIME_STYLE.items():
        sel = [i for i, p in enumerate(rows) if p.measurement.regime == regime]
        if sel:
            ax.scatter(xs[sel], ys[sel], color=color, marker=marker, s=46, zorder=4, label=label)
    out = [i for i, p in enumerate(rows) if not p.within_bound]
    if out:
        ax.scatter(
            xs[out],
            ys[out],
            facecolors="none",
            edgecolors="black",
            s=170,
            lw=1.3,
            zorder=5,
            label="beyond the bound (named reason)",
        )
    # Named points get their name in the empty corner above y = x (no row lies far above the
    # bound), stacked from the highest point down, with a thin arrow: off every reference line.
    named = sorted((i for i, p in enumerate(rows) if p.id in label_ids), key=lambda i: -ys[i])
    for k, i in enumerate(named):
        ax.annotate(
            rows[i].id,
            (xs[i], ys[i]),
            xytext=(0.04, 0.95 - 0.08 * k),
            textcoords="axes fraction",
            ha="left",
            va="top",
            arrowprops=dict(arrowstyle="-", color="0.35", lw=0.8, shrinkB=6),
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("predicted by the bound (rate: tokens/s, or 1/latency)")
    ax.set_ylabel("measured (same unit)")
    legend_below(fig, ax)
    return fig


@course_figure
def efficiency_by_regime(
    predictions: Sequence[validation.Prediction], fits: Sequence[validation.EfficiencyFit]
) -> Figure:
    """Efficiency :math:`\\eta` of every independent row, one strip per regime, with each
    regime's fitted geometric mean (bar) and :math:`\\times/\\div` one geometric SD (band)."""
    fig, ax = new_figure(height=4)
    regimes = list(REGIME_STYLE)
    by = {f.regime: f for f in fits}
    for k, regime in enumerate(regimes):
        color, marker, _ = REGIME_STYLE[regime]
        rows = [p for p in predictions if p.measurement.independent and p.measurement.regime == regime]
        eff = np.array([p.efficiency for p in rows])
        jitter = np.linspace(-0.18, 0.18, eff.size) if eff.size > 1 else np.zeros(1)
        ax.scatter(eff, k + jitter, color=color, marker=marker, s=40, zorder=4)
        beyond = eff > 1
        if beyond.any():
            ax.scatter(
                eff[beyond],
                (k + jitter)[beyond],
                facecolors="none",
                edgecolors="black",
                s=150,
                lw=1.2,
                zorder=5,
            )
        f = by.get(regime)
        if f is not None:
            ax.fill_betweenx(
                [k - 0.3, k + 0.3],
                f.geometric_mean / f.geometric_sd,
                min(f.geometric_mean * f.geometric_sd, 1.0),
                color=color,
                alpha=0.15,
            )
            ax.plot([f.geometric_mean] * 2, [k - 0.3, k + 0.3], color=color, lw=2.2)
    ax.axvline(1.0, color="black", lw=1.3)
    ax.text(1.02, len(regimes) - 0.6, "the bound")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks([0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5])
    ax.set_xticklabels(["0.1", "0.2", "0.3", "0.5", "0.7", "1", "1.5"])
    ax.set_yticks(range(len(regimes)))
    ax.set_yticklabels([wrap(REGIME_STYLE[r][2], 1.5, SMALL) for r in regimes])
    ax.set_ylim(-0.6, len(regimes) - 0.4)
    ax.set_xlabel("efficiency η = measured speed / bound speed (= bound time / measured time)")
    ax.grid(axis="y", visible=False)
    return fig


@course_figure
def sqrt_law(predictions: Sequence[validation.Prediction], reference_id: str) -> Figure:
    """Best per-token latency against parameters: measurements, the bound, and the √N law.

    The law (:func:`inferecon.serving.closed_forms.sqrt_law_latency_seconds`) is drawn through the
    measurement ``reference_id``; the legend gives the fitted exponent of each series
    (:func:`inferecon.validation.predictions.power_law_exponent`).
    """
    rows = sorted(predictions, key=lambda p: get_model(p.measurement.model).total_params)
    n = np.array([get_model(p.measurement.model).total_params for p in rows], dtype=float)
    meas = np.array([p.measurement.value for p in rows])
    pred = np.array([p.predicted for p in rows])
    ref = next(p for p in rows if p.id == reference_id)
    n_ref = float(get_model(ref.measurement.model).total_params)
    grid = np.geomspace(n.min() / 1.5, n.max() * 1.5, 50)
    law = sqrt_law_latency_seconds(ref.measurement.value, n_ref, grid)
    fig, ax = new_figure(height=4.6)
    ax.loglog(
        grid,
        law,
        color="0.4",
        ls="--",
        lw=1.2,
        label=f"√N law through {get_model(ref.measurement.model).name} (exponent 0.5)",
    )
    ax.loglog(
        n,
        meas,
        "o",
        color=COLORS[1],
        ms=8,
        label=f"measured, Pope et al. (fitted exponent {validation.power_law_exponent(n, meas):.2f})",
    )
    ax.loglog(
        n,
        pred,
        "s",
        color=COLORS[0],
        ms=7,
        mfc="none",
        mew=1.6,
        label=f"bound on TPU v4 (fitted exponent {validation.power_law_exponent(n, pred):.2f})",
    )
    for i, (x, y, p) in enumerate(zip(n, meas, rows, strict=False)):
        ax.annotate(get_model(p.measurement.model).name, (x, y), **_off_rising_line(first=i == 0))
    ax.set_xlabel("parameters N")
    ax.set_ylabel("best latency per token (ms)")
    legend_below(fig, ax)
    return fig


def _provider_label(m: Measurement) -> str:
    """A provider row as a reader names it: its source and the precision it was served in."""
    source = SOURCE_LABELS.get(m.sources[0], m.sources[0]) if m.sources else m.id
    if m.bound_exception == "undisclosed-precision":
        return f"{source}, precision undisclosed"
    base, _, group = m.weight_format.partition("-g")
    return f"{source}, {base.upper()}" + (f", group {group}" if group.isdigit() else "")


@course_figure
def derated_frontier(
    frontiers: Sequence[tuple[str, Frontier]],
    fit: validation.EfficiencyFit,
    providers: Sequence[validation.Prediction] = (),
) -> Figure:
    """Speed-cost frontiers of the bound and as derated by a fitted efficiency, side by side.

    For each ``(title, frontier)`` panel: the bound's frontier (solid), the frontier derated
    by the fit's geometric mean (dashed, :func:`inferecon.validation.predictions.derate_frontier`) and a
    band from :math:`\\bar\\eta/\\sigma_g` to :math:`\\bar\\eta\\sigma_g`; provider points
    (price against serial speed) in every panel.
    """
    fig, axes = new_figure(nrows=len(frontiers), height=3.0 * len(frontiers) + 1.2)
    axes = np.atleast_1d(axes)
    eta = np.array(
        [
            fit.geometric_mean / fit.geometric_sd,
            fit.geometric_mean,
            min(fit.geometric_mean * fit.geometric_sd, 1.0),
        ]
    )
    for ax, (title, front) in zip(axes, frontiers, strict=False):
        d = validation.derate_frontier(front, eta)
        ax.loglog(
            front.tokens_per_s_per_request,
            front.usd_per_million_tokens,
            color=COLORS[0],
            lw=2,
            label="bound (package frontier)",
        )
        ax.loglog(
            d.tokens_per_s_per_request[1],
            d.usd_per_million_tokens[1],
            color=COLORS[1],
            ls="--",
            lw=1.8,
            label=f"derated, η = {fit.geometric_mean:.2f}",
        )
        for k in (0, 2):
            ax.loglog(
                d.tokens_per_s_per_request[k], d.usd_per_million_tokens[k], color=COLORS[1], lw=0.8, alpha=0.6
            )
        poly_x = np.concatenate([d.tokens_per_s_per_request[0], d.tokens_per_s_per_request[2][::-1]])
        poly_y = np.concatenate([d.usd_per_million_tokens[0], d.usd_per_million_tokens[2][::-1]])
        ax.fill(
            poly_x, poly_y, color=COLORS[1], alpha=0.12, lw=0, label=f"η from {eta[0]:.2f} to {eta[2]:.2f}"
        )
        # Provider points by source and precision, not catalogue id. Two points can nearly
        # coincide (150 and 158 tok/s at one price), so the first is a large hollow diamond
        # and the others smaller filled markers that show inside it.
        for j, p in enumerate(providers):
            m = p.measurement
            marker, size, face = (("D", 11, "none"), ("o", 6, COLORS[4]), ("^", 6, COLORS[5]))[j % 3]
            ax.plot(
                [m.value],
                [m.price_usd_per_mtok],
                marker=marker,
                ls="none",
                ms=size,
                mfc=face,
                mew=1.6 if face == "none" else 0.8,
                mec=COLORS[3] if face == "none" else "black",
                zorder=5 + j,
                label=f"{_provider_label(m)}:\n{m.value:.0f} tok/s at ${m.price_usd_per_mtok:.2f}/M",
            )
        ax.set_title(title)
        ax.set_xlim(2.0, 2.0 * float(front.tokens_per_s_per_request[-1]))
        ax.set_xlabel("serial speed (tokens/s per request)")
        ax.set_ylabel("$ per million output tokens")
    legend_below(fig, axes)
    return fig
