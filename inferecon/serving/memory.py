"""What fits in HBM, and what the KV cache costs.

A replica of :math:`n` devices must hold the weights, :math:`p_w N_\\mathrm{total}` bytes (every
expert of a mixture, embeddings included), and the KV cache of each of its :math:`b` sequences,
:math:`\\ell\\,k_\\mathrm{kv}` bytes at :math:`\\ell` cached tokens, in the usable part :math:`f`
of each device's :math:`H` bytes of HBM :cite:`erdil2025inference,pope2022efficiently`:

.. math::
    p_w N_\\mathrm{total} + b\\,\\ell\\,k_\\mathrm{kv} \\le n\\,f\\,H

with :math:`f` = :data:`USABLE_HBM_FRACTION` = 0.9 by default (defined with
:class:`~inferecon.specs.deployment.Deployment`; the runtime context, activations, workspace and
fragmentation take the rest). Solved for the batch it gives the capacity limit
:math:`b_\\mathrm{max} = \\lfloor (nfH - p_w N_\\mathrm{total})/(\\ell k_\\mathrm{kv}) \\rfloor`
(:func:`max_batch`); solved for :math:`n`, the fewest devices that hold a batch
(:func:`min_devices`).

The KV cache also costs bandwidth: every decode step reads all of it, :math:`b\\,\\ell\\,k_\\mathrm{kv}`
bytes, for only :math:`a\\ell` attention FLOPs per sequence. Its arithmetic intensity
:math:`a/k_\\mathrm{kv} = 2g/p` FLOP per byte (GQA group :math:`g`, :math:`p` bytes per element)
lies far below a chip's ridge, so beyond a context :math:`\\ell_\\mathrm{kv}`
(:func:`kv_bound_context`) decoding stays memory-bound at every batch, and above
:math:`b_\\mathrm{kv} = p_w N/(\\ell k_\\mathrm{kv})` (:func:`kv_weight_parity_batch`) a step reads
more KV cache than weights. The step time these bytes enter is
:mod:`inferecon.serving.roofline`'s.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative
from inferecon.specs.deployment import USABLE_HBM_FRACTION, from_call
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format
from inferecon.units import format_bytes, format_count

__all__ = [
    "USABLE_HBM_FRACTION",
    "kv_arithmetic_intensity",
    "kv_bound_context",
    "kv_cache_bytes",
    "kv_weight_parity_batch",
    "max_batch",
    "min_devices",
    "weight_bytes",
]


# ----------------------------------------------------------------------------------------
# Capacity: weights and KV cache in HBM
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


# ----------------------------------------------------------------------------------------
# The KV cache's bandwidth: intensity, the KV-bound context, parity with the weights
# ----------------------------------------------------------------------------------------


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
    c, bw = uc * acc.peak_flop_per_s(wf.compute_precision), ub * acc.hbm_bytes_per_s
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
