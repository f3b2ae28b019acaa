"""Serving engines on the roofline: continuous batching, paged KV, prefill scheduling, prefix caching.

A replica (one :class:`~inferecon.specs.deployment.Deployment`) receives requests as a Poisson
process of rate :math:`\\lambda` per second. Each request has a prompt of :math:`P` tokens and
an output of :math:`O \\ge 1` tokens (independent :class:`LengthDistribution` s, whose mean and
second moment both matter). The prefill pass emits the first token; each of the other
:math:`O-1` tokens takes one decode step of the running batch (iteration-level scheduling,
Orca :cite:`yu2022orca`, vLLM :cite:`kwon2023efficient`).

**The batch that forms.** With :math:`\\tau` the time between a sequence's tokens, Little's law
for the sequences in decode gives :math:`\\bar b = \\lambda\\,E[O-1]\\,\\tau`. A tagged sequence
shares its step with the others, whose number is close to Poisson with mean :math:`\\bar b`, so
its steps take :math:`E[t(1 + \\text{others})] = t(\\bar b + 1)` while the step is linear in the
batch (memory-bound, dense). With interleaved prefill (a prefill pass pauses decoding) the
decode steps get a share :math:`1 - \\rho_p` of the time, :math:`\\rho_p = \\lambda E[s(P)]`:

.. math:: \\bar b = \\frac{\\lambda\\,E[O-1]}{1 - \\rho_p}\\; t(\\bar b + 1, \\bar\\ell),\\qquad
          \\bar\\ell = E[P] + \\frac{E[O(O-1)]}{2\\,E[O-1]}

(:math:`\\bar\\ell` is the context a decode step sees, averaged over steps, so the second moment
of :math:`O` enters). The load is stable while this fixed point exists (the compute roof and the
KV-read slope both cap it) and the batch fits in HBM (:func:`kv_capacity`).

**Approximations** (each stated again where used): the decode step uses the batch-mean
context; the number of sequences in decode is treated as Poisson around its mean; the prefill
queue is M/G/1 with the decode steps as vacations (Pollaczek–Khinchine mean wait, Takács
second moment, a two-moment gamma law for its tail, plus the residual step by the
Fuhrmann–Cooper decomposition); admission to a full KV cache is an M/M/c queue (Erlang C with
the Allen–Cunneen correction) with :math:`c` the sequences the cache holds; a prompt batched
with others in one prefill pass adds only its arithmetic (they share the weight read), and is
taken to be alone with probability :math:`e^{-\\lambda E[s]}`; a prompt's chunk iterations
(chunked prefill) are summed as one roofline. The model is checked against the discrete-event
simulation of :mod:`inferecon.serving.simulation` (tolerances in ``tests/test_simulation.py``:
medians and throughput within 3–5% up to half the stable limit, 12% at 90%; p99 TTFT within
25–30%). It is least accurate near the stable limit, where the batch is large and queues long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon.serving.kv_cache import KVCapacity, kv_capacity
from inferecon.serving.prefill import prefill_flop
from inferecon.serving.roofline import decode_step
from inferecon.serving.workload import (
    _NORMAL,
    VLLM_BLOCK_TOKENS,
    EngineConfig,
    Traffic,
    _deployment,
    _rates,
    _scalar,
)
from inferecon.specs.deployment import Deployment
from inferecon.units import TOKENS_PER_MILLION

__all__ = [
    "AllocationComparison",
    "ServingCurve",
    "StableLimit",
    "compare_allocations",
    "serve",
    "stable_rate",
]


_TGRID = 4096  # points of a latency distribution's time grid
_P99 = 0.99


# ----------------------------------------------------------------------------------------
# Validation (numeric strings and bools refused, unlike a plain float conversion)
# ----------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------
# Length distributions
# ----------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------
# KV capacity: paged against contiguous
# ----------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------
# Latency distributions on a time grid
# ----------------------------------------------------------------------------------------


def _hist(
    values: NDArray[np.float64], weights: NDArray[np.float64] | None, dt: float, n: int
) -> NDArray[np.float64]:
    idx = np.minimum(np.round(values / dt).astype(np.int64), n - 1)
    out = np.zeros(n)
    np.add.at(out, idx, np.ones(values.shape) / values.size if weights is None else weights)
    return out


def _atom_exp(p_wait: float, mean_if_wait: float, dt: float, n: int) -> NDArray[np.float64]:
    """Atom at 0 of mass 1 - p plus p times an exponential of the given mean, discretized."""
    out = np.zeros(n)
    out[0] = 1.0 - p_wait
    if p_wait > 0 and mean_if_wait > 0:
        edges = np.arange(n + 1) * dt - dt / 2.0
        cdf = 1.0 - np.exp(-np.maximum(edges, 0.0) / mean_if_wait)
        out += p_wait * np.diff(cdf)
    else:
        out[0] = 1.0
    return out


def _atom_gamma(p_wait: float, mean: float, second: float, dt: float, n: int) -> NDArray[np.float64]:
    """Atom at 0 of mass 1 - p, and p times a gamma law whose moments make the unconditional
    mean ``mean`` and second moment ``second`` (a two-moment fit of an M/G/1 wait, whose tail
    is heavier than exponential when service times vary a lot)."""
    if p_wait <= 0 or mean <= 0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    m1, m2 = mean / p_wait, second / p_wait
    var = max(m2 - m1 * m1, 1e-12 * m1 * m1)
    shape, scale = m1 * m1 / var, var / m1
    x = (np.arange(n) + 0.5) * dt
    logpdf = (shape - 1.0) * np.log(x) - x / scale
    pdf = np.exp(logpdf - logpdf.max())
    out = np.asarray(p_wait * pdf / pdf.sum(), dtype=np.float64)
    out[0] += 1.0 - p_wait
    return out


def _uniform(p: float, width: float, dt: float, n: int) -> NDArray[np.float64]:
    out = np.zeros(n)
    out[0] = 1.0 - p
    if p > 0 and width > 0:
        edges = np.arange(n + 1) * dt - dt / 2.0
        cdf = np.clip(edges / width, 0.0, 1.0)
        out += p * np.diff(cdf)
    else:
        out[0] = 1.0
    return out


def _convolve(*pmfs: NDArray[np.float64]) -> NDArray[np.float64]:
    n = pmfs[0].size
    f = np.fft.rfft(pmfs[0], 2 * n)
    for p in pmfs[1:]:
        f = f * np.fft.rfft(p, 2 * n)
    out = np.fft.irfft(f, 2 * n)[:n]
    return np.asarray(np.maximum(out, 0.0), dtype=np.float64)


def _quantiles(pmf: NDArray[np.float64], dt: float, qs: tuple[float, ...]) -> list[float]:
    cdf = np.cumsum(pmf)
    cdf = cdf / cdf[-1]
    return [float(np.searchsorted(cdf, q) * dt) for q in qs]


def _erlang_c(servers: float, offered: float) -> float:
    """Probability of waiting in M/M/c (Erlang C), ``servers`` rounded down, stable recursion."""
    c = math.floor(servers)
    if c < 1 or offered >= c:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = offered * b / (k + offered * b)
    rho = offered / c
    return b / (1.0 - rho * (1.0 - b))


# ----------------------------------------------------------------------------------------
# The steady state of one replica
# ----------------------------------------------------------------------------------------

STATES = ("memory", "compute", "capacity", "unstable")
"""What bounds an operating point: the decode step's memory or compute roof (the load is
stable), or, for a load that is not, ``"unstable"`` (its reason says which limit: compute,
KV reads, prefill time, chunk budget or KV capacity)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Model:
    d: Deployment
    traffic: Traffic
    config: EngineConfig
    ell: float
    m_dec: float
    p_grid: NDArray[np.float64]
    o_grid: NDArray[np.float64]
    s_grid: NDArray[np.float64]  # prefill seconds of each prompt grid point (alone)
    s_comp: NDArray[np.float64]  # its arithmetic part (what it adds to a batched pass)
    f_grid: NDArray[np.float64]  # prefill FLOPs of each prompt grid point
    n_chunks: NDArray[np.float64]  # chunks of each prompt (chunked)
    b_grid: NDArray[np.float64]  # candidate mean batches (others)
    t_mem: NDArray[np.float64]  # decode step roofs at b_grid + 1
    t_comp: NDArray[np.float64]
    capacity: KVCapacity


