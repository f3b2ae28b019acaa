"""The roofline of one decode step on one accelerator.

A decode step generates one token for each of :math:`b` sequences. It must read the weights
(once, shared by the batch) and every sequence's KV cache from HBM, and do
:math:`b\\,(2N + a\\ell)` FLOPs. If reads and arithmetic overlap perfectly the step takes the
larger of the two times :cite:`erdil2025inference,pope2022efficiently,austin2025scaling`:

.. math::
    t(b) = \\max\\left(\\frac{p_w N_\\mathrm{read}(b) + b\\,\\ell\\,k_\\mathrm{kv}}{n\\,u_B B},\\;
                      \\frac{b\\,(2 N + a \\ell)}{n\\,u_C C}\\right)

with :math:`p_w` bytes per weight, :math:`k_\\mathrm{kv}` KV bytes per cached token,
:math:`a` attention FLOPs per token of context, :math:`B` HBM bytes/s, :math:`C` FLOP/s,
utilization caps :math:`u_B, u_C \\le 1` and :math:`n` devices sharing the step with ideal
(communication-free) tensor parallelism; network costs are the subject of
:mod:`inferecon.serving.parallelism`. This is a bound: real kernels reach roughly half of it.

The module also gives the batch :math:`b^*` at which the step turns compute-bound (in closed
form for dense models, :math:`b^* = p_w u_C C/(2 u_B B)` at short context; numerically for
mixtures of experts) and the cheapest batch, :math:`\\min(\\lceil b^*\\rceil, b_\\mathrm{max})`.
What fits in HBM (:math:`b_\\mathrm{max}`, the KV cache) is :mod:`inferecon.serving.memory`; the
prefill pass is :mod:`inferecon.serving.prefill`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative
from inferecon.serving import memory
from inferecon.serving.moe import params_read_per_step
from inferecon.specs.deployment import Deployment, context_argument, from_call
from inferecon.specs.hardware import ACCELERATORS, Accelerator, get_accelerator
from inferecon.specs.models import MODELS, ModelSpec, get_model
from inferecon.specs.precision import FORMATS, NumberFormat, get_format
from inferecon.units import TOKENS_PER_MILLION, format_bytes

__all__ = [
    "BOUNDS",
    "BRENNDOERFER_TABLE_MODELS",
    "CODE_LLAMA_34B",
    "ERDIL_BANDWIDTH_UTILIZATION",
    "ERDIL_FLOP_UTILIZATION",
    "LLAMA_2_7B",
    "LLAMA_2_13B",
    "LLAMA_2_70B",
    "MISTRAL_LARGE_2",
    "RooflineStep",
    "cost_optimal_batch",
    "decode_bound",
    "decode_compute_seconds",
    "decode_memory_seconds",
    "decode_mfu",
    "decode_step",
    "decode_step_seconds",
    "dense_optimal_batch",
    "optimal_batch",
    "optimal_batch_table",
]

#: Sustained fraction of peak FLOP/s that Erdil's paper assumes (§4; his notebook uses 1.0).
ERDIL_FLOP_UTILIZATION = 0.70
#: Sustained fraction of peak HBM bandwidth that Erdil's paper assumes (§4; notebook: 1.0).
ERDIL_BANDWIDTH_UTILIZATION = 0.75


# Models of chapter 4's worked examples, from the catalogue (kept here as names for brevity).
MISTRAL_LARGE_2 = MODELS["mistral-large-2"]
LLAMA_2_7B = MODELS["llama-2-7b"]
LLAMA_2_13B = MODELS["llama-2-13b"]
CODE_LLAMA_34B = MODELS["code-llama-34b"]
LLAMA_2_70B = MODELS["llama-2-70b"]

#: The "7B / 13B / 34B / 70B" dense models of Brenndoerfer's cost table
#: :cite:`brenndoerfer2025inference`, as Llama-2-family shapes.
BRENNDOERFER_TABLE_MODELS: tuple[ModelSpec, ...] = (LLAMA_2_7B, LLAMA_2_13B, CODE_LLAMA_34B, LLAMA_2_70B)


# ----------------------------------------------------------------------------------------
# Decode step
# ----------------------------------------------------------------------------------------


def _peak(acc: Accelerator, fmt: NumberFormat) -> float:
    return acc.peak_flop_per_s(fmt.compute_precision)


BOUNDS = ("memory", "compute", "capacity")
"""What limits a step: HBM bandwidth, arithmetic, or HBM capacity (the step does not fit)."""


@dataclass(frozen=True, slots=True)
class RooflineStep:
    """One decode step (or prefill pass) of one replica at the roofline bound, with what limits it.

    Arrays broadcast over ``batch`` and ``context_tokens``. ``memory_seconds`` and
    ``compute_seconds`` are the two roofs (defined whether or not the step fits);
    ``seconds``, ``tokens_per_s`` and ``usd_per_million_tokens`` are ``inf``/0/``inf`` where the
    step does not fit in HBM (``fits`` False, ``bound`` ``"capacity"``), never a time or a price.
    """

    deployment: Deployment
    phase: str
    batch: NDArray[np.float64]
    context_tokens: NDArray[np.float64]
    tokens: NDArray[np.float64]
    memory_seconds: NDArray[np.float64]
    compute_seconds: NDArray[np.float64]
    hbm_required_bytes: NDArray[np.float64]
    hbm_available_bytes: float

    @property
    def fits(self) -> NDArray[np.bool_]:
        """Weights and every sequence's KV cache fit in the usable HBM."""
        return np.asarray(self.hbm_required_bytes <= self.hbm_available_bytes)

    @property
    def shortfall_bytes(self) -> NDArray[np.float64]:
        """How many bytes do not fit (0 where the step fits)."""
        return np.maximum(self.hbm_required_bytes - self.hbm_available_bytes, 0.0)

    @property
    def bound(self) -> NDArray[np.str_]:
        """``"memory"``, ``"compute"`` or ``"capacity"`` (does not fit) at each point."""
        roof = np.where(self.memory_seconds >= self.compute_seconds, "memory", "compute")
        return np.where(self.fits, roof, "capacity")

    @property
    def seconds(self) -> NDArray[np.float64]:
        """Step time :math:`\\max(t_\\mathrm{mem}, t_\\mathrm{comp})`; ``inf`` where it does not fit."""
        return np.where(self.fits, np.maximum(self.memory_seconds, self.compute_seconds), np.inf)

    @property
    def tokens_per_s(self) -> NDArray[np.float64]:
        """Tokens per second of the replica (generated, or prompt tokens for a prefill).

        0 where the step does not fit."""
        t = np.maximum(self.memory_seconds, self.compute_seconds)
        return np.where(self.fits, self.tokens / t, 0.0)

    @property
    def usd_per_million_tokens(self) -> NDArray[np.float64]:
        """:math:`10^6\\,n P t / (3600 \\cdot \\text{tokens})`; ``inf`` where the step does not fit."""
        t = np.maximum(self.memory_seconds, self.compute_seconds)
        return np.where(self.fits, TOKENS_PER_MILLION * self.deployment.usd_per_s * t / self.tokens, np.inf)

    @property
    def mfu(self) -> NDArray[np.float64]:
        """Model FLOP utilization, :math:`u_C\\,t_\\mathrm{comp}/t` (0 where it does not fit)."""
        t = np.maximum(self.memory_seconds, self.compute_seconds)
        return np.where(self.fits, self.deployment.flop_utilization * self.compute_seconds / t, 0.0)

    def explain_infeasible(self) -> str:
        """Why the worst point does not fit ("" if every point fits)."""
        if bool(np.all(self.fits)):
            return ""
        d = self.deployment
        i = int(np.argmax(np.ravel(self.shortfall_bytes)))
        need = float(np.ravel(self.hbm_required_bytes)[i])
        b = float(np.ravel(np.broadcast_to(self.batch, self.fits.shape))[i])
        ctx = float(np.ravel(np.broadcast_to(self.context_tokens, self.fits.shape))[i])
        return (
            f"{d.model.name} does not fit on {d.n_devices} x {d.accelerator.name}: weights in "
            f"{d.weight_format.id} ({format_bytes(d.weight_bytes)}) and the KV cache of {b:,.0f} "
            f"sequence(s) at {ctx:,.0f} tokens ({self.phase}) need {format_bytes(need)}, but "
            f"{d.n_devices} x {d.hbm_fraction:g} x {format_bytes(d.accelerator.hbm_bytes)} = "
            f"{format_bytes(self.hbm_available_bytes)} is usable; short by "
            f"{format_bytes(need - self.hbm_available_bytes)}. Use more devices, a smaller format, "
            f"a smaller batch or a shorter context."
        )

    def require_fit(self) -> RooflineStep:
        """This step if every point fits; otherwise a ValueError saying what does not fit, by how much."""
        if not bool(np.all(self.fits)):
            raise ValueError(self.explain_infeasible())
        return self


