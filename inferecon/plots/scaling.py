"""Figures for chapters 2 and 3: Chinchilla's law, compute-optimal frontier, over-training,
break-even volume and lifetime-optimal size. Every curve comes from :mod:`inferecon.training.scaling`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.training import lifetime
from inferecon.training import scaling as sc
from inferecon.training.lifecycle import Scenario, training_flop

__all__ = [
    "break_even_lifetime_flop",
    "break_even_vs_size",
    "fit_recovery",
    "iso_loss_contours",
    "lifetime_optimal_vs_demand",
    "loss_floor_curves",
    "loss_vs_compute",
    "optimal_params_vs_compute",
    "overtraining_bars",
]


def _fits(fits: Sequence[str | sc.ScalingFit]) -> list[sc.ScalingFit]:
    return [sc.get_fit(f) for f in fits]


def _short(f: sc.ScalingFit) -> str:
    return f.short_name


@course_figure
def iso_loss_contours(
    fit: str | sc.ScalingFit = "besiroglu2024",
    flop_lines: Sequence[float] = (1e20, 1e22, 5.76e23, 1e26),
    params_range: tuple[float, float] = (1e8, 1e13),
    tokens_range: tuple[float, float] = (1e9, 1e15),
) -> Figure:
    """Iso-loss contours of :math:`L(N, D)` with iso-FLOP lines and the compute-optimal frontier.

    The frontier :math:`(N^*(C), D^*(C))` passes through the points where each iso-FLOP line
    touches an iso-loss contour. Chinchilla (70B, 1.4T) and Gopher (280B, 300B) are marked.
    """
    f = sc.get_fit(fit)
    n = np.geomspace(*params_range, 240)
    d = np.geomspace(*tokens_range, 240)
    nn, dd = np.meshgrid(n, d)
    ll = sc.loss(f, nn, dd)
    fig, ax = new_figure(height=5.8)
    levels = np.round(f.E + np.geomspace(0.06, 1.0, 9), 2)
    cs = ax.contour(nn, dd, ll, levels=levels, cmap="viridis", linewidths=1.0)
    # The loss of each contour is read off a colour bar below the panel and the compute of each
    # iso-FLOP line from the legend: labels on the lines would sit on other curves (issue 16).
    cbar = fig.colorbar(cs, ax=ax, location="bottom", spacing="uniform", aspect=40, pad=0.02)
    cbar.set_ticks(list(levels), labels=[f"{v:.2f}" for v in levels])
    cbar.set_label("loss (nats/token) of each contour")
    for lines in cbar.lines:  # the contours' colours, thick enough to match by eye
        lines.set_linewidth(4)
    for i, c in enumerate(flop_lines):
        ax.plot(
            n,
            c / (6 * n),
            color="grey",
            lw=0.8,
            ls="--",
            label=None
            if i
            else "iso-FLOP lines, lower left to upper right:\nC = "
            + ", ".join(f"{v:.2g}" for v in flop_lines)
            + " FLOP",
        )
    cfr = np.geomspace(1e18, 1e28, 100)
    ax.plot(
        sc.compute_optimal_params(f, cfr),
        sc.compute_optimal_tokens(f, cfr),
        color=COLORS[1],
        lw=2.2,
        label=r"compute-optimal frontier $(N^*(C), D^*(C))$",
    )
    ax.plot(n, 20 * n, color="black", lw=1.0, ls=":", label="20 tokens per parameter")
    ax.plot([70e9], [1.4e12], "*", color=COLORS[0], ms=13, label="Chinchilla 70B / 1.4T", zorder=5)
    ax.plot([280e9], [300e9], "s", color=COLORS[3], ms=7, label="Gopher 280B / 300B", zorder=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*params_range)
    ax.set_ylim(*tokens_range)
    ax.set_xlabel("parameters N")
    ax.set_ylabel("training tokens D")
    ax.set_title(f"Iso-loss contours (nats/token), {_short(f)}")
    legend_below(fig, ax)
    return fig


@course_figure
def optimal_params_vs_compute(
    fits: Sequence[str | sc.ScalingFit] = (
        "hoffmann2022",
        "hoffmann2022-tex",
        "sardana2024",
        "besiroglu2024",
    ),
    flop_range: tuple[float, float] = (1e19, 1e28),
) -> Figure:
    """Compute-optimal size :math:`N^*(C)` under each fit, with Hoffmann's Table 3 (Approach 1)
    projections and Chinchilla itself (70B at :math:`6 \\cdot 70\\mathrm{e}9 \\cdot 1.4\\mathrm{e}12`)."""
    c = np.geomspace(*flop_range, 200)
    fig, axes = new_figure(nrows=2, height=6.6, sharex=True)
    for color, f in zip(COLORS, _fits(fits), strict=False):
        axes[0].loglog(c, sc.compute_optimal_params(f, c), color=color, label=_short(f))
        axes[1].semilogx(c, sc.compute_optimal_tokens_per_param(f, c), color=color, label=_short(f))
    t3 = sc.HOFFMANN_2022_TABLE3
    axes[0].plot(
        [r.flop for r in t3],
        [r.params for r in t3],
        "ko",
        ms=5,
        mfc="none",
        label="Hoffmann Table 3 (Approach 1)",
    )
    axes[1].plot([r.flop for r in t3], [r.tokens / r.params for r in t3], "ko", ms=5, mfc="none")
    chin = float(training_flop(70e9, 1.4e12))
    axes[0].plot([chin], [70e9], "*", color="black", ms=12, label="Chinchilla 70B / 1.4T")
    axes[1].plot([chin], [20.0], "*", color="black", ms=12)
    for ax in axes:
        ax.axvline(sc.GOPHER_BUDGET_FLOP, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("training compute C (FLOP)")
    axes[0].set_ylabel(r"compute-optimal parameters $N^*$")
    axes[1].set_ylabel(r"tokens per parameter $D^*/N^*$")
    axes[1].set_yscale("log")
    axes[1].set_yticks([10, 15, 20, 30, 50, 100, 200], ["10", "15", "20", "30", "50", "100", "200"])
    axes[1].minorticks_off()
    axes[0].set_title("Optimal size")
    axes[1].set_title("Optimal tokens per parameter")
    legend_below(fig, axes[0])
    return fig


@course_figure
def loss_vs_compute(
    fits: Sequence[str | sc.ScalingFit] = ("hoffmann2022", "besiroglu2024"),
    flop_range: tuple[float, float] = (1e18, 1e27),
) -> Figure:
    """Left: lowest reachable loss :math:`L(N^*(C), D^*(C))` against compute, for each fit.
    Right: the compute efficiency (:func:`inferecon.training.scaling.compute_efficiency`) of splitting
    the same compute at 20 tokens per parameter, judged by each fit."""
    c = np.geomspace(*flop_range, 200)
    fig, axes = new_figure(nrows=2, height=6.6, sharex=True)
    fitted = list(_fits(fits))
    lowest_floor = min(f.E for f in fitted)
    for color, f in zip(COLORS, fitted, strict=False):
        axes[0].semilogx(c, sc.compute_optimal_loss(f, c), color=color, lw=2, label=_short(f))
        axes[0].axhline(f.E, color=color, lw=0.8, ls=":")
        # Each floor's value clear of every dotted line: the lowest one just below its line,
        # the others just above theirs (the floors lie too close for a label between them).
        below = f.E == lowest_floor
        axes[0].annotate(
            f"E = {f.E:g}",
            (c[40], f.E),
            xytext=(0, -3 if below else 3),
            textcoords="offset points",
            color=color,
            ha="left",
            va="top" if below else "bottom",
        )
        n20 = np.sqrt(c / (6 * sc.CHINCHILLA_TOKENS_PER_PARAM))
        eff = sc.compute_efficiency(f, n20, sc.CHINCHILLA_TOKENS_PER_PARAM * n20)
        axes[1].semilogx(c, 100 * eff, color=color, lw=2, label=_short(f))
    for ax in axes:
        ax.axvline(sc.GOPHER_BUDGET_FLOP, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("training compute C (FLOP)")
    axes[0].set_ylabel("lowest predicted loss (nats/token)")
    axes[0].set_title("Loss at the compute optimum")
    axes[1].set_ylabel("compute efficiency of 20 tokens/param (%)")
    axes[1].set_title("How much the 20-tokens rule wastes, per fit")
    axes[1].set_ylim(None, 101)
    top = axes[0].get_ylim()[1]
    axes[0].set_ylim(lowest_floor - 0.1 * (top - lowest_floor), top)  # room under the lowest floor
    legend_below(fig, axes[0])
    return fig


@course_figure
def fit_recovery(
    truth: str | sc.ScalingFit,
    estimate: sc.ScalingFit,
    boot: np.ndarray,
    flop_range: tuple[float, float] = (1e18, 1e26),
    max_data_flop: float | None = None,
) -> Figure:
    """Recovering a known law from noisy synthetic runs.

    Left: the exponents :math:`(\\alpha, \\beta)` of each bootstrap refit, the full-data fit and
    the truth. Right: the compute-optimal size :math:`N^*(C)` of each bootstrap fit relative to the
    truth: the spread is what the data leave undetermined, and it widens outside the compute
    the runs cover (shaded, if ``max_data_flop`` is given).
    """
    t = sc.get_fit(truth)
    b = np.asarray(boot, dtype=float)
    fig, axes = new_figure(nrows=2, height=6.6)
    axes[0].plot(b[:, 3], b[:, 4], "o", color=COLORS[5], ms=4, alpha=0.7, label="bootstrap refits")
    axes[0].plot([estimate.alpha], [estimate.beta], "s", color=COLORS[1], ms=8, label="fit to all runs")
    axes[0].plot([t.alpha], [t.beta], "*", color="black", ms=13, label="truth")
    axes[0].set_xlabel(r"$\alpha$ (parameter exponent)")
    axes[0].set_ylabel(r"$\beta$ (data exponent)")
    axes[0].set_title("Exponents")
    axes[0].legend(loc="best")  # checked off the points by tests/test_plots_phone.py
    c = np.geomspace(*flop_range, 100)
    truth_n = sc.compute_optimal_params(t, c)
    for row in b:  # one curve per refit (a loop over fits, not over points)
        refit = sc.ScalingFit.from_tuple(row, id="boot", name="bootstrap", citation=estimate.citation)
        axes[1].semilogx(c, sc.compute_optimal_params(refit, c) / truth_n, color=COLORS[5], lw=0.7, alpha=0.6)
    axes[1].semilogx(
        c, sc.compute_optimal_params(estimate, c) / truth_n, color=COLORS[1], lw=2, label="fit to all runs"
    )
    axes[1].axhline(1.0, color="black", lw=1.5, ls="--", label="truth")
    if max_data_flop is not None:
        axes[1].axvspan(
            c[0], max_data_flop, color="grey", alpha=0.12, lw=0, label="compute covered by the runs"
        )
    axes[1].set_xlabel("training compute C (FLOP)")
    axes[1].set_ylabel(r"$N^*(C)$ of the fit / true $N^*(C)$")
    axes[1].set_title("Compute-optimal size, each refit vs truth")
    legend_below(fig, axes[1])
    return fig


@course_figure
def overtraining_bars(
    models: Sequence[sc.TrainedModel] = sc.TRAINED_MODELS, fit: str | sc.ScalingFit = "besiroglu2024"
) -> Figure:
    """Tokens per parameter of published models relative to 20/param and to ``fit``'s optimum.

    Models with an undisclosed token count are listed with a note instead of a bar.
    """
    f = sc.get_fit(fit)
    names = [m.name for m in models]
    y = np.arange(len(models))[::-1]
    fig, ax = new_figure(height=0.5 * len(models) + 1.5)
    for yi, m in zip(y, models, strict=False):
        if m.tokens is None:
            ax.text(1.0, yi, "  training tokens not disclosed", va="center", color="grey")
            continue
        r20 = float(sc.overtraining_ratio(m.params, m.tokens))
        rfit = float(sc.overtraining_ratio_vs_fit(f, m.params, m.tokens))
        ax.barh(yi + 0.18, r20, height=0.35, color=COLORS[0], label="D / (20 N)" if yi == y[0] else None)
        ax.barh(
            yi - 0.18,
            rfit,
            height=0.35,
            color=COLORS[1],
            label=f"vs optimum of {_short(f)}" if yi == y[0] else None,
        )
        ax.text(r20 * 1.05, yi + 0.18, f"{m.tokens / m.params:,.0f} tok/param", va="center")
    ax.set_yticks(y, names)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel("over-training ratio (1 = compute-optimal)")
    ax.set_title("How far published models sit from compute-optimal")
    legend_below(fig, ax)
    ax.grid(axis="y", visible=False)
    return fig


@course_figure
def loss_floor_curves(
    fit: str | sc.ScalingFit = "besiroglu2024",
    sizes: Sequence[float] = (7e9, 13e9, 35e9, 70e9),
    target: tuple[float, float] | None = (70e9, 1.4e12),
    tokens_range: tuple[float, float] = (1e11, 1e15),
) -> Figure:
    """Loss against training tokens for several sizes, each flattening to its floor
    :math:`E + A/N^\\alpha`; the target line is the loss of ``target = (N, D)``."""
    f = sc.get_fit(fit)
    d = np.geomspace(*tokens_range, 200)
    fig, ax = new_figure(height=4.6)
    for color, n in zip(COLORS, sizes, strict=False):
        ax.semilogx(d, sc.loss(f, n, d), color=color, lw=1.8, label=f"N = {n / 1e9:g}B")
        ax.axhline(float(sc.loss_floor(f, n)), color=color, lw=0.8, ls=":")
    if target is not None:
        lt = float(sc.loss(f, *target))
        ax.axhline(
            lt,
            color="black",
            lw=1.2,
            ls="--",
            label=f"loss of {target[0] / 1e9:g}B / {target[1] / 1e12:g}T = {lt:.3f}",
        )
    ax.axhline(f.E, color="grey", lw=0.8, label=f"E = {f.E:.3f}, the floor of an infinite model")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("predicted loss (nats/token)")
    ax.set_title(r"Over-training has a floor (dotted: $E + A/N^\alpha$)")
    legend_below(fig, ax)
    return fig


@course_figure
def break_even_lifetime_flop(
    params_large: float,
    tokens_large: float,
    params_small: float,
    tokens_small: float,
    inference_range: tuple[float, float] = (1e10, 1e15),
) -> Figure:
    """Lifetime compute :math:`6ND + 2NT` of two options against inference tokens, with the
    break-even volume :math:`T^*` marked (if there is one)."""
    t = np.geomspace(*inference_range, 300)
    fig, ax = new_figure(height=4.4)
    options = ((params_large, tokens_large), (params_small, tokens_small))
    for color, (n, d) in zip(COLORS, options, strict=False):
        ax.loglog(
            t,
            lifetime.lifetime_flop(n, d, t),
            color=color,
            lw=2,
            label=f"{n / 1e9:.3g}B on {d / 1e12:.3g}T tokens",
        )
    be = lifetime.compare_break_even(params_large, tokens_large, params_small, tokens_small)
    if be.case == "break-even" and inference_range[0] < be.inference_tokens < inference_range[1]:
        y = float(lifetime.lifetime_flop(params_small, tokens_small, be.inference_tokens))
        ax.plot([be.inference_tokens], [y], "ko", ms=7)
        ax.annotate(
            f"T* = {be.inference_tokens:.3g} tokens",
            (be.inference_tokens, y),
            xytext=(8, -14),
            textcoords="offset points",
        )
    ax.set_xlabel(r"lifetime inference tokens $T_\mathrm{inf}$")
    ax.set_ylabel("training + inference FLOP")
    ax.set_title("Break-even: the over-trained small model pays back")
    legend_below(fig, ax)
    return fig


@course_figure
def break_even_vs_size(
    params_large: float = 70e9,
    tokens_large: float = 1.4e12,
    fits: Sequence[str | sc.ScalingFit] = ("hoffmann2022", "besiroglu2024"),
    size_range: tuple[float, float] = (3e9, 6.9e10),
) -> Figure:
    """Break-even volume of a smaller model trained to the *same loss* as
    (``params_large``, ``tokens_large``), against its size, under each fit.

    Left of each curve's start the size can never match the loss (its floor is too high). The
    static companion of the break-even explorer.
    """
    fig, axes = new_figure(nrows=2, height=6.6, sharex=True)
    for color, f in zip(COLORS, _fits(fits), strict=False):
        target = float(sc.loss(f, params_large, tokens_large))
        n_min = float(sc.min_params_for_loss(f, target))
        n = np.geomspace(max(size_range[0], n_min * 1.02), size_range[1], 200)
        d = sc.tokens_to_reach_loss(f, n, target)
        t = lifetime.break_even_inference_tokens(params_large, tokens_large, n, d)
        # The notes go to the legend below (issue 16): in the panel they would sit on a curve.
        axes[0].loglog(n, d, color=color, lw=2, label=f"{_short(f)} (min size {n_min / 1e9:.3g}B, dotted)")
        axes[1].loglog(n, np.where(t > 0, t, np.nan), color=color, lw=2)
        if (t == 0).any():  # the smaller model is also cheaper to train: no break-even needed
            lo = float(n[t == 0].min())
            axes[1].axvspan(
                lo,
                size_range[1],
                color=color,
                alpha=0.12,
                lw=0,
                label=f"{_short(f)}: also cheaper to train,\nno break-even (T* = 0)",
            )
        for ax in axes:
            ax.axvline(n_min, color=color, lw=0.8, ls=":")
    axes[0].axhline(tokens_large, color="grey", lw=0.8, ls="--")
    axes[0].set_ylabel("tokens to match the loss")
    axes[1].set_ylabel(r"break-even inference tokens $T^*$")
    ticks = [
        t for t in (3e9, 5e9, 1e10, 2e10, 3e10, 5e10, 7e10) if size_range[0] <= t <= size_range[1] * 1.02
    ]
    for ax in axes:
        ax.set_xlabel("parameters of the smaller model")
        ax.set_xticks(ticks, [f"{t / 1e9:g}B" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_title(f"Matching {params_large / 1e9:g}B / {tokens_large / 1e12:g}T")
    axes[1].set_title("Inference volume at which it pays back")
    legend_below(fig, axes)
    return fig


@course_figure
def lifetime_optimal_vs_demand(
    fit: str | sc.ScalingFit = "besiroglu2024",
    baseline_params: float = 70e9,
    baseline_tokens: float | None = None,
    inference_range: tuple[float, float] = (1e7, 1e16),
    scenarios: Sequence[Scenario] = (),
) -> Figure:
    """Lifetime-optimal :math:`N^*` and :math:`D^*` against lifetime inference tokens, for the
    loss of a baseline model (trained compute-optimally under ``fit`` unless tokens are given),
    and the share of lifetime FLOPs saved relative to serving the baseline."""
    f = sc.get_fit(fit)
    d0 = (
        float(sc.compute_optimal_tokens_for_params(f, baseline_params))
        if baseline_tokens is None
        else float(baseline_tokens)
    )
    target = float(sc.loss(f, baseline_params, d0))
    t = np.geomspace(*inference_range, 200)
    n, d = lifetime.lifetime_optimal(f, target, t)
    saved = lifetime.lifetime_saving_fraction(f, baseline_params, t, baseline_tokens=d0)
    fig, axes = new_figure(nrows=2, height=6.6, sharex=True)
    axes[0].loglog(t, n, color=COLORS[0], lw=2, label=r"parameters $N^*$")
    axes[0].loglog(t, d, color=COLORS[1], lw=2, label=r"training tokens $D^*$")
    axes[0].axhline(baseline_params, color=COLORS[0], lw=0.8, ls=":")
    axes[0].axhline(d0, color=COLORS[1], lw=0.8, ls=":")
    axes[1].semilogx(t, 100 * saved, color=COLORS[2], lw=2)
    for _i, s in enumerate(scenarios):
        tok = s.lifetime_tokens
        if inference_range[0] <= tok <= inference_range[1]:
            for ax in axes:
                ax.axvline(tok, color="grey", lw=0.8, ls="--")
            # the name goes where the saving curve is not: at the top while the saving is
            # small, at the bottom once it is large (the curve rises to the right)
            high = float(np.interp(np.log10(tok), np.log10(t), 100 * saved)) > 50
            axes[1].text(
                tok,
                3 if high else 97,
                f" {s.name} " if high else f" {s.name}",
                rotation=90,
                color="grey",
                va="bottom" if high else "top",
                ha="right",
            )
    axes[0].set_xlabel(r"lifetime inference tokens $T_\mathrm{inf}$")
    axes[1].set_xlabel(r"lifetime inference tokens $T_\mathrm{inf}$")
    axes[0].set_ylabel("parameters / training tokens")
    axes[0].set_title(f"Same loss as {baseline_params / 1e9:g}B / {d0 / 1e12:.3g}T ({target:.3f})")
    axes[1].set_ylabel("lifetime FLOPs saved vs baseline (%)")
    axes[1].set_title("Saving from sizing for the lifetime")
    axes[1].set_ylim(0, 100)
    legend_below(fig, axes[0])
    return fig
