"""Makeup by spread: facing text pages end on the same line, no scrap of a last page.

WeasyPrint paginates first-fit: each page takes as many lines as fit, then backs
off to the last place a break is allowed (widows, orphans, ``break-*: avoid``).
That leaves a hole of a line or two at the foot of one page of a spread and lets a
story end on a page of two lines. It has no per-page height and no balancing, so
fanbind plans the makeup itself, between two layouts:

1. :mod:`fanbind.pdf.layout` reads each text flow of the first layout (a story's
   or chapter's pages from its opening to its last page) as a list of
   :class:`Row` — every line box, with its height on the grid, whether WeasyPrint
   may break before it and whether fanbind may force a break there.
2. :func:`plan_flow` first checks that its model of WeasyPrint's pagination
   (:func:`natural_end`) gives back the pages actually laid out; a flow it cannot
   reproduce is left alone. Then it walks the flow spread by spread: a verso and
   the recto facing it end at the same depth, the deepest depth both can end at
   (shortening the facing page too, as Vellum does: WeasyPrint cannot run a page
   a line long). A last page under :data:`MIN_LAST_LINES` lines pulls lines over
   from the spreads before it, one line a page, spread by spread, backwards.
3. The breaks that differ from WeasyPrint's own become :class:`Cut` s, applied to
   the print tree by :func:`apply_cuts`: a break between paragraphs is a forced
   break before the second; a break inside a paragraph splits it at that line
   into two elements (the first piece's last line justified, the continuation
   without an indent and starting a page). WeasyPrint breaks lines first-fit, so
   the two pieces keep exactly the lines the paragraph had. The planned pages are
   then made from the first layout's boxes (:mod:`fanbind.pdf.remake`: the lines
   moved to their new pages, no second layout), or, where that cannot vouch for
   them, the book is laid out once more with the cuts.

Why plan over lines rather than lay out and look again: each forced break moves
every page after it, so fixing spreads one layout at a time would cost a layout
per spread; the model predicts all of them for one extra layout. Only breaks the
model can vouch for are forced (a line of a story paragraph, not after a
hyphenated line, not before a block with a top margin), and each part of a book
laid out in parts (whole stories) is planned by the same functions, so the book
is the same in one piece or in parts.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

#: A story's or chapter's last page holds at least this many lines (when the story
#: or chapter runs over more than one page).
MIN_LAST_LINES = 5
#: A page is shortened by at most this many lines to balance a spread (a recto
#: facing a verso that widows and scene breaks left shorter follows it further).
MAX_SHORTEN = 8
#: States kept per page by the planner's search (the cheapest).
MAX_STATES = 16
#: What a spread of unequal depth (per line of difference) and a short last page
#: cost the plan, against one line each page is left short: chosen only when
#: nothing else exists.
UNEQUAL_COST = 100.0
SHORT_LAST_COST = 1000.0
EPSILON = 0.01
#: Styles fanbind sets on the block that ends a page early and on the pieces of a
#: split paragraph (inline: a user's stylesheet cannot undo them by accident; the
#: continuation's ``break-before: auto`` undoes ``p.story-end``'s ``avoid``).
SPLIT_STYLE = "text-align-last: justify"
CONTINUED_STYLE = "text-indent: 0; break-before: auto"
END_STYLE = "margin-bottom: 100vh"
#: Marks the continuation of a split paragraph (it has no id: the page map keeps
#: naming the paragraph it continues).
CONTINUED_ATTRIBUTE = "data-makeup-continues"


@dataclass(frozen=True)
class Row:
    """One line box of a flow, in lines of the baseline grid.

    ``height``: its height when it is the first row of a page; ``advance``: how
    far it moves the foot of the page down when it follows the row before on the
    same page (its height plus margins between). ``breakable``: WeasyPrint may
    break before it; ``forced``: the layout breaks before it whatever fits;
    ``movable``: fanbind may force a break before it (then ``cut`` says where).
    """

    height: float = 1.0
    advance: float = 1.0
    breakable: bool = True
    forced: bool = False
    movable: bool = True
    cut: Cut | None = None


@dataclass(frozen=True)
class Cut:
    """Where fanbind ends a page: after the ``chars``-th non-space character of block
    ``block`` (all of them: after the block; fewer: the block is split there).
    """

    block: str
    chars: int


@dataclass(frozen=True)
class Flow:
    """A story's or chapter's text pages as laid out: its rows and where each page starts.

    ``first_verso``: its first page is a left-hand page. ``follows``: it opens on
    the page after the flow before it, whichever side that is (a chapter; a story
    opens on a recto), so a page more or less before it moves it to the other side.
    """

    rows: tuple[Row, ...]
    starts: tuple[int, ...]
    first_verso: bool
    capacity: float
    follows: bool = False


@dataclass
class FlowPlan:
    """The planned pages of one flow: the first row of each, and the breaks to force."""

    starts: list[int]
    forced: list[int] = field(default_factory=list)
    modelled: bool = True
    #: Full spreads left unequal, and a last page left short (1), by the plan.
    faults: int = 0
    #: What the search scored it (lines left short, squared, and the faults' costs).
    cost: float = 0.0

    def cuts(self, flow: Flow) -> list[Cut]:
        return [cut for i in self.forced if (cut := flow.rows[i].cut) is not None]

    @property
    def clean(self) -> bool:
        """Planned (the model reproduced the flow), every spread balanced and no
        short last page."""
        return self.modelled and not self.faults


def depth(rows: Sequence[Row], start: int, end: int) -> float:
    """How deep a page holding rows ``start`` up to ``end`` (excluded) is set."""
    return rows[start].height + sum(row.advance for row in rows[start + 1:end])


def natural_end(rows: Sequence[Row], start: int, capacity: float) -> int:
    """The first row of the next page as WeasyPrint would break a page starting at ``start``.

    Rows are taken while they fit; on overflow the page ends before the last
    breakable row. ``len(rows)`` when the rest fits.
    """
    total = rows[start].height
    end = start + 1
    while end < len(rows) and not rows[end].forced \
            and total + rows[end].advance <= capacity + EPSILON:
        total += rows[end].advance
        end += 1
    if end == len(rows) or rows[end].forced:
        return end
    for candidate in range(end, start, -1):
        if rows[candidate].breakable:
            return candidate
    return end


def paginate(flow: Flow) -> list[int]:
    """The first row of every page, as WeasyPrint lays the flow out."""
    starts = [0]
    while (end := natural_end(flow.rows, starts[-1], flow.capacity)) < len(flow.rows):
        starts.append(end)
    return starts


class _Pages:
    """The planner's view of a flow: page depths in constant time (prefix sums).

    Its rows may arrive in pieces (:class:`PageSearch`): then only what the rows
    so far decide is cached (a page that runs to the last row known may run on).
    """

    def __init__(self, flow: Flow) -> None:
        self.rows: list[Row] = []
        self.n = 0
        self.capacity = flow.capacity
        self.prefix = [0.0]
        self._natural: dict[int, int] = {}
        #: Every row is known (a flow read whole): every natural end is final.
        self.complete = True
        self.extend(flow.rows)

    def extend(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.prefix.append(self.prefix[-1] + row.advance)
        self.rows.extend(rows)
        self.n = len(self.rows)

    def depth(self, start: int, end: int) -> float:
        return self.rows[start].height + self.prefix[end] - self.prefix[start + 1]

    def natural(self, start: int) -> int:
        if start not in self._natural:
            end = natural_end(self.rows, start, self.capacity)
            if end < self.n or self.complete:  # else more rows may still fit
                self._natural[start] = end
            return end
        return self._natural[start]

    def can_end(self, start: int, end: int) -> bool:
        """Whether a page from ``start`` may end before row ``end`` (WeasyPrint's
        own break, or one fanbind may force)."""
        if end == self.natural(start):
            return True
        return end < self.n and self.rows[end].breakable and self.rows[end].movable

    def ends(self, start: int) -> list[int]:
        """Where a page from ``start`` may end: deepest first, down to
        :data:`MAX_SHORTEN` lines short of the deepest."""
        natural = self.natural(start)
        if natural >= self.n:
            return [natural]
        deepest = self.depth(start, natural)
        found = [natural]
        for end in range(natural - 1, start, -1):
            if self.depth(start, end) < deepest - MAX_SHORTEN - EPSILON:
                break
            if self.can_end(start, end):
                found.append(end)
        return found

    def end_at(self, start: int, want: float) -> int | None:
        """Where a page from ``start`` may end exactly ``want`` lines deep (a recto
        matching its verso, however short that is)."""
        natural = self.natural(start)
        for end in range(start + 1, min(natural, self.n - 1) + 1):
            reached = self.depth(start, end)
            if reached > want + EPSILON:
                return None
            if abs(reached - want) < EPSILON and self.can_end(start, end):
                return end
        return None


def plan_flow(flow: Flow, *, min_last: int = MIN_LAST_LINES,
              parity: int | None = None) -> FlowPlan:
    """The makeup of one flow (see the module docstring and :func:`flow_plans`).

    ``parity``: the best plan whose page count is even (0) or odd (1), when there
    is one (else the best plan).
    """
    plans = flow_plans(flow, min_last=min_last)
    if parity is not None:
        return next((plan for plan in plans if len(plan.starts) % 2 == parity), plans[0])
    return plans[0]


def flow_plans(flow: Flow, *, min_last: int = MIN_LAST_LINES) -> list[FlowPlan]:
    """The best makeup of one flow, then the best with a page count of the other
    parity, when the search found one (one search gives both).

    A shortest-path search over page breaks: a state is the first row of a page
    and that page's index in the flow; a step lays out one page (an opening, or
    a page whose facing page is not held to it) or one full spread (a verso and
    its recto ending at the same depth). A step costs the square of the lines its
    pages are left short of full (two pages a line short read better than one
    two lines short); a spread that cannot be balanced, and a last page under
    ``min_last`` lines, cost far more, so they are chosen only when nothing else
    exists. Spread by spread without looking ahead is not enough: when the breaks
    a recto may end at fall every other line, one spread's choice decides
    whether the next can balance at all. At most :data:`MAX_STATES` states are
    kept per page, so the work grows with the pages, not their product. No
    forced break when the model cannot reproduce the flow as laid out.
    """
    if not flow.rows:
        return [FlowPlan([0])]
    if tuple(paginate(flow)) != flow.starts:
        return [FlowPlan(list(flow.starts), modelled=False)]
    search = PageSearch(flow, min_last=min_last)
    search.run()
    return search.plans()


class PageSearch:
    """:func:`flow_plans`' search, which can also be run as a flow's rows arrive.

    A story laid out in parts inside its text (:mod:`fanbind.pdf.running`) gets
    its rows part by part: :meth:`extend` adds them, :meth:`run` lays out every
    page whose breaks the rows so far decide (a page is searched only once all
    its candidate ends, and those of the page facing it, lie inside the rows
    known), and :meth:`settled` gives the page starts every plan the search can
    still choose shares: their first pages are planned before the last rows
    arrive. Run whole, it is the search :func:`flow_plans` describes, step for
    step (the same states, costs and order), so the plan is the same.
    """

    def __init__(self, flow: Flow, *, min_last: int = MIN_LAST_LINES,
                 complete: bool = True) -> None:
        self.flow = flow
        self.min_last = min_last
        self.pages = _Pages(flow)
        self.pages.complete = complete
        #: Per state (page index, first row): its cost, the state before, the starts
        #: the step from there laid out.
        self.best: dict[tuple[int, int], tuple[float, tuple[int, int] | None,
                                                tuple[int, ...]]] = {(0, 0): (0.0, None, ())}
        self.by_page: dict[int, set[int]] = {0: {0}}
        self.finals: list[tuple[float, tuple[int, int]]] = []
        self.page = 0  # the next page to search
        #: Pages past this are not searched (a safety bound); None until every row is in.
        self.limit: int | None = len(flow.starts) + 2 + len(flow.starts) // 8 \
            if complete else None

    def extend(self, rows: Sequence[Row]) -> None:
        """More of the flow's rows (the rows before them final)."""
        assert not self.pages.complete  # a search run whole has all of them
        self.pages.extend(rows)

    def finish(self) -> None:
        """Every row is in: the search runs to the flow's end (:meth:`run`)."""
        self.pages.complete = True
        pages = len(paginate(replace(self.flow, rows=tuple(self.pages.rows))))
        self.limit = pages + 2 + pages // 8
        if max(page for page, _ in self.best) > self.limit:
            # A state past the bound was kept while it was unknown: the search run
            # whole would not have reached it (never seen; the caller starts again).
            raise ValueError("the search ran past its bound")

    def _decided(self, start: int, verso: bool) -> bool:
        """Whether the rows known decide every step from a page starting at ``start``."""
        pages = self.pages
        if pages.complete:
            return True
        if pages.natural(start) >= pages.n:
            return False
        return not verso or all(pages.natural(end) < pages.n for end in pages.ends(start))

    def run(self) -> None:
        """Search every page the rows known decide (with every row in: to the end)."""
        pages, flow = self.pages, self.flow
        best, by_page = self.best, self.by_page
        capacity = pages.capacity

        def loss(start: int, end: int) -> float:
            return max(0.0, capacity - pages.depth(start, end)) ** 2

        def last_cost(page: int, start: int) -> float:
            short = page > 0 and pages.depth(start, pages.n) < self.min_last - EPSILON
            return SHORT_LAST_COST if short else 0.0

        def reach(key: tuple[int, int], cost: float, previous: tuple[int, int],
                  starts: tuple[int, ...]) -> None:
            if (self.limit is None or key[0] <= self.limit) and \
                    (key not in best or cost < best[key][0] - EPSILON):
                best[key] = (cost, previous, starts)
                by_page.setdefault(key[0], set()).add(key[1])

        while self.limit is None or self.page <= self.limit:
            page = self.page
            if self.limit is None and page not in by_page and page + 1 not in by_page:
                return  # nothing reached it yet: the rows so far end before it
            keys = sorted(((page, s) for s in by_page.get(page, ())),
                          key=lambda k: (best[k][0], k[1]))[:MAX_STATES]
            verso = _is_verso(flow, page) and page > 0
            if not all(self._decided(key[1], verso) for key in keys):
                return  # wait for more rows
            for key in keys:
                cost, start = best[key][0], key[1]
                if pages.natural(start) >= pages.n:  # the rest fits: the flow's last page
                    self.finals.append((cost + last_cost(page, start), key))
                    continue
                for end in pages.ends(start):
                    here = cost + loss(start, end)
                    if not verso or pages.natural(end) >= pages.n:
                        # A page on its own: an opening, a recto after one, or a verso
                        # facing the flow's last page.
                        reach((page + 1, end), here, key, (end,))
                        continue
                    want = pages.depth(start, end)
                    stops = set(pages.ends(end))
                    match = pages.end_at(end, want)
                    if match is not None:
                        stops.add(match)
                    for stop in sorted(stops):
                        if stop >= pages.n:
                            continue
                        unequal = abs(pages.depth(end, stop) - want)
                        step = here + loss(end, stop) + (UNEQUAL_COST * unequal
                                                         if unequal > EPSILON else 0.0)
                        reach((page + 2, stop), step, key, (end, stop))
            self.page += 1

    def settled(self) -> list[int]:
        """The page starts every plan still open shares (from the first page on): the
        chain up to the last state all the states not yet searched descend from."""
        live = [(page, start) for page in (self.page, self.page + 1)
                for start in self.by_page.get(page, ())]
        if not live:
            return []
        chain = self._chain(live[0])
        # The states on it (a spread's verso start is on it, but is no state of its own).
        ancestors = {state: place for place, (state, _) in enumerate(chain) if state}
        common = len(chain) - 1
        for state in live[1:]:
            walk: tuple[int, int] | None = state
            while walk is not None and walk not in ancestors:
                walk = self.best[walk][1]
            if walk is None:
                return []
            common = min(common, ancestors[walk])
        return [start for _, start in chain[:common + 1]]

    def _chain(self, key: tuple[int, int]) -> list[tuple[tuple[int, int] | None, int]]:
        """Each page's first row on the way to ``key``, from the first page, with the
        state it is (None: a spread's verso, laid out in one step with its recto)."""
        chain: list[tuple[tuple[int, int] | None, int]] = []
        state: tuple[int, int] | None = key
        while state is not None:
            _, previous, starts = self.best[state]
            last = starts[-1] if starts else 0  # the first state: the flow's first row
            chain[:0] = [*((None, start) for start in starts[:-1]), (state, last)]
            state = previous
        return chain

    def plans(self) -> list[FlowPlan]:
        """The best plan, then the best with a page count of the other parity."""
        flow = replace(self.flow, rows=tuple(self.pages.rows))
        finals = self.finals
        if not finals:
            return [FlowPlan(list(paginate(flow)), modelled=False)]
        finals.sort()
        chosen = [finals[0]]  # the best; then the best of the other parity (a final's
        # state is its last page's index: the page count less one)
        chosen += [final for final in finals if (final[1][0] - finals[0][1][0]) % 2][:1]
        return [_plan_of(flow, self.pages, self.best, key, cost, self.min_last)
                for cost, key in chosen]


