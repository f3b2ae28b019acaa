"""Input validation shared by the public functions.

Every public function validates at its boundary and raises :class:`ValueError` naming the
argument, the offending value and the valid range, so that bad input never turns into a
silent NaN, a nonsense figure or a numpy error downstream.

What every validator refuses, whatever the range:

* strings, numeric ones included (``"10"`` is a ValueError, not 10.0): a number that arrives as
  text is a mistake upstream (a CSV column, a widget) that should be seen, not papered over;
* booleans (``True`` is not the number 1 here) and ``None``;
* empty sequences (``[]``): a function of an empty array has no defined answer;
* NaN always, and infinities unless the validator is told ``allow_inf=True``.

A scalar and a one-element array give the same values (the validators return arrays of the
input's shape; nothing else depends on the shape).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_float_array",
    "at_least_one",
    "fraction",
    "in_range",
    "lookup",
    "non_negative",
    "positive",
    "real",
]

_T = TypeVar("_T")


def _describe(arr: NDArray[np.float64]) -> str:
    bad = arr.ravel()
    return f"{bad[0].item()!r}" if bad.size == 1 else f"{bad[:3].tolist()} (and {bad.size} in all)"


def _is_text_or_bool(x: object) -> bool:
    return isinstance(x, (str, bytes, bool, np.bool_)) or x is None


def _rule(low: float, high: float, *, low_open: bool, high_open: bool, integer: bool, allow_inf: bool) -> str:
    """The valid range in words: ``"be > 0 and finite"``, ``"lie in [0, 1]"``."""
    whole = "a whole number " if integer else ""
    if math.isinf(high) and math.isinf(low):
        rule = f"be {whole or 'a real number '}".rstrip()
    elif math.isinf(high):
        rule = f"be {whole}{'>' if low_open else '>='} {low:g}"
    elif math.isinf(low):
        rule = f"be {whole}{'<' if high_open else '<='} {high:g}"
    else:
        lo_b, hi_b = "(" if low_open else "[", ")" if high_open else "]"
        rule = (
            f"be {whole}in {lo_b}{low:g}, {high:g}{hi_b}"
            if integer
            else f"lie in {lo_b}{low:g}, {high:g}{hi_b}"
        )
    if not allow_inf and (math.isinf(high) or math.isinf(low)):
        rule += " and finite"
    return rule


def as_float_array(
    name: str, value: ArrayLike, *, rule: str = "be a finite number", allow_inf: bool = False
) -> NDArray[np.float64]:
    """``value`` as a float array; ValueError for text, booleans, None, empty input, NaN and
    (unless ``allow_inf``) infinities. ``rule`` states the valid range in the message."""
    if _is_text_or_bool(value):
        kind = "the string " if isinstance(value, (str, bytes)) else ""
        raise ValueError(
            f"{name} must be a number (it must {rule}), got {kind}{value!r} ({type(value).__name__})"
        )
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise ValueError(
            f"{name} must be a number or an array of numbers (each must {rule}), got {value!r}"
        ) from exc
    if raw.dtype.kind in "USVbcMm" or (
        raw.dtype.kind == "O" and any(_is_text_or_bool(x) for x in raw.ravel())
    ):
        raise ValueError(
            f"{name} must be a number or an array of numbers (each must {rule}), "
            f"got {value!r} (dtype {raw.dtype})"
        )
    if raw.size == 0:
        raise ValueError(
            f"{name} must not be empty (it must {rule}, or be an array of such numbers), got {value!r}"
        )
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a number or an array of numbers (each must {rule}), got {value!r}"
        ) from exc
    nan = np.isnan(arr)
    if nan.any():
        raise ValueError(
            f"{name} must not contain NaN (it must {rule}), got "
            + ("nan" if arr.size == 1 else f"NaN at {int(nan.sum())} of {arr.size} places")
        )
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must {rule}, got {_describe(arr[np.isinf(arr)])}")
    return arr


def in_range(
    name: str,
    value: ArrayLike,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> NDArray[np.float64]:
    """``value`` as a float array after checking every element lies in the given interval."""
    rule = _rule(low, high, low_open=low_open, high_open=high_open, integer=integer, allow_inf=allow_inf)
    arr = as_float_array(name, value, rule=rule, allow_inf=allow_inf)
    lo_bad = arr <= low if low_open else arr < low
    hi_bad = arr >= high if high_open else arr > high
    bad = lo_bad | hi_bad
    if bad.any():
        bounds = _rule(low, high, low_open=low_open, high_open=high_open, integer=False, allow_inf=allow_inf)
        raise ValueError(f"{name} must {bounds}, got {_describe(arr[bad])}")
    if integer:
        frac = np.isfinite(arr) & (arr != np.round(arr))
        if frac.any():
            raise ValueError(f"{name} must {rule}, got {_describe(arr[frac])}")
    return arr


def real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float:
    """One finite number in the interval, as a float (for dataclass fields and scalar knobs)."""
    arr = in_range(
        name,
        value,  # type: ignore[arg-type]
        low=low,
        high=high,
        low_open=low_open,
        high_open=high_open,
        integer=integer,
    )
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got an array of {arr.size}")
    return float(arr.reshape(()))


def positive(name: str, value: ArrayLike, *, allow_inf: bool = False) -> NDArray[np.float64]:
    """Return ``value`` as a float array after checking that every element is > 0."""
    return in_range(name, value, low=0.0, low_open=True, allow_inf=allow_inf)


def non_negative(name: str, value: ArrayLike, *, allow_inf: bool = False) -> NDArray[np.float64]:
    """Return ``value`` as a float array after checking that every element is >= 0 and finite."""
    return in_range(name, value, low=0.0, allow_inf=allow_inf)


def fraction(
    name: str, value: ArrayLike, *, low_open: bool = True, high_open: bool = False
) -> NDArray[np.float64]:
    """Check ``value`` lies in (0, 1] (default); the ends can be opened or closed."""
    return in_range(name, value, low=0.0, high=1.0, low_open=low_open, high_open=high_open)


def at_least_one(name: str, value: ArrayLike, *, integer: bool = False) -> NDArray[np.float64]:
    """Check ``value`` >= 1 and finite (a batch size, a device count), optionally whole."""
    return in_range(name, value, low=1.0, integer=integer)


def lookup(kind: str, key: object, catalogue: Mapping[str, _T]) -> _T:
    """Look ``key`` up in ``catalogue`` or raise a ValueError listing the valid ids."""
    if isinstance(key, str):
        k = key.strip().lower()
        if k in catalogue:
            return catalogue[k]
    valid = ", ".join(sorted(catalogue))
    raise ValueError(f"unknown {kind} {key!r}; valid ids are: {valid}")
