"""Deployment planner: fleet covers peak load, multipliers applied explicitly, bad inputs rejected."""

import math

import numpy as np
import pytest

from inferecon import planner as pl
from inferecon.roofline import decode_step_seconds


def test_hours_per_month():
    # 365 d x 24 h / 12 = 730 h
    assert pl.HOURS_PER_MONTH == pytest.approx(730.0, rel=1e-12)


def test_ideal_replica_adds_up():
    r = pl.ideal_replica("h100-sxm", 4)
    assert r.hbm_bytes_per_s == pytest.approx(4 * 3.35e12) and r.hbm_bytes == pytest.approx(320e9)
    assert r.peak_flop_per_s("bf16") == pytest.approx(4 * 989.4e12) and r.price_usd_per_hour == 8.0
    assert pl.ideal_replica("h100-sxm", 1).id == "h100-sxm"


def test_planner_batch_memory_limit_by_hand():
    # Llama 3 8B bf16 on H100, 10% reserved: free = 72e9 - 2 * 8,030,261,248 = 55.939e9 B;
    # a request ends at 4000 + 96 = 4096 tokens holding 4096 * 131,072 B = 536.9 MB -> 104
    w = pl.Workload(requests_per_s=1, input_tokens=4000, output_tokens=96)
    p = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", max_seconds_per_output_token=1.0))
    assert p.batch == 104 and p.batch_limit == "memory"


def test_weights_do_not_fit():
    with pytest.raises(ValueError, match=r"Llama 3 70B weights in bf16 need 141"):
        pl.plan(pl.Workload(requests_per_s=1), pl.ReplicaConfig(model="llama-3-70b"))


WORKLOADS = [pl.Workload(requests_per_s=r, peak_to_average=p, input_tokens=i, output_tokens=o)
             for r, p, i, o in [(0.5, 3, 500, 200), (10, 2, 1000, 250), (120, 4, 2000, 500), (1500, 1.5, 300, 100)]]
CONFIGS = [pl.ReplicaConfig(model="llama-3-8b"),
           pl.ReplicaConfig(model="llama-3-70b", n_devices=4),
           pl.ReplicaConfig(model="llama-3-70b", n_devices=2, weight_format="int8", max_seconds_per_output_token=0.03)]


@pytest.mark.parametrize("w", WORKLOADS)
@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("buffer", [1.0, 1.3])
def test_fleet_covers_peak_and_is_minimal(w, cfg, buffer):
    p = pl.plan(w, cfg, pl.Multipliers(peak_buffer=buffer))
    need = w.peak_requests_per_s * buffer
    assert p.capacity_requests_per_s >= need - 1e-9
    if p.replicas_for_peak > 1:
        assert (p.replicas_for_peak - 1) * p.replica_requests_per_s < need
    # the chosen batch meets the latency target; one more sequence would break it (or memory)
    assert p.step_seconds <= cfg.max_seconds_per_output_token
    if p.batch_limit == "latency":
        t_next = decode_step_seconds(cfg.replica, cfg.model, p.batch + 1, w.mean_context_tokens)
        assert float(t_next) > cfg.max_seconds_per_output_token


def test_replica_rate_by_hand():
    # R = 1 / (t_out * t / b + prefill): 250 tokens at 20 ms per step with 100 sequences -> 0.05 s,
    # plus 0.15 s of prefill -> 5 requests/s
    assert float(pl.replica_requests_per_second(0.02, 100, 0.15, 250)) == pytest.approx(5.0, rel=1e-12)


def test_multipliers_applied_explicitly():
    w = pl.Workload(requests_per_s=40, peak_to_average=2.5, input_tokens=1000, output_tokens=250)
    cfg = pl.ReplicaConfig(model="llama-3-8b")
    base = pl.plan(w, cfg)
    m = pl.Multipliers(peak_buffer=1.25, redundancy=2.0, regions=3, development=0.2)
    p = pl.plan(w, cfg, m)
    n_peak = math.ceil(w.peak_requests_per_s * 1.25 / base.replica_requests_per_s)
    assert p.replicas_for_peak == n_peak
    assert p.replicas == math.ceil(math.ceil(n_peak * 2.0) * 3 * 1.2)
    # $2/h per H100 for 730 h
    assert p.usd_per_month == pytest.approx(p.devices * 2.0 * 730.0, rel=1e-12)
    assert m.product == pytest.approx(1.25 * 2 * 3 * 1.2)


def test_more_traffic_never_fewer_devices():
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4)
    devices = [pl.plan(pl.Workload(requests_per_s=r, peak_to_average=2), cfg).devices
               for r in np.logspace(-1, 3, 25)]
    assert all(a <= b for a, b in zip(devices, devices[1:]))


def test_zero_traffic_still_needs_one_replica():
    p = pl.plan(pl.Workload(requests_per_s=0.0), pl.ReplicaConfig(model="llama-3-8b"))
    assert p.replicas == 1 and math.isinf(p.usd_per_million_output_tokens)