def decode_step(
    deployment: Deployment, batch: ArrayLike, context_tokens: ArrayLike | None = None
) -> RooflineStep:
    """The roofline of one decode step of ``deployment`` at each ``batch`` (and context).

    .. math:: t_\\mathrm{mem} = \\frac{p_w N_\\mathrm{read}(b) + b\\,\\ell\\,k_\\mathrm{kv}}{n\\,u_B B},
              \\qquad t_\\mathrm{comp} = \\frac{b\\,(2N_\\mathrm{active} + a\\ell)}{n\\,u_C C}

    and the step fits if :math:`p_w N_\\mathrm{total} + b\\,\\ell\\,k_\\mathrm{kv} \\le n f H`.
    ``context_tokens`` defaults to the deployment's; an array broadcasts against ``batch``.
    """
    if not isinstance(deployment, Deployment):
        raise ValueError(
            f"deployment must be a Deployment (build one with inferecon.specs.deployment."
            f"deployment), got {deployment!r}"
        )
    d = deployment
    b = at_least_one("batch", batch)
    ctx = non_negative("context_tokens", d.context_tokens if context_tokens is None else context_tokens)
    m = d.model
    w = d.weight_format.bytes_per_element * params_read_per_step(m, b)
    kv = b * ctx * d.kv_bytes_per_token
    mem = (w + kv) / d.hbm_bytes_per_s
    comp = b * m.flop_per_token(ctx) / d.flop_per_s
    need = d.weight_bytes + kv
    shape = np.broadcast_shapes(np.shape(b), np.shape(ctx))

    def bc(x: ArrayLike) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(x, dtype=np.float64), shape)

    return RooflineStep(
        deployment=d,
        phase="decode",
        batch=bc(b),
        context_tokens=bc(ctx),
        tokens=bc(b),
        memory_seconds=bc(mem),
        compute_seconds=bc(comp),
        hbm_required_bytes=bc(need),
        hbm_available_bytes=d.usable_hbm_bytes,
    )


