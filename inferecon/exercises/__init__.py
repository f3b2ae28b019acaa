"""Self-checks for the book's numeric exercises, without the answers.

``check("4.2", answer)`` says whether a numeric answer is right, within the exercise's
relative tolerance, and gives a hint when it is not, without revealing the solution: the
package holds no answer, only (in ``checks.json``) SHA-256 hashes, salted with the exercise
number, of the logarithmic buckets around it. Exercise numbers are chapter.exercise, as the
book renders them. Instructors regenerate ``checks.json`` with ``tools/exercise_checks.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["CheckResult", "accepted_buckets", "bucket_hash", "check", "exercise_ids"]

# A value is accepted when its bucket is within _SPREAD buckets of the answer's. Buckets are
# rtol/2 wide in log space, so every value within rtol of the answer is accepted and none
# beyond 1.5 rtol is.
_SPREAD = 2


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of :func:`check`; prints as one line and is truthy when correct."""

    exercise: str
    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.correct


def _bucket(value: float, rtol: float) -> tuple[str, int]:
    if value == 0.0:
        return ("0", 0)
    width = math.log1p(rtol) / _SPREAD
    return ("+" if value > 0 else "-", math.floor(math.log(abs(value)) / width))


def accepted_buckets(value: float, rtol: float) -> list[tuple[str, int]]:
    """The buckets :func:`check` accepts for an exercise whose answer is ``value``."""
    sign, k = _bucket(value, rtol)
    if sign == "0":
        return [("0", 0)]
    return [(sign, k + d) for d in range(-_SPREAD, _SPREAD + 1)]


def bucket_hash(exercise: str, bucket: tuple[str, int]) -> str:
    return hashlib.sha256(f"inferecon:{exercise}:{bucket[0]}{bucket[1]}".encode()).hexdigest()


@lru_cache(maxsize=1)
def _checks() -> dict[str, dict[str, Any]]:
    text = resources.files(__name__).joinpath("checks.json").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = json.loads(text)
    return data


def exercise_ids() -> list[str]:
    """Numbers of every exercise that has a self-check, e.g. ``"4.2"``."""
    return list(_checks())


def check(exercise: str, answer: Any) -> CheckResult:
    """Check a numeric answer to ``exercise`` (its number as the book shows it, e.g. ``"4.2"``).

    ``answer`` may still be ``...`` (the placeholder of an unanswered exercise): the result then
    says so. Raises ValueError for an unknown exercise number (listing the valid ones) or an
    answer that is not a finite number.
    """
    checks = _checks()
    if exercise not in checks:
        raise ValueError(f"exercise must be one of {', '.join(checks)}; got {exercise!r}")
    spec = checks[exercise]
    if answer is ...:
        return CheckResult(exercise, False, f"{exercise}: no answer yet (unit: {spec['unit']}).")
    if isinstance(answer, (str, bytes, bool)):
        raise ValueError(f"answer must be a number, got {answer!r}")
    try:
        value = float(answer)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"answer must be a number, got {answer!r}") from exc
    if not math.isfinite(value):
        raise ValueError(f"answer must be finite, got {answer!r}")
    rtol = float(spec["rtol"])
    tol = f"within {rtol:.0%}" if rtol >= 0.01 else f"within a relative {rtol:g}"
    if bucket_hash(exercise, _bucket(value, rtol)) in spec["accept"]:
        return CheckResult(exercise, True, f"{exercise}: correct ({tol}).")
    return CheckResult(
        exercise, False, f"{exercise}: not yet ({tol} needed, unit: {spec['unit']}). Hint: {spec['hint']}"
    )
