"""Explorers of chapters 9-10: setting a control updates the output label with the package's numbers."""

import pytest

from inferecon.levers import speculative
from inferecon.planning import planner
from inferecon.widgets.planner import make_planner_explorer
from inferecon.widgets.speculative import make_speculative_explorer


def test_speculative_explorer_updates():
    ex = make_speculative_explorer(network_latency=False)
    ex.acceptance.value = 0.9
    ex.draft_tokens.value = 5
    # 1 + .9 + .81 + .729 + .6561 + .59049 = 4.68559
    assert "E[tokens per step] = <b>4.686</b>" in ex.result.value
    acc = planner.ideal_replica("h100-sxm", 8)
    s = float(speculative.speedup(acc, "llama-3-70b", "llama-3-8b", 16, 0.9, 5, 1000, weight_format="int8"))
    assert f"speedup <b>{s:.2f}×</b>" in ex.result.value
    ex.network_latency.value = True
    lam = speculative.erdil_layer_latency_seconds(8)
    s2 = float(speculative.speedup(acc, "llama-3-70b", "llama-3-8b", 16, 0.9, 5, 1000, lam, weight_format="int8"))
    assert f"speedup <b>{s2:.2f}×</b>" in ex.result.value and s2 < s


def test_speculative_explorer_reports_what_does_not_fit():
    # Llama 3.1 405B in bf16 (812 GB) plus the 8B draft (16 GB) on four H100s (307.9 GB usable
    # at 90% of 4 x 81,559 MiB): nothing is priced
    ex = make_speculative_explorer(target="Llama 3.1 405B", devices=4, weight_format="bf16")
    assert "Does not fit" in ex.result.value and "828 GB" in ex.result.value and "tok/s" not in ex.result.value
    # 70B in bf16 on four H100s: 307.9 - 16.1 (draft) - 141.1 GB leave 150.7 GB; a 32,000-token
    # sequence holds 32,000 x 327,680 B = 10.49 GB of KV cache, so 14 fit
    ex = make_speculative_explorer(devices=4, weight_format="bf16", batch=512, context=32000)
    assert "Largest batch that fits here: 14" in ex.result.value
    ex.batch.value = 14
    assert "Speculative" in ex.result.value


def test_speculative_explorer_bad_target():
    with pytest.raises(ValueError, match="unknown target"):
        make_speculative_explorer(target="GPT-5")


def test_planner_explorer_updates_and_reports_infeasible():
    ex = make_planner_explorer()
    ex.requests_per_s.value = 100.0
    p = planner.plan(planner.Workload(requests_per_s=100.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250),
                     planner.ReplicaConfig(model="llama-3-70b", n_devices=4))
    assert f"{p.devices} GPUs" in ex.result.value and f"${p.usd_per_month:,.0f} per month" in ex.result.value
    ex.regions.value = 3
    assert f"{3 * p.devices} GPUs" in ex.result.value
    ex.regions.value = 1
    ex.efficiency.value = 0.5
    real = planner.plan(planner.Workload(requests_per_s=100.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250),
                        planner.ReplicaConfig(model="llama-3-70b", n_devices=4).derated(0.5))
    assert real.devices > p.devices and f"{real.devices} GPUs" in ex.result.value
    ex.devices.value = 1
    assert "Not feasible" in ex.result.value and "need 141 GB" in ex.result.value
