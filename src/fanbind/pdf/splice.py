"""A piece of a long story laid out again by its changed chapters only: the splice.

A rebuild after an edit in one chapter of a long story missed its part's cache
entry and laid out the whole part (about 97 pages of the 300,000-word story)
for one changed chapter of 16. A chapter after the first opens a new page (the
seams :func:`fanbind.pdf.parts.story_seams` finds, where parts are cut anyway),
so its pages in the part are those of the chapter laid out alone as a part of
one chapter — on the side it has in the part. With each laid-out part the cache
keeps, per *piece* (the run of its section's children from one seam to the
next), a digest of what its layout reads and its page range
(:func:`pieces_of`), and a pointer from the part's *lineage* (everything its key
holds but its text: :func:`lineage_key`) to that entry. A part whose key misses
while its lineage has an entry lays out only the pieces whose digest changed
(:func:`splice_or_lay_out`, on a worker): when each one's page count keeps its
parity, the pages after it keep their sides and the part is made from the
cached pages before it, the new pages and the cached pages after it — the
outline, named destinations, page map ids, anchors and folio plan spliced by
page range (:func:`splice_pdf`, :func:`splice_result`). Otherwise, or when the
cached part has layout warnings (which cannot be told apart by chapter), the
whole part is laid out as before.

Whether the joined book's *bytes* are the fresh build's depends on the join
making its output independent of how pages were grouped into PDFs (one font
per face for the book); its *pages* are the fresh build's either way.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pikepdf
from lxml import etree

from fanbind.pdf.parts import (
    Job,
    Part,
    PartResult,
    layout_key,
    story_seams,
    story_section,
)
from fanbind.pdf.result import FolioPlan
from fanbind.pdf.workers import BodyTask, SideLanding, lay_out_body_part
from fanbind.timings import record as record_timing
from fanbind.timings import start as start_timing

#: Added to a part's index to name its pieces' files (``part-NNNNN.pdf`` is the part's).
PIECE_FILES = 10_000_000


@dataclass(frozen=True)
class Piece:
    """One run of a part's story children from a seam to the next, as laid out in it."""

    span: tuple[int, int]  # children of the story section
    digest: str  # what its layout reads (:func:`pieces_of`)
    pages: tuple[int, int]  # its pages in the part: first, end (exclusive)


def lineage_key(job: Job, part: Part, book_pages_css: str, start_left: bool,
                lands_left: bool | None) -> str:
    """What :func:`fanbind.pdf.parts.part_key` holds but the part's documents: the
    same part of the same story, laid out with the same settings, sheets, page
    geometry, sides and code, whatever its text."""
    return layout_key(job, "pdf-part lineage", (), part.stories, book_pages_css,
                      0 in part.stories, part.span, start_left, lands_left,
                      tuple(job.documents[i].filename for i in part.documents),
                      words=False)


def piece_spans(job: Job, part: Part) -> list[tuple[int, int]]:
    """The part's span cut at its story's chapter seams ([] unless it is a piece of
    one long story)."""
    if part.span is None or part.running or len(part.documents) != 1:
        return []
    start, end = part.span
    cuts = [at for at, _ in story_seams(job.documents[part.documents[0]]) if start < at < end]
    bounds = [start, *cuts, end]
    return list(itertools.pairwise(bounds))


def piece_digests(job: Job, part: Part, spans: Sequence[tuple[int, int]]) -> list[str]:
    """Per piece, a digest of its document cut to it (:func:`fanbind.pdf.parts.cut_document`):
    the document without its story's children, the tag and class of each child
    (the stand-ins), and the piece's own children — without copying the tree."""
    document = job.documents[part.documents[0]]
    section = story_section(document)
    if section is None:
        return []
    children = list(section)
    del section[:]
    try:
        frame = etree.tostring(document.root, encoding="utf-8")
    finally:
        section.extend(children)
    outline = repr([(child.tag, child.get("class")) if isinstance(child.tag, str) else None
                    for child in children]).encode()
    found = []
    for start, end in spans:
        digest = hashlib.sha256(frame)
        digest.update(outline)
        digest.update(repr((document.matter, sorted(document.formats), document.language,
                            start > 0)).encode())
        for child in children[start:end]:
            digest.update(etree.tostring(child, encoding="utf-8"))
        found.append(digest.hexdigest())
    return found


