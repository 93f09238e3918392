"""A box's page names read from its first and last in-flow children (issue 15).

:func:`fanbind.pdf.page_names.page_values` stands in for WeasyPrint's
``ParentBox.page_values`` during a layout run. WeasyPrint's source is checked for
what it does (its answer comes from the first and last in-flow or floated child,
both from the only one); stand-in boxes cover the cases, and every box of a laid
out book, floats included, gets the answer WeasyPrint's own method gives.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from tests.conftest import copy_sample_stories
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.page_names import page_values
from fanbind.render import render_book

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
WEASYPRINTS = boxes.ParentBox.page_values


def test_weasyprints_page_values_reads_the_first_and_last_in_flow_child():
    source = inspect.getsource(WEASYPRINTS)
    assert "start_value, end_value = super().page_values()" in source
    assert "if child.is_in_normal_flow() or child.is_floated()]" in source
    assert "if len(children) == 1:" in source
    assert "start_box, end_box = children[0], children[-1]" in source
    assert "start_value = start_box.page_values()[0] or start_value" in source
    assert "end_value = end_box.page_values()[1] or end_value" in source
    assert "return (self.style['page'], self.style['page'])" in \
        inspect.getsource(boxes.Box.page_values)
    # Which classes answer for themselves (a table: its own page value only).
    classes, own = [boxes.Box], set()
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        if "page_values" in vars(cls):
            own.add(cls)
    assert own == {boxes.Box, boxes.ParentBox, boxes.TableBox}
    assert ".page_values()" in inspect.getsource(block.block_level_page_name)


class _Box:
    def __init__(self, page: str, *children: _Box, flow: bool = True,
                 floated: bool = False) -> None:
        self.style = {"page": page}
        self.children = list(children)
        self.flow, self.floated = flow, floated

    def is_in_normal_flow(self) -> bool:
        return self.flow

    def is_floated(self) -> bool:
        return self.floated

    def page_values(self) -> tuple[Any, Any]:
        return page_values(self) if self.children else (self.style["page"],) * 2


@pytest.mark.parametrize(("children", "expected"), [
    ((), ("box", "box")),
    ((_Box("only"),), ("only", "only")),
    ((_Box(""),), ("box", "box")),  # an empty name: the box's own
    ((_Box("first"), _Box("mid"), _Box("last")), ("first", "last")),
    ((_Box("out", flow=False), _Box("first"), _Box("last"), _Box("out", flow=False)),
     ("first", "last")),
    ((_Box("out", flow=False), _Box("only"), _Box("out", flow=False)), ("only", "only")),
    ((_Box("float", flow=False, floated=True), _Box("last")), ("float", "last")),
    ((_Box("out", flow=False),), ("box", "box")),
    ((_Box("a", _Box("inner-a"), _Box("inner-z")), _Box("z", _Box("deep"))),
     ("inner-a", "deep")),
])
def test_the_names_come_from_the_first_and_last_in_flow_children(
        children: tuple[_Box, ...], expected: tuple[str, str]):
    box = _Box("box", *children)
    assert page_values(box) == expected


def _parents(box: Any) -> Iterator[Any]:
    if isinstance(box, boxes.ParentBox):
        yield box
        for child in box.children:
            yield from _parents(child)


@pytest.fixture(scope="module")
def one_story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_stories(tmp_path_factory.mktemp("page-names"), (0,))


def test_every_box_of_a_book_gets_weasyprints_names(
        one_story: Path, monkeypatch: pytest.MonkeyPatch):
    book = load_book(open_project(one_story))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    installed: list[Any] = []
    render = weasyprint.HTML.render

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        installed.append(boxes.ParentBox.page_values)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", watched)
    layout = pdf.lay_out(book.anthology, documents, project_dir=one_story, created=WHEN)
    assert installed and all(method is page_values for method in installed)
    assert boxes.ParentBox.page_values is WEASYPRINTS  # WeasyPrint's own again
    checked = floats = 0
    names = set()
    for page in layout.rendered.pages:
        for box in _parents(page._page_box):
            assert page_values(box) == WEASYPRINTS(box)
            names.update(WEASYPRINTS(box))
            checked += 1
            floats += any(child.is_floated() for child in box.children)
    assert checked > 300 and floats  # the paratext's tags float
    assert {"front", "bare", "body", "paratext"} <= names
