"""The build tools: MyST parsing, solution removal for the student edition, the site checker."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


execute_notebooks = _load("execute_notebooks")
assignment = _load("assignment")
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
:tags: [answer]
secret = 43
answer_1_2 = secret + 1
check("1.2", answer_1_2)
```

```{code-cell} ipython3
print("secret working", secret)
```

:::{solution-end}
:::

After.
"""


def test_source_cells_and_tags():
    nb = jupytext.reads(SAMPLE, fmt="md:myst")
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["markdown", "code", "markdown", "markdown", "code", "code", "markdown"]
    assert nb.cells[1].metadata["tags"] == ["hide-input", "nbval-ignore-output"]
    assert nb.cells[1].source == "x = 1"


def test_student_edition_removes_both_solution_forms_and_keeps_the_answer_cell():
    nb = jupytext.reads(SAMPLE, fmt="md:myst")
    source, answers = assignment.nbgrader_source(nb)
    text = "\n".join(c.source for c in source.cells)
    assert [a.exercise for a in answers] == ["1.2"]
    assert "Secret" not in text and "secret working" not in text
    assert "ch0-ex1" in text and "ch0-ex2" in text and "After." in text and "x = 1" in text
    cell = next(c for c in source.cells if c.get("id") == "answer-1-2")
    assert cell.source.splitlines()[0].startswith("answer_1_2 = ...  # your answer")
    assert "### BEGIN SOLUTION\nsecret = 43\nanswer_1_2 = secret + 1\n### END SOLUTION" in cell.source
    assert cell.source.endswith('check("1.2", answer_1_2)')
    assert cell.metadata["nbgrader"]["solution"] and not cell.metadata["nbgrader"]["grade"]
    test = next(c for c in source.cells if c.get("id") == "grade-1-2")
    assert test.metadata["nbgrader"]["points"] == 1 and "### BEGIN HIDDEN TESTS" in test.source


def test_student_edition_rejects_unclosed_gate():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(":::{solution-start} x\n:::")])
    with pytest.raises(ValueError, match="no matching"):
        assignment.nbgrader_source(nb)


@pytest.mark.parametrize("source,match", [
    ("answer_1_2 = 3", "must end with check"),
    ('x = 3\ncheck("1.2", answer_1_3)', "must be answered in answer_1_2"),
    ('x = 3\ncheck("1.2", answer_1_2)', "does not assign answer_1_2"),
])
def test_answer_cells_are_well_formed(source, match):
    with pytest.raises(ValueError, match=match):
        assignment.parse_answer_cell(source)


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
