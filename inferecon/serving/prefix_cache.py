"""Prefix caching (RadixAttention): prefill time, price and TTFT when part of each prompt is cached."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon.serving.prefill import prefill_flop
from inferecon.serving.workload import _arr, _deployment
from inferecon.specs.deployment import Deployment
from inferecon.units import TOKENS_PER_MILLION

__all__ = [
    "PrefixCacheResult",
    "prefix_cache",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefixCacheResult:
    """A prompt's prefill with part of its prefix already cached (arrays broadcast over inputs).

    ``cached_tokens`` :math:`h = \\eta\\,\\phi\\,P` (hit rate times shared fraction times prompt);
    ``prefill_flop`` what is still computed; ``ttft_seconds`` the lone prefill pass (no queue);
    ``usd_per_million_prompt_tokens`` its price per prompt token at full use;
    ``cache_bytes`` the HBM the cached prefixes take; ``speedup`` the time saved as a ratio;
    ``bound`` the pass's roof (``"memory"``/``"compute"``).
    """

    cached_tokens: NDArray[np.float64]
    prefill_flop: NDArray[np.float64]
    ttft_seconds: NDArray[np.float64]
    usd_per_million_prompt_tokens: NDArray[np.float64]
    cache_bytes: NDArray[np.float64]
    speedup: NDArray[np.float64]
    bound: NDArray[np.str_]


def prefix_cache(
    deployment: Deployment,
    prompt_tokens: ArrayLike,
    shared_fraction: ArrayLike,
    hit_rate: ArrayLike,
    *,
    distinct_prefixes: ArrayLike = 1,
) -> PrefixCacheResult:
    """Prefill time, FLOPs, price and TTFT when a share of each prompt's prefix is cached.

    With :math:`h` cached tokens of a prompt of :math:`P`, the pass computes only the last
    :math:`P-h` tokens, each still attending to everything before it:

    .. math:: F = 2N(P-h) + a\\,\\frac{P(P-1) - h(h-1)}{2},\\qquad
              t = \\max\\left(\\frac{p_w N + (P-h)k_\\mathrm{kv}}{n u_B B}, \\frac{F}{n u_C C}\\right)

    and the cache holds ``distinct_prefixes`` prefixes of :math:`\\phi P` tokens
    (SGLang's RadixAttention :cite:`zheng2024sglang` keeps them in a radix tree, evicting LRU).
    """
    d = _deployment(deployment)
    p = _arr("prompt_tokens", prompt_tokens)
    if ((p < 1) | ~np.isfinite(p)).any():
        raise ValueError(
            f"prompt_tokens must be >= 1 and finite, got {p[(p < 1) | ~np.isfinite(p)].ravel()[:3].tolist()}"
        )
    phi = _arr("shared_fraction", shared_fraction)
    eta = _arr("hit_rate", hit_rate)
    for name, x in (("shared_fraction", phi), ("hit_rate", eta)):
        if ((x < 0) | (x > 1)).any():
            raise ValueError(f"{name} must lie in [0, 1], got {x[(x < 0) | (x > 1)].ravel()[:3].tolist()}")
    nd = _arr("distinct_prefixes", distinct_prefixes)
    if ((nd < 0) | ~np.isfinite(nd)).any():
        raise ValueError(f"distinct_prefixes must be >= 0 and finite, got {distinct_prefixes!r}")
    p, phi, eta, nd = np.broadcast_arrays(p, phi, eta, nd)
    h = np.floor(eta * phi * p)
    h = np.minimum(h, p - 1.0)  # the last token is always computed (it makes the first output)
    m = d.model
    new = p - h
    attn = m.attention_flop_per_context_token * (p * (p - 1) - h * (h - 1)) / 2.0
    flop = 2.0 * m.active_matmul_params * new + attn
    from inferecon.serving.moe import params_read_per_step

    mem = (
        d.weight_format.bytes_per_element * params_read_per_step(m, new) + new * d.kv_bytes_per_token
    ) / d.hbm_bytes_per_s
    comp = flop / d.flop_per_s
    t = np.maximum(mem, comp)
    full_flop = prefill_flop(m, p)
    full_mem = (
        d.weight_format.bytes_per_element * params_read_per_step(m, p) + p * d.kv_bytes_per_token
    ) / d.hbm_bytes_per_s
    t0 = np.maximum(full_mem, full_flop / d.flop_per_s)
    cache = nd * np.floor(phi * p) * d.kv_bytes_per_token
    return PrefixCacheResult(
        cached_tokens=h,
        prefill_flop=flop,
        ttft_seconds=t,
        usd_per_million_prompt_tokens=TOKENS_PER_MILLION * d.usd_per_s * t / p,
        cache_bytes=cache,
        speedup=t0 / t,
        bound=np.where(mem >= comp, "memory", "compute"),
    )
