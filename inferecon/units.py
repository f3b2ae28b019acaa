"""SI unit constants and display helpers.

Every quantity inside :mod:`inferecon` is held in SI base units (bytes, seconds, FLOP, US
dollars) and the unit is part of the name (``hbm_bytes_per_s``, ``price_usd_per_hour``).
Prefixes appear only here, so that call sites read ``80 * GB`` and displays read ``"80 GB"``.
"""

from __future__ import annotations

import math

KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
KIB = 2.0**10
MIB = 2.0**20
GIB = 2.0**30

KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15

MICROSECOND = 1e-6
MILLISECOND = 1e-3
MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86400.0
YEAR_S = 365.0 * DAY_S
MONTH_S = YEAR_S / 12.0

TOKENS_PER_MILLION = 1e6

__all__ = [
    "DAY_S",
    "GB",
    "GIB",
    "GIGA",
    "HOUR_S",
    "KB",
    "KIB",
    "KILO",
    "MB",
    "MEGA",
    "MIB",
    "MICROSECOND",
    "MILLISECOND",
    "MINUTE_S",
    "MONTH_S",
    "PETA",
    "TB",
    "TERA",
    "TOKENS_PER_MILLION",
    "YEAR_S",
    "format_bytes",
    "format_count",
    "format_flop",
    "format_sci",
    "format_seconds",
    "format_si",
]


def _number(value: object) -> float:
    """``value`` as a float for display; text, booleans, None and NaN are refused (inf is shown)."""
    if isinstance(value, (str, bytes, bool)) or value is None or not hasattr(value, "__float__"):
        raise ValueError(
            f"value must be a number (not NaN) to format, got {value!r} ({type(value).__name__})"
        )
    v = float(value)
    if math.isnan(v):
        raise ValueError("value must be a number (not NaN) to format, got nan")
    return v


_PREFIXES = [
    (1e24, "Y"),
    (1e21, "Z"),
    (1e18, "E"),
    (1e15, "P"),
    (1e12, "T"),
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
]


def format_si(value: float, unit: str, digits: int = 3) -> str:
    """Format ``value`` with an SI prefix: ``format_si(3.35e12, "B/s") == "3.35 TB/s"``."""
    v = _number(value)
    if v == 0:
        return f"0 {unit}"
    for scale, prefix in _PREFIXES:
        if abs(v) >= scale:
            return f"{v / scale:.{digits}g} {prefix}{unit}"
    return f"{v:.{digits}g} {unit}"


def format_flop(value: float, digits: int = 2) -> str:
    """Format a FLOP count in scientific notation: ``format_flop(5.88e23) == "5.88e+23 FLOP"``."""
    return f"{_number(value):.{digits}e} FLOP"


def format_bytes(value: float, digits: int = 3) -> str:
    """Format a byte count with decimal prefixes (``"80 GB"``)."""
    return format_si(value, "B", digits)


def format_seconds(value: float, digits: int = 3) -> str:
    """Format a duration, choosing µs, ms, s, h or days."""
    v = _number(value)
    if v < 1e-3:
        return f"{v / 1e-6:.{digits}g} µs"
    if v < 1.0:
        return f"{v / 1e-3:.{digits}g} ms"
    if v < 2 * HOUR_S:
        return f"{v:.{digits}g} s"
    if v < 2 * DAY_S:
        return f"{v / HOUR_S:.{digits}g} h"
    return f"{v / DAY_S:.{digits}g} days"


def format_count(value: float, digits: int = 3) -> str:
    """Format a count with k/M/B/T suffixes: ``format_count(1.5e13) == "15T"``."""
    v = _number(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.{digits}g}{suffix}"
    return f"{v:.{digits}g}"


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def format_sci(value: float, digits: int = 3) -> str:
    """Scientific notation for prose: ``format_sci(6.35e24) == "6.35 × 10²⁴"``."""
    v = _number(value)
    if v == 0:
        return "0"
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    exp = int(exponent)
    if exp == 0:
        return mantissa
    return f"{mantissa} × 10{str(exp).translate(_SUPERSCRIPT)}"
