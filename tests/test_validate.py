"""The shared validators: what they refuse, and that every message names argument, value and range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inferecon import units
from inferecon._validate import at_least_one, fraction, in_range, non_negative, positive, real


@pytest.mark.parametrize("value,message", [
    ("10", "x must be a number (it must be > 0 and finite), got the string '10' (str)"),
    (True, "x must be a number (it must be > 0 and finite), got True (bool)"),
    (None, "x must be a number (it must be > 0 and finite), got None (NoneType)"),
    ([], "x must not be empty (it must be > 0 and finite, or be an array of such numbers), got []"),
    ([1.0, "2"], "x must be a number or an array of numbers (each must be > 0 and finite)"),
    ([[1.0], [2.0, 3.0]], "x must be a number or an array of numbers"),
    (1 + 2j, "x must be a number or an array of numbers"),
    (math.nan, "x must not contain NaN (it must be > 0 and finite), got nan"),
    ([1.0, math.nan, math.nan],
     "x must not contain NaN (it must be > 0 and finite), got NaN at 2 of 3 places"),
    (math.inf, "x must be > 0 and finite, got inf"),
    (0.0, "x must be > 0 and finite, got 0.0"),
    ([3.0, -2.0], "x must be > 0 and finite, got -2.0"),
])
def test_positive_refuses(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        positive("x", value)  # type: ignore[arg-type]
    assert str(info.value).startswith(message), str(info.value)


def test_ranges_are_stated() -> None:
    with pytest.raises(ValueError, match=r"^u must lie in \(0, 1\], got 1.5$"):
        fraction("u", 1.5)
    with pytest.raises(ValueError, match=r"^s must lie in \[0, 1\), got 1.0$"):
        fraction("s", 1.0, low_open=False, high_open=True)
    with pytest.raises(ValueError, match=r"^n must be >= 0 and finite, got -1.0$"):
        non_negative("n", -1)
    with pytest.raises(ValueError, match=r"^b must be >= 1 and finite, got 0.5$"):
        at_least_one("b", 0.5, integer=True)
    with pytest.raises(ValueError, match=r"^b must be a whole number >= 1 and finite, got 2.5$"):
        at_least_one("b", 2.5, integer=True)
    with pytest.raises(ValueError, match=r"^k must be a whole number in \[2, 8\], got 3.5$"):
        in_range("k", 3.5, low=2, high=8, integer=True)
    with pytest.raises(ValueError, match=r"^p must be a single number, got an array of 2$"):
        real("p", [1.0, 2.0])


def test_inf_allowed_only_when_asked() -> None:
    assert positive("c", math.inf, allow_inf=True) == math.inf
    with pytest.raises(ValueError, match="c must be > 0, got -inf"):
        positive("c", -math.inf, allow_inf=True)


def test_scalar_and_one_element_array_give_equal_values() -> None:
    s, a = positive("x", 2.5), positive("x", [2.5])
    assert s.shape == () and a.shape == (1,)
    assert float(s) == float(a[0]) == 2.5
    assert real("x", np.array([2.5])) == real("x", 2.5) == real("x", np.float32(2.5)) == 2.5
    assert positive("x", np.int64(3)).dtype == np.float64


def test_display_helpers_refuse_text_and_nan() -> None:
    with pytest.raises(ValueError, match="got '10'"):
        units.format_si("10", "B")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="got nan"):
        units.format_seconds(math.nan)
    with pytest.raises(ValueError, match="got True"):
        units.format_count(True)
    assert "inf" in units.format_count(math.inf)  # an infinite figure is shown, not refused