def pieces_of(job: Job, part: Part, result: PartResult) -> tuple[Piece, ...]:
    """The part's pieces as laid out in ``result``; () when a piece's first page is
    not known (its first child has no id among the part's anchors)."""
    spans = piece_spans(job, part)
    if len(spans) < 2:
        return ()
    section = story_section(job.documents[part.documents[0]])
    assert section is not None  # it has seams
    firsts = [0]
    for start, _ in spans[1:]:
        name = section[start].get("id")
        if name is None or name not in result.anchors:
            return ()
        firsts.append(result.anchors[name])
    ends = [*firsts[1:], result.pages]
    if any(b < a for a, b in zip(firsts, ends, strict=True)):
        return ()
    digests = piece_digests(job, part, spans)
    return tuple(Piece(span, digest, (first, end))
                 for span, digest, first, end in zip(spans, digests, firsts, ends, strict=True))


@dataclass(frozen=True)
class SpliceTask:
    """A part whose cached layout (``old``, its PDF ``old_pdf``) differs in some
    pieces: those laid out alone (``pieces``: the index of each and its task), or,
    failing that, the whole part (``whole``)."""

    whole: BodyTask
    old: PartResult
    old_pdf: bytes
    layout: tuple[Piece, ...]  # the old part's pieces
    pieces: tuple[tuple[int, BodyTask], ...]


def splice_task(job: Job, index: int, whole: BodyTask, entry: dict[str, Any],
                movable: bool) -> SpliceTask | None:
    """The splice of part ``index`` from its lineage's cached ``entry``, or None when
    its pieces are not those of the entry or none (or all) of them changed."""
    old: tuple[Piece, ...] = entry.get("pieces", ())
    result: PartResult = entry["result"]
    part = job.parts[index]
    spans = piece_spans(job, part)
    if not old or result.warnings or whole.stubs or [p.span for p in old] != spans:
        return None  # stubs: its page references' stand-in page (kept whole)
    digests = piece_digests(job, part, spans)
    changed = [k for k, (piece, digest) in enumerate(zip(old, digests, strict=True))
               if piece.digest != digest]
    if not changed or len(changed) == len(old):
        return None
    tasks = []
    for k in changed:
        piece = old[k]
        flip = piece.pages[0] % 2 == 1  # a page of the other side than the part's first
        alone = replace(part, span=piece.span)
        laid_left = result.start_left != flip
        side = SideLanding(alone.continues, movable, result.planned_left != flip)
        task = BodyTask.of(replace(job, parts=[alone]), 0, whole.book_pages, laid_left, side)
        tasks.append((k, replace(task, index=PIECE_FILES + index * 1000 + k)))
    return SpliceTask(whole, result, entry["pdf"], old, tuple(tasks))


def splice_or_lay_out(task: SpliceTask) -> PartResult:
    """Worker: lay out the changed pieces and splice them into the cached part, or
    lay the whole part out when a piece's page count changed parity."""
    laid = {k: lay_out_body_part(piece) for k, piece in task.pieces}
    fits = all((laid[k].pages - task.layout[k].pages[1] + task.layout[k].pages[0]) % 2 == 0
               and not laid[k].warnings for k in laid)
    if not fits:
        return replace(lay_out_body_part(task.whole), spliced=None)
    clock = start_timing()  # for the benchmarks: fanbind.timings
    whole = task.whole
    target = whole.setup.folder / f"part-{whole.index:05d}-spliced.pdf"
    old_file = whole.setup.folder / f"part-{whole.index:05d}-cached.pdf"
    old_file.write_bytes(task.old_pdf)
    splice_pdf(old_file, task.layout, {k: r.file for k, r in laid.items()}, target)
    result = replace(splice_result(task.old, task.layout, laid), file=target)
    record_timing("splice", clock, part=whole.index, pages=result.pages,
                  laid_out=sum(r.pages for r in laid.values()), pieces=len(laid))
    if whole.early is not None:
        whole.early.send(result)
    return result


def _segments(layout: Sequence[Piece], laid: dict[int, Any]) -> list[tuple[int | None, int, int]]:
    """The spliced part's pages in order, as (piece laid out or None for the
    cached part, first page, end) of its source."""
    out: list[tuple[int | None, int, int]] = []
    for k, piece in enumerate(layout):
        if k in laid:
            out.append((k, 0, laid[k]))
        elif out and out[-1][0] is None and out[-1][2] == piece.pages[0]:
            out[-1] = (None, out[-1][1], piece.pages[1])
        else:
            out.append((None, *piece.pages))
    return out


