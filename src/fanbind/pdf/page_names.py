"""A box's first and last page names, read from its first and last in-flow
children only: WeasyPrint's ``ParentBox.page_values`` without listing them all.

Before each block it lays out, WeasyPrint compares the page name the block
before it ends with and the one the block starts with (css-break-4's break
propagation, ``block_level_page_name``), and after each container the name it
ends with. ``ParentBox.page_values`` answers from the box's first and last child
in the normal flow (or floated) — after making the list of all of them: every
line of a laid-out paragraph, every paragraph of a section so far, asked whether
it is in the flow, for one comparison between two siblings. In the sample that
was 3.5 % of ``lay_out`` (py-spy), with most of ``is_in_normal_flow``'s 4.9 %.

:func:`page_values` finds the first such child from the front and the last from
the back, and asks them what WeasyPrint asks them (the only one: both names from
it). Nothing here imports WeasyPrint (pdf/layout.py is its only importer):
layout.py puts it in place of WeasyPrint's method for the run
(``layout._remembered_styles``); tests/test_page_names.py checks WeasyPrint's
source and compares the two on every box of a book.
"""

from __future__ import annotations

from typing import Any


def _in_flow(box: Any) -> bool:
    return bool(box.is_in_normal_flow() or box.is_floated())


def page_values(box: Any) -> tuple[Any, Any]:
    """The page names ``box`` (a WeasyPrint ``ParentBox``) starts and ends with."""
    start = end = box.style["page"]
    children = box.children
    first = next(filter(_in_flow, children), None)
    if first is None:
        return start, end
    last = next(filter(_in_flow, reversed(children)))
    if first is last:
        values = first.page_values()
        return values[0] or start, values[1] or end
    return first.page_values()[0] or start, last.page_values()[1] or end
