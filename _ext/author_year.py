"""One author–year citation style for the book (issue 16), through sphinxcontrib-bibtex.

In the text, ``{cite}`key``` (= ``{cite:p}``) reads "(Pope et al., 2023)" and ``{cite:t}`key``` reads
"Pope et al. (2023)": reference style ``author_year_round`` (``bibtex_reference_style``).
On the bibliography page every entry starts the same way, "Pope, R., Douglas, S., … (2023).
Title. …": formatting style ``author_year`` (``bibtex_default_style``). The reference file has
only ``@misc`` and ``@inproceedings`` entries; other types fall back to pybtex's ``unsrt`` layout
with author-first names.

Three rules make the list and the citations unambiguous, whatever ``references.bib`` holds:

* Order (:func:`sort_key`): by the authors as printed, case- and accent-insensitively, then
  year, then title. A corporate author (``{{NVIDIA}}``) sorts by its name among the people;
  pybtex's own ``author_year_title`` sorted it by its raw BibTeX braces, after "Z".
* Year suffixes (:func:`year_suffixes`, :func:`label_years`): entries whose in-text author label
  and year coincide ("DeepSeek-AI, 2024" twice) get years 2024a, 2024b, … in bibliography order;
  the suffixed year is what the text and the bibliography page print.
* One link per arXiv paper (:meth:`AuthorYearStyle.format_web_refs`): an ``eprint`` whose
  ``url`` is the same arXiv page prints once, as "arXiv:ID".

The functions are public so that ``tests/test_references.py`` checks the labels and the order that
the build prints, with this very code.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pybtex.backends.plaintext import Backend as _PlainTextBackend
from pybtex.database import BibliographyData, Entry  # type: ignore[import-untyped]
from pybtex.plugin import register_plugin  # type: ignore[import-untyped]
from pybtex.richtext import Text  # type: ignore[import-untyped]
from pybtex.style.formatting import toplevel  # type: ignore[import-untyped]
from pybtex.style.formatting.unsrt import Style as UnsrtStyle  # type: ignore[import-untyped]
from pybtex.style.formatting.unsrt import pages
from pybtex.style.sorting import BaseSortingStyle  # type: ignore[import-untyped]
from pybtex.style.template import (  # type: ignore[import-untyped]
    field,
    join,
    optional,
    optional_field,
    sentence,
    tag,
    words,
)
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join as bibtex_join
from sphinxcontrib.bibtex.style.template import year as bibtex_year

# render_as("text") looks its backend up through importlib.metadata on every call (~40 ms)
_PLAIN_TEXT = _PlainTextBackend()

#: Where :func:`label_years` keeps an entry's year as ``references.bib`` gives it, once ``year``
#: carries a suffix (so that labelling the same, cached, data twice changes nothing).
ORIGINAL_YEAR = "x-author-year-original-year"


def _round() -> BracketStyle:
    # several works in one bracket are separated by semicolons: "(DeepSeek-AI, 2024a; Pope et al.,
    # 2023)", since a comma already separates each author from the year
    return BracketStyle(left="(", right=")", sep="; ")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author–year references, in round brackets."""

    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


