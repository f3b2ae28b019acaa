"""One decode step of a model spread over many accelerators, with real network costs.

A *replica* of the model runs on :math:`N = t \\cdot p` devices: :math:`p` pipeline stages
(PP), each a group of :math:`t` devices that split every weight matrix (tensor parallelism,
TP). Inside a stage the MoE experts may instead be spread over :math:`e` groups of
:math:`t/e` devices (expert parallelism, EP). More replicas (data parallelism, DP) add
throughput at the same cost per token, so the cost of a configuration is that of one
replica. The step-time model follows Erdil 2025 §3 :cite:`erdil2025inference`:

.. math::
    T = \\underbrace{\\kappa L\\,(n_\\mathrm{ser} t_\\mathrm{launch} + c_\\mathrm{layer})}_{\\text{latency and network}}
        + \\kappa \\max\\Bigl(\\frac{p_w N_\\mathrm{read}(m)/t + \\lceil m/r_a\\rceil\\,\\ell\\,k_\\mathrm{kv}\\,\\rho/r_b}{u_B B},\\;
                             \\frac{2 m N_\\mathrm{active}/t + \\lceil m/r_a\\rceil\\,a\\,\\ell/r_b}{u_C C}\\Bigr)
        + (p - 1)\\,t_\\mathrm{p2p}

with :math:`L` layers, micro-batch :math:`m = b/p` (one micro-batch per stage, no bubbles,
as in Erdil's code), :math:`\\kappa = p\\lceil L/p\\rceil / L \\ge 1` the slowest stage's
excess when :math:`p` does not divide :math:`L`, :math:`n_\\mathrm{ser}` serial matmuls per
layer (4, or 2 with PaLM-style parallel layers), :math:`c_\\mathrm{layer}` the collectives
of one layer, :math:`a\\ell` the attention FLOP per token at context :math:`\\ell`,
:math:`\\rho \\ge 1` the KV-cache replication when a KV head is split over several devices
and :math:`N_\\mathrm{read}` the MoE-aware weights read (:mod:`inferecon.moe`). A
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
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import at_least_one, lookup, non_negative, positive
from .hardware import Accelerator, get_accelerator
from .models import ModelSpec, get_model
from .moe import params_read_per_step
from .precision import NumberFormat, get_format
from .roofline import ERDIL_BANDWIDTH_UTILIZATION, ERDIL_FLOP_UTILIZATION
from .units import HOUR_S, TOKENS_PER_MILLION

__all__ = [
    "Protocol", "NCCL_PROTOCOLS", "Interconnect", "INTERCONNECTS", "get_interconnect",
    "ConstantSet", "CONSTANT_SETS", "get_constants",
    "INFEASIBLE_REASONS", "describe_infeasible",
    "StepBreakdown", "decode_step_breakdown", "token_latency_seconds", "evaluate_configurations",
    "reference_model", "reference_token_seconds", "erdil_activation_bytes", "activation_words_per_device",
    "collective_seconds",
    "ring_allreduce_latency_seconds", "simple_token_latency_seconds", "min_latency_gpu_count",
    "min_token_latency_seconds", "min_latency_gpu_seconds_per_token", "model_min_token_latency_seconds",
    "sqrt_law_latency_seconds", "sqrt_law_tokens_per_second",
]


# --------------------------------------------------------------------------- network constants
@dataclass(frozen=True, slots=True)
class Protocol:
    """An NCCL protocol: latency :math:`\\alpha_0 + m[a_r(q-1) + a_n\\log_2 n]` and a bandwidth factor.

    ``m`` is 2 for an all-reduce and 1 for all-to-all and point-to-point transfers.
    Constants from NCCL's ``src/graph/tuning.cc`` as used in Erdil's notebook (cell 2).
    """

    name: str
    base_seconds: float
    per_rank_seconds: float
    per_log2_node_seconds: float
    bandwidth_factor: float


#: NCCL protocols (Erdil 2025 notebook, cell 2; paper eq. 23 uses LL only).
NCCL_PROTOCOLS: Mapping[str, Protocol] = MappingProxyType({
    "LL": Protocol("LL", 6.8e-6, 0.6e-6, 5e-6, 0.5),
    "LL128": Protocol("LL128", 14e-6, 1.25e-6, 8.5e-6, 0.95),
    "Simple": Protocol("Simple", 0.0, 28e-6, 28e-6, 1.0),
})


@dataclass(frozen=True, slots=True, kw_only=True)
class Interconnect:
    """How an accelerator's devices talk: scale-out bandwidth and the collective-latency model.

    Attributes
    ----------
    accelerator_id : catalogue id of the accelerator.
    scaleout_bytes_per_s : bandwidth per device per direction between scale-up domains
        (one 400 Gb/s NIC per GPU is 50 GB/s).
    collective : ``"nccl"`` (NCCL protocols, :data:`NCCL_PROTOCOLS`) or ``"ring"`` (a ring on
        a torus, :math:`m(r-1)` hops of ``hop_seconds``).
    hop_seconds : per-hop latency of the ``"ring"`` model.
    sources, notes : citation keys; caveats.
    """

    accelerator_id: str
    scaleout_bytes_per_s: float
    collective: str = "nccl"
    hop_seconds: float = 1e-6
    sources: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        if self.collective not in ("nccl", "ring"):
            raise ValueError(f"{self.accelerator_id}: collective must be 'nccl' or 'ring', got {self.collective!r}")
        if not self.scaleout_bytes_per_s > 0 or not self.hop_seconds > 0:
            raise ValueError(f"{self.accelerator_id}: bandwidth and hop latency must be > 0")


INTERCONNECTS: dict[str, Interconnect] = {i.accelerator_id: i for i in [
    Interconnect(accelerator_id="h100-sxm", scaleout_bytes_per_s=50e9, sources=("erdil2025inference",),
                 notes="DGX H100: one ConnectX-7 (400 Gb/s) per GPU (Erdil §4)."),
    Interconnect(accelerator_id="h200-sxm", scaleout_bytes_per_s=50e9, sources=("erdil2025inference",),
                 notes="As H100 (Erdil's notebook)."),
    Interconnect(accelerator_id="a100-80gb-sxm", scaleout_bytes_per_s=25e9, sources=("erdil2025inference",),
                 notes="One 200 Gb/s HDR NIC per GPU (Erdil's notebook: 2.5e10/2 all-reduce bandwidth)."),
    Interconnect(accelerator_id="b200", scaleout_bytes_per_s=50e9, sources=("nvidia2024blackwell",),
                 notes="Assumed one 400 Gb/s NIC per GPU as in DGX B200 (course assumption)."),
    Interconnect(accelerator_id="mi300x", scaleout_bytes_per_s=50e9, sources=("amd2023mi300x",),
                 notes="Assumed one 400 Gb/s NIC per GPU; RCCL latencies assumed equal to NCCL's."),
    Interconnect(accelerator_id="tpu-v4", scaleout_bytes_per_s=270e9, collective="ring",
                 sources=("pope2022efficiently", "erdil2025inference"),
                 notes="The whole slice is one ICI torus; 1 µs per hop as in Erdil's notebook."),
    Interconnect(accelerator_id="tpu-v5e", scaleout_bytes_per_s=180e9, collective="ring",
                 sources=("austin2025scaling",), notes="ICI torus; 1 µs per hop assumed."),
    Interconnect(accelerator_id="tpu-v5p", scaleout_bytes_per_s=540e9, collective="ring",
                 sources=("austin2025scaling",), notes="ICI torus; 1 µs per hop assumed."),
]}


def get_interconnect(accelerator: "str | Accelerator") -> Interconnect:
    """The :class:`Interconnect` of an accelerator (by id or object)."""
    acc_id = accelerator.id if isinstance(accelerator, Accelerator) else str(accelerator).strip().lower()
    return lookup("interconnect (accelerator id)", acc_id, INTERCONNECTS)


# --------------------------------------------------------------------------- constant sets
@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantSet:
    """A named set of modelling constants (Erdil's paper text or his notebook).

    Attributes
    ----------
    id, name : ``"paper"`` or ``"notebook"``; display name.
    flop_utilization, bandwidth_utilization : caps on sustained FLOP/s and HBM bandwidth.
    accelerator_overrides : per accelerator id, field values replacing the catalogue's
        (``flop_per_s``, ``hbm_bytes_per_s``, ``hbm_bytes``, ``price_usd_per_hour``).
    kernel_launch_seconds : latency of one kernel launch, paid per serial matmul.
    protocols : NCCL protocols allowed; the fastest is used per collective.
    preference_alpha : exponent of the customer preference :math:`(\\mathrm{tok/s})^\\alpha/\\mathrm{price}`.
    hbm_usable_fraction : fraction of HBM available for weights and KV cache.
    activation_traffic : whether the memory term counts the matmuls' input and output
        activations read from and written to HBM (Erdil's eq. 43 term; see
        :func:`activation_words_per_device`). On in Erdil's two sets, as in his paper and code;
        off by default (the weights-and-KV-only model, chapter 4's roofline, which fused kernels
        approach by keeping activations on chip).
    sources, notes : citation keys; how the set differs from the other.
    """

    id: str
    name: str
    flop_utilization: float
    bandwidth_utilization: float
    accelerator_overrides: Mapping[str, Mapping[str, Any]]
    kernel_launch_seconds: float = 4e-6
    protocols: tuple[str, ...] = ("LL",)
    preference_alpha: float = 3.0
    hbm_usable_fraction: float = 1.0
    activation_traffic: bool = False
    sources: tuple[str, ...] = ("erdil2025inference",)
    notes: str = ""

    def __post_init__(self) -> None:
        for name in ("flop_utilization", "bandwidth_utilization", "hbm_usable_fraction"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"{self.id}: {name} must lie in (0, 1], got {v!r}")
        bad = [p for p in self.protocols if p not in NCCL_PROTOCOLS]
        if not self.protocols or bad:
            raise ValueError(f"{self.id}: protocols must be a non-empty subset of {list(NCCL_PROTOCOLS)}, "
                             f"got {self.protocols!r}")
        object.__setattr__(self, "accelerator_overrides", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.accelerator_overrides.items()}))

    def accelerator(self, accelerator: "str | Accelerator") -> Accelerator:
        """The accelerator with this set's overrides applied (the catalogue's, if none)."""
        acc = get_accelerator(accelerator)
        over = self.accelerator_overrides.get(acc.id)
        return replace(acc, **dict(over)) if over else acc


_H100_ROUND = {"flop_per_s": {"bf16": 1e15, "fp16": 1e15, "fp8": 2e15, "int8": 2e15},
               "hbm_bytes_per_s": 3.3e12, "hbm_bytes": 80e9}

CONSTANT_SETS: dict[str, ConstantSet] = {c.id: c for c in [
    ConstantSet(
        id="paper", name="Erdil 2025, paper text",
        flop_utilization=ERDIL_FLOP_UTILIZATION, bandwidth_utilization=ERDIL_BANDWIDTH_UTILIZATION,
        accelerator_overrides={"h100-sxm": {**_H100_ROUND, "price_usd_per_hour": 2.00}},
        protocols=("LL",), preference_alpha=3.0, activation_traffic=True,
        notes="§4: H100 at 1e15 FLOP/s (16-bit), 3.3 TB/s, capped at 70% and 75%; $2/h; NCCL LL; "
              "customers' preference exponent about 3. Other accelerators: catalogue values, same caps."),
    ConstantSet(
        id="notebook", name="Erdil 2025, official notebook",
        flop_utilization=1.0, bandwidth_utilization=1.0,
        accelerator_overrides={
            "h100-sxm": {**_H100_ROUND, "price_usd_per_hour": 3.15 * 2 / 3},
            "h200-sxm": {"flop_per_s": _H100_ROUND["flop_per_s"], "hbm_bytes_per_s": 4.8e12,
                         "hbm_bytes": 141e9, "price_usd_per_hour": 3.15 * 2 / 3},
            "a100-80gb-sxm": {"flop_per_s": {"bf16": 3.12e14, "fp16": 3.12e14, "int8": 6.24e14},
                              "hbm_bytes_per_s": 2e12, "hbm_bytes": 80e9, "price_usd_per_hour": 2.26 * 2 / 3},
        },
        protocols=("LL", "LL128", "Simple"), preference_alpha=4.0, activation_traffic=True,
        notes="Cell 2 at commit 589a102: no utilization caps, H100 $2.10/h, best of the three NCCL "
              "protocols per collective, preference exponent 4."),
]}


def get_constants(constants: "str | ConstantSet") -> ConstantSet:
    """A :class:`ConstantSet` by id (``"paper"`` or ``"notebook"``) or passed through."""
    if isinstance(constants, ConstantSet):
        return constants
    return lookup("constant set", constants, CONSTANT_SETS)


# --------------------------------------------------------------------------- feasibility codes
#: Bit flags of the ``reason`` array: why a configuration is infeasible (0 = feasible).
INFEASIBLE_REASONS: Mapping[int, str] = MappingProxyType({
    1: "tp_heads does not divide the number of query heads",
    2: "tp_heads does not divide tp",
    4: "ep does not divide tp and the routed experts (a dense model needs ep = 1)",
    8: "more pipeline stages than layers",
    16: "more pipeline stages than sequences in the batch",
    32: "weights and KV cache do not fit in HBM",
    64: "one replica's throughput exceeds the demand cap",
    128: "tp / tp_heads does not divide d_model",
})


def describe_infeasible(reason: int) -> list[str]:
    """The messages of the bits set in a ``reason`` code (empty list: feasible)."""
    return [msg for bit, msg in INFEASIBLE_REASONS.items() if int(reason) & bit]


# --------------------------------------------------------------------------- collectives
def _log2(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log2(np.maximum(x, 1.0))


def _coll_terms(kind: str, ranks: NDArray[np.float64], nodes: NDArray[np.float64] | None, up_bps: float,
                out_bps: float, protocols: tuple[str, ...], ring_hop: float | None = None
                ) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Per protocol, (latency, seconds per byte): the collective takes ``lat + coef * S``.

    Depends only on the ranks and nodes, so it is computed once per split and applied to
    every batch size. One rank costs nothing.
    """
    one = ranks > 1
    mult = 2.0 if kind == "allreduce" else 1.0
    if ring_hop is not None:   # ring on a torus
        lat = np.where(one, mult * (ranks - 1.0) * ring_hop, 0.0)
        coef = (ranks - 1.0) / ranks / up_bps * (1.0 if kind == "allreduce" else 0.5)
        return [(lat, coef)]
    assert nodes is not None
    q = ranks / nodes
    if kind == "allreduce":
        coef = 2.0 * (q - 1.0) / q / up_bps + 2.0 * (nodes - 1.0) / nodes / (q * out_bps)
    else:  # all-to-all: S bytes per rank spread evenly over the r ranks
        coef = (q - 1.0) / ranks / up_bps + (nodes - 1.0) / nodes / out_bps
    out = []
    for name in protocols:
        pr = NCCL_PROTOCOLS[name]
        lat = pr.base_seconds + mult * (pr.per_rank_seconds * (q - 1.0) + pr.per_log2_node_seconds * _log2(nodes))
        out.append((np.where(one, lat, 0.0), coef / pr.bandwidth_factor))
    return out


