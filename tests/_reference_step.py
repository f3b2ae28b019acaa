"""Reference implementation of the multi-device step model, for the tests only.

The step model of :mod:`inferecon.serving.parallelism` written a second time, one
configuration at a time in plain Python (``math``, no arrays), from that module's docstring.
``tests/test_parallelism.py`` checks the vectorized model against it on random
configurations; ``tools/benchmark_sweep.py`` times a loop over it. Not part of the package.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from inferecon.serving.constants import NCCL_PROTOCOLS, ConstantSet, get_constants
from inferecon.serving.network import get_interconnect
from inferecon.specs.hardware import Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = ["reference_model", "reference_token_seconds"]


def reference_model(accelerator: str | Accelerator, model: str | ModelSpec, *, context_tokens: float = 0.0,
                    weight_format: str | NumberFormat = "bf16", kv_format: str | NumberFormat = "bf16",
                    activation_bytes: float = 2.0, constants: str | ConstantSet = "erdil-paper"
                    ) -> Callable[[int, int, int, int, int], float]:
    """The step model for *one* configuration at a time, in plain Python (``math``, no arrays).

    Returns ``token_seconds(tp, tp_heads, pp, ep, batch)`` (``math.inf`` if infeasible),
    with the accelerator, model, formats and constants resolved once. A second, loop-style
    implementation written from the module docstring: the tests check the vectorized
    :func:`inferecon.serving.parallelism.evaluate_configurations` against it on random configurations, and
    ``tools/benchmark_sweep.py`` times a loop over it.
    """
    ctx = float(context_tokens)
    if isinstance(context_tokens, (str, bool)) or not math.isfinite(ctx) or ctx < 0:
        raise ValueError(f"context_tokens must be a finite number >= 0, got {context_tokens!r}")
    if isinstance(activation_bytes, (str, bool)) or not float(activation_bytes) > 0:
        raise ValueError(f"activation_bytes must be > 0, got {activation_bytes!r}")
    cs = get_constants(constants)
    acc = cs.accelerator(accelerator)
    net = get_interconnect(acc)
    m = get_model(model)
    wf, kf = get_format(weight_format), get_format(kv_format)
    L, node, d = m.n_layers, acc.scaleup_domain, float(m.d_model)
    kv_heads = 1 if m.attention == "mla" else m.n_kv_heads
    kv_tok = float(m.kv_bytes_per_token(kf.bytes_per_element))
    up_bps, out_bps = acc.scaleup_bytes_per_s, net.scaleout_bytes_per_s
    protocols = [NCCL_PROTOCOLS[name] for name in cs.protocols]
    if m.attention == "mla":
        qkv = m.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
    else:
        qkv = (m.n_heads + 2 * m.n_kv_heads) * m.d_head
    up_dense = (m.ffn_matrices - 1) * m.d_ff
    up_moe = (m.ffn_matrices - 1) * m.d_ff_expert * (m.n_active_experts + m.n_shared_experts)
    bw_eff = cs.bandwidth_utilization * acc.hbm_bytes_per_s
    c_eff = cs.flop_utilization * acc.peak_flop_per_s(wf.compute_precision)

    def one(kind: str, ranks: float, nodes: float, size: float) -> float:
        if ranks <= 1:
            return 0.0
        mult = 2.0 if kind == "allreduce" else 1.0
        if net.collective == "ring":
            share = 1.0 if kind == "allreduce" else 0.5
            return mult * (ranks - 1) * net.hop_seconds + share * (ranks - 1) / ranks * size / up_bps
        q = ranks / nodes
        if kind == "allreduce":
            bw = 2 * (q - 1) / q * size / up_bps + 2 * (nodes - 1) / nodes * size / (q * out_bps)
        else:
            bw = (q - 1) / ranks * size / up_bps + (nodes - 1) / nodes * size / out_bps
        best = math.inf
        for pr in protocols:
            lat = pr.base_seconds + mult * (pr.per_rank_seconds * (q - 1)
                                            + pr.per_log2_node_seconds * math.log2(nodes))
            best = min(best, lat + bw / pr.bandwidth_factor)
        return best

    def token_seconds(tp: int, tp_heads: int, pp: int, ep: int, batch: int) -> float:
        for name, v in (("tp", tp), ("tp_heads", tp_heads), ("pp", pp), ("ep", ep), ("batch", batch)):
            if isinstance(v, (str, bool)) or v != int(v) or v < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
        r_b = tp_heads
        if (m.n_heads % r_b or tp % r_b or pp > L or pp > batch or m.d_model % (tp // r_b)
                or (m.is_moe and (tp % ep or m.n_routed_experts % ep)) or (not m.is_moe and ep != 1)):
            return math.inf
        r_a = tp / tp_heads
        rep = r_b / math.gcd(r_b, kv_heads)
        stage = math.ceil(L / pp)
        kappa = pp * stage / L
        micro = batch / pp
        need = (wf.bytes_per_element * m.total_params / tp
                + math.ceil(batch / r_a) * ctx * kv_tok * rep / r_b) * stage / L
        if need > cs.hbm_usable_fraction * acc.hbm_bytes:
            return math.inf

        stage_nodes = math.ceil(tp / node)

        def red_a(words: float) -> float:   # strided axis r_a
            return one("allreduce", r_a, min(r_a, stage_nodes), words * micro * activation_bytes)

        def red_b(words: float) -> float:   # packed axis r_b
            return one("allreduce", r_b, min(r_b, math.ceil(r_b / node)), words * micro * activation_bytes)

        if m.parallel_layers:
            dense_layer = moe_layer = red_a((qkv + up_dense) / r_b) + red_b(d / r_a)
        else:
            attn = red_a(qkv / r_b) + red_b(d / r_a)
            dense_layer = attn + red_a(up_dense / r_b) + red_b(d / r_a)
            if ep > 1:
                kk = min(m.n_active_experts, ep)
                a2a = one("alltoall", ep, min(ep, stage_nodes), kk * d / tp * micro * activation_bytes)
                grp = tp // ep
                moe_layer = attn + 2 * a2a + one("allreduce", grp, min(grp, math.ceil(grp / node)),
                                                 kk / ep * d * micro * activation_bytes)
            else:
                moe_layer = attn + red_a(up_moe / r_b) + red_b(d / r_a)
        n_moe = m.n_moe_layers
        collectives = kappa * ((L - n_moe) * dense_layer + n_moe * moe_layer)
        kernels = kappa * L * m.n_allreduce_per_layer * cs.kernel_launch_seconds
        send = 2.0 * d / tp * micro * activation_bytes
        if net.collective == "ring":
            pipeline = (pp - 1) * one("alltoall", 2, 1, send)
        else:
            per_node = max(1, node // tp)
            cross = max(math.ceil(pp / per_node) - 1, 0)
            pipeline = (pp - 1 - cross) * one("alltoall", 2, 1, send) + cross * one("alltoall", 2, 2, send)
        if m.is_moe:
            f = 1.0 - (1.0 - 1.0 / m.sparsity) ** max(micro, 1.0)
            read = m.dense_matmul_params + f * m.routed_expert_params
        else:
            read = m.matmul_params
        on_device = math.ceil(micro / r_a)   # the busiest device's sequences of one micro-batch
        memory = kappa * (wf.bytes_per_element * read / tp + on_device * ctx * kv_tok * rep / r_b) / bw_eff
        if cs.activation_traffic:   # inputs and outputs of each matmul slice
            # (see inferecon.serving.parallelism.activation_words_per_device)
            o = m.n_heads * (m.v_head_dim if m.attention == "mla" else m.d_head)
            if m.parallel_layers:
                words = L * (2 * d / r_a + (qkv + o + up_dense + m.d_ff) / r_b)
            else:
                k = m.n_active_experts + m.n_shared_experts
                attn_w = 2 * d / r_a + (qkv + o) / r_b
                words = ((L - m.n_moe_layers) * (attn_w + 2 * d / r_a + (up_dense + m.d_ff) / r_b)
                         + m.n_moe_layers * (attn_w + 2 * k * d / r_a + (up_moe + k * m.d_ff_expert) / r_b))
            memory += kappa * micro * activation_bytes * words / bw_eff
        compute = kappa * (micro * 2.0 * m.active_matmul_params / tp
                           + on_device * ctx * m.attention_flop_per_context_token / r_b) / c_eff
        return kernels + collectives + pipeline + max(memory, compute)

    return token_seconds


def reference_token_seconds(accelerator: str | Accelerator, model: str | ModelSpec, *, tp: int, tp_heads: int,
                            pp: int, ep: int, batch: int, **kwargs: Any) -> float:
    """One configuration through :func:`reference_model` (keyword arguments go there)."""
    return reference_model(accelerator, model, **kwargs)(tp, tp_heads, pp, ep, batch)


