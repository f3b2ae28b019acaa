"""Figures for chapter 7: the four limits, the minimum latency, the Pareto frontier.

Every function calls :mod:`inferecon.serving.parallelism` and :mod:`inferecon.serving.frontier` (never
re-implements a formula) and returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from inferecon.plots import COLORS, ROW_GAP_IN, _off_rising_line, course_figure, legend_below, new_figure
from inferecon.serving import closed_forms, frontier, parallelism
from inferecon.serving.constants import get_constants
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec, get_model


def _format_label(fmt: str) -> str:
    """A weight format's id as a reader writes it: ``"int4-g128"`` -> ``"INT4, group 128"``."""
    base, _, group = fmt.partition("-g")
    return base.upper() + (f", group {group}" if group.isdigit() else "")


__all__ = [
    "fixed_node_curve",
    "frontier_figure",
    "frontier_small_multiples",
    "latency_breakdown",
    "min_latency_curve",
    "sqrt_law_figure",
]


def _draw_frontier(
    ax: Axes,
    sw: frontier.Sweep,
    label: str,
    color: str,
    *,
    cloud: bool = False,
    preferred: bool = True,
    ls: str = "-",
) -> frontier.Frontier:
    fr = sw.frontier()
    if cloud:
        ok = sw.feasible
        ax.scatter(
            sw.tokens_per_s_per_request[ok],
            sw.usd_per_million_tokens[ok],
            s=1,
            color=color,
            alpha=0.05,
            rasterized=True,
            lw=0,
        )
    ax.plot(
        fr.tokens_per_s_per_request,
        fr.usd_per_million_tokens,
        color=color,
        lw=2.0,
        ls=ls,
        label=label,
        drawstyle="steps-pre",
    )
    if preferred:
        k = frontier.preferred_point(fr)
        ax.plot(
            [fr.tokens_per_s_per_request[k]],
            [fr.usd_per_million_tokens[k]],
            "o",
            color=color,
            ms=7,
            mec="black",
            mew=0.6,
            zorder=5,
        )
    return fr


@course_figure
def frontier_figure(
    sweeps: Sequence[frontier.Sweep],
    labels: Sequence[str] | None = None,
    *,
    cloud: bool = False,
    observed: Sequence[tuple[float, float, str]] = (),
    title: str | None = None,
    ymax: float | None = None,
) -> Figure:
    """Cost per million tokens against serial speed: one frontier per sweep.

    Dots mark the point a customer with preference :math:`v^\\alpha/\\text{price}` picks
    (:math:`\\alpha` of the sweep's constant set). ``observed`` adds (tokens/s, $/M, label)
    markers, e.g. published provider points. ``cloud`` scatters every feasible configuration.
    """
    labels = labels or [f"{s.meta['model_name']} on {s.meta['accelerator_name']}" for s in sweeps]
    fig: Figure
    fig, ax = new_figure(height=5)
    for color, sw, lab in zip(COLORS, sweeps, labels, strict=False):
        _draw_frontier(ax, sw, lab, color, cloud=cloud)
    # observed points are named in the legend, not annotated on the data, so no label covers a curve
    for (v, c, lab), marker in zip(observed, ("*", "D", "s", "^", "v", "P"), strict=False):
        ax.plot([v], [c], marker, color="black", ms=11 if marker == "*" else 7, ls="none", label=lab)
    ax.set_yscale("log")
    ax.set_xlabel("serial speed (tokens/s per request)")
    ax.set_ylabel("USD per million output tokens")
    ax.set_xlim(left=0)
    if ymax is not None:
        ax.set_ylim(top=ymax)
    alphas = sorted({s.meta["preference_alpha"] for s in sweeps})
    ax.set_title(
        title
        or "Pareto frontiers (dots: the choice of a customer maximizing "
        + rf"$(\mathrm{{tok/s}})^{{{alphas[0]:g}}}/\mathrm{{price}}$)",
    )
    # the legend sits below the axes: the frontiers fill the plot's corners
    legend_below(fig, ax)
    return fig


