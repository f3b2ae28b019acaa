"""Deployment planner: fleet covers peak load, multipliers applied explicitly, bad inputs rejected."""

import math

import numpy as np
import pytest

from inferecon.planning import planner as pl
from inferecon.serving.roofline import decode_compute_seconds, decode_step_seconds


def test_hours_per_month():
    # 365 d x 24 h / 12 = 730 h
    assert pl.HOURS_PER_MONTH == pytest.approx(730.0, rel=1e-12)


def test_ideal_replica_adds_up():
    r = pl.ideal_replica("h100-sxm", 4)
    # capacity as the H100 reports it: 4 x 81,559 MiB = 342.08e9 B (issue 14 item 1)
    assert r.hbm_bytes_per_s == pytest.approx(4 * 3.35e12) and r.hbm_bytes == pytest.approx(4 * 81_559 * 2**20)
    assert r.peak_flop_per_s("bf16") == pytest.approx(4 * 989.4e12) and r.price_usd_per_hour == 8.0
    assert pl.ideal_replica("h100-sxm", 1).id == "h100-sxm"


def test_planner_batch_memory_limit_by_hand():
    # Llama 3 8B bf16 on H100 (81,559 MiB reported), 10% reserved:
    # free = 0.9 x 85.521e9 - 2 * 8,030,261,248 = 60.908e9 B;
    # a request ends at 4000 + 96 = 4096 tokens holding 4096 * 131,072 B = 536.9 MB -> 113
    w = pl.Workload(requests_per_s=1, input_tokens=4000, output_tokens=96)
    p = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", max_seconds_per_output_token=1.0))
    assert p.batch == 113 and p.batch_limit == "memory"


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
    # the chosen batch meets the latency target with its prefill pauses; one more sequence
    # would break it (or memory)
    assert p.step_seconds <= p.seconds_per_output_token <= cfg.max_seconds_per_output_token
    if p.batch_limit == "latency":
        t_next = decode_step_seconds(cfg.replica, cfg.model, p.batch + 1, w.mean_context_tokens,
                                     **cfg.roofline_kw(), hbm_fraction=1.0)
        tau = pl.seconds_per_output_token(t_next, p.batch + 1, p.prefill_seconds, w.output_tokens)
        assert float(tau) > cfg.max_seconds_per_output_token


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
    (dict(requests_per_s=float("nan")), r"Workload.requests_per_s must be >= 0 and finite, got nan"),
    (dict(requests_per_s="10"), r"Workload.requests_per_s must be a number, got '10'"),
    (dict(requests_per_s=1.0, input_tokens=float("inf")), r"Workload.input_tokens must be >= 0 and finite"),
    (dict(requests_per_s=1.0, output_tokens=None), r"Workload.output_tokens must be a number, got None"),
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
        pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", max_seconds_to_first_token=0.5,
                                    max_seconds_per_output_token=10.0))


def test_fleet_vectorized_matches_plan():
    w = pl.Workload(requests_per_s=1.0, peak_to_average=2.5, input_tokens=800, output_tokens=300)
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4)
    m = pl.Multipliers(peak_buffer=1.2, redundancy=1.5, regions=2, development=0.25)
    rates = np.array([0.0, 0.3, 3.0, 40.0, 900.0])
    f = pl.fleet(w, cfg, m, rates)
    for i, r in enumerate(rates):
        p = pl.plan(pl.Workload(requests_per_s=r, peak_to_average=2.5, input_tokens=800, output_tokens=300), cfg, m)
        assert f.devices[i] == p.devices and f.usd_per_month[i] == pytest.approx(p.usd_per_month, rel=1e-12)
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
    # Llama 3 8B bf16 on one H100, 1000 in / 250 out: memory caps the batch at 371 (see above:
    # 60.908e9 B free / (1250 x 131,072 B) = 371.8). A decode step reads the matmul weights
    # (8,030,261,248 - the 128,256 x 4096 input embedding, which is looked up, not read - the
    # norm weights 65 x 4096 = 266,240 -> 7,504,658,432 parameters x 2 B) plus 371 caches at the
    # mean context 1125: (15.009317e9 + 371 x 1125 x 131,072) / 3.35e12 = 20.811 ms.
    w = pl.Workload(requests_per_s=1, input_tokens=1000, output_tokens=250)
    p = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b"))
    assert p.batch == 371 and p.batch_limit == "memory"
    assert p.step_seconds == pytest.approx((2 * 7_504_658_432 + 371 * 1125 * 131_072) / 3.35e12, rel=1e-9)


