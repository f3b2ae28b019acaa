"""DeepSeek's own inference fleet (V3/R1, February 2025) against the package's bounds.

DeepSeek published one day of its production service :cite:`deepseekai2025inference`: H800
nodes, prefill and decode on separate deployment units, throughput per node, cache hits,
node counts and cost. :data:`PUBLISHED` holds every figure as the text states it
(:data:`QUOTES` has the sentences). This module puts next to them the bound the package
gives for the same layout:

- **decode**, one unit of 18 nodes, *routed experts EP144, MLA and shared expert DP144*:
  each GPU holds all attention and dense weights and the shared expert, 2 routed experts
  per MoE layer, and the KV caches of its own sequences. One step of :math:`b` sequences
  per GPU (with MTP: two query tokens each) takes at least the largest of

  .. math::
      t_\\mathrm{mem} = \\frac{p_w (N_\\mathrm{always} + 2 L_\\mathrm{moe} N_e)
                            + b\\,\\ell\\,k_\\mathrm{kv}}{B},\\quad
      t_\\mathrm{comp} = \\frac{q b\\,2N_\\mathrm{active}}{C_\\mathrm{fp8}}
                       + \\frac{q b\\,a\\ell}{C_\\mathrm{bf16}},\\quad
      t_\\mathrm{net} = \\frac{L_\\mathrm{moe}\\,q b\\,\\bar r\\,d\\,(1 + 2)}{B_\\mathrm{out}}

  (:func:`layout_decode_step`): weights in FP8, MLA arithmetic in BF16, dispatch in FP8 and
  combine in BF16 as the text says, :math:`\\bar r` the expected number of *other* nodes
  holding a token's 8 experts (each node receives a token once), :math:`q = 2` query tokens
  with MTP. Taking the largest term assumes perfect overlap (DeepSeek's dual micro-batch
  pipeline), so it is a bound. The batch is not published; Little's law gives it: 14.8k
  output tokens/s per node at 20-22 tokens/s per user is about 705 sequences per node, 88
  per GPU (:func:`sequences_per_gpu`).
- **prefill**, one unit of 4 nodes (EP32/DP32, 9 routed experts per GPU): arithmetic of
  the prompt tokens that miss the cache, or the all-to-all over InfiniBand, whichever is
  slower (:func:`layout_prefill_tokens_per_s`); the attention is left out (the prompt
  lengths are not published), so it is an upper bound.

For reference the package's plain roofline (:func:`inferecon.serving.roofline.decode_step`)
is also evaluated on the unit as one ideally sharded group (``n_devices`` = 144 or 32), which
reads every weight once per step rather than once per GPU: a looser bound.

:func:`compare` returns one :class:`DeepSeekComparison` per figure, published over bound with
what bounds it and why the service stays below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative, positive
from inferecon.levers.self_speculation import DEEPSEEK_V3_MTP, mtp_module
from inferecon.levers.speculative import expected_tokens_per_step
from inferecon.serving.moe import expert_read_fraction
from inferecon.serving.prefill import prefill_step
from inferecon.serving.roofline import RooflineStep, decode_step
from inferecon.specs.deployment import Deployment, deployment
from inferecon.specs.hardware import H100_SXM, Accelerator
from inferecon.specs.models import ModelSpec, get_model
from inferecon.specs.precision import NumberFormat, get_format
from inferecon.units import HOUR_S, TOKENS_PER_MILLION

__all__ = [
    "DECODE_UNIT",
    "GAP_EXPLANATION",
    "H800_SCALEOUT_BYTES_PER_S",
    "H800_SXM",
    "PREFILL_UNIT",
    "PUBLISHED",
    "QUOTES",
    "SOURCE",
    "DeepSeekComparison",
    "DeepSeekPublished",
    "LayoutStep",
    "UnitLayout",
    "compare",
    "comparison_table",
    "ideal_decode_step",
    "ideal_prefill_step",
    "layout_decode_step",
    "layout_prefill_tokens_per_s",
    "sequences_per_gpu",
]


def _not_text(name: str, value: object) -> None:
    """Refuse strings (``"10"``) where a number is expected; numpy would silently parse them."""
    if isinstance(value, str | bytes) or (isinstance(value, np.ndarray) and value.dtype.kind in "USO"):
        raise ValueError(f"{name} must be a number or an array of numbers, got the string {value!r}")


#: Where the figures come from: the ``deepseek-ai/open-infra-index`` repository, file
#: ``202502OpenSourceWeek/day_6_one_more_thing_deepseekV3R1_inference_system_overview.md``
#: (commit 3122a25, 1 March 2025).
SOURCE = (
    "DeepSeek, 'Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview', "
    "github.com/deepseek-ai/open-infra-index, 202502OpenSourceWeek (1 March 2025)"
)

#: The sentences of the source the figures are taken from, verbatim.
QUOTES: Mapping[str, str] = MappingProxyType(
    {
        "prefill_layout": "**Prefilling Phase [Routed Expert EP32, MLA/Shared Expert DP32]**:  Each deployment "  # noqa: E501
        "unit spans 4 nodes with 32 redundant routed experts, where each GPU handles 9 routed "
        "experts and 1 shared expert.",
        "decode_layout": "**Decoding Phase [Routed Expert EP144, MLA/Shared Expert DP144]**:  Each deployment "  # noqa: E501
        "unit spans 18 nodes with 32 redundant routed experts, where each GPU manages 2 routed "
        "experts and 1 shared expert.",
        "overlap": "we employ a dual-batch overlap strategy to hide communication costs and improve overall "
        "throughput by splitting a batch of requests into two microbatches.",
        "precision": "matrix multiplications and dispatch transmissions adopt the FP8 format aligned with "
        "training, \nwhile core MLA computations and combine transmissions use the BF16 format",
        "nodes": "the combined peak node occupancy for V3 and R1 inference services reached 278, with an "
        "average occupancy of 226.75 nodes (each node contains 8 H800 GPUs).",
        "cost": "Assuming the leasing cost of one H800 GPU is $2 per hour, the total daily cost amounts to "
        "$87,072.",
        "input": "Total input tokens: 608B, of which 342B tokens (56.3%) hit the on-disk KV cache.",
        "output": "Total output tokens: 168B. The average output speed was 20–22 tokens per second, and the "
        "average kvcache length per output token was 4,989 tokens.",
        "throughput": "Each H800 node delivers an average throughput of ~73.7k tokens/s input (including cache "  # noqa: E501
        "hits) during prefilling or ~14.8k tokens/s output during decoding.",
        "revenue": "If all tokens were billed at DeepSeek-R1’s pricing (*), the total daily revenue would be "
        "$562,027, with a cost profit margin of 545%.",
        "pricing": "R1 Pricing: \\$0.14/M input tokens (cache hit), \\$0.55/M input tokens (cache miss), "
        "$2.19/M output tokens.",
        "period": "Over the past 24 hours (UTC+8 02/27/2025 12:00 PM to 02/28/2025 12:00 PM)",
    }
)

#: Scale-out bandwidth per H800 and direction: "IB (50 GB/s)", DeepSeek-V3 report §3.2.2
#: :cite:`deepseekai2024v3` (one 400 Gb/s InfiniBand NIC per GPU).
H800_SCALEOUT_BYTES_PER_S = 50e9

#: The H800 SXM: the H100 SXM's GH100 die, FLOP/s, 80 GB of HBM3 at 3.35 TB/s, with NVLink cut
#: to 400 GB/s bidirectional (200 GB/s per direction) for export; priced at DeepSeek's $2/h.
H800_SXM = Accelerator(
    id="h800-sxm",
    name="H800 SXM",
    flop_per_s=dict(H100_SXM.flop_per_s),
    hbm_bytes=H100_SXM.hbm_bytes,
    hbm_source="assumed equal to the H100 SXM (same 80 GB HBM3 part): " + H100_SXM.hbm_source,
    hbm_bytes_per_s=H100_SXM.hbm_bytes_per_s,
    scaleup_bytes_per_s=200e9,
    scaleup_domain=8,
    price_usd_per_hour=2.0,
    price_basis="DeepSeek Day 6: 'Assuming the leasing cost of one H800 GPU is $2 per hour'",
    sources=("nvidia2022h100", "deepseekai2024v3", "deepseekai2025inference"),
    notes="Export variant of the H100 SXM: same tensor-core rates and HBM3; NVLink 400 GB/s "
    "bidirectional instead of 900. DeepSeek-V3 report §3.2.2 measures 160 GB/s achievable "
    "NVLink and 50 GB/s InfiniBand per GPU.",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitLayout:
    """One deployment unit as the text describes it.

    ``nodes`` of ``gpus_per_node`` GPUs; routed experts split ``ep`` ways (with
    ``redundant_experts`` extra copies), attention and shared expert replicated ``dp`` ways;
    ``routed_experts_per_gpu`` and ``shared_experts_per_gpu`` per GPU.
    """

    phase: str
    nodes: int
    gpus_per_node: int
    ep: int
    dp: int
    redundant_experts: int
    routed_experts_per_gpu: int
    shared_experts_per_gpu: int

    def __post_init__(self) -> None:
        for name in (
            "nodes",
            "gpus_per_node",
            "ep",
            "dp",
            "routed_experts_per_gpu",
            "shared_experts_per_gpu",
        ):
            at_least_one(name, getattr(self, name), integer=True)
        non_negative("redundant_experts", self.redundant_experts)
        if self.ep != self.gpus or self.dp != self.gpus:
            raise ValueError(
                f"{self.phase}: ep and dp must equal the unit's GPUs ({self.gpus}), got "
                f"ep={self.ep}, dp={self.dp}"
            )

    @property
    def gpus(self) -> int:
        """GPUs in the unit, ``nodes * gpus_per_node``."""
        return self.nodes * self.gpus_per_node


#: "Routed Expert EP32, MLA/Shared Expert DP32 ... 4 nodes ... 9 routed experts and 1 shared expert."
PREFILL_UNIT = UnitLayout(
    phase="prefill",
    nodes=4,
    gpus_per_node=8,
    ep=32,
    dp=32,
    redundant_experts=32,
    routed_experts_per_gpu=9,
    shared_experts_per_gpu=1,
)
#: "Routed Expert EP144, MLA/Shared Expert DP144 ... 18 nodes ... 2 routed experts and 1 shared expert."
DECODE_UNIT = UnitLayout(
    phase="decode",
    nodes=18,
    gpus_per_node=8,
    ep=144,
    dp=144,
    redundant_experts=32,
    routed_experts_per_gpu=2,
    shared_experts_per_gpu=1,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeepSeekPublished:
    """The figures of the Day 6 text (:data:`QUOTES`), in base units; nothing derived."""

    gpus_per_node: int = 8
    usd_per_gpu_hour: float = 2.0
    peak_nodes: int = 278
    average_nodes: float = 226.75
    daily_cost_usd: float = 87_072.0
    input_tokens_per_day: float = 608e9
    cache_hit_tokens_per_day: float = 342e9
    cache_hit_rate: float = 0.563
    output_tokens_per_day: float = 168e9
    output_tokens_per_s_per_user: tuple[float, float] = (20.0, 22.0)
    kv_length_per_output_token: float = 4_989.0
    prefill_input_tokens_per_s_per_node: float = 73_700.0
    decode_output_tokens_per_s_per_node: float = 14_800.0
    theoretical_revenue_usd_per_day: float = 562_027.0
    cost_profit_margin: float = 5.45
    r1_usd_per_million_input_cache_hit: float = 0.14
    r1_usd_per_million_input_cache_miss: float = 0.55
    r1_usd_per_million_output: float = 2.19
    period_hours: float = 24.0

    @property
    def usd_per_node_hour(self) -> float:
        """Rent of one node, ``gpus_per_node * usd_per_gpu_hour`` ($16/h)."""
        return self.gpus_per_node * self.usd_per_gpu_hour

    @property
    def sequences_per_decode_node(self) -> tuple[float, float]:
        """Little's law: decode tokens/s per node over tokens/s per user (at 22 and at 20 tokens/s)."""
        lo, hi = self.output_tokens_per_s_per_user
        return (self.decode_output_tokens_per_s_per_node / hi, self.decode_output_tokens_per_s_per_node / lo)

    @property
    def decode_usd_per_million_output(self) -> float:
        """Rent of a decode node per million output tokens at the published throughput."""
        return TOKENS_PER_MILLION * self.usd_per_node_hour / HOUR_S / self.decode_output_tokens_per_s_per_node

    @property
    def fleet_usd_per_million_output(self) -> float:
        """Daily cost over daily output tokens (prefill, decode and idle capacity all included)."""
        return TOKENS_PER_MILLION * self.daily_cost_usd / self.output_tokens_per_day


