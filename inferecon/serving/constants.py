"""Named sets of modelling constants (Erdil's paper text, his notebook), the codes of infeasible
configurations and the names of what bounds a step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import lookup
from inferecon.serving.roofline import ERDIL_BANDWIDTH_UTILIZATION, ERDIL_FLOP_UTILIZATION
from inferecon.specs.hardware import Accelerator, get_accelerator

__all__ = [
    "BOUNDS",
    "CONSTANT_SETS",
    "INFEASIBLE_REASONS",
    "NCCL_PROTOCOLS",
    "ConstantSet",
    "Protocol",
    "bound_names",
    "describe_infeasible",
    "get_constants",
]


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
NCCL_PROTOCOLS: Mapping[str, Protocol] = MappingProxyType(
    {
        "LL": Protocol("LL", 6.8e-6, 0.6e-6, 5e-6, 0.5),
        "LL128": Protocol("LL128", 14e-6, 1.25e-6, 8.5e-6, 0.95),
        "Simple": Protocol("Simple", 0.0, 28e-6, 28e-6, 1.0),
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantSet:
    """A named set of modelling constants (Erdil's paper text or his notebook).

    Attributes
    ----------
    id, name : ``"erdil-paper"`` or ``"erdil-code"``; display name.
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
            raise ValueError(
                f"{self.id}: protocols must be a non-empty subset of {list(NCCL_PROTOCOLS)}, "
                f"got {self.protocols!r}"
            )
        object.__setattr__(
            self,
            "accelerator_overrides",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.accelerator_overrides.items()}),
        )

    def accelerator(self, accelerator: str | Accelerator) -> Accelerator:
        """The accelerator a model of this set runs on.

        A catalogue id gets this set's overrides (the ``"erdil-paper"`` set's ``"h100-sxm"`` is
        Erdil's H100: 1e15 FLOP/s, 3.3 TB/s, 80 GB, $2/h); an :class:`Accelerator` object is
        the caller's own description and is returned exactly as given.
        """
        if isinstance(accelerator, Accelerator):
            return accelerator
        if not isinstance(accelerator, str):
            raise ValueError(f"accelerator must be a catalogue id or an Accelerator, got {accelerator!r}")
        acc = get_accelerator(accelerator)
        over = self.accelerator_overrides.get(acc.id)
        return replace(acc, **dict(over)) if over else acc


_H100_ROUND = {
    "flop_per_s": {"bf16": 1e15, "fp16": 1e15, "fp8": 2e15, "int8": 2e15},
    "hbm_bytes_per_s": 3.3e12,
    "hbm_bytes": 80e9,
}


CONSTANT_SETS: dict[str, ConstantSet] = {
    c.id: c
    for c in [
        ConstantSet(
            id="erdil-paper",
            name="Erdil 2025, paper text",
            flop_utilization=ERDIL_FLOP_UTILIZATION,
            bandwidth_utilization=ERDIL_BANDWIDTH_UTILIZATION,
            accelerator_overrides={"h100-sxm": {**_H100_ROUND, "price_usd_per_hour": 2.00}},
            protocols=("LL",),
            preference_alpha=3.0,
            activation_traffic=True,
            notes="§4: H100 at 1e15 FLOP/s (16-bit), 3.3 TB/s, capped at 70% and 75%; $2/h; NCCL LL; "
            "customers' preference exponent about 3. Other accelerators: catalogue values, same caps.",
        ),
        ConstantSet(
            id="erdil-code",
            name="Erdil 2025, official notebook",
            flop_utilization=1.0,
            bandwidth_utilization=1.0,
            accelerator_overrides={
                "h100-sxm": {**_H100_ROUND, "price_usd_per_hour": 3.15 * 2 / 3},
                "h200-sxm": {
                    "flop_per_s": _H100_ROUND["flop_per_s"],
                    "hbm_bytes_per_s": 4.8e12,
                    "hbm_bytes": 141e9,
                    "price_usd_per_hour": 3.15 * 2 / 3,
                },
                "a100-80gb-sxm": {
                    "flop_per_s": {"bf16": 3.12e14, "fp16": 3.12e14, "int8": 6.24e14},
                    "hbm_bytes_per_s": 2e12,
                    "hbm_bytes": 80e9,
                    "price_usd_per_hour": 2.26 * 2 / 3,
                },
            },
            protocols=("LL", "LL128", "Simple"),
            preference_alpha=4.0,
            activation_traffic=True,
            notes="Cell 2 at commit 589a102: no utilization caps, H100 $2.10/h, best of the three NCCL "
            "protocols per collective, preference exponent 4.",
        ),
    ]
}


def get_constants(constants: str | ConstantSet) -> ConstantSet:
    """A :class:`ConstantSet` by id (``"erdil-paper"`` or ``"erdil-code"``) or passed through."""
    if isinstance(constants, ConstantSet):
        return constants
    found: ConstantSet = lookup("constant set", constants, CONSTANT_SETS)
    return found


#: Bit flags of the ``reason`` array: why a configuration is infeasible (0 = feasible).
INFEASIBLE_REASONS: Mapping[int, str] = MappingProxyType(
    {
        1: "tp_heads does not divide the number of query heads",
        2: "tp_heads does not divide tp",
        4: "ep does not divide tp and the routed experts (a dense model needs ep = 1)",
        8: "more pipeline stages than layers",
        16: "more pipeline stages than sequences in the batch",
        32: "weights and KV cache do not fit in HBM",
        64: "one replica's throughput exceeds the demand cap",
        128: "tp / tp_heads does not divide d_model",
    }
)


def describe_infeasible(reason: int) -> list[str]:
    """The messages of the bits set in a ``reason`` code (empty list: feasible)."""
    if (
        isinstance(reason, (str, bool))
        or not hasattr(reason, "__int__")
        or int(reason) != reason
        or reason < 0
    ):
        raise ValueError(
            f"reason must be a whole number >= 0 (a sum of INFEASIBLE_REASONS bits), got {reason!r}"
        )
    return [msg for bit, msg in INFEASIBLE_REASONS.items() if int(reason) & bit]


#: What bounds a decode step, by code: the largest of its terms (``bound_code`` arrays of
#: :class:`~inferecon.serving.parallelism.StepBreakdown` and :class:`~inferecon.serving.frontier.Sweep`).
#: ``"memory"``: weight, KV and activation reads from HBM; ``"compute"``: arithmetic;
#: ``"network"``: the collectives of the tensor-parallel and expert-parallel layers (latency
#: and bandwidth); ``"pipeline"``: point-to-point sends between pipeline stages;
#: ``"kernel launch"``: the fixed launch latency of the serial matmuls; ``"infeasible"``: the
#: configuration does not run (see its ``reason``).
BOUNDS: tuple[str, ...] = ("memory", "compute", "network", "pipeline", "kernel launch", "infeasible")


def bound_names(code: ArrayLike) -> NDArray[np.str_]:
    """The :data:`BOUNDS` names of an array of bound codes."""
    c = np.asarray(code)
    if c.size and (not np.issubdtype(c.dtype, np.integer) or c.min() < 0 or c.max() >= len(BOUNDS)):
        raise ValueError(f"bound codes must be whole numbers in [0, {len(BOUNDS) - 1}], got {code!r}")
    return np.asarray(BOUNDS)[c.astype(np.int64)]