def _model(d: Deployment, traffic: Traffic, config: EngineConfig) -> _Model:
    cap = kv_capacity(
        d, traffic, config.allocation, block_tokens=config.block_tokens, reserve_tokens=config.reserve_tokens
    )
    ell = traffic.decode_context
    p = traffic.prompt.grid(256)
    o = traffic.output.grid(256)
    from inferecon.serving.prefill import prefill_step  # local: keeps the import list short

    st = prefill_step(d, p, 1)
    s = np.maximum(st.memory_seconds, st.compute_seconds)
    f = prefill_flop(d.model, p)
    nch = np.ceil(p / config.chunk_tokens)
    top = max(cap.max_sequences * 1.05, 4.0)
    b = np.concatenate([np.linspace(0.0, 1.0, 64, endpoint=False), np.geomspace(1.0, top, 1500)])
    step = decode_step(d, b + 1.0, ell)
    return _Model(
        d=d,
        traffic=traffic,
        config=config,
        ell=ell,
        m_dec=traffic.decode_tokens,
        p_grid=p,
        o_grid=o,
        s_grid=s,
        s_comp=np.asarray(st.compute_seconds, dtype=float),
        f_grid=f,
        n_chunks=nch,
        b_grid=b,
        t_mem=np.asarray(step.memory_seconds, dtype=float),
        t_comp=np.asarray(step.compute_seconds, dtype=float),
        capacity=cap,
    )