def _plan_of(flow: Flow, pages: _Pages, best: dict[tuple[int, int], Any], key: tuple[int, int],
             cost: float, min_last: int) -> FlowPlan:
    """The plan the search reached ``key`` by."""
    n = pages.n
    chain: list[int] = []
    state: tuple[int, int] | None = key
    while state is not None:
        _, previous, starts = best[state]
        chain[:0] = starts
        state = previous
    plan = FlowPlan([0, *chain], cost=cost)
    for before, start in itertools.pairwise(plan.starts):
        if start != pages.natural(before):
            plan.forced.append(start)
    depths = [pages.depth(start, end) for start, end in itertools.pairwise([*plan.starts, n])]
    plan.faults = sum(1 for page in range(1, len(depths) - 2) if _is_verso(flow, page)
                      and abs(depths[page] - depths[page + 1]) > EPSILON)
    plan.faults += len(depths) > 1 and depths[-1] < min_last - EPSILON
    return plan


def plan_book(flows: Sequence[Flow], *, min_last: int = MIN_LAST_LINES) -> list[Cut]:
    """The cuts for a book's flows, in order: a flow that follows another is planned
    on the side it will land on once the pages before it are made up.

    Which side that is depends on the pages the flows before it gain, so each
    story's chain of flows is planned together: for each flow, the best plan and
    the best with a page count of the other parity (from one search per side),
    over the two sides the flows before can leave it on. The chain takes the
    fewest unequal spreads and short last pages, then the fewest flows not on
    their own best plan, then the least cost: a chapter that balances only on one
    side is kept there when a chapter before it can gain a page more or less
    cleanly (the 150,000-word story kept a spread a line out otherwise). Each
    flow is searched once, or twice (once a side) in a story where the best plans
    leave a fault.
    """
    return plan_pages(flows, min_last=min_last)[0]


