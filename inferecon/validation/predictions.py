"""Bounds against reality: the package's predictions next to published measurements.

The analytic model of this course is a **bound**: it counts the bytes a step must read,
the FLOPs it must do and the network hops it must make, at the chips' datasheet rates, and
nothing else. A tuned system can approach it but should not beat it. This module loads a
table of published measurements (``inferecon/data/measurements.csv``), predicts each one
under the same conditions with the package's own functions, and reports

.. math::
    r = \\frac{\\text{measured}}{\\text{predicted}}, \\qquad
    \\eta = \\begin{cases} r & \\text{speed-like units (tokens/s, MFU)}\\\\
                           1/r & \\text{time-like units (s, ms/token)} \\end{cases}

so that the *efficiency* :math:`\\eta \\le 1` means "within the bound" whatever the unit. An
:math:`\\eta > 1` is a bug in the model unless the row names a reason
(:data:`BOUND_EXCEPTIONS`) that the tests check.

**Which function predicts what** (no formula is re-implemented here):

- ``decode`` rows: :func:`inferecon.serving.parallelism.evaluate_configurations` (Erdil's step
  model with tensor/pipeline parallelism and its network terms, :cite:`erdil2025inference`),
  summed over the generated tokens at their growing context, for the fastest valid split of
  the stated chips (:func:`inferecon.serving.frontier.structural_configurations`); when the row
  gives no chip count or batch (a "best latency"), over every power-of-two chip count at
  batch 1.
- ``prefill`` rows: :func:`inferecon.serving.prefill.prefill_seconds` with ideal (communication-free)
  sharding over the chips.
- ``request`` rows (a static batch: prefill, then decode): the two above added, as a
  throughput :math:`b\\,G/(t_\\mathrm{prefill} + \\sum_k t_\\mathrm{step}(P + k))`.
- ``mfu`` rows: the same run's FLOPs (:meth:`inferecon.specs.models.ModelSpec.flop_per_token`,
  :func:`inferecon.serving.prefill.prefill_flop`) over the predicted time times the chips' peak.
- provider rows (a price and a serial speed): the fastest point of
  :func:`inferecon.serving.frontier.sweep`'s Pareto frontier whose cost is at most the price.

All of them run with :data:`BOUND_CONSTANTS`: datasheet peaks with no utilization caps,
the fastest NCCL protocol, no kernel-launch latency. Communication is still *added* to the
step (Erdil's no-overlap assumption), so a system that hides all of it could in principle
beat a decode prediction; the step breakdown of each prediction reports the
communication-free part (:attr:`Prediction.compute_or_memory_seconds`) for that reason.

The calibration helpers turn the table into a planning rule: :func:`fit_efficiency` fits
a derating factor per regime (geometric mean and spread of :math:`\\eta`), and
:func:`derate_frontier` applies it to a speed-cost frontier
(:math:`v \\to \\eta v`, :math:`\\$ \\to \\$/\\eta`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import fraction, positive, real
from inferecon.serving.constants import ConstantSet, get_constants
from inferecon.serving.frontier import Frontier, structural_configurations, sweep
from inferecon.serving.parallelism import evaluate_configurations
from inferecon.serving.prefill import prefill_flop, prefill_seconds
from inferecon.specs.hardware import get_accelerator
from inferecon.specs.models import get_model
from inferecon.specs.precision import get_format
from inferecon.validation.measurements import REGIMES, Measurement, _parse, load_measurements

__all__ = [
    "BOUND_CONSTANTS",
    "LLM_VIEWER_ESTIMATES",
    "DeratedFrontier",
    "EfficiencyFit",
    "EfficiencyUncertainty",
    "Prediction",
    "best_latency_device_counts",
    "bound_value",
    "derate_frontier",
    "derated_value",
    "efficiency_uncertainty",
    "fit_efficiency",
    "implied_mfu",
    "measurement_system",
    "power_law_exponent",
    "predict",
    "predict_all",
    "scenario",
]


#: The constants of the bound: catalogue (datasheet) peaks, no utilization caps, the fastest
#: of NCCL's three protocols per collective, no kernel-launch latency (CUDA graphs and XLA
#: fusion remove most of it; it is software, not physics), no HBM traffic for the matmuls'
#: activations (fused kernels keep them on chip). Network hops and bandwidths stay.
BOUND_CONSTANTS = ConstantSet(
    id="bound",
    name="Datasheet peaks, no caps (the bound)",
    flop_utilization=1.0,
    bandwidth_utilization=1.0,
    accelerator_overrides={},
    kernel_launch_seconds=0.0,
    protocols=("LL", "LL128", "Simple"),
    preference_alpha=3.0,
    activation_traffic=False,
    notes="Used to validate the package against measurements: every term a real system could "
    "shave (utilization below peak, launch overhead, the matmuls' activation reads and "
    "writes, which fused kernels keep on chip) is removed.",
)

#: LLM-Viewer's own estimates for the LLaMA-7B rows, as posted in issue #4 of
#: hahnyuan/LLM-Viewer (same units as the measurement) :cite:`yuan2024llmviewer`.
LLM_VIEWER_ESTIMATES: Mapping[str, float] = MappingProxyType(
    {
        "trtllm-llama-7b-b256-i128-o128": 8934.54,
        "trtllm-llama-7b-b32-i128-o2048": 2796.58,
        "trtllm-llama-7b-b32-i2048-o128": 788.73,
        "trtllm-llama-7b-b16-i2048-o2048": 1169.17,
        "trtllm-llama-7b-ttft-128": 0.006977,
        "trtllm-llama-7b-ttft-2048": 0.10088071,
    }
)


# --------------------------------------------------------------------------- rows


# --------------------------------------------------------------------------- exceptions


# --------------------------------------------------------------------------- predictions
@dataclass(frozen=True)
class Prediction:
    """The package's prediction for one measurement.

    Attributes
    ----------
    measurement : the row.
    predicted : the prediction in the row's unit.
    ratio : measured / predicted.
    efficiency : fraction of the bound achieved, :math:`\\eta` (module docstring).
    within_bound : ``efficiency <= 1``.
    config : the configuration the prediction used (chips, split, batch).
    compute_or_memory_seconds, network_seconds : for decode, the predicted phase time split
        into the roofline part (:math:`\\sum \\max(t_\\mathrm{mem}, t_\\mathrm{comp})`) and
        the added communication; ``nan`` where not applicable.
    """

    measurement: Measurement
    predicted: float
    ratio: float
    efficiency: float
    within_bound: bool
    config: dict[str, Any] = field(default_factory=dict)
    compute_or_memory_seconds: float = math.nan
    network_seconds: float = math.nan

    @property
    def id(self) -> str:
        """The measurement id."""
        return self.measurement.id

    @property
    def communication_free_efficiency(self) -> float | None:
        """Efficiency against the communication-free part of the prediction,
        :math:`\\eta \\cdot t_\\mathrm{roof}/(t_\\mathrm{roof} + t_\\mathrm{net})`: what
        :math:`\\eta` would be if a system hid every all-reduce behind computation (Erdil's step
        model adds them instead), for the configuration the prediction chose. ``None`` for rows
        without a decode step breakdown (a provider's throughput, a prefill): there is no
        communication term to take away, and a NaN would pass silently through a ``max``."""
        roof, net = self.compute_or_memory_seconds, self.network_seconds
        if not (math.isfinite(roof) and math.isfinite(net)) or roof + net <= 0:
            return None
        return self.efficiency * roof / (roof + net)


def _contexts(m: Measurement) -> NDArray[np.float64]:
    """Cached tokens at each decode step: the prompt plus the tokens generated so far.

    A ``decode`` row's tokens all come from decode steps (context ``P + k``, ``k = 0..G-1``);
    in a ``request`` row the prefill emits the first token, so ``G - 1`` decode steps follow
    at contexts ``P + k``, ``k = 1..G-1``.
    """
    if m.phase == "request":
        return m.prompt_tokens + np.arange(1, m.generated_tokens, dtype=float)
    return m.prompt_tokens + np.arange(m.generated_tokens, dtype=float)


def best_latency_device_counts(accelerator: str) -> list[int]:
    """Chip counts searched for a 'best latency' row: powers of two up to 4096 on TPUs
    (slices come in powers of two), up to 512 on GPUs."""
    top = 12 if get_accelerator(accelerator).id.startswith("tpu") else 9
    return [2**k for k in range(top + 1)]


def _decode(m: Measurement, cs: ConstantSet) -> tuple[float, dict[str, Any], float, float]:
    """Fastest fixed configuration for the whole generation: (seconds, config, roofline s, network s)."""
    counts = [m.n_chips] if m.n_chips is not None else best_latency_device_counts(m.accelerator)
    batch = m.batch if m.batch is not None else 1
    ctx = _contexts(m)
    conf = structural_configurations(m.accelerator, m.model, counts)
    col = {k: conf.column(k).astype(float)[:, None] for k in ("tp", "tp_heads", "pp", "ep")}
    if ctx.size == 0:
        return 0.0, {"n_devices": counts[0], "batch": batch}, 0.0, 0.0
    out = evaluate_configurations(
        m.accelerator,
        m.model,
        tp=col["tp"],
        tp_heads=col["tp_heads"],
        pp=col["pp"],
        ep=col["ep"],
        batch=float(batch),
        context_tokens=ctx[None, :],
        weight_format=m.weight_format,
        kv_format=m.kv_format,
        constants=cs,
    )
    total = out.token_seconds.sum(axis=1)
    k = int(np.argmin(total))
    if not math.isfinite(total[k]):
        raise ValueError(
            f"measurement {m.id!r}: no feasible configuration of {m.model} on "
            f"{counts} x {m.accelerator} at batch {batch}"
        )
    roof = float(np.maximum(out.memory_seconds[k], out.compute_seconds[k]).sum())
    net = float((out.kernel_seconds[k] + out.collective_seconds[k] + out.pipeline_seconds[k]).sum())
    config = {key: int(conf.column(key)[k]) for key in ("n_devices", "tp", "tp_heads", "pp", "ep")}
    config["batch"] = batch
    return float(total[k]), config, roof, net


def _prefill(m: Measurement, cs: ConstantSet) -> float:
    acc = cs.accelerator(m.accelerator)
    if m.batch is None or m.n_chips is None:
        raise ValueError(
            f"measurement {m.id!r}: a prefill time needs batch and n_chips, "
            f"got batch={m.batch!r}, n_chips={m.n_chips!r}"
        )
    return float(
        prefill_seconds(
            acc,
            m.model,
            m.prompt_tokens,
            m.batch,
            weight_format=m.weight_format,
            kv_format=m.kv_format,
            flop_utilization=cs.flop_utilization,
            bandwidth_utilization=cs.bandwidth_utilization,
            n_devices=m.n_chips,
        )
    )


def _phase_flop(m: Measurement) -> float:
    """FLOPs of the measured phase (attention included)."""
    model = get_model(m.model)
    b = float(m.batch if m.batch is not None else 1)
    if m.phase == "prefill":
        return b * float(prefill_flop(model, m.prompt_tokens))
    dec = b * float(np.sum(model.flop_per_token(_contexts(m))))
    if m.phase == "request":
        dec += b * float(prefill_flop(model, m.prompt_tokens))
    return dec


def _peak_total(m: Measurement, cs: ConstantSet, n: int) -> float:
    acc = cs.accelerator(m.accelerator)
    return n * acc.peak_flop_per_s(get_format(m.weight_format).compute_precision)


def implied_mfu(
    measurement: Measurement, seconds: float | None = None, constants: str | ConstantSet = BOUND_CONSTANTS
) -> float:
    """MFU a time implies: the phase's FLOPs over ``seconds`` times the chips' peak FLOP/s.

    .. math:: \\mathrm{MFU} = \\frac{F_\\mathrm{phase}}{t \\cdot n \\cdot C}

    ``seconds`` defaults to the measurement's own value (rows in ``s``). FLOPs include
    attention (:meth:`inferecon.specs.models.ModelSpec.flop_per_token`,
    :func:`inferecon.serving.prefill.prefill_flop`). Checks published MFUs against published
    latencies: Pope et al.'s 1.82 s for 64 tokens at batch 64 is 14% :cite:`pope2022efficiently`.
    """
    m = measurement
    if m.n_chips is None:
        raise ValueError(f"measurement {m.id!r}: an MFU needs the chip count")
    t = m.value if seconds is None else float(positive("seconds", seconds))
    if seconds is None and m.unit != "s":
        raise ValueError(f"measurement {m.id!r} is in {m.unit!r}; pass seconds explicitly")
    return _phase_flop(m) / (t * _peak_total(m, get_constants(constants), m.n_chips))


def _provider(m: Measurement, cs: ConstantSet) -> tuple[float, dict[str, Any]]:
    sw = sweep(
        m.accelerator,
        m.model,
        constants=cs,
        context_tokens=float(m.prompt_tokens),
        weight_format=m.weight_format,
        kv_format=m.kv_format,
    )
    front = sw.frontier()
    ok = front.usd_per_million_tokens <= float(m.price_usd_per_mtok or 0.0)
    if not ok.any():
        return 0.0, {"note": "no configuration is this cheap"}
    k = int(np.flatnonzero(ok)[-1])  # frontier is sorted by speed, cost increasing
    row = front.row(k)
    return float(row["tokens_per_s_per_request"]), {
        key: row[key]
        for key in ("n_devices", "tp", "tp_heads", "pp", "ep", "batch", "usd_per_million_tokens")
    }


def scenario(
    *,
    model: str,
    accelerator: str,
    phase: str,
    unit: str,
    n_chips: int | None = None,
    batch: int | None = None,
    prompt_tokens: int = 0,
    generated_tokens: int = 1,
    weight_format: str = "bf16",
    kv_format: str = "bf16",
    price_usd_per_mtok: float | None = None,
) -> Measurement:
    """A row without a measurement, to ask the bound (and a derated bound) about a plan.

    Same fields and checks as a row of ``measurements.csv``; the value is a placeholder
    (``nan``). Example: LLaMA-7B on one A100, static batch 64, 512 tokens in and out::

        s = scenario(model="llama-7b", accelerator="a100-80gb-sxm", phase="request",
                     unit="tokens/s", n_chips=1, batch=64, prompt_tokens=512,
                     generated_tokens=512, weight_format="fp16", kv_format="fp16")
        bound_value(s)   # tokens/s at the bound
    """

    def whole(name: str, value: object, low: int, *, optional: bool = True) -> str:
        if value is None and optional:
            return ""
        return str(int(real(name, value, low=low, integer=True)))

    price = (
        ""
        if price_usd_per_mtok is None
        else repr(real("price_usd_per_mtok", price_usd_per_mtok, low=0.0, low_open=True))
    )
    n_chips_s, batch_s = whole("n_chips", n_chips, 1), whole("batch", batch, 1)
    prompt_s = whole("prompt_tokens", prompt_tokens, 0, optional=False)
    generated_s = whole("generated_tokens", generated_tokens, 0, optional=False)
    regime = "provider" if price_usd_per_mtok is not None else "throughput"
    row = {
        "id": "scenario",
        "source": "none",
        "evidence": "V",
        "model": model,
        "accelerator": accelerator,
        "n_chips": n_chips_s,
        "weight_format": weight_format,
        "kv_format": kv_format,
        "phase": phase,
        "batch": batch_s,
        "prompt_tokens": prompt_s,
        "generated_tokens": generated_s,
        "price_usd_per_mtok": price,
        "value": "1",
        "unit": unit,
        "regime": regime,
        "duplicate_of": "",
        "bound_exception": "",
        "conditions": "",
        "explanation": "",
    }
    return replace(_parse(row), value=math.nan)


def bound_value(measurement: Measurement, constants: str | ConstantSet = BOUND_CONSTANTS) -> float:
    """The package's prediction for a row (or a :func:`scenario`), in the row's unit."""
    return _predicted(measurement, get_constants(constants))[0]


def derated_value(
    measurement: Measurement, efficiency: ArrayLike, constants: str | ConstantSet = BOUND_CONSTANTS
) -> NDArray[np.float64]:
    """What a real system at efficiency :math:`\\eta` should reach: :math:`\\eta v` for a
    speed, :math:`t/\\eta` for a time (``efficiency`` from :func:`fit_efficiency`)."""
    eta = fraction("efficiency", efficiency)
    v = bound_value(measurement, constants)
    return eta * v if measurement.higher_is_better else v / eta


def _predicted(m: Measurement, cs: ConstantSet) -> tuple[float, dict[str, Any], float, float]:
    config: dict[str, Any] = {}
    roof = net = math.nan
    if m.regime == "provider":
        predicted, config = _provider(m, cs)
    elif m.phase == "prefill":
        t = _prefill(m, cs)
        config = {"n_devices": m.n_chips, "batch": m.batch}
        predicted = t if m.unit == "s" else _phase_flop(m) / (t * _peak_total(m, cs, int(m.n_chips or 1)))
    else:
        t, config, roof, net = _decode(m, cs)
        if m.phase == "request":
            t_pre = _prefill(m, cs)
            t, roof = t + t_pre, roof + t_pre
        if m.unit == "s":
            predicted = t
        elif m.unit == "ms/token":
            predicted = 1e3 * t / max(_contexts(m).size, 1)
        elif m.unit == "tokens/s":
            predicted = float(config["batch"]) * m.generated_tokens / t
        elif m.unit == "tokens/s/request":
            predicted = _contexts(m).size / t
        else:  # mfu
            predicted = _phase_flop(m) / (t * _peak_total(m, cs, int(config["n_devices"])))
    return float(predicted), config, roof, net


def predict(measurement: Measurement, constants: str | ConstantSet = BOUND_CONSTANTS) -> Prediction:
    """Predict one measurement under its own conditions (module docstring lists the functions).

    ``constants`` is :data:`BOUND_CONSTANTS` for the bound; ``"erdil-paper"`` gives Erdil's capped
    model (70% of peak FLOP/s, 75% of HBM bandwidth), which is a typical-case estimate.
    """
    m = measurement
    predicted, config, roof, net = _predicted(m, get_constants(constants))
    with np.errstate(divide="ignore"):
        ratio = m.value / predicted if predicted > 0 else math.inf
    eff = ratio if m.higher_is_better else 1.0 / ratio
    return Prediction(
        measurement=m,
        predicted=float(predicted),
        ratio=float(ratio),
        efficiency=float(eff),
        within_bound=bool(eff <= 1.0),
        config=config,
        compute_or_memory_seconds=roof,
        network_seconds=net,
    )


def predict_all(
    measurements: Iterable[Measurement] | None = None, constants: str | ConstantSet = BOUND_CONSTANTS
) -> list[Prediction]:
    """:func:`predict` for every row (the package's table unless ``measurements`` is given)."""
    rows = load_measurements() if measurements is None else tuple(measurements)
    return [predict(m, constants) for m in rows]


# --------------------------------------------------------------------------- calibration
@dataclass(frozen=True, slots=True)
class EfficiencyFit:
    """A derating factor fitted from measurements: the geometric mean of :math:`\\eta` and its spread.

    Attributes
    ----------
    regime : the regime fitted (``"all"`` for the pooled fit).
    n : number of independent measurements used.
    geometric_mean : :math:`\\bar\\eta = \\exp(\\overline{\\ln \\eta})`, the factor to derate by.
    geometric_sd : :math:`\\exp(s_{\\ln\\eta})` (sample standard deviation); 1 if ``n == 1``.
    low, high : the smallest and largest :math:`\\eta` in the fit.
    ids : the measurements used.
    """

    regime: str
    n: int
    geometric_mean: float
    geometric_sd: float
    low: float
    high: float
    ids: tuple[str, ...]


def fit_efficiency(predictions: Sequence[Prediction], regime: str | None = None) -> EfficiencyFit:
    """Fit the derating factor of one regime (or of all non-provider rows, ``regime=None``).

    .. math:: \\bar\\eta = \\exp\\Bigl(\\frac1n\\sum_i \\ln \\eta_i\\Bigr),\\qquad
              \\sigma_g = \\exp\\Bigl(\\sqrt{\\tfrac{1}{n-1}\\textstyle
              \\sum_i (\\ln\\eta_i - \\ln\\bar\\eta)^2}\\Bigr)

    Uses only independent rows (MFU rows restate their latency row), within the bound and
    without a named exception; provider rows are never fitted, because a price hides an
    unknown markup and the hardware is undisclosed. A geometric mean suits ratios: a system
    at half the bound and one at double the bound average to the bound.
    """
    if regime is not None and regime not in REGIMES[:3]:
        raise ValueError(f"regime must be one of {REGIMES[:3]} or None, got {regime!r}")
    use = [
        p
        for p in predictions
        if p.measurement.independent
        and p.measurement.regime != "provider"
        and p.measurement.bound_exception is None
        and p.within_bound
        and (regime is None or p.measurement.regime == regime)
    ]
    if not use:
        raise ValueError(f"no usable measurements for regime {regime!r}")
    logs = np.log([p.efficiency for p in use])
    sd = float(np.std(logs, ddof=1)) if logs.size > 1 else 0.0
    return EfficiencyFit(
        regime=regime or "all",
        n=len(use),
        geometric_mean=float(np.exp(logs.mean())),
        geometric_sd=float(np.exp(sd)),
        low=float(np.exp(logs.min())),
        high=float(np.exp(logs.max())),
        ids=tuple(p.id for p in use),
    )


@dataclass(frozen=True, slots=True)
class EfficiencyUncertainty:
    """How well a fitted :math:`\\eta` is known, with rows and with systems as the unit.

    Rows of one system (one engine, chip and model, measured by one source) share its
    software and hardware, so they are not independent draws. ``row_low``/``row_high`` is the
    Student-t interval of :math:`\\overline{\\ln\\eta}` that treats the rows as independent (too
    narrow when they are not); ``system_means`` are each system's geometric mean, and
    ``system_mean`` their geometric mean, each system weighted once.
    """

    regime: str
    level: float
    n_rows: int
    row_low: float
    row_high: float
    systems: tuple[str, ...]
    system_means: tuple[float, ...]
    system_mean: float


def measurement_system(m: Measurement) -> str:
    """The serving system a row measures: its first source and its accelerator."""
    return f"{m.sources[0]} on {m.accelerator}"


def efficiency_uncertainty(
    predictions: Sequence[Prediction], regime: str | None = None, level: float = 0.95
) -> EfficiencyUncertainty:
    """Uncertainty of :func:`fit_efficiency`'s :math:`\\bar\\eta` (rows as used by that fit)."""
    from scipy.stats import t as student_t

    lvl = float(fraction("level", level, high_open=True))
    fit = fit_efficiency(predictions, regime)
    use = [p for p in predictions if p.id in fit.ids]
    logs = np.log([p.efficiency for p in use])
    if logs.size > 1:
        half = float(student_t.ppf(0.5 + lvl / 2, logs.size - 1) * np.std(logs, ddof=1) / np.sqrt(logs.size))
    else:
        half = math.inf
    groups: dict[str, list[float]] = {}
    for p in use:
        groups.setdefault(measurement_system(p.measurement), []).append(math.log(p.efficiency))
    means = tuple(float(np.exp(np.mean(v))) for v in groups.values())
    return EfficiencyUncertainty(
        regime=fit.regime,
        level=lvl,
        n_rows=fit.n,
        row_low=float(np.exp(logs.mean() - half)),
        row_high=float(np.exp(logs.mean() + half)),
        systems=tuple(groups),
        system_means=means,
        system_mean=float(np.exp(np.mean(np.log(means)))),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeratedFrontier:
    """A speed-cost frontier as a real system at efficiency :math:`\\eta` would run it.

    ``efficiency`` has the shape the caller gave (a scalar or ``(k,)``); the two curves have
    shape ``efficiency.shape + (n_points,)``: row ``i`` is the frontier at ``efficiency[i]``.
    """

    efficiency: NDArray[np.float64]
    tokens_per_s_per_request: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]


def derate_frontier(frontier: Frontier, efficiency: ArrayLike) -> DeratedFrontier:
    """A bound's speed-cost frontier as a real system at efficiency :math:`\\eta` would run it.

    Every configuration keeps its chips and batch but its step takes :math:`T/\\eta`, so

    .. math:: v' = \\eta\\, v, \\qquad \\$' = \\$ / \\eta

    (cost per token is :math:`N T \\cdot \\text{price}/b`). ``efficiency`` in (0, 1] may be an
    array (e.g. ``[low, mean, high]``); the curves broadcast to ``(len(efficiency), n_points)``.
    """
    eta = fraction("efficiency", efficiency)
    v = frontier.tokens_per_s_per_request
    c = frontier.usd_per_million_tokens
    return DeratedFrontier(
        efficiency=eta, tokens_per_s_per_request=eta[..., None] * v, usd_per_million_tokens=c / eta[..., None]
    )


def power_law_exponent(params: ArrayLike, seconds: ArrayLike) -> float:
    """Least-squares slope :math:`k` of :math:`\\ln t = k \\ln N + c` (the √N law says 0.5).

    Erdil's square-root law (eq. 19) predicts :math:`k = 1/2` for the best token latency of
    models with Chinchilla-like shapes :cite:`erdil2025inference`.
    """
    n = positive("params", params)
    t = positive("seconds", seconds)
    if n.shape != t.shape or n.size < 2:
        raise ValueError(
            f"params and seconds need the same shape and at least two points, got {n.shape} and {t.shape}"
        )
    if np.ptp(np.log(n)) == 0:
        raise ValueError("params must not all be equal")
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])
