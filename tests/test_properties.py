"""Properties of the public API that must hold for every valid input, checked with Hypothesis.

Each property is one a wrong model would break: a cost that is not linear in the price, a step
that gets faster with more context, a compute-optimal split that does not spend the budget, a
validator that lets a numeric string through. Draws stay inside configurations that fit in
memory (Llama 3 8B on one H100, batch <= 64, context <= 8192; the 8B/70B/405B family on eight
H100s in FP8), so that every drawn case has a time and a price.

The examples per property are bounded so that the whole file runs in a few seconds on two cores.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inferecon.levers import quantization, routing
from inferecon.serving import costs, memory, roofline
from inferecon.specs.hardware import get_accelerator
from inferecon.specs.models import get_model
from inferecon.specs.precision import get_format, group_quantized_bytes
from inferecon.training import distillation, lifecycle, lifetime, scaling
from inferecon.training.scaling import FITS
from inferecon.validation import predictions

FAST = settings(max_examples=40, deadline=None)
SLOW = settings(max_examples=15, deadline=None)

H100 = get_accelerator("h100-sxm")
LLAMA_8B = get_model("llama-3-8b")

batches = st.integers(min_value=1, max_value=32)  # 32 x 8,192 tokens of KV + 16 GB of weights fit on one H100
contexts = st.integers(min_value=0, max_value=8192)
prices = st.floats(min_value=0.05, max_value=100.0, allow_nan=False, allow_infinity=False)
utilizations = st.floats(min_value=0.05, max_value=1.0)
fits = st.sampled_from(sorted(FITS))
params = st.floats(min_value=1e7, max_value=1e13)
tokens = st.floats(min_value=1e8, max_value=1e15)
flops = st.floats(min_value=1e18, max_value=1e28)
unit = st.floats(min_value=0.0, max_value=1.0)


def _f(x: Any) -> float:
    return float(np.asarray(x).reshape(()))


# ------------------------------------------------------------------ cost and roofline
@FAST
@given(batch=batches, context=contexts, price=prices, k=st.floats(min_value=0.1, max_value=50.0))
def test_cost_per_token_is_linear_in_price(batch: int, context: int, price: float, k: float) -> None:
    c1 = _f(costs.decode_usd_per_million_tokens(H100, LLAMA_8B, batch, context, price_usd_per_hour=price))
    ck = _f(costs.decode_usd_per_million_tokens(H100, LLAMA_8B, batch, context, price_usd_per_hour=k * price))
    assert ck == pytest.approx(k * c1, rel=1e-12)
    # ... and it is the rent of one step shared by the batch: 1e6 t P / (3600 b).
    t = _f(roofline.decode_step_seconds(H100, LLAMA_8B, batch, context))
    assert c1 == pytest.approx(1e6 * t * price / 3600.0 / batch, rel=1e-12)


@FAST
@given(batch=batches, c1=contexts, c2=contexts, fmt=st.sampled_from(["bf16", "fp8", "int4-g128"]))
def test_step_time_non_decreasing_in_context(batch: int, c1: int, c2: int, fmt: str) -> None:
    lo, hi = sorted((c1, c2))
    t_lo = _f(roofline.decode_step_seconds(H100, LLAMA_8B, batch, lo, weight_format=fmt))
    t_hi = _f(roofline.decode_step_seconds(H100, LLAMA_8B, batch, hi, weight_format=fmt))
    assert t_hi >= t_lo
    if hi > lo:  # every token of context adds KV bytes, so a memory-bound step gets strictly slower
        assert t_hi > t_lo


@FAST
@given(b1=batches, b2=batches, context=contexts, u=utilizations)
def test_step_time_non_decreasing_in_batch(b1: int, b2: int, context: int, u: float) -> None:
    lo, hi = sorted((b1, b2))
    t_lo = _f(roofline.decode_step_seconds(H100, LLAMA_8B, lo, context, flop_utilization=u))
    t_hi = _f(roofline.decode_step_seconds(H100, LLAMA_8B, hi, context, flop_utilization=u))
    assert t_hi >= t_lo
    # ... but never faster than linear: throughput b/t does not fall with the batch.
    assert hi / t_hi >= lo / t_lo * (1 - 1e-12)


@SLOW
@given(batch=st.integers(min_value=1, max_value=16), context=st.integers(min_value=0, max_value=4096))
def test_tokens_per_second_per_sequence_falls_with_model_size(batch: int, context: int) -> None:
    family = ["llama-3-8b", "llama-3-70b", "llama-3.1-405b"]
    speeds = [1.0 / _f(roofline.decode_step_seconds(H100, m, batch, context, weight_format="fp8",
                                                    n_devices=8)) for m in family]
    assert speeds[0] > speeds[1] > speeds[2]


@FAST
@given(model=st.sampled_from(["llama-3-8b", "llama-3-70b", "llama-2-7b", "mistral-large-2", "gpt-3-175b"]),
       acc=st.sampled_from(["a100-80gb-sxm", "h100-sxm", "h200-sxm", "mi300x"]),
       u=utilizations, n=st.integers(min_value=1, max_value=8))
def test_batch_one_step_reads_the_weights_once(model: str, acc: str, u: float, n: int) -> None:
    """batch 1, no context: a dense step is memory-bound and takes weight bytes / bandwidth."""
    m, a = get_model(model), get_accelerator(acc)
    n = max(n, int(memory.min_devices(a, m)))  # enough devices to hold the weights (else no step time)
    t = _f(roofline.decode_step_seconds(a, m, 1, 0, bandwidth_utilization=u, n_devices=n))
    weight_bytes = 2.0 * m.matmul_params  # bf16: 2 bytes per weight every token multiplies
    assert t == pytest.approx(weight_bytes / (n * u * a.hbm_bytes_per_s), rel=1e-12)
    assert t > 2.0 * m.active_matmul_params / (n * a.peak_flop_per_s("bf16"))  # arithmetic is shorter


@FAST
@given(batch=batches, context=contexts, u=utilizations)
def test_infinite_bandwidth_makes_the_step_compute_bound(batch: int, context: int, u: float) -> None:
    fast_memory = dataclasses.replace(H100, hbm_bytes_per_s=1e30)
    t = _f(roofline.decode_step_seconds(fast_memory, LLAMA_8B, batch, context, flop_utilization=u))
    m = LLAMA_8B
    flop_per_token = 2.0 * m.active_matmul_params + 4.0 * m.n_layers * m.n_heads * m.d_head * context
    assert t == pytest.approx(batch * flop_per_token / (u * 989.4e12), rel=1e-12)


@FAST
@given(batch=batches, context=contexts, k=st.floats(min_value=2.0, max_value=1e3))
def test_memory_bound_step_scales_inversely_with_bandwidth(batch: int, context: int, k: float) -> None:
    slow = dataclasses.replace(H100, hbm_bytes_per_s=H100.hbm_bytes_per_s / 1e3)  # surely memory-bound
    slower = dataclasses.replace(slow, hbm_bytes_per_s=slow.hbm_bytes_per_s / k)
    t1 = _f(roofline.decode_step_seconds(slow, LLAMA_8B, batch, context))
    t2 = _f(roofline.decode_step_seconds(slower, LLAMA_8B, batch, context))
    assert t2 == pytest.approx(k * t1, rel=1e-9)


# ------------------------------------------------------------------ training
@FAST
@given(fit=fits, n=params, d=tokens, k=st.floats(min_value=1.01, max_value=100.0))
def test_loss_decreases_in_params_and_tokens(fit: str, n: float, d: float, k: float) -> None:
    base = _f(scaling.loss(fit, n, d))
    assert _f(scaling.loss(fit, k * n, d)) < base
    assert _f(scaling.loss(fit, n, k * d)) < base
    assert base > FITS[fit].E


@FAST
@given(fit=fits, c=flops, k=st.floats(min_value=1.05, max_value=4.0))
def test_compute_optimal_split_spends_the_budget_and_minimizes_loss(fit: str, c: float, k: float) -> None:
    n = _f(scaling.compute_optimal_params(fit, c))
    d = _f(scaling.compute_optimal_tokens(fit, c))
    assert 6.0 * n * d == pytest.approx(c, rel=1e-9)  # C = 6ND
    best = _f(scaling.loss(fit, n, d))
    assert best == pytest.approx(_f(scaling.compute_optimal_loss(fit, c)), rel=1e-12)
    # any other split of the same budget is worse
    for m in (n * k, n / k):
        assert _f(scaling.loss(fit, m, c / (6.0 * m))) > best
    # a bigger budget buys a bigger model and more tokens
    assert _f(scaling.compute_optimal_params(fit, 2 * c)) > n
    assert _f(scaling.compute_optimal_tokens(fit, 2 * c)) > d


@FAST
@given(fit=fits, n=params)
def test_compute_optimal_flop_for_params_inverts_compute_optimal_params(fit: str, n: float) -> None:
    c = _f(scaling.compute_optimal_flop_for_params(fit, n))
    assert _f(scaling.compute_optimal_params(fit, c)) == pytest.approx(n, rel=1e-9)


@FAST
@given(fit=fits, n=st.floats(min_value=1e9, max_value=1e12), extra=st.floats(min_value=0.01, max_value=0.5))
def test_tokens_to_reach_loss_inverts_loss(fit: str, n: float, extra: float) -> None:
    target = _f(scaling.loss_floor(fit, n)) + extra
    d = _f(scaling.tokens_to_reach_loss(fit, n, target))
    assert _f(scaling.loss(fit, n, d)) == pytest.approx(target, rel=1e-9)


@FAST
@given(d1=tokens, d2=tokens, n=params, a=st.floats(min_value=0.0, max_value=1e9))
def test_crossover_tokens_monotone(d1: float, d2: float, n: float, a: float) -> None:
    lo, hi = sorted((d1, d2))
    assert _f(lifecycle.crossover_tokens(hi, n, a)) >= _f(lifecycle.crossover_tokens(lo, n, a))
    # without attention the crossover is 3D whatever N; attention brings it earlier
    assert _f(lifecycle.crossover_tokens(lo)) == pytest.approx(3.0 * lo, rel=1e-12)
    assert _f(lifecycle.crossover_tokens(lo, n, a)) <= 3.0 * lo * (1 + 1e-12)
    # at the crossover, inference and training compute are equal
    t = _f(lifecycle.crossover_tokens(lo, n, a))
    train = _f(lifecycle.training_flop(n, lo))
    assert _f(lifecycle.inference_flop(n, t, a)) == pytest.approx(train, rel=1e-9)


@FAST
@given(d=tokens, u_tr=st.floats(min_value=0.01, max_value=1.0), u1=st.floats(min_value=0.01, max_value=1.0),
       u2=st.floats(min_value=0.01, max_value=1.0))
def test_cost_crossover_monotone_in_utilization(d: float, u_tr: float, u1: float, u2: float) -> None:
    lo, hi = sorted((u1, u2))
    t_lo = _f(lifecycle.cost_crossover_tokens(d, u_tr, lo))
    t_hi = _f(lifecycle.cost_crossover_tokens(d, u_tr, hi))
    assert t_hi >= t_lo
    # equal utilizations: the cost crossover is the compute crossover
    assert _f(lifecycle.cost_crossover_tokens(d, u_tr, u_tr)) == pytest.approx(3.0 * d, rel=1e-12)


@FAST
@given(d=tokens, r1=st.floats(min_value=1.0, max_value=1e10), r2=st.floats(min_value=1.0, max_value=1e10),
       t=st.floats(min_value=1.0, max_value=1e5))
def test_crossover_days_falls_with_traffic(d: float, r1: float, r2: float, t: float) -> None:
    lo, hi = sorted((r1, r2))
    assert _f(lifecycle.crossover_days(d, hi, t)) <= _f(lifecycle.crossover_days(d, lo, t))
    assert _f(lifecycle.crossover_days(d, lo, t)) * lo * t == pytest.approx(3.0 * d, rel=1e-12)


@FAST
@given(n=params, d=tokens, mfu=st.floats(min_value=0.05, max_value=1.0), price=prices)
def test_training_cost_is_6nd_flop_at_the_rented_rate(n: float, d: float, mfu: float, price: float) -> None:
    usd = _f(distillation.training_cost_usd(n, d, H100, mfu=mfu, price_usd_per_hour=price))
    assert usd == pytest.approx(6.0 * n * d / (mfu * 989.4e12) * price / 3600.0, rel=1e-9)


# ------------------------------------------------------------------ routing and quantization
@FAST
@given(e=unit, ke=unit, kh=unit, cs=st.floats(min_value=0.0, max_value=10.0),
       cl=st.floats(min_value=0.01, max_value=100.0))
def test_router_cost_lies_between_the_two_models(e: float, ke: float, kh: float, cs: float,
                                                 cl: float) -> None:
    p = _f(routing.small_share(e, ke, kh))
    assert 0.0 <= p <= 1.0
    c = _f(routing.router_cost(cs, cl, e, ke, kh))
    assert min(cs, cl) - 1e-12 <= c <= max(cs, cl) + 1e-12
    # a cascade pays the small model on every query, so it never beats a router with the same keeps
    assert _f(routing.cascade_cost(cs, cl, e, ke, kh)) >= c - 1e-12


@FAST
@given(s=st.floats(min_value=0.0, max_value=0.95), rho=st.floats(min_value=0.0, max_value=0.95),
       r=st.floats(min_value=0.0, max_value=0.05))
def test_required_small_share_inverts_router_savings(s: float, rho: float, r: float) -> None:
    p = _f(routing.required_small_share(s, rho, r))
    assume(p <= 1.0)
    assert _f(routing.router_savings_perfect(p, rho, r)) == pytest.approx(s, abs=1e-12)


@FAST
@given(batch=batches, context=contexts,
       scheme=st.sampled_from(["w8a16", "w8a8", "w8a8-kv8", "w4a16", "w4a16-kv8"]))
def test_quantization_never_slows_a_step_at_equal_batch(batch: int, context: int, scheme: str) -> None:
    r = _f(quantization.cost_ratio(H100, LLAMA_8B, batch, context, scheme))
    assert 0.25 <= r <= 1.0 + 1e-12


@FAST
@given(context=st.integers(min_value=1, max_value=32768))
def test_fewer_bytes_fit_a_larger_batch(context: int) -> None:
    caps = [_f(quantization.capacity_batch(H100, LLAMA_8B, context, s))
            for s in ("bf16", "w8a16", "w4a16", "w4a16-kv8")]
    assert caps == sorted(caps)


@FAST
@given(b=batches, k=st.integers(min_value=2, max_value=16))
def test_kv_weight_crossover_context_is_inverse_in_batch(b: int, k: int) -> None:
    c1 = _f(quantization.kv_weight_crossover_context(LLAMA_8B, b))
    assert _f(quantization.kv_weight_crossover_context(LLAMA_8B, k * b)) == pytest.approx(c1 / k, rel=1e-12)


@FAST
@given(bits=st.integers(min_value=2, max_value=16), g=st.integers(min_value=8, max_value=1024))
def test_group_quantized_bytes_exceed_the_bare_bits(bits: int, g: int) -> None:
    p = group_quantized_bytes(bits, g)
    assert p == pytest.approx(bits / 8 + 4 / g, rel=1e-12)
    assert p > bits / 8


# ------------------------------------------------------------------ scalar / array parity, sanity
PARITY: list[tuple[str, Callable[[Any], Any], st.SearchStrategy[Any]]] = [
    ("decode_step_seconds", lambda b: roofline.decode_step_seconds(H100, LLAMA_8B, b, 1024), batches),
    ("decode_usd_per_million_tokens",
     lambda c: costs.decode_usd_per_million_tokens(H100, LLAMA_8B, 8, c), contexts),
    ("loss", lambda n: scaling.loss("hoffmann2022", n, 1e12), params),
    ("compute_optimal_params", lambda c: scaling.compute_optimal_params("besiroglu2024", c), flops),
    ("crossover_tokens", lambda d: lifecycle.crossover_tokens(d, 7e9, 1e6), tokens),
    ("training_cost_usd", lambda n: distillation.training_cost_usd(n, 1e12), params),
    ("lifetime_flop", lambda t: lifetime.lifetime_flop(7e9, 1e12, t), tokens),
    ("small_share", lambda e: routing.small_share(e, 0.9, 0.1), unit),
    ("kv_weight_crossover_context", lambda b: quantization.kv_weight_crossover_context(LLAMA_8B, b), batches),
    ("capacity_batch", lambda c: quantization.capacity_batch(H100, LLAMA_8B, c, "w4a16"),
     st.integers(min_value=1, max_value=32768)),
]


@pytest.mark.parametrize("name,fn,values", PARITY, ids=[p[0] for p in PARITY])
def test_scalar_and_one_element_array_agree(name: str, fn: Callable[[Any], Any],
                                            values: st.SearchStrategy[Any]) -> None:
    @settings(max_examples=15, deadline=None)
    @given(x=values)
    def check(x: Any) -> None:
        s = np.asarray(fn(x), dtype=float)
        a = np.asarray(fn([x]), dtype=float)
        n = np.asarray(fn(np.array([x])), dtype=float)
        assert s.size == a.size == n.size == 1
        assert s.ravel()[0] == a.ravel()[0] == n.ravel()[0]
        assert np.isfinite(s).all() and (s >= 0).all()  # no NaN, no negative figure for valid input

    check()


@FAST
@given(batch=batches, context=contexts, wf=st.sampled_from(["bf16", "fp8", "int8", "int8-w", "int4-g128"]),
       kf=st.sampled_from(["bf16", "fp8"]), uc=utilizations, ub=utilizations, price=prices)
def test_valid_serving_input_gives_finite_positive_figures(batch: int, context: int, wf: str, kf: str,
                                                           uc: float, ub: float, price: float) -> None:
    t = _f(roofline.decode_step_seconds(H100, LLAMA_8B, batch, context, weight_format=wf, kv_format=kf,
                                        flop_utilization=uc, bandwidth_utilization=ub))
    usd = _f(costs.decode_usd_per_million_tokens(H100, LLAMA_8B, batch, context, weight_format=wf,
                                                 kv_format=kf, flop_utilization=uc, bandwidth_utilization=ub,
                                                 price_usd_per_hour=price))
    assert math.isfinite(t) and t > 0
    assert math.isfinite(usd) and usd > 0


# ------------------------------------------------------------------ bad input is refused
EFF = dict(training_usd_per_flop=1e-18, inference_usd_per_flop=1e-18, training_mfu=0.4, prefill_mfu=0.5,
           decode_mfu=0.1)

#: (function, a valid call, the arguments that are fractions in [0, 1]). Every numeric argument of
#: the valid call is replaced in turn by each bad value below; a ValueError must follow.
CALLS: list[tuple[Callable[..., Any], dict[str, Any], frozenset[str]]] = [
    (roofline.decode_step_seconds,
     dict(accelerator=H100, model=LLAMA_8B, batch=8, context_tokens=1024, flop_utilization=0.5,
          bandwidth_utilization=0.8, n_devices=1), frozenset({"flop_utilization", "bandwidth_utilization"})),
    (costs.decode_usd_per_million_tokens,
     dict(accelerator=H100, model=LLAMA_8B, batch=8, context_tokens=1024, flop_utilization=0.5,
          bandwidth_utilization=0.8, n_devices=1, price_usd_per_hour=2.0),
     frozenset({"flop_utilization", "bandwidth_utilization"})),
    (lifecycle.training_flop, dict(params=7e9, tokens=1e12), frozenset()),
    (lifecycle.inference_flop, dict(params=7e9, tokens=1e12, attention_flop_per_token=1e3), frozenset()),
    (lifecycle.crossover_tokens, dict(training_tokens=1e12, params=7e9, attention_flop_per_token=1e3),
     frozenset()),
    (lifecycle.inference_factor, dict(inference_tokens=1e12, training_tokens=1e12), frozenset()),
    (lifecycle.crossover_days, dict(training_tokens=1e12, requests_per_day=1e6, tokens_per_request=1e3),
     frozenset()),
    (lifecycle.cost_crossover_tokens,
     dict(training_tokens=1e12, training_utilization=0.4, inference_utilization=0.1),
     frozenset({"training_utilization", "inference_utilization"})),
    (lifecycle.strategy_for, dict(factor=2.0), frozenset()),
    (distillation.training_cost_usd, dict(params=7e9, tokens=1e12, mfu=0.4, price_usd_per_hour=2.0),
     frozenset({"mfu"})),
    (distillation.distillation_cost_usd,
     dict(student_params=7e9, training_tokens=1e12, teacher_usd_per_million_tokens=5.0, generated_tokens=1e9,
          mfu=0.4), frozenset({"mfu"})),
    (distillation.breakeven_tokens,
     dict(extra_fixed_usd=1e6, usd_per_million_large=2.0, usd_per_million_small=1.0), frozenset()),
    (lifetime.break_even_inference_tokens, dict(params_1=70e9, tokens_1=1.4e12, params_2=35e9, tokens_2=4e12),
     frozenset()),
    (lifetime.compare_break_even, dict(params_1=70e9, tokens_1=1.4e12, params_2=35e9, tokens_2=4e12),
     frozenset()),
    (lifetime.lifetime_optimal, dict(fit="hoffmann2022", target_loss=2.0, inference_tokens=1e12),
     frozenset()),
    (lifetime.lifetime_saving_fraction,
     dict(fit="hoffmann2022", baseline_params=70e9, inference_tokens=1e13, baseline_tokens=1.4e12),
     frozenset()),
    (lifetime.lifetime_cost_usd,
     dict(params=7e9, tokens=1e12, prefill_tokens=1e12, decode_tokens=1e11, **EFF),
     frozenset({"training_mfu", "prefill_mfu", "decode_mfu"})),
    (scaling.loss, dict(fit="hoffmann2022", params=7e9, tokens=1e12), frozenset()),
    (scaling.compute_optimal_params, dict(fit="hoffmann2022", flop=1e23), frozenset()),
    (scaling.compute_optimal_for_loss, dict(fit="hoffmann2022", target_loss=2.0), frozenset()),
    (scaling.tokens_to_reach_loss, dict(fit="hoffmann2022", params=70e9, target_loss=2.0), frozenset()),
    (scaling.iso_loss_curve, dict(fit="hoffmann2022", target_loss=2.0, n_points=20, max_params=1e13),
     frozenset()),
    (scaling.overtraining_ratio, dict(params=7e9, tokens=1e12, reference_tokens_per_param=20.0), frozenset()),
    (quantization.cost_ratio,
     dict(accelerator=H100, model=LLAMA_8B, batch=8, context_tokens=2048, scheme="w4a16"), frozenset()),
    (quantization.capacity_batch,
     dict(accelerator=H100, model=LLAMA_8B, context_tokens=2048, scheme="w4a16", reserve_fraction=0.1),
     frozenset({"reserve_fraction"})),
    (quantization.kv_weight_crossover_context, dict(model=LLAMA_8B, batch=8), frozenset()),
    (quantization.format_table,
     dict(accelerator=H100, model=LLAMA_8B, context_tokens=2048, batch=8, reserve_fraction=0.1),
     frozenset({"reserve_fraction"})),
    (routing.mixture_quality,
     dict(easy_fraction=0.6, keep_easy=0.9, keep_hard=0.1, small_accuracy_easy=0.9, small_accuracy_hard=0.3,
          large_accuracy_easy=0.95, large_accuracy_hard=0.8),
     frozenset({"easy_fraction", "keep_easy", "keep_hard", "small_accuracy_easy", "small_accuracy_hard",
                "large_accuracy_easy", "large_accuracy_hard"})),
    (routing.router_cost,
     dict(cost_small=1.0, cost_large=10.0, easy_fraction=0.6, keep_easy=0.9, keep_hard=0.1, router_cost=0.1),
     frozenset({"easy_fraction", "keep_easy", "keep_hard"})),
    (routing.cascade_cost,
     dict(cost_small=1.0, cost_large=10.0, easy_fraction=0.6, keep_easy=0.9, keep_hard=0.1, check_cost=0.1),
     frozenset({"easy_fraction", "keep_easy", "keep_hard"})),
    (routing.required_small_share, dict(target_savings=0.3, cost_ratio=0.1, router_cost_ratio=0.01),
     frozenset({"target_savings", "cost_ratio"})),
    (routing.cascade_max_escalation, dict(target_savings=0.3, cost_ratio=0.1, check_cost_ratio=0.01),
     frozenset({"target_savings", "cost_ratio"})),
    (routing.cheapest_strategy,
     dict(easy_fraction=0.6, cost_ratio=0.1, quality_floor=0.8, small_accuracy_easy=0.9,
          small_accuracy_hard=0.3, large_accuracy_easy=0.95, large_accuracy_hard=0.8,
          router_keep_easy=0.9, router_keep_hard=0.1,
          cascade_keep_easy=0.95, cascade_keep_hard=0.05, router_cost_ratio=0.01, check_cost_ratio=0.01),
     frozenset({"easy_fraction", "cost_ratio", "quality_floor", "small_accuracy_easy", "small_accuracy_hard",
                "large_accuracy_easy", "large_accuracy_hard", "router_keep_easy", "router_keep_hard",
                "cascade_keep_easy", "cascade_keep_hard"})),
    (predictions.power_law_exponent, dict(params=[8e9, 70e9], seconds=[0.01, 0.05]), frozenset()),
    (predictions.scenario,
     dict(model="llama-3-8b", accelerator="h100-sxm", phase="decode", unit="tokens/s", n_chips=1, batch=8,
          prompt_tokens=512, generated_tokens=128, price_usd_per_mtok=1.0), frozenset()),
    (group_quantized_bytes, dict(bits=4, group_size=128, scale_bytes=2.0, zero_point_bytes=2.0), frozenset()),
    (lifecycle.crossover_requests, dict(training_tokens=1e12, tokens_per_request=1e3), frozenset()),
    (distillation.generation_cost_usd, dict(tokens=1e9, usd_per_million_tokens=1.0), frozenset()),
    (distillation.lifetime_cost_usd, dict(fixed_usd=1e6, usd_per_million_tokens=1.0, lifetime_tokens=1e12),
     frozenset()),
    (lifetime.matched_loss_tokens,
     dict(fit="hoffmann2022", params_reference=70e9, tokens_reference=1.4e12, params=50e9), frozenset()),
    (lifetime.lifetime_flop, dict(params=7e9, tokens=1e12, inference_tokens=1e12), frozenset()),
    (lifetime.compare_lifetime_optimal,
     dict(fit="hoffmann2022", baseline_params=70e9, inference_tokens=1e13, baseline_tokens=1.4e12),
     frozenset()),
    (lifetime.usd_per_flop, dict(price_usd_per_hour=2.0, flop_per_s=1e15), frozenset()),
    (lifetime.effective_inference_tokens, dict(prefill_tokens=1e12, decode_tokens=1e11, **EFF),
     frozenset({"training_mfu", "prefill_mfu", "decode_mfu"})),
    (lifetime.lifetime_cost_optimal,
     dict(fit="hoffmann2022", target_loss=2.0, prefill_tokens=1e12, decode_tokens=1e11, **EFF),
     frozenset({"training_mfu", "prefill_mfu", "decode_mfu"})),
    (scaling.loss_floor, dict(fit="hoffmann2022", params=7e9), frozenset()),
    (scaling.compute_optimal_tokens, dict(fit="hoffmann2022", flop=1e23), frozenset()),
    (scaling.compute_optimal_tokens_per_param, dict(fit="hoffmann2022", flop=1e23), frozenset()),
    (scaling.compute_optimal_loss, dict(fit="hoffmann2022", flop=1e23), frozenset()),
    (scaling.compute_optimal_flop_for_params, dict(fit="hoffmann2022", params=7e9), frozenset()),
    (scaling.compute_optimal_tokens_for_params, dict(fit="hoffmann2022", params=7e9), frozenset()),
    (scaling.compute_optimal_flop_for_loss, dict(fit="hoffmann2022", target_loss=2.0), frozenset()),
    (scaling.compute_efficiency, dict(fit="hoffmann2022", params=7e9, tokens=1e12), frozenset()),
    (scaling.params_to_reach_loss, dict(fit="hoffmann2022", tokens=1e13, target_loss=2.0), frozenset()),
    (scaling.min_params_for_loss, dict(fit="hoffmann2022", target_loss=2.0), frozenset()),
    (scaling.min_tokens_for_loss, dict(fit="hoffmann2022", target_loss=2.0), frozenset()),
    (scaling.training_tokens_for_flop, dict(params=7e9, flop=1e23), frozenset()),
    (scaling.overtraining_ratio_vs_fit, dict(fit="hoffmann2022", params=7e9, tokens=1e12), frozenset()),
    (routing.small_share, dict(easy_fraction=0.6, keep_easy=0.9, keep_hard=0.1),
     frozenset({"easy_fraction", "keep_easy", "keep_hard"})),
    (routing.savings, dict(cost=5.0, cost_large=10.0), frozenset()),
    (routing.router_savings_perfect, dict(small_share_=0.5, cost_ratio=0.1, router_cost_ratio=0.01),
     frozenset({"cost_ratio"})),
]

BAD: tuple[object, ...] = (-1.0, math.nan, math.inf, -math.inf, "10", [], True, None)


@pytest.mark.parametrize("fn,valid,fractions", CALLS, ids=[c[0].__name__ for c in CALLS])
def test_bad_input_is_refused_with_the_argument_named(fn: Callable[..., Any], valid: dict[str, Any],
                                                      fractions: frozenset[str]) -> None:
    fn(**valid)  # the valid call works
    numeric = [k for k, v in valid.items() if isinstance(v, (int, float, list)) and not isinstance(v, bool)]
    assert numeric
    defaults = inspect.signature(fn).parameters
    for name in numeric:
        bad_values = BAD + ((1.5,) if name in fractions else ())
        for bad in bad_values:
            if bad is None and defaults[name].default is None:
                continue  # None means "not given" there
            with pytest.raises(ValueError, match=name.rstrip("_")) as info:
                fn(**{**valid, name: bad})
            if bad is not None and bad != [] and not (isinstance(bad, float) and math.isnan(bad)):
                assert repr(bad) in str(info.value), str(info.value)  # the value is named too


@FAST
@given(field=st.sampled_from(["price_usd_per_hour", "hbm_bytes_per_s", "hbm_bytes", "scaleup_bytes_per_s"]),
       bad=st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -1.0, "10", True]))
def test_accelerator_refuses_bad_fields(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(H100, **{field: bad})  # type: ignore[arg-type]


@FAST
@given(field=st.sampled_from(["n_layers", "d_model", "n_heads", "d_head", "vocab_size", "d_ff"]),
       bad=st.sampled_from([math.inf, math.nan, 0, -1, "10", 2.5]))
def test_model_spec_refuses_bad_fields(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(LLAMA_8B, **{field: bad})  # type: ignore[arg-type]


@FAST
@given(field=st.sampled_from(["E", "A", "B", "alpha", "beta"]),
       bad=st.sampled_from([math.inf, math.nan, 0.0, -1.0, "10", True]))
def test_scaling_fit_refuses_bad_constants(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a finite number > 0"):
        dataclasses.replace(FITS["hoffmann2022"], **{field: bad})  # type: ignore[arg-type]


@FAST
@given(bad=st.sampled_from([math.inf, math.nan, 0.0, -1.0, "10", True]))
def test_number_format_refuses_bad_bytes(bad: object) -> None:
    with pytest.raises(ValueError, match="bytes_per_element"):
        dataclasses.replace(get_format("fp8"), bytes_per_element=bad)  # type: ignore[arg-type]
