"""The roofline of one decode step (and one prefill) on one accelerator.

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
form for dense models, numerically for mixtures of experts), the largest batch that fits in
HBM at a context length, and the prefill (prompt-processing) time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative
from inferecon.serving.moe import params_read_per_step
from inferecon.specs.deployment import (
    USABLE_HBM_FRACTION,
    Deployment,
    context_argument,
    from_call,
)
from inferecon.specs.hardware import ACCELERATORS, Accelerator, get_accelerator
from inferecon.specs.models import MODELS, ModelSpec, get_model
from inferecon.specs.precision import FORMATS, NumberFormat, get_format
from inferecon.units import TOKENS_PER_MILLION, format_bytes, format_count

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
    "USABLE_HBM_FRACTION",
    "RooflineStep",
    "cost_optimal_batch",
    "decode_bound",
    "decode_compute_seconds",
    "decode_memory_seconds",
    "decode_mfu",
    "decode_step",
    "decode_step_seconds",
    "dense_optimal_batch",
    "kv_arithmetic_intensity",
    "kv_bound_context",
    "kv_cache_bytes",
    "kv_weight_parity_batch",
    "max_batch",
    "min_devices",
    "optimal_batch",
    "optimal_batch_table",
    "prefill_compute_seconds",
    "prefill_flop",
    "prefill_memory_seconds",
    "prefill_mfu",
    "prefill_seconds",
    "prefill_step",
    "weight_bytes",
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
    hbm_fraction: float = USABLE_HBM_FRACTION,
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
    hbm_fraction: float = USABLE_HBM_FRACTION,
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
# The batch at which decoding turns compute-bound
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


def kv_arithmetic_intensity(model: str | ModelSpec, kv_format: str | NumberFormat = "bf16") -> float:
    """Attention FLOPs per byte of KV cache read, :math:`a / k_\\mathrm{kv}`.

    For standard attention :math:`a/k = 4 L h d / (2 L h_\\mathrm{kv} d\\,p) = 2g/p` with GQA
    group :math:`g = h/h_\\mathrm{kv}` :cite:`erdil2025inference` (§4.3): 8 FLOP/B for Llama 3
    in bf16, 1 for full multi-head attention. If it is below the chip's ridge
    :math:`C/B`, long-context decoding stays memory-bound at every batch.
    """
    m = get_model(model)
    return float(
        m.attention_flop_per_context_token / m.kv_bytes_per_token(get_format(kv_format).bytes_per_element)
    )


def kv_bound_context(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Context length beyond which decoding is memory-bound at *every* batch size.

    :math:`b^*` is finite only while a sequence's arithmetic time exceeds its KV-read time,
    :math:`(2N_\\mathrm{active} + a\\ell)/(u_C C) > \\ell k_\\mathrm{kv}/(u_B B)`, i.e. below

    .. math:: \\ell_\\mathrm{kv} = \\frac{2N_\\mathrm{active}/(u_C C)}{k_\\mathrm{kv}/(u_B B) - a/(u_C C)}

    (``inf`` when :math:`a/k_\\mathrm{kv} \\ge u_C C/(u_B B)`: then attention is itself
    compute-bound, as for MLA with an 8-bit cache on a 16-bit ridge). Llama 3 70B on an H100 in
    bf16: about 1,500 tokens. Beyond it, batching still amortizes the weights but the KV reads
    grow as fast as the batch, which is why long contexts move the bottleneck to KV reads
    :cite:`erdil2025inference` (§3.1, §4.3).
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    wf = get_format(weight_format)
    uc = fraction("flop_utilization", flop_utilization)
    ub = fraction("bandwidth_utilization", bandwidth_utilization)
    c, bw = uc * _peak(acc, wf), ub * acc.hbm_bytes_per_s
    denom = (
        m.kv_bytes_per_token(get_format(kv_format).bytes_per_element) / bw
        - m.attention_flop_per_context_token / c
    )
    num = 2.0 * m.active_matmul_params / c
    denom = np.asarray(denom * np.ones(np.broadcast(uc, ub).shape))
    out: NDArray[np.float64] = np.divide(num, denom, out=np.full(denom.shape, np.inf), where=denom > 0)
    return out


def kv_weight_parity_batch(
    model: str | ModelSpec,
    context_tokens: ArrayLike,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
) -> NDArray[np.float64]:
    """Batch above which a step reads more KV cache than weights (dense model).

    .. math:: b_\\mathrm{kv} = \\frac{p_w N_\\mathrm{matmul}}{\\ell\\,k_\\mathrm{kv}}

    Erdil's Mistral Large 2 example (§4): 244 GB of weights, 36 GB of KV per sequence at 100K
    tokens, so KV reads dominate above a batch of about 7.
    """
    m = get_model(model)
    ctx = non_negative("context_tokens", context_tokens)
    kv = ctx * m.kv_bytes_per_token(get_format(kv_format).bytes_per_element)
    w = get_format(weight_format).bytes_per_element * m.matmul_params
    out: NDArray[np.float64] = np.divide(w, kv, out=np.full(np.shape(kv), np.inf), where=kv > 0)
    return out


# ----------------------------------------------------------------------------------------
# Memory capacity
# ----------------------------------------------------------------------------------------


def weight_bytes(model: str | ModelSpec, weight_format: str | NumberFormat = "bf16") -> float:
    """Bytes to hold every parameter (all experts, embeddings included): :math:`p_w N_\\mathrm{total}`.

    Simplification: every tensor is stored in ``weight_format`` (real INT4 checkpoints often
    keep embeddings and norms in 16 bit, a few percent more).
    """
    m = get_model(model)
    return float(get_format(weight_format).bytes_per_element * m.total_params)


def kv_cache_bytes(
    model: str | ModelSpec,
    context_tokens: ArrayLike,
    batch: ArrayLike = 1,
    kv_format: str | NumberFormat = "bf16",
) -> NDArray[np.float64]:
    """KV cache of ``batch`` sequences of ``context_tokens`` tokens: :math:`b\\,\\ell\\,k_\\mathrm{kv}`."""
    m = get_model(model)
    ctx = non_negative("context_tokens", context_tokens)
    b = at_least_one("batch", batch)
    return b * ctx * m.kv_bytes_per_token(get_format(kv_format).bytes_per_element)


def max_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: ArrayLike,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    n_devices: ArrayLike = 1,
    hbm_fraction: ArrayLike = USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """Largest batch whose weights and KV caches fit in the devices' HBM.

    .. math:: b_\\mathrm{max} = \\left\\lfloor \\frac{n\\,f\\,H - p_w N_\\mathrm{total}}
              {\\ell\\,k_\\mathrm{kv}} \\right\\rfloor

    with :math:`H` HBM bytes per device as the device reports them and :math:`f` the fraction
    usable for weights and KV (default :data:`USABLE_HBM_FRACTION` = 0.9: the runtime context,
    activations, workspace and fragmentation take the rest). Returns
    ``inf`` at zero context and ``0`` where not even one sequence fits.

    Raises
    ------
    ValueError
        If the weights alone do not fit, naming both sizes.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    wf, kf = get_format(weight_format), get_format(kv_format)
    ctx = non_negative("context_tokens", context_tokens)
    n = at_least_one("n_devices", n_devices)
    f = fraction("hbm_fraction", hbm_fraction)
    usable = n * f * acc.hbm_bytes
    w = weight_bytes(m, wf)
    free = usable - w
    if np.any(free <= 0):
        i = np.argmax(np.ravel(free <= 0))
        n_bad, f_bad = (
            float(np.ravel(np.broadcast_to(n, free.shape))[i]),
            float(np.ravel(np.broadcast_to(f, free.shape))[i]),
        )
        hold = n_bad * f_bad * acc.hbm_bytes
        need_s, hold_s = format_bytes(w), format_bytes(hold)
        if need_s == hold_s:  # e.g. 141.1 GB of weights against 0.936 x 150.8 GB: show the difference
            need_s, hold_s = format_bytes(w, digits=5), format_bytes(hold, digits=5)
        raise ValueError(
            f"{m.name} weights in {wf.id} need {need_s} ({format_count(m.total_params)} "
            f"parameters x {wf.bytes_per_element:g} B) but {n_bad:g} x {acc.name} hold "
            f"{hold_s} (hbm_fraction {f_bad:g}); "
            f"use more devices or a smaller weight format"
        )
    per_seq = ctx * m.kv_bytes_per_token(kf.bytes_per_element)
    free, per_seq = np.broadcast_arrays(free, per_seq)
    out = np.full(free.shape, np.inf)
    np.floor(np.divide(free, per_seq, out=out, where=per_seq > 0), out=out, where=per_seq > 0)
    return out


