"""The worker processes that lay out a book's story parts and draw their folios.

:class:`PdfWorkers` are forked before the stories are read and get their part's
stories with each task (:class:`BodyTask`), so they never carry the whole book.
:func:`lay_out_part` is the one call into :mod:`fanbind.pdf.layout` for a part;
the front and back matter (:mod:`fanbind.pdf.matter`) use it in this process.

:mod:`fanbind.pdf.layout` (WeasyPrint, 0.6 s to import) is imported only when a
part is laid out: a rebuild whose parts all come from the cache never needs it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fanbind.model import Anthology
from fanbind.pdf.arrange import START_LEFT_CLASS, PartOptions
from fanbind.pdf.parts import (
    PART_CREATED,
    Job,
    NotStampable,
    PartResult,
    Setup,
    parts_wanted,
)
from fanbind.pdf.result import BLOCK_ID, FolioPlan
from fanbind.processes import default_jobs, pool_context, process_pool, stop_pool
from fanbind.render import Document

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.connection import Connection

    from fanbind.pdf.layout import Layout, MarginRecords
    from fanbind.pdf.running import Seam

Task = TypeVar("Task")
#: The build number on the channels of parts laid out ahead (:mod:`fanbind.pdf.ahead`;
#: builds count from 0: ``fanbind.pdf.landing._BUILDS``): :class:`fanbind.pdf.landing.Parts`
#: hears them as its own once it takes the part.
AHEAD_BUILD = -1
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class BodyTask:
    """One story part to lay out: its stories, their documents and the page count guess."""

    index: int
    book_pages: int
    anthology: Anthology  # the part's stories only
    documents: list[Document]
    first_story: bool
    setup: Setup
    start_left: bool = False  # a part inside a story: laid out starting on a verso
    #: A piece of a long story: the side it lands on and its planned length go
    #: through :class:`SideLanding` (None: a part of whole stories).
    landing: SideLanding | None = None
    #: A part of a story without chapters, cut where its whole story's plan says
    #: (:class:`fanbind.pdf.running.Seam`; its documents are cut for it).
    seam: Seam | None = None
    #: Hears the part's :class:`PartResult` as soon as it is laid out, before it is
    #: written (its ``send``): its pages, anchors and folio plan are all that its
    #: folios and the front matter need (:mod:`fanbind.pdf.numbering`).
    early: Any = None
    #: Stand-ins for the targets in other parts its page references print
    #: (``warnings_display: end``: the back matter's warnings page), with the folio
    #: each is guessed on: laid out on one more page, which the join leaves out
    #: (:func:`lay_out_body_part`).
    stubs: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, job: Job, index: int, book_pages: int, start_left: bool = False,
           landing: SideLanding | None = None, seam: Seam | None = None,
           documents: list[Document] | None = None,
           stubs: tuple[tuple[str, int], ...] = ()) -> BodyTask:
        """The task of part ``index``; only a part inside a story (``continues``)
        can be asked to start on a verso, the others start where their story asks."""
        part = job.parts[index]
        # The stories without their text, in the anthology and the documents alike: a
        # part's layout reads their titles, authors, ids and words, never their chapters
        # (the documents' trees carry the text). A piece of a 300,000-word story sent
        # the whole story's model, 2.2 of its 2.4 MB pickled (0.1 s of CPU here and
        # again in the worker), with each of its ten parts.
        whole = [job.anthology.stories[i] for i in part.stories]
        bare = {id(story): replace(story, chapters=(), summary=(), notes=(), end_notes=())
                for story in whole}
        stories = tuple(bare[id(story)] for story in whole)
        documents = [replace(document, story=bare.get(id(document.story), document.story))
                     for document in documents or job.part_documents(part)]
        # The story list of metadata.yaml stays behind: a part's layout never reads it
        # (the cache key leaves it out too), and a 1,000-story list is 450 KB a task.
        meta = job.anthology.meta.model_copy(update={"stories": [s.meta for s in stories]})
        return cls(index, book_pages, replace(job.anthology, meta=meta, stories=stories),
                   documents, 0 in part.stories, job.setup,
                   start_left and part.continues, landing, seam, stubs=stubs)


@dataclass(frozen=True)
class SideLanding:
    """A piece of a long story's :class:`fanbind.pdf.layout.Landing`: the building
    process answers through ``channel`` — the worker's end of a pipe (the
    coordinator's end is in :mod:`fanbind.pdf.in_parts`), or with one job an
    object in the building process with the same ``send``/``recv``.

    The worker sends ``(pages, lands_left)`` once the part is planned; a part
    starting inside its story (``free``) whose side is not ``known`` yet receives
    its side (a bool) first, as soon as the parts before it are planned.
    """

    free: bool
    movable: bool
    known: bool | None = None
    channel: Any = None

    def lands_left(self, laid_left: bool) -> bool:
        if not self.free:
            return laid_left  # it starts where its story asks, as laid out
        if self.known is not None:
            return self.known
        return bool(self.channel.recv())

    def planned(self, pages: int, lands_left: bool) -> None:
        if self.channel is not None:
            self.channel.send((pages, lands_left))


@dataclass(frozen=True)
class StampTask:
    """One story part's margin boxes to draw, its folios moved on by ``offset``;
    ``carried``: the running heads in force where it starts; ``flip``: drawn on
    the other sides than it was laid out on (a part inside a story)."""

    index: int
    plan: FolioPlan
    offset: int
    total: int | None
    geometry_css: str
    setup: Setup
    carried: tuple[tuple[str, str], ...] = ()
    flip: bool = False


def lay_out_part(setup: Setup, anthology: Anthology, documents: list[Document],
                 options: PartOptions, *, defer: bool, created: dt.datetime,
                 landing: SideLanding | None = None, seam: Seam | None = None
                 ) -> tuple[Layout, MarginRecords]:
    """Lay out one part; with ``defer``, its margin boxes are left to be drawn later
    (:func:`fanbind.pdf.layout.deferred_folios`) and their records returned;
    ``landing``: a piece of a long story, planned for the side it lands on."""
    from fanbind.pdf import layout as pdf  # deferred: see the module docstring

    if defer:
        with pdf.deferred_folios() as records:
            layout = pdf.lay_out(anthology, documents, project_dir=setup.project_dir,
                                 extra_stylesheets=setup.extra_stylesheets, created=created,
                                 part=options, landing=landing, seam=seam)
        return layout, records
    layout = pdf.lay_out(anthology, documents, project_dir=setup.project_dir,
                         extra_stylesheets=setup.extra_stylesheets, created=created,
                         part=options)
    return layout, {}


def anchors(layout: Layout) -> dict[str, int]:
    """Link targets in a part: sections, titles, chapters (not every paragraph)."""
    found: dict[str, int] = {}
    for index, page in enumerate(layout.rendered.pages):
        for name in page.anchors:
            if name not in found and not BLOCK_ID.match(name):
                found[name] = index
    return found


def lay_out_body_part(task: BodyTask) -> PartResult:
    """Worker: lay out one story part without its margin boxes and write it."""
    from fanbind.pdf import layout as pdf  # deferred: see the module docstring

    anthology = task.anthology
    options = PartOptions(task.book_pages, first_story=task.first_story,
                          start_left=task.start_left, stubs=task.stubs)
    layout, records = lay_out_part(task.setup, anthology, task.documents, options, defer=True,
                                   created=PART_CREATED, landing=task.landing, seam=task.seam)
    rendered = layout.rendered
    plan = pdf.folio_plan(rendered, records)
    if plan is None:
        raise NotStampable(f"part {task.index}")
    if task.seam is not None:
        plan = task.seam.folio_plan(plan)
    pages = len(rendered.pages) - (1 if task.stubs else 0)
    if task.stubs:
        plan = replace(plan, pages=plan.pages[:pages])
    targets = {name: page for name, page in anchors(layout).items() if page < pages}
    first_title = f"{anthology.stories[0].id}-title"
    laid_left = START_LEFT_CLASS in layout.root_classes
    sides = f"{'-left' if laid_left else ''}{'-for-left' if layout.planned_left else ''}"
    target = task.setup.folder / f"part-{task.index:05d}{sides}.pdf"
    # The stand-ins' page is written (a link to a target missing from the PDF is
    # dropped) but counted nowhere: the join takes the part's first ``pages``.
    laid = PartResult(target, pages, laid_left, targets.get(first_title, 0),
                      tuple(page_id for page_id, _ in layout.page_map[:pages]), targets,
                      refused=tuple(layout.fetcher.refused),
                      fetched=tuple(layout.fetcher.fetched), folios=plan,
                      side_free=layout.side_free, planned_left=layout.planned_left,
                      passes=layout.passes)
    if task.early is not None:
        task.early.send(laid)  # its folios can be drawn while it is written
    result = pdf.write_layout(layout, target)
    return replace(laid, warnings=result.warnings, refused=result.refused,
                   fetched=result.fetched)


def stamp_body_part(task: StampTask) -> tuple[Path, tuple[str, ...], tuple[bool, ...]]:
    """Worker: draw a story part's margin boxes, its folios moved on by ``task.offset``."""
    from fanbind.pdf import layout as pdf  # deferred: see the module docstring

    setup = task.setup
    target = setup.folder / f"stamp-{task.index:05d}-{task.offset}{'-f' if task.flip else ''}.pdf"
    warnings, drawn = pdf.stamp_folios(
        task.plan, target, page_offset=task.offset, page_total=task.total,
        project_dir=setup.project_dir, extra_stylesheets=setup.extra_stylesheets,
        geometry_css=task.geometry_css, part_css=setup.part_css, carried=task.carried,
        flip=task.flip)
    return target, warnings, drawn


