"""The PDF in parts: a book laid out in pieces on every core and joined.

See the comment below for how the join rebuilds what a one-piece layout gets
for free. PDF workers are forked before the stories are read and receive their
part's stories with each task (see :class:`PdfWorkers`), so they never carry the
whole book.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from fanbind.atomic import library_writer
from fanbind.cache import ProjectCache, make_key
from fanbind.pdf.arrange import START_LEFT_CLASS, PartOptions
from fanbind.processes import default_jobs, process_pool, stop_pool

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


# ---------------------------------------------------------------- the PDF in parts
#
# The book is cut at story boundaries into *parts*: the front matter, groups of
# consecutive stories, the back matter. Each group of stories is laid out by
# WeasyPrint in a worker process (memory then grows with the longest part, not
# with the book), and the parts are joined with pikepdf. What a one-piece layout
# gets for free, the join rebuilds:
#
# * Right-hand openings. A part starts on the side its first story asks for
#   (``break-before: right``, or ``left`` for a story whose paratext faces its
#   opening); where the part before it ends on the wrong side, one blank page is
#   put between them, as WeasyPrint does inside a book.
# * Continuous folios. A story part is laid out with its margin boxes deferred
#   (:func:`fanbind.pdf.layout.deferred_folios`) and written without them, together
#   with a :class:`fanbind.pdf.layout.FolioPlan` (page types, counters, running-head
#   strings). Once every part's page count is known, the margin boxes of each
#   part are drawn from its plan with the page counter moved on by the pages
#   before it (:func:`fanbind.pdf.layout.stamp_folios`) and laid over its pages in the
#   join. A part's layout therefore never depends on where it lands in the
#   book, which is what makes it worth caching.
# * Contents page numbers. The front and back matter are laid out last, in this
#   process, with an invisible stand-in for each link target in another part on
#   an extra page (``counter-reset: page N`` on the stand-in makes
#   ``target-counter()`` print the real number); that page is left out of the join.
# * The outline (story › chapter), named destinations for the internal links,
#   the document information (from the front matter, which carries the whole
#   book's metadata; the build date is written in by the join) and a
#   deterministic file identifier. A book of more than JOIN_APART_PAGES pages is
#   joined in a Python process of its own, for memory.
#
# Incremental builds. With a :class:`~fanbind.cache.ProjectCache`, each story
# part's PDF, page count, sides, link targets, page map and folio plan are kept
# under a key made of everything its layout reads (:func:`part_key`): the
# serialised XHTML of its documents, the book settings, the page geometry (the
# gutter row), the stylesheets, the versions of WeasyPrint, pydyf, Pango and
# pikepdf, the system's font list and fanbind's code — never the build date or
# the page offset. The files the layout fetched (fonts, images, imported
# stylesheets) are stored with their digests and checked on every hit. Folio
# stamps are cached by part and offset; the front and back matter by their
# documents and the page numbers their links print. An edit to one story then
# lays out one part again; when the story's length changes the pages after it,
# the later parts keep their layout and only get new folios, and the contents
# are laid out again.

PART_NAMESPACE = "pdf-parts"
STAMP_NAMESPACE = "pdf-folios"
BOOK_NAMESPACE = "pdf-book"
#: Every namespace a parallel PDF build reads, for :meth:`ProjectCache.prune`.
MATTER_NAMESPACE = "pdf-matter"
PDF_NAMESPACES = (PART_NAMESPACE, STAMP_NAMESPACE, BOOK_NAMESPACE, MATTER_NAMESPACE)
#: Stories per part. Small parts make an edit cheap to lay out again (the part
#: of the edited story is the whole layout cost of such a rebuild) and keep a
#: worker's memory low; each part costs a little CSS and font set-up and its
#: own font subsets: two stories a part cost 4 % more CPU than four (50-story
#: book) and halve the layout of a one-paragraph rebuild. The size depends only
#: on the story count and ``jobs`` for small books (at least two parts per
#: worker), so part boundaries, and with them the cache keys, stay put when a
#: story is edited.
STORIES_PER_PART = 2
#: Body parts are laid out with this date: the build date is written only by
#: the front matter (the joined PDF's metadata), so cached parts never go stale
#: because a file's modification time moved.
PART_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Bumped when what a cached part holds changes shape.
PART_FORMAT = 2


@dataclass(frozen=True)
class _Part:
    kind: str  # "body" (in a worker), "front" or "back" (laid out last, here)
    stories: tuple[int, ...]  # indexes into anthology.stories
    documents: tuple[int, ...]  # indexes into the documents list


@dataclass
class PartResult:
    """What a laid-out story part tells the join (and what the cache keeps of it)."""

    file: Path | None
    pages: int
    start_left: bool
    opening: int  # pages before the first story's title page (part 0 only matters)
    ids: tuple[str, ...]  # page map ids, one per page
    anchors: dict[str, int]  # link targets → page within the part
    warnings: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()
    folios: object = None  # fanbind.pdf.result.FolioPlan
    stamp: Path | None = None  # the part's margin boxes, laid over its pages
    drawn: tuple[bool, ...] = ()  # per page: whether the stamp has anything on it


class NotStampable(Exception):
    """A part's margin boxes cannot be drawn apart from it (running elements)."""


@dataclass
class _Job:
    """The build as this process sees it; workers get a :class:`_BodyTask` or
    :class:`_StampTask` cut from it."""

    anthology: object
    documents: list
    parts: list[_Part]  # the story parts only
    project_dir: Path
    extra_stylesheets: tuple[Path, ...]
    folder: Path
    part_css: str = PartOptions.css


@dataclass(frozen=True)
class _Setting:
    """What every worker task needs of the build besides its own stories: small and
    picklable, so workers need not be forked from the process holding the book."""

    project_dir: Path
    extra_stylesheets: tuple[Path, ...]
    folder: Path
    part_css: str

    @classmethod
    def of(cls, job: _Job) -> _Setting:
        return cls(job.project_dir, job.extra_stylesheets, job.folder, job.part_css)


