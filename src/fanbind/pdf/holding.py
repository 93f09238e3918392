"""A story without chapters in parts, one render a part: the first round's renders
kept on the workers and made up from their boxes once the story is planned.

:mod:`fanbind.pdf.running` plans a long story without chapters from its parts'
first renders (their rows); each part's planned pages then start inside its
neighbour's share. A part's first render here runs past its share into the
next part's text (:data:`RUN_ON_WORDS`, more than the page and the
:data:`~fanbind.pdf.makeup.MAX_SHORTEN` lines by which the part's last planned
page can pass its share's end), so the part's planned pages all lie inside what
it rendered. The worker keeps that render (its boxes and WeasyPrint's layout
context), reports the rows of its share only, and once the story is planned
makes the part's pages from the render's boxes (:func:`fanbind.pdf.layout.remake_held`,
:mod:`fanbind.pdf.remake`): no second render.

A part is planned once the rows read so far decide its pages
(:class:`fanbind.pdf.running.StoryPlanner`), and the worker holding it makes its
pages between two renders; the last parts' pages wait for the last rows. Each
worker is a *lane* (:func:`hold_lane`, one task per
worker for the whole first round): it claims the parts one by one from the
building process, in book order (so the cores share the work however the part
sizes fall), and keeps each render while the words it holds stay within
``hold_words`` (:data:`HOLD_WORDS`, memory bounded per worker whatever the
story's length; a render made up gives its words back); a part claimed beyond
that is rendered without running on, not kept, and laid out a second time as
before, as is a part the remake cannot vouch for (its reason in :class:`Made`).

Why this and not an early guess of the page starts: the planner's search keeps
up to 16 alternatives whose page counts differ, and they meet again only 25–100
pages later on the 150,000-word story, so no part's page starts are known before
most of the story is read; any guess would be checked against the same plan and
miss where the spreads differ.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from fanbind.pdf.arrange import START_LEFT_CLASS, PartOptions
from fanbind.pdf.folios import first_folio_anchor
from fanbind.pdf.parts import PART_CREATED, PartResult, story_section
from fanbind.pdf.rows import RunningFlow
from fanbind.pdf.running import NoSeams, RowsTask, Seam
from fanbind.pdf.workers import PdfWorkers, ask_building, tell_building
from fanbind.render import Document

if TYPE_CHECKING:
    from fanbind.pdf.layout import Layout, MarginRecords

#: The words of the next part's text a held part's render runs on into: its last
#: planned page ends at most a page and 8 lines past its share (about 450 words
#: of a 6 × 9 in page); three times that, for larger pages and scene breaks.
RUN_ON_WORDS = 1_200
#: The words a worker keeps renders of (about 300 pages at 30,000 words a part of
#: about 90 pages): the 150,000-word story's five parts are all held on two cores.
HOLD_WORDS = 90_000

#: Tells one first round's messages from another's (negative: apart from landing's).
_ROUNDS = itertools.count(1)


@dataclass(frozen=True)
class Made:
    """A held part made up: its result, or why it must be laid out again."""

    index: int
    result: PartResult | None
    not_remade: str = ""


@dataclass(frozen=True)
class LaneTask:
    """One worker's share of the first round (:func:`hold_lane`)."""

    build: int
    hold_words: int


#: What the building process tells a lane of its held parts: each one's seam and
#: side, once planned (None: stop, the story is laid out otherwise).
Seams = dict[int, tuple[Seam, bool]] | None


class _Lane(Protocol):
    def claim(self, room: int) -> tuple[RowsTask, int] | None: ...

    def rows(self, index: int, flow: RunningFlow | None, held: bool) -> None: ...

    def seams(self, wait: bool) -> Seams: ...