def test_multi_region_factor():
    assert float(pl.multi_region_factor(3)) == pytest.approx(1.5)
    assert float(pl.multi_region_factor(3, survive_region_loss=False)) == 3.0
    with pytest.raises(ValueError, match="regions >= 2"):
        pl.multi_region_factor(1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(requests_per_s=-1.0), r"requests_per_s must be >= 0 and finite, got -1.0"),
    (dict(requests_per_s=1.0, peak_to_average=0.5), r"peak_to_average must be >= 1"),
    (dict(requests_per_s=1.0, output_tokens=0), r"output_tokens must be >= 1"),
    (dict(requests_per_s=float("nan")), r"requests_per_s must not contain NaN"),
])
def test_bad_workload(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pl.Workload(**kwargs)


def test_bad_multipliers_and_config():
    with pytest.raises(ValueError, match="regions must be a whole number"):
        pl.Multipliers(regions=1.5)
    with pytest.raises(ValueError, match="redundancy must be >= 1"):
        pl.Multipliers(redundancy=0.5)
    with pytest.raises(ValueError, match="unknown model"):
        pl.ReplicaConfig(model="llama-9b")


def test_latency_target_out_of_reach():
    w = pl.Workload(requests_per_s=1)
    with pytest.raises(ValueError, match=r"ms per token, above the 1.0 ms target"):
        pl.plan(w, pl.ReplicaConfig(model="llama-3-70b", n_devices=2, max_seconds_per_output_token=1e-3))


def test_ttft_target_out_of_reach():
    w = pl.Workload(requests_per_s=1, input_tokens=100_000, output_tokens=100)
    with pytest.raises(ValueError, match="time to first token"):
        pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", max_seconds_to_first_token=0.5))


def test_fleet_vectorized_matches_plan():
    w = pl.Workload(requests_per_s=1.0, peak_to_average=2.5, input_tokens=800, output_tokens=300)
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4)
    m = pl.Multipliers(peak_buffer=1.2, redundancy=1.5, regions=2, development=0.25)
    rates = np.array([0.0, 0.3, 3.0, 40.0, 900.0])
    f = pl.fleet(w, cfg, m, rates)
    for i, r in enumerate(rates):
        p = pl.plan(pl.Workload(requests_per_s=r, peak_to_average=2.5, input_tokens=800, output_tokens=300), cfg, m)
        assert f["devices"][i] == p.devices and f["usd_per_month"][i] == pytest.approx(p.usd_per_month, rel=1e-12)
    with pytest.raises(ValueError, match="requests_per_s must be >= 0"):
        pl.fleet(w, cfg, m, [1.0, -2.0])


def test_plan_mixture_sums_fleets_and_keeps_minimums():
    w = pl.Workload(requests_per_s=0.05, peak_to_average=3)
    small = pl.ReplicaConfig(model="llama-3-8b")
    large = pl.ReplicaConfig(model="llama-3-70b", n_devices=4)
    plans, devices, usd = pl.plan_mixture(w, [(0.7, small), (0.3, large)])
    # at negligible traffic each fleet is its minimum: 1 + 4 devices, more than large alone (4)
    assert devices == 1 + 4 and devices > pl.plan(w, large).devices
    assert usd == pytest.approx(sum(p.usd_per_month for p in plans))
    assert plans[0].workload.requests_per_s == pytest.approx(0.035)
    with pytest.raises(ValueError, match="shares must add up to 1"):
        pl.plan_mixture(w, [(0.7, small), (0.4, large)])


def test_step_time_by_hand():
    # Llama 3 8B bf16 on one H100, 1000 in / 250 out: memory caps the batch at 341 (see above:
    # 55.939e9 B free / (1250 x 131,072 B) = 341.4). A decode step reads the matmul weights
    # (8,030,261,248 - the 128,256 x 4096 input embedding, which is looked up, not read - the
    # norm weights 65 x 4096 = 266,240 -> 7,504,658,432 parameters x 2 B) plus 341 caches at the
    # mean context 1125: (15.009317e9 + 341 x 1125 x 131,072) / 3.35e12 = 19.490 ms.
    w = pl.Workload(requests_per_s=1, input_tokens=1000, output_tokens=250)
    p = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b"))
    assert p.batch == 341 and p.batch_limit == "memory"
    assert p.step_seconds == pytest.approx((2 * 7_504_658_432 + 341 * 1125 * 131_072) / 3.35e12, rel=1e-9)


def test_derated_config_halves_the_replica_rate():
    # eta = 0.5 doubles both the decode step and the (compute-bound) prefill; the batch stays
    # memory-limited (39 ms < 50 ms), so R = 1/(t_out t/b + p) halves exactly.
    w = pl.Workload(requests_per_s=1, input_tokens=1000, output_tokens=250)
    cfg = pl.ReplicaConfig(model="llama-3-8b")
    bound, real = pl.plan(w, cfg), pl.plan(w, cfg.derated(0.5))
    assert real.batch == bound.batch
    assert real.step_seconds == pytest.approx(2 * bound.step_seconds, rel=1e-12)
    assert real.replica_requests_per_s == pytest.approx(bound.replica_requests_per_s / 2, rel=1e-12)
    assert cfg.derated(0.5).derated(0.5).bandwidth_utilization == 0.25
    with pytest.raises(ValueError, match="efficiency must lie in"):
        cfg.derated(1.5)
