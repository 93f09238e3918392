"""The PDF laid out in parts on worker processes and joined equals the one-piece layout.

Read back with pypdf: page count, every page's text (folios and running heads
included), the outline, where each contents link lands, the document
information and the EPUB page map. The sample book has five stories, so with
two workers every story is a part of its own, and the parts start on both
sides (stories with and without a paratext verso).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from conftest import copy_sample
from fanbind.build import load_book, open_project
from fanbind.pdf import fonts as pdf_fonts
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.join import JoinOptions
from fanbind.pdf.layout import write_pdf
from fanbind.pdf.parts import plan_parts
from fanbind.pdf.workers import PdfWorkers
from fanbind.render import render_book
from pdf_links import internal_links

pytestmark = pytest.mark.slow

WHEN = dt.datetime(2024, 2, 14, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("parallel")
    root = copy_sample(tmp / "book")
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    made: dict[str, object] = {"parts": plan_parts(book.anthology, documents, 2)}
    made["one"] = write_pdf(book.anthology, documents, tmp / "one.pdf", project_dir=root,
                            created=WHEN)
    options = {
        "joined": JoinOptions(),
        "again": JoinOptions(apart_pages=0),  # joined in a process of its own, as a big book is
        "unshared": JoinOptions(share_fonts=False),  # every part's font subsets kept
        "early": JoinOptions(),  # workers started beforehand, as a build starts them
    }
    for name, join_options in options.items():
        with PdfWorkers(2).start() if name == "early" else \
                contextlib.nullcontext() as workers:
            made[name] = write_parallel_pdf(
                book.anthology, documents, tmp / f"{name}.pdf", project_dir=root,
                created=WHEN, jobs=2, workers=workers, join_options=join_options)
    made.update({f"{name}_file": tmp / f"{name}.pdf"
                 for name in ("one", "joined", "again", "unshared", "early")})
    return made


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def _links(reader: PdfReader) -> list[tuple[int, int]]:
    """(page with the link, page it lands on) for every internal link."""
    return [(page, target) for page, _, target in internal_links(reader)]


def test_the_book_is_cut_into_story_parts(books: dict) -> None:
    kinds = [part.kind for part in books["parts"]]
    assert kinds[0] == "front" and kinds.count("body") == 5


def test_joined_pdf_has_the_same_pages_text_for_text(books: dict) -> None:
    one, joined = PdfReader(books["one_file"]), PdfReader(books["joined_file"])
    assert len(joined.pages) == len(one.pages) == books["joined"].pages
    for number, (a, b) in enumerate(zip(one.pages, joined.pages, strict=True), start=1):
        assert b.extract_text() == a.extract_text(), f"page {number} differs"


def test_joined_pdf_keeps_outline_links_and_metadata(books: dict) -> None:
    one, joined = PdfReader(books["one_file"]), PdfReader(books["joined_file"])
    assert _outline(joined) == _outline(one)
    assert [title for depth, title, _ in _outline(joined) if depth == 0][:2] == [
        "Any Alpha Would", "Storm Over the Mission Cabin"]
    links = _links(joined)
    assert links == _links(one)
    assert len(links) >= 5
    # Every section, title and chapter stays a named destination; the paragraphs'
    # ids (nothing links to them) are left out of the joined book.
    kept = set(joined.named_destinations)
    assert {n for n in one.named_destinations if not re.match(r"story-\d+-b\d+$", n)} <= kept
    assert not any(re.match(r"story-\d+-b\d+$", name) for name in kept)
    assert dict(joined.metadata) == dict(one.metadata)


def test_joined_pdf_gives_the_same_page_map(books: dict) -> None:
    assert books["joined"].page_map == books["one"].page_map


def test_stories_open_on_the_right_and_folios_run_on(books: dict) -> None:
    joined = PdfReader(books["joined_file"])
    for _, title, page in _outline(joined):
        if title.startswith("Storm"):
            assert page % 2 == 0  # 0-based even index: a recto
    last = joined.pages[-1].extract_text().split()
    assert last and last[-1].isdigit() and int(last[-1]) > 60


def test_joined_pdf_is_byte_identical_across_runs(books: dict) -> None:
    """Also when joined in a process of its own (the second run), and with
    workers started before the book was read."""
    assert books["joined_file"].read_bytes() == books["again_file"].read_bytes()
    assert books["joined_file"].read_bytes() == books["early_file"].read_bytes()
    assert books["again"].page_map == books["joined"].page_map


def test_a_single_story_is_not_cut(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    book = load_book(open_project(root))
    one = book.anthology.__class__(book.anthology.meta, book.anthology.stories[:1])
    documents = render_book(one, stylesheets=("css/epub.css",))
    assert plan_parts(one, documents, 2) is None


# ----------------------------------------------------------------- fonts embedded once


def _font_programs(path: Path) -> dict[str, set[tuple[int, int]]]:
    """Per font name (subset tag left off), the font programs embedded for it."""
    programs: dict[str, set[tuple[int, int]]] = {}
    with pikepdf.open(path) as pdf:
        for font in pdf_fonts._type0_fonts(pdf):
            descriptor = font.DescendantFonts[0].FontDescriptor
            name = str(descriptor.FontName).split("+", 1)[-1]
            programs.setdefault(name, set()).add(descriptor.FontFile3.objgen)
    return programs


def test_each_bundled_face_is_embedded_once(books: dict) -> None:
    unshared = _font_programs(books["unshared_file"])
    joined = _font_programs(books["joined_file"])
    assert len(unshared["fanbind-EB-Garamond"]) >= 5  # a copy per part, before sharing
    assert set(joined) == set(unshared) and {"fanbind-EB-Garamond",
                                             "fanbind-EB-Garamond-Italic"} <= set(joined)
    assert all(len(programs) == 1 for programs in joined.values()), joined
    assert books["joined_file"].stat().st_size < 0.8 * books["unshared_file"].stat().st_size


def test_shared_fonts_draw_every_page_the_same(books: dict) -> None:
    shared = pdfium.PdfDocument(books["joined_file"])
    unshared = pdfium.PdfDocument(books["unshared_file"])
    assert len(shared) == len(unshared)
    for index in range(len(shared)):
        a = shared[index].render(scale=0.6).to_pil().tobytes()
        b = unshared[index].render(scale=0.6).to_pil().tobytes()
        assert a == b, f"page {index + 1} is drawn differently"


def test_fonts_that_are_not_bundled_are_left_alone(books: dict) -> None:
    with pikepdf.open(books["unshared_file"]) as pdf:
        assert pdf_fonts.share_fonts(pdf, faces=[]) == 0
        path, (name, created, revision) = pdf_fonts.bundled_faces()[0]
        # Same name, another revision: a user's own copy of the face, not ours.
        assert pdf_fonts.share_fonts(pdf, faces=[(path, (name, created, revision + 1))]) == 0
        assert pdf_fonts.share_fonts(pdf) > 0


def test_glyph_ids_are_read_from_both_kinds_of_width_run() -> None:
    widths = pikepdf.Array([3, pikepdf.Array([500, 600]), 10, 12, 250, 40, pikepdf.Array([1])])
    assert pdf_fonts._glyph_ids(widths) == {3, 4, 10, 11, 12, 40}


def test_a_build_forks_its_pdf_workers_before_reading_the_stories(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """So they never hold the book (see PdfWorkers); and they are closed afterwards."""
    from fanbind import build as build_module

    events: list[str] = []
    started = PdfWorkers.start
    real_load = build_module.load_book

    def start(self: PdfWorkers) -> PdfWorkers:
        if self.pool is None:
            events.append("workers")
        return started(self)

    def load(*args: object, **kwargs: object) -> object:
        events.append("stories")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(PdfWorkers, "start", start)
    monkeypatch.setattr(build_module, "load_book", load)
    root = copy_sample(tmp_path / "book")
    closed: list[PdfWorkers] = []
    real_close = PdfWorkers.close
    monkeypatch.setattr(PdfWorkers, "close",
                        lambda self: (closed.append(self), real_close(self))[1])
    result = build_module.build(root, formats=("pdf",), jobs=2, cache=False)
    assert events[:2] == ["workers", "stories"]
    assert result.pdf.parts > 1 and closed and all(w.pool is None for w in closed)
