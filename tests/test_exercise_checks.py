"""The self-check accepts every value within the tolerance and none far outside it, holding no answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferecon.exercises import _bucket, accepted_buckets, bucket_hash, check

ROOT = Path(__file__).resolve().parent.parent
magnitudes = st.floats(min_value=1e-9, max_value=1e15, allow_nan=False, allow_infinity=False)
signs = st.sampled_from([1.0, -1.0])
rtols = st.sampled_from([1e-9, 1e-3, 0.01, 0.02, 0.05, 0.1])
fractions = st.floats(min_value=0.0, max_value=1.0)


@settings(max_examples=300, deadline=None)
@given(magnitudes, signs, rtols, fractions, st.sampled_from([1.0, -1.0]))
def test_every_value_within_the_tolerance_is_accepted(mag, sign, rtol, frac, direction):
    answer = sign * mag
    value = answer * (1 + rtol) ** (direction * frac * 0.999)   # within a factor (1 + rtol)
    assert _bucket(value, rtol) in accepted_buckets(answer, rtol)


@settings(max_examples=300, deadline=None)
@given(magnitudes, signs, rtols, st.floats(min_value=1.5, max_value=50.0), st.sampled_from([1.0, -1.0]))
def test_no_value_beyond_one_and_a_half_tolerances_is_accepted(mag, sign, rtol, k, direction):
    answer = sign * mag
    value = answer * (1 + rtol) ** (direction * k * 1.001)
    assert _bucket(value, rtol) not in accepted_buckets(answer, rtol)


@given(magnitudes, rtols)
def test_the_opposite_sign_is_never_accepted(mag, rtol):
    assert _bucket(-mag, rtol) not in accepted_buckets(mag, rtol)


def test_checks_file_holds_hashes_not_values():
    checks = json.loads((ROOT / "inferecon" / "exercises" / "checks.json").read_text(encoding="utf-8"))
    assert checks
    for ex, spec in checks.items():
        assert set(spec) == {"rtol", "unit", "hint", "accept"}, ex
        assert len(spec["accept"]) == 5 and all(len(h) == 64 for h in spec["accept"]), ex


def test_a_bucket_hash_depends_on_the_exercise():
    assert bucket_hash("4.2", ("+", 100)) != bucket_hash("4.3", ("+", 100))


def test_unanswered_placeholder_is_not_an_error():
    ex = next(iter(json.loads((ROOT / "inferecon" / "exercises" / "checks.json").read_text(encoding="utf-8"))))
    res = check(ex, ...)
    assert not res and "no answer yet" in str(res)


@pytest.mark.parametrize("bad", ["12", True, float("nan"), float("inf"), None, [1.0]])
def test_bad_answers_are_refused_with_a_clear_error(bad):
    ex = next(iter(json.loads((ROOT / "inferecon" / "exercises" / "checks.json").read_text(encoding="utf-8"))))
    with pytest.raises(ValueError, match="answer must be"):
        check(ex, bad)


def test_stored_checks_accept_the_current_answers():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "tools" / "exercise_checks.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
