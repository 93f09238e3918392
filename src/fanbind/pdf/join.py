"""The join: a book's laid-out parts made one PDF with pikepdf.

:class:`JoinPlan` is plain data (the parts' files, the order of the pages), so
the join can run in a Python process of its own for a big book
(``python -m fanbind.pdf.join PLAN RESULT``): qpdf holds every copied page in
memory, which should not add to the building process's. :func:`assemble` copies
the pages, lays each story part's folios over its pages, and rebuilds the named
destinations, the outline, the document information and one copy of each
bundled font (:mod:`fanbind.pdf.fonts`). See ``docs/pdf-in-parts.md``.

This module imports no other stage of fanbind (only fonts, results, the cache
and the atomic writer), so the join's own process stays small.

Cutting the shared fonts down to the book's glyphs (:mod:`fanbind.pdf.fonts`) was
most of the join (0.8 of 1.1 s CPU for the 300,000-word story) when fontTools did
it; HarfBuzz's subsetter, which WeasyPrint uses too, takes milliseconds. The
programs are also kept in the project's cache (:class:`FontSubsets`), keyed by the
font file, the glyphs and the subsetter, which an edit of a paragraph seldom changes.
"""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf

from fanbind.atomic import library_writer
from fanbind.cache import ProjectCache, file_digest, make_key
from fanbind.pdf.book_resources import share_resources, share_small_streams
from fanbind.pdf.folios import Folios
from fanbind.pdf.fonts import (
    apply_shared_fonts,
    prepare_shared_fonts,
    subset_program,
    subsetter_version,
)
from fanbind.pdf.result import BLOCK_ID, PageMap, fill_page_ids
from fanbind.timings import record as record_timing
from fanbind.timings import start as start_timing

try:
    import resource
except ImportError:  # not on this platform: the open-file limit stays as it is
    resource = None  # type: ignore[assignment]

#: One page of the joined book: where it comes from, which story part (0 for the
#: front and back matter and for blank pages, which are spare pages of the front
#: matter) and which page of that PDF.
Slot = tuple[Literal["front", "blank", "body", "back"], int, int]
#: Where each page of one source PDF went in the joined book (None: left out).
Mapping = list[int | None]
#: Books of more pages than this are joined in a process of their own: qpdf holds
#: every copied page in memory (about 200 MB for 3,000 pages), which should not add
#: to the memory of the building process, which holds the whole book's text.
JOIN_APART_PAGES = 1500
#: The cache namespace of the shared font programs (:class:`FontSubsets`).
FONTS_NAMESPACE = "pdf-fonts"


@dataclass(frozen=True)
class JoinOptions:
    """How a book is joined: in a process of its own from ``apart_pages`` pages on
    (0: always), and with one copy of each bundled face (``share_fonts``; False
    keeps every part's own subsets, as before sharing, for comparison).
    ``beside_layouts``: what the join takes besides the parts (their folios, the
    front and back matter) is started as soon as what it prints is known
    (:mod:`fanbind.pdf.numbering`); False waits for the last part, as before, for
    comparison."""

    apart_pages: int = JOIN_APART_PAGES
    share_fonts: bool = True
    beside_layouts: bool = True


@dataclass(frozen=True)
class JoinedPart:
    """A story part as the join sees it."""

    file: Path
    stamp: Path  # its margin boxes, one page per page of the part
    drawn: tuple[bool, ...]  # per page: whether the stamp has anything on it
    ids: tuple[str, ...]  # page map ids, one per page
    #: Per page, how far (points) to move its content across: a part laid out on
    #: one side and placed on the other (empty: not moved).
    shifts: tuple[float, ...] = ()
    #: Starts inside a story: its bookmarks (chapters) go under the story's.
    continues: bool = False


