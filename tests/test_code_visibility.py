"""One rule for which code a chapter shows (``tests/_visibility.py`` states it), held on every chapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _visibility import (
    REMOVE_CELL,
    REMOVE_INPUT,
    SHOW,
    actual,
    expected,
    lesson_cells,
    package_aliases,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _code_sources(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def violations(nb: dict) -> list[str]:
    aliases = package_aliases(_code_sources(nb))
    out = []
    for i, src, tags, has_output in lesson_cells(nb):
        want, got = expected(src, aliases, has_output), actual(tags)
        if want != got:
            out.append(f"cell {i}: is {got}, the rule says {want}: {src.splitlines()[0][:70]!r}")
    return out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_lesson_cell_follows_the_visibility_rule(notebook):
    assert violations(json.loads(notebook.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_collapsed_code_anywhere(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    tags = {t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])}
    assert not tags & {"hide-input", "hide-cell"}


def _nb(*cells: tuple[str, list[str], bool]) -> dict:
    setup = "import inferecon as ie\nfrom inferecon.serving import roofline as rl\nfrom inferecon.plots import roofline as rp"
    return {"cells": [{"cell_type": "code", "source": setup, "metadata": {}, "outputs": []}] + [
        {"cell_type": "code", "source": s, "metadata": {"tags": t}, "outputs": [{"x": 1}] if o else []}
        for s, t, o in cells]}


def test_the_rule_classifies_each_kind_of_cell():
    aliases = package_aliases(["import inferecon as ie\nfrom inferecon.serving import roofline as rl\n"
                               "from inferecon.plots import roofline as rp\nfrom inferecon.symbolic import roofline as sym"])
    assert expected("x = rl.decode_step(d, 1)\nx", aliases, True) == SHOW
    assert expected("fig = rp.step_time_vs_batch(['h100-sxm'], 'llama-3-8b')\nfig", aliases, True) == REMOVE_INPUT
    assert expected("Markdown(ie.tables.markdown_table(['a'], rows))", aliases, True) == REMOVE_INPUT
    assert expected("sym.optimal_batch()", aliases, True) == REMOVE_INPUT
    assert expected("eq = sym.optimal_batch()", aliases, False) == SHOW
    assert expected("nums.a = float(rl.optimal_batch('h100-sxm', 'llama-3-8b'))", aliases, False) == REMOVE_CELL
    assert expected("print(f'{x:.2f}')", aliases, True) == REMOVE_INPUT
    assert expected("from inferecon.serving import costs", aliases, False) == SHOW


def test_the_rule_catches_a_shown_figure_and_a_hidden_computation():
    bad = _nb(("fig = rp.step_time_vs_batch(['h100-sxm'], 'llama-3-8b')\nfig", [], True),
              ("t = rl.decode_step_seconds('h100-sxm', 'llama-3-8b', 1)\nt", ["remove-input"], True),
              ("fig = rp.cost_vs_batch(['h100-sxm'], 'llama-3-8b')\nfig", ["hide-input"], True))
    found = violations(bad)
    assert len(found) == 3, found
    good = _nb(("fig = rp.step_time_vs_batch(['h100-sxm'], 'llama-3-8b')\nfig", ["remove-input"], True),
               ("t = rl.decode_step_seconds('h100-sxm', 'llama-3-8b', 1)\nt", [], True))
    assert violations(good) == []
