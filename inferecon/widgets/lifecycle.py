"""Explorer for chapter 1: when does a deployment's inference compute pass its training compute?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from inferecon.specs.models import MODELS
from inferecon.training import lifecycle

__all__ = ["CrossoverExplorer", "make_crossover_explorer"]

_TRAINED = {m.name: m for m in MODELS.values() if m.training_tokens is not None}


@dataclass
class CrossoverExplorer:
    """Controls and output of the crossover explorer; ``widget`` is what to display."""

    widget: w.VBox
    model: w.Dropdown
    training_tokens: w.BoundedFloatText
    requests_per_day: w.FloatLogSlider
    tokens_per_request: w.FloatLogSlider
    launch: w.DatePicker
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the output from the controls (called on every change)."""
        m = _TRAINED[self.model.value]
        d = float(self.training_tokens.value)
        days = float(lifecycle.crossover_days(d, self.requests_per_day.value, self.tokens_per_request.value))
        train = float(lifecycle.training_flop(m.active_params, d))
        start = self.launch.value or dt.date(2025, 1, 1)
        when = (start + dt.timedelta(days=days)).isoformat() if days < 365 * 200 else "beyond 200 years"
        self.result.value = (
            f"<b>{m.name}</b>, D = {d:.3g} tokens: training = {train:.3g} FLOP.<br>"
            f"Inference matches it after T = 3D = {3 * d:.3g} tokens, "
            f"i.e. <b>{days:,.1f} days</b> of this traffic (on {when})."
        )

    def _on_model(self, change: dict[str, Any]) -> None:
        self.training_tokens.value = _TRAINED[change["new"]].training_tokens


def make_crossover_explorer(
    model: str = "Llama 3 70B", requests_per_day: float = 1e7, tokens_per_request: float = 1000.0
) -> CrossoverExplorer:
    """Build the explorer: model, training tokens, requests/day, tokens/request, launch date."""
    if model not in _TRAINED:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(_TRAINED)}")
    style = {"description_width": "150px"}
    layout = w.Layout(width="100%", max_width="520px")
    ex = CrossoverExplorer(
        widget=w.VBox(),
        model=w.Dropdown(
            options=list(_TRAINED), value=model, description="model", style=style, layout=layout
        ),
        training_tokens=w.BoundedFloatText(
            value=_TRAINED[model].training_tokens,
            min=1e9,
            max=1e15,
            description="training tokens D",
            style=style,
        ),
        requests_per_day=w.FloatLogSlider(
            value=requests_per_day,
            base=10,
            min=2,
            max=10,
            step=0.1,
            description="requests per day",
            style=style,
            layout=layout,
            readout_format=".3g",
        ),
        tokens_per_request=w.FloatLogSlider(
            value=tokens_per_request,
            base=10,
            min=1,
            max=5,
            step=0.1,
            description="tokens per request",
            style=style,
            layout=layout,
            readout_format=".3g",
        ),
        launch=w.DatePicker(value=dt.date(2025, 1, 1), description="launch date", style=style),
        result=w.HTML(),
    )
    ex.model.observe(ex._on_model, names="value")
    for control in (ex.model, ex.training_tokens, ex.requests_per_day, ex.tokens_per_request, ex.launch):
        control.observe(ex.update, names="value")
    ex.widget.children = (
        ex.model,
        ex.training_tokens,
        ex.requests_per_day,
        ex.tokens_per_request,
        ex.launch,
        ex.result,
    )
    ex.update()
    return ex
