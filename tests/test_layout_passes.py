"""The print layout's passes after the first, made cheap (issue 15).

:func:`fanbind.pdf.layout.lay_out` lays a book out two or three times (gutter row,
hyphen ladders, makeup by spread). The passes after the first take their lines
from a memo (:mod:`fanbind.pdf.line_memo`), each pass's pages are dropped before
the next is made, and the garbage collector does not walk the boxes over and over.

The WeasyPrint internals the memo stands in for are read from WeasyPrint's
source: every computed value its line breaker reads is in the memo's key, the
functions have the arguments the memo passes on, and the modules that call them
still look them up by name (a new WeasyPrint that reads one more property fails
here, not in a book). The memo itself is tested on stand-in functions. One small
book (the sample's first and last stories, 25 pages) is laid out twice, with and
without the memo: the makeup pass takes most of its lines from the first pass,
the PDFs are byte for byte the same, the first pass's pages are gone when the
second starts, and the only full collections are the one between the passes.
"""

from __future__ import annotations

import datetime as dt
import gc
import inspect
import re
import weakref
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from tests.conftest import copy_sample_stories
from weasyprint.layout import inline, preferred
from weasyprint.text import fonts, line_break

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.line_memo import STYLE_PROPERTIES, LineMemo
from fanbind.render import render_book
from fanbind.resources import PRINT_CSS, STYLES_DIR

ROOT = Path(__file__).resolve().parent.parent
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


# ---------------------------------------------------------------------- WeasyPrint's internals


def test_every_value_weasyprint_reads_to_break_a_line_is_in_the_key():
    read = set()
    for module in (line_break, fonts):
        read |= set(re.findall(r"style\[['\"](\w+)['\"]\]", inspect.getsource(module)))
    assert read, "WeasyPrint's line breaker no longer reads style['…']: read it again"
    assert read <= set(STYLE_PROPERTIES), sorted(read - set(STYLE_PROPERTIES))
    # Besides the style, the line breaker reads only the context's dictionaries.
    assert set(re.findall(r"context\.(\w+)", inspect.getsource(line_break))) == {"dictionaries"}


def test_the_functions_the_memo_stands_in_for_are_where_it_puts_itself():
    def arguments(function: Any) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert arguments(line_break.split_first_line) == [
        "text", "style", "context", "max_width", "justification_spacing",
        "is_line_start", "minimum"]
    assert arguments(line_break.create_layout) == [
        "text", "style", "context", "max_width", "justification_spacing"]
    assert arguments(LineMemo.split_first_line)[1:] == arguments(line_break.split_first_line)
    assert arguments(LineMemo.create_layout)[1:] == arguments(line_break.create_layout)
    # Looked up as module globals at call time, so replacing them takes effect.
    # (split_first_line is fanbind.pdf.hanging_space's wrapper of WeasyPrint's, put
    # in both places by fanbind.pdf.layout: the memo wraps whatever stands there.)
    assert inline.split_first_line is preferred.split_first_line
    assert getattr(inline.split_first_line, "hangs_trailing_space", False)
    assert inline.create_layout is line_break.create_layout
    assert "split_first_line(" in inspect.getsource(inline.split_text_box)
    # A split's layout comes back deactivated (a plain object to copy); a justified
    # box deactivates the layout create_layout gives it at once.
    assert "layout.deactivate()" in inspect.getsource(line_break.first_line_metrics)
    justify = inspect.getsource(inline.add_word_spacing)
    assert re.search(r"create_layout\([^)]*\)\s*layout\.deactivate\(\)", justify)


# ---------------------------------------------------------------------- the memo alone


_Dimension = namedtuple("_Dimension", "value unit")  # as WeasyPrint's: hashable


class _Style(dict):
    font_config = object()


def _style(**values: Any) -> _Style:
    style = _Style.fromkeys(STYLE_PROPERTIES, "normal")
    style.update({"hyphenate_limit_zone": _Dimension(0, "px"), **values})
    return style


class _Layout:
    def __init__(self, text: str) -> None:
        self.text, self.layout, self.language, self.style = text, "pango", "en", "style"

    def deactivate(self) -> None:
        del self.layout, self.language, self.style


