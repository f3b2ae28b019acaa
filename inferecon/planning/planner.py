"""Deployment planner: from traffic and latency targets to replicas, GPUs and dollars a month.

A **replica** is one copy of the model on ``n_devices`` accelerators. It decodes a batch of
:math:`b` concurrent requests (continuous batching) with a roofline step time
:math:`t(b, \\bar\\ell)` at the mean context :math:`\\bar\\ell = t_\\mathrm{in} + t_\\mathrm{out}/2`,
and prefills each prompt at the arithmetic roofline. The planner

1. takes the **largest batch** that meets the time-per-output-token target **under the
   replica's prefill scheduling** (:data:`PREFILL_SCHEDULES`, :func:`seconds_per_output_token`)
   and fits weights plus every sequence's KV cache in HBM (minus a reserve);
2. computes one replica's sustainable request rate,

   .. math:: R = \\left(\\frac{t_\\mathrm{out}\\, t(b)}{b} + p\\right)^{-1}
             \\quad\\text{requests/s},\\qquad p = \\frac{F_\\mathrm{prefill}(t_\\mathrm{in})}{u_C C}

   (batched prefill at the arithmetic roofline, :func:`inferecon.serving.prefill.prefill_compute_seconds`),
   and checks the time to first token, a lone prompt's :func:`inferecon.serving.prefill.prefill_seconds`
   plus one decode step;

3. sizes the fleet for the **peak** rate with a headroom buffer,
   :math:`n = \\lceil r_\\mathrm{avg}\\,\\pi\\,h / R\\rceil` (:math:`\\pi` = peak-to-average,
   :math:`h` = peak buffer);
4. applies the other "hidden multipliers" explicitly: redundancy, regions and a development /
   staging share, and prices the result at 730 hours a month.

The multi-device replica is an **ideal** group (bandwidth, FLOP/s and memory add up; no
communication time), so the step times are bounds and the fleets and dollars lower limits:
real tensor-parallel replicas are slower (chapter 7 prices the network) and real kernels
reach roughly half the roofline (chapter 11). :meth:`ReplicaConfig.derated` applies a fitted
efficiency through the two utilization arguments.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative, positive
from inferecon.serving.costs import monthly_usd
from inferecon.serving.memory import max_batch
from inferecon.serving.prefill import prefill_compute_seconds, prefill_seconds
from inferecon.serving.roofline import decode_compute_seconds, decode_step_seconds
from inferecon.specs.deployment import Deployment, deployment
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec
from inferecon.specs.precision import NumberFormat
from inferecon.units import HOUR_S, MONTH_S

__all__ = [
    "DEFAULT_PREFILL_SCHEDULING",
    "HOURS_PER_MONTH",
    "PREFILL_SCHEDULES",
    "Fleet",
    "Multipliers",
    "Plan",
    "ReplicaConfig",
    "Workload",
    "fleet",
    "ideal_replica",
    "multi_region_factor",
    "plan",
    "plan_mixture",
    "replica_requests_per_second",
    "seconds_per_output_token",
]


def _field(owner: str, name: str, value: object, *, low: float = 0.0, integer: bool = False) -> float:
    """A numeric field of ``owner`` as a float: refuses strings (``"10"``), booleans, NaN, inf
    and values below ``low``, with a ValueError naming the field."""
    if isinstance(value, (str, bytes, bool)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}.{name} must be a number, got {value!r} ({type(value).__name__})")
    x = float(value)
    if not math.isfinite(x) or x < low:
        raise ValueError(f"{owner}.{name} must be >= {low:g} and finite, got {value!r}")
    if integer and x != int(x):
        raise ValueError(f"{owner}.{name} must be a whole number >= {low:g}, got {value!r}")
    return x


#: Hours in an average month (365 days / 12 x 24 h = 730 h).
HOURS_PER_MONTH = MONTH_S / HOUR_S


#: How a replica's prefills share the hardware with its decode batch
#: (:attr:`ReplicaConfig.prefill_scheduling`; :func:`seconds_per_output_token` gives each one's
#: time per output token):
#:
#: - ``"interleaved"`` (the default): the replica pauses its decode batch to run the prefills of
#:   new requests (each taking :math:`p`, batched at the arithmetic roofline). At full load,
#:   :math:`b/t_\mathrm{out}` sequences finish and are replaced in every decode step, so every
#:   sequence waits :math:`t(b) + b\,p/t_\mathrm{out}` per output token.
#: - ``"chunked"``: ideal chunked prefill (Sarathi-Serve, vLLM's chunked prefill): every step
#:   carries the prompt chunks of the :math:`b/t_\mathrm{out}` new requests beside its decode
#:   tokens and reads the weights once for both, so the step takes
#:   :math:`\max(t_\mathrm{mem}(b),\ t_\mathrm{comp}(b) + b\,p/t_\mathrm{out})`; the chunks'
#:   own KV reads and writes are left out (an optimistic step).
#: - ``"disaggregated"``: separate prefill replicas (same configuration) prefill every prompt
#:   and hand over its cache; the decode replicas are never paused, so a token takes
#:   :math:`t(b)`. The fleet is two pools, each rounded up to whole replicas; the cache
#:   transfer is left out.
PREFILL_SCHEDULES = ("interleaved", "chunked", "disaggregated")
#: The planner's default scheduling: prefill pauses decoding (no chunking, one pool).
DEFAULT_PREFILL_SCHEDULING = "interleaved"


def seconds_per_output_token(
    step_seconds: ArrayLike,
    batch: ArrayLike,
    prefill_seconds_per_request: ArrayLike,
    output_tokens: ArrayLike,
    scheduling: str = DEFAULT_PREFILL_SCHEDULING,
    *,
    load: ArrayLike = 1.0,
    compute_seconds: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""Time between a sequence's output tokens on a replica that also prefills new requests.

    ``load`` is the replica's request rate as a fraction of its capacity :math:`R`
    (:func:`replica_requests_per_second`; the planner checks its latency target at ``load=1``,
    a replica driven to the capacity it is sized by).

    - interleaved: prefill takes a share :math:`f = \lambda R p` of the time and decode steps
      the rest, so :math:`\tau = t/(1 - f)`; at :math:`\lambda = 1` this is
      :math:`t + b\,p/t_\mathrm{out}`.
    - chunked: :math:`\tau = \max(t, t_\mathrm{comp} + \lambda\,b\,p/t_\mathrm{out})` with
      ``compute_seconds`` :math:`t_\mathrm{comp}` the decode step's arithmetic time; since
      :math:`t = \max(t_\mathrm{mem}, t_\mathrm{comp})` this is the mixed step
      :math:`\max(t_\mathrm{mem}, t_\mathrm{comp} + \lambda b p/t_\mathrm{out})`.
    - disaggregated: :math:`\tau = t`.
    """
    t = positive("step_seconds", step_seconds)
    b = at_least_one("batch", batch)
    p = non_negative("prefill_seconds_per_request", prefill_seconds_per_request)
    n = at_least_one("output_tokens", output_tokens)
    lam = fraction("load", load, low_open=False)  # 0 <= load <= 1
    if scheduling == "interleaved":
        share = lam * p / (n * t / b + p)
        return t / (1.0 - share)
    if scheduling == "chunked":
        if compute_seconds is None:
            raise ValueError("chunked scheduling needs compute_seconds, the decode step's arithmetic time")
        c = non_negative("compute_seconds", compute_seconds)
        return np.maximum(t, c + lam * b * p / n)
    if scheduling == "disaggregated":
        return np.broadcast_to(t, np.broadcast_shapes(t.shape, b.shape, p.shape, n.shape, lam.shape)).astype(
            float
        )
    raise ValueError(f"scheduling must be one of {', '.join(PREFILL_SCHEDULES)}; got {scheduling!r}")


