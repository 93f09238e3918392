"""A long story without chapters laid out in parts, made up as one: the plan and the cut.

A chaptered story is cut at chapter seams, page breaks the one-piece layout has
too (:func:`fanbind.pdf.parts.story_seams`). A story without chapters has none,
so its parts are cut at paragraph boundaries (:func:`fanbind.pdf.parts.text_seams`,
scene breaks first) and laid out in two rounds, so that the pages are those of
the one-piece layout by construction:

1. **Rows.** Each part's first render (:func:`read_rows`, on the workers) reports
   its text flow as :class:`~fanbind.pdf.makeup.Row` s, each with its
   :class:`Place` in the story (the block, the characters up to the line's end),
   and the margins and break rules at its two ends (:class:`Edge`). A line's
   break does not depend on the page it lands on (the measure is the same on
   every page), so these are the rows of the one-piece layout, but for the first
   row of each part, which its own render sets at a page top: :func:`seam_row`
   makes it again from the two edges, as :func:`fanbind.pdf.layout.makeup_flows`
   reads a row that follows another.
2. **Plan.** The building process joins every part's rows into the story's flow
   and plans its pages with :func:`fanbind.pdf.makeup.plan_pages`, the planner
   of a one-piece layout: the page starts are the one-piece plan's. The plan
   follows the rows as they arrive (:class:`StoryPlanner`): a part is planned
   once the plans the search still keeps open all share its pages (about a
   part later on the 150,000-word story), so its pages are made while later
   parts still render; :func:`plan_story` plans from every part at once.
3. **Cut.** A part's pages are the planned pages whose first row lies in its
   share. They are made from its first render's boxes where the worker kept it
   (:mod:`fanbind.pdf.holding`: the render ran on into the next part's text;
   :attr:`Seam.starts`, :attr:`Seam.dropped`); else its second layout
   (:class:`Seam`, a :class:`fanbind.pdf.layout.Seam`) starts at its first
   page's first row — a paragraph split there as
   :func:`fanbind.pdf.makeup.apply_cuts` splits one, the piece before it left
   out — with the plan's cuts applied, and runs on into the next part's share
   far enough for its last page to end as planned; the pages after that are
   dropped. Its first page lands on the side the plan says (it is laid out
   there), and its page types are those of its place in the story's page group.

The plan (:func:`plan_story`, :class:`Seam`) is apart from how the pages are
made: from the first render's boxes (:func:`fanbind.pdf.layout.remake_held`) or
by a second layout (:func:`fanbind.pdf.layout.lay_out` with ``seam``).
What cannot be cut exactly (a page starting inside a block that is not a story
paragraph of the section, a part with no page of its own) raises
:class:`NoSeams`: the story is then laid out in one part.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lxml import etree

from fanbind.model import Anthology
from fanbind.pdf import makeup
from fanbind.pdf.arrange import PartOptions, xhtml
from fanbind.pdf.parts import PART_CREATED, Job, Part, Setup, layout_key, story_section
from fanbind.pdf.result import BLOCK_ID, FolioPlan
from fanbind.pdf.rows import Edge, Place, RunningFlow
from fanbind.render import Document

#: The named pages of a story's text (print.css): the page groups whose index a
#: part's page types carry on from the pages of the story before it.
FLOW_GROUPS = ("body", "story")


class NoSeams(Exception):
    """A long story's parts cannot be cut where its planned pages start."""


def seam_row(tail: Edge, last: Place, head: Edge, first: makeup.Row, pitch: float
             ) -> makeup.Row:
    """The first row of a part as it follows the last row of the part before
    (as :func:`fanbind.pdf.layout.makeup_flows` reads a row after another one)."""
    dropped = max([0.0, *tail.margins])
    advance = head.line + max([dropped, *head.margins])
    height = advance - dropped
    forced = head.forced or tail.forced
    breakable = head.keep and not tail.avoid and not head.avoid
    cut = None
    if breakable and not forced and tail.blocks <= 1 and head.blocks <= 1 \
            and abs(height - advance) < 0.01 * pitch and last.direct and last.exact \
            and not last.hyphenated and last.block is not None:
        cut = makeup.Cut(last.block, last.chars)
    del first  # its line is the head's: nothing else of it carries over
    return makeup.Row(height=round(height / pitch, 3), advance=round(advance / pitch, 3),
                      breakable=breakable or forced, forced=forced, movable=cut is not None,
                      cut=cut)


