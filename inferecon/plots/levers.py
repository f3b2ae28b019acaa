"""Figures for chapter 9: speculative decoding, quantization decisions, distillation.

Every function calls the numeric functions of :mod:`inferecon.levers.speculative`,
:mod:`inferecon.levers.quantization` and :mod:`inferecon.training.distillation` and returns a Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from inferecon.levers import quantization, speculative
from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.serving import memory
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.training import distillation
from inferecon.units import format_count

__all__ = [
    "distillation_lifetime",
    "expected_tokens",
    "int8_cost_ratio",
    "speculative_explorer_static",
    "speculative_frontier",
    "speedup_vs_draft_length",
]


@course_figure
def expected_tokens(
    alphas: np.ndarray | None = None,
    gammas: Sequence[int] = (1, 2, 4, 8),
    n_steps: int = 20_000,
    seed: int = 0,
    paper_gamma: int = 4,
) -> Figure:
    """Expected tokens per step against acceptance: formula (lines), Monte Carlo (dots) and
    the convention without a bonus token printed in Erdil's paper (dashed) for ``paper_gamma``."""
    a = np.linspace(0.0, 0.95, 96) if alphas is None else np.asarray(alphas, dtype=float)
    fig: Figure
    fig, ax = new_figure(height=4.4)
    a_mc = np.linspace(0.1, 0.9, 9)
    for color, g in zip(COLORS, gammas, strict=False):
        ax.plot(a, speculative.expected_tokens_per_step(a, g), color=color, label=f"γ = {g}")
        mc = [
            speculative.simulate_tokens_per_step(x, g, n_steps, seed + k).mean() for k, x in enumerate(a_mc)
        ]
        ax.plot(a_mc, mc, "o", color=color, ms=4)
    g = paper_gamma
    color = COLORS[list(gammas).index(g)] if g in gammas else "black"
    ax.plot(
        a,
        speculative.erdil_paper_tokens_per_step(a, g),
        ls="--",
        color=color,
        lw=1.2,
        label=f"no bonus token (Erdil's paper), γ = {g}",
    )
    ax.set_xlabel("acceptance rate α")
    ax.set_ylabel("expected tokens per verification step")
    ax.set_title(r"$(1 - \alpha^{\gamma+1})/(1 - \alpha)$: lines; Monte Carlo: dots")
    legend_below(fig, ax)
    return fig


@course_figure
def speedup_vs_draft_length(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    batch: float,
    context_tokens: float = 0.0,
    alphas: Sequence[float] = (0.6, 0.7, 0.8, 0.9),
    max_draft_tokens: int = 12,
    layer_latency_seconds: float = 0.0,
    **roofline_kw: Any,
) -> Figure:
    """Roofline speedup against draft length :math:`\\gamma`, one line per acceptance rate,
    with each optimum marked."""
    g = np.arange(max_draft_tokens + 1)
    fig: Figure
    fig, ax = new_figure(height=4.4)
    for color, a in zip(COLORS, alphas, strict=False):
        s = speculative.speedup(
            accelerator, target, draft, batch, a, g, context_tokens, layer_latency_seconds, **roofline_kw
        )
        ax.plot(g, s, "-o", color=color, ms=3, label=f"α = {a:g}")
        k = int(np.argmax(s))
        ax.plot([g[k]], [s[k]], "*", color=color, ms=13, mec="black", mew=0.6)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xlabel("draft tokens per step γ")
    ax.set_ylabel("speedup over plain decoding")
    tm, dm = get_model(target), get_model(draft)
    ax.set_title(f"{tm.name} verified, {dm.name} drafting, batch {batch:g} (★ = best γ)")
    legend_below(fig, ax)
    return fig


@course_figure
def speculative_frontier(fronts: Sequence[speculative.SpeculativeFrontier], labels: Sequence[str]) -> Figure:
    """Cost against speed per request with (solid) and without (dashed) speculation, one
    colour per setting; ``fronts`` come from :func:`inferecon.levers.speculative.frontier`."""
    fig: Figure
    fig, ax = new_figure(height=4.6)
    for color, f, lab in zip(COLORS, fronts, labels, strict=False):
        ax.loglog(f.plain_speed, f.plain_cost, "--", color=color, lw=1.3)
        ax.loglog(f.spec_speed, f.spec_cost, "-", color=color, lw=1.8, label=lab)
    ax.set_xlabel("tokens per second per request")
    ax.set_ylabel("$ per million output tokens")
    ax.set_title("Pareto fronts: plain decoding (dashed) vs speculative (solid)")
    legend_below(fig, ax)
    return fig