def ideal_replica(accelerator: str | Accelerator, n_devices: int) -> Accelerator:
    """An ``n_devices`` group seen as one device: FLOP/s, HBM and its bandwidth and price add up.

    This is the zero-communication limit of tensor parallelism, an upper bound on speed, and
    the same model as the ``n_devices`` argument of :func:`inferecon.serving.roofline.decode_step_seconds`;
    as one object it also carries the group's price and capacity.
    ``ideal_replica("h100-sxm", 1)`` is the H100 itself.
    """
    acc = get_accelerator(accelerator)
    n = int(at_least_one("n_devices", n_devices, integer=True))
    if n == 1:
        return acc
    return dataclasses.replace(
        acc,
        id=f"{acc.id}x{n}",
        name=f"{n}x {acc.name} (ideal)",
        flop_per_s={k: n * v for k, v in acc.flop_per_s.items()},
        hbm_bytes=n * acc.hbm_bytes,
        hbm_bytes_per_s=n * acc.hbm_bytes_per_s,
        price_usd_per_hour=n * acc.price_usd_per_hour,
        notes=f"ideal {n}-device group (no communication time) built from {acc.id}",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """Traffic of one product.

    Attributes
    ----------
    requests_per_s : average request rate (>= 0).
    peak_to_average : peak rate over average rate (>= 1).
    input_tokens, output_tokens : mean prompt and completion length per request.
    """

    requests_per_s: float
    peak_to_average: float = 1.0
    input_tokens: float = 1000.0
    output_tokens: float = 250.0

    def __post_init__(self) -> None:
        for name, low in (
            ("requests_per_s", 0.0),
            ("peak_to_average", 1.0),
            ("input_tokens", 0.0),
            ("output_tokens", 1.0),
        ):
            _field("Workload", name, getattr(self, name), low=low)

    @property
    def peak_requests_per_s(self) -> float:
        """Peak request rate, average times the peak-to-average factor."""
        return self.requests_per_s * self.peak_to_average

    @property
    def mean_context_tokens(self) -> float:
        """Mean KV length during decoding, :math:`t_\\mathrm{in} + t_\\mathrm{out}/2` (at least 1)."""
        return max(self.input_tokens + self.output_tokens / 2.0, 1.0)

    @property
    def max_context_tokens(self) -> float:
        """KV length a request reaches at its last token, :math:`t_\\mathrm{in} + t_\\mathrm{out}`."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaConfig:
    """One serving configuration: model, hardware, formats and latency targets.

    The model, accelerator, formats, device count, utilizations, HBM share
    (``1 - reserve_fraction``) and price are resolved once, into :attr:`deployment`; an
    :class:`~inferecon.specs.hardware.Accelerator` is used exactly as given (its price
    included, unless ``price_usd_per_hour`` replaces it).
    """

    model: str | ModelSpec
    accelerator: str | Accelerator = "h100-sxm"
    n_devices: int = 1
    weight_format: str | NumberFormat = "bf16"
    kv_format: str | NumberFormat = "bf16"
    max_seconds_per_output_token: float = 0.05
    max_seconds_to_first_token: float = 2.0
    flop_utilization: float = 1.0
    bandwidth_utilization: float = 1.0
    reserve_fraction: float = 0.1
    max_batch: int = 4096
    #: how prefills share the replica with decoding (:data:`PREFILL_SCHEDULES`)
    prefill_scheduling: str = DEFAULT_PREFILL_SCHEDULING
    #: price of one device-hour; None: the accelerator's own
    price_usd_per_hour: float | None = None
    _deployment: Deployment = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.prefill_scheduling not in PREFILL_SCHEDULES:
            raise ValueError(
                f"prefill_scheduling must be one of {', '.join(PREFILL_SCHEDULES)}; "
                f"got {self.prefill_scheduling!r}"
            )
        for name, low in (
            ("max_seconds_per_output_token", 0.0),
            ("max_seconds_to_first_token", 0.0),
            ("flop_utilization", 0.0),
            ("bandwidth_utilization", 0.0),
            ("reserve_fraction", 0.0),
        ):
            _field("ReplicaConfig", name, getattr(self, name), low=low)
        _field("ReplicaConfig", "n_devices", self.n_devices, low=1, integer=True)
        _field("ReplicaConfig", "max_batch", self.max_batch, low=1, integer=True)
        positive("max_seconds_per_output_token", self.max_seconds_per_output_token)
        positive("max_seconds_to_first_token", self.max_seconds_to_first_token)
        fraction("reserve_fraction", self.reserve_fraction, low_open=False, high_open=True)
        if self.price_usd_per_hour is not None:
            _field("ReplicaConfig", "price_usd_per_hour", self.price_usd_per_hour)
        dep = deployment(
            self.accelerator,
            self.model,
            weight_format=self.weight_format,
            kv_format=self.kv_format,
            n_devices=int(self.n_devices),
            flop_utilization=self.flop_utilization,
            bandwidth_utilization=self.bandwidth_utilization,
            hbm_fraction=1.0 - self.reserve_fraction,
            price_usd_per_hour=self.price_usd_per_hour,
        )
        object.__setattr__(self, "_deployment", dep)

    @property
    def deployment(self) -> Deployment:
        """The whole description, resolved once: what every planner function reads."""
        return self._deployment

    def derated(self, efficiency: float) -> ReplicaConfig:
        """The same configuration on a real system that reaches a fraction :math:`\\eta` of the
        bound: both utilizations multiplied by :math:`\\eta`.

        With the default utilizations of 1 the planner prices the ideal bound, a lower limit on
        cost; chapter 11 fits :math:`\\eta` from published measurements
        (:func:`inferecon.validation.predictions.fit_efficiency`) so that budgets can be planned with it.
        """
        eta = float(fraction("efficiency", efficiency))
        return dataclasses.replace(
            self,
            flop_utilization=self.flop_utilization * eta,
            bandwidth_utilization=self.bandwidth_utilization * eta,
        )

    @property
    def replica(self) -> Accelerator:
        """The replica's ideal device group (:func:`ideal_replica`) at the deployment's price."""
        return _replica(self.deployment)

    def roofline_kw(self) -> dict[str, object]:
        """Keyword arguments for :func:`inferecon.serving.roofline.decode_step_seconds`."""
        return _roofline_kw(self.deployment)


def _replica(dep: Deployment) -> Accelerator:
    acc = dep.accelerator
    if acc.price_usd_per_hour != dep.price_usd_per_hour:
        acc = dataclasses.replace(acc, price_usd_per_hour=dep.price_usd_per_hour)
    return ideal_replica(acc, dep.n_devices)


def _roofline_kw(dep: Deployment) -> dict[str, object]:
    return dict(
        weight_format=dep.weight_format,
        kv_format=dep.kv_format,
        flop_utilization=dep.flop_utilization,
        bandwidth_utilization=dep.bandwidth_utilization,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Multipliers:
    """The "hidden multipliers" of Brenndoerfer's handbook (:cite:`brenndoerfer2025inference`), each explicit.

    Attributes
    ----------
    peak_buffer : headroom above the peak rate (1.25 = run at most at 80% of capacity at peak).
    redundancy : spare capacity factor within a region (2 = a hot standby for everything).
    regions : full copies of the fleet in separate regions.
    development : extra share of GPUs for development, staging and evaluation (0.2 = +20%).
    """

    peak_buffer: float = 1.0
    redundancy: float = 1.0
    regions: int = 1
    development: float = 0.0

    def __post_init__(self) -> None:
        _field("Multipliers", "peak_buffer", self.peak_buffer, low=1.0)
        _field("Multipliers", "redundancy", self.redundancy, low=1.0)
        _field("Multipliers", "regions", self.regions, low=1.0, integer=True)
        _field("Multipliers", "development", self.development)

    @property
    def product(self) -> float:
        """All four multiplied: :math:`h \\cdot r \\cdot k \\cdot (1 + d)`."""
        return self.peak_buffer * self.redundancy * self.regions * (1.0 + self.development)


def multi_region_factor(regions: ArrayLike, survive_region_loss: bool = True) -> NDArray[np.float64]:
    """Fleet multiple for serving from :math:`k` regions.

    Full copies cost :math:`k`. Splitting traffic so that the other :math:`k - 1` regions can
    absorb the loss of any one costs only :math:`k/(k-1)` (:math:`k \\ge 2`).
    """
    k = at_least_one("regions", regions, integer=True)
    if not survive_region_loss:
        return k
    if np.any(k < 2):
        raise ValueError("surviving the loss of a region needs regions >= 2")
    return k / (k - 1.0)


def replica_requests_per_second(
    step_seconds: ArrayLike,
    batch: ArrayLike,
    prefill_seconds_per_request: ArrayLike,
    output_tokens: ArrayLike,
) -> NDArray[np.float64]:
    """Requests per second one replica sustains (module docstring, step 2).

    .. math:: R = \\left(\\frac{t_\\mathrm{out}\\,t(b)}{b} + t_\\mathrm{prefill}\\right)^{-1}
    """
    t = positive("step_seconds", step_seconds)
    b = at_least_one("batch", batch)
    p = non_negative("prefill_seconds_per_request", prefill_seconds_per_request)
    n = at_least_one("output_tokens", output_tokens)
    return 1.0 / (n * t / b + p)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    r"""The planner's answer; every intermediate figure is kept so it can be checked.

    ``step_seconds`` is the decode step alone; ``seconds_per_output_token`` is what a sequence
    waits per token at full load under the configuration's prefill scheduling (the figure held
    against ``max_seconds_per_output_token``). For ``"disaggregated"`` scheduling
    ``replica_requests_per_s`` is the fleet's requests/s per replica over both pools,
    :math:`(t_\mathrm{out} t/b + p)^{-1}`, and ``replicas_for_peak`` adds the two pools, each
    rounded up. ``batch_limit`` says what stops the batch from growing (``"latency"``, the
    per-token target; ``"memory"``, HBM for the KV cache; ``"max_batch"``, the configured
    cap) and ``step_bound`` what bounds the decode step at that batch (``"memory"`` or
    ``"compute"``).
    """

    workload: Workload
    config: ReplicaConfig
    multipliers: Multipliers
    batch: int
    batch_limit: str
    step_bound: str
    step_seconds: float
    prefill_seconds: float
    seconds_per_output_token: float
    replica_requests_per_s: float
    replicas_for_peak: int
    replicas: int
    devices: int
    usd_per_month: float
    usd_per_month_peak_only: float
    usd_per_million_output_tokens: float
    utilization_at_average: float

    @property
    def prefill_scheduling(self) -> str:
        """The scheduling the latency target was checked under (:data:`PREFILL_SCHEDULES`)."""
        return self.config.prefill_scheduling

    @property
    def capacity_requests_per_s(self) -> float:
        """Requests/s the peak-sized fleet (before redundancy and regions) can serve."""
        return self.replicas_for_peak * self.replica_requests_per_s


def _per_token(
    dep: Deployment,
    scheduling: str,
    batches: NDArray[np.float64],
    ctx_mean: float,
    prefill: float,
    output_tokens: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Decode step, time per output token at full load, requests/s of one replica and the
    decode step's arithmetic time, per batch."""
    acc, kw = _replica(dep), _roofline_kw(dep)
    steps = decode_step_seconds(acc, dep.model, batches, ctx_mean, **kw)  # type: ignore[arg-type]
    comp = decode_compute_seconds(
        acc,
        dep.model,
        batches,
        ctx_mean,
        weight_format=dep.weight_format,
        flop_utilization=dep.flop_utilization,
    )
    tau = seconds_per_output_token(steps, batches, prefill, output_tokens, scheduling, compute_seconds=comp)
    if scheduling == "chunked":
        rate = batches / (output_tokens * tau)
    else:
        rate = replica_requests_per_second(steps, batches, prefill, output_tokens)
    return steps, tau, rate, comp


