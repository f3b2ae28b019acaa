"""references.bib parses, and every source the chapters and the package cite is in it."""

import re
from pathlib import Path

import pybtex.database

ROOT = Path(__file__).resolve().parent.parent


def _keys() -> set[str]:
    return set(pybtex.database.parse_file(str(ROOT / "references.bib")).entries)


def test_bibliography_parses_and_has_unique_keys():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    declared = re.findall(r"^@\w+\{([^,\s]+),", text, re.M)
    assert len(declared) == len(set(declared)) == len(_keys())


def test_every_cited_key_exists():
    keys = _keys()
    cited: set[str] = set()
    for path in [*(ROOT / "src" / "chapters").glob("*.md"), *(ROOT / "inferecon").rglob("*.py"), ROOT / "glossary.md"]:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`|:cite:`([^`]+)`", path.read_text(encoding="utf-8")):
            for part in group:
                cited.update(k.strip() for k in part.split(",") if k.strip())
    assert cited and not (cited - keys), sorted(cited - keys)