def _apply(terms: list[tuple[NDArray[np.float64], NDArray[np.float64]]], size: ArrayLike) -> NDArray[np.float64]:
    """Time of a collective of ``size`` bytes per rank: the fastest protocol."""
    best = None
    for lat, coef in terms:
        t = lat + coef * size
        best = t if best is None else np.minimum(best, t)
    assert best is not None
    return best


def _nccl_seconds(kind: str, ranks: NDArray[np.float64], nodes: NDArray[np.float64], size_bytes: NDArray[np.float64],
                  up_bps: float, out_bps: float, protocols: tuple[str, ...]) -> NDArray[np.float64]:
    return _apply(_coll_terms(kind, ranks, nodes, up_bps, out_bps, protocols), size_bytes)


def _ring_seconds(kind: str, ranks: NDArray[np.float64], size_bytes: NDArray[np.float64], link_bps: float,
                  hop_seconds: float) -> NDArray[np.float64]:
    return _apply(_coll_terms(kind, ranks, None, link_bps, link_bps, ("LL",), ring_hop=hop_seconds), size_bytes)


class _CollectiveSum:
    """Weighted sum of collectives whose sizes are ``words * (micro-batch bytes)``.

    With one protocol every term is linear in the micro-batch, so the sum collapses to one
    latency and one slope per split before the batch dimension is touched; with several
    protocols each collective takes its own minimum at full size.
    """

    def __init__(self) -> None:
        self.items: list[tuple[Any, list[tuple[NDArray[np.float64], NDArray[np.float64]]], Any]] = []

    def add(self, weight: Any, terms: list[tuple[NDArray[np.float64], NDArray[np.float64]]], words: Any) -> None:
        self.items.append((weight, terms, words))

    def total(self, unit_bytes: NDArray[np.float64]) -> NDArray[np.float64]:
        if all(len(t) == 1 for _, t, _ in self.items):
            lat = sum(w * t[0][0] for w, t, _ in self.items)
            slope = sum(w * t[0][1] * words for w, t, words in self.items)
            return lat + slope * unit_bytes
        return sum(w * _apply(t, words * unit_bytes) for w, t, words in self.items)


