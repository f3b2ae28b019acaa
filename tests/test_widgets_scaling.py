"""Chapter 3 explorers: setting a control updates the output label (no kernel needed)."""

import pytest

from inferecon.training import lifetime
from inferecon.widgets import scaling as ws


def test_break_even_explorer_default_and_controls():
    ex = ws.make_break_even_explorer()
    # default: 35B matching 70B/1.4T under the refit; T* = 2.54e12 (tests/test_scaling.py)
    assert "A 35B model needs <b>3.65T tokens</b>" in ex.result.value
    assert "T* = 2.54e+12 inference tokens" in ex.result.value
    ex.params_small.value = 7e9
    assert "No break-even" in ex.result.value
    assert "loss floor (infinite data) is 1.9987" in ex.result.value
    ex.fit.value = "hoffmann2022"  # the printed fit lets 7B match, with 39.6T tokens
    assert "A 7B model needs <b>39.6T tokens</b>" in ex.result.value
    assert "T* = 8.54e+12" in ex.result.value
    ex.params_small.value = 20e9  # cheaper to train too under the printed fit
    assert "no break-even needed" in ex.result.value
    ex.params_small.value = 80e9
    assert ex.result.value.startswith("Choose a smaller model")


def test_break_even_text_matches_package():
    d = float(lifetime.matched_loss_tokens("besiroglu2024", 70e9, 1.4e12, 50e9))
    t = float(lifetime.break_even_inference_tokens(70e9, 1.4e12, 50e9, d))
    assert f"T* = {t:.3g} inference tokens" in ws.break_even_text("besiroglu2024", 70e9, 1.4e12, 50e9)


def test_lifetime_explorer_controls():
    ex = ws.make_lifetime_optimal_explorer()
    cmp = lifetime.compare_lifetime_optimal("besiroglu2024", 70e9, 1e13)
    assert f"saves <b>{100 * cmp.fraction_saved:.1f}%</b>" in ex.result.value
    ex.inference_tokens.value = 1e8  # negligible demand: the compute-optimal model, no saving
    assert "saves <b>0.0%</b>" in ex.result.value
    assert "<b>70B parameters</b>" in ex.result.value
    ex.fit.value = "sardana2024"
    ex.baseline_params.value = 13e9
    ex.inference_tokens.value = 2e12  # Sardana et al.'s example: about 7B, 17% saved
    assert "<b>6.97B parameters</b>" in ex.result.value
    assert "saves <b>17.4%</b>" in ex.result.value


def test_unknown_fit_id_is_rejected():
    with pytest.raises(ValueError, match="valid ids are"):
        ws.make_break_even_explorer(fit="kaplan2020")
