"""The makeup of a printed book read back from its PDF (pypdfium2 character boxes).

Shared by ``tests/test_makeup.py`` and ``benchmarks/spreads.py``: it knows nothing
of fanbind, only what a reader sees on the page.

* A *text line* is a baseline set at the body size (the commonest character size),
  other than a folio (a line of figures or roman numerals alone).
* A *text page* carries a running head: a line set smaller than the body, above
  the page's first text line. Openings, paratext, display and blank pages have none.
* A *full spread* is a verso and the recto facing it, both text pages, with the
  flow going on after the recto (the page after it is a text page too): a story's
  or chapter's last page, openings and blank pages are not held to it.
* A *last page* is a text page followed by a page that is not one (a blank page,
  an opening, the end of the book): the last page of a story or chapter longer
  than one page.
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

_FOLIO = re.compile(r"^\s*(\d+|[ivxlcdm]+)\s*$", re.IGNORECASE)


@dataclass
class PageLines:
    """One page: its text baselines (points from the top) and whether it has a head."""

    baselines: list[float]
    texts: list[str]
    headed: bool


@dataclass
class Makeup:
    """What :func:`read_makeup` found (page numbers are 1-based PDF pages)."""

    pages: list[PageLines]
    pitch: float
    full_spreads: list[int] = field(default_factory=list)  # the verso's page number
    unequal: dict[int, int] = field(default_factory=dict)  # verso → lines of difference
    last_pages: dict[int, int] = field(default_factory=dict)  # page → text lines

    def short_last_pages(self, under: int = 5) -> dict[int, int]:
        return {page: lines for page, lines in self.last_pages.items() if lines < under}


def _page_lines(page: pdfium.PdfPage) -> list[tuple[float, float, str]]:
    """(baseline from the top, commonest font size, text) per baseline on the page."""
    height = page.get_height()
    text = page.get_textpage()
    rows: dict[float, list[tuple[float, float, str]]] = {}
    x, y = ctypes.c_double(), ctypes.c_double()
    for index in range(text.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(text, index))
        if char.isspace() or not pdfium_c.FPDFText_GetCharOrigin(text, index, x, y):
            continue
        size = round(pdfium_c.FPDFText_GetFontSize(text, index), 1)
        rows.setdefault(round(height - y.value, 1), []).append((x.value, size, char))
    lines = []
    for baseline, chars in sorted(rows.items()):
        size = Counter(s for _, s, _ in chars).most_common(1)[0][0]
        lines.append((baseline, size, "".join(c for _, _, c in sorted(chars))))
    return lines


def read_makeup(path: Path) -> Makeup:
    document = pdfium.PdfDocument(str(path))
    raw = [_page_lines(document[i]) for i in range(len(document))]
    document.close()
    body = Counter(size for lines in raw for _, size, text in lines
                   for _ in text).most_common(1)[0][0]
    pages = []
    for lines in raw:
        text_lines = [(b, t) for b, s, t in lines if abs(s - body) < 0.05 and not _FOLIO.match(t)]
        first = text_lines[0][0] if text_lines else None
        headed = first is not None and any(s < body - 0.05 and b < first for b, s, _ in lines)
        pages.append(PageLines([b for b, _ in text_lines], [t for _, t in text_lines], headed))
    steps = Counter(round(b - a, 1) for p in pages
                    for a, b in zip(p.baselines, p.baselines[1:], strict=False))
    pitch = steps.most_common(1)[0][0] if steps else 1.0
    makeup = Makeup(pages, pitch)
    for index, page in enumerate(pages):
        following = pages[index + 1] if index + 1 < len(pages) else None
        number = index + 1
        if page.headed and (following is None or not following.headed):
            makeup.last_pages[number] = len(page.baselines)
        if number % 2 == 0 and page.headed and following is not None and following.headed \
                and index + 2 < len(pages) and pages[index + 2].headed:
            makeup.full_spreads.append(number)
            difference = round((page.baselines[-1] - following.baselines[-1]) / pitch)
            if difference:
                makeup.unequal[number] = difference
    return makeup