@dataclass(frozen=True)
class _BodyTask:
    """One story part to lay out: its stories, their documents and the page count guess."""

    index: int
    book_pages: int
    anthology: object  # the part's stories only
    documents: list
    first_story: bool
    setting: _Setting

    @classmethod
    def of(cls, job: _Job, index: int, book_pages: int) -> _BodyTask:
        part = job.parts[index]
        stories = tuple(job.anthology.stories[i] for i in part.stories)
        # The story list of metadata.yaml stays behind: a part's layout never reads it
        # (the cache key leaves it out too), and a 1,000-story list is 450 KB a task.
        meta = job.anthology.meta.model_copy(update={"stories": [s.meta for s in stories]})
        return cls(index, book_pages, replace(job.anthology, meta=meta, stories=stories),
                   [job.documents[i] for i in part.documents], 0 in part.stories,
                   _Setting.of(job))


@dataclass(frozen=True)
class _StampTask:
    """One story part's margin boxes to draw, its folios moved on by ``offset``."""

    index: int
    plan: object
    offset: int
    total: int | None
    geometry_css: str
    setting: _Setting


def _anchors(rendered) -> dict[str, int]:
    """Link targets in a part: sections, titles, chapters (not every paragraph)."""
    import re

    block = re.compile(r"^story-\d+-b\d+$")
    found: dict[str, int] = {}
    for index, page in enumerate(rendered.pages):
        for name in page.anchors:
            if name not in found and not block.match(name):
                found[name] = index
    return found


def _positions(counts: Sequence[int], sides: Sequence[bool], first_left: bool
               ) -> tuple[list[int], int]:
    """Physical first pages of parts (1-based, as if the body started the book) and blanks.

    A part starting on a recto needs an odd page, one starting on a verso an
    even one; one blank page goes in front of a part that would start on the
    wrong side.
    """
    positions: list[int] = []
    page = 2 if first_left else 1
    blanks = 0
    for index, count in enumerate(counts):
        wanted_odd = not sides[index]
        if (page % 2 == 1) != wanted_odd:
            page += 1
            blanks += 1
        positions.append(page)
        page += count
    return positions, blanks


def _lay_out(job: _Job | _Setting, anthology, documents: list, options: PartOptions, *,
             defer: bool, created: dt.datetime):
    from fanbind.pdf import layout as pdf

    if defer:
        with pdf.deferred_folios() as records:
            layout = pdf.lay_out(anthology, documents, project_dir=job.project_dir,
                                 extra_stylesheets=job.extra_stylesheets, created=created,
                                 part=options)
        return layout, records
    layout = pdf.lay_out(anthology, documents, project_dir=job.project_dir,
                         extra_stylesheets=job.extra_stylesheets, created=created, part=options)
    return layout, {}


def _html_classes(layout) -> list[str]:
    html = getattr(layout.rendered, "_html", None)
    root = getattr(html, "etree_element", None)
    return (root.get("class") or "").split() if root is not None else []


def _lay_out_body_part(task: _BodyTask) -> PartResult:
    """Worker: lay out one story part without its margin boxes and write it."""
    from fanbind.pdf import layout as pdf

    anthology = task.anthology
    options = PartOptions(task.book_pages, first_story=task.first_story)
    layout, records = _lay_out(task.setting, anthology, task.documents, options, defer=True,
                               created=PART_CREATED)
    rendered = layout.rendered
    plan = pdf.folio_plan(rendered, records)
    if plan is None:
        raise NotStampable(f"part {task.index}")
    anchors = _anchors(rendered)
    first_title = f"{anthology.stories[0].id}-title"  # type: ignore[attr-defined]
    target = task.setting.folder / f"part-{task.index:05d}.pdf"
    result = pdf.write_layout(layout, target)
    return PartResult(target, len(rendered.pages), START_LEFT_CLASS in _html_classes(layout),
                      anchors.get(first_title, 0),
                      tuple(page_id for page_id, _ in layout.page_map), anchors,
                      tuple(result.warnings), tuple(result.refused), tuple(result.fetched),
                      plan)


def _stamp_body_part(task: _StampTask) -> tuple[Path, tuple[str, ...], tuple[bool, ...]]:
    """Worker: draw a story part's margin boxes, its folios moved on by ``task.offset``."""
    from fanbind.pdf import layout as pdf

    setting = task.setting
    target = setting.folder / f"stamp-{task.index:05d}-{task.offset}.pdf"
    warnings, drawn = pdf.stamp_folios(
        task.plan, target, page_offset=task.offset,  # type: ignore[arg-type]
        page_total=task.total, project_dir=setting.project_dir,
        extra_stylesheets=setting.extra_stylesheets, geometry_css=task.geometry_css,
        part_css=setting.part_css)
    return target, warnings, drawn


#: With ``jobs`` left to the default, a book is laid out in parts only from this
#: size on. Below it, starting workers and joining costs more than the second core
#: saves, and the one-piece layout has two refinements the parts lack: the gutter
#: is checked against the real page count, and hyphen ladders are broken over the
#: whole book in one pass. See benchmarks/RESULTS.md for the measurements.
PARALLEL_MIN_WORDS = 60_000
PARALLEL_MIN_STORIES = 10


def parallel_pdf_wanted(anthology, jobs: int | None) -> bool:
    """Whether to lay the PDF out in parts: ``--jobs N`` decides, else the book's size.

    ``jobs == 1`` is one piece, ``jobs > 1`` parts; ``None`` (the default) parts
    only for a book of at least :data:`PARALLEL_MIN_STORIES` stories or
    :data:`PARALLEL_MIN_WORDS` words, and only with more than one core.
    """
    if jobs is not None:
        return jobs > 1
    if default_jobs() < 2:
        return False
    return len(anthology.stories) >= PARALLEL_MIN_STORIES or \
        sum(s.words for s in anthology.stories) >= PARALLEL_MIN_WORDS