_ARXIV_PAGE = re.compile(r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[^?#]+?)(?:v\d+)?(?:\.pdf)?/?$")


def is_arxiv_duplicate_url(entry: Entry) -> bool:
    """Whether the entry's ``url`` is just the arXiv page of its ``eprint`` (one link is enough)."""
    eprint = entry.fields.get("eprint", "")
    prefix = entry.fields.get("archiveprefix", "arXiv")
    match = _ARXIV_PAGE.match(entry.fields.get("url", ""))
    return bool(eprint and prefix.lower() == "arxiv" and match and match["id"] == eprint)


class AuthorYearStyle(UnsrtStyle):  # type: ignore[misc]
    """Bibliography entries that open with "Surname, I., … (year)." sorted by :func:`sort_key`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("name_style", "lastfirst")
        kwargs.setdefault("abbreviate_names", True)
        kwargs.setdefault("sorting_style", "author_year_printed")
        super().__init__(**kwargs)

    def _authors_year(self) -> Any:
        authors = self.format_names("author", as_sentence=False)
        return sentence(sep=" ")[authors, join["(", field("year"), ")"]]

    def format_web_refs(self, e: Any) -> Any:
        if not is_arxiv_duplicate_url(e):
            return super().format_web_refs(e)
        return sentence[optional[self.format_eprint(e)], optional[self.format_doi(e)]]

    def get_misc_template(self, e: Any) -> Any:
        return toplevel[
            self._authors_year(),
            optional[self.format_title(e, "title")],
            sentence[optional[field("howpublished")]],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]

    def get_inproceedings_template(self, e: Any) -> Any:
        return toplevel[
            self._authors_year(),
            self.format_title(e, "title"),
            words[
                "In",
                sentence[
                    optional[self.format_editor(e, as_sentence=False)],
                    tag("em")[field("booktitle")],
                    optional[pages],
                ],
            ],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]

    def get_online_template(self, e: Any) -> Any:
        return self.get_misc_template(e)


_BIBLIOGRAPHY_STYLE: AuthorYearStyle | None = None


def printed_authors(entry: Entry) -> str:
    """The authors as the bibliography page prints them: "Pope, R., Douglas, S., …, & Dean, J."."""
    global _BIBLIOGRAPHY_STYLE
    if _BIBLIOGRAPHY_STYLE is None:
        _BIBLIOGRAPHY_STYLE = AuthorYearStyle()
    style = _BIBLIOGRAPHY_STYLE
    template = optional[style.format_names("author", as_sentence=False)]
    return str(template.format_data({"entry": entry, "style": style}).render(_PLAIN_TEXT))


@functools.cache
def _reference_style() -> RoundAuthorYearReferenceStyle:
    # building the style's templates takes ~0.1 s; one instance serves every label
    return RoundAuthorYearReferenceStyle()


def citation_author(entry: Entry) -> str:
    """The author part of an in-text citation, as the text prints it: "Pope et al."."""
    style = _reference_style()
    template = style.person.author_or_editor_or_title(full=False)
    return str(template.format_data({"entry": entry, "style": style}).render(_PLAIN_TEXT))


def citation_label(entry: Entry) -> str:
    """An in-text citation without its brackets, "Pope et al., 2023", with the same template
    nodes as the parenthetical reference style (after :func:`label_years`, with its suffix)."""
    style = _reference_style()
    template = bibtex_join(sep=style.author_year_sep)[
        style.person.author_or_editor_or_title(full=False), bibtex_year
    ]
    return str(template.format_data({"entry": entry, "style": style}).render(_PLAIN_TEXT))


def _fold(text: str) -> str:
    """Case- and accent-insensitive form of a text, for sorting ("Rozière" next to "Roziere")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def original_year(entry: Entry) -> str:
    """The year as references.bib gives it, without a suffix of :func:`label_years`."""
    return str(entry.fields.get(ORIGINAL_YEAR, entry.fields.get("year", "")))


def sort_key(entry: Entry) -> tuple[str, str, str]:
    """Bibliography order: authors as printed (a corporate author by its name), year, title."""
    title = Text.from_latex(entry.fields.get("title", "")).render(_PLAIN_TEXT)
    return _fold(printed_authors(entry)), original_year(entry), _fold(title)


def bibliography_order(entries: Iterable[Entry]) -> list[Entry]:
    """The entries in the order of the bibliography page."""
    return sorted(entries, key=sort_key)


class PrintedAuthorYearTitleSorting(BaseSortingStyle):  # type: ignore[misc]
    """pybtex sorting style of :func:`sort_key`."""

    def sorting_key(self, entry: Entry) -> tuple[str, str, str]:
        return sort_key(entry)


def _letters(index: int) -> str:
    """a, b, …, z, aa, ab, … for index 0, 1, …"""
    letters = string.ascii_lowercase
    return _letters(index // 26 - 1) + letters[index % 26] if index >= 26 else letters[index]


def year_suffixes(entries: Iterable[Entry]) -> dict[str, str]:
    """Suffix of the year of every entry that shares its in-text author label and year with
    another, keyed by citation key: a, b, … in bibliography order. Entries without a year are
    left alone (they read "n.d.")."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry in bibliography_order(entries):
        if original_year(entry):
            groups[citation_author(entry), original_year(entry)].append(entry.key)
    return {key: _letters(i) for keys in groups.values() if len(keys) > 1 for i, key in enumerate(keys)}


def label_years(bibdata: BibliographyData) -> dict[str, str]:
    """Give the ``year`` of every ambiguous entry its suffix, in place: the in-text citations and
    the bibliography page both print ``year``. Idempotent (sphinxcontrib-bibtex caches the parsed
    data between builds). Returns the suffixes."""
    entries = list(bibdata.entries.values())
    for entry in entries:
        if ORIGINAL_YEAR in entry.fields:
            entry.fields["year"] = entry.fields.pop(ORIGINAL_YEAR)
    suffixes = year_suffixes(entries)
    for key, suffix in suffixes.items():
        entry = bibdata.entries[key]
        entry.fields[ORIGINAL_YEAR] = entry.fields["year"]
        entry.fields["year"] = entry.fields["year"] + suffix
    return suffixes


def _label_cited_years(app: Sphinx) -> None:
    # after sphinxcontrib-bibtex's own builder-inited handler has parsed (or reused) the bib files
    label_years(app.env.get_domain("cite").bibdata.data)  # type: ignore[attr-defined]


register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round",
                       RoundAuthorYearReferenceStyle)
register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
register_plugin("pybtex.style.sorting", "author_year_printed", PrintedAuthorYearTitleSorting)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _label_cited_years, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