def collective_seconds(kind: str, ranks: ArrayLike, nodes: ArrayLike, size_bytes: ArrayLike,
                       accelerator: "str | Accelerator" = "h100-sxm",
                       constants: "str | ConstantSet" = "paper") -> NDArray[np.float64]:
    """Time of one collective (module docstring): latency plus bandwidth term.

    Parameters
    ----------
    kind : ``"allreduce"``, ``"alltoall"`` or ``"p2p"`` (a point-to-point send, modelled as
        a two-rank all-to-all of the whole message).
    ranks : devices taking part (:math:`r \\ge 1`; one rank costs nothing).
    nodes : scale-up domains they span (:math:`1 \\le n \\le r`).
    size_bytes : bytes held per rank (the vector being reduced, or the data to scatter).

    Examples
    --------
    An 8-way all-reduce of a small message inside one DGX H100 with NCCL LL pays the
    latency :math:`6.8 + 1.2\\cdot 7 = 15.2` µs:

    >>> round(float(collective_seconds("allreduce", 8, 1, 0.0)) * 1e6, 6)
    15.2
    """
    if kind not in ("allreduce", "alltoall", "p2p"):
        raise ValueError(f"kind must be 'allreduce', 'alltoall' or 'p2p', got {kind!r}")
    r = at_least_one("ranks", ranks)
    n = at_least_one("nodes", nodes)
    if np.any(n > r):
        raise ValueError(f"nodes must be <= ranks, got nodes={n.tolist()} and ranks={r.tolist()}")
    s = non_negative("size_bytes", size_bytes)
    acc = get_constants(constants).accelerator(accelerator)
    net = get_interconnect(acc)
    if kind == "p2p":
        if np.any(r != 2):
            raise ValueError(f"a point-to-point transfer has ranks = 2, got {r.tolist()}")
        s = s * 2.0  # a 2-rank all-to-all moves half of S; a send moves all of it
    k = "allreduce" if kind == "allreduce" else "alltoall"
    if net.collective == "ring":
        return _ring_seconds(k, r, s, acc.scaleup_bytes_per_s, net.hop_seconds)
    return _nccl_seconds(k, r, n, s, acc.scaleup_bytes_per_s, net.scaleout_bytes_per_s,
                         get_constants(constants).protocols)


