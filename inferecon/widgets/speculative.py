"""Explorer for chapter 9: speculative decoding on the roofline (acceptance, draft length, batch)."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from inferecon.levers import speculative
from inferecon.planning.planner import ideal_replica
from inferecon.serving.memory import max_batch, weight_bytes
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import get_model

__all__ = ["SpeculativeExplorer", "make_speculative_explorer"]

_TARGETS = {"Llama 3 70B": "llama-3-70b", "Llama 3.1 405B": "llama-3.1-405b"}


@dataclass
class SpeculativeExplorer:
    """Controls and output of the speculative-decoding explorer; ``widget`` is what to display."""

    widget: w.VBox
    target: w.Dropdown
    devices: w.Dropdown
    weight_format: w.Dropdown
    acceptance: w.FloatSlider
    draft_tokens: w.IntSlider
    batch: w.IntSlider
    context: w.IntSlider
    network_latency: w.Checkbox
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the output from the controls (called on every change)."""
        acc = ideal_replica("h100-sxm", int(self.devices.value))
        tgt, drf = _TARGETS[self.target.value], "llama-3-8b"
        lam = (
            speculative.erdil_layer_latency_seconds(int(self.devices.value))
            if self.network_latency.value
            else 0.0
        )
        kw = dict(weight_format=self.weight_format.value)
        a, g = float(self.acceptance.value), int(self.draft_tokens.value)
        b, ctx = int(self.batch.value), float(self.context.value)
        fits = self._capacity_message(acc, tgt, drf, b, ctx)
        if fits:
            self.result.value = fits
            return
        e = float(speculative.expected_tokens_per_step(a, g))
        tok = float(speculative.seconds_per_token(acc, tgt, drf, b, a, g, ctx, lam, **kw))
        plain = float(speculative.plain_step_seconds(acc, tgt, b, ctx, lam, **kw))
        usd = float(speculative.usd_per_million_tokens(acc, tgt, drf, b, a, g, ctx, None, lam, **kw))
        usd0 = float(speculative.usd_per_million_tokens(acc, tgt, drf, b, a, 0, ctx, None, lam, **kw))
        gbest, sbest = speculative.optimal_draft_tokens(acc, tgt, drf, b, a, ctx, 16, lam, **kw)
        self.result.value = (
            f"E[tokens per step] = <b>{e:.3f}</b> (α = {a:.2f}, γ = {g}).<br>"
            f"Plain: {1 / plain:,.1f} tok/s per request, ${usd0:.3f} per M tokens.<br>"
            f"Speculative: <b>{1 / tok:,.1f} tok/s</b> per request, <b>${usd:.3f}</b> per M tokens "
            f"(speedup <b>{plain / tok:.2f}×</b>).<br>"
            f"Best draft length here: γ* = {int(gbest)} (speedup {float(sbest):.2f}×)."
        )

    def _capacity_message(self, acc: Accelerator, tgt: str, drf: str, b: int, ctx: float) -> str:
        """A 'does not fit' message, or '' if both models' weights and the target's KV caches fit
        in 90% of the group's HBM (the draft's weights are counted; its KV cache is small)."""
        room = 0.9 * acc.hbm_bytes - weight_bytes(drf, self.weight_format.value)
        try:  # the target's max batch in what the draft's weights leave of 90% of HBM
            cap = (
                float(
                    max_batch(
                        acc,
                        tgt,
                        ctx,
                        weight_format=self.weight_format.value,
                        hbm_fraction=room / acc.hbm_bytes,
                    )
                )
                if room > 0
                else 0.0
            )
        except ValueError:  # the target's weights do not fit
            cap = 0.0
        if b <= cap:
            return ""
        need = (
            weight_bytes(tgt, self.weight_format.value) + weight_bytes(drf, self.weight_format.value)
        ) / 1e9
        return (
            f"<b>Does not fit:</b> {get_model(tgt).name} and the draft need {need:,.0f} GB of weights "
            f"in {self.weight_format.value}, and {b} sequences of {ctx:,.0f} tokens add their KV caches; "
            f"{int(self.devices.value)} H100s hold {0.9 * acc.hbm_bytes / 1e9:,.0f} GB usable. "
            f"Largest batch that fits here: {int(cap) if cap < 1e9 else 'any'}. "
            f"Use more devices, a smaller format, a shorter context or a smaller batch."
        )


def make_speculative_explorer(
    target: str = "Llama 3 70B",
    devices: int = 8,
    weight_format: str = "int8",
    acceptance: float = speculative.REFERENCE_ACCEPTANCE,
    draft_tokens: int = 4,
    batch: int = 16,
    context: int = 1000,
    network_latency: bool = True,
) -> SpeculativeExplorer:
    """Build the explorer: target model, H100 count, weight format, α, γ, batch, context, latency."""
    if target not in _TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(_TARGETS)}")
    style = {"description_width": "170px"}
    layout = w.Layout(width="100%", max_width="520px")
    ex = SpeculativeExplorer(
        widget=w.VBox(),
        target=w.Dropdown(
            options=list(_TARGETS),
            value=target,
            description="target (draft: Llama 3 8B)",
            style=style,
            layout=layout,
        ),
        devices=w.Dropdown(
            options=[4, 8, 16], value=devices, description="H100s (ideal group)", style=style, layout=layout
        ),
        weight_format=w.Dropdown(
            options=["bf16", "int8", "fp8"],
            value=weight_format,
            description="weight format",
            style=style,
            layout=layout,
        ),
        acceptance=w.FloatSlider(
            value=acceptance,
            min=0.0,
            max=0.98,
            step=0.01,
            description="acceptance α",
            style=style,
            layout=layout,
        ),
        draft_tokens=w.IntSlider(
            value=draft_tokens, min=0, max=16, description="draft tokens γ", style=style, layout=layout
        ),
        batch=w.IntSlider(
            value=batch, min=1, max=512, description="batch (sequences)", style=style, layout=layout
        ),
        context=w.IntSlider(
            value=context,
            min=0,
            max=32000,
            step=500,
            description="context tokens",
            style=style,
            layout=layout,
        ),
        network_latency=w.Checkbox(
            value=network_latency, description="Erdil's per-layer latency", style=style, layout=layout
        ),
        result=w.HTML(),
    )
    controls = (
        ex.target,
        ex.devices,
        ex.weight_format,
        ex.acceptance,
        ex.draft_tokens,
        ex.batch,
        ex.context,
        ex.network_latency,
    )
    for c in controls:
        c.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex
