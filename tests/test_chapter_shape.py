"""Every chapter has the same shape: learning goals at the top, a key-results box, then exercises."""

import re
from pathlib import Path

import pytest

SRC = sorted((Path(__file__).resolve().parent.parent / "src" / "chapters").glob("[0-9][0-9]_*.md"))


@pytest.mark.parametrize("path", [p for p in SRC if not p.name.startswith("00_")], ids=lambda p: p.stem)
def test_goals_first_key_results_then_exercises(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    goals = text.find(":::{admonition} Learning goals")
    key = text.find(":::{admonition} Key results")
    exercises = text.find("\n## Exercises")
    first_section = re.search(r"^## ", text, re.M)
    assert goals != -1 and first_section is not None and goals < first_section.start(), "learning goals first"
    assert key != -1 and exercises != -1 and key < exercises, "a key-results box before the exercises"
    assert text.count(":::{admonition} Key results") == 1
