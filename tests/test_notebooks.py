"""Guards for the chapter notebooks that nbval alone cannot give.

nbval runs every code cell but silently compares nothing for a cell whose stored
``execution_count`` is None, so a notebook with stripped outputs would pass as a smoke test.
These tests fail instead. They also check that each notebook matches its jupytext source, that
every number in the prose has a stored value a student sees in JupyterLab (and the book
renders), that nothing a student would see raw (a glue role) is left, that no stored output
nbval compares is a byte-level image, and that the book's table of contents lists every chapter.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
SOURCES = sorted((ROOT / "src" / "chapters").glob("*.md"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
assert _spec and _spec.loader
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 2
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_has_stored_execution(path):
    nb = _nb(path)
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_compared_output_is_an_image(path):
    # nbval skips image/png and image/jpeg but compares every other key byte for byte: a figure
    # stored as SVG or as a glue record would fail on a machine whose last digits differ.
    for c in _nb(path)["cells"]:
        for out in c.get("outputs", []):
            for key in out.get("data", {}):
                assert key in ("image/png", "image/jpeg") or not key.startswith(("image/", "application/papermill")), \
                    f"{path.name}: stored output {key!r} would be compared byte for byte"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_widget_model_ids_are_numbered(path):
    # random model ids would churn on every run; tools/execute_notebooks.py numbers them
    text = path.read_text(encoding="utf-8")
    for mid in re.findall(r'"model_id": "([0-9a-f]{32})"', text):
        assert int(mid, 16) < 10_000, f"{path.name}: widget model id {mid} is not numbered"
    state = _nb(path)["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert all(int(k, 16) < 10_000 for k in state)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_matches_its_source(path):
    src = ROOT / "src" / "chapters" / (path.stem + ".md")
    assert src.exists(), f"{path.name} has no source {src.relative_to(ROOT)}"
    expected = execute_notebooks.cell_signature(execute_notebooks.read_source(src))
    actual = execute_notebooks.cell_signature(nbformat.read(path, as_version=4))
    assert actual == expected, f"{path.name} is out of date with {src.name}; run `make outputs`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_number_in_the_prose_has_a_stored_value(path):
    for i, c in enumerate(_nb(path)["cells"]):
        if c["cell_type"] != "markdown":
            continue
        wanted = execute_notebooks.inline_expressions("".join(c["source"]))
        stored = [e["expression"] for e in c["metadata"].get("user_expressions", [])]
        assert stored == wanted, f"{path.name} cell {i}: stored inline expressions {stored} != {wanted}"
        for e in c["metadata"].get("user_expressions", []):
            assert e["result"]["status"] == "ok" and e["result"]["data"].get("text/plain"), \
                f"{path.name} cell {i}: {{eval}}`{e['expression']}` has no value"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nothing_a_student_would_see_raw(path):
    # JupyterLab (with jupyterlab-myst) renders {eval}; it shows glue roles and directives raw.
    text = "\n".join("".join(c["source"]) for c in _nb(path)["cells"])
    for raw in ("{glue", "glue(", "myst_nb"):
        assert raw not in text, f"{path.name} still uses {raw!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_an_expression_has_one_value_per_notebook(path):
    # the book looks values up by expression; two values for one expression would be ambiguous
    seen: dict[str, object] = {}
    for c in _nb(path)["cells"]:
        for e in c["metadata"].get("user_expressions", []):
            data = e["result"]["data"]
            assert seen.setdefault(e["expression"], data) == data, \
                f"{path.name}: {{eval}}`{e['expression']}` has two different values"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_a_caption_name_and_alt_text(path):
    for i, c in enumerate(_nb(path)["cells"]):
        if c["cell_type"] != "code" or not any("image/png" in o.get("data", {}) for o in c.get("outputs", [])):
            continue
        if "remove-output" in c["metadata"].get("tags", []):
            continue
        meta = c["metadata"].get("mystnb", {})
        fig = meta.get("figure", {})
        assert fig.get("caption") and fig.get("name"), f"{path.name} cell {i}: a figure without caption or name"
        assert meta.get("image", {}).get("alt"), f"{path.name} cell {i}: a figure without alt text"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_inferecon(path):
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "import inferecon" in code


def test_toc_lists_every_chapter():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"chapters/{path.stem}" in toc, f"{path.stem} is missing from _toc.yml"
