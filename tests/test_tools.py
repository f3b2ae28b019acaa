"""The build tools: MyST parsing, solution removal for the student edition, the site checker."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute_notebooks = _load("execute_notebooks")
student_edition = _load("student_edition")
check_site = _load("check_site")

SAMPLE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---
# Title

Intro.

```{code-cell} ipython3
:tags: [hide-input, nbval-ignore-output]
x = 1
```

:::{exercise}
:label: ch0-ex1
Do it.
:::

:::{solution} ch0-ex1
:class: dropdown
Secret answer 42.
:::

+++

:::{exercise}
:label: ch0-ex2
Again.
:::

:::{solution-start} ch0-ex2
:class: dropdown
:::

Secret prose.

```{code-cell} ipython3
secret = 43
```

:::{solution-end}
:::

After.
"""


def test_source_cells_and_tags():
    nb = jupytext.reads(SAMPLE, fmt="md:myst")
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["markdown", "code", "markdown", "markdown", "code", "markdown"]
    assert nb.cells[1].metadata["tags"] == ["hide-input", "nbval-ignore-output"]
    assert nb.cells[1].source == "x = 1"


def test_student_edition_removes_both_solution_forms():
    nb = jupytext.reads(SAMPLE, fmt="md:myst")
    student, removed = student_edition.remove_solutions(nb)
    text = "\n".join(c.source for c in student.cells)
    assert removed == 2
    assert "Secret" not in text and "secret" not in text
    assert "ch0-ex1" in text and "ch0-ex2" in text and "After." in text and "x = 1" in text


def test_student_edition_rejects_unclosed_gate():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(":::{solution-start} x\n:::")])
    with pytest.raises(ValueError, match="no matching"):
        student_edition.remove_solutions(nb)


def test_site_link_checker_finds_broken_links_anchors_and_offsite_assets(tmp_path):
    (tmp_path / "index.html").write_text('<a href="page.html#here">ok</a>', encoding="utf-8")
    (tmp_path / "page.html").write_text(
        '<div id="here"></div><a href="missing.html">x</a><a href="index.html#nowhere">y</a>'
        '<script src="https://cdn.example.com/x.js"></script><a href="https://example.com">fine</a>',
        encoding="utf-8")
    problems = check_site.check_links(tmp_path)
    assert len(problems) == 3, problems
    assert any("broken link 'missing.html'" in p for p in problems)
    assert any("anchor 'index.html#nowhere'" in p for p in problems)
    assert any("off the site" in p for p in problems)
