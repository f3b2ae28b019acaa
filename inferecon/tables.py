"""Plain Markdown tables for notebooks (no pandas needed).

``markdown_table`` returns a GitHub-flavoured Markdown string; a notebook shows it with
``IPython.display.Markdown`` and the book renders it as a table.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["markdown_table"]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """Format ``rows`` under ``headers``; ``align`` is one of ``l``/``r``/``c`` per column.

    Cells are converted with ``str``; format numbers before passing them. Raises ValueError
    when a row's length differs from the header's.
    """
    ncol = len(headers)
    if align is None:
        align = "l" + "r" * (ncol - 1)
    if len(align) != ncol:
        raise ValueError(f"align needs one letter per column ({ncol}), got {align!r}")
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    for i, row in enumerate(rows):
        if len(row) != ncol:
            raise ValueError(f"row {i} has {len(row)} cells, expected {ncol}")
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)