#: In a worker: its end of the pool's lines (:meth:`PdfWorkers.start`): the shared
#: line to the building process and its lock, this worker's own line back, its slot.
_LINES: tuple[Connection, Any, Connection, int] | None = None


def _take_lines(messages: Connection, lock: Any, answers: list[Connection], slots: Any,
                warm: bool = False) -> None:
    """A worker's start: claim a slot, and with it a line for the answers; with
    ``warm``, import :mod:`fanbind.pdf.layout` meanwhile (:class:`PdfWorkers`)."""
    global _LINES
    with slots.get_lock():
        slot = slots.value
        slots.value += 1
    _LINES = (messages, lock, answers[slot], slot)
    if warm:
        # In a thread: the worker waits for its first task meanwhile, and that
        # task's own import of the module waits for this one (the import lock).
        threading.Thread(target=_import_layout, name=WARMING, daemon=True).start()


#: The name of a worker's thread importing :mod:`fanbind.pdf.layout` as it starts.
WARMING = "fanbind-import-layout"


def _import_layout() -> None:
    """Import WeasyPrint. At the thread's normal priority: a lower one (tried) made
    the worker's first part wait on the import lock for a thread that a busy
    machine hardly ran (the part's layout started later than with no warm start)."""
    importlib.import_module("fanbind.pdf.layout")


