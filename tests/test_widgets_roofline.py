"""The chapter-4 roofline explorer: setting a control updates the report with the package's numbers."""

from __future__ import annotations

import pytest

from inferecon.serving import costs, memory
from inferecon.widgets.roofline import explain_point, make_roofline_explorer


def _numbers(acc, model, batch, ctx, **kw):
    e = costs.decode_economics(acc, model, batch, ctx, **kw)
    return (f"{float(e.step_seconds) * 1e3:.2f} ms", f"${float(e.usd_per_million_tokens):.3f} per million",
            f"{e.bound.item()}-bound")


def test_default_report_matches_the_package():
    ex = make_roofline_explorer()
    for text in _numbers("h100-sxm", "llama-3-8b", 64, 2048):
        assert text in ex.result.value
    assert "never (KV reads grow as fast as the batch)" in ex.result.value   # 2,048 > l_kv = 393
    assert f"up to {float(memory.max_batch('h100-sxm', 'llama-3-8b', 2048)):,.0f} sequences" in ex.result.value


def test_setting_batch_and_context_updates_the_report():
    ex = make_roofline_explorer()
    ex.context_tokens.value = 0
    ex.batch.value = 1024
    for text in _numbers("h100-sxm", "llama-3-8b", 1024, 0):
        assert text in ex.result.value
    assert "compute-bound" in ex.result.value
    assert "b* (turns compute-bound) = 295" in ex.result.value


def test_utilization_caps_are_applied():
    ex = make_roofline_explorer(batch=1, context_tokens=0)
    ex.bandwidth_utilization.value = 0.75
    for text in _numbers("h100-sxm", "llama-3-8b", 1, 0, bandwidth_utilization=0.75):
        assert text in ex.result.value


def test_unsupported_precision_and_capacity_are_reported_not_raised():
    ex = make_roofline_explorer()
    ex.accelerator.value = "A100 80GB SXM"
    ex.weight_format.value = "fp8"
    assert "not available" in ex.result.value and "no 'fp8' tensor-core rate" in ex.result.value
    ex.weight_format.value = "bf16"
    ex.model.value = "Llama 3 70B"
    assert "does not fit" in ex.result.value and "need 141 GB" in ex.result.value
    ex.model.value = "Llama 3 8B"
    ex.batch.value = 4000
    assert "does not fit" in ex.result.value and "at most" in ex.result.value


def test_explain_point_is_the_callback():
    assert explain_point("h200-sxm", "mixtral-8x7b", 16, 1024) == explain_point("h200-sxm", "mixtral-8x7b", 16, 1024.0)
    assert "Mixtral 8x7B" in explain_point("h200-sxm", "mixtral-8x7b", 16, 1024)


@pytest.mark.parametrize("kwargs,match", [
    (dict(accelerator="h900"), "unknown accelerator"),
    (dict(model="gpt-5"), "unknown model"),
    (dict(weight_format="int3"), "unknown weight_format 'int3'"),
    (dict(kv_format="int4-g128"), "unknown kv_format 'int4-g128'"),
])
def test_factory_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_roofline_explorer(**kwargs)
