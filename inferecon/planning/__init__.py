"""Planning a deployment: fleet size and monthly cost for a workload under latency targets."""

from __future__ import annotations

import importlib
from typing import Any

#: The modules of this subpackage, imported on first attribute access.
__all__ = ["planner"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
