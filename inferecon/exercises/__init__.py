"""Answer checks for the book's exercises.

``check("ch1-ex2", answer)`` says whether a numeric answer is right, within the stated
relative tolerance, and gives a hint when it is not, without printing the solution. The
expected values are computed by the package (never typed in), in one module per chapter
(:mod:`inferecon.exercises.ch01`, ...), each exposing ``ANSWERS: dict[str, Answer]``.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import dataclass
from typing import Callable

__all__ = ["Answer", "CheckResult", "check", "exercise_ids"]


@dataclass(frozen=True, slots=True)
class Answer:
    """An exercise's expected value (computed on demand), tolerance, unit and hint."""

    compute: Callable[[], float]
    rtol: float
    unit: str
    hint: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of :func:`check`; prints as one line."""

    exercise: str
    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.correct


def _registry() -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("ch"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            answers.update(module.ANSWERS)
    return answers


def exercise_ids() -> list[str]:
    """Ids of every exercise that has an answer check."""
    return sorted(_registry())


def check(exercise: str, answer: float) -> CheckResult:
    """Check a numeric answer to ``exercise`` (e.g. ``"ch1-ex2"``).

    Raises ValueError for an unknown exercise id (listing the valid ones) or a non-finite
    answer.
    """
    registry = _registry()
    if exercise not in registry:
        raise ValueError(f"unknown exercise {exercise!r}; exercises with checks: {', '.join(sorted(registry))}")
    try:
        value = float(answer)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"answer must be a number, got {answer!r}") from exc
    if not math.isfinite(value):
        raise ValueError(f"answer must be finite, got {answer!r}")
    spec = registry[exercise]
    expected = float(spec.compute())
    ok = math.isclose(value, expected, rel_tol=spec.rtol, abs_tol=0.0)
    tol = f"within {spec.rtol:.0%}" if spec.rtol >= 0.01 else f"within a relative {spec.rtol:g}"
    if ok:
        return CheckResult(exercise, True, f"{exercise}: correct ({tol}).")
    return CheckResult(exercise, False, f"{exercise}: not yet ({tol} needed, unit: {spec.unit}). Hint: {spec.hint}")
