"""The network side of the serving model as a library (issue 15).

The caller's accelerator is used as given; catalogue ids get the constant set's overrides; one
argument order (accelerator, model); one Pareto rule; results say what bounds them; bad input is
refused with a ValueError naming the argument. Expected values are worked by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import numpy as np
import pytest
from _reference_step import reference_model, reference_token_seconds

import inferecon as ie
from inferecon.levers import speculative as sd
from inferecon.planning import planner as pl
from inferecon.serving import closed_forms, frontier
from inferecon.serving import parallelism as par
from inferecon.serving.constants import BOUNDS, describe_infeasible, get_constants
from inferecon.specs.deployment import deployment

H100 = ie.get_accelerator("h100-sxm")          # the catalogue's H100: 989 TFLOP/s, 3.35 TB/s, $2.00/h


# ----------------------------------------------------------------------------- the caller's accelerator
def test_sweep_cost_scales_exactly_with_the_callers_price():
    # $/M = 1e6 N T price / (3600 b): T does not depend on the price, so $20/h costs exactly 10x $2/h
    at_2 = frontier.sweep(replace(H100, price_usd_per_hour=2.0), "llama-3-8b", max_devices=8, n_batches=12)
    at_20 = frontier.sweep(replace(H100, price_usd_per_hour=20.0), "llama-3-8b", max_devices=8, n_batches=12)
    ok = at_2.feasible
    assert ok.any() and np.array_equal(ok, at_20.feasible)
    assert np.array_equal(at_2.token_seconds, at_20.token_seconds)
    np.testing.assert_allclose(at_20.usd_per_million_tokens[ok], 10.0 * at_2.usd_per_million_tokens[ok],
                               rtol=1e-12)
    assert at_20.frontier().min_cost == pytest.approx(10.0 * at_2.frontier().min_cost, rel=1e-12)
    assert at_20.deployment.price_usd_per_hour == 20.0
    # one configuration by hand: tp = 1, batch 1 -> 1e6 x T x 20 / 3600
    k = int(np.flatnonzero((at_20.n_devices == 1) & (at_20.batch == 1))[0])
    assert at_20.usd_per_million_tokens[k] == pytest.approx(1e6 * at_20.token_seconds[k] * 20.0 / 3600,
                                                            rel=1e-12)


def test_step_time_falls_with_the_callers_bandwidth():
    # Llama 3 8B, one device, batch 1: memory bound. The memory term is
    # (2 B x 8.03e9 matmul weights + activations) / (0.75 x B_HBM), exactly 10x smaller at 10 TB/s.
    m = ie.get_model("llama-3-8b")
    slow = par.decode_step_breakdown(replace(H100, hbm_bytes_per_s=1e12), "llama-3-8b", 1)
    fast = par.decode_step_breakdown(replace(H100, hbm_bytes_per_s=10e12), "llama-3-8b", 1)
    assert str(slow.bound) == "memory" and str(fast.bound) == "memory"
    assert float(slow.memory_seconds) == pytest.approx(10.0 * float(fast.memory_seconds), rel=1e-12)
    weights_only = 2.0 * m.matmul_params / (0.75 * 1e12)                  # 21.4 ms
    assert float(slow.memory_seconds) == pytest.approx(weights_only, rel=0.02)   # activations add < 2%
    # kernel launches (32 layers x 4 x 4 us = 0.512 ms) do not depend on the bandwidth
    assert float(slow.kernel_seconds) == pytest.approx(32 * 4 * 4e-6, rel=1e-12)
    assert float(slow.token_seconds - fast.token_seconds) == pytest.approx(
        0.9 * float(slow.memory_seconds), rel=1e-12)


def test_catalogue_id_under_paper_gets_erdils_overrides_but_an_object_does_not():
    sw = frontier.sweep("h100-sxm", "llama-3-70b", device_counts=[8], batches=[1])
    acc = sw.deployment.accelerator
    assert (acc.peak_flop_per_s("bf16"), acc.hbm_bytes_per_s, acc.hbm_bytes) == (1e15, 3.3e12, 80e9)
    assert sw.deployment.price_usd_per_hour == 2.0
    assert (sw.deployment.flop_utilization, sw.deployment.bandwidth_utilization) == (0.7, 0.75)
    # the same chip passed as an object is the catalogue's (3.35 TB/s), with the set's utilizations
    by_id = par.decode_step_breakdown("h100-sxm", "llama-3-8b", 1)
    by_obj = par.decode_step_breakdown(H100, "llama-3-8b", 1)
    assert by_obj.deployment.accelerator is H100
    assert float(by_id.memory_seconds) == pytest.approx(float(by_obj.memory_seconds) * 3.35e12 / 3.3e12,
                                                        rel=1e-12)
    # the notebook set's H100 is priced at 3.15 x 2/3 = $2.10/h
    nb = frontier.sweep("h100-sxm", "llama-3-8b", constants="erdil-code", device_counts=[1], batches=[1])
    assert nb.deployment.price_usd_per_hour == pytest.approx(2.10)
    # ConstantSet.accelerator passes objects through untouched
    assert get_constants("erdil-paper").accelerator(H100) is H100


def test_a_whole_deployment_is_used_as_given():
    # a Deployment at $20/h and 50% bandwidth: its own price and utilizations, not the set's
    dep = deployment(H100, "llama-3-8b", price_usd_per_hour=20.0, bandwidth_utilization=0.5)
    out = par.decode_step_breakdown(dep, batch=1)
    assert out.deployment.bandwidth_utilization == 0.5
    ref = par.decode_step_breakdown(H100, "llama-3-8b", 1)             # paper set: 75%
    assert float(out.memory_seconds) == pytest.approx(float(ref.memory_seconds) * 0.75 / 0.5, rel=1e-12)
    assert float(out.usd_per_million_tokens) == pytest.approx(1e6 * float(out.token_seconds) * 20.0 / 3600,
                                                              rel=1e-12)
    with pytest.raises(ValueError, match="either a Deployment or an"):
        par.decode_step_breakdown(dep, "llama-3-8b", 1)


def test_closed_form_uses_the_callers_bandwidth():
    # eq. 14 with p N / B from the object: 2 x matmul params / (0.75 x 10 TB/s)
    m = ie.get_model("llama-3-70b")
    got = closed_forms.model_min_token_latency_seconds(replace(H100, hbm_bytes_per_s=10e12), "llama-3-70b")
    want = float(closed_forms.min_token_latency_seconds(m.matmul_params, 2.0, 80, 4, 0.75 * 10e12))
    assert got == pytest.approx(want, rel=1e-12)
    assert got < closed_forms.model_min_token_latency_seconds("h100-sxm", "llama-3-70b")


def test_planner_prices_the_callers_accelerator():
    # same replica (same step time, batch, fleet); the monthly bill is devices x price x 730 h
    w = pl.Workload(requests_per_s=5.0)
    p2 = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", accelerator=replace(H100, price_usd_per_hour=2.0)))
    p20 = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", accelerator=replace(H100, price_usd_per_hour=20.0)))
    assert (p2.batch, p2.devices, p2.step_seconds) == (p20.batch, p20.devices, p20.step_seconds)
    assert p20.usd_per_month == pytest.approx(p20.devices * 20.0 * 730.0, rel=1e-12)
    assert p20.usd_per_month == pytest.approx(10 * p2.usd_per_month, rel=1e-12)
    # a price on the config replaces the accelerator's
    p_over = pl.plan(w, pl.ReplicaConfig(model="llama-3-8b", price_usd_per_hour=20.0))
    assert p_over.usd_per_month == pytest.approx(p20.usd_per_month, rel=1e-12)


def test_replica_config_carries_one_deployment():
    cfg = pl.ReplicaConfig(model="llama-3-70b", n_devices=4, weight_format="fp8", reserve_fraction=0.2)
    dep = cfg.deployment
    assert dep.n_devices == 4 and dep.weight_format.id == "fp8" and dep.hbm_fraction == pytest.approx(0.8)
    assert dep.model is ie.get_model("llama-3-70b")
    # derating rebuilds it with both utilizations scaled
    assert cfg.derated(0.5).deployment.bandwidth_utilization == pytest.approx(0.5)
    # the plan says what limits the batch and what bounds the step
    p = pl.plan(pl.Workload(requests_per_s=1.0), cfg)
    assert p.batch_limit in ("latency", "memory", "max_batch") and p.step_bound in ("memory", "compute")


# ----------------------------------------------------------------------------- argument order
def test_accelerator_comes_first_everywhere():
    with pytest.raises(ValueError, match="swap them"):
        frontier.sweep("llama-3-70b", "h100-sxm")
    with pytest.raises(ValueError, match="swap them"):
        par.decode_step_breakdown("llama-3-8b", "h100-sxm", 1)
    with pytest.raises(ValueError, match="swap them"):
        closed_forms.model_min_token_latency_seconds("llama-3-8b", "h100-sxm")
    # 8 devices for Llama 3 70B (64 heads, d_model 8192, 80 layers, dense): pp in {1, 2, 4, 8},
    # tp = 8/pp, tp_heads any divisor of tp: 4 + 3 + 2 + 1 = 10 splits
    conf = frontier.structural_configurations("h100-sxm", "llama-3-70b", [8])
    assert conf.size == 10 and set(conf.pp.tolist()) == {1, 2, 4, 8} and set(conf.ep.tolist()) == {1}


# ----------------------------------------------------------------------------- what bounds a result
def test_step_breakdown_names_its_bound():
    assert str(par.decode_step_breakdown("h100-sxm", "llama-3-8b", 1).bound) == "memory"
    # batch 4096 on one device: 4096 x 2 x 7.5e9 FLOP / 0.7e15 = 88 ms of arithmetic against about
    # 6.5 ms of weights and 7 ms of activations
    big = par.decode_step_breakdown("h100-sxm", "llama-3-8b", 4096)
    assert str(big.bound) == "compute"
    # 64 devices over 8 nodes at batch 1: 64 all-reduces of about 45 us (3 ms) against 0.1 ms of reads
    wide = par.decode_step_breakdown("h100-sxm", "llama-3-8b", 1, tp=64, tp_heads=8)
    assert str(wide.bound) == "network"
    assert float(wide.collective_seconds) > 10 * float(wide.memory_seconds)
    assert set(BOUNDS) >= {"memory", "compute", "network", "pipeline", "kernel launch", "infeasible"}


def test_infeasible_points_carry_their_reason_and_no_price():
    out = par.evaluate_configurations("h100-sxm", "llama-3-70b", tp=np.array([1, 8]), tp_heads=np.array([1,
                                                                                                         8]),
                                      pp=1, ep=1, batch=1)
    assert out.feasible.tolist() == [False, True]
    assert out.bound.tolist()[0] == "infeasible" and math.isinf(out.usd_per_million_tokens[0])
    # 70.55e9 parameters x 2 bytes = 141.1 GB on one 80 GB device (paper set: all of it usable)
    assert out.reason_text[0] == ("weights and KV cache do not fit in HBM "
                                  "(needs 141.1 GB per device, may use 80.0 GB)")
    assert out.reason_text[1] == ""
    sw = frontier.sweep("h100-sxm", "llama-3-70b", device_counts=[1, 8], batches=[1])
    i = int(np.flatnonzero(sw.n_devices == 1)[0])
    assert "141.1 GB" in sw.reason_text(i) and sw.row(i)["bound"] == "infeasible"
    with pytest.raises(ValueError, match="needs 141.1 GB per device, may use 80.0 GB"):
        par.decode_step_breakdown("h100-sxm", "llama-3-70b", 1)


def test_empty_frontier_says_why():
    sw = frontier.sweep("h100-sxm", "llama-3.1-405b", device_counts=[1], batches=[1])
    assert not sw.feasible.any()
    with pytest.raises(ValueError, match="frontier is empty.*do not fit in HBM"):
        _ = sw.frontier().min_cost


# ----------------------------------------------------------------------------- one Pareto rule
def test_speculative_pareto_front_is_the_frontier_rule():
    # by hand: (speed, cost) = (1, 1), (2, 1) dominates (1, 1); (2, 3) dominated by (2, 1);
    # (3, 2) kept; (3, 2) duplicate kept once; (0.5, 0.5) kept
    speed = [1.0, 2.0, 2.0, 3.0, 3.0, 0.5]
    cost = [1.0, 1.0, 3.0, 2.0, 2.0, 0.5]
    s, c = sd.pareto_front(speed, cost)
    assert s.tolist() == [0.5, 2.0, 3.0] and c.tolist() == [0.5, 1.0, 2.0]
    rng = np.random.default_rng(3)
    v, k = rng.integers(1, 30, 400).astype(float), rng.integers(1, 30, 400).astype(float)
    s, c = sd.pareto_front(v, k)
    mask = frontier.pareto_mask(v, k)
    assert sorted(zip(s.tolist(), c.tolist())) == sorted(zip(v[mask].tolist(), k[mask].tolist()))
    with pytest.raises(ValueError, match="same length"):
        sd.pareto_front([1.0, 2.0], [1.0])


def test_speculative_frontier_is_a_frozen_result_with_its_bounds():
    acc = pl.ideal_replica("h100-sxm", 8)
    f = sd.frontier(acc, "llama-3-70b", "llama-3-8b", 0.8, 1000, np.arange(1.0, 257.0), weight_format="int8")
    assert isinstance(f, sd.SpeculativeFrontier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.acceptance = 0.5  # type: ignore[misc]
    assert np.all(np.diff(f.spec_speed) > 0) and np.all(np.diff(f.spec_cost) > 0)
    assert f.spec_batch.size == f.spec_speed.size == f.spec_draft_tokens.size == f.spec_bound.size
    assert set(f.plain_bound.tolist()) <= {"memory", "compute"}
    # the slowest plain point is the largest batch, the fastest is batch 1 (memory bound)
    assert f.plain_batch[-1] == 1.0 and f.plain_bound[-1] == "memory"
    with pytest.raises(ValueError, match="must be a SpeculativeFrontier"):
        sd.fixed_cost_speed_gain({"plain_speed": f.plain_speed}, 1.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- bad input
def test_sweep_refuses_empty_and_non_numeric_input():
    with pytest.raises(ValueError, match="batches must not be empty"):
        frontier.sweep("h100-sxm", "llama-3-8b", batches=[])
    with pytest.raises(ValueError, match="device_counts must not be empty"):
        frontier.sweep("h100-sxm", "llama-3-8b", device_counts=[])
    with pytest.raises(ValueError, match="batches must be a number or an array of numbers"):
        frontier.sweep("h100-sxm", "llama-3-8b", batches=["10"])
    with pytest.raises(ValueError, match="context_tokens must be a number, got '10'"):
        frontier.sweep("h100-sxm", "llama-3-8b", context_tokens="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="context_tokens must be >= 0"):
        frontier.sweep("h100-sxm", "llama-3-8b", context_tokens=-1.0)
    with pytest.raises(ValueError, match="context_tokens must be >= 0 and finite"):
        frontier.sweep("h100-sxm", "llama-3-8b", context_tokens=math.inf)
    with pytest.raises(ValueError, match="n_devices must be >= 1"):
        frontier.best_split("h100-sxm", "llama-3-8b", 0, [1])
    with pytest.raises(ValueError, match="batch must be a number or an array of numbers"):
        par.decode_step_breakdown("h100-sxm", "llama-3-8b", "8")
    with pytest.raises(ValueError, match="reason must be a whole number >= 0"):
        describe_infeasible(-1)


def test_scalar_and_one_element_array_agree():
    a = par.decode_step_breakdown("h100-sxm", "llama-3-8b", 8, 1000.0)
    b = par.decode_step_breakdown("h100-sxm", "llama-3-8b", [8], [1000.0])
    assert float(a.token_seconds) == float(b.token_seconds[0])
    assert str(a.bound) == str(b.bound[0])


def test_reference_model_lives_in_tests_and_refuses_bad_context():
    assert not hasattr(par, "reference_model") and not hasattr(par, "reference_token_seconds")
    with pytest.raises(ValueError, match="context_tokens must be a finite number >= 0"):
        reference_token_seconds("h100-sxm", "llama-3-8b", tp=1, tp_heads=1, pp=1, ep=1, batch=1,
                                context_tokens=-5)
    with pytest.raises(ValueError, match="batch must be a whole number >= 1"):
        reference_model("h100-sxm", "llama-3-8b")(1, 1, 1, 1, 0)
    # and agrees with the vectorized model on the DGX example (10.75 ms, see test_parallelism)
    t = reference_token_seconds("h100-sxm", "llama-3-70b", tp=8, tp_heads=8, pp=1, ep=1, batch=1)
    assert t == pytest.approx(float(par.decode_step_breakdown("h100-sxm", "llama-3-70b", 1,
                                                              tp=8).token_seconds),
                              rel=1e-12)


@pytest.mark.parametrize("field,value,match", [
    ("requests_per_s", "10", r"Workload\.requests_per_s must be a number, got '10' \(str\)"),
    ("peak_to_average", "3", r"Workload\.peak_to_average must be a number"),
    ("input_tokens", -1.0, r"Workload\.input_tokens must be >= 0 and finite, got -1\.0"),
    ("output_tokens", math.nan, r"Workload\.output_tokens must be >= 1 and finite, got nan"),
    ("requests_per_s", math.inf, r"Workload\.requests_per_s must be >= 0 and finite, got inf"),
    ("output_tokens", True, r"Workload\.output_tokens must be a number, got True"),
])
def test_workload_refuses_non_numbers(field, value, match):
    kw = {"requests_per_s": 1.0, field: value}
    with pytest.raises(ValueError, match=match):
        pl.Workload(**kw)


def test_replica_config_and_multipliers_refuse_non_numbers():
    with pytest.raises(ValueError, match=r"ReplicaConfig\.n_devices must be a number, got '4'"):
        pl.ReplicaConfig(model="llama-3-8b", n_devices="4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ReplicaConfig\.price_usd_per_hour must be >= 0 and finite"):
        pl.ReplicaConfig(model="llama-3-8b", price_usd_per_hour=math.nan)
    with pytest.raises(ValueError, match=r"Multipliers\.regions must be a number"):
        pl.Multipliers(regions="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="requests_per_s must be a non-empty array"):
        pl.fleet(pl.Workload(requests_per_s=1.0), pl.ReplicaConfig(model="llama-3-8b"), None, [])
