"""Print-on-demand services' published file rules, in one table of data.

``print: service:`` picks a row. The settings check conflicts against it
(:mod:`fanbind.settings.schema`), the page geometry takes its margins and bleed
edges from it (:mod:`fanbind.pdf.geometry`), the finished interior is cleaned to
it (:mod:`fanbind.pdf.pod`) and the cover wrap takes its paper and barcode
figures from it (:mod:`fanbind.pdf.cover_wrap`).

Why a table and not code per service: the figures change when a service edits
its help pages, and each must say where it was read and when. A figure that
could not be found is ``None`` and the row's ``missing`` says what fanbind does
instead; nothing here is guessed. The figures were read through fanbind's
stored copies of public pages (the search tool of the session that wrote this,
2026-12-03); the sources name the pages.

This module imports nothing of fanbind's but :mod:`fanbind.units`: the
settings import it, and an EPUB build must not load the PDF stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

IN = 72.0
"""Points per inch: every length below is in points."""

Edge = Literal["top", "bottom", "outside", "inside"]
ALL_EDGES: tuple[Edge, ...] = ("top", "bottom", "outside", "inside")
READ_ON = "2026-12-03"


@dataclass(frozen=True)
class Source:
    """Where a row's figures were read, and when."""

    what: str
    url: str
    read: str = READ_ON


@dataclass(frozen=True)
class Service:
    """One service's rules for an interior PDF and a cover wrap (points, inches per page)."""

    name: str
    label: str
    bleed: float | None
    """The bleed the service asks for, when a book bleeds (None: any)."""
    bleed_edges: tuple[Edge, ...]
    """The edges of a page that get bleed (the inside edge is bound)."""
    margin: float | None
    """Least top, bottom and outside margin without bleed, running heads and folios included."""
    margin_with_bleed: float | None
    """The same for a book with bleed."""
    gutter: tuple[tuple[int | None, float], ...] | None
    """Least inside margin by page count (upper bound, points); None: not published."""
    even_pages: bool
    """Pad the interior to an even page count with a blank page."""
    marks: bool
    """Crop and trim marks allowed in the interior file."""
    outline: bool
    """Bookmarks (the PDF outline) allowed in the interior file."""
    links: bool
    """Link annotations allowed in the interior file."""
    paper: Mapping[str, float] | None
    """Thickness of one page (a leaf side) in inches, by paper; None: not found (KDP's used)."""
    spine_text_pages: int | None
    """Spine text only on books of more than this many pages; None: not found (KDP's used)."""
    barcode: tuple[float, float] | None
    """Width and height (inches) kept free at the bottom right of the back; None: KDP's used."""
    missing: tuple[str, ...] = ()
    """What could not be found, and what fanbind does instead."""
    sources: tuple[Source, ...] = field(default=())


KDP_GUTTER: tuple[tuple[int | None, float], ...] = (
    (150, 0.375 * IN), (300, 0.5 * IN), (500, 0.625 * IN), (700, 0.75 * IN),
    (None, 0.875 * IN),
)
"""KDP's least inside margin: 24–150 pages 0.375 in, to 300 0.5, to 500 0.625, to 700 0.75,
to 828 0.875."""

KDP_PAPER = {"white": 0.002252, "cream": 0.0025}

