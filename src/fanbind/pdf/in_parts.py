"""A book's PDF laid out in parts on every core and joined: :func:`write_parallel_pdf`.

The steps: plan the parts (:mod:`fanbind.pdf.parts`), lay out the story parts
that are not cached (:mod:`fanbind.pdf.workers`, :mod:`fanbind.pdf.landing`),
draw each story part's folios and lay out the front and back matter with the
real page numbers (:mod:`fanbind.pdf.matter`) — both as soon as what they print
is known, beside the layouts (:mod:`fanbind.pdf.numbering`) — and join
(:mod:`fanbind.pdf.join`). Why each step is there: ``docs/pdf-in-parts.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from fanbind.cache import ProjectCache
from fanbind.model import Anthology
from fanbind.pdf.ahead import book_count_key, guess_book_pages
from fanbind.pdf.geometry import gutter_band, page_geometry
from fanbind.pdf.holding import HOLD_WORDS, RUN_ON_WORDS, Round, read_parts, run_on
from fanbind.pdf.join import JoinedPart, JoinOptions, JoinPlan, join
from fanbind.pdf.landing import Parts
from fanbind.pdf.matter import Matter
from fanbind.pdf.numbering import Numbering, place
from fanbind.pdf.parts import (
    BOOK_NAMESPACE,
    MIN_PART_WORDS,
    PART_NAMESPACE,
    Digests,
    Job,
    NotStampable,
    Part,
    PartResult,
    Reporter,
    Setup,
    dependencies,
    dependencies_match,
    guess_reference_folios,
    page_references,
    page_references_resolve,
    plan_parts,
    reference_folios_key,
    seams_are_breaks,
    sides_differ_only_in_margins,
    stampable_stylesheets,
)
from fanbind.pdf.result import PdfResult
from fanbind.pdf.rows import RunningFlow
from fanbind.pdf.running import (
    NoSeams,
    RowsTask,
    Seam,
    StoryPlanner,
    first_round_seam,
    rows_key,
)
from fanbind.pdf.workers import BodyTask, PdfWorkers
from fanbind.processes import default_jobs
from fanbind.render import Document

#: Layouts of the story parts' page references at most: the guess, the real folios,
#: and once more should a part's new page count move the back matter.
REFERENCE_ROUNDS = 3


def write_parallel_pdf(
    anthology: Anthology,
    documents: list[Document],
    target: Path,
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created: dt.datetime,
    jobs: int | None = None,
    report: Reporter | None = None,
    cache: ProjectCache | None = None,
    while_joining: Callable[[PdfResult], None] | None = None,
    workers: PdfWorkers | None = None,
    join_options: JoinOptions | None = None,
    part_words: int = MIN_PART_WORDS,
    hold_words: int = HOLD_WORDS,
    reference_folios: Mapping[str, int] | None = None,
) -> PdfResult | None:
    """Lay the book out in parts on ``jobs`` worker processes and join them into ``target``.

    Returns a :class:`~fanbind.pdf.result.PdfResult` like
    :func:`fanbind.pdf.layout.write_pdf`, or None when the book cannot be cut
    into parts (then the caller lays it out in one piece). With ``cache``, story
    parts and their folios come from and go to the project's cache.
    ``while_joining`` is called once with the final result (page count, page map)
    while the pages are being joined, in another process for a big book
    (:class:`~fanbind.pdf.join.JoinOptions`): the build writes the EPUB
    meanwhile. An error it raises stops the join. ``workers`` are processes
    started earlier (:func:`fanbind.pdf.workers.early_pdf_workers`); without
    them, workers are forked here. ``part_words``: the least words of a part
    inside a long story (:func:`fanbind.pdf.parts.plan_parts`). ``hold_words``: the
    words of a story without chapters whose first renders a worker keeps to make
    their pages from (:mod:`fanbind.pdf.holding`; 0: every part rendered twice).
    ``reference_folios``: the folios a story part's page references are first laid
    out with (``warnings_display: end``; a target missing from it: the page count);
    None: the last build's, else the page count
    (:func:`fanbind.pdf.parts.guess_reference_folios`).
    """
    join_options = join_options or JoinOptions()
    balance = jobs is None  # a small book shares out by words by default
    jobs = jobs or default_jobs()
    for inside_text in (True, False):
        parts = plan_parts(anthology, documents, jobs, part_words=part_words,
                           inside_stories=seams_are_breaks(extra_stylesheets),
                           inside_text=inside_text, balance=balance,
                           run_on=RUN_ON_WORDS if hold_words else 0)
        if parts is None or not stampable_stylesheets(extra_stylesheets) \
                or not page_references_resolve(parts, documents, anthology):
            return None
        if inside_text and not any(part.running for part in parts):
            inside_text = False
        try:
            return _write_parts(anthology, documents, parts, target, project_dir=project_dir,
                                extra_stylesheets=extra_stylesheets, created=created,
                                jobs=jobs, report=report, cache=cache,
                                while_joining=while_joining, workers=workers,
                                join_options=join_options, hold_words=hold_words,
                                reference_folios=reference_folios)
        except NoSeams:
            if not inside_text:
                raise
            # A story without chapters whose planned pages start where no part
            # can: laid out in one part (pdf/running.py).
            continue
    return None


def _write_parts(anthology: Anthology, documents: list[Document], parts: list[Part],
                 target: Path, *, project_dir: Path, extra_stylesheets: tuple[Path, ...],
                 created: dt.datetime, jobs: int, report: Reporter | None,
                 cache: ProjectCache | None,
                 while_joining: Callable[[PdfResult], None] | None,
                 workers: PdfWorkers | None, join_options: JoinOptions,
                 hold_words: int, reference_folios: Mapping[str, int] | None
                 ) -> PdfResult | None:
    """:func:`write_parallel_pdf` for the book cut into ``parts``."""
    config = anthology.meta.print
    # The gutter depends on the page count, known only after layout: start from the
    # last build's count (so its cached parts fit), else from the word count.
    book_pages = guess_book_pages(anthology, cache)
    bodies = [p for p in parts if p.kind == "body"]
    references = page_references(parts, documents, anthology) or {}
    guesses = guess_reference_folios(anthology, references, reference_folios, cache,
                                     book_pages)
    with tempfile.TemporaryDirectory(prefix="fanbind-parts-") as folder, \
            contextlib.ExitStack() as own:
        job = Job(anthology, documents, bodies, Setup(project_dir, extra_stylesheets,
                                                      Path(folder)))
        if workers is None:
            workers = own.enter_context(PdfWorkers(jobs))
        joined = None
        for last in (False, True):

            def settled(total: int, last: bool = last, guess: int = book_pages) -> bool:
                # Lay out again in the rare case that the real count falls in
                # another row of the gutter table.
                return last or gutter_band(total) == gutter_band(guess) or \
                    not page_geometry(config, pages=total).mirrored

            try:
                outcome = _build_once(job, parts, workers, book_pages, created=created,
                                      cache=cache, report=report, target=target,
                                      settled=settled, while_joining=while_joining,
                                      join_options=join_options, hold_words=hold_words,
                                      references=references, guesses=guesses)
            except NotStampable:
                return None
            if isinstance(outcome, int):  # the page count, in another gutter row
                book_pages = outcome
                continue
            joined = outcome
            break
        assert joined is not None  # the second layout is always settled
    if cache is not None:
        cache.put(BOOK_NAMESPACE, book_count_key(anthology), joined.pages)
        if references:
            cache.put(BOOK_NAMESPACE, reference_folios_key(anthology), dict(guesses))
    return joined


def _build_once(job: Job, parts: list[Part], workers: PdfWorkers, book_pages: int, *,
                created: dt.datetime, cache: ProjectCache | None, report: Reporter | None,
                target: Path, settled: Callable[[int], bool],
                while_joining: Callable[[PdfResult], None] | None,
                join_options: JoinOptions, hold_words: int,
                references: dict[int, tuple[str, ...]], guesses: dict[str, int]
                ) -> PdfResult | int:
    """One layout of the whole book with the gutter of ``book_pages``; joined into ``target``.

    Returns the joined book's PdfResult, or only its page count when ``settled``
    says that count needs another gutter (then nothing is numbered or joined).
    ``references``: the targets in other parts whose page numbers each story part
    prints, laid out at the folios in ``guesses``, which get the real ones.
    """
    folder = job.setup.folder
    geometry = page_geometry(job.anthology.meta.print, pages=book_pages)
    geometry_css = geometry.css()
    digests = Digests()
    # Each piece of a long story is made up for the side it lands on, known once the
    # pieces before it are planned (pdf/landing.py); laid out starting on a recto,
    # it is moved across by the join when only the margins differ between the sides.
    movable = sides_differ_only_in_margins(geometry, job.setup.extra_stylesheets)
    laying = Parts(job, workers, book_pages, geometry_css, movable, cache, digests)
    laying.stubs = {index: tuple((name, guesses[name]) for name in names)
                    for index, names in references.items()}
    # The folios and the matter start as soon as what they print is known, beside
    # the layouts (pdf/numbering.py).
    numbering = Numbering(job, parts, workers, book_pages, geometry_css, movable, cache,
                          digests, report, join_options.beside_layouts)
    laying.on_known = numbering.heard
    planned, first = _plan_stories(job, laying, workers, book_pages, report, hold_words) \
        if any(part.running for part in job.parts) else ({}, Round({}, {}, {}))
    laying.lay_out(report)
    again = []
    for made in first.made():  # the parts made up from their first render's boxes
        if made.result is None:
            laying.not_remade[made.index] = made.not_remade
            again.append(made.index)
        else:
            laying.remade.append(made.index)
            laying.take(made.index, made.result)
    laying.lay_out_seams(again)
    for index, pages in planned.items():
        if laying.results[index].pages != pages:  # the plan's model missed
            numbering.settle()
            raise NoSeams(f"part {index}: {laying.results[index].pages} pages, not {pages}")
    missing = sorted(laying.laid_out)
    relaid: list[int] = []
    for attempt in range(REFERENCE_ROUNDS):
        for round_ in range(4):
            ordered = [laying.results[i] for i in range(len(job.parts))]
            # A part laid out with another page count than planned moves the sides of
            # the parts after it in its story: those whose makeup differs by side are
            # laid out again (a few rounds at most; what is still wrong then is moved
            # across).
            placed = place(ordered, job.parts, movable)
            if not placed.wrong or round_ == 3:
                break
            laying.relay(placed.wrong, {i: placed.starts[i] % 2 == 0 for i in placed.wrong})
            relaid += placed.wrong
        matter = numbering.front_and_back(ordered, placed)
        # A part whose page references printed other folios than the targets have
        # (a wrong guess) is laid out again with the real ones; a page count that
        # changes with them moves what follows, so the loop goes round again.
        misprinted = {}
        for index, names in references.items():
            if any(name not in matter.folios for name in names):
                numbering.settle()
                raise NotStampable(f"part {index}: a page reference without its target")
            printed = tuple((name, matter.folios[name]) for name in names)
            if laying.stubs.get(index) != printed:
                misprinted[index] = printed
        if not misprinted:
            guesses.update({name: matter.folios[name] for names in references.values()
                            for name in names})  # the next gutter row's, and the cache's
            break
        if attempt == REFERENCE_ROUNDS - 1:
            numbering.settle()
            raise NotStampable("the page references do not settle")  # one piece
        laying.restub(misprinted, {i: placed.starts[i] % 2 == 0 for i in misprinted})
        relaid += list(misprinted)
    flipped = placed.flipped
    total = matter.total
    if not settled(total):
        numbering.settle()  # the workers' files are in the build's folder: let them finish
        return total
    unstamped = numbering.stamps(ordered, placed, total, relaid)
    if report:
        report("joining the parts")
    # A flipped part's pages move by the difference of the side margins: a page laid
    # out as a recto (text block at the inner margin) becomes a verso, and back.
    move = geometry.outer - geometry.inner
    shifts = [tuple((move if (local % 2 == 0) != body.start_left else -move)
                    for local in range(body.pages)) if flipped[i] else ()
              for i, body in enumerate(ordered)]
    plan = _join_plan(ordered, matter, target, created=created,
                      share_fonts=join_options.share_fonts, shifts=shifts,
                      continues=[part.continues for part in job.parts])
    if cache is not None and cache.enabled:  # the shared fonts kept (pdf/join.py)
        plan = replace(plan, fonts_cache=cache.root)
    joined = _joined_result(ordered, matter, plan)
    join(plan, apart=matter.total > join_options.apart_pages, folder=folder,
         meanwhile=(lambda: while_joining(joined)) if while_joining is not None else None)
    return replace(joined, parts=len(ordered), parts_laid_out=tuple(missing),
                   parts_stamped=tuple(unstamped), matter_laid_out=matter.laid_out,
                   stamped_early=tuple(numbering.stamped_early),
                   matter_early=numbering.matter_early,
                   parts_relaid=tuple(relaid), parts_flipped=tuple(
                       i for i, flip in enumerate(flipped) if flip),
                   parts_sided=tuple(i for i, body in enumerate(ordered)
                                     if job.parts[i].span and not body.side_free),
                   parts_passes=tuple(body.passes if i in laying.laid_out else 0
                                      for i, body in enumerate(ordered)),
                   parts_running=tuple((i, seam.split is not None, left)
                                       for i, (seam, left) in sorted(laying.seams.items())),
                   parts_read=tuple(sorted(laying.read)),
                   parts_remade=tuple(sorted(laying.remade)),
                   parts_not_remade=tuple(sorted(laying.not_remade.items())),
                   parts_ahead=tuple(laying.ahead),
                   parts_spliced=tuple((i, body.spliced) for i, body in enumerate(ordered)
                                       if i in laying.laid_out and body.spliced is not None))


def _plan_stories(job: Job, laying: Parts, workers: PdfWorkers, book_pages: int,
                  report: Reporter | None, hold_words: int) -> tuple[dict[int, int], Round]:
    """Plan each story without chapters cut into parts as one (pdf/running.py): the
    first render of every such part, on the workers, then the story's plan; each
    part's seam goes to ``laying``, with its planned page count and side; returns
    those page counts, and the first round, whose held parts the workers make up
    from their first render's boxes (pdf/holding.py: ``Round.made``)."""
    running = [i for i, part in enumerate(job.parts) if part.running]
    flows: dict[int, RunningFlow] = {}
    keys: dict[int, str] = {}
    first = Round({}, {}, {})
    for index in running:
        part = job.parts[index]
        document = job.documents[part.documents[0]]
        seam = first_round_seam(document)
        if laying.cache is not None:
            keys[index] = rows_key(job, part, seam, laying.geometry_css)
            entry = laying.cache.get(PART_NAMESPACE, keys[index])
            if isinstance(entry, dict) and dependencies_match(entry, laying.digests):
                flows[index] = entry["rows"]
                continue
        task = BodyTask.of(job, index, book_pages)
        first.plain[index] = RowsTask(index, book_pages, task.anthology, task.documents,
                                      task.first_story, job.setup, seam)
        assert part.span is not None  # a part inside its story
        end, until, first.words[index] = run_on(document, part.span)
        longer = replace(part, span=(part.span[0], end))
        ran_on = BodyTask.of(job, index, book_pages, documents=job.part_documents(longer))
        first.held[index] = replace(first.plain[index], documents=ran_on.documents,
                                    seam=replace(seam, hold=True, until=until))
    if report and first.plain:
        report(f"reading {len(first.plain)} story parts on {workers.jobs} cores")
    planned: dict[int, int] = {}
    # One planner a story: each part is planned as soon as the rows read so far
    # decide its pages (pdf/running.py: StoryPlanner), its seam sent to the lane
    # holding it meanwhile.
    planners: dict[int, tuple[StoryPlanner, list[int]]] = {}
    for index in running:
        story_index = job.parts[index].stories[0]
        if story_index not in planners:
            indexes = [i for i in running if job.parts[i].stories[0] == story_index]
            part = job.parts[indexes[0]]
            planners[story_index] = (StoryPlanner(
                job.documents[part.documents[0]],
                [job.parts[i].span or (0, 0) for i in indexes]), indexes)

    def plan(index: int, flow: RunningFlow, read: bool = True
             ) -> dict[int, tuple[Seam, bool]]:
        flows[index] = flow
        if read:
            laying.read.append(index)
            if laying.cache is not None:
                laying.cache.put(PART_NAMESPACE, keys[index], {
                    "rows": flow, "dependencies": dependencies(
                        flow.fetched, flow.refused, job.setup.project_dir, laying.digests)})
        planner, indexes = planners[job.parts[index].stories[0]]
        head = flows.get(indexes[0])
        ready = {}
        for k, part_plan in planner.add(indexes.index(index), flow).items():
            assert head is not None  # the story's first part is planned first
            at = indexes[k]
            left = part_plan.left if k else head.first_verso != (head.before % 2 == 0)
            laying.seams[at] = ready[at] = (part_plan.seam, left)
            laying.counts[at] = (part_plan.pages, left)
            planned[at] = part_plan.pages
        return ready

    for index, flow in sorted(flows.items()):  # the parts' rows from the cache
        plan(index, flow, read=False)
    if first.plain:
        read_parts(workers, first, plan, hold_words=hold_words)
    laying.held = set(first.kept)
    return planned, first


