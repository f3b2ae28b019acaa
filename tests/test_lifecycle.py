"""Lifecycle compute: 6ND vs 2N per token, against hand-worked and published numbers."""

import numpy as np
import pytest

import inferecon as ie


def test_chinchilla_training_compute():
    # Chinchilla: 70e9 params x 1.4e12 tokens x 6 = 5.88e23 FLOP (Hoffmann et al. 2022 quote
    # ~5.76e23 for Gopher's budget; the 2% gap is 70B/1.4T vs their 67B/1.5T row)
    assert float(ie.training_flop(70e9, 1.4e12)) == pytest.approx(5.88e23, rel=1e-12)


def test_gpt3_training_compute_matches_published():
    # Brown et al. 2020 Table D.1: GPT-3 175B used 3.14e23 FLOP (6 x 174.6e9 x 300e9 = 3.14e23)
    m = ie.get_model("gpt-3-175b")
    assert float(ie.training_flop(m.total_params, m.training_tokens)) == pytest.approx(3.14e23, rel=5e-3)


def test_crossover_is_3d_and_independent_of_n():
    d = np.array([1e11, 1.4e12, 15e12])
    np.testing.assert_allclose(ie.crossover_tokens(d), 3 * d)
    for n in (1e9, 70e9, 1e12):
        np.testing.assert_allclose(ie.crossover_tokens(d, params=n), 3 * d, rtol=1e-15)
        # at the crossover the two bills are equal
        np.testing.assert_allclose(ie.inference_flop(n, 3 * d), ie.training_flop(n, d), rtol=1e-15)


def test_attention_moves_crossover_earlier():
    # 2N = 2e11, a*l = 1e11 -> T = 6ND / 3e11 = 2D
    assert float(ie.crossover_tokens(1e12, params=1e11, attention_flop_per_token=1e11)) == pytest.approx(2e12)
    with pytest.raises(ValueError, match="params is required"):
        ie.crossover_tokens(1e12, attention_flop_per_token=1.0)


def test_inference_factor_and_days():
    # 1e9 requests/day x 1000 tokens = 1e12 tokens/day; 3D = 45e12 -> 45 days
    assert float(ie.crossover_days(15e12, 1e9, 1000)) == pytest.approx(45.0)
    assert float(ie.inference_factor(45e12, 15e12)) == pytest.approx(1.0)
    assert float(ie.crossover_requests(1e12, 1000)) == pytest.approx(3e9)


def test_cost_crossover():
    # 3 x 1.4e12 x 0.12 / 0.45 = 1.12e12
    assert float(ie.cost_crossover_tokens(1.4e12, 0.45, 0.12)) == pytest.approx(1.12e12)


def test_strategy_regimes():
    assert ie.strategy_for(0.01)[0] == "training dominates"
    assert ie.strategy_for(0.5)[0] == "training-heavy"
    assert ie.strategy_for(3)[0] == "inference-heavy"
    assert ie.strategy_for(100)[0] == "inference dominates"


def test_scenarios_ordered_by_volume():
    volumes = [s.lifetime_tokens for s in ie.SCENARIOS]
    assert volumes == sorted(volumes)
    # major API: 1e9 requests/day x 1000 tokens x 365 days
    assert ie.SCENARIOS[-1].lifetime_tokens == pytest.approx(3.65e14)


@pytest.mark.parametrize("call,match", [
    (lambda: ie.training_flop(-1, 1e12), "params must be > 0"),
    (lambda: ie.training_flop(1e9, 0), "tokens must be > 0"),
    (lambda: ie.inference_flop(1e9, -5), "tokens must be >= 0"),
    (lambda: ie.crossover_days(1e12, 0, 100), "requests_per_day must be > 0"),
    (lambda: ie.crossover_days(1e12, 10, float("nan")), "tokens_per_request must not contain NaN"),
    (lambda: ie.cost_crossover_tokens(1e12, 1.5, 0.1), r"training_utilization must lie in \(0, 1\]"),
    (lambda: ie.strategy_for(-1), "factor must be >= 0"),
    (lambda: ie.Scenario(name="x", requests_per_day=-1, tokens_per_request=1, lifetime_days=1),
     "requests_per_day must be > 0"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_vectorized():
    r = np.logspace(2, 10, 1000)
    days = ie.crossover_days(15e12, r, 1000)
    assert days.shape == (1000,) and np.all(np.diff(days) < 0)
