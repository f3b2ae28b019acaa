"""What a student sees of a chapter notebook, and the numbers in it (for answer-leak tests).

The student edition removes solution dropdowns (``{solution}`` directives) and everything between
``{solution-start}`` and ``{solution-end}``; every other cell, its stored outputs and the stored
values of its ``{eval}`` expressions stay. An exercise's answer must not be readable there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import _chapters

ROOT = Path(__file__).resolve().parent.parent

_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_NUMBER = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)"                       # mantissa, with thousands commas
    r"(?:\s*×\s*10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)|(?:e|\\times\s*10\^\{?)([+-]?\d+)\}?)?"  # × 10ⁿ, e±n, \times10^{n}
    r"\s*(%|k|M|B|T|million|billion|trillion)?(?![\w])")
_SCALE = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _strip_solution_dropdowns(text: str) -> str:
    return re.sub(r":::\{solution\}.*?\n:::(?=\n|$)", "", text, flags=re.S)


def student_visible_text(stem: str) -> str:
    """The prose, code, stored outputs and stored {eval} values a student sees of ``stem``."""
    nb = json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    parts: list[str] = []
    in_gate = False
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            visible = []
            for piece in re.split(r"(\{solution-start\}|\{solution-end\})", src):
                if piece == "{solution-start}":
                    in_gate = True
                elif piece == "{solution-end}":
                    in_gate = False
                elif not in_gate:
                    visible.append(_strip_solution_dropdowns(piece))
            parts.extend(visible)
            shown = "".join(visible)
            for e in cell["metadata"].get("user_expressions", []):
                if f"{{eval}}`{e['expression']}`" in shown:
                    parts.append(str(e["result"]["data"].get("text/plain", "")))
            continue
        if in_gate:
            continue
        parts.append(src)
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for key in ("text/plain", "text/markdown"):
                parts.append("".join(out.get("data", {}).get(key, "")))
    return "\n".join(parts)


def numbers_in(text: str) -> list[tuple[str, float]]:
    """Every number in ``text`` with the value a reader would take from it."""
    found = []
    for m in _NUMBER.finditer(text):
        mantissa, sup, exp, unit = m.groups()
        value = float(mantissa.replace(",", ""))
        power = sup.translate(_SUP) if sup else exp
        if power:
            value *= 10.0 ** int(power)
        if unit == "%":
            value /= 100
        elif unit:
            value *= _SCALE[unit]
        found.append((m.group(0), value))
    return found


def _resolution(shown: str, value: float) -> float:
    """Relative half-width of the last digit shown ("2" says 1.5-2.5; "63%" says 62.5-63.5%)."""
    mantissa = re.match(r"[\d,]*(?:\.\d+)?", shown).group(0).replace(",", "")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0**-decimals / float(mantissa) if float(mantissa) else float("inf")


def leaked(stem: str, answers: dict) -> list[str]:
    """Numbers a student sees in ``stem`` that give away an answer: within the answer's tolerance
    of it, and shown precisely enough to pin it down to that tolerance."""
    hits = []
    for shown, value in numbers_in(student_visible_text(stem)):
        for ex, spec in answers.items():
            answer = float(spec.compute())
            if answer and abs(value / answer - 1) <= spec.rtol and _resolution(shown, value) <= spec.rtol:
                hits.append(f"{ex}: {shown.strip()!r}")
    return hits


def stored_value(stem: str, expression: str) -> str:
    """The value the notebook stores (and the book shows) for ``{eval}`expression```."""
    return _chapters.stored_value(ROOT / "chapters" / f"{stem}.ipynb", expression)


def prose(stem: str) -> str:
    """The chapter's markdown source text (all of it, solutions included)."""
    nb = json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
