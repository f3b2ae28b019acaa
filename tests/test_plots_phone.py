"""Every figure of the book stays legible on a phone and keeps its legend off the data (issue 16).

The book shows a figure (retina PNG) at its natural width, inches x 100 CSS px, scaled down to
the content column: 312 px for images on a 360 px phone, about 670 px on a desktop (both measured
in the built book). A text of f pt then shows at f x 100/72 x min(1, 312/W) CSS px. The rule,
held here through each figure's artists (no pixels): natural width at most the desktop column
and at most 480 px, and the smallest visible text at least 9 CSS px on the phone.

The registry lists every public plot function with the arguments its chapter uses (sweeps are
made smaller where the layout does not depend on their size); a completeness test makes a new
plot function join it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from functools import cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import inferecon as ie  # noqa: E402
import inferecon.plots as plots  # noqa: E402
from inferecon.plots import deployment as dep_plots  # noqa: E402
from inferecon.plots import engine as eplots  # noqa: E402
from inferecon.plots import frontier as fplots  # noqa: E402
from inferecon.plots import levers as lever_plots  # noqa: E402
from inferecon.plots import lifecycle as lifecycle_plots  # noqa: E402
from inferecon.plots import moe as moe_plots  # noqa: E402
from inferecon.plots import roofline as roofline_plots  # noqa: E402
from inferecon.plots import scaling as scaling_plots  # noqa: E402
from inferecon.plots import validation as vplots  # noqa: E402

MAX_NATURAL_PX = 480  # 10 pt x 100/72 x 312/480 = 9.03 CSS px on the phone


# ---- the chapters' inputs, computed once -----------------------------------------------------
@cache
def _bes():
    from inferecon.training import scaling as sc

    return sc.get_fit("besiroglu2024")


@cache
def _sweep(model: str, **kw):
    from inferecon.serving import frontier

    return frontier.sweep("h100-sxm", model, max_devices=8, n_batches=12, **kw)


@cache
def _validation():
    from inferecon.validation import predictions as validation

    preds = validation.predict_all(validation.load_measurements())
    fits = [validation.fit_efficiency(preds, r) for r in ("throughput", "latency", "prefill")]
    return validation, preds, fits


def _fit_recovery():
    from dataclasses import replace

    bes = _bes()
    est = replace(bes, alpha=bes.alpha * 1.02, beta=bes.beta * 0.99)
    boot = np.array([replace(bes, alpha=bes.alpha * (1 + k / 100)).as_tuple() for k in range(-3, 4)])
    return scaling_plots.fit_recovery(bes, est, boot, max_data_flop=1e22)


def _break_even_lifetime():
    from inferecon.training import lifetime

    d_small = float(lifetime.matched_loss_tokens(_bes(), 70e9, 1.4e12, 35e9))
    return scaling_plots.break_even_lifetime_flop(70e9, 1.4e12, 35e9, d_small)


def _latency_throughput():
    from inferecon.serving import workload
    from inferecon.specs.deployment import deployment

    d = deployment("h100-sxm", "llama-3-8b")
    traffic = workload.Traffic(
        prompt=workload.lognormal_length(1000, 1.0), output=workload.lognormal_length(250, 1.0)
    )
    simulated = [
        (r, {"tokens_per_s": t, "tpot_median": 0.01, "ttft_p99": 0.2}) for r, t in ((5, 2000), (20, 6000))
    ]
    return eplots.latency_throughput(
        d,
        traffic,
        [
            ("interleaved, paged", workload.EngineConfig()),
            ("chunked (512), paged", workload.EngineConfig(scheduling="chunked")),
            ("interleaved, contiguous", workload.EngineConfig(allocation="contiguous")),
        ],
        points=12,
        simulated=simulated,
    )


def _speculative_frontier():
    from inferecon.levers import speculative
    from inferecon.planning import planner

    acc = planner.ideal_replica("h100-sxm", 8)
    lam = speculative.erdil_layer_latency_seconds(8)
    b = np.unique(np.round(np.geomspace(1, 256, 10)))
    fronts = [
        speculative.frontier(
            acc, t, "llama-3-8b", 0.8, 1000, b, layer_latency_seconds=lam_, weight_format="int8"
        )
        for t, lam_ in (("llama-3-70b", 0.0), ("llama-3-70b", lam), ("llama-3.1-405b", lam))
    ]
    return lever_plots.speculative_frontier(
        fronts, ["70B, pure roofline", "70B, with per-layer latency", "405B, with per-layer latency"]
    )


def _distillation():
    return lever_plots.distillation_lifetime(1.5e5, 0.35, 0.06)


def _planner():
    from inferecon.planning import planner

    shape = planner.Workload(requests_per_s=1.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250)
    small = planner.ReplicaConfig(model="llama-3-8b")
    large = planner.ReplicaConfig(model="llama-3-70b", n_devices=4)
    large8 = planner.ReplicaConfig(model="llama-3-70b", n_devices=2, weight_format="int8")
    mult = planner.Multipliers(peak_buffer=1.25, redundancy=1.5, regions=2, development=0.2)
    return shape, small, large, large8, mult


def _monthly():
    shape, small, large, large8, mult = _planner()
    labels = ["Llama 3 8B (1 H100)", "Llama 3 70B (4 H100)", "Llama 3 70B INT8 (2 H100)"]
    return dep_plots.monthly_cost_vs_traffic([small, large, large8], labels, shape, mult)


def _planner_static():
    shape, _, large, _, mult = _planner()
    return dep_plots.planner_static(large, shape, mult)


ACC_KW = dict(
    small_accuracy_easy=0.9,
    small_accuracy_hard=0.4,
    large_accuracy_easy=0.95,
    large_accuracy_hard=0.85,
    router_keep_easy=0.85,
    router_keep_hard=0.1,
    cascade_keep_easy=0.9,
    cascade_keep_hard=0.03,
    router_cost_ratio=0.01,
)


def _predicted_vs_measured():
    _, preds, _ = _validation()
    return vplots.predicted_vs_measured(preds, label_ids=["aa-llama-3-70b", "pope-540b-ht-decode"])


def _sqrt_law():
    _, preds, _ = _validation()
    best = [p for p in preds if p.id.endswith("best-latency")]
    return vplots.sqrt_law(best, "pope-palm-8b-best-latency")


def _efficiency():
    _, preds, fits = _validation()
    return vplots.efficiency_by_regime(preds, fits)


def _derated():
    validation, preds, _ = _validation()
    pooled = validation.fit_efficiency(preds)
    prov = {p.id: p for p in preds if p.measurement.regime == "provider"}
    f16 = _sweep("llama-3-70b").frontier()
    f8 = _sweep("llama-3-70b", weight_format="fp8", kv_format="fp8").frontier()
    return vplots.derated_frontier(
        [("Llama 3 70B, bf16, H100 SXM", f16), ("Llama 3 70B, fp8, H100 SXM", f8)],
        pooled,
        [prov["aa-llama-3-70b"], prov["erdil-nb-llama-3-70b-8bit"]],
    )


def _frontier_ch6():
    sweeps = [_sweep(m) for m in ("llama-3-8b", "llama-3-70b", "mixtral-8x7b")]
    return fplots.frontier_figure(
        sweeps,
        observed=[
            (400, 0.20, "Llama 3 8B, best provider 2024"),
            (150, 0.90, "Llama 3 70B, best provider 2024"),
        ],
    )


def _frontier_ch5():
    sw = _sweep("llama-3-8b")
    return fplots.frontier_figure(
        [sw, sw, sw],
        ["DeepSeek-V3 (MoE)", "dense, equal active parameters", "dense, equal total parameters"],
        title="DeepSeek-V3 against dense models on H100s (fp8, paper constants)",
    )


def _prefix_cache_ch7():
    """Chapter 7's inline figure: ``new_figure(width=6.4, height=4.0)`` and ``ax.plot``."""
    from inferecon.serving import prefix_cache
    from inferecon.specs.deployment import deployment

    d = deployment("h100-sxm", "llama-3-8b")
    phi = np.linspace(0.0, 0.99, 100)
    with matplotlib.rc_context(plots._RC):
        fig, ax = plots.new_figure(width=6.4, height=4.0)
        for hit in (0.5, 0.9, 1.0):
            ax.plot(phi, prefix_cache.prefix_cache(d, 2000, phi, hit).speedup, label=f"hit rate {hit:g}")
        ax.set_yscale("log")
        ax.set_xlabel("shared prefix share of the prompt")
        ax.set_ylabel("prefill speedup")
        ax.legend()
    return fig


