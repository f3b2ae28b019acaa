"""One author–year citation style for the book (issue 16), through sphinxcontrib-bibtex.

In the text, ``{cite}`key``` (= ``{cite:p}``) reads "(Pope et al., 2023)" and ``{cite:t}`key``` reads
"Pope et al. (2023)": reference style ``author_year_round`` (``bibtex_reference_style``).
On the bibliography page every entry starts the same way, "Pope, R., Douglas, S., … (2023).
Title. …", sorted by author, year and title: formatting style ``author_year``
(``bibtex_default_style``), listed as bullets (``:list: bullet``) so no second, alphabetic label
competes with the author–year one. The reference file has only ``@misc`` and
``@inproceedings`` entries; other types fall back to pybtex's ``unsrt`` layout with author-first
names.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pybtex.plugin import register_plugin  # type: ignore[import-untyped]
from pybtex.style.formatting import toplevel  # type: ignore[import-untyped]
from pybtex.style.formatting.unsrt import Style as UnsrtStyle  # type: ignore[import-untyped]
from pybtex.style.formatting.unsrt import pages
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


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author–year references, in round brackets."""

    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


class AuthorYearStyle(UnsrtStyle):  # type: ignore[misc]
    """Bibliography entries that open with "Surname, I., … (year)." sorted by author and year."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("name_style", "lastfirst")
        kwargs.setdefault("abbreviate_names", True)
        kwargs.setdefault("sorting_style", "author_year_title")
        super().__init__(**kwargs)

    def _authors_year(self) -> Any:
        authors = self.format_names("author", as_sentence=False)
        return sentence(sep=" ")[authors, join["(", field("year"), ")"]]

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


register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round",
                       RoundAuthorYearReferenceStyle)
register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)


def setup(app: Sphinx) -> dict[str, Any]:
    return {"parallel_read_safe": True, "parallel_write_safe": True}
