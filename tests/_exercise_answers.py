"""The instructors' answer modules (tools/exercise_answers), importable from the tests."""

from __future__ import annotations

import sys
from pathlib import Path

_TOOLS = str(Path(__file__).resolve().parent.parent / "tools")
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from exercise_answers import Answer, all_answers  # noqa: E402

ANSWERS: dict[str, Answer] = all_answers()


def chapter(n: int) -> dict[str, Answer]:
    """The answers of chapter ``n``, keyed "n.k"."""
    return {k: v for k, v in ANSWERS.items() if k.split(".")[0] == str(n)}