def min_devices(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike = 1,
    context_tokens: ArrayLike = 0.0,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    hbm_fraction: float = USABLE_HBM_FRACTION,
) -> NDArray[np.int64]:
    """Fewest ideally sharded devices whose usable HBM holds the weights and ``batch`` KV caches.

    .. math:: n_\\mathrm{min} = \\left\\lceil \\frac{p_w N_\\mathrm{total} + b\\,\\ell\\,k_\\mathrm{kv}}{f H}
              \\right\\rceil

    Under ideal sharding the cost per token does not depend on the device count, so this is the
    count at which a roofline price exists at all (DeepSeek-V3 in bf16: 1.34 TB over
    0.9 x 85.5 GB per H100, 18 devices).
    """
    d = from_call(
        accelerator, model, weight_format=weight_format, kv_format=kv_format, hbm_fraction=hbm_fraction
    )
    b = at_least_one("batch", batch)
    ctx = non_negative("context_tokens", context_tokens)
    need = d.weight_bytes + b * ctx * d.kv_bytes_per_token
    return np.asarray(np.ceil(need / (d.hbm_fraction * d.accelerator.hbm_bytes)), dtype=np.int64)


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
    hbm_fraction: ArrayLike = USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """Smallest whole batch that reaches the minimum cost per token and fits in memory.

    .. math:: b_\\mathrm{serve} = \\min(\\lceil b^* \\rceil,\\; b_\\mathrm{max})

    Below :math:`b^*` cost per token falls as :math:`1/b`; above it only latency grows, so
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
    cap = max_batch(
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
# Prefill
# ----------------------------------------------------------------------------------------


def prefill_flop(model: str | ModelSpec, prompt_tokens: ArrayLike) -> NDArray[np.float64]:
    """Forward FLOPs to process a prompt of :math:`P` tokens (causal attention).

    .. math:: F_\\mathrm{prefill}(P) = \\sum_{i=0}^{P-1} (2N_\\mathrm{active} + a\\,i)
              = 2N_\\mathrm{active} P + a\\,\\frac{P(P-1)}{2}

    Token :math:`i` attends to the :math:`i` tokens before it, as in
    :meth:`inferecon.specs.models.ModelSpec.flop_per_token`.
    """
    m = get_model(model)
    p = non_negative("prompt_tokens", prompt_tokens)
    return 2.0 * m.active_matmul_params * p + m.attention_flop_per_context_token * p * (p - 1.0) / 2.0


def prefill_step(deployment: Deployment, prompt_tokens: ArrayLike, batch: ArrayLike = 1) -> RooflineStep:
    """The roofline of one prefill pass over ``batch`` prompts of ``prompt_tokens`` tokens.

    .. math:: t_\\mathrm{mem} = \\frac{p_w N_\\mathrm{read}(bP) + b P k_\\mathrm{kv}}{n\\,u_B B},
              \\qquad t_\\mathrm{comp} = \\frac{b\\,F_\\mathrm{prefill}(P)}{n\\,u_C C}

    Weights are read once for all :math:`bP` tokens; the new KV cache is written once.
    Attention over the prompt is assumed to stay on chip (FlashAttention-style tiling). The pass
    fits if the weights and the :math:`bP` tokens' KV cache fit in the usable HBM.
    """
    if not isinstance(deployment, Deployment):
        raise ValueError(f"deployment must be a Deployment, got {deployment!r}")
    d = deployment
    p = at_least_one("prompt_tokens", prompt_tokens)
    b = at_least_one("batch", batch)
    m = d.model
    w = d.weight_format.bytes_per_element * params_read_per_step(m, b * p)
    kv = b * p * d.kv_bytes_per_token
    mem = (w + kv) / d.hbm_bytes_per_s
    comp = b * prefill_flop(m, p) / d.flop_per_s
    shape = np.broadcast_shapes(np.shape(b), np.shape(p))

    def bc(x: ArrayLike) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(x, dtype=np.float64), shape)

    return RooflineStep(
        deployment=d,
        phase="prefill",
        batch=bc(b),
        context_tokens=bc(p),
        tokens=bc(b * p),
        memory_seconds=bc(mem),
        compute_seconds=bc(comp),
        hbm_required_bytes=bc(d.weight_bytes + kv),
        hbm_available_bytes=d.usable_hbm_bytes,
    )


def prefill_memory_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompt_tokens: ArrayLike,
    batch: ArrayLike = 1,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
) -> NDArray[np.float64]:
    """HBM time of one prefill pass (the memory roof of :func:`prefill_step`; capacity not checked)."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        bandwidth_utilization=bandwidth_utilization,
        n_devices=n_devices,
    )
    return prefill_step(d, prompt_tokens, batch).memory_seconds


