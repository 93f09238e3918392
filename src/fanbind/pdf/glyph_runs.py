"""A line's glyphs written to the PDF as WeasyPrint writes them, with less Python per glyph.

Drawing the text is most of writing a part (issue 15: a 97-page part's write was
1.3–1.7 s of CPU, ~70 % of it in ``draw_text``). For every line WeasyPrint
shapes the line again with Pango and then, in ``draw_first_line``, walks its
glyphs one by one through cffi — each glyph's id, width and offsets read as
separate C struct accesses, a width and a kerning computed and formatted — about
2 µs a glyph, some 200,000 glyphs a part.

:class:`GlyphWriter` stands in for ``draw_first_line`` for a write run
(``fanbind.pdf.layout.write_layout``) and writes the *same bytes*: it reads a
run's glyph array in one copy (``PangoGlyphInfo`` is five 32-bit fields), and
what a glyph adds to the ``TJ`` string — its id and its kerning — is worked out
once per font, size, glyph, width and offset and remembered for the write (a book
uses a few hundred glyphs at a few widths; only the spaces of justified lines
vary). A justified line reaches here in runs of one word each (WeasyPrint
spaces its words with a letter-spacing attribute on each space, and Pango
starts a run at each), and a run's glyph array, the same, gives the same
string: each is remembered too (the sample's 36,000 runs are 6,800 different
ones). Everything it does not handle as WeasyPrint 70 does, line for line, goes
to WeasyPrint's own function, whole line at a time, before anything is written:
an ellipsis (``text-overflow``, ``block-ellipsis``), bitmap and colour fonts
(emoji: PNG, SVG, COLR), glyphs the fonts lack (``.notdef``), glyphs moved up or
down (a vertical offset: the text rise). tests/test_glyph_runs.py pins the
WeasyPrint source this copies and checks the stream against WeasyPrint's own.

Nothing here imports WeasyPrint (pdf/layout.py is its only importer): layout.py
hands in WeasyPrint's function and its cffi handles.
"""

from __future__ import annotations

from array import array
from typing import Any

#: ``sizeof(PangoGlyphInfo)``: glyph, width, x offset, y offset, visual attributes.
GLYPH_INFO_FIELDS = 5
#: Pango's special glyph ids (pango-glyph.h).
GLYPH_EMPTY = 0x0FFFFFFF
GLYPH_UNKNOWN_FLAG = 0x10000000
#: Pango versions before 1.48.2 give a run's font size wrong (pango issue 530):
#: WeasyPrint then uses the style's.
PANGO_SIZE_FIXED = 14802


class _Fallback(Exception):
    """A line WeasyPrint's own ``draw_first_line`` draws."""


class _FontMemo:
    """What a font at one size adds to a ``TJ`` string: per glyph (id, width, x
    offset) its piece, and per run (its glyph array's bytes) the closed list —
    a justified line's words are runs of their own, and words come back."""

    def __init__(self, font: Any) -> None:
        self.font = font  # kept alive: the memo is filed under its id
        self.glyphs: dict[tuple[int, int, int], str] = {}
        self.runs: dict[bytes, str] = {}