#: The Day 6 figures (:data:`SOURCE`).
PUBLISHED = DeepSeekPublished()


def sequences_per_gpu(
    output_tokens_per_s_per_user: ArrayLike = 21.0, published: DeepSeekPublished = PUBLISHED
) -> NDArray[np.float64]:
    """Sequences one decode GPU serves at once, by Little's law from the published rates.

    .. math:: b = \\frac{\\text{output tokens/s per node}}{g\\,\\times\\,\\text{tokens/s per user}}

    14,800 / (8 x 21) = 88 (84 at 22 tokens/s, 92.5 at 20). The text does not give the batch.
    """
    _not_text("output_tokens_per_s_per_user", output_tokens_per_s_per_user)
    v = positive("output_tokens_per_s_per_user", output_tokens_per_s_per_user)
    return np.asarray(published.decode_output_tokens_per_s_per_node / (published.gpus_per_node * v))


@dataclass(frozen=True, slots=True)
class LayoutStep:
    """One decode step of one GPU of a DP-attention / EP unit, term by term (seconds).

    ``seconds`` is the largest term (memory, arithmetic or network, assuming they overlap
    perfectly) and ``bound`` names it; ``tokens_per_step`` is output tokens per sequence per
    step (:math:`1 + \\alpha` with MTP).
    """

    batch: NDArray[np.float64]
    context_tokens: NDArray[np.float64]
    memory_seconds: NDArray[np.float64]
    compute_seconds: NDArray[np.float64]
    network_seconds: NDArray[np.float64]
    tokens_per_step: NDArray[np.float64]
    weight_bytes_per_gpu: float
    hbm_required_bytes: NDArray[np.float64]
    hbm_available_bytes: float
    gpus_per_node: int

    @property
    def fits(self) -> NDArray[np.bool_]:
        """Weights and KV caches fit in the GPU's usable HBM."""
        return np.asarray(self.hbm_required_bytes <= self.hbm_available_bytes)

    @property
    def seconds(self) -> NDArray[np.float64]:
        """Step time at perfect overlap, the largest of the three terms (inf where it does not fit)."""
        t = np.maximum(np.maximum(self.memory_seconds, self.compute_seconds), self.network_seconds)
        return np.where(self.fits, t, np.inf)

    @property
    def bound(self) -> NDArray[np.str_]:
        """``"memory"``, ``"compute"``, ``"network"``, or ``"capacity"`` where it does not fit."""
        terms = np.stack(np.broadcast_arrays(self.memory_seconds, self.compute_seconds, self.network_seconds))
        names = np.array(["memory", "compute", "network"])
        return np.where(self.fits, names[np.argmax(terms, axis=0)], "capacity")

    @property
    def tokens_per_s_per_user(self) -> NDArray[np.float64]:
        """Output tokens per second one sequence sees, ``tokens_per_step / seconds``."""
        return np.where(self.fits, self.tokens_per_step / self.seconds, 0.0)

    @property
    def tokens_per_s_per_node(self) -> NDArray[np.float64]:
        """Output tokens per second of one node, ``gpus * batch * tokens_per_step / seconds``."""
        return self.gpus_per_node * self.batch * self.tokens_per_s_per_user


