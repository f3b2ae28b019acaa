"""One symbol per concept (issue 14, item 15).

The glossary's notation table promises that a symbol means the same thing in every chapter.
These tests parse that table (each symbol listed once, with one meaning) and check the
chapters' prose math (``$...$`` and ``$$...$$`` outside code cells) and the display names of
the sympy symbols the chapters print for the overloads the book used to have: ``C`` for
training compute beside ``C`` for FLOP/s, Chinchilla's ``B`` beside the bandwidth ``B``,
``\\ell`` for a target loss beside the context length, ``a``/``b`` for allocation exponents
beside the attention coefficient and the batch, ``N``/``n`` for devices beside parameters.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "glossary.md"
CHAPTERS = sorted((ROOT / "src" / "chapters").glob("*.md"))

_CODE = re.compile(r"^```\{code-cell\}.*?^```", re.S | re.M)
_MATH = re.compile(r"\$\$.*?\$\$|(?<!\\)\$(?:[^$\\\n]|\\.)+?(?<!\\)\$", re.S)


def notation_rows(text: str) -> list[tuple[str, str]]:
    """(symbol, meaning) for every symbol of the glossary's notation table."""
    section = text.split("## Notation", 1)[1].split("## Glossary", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("$"):
            continue
        for sym in re.findall(r"\$([^$]+)\$", cells[0]):
            for part in sym.split(","):
                rows.append((part.strip(), cells[1]))
    return rows


def prose_math(text: str) -> list[str]:
    """Math spans of a chapter's Markdown cells (code cells removed)."""
    return _MATH.findall(_CODE.sub("", text))


def bare(letter: str) -> re.Pattern[str]:
    """A single-letter symbol with no subscript (``C`` but not ``C_\\text{train}``)."""
    return re.compile(r"(?<![A-Za-z\\])" + re.escape(letter) + r"(?![A-Za-z_])")


def test_glossary_one_meaning_per_symbol() -> None:
    rows = notation_rows(GLOSSARY.read_text())
    assert len(rows) > 20
    seen: dict[str, str] = {}
    for sym, meaning in rows:
        assert sym not in seen, f"${sym}$ has two meanings: {seen[sym]!r} and {meaning!r}"
        seen[sym] = meaning
    # the headline formula b* = pC/(2B): C is FLOP/s, B is bandwidth, b the batch
    assert "FLOP/s" in seen["C"] or "arithmetic rate" in seen["C"]
    assert "bandwidth" in seen["B"]
    assert seen["b"].startswith("batch")
    assert seen["\\ell"] == "context length"
    assert "attention" in seen["a"]
    assert "parameters" in seen["N"] and "devices" in seen["N_\\text{GPU}"]
    for renamed in ("C_\\text{train}", "A_N", "B_D", "\\kappa_N", "\\kappa_D", "L_\\text{target}"):
        assert renamed in seen


def test_glossary_terms_use_the_table() -> None:
    text = GLOSSARY.read_text().split("## Glossary", 1)[1]
    assert not re.search(r"\$C = 6ND\$", text)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_prose_math_follows_the_glossary(chapter: Path) -> None:
    spans = prose_math(chapter.read_text())
    problems = []
    for s in spans:
        # training compute is C_train, never the FLOP/s letter C
        if bare("C").search(s) and re.search(r"6ND|N\^\*|D\^\*|C/6|\^\{\(\\alpha", s):
            problems.append(f"bare C as training compute: {s}")
        # Chinchilla's coefficients are A_N, B_D: bare B is bandwidth
        if re.search(r"(?<![A-Za-z\\])[AB]/[ND]\^", s) or re.search(r"\\beta\s*B(?![A-Za-z_])", s):
            problems.append(f"bare Chinchilla coefficient: {s}")
        # the allocation exponents are kappa_N, kappa_D, not a (attention) and b (batch)
        if re.search(r"/6\)\^\{?[ab]\}?(?![A-Za-z_*])", s) or re.search(r"(?<![A-Za-z\\])[ab] = \\(alpha|beta)/", s):
            problems.append(f"a or b as an allocation exponent: {s}")
        # \ell is the context length, never a loss
        if re.search(r"L\(N, D\) = \\ell|= \\ell\$|\\ell - E|E - \\ell", s):
            problems.append(f"\\ell as a loss: {s}")
        # bytes per parameter is p (the package's bytes_per_element), not p_w
        if re.search(r"p_w(?![A-Za-z])", s):
            problems.append(f"p_w for bytes per parameter: {s}")
        # E is Chinchilla's irreducible loss, not the expected tokens of speculative decoding
        if re.search(r"(?<![A-Za-z\\])E = 1 \+|(?<![A-Za-z\\])E/\(\\gamma", s):
            problems.append(f"E as expected tokens: {s}")
        # F is the inference factor; FLOP per token is F_tok
        if re.search(r"(?<![A-Za-z\\])F/\(|\d+ F\)", s):
            problems.append(f"bare F as FLOP per token: {s}")
        # p is bytes per parameter, not a prefill time; T is tokens served, not a latency
        if re.search(r"\+ p\\right|b\\,p/|R p\)", s):
            problems.append(f"p as a prefill time: {s}")
        if re.search(r"T_\\text\{min\}|(?<![A-Za-z\\])T = \d+\\text\{ ms|(?<![A-Za-z\\])T \\propto", s):
            problems.append(f"T as a latency: {s}")
    text = _CODE.sub("", chapter.read_text())
    for pat, what in ((r"over \$N\$ devices|the \$N\$ devices|devices \$N\$|divided by \$N\$,", "N as devices"),
                      (r"\$n\$ (devices|GPUs)|\$2n\$", "n as devices"),
                      (r"\$\\sqrt N\$ ranks", "N as ranks")):
        if re.search(pat, text):
            problems.append(what)
    if chapter.stem.startswith("07"):
        for s in spans:
            if re.search(r"\\alpha(?!_\\text\{acc\})(?![A-Za-z])", s):
                problems.append(f"bare alpha as acceptance probability: {s}")
    assert not problems, "\n".join(problems)


def test_sympy_display_names_follow_the_glossary() -> None:
    from inferecon.symbolic import parallelism, roofline, scaling, speculative

    # training compute, Chinchilla's coefficients and the target loss are renamed
    assert scaling.C.name == r"C_\mathrm{train}"
    assert (scaling.A.name, scaling.B.name) == ("A_N", "B_D")
    assert scaling.ell.name == r"L_\mathrm{target}"
    # the roofline's letters are the glossary's
    assert (roofline.C.name, roofline.B.name, roofline.b.name) == ("C", "B", "b")
    assert roofline.p_w.name == "p" and roofline.ell.name == r"\ell" and roofline.a.name == "a"
    assert roofline.n.name == r"N_\mathrm{GPU}" and roofline.N.name == "N"
    assert (parallelism.B.name, parallelism.C.name, parallelism.p.name) == ("B", "C", "p")
    assert parallelism.N_gpu.name == r"N_\mathrm{GPU}"
    assert speculative.alpha.name == r"\alpha_\mathrm{acc}"
