"""The expected answers of the book's numeric exercises: instructors' material, not the package's.

One module per chapter (``ch04.py``, ...), each exposing ``ANSWERS: dict[str, Answer]`` keyed by
the exercise number as the book renders it (``"4.2"``). Each value is computed by the package
(never typed in), so it follows the model when the model changes. These modules are not
installed with ``inferecon``: what ships to students is ``inferecon/exercises/checks.json``,
which holds only salted hashes of the answers' neighbourhoods (``tools/exercise_checks.py``
writes it; a test fails when it is out of date).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Answer:
    """An exercise's expected value (computed on demand), relative tolerance, unit and hint."""

    compute: Callable[[], float]
    rtol: float
    unit: str
    hint: str


def all_answers() -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("ch"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            answers.update(module.ANSWERS)
    return answers
