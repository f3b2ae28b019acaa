"""Input validation shared by the public functions.

Every public function validates at its boundary and raises :class:`ValueError` naming the
argument, the offending value and the valid range, so that bad input never turns into a
silent NaN or a nonsense figure downstream.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _describe(arr: NDArray[np.float64]) -> str:
    bad = arr.ravel()
    return f"{bad[0].item()!r}" if bad.size == 1 else f"{bad[:3].tolist()} (and {bad.size} in all)"


def as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Convert to a float array, rejecting NaN and non-numeric input."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from exc
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN, got {_describe(arr[np.isnan(arr)])}")
    return arr


def positive(name: str, value: ArrayLike, *, allow_inf: bool = False) -> NDArray[np.float64]:
    """Return ``value`` as a float array after checking that every element is > 0."""
    arr = as_float_array(name, value)
    bad = arr <= 0
    if bad.any():
        raise ValueError(f"{name} must be > 0, got {_describe(arr[bad])}")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must be finite, got {_describe(arr[np.isinf(arr)])}")
    return arr


def non_negative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array after checking that every element is >= 0 and finite."""
    arr = as_float_array(name, value)
    bad = (arr < 0) | np.isinf(arr)
    if bad.any():
        raise ValueError(f"{name} must be >= 0 and finite, got {_describe(arr[bad])}")
    return arr


def fraction(name: str, value: ArrayLike, *, low_open: bool = True,
             high_open: bool = False) -> NDArray[np.float64]:
    """Check ``value`` lies in (0, 1] (default); the ends can be opened or closed."""
    arr = as_float_array(name, value)
    lo_bad = arr <= 0 if low_open else arr < 0
    hi_bad = arr >= 1 if high_open else arr > 1
    bad = lo_bad | hi_bad
    if bad.any():
        lo = "(0" if low_open else "[0"
        hi = "1)" if high_open else "1]"
        raise ValueError(f"{name} must lie in {lo}, {hi}, got {_describe(arr[bad])}")
    return arr


def at_least_one(name: str, value: ArrayLike, *, integer: bool = False) -> NDArray[np.float64]:
    """Check ``value`` >= 1 (a batch size, a device count), optionally integral."""
    arr = as_float_array(name, value)
    bad = (arr < 1) | np.isinf(arr)
    if bad.any():
        raise ValueError(f"{name} must be >= 1 and finite, got {_describe(arr[bad])}")
    if integer and (arr != np.round(arr)).any():
        raise ValueError(f"{name} must be a whole number, got {_describe(arr[arr != np.round(arr)])}")
    return arr


def lookup(kind: str, key: Any, catalogue: dict[str, Any]) -> Any:
    """Look ``key`` up in ``catalogue`` or raise a ValueError listing the valid ids."""
    if isinstance(key, str):
        k = key.strip().lower()
        if k in catalogue:
            return catalogue[k]
    valid = ", ".join(sorted(catalogue))
    raise ValueError(f"unknown {kind} {key!r}; valid ids are: {valid}")