@dataclass(frozen=True)
class PoolChannel:
    """A piece's channel to the building process from a worker (see :class:`SideLanding`).

    Every message goes up the pool's one shared line as ``(build, part, slot,
    payload)``: the planned ``(pages, lands_left)`` or the part as laid out (a
    :class:`PartResult`, before it is written: :attr:`BodyTask.early`) with no
    slot, or a request for the side with the worker's slot, answered on that
    worker's own line (None: the build stopped).
    """

    build: int
    index: int

    def send(self, message: tuple[int, bool] | PartResult) -> None:
        assert _LINES is not None  # in a worker of PdfWorkers
        messages, lock, _, _ = _LINES
        with lock:
            messages.send((self.build, self.index, None, message))

    def recv(self) -> bool:
        assert _LINES is not None
        messages, lock, answers, slot = _LINES
        with lock:
            messages.send((self.build, self.index, slot, None))
        side = answers.recv()
        if side is None:
            raise RuntimeError("the build stopped")
        return bool(side)


def ask_building(build: int, index: int, payload: Any) -> Any:
    """From a worker: ``payload`` up the pool's shared line, as :class:`PoolChannel`
    sends, and the answer on this worker's own line (:meth:`PdfWorkers.answer`)."""
    assert _LINES is not None  # in a worker of PdfWorkers
    messages, lock, answers, slot = _LINES
    with lock:
        messages.send((build, index, slot, payload))
    return answers.recv()


