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
   of a one-piece layout (:func:`plan_story`): the page starts are the one-piece
   plan's. This needs every part's rows: the second round waits for the last
   first render.
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
    story, lead, end, child_index = story_marks(document)
    section = story_section(document)
    assert section is not None  # story_marks found it
    first = flows[0]
    if any(abs(f.capacity - first.capacity) > 1e-6 for f in flows):
        raise NoSeams("the parts' pages differ in height")
    rows: list[makeup.Row] = list(first.rows)
    places: list[Place] = list(first.places)
    shares = [0]
    for before, flow in itertools.pairwise(flows):
        if not flow.rows:
            raise NoSeams("a part without text")
        shares.append(len(rows))
        rows.append(seam_row(before.tail, before.places[-1], flow.head, flow.rows[0],
                             first.pitch))
        rows.extend(flow.rows[1:])
        places.extend(flow.places)
    ladders = frozenset().union(*(f.ladders for f in flows))
    unpaged = makeup.Flow(tuple(rows), (), first.first_verso, first.capacity)
    story_flow = makeup.Flow(unpaged.rows, tuple(makeup.paginate(unpaged)),
                             first.first_verso, first.capacity)
    cuts, _ = makeup.plan_pages([story_flow])
    starts = planned_starts(story_flow, cuts)
    seams, part_spans, pages, sides = [], [], [], []
    part_starts = []
    for k, share in enumerate(shares):
        start = next((s for s in starts if s >= share), None)
        limit = shares[k + 1] if k + 1 < len(shares) else len(rows)
        if start is None or start >= limit:
            raise NoSeams(f"part {k} holds no page start")
        part_starts.append(starts.index(start))
    for k, at in enumerate(part_starts):
        following = part_starts[k + 1] if k + 1 < len(part_starts) else len(starts)
        count = following - at
        row = starts[at]
        split = None
        if k == 0:
            first_child = spans[0][0]
            count += first.before
        else:
            place, previous = places[row], places[row - 1]
            if place.first and place.flush and place.child in child_index:
                first_child = child_index[place.child]
            elif previous.block == place.block and place.direct and place.exact \
                    and place.child in child_index and place.block is not None:
                first_child = child_index[place.child]
                split = (place.block, previous.chars)
            else:
                raise NoSeams(f"page {at + 1} of the story starts where no part can")
        if following < len(starts):
            # Run on through the page after the last one (its overflow decided where
            # the last page ends) and one child more: those pages are dropped.
            beyond = starts[following + 1] if following + 1 < len(starts) else len(rows) - 1
            after = next((child_index[p.child] for p in places[beyond:]
                          if p.child in child_index), len(section) - 1)
            end_child = min(len(section), max(after + 2, spans[k][1]))
            kept: int | None = count
        else:
            end_child, kept = len(section), None
        local = [s - shares[k] for s in starts[at:following + 1]]
        dropped = 1 if local[0] > 0 else 0
        seams.append(Seam(story, lead, end, ladders, tuple(cuts), split, kept, at,
                          span=(first_child, end_child), starts=(0,) * dropped + tuple(local),
                          dropped=dropped))
        part_spans.append((first_child, end_child))
        pages.append(count)
        sides.append(first.first_verso == (at % 2 == 0))
    return StoryPlan(seams, part_spans, pages, sides, starts, tuple(rows))


def planned_starts(flow: makeup.Flow, cuts: Sequence[makeup.Cut]) -> list[int]:
    """The first row of every page of ``flow`` made up with ``cuts``: WeasyPrint's own
    break where no cut comes first (:func:`fanbind.pdf.makeup.natural_end`)."""
    forced = sorted(i for i, row in enumerate(flow.rows) if row.cut is not None
                    and row.cut in set(cuts))
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