@dataclass(frozen=True)
class Seam:
    """One part's second layout (see the module docstring): what its tree keeps
    and how many pages of it are the part's."""

    story: str  # the story section's id
    lead: str | None  # the story's first paragraph (print.css's small-caps lead-in)
    end: str | None  # its last paragraph (``story-end``)
    ladders: frozenset[str] = frozenset()  # paragraphs without automatic hyphenation
    cuts: tuple[makeup.Cut, ...] = ()
    #: The part starts inside this paragraph, after this many characters (the
    #: piece before is left out); None: at the start of a child of the section.
    split: tuple[str, int] | None = None
    #: Pages kept (the rest ran on to end the last one as planned); None: all.
    pages: int | None = None
    #: The story's text pages before the part's first page (its page types carry on).
    offset: int = 0
    rows_only: bool = False  # the first round: rows are read, nothing is made up
    #: The children of the story section the second layout holds (cut_document).
    span: tuple[int, int] | None = None
    #: The first round's render is kept for its remake (:mod:`fanbind.pdf.holding`);
    #: its rows stop before the child ``until`` (the text it ran on into).
    hold: bool = False
    until: str | None = None
    #: The part's planned page starts in its first round's rows (its share's first
    #: row is 0), and the first of the next part's pages last (the render ran on);
    #: the pages before its first one (a page of the part before): dropped.
    starts: tuple[int, ...] = ()
    dropped: int = 0

    def prepare(self, html: etree._Element) -> None:
        """The arranged tree of the part as the one-piece layout has it, cut."""
        section = next((s for s in html.iter(xhtml("section")) if s.get("id") == self.story),
                       None)
        if section is None:
            return
        for p in section.iter(xhtml("p")):
            classes = (p.get("class") or "").split()
            wrong = {"lead"} if "lead" in classes and p.get("id") != self.lead else set()
            if "story-end" in classes and p.get("id") != self.end:
                wrong.add("story-end")
            if wrong:
                p.set("class", " ".join(c for c in classes if c not in wrong))
        for p in section.iter(xhtml("p")):
            if p.get("id") in self.ladders:
                p.set("class", " ".join([*(p.get("class") or "").split(), "no-hyphens"]))
        cuts = list(self.cuts)
        if self.split is not None:
            block, chars = self.split
            element = next((e for e in section.iter() if e.get("id") == block), None)
            continuation = makeup.split_block(element, chars) if element is not None else None
            if element is None or continuation is None:
                raise NoSeams(f"{block} cannot be split after {chars} characters")
            # The piece before is the part before's; the continuation takes its
            # place and its name (the page map names the page by it).
            parent = element.getparent()
            assert parent is not None  # an element inside the section
            parent.remove(element)
            del continuation.attrib[makeup.CONTINUED_ATTRIBUTE]
            continuation.set("id", block)
            continuation.set("style", makeup.CONTINUED_STYLE)
            cuts = [c if c.block != block else makeup.Cut(block, c.chars - chars)
                    for c in cuts if c.block != block or c.chars > chars]
        makeup.apply_cuts(html, cuts)

    def folio_plan(self, plan: FolioPlan) -> FolioPlan:
        """The part's pages typed as in the one-piece layout: its first page is no
        opening of the story's page group, but its ``offset``-th page."""
        if not self.offset:
            return plan
        pages = []
        for (side, blank, name, index, groups), state, number in plan.pages:
            groups = tuple((group, at + self.offset if group in FLOW_GROUPS else at)
                           for group, at in groups)
            pages.append(((side, blank, name, index + self.offset, groups), state, number))
        return FolioPlan(tuple(pages), plan.strings, plan.root, plan.overflow)


@dataclass(frozen=True)
class RowsTask:
    """A part's first round (:func:`read_rows`): its documents as cut at its span."""

    index: int
    book_pages: int
    anthology: Anthology
    documents: list[Document]
    first_story: bool
    setup: Setup
    seam: Seam


