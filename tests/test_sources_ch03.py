"""Chapter 3's corrected source statements: each quoted, recomputed by hand, and held against
the figure the course shows (the package function and the value stored in the notebook).

Sources
- Brenndoerfer, "Inference Scaling: Optimizing LLMs for Production Deployment", Language AI
  Handbook, 2025 (brenndoerfer2025inference): the break-even example.
- Erdil, "Inference economics of language models", 2025 (erdil2025inference): the 15% decode
  utilization of 16-bit Llama 3 70B on H100s; Sardana et al. 2024 (sardana2024beyond): the
  cost variant, inference priced at the H100's fp8 peak.
"""

from __future__ import annotations

import numpy as np
import pytest
from _student_visible import stored_value

import inferecon as ie
from inferecon.training import lifetime
from inferecon.training import scaling as sc


def _shown(expression: str) -> str:
    """The text the chapter shows for an {eval} expression (stored in the notebook)."""
    return stored_value("03_overtraining", expression)


# ---------------------------------------------------------------- Brenndoerfer's break-even
# Quoted: the 7B option on 4T tokens is the cheaper one to train; then the hypothetical
# "if the 7B model required 1e24 FLOPs (an additional 8e23 over the 70B option)", a break-even
# near 6.3e12 inference tokens (12.6e9 requests), and "roughly 3.4 years" for 10,000 users
# making 10 requests a day.
QUOTED_TOTAL = 1e24
QUOTED_EXTRA = 8e23
QUOTED_BREAK_EVEN = 6.3e12
QUOTED_REQUESTS = 12.6e9
QUOTED_YEARS = 3.4


def test_brenndoerfer_7b_on_4t_is_cheaper_to_train():
    # by hand: 6 x 70e9 x 1.4e12 = 5.88e23; 6 x 7e9 x 4e12 = 1.68e23
    assert 6 * 70e9 * 1.4e12 == pytest.approx(5.88e23)
    assert 6 * 7e9 * 4e12 == pytest.approx(1.68e23)
    be = lifetime.compare_break_even(70e9, 1.4e12, 7e9, 4e12)
    assert be.case == "smaller-always-cheaper" and be.inference_tokens == 0.0
    assert -be.extra_training_flop == pytest.approx(4.2e23)


def test_brenndoerfer_extra_compute_is_a_wrong_subtraction():
    extra = QUOTED_TOTAL - 6 * 70e9 * 1.4e12        # over the 70B option: 4.12e23
    assert extra == pytest.approx(4.12e23)
    assert QUOTED_TOTAL - 6 * 7e9 * 4e12 == pytest.approx(8.32e23)   # what was subtracted
    assert abs(QUOTED_EXTRA - extra) / extra > 0.9                    # the quote is ~2x off
    assert _shown("format_sci(extra_hypo)") == "4.12 × 10²³"


def test_brenndoerfer_break_even_volume():
    # by hand: T* = extra / (2 (N1 - N2)) = 4.12e23 / 1.26e11 = 3.27e12
    hand = (QUOTED_TOTAL - 6 * 70e9 * 1.4e12) / (2 * (70e9 - 7e9))
    assert hand == pytest.approx(3.27e12, rel=1e-3)
    # the quoted figure is 8e23 / 1.26e11 = 6.35e12
    assert QUOTED_EXTRA / (2 * 63e9) == pytest.approx(QUOTED_BREAK_EVEN, rel=0.01)
    # the course's figure: the package with the 7B's tokens at 1e24 FLOP, and the page
    d7 = float(sc.training_tokens_for_flop(7e9, QUOTED_TOTAL))
    assert d7 == pytest.approx(1e24 / 42e9)
    course = float(lifetime.break_even_inference_tokens(70e9, 1.4e12, 7e9, d7))
    assert course == pytest.approx(hand, rel=1e-12)
    assert course < 0.55 * QUOTED_BREAK_EVEN
    assert _shown("format_sci(t_hypo)") == "3.27 × 10¹²"


