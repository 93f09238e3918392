"""Page numbers: the one rule every folio and every printed page reference follows.

A printed book numbers its front matter in lower-case roman from its first page
and its body in arabic from 1 on the page that holds the first story's title,
without a break or a restart after that. :class:`Folios` is that rule for one
laid-out book: the folio drawn in a page's margin, the number a contents entry or
a "page N" reference prints, the label the EPUB's page list gives the page and the
PDF's ``/PageLabels`` all come from it.

Why not CSS alone: print.css used to restart the page counter on the first page of
the ``body`` page group. WeasyPrint starts a new page group wherever the element at
the top of a page after a forced break carries that page name again, so a story's
end notes after its chapters restarted the folios at 1 (and the contents, the
warnings link and the page list followed the wrong count). Page groups now only
style pages (openings, blank pages); the page counter is never reset by a stylesheet
but by :func:`fanbind.pdf.layout.numbered_from`, which sets it to 1 on the page that
:func:`first_folio_anchor` names, while WeasyPrint paginates, so the counter its
margin boxes and ``target-counter()`` read is the one this module describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fanbind.model import Anthology

#: A ``/PageLabels`` range: its first page (0-based), its style (``r`` lower roman,
#: ``D`` decimal) and the number it starts at.
LabelRange = tuple[int, Literal["r", "D"], int]


def first_folio_anchor(anthology: Anthology) -> str | None:
    """The id of the element whose page is folio 1: the first story's title.

    None for a book without stories (every page is then front matter).
    """
    return f"{anthology.stories[0].id}-title" if anthology.stories else None


def roman(number: int) -> str:
    """Lower-case roman numerals, as CSS ``lower-roman`` prints them."""
    digits = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
              (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = []
    for value, letters in digits:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


@dataclass(frozen=True)
class Folios:
    """The folio of every page of a book of ``pages`` pages.

    ``first_body``: the 0-based index of the page numbered 1 (the page holding
    :func:`first_folio_anchor`), None when there is none (all roman).
    """

    pages: int
    first_body: int | None

    @classmethod
    def find(cls, anchor_pages: Sequence[Sequence[str]], anchor: str | None) -> Folios:
        """The folios of pages whose anchors (ids) are ``anchor_pages``, folio 1 on
        the page holding ``anchor``."""
        first = next((i for i, names in enumerate(anchor_pages) if anchor in names), None)
        return cls(len(anchor_pages), first if anchor is not None else None)

    def roman(self, index: int) -> bool:
        """Whether page ``index`` (0-based) is front matter, numbered in roman."""
        return self.first_body is None or index < self.first_body

    def number(self, index: int) -> int:
        """The page counter's value on page ``index``: what the folio counts."""
        return index + 1 if self.roman(index) else index - (self.first_body or 0) + 1

    def label(self, index: int) -> str:
        """The folio as printed on page ``index`` (or as it would be, if shown)."""
        number = self.number(index)
        return roman(number) if self.roman(index) else str(number)

    def labels(self) -> tuple[str, ...]:
        return tuple(self.label(i) for i in range(self.pages))

    def label_ranges(self) -> tuple[LabelRange, ...]:
        """``/PageLabels``: roman from the first page, decimal from 1 at the first story.

        Every page is labelled, blank and unnumbered ones too, so a viewer's page
        box shows the folio the page has (or would have) in print.
        """
        if not self.pages:
            return ()
        if self.first_body is None:
            return ((0, "r", 1),)
        if self.first_body == 0:
            return ((0, "D", 1),)
        return ((0, "r", 1), (self.first_body, "D", 1))
