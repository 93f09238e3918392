"""The write with less work (issue 15): the same PDF, byte for byte, as WeasyPrint's own.

:mod:`fanbind.pdf.glyph_runs` is a copy of WeasyPrint's ``draw_first_line`` with
the per-glyph work done once per kind of glyph, and :mod:`fanbind.pdf.compressed_once`
keeps pydyf from compressing every stream twice. Both rely on the source they
stand in for: it is pinned here (a WeasyPrint or pydyf that changes it fails
here, not in a book). Then the answers: small documents with what the copy
handles and what it hands back to WeasyPrint (ellipsis, missing glyphs, marks,
right-to-left, emoji, letter and word spacing, decorations), random text, and a
book laid out by fanbind, each written both ways and compared byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import io
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pydyf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import copy_sample_stories, laid_out_part
from weasyprint import CSS, HTML
from weasyprint.draw import text as draw_text
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.fonts import FontConfiguration

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.compressed_once import CompressedOnce
from fanbind.pdf.glyph_runs import GLYPH_INFO_FIELDS, GlyphWriter
from fanbind.render import render_book
from fanbind.resources import FONTS_DIR

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)

#: sha256 of the source this module's copies follow. When WeasyPrint or pydyf
#: changes one, read the new source against fanbind.pdf.glyph_runs (or
#: compressed_once), mend the copy, run this file, then put the new digest here.
PINNED = {
    "weasyprint.draw.text.draw_first_line":
        "1bb8eae6d88e71b17096a034656f3be17da8f1f513c78536c1c38d971927638b",
    "pydyf.Stream.data": "bdc2bc513f286de7b7a7220a43e6085daa6ed0056d9c04e3c9b5abe40f3ecf81",
    "pydyf.PDF.write": "242cd38f92ecd33f831159f8eb560487bf2e18d746ff8a7666954f2a8d519ba0",
}


def _digest(function: Callable[..., object]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def test_the_source_the_copies_follow_is_pinned():
    assert {
        "weasyprint.draw.text.draw_first_line": _digest(draw_text.draw_first_line),
        "pydyf.Stream.data": _digest(pydyf.Stream.data.fget),
        "pydyf.PDF.write": _digest(pydyf.PDF.write),
    } == PINNED


def test_where_the_copies_put_themselves():
    # draw_text calls draw_first_line as a module global, so the writer takes its place.
    assert "emojis = draw_first_line(" in inspect.getsource(draw_text.draw_text)
    assert list(inspect.signature(draw_text.draw_first_line).parameters) == [
        "stream", "textbox", "text_overflow", "block_ellipsis", "matrix"]
    # A glyph info is five 32-bit fields: id, width, x offset, y offset, attributes.
    assert ffi.sizeof("PangoGlyphInfo") == 4 * GLYPH_INFO_FIELDS
    assert [field for field, _ in ffi.typeof("PangoGlyphInfo").fields] == [
        "glyph", "geometry", "attr"]
    assert [field for field, _ in ffi.typeof("PangoGlyphGeometry").fields] == [
        "width", "x_offset", "y_offset"]
    # Every stream's bytes come from its data property, read again for the identifier.
    assert isinstance(pydyf.Stream.__dict__["data"], property)
    assert "obj.data for obj in self.objects" in inspect.getsource(pydyf.PDF.write)


def test_weasyprint_and_pydyf_get_their_own_back(tmp_path: Path):
    own = (draw_text.draw_first_line, pydyf.Stream.data, pydyf.PDF.write)
    glyphs, restore = pdf._quicker_writing()
    assert draw_text.draw_first_line == glyphs.draw_first_line
    assert pydyf.Stream.__dict__["data"] is not own[1]
    restore()
    assert (draw_text.draw_first_line, pydyf.Stream.data, pydyf.PDF.write) == own


# ---------------------------------------------------------------------- small documents

_FACE = FONTS_DIR / "EBGaramond12-Regular.otf"
_CSS = f"""
@font-face {{ font-family: Book; src: url({_FACE.as_uri()}); }}
@page {{ size: 12cm 18cm; margin: 1.5cm; }}
body {{ font-family: Book, serif; font-size: 11pt; line-height: 1.3; }}
p {{ text-align: justify; hyphens: auto; margin: 0 }}
.spaced {{ letter-spacing: 0.08em; word-spacing: 0.2em }}
.caps {{ font-variant: small-caps; text-decoration: underline }}
.cut {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 4cm }}
.clamp {{ max-lines: 2; block-ellipsis: auto; overflow: hidden; text-align: left }}
.struck {{ text-decoration: line-through overline }}
.sans {{ font-family: DejaVu Sans }}
"""

_HARD = """
<p lang="en">A justified paragraph long enough to take several lines, with fine
words – dashes, “quotes”, ligatures (office, affluent, fjord), figures 1234567890,
and a soft hyph&#xad;en — to be broken, spaced and justified like any other.</p>
<p class="spaced" lang="en">Letters and words spaced out across a line or two of
text, justified too, so that every space has its own width.</p>
<p class="caps" lang="en">Small capitals, underlined.</p>
<p class="struck">Struck through and overlined.</p>
<p class="cut">A line far too long for its box, cut with an ellipsis at its end.</p>
<p class="clamp" lang="en">Two lines at most: the rest of this paragraph goes, and
the last line shown ends with an ellipsis where it is cut off by the clamp.</p>
<p>Marks: e&#x301; a&#x308; n&#x303; q&#x323;&#x307; — a zero&#x200b;width space,
a tab&#9;here, no&#x2060;break, and ✓ ☃ 😀 from other fonts.</p>
<p lang="he" dir="rtl">שלום עולם, a line from right to left.</p>
<p>Stacked marks, raised: A&#x301;&#x302; Q&#x302; E&#x323;&#x302;.</p>
<p lang="ar" dir="rtl">بِسْمِ ٱللَّهِ</p>
<p class="sans">Another font: DejaVu Sans, ĳ ŉ ǅ.</p>
<p>Missing everywhere: &#xe000;&#xf8ff; and &#x10ffff;.</p>
"""


def _written(html: str, *, quicker: bool) -> tuple[bytes, GlyphWriter | None]:
    fonts = FontConfiguration()
    sheet = CSS(string=_CSS, font_config=fonts)
    rendered = HTML(string=html, base_url=str(_FACE.parent)).render(
        stylesheets=[sheet], font_config=fonts)
    glyphs = None
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if quicker:
        glyphs, restore = pdf._quicker_writing()
    try:
        data = rendered.write_pdf(pdf_identifier=True)
    finally:
        restore()
    return data, glyphs


def test_a_document_of_hard_cases_is_written_byte_for_byte_as_weasyprint_writes_it():
    own, _ = _written(_HARD, quicker=False)
    quicker, glyphs = _written(_HARD, quicker=True)
    assert quicker == own
    assert glyphs is not None
    # Most lines are written here; the ellipses, marks with a rise and missing
    # glyphs go back to WeasyPrint.
    assert glyphs.fast > 10 and glyphs.handed_back >= 4, (glyphs.fast, glyphs.handed_back)


_TEXT = st.lists(st.sampled_from(
    [*"abcdefghij klmnopqrstuvwxyz ABCZ.,;:!?'\"-–—’“”…0123", "fi", "ffl", "\u00ad", "\u00a0",
     "\u200b", "é", "e\u0301", "A\u0301\u0302", "\u05d0", "😀", "\ue000", "\t", "  "]),
    min_size=1, max_size=300).map("".join)


# 25 examples: each renders and writes two one-page documents (about 50 ms);
# the shapes that matter (ligatures, marks, spaces, fallback fonts) are in the alphabet.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=_TEXT, kind=st.sampled_from(["", "spaced", "caps", "sans", "struck"]))
def test_any_text_is_written_as_weasyprint_writes_it(words: str, kind: str):
    from html import escape

    html = f'<p class="{kind}" lang="en">{escape(words)}</p>' * 2
    assert _written(html, quicker=True)[0] == _written(html, quicker=False)[0]


# ---------------------------------------------------------------------- compressed once


def test_each_stream_is_compressed_once_and_the_file_is_the_same():
    def written() -> bytes:
        # A new document each time: pydyf adds its object and xref streams as it writes.
        document = pydyf.PDF()
        for page in range(3):
            stream = pydyf.Stream([f"BT /F1 12 Tf ({page}) Tj ET".encode()] * 50, compress=True)
            document.add_object(stream)
            document.add_page(pydyf.Dictionary({
                "Type": "/Page", "Contents": stream.reference,
                "MediaBox": pydyf.Array([0, 0, 10, 10])}))
        out = io.BytesIO()
        document.write(out, identifier=True, compress=True)
        return out.getvalue()

    own = written()
    memo = CompressedOnce(pydyf.PDF, pydyf.Stream)
    restore = memo.install()
    try:
        once = written()
    finally:
        restore()
    assert once == own
    # Each page stream and the object stream were read again for the identifier.
    assert memo.reused >= 4
    # Outside a write, nothing is remembered: a stream changed afterwards shows it.
    restore = memo.install()
    try:
        stream = pydyf.Stream([b"0 0 m"], compress=True)
        before = stream.data
        stream.stream.append(b"1 1 l")
        assert stream.data != before
    finally:
        restore()


# ---------------------------------------------------------------------- a book


def test_a_book_is_written_as_weasyprint_writes_it(tmp_path: Path):
    root = copy_sample_stories(tmp_path / "book", (0,))
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))

    def laid_out() -> pdf.Layout:
        return pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN)

    quicker = laid_out()
    pdf.write_layout(quicker, tmp_path / "quicker.pdf")
    own = laid_out()
    own.rendered.write_pdf(tmp_path / "own.pdf", pdf_identifier=True,
                           finisher=pdf._page_labels(own.folios))
    assert len(own.rendered.pages) > 5
    assert (tmp_path / "quicker.pdf").read_bytes() == (tmp_path / "own.pdf").read_bytes()


def test_the_folio_stamp_is_the_same_with_its_memos_as_weasyprint_draws_it(tmp_path: Path):
    # The stamp remembers lines, used sizes and text styles for its run and writes
    # with the glyph writer: the same file as WeasyPrint's own, on both sides.
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    layout, plan = laid_out_part(root, WHEN)
    assert len(plan.pages) > 5
    for flip in (False, True):
        written = []
        for remember in (True, False):
            target = tmp_path / f"stamp-{flip}-{remember}.pdf"
            _, drawn = pdf.stamp_folios(plan, target, page_offset=7, page_total=99,
                                        project_dir=root, extra_stylesheets=(),
                                        geometry_css=layout.geometry.css(), flip=flip,
                                        remember=remember)
            assert sum(drawn) > 5
            written.append(target.read_bytes())
        assert written[0] == written[1]


def test_the_writer_hands_back_what_it_cannot_read():
    calls = []

    def own(*arguments: object) -> list[object]:
        calls.append(arguments)
        return ["drawn by WeasyPrint"]

    class Box:
        text = "anything"
        style: ClassVar[dict[str, int]] = {"font_size": 12}

    writer = GlyphWriter(own, ffi, pango, FROM_UNITS)
    assert writer.draw_first_line(None, Box(), "ellipsis", "none", None) == \
        ["drawn by WeasyPrint"]
    assert writer.draw_first_line(None, Box(), "clip", "auto", None) == ["drawn by WeasyPrint"]
    assert writer.handed_back == 2 and writer.fast == 0 and len(calls) == 2