H100 = "h100-sxm"
GPUS = ["a100-80gb-sxm", "h100-sxm", "h200-sxm", "b200", "mi300x"]
KV_MODELS = ["chinchilla-70b", "gpt-3-175b", "llama-3-70b", "palm-540b", "deepseek-v3"]

#: Each public plot function: (name, builder with the arguments its chapter uses).
REGISTRY: dict[str, list[Callable[[], Figure]]] = {
    "lifecycle.cumulative_compute": [lambda: lifecycle_plots.cumulative_compute("llama-3-70b", ie.SCENARIOS)],
    "lifecycle.crossover_days_map": [
        lambda: lifecycle_plots.crossover_days_map(
            15e12, tokens_per_request=[300, 1_000, 3_000], mark=(1e7, 1_000)
        )
    ],
    "scaling.optimal_params_vs_compute": [lambda: scaling_plots.optimal_params_vs_compute()],
    "scaling.iso_loss_contours": [lambda: scaling_plots.iso_loss_contours(_bes())],
    "scaling.loss_vs_compute": [lambda: scaling_plots.loss_vs_compute(("hoffmann2022", "besiroglu2024"))],
    "scaling.fit_recovery": [_fit_recovery],
    "scaling.overtraining_bars": [lambda: scaling_plots.overtraining_bars()],
    "scaling.loss_floor_curves": [
        lambda: scaling_plots.loss_floor_curves(_bes(), sizes=(7e9, 13e9, 35e9, 70e9), target=(70e9, 1.4e12))
    ],
    "scaling.break_even_lifetime_flop": [_break_even_lifetime],
    "scaling.break_even_vs_size": [
        lambda: scaling_plots.break_even_vs_size(70e9, 1.4e12, fits=("hoffmann2022", "besiroglu2024"))
    ],
    "scaling.lifetime_optimal_vs_demand": [
        lambda: scaling_plots.lifetime_optimal_vs_demand(_bes(), baseline_params=70e9, scenarios=ie.SCENARIOS)
    ],
    "roofline.step_time_vs_batch": [lambda: roofline_plots.step_time_vs_batch(GPUS, "llama-3-8b")],
    "roofline.cost_vs_batch": [lambda: roofline_plots.cost_vs_batch(GPUS, "llama-3-8b")],
    "roofline.kv_cache_growth": [
        lambda: roofline_plots.kv_cache_growth(KV_MODELS, H100, 32, weight_format="fp8")
    ],
    "roofline.batch_limits_vs_context": [
        lambda: roofline_plots.batch_limits_vs_context(
            ["h100-sxm", "h200-sxm", "b200"], "llama-3-70b", weight_format="fp8"
        )
    ],
    "roofline.prefill_vs_prompt": [lambda: roofline_plots.prefill_vs_prompt(H100, "llama-3-8b")],
    "roofline.quantization_effects": [
        lambda: roofline_plots.quantization_effects(
            H100, "llama-3-70b", ["bf16", "fp8", "int8-w", "int4-g128"], 8192
        )
    ],
    "roofline.explorer_static": [
        lambda: roofline_plots.explorer_static(H100, "llama-3-8b", [0, 2048, 8192, 32768], mark=(64, 2048))
    ],
    "moe.read_fraction_vs_batch": [lambda: moe_plots.read_fraction_vs_batch()],
    "moe.optimal_batch_vs_sparsity": [lambda: moe_plots.optimal_batch_vs_sparsity("deepseek-v3", H100)],
    "moe.cost_vs_batch_moe_vs_dense": [
        lambda: moe_plots.cost_vs_batch_moe_vs_dense("deepseek-v3", H100),
        lambda: moe_plots.cost_vs_batch_moe_vs_dense("mixtral-8x7b", H100),
    ],
    "frontier.frontier_figure": [_frontier_ch6, _frontier_ch5],
    "frontier.latency_breakdown": [
        lambda: fplots.latency_breakdown("h100-sxm", "llama-3-70b", device_counts=(4, 8, 16, 32, 64, 128))
    ],
    "frontier.min_latency_curve": [
        lambda: fplots.min_latency_curve("h100-sxm", "llama-3-70b", max_devices=64)
    ],
    "frontier.sqrt_law_figure": [lambda: fplots.sqrt_law_figure()],
    "frontier.fixed_node_curve": [
        lambda: fplots.fixed_node_curve("h100-sxm", "llama-3-70b", 8, batches=[1, 4, 16, 64, 256])
    ],
    "frontier.frontier_small_multiples": [
        lambda: fplots.frontier_small_multiples(
            "h100-sxm", "llama-3-8b", max_devices=8, n_batches=8, price_usd_per_hour=2.00
        )
    ],
    "engine.latency_throughput": [_latency_throughput],
    "engine.engine_static": [lambda: eplots.engine_static()],
    "levers.int8_cost_ratio": [lambda: lever_plots.int8_cost_ratio(H100, "llama-3-8b")],
    "levers.expected_tokens": [lambda: lever_plots.expected_tokens(n_steps=500)],
    "levers.speedup_vs_draft_length": [
        lambda: lever_plots.speedup_vs_draft_length(
            _acc8(), "llama-3-70b", "llama-3-8b", batch=16, context_tokens=1000, weight_format="int8"
        )
    ],
    "levers.speculative_frontier": [_speculative_frontier],
    "levers.speculative_explorer_static": [
        lambda: lever_plots.speculative_explorer_static(
            _acc8(), "llama-3-70b", "llama-3-8b", 1000, alphas=np.linspace(0.3, 0.95, 8), weight_format="int8"
        )
    ],
    "levers.distillation_lifetime": [_distillation],
    "deployment.monthly_cost_vs_traffic": [_monthly],
    "deployment.router_savings": [lambda: dep_plots.router_savings(cost_ratios=(0.05, 0.147, 0.3, 0.5))],
    "deployment.strategy_map": [lambda: dep_plots.strategy_map(0.88, n=41, **ACC_KW)],
    "deployment.planner_static": [_planner_static],
    "validation.predicted_vs_measured": [_predicted_vs_measured],
    "validation.sqrt_law": [_sqrt_law],
    "validation.efficiency_by_regime": [_efficiency],
    "validation.derated_frontier": [_derated],
    "chapter7.prefix_cache (inline, new_figure)": [_prefix_cache_ch7],
}


