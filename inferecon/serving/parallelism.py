"""One decode step of a model spread over many accelerators, with real network costs.

A *replica* of the model runs on :math:`N = t \\cdot p` devices: :math:`p` pipeline stages
(PP), each a group of :math:`t` devices that split every weight matrix (tensor parallelism,
TP). Inside a stage the MoE experts may instead be spread over :math:`e` groups of
:math:`t/e` devices (expert parallelism, EP). More replicas (data parallelism, DP) add
throughput at the same cost per token, so the cost of a configuration is that of one
replica. The step-time model follows Erdil 2025 §3 :cite:`erdil2025inference`:

.. math::
    T = \\underbrace{\\kappa L\\,(n_\\mathrm{ser} t_\\mathrm{launch} + c_\\mathrm{layer})}
                    _{\\text{latency and network}}
        + \\kappa \\max\\Bigl(
            \\frac{p_w N_\\mathrm{read}(m)/t
                  + \\lceil m/r_a\\rceil\\,\\ell\\,k_\\mathrm{kv}\\,\\rho/r_b}{u_B B},\\;
            \\frac{2 m N_\\mathrm{active}/t + \\lceil m/r_a\\rceil\\,a\\,\\ell/r_b}{u_C C}\\Bigr)
        + (p - 1)\\,t_\\mathrm{p2p}

with :math:`L` layers, micro-batch :math:`m = b/p` (one micro-batch per stage, no bubbles,
as in Erdil's code), :math:`\\kappa = p\\lceil L/p\\rceil / L \\ge 1` the slowest stage's
excess when :math:`p` does not divide :math:`L`, :math:`n_\\mathrm{ser}` serial matmuls per
layer (4, or 2 with PaLM-style parallel layers), :math:`c_\\mathrm{layer}` the collectives
of one layer, :math:`a\\ell` the attention FLOP per token at context :math:`\\ell`,
:math:`\\rho \\ge 1` the KV-cache replication when a KV head is split over several devices
and :math:`N_\\mathrm{read}` the MoE-aware weights read (:mod:`inferecon.serving.moe`). A
sequence's KV cache lives on one row of the TP grid (below), so the busiest device holds
:math:`\\lceil m/r_a\\rceil` sequences: a single sequence cannot be spread over the
:math:`r_a` axis. Communication does not overlap with memory or arithmetic (Erdil's
assumption). Note what pipelining does: the arithmetic and KV terms shrink with
:math:`N = tp`, but the *weights* term only with :math:`t` (each stage re-reads its weights
for every micro-batch), so PP adds memory capacity and throughput, not speed.

**Tensor-parallel layout.** The :math:`t` devices of a stage form a grid
:math:`t = r_a \\times r_b`. Every weight matrix is split in both directions. The QKV and
FFN-up matmuls reduce over the :math:`r_a` axis, each all-reduce carrying
:math:`1/r_b` of the output; the attention-output and FFN-down matmuls reduce over the
:math:`r_b` axis (``tp_heads``, which splits the attention heads), carrying :math:`1/r_a`.
:math:`r_a = 1` is Megatron's 1D TP (two all-reduces per layer over :math:`t` ranks)
:cite:`shoeybi2019megatron`; :math:`r_a = r_b = \\sqrt t` is Erdil's (and Pope et al.'s)
2D layout, four all-reduces over :math:`\\sqrt t` ranks :cite:`pope2022efficiently`. The
:math:`r_b` axis is packed inside nodes. Extra traffic from partitioning attention
itself is ignored, as in Erdil's model.

**Collectives.** An all-reduce of :math:`S` bytes per rank over :math:`r` ranks in
:math:`n` nodes (:math:`q = r/n` ranks per node) takes

.. math::
    t = \\alpha(r, n) + \\frac{1}{\\phi}\\Bigl(\\frac{2(q-1)}{q}\\frac{S}{B_\\mathrm{up}}
        + \\frac{2(n-1)}{n}\\frac{S}{q\\,B_\\mathrm{out}}\\Bigr),\\qquad
    \\alpha = \\alpha_0 + 2\\,[\\,a_r (q - 1) + a_n \\log_2 n\\,]

with :math:`B_\\mathrm{up}` the scale-up (NVLink) and :math:`B_\\mathrm{out}` the scale-out
bandwidth per device and direction. For NCCL's LL protocol :math:`\\alpha_0` = 6.8 µs,
:math:`a_r` = 0.6 µs, :math:`a_n` = 5 µs (so :math:`\\alpha` = 6.8 µs + 1.2 µs
:math:`(q-1)` + 10 µs :math:`\\log_2 n`, Erdil's fit to NCCL's tuning tables, eq. 23) and
bandwidth factor :math:`\\phi = 0.5`; LL128 and Simple have their own constants and the
notebook constant set takes the fastest of the three per collective. The bandwidth terms
are those of a hierarchical ring and equal the ones in Erdil's notebook (whose "9e11/4" and
"5e10/2" all-reduce bandwidths are these per-direction figures with the factor 2 of a ring
all-reduce); intra- and inter-node transfers are added, as in the paper's eq. 39, not
overlapped. (The paper's eq. 27 and eq. 42 disagree on the intra-node factor; this form
follows from the ring and matches the code.) All-to-all (EP dispatch and
combine) pays one latency half-term and sends :math:`(q-1)/r` of its bytes over the
scale-up and :math:`(n-1)/n` over the scale-out network. TPUs use a ring model on their
torus: :math:`\\alpha = 2(r-1)\\,t_\\mathrm{hop}`.

**Expert parallelism.** With :math:`e > 1`, a token's activations are dispatched to the
groups holding its :math:`k` experts and combined back (two all-to-alls over :math:`e`
groups, :math:`m\\min(k,e)\\,d_\\mathrm{model}` activations per stage); inside a group the
experts use 1D TP (one all-reduce over :math:`t/e` ranks). Shared experts are sharded over
the whole stage and their collectives are assumed hidden behind the all-to-alls.

**Feasibility.** A configuration is infeasible (reported with a reason code, never priced)
when ``tp_heads`` does not divide the query heads or ``tp``, ``tp/tp_heads`` does not
divide :math:`d_\\mathrm{model}`, ``ep`` does not divide ``tp``
and the routed experts, a pipeline has more stages than layers or than sequences, or the
weights and KV cache do not fit in the devices' HBM.

The closed-form model of Erdil's §2.2 (ring latency :math:`2 t_\\mathrm{hop}(\\sqrt N - 1)`,
memory-bound decode) and its minimum-latency solution are at the end of this module; their
sympy derivation is :mod:`inferecon.symbolic.parallelism`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, non_negative, positive
from inferecon.serving.constants import BOUNDS, ConstantSet, bound_names, describe_infeasible, get_constants
from inferecon.serving.moe import params_read_per_step
from inferecon.serving.network import Interconnect, _coll_terms, _CollectiveSum, get_interconnect
from inferecon.specs.deployment import Deployment, Layout, deployment
from inferecon.specs.hardware import ACCELERATORS, Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat
from inferecon.units import HOUR_S, TOKENS_PER_MILLION

__all__ = [
    "StepBreakdown",
    "activation_words_per_device",
    "decode_step_breakdown",
    "erdil_activation_bytes",
    "evaluate_configurations",
    "resolve",
    "token_latency_seconds",
]


# --------------------------------------------------------------------------- the step model
class SpeedsMixin:
    """Serial speed and replica throughput of arrays of configurations.

    Shared by :class:`StepBreakdown` and :class:`inferecon.serving.frontier.Sweep`, which both hold
    ``feasible``, ``token_seconds`` (per-token step time :math:`T`) and ``batch``.
    """

    feasible: NDArray[np.bool_]
    token_seconds: NDArray[np.float64]
    batch: NDArray[np.float64] | NDArray[np.int64]

    @property
    def tokens_per_s_per_request(self) -> NDArray[np.float64]:
        """Serial speed seen by one request, :math:`1/T` (0 where infeasible)."""
        return np.where(self.feasible, 1.0 / self.token_seconds, 0.0)

    @property
    def throughput_tokens_per_s(self) -> NDArray[np.float64]:
        """Tokens per second of one replica, :math:`b/T` (0 where infeasible)."""
        return np.where(self.feasible, self.batch / self.token_seconds, 0.0)


@dataclass(frozen=True)
class StepBreakdown(SpeedsMixin):
    """One decode step of one replica, term by term (arrays broadcast over the inputs).

    All times are seconds per decode step, i.e. per generated token of one sequence.
    ``token_seconds`` is ``inf`` and ``usd_per_million_tokens`` is ``inf`` where
    ``feasible`` is False; ``reason`` holds the :data:`INFEASIBLE_REASONS` bits
    (:attr:`reason_text` spells them out) and ``bound_code`` the largest term of each step
    (:attr:`bound` names it: ``"memory"``, ``"compute"``, ``"network"``, ``"pipeline"``,
    ``"kernel launch"``, or ``"infeasible"``; :data:`~inferecon.serving.constants.BOUNDS`).
    ``deployment`` is the description evaluated (from :func:`decode_step_breakdown`, with
    the split as its layout; from :func:`evaluate_configurations`, the split arrays replace
    its layout), ``hbm_bytes_per_device`` what the busiest device must hold and
    ``hbm_capacity_bytes`` what it may (``hbm_fraction`` of its HBM).
    """

    deployment: Deployment
    n_devices: NDArray[np.float64]
    batch: NDArray[np.float64]
    kernel_seconds: NDArray[np.float64]
    collective_seconds: NDArray[np.float64]
    pipeline_seconds: NDArray[np.float64]
    memory_seconds: NDArray[np.float64]
    compute_seconds: NDArray[np.float64]
    token_seconds: NDArray[np.float64]
    hbm_bytes_per_device: NDArray[np.float64]
    utilization: NDArray[np.float64]
    usd_per_million_tokens: NDArray[np.float64]
    feasible: NDArray[np.bool_]
    reason: NDArray[np.int64]
    bound_code: NDArray[np.int64]
    hbm_capacity_bytes: float
    extras: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def bound(self) -> NDArray[np.str_]:
        """Name of the largest term of each step (:data:`~inferecon.serving.constants.BOUNDS`)."""
        return bound_names(self.bound_code)

    @property
    def reason_text(self) -> NDArray[np.str_]:
        """Why each configuration is infeasible, in words (``""`` where it is feasible)."""
        need = np.broadcast_to(self.hbm_bytes_per_device, self.reason.shape).ravel()
        flat = [
            _reason_words(int(r), float(h), self.hbm_capacity_bytes)
            for r, h in zip(self.reason.ravel(), need, strict=True)
        ]
        return np.asarray(flat, dtype=str).reshape(self.reason.shape)


def _reason_words(reason: int, need_bytes: float, capacity_bytes: float) -> str:
    """The messages of a reason code, with the shortfall when the weights and KV do not fit."""
    msgs = describe_infeasible(reason)
    if reason & 32:
        msgs = [
            m + f" (needs {need_bytes / 1e9:.1f} GB per device, may use {capacity_bytes / 1e9:.1f} GB)"
            if "HBM" in m
            else m
            for m in msgs
        ]
    return "; ".join(msgs)


def _arch(m: ModelSpec) -> dict[str, float]:
    """Per-layer widths that set collective sizes (elements per token)."""
    if m.attention == "mla":
        qkv = m.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
        n_kv_eff = 1
    else:
        qkv = (m.n_heads + 2 * m.n_kv_heads) * m.d_head
        n_kv_eff = m.n_kv_heads
    up_dense = (m.ffn_matrices - 1) * m.d_ff
    up_moe = (m.ffn_matrices - 1) * m.d_ff_expert * (m.n_active_experts + m.n_shared_experts)
    return dict(qkv=float(qkv), n_kv_eff=float(n_kv_eff), up_dense=float(up_dense), up_moe=float(up_moe))


def activation_words_per_device(
    model: str | ModelSpec, tp: ArrayLike, tp_heads: ArrayLike
) -> NDArray[np.float64]:
    """Activation elements one device reads and writes per token in one step, all layers.

    A matmul split on the :math:`r_a \\times r_b` grid reads its input slice and writes its
    output slice. QKV and FFN-up take the :math:`d` input split over :math:`r_a` and write
    outputs split over :math:`r_b`; attention-output and FFN-down the reverse, so per layer

    .. math:: \\frac{4d}{r_a} + \\frac{w_{qkv} + n_h d_h + w_\\mathrm{up} + d_\\mathrm{ff}}{r_b}

    (Megatron's 1D TP, :math:`r_a = 1`: every device reads the full :math:`d`-wide inputs and
    writes its share of the wide outputs). MoE layers count the :math:`k` routed and the
    shared experts each token visits; PaLM-style parallel layers read their input once.
    This is Erdil's eq. 43 term :cite:`erdil2025inference` on the package's grid. (His
    notebook passes the grid sizes to the 1D branch so that each device is charged the full
    :math:`d_\\mathrm{ff}`-wide outputs and a :math:`1/t` share of the inputs: the reverse.)
    """
    m = get_model(model)
    _no_strings("tp", tp)
    _no_strings("tp_heads", tp_heads)
    r_b = at_least_one("tp_heads", tp_heads, integer=True)
    r_a = at_least_one("tp", tp, integer=True) / r_b
    a = _arch(m)
    d = float(m.d_model)
    o = float(m.n_heads * (m.v_head_dim if m.attention == "mla" else m.d_head))
    attn = 2 * d / r_a + (a["qkv"] + o) / r_b
    if m.parallel_layers:
        dense = 2 * d / r_a + (a["qkv"] + o + a["up_dense"] + m.d_ff) / r_b
        return np.asarray(m.n_layers * dense, dtype=float)
    dense = attn + 2 * d / r_a + (a["up_dense"] + m.d_ff) / r_b
    k = float(m.n_active_experts + m.n_shared_experts)
    moe_layer = attn + 2 * k * d / r_a + (a["up_moe"] + k * m.d_ff_expert) / r_b
    n_moe = float(m.n_moe_layers)
    return np.asarray((m.n_layers - n_moe) * dense + n_moe * moe_layer, dtype=float)


def _evaluate(
    dep: Deployment,
    net: Interconnect,
    cs: ConstantSet,
    tp: NDArray[np.float64],
    tp_heads: NDArray[np.float64],
    pp: NDArray[np.float64],
    ep: NDArray[np.float64],
    batch: NDArray[np.float64],
    ctx: NDArray[np.float64],
    demand: float = math.inf,
) -> StepBreakdown:
    """Vectorized step model (no argument validation, no look-ups).

    Everything about the hardware, the model, the formats, the utilizations, the usable HBM
    and the price comes from ``dep`` (its layout is ignored: the split arrays ``tp``,
    ``tp_heads``, ``pp``, ``ep`` replace it); ``cs`` supplies only the network constants
    (kernel launch, NCCL protocols, activation traffic). The inputs broadcast against each
    other. Terms that depend only on the split are computed at the split arrays' shape and
    combined with the batch only where needed, so a (configurations x 1) by (1 x batches)
    call does little work per point.
    """
    shape = np.broadcast_shapes(tp.shape, tp_heads.shape, pp.shape, ep.shape, batch.shape, ctx.shape)
    acc, m, wfmt, kvfmt = dep.accelerator, dep.model, dep.weight_format, dep.kv_format
    act_bytes = dep.activation_bytes
    L = float(m.n_layers)
    node = float(acc.scaleup_domain)
    a = _arch(m)
    n_dev = tp * pp
    r_b = tp_heads
    r_a = tp / tp_heads
    micro = batch / pp
    stage_layers = np.ceil(L / pp)
    kappa = pp * stage_layers / L

    # ---- feasibility (bit flags)
    reason = np.where(np.mod(m.n_heads, r_b) != 0, 1, 0) | np.where(np.mod(tp, r_b) != 0, 2, 0)
    if m.is_moe:
        ep_bad = (np.mod(tp, ep) != 0) | (np.mod(m.n_routed_experts, ep) != 0)
    else:
        ep_bad = ep != 1
    reason = (
        reason
        | np.where(ep_bad, 4, 0)
        | np.where(pp > L, 8, 0)
        | np.where(pp > batch, 16, 0)
        | np.where(np.mod(m.d_model, r_a) != 0, 128, 0)
    )

    # KV-cache replication: a KV head split over several devices is stored on each of them
    rep = r_b / np.gcd(r_b.astype(np.int64), int(a["n_kv_eff"])).astype(float)
    kv_per_token = float(m.kv_bytes_per_token(kvfmt.bytes_per_element))
    # sequences on the busiest device: the r_a axis splits the batch, the r_b axis the heads
    seq_dev = np.ceil(batch / r_a)
    hbm_need = (wfmt.bytes_per_element * m.total_params / tp + seq_dev * ctx * kv_per_token * rep / r_b) * (
        stage_layers / L
    )
    reason = reason | np.where(hbm_need > dep.hbm_fraction * acc.hbm_bytes, 32, 0)

    # ---- memory and arithmetic, slowest stage, all micro-batches of one step
    c_eff = dep.flop_utilization * dep.peak_flop_per_s
    b_eff = dep.bandwidth_utilization * acc.hbm_bytes_per_s
    weights_read: NDArray[np.float64] | float
    if m.is_moe:
        weights_read = wfmt.bytes_per_element * params_read_per_step(m, np.maximum(micro, 1.0))
    else:
        weights_read = wfmt.bytes_per_element * float(m.matmul_params)
    micro_dev = np.ceil(micro / r_a)  # a micro-batch's sequences on one device
    mem_s = (kappa / b_eff) * (weights_read / tp + micro_dev * ctx * (kv_per_token * rep) / r_b)
    if cs.activation_traffic:
        mem_s = mem_s + (kappa / b_eff) * micro * act_bytes * activation_words_per_device(m, tp, r_b)
    flop_per_token = m.flop_per_token(ctx)
    comp_s = (kappa / c_eff) * (
        micro * (2.0 * m.active_matmul_params / tp)
        + micro_dev * ctx * (m.attention_flop_per_context_token / r_b)
    )

    # ---- collectives per layer (on one micro-batch); sizes are words x micro x activation bytes
    up_bps, out_bps = acc.scaleup_bytes_per_s, net.scaleout_bytes_per_s
    ring = net.hop_seconds if net.collective == "ring" else None
    nodes_stage = np.ceil(tp / node)

    def terms(
        kind: str, ranks: NDArray[np.float64], contiguous: bool = True
    ) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        nodes = np.ceil(ranks / node) if contiguous else np.minimum(ranks, nodes_stage)
        return _coll_terms(kind, ranks, np.minimum(nodes, ranks), up_bps, out_bps, cs.protocols, ring)

    d = float(m.d_model)
    n_moe = float(m.n_moe_layers)
    w_dense, w_moe = (L - n_moe) / L, n_moe / L  # share of layers of each kind
    layer = _CollectiveSum()
    red_a, red_b = terms("allreduce", r_a, False), terms("allreduce", r_b)
    if m.parallel_layers:  # PaLM: QKV and FFN-up fused, one reduce each way
        layer.add(1.0, red_a, (a["qkv"] + a["up_dense"]) / r_b)
        layer.add(1.0, red_b, d / r_a)
    else:
        layer.add(1.0, red_a, a["qkv"] / r_b)  # QKV
        layer.add(1.0, red_b, d / r_a)  # attention output
        if w_dense:
            layer.add(w_dense, red_a, a["up_dense"] / r_b)
            layer.add(w_dense, red_b, d / r_a)
        if w_moe:
            use_ep = (ep > 1).astype(float)
            layer.add(w_moe * (1.0 - use_ep), red_a, a["up_moe"] / r_b)
            layer.add(w_moe * (1.0 - use_ep), red_b, d / r_a)
            kk = np.minimum(float(m.n_active_experts), ep)
            layer.add(w_moe * use_ep * 2.0, terms("alltoall", ep, False), kk * d / tp)  # dispatch + combine
            layer.add(w_moe * use_ep, terms("allreduce", tp / ep), kk / ep * d)  # inside a group
    tok_bytes = micro * act_bytes
    coll_s = (kappa * L) * layer.total(tok_bytes)
    kernel_s = kappa * (L * m.n_allreduce_per_layer * cs.kernel_launch_seconds)

    # ---- pipeline: p - 1 point-to-point sends of the micro-batch's activations per token
    two = np.full(np.shape(tp), 2.0)
    pipe = _CollectiveSum()
    p2p_words = 2.0 * d / tp  # a send moves all of S (see collective_seconds)
    if ring is not None:
        pipe.add(pp - 1.0, _coll_terms("alltoall", two, None, up_bps, up_bps, ("LL",), ring), p2p_words)
    else:
        stages_per_node = np.maximum(1.0, np.floor(node / tp))
        cross = np.maximum(np.ceil(pp / stages_per_node) - 1.0, 0.0)
        pipe.add(
            pp - 1.0 - cross,
            _coll_terms("alltoall", two, np.ones(np.shape(tp)), up_bps, out_bps, cs.protocols),
            p2p_words,
        )
        pipe.add(cross, _coll_terms("alltoall", two, two, up_bps, out_bps, cs.protocols), p2p_words)
    pipe_s = pipe.total(tok_bytes)

    token_s = kernel_s + coll_s + pipe_s + np.maximum(mem_s, comp_s)
    if math.isfinite(demand):
        reason = reason | np.where(batch / token_s > demand, 64, 0)
    reason = np.broadcast_to(reason, shape)
    feasible = reason == 0
    safe_t = np.where(feasible, token_s, 1.0)
    token_s = np.where(feasible, token_s, np.inf)
    util = np.where(feasible, (batch * flop_per_token / dep.peak_flop_per_s) / (n_dev * safe_t), 0.0)
    usd = np.where(
        feasible, (TOKENS_PER_MILLION * dep.price_usd_per_hour / HOUR_S) * n_dev * safe_t / batch, np.inf
    )

    def bc(x: ArrayLike) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(x, dtype=float), shape)

    terms_stack = np.stack([bc(mem_s), bc(comp_s), bc(coll_s), bc(pipe_s), bc(kernel_s)])
    bound = np.where(feasible, np.argmax(terms_stack, axis=0), len(BOUNDS) - 1).astype(np.int64)
    return StepBreakdown(
        deployment=dep,
        n_devices=bc(n_dev),
        batch=bc(batch),
        kernel_seconds=bc(kernel_s),
        collective_seconds=bc(coll_s),
        pipeline_seconds=bc(pipe_s),
        memory_seconds=bc(mem_s),
        compute_seconds=bc(comp_s),
        token_seconds=bc(token_s),
        hbm_bytes_per_device=bc(hbm_need),
        utilization=bc(util),
        usd_per_million_tokens=bc(usd),
        feasible=feasible,
        reason=reason.astype(np.int64),
        bound_code=bound,
        hbm_capacity_bytes=dep.hbm_fraction * dep.accelerator.hbm_bytes,
        extras=MappingProxyType({"kv_replication": bc(rep), "pipeline_imbalance": bc(kappa)}),
    )


def _number(
    name: str, value: object, *, low: float = 0.0, low_open: bool = False, allow_inf: bool = False
) -> float:
    """A scalar argument as a float: no strings, no booleans, no NaN; ``> low`` or ``>= low``."""
    if isinstance(value, (str, bytes, bool)) or not hasattr(value, "__float__"):
        raise ValueError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    x = float(cast(float, value))
    op = ">" if low_open else ">="
    if math.isnan(x) or (math.isinf(x) and not allow_inf) or x < low or (low_open and x == low):
        raise ValueError(f"{name} must be {op} {low:g}{'' if allow_inf else ' and finite'}, got {value!r}")
    return x


def _no_strings(name: str, value: object) -> None:
    """Refuse strings (``"10"``) and empty sequences where numbers are expected."""
    arr = np.asarray(value)
    if arr.dtype.kind in "USO" or arr.dtype == np.bool_:
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got {value!r}")


def resolve(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None = None,
    *,
    constants: str | ConstantSet = "erdil-paper",
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    context_tokens: float = 0.0,
    activation_bytes: float = 2.0,
    layout: Layout | None = None,
) -> tuple[Deployment, Interconnect, ConstantSet]:
    """The public boundary of the network model: one :class:`~inferecon.specs.deployment.Deployment`.

    - ``accelerator`` a catalogue id: the constant set's overrides apply (under ``"erdil-paper"``,
      ``"h100-sxm"`` is Erdil's H100 at 1e15 FLOP/s, 3.3 TB/s, 80 GB and $2/h).
    - ``accelerator`` an :class:`~inferecon.specs.hardware.Accelerator`: used exactly as given
      (its price, bandwidth and capacity included).
    - In both cases the flop and bandwidth utilizations and the usable HBM fraction are the
      constant set's.
    - ``accelerator`` a :class:`~inferecon.specs.deployment.Deployment`: used whole (its
      model, formats, utilizations, HBM fraction, price and activation bytes); ``model``
      must then be None and the format arguments are ignored.

    Returns the deployment, the interconnect of its accelerator (by id,
    :data:`inferecon.serving.network.INTERCONNECTS`) and the constant set, whose network
    constants (kernel launch, NCCL protocols, activation traffic) the step model reads.
    """
    cs = get_constants(constants)
    if isinstance(accelerator, Deployment):
        if model is not None:
            raise ValueError("pass either a Deployment or an (accelerator, model) pair, not both")
        dep = accelerator if layout is None else replace(accelerator, layout=layout)
    else:
        if model is None:
            raise ValueError("model is required (pass a catalogue id or a ModelSpec)")
        if (
            isinstance(accelerator, str)
            and accelerator.strip().lower() not in ACCELERATORS
            and isinstance(model, str)
            and model.strip().lower() in ACCELERATORS
        ):
            raise ValueError(
                f"arguments are (accelerator, model), got accelerator={accelerator!r}, "
                f"model={model!r}: swap them"
            )
        dep = deployment(
            cs.accelerator(accelerator),
            model,
            weight_format=weight_format,
            kv_format=kv_format,
            context_tokens=context_tokens,
            layout=layout,
            flop_utilization=cs.flop_utilization,
            bandwidth_utilization=cs.bandwidth_utilization,
            hbm_fraction=cs.hbm_usable_fraction,
            activation_bytes=_number("activation_bytes", activation_bytes, low_open=True),
        )
    return dep, get_interconnect(dep.accelerator), cs


def _split_arrays(
    tp: ArrayLike, tp_heads: ArrayLike, pp: ArrayLike, ep: ArrayLike, batch: ArrayLike
) -> list[NDArray[np.float64]]:
    out = []
    for name, v in (("tp", tp), ("tp_heads", tp_heads), ("pp", pp), ("ep", ep), ("batch", batch)):
        _no_strings(name, v)
        out.append(at_least_one(name, v, integer=True))
    return out


def evaluate_configurations(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None = None,
    *,
    tp: ArrayLike,
    tp_heads: ArrayLike,
    pp: ArrayLike,
    ep: ArrayLike,
    batch: ArrayLike,
    context_tokens: ArrayLike | None = None,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    activation_bytes: float = 2.0,
    constants: str | ConstantSet = "erdil-paper",
    demand_tokens_per_s: float = math.inf,
) -> StepBreakdown:
    """Evaluate many configurations at once; infeasible ones are *masked*, not raised.

    The inputs broadcast against each other; ``context_tokens`` defaults to the
    Deployment's (0 for ids and objects). ``accelerator``/``model`` are resolved once by
    :func:`resolve` (a catalogue id gets the constant set's overrides, an object is used as
    given, a Deployment whole). Used by :func:`inferecon.serving.frontier.sweep`; for one
    configuration with errors raised instead, use :func:`decode_step_breakdown`.
    """
    if context_tokens is None:
        ctx = np.asarray(accelerator.context_tokens if isinstance(accelerator, Deployment) else 0.0)
    else:
        _no_strings("context_tokens", context_tokens)
        ctx = non_negative("context_tokens", context_tokens)
    dep, net, cs = resolve(
        accelerator,
        model,
        constants=constants,
        weight_format=weight_format,
        kv_format=kv_format,
        context_tokens=float(ctx) if ctx.ndim == 0 else 0.0,
        activation_bytes=activation_bytes,
    )
    if isinstance(accelerator, Deployment) and ctx.ndim == 0:
        dep = replace(dep, context_tokens=float(ctx))
    arrs = _split_arrays(tp, tp_heads, pp, ep, batch)
    dem = _number("demand_tokens_per_s", demand_tokens_per_s, low_open=True, allow_inf=True)
    tp_a, heads_a, pp_a, ep_a, batch_a = arrs
    return _evaluate(dep, net, cs, tp_a, heads_a, pp_a, ep_a, batch_a, ctx, dem)


def decode_step_breakdown(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None = None,
    batch: ArrayLike = 1,
    context_tokens: ArrayLike | None = None,
    *,
    tp: int | None = None,
    tp_heads: int | None = None,
    pp: int | None = None,
    ep: int | None = None,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
    activation_bytes: float = 2.0,
    constants: str | ConstantSet = "erdil-paper",
) -> StepBreakdown:
    """Decode step of one replica with ``tp x pp`` devices, term by term; raises if infeasible.

    Parameters
    ----------
    accelerator, model : catalogue ids (the constant set's overrides apply to an accelerator
        id), objects (used exactly as given), or a whole
        :class:`~inferecon.specs.deployment.Deployment` as ``accelerator`` (``model`` None;
        its layout is the default split).
    batch : sequences decoded together (whole number >= 1); may be an array.
    context_tokens : tokens already in each sequence's KV cache (default: the Deployment's, or 0).
    tp : devices per pipeline stage (tensor parallel degree); default 1 (or the Deployment's).
    tp_heads : size of the head-splitting axis :math:`r_b` of the TP grid; defaults to
        ``tp`` (Megatron 1D TP). ``tp_heads = sqrt(tp)`` is Erdil's 2D layout.
    pp : pipeline stages. ep : expert-parallel groups per stage (MoE only).
    weight_format, kv_format : number formats (:mod:`inferecon.specs.precision`).
    activation_bytes : bytes per activation element sent over the network.
    constants : ``"erdil-paper"`` or ``"erdil-code"`` (:data:`CONSTANT_SETS`).

    Raises
    ------
    ValueError
        If any configuration is infeasible; the message lists the reasons (and, when the
        weights and KV cache do not fit, by how much).
    """
    lay = accelerator.layout if isinstance(accelerator, Deployment) else Layout()
    t = lay.tp if tp is None else tp
    h = (lay.tp_heads if tp is None else t) if tp_heads is None else tp_heads
    split = dict(tp=t, tp_heads=h, pp=lay.pp if pp is None else pp, ep=lay.ep if ep is None else ep)
    out = evaluate_configurations(
        accelerator,
        model,
        **split,
        batch=batch,
        context_tokens=context_tokens,
        weight_format=weight_format,
        kv_format=kv_format,
        activation_bytes=activation_bytes,
        constants=constants,
    )
    if np.all(out.feasible):
        if all(np.ndim(v) == 0 for v in split.values()):  # one split: the deployment carries it
            out = replace(
                out,
                deployment=replace(out.deployment, layout=Layout(**{k: int(v) for k, v in split.items()})),
            )
        return out
    texts = sorted({str(x) for x in np.unique(out.reason_text[~out.feasible])})
    where = ", ".join(f"{k}={v}" for k, v in split.items())
    raise ValueError(
        f"infeasible configuration {where} of {out.deployment.model.name} on "
        f"{out.deployment.accelerator.name}: " + " | ".join(texts)
    )


def token_latency_seconds(
    accelerator: str | Accelerator | Deployment,
    model: str | ModelSpec | None = None,
    batch: ArrayLike = 1,
    context_tokens: ArrayLike | None = None,
    **kwargs: Any,
) -> NDArray[np.float64]:
    """Seconds per generated token of one sequence; see :func:`decode_step_breakdown`."""
    return decode_step_breakdown(accelerator, model, batch, context_tokens, **kwargs).token_seconds


def erdil_activation_bytes(
    model: str | ModelSpec, batch: ArrayLike, activation_bytes: float = 2.0
) -> NDArray[np.float64]:
    """Matmul input/output activation bytes of one decode step, Erdil eq. 43's extra memory term.

    .. math::
        n_\\mathrm{layers}\\,b\\,\\bigl(2d + (1 + 2/g)\\,n_h d_h + n_h d_h + 2d
        + 2 d_\\mathrm{ff}\\bigr)\\,p_a

    Erdil's widths for the whole step, not split among devices: a yardstick against the weight
    reads. What the step model charges one device (``ConstantSet.activation_traffic``, on in
    Erdil's two constant sets) is :func:`activation_words_per_device`.
    """
    m = get_model(model)
    b = at_least_one("batch", batch)
    a = float(positive("activation_bytes", activation_bytes))
    g = m.gqa_group
    widths = (
        2 * m.d_model + (1 + 2 / g) * m.n_heads * m.d_head + m.n_heads * m.d_head + 2 * m.d_model + 2 * m.d_ff
    )
    return m.n_layers * b * widths * a


# --------------------------------------------------------------------------- Erdil §2.2 closed form
