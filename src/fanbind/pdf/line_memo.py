"""Lines broken once per layout run: WeasyPrint's first-line splits, remembered.

:func:`fanbind.pdf.layout.lay_out` lays a book out two or three times (the
gutter row, hyphen ladders, the makeup by spread), and every time WeasyPrint
breaks every line again with Pango (``split_first_line``: a Pango layout of the
rest of the text box, shaped, measured, hyphenated) — a third or more of a
layout's CPU. The passes after the first break the same text in the same style
at the same width: the makeup's cuts keep the lines a paragraph had (WeasyPrint
breaks lines first-fit, :mod:`fanbind.pdf.makeup`), and a ``no-hyphens``
paragraph changes its own style, so only its lines miss. :class:`LineMemo`
remembers each split for the whole run and hands back the same answer.

What a split depends on, and so the key: the text; the computed values WeasyPrint's
line breaker and font code read (:data:`STYLE_PROPERTIES`, checked against
WeasyPrint's source by tests/test_layout_passes.py); the width and the other
arguments. Besides the style it reads the fonts (the run's font configuration,
made from the stylesheets) and the layout context's hyphenation dictionaries,
made from the language and the ``hyphenate-limit-chars`` values in the key and
from ``pyphen`` as :mod:`fanbind.pdf.kept_words` sets it for the run: those are
the memo's :attr:`LineMemo.scope`, the same for every pass of a run, and checked
when a run is handed the memo of another (a part laid out again on its other side).

WeasyPrint's answer carries a Pango layout already *deactivated* (its Pango
objects dropped; a text box makes them again when drawn), so it is a small
Python object: each answer is a shallow copy, as a box may change its own
(``text-overflow`` rewrites its text when drawn).

A justified text box's layout (``create_layout``, made for drawing only and
deactivated at once) is made without Pango on its first request too: WeasyPrint
set up a Pango context, font and text for it only to drop them (15 → 6 µs, 2,100
layouts in a first pass over a 90-page part).

Nothing here imports WeasyPrint (pdf/layout.py is its only importer): layout.py
puts :meth:`LineMemo.split_first_line` and :meth:`LineMemo.create_layout` in place
of WeasyPrint's own for the run (``layout._memoised_lines``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from operator import itemgetter
from typing import Any

#: Every computed value WeasyPrint 70 reads while splitting a line
#: (``weasyprint/text/line_break.py`` and ``text/fonts.py``): fonts, features,
#: spacing, wrapping, hyphenation, language, direction.
STYLE_PROPERTIES = (
    "direction", "font_family", "font_feature_settings", "font_kerning",
    "font_language_override", "font_size", "font_stretch", "font_style",
    "font_variant_alternates", "font_variant_caps", "font_variant_east_asian",
    "font_variant_ligatures", "font_variant_numeric", "font_variant_position",
    "font_variation_settings", "font_weight", "hyphenate_character",
    "hyphenate_limit_chars", "hyphenate_limit_zone", "hyphens", "lang",
    "letter_spacing", "line_height", "overflow_wrap", "tab_size",
    "text_decoration_line", "white_space", "word_break", "word_spacing",
)


_read_style = itemgetter(*STYLE_PROPERTIES)  # one C call for the lot


class _Unkeyable(Exception):
    """A style the memo cannot vouch for (a value computed from others: ``calc()``)."""


def _style_key(style: Any) -> tuple[Any, ...]:
    zone = style["hyphenate_limit_zone"]
    if zone is not None and getattr(zone, "unit", None) is None:
        raise _Unkeyable  # a math function: resolved against other values
    values: tuple[Any, ...] = _read_style(style)
    return values


class LineMemo:
    """WeasyPrint's ``split_first_line`` and ``create_layout``, each answer kept.

    ``made``: splits WeasyPrint computed; ``reused``: splits answered from
    the memo (the benchmarks and tests read them).
    """

    def __init__(self, split_first_line: Callable[..., Any],
                 create_layout: Callable[..., Any], scope: Hashable = None,
                 layout_class: Any = None) -> None:
        #: What the answers hold for besides their key: the stylesheets (and so
        #: the fonts) and the words kept whole. A memo serves a later run only
        #: within the same scope (fanbind.pdf.layout.lay_out's ``lines``).
        self.scope = scope
        self._split = split_first_line
        self._create = create_layout
        #: WeasyPrint's ``Layout``: a justified box's layout is made without Pango
        #: (:meth:`create_layout`); None: always by WeasyPrint.
        self._layout_class = layout_class
        self._lines: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._layouts: dict[tuple[Any, ...], Any] = {}
        self.made = 0
        self.reused = 0

    def split_first_line(self, text: str, style: Any, context: Any, max_width: float | None,
                         justification_spacing: float, is_line_start: bool = True,
                         minimum: bool = False) -> tuple[Any, ...]:
        """WeasyPrint's ``split_first_line``, the same arguments giving the same answer."""
        try:
            key = (text, _style_key(style), max_width, justification_spacing,
                   is_line_start, minimum)
            known = self._lines.get(key)
        except (_Unkeyable, TypeError):  # TypeError: a value that cannot be hashed
            unkept: tuple[Any, ...] = self._split(text, style, context, max_width,
                                                  justification_spacing, is_line_start, minimum)
            return unkept
        if known is not None:
            self.reused += 1
            return (copy.copy(known[0]), *known[1:])
        self.made += 1
        answer: tuple[Any, ...] = self._split(text, style, context, max_width,
                                              justification_spacing, is_line_start, minimum)
        self._lines[key] = (copy.copy(answer[0]), *answer[1:])
        return answer

    def create_layout(self, text: str, style: Any, context: Any, max_width: float | None,
                      justification_spacing: float) -> Any:
        """WeasyPrint's ``create_layout`` where a justified text box makes the layout it
        is drawn with: that box deactivates it at once, so what is kept is the
        deactivated layout; the copy handed back has its Pango attributes set to
        None for that ``deactivate()`` to drop.

        Such a layout is only ever *reactivated* before it is drawn, which sets it
        up afresh from its text and spacing: the Pango context, font and text that
        ``create_layout`` sets up are dropped unused (a tenth of the layouts made
        in a first pass). So it is made as ``deactivate()`` would leave it, without
        Pango (:meth:`_deactivated`), for a style without text decoration (whose
        metrics a deactivated layout keeps) and without word spacing (which may
        change its text)."""
        try:
            key = (text, _style_key(style), max_width, justification_spacing)
            known = self._layouts.get(key)
        except (_Unkeyable, TypeError):
            return self._create(text, style, context, max_width, justification_spacing)
        if known is None:
            if self._layout_class is not None and style["text_decoration_line"] == "none" \
                    and style["word_spacing"] == 0:
                known = self._layouts[key] = self._deactivated(
                    text, max_width, justification_spacing)
            else:
                layout = self._create(text, style, context, max_width, justification_spacing)
                known = copy.copy(layout)
                known.deactivate()
                self._layouts[key] = known
                return layout
        again = copy.copy(known)
        again.layout = again.language = again.style = None
        return again

    def _deactivated(self, text: str, max_width: float | None,
                     justification_spacing: float) -> Any:
        """A layout as WeasyPrint's ``create_layout`` then ``deactivate()`` leave it
        for a style without text decoration or word spacing: its spacing, width and
        text (up to a line break and one character more, as ``set_text`` keeps it),
        no decoration metrics, the first line's direction not yet known."""
        assert self._layout_class is not None
        layout = self._layout_class.__new__(self._layout_class)
        newline = text.find("\n")
        layout.__dict__.update(
            justification_spacing=justification_spacing, first_line_direction=0,
            ascent=None, underline_position=None, strikethrough_position=None,
            max_width=max_width, text=text if newline == -1 else text[:newline + 2])
        return layout