# --------------------------------------------------------------------------- the step model
class SpeedsMixin:
    """Serial speed and replica throughput of arrays of configurations.

    Shared by :class:`StepBreakdown` and :class:`inferecon.frontier.Sweep`, which both hold
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
    ``feasible`` is False; ``reason`` holds the :data:`INFEASIBLE_REASONS` bits.
    """

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
    extras: dict[str, NDArray[np.float64]] = field(default_factory=dict)



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


def activation_words_per_device(model: "str | ModelSpec", tp: ArrayLike, tp_heads: ArrayLike) -> NDArray[np.float64]:
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
    r_b = np.asarray(tp_heads, dtype=float)
    r_a = np.asarray(tp, dtype=float) / r_b
    a = _arch(m)
    d = float(m.d_model)
    o = float(m.n_heads * (m.v_head_dim if m.attention == "mla" else m.d_head))
    attn = 2 * d / r_a + (a["qkv"] + o) / r_b
    if m.parallel_layers:
        dense = 2 * d / r_a + (a["qkv"] + o + a["up_dense"] + m.d_ff) / r_b
        return m.n_layers * dense
    dense = attn + 2 * d / r_a + (a["up_dense"] + m.d_ff) / r_b
    k = float(m.n_active_experts + m.n_shared_experts)
    moe_layer = attn + 2 * k * d / r_a + (a["up_moe"] + k * m.d_ff_expert) / r_b
    n_moe = float(m.n_moe_layers)
    return (m.n_layers - n_moe) * dense + n_moe * moe_layer