@cache
def _acc8():
    from inferecon.planning import planner

    return planner.ideal_replica(H100, 8)


def _public_figure_functions() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(plots.__path__):
        mod = importlib.import_module(f"inferecon.plots.{info.name}")
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and inspect.signature(obj).return_annotation in (Figure, "Figure"):
                found.add(f"{info.name}.{name}")
    return found


def test_every_plot_function_is_in_the_registry():
    missing = _public_figure_functions() - set(REGISTRY)
    assert not missing, f"add these plot functions to REGISTRY with their chapter's arguments: {missing}"


# ---- measurements through the artists ----------------------------------------------------------
def _visible_texts(fig: Figure) -> list[Text]:
    cached = getattr(fig, "_visible_texts", None)
    if cached is not None:  # measured once by the ``drawn`` fixture
        return cached
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [t for t in texts if t.get_window_extent().width > 0]


def natural_width_px(fig: Figure) -> float:
    """Width of the saved image (bbox tight, padding included) in CSS px at natural size."""
    pad = matplotlib.rcParams["savefig.pad_inches"]
    return (fig.get_tightbbox().width + 2 * pad) * fig.dpi


def smallest_text_pt(fig: Figure) -> float:
    return min(t.get_fontsize() for t in _visible_texts(fig))


def phone_text_px(fig: Figure) -> float:
    width = getattr(fig, "_natural_width_px", None) or natural_width_px(fig)
    return smallest_text_pt(fig) * 100 / 72 * min(1.0, plots.PHONE_COLUMN_PX / width)


