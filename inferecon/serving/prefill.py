"""The roofline of a prefill pass: processing the prompts before the first token.

A prompt of :math:`P` tokens costs, with causal attention (token :math:`i` attends to the
:math:`i` tokens before it),

.. math::
    F_\\mathrm{prefill}(P) = \\sum_{i=0}^{P-1} (2N_\\mathrm{active} + a\\,i)
                          = 2N_\\mathrm{active} P + a\\,\\frac{P(P-1)}{2}

FLOPs. One pass over :math:`b` prompts reads the weights once for all :math:`bP` tokens and writes
their KV cache once; attention over the prompt stays on chip (FlashAttention-style tiling):

.. math::
    t_\\mathrm{mem} = \\frac{p_w N_\\mathrm{read}(bP) + b P k_\\mathrm{kv}}{n\\,u_B B},
    \\qquad t_\\mathrm{comp} = \\frac{b\\,F_\\mathrm{prefill}(P)}{n\\,u_C C}

and the pass takes the larger, :math:`\\max(t_\\mathrm{mem}, t_\\mathrm{comp})`: the time to first
token, ignoring queueing and network :cite:`erdil2025inference,pope2022efficiently`. The
:math:`bP` prompt tokens are a "batch" for the weights, so prefill turns compute-bound once
:math:`bP` exceeds roughly the decode step's :math:`b^*` (about 300 tokens on an H100 in bf16). The
pass fits if the weights and the prompts' KV cache fit in the usable HBM
(:mod:`inferecon.serving.memory`); its result is a
:class:`~inferecon.serving.roofline.RooflineStep` of phase ``"prefill"``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, non_negative
from inferecon.serving.moe import params_read_per_step
from inferecon.serving.roofline import RooflineStep
from inferecon.specs.deployment import USABLE_HBM_FRACTION, Deployment, from_call
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat

__all__ = [
    "prefill_compute_seconds",
    "prefill_flop",
    "prefill_memory_seconds",
    "prefill_mfu",
    "prefill_seconds",
    "prefill_step",
]


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