def read_rows(task: RowsTask) -> RunningFlow:
    """Worker: a part's first render (with its hyphen ladders mended), read as rows."""
    from fanbind.pdf import layout as pdf  # deferred: WeasyPrint only where a part is laid out

    options = PartOptions(task.book_pages, first_story=task.first_story)
    with pdf.deferred_folios():  # no margin boxes: nothing of this render is written
        layout = pdf.lay_out(task.anthology, task.documents, project_dir=task.setup.project_dir,
                             extra_stylesheets=task.setup.extra_stylesheets,
                             created=PART_CREATED, part=options, seam=task.seam)
    try:
        flow = pdf.running_flow(layout.rendered, layout.geometry, task.seam.story)
    finally:
        pdf._release_fonts(layout.fonts)
    if flow is None:
        raise NoSeams(f"part {task.index} has no single text flow")
    return replace(flow, fetched=tuple(layout.fetcher.fetched),
                   refused=tuple(layout.fetcher.refused))


# ---------------------------------------------------------------------- the plan


@dataclass
class StoryPlan:
    """A story's pages planned as one: the seams of each of its parts' second layouts,
    and what they came from (for tests and the benchmarks)."""

    seams: list[Seam]
    spans: list[tuple[int, int]]  # per part: the section's children its second layout holds
    pages: list[int]  # per part: its planned pages
    lands_left: list[bool]  # per part: its first page is a verso
    starts: list[int] = field(default_factory=list)  # the planned page starts (rows)
    rows: tuple[makeup.Row, ...] = ()


def story_marks(document: Document) -> tuple[str, str | None, str | None, dict[str, int]]:
    """The story section's id, its lead and last paragraphs (as arrange_for_print
    marks them in the whole story), and each child's index by id."""
    section = story_section(document)
    if section is None:
        raise NoSeams("no story section")
    paragraphs = [p for p in section.iter(xhtml("p")) if BLOCK_ID.match(p.get("id") or "")]
    lead = next((c.get("id") for c in section if c.tag == xhtml("p")
                 and BLOCK_ID.match(c.get("id") or "")), None)
    index = {c.get("id") or "": i for i, c in enumerate(section) if c.get("id")}
    return section.get("id") or "", lead, paragraphs[-1].get("id") if paragraphs else None, \
        index


def first_round_seam(document: Document) -> Seam:
    story, lead, end, _ = story_marks(document)
    return Seam(story, lead, end, rows_only=True)


def plan_story(document: Document, spans: Sequence[tuple[int, int]],
               flows: Sequence[RunningFlow]) -> StoryPlan:
    """Plan the whole story's pages from its parts' rows; each part's second layout.

    ``spans``: each part's share of the section's children (as cut); ``flows``:
    each part's first render. Raises :class:`NoSeams` where a planned page
    starts at a place a part cannot start at, or a part gets no page.
    """
    planner = StoryPlanner(document, spans)
    for k, flow in enumerate(flows):
        planner.add(k, flow)
    assert planner.plan is not None  # every part's rows are in
    return planner.plan


@dataclass(frozen=True)
class PartPlan:
    """A part's planned pages: its seam, its page count and whether it lands on a verso."""

    seam: Seam
    pages: int
    left: bool