def _line_vertices(fig: Figure) -> np.ndarray:
    """Display coordinates of every drawn data point (line vertices, scatter points) that lies
    inside its axes (a line may run on beyond the axes' limits, where it is not drawn)."""
    pts = []
    for ax in fig.axes:
        box = ax.get_window_extent()
        here = []
        for line in ax.get_lines():
            xy = line.get_xydata()
            if len(xy) and line.get_visible():
                here.append(line.get_transform().transform(np.asarray(xy, dtype=float)))
        for coll in ax.collections:  # scatter points
            offs = coll.get_offsets()
            if len(offs) and coll.get_offset_transform() is not None and hasattr(coll, "get_sizes"):
                here.append(coll.get_offset_transform().transform(np.asarray(offs, dtype=float)))
        if here:
            xy = np.concatenate(here)
            pts.append(
                xy[(xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)]
            )
    return np.concatenate(pts) if pts else np.zeros((0, 2))


CASES = [(name, k, build) for name, builders in REGISTRY.items() for k, build in enumerate(builders)]


@pytest.fixture(scope="session", params=CASES, ids=[f"{n}[{k}]" for n, k, _ in CASES])
def drawn(request):
    """Each figure built and laid out once per session, shared by every check. The layout is run
    by a draw that skips rasterising (``draw_without_rendering``): every check measures the
    artists' extents, which the constrained layout fixes, never pixels."""
    name, _, build = request.param
    fig = build()
    fig.draw_without_rendering()
    fig._natural_width_px = natural_width_px(fig)  # one tight bbox per figure, not one per check
    fig._visible_texts = _visible_texts(fig)
    yield name, fig
    plt.close(fig)


