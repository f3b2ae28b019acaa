"""Mixture of experts: capacity without proportional compute, and which weights a step reads.

A mixture-of-experts (MoE) layer replaces one feed-forward block by :math:`n` *routed*
experts of which each token uses :math:`k`; some models add *shared* experts that every
token uses, and keep a few leading *dense* layers (DeepSeek-V3 has one shared expert per
MoE layer and three dense layers). With routed sparsity :math:`s = n/k`:

.. math::
    N_\\mathrm{active} = N_\\mathrm{always} + N_\\mathrm{routed}/s
    \\qquad\\text{(Erdil 2025, eq. 21)}

where :math:`N_\\mathrm{always}` holds everything a token always uses (attention, dense
layers, shared experts, routers, unembedding). If each token picks its :math:`k` experts as
a uniformly random :math:`k`-subset, independently of the other tokens, a given expert is
missed by one token with probability :math:`\\binom{n-1}{k}/\\binom{n}{k} = 1 - 1/s`, so a
batch of :math:`b` tokens reads it with probability :math:`1 - (1-1/s)^b` and one decode
step reads, in expectation,

.. math::
    N_\\mathrm{read}(b) = N_\\mathrm{always} + \\bigl(1 - (1 - 1/s)^b\\bigr)\\,N_\\mathrm{routed}
    \\qquad\\text{(Erdil 2025, eq. 22)}

:cite:`erdil2025inference`. Under that routing model eq. 22 is *exact* in expectation (the
tests check it against enumeration of every routing). Real routers are neither uniform nor
independent (DeepSeek-V3 limits each token to 4 of 8 expert groups), so eq. 22 is the
uniform-routing benchmark, not a measurement. Erdil's notebook computes :math:`s` with
integer division (``n_experts // n_active``); here :math:`s = n/k` exactly (the two agree
for every catalogue model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one
from inferecon.specs.models import ModelSpec, get_model

__all__ = [
    "ParamSplit",
    "expected_experts_read",
    "expert_read_fraction",
    "param_split",
    "params_read_per_step",
    "tokens_per_expert",
    "total_to_active_ratio",
]


def _experts(n_experts: ArrayLike, n_active: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Routed experts :math:`n` and experts per token :math:`k`, checked: :math:`1 \\le k \\le n`."""
    n = at_least_one("n_experts", n_experts)
    k = at_least_one("n_active", n_active)
    if np.any(k > n):
        raise ValueError(
            f"n_active must be <= n_experts, got n_active={k.tolist()} and n_experts={n.tolist()}"
        )
    return n, k


def expert_read_fraction(sparsity: ArrayLike, batch_tokens: ArrayLike) -> NDArray[np.float64]:
    """Expected fraction of routed experts touched by ``batch_tokens`` tokens.

    .. math:: f(s, b) = 1 - (1 - 1/s)^b

    Parameters
    ----------
    sparsity : :math:`s = n/k \\ge 1`, routed experts over experts per token (4 for Mixtral's
        2 of 8; 1 means every expert is always used). A fraction such as :math:`k/n = 0.25` is
        refused, with the :math:`s` it stands for.
    batch_tokens : tokens in the step :math:`b \\ge 1` (sequences x tokens per sequence).
    """
    s0 = np.asarray(sparsity, dtype=float) if not isinstance(sparsity, str) else None
    if s0 is not None and s0.size and np.all((s0 > 0) & (s0 < 1)):
        raise ValueError(
            f"sparsity must be >= 1 (s = n_experts / n_active), got {sparsity!r}; "
            f"an active fraction k/n = {float(np.ravel(s0)[0]):g} is sparsity "
            f"{1 / float(np.ravel(s0)[0]):g}"
        )
    s = at_least_one("sparsity", sparsity)
    b = at_least_one("batch_tokens", batch_tokens)
    return -np.expm1(b * np.log1p(-1.0 / s)) if np.all(s > 1) else 1.0 - (1.0 - 1.0 / s) ** b


def expected_experts_read(
    n_experts: ArrayLike, n_active: ArrayLike, batch_tokens: ArrayLike
) -> NDArray[np.float64]:
    """Expected number of distinct routed experts one MoE layer reads for a batch.

    .. math:: E[\\#\\text{experts}] = n\\,\\bigl(1 - (1 - k/n)^b\\bigr)

    Each of the ``batch_tokens`` tokens picks a uniformly random set of ``n_active`` distinct
    experts out of ``n_experts``, independently (Erdil 2025, eq. 22, per layer).

    Examples
    --------
    Two tokens routed to 1 of 2 experts read 1.5 experts on average
    (both pick the same expert with probability 1/2):

    >>> float(expected_experts_read(2, 1, 2))
    1.5
    """
    n, k = _experts(n_experts, n_active)
    return n * expert_read_fraction(n / k, batch_tokens)


