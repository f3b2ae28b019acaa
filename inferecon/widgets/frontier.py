"""Explorer for chapter 7: the cost-speed frontier of a model on an accelerator.

Each change re-runs :func:`inferecon.serving.frontier.sweep` (a vectorized sweep of every valid
configuration, a fraction of a second) and reports the frontier's two ends and the point a
customer with preference :math:`v^\\alpha/\\text{price}` would choose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from inferecon.serving import frontier
from inferecon.serving.constants import CONSTANT_SETS
from inferecon.serving.network import INTERCONNECTS
from inferecon.specs.hardware import ACCELERATORS
from inferecon.specs.precision import FORMATS

__all__ = ["EXPLORER_MODELS", "FrontierExplorer", "make_frontier_explorer"]

#: Models offered by the explorer (catalogue ids).
EXPLORER_MODELS = ("llama-3-8b", "llama-3-70b", "llama-3.1-405b", "mixtral-8x7b", "deepseek-v3")
_ACCS = tuple(a for a in ACCELERATORS if a in INTERCONNECTS)
_FORMATS = ("bf16", "fp8", "int8", "int4-g128")


def describe(sw: frontier.Sweep, alpha: float, target_speed: float) -> str:
    """The explorer's report for one sweep, as HTML (also used by the tests)."""
    if not sw.feasible.any():
        return "<b>No configuration fits</b> (try more devices, a smaller format or a shorter context)."
    fr = sw.frontier()
    k = frontier.preferred_point(fr, alpha)
    p = fr.row(k)
    cheap, fast = fr.row(0), fr.row(fr.index.size - 1)
    cost_t = float(fr.cost_at_speed(target_speed))
    at_t = f"${cost_t:,.3f}" if math.isfinite(cost_t) else "unreachable"

    def cfg(r: dict[str, Any]) -> str:
        return (
            f"{r['n_devices']} devices (TP {r['tp']}, heads split {r['tp_heads']}, PP {r['pp']}, "
            f"EP {r['ep']}), batch {r['batch']:,}"
        )

    return (
        f"<b>{sw.meta['model_name']}</b> on {sw.meta['accelerator_name']}, "
        f"{sw.meta['weight_format']} weights, "
        f"context {sw.meta['context_tokens']:,.0f}, {sw.meta['constants']} constants "
        f"(${sw.meta['price_usd_per_hour']:.2f}/device-hour); {sw.size:,} configurations, "
        f"{int(sw.feasible.sum()):,} feasible.<br>"
        f"Cheapest: <b>${fr.min_cost:,.3f}/M</b> at {cheap['tokens_per_s_per_request']:,.1f} tok/s "
        f"({cfg(cheap)}).<br>"
        f"Fastest: <b>{fr.max_speed:,.1f} tok/s</b> at ${fast['usd_per_million_tokens']:,.2f}/M "
        f"({cfg(fast)}).<br>"
        f"Cheapest at &ge; {target_speed:,.0f} tok/s: <b>{at_t}/M</b>.<br>"
        f"A customer maximizing (tok/s)<sup>{alpha:g}</sup>/price picks "
        f"<b>{p['tokens_per_s_per_request']:,.1f} tok/s "
        f"at ${p['usd_per_million_tokens']:,.3f}/M</b>, utilization {p['utilization']:.1%} ({cfg(p)})."
    )


