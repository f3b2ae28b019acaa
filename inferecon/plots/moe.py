"""Figures for chapter 6: what a mixture of experts reads, what it costs, and its optimal batch.

Every function calls the numeric functions of :mod:`inferecon.serving.moe`, :mod:`inferecon.serving.costs`
and :mod:`inferecon.serving.memory` (never re-implements a formula) and returns a Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.serving import costs, memory, moe, moe_batching
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = ["cost_vs_batch_moe_vs_dense", "optimal_batch_vs_sparsity", "read_fraction_vs_batch"]


@course_figure
def read_fraction_vs_batch(
    models: Sequence[str | ModelSpec] = ("mixtral-8x7b", "deepseek-v3"), max_batch: float = 4096
) -> Figure:
    """Share of a model's matmul weights one decode step reads,
    :math:`N_\\mathrm{read}(b)/N_\\mathrm{total}` (eq. 22).

    Dotted lines: the active share (:math:`b = 1`); dots: :math:`b = s`, where
    :math:`1 - (1 - 1/s)^s \\approx 1 - 1/e = 63\\%` of the routed experts are read.
    """
    b = np.unique(np.round(np.geomspace(1, max_batch, 400)))
    fig, ax = new_figure(height=4.6)
    for color, mid in zip(COLORS, models, strict=False):
        m = get_model(mid)
        share = moe.params_read_per_step(m, b) / m.matmul_params
        active = m.active_matmul_params / m.matmul_params
        ax.semilogx(
            b, 100 * share, color=color, lw=2.2, label=f"{m.name} (s = {m.sparsity:g}, active {active:.1%})"
        )
        ax.axhline(100 * m.active_matmul_params / m.matmul_params, color=color, lw=0.8, ls=":")
        s = m.sparsity
        ax.plot([s], [100 * float(moe.params_read_per_step(m, s)) / m.matmul_params], "o", color=color, ms=7)
    ax.set_xlabel("tokens in the decode step b")
    ax.set_ylabel("weights read per step (% of all matmul weights)")
    ax.set_ylim(0, 102)
    ax.set_title("Expected weights read per step under uniform routing (eq. 22)")
    legend_below(fig, ax)
    return fig


@course_figure
def cost_vs_batch_moe_vs_dense(
    model: str | ModelSpec,
    accelerator: str | Accelerator = "h100-sxm",
    *,
    weight_format: str | NumberFormat = "bf16",
    max_batch: float = 65536,
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> Figure:
    """Roofline cost per million tokens against batch: an MoE and its two dense counterparts.

    The dense counterparts (:func:`inferecon.serving.moe_batching.dense_counterpart`) have the MoE's active
    and total matmul parameters. Each runs on the fewest ideally sharded devices that hold its
    weights (:func:`inferecon.serving.memory.min_devices`); without communication the cost per
    token does not depend on that count (:func:`inferecon.serving.costs.decode_usd_per_million_tokens`).
    Dots mark each model's :math:`b^*`.
    """
    m = get_model(model)
    acc = get_accelerator(accelerator)
    b = np.unique(np.round(np.geomspace(1, max_batch, 300)))
    wf, uc, ub = weight_format, flop_utilization, bandwidth_utilization
    fig, ax = new_figure(height=4.8)
    entries = [
        (m, f"{m.name} (MoE)", "-"),
        (moe_batching.dense_counterpart(m, "active"), "dense, same active parameters", "--"),
        (moe_batching.dense_counterpart(m, "total"), "dense, same total parameters", ":"),
    ]
    for color, (spec, label, ls) in zip(COLORS, entries, strict=False):
        n = int(memory.min_devices(acc, spec, weight_format=wf))
        usd = costs.decode_usd_per_million_tokens(
            acc, spec, b, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub, n_devices=n
        )
        bstar = float(
            moe_batching.moe_optimal_batch(
                acc, spec, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub
            )
        )
        ax.loglog(b, usd, color=color, ls=ls, lw=2.2, label=f"{label}: b* = {bstar:,.0f}")
        if bstar <= max_batch:
            at_bstar = costs.decode_usd_per_million_tokens(
                acc, spec, bstar, weight_format=wf, flop_utilization=uc, bandwidth_utilization=ub, n_devices=n
            )
            ax.plot([bstar], [float(at_bstar)], "o", color=color, ms=7)
    ax.set_xlabel("batch b (sequences decoded together)")
    ax.set_ylabel("USD per million output tokens")
    ax.set_title(
        f"{m.name} vs dense models on {acc.name} ({get_format(weight_format).id}, "
        f"${acc.price_usd_per_hour:.2f}/h, roofline)",
    )
    legend_below(fig, ax)
    return fig


@course_figure
def optimal_batch_vs_sparsity(
    model: str | ModelSpec = "deepseek-v3",
    accelerator: str | Accelerator = "h100-sxm",
    n_experts: Sequence[int] = (8, 16, 32, 64, 128, 256, 512, 1024),
    weight_format: str | NumberFormat = "bf16",
) -> Figure:
    """The MoE's optimal batch as the number of routed experts grows (active experts fixed).

    Three curves: the exact root (:func:`inferecon.serving.moe_batching.moe_optimal_batch`), the rule
    :math:`b^*_\\mathrm{dense} N_\\mathrm{total}/N_\\mathrm{active}` and
    :math:`b^*_\\mathrm{dense}\\,s` (:func:`inferecon.serving.moe_batching.per_expert_optimal_batch`), the
    batch at
    which each routed expert's own matmuls turn compute-bound; as the whole layer's :math:`b^*`
    (the folk rule) it ignores the always-read weights.
    """
    base = get_model(model)
    s, exact, rule, naive = [], [], [], []
    for n in n_experts:
        m = replace(base, id=f"{base.id}-{n}", n_routed_experts=int(n))
        s.append(m.sparsity)
        exact.append(float(moe_batching.moe_optimal_batch(accelerator, m, weight_format)))
        rule.append(float(moe_batching.sparsity_rule_optimal_batch(accelerator, m, weight_format)))
        naive.append(float(moe_batching.per_expert_optimal_batch(accelerator, m, weight_format)))
    fig, ax = new_figure(height=4.6)
    ax.loglog(s, naive, "o:", color=COLORS[1], label="dense b* x s: each expert's own threshold")
    # The rule is drawn as squares alone, on top of the exact line it coincides with (a line
    # of its own would be hidden under it and only mislead the legend).
    ax.loglog(s, exact, "-", color=COLORS[0], lw=2.2, label="exact root of eq. 22 roofline")
    ax.loglog(s, rule, "s", ls="none", color=COLORS[2], zorder=3, label="dense b* x total/active parameters")
    ax.axvline(base.sparsity, color="grey", lw=0.8, ls=":")
    ax.text(base.sparsity, min(exact), f" {base.name}", color="grey", va="bottom")
    ax.set_xlabel(f"routed sparsity s = experts / active\n({base.n_active_experts} experts active)")
    ax.set_ylabel("optimal batch b*")
    ax.set_title(f"{base.name}'s shape with more or fewer experts, on {get_accelerator(accelerator).name}")
    legend_below(fig, ax)
    return fig