def plan_pages(flows: Sequence[Flow], *, min_last: int = MIN_LAST_LINES
               ) -> tuple[list[Cut], int]:
    """:func:`plan_book`'s cuts, and the pages the flows gain (or lose) by them: a part
    of a book laid out in parts tells its made-up length before its second layout
    (the side the parts after it land on follows from it: pdf/in_parts.py)."""
    chosen = plan_flows(flows, min_last=min_last)
    cuts = [cut for landed, plan in chosen for cut in plan.cuts(landed)]
    gained = sum(len(plan.starts) - len(landed.starts) for landed, plan in chosen)
    return cuts, gained


def plan_flows(flows: Sequence[Flow], *, min_last: int = MIN_LAST_LINES
               ) -> list[tuple[Flow, FlowPlan]]:
    """Each flow as planned (on the side it lands on) and its plan, in order: what
    :func:`plan_pages` makes its cuts of, and what :mod:`fanbind.pdf.remake` makes
    the pages of (the plan's page starts, without a second layout)."""
    chosen: list[tuple[Flow, FlowPlan]] = []
    chain: list[Flow] = []
    for flow in [*flows, None]:
        if chain and (flow is None or not flow.follows):
            chosen += _plan_chain(chain, min_last)
            chain = []
        if flow is not None:
            chain.append(flow)
    return chosen