def _remote_nodes(nodes: int, experts_per_token: int) -> float:
    """Expected number of other nodes holding a token's experts (experts spread uniformly)."""
    if nodes <= 1:
        return 0.0
    # each of the k experts sits on a uniformly random node: nodes reached = n f(n, k)
    reached = nodes * float(expert_read_fraction(nodes, experts_per_token))
    return reached * (nodes - 1) / nodes


def layout_decode_step(
    batch: ArrayLike,
    context_tokens: ArrayLike | None = None,
    *,
    acceptance: float | None = DEEPSEEK_V3_MTP.acceptance_high,
    unit: UnitLayout = DECODE_UNIT,
    accelerator: Accelerator = H800_SXM,
    model: str | ModelSpec = "deepseek-v3",
    weight_format: str | NumberFormat = "fp8",
    kv_format: str | NumberFormat = "bf16",
    attention_precision: str = "bf16",
    dispatch_bytes: float = 1.0,
    combine_bytes: float = 2.0,
    scaleout_bytes_per_s: float = H800_SCALEOUT_BYTES_PER_S,
    hbm_fraction: float = 0.9,
) -> LayoutStep:
    """Decode step of one GPU of a DP-attention, expert-parallel unit (module docstring).

    Parameters
    ----------
    batch : sequences on the GPU (its DP share); :func:`sequences_per_gpu` gives DeepSeek's.
    context_tokens : KV length per sequence (default: the published 4,989).
    acceptance : MTP acceptance :math:`\\alpha` (default 0.90, the top of DeepSeek's range, so
        the bound is optimistic); ``None`` for plain decoding (one query token per sequence).
        With MTP each sequence verifies two tokens and the module (:func:`mtp_module`) adds
        one MoE layer's weights (2 of its experts on this GPU) and arithmetic.
    unit : the deployment unit (:data:`DECODE_UNIT`).
    dispatch_bytes, combine_bytes : bytes per activation element of the all-to-all (FP8 and
        BF16 in DeepSeek's service).
    """
    m = get_model(model)
    if not m.is_moe:
        raise ValueError(f"layout_decode_step models an expert-parallel MoE; {m.name} is dense")
    wf, kf = get_format(weight_format), get_format(kv_format)
    for name, v in (("batch", batch), ("context_tokens", context_tokens), ("acceptance", acceptance)):
        _not_text(name, v)
    b = at_least_one("batch", batch)
    ctx = non_negative(
        "context_tokens", PUBLISHED.kv_length_per_output_token if context_tokens is None else context_tokens
    )
    f_hbm = float(fraction("hbm_fraction", hbm_fraction))
    bw_out = float(positive("scaleout_bytes_per_s", scaleout_bytes_per_s))
    p_disp = float(positive("dispatch_bytes", dispatch_bytes))
    p_comb = float(positive("combine_bytes", combine_bytes))
    if acceptance is None:
        q, tokens = 1.0, np.asarray(1.0)
    else:
        a = fraction("acceptance", acceptance, low_open=False, high_open=True)
        q, tokens = 2.0, np.asarray(expected_tokens_per_step(a, 1))
    c_mm = accelerator.peak_flop_per_s(wf.compute_precision)
    c_att = accelerator.peak_flop_per_s(attention_precision)
    e = unit.routed_experts_per_gpu
    # weights every GPU reads: all but the routed experts (attention and shared expert are DP-replicated)
    weights = m.dense_matmul_params + e * m.n_moe_layers * m.expert_params
    flop_mm = 2.0 * m.active_matmul_params
    flop_att = float(m.attention_flop_per_context_token)
    layers_moe = float(m.n_moe_layers)
    kv_tok = float(m.kv_bytes_per_token(kf.bytes_per_element))
    if acceptance is not None:
        mtp = mtp_module(m)
        weights += mtp.dense_matmul_params + e * mtp.n_moe_layers * mtp.expert_params
        flop_mm_draft = 2.0 * mtp.active_matmul_params
        flop_att_draft = float(mtp.attention_flop_per_context_token)
        kv_tok_draft = float(mtp.kv_bytes_per_token(kf.bytes_per_element))
        layers_moe_draft = float(mtp.n_moe_layers)
    else:
        flop_mm_draft = flop_att_draft = kv_tok_draft = layers_moe_draft = 0.0
    w_bytes = wf.bytes_per_element * weights
    kv = b * ctx * (kv_tok + kv_tok_draft)
    mem = (w_bytes + kv) / accelerator.hbm_bytes_per_s
    comp = b * (q * flop_mm + flop_mm_draft) / c_mm + b * ctx * (q * flop_att + flop_att_draft) / c_att
    r = _remote_nodes(unit.nodes, m.n_active_experts)
    net = (b * (q * layers_moe + layers_moe_draft) * r * m.d_model * (p_disp + p_comb)) / bw_out
    # every GPU stores its share of all weights: replicated parts + its routed experts
    need = w_bytes + kv
    shape = np.broadcast_shapes(np.shape(b), np.shape(ctx))

    def bc(x: ArrayLike) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(x, dtype=float), shape)

    return LayoutStep(
        batch=bc(b),
        context_tokens=bc(ctx),
        memory_seconds=bc(mem),
        compute_seconds=bc(comp),
        network_seconds=bc(net),
        tokens_per_step=bc(tokens),
        weight_bytes_per_gpu=float(w_bytes),
        hbm_required_bytes=bc(need),
        hbm_available_bytes=f_hbm * accelerator.hbm_bytes,
        gpus_per_node=unit.gpus_per_node,
    )


