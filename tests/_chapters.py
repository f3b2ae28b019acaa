"""Reading a chapter as the tests of its sources do: its prose, and the values its {eval} numbers show."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def prose(text: str) -> str:
    """A MyST chapter source without its code cells."""
    return re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)


def stored_value(notebook: Path | dict[str, Any], expression: str, *, partial: bool = False) -> str:
    """The value the executed chapter shows for an ``{eval}`` expression (the first one containing
    ``expression`` when ``partial``), as stored for JupyterLab and the book, quotes stripped."""
    nb = json.loads(notebook.read_text(encoding="utf-8")) if isinstance(notebook, Path) else notebook
    for cell in nb["cells"]:
        for e in cell.get("metadata", {}).get("user_expressions", []):
            if (expression in e["expression"]) if partial else (e["expression"] == expression):
                return str(e["result"]["data"]["text/plain"]).strip("'\"")
    raise KeyError(expression)