def _evaluate(acc: Accelerator, net: Interconnect, cs: ConstantSet, m: ModelSpec,
              tp: NDArray[np.float64], tp_heads: NDArray[np.float64], pp: NDArray[np.float64],
              ep: NDArray[np.float64], batch: NDArray[np.float64], ctx: NDArray[np.float64],
              wfmt: NumberFormat, kvfmt: NumberFormat, act_bytes: float,
              demand: float = math.inf) -> StepBreakdown:
    """Vectorized step model (no argument validation here).

    The inputs broadcast against each other. Terms that depend only on the split (tp, pp,
    ep) are computed at the split arrays' shape and combined with the batch only where
    needed, so a (configurations x 1) by (1 x batches) call does little work per point.
    """
    shape = np.broadcast_shapes(tp.shape, tp_heads.shape, pp.shape, ep.shape, batch.shape, ctx.shape)
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
    reason = (reason | np.where(ep_bad, 4, 0) | np.where(pp > L, 8, 0) | np.where(pp > batch, 16, 0)
              | np.where(np.mod(m.d_model, r_a) != 0, 128, 0))

    # KV-cache replication: a KV head split over several devices is stored on each of them
    rep = r_b / np.gcd(r_b.astype(np.int64), int(a["n_kv_eff"])).astype(float)
    kv_per_token = float(m.kv_bytes_per_token(kvfmt.bytes_per_element))
    # sequences on the busiest device: the r_a axis splits the batch, the r_b axis the heads
    seq_dev = np.ceil(batch / r_a)
    hbm_need = (wfmt.bytes_per_element * m.total_params / tp + seq_dev * ctx * kv_per_token * rep / r_b) \
        * (stage_layers / L)
    reason = reason | np.where(hbm_need > cs.hbm_usable_fraction * acc.hbm_bytes, 32, 0)

    # ---- memory and arithmetic, slowest stage, all micro-batches of one step
    c_eff = cs.flop_utilization * acc.peak_flop_per_s(wfmt.compute_precision)
    b_eff = cs.bandwidth_utilization * acc.hbm_bytes_per_s
    if m.is_moe:
        weights_read = wfmt.bytes_per_element * params_read_per_step(m, np.maximum(micro, 1.0))
    else:
        weights_read = wfmt.bytes_per_element * float(m.matmul_params)
    micro_dev = np.ceil(micro / r_a)                  # a micro-batch's sequences on one device
    mem_s = (kappa / b_eff) * (weights_read / tp + micro_dev * ctx * (kv_per_token * rep) / r_b)
    if cs.activation_traffic:
        mem_s = mem_s + (kappa / b_eff) * micro * act_bytes * activation_words_per_device(m, tp, r_b)
    flop_per_token = m.flop_per_token(ctx)
    comp_s = (kappa / c_eff) * (micro * (2.0 * m.active_matmul_params / tp)
                                + micro_dev * ctx * (m.attention_flop_per_context_token / r_b))

    # ---- collectives per layer (on one micro-batch); sizes are words x micro x activation bytes
    up_bps, out_bps = acc.scaleup_bytes_per_s, net.scaleout_bytes_per_s
    ring = net.hop_seconds if net.collective == "ring" else None
    nodes_stage = np.ceil(tp / node)

    def terms(kind: str, ranks: NDArray[np.float64], contiguous: bool = True
              ) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        nodes = np.ceil(ranks / node) if contiguous else np.minimum(ranks, nodes_stage)
        return _coll_terms(kind, ranks, np.minimum(nodes, ranks), up_bps, out_bps, cs.protocols, ring)

    d = float(m.d_model)
    n_moe = float(m.n_moe_layers)
    w_dense, w_moe = (L - n_moe) / L, n_moe / L       # share of layers of each kind
    layer = _CollectiveSum()
    red_a, red_b = terms("allreduce", r_a, False), terms("allreduce", r_b)
    if m.parallel_layers:   # PaLM: QKV and FFN-up fused, one reduce each way
        layer.add(1.0, red_a, (a["qkv"] + a["up_dense"]) / r_b)
        layer.add(1.0, red_b, d / r_a)
    else:
        layer.add(1.0, red_a, a["qkv"] / r_b)          # QKV
        layer.add(1.0, red_b, d / r_a)                 # attention output
        if w_dense:
            layer.add(w_dense, red_a, a["up_dense"] / r_b)
            layer.add(w_dense, red_b, d / r_a)
        if w_moe:
            use_ep = (ep > 1).astype(float)
            layer.add(w_moe * (1.0 - use_ep), red_a, a["up_moe"] / r_b)
            layer.add(w_moe * (1.0 - use_ep), red_b, d / r_a)
            kk = np.minimum(float(m.n_active_experts), ep)
            layer.add(w_moe * use_ep * 2.0, terms("alltoall", ep, False), kk * d / tp)   # dispatch + combine
            layer.add(w_moe * use_ep, terms("allreduce", tp / ep), kk / ep * d)          # inside a group
    tok_bytes = micro * act_bytes
    coll_s = (kappa * L) * layer.total(tok_bytes)
    kernel_s = kappa * (L * m.n_allreduce_per_layer * cs.kernel_launch_seconds)

    # ---- pipeline: p - 1 point-to-point sends of the micro-batch's activations per token
    two = np.full(np.shape(tp), 2.0)
    pipe = _CollectiveSum()
    p2p_words = 2.0 * d / tp   # a send moves all of S (see collective_seconds)
    if ring is not None:
        pipe.add(pp - 1.0, _coll_terms("alltoall", two, None, up_bps, up_bps, ("LL",), ring), p2p_words)
    else:
        stages_per_node = np.maximum(1.0, np.floor(node / tp))
        cross = np.maximum(np.ceil(pp / stages_per_node) - 1.0, 0.0)
        pipe.add(pp - 1.0 - cross, _coll_terms("alltoall", two, np.ones(np.shape(tp)), up_bps, out_bps,
                                               cs.protocols), p2p_words)
        pipe.add(cross, _coll_terms("alltoall", two, two, up_bps, out_bps, cs.protocols), p2p_words)
    pipe_s = pipe.total(tok_bytes)

    token_s = kernel_s + coll_s + pipe_s + np.maximum(mem_s, comp_s)
    if math.isfinite(demand):
        reason = reason | np.where(batch / token_s > demand, 64, 0)
    reason = np.broadcast_to(reason, shape)
    feasible = reason == 0
    safe_t = np.where(feasible, token_s, 1.0)
    token_s = np.where(feasible, token_s, np.inf)
    peak = acc.peak_flop_per_s(wfmt.compute_precision)
    util = np.where(feasible, (batch * flop_per_token / peak) / (n_dev * safe_t), 0.0)
    usd = np.where(feasible, (TOKENS_PER_MILLION * acc.price_usd_per_hour / HOUR_S) * n_dev * safe_t / batch, np.inf)
    bc = lambda x: np.broadcast_to(np.asarray(x, dtype=float), shape)  # noqa: E731
    return StepBreakdown(n_devices=bc(n_dev), batch=bc(batch), kernel_seconds=bc(kernel_s),
                         collective_seconds=bc(coll_s), pipeline_seconds=bc(pipe_s), memory_seconds=bc(mem_s),
                         compute_seconds=bc(comp_s), token_seconds=bc(token_s), hbm_bytes_per_device=bc(hbm_need),
                         utilization=bc(util), usd_per_million_tokens=bc(usd), feasible=feasible,
                         reason=reason.astype(np.int64), extras={"kv_replication": bc(rep),
                                                                 "pipeline_imbalance": bc(kappa)})