def tell_building(build: int, index: int, payload: Any) -> None:
    """From a worker: ``payload`` up the pool's shared line, no answer wanted."""
    assert _LINES is not None  # in a worker of PdfWorkers
    messages, lock, _, _ = _LINES
    with lock:
        messages.send((build, index, None, payload))


class PdfWorkers:
    """The worker processes that lay out and number a book's story parts.

    Forked, like the story workers, but as early as possible: a build starts
    them (:meth:`start`) before it reads the stories, so they hold the imported
    code and the settings and nothing of the book (1,000 stories are 450 MB of
    model and documents in the building process, which a worker forked later
    would carry as its own). Each task brings its own stories
    (:class:`BodyTask`), so a worker's memory is that of its part plus what
    WeasyPrint keeps between layouts (about 1.5 MB a part). Forked, not started
    by a fork server: the workers are this process's children, so the
    operating system's accounting (``getrusage``, ``time -v``) sees them, and
    they never import the caller's main module.
    """

    def __init__(self, jobs: int, *, warm: bool = False) -> None:
        self.jobs = jobs
        #: Each worker imports WeasyPrint as it starts, before any task (a rebuild
        #: that will lay out a part: see early_pdf_workers).
        self.warm = warm
        self.pool: ProcessPoolExecutor | None = None
        #: The building process's ends of the lines to the workers (:class:`PoolChannel`).
        self.messages: Connection | None = None
        self._answers: list[Connection] = []
        #: Parts laid out ahead, while the book is read (:mod:`fanbind.pdf.ahead`),
        #: by part index, until taken (:meth:`take_ahead`) or dropped.
        self.ahead: dict[int, _Ahead] = {}
        self._taken = 0  # parts laid out ahead and taken

    def start(self) -> PdfWorkers:
        """Fork the workers now (a pool with the fork method starts them all at once),
        with the lines a piece of a long story asks its side on."""
        if self.pool is None and self.jobs > 1:
            context = pool_context()
            self.messages, up = context.Pipe(duplex=False)
            lines = [context.Pipe(duplex=False) for _ in range(self.jobs)]
            self._answers = [send for _, send in lines]
            self.pool = process_pool(self.jobs, _take_lines, up, context.Lock(),
                                     [receive for receive, _ in lines],
                                     context.Value("i", 0), self.warm)
            self.pool.submit(os.getpid).result()
        return self

    def answer(self, slot: int, side: Any) -> None:
        """Tell the worker in ``slot`` the side it asked for (None: stop waiting), or
        what else it asked for (:func:`ask_building`)."""
        self._answers[slot].send(side)

    def close(self) -> None:
        self.drop_ahead()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def stop(self) -> None:
        """Kill the workers now (an error or a signal ended the build): a part being
        laid out is not worth waiting for."""
        self.ahead.clear()
        self._taken = 0
        if self.pool is not None:
            stop_pool(self.pool)
            self.pool = None

    def lay_out_ahead(self, index: int, key: str, book_pages: int, task: BodyTask) -> None:
        """Start laying out part ``index`` as the reader planned it
        (:class:`fanbind.pdf.ahead.AheadPart`), for :class:`fanbind.pdf.landing.Parts`
        to take when it is the part it wants."""
        self.ahead[index] = _Ahead(key, book_pages, self.submit(lay_out_body_part, task))

    def take_ahead(self, index: int, key: str, book_pages: int
                   ) -> tuple[int, Future[PartResult]] | None:
        """The layout of part ``index`` started ahead, when it was started from the
        same key and page count guess (its channels' build number, its future);
        None when there is none or it is of no use (another plan: see
        :mod:`fanbind.pdf.ahead`). While no part ahead was taken, one of no use
        stops every part ahead (the workers start again on demand)."""
        ahead = self.ahead.pop(index, None)
        if ahead is None:
            return None
        if (ahead.key, ahead.book_pages) == (key, book_pages):
            self._taken += 1
            return AHEAD_BUILD, ahead.future
        if not self._taken:
            self.stop()
        return None

    def drop_ahead(self) -> None:
        """Stop the parts laid out ahead that nothing took (the book was laid out
        otherwise): they would hold the workers, and closing would wait for them."""
        if any(not ahead.future.done() for ahead in self.ahead.values()):
            self.stop()
        self.ahead.clear()

    def __enter__(self) -> PdfWorkers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            self.stop()
        else:
            self.close()

    def submit(self, function: Callable[[Task], Outcome], task: Task) -> Future[Outcome]:
        """Run ``task`` on a worker (started now if need be)."""
        pool = self.start().pool
        assert pool is not None  # started: jobs > 1
        return pool.submit(function, task)

    def map(self, function: Callable[[Task], Outcome], tasks: Sequence[Task]
            ) -> list[Outcome]:
        if not tasks:
            return []
        if self.jobs == 1 or len(tasks) == 1:
            return [function(task) for task in tasks]  # no process to start for one task
        pool = self.start().pool
        assert pool is not None  # started: jobs > 1
        return list(pool.map(function, tasks))

    def map_later(self, function: Callable[[Task], Outcome], tasks: Sequence[Task]
                  ) -> Callable[[], list[Outcome]]:
        """:meth:`map`, handed to the workers now: the function returned waits for
        the outcomes (this process can work meanwhile). With one job, or one task
        and no worker started, the tasks run in this process when the outcomes are
        asked for."""
        if not tasks or self.jobs == 1 or (len(tasks) == 1 and self.pool is None):
            return lambda: [function(task) for task in tasks]
        pool = self.start().pool
        assert pool is not None  # started: jobs > 1
        futures = [pool.submit(function, task) for task in tasks]
        return lambda: [future.result() for future in futures]


