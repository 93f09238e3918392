"""PDF layout: the only module that imports WeasyPrint.

The rendered XHTML documents, joined and arranged for print by
:mod:`fanbind.pdf.arrange`, are laid out by WeasyPrint with ``print.css`` plus a
settings sheet from :mod:`fanbind.pdf.geometry`. WeasyPrint fetches only through
:class:`ProjectFetcher`, which serves files from the project folder and the
package's styles and fonts and refuses everything else — no network, ever. The
margin-box helpers at the end serve a book laid out in parts
(:mod:`fanbind.pdf.parts`), whose folios are drawn after layout.

Layout passes. The inside margin depends on the page count (the gutter table in
:mod:`fanbind.pdf.geometry`), which is only known after layout. The first pass uses
an estimate from the word count; if the real count falls in another row of the
table, the book is laid out again with that row (rare: the gutter moves the text
block outward and keeps its width unless the outer margin would get too thin).
The makeup by spread can add pages after that check, so the count is checked
again at the end: with the same text block one more layout moves the margins
(the lines and pages stay); with another (a narrow trim whose outer margin is
at its least) the book is laid out afresh with the final count's gutter, once.
WeasyPrint cannot limit consecutive hyphenated lines (it has no
``hyphenate-limit-lines``), so after layout fanbind looks for paragraphs with
three or more hyphenated lines in a row and lays the book out once more with
automatic hyphenation switched off in just those paragraphs. Then the makeup by
spread (:mod:`fanbind.pdf.makeup`) plans its page breaks, and the planned pages
are made from the last layout's boxes (:mod:`fanbind.pdf.remake`: no second
layout; the 150,000-word story's five parts 17.2 → 10.9 s CPU, its build 27.8 →
21.8 s CPU and 168 → 137 MB at most, the PDF byte for byte the same; load 2) —
a contents page whose page numbers the makeup moves is laid out again alone —
or, where that module cannot vouch for them (see its docstring), the book is
laid out once more with the breaks.

What the passes after the first cost. WeasyPrint lays each one out from scratch
(parse, cascade, boxes, pages), but most of its lines are the first pass's: each
line broken with Pango is remembered for the run (:mod:`fanbind.pdf.line_memo`).
A pass's pages are dropped, and their reference cycles collected, before the
next is made (a book's boxes are the largest thing in the process), and the
garbage collector runs rarely while WeasyPrint lays out or writes
(:data:`GC_THRESHOLDS`). Together they take about half off a later pass
(sample: 3.4 → 1.8 s CPU; a 150,000-word story in one piece: 23.2 → 10.2 s) and
leave it 60–80 % of the first, which they also speed up: what remains is
WeasyPrint building and laying out a new box tree.

What a render costs. Most of a first render is WeasyPrint breaking lines with
Pango (two or three Pango layouts a line: about 45 % of a part's render) and
laying out blocks; fanbind's markup adds little that shows nothing (the
last-word spans, a few per cent). Some of WeasyPrint's questions get the same
answer for every box or page of a kind, and are answered once for the run
(:func:`_remembered_styles`: used margins and sizes, a text style's font
description and strut, a kind of page's styles, a box's page names); a justified
line's drawing layout is made without Pango (:mod:`fanbind.pdf.line_memo`).
Together (process CPU, min of 4 interleaved runs, load 7–10): a 30,000-word
part's first render 2.11 → 1.70 s (pandoc's HTML of the same words: 1.56 s with
pandoc's CSS, 1.66 s with print.css), the sample's ``lay_out`` 5.14 → 4.39 s.

What a write costs (:func:`write_layout`; the folio stamp's too). Drawing the
text was ~70 % of it: for every line WeasyPrint sets up a Pango layout again
(``reactivate``, ~15 %), shapes it (``get_first_line``, ~25 %: a justified line
comes back in one run per word, its spaces being letter-spaced) and walks its
glyphs through cffi in Python (~30 %); then zlib at level 9, over every stream
twice when the file gets an ``/ID`` (~15 %); fonts (HarfBuzz's subsetter, 25 ms
a part), links, outline and serialising are the rest. The glyph walk is
:mod:`fanbind.pdf.glyph_runs` and the compression is done once
(:mod:`fanbind.pdf.compressed_once`), both for the same bytes: the sample's
87-page write 1.22 → 0.88 s CPU, a 25,000-word story's 1.09 → 0.86 s (min of
6–8 interleaved runs, load 6–7); the 300,000-word story's twelve writes 18.6 /
18.0 → 13.5 / 15.5 s (two builds each, load 7–11). Pango's set-up and shaping
are what is left; the level stays 9, as the join copies the parts' streams
without compressing them again (a lower level would make the book bigger).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gc
import logging
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import pydyf
from lxml import etree

from fanbind.errors import BuildError
from fanbind.model import Anthology
from fanbind.pdf import makeup, remake
from fanbind.pdf.arrange import (
    START_LEFT_CLASS,
    PartOptions,
    add_class,
    add_dates,
    arrange_for_print,
    fit_running_heads,
    join_documents,
    one_link_per_entry,
    prepare_part,
    xhtml,
)
from fanbind.pdf.compressed_once import CompressedOnce
from fanbind.pdf.folios import Folios, first_folio_anchor
from fanbind.pdf.fonts import pin_font_clock
from fanbind.pdf.geometry import Geometry, estimate_pages, gutter_band, page_geometry
from fanbind.pdf.glyph_runs import GlyphWriter
from fanbind.pdf.hanging_space import hanging_trailing_space
from fanbind.pdf.html_parser import mend_pattern_cache
from fanbind.pdf.kept_styles import StyleKeeper, Styles, styles_key
from fanbind.pdf.kept_words import KeptWordsPyphen
from fanbind.pdf.libraries import quick_library_search
from fanbind.pdf.line_memo import LineMemo
from fanbind.pdf.linebreaks import book_rules, shortest_hyphenated, tie_breaks
from fanbind.pdf.page_names import page_values
from fanbind.pdf.page_styles import PageStyles
from fanbind.pdf.percentages import PercentMemo
from fanbind.pdf.pod import finish_book
from fanbind.pdf.result import (
    BLOCK_ATTRIBUTE,
    BLOCK_ID,
    FolioPlan,
    PageMap,
    PdfResult,
    element_id,
    fill_page_ids,
)
from fanbind.pdf.rows import Edge, Place, RunningFlow
from fanbind.pdf.stamps import PROBE_FOLIO, Folio, assemble
from fanbind.pdf.text_styles import TextStyleMemo
from fanbind.render import Document
from fanbind.resources import PRINT_CSS, STYLES_DIR
from fanbind.timings import record as record_timing
from fanbind.timings import start as start_timing

with quick_library_search():  # 0.3 s less per import: see fanbind.pdf.libraries
    import weasyprint.draw.text as weasyprint_draw_text
    import weasyprint.layout as weasyprint_layout
    import weasyprint.layout.block as weasyprint_block
    import weasyprint.layout.inline as weasyprint_inline
    import weasyprint.layout.page as weasyprint_page
    import weasyprint.layout.preferred as weasyprint_preferred
    from weasyprint import CSS, DEFAULT_OPTIONS, HTML
    from weasyprint import Document as RenderedDocument
    from weasyprint.css.counters import CounterStyle
    from weasyprint.css.targets import TargetCollector
    from weasyprint.document import Page
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_backgrounds, layout_box_backgrounds
    from weasyprint.layout.page import (
        PageType,
        make_margin_boxes,
        set_page_type_computed_styles,
    )
    from weasyprint.pdf.metadata import DocumentMetadata
    from weasyprint.text import line_break as weasyprint_line_break
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

mend_pattern_cache()  # two thirds of each HTML parse: see fanbind.pdf.html_parser

# Lines are not broken after their first word when a text fits but for its
# trailing space (fanbind.pdf.hanging_space): every render this module makes.
if not getattr(weasyprint_inline.split_first_line, "hangs_trailing_space", False):
    weasyprint_inline.split_first_line = weasyprint_preferred.split_first_line = \
        hanging_trailing_space(weasyprint_line_break.split_first_line)

MIME_TYPES = {
    ".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
    ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp",
}
PDF_VARIANTS = ("pdf/a-3b", "pdf/ua-1")
"""The variants ``--pdf-variant`` offers (WeasyPrint writes their metadata and, for
PDF/UA, the structure tree; it does not validate the result)."""

MAX_LADDER = 2
"""At most this many consecutive lines may end in a hyphen."""
#: Layouts at most for the makeup by spread (:mod:`fanbind.pdf.makeup`): one to
#: apply the plan, one more only where the plan did not come out as modelled.
MAX_MAKEUP_PASSES = 2
_HYPHENS = ("\u2010", "-", "\u00ad")
#: Python's garbage collector during a layout run (default: 700, 10, 10). A layout
#: makes millions of objects that live on (every page's boxes), and by default a
#: full collection runs whenever the long-lived objects grow by a quarter, walking
#: every box each time: about 20 full collections, 7–8 s of a 150,000-word story's
#: 47 s. Young garbage is still collected; a finished pass's boxes (cycles of some
#: 660,000 objects on that story) are collected once, when the next pass starts.
GC_THRESHOLDS = (50_000, 50, 1_000)
#: Per page box (by ``id``): what WeasyPrint's margin-box step got for that page
#: (layout context, page box, counter state, page number), kept by
#: :func:`deferred_folios` for drawing the margin boxes later.
MarginRecords = dict[int, tuple[Any, Any, Any, int]]


class RefusedResource(ValueError):
    """A resource outside the allowed folders, or not a local file."""


class ProjectFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types: Any
    """Serve only local files under the allowed roots; record what was refused.

    ``http:``, ``https:``, ``data:``, ``ftp:`` and every other scheme are refused
    before anything is opened, as are ``file:`` URLs outside the roots (symlinks
    are resolved first) and anything that is not a regular file. ``fetched``
    lists what was served, so tests can see that nothing else was read.
    """

    def __init__(self, roots: Iterable[Path]):
        super().__init__(allowed_protocols={"file"})
        self.roots = tuple(root.resolve() for root in roots)
        self.refused: list[str] = []
        self.fetched: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            self.refused.append(_short(url))
            raise RefusedResource(f"not fetched (only project files are used): {_short(url)}")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            self.refused.append(url)
            raise RefusedResource(f"not fetched (not a file inside the project): {url}")
        content_type = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        self.fetched.append(path.as_uri())
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


def _short(url: str) -> str:
    """``data:`` URLs can be megabytes long; a warning needs only their start."""
    return url if len(url) <= 120 else url[:100] + "…"


# ---------------------------------------------------------------------- layout


@dataclass
class Layout:
    """A laid-out book, not yet written: see :func:`lay_out`."""

    rendered: RenderedDocument
    geometry: Geometry
    page_map: PageMap
    passes: int
    padded: int
    ladders: int
    fetcher: ProjectFetcher
    warnings: list[str] = field(default_factory=list)
    fonts: FontConfiguration | None = None
    #: The page numbers the layout printed (:mod:`fanbind.pdf.folios`).
    folios: Folios = field(default_factory=lambda: Folios(0, None))
    #: The makeup by spread would make the same breaks were the pages on the other
    #: sides: a part inside a story may then be moved across (pdf/in_parts.py).
    side_free: bool = True
    #: Lines WeasyPrint broke with Pango in this run, and lines the passes after
    #: the first took from the memo instead (:mod:`fanbind.pdf.line_memo`).
    lines_made: int = 0
    lines_reused: int = 0
    #: The side the makeup was planned for the first page to land on (a verso: True);
    #: a part moved across by the join was laid out on the other (:class:`Landing`).
    planned_left: bool = False
    #: The memo itself: ``lay_out(..., lines=layout.lines)`` lays the same documents
    #: out again (another side, another page count) reusing these lines.
    lines: LineMemo | None = None
    #: Pages the makeup made from the first layout's boxes (:mod:`fanbind.pdf.remake`),
    #: and why it laid the book out again instead (empty: it did not need to).
    remade: int = 0
    not_remade: str = ""
    #: A first round's render kept for its remake (:class:`Seam` ``hold``): the
    #: document and WeasyPrint's layout context (:func:`remake_held`).
    held: tuple[HTML, remake.Capture] | None = None

    @property
    def root_classes(self) -> list[str]:
        """The classes of the laid-out tree's root (a part starting on a verso has one)."""
        return (self.rendered._html.etree_element.get("class") or "").split()