@dataclass(frozen=True)
class JoinPlan:
    """What the join needs, as plain data (it may run in a process of its own)."""

    front_file: Path
    front_ids: list[str]
    back_file: Path | None
    back_ids: list[str]
    slots: list[Slot]
    first_body_index: int  # 0-based index of folio 1 in the joined book
    bodies: list[JoinedPart]
    target: Path
    date: str  # /CreationDate and /ModDate, as WeasyPrint writes them
    share_fonts: bool = True  # see JoinOptions
    #: The project whose cache keeps the shared font programs (None: no cache).
    fonts_cache: Path | None = None

    def page_map(self) -> PageMap:
        """The page map of the joined book: ids as laid out, folios counted anew."""
        ids: list[str | None] = []
        for kind, part, local in self.slots:
            if kind == "blank":
                ids.append(None)
            elif kind == "front":
                ids.append(self.front_ids[local])
            elif kind == "back":
                ids.append(self.back_ids[local] if local < len(self.back_ids) else None)
            else:
                body_ids = self.bodies[part].ids
                ids.append(body_ids[local] if local < len(body_ids) else None)
        labels = self.folios.labels()
        return tuple(zip(fill_page_ids(ids), labels, strict=True))

    @property
    def folios(self) -> Folios:
        """The joined book's folios: the same rule as a book laid out in one piece."""
        return Folios(len(self.slots), self.first_body_index)


def join(plan: JoinPlan, *, apart: bool, folder: Path,
         meanwhile: Callable[[], None] | None = None) -> None:
    """Write the joined book to ``plan.target``: here, or with ``apart`` in a new
    Python process, calling ``meanwhile`` while it works (after the join when it
    runs here). An error ``meanwhile`` raises stops the join."""
    if not apart:
        assemble(plan)
        if meanwhile is not None:
            meanwhile()
        return
    process = _start_apart(plan, folder)
    try:
        if meanwhile is not None:
            meanwhile()
        _finish_apart(process, plan, folder)
    except BaseException:
        # Not when _finish_apart waited for it already (its error, e.g. a full disk,
        # is raised here): a second communicate() fails on the closed pipe.
        if process.returncode is None:
            process.kill()
            process.communicate()  # reaps it and closes its pipe
        raise


