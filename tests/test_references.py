"""references.bib parses, and every source the chapters and the package cite is in it."""

import re
import string
import unicodedata
from pathlib import Path

import pybtex.database
import pybtex.plugin
from pybtex.backends.plaintext import Backend

from _ext import author_year

ROOT = Path(__file__).resolve().parent.parent
_PLAIN_TEXT = Backend()  # render_as("text") looks the backend up through importlib.metadata on every call


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


# ---------------------------------------------------------------------------------------------
# The labels and the order the book prints, built by the book's own citation style
# (_ext/author_year.py) from references.bib, as sphinxcontrib-bibtex does during the build.


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _labelled() -> pybtex.database.BibliographyData:
    data = pybtex.database.parse_file(str(ROOT / "references.bib"))
    author_year.label_years(data)
    return data


def _printed_bibliography() -> list[tuple[str, str, str]]:
    """The bibliography page as text: (key, entry text, year), in the order the style sorts."""
    data = _labelled()
    style = author_year.AuthorYearStyle()
    return [
        (entry.key, style.format_entry(entry.key, entry).text.render(_PLAIN_TEXT), entry.fields["year"])
        for entry in style.sort(data.entries.values())
    ]


def test_no_two_entries_share_an_in_text_label():
    labels: dict[str, str] = {}
    for entry in _labelled().entries.values():
        label = author_year.citation_label(entry)
        assert label not in labels, f"{entry.key} and {labels[label]} both read ({label})"
        labels[label] = entry.key


def test_shared_author_and_year_get_suffixes_in_bibliography_order():
    data = _labelled()
    # the two DeepSeek-AI reports of 2024: V2 (title first) is 2024a, V3 is 2024b
    assert author_year.citation_label(data.entries["deepseekai2024v2"]) == "DeepSeek-AI, 2024a"
    assert author_year.citation_label(data.entries["deepseekai2024v3"]) == "DeepSeek-AI, 2024b"
    assert author_year.citation_label(data.entries["deepseekai2025inference"]) == "DeepSeek-AI, 2025"
    # a suffix only where needed, and the bibliography page prints the same year as the text
    author_of = {k: author_year.citation_author(e) for k, e in data.entries.items()}  # one render each
    for key, text, year in _printed_bibliography():
        assert f"({year})." in text, (key, text)
        if year[-1].isalpha():
            base = year.rstrip(string.ascii_lowercase)
            twins = [
                e for e in data.entries.values()
                if author_of[e.key] == author_of[key]
                and e.fields["year"].rstrip(string.ascii_lowercase) == base
            ]
            assert len(twins) > 1, key
    # labelling twice (sphinxcontrib-bibtex caches the parsed data between builds) changes nothing
    again = author_year.label_years(data)
    assert again == author_year.year_suffixes(data.entries.values())
    assert author_year.citation_label(data.entries["deepseekai2024v3"]) == "DeepSeek-AI, 2024b"


def test_bibliography_is_sorted_by_printed_author_then_year_then_title():
    rows = []
    for key, text, year in _printed_bibliography():
        authors, _, rest = text.partition(f" ({year}). ")
        assert rest, (key, text)
        rows.append((_fold(authors), year, _fold(rest), key))
    assert rows == sorted(rows), [r[3] for r in rows]
    # corporate authors sit among the people, not in a second A-Z list after "Zhong"
    firsts = [r[0][0] for r in rows]
    assert firsts == sorted(firsts)
    assert rows[-1][3] == "zhong2024distserve"


def test_no_author_is_a_bare_handle():
    handle = re.compile(r"^[a-z0-9_.-]+$")  # one lower-case token, as GitHub or X user names are
    for entry in _labelled().entries.values():
        for person in entry.persons.get("author", []):
            name = str(person)
            if name == "others":
                continue
            assert not handle.match(name.strip("{}")), f"{entry.key}: author {name!r} looks like a user name"
            assert "@" not in name, f"{entry.key}: author {name!r} looks like a user name"
            last = " ".join(person.last_names).strip("{}")
            assert last[:1].isupper() or last[:1] == "\\", f"{entry.key}: surname {last!r}"


def test_every_arxiv_paper_is_linked_once():
    data = _labelled()
    style = author_year.AuthorYearStyle()
    backend = pybtex.plugin.find_plugin("pybtex.backends", "html")()
    arxiv = [e for e in data.entries.values() if e.fields.get("eprint")]
    assert arxiv
    for entry in arxiv:
        html = style.format_entry(entry.key, entry).text.render(backend)
        eprint = entry.fields["eprint"]
        assert html.count(f"arxiv.org/abs/{eprint}") == 1, (entry.key, html)
        assert html.count("http") == 1 or not author_year.is_arxiv_duplicate_url(entry), (entry.key, html)
        assert f"arXiv:{eprint}" in html
