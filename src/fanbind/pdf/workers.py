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
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from fanbind.model import Anthology
from fanbind.pdf.arrange import START_LEFT_CLASS, PartOptions
from fanbind.pdf.parts import (
    PARALLEL_MIN_STORIES,
    PART_CREATED,
    Job,
    NotStampable,
    PartResult,
    Setup,
)
from fanbind.pdf.result import BLOCK_ID, FolioPlan
from fanbind.processes import default_jobs, process_pool, stop_pool
from fanbind.render import Document

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from fanbind.pdf.layout import Layout, MarginRecords

Task = TypeVar("Task")
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

    @classmethod
    def of(cls, job: Job, index: int, book_pages: int, start_left: bool = False) -> BodyTask:
        """The task of part ``index``; only a part inside a story (``continues``)
        can be asked to start on a verso, the others start where their story asks."""
        part = job.parts[index]
        stories = tuple(job.anthology.stories[i] for i in part.stories)
        # The story list of metadata.yaml stays behind: a part's layout never reads it
        # (the cache key leaves it out too), and a 1,000-story list is 450 KB a task.
        meta = job.anthology.meta.model_copy(update={"stories": [s.meta for s in stories]})
        return cls(index, book_pages, replace(job.anthology, meta=meta, stories=stories),
                   job.part_documents(part), 0 in part.stories, job.setup,
                   start_left and part.continues)


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
                 options: PartOptions, *, defer: bool, created: dt.datetime
                 ) -> tuple[Layout, MarginRecords]:
    """Lay out one part; with ``defer``, its margin boxes are left to be drawn later
    (:func:`fanbind.pdf.layout.deferred_folios`) and their records returned."""
    from fanbind.pdf import layout as pdf  # deferred: see the module docstring

    if defer:
        with pdf.deferred_folios() as records:
            layout = pdf.lay_out(anthology, documents, project_dir=setup.project_dir,
                                 extra_stylesheets=setup.extra_stylesheets, created=created,
                                 part=options)
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
                          start_left=task.start_left)
    layout, records = lay_out_part(task.setup, anthology, task.documents, options, defer=True,
                                   created=PART_CREATED)
    rendered = layout.rendered
    plan = pdf.folio_plan(rendered, records)
    if plan is None:
        raise NotStampable(f"part {task.index}")
    targets = anchors(layout)
    first_title = f"{anthology.stories[0].id}-title"
    target = task.setup.folder / f"part-{task.index:05d}{'-left' if task.start_left else ''}.pdf"
    result = pdf.write_layout(layout, target)
    return PartResult(target, len(rendered.pages), START_LEFT_CLASS in layout.root_classes,
                      targets.get(first_title, 0),
                      tuple(page_id for page_id, _ in layout.page_map), targets,
                      result.warnings, result.refused, result.fetched, plan,
                      side_free=layout.side_free)


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

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> PdfWorkers:
        """Fork the workers now (a pool with the fork method starts them all at once)."""
        if self.pool is None and self.jobs > 1:
            self.pool = process_pool(self.jobs)
            self.pool.submit(os.getpid).result()
        return self

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def stop(self) -> None:
        """Kill the workers now (an error or a signal ended the build): a part being
        laid out is not worth waiting for."""
        if self.pool is not None:
            stop_pool(self.pool)
            self.pool = None

    def __enter__(self) -> PdfWorkers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            self.stop()
        else:
            self.close()

    def map(self, function: Callable[[Task], Outcome], tasks: Sequence[Task]
            ) -> list[Outcome]:
        if not tasks:
            return []
        if self.jobs == 1 or len(tasks) == 1:
            return [function(task) for task in tasks]  # no process to start for one task
        pool = self.start().pool
        assert pool is not None  # started: jobs > 1
        return list(pool.map(function, tasks))


def early_pdf_workers(stories: int, jobs: int | None) -> PdfWorkers | None:
    """Workers for a build about to read ``stories`` stories, when its PDF will
    likely be laid out in parts (:func:`fanbind.pdf.parts.parallel_pdf_wanted`
    needs the word count, not known yet; a book under the story threshold starts
    its workers when it needs them)."""
    wanted = jobs > 1 if jobs is not None else \
        default_jobs() > 1 and stories >= PARALLEL_MIN_STORIES
    return PdfWorkers(jobs or default_jobs()).start() if wanted else None
