"""Build the student edition: every chapter notebook with its solutions removed.

Usage: python tools/student_edition.py [OUTDIR]      (default _build/student)

For each ``src/chapters/*.md`` the script parses the chapter, removes

- every ``{solution}`` directive (colon or backtick fenced) from markdown cells, and
- every gated solution: from ``{solution-start}`` to ``{solution-end}``, including the code
  cells between them,

then executes the result from scratch (so a student edition that no longer runs fails the
build) and writes ``OUTDIR/NN_slug.ipynb``. Exercises stay, with their answer checks
(``inferecon.exercises.check``), which never print a solution. Nothing is committed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
assert _spec and _spec.loader
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)

_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution\}")
_GATE_START = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution-start\}")
_GATE_END = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution-end\}")
NOTE = ("```{note}\nStudent edition: solutions are removed. Check a numeric answer with\n"
        "`from inferecon.exercises import check; check(\"chN-exK\", answer)`.\n```")


def _strip_fenced(lines: list[str], start: int) -> int:
    """Index just past the directive opened at ``lines[start]`` (closing fence of equal length)."""
    fence = re.match(r"^(:{3,}|`{3,})", lines[start]).group(1)  # type: ignore[union-attr]
    j = start + 1
    while j < len(lines) and lines[j].rstrip() != fence:
        j += 1
    if j == len(lines):
        raise ValueError(f"unclosed directive starting {lines[start]!r}")
    return j + 1


def remove_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` without solutions, and how many solutions were removed."""
    cells = []
    removed = 0
    in_gate = False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not in_gate:
                cells.append(cell)
            continue
        lines = cell.source.splitlines()
        kept: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if in_gate:
                if _GATE_END.match(line):
                    in_gate = False
                    i = _strip_fenced(lines, i)
                    continue
                i += 1
                continue
            if _OPEN.match(line):
                i = _strip_fenced(lines, i)
                removed += 1
                continue
            if _GATE_START.match(line):
                in_gate = True
                removed += 1
                i = _strip_fenced(lines, i)
                continue
            kept.append(line)
            i += 1
        text = "\n".join(kept).strip("\n")
        if text:
            cell = nbformat.v4.new_markdown_cell(text)
            cells.append(cell)
    if in_gate:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    out = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    return out, removed


def main(argv: list[str]) -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    outdir = Path(argv[0]) if argv else ROOT / "_build" / "student"
    outdir.mkdir(parents=True, exist_ok=True)
    for src in sorted((ROOT / "src" / "chapters").glob("*.md")):
        nb = execute_notebooks.parse_myst(src.read_text(encoding="utf-8"))
        student, removed = remove_solutions(nb)
        if removed:
            student.cells.insert(1, nbformat.v4.new_markdown_cell(NOTE))
        execute_notebooks.execute(student, ROOT / "chapters")
        target = outdir / (src.stem + ".ipynb")
        nbformat.write(student, target)
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
              f"{removed} solutions removed, executed cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
