"""Work on every core, in bounded memory: stories and PDF parts in worker processes.

Two stages of a build are embarrassingly parallel:

* **Stories** through the text stages (:func:`load_stories`): each story file is
  read, cleaned, parsed and typeset on its own. Results come from the cache
  (:mod:`fanbind.cache`) when the story, its metadata and fanbind are unchanged;
  the rest are shared among worker processes. Errors keep their serial meaning:
  the first failing story in reading order stops the build, with the warnings of
  the stories before it.
* **The PDF** (:func:`write_parallel_pdf`): see the second half of this module.

Workers are forked (``fork`` start method where the platform has it), so they
inherit the imported modules and the book's settings instead of receiving them
pickled once per story.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fanbind.cache import ProjectCache, make_key
from fanbind.diagnostics import Diagnostic, Diagnostics
from fanbind.errors import FanbindError

if TYPE_CHECKING:
    from fanbind.config import AnthologyConfig, StoryConfig
    from fanbind.stories import LoadedStory

STORY_NAMESPACE = "stories"
#: Fewer stories than this to load are loaded in this process: starting
#: workers and sending results back costs more than it saves on small books.
MIN_PARALLEL_STORIES = 24


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _pool(jobs: int) -> ProcessPoolExecutor:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context)


# ---------------------------------------------------------------- stories


@dataclass(frozen=True)
class StoryTask:
    """One story to load: where it is, what metadata.yaml says, where it goes."""

    path: Path
    meta: StoryConfig
    index: int
    display_name: str


def story_key(task: StoryTask, book: AnthologyConfig, data: bytes) -> str:
    """Everything :func:`fanbind.stories.load_story` depends on, hashed.

    The file's bytes, the story's metadata, the book's settings (all of them but
    the story list: language, dash style, limits…), the story's place and name
    (they are written into ids and diagnostics), and fanbind's code.
    """
    import charset_normalizer
    import ftfy

    return make_key("story", data, task.meta.model_dump_json(),
                    book.model_dump_json(exclude={"stories"}), task.index, task.display_name,
                    ftfy.__version__, charset_normalizer.__version__)


def _readable_bytes(task: StoryTask, book: AnthologyConfig) -> bytes | None:
    """The file's bytes when it is a regular file within the size limit, else None.

    Anything else (missing, a FIFO, too big) goes straight to ``load_story``,
    which reports it properly; the cache never reads what the loader would refuse.
    """
    limits = getattr(book, "limits", None)
    limit = getattr(limits, "max_story_mb", 64) * 1024 * 1024
    try:
        info = task.path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return task.path.read_bytes()
    except OSError:
        return None


def _load(task: StoryTask, book: AnthologyConfig) -> tuple[LoadedStory, list[Diagnostic]]:
    from fanbind.stories import load_story

    found = Diagnostics()
    loaded = load_story(task.path, task.meta, index=task.index, display_name=task.display_name,
                        book=book, diagnostics=found)
    return loaded, list(found)


_WORKER_BOOK: AnthologyConfig | None = None


def _load_in_worker(task: StoryTask) -> tuple[LoadedStory, list[Diagnostic]] | None:
    """A worker's load: None on a story error, which the parent then raises in order."""
    assert _WORKER_BOOK is not None
    try:
        return _load(task, _WORKER_BOOK)
    except FanbindError:
        return None