def layout_prefill_tokens_per_s(
    *,
    unit: UnitLayout = PREFILL_UNIT,
    accelerator: Accelerator = H800_SXM,
    model: str | ModelSpec = "deepseek-v3",
    weight_format: str | NumberFormat = "fp8",
    dispatch_bytes: float = 1.0,
    combine_bytes: float = 2.0,
    scaleout_bytes_per_s: float = H800_SCALEOUT_BYTES_PER_S,
) -> dict[str, float]:
    """Upper bound on prompt tokens computed per second by one node of a prefill unit.

    .. math:: v = g \\min\\Bigl(\\frac{C_\\mathrm{fp8}}{2N_\\mathrm{active}},\\;
              \\frac{B_\\mathrm{out}}
                   {L_\\mathrm{moe}\\,\\bar r\\,d\\,(p_\\mathrm{disp} + p_\\mathrm{comb})}\\Bigr)

    Attention arithmetic and weight reads are left out (a prompt is a batch of thousands of
    tokens, so weights are read once for many tokens; the attention only adds time).
    Returns ``{"compute": ..., "network": ..., "bound": min, "bound_by": 0 or 1}`` in tokens/s
    per node (``bound_by`` 0: arithmetic, 1: network). These are *computed* tokens: cached
    prefixes are not recomputed.
    """
    m = get_model(model)
    wf = get_format(weight_format)
    bw_out = float(positive("scaleout_bytes_per_s", scaleout_bytes_per_s))
    p = float(positive("dispatch_bytes", dispatch_bytes)) + float(positive("combine_bytes", combine_bytes))
    g = unit.gpus_per_node
    comp = g * accelerator.peak_flop_per_s(wf.compute_precision) / (2.0 * m.active_matmul_params)
    r = _remote_nodes(unit.nodes, m.n_active_experts)
    net = g * bw_out / (m.n_moe_layers * r * m.d_model * p)
    return {"compute": comp, "network": net, "bound": min(comp, net), "bound_by": float(net < comp)}


