"""Distillation: one-off cost of a student against serving savings."""

import numpy as np
import pytest

from inferecon.training import distillation as ds


def test_training_cost_by_hand():
    # 6 * 8e9 * 1e12 = 4.8e22 FLOP at 40% of 989.4e12 FLOP/s = 1.2129e8 GPU-s = 33,691 h x $2 = $67,381
    assert float(ds.training_cost_usd(8e9, 1e12, "h100-sxm", 0.4)) == pytest.approx(
        4.8e22 / (0.4 * 989.4e12) / 3600 * 2.0, rel=1e-12)
    assert float(ds.training_cost_usd(8e9, 1e12, "h100-sxm", 0.4)) == pytest.approx(67_381, rel=1e-4)


def test_generation_and_total_cost_by_hand():
    # 1e11 tokens at $0.50/M = $50,000; plus training 1e9 params on 1e11 tokens at 50% MFU:
    # 6e20 / (0.5 * 989.4e12) = 1.2129e6 s = 336.9 h x $2 = $673.8
    gen = ds.generation_cost_usd(1e11, 0.5)
    assert float(gen) == pytest.approx(50_000.0, rel=1e-12)
    total = ds.distillation_cost_usd(1e9, 1e11, 0.5, mfu=0.5)
    assert float(total) == pytest.approx(50_000 + 6e20 / (0.5 * 989.4e12) / 3600 * 2, rel=1e-12)


def test_breakeven_by_hand():
    # $100,000 one-off, saves $0.40 per million tokens: 2.5e11 tokens
    t = ds.breakeven_tokens(1e5, 0.5, 0.1)
    assert float(t) == pytest.approx(2.5e11, rel=1e-12)
    # lifetime costs are equal there
    big = ds.lifetime_cost_usd(0.0, 0.5, t)
    small = ds.lifetime_cost_usd(1e5, 0.1, t)
    assert float(big) == pytest.approx(float(small), rel=1e-12)


def test_breakeven_falls_with_bigger_savings():
    t = ds.breakeven_tokens(1e5, np.array([0.2, 0.5, 1.0]), 0.1)
    assert np.all(np.diff(t) < 0)


def test_never_pays_back():
    with pytest.raises(ValueError, match="never pays back"):
        ds.breakeven_tokens(1e5, 0.1, 0.2)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"mfu must lie in \(0, 1\]"):
        ds.training_cost_usd(8e9, 1e12, "h100-sxm", 1.5)
    with pytest.raises(ValueError, match="tokens must be >= 0"):
        ds.generation_cost_usd(-1, 0.5)