@dataclass
class FrontierExplorer:
    """Controls and output of the frontier explorer; ``widget`` is what to display."""

    widget: w.VBox
    model: w.Dropdown
    accelerator: w.Dropdown
    weight_format: w.Dropdown
    context_tokens: w.FloatLogSlider
    constants: w.ToggleButtons
    alpha: w.FloatSlider
    target_speed: w.FloatSlider
    demand: w.FloatLogSlider
    unlimited_demand: w.Checkbox
    result: w.HTML

    def update(self, *_: object) -> None:
        """Re-run the sweep for the current controls and refresh ``result``."""
        demand = math.inf if self.unlimited_demand.value else float(self.demand.value)
        ctx = float(self.context_tokens.value) if self.context_tokens.value > 1.5 else 0.0
        try:
            sw = frontier.sweep(
                self.accelerator.value,
                self.model.value,
                constants=self.constants.value,
                weight_format=self.weight_format.value,
                context_tokens=ctx,
                demand_tokens_per_s=demand,
                max_devices=256,
                n_batches=48,
            )
        except ValueError as exc:  # e.g. a chip without that precision
            self.result.value = f"<b>Not available:</b> {exc}"
            return
        self.result.value = describe(sw, float(self.alpha.value), float(self.target_speed.value))


def make_frontier_explorer(
    model: str = "llama-3-70b", accelerator: str = "h100-sxm", constants: str = "erdil-paper"
) -> FrontierExplorer:
    """Build the explorer: model, accelerator, weight format, context, constant set, alpha,
    a target speed and a demand cap."""
    if model not in EXPLORER_MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(EXPLORER_MODELS)}")
    if accelerator not in _ACCS:
        raise ValueError(f"unknown accelerator {accelerator!r}; choose one of {', '.join(_ACCS)}")
    if constants not in CONSTANT_SETS:
        raise ValueError(f"unknown constant set {constants!r}; choose one of {', '.join(CONSTANT_SETS)}")
    style = {"description_width": "160px"}
    layout = w.Layout(width="100%", max_width="540px")
    alpha = CONSTANT_SETS[constants].preference_alpha
    ex = FrontierExplorer(
        widget=w.VBox(),
        model=w.Dropdown(
            options=list(EXPLORER_MODELS), value=model, description="model", style=style, layout=layout
        ),
        accelerator=w.Dropdown(
            options=list(_ACCS), value=accelerator, description="accelerator", style=style, layout=layout
        ),
        weight_format=w.Dropdown(
            options=[f for f in _FORMATS if f in FORMATS],
            value="bf16",
            description="weight format",
            style=style,
            layout=layout,
        ),
        context_tokens=w.FloatLogSlider(
            value=1,
            base=10,
            min=0,
            max=5,
            step=0.1,
            style=style,
            layout=layout,
            description="context tokens (1 = none)",
            readout_format=",.0f",
        ),
        constants=w.ToggleButtons(
            options=list(CONSTANT_SETS), value=constants, description="constants", style=style
        ),
        alpha=w.FloatSlider(
            value=alpha,
            min=0.5,
            max=8,
            step=0.5,
            description="preference exponent alpha",
            style=style,
            layout=layout,
        ),
        target_speed=w.FloatSlider(
            value=50, min=5, max=500, step=5, description="target tokens/s", style=style, layout=layout
        ),
        demand=w.FloatLogSlider(
            value=1e5,
            base=10,
            min=2,
            max=7,
            step=0.25,
            style=style,
            layout=layout,
            description="demand cap (tok/s)",
            readout_format=".3g",
        ),
        unlimited_demand=w.Checkbox(value=True, description="unlimited demand", style=style),
        result=w.HTML(),
    )

    def follow_constants(change: dict[str, Any]) -> None:  # each set carries its own preference exponent
        ex.alpha.value = CONSTANT_SETS[change["new"]].preference_alpha

    ex.constants.observe(follow_constants, names="value")
    for control in (
        ex.model,
        ex.accelerator,
        ex.weight_format,
        ex.context_tokens,
        ex.constants,
        ex.alpha,
        ex.target_speed,
        ex.demand,
        ex.unlimited_demand,
    ):
        control.observe(ex.update, names="value")
    ex.widget.children = (
        ex.model,
        ex.accelerator,
        ex.weight_format,
        ex.context_tokens,
        ex.constants,
        ex.alpha,
        ex.target_speed,
        ex.demand,
        ex.unlimited_demand,
        ex.result,
    )
    ex.update()
    return ex
