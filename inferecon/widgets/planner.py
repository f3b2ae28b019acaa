"""Explorer for chapter 10: the deployment planner (traffic, latency target, configuration, efficiency,
multipliers). The efficiency slider derates the bound
(:meth:`inferecon.planning.planner.ReplicaConfig.derated`);
at 1 the planner prices the ideal bound, a lower limit on cost."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from inferecon.planning import planner

__all__ = ["PlannerExplorer", "make_planner_explorer"]

_MODELS = {"Llama 3 8B": "llama-3-8b", "Llama 3 70B": "llama-3-70b", "Llama 3.1 405B": "llama-3.1-405b"}


@dataclass
class PlannerExplorer:
    """Controls and output of the planner explorer; ``widget`` is what to display."""

    widget: w.VBox
    requests_per_s: w.FloatLogSlider
    peak_to_average: w.FloatSlider
    input_tokens: w.IntSlider
    output_tokens: w.IntSlider
    model: w.Dropdown
    devices: w.Dropdown
    weight_format: w.Dropdown
    tpot_ms: w.IntSlider
    scheduling: w.Dropdown
    efficiency: w.FloatSlider
    peak_buffer: w.FloatSlider
    redundancy: w.FloatSlider
    regions: w.IntSlider
    development: w.FloatSlider
    result: w.HTML

    def update(self, *_: object) -> None:
        """Re-plan from the controls; an impossible configuration shows the planner's reason."""
        try:
            wl = planner.Workload(
                requests_per_s=float(self.requests_per_s.value),
                peak_to_average=float(self.peak_to_average.value),
                input_tokens=float(self.input_tokens.value),
                output_tokens=float(self.output_tokens.value),
            )
            cfg = planner.ReplicaConfig(
                model=_MODELS[self.model.value],
                n_devices=int(self.devices.value),
                weight_format=self.weight_format.value,
                max_seconds_per_output_token=self.tpot_ms.value / 1e3,
                prefill_scheduling=self.scheduling.value,
            ).derated(float(self.efficiency.value))
            mult = planner.Multipliers(
                peak_buffer=float(self.peak_buffer.value),
                redundancy=float(self.redundancy.value),
                regions=int(self.regions.value),
                development=float(self.development.value),
            )
            p = planner.plan(wl, cfg, mult)
        except ValueError as exc:
            self.result.value = f"<b>Not feasible:</b> {exc}"
            return
        self.result.value = (
            f"Replica: batch <b>{p.batch}</b> (limited by {p.batch_limit}), "
            f"{p.step_seconds * 1e3:.1f} ms decode "
            f"step, {p.seconds_per_output_token * 1e3:.1f} ms per token at full load with "
            f"{p.prefill_scheduling} prefill, {p.replica_requests_per_s:,.2f} requests/s.<br>"
            f"Peak {wl.peak_requests_per_s:,.2f} req/s → {p.replicas_for_peak} replicas; with multipliers "
            f"<b>{p.replicas} replicas = {p.devices} GPUs</b>.<br>"
            f"<b>${p.usd_per_month:,.0f} per month</b> (bare peak fleet ${p.usd_per_month_peak_only:,.0f}); "
            f"${p.usd_per_million_output_tokens:,.2f} per M output tokens at "
            f"{p.utilization_at_average:.0%} average utilization."
        )


def make_planner_explorer(
    requests_per_s: float = 10.0, model: str = "Llama 3 70B", devices: int = 4, weight_format: str = "bf16"
) -> PlannerExplorer:
    """Build the planner explorer with the chapter's default product."""
    if model not in _MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(_MODELS)}")
    style = {"description_width": "170px"}
    layout = w.Layout(width="100%", max_width="520px")
    ex = PlannerExplorer(
        widget=w.VBox(),
        requests_per_s=w.FloatLogSlider(
            value=requests_per_s,
            base=10,
            min=-2,
            max=4,
            step=0.05,
            description="average requests/s",
            style=style,
            layout=layout,
            readout_format=".3g",
        ),
        peak_to_average=w.FloatSlider(
            value=3.0, min=1.0, max=10.0, step=0.1, description="peak / average", style=style, layout=layout
        ),
        input_tokens=w.IntSlider(
            value=1000, min=0, max=32000, step=100, description="input tokens", style=style, layout=layout
        ),
        output_tokens=w.IntSlider(
            value=250, min=10, max=4000, step=10, description="output tokens", style=style, layout=layout
        ),
        model=w.Dropdown(options=list(_MODELS), value=model, description="model", style=style, layout=layout),
        devices=w.Dropdown(
            options=[1, 2, 4, 8, 16],
            value=devices,
            description="H100s per replica",
            style=style,
            layout=layout,
        ),
        weight_format=w.Dropdown(
            options=["bf16", "int8", "fp8", "int4-g128"],
            value=weight_format,
            description="weight format",
            style=style,
            layout=layout,
        ),
        tpot_ms=w.IntSlider(
            value=50, min=5, max=200, description="max ms per output token", style=style, layout=layout
        ),
        scheduling=w.Dropdown(
            options=list(planner.PREFILL_SCHEDULES),
            value=planner.DEFAULT_PREFILL_SCHEDULING,
            description="prefill scheduling",
            style=style,
            layout=layout,
        ),
        efficiency=w.FloatSlider(
            value=1.0,
            min=0.2,
            max=1.0,
            step=0.01,
            description="efficiency η (1 = bound)",
            style=style,
            layout=layout,
        ),
        peak_buffer=w.FloatSlider(
            value=1.0, min=1.0, max=2.0, step=0.05, description="peak buffer", style=style, layout=layout
        ),
        redundancy=w.FloatSlider(
            value=1.0, min=1.0, max=3.0, step=0.25, description="redundancy", style=style, layout=layout
        ),
        regions=w.IntSlider(
            value=1, min=1, max=5, description="regions (full copies)", style=style, layout=layout
        ),
        development=w.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="development share",
            style=style,
            layout=layout,
        ),
        result=w.HTML(),
    )
    controls = (
        ex.requests_per_s,
        ex.peak_to_average,
        ex.input_tokens,
        ex.output_tokens,
        ex.model,
        ex.devices,
        ex.weight_format,
        ex.tpot_ms,
        ex.scheduling,
        ex.efficiency,
        ex.peak_buffer,
        ex.redundancy,
        ex.regions,
        ex.development,
    )
    for c in controls:
        c.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex
