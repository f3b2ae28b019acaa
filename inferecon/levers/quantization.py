"""Quantization decisions: what a weight or KV-cache format buys in speed, cost, capacity and quality.

The speed and cost side is the roofline of :mod:`inferecon.serving.roofline` evaluated with the
formats of :mod:`inferecon.specs.precision`; nothing new is assumed. At a fixed batch :math:`b` and
context :math:`\\ell`, a memory-bound step reads :math:`p_w N + b\\ell k_\\mathrm{kv}` bytes, so
going from 16-bit to 8-bit weights changes the cost per token by

.. math::
    \\frac{c_8}{c_{16}} = \\frac{p_8 N + b\\,\\ell\\,k_\\mathrm{kv}}{p_{16} N + b\\,\\ell\\,k_\\mathrm{kv}}
    \\;\\in\\; [\\tfrac{1}{2}, 1],

which is one half only while weights dominate the bytes; a compute-bound step changes by the
ratio of FLOP/s, which is 1 for weight-only formats (W8A16, W4A16: the math stays 16-bit) and
1/2 for W8A8 on hardware with twice the INT8/FP8 rate. Quantizing the KV cache acts on the
second term. Fewer bytes of weights also free HBM for a larger batch (:func:`capacity_batch`).

The quality side is not modelled: it is **measured**, and :data:`QUALITY` records published
WikiText-2 perplexities with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, lookup, real
from inferecon.serving import costs
from inferecon.serving.memory import max_batch
from inferecon.serving.roofline import decode_step_seconds
from inferecon.specs.hardware import Accelerator, get_accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format

__all__ = [
    "QUALITY",
    "SCHEMES",
    "FormatRow",
    "QualityResult",
    "Scheme",
    "capacity_batch",
    "cost_ratio",
    "format_table",
    "get_scheme",
    "kv_weight_crossover_context",
    "quality_cost",
]


#: Author-year labels of the quality results' sources (keys of ``references.bib``).
_SOURCE_LABELS = {"lin2024awq": "Lin et al., 2024", "xiao2023smoothquant": "Xiao et al., 2023"}


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityResult:
    """A published perplexity before and after quantization.

    ``evidence`` is ``"V"`` (read in the paper) or ``"S"`` (quoted from secondary sources).
    """

    method: str
    model: str
    scheme: str
    metric: str
    baseline: float
    quantized: float
    source: str
    evidence: str

    @property
    def source_label(self) -> str:
        """The source as the book cites it, author and year (``source`` is its bibliography key)."""
        return _SOURCE_LABELS.get(self.source, self.source)

    @property
    def relative_increase(self) -> float:
        """:math:`(\\mathrm{PPL}_q - \\mathrm{PPL}_{16}) / \\mathrm{PPL}_{16}`."""
        return (self.quantized - self.baseline) / self.baseline


def _awq(
    model: str, base: float, scheme: str, rtn: float, gptq: float, gptq_r: float, awq: float
) -> list[QualityResult]:
    src = "lin2024awq"  # Table 4, WikiText-2, group size 128, weight-only
    return [
        QualityResult(
            method=meth,
            model=model,
            scheme=scheme,
            metric="WikiText-2 perplexity",
            baseline=base,
            quantized=v,
            source=src,
            evidence="V",
        )
        for meth, v in (("RTN", rtn), ("GPTQ", gptq), ("GPTQ-R", gptq_r), ("AWQ", awq))
    ]


#: Published quality costs. AWQ (Lin et al. 2024, Table 4) compares round-to-nearest, GPTQ
#: (with and without reordering) and AWQ on the same models; SmoothQuant W8A8 figures are
#: from Xiao et al. (2023, arXiv v7 Table 7) as quoted by two independent summaries (not read
#: in the paper itself, hence evidence "S").
QUALITY: tuple[QualityResult, ...] = tuple(
    _awq("Llama-2-7B", 5.47, "W4A16 g128", 5.73, 5.69, 5.63, 5.60)
    + _awq("Llama-2-13B", 4.88, "W4A16 g128", 4.98, 4.98, 4.99, 4.97)
    + _awq("Llama-2-70B", 3.32, "W4A16 g128", 3.46, 3.42, 3.43, 3.41)
    + _awq("Llama-2-7B", 5.47, "W3A16 g128", 6.66, 6.43, 6.42, 6.24)
    + _awq("Llama-2-13B", 4.88, "W3A16 g128", 5.52, 5.48, 5.41, 5.32)
    + _awq("Llama-2-70B", 3.32, "W3A16 g128", 3.98, 3.88, 3.86, 3.74)
    + [
        QualityResult(
            method="SmoothQuant",
            model=mdl,
            scheme="W8A8",
            metric="WikiText-2 perplexity",
            baseline=b,
            quantized=q,
            source="xiao2023smoothquant",
            evidence="S",
        )
        for mdl, b, q in (
            ("Llama-2-7B", 5.474, 5.515),
            ("Llama-2-13B", 4.950, 4.929),
            ("Llama-2-70B", 3.320, 3.359),
        )
    ]
)


def quality_cost(method: str, model: str, scheme: str) -> QualityResult:
    """Look up a published result, e.g. ``quality_cost("AWQ", "Llama-2-70B", "W4A16 g128")``."""
    for r in QUALITY:
        wanted = (method.lower(), model.lower(), scheme.lower())
        if (r.method.lower(), r.model.lower(), r.scheme.lower()) == wanted:
            return r
    valid = sorted({f"{r.method} / {r.model} / {r.scheme}" for r in QUALITY})
    raise ValueError(
        f"no published result for {method!r} / {model!r} / {scheme!r}; available: {'; '.join(valid)}"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Scheme:
    """A deployment choice: a weight format and a KV-cache format, with a display label."""

    id: str
    label: str
    weight_format: str
    kv_format: str


#: The schemes the chapter compares. W8A8 uses the INT8 tensor cores; W8A16/W4A16 are
#: weight-only (dequantized to 16-bit before the multiply).
SCHEMES: dict[str, Scheme] = {
    s.id: s
    for s in [
        Scheme(id="bf16", label="BF16 weights, BF16 KV", weight_format="bf16", kv_format="bf16"),
        Scheme(id="w8a16", label="INT8 weights only (W8A16)", weight_format="int8-w", kv_format="bf16"),
        Scheme(id="w8a8", label="INT8 weights + activations (W8A8)", weight_format="int8", kv_format="bf16"),
        Scheme(id="w8a8-kv8", label="W8A8 + FP8 KV cache", weight_format="int8", kv_format="fp8"),
        Scheme(
            id="w4a16", label="INT4 g128 weights only (W4A16)", weight_format="int4-g128", kv_format="bf16"
        ),
        Scheme(id="w4a16-kv8", label="W4A16 + FP8 KV cache", weight_format="int4-g128", kv_format="fp8"),
    ]
}


def get_scheme(scheme: str | Scheme) -> Scheme:
    """Return a :class:`Scheme` by id; an unknown id lists the valid ones."""
    if isinstance(scheme, Scheme):
        return scheme
    return lookup("quantization scheme", scheme, SCHEMES)


def cost_ratio(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    batch: ArrayLike,
    context_tokens: ArrayLike,
    scheme: str | Scheme,
    baseline: str | Scheme = "bf16",
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
    n_devices: int = 1,
) -> NDArray[np.float64]:
    """Cost per token of ``scheme`` over ``baseline`` at the **same** batch and context.

    .. math:: \\frac{t_\\mathrm{scheme}(b, \\ell)}{t_\\mathrm{base}(b, \\ell)}

    (same devices, same tokens per step, so the time ratio is the cost ratio). 0.5 is the
    folk rule "INT8 is 2x cheaper"; see the module docstring for when it holds.
    """
    s, base = get_scheme(scheme), get_scheme(baseline)
    t, t0 = (
        decode_step_seconds(
            accelerator,
            model,
            batch,
            context_tokens,
            weight_format=sch.weight_format,
            kv_format=sch.kv_format,
            flop_utilization=flop_utilization,
            bandwidth_utilization=bandwidth_utilization,
            n_devices=n_devices,
        )
        for sch in (s, base)
    )
    return t / t0


def capacity_batch(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: ArrayLike,
    scheme: str | Scheme,
    reserve_fraction: float = 0.1,
) -> NDArray[np.float64]:
    """Largest batch that fits in HBM with ``scheme`` (:func:`inferecon.serving.memory.max_batch`,
    with a fraction ``reserve_fraction`` of HBM kept for activations and fragmentation)."""
    s = get_scheme(scheme)
    reserve = real("reserve_fraction", reserve_fraction, low=0.0, high=1.0, high_open=True)
    return max_batch(
        accelerator,
        model,
        context_tokens,
        weight_format=s.weight_format,
        kv_format=s.kv_format,
        hbm_fraction=1.0 - reserve,
    )


def kv_weight_crossover_context(
    model: str | ModelSpec,
    batch: ArrayLike,
    weight_format: str | NumberFormat = "bf16",
    kv_format: str | NumberFormat = "bf16",
) -> NDArray[np.float64]:
    """Context at which the batch's KV bytes equal the weight bytes read per step.

    .. math:: \\ell_\\times = \\frac{p_w N_\\mathrm{matmul}}{b\\,k_\\mathrm{kv}}

    Beyond it, KV reads dominate a memory-bound step and weight quantization buys less than
    half of its byte saving.
    """
    m = get_model(model)
    b = at_least_one("batch", batch)
    w = get_format(weight_format).bytes_per_element * m.matmul_params
    return w / (b * m.kv_bytes_per_token(get_format(kv_format).bytes_per_element))


@dataclass(frozen=True)
class FormatRow:
    """One quantization scheme on one deployment at one batch: what it stores and what it costs.

    ``step_seconds``, ``tokens_per_s`` and ``usd_per_million_tokens`` are ``None`` where the
    weights, or the batch, do not fit: such a scheme gets no time and no price.
    """

    scheme: str
    label: str
    weights_gb: float
    max_batch: float
    batch: float
    step_seconds: float | None = None
    tokens_per_s: float | None = None
    usd_per_million_tokens: float | None = None

    @property
    def fits(self) -> bool:
        """Whether the scheme has a step at this batch (weights and KV caches fit)."""
        return self.step_seconds is not None


def format_table(
    accelerator: str | Accelerator,
    model: str | ModelSpec,
    context_tokens: float,
    schemes: tuple[str, ...] = tuple(SCHEMES),
    batch: float | None = None,
    reserve_fraction: float = 0.1,
    flop_utilization: float = 1.0,
    bandwidth_utilization: float = 1.0,
) -> list[FormatRow]:
    """One :class:`FormatRow` per scheme: weight GB, max batch, step time, tokens/s and $/M at a batch.

    ``batch`` defaults to each scheme's own capacity limit (the "fits more" effect); give a
    number to compare at equal batch. A scheme whose weights do not fit gets ``None`` figures.
    """
    acc, m = get_accelerator(accelerator), get_model(model)
    ctx = real("context_tokens", context_tokens, low=0.0)
    reserve = real("reserve_fraction", reserve_fraction, low=0.0, high=1.0, high_open=True)
    fixed_batch = None if batch is None else real("batch", batch, low=1.0)
    rows: list[FormatRow] = []
    for sid in schemes:
        s = get_scheme(sid)
        wgb = get_format(s.weight_format).bytes_per_element * m.total_params / 1e9
        try:
            cap = float(capacity_batch(acc, m, max(ctx, 1.0), s, reserve))
        except ValueError:
            cap = 0.0
        b = cap if fixed_batch is None else fixed_batch
        row = FormatRow(scheme=s.id, label=s.label, weights_gb=wgb, max_batch=cap, batch=b)
        if b >= 1 and cap >= 1:
            t = float(
                decode_step_seconds(
                    acc,
                    m,
                    b,
                    ctx,
                    weight_format=s.weight_format,
                    kv_format=s.kv_format,
                    flop_utilization=flop_utilization,
                    bandwidth_utilization=bandwidth_utilization,
                )
            )
            row = replace(
                row,
                step_seconds=t,
                tokens_per_s=b / t,
                usd_per_million_tokens=float(costs.usd_per_million_tokens(t, b, acc.price_usd_per_hour)),
            )
        rows.append(row)
    return rows