def _plan_chain(chain: Sequence[Flow], min_last: int) -> list[tuple[Flow, FlowPlan]]:
    """Plan a story's flows together (see :func:`plan_book`): each flow on the side it
    lands on, and its plan."""
    searched: dict[tuple[int, bool], tuple[Flow, list[FlowPlan]]] = {}

    def plans(index: int, flipped: bool) -> tuple[Flow, list[FlowPlan]]:
        if (index, flipped) not in searched:
            flow = chain[index]
            landed = replace(flow, first_verso=not flow.first_verso) if flipped else flow
            searched[index, flipped] = landed, flow_plans(landed, min_last=min_last)
        return searched[index, flipped]

    # Each flow's best plan on the side the flows before leave it: enough, and one
    # search a flow, when nothing is left unequal or short.
    greedy: list[tuple[Flow, FlowPlan]] = []
    gained = 0
    for index, flow in enumerate(chain):
        landed, (plan, *_) = plans(index, flow.follows and gained % 2 == 1)
        greedy.append((landed, plan))
        gained += len(plan.starts) - len(flow.starts)
    if not any(plan.faults for _, plan in greedy):
        return greedy

    Score = tuple[int, int, float]  # faults, flows off their best plan, cost
    # By the parity of the pages gained so far: the best score and its choices.
    states: dict[int, tuple[Score, list[tuple[Flow, FlowPlan]]]] = {0: ((0, 0, 0.0), [])}
    for index, flow in enumerate(chain):
        reached: dict[int, tuple[Score, list[tuple[Flow, FlowPlan]]]] = {}
        for gained, (score, chosen) in sorted(states.items()):
            landed, options = plans(index, flow.follows and gained == 1)
            for rank, plan in enumerate(options):
                after = (gained + len(plan.starts) - len(flow.starts)) % 2
                new = (score[0] + plan.faults, score[1] + rank, score[2] + plan.cost)
                if after not in reached or new < reached[after][0]:
                    reached[after] = (new, [*chosen, (landed, plan)])
        states = reached
    _, chosen = min(states.values(), key=lambda state: state[0])
    return chosen