def decode_memory_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
) -> NDArray[np.float64]:
    """HBM time of one decode step (the memory roof; capacity is not checked, see :func:`decode_step`).

    .. math:: t_\\mathrm{mem} = \\frac{p_w N_\\mathrm{read}(b) + b\\,\\ell\\,k_\\mathrm{kv}}{n\\,u_B B}

    :math:`N_\\mathrm{read}` is every matmul weight for a dense model and the expected weights
    read for an MoE (:func:`inferecon.serving.moe.params_read_per_step`); :math:`\\ell` is the number
    of cached tokens each sequence attends to :cite:`erdil2025inference` (§2.1, §3.1).
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
    )
    return decode_step(d, batch, context_argument(context_tokens)).memory_seconds


def decode_compute_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    n_devices: int = 1,
) -> NDArray[np.float64]:
    """Arithmetic time of one decode step (the compute roof; capacity is not checked).

    .. math:: t_\\mathrm{comp} = \\frac{b\\,(2N_\\mathrm{active} + a\\ell)}{n\\,u_C C}

    The FLOP/s used is the accelerator's dense rate at the weight format's compute precision
    (16-bit for weight-only formats such as ``int4-g128``).
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        flop_utilization=flop_utilization,
        n_devices=n_devices,
    )
    return decode_step(d, batch, context_argument(context_tokens)).compute_seconds


