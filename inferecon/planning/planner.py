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

   (batched prefill at the arithmetic roofline, :func:`inferecon.serving.roofline.prefill_compute_seconds`),
   and checks the time to first token, a lone prompt's :func:`inferecon.serving.roofline.prefill_seconds`
   plus one decode step;

3. sizes the fleet for the **peak** rate with a headroom buffer,
   :math:`n = \\lceil r_\\mathrm{avg}\\,\\pi\\,h / R\\rceil` (:math:`\\pi` = peak-to-average,
   :math:`h` = peak buffer);
4. applies the other "hidden multipliers" explicitly: redundancy, regions and a development /
   staging share, and prices the result at 730 hours a month.

The multi-device replica is an **ideal** group (bandwidth, FLOP/s and memory add up; no
communication time), so the step times are bounds and the fleets and dollars lower limits:
real tensor-parallel replicas are slower (chapter 6 prices the network) and real kernels
reach roughly half the roofline (chapter 9). :meth:`ReplicaConfig.derated` applies a fitted
efficiency through the two utilization arguments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative, positive
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import get_format
from inferecon.serving.costs import monthly_usd
from inferecon.serving.roofline import (
    decode_compute_seconds,
    decode_step_seconds,
    max_batch,
    prefill_compute_seconds,
    prefill_seconds,
)
from inferecon.units import HOUR_S, MONTH_S

__all__ = [
    "PREFILL_SCHEDULES", "DEFAULT_PREFILL_SCHEDULING", "seconds_per_output_token", "ideal_replica", "Workload", "ReplicaConfig", "Multipliers", "Plan", "plan",
    "HOURS_PER_MONTH", "multi_region_factor", "replica_requests_per_second", "fleet", "plan_mixture",
]

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


def seconds_per_output_token(step_seconds: ArrayLike, batch: ArrayLike,
                             prefill_seconds_per_request: ArrayLike, output_tokens: ArrayLike,
                             scheduling: str = DEFAULT_PREFILL_SCHEDULING, *, load: ArrayLike = 1.0,
                             compute_seconds: ArrayLike | None = None) -> NDArray[np.float64]:
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
        return np.broadcast_to(t, np.broadcast_shapes(t.shape, b.shape, p.shape, n.shape, lam.shape)).astype(float)
    raise ValueError(f"scheduling must be one of {', '.join(PREFILL_SCHEDULES)}; got {scheduling!r}")


