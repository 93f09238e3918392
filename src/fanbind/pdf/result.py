"""What a PDF layout produced, apart from :mod:`fanbind.pdf.layout` (which imports WeasyPrint).

:mod:`fanbind.pdf.parts` builds these for a book joined from cached parts without
laying anything out, so it must not need WeasyPrint just to say what it did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fanbind.pdf.folios import roman as roman  # where page numbers are decided; re-exported

PageMap = tuple[tuple[str, str], ...]
#: A story paragraph's id (``story-3-b17``, given by :mod:`fanbind.render`): what the
#: page map names, and what no link points at.
BLOCK_ID = re.compile(r"^story-\d+-b\d+$")
#: The attribute a story paragraph's id is laid out under (:func:`fanbind.pdf.layout.html_source`).
#: WeasyPrint turns every ``id`` into a declaration of the element's own, and an element
#: with declarations of its own shares no computed style with its siblings: as ``id``\ s,
#: the paragraphs' ids made WeasyPrint compute every property of every paragraph, and of
#: every line and word box in it, again (a sixth of a layout's work on the sample book).
BLOCK_ATTRIBUTE = "data-fb-block"


def element_id(element: Any) -> str | None:
    """The id of an element of a laid-out tree: its ``id``, or its block id."""
    if element is None:
        return None
    name = element.get("id") or element.get(BLOCK_ATTRIBUTE)
    return str(name) if name else None


@dataclass(frozen=True)
class PdfResult:
    """What the layout produced.

    ``page_map`` has one ``(id, label)`` pair per printed page, in order: the id
    of the block at the top of the page (the paragraph continuing from the
    previous page when one is split, else the first block starting on it; the
    section's id on front-matter pages; blank pages take the id of the next page
    with content, trailing blank pages that of the last one) and the folio as
    printed (roman in front matter, arabic from the first story; pages that
    show no folio get the number they would show).

    ``passes`` counts layouts (see the module docstring), ``padded`` the blank
    pages added for ``print: pad_to``, ``ladders`` the paragraphs still with
    more than :data:`MAX_LADDER` hyphenated lines in a row (only ones without a
    block id, such as notes, can remain). ``fetched`` lists every file the
    fetcher served, ``refused`` every URL it turned away.
    """

    pages: int
    refused: tuple[str, ...]
    warnings: tuple[str, ...]
    page_map: PageMap = ()
    trim: str = ""
    passes: int = 1
    padded: int = 0
    ladders: int = 0
    fetched: tuple[str, ...] = ()
    #: Laid out in parts (:mod:`fanbind.pdf.parts`): how many story parts, which of them
    #: were laid out by this build (the rest came from the cache), which got new
    #: folios, and which of "back" and "front" matter were laid out.
    parts: int = 0
    parts_laid_out: tuple[int, ...] = ()
    parts_stamped: tuple[int, ...] = ()
    matter_laid_out: tuple[str, ...] = ()
    #: The stamps (folios) and whether the matter that served were started beside
    #: the layouts, as soon as what they print was known (:mod:`fanbind.pdf.numbering`).
    stamped_early: tuple[int, ...] = ()
    matter_early: bool = False
    #: Parts inside a story moved across by the join (laid out starting on a recto,
    #: landed on a verso), and those laid out again because they landed on another
    #: side than planned (a part before them came out longer or shorter than its
    #: plan). See docs/pdf-in-parts.md.
    parts_relaid: tuple[int, ...] = ()
    parts_flipped: tuple[int, ...] = ()
    #: Pieces of a long story whose makeup by spread differs with the side they
    #: start on (each is planned for the side it lands on), and the renders each
    #: part laid out by this build took, by part (0: from the cache).
    parts_sided: tuple[int, ...] = ()
    parts_passes: tuple[int, ...] = ()
    #: Parts of a story without chapters made up with the whole story
    #: (:mod:`fanbind.pdf.running`): per part, (its index, it starts inside a
    #: paragraph, its first page is a verso).
    parts_running: tuple[tuple[int, bool, bool], ...] = ()
    #: ...and of those, the parts whose first render this build made (not cached),
    #: those whose pages were made from it (no second render: pdf/holding.py),
    #: and why others that were held were laid out again.
    parts_read: tuple[int, ...] = ()
    parts_remade: tuple[int, ...] = ()
    parts_not_remade: tuple[tuple[int, str], ...] = ()
    #: The parts whose layout started while the book was still being read, taken
    #: as the plan's own (:mod:`fanbind.pdf.ahead`).
    parts_ahead: tuple[int, ...] = ()
    #: Parts made from their cached layout with only their changed chapters laid out
    #: again (:mod:`fanbind.pdf.splice`): (part, the pieces laid out).
    parts_spliced: tuple[tuple[int, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class FolioPlan:
    """What a part's margin boxes (folios, running heads) need, without its layout.

    :mod:`fanbind.pdf.parts` caches a laid-out part of a book as a PDF without
    margin boxes. Its folios depend on where the part lands in the book, which
    an edit to an earlier story can change; redrawing them from this plan
    (:func:`stamp_folios`) costs a few milliseconds a page instead of a new
    layout. Per page: WeasyPrint's page type (side, blank, page name, the
    ``:nth()`` groups, as a plain tuple), the counters as the page ended and the page's number
    in the part; for the part: the named strings set on each page (the running
    heads) and the root element's attributes, which the ``@page`` rules inherit
    through. Plain data only, so it pickles into the cache.
    """

    pages: tuple[tuple[Any, Any, int], ...]
    strings: tuple[tuple[str, tuple[tuple[int, tuple[Any, ...]], ...]], ...]
    root: tuple[tuple[str, str], ...]
    overflow: str


def fill_page_ids(ids: list[str | None]) -> list[str]:
    """Give pages without a block of their own an id for the page-list.

    Blank pages point at what follows them (the next story); trailing ones, such as
    padding at the end, at the last page with content.
    """
    filled: list[str | None] = list(ids)
    following: str | None = None
    for index in range(len(filled) - 1, -1, -1):
        if filled[index] is None:
            filled[index] = following
        else:
            following = filled[index]
    previous = ""
    for index, value in enumerate(filled):
        if value is None:
            filled[index] = previous
        else:
            previous = value
    return [page_id or "" for page_id in filled]
