"""Interconnects and the time of collectives (all-reduce, all-to-all, point-to-point) over NVLink,
InfiniBand and TPU ICI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, lookup, non_negative, positive
from inferecon.serving.constants import NCCL_PROTOCOLS, ConstantSet, get_constants
from inferecon.specs.hardware import Accelerator

__all__ = [
    "INTERCONNECTS",
    "Interconnect",
    "collective_seconds",
    "get_interconnect",
    "ring_allreduce_latency_seconds",
]


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
            raise ValueError(
                f"{self.accelerator_id}: collective must be 'nccl' or 'ring', got {self.collective!r}"
            )
        if not self.scaleout_bytes_per_s > 0 or not self.hop_seconds > 0:
            raise ValueError(f"{self.accelerator_id}: bandwidth and hop latency must be > 0")


INTERCONNECTS: dict[str, Interconnect] = {
    i.accelerator_id: i
    for i in [
        Interconnect(
            accelerator_id="h100-sxm",
            scaleout_bytes_per_s=50e9,
            sources=("erdil2025inference",),
            notes="DGX H100: one ConnectX-7 (400 Gb/s) per GPU (Erdil §4).",
        ),
        Interconnect(
            accelerator_id="h200-sxm",
            scaleout_bytes_per_s=50e9,
            sources=("erdil2025inference",),
            notes="As H100 (Erdil's notebook).",
        ),
        Interconnect(
            accelerator_id="a100-80gb-sxm",
            scaleout_bytes_per_s=25e9,
            sources=("erdil2025inference",),
            notes="One 200 Gb/s HDR NIC per GPU (Erdil's notebook: 2.5e10/2 all-reduce bandwidth).",
        ),
        Interconnect(
            accelerator_id="b200",
            scaleout_bytes_per_s=50e9,
            sources=("nvidia2024blackwell",),
            notes="Assumed one 400 Gb/s NIC per GPU as in DGX B200 (course assumption).",
        ),
        Interconnect(
            accelerator_id="mi300x",
            scaleout_bytes_per_s=50e9,
            sources=("amd2023mi300x",),
            notes="Assumed one 400 Gb/s NIC per GPU; RCCL latencies assumed equal to NCCL's.",
        ),
        Interconnect(
            accelerator_id="tpu-v4",
            scaleout_bytes_per_s=270e9,
            collective="ring",
            sources=("pope2022efficiently", "erdil2025inference"),
            notes="The whole slice is one ICI torus; 1 µs per hop as in Erdil's notebook.",
        ),
        Interconnect(
            accelerator_id="tpu-v5e",
            scaleout_bytes_per_s=180e9,
            collective="ring",
            sources=("austin2025scaling",),
            notes="ICI torus; 1 µs per hop assumed.",
        ),
        Interconnect(
            accelerator_id="tpu-v5p",
            scaleout_bytes_per_s=540e9,
            collective="ring",
            sources=("austin2025scaling",),
            notes="ICI torus; 1 µs per hop assumed.",
        ),
    ]
}


def get_interconnect(accelerator: str | Accelerator) -> Interconnect:
    """The :class:`Interconnect` of an accelerator (by id or object)."""
    acc_id = accelerator.id if isinstance(accelerator, Accelerator) else str(accelerator).strip().lower()
    found: Interconnect = lookup("interconnect (accelerator id)", acc_id, INTERCONNECTS)
    return found


def _log2(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log2(np.maximum(x, 1.0))


def _coll_terms(
    kind: str,
    ranks: NDArray[np.float64],
    nodes: NDArray[np.float64] | None,
    up_bps: float,
    out_bps: float,
    protocols: tuple[str, ...],
    ring_hop: float | None = None,
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Per protocol, (latency, seconds per byte): the collective takes ``lat + coef * S``.

    Depends only on the ranks and nodes, so it is computed once per split and applied to
    every batch size. One rank costs nothing.
    """
    one = ranks > 1
    mult = 2.0 if kind == "allreduce" else 1.0
    if ring_hop is not None:  # ring on a torus
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
        lat = pr.base_seconds + mult * (
            pr.per_rank_seconds * (q - 1.0) + pr.per_log2_node_seconds * _log2(nodes)
        )
        out.append((np.where(one, lat, 0.0), coef / pr.bandwidth_factor))
    return out