def _largest_batch(
    dep: Deployment,
    config: ReplicaConfig,
    ctx_mean: float,
    ctx_max: float,
    prefill: float,
    output_tokens: float,
) -> tuple[int, str, float, float, float, str]:
    acc, m = _replica(dep), dep.model
    mem_cap = int(
        max_batch(
            acc,
            m,
            ctx_max,
            weight_format=dep.weight_format,
            kv_format=dep.kv_format,
            hbm_fraction=dep.hbm_fraction,
        )
    )
    if mem_cap < 1:
        raise ValueError(
            f"{m.name} on {acc.name}: not even one {ctx_max:.0f}-token sequence "
            f"fits beside the weights; use more devices or a smaller format"
        )
    upper = min(mem_cap, config.max_batch)
    batches = np.arange(1, upper + 1, dtype=float)
    steps, tau, rate, comp = _per_token(
        dep, config.prefill_scheduling, batches, ctx_mean, prefill, output_tokens
    )
    ok = tau <= config.max_seconds_per_output_token
    if not ok[0]:
        raise ValueError(
            f"{m.name} on {acc.name}: a single sequence already takes "
            f"{tau[0] * 1e3:.1f} ms per token, above the "
            f"{config.max_seconds_per_output_token * 1e3:.1f} ms target "
            f"({config.prefill_scheduling} prefill); use more "
            f"devices, a smaller format or a smaller model"
        )
    b = int(np.nonzero(ok)[0][-1] + 1)
    if b == upper:
        limit = "memory" if upper == mem_cap else "max_batch"
    else:
        limit = "latency"
    step_bound = "compute" if comp[b - 1] >= steps[b - 1] else "memory"
    return b, limit, float(steps[b - 1]), float(tau[b - 1]), float(rate[b - 1]), step_bound