def _release_fonts(fonts: FontConfiguration | None) -> None:
    """Delete the folder WeasyPrint keeps ``@font-face`` files in, once written.

    WeasyPrint deletes it when the font configuration is garbage-collected, which
    never happens in a PDF worker (a pool's worker leaves with ``os._exit``) nor
    for one still referenced when Python exits: each part a worker laid out left
    a ``weasyprint-*`` folder in the temp folder for good.
    """
    if _KEEPER.keeps(fonts):
        return  # they serve the build's next layout (fanbind.pdf.kept_styles)
    folder = getattr(fonts, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        fonts._folder = None  # type: ignore[union-attr]


#: The stylesheets and fonts this process keeps for its build (fanbind.pdf.kept_styles).
#: A fresh set cost each run 0.03–0.05 s of CPU (print.css 22 ms, the font
#: configuration 5 ms, its @font-face fonts, cold Pango fonts) and each folio
#: stamp as much: the 50-story book (25 parts, load 9–10, same bytes) 35.5 ->
#: 33.6 s of layout and write CPU, its stamps 4.8 -> 2.9 s.
_KEEPER = StyleKeeper(_release_fonts)


def _run_styles(project_dir: Path, extra_stylesheets: tuple[Path, ...], part_css: str,
                fetcher: ProjectFetcher, captured: _CaptureWarnings) -> Styles:
    """A run's parsed stylesheets (print.css, then the user's, then ``part_css``) and
    their font configuration: those kept for the build when they are the same
    (:mod:`fanbind.pdf.kept_styles`: 0.03–0.05 s of CPU a run, and warm fonts),
    else parsed now with ``fetcher``. What the parse fetched, refused and said
    is in ``fetcher`` and ``captured`` either way."""
    parsed = False

    def parse() -> Styles:
        nonlocal parsed
        parsed = True
        fonts = FontConfiguration()
        fetched, refused, said = len(fetcher.fetched), len(fetcher.refused), \
            len(captured.messages)
        try:
            design = (CSS(filename=str(PRINT_CSS), url_fetcher=fetcher, font_config=fonts),)
            user = [CSS(filename=str(path), url_fetcher=fetcher, font_config=fonts)
                    for path in extra_stylesheets]
            if part_css:
                user.append(CSS(string=part_css, url_fetcher=fetcher, font_config=fonts))
        except BaseException:
            _release_fonts(fonts)
            raise
        return Styles(fonts, design, tuple(user), tuple(fetcher.fetched[fetched:]),
                      tuple(fetcher.refused[refused:]), tuple(captured.messages[said:]))

    styles = _KEEPER.styles(styles_key(project_dir, PRINT_CSS, extra_stylesheets, part_css),
                            parse)
    if not parsed:  # as a fresh parse would have left them
        fetcher.fetched.extend(styles.fetched)
        fetcher.refused.extend(styles.refused)
        captured.messages.extend(m for m in styles.warnings if m not in captured.messages)
    return styles


#: How WeasyPrint says, for every font, that it subsets without HarfBuzz's subsetter
#: (reproducible all the same: :func:`fanbind.pdf.fonts.pin_font_clock`).
_NO_HB_SUBSET = "Using fontTools instead of HarfBuzz-Subset"


class _CaptureWarnings(logging.Handler):
    """Collect WeasyPrint's warnings so they reach the user once, not on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(_NO_HB_SUBSET):
            return  # said once per font per part; fanbind says it once per build itself
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)


def _start_run() -> tuple[_CaptureWarnings, Callable[[], None]]:
    """Start one WeasyPrint run: its warnings captured, fontTools' clock pinned.

    Returns the capture and the function that ends the run (call it in a
    ``finally``): fonts are then dated by nothing but themselves, whichever
    subsetter WeasyPrint uses.
    """
    captured = _CaptureWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(captured)
    restore_clock = pin_font_clock()

    def end_run() -> None:
        restore_clock()
        logger.removeHandler(captured)

    return captured, end_run


def _keep_words(words: frozenset[str]) -> Callable[[], None]:
    """Keep ``words`` whole in this run's hyphenation (:mod:`fanbind.pdf.kept_words`).

    Returns the function that gives WeasyPrint's line breaker pyphen back.
    """
    if not words:
        return lambda: None
    original = weasyprint_line_break.pyphen
    weasyprint_line_break.pyphen = KeptWordsPyphen(words, original)

    def restore() -> None:
        weasyprint_line_break.pyphen = original

    return restore


def _memoise_lines(memo: LineMemo) -> Callable[[], None]:
    """Break each line once for the whole run (:mod:`fanbind.pdf.line_memo`).

    Puts ``memo`` in place of the ``split_first_line`` and ``create_layout``
    that WeasyPrint's inline layout and intrinsic widths call; returns the
    function that gives WeasyPrint its own back.
    """
    originals = (weasyprint_inline.split_first_line, weasyprint_inline.create_layout,
                 weasyprint_preferred.split_first_line)
    weasyprint_inline.split_first_line = memo.split_first_line
    weasyprint_inline.create_layout = memo.create_layout
    weasyprint_preferred.split_first_line = memo.split_first_line

    def restore() -> None:
        (weasyprint_inline.split_first_line, weasyprint_inline.create_layout,
         weasyprint_preferred.split_first_line) = originals

    return restore


def _remembered_styles(margin_boxes: bool = False) -> Callable[[], None]:
    """Work out what a kind of box or a text style gives WeasyPrint once for the run:
    used margins and sizes in the block and inline layout, where nearly every box is
    (:mod:`fanbind.pdf.percentages`); the font description and strut of each text
    style in the line breaker and inline layout (:mod:`fanbind.pdf.text_styles`);
    the styles of a page and its margin boxes, per kind of page
    (:mod:`fanbind.pdf.page_styles`); and a box's page names read from its first
    and last children only (:mod:`fanbind.pdf.page_names`). With ``margin_boxes``,
    the used sizes of the sixteen margin boxes made for every page too (the folio
    stamp: :func:`stamp_folios`). Returns the function that gives WeasyPrint its
    own back."""
    originals = (weasyprint_block.resolve_percentages, weasyprint_line_break.get_font_description,
                 weasyprint_inline.strut, weasyprint_page.set_page_type_computed_styles)
    percentages = PercentMemo(originals[0], boxes.PageBox, boxes.Box)
    text = TextStyleMemo(*originals[1:3])
    pages = PageStyles(originals[3])
    weasyprint_page.set_page_type_computed_styles = pages.set_page_type_computed_styles
    names = boxes.ParentBox.page_values
    boxes.ParentBox.page_values = page_values
    weasyprint_block.resolve_percentages = percentages.resolve_percentages
    weasyprint_inline.resolve_percentages = percentages.resolve_percentages
    if margin_boxes:
        weasyprint_page.resolve_percentages = percentages.resolve_percentages
    weasyprint_line_break.get_font_description = text.get_font_description
    weasyprint_inline.strut = text.strut

    def restore() -> None:
        weasyprint_block.resolve_percentages = weasyprint_inline.resolve_percentages = \
            weasyprint_page.resolve_percentages = originals[0]
        (weasyprint_line_break.get_font_description, weasyprint_inline.strut,
         weasyprint_page.set_page_type_computed_styles) = originals[1:]
        boxes.ParentBox.page_values = names

    return restore


def _quicker_writing() -> tuple[GlyphWriter, Callable[[], None]]:
    """Write the PDF with less work and the same bytes: each line's glyphs by
    :class:`fanbind.pdf.glyph_runs.GlyphWriter`, each stream compressed once
    (:mod:`fanbind.pdf.compressed_once`). Returns the writer (its tallies) and the
    function that gives WeasyPrint and pydyf their own back."""
    glyphs = GlyphWriter(weasyprint_draw_text.draw_first_line, ffi, pango, FROM_UNITS)
    original = weasyprint_draw_text.draw_first_line
    weasyprint_draw_text.draw_first_line = glyphs.draw_first_line
    streams_as_before = CompressedOnce(pydyf.PDF, pydyf.Stream).install()

    def restore() -> None:
        weasyprint_draw_text.draw_first_line = original
        streams_as_before()

    return glyphs, restore


def _fewer_collections() -> Callable[[], None]:
    """Collect garbage as :data:`GC_THRESHOLDS` says for a run; returns the function
    that puts the thresholds back."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    return lambda: gc.set_threshold(*before)


class Landing(Protocol):
    """How a part of a long story learns, between its first layout and its makeup,
    which side its first page lands on (:mod:`fanbind.pdf.landing`).

    A part inside a story starts on whatever side the parts before it leave, known
    once they are made up; its lines are the same on either side (the text block
    keeps its width), so its first layout need not wait, only its makeup plan.
    """

    @property
    def movable(self) -> bool:
        """The two sides differ only in their margins: a part laid out on one side and
        planned for the other is moved across by the join. Else it is laid out again
        on the side it lands on (its second layout; its first one's rows are planned)."""

    def lands_left(self, laid_left: bool) -> bool:
        """Whether the part's first page lands on a verso (may wait for the parts
        before it to be planned); ``laid_left``: the side it was laid out on."""

    def planned(self, pages: int, lands_left: bool) -> None:
        """The part's page count as planned, before its second layout."""


class Seam(Protocol):
    """A part of a long story without chapters, made up with the whole story
    (:mod:`fanbind.pdf.running`): its tree is cut by ``prepare`` before the
    first render; ``rows_only``, the first round, renders (hyphen ladders mended)
    and makes nothing up; else the one render is the part's made-up layout, of
    which the first ``pages`` pages are kept (None: all)."""

    @property
    def rows_only(self) -> bool: ...

    @property
    def pages(self) -> int | None: ...

    @property
    def hold(self) -> bool:
        """The first round's render is kept for :func:`remake_held` (no second layout)."""

    def prepare(self, html: etree._Element) -> None: ...


def lay_out(
    anthology: Anthology,
    documents: list[Document],
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created: dt.datetime,
    part: PartOptions | None = None,
    pages: int | None = None,
    reuse_lines: bool = True,
    landing: Landing | None = None,
    lines: LineMemo | None = None,
    seam: Seam | None = None,
    reuse_boxes: bool = True,
) -> Layout:
    """Lay the book out (the passes described at the top of this module), write nothing.

    ``part``: the documents are one part of a book laid out in parts
    (:mod:`fanbind.pdf.parts`), to be laid out as the options say. ``pages``: the
    page count whose gutter the book takes (the count a first attempt ended on,
    after its makeup); None: estimated, and settled after layout.
    ``reuse_lines``: the passes after the first take the lines they share with it
    from a memo (:mod:`fanbind.pdf.line_memo`); False breaks every line afresh in
    every pass (the tests compare the two). ``lines``: the memo of an earlier run on
    the same documents (:attr:`Layout.lines`, e.g. a part laid out again on its
    other side), used when that run had the same stylesheets and kept words.
    ``landing``: the makeup is planned for the side the part lands on, as it says.
    ``seam``: a part of a long story planned as a whole (:class:`Seam`).
    ``reuse_boxes``: the makeup's pages are made from the first layout's boxes
    (:mod:`fanbind.pdf.remake`) where it can vouch for them; False lays the book
    out again with the cuts (the tests compare the two).
    """
    clock = start_timing()  # for the benchmarks: fanbind.timings
    config = anthology.meta.print
    html_root = arrange_for_print(join_documents(anthology, documents))
    # The narrowest measure any page count gives (the thickest book's gutter):
    # heads fitted once stay fitted whatever pass the layout settles on.
    narrowest = page_geometry(config, pages=1_000_000)
    fit_running_heads(html_root, anthology, measure=narrowest.measure,
                      font_size=narrowest.font_size)
    rules = book_rules(anthology)
    tie_breaks(html_root, rules, shortest=shortest_hyphenated(extra_stylesheets))
    add_dates(html_root, created)
    if part is not None:
        prepare_part(html_root, part)
    if seam is not None:
        seam.prepare(html_root)
    one_link_per_entry(html_root)
    fetcher = ProjectFetcher([project_dir, STYLES_DIR])
    fonts = None
    captured, end_run = _start_run()
    keep_words = _keep_words(rules.never)
    memo = None
    if reuse_lines:
        scope = (PRINT_CSS, extra_stylesheets, part.css if part else None, rules.never)
        memo = lines if lines is not None and lines.scope == scope else LineMemo(
            weasyprint_inline.split_first_line, weasyprint_inline.create_layout, scope,
            layout_class=weasyprint_line_break.Layout)
    made, reused = (memo.made, memo.reused) if memo else (0, 0)
    forget_lines = _memoise_lines(memo) if memo else lambda: None
    forget_styles = _remembered_styles()
    collect_as_before = _fewer_collections()
    try:
        styles = _run_styles(project_dir, extra_stylesheets, part.css if part else "",
                             fetcher, captured)
        fonts = styles.fonts

        # Folio 1 is the page of the book's first story title; a part without it
        # counts on from its first page (its folios are moved on when stamped).
        first_anchor = first_folio_anchor(anthology) if part is None or part.first_story \
            else None

        document: HTML | None = None
        rendered: RenderedDocument | None = None
        capture: remake.Capture | None = None  # the last render's layout context
        hold = seam is not None and seam.rows_only and seam.hold

        def render(geometry: Geometry) -> tuple[HTML, RenderedDocument]:
            nonlocal document, rendered, capture
            # The last layout's pages go before the next is made: a book's boxes
            # are the largest thing in the process, and every collection of
            # Python's garbage collector walks them.
            if rendered is not None:
                document = rendered = capture = None
                gc.collect()  # its boxes' cycles (GC_THRESHOLDS)
            source = html_source(html_root)
            document = HTML(string=source, base_url=project_dir.as_uri() + "/",
                            url_fetcher=fetcher)
            settings = CSS(string=geometry.css(), url_fetcher=fetcher, font_config=fonts)
            with numbered_from(first_anchor), remake.captured_layout() as captured:
                rendered = document.render(stylesheets=[*styles.design, settings,
                                                        *styles.user],
                                           font_config=fonts)
            capture = captured[-1] if captured and (reuse_boxes or hold) else None
            return document, rendered

        first_guess = page_geometry(config, pages=1)
        estimate = estimate_pages([s.words for s in anthology.stories], first_guess)
        geometry = page_geometry(config, pages=part.book_pages if part else pages or estimate)
        passes = 0
        tried: set[int] = set()
        while True:
            passes += 1
            document, rendered = render(geometry)
            count = _padded_count(len(rendered.pages), config.page_multiple)
            band = gutter_band(count)
            if band == geometry.band or not geometry.mirrored or part or pages:
                break
            if band in tried and band < geometry.band:
                break  # the count flips between two rows: keep the wider gutter
            settle = band in tried  # flipping, and this layout has the narrower one
            tried.add(geometry.band)
            geometry = page_geometry(config, pages=count)
            if settle:
                passes += 1
                document, rendered = render(geometry)
                break

        ladders = _ladder_paragraphs(rendered) if seam is None or seam.rows_only else set()
        if ladders:
            for element in html_root.iter(xhtml("p")):
                if element.get("id") in ladders:
                    add_class(element, "no-hyphens")
            passes += 1
            document, rendered = render(geometry)
        remaining = len(_ladder_paragraphs(rendered))

        side_free = True
        planned_left = laid_left = START_LEFT_CLASS in (html_root.get("class") or "").split()
        flip = False  # planned for the other side than laid out on: the join moves it
        remade, not_remade = 0, ""
        # A seam's makeup was planned with its whole story's (pdf/running.py).
        for round_ in range(MAX_MAKEUP_PASSES if seam is None else 0):
            reads = read_flows(rendered, geometry)
            flows = [read.flow for read in reads]
            other = [replace(f, first_verso=not f.first_verso) for f in flows]
            relay = False  # laid out again on the other side (its rows are the same)
            if round_ == 0 and landing is not None:
                planned_left = landing.lands_left(laid_left)
                if planned_left != laid_left and landing.movable:
                    flip = True
                elif planned_left != laid_left:
                    relay = True
                    classes = (html_root.get("class") or "").split()
                    html_root.set("class", " ".join(
                        [*classes, START_LEFT_CLASS] if planned_left else
                        [c for c in classes if c != START_LEFT_CLASS]))
            chosen = makeup.plan_flows(other if flip or relay else flows)
            cuts = [cut for landed, plan in chosen for cut in plan.cuts(landed)]
            gained = sum(len(plan.starts) - len(landed.starts) for landed, plan in chosen)
            if round_ == 0 and part is not None:
                side_free = cuts == makeup.plan_book(flows if flip or relay else other)
            if round_ == 0 and landing is not None:
                # Not the stand-ins' page (PartOptions.stubs): the join leaves it out.
                stub_page = 1 if part is not None and part.stubs else 0
                landing.planned(len(rendered.pages) - stub_page + gained, planned_left)
            applied = makeup.apply_cuts(html_root, cuts) if cuts else 0
            if not applied and not relay:
                break
            if capture is not None and not relay and applied == len(cuts):
                try:  # the planned pages from these boxes, without a second layout
                    remade = remake.remake_pages(rendered, capture, reads,
                                                 [plan for _, plan in chosen])
                    break
                except remake.NotRemade as why:
                    not_remade = str(why)
                except (AttributeError, IndexError, KeyError, TypeError, ValueError) as why:
                    # A box tree the remake did not foresee: the second layout is right
                    # whatever the remake got wrong (the tests expect no such reason).
                    not_remade = f"unexpected: {why!r}"
                finally:
                    capture = None
            reads = []  # the old pages' boxes are not held while the book is laid out again
            passes += 1
            document, rendered = render(geometry)

        # The makeup may move the count into another row of the gutter table (shortened
        # pages push lines on: a count near a row's end). With the same text block
        # the pages do not move: one more layout gives them that row's margins.
        # Another text block (a narrow trim at a wide gutter): the cuts no longer fit
        # the lines, and the book is laid out afresh with that count's gutter, once.
        count = _padded_count(len(rendered.pages), config.page_multiple)
        final = page_geometry(config, pages=count)
        again = None
        if final.band != geometry.band and geometry.mirrored and part is None:
            if same_text_block(final, geometry):
                geometry = final
                passes += 1
                document, rendered = render(geometry)
            elif pages is None:
                again = count

        if seam is not None and seam.pages is not None:
            kept = rendered.copy(rendered.pages[:seam.pages])  # the rest ran on
            kept._html = rendered._html  # the tree its folio plan reads
            rendered = kept
        padded = _padded_count(len(rendered.pages), config.page_multiple) - len(rendered.pages)
        if part is not None:
            padded = part.blank_pages  # the joined book is padded as a whole
        folios = Folios.find([tuple(page.anchors) for page in rendered.pages], first_anchor)
        if padded:
            rendered = _pad(rendered, geometry, padded, fetcher, fonts)
        folios = Folios(len(rendered.pages), folios.first_body)
        page_map = _page_map(document, rendered, folios)
    except BaseException:
        _release_fonts(fonts)
        raise
    finally:
        collect_as_before()
        forget_styles()
        forget_lines()
        keep_words()
        end_run()
    record_timing("layout", clock, pages=len(rendered.pages), passes=passes, part=part is not None)
    if again is not None:
        _release_fonts(fonts)
        document = rendered = None  # not held while the book is laid out afresh
        gc.collect()
        fresh = lay_out(anthology, documents, project_dir=project_dir,
                        extra_stylesheets=extra_stylesheets, created=created, pages=again,
                        reuse_lines=reuse_lines, lines=memo)
        return replace(fresh, passes=fresh.passes + passes)
    return Layout(rendered, geometry, page_map, passes, padded, remaining, fetcher,
                  captured.messages, fonts, folios, side_free=side_free,
                  lines_made=memo.made - made if memo else 0,
                  lines_reused=memo.reused - reused if memo else 0, lines=memo,
                  planned_left=planned_left, remade=remade, not_remade=not_remade,
                  held=(document, capture) if hold and capture is not None else None)


def same_text_block(one: Geometry, other: Geometry) -> bool:
    """Whether two geometries differ only in where the text block sits across the
    page (the gutter row): then WeasyPrint breaks the same lines and pages."""
    return abs(one.measure - other.measure) < 1e-6 and \
        replace(one, inner=other.inner, outer=other.outer, band=other.band) == other


def html_source(root: etree._Element) -> str:
    """The print tree as HTML for WeasyPrint's HTML5 parser.

    lxml's HTML serialiser knows ``br`` is empty only outside a namespace: an
    XHTML ``br`` comes out as ``<br></br>``, and an HTML5 parser reads ``</br>``
    as a second ``<br>`` -- every verse line in a block quote was followed by a
    blank line in the PDF. (``</hr>``, ``</img>`` are ignored by the parser.)

    A story paragraph's id that no link names is handed over as
    :data:`BLOCK_ATTRIBUTE` (read back with :func:`element_id`): as an ``id`` it
    costs a style of its own per paragraph and a named destination nothing uses.
    ``root`` is left as it was.
    """
    hrefs = (link.get("href") or "" for link in root.iter(xhtml("a")))
    linked = {href[1:] for href in hrefs if href.startswith("#")}
    renamed = [(element, list(element.attrib.items())) for element in root.iter(etree.Element)
               if BLOCK_ID.match(element.get("id") or "") and element.get("id") not in linked]
    for element, attributes in renamed:
        element.attrib.clear()  # set again in order: the attribute keeps its place
        for name, value in attributes:
            element.set(BLOCK_ATTRIBUTE if name == "id" else name, value)
    try:
        source = etree.tostring(root, encoding="unicode", method="html")
    finally:
        for element, attributes in renamed:
            element.attrib.clear()
            for name, value in attributes:
                element.set(name, value)
    return _BR_PAIR.sub(r"<br\1>", source)


_BR_PAIR = re.compile(r"<br(\s[^>]*)?></br>")


def _padded_count(pages: int, pad_to: int | None) -> int:
    if not pad_to:
        return pages
    return pages + (-pages) % pad_to


def _pad(rendered: RenderedDocument, geometry: Geometry, count: int,
         fetcher: ProjectFetcher, fonts: FontConfiguration) -> RenderedDocument:
    """Append ``count`` blank pages of the same size, bleed and marks.

    They are laid out as a tiny document of their own with the settings sheet
    only (no margin boxes, so no folio), then joined with :meth:`copy`: no
    second layout of the whole book. The tiny document starts on a recto; after
    a book of odd length its first page is dropped, so each blank page has the
    side (and the bleed edges) of its place in the book.
    """
    skip = len(rendered.pages) % 2
    html = "<html><body>" + "".join(
        f'<div style="height:1pt;{"break-before:page" if i else ""}"></div>'
        for i in range(count + skip)) + "</body></html>"
    settings = CSS(string=geometry.css(), url_fetcher=fetcher, font_config=fonts)
    blank = HTML(string=html, url_fetcher=fetcher).render(stylesheets=[settings],
                                                           font_config=fonts)
    return rendered.copy([*rendered.pages, *blank.pages[skip:skip + count]])


# ---------------------------------------------------------------------- page map


def _iter_lines(box: Any) -> Iterator[Any]:
    if isinstance(box, boxes.LineBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _iter_lines(child)


def _line_text(line: Any) -> str:
    parts: list[str] = []

    def walk(box: Any) -> None:
        if isinstance(box, boxes.TextBox):
            parts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    walk(line)
    return "".join(parts)


def _ladder_paragraphs(rendered: RenderedDocument) -> set[str]:
    """Ids of story paragraphs with more than MAX_LADDER hyphenated lines in a row."""
    found: set[str] = set()
    run_id, run = None, 0
    for page in rendered.pages:
        for line in _iter_lines(page._page_box):
            block = element_id(line.element)
            if block != run_id:
                run_id, run = block, 0
            if _line_text(line).rstrip().endswith(_HYPHENS):
                run += 1
                if run > MAX_LADDER and block and BLOCK_ID.match(block):
                    found.add(block)
            else:
                run = 0
    return found


# ---------------------------------------------------------------------- makeup


#: Named pages of story text (print.css): the flows :mod:`fanbind.pdf.makeup` balances.
FLOW_PAGES = ("body", "story", "chapter")
_AVOID = ("avoid", "avoid-page")
_FORCED = ("page", "left", "right", "recto", "verso")


@dataclass
class _Line:
    """A line box of a text flow as :func:`makeup_flows` reads it."""

    page: int  # index of its page within the flow
    top: float
    bottom: float
    chain: list[Any]  # the block boxes from the page's root down to its own block
    text: str
    first_on_page: bool
    content_top: float
    box: Any = None  # the line box itself


def _flow_pages(rendered: RenderedDocument) -> list[list[int]]:
    """The pages of each story or chapter text flow (their indexes), opening first."""
    flows: list[list[int]] = []
    previous_in_flow = False
    for index, page in enumerate(rendered.pages):
        page_type = page._page_box.page_type
        in_flow = not page_type.blank and page_type.name in FLOW_PAGES
        opening = any(index == 0 for name, index in page_type.groups if name in FLOW_PAGES)
        if in_flow and (opening or not previous_in_flow):
            flows.append([])
        if in_flow:
            flows[-1].append(index)
        previous_in_flow = in_flow
    return flows


def _flow_lines(pages: list[Any]) -> list[_Line]:
    lines: list[_Line] = []
    for number, page in enumerate(pages):
        page_box = page._page_box
        content_top = page_box.content_box_y()
        stack: list[tuple[Any, list[Any]]] = [(page_box, [])]
        first = True
        while stack:  # depth first, in document order
            box, chain = stack.pop()
            if isinstance(box, boxes.LineBox):
                lines.append(_Line(number, box.position_y, box.position_y + box.height, chain,
                                   _line_text(box), first, content_top, box))
                first = False
                continue
            inner = chain if box is page_box else [*chain, box]
            for child in reversed(getattr(box, "children", ())):
                if isinstance(child, boxes.MarginBox) or not child.is_in_normal_flow():
                    continue
                if isinstance(child, (boxes.LineBox, boxes.BlockLevelBox)):
                    stack.append((child, inner))
    return lines


def _chars(text: str) -> int:
    """The non-space characters of a line's text that are in the source text."""
    text = text.rstrip()
    count = sum(1 for c in text if not c.isspace())
    # WeasyPrint's hyphen at a break it made is not in the text (a hyphen there is "-").
    return count - 1 if text.endswith("\u2010") else count


def _key(box: Any) -> tuple[int, str]:
    return id(box.element), box.element_tag


def _margin(box: Any, side: str) -> float:
    value = box.style[f"margin_{side}"]
    return max(0.0, float(value.value)) if getattr(value, "unit", None) == "px" else 0.0


def makeup_flows(rendered: RenderedDocument, geometry: Geometry) -> list[makeup.Flow]:
    """Each story or chapter text flow of a layout as :mod:`fanbind.pdf.makeup` plans it."""
    return [read.flow for read in read_flows(rendered, geometry)]


def read_flows(rendered: RenderedDocument, geometry: Geometry) -> list[remake.ReadFlow]:
    """Each text flow of a layout: as planned, its pages and its line boxes (for
    :mod:`fanbind.pdf.remake`)."""
    pitch = geometry.line * 4 / 3  # points → CSS pixels
    flows = []
    for indexes in _flow_pages(rendered):
        pages = [rendered.pages[index] for index in indexes]
        lines = _flow_lines(pages)
        if lines:
            rows, starts = _flow_rows(lines, pitch)
            page_type = pages[0]._page_box.page_type
            flow = makeup.Flow(rows, starts, page_type.side == "left",
                               round(pages[0]._page_box.height / pitch, 3),
                               follows=page_type.name == "chapter")
            flows.append(remake.ReadFlow(flow, tuple(indexes),
                                         tuple((line.page, line.box) for line in lines)))
    return flows


def running_flow(rendered: RenderedDocument, geometry: Geometry, story: str,
                 until: str | None = None) -> RunningFlow | None:
    """A part of a long story without chapters as :mod:`fanbind.pdf.running` plans it:
    its one text flow's rows, each line's place in story section ``story``, and
    the blocks its first and last lines start and end. None: not one flow.
    ``until``: the rows stop before the section's child of that id (the text the
    render ran on into, for its remake: :mod:`fanbind.pdf.holding`)."""
    pitch = geometry.line * 4 / 3  # points → CSS pixels
    flows = _flow_pages(rendered)
    if len(flows) != 1:
        return None
    pages = [rendered.pages[index] for index in flows[0]]
    lines = _flow_lines(pages)

    def below(line: _Line) -> tuple[list[Any], list[Any]] | None:
        """The line's chain split at the story section: (down to it, below it)."""
        for at, box in enumerate(line.chain):
            if element_id(box.element) == story:
                return line.chain[:at + 1], line.chain[at + 1:]
        return None

    if until is not None:
        for at, line in enumerate(lines):
            split = below(line)
            if split and split[1] and element_id(split[1][0].element) == until:
                lines = lines[:at]
                break
    if not lines:
        return None
    rows, starts = _flow_rows(lines, pitch)

    places: list[Place] = []
    chars_in: dict[tuple[int, str], int] = defaultdict(int)
    lines_of: dict[tuple[int, str], int] = defaultdict(int)
    elements: dict[tuple[int, str], Any] = {}
    for line in lines:
        lines_of[_key(line.chain[-1])] += _chars(line.text)
        elements.setdefault(_key(line.chain[-1]), line.chain[-1].element)
    exact = {key: count == sum(1 for text in elements[key].itertext() for c in text
                               if not c.isspace())
             for key, count in lines_of.items()}
    previous_child = None
    for line in lines:
        block = line.chain[-1]
        key = _key(block)
        chars_in[key] += _chars(line.text)
        split = below(line)
        child = split[1][0] if split and split[1] else None
        first = child is not None and (previous_child is None or child is not previous_child)
        starting = split[1] if split and first else []
        places.append(Place(
            element_id(child.element) if child is not None else None,
            element_id(block.element), chars_in[key], first,
            child is not None and child is block and block.element_tag == "p"
            and bool(BLOCK_ID.match(element_id(block.element) or "")),
            exact[key], line.text.rstrip().endswith(_HYPHENS),
            all(_margin(b, "top") == 0 for b in starting)))
        previous_child = child
    head_split, tail_split = below(lines[0]), below(lines[-1])
    if head_split is None or tail_split is None:
        return None
    around, opening = head_split
    closing = tail_split[1]
    head = Edge(lines[0].bottom - lines[0].top, tuple(_margin(b, "top") for b in opening),
                any(b.style["break_before"] in _AVOID for b in opening),
                any(b.style["break_before"] in _FORCED for b in opening),
                all(b.style["break_inside"] not in _AVOID for b in around), len(opening))
    tail = Edge(lines[-1].bottom - lines[-1].top, tuple(_margin(b, "bottom") for b in closing),
                any(b.style["break_after"] in _AVOID for b in closing),
                any(b.style["break_after"] in _FORCED for b in closing), True, len(closing))
    ladders = frozenset(element_id(e) or "" for e in rendered._html.etree_element.iter()
                        if "no-hyphens" in (e.get("class") or "").split()) - {""}
    page_type = pages[0]._page_box.page_type
    return RunningFlow(rows, starts, tuple(places), page_type.side == "left",
                       round(pages[0]._page_box.height / pitch, 3), pitch,
                       rendered.pages.index(pages[0]), head, tail, ladders)


class HeldSeam(Protocol):
    """What :func:`remake_held` needs of a part's plan (:class:`fanbind.pdf.running.Seam`)."""

    @property
    def starts(self) -> tuple[int, ...]: ...

    @property
    def dropped(self) -> int: ...

    @property
    def pages(self) -> int | None: ...


def remake_held(layout: Layout, seam: HeldSeam, *, first_right: bool,
                first_anchor: str | None) -> Layout:
    """A part's planned pages made from its first round's render (kept: ``layout.held``),
    without a second layout: the render's one text flow is made up with the plan's
    page starts (in the render's rows: ``seam.starts``, the last one the first of
    the next part's pages, in the text the render ran on into), on the side the
    plan says its first page lands (``first_right``, for the first page kept), and
    the ``seam.dropped`` pages before its first page and those after its last are
    left out. Raises :class:`~fanbind.pdf.remake.NotRemade` where the remake
    cannot vouch for the pages (the caller lays the part out again)."""
    assert layout.held is not None  # rendered with a holding seam
    document, capture = layout.held
    rendered = layout.rendered
    reads = read_flows(rendered, layout.geometry)
    if len(reads) != 1:
        raise remake.NotRemade("not one text flow")
    rows = len(reads[0].flow.rows)
    starts = list(seam.starts)
    if seam.pages is not None and starts[-1] >= rows:
        if starts[-1] > rows:
            raise remake.NotRemade("the render did not run on to the next part's first page")
        starts.pop()  # the part's text ends the render's: nothing ran on
    right = first_right == (seam.dropped % 2 == 0)  # the render's first page's side
    remade = remake.remake_pages(rendered, capture, reads, [makeup.FlowPlan(starts)],
                                 first_right=right)
    end = None if seam.pages is None else seam.dropped + seam.pages
    kept = rendered.copy(rendered.pages[seam.dropped:end])
    kept._html = rendered._html  # the tree its folio plan reads
    folios = Folios.find([tuple(page.anchors) for page in kept.pages], first_anchor)
    folios = Folios(len(kept.pages), folios.first_body)
    return replace(layout, rendered=kept, page_map=_page_map(document, kept, folios),
                   folios=folios, remade=remade, held=None, planned_left=not first_right)


def _flow_rows(lines: list[_Line], pitch: float) -> tuple[tuple[makeup.Row, ...], tuple[int, ...]]:
    """The rows of a flow's lines (in lines of the grid), and the first row of each page.

    Whether WeasyPrint may break before a line follows its rules: inside a
    block, ``orphans`` and ``widows``; between blocks, no ``avoid`` on the
    boxes the break ends or starts, nor ``break-inside: avoid`` on those around it.
    """
    lines_in: dict[tuple[int, str], int] = defaultdict(int)  # per block
    chars_in: dict[tuple[int, str], int] = defaultdict(int)
    index_in_block: list[int] = []
    chars_through: list[int] = []  # non-space characters of its block up to the line's end
    for line in lines:
        key = _key(line.chain[-1])
        index_in_block.append(lines_in[key])
        lines_in[key] += 1
        chars_in[key] += _chars(line.text)
        chars_through.append(chars_in[key])
    rows: list[makeup.Row] = []
    starts: list[int] = []
    for j, line in enumerate(lines):
        block = line.chain[-1]
        previous = lines[j - 1] if j else None
        if previous is None or line.page != previous.page:
            starts.append(j)
        common = 0
        if previous is not None:
            while common < min(len(previous.chain), len(line.chain)) and \
                    _key(previous.chain[common]) == _key(line.chain[common]):
                common += 1
        ending = previous.chain[common:] if previous is not None else []
        starting = line.chain[common:]
        inside_ok = all(b.style["break_inside"] not in _AVOID for b in line.chain[:common])
        dropped = max([0.0, *(_margin(b, "bottom") for b in ending)])
        if previous is not None and previous.page == line.page:
            advance = line.bottom - previous.bottom
        else:
            advance = line.bottom - line.top + max(
                [dropped, *(_margin(b, "top") for b in starting)])
        height = line.bottom - line.content_top if line.first_on_page else advance - dropped
        forced = any(b.style["break_before"] in _FORCED for b in starting) or \
            any(b.style["break_after"] in _FORCED for b in ending)
        if previous is None:
            breakable = False
        elif not starting and not ending:  # between two lines of one block
            at = index_in_block[j]
            breakable = inside_ok and at >= block.style["orphans"] and \
                lines_in[_key(block)] - at >= block.style["widows"]
        else:
            breakable = inside_ok and \
                not any(b.style["break_after"] in _AVOID for b in ending) and \
                not any(b.style["break_before"] in _AVOID for b in starting)
        cut = None
        if previous is not None and breakable and not forced and len(ending) <= 1 \
                and len(starting) <= 1 and abs(height - advance) < 0.01 * pitch:
            cut = _cut_after(previous, chars_through[j - 1], chars_in[_key(previous.chain[-1])])
        rows.append(makeup.Row(height=round(height / pitch, 3), advance=round(advance / pitch, 3),
                               breakable=breakable or forced, forced=forced,
                               movable=cut is not None, cut=cut))
    return tuple(rows), tuple(starts)


def _cut_after(line: _Line, chars: int, block_chars: int) -> makeup.Cut | None:
    """Where fanbind may end a page after ``line``: only after a story paragraph's line
    that does not end in a hyphen, whose text the lines account for exactly."""
    box = line.chain[-1]
    element = box.element
    block_id = element_id(element)
    if box.element_tag != "p" or not block_id or not BLOCK_ID.match(block_id) \
            or line.text.rstrip().endswith(_HYPHENS):
        return None
    if block_chars != sum(1 for text in element.itertext() for c in text if not c.isspace()):
        return None  # generated text, or a character counted otherwise: not safe to split
    return makeup.Cut(block_id, chars)


def _top_element(page: Any) -> Any | None:
    """The element of the first in-flow content on a page (None on a blank page)."""
    box = page._page_box
    element = None
    while True:
        children = [c for c in getattr(box, "children", ())
                    if not isinstance(c, boxes.MarginBox) and c.is_in_normal_flow()]
        if not children:
            return element if isinstance(box, (boxes.LineBox, boxes.TextBox)) else None
        box = children[0]
        if isinstance(box, boxes.LineBox):
            return box.element if box.element is not None else element
        if box.element is not None and box.element_tag and not box.element_tag.startswith("::"):
            element = box.element


def _page_map(document: HTML, rendered: RenderedDocument, folios: Folios) -> PageMap:
    """(id, label) per page; see :class:`PdfResult` for the rules. Pages after the
    laid-out ones (padding) take the id of the last."""
    order: dict[Any, int] = {}
    ids: list[str | None] = []
    section_of: dict[Any, str | None] = {}  # front-matter element → its section's id
    for index, element in enumerate(document.etree_element.iter()):
        order[element] = index
        ids.append(element_id(element))
        if "frontmatter" in (element.get("class") or "").split():
            for section in element:
                for inner in section.iter():
                    section_of[inner] = section.get("id")
    page_ids: list[str | None] = []
    for page in rendered.pages:
        element = _top_element(page)
        if element is None or element not in order:
            page_ids.append(None)
        elif section_of.get(element):
            page_ids.append(section_of[element])
        else:
            position = order[element]
            while position >= 0 and not ids[position]:
                position -= 1
            page_ids.append(ids[position] if position >= 0 else None)
    return tuple(zip(fill_page_ids(page_ids), folios.labels(), strict=True))


# ---------------------------------------------------------------------- public API


def layout_page_map(
    anthology: Anthology,
    documents: list[Document],
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created: dt.datetime,
) -> PageMap:
    """Lay the book out exactly as :func:`write_pdf` would, without writing a file.

    For the EPUB's page-list (``fanbind build --format epub --page-list``): the
    ids and labels are those of the printed book.
    """
    layout = lay_out(anthology, documents, project_dir=project_dir,
                     extra_stylesheets=extra_stylesheets, created=created)
    _release_fonts(layout.fonts)
    return layout.page_map


def write_pdf(
    anthology: Anthology,
    documents: list[Document],
    target: Path,
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created: dt.datetime,
) -> PdfResult:
    """Lay out the book and write it to ``target`` (the caller makes it atomic)."""
    layout = lay_out(anthology, documents, project_dir=project_dir,
                     extra_stylesheets=extra_stylesheets, created=created)
    return write_layout(layout, target, pdf_variant=anthology.meta.print.pdf_variant)


def write_layout(layout: Layout, target: Path, *, pdf_variant: str | None = None) -> PdfResult:
    """Write a laid-out book to ``target``.

    ``pdf_variant`` is passed to WeasyPrint, which then writes the variant's
    metadata (PDF/A: XMP identification and an sRGB output intent; PDF/UA: a
    tagged structure tree, the document language and title display). WeasyPrint
    does not check conformance, and neither does fanbind.
    """
    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise BuildError(f"unknown PDF variant {pdf_variant!r}",
                         hint="use one of " + ", ".join(PDF_VARIANTS))
    clock = start_timing()
    captured, end_run = _start_run()
    collect_as_before = _fewer_collections()  # the write walks every box too
    glyphs, write_as_before = _quicker_writing()
    try:
        layout.rendered.write_pdf(target, pdf_variant=pdf_variant, pdf_identifier=True,
                                  finisher=_page_labels(layout.folios))
        finish_book(layout.geometry, target)  # a service's rules, crop marks in the slug
    except OSError as exc:
        raise BuildError(f"could not write the PDF: {exc.strerror or exc}",
                         file=str(target)) from exc
    finally:
        write_as_before()
        collect_as_before()
        end_run()
        _release_fonts(layout.fonts)  # nothing reads them after the write
    record_timing("write", clock, pages=len(layout.rendered.pages), lines=glyphs.fast,
                  lines_by_weasyprint=glyphs.handed_back)
    warnings = tuple(dict.fromkeys([*layout.warnings, *captured.messages]))
    return PdfResult(len(layout.rendered.pages), tuple(layout.fetcher.refused), warnings,
                     page_map=layout.page_map, trim=layout.geometry.trim,
                     passes=layout.passes, padded=layout.padded, ladders=layout.ladders,
                     fetched=tuple(layout.fetcher.fetched))


def _page_labels(folios: Folios) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher writing ``/PageLabels`` from ``folios``, into the file as
    it is written (no second pass over the PDF): a viewer's page box then shows the
    printed folio (xii, 27), not the page's place in the file."""

    def finish(_document: Any, pdf: Any) -> None:
        numbers = pydyf.Array()
        for start, style, first in folios.label_ranges():
            numbers.extend([start, pydyf.Dictionary({"S": f"/{style}", "St": first})])
        if len(numbers):
            pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": numbers})

    return finish


# ---------------------------------------------------------------------- the page counter


@contextlib.contextmanager
def numbered_from(anchor: str | None) -> Iterator[None]:
    """Paginate with the page counter set to 1 on the page holding ``anchor``.

    The rule is :class:`fanbind.pdf.folios.Folios`'; this applies it inside
    WeasyPrint, so its margin boxes and every ``target-counter(…, page)`` read
    the same numbers. print.css never resets the page counter: a reset in an
    ``@page`` rule fires on the first page of every page group of that name,
    and WeasyPrint starts a new group wherever the name comes back (a story's
    end notes after its chapters restarted the folios at 1).

    WeasyPrint records each anchor's page counters while it makes the anchor's
    page, after the page's own counter update, with the page state's live
    counter dict. When it records ``anchor``, that dict is set to 1: the margin
    boxes and the following pages count on from there, and the anchors already
    recorded on the same page (the story's section, above its title) are
    recorded again with the new value. A page made again (a contents page
    whose numbers changed its length) passes here again from the state before it.
    """
    if anchor is None:
        yield
        return
    original = TargetCollector.cache_target_page_counters

    def cache(collector: TargetCollector, name: str, values: dict[str, list[int]],
              index: int, page_maker: list[Any]) -> None:
        if name == anchor and not collector.collecting and values.get("page") != [1]:
            values["page"] = [1]
            for earlier in page_maker[index][-1]["anchors"]:
                if earlier != name:
                    original(collector, earlier, values, index, page_maker)
        original(collector, name, values, index, page_maker)

    TargetCollector.cache_target_page_counters = cache
    try:
        yield
    finally:
        TargetCollector.cache_target_page_counters = original


# ---------------------------------------------------------------------- folios after layout


@contextlib.contextmanager
def deferred_folios() -> Iterator[MarginRecords]:
    """Lay out without margin boxes, remembering what :func:`add_margin_boxes` needs.

    For :mod:`fanbind.pdf.parts`: a part of a book is laid out before the page
    count of the parts before it is known, so its folios (``counter(page)`` in
    the margin boxes) cannot be drawn yet. WeasyPrint makes the margin boxes
    after paginating, from each page's counter state; this defers that step.
    """
    original = weasyprint_layout.make_margin_boxes
    records: MarginRecords = {}

    def defer(context: Any, page: Any, state: Any) -> tuple[()]:
        records[id(page)] = (context, page, copy.deepcopy(state), context.current_page)
        return ()

    weasyprint_layout.make_margin_boxes = defer
    try:
        yield records
    finally:
        weasyprint_layout.make_margin_boxes = original


def add_margin_boxes(rendered: RenderedDocument, records: MarginRecords,
                     *, page_offset: int) -> None:
    """Make the deferred margin boxes, with ``page_offset`` added to the page counter."""
    for page in rendered.pages:
        record = records.get(id(page._page_box))
        if record is None:
            continue
        context, box, state, number = record
        counters = state[1]
        counters["page"] = [value + page_offset for value in counters.get("page", [0])]
        context.current_page = number
        box.children = (*box.children, *make_margin_boxes(context, box, state))
        layout_backgrounds(box, context.get_image_from_uri)


# ---------------------------------------------------------------------- folios stamped on later


def folio_plan(rendered: RenderedDocument,
               records: MarginRecords) -> FolioPlan | None:
    """The :class:`FolioPlan` of a part laid out under :func:`deferred_folios`.

    None when the margin boxes cannot be redrawn from plain data: running
    elements (``position: running()`` with ``element()``) are boxes of the
    layout itself.
    """
    pages = []
    context = None
    for page in rendered.pages:
        record = records.get(id(page._page_box))
        if record is None:
            return None
        context, box, state, number = record
        pages.append((tuple(box.page_type), copy.deepcopy(state), number))
    if context is None or any(any(v.values()) for v in context.running_elements.values()):
        return None
    strings = tuple(sorted(
        (name, tuple(sorted((number, tuple(values)) for number, values in by_page.items())))
        for name, by_page in context.string_set.items()))
    root = rendered._html.etree_element
    overflow = rendered.pages[0]._page_box.style["overflow"] if rendered.pages else "visible"
    return FolioPlan(tuple(pages), strings, tuple(sorted(root.attrib.items())), overflow)


def _page_rule_classes(style_for: Any) -> Callable[[Any], Any]:
    """A function giving, for a page type, the first one seen that the same ``@page``
    selectors match.

    Each page of a part has a page type of its own (it carries the page's index),
    and WeasyPrint computes the margin boxes' styles per page type; pages that the
    same selectors match get the same styles, so the stamp computes them once per
    kind of page (opening, recto, verso, blank…) instead of once per page. Falls
    back to every page on its own if WeasyPrint's internals are not as expected.
    """
    try:
        match = style_for._page_type_match
        # Each selector once (print.css's 101 are 26 different ones).
        selectors = list(dict.fromkeys(
            selector[2] for sheet, _origin, _specificity in style_for._sheets
            for _rule, selector_list, _declarations in sheet.page_rules
            for selector in selector_list))
    except (AttributeError, TypeError, ValueError, IndexError):
        return lambda page_type: page_type
    seen: dict[tuple[bool, ...], Any] = {}

    def representative(page_type: Any) -> Any:
        return seen.setdefault(tuple(match(s, page_type) for s in selectors), page_type)

    return representative


def stamp_folios(plan: FolioPlan, target: Path, *, page_offset: int, page_total: int | None,
                 project_dir: Path, extra_stylesheets: tuple[Path, ...], geometry_css: str,
                 part_css: str = "", carried: tuple[tuple[str, str], ...] = (),
                 flip: bool = False, remember: bool = True, specimens: bool = True
                 ) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    """Write a PDF of the part's margin boxes only, one page per page of the part.

    The page counter is moved on by ``page_offset`` (as :func:`add_margin_boxes`
    does); ``page_total`` replaces the ``pages`` counter when given. The pages
    have the part's size, bleed and sides but no background, border or crop
    marks, so :mod:`fanbind.pdf.parts` can lay each one over its page. The same
    stylesheets as the layout are used, so the margin boxes are those the
    layout would have drawn. Returns WeasyPrint's warnings and, per page,
    whether anything was drawn on it (a blank or display page has no margin box).
    ``carried``: the named strings in force before the part's first page
    (:func:`fanbind.pdf.parts.carried_strings`); ``flip``: every page is drawn
    on the other side than it was laid out on (the join moves its text across).
    ``remember``: lines, used sizes and text styles worked out once for the stamp,
    glyphs written by :func:`_quicker_writing` (False: WeasyPrint's own, for the
    tests to compare: the same bytes). ``specimens``: WeasyPrint draws one page
    per kind of page and folio length, the others are made from it
    (:mod:`fanbind.pdf.stamps`; False, or where that cannot vouch for a page:
    every page drawn by WeasyPrint).
    """
    clock = start_timing()
    fetcher = ProjectFetcher([project_dir, STYLES_DIR])
    fonts = None
    captured, end_run = _start_run()
    # A part's running heads are a few strings on every page: each line broken
    # once, each kind of box and text style worked out once, as in a layout run.
    forget_lines = _memoise_lines(LineMemo(
        weasyprint_inline.split_first_line, weasyprint_inline.create_layout,
        layout_class=weasyprint_line_break.Layout)) if remember else lambda: None
    forget_styles = _remembered_styles(margin_boxes=True) if remember else lambda: None
    drawn: tuple[bool, ...] | None = None
    stamper = None
    try:
        styles = _run_styles(project_dir, extra_stylesheets, part_css, fetcher, captured)
        fonts = styles.fonts
        stamper = _Stamper(plan, styles, fetcher, project_dir, geometry_css,
                           page_offset, page_total, carried, flip)
        if specimens:
            drawn = stamper.write_from_specimens(target, remember)
        if drawn is None:
            drawn = stamper.write_every_page(target, remember)
    finally:
        forget_styles()
        forget_lines()
        end_run()
        _release_fonts(fonts)
    record_timing("stamp", clock, pages=len(plan.pages),
                  drawn=stamper.drawn_by_weasyprint if stamper else 0)
    return tuple(captured.messages), drawn


#: A margin box's content item that prints the page counter (WeasyPrint's computed
#: ``content``: ``("counter()", (name, style))``).
_COUNTERS = ("counter()", "counters()")


@dataclass
class _StampPages:
    """What every stamp of a build draws its pages with: the empty document the
    ``@page`` rules apply to, WeasyPrint's layout context, and the kinds of page
    whose styles that context has computed. Kept in the process for the next stamp
    with the same stylesheets (:data:`_KEPT_STAMP_PAGES`): a page type's margin
    boxes' styles were most of a stamp's CPU once it draws only a few pages."""

    styles: Styles  # held, so that the key's id is not another's
    html: Any
    context: Any
    same_rules: Callable[[Any], Any]
    styled: set[Any] = field(default_factory=set)
    sized: bool = False


#: The last stamps' pages kept for the build, by what they were made from (see
#: :class:`_StampPages`; only with stylesheets kept for the build, :data:`_KEEPER`).
#: A few: a story's first part has other root classes than its later parts, and
#: they alternate on a worker (the 300,000-word story's second stamp made its
#: context again: 0.18 s of CPU for 0.03).
_KEPT_STAMP_PAGES: dict[tuple[object, ...], _StampPages] = {}
_STAMP_PAGES_KEPT = 4


def _stamp_pages(plan: FolioPlan, styles: Styles, fetcher: ProjectFetcher, project_dir: Path,
                 geometry_css: str) -> _StampPages:
    key = (id(styles), geometry_css, plan.root, str(project_dir))
    kept = _KEPT_STAMP_PAGES.get(key)
    if kept is not None:
        return kept
    stylesheets = [*styles.design,
                   CSS(string=geometry_css, url_fetcher=fetcher, font_config=styles.fonts),
                   *styles.user]
    root = etree.Element(xhtml("html"))
    for name, value in plan.root:
        if name in ("xml:lang", "{http://www.w3.org/XML/1998/namespace}lang"):
            root.set("{http://www.w3.org/XML/1998/namespace}lang", value)
        elif ":" not in name and "{" not in name:
            root.set(name, value)
    etree.SubElement(root, xhtml("head"))
    etree.SubElement(root, xhtml("body"))
    html = HTML(string=etree.tostring(root, encoding="unicode", method="html"),
                base_url=project_dir.as_uri() + "/", url_fetcher=fetcher)
    options = {**DEFAULT_OPTIONS, "stylesheets": stylesheets}
    context = RenderedDocument._build_layout_context(html, styles.fonts, CounterStyle(), {},
                                                     options)
    made = _StampPages(styles, html, context, _page_rule_classes(context.style_for))
    for other in [k for k, pages in _KEPT_STAMP_PAGES.items() if pages.styles is not styles]:
        del _KEPT_STAMP_PAGES[other]  # made with stylesheets no longer kept
    if _KEEPER.keeps(styles.fonts):
        while len(_KEPT_STAMP_PAGES) >= _STAMP_PAGES_KEPT:
            del _KEPT_STAMP_PAGES[next(iter(_KEPT_STAMP_PAGES))]
        _KEPT_STAMP_PAGES[key] = made
    return made


class _Stamper:
    """The margin boxes of a part's pages, drawn by WeasyPrint page by page or
    from a specimen per kind of page (:func:`stamp_folios`)."""

    def __init__(self, plan: FolioPlan, styles: Styles, fetcher: ProjectFetcher,
                 project_dir: Path, geometry_css: str, page_offset: int,
                 page_total: int | None, carried: tuple[tuple[str, str], ...],
                 flip: bool) -> None:
        self.plan, self.fetcher, self.page_offset, self.page_total, self.flip = \
            plan, fetcher, page_offset, page_total, flip
        self.fonts = styles.fonts
        self.pages = _stamp_pages(plan, styles, fetcher, project_dir, geometry_css)
        self.html, context, self.same_rules = \
            self.pages.html, self.pages.context, self.pages.same_rules
        context.string_set = defaultdict(lambda: defaultdict(list))
        for name, by_page in plan.strings:
            for number, values in by_page:
                context.string_set[name][number] = list(values)
        first = min((number for _, _, number in plan.pages), default=1)
        for name, value in carried:
            # WeasyPrint looks back for the last value no further than page 1:
            # a first page that sets nothing shows the value carried in.
            if first not in context.string_set[name]:
                context.string_set[name][first] = [value]
        self.context = context
        self.drawn_by_weasyprint = 0  # pages WeasyPrint drew, for the timings

    def page_type(self, recorded_type: tuple[Any, ...]) -> Any:
        page_type = PageType(*recorded_type)
        if self.flip:
            page_type = page_type._replace(side="left" if page_type.side == "right" else "right")
        return self.same_rules(page_type)

    def counters(self, recorded: Any) -> Any:
        """The page's state as its margin boxes see it: folio moved on, total set."""
        state = copy.deepcopy(recorded)
        counters = state[1]
        counters["page"] = [value + self.page_offset for value in counters.get("page", [0])]
        if self.page_total is not None:
            counters["pages"] = [self.page_total]
        return state

    def draw(self, page_type: Any, state: Any, number: int) -> tuple[Any, tuple[Any, ...]]:
        """A stamp page (WeasyPrint's PageBox) and its margin boxes."""
        context = self.context
        if page_type not in self.pages.styled:
            set_page_type_computed_styles(page_type, self.html, context.style_for)
            self.pages.styled.add(page_type)
        page = remake.new_page_box(context, page_type, self.plan.overflow)
        if not self.pages.sized:
            context.style_for.initial_page_sizes["box"] = page.style["size"]
            context.style_for.initial_page_sizes["area"] = (page.width, page.height)
            self.pages.sized = True
        context.current_page = number
        context.page_bottom = page.content_box_y() + page.height  # as make_page sets it
        margin_boxes = tuple(make_margin_boxes(context, page, state))
        page.children = margin_boxes
        for box in margin_boxes:
            layout_box_backgrounds(page, box, context.get_image_from_uri)
        # Only the margin boxes: the page's ground, borders and marks are on the part.
        page.background = None
        page.canvas_background = None
        for side in ("top", "right", "bottom", "left"):
            setattr(page, f"border_{side}_width", 0)
        page.style["marks"] = ()
        self.drawn_by_weasyprint += 1
        return page, margin_boxes

    def write(self, page_boxes: list[Any], target: Path, remember: bool) -> None:
        document = RenderedDocument([Page(box) for box in page_boxes], DocumentMetadata(),
                                    self.fetcher, self.fonts, {}, None)
        write_as_before = _quicker_writing()[1] if remember else lambda: None
        try:
            document.write_pdf(target)
        finally:
            write_as_before()

    def write_every_page(self, target: Path, remember: bool) -> tuple[bool, ...]:
        page_boxes, drawn = [], []
        for recorded_type, recorded, number in self.plan.pages:
            page, margin_boxes = self.draw(self.page_type(recorded_type),
                                           self.counters(recorded), number)
            drawn.append(any(box.is_generated for box in margin_boxes))
            page_boxes.append(page)
        self.write(page_boxes, target, remember)
        return tuple(drawn)

    def kinds(self) -> Iterator[tuple[Any, Any, Any, int]]:
        """Per page: its page type, its state as recorded, what its margin boxes can
        print besides the folio (the kind of page), and its number in the part."""
        string_set = self.context.string_set
        last: dict[str, Any] = {}
        for recorded_type, recorded, number in self.plan.pages:
            page_type = self.page_type(recorded_type)
            quotes, counters, scopes = recorded[0], recorded[1], recorded[2]
            # A named string prints a value set on the page or the last one before it.
            strings = tuple((name, tuple(string_set[name].get(number, ())), last.get(name))
                            for name in sorted(string_set))
            for name in string_set:
                if string_set[name].get(number):
                    last[name] = string_set[name][number][-1]
            kind = (page_type, repr(quotes),
                    tuple(sorted((name, tuple(values)) for name, values in counters.items()
                                 if name != "page" and name != "pages")),
                    tuple(tuple(sorted(scope)) for scope in scopes), strings,
                    len(counters.get("page", ())),
                    tuple(counters.get("pages", ())) if self.page_total is None else None)
            yield page_type, recorded, kind, number

    def write_from_specimens(self, target: Path, remember: bool) -> tuple[bool, ...] | None:
        """The stamp made from a specimen page per kind of page and folio length;
        None when :func:`fanbind.pdf.stamps.assemble` cannot vouch for it."""
        page_boxes: list[Any] = []
        modes: dict[Any, tuple[str, bool]] = {}  # kind -> how its pages are made, drawn
        specimens: dict[tuple[Any, int], int] = {}  # (kind, folio length) -> specimen
        probe = None  # the page whose folio is PROBE_FOLIO
        folios: dict[int, Folio] = {}
        pages: list[tuple[int, str | None]] = []
        drawn: list[bool] = []
        for page_type, recorded, kind, number in self.kinds():
            value = (recorded[1].get("page") or [0])[-1] + self.page_offset  # as counters()
            digits = str(value) if value >= 0 else None
            mode = modes.get(kind)
            reuse = None
            if mode is not None and mode[0] == "same":
                reuse = specimens[(kind, 0)]
            elif mode is not None and mode[0] == "digits" and digits is not None:
                reuse = specimens.get((kind, len(digits)))
            if reuse is not None:
                pages.append((reuse, digits if mode and mode[0] == "digits" else None))
                drawn.append(mode[1] if mode else False)
                continue
            state = self.counters(recorded)
            page, margin_boxes = self.draw(page_type, state, number)
            index = len(page_boxes)
            page_boxes.append(page)
            generated = any(box.is_generated for box in margin_boxes)
            drawn.append(generated)
            pages.append((index, None))
            if mode is None:
                mode = (_folio_use(margin_boxes), generated)
                modes[kind] = mode
                if mode[0] == "digits" and probe is None:
                    # One probe: print.css's folios are all in one style. Where
                    # another kind's differ, assemble() finds no folio to write.
                    probe_state = copy.deepcopy(state)
                    probe_state[1]["page"][-1] = PROBE_FOLIO
                    probe = len(page_boxes)
                    page_boxes.append(self.draw(page_type, probe_state, number)[0])
            if mode[0] == "same":
                specimens[(kind, 0)] = index
            elif mode[0] == "digits" and digits is not None:
                assert probe is not None  # drawn when the first "digits" kind was met
                specimens[(kind, len(digits))] = index
                folios[index] = Folio(digits, probe)
        if probe is None and len(page_boxes) == len(pages):
            self.write(page_boxes, target, remember)  # every page drawn: nothing to make
            return tuple(drawn)
        source = target.with_name(target.stem + "-specimens.pdf")
        self.write(page_boxes, source, remember)
        try:
            made = assemble(source, target, pages, folios)
        finally:
            source.unlink(missing_ok=True)
        return tuple(drawn) if made else None


def _folio_use(margin_boxes: Sequence[Any]) -> str:
    """How a page's margin boxes print the page counter: not at all (``same``: every
    page of its kind is drawn alike), as one box's whole content in decimal
    figures (``digits``: drawn anew from a specimen: print.css's folios), or
    otherwise (``each``: every page drawn)."""
    uses = []
    for box in margin_boxes:
        if not box.is_generated:
            continue
        for name in ("counter_reset", "counter_increment", "counter_set"):
            value = box.style[name]
            if value not in ("none", "auto") and any(item[0] == "page" for item in value):
                return "each"
        content = box.style["content"]
        if isinstance(content, str):
            continue
        for kind, value in content:
            if kind in ("target-counter()", "target-counters()") or (
                    kind in _COUNTERS and value and value[0] == "page"):
                uses.append((tuple(content), kind, tuple(value)))
    if not uses:
        return "same"
    if len(uses) == 1:
        content, kind, value = uses[0]
        if len(content) == 1 and kind == "counter()" and value == ("page", "decimal"):
            return "digits"
    return "each"


# ---------------------------------------------------------------------- one-page documents


def write_html_page(html: str, css: str, target: Path, *, project_dir: Path) -> tuple[str, ...]:
    """Lay out a small HTML document with ``css`` alone and write it to ``target``.

    For the cover wrap (:mod:`fanbind.pdf.cover_wrap`). Returns WeasyPrint's warnings.
    """
    data, warnings = html_page_pdf(html, css, project_dir=project_dir)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise BuildError(f"could not write the PDF: {exc.strerror or exc}",
                         file=str(target)) from exc
    return warnings


def html_page_pdf(html: str, css: str, *, project_dir: Path) -> tuple[bytes, tuple[str, ...]]:
    """A small HTML document laid out with ``css`` alone: the PDF's bytes and the warnings.

    For the cover wrap and the imposition's printing guide (:mod:`fanbind.pdf.impose`):
    not the book's design, but the same rules — files only from the project and
    fanbind's styles (the bundled fonts are ``fonts/…`` relative to the styles
    folder), fontTools' clock pinned, reproducible bytes.
    """
    fetcher = ProjectFetcher([project_dir, STYLES_DIR])
    fonts = FontConfiguration()
    captured, end_run = _start_run()
    try:
        sheet = CSS(string=css, base_url=STYLES_DIR.as_uri() + "/", url_fetcher=fetcher,
                    font_config=fonts)
        document = HTML(string=html, base_url=STYLES_DIR.as_uri() + "/", url_fetcher=fetcher)
        rendered = document.render(stylesheets=[sheet], font_config=fonts)
        data = rendered.write_pdf(pdf_identifier=True)
    finally:
        end_run()
        _release_fonts(fonts)
    warnings = tuple(dict.fromkeys([*captured.messages, *(f"not fetched: {u}"
                                                           for u in fetcher.refused)]))
    return data, warnings
