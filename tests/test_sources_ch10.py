"""Chapter 10's source statements, quoted, recomputed by hand, and held against the course's figures.

Each test states what a source (or the old chapter) says, recomputes it by a second route (plain
arithmetic, not the package function under test) and checks the package and the chapter against
that. Issue 14: items 3 (Brenndoerfer's cost table, chapter 10 part), 8 (prefill pauses decoding)
and 18 ("seed").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _chapters import prose, stored_value

from inferecon.planning import planner

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "src" / "chapters" / "10_choosing_deployment.md").read_text(encoding="utf-8")
NOTEBOOK = json.loads((ROOT / "chapters" / "10_choosing_deployment.ipynb").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# Issue 14 item 3: Brenndoerfer's cost table (brenndoerfer2025inference), 7B on one A100 80GB.
# Table: 143 tokens/s, $7.78 per million, "$39,277" a month. Text: "$0.028 per million", "$140".
TABLE_TPS, TABLE_USD_PER_M, TABLE_MONTH = 143.0, 7.78, 39_277.0
TEXT_USD_PER_M, TEXT_MONTH = 0.028, 140.0
A100_BF16 = 312e12                    # FLOP/s, dense
L2_7B_MATMUL = 6_607_077_376          # Llama 2 7B minus its 32,000 x 4,096 input embedding


def _prose(text: str) -> str:
    return prose(text)


def _stored(expression: str) -> str:
    return stored_value(NOTEBOOK, expression, partial=False)

def test_table_implies_four_dollars_per_gpu_hour():
    # $7.78 per 1e6 tokens x 143 tokens/s x 3,600 s = $4.005 per hour
    price = TABLE_USD_PER_M / 1e6 * TABLE_TPS * 3600
    assert price == pytest.approx(4.005, abs=1e-3)
    assert float(_stored('f"{table_price:.2f}"')) == pytest.approx(price, abs=0.006)


def test_39277_and_140_are_one_workload():
    # $140 / $0.028 per million = 5.0e9 tokens; $39,277 / 5,000 million = $7.855 per million,
    # within 1% of the table's $7.78; the bills' ratio 280.6 is the unit prices' ratio 280.7
    volume = TEXT_MONTH / TEXT_USD_PER_M * 1e6
    assert volume == pytest.approx(5.0e9, rel=1e-12)
    assert TABLE_MONTH / (volume / 1e6) == pytest.approx(7.855, abs=1e-3)
    assert abs(TABLE_MONTH / (volume / 1e6) / TABLE_USD_PER_M - 1) < 0.01
    assert TABLE_MONTH / TEXT_MONTH == pytest.approx(7.86 / TEXT_USD_PER_M, rel=0.002)
    assert _stored('f"{volume / 1e9:.1f}"') == "5.0" and _stored('f"{table_month_per_m:.2f}"') == "7.86"


def test_0028_is_below_the_floor_at_the_implied_price():
    # unbounded batch: 2 x 6.607e9 FLOP per token at 312e12 FLOP/s = 42.35 us of an A100;
    # at $4.005/h that is 42.35e-6 x 4.005 / 3600 x 1e6 = $0.0471 per million > $0.028
    price = TABLE_USD_PER_M / 1e6 * TABLE_TPS * 3600
    floor = 2 * L2_7B_MATMUL / A100_BF16 * price / 3600 * 1e6
    assert floor == pytest.approx(0.0471, abs=2e-4) and floor > TEXT_USD_PER_M
    assert float(_stored('f"{floor_per_m:.3f}"')) == pytest.approx(floor, abs=6e-4)


def test_chapter_no_longer_calls_them_different_workloads():
    prose = _prose(SOURCE)
    assert "cannot describe the same workload" not in prose
    assert "do not come from one calculation" not in prose
    assert "the same workload" in prose
    # priced with the table's rate, not the catalogue's A100 price
    assert "price_usd_per_hour=table_price" in SOURCE


# ------------------------------------------------------------------------------------------
# Issue 14 item 8: the old planner's Llama 3 70B bf16 plan (batch 358, 20 ms steps, 35 ms of
# prefill, ~20 requests/s) spends 0.72 s of every second prefilling: ~71 ms per output token.

def test_old_plan_misses_its_target_by_hand():
    t, b, p, n = 0.020, 358, 0.035, 250
    rate = 1 / (n * t / b + p)                       # 20.42 requests/s
    share = rate * p                                 # 0.715 s of prefill per second
    assert share == pytest.approx(0.715, abs=1e-3)
    per_token = t / (1 - share)                      # 70.1 ms
    assert per_token == pytest.approx(t + b * p / n, rel=1e-12) == pytest.approx(0.0701, abs=1e-4)
    assert float(planner.seconds_per_output_token(t, b, p, n)) == pytest.approx(per_token, rel=1e-12)
    # at 80% load: 20 / (1 - 0.8 x 0.715) = 46.7 ms
    assert float(planner.seconds_per_output_token(t, b, p, n, load=0.8)) == pytest.approx(
        t / (1 - 0.8 * share), rel=1e-12) == pytest.approx(0.0467, abs=1e-4)


def test_chapter_plan_meets_its_target_with_prefill_pauses():
    shape = planner.Workload(requests_per_s=1.0, peak_to_average=3.0, input_tokens=1000, output_tokens=250)
    cfg = planner.ReplicaConfig(model="llama-3-70b", n_devices=4)
    p = planner.plan(shape, cfg)
    # by hand, at the plan's own step, batch and prefill: t + b p / t_out within 50 ms
    assert p.step_seconds + p.batch * p.prefill_seconds / 250 <= 0.050 + 1e-12
    # the batch a decode-only check picks (the old planner) misses it under interleaved prefill
    naive = planner.plan(shape, planner.ReplicaConfig(model="llama-3-70b", n_devices=4,
                                                      prefill_scheduling="disaggregated"))
    assert naive.batch > p.batch
    assert naive.step_seconds + naive.batch * naive.prefill_seconds / 250 > 0.060
    assert int(_stored('f"{p_large.batch}"')) == p.batch


# ------------------------------------------------------------------------------------------
# Issue 14 item 18: no "seed" in chapter 10; Brenndoerfer is named and cited.

def test_no_seed_in_chapter_8():
    assert not re.search(r"\bseeds?\b", SOURCE, flags=re.I)
    assert "SEED_" not in SOURCE
    assert "{cite}`brenndoerfer2025inference`" in SOURCE
    assert "Inference\nScaling: Optimizing LLMs for Production Deployment" in SOURCE \
        or "Inference Scaling: Optimizing LLMs for Production Deployment" in SOURCE
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    assert bib.count("@misc{brenndoerfer2025inference,") == 1
