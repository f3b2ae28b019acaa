"""The chapter-1 explorer: setting a control updates the result label."""

import pytest

import inferecon as ie
from inferecon.widgets.lifecycle import make_crossover_explorer


def test_explorer_updates_on_traffic_change():
    ex = make_crossover_explorer(model="Llama 3 70B", requests_per_day=1e7, tokens_per_request=1000)
    # 3 x 15e12 / (1e7 x 1000) = 4,500 days
    assert "4,500.0 days" in ex.result.value
    ex.requests_per_day.value = 1e9
    assert "45.0 days" in ex.result.value and "2025-02-15" in ex.result.value


def test_model_change_resets_training_tokens():
    ex = make_crossover_explorer()
    ex.model.value = "GPT-3 175B"
    assert ex.training_tokens.value == ie.get_model("gpt-3-175b").training_tokens
    assert "GPT-3 175B" in ex.result.value


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'GPT-5'"):
        make_crossover_explorer(model="GPT-5")