SERVICES: dict[str, Service] = {service.name: service for service in (
    Service(
        name="home", label="home printing",
        bleed=None, bleed_edges=ALL_EDGES, margin=None, margin_with_bleed=None, gutter=None,
        even_pages=False, marks=True, outline=True, links=True,
        paper=None, spine_text_pages=None, barcode=None,
        missing=("no service: the cover wrap uses KDP's paper, spine-text and barcode "
                 "figures",),
    ),
    Service(
        name="kdp", label="Amazon KDP (paperback)",
        bleed=0.125 * IN, bleed_edges=("top", "bottom", "outside"),
        margin=0.25 * IN, margin_with_bleed=0.375 * IN, gutter=KDP_GUTTER,
        even_pages=True, marks=False, outline=False, links=False,
        paper=KDP_PAPER, spine_text_pages=79, barcode=(2.0, 1.2),
        missing=("an even page count is not a published KDP rule: fanbind pads to one "
                 "(a leaf has two sides)",
                 "the barcode area (2 x 1.2 in, bottom right of the back) is the figure of "
                 "fanbind's brief; KDP's cover page itself was not in the pages read"),
        sources=(
            Source("Set Trim Size, Bleed, and Margins: bleed 0.125 in on top, bottom and "
                   "outside (page = trim + 0.125 in wide, + 0.25 in tall); outside, top and "
                   "bottom margins 0.25 in without bleed, 0.375 in with; inside margin by page "
                   "count; running heads and page numbers count as content (figures as quoted "
                   "by kdpbuilder.com/guides/kdp-bleed-and-margins)",
                   "https://kdp.amazon.com/help?topicId=GVBQ3CMEQW3W2VL6"),
            Source("Save Your Manuscript File: no crop marks, trim marks, bookmarks, comments, "
                   "annotations", "https://kdp.amazon.com/help/topic/GYEKAVKMSE23PFTM"),
            Source("spine width = pages x 0.002252 in (white) or 0.0025 in (cream); spine text "
                   "on books of more than 79 pages (KDP's cover calculator as quoted)",
                   "https://publishing.co.uk/guides/spine-width-calculator/"),
        ),
    ),
    Service(
        name="ingramspark", label="IngramSpark",
        bleed=0.125 * IN, bleed_edges=("top", "bottom", "outside"),
        margin=0.5 * IN, margin_with_bleed=0.5 * IN, gutter=None,
        even_pages=True, marks=False, outline=True, links=True,
        paper=None, spine_text_pages=None, barcode=None,
        missing=("interior bleed edges: not found; fanbind bleeds the three outer edges as "
                 "KDP does (the inside edge is bound)",
                 "inside margin by page count: not found; fanbind's own gutter table "
                 "(KDP's) applies",
                 "paper thickness and spine-text threshold: not found (IngramSpark's cover "
                 "template generator gives them); KDP's figures used",
                 "barcode area: not found; KDP's used"),
        sources=(
            Source("File Requirements for Print Books (2017-01-31): no crop, registration or "
                   "printer marks; the final page should be blank (IngramSpark adds one); "
                   "margins at least 0.5 in from trim on all sides, page numbers included",
                   "https://www.ingramspark.com/blog/file-requirements-for-print-books"),
        ),
    ),
    Service(
        name="lulu", label="Lulu",
        bleed=0.125 * IN, bleed_edges=ALL_EDGES,
        margin=0.5 * IN, margin_with_bleed=0.5 * IN, gutter=None,
        even_pages=True, marks=False, outline=True, links=True,
        paper=None, spine_text_pages=None, barcode=None,
        missing=("an even page count is not a published Lulu rule: fanbind pads to one",
                 "inside margin by page count: Lulu suggests 0.2-0.3 in of gutter beyond the "
                 "0.5 in margin; fanbind's own gutter table (larger) applies",
                 "paper thickness, spine-text threshold and barcode area: not found; KDP's "
                 "figures used"),
        sources=(
            Source("What is bleed: 0.125 in past the trim on every side (page 0.25 in larger "
                   "both ways), safety margin 0.5 in, no crop or registration marks",
                   "https://help.lulu.com/en/support/solutions/articles/64000255584"),
            Source("Tips for formatting documents: at least 0.5 in margins, gutter 0.2-0.3 in",
                   "https://help.lulu.com/en/support/solutions/articles/64000255583"),
        ),
    ),
)}

SERVICE_NAMES = tuple(SERVICES)
DEFAULT_SERVICE = "home"


def service(name: str | None) -> Service:
    """The row for ``name`` (``None``: home printing)."""
    return SERVICES[name or DEFAULT_SERVICE]


def paper_thickness(row: Service, paper: str) -> float:
    """Inches per page on ``paper`` for this service (KDP's figure where the row has none)."""
    return (row.paper or KDP_PAPER)[paper]


def spine_text_pages(row: Service) -> int:
    """Spine text goes on books of more than this many pages (KDP's 79 where not found)."""
    return row.spine_text_pages if row.spine_text_pages is not None else 79


def barcode_area(row: Service) -> tuple[float, float]:
    """Width and height in inches of the back's barcode area (KDP's where not found)."""
    return row.barcode or (2.0, 1.2)


def least_inside(row: Service, pages: int) -> float | None:
    """The service's least inside margin for a book of ``pages`` pages (points)."""
    if row.gutter is None:
        return None
    for limit, margin in row.gutter:
        if limit is None or pages <= limit:
            return margin
    return None  # pragma: no cover - the table ends with None


def least_margin(row: Service, *, bleed: bool) -> float | None:
    """The least top, bottom and outside margin (points) for a book with or without bleed."""
    return row.margin_with_bleed if bleed else row.margin


def pad_multiple(row: Service, pad_to: int | None) -> int | None:
    """What the page count is padded to a multiple of: ``pad_to``, made even if the row says."""
    if not row.even_pages:
        return pad_to
    if not pad_to:
        return 2
    return pad_to if pad_to % 2 == 0 else pad_to * 2