def decode_step_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    hbm_fraction: float = memory.USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """Roofline time of one decode step, :math:`\\max(t_\\mathrm{mem}, t_\\mathrm{comp})`.

    Broadcasts over ``batch`` and ``context_tokens``. Raises ValueError, saying what does not
    fit by how much, if the weights and KV cache exceed the usable HBM at any point: a
    configuration that does not fit gets no time. :func:`decode_step` returns the same step
    with its bound and feasibility per point instead.
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
        hbm_fraction=hbm_fraction,
    )
    return decode_step(d, batch, context_argument(context_tokens)).require_fit().seconds


def decode_bound(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    hbm_fraction: float = memory.USABLE_HBM_FRACTION,
) -> NDArray[np.str_]:
    """``"memory"`` where :math:`t_\\mathrm{mem} \\ge t_\\mathrm{comp}`, ``"compute"`` where not,
    ``"capacity"`` where the step does not fit in HBM."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
        hbm_fraction=hbm_fraction,
    )
    return decode_step(d, batch, context_argument(context_tokens)).bound


def decode_mfu(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> NDArray[np.float64]:
    """Model FLOP utilization of a decode step at the roofline bound (capacity not checked).

    .. math:: \\mathrm{MFU} = \\frac{b\\,(2N_\\mathrm{active} + a\\ell)}{t(b)\\,C}
              = u_C\\,\\frac{t_\\mathrm{comp}}{t(b)}

    i.e. useful FLOPs over what the chip's *peak* (not capped) rate could do in the step time.
    It rises as :math:`b/b^*` while memory-bound and saturates at :math:`u_C`. Independent of
    the device count under ideal sharding.
    """
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
    )
    st = decode_step(d, batch, context_argument(context_tokens))
    return d.flop_utilization * st.compute_seconds / np.maximum(st.memory_seconds, st.compute_seconds)


# ----------------------------------------------------------------------------------------
# The batch at which decoding turns compute-bound, and the cheapest batch
# ----------------------------------------------------------------------------------------


