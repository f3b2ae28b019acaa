"""Transformer and mixture-of-experts architectures, and what follows from them.

A :class:`ModelSpec` holds only the architecture as published in the model's paper or
configuration file (layers, widths, heads, FFN type, experts, vocabulary). Everything the
economics needs is **derived** from it: total and active parameters, the parameters that
take part in matrix multiplies, KV-cache bytes per token and FLOPs per token. Tests check
the derived totals against the published ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inferecon._validate import lookup, non_negative, positive, real

__all__ = ["MODELS", "ModelSpec", "get_model"]

_FFN_MATRICES = {"swiglu": 3, "gelu": 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """Architecture of a decoder-only transformer (dense or mixture of experts).

    Attributes
    ----------
    n_layers, d_model : depth and residual width.
    n_heads, n_kv_heads, d_head : query heads, key/value heads (``n_kv_heads < n_heads`` is
        grouped-query attention, ``1`` is multi-query) and head dimension.
    d_ff : hidden width of a dense FFN layer.
    ffn : ``"swiglu"`` (three matrices, also used for GeGLU) or ``"gelu"`` (two).
    vocab_size, tied_embeddings : vocabulary; whether the unembedding shares the input matrix.
    attention : ``"standard"`` (MHA/GQA/MQA) or ``"mla"`` (DeepSeek multi-head latent attention).
    parallel_layers : PaLM-style parallel attention and FFN (two all-reduces per layer, not four).
    biases, layernorm : GPT-style linear biases; LayerNorm (scale + bias) instead of RMSNorm.
    learned_positions : rows of a learned absolute position embedding (0 if none).
    extra_params_per_layer : parameters outside the standard blocks (Transformer-XL relative
        position projection in Gopher/Chinchilla: ``d_model**2`` per layer).
    n_routed_experts, n_active_experts, n_shared_experts, d_ff_expert, n_dense_layers :
        MoE layout; ``n_dense_layers`` leading layers use the dense FFN (all layers for a
        dense model).
    q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim : MLA shapes.
    training_tokens : published pre-training tokens ``D`` (``None`` if undisclosed).
    sources : citation keys for the architecture and token count.
    """

    id: str
    name: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_head: int
    d_ff: int
    ffn: str
    vocab_size: int
    tied_embeddings: bool = False
    attention: str = "standard"
    parallel_layers: bool = False
    biases: bool = False
    layernorm: bool = False
    learned_positions: int = 0
    extra_params_per_layer: int = 0
    n_routed_experts: int = 0
    n_active_experts: int = 0
    n_shared_experts: int = 0
    d_ff_expert: int = 0
    n_dense_layers: int | None = None
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    training_tokens: float | None = None
    sources: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        for name in ("n_layers", "d_model", "n_heads", "n_kv_heads", "d_head", "vocab_size"):
            v = real(f"{self.id}.{name}", getattr(self, name), low=1, integer=True)
            object.__setattr__(self, name, int(v))
        for name in (
            "d_ff",
            "learned_positions",
            "extra_params_per_layer",
            "n_routed_experts",
            "n_active_experts",
            "n_shared_experts",
            "d_ff_expert",
            "q_lora_rank",
            "kv_lora_rank",
            "qk_nope_head_dim",
            "qk_rope_head_dim",
            "v_head_dim",
        ):
            v = real(f"{self.id}.{name}", getattr(self, name), low=0, integer=True)
            object.__setattr__(self, name, int(v))
        if self.n_dense_layers is not None:
            v = real(
                f"{self.id}.n_dense_layers", self.n_dense_layers, low=0, high=self.n_layers, integer=True
            )
            object.__setattr__(self, "n_dense_layers", int(v))
        if self.ffn not in _FFN_MATRICES:
            raise ValueError(f"{self.id}: ffn must be one of {sorted(_FFN_MATRICES)}, got {self.ffn!r}")
        if self.attention not in ("standard", "mla"):
            raise ValueError(f"{self.id}: attention must be 'standard' or 'mla', got {self.attention!r}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"{self.id}: n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})"
            )
        if self.n_routed_experts:
            if not 1 <= self.n_active_experts <= self.n_routed_experts:
                raise ValueError(
                    f"{self.id}: n_active_experts must be in [1, n_routed_experts], "
                    f"got {self.n_active_experts!r}"
                )
            if self.d_ff_expert < 1:
                raise ValueError(f"{self.id}: an MoE model needs d_ff_expert >= 1")
        if self.n_dense_layers is None:
            object.__setattr__(self, "n_dense_layers", 0 if self.n_routed_experts else self.n_layers)
        if int(self.n_dense_layers or 0) > 0 and self.d_ff < 1:
            raise ValueError(
                f"{self.id}.d_ff must be >= 1 when a layer has a dense FFN "
                f"(n_dense_layers = {self.n_dense_layers}), got {self.d_ff!r}"
            )
        if self.training_tokens is not None:
            real(f"{self.id}.training_tokens (or None)", self.training_tokens, low=0.0, low_open=True)

    # ------------------------------------------------------------------ shapes
    @property
    def is_moe(self) -> bool:
        """True for a mixture-of-experts model."""
        return self.n_routed_experts > 0

    @property
    def n_moe_layers(self) -> int:
        """Layers whose FFN is a mixture of experts."""
        return self.n_layers - int(self.n_dense_layers or 0) if self.is_moe else 0

    @property
    def ffn_matrices(self) -> int:
        """Weight matrices per FFN: 3 for gated (SwiGLU/GeGLU), 2 for a plain MLP."""
        return _FFN_MATRICES[self.ffn]

    @property
    def gqa_group(self) -> int:
        """Query heads per KV head, :math:`g = n_\\mathrm{heads}/n_\\mathrm{kv}`."""
        return self.n_heads // self.n_kv_heads

    @property
    def sparsity(self) -> float:
        """Routed-expert sparsity :math:`s = n_\\mathrm{expert}/n_\\mathrm{active}` (1 for dense)."""
        return self.n_routed_experts / self.n_active_experts if self.is_moe else 1.0

    # -------------------------------------------------------------- parameters
    @property
    def attention_params_per_layer(self) -> int:
        """Weights of one attention block (projections, plus MLA's low-rank norms)."""
        d, h = self.d_model, self.n_heads
        if self.attention == "mla":
            qk = self.qk_nope_head_dim + self.qk_rope_head_dim
            if self.q_lora_rank:
                q = d * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * h * qk
            else:
                q = d * h * qk
            kv = (
                d * (self.kv_lora_rank + self.qk_rope_head_dim)
                + self.kv_lora_rank
                + self.kv_lora_rank * h * (self.qk_nope_head_dim + self.v_head_dim)
            )
            return q + kv + h * self.v_head_dim * d
        q_and_o = 2 * d * h * self.d_head
        kv = 2 * d * self.n_kv_heads * self.d_head
        bias = (h + 2 * self.n_kv_heads) * self.d_head + d if self.biases else 0
        return q_and_o + kv + bias

    def _ffn_params(self, width: int) -> int:
        bias = width * (self.ffn_matrices - 1) + self.d_model if self.biases else 0
        return self.ffn_matrices * self.d_model * width + bias

    @property
    def dense_ffn_params(self) -> int:
        """Weights of one dense FFN layer."""
        return self._ffn_params(self.d_ff)

    @property
    def expert_params(self) -> int:
        """Weights of one expert (0 for a dense model)."""
        return self._ffn_params(self.d_ff_expert) if self.is_moe else 0

    @property
    def router_params_per_layer(self) -> int:
        """Gate weights of one MoE layer, ``n_routed_experts * d_model``."""
        return self.n_routed_experts * self.d_model

    @property
    def norm_params_per_layer(self) -> int:
        """Two norms per block, each ``d_model`` (RMSNorm) or ``2 d_model`` (LayerNorm)."""
        return 2 * self.d_model * (2 if self.layernorm else 1)

    @property
    def embedding_params(self) -> int:
        """Input embedding, output embedding (unless tied) and learned positions."""
        tables = 1 if self.tied_embeddings else 2
        return tables * self.vocab_size * self.d_model + self.learned_positions * self.d_model

    @property
    def routed_expert_params(self) -> int:
        """All routed-expert weights in the model (the part MoE reads probabilistically)."""
        return self.n_moe_layers * self.n_routed_experts * self.expert_params

    def _block_params(self, experts_per_moe_layer: int) -> int:
        per_layer = self.attention_params_per_layer + self.norm_params_per_layer + self.extra_params_per_layer
        moe = self.n_moe_layers * (
            (experts_per_moe_layer + self.n_shared_experts) * self.expert_params
            + self.router_params_per_layer
        )
        final_norm = self.d_model * (2 if self.layernorm else 1)
        return (
            self.n_layers * per_layer
            + int(self.n_dense_layers or 0) * self.dense_ffn_params
            + moe
            + final_norm
        )

    @property
    def total_params(self) -> int:
        """Every parameter, embeddings included (the figure model cards publish)."""
        return self._block_params(self.n_routed_experts) + self.embedding_params

    @property
    def active_params(self) -> int:
        """Parameters used for one token: only ``n_active_experts`` routed experts per MoE layer.

        .. math::

            N_\\mathrm{active} = N_\\mathrm{total}
            - n_\\mathrm{moe}(n_\\mathrm{expert} - n_\\mathrm{act})\\,N_\\mathrm{expert}
        """
        return self._block_params(self.n_active_experts) + self.embedding_params

    @property
    def matmul_params(self) -> int:
        """Weights that one token multiplies, all experts counted (bytes read at large batch).

        Excludes the input-embedding lookup, learned positions and norms; includes the
        unembedding (the shared matrix, if tied).
        """
        return self._matmul(self.n_routed_experts)

    @property
    def active_matmul_params(self) -> int:
        """Weights one token multiplies: :math:`\\mathrm{FLOP/token} = 2 N_\\mathrm{matmul,active}`."""
        return self._matmul(self.n_active_experts)

    def _matmul(self, experts: int) -> int:
        per_layer = self.attention_params_per_layer + self.extra_params_per_layer
        moe = self.n_moe_layers * (
            (experts + self.n_shared_experts) * self.expert_params + self.router_params_per_layer
        )
        return (
            self.n_layers * per_layer
            + int(self.n_dense_layers or 0) * self.dense_ffn_params
            + moe
            + self.vocab_size * self.d_model
        )

    @property
    def dense_matmul_params(self) -> int:
        """Matmul weights read at every decode step whatever the routing (all but routed experts)."""
        return self.matmul_params - self.routed_expert_params

    # ------------------------------------------------------------- per token
    @property
    def kv_elements_per_token(self) -> int:
        """Cached elements per token over all layers.

        Standard attention: :math:`2\\,n_\\mathrm{kv}\\,d_\\mathrm{head}\\,n_\\mathrm{layers}`
        (K and V). MLA caches the compressed latent plus the shared RoPE key:
        :math:`(d_c + d_\\mathrm{rope})\\,n_\\mathrm{layers}`.
        """
        if self.attention == "mla":
            return (self.kv_lora_rank + self.qk_rope_head_dim) * self.n_layers
        return 2 * self.n_kv_heads * self.d_head * self.n_layers

    def kv_bytes_per_token(self, bytes_per_element: ArrayLike = 2.0) -> NDArray[np.float64]:
        """KV-cache bytes per cached token, ``kv_elements_per_token * bytes_per_element``.

        Llama 3 70B in bf16: :math:`2\\cdot 8\\cdot 128\\cdot 80\\cdot 2 = 327{,}680` bytes.
        """
        return self.kv_elements_per_token * positive("bytes_per_element", bytes_per_element)

    @property
    def attention_flop_per_context_token(self) -> int:
        """Attention FLOPs per generated token per token of context.

        Standard: :math:`4\\,n_\\mathrm{layers}\\,n_\\mathrm{heads}\\,d_\\mathrm{head}`
        (:math:`QK^\\top` and :math:`AV`, 2 FLOP per multiply-add; Erdil 2025 §3.1, whose
        eq. 37 drops :math:`d_\\mathrm{head}` by a typo). MLA with absorbed projections
        attends in the latent space: :math:`2 n_\\mathrm{layers} n_\\mathrm{heads}(2 d_c + d_\\mathrm{rope})`.
        """
        if self.attention == "mla":
            return 2 * self.n_layers * self.n_heads * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
        return 4 * self.n_layers * self.n_heads * self.d_head

    def flop_per_token(self, context_tokens: ArrayLike = 0.0) -> NDArray[np.float64]:
        """Forward FLOPs for one token attending to ``context_tokens`` earlier tokens.

        .. math:: F(\\ell) = 2 N_\\mathrm{matmul,active} + a\\,\\ell,\\qquad
                  a = \\texttt{attention\\_flop\\_per\\_context\\_token}
        """
        ctx = non_negative("context_tokens", context_tokens)
        return 2.0 * self.active_matmul_params + self.attention_flop_per_context_token * ctx

    @property
    def n_allreduce_per_layer(self) -> int:
        """Sequential tensor-parallel all-reduces per layer: 4, or 2 with parallel layers."""
        return 2 if self.parallel_layers else 4


def _llama(
    id: str,
    name: str,
    *,
    layers: int,
    dim: int,
    heads: int,
    kv_heads: int,
    d_ff: int,
    vocab: int,
    tokens: float | None,
    sources: tuple[str, ...],
) -> ModelSpec:
    """A Llama-family shape (128-wide heads, SwiGLU): Llama 2, Code Llama, Llama 3."""
    return ModelSpec(
        id=id,
        name=name,
        n_layers=layers,
        d_model=dim,
        n_heads=heads,
        n_kv_heads=kv_heads,
        d_head=128,
        d_ff=d_ff,
        ffn="swiglu",
        vocab_size=vocab,
        training_tokens=tokens,
        sources=sources,
    )


def _palm(id: str, name: str, layers: int, dim: int, heads: int) -> ModelSpec:
    return ModelSpec(
        id=id,
        name=name,
        n_layers=layers,
        d_model=dim,
        n_heads=heads,
        n_kv_heads=1,
        d_head=256,
        d_ff=4 * dim,
        ffn="swiglu",
        vocab_size=256000,
        tied_embeddings=True,
        parallel_layers=True,
        training_tokens=780e9,
        sources=("chowdhery2022palm",),
    )


MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in [
        _llama(
            "llama-3-8b",
            "Llama 3 8B",
            layers=32,
            dim=4096,
            heads=32,
            kv_heads=8,
            d_ff=14336,
            vocab=128256,
            tokens=15e12,
            sources=("grattafiori2024llama3",),
        ),
        _llama(
            "llama-3-70b",
            "Llama 3 70B",
            layers=80,
            dim=8192,
            heads=64,
            kv_heads=8,
            d_ff=28672,
            vocab=128256,
            tokens=15e12,
            sources=("grattafiori2024llama3",),
        ),
        _llama(
            "llama-3.1-405b",
            "Llama 3.1 405B",
            layers=126,
            dim=16384,
            heads=128,
            kv_heads=8,
            d_ff=53248,
            vocab=128256,
            tokens=15.6e12,
            sources=("grattafiori2024llama3",),
        ),
        ModelSpec(
            id="mixtral-8x7b",
            name="Mixtral 8x7B",
            n_layers=32,
            d_model=4096,
            n_heads=32,
            n_kv_heads=8,
            d_head=128,
            d_ff=14336,
            ffn="swiglu",
            vocab_size=32000,
            n_routed_experts=8,
            n_active_experts=2,
            d_ff_expert=14336,
            training_tokens=None,
            sources=("jiang2024mixtral",),
            notes="Training tokens undisclosed.",
        ),
        ModelSpec(
            id="deepseek-v3",
            name="DeepSeek-V3",
            n_layers=61,
            d_model=7168,
            n_heads=128,
            n_kv_heads=128,
            d_head=128,
            d_ff=18432,
            ffn="swiglu",
            vocab_size=129280,
            attention="mla",
            q_lora_rank=1536,
            kv_lora_rank=512,
            qk_nope_head_dim=128,
            qk_rope_head_dim=64,
            v_head_dim=128,
            n_routed_experts=256,
            n_active_experts=8,
            n_shared_experts=1,
            d_ff_expert=2048,
            n_dense_layers=3,
            training_tokens=14.8e12,
            sources=("deepseekai2024v3",),
            notes="Excludes the 14B multi-token-prediction module (the 685B checkpoint "
            "includes it). KV cache = 512-dim latent + 64-dim RoPE key per layer.",
        ),
        ModelSpec(
            id="llama-7b",
            name="LLaMA-7B",
            n_layers=32,
            d_model=4096,
            n_heads=32,
            n_kv_heads=32,
            d_head=128,
            d_ff=11008,
            ffn="swiglu",
            vocab_size=32000,
            training_tokens=1.0e12,
            sources=("touvron2023llama",),
            notes="The first LLaMA (Feb 2023): full multi-head attention; 6.7B parameters "
            "and 1.0T training tokens in the paper's Table 2.",
        ),
        # Llama 2: 7B and 13B use full multi-head attention, 70B grouped-query (8 KV heads).
        _llama(
            "llama-2-7b",
            "Llama 2 7B",
            layers=32,
            dim=4096,
            heads=32,
            kv_heads=32,
            d_ff=11008,
            vocab=32000,
            tokens=2e12,
            sources=("touvron2023llama2",),
        ),
        _llama(
            "llama-2-13b",
            "Llama 2 13B",
            layers=40,
            dim=5120,
            heads=40,
            kv_heads=40,
            d_ff=13824,
            vocab=32000,
            tokens=2e12,
            sources=("touvron2023llama2",),
        ),
        _llama(
            "llama-2-70b",
            "Llama 2 70B",
            layers=80,
            dim=8192,
            heads=64,
            kv_heads=8,
            d_ff=28672,
            vocab=32000,
            tokens=2e12,
            sources=("touvron2023llama2",),
        ),
        # Code Llama 34B (Llama 2 architecture, GQA): Llama 2 weights further trained on code, so no
        # single pre-training token count is given.
        _llama(
            "code-llama-34b",
            "Code Llama 34B",
            layers=48,
            dim=8192,
            heads=64,
            kv_heads=8,
            d_ff=22016,
            vocab=32000,
            tokens=None,
            sources=("roziere2023code",),
        ),
        # Mistral Large 2 (July 2024), Erdil's long-context example; configuration of
        # mistralai/Mistral-Large-Instruct-2407. KV cache 360,448 B/token in bf16.
        ModelSpec(
            id="mistral-large-2",
            name="Mistral Large 2",
            n_layers=88,
            d_model=12288,
            n_heads=96,
            n_kv_heads=8,
            d_head=128,
            d_ff=28672,
            ffn="swiglu",
            vocab_size=32768,
            sources=("mistral2024large2", "erdil2025inference"),
            notes="Training tokens undisclosed; 122.6B parameters derived (published: 123B).",
        ),
        _palm("palm-8b", "PaLM 8B", 32, 4096, 16),
        _palm("palm-62b", "PaLM 62B", 64, 8192, 32),
        _palm("palm-540b", "PaLM 540B", 118, 18432, 48),
        ModelSpec(
            id="chinchilla-70b",
            name="Chinchilla 70B",
            n_layers=80,
            d_model=8192,
            n_heads=64,
            n_kv_heads=64,
            d_head=128,
            d_ff=32768,
            ffn="gelu",
            vocab_size=32000,
            tied_embeddings=True,
            extra_params_per_layer=8192 * 8192,
            training_tokens=1.4e12,
            sources=("hoffmann2022training", "rae2021gopher", "dai2019transformerxl"),
            notes="Relative position encoding (Transformer-XL) adds a d_model x d_model "
            "projection per layer; without it the count is 64.7B, not 70B. "
            "Untied embeddings are not stated; tied assumed.",
        ),
        ModelSpec(
            id="gpt-3-175b",
            name="GPT-3 175B",
            n_layers=96,
            d_model=12288,
            n_heads=96,
            n_kv_heads=96,
            d_head=128,
            d_ff=49152,
            ffn="gelu",
            vocab_size=50257,
            tied_embeddings=True,
            biases=True,
            layernorm=True,
            learned_positions=2048,
            training_tokens=300e9,
            sources=("brown2020language",),
        ),
    ]
}


def get_model(model: str | ModelSpec) -> ModelSpec:
    """Return a :class:`ModelSpec` by catalogue id; an unknown id lists the valid ones."""
    if isinstance(model, ModelSpec):
        return model
    return lookup("model", model, MODELS)