def splice_pdf(old_file: Path, layout: Sequence[Piece], laid: dict[int, Path | None],
               target: Path) -> None:
    """Write the part made of ``old_file``'s pages but the laid-out pieces', which
    come from their own PDFs; its outline and named destinations follow."""
    old = pikepdf.Pdf.open(old_file)
    pieces = {k: pikepdf.Pdf.open(path) for k, path in laid.items() if path is not None}
    try:
        segments = _segments(layout, {k: len(p.pages) for k, p in pieces.items()})
        out = pikepdf.Pdf.new()
        # Per source page (source, its objgen) → its page in the part.
        where: dict[tuple[int | None, tuple[int, int]], int] = {}
        for source, first, end in segments:
            pdf = old if source is None else pieces[source]
            pages = list(pdf.pages)
            for local in range(first, end):
                where[source, pages[local].obj.objgen] = len(out.pages)
                out.pages.append(pages[local])
        placed = [page.obj for page in out.pages]
        sources: list[tuple[int | None, pikepdf.Pdf]] = [(None, old), *pieces.items()]
        _splice_destinations(out, sources, where, placed)
        _splice_outline(out, old, segments, pieces, placed)
        out.save(target, deterministic_id=True)
    finally:
        old.close()
        for pdf in pieces.values():
            pdf.close()


def _named(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(k): v for k, v in pikepdf.NameTree(names.Dests).items()}


def _splice_destinations(out: pikepdf.Pdf, sources: Sequence[tuple[int | None, pikepdf.Pdf]],
                         where: dict[tuple[int | None, tuple[int, int]], int],
                         placed: Sequence[pikepdf.Object]) -> None:
    """The named destinations of every source whose page is in the part, sorted."""
    found: dict[bytes, tuple[int, pikepdf.Array]] = {}
    for source, pdf in sources:
        for name, dest in _named(pdf).items():
            array = dest.get("/D") if isinstance(dest, pikepdf.Dictionary) else dest
            if not isinstance(array, pikepdf.Array) or len(array) == 0:
                continue
            at = where.get((source, array[0].objgen))
            key = name.encode("utf-8")
            if at is None or (key in found and found[key][0] <= at):
                continue  # a name is where it is first (a piece alone has its section's)
            found[key] = (at, pikepdf.Array(
                [placed[at], *(out.copy_foreign(v) if isinstance(v, pikepdf.Object)
                               and not isinstance(v, pikepdf.Name | pikepdf.Array)
                               else v for v in list(array)[1:])]))
    names = pikepdf.Array()
    for key in sorted(found):
        names.append(pikepdf.String(key.decode("utf-8")))
        names.append(found[key][1])
    out.Root.Names = pikepdf.Dictionary(Dests=out.make_indirect(pikepdf.Dictionary(Names=names)))


@dataclass
class _Mark:
    level: int
    title: str
    page: int | None  # in its source PDF
    rest: list[Any]
    closed: bool


def _marks(pdf: pikepdf.Pdf) -> list[_Mark]:
    """A PDF's bookmarks in order, flattened with their depth and local page."""
    local = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    found: list[_Mark] = []

    def walk(items: Any, level: int) -> None:
        for item in items:
            dest: Any = item.destination
            if dest is None and item.action is not None and "/D" in item.action:
                dest = item.action.D
            page, rest = None, []
            if isinstance(dest, pikepdf.Array) and len(dest):
                page, rest = local.get(dest[0].objgen), list(dest)[1:]
            found.append(_Mark(level, str(item.title), page, rest, bool(item.is_closed)))
            walk(item.children, level + 1)

    with pdf.open_outline() as outline:
        walk(outline.root, 0)
    return found


def _splice_outline(out: pikepdf.Pdf, old: pikepdf.Pdf,
                    segments: Sequence[tuple[int | None, int, int]],
                    pieces: dict[int, pikepdf.Pdf], placed: Sequence[pikepdf.Object]) -> None:
    """The part's bookmarks in page order: the cached part's of the pages kept,
    and each laid-out piece's own — under the story's bookmark when the part
    opens its story and the piece does not (its chapters were its top ones)."""
    kept = _marks(old)
    nested = any(mark.level > 0 for mark in kept)
    marks: list[tuple[_Mark, int]] = []  # with its page in the part
    offset = 0
    for source, first, end in segments:
        if source is None:
            marks += [(mark, mark.page - first + offset) for mark in kept
                      if mark.page is not None and first <= mark.page < end]
        else:
            depth = 1 if nested and offset > 0 else 0
            marks += [(replace(mark, level=mark.level + depth), mark.page + offset)
                      for mark in _marks(pieces[source]) if mark.page is not None]
        offset += end - first
    with out.open_outline() as outline:
        parents: list[Any] = [outline.root]
        for mark, page in marks:
            item = pikepdf.OutlineItem(mark.title, page)
            item.destination = pikepdf.Array([placed[page], *mark.rest])
            item.is_closed = mark.closed
            del parents[mark.level + 1:]
            parents[-1].append(item)
            parents.append(item.children)


