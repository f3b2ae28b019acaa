"""The chapter-6 frontier explorer: setting a control updates the report."""

from __future__ import annotations

import pytest

from inferecon.serving import frontier
from inferecon.widgets.frontier import describe, make_frontier_explorer


def _expected(**kw):
    return frontier.sweep(kw.pop("accelerator", "h100-sxm"), kw.pop("model", "llama-3-70b"), max_devices=256,
                          n_batches=48, **kw).frontier()


def test_default_report_matches_the_package():
    ex = make_frontier_explorer()
    fr = _expected(constants="erdil-paper")
    assert f"{fr.max_speed:,.1f} tok/s" in ex.result.value
    assert f"${fr.min_cost:,.3f}/M" in ex.result.value
    assert "(tok/s)<sup>3</sup>/price" in ex.result.value   # the paper's alpha


def test_changing_format_and_constants_updates_the_report():
    ex = make_frontier_explorer()
    ex.weight_format.value = "fp8"
    assert f"{_expected(weight_format='fp8').max_speed:,.1f} tok/s" in ex.result.value
    ex.constants.value = "erdil-code"
    fr = _expected(weight_format="fp8", constants="erdil-code")
    assert f"${fr.min_cost:,.3f}/M" in ex.result.value and "erdil-code constants" in ex.result.value
    # the notebook's preference exponent (4) replaces the paper's (3)
    assert ex.alpha.value == 4.0 and "(tok/s)<sup>4</sup>/price" in ex.result.value


def test_demand_cap_raises_the_floor():
    ex = make_frontier_explorer()
    ex.demand.value = 1000
    ex.unlimited_demand.value = False
    fr = _expected(demand_tokens_per_s=1000)
    assert f"${fr.min_cost:,.3f}/M" in ex.result.value


def test_unavailable_precision_is_reported_not_raised():
    ex = make_frontier_explorer()
    ex.accelerator.value = "a100-80gb-sxm"
    ex.weight_format.value = "fp8"
    assert "Not available" in ex.result.value and "fp8" in ex.result.value


def test_describe_with_nothing_feasible():
    sw = frontier.sweep("h100-sxm", "llama-3.1-405b", device_counts=[1, 2], batches=[1])
    assert "No configuration fits" in describe(sw, 3.0, 50.0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(model="gpt-4"), "unknown model 'gpt-4'"),
    (dict(accelerator="v100"), "unknown accelerator 'v100'"),
    (dict(constants="blog"), "unknown constant set 'blog'"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_frontier_explorer(**kwargs)