@course_figure
def latency_breakdown(
    accelerator: str | Accelerator = "h100-sxm",
    model: str | ModelSpec = "llama-3-70b",
    device_counts: Sequence[int] = (4, 8, 16, 32, 64, 128),
    batch: int = 1,
    **kwargs: Any,
) -> Figure:
    """The four limits, term by term, for the fastest split at each device count.

    Stacked bars: kernel launches and collective latency (the latency limit), collective
    bandwidth (network), and the larger of weight/KV reads (memory) and arithmetic.
    Keyword arguments go to :func:`inferecon.serving.frontier.sweep`.
    """
    m = get_model(model)
    rows: list[tuple[float, float, float, float] | None] = []
    for n in device_counts:
        best = frontier.best_split(accelerator, m, int(n), [batch], **kwargs)
        if not best.feasible[0]:
            rows.append(None)
            continue
        split = best.row(0)
        terms = parallelism.decode_step_breakdown(
            accelerator,
            m,
            batch,
            kwargs.get("context_tokens", 0.0),
            tp=split["tp"],
            tp_heads=split["tp_heads"],
            pp=split["pp"],
            ep=split["ep"],
            weight_format=kwargs.get("weight_format", "bf16"),
            constants=kwargs.get("constants", "erdil-paper"),
        )
        rows.append(
            (
                float(terms.kernel_seconds),
                float(terms.collective_seconds + terms.pipeline_seconds),
                float(terms.memory_seconds),
                float(terms.compute_seconds),
            )
        )
    fig: Figure
    fig, ax = new_figure(height=4.6)
    x = np.arange(len(device_counts))
    bottom = np.zeros(len(device_counts))
    names = ("kernel launches", "collectives (latency + bandwidth)", "HBM reads", "arithmetic")
    for j, (name, color) in enumerate(zip(names, COLORS, strict=False)):
        if j == 3:  # max(memory, compute): show the arithmetic excess only
            h = np.array([max(r[3] - r[2], 0.0) if r else 0.0 for r in rows])
        else:
            h = np.array([r[j] if r else 0.0 for r in rows])
        ax.bar(x, h * 1e3, bottom=bottom * 1e3, color=color, label=name, width=0.7)
        bottom += h
    for i, r in enumerate(rows):
        if r is None:
            ax.text(x[i], 0, "does not fit", rotation=90, ha="center", va="bottom")
    ax.set_xticks(x, [str(n) for n in device_counts])
    ax.set_xlabel("GPUs (fastest valid split at each count)")
    ax.set_ylabel("time per token (ms)")
    ax.set_title(f"{m.name}, batch {batch}: where a token's time goes")
    legend_below(fig, ax)
    return fig


@course_figure
def fixed_node_curve(
    accelerator: str | Accelerator = "h100-sxm",
    model: str | ModelSpec = "llama-3-70b",
    n_devices: int = 8,
    batches: Sequence[int] | None = None,
    mark: tuple[float, float] | None = (70.0, 0.15),
    **kwargs: Any,
) -> Figure:
    """Serial speed against utilization on a fixed number of devices as the batch grows.

    Each point is the fastest split of ``n_devices`` at one batch size; ``mark`` is a
    reported (tokens/s, utilization) pair, e.g. Erdil's opening example.
    """
    b = np.unique(np.round(np.geomspace(1, 1024, 60))).astype(int) if batches is None else np.asarray(batches)
    best = frontier.best_split(accelerator, model, n_devices, b, **kwargs)
    ok = best.feasible
    fig: Figure
    fig, ax = new_figure(height=4.6)
    sc = ax.scatter(
        100 * best.utilization[ok],
        best.tokens_per_s_per_request[ok],
        c=np.log2(best.batch[ok]),
        cmap="viridis",
        s=18,
        zorder=3,
    )
    cb = fig.colorbar(sc, ax=ax)
    ticks = [t for t in (1, 4, 16, 64, 256, 1024) if t <= b.max()]
    cb.set_ticks(np.log2(ticks).tolist(), labels=[str(t) for t in ticks])
    cb.set_label("batch b")
    if mark is not None:
        ax.plot([100 * mark[1]], [mark[0]], "r*", ms=13, zorder=4, label="Erdil's opening example")
        legend_below(fig, ax)
    m = get_model(model)
    ax.set_xlabel("model FLOP utilization (%)")
    ax.set_ylabel("serial speed (tokens/s per request)")
    constant_set = get_constants(kwargs.get("constants", "erdil-paper")).name
    ax.set_title(f"{m.name} on {n_devices} devices ({constant_set})")
    return fig


