"""inferecon: the economics of serving large language models.

The core API is re-exported here and imports only numpy. Heavier parts are separate
subpackages, imported on demand: :mod:`inferecon.symbolic` (sympy), :mod:`inferecon.plots`
(matplotlib), :mod:`inferecon.widgets` (ipywidgets), :mod:`inferecon.exercises`.
"""

from __future__ import annotations

from . import costs, hardware, lifecycle, models, moe, precision, roofline, tables, units
from .costs import tokens_per_second, usd_per_million_tokens
from .hardware import ACCELERATORS, Accelerator, get_accelerator
from .lifecycle import (
    SCENARIOS, Scenario, cost_crossover_tokens, crossover_days, crossover_requests, crossover_tokens,
    inference_factor,
    inference_flop, strategy_for, training_flop,
)
from .models import MODELS, ModelSpec, get_model
from .moe import expert_read_fraction, params_read_per_step
from .precision import FORMATS, NumberFormat, get_format
from .roofline import (
    decode_compute_seconds, decode_memory_seconds, decode_step_seconds, dense_optimal_batch,
)

__version__ = "0.1.0"

__all__ = [
    "costs", "hardware", "lifecycle", "models", "moe", "precision", "roofline", "tables", "units",
    "ACCELERATORS", "Accelerator", "get_accelerator",
    "MODELS", "ModelSpec", "get_model",
    "FORMATS", "NumberFormat", "get_format",
    "SCENARIOS", "Scenario", "cost_crossover_tokens", "crossover_days", "crossover_requests", "crossover_tokens",
    "inference_factor", "inference_flop", "strategy_for", "training_flop",
    "expert_read_fraction", "params_read_per_step",
    "decode_compute_seconds", "decode_memory_seconds", "decode_step_seconds", "dense_optimal_batch",
    "tokens_per_second", "usd_per_million_tokens",
]