def _prefill_seconds(mod: _Model, lam: float) -> NDArray[np.float64]:
    r"""Prefill seconds per prompt in interleaved passes that batch the waiting prompts.

    A prompt alone costs its pass, :math:`\max(t_\mathrm{mem}, t_\mathrm{comp})`; batched with
    others it adds only its arithmetic (they share the weight read). It is alone with
    probability :math:`e^{-\lambda E[s]}` (no other arrival within one pass), a rough
    interpolation between light load (alone) and heavy load (batched).
    """
    alone = math.exp(-lam * float(mod.s_grid.mean()))
    return mod.s_comp + alone * (mod.s_grid - mod.s_comp)


def _chunks(mod: _Model, lam: float) -> NDArray[np.float64]:
    """Iterations that carry a prompt's chunks: :math:`\\lceil P/c \rceil` alone, :math:`P/c` when
    the queue packs the next prompt into its last, partial chunk (interpolated as in
    :func:`_prefill_seconds`)."""
    alone = math.exp(-lam * float(mod.s_grid.mean()))
    frac = mod.p_grid / mod.config.chunk_tokens
    return frac + alone * (mod.n_chunks - frac)


def _tau(mod: _Model, lam: float, b: NDArray[np.float64]) -> tuple[NDArray[np.float64], float, str]:
    """Time per output token at each candidate batch, the prefill time share, and '' or why unstable.

    The planner's :func:`inferecon.planning.planner.seconds_per_output_token` prices the same
    three schedulings for a replica driven to its capacity; here the pauses scale with the
    load :math:`\\lambda` and the batch is the one that forms at it.
    """
    d, cfg = mod.d, mod.config
    tm, tc = np.interp(b, mod.b_grid, mod.t_mem), np.interp(b, mod.b_grid, mod.t_comp)
    t = np.maximum(tm, tc)
    if cfg.scheduling == "interleaved":
        rho = lam * float(_prefill_seconds(mod, lam).mean())
        if rho >= 1.0:
            return np.full(b.shape, np.inf), rho, f"prefill alone takes {rho:.2f} of the time (must be < 1)"
        return t / (1.0 - rho), rho, ""
    if cfg.scheduling == "chunked":
        # each prompt rides in ceil(P/c) iterations; those iterations take max(mem, comp + chunk FLOPs)
        flops = float(mod.f_grid.mean())
        nch = float(_chunks(mod, lam).mean())
        chunk_it = np.maximum(nch * tm, nch * tc + flops / d.flop_per_s)  # time of one prompt's iterations
        share = lam * chunk_it
        plain_rate = np.where(share < 1.0, (1.0 - share) / t, 0.0)
        it_rate = lam * nch + plain_rate
        tau = np.where(share < 1.0, 1.0 / it_rate, np.inf)
        return tau, float(share[0]), ""
    return t, 0.0, ""  # disaggregated decode pool: never paused


