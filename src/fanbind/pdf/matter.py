"""The front and back matter of a book laid out in parts, and the order of its pages.

They are laid out in the building process once every story part's page count
is known (as soon as the last part is laid out: :mod:`fanbind.pdf.numbering`),
so the contents page prints the real page numbers, through an
invisible stand-in for each link target in another part (:func:`stubs`; see
``docs/pdf-in-parts.md``). :func:`lay_out_front_and_back` also decides where
every page of the joined book comes from (:attr:`Matter.slots`).

:mod:`fanbind.pdf.layout` (WeasyPrint) is imported only when the matter is laid
out: cached matter needs none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from fanbind.cache import ProjectCache
from fanbind.pdf.arrange import PartOptions
from fanbind.pdf.join import Slot
from fanbind.pdf.parts import (
    MATTER_NAMESPACE,
    PART_CREATED,
    Digests,
    Job,
    Part,
    PartResult,
    Reporter,
    dependencies,
    dependencies_match,
    layout_key,
)
from fanbind.pdf.result import PdfResult
from fanbind.pdf.workers import anchors, lay_out_part
from fanbind.render import XHTML_NS, Document


@dataclass
class Laid:
    """The front or back matter laid out (what the join needs; what the cache keeps)."""

    file: Path | None
    pages: int
    ids: list[str]  # page map ids, one per page
    anchors: dict[str, int]
    result: PdfResult  # of the laid-out matter
    trim: str


@dataclass
class Matter:
    """The front and back matter, laid out with the real numbers, and the page order."""

    front: Laid
    back: Laid | None
    slots: list[Slot]
    first_body_index: int  # 0-based index of folio 1 in the joined book
    laid_out: tuple[str, ...]  # which of "back", "front" this build laid out
    #: The folio of every link target of the book (the story parts' and the back
    #: matter's): what a story part's page references must print (pdf/in_parts.py).
    folios: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.slots)


def lay_out_matter(job: Job, kind: Literal["front", "back"], part: Part, options: PartOptions,
                   *, page_offset: int | None, geometry_css: str,
                   cache: ProjectCache | None, digests: Digests,
                   report: Reporter | None) -> tuple[Laid, bool]:
    """The front (``page_offset`` None: its own roman folios) or back matter, from the
    cache when its documents, the numbers its links print and the settings are unchanged.

    Laid out with :data:`PART_CREATED`: the join writes the build date into the book's
    metadata, so an edit that only moves the date keeps these cached too.
    """
    everything = range(len(job.anthology.stories))  # the head names every story's authors
    # Not options.book_pages: it matters only through the geometry (the gutter row).
    key = layout_key(job, "pdf-matter", part.documents, everything, geometry_css, kind,
                     options.stubs, options.blank_pages, options.css,
                     page_offset, words=False) if cache is not None else ""
    entry = cache.get(MATTER_NAMESPACE, key) if cache is not None else None
    target = job.setup.folder / f"{kind}.pdf"
    if isinstance(entry, dict) and dependencies_match(entry, digests):
        laid: Laid = entry["laid"]
        target.write_bytes(entry["pdf"])
        laid.file = target
        return laid, False
    from fanbind.pdf import layout as pdf  # deferred: see the module docstring

    if report:
        report(f"laying out the {kind} matter")
    documents = [job.documents[i] for i in part.documents]
    layout, records = lay_out_part(job.setup, job.anthology, documents, options,
                                   defer=page_offset is not None, created=PART_CREATED)
    if page_offset is not None:
        pdf.add_margin_boxes(layout.rendered, records, page_offset=page_offset)
    result = pdf.write_layout(layout, target)
    laid = Laid(target, len(layout.rendered.pages), [i for i, _ in layout.page_map],
                anchors(layout), result, layout.geometry.trim)
    if cache is not None:
        cache.put(MATTER_NAMESPACE, key, {
            "pdf": target.read_bytes(), "laid": replace(laid, file=None),
            "dependencies": dependencies(result.fetched, result.refused, job.setup.project_dir,
                                         digests)})
    return laid, True


def lay_out_front_and_back(job: Job, parts: list[Part], bodies: list[PartResult],
                           positions: list[int], book_pages: int, *, geometry_css: str,
                           cache: ProjectCache | None, digests: Digests,
                           report: Reporter | None) -> Matter:
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
        back_stubs = stubs(folios, [job.documents[i] for i in back_part.documents])
        back_stub_page = bool(back_stubs)
        back, fresh = lay_out_matter(
            job, "back", back_part, PartOptions(book_pages, stubs=back_stubs),
            page_offset=back_position - first_title, geometry_css=geometry_css, cache=cache,
            digests=digests, report=report)
        laid_out += ["back"] if fresh else []
        for name, page in back.anchors.items():
            folios.setdefault(name, back_position + page - first_title + 1)

    pad_to = job.anthology.meta.print.page_multiple or 0
    spare = len(bodies) + 3 + pad_to
    front_stubs = stubs(folios, [job.documents[i] for i in parts[0].documents])
    front, fresh = lay_out_matter(
        job, "front", parts[0], PartOptions(book_pages, stubs=front_stubs, blank_pages=spare),
        page_offset=None, geometry_css=geometry_css, cache=cache, digests=digests,
        report=report)
    laid_out += ["front"] if fresh else []

    # The page order. Blank pages come from the spare pages at the end of the front.
    front_pages = front.pages - spare - (1 if front_stubs else 0)
    blanks = iter(range(front_pages + (1 if front_stubs else 0), front.pages))
    slots: list[Slot] = [("front", 0, local) for local in range(front_pages)]

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
    return Matter(front, back, slots, first_body_index, tuple(laid_out), folios)


def stubs(folios: dict[str, int], documents: list[Document]) -> tuple[tuple[str, int], ...]:
    """The stand-ins the front or back matter needs: the targets its links name.

    Only those, not every target of the book: each stand-in is an element to lay
    out, and a 1,000-story book has thousands of targets but a contents page
    that names only its stories.
    """
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