def _is_verso(flow: Flow, page: int) -> bool:
    return flow.first_verso == (page % 2 == 0)


# ---------------------------------------------------------------------- the print tree


def apply_cuts(html: etree._Element, cuts: Sequence[Cut]) -> int:
    """End pages where planned, in the print tree; the number of cuts applied.

    Not by a forced break: WeasyPrint starts a page group at one, and print.css
    styles a group's first page as an opening (no running head). The block
    before the break gets a bottom margin of a page's height instead, so nothing
    more fits below it; WeasyPrint drops a margin at a break. A cut inside a
    block splits it there (:func:`split_block`): the first piece's last line is
    justified like the lines before it, the continuation has no indent.
    """
    by_id = {e.get("id"): e for e in html.iter() if e.get("id")}
    applied = 0
    # Later cuts in a block first: the cuts before them stay where they were.
    for cut in sorted(cuts, key=lambda c: (c.block, -c.chars)):
        element = by_id.get(cut.block)
        if element is None:
            continue
        total = sum(1 for text in element.itertext() for c in text if not c.isspace())
        if cut.chars < total:
            continuation = split_block(element, cut.chars)
            if continuation is None:
                continue
            _add_style(continuation, CONTINUED_STYLE)
            _add_style(element, SPLIT_STYLE)
        _add_style(element, END_STYLE)
        applied += 1
    return applied