def _prepare(accelerator: "str | Accelerator", model: "str | ModelSpec", constants: "str | ConstantSet",
             weight_format: "str | NumberFormat", kv_format: "str | NumberFormat", activation_bytes: float
             ) -> tuple[Accelerator, Interconnect, ConstantSet, ModelSpec, NumberFormat, NumberFormat, float]:
    cs = get_constants(constants)
    acc = cs.accelerator(accelerator)
    net = get_interconnect(acc)
    m = get_model(model)
    wfmt, kvfmt = get_format(weight_format), get_format(kv_format)
    acc.peak_flop_per_s(wfmt.compute_precision)  # raises if the chip lacks that precision
    act = float(positive("activation_bytes", activation_bytes))
    return acc, net, cs, m, wfmt, kvfmt, act


def evaluate_configurations(accelerator: "str | Accelerator", model: "str | ModelSpec", *,
                            tp: ArrayLike, tp_heads: ArrayLike, pp: ArrayLike, ep: ArrayLike,
                            batch: ArrayLike, context_tokens: ArrayLike = 0.0,
                            weight_format: "str | NumberFormat" = "bf16",
                            kv_format: "str | NumberFormat" = "bf16", activation_bytes: float = 2.0,
                            constants: "str | ConstantSet" = "paper",
                            demand_tokens_per_s: float = math.inf) -> StepBreakdown:
    """Evaluate many configurations at once; infeasible ones are *masked*, not raised.

    The inputs broadcast against each other. Used by :func:`inferecon.frontier.sweep`;
    for one configuration with errors raised instead, use :func:`decode_step_breakdown`.
    """
    acc, net, cs, m, wfmt, kvfmt, act = _prepare(accelerator, model, constants, weight_format,
                                                 kv_format, activation_bytes)
    arrs = [at_least_one(n, v, integer=True) for n, v in
            (("tp", tp), ("tp_heads", tp_heads), ("pp", pp), ("ep", ep), ("batch", batch))]
    ctx = non_negative("context_tokens", context_tokens)
    dem = float(positive("demand_tokens_per_s", demand_tokens_per_s, allow_inf=True))
    return _evaluate(acc, net, cs, m, *arrs, ctx, wfmt, kvfmt, act, dem)


def decode_step_breakdown(accelerator: "str | Accelerator", model: "str | ModelSpec", batch: ArrayLike,
                          context_tokens: ArrayLike = 0.0, *, tp: int = 1, tp_heads: int | None = None,
                          pp: int = 1, ep: int = 1, weight_format: "str | NumberFormat" = "bf16",
                          kv_format: "str | NumberFormat" = "bf16", activation_bytes: float = 2.0,
                          constants: "str | ConstantSet" = "paper") -> StepBreakdown:
    """Decode step of one replica with ``tp x pp`` devices, term by term; raises if infeasible.

    Parameters
    ----------
    batch : sequences decoded together (whole number >= 1); may be an array.
    context_tokens : tokens already in each sequence's KV cache.
    tp : devices per pipeline stage (tensor parallel degree).
    tp_heads : size of the head-splitting axis :math:`r_b` of the TP grid; defaults to
        ``tp`` (Megatron 1D TP). ``tp_heads = sqrt(tp)`` is Erdil's 2D layout.
    pp : pipeline stages. ep : expert-parallel groups per stage (MoE only).
    weight_format, kv_format : number formats (:mod:`inferecon.precision`).
    activation_bytes : bytes per activation element sent over the network.
    constants : ``"paper"`` or ``"notebook"`` (:data:`CONSTANT_SETS`).

    Raises
    ------
    ValueError
        If any configuration is infeasible; the message lists the reasons.
    """
    out = evaluate_configurations(accelerator, model, tp=tp, tp_heads=tp if tp_heads is None else tp_heads,
                                  pp=pp, ep=ep, batch=batch, context_tokens=context_tokens,
                                  weight_format=weight_format, kv_format=kv_format,
                                  activation_bytes=activation_bytes, constants=constants)
    if not np.all(out.feasible):
        codes = np.unique(out.reason[~out.feasible])
        msgs = sorted({msg for c in codes for msg in describe_infeasible(int(c))})
        need = float(np.max(out.hbm_bytes_per_device))
        acc = get_constants(constants).accelerator(accelerator)
        extra = (f" (needs {need / 1e9:.1f} GB per device, has {acc.hbm_bytes / 1e9:.0f} GB)"
                 if any(int(c) & 32 for c in codes) else "")
        raise ValueError(f"infeasible configuration tp={tp}, tp_heads={tp_heads}, pp={pp}, ep={ep}: "
                         + "; ".join(msgs) + extra)
    return out


def token_latency_seconds(accelerator: "str | Accelerator", model: "str | ModelSpec", batch: ArrayLike,
                          context_tokens: ArrayLike = 0.0, **kwargs: Any) -> NDArray[np.float64]:
    """Seconds per generated token of one sequence; see :func:`decode_step_breakdown`."""
    return decode_step_breakdown(accelerator, model, batch, context_tokens, **kwargs).token_seconds