def _unit_deployment(unit: UnitLayout, context_tokens: float) -> Deployment:
    return deployment(
        H800_SXM,
        "deepseek-v3",
        weight_format="fp8",
        kv_format="bf16",
        context_tokens=context_tokens,
        n_devices=unit.gpus,
    )


def ideal_decode_step(
    batch_per_gpu: ArrayLike = 88.0,
    context_tokens: float = PUBLISHED.kv_length_per_output_token,
    unit: UnitLayout = DECODE_UNIT,
) -> RooflineStep:
    """The package's roofline on the decode unit as one ideally sharded group of ``unit.gpus`` H800s.

    Every weight is read once per step for the whole unit (no DP replication of attention),
    no network, one token per sequence: a looser bound than :func:`layout_decode_step`.
    """
    _not_text("batch_per_gpu", batch_per_gpu)
    b = at_least_one("batch_per_gpu", batch_per_gpu)
    return decode_step(_unit_deployment(unit, context_tokens), b * unit.gpus)


def ideal_prefill_step(
    prompt_tokens: ArrayLike, batch: ArrayLike = 1, unit: UnitLayout = PREFILL_UNIT
) -> RooflineStep:
    """The package's prefill roofline on the prefill unit as one ideally sharded group."""
    return prefill_step(_unit_deployment(unit, 0.0), prompt_tokens, batch)