class StoryPlanner:
    """A story's pages planned as its parts' rows arrive (:func:`plan_story` at once).

    The plan is sequential, but its first pages are decided long before the
    story's end: :class:`~fanbind.pdf.makeup.PageSearch` searches the pages the
    rows so far decide and tells the page starts every plan still open shares.
    A part is planned once those reach the page after its next part's first page
    (what its seam needs); the plan is then the one-piece plan, as
    :func:`plan_story` gave it when it waited for every part: the rest of the
    story cannot move those pages. When every part is in, each part's seam is
    made again from the whole plan and checked against the one given out (a
    difference raises :class:`NoSeams`: never seen, and the story is then laid
    out in one part).

    A part's seam carries the plan's cuts up to that page and the hyphen ladders
    of the parts up to it: what its second layout's kept pages depend on (a cut
    or a ladder further on moves only the pages it drops), so its cache key does
    not change with an edit far after it.
    """

    def __init__(self, document: Document, spans: Sequence[tuple[int, int]]) -> None:
        self.story, self.lead, self.end, self.child_index = story_marks(document)
        section = story_section(document)
        assert section is not None  # story_marks found it
        self.children = len(section)
        self.spans = list(spans)
        self.flows: dict[int, RunningFlow] = {}
        self.rows: list[makeup.Row] = []
        self.places: list[Place] = []
        self.shares: list[int] = []  # per part joined so far: its first row
        self.search: makeup.PageSearch | None = None
        self.given: dict[int, PartPlan] = {}
        self.plan: StoryPlan | None = None

    def add(self, index: int, flow: RunningFlow) -> dict[int, PartPlan]:
        """Part ``index``'s rows; the parts planned by them (each part once)."""
        self.flows[index] = flow
        while len(self.shares) < len(self.spans) and len(self.shares) in self.flows:
            self._join(self.flows[len(self.shares)])
        if self.search is None:
            return {}
        complete = len(self.shares) == len(self.spans)
        try:
            if complete:
                self.search.finish()
            self.search.run()
        except ValueError as why:  # the search's bound: never seen
            raise NoSeams(str(why)) from None
        if complete:
            return self._finish()
        settled = self.search.settled()
        ready = {}
        for k in range(len(self.shares) - 1):
            if k not in self.given and (made := self._part(k, settled, False)) is not None:
                ready[k] = self.given[k] = made
        return ready

    def _join(self, flow: RunningFlow) -> None:
        first = self.flows[0]
        if abs(flow.capacity - first.capacity) > 1e-6:
            raise NoSeams("the parts' pages differ in height")
        if not flow.rows:
            raise NoSeams("a part without text")
        self.shares.append(len(self.rows))
        if self.rows:
            before = self.flows[len(self.shares) - 2]
            self.rows.append(seam_row(before.tail, before.places[-1], flow.head, flow.rows[0],
                                      first.pitch))
            self.rows.extend(flow.rows[1:])
        else:
            self.rows.extend(flow.rows)
            self.search = makeup.PageSearch(makeup.Flow((), (), first.first_verso,
                                                        first.capacity), complete=False)
        self.places.extend(flow.places)
        assert self.search is not None
        self.search.extend(self.rows[self.shares[-1]:])

    def _finish(self) -> dict[int, PartPlan]:
        """Every part's rows are in: the whole plan, checked against the parts given."""
        assert self.search is not None
        plans = self.search.plans()
        plan = plans[0]
        if plan.faults:  # as makeup.plan_pages chooses for one flow: fewest faults first
            plan = min(enumerate(plans), key=lambda p: (p[1].faults, p[0], p[1].cost))[1]
        first = self.flows[0]
        rows = tuple(self.rows)
        flow = makeup.Flow(rows, (), first.first_verso, first.capacity)
        starts = planned_starts(flow, plan.cuts(flow))
        made = {}
        for k in range(len(self.spans)):
            part = self._part(k, starts, True)
            if part is None:
                raise NoSeams(f"part {k} holds no page start")
            if k in self.given and self.given[k] != part:
                raise NoSeams(f"part {k} was planned otherwise before the story's end")
            made[k] = part
        self.plan = StoryPlan([p.seam for p in made.values()],
                              [p.seam.span or (0, 0) for p in made.values()],
                              [p.pages for p in made.values()],
                              [p.left for p in made.values()], starts, rows)
        ready = {k: p for k, p in made.items() if k not in self.given}
        self.given.update(ready)
        return ready

    def _first_start(self, starts: Sequence[int], k: int, complete: bool) -> int | None:
        """The index of part ``k``'s first page in ``starts``; None while unknown.
        Raises NoSeams when the part holds none."""
        share = self.shares[k]
        at = next((i for i, s in enumerate(starts) if s >= share), None)
        limit = self.shares[k + 1] if k + 1 < len(self.shares) else len(self.rows)
        if at is None:
            if complete:
                raise NoSeams(f"part {k} holds no page start")
            return None
        if starts[at] >= limit:
            raise NoSeams(f"part {k} holds no page start")
        return at

    def _part(self, k: int, starts: Sequence[int], complete: bool) -> PartPlan | None:
        """Part ``k``'s plan from the page starts ``starts`` (the whole plan's when
        ``complete``, else a beginning of it); None while they do not decide it."""
        first = self.flows[0]
        rows, places, shares = self.rows, self.places, self.shares
        at = self._first_start(starts, k, complete)
        if at is None:
            return None
        last = k + 1 == len(self.spans)
        if last:
            if not complete:
                return None
            following = len(starts)
        else:
            if k + 1 >= len(shares):
                return None
            following_at = self._first_start(starts, k + 1, complete)
            if following_at is None:
                return None
            following = following_at
            if not complete and following + 1 >= len(starts):
                return None  # the page after the next part's first one is not planned
        count = following - at
        row = starts[at]
        split = None
        if k == 0:
            first_child = self.spans[0][0]
            count += first.before
        else:
            place, previous = places[row], places[row - 1]
            if place.first and place.flush and place.child in self.child_index:
                first_child = self.child_index[place.child]
            elif previous.block == place.block and place.direct and place.exact \
                    and place.child in self.child_index and place.block is not None:
                first_child = self.child_index[place.child]
                split = (place.block, previous.chars)
            else:
                raise NoSeams(f"page {at + 1} of the story starts where no part can")
        if not last:
            # Run on through the page after the last one (its overflow decided where
            # the last page ends) and one child more: those pages are dropped.
            beyond = starts[following + 1] if following + 1 < len(starts) else len(rows) - 1
            after = next((self.child_index[p.child] for p in places[beyond:]
                          if p.child in self.child_index), None)
            if after is None:
                if not complete and len(shares) < len(self.spans):
                    return None  # the next child is in a part not read yet
                after = self.children - 1
            end_child = min(self.children, max(after + 2, self.spans[k][1]))
            kept: int | None = count
            # What the kept pages depend on: the cuts up to the page after the last,
            # the ladders of the parts up to the one holding it.
            through = following + 1
            holder = max(j for j, share in enumerate(shares) if share <= beyond)
        else:
            end_child, kept = self.children, None
            through, holder = len(starts) - 1, len(self.spans) - 1
        local = [s - shares[k] for s in starts[at:following + 1]]
        dropped = 1 if local[0] > 0 else 0
        ladders = frozenset().union(*(self.flows[j].ladders for j in range(holder + 1)))
        seam = Seam(self.story, self.lead, self.end, ladders,
                    tuple(self._cuts(starts, through)), split, kept, at,
                    span=(first_child, end_child), starts=(0,) * dropped + tuple(local),
                    dropped=dropped)
        return PartPlan(seam, count, first.first_verso == (at % 2 == 0))

    def _cuts(self, starts: Sequence[int], through: int) -> list[makeup.Cut]:
        """The cuts the plan forces up to page ``through`` (its first row included)."""
        assert self.search is not None
        pages = self.search.pages
        return [cut for before, start in itertools.pairwise(starts[:through + 1])
                if start != pages.natural(before) and (cut := self.rows[start].cut) is not None]