def reference_model(accelerator: "str | Accelerator", model: "str | ModelSpec", *, context_tokens: float = 0.0,
                    weight_format: "str | NumberFormat" = "bf16", kv_format: "str | NumberFormat" = "bf16",
                    activation_bytes: float = 2.0, constants: "str | ConstantSet" = "paper"
                    ) -> "Callable[[int, int, int, int, int], float]":
    """The step model for *one* configuration at a time, in plain Python (``math``, no arrays).

    Returns ``token_seconds(tp, tp_heads, pp, ep, batch)`` (``math.inf`` if infeasible),
    with the accelerator, model, formats and constants resolved once. A second, loop-style
    implementation written from the module docstring: the tests check the vectorized
    :func:`evaluate_configurations` against it on random configurations, and
    ``tools/benchmark_sweep.py`` times a loop over it.
    """
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
    ctx = float(context_tokens)

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
            lat = pr.base_seconds + mult * (pr.per_rank_seconds * (q - 1) + pr.per_log2_node_seconds * math.log2(nodes))
            best = min(best, lat + bw / pr.bandwidth_factor)
        return best

    def token_seconds(tp: int, tp_heads: int, pp: int, ep: int, batch: int) -> float:
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
        if cs.activation_traffic:   # inputs and outputs of each matmul slice (see activation_words_per_device)
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


def reference_token_seconds(accelerator: "str | Accelerator", model: "str | ModelSpec", *, tp: int, tp_heads: int,
                            pp: int, ep: int, batch: int, **kwargs: Any) -> float:
    """One configuration through :func:`reference_model` (keyword arguments go there)."""
    return reference_model(accelerator, model, **kwargs)(tp, tp_heads, pp, ep, batch)


def erdil_activation_bytes(model: "str | ModelSpec", batch: ArrayLike,
                           activation_bytes: float = 2.0) -> NDArray[np.float64]:
    """Matmul input/output activation bytes of one decode step, Erdil eq. 43's extra memory term.

    .. math:: n_\\mathrm{layers}\\,b\\,\\bigl(2d + (1 + 2/g)\\,n_h d_h + n_h d_h + 2d + 2 d_\\mathrm{ff}\\bigr)\\,p_a

    Erdil's widths for the whole step, not split among devices: a yardstick against the weight
    reads. What the step model charges one device (``ConstantSet.activation_traffic``, on in
    Erdil's two constant sets) is :func:`activation_words_per_device`.
    """
    m = get_model(model)
    b = at_least_one("batch", batch)
    a = float(positive("activation_bytes", activation_bytes))
    g = m.gqa_group
    widths = 2 * m.d_model + (1 + 2 / g) * m.n_heads * m.d_head + m.n_heads * m.d_head + 2 * m.d_model + 2 * m.d_ff
    return m.n_layers * b * widths * a


# --------------------------------------------------------------------------- Erdil §2.2 closed form
def ring_allreduce_latency_seconds(n_gpu: ArrayLike, hop_seconds: ArrayLike = 1e-6) -> NDArray[np.float64]:
    """All-reduce latency over :math:`\\sqrt{N}` ranks on a ring, Erdil eq. 5.

    .. math:: t_\\mathrm{reduce} = 2\\,t_\\mathrm{hop}\\,(\\sqrt{N_\\mathrm{GPU}} - 1)

    (a 2D TP layout puts :math:`\\sqrt{N}` ranks in each all-reduce; a ring all-reduce makes
    :math:`2(r-1)` sequential hops; NCCL LL's :math:`t_\\mathrm{hop} \\approx 1` µs).
    """
    n = at_least_one("n_gpu", n_gpu)
    return 2.0 * positive("hop_seconds", hop_seconds) * (np.sqrt(n) - 1.0)


def simple_token_latency_seconds(n_gpu: ArrayLike, params: ArrayLike, bytes_per_param: ArrayLike,
                                 n_layers: ArrayLike, n_reduce: ArrayLike, hbm_bytes_per_s: ArrayLike,
                                 hop_seconds: ArrayLike = 1e-6, batch: ArrayLike = 1.0,
                                 flop_per_s: ArrayLike = math.inf) -> NDArray[np.float64]:
    """Erdil §2.2's token latency with tensor parallelism and network latency only (eq. 3, 5).

    .. math:: T = L\\,n_r\\,2 t_\\mathrm{hop}(\\sqrt{N_\\mathrm{GPU}} - 1)
              + \\max\\Bigl(\\frac{p N}{N_\\mathrm{GPU} B}, \\frac{2 N b}{N_\\mathrm{GPU} C}\\Bigr)

    With the default ``flop_per_s = inf`` the arithmetic term vanishes (eq. 9, any
    :math:`b \\le b^*`). :math:`N_\\mathrm{GPU}` is continuous here, as in the paper.
    """
    ng = at_least_one("n_gpu", n_gpu)
    n = positive("params", params)
    p = positive("bytes_per_param", bytes_per_param)
    lay = positive("n_layers", n_layers)
    nr = positive("n_reduce", n_reduce)
    bw = positive("hbm_bytes_per_s", hbm_bytes_per_s)
    b = at_least_one("batch", batch)
    c = positive("flop_per_s", flop_per_s, allow_inf=True)
    mem = p * n / (ng * bw)
    comp = 2.0 * n * b / (ng * c)
    return lay * nr * ring_allreduce_latency_seconds(ng, hop_seconds) + np.maximum(mem, comp)


