"""A book's PDF laid out in parts on every core and joined: :func:`write_parallel_pdf`.

The steps, in order: plan the parts (:mod:`fanbind.pdf.parts`), lay out the
story parts that are not cached (:mod:`fanbind.pdf.workers`), lay out the front
and back matter with the real page numbers (:mod:`fanbind.pdf.matter`), draw
each story part's folios, and join (:mod:`fanbind.pdf.join`). Why each step is
there: ``docs/pdf-in-parts.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from fanbind.cache import ProjectCache, make_key
from fanbind.model import Anthology
from fanbind.pdf.geometry import estimate_pages, gutter_band, page_geometry
from fanbind.pdf.join import JoinedPart, JoinOptions, JoinPlan, join
from fanbind.pdf.matter import Matter, lay_out_front_and_back
from fanbind.pdf.parts import (
    BOOK_NAMESPACE,
    MIN_PART_WORDS,
    PART_NAMESPACE,
    STAMP_NAMESPACE,
    Digests,
    Job,
    NotStampable,
    Part,
    PartResult,
    Reporter,
    Setup,
    carried_strings,
    dependencies,
    dependencies_match,
    page_references_resolve,
    part_key,
    plan_parts,
    positions,
    seams_are_breaks,
    sides_differ_only_in_margins,
    stampable_stylesheets,
    uses_page_total,
)
from fanbind.pdf.result import PdfResult
from fanbind.pdf.workers import (
    BodyTask,
    PdfWorkers,
    StampTask,
    lay_out_body_part,
    stamp_body_part,
)
from fanbind.processes import default_jobs
from fanbind.render import Document


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
    inside a long story (:func:`fanbind.pdf.parts.plan_parts`).
    """
    join_options = join_options or JoinOptions()
    jobs = jobs or default_jobs()
    parts = plan_parts(anthology, documents, jobs, part_words=part_words,
                       inside_stories=seams_are_breaks(extra_stylesheets))
    if parts is None or not stampable_stylesheets(extra_stylesheets) \
            or not page_references_resolve(parts, documents):
        return None
    config = anthology.meta.print
    first_guess = page_geometry(config, pages=1)
    # The gutter depends on the page count, known only after layout: start from the
    # last build's count (so its cached parts fit), else from the word count.
    count_key = make_key("book pages", config.model_dump_json(), len(anthology.stories))
    remembered = cache.get(BOOK_NAMESPACE, count_key) if cache is not None else None
    book_pages = remembered if isinstance(remembered, int) else \
        estimate_pages([s.words for s in anthology.stories], first_guess)
    bodies = [p for p in parts if p.kind == "body"]
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
                                      join_options=join_options)
            except NotStampable:
                return None
            if isinstance(outcome, int):  # the page count, in another gutter row
                book_pages = outcome
                continue
            joined = outcome
            break
        assert joined is not None  # the second layout is always settled
    if cache is not None:
        cache.put(BOOK_NAMESPACE, count_key, joined.pages)
    return joined