@course_figure
def int8_cost_ratio(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batches: Sequence[float] = (1, 16, 64, 256, 1024),
    max_context: float = 131_072,
) -> Figure:
    """Cost per token with INT8 weights over BF16, against context, one line per batch
    (solid: weight-only W8A16; dotted: W8A8). 0.5 is "INT8 is 2× cheaper"."""
    ctx = np.logspace(0, np.log10(max_context), 200)
    fig: Figure
    fig, ax = new_figure(height=4.6)
    for color, b in zip(COLORS, batches, strict=False):
        # the ratio does not depend on the device count; use enough ideally sharded devices to hold b x ctx
        n = int(np.max(memory.min_devices(accelerator, model, b, ctx)))
        ax.semilogx(
            ctx,
            quantization.cost_ratio(accelerator, model, b, ctx, "w8a16", n_devices=n),
            color=color,
            label=f"batch {b:g}",
        )
        ax.semilogx(
            ctx, quantization.cost_ratio(accelerator, model, b, ctx, "w8a8", n_devices=n), ":", color=color
        )
    ax.axhline(0.5, color="black", lw=0.8, ls="--")
    ax.annotate("“INT8 is 2× cheaper”", (ctx[0], 0.5), xytext=(2, -12), textcoords="offset points")
    ax.set_ylim(0.4, 1.05)
    ax.set_xlabel("context tokens per sequence")
    ax.set_ylabel("cost per token, INT8 / BF16")
    ax.set_title(f"{get_model(model).name}: W8A16 (solid), W8A8 (dotted), same batch")
    legend_below(fig, ax)
    return fig


@course_figure
def distillation_lifetime(
    fixed_usd: float,
    usd_per_million_large: float,
    usd_per_million_small: float,
    max_tokens: float = 1e14,
    labels: tuple[str, str] = ("serve the large model", "distil, serve the small"),
) -> Figure:
    """Lifetime cost against lifetime tokens: the large model from token zero, the student
    after its one-off cost; the break-even volume marked."""
    t = np.logspace(9, np.log10(max_tokens), 200)
    fig: Figure
    fig, ax = new_figure(height=4.4)
    big = distillation.lifetime_cost_usd(0.0, usd_per_million_large, t)
    small = distillation.lifetime_cost_usd(fixed_usd, usd_per_million_small, t)
    ax.loglog(t, big, color=COLORS[1], label=labels[0])
    ax.loglog(t, small, color=COLORS[0], label=labels[1])
    tx = float(distillation.breakeven_tokens(fixed_usd, usd_per_million_large, usd_per_million_small))
    if t[0] <= tx <= t[-1]:
        y = float(distillation.lifetime_cost_usd(0.0, usd_per_million_large, tx))
        ax.plot([tx], [y], "o", color="black")
        ax.annotate(
            f"break-even {format_count(float(f'{tx:.2g}'))} tokens",
            (tx, y),
            xytext=(8, -14),
            textcoords="offset points",
        )
    ax.set_xlabel("lifetime tokens served")
    ax.set_ylabel("cumulative cost ($)")
    ax.set_title("Distillation pays once the savings per token cover its one-off cost")
    legend_below(fig, ax)
    return fig


@course_figure
def speculative_explorer_static(
    accelerator: str | Accelerator,
    target: str | ModelSpec,
    draft: str | ModelSpec,
    context_tokens: float = 1000.0,
    batches: Sequence[float] = (1, 8, 32, 128, 512),
    alphas: np.ndarray | None = None,
    max_draft_tokens: int = 12,
    layer_latency_seconds: float = 0.0,
    **roofline_kw: Any,
) -> Figure:
    """The explorer's output as small multiples: best speedup (left) and best γ (right)
    against acceptance rate, one line per batch."""
    a = np.linspace(0.3, 0.95, 27) if alphas is None else np.asarray(alphas, dtype=float)
    fig: Figure
    fig, (ax1, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    # Small batches give the same curves (the weight reads dominate), so each batch gets its
    # own line style and width, widest below: batch 1 shows as a wide pale band under batch 8's
    # dashes and batch 32's dots, and the legend says which lines coincide.
    styles = [
        dict(lw=5.0, alpha=0.45, ls="-", zorder=2),
        dict(lw=2.6, ls=(0, (4, 2)), zorder=3),
        dict(lw=1.6, ls=(0, (1, 1.5)), zorder=4),
    ]
    first: tuple[float, np.ndarray, np.ndarray] | None = None
    for i, (color, b) in enumerate(zip(COLORS, batches, strict=False)):
        g, s = speculative.optimal_draft_tokens(
            accelerator,
            target,
            draft,
            b,
            a,
            context_tokens,
            max_draft_tokens,
            layer_latency_seconds,
            **roofline_kw,
        )
        g, s = np.asarray(g, dtype=float), np.asarray(s, dtype=float)
        label = f"batch {b:g}"
        if first is None:
            first = (b, g, s)
        elif np.allclose(s, first[2], rtol=0.02, atol=0.0):
            label += f" (on batch {first[0]:g}'s line)"
        style: dict[str, Any] = styles[i] if i < len(styles) else dict(lw=1.6, ls="-", zorder=5)
        ax1.plot(a, s, color=color, label=label, **style)
        ax2.step(a, g, where="mid", color=color, **style)
    ax1.axhline(1.0, color="black", lw=0.8)
    ax1.set_xlabel("acceptance rate α")
    ax1.set_ylabel("best speedup")
    legend_below(fig, ax1)
    ax2.set_xlabel("acceptance rate α")
    ax2.set_ylabel("best draft length γ*")
    fig.suptitle(
        f"{get_model(target).name} + {get_model(draft).name} draft, {context_tokens:,.0f}-token context"
    )
    return fig
