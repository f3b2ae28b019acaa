"""Self-speculation: a model's own multi-token-prediction (MTP) head drafts, the model verifies.

DeepSeek-V3 is trained with one multi-token-prediction module (depth :math:`D = 1`): after
the main model's last layer, one more Transformer block (same widths as a main MoE layer),
a :math:`2d \\times d` projection that joins the main model's hidden state with the
embedding of the next token, and the embedding and output head *shared* with the main model
:cite:`deepseekai2024v3`. At inference the module is a draft model of one layer: each step
the main model verifies the previous draft (two query tokens per sequence) and the module
proposes one token for the next step. That is speculative decoding with :math:`\\gamma = 1`
(:mod:`inferecon.levers.speculative`), so a step yields

.. math:: E[\\text{tokens per step}] = \\frac{1 - \\alpha^{2}}{1 - \\alpha} = 1 + \\alpha

tokens (:func:`inferecon.levers.speculative.expected_tokens_per_step` at ``draft_tokens=1``).
The report gives (§5.4.3) :data:`DEEPSEEK_V3_MTP`: acceptance of the second token 85-90%,
"1.8 times TPS". Since :math:`1 + \\alpha` is 1.85-1.90, the published 1.8x says that a
step with the draft and a two-token verification costs :math:`(1+\\alpha)/1.8 - 1` =
2.8-5.6% more than a plain step (:func:`implied_step_overhead`). The roofline
(:func:`self_speculative_step`) gives that overhead from first principles, and it depends on
the batch because DeepSeek-V3 is a mixture of experts:

- at large batch every expert is read anyway; while the step stays memory-bound, the
  two-token verification reads the weights and each KV cache once, and the only extra cost
  is the module's own weights (12.5B matmul parameters against 670B, +1.9%), so the speedup
  is :math:`(1+\alpha)/1.019` = 1.82-1.87 at 85-90% acceptance, the published 1.8x to
  within 1%;
- at batch 1 the second token routes to up to 8 more experts per layer: the verification
  reads 56B parameters instead of 37B and the speedup falls to about 1.2;
- once the doubled arithmetic exceeds the memory time (DeepSeek's own decode batch at a
  5K-token context on H800s), the step turns compute-bound and the gain shrinks to about 1.4.

The report states neither the batch, the hardware nor the data set of the 1.8x; it agrees
with the first regime, a serving batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import at_least_one, fraction, non_negative
from inferecon.levers.speculative import expected_tokens_per_step
from inferecon.serving.roofline import decode_step
from inferecon.specs.deployment import Deployment
from inferecon.specs.models import ModelSpec, get_model

__all__ = [
    "DEEPSEEK_V3_MTP",
    "DEEPSEEK_V3_MTP_PARAMS",
    "DEEPSEEK_V3_MTP_QUOTE",
    "DRAFT_HEAD_SPEEDUPS",
    "PublishedSelfSpeculation",
    "PublishedSpeedup",
    "SelfSpeculativeStep",
    "implied_step_overhead",
    "mtp_module",
    "self_speculative_step",
]


def _not_text(name: str, value: object) -> None:
    """Refuse strings (``"10"``) where a number is expected; numpy would silently parse them."""
    if isinstance(value, str | bytes) or (isinstance(value, np.ndarray) and value.dtype.kind in "USO"):
        raise ValueError(f"{name} must be a number or an array of numbers, got the string {value!r}")


#: DeepSeek-V3 technical report :cite:`deepseekai2024v3`, §5.4.3 ("Multi-Token Prediction
#: Evaluation"), verbatim.
DEEPSEEK_V3_MTP_QUOTE = (
    "Instead of predicting just the next single token, DeepSeek-V3 predicts the next 2 tokens "
    "through the MTP technique. Combined with the framework of speculative decoding (Leviathan et al., "
    "2023; Xia et al., 2023), it can significantly accelerate the decoding speed of the model. A natural "
    "question arises concerning the acceptance rate of the additionally predicted token. Based on our "
    "evaluation, the acceptance rate of the second token prediction ranges between 85% and 90% across "
    "various generation topics, demonstrating consistent reliability. This high acceptance rate enables "
    "DeepSeek-V3 to achieve a significantly improved decoding speed, delivering 1.8 times TPS (Tokens Per "
    "Second)."
)

#: Parameters of the MTP module as DeepSeek's model card states them: "The total size of
#: DeepSeek-V3 models on Hugging Face is 685B, which includes 671B of the Main Model weights
#: and 14B of the Multi-Token Prediction (MTP) Module weights." (The checkpoint stores a copy
#: of the shared embedding and head with the module.)
DEEPSEEK_V3_MTP_PARAMS = 14e9


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedSelfSpeculation:
    """A published self-speculation result: acceptance range and speedup, with its source.

    ``acceptance_low``/``acceptance_high`` bound the per-draft-token acceptance probability
    :math:`\\alpha`; ``speedup`` is the published tokens-per-second ratio over plain decoding;
    ``conditions`` says what the source leaves unstated.
    """

    method: str
    model: str
    draft_tokens: int
    acceptance_low: float
    acceptance_high: float
    speedup: float
    source: str
    quote: str
    conditions: str

    def __post_init__(self) -> None:
        at_least_one("draft_tokens", self.draft_tokens, integer=True)
        fraction("acceptance_low", self.acceptance_low, low_open=False, high_open=True)
        fraction("acceptance_high", self.acceptance_high, low_open=False, high_open=True)
        if self.acceptance_low > self.acceptance_high:
            raise ValueError(
                f"acceptance_low ({self.acceptance_low}) must be <= acceptance_high ({self.acceptance_high})"
            )
        at_least_one("speedup", self.speedup)

    @property
    def expected_tokens_per_step(self) -> tuple[float, float]:
        """:math:`E[\\text{tokens per step}]` at the two ends of the acceptance range."""
        lo, hi = expected_tokens_per_step([self.acceptance_low, self.acceptance_high], self.draft_tokens)
        return float(lo), float(hi)


#: DeepSeek-V3's MTP used for speculative decoding (:data:`DEEPSEEK_V3_MTP_QUOTE`).
DEEPSEEK_V3_MTP = PublishedSelfSpeculation(
    method="multi-token prediction (one MTP module)",
    model="deepseek-v3",
    draft_tokens=1,
    acceptance_low=0.85,
    acceptance_high=0.90,
    speedup=1.8,
    source="deepseekai2024v3",
    quote=DEEPSEEK_V3_MTP_QUOTE,
    conditions="batch size, hardware, data set and whether TPS is per request or per system are not "
    "stated; 'TPS' is read as the speedup of decoding over plain one-token steps",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedSpeedup:
    """A published speedup of a draft-head method whose acceptance rate is not quoted here.

    Medusa and EAGLE draft several tokens (a tree of candidates) per step, so their speedups
    are not those of the one-token, i.i.d.-acceptance model of :func:`implied_step_overhead`;
    they are kept as context with their exact wording.
    """

    method: str
    model: str
    speedup_low: float
    speedup_high: float
    source: str
    quote: str

    def __post_init__(self) -> None:
        at_least_one("speedup_low", self.speedup_low)
        at_least_one("speedup_high", self.speedup_high)
        if self.speedup_low > self.speedup_high:
            raise ValueError(
                f"speedup_low ({self.speedup_low}) must be <= speedup_high ({self.speedup_high})"
            )


#: Abstracts of the Medusa :cite:`cai2024medusa` and EAGLE :cite:`li2024eagle` papers, verbatim.
#: Medusa-2 fine-tunes the backbone with the heads (not lossless); Medusa-1 and EAGLE keep the
#: target's distribution. Their acceptance rates are not quoted here.
DRAFT_HEAD_SPEEDUPS: tuple[PublishedSpeedup, ...] = (
    PublishedSpeedup(
        method="Medusa-2 (heads trained with the backbone)",
        model="Vicuna 7B-33B, Zephyr-7B",
        speedup_low=2.3,
        speedup_high=3.6,
        source="cai2024medusa",
        quote="Our experiments demonstrate that Medusa-1 can achieve over 2.2x speedup without "
        "compromising generation quality, while Medusa-2 further improves the speedup to "
        "2.3-3.6x.",
    ),
    PublishedSpeedup(
        method="Medusa-1 (heads on a frozen backbone)",
        model="Vicuna 7B-33B, Zephyr-7B",
        speedup_low=2.2,
        speedup_high=2.2,
        source="cai2024medusa",
        quote="Our experiments demonstrate that Medusa-1 can achieve over 2.2x speedup without "
        "compromising generation quality",
    ),
    PublishedSpeedup(
        method="EAGLE (feature-level draft head)",
        model="LLaMA2-Chat 70B",
        speedup_low=2.7,
        speedup_high=3.5,
        source="li2024eagle",
        quote="For LLaMA2-Chat 70B, EAGLE achieved a latency speedup ratio of 2.7x-3.5x, "
        "doubled throughput, while maintaining the distribution of the generated text.",
    ),
)


def mtp_module(model: str | ModelSpec = "deepseek-v3") -> ModelSpec:
    """The MTP module of an MoE ``model`` as a one-layer draft :class:`ModelSpec`.

    One MoE Transformer block of the main model's widths (its own attention, routed and
    shared experts and router), plus the :math:`2d \\times d` projection that joins the hidden
    state and the next token's embedding (``extra_params_per_layer``), plus the embedding and
    output head (shared with the main model, but read again by the module's own forward pass).
    For DeepSeek-V3 this is 13.5B parameters against the 14B the model card states
    (:data:`DEEPSEEK_V3_MTP_PARAMS`).
    """
    m = get_model(model)
    if not m.is_moe:
        raise ValueError(f"mtp_module builds the MoE block of DeepSeek-V3-style MTP; {m.name} is dense")
    return replace(
        m,
        id=f"{m.id}-mtp",
        name=f"{m.name} MTP module",
        n_layers=1,
        n_dense_layers=0,
        extra_params_per_layer=m.extra_params_per_layer + 2 * m.d_model * m.d_model,
        training_tokens=None,
        notes=f"One MoE block + 2d x d projection + shared embedding/head of {m.name} "
        f"(DeepSeek-V3 report §2.2); the draft of self-speculative decoding.",
    )


def implied_step_overhead(
    acceptance: ArrayLike, speedup: ArrayLike, draft_tokens: ArrayLike = 1
) -> NDArray[np.float64]:
    """Extra cost of a speculative step over a plain one implied by a published speedup.

    .. math:: c = \\frac{E[\\text{tokens per step}]}{S} - 1

    Negative values mean the published speedup exceeds what the acceptance rate allows at
    any step cost (a contradiction, or a speedup measured under other conditions).
    """
    _not_text("speedup", speedup)
    _not_text("acceptance", acceptance)
    s = at_least_one("speedup", speedup)
    return np.asarray(expected_tokens_per_step(acceptance, draft_tokens) / s - 1.0)


@dataclass(frozen=True, slots=True)
class SelfSpeculativeStep:
    """One self-speculative decode step at the roofline, next to the plain step it replaces.

    Times are seconds per step of the whole batch; arrays broadcast over ``batch``.
    ``plain`` is the plain decode step (one token per sequence); ``verify`` the main model's
    pass over :math:`\\gamma + 1 = 2` tokens per sequence (weights and KV cache read once,
    arithmetic doubled); ``draft`` the MTP module's decode step. The step costs
    ``draft + verify`` (they run one after the other on the same devices) and yields
    :math:`1 + \\alpha` tokens per sequence.
    """

    deployment: Deployment
    draft: ModelSpec
    acceptance: NDArray[np.float64]
    batch: NDArray[np.float64]
    plain_seconds: NDArray[np.float64]
    verify_seconds: NDArray[np.float64]
    draft_seconds: NDArray[np.float64]
    plain_bound: NDArray[np.str_]
    verify_bound: NDArray[np.str_]

    @property
    def step_seconds(self) -> NDArray[np.float64]:
        """Draft plus verification, :math:`t_Q + t_P^{(2)}`."""
        return np.asarray(self.draft_seconds + self.verify_seconds)

    @property
    def step_cost_ratio(self) -> NDArray[np.float64]:
        """Speculative step over plain step, :math:`(t_Q + t_P^{(2)}) / t_P^{(1)} \\ge 1`."""
        return np.asarray(self.step_seconds / self.plain_seconds)

    @property
    def tokens_per_step(self) -> NDArray[np.float64]:
        """:math:`1 + \\alpha` tokens per sequence per step."""
        return np.asarray(expected_tokens_per_step(self.acceptance, 1))

    @property
    def speedup(self) -> NDArray[np.float64]:
        """Tokens/s over plain decoding at the same batch, :math:`(1+\\alpha)/` ``step_cost_ratio``."""
        return np.asarray(self.tokens_per_step / self.step_cost_ratio)


def self_speculative_step(
    deployment: Deployment,
    batch: ArrayLike,
    acceptance: ArrayLike,
    context_tokens: ArrayLike | None = None,
    draft: ModelSpec | None = None,
) -> SelfSpeculativeStep:
    """The roofline of an MTP self-speculative step of ``deployment`` (one draft token).

    .. math::
        t_P^{(2)} = \\max\\Bigl(\\frac{p_w N_\\mathrm{read}(2b) + b\\,\\ell\\,k_\\mathrm{kv}}{n u_B B},\\;
                    \\frac{2b\\,(2N + a\\ell)}{n u_C C}\\Bigr),\\qquad
        S = \\frac{(1 + \\alpha)\\,t_P^{(1)}}{t_Q + t_P^{(2)}}

    with :math:`t_Q` the MTP module's decode step (:func:`mtp_module`, its own one-layer KV
    cache at the same context) on the same devices. Every part comes from
    :func:`inferecon.serving.roofline.decode_step`; a step that does not fit raises
    ValueError saying by how much.
    """
    if not isinstance(deployment, Deployment):
        raise ValueError(
            f"deployment must be a Deployment (inferecon.specs.deployment.deployment), got {deployment!r}"
        )
    d = deployment
    for name, v in (("batch", batch), ("acceptance", acceptance), ("context_tokens", context_tokens)):
        _not_text(name, v)
    a = fraction("acceptance", acceptance, low_open=False, high_open=True)
    b = at_least_one("batch", batch)
    ctx = non_negative("context_tokens", d.context_tokens if context_tokens is None else context_tokens)
    q = mtp_module(d.model) if draft is None else draft
    plain = decode_step(d, b, ctx).require_fit()
    two = decode_step(d, 2.0 * b, ctx)  # 2b query tokens: weights read for 2b tokens (capacity: plain's)
    kv_once = b * ctx * d.kv_bytes_per_token / d.hbm_bytes_per_s  # ... but the b caches once
    verify_mem = two.memory_seconds - kv_once
    verify = np.maximum(verify_mem, two.compute_seconds)
    verify_bound = np.where(verify_mem >= two.compute_seconds, "memory", "compute")
    dq = d.with_(model=q)
    draft_step = decode_step(dq, b, ctx)
    # both models' weights and caches must fit together
    need = plain.hbm_required_bytes + draft_step.hbm_required_bytes
    if bool(np.any(need > d.usable_hbm_bytes)):
        short = float(np.max(need - d.usable_hbm_bytes))
        raise ValueError(
            f"{d.model.name} and its MTP module with {float(np.max(b)):,.0f} sequence(s) at "
            f"{float(np.max(ctx)):,.0f} tokens need {float(np.max(need)) / 1e9:,.1f} GB, "
            f"{short / 1e9:,.1f} GB more than the usable {d.usable_hbm_bytes / 1e9:,.1f} GB"
        )
    shape = np.broadcast_shapes(np.shape(a), np.shape(plain.seconds))

    def bc(x: ArrayLike) -> NDArray[np.float64]:
        return np.asarray(np.broadcast_to(np.asarray(x), shape))

    return SelfSpeculativeStep(
        deployment=d,
        draft=q,
        acceptance=bc(a).astype(float),
        batch=bc(plain.batch).astype(float),
        plain_seconds=bc(plain.seconds).astype(float),
        verify_seconds=bc(verify).astype(float),
        draft_seconds=bc(np.maximum(draft_step.memory_seconds, draft_step.compute_seconds)).astype(float),
        plain_bound=np.broadcast_to(plain.bound, shape),
        verify_bound=np.broadcast_to(verify_bound, shape),
    )