def _build_once(job: Job, parts: list[Part], workers: PdfWorkers, book_pages: int, *,
                created: dt.datetime, cache: ProjectCache | None, report: Reporter | None,
                target: Path, settled: Callable[[int], bool],
                while_joining: Callable[[PdfResult], None] | None,
                join_options: JoinOptions) -> PdfResult | int:
    """One layout of the whole book with the gutter of ``book_pages``; joined into ``target``.

    Returns the joined book's PdfResult, or only its page count when ``settled``
    says that count needs another gutter (then nothing is numbered or joined).
    """
    folder = job.setup.folder
    geometry = page_geometry(job.anthology.meta.print, pages=book_pages)
    geometry_css = geometry.css()
    digests = Digests()
    # Every part is first laid out starting where its story asks (a part inside a
    # story: on a recto); one that lands on the other side is moved across by the
    # join when only the margins differ between the sides, else laid out again.
    movable = sides_differ_only_in_margins(geometry, job.setup.extra_stylesheets)
    laid_left = [False] * len(job.parts)
    bodies: dict[int, PartResult] = {}
    missing: list[int] = []
    relaid: list[int] = []
    rounds = 0
    while True:
        wanted = [i for i in range(len(job.parts)) if i not in bodies]
        keys = {i: part_key(job, job.parts[i], geometry_css, laid_left[i])
                if cache is not None else "" for i in wanted}
        for index in wanted:
            entry = cache.get(PART_NAMESPACE, keys[index]) if cache is not None else None
            if isinstance(entry, dict) and dependencies_match(entry, digests):
                result: PartResult = entry["result"]
                result.file = folder / f"part-{index:05d}.pdf"
                result.file.write_bytes(entry["pdf"])
                bodies[index] = result
        todo = [i for i in wanted if i not in bodies]
        if todo and report:
            report(f"laying out {len(todo)} of {len(job.parts)} story parts on {workers.jobs} "
                   "cores" if len(todo) > 1 else f"laying out 1 of {len(job.parts)} story parts")
        tasks = [BodyTask.of(job, index, book_pages, laid_left[index]) for index in todo]
        for index, result in zip(todo, workers.map(lay_out_body_part, tasks), strict=True):
            bodies[index] = result
            if cache is not None:
                assert result.file is not None
                entry = {"pdf": result.file.read_bytes(), "result": result,
                         "dependencies": dependencies(result.fetched, result.refused,
                                                      job.setup.project_dir, digests)}
                cache.put(PART_NAMESPACE, keys[index], entry)
        (relaid if rounds else missing).extend(todo)
        ordered = [bodies[i] for i in range(len(job.parts))]
        free = [part.continues for part in job.parts]
        sides = [b.start_left for b in ordered]
        starts, _ = positions([b.pages for b in ordered], sides, sides[0], free)
        # A part whose makeup by spread depends on its side is laid out again too.
        wrong = [i for i in range(len(job.parts))
                 if free[i] and (starts[i] % 2 == 0) != ordered[i].start_left
                 and not (movable and ordered[i].side_free)]
        # Laying a part out again can change its page count only through CSS that
        # differs between the sides, and with it the sides of the parts after it:
        # a few rounds settle it; what is still on the wrong side then is moved.
        if not wrong or rounds == 3:
            break
        rounds += 1
        for index in wrong:  # laid out again, on the side it lands on
            laid_left[index] = not ordered[index].start_left
            del bodies[index]
    flipped = [free[i] and (starts[i] % 2 == 0) != ordered[i].start_left
               for i in range(len(ordered))]
    first_title = starts[0] + ordered[0].opening
    # Folio on part i's page j (1-based) = position + j - first title page; the first
    # part's own counter already restarts at its first story's opening.
    offsets = [0] + [start - first_title for start in starts[1:]]
    carried = [c if part.continues else () for c, part in
               zip(carried_strings([b.folios for b in ordered]), job.parts, strict=True)]
    keys = {i: part_key(job, job.parts[i], geometry_css, ordered[i].start_left)
            if cache is not None else "" for i in range(len(ordered))}

    matter = lay_out_front_and_back(job, parts, ordered, starts, book_pages,
                                    geometry_css=geometry_css, cache=cache, digests=digests,
                                    report=report)
    total = matter.total
    if not settled(total):
        return total
    page_total = total if uses_page_total(job.setup.extra_stylesheets) else None

    # A part's folios are drawn from its layout: the same key and the same files read.
    stamp_keys = [make_key("folios", keys[i],
                           dependencies(ordered[i].fetched, ordered[i].refused,
                                        job.setup.project_dir, digests),
                           offsets[i], page_total, carried[i], flipped[i])
                  if cache is not None else "" for i in range(len(ordered))]
    for index, key in enumerate(stamp_keys):
        entry = cache.get(STAMP_NAMESPACE, key) if cache is not None else None
        if isinstance(entry, tuple) and len(entry) == 2:
            flip = "-f" if flipped[index] else ""
            stamp = folder / f"stamp-{index:05d}-{offsets[index]}{flip}.pdf"
            stamp.write_bytes(entry[0])
            ordered[index].stamp, ordered[index].drawn = stamp, entry[1]
    unstamped = [i for i, body in enumerate(ordered) if body.stamp is None]
    if unstamped and report:
        report(f"numbering the pages of {len(unstamped)} story parts")
    stamp_tasks = []
    for i in unstamped:
        folios = ordered[i].folios
        assert folios is not None  # every laid-out story part has one (else NotStampable)
        stamp_tasks.append(StampTask(i, folios, offsets[i], page_total, geometry_css,
                                     job.setup, carried[i], flipped[i]))
    stamped = workers.map(stamp_body_part, stamp_tasks)
    for index, (path, warnings, drawn) in zip(unstamped, stamped, strict=True):
        ordered[index].stamp, ordered[index].drawn = path, drawn
        ordered[index].warnings = tuple(dict.fromkeys([*ordered[index].warnings, *warnings]))
        if cache is not None:
            cache.put(STAMP_NAMESPACE, stamp_keys[index], (path.read_bytes(), drawn))
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
    joined = _joined_result(ordered, matter, plan)
    join(plan, apart=matter.total > join_options.apart_pages, folder=folder,
         meanwhile=(lambda: while_joining(joined)) if while_joining is not None else None)
    return replace(joined, parts=len(ordered), parts_laid_out=tuple(missing),
                   parts_stamped=tuple(unstamped), matter_laid_out=matter.laid_out,
                   parts_relaid=tuple(relaid), parts_flipped=tuple(
                       i for i, flip in enumerate(flipped) if flip))


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