@dataclass(frozen=True)
class _Ahead:
    """A part being laid out ahead: what it was planned from, and its layout."""

    key: str
    book_pages: int
    future: Future[PartResult]


def early_pdf_workers(words: Sequence[int], jobs: int | None, *, cold: bool = False,
                      warm: bool = False) -> PdfWorkers | None:
    """Workers for a build about to read stories of about ``words`` words each
    (their files' sizes tell, before they are read), when its PDF will likely be
    laid out in parts (:func:`fanbind.pdf.parts.parts_wanted`).

    ``cold``: nothing of the book's PDF is cached, so every part will be laid
    out. Then :mod:`fanbind.pdf.layout` (WeasyPrint, about 0.5 s of CPU) is
    imported here, once, before the fork: each worker would import it for its
    first part, and this process again for the front and back matter, after
    the last part — on the way to the finished book each time.

    ``warm``: some of it is cached, but a story changed, so a part will likely be
    laid out. Then each worker imports it as it starts, in the background, while
    this process reads the stories (before, a rebuild's worker imported it when
    its part arrived, after the reading: 0.5 s on the way to the book).
    """
    if not parts_wanted(words, jobs):
        return None
    if cold:
        from fanbind.pdf import layout  # noqa: F401  (deferred: see the module docstring)
    return PdfWorkers(jobs or default_jobs(), warm=warm and not cold).start()