@dataclass(frozen=True)
class _PoolLane:
    build: int

    def claim(self, room: int) -> tuple[RowsTask, int] | None:
        answer: tuple[RowsTask, int] | None = ask_building(self.build, -1, ("claim", room))
        return answer

    def rows(self, index: int, flow: RunningFlow | None, held: bool) -> None:
        tell_building(self.build, index, ("rows", flow, held))

    def seams(self, wait: bool) -> Seams:
        answer: Seams = ask_building(self.build, -1, ("seams", wait))
        return answer


def hold_lane(task: LaneTask, lane: _Lane | None = None) -> list[Made]:
    """Worker: render the parts claimed, report their rows, keep the renders that fit
    in ``task.hold_words``; make each held part's pages as soon as it is planned.

    Between two renders the lane makes the held parts planned meanwhile (the plan
    follows the rows: :class:`fanbind.pdf.running.StoryPlanner`), so their writes
    run while later parts still render, and their renders' memory is given back
    before the next one; once no part is left to claim, it waits for the rest.
    """
    from fanbind.pdf import layout as pdf  # deferred: WeasyPrint only where a part is laid out

    lane = lane or _PoolLane(task.build)
    held: dict[int, tuple[RowsTask, Layout, MarginRecords, int]] = {}
    made: list[Made] = []
    room = task.hold_words

    def make(seams: dict[int, tuple[Seam, bool]]) -> None:
        nonlocal room
        for index in sorted(seams):
            rows, layout, records, words = held.pop(index)
            seam, left = seams[index]
            made.append(_made_up(rows, layout, records, seam, left))
            room += words
            del layout, records

    try:
        while True:
            while held:  # the parts planned since: made before the next render
                ready = lane.seams(False)
                if ready is None:  # the story cannot be cut as planned: laid out otherwise
                    return []
                if not ready:
                    break
                make(ready)
            claimed = lane.claim(room)
            if claimed is None:
                break
            rows, words = claimed
            with pdf.deferred_folios() as records:
                layout = pdf.lay_out(rows.anthology, rows.documents,
                                     project_dir=rows.setup.project_dir,
                                     extra_stylesheets=rows.setup.extra_stylesheets,
                                     created=PART_CREATED,
                                     part=PartOptions(rows.book_pages,
                                                      first_story=rows.first_story),
                                     seam=rows.seam)
            flow = pdf.running_flow(layout.rendered, layout.geometry, rows.seam.story,
                                    rows.seam.until)
            keep = flow is not None and layout.held is not None
            if flow is not None:
                flow = replace(flow, fetched=tuple(layout.fetcher.fetched),
                               refused=tuple(layout.fetcher.refused))
            lane.rows(rows.index, flow, keep)
            if keep:  # its line memo is not needed again: not held with the boxes
                held[rows.index] = (rows, replace(layout, lines=None), records, words)
                room -= words
            else:
                pdf._release_fonts(layout.fonts)
            del layout, records
        while held:
            ready = lane.seams(True)
            if ready is None:
                return []
            make(ready)
        return made
    finally:
        for _, layout, _, _ in held.values():
            pdf._release_fonts(layout.fonts)