def test_derated_config_halves_the_replica_rate():
    # eta = 0.5 doubles both the decode step and the (compute-bound) prefill, so the time per
    # token with interleaved prefill doubles too (to about 87 ms); with a 100 ms target the batch
    # stays memory-limited, so R = 1/(t_out t/b + p) halves exactly.
    w = pl.Workload(requests_per_s=1, input_tokens=1000, output_tokens=250)
    cfg = pl.ReplicaConfig(model="llama-3-8b", max_seconds_per_output_token=0.1)
    bound, real = pl.plan(w, cfg), pl.plan(w, cfg.derated(0.5))
    assert real.batch == bound.batch
    assert real.step_seconds == pytest.approx(2 * bound.step_seconds, rel=1e-12)
    assert real.replica_requests_per_s == pytest.approx(bound.replica_requests_per_s / 2, rel=1e-12)
    assert cfg.derated(0.5).derated(0.5).bandwidth_utilization == 0.25
    with pytest.raises(ValueError, match="efficiency must lie in"):
        cfg.derated(1.5)


# --- prefill scheduling (issue 14, item 8) -------------------------------------------------

def test_interleaved_prefill_slows_every_token_by_hand():
    # The plan the planner used to recommend for Llama 3 70B bf16 on 4 H100s (1000 in / 250 out):
    # batch 358, 20 ms decode steps, 35 ms of batched prefill per request. Its rate is
    # 1/(250 x 0.020/358 + 0.035) = 1/(0.013966 + 0.035) = 20.42 requests/s, so prefill takes
    # 20.42 x 0.035 = 0.715 s of every second; a token then takes 0.020/(1 - 0.715) = 70.0 ms
    # (= 20 + 358 x 35/250 = 70.1 ms), not 20; at 80% load 0.020/(1 - 0.8 x 0.715) = 46.7 ms.
    rate = 1 / (250 * 0.020 / 358 + 0.035)
    assert float(pl.replica_requests_per_second(0.020, 358, 0.035, 250)) == pytest.approx(rate, rel=1e-12)
    assert rate * 0.035 == pytest.approx(0.715, abs=1e-3)
    full = float(pl.seconds_per_output_token(0.020, 358, 0.035, 250))
    assert full == pytest.approx(0.020 + 358 * 0.035 / 250, rel=1e-12) == pytest.approx(0.0701, abs=1e-4)
    assert full > 0.050   # the old plan misses its own 50 ms target
    at80 = float(pl.seconds_per_output_token(0.020, 358, 0.035, 250, load=0.8))
    assert at80 == pytest.approx(0.020 / (1 - 0.8 * 0.035 * rate), rel=1e-12)
    assert at80 == pytest.approx(0.0467, abs=1e-4)
    # separate prefill replicas: the decode batch is never paused
    assert float(pl.seconds_per_output_token(0.020, 358, 0.035, 250, "disaggregated")) == 0.020
    # ideal chunked prefill: the step also does the 358/250 new prompts' arithmetic beside its
    # own 12.7 ms: max(20, 12.7 + 1.432 x 35) = 62.8 ms
    assert float(pl.seconds_per_output_token(0.020, 358, 0.035, 250, "chunked", compute_seconds=0.0127)) \
        == pytest.approx(0.0127 + 358 / 250 * 0.035, rel=1e-12)


