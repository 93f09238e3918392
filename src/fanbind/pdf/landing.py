"""A book's story parts laid out on the workers, each made up for the side it lands on.

A piece of a long story that starts at a chapter seam follows on whichever side
the pieces before it leave (``docs/pdf-in-parts.md``), and its makeup by spread
(:mod:`fanbind.pdf.makeup`) depends on that side. Its *lines* do not: the text
block has the same width on both sides. So a worker lays a piece out once
(:func:`fanbind.pdf.workers.lay_out_body_part`), reads its flows, and only then
needs the side, which is known as soon as the pieces before it are *planned*
(a plan gives each flow's page count before the second layout). The pieces
before it started earlier, so the wait is short; the worker then plans on the
real side and does the second layout itself, in the same process.

:class:`Parts` hands the parts out in book order and is the other end of each
piece's channel: it hears each piece's planned page count and tells each piece
waiting for its side the side it lands on. With a :class:`~fanbind.cache.ProjectCache`
a piece is cached by the side it was planned for, and a cached piece whose side
is not known yet waits (in this process) for the pieces before it to be planned,
so an edit in one chapter lays out only its piece when its page count keeps its
parity (and the pieces after it when it does not, unless their plans are the
same on either side and they can be moved across).
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait
from typing import Any

from fanbind.cache import ProjectCache
from fanbind.pdf.parts import (
    PART_NAMESPACE,
    Digests,
    Job,
    PartResult,
    Reporter,
    dependencies,
    dependencies_match,
    part_key,
)
from fanbind.pdf.running import Seam, seam_key
from fanbind.pdf.splice import SpliceTask, lineage_key, pieces_of, splice_or_lay_out, splice_task
from fanbind.pdf.workers import (
    BodyTask,
    PdfWorkers,
    PoolChannel,
    SideLanding,
    lay_out_body_part,
)

#: Tells one build's messages from another's on the workers' shared line.
_BUILDS = itertools.count()


@dataclass
class _Here:
    """The channel of a piece laid out in this process (one job): answered at once,
    as every part before it is done by then."""

    parts: Parts
    index: int

    def recv(self) -> bool:
        side = self.parts.lands_left(self.index)
        assert side is not None  # the parts before it were laid out first
        return side

    def send(self, message: tuple[int, bool]) -> None:
        self.parts.planned(self.index, *message)


@dataclass
class Parts:
    """The story parts of one layout of the book (one gutter row), laid out or cached.

    ``results`` holds each part's :class:`PartResult` once known; ``laid_out``
    the parts this build laid out, in the order they finished.
    """

    job: Job
    workers: PdfWorkers
    book_pages: int
    geometry_css: str
    movable: bool  # the sides differ only in their margins: see parts.sides_differ_only_in_margins
    cache: ProjectCache | None = None
    digests: Digests = field(default_factory=Digests)
    results: dict[int, PartResult] = field(default_factory=dict)
    laid_out: list[int] = field(default_factory=list)
    #: Per part: its page count (planned, then as laid out) and the side it lands on.
    counts: dict[int, tuple[int, bool]] = field(default_factory=dict)
    _keys: dict[tuple[int, bool | None], str] = field(default_factory=dict)
    #: Parts of stories without chapters, made up with their whole story
    #: (:mod:`fanbind.pdf.running`): each one's seam and the side it lands on.
    seams: dict[int, tuple[Seam, bool]] = field(default_factory=dict)
    #: Those whose first render (their rows) this build made; the rest were cached.
    read: list[int] = field(default_factory=list)
    #: Each part as soon as it is known: as laid out, before it is written (its
    #: worker sends it: :attr:`BodyTask.early`), then as written or cached
    #: (``results``). What its folios and the matter need is the same in both.
    known: dict[int, PartResult] = field(default_factory=dict)
    #: Called whenever a part becomes known (:mod:`fanbind.pdf.numbering` starts
    #: the folios and the matter from there).
    on_known: Callable[[Parts], None] | None = None
    #: Those whose first render a worker kept, to make their pages from
    #: (:mod:`fanbind.pdf.holding`): not laid out here; those it made, and why
    #: it could not make the others (laid out again: :meth:`lay_out_seams`).
    held: set[int] = field(default_factory=set)
    remade: list[int] = field(default_factory=list)
    not_remade: dict[int, str] = field(default_factory=dict)
    #: Those laid out ahead, while the book was read (:mod:`fanbind.pdf.ahead`).
    ahead: list[int] = field(default_factory=list)
    #: Per part printing page numbers of targets in other parts: each target and
    #: the folio it is printed with (:attr:`BodyTask.stubs`; :meth:`restub`).
    stubs: dict[int, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = self.job.parts
        self.free = [part.continues for part in parts]
        # Per part: the first part of its story (the part itself unless it continues one).
        self.story_start: list[int] = []
        for index, part in enumerate(parts):
            self.story_start.append(self.story_start[-1] if part.continues else index)

    # ------------------------------------------------------------------ sides

    def lands_left(self, index: int) -> bool | None:
        """Whether a part starting inside its story lands on a verso; None while a
        part before it in the story is not planned yet."""
        first = self.story_start[index]
        if first not in self.counts:
            return None
        left = self.counts[first][1]
        for before in range(first, index):
            if before not in self.counts:
                return None
            left ^= self.counts[before][0] % 2 == 1
        return left

    def planned(self, index: int, pages: int, lands_left: bool) -> None:
        if index not in self.results:  # a count as laid out wins over the plan
            self.counts[index] = (pages, lands_left)

    def laid_left(self, index: int, lands_left: bool | None) -> bool:
        """The side a part is laid out starting on: a piece inside its story on a
        recto when it can be moved across (so a cached layout serves either
        side), else on the side it lands on."""
        return bool(lands_left) and self.free[index] and not self.movable

    # ------------------------------------------------------------------ the cache

    def key(self, index: int, lands_left: bool | None) -> str:
        if index in self.seams:  # its documents, cut where the story's plan says
            seam, left = self.seams[index]
            if (index, left) not in self._keys:
                self._keys[index, left] = seam_key(self.job, self.job.parts[index], seam,
                                                   self.geometry_css, left)
            return self._keys[index, left]
        side = lands_left if self.free[index] else None
        if (index, side) not in self._keys:
            self._keys[index, side] = part_key(self.job, self.job.parts[index],
                                               self.geometry_css,
                                               self.laid_left(index, side), side,
                                               self.stubs.get(index, ()))
        return self._keys[index, side]

    def _entry(self, index: int, lands_left: bool | None) -> Any:
        if self.cache is None:
            return None
        entry = self.cache.get(PART_NAMESPACE, self.key(index, lands_left))
        return entry if isinstance(entry, dict) and dependencies_match(entry, self.digests) \
            else None

    def _cached(self, index: int, lands_left: bool | None) -> PartResult | None:
        """The part from the cache, planned for ``lands_left`` — or for the other
        side when its plan is the same on both and the join can move it across."""
        entry = self._entry(index, lands_left)
        if entry is None and self.free[index] and self.movable:
            other = self._entry(index, not lands_left)
            if other is not None and other["result"].side_free:
                entry = other
        if entry is None:
            return None
        result: PartResult = entry["result"]
        result.file = self.job.setup.folder / f"part-{index:05d}.pdf"
        result.file.write_bytes(entry["pdf"])
        return result

    def _unknown(self, index: int) -> bool:
        """No layout of the part is cached, for either side."""
        if self.cache is None:
            return True
        sides = (None,) if not self.free[index] else (False, True)
        return not any(self.cache.has(PART_NAMESPACE, self.key(index, side)) for side in sides)

    def _heard(self, index: int, result: PartResult) -> None:
        self.known[index] = result
        if self.on_known is not None:
            self.on_known(self)

    def _take(self, index: int, result: PartResult, *, laid: bool) -> None:
        self.results[index] = result
        lands = self.lands_left(index) if self.free[index] else result.start_left
        self.counts[index] = (result.pages, result.planned_left if lands is None else lands)
        self._heard(index, result)
        if not laid:
            return
        self.laid_out.append(index)
        if self.cache is not None:
            assert result.file is not None
            entry = {"pdf": result.file.read_bytes(), "result": result,
                     "dependencies": dependencies(result.fetched, result.refused,
                                                  self.job.setup.project_dir, self.digests)}
            side = result.planned_left if self.free[index] else None
            self._keep_pieces(index, side, result, entry)
            self.cache.put(PART_NAMESPACE, self.key(index, side), entry)

    # ------------------------------------------------------------------ the splice

    def _lineage(self, index: int, side: bool | None) -> str:
        return lineage_key(self.job, self.job.parts[index], self.geometry_css,
                           self.laid_left(index, side), side)

    def _keep_pieces(self, index: int, side: bool | None, result: PartResult,
                     entry: dict[str, Any]) -> None:
        """With a laid-out piece of a long story: its pieces' digests and pages, and
        the pointer from its lineage to it, for the next build's splice (pdf/splice.py)."""
        assert self.cache is not None
        pieces = pieces_of(self.job, self.job.parts[index], result)
        if pieces:
            entry["pieces"] = pieces
            self.cache.put(PART_NAMESPACE, self._lineage(index, side),
                           {"key": self.key(index, side)})

    def _splice(self, index: int, lands: bool | None, task: BodyTask) -> SpliceTask | None:
        """The splice of a part whose key missed, from its lineage's cached layout."""
        if self.cache is None or self.job.parts[index].span is None or (
                self.free[index] and lands is None):
            return None
        side = lands if self.free[index] else None
        pointer = self.cache.get(PART_NAMESPACE, self._lineage(index, side))
        if not isinstance(pointer, dict):
            return None
        entry = self.cache.get(PART_NAMESPACE, pointer["key"])
        if not isinstance(entry, dict) or not dependencies_match(entry, self.digests):
            return None
        return splice_task(self.job, index, task, entry, self.movable)

    # ------------------------------------------------------------------ laying out

    def lay_out(self, report: Reporter | None = None) -> None:
        """Every part, from the cache or laid out, in book order (see the module docstring)."""
        parts = self.job.parts
        running: dict[int, Future[PartResult]] = {}
        asking: dict[int, int] = {}  # piece → the slot of the worker waiting for its side
        # (build, part) of the parts laid out ahead that were taken: heard as this build's.
        aliases: set[tuple[int, int]] = set()
        woken, wake = multiprocessing.Pipe(duplex=False)
        wake_lock = threading.Lock()
        build = next(_BUILDS)

        def done(index: int, _: object) -> None:
            with wake_lock:  # the executor's thread, or this one for a finished future
                if not wake.closed:  # closed: the build stopped, the future was cancelled
                    wake.send(index)

        following = 0  # the next part to take from the cache or hand out
        try:
            while True:
                while following < len(parts):
                    if len(running) >= self.workers.jobs:
                        # One part a worker: a part's folios (numbering.py), handed
                        # out as soon as they can be drawn, go before the next part.
                        break
                    index = following
                    if index in self.held:  # made up where its first render is kept
                        following += 1
                        continue
                    lands = self.lands_left(index) if self.free[index] else None
                    if not self.free[index] or lands is not None:
                        hit = self._cached(index, lands)
                        if hit is not None:
                            self._take(index, hit, laid=False)
                            following += 1
                            continue
                    elif not self._unknown(index):
                        break  # which layout is wanted is known once the parts before are planned
                    if report and not self.laid_out and not running:
                        wanted = 1 + sum(map(self._unknown, range(index + 1, len(parts))))
                        report(f"laying out {wanted} of {len(parts)} story parts on "
                               f"{self.workers.jobs} cores" if wanted > 1 else
                               f"laying out 1 of {len(parts)} story parts")
                    # In this process with one job, or for the one part to lay out (no
                    # workers to start); a piece waiting for its side needs the workers.
                    here = self.workers.jobs == 1 or (
                        self.workers.pool is None and not running
                        and (lands is not None or not self.free[index])
                        and not any(map(self._unknown, range(index + 1, len(parts)))))
                    landing = None
                    if index in self.seams:
                        task = self._seam_task(index)
                    elif parts[index].span is not None:
                        channel = _Here(self, index) if here else PoolChannel(build, index)
                        landing = SideLanding(self.free[index], self.movable, lands, channel)
                    if index not in self.seams:
                        task = BodyTask.of(self.job, index, self.book_pages,
                                           self.laid_left(index, lands), landing,
                                           stubs=self.stubs.get(index, ()))
                    following += 1
                    splice = None if index in self.seams else self._splice(index, lands, task)
                    if here:
                        self._take(index, lay_out_body_part(task) if splice is None
                                   else splice_or_lay_out(splice), laid=True)
                        continue
                    ahead = self._ahead(index, lands)
                    if ahead is not None:  # laid out ahead from the same key (pdf/ahead.py)
                        aliases.add((ahead[0], index))
                        self.ahead.append(index)
                        running[index] = ahead[1]
                        running[index].add_done_callback(functools.partial(done, index))
                        continue
                    task = replace(task, early=PoolChannel(build, index))
                    running[index] = self.workers.submit(lay_out_body_part, task) \
                        if splice is None else \
                        self.workers.submit(splice_or_lay_out, replace(splice, whole=task))
                    running[index].add_done_callback(functools.partial(done, index))
                if not running:
                    assert following == len(parts)  # a part waits only for a running one
                    return
                messages = self.workers.messages
                assert messages is not None  # started by submit()
                for ready in wait([woken, messages]):
                    if ready is woken:
                        index = woken.recv()
                        self._take(index, running.pop(index).result(), laid=True)
                        continue
                    sender, index, slot, payload = messages.recv()
                    if sender != build and (sender, index) not in aliases:
                        # From a build that stopped, or a part laid out ahead and not
                        # taken: it waits for nothing.
                        if slot is not None:
                            self.workers.answer(slot, None)
                        continue
                    if isinstance(payload, PartResult):
                        if index not in self.results:  # laid out, being written
                            self._heard(index, payload)
                    elif slot is None:
                        self.planned(index, *payload)
                    else:
                        asking[index] = slot
                for index, slot in sorted(asking.items()):
                    side = self.lands_left(index)
                    if side is not None:
                        self.workers.answer(slot, side)
                        del asking[index]
        finally:
            for slot in asking.values():  # the build stopped: no worker waits for it
                self.workers.answer(slot, None)
            with wake_lock:
                wake.close()
            woken.close()
            if any(not future.done() for future in running.values()):
                # Stopped by an error (a part not stampable: the book is laid out in
                # one piece): a piece still to ask for its side would wait for an
                # answer forever, and closing the pool would wait for it. The parts
                # still running are of no use: stop them (workers start again on
                # demand).
                self.workers.stop()

    def _ahead(self, index: int, lands: bool | None
               ) -> tuple[int, Future[PartResult]] | None:
        """Part ``index`` laid out ahead (:mod:`fanbind.pdf.ahead`) when it is the
        part wanted here: the same key, the same page count guess."""
        if index not in self.workers.ahead or index in self.seams:
            return None
        return self.workers.take_ahead(index, self.key(index, lands), self.book_pages)

    def _seam_task(self, index: int) -> BodyTask:
        """The second layout of a part of a story without chapters, cut at its seam."""
        seam, left = self.seams[index]
        return BodyTask.of(self.job, index, self.book_pages, left, seam=seam,
                           documents=self.job.part_documents(
                               replace(self.job.parts[index], span=seam.span)))

    def take(self, index: int, result: PartResult) -> None:
        """A part laid out elsewhere (made up from its first render's boxes)."""
        self._take(index, result, laid=True)

    def lay_out_seams(self, indexes: list[int]) -> None:
        """Lay out parts of a story without chapters at their seams (a second layout)."""
        tasks = [self._seam_task(i) for i in indexes]
        for index, result in zip(indexes, self.workers.map(lay_out_body_part, tasks),
                                 strict=True):
            self._take(index, result, laid=True)

    def relay(self, indexes: list[int], sides: dict[int, bool]) -> None:
        """Lay ``indexes`` out again, each made up for the side in ``sides`` (a part
        whose page count came out otherwise than planned moved those after it)."""
        tasks = [BodyTask.of(self.job, i, self.book_pages, self.laid_left(i, sides[i]),
                             SideLanding(True, self.movable, sides[i]),
                             stubs=self.stubs.get(i, ())) for i in indexes]
        for index, result in zip(indexes, self.workers.map(lay_out_body_part, tasks),
                                 strict=True):
            self._take(index, result, laid=True)

    def restub(self, stubs: dict[int, tuple[tuple[str, int], ...]],
               sides: dict[int, bool]) -> None:
        """Lay parts out again printing other folios for their page references (the
        guessed ones were not where the back matter put the targets), each made up
        for the side in ``sides`` (a part starting inside its story)."""
        self.stubs.update(stubs)
        self._keys = {key: value for key, value in self._keys.items() if key[0] not in stubs}
        indexes = sorted(stubs)
        tasks = []
        for i in indexes:
            side = sides[i] if self.free[i] else None
            landing = SideLanding(self.free[i], self.movable, side) \
                if self.job.parts[i].span is not None else None
            tasks.append(BodyTask.of(self.job, i, self.book_pages, self.laid_left(i, side),
                                     landing, stubs=self.stubs[i]))
        for index, result in zip(indexes, self.workers.map(lay_out_body_part, tasks),
                                 strict=True):
            self._take(index, result, laid=True)