def test_legible_on_a_phone_and_within_the_desktop_column(drawn):
    name, fig = drawn
    width = fig._natural_width_px
    assert width <= plots.DESKTOP_COLUMN_PX, f"{name}: {width:.0f} px wide, wider than the desktop column"
    assert width <= MAX_NATURAL_PX, f"{name}: {width:.0f} px wide (rule: at most {MAX_NATURAL_PX})"
    small = min(_visible_texts(fig), key=lambda t: t.get_fontsize())
    px = phone_text_px(fig)
    assert px >= plots.MIN_PHONE_TEXT_PX, f"{name}: {small.get_text()!r} shows at {px:.1f} px on a phone"


def _unbalanced_math(text: str) -> bool:
    """True if ``text`` is mathtext (an even, non-zero number of unescaped ``$``; matplotlib
    shows a lone ``$``, as in "$ per month", as it is) and a line of it holds an odd number:
    math split over two lines, which matplotlib shows as raw LaTeX."""

    def dollars(t: str) -> int:
        return t.count("$") - t.count("\\$")

    n = dollars(text)
    return n > 0 and n % 2 == 0 and any(dollars(line) % 2 for line in text.split("\n"))


def test_wrap_never_breaks_inside_math():
    title = r"Over-training has a floor (dotted: $E + A/N^\alpha$)"
    for width in (1.5, 2.0, 2.5, 3.0, 3.5, 4.4):
        out = plots.wrap(title, width, 11)
        assert out.replace("\n", " ") == title
        assert not _unbalanced_math(out), f"{width} in: {out!r}"
    # a math span wider than a line gets a line of its own, whole; hyphens inside stay put
    out = plots.wrap(r"tokens $D = 20 N^{-0.3} \cdot k$ then more words here", 1.0, 11)
    assert r"$D = 20 N^{-0.3} \cdot k$" in out.split("\n")
    assert plots.wrap(r"a price of \$2 and \$3 per hour, quite long", 1.0, 11).count("\n") >= 1


def test_no_text_breaks_inside_math(drawn):
    name, fig = drawn
    bad = [t.get_text() for t in fig._visible_texts if _unbalanced_math(t.get_text())]
    assert not bad, f"{name}: math split across lines, shown as raw LaTeX: {bad}"