@course_figure
def min_latency_curve(
    accelerator: str | Accelerator = "h100-sxm",
    model: str | ModelSpec = "llama-3-70b",
    max_devices: int = 256,
    constants: str = "erdil-paper",
    hop_seconds: float = 1e-6,
) -> Figure:
    """Erdil's §2.2 latency :math:`T(N_\\mathrm{GPU})` (eq. 9) with its closed-form minimum,
    beside the full model's fastest split at batch 1 for each integer device count."""
    m = get_model(model)
    cs = get_constants(constants)
    acc = cs.accelerator(accelerator)
    bw = cs.bandwidth_utilization * acc.hbm_bytes_per_s
    kw = dict(
        params=m.matmul_params,
        bytes_per_param=2.0,
        n_layers=m.n_layers,
        n_reduce=m.n_allreduce_per_layer,
        hbm_bytes_per_s=bw,
        hop_seconds=hop_seconds,
    )
    ng = np.geomspace(1, max_devices, 300)
    fig: Figure
    fig, ax = new_figure(height=4.6)
    ax.loglog(
        ng,
        1e3 * closed_forms.simple_token_latency_seconds(ng, **kw),
        color=COLORS[0],
        lw=2,
        label="eq. 9: ring latency + weight reads (continuous N)",
    )
    n_star = float(closed_forms.min_latency_gpu_count(**kw))
    t_star = float(closed_forms.min_token_latency_seconds(**kw))
    ax.plot(
        [n_star],
        [1e3 * t_star],
        "o",
        color=COLORS[0],
        ms=8,
        label=f"closed form: N* = {n_star:.0f}, T = {1e3 * t_star:.1f} ms",
    )
    counts = frontier.default_device_counts(max_devices, acc.scaleup_domain)
    sw = frontier.sweep(acc, m, constants=constants, device_counts=counts, batches=[1])
    order = np.argsort(sw.n_devices, kind="stable")
    n_sorted = sw.n_devices[order]
    starts = np.flatnonzero(np.concatenate([[True], n_sorted[1:] != n_sorted[:-1]]))
    best = np.minimum.reduceat(sw.token_seconds[order], starts)  # inf where nothing fits
    have = n_sorted[starts]
    ok = np.isfinite(best)
    ax.loglog(
        have[ok],
        1e3 * best[ok],
        "s",
        color=COLORS[1],
        ms=4,
        label="full model (NCCL LL fit, launches, bandwidth), fastest split",
    )
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("GPUs")
    ax.set_ylabel("time per token at small batch (ms)")
    ax.set_title(f"{m.name}, 16-bit, on {acc.name} ({get_constants(constants).name})")
    legend_below(fig, ax)
    return fig


@course_figure
def sqrt_law_figure(
    measured: Sequence[tuple[str, float]] = (("palm-8b", 4e-3), ("palm-62b", 13e-3), ("palm-540b", 32e-3)),
    accelerator: str = "tpu-v4",
    weight_format: str = "int8",
    constants: str = "erdil-code",
) -> Figure:
    """Best token latency against parameters: measured points, the square-root law through the
    smallest, and the closed form of eq. 14 for the same architectures."""
    names = [get_model(mid) for mid, _ in measured]
    n = np.array([float(m.matmul_params) for m in names])
    t = np.array([lat for _, lat in measured])
    grid = np.geomspace(n.min() / 2, n.max() * 2, 100)
    closed = np.array(
        [
            closed_forms.model_min_token_latency_seconds(accelerator, m, weight_format, constants)
            for m in names
        ]
    )
    acc_name = get_constants(constants).accelerator(accelerator).name
    fig: Figure
    fig, ax = new_figure(height=4.6)
    ax.loglog(
        grid,
        1e3 * closed_forms.sqrt_law_latency_seconds(t[0], n[0], grid),
        color=COLORS[0],
        ls="--",
        label="square-root law through the smallest model",
    )
    ax.loglog(n, 1e3 * t, "k*", ms=12, label="measured best latency (Pope et al., 2023, Fig. 1)")
    ax.loglog(
        n,
        1e3 * closed,
        "o-",
        color=COLORS[1],
        label=f"eq. 14 closed form ({acc_name}, {_format_label(weight_format)})",
    )
    for i, (m, x, y) in enumerate(zip(names, n, t, strict=True)):
        ax.annotate(m.name, (x, 1e3 * y), **_off_rising_line(first=i == 0))
    ax.set_xlabel("parameters")
    ax.set_ylabel("best time per token (ms)")
    ax.set_title("Latency at scale grows like the square root of model size")
    legend_below(fig, ax)
    return fig


