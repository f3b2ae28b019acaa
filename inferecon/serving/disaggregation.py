"""Interleaved, chunked or disaggregated prefill: the cheapest schedule meeting a TTFT and a TPOT target."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inferecon.serving.engine import (
    _P99,
    _TGRID,
    ServingCurve,
    _atom_exp,
    _convolve,
    _hist,
    _quantiles,
    serve,
    stable_rate,
)
from inferecon.serving.workload import EngineConfig, Traffic, _deployment, _scalar
from inferecon.specs.deployment import Deployment
from inferecon.units import TOKENS_PER_MILLION

__all__ = [
    "ScheduleChoice",
    "cheapest_schedules",
    "max_rate_within",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleChoice:
    """The cheapest fleet of one scheduling that meets both targets at the total rate.

    ``feasible`` False (with ``reason``) if no load per replica meets them; then the GPU count
    and price are ``inf``. ``bound`` says which target or limit sets the load per replica
    (``"ttft"``, ``"tpot"`` or ``"stability"``).
    """

    scheduling: str
    feasible: bool
    reason: str
    gpus: float
    prefill_replicas: float
    decode_replicas: float
    chunk_tokens: int
    rate_per_replica: float
    ttft_p99: float
    tpot_median: float
    usd_per_million_tokens: float
    bound: str


def _max_rate(
    d: Deployment, traffic: Traffic, cfg: EngineConfig, ttft: float, tpot: float
) -> tuple[float, str]:
    """Largest rate meeting p99 TTFT <= ``ttft`` and median TPOT <= ``tpot`` (bisection; assumed
    monotone in the load), and what stops it just above: ``"stability"``, ``"ttft"`` or ``"tpot"``."""

    def meets(c: ServingCurve) -> bool:
        return bool(c.stable.all() and (c.ttft_p99 <= ttft).all() and (c.tpot_median <= tpot).all())

    def why(c: ServingCurve) -> str:
        if not bool(c.stable.all()):
            return "stability"
        return "ttft" if bool((c.ttft_p99 > ttft).any()) else "tpot"

    lim = stable_rate(d, traffic, cfg, rtol=1e-3)
    hi = lim.rate * 0.999
    top = serve(d, traffic, hi, cfg)
    if meets(top):
        return hi, "stability"
    lo, fail = 0.0, why(top)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        c = serve(d, traffic, mid, cfg)
        if meets(c):
            lo = mid
        else:
            hi, fail = mid, why(c)
        if hi - lo < 1e-3 * hi:
            break
    return lo, fail


def max_rate_within(
    deployment: Deployment, traffic: Traffic, config: EngineConfig, *, ttft_p99_s: float, tpot_s: float
) -> tuple[float, str]:
    """Largest Poisson rate one replica serves with p99 TTFT and median TPOT within the targets.

    Returns the rate and what sets it: ``"stability"`` (the targets hold up to the stable
    limit) or ``"target"``. 0 if even a light load misses a target.
    """
    d = _deployment(deployment)
    ttft = _scalar("ttft_p99_s", ttft_p99_s, 0.0, low_open=True)
    tpot = _scalar("tpot_s", tpot_s, 0.0, low_open=True)
    return _max_rate(d, traffic, config, ttft, tpot)


def cheapest_schedules(
    deployment: Deployment,
    traffic: Traffic,
    total_rate: float,
    *,
    ttft_p99_s: float,
    tpot_s: float,
    chunk_options: tuple[int, ...] = (128, 256, 512, 1024, 2048),
    allocation: str = "paged",
    kv_transfer_bytes_per_s: float = 50e9,
) -> tuple[ScheduleChoice, ...]:
    """For each of :data:`SCHEDULES`, the fewest GPUs serving ``total_rate`` within the targets.

    Targets: p99 time to first token ``ttft_p99_s`` and median time per output token
    ``tpot_s``. Colocated schedules split the rate evenly over identical replicas, each run at
    the largest load meeting both targets (chunked: the best of ``chunk_options``).
    Disaggregated: prefill replicas are M/G/1 queues of whole prefill passes (their p99 wait
    from the same exponential tail) plus the KV transfer; decode replicas are never paused and
    run at the largest load meeting the TPOT target; each pool is rounded up to whole replicas.
    Every replica has the deployment's devices and price.
    """
    d = _deployment(deployment)
    lam = _scalar("total_rate", total_rate, 0.0, low_open=True)
    ttft = _scalar("ttft_p99_s", ttft_p99_s, 0.0, low_open=True)
    tpot = _scalar("tpot_s", tpot_s, 0.0, low_open=True)
    out: list[ScheduleChoice] = []
    tok = lam * traffic.output.mean

    def price(gpus: float) -> float:
        return TOKENS_PER_MILLION * gpus * d.price_usd_per_hour / 3600.0 / tok

    for sched in ("interleaved", "chunked"):
        best: ScheduleChoice | None = None
        for chunk in chunk_options if sched == "chunked" else (512,):
            cfg = EngineConfig(scheduling=sched, allocation=allocation, chunk_tokens=chunk)
            try:
                r, why = _max_rate(d, traffic, cfg, ttft, tpot)
            except ValueError as exc:
                r, why = 0.0, str(exc)
            if r <= 0:
                cand = ScheduleChoice(
                    scheduling=sched,
                    feasible=False,
                    chunk_tokens=chunk,
                    reason=f"no load meets p99 TTFT <= {ttft:g} s and TPOT <= {tpot:g} s "
                    f"({why or 'even a light load misses a target'})",
                    gpus=math.inf,
                    prefill_replicas=0,
                    decode_replicas=math.inf,
                    rate_per_replica=0.0,
                    ttft_p99=math.inf,
                    tpot_median=math.inf,
                    usd_per_million_tokens=math.inf,
                    bound="target",
                )
            else:
                reps = math.ceil(lam / r - 1e-9)
                c = serve(d, traffic, lam / reps, cfg)
                bnd = why
                cand = ScheduleChoice(
                    scheduling=sched,
                    feasible=True,
                    reason="",
                    gpus=reps * d.n_devices,
                    prefill_replicas=0,
                    decode_replicas=reps,
                    chunk_tokens=chunk,
                    rate_per_replica=lam / reps,
                    ttft_p99=float(c.ttft_p99[()]),
                    tpot_median=float(c.tpot_median[()]),
                    usd_per_million_tokens=price(reps * d.n_devices),
                    bound=bnd,
                )
            if best is None or (cand.gpus, -cand.rate_per_replica) < (best.gpus, -best.rate_per_replica):
                best = cand
        assert best is not None
        out.append(best)
    out.append(_disaggregated(d, traffic, lam, ttft, tpot, allocation, kv_transfer_bytes_per_s, price))
    return tuple(out)


def _disaggregated(
    d: Deployment,
    traffic: Traffic,
    lam: float,
    ttft: float,
    tpot: float,
    allocation: str,
    link: float,
    price: object,
) -> ScheduleChoice:
    from inferecon.serving.prefill import prefill_step

    p = traffic.prompt.grid(256)
    st = prefill_step(d, p, 1)
    s = np.maximum(st.memory_seconds, st.compute_seconds)
    xfer = p * d.kv_bytes_per_token / link
    es, es2 = float(s.mean()), float((s * s).mean())

    def p99_ttft(rate: float) -> float:
        rho = rate * es
        if rho >= 1:
            return math.inf
        w = rate * es2 / (2 * (1 - rho))
        n = _TGRID
        span = 12 * (w / max(rho, 1e-12)) + float((s + xfer).max()) * 2
        dt = span / n
        pm = _convolve(_hist(s + xfer, None, dt, n), _atom_exp(rho, w / rho if rho > 0 else 0.0, dt, n))
        return _quantiles(pm, dt, (_P99,))[0]

    if p99_ttft(1e-9) > ttft:
        return ScheduleChoice(
            scheduling="disaggregated",
            feasible=False,
            reason=f"a lone prompt's prefill and KV transfer exceed p99 TTFT {ttft:g} s",
            gpus=math.inf,
            prefill_replicas=math.inf,
            decode_replicas=math.inf,
            chunk_tokens=0,
            rate_per_replica=0.0,
            ttft_p99=math.inf,
            tpot_median=math.inf,
            usd_per_million_tokens=math.inf,
            bound="ttft",
        )
    lo, hi = 0.0, 1.0 / es
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if p99_ttft(mid) <= ttft else (lo, mid)
    n_p = math.ceil(lam / lo - 1e-9)
    cfg = EngineConfig(scheduling="disaggregated", allocation=allocation, kv_transfer_bytes_per_s=link)

    try:
        rd, why = _max_rate(d, traffic, cfg, math.inf, tpot)
    except ValueError as exc:
        rd, why = 0.0, str(exc)
    if rd <= 0:
        return ScheduleChoice(
            scheduling="disaggregated",
            feasible=False,
            reason=f"no decode load meets TPOT <= {tpot:g} s ({why})",
            gpus=math.inf,
            prefill_replicas=n_p,
            decode_replicas=math.inf,
            chunk_tokens=0,
            rate_per_replica=0.0,
            ttft_p99=math.inf,
            tpot_median=math.inf,
            usd_per_million_tokens=math.inf,
            bound="tpot",
        )
    n_d = math.ceil(lam / rd - 1e-9)
    c = serve(d, traffic, lam / n_d, cfg)
    gpus = (n_p + n_d) * d.n_devices
    return ScheduleChoice(
        scheduling="disaggregated",
        feasible=True,
        reason="",
        gpus=gpus,
        prefill_replicas=n_p,
        decode_replicas=n_d,
        chunk_tokens=0,
        rate_per_replica=lam / n_d,
        ttft_p99=p99_ttft(lam / n_p),
        tpot_median=float(c.tpot_median[()]),
        usd_per_million_tokens=price(gpus),  # type: ignore[operator]
        bound=why,
    )
