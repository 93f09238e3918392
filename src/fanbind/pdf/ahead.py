"""A long story's first parts handed to the workers while the book is still being read.

A cold build reads its stories in a process of its own (:mod:`fanbind.reading_ahead`)
while the building process imports WeasyPrint and forks the PDF workers. Before,
the workers then waited for the whole book: its lint, its trip back to the
building process (pickled: 0.2 s for a 300,000-word story), its documents and the
parts' plan. A book of one long story is planned from that story alone, so the
reader plans it as soon as the story is loaded (:func:`first_parts`), and the
tasks of the first part per worker go up to the building process, which hands
them to the workers (:meth:`fanbind.pdf.workers.PdfWorkers.lay_out_ahead`) and
goes back to waiting for the book.

**The book is the one the plan would give, whatever the timing.** A part laid out
ahead is only *offered*: when :class:`fanbind.pdf.landing.Parts` comes to hand
out a part, it takes the one laid out ahead only when its cache key
(:func:`fanbind.pdf.parts.part_key`: everything the part's layout reads, the key
that lets a later build take the part from the cache instead of laying it out)
and its page count guess are those of the part it would hand out itself; any
other is dropped (its workers stopped while nothing ahead was taken) and the part
is laid out from the plan. So the reader's plan never has to be proven equal to
the building process's: a part of another plan, of another book (an error later
in the read), of another gutter row, is laid out again and never joined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fanbind.cache import ProjectCache, make_key
from fanbind.model import Anthology
from fanbind.pdf.arrange import has_class
from fanbind.pdf.geometry import estimate_pages, page_geometry
from fanbind.pdf.holding import RUN_ON_WORDS
from fanbind.pdf.landing import Parts
from fanbind.pdf.parts import (
    BOOK_NAMESPACE,
    MIN_PART_WORDS,
    Job,
    Part,
    Setup,
    guess_reference_folios,
    page_references,
    plan_parts,
    seams_are_breaks,
    sides_differ_only_in_margins,
    stampable_stylesheets,
    story_section,
)
from fanbind.pdf.workers import AHEAD_BUILD, BodyTask, PdfWorkers, PoolChannel, SideLanding
from fanbind.processes import default_jobs
from fanbind.render import Document


@dataclass(frozen=True)
class AheadPart:
    """A part's task as the reader planned it, with what it must match to be taken."""

    index: int
    key: str
    book_pages: int
    task: BodyTask
    #: Planned from the story as parsed, before it was typeset (else as loaded).
    parsed: bool = False


def book_count_key(anthology: Anthology) -> str:
    """The cache key of the book's page count, remembered from the last build."""
    return make_key("book pages", anthology.meta.print.model_dump_json(),
                    len(anthology.stories))


def guess_book_pages(anthology: Anthology, cache: ProjectCache | None) -> int:
    """The page count the first layout's gutter is chosen by: the last build's
    (so its cached parts fit), else an estimate from the words."""
    remembered = cache.get(BOOK_NAMESPACE, book_count_key(anthology)) \
        if cache is not None else None
    if isinstance(remembered, int):
        return remembered
    return estimate_pages([s.words for s in anthology.stories],
                          page_geometry(anthology.meta.print, pages=1))


@dataclass(frozen=True)
class Plan:
    """The book's story parts as :func:`fanbind.pdf.in_parts.write_parallel_pdf`
    plans them, the page references each prints, and how many of the first (at
    most one per worker) are pieces of a long story cut at its chapters."""

    bodies: list[Part]
    references: dict[int, tuple[str, ...]]
    leading: int


def plan_ahead(anthology: Anthology, documents: Sequence[Document], *,
               extra_stylesheets: tuple[Path, ...], jobs: int | None,
               part_words: int = MIN_PART_WORDS) -> Plan | None:
    """The :class:`Plan`; None when nothing would be laid out ahead."""
    balance = jobs is None
    jobs = jobs or default_jobs()
    if jobs < 2 or not stampable_stylesheets(extra_stylesheets):
        return None
    parts = plan_parts(anthology, documents, jobs, part_words=part_words,
                       inside_stories=seams_are_breaks(extra_stylesheets), balance=balance,
                       run_on=RUN_ON_WORDS)  # as write_parallel_pdf plans with held renders
    references = page_references(parts, documents, anthology) if parts is not None else None
    if parts is None or references is None:
        return None
    bodies = [part for part in parts if part.kind == "body"]
    leading = 0
    for part in bodies[:jobs]:
        if part.span is None or part.running:
            break  # whole stories, or a story without chapters (planned as one first)
        leading += 1
    return Plan(bodies, references, leading) if leading else None


def chapters_ahead(plan: Plan, documents: Sequence[Document]) -> int:
    """How many of the long story's chapters the leading parts of ``plan`` hold."""
    last = plan.bodies[plan.leading - 1]
    assert last.span is not None  # a piece of a long story: see plan_ahead
    section = story_section(documents[last.documents[0]])
    return 0 if section is None else sum(1 for child in section[:last.span[1]]
                                         if has_class(child, "chapter"))


def first_parts(anthology: Anthology, documents: Sequence[Document], *, project_dir: Path,
                extra_stylesheets: tuple[Path, ...], jobs: int | None,
                folder: Callable[[], Path], cache: ProjectCache | None = None,
                part_words: int = MIN_PART_WORDS, parsed: bool = False,
                plan: Plan | None = None) -> list[AheadPart]:
    """The tasks :meth:`Parts.lay_out` would hand out first in a cold build of this
    book (one per worker): the leading pieces of a long story cut at its chapters,
    none when the book is not cut so or a part is cached. ``folder``: makes the
    folder the parts are written to (it must last the build); ``parsed``: the
    story is as parsed but for those parts' chapters (:attr:`AheadPart.parsed`);
    ``plan``: the book's, made already (of the story as parsed: its cut points
    follow the words, which typesetting keeps; a part of another plan is dropped)."""
    plan = plan or plan_ahead(anthology, documents, extra_stylesheets=extra_stylesheets,
                              jobs=jobs, part_words=part_words)
    if plan is None:
        return []
    bodies, references = plan.bodies, plan.references
    jobs = jobs or default_jobs()
    book_pages = guess_book_pages(anthology, cache)
    geometry = page_geometry(anthology.meta.print, pages=book_pages)
    job = Job(anthology, list(documents), bodies,
              Setup(project_dir, extra_stylesheets, folder()))
    laying = Parts(job, PdfWorkers(jobs), book_pages, geometry.css(),
                   sides_differ_only_in_margins(geometry, extra_stylesheets), cache)
    # With the stand-ins the build lays its page references out with (pdf/in_parts.py).
    guesses = guess_reference_folios(anthology, references, None, cache, book_pages)
    laying.stubs = {index: tuple((name, guesses[name]) for name in names)
                    for index, names in references.items()}
    found = []
    for index in range(plan.leading):
        if not laying._unknown(index):
            break  # the cache may serve it: only what is surely laid out goes ahead
        # As Parts.lay_out hands it out while the parts before it are not planned.
        landing = SideLanding(laying.free[index], laying.movable, None,
                              PoolChannel(AHEAD_BUILD, index))
        task = BodyTask.of(job, index, book_pages, laying.laid_left(index, None), landing,
                           stubs=laying.stubs.get(index, ()))
        found.append(AheadPart(index, laying.key(index, None), book_pages,
                               replace(task, early=PoolChannel(AHEAD_BUILD, index)), parsed))
    return found