def _made_up(rows: RowsTask, layout: Layout, kept: MarginRecords, seam: Seam, left: bool
             ) -> Made:
    """A held part's planned pages from its render, written as a laid-out part is
    (``kept``: the render's margin records, for the pages the remake keeps as they are)."""
    from fanbind.pdf import layout as pdf  # deferred: see hold_lane
    from fanbind.pdf import remake
    from fanbind.pdf.workers import anchors

    first_anchor = first_folio_anchor(rows.anthology) if rows.first_story else None
    if not seam.offset:  # the story's first part: on the side its story opens on, as laid
        left = START_LEFT_CLASS in layout.root_classes
    try:
        with pdf.deferred_folios() as records:
            made = pdf.remake_held(layout, seam, first_right=not left,
                                   first_anchor=first_anchor)
    except remake.NotRemade as why:
        pdf._release_fonts(layout.fonts)
        return Made(rows.index, None, str(why))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as why:
        # A box tree the remake did not foresee: laid out again (as layout.lay_out does).
        pdf._release_fonts(layout.fonts)
        return Made(rows.index, None, f"unexpected: {why!r}")
    plan = pdf.folio_plan(made.rendered, {**kept, **records})
    if plan is None:
        pdf._release_fonts(layout.fonts)
        return Made(rows.index, None, "margin boxes not drawn from plain data")
    plan = replace(seam, offset=seam.offset - seam.dropped).folio_plan(held_plan(plan,
                                                                                 seam.dropped))
    targets = anchors(made)
    first_title = f"{rows.anthology.stories[0].id}-title"
    target = rows.setup.folder / f"part-{rows.index:05d}{'-left' if left else ''}.pdf"
    result = pdf.write_layout(made, target)
    return Made(rows.index, PartResult(
        target, len(made.rendered.pages), left, targets.get(first_title, 0),
        tuple(page_id for page_id, _ in made.page_map), targets, result.warnings,
        result.refused, result.fetched, plan, side_free=False, planned_left=left,
        passes=made.passes))


def run_on(document: Document, span: tuple[int, int], words: int = RUN_ON_WORDS
           ) -> tuple[int, str | None, int]:
    """Where a part's held render ends (the section's child after the last one it
    runs on into), the id of the first child it runs on into (its rows stop there;
    None: it does not run on), and the words of its own share."""
    section = story_section(document)
    assert section is not None  # a story cut into parts has one
    start, end = span
    children = list(section)

    def count(child: Any) -> int:
        return sum(len(text.split()) for text in child.itertext())

    share = sum(count(child) for child in children[start:end])
    if end >= len(children) or not children[end].get("id"):
        return end, None, share
    stop, more = end, 0
    while stop < len(children) and more < words:
        more += count(children[stop])
        stop += 1
    return stop, children[end].get("id"), share


def held_plan(plan: Any, dropped: int) -> Any:
    """A held part's folio plan without the pages before its first (its page counter
    counts from its first page kept, as a part laid out from there counts)."""
    if not dropped:
        return plan
    pages = []
    for page_type, state, number in plan.pages:
        counters = dict(state[1])
        counters["page"] = [value - dropped for value in counters.get("page", [0])]
        pages.append((page_type, (state[0], counters, *state[2:]), number))
    return replace(plan, pages=tuple(pages))


# ---------------------------------------------------------------------- the building process


@dataclass
class Round:
    """The first round of a book's stories without chapters, as the building process
    runs it: the parts to read (``plain``: a part's task without its text run on;
    ``held``: with it), what they reported, and the lanes' outcomes."""

    plain: dict[int, RowsTask]
    held: dict[int, RowsTask]
    words: dict[int, int]
    flows: dict[int, RunningFlow] = field(default_factory=dict)
    kept: set[int] = field(default_factory=set)
    lanes: list[Future[list[Made]]] = field(default_factory=list)
    here: list[Made] = field(default_factory=list)

    def task(self, index: int, room: int) -> tuple[RowsTask, int]:
        if index in self.held and self.words[index] <= room:
            return self.held[index], self.words[index]
        return self.plain[index], self.words[index]

    def made(self) -> list[Made]:
        """Every held part's outcome (waits for the lanes)."""
        return [*self.here, *(made for lane in self.lanes for made in lane.result())]