SHAPE = pl.Workload(requests_per_s=1.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250)


@pytest.mark.parametrize("scheduling", pl.PREFILL_SCHEDULES)
def test_plan_meets_its_target_under_its_scheduling(scheduling):
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4, prefill_scheduling=scheduling)
    p = pl.plan(SHAPE, cfg)
    assert p.prefill_scheduling == scheduling
    comp = float(decode_compute_seconds(cfg.replica, cfg.model, p.batch, SHAPE.mean_context_tokens))
    tau = float(pl.seconds_per_output_token(p.step_seconds, p.batch, p.prefill_seconds, 250, scheduling,
                                            compute_seconds=comp))
    assert tau == pytest.approx(p.seconds_per_output_token, rel=1e-12) and tau <= 0.050
    if p.batch_limit == "latency":   # one more sequence would miss the target
        step1 = float(decode_step_seconds(cfg.replica, cfg.model, p.batch + 1, SHAPE.mean_context_tokens))
        comp1 = float(decode_compute_seconds(cfg.replica, cfg.model, p.batch + 1, SHAPE.mean_context_tokens))
        assert float(pl.seconds_per_output_token(step1, p.batch + 1, p.prefill_seconds, 250, scheduling,
                                                 compute_seconds=comp1)) > 0.050


def test_default_is_interleaved_and_smaller_than_the_decode_only_batch():
    assert pl.ReplicaConfig(model="llama-3-8b").prefill_scheduling == pl.DEFAULT_PREFILL_SCHEDULING == "interleaved"
    inter = pl.plan(SHAPE, pl.ReplicaConfig(model="llama-3-70b", n_devices=4))
    dis = pl.plan(SHAPE, pl.ReplicaConfig(model="llama-3-70b", n_devices=4, prefill_scheduling="disaggregated"))
    # counting the pauses, the latency target binds well before memory does
    assert inter.batch_limit == "latency" and inter.batch < dis.batch
    assert inter.seconds_per_output_token <= 0.050 < inter.step_seconds + inter.batch * inter.prefill_seconds / 200


def test_disaggregated_fleet_is_two_pools():
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4, prefill_scheduling="disaggregated")
    w = pl.Workload(requests_per_s=10.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250)
    p = pl.plan(w, cfg)
    decode_rate = p.batch / (250 * p.step_seconds)
    prefill_rate = 1 / p.prefill_seconds
    assert p.replicas_for_peak == math.ceil(30 / decode_rate) + math.ceil(30 / prefill_rate)
    # at no traffic each pool keeps one replica
    assert pl.plan(pl.Workload(requests_per_s=0.0), cfg).replicas == 2


def test_bad_scheduling():
    with pytest.raises(ValueError, match="prefill_scheduling must be one of interleaved, chunked, disaggregated"):
        pl.ReplicaConfig(model="llama-3-8b", prefill_scheduling="overlapped")
    with pytest.raises(ValueError, match="scheduling must be one of"):
        pl.seconds_per_output_token(0.02, 10, 0.03, 100, "fifo")
    with pytest.raises(ValueError, match="chunked scheduling needs compute_seconds"):
        pl.seconds_per_output_token(0.02, 10, 0.03, 100, "chunked")


@pytest.mark.parametrize("scheduling", pl.PREFILL_SCHEDULES)
def test_fleet_vectorized_matches_plan_for_every_scheduling(scheduling):
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4, prefill_scheduling=scheduling)
    m = pl.Multipliers(peak_buffer=1.25, redundancy=1.5)
    rates = np.array([0.0, 2.0, 37.0, 450.0])
    f = pl.fleet(SHAPE, cfg, m, rates)
    for i, r in enumerate(rates):
        p = pl.plan(pl.Workload(requests_per_s=r, peak_to_average=3.0, input_tokens=1000, output_tokens=250), cfg, m)
        assert f.devices[i] == p.devices
        assert p.capacity_requests_per_s >= r * 3.0 * 1.25 - 1e-9
