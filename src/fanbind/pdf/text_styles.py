"""What a text style gives Pango, worked out once per layout run: WeasyPrint's font
description and line strut, remembered.

WeasyPrint makes a Pango layout for every try at breaking a line (two or three a
line, :mod:`fanbind.pdf.line_memo`), and for each one it builds the style's Pango
font description afresh; for every line box it asks the style's strut (line
height and baseline) from a cache filed under a string made of sixteen of the
style's values. A part of 30,000 words (90 pages, two layout passes) makes 12,500
font descriptions and 14,500 struts from 34 distinct answers: 0.13 s of CPU,
0.04 s with the memo (3.6 → 0.7 µs a description, 5.4 → 1.6 µs a strut).

:class:`TextStyleMemo` keeps each answer under the values it is made of — the
value objects themselves (:data:`FONT_DESCRIPTION_PROPERTIES`,
:data:`STRUT_PROPERTIES`), which the memo keeps alive — and hands back the very
object WeasyPrint gave: the same font description (Pango copies it into each
layout), the same strut
(WeasyPrint's own cache would give that tuple again: it is filed under a string
of the same values, and kept for the font configuration's life).

Nothing here imports WeasyPrint (pdf/layout.py is its only importer): layout.py
puts the memo's functions in place of WeasyPrint's for the run
(``layout._remembered_text_styles``); tests/test_text_styles.py checks the lists
against WeasyPrint's source.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

#: Every computed value WeasyPrint 70's ``get_font_description`` reads.
FONT_DESCRIPTION_PROPERTIES = (
    "font_family", "font_style", "font_stretch", "font_weight", "font_size",
    "font_variant_caps", "font_variation_settings",
)
#: The values WeasyPrint 70 files a strut under (``_font_style_cache_key`` with
#: the size), and ``font_size``, which ``strut`` reads first.
STRUT_PROPERTIES = (
    "font_family", "font_style", "font_stretch", "font_weight",
    "font_variant_ligatures", "font_variant_position", "font_variant_caps",
    "font_variant_numeric", "font_variant_alternates", "font_variant_east_asian",
    "font_feature_settings", "font_variation_settings", "font_language_override",
    "lang", "font_size", "line_height",
)
_description_values = itemgetter(*FONT_DESCRIPTION_PROPERTIES)
_strut_values = itemgetter(*STRUT_PROPERTIES)


class TextStyleMemo:
    """WeasyPrint's ``get_font_description`` and ``strut``, each answer kept for the
    run. ``made``: answers WeasyPrint worked out."""

    def __init__(self, get_font_description: Callable[[Any], Any],
                 strut: Callable[[Any], tuple[float, float]]) -> None:
        self._description = get_font_description
        self._strut = strut
        # Each key is the ids of the values; the entry holds the values (alive, so
        # no id is reused for another) and the answer.
        self._descriptions: dict[tuple[int, ...], tuple[Any, Any]] = {}
        self._struts: dict[tuple[int, ...], tuple[Any, tuple[float, float]]] = {}
        self.made = 0

    def get_font_description(self, style: Any) -> Any:
        """WeasyPrint's ``get_font_description``: the Pango font description of ``style``."""
        values = _description_values(style)
        key = tuple(map(id, values))
        known = self._descriptions.get(key)
        if known is None:
            self.made += 1
            known = self._descriptions[key] = (values, self._description(style))
        return known[1]

    def strut(self, style: Any) -> tuple[float, float]:
        """WeasyPrint's ``strut``: the used line height of ``style`` and its baseline."""
        values = (style.font_config, *_strut_values(style))
        key = tuple(map(id, values))
        known = self._struts.get(key)
        if known is None:
            self.made += 1
            known = self._struts[key] = (values, self._strut(style))
        return known[1]
