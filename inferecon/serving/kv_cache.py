"""How many sequences the KV cache holds: paged blocks (vLLM) against contiguous reservation."""

from __future__ import annotations

from dataclasses import dataclass

from inferecon.serving.workload import ALLOCATIONS, VLLM_BLOCK_TOKENS, Traffic, _choice, _deployment, _scalar
from inferecon.specs.deployment import Deployment

__all__ = [
    "KVCapacity",
    "kv_capacity",
]


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