@course_figure
def frontier_small_multiples(
    accelerator: str | Accelerator = "h100-sxm",
    model: str | ModelSpec = "llama-3-70b",
    contexts: Sequence[float] = (0, 2_000, 8_000, 32_000),
    formats: Sequence[str] = ("bf16", "fp8", "int4-g128"),
    accelerators: Sequence[str] = ("a100-80gb-sxm", "h100-sxm", "h200-sxm", "b200"),
    constants: Sequence[str] = ("erdil-paper", "erdil-code"),
    price_usd_per_hour: float | None = None,
    **kwargs: Any,
) -> Figure:
    """Four panels: how context, weight format, accelerator and constant set move the frontier.

    The static companion of the frontier explorer: the same sweep over the range of its
    controls. ``price_usd_per_hour``, if given, prices every chip of the accelerator panel on
    that one basis (the catalogue's prices have different bases); each chip is otherwise the
    constant set's (Erdil's H100 under ``"erdil-paper"``). Keyword arguments go to
    :func:`inferecon.serving.frontier.sweep`.
    """
    fig: Figure
    fig, axes = new_figure(nrows=4, height=12.2)
    # each panel carries its own legend under its x label: twice the usual gap to the next
    # panel's title shows which legend belongs to which panel
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(h_pad=ROW_GAP_IN)
    cs = get_constants(kwargs.get("constants", "erdil-paper"))
    # Legends name things as a reader knows them (an accelerator's name, a constant set's
    # display name), never by catalogue id, and carry the unit in their title.
    panels: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
        ("context", "context (tokens)", [(f"{c:,.0f}", dict(context_tokens=c)) for c in contexts]),
        ("weight format", "weight format", [(_format_label(f), dict(weight_format=f)) for f in formats]),
        (
            "accelerator",
            "accelerator"
            if price_usd_per_hour is None
            else f"accelerator (each at USD {price_usd_per_hour:.2f}/h)",
            [
                (
                    cs.accelerator(a).name,
                    dict(
                        accelerator=a
                        if price_usd_per_hour is None
                        else replace(cs.accelerator(a), price_usd_per_hour=price_usd_per_hour)
                    ),
                )
                for a in accelerators
            ],
        ),
        ("constant set", "constant set", [(get_constants(c).name, dict(constants=c)) for c in constants]),
    ]
    for ax, (title, legend_title, variants) in zip(axes.ravel(), panels, strict=True):
        for color, (label, kw) in zip(COLORS, variants, strict=False):
            args = {"accelerator": accelerator, **kwargs, **kw}
            acc = args.pop("accelerator")
            _draw_frontier(ax, frontier.sweep(acc, model, **args), label, color)
        ax.set_yscale("log")
        ax.set_xlim(left=0)
        ax.set_title(f"varying the {title}")
        ncol = 1 if max(len(label) for label, _ in variants) > 20 else 2
        ax.legend(  # below the x label
            loc="upper center", bbox_to_anchor=(0.5, -0.36), ncol=ncol, title=legend_title
        )
        ax.set_xlabel("tokens/s per request")
        ax.set_ylabel("USD per million tokens")
    acc_name = cs.accelerator(accelerator).name
    fig.suptitle(
        f"{get_model(model).name}: what moves the frontier (defaults: {acc_name}, BF16, "
        f"short context, {cs.name})",
    )
    return fig
