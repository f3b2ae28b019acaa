"""Figures for chapters 4, 5 and 9: the roofline of decoding, KV cache, capacity, prefill, quantization.

Every function calls the numeric functions of :mod:`inferecon.serving.roofline`,
:mod:`inferecon.serving.memory`, :mod:`inferecon.serving.prefill` and :mod:`inferecon.serving.costs`
(never re-implements a formula) and returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.serving import costs, memory, prefill, roofline
from inferecon.specs.deployment import deployment
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = [
    "batch_limits_vs_context",
    "cost_vs_batch",
    "explorer_static",
    "kv_cache_growth",
    "prefill_vs_prompt",
    "quantization_effects",
    "step_time_vs_batch",
]


def _attention_kind(m: ModelSpec) -> str:
    if m.attention == "mla":
        return "MLA"
    if m.n_kv_heads == 1:
        return "MQA"
    if m.n_kv_heads < m.n_heads:
        return f"GQA, g={m.gqa_group}"
    return "MHA"


@course_figure
def step_time_vs_batch(
    accelerators: Sequence[str | Accelerator],
    model: str | ModelSpec,
    context_tokens: float = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    max_batch: float = 4096,
) -> Figure:
    """Decode step time against batch: the memory term (flat), the arithmetic term (linear)
    and their maximum, one colour per accelerator, with :math:`b^*` marked.

    Capacity is ignored here on purpose (the curves show the bound, not what fits).
    """
    m = get_model(model)
    b = np.unique(np.round(np.logspace(0, np.log10(max_batch), 300)))
    fig, ax = new_figure(height=4.8)
    for color, a in zip(COLORS, accelerators, strict=False):
        acc = get_accelerator(a)
        mem = roofline.decode_memory_seconds(
            acc, m, b, context_tokens, kv_format=kv_format, weight_format=weight_format
        )
        comp = roofline.decode_compute_seconds(acc, m, b, context_tokens, weight_format=weight_format)
        bs = float(
            roofline.optimal_batch(acc, m, context_tokens, weight_format=weight_format, kv_format=kv_format)
        )
        ax.loglog(
            b,
            np.maximum(mem, comp) * 1e3,
            color=color,
            lw=2.2,
            label=f"{acc.name} (b* = {bs:,.0f})" if np.isfinite(bs) else f"{acc.name} (b* = inf)",
        )
        ax.loglog(b, mem * 1e3, color=color, lw=0.9, ls="--")
        ax.loglog(b, comp * 1e3, color=color, lw=0.9, ls=":")
        if np.isfinite(bs) and bs <= max_batch:
            t = float(
                roofline.decode_step_seconds(
                    acc, m, bs, context_tokens, kv_format=kv_format, weight_format=weight_format
                )
            )
            ax.plot([bs], [t * 1e3], "o", color=color, ms=7, zorder=5)
    ax.set_xlabel("batch b (sequences decoded together)")
    ax.set_ylabel("time per decode step (ms)")
    ctx = f", context {context_tokens:,.0f}" if context_tokens else ", short context"
    ax.set_title(
        f"{m.name}, {get_format(weight_format).id} weights{ctx}\n"
        "solid: step time; dashed: memory term; dotted: arithmetic term",
    )
    legend_below(fig, ax)
    return fig


@course_figure
def cost_vs_batch(
    accelerators: Sequence[str | Accelerator],
    model: str | ModelSpec,
    context_tokens: float = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    max_batch: float = 4096,
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> Figure:
    """$ per million output tokens against batch at each accelerator's catalogue price.

    Falls as :math:`1/b` below :math:`b^*` and is flat above it (left); tokens/s that one
    sequence sees stays flat until :math:`b^*` and then falls (right).
    """
    m = get_model(model)
    b = np.unique(np.round(np.logspace(0, np.log10(max_batch), 300)))
    fig, (ax, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    for color, a in zip(COLORS, accelerators, strict=False):
        acc = get_accelerator(a)
        e = costs.decode_economics(
            acc,
            m,
            b,
            context_tokens,
            weight_format=weight_format,
            kv_format=kv_format,
            flop_utilization=flop_utilization,
            bandwidth_utilization=bandwidth_utilization,
        )
        label = f"{acc.name} (\\${acc.price_usd_per_hour:.2f}/h)"
        ax.loglog(b, e.usd_per_million_tokens, color=color, label=label)
        ax2.semilogx(b, e.tokens_per_second_per_sequence, color=color, label=acc.name)
        bs = float(
            roofline.optimal_batch(
                acc,
                m,
                context_tokens,
                weight_format=weight_format,
                kv_format=kv_format,
                flop_utilization=flop_utilization,
                bandwidth_utilization=bandwidth_utilization,
            )
        )
        if np.isfinite(bs) and bs <= max_batch:
            eb = costs.decode_economics(
                acc,
                m,
                bs,
                context_tokens,
                weight_format=weight_format,
                kv_format=kv_format,
                flop_utilization=flop_utilization,
                bandwidth_utilization=bandwidth_utilization,
            )
            ax.plot([bs], [float(eb.usd_per_million_tokens)], "o", color=color, ms=6)
            ax2.plot([bs], [float(eb.tokens_per_second_per_sequence)], "o", color=color, ms=6)
    ax.set_xlabel("batch b")
    ax.set_ylabel(r"\$ per million output tokens")
    ctx = "short context" if context_tokens == 0 else f"context {context_tokens:,.0f} tokens"
    # What is drawn heads the upper panel's title rather than a suptitle: a suptitle centres on
    # the figure, off the panels' centre (the y labels take the left), and crowds the title.
    ax.set_title(f"{m.name}, {get_format(weight_format).id}, {ctx}\ncost per token falls as 1/b to b* (dots)")
    legend_below(fig, ax)
    ax2.set_xlabel("batch b")
    ax2.set_ylabel("tokens/s seen by one sequence")
    ax2.set_title("speed per user: flat until b*, then falls")
    ax2.set_ylim(bottom=0)
    return fig


@course_figure
def kv_cache_growth(
    models: Sequence[str | ModelSpec],
    accelerator: str | Accelerator,
    batch: float,
    contexts: Sequence[float] | None = None,
    *,
    breakdown_model: str | ModelSpec = "llama-3-70b",
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    hbm_fraction: float = memory.USABLE_HBM_FRACTION,
) -> Figure:
    """Left: KV cache of one sequence against context for several attention designs.
    Right: the decode step of ``breakdown_model`` at ``batch`` split into weight reads, KV
    reads and arithmetic, against context: the bottleneck moves from weights to KV.

    The contexts at which ``batch`` sequences no longer fit next to the weights in one device's
    HBM (:func:`inferecon.serving.memory.max_batch` with ``hbm_fraction``) are shaded grey (the
    patch has ``gid="infeasible"``): the curves there are a bound for a device that could hold
    the batch, not an operating point.
    """
    ctx = np.logspace(2, np.log10(131072), 200) if contexts is None else np.asarray(contexts, float)
    fig, (ax, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    kf = get_format(kv_format)
    for color, mm in zip(COLORS, models, strict=False):
        m = get_model(mm)
        ax.loglog(
            ctx,
            memory.kv_cache_bytes(m, ctx, 1, kf) / 1e9,
            color=color,
            label=f"{m.name} ({_attention_kind(m)})",
        )
    ax.set_xlabel("context ℓ (tokens)")
    ax.set_ylabel(f"KV cache per sequence (GB, {kf.id})")
    ax.set_title("KV cache of one sequence")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02))  # between the panels

    d = deployment(
        accelerator, breakdown_model, weight_format=weight_format, kv_format=kf, hbm_fraction=hbm_fraction
    )
    acc, m, wf = d.accelerator, d.model, d.weight_format
    st = roofline.decode_step(d, batch, ctx)
    # memory term at zero context = weight reads alone; the rest of the memory term is KV reads
    w_t = np.broadcast_to(roofline.decode_step(d, batch, 0.0).memory_seconds, ctx.shape)
    kv_t = st.memory_seconds - w_t
    comp = st.compute_seconds
    fits = st.fits
    # the step time exists only where the batch fits; the roofs go on as bounds
    step = np.where(fits, np.maximum(st.memory_seconds, comp), np.nan)
    ax2.loglog(ctx, step * 1e3, color="black", lw=2.4, label="step time (max of memory, arithmetic)")
    ax2.loglog(ctx, w_t * 1e3, color=COLORS[0], lw=1.5, ls="--", label="weight reads")
    ax2.loglog(ctx, kv_t * 1e3, color=COLORS[1], lw=1.5, ls="--", label="KV reads")
    ax2.loglog(ctx, comp * 1e3, color=COLORS[2], lw=1.5, ls=":", label="arithmetic")
    if not np.all(fits):
        first = float(ctx[np.argmin(fits)]) if fits[0] else float(ctx[0])
        ax2.axvspan(
            first,
            float(ctx[-1]),
            color="0.88",
            zorder=0,
            gid="infeasible",
            label=f"batch {batch:.0f} does not fit in HBM",
        )
    parity = float(memory.kv_weight_parity_batch(m, 1.0, weight_format=wf, kv_format=kf)) / batch
    if ctx[0] <= parity <= ctx[-1]:
        ax2.axvline(parity, color="grey", lw=0.8, ls=":")
        ax2.annotate(
            f"KV = weights\nat {parity:,.0f} tokens",
            (parity, float(np.min(kv_t)) * 1e3),
            xytext=(4, 0),
            textcoords="offset points",
            color="grey",
        )
    ax2.set_xlabel("context ℓ (tokens)")
    ax2.set_ylabel("time per decode step (ms)")
    ax2.set_title(f"{m.name} ({wf.id} weights) on {acc.name}, batch {batch:.0f}")
    legend_below(fig, ax2)
    return fig


@course_figure
def batch_limits_vs_context(
    accelerators: Sequence[str | Accelerator],
    model: str | ModelSpec,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    contexts: Sequence[float] | None = None,
) -> Figure:
    """:math:`b^*` (dashed, rises to infinity at the KV-bound context) and the capacity
    :math:`b_\\mathrm{max}` (solid) against context, per accelerator. Where the solid line is
    below the dashed one, memory capacity, not arithmetic, caps the batch.
    """
    m = get_model(model)
    ctx = np.logspace(2, np.log10(131072), 300) if contexts is None else np.asarray(contexts, float)
    fig, ax = new_figure(height=4.7)
    for color, a in zip(COLORS, accelerators, strict=False):
        acc = get_accelerator(a)
        cap = memory.max_batch(acc, m, ctx, weight_format=weight_format, kv_format=kv_format)
        bs = roofline.optimal_batch(acc, m, ctx, weight_format=weight_format, kv_format=kv_format)
        ax.loglog(ctx, np.where(cap >= 1, cap, np.nan), color=color, lw=2, label=f"{acc.name}: capacity")
        ax.loglog(
            ctx, np.where(np.isfinite(bs), bs, np.nan), color=color, lw=1.2, ls="--", label=f"{acc.name}: b*"
        )
        lk = float(memory.kv_bound_context(acc, m, weight_format=weight_format, kv_format=kv_format))
        if np.isfinite(lk) and ctx[0] <= lk <= ctx[-1]:
            ax.axvline(lk, color=color, lw=0.8, ls=":")
    ax.set_xlabel("context ℓ (tokens per sequence)")
    ax.set_ylabel("batch (sequences)")
    ax.set_title(
        f"{m.name}, {get_format(weight_format).id} weights, {get_format(kv_format).id} KV: "
        "what caps the batch?\ndotted: context beyond which b* is infinite",
    )
    legend_below(fig, ax)
    return fig


@course_figure
def prefill_vs_prompt(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompts: Sequence[float] | None = None,
    *,
    weight_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> Figure:
    """Left: time to first token against prompt length (memory-bound floor, then linear and
    finally quadratic in the prompt). Right: prefill MFU against prompt length, with the
    batch-1 decode MFU for comparison.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    p = np.logspace(0, np.log10(131072), 300) if prompts is None else np.asarray(prompts, float)
    wf, uc, ub = weight_format, flop_utilization, bandwidth_utilization
    t = prefill.prefill_seconds(acc, m, p, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub)
    mfu = prefill.prefill_mfu(acc, m, p, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub)
    dec = roofline.decode_mfu(acc, m, 1, p, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub)
    dec64 = roofline.decode_mfu(
        acc, m, 64, p, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub
    )
    fig, (ax, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    ax.loglog(p, t * 1e3, color=COLORS[0])
    ax.set_xlabel("prompt tokens P")
    ax.set_ylabel("time to first token (ms)")
    ax.set_title(f"{m.name} on {acc.name}: prefill time")
    ax2.semilogx(p, mfu, color=COLORS[0], label="prefill of a P-token prompt")
    ax2.semilogx(p, dec64, color=COLORS[2], label="decode at batch 64, context P")
    ax2.semilogx(p, dec, color=COLORS[1], label="decode at batch 1, context P")
    ax2.set_xlabel("prompt (or context) tokens P")
    ax2.set_ylabel("model FLOP utilization")
    ax2.set_ylim(0, 1.05)
    ax2.set_title("utilization: prefill saturates, decode does not")
    legend_below(fig, ax2)
    return fig


@course_figure
def quantization_effects(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    formats: Sequence[str],
    context_tokens: float,
    *,
    kv_format: str | NumberFormat = "bf16",
) -> Figure:
    """Three panels per weight format: batch-1 tokens/s, short-context :math:`b^*`, and the
    largest batch that fits at ``context_tokens`` (0 bar with a note where weights don't fit).
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    speed, bstar, cap = [], [], []
    for f in formats:
        speed.append(
            float(
                costs.decode_economics(acc, m, 1, 0, weight_format=f, kv_format=kv_format).tokens_per_second
            )
        )
        bstar.append(float(roofline.optimal_batch(acc, m, 0, weight_format=f, kv_format=kv_format)))
        try:
            cap.append(float(memory.max_batch(acc, m, context_tokens, weight_format=f, kv_format=kv_format)))
        except ValueError:
            cap.append(0.0)
    fig, axes = new_figure(nrows=3, height=7.2, sharex=True)
    x = np.arange(len(formats))
    no_fit = [c == 0 for c in cap]
    for ax, vals, title in zip(
        axes,
        (speed, bstar, cap),
        (
            "batch-1 tokens/s (memory-bound)",
            "b* (short context)",
            f"max batch at {context_tokens:,.0f} tokens",
        ),
        strict=False,
    ):
        bars = ax.bar(x, vals, color=[COLORS[i % len(COLORS)] for i in range(len(formats))])
        ax.set_xticks(x)
        ax.set_xticklabels(formats, rotation=20)
        ax.set_title(title)
        for xi, v, bar, nf in zip(x, vals, bars, no_fit, strict=False):
            if nf and v > 0:  # a bound the chip cannot reach: the weights do not fit
                bar.set_alpha(0.35)
                bar.set_hatch("//")
            text = "does not fit" if v == 0 else f"{v:,.0f}"
            ax.annotate(text, (xi, v), xytext=(0, 2), textcoords="offset points", ha="center")
        ax.margins(y=0.15)
    fig.suptitle(
        f"{m.name} on one {acc.name}, KV cache in {get_format(kv_format).id}"
        + (" (hatched: the weights do not fit)" if any(no_fit) else ""),
        y=1.03,
    )
    return fig


@course_figure
def explorer_static(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    contexts: Sequence[float],
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    mark: tuple[float, float] | None = None,
    max_batch: float = 4096,
) -> Figure:
    """Static companion of the roofline explorer: step time and $/M against batch for several
    contexts, with the explorer's default (batch, context) starred. Batches beyond the
    memory capacity are drawn thin.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    b = np.unique(np.round(np.logspace(0, np.log10(max_batch), 300)))
    fig, (ax, ax2) = new_figure(nrows=2, height=6.6, sharex=True)
    for color, c in zip(COLORS, contexts, strict=False):
        e = costs.decode_economics(acc, m, b, c, weight_format=weight_format, kv_format=kv_format)
        cap = memory.max_batch(acc, m, c, weight_format=weight_format, kv_format=kv_format)
        fits = b <= cap
        for a_, y in ((ax, e.step_seconds * 1e3), (ax2, e.usd_per_million_tokens)):
            a_.loglog(b[fits], y[fits], color=color, lw=2, label=f"context {c:,.0f}")
            if not fits.all():  # a batch that does not fit has no step time: the curve ends, marked
                a_.plot(b[fits][-1:], y[fits][-1:], "|", color=color, ms=14, mew=2)
    if mark is not None:
        e = costs.decode_economics(acc, m, mark[0], mark[1], weight_format=weight_format, kv_format=kv_format)
        ax.plot([mark[0]], [float(e.step_seconds) * 1e3], "k*", ms=12, label="explorer default")
        ax2.plot([mark[0]], [float(e.usd_per_million_tokens)], "k*", ms=12)
    ax.set_xlabel("batch b")
    ax.set_ylabel("time per decode step (ms)")
    for a_ in (ax, ax2):  # plain numbers at 1-2-5 steps: a few decades of ms read better than 6x10^1
        a_.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        a_.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        a_.yaxis.set_minor_formatter(NullFormatter())
    ax2.set_xlabel("batch b")
    ax2.set_ylabel(f"\\$ per million output tokens (\\${acc.price_usd_per_hour:.2f}/h)")
    legend_below(fig, ax)
    fig.suptitle(
        f"{m.name} on {acc.name}, {get_format(weight_format).id} weights, "
        f"{get_format(kv_format).id} KV (each curve ends at the largest batch that fits)",
    )
    return fig
