"""Analytic serving-engine model: hand-worked numbers, limits and refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inferecon.serving import disaggregation, kv_cache, prefix_cache, workload
from inferecon.serving import engine as e
from inferecon.serving.prefill import prefill_step
from inferecon.serving.roofline import decode_step
from inferecon.specs.deployment import deployment

D8 = deployment("h100-sxm", "llama-3-8b")
FIX = workload.Traffic(prompt=workload.fixed_length(512), output=workload.fixed_length(257))


def test_lengths_moments_by_hand():
    assert workload.fixed_length(512).mean == 512 and workload.fixed_length(512).second_moment == 512 ** 2
    g = workload.geometric_length(100, maximum=100_000)
    assert g.mean == pytest.approx(100, rel=0.01)                     # geometric mean m
    assert g.second_moment == pytest.approx(2 * 100 ** 2 - 100, rel=0.02)   # E[X^2] = (2 - p)/p^2
    ln = workload.lognormal_length(200, 0.5, maximum=100_000)
    assert ln.mean == pytest.approx(200, rel=0.01)
    assert ln.second_moment == pytest.approx(200 ** 2 * 1.25, rel=0.02)      # (1 + cv^2) m^2


def test_decode_context_by_hand():
    # fixed P = 512, O = 257: steps make tokens 2..257 and see 513..768 tokens, mean 640.5
    assert FIX.decode_context == pytest.approx(640.5)
    assert FIX.decode_tokens == 256


def test_light_load_tpot_is_one_step_and_ttft_one_prefill():
    c = e.serve(D8, FIX, 1e-3)
    t1 = float(decode_step(D8, 1, 640.5).seconds)     # a lone sequence (b + 1 = 1)
    assert float(c.tpot_median) == pytest.approx(t1, rel=1e-3)
    s = float(prefill_step(D8, 512, 1).seconds)
    assert float(c.ttft_median) == pytest.approx(s, rel=0.01)
    assert c.bound[()] == "memory"


def test_fixed_point_satisfies_littles_law():
    # b = lam E[O-1] tau, with tau = t(b + 1)/(1 - lam E[s]) for interleaved prefill
    lam = 20.0
    c = e.serve(D8, FIX, lam)
    b = float(c.batch)
    s = float(prefill_step(D8, 512, 1).seconds)
    tau = float(decode_step(D8, b + 1, 640.5).seconds) / (1 - lam * s)
    assert b == pytest.approx(lam * 256 * tau, rel=1e-3)
    assert float(c.tpot_mean) == pytest.approx(tau, rel=1e-3)
    assert float(c.prefill_share) == pytest.approx(lam * s, rel=1e-9)


def test_stable_limit_is_where_the_batch_fills_the_cache():
    lim = e.stable_rate(D8, FIX)
    cap = kv_cache.kv_capacity(D8, FIX)
    assert lim.bound == "capacity"
    assert lim.batch + 1 == pytest.approx(cap.max_sequences, rel=2e-3)
    c = e.serve(D8, FIX, [0.5 * lim.rate, 1.01 * lim.rate])
    assert c.stable.tolist() == [True, False]
    assert math.isinf(float(c.ttft_p99[1])) and math.isinf(float(c.usd_per_million_tokens[1]))
    assert "KV capacity" in c.reason[1]


def test_prefill_bound_limit():
    # long prompts, one decode token: the limit is prefill's, 1/s (the batch, stretched by the
    # pauses, fills the cache just before)
    tr = workload.Traffic(prompt=workload.fixed_length(8000), output=workload.fixed_length(2))
    lim = e.stable_rate(D8, tr)
    s = float(prefill_step(D8, 8000, 1).seconds)
    assert lim.rate == pytest.approx(1 / s, rel=5e-3) and lim.rate < 1 / s
    assert "prefill" in e.serve(D8, tr, 1.001 / s).reason[0]


def test_kv_capacity_paged_vs_contiguous_by_hand():
    free_tokens = (D8.usable_hbm_bytes - D8.weight_bytes) / D8.kv_bytes_per_token
    p = kv_cache.kv_capacity(D8, FIX, "paged", block_tokens=16)
    c = kv_cache.kv_capacity(D8, FIX, "contiguous")
    assert p.max_sequences == pytest.approx(free_tokens / (640.5 + 7.5))
    assert c.max_sequences == pytest.approx(free_tokens / 769)
    assert c.used_fraction == pytest.approx(640.5 / 769)
    assert p.internal_waste == pytest.approx(7.5 / 648)
    cmp = e.compare_allocations(D8, FIX)
    assert cmp.batch_ratio == pytest.approx(769 / 648)
    assert cmp.throughput_ratio > 1.0 and cmp.usd_ratio < 1.0


def test_chunked_beats_interleaved_tpot_and_disaggregated_is_unpaused():
    lam = 30.0
    i = e.serve(D8, FIX, lam, workload.EngineConfig(scheduling="interleaved"))
    c = e.serve(D8, FIX, lam, workload.EngineConfig(scheduling="chunked", chunk_tokens=512))
    g = e.serve(D8, FIX, lam, workload.EngineConfig(scheduling="disaggregated"))
    assert float(g.tpot_mean) < float(c.tpot_mean) < float(i.tpot_mean)
    t_g = float(decode_step(D8, float(g.batch) + 1, 640.5).seconds)
    assert float(g.tpot_mean) == pytest.approx(t_g, rel=1e-3)


def test_cheapest_schedules_are_feasible_and_priced():
    ch = disaggregation.cheapest_schedules(D8, FIX, 50.0, ttft_p99_s=1.0, tpot_s=0.03)
    assert [x.scheduling for x in ch] == ["interleaved", "chunked", "disaggregated"]
    for x in ch:
        assert x.feasible and x.gpus >= 1 and x.tpot_median <= 0.03 and x.ttft_p99 <= 1.0
        assert x.usd_per_million_tokens == pytest.approx(
            1e6 * x.gpus * D8.price_usd_per_hour / 3600 / (50.0 * 257))
    bad = disaggregation.cheapest_schedules(D8, FIX, 50.0, ttft_p99_s=1e-4, tpot_s=0.03)
    assert not any(x.feasible for x in bad) and all(math.isinf(x.gpus) for x in bad)


def test_prefix_cache_by_hand():
    r = prefix_cache.prefix_cache(D8, 1000, 0.5, 1.0)
    assert float(r.cached_tokens) == 500
    m = D8.model
    f = 2 * m.active_matmul_params * 500 + m.attention_flop_per_context_token * (1000 * 999 - 500 * 499) / 2
    assert float(r.prefill_flop) == pytest.approx(f)
    assert float(r.cache_bytes) == pytest.approx(500 * D8.kv_bytes_per_token)
    assert float(prefix_cache.prefix_cache(D8, 1000, 0.5, 0.0).speedup) == pytest.approx(1.0)
    s = prefix_cache.prefix_cache(D8, 1000, [0.0, 0.5, 0.9], 1.0).speedup
    assert np.all(np.diff(s) > 0)


@pytest.mark.parametrize("call, word", [
    (lambda: e.serve(D8, FIX, "10"), "rates"),
    (lambda: e.serve(D8, FIX, -1.0), "rates"),
    (lambda: e.serve(D8, FIX, []), "rates"),
    (lambda: e.serve(D8, FIX, float("nan")), "rates"),
    (lambda: e.serve("h100-sxm", FIX, 1.0), "deployment"),
    (lambda: workload.fixed_length(0), "mean"),
    (lambda: workload.lognormal_length(100, 0.0), "cv"),
    (lambda: workload.EngineConfig(scheduling="batched"), "scheduling"),
    (lambda: workload.EngineConfig(block_tokens=0), "block_tokens"),
    (lambda: prefix_cache.prefix_cache(D8, 1000, 1.5, 1.0), "shared_fraction"),
    (lambda: prefix_cache.prefix_cache(D8, 1000, 0.5, -0.1), "hit_rate"),
    (lambda: disaggregation.cheapest_schedules(D8, FIX, 0.0, ttft_p99_s=1, tpot_s=1), "total_rate"),
    (lambda: kv_cache.kv_capacity(deployment("h100-sxm", "llama-3-70b"), FIX), "do not fit"),
])
def test_bad_input_refused(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_scalar_and_one_element_array_agree():
    a, b = e.serve(D8, FIX, 10.0), e.serve(D8, FIX, [10.0])
    assert float(a.ttft_p99) == pytest.approx(float(b.ttft_p99[0]))


def test_explorer_and_static_figure():
    import matplotlib
    matplotlib.use("Agg")
    from inferecon.plots.engine import engine_static
    from inferecon.widgets.engine import explain_engine, make_engine_explorer
    fig = engine_static()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) >= 3
    html = explain_engine("Llama 3 8B on 1 H100", 1000, 250, 1.0, "interleaved", "paged", 0.5)
    assert "requests/s" in html and "bound by <b>capacity</b>" in html
    ex = make_engine_explorer()
    ex.allocation.value = "contiguous"
    assert "stable up to" in ex.result.value