def _solve_batch(mod: _Model, lam: float) -> tuple[float, float, float, str]:
    """Mean batch (others excluded), time per token, prefill share, '' or reason (unstable)."""
    b = mod.b_grid
    tau, rho, why = _tau(mod, lam, b)
    if why:
        return math.inf, math.inf, rho, why
    h = b - lam * mod.m_dec * tau
    ok = np.nonzero(h >= 0)[0]
    if ok.size == 0:
        lim = "compute" if mod.t_comp[-1] >= mod.t_mem[-1] else "memory (KV reads grow with the batch)"
        return (
            math.inf,
            math.inf,
            rho,
            (
                f"no batch up to the KV capacity ({mod.capacity.max_sequences:,.0f} sequences) keeps up "
                f"with {lam:g} requests/s; the {lim} roof binds"
            ),
        )
    i = int(ok[0])
    if i == 0:
        bb = 0.0
    else:  # linear interpolation of the sign change, then one secant refinement
        b0, b1, h0, h1 = b[i - 1], b[i], h[i - 1], h[i]
        bb = float(b0 - h0 * (b1 - b0) / (h1 - h0))
        for _ in range(3):
            tt, _, _ = _tau(mod, lam, np.array([bb]))
            bb = float(lam * mod.m_dec * tt[0])
    tt, rho, _ = _tau(mod, lam, np.array([bb]))
    if cfg_capacity_exceeded(mod, bb):
        return (
            math.inf,
            math.inf,
            rho,
            (
                f"the mean batch {bb:,.0f} reaches the KV capacity of "
                f"{mod.capacity.max_sequences:,.0f} sequences ({mod.capacity.allocation})"
            ),
        )
    if mod.config.scheduling == "chunked":
        per_it = lam * float(tt[0]) * mod.traffic.prompt.mean
        if per_it > mod.config.chunk_tokens:
            return (
                math.inf,
                math.inf,
                rho,
                (
                    f"{per_it:,.0f} prompt tokens arrive per iteration, more than the chunk budget of "
                    f"{mod.config.chunk_tokens}"
                ),
            )
    return bb, float(tt[0]), rho, ""


def cfg_capacity_exceeded(mod: _Model, b: float) -> bool:
    """Whether the mean batch (with the tagged sequence) reaches the KV capacity."""
    return b + 1.0 > mod.capacity.max_sequences


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingCurve:
    """Latency and throughput of one replica at each arrival rate (arrays over ``rates``).

    ``stable`` False marks a load the replica cannot keep up with: its latencies are ``inf``
    and its ``reason`` says which limit (compute roof, KV reads, prefill time, chunk budget,
    KV capacity); it never gets a latency. ``bound`` is ``"memory"``/``"compute"`` (the decode
    step's roof at the batch that forms) or ``"unstable"``. Seconds throughout;
    ``tokens_per_s_per_gpu`` counts output tokens; ``usd_per_million_tokens`` is per output token.
    """

    deployment: Deployment
    traffic: Traffic
    config: EngineConfig
    rates: NDArray[np.float64]
    stable: NDArray[np.bool_]
    bound: NDArray[np.str_]
    reason: tuple[str, ...]
    batch: NDArray[np.float64]
    step_seconds: NDArray[np.float64]
    prefill_share: NDArray[np.float64]
    tpot_mean: NDArray[np.float64]
    tpot_median: NDArray[np.float64]
    tpot_p99: NDArray[np.float64]
    ttft_median: NDArray[np.float64]
    ttft_p99: NDArray[np.float64]
    e2e_median: NDArray[np.float64]
    e2e_p99: NDArray[np.float64]
    tokens_per_s_per_gpu: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]


def _latencies(mod: _Model, lam: float, bb: float, tau: float, rho: float) -> tuple[float, ...]:
    """TTFT, TPOT and E2E quantiles at one stable load (see the module's approximations)."""
    d, cfg = mod.d, mod.config
    s = _prefill_seconds(mod, lam) if cfg.scheduling == "interleaved" else mod.s_grid
    step = float(max(np.interp(bb, mod.b_grid, mod.t_mem), np.interp(bb, mod.b_grid, mod.t_comp)))
    # admission to the KV cache: M/M/c with c = sequences it holds, service = a request's life
    life = float(s.mean()) + mod.m_dec * tau
    c = mod.capacity.max_sequences
    offered = lam * life
    pc = _erlang_c(c, offered)
    cs2 = float(np.var(mod.o_grid)) / max(float(np.mean(mod.o_grid)) ** 2, 1e-12)
    adm_mean_if_wait = (1.0 + cs2) / 2.0 * life / max(math.floor(c) - offered, 1e-9)
    if cfg.scheduling == "interleaved":
        es2 = float((s * s).mean())
        es3 = float((s**3).mean())
        w_pk = lam * es2 / (2.0 * (1.0 - rho))
        w2_pk = 2.0 * w_pk**2 + lam * es3 / (3.0 * (1.0 - rho))  # Takacs: second moment of the wait
        # multiple vacations (a decode step whenever the batch is not empty): every arrival also
        # waits the residual of one step (Fuhrmann-Cooper decomposition)
        q_dec = 1.0 - math.exp(-bb)
        parts_t: list[tuple[str, float, float | tuple[float, float]]] = [
            ("gamma", rho, (w_pk, w2_pk)),
            ("uni", q_dec, step),
        ]
        own = s
    elif cfg.scheduling == "chunked":
        # a prompt waits behind the prompt tokens queued before it (M/G/1 in tokens at the budget rate)
        it = tau
        tm_b = float(np.interp(bb, mod.b_grid, mod.t_mem))
        tc_b = float(np.interp(bb, mod.b_grid, mod.t_comp))
        nc = _chunks(mod, lam)
        serv = np.maximum(nc * tm_b, nc * tc_b + mod.f_grid / d.flop_per_s)
        rho_c = lam * float(serv.mean())
        if rho_c >= 1.0:
            rho_c = 0.999
        w = lam * float((serv * serv).mean()) / (2.0 * (1.0 - rho_c))
        w2 = 2.0 * w**2 + lam * float((serv**3).mean()) / (3.0 * (1.0 - rho_c))
        parts_t = [("gamma", rho_c, (w, w2)), ("uni", 1.0 - math.exp(-bb), it)]
        own = serv
    else:  # disaggregated: the prefill pool is priced separately; here the decode replica alone
        own = s + mod.p_grid * d.kv_bytes_per_token / cfg.kv_transfer_bytes_per_s
        parts_t = []
    mean_ttft_guess = float(own.mean()) + pc * adm_mean_if_wait
    for _, p, m in parts_t:
        mean_ttft_guess += m[0] if isinstance(m, tuple) else p * m
    o = mod.o_grid
    dec_time = (o - 1.0) * tau

    def ttft_pmf(dt: float) -> NDArray[np.float64]:
        pmfs = [_hist(own, None, dt, _TGRID), _atom_exp(pc, adm_mean_if_wait, dt, _TGRID)]
        for kind, p, m in parts_t:
            if kind == "gamma":
                assert isinstance(m, tuple)
                pmfs.append(_atom_gamma(p, m[0], m[1], dt, _TGRID))
            else:
                assert not isinstance(m, tuple)
                pmfs.append(_uniform(p, m, dt, _TGRID))
        return _convolve(*pmfs)

    dt1 = (14.0 * mean_ttft_guess + float(own.max()) + 2.0 * step) / _TGRID
    t50, t99 = _quantiles(ttft_pmf(dt1), dt1, (0.5, _P99))
    dt2 = (t99 * 3.0 + float(dec_time.max()) + 2.0 * step) / _TGRID
    e2e = _convolve(ttft_pmf(dt2), _hist(dec_time, None, dt2, _TGRID))
    e50, e99 = _quantiles(e2e, dt2, (0.5, _P99))
    # TPOT of one request: t + its share of the prefill pauses (compound Poisson over its life)
    o2 = o[o >= 2]
    if o2.size == 0:
        return t50, t99, tau, tau, e50, e99
    if cfg.scheduling == "interleaved" and rho > 0:
        es2 = float((s * s).mean())
        sd = np.sqrt(lam * tau * es2 / (o2 - 1.0))
        base = tau - lam * tau * float(s.mean())  # = step time t, the pause-free part
        q = np.linspace(0.0, 1.0, 801)[1:-1]
        # mixture over O of a gamma-like law: use a lognormal with the same mean and sd per O
        mean_o = np.full(o2.shape, tau - base)
        s2 = np.log1p((sd / mean_o) ** 2)
        mu = np.log(mean_o) - s2 / 2.0
        z = np.array([_NORMAL.inv_cdf(float(x)) for x in q])
        xs = base + np.exp(mu[:, None] + np.sqrt(s2)[:, None] * z[None, :])
        allx = np.sort(xs.ravel())
        m50, m99 = float(np.quantile(allx, 0.5)), float(np.quantile(allx, _P99))
    else:
        m50 = m99 = tau
    return t50, t99, m50, m99, e50, e99


