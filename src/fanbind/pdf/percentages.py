"""Used margins, paddings and sizes worked out once per kind of box: WeasyPrint's
``resolve_percentages``, remembered for a layout run.

WeasyPrint calls ``resolve_percentages`` for every block, line and inline box it
lays out, in every pass: some 8,600 boxes for a part of 30,000 words (90 pages),
each answered with 17 small Python calls reading the box's computed style and
setting the used values on the box — about a tenth of a render's profile, for
boxes that have no percentage at all (a book's margins and paddings are lengths,
its sizes ``auto``).

The answer depends only on what it reads: the computed values in
:data:`STYLE_PROPERTIES`, the containing block's width and height, and whether
the box is a page. :class:`PercentMemo` asks WeasyPrint the first time a set of
those is seen and keeps what it set (:data:`USED_VALUES`); a box with the same
set — the same value objects: a 0 and a 0.0 are equal but not the same used
value — gets the same values in one step. Only plain values are kept — lengths in
``px`` or ``%``, keywords, numbers — never a ``calc()``, which is resolved
against other values of the style; nor a ``box-sizing`` other than
``content-box`` or collapsed borders, where the answer also reads the box itself.

Nothing here imports WeasyPrint (pdf/layout.py is its only importer): layout.py
puts :meth:`PercentMemo.resolve_percentages` in place of WeasyPrint's for the run
in the block and inline layout (``layout._remembered_percentages``);
tests/test_layout_passes.py checks the lists here against WeasyPrint's source.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

#: Every computed value WeasyPrint 70's ``resolve_percentages`` (and the
#: ``adjust_box_sizing`` it calls) reads.
STYLE_PROPERTIES = (
    "margin_left", "margin_right", "margin_top", "margin_bottom",
    "padding_left", "padding_right", "padding_top", "padding_bottom",
    "width", "min_width", "max_width", "height", "min_height", "max_height",
    "border_collapse", "border_top_width", "border_right_width",
    "border_bottom_width", "border_left_width", "box_sizing",
)
#: The used values it sets on the box.
USED_VALUES = (
    "margin_left", "margin_right", "margin_top", "margin_bottom",
    "padding_left", "padding_right", "padding_top", "padding_bottom",
    "width", "min_width", "max_width", "height", "min_height", "max_height",
    "border_top_width", "border_right_width", "border_bottom_width", "border_left_width",
)
_read_style = itemgetter(*STYLE_PROPERTIES)  # one C call for the lot
_SIZING = STYLE_PROPERTIES.index("box_sizing")
_COLLAPSE = STYLE_PROPERTIES.index("border_collapse")
_UNITS = frozenset({"px", "%"})


def _plain(values: tuple[Any, ...]) -> bool:
    """Whether the answer for ``values`` depends on nothing else (see the module docstring)."""
    if values[_SIZING] != "content-box" or values[_COLLAPSE] == "collapse":
        return False
    for value in values:
        if value is None or isinstance(value, (str, int, float)):
            continue
        if getattr(value, "unit", None) not in _UNITS or not isinstance(value[0], (int, float)):
            return False
    return True


class PercentMemo:
    """WeasyPrint's ``resolve_percentages``, each plain answer kept for the run.

    ``page_box``: WeasyPrint's ``PageBox`` class (a page's heights refer to its
    containing block's height); ``box``: its ``Box`` class (a containing block
    given as a box, not as a (width, height) pair). ``made``: answers WeasyPrint
    computed; ``reused``: answers set from the memo.
    """

    def __init__(self, resolve_percentages: Callable[..., None], page_box: type,
                 box: type) -> None:
        self._resolve = resolve_percentages
        self._page_box: Any = page_box  # WeasyPrint's classes: untyped
        self._box: Any = box
        self._known: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self.made = 0
        self.reused = 0

    def resolve_percentages(self, box: Any, containing_block: Any) -> None:
        """WeasyPrint's ``resolve_percentages``: the same used values on ``box``."""
        if isinstance(containing_block, self._box):
            width, height = containing_block.width, containing_block.height
        else:
            width, height = containing_block
        values = _read_style(box.style)
        # The values themselves, not values equal to them: a 0 and a 0.0 are equal,
        # and each gives the box its own (the memo keeps them alive, so no id is reused).
        key = (tuple(map(id, values)), width, height, isinstance(box, self._page_box))
        known = self._known.get(key)
        if known is not None:
            self.reused += 1
            box.__dict__.update(known[1])
            return
        self.made += 1
        self._resolve(box, containing_block)
        if _plain(values):
            state = box.__dict__
            self._known[key] = (values, {name: state[name] for name in USED_VALUES})
