"""Model catalogue: derived parameter counts and per-token figures against published values."""

import numpy as np
import pytest

import inferecon as ie

# (id, published total, published active, relative tolerance, source of the published figure)
PUBLISHED = [
    # Llama 3 herd: 8.03B / 70.55B / 405.85B counted from the reference configs (embeddings incl.)
    ("llama-3-8b", 8.030e9, None, 1e-3),
    ("llama-3-70b", 70.554e9, None, 1e-4),
    ("llama-3.1-405b", 405.85e9, None, 1e-4),
    # Mixtral paper: 46.7B total, 12.9B active (rounded to 0.1B -> tolerance 0.5%)
    ("mixtral-8x7b", 46.7e9, 12.9e9, 5e-3),
    # DeepSeek-V3 report: 671B total, 37B activated (37B excludes nothing -> 37.5B within 2%)
    ("deepseek-v3", 671e9, 37e9, 2e-2),
    # PaLM Table 1: 8.63B, 62.50B, 540.35B
    ("palm-8b", 8.63e9, None, 1e-3),
    ("palm-62b", 62.50e9, None, 1e-3),
    ("palm-540b", 540.35e9, None, 1e-4),
    # Chinchilla: "70B" (relative-position projection included), GPT-3: "175B"
    ("chinchilla-70b", 70e9, None, 5e-3),
    ("gpt-3-175b", 175e9, None, 5e-3),
    # Llama 2 (Touvron et al. 2023b, Table 1 sizes 7B/13B/70B; exact counts 6.74B/13.02B/68.98B
    # from the released configurations), Code Llama 34B (33.7B), Mistral Large 2 ("123B")
    ("llama-2-7b", 6.738e9, None, 1e-3),
    ("llama-2-13b", 13.016e9, None, 1e-3),
    ("llama-2-70b", 68.977e9, None, 1e-3),
    ("code-llama-34b", 33.74e9, None, 2e-3),
    ("mistral-large-2", 123e9, None, 5e-3),
]


@pytest.mark.parametrize("model_id,total,active,rtol", PUBLISHED)
def test_parameter_counts_match_published(model_id, total, active, rtol):
    m = ie.get_model(model_id)
    assert m.total_params == pytest.approx(total, rel=rtol)
    if active is not None:
        assert m.active_params == pytest.approx(active, rel=rtol)
    else:
        assert m.active_params == m.total_params


def test_llama3_70b_by_hand():
    # 80 layers x (attention 2*8192*8192 + 2*8192*1024 + FFN 3*8192*28672 + 2 norms of 8192)
    # + 2 embeddings 128256*8192 + final norm 8192 = 70,553,706,496
    per_layer = 2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192
    assert ie.get_model("llama-3-70b").total_params == 80 * per_layer + 2 * 128256 * 8192 + 8192


def test_deepseek_v3_attention_block():
    # MLA per layer: 7168*1536 + 1536 + 1536*128*192 + 7168*576 + 512 + 512*128*256 + 128*128*7168
    expected = 7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 + 512 * 128 * 256 + 128 * 128 * 7168
    assert ie.get_model("deepseek-v3").attention_params_per_layer == expected
    assert expected == pytest.approx(187.1e6, rel=1e-3)


@pytest.mark.parametrize("model_id,bytes_per_token", [
    ("llama-3-70b", 327_680),   # 2 * 8 kv heads * 128 * 80 layers * 2 B
    ("llama-3-8b", 131_072),    # 2 * 8 * 128 * 32 * 2
    ("llama-3.1-405b", 516_096),  # 2 * 8 * 128 * 126 * 2
    ("mixtral-8x7b", 131_072),  # 2 * 8 * 128 * 32 * 2
    ("deepseek-v3", 70_272),    # (512 + 64) * 61 * 2
    ("palm-540b", 120_832),     # 2 * 1 * 256 * 118 * 2 (multi-query)
])
def test_kv_bytes_per_token_bf16(model_id, bytes_per_token):
    assert float(ie.get_model(model_id).kv_bytes_per_token(2.0)) == bytes_per_token


def test_flop_per_token_is_2n_plus_attention():
    m = ie.get_model("llama-3-70b")
    # 2 * 69.50B matmul params ~ 1.39e11; attention 4*80*64*128 = 2,621,440 FLOP per context token
    assert float(m.flop_per_token(0)) == pytest.approx(1.39e11, rel=1e-3)
    assert m.attention_flop_per_context_token == 4 * 80 * 64 * 128
    np.testing.assert_allclose(m.flop_per_token([0, 1000]) - m.flop_per_token(0), [0, 2_621_440_000])


def test_moe_shapes():
    mix = ie.get_model("mixtral-8x7b")
    assert mix.sparsity == 4 and mix.is_moe and mix.n_moe_layers == 32
    ds = ie.get_model("deepseek-v3")
    assert ds.sparsity == 32 and ds.n_moe_layers == 58
    assert not ie.get_model("llama-3-8b").is_moe


def test_unknown_model_lists_valid_ids():
    with pytest.raises(ValueError, match=r"unknown model 'llama-4'.*llama-3-70b"):
        ie.get_model("llama-4")


def test_invalid_specs_raise():
    with pytest.raises(ValueError, match="n_layers must be >= 1"):
        ie.ModelSpec(id="x", name="x", n_layers=0, d_model=8, n_heads=2, n_kv_heads=1, d_head=4,
                     d_ff=16, ffn="swiglu", vocab_size=10)
    with pytest.raises(ValueError, match="multiple of n_kv_heads"):
        ie.ModelSpec(id="x", name="x", n_layers=1, d_model=8, n_heads=3, n_kv_heads=2, d_head=4,
                     d_ff=16, ffn="swiglu", vocab_size=10)
    with pytest.raises(ValueError, match="ffn must be one of"):
        ie.ModelSpec(id="x", name="x", n_layers=1, d_model=8, n_heads=2, n_kv_heads=1, d_head=4,
                     d_ff=16, ffn="relu", vocab_size=10)
    with pytest.raises(ValueError, match="bytes_per_element must be > 0"):
        ie.get_model("llama-3-8b").kv_bytes_per_token(0)
    with pytest.raises(ValueError, match="context_tokens must be >= 0"):
        ie.get_model("llama-3-8b").flop_per_token(-1)