def test_one_column_of_panels(drawn):
    name, fig = drawn
    boxes = [ax.get_position() for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for a in boxes:
        for b in boxes:
            if a is not b:  # panels side by side would overlap vertically
                assert min(a.y1, b.y1) - max(a.y0, b.y0) <= 0, f"{name}: panels side by side"


#: The least clear space between stacked panels, CSS px at natural size (100 dpi): a panel's
#: title (and a panel's own legend below it) never touches the panel above.
MIN_ROW_GAP_PX = 12


def crowded_rows(fig: Figure) -> list[str]:
    """Pairs of stacked panels whose extents (title, tick labels, axis labels and the panel's
    own legend included) lie closer than :data:`MIN_ROW_GAP_PX` or overlap."""
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]
    found = []
    for upper in axes:
        for lower in axes:
            if upper is lower or upper.get_position().y0 <= lower.get_position().y1:
                continue  # only a panel stacked above another
            gap = (upper.get_tightbbox().y0 - lower.get_tightbbox().y1) * 100 / fig.dpi
            if gap < MIN_ROW_GAP_PX:
                found.append(f"{lower.get_title()!r} is {gap:.0f} px below {upper.get_title()!r}")
    return found


def test_stacked_panels_clear_of_each_other(drawn):
    name, fig = drawn
    found = crowded_rows(fig)
    assert not found, f"{name}: stacked panels crowd each other: {found}"


def test_the_rows_check_flags_a_title_touching_the_panel_above():
    with matplotlib.rc_context(plots._RC):
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(plots.WIDTH, 5.0))  # no layout engine
    try:
        fig.subplots_adjust(hspace=0.12)
        ax1.set_xlabel("an x label")
        ax2.set_title("a title that touches the x label above")
        fig.draw_without_rendering()
        assert len(crowded_rows(fig)) == 1
        fig2, _ = plots.new_figure(nrows=2, height=5.0)
        for ax in fig2.axes:
            ax.set_title("a title")
            ax.set_xlabel("an x label")
            ax.plot([0, 1], label="a line")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3))  # a legend under the x label
        fig2.draw_without_rendering()
        assert crowded_rows(fig2) == []
        plt.close(fig2)
    finally:
        plt.close(fig)


def test_legends_off_the_data(drawn):
    name, fig = drawn
    verts = _line_vertices(fig)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for lg in legends:
        assert isinstance(lg, Legend)
        box = lg.get_window_extent()
        inside = (
            (verts[:, 0] > box.x0) & (verts[:, 0] < box.x1) & (verts[:, 1] > box.y0) & (verts[:, 1] < box.y1)
        )
        assert not inside.any(), f"{name}: the legend covers {int(inside.sum())} plotted points"


def _curves(ax) -> list[np.ndarray]:
    """Display coordinates of every drawn curve: lines with a line style (reference lines of
    two points included: a label on ``axhline`` is as hard to read as one on a curve), and the
    lines of contour sets (a contour's own label breaks it, ``clabel(inline=True)``)."""
    out = []
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        if line.get_visible() and len(xy) >= 2 and line.get_linestyle() not in ("None", "none", ""):
            out.append(line.get_transform().transform(xy))
    for coll in ax.collections:
        if isinstance(coll, ContourSet) and coll.get_visible():
            for path in coll.get_paths():
                out.extend(path.transformed(coll.get_transform()).to_polygons(closed_only=False))
    return out


def _markers(ax) -> np.ndarray:
    """Display coordinates of every marker (points of lines with a marker, scatter points)."""
    pts = [np.zeros((0, 2))]
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        if line.get_visible() and len(xy) and line.get_marker() not in ("None", "none", "", " ", None):
            pts.append(line.get_transform().transform(xy))
    for coll in ax.collections:
        offs = np.asarray(coll.get_offsets(), dtype=float)
        if (
            not isinstance(coll, ContourSet)
            and coll.get_visible()
            and len(offs)
            and hasattr(coll, "get_sizes")
        ):
            pts.append(coll.get_offset_transform().transform(offs))
    return np.concatenate(pts)