def _join_plan(bodies: list[PartResult], matter: Matter, target: Path, *,
               created: dt.datetime, share_fonts: bool, shifts: list[tuple[float, ...]],
               continues: list[bool]) -> JoinPlan:
    """The join's plain-data plan: files, page order, the build date as PDF writes it."""
    joined_parts = []
    for body, shift, inside in zip(bodies, shifts, continues, strict=True):
        assert body.file is not None and body.stamp is not None  # laid out and stamped
        joined_parts.append(JoinedPart(body.file, body.stamp, body.drawn, body.ids,
                                       shift, inside))
    assert matter.front.file is not None
    return JoinPlan(matter.front.file, matter.front.ids,
                    matter.back.file if matter.back else None,
                    matter.back.ids if matter.back else [], matter.slots,
                    matter.first_body_index, joined_parts, target,
                    created.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ"), share_fonts)


def _joined_result(bodies: list[PartResult], matter: Matter, plan: JoinPlan) -> PdfResult:
    """What the joined book will be (page count, page map, warnings), before the join."""
    warnings = [w for b in bodies for w in b.warnings]
    refused = [r for b in bodies for r in b.refused]
    fetched = [f for b in bodies for f in b.fetched]
    for laid in (matter.front, matter.back):
        if laid is not None:
            warnings += list(laid.result.warnings)
            refused += list(laid.result.refused)
            fetched += list(laid.result.fetched)
    return PdfResult(len(plan.slots), tuple(dict.fromkeys(refused)),
                     tuple(dict.fromkeys(warnings)), page_map=plan.page_map(),
                     trim=matter.front.trim, fetched=tuple(dict.fromkeys(fetched)))
