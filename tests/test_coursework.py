"""Coursework: the student edition leaks no answer, and the autograder grades honestly.

The assignment is built once from the committed chapters (``tools/assignment.py build``, no
execution). Three submissions are graded with nbgrader (each notebook executed once per
submission): the solutions (full marks), the untouched student edition (zero on every graded
exercise), and the solutions with one answer wrong (that exercise alone lost).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from _exercise_answers import ANSWERS

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("assignment", ROOT / "tools" / "assignment.py")
assert _spec and _spec.loader
assignment = importlib.util.module_from_spec(_spec)
sys.modules["assignment"] = assignment
_spec.loader.exec_module(assignment)

pytestmark = pytest.mark.coursework


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignment")
    answers = assignment.build(out)
    return out, answers


def _key(ex: str) -> tuple[int, int]:
    n, k = ex.split(".")
    return int(n), int(k)


def test_every_numeric_exercise_has_one_answer_cell(built):
    _, answers = built
    found = [a.exercise for cells in answers.values() for a in cells]
    assert len(found) == len(set(found)), "an exercise has two answer cells"
    assert sorted(found, key=_key) == sorted(ANSWERS, key=_key)
    for stem, cells in answers.items():
        n = int(stem[:2])
        assert all(_key(a.exercise)[0] == n for a in cells), f"{stem}: an answer cell of another chapter"


def test_exercise_labels_are_numbered_as_the_book_renders_them():
    for src in sorted((ROOT / "src" / "chapters").glob("*.md")):
        n = int(src.name[:2])
        labels = re.findall(r"^:label: (ch\d+-ex\d+)", src.read_text(encoding="utf-8"), re.M)
        assert labels == [f"ch{n}-ex{k}" for k in range(1, len(labels) + 1)], f"{src.name}: {labels}"


def _renderings(value: float) -> set[str]:
    """The ways a notebook or the package could write an answer, with 3+ significant digits."""
    v = float(value)
    forms = {f"{v:.3g}", f"{v:.4g}", f"{v:.5g}"}
    if abs(v) >= 1000:
        forms |= {f"{v:,.0f}", f"{v:.0f}"}
    if 1 <= abs(v) < 1000:
        forms |= {f"{v:.1f}", f"{v:.2f}"}
    if abs(v) < 1:
        forms |= {f"{v:.3f}", f"{v:.4f}"}
    if abs(v - round(v)) < 1e-9 and abs(v) >= 100:
        forms |= {str(int(round(v))), f"{int(round(v)):,}"}
    return {f for f in forms if len(re.sub(r"[^1-9]", "", f.lstrip("-0.,"))) >= 2
            and len(re.sub(r"\D", "", f).lstrip("0")) >= 3 and "e" not in f}


def _student_text(path: Path) -> str:
    """What a student can read in a notebook: sources, text outputs, stored prose numbers (not image bytes)."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for c in nb.cells:
        parts.append(c.source)
        for e in c.metadata.get("user_expressions", []):
            parts.append(e["result"].get("data", {}).get("text/plain", ""))
        for o in c.get("outputs", []):
            parts.append(o.get("text", ""))
            for mime, data in o.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def _package_text() -> dict[str, str]:
    texts = {}
    for p in sorted((ROOT / "inferecon").rglob("*")):
        if p.suffix in (".py", ".csv") and "__pycache__" not in p.parts:
            texts[str(p.relative_to(ROOT))] = p.read_text(encoding="utf-8")
    checks = json.loads((ROOT / "inferecon" / "exercises" / "checks.json").read_text(encoding="utf-8"))
    texts["inferecon/exercises/checks.json (hints, units)"] = "\n".join(
        f"{v['unit']}\n{v['hint']}" for v in checks.values())
    return texts


def test_no_answer_value_in_the_student_edition_or_the_package(built):
    # Renderings with 4+ significant digits are searched everywhere a student can read; the
    # shorter ones (e.g. "122") only in the exercise's own chapter, where they would give the
    # answer away rather than coincide with an unrelated number elsewhere.
    out, _ = built
    student = {p.stem: _student_text(p) for p in sorted((out / "student").glob("*.ipynb"))}
    package = _package_text()
    leaks = []
    searched = 0
    for ex, spec in sorted(ANSWERS.items(), key=lambda kv: _key(kv[0])):
        own = next(stem for stem in student if int(stem[:2]) == _key(ex)[0])
        for form in _renderings(spec.compute()):
            searched += 1
            pattern = re.compile(rf"(?<![\w.,]){re.escape(form)}(?![\w]|[.,]\d)")
            long = len(re.sub(r"\D", "", form).lstrip("0")) >= 4
            places = {**student, **package} if long else {own: student[own]}
            for name, text in places.items():
                if pattern.search(text):
                    leaks.append(f"{ex}: {form!r} in {name}")
    assert searched >= 2 * len(ANSWERS), "too few renderings searched for a meaningful test"
    assert not leaks, "answers visible to students:\n" + "\n".join(leaks)


def test_student_edition_keeps_no_solution(built):
    out, answers = built
    for path in sorted((out / "student").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "{solution" not in text and "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        for a in answers[path.stem]:
            cell = next(c for c in nb.cells if c.get("id") == f"answer-{a.exercise.replace('.', '-')}")
            assert cell.source.startswith(f"{a.variable} = ...") and not cell.get("outputs")


@pytest.fixture(scope="module")
def grades(built, tmp_path_factory):
    out, answers = built
    subs = tmp_path_factory.mktemp("submissions")
    shutil.copytree(out / "solution", subs / "perfect")
    shutil.copytree(out / "student", subs / "untouched")
    shutil.copytree(out / "solution", subs / "one-wrong")
    stem, cells = next((s, c) for s, c in sorted(answers.items()) if c)
    wrong = cells[0]
    path = subs / "one-wrong" / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == f"answer-{wrong.exercise.replace('.', '-')}")
    lines = cell.source.split("\n")
    cell.source = "\n".join(lines[:-1] + [f"{wrong.variable} = 1.5 * {wrong.variable} + 1", lines[-1]])
    nbformat.write(nb, path)
    csv_path = assignment.grade(subs, out)
    keep = ROOT / "_build" / "coursework-test-grades.csv"   # for the record: what the three scored
    keep.parent.mkdir(exist_ok=True)
    shutil.copy(csv_path, keep)
    with csv_path.open(encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    return rows, wrong.exercise, csv_path


def test_grades_csv_has_one_column_per_exercise(grades):
    rows, _, csv_path = grades
    header = csv_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == ["submission", *sorted(ANSWERS, key=_key), "total", "max"]
    assert set(rows) == {"perfect", "untouched", "one-wrong"}


def test_solutions_score_full_marks(grades):
    rows, _, _ = grades
    assert all(rows["perfect"][ex] == "1" for ex in ANSWERS), rows["perfect"]
    assert rows["perfect"]["total"] == rows["perfect"]["max"] == str(len(ANSWERS))


def test_untouched_student_edition_scores_zero(grades):
    rows, _, _ = grades
    assert all(rows["untouched"][ex] == "0" for ex in ANSWERS), rows["untouched"]


def test_one_wrong_answer_loses_only_that_exercise(grades):
    rows, wrong, _ = grades
    assert rows["one-wrong"][wrong] == "0"
    assert all(rows["one-wrong"][ex] == "1" for ex in ANSWERS if ex != wrong)
    assert rows["one-wrong"]["total"] == str(len(ANSWERS) - 1)