def params_read_per_step(model: str | ModelSpec, batch_tokens: ArrayLike) -> NDArray[np.float64]:
    """Expected matmul parameters read from memory in one decode step.

    .. math:: N_\\mathrm{read}(b) = N_\\mathrm{always} + f(s, b)\\,N_\\mathrm{routed}

    For a dense model this is every matmul parameter, whatever ``batch_tokens``.
    """
    m = get_model(model)
    b = at_least_one("batch_tokens", batch_tokens)
    if not m.is_moe:
        return np.full_like(b, float(m.matmul_params))
    return m.dense_matmul_params + expert_read_fraction(m.sparsity, b) * m.routed_expert_params


@dataclass(frozen=True, slots=True)
class ParamSplit:
    """Where an MoE model's matmul parameters sit (all counts exclude the input embedding).

    Attributes
    ----------
    attention : attention projections over all layers.
    dense_ffn : FFN weights of the dense (non-MoE) layers.
    shared_experts : shared-expert weights (used by every token).
    routers : router (gate) weights.
    unembedding : the output projection.
    routed : all routed-expert weights.
    routed_active : routed weights one token uses, ``routed / s``.
    """

    attention: float
    dense_ffn: float
    shared_experts: float
    routers: float
    unembedding: float
    routed: float
    routed_active: float

    @property
    def always_read(self) -> float:
        """Weights every decode step reads whatever the routing, :math:`N_\\mathrm{always}`."""
        return self.attention + self.dense_ffn + self.shared_experts + self.routers + self.unembedding

    @property
    def active(self) -> float:
        """Matmul weights one token uses, :math:`N_\\mathrm{always} + N_\\mathrm{routed}/s` (eq. 21)."""
        return self.always_read + self.routed_active

    @property
    def total(self) -> float:
        """All matmul weights, :math:`N_\\mathrm{always} + N_\\mathrm{routed}`."""
        return self.always_read + self.routed


def param_split(model: str | ModelSpec) -> ParamSplit:
    """Split a model's matmul parameters into always-read and routed parts (eq. 21).

    The parts add up to ``model.matmul_params`` (total) and ``model.active_matmul_params``
    (active); the tests check both identities.
    """
    m = get_model(model)
    layers_attn = m.n_layers * (m.attention_params_per_layer + m.extra_params_per_layer)
    dense = int(m.n_dense_layers or 0) * m.dense_ffn_params
    shared = m.n_moe_layers * m.n_shared_experts * m.expert_params
    routers = m.n_moe_layers * m.router_params_per_layer
    routed = m.routed_expert_params
    routed_active = m.n_moe_layers * m.n_active_experts * m.expert_params
    return ParamSplit(
        attention=float(layers_attn),
        dense_ffn=float(dense),
        shared_experts=float(shared),
        routers=float(routers),
        unembedding=float(m.vocab_size * m.d_model),
        routed=float(routed),
        routed_active=float(routed_active),
    )


def total_to_active_ratio(model: str | ModelSpec) -> float:
    """Matmul parameters read at large batch over those a token uses.

    :math:`N_\\mathrm{total}/N_\\mathrm{active}`.

    This, not the routed sparsity :math:`s`, is the factor by which an MoE's optimal batch
    exceeds a dense model's (see :func:`sparsity_rule_optimal_batch`). DeepSeek-V3: about 18
    (routed :math:`s` = 32); Mixtral 8x7B: about 3.6 (:math:`s` = 4).
    """
    m = get_model(model)
    return float(m.matmul_params / m.active_matmul_params)


def tokens_per_expert(
    n_experts: ArrayLike, n_active: ArrayLike, batch_tokens: ArrayLike
) -> NDArray[np.float64]:
    """Expected tokens one routed expert receives in a step of ``batch_tokens`` tokens.

    .. math:: E[t_e] = b\\,k/n = b/s

    Each token sends one copy to each of its :math:`k` experts, so the :math:`n` experts share
    :math:`bk` token-slots; under uniform routing each gets :math:`bk/n` on average (the count
    is binomial, :math:`\\mathrm{Bin}(b, k/n)`, so individual experts scatter around it).

    >>> float(tokens_per_expert(256, 8, 320))
    10.0
    """
    n, k = _experts(n_experts, n_active)
    return at_least_one("batch_tokens", batch_tokens) * k / n