@dataclass(frozen=True, slots=True, kw_only=True)
class Fleet:
    """Fleets sized for an array of average request rates (:func:`fleet`); arrays of equal shape."""

    requests_per_s: NDArray[np.float64]
    replicas_for_peak: NDArray[np.float64]
    replicas: NDArray[np.float64]
    devices: NDArray[np.float64]
    usd_per_month: NDArray[np.float64]
    usd_per_month_peak_only: NDArray[np.float64]
    usd_per_million_output_tokens: NDArray[np.float64]
    utilization_at_average: NDArray[np.float64]


def _size(
    dep: Deployment,
    rate: float,
    peak_rps: ArrayLike,
    avg_rps: ArrayLike,
    output_tokens: float,
    mult: Multipliers,
    pools: tuple[float, float] | None = None,
) -> Fleet:
    """Fleet size and price for request rates (vectorized; module docstring steps 3-4).

    ``pools`` = (decode requests/s, prefill requests/s) of one replica for disaggregated
    prefill: each pool is sized for the peak and rounded up on its own.
    """
    peak = np.asarray(peak_rps, dtype=float)
    avg = np.asarray(avg_rps, dtype=float)
    if pools is None:
        for_peak = np.maximum(1.0, np.ceil(peak * mult.peak_buffer / rate - 1e-9))
    else:
        for_peak = sum(
            (np.maximum(1.0, np.ceil(peak * mult.peak_buffer / r - 1e-9)) for r in pools), np.zeros_like(peak)
        )
    replicas = np.ceil(
        np.ceil(for_peak * mult.redundancy - 1e-9) * mult.regions * (1.0 + mult.development) - 1e-9
    )
    devices = replicas * dep.n_devices
    price = dep.price_usd_per_hour
    usd = monthly_usd(price, devices)
    tokens_month = avg * output_tokens * MONTH_S
    with np.errstate(divide="ignore"):
        per_m = np.where(tokens_month > 0, usd / np.where(tokens_month > 0, tokens_month, 1.0) * 1e6, np.inf)
    return Fleet(
        requests_per_s=avg,
        replicas_for_peak=for_peak,
        replicas=replicas,
        devices=devices,
        usd_per_month=usd,
        usd_per_month_peak_only=monthly_usd(price, for_peak * dep.n_devices),
        usd_per_million_output_tokens=per_m,
        utilization_at_average=avg / (replicas * rate),
    )