def planned_starts(flow: makeup.Flow, cuts: Sequence[makeup.Cut]) -> list[int]:
    """The first row of every page of ``flow`` made up with ``cuts``: WeasyPrint's own
    break where no cut comes first (:func:`fanbind.pdf.makeup.natural_end`)."""
    wanted = set(cuts)
    forced = sorted(i for i, row in enumerate(flow.rows) if row.cut is not None
                    and row.cut in wanted)
    starts = [0]
    while True:
        natural = makeup.natural_end(flow.rows, starts[-1], flow.capacity)
        early = next((f for f in forced if starts[-1] < f < natural), None)
        following = early if early is not None else natural
        if following >= len(flow.rows):
            return starts
        starts.append(following)


def rows_key(job: Job, part: Part, seam: Seam, book_pages_css: str) -> str:
    """The cache key of a part's first round: its documents as cut at its share and
    the marks its tree is given (:meth:`Seam.prepare`); an edit elsewhere in the
    story keeps it, so a rebuild reads again only the part holding the edit."""
    assert part.span is not None  # a part inside its story
    return layout_key(job, "pdf-rows", part.documents, part.stories, book_pages_css,
                      0 in part.stories, part.span, seam.story, seam.lead, seam.end,
                      span=part.span, words=False)


def seam_key(job: Job, part: Part, seam: Seam, book_pages_css: str, left: bool) -> str:
    """The cache key of a part's second layout: its documents as cut for ``seam``
    (the text it runs on into is in them), the seam and the side it starts on."""
    assert seam.span is not None  # a second round's seam
    return layout_key(job, "pdf-seam", part.documents, part.stories, book_pages_css,
                      0 in part.stories, seam.span, seam.split, seam.pages, seam.offset,
                      sorted(seam.ladders), [(c.block, c.chars) for c in seam.cuts],
                      seam.lead, seam.end, left, span=seam.span, words=False)
