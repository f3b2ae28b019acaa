"""Coursework from the chapters: a student edition, perfect submissions, and nbgrader grading.

Usage:
    python tools/assignment.py build [OUTDIR]                 # make assignment (default _build/assignment)
    python tools/assignment.py grade SUBMISSIONS [OUTDIR]     # make grade SUBMISSIONS=folder

``build`` derives, from the committed chapter notebooks (no execution):

- ``OUTDIR/student/NN_slug.ipynb``: each chapter with every solution removed: ``{solution}``
  dropdowns, gated solutions (their prose, code and outputs), and the solution lines of every
  answer cell, which become ``answer_N_K = ...  # your answer (unit)`` followed by the
  self-check line. The chapter's own prose, code and figures stay, as the book shows them.
- ``OUTDIR/solution/NN_slug.ipynb``: the same notebooks answered correctly, as a perfect
  submission would be (the answer cells hold the book's solution code).
- ``OUTDIR/autograder/``: an nbgrader course directory (``nbgrader_config.py``, ``source/``,
  ``release/``, ``gradebook.db``). Every numeric exercise has one graded cell worth one point,
  whose test (hidden from students) is ``inferecon.exercises.check`` on the student's answer.

``grade`` copies ``SUBMISSIONS/<student>/NN_slug.ipynb`` into the course directory, runs
``nbgrader autograde`` (each notebook is executed once, with the graded cells restored from the
source), and writes ``SUBMISSIONS/grades.csv``: one row per submission (student folder), one
column per exercise (points scored of 1), the total and the maximum.

Why nbgrader rather than otter-grader: ``otter grade`` needs Docker and downloads at grading
time; nbgrader grades a folder offline in the project's own environment, restores the locked
test cells a student might have edited, and keeps a gradebook.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
ASSIGNMENT = "course"
BIN = Path(sys.executable).parent

_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution\}")
_GATE_START = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution-start\}")
_GATE_END = re.compile(r"^(?P<fence>:{3,}|`{3,})\{solution-end\}")
_CHECK = re.compile(r'^check\("(?P<id>\d+\.\d+)", (?P<var>answer_\d+_\d+)\)\s*$')
_EVAL = re.compile(r"\{eval\}`([^`]+)`")

NOTE = ("```{note}\nStudent edition: the solutions are removed. Write each numeric answer where the "
        "notebook says `answer_N_K = ...`, run the cell, and `check(\"N.K\", answer_N_K)` says whether "
        "it is right, without giving the answer away.\n```")

CONFIG = '''# nbgrader configuration of the inferecon coursework (written by tools/assignment.py)
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "inferecon"
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
# the answer cells keep their placeholder and self-check lines; only the solution lines go
c.ClearSolutions.code_stub = {{"python": "# your working here"}}
# students keep the chapter's figures and tables; solution cells carry no outputs already
from nbgrader.preprocessors import (IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions,  # noqa: E402
                                    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests,
                                    ClearMarkScheme)
c.GenerateAssignment.preprocessors = [IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions,
                                      CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests,
                                      ClearMarkScheme, ComputeChecksums, CheckCellMetadata]
c.Execute.timeout = 600
c.Autograde.create_student = True
'''


@dataclass(frozen=True)
class AnswerCell:
    exercise: str
    variable: str
    solution: str


def _fence_end(lines: list[str], start: int) -> int:
    fence = re.match(r"^(:{3,}|`{3,})", lines[start]).group(1)  # type: ignore[union-attr]
    j = start + 1
    while j < len(lines) and lines[j].rstrip() != fence:
        j += 1
    if j == len(lines):
        raise ValueError(f"unclosed directive starting {lines[start]!r}")
    return j + 1


def parse_answer_cell(source: str) -> AnswerCell:
    """Split an ``answer`` cell into its exercise, answer variable and solution lines."""
    lines = source.rstrip().split("\n")
    m = _CHECK.match(lines[-1])
    if not m:
        raise ValueError(f"an answer cell must end with check(\"N.K\", answer_N_K); got {lines[-1]!r}")
    n, k = m.group("id").split(".")
    if m.group("var") != f"answer_{n}_{k}":
        raise ValueError(f"exercise {m.group('id')} must be answered in answer_{n}_{k}, not {m.group('var')}")
    solution = "\n".join(lines[:-1]).strip("\n")
    if not re.search(rf"^{m.group('var')}\s*=", solution, re.M):
        raise ValueError(f"the answer cell of {m.group('id')} does not assign {m.group('var')}")
    return AnswerCell(m.group("id"), m.group("var"), solution)


def _units() -> dict[str, str]:
    checks = json.loads((ROOT / "inferecon" / "exercises" / "checks.json").read_text(encoding="utf-8"))
    return {k: v["unit"] for k, v in checks.items()}


def _nbgrader(cell: nbformat.NotebookNode, grade_id: str, *, solution: bool, grade: bool,
              points: int = 0) -> None:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta


def nbgrader_source(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[AnswerCell]]:
    """The chapter as an nbgrader source notebook, and its answer cells in order."""
    units = _units()
    cells: list[nbformat.NotebookNode] = []
    answers: list[AnswerCell] = []
    in_gate = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if not in_gate:
                cells.append(copy.deepcopy(cell))
            elif "answer" in cell.metadata.get("tags", []):
                ans = parse_answer_cell(cell.source)
                answers.append(ans)
                out = nbformat.v4.new_code_cell(
                    f"{ans.variable} = ...  # your answer ({units.get(ans.exercise, 'a number')})\n"
                    f"### BEGIN SOLUTION\n{ans.solution}\n### END SOLUTION\n"
                    f'check("{ans.exercise}", {ans.variable})')
                out["id"] = f"answer-{ans.exercise.replace('.', '-')}"
                _nbgrader(out, out["id"], solution=True, grade=False)
                test = nbformat.v4.new_code_cell(
                    "### BEGIN HIDDEN TESTS\n"
                    "from inferecon.exercises import check as _grade_check\n"
                    f'assert _grade_check("{ans.exercise}", {ans.variable}), "exercise {ans.exercise}"\n'
                    "### END HIDDEN TESTS")
                test["id"] = f"grade-{ans.exercise.replace('.', '-')}"
                _nbgrader(test, test["id"], solution=False, grade=True, points=1)
                cells += [out, test]
            continue
        if cell.cell_type != "markdown":
            cells.append(copy.deepcopy(cell))
            continue
        lines = cell.source.splitlines()
        kept: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if in_gate:
                if _GATE_END.match(line):
                    in_gate = False
                    i = _fence_end(lines, i)
                else:
                    i += 1
                continue
            if _OPEN.match(line):
                i = _fence_end(lines, i)
                continue
            if _GATE_START.match(line):
                in_gate = True
                i = _fence_end(lines, i)
                continue
            kept.append(line)
            i += 1
        text = "\n".join(kept).strip("\n")
        if not text:
            continue
        new = copy.deepcopy(cell)
        new.source = text
        exprs = set(_EVAL.findall(text))
        stored = [e for e in cell.metadata.get("user_expressions", []) if e["expression"] in exprs]
        if stored:
            new.metadata["user_expressions"] = stored
        else:
            new.metadata.pop("user_expressions", None)
        cells.append(new)
    if in_gate:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    if answers:
        note = nbformat.v4.new_markdown_cell(NOTE)
        note["id"] = "student-note"
        cells.insert(1, note)
    out_nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
    return out_nb, answers


def _run(args: list[str], cwd: Path) -> None:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _course(outdir: Path) -> Path:
    return outdir / "autograder"


def build(outdir: Path, chapters: Path = CHAPTERS) -> dict[str, list[AnswerCell]]:
    """Write the student edition, the solutions and the autograder; return the answer cells per notebook."""
    course = _course(outdir)
    if outdir.exists():
        shutil.rmtree(outdir)
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(root=str(course), db=str(course / "gradebook.db")), encoding="utf-8")
    answers: dict[str, list[AnswerCell]] = {}
    for path in sorted(chapters.glob("*.ipynb")):
        src, ans = nbgrader_source(nbformat.read(path, as_version=4))
        nbformat.write(src, course / "source" / ASSIGNMENT / path.name)
        answers[path.stem] = ans
    _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
    (outdir / "student").mkdir()
    (outdir / "solution").mkdir()
    for path in sorted((course / "release" / ASSIGNMENT).glob("*.ipynb")):
        shutil.copy(path, outdir / "student" / path.name)
        nb = nbformat.read(path, as_version=4)
        by_id = {f"answer-{a.exercise.replace('.', '-')}": a for a in answers[path.stem]}
        for cell in nb.cells:
            a = by_id.get(cell.get("id", ""))
            if a is not None:
                cell.source = f'{a.solution}\ncheck("{a.exercise}", {a.variable})'
        nbformat.write(nb, outdir / "solution" / path.name)
    return answers


def _exercise_key(ex: str) -> tuple[int, int]:
    n, k = ex.split(".")
    return int(n), int(k)


def grade(submissions: Path, outdir: Path) -> Path:
    """Autograde every ``SUBMISSIONS/<student>/*.ipynb``; write and return ``SUBMISSIONS/grades.csv``."""
    course = _course(outdir)
    if not (course / "gradebook.db").exists():
        raise SystemExit(f"no autograder in {course}; run `make assignment` first")
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    if not students:
        raise SystemExit(f"no submissions in {submissions}: expected {submissions}/<student>/NN_slug.ipynb")
    sources = {p.name for p in (course / "source" / ASSIGNMENT).glob("*.ipynb")}
    for d in ("submitted", "autograded", "feedback"):
        shutil.rmtree(course / d, ignore_errors=True)
    for student in students:
        target = course / "submitted" / student.name / ASSIGNMENT
        target.mkdir(parents=True)
        for nb in student.glob("*.ipynb"):
            if nb.name not in sources:
                raise SystemExit(f"{nb}: no chapter of that name (expected one of {', '.join(sorted(sources))})")
            shutil.copy(nb, target / nb.name)
    _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], course)

    from nbgrader.api import Gradebook, MissingEntry

    exercises: list[tuple[str, str]] = []  # (notebook, exercise)
    for path in sorted((course / "source" / ASSIGNMENT).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            if gid.startswith("grade-"):
                exercises.append((path.stem, gid[len("grade-"):].replace("-", ".")))
    exercises.sort(key=lambda e: _exercise_key(e[1]))
    csv_path = submissions / "grades.csv"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb, csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", *(ex for _, ex in exercises), "total", "max"])
        for student in students:
            row: list[str] = [student.name]
            total = 0.0
            for notebook, ex in exercises:
                try:
                    score = gb.find_grade(f"grade-{ex.replace('.', '-')}", notebook, ASSIGNMENT, student.name).score
                except MissingEntry:
                    score = 0.0
                total += score
                row.append(f"{score:g}")
            w.writerow(row + [f"{total:g}", str(len(exercises))])
    return csv_path


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("build", "grade"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "build":
        outdir = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "assignment"
        answers = build(outdir.resolve())
        n = sum(len(a) for a in answers.values())
        print(f"wrote {outdir}/student, solution and autograder: {len(answers)} notebooks, {n} graded exercises")
        return 0
    if len(argv) < 2:
        print("usage: python tools/assignment.py grade SUBMISSIONS [OUTDIR]", file=sys.stderr)
        return 2
    outdir = Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "assignment"
    print(f"wrote {grade(Path(argv[1]).resolve(), outdir.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