class GlyphWriter:
    """WeasyPrint's ``draw_first_line``, the per-glyph work done once per kind of glyph.

    ``fast``: lines written here; ``handed_back``: lines drawn by WeasyPrint
    (the tests read them).
    """

    def __init__(self, draw_first_line: Any, ffi: Any, pango: Any, from_units: float) -> None:
        self._original = draw_first_line
        self._ffi = ffi
        self._pango = pango
        self._from_units = from_units
        self._usable = ffi.sizeof("PangoGlyphInfo") == 4 * GLYPH_INFO_FIELDS
        self._size_from_style = pango.pango_version() < PANGO_SIZE_FIXED
        #: Per (font, size): what its glyphs and runs add to the string.
        self._memos: dict[tuple[int, float], _FontMemo] = {}
        self._zeros_by_count: dict[int, array[int]] = {}
        self.fast = 0
        self.handed_back = 0

    def draw_first_line(self, stream: Any, textbox: Any, text_overflow: str,
                        block_ellipsis: Any, matrix: Any) -> list[Any]:
        """Write ``textbox``'s line to ``stream`` as WeasyPrint's ``draw_first_line`` does."""
        if text_overflow == "ellipsis" or block_ellipsis != "none" or not self._usable:
            return self._hand_back(stream, textbox, text_overflow, block_ellipsis, matrix)
        if not textbox.text.strip() or textbox.style["font_size"] < 1e-6:
            return []
        layout = textbox.pango_layout
        self._pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()
        try:
            runs = self._read_runs(stream, textbox, first_line)
        except _Fallback:
            return self._hand_back(stream, textbox, text_overflow, block_ellipsis, matrix)
        self.fast += 1
        stream.set_text_matrix(*matrix.values)
        string = ""
        previous_font = None
        for pango_font, font, font_size, memo, closed, values, glyph_item in runs:
            if pango_font != previous_font:
                previous_font = pango_font
                if string:
                    stream.show_text(string)
                string = ""
                stream.set_font_size(font.hash, font_size)
            if closed is None:
                piece = self._run_string(stream, textbox, pango_font, font, font_size,
                                         memo, values, glyph_item)
                # Closed as WeasyPrint closes a run's glyph list: an empty end dropped.
                closed = "<" + piece
                closed = closed[:-1] if closed[-1] == "<" else closed + ">"
                memo.runs[values] = closed
            string += closed
        stream.show_text(string)
        return []

    def _zeros(self, count: int) -> array[int]:
        zeros = self._zeros_by_count.get(count)
        if zeros is None:
            zeros = self._zeros_by_count[count] = array("i", bytes(4 * count))
        return zeros

    def _hand_back(self, *arguments: Any) -> list[Any]:
        self.handed_back += 1
        drawn: list[Any] = self._original(*arguments)
        return drawn

    def _read_runs(self, stream: Any, textbox: Any, first_line: Any) -> list[tuple[Any, ...]]:
        """The line's runs: Pango font, WeasyPrint font, size, the font's memo, the
        run's closed string if known, else its glyph array (id, width, x offset,
        y offset, attributes per glyph, as bytes) and glyph item. Raises
        :class:`_Fallback` for what only WeasyPrint's function handles."""
        ffi = self._ffi
        runs = []
        previous = None
        font = font_size = memo = None
        run = first_line.runs[0]
        while run != ffi.NULL:
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            pango_font = glyph_item.item.analysis.font
            if pango_font != previous:
                previous = pango_font
                font, font_size = stream.add_font(pango_font)
                if font.png or font.svg or font.colr or font.bitmap:
                    raise _Fallback
                if self._size_from_style:
                    font_size = textbox.style["font_size"]
                memo = self._memos.get((id(font), font_size))
                if memo is None:
                    memo = self._memos[id(font), font_size] = _FontMemo(font)
            assert memo is not None
            count = glyph_string.num_glyphs
            copied = bytearray(ffi.buffer(glyph_string.glyphs, count * 4 * GLYPH_INFO_FIELDS))
            numbers = memoryview(copied).cast("i")
            # The visual attributes are two bits of a 32-bit field, the rest left
            # as it was: cleared, so that the same glyphs are the same key.
            numbers[4::GLYPH_INFO_FIELDS] = self._zeros(count)
            values = bytes(copied)
            closed = memo.runs.get(values)
            if closed is None:
                glyphs = numbers[0::GLYPH_INFO_FIELDS]
                if len(glyphs) and (max(glyphs) >= GLYPH_UNKNOWN_FLAG or min(glyphs) < 0
                                    or any(numbers[3::GLYPH_INFO_FIELDS])):
                    raise _Fallback  # a missing glyph, or one with a rise
            runs.append((pango_font, font, font_size, memo, closed, values, glyph_item))
        return runs

    def _run_string(self, stream: Any, textbox: Any, pango_font: Any, font: Any,
                    font_size: float, memo: _FontMemo, raw: bytes, glyph_item: Any) -> str:
        """What one run adds to the ``TJ`` string after its opening ``<``."""
        pieces = memo.glyphs
        values = memoryview(raw).cast("i").tolist()
        widths = font.widths
        to_unicode = font.to_unicode
        from_units = self._from_units
        string = ""
        utf8_text = None
        for index in range(0, len(values), GLYPH_INFO_FIELDS):
            glyph_id = values[index]
            width = values[index + 1]
            x_offset = values[index + 2]
            key = (glyph_id, width, x_offset)
            piece = pieces.get(key)
            if piece is not None:
                string += piece
                continue
            if glyph_id == GLYPH_EMPTY:  # a zero-width empty glyph
                string += f">{-width / font_size}<"
                continue
            if glyph_id not in to_unicode:
                # Map the glyph to the text it stands for (its cluster).
                item = glyph_item.item
                glyphs = glyph_item.glyphs
                clusters = glyphs.log_clusters
                number = index // GLYPH_INFO_FIELDS
                start = clusters[number]
                if item.analysis.level % 2:  # rtl
                    end = item.length if number == 0 else clusters[number - 1]
                else:
                    end = item.length if number == glyphs.num_glyphs - 1 \
                        else clusters[number + 1]
                utf8_text = utf8_text or textbox.pango_layout.text.encode()
                to_unicode[glyph_id] = utf8_text[item.offset + start:item.offset + end].decode()
            offset = x_offset / font_size
            piece = f">{-offset}<" if offset else ""
            piece += f"{glyph_id:04x}"
            if glyph_id in widths:
                logical_width = widths[glyph_id]
            else:
                self._pango.pango_font_get_glyph_extents(
                    pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                logical_width = widths[glyph_id] = round(
                    stream.logical_rect.width * 1000 * from_units / font_size)
            kerning = logical_width + offset - width * 1000 * from_units / font_size
            if kerning:
                piece += f">{int(kerning)}<"
            pieces[key] = piece
            string += piece
        return string