def _add_style(element: etree._Element, style: str) -> None:
    old = (element.get("style") or "").strip().rstrip(";")
    element.set("style", f"{old}; {style}" if old else style)


def split_block(element: etree._Element, chars: int) -> etree._Element | None:
    """Split ``element`` after its ``chars``-th non-space character; the continuation.

    The continuation follows it as a sibling, with the same tag and attributes
    but no ``id`` (neither has any element inside it that the first piece keeps),
    and is marked with :data:`CONTINUED_ATTRIBUTE`. Inline elements crossing the
    split are cut in two. None when the text has fewer characters.
    """
    total = sum(1 for text in element.itertext() for c in text if not c.isspace())
    if not 0 < chars < total:
        return None
    continuation = copy.deepcopy(element)
    _keep(element, chars, before=True)
    _keep(continuation, chars, before=False)
    for inner in continuation.iter():
        if inner.get("id") is not None:
            del inner.attrib["id"]
    continuation.set(CONTINUED_ATTRIBUTE, element.get("id") or "")
    classes = [c for c in (element.get("class") or "").split() if c != "lead"]
    if classes:
        continuation.set("class", " ".join(classes))
    elif "class" in continuation.attrib:
        del continuation.attrib["class"]
    continuation.tail = element.tail
    element.tail = None
    parent = element.getparent()
    if parent is not None:
        parent.insert(parent.index(element) + 1, continuation)
    return continuation