def ideal_replica(accelerator: "str | Accelerator", n_devices: int) -> Accelerator:
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
        acc, id=f"{acc.id}x{n}", name=f"{n}x {acc.name} (ideal)",
        flop_per_s={k: n * v for k, v in acc.flop_per_s.items()},
        hbm_bytes=n * acc.hbm_bytes, hbm_bytes_per_s=n * acc.hbm_bytes_per_s,
        price_usd_per_hour=n * acc.price_usd_per_hour,
        notes=f"ideal {n}-device group (no communication time) built from {acc.id}")


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
        non_negative("requests_per_s", self.requests_per_s)
        at_least_one("peak_to_average", self.peak_to_average)
        non_negative("input_tokens", self.input_tokens)
        at_least_one("output_tokens", self.output_tokens)

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
    """One serving configuration: model, hardware, formats and latency targets."""

    model: str | ModelSpec
    accelerator: str | Accelerator = "h100-sxm"
    n_devices: int = 1
    weight_format: str = "bf16"
    kv_format: str = "bf16"
    max_seconds_per_output_token: float = 0.05
    max_seconds_to_first_token: float = 2.0
    flop_utilization: float = 1.0
    bandwidth_utilization: float = 1.0
    reserve_fraction: float = 0.1
    max_batch: int = 4096
    #: how prefills share the replica with decoding (:data:`PREFILL_SCHEDULES`)
    prefill_scheduling: str = DEFAULT_PREFILL_SCHEDULING

    def __post_init__(self) -> None:
        if self.prefill_scheduling not in PREFILL_SCHEDULES:
            raise ValueError(f"prefill_scheduling must be one of {', '.join(PREFILL_SCHEDULES)}; "
                             f"got {self.prefill_scheduling!r}")
        get_model(self.model)
        get_accelerator(self.accelerator)
        at_least_one("n_devices", self.n_devices, integer=True)
        get_format(self.weight_format)
        get_format(self.kv_format)
        positive("max_seconds_per_output_token", self.max_seconds_per_output_token)
        positive("max_seconds_to_first_token", self.max_seconds_to_first_token)
        fraction("flop_utilization", self.flop_utilization)
        fraction("bandwidth_utilization", self.bandwidth_utilization)
        fraction("reserve_fraction", self.reserve_fraction, low_open=False, high_open=True)
        at_least_one("max_batch", self.max_batch, integer=True)

    def derated(self, efficiency: float) -> "ReplicaConfig":
        """The same configuration on a real system that reaches a fraction :math:`\\eta` of the
        bound: both utilizations multiplied by :math:`\\eta`.

        With the default utilizations of 1 the planner prices the ideal bound, a lower limit on
        cost; chapter 9 fits :math:`\\eta` from published measurements
        (:func:`inferecon.validation.predictions.fit_efficiency`) so that budgets can be planned with it.
        """
        eta = float(fraction("efficiency", efficiency))
        return dataclasses.replace(self, flop_utilization=self.flop_utilization * eta,
                                   bandwidth_utilization=self.bandwidth_utilization * eta)

    @property
    def replica(self) -> Accelerator:
        """The replica's ideal device group (:func:`ideal_replica`)."""
        return ideal_replica(self.accelerator, self.n_devices)

    def roofline_kw(self) -> dict:
        """Keyword arguments for :func:`inferecon.serving.roofline.decode_step_seconds`."""
        return dict(weight_format=self.weight_format, kv_format=self.kv_format,
                    flop_utilization=self.flop_utilization,
                    bandwidth_utilization=self.bandwidth_utilization)


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
        at_least_one("peak_buffer", self.peak_buffer)
        at_least_one("redundancy", self.redundancy)
        at_least_one("regions", self.regions, integer=True)
        non_negative("development", self.development)

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


