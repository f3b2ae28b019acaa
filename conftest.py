"""nbval, extended to the numbers in the chapters' prose.

nbval compares the stored outputs of code cells. The numbers in the prose are MyST inline
expressions (``{eval}`expr```) whose stored values live in the markdown cell's
``user_expressions`` metadata (written by ``tools/execute_notebooks.py``, shown by
jupyterlab-myst and by the book). nbval never looks at markdown, so this plugin adds one test
item after each code cell whose following markdown cells hold inline expressions: it evaluates
them in the same kernel, at the same place in the notebook, and compares every stored MIME
value with the fresh one, as strictly as nbval compares cell outputs (no sanitizer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

try:
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval not installed: nothing to extend
    IPyNbFile = None


class InlineExpressions(pytest.Item):
    """The inline expressions of the markdown cells between two code cells."""

    def __init__(self, *, cells: list[tuple[int, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cells = cells

    def runtest(self) -> None:
        kernel = self.parent.kernel
        if not kernel.is_alive():
            raise RuntimeError("kernel dead before the inline expressions were evaluated")
        stored = [(index, e) for index, cell in self.cells for e in cell.metadata["user_expressions"]]
        exprs = {str(i): e["expression"] for i, (_, e) in enumerate(stored)}
        msg_id = kernel.kc.execute("", silent=True, store_history=False, user_expressions=exprs)
        timeout = self.config.option.nbval_cell_timeout
        while True:
            msg = kernel.get_message(stream="shell", timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        kernel.await_idle(msg_id, timeout)
        fresh = msg["content"]["user_expressions"]
        problems = []
        for i, (index, e) in enumerate(stored):
            got = fresh[str(i)]
            if got.get("status") != "ok":
                problems.append(f"markdown cell {index}: {{eval}}`{e['expression']}` raised "
                                f"{got.get('ename')}: {got.get('evalue')}")
                continue
            want = e["result"].get("data", {})
            have = got.get("data", {})
            if want != have:
                problems.append(f"markdown cell {index}: {{eval}}`{e['expression']}` stored "
                                f"{want.get('text/plain')!r}, now {have.get('text/plain')!r}")
        if problems:
            raise AssertionError("inline expressions in the prose changed:\n  " + "\n  ".join(problems))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, self.name


if IPyNbFile is not None:
    _collect = IPyNbFile.collect

    def _collect_with_expressions(self: Any) -> Iterator[pytest.Item]:
        items = list(_collect(self))  # reads self.nb
        code_seen = -1
        pending: dict[int, list[tuple[int, Any]]] = {}
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code":
                code_seen += 1
            elif cell.cell_type == "markdown" and cell.metadata.get("user_expressions"):
                if code_seen < 0:
                    raise ValueError(f"{self.path}: markdown cell {index} has inline expressions "
                                     "before any code cell ran")
                pending.setdefault(code_seen, []).append((index, cell))
        for k, item in enumerate(items):
            yield item
            if k in pending:
                yield InlineExpressions.from_parent(self, name=f"Cell {k} prose", cells=pending[k])

    IPyNbFile.collect = _collect_with_expressions