def _keep(element: etree._Element, chars: int, *, before: bool) -> None:
    """Keep only the text before (or from) the ``chars``-th non-space character.

    Walks the element's text in document order; an element wholly on the far
    side of the split is removed, one crossing it is cut in the same way.
    """
    seen = 0

    def cut_text(text: str | None) -> tuple[str | None, bool]:
        """The part of ``text`` on the kept side, and whether the split is inside it."""
        nonlocal seen
        if text is None:
            return None, False
        count = 0
        for index, char in enumerate(text):
            if char.isspace():
                continue
            if seen + count == chars:
                # The split falls before this character.
                seen += count
                return (text[:index].rstrip() or None) if before else text[index:], True
            count += 1
        seen += count
        return text, False

    def walk(node: etree._Element) -> bool:
        """Trim ``node``'s contents; True once the split has been passed."""
        if seen >= chars:  # the split falls just before this element
            if before:
                node.text = None
                for child in list(node):
                    node.remove(child)
            return True
        node.text, done = cut_text(node.text)
        if done:
            if before:
                for child in list(node):
                    node.remove(child)
            return True
        for child in list(node):
            if walk(child):
                # The split is inside child (or at its start): trim what follows.
                if before:
                    index = node.index(child)
                    child.tail = None
                    for later in list(node)[index + 1:]:
                        node.remove(later)
                    if not _has_text(child):
                        node.remove(child)
                else:
                    _strip_before(node, child)
                return True
            tail, done = cut_text(child.tail)
            if done:
                if before:
                    child.tail = tail
                    index = node.index(child)
                    for later in list(node)[index + 1:]:
                        node.remove(later)
                else:
                    child.tail = tail
                    index = node.index(child)
                    moved = child.tail
                    for earlier in list(node)[:index + 1]:
                        node.remove(earlier)
                    node.text = moved
                return True
        return False

    if not walk(element) and not before:
        element.text = None
        for child in list(element):
            element.remove(child)


def _strip_before(node: etree._Element, child: etree._Element) -> None:
    """In the continuation: drop ``node``'s text and children before ``child``."""
    node.text = None
    for earlier in list(node)[:node.index(child)]:
        node.remove(earlier)


def _has_text(element: etree._Element) -> bool:
    return any(text.strip() for text in element.itertext())