def load_stories(
    tasks: Sequence[StoryTask],
    *,
    book: AnthologyConfig,
    diagnostics: Diagnostics,
    cache: ProjectCache | None = None,
    jobs: int | None = None,
    report: Callable[[str], None] | None = None,
) -> list[LoadedStory]:
    """Every story through the text stages, from the cache or on ``jobs`` cores.

    Same result, diagnostics and errors as loading them one by one in order.
    """
    global _WORKER_BOOK
    jobs = jobs or default_jobs()
    results: dict[int, tuple[LoadedStory, list[Diagnostic]] | None] = {}
    keys: dict[int, str] = {}
    missing: list[int] = []
    for position, task in enumerate(tasks):
        data = _readable_bytes(task, book) if cache is not None and cache.enabled else None
        if data is not None:
            keys[position] = story_key(task, book, data)
            hit = cache.get(STORY_NAMESPACE, keys[position]) if cache is not None else None
            if hit is not None:
                results[position] = hit  # type: ignore[assignment]
                continue
        missing.append(position)

    if len(missing) >= MIN_PARALLEL_STORIES and jobs > 1:
        if report:
            report(f"reading {len(missing)} stories on {jobs} cores")
        _WORKER_BOOK = book
        try:
            with _pool(jobs) as pool:
                chunk = max(1, len(missing) // (jobs * 8))
                for position, result in zip(missing, pool.map(
                        _load_in_worker, [tasks[p] for p in missing], chunksize=chunk),
                        strict=True):
                    results[position] = result
        finally:
            _WORKER_BOOK = None

    loaded: list[LoadedStory] = []
    for position, task in enumerate(tasks):
        result = results.get(position)
        if result is None:
            # Not loaded yet, or a worker met an error: load it here, where an
            # error is raised with the diagnostics of the stories before it.
            if report:
                report(f"reading {task.display_name}")
            result = _load(task, book)
            if cache is not None and position in keys:
                cache.put(STORY_NAMESPACE, keys[position], result)
        elif position in missing and cache is not None and position in keys:
            cache.put(STORY_NAMESPACE, keys[position], result)
        story, found = result
        diagnostics.extend(found)
        loaded.append(story)
    return loaded


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
# * Continuous folios. A part is laid out with its margin boxes deferred
#   (:func:`fanbind.pdf.deferred_folios`); it then publishes its page count and
#   waits for the counts of the parts before it, after which its folios are made
#   with the page counter moved on by the pages before it. Parts are handed out
#   in order, so the part a worker waits for is always being laid out already.
# * Contents page numbers. The front and back matter are laid out last, in this
#   process, with an invisible stand-in for each link target in another part on
#   an extra page (``counter-reset: page N`` on the stand-in makes
#   ``target-counter()`` print the real number); that page is left out of the join.
# * The outline (story › chapter), named destinations for the internal links,
#   the document information (from the front matter, which carries the whole
#   book's metadata) and a deterministic file identifier.

PART_NAMESPACE = "pdf-parts"
START_LEFT_CLASS = "fanbind-start-left"
STUB_CLASS = "fanbind-stubs"
#: Stories per part aim at this many parts per worker: small enough that a
#: worker seldom waits long for the part before it, large enough that the
#: per-part start-up (style sheets, fonts) stays small.
PARTS_PER_JOB = 6
MAX_STORIES_PER_PART = 12


@dataclass(frozen=True)
class PartOptions:
    """How :func:`fanbind.pdf.lay_out` treats one part of a book joined here.

    ``book_pages`` is the whole book's page count (for the gutter, which depends
    on it); ``first_story`` whether this part holds the book's first story (its
    opening restarts the folios at 1); ``stubs`` the link targets of other
    parts with the folio each is printed on; ``blank_pages`` blank pages to add
    at the end (the join takes its blank pages from there).
    """

    book_pages: int
    first_story: bool = False
    stubs: tuple[tuple[str, int], ...] = ()
    blank_pages: int = 0
    css: str = f"html.{START_LEFT_CLASS} {{ break-before: left; }}"


from contextvars import ContextVar  # noqa: E402  (kept next to its only use)

PART_LAYOUT: ContextVar[PartOptions | None] = ContextVar("fanbind_part_layout", default=None)


def prepare_part(html: object, part: PartOptions) -> None:
    """Adjust one part's arranged HTML tree (called by :func:`fanbind.pdf.lay_out`)."""
    from lxml import etree

    from fanbind.render import XHTML_NS

    def x(tag: str) -> str:
        return f"{{{XHTML_NS}}}{tag}"

    def classes(element) -> list[str]:
        return (element.get("class") or "").split()

    assert isinstance(html, etree._Element)
    body = html.find(x("body"))
    stories = [s for s in body.iter(x("section")) if "story" in classes(s)]
    if not part.first_story:
        for story in stories:
            if "first-story" in classes(story):
                story.set("class", " ".join(c for c in classes(story) if c != "first-story"))
    if stories and "has-paratext" in classes(stories[0]):
        html.set("class", " ".join([*classes(html), START_LEFT_CLASS]))
    if part.stubs:
        present = {e.get("id") for e in body.iter() if e.get("id")}
        stubs = dict(part.stubs)
        # Links into other parts name the story title, as arrange_for_print does
        # when the whole book is one tree.
        for link in body.iter(x("a")):
            target = (link.get("href") or "").removeprefix("#")
            if target and target not in present and f"{target}-title" in stubs:
                link.set("href", f"#{target}-title")
        holder = etree.SubElement(body, x("div"))
        holder.set("class", STUB_CLASS)
        holder.set("style", "break-before: page; page: auto")
        for name, folio in part.stubs:
            if name not in present:
                span = etree.SubElement(holder, x("span"))
                span.set("id", name)
                span.set("style", f"counter-reset: page {folio}")


@dataclass(frozen=True)
class _Part:
    kind: str  # "body" (in a worker), "front" or "back" (laid out last, here)
    stories: tuple[int, ...]  # indexes into anthology.stories
    documents: tuple[int, ...]  # indexes into the documents list


@dataclass
class PartResult:
    """What a laid-out part tells the join."""

    file: Path | None
    pages: int
    start_left: bool
    opening: int  # pages before the first story's title page (part 0 only matters)
    ids: tuple[str, ...]  # page map ids, one per page
    anchors: dict[str, int]  # link targets → page within the part
    warnings: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()


@dataclass
class _Job:
    """The forked workers' view of the build (inherited, never pickled)."""

    anthology: object
    documents: list
    parts: list[_Part]
    project_dir: Path
    extra_stylesheets: tuple[Path, ...]
    created: object
    trim: str | None
    print_config: object
    book_pages: int
    folder: Path
    counts: object = None  # multiprocessing arrays, see _publish
    sides: object = None
    opening: object = None
    condition: object = None


_JOB: _Job | None = None
WAIT_SECONDS = 3600


def _sub_anthology(anthology, indexes: Sequence[int]):
    from dataclasses import replace

    return replace(anthology, stories=tuple(anthology.stories[i] for i in indexes))


_ANCHOR_SKIP = ("-b",)


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


def _lay_out_part(job: _Job, part: _Part, options: PartOptions, *, defer: bool):
    from fanbind import pdf

    lay_out = getattr(pdf, "lay_out", None) or pdf._lay_out
    token = PART_LAYOUT.set(options)
    try:
        anthology = _sub_anthology(job.anthology, part.stories) if part.kind == "body" \
            else job.anthology
        documents = [job.documents[i] for i in part.documents]
        if defer:
            with pdf.deferred_folios() as records:
                layout = lay_out(anthology, documents, project_dir=job.project_dir,
                                 extra_stylesheets=job.extra_stylesheets, created=job.created,
                                 trim=job.trim, print_config=job.print_config)
            return layout, records
        layout = lay_out(anthology, documents, project_dir=job.project_dir,
                         extra_stylesheets=job.extra_stylesheets, created=job.created,
                         trim=job.trim, print_config=job.print_config)
        return layout, {}
    finally:
        PART_LAYOUT.reset(token)


def _write_layout(layout, target: Path):
    """:func:`fanbind.pdf.write_layout` (a part is never a PDF/A or PDF/UA variant)."""
    from fanbind import pdf

    write = getattr(pdf, "write_layout", None)
    if write is not None:
        return write(layout, target)
    layout.rendered.write_pdf(target, pdf_identifier=True)
    return pdf.PdfResult(len(layout.rendered.pages), tuple(layout.fetcher.refused),
                         tuple(layout.warnings), page_map=layout.page_map)


def _html_classes(layout) -> list[str]:
    html = getattr(layout.rendered, "_html", None)
    root = getattr(html, "etree_element", None)
    return (root.get("class") or "").split() if root is not None else []


def _render_body_part(index: int) -> PartResult:
    """Worker: lay out part ``index``, wait for the parts before it, write it."""
    job = _JOB
    assert job is not None
    part = job.parts[index]
    try:
        layout, records = _lay_out_part(
            job, part, PartOptions(job.book_pages, first_story=0 in part.stories), defer=True)
        rendered = layout.rendered
        start_left = START_LEFT_CLASS in _html_classes(layout)
        anchors = _anchors(rendered)
        first_title = f"{job.anthology.stories[part.stories[0]].id}-title"
        opening = anchors.get(first_title, 0)
        offset = _publish_and_wait(job, index, len(rendered.pages), start_left, opening)
        from fanbind import pdf

        pdf.add_margin_boxes(rendered, records, page_offset=offset)
        target = job.folder / f"part-{index:05d}.pdf"
        result = _write_layout(layout, target)
    except BaseException:
        _publish_failure(job, index)
        raise
    return PartResult(target, len(rendered.pages), start_left, opening,
                      tuple(page_id for page_id, _ in layout.page_map), anchors,
                      tuple(result.warnings), tuple(result.refused),
                      tuple(getattr(result, "fetched", ())))


def _publish_failure(job: _Job, index: int) -> None:
    if job.condition is None:
        return
    with job.condition:
        job.counts[index] = -2
        job.condition.notify_all()


def _publish_and_wait(job: _Job, index: int, pages: int, start_left: bool, opening: int) -> int:
    """Tell the other workers this part's size; wait for the parts before it; its offset."""
    with job.condition:
        job.counts[index] = pages
        job.sides[index] = start_left
        if index == 0:
            job.opening.value = opening
        job.condition.notify_all()

        def ready() -> bool:
            return all(job.counts[i] != -1 for i in range(index))

        if not job.condition.wait_for(ready, timeout=WAIT_SECONDS):
            raise TimeoutError("a part before this one never finished")
        counts = [job.counts[i] for i in range(index + 1)]
        sides = [bool(job.sides[i]) for i in range(index + 1)]
        first_opening = job.opening.value
    if any(count < 0 for count in counts):
        raise RuntimeError("a part before this one failed")
    if index == 0:
        return 0  # the first story's opening restarts the folios at 1 (print.css)
    positions, _ = _positions(counts, sides, sides[0])
    # Folio on this part's page j (1-based) = position + j - first title page.
    return positions[index] - (positions[0] + first_opening)


def plan_parts(anthology, documents: Sequence, jobs: int) -> list[_Part] | None:
    """Cut the book into front, story groups and back; None when it cannot be cut."""
    front = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "front"]
    body = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "body"]
    back = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "back"]
    stories = len(anthology.stories)
    if stories < 2 or len(body) != stories or (front and body and max(front) > min(body)) \
            or (back and body and min(back) < max(body)):
        return None
    size = max(1, min(MAX_STORIES_PER_PART, -(-stories // (jobs * PARTS_PER_JOB))))
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


def write_parallel_pdf(
    anthology,
    documents: list,
    target: Path,
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created,
    trim: str | None = None,
    print_config=None,
    jobs: int | None = None,
    report: Callable[[str], None] | None = None,
):
    """Lay the book out in parts on ``jobs`` worker processes and join them into ``target``.

    Returns a :class:`fanbind.pdf.PdfResult` like :func:`fanbind.pdf.write_pdf`,
    or None when the book cannot be cut into parts (then the caller lays it out
    in one piece).
    """
    import tempfile

    from fanbind.geometry import estimate_pages, gutter_band, page_geometry

    jobs = jobs or default_jobs()
    parts = plan_parts(anthology, documents, jobs)
    if parts is None:
        return None
    config = print_config if print_config is not None else anthology.meta.print
    first_guess = page_geometry(config, pages=1, trim=trim)
    estimate = estimate_pages([s.words for s in anthology.stories], first_guess)
    body_indexes = [i for i, p in enumerate(parts) if p.kind == "body"]

    with tempfile.TemporaryDirectory(prefix="fanbind-parts-") as folder:
        book_pages = estimate
        for _attempt in range(2):
            job = _Job(anthology, documents, parts, project_dir, extra_stylesheets, created,
                       trim, config, book_pages, Path(folder))
            bodies = _run_bodies(job, body_indexes, jobs, report)
            total, joined = _join(job, bodies, target, report)
            # The gutter depends on the page count: lay out again in the rare case
            # that the real count falls in another row of the gutter table.
            if gutter_band(total) == gutter_band(book_pages) or \
                    not page_geometry(config, pages=total, trim=trim).mirrored:
                return joined
            book_pages = total
        return joined


def _run_bodies(job: _Job, indexes: list[int], jobs: int,
                report: Callable[[str], None] | None) -> list[PartResult]:
    import multiprocessing

    global _JOB
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    job.counts = context.Array("i", [-1] * len(indexes), lock=False)
    job.sides = context.Array("b", [0] * len(indexes), lock=False)
    job.opening = context.Value("i", 0, lock=False)
    job.condition = context.Condition()
    # Workers see parts by their position among the story parts.
    body_job = _Job(**{**job.__dict__, "parts": [job.parts[i] for i in indexes]})
    _JOB = body_job
    if report:
        report(f"laying out {len(indexes)} parts on {jobs} cores")
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            return list(pool.map(_render_body_part, range(len(indexes))))
    finally:
        _JOB = None


def _join(job: _Job, bodies: list[PartResult], target: Path,
          report: Callable[[str], None] | None):
    """Lay out the back and front matter here, with the real numbers; join everything."""
    import pikepdf

    from fanbind import pdf as pdf_module

    counts = [b.pages for b in bodies]
    sides = [b.start_left for b in bodies]
    positions, gaps = _positions(counts, sides, sides[0])
    first_title = positions[0] + bodies[0].opening  # virtual physical page of folio 1
    folios: dict[str, int] = {}
    for position, body in zip(positions, bodies, strict=True):
        for name, page in body.anchors.items():
            folios.setdefault(name, position + page - first_title + 1)

    back_part = next((p for p in job.parts if p.kind == "back"), None)
    back_layout = None
    back_position = 0
    if back_part is not None:
        page = positions[-1] + counts[-1]
        back_position = page if page % 2 == 1 else page + 1  # back matter opens on a recto
        gaps += back_position - page
        if report:
            report("laying out the back matter")
        stubs = tuple(sorted(folios.items()))
        back_layout, records = _lay_out_part(
            job, back_part, PartOptions(job.book_pages, stubs=stubs), defer=True)
        pdf_module.add_margin_boxes(back_layout.rendered, records,
                                    page_offset=back_position - first_title)
        for name, page in _anchors(back_layout.rendered).items():
            folios.setdefault(name, back_position + page - first_title + 1)

    if report:
        report("laying out the front matter")
    pad_to = getattr(job.print_config, "pad_to", None) or 0
    spare = len(bodies) + 3 + pad_to
    front_part = job.parts[0]
    front_layout, _ = _lay_out_part(
        job, front_part, PartOptions(job.book_pages, stubs=tuple(sorted(folios.items())),
                                     blank_pages=spare), defer=False)
    folder = job.folder
    front_file = folder / "front.pdf"
    front_result = _write_layout(front_layout, front_file)
    back_result = None
    if back_layout is not None:
        back_file = folder / "back.pdf"
        back_result = _write_layout(back_layout, back_file)

    if report:
        report("joining the parts")
    front_pages = len(front_layout.rendered.pages) - 1 - spare
    out = pikepdf.Pdf.new()
    sources: list[tuple[object, list[int | None]]] = []  # (pdf, global index per local page)
    ids: list[str | None] = []
    blanks = list(range(front_pages + 1, front_pages + 1 + spare))
    front = _open_pdf(front_file)

    def add(source, local: int, page_id: str | None) -> int:
        out.pages.append(source.pages[local])
        ids.append(page_id)
        return len(out.pages) - 1

    def blank() -> None:
        add(front, blanks.pop(0), None)

    front_map: list[int | None] = [None] * len(front.pages)
    front_ids = [page_id for page_id, _ in front_layout.page_map]
    for local in range(front_pages):
        front_map[local] = add(front, local, front_ids[local])
    sources.append((front, front_map))
    # The first story on the side it asks for.
    wanted_odd = not sides[0]
    if ((len(out.pages) + 1) % 2 == 1) != wanted_odd:
        blank()
    first_body_index = len(out.pages) + bodies[0].opening  # 0-based index of folio 1
    opened = []
    for position, body in zip(positions, bodies, strict=True):
        # Same blank pages as in the virtual numbering: the real book is shifted by
        # an even number of pages, so the sides agree.
        while len(out.pages) - (first_body_index - bodies[0].opening) < position - positions[0]:
            blank()
        source = _open_pdf(body.file)
        opened.append(source)
        mapping: list[int | None] = []
        for local in range(len(source.pages)):
            mapping.append(add(source, local, body.ids[local] if local < len(body.ids) else None))
        sources.append((source, mapping))
    if back_layout is not None:
        while len(out.pages) - (first_body_index - bodies[0].opening) < \
                back_position - positions[0]:
            blank()
        source = _open_pdf(back_file)
        opened.append(source)
        back_ids = [page_id for page_id, _ in back_layout.page_map]
        mapping = [add(source, local, back_ids[local]) for local in range(len(source.pages) - 1)]
        sources.append((source, [*mapping, None]))
    if pad_to:
        while len(out.pages) % pad_to:
            blank()

    _copy_destinations(out, sources)
    _copy_outlines(out, sources)
    for key, value in front.docinfo.items():
        out.docinfo[key] = value
    for key in ("/Lang", "/PageMode", "/ViewerPreferences"):
        if key in front.Root:
            out.Root[key] = out.copy_foreign(front.Root[key]) \
                if isinstance(front.Root[key], pikepdf.Dictionary) else front.Root[key]

    page_map = _relabel(ids, first_body_index)
    out.save(target, deterministic_id=True)
    total = len(out.pages)
    for source in (front, *opened):
        source.close()
    warnings = [w for b in bodies for w in b.warnings]
    refused = [r for b in bodies for r in b.refused]
    fetched = [f for b in bodies for f in b.fetched]
    for result in (front_result, back_result):
        if result is not None:
            warnings += list(result.warnings)
            refused += list(result.refused)
            fetched += list(getattr(result, "fetched", ()))
    joined = pdf_module.PdfResult(total, tuple(dict.fromkeys(refused)),
                                  tuple(dict.fromkeys(warnings)), page_map=page_map,
                                  trim=front_layout.geometry.trim)
    if "fetched" in pdf_module.PdfResult.__dataclass_fields__:
        from dataclasses import replace

        joined = replace(joined, fetched=tuple(dict.fromkeys(fetched)))
    del gaps
    return total, joined


def _relabel(ids: list[str | None], first_body: int) -> tuple[tuple[str, str], ...]:
    """The page map of the joined book: ids as laid out, folios counted anew."""
    from fanbind.pdf import roman

    filled: list[str | None] = list(ids)
    following: str | None = None
    for index in range(len(filled) - 1, -1, -1):
        if filled[index] is None:
            filled[index] = following
        else:
            following = filled[index]
    previous = ""
    for index, value in enumerate(filled):
        if value is None:
            filled[index] = previous
        else:
            previous = value
    return tuple((page_id or "", roman(i + 1) if i < first_body else str(i - first_body + 1))
                 for i, page_id in enumerate(filled))


def _local_pages(source) -> dict[tuple[int, int], int]:
    return {page.objgen: index for index, page in enumerate(source.pages)}


def _copy_destinations(out, sources) -> None:
    """Named destinations of every part, pointing at the joined book's pages."""
    import pikepdf

    tree = pikepdf.NameTree.new(out)
    for source, mapping in sources:
        local = _local_pages(source)
        for name, dest in _named_dests(source).items():
            if name in tree:
                continue
            array = dest.get("/D") if isinstance(dest, pikepdf.Dictionary) else dest
            if not isinstance(array, pikepdf.Array) or len(array) == 0:
                continue
            page = local.get(array[0].objgen)
            if page is None or mapping[page] is None:
                continue
            tree[name] = pikepdf.Array([out.pages[mapping[page]].obj,
                                        *(out.copy_foreign(v) if isinstance(v, pikepdf.Object)
                                          and not isinstance(v, pikepdf.Name | pikepdf.Array)
                                          else v for v in list(array)[1:])])
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    out.Root.Names.Dests = tree.obj


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
                new.destination = pikepdf.Array([out.pages[page].obj, *rest])
        if new is None:
            new = pikepdf.OutlineItem(str(item.title))
        new.is_closed = item.is_closed
        for child in item.children:
            new.children.append(convert(child, local, mapping))
        return new

    with out.open_outline() as outline:
        for source, mapping in sources:
            local = _local_pages(source)
            with source.open_outline() as theirs:
                for item in theirs.root:
                    outline.root.append(convert(item, local, mapping))
