"""Serving-engine explorer: model, lengths, scheduling and KV allocation -> latency against throughput."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from inferecon.serving import engine as eng
from inferecon.serving import workload
from inferecon.specs.deployment import deployment

__all__ = ["EngineExplorer", "explain_engine", "make_engine_explorer"]

_SETUPS = {"Llama 3 8B on 1 H100": ("llama-3-8b", 1), "Llama 3 70B on 4 H100": ("llama-3-70b", 4)}


def explain_engine(
    setup: str, prompt: int, output: int, cv: float, scheduling: str, allocation: str, load: float
) -> str:
    """HTML summary of one operating point (testable without a display); errors come back as text."""
    try:
        mid, n = _SETUPS[setup]
        d = deployment("h100-sxm", mid, n_devices=n)
        tr = workload.Traffic(
            prompt=workload.lognormal_length(prompt, cv), output=workload.lognormal_length(output, cv)
        )
        cfg = workload.EngineConfig(scheduling=scheduling, allocation=allocation)
        lim = eng.stable_rate(d, tr, cfg)
        c = eng.serve(d, tr, load * lim.rate, cfg)
    except ValueError as exc:
        return f"<b>not available:</b> {exc}"
    return (
        f"stable up to <b>{lim.rate:,.1f} requests/s</b> ({lim.tokens_per_s_per_gpu:,.0f} output "
        f"tokens/s per GPU, ${lim.usd_per_million_tokens:.3f}/M), then bound by <b>{lim.bound}</b>.<br>"
        f"At {load:.0%} of it: batch {float(c.batch):,.0f}, "
        f"TPOT median {float(c.tpot_median) * 1e3:.1f} ms, "
        f"TTFT p99 {float(c.ttft_p99) * 1e3:,.0f} ms, E2E p99 {float(c.e2e_p99):,.1f} s."
    )


@dataclass
class EngineExplorer:
    """Controls and output of the engine explorer; ``widget`` is what to display.

    Like the other explorers it updates one ``HTML`` summary (no figure per update, so an update
    takes about 20 ms); chapter 8's latency figure is the same function over the whole load range.
    """

    widget: w.VBox
    setup: w.Dropdown
    prompt: w.IntSlider
    output: w.IntSlider
    cv: w.FloatSlider
    scheduling: w.Dropdown
    allocation: w.Dropdown
    load: w.FloatSlider
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the summary from the controls."""
        self.result.value = explain_engine(
            self.setup.value,
            int(self.prompt.value),
            int(self.output.value),
            float(self.cv.value),
            self.scheduling.value,
            self.allocation.value,
            float(self.load.value),
        )


def make_engine_explorer(
    setup: str = "Llama 3 8B on 1 H100",
    prompt: int = 1000,
    output: int = 250,
    cv: float = 1.0,
    scheduling: str = "interleaved",
    allocation: str = "paged",
    load: float = 0.7,
) -> EngineExplorer:
    """Build the explorer with its controls wired to :meth:`EngineExplorer.update`."""
    style = {"description_width": "170px"}
    layout = w.Layout(width="100%", max_width="520px")

    def slider(kind: type[w.IntSlider] | type[w.FloatSlider], **kw: object) -> w.IntSlider | w.FloatSlider:
        return kind(style=style, layout=layout, continuous_update=False, **kw)

    ex = EngineExplorer(
        widget=w.VBox(),
        setup=w.Dropdown(
            options=list(_SETUPS), value=setup, description="replica", style=style, layout=layout
        ),
        prompt=slider(w.IntSlider, value=prompt, min=16, max=8000, step=16, description="mean prompt tokens"),
        output=slider(w.IntSlider, value=output, min=2, max=2000, step=2, description="mean output tokens"),
        cv=slider(w.FloatSlider, value=cv, min=0.1, max=2.0, step=0.1, description="length spread (CV)"),
        scheduling=w.Dropdown(
            options=["interleaved", "chunked"],
            value=scheduling,
            description="prefill",
            style=style,
            layout=layout,
        ),
        allocation=w.Dropdown(
            options=list(workload.ALLOCATIONS),
            value=allocation,
            description="KV memory",
            style=style,
            layout=layout,
        ),
        load=slider(
            w.FloatSlider, value=load, min=0.05, max=0.99, step=0.01, description="load (share of limit)"
        ),
        result=w.HTML(),
    )
    controls = [ex.setup, ex.prompt, ex.output, ex.cv, ex.scheduling, ex.allocation, ex.load]
    for c in controls:
        c.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex
