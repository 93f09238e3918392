"""The makeup by spread made from the first layout's boxes, without a second layout.

The makeup (:mod:`fanbind.pdf.makeup`) only moves whole lines between pages: a
cut is a break before a line that WeasyPrint set flush under the line before it
(no margin, padding or border between), and the pieces of a split paragraph keep
exactly the first layout's lines. So the planned pages can be made from the
first layout's page boxes instead of laying the book out again (which cost
60–77 % of the first layout, most of it WeasyPrint's block and inline layout):

* each flow (a story's or chapter's text pages) whose plan differs from its
  pages is cut into *segments* (the rows of one old page that go on one new
  page); each segment is a pruned copy of its old page's block boxes with the
  old line boxes moved (``translate``) to their new place, and the segments of
  a new page are merged, fragment by fragment, into one tree;
* a block's fragment gets the geometry WeasyPrint gives it: a fragment that
  continues on the next page loses its bottom margin, padding and border and
  reaches down to the foot of the page; one continued from the page before
  loses its top ones; a block that starts on the page keeps its own top margin
  between segments (WeasyPrint truncates it only at the top of a page);
* pages that follow a flow which gained or lost pages change side: their boxes
  move across by the difference of the side margins, a story opening that must
  be on a recto gains or loses its blank page, and every page from the first
  change on gets a new page type (side, index), new margin boxes (folios,
  running heads: the named strings are collected again, page by page, as
  WeasyPrint does) and a new :class:`weasyprint.document.Page` (links,
  anchors, bookmarks gathered from the boxes);
* a page that prints target counters whose values the plan changes (the
  contents of a book laid out in one piece, before its stories) is laid out
  again alone with the new numbers, as WeasyPrint's repagination does
  (``remake_page``), when it keeps its place and ends where it ended.

Anything else is left to the second layout (:func:`remake_pages` says why):
floats, absolutely placed boxes, footnotes or running elements in a flow,
tables, a page break the model cannot vouch for, a gap between segments made of
padding or a border, a page reference printed on a page that moves or by a
bookmark label or named string, a total page count printed that changes, a
text block of another width on the other side.

WeasyPrint's internals used here (pinned by tests/test_remake.py): the layout
context and box tree :func:`weasyprint.layout.layout_document` is called with
(:func:`captured_layout`), ``context.page_maker`` (per page: where it starts,
its break, its side, its counters), ``context.string_set``,
``make_margin_boxes``, ``set_page_type_computed_styles``, ``layout_backgrounds``
and the boxes' ``copy``/``translate``.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fanbind.pdf import makeup
from fanbind.pdf.libraries import quick_library_search

with quick_library_search():
    import weasyprint.document as weasyprint_document
    import weasyprint.layout as weasyprint_layout
    import weasyprint.layout.page as weasyprint_page
    from weasyprint.document import Page
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import (
        PageType,
        page_height,
        page_width,
    )
    from weasyprint.layout.percent import resolve_percentages

EPSILON = 1e-3
_SIDES_BREAKS = {"right": "right", "left": "left", "recto": "right", "verso": "left"}


@dataclass(frozen=True)
class ReadFlow:
    """A text flow as read from a layout: as the makeup plans it, the indexes of its
    pages in the document, and per row its page (within the flow) and line box."""

    flow: makeup.Flow
    pages: tuple[int, ...]
    lines: tuple[tuple[int, Any], ...]


@dataclass
class Capture:
    """What WeasyPrint laid the last document out with: the HTML, the box tree
    before layout and the layout context (page states, named strings, styles)."""

    html: Any
    root_box: Any
    context: Any


@contextlib.contextmanager
def captured_layout() -> Iterator[list[Capture]]:
    """Keep the layout context of each ``render`` made inside (the last one only:
    a layout's context holds its styles, the earlier ones are dropped)."""
    original = weasyprint_document.layout_document
    found: list[Capture] = []

    def layout_document(html: Any, root_box: Any, context: Any, *args: Any,
                        **kwargs: Any) -> Any:
        found[:] = [Capture(html, root_box, context)]
        return original(html, root_box, context, *args, **kwargs)

    weasyprint_document.layout_document = layout_document
    try:
        yield found
    finally:
        weasyprint_document.layout_document = original


class NotRemade(Exception):
    """The case is left to a second layout (the message says why)."""


# ---------------------------------------------------------------------- checks


def _block_tree_ok(box: Any) -> None:
    """Only plain blocks of lines in a flow page (else: a second layout)."""
    for child in box.children:
        if isinstance(child, boxes.LineBox):
            for inner in child.descendants():
                if not inner.is_in_normal_flow() and not isinstance(inner, boxes.TextBox):
                    raise NotRemade("a float or a positioned box in a line")
            continue
        if not isinstance(child, boxes.BlockBox) or type(child) is not boxes.BlockBox:
            raise NotRemade(f"a {type(child).__name__} in a flow")
        if not child.is_in_normal_flow():
            raise NotRemade("a float or a positioned box in a flow")
        if child.style["box_decoration_break"] == "clone":
            raise NotRemade("box-decoration-break: clone")
        if not child.children:
            raise NotRemade("a block without lines in a flow")
        _block_tree_ok(child)


def _flow_page_ok(page_box: Any) -> Any:
    """The root box of a flow page that can be cut in segments."""
    root, *others = [c for c in page_box.children if not isinstance(c, boxes.MarginBox)]
    if others or page_box.fixed_boxes:
        raise NotRemade("footnotes, notes or fixed boxes on a flow page")
    _block_tree_ok(root)
    return root


def _px(box: Any, name: str) -> float:
    value = box.style[name]
    if getattr(value, "unit", None) != "px":
        raise NotRemade(f"{name} not in pixels")
    return float(value.value)


def _key(box: Any) -> tuple[int, str]:
    return id(box.element), box.element_tag


# ---------------------------------------------------------------------- one flow


class _FlowPages:
    """The new pages of one flow, made from its old pages' boxes."""

    def __init__(self, read: ReadFlow, starts: Sequence[int], pages: Sequence[Any],
                 before: set[tuple[int, str]], after: set[tuple[int, str]]) -> None:
        self.read = read
        self.starts = list(starts)
        self.old = [pages[index]._page_box for index in read.pages]
        self.roots = [_flow_page_ok(page) for page in self.old]
        self.rows = len(read.lines)
        self.row_of = {id(box): row for row, (_, box) in enumerate(read.lines)}
        self.old_starts = set(read.flow.starts)
        # Per element: its first and last row in the flow, and whether it has boxes
        # before or after the flow (html, body: it never starts or ends here).
        self.first: dict[tuple[int, str], int] = {}
        self.last: dict[tuple[int, str], int] = {}
        for root in self.roots:
            self._span(root)
        self.before, self.after = before, after
        for start in self.starts:
            if start and start not in self.old_starts:
                self._check_cut(start)

    def _span(self, box: Any) -> tuple[int, int]:
        if isinstance(box, boxes.LineBox):
            row = self.row_of[id(box)]
            return row, row
        spans = [self._span(child) for child in box.children]
        low, high = min(s[0] for s in spans), max(s[1] for s in spans)
        key = _key(box)
        self.first[key] = min(self.first.get(key, low), low)
        self.last[key] = max(self.last.get(key, high), high)
        return low, high

    def _check_cut(self, row: int) -> None:
        """A new break inside an old page: only where the line is flush under the last."""
        (page, box), (before_page, before) = self.read.lines[row], self.read.lines[row - 1]
        if page != before_page or abs(box.position_y - (before.position_y + before.height)) \
                > EPSILON:
            raise NotRemade("a page break where the lines are not flush")

    def row_of_anchor(self, name: str, old: int) -> int:
        """The row of the first line of the box ``name`` anchors on old page ``old``."""
        found = _anchored(self.roots[self.read.pages.index(old)], name)
        while found is not None and not isinstance(found, boxes.LineBox):
            found = next((c for c in found.children
                          if isinstance(c, (boxes.LineBox, boxes.BlockBox))), None)
        if found is None:
            raise NotRemade(f"a page reference to a box without lines ({name})")
        return self.row_of[id(found)]

    def segments(self, number: int) -> list[tuple[int, int, int]]:
        """(old page within the flow, first row, end row) of new page ``number``."""
        start = self.starts[number]
        end = self.starts[number + 1] if number + 1 < len(self.starts) else self.rows
        found: list[tuple[int, int, int]] = []
        row = start
        while row < end:
            page = self.read.lines[row][0]
            stop = row
            while stop < end and self.read.lines[stop][0] == page:
                stop += 1
            found.append((page, row, stop))
            row = stop
        return found

    def make(self, number: int, page: Any) -> Any:
        """The root box of new page ``number`` (``page``: its page box, laid out)."""
        top, bottom = page.content_box_y(), page.content_box_y() + page.height
        x = page.content_box_x()
        merged = None
        ends: dict[int, float] = {}  # id(new box) → its border-box bottom, when it ends here
        previous_bottom = 0.0
        previous_chain: list[Any] = []
        segments = self.segments(number)
        end_row = segments[-1][2]
        for index, (old, low, high) in enumerate(segments):
            old_page = self.old[old]
            first_line = self.read.lines[low][1]
            chain = _chain(self.roots[old], first_line)
            if index == 0:
                dy = top - (old_page.content_box_y() if low in self.old_starts
                            else first_line.position_y)
            else:
                self._check_top(previous_chain, chain, first_line, old_page)
                dy = previous_bottom + self._gap(previous_chain, chain) \
                    - first_line.position_y
            dx = x - old_page.content_box_x()
            piece = _slice(self.roots[old], self.row_of, low, high)
            assert piece is not None  # the segment has its rows' lines
            piece.translate(dx, dy)
            self._fix_tops(piece, top, index == 0, ends, high, end_row)
            merged = piece if merged is None else _merge(merged, piece, ends)
            last_line = self.read.lines[high - 1][1]
            previous_bottom = last_line.position_y + last_line.height
            previous_chain = _chain(self.roots[old], last_line)
        assert merged is not None
        cut_end = end_row < self.rows and end_row not in self.old_starts
        self._fix_heights(merged, bottom, end_row, ends, cut_end, previous_chain)
        return merged

    @staticmethod
    def _check_top(ending_chain: list[Any], starting_chain: list[Any], line: Any,
                   old_page: Any) -> None:
        """A segment after the first starts at its old page's top: its first line is
        there, under nothing but the top margins WeasyPrint kept there (of the blocks
        starting with it; continued blocks have none)."""
        common = 0
        while common < min(len(ending_chain), len(starting_chain)) and \
                _key(ending_chain[common]) == _key(starting_chain[common]):
            common += 1
        kept = [box.margin_top for box in starting_chain[common:]]
        above = max([0.0, *kept]) + min([0.0, *kept])
        if abs(line.position_y - old_page.content_box_y() - above) > EPSILON:
            raise NotRemade("a segment's first line below its old page's top")

    @staticmethod
    def _gap(ending_chain: list[Any], starting_chain: list[Any]) -> float:
        """What WeasyPrint puts between the last line of one segment and the first of
        the next (an old page's top) on one page: the margins between, collapsed."""
        common = 0
        while common < min(len(ending_chain), len(starting_chain)) and \
                _key(ending_chain[common]) == _key(starting_chain[common]):
            common += 1
        margins = []
        for box in ending_chain[common:]:
            if box.padding_bottom or box.border_bottom_width:
                raise NotRemade("padding or a border between two segments")
            margins.append(_px(box, "margin_bottom"))
        for box in starting_chain[common:]:
            if box.padding_top or box.border_top_width:
                raise NotRemade("padding or a border between two segments")
            margins.append(_px(box, "margin_top"))
        positive = max([0.0, *(m for m in margins if m > 0)])
        negative = min([0.0, *(m for m in margins if m < 0)])
        return positive + negative

    def _fix_tops(self, box: Any, top: float, first_segment: bool,
                  ends: dict[int, float], high: int, end_row: int) -> None:
        """Top decorations of the fragments of one segment, and the bottoms of those
        that end in it (from the old fragment, moved)."""
        if isinstance(box, boxes.LineBox):
            return
        key = _key(box)
        starts_here = key not in self.before and self.first[key] >= 0
        if first_segment:
            if box.position_y + box.margin_top < top - EPSILON:  # continued from before
                box._reset_spacing("top")
                box.position_y = top
            elif box.position_y < top - EPSILON:  # its margin truncated at the top
                box.margin_top = 0
                box.position_y = top
        elif starts_here and self.first[key] == self._first_row(box) and \
                not box.margin_top and _px(box, "margin_top"):
            # Started at the top of its old page (margin truncated), now under a line.
            border_top = box.position_y
            box.margin_top = _px(box, "margin_top")
            box.position_y = border_top - box.margin_top
        if key not in self.after and self.last[key] < end_row:
            ends[id(box)] = box.position_y + box.margin_top + box.border_height()
        for child in box.children:
            self._fix_tops(child, top, first_segment, ends, high, end_row)

    def _first_row(self, box: Any) -> int:
        while not isinstance(box, boxes.LineBox):
            box = box.children[0]
        return self.row_of[id(box)]

    def _fix_heights(self, box: Any, bottom: float, end_row: int, ends: dict[int, float],
                     cut_end: bool, last_chain: list[Any]) -> None:
        if isinstance(box, boxes.LineBox):
            return
        for child in box.children:
            self._fix_heights(child, bottom, end_row, ends, cut_end, last_chain)
        key = _key(box)
        if id(box) in ends:  # complete on this page: its old bottom, moved
            box.height = ends[id(box)] - box.border_bottom_width - box.padding_bottom \
                - box.content_box_y()
        elif cut_end and last_chain and key == _key(last_chain[-1]):
            # The first piece of a split paragraph: as long as its lines.
            last = box.children[-1]
            box._reset_spacing("bottom")
            box.height = last.position_y + last.height - box.content_box_y()
        else:  # continued on the next page: down to the foot of the page
            box._reset_spacing("bottom")
            box.height = bottom - box.content_box_y()


def _anchored(box: Any, name: str) -> Any | None:
    """The first box under ``box`` (itself included) that anchors ``name``."""
    if box.style["anchor"] == name:
        return box
    if isinstance(box, boxes.LineBox):  # an anchor inside a line: that line
        return box if any(d.style["anchor"] == name for d in box.descendants()) else None
    for child in box.children:
        if (found := _anchored(child, name)) is not None:
            return found
    return None


def _chain(root: Any, line: Any) -> list[Any]:
    """The block boxes from ``root`` down to the one holding ``line``."""
    chain = [root]
    box = root
    while True:
        for child in box.children:
            if child is line:
                return chain
            if isinstance(child, boxes.BlockBox) and _holds(child, line):
                chain.append(child)
                box = child
                break
        else:
            raise NotRemade("a line not found in its page")


def _holds(box: Any, line: Any) -> bool:
    return any(child is line or (isinstance(child, boxes.BlockBox) and _holds(child, line))
               for child in box.children)


def _slice(box: Any, row_of: dict[int, int], low: int, high: int) -> Any | None:
    """A copy of ``box`` holding only the lines of rows ``low`` up to ``high``."""
    kept = []
    for child in box.children:
        if isinstance(child, boxes.LineBox):
            if low <= row_of[id(child)] < high:
                kept.append(child)
        elif (inner := _slice(child, row_of, low, high)) is not None:
            kept.append(inner)
    if not kept:
        return None
    new = box.copy()
    new.children = kept
    new.remove_decoration_sides = set(box.remove_decoration_sides)
    return new


def _merge(one: Any, other: Any, ends: dict[int, float]) -> Any:
    """Two fragments of one element on one page, one under the other: one fragment
    (the top of the first, the bottom of the second)."""
    children = list(one.children)
    later = list(other.children)
    if children and later and not isinstance(children[-1], boxes.LineBox) \
            and not isinstance(later[0], boxes.LineBox) and _key(children[-1]) == _key(later[0]):
        children[-1] = _merge(children[-1], later.pop(0), ends)
    one.children = children + later
    if id(other) in ends:
        ends[id(one)] = ends.pop(id(other))
        for name in ("margin_bottom", "padding_bottom", "border_bottom_width"):
            setattr(one, name, getattr(other, name))
    return one


# ---------------------------------------------------------------------- the book


@dataclass
class _Spec:
    """A page of the new sequence: an old page kept, a flow's new page, or a blank."""

    old: int  # the old page it is, or takes its type and state from
    flow: _FlowPages | None = None
    number: int = 0  # within the flow
    blank: bool = False


def remake_pages(rendered: Any, capture: Capture, reads: Sequence[ReadFlow],
                 plans: Sequence[makeup.FlowPlan], *, first_right: bool | None = None) -> int:
    """Replace ``rendered.pages`` by the pages the plans make; the pages remade.

    ``first_right``: the new first page's side (None: the old first page's). A
    part of a story without chapters is rendered starting on a recto and made up
    for the side its planned pages land on (:mod:`fanbind.pdf.holding`); its
    boxes move across as those of pages after a flow that changed parity do.
    Raises :class:`NotRemade` (``rendered`` untouched) for anything it does not
    make exactly as a second layout would.
    """
    context, html, root_box = capture.context, capture.html, capture.root_box
    pages = rendered.pages
    if any(any(v.values()) for v in context.running_elements.values()):
        raise NotRemade("running elements")
    if len(context.page_maker) != len(pages) + 1:
        raise NotRemade("the layout context is not this layout's")
    laid_right = context.page_maker[0][2]
    first_right = laid_right if first_right is None else first_right
    changed = [(read, plan) for read, plan in zip(reads, plans, strict=True)
               if tuple(plan.starts) != read.flow.starts]
    if not changed and first_right == laid_right:
        return 0
    flow_at: dict[int, _FlowPages] = {}
    in_changed: set[int] = set()
    for read, plan in changed:
        first, last = read.pages[0], read.pages[-1]
        before = _keys_in(pages[:first])
        after = _keys_in(pages[last + 1:])
        flow_at[first] = _FlowPages(read, plan.starts, pages, before, after)
        in_changed.update(read.pages)
    widths = {round(page._page_box.width, 3) for page in pages
              if not page._page_box.page_type.blank}
    if len(widths) > 1:
        raise NotRemade("text blocks of other widths")

    # The new sequence of pages, blank pages where a side is asked for.
    specs: list[_Spec] = []
    for index, page in enumerate(pages):
        if page._page_box.page_type.blank:
            continue  # put back below where a side asks for one
        if index in in_changed and index not in flow_at:
            continue
        wanted = _SIDES_BREAKS.get(context.page_maker[index][1]["break"])
        right = (len(specs) % 2 == 0) == first_right
        if wanted is not None and (wanted == "right") != right:
            specs.append(_Spec(index, blank=True))
        if index in flow_at:
            flow = flow_at[index]
            specs += [_Spec(index, flow, number) for number in range(len(flow.starts))]
        else:
            specs.append(_Spec(index))
    first_change = 0 if first_right != laid_right else next(
        i for i, spec in enumerate(specs) if spec.flow is not None or spec.old != i or spec.blank)

    # Page counters: an old page keeps its counter moved by its shift; a flow's
    # pages count on from its opening.
    counters = [context.page_maker[i + 1][3][1].get("page", [0])[0] for i in range(len(pages))]
    moved = _check_targets(context, pages, specs, counters)
    referring = _remake_referring_pages(context, html, root_box, pages, specs, moved)
    first_change = min([first_change, *referring])
    openings = {id(spec.flow): index for index, spec in enumerate(specs)
                if spec.flow is not None and spec.number == 0}
    total = len(specs)
    new_pages = list(pages[:first_change])
    states = []
    page_boxes = []
    style_for = context.style_for
    computed: set[Any] = {page._page_box.page_type for page in pages}
    for index, spec in enumerate(specs):
        if index < first_change:
            continue
        right = (index % 2 == 0) == first_right
        old_box = pages[spec.old]._page_box
        old_type = old_box.page_type
        if spec.blank:
            name = _blank_name(root_box, context.page_maker[spec.old])
            page_type = PageType("right" if right else "left", True, name, index, ())
            value = counters[spec.old] + index - spec.old
        elif spec.flow is not None:
            flow = spec.flow
            old_number = min(spec.number, len(flow.old) - 1)
            base = flow.old[old_number].page_type
            opening = openings[id(flow)]
            groups = tuple((name, at + max(0, spec.number - old_number))
                           for name, at in base.groups)
            page_type = PageType("right" if right else "left", False, base.name, index, groups)
            value = counters[spec.old] + opening - spec.old + spec.number
        else:
            page_type = old_type._replace(side="right" if right else "left", index=index)
            value = counters[spec.old] + index - spec.old
        if page_type not in computed:
            # Looked up at call time: layout.py may share styles per kind of page.
            weasyprint_page.set_page_type_computed_styles(page_type, html, style_for)
            computed.add(page_type)
        page_box = new_page_box(context, page_type, root_box.viewport_overflow)
        state = copy.deepcopy(context.page_maker[spec.old + 1][3])
        state[1]["page"] = [value]
        state[1]["pages"] = [total]
        if spec.blank:
            page_box.children = [_blank_root(old_box.children[0], page_box)]
        elif spec.flow is not None:
            page_box.children = [spec.flow.make(spec.number, page_box)]
        else:
            dx = page_box.content_box_x() - old_box.content_box_x()
            kept = [c for c in referring.get(spec.old, old_box).children
                    if not isinstance(c, boxes.MarginBox)]
            for child in kept:
                child.translate(dx, 0)
            page_box.children = kept
        page_box.fixed_boxes = [] if spec.flow or spec.blank else old_box.fixed_boxes
        page_boxes.append(page_box)
        states.append(state)

    # Named strings, as layout_document collects them, for the new page numbers.
    strings = context.string_set
    for name in list(strings):
        for number in [n for n in strings[name] if n > first_change]:
            del strings[name][number]
    for offset, page_box in enumerate(page_boxes):
        for child in page_box.descendants():
            if child.string_set and child.string_set != "none":
                for name, text in child.string_set:
                    strings[name][first_change + offset + 1].append(text)
    for offset, (page_box, state) in enumerate(zip(page_boxes, states, strict=True)):
        context.current_page = first_change + offset + 1
        context.page_bottom = page_box.content_box_y() + page_box.height
        # Looked up at call time: a part's margin boxes are deferred (layout.deferred_folios).
        margin_boxes = weasyprint_layout.make_margin_boxes(context, page_box, state)
        page_box.children = [*page_box.children, *margin_boxes]
        layout_backgrounds(page_box, context.get_image_from_uri)
        new_pages.append(Page(page_box))
    rendered.pages = new_pages
    return len(page_boxes)


def _keys_in(pages: Sequence[Any]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()

    def walk(box: Any) -> None:
        if isinstance(box, (boxes.LineBox, boxes.MarginBox)):
            return
        if box.element is not None:
            found.add(_key(box))
        for child in getattr(box, "children", ()):
            walk(child)

    for page in pages:
        for child in page._page_box.children:
            walk(child)
    return found


def new_page_box(context: Any, page_type: Any, overflow: str) -> Any:
    """A page box of ``page_type``, sized as WeasyPrint's ``make_page`` sizes it
    (also the folio stamp's pages: :func:`fanbind.pdf.layout.stamp_folios`)."""
    style = context.style_for(page_type)
    style["overflow"] = overflow
    page = boxes.PageBox(page_type, style)
    device_size = page.style["size"]
    resolve_percentages(page, device_size)
    page.position_x = page.position_y = 0
    page_width(page, context, device_size[0])
    page_height(page, context, device_size[1])
    return page


def _blank_root(old_root: Any, page: Any) -> Any:
    """The empty root box of a blank page, as ``make_page`` lays it out: the root's
    fragment on another page, emptied, at the top of this one."""
    if any(getattr(old_root, f"{kind}_{side}") for kind in ("margin", "padding")
           for side in ("top", "bottom")) or old_root.border_top_width \
            or old_root.border_bottom_width:
        raise NotRemade("a root box with vertical margins, padding or borders")
    root = old_root.copy()
    root.children = []
    root.remove_decoration_sides = set()
    root.position_x = page.content_box_x()
    root.position_y = page.content_box_y()
    root.height = 0
    return root


def _blank_name(root_box: Any, maker: Any) -> str:
    """The page name WeasyPrint gives a blank page put before the page ``maker``
    starts: its parent's (``_update_page_groups`` for a blank page)."""
    resume_at = copy.deepcopy(maker[0]) or {0: None}
    element = root_box
    parent = element
    while True:
        (index, inner), = list(resume_at.items())[-1:]
        parent, element = element, element.children[index]
        if inner is None:
            break
        resume_at = inner
    return str(parent.style["page"])


def _check_targets(context: Any, pages: Sequence[Any], specs: Sequence[_Spec],
                   counters: list[int]) -> dict[str, int]:
    """The page numbers printed by target counters (the contents) that the plan
    changes: target name → its new page number. Worked out from the plan, before
    any page is made (a book laid out again loses nothing)."""
    collector = context.target_collector
    names: set[str] = set()
    moved: dict[str, int] = {}
    for item in collector.counter_lookup_items.values():
        if "pages" in item.missing_counters and len(specs) != len(pages):
            raise NotRemade("the page total is printed and changes")
        if item.missing_target_counters:
            # Keyed by None when the target comes from attr(): the targets looked up
            # are those with something to parse again.
            names.update(name for name, target in collector.target_lookup_items.items()
                         if target.parse_again_functions)
    if not names:
        return moved
    kept: dict[int, int] = {}  # old page → its new index
    flows: dict[int, tuple[_FlowPages, int]] = {}  # old page → its flow, the flow's opening
    for index, spec in enumerate(specs):
        if spec.blank:
            continue
        if spec.flow is None:
            kept[spec.old] = index
        elif spec.number == 0:
            for old in spec.flow.read.pages:
                flows[old] = spec.flow, index
    for name in sorted(names):
        at = next((index for index, page in enumerate(pages) if name in page.anchors), None)
        if at is None:
            continue
        if at in kept:
            new = counters[at] + kept[at] - at
        elif at in flows:
            flow, opening = flows[at]
            first = flow.read.pages[0]
            number = bisect.bisect_right(flow.starts, flow.row_of_anchor(name, at)) - 1
            new = counters[first] + opening - first + number
        else:
            continue  # a blank page's
        if new != counters[at]:
            moved[name] = new
    return moved


def _remake_referring_pages(context: Any, html: Any, root_box: Any, pages: Sequence[Any],
                            specs: Sequence[_Spec], moved: dict[str, int]) -> dict[int, Any]:
    """The pages that print target counters (the contents of a book laid out in
    one piece), laid out again with the ``moved`` page numbers as WeasyPrint's own
    repagination does (``remake_page``): old page index → its new page box, margin
    boxes to come. Each must stay where it was (same index, so same side and
    number) and end where it ended, else the pages after it would move too;
    a page number printed by anything but ``content`` (a bookmark's label, a named
    string) is left to the second layout too.

    The lookups do not say which target they print (WeasyPrint keys a target
    taken from ``attr(href)`` by None), so every page printing a target counter is
    laid out again; a number that did not move comes out as it was.
    """
    if not moved:
        return {}
    collector = context.target_collector
    referring: dict[int, list[Any]] = {}
    for (_, token), item in collector.counter_lookup_items.items():
        if not item.missing_target_counters:
            continue
        at = item.page_maker_index
        if token != "content" or at is None:
            raise NotRemade(f"a page reference changes ({min(moved)})")
        referring.setdefault(at, []).append(item)
    for at in referring:
        spec = specs[at] if at < len(specs) else None
        if spec is None or spec.old != at or spec.flow is not None or spec.blank:
            raise NotRemade(f"a page reference changes on a page that moves ({min(moved)})")
    if any(page._page_box.fixed_boxes for page in pages):
        raise NotRemade("fixed boxes, laid out on every page")
    for name, value in moved.items():
        target = collector.target_lookup_items[name]
        values = copy.deepcopy(target.cached_page_counter_values)
        values["page"] = [value]
        target.cached_page_counter_values = values
    for items in referring.values():
        for item in items:
            item.parse_again(item.cached_page_counter_values)
    made: dict[int, Any] = {}
    for index in sorted(referring):
        ended = context.page_maker[index + 1][:4]
        context.page_maker[index][-1].update(
            content_changed=False, pages_wanted=False, anchors=[], content_lookups=[])
        page_box, _ = weasyprint_page.remake_page(index, context, root_box, html)
        if context.page_maker[index + 1][:4] != ended:
            raise NotRemade("a page reference changes where its page ends")
        root, *areas = page_box.children
        if any(area.children for area in areas):
            raise NotRemade("footnotes on a page with a page reference")
        page_box.children = [root]
        made[index] = page_box
    return made
