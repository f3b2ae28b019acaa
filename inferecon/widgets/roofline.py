"""Roofline explorer for chapter 5: accelerator, model, precision, batch, context -> step time,
tokens/s, $ per million tokens and which bound binds."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w
import numpy as np

from inferecon.serving import costs, memory, roofline
from inferecon.specs.hardware import ACCELERATORS, get_accelerator
from inferecon.specs.models import MODELS, get_model
from inferecon.specs.precision import FORMATS
from inferecon.units import format_bytes

__all__ = ["RooflineExplorer", "explain_point", "make_roofline_explorer"]

_ACC = {a.name: a.id for a in ACCELERATORS.values()}
_MOD = {m.name: m.id for m in MODELS.values()}
_KV_FORMATS = ("bf16", "fp8", "int8")


def explain_point(
    accelerator: str,
    model: str,
    batch: int,
    context_tokens: float,
    *,
    weight_format: str = "bf16",
    kv_format: str = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> str:
    """HTML summary of one decode operating point (the explorer's output, testable on its own).

    Unsupported precisions and weights that do not fit come back as a message, not an error.
    """
    acc, m = ACCELERATORS[accelerator], MODELS[model]
    try:
        e = costs.decode_economics(
            acc,
            m,
            batch,
            context_tokens,
            weight_format=weight_format,
            kv_format=kv_format,
            flop_utilization=flop_utilization,
            bandwidth_utilization=bandwidth_utilization,
        )
        b_star = float(
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
    except ValueError as exc:
        return f"<b>not available:</b> {exc}"
    try:
        cap = float(
            memory.max_batch(acc, m, context_tokens, weight_format=weight_format, kv_format=kv_format)
        )
        fit = (
            f"fits: up to {cap:,.0f} sequences at this context"
            if np.isfinite(cap)
            else "fits: KV cache is empty at zero context"
        )
        if batch > cap:
            fit = (
                f"<b style='color:#D55E00'>does not fit</b>: at most {cap:,.0f} sequences of "
                f"{context_tokens:,.0f} tokens fit next to the weights"
            )
    except ValueError as exc:
        fit = f"<b style='color:#D55E00'>does not fit</b>: {exc}"
    bstar = f"{b_star:,.0f}" if np.isfinite(b_star) else "never (KV reads grow as fast as the batch)"
    kv = float(memory.kv_cache_bytes(m, context_tokens, batch, kv_format))
    return (
        f"<b>{m.name}</b> on one <b>{acc.name}</b>, {weight_format} weights, {kv_format} KV, "
        f"batch {batch:,}, context {context_tokens:,.0f}<br>"
        f"step time <b>{float(e.step_seconds) * 1e3:.2f} ms</b> "
        f"(memory {float(e.memory_seconds) * 1e3:.2f} ms, "
        f"arithmetic {float(e.compute_seconds) * 1e3:.2f} ms): "
        f"<b>{e.bound.item()}-bound</b><br>"
        f"{float(e.tokens_per_second):,.0f} tokens/s in all, "
        f"{float(e.tokens_per_second_per_sequence):,.1f} tokens/s per sequence, "
        f"MFU {float(e.mfu):.1%}<br>"
        f"<b>${float(e.usd_per_million_tokens):.3f} per million output tokens</b> "
        f"at ${acc.price_usd_per_hour:.2f}/h<br>"
        f"b* (turns compute-bound) = {bstar}; KV cache of the batch {format_bytes(kv)}<br>{fit}"
    )


@dataclass
class RooflineExplorer:
    """Controls and output of the roofline explorer; ``widget`` is what to display."""

    widget: w.VBox
    accelerator: w.Dropdown
    model: w.Dropdown
    weight_format: w.Dropdown
    kv_format: w.Dropdown
    batch: w.IntSlider
    context_tokens: w.IntSlider
    flop_utilization: w.FloatSlider
    bandwidth_utilization: w.FloatSlider
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the output from the controls (called on every change)."""
        self.result.value = explain_point(
            _ACC[self.accelerator.value],
            _MOD[self.model.value],
            int(self.batch.value),
            float(self.context_tokens.value),
            weight_format=self.weight_format.value,
            kv_format=self.kv_format.value,
            flop_utilization=float(self.flop_utilization.value),
            bandwidth_utilization=float(self.bandwidth_utilization.value),
        )


def make_roofline_explorer(
    accelerator: str = "h100-sxm",
    model: str = "llama-3-8b",
    weight_format: str = "bf16",
    kv_format: str = "bf16",
    batch: int = 64,
    context_tokens: int = 2048,
) -> RooflineExplorer:
    """Build the explorer; arguments are catalogue ids (accelerator, model, formats)."""
    acc = get_accelerator(accelerator)
    m = get_model(model)
    if weight_format not in FORMATS:
        raise ValueError(f"unknown weight_format {weight_format!r}; valid: {', '.join(FORMATS)}")
    if kv_format not in _KV_FORMATS:
        raise ValueError(f"unknown kv_format {kv_format!r}; valid: {', '.join(_KV_FORMATS)}")
    style = {"description_width": "150px"}
    layout = w.Layout(width="100%", max_width="520px")
    ex = RooflineExplorer(
        widget=w.VBox(),
        accelerator=w.Dropdown(
            options=list(_ACC), value=acc.name, description="accelerator", style=style, layout=layout
        ),
        model=w.Dropdown(options=list(_MOD), value=m.name, description="model", style=style, layout=layout),
        weight_format=w.Dropdown(
            options=list(FORMATS),
            value=weight_format,
            description="weight format",
            style=style,
            layout=layout,
        ),
        kv_format=w.Dropdown(
            options=list(_KV_FORMATS), value=kv_format, description="KV format", style=style, layout=layout
        ),
        batch=w.IntSlider(value=batch, min=1, max=4096, description="batch", style=style, layout=layout),
        context_tokens=w.IntSlider(
            value=context_tokens,
            min=0,
            max=131072,
            step=256,
            description="context tokens",
            style=style,
            layout=layout,
        ),
        flop_utilization=w.FloatSlider(
            value=1.0, min=0.05, max=1.0, step=0.05, description="FLOP/s cap u_C", style=style, layout=layout
        ),
        bandwidth_utilization=w.FloatSlider(
            value=1.0,
            min=0.05,
            max=1.0,
            step=0.05,
            description="bandwidth cap u_B",
            style=style,
            layout=layout,
        ),
        result=w.HTML(),
    )
    controls = (
        ex.accelerator,
        ex.model,
        ex.weight_format,
        ex.kv_format,
        ex.batch,
        ex.context_tokens,
        ex.flop_utilization,
        ex.bandwidth_utilization,
    )
    for control in controls:
        control.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex
