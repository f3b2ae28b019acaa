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
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import as_float_array
from inferecon.serving.roofline import decode_step, prefill_flop
from inferecon.specs.deployment import Deployment
from inferecon.units import TOKENS_PER_MILLION

__all__ = [
    "ALLOCATIONS",
    "LENGTH_KINDS",
    "SCHEDULES",
    "VLLM_BLOCK_TOKENS",
    "AllocationComparison",
    "EngineConfig",
    "KVCapacity",
    "LengthDistribution",
    "PrefixCacheResult",
    "ScheduleChoice",
    "ServingCurve",
    "StableLimit",
    "Traffic",
    "cheapest_schedules",
    "compare_allocations",
    "fixed_length",
    "geometric_length",
    "kv_capacity",
    "lognormal_length",
    "max_rate_within",
    "prefix_cache",
    "serve",
    "stable_rate",
]

LENGTH_KINDS = ("fixed", "geometric", "lognormal")
#: How prefills share a replica with decoding: a prefill pass pauses the batch (vLLM before
#: chunking), prompt chunks ride in the decode steps (Sarathi-Serve :cite:`agrawal2024taming`),
#: or separate prefill and decode pools (DistServe :cite:`zhong2024distserve`, Splitwise
#: :cite:`patel2024splitwise`).
SCHEDULES = ("interleaved", "chunked", "disaggregated")
#: KV-cache allocation: paged blocks on demand (vLLM) or a contiguous region reserving the
#: maximum length per sequence (Orca, FasterTransformer).
ALLOCATIONS = ("paged", "contiguous")
#: vLLM's default KV block size in tokens :cite:`kwon2023efficient`.
VLLM_BLOCK_TOKENS = 16

_GRID = 2048  # quantile points of a length distribution
_TGRID = 4096  # points of a latency distribution's time grid
_P99 = 0.99


# ----------------------------------------------------------------------------------------
# Validation (numeric strings and bools refused, unlike a plain float conversion)
# ----------------------------------------------------------------------------------------


