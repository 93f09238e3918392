"""How wide a line of the bundled EB Garamond is, from its advance widths (fontTools).

For text set on one line that must fit a known width without a layout trial —
the running heads (:func:`fanbind.pdf.arrange.fit_running_heads`). Letters are
measured as the small caps print.css sets running heads in (``all-small-caps``:
the font's ``.sc`` glyphs); kerning is left out, which is within half a percent
on EB Garamond's small caps, so callers keep a little room.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from fanbind.resources import FONT_FILES, FONTS_DIR

#: What print.css sets running heads in: this share of the body size, letter-spaced.
HEAD_SIZE_EM = 0.82
HEAD_TRACKING_EM = 0.12
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class _Metrics:
    advances: dict[int, int]  # code point → advance of its small-cap glyph (font units)
    units_per_em: int
    fallback: int  # a character the font lacks: as wide as an "m"


@functools.cache
def _metrics() -> _Metrics:
    # Deferred for the EPUB's fast path: fanbind.pdf.arrange (which imports this
    # module) is imported by EPUB builds that never measure a running head.
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS_DIR / FONT_FILES[0], lazy=True)
    try:
        cmap = font.getBestCmap()
        glyphs = set(font.getGlyphOrder())
        metrics = font["hmtx"].metrics
        advances = {}
        for code, name in cmap.items():
            for candidate in (f"{name}.sc", f"{name.lower()}.sc", name):
                if candidate in glyphs:
                    advances[code] = metrics[candidate][0]
                    break
        return _Metrics(advances, font["head"].unitsPerEm, advances.get(ord("m"), 500))
    finally:
        font.close()


def small_caps_width(text: str, size: float, tracking_em: float = HEAD_TRACKING_EM) -> float:
    """The width of ``text`` in small caps of ``size`` (the unit of ``size``)."""
    metrics = _metrics()
    units = sum(metrics.advances.get(ord(char), metrics.fallback) for char in text
                if char not in "\u2060\u200b\u00ad")
    return units / metrics.units_per_em * size + len(text) * tracking_em * size


def fit(text: str, width: float, size: float) -> str:
    """``text``, or its longest run of whole words with "…", that fits ``width`` in small caps.

    A first word wider than ``width`` on its own is cut between letters.
    """
    text = " ".join(text.split())
    if small_caps_width(text, size) <= width:
        return text
    words = text.split(" ")
    for count in range(len(words) - 1, 0, -1):
        shorter = " ".join(words[:count]).rstrip(",;:.–—-") + ELLIPSIS
        if small_caps_width(shorter, size) <= width:
            return shorter
    for end in range(len(words[0]) - 1, 0, -1):
        shorter = words[0][:end] + ELLIPSIS
        if small_caps_width(shorter, size) <= width:
            return shorter
    return ELLIPSIS