#: Why DeepSeek's service stays below the layout bound, in the order of their likely weight.
GAP_EXPLANATION = (
    "The bound assumes every term overlaps perfectly with the others and runs at peak. The service "
    "loses to: (1) compute-communication overlap that is only partial: the dual micro-batch pipeline "
    "hides the all-to-all only where the other micro-batch has enough work, and each micro-batch halves "
    "the expert batch; (2) expert-parallel load imbalance: hot experts make the busiest GPU set the pace "
    "of all 144 (the EP load balancer and 32 redundant experts reduce but do not remove it), and "
    "DP-attention imbalance in KV length and request count across GPUs; (3) FP8 matmuls with "
    "fine-grained scaling and BF16 MLA kernels well below peak FLOP/s and bandwidth (real kernels reach "
    "roughly half of the roofline); (4) MTP acceptance below the 90% the bound credits, and the "
    "verification's doubled arithmetic; (5) day-average figures: the fleet also idles between bursts, "
    "runs nighttime at reduced load, and the per-node averages include those hours."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeepSeekComparison:
    """One published figure of DeepSeek's service next to the package's bound for the same layout.

    ``ratio`` is published / bound: below 1 where the bound is a speed (the service is slower than
    the bound), above 1 where it is a cost (the service costs more). ``bound_by`` names what
    limits the bound; ``gap`` says why the service is not at it.
    """

    quantity: str
    unit: str
    published: float
    bound: float
    bound_by: str
    higher_is_better: bool
    gap: str

    def __post_init__(self) -> None:
        positive("published", self.published)
        positive("bound", self.bound)

    @property
    def ratio(self) -> float:
        """Published over bound."""
        return self.published / self.bound

    @property
    def consistent(self) -> bool:
        """The bound is not beaten: published <= bound for a speed, >= for a cost."""
        return self.ratio <= 1.0 if self.higher_is_better else self.ratio >= 1.0


def compare(
    output_tokens_per_s_per_user: float = 21.0,
    acceptance: float = DEEPSEEK_V3_MTP.acceptance_high,
    published: DeepSeekPublished = PUBLISHED,
) -> tuple[DeepSeekComparison, ...]:
    """Published against bound for decode, per-user speed, prefill and $ per million output tokens.

    ``output_tokens_per_s_per_user`` picks the point of the published 20-22 range that sets the
    decode batch by Little's law (:func:`sequences_per_gpu`); ``acceptance`` the MTP acceptance
    credited to the bound.
    """
    b = float(sequences_per_gpu(output_tokens_per_s_per_user, published))
    step = layout_decode_step(b, published.kv_length_per_output_token, acceptance=acceptance)
    if not bool(np.all(step.fits)):
        raise ValueError(
            f"{b:.0f} sequences of {published.kv_length_per_output_token:,.0f} tokens do not "
            f"fit on one H800 beside its weights"
        )
    decode_node = float(step.tokens_per_s_per_node)
    per_user = float(step.tokens_per_s_per_user)
    pre = layout_prefill_tokens_per_s()
    miss = 1.0 - published.cache_hit_rate
    prefill_node = pre["bound"] / miss  # input tokens incl. cache hits, as published
    pre_by = "network (all-to-all over InfiniBand)" if pre["bound_by"] else "compute (FP8 matmuls)"
    node_usd_s = published.usd_per_node_hour / HOUR_S
    input_per_output = published.input_tokens_per_day / published.output_tokens_per_day
    fleet_bound = TOKENS_PER_MILLION * node_usd_s * (1.0 / decode_node + input_per_output / prefill_node)
    decode_usd_bound = TOKENS_PER_MILLION * node_usd_s / decode_node
    bound_by = str(step.bound)
    ideal = ideal_decode_step(b, published.kv_length_per_output_token).require_fit()
    return (
        DeepSeekComparison(
            quantity="decode output tokens/s per H800 node",
            unit="tokens/s",
            higher_is_better=True,
            published=published.decode_output_tokens_per_s_per_node,
            bound=decode_node,
            bound_by=bound_by,
            gap=f"EP144/DP144 at {b:.0f} sequences per GPU (Little's law), "
            f"{published.kv_length_per_output_token:,.0f}-token KV, MTP credited at {acceptance:.0%}. "
            + GAP_EXPLANATION,
        ),
        DeepSeekComparison(
            quantity="decode output tokens/s per H800 node (plain roofline)",
            unit="tokens/s",
            higher_is_better=True,
            published=published.decode_output_tokens_per_s_per_node,
            bound=float(ideal.tokens_per_s) / DECODE_UNIT.nodes,
            bound_by=str(ideal.bound),
            gap="The package's roofline on the 144 GPUs as one ideally sharded group, one token per "
            "sequence: every weight read once per step for the whole unit (DP attention reads its "
            "weights on every GPU), no network. Looser than the layout bound, still above the service.",
        ),
        DeepSeekComparison(
            quantity="output tokens/s per user",
            unit="tokens/s",
            higher_is_better=True,
            published=output_tokens_per_s_per_user,
            bound=per_user,
            bound_by=bound_by,
            gap="Same step as the decode row: a user sees (1 + alpha) tokens per step. " + GAP_EXPLANATION,
        ),
        DeepSeekComparison(
            quantity="prefill input tokens/s per H800 node (incl. cache hits)",
            unit="tokens/s",
            higher_is_better=True,
            published=published.prefill_input_tokens_per_s_per_node,
            bound=prefill_node,
            bound_by=pre_by,
            gap=f"Bound on computed tokens divided by the cache-miss share 1 - {published.cache_hit_rate:g}; "
            "attention arithmetic (prompt lengths unpublished), weight reads, load imbalance across the "
            "32 DP instances and partial overlap of the two micro-batches are left out.",
        ),
        DeepSeekComparison(
            quantity="decode $ per million output tokens at $2/GPU-h",
            unit="USD/M",
            higher_is_better=False,
            published=published.decode_usd_per_million_output,
            bound=decode_usd_bound,
            bound_by=bound_by,
            gap="Node rent over the decode rows' throughput: the same gap, inverted.",
        ),
        DeepSeekComparison(
            quantity="fleet $ per million output tokens (daily cost / output)",
            unit="USD/M",
            higher_is_better=False,
            published=published.fleet_usd_per_million_output,
            bound=fleet_bound,
            bound_by="decode and prefill bounds",
            gap=f"Bound: a node-second per decode token plus {input_per_output:.2f} input tokens per output "
            "token at the prefill bound. The published figure also pays for the daytime peak capacity "
            "(278 nodes at peak, 226.75 on average) and for underloaded hours.",
        ),
    )


def comparison_table(rows: tuple[DeepSeekComparison, ...] | None = None) -> str:
    """:func:`compare` as a plain-text table (quantity, published, bound, ratio, bound by)."""
    rows = compare() if rows is None else rows
    lines = [f"{'quantity':<58} {'published':>11} {'bound':>11} {'ratio':>6}  bound by"]
    for r in rows:
        spec = ",.3f" if r.unit == "USD/M" else ",.0f"
        pub, bnd = format(r.published, spec), format(r.bound, spec)
        lines.append(f"{r.quantity:<58} {pub:>11} {bnd:>11} {r.ratio:>6.2f}  {r.bound_by}")
    return "\n".join(lines)