def replica_requests_per_second(step_seconds: ArrayLike, batch: ArrayLike,
                                prefill_seconds_per_request: ArrayLike,
                                output_tokens: ArrayLike) -> NDArray[np.float64]:
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
    rounded up.
    """

    workload: Workload
    config: ReplicaConfig
    multipliers: Multipliers
    batch: int
    batch_limit: str
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


def _per_token(config: ReplicaConfig, acc: Accelerator, m: ModelSpec, batches: NDArray[np.float64],
               ctx_mean: float, prefill: float, output_tokens: float) -> tuple[NDArray, NDArray, NDArray]:
    """Decode step, time per output token at full load, and requests/s of one replica, per batch."""
    kw = config.roofline_kw()
    steps = decode_step_seconds(acc, m, batches, ctx_mean, **kw)
    comp = decode_compute_seconds(acc, m, batches, ctx_mean, weight_format=config.weight_format,
                                  flop_utilization=config.flop_utilization)
    tau = seconds_per_output_token(steps, batches, prefill, output_tokens, config.prefill_scheduling,
                                   compute_seconds=comp)
    if config.prefill_scheduling == "chunked":
        rate = batches / (output_tokens * tau)
    else:
        rate = replica_requests_per_second(steps, batches, prefill, output_tokens)
    return steps, tau, rate


def _largest_batch(config: ReplicaConfig, ctx_mean: float, ctx_max: float, prefill: float,
                   output_tokens: float) -> tuple[int, str, float, float, float]:
    acc, m = config.replica, get_model(config.model)
    mem_cap = int(max_batch(acc, m, ctx_max, weight_format=config.weight_format,
                            kv_format=config.kv_format, hbm_fraction=1.0 - config.reserve_fraction))
    if mem_cap < 1:
        raise ValueError(f"{m.name} on {acc.name}: not even one {ctx_max:.0f}-token sequence "
                         f"fits beside the weights; use more devices or a smaller format")
    upper = min(mem_cap, config.max_batch)
    batches = np.arange(1, upper + 1, dtype=float)
    steps, tau, rate = _per_token(config, acc, m, batches, ctx_mean, prefill, output_tokens)
    ok = tau <= config.max_seconds_per_output_token
    if not ok[0]:
        raise ValueError(f"{m.name} on {acc.name}: a single sequence already takes "
                         f"{tau[0] * 1e3:.1f} ms per token, above the "
                         f"{config.max_seconds_per_output_token * 1e3:.1f} ms target "
                         f"({config.prefill_scheduling} prefill); use more "
                         f"devices, a smaller format or a smaller model")
    b = int(np.nonzero(ok)[0][-1] + 1)
    if b == upper:
        limit = "memory" if upper == mem_cap else "max_batch"
    else:
        limit = "latency"
    return b, limit, float(steps[b - 1]), float(tau[b - 1]), float(rate[b - 1])


def _size(rate: float, peak_rps: ArrayLike, avg_rps: ArrayLike, output_tokens: float,
          config: ReplicaConfig, mult: Multipliers,
          pools: tuple[float, float] | None = None) -> dict[str, NDArray[np.float64]]:
    """Fleet size and price for request rates (vectorized; module docstring steps 3-4).

    ``pools`` = (decode requests/s, prefill requests/s) of one replica for disaggregated
    prefill: each pool is sized for the peak and rounded up on its own.
    """
    peak = np.asarray(peak_rps, dtype=float)
    avg = np.asarray(avg_rps, dtype=float)
    if pools is None:
        for_peak = np.maximum(1.0, np.ceil(peak * mult.peak_buffer / rate - 1e-9))
    else:
        for_peak = sum(np.maximum(1.0, np.ceil(peak * mult.peak_buffer / r - 1e-9)) for r in pools)
    replicas = np.ceil(np.ceil(for_peak * mult.redundancy - 1e-9) * mult.regions
                       * (1.0 + mult.development) - 1e-9)
    devices = replicas * config.n_devices
    price = get_accelerator(config.accelerator).price_usd_per_hour
    usd = monthly_usd(price, devices)
    tokens_month = avg * output_tokens * MONTH_S
    with np.errstate(divide="ignore"):
        per_m = np.where(tokens_month > 0, usd / np.where(tokens_month > 0, tokens_month, 1.0) * 1e6, np.inf)
    return {"replicas_for_peak": for_peak, "replicas": replicas, "devices": devices,
            "usd_per_month": usd, "usd_per_month_peak_only": monthly_usd(price, for_peak * config.n_devices),
            "usd_per_million_output_tokens": per_m, "utilization_at_average": avg / (replicas * rate)}


def fleet(workload: Workload, config: ReplicaConfig, multipliers: Multipliers | None = None,
          requests_per_s: ArrayLike | None = None) -> dict[str, NDArray[np.float64]]:
    """Vectorized :func:`plan` over average request rates with ``workload``'s shape.

    The replica (batch, step time, requests/s per replica) does not depend on the rate, so it
    is computed once and only the fleet sizing is swept. Returns arrays keyed like
    :class:`Plan`'s fields (``replicas``, ``devices``, ``usd_per_month``, ...).
    """
    p = plan(workload, config, multipliers)
    r = non_negative("requests_per_s", workload.requests_per_s if requests_per_s is None else requests_per_s)
    out = _size(p.replica_requests_per_s, r * workload.peak_to_average, r, workload.output_tokens,
                config, p.multipliers, _pools(p))
    out["requests_per_s"] = r
    return out


def _pools(p: "Plan") -> tuple[float, float] | None:
    """Per-replica rates of the decode and prefill pools of a disaggregated plan, else None."""
    if p.config.prefill_scheduling != "disaggregated":
        return None
    return (p.batch / (p.workload.output_tokens * p.step_seconds), 1.0 / p.prefill_seconds)


def plan(workload: Workload, config: ReplicaConfig, multipliers: Multipliers | None = None) -> Plan:
    """Size and price a fleet for ``workload`` (module docstring). Raises ValueError when the
    configuration cannot meet a latency target (per output token under its
    ``prefill_scheduling``, or to the first token) or does not fit in memory."""
    mult = multipliers if multipliers is not None else Multipliers()
    acc, m = config.replica, get_model(config.model)
    kw = config.roofline_kw()
    # batched prefill is compute-bound: the weight reads are shared by many prompts
    prefill = float(prefill_compute_seconds(acc, m, max(workload.input_tokens, 1.0),
                                            weight_format=config.weight_format,
                                            flop_utilization=config.flop_utilization))
    b, limit, step, tau, rate = _largest_batch(config, workload.mean_context_tokens,
                                               workload.max_context_tokens, prefill,
                                               workload.output_tokens)
    ttft = float(prefill_seconds(acc, m, max(workload.input_tokens, 1.0), **kw)) + step
    if ttft > config.max_seconds_to_first_token:
        raise ValueError(f"{m.name} on {acc.name}: time to first token {ttft:.2f} s exceeds the "
                         f"{config.max_seconds_to_first_token:.2f} s target for "
                         f"{workload.input_tokens:.0f}-token prompts")
    pools = (b / (workload.output_tokens * step), 1.0 / prefill) \
        if config.prefill_scheduling == "disaggregated" else None
    sized = _size(rate, workload.peak_requests_per_s, workload.requests_per_s, workload.output_tokens,
                  config, mult, pools)
    for_peak, replicas, devices = (int(sized[k]) for k in ("replicas_for_peak", "replicas", "devices"))
    usd, usd_peak = float(sized["usd_per_month"]), float(sized["usd_per_month_peak_only"])
    per_m, util = float(sized["usd_per_million_output_tokens"]), float(sized["utilization_at_average"])
    return Plan(workload=workload, config=config, multipliers=mult, batch=b, batch_limit=limit,
                step_seconds=step, prefill_seconds=prefill, seconds_per_output_token=tau,
                replica_requests_per_s=rate,
                replicas_for_peak=for_peak, replicas=replicas, devices=devices,
                usd_per_month=usd, usd_per_month_peak_only=usd_peak,
                usd_per_million_output_tokens=per_m, utilization_at_average=util)


def plan_mixture(workload: Workload, shares: "list[tuple[float, ReplicaConfig]]",
                 multipliers: Multipliers | None = None) -> tuple[list[Plan], int, float]:
    """Plan separate fleets for shares of one workload (a router's small and large models).

    Each fleet gets ``share`` of the average (and peak) rate and the same multipliers; every
    fleet keeps at least one replica, which is why routing at low traffic can cost more than
    one model alone. Returns ``(plans, total_devices, total_usd_per_month)``. Shares must be
    in [0, 1] and add up to 1.
    """
    if not shares:
        raise ValueError("shares must list at least one (share, config) pair")
    s = [float(fraction("share", x, low_open=False)) for x, _ in shares]
    if abs(sum(s) - 1.0) > 1e-9:
        raise ValueError(f"shares must add up to 1, got {sum(s)!r}")
    plans = [plan(dataclasses.replace(workload, requests_per_s=workload.requests_per_s * x), cfg, multipliers)
             for x, (_, cfg) in zip(s, shares)]
    return plans, sum(p.devices for p in plans), sum(p.usd_per_month for p in plans)
