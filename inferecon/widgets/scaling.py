"""Explorers for chapter 3: break-even volume at matched loss, and lifetime-optimal size."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w

from inferecon.training import lifetime
from inferecon.training import scaling as sc

__all__ = [
    "BreakEvenExplorer",
    "LifetimeOptimalExplorer",
    "make_break_even_explorer",
    "make_lifetime_optimal_explorer",
]

_FIT_OPTIONS = [(f.name, f.id) for f in sc.FITS.values()]
_STYLE = {"description_width": "170px"}
_LAYOUT = w.Layout(width="100%", max_width="540px")


def _b(params: float) -> str:
    """Parameters in billions: ``35B``."""
    return f"{params / 1e9:.3g}B"


def _t(tokens: float) -> str:
    """Tokens in trillions: ``1.4T``."""
    return f"{tokens / 1e12:.3g}T"


def _fit_dropdown(fit: str) -> w.Dropdown:
    sc.get_fit(fit)  # validates the id (lists valid ids otherwise)
    return w.Dropdown(
        options=_FIT_OPTIONS, value=fit, description="scaling fit", style=_STYLE, layout=_LAYOUT
    )


def _log_slider(value: float, lo: float, hi: float, description: str) -> w.FloatLogSlider:
    # step 0.001 in log10 so round values (70e9, 1.4e12) sit on the grid and read out exactly
    return w.FloatLogSlider(
        value=value,
        base=10,
        min=lo,
        max=hi,
        step=0.001,
        description=description,
        style=_STYLE,
        layout=_LAYOUT,
        readout_format=".3g",
    )


def break_even_text(fit: str, params_large: float, tokens_large: float, params_small: float) -> str:
    """The explorer's output for given inputs (pure function, also used by tests)."""
    f = sc.get_fit(fit)
    if params_small >= params_large:
        return (
            f"Choose a smaller model than the reference ({_b(params_large)} parameters): "
            "a break-even volume trades extra training for cheaper inference."
        )
    target = float(sc.loss(f, params_large, tokens_large))
    try:
        d_small = float(sc.tokens_to_reach_loss(f, params_small, target))
    except ValueError as exc:
        return f"<b>No break-even:</b> {exc}."
    be = lifetime.compare_break_even(params_large, tokens_large, params_small, d_small, fit=f)
    head = (
        f"Target loss {target:.4f} ({_b(params_large)} parameters on {_t(tokens_large)} tokens). "
        f"A {_b(params_small)} model needs <b>{_t(d_small)} tokens</b> "
        f"({d_small / params_small:,.0f} per parameter); training "
        f"{be.training_flop_small:.3g} vs {be.training_flop_large:.3g} FLOP.<br>"
    )
    if be.case == "smaller-always-cheaper":
        return head + (
            "It is also cheaper to train: <b>no break-even needed</b>, it wins at every "
            "inference volume (under this fit the reference is not compute-optimal)."
        )
    return head + f"Break-even after <b>T* = {be.inference_tokens:.3g} inference tokens</b>."


@dataclass
class BreakEvenExplorer:
    """Controls and output of the break-even explorer; ``widget`` is what to display."""

    widget: w.VBox
    fit: w.Dropdown
    params_large: w.FloatLogSlider
    tokens_large: w.FloatLogSlider
    params_small: w.FloatLogSlider
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the output from the controls (called on every change)."""
        self.result.value = break_even_text(
            self.fit.value, self.params_large.value, self.tokens_large.value, self.params_small.value
        )


def make_break_even_explorer(
    fit: str = "besiroglu2024",
    params_large: float = 70e9,
    tokens_large: float = 1.4e12,
    params_small: float = 35e9,
) -> BreakEvenExplorer:
    """Build the explorer: a reference (N, D), a smaller size trained to the same loss, and the
    inference volume after which the smaller one is cheaper over its lifetime."""
    ex = BreakEvenExplorer(
        widget=w.VBox(),
        fit=_fit_dropdown(fit),
        params_large=_log_slider(params_large, 9, 12, "reference N (params)"),
        tokens_large=_log_slider(tokens_large, 10, 14, "reference D (tokens)"),
        params_small=_log_slider(params_small, 9, 12, "smaller N (params)"),
        result=w.HTML(),
    )
    controls = (ex.fit, ex.params_large, ex.tokens_large, ex.params_small)
    for control in controls:
        control.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex


def lifetime_optimal_text(fit: str, baseline_params: float, inference_tokens: float) -> str:
    """The lifetime explorer's output for given inputs (pure function, also used by tests)."""
    cmp = lifetime.compare_lifetime_optimal(fit, baseline_params, inference_tokens)
    return (
        f"Target: loss {cmp.target_loss:.4f}, that of {_b(cmp.baseline_params)} parameters "
        f"trained compute-optimally on {_t(cmp.baseline_tokens)} tokens.<br>"
        f"For {cmp.inference_tokens:.3g} lifetime inference tokens the cheapest model has "
        f"<b>{_b(cmp.optimal_params)} parameters</b> trained on <b>{_t(cmp.optimal_tokens)} tokens</b> "
        f"({cmp.optimal_tokens / cmp.optimal_params:,.0f} per parameter), and saves "
        f"<b>{100 * cmp.fraction_saved:.1f}%</b> of lifetime FLOPs "
        f"({cmp.optimal_flop:.3g} vs {cmp.baseline_flop:.3g})."
    )


@dataclass
class LifetimeOptimalExplorer:
    """Controls and output of the lifetime-optimal explorer."""

    widget: w.VBox
    fit: w.Dropdown
    baseline_params: w.FloatLogSlider
    inference_tokens: w.FloatLogSlider
    result: w.HTML

    def update(self, *_: object) -> None:
        """Recompute the output from the controls."""
        self.result.value = lifetime_optimal_text(
            self.fit.value, self.baseline_params.value, self.inference_tokens.value
        )


def make_lifetime_optimal_explorer(
    fit: str = "besiroglu2024", baseline_params: float = 70e9, inference_tokens: float = 1e13
) -> LifetimeOptimalExplorer:
    """Build the explorer: quality set by a compute-optimal baseline size, and lifetime demand."""
    ex = LifetimeOptimalExplorer(
        widget=w.VBox(),
        fit=_fit_dropdown(fit),
        baseline_params=_log_slider(baseline_params, 9, 12, "quality of size (params)"),
        inference_tokens=_log_slider(inference_tokens, 8, 16, "lifetime inference tokens"),
        result=w.HTML(),
    )
    controls = (ex.fit, ex.baseline_params, ex.inference_tokens)
    for control in controls:
        control.observe(ex.update, names="value")
    ex.widget.children = (*controls, ex.result)
    ex.update()
    return ex
