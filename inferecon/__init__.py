"""inferecon: the economics of serving large language models.

The package follows the course's thread, one floor on top of the one below:

===============  =================================================================================
``specs``        what things are: accelerators (``hardware``), architectures (``models``), number
                 formats (``precision``), and one :class:`~inferecon.specs.deployment.Deployment`
                 that holds them together
``training``     training 6ND against serving 2N per token (``lifecycle``), Chinchilla laws
                 (``scaling``), fitting them (``fitting``), lifetime sizing (``lifetime``),
                 ``distillation``
``serving``      the roofline of a decode step (``roofline``), what fits in HBM and what the
                 KV cache costs (``memory``), the prefill pass (``prefill``), mixtures of
                 experts (``moe``, ``moe_batching``), networks and collectives (``network``),
                 parallel layouts (``parallelism``), Erdil's constants and closed forms
                 (``constants``, ``closed_forms``), dollars per token (``costs``), the Pareto
                 ``frontier``
``levers``       ``speculative`` decoding, ``quantization``, ``routing`` and cascades
``planning``     fleet size and monthly cost for a workload (``planner``); ``cli`` is the
                 ``inferecon`` command over it
``validation``   published ``measurements`` and the model's ``predictions`` next to them
===============  =================================================================================

Presentation sits on top and imports nothing above it: :mod:`inferecon.symbolic` (sympy),
:mod:`inferecon.plots` (matplotlib), :mod:`inferecon.widgets` (ipywidgets),
:mod:`inferecon.exercises` (answer checks).

``import inferecon`` is light: the subpackages and the names below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_SUBPACKAGES = (
    "specs",
    "training",
    "serving",
    "levers",
    "planning",
    "validation",
    "symbolic",
    "plots",
    "widgets",
    "exercises",
    "units",
    "tables",
    "cli",
)

#: Convenience names at the top level, and the module each lives in (imported on first use).
_LAZY: dict[str, str] = {
    "Deployment": "inferecon.specs.deployment",
    "Layout": "inferecon.specs.deployment",
    "deployment": "inferecon.specs.deployment",
    "decode_step": "inferecon.serving.roofline",
    "prefill_step": "inferecon.serving.prefill",
    "min_devices": "inferecon.serving.memory",
    "decode_usd_per_million_tokens": "inferecon.serving.costs",
    "model_flop_utilization": "inferecon.serving.costs",
    "monthly_usd": "inferecon.serving.costs",
    "prefill_usd_per_million_tokens": "inferecon.serving.costs",
    "tokens_per_second": "inferecon.serving.costs",
    "usd_per_million_tokens": "inferecon.serving.costs",
    "pareto_mask": "inferecon.serving.frontier",
    "sweep": "inferecon.serving.frontier",
    "ACCELERATORS": "inferecon.specs.hardware",
    "Accelerator": "inferecon.specs.hardware",
    "get_accelerator": "inferecon.specs.hardware",
    "SCENARIOS": "inferecon.training.lifecycle",
    "Scenario": "inferecon.training.lifecycle",
    "cost_crossover_tokens": "inferecon.training.lifecycle",
    "crossover_days": "inferecon.training.lifecycle",
    "crossover_requests": "inferecon.training.lifecycle",
    "crossover_tokens": "inferecon.training.lifecycle",
    "inference_factor": "inferecon.training.lifecycle",
    "inference_flop": "inferecon.training.lifecycle",
    "strategy_for": "inferecon.training.lifecycle",
    "training_flop": "inferecon.training.lifecycle",
    "MODELS": "inferecon.specs.models",
    "ModelSpec": "inferecon.specs.models",
    "get_model": "inferecon.specs.models",
    "expert_read_fraction": "inferecon.serving.moe",
    "params_read_per_step": "inferecon.serving.moe",
    "get_constants": "inferecon.serving.constants",
    "token_latency_seconds": "inferecon.serving.parallelism",
    "Multipliers": "inferecon.planning.planner",
    "ReplicaConfig": "inferecon.planning.planner",
    "Workload": "inferecon.planning.planner",
    "fleet": "inferecon.planning.planner",
    "plan": "inferecon.planning.planner",
    "FORMATS": "inferecon.specs.precision",
    "NumberFormat": "inferecon.specs.precision",
    "get_format": "inferecon.specs.precision",
    "decode_compute_seconds": "inferecon.serving.roofline",
    "decode_memory_seconds": "inferecon.serving.roofline",
    "decode_step_seconds": "inferecon.serving.roofline",
    "dense_optimal_batch": "inferecon.serving.roofline",
    "max_batch": "inferecon.serving.memory",
    "optimal_batch": "inferecon.serving.roofline",
    "prefill_seconds": "inferecon.serving.prefill",
    "BESIROGLU_2024": "inferecon.training.scaling",
    "HOFFMANN_2022": "inferecon.training.scaling",
    "SARDANA_2024": "inferecon.training.scaling",
    "break_even_inference_tokens": "inferecon.training.lifetime",
    "compute_optimal_params": "inferecon.training.scaling",
    "compute_optimal_tokens": "inferecon.training.scaling",
    "get_fit": "inferecon.training.scaling",
    "lifetime_optimal": "inferecon.training.lifetime",
    "loss": "inferecon.training.scaling",
    "expected_tokens_per_step": "inferecon.levers.speculative",
    "optimal_draft_tokens": "inferecon.levers.speculative",
}

__all__ = [
    "ACCELERATORS",
    "BESIROGLU_2024",
    "FORMATS",
    "HOFFMANN_2022",
    "MODELS",
    "SARDANA_2024",
    "SCENARIOS",
    "Accelerator",
    "Deployment",
    "Layout",
    "ModelSpec",
    "Multipliers",
    "NumberFormat",
    "ReplicaConfig",
    "Scenario",
    "Workload",
    "break_even_inference_tokens",
    "compute_optimal_params",
    "compute_optimal_tokens",
    "cost_crossover_tokens",
    "crossover_days",
    "crossover_requests",
    "crossover_tokens",
    "decode_compute_seconds",
    "decode_memory_seconds",
    "decode_step",
    "decode_step_seconds",
    "decode_usd_per_million_tokens",
    "dense_optimal_batch",
    "deployment",
    "exercises",
    "expected_tokens_per_step",
    "expert_read_fraction",
    "fleet",
    "get_accelerator",
    "get_constants",
    "get_fit",
    "get_format",
    "get_model",
    "inference_factor",
    "inference_flop",
    "levers",
    "lifetime_optimal",
    "loss",
    "max_batch",
    "min_devices",
    "model_flop_utilization",
    "monthly_usd",
    "optimal_batch",
    "optimal_draft_tokens",
    "params_read_per_step",
    "pareto_mask",
    "plan",
    "planning",
    "plots",
    "prefill_seconds",
    "prefill_step",
    "prefill_usd_per_million_tokens",
    "serving",
    "specs",
    "strategy_for",
    "sweep",
    "symbolic",
    "tables",
    "token_latency_seconds",
    "tokens_per_second",
    "training",
    "training_flop",
    "units",
    "usd_per_million_tokens",
    "validation",
    "widgets",
]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"inferecon.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'inferecon' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from inferecon import (
        exercises,
        levers,
        planning,
        plots,
        serving,
        specs,
        symbolic,
        tables,
        training,
        units,
        validation,
        widgets,
    )
    from inferecon.levers.speculative import expected_tokens_per_step, optimal_draft_tokens
    from inferecon.planning.planner import Multipliers, ReplicaConfig, Workload, fleet, plan
    from inferecon.serving.constants import get_constants
    from inferecon.serving.costs import (
        decode_usd_per_million_tokens,
        model_flop_utilization,
        monthly_usd,
        prefill_usd_per_million_tokens,
        tokens_per_second,
        usd_per_million_tokens,
    )
    from inferecon.serving.frontier import pareto_mask, sweep
    from inferecon.serving.memory import max_batch, min_devices
    from inferecon.serving.moe import expert_read_fraction, params_read_per_step
    from inferecon.serving.parallelism import token_latency_seconds
    from inferecon.serving.prefill import prefill_seconds, prefill_step
    from inferecon.serving.roofline import (
        decode_compute_seconds,
        decode_memory_seconds,
        decode_step,
        decode_step_seconds,
        dense_optimal_batch,
        optimal_batch,
    )
    from inferecon.specs.deployment import Deployment, Layout, deployment
    from inferecon.specs.hardware import ACCELERATORS, Accelerator, get_accelerator
    from inferecon.specs.models import MODELS, ModelSpec, get_model
    from inferecon.specs.precision import FORMATS, NumberFormat, get_format
    from inferecon.training.lifecycle import (
        SCENARIOS,
        Scenario,
        cost_crossover_tokens,
        crossover_days,
        crossover_requests,
        crossover_tokens,
        inference_factor,
        inference_flop,
        strategy_for,
        training_flop,
    )
    from inferecon.training.lifetime import break_even_inference_tokens, lifetime_optimal
    from inferecon.training.scaling import (
        BESIROGLU_2024,
        HOFFMANN_2022,
        SARDANA_2024,
        compute_optimal_params,
        compute_optimal_tokens,
        get_fit,
        loss,
    )
