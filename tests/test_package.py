"""Package-level properties: light import, units, tables, exercises registry."""

import subprocess
import sys

import pytest

import inferecon as ie
from inferecon.exercises import check, exercise_ids


def test_import_is_light():
    code = ("import sys, inferecon; heavy = [m for m in ('sympy', 'matplotlib', 'ipywidgets', 'scipy') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_formatters():
    assert ie.units.format_sci(6.35e24) == "6.35 × 10²⁴"
    assert ie.units.format_count(1.5e13) == "15T"
    assert ie.units.format_si(3.35e12, "B/s") == "3.35 TB/s"


def test_markdown_table_validates():
    assert ie.tables.markdown_table(["a", "b"], [[1, 2]]).splitlines()[2] == "| 1 | 2 |"
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 2"):
        ie.tables.markdown_table(["a", "b"], [[1]])


def test_every_registered_answer_computes_and_checks_itself():
    ids = exercise_ids()
    assert ids, "no exercises registered"
    from _exercise_answers import ANSWERS
    assert sorted(ANSWERS) == sorted(ids)
    for ex_id, spec in ANSWERS.items():
        value = float(spec.compute())
        assert check(ex_id, value).correct, ex_id
        assert not check(ex_id, value * (1 + 10 * spec.rtol) + 1e-300).correct, ex_id


def test_check_messages_do_not_reveal_solution():
    res = check("1.2", 1.0)
    assert not res.correct and "Hint" in str(res) and "2812" not in str(res) and "2,812" not in str(res)


@pytest.mark.parametrize("args,match", [
    (("ch99-ex1", 1.0), "exercise must be one of 1.2, .*; got 'ch99-ex1'"),
    (("1.2", "abc"), "answer must be a number"),
    (("1.2", float("inf")), "answer must be finite"),
])
def test_check_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        check(*args)


def test_ch1_answers_by_hand():
    # ch1-ex2: 3 x 15e12 / (20e6 x 800) = 2812.5 days
    assert check("1.2", 2812.5).correct
    # ch1-ex3: 2N / (2N + 4*80*64*128*32000) with N = 70.554e9 -> 0.6272
    assert check("1.3", 0.6272).correct
    # ch1-ex4: 3 x 1.4e12 x 0.12 / 0.45 = 1.12e12
    assert check("1.4", 1.12e12).correct
    # ch1-ex5: 3 x 300e9 / (7 x 1000) = 1.29e8 requests/day; "about 130 million" is within 10%
    assert check("1.5", 130e6).correct and not check("1.5", 200e6).correct


def test_every_check_named_in_a_chapter_is_registered():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    named = set()
    for src in (root / "src" / "chapters").glob("*.md"):
        named |= set(re.findall(r'check\("(\d+\.\d+)"', src.read_text(encoding="utf-8")))
    assert named, "no chapter names an answer check"
    assert named <= set(exercise_ids()), f"checks named in chapters but not registered: {named - set(exercise_ids())}"


def test_every_numeric_exercise_has_a_check():
    # every registered check belongs to an exercise that exists in a chapter
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    labels = set()
    for src in (root / "src" / "chapters").glob("*.md"):
        labels |= {f"{n}.{k}" for n, k in re.findall(r":label: ch(\d+)-ex(\d+)", src.read_text(encoding="utf-8"))}
    assert set(exercise_ids()) <= labels, f"checks for missing exercises: {set(exercise_ids()) - labels}"
