"""A kind of box's used margins and sizes, worked out once per layout run (issue 15).

:mod:`fanbind.pdf.percentages` stands in for WeasyPrint's ``resolve_percentages``
in its block and inline layout. The lists it keys on and sets are checked
against WeasyPrint's source (a WeasyPrint that reads one more value fails here,
not in a book); the memo is tested on stand-ins, then on a real render of
print.css, where every box it answers gets exactly the used values WeasyPrint
gives it (values and types), and WeasyPrint itself answers only a handful.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import re
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from tests.conftest import copy_sample_stories
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block, inline, percent

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.percentages import STYLE_PROPERTIES, USED_VALUES, PercentMemo
from fanbind.render import render_book

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
SIDES = ("top", "right", "bottom", "left")


def test_the_values_weasyprint_reads_and_sets_are_the_memos():
    source = inspect.getsource(percent.resolve_percentages)
    sizing = inspect.getsource(percent.adjust_box_sizing)
    named = set(re.findall(r"resolve_one_percentage\(box, '(\w+)'", source))
    read = set(re.findall(r"style\[['\"](\w+)['\"]\]", source + sizing))
    # The border widths are read and set under an f-string name, side by side.
    assert "f'border_{side}_width'" in source and repr(SIDES) in source
    borders = {f"border_{side}_width" for side in SIDES}
    assert named | read | borders == set(STYLE_PROPERTIES)
    assert named | {"height"} | borders == set(USED_VALUES)
    # Each named value is read from the box's style and set under its own name.
    one = inspect.getsource(percent.resolve_one_percentage)
    assert "box.style[property_name]" in one and "setattr(box, property_name" in one
    # What else it reads of the box: collapsed borders and box-sizing (not kept).
    assert "hasattr(box, prop)" in source and "getattr(box" in sizing
    # Looked up as module globals at call time, so the memo takes their place.
    assert block.resolve_percentages is percent.resolve_percentages
    assert inline.resolve_percentages is percent.resolve_percentages
    assert "resolve_percentages(" in inspect.getsource(block.block_level_layout)
    assert "resolve_percentages(" in inspect.getsource(inline.split_inline_level)
    # Used values are plain attributes, no property (the memo sets them in the box's
    # __dict__); a class default (a table column's margins are 0) is shadowed alike.
    classes = [boxes.Box]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        assert not [name for name in USED_VALUES if hasattr(vars(cls).get(name), "__set__")]


# ---------------------------------------------------------------------- stand-ins

_Dimension = namedtuple("_Dimension", "value unit")  # as WeasyPrint's


class _Box:
    def __init__(self, style: dict[str, Any]) -> None:
        self.style = style


class _Page(_Box):
    pass


def _style(**values: Any) -> dict[str, Any]:
    style: dict[str, Any] = dict.fromkeys(STYLE_PROPERTIES, _Dimension(0, "px"))
    style.update({"width": "auto", "height": "auto", "border_collapse": "separate",
                  "box_sizing": "content-box", **dict.fromkeys(
                      (f"border_{side}_width" for side in SIDES), 0), **values})
    return style


def _resolver(calls: list[Any]) -> Any:
    def resolve(box: _Box, containing_block: Any) -> None:
        calls.append(box)
        for name in USED_VALUES:
            value = box.style[name]
            setattr(box, name, value.value if hasattr(value, "value") else value)

    return resolve


def test_a_kind_of_box_is_resolved_once_and_its_values_set_on_every_box():
    calls: list[Any] = []
    memo = PercentMemo(_resolver(calls), _Page, _Box)
    style = _style(margin_top=_Dimension(14.0, "px"))
    first, second = _Box(style), _Box(dict(style))  # another style, the same values
    memo.resolve_percentages(first, (300.0, "auto"))
    memo.resolve_percentages(second, (300.0, "auto"))
    assert calls == [first] and (memo.made, memo.reused) == (1, 1)
    assert all(getattr(second, name) == getattr(first, name) for name in USED_VALUES)
    assert second.margin_top == 14.0 and second.width == "auto"
    # Another containing block, a page, another value: asked again.
    memo.resolve_percentages(_Box(style), (200.0, "auto"))
    memo.resolve_percentages(_Page(style), (300.0, "auto"))
    memo.resolve_percentages(_Box(_style(margin_top=_Dimension(15.0, "px"))), (300.0, "auto"))
    assert len(calls) == 4
    # A 0 and a 0.0 are equal, not the same used value: each is WeasyPrint's own.
    integer, real = _style(), _style(margin_left=_Dimension(0.0, "px"))
    memo.resolve_percentages(_Box(integer), (300.0, "auto"))
    box = _Box(real)
    memo.resolve_percentages(box, (300.0, "auto"))
    assert box.margin_left == 0 and type(box.margin_left) is float and len(calls) == 6


@pytest.mark.parametrize("values", [
    {"width": ("calc()", "1em + 2px")},  # resolved against other values of the style
    {"box_sizing": "border-box"},  # the answer reads the box's paddings too
    {"border_collapse": "collapse"},  # and whether the box has border widths
])
def test_an_answer_that_reads_more_than_the_key_is_not_kept(values: dict[str, Any]):
    calls: list[Any] = []
    memo = PercentMemo(_resolver(calls), _Page, _Box)
    style = _style(**values)
    for _ in range(2):
        memo.resolve_percentages(_Box(style), (300.0, "auto"))
    assert len(calls) == 2 and memo.reused == 0


# ---------------------------------------------------------------------- a render


class _Checked(PercentMemo):
    """The memo, with WeasyPrint's own answer worked out beside every one it gives."""

    def resolve_percentages(self, box: Any, containing_block: Any) -> None:
        twin = copy.copy(box)
        percent.resolve_percentages(twin, containing_block)
        super().resolve_percentages(box, containing_block)
        for name in USED_VALUES:
            ours, theirs = getattr(box, name), getattr(twin, name)
            assert ours == theirs and type(ours) is type(theirs), (name, ours, theirs)


@pytest.fixture(scope="module")
def one_story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_stories(tmp_path_factory.mktemp("percentages"), (0,))


def test_every_box_of_a_render_gets_weasyprints_own_values(
        one_story: Path, monkeypatch: pytest.MonkeyPatch):
    book = load_book(open_project(one_story))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    memos: list[PercentMemo] = []
    render = weasyprint.HTML.render

    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        # lay_out has put its memo in place for the run: check this one instead.
        installed = block.resolve_percentages
        assert isinstance(installed.__self__, PercentMemo)
        assert inline.resolve_percentages == installed
        memo = _Checked(percent.resolve_percentages, boxes.PageBox, boxes.Box)
        memos.append(memo)
        # Set by hand, not with monkeypatch: lay_out puts WeasyPrint's own back.
        block.resolve_percentages = inline.resolve_percentages = memo.resolve_percentages
        try:
            return render(self, *args, **kwargs)
        finally:
            block.resolve_percentages = inline.resolve_percentages = installed

    monkeypatch.setattr(weasyprint.HTML, "render", checked)
    layout = pdf.lay_out(book.anthology, documents, project_dir=one_story, created=WHEN)
    # WeasyPrint's own is back once the run is over.
    assert block.resolve_percentages is percent.resolve_percentages
    assert inline.resolve_percentages is percent.resolve_percentages
    assert layout.passes == len(memos) >= 1 and len(layout.rendered.pages) > 5
    for memo in memos:
        # A few kinds of box (the text, headings, display pages) for all the boxes:
        # 69 for 711 in this 11-page book, 255 for 16,927 in a part of 90 pages.
        assert 0 < memo.made * 5 < memo.reused, (memo.made, memo.reused)