def serve(
    deployment: Deployment, traffic: Traffic, rates: ArrayLike, config: EngineConfig | None = None
) -> ServingCurve:
    """Latency percentiles and throughput per GPU of one replica at each Poisson arrival rate.

    The batch is the fixed point of Little's law (module docstring); the time per output token
    is the decode step at that batch, stretched by prefill pauses (interleaved) or by the
    prompt chunks riding in the steps (chunked); TTFT adds the KV-admission wait (Erlang C),
    the prefill queue (M/G/1 with vacations) and the prompt's own prefill; E2E adds
    :math:`(O-1)\\tau`. Loads beyond the stable limit are marked unstable with their reason and
    get ``inf``, never a latency. ``disaggregated`` here is the decode pool alone (its TTFT is
    the prompt's prefill plus the KV transfer, no prefill queue; see :func:`cheapest_schedules`).
    """
    d = _deployment(deployment)
    if not isinstance(traffic, Traffic):
        raise ValueError(f"traffic must be a Traffic, got {traffic!r}")
    cfg = EngineConfig() if config is None else config
    if not isinstance(cfg, EngineConfig):
        raise ValueError(f"config must be an EngineConfig, got {cfg!r}")
    lam = _rates("rates", rates)
    mod = _model(d, traffic, cfg)
    flat = lam.ravel()
    n = flat.size
    keys = ("batch", "step", "tpot", "t50", "t99", "m50", "m99", "e50", "e99")
    cols = {k: np.full(n, np.inf) for k in keys}
    share = np.zeros(n)
    stable = np.zeros(n, dtype=bool)
    bound = np.full(n, "unstable", dtype=object)
    reasons: list[str] = []
    for j, r in enumerate(flat):
        bb, tau, rho, why = _solve_batch(mod, float(r))
        share[j] = rho
        if why:
            reasons.append(why)
            continue
        reasons.append("")
        stable[j] = True
        tm = float(np.interp(bb, mod.b_grid, mod.t_mem))
        tc = float(np.interp(bb, mod.b_grid, mod.t_comp))
        bound[j] = "memory" if tm >= tc else "compute"
        t50, t99, m50, m99, e50, e99 = _latencies(mod, float(r), bb, tau, rho)
        for k, v in (
            ("batch", bb),
            ("step", max(tm, tc)),
            ("tpot", tau),
            ("t50", t50),
            ("t99", t99),
            ("m50", m50),
            ("m99", m99),
            ("e50", e50),
            ("e99", e99),
        ):
            cols[k][j] = v
    shp = lam.shape
    tok = np.where(stable, flat * traffic.output.mean / d.n_devices, 0.0)
    usd = np.where(
        stable, TOKENS_PER_MILLION * d.usd_per_s / np.maximum(flat * traffic.output.mean, 1e-300), np.inf
    )

    def rs(x: ArrayLike) -> NDArray[np.float64]:
        return np.asarray(x, dtype=np.float64).reshape(shp)

    return ServingCurve(
        deployment=d,
        traffic=traffic,
        config=cfg,
        rates=lam,
        stable=stable.reshape(shp),
        bound=np.asarray(bound.astype(str)).reshape(shp),
        reason=tuple(reasons),
        batch=rs(cols["batch"]),
        step_seconds=rs(cols["step"]),
        prefill_share=rs(share),
        tpot_mean=rs(cols["tpot"]),
        tpot_median=rs(cols["m50"]),
        tpot_p99=rs(cols["m99"]),
        ttft_median=rs(cols["t50"]),
        ttft_p99=rs(cols["t99"]),
        e2e_median=rs(cols["e50"]),
        e2e_p99=rs(cols["e99"]),
        tokens_per_s_per_gpu=rs(tok),
        usd_per_million_tokens=rs(usd),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StableLimit:
    """The largest Poisson rate one replica sustains and what stops it beyond.

    ``bound`` is ``"capacity"`` (the batch fills the KV cache), ``"compute"``/``"memory"``
    (no batch keeps up: the step's roof), ``"prefill"`` (prefills alone fill the time) or
    ``"chunk"`` (prompt tokens exceed the chunk budget).
    """

    rate: float
    batch: float
    tokens_per_s_per_gpu: float
    usd_per_million_tokens: float
    bound: str
    reason: str


def stable_rate(
    deployment: Deployment, traffic: Traffic, config: EngineConfig | None = None, *, rtol: float = 1e-4
) -> StableLimit:
    """Bisect the load at which the fixed point of :func:`serve` stops existing."""
    d = _deployment(deployment)
    if not isinstance(traffic, Traffic):
        raise ValueError(f"traffic must be a Traffic, got {traffic!r}")
    cfg = EngineConfig() if config is None else config
    tol = _scalar("rtol", rtol, 0.0, 0.1, low_open=True)
    mod = _model(d, traffic, cfg)
    lo, hi = 0.0, 1.0
    while not _solve_batch(mod, hi)[3]:
        lo, hi = hi, hi * 2.0
        if hi > 1e9:
            raise ValueError("no stable limit found below 1e9 requests/s")
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        if _solve_batch(mod, mid)[3]:
            hi = mid
        else:
            lo = mid
    bb = _solve_batch(mod, lo)[0] if lo > 0 else 0.0
    why = _solve_batch(mod, hi)[3]
    bound = (
        "capacity"
        if "KV capacity" in why
        else "prefill"
        if "prefill alone" in why
        else "chunk"
        if "chunk budget" in why
        else "compute"
        if "compute roof" in why
        else "memory"
    )
    tok = lo * traffic.output.mean
    return StableLimit(
        rate=lo,
        batch=bb,
        tokens_per_s_per_gpu=tok / d.n_devices,
        usd_per_million_tokens=TOKENS_PER_MILLION * d.usd_per_s / tok if tok > 0 else math.inf,
        bound=bound,
        reason=why,
    )


# ----------------------------------------------------------------------------------------
# Paged against contiguous: batch, throughput and price at the capacity each allows
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationComparison:
    """Paged and contiguous KV allocation for one deployment and traffic (bound: capacity).

    ``*_rate`` are the stable limits (:func:`stable_rate`), ``batch_ratio`` and
    ``throughput_ratio`` paged over contiguous.
    """

    paged: KVCapacity
    contiguous: KVCapacity
    paged_limit: StableLimit
    contiguous_limit: StableLimit
    batch_ratio: float
    throughput_ratio: float
    usd_ratio: float


def compare_allocations(
    deployment: Deployment,
    traffic: Traffic,
    *,
    block_tokens: int = VLLM_BLOCK_TOKENS,
    reserve_tokens: int = 0,
    scheduling: str = "interleaved",
) -> AllocationComparison:
    """Sequences held, throughput and $/M at the stable limit, paged against contiguous."""
    d = _deployment(deployment)
    pg = EngineConfig(scheduling=scheduling, allocation="paged", block_tokens=block_tokens)
    ct = EngineConfig(scheduling=scheduling, allocation="contiguous", reserve_tokens=reserve_tokens)
    kp = kv_capacity(d, traffic, "paged", block_tokens=block_tokens)
    kc = kv_capacity(d, traffic, "contiguous", reserve_tokens=reserve_tokens)
    lp, lc = stable_rate(d, traffic, pg), stable_rate(d, traffic, ct)
    return AllocationComparison(
        paged=kp,
        contiguous=kc,
        paged_limit=lp,
        contiguous_limit=lc,
        batch_ratio=kp.max_sequences / kc.max_sequences,
        throughput_ratio=lp.rate / lc.rate,
        usd_ratio=lp.usd_per_million_tokens / lc.usd_per_million_tokens,
    )


# ----------------------------------------------------------------------------------------
# Interleaved, chunked or disaggregated: the cheapest fleet for a TTFT and TPOT target
# ----------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------
# Prefix caching (RadixAttention)
# ----------------------------------------------------------------------------------------
