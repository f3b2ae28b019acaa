"""What a figure says in words (issue 16): every figure has a name, a caption that opens with its
takeaway, and an alt text that describes what is drawn, in the layout the figure now has."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "src" / "chapters").glob("*.md"))


def figures(path: Path) -> list[dict]:
    nb = jupytext.read(path)
    return [c.metadata["mystnb"] for c in nb.cells
            if c.cell_type == "code" and "figure" in c.metadata.get("mystnb", {})]


ALL = [(p.stem, f) for p in CHAPTERS for f in figures(p)]


def test_the_book_has_its_figures():
    assert len(ALL) >= 40


@pytest.mark.parametrize("stem,fig", ALL, ids=[f"{s}:{f['figure'].get('name', '?')}" for s, f in ALL])
def test_caption_opens_with_its_takeaway_and_alt_text_describes_the_figure(stem, fig):
    name = fig["figure"].get("name", "")
    caption = " ".join(str(fig["figure"].get("caption", "")).split())
    alt = " ".join(str(fig.get("image", {}).get("alt", "")).split())
    assert re.fullmatch(r"fig-[a-z0-9-]+", name), name
    # the takeaway: the caption's first sentence, in bold, a claim (not a title): 5+ words
    m = re.match(r"\*\*(?P<t>[^*]+?[.!?])\*\*\s+\S", caption)
    assert m, f"{name}: the caption should open with a bold takeaway sentence: {caption[:90]!r}"
    assert len(m["t"].split()) >= 5, f"{name}: takeaway too short: {m['t']!r}"
    # what is drawn: a description, not a file name; panels are stacked, never left/right
    assert len(alt.split()) >= 30, f"{name}: alt text of {len(alt.split())} words"
    assert not re.search(r"\.(png|svg|jpe?g)\b|_images/|/tmp/|\\", alt), f"{name}: alt text looks like a path"
    for text in (alt, caption):
        assert not re.search(r"\b(left|right)(:| panel)|\bside by side\b", text, flags=re.I), (
            f"{name}: says left/right panels, but every figure stacks its panels: {text[:120]!r}")