def test_the_same_split_is_made_once_and_handed_out_as_copies():
    made: list[str] = []

    def split(text, style, context, max_width, spacing, is_line_start=True, minimum=False):
        made.append(text)
        layout = _Layout(text[:5])
        layout.deactivate()
        return layout, 5, 6, 30.0, 12.0, 9.0

    memo = LineMemo(split, lambda *args: None)
    first = memo.split_first_line("Hello world", _style(), None, 100.0, 0)
    again = memo.split_first_line("Hello world", _style(), None, 100.0, 0)
    assert made == ["Hello world"] and (memo.made, memo.reused) == (1, 1)
    assert again[1:] == first[1:] and again[0].text == "Hello"
    assert again[0] is not first[0]  # a box may change its own layout
    # Anything in the key that differs is split again.
    memo.split_first_line("Hello world", _style(hyphens="manual"), None, 100.0, 0)
    memo.split_first_line("Hello world", _style(), None, 90.0, 0)
    memo.split_first_line("Hello world", _style(), None, 100.0, 0, minimum=True)
    assert len(made) == 4
    # A value computed from others (calc()) is not vouched for: split every time.
    computed = _style(hyphenate_limit_zone=("calc", "1em + 2px"))
    memo.split_first_line("Hello world", computed, None, 100.0, 0)
    memo.split_first_line("Hello world", computed, None, 100.0, 0)
    assert len(made) == 6 and memo.reused == 1


def test_a_justified_boxs_layout_is_made_once_and_can_be_deactivated_by_it():
    made: list[str] = []

    def create(text, style, context, max_width, spacing):
        made.append(text)
        return _Layout(text)

    memo = LineMemo(lambda *args: None, create)
    for _ in range(3):
        layout = memo.create_layout("two words", _style(), None, None, 1.5)
        layout.deactivate()  # as add_word_spacing does
        assert layout.text == "two words" and not hasattr(layout, "layout")
    assert made == ["two words"]


def test_a_justified_boxs_layout_made_without_pango_is_the_one_weasyprint_leaves(
        monkeypatch: pytest.MonkeyPatch):
    # Every justified text box of a page set in print.css: plain, italic, small
    # capitals, and underlined words, whose deactivated layout keeps the font's
    # decoration metrics (made by WeasyPrint).
    asked: list[tuple[Any, ...]] = []
    create = line_break.create_layout

    def record(text: str, style: Any, context: Any, max_width: float | None,
               justification_spacing: float) -> Any:
        asked.append((text, style, context, max_width, justification_spacing))
        return create(text, style, context, max_width, justification_spacing)

    monkeypatch.setattr(inline, "create_layout", record)
    words = " ".join(["a justified line of some length"] * 12)
    html = (f"<p>{words}</p><p><em>{words}</em> {words}</p><p class=lead>{words}</p>"
            f"<p>{words} <u>under a line</u> {words}</p>")
    weasyprint.HTML(string=html, base_url=str(STYLES_DIR) + "/").render(
        stylesheets=[weasyprint.CSS(filename=str(PRINT_CSS))])
    assert len(asked) > 20
    made: list[str] = []

    def weasyprints(*args: Any) -> Any:
        made.append(args[0])
        return create(*args)

    memo = LineMemo(lambda *args: None, weasyprints, layout_class=line_break.Layout)
    for text, style, context, max_width, spacing in asked:
        theirs = create(text, style, context, max_width, spacing)
        theirs.deactivate()
        ours = memo.create_layout(text, style, context, max_width, spacing)
        ours.deactivate()  # as add_word_spacing does
        assert type(ours) is type(theirs) and vars(ours) == vars(theirs), text
        assert [type(v) for v in vars(ours).values()] == [type(v) for v in vars(theirs).values()]
    decorated = [args[0] for args in asked if args[1]["text_decoration_line"] != "none"]
    assert decorated and set(made) == set(decorated)  # the rest made without Pango
    # A text holding a line break keeps it and one character more, as set_text does.
    text, style, context, max_width, spacing = asked[0]
    theirs = create("two\nlines here", style, context, max_width, spacing)
    theirs.deactivate()
    ours = memo.create_layout("two\nlines here", style, context, max_width, spacing)
    assert vars(ours) == {**vars(theirs), "layout": None, "language": None, "style": None}
    assert ours.text == "two\nl"


