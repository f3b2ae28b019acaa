"""Which code a chapter shows: one rule, applied by ``tests/test_code_visibility.py``.

Show the code that computes; remove the code that presents.

- A cell that imports, or calls a computing function of the package (anything outside
  ``inferecon.plots``, ``inferecon.tables``, ``inferecon.units`` and ``plots.use_course_style``),
  is **shown**: it teaches the API.
- A cell that records the numbers the prose quotes (it assigns to ``nums.*``, shows nothing)
  is **removed whole** (``remove-cell``): the prose shows the numbers.
- Any other cell only presents (draws a figure with ``inferecon.plots``, displays an equation
  derived by ``inferecon.symbolic``, formats a table or prints numbers computed above): its
  input is **removed** (``remove-input``) and its output shown; without output it is removed
  whole.

``hide-input`` (a collapsed toggle) is not used: a cell is either part of the lesson or not.
A long *output* may be folded in the book (``hide-output``, shown in full in JupyterLab); that
hides no code.
Cells from the exercises on (answers, solution code) are the student's and are left alone.
Every removed cell stays in the notebook, runnable, for a student who opens it.
"""

from __future__ import annotations

import ast
from typing import Any

PRESENTING_MODULES = ("inferecon.plots", "inferecon.tables", "inferecon.units")
PRESENTING_CALLS = {"use_course_style"}
SHOW, REMOVE_INPUT, REMOVE_CELL = "show", "remove-input", "remove-cell"


def package_aliases(sources: list[str]) -> dict[str, str]:
    """Names bound to inferecon modules or objects by the chapter's imports: name -> dotted path."""
    aliases: dict[str, str] = {}
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "inferecon":
                        aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else "inferecon"
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "inferecon":
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _chain(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def package_calls(src: str, aliases: dict[str, str]) -> list[str]:
    """Dotted paths of the package functions a cell calls."""
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and (chain := _chain(node.func)) and chain[0] in aliases:
            out.append(".".join([aliases[chain[0]], *chain[1:]]))
    return out


def computes(path: str) -> bool:
    if path.rsplit(".", 1)[-1] in PRESENTING_CALLS:
        return False
    return not path.startswith(PRESENTING_MODULES)


def expected(src: str, aliases: dict[str, str], has_output: bool) -> str:
    """What the rule asks of a lesson's code cell: SHOW, REMOVE_CELL or REMOVE_INPUT."""
    tree = ast.parse(src)
    if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)):
        return SHOW
    body = tree.body
    calls = package_calls(src, aliases)
    if (body and all(isinstance(s, ast.Expr) for s in body)
            and all(c.startswith("inferecon.symbolic") for c in calls)):
        return REMOVE_INPUT  # displays an equation derived by inferecon.symbolic

    def assigns_nums(stmt: ast.stmt) -> bool:
        targets = (stmt.targets if isinstance(stmt, ast.Assign)
                   else [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) else [])
        return any((c := _chain(t)) is not None and c[0] == "nums" and len(c) > 1
                   for t in targets if isinstance(t, ast.Attribute))

    if (not has_output and any(assigns_nums(s) for s in body)
            and not any(isinstance(s, ast.Expr) for s in body)):
        return REMOVE_CELL  # records the numbers the prose quotes
    if any(computes(p) for p in calls):
        return SHOW
    return REMOVE_INPUT if has_output else REMOVE_CELL


def actual(tags: list[str]) -> str:
    if "remove-cell" in tags:
        return REMOVE_CELL
    if "remove-input" in tags:
        return REMOVE_INPUT
    if "hide-input" in tags or "hide-cell" in tags:  # hide-output folds an output, not code
        return "hide-input"
    return SHOW


def lesson_cells(nb: dict[str, Any]) -> list[tuple[int, str, list[str], bool]]:
    """(index, source, tags, has outputs) of the code cells before the chapter's "## Exercises" heading."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and "\n## Exercises" in "\n" + src:
            break
        if cell["cell_type"] == "code":
            out.append((i, src, list(cell.get("metadata", {}).get("tags", [])), bool(cell.get("outputs"))))
    return out