def _apply(
    terms: list[tuple[NDArray[np.float64], NDArray[np.float64]]], size: ArrayLike
) -> NDArray[np.float64]:
    """Time of a collective of ``size`` bytes per rank: the fastest protocol."""
    best = None
    s = np.asarray(size, dtype=float)
    for lat, coef in terms:
        t = lat + coef * s
        best = t if best is None else np.minimum(best, t)
    assert best is not None
    return np.asarray(best, dtype=float)


def _nccl_seconds(
    kind: str,
    ranks: NDArray[np.float64],
    nodes: NDArray[np.float64],
    size_bytes: NDArray[np.float64],
    up_bps: float,
    out_bps: float,
    protocols: tuple[str, ...],
) -> NDArray[np.float64]:
    return _apply(_coll_terms(kind, ranks, nodes, up_bps, out_bps, protocols), size_bytes)


def _ring_seconds(
    kind: str,
    ranks: NDArray[np.float64],
    size_bytes: NDArray[np.float64],
    link_bps: float,
    hop_seconds: float,
) -> NDArray[np.float64]:
    return _apply(
        _coll_terms(kind, ranks, None, link_bps, link_bps, ("LL",), ring_hop=hop_seconds), size_bytes
    )


class _CollectiveSum:
    """Weighted sum of collectives whose sizes are ``words * (micro-batch bytes)``.

    With one protocol every term is linear in the micro-batch, so the sum collapses to one
    latency and one slope per split before the batch dimension is touched; with several
    protocols each collective takes its own minimum at full size.
    """

    def __init__(self) -> None:
        self.items: list[tuple[Any, list[tuple[NDArray[np.float64], NDArray[np.float64]]], Any]] = []

    def add(
        self, weight: Any, terms: list[tuple[NDArray[np.float64], NDArray[np.float64]]], words: Any
    ) -> None:
        self.items.append((weight, terms, words))

    def total(self, unit_bytes: NDArray[np.float64]) -> NDArray[np.float64]:
        if all(len(t) == 1 for _, t, _ in self.items):
            lat = sum(w * t[0][0] for w, t, _ in self.items)
            slope = sum(w * t[0][1] * words for w, t, words in self.items)
            return np.asarray(lat + slope * unit_bytes, dtype=float)
        return np.asarray(sum(w * _apply(t, words * unit_bytes) for w, t, words in self.items), dtype=float)


def collective_seconds(
    kind: str,
    ranks: ArrayLike,
    nodes: ArrayLike,
    size_bytes: ArrayLike,
    accelerator: str | Accelerator = "h100-sxm",
    constants: str | ConstantSet = "erdil-paper",
) -> NDArray[np.float64]:
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
    return _nccl_seconds(
        k, r, n, s, acc.scaleup_bytes_per_s, net.scaleout_bytes_per_s, get_constants(constants).protocols
    )


def ring_allreduce_latency_seconds(n_gpu: ArrayLike, hop_seconds: ArrayLike = 1e-6) -> NDArray[np.float64]:
    """All-reduce latency over :math:`\\sqrt{N}` ranks on a ring, Erdil eq. 5.

    .. math:: t_\\mathrm{reduce} = 2\\,t_\\mathrm{hop}\\,(\\sqrt{N_\\mathrm{GPU}} - 1)

    (a 2D TP layout puts :math:`\\sqrt{N}` ranks in each all-reduce; a ring all-reduce makes
    :math:`2(r-1)` sequential hops; NCCL LL's :math:`t_\\mathrm{hop} \\approx 1` µs).
    """
    n = at_least_one("n_gpu", n_gpu)
    return 2.0 * positive("hop_seconds", hop_seconds) * (np.sqrt(n) - 1.0)
