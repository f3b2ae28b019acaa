"""Build the chapter notebooks from their MyST sources and store executed outputs.

Usage:
    python tools/execute_notebooks.py                     # every src/chapters/*.md
    python tools/execute_notebooks.py src/chapters/01_asymmetry.md [...]

Each chapter is written as a MyST Markdown notebook in ``src/chapters/NN_slug.md`` (easy to
edit and review) and stored, executed, as ``chapters/NN_slug.ipynb`` (what the book builds,
nbval compares and readers open in Jupyter or Colab). ``tests/test_notebooks.py`` fails if
the two disagree, so edit the ``.md`` and re-run this script.

Execution uses nbclient in the ``chapters/`` folder under the test environment
(SOURCE_DATE_EPOCH=0, PYTHONHASHSEED=0), with no execution timestamps and no widget state,
and widget model ids are dropped from outputs, so re-running an unchanged chapter leaves its
``.ipynb`` byte-identical.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "chapters"
OUT = ROOT / "chapters"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_CODE_START = re.compile(r"^```\{code-cell\}")
_TAGS = re.compile(r"^:tags:\s*\[(.*)\]\s*$")


def parse_myst(text: str) -> nbformat.NotebookNode:
    """Convert a MyST Markdown notebook (jupytext ``myst`` flavour) into a notebook.

    Code cells are ```` ```{code-cell} ipython3 ```` blocks (an optional ``:tags: [a, b]``
    first line); everything between them is markdown, split into cells at ``+++`` lines.
    """
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # front matter
        end = lines.index("---", 1)
        lines = lines[end + 1:]
    cells = []
    buf: list[str] = []

    def flush_md() -> None:
        src = "\n".join(buf).strip("\n")
        if src.strip():
            cells.append(nbformat.v4.new_markdown_cell(src))
        buf.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _CODE_START.match(line):
            flush_md()
            i += 1
            tags: list[str] = []
            if i < len(lines) and _TAGS.match(lines[i]):
                tags = [t.strip().strip("'\"") for t in _TAGS.match(lines[i]).group(1).split(",") if t.strip()]
                i += 1
            code: list[str] = []
            while lines[i].rstrip() != "```":
                code.append(lines[i])
                i += 1
            cell = nbformat.v4.new_code_cell("\n".join(code).strip("\n"))
            if tags:
                cell.metadata["tags"] = tags
            cells.append(cell)
        elif line.strip() == "+++":
            flush_md()
        else:
            buf.append(line)
        i += 1
    flush_md()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def cell_signature(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    """(type, source, tags) of every cell: what must agree between source and notebook."""
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells]


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("data", {}).pop(WIDGET_VIEW, None)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build(src: Path) -> Path:
    nb = parse_myst(src.read_text(encoding="utf-8"))
    nb = execute(nb, OUT)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    target = OUT / (src.stem + ".ipynb")
    nbformat.write(nb, target)
    return target


def main(argv: list[str]) -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sources = [Path(a) for a in argv] if argv else sorted(SRC.glob("*.md"))
    for src in sources:
        print(f"built {build(src).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
