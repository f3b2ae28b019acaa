"""Symbolic engine formulas against the numeric model (dense, memory-bound, interleaved)."""

from __future__ import annotations

import pytest
import sympy as sp

from inferecon.serving import engine as e
from inferecon.serving import kv_cache, workload
from inferecon.serving.prefill import prefill_step
from inferecon.serving.roofline import decode_step
from inferecon.specs.deployment import deployment
from inferecon.symbolic import engine as sym

D = deployment("h100-sxm", "llama-3-8b")
TR = workload.Traffic(prompt=workload.fixed_length(512), output=workload.fixed_length(257))
ELL = 640.5
T0 = float(decode_step(D, 1, ELL).memory_seconds)
T1 = float(decode_step(D, 2, ELL).memory_seconds)
SUBS = {sym.A: 2 * T0 - T1, sym.K: T1 - T0, sym.m: 256, sym.Es: float(prefill_step(D, 512, 1).seconds)}


@pytest.mark.parametrize("rate", [2.0, 20.0, 40.0])
def test_batch_and_tau_match_the_numeric_fixed_point(rate):
    c = e.serve(D, TR, rate)
    assert c.bound[()] == "memory"
    subs = {**SUBS, sym.lam: rate}
    assert float(sym.batch().subs(subs)) == pytest.approx(float(c.batch), rel=1e-3)
    assert float(sym.time_per_token().subs(subs)) == pytest.approx(float(c.tpot_mean), rel=1e-3)


def test_capacity_limit_matches_stable_rate():
    cap = kv_cache.kv_capacity(D, TR).max_sequences
    lim = float(sym.capacity_limit().subs({**SUBS, sym.c: cap}))
    assert lim == pytest.approx(e.stable_rate(D, TR).rate, rel=2e-3)


def test_kv_read_limit_exceeds_capacity_limit_here():
    # without a capacity cap the batch would diverge at 1/(E[s] + mK); the cache binds first
    assert float(sym.kv_read_limit().subs(SUBS)) > e.stable_rate(D, TR).rate
    assert sp.simplify(sym.kv_read_limit() - 1 / (sym.Es + sym.m * sym.K)) == 0
