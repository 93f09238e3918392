"""A page's styles and its margin boxes', computed once per kind of page (issue 15).

:mod:`fanbind.pdf.page_styles` stands in for WeasyPrint's
``set_page_type_computed_styles`` and files a page type under the styles of an
earlier one that the same ``@page`` selectors match. What that relies on is
checked against WeasyPrint's source; a small book laid out with the shared
styles and with every page's own is the same PDF, byte for byte, and only a
few kinds of page are computed.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from tests.conftest import copy_sample_stories
from weasyprint.css import StyleFor
from weasyprint.layout import page

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.page_styles import PageStyles
from fanbind.render import render_book

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def test_what_sharing_a_page_types_styles_relies_on():
    source = inspect.getsource(page.set_page_type_computed_styles)
    # A page's styles come from the @page declarations its type matches, and
    # inherit from the root element only; its margin boxes' from the page's.
    assert "style_for.add_page_declarations(page_type)" in source
    assert "root=html.etree_element, parent=html.etree_element" in source
    assert "parent=element" in source and "element == page_type" in source
    declarations = inspect.getsource(StyleFor.add_page_declarations)
    assert "self._page_type_match(page_selector_type, page_type)" in declarations
    assert list(inspect.signature(StyleFor._page_type_match).parameters) == [
        "page_selector_type", "page_type"]
    # Called by name from the module where the page is made, once per page.
    assert "set_page_type_computed_styles(page_type, html, context.style_for)" in \
        inspect.getsource(page.remake_page)
    # Viewport units refer to the size set once the first page is made.
    made = inspect.getsource(page.make_page)
    assert "context.style_for.initial_page_sizes['box'] = device_size" in made
    # What WeasyPrint writes into a page's style is the same for every page …
    assert set(re.findall(r"\bstyle\[['\"](\w+)['\"]\] =(?!=)", made)) == {"overflow"}
    assert "style['overflow'] = root_box.viewport_overflow" in made
    # … and the page-based counters, standardised again to the same values.
    style = {"counter_set": "auto", "counter_reset": (("page", 3), ("pages", 1)),
             "counter_increment": "auto"}
    page._standardize_page_based_counters(style, None)
    once = copy.deepcopy(style)
    page._standardize_page_based_counters(style, None)
    assert style == once and once["counter_increment"] == ()
    fresh = {"counter_set": "auto", "counter_reset": "auto", "counter_increment": "auto"}
    page._standardize_page_based_counters(fresh, None)
    again = dict(fresh)
    page._standardize_page_based_counters(fresh, None)
    assert fresh == again == {"counter_set": (), "counter_reset": (),
                              "counter_increment": (("page", 1),)}


@pytest.fixture(scope="module")
def one_story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_stories(tmp_path_factory.mktemp("page-styles"), (0, -1))


def test_a_book_is_the_same_with_a_kind_of_pages_styles_shared(
        one_story: Path, monkeypatch: pytest.MonkeyPatch):
    book = load_book(open_project(one_story))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    memos: list[PageStyles] = []
    render = weasyprint.HTML.render

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        # lay_out has put its memo in place for the run.
        memos.append(page.set_page_type_computed_styles.__self__)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    shared = pdf.lay_out(book.anthology, documents, project_dir=one_story, created=WHEN)
    assert page.set_page_type_computed_styles.__name__ == "set_page_type_computed_styles"
    assert not hasattr(page.set_page_type_computed_styles, "__self__")  # WeasyPrint's again
    memo = memos[0]
    assert isinstance(memo, PageStyles) and all(m is memo for m in memos)
    # Front matter, openings, rectos, versos, blank pages: a few kinds for all the
    # pages of every pass (a page made again for its contents' numbers included).
    # Here 28 kinds for 54 pages; the sample: 28 for 176; a part of 96 pages: 9 for 189.
    pages = len(shared.rendered.pages) * shared.passes
    assert memo.made + memo.shared >= pages and memo.shared > 0.4 * pages, \
        (memo.made, memo.shared, pages)
    pdf.write_layout(shared, one_story / "shared.pdf")

    def own(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Every page's styles computed by WeasyPrint, as without fanbind's memo (set
        # by hand, not with monkeypatch: lay_out puts WeasyPrint's own back).
        page.set_page_type_computed_styles = memo._set
        return render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", own)
    each = pdf.lay_out(book.anthology, documents, project_dir=one_story, created=WHEN)
    assert page.set_page_type_computed_styles is memo._set  # WeasyPrint's own
    pdf.write_layout(each, one_story / "each.pdf")
    assert (one_story / "shared.pdf").read_bytes() == (one_story / "each.pdf").read_bytes()


class _Sizes:
    def __init__(self, box: Any) -> None:
        self.initial_page_sizes = {"box": box}


def test_the_first_pages_styles_are_its_own():
    made: list[Any] = []
    memo = PageStyles(lambda page_type, html, style_for: made.append(page_type))
    for page_type in ("first", "second"):
        memo.set_page_type_computed_styles(page_type, None, _Sizes(None))
    assert made == ["first", "second"] and memo.shared == 0