# ---------------------------------------------------------------------- a book


@pytest.fixture(scope="module")
def two_stories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_stories(tmp_path_factory.mktemp("line-memo"), (0, -1))


def test_the_makeup_pass_reuses_the_first_pass_lines_and_the_pdf_is_the_same(
        two_stories: Path, monkeypatch: pytest.MonkeyPatch):
    book = load_book(open_project(two_stories))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    alive: list[weakref.ref[Any]] = []
    render = weasyprint.HTML.render

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        gc.collect()
        # The layout before this one is gone: its pages are not held while the
        # next are made (memory, and the garbage collector's walks).
        assert all(ref() is None for ref in alive)
        # Collections are rare while a book is laid out (lay_out's GC_THRESHOLDS).
        assert gc.get_threshold() == pdf.GC_THRESHOLDS != (700, 10, 10)
        rendered = render(self, *args, **kwargs)
        alive.append(weakref.ref(rendered))
        return rendered

    monkeypatch.setattr(weasyprint.HTML, "render", watched)
    full: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    before = gc.get_threshold()
    # From empty generations: what the tests before this one left (they differ with
    # the order the tests run in) cannot bring a collection due on the way.
    gc.collect()
    gc.callbacks.append(count)
    try:
        layout = pdf.lay_out(book.anthology, documents, project_dir=two_stories,
                             created=WHEN, reuse_boxes=False)  # the makeup laid out again
    finally:
        gc.callbacks.remove(count)
    assert layout.passes == 2 and len(alive) == 2
    # Two from the watcher above; one between the passes; none on the way.
    assert len(full) == 3
    assert gc.get_threshold() == before
    alive.clear()
    # Most of the second pass's lines come from the first: all but those of the
    # paragraphs the makeup cut in two, whose first piece is shorter text.
    assert layout.lines_reused > layout.lines_made / 3
    fresh = pdf.lay_out(book.anthology, documents, project_dir=two_stories, created=WHEN,
                        reuse_lines=False)  # its makeup made from its first layout's boxes
    assert (fresh.lines_made, fresh.lines_reused) == (0, 0)
    assert (fresh.passes, fresh.remade) == (1, len(fresh.rendered.pages) - 1)
    write = weasyprint.Document.write_pdf
    thresholds: list[tuple[int, ...]] = []

    def writing(self: Any, *args: Any, **kwargs: Any) -> Any:
        thresholds.append(gc.get_threshold())
        return write(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.Document, "write_pdf", writing)
    memoised = pdf.write_layout(layout, two_stories / "memo.pdf")
    assert thresholds == [pdf.GC_THRESHOLDS]  # the write walks the boxes as layout does
    pdf.write_layout(fresh, two_stories / "fresh.pdf")
    assert memoised.pages > 20
    assert (two_stories / "memo.pdf").read_bytes() == (two_stories / "fresh.pdf").read_bytes()
    # Handed the first run's memo, a run on the same documents breaks no line itself
    # (a part laid out again on its other side); the book is the same.
    alive.clear()  # the runs before are still held here
    again = pdf.lay_out(book.anthology, documents, project_dir=two_stories, created=WHEN,
                        lines=layout.lines, reuse_boxes=False)
    assert again.lines is layout.lines
    assert (again.lines_made, again.passes) == (0, 2) and again.lines_reused > 1000
    pdf.write_layout(again, two_stories / "again.pdf")
    assert (two_stories / "again.pdf").read_bytes() == (two_stories / "fresh.pdf").read_bytes()
    # Another stylesheet (other fonts, perhaps): a memo of its own, even where the
    # lines would come out the same.
    css = two_stories / "book.css"
    css.write_text("p { outline-color: black }", encoding="utf-8")
    alive.clear()
    other = pdf.lay_out(book.anthology, documents, project_dir=two_stories, created=WHEN,
                        extra_stylesheets=(css,), lines=layout.lines, reuse_boxes=False)
    assert other.lines is not layout.lines and other.lines_made == layout.lines_made