def fleet(
    workload: Workload,
    config: ReplicaConfig,
    multipliers: Multipliers | None = None,
    requests_per_s: ArrayLike | None = None,
) -> Fleet:
    """Vectorized :func:`plan` over average request rates with ``workload``'s shape.

    The replica (batch, step time, requests/s per replica) does not depend on the rate, so it
    is computed once and only the fleet sizing is swept. Returns a :class:`Fleet` whose
    arrays are named like :class:`Plan`'s fields (``replicas``, ``devices``, ``usd_per_month``, ...).
    """
    p = plan(workload, config, multipliers)
    if requests_per_s is not None:
        if np.asarray(requests_per_s).dtype.kind in "USOb" or np.size(requests_per_s) == 0:
            raise ValueError(f"requests_per_s must be a non-empty array of numbers, got {requests_per_s!r}")
    r = non_negative("requests_per_s", workload.requests_per_s if requests_per_s is None else requests_per_s)
    if np.isinf(r).any():
        raise ValueError("requests_per_s must be finite")
    return _size(
        config.deployment,
        p.replica_requests_per_s,
        r * workload.peak_to_average,
        r,
        workload.output_tokens,
        p.multipliers,
        _pools(p),
    )


def _pools(p: Plan) -> tuple[float, float] | None:
    """Per-replica rates of the decode and prefill pools of a disaggregated plan, else None."""
    if p.config.prefill_scheduling != "disaggregated":
        return None
    return (p.batch / (p.workload.output_tokens * p.step_seconds), 1.0 / p.prefill_seconds)


