"""inferecon: the economics of serving large language models.

One module per step of the course's argument, all importing only numpy:

=================  ==============================================================
``hardware``       accelerator specs (dense FLOP/s, HBM, interconnect, price)
``models``         architectures; parameters, KV bytes and FLOPs derived from them
``precision``      number formats (bytes per weight / KV element)
``lifecycle``      training 6ND vs inference 2N per token; the crossover
``scaling``        Chinchilla loss laws, compute-optimal and lifetime-optimal sizing
``roofline``       single-accelerator decode and prefill time, b*, capacity
``costs``          dollars per token, utilization, monthly cost
``moe``            mixture of experts: expected weights read per step
``parallelism``    tensor / pipeline / expert parallel step time with network terms
``frontier``       configuration sweeps and the Pareto frontier of cost vs speed
``speculative``    speculative decoding
``quantization``   quantization decisions
``distillation``   the lifetime accounting of distillation
``routing``        routers and cascades between a small and a large model
``planner``        fleet sizing and monthly cost for a workload
``validation``     published measurements against the model's bounds
=================  ==============================================================

Heavier parts are separate subpackages, imported on demand: :mod:`inferecon.symbolic`
(sympy), :mod:`inferecon.plots` (matplotlib), :mod:`inferecon.widgets` (ipywidgets),
:mod:`inferecon.exercises` (answer checks).
"""

from __future__ import annotations

from . import (
    costs, distillation, frontier, hardware, lifecycle, models, moe, parallelism, planner, precision,
    quantization, roofline, routing, scaling, speculative, tables, units, validation,
)
from .costs import (
    decode_usd_per_million_tokens, model_flop_utilization, monthly_usd, prefill_usd_per_million_tokens,
    tokens_per_second, usd_per_million_tokens,
)
from .frontier import pareto_mask, sweep
from .hardware import ACCELERATORS, Accelerator, get_accelerator
from .lifecycle import (
    SCENARIOS, Scenario, cost_crossover_tokens, crossover_days, crossover_requests, crossover_tokens,
    inference_factor, inference_flop, strategy_for, training_flop,
)
from .models import MODELS, ModelSpec, get_model
from .moe import expert_read_fraction, params_read_per_step
from .parallelism import get_constants, token_latency_seconds
from .planner import Multipliers, ReplicaConfig, Workload, fleet, plan
from .precision import FORMATS, NumberFormat, get_format
from .roofline import (
    decode_compute_seconds, decode_memory_seconds, decode_step_seconds, dense_optimal_batch, max_batch,
    optimal_batch, prefill_seconds,
)
from .scaling import (
    BESIROGLU_2024, HOFFMANN_2022, SARDANA_2024, break_even_inference_tokens, compute_optimal_params,
    compute_optimal_tokens, get_fit, lifetime_optimal, loss,
)
from .speculative import expected_tokens_per_step, optimal_draft_tokens

__version__ = "0.1.0"

__all__ = [
    # modules
    "costs", "distillation", "frontier", "hardware", "lifecycle", "models", "moe", "parallelism",
    "planner", "precision", "quantization", "roofline", "routing", "scaling", "speculative", "tables",
    "units", "validation",
    # catalogues
    "ACCELERATORS", "Accelerator", "get_accelerator", "MODELS", "ModelSpec", "get_model",
    "FORMATS", "NumberFormat", "get_format",
    # lifecycle
    "SCENARIOS", "Scenario", "cost_crossover_tokens", "crossover_days", "crossover_requests",
    "crossover_tokens", "inference_factor", "inference_flop", "strategy_for", "training_flop",
    # scaling
    "BESIROGLU_2024", "HOFFMANN_2022", "SARDANA_2024", "break_even_inference_tokens",
    "compute_optimal_params", "compute_optimal_tokens", "get_fit", "lifetime_optimal", "loss",
    # roofline and costs
    "decode_compute_seconds", "decode_memory_seconds", "decode_step_seconds", "dense_optimal_batch",
    "max_batch", "optimal_batch", "prefill_seconds",
    "decode_usd_per_million_tokens", "model_flop_utilization", "monthly_usd",
    "prefill_usd_per_million_tokens", "tokens_per_second", "usd_per_million_tokens",
    # moe, parallelism, frontier
    "expert_read_fraction", "params_read_per_step", "get_constants", "token_latency_seconds",
    "pareto_mask", "sweep",
    # levers and planning
    "expected_tokens_per_step", "optimal_draft_tokens", "Multipliers", "ReplicaConfig", "Workload",
    "fleet", "plan",
]