def _start_apart(plan: JoinPlan, folder: Path) -> subprocess.Popen[str]:
    """Start :func:`assemble` in a new Python process (``python -m fanbind.pdf.join``).

    A new interpreter rather than a fork: a fork would start with this process's
    memory.
    """
    plan_file = folder / "join-plan.pickle"
    plan_file.write_bytes(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))
    return subprocess.Popen([sys.executable, "-m", "fanbind.pdf.join", str(plan_file),
                             str(folder / "join-result.pickle")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _finish_apart(process: subprocess.Popen[str], plan: JoinPlan, folder: Path) -> None:
    """Wait for :func:`_start_apart`'s join; an OS error there (a full disk) comes back
    as the same OSError."""
    _, errors = process.communicate()
    result_file = folder / "join-result.pickle"
    if process.returncode != 0 or not result_file.exists():
        last = ((errors or "").strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"joining the PDF parts failed: {last}")
    outcome = pickle.loads(result_file.read_bytes())
    if outcome[0] == "oserror":
        raise OSError(outcome[1], outcome[2], str(plan.target))


def main(argv: Sequence[str]) -> int:
    """``python -m fanbind.pdf.join PLAN RESULT``: the join, for :func:`join` with ``apart``."""
    plan_file, result_file = Path(argv[0]), Path(argv[1])
    plan = pickle.loads(plan_file.read_bytes())  # written by our parent, in its own temp folder
    outcome: tuple[object, ...]
    try:
        assemble(plan)
        outcome = ("ok",)
    except OSError as error:
        outcome = ("oserror", error.errno, error.strerror or str(error))
    result_file.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


def assemble(plan: JoinPlan) -> None:
    """Write the joined book to ``plan.target``."""
    clock = start_timing()  # for the benchmarks: fanbind.timings
    _allow_open_files(2 * len(plan.bodies) + 16)  # qpdf reads the parts until it saves

    out = pikepdf.Pdf.new()
    front = pikepdf.Pdf.open(plan.front_file)
    opened = [front]
    body_pdfs = []
    stamp_pdfs = []
    for body in plan.bodies:
        body_pdfs.append(pikepdf.Pdf.open(body.file))
        stamp_pdfs.append(pikepdf.Pdf.open(body.stamp))
    opened += body_pdfs + stamp_pdfs
    back = pikepdf.Pdf.open(plan.back_file) if plan.back_file is not None else None
    if back is not None:
        opened.append(back)
    mappings: dict[tuple[str, int], Mapping] = {
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
    fonts_clock = start_timing()
    subsets = FontSubsets(plan.fonts_cache)
    # In book order, the pages before their folios: where the parts' fonts disagree
    # on a glyph, the first wins (fonts.apply_shared_fonts).
    shared_fonts = prepare_shared_fonts([front, *body_pdfs, *([back] if back else []),
                                         *stamp_pdfs],
                                        subset=subsets) if plan.share_fonts else {}
    record_timing("fonts", fonts_clock, faces=len(shared_fonts), made=subsets.made,
                  cached=subsets.cached)
    for count, (kind, part, local) in enumerate(plan.slots):
        if kind == "blank":
            out.pages.append(pages[("front", 0)][local])
            continue
        out.pages.append(pages[(kind, part)][local])
        mappings[(kind, part)][local] = count
    # The folios go onto the joined book's pages (copied once, not first into
    # their part and then again into the book).
    placed = list(out.pages)
    moved: dict[int, float] = {}  # joined page → how far its content moved across
    for index, stamp in enumerate(stamp_pdfs):
        where = mappings[("body", index)]
        shifts = plan.bodies[index].shifts
        _lay_over(out, [placed[at] if at is not None else None for at in where], stamp,
                  plan.bodies[index].drawn, shifts)
        moved.update({at: shifts[local] for local, at in enumerate(where)
                      if at is not None and local < len(shifts) and shifts[local]})
    sources = [(front, mappings[("front", 0)])]
    sources += [(p, mappings[("body", i)]) for i, p in enumerate(body_pdfs)]
    if back is not None:
        sources.append((back, mappings[("back", 0)]))

    _copy_destinations(out, sources, moved)
    _copy_outlines(out, sources, moved,
                   {1 + i for i, body in enumerate(plan.bodies) if body.continues})
    apply_shared_fonts(out, shared_fonts)
    _share_resources(out)
    for key, value in front.docinfo.items():
        out.docinfo[key] = value
    for key in ("/CreationDate", "/ModDate"):  # the front was laid out with PART_CREATED
        if key in out.docinfo:
            out.docinfo[key] = pikepdf.String(plan.date)
    for key in ("/Lang", "/PageMode", "/ViewerPreferences"):
        if key in front.Root:
            out.Root[key] = out.copy_foreign(front.Root[key]) \
                if isinstance(front.Root[key], pikepdf.Dictionary) else front.Root[key]

    out.Root.PageLabels = page_labels(plan.folios)
    with library_writer(plan.target) as stream:  # a full disk raises, never aborts
        out.save(stream, deterministic_id=True)
    for source in opened:
        source.close()
    subsets.prune()
    record_timing("join", clock, pages=len(plan.slots))


def _share_resources(out: pikepdf.Pdf) -> None:
    """The pages' resources and the join's little streams made one per book
    (:mod:`fanbind.pdf.book_resources`): the same pages give the same file
    whatever the parts were."""
    clock = start_timing()
    shared = share_resources(out, own=("/FanbindFolio",))  # _lay_over's folio form
    dropped = share_small_streams(out)
    record_timing("resources", clock, kinds=len(shared.kinds), dictionaries=shared.dictionaries,
                  distinct=shared.distinct, clashes=",".join(shared.clashes), streams=dropped)


class FontSubsets:
    """The shared font programs (:func:`fanbind.pdf.fonts.subset_program`), kept in
    the cache of the project at ``project`` (None: made every time).

    A program is a pure function of the font file, the glyphs and the subsetter (it
    keeps the source's dates: :func:`fanbind.pdf.fonts.pin_font_clock`), which
    with fanbind's code make the key. The join may run in a process of its own,
    so it keeps its own tally (``made``, ``cached``) and prunes the namespace
    itself once the book is written: the building process never sees these keys.
    """

    def __init__(self, project: Path | None) -> None:
        self.store = ProjectCache(project) if project is not None else None
        self.made = 0
        self.cached = 0

    def __call__(self, path: Path, glyphs: Sequence[int]) -> bytes:
        if self.store is None or not self.store.enabled:
            self.made += 1
            return subset_program(path, glyphs)
        key = make_key("font subset", file_digest(path), tuple(glyphs), subsetter_version())
        hit = self.store.get(FONTS_NAMESPACE, key)
        if isinstance(hit, bytes):
            self.cached += 1
            return hit
        program = subset_program(path, glyphs)
        self.made += 1
        self.store.put(FONTS_NAMESPACE, key, program)
        return program

    def prune(self) -> None:
        """Forget the programs of earlier builds (after this one's book is written)."""
        if self.store is not None:
            self.store.prune([FONTS_NAMESPACE])


def page_labels(folios: Folios) -> pikepdf.Dictionary:
    """The joined book's ``/PageLabels``, from the same folios as its page map (see
    :meth:`fanbind.pdf.folios.Folios.label_ranges`)."""
    numbers: list[object] = []
    for start, style, first in folios.label_ranges():
        numbers += [start, pikepdf.Dictionary(S=pikepdf.Name(f"/{style}"), St=first)]
    return pikepdf.Dictionary(Nums=pikepdf.Array(numbers))


def _allow_open_files(count: int) -> None:
    """Raise this process's limit of open files to ``count`` when it is lower (a
    1,000-story book has 500 parts and as many folio stamps open at once)."""
    if resource is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
        # If it cannot be raised the join may still fit; if not, the OS error says why.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _lay_over(pdf: pikepdf.Pdf, pages: Sequence[pikepdf.Page | None], stamp: pikepdf.Pdf,
              drawn: Sequence[bool], shifts: Sequence[float] = ()) -> None:
    """Draw each page of ``stamp`` (a part's margin boxes) over the same page of ``pdf``.

    As a form XObject: both pages have the same size and origin, so the form
    needs no matrix. The page's own content is wrapped in ``q``/``Q`` so its
    graphics state cannot leak into the stamp; the two little streams that do
    it are shared by every page of the part (a 1,000-story book has 15,000
    pages, and qpdf keeps every object in memory while it joins). WeasyPrint's
    pages share one resource dictionary, so each page gets its own (a direct
    copy holding the same fonts and images) with the folios as /FanbindFolio.

    ``shifts`` moves a page's own content (and its links) across by that many
    points, the stamp staying put: a page laid out on the other side.
    """
    before = pdf.make_stream(b"q\n")
    after = pdf.make_stream(b"\nQ q /FanbindFolio Do Q\n")
    closing = pdf.make_stream(b"\nQ\n")
    movers: dict[float, pikepdf.Stream] = {}
    for local, stamp_page in enumerate(stamp.pages):
        target = pages[local] if local < len(pages) else None
        shift = shifts[local] if local < len(shifts) else 0.0
        if target is None or not (drawn[local] or shift):
            continue
        page = target.obj
        opening = before
        if shift:
            if shift not in movers:
                movers[shift] = pdf.make_stream(f"q 1 0 0 1 {shift:.4f} 0 cm\n".encode())
            opening = movers[shift]
            for annotation in page.get("/Annots") or ():
                rect = annotation.get("/Rect")
                if rect is not None and len(rect) == 4:
                    annotation.Rect = pikepdf.Array([float(rect[0]) + shift, rect[1],
                                                     float(rect[2]) + shift, rect[3]])
        if not drawn[local]:
            contents = page.get("/Contents")
            existing = list(contents) if isinstance(contents, pikepdf.Array) else \
                ([contents] if contents is not None else [])
            page.Contents = pikepdf.Array([opening, *existing, closing])
            continue
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
        page.Contents = pikepdf.Array([opening, *existing, after])


def _local_pages(source: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    return {page.obj.objgen: index for index, page in enumerate(source.pages)}


def _named_dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return dict(pikepdf.NameTree(names.Dests).items())


def _moved(dest: list[object], shift: float) -> list[object]:
    """A destination array's ``/XYZ left`` moved across with its page's content."""
    if shift and len(dest) >= 3 and str(dest[1]) == "/XYZ":
        try:  # pikepdf gives numbers as int or Decimal
            return [dest[0], dest[1], float(dest[2]) + shift, *dest[3:]]  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return dest  # a null left: the viewer keeps its position
    return dest


def _copy_destinations(out: pikepdf.Pdf, sources: Sequence[tuple[pikepdf.Pdf, Mapping]],
                       moved: dict[int, float] | None = None) -> None:
    """Named destinations of the parts, pointing at the joined book's pages.

    Those of the sections, titles and chapters, and whatever a link points at;
    not the paragraphs' (30,000 at 200 stories, 150,000 at 1,000: a quarter of the
    join's memory, as qpdf holds the whole book while it writes it). Every
    paragraph has an id, for the EPUB's page list; a part is laid out with only
    the linked ones as ids (:func:`fanbind.pdf.layout.html_source`), and this
    keeps it so whatever a part holds. Written as one flat, sorted
    ``/Names`` array, as WeasyPrint writes them (inserting them one by one into a
    pikepdf name tree takes seconds).
    """
    pages = [page.obj for page in out.pages]  # out.pages[i] costs 0.1 ms each time
    linked = {str(annotation.get("/Dest")) for page in out.pages
              for annotation in (page.obj.get("/Annots") or ())
              if annotation.get("/Dest") is not None}
    found: dict[bytes, pikepdf.Array] = {}
    for source, mapping in sources:
        local = _local_pages(source)
        for name, dest in _named_dests(source).items():
            key = str(name).encode("utf-8")
            if key in found or (BLOCK_ID.match(str(name)) and str(name) not in linked):
                continue
            array = dest.get("/D") if isinstance(dest, pikepdf.Dictionary) else dest
            if not isinstance(array, pikepdf.Array) or len(array) == 0:
                continue
            page = local.get(array[0].objgen)
            at = mapping[page] if page is not None else None
            if at is None:
                continue
            found[key] = pikepdf.Array(_moved([
                pages[at], *(out.copy_foreign(v) if isinstance(v, pikepdf.Object)
                             and not isinstance(v, pikepdf.Name | pikepdf.Array)
                             else v for v in list(array)[1:])], (moved or {}).get(at, 0.0)))
    names = pikepdf.Array()
    for key in sorted(found):  # name trees are sorted by the keys' bytes
        names.append(pikepdf.String(key.decode("utf-8")))
        names.append(found[key])
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    out.Root.Names.Dests = out.make_indirect(pikepdf.Dictionary(Names=names))


def _copy_outlines(out: pikepdf.Pdf, sources: Sequence[tuple[pikepdf.Pdf, Mapping]],
                   moved: dict[int, float] | None = None, inside: set[int] | None = None
                   ) -> None:
    """The parts' bookmarks (story › chapter), in order, pointing at the joined pages.

    A part that starts inside a story (its index among ``sources`` in ``inside``)
    has the story's chapters as its top bookmarks: they go under the story's
    bookmark, the last top one so far, as in a one-piece layout.
    """

    def convert(item: pikepdf.OutlineItem, local: dict[tuple[int, int], int],
                mapping: Mapping) -> pikepdf.OutlineItem:
        dest: object = item.destination
        if dest is None and item.action is not None and "/D" in item.action:
            dest = item.action.D
        new = None
        if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in local:
            page = mapping[local[dest[0].objgen]]
            if page is not None:
                rest = list(dest)[1:]
                new = pikepdf.OutlineItem(str(item.title), page)
                new.destination = pikepdf.Array(
                    _moved([pages[page], *rest], (moved or {}).get(page, 0.0)))
        if new is None:
            new = pikepdf.OutlineItem(str(item.title))
        new.is_closed = item.is_closed
        for child in item.children:
            new.children.append(convert(child, local, mapping))
        return new

    pages = [page.obj for page in out.pages]  # out.pages[i] costs 0.1 ms each time
    with out.open_outline() as outline:
        for number, (source, mapping) in enumerate(sources):
            local = _local_pages(source)
            parent = outline.root[-1].children if number in (inside or set()) \
                and len(outline.root) else outline.root
            with source.open_outline() as theirs:
                for item in theirs.root:
                    parent.append(convert(item, local, mapping))


if __name__ == "__main__":  # python -m fanbind.pdf.join PLAN RESULT
    sys.exit(main(sys.argv[1:]))