def dense_optimal_batch(
    accelerator: str | Accelerator,
    weight_format: str | NumberFormat = "bf16",
    *,
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Batch at which a dense model's short-context decode turns compute-bound.

    .. math:: b^* = \\frac{p_w\\,u_C C}{2\\,u_B B}

    Weight bytes :math:`p_w N` over :math:`u_B B` equal :math:`2 N b / (u_C C)`; :math:`N`
    cancels :cite:`erdil2025inference` (§2.1). H100 SXM in bf16: :math:`2\\cdot 989.4\\times10^{12}
    /(2\\cdot 3.35\\times 10^{12}) \\approx 295`. This is the :math:`\\ell = 0` limit of
    :func:`optimal_batch` for any dense model.
    """
    acc = get_accelerator(accelerator)
    fmt = get_format(weight_format)
    uc = fraction("flop_utilization", flop_utilization)
    ub = fraction("bandwidth_utilization", bandwidth_utilization)
    c = _peak(acc, fmt)
    return np.asarray(fmt.bytes_per_element * uc * c / (2.0 * ub * acc.hbm_bytes_per_s))


def optimal_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """The batch :math:`b^*` at which a decode step turns compute-bound, with context and MoE.

    Per-sequence KV time :math:`K = \\ell k_\\mathrm{kv}/(u_B B)`, per-sequence arithmetic time
    :math:`F = (2N_\\mathrm{active} + a\\ell)/(u_C C)` and weight time
    :math:`W(b) = p_w N_\\mathrm{read}(b)/(u_B B)`. Memory time equals arithmetic time when
    :math:`W(b) = b\\,(F - K)`. For a dense model :math:`W` is constant and

    .. math:: b^* = \\frac{W}{F - K}
              = \\frac{p_w N / (u_B B)}{(2N + a\\ell)/(u_C C) - \\ell k_\\mathrm{kv}/(u_B B)}
              \\qquad (F > K),

    which reduces to :func:`dense_optimal_batch` at :math:`\\ell = 0`. If :math:`F \\le K`
    each extra sequence adds at least as much memory time as arithmetic time, so the step
    **never** turns compute-bound: the result is ``inf`` (Erdil's long-context regime, §4.3,
    where the KV intensity :math:`a/k_\\mathrm{kv} = 2g/p` FLOP per byte of a GQA model is far
    below the chip's ridge :math:`u_C C/(u_B B)`).

    For an MoE, :math:`N_\\mathrm{read}(b)` grows with the batch (more experts touched), there
    is no closed form, and the root of the concave function :math:`W(b) - b(F-K)` is found by
    bisection in :math:`\\log b` (it is unique when it exists).

    Returns :math:`b^*` as a float (not rounded); ``1.0`` where the step is already
    compute-bound at batch 1; ``inf`` where it never is. Broadcasts over ``context_tokens``
    and the utilizations.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    wf, kf = get_format(weight_format), get_format(kv_format)
    ctx = non_negative("context_tokens", context_tokens)
    uc = fraction("flop_utilization", flop_utilization)
    ub = fraction("bandwidth_utilization", bandwidth_utilization)
    bw, c = ub * acc.hbm_bytes_per_s, uc * _peak(acc, wf)
    k_time = ctx * m.kv_bytes_per_token(kf.bytes_per_element) / bw
    f_time = m.flop_per_token(ctx) / c
    slope = f_time - k_time  # per-sequence arithmetic minus KV time
    ok = slope > 0
    safe = np.where(ok, slope, 1.0)
    w_max = wf.bytes_per_element * m.matmul_params / bw
    closed = np.where(ok, w_max / safe, np.inf)  # exact for dense; upper bound for MoE
    if not m.is_moe:
        return np.maximum(closed, 1.0)
    # MoE: g(b) = W(b) - b (F - K) is concave with g(b_hi) <= 0; bisect on log b in [0, log b_hi].
    shape = np.broadcast(closed, safe).shape
    closed, safe, ok = (np.broadcast_to(x, shape) for x in (closed, safe, ok))
    w1 = wf.bytes_per_element * params_read_per_step(m, 1.0) / bw
    compute_bound_at_1 = ok & (w1 - safe <= 0)
    lo = np.zeros(shape)
    hi = np.log(np.where(ok, np.maximum(closed, 1.0), 1.0))
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        b = np.exp(mid)
        g = wf.bytes_per_element * params_read_per_step(m, b) / bw - b * safe
        lo = np.where(g > 0, mid, lo)
        hi = np.where(g > 0, hi, mid)
    root = np.exp(0.5 * (lo + hi))
    return np.where(~ok, np.inf, np.where(compute_bound_at_1, 1.0, root))


def cost_optimal_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
    n_devices: ArrayLike = 1,
    hbm_fraction: ArrayLike = memory.USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """Smallest whole batch that reaches the minimum cost per token and fits in memory.

    .. math:: b_\\mathrm{serve} = \\min(\\lceil b^* \\rceil,\\; b_\\mathrm{max})

    with :math:`b_\\mathrm{max}` the capacity of :func:`inferecon.serving.memory.max_batch`. Below
    :math:`b^*` cost per token falls as :math:`1/b`; above it only latency grows, so
    :math:`\\lceil b^*\\rceil` is the cheapest batch unless memory runs out first. ``inf`` if
    neither binds (zero context and a step that never turns compute-bound); ``0`` if not even
    one sequence fits.
    """
    b_star = optimal_batch(
        accelerator,
        model,
        context_tokens,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
    )
    cap = memory.max_batch(
        accelerator,
        model,
        context_tokens,
        weight_format=weight_format,
        kv_format=kv_format,
        n_devices=n_devices,
        hbm_fraction=hbm_fraction,
    )
    return np.minimum(np.ceil(b_star), cap)


# ----------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------


def optimal_batch_table(
    weight_formats: tuple[str, ...] | None = None,
    *,
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> dict[str, dict[str, float | None]]:
    """Short-context dense :math:`b^*` for every catalogue accelerator and weight format.

    Returns ``{accelerator_id: {format_id: b_star or None}}``; ``None`` where the chip has no
    tensor-core rate at the format's compute precision (e.g. FP8 on an A100).
    """
    formats = tuple(FORMATS) if weight_formats is None else tuple(weight_formats)
    out: dict[str, dict[str, float | None]] = {}
    for acc in ACCELERATORS.values():
        row: dict[str, float | None] = {}
        for f in formats:
            fmt = get_format(f)
            row[fmt.id] = (
                float(
                    dense_optimal_batch(
                        acc,
                        fmt,
                        flop_utilization=flop_utilization,
                        bandwidth_utilization=bandwidth_utilization,
                    )
                )
                if fmt.compute_precision in acc.flop_per_s
                else None
            )
        out[acc.id] = row
    return out