def segments_through_box(xy: np.ndarray, box, pad: float = 0.5) -> int:
    """How many segments of the polyline ``xy`` (display px; NaN breaks it) pass through the
    interior of ``box`` (shrunk by ``pad`` px), by Liang-Barsky clipping: a note between two
    vertices of a straight stretch is caught, not only one on a vertex."""
    a, b = xy[:-1], xy[1:]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    a, b = a[ok], b[ok]
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    hit = np.ones(len(a), dtype=bool)
    x0, y0, x1, y1 = box.x0 + pad, box.y0 + pad, box.x1 - pad, box.y1 - pad
    for p, q in (
        (-d[:, 0], a[:, 0] - x0),
        (d[:, 0], x1 - a[:, 0]),
        (-d[:, 1], a[:, 1] - y0),
        (d[:, 1], y1 - a[:, 1]),
    ):
        parallel = p == 0
        hit &= ~(parallel & (q < 0))
        r = q / np.where(parallel, 1.0, p)
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    return int((hit & (t0 <= t1)).sum())


def notes_on_data(fig: Figure) -> list[str]:
    """The texts placed in an axes (notes, labels, annotations) that cover a curve or a marker."""
    found = []
    for ax in fig.axes:
        curves, marks = _curves(ax), _markers(ax)
        for t in ax.texts:
            if not t.get_visible() or not t.get_text().strip():
                continue
            box = Text.get_window_extent(t)  # the text alone (an annotation's arrow may cross)
            crossed = sum(segments_through_box(c, box) for c in curves)
            covered = int(
                (
                    (marks[:, 0] > box.x0)
                    & (marks[:, 0] < box.x1)
                    & (marks[:, 1] > box.y0)
                    & (marks[:, 1] < box.y1)
                ).sum()
            )
            if crossed or covered:
                found.append(f"{t.get_text()!r} crosses {crossed} curve segments, covers {covered} markers")
    return found


def test_notes_off_the_curves(drawn):
    """No text placed in the axes (notes, labels) lies on a curve or a marker."""
    name, fig = drawn
    found = notes_on_data(fig)
    assert not found, f"{name}: notes on the data: {found}"


@pytest.mark.parametrize(
    "note",
    [
        dict(xy=(0.5, 0.5), ha="center", va="center"),  # on a straight stretch, between two vertices
        dict(xy=(0.0, 0.0), ha="left", va="bottom"),  # on a vertex
    ],
)
def test_the_notes_check_flags_a_note_on_a_curve(note):
    with matplotlib.rc_context(plots._RC):
        fig, ax = plots.new_figure()
    try:
        ax.plot([0.0, 0.25, 1.0], [0.0, 0.25, 1.0])
        ax.text(*note["xy"], "a note on the curve", ha=note["ha"], va=note["va"])
        ax.text(0.95, 0.05, "a note in clear space", ha="right", va="bottom")
        fig.draw_without_rendering()
        found = notes_on_data(fig)
        assert len(found) == 1 and "a note on the curve" in found[0]
    finally:
        plt.close(fig)


def test_the_notes_check_flags_a_note_on_a_contour_or_a_marker():
    with matplotlib.rc_context(plots._RC):
        fig, (ax1, ax2) = plots.new_figure(nrows=2, height=5.0)
    try:
        x, y = np.meshgrid(np.linspace(-1, 1, 50), np.linspace(-1, 1, 50))
        ax1.contour(x, y, x**2 + y**2, levels=[0.5])
        ax1.text(np.sqrt(0.5), 0.0, "on the contour", ha="center", va="center")
        ax2.plot([0.3, 0.7], [0.3, 0.7], "o")
        ax2.text(0.3, 0.3, "on a marker", ha="center", va="center")
        fig.draw_without_rendering()
        found = notes_on_data(fig)
        assert len(found) == 2, found
    finally:
        plt.close(fig)


def test_chapter7_inline_figure_needs_no_change():
    with matplotlib.rc_context(plots._RC):
        fig, _ = plots.new_figure(width=6.4, height=4.0)
    try:
        assert fig.get_figwidth() == pytest.approx(plots.WIDTH)
    finally:
        plt.close(fig)