def test_brenndoerfer_years_of_traffic():
    per_day = 10_000 * 10                                 # requests a day
    tokens_per_request = QUOTED_BREAK_EVEN / QUOTED_REQUESTS
    assert tokens_per_request == pytest.approx(500)
    years_quoted = QUOTED_REQUESTS / per_day / 365.25     # 126,000 days
    assert years_quoted == pytest.approx(345, abs=1)
    years_corrected = (QUOTED_TOTAL - 5.88e23) / 1.26e11 / 500 / per_day / 365.25
    assert years_corrected == pytest.approx(179, abs=1)
    assert years_quoted / QUOTED_YEARS > 100             # "3.4 years" is off by ~100x
    # 3.4 years of 12.6e9 requests at 10 a day is 12.6e9 / 1,241.85 days / 10 = 1.01e6 users
    assert 12.6e9 / (3.4 * 365.25) / 10 == pytest.approx(1.01e6, rel=0.005)
    assert _shown("format_count(users_for_quoted_years)") == "1.01M"
    assert _shown('f"{years_quoted:,.0f}"') == "345"
    assert _shown('f"{years_hypo:,.0f}"') == "179"


# ------------------------------------------------------- decode MFU against which peak
def _cost_optimal_by_grid(target: float, t_eff: float) -> float:
    """Minimize 6ND + 2N T_eff on the refit's iso-loss curve by brute force over N."""
    f = sc.BESIROGLU_2024
    n = np.geomspace(11e9, 70e9, 400_001)
    slack = target - f.E - f.A / n ** f.alpha
    d = (f.B / slack) ** (1 / f.beta)
    return float(n[np.argmin(6 * n * d + 2 * n * t_eff)])


def test_erdil_15pct_is_of_the_bf16_peak():
    # Erdil's 15% is for 16-bit Llama 3 70B on H100s: a fraction of the bf16 peak (989.4 TFLOP/s).
    # On the fp8 peak (1978.9 TFLOP/s) the same useful FLOP/s is 15% x 989.4 / 1978.9 = 7.5%.
    h100 = ie.get_accelerator("h100-sxm")
    assert h100.peak_flop_per_s("bf16") == 989.4e12 and h100.peak_flop_per_s("fp8") == 1978.9e12
    u_fp8 = 0.15 * 989.4e12 / 1978.9e12
    assert u_fp8 == pytest.approx(0.075, rel=1e-4)
    # c/u, the price of a used FLOP, is the same on either basis
    assert (float(lifetime.usd_per_flop(2.0, 989.4e12)) / 0.15
            == pytest.approx(float(lifetime.usd_per_flop(2.0, 1978.9e12)) / u_fp8, rel=1e-12))


def test_cost_optimal_size_at_erdils_utilization():
    h100 = ie.get_accelerator("h100-sxm")
    c_tr = float(lifetime.usd_per_flop(h100.price_usd_per_hour, 989.4e12))
    c_inf = float(lifetime.usd_per_flop(h100.price_usd_per_hour, 1978.9e12))
    bes = sc.BESIROGLU_2024
    target = float(sc.loss(bes, 70e9, sc.compute_optimal_tokens_for_params(bes, 70e9)))  # as on the page
    t_in, t_out = 1e10 * 70, 1e10 * 215
    sizes = {}
    for u_dec in (0.075, 0.15):
        # by hand: cost = (c_tr/0.5) (6ND + 2N T_eff) with T_eff = (c_inf/c_tr) 0.5 (T_in/0.5 + T_out/u_dec)
        t_eff = (c_inf / c_tr) * 0.5 * (t_in / 0.5 + t_out / u_dec)
        hand = _cost_optimal_by_grid(target, t_eff)
        n, _ = lifetime.lifetime_cost_optimal(sc.BESIROGLU_2024, target, t_in, t_out,
                                        training_usd_per_flop=c_tr, inference_usd_per_flop=c_inf,
                                        training_mfu=0.5, prefill_mfu=0.5, decode_mfu=u_dec)
        assert float(n) == pytest.approx(hand, rel=1e-4)
        sizes[u_dec] = float(n)
    assert sizes[0.075] == pytest.approx(35.1e9, rel=0.005)   # the course's figure
    assert sizes[0.15] == pytest.approx(41.2e9, rel=0.005)    # the old figure, 15% of the fp8 peak
    assert _shown("format_count(cost_optimal_n[0.075])") == "35.1B"


