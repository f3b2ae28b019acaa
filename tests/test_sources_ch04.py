"""Chapter 4's source statements, quoted, recomputed by hand, and held against the course's figures.

Each test states what a source (or the chapter) says, recomputes it by a second route (plain
arithmetic here, not the package function under test) and checks the package and the chapter
against that. The KV cache, capacity, prefill and Brenndoerfer's cost table are chapter 5's
(`test_sources_ch05.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

import inferecon as ie
from inferecon.serving import costs

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = (ROOT / "src" / "chapters" / "04_roofline.md").read_text(encoding="utf-8")

MIB = 2**20
A100_BF16 = 312e12                    # FLOP/s, dense (NVIDIA A100 datasheet)
H100_BF16 = 989.4e12
L2_7B_MATMUL = 6_607_077_376          # Llama 2 7B: 6.74B parameters minus the 32,000 x 4,096 embedding
L3_70B_TOTAL = 70_553_706_496
L3_70B_MATMUL = 69_501_714_432
L3_70B_KV_BF16 = 2 * 8 * 128 * 80 * 2  # K and V x 8 KV heads x 128 x 80 layers x 2 B = 327,680


def _prose(text: str) -> str:
    """The chapter without its code cells (what a reader reads)."""
    return re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)


# ---------------------------------------------------------------------------------------------
# Erdil (erdil2025inference) and the scaling book (austin2025scaling), as quoted in chapter 4.
# ---------------------------------------------------------------------------------------------
def test_h100_bstar_figure_sets():
    assert 2 * H100_BF16 / (2 * 3.35e12) == pytest.approx(295.3, abs=0.05)      # datasheet, dense
    assert 2 * 2 * H100_BF16 / (2 * 3.35e12) == pytest.approx(590.7, abs=0.05)  # "with sparsity"
    assert 1e15 / 3.3e12 == pytest.approx(303.0, abs=0.05)                      # Erdil's round numbers
    assert 1e15 / 3.35e12 == pytest.approx(298.5, abs=0.05)                     # scaling book
    assert float(ie.dense_optimal_batch("h100-sxm")) == pytest.approx(2 * H100_BF16 / (2 * 3.35e12), rel=1e-12)


def test_erdil_70b_floor_about_eleven_cents():
    # 2N FLOP per token at 70% of 989.4 TFLOP/s, $2 per hour: "about $0.11" per million
    floor = 2 * L3_70B_MATMUL / (0.70 * H100_BF16) * 2.0 / 3600 * 1e6
    assert floor == pytest.approx(0.1115, abs=1e-4)
    assert float(costs.decode_floor_usd_per_million_tokens("h100-sxm", "llama-3-70b",
                                                           flop_utilization=0.70)) == pytest.approx(floor, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Issue 14 item 18: no "seed" in the chapter; Brenndoerfer is named and cited.
# ---------------------------------------------------------------------------------------------
def test_no_seed_in_the_chapter():
    assert not re.search(r"\bseed", CHAPTER, flags=re.I)
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    assert bib.count("@misc{brenndoerfer2025inference,") == 1
    assert bib.count("@misc{modal2024gpumemory,") == 1


def test_pope_decode_mfu_range():
    # Pope et al. Table 2: decode MFU 14% (low-latency, int8) and 33% (high-throughput, bf16)
    assert "14–33% MFU" in _prose(CHAPTER)
