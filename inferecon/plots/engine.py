"""Figures for the serving-engines chapter: latency against throughput per GPU, analytic and simulated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from inferecon.plots import COLORS, course_figure, legend_below, new_figure
from inferecon.serving import engine as eng
from inferecon.serving import workload
from inferecon.specs.deployment import Deployment

__all__ = ["engine_static", "latency_throughput"]


@course_figure
def latency_throughput(
    deployment: Deployment,
    traffic: workload.Traffic,
    configs: Sequence[tuple[str, workload.EngineConfig]],
    *,
    points: int = 40,
    simulated: Sequence[tuple[float, dict[str, float]]] = (),
) -> Figure:
    """Median TPOT and p99 TTFT against output tokens/s per GPU, one line per engine config,
    up to each config's stable limit (marked); ``simulated`` adds (load rate, summary) markers."""
    fig, (a1, a2) = new_figure(nrows=2, height=6.6, sharex=True)
    for color, (label, cfg) in zip(COLORS, configs, strict=False):
        lim = eng.stable_rate(deployment, traffic, cfg)
        rates = np.linspace(0.02, 0.995, points) * lim.rate
        c = eng.serve(deployment, traffic, rates, cfg)
        x = c.tokens_per_s_per_gpu
        a1.plot(x, c.tpot_median * 1e3, color=color, label=f"{label} (limit: {lim.bound})")
        a2.plot(x, c.ttft_p99 * 1e3, color=color, label=label)
        for ax in (a1, a2):
            ax.axvline(lim.tokens_per_s_per_gpu, color=color, ls=":", lw=1)
    for _rate, s in simulated:
        tok = s["tokens_per_s"] / deployment.n_devices
        a1.plot(tok, s["tpot_median"] * 1e3, "k^", ms=5)
        a2.plot(tok, s["ttft_p99"] * 1e3, "k^", ms=5)
    if simulated:
        a1.plot([], [], "k^", label="simulation")
    a1.set_xlabel("output tokens/s per GPU")
    a2.set_xlabel("output tokens/s per GPU")
    a1.set_ylabel("median time per output token (ms)")
    a2.set_ylabel("p99 time to first token (ms)")
    a2.set_yscale("log")
    a2.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # 10,000, not 10000 (shared axis)
    legend_below(fig, a1)
    assert isinstance(fig, Figure)
    return fig


@course_figure
def engine_static() -> Figure:
    """The explorer's default view for the book: Llama 3 8B on one H100, lognormal lengths."""
    from inferecon.specs.deployment import deployment

    d = deployment("h100-sxm", "llama-3-8b")
    tr = workload.Traffic(
        prompt=workload.lognormal_length(1000, 1.0), output=workload.lognormal_length(250, 1.0)
    )
    return latency_throughput(
        d,
        tr,
        [
            ("interleaved, paged", workload.EngineConfig()),
            ("chunked (512), paged", workload.EngineConfig(scheduling="chunked")),
            ("interleaved, contiguous", workload.EngineConfig(allocation="contiguous")),
        ],
    )
