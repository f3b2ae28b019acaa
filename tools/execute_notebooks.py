"""Build the chapter notebooks from their MyST sources and store executed outputs.

Usage:
    python tools/execute_notebooks.py                     # every src/chapters/*.md
    python tools/execute_notebooks.py src/chapters/01_asymmetry.md [...]

Each chapter is written as a jupytext MyST Markdown notebook, ``src/chapters/NN_slug.md``
(paired with ``chapters/NN_slug.ipynb`` in ``jupytext.toml``), and stored executed as the
``.ipynb``: what the book renders, nbval compares and students open in JupyterLab.
``tests/test_notebooks.py`` fails if the two disagree, so edit the ``.md`` and re-run this.

Execution runs the notebook top to bottom once in one kernel (nbclient, in ``chapters/``,
SOURCE_DATE_EPOCH=0, PYTHONHASHSEED=0, no timestamps). Each markdown cell's ``{eval}``
inline expressions are evaluated in the kernel at the cell's place in the notebook (after
the code cells above it ran), exactly as jupyterlab-myst does when a student runs the
notebook, and stored in the cell's ``user_expressions`` metadata in jupyterlab-myst's
format. So the numbers in the prose show in JupyterLab before anything runs, the book reads
them from there (``_ext/stored_eval.py``), and nbval re-evaluates and compares them
(``conftest.py``). Widget state is stored for the book with model ids numbered per notebook,
so re-running an unchanged chapter leaves its ``.ipynb`` byte-identical.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "chapters"
OUT = ROOT / "chapters"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def read_source(src: Path) -> nbformat.NotebookNode:
    """The chapter's MyST source as an (unexecuted) notebook, read by jupytext."""
    nb = jupytext.read(src, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    return nb


def inline_expressions(source: str) -> list[str]:
    """The ``{eval}`` expressions of a markdown cell, in order, without repeats."""
    seen: dict[str, None] = {}
    for m in EVAL_ROLE.finditer(source):
        seen.setdefault(m.group(1), None)
    return list(seen)


def cell_signature(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """(type, source, metadata without outputs' metadata) of every cell: what source and notebook share."""
    sig = []
    for c in nb.cells:
        meta = {k: v for k, v in c.metadata.items() if k not in ("user_expressions", "execution")}
        sig.append((c.cell_type, c.source, json.dumps(meta, sort_keys=True)))
    return sig


def _expression_results(reply: dict[str, Any], expressions: list[str]) -> list[dict[str, Any]]:
    results = reply["content"]["user_expressions"]
    out = []
    for i, expr in enumerate(expressions):
        res = results[str(i)]
        if res.get("status") != "ok":
            raise RuntimeError(f"inline expression {expr!r} failed: {res.get('ename')}: {res.get('evalue')}")
        out.append({"expression": expr, "result": {"status": "ok", "data": res.get("data", {}),
                                                    "metadata": res.get("metadata", {})}})
    return out


async def _execute(nb: nbformat.NotebookNode, cwd: Path) -> None:
    client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(cwd)}})
    async with client.async_setup_kernel():
        assert client.kc is not None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            elif cell.cell_type == "markdown":
                exprs = inline_expressions(cell.source)
                cell.metadata.pop("user_expressions", None)
                if exprs:
                    msg_id = client.kc.execute("", silent=True, store_history=False,
                                               user_expressions={str(i): e for i, e in enumerate(exprs)})
                    reply = await client.async_wait_for_reply(msg_id)
                    cell.metadata["user_expressions"] = _expression_results(reply, exprs)
        client.set_widgets_metadata()


def _number_widget_models(nb: nbformat.NotebookNode, stem: str) -> None:
    """Replace random widget model ids with ids numbered in order of first appearance."""
    text = json.dumps(nb)
    ids: dict[str, str] = {}
    for m in re.finditer(r'"model_id": "([0-9a-f]{32})"|"([0-9a-f]{32})": \{"model_name"', text):
        mid = m.group(1) or m.group(2)
        ids.setdefault(mid, f"{len(ids):032x}")
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for mid in state:
        ids.setdefault(mid, f"{len(ids):032x}")
    for old, new in ids.items():
        text = text.replace(old, new)
    nb.clear()
    nb.update(nbformat.from_dict(json.loads(text)))


def execute(nb: nbformat.NotebookNode, cwd: Path, stem: str = "") -> nbformat.NotebookNode:
    asyncio.run(_execute(nb, cwd))
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    if nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state"):
        _number_widget_models(nb, stem)
    else:
        nb.metadata.pop("widgets", None)
    return nb


def build(src: Path) -> Path:
    nb = read_source(src)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nb = execute(nb, OUT, src.stem)
    target = OUT / (src.stem + ".ipynb")
    nbformat.write(nb, target)
    return target


def main(argv: list[str]) -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sources = [Path(a) for a in argv] if argv else sorted(SRC.glob("*.md"))
    for src in sources:
        print(f"built {build(src).relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
