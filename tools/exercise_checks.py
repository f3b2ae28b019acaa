"""Write ``inferecon/exercises/checks.json``: the self-checks of the numeric exercises, without the answers.

Usage: python tools/exercise_checks.py [--check]

For each exercise in ``tools/exercise_answers`` this stores its tolerance, unit and hint, and
the SHA-256 hashes (salted with the exercise number) of the few logarithmic buckets around the
expected value that :func:`inferecon.exercises.check` accepts. The package a student imports
can thus say right or wrong without containing the answer. (A hash of a coarse bucket can be
inverted by trying every bucket, which is more work than the exercise; the grades an instructor
collects come from ``make grade``, which runs the same check on the submitted notebooks.)
``--check`` exits 1 if the stored checks no longer accept the answers the package gives now, or
accept a value 2 tolerances away (the buckets, not the bytes, are compared: the last digits of
an answer differ between machines, and a bucket boundary may fall between them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

from exercise_answers import all_answers  # noqa: E402

from inferecon.exercises import accepted_buckets, bucket_hash  # noqa: E402

TARGET = ROOT / "inferecon" / "exercises" / "checks.json"


def build() -> str:
    checks = {}
    for ex_id, spec in sorted(all_answers().items(), key=lambda kv: tuple(int(x) for x in kv[0].split("."))):
        value = float(spec.compute())
        checks[ex_id] = {"rtol": spec.rtol, "unit": spec.unit, "hint": spec.hint,
                         "accept": sorted(bucket_hash(ex_id, b) for b in accepted_buckets(value, spec.rtol))}
    return json.dumps(checks, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def stale() -> list[str]:
    """Exercises whose stored check disagrees with the answer the package computes now."""
    from inferecon.exercises import check, exercise_ids

    answers = all_answers()
    bad = sorted(set(answers) ^ set(exercise_ids()))
    for ex_id, spec in answers.items():
        if ex_id in bad:
            continue
        value = float(spec.compute())
        if not check(ex_id, value) or check(ex_id, value * (1 + 2 * spec.rtol) + 1e-300):
            bad.append(ex_id)
    for ex_id in bad:
        print(f"check of exercise {ex_id} is out of date; run `python tools/exercise_checks.py`")
    return bad


def main(argv: list[str]) -> int:
    if "--check" in argv:
        return 0 if not stale() else 1
    text = build()
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({text.count('rtol')} exercises)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
