"""Guards for the chapter notebooks that nbval alone cannot give.

nbval runs every code cell but silently compares nothing for a cell whose stored
``execution_count`` is None, so a notebook with stripped outputs would pass as a smoke test.
These tests fail instead. They also check that each executed notebook matches its MyST
source and that the book's table of contents lists every chapter.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
SOURCES = sorted((ROOT / "src" / "chapters").glob("*.md"))

_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
assert _spec and _spec.loader
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 2
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_has_stored_execution(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} have no stored execution; run `make outputs`"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not executed top to bottom once: {counts}"
    for c in code:
        assert "execution" not in c.get("metadata", {}), f"{path.name}: execution timestamps stored"
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name}: a stored output is an error"
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {}), \
                f"{path.name}: widget model id stored (churns on every run)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_matches_its_source(path):
    src = ROOT / "src" / "chapters" / (path.stem + ".md")
    assert src.exists(), f"{path.name} has no source {src.relative_to(ROOT)}"
    expected = execute_notebooks.cell_signature(execute_notebooks.parse_myst(src.read_text(encoding="utf-8")))
    actual = execute_notebooks.cell_signature(nbformat.read(path, as_version=4))
    assert actual == expected, f"{path.name} is out of date with {src.name}; run `make outputs`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_inferecon(path):
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "import inferecon" in code


def test_toc_lists_every_chapter():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"chapters/{path.stem}" in toc, f"{path.stem} is missing from _toc.yml"