def _k_and_m(params: ArrayLike, bytes_per_param: ArrayLike, n_layers: ArrayLike, n_reduce: ArrayLike,
             hbm_bytes_per_s: ArrayLike, hop_seconds: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = positive("n_layers", n_layers) * positive("n_reduce", n_reduce) * positive("hop_seconds", hop_seconds)
    mm = (positive("params", params) * positive("bytes_per_param", bytes_per_param)
          / positive("hbm_bytes_per_s", hbm_bytes_per_s))
    return k, mm


def min_latency_gpu_count(params: ArrayLike, bytes_per_param: ArrayLike, n_layers: ArrayLike,
                          n_reduce: ArrayLike, hbm_bytes_per_s: ArrayLike,
                          hop_seconds: ArrayLike = 1e-6) -> NDArray[np.float64]:
    """GPU count minimizing eq. 9's latency, Erdil eq. 13.

    .. math:: N_\\mathrm{GPU}^* = \\max\\Bigl(\\frac{p N}{L\\,n_r\\,t_\\mathrm{hop}\\,B}, 1\\Bigr)^{2/3}
    """
    k, mm = _k_and_m(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    return np.maximum(mm / k, 1.0) ** (2.0 / 3.0)


def min_token_latency_seconds(params: ArrayLike, bytes_per_param: ArrayLike, n_layers: ArrayLike,
                              n_reduce: ArrayLike, hbm_bytes_per_s: ArrayLike,
                              hop_seconds: ArrayLike = 1e-6) -> NDArray[np.float64]:
    """Minimum token latency of eq. 9 over the GPU count, Erdil eq. 14.

    .. math:: T_\\min = 3\\,(L n_r t_\\mathrm{hop})^{2/3}\\,(pN/B)^{1/3} - 2\\,L n_r t_\\mathrm{hop}

    (when :math:`N^*_\\mathrm{GPU} = 1` the latency is :math:`pN/B`). Its leading term
    (eq. 18) gives the laws: :math:`T \\propto B^{-1/3}` and :math:`\\propto p^{1/3}`, and with
    :math:`L \\propto N^{1/4}` (Chinchilla-like shapes), :math:`T \\propto \\sqrt N`.
    """
    k, mm = _k_and_m(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    interior = 3.0 * k ** (2.0 / 3.0) * mm ** (1.0 / 3.0) - 2.0 * k
    return np.where(mm / k > 1.0, interior, mm)


def min_latency_gpu_seconds_per_token(params: ArrayLike, flop_per_s: ArrayLike, bytes_per_param: ArrayLike,
                                      n_layers: ArrayLike, n_reduce: ArrayLike, hbm_bytes_per_s: ArrayLike,
                                      hop_seconds: ArrayLike = 1e-6) -> NDArray[np.float64]:
    """GPU-seconds per token at the minimum-latency point with :math:`b = b^* = pC/(2B)` (eq. 15-17).

    .. math:: \\frac{N^*_\\mathrm{GPU} T_\\min}{b^*} = \\frac{2N}{C}\\Bigl(3 - 2\\bigl(\\tfrac{L n_r t_\\mathrm{hop} B}{pN}\\bigr)^{1/3}\\Bigr)
              \\approx 3\\cdot\\frac{2N}{C}

    i.e. at most three times the cost of pure arithmetic.
    """
    n_gpu = min_latency_gpu_count(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    t = min_token_latency_seconds(params, bytes_per_param, n_layers, n_reduce, hbm_bytes_per_s, hop_seconds)
    b_star = positive("bytes_per_param", bytes_per_param) * positive("flop_per_s", flop_per_s) \
        / (2.0 * positive("hbm_bytes_per_s", hbm_bytes_per_s))
    return n_gpu * t / b_star


def model_min_token_latency_seconds(model: "str | ModelSpec", accelerator: "str | Accelerator" = "h100-sxm",
                                    weight_format: "str | NumberFormat" = "bf16",
                                    constants: "str | ConstantSet" = "paper",
                                    hop_seconds: float = 1e-6) -> float:
    """Erdil's closed-form minimum latency (eq. 14) for a catalogue model and accelerator.

    Uses the model's matmul parameters (the weights a step reads), its layers and
    all-reduces per layer (2 for PaLM's parallel layers, else 4), the weight format's bytes
    and the constant set's capped HBM bandwidth. A *prediction* function: chapter 6 compares
    it with Pope et al.'s measured best latencies.
    """
    m = get_model(model)
    cs = get_constants(constants)
    acc = cs.accelerator(accelerator)
    bw = cs.bandwidth_utilization * acc.hbm_bytes_per_s
    return float(min_token_latency_seconds(m.matmul_params, get_format(weight_format).bytes_per_element,
                                           m.n_layers, m.n_allreduce_per_layer, bw, hop_seconds))


def sqrt_law_latency_seconds(reference_seconds: ArrayLike, reference_params: ArrayLike,
                             params: ArrayLike) -> NDArray[np.float64]:
    """Best achievable token latency scaled by the square-root law (Erdil eq. 19).

    .. math:: T(N) = T_\\mathrm{ref}\\sqrt{N / N_\\mathrm{ref}}

    Examples
    --------
    Pope et al.'s 4 ms for PaLM 8B predicts about 11 ms for 62B (they measured 13):

    >>> round(float(sqrt_law_latency_seconds(4e-3, 8e9, 62e9)) * 1e3, 2)
    11.14
    """
    return positive("reference_seconds", reference_seconds) * np.sqrt(
        positive("params", params) / positive("reference_params", reference_params))


def sqrt_law_tokens_per_second(reference_tokens_per_s: ArrayLike, reference_params: ArrayLike,
                               params: ArrayLike) -> NDArray[np.float64]:
    """Best serial speed scaled by the square-root law: :math:`v(N) = v_\\mathrm{ref}\\sqrt{N_\\mathrm{ref}/N}`.

    Erdil: Llama 3 8B at 400 tok/s predicts about 135 tok/s for 70B and 56 tok/s for 405B.
    """
    return positive("reference_tokens_per_s", reference_tokens_per_s) * np.sqrt(
        positive("reference_params", reference_params) / positive("params", params))