def _arr(name: str, value: object) -> NDArray[np.float64]:
    if isinstance(value, str | bytes) or (
        isinstance(value, list | tuple) and any(isinstance(v, str | bytes) for v in value)
    ):
        raise ValueError(f"{name} must be a number, got the string {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    arr = as_float_array(name, value)  # type: ignore[arg-type]
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def _scalar(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    integer: bool = False,
) -> float:
    arr = _arr(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {value!r}")
    x = float(arr.ravel()[0])
    rng = f"{'(' if low_open else '['}{low:g}, {high:g}{']' if math.isfinite(high) else ')'}"
    if not math.isfinite(x) or (x <= low if low_open else x < low) or x > high:
        raise ValueError(f"{name} must lie in {rng}, got {value!r}")
    if integer and x != round(x):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return x


def _rates(name: str, value: object) -> NDArray[np.float64]:
    arr = _arr(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        raise ValueError(
            f"{name} must be > 0 and finite (requests per second), got {arr[bad].ravel()[:3].tolist()}"
        )
    return arr


def _deployment(d: object) -> Deployment:
    if not isinstance(d, Deployment):
        raise ValueError(
            f"deployment must be a Deployment (build one with inferecon.specs.deployment."
            f"deployment), got {d!r}"
        )
    return d


def _choice(name: str, value: object, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value


# ----------------------------------------------------------------------------------------
# Length distributions
# ----------------------------------------------------------------------------------------

_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True, kw_only=True)
class LengthDistribution:
    """Tokens per prompt or per output: whole numbers in ``[1, maximum]``.

    ``kind`` is ``"fixed"`` (always ``mean``), ``"geometric"`` (on 1, 2, ... with mean
    ``mean``, coefficient of variation :math:`\\sqrt{1 - 1/m}`) or ``"lognormal"`` (``mean``
    and ``cv`` of the continuous law, rounded to whole tokens). Both random laws are clipped
    at ``maximum`` (default: their 99.9th percentile), which a contiguous allocator reserves.
    :attr:`mean` and :attr:`second_moment` are those of the clipped, rounded law, from the
    quantile function on a fine grid; the simulation samples the same quantile function.
    """

    kind: str
    mean_parameter: float
    cv: float = 0.0
    maximum: int = 0

    def __post_init__(self) -> None:
        _choice("kind", self.kind, LENGTH_KINDS)
        m = _scalar("mean", self.mean_parameter, 1.0)
        object.__setattr__(self, "mean_parameter", m)
        cv = _scalar("cv", self.cv, 0.0, 10.0)
        if self.kind == "lognormal" and cv <= 0:
            raise ValueError(f"cv must be > 0 for a lognormal length, got {self.cv!r} (use fixed_length)")
        object.__setattr__(self, "cv", cv)
        if self.kind == "fixed":
            if m != round(m):
                raise ValueError(f"mean must be a whole number of tokens for a fixed length, got {m!r}")
            mx = int(m)
        elif self.maximum in (0, None):
            mx = int(self._raw_quantile(np.array([0.999]))[0])
        else:
            mx = int(_scalar("maximum", self.maximum, 1.0, integer=True))
        object.__setattr__(self, "maximum", max(mx, 1))

    def _raw_quantile(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        m = self.mean_parameter
        if self.kind == "fixed":
            return np.full(u.shape, m)
        if self.kind == "geometric":
            if m <= 1.0:
                return np.ones(u.shape)
            p = 1.0 / m
            return np.maximum(np.ceil(np.log1p(-u) / math.log1p(-p)), 1.0)
        s2 = math.log1p(self.cv**2)
        mu = math.log(m) - s2 / 2.0
        z = np.array([_NORMAL.inv_cdf(float(x)) for x in u.ravel()]).reshape(u.shape)
        return np.maximum(np.round(np.exp(mu + math.sqrt(s2) * z)), 1.0)

    def quantile(self, u: ArrayLike) -> NDArray[np.float64]:
        """Tokens at probability ``u`` in (0, 1) (whole numbers, clipped to ``[1, maximum]``)."""
        uu = _arr("u", u)
        if ((uu <= 0) | (uu >= 1)).any():
            raise ValueError(f"u must lie in (0, 1), got {uu[(uu <= 0) | (uu >= 1)].ravel()[:3].tolist()}")
        return np.minimum(self._raw_quantile(uu), float(self.maximum))

    def grid(self, n: int = _GRID) -> NDArray[np.float64]:
        """``n`` equally likely values (the quantiles at the midpoints ``(i + 1/2)/n``)."""
        return self.quantile((np.arange(n) + 0.5) / n)

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """``n`` independent draws (the same clipped, rounded law as :meth:`quantile`)."""
        m = self.mean_parameter
        if self.kind == "fixed":
            x = np.full(n, m)
        elif self.kind == "geometric":
            x = rng.geometric(1.0 / m, n).astype(float) if m > 1 else np.ones(n)
        else:
            s2 = math.log1p(self.cv**2)
            x = np.maximum(np.round(rng.lognormal(math.log(m) - s2 / 2.0, math.sqrt(s2), n)), 1.0)
        return np.asarray(np.minimum(x, float(self.maximum)), dtype=np.float64)

    @property
    def mean(self) -> float:
        """Mean tokens of the clipped, rounded law."""
        return float(self.grid().mean())

    @property
    def second_moment(self) -> float:
        """:math:`E[X^2]` of the clipped, rounded law."""
        g = self.grid()
        return float((g * g).mean())


def fixed_length(tokens: float) -> LengthDistribution:
    """Every request has exactly ``tokens`` tokens."""
    return LengthDistribution(kind="fixed", mean_parameter=tokens)


def geometric_length(mean: float, maximum: int | None = None) -> LengthDistribution:
    """Geometric on 1, 2, ... with mean ``mean`` (a memoryless stop: each token ends the output
    with probability :math:`1/m`), clipped at ``maximum``."""
    return LengthDistribution(kind="geometric", mean_parameter=mean, maximum=maximum or 0)


def lognormal_length(mean: float, cv: float, maximum: int | None = None) -> LengthDistribution:
    """Lognormal with mean ``mean`` and coefficient of variation ``cv``, rounded, clipped at ``maximum``."""
    return LengthDistribution(kind="lognormal", mean_parameter=mean, cv=cv, maximum=maximum or 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Independent prompt and output lengths of the requests a replica receives."""

    prompt: LengthDistribution
    output: LengthDistribution

    def __post_init__(self) -> None:
        for name in ("prompt", "output"):
            if not isinstance(getattr(self, name), LengthDistribution):
                raise ValueError(f"{name} must be a LengthDistribution, got {getattr(self, name)!r}")

    @property
    def decode_tokens(self) -> float:
        """Mean tokens per request made by decode steps, :math:`E[O - 1]`."""
        return self.output.mean - 1.0

    @property
    def decode_context(self) -> float:
        """Context a decode step attends to, averaged over steps:
        :math:`E[P] + E[O(O-1)]/(2E[O-1])` (the step that makes token :math:`j` sees
        :math:`P + j - 1` tokens)."""
        o = self.output.grid()
        m1 = float((o - 1.0).mean())
        extra = float((o * (o - 1.0)).mean()) / (2.0 * m1) if m1 > 0 else 0.0
        return self.prompt.mean + extra

    @property
    def max_tokens(self) -> int:
        """Longest sequence, prompt plus output maxima (what a contiguous allocator reserves)."""
        return self.prompt.maximum + self.output.maximum


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """How the engine schedules prefills and allocates the KV cache.

    ``chunk_tokens`` is the prefill budget per iteration beside the decode tokens (chunked
    scheduling); ``reserve_tokens`` what a contiguous allocator reserves per sequence (default
    the traffic's :attr:`Traffic.max_tokens`); ``kv_transfer_bytes_per_s`` the link that moves a
    prompt's cache from the prefill pool to the decode pool (disaggregated; 50 GB/s, a 400 Gb/s
    NIC).
    """

    scheduling: str = "interleaved"
    allocation: str = "paged"
    block_tokens: int = VLLM_BLOCK_TOKENS
    chunk_tokens: int = 512
    reserve_tokens: int = 0
    kv_transfer_bytes_per_s: float = 50e9

    def __post_init__(self) -> None:
        _choice("scheduling", self.scheduling, SCHEDULES)
        _choice("allocation", self.allocation, ALLOCATIONS)
        for name, low in (("block_tokens", 1), ("chunk_tokens", 1), ("reserve_tokens", 0)):
            object.__setattr__(self, name, int(_scalar(name, getattr(self, name), low, integer=True)))
        link = _scalar("kv_transfer_bytes_per_s", self.kv_transfer_bytes_per_s, 0.0, low_open=True)
        object.__setattr__(self, "kv_transfer_bytes_per_s", link)


# ----------------------------------------------------------------------------------------
# KV capacity: paged against contiguous
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KVCapacity:
    """How many sequences the KV cache holds under one allocation (bound: HBM capacity).

    ``tokens_per_sequence`` is what one running sequence occupies on average (paged: its mean
    context plus half a block of internal fragmentation; contiguous: the reservation).
    ``used_fraction`` is the share of the allocated KV memory that holds real tokens (vLLM's
    paper measured 20.4–38.2% for earlier systems); ``internal_waste`` and ``reserved_waste``
    split the rest (partly filled last block; reserved for tokens not yet, or never, generated).
    Contiguous reservations of one size leave no external fragmentation.
    """

    allocation: str
    block_tokens: int
    kv_tokens: float
    tokens_per_sequence: float
    max_sequences: float
    used_fraction: float
    internal_waste: float
    reserved_waste: float
    bound: str = "capacity"


def kv_capacity(
    deployment: Deployment,
    traffic: Traffic,
    allocation: str = "paged",
    *,
    block_tokens: int = VLLM_BLOCK_TOKENS,
    reserve_tokens: int = 0,
) -> KVCapacity:
    """Sequences the usable HBM left by the weights holds, paged or contiguous.

    .. math:: c = \\frac{n f H - p_w N}{k_\\mathrm{kv}\\,L},\\qquad
              L_\\mathrm{paged} = \\bar\\ell + \\frac{\\beta - 1}{2},\\quad
              L_\\mathrm{contiguous} = P_\\mathrm{max} + O_\\mathrm{max}

    with :math:`\\beta` the block size. Raises ValueError if the weights do not fit, or one
    longest sequence does not fit beside them.
    """
    d = _deployment(deployment)
    _choice("allocation", allocation, ALLOCATIONS)
    blk = int(_scalar("block_tokens", block_tokens, 1, integer=True))
    res = int(_scalar("reserve_tokens", reserve_tokens, 0, integer=True))
    free = d.usable_hbm_bytes - d.weight_bytes
    if free <= 0:
        raise ValueError(
            f"{d.model.name} weights ({d.weight_bytes / 1e9:,.1f} GB) do not fit in the usable "
            f"{d.usable_hbm_bytes / 1e9:,.1f} GB of {d.n_devices} x {d.accelerator.name}; "
            f"short by "
            f"{-free / 1e9:,.1f} GB"
        )
    kv_tokens = free / d.kv_bytes_per_token
    longest = traffic.max_tokens
    if kv_tokens < longest:
        raise ValueError(
            f"the KV cache holds {kv_tokens:,.0f} tokens beside the weights, fewer than one "
            f"longest "
            f"sequence ({longest:,} tokens); use more devices or shorter maxima"
        )
    ell = traffic.decode_context
    if allocation == "paged":
        per = ell + (blk - 1) / 2.0
        internal, reserved = (blk - 1) / 2.0 / per, 0.0
    else:
        per = float(res or longest)
        if per < longest:
            raise ValueError(
                f"reserve_tokens must be at least the longest sequence, {longest:,}; got {res:,}"
            )
        internal, reserved = 0.0, (per - ell) / per
    return KVCapacity(
        allocation=allocation,
        block_tokens=blk,
        kv_tokens=kv_tokens,
        tokens_per_sequence=per,
        max_sequences=kv_tokens / per,
        used_fraction=ell / per,
        internal_waste=internal,
        reserved_waste=reserved,
    )


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
    from inferecon.serving.roofline import prefill_step  # local: keeps the import list short

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
    from inferecon.serving.roofline import prefill_step

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


# ----------------------------------------------------------------------------------------
# Prefix caching (RadixAttention)
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefixCacheResult:
    """A prompt's prefill with part of its prefix already cached (arrays broadcast over inputs).

    ``cached_tokens`` :math:`h = \\eta\\,\\phi\\,P` (hit rate times shared fraction times prompt);
    ``prefill_flop`` what is still computed; ``ttft_seconds`` the lone prefill pass (no queue);
    ``usd_per_million_prompt_tokens`` its price per prompt token at full use;
    ``cache_bytes`` the HBM the cached prefixes take; ``speedup`` the time saved as a ratio;
    ``bound`` the pass's roof (``"memory"``/``"compute"``).
    """

    cached_tokens: NDArray[np.float64]
    prefill_flop: NDArray[np.float64]
    ttft_seconds: NDArray[np.float64]
    usd_per_million_prompt_tokens: NDArray[np.float64]
    cache_bytes: NDArray[np.float64]
    speedup: NDArray[np.float64]
    bound: NDArray[np.str_]


def prefix_cache(
    deployment: Deployment,
    prompt_tokens: ArrayLike,
    shared_fraction: ArrayLike,
    hit_rate: ArrayLike,
    *,
    distinct_prefixes: ArrayLike = 1,
) -> PrefixCacheResult:
    """Prefill time, FLOPs, price and TTFT when a share of each prompt's prefix is cached.

    With :math:`h` cached tokens of a prompt of :math:`P`, the pass computes only the last
    :math:`P-h` tokens, each still attending to everything before it:

    .. math:: F = 2N(P-h) + a\\,\\frac{P(P-1) - h(h-1)}{2},\\qquad
              t = \\max\\left(\\frac{p_w N + (P-h)k_\\mathrm{kv}}{n u_B B}, \\frac{F}{n u_C C}\\right)

    and the cache holds ``distinct_prefixes`` prefixes of :math:`\\phi P` tokens
    (SGLang's RadixAttention :cite:`zheng2024sglang` keeps them in a radix tree, evicting LRU).
    """
    d = _deployment(deployment)
    p = _arr("prompt_tokens", prompt_tokens)
    if ((p < 1) | ~np.isfinite(p)).any():
        raise ValueError(
            f"prompt_tokens must be >= 1 and finite, got {p[(p < 1) | ~np.isfinite(p)].ravel()[:3].tolist()}"
        )
    phi = _arr("shared_fraction", shared_fraction)
    eta = _arr("hit_rate", hit_rate)
    for name, x in (("shared_fraction", phi), ("hit_rate", eta)):
        if ((x < 0) | (x > 1)).any():
            raise ValueError(f"{name} must lie in [0, 1], got {x[(x < 0) | (x > 1)].ravel()[:3].tolist()}")
    nd = _arr("distinct_prefixes", distinct_prefixes)
    if ((nd < 0) | ~np.isfinite(nd)).any():
        raise ValueError(f"distinct_prefixes must be >= 0 and finite, got {distinct_prefixes!r}")
    p, phi, eta, nd = np.broadcast_arrays(p, phi, eta, nd)
    h = np.floor(eta * phi * p)
    h = np.minimum(h, p - 1.0)  # the last token is always computed (it makes the first output)
    m = d.model
    new = p - h
    attn = m.attention_flop_per_context_token * (p * (p - 1) - h * (h - 1)) / 2.0
    flop = 2.0 * m.active_matmul_params * new + attn
    from inferecon.serving.moe import params_read_per_step

    mem = (
        d.weight_format.bytes_per_element * params_read_per_step(m, new) + new * d.kv_bytes_per_token
    ) / d.hbm_bytes_per_s
    comp = flop / d.flop_per_s
    t = np.maximum(mem, comp)
    full_flop = prefill_flop(m, p)
    full_mem = (
        d.weight_format.bytes_per_element * params_read_per_step(m, p) + p * d.kv_bytes_per_token
    ) / d.hbm_bytes_per_s
    t0 = np.maximum(full_mem, full_flop / d.flop_per_s)
    cache = nd * np.floor(phi * p) * d.kv_bytes_per_token
    return PrefixCacheResult(
        cached_tokens=h,
        prefill_flop=flop,
        ttft_seconds=t,
        usd_per_million_prompt_tokens=TOKENS_PER_MILLION * d.usd_per_s * t / p,
        cache_bytes=cache,
        speedup=t0 / t,
        bound=np.where(mem >= comp, "memory", "compute"),
    )