def plan_parts(anthology, documents: Sequence, jobs: int) -> list[_Part] | None:
    """Cut the book into front, story groups and back; None when it cannot be cut.

    Groups hold :data:`STORIES_PER_PART` consecutive stories (fewer in a small
    book, so each worker gets at least two parts); the cut points depend only
    on the number of stories, so editing a story never moves them.
    """
    front = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "front"]
    body = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "body"]
    back = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "back"]
    stories = len(anthology.stories)
    if stories < 2 or len(body) != stories or (front and body and max(front) > min(body)) \
            or (back and body and min(back) < max(body)):
        return None
    size = max(1, min(STORIES_PER_PART, stories // (2 * max(1, jobs))))
    parts = [_Part("front", (), tuple(front))]
    for start in range(0, stories, size):
        chunk = tuple(range(start, min(stories, start + size)))
        parts.append(_Part("body", chunk, tuple(body[i] for i in chunk)))
    if back:
        parts.append(_Part("back", (), tuple(back)))
    return parts


def _open_pdf(path: Path):
    import pikepdf

    return pikepdf.Pdf.open(path)


def _named_dests(pdf) -> dict[str, object]:
    import pikepdf

    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return dict(pikepdf.NameTree(names.Dests).items())


# ---------------------------------------------------------------- cache keys


@functools.cache
def renderer_versions() -> tuple[str, ...]:
    """What shapes a laid-out page besides its input, for cache keys: WeasyPrint,
    pydyf, Pango, pikepdf and the system's fonts.

    Read without importing WeasyPrint (0.6 s): a rebuild whose parts all come from
    the cache never needs it.
    """
    from fanbind.cache import library_version, system_fonts_digest

    return (library_version("weasyprint"), library_version("pydyf"), _pango_version(),
            library_version("pikepdf"), system_fonts_digest())


def _pango_version() -> str:
    """Pango's version number, from the library WeasyPrint lays text out with."""
    import ctypes

    for name in ("libpango-1.0.so.0", "libpango-1.0.0.dylib", "libpango-1.0-0.dll"):
        try:
            return str(ctypes.CDLL(name).pango_version())
        except (OSError, AttributeError):
            continue
    return "?"


#: Stylesheets that print the total page count need it in every stamp.
_PAGES_COUNTER = re.compile(r"counters?\(\s*pages\b")


def uses_page_total(extra_stylesheets: Sequence[Path]) -> bool:
    """Whether any stylesheet prints ``counter(pages)`` (then stamps depend on the total)."""
    from fanbind.resources import PRINT_CSS

    for path in (PRINT_CSS, *extra_stylesheets):
        try:
            if _PAGES_COUNTER.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            return True  # unreadable here: assume the worst, the key gets the total
    return False


def pdf_date(created: dt.datetime) -> str:
    """``created`` as WeasyPrint writes it into /CreationDate (``D:20240214000000Z``)."""
    return created.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")


def part_key(job: _Job, part: _Part, book_pages_css: str) -> str:
    """Everything a story part's layout reads, hashed (see the section comment).

    ``book_pages_css`` is the page geometry stylesheet (it carries the gutter
    row, which depends on the book's page count). The stylesheet *files*
    are read here; what they fetch (fonts, images, ``@import``) is checked
    against the digests stored with the entry (:func:`_dependencies_match`).
    """
    return _layout_key(job, "pdf-part", part.documents, part.stories, book_pages_css,
                       0 in part.stories)


def _layout_key(job: _Job, kind: str, documents: Sequence[int], stories: Sequence[int],
                book_pages_css: str, *options: object, words: bool = True) -> str:
    """The key of a layout of ``documents`` (indexes) with ``stories`` in its anthology.

    ``words``: whether the stories' word counts belong in it (the front and back
    matter name every story's authors and tags in their metadata, but never
    their length, and a one-word edit must not lay out the contents again).
    """
    from lxml import etree

    from fanbind.cache import file_digest

    anthology = job.anthology
    serialised = []
    for index in documents:
        doc = job.documents[index]
        serialised.append((doc.matter, tuple(sorted(doc.formats)), doc.language,
                           etree.tostring(doc.root, encoding="utf-8")))
    story_data = [(s.id, s.words if words else None, s.meta.model_dump_json())
                  for s in (anthology.stories[i] for i in stories)]
    meta = anthology.meta.model_dump_json(exclude={"stories"})  # print: settings too
    # Stylesheets by their place in the project (a moved project keeps its cache) and
    # bytes; what they fetch is checked through the entry's dependencies.
    sheets = [(_in_project(path, job.project_dir),
               file_digest(path) if path.is_file() else "missing")
              for path in job.extra_stylesheets]
    return make_key(kind, PART_FORMAT, serialised, story_data, meta,
                    book_pages_css, job.part_css, sheets, renderer_versions(), *options)


def _in_project(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class _Digests:
    """File digests, each file read once per build."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def of(self, uri: str) -> str:
        if uri not in self.known:
            from urllib.parse import unquote, urlsplit

            from fanbind.cache import file_digest

            try:
                self.known[uri] = file_digest(Path(unquote(urlsplit(uri).path)))
            except OSError:
                self.known[uri] = "unreadable"
        return self.known[uri]


def _dependencies(result: object, project_dir: Path,
                  digests: _Digests) -> tuple[tuple[str, str], ...]:
    """What a layout read, and what it looked for in the project and did not find.

    A stylesheet may ``@import`` or ``url()`` a file that does not exist yet; the
    layout goes on without it. Once the file is there the layout must be done
    again, so each such file is a dependency too (its digest "unreadable" until
    it appears). Refused URLs elsewhere (another scheme, outside the project)
    are refused whatever happens to them, and are not read.
    """
    from urllib.parse import unquote, urlsplit

    root = project_dir.resolve()
    tried = list(getattr(result, "fetched", ()))
    for url in getattr(result, "refused", ()):
        parts = urlsplit(url)
        if parts.scheme == "file" and Path(unquote(parts.path)).resolve().is_relative_to(root):
            tried.append(url)
    return tuple((uri, digests.of(uri)) for uri in dict.fromkeys(tried))


def _dependencies_match(entry: dict, digests: _Digests) -> bool:
    return all(digests.of(uri) == digest for uri, digest in entry["dependencies"])


# ---------------------------------------------------------------- the build


def write_parallel_pdf(
    anthology,
    documents: list,
    target: Path,
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created,
    jobs: int | None = None,
    report: Callable[[str], None] | None = None,
    cache: ProjectCache | None = None,
    while_joining: Callable[[object], None] | None = None,
    workers: PdfWorkers | None = None,
):
    """Lay the book out in parts on ``jobs`` worker processes and join them into ``target``.

    Returns a :class:`fanbind.pdf.layout.PdfResult` like :func:`fanbind.pdf.layout.write_pdf`,
    or None when the book cannot be cut into parts (then the caller lays it out
    in one piece). With ``cache``, story parts and their folios come from and go
    to the project's cache. ``while_joining`` is called once with the final
    result (page count, page map) while the pages are being joined, in another
    process for a big book: the build writes the EPUB meanwhile. An error it
    raises stops the join. ``workers`` are processes started earlier
    (:func:`early_pdf_workers`); without them, workers are forked here.
    """
    import contextlib
    import tempfile

    from fanbind.pdf.geometry import estimate_pages, gutter_band, page_geometry

    jobs = jobs or default_jobs()
    parts = plan_parts(anthology, documents, jobs)
    if parts is None or not _stampable_stylesheets(extra_stylesheets):
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
    with tempfile.TemporaryDirectory(prefix="fanbind-parts-") as folder:
        job = _Job(anthology, documents, bodies, project_dir, extra_stylesheets, Path(folder))
        own = PdfWorkers(jobs) if workers is None else None
        with own if own is not None else contextlib.nullcontext():
            workers = own or workers
            for attempt in range(2):

                def settled(total: int, last: bool = attempt == 1,
                            guess: int = book_pages) -> bool:
                    # Lay out again in the rare case that the real count falls in
                    # another row of the gutter table.
                    return last or gutter_band(total) == gutter_band(guess) or \
                        not page_geometry(config, pages=total).mirrored

                try:
                    joined = _build_once(job, parts, workers, book_pages, created=created,
                                         cache=cache, report=report, target=target,
                                         settled=settled, while_joining=while_joining)
                except NotStampable:
                    return None
                if isinstance(joined, int):  # the page count, in another gutter row
                    book_pages = joined
                    continue
                break
        if cache is not None:
            cache.put(BOOK_NAMESPACE, count_key, joined.pages)
        return joined


def _stampable_stylesheets(extra_stylesheets: tuple[Path, ...]) -> bool:
    """False when a stylesheet uses running elements, which only a one-piece layout draws."""
    for path in extra_stylesheets:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # the layout reports it
        if "running(" in text or "element(" in text:
            return False
    return True


class PdfWorkers:
    """The worker processes that lay out and number a book's story parts.

    Forked, like the story workers, but as early as possible: a build starts
    them (:meth:`start`) before it reads the stories, so they hold the imported
    code and the settings and nothing of the book (1,000 stories are 450 MB of
    model and documents in the building process, which a worker forked later
    would carry as its own). Each task brings its own stories
    (:class:`_BodyTask`), so a worker's memory is that of its part plus what
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

    def map(self, function: Callable, tasks: Sequence) -> list:
        if not tasks:
            return []
        if self.jobs == 1 or len(tasks) == 1:
            return [function(task) for task in tasks]  # no process to start for one task
        return list(self.start().pool.map(function, tasks))  # type: ignore[union-attr]


def early_pdf_workers(stories: int, jobs: int | None) -> PdfWorkers | None:
    """Workers for a build about to read ``stories`` stories, when its PDF will
    likely be laid out in parts (:func:`parallel_pdf_wanted` needs the word
    count, not known yet; a book under the story threshold starts its workers
    when it needs them)."""
    wanted = jobs > 1 if jobs is not None else \
        default_jobs() > 1 and stories >= PARALLEL_MIN_STORIES
    return PdfWorkers(jobs or default_jobs()).start() if wanted else None


def _build_once(job: _Job, parts: list[_Part], workers: PdfWorkers, book_pages: int, *,
                created, cache: ProjectCache | None, report, target: Path,
                settled: Callable[[int], bool], while_joining=None):
    """One layout of the whole book with the gutter of ``book_pages``; joined into ``target``.

    Returns the joined book's PdfResult, or only its page count when ``settled``
    says that count needs another gutter (then nothing is numbered or joined).
    """
    from fanbind.pdf.geometry import page_geometry

    geometry_css = page_geometry(job.anthology.meta.print, pages=book_pages).css()
    digests = _Digests()
    keys = [part_key(job, part, geometry_css) if cache is not None else "" for part in job.parts]
    bodies: dict[int, PartResult] = {}
    for index, key in enumerate(keys):
        entry = cache.get(PART_NAMESPACE, key) if cache is not None else None
        if isinstance(entry, dict) and _dependencies_match(entry, digests):
            result: PartResult = entry["result"]
            result.file = job.folder / f"part-{index:05d}.pdf"
            result.file.write_bytes(entry["pdf"])
            bodies[index] = result
    missing = [i for i in range(len(job.parts)) if i not in bodies]
    if missing and report:
        report(f"laying out {len(missing)} of {len(job.parts)} story parts on {workers.jobs} "
               "cores" if len(missing) > 1 else f"laying out 1 of {len(job.parts)} story parts")
    tasks = [_BodyTask.of(job, index, book_pages) for index in missing]
    for index, result in zip(missing, workers.map(_lay_out_body_part, tasks), strict=True):
        bodies[index] = result
        if cache is not None:
            assert result.file is not None
            entry = {"pdf": result.file.read_bytes(), "result": result,
                     "dependencies": _dependencies(result, job.project_dir, digests)}
            cache.put(PART_NAMESPACE, keys[index], entry)
    ordered = [bodies[i] for i in range(len(job.parts))]
    counts = [b.pages for b in ordered]
    sides = [b.start_left for b in ordered]
    positions, _ = _positions(counts, sides, sides[0])
    first_title = positions[0] + ordered[0].opening
    # Folio on part i's page j (1-based) = position + j - first title page; the first
    # part's own counter already restarts at its first story's opening.
    offsets = [0] + [position - first_title for position in positions[1:]]

    front_and_back = _lay_out_front_and_back(job, parts, ordered, positions, book_pages,
                                             geometry_css=geometry_css, cache=cache,
                                             digests=digests, report=report)
    total = front_and_back.total
    if not settled(total):
        return total
    page_total = total if uses_page_total(job.extra_stylesheets) else None

    # A part's folios are drawn from its layout: the same key and the same files read.
    stamp_keys = [make_key("folios", keys[i], _dependencies(ordered[i], job.project_dir, digests),
                           offsets[i], page_total) if cache is not None
                  else "" for i in range(len(ordered))]
    for index, key in enumerate(stamp_keys):
        entry = cache.get(STAMP_NAMESPACE, key) if cache is not None else None
        if isinstance(entry, tuple) and len(entry) == 2:
            ordered[index].stamp = job.folder / f"stamp-{index:05d}-{offsets[index]}.pdf"
            ordered[index].stamp.write_bytes(entry[0])
            ordered[index].drawn = entry[1]
    unstamped = [i for i, body in enumerate(ordered) if body.stamp is None]
    if unstamped and report:
        report(f"numbering the pages of {len(unstamped)} story parts")
    setting = _Setting.of(job)
    stamped = workers.map(_stamp_body_part, [
        _StampTask(i, ordered[i].folios, offsets[i], page_total, geometry_css, setting)
        for i in unstamped])
    for index, (path, warnings, drawn) in zip(unstamped, stamped, strict=True):
        ordered[index].stamp, ordered[index].drawn = path, drawn
        ordered[index].warnings = tuple(dict.fromkeys([*ordered[index].warnings, *warnings]))
        if cache is not None:
            cache.put(STAMP_NAMESPACE, stamp_keys[index], (path.read_bytes(), drawn))
    if report:
        report("joining the parts")
    joined = _join(job, ordered, positions, front_and_back, target, created=created,
                   while_joining=while_joining)
    return replace(joined, parts=len(ordered), parts_laid_out=tuple(missing),
                   parts_stamped=tuple(unstamped), matter_laid_out=front_and_back.laid_out)


@dataclass
class _Laid:
    """The front or back matter laid out (what the join needs; what the cache keeps)."""

    file: Path | None
    pages: int
    ids: list[str]  # page map ids, one per page
    anchors: dict[str, int]
    result: object  # fanbind.pdf.layout.PdfResult of the laid-out matter
    trim: str


@dataclass
class _Matter:
    """The front and back matter, laid out with the real numbers, and the page order."""

    front: _Laid
    back: _Laid | None
    slots: list[tuple[str, int, int]]  # ("front"|"blank"|"body"|"back", part, local page)
    first_body_index: int  # 0-based index of folio 1 in the joined book
    laid_out: tuple[str, ...]  # which of "back", "front" this build laid out

    @property
    def total(self) -> int:
        return len(self.slots)


def _lay_out_matter(job: _Job, kind: str, part: _Part, options: PartOptions, *,
                    page_offset: int | None, geometry_css: str,
                    cache: ProjectCache | None, digests: _Digests, report) -> tuple[_Laid, bool]:
    """The front (``page_offset`` None: its own roman folios) or back matter, from the
    cache when its documents, the numbers its links print and the settings are unchanged.

    Laid out with :data:`PART_CREATED`: the join writes the build date into the book's
    metadata, so an edit that only moves the date keeps these cached too.
    """
    everything = range(len(job.anthology.stories))  # the head names every story's authors
    # Not options.book_pages: it matters only through the geometry (the gutter row).
    key = _layout_key(job, "pdf-matter", part.documents, everything, geometry_css, kind,
                      options.stubs, options.blank_pages, options.css,
                      page_offset, words=False) if cache is not None else ""
    entry = cache.get(MATTER_NAMESPACE, key) if cache is not None else None
    target = job.folder / f"{kind}.pdf"
    if isinstance(entry, dict) and _dependencies_match(entry, digests):
        laid: _Laid = entry["laid"]
        target.write_bytes(entry["pdf"])
        laid.file = target
        return laid, False
    from fanbind.pdf import layout as pdf_module

    if report:
        report(f"laying out the {kind} matter")
    documents = [job.documents[i] for i in part.documents]
    layout, records = _lay_out(job, job.anthology, documents, options,
                               defer=page_offset is not None, created=PART_CREATED)
    if page_offset is not None:
        pdf_module.add_margin_boxes(layout.rendered, records, page_offset=page_offset)
    result = pdf_module.write_layout(layout, target)
    laid = _Laid(target, len(layout.rendered.pages), [i for i, _ in layout.page_map],
                 _anchors(layout.rendered), result, layout.geometry.trim)
    if cache is not None:
        cache.put(MATTER_NAMESPACE, key, {
            "pdf": target.read_bytes(), "laid": replace(laid, file=None),
            "dependencies": _dependencies(result, job.project_dir, digests)})
    return laid, True


def _lay_out_front_and_back(job: _Job, parts: list[_Part], bodies: list[PartResult],
                            positions: list[int], book_pages: int, *, geometry_css: str,
                            cache: ProjectCache | None, digests: _Digests,
                            report) -> _Matter:
    """Lay out the back and front matter here, with the real numbers; plan the page order."""
    counts = [b.pages for b in bodies]
    first_title = positions[0] + bodies[0].opening  # virtual physical page of folio 1
    folios: dict[str, int] = {}
    for position, body in zip(positions, bodies, strict=True):
        for name, page in body.anchors.items():
            folios.setdefault(name, position + page - first_title + 1)
    laid_out: list[str] = []

    back_part = next((p for p in parts if p.kind == "back"), None)
    back = None
    back_position = 0
    back_stub_page = False
    if back_part is not None:
        page = positions[-1] + counts[-1]
        back_position = page if page % 2 == 1 else page + 1  # back matter opens on a recto
        stubs = _stubs(folios, [job.documents[i] for i in back_part.documents])
        back_stub_page = bool(stubs)
        back, fresh = _lay_out_matter(
            job, "back", back_part, PartOptions(book_pages, stubs=stubs),
            page_offset=back_position - first_title, geometry_css=geometry_css, cache=cache,
            digests=digests, report=report)
        laid_out += ["back"] if fresh else []
        for name, page in back.anchors.items():
            folios.setdefault(name, back_position + page - first_title + 1)

    pad_to = job.anthology.meta.print.pad_to or 0
    spare = len(bodies) + 3 + pad_to
    front_stubs = _stubs(folios, [job.documents[i] for i in parts[0].documents])
    front, fresh = _lay_out_matter(
        job, "front", parts[0], PartOptions(book_pages, stubs=front_stubs, blank_pages=spare),
        page_offset=None, geometry_css=geometry_css, cache=cache, digests=digests,
        report=report)
    laid_out += ["front"] if fresh else []

    # The page order. Blank pages come from the spare pages at the end of the front.
    front_pages = front.pages - spare - (1 if front_stubs else 0)
    blanks = iter(range(front_pages + (1 if front_stubs else 0), front.pages))
    slots: list[tuple[str, int, int]] = [("front", 0, local) for local in range(front_pages)]

    def blank() -> None:
        slots.append(("blank", 0, next(blanks)))

    if ((len(slots) + 1) % 2 == 1) != (not bodies[0].start_left):
        blank()  # the first story on the side it asks for
    start = len(slots)  # where the first part begins
    first_body_index = start + bodies[0].opening
    for index, (position, body) in enumerate(zip(positions, bodies, strict=True)):
        # Same blank pages as in the virtual numbering: the real book is shifted by
        # an even number of pages, so the sides agree.
        while len(slots) - start < position - positions[0]:
            blank()
        slots.extend(("body", index, local) for local in range(body.pages))
    if back is not None:
        while len(slots) - start < back_position - positions[0]:
            blank()
        real = back.pages - (1 if back_stub_page else 0)
        slots.extend(("back", 0, local) for local in range(real))
    if pad_to:
        while len(slots) % pad_to:
            blank()
    return _Matter(front, back, slots, first_body_index, tuple(laid_out))


def _stubs(folios: dict[str, int], documents: list) -> tuple[tuple[str, int], ...]:
    """The stand-ins the front or back matter needs: the targets its links name.

    Only those, not every target of the book: each stand-in is an element to lay
    out, and a 1,000-story book has thousands of targets but a contents page
    that names only its stories.
    """
    from fanbind.render import XHTML_NS

    wanted: set[str] = set()
    for doc in documents:
        for link in doc.root.iter(f"{{{XHTML_NS}}}a"):
            href = link.get("href") or ""
            if "://" in href or href.startswith("mailto:"):
                continue
            filename, _, anchor = href.partition("#")
            wanted.add(anchor or filename.removesuffix(".xhtml"))
    return tuple(sorted((name, folio) for name, folio in folios.items()
                        if name in wanted or name.removesuffix("-title") in wanted))


#: Books of more pages than this are joined in a process of their own: qpdf holds
#: every copied page in memory (about 200 MB for 3,000 pages), which should not add
#: to the memory of this process, which holds the whole book's text and documents.
JOIN_APART_PAGES = 1500


@dataclass
class _JoinPlan:
    """What the join needs, as plain data (it may run in a process of its own)."""

    front_file: Path
    front_ids: list[str]
    back_file: Path | None
    back_ids: list[str]
    slots: list[tuple[str, int, int]]
    first_body_index: int
    bodies: list[tuple[Path, Path, tuple[bool, ...], tuple[str, ...]]]  # file, stamp, drawn, ids
    target: Path
    date: str  # /CreationDate and /ModDate


def _join(job: _Job, bodies: list[PartResult], positions: list[int], matter: _Matter,
          target: Path, *, created, while_joining: Callable[[object], None] | None = None):
    """Assemble the pages in :attr:`_Matter.slots` order, the folios laid over the stories.

    The result (page count, page map, warnings) is known before the pages are
    copied; a big book is joined in a process of its own, and ``while_joining``
    is called with the result meanwhile (the build writes the EPUB then).
    """
    from fanbind.pdf.result import PdfResult

    plan = _JoinPlan(matter.front.file, matter.front.ids,  # type: ignore[arg-type]
                     matter.back.file if matter.back else None,
                     matter.back.ids if matter.back else [], matter.slots,
                     matter.first_body_index,
                     [(b.file, b.stamp, b.drawn, b.ids) for b in bodies],  # type: ignore[misc]
                     target, pdf_date(created))
    warnings = [w for b in bodies for w in b.warnings]
    refused = [r for b in bodies for r in b.refused]
    fetched = [f for b in bodies for f in b.fetched]
    for result in (matter.front.result, matter.back.result if matter.back else None):
        if result is not None:
            warnings += list(result.warnings)
            refused += list(result.refused)
            fetched += list(getattr(result, "fetched", ()))
    joined = PdfResult(len(plan.slots), tuple(dict.fromkeys(refused)),
                       tuple(dict.fromkeys(warnings)),
                       page_map=_relabel(_plan_ids(plan), plan.first_body_index),
                       trim=matter.front.trim, fetched=tuple(dict.fromkeys(fetched)))
    if matter.total <= JOIN_APART_PAGES:
        _assemble(plan)
        if while_joining is not None:
            while_joining(joined)
        return joined
    process = _start_apart(plan, job.folder)
    try:
        if while_joining is not None:
            while_joining(joined)
        _finish_apart(process, plan, job.folder)
    except BaseException:
        if process.poll() is None:
            process.kill()
        process.communicate()  # reaps it and closes its pipe
        raise
    return joined


def _plan_ids(plan: _JoinPlan) -> list[str | None]:
    """The page map's ids, one per page of the joined book (None for a blank page)."""
    ids: list[str | None] = []
    for kind, part, local in plan.slots:
        if kind == "blank":
            ids.append(None)
        elif kind == "front":
            ids.append(plan.front_ids[local])
        elif kind == "back":
            ids.append(plan.back_ids[local] if local < len(plan.back_ids) else None)
        else:
            body_ids = plan.bodies[part][3]
            ids.append(body_ids[local] if local < len(body_ids) else None)
    return ids


def _start_apart(plan: _JoinPlan, folder: Path):
    """Start :func:`_assemble` in a new Python process (``python -m fanbind.pdf.parts``).

    A new interpreter rather than a fork: a fork would start with this process's
    memory.
    """
    import pickle
    import subprocess
    import sys

    plan_file = folder / "join-plan.pickle"
    plan_file.write_bytes(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))
    return subprocess.Popen([sys.executable, "-m", "fanbind.pdf.parts", "--join", str(plan_file),
                             str(folder / "join-result.pickle")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _finish_apart(process, plan: _JoinPlan, folder: Path) -> None:
    """Wait for :func:`_start_apart`'s join; an OS error there (a full disk) comes back
    as the same OSError."""
    import pickle

    _, errors = process.communicate()
    result_file = folder / "join-result.pickle"
    if process.returncode != 0 or not result_file.exists():
        last = ((errors or "").strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"joining the PDF parts failed: {last}")
    outcome = pickle.loads(result_file.read_bytes())
    if outcome[0] == "oserror":
        raise OSError(outcome[1], outcome[2], str(plan.target))


def _join_main(argv: list[str]) -> int:
    """``python -m fanbind.pdf.parts --join PLAN RESULT``: the join, for :func:`_assemble_apart`."""
    import pickle

    plan_file, result_file = Path(argv[1]), Path(argv[2])
    plan = pickle.loads(plan_file.read_bytes())  # written by our parent, in its own temp folder
    try:
        _assemble(plan)
        outcome: tuple = ("ok",)
    except OSError as error:
        outcome = ("oserror", error.errno, error.strerror or str(error))
    result_file.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


def _assemble(plan: _JoinPlan) -> None:
    """Write the joined book to ``plan.target``."""
    import pikepdf

    _allow_open_files(2 * len(plan.bodies) + 16)  # qpdf reads the parts until it saves

    out = pikepdf.Pdf.new()
    front = _open_pdf(plan.front_file)
    opened = [front]
    body_pdfs = []
    stamp_pdfs = []
    for file, stamp, _drawn, _ids in plan.bodies:
        body_pdfs.append(_open_pdf(file))
        stamp_pdfs.append(_open_pdf(stamp))
    opened += body_pdfs + stamp_pdfs
    back = _open_pdf(plan.back_file) if plan.back_file is not None else None
    if back is not None:
        opened.append(back)
    mappings: dict[tuple[str, int], list[int | None]] = {
        ("front", 0): [None] * len(front.pages),
        **{("body", i): [None] * len(p.pages) for i, p in enumerate(body_pdfs)}}
    if back is not None:
        mappings[("back", 0)] = [None] * len(back.pages)
    # Page lists taken once: indexing pikepdf's page list costs 0.1 ms a time.
    pages = {("front", 0): list(front.pages),
             **{("body", i): list(p.pages) for i, p in enumerate(body_pdfs)}}
    if back is not None:
        pages[("back", 0)] = list(back.pages)
    # Each part embeds its own copy of the fonts: the book keeps one of each.
    from fanbind.pdf.fonts import apply_shared_fonts, prepare_shared_fonts

    shared_fonts = prepare_shared_fonts([front, *body_pdfs, *stamp_pdfs,
                                         *([back] if back else [])])
    for count, (kind, part, local) in enumerate(plan.slots):
        if kind == "blank":
            out.pages.append(pages[("front", 0)][local])
            continue
        out.pages.append(pages[(kind, part)][local])
        mappings[(kind, part)][local] = count
    # The folios go onto the joined book's pages (copied once, not first into
    # their part and then again into the book).
    placed = list(out.pages)
    for index, stamp in enumerate(stamp_pdfs):
        where = mappings[("body", index)]
        _lay_over(out, [placed[where[local]] if where[local] is not None else None
                        for local in range(len(where))], stamp, plan.bodies[index][2])
    sources = [(front, mappings[("front", 0)])]
    sources += [(p, mappings[("body", i)]) for i, p in enumerate(body_pdfs)]
    if back is not None:
        sources.append((back, mappings[("back", 0)]))

    _copy_destinations(out, sources)
    _copy_outlines(out, sources)
    apply_shared_fonts(out, shared_fonts)
    for key, value in front.docinfo.items():
        out.docinfo[key] = value
    for key in ("/CreationDate", "/ModDate"):  # the front was laid out with PART_CREATED
        if key in out.docinfo:
            out.docinfo[key] = pikepdf.String(plan.date)
    for key in ("/Lang", "/PageMode", "/ViewerPreferences"):
        if key in front.Root:
            out.Root[key] = out.copy_foreign(front.Root[key]) \
                if isinstance(front.Root[key], pikepdf.Dictionary) else front.Root[key]

    with library_writer(plan.target) as stream:  # a full disk raises, never aborts
        out.save(stream, deterministic_id=True)
    for source in opened:
        source.close()


def _allow_open_files(count: int) -> None:
    """Raise this process's limit of open files to ``count`` when it is lower (a
    1,000-story book has 500 parts and as many folio stamps open at once)."""
    import contextlib

    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
        # If it cannot be raised the join may still fit; if not, the OS error says why.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _lay_over(pdf, pages: list, stamp, drawn: Sequence[bool]) -> None:
    """Draw each page of ``stamp`` (a part's margin boxes) over the same page of ``pdf``.

    As a form XObject: both pages have the same size and origin, so the form
    needs no matrix. The page's own content is wrapped in ``q``/``Q`` so its
    graphics state cannot leak into the stamp; the two little streams that do
    it are shared by every page of the part (a 1,000-story book has 15,000
    pages, and qpdf keeps every object in memory while it joins). WeasyPrint's
    pages share one resource dictionary, so each page gets its own (a direct
    copy holding the same fonts and images) with the folios as /FanbindFolio.
    """
    import pikepdf

    before = pdf.make_stream(b"q\n")
    after = pdf.make_stream(b"\nQ q /FanbindFolio Do Q\n")
    for local, stamp_page in enumerate(stamp.pages):
        if not drawn[local] or local >= len(pages) or pages[local] is None:
            continue
        page = pages[local].obj
        form = pdf.copy_foreign(stamp_page.as_form_xobject())
        shared = page.get("/Resources")
        own = pikepdf.Dictionary(dict(shared.items()) if shared is not None else {})
        xobjects = own.get("/XObject")
        own.XObject = pikepdf.Dictionary({**(dict(xobjects.items()) if xobjects is not None
                                             else {}), "/FanbindFolio": form})
        page.Resources = own
        contents = page.get("/Contents")
        existing = list(contents) if isinstance(contents, pikepdf.Array) else \
            ([contents] if contents is not None else [])
        page.Contents = pikepdf.Array([before, *existing, after])


def _relabel(ids: list[str | None], first_body: int) -> tuple[tuple[str, str], ...]:
    """The page map of the joined book: ids as laid out, folios counted anew."""
    from fanbind.pdf.result import fill_page_ids, roman

    return tuple((page_id, roman(i + 1) if i < first_body else str(i - first_body + 1))
                 for i, page_id in enumerate(fill_page_ids(ids)))


def _local_pages(source) -> dict[tuple[int, int], int]:
    return {page.objgen: index for index, page in enumerate(source.pages)}


#: Paragraph ids (``story-3-b17``): every paragraph has one, for the EPUB's page
#: list, so WeasyPrint makes each a named destination, but nothing links to them.
_BLOCK_ID = re.compile(r"^story-\d+-b\d+$")


def _copy_destinations(out, sources) -> None:
    """Named destinations of the parts, pointing at the joined book's pages.

    Those of the sections, titles and chapters, and whatever a link points at;
    not the paragraphs' (30,000 at 200 stories, 150,000 at 1,000: a quarter of the
    join's memory, as qpdf holds the whole book while it writes it). Written as
    one flat, sorted ``/Names`` array, as WeasyPrint writes them (inserting them
    one by one into a pikepdf name tree takes seconds).
    """
    import pikepdf

    pages = [page.obj for page in out.pages]  # out.pages[i] costs 0.1 ms each time
    linked = {str(annotation.get("/Dest")) for page in out.pages
              for annotation in (page.obj.get("/Annots") or ())
              if annotation.get("/Dest") is not None}
    found: dict[bytes, object] = {}
    for source, mapping in sources:
        local = _local_pages(source)
        for name, dest in _named_dests(source).items():
            key = str(name).encode("utf-8")
            if key in found or (_BLOCK_ID.match(str(name)) and str(name) not in linked):
                continue
            array = dest.get("/D") if isinstance(dest, pikepdf.Dictionary) else dest
            if not isinstance(array, pikepdf.Array) or len(array) == 0:
                continue
            page = local.get(array[0].objgen)
            if page is None or mapping[page] is None:
                continue
            found[key] = pikepdf.Array([pages[mapping[page]],
                                        *(out.copy_foreign(v) if isinstance(v, pikepdf.Object)
                                          and not isinstance(v, pikepdf.Name | pikepdf.Array)
                                          else v for v in list(array)[1:])])
    names = pikepdf.Array()
    for key in sorted(found):  # name trees are sorted by the keys' bytes
        names.append(pikepdf.String(key.decode("utf-8")))
        names.append(found[key])
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    out.Root.Names.Dests = out.make_indirect(pikepdf.Dictionary(Names=names))


def _copy_outlines(out, sources) -> None:
    """The parts' bookmarks (story › chapter), in order, pointing at the joined pages."""
    import pikepdf

    def convert(item, local, mapping):
        dest = item.destination
        if dest is None and item.action is not None and "/D" in item.action:
            dest = item.action.D
        new = None
        if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in local:
            page = mapping[local[dest[0].objgen]]
            if page is not None:
                rest = list(dest)[1:]
                new = pikepdf.OutlineItem(str(item.title), page)
                new.destination = pikepdf.Array([pages[page], *rest])
        if new is None:
            new = pikepdf.OutlineItem(str(item.title))
        new.is_closed = item.is_closed
        for child in item.children:
            new.children.append(convert(child, local, mapping))
        return new

    pages = [page.obj for page in out.pages]  # out.pages[i] costs 0.1 ms each time
    with out.open_outline() as outline:
        for source, mapping in sources:
            local = _local_pages(source)
            with source.open_outline() as theirs:
                for item in theirs.root:
                    outline.root.append(convert(item, local, mapping))


if __name__ == "__main__":  # python -m fanbind.pdf.parts --join PLAN RESULT
    import sys

    from fanbind.pdf.parts import _join_main

    sys.exit(_join_main(sys.argv[1:]))