def read_parts(workers: PdfWorkers, first: Round,
               plan: Callable[[int, RunningFlow], dict[int, tuple[Seam, bool]]], *,
               hold_words: int) -> None:
    """Run the first round on the workers (or here with one job): ``first.flows`` gets
    every part's rows, ``plan`` is called with each as it arrives and gives the
    parts it plans their seam and side, which go to the lanes holding them;
    ``first.lanes`` (or ``first.here``) then give the held parts' pages
    (:meth:`Round.made`)."""
    order = sorted(first.plain)
    if workers.jobs == 1 or len(order) == 1:
        first.here = hold_lane(LaneTask(0, hold_words), _HereLane(first, order, plan))
        return
    build = -next(_ROUNDS)
    lanes = min(workers.jobs, len(order))
    first.lanes = [workers.submit(hold_lane, LaneTask(build, hold_words)) for _ in range(lanes)]
    messages = workers.messages
    assert messages is not None  # started by submit()
    slot_of: dict[int, int] = {}
    waiting: set[int] = set()  # lanes waiting for a seam of theirs
    given: set[int] = set()  # held parts whose seams went to their lane
    closed = 0  # lanes told there is no part left to claim
    claims = iter(order)
    seams: dict[int, tuple[Seam, bool]] = {}

    def receive(strict: bool = True) -> tuple[int, Any] | None:
        """The next message of this round; None once every lane has ended (``strict``:
        a lane that failed raises what it raised)."""
        while not messages.poll(0.1):
            for lane in first.lanes:
                if strict and lane.done() and lane.exception() is not None:
                    raise lane.exception()  # type: ignore[misc]
            if all(lane.done() for lane in first.lanes):
                return None
        sender, index, slot, payload = messages.recv()
        return (index, (slot, payload)) if sender == build else (0, (None, ("other",)))

    def ready(slot: int) -> dict[int, tuple[Seam, bool]]:
        """The seams planned for the lane in ``slot`` not given to it yet."""
        mine = {i: seams[i] for i in first.kept if slot_of[i] == slot and i in seams
                and i not in given}
        given.update(mine)
        return mine

    try:
        while True:
            for slot in sorted(waiting):
                if mine := ready(slot):
                    workers.answer(slot, mine)
                    waiting.discard(slot)
            if closed == lanes and given >= first.kept:
                return  # every lane has claimed its last part and has its seams
            got = receive()
            if got is None:
                raise RuntimeError("the first round's lanes ended early")
            index, (slot, payload) = got
            if payload[0] == "claim":
                part = next(claims, None)
                if part is not None:
                    slot_of[part] = slot
                else:
                    closed += 1
                workers.answer(slot, None if part is None else first.task(part, payload[1]))
            elif payload[0] == "rows":
                _, flow, kept = payload
                if flow is None:
                    raise NoSeams(f"part {index} has no single text flow")
                first.flows[index] = flow
                if kept:
                    first.kept.add(index)
                seams.update(plan(index, flow))
            elif payload[0] == "seams":
                if payload[1]:
                    waiting.add(slot)  # answered once one of its parts is planned
                else:
                    workers.answer(slot, ready(slot))
    except BaseException:
        # Every lane still claiming or waiting is told to stop, so the workers are free
        # for what the build does next (the story in one part, or nothing).
        for slot in waiting:
            workers.answer(slot, None)
        while (got := receive(strict=False)) is not None:
            _, (slot, payload) = got
            if payload[0] in ("claim", "seams"):
                workers.answer(slot, None)
        raise


@dataclass
class _HereLane:
    """The one lane of a build with one job: the parts claimed here, in order."""

    first: Round
    order: list[int]
    plan: Callable[[int, RunningFlow], dict[int, tuple[Seam, bool]]]
    planned: dict[int, tuple[Seam, bool]] = field(default_factory=dict)

    def claim(self, room: int) -> tuple[RowsTask, int] | None:
        return self.first.task(self.order.pop(0), room) if self.order else None

    def rows(self, index: int, flow: RunningFlow | None, held: bool) -> None:
        if flow is None:
            raise NoSeams(f"part {index} has no single text flow")
        self.first.flows[index] = flow
        if held:
            self.first.kept.add(index)
        self.planned.update(self.plan(index, flow))

    def seams(self, wait: bool) -> Seams:
        mine = {i: self.planned.pop(i) for i in sorted(self.planned) if i in self.first.kept}
        if wait and not mine:  # every part is read here before the last wait
            raise NoSeams("a held part was never planned")
        return mine
