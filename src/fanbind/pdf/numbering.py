"""The story parts' folios and the front and back matter, started as soon as what
they print is known: beside the parts' layouts, not after them.

A part's folio stamp (:func:`fanbind.pdf.workers.stamp_body_part`) depends on
where it lands — its page offset, from the page counts and sides of the parts
before it — on the running heads carried in from those parts, on the side it
is drawn for and, only when a stylesheet prints it, on the page total. All of
that is known once the parts before it are *laid out* (a worker sends its part
as laid out before writing it: :attr:`fanbind.pdf.workers.BodyTask.early`), so
each stamp goes to the workers then, ahead of the next part's layout
(:class:`fanbind.pdf.landing.Parts` keeps one part a worker). The front and
back matter print the page numbers of every part's anchors: they are laid out
here as soon as the last part is laid out, while the workers write. Before,
all of it waited for the last part's write: the 300,000-word story's build
spent 2.6 s of wall after its last layout with at most one core busy.

What is drawn early is checked at the end (:meth:`Numbering.stamps`,
:meth:`Numbering.front_and_back`): a part laid out again (its side came out
otherwise than planned) or a stamp whose inputs moved is drawn again. With one
job, or no workers running, nothing is started early: nothing would run beside.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from fanbind.cache import ProjectCache, make_key
from fanbind.pdf.landing import Parts
from fanbind.pdf.matter import Matter, lay_out_front_and_back
from fanbind.pdf.parts import (
    STAMP_NAMESPACE,
    Digests,
    Job,
    Part,
    PartResult,
    Reporter,
    carried_strings,
    dependencies,
    positions,
    stamp_basis,
    uses_page_total,
)
from fanbind.pdf.workers import PdfWorkers, StampTask, stamp_body_part

#: What a stamp is drawn with besides its part's folio plan: the page offset, the
#: page total (None: not printed), the running heads carried in, and whether it is
#: drawn for the other sides than the part was laid out on.
StampInputs = tuple[int, int | None, tuple[tuple[str, str], ...], bool]
#: A drawn stamp: its file, WeasyPrint's warnings, per page whether anything is on it.
Drawn = tuple[Path, tuple[str, ...], tuple[bool, ...]]


@dataclass(frozen=True)
class Placement:
    """Where a run of parts from the first one lands in the book, and what follows
    for their folios (each list has one entry a part)."""

    starts: list[int]  # physical first pages, as if the body started the book
    offsets: list[int]  # how far each part's page counter moves on
    carried: list[tuple[tuple[str, str], ...]]  # running heads in force where it starts
    flipped: list[bool]  # a piece inside a story placed on the other side
    #: Pieces landing on a side their makeup was not planned for, which the join
    #: cannot move across: laid out again.
    wrong: list[int]


def place(bodies: Sequence[PartResult], parts: Sequence[Part], movable: bool) -> Placement:
    """:class:`Placement` of ``bodies``, the first parts of the book (each entry needs
    only the ones before it, so a prefix places as the whole book would)."""
    free = [part.continues for part in parts[:len(bodies)]]
    sides = [body.start_left for body in bodies]
    starts, _ = positions([body.pages for body in bodies], sides, sides[0], free)
    lands = [start % 2 == 0 for start in starts]
    wrong = [i for i, body in enumerate(bodies)
             if free[i] and lands[i] != body.planned_left and not (movable and body.side_free)]
    flipped = [free[i] and lands[i] != body.start_left for i, body in enumerate(bodies)]
    # Folio on part i's page j (1-based) = position + j - first title page; the first
    # part's own counter already restarts at its first story's opening.
    first_title = starts[0] + bodies[0].opening
    offsets = [0] + [start - first_title for start in starts[1:]]
    carried = [c if part.continues else () for c, part in
               zip(carried_strings([body.folios for body in bodies]), parts, strict=False)]
    return Placement(starts, offsets, carried, flipped, wrong)


@dataclass
class _Stamp:
    inputs: StampInputs
    outcome: Future[Drawn]
    cached: bool  # from the cache, not drawn by this build
    key: str = ""  # the cache key it was found under


@dataclass
class Numbering:
    """The folios and the matter of one layout of the book (one gutter row)."""

    job: Job
    parts: list[Part]  # the whole book's: front, story parts, back
    workers: PdfWorkers
    book_pages: int
    geometry_css: str
    movable: bool  # see parts.sides_differ_only_in_margins
    cache: ProjectCache | None
    digests: Digests
    report: Reporter | None = None
    beside_layouts: bool = True  # False: nothing early (JoinOptions.beside_layouts)
    _early: dict[int, _Stamp] = field(default_factory=dict)
    #: The matter laid out early, with what it was laid out from.
    _matter: tuple[tuple[object, ...], Matter] | None = None

    def __post_init__(self) -> None:
        self.page_total_used = uses_page_total(self.job.setup.extra_stylesheets)
        self.matter_early = False  # the matter laid out early served
        self.stamped_early: list[int] = []  # the stamps started early that served

    # ------------------------------------------------------------ beside the layouts

    def heard(self, laying: Parts) -> None:
        """A part became known (:attr:`Parts.on_known`): start what that allows."""
        if self.workers.pool is None or not self.beside_layouts:
            return  # one job, or one part laid out here: nothing runs beside
        count = len(self.job.parts)
        bodies: list[PartResult] = []
        while len(bodies) < count and len(bodies) in laying.known:
            bodies.append(laying.known[len(bodies)])
        if not bodies:
            return
        placed = place(bodies, self.job.parts, self.movable)
        # From a part laid out again on, nothing is known yet.
        sure = min(placed.wrong, default=len(bodies))
        total = self._matter[1].total if self._matter is not None else None
        if not self.page_total_used:
            self._draw_early(laying, placed, range(sure), None)
        if sure == count and self._matter is None:
            # Every page count is known: the matter, here, while the workers write.
            self._matter = (self._matter_inputs(bodies, placed),
                            self._lay_out_matter(bodies, placed))
            total = self._matter[1].total
        if self.page_total_used and total is not None:
            self._draw_early(laying, placed, range(sure), total)

    def _draw_early(self, laying: Parts, placed: Placement, indexes: range,
                    total: int | None) -> None:
        for index in indexes:
            if index in self._early:
                continue
            inputs = (placed.offsets[index], total, placed.carried[index],
                      placed.flipped[index])
            body = laying.known[index]
            # A part being written brings the files its layout read so far: the
            # key is checked again with all of them (stamps()).
            hit = self._cached(index, body, inputs)
            if hit is not None:
                self._early[index] = hit
                continue
            if not self._early and self.report:
                self.report("numbering the pages of the story parts as they are laid out")
            self._early[index] = _Stamp(inputs, self.workers.submit(
                stamp_body_part, self._task(index, body, inputs)), cached=False)

    # ------------------------------------------------------------ the end

    def front_and_back(self, bodies: list[PartResult], placed: Placement) -> Matter:
        """The matter for the book as finally laid out: the one laid out early when
        the parts it was laid out from are unchanged."""
        if self._matter is not None and self._matter[0] == self._matter_inputs(bodies, placed):
            self.matter_early = True
            return self._matter[1]
        return self._lay_out_matter(bodies, placed)

    def stamps(self, bodies: list[PartResult], placed: Placement,
               total: int, relaid: Sequence[int]) -> list[int]:
        """Every part's stamp put on it (``stamp``, ``drawn``, warnings) and in the
        cache: those drawn early whose part and inputs held, the others from the
        cache or drawn now. Returns the parts whose stamp this build drew."""
        wanted: dict[int, _Stamp] = {}
        later: list[int] = []
        for index, body in enumerate(bodies):
            inputs = (placed.offsets[index], total if self.page_total_used else None,
                      placed.carried[index], placed.flipped[index])
            early = self._early.get(index)
            if early is not None and (early.inputs != inputs or index in relaid or (
                    early.cached and early.key != self._key(body, inputs))):
                early.outcome.result()  # its file may have the same name as the new one
                early = None
            if early is not None:
                self.stamped_early.append(index)
            hit = early or self._cached(index, body, inputs)
            if hit is not None:
                wanted[index] = hit
            else:
                wanted[index] = _Stamp(inputs, Future(), cached=False)
                later.append(index)
        if later and self.report:
            self.report(f"numbering the pages of {len(later)} story parts")
        drawing = self.workers.map_later(stamp_body_part, [
            self._task(index, bodies[index], wanted[index].inputs) for index in later])
        for index, drawn in zip(later, drawing(), strict=True):
            wanted[index].outcome.set_result(drawn)
        unstamped = []
        for index, body in enumerate(bodies):
            stamp = wanted[index]
            path, warnings, drawn_on = stamp.outcome.result()
            body.stamp, body.drawn = path, drawn_on
            body.warnings = tuple(dict.fromkeys([*body.warnings, *warnings]))
            if not stamp.cached:
                unstamped.append(index)
                if self.cache is not None:
                    self.cache.put(STAMP_NAMESPACE, self._key(body, stamp.inputs),
                                   (path.read_bytes(), drawn_on))
        return unstamped

    def settle(self) -> None:
        """Wait for the stamps drawn early (their files are in the build's folder,
        which a layout in another gutter row writes again)."""
        for stamp in self._early.values():
            stamp.outcome.exception()

    # ------------------------------------------------------------ helpers

    def _task(self, index: int, body: PartResult, inputs: StampInputs) -> StampTask:
        offset, total, carried, flip = inputs
        assert body.folios is not None  # every laid-out story part has one (else NotStampable)
        return StampTask(index, body.folios, offset, total, self.geometry_css,
                         self.job.setup, carried, flip)

    def _key(self, body: PartResult, inputs: StampInputs) -> str:
        """A part's folios are drawn from its folio plan (parts.stamp_basis) and the
        files its layout read."""
        return make_key("folios", stamp_basis(self.job, body.folios, self.geometry_css),
                        dependencies(body.fetched, body.refused, self.job.setup.project_dir,
                                     self.digests), *inputs)

    def _cached(self, index: int, body: PartResult, inputs: StampInputs) -> _Stamp | None:
        if self.cache is None:
            return None
        key = self._key(body, inputs)
        entry = self.cache.get(STAMP_NAMESPACE, key)
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return None
        offset, _, _, flip = inputs
        path = self.job.setup.folder / f"stamp-{index:05d}-{offset}{'-f' if flip else ''}.pdf"
        path.write_bytes(entry[0])
        outcome: Future[Drawn] = Future()
        outcome.set_result((path, (), entry[1]))
        return _Stamp(inputs, outcome, cached=True, key=key)

    def _matter_inputs(self, bodies: list[PartResult], placed: Placement) -> tuple[object, ...]:
        return (tuple(placed.starts), bodies[0].opening, bodies[0].start_left,
                tuple(body.pages for body in bodies),
                tuple(tuple(sorted(body.anchors.items())) for body in bodies))

    def _lay_out_matter(self, bodies: list[PartResult], placed: Placement) -> Matter:
        return lay_out_front_and_back(self.job, self.parts, bodies, placed.starts,
                                      self.book_pages, geometry_css=self.geometry_css,
                                      cache=self.cache, digests=self.digests,
                                      report=self.report)