# ------------------------------------------------------------- published token counts
@pytest.mark.parametrize("name,params,tokens,shown", [
    ("LLaMA-7B", 6.7e9, 1.0e12, "7.5"),     # Touvron et al. 2023, Table 2
    ("LLaMA-13B", 13.0e9, 1.0e12, "3.8"),
    ("Phi-2", 2.7e9, 1.4e12, "25.9"),        # Javaheripi et al. 2023
])
def test_overtraining_ratios_of_published_models(name, params, tokens, shown):
    hand = tokens / (20 * params)
    assert f"{hand:.1f}" == shown
    assert _shown(f"f\"{{ratio['{name}']:.1f}}\"") == shown


def test_llama3_8b_ratio():
    # about 15T tokens (Grattafiori et al. 2024) on 8,030,261,248 parameters (configuration)
    n = ie.get_model("llama-3-8b").total_params
    assert n == pytest.approx(8.03e9, rel=1e-3)
    assert 15e12 / n == pytest.approx(1868, abs=1)
    assert _shown("f\"{llama3.tokens / llama3.params:,.0f}\"") == "1,868"
    assert _shown("f\"{ratio['Llama 3 8B']:.1f}\"") == f"{15e12 / (20 * n):.1f}" == "93.4"


# ------------------------------------------------- Sardana et al.'s Figure 1 example
def test_sardana_figure1_by_brute_force():
    # Quoted: for "Chinchilla-13B" quality and 2e12 inference tokens, the lifetime-optimal model
    # has about 7B parameters and saves 1.7e22 FLOP (17%). Second route: the baseline is 13B at
    # the fit's own compute optimum, N_opt(C) = G (C/6)^a with G = (alpha A/(beta B))^(1/(alpha+beta))
    # and a = beta/(alpha+beta); then minimize 6ND + 2NT on the iso-loss curve over a grid of N.
    f = sc.SARDANA_2024
    g = (f.alpha * f.A / (f.beta * f.B)) ** (1 / (f.alpha + f.beta))
    a = f.beta / (f.alpha + f.beta)
    # N_opt(C) = g (C/6)^a  =>  C(13e9) = 6 (13e9/g)^(1/a), D0 = C / (6 x 13e9)
    d0 = (13e9 / g) ** (1 / a) / 13e9
    ell = f.E + f.A / 13e9 ** f.alpha + f.B / d0 ** f.beta
    n = np.geomspace(2e9, 13e9, 400_001)
    slack = ell - f.E - f.A / n ** f.alpha
    ok = slack > 0
    n, d = n[ok], (f.B / slack[ok]) ** (1 / f.beta)
    total = 6 * n * d + 2 * n * 2e12
    i = int(np.argmin(total))
    base = 6 * 13e9 * d0 + 2 * 13e9 * 2e12
    assert n[i] == pytest.approx(6.97e9, rel=0.005)               # "about 7B"
    assert base - total[i] == pytest.approx(1.7e22, rel=0.01)     # "1.7e22 FLOP"
    assert (base - total[i]) / base == pytest.approx(0.174, abs=0.001)   # "17%"
    cmp = lifetime.compare_lifetime_optimal(f, 13e9, 2e12)
    assert cmp.baseline_tokens == pytest.approx(d0, rel=1e-6)
    assert cmp.optimal_params == pytest.approx(n[i], rel=1e-4)
    assert _shown("format_count(cmp.optimal_params)") == "6.97B"
    assert _shown("format_sci(cmp.flop_saved)") == "1.69 × 10²²"