def prefill_compute_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompt_tokens: ArrayLike,
    batch: ArrayLike = 1,
    *,
    weight_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    n_devices: int = 1,
) -> NDArray[np.float64]:
    """Arithmetic time of one prefill pass, :math:`b\\,F_\\mathrm{prefill}(P) / (n\\,u_C C)`.

    Capacity is not checked (see :func:`prefill_step`)."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        flop_utilization=flop_utilization,
        n_devices=n_devices,
    )
    return prefill_step(d, prompt_tokens, batch).compute_seconds


def prefill_seconds(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompt_tokens: ArrayLike,
    batch: ArrayLike = 1,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
    hbm_fraction: float = USABLE_HBM_FRACTION,
) -> NDArray[np.float64]:
    """Roofline time of a prefill pass: the time to first token, ignoring queueing and network.

    :math:`\\max(t_\\mathrm{mem}, t_\\mathrm{comp})`. A prompt of :math:`P` tokens is a
    "batch" of :math:`P` tokens for the weights, so prefill turns compute-bound once
    :math:`bP` exceeds roughly :math:`b^*` (about 300 tokens on an H100 in bf16). Raises
    ValueError, saying by how much, if the weights and the prompts' KV cache do not fit.
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
    return prefill_step(d, prompt_tokens, batch).require_fit().seconds


def prefill_mfu(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    prompt_tokens: ArrayLike,
    batch: ArrayLike = 1,
    *,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> NDArray[np.float64]:
    """Model FLOP utilization of a prefill pass at the roofline bound, :math:`u_C t_\\mathrm{comp}/t`."""
    d = from_call(
        accelerator,
        model,
        weight_format=weight_format,
        kv_format=kv_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
    )
    st = prefill_step(d, prompt_tokens, batch)
    return d.flop_utilization * st.compute_seconds / np.maximum(st.memory_seconds, st.compute_seconds)


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
