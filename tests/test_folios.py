"""Page numbers read back from the PDF: folios, page references, /PageLabels.

The books are tiny (one or two stories, 15–20 pages) built through
:func:`fanbind.build.build`, so a test costs about a second. The readers here
(:func:`read_book`) are shared with ``test_folio_property.py``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import yaml
from lxml import etree

from fanbind.build import build
from fanbind.pdf import geometry
from fanbind.pdf.folios import Folios, roman

pytestmark = pytest.mark.slow

PARAGRAPHS = (Path(__file__).parent / "data" / "pdf" / "paragraphs-en.txt").read_text(
    encoding="utf-8").strip().split("\n\n")
ROMAN = re.compile(r"^[ivxlcdm]+$")


# ---------------------------------------------------------------------- books


def story_text(chapters: int, paragraphs: int, start: int = 0) -> str:
    """``chapters`` titled chapters (0: none) of ``paragraphs`` paragraphs each."""
    def run(count: int, offset: int) -> str:
        return "\n\n".join(PARAGRAPHS[(offset + k) % len(PARAGRAPHS)] for k in range(count))
    if not chapters:
        return run(paragraphs, start)
    return "\n\n".join(f"Chapter {n + 1}\n\n" + run(paragraphs, start + n * paragraphs)
                       for n in range(chapters))


def write_book(root: Path, stories: list[dict[str, Any]], **extra: Any) -> Path:
    """A project of ``stories`` (each: ``text`` plus metadata.yaml keys)."""
    (root / "texts").mkdir(parents=True, exist_ok=True)
    entries = []
    for number, story in enumerate(stories, start=1):
        story = dict(story)
        (root / "texts" / f"s{number}.txt").write_text(story.pop("text"), encoding="utf-8")
        entries.append({"file": f"texts/s{number}.txt", "title": f"Story {roman(number).upper()}",
                        "authors": [f"Author {number}"],
                        "warnings": ["No Archive Warnings Apply"], **story})
    meta = {"title": "Folio Test", "editors": ["Ed"], "stories": entries, **extra}
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return root


# ---------------------------------------------------------------------- reading back


@dataclass
class Reference:
    """A link printed with a page number: on which page, where it lands, what it says."""

    page: int
    dest: int
    text: str

    @property
    def number(self) -> str | None:
        """The number after the leaders or after "page" (the entry's authors follow)."""
        found = re.findall(r"(?:\.|page)\s*(\d+)", self.text)
        return found[-1] if found else None


@dataclass
class ReadBook:
    path: Path
    folios: list[str]  # per page: the folio printed in the foot ("" if none)
    texts: list[str]
    labels: list[str] | None  # per page: /PageLabels, None when the PDF has none
    references: list[Reference]  # every link that is a page reference
    outline: list[tuple[str, int]]  # (title, page) of the top-level entries
    dests: dict[str, int]


def _labels(reader: pypdf.PdfReader) -> list[str] | None:
    if "/PageLabels" not in reader.trailer["/Root"]:
        return None
    return [reader.page_labels[i] for i in range(len(reader.pages))]


def read_book(path: Path) -> ReadBook:
    """Folios by position (below the text block), links and their printed numbers."""
    reader = pypdf.PdfReader(path)
    geo = geometry.page_geometry(geometry.PrintConfig(), pages=len(reader.pages))
    dests = {str(name): reader.get_destination_page_number(dest)
             for name, dest in reader.named_destinations.items()}
    document = pdfium.PdfDocument(str(path))
    folios, texts, references = [], [], []
    try:
        for index, page in enumerate(document):
            textpage = page.get_textpage()
            folios.append(" ".join(textpage.get_text_bounded(top=geo.bottom - 0.5,
                                                             bottom=0).split()))
            texts.append(textpage.get_text_range())
            # One entry may carry several link annotations: read each destination once,
            # from the widest of them (the whole line).
            widest: dict[tuple[str, float], tuple[float, str]] = {}
            for annotation in reader.pages[index].get("/Annots") or ():
                annotation = annotation.get_object()
                name = annotation.get("/Dest")
                if name is None or str(name) not in dests:
                    continue
                x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
                text = " ".join(textpage.get_text_bounded(
                    left=x0, right=x1, bottom=min(y0, y1), top=max(y0, y1)).split())
                key = (str(name), round(max(y0, y1)))
                if key not in widest or x1 - x0 > widest[key][0]:
                    widest[key] = (x1 - x0, text)
            for (name, _), (_, text) in widest.items():
                references.append(Reference(index, dests[name], text))
    finally:
        document.close()

    outline = [(item.title, reader.get_destination_page_number(item))
               for item in reader.outline if not isinstance(item, list)]
    return ReadBook(path, folios, texts, _labels(reader), references, outline, dests)


def is_contents(text: str) -> bool:
    """The contents page (its letter-spaced title reads "C o n t e n t s")."""
    return "".join(text.split()).lower().startswith("contents")


def printed_references(book: ReadBook) -> list[Reference]:
    """The references that print a page number: contents entries, the warnings link,
    the warnings page's "Back to …, page N" (not the authors page's story links)."""
    found = []
    for reference in book.references:
        text = book.texts[reference.page]
        if " ".join(text.split()[:3]).lower().startswith("about the authors"):
            continue
        found.append(reference)
    return found


def check_folios(book: ReadBook) -> Folios:
    """Folios printed roman then arabic, never restarting; returns the rule they follow."""
    shown = [(i, f) for i, f in enumerate(book.folios) if f]
    assert shown, "no folios printed"
    arabic = [i for i, f in shown if f.isdigit()]
    first_body = arabic[0] - int(book.folios[arabic[0]]) + 1 if arabic else None
    folios = Folios(len(book.folios), first_body)
    for index, printed in shown:
        assert ROMAN.match(printed) or printed.isdigit(), f"page {index + 1}: {printed!r}"
        assert printed == folios.label(index), (
            f"page {index + 1} printed {printed!r}, expected {folios.label(index)!r}: "
            f"{book.folios}")
    return folios


def check_references(book: ReadBook, folios: Folios) -> int:
    """Every printed page reference names its destination's printed folio, and every
    "listed at the back, page N" prints a number (a link whose target was missing at
    layout printed "page " and carried no link at all)."""
    for index, text in enumerate(book.texts):
        for found in re.finditer(r"Listed at the back of the book(.{0,12})", " ".join(
                text.split())):
            assert re.match(r", page \d+", found.group(1)), (
                f"page {index + 1}: {found.group(0)!r}")
    count = 0
    for reference in printed_references(book):
        assert reference.number is not None, (
            f"page {reference.page + 1}: a reference without a number: {reference.text!r}")
        assert reference.number == folios.label(reference.dest), (
            f"page {reference.page + 1}: {reference.text!r} lands on page "
            f"{reference.dest + 1}, folio {folios.label(reference.dest)}")
        count += 1
    return count


def epub_page_list(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(label, ids of the block the marker sits in and of the one after it) per marker."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".xhtml") or name.endswith("nav.xhtml"):
                continue
            root = etree.fromstring(archive.read(name))
            for marker in root.iter("{http://www.w3.org/1999/xhtml}span"):
                if marker.get("role") != "doc-pagebreak":
                    continue
                # Inside its block (first child) or just before it: both may be meant.
                # A marker followed by another is a page without a block of its own
                # (a blank page): it names what follows, and is left out.
                parent, following = marker.getparent(), marker.getnext()
                if following is not None and following.get("role") == "doc-pagebreak":
                    continue
                holders = [parent] if parent is not None and parent.index(marker) == 0 else []
                ids = tuple(e.get("id") for e in (*holders, following)
                            if e is not None and e.get("id"))
                found.append((marker.get("aria-label") or "", ids))
    return found


# ---------------------------------------------------------------------- the regression


def chaptered_with_end_notes(root: Path, **extra: Any) -> Path:
    """One story of three chapters and end notes, and a second story after it (the
    layout of issue 16 item 1, where the end notes then opened a verso)."""
    return write_book(root, [
        {"text": story_text(3, 8), "end_notes": "The end notes.\n\nA second note."},
        {"text": story_text(0, 5, start=3)}], **extra)


@pytest.mark.parametrize("display", ["shown", "end"])
def test_end_notes_on_a_verso_do_not_restart_the_folios(tmp_path: Path, display: str) -> None:
    """Before: the End Notes page printed 1, the next story opened on 2, the contents
    and the warnings link followed, and the page list disagreed with the folios.
    (The end notes, then a page group of their own on a verso, now run on after the
    last chapter: :func:`test_end_notes_run_on_after_the_chapters`.)"""
    root = chaptered_with_end_notes(tmp_path, warnings_display=display)
    build(root, formats=("pdf", "epub"), cache=False, jobs=1)
    book = read_book(root / "dist" / "folio-test.pdf")
    end_notes = book.dests["story-001-end-notes-title"]
    folios = check_folios(book)
    assert folios.label(end_notes) != "1"
    assert folios.label(book.dests["story-002-title"]) == \
        str(book.dests["story-002-title"] - book.dests["story-001-title"] + 1)
    assert check_references(book, folios) >= (4 if display == "end" else 3)
    markers = epub_page_list(root / "dist" / "folio-test.epub")
    # The end notes run on (no marker names them): the page they are on is listed.
    assert folios.label(end_notes) in [label for label, _ in markers]


def test_end_notes_run_on_after_the_chapters(tmp_path: Path) -> None:
    """A story's end notes after its chapters are set like its paratext notes, on the
    last chapter's pages: before, their own page name started a page group (a new page,
    set as an opening: sunk, no running head, the folio centred)."""
    root = chaptered_with_end_notes(tmp_path)
    build(root, formats=("pdf",), cache=False, jobs=1)
    path = root / "dist" / "folio-test.pdf"
    book = read_book(path)
    index = book.dests["story-001-end-notes-title"]
    last_chapter_words = " ".join(story_text(3, 8).split()[-3:])
    assert last_chapter_words in " ".join(book.texts[index].split()), \
        "the end notes start a page of their own"
    geo = geometry.page_geometry(geometry.PrintConfig(), pages=len(book.texts))
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[index]
        width, height = page.get_width(), page.get_height()
        text = page.get_textpage()
        head = text.get_text_bounded(bottom=height - geo.top + 0.5)
        boxes = [text.get_charbox(i) for i in range(text.count_chars())
                 if not text.get_text_range(i, 1).isspace()]
        found = text.search("The end notes.", match_case=True).get_next()
        assert found is not None
        note_top = text.get_charbox(found[0])[3]
        # The heading: the line right above the first note.
        above = [box for box in boxes if note_top < box[1] < note_top + 2 * geo.line]
        heading_left = min(box[0] for box in above)
    finally:
        document.close()
    assert head.strip(), "no running head over the end notes"
    folio = [box for box in boxes if box[3] < geo.bottom]
    recto = index % 2 == 0
    assert folio and (min(b[0] for b in folio) > width / 2 + 20 if recto
                      else max(b[2] for b in folio) < width / 2 - 20), "the folio is centred"
    left = geo.inner if recto else geo.outer
    assert abs(heading_left - left) < 3, "the End Notes heading is not set at the left edge"


@pytest.mark.parametrize("jobs", [1, 2])
def test_page_labels_are_the_printed_folios(tmp_path: Path, jobs: int) -> None:
    """/PageLabels: roman front matter, decimal from 1 on the first story's opening, every
    page labelled (blank ones too) as the page map says; one piece and joined from parts."""
    root = chaptered_with_end_notes(tmp_path)
    result = build(root, formats=("pdf",), cache=False, jobs=jobs)
    assert result.pdf is not None and bool(result.pdf.parts) == (jobs > 1)
    book = read_book(root / "dist" / "folio-test.pdf")
    folios = check_folios(book)
    assert book.labels is not None, "no /PageLabels"
    assert book.labels == list(folios.labels()) == [label for _, label in result.pdf.page_map]
    assert book.labels[book.dests["story-001-title"]] == "1"
    assert book.labels[:3] == ["i", "ii", "iii"]
    blank = [i for i, text in enumerate(book.texts) if not text.strip()]
    assert blank and all(book.labels[i] for i in blank)


def test_warnings_link_with_jobs_prints_the_warnings_page(tmp_path: Path) -> None:
    """Laid out in parts, a story part's warnings link named the back matter's warnings
    page, laid out after every story part, and printed "page" with no number and no
    link. Such a book is laid out in parts, each story's first part printing the
    number through a stand-in: every reference names its page."""
    root = chaptered_with_end_notes(tmp_path, warnings_display="end")
    result = build(root, formats=("pdf",), cache=False, jobs=2)
    assert result.pdf is not None and result.pdf.parts
    book = read_book(root / "dist" / "folio-test.pdf")
    folios = check_folios(book)
    warnings_links = [r for r in printed_references(book) if "Listed at the back" in r.text]
    assert len(warnings_links) == 2
    assert check_references(book, folios) >= 2


def test_warnings_links_in_parts_are_refused_before_layout() -> None:
    """The check itself: a story part linking to the back matter's warnings page."""
    from fanbind.pdf.parts import Part, page_references, page_references_resolve
    from fanbind.render import XHTML_NS, Document

    def document(name: str, matter: str, href: str | None) -> Document:
        root = etree.fromstring(f'<html xmlns="{XHTML_NS}"><body><p>'
                                + (f'<a class="warnings-link" href="{href}">x</a>' if href else "")
                                + "</p></body></html>")
        return Document(name, f"{name}.xhtml", name, "chapter", root, "en", matter=matter)

    documents = [document("story-001", "body", "warnings.xhtml#story-001-warnings"),
                 document("warnings", "back", None)]
    parts = [Part("body", (0,), (0,)), Part("back", (), (1,))]
    assert page_references(parts, documents) == {0: ("story-001-warnings",)}
    assert page_references_resolve(parts, documents)
    # A story without chapters cut inside its text cannot print it (its pages are
    # planned from a render without the number): the book goes to one piece.
    running = [Part("body", (0,), (0,), (0, 1), running=True), Part("back", (), (1,))]
    assert page_references(running, documents) is None
    assert not page_references_resolve(running, documents)
    assert page_references([Part("body", (0,), (0, 1))], documents) == {}
    documents[0] = document("story-001", "body", None)
    assert page_references(parts, documents) == {}


LONG_TITLE = "Of Me and You and All the Rest of Us at an Old Inn by the Sea at Dawn in May"


def test_contents_entries_have_one_link_and_a_number_column(tmp_path: Path) -> None:
    """One link annotation per contents entry (there were four, one per box of the
    entry); a long title wraps before the number column, the leaders stop a gap short
    of it and the numbers are right-aligned in it."""
    root = write_book(tmp_path, [{"text": story_text(0, 3)},
                                 {"text": story_text(2, 3), "title": LONG_TITLE},
                                 {"text": story_text(0, 30)}])
    build(root, formats=("pdf",), cache=False, jobs=1)
    path = root / "dist" / "folio-test.pdf"
    book = read_book(path)
    contents = next(i for i, text in enumerate(book.texts) if is_contents(text))
    annotations = pypdf.PdfReader(path).pages[contents].get("/Annots") or []
    entries = ["Story I", LONG_TITLE, "Story III", "About the Authors"]
    assert len(annotations) == len(entries)
    assert [r.number for r in book.references if r.page == contents] == [
        book.folios[r.dest] or str(r.dest - book.dests["story-001-title"] + 1)
        for r in book.references if r.page == contents]

    document = pdfium.PdfDocument(str(path))
    try:
        textpage = document[contents].get_textpage()
        chars = [(textpage.get_text_range(i, 1), textpage.get_charbox(i, loose=True))
                 for i in range(textpage.count_chars())]
    finally:
        document.close()
    lines: dict[int, list[tuple[str, tuple[float, ...]]]] = {}
    for char, box in chars:
        if not char.isspace():
            lines.setdefault(round(box[1]), []).append((char, box))
    numbers, dots, letters = [], [], []
    for line in lines.values():
        line.sort(key=lambda item: item[1][0])
        if any(char == "." for char, _ in line) and line[-1][0].isdigit():
            digits = [box for char, box in reversed(line) if char.isdigit()]
            run = []
            for box in digits:  # the last run of digits: the number
                if run and run[-1][0] - box[2] > 1:
                    break
                run.append(box)
            numbers.append((min(b[0] for b in run), max(b[2] for b in run)))
            dots.append(max(box[2] for char, box in line if char == "."))
        letters += [box[2] for char, box in line if char.isalpha()]
    assert len(numbers) == len(entries)
    right = max(end for _, end in numbers)
    assert all(abs(end - right) < 0.5 for _, end in numbers), f"numbers end at {numbers}"
    column = min(start for start, _ in numbers)
    assert max(dots) - min(dots) < 0.5, f"leaders end at {sorted(dots)}"
    assert max(dots) < column - 3, "leaders run into the number column"
    assert max(letters) < column - 3, "a title runs into the number column"
