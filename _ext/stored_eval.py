"""Render MyST ``{eval}`` inline expressions in the book from the values stored in the notebook.

MyST-NB evaluates ``{eval}`` only when it executes the notebook itself in ``inline`` mode.
The book instead renders the committed, executed notebooks as they are (``execute_notebooks:
off``): the test suite has just re-executed every one of them with nbval and compared every
stored output, and every stored inline expression (``conftest.py``). This extension gives
MyST-NB's notebook client the values that ``tools/execute_notebooks.py`` stored in each
markdown cell's ``user_expressions`` metadata (jupyterlab-myst's format, the same values a
student sees in JupyterLab). An expression with no stored value is an error, never a blank.
"""

from __future__ import annotations

from typing import Any

from myst_nb.core.execute.base import NotebookClientBase


def _stored_values(notebook: Any) -> dict[str, list[dict[str, Any]]]:
    values: dict[str, list[dict[str, Any]]] = {}
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for entry in cell.metadata.get("user_expressions", []):
            result = entry["result"]
            output = {"output_type": "execute_result", "execution_count": None,
                      "data": result.get("data", {}), "metadata": result.get("metadata", {})}
            previous = values.get(entry["expression"])
            if previous is not None and previous[0]["data"] != output["data"]:
                raise ValueError(f"inline expression {entry['expression']!r} has two different stored "
                                 "values in one notebook; give the two numbers different names")
            values[entry["expression"]] = [output]
    return values


def eval_variable(self: NotebookClientBase, name: str) -> list[Any]:
    cache = getattr(self, "_stored_eval_values", None)
    if cache is None:
        cache = _stored_values(self.notebook)
        self._stored_eval_values = cache
    if name not in cache:
        raise KeyError(f"no stored value for {{eval}}`{name}`; run `make outputs`")
    import nbformat

    return [nbformat.from_dict(out) for out in cache[name]]


def setup(app: Any) -> dict[str, Any]:
    NotebookClientBase.eval_variable = eval_variable  # type: ignore[method-assign]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