def plan(workload: Workload, config: ReplicaConfig, multipliers: Multipliers | None = None) -> Plan:
    """Size and price a fleet for ``workload`` (module docstring). Raises ValueError when the
    configuration cannot meet a latency target (per output token under its
    ``prefill_scheduling``, or to the first token) or does not fit in memory."""
    for name, obj, kind in (("workload", workload, Workload), ("config", config, ReplicaConfig)):
        if not isinstance(obj, kind):
            raise ValueError(f"{name} must be a {kind.__name__}, got {type(obj).__name__}")
    if multipliers is not None and not isinstance(multipliers, Multipliers):
        raise ValueError(f"multipliers must be a Multipliers or None, got {type(multipliers).__name__}")
    mult = multipliers if multipliers is not None else Multipliers()
    dep = config.deployment
    acc, m = _replica(dep), dep.model
    # batched prefill is compute-bound: the weight reads are shared by many prompts
    prefill = float(
        prefill_compute_seconds(
            acc,
            m,
            max(workload.input_tokens, 1.0),
            weight_format=dep.weight_format,
            flop_utilization=dep.flop_utilization,
        )
    )
    b, limit, step, tau, rate, step_bound = _largest_batch(
        dep,
        config,
        workload.mean_context_tokens,
        workload.max_context_tokens,
        prefill,
        workload.output_tokens,
    )
    ttft = float(prefill_seconds(acc, m, max(workload.input_tokens, 1.0), **_roofline_kw(dep))) + step  # type: ignore[arg-type]
    if ttft > config.max_seconds_to_first_token:
        raise ValueError(
            f"{m.name} on {acc.name}: time to first token {ttft:.2f} s exceeds the "
            f"{config.max_seconds_to_first_token:.2f} s target for "
            f"{workload.input_tokens:.0f}-token prompts"
        )
    pools = (
        (b / (workload.output_tokens * step), 1.0 / prefill)
        if config.prefill_scheduling == "disaggregated"
        else None
    )
    sized = _size(
        dep, rate, workload.peak_requests_per_s, workload.requests_per_s, workload.output_tokens, mult, pools
    )
    return Plan(
        workload=workload,
        config=config,
        multipliers=mult,
        batch=b,
        batch_limit=limit,
        step_bound=step_bound,
        step_seconds=step,
        prefill_seconds=prefill,
        seconds_per_output_token=tau,
        replica_requests_per_s=rate,
        replicas_for_peak=int(sized.replicas_for_peak),
        replicas=int(sized.replicas),
        devices=int(sized.devices),
        usd_per_month=float(sized.usd_per_month),
        usd_per_month_peak_only=float(sized.usd_per_month_peak_only),
        usd_per_million_output_tokens=float(sized.usd_per_million_output_tokens),
        utilization_at_average=float(sized.utilization_at_average),
    )


def plan_mixture(
    workload: Workload, shares: list[tuple[float, ReplicaConfig]], multipliers: Multipliers | None = None
) -> tuple[list[Plan], int, float]:
    """Plan separate fleets for shares of one workload (a router's small and large models).

    Each fleet gets ``share`` of the average (and peak) rate and the same multipliers; every
    fleet keeps at least one replica, which is why routing at low traffic can cost more than
    one model alone. Returns ``(plans, total_devices, total_usd_per_month)``. Shares must be
    in [0, 1] and add up to 1.
    """
    if not shares:
        raise ValueError("shares must list at least one (share, config) pair")
    s = [float(fraction("share", _field("plan_mixture", "share", x), low_open=False)) for x, _ in shares]
    if abs(sum(s) - 1.0) > 1e-9:
        raise ValueError(f"shares must add up to 1, got {sum(s)!r}")
    plans = [
        plan(dataclasses.replace(workload, requests_per_s=workload.requests_per_s * x), cfg, multipliers)
        for x, (_, cfg) in zip(s, shares, strict=True)
    ]
    return plans, sum(p.devices for p in plans), sum(p.usd_per_month for p in plans)