def splice_result(old: PartResult, layout: Sequence[Piece], laid: dict[int, PartResult]
                  ) -> PartResult:
    """The spliced part's :class:`PartResult`: the cached part's, its pieces laid out
    again put in by page range (ids, anchors, folio plan)."""
    segments = _segments(layout, {k: r.pages for k, r in laid.items()})
    ids: list[str] = []
    anchors: dict[str, int] = {}
    plan_pages: list[tuple[Any, Any, int]] = []
    strings: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
    assert old.folios is not None  # laid out and stampable
    for source, first, end in segments:
        offset = len(ids)
        result = old if source is None else laid[source]
        ids += result.ids[first:end]
        for name, page in result.anchors.items():
            if first <= page < end and name not in anchors:
                anchors[name] = page - first + offset
        plan = result.folios
        assert plan is not None
        where = _Where(0, offset - first) if source is None else _Where.of(
            old.folios.pages[layout[source].pages[0]], plan.pages[0])
        for page_type, state, number in plan.pages[first:end]:
            plan_pages.append((page_type, where.state(state), number - first + offset))
        for name, by_page in plan.strings:  # by page number (from 1)
            strings.setdefault(name, []).extend(
                (page - first + offset, values) for page, values in by_page
                if first < page <= end)
    total = len(plan_pages)
    pages = tuple(((side, blank, name, at, groups), _total(state, total), number)
                  for at, ((side, blank, name, _, groups), state, number)
                  in enumerate(plan_pages))
    folios = FolioPlan(pages, tuple(sorted(
        (name, tuple(sorted(by_page))) for name, by_page in strings.items())),
        old.folios.root, old.folios.overflow)
    pieces = list(laid.values())
    title = _first_title(old)
    return replace(old, pages=len(ids), ids=tuple(ids), anchors=anchors, folios=folios,
                   opening=anchors.get(title, 0) if title else old.opening,
                   warnings=(), refused=tuple(dict.fromkeys(
                       [*old.refused, *(r for p in pieces for r in p.refused)])),
                   fetched=tuple(dict.fromkeys(
                       [*old.fetched, *(f for p in pieces for f in p.fetched)])),
                   side_free=old.side_free and all(p.side_free for p in pieces),
                   passes=sum(p.passes for p in pieces), stamp=None, drawn=(),
                   spliced=tuple(sorted(laid)))


@dataclass(frozen=True)
class _Where:
    """How a piece laid out alone differs from its place in the part, in the page
    states of its folio plan: its page counter, and in each page group's start
    (the path of child indexes to the element that opened it) the index of its
    story's child, which counts no stand-in (``shift`` at ``depth``). ``moved``:
    how far its page counter moves (the opening page of a story counts no page, so
    this is not always how far its pages move)."""

    shift: int
    moved: int
    depth: int = -1

    @classmethod
    def of(cls, placed: Any, alone: Any) -> _Where:
        """From the piece's first page as it was in the part and as laid out alone."""
        moved = _page_counter(placed) - _page_counter(alone)
        try:
            there, here = placed[1][3][0][2], alone[1][3][0][2]
            depth = 0
            while isinstance(there, dict) and isinstance(here, dict) \
                    and len(there) == len(here) == 1:
                (a, there), (b, here) = next(iter(there.items())), next(iter(here.items()))
                if a != b:
                    return cls(a - b, moved, depth)
                depth += 1
        except (IndexError, TypeError, KeyError):
            pass
        return cls(0, moved)

    def state(self, state: Any) -> Any:
        """A page's state (:class:`fanbind.pdf.result.FolioPlan`) in the part."""
        counters = dict(state[1])
        if "page" in counters:
            counters["page"] = [value + self.moved for value in counters["page"]]
        groups = state[3]
        if self.shift and isinstance(groups, list):
            groups = [[*group[:2], self._moved(group[2], 0), *group[3:]]
                      if isinstance(group, list) and len(group) >= 3 else group
                      for group in groups]
        return (state[0], counters, state[2], groups, *state[4:])

    def _moved(self, path: Any, depth: int) -> Any:
        if not isinstance(path, dict):
            return path
        if depth == self.depth:
            return {key + self.shift: value for key, value in path.items()}
        return {key: self._moved(value, depth + 1) for key, value in path.items()}


def _page_counter(page: Any) -> int:
    """The page counter of a folio plan's page as it ended."""
    values = page[1][1].get("page") or [0]
    return int(values[-1])


def _total(state: Any, total: int) -> Any:
    counters = dict(state[1])
    if "pages" in counters:
        counters["pages"] = [total]
    return (state[0], counters, *state[2:])


def _first_title(old: PartResult) -> str | None:
    return next((name for name, page in old.anchors.items()
                 if name.endswith("-title") and page == old.opening), None)
