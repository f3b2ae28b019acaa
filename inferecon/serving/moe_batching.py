"""The batch at which a mixture of experts turns compute-bound, and its dense counterparts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction
from inferecon.serving.moe import total_to_active_ratio
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = [
    "dense_counterpart",
    "moe_optimal_batch",
    "naive_sparsity_optimal_batch",
    "per_expert_optimal_batch",
    "sparsity_rule_optimal_batch",
]


def _roofline_rates(
    acc: Accelerator, fmt: NumberFormat, flop_utilization: ArrayLike, bandwidth_utilization: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    uc = fraction("flop_utilization", flop_utilization)
    ub = fraction("bandwidth_utilization", bandwidth_utilization)
    return uc * acc.peak_flop_per_s(fmt.compute_precision), ub * acc.hbm_bytes_per_s


def moe_optimal_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    weight_format: str | NumberFormat = "bf16",
    *,
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Batch at which a short-context decode step turns compute-bound, MoE reads included.

    Solves memory time = arithmetic time with the expected reads of eq. 22:

    .. math:: \\frac{p_w\\,N_\\mathrm{read}(b^*)}{u_B B} = \\frac{2\\,N_\\mathrm{active}\\,b^*}{u_C C}

    The left side is concave in :math:`b` and positive at :math:`b = 0`, the right side
    linear, so there is exactly one root. This is :func:`inferecon.serving.roofline.optimal_batch` at
    zero context (which finds it by bisection on :math:`\\log b`); for a dense model it is
    :math:`p_w u_C C/(2 u_B B)`.
    """
    from inferecon.serving import roofline

    return roofline.optimal_batch(
        accelerator,
        model,
        0.0,
        weight_format=weight_format,
        flop_utilization=flop_utilization,
        bandwidth_utilization=bandwidth_utilization,
    )


def per_expert_optimal_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    weight_format: str | NumberFormat = "bf16",
    *,
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Batch at which each routed expert's *own* matmuls turn compute-bound (uniform routing).

    An expert of :math:`N_e` weights that receives :math:`t_e` tokens reads
    :math:`p_w N_e` bytes and does :math:`2 N_e t_e` FLOP, so it is compute-bound only if
    :math:`t_e \\ge p_w u_C C/(2 u_B B) = b^*_\\mathrm{dense}`, whatever :math:`N_e`. With
    :math:`E[t_e] = b/s` (:func:`tokens_per_expert`) that needs

    .. math:: b \\ge b^*_\\mathrm{expert} = s\\,\\frac{p_w u_C C}{2 u_B B} = s\\, b^*_\\mathrm{dense}

    tokens in the step. :func:`moe_optimal_batch` balances the *whole layer*: the always-read
    weights (attention, shared experts, dense layers), which see every token, pass their
    threshold at :math:`b^*_\\mathrm{dense}`, and their surplus arithmetic hides the routed
    experts' memory time. Since :math:`N_\\mathrm{total}/N_\\mathrm{active} < s` whenever some
    weights are always read, :math:`b^*_\\mathrm{expert} > b^*_\\mathrm{MoE}`: at the layer's
    :math:`b^*` each routed expert's matmul is still memory-bound. A model whose kernels do not
    overlap one expert's memory time with another operation's arithmetic needs
    :math:`b^*_\\mathrm{expert}`; this is the per-kernel roofline, where the whole-layer
    :math:`b^*` is the aggregate one. It is an expectation: routing noise leaves some experts
    short of the mean. For a dense model (:math:`s = 1`) it is the dense :math:`b^*`.
    """
    acc, fmt, m = get_accelerator(accelerator), get_format(weight_format), get_model(model)
    c, bw = _roofline_rates(acc, fmt, flop_utilization, bandwidth_utilization)
    return np.asarray(m.sparsity * fmt.bytes_per_element * c / (2.0 * bw))


def sparsity_rule_optimal_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    weight_format: str | NumberFormat = "bf16",
    *,
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """Large-batch rule of thumb: dense :math:`b^*` times total-over-active parameters.

    .. math::
        b^*_\\mathrm{MoE} \\approx b^*_\\mathrm{dense}\\cdot\\frac{N_\\mathrm{total}}{N_\\mathrm{active}}

    Exact when every expert is read at :math:`b^*` (:math:`b^* \\gg s`); it over-estimates
    :math:`b^*` slightly otherwise. The often-quoted "300 x sparsity" uses the routed
    sparsity :math:`s` in place of :math:`N_\\mathrm{total}/N_\\mathrm{active}`, which
    ignores the always-read weights (:func:`naive_sparsity_optimal_batch`).
    """
    acc, fmt = get_accelerator(accelerator), get_format(weight_format)
    c, bw = _roofline_rates(acc, fmt, flop_utilization, bandwidth_utilization)
    return np.asarray(fmt.bytes_per_element * c / (2.0 * bw) * total_to_active_ratio(model))


def naive_sparsity_optimal_batch(
    accelerator: str | Accelerator,
    sparsity: ArrayLike,
    weight_format: str | NumberFormat = "bf16",
    *,
    flop_utilization: ArrayLike = 1.0,
    bandwidth_utilization: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    """The folk rule :math:`b^* \\approx b^*_\\mathrm{dense}\\times s` (for comparison only).

    It treats the whole model as routed experts. With DeepSeek-V3's wrong "sparsity 8"
    (reference.md §5.5) it gives about 2,400 on an H100; the routed sparsity is 32, and the
    factor that matters, total over active parameters, is about 18.
    """
    acc, fmt = get_accelerator(accelerator), get_format(weight_format)
    c, bw = _roofline_rates(acc, fmt, flop_utilization, bandwidth_utilization)
    return np.asarray(fmt.bytes_per_element * c / (2.0 * bw) * at_least_one("sparsity", sparsity))


def dense_counterpart(model: str | ModelSpec, match: str = "active") -> ModelSpec:
    """A dense model with the same attention and depth and as many matmul weights as the MoE's
    active (``match="active"``) or total (``match="total"``) ones.

    Every layer gets a dense FFN of one width :math:`d_\\mathrm{ff}`, chosen so that
    ``matmul_params`` matches the target to within one FFN column per layer (a relative error
    below :math:`10^{-4}` for the catalogue models). Used to compare an MoE with dense models
    of equal compute per token and of equal memory.
    """
    m = get_model(model)
    if match not in ("active", "total"):
        raise ValueError(f"match must be 'active' or 'total', got {match!r}")
    if not m.is_moe:
        raise ValueError(f"{m.name} is already dense")
    target = m.active_matmul_params if match == "active" else m.matmul_params
    fixed = m.n_layers * (m.attention_params_per_layer + m.extra_params_per_layer) + m.vocab_size * m.d_model
    per_column = m.n_layers * m.ffn_matrices * m.d_model
    d_ff = round((target - fixed) / per_column)
    return replace(
        m,
        id=f"{m.id}-dense-{match}",
        name=f"dense {m.name} ({match} size)",
        d_ff=d_ff,
        n_routed_experts=0,
        n_active_experts=0,
        n_shared_experts=0,
        d_ff_expert=0,
        n_dense_layers=m.n_layers,
        training_tokens=None,
        sources=m.sources,
        notes=f"Hypothetical dense model matching the {match} matmul parameters of {m.name}.",
    )
