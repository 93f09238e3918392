"""What a text style gives Pango, worked out once per layout run (issue 15).

:mod:`fanbind.pdf.text_styles` stands in for WeasyPrint's ``get_font_description``
in its line breaker and ``strut`` in its inline layout. The values it keys on
are checked against WeasyPrint's source; the memo is tested on stand-ins, then
on a real render, where every answer it gives is the one WeasyPrint gives (an
equal Pango font description, the same strut) and WeasyPrint works out only a
few dozen.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from tests.conftest import copy_sample_stories
from weasyprint.layout import inline
from weasyprint.text import fonts, line_break
from weasyprint.text.ffi import ffi, pango

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.text_styles import FONT_DESCRIPTION_PROPERTIES, STRUT_PROPERTIES, TextStyleMemo
from fanbind.render import render_book

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def _read(function: Any) -> list[str]:
    return re.findall(r"style\[['\"](\w+)['\"]\]", inspect.getsource(function))


def test_the_values_weasyprint_reads_are_the_memos_keys():
    assert set(_read(fonts.get_font_description)) == set(FONT_DESCRIPTION_PROPERTIES)
    # A strut is filed, for the font configuration's life, under a string of these
    # values (the size and line height included): the memo's key is finer.
    strut = inspect.getsource(line_break.strut)
    assert "key = _font_style_cache_key(style, include_size=True)" in strut
    assert strut.count("style.font_config.strut_layouts[key] = result") == 2
    assert "if key in style.font_config.strut_layouts" in strut
    assert set(_read(line_break._font_style_cache_key)) == set(STRUT_PROPERTIES)
    assert "style['font_size'] == 0" in strut  # read before the key: in the memo's
    # Looked up as module globals at call time, so the memo takes their place.
    assert line_break.get_font_description is fonts.get_font_description
    assert "get_font_description(style)" in inspect.getsource(line_break.Layout.setup)
    assert inline.strut is line_break.strut
    assert "strut(box.style)" in inspect.getsource(inline._adjust_line_height)


class _Config:
    pass


class _Style(dict):
    def __init__(self, font_config: _Config, **values: Any) -> None:
        super().__init__(dict.fromkeys({*FONT_DESCRIPTION_PROPERTIES, *STRUT_PROPERTIES}, "normal"))
        self.update(values)
        self.font_config = font_config


def test_an_answer_is_worked_out_once_for_the_same_values():
    made: list[str] = []
    memo = TextStyleMemo(lambda style: made.append("description") or object(),
                         lambda style: made.append("strut") or (17.6, 13.2))
    config = _Config()
    size = 14.666
    style = _Style(config, font_size=size)
    same = _Style(config, font_size=size)  # another style, the same value objects
    assert memo.get_font_description(style) is memo.get_font_description(same)
    assert memo.strut(style) is memo.strut(same)
    assert made == ["description", "strut"] and memo.made == 2
    # An equal value that is another object, another font configuration: asked again.
    other = _Style(config, font_size=float(str(size)))
    memo.get_font_description(other)
    memo.strut(_Style(_Config(), font_size=size))
    assert made == ["description", "strut", "description", "strut"]


def _described(description: Any) -> tuple[Any, ...]:
    """What a Pango font description says (WeasyPrint binds no equality test)."""
    text = ffi.string(pango.pango_font_description_to_string(description)).decode()
    return (text, pango.pango_font_description_get_size(description),
            pango.pango_font_description_get_weight(description),
            pango.pango_font_description_get_style(description))


class _Checked(TextStyleMemo):
    """The memo, with WeasyPrint's own answer worked out beside every one it gives."""

    asked = 0

    def get_font_description(self, style: Any) -> Any:
        self.asked += 1
        ours = super().get_font_description(style)
        assert _described(ours) == _described(fonts.get_font_description(style))
        return ours

    def strut(self, style: Any) -> tuple[float, float]:
        self.asked += 1
        ours = super().strut(style)
        assert ours == line_break.strut(style)
        return ours


@pytest.fixture(scope="module")
def one_story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_stories(tmp_path_factory.mktemp("text-styles"), (0,))


def test_every_answer_of_a_render_is_weasyprints_own(
        one_story: Path, monkeypatch: pytest.MonkeyPatch):
    book = load_book(open_project(one_story))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    memos: list[_Checked] = []
    render = weasyprint.HTML.render

    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        # lay_out has put its memo in place for the run: check this one instead.
        installed = (line_break.get_font_description, inline.strut)
        assert all(isinstance(f.__self__, TextStyleMemo) for f in installed)
        memo = _Checked(fonts.get_font_description, line_break.strut)
        memos.append(memo)
        # Set by hand, not with monkeypatch: lay_out puts WeasyPrint's own back.
        line_break.get_font_description, inline.strut = memo.get_font_description, memo.strut
        try:
            return render(self, *args, **kwargs)
        finally:
            line_break.get_font_description, inline.strut = installed

    monkeypatch.setattr(weasyprint.HTML, "render", checked)
    layout = pdf.lay_out(book.anthology, documents, project_dir=one_story, created=WHEN)
    # WeasyPrint's own are back once the run is over.
    assert line_break.get_font_description is fonts.get_font_description
    assert inline.strut is line_break.strut
    assert layout.passes == len(memos) >= 1 and len(layout.rendered.pages) > 5
    for memo in memos:
        # A few text styles for every try at a line: 52 answers for 916 asked in
        # this 11-page book (its front matter has most styles); 34 for 27,000 in a
        # part of 90 pages.
        assert 0 < memo.made * 10 < memo.asked, (memo.made, memo.asked)
