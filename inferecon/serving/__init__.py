"""Serving one model: the roofline of a decode step, what fits in HBM and what the KV cache costs,
the prefill pass, mixtures of experts, parallelism over real networks, Erdil's closed forms, the
cost of a token and the Pareto frontier of cost against speed."""

from __future__ import annotations

import importlib
from typing import Any

#: The modules of this subpackage, imported on first attribute access.
__all__ = [
    "closed_forms",
    "constants",
    "costs",
    "frontier",
    "memory",
    "moe",
    "moe_batching",
    "network",
    "parallelism",
    "prefill",
    "roofline",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
