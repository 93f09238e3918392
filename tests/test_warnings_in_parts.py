"""A book with ``warnings_display: end`` is laid out in parts (issue 15) and is the
same book as in one piece.

Each story's preface prints "listed at the back of the book, page N", N the page of
the back matter's warnings entry, which no story part can know when it is laid out.
The part prints it through a stand-in at a guessed folio (``PartOptions.stubs``),
and is laid out again when the back matter puts the entry elsewhere
(pdf/in_parts.py). The books are tests/test_story_parts.py's (a short story, then a
2,000-word chaptered one cut into four parts by ``part_words``; or the other way
round), both stories with warnings, so the short story's part and the long story's
first part both print a reference; compared page for page with the one-piece layout
by ``assert_same_book`` (text, folios, outline, links and their targets, page map,
pixels) and read back with tests/test_folios.py's reader (every printed "page N"
names the page its link lands on).

The guess is a parameter (``reference_folios``), not a patched constant: the right
folios lay each part out once, a wrong guess lays the two referencing parts out
again and gives the same bytes. Cost: each book is laid out in one piece and in
parts three times (about 20 pages each).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fanbind.build import load_book, open_project
from fanbind.cache import ProjectCache
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.layout import write_pdf
from fanbind.pdf.parts import plan_parts
from fanbind.render import render_book
from test_folios import check_folios, check_references, printed_references, read_book
from test_story_parts import PART_WORDS, WHEN, assert_same_book, make_book

WARNINGS = ("story-001-warnings", "story-002-warnings")


def warnings_book(root: Path, *, long_first: bool = False) -> Path:
    """tests/test_story_parts.py's book, its stories with warnings listed at the back."""
    make_book(root, long_first=long_first)
    meta = root / "metadata.yaml"
    text = meta.read_text(encoding="utf-8")
    text = text.replace("    authors:", "    warnings: [Graphic Depictions Of Violence]\n"
                                       "    authors:")
    meta.write_text(text.replace("stories:\n", "warnings_display: end\nstories:\n", 1),
                    encoding="utf-8")
    return root


def lay_out(root: Path, *, long_first: bool = False) -> dict:
    """The book in one piece, then in parts: with a wrong guess, with the folios that
    gave, and with a cache (twice: the second build guesses from the first)."""
    warnings_book(root, long_first=long_first)
    book = load_book(open_project(root))
    anthology = book.anthology
    documents = render_book(anthology, stylesheets=("css/epub.css",))
    one = write_pdf(anthology, documents, root / "one.pdf", project_dir=root, created=WHEN)
    found = read_book(root / "one.pdf")
    folios = check_folios(found)
    real = {name: int(folios.label(found.dests[name])) for name in WARNINGS}

    def parts(target: str, **options: object) -> object:
        made = write_parallel_pdf(anthology, documents, root / target, project_dir=root,
                                  created=WHEN, jobs=2, part_words=PART_WORDS, **options)
        assert made is not None
        return made

    wrong = parts("wrong.pdf", reference_folios={name: 999 for name in WARNINGS})
    right = parts("right.pdf", reference_folios=real)
    cache = ProjectCache(root)
    cold = parts("cold.pdf", cache=cache)
    warm = parts("warm.pdf", cache=cache)
    return {"one": one, "one_file": root / "one.pdf", "real": real, "wrong": wrong,
            "right": right, "cold": cold, "warm": warm, "root": root,
            "plan": plan_parts(anthology, documents, 2, part_words=PART_WORDS),
            "documents": documents}


@pytest.fixture(scope="module", params=[False, True], ids=["short-first", "long-first"])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return lay_out(tmp_path_factory.mktemp("warnings") / "book", long_first=request.param)


def _referencing(made: dict) -> tuple[int, ...]:
    """The story parts holding a story's preface: each story's first part."""
    bodies = [part for part in made["plan"] if part.kind == "body"]
    return tuple(i for i, part in enumerate(bodies) if part.span is None or part.span[0] == 0)


def test_the_book_is_laid_out_in_parts_and_is_the_one_piece_book(made: dict) -> None:
    right = made["right"]
    assert right.parts == len([p for p in made["plan"] if p.kind == "body"]) > 2
    assert any(part.span for part in made["plan"])  # a story cut at its chapters
    assert_same_book({**made, "joined": right, "joined_file": made["root"] / "right.pdf"})


def test_each_warnings_link_prints_the_page_it_lands_on(made: dict) -> None:
    book = read_book(made["root"] / "right.pdf")
    folios = check_folios(book)
    links = [r for r in printed_references(book) if "Listed at the back" in r.text]
    assert sorted(r.number for r in links) == sorted(str(n) for n in made["real"].values())
    assert all(book.texts[r.dest].lstrip().startswith("Archive Warnings")
               or "Graphic Depictions" in book.texts[r.dest] for r in links)
    assert check_references(book, folios) >= len(WARNINGS)


def test_the_right_guess_lays_each_part_out_once(made: dict) -> None:
    assert made["right"].parts_relaid == ()


def test_a_wrong_guess_lays_the_referencing_parts_out_again(made: dict) -> None:
    wrong = made["wrong"]
    assert wrong.parts_relaid == _referencing(made) and len(wrong.parts_relaid) == 2
    root = made["root"]
    assert (root / "wrong.pdf").read_bytes() == (root / "right.pdf").read_bytes()


def test_a_rebuild_guesses_the_last_builds_folios(made: dict) -> None:
    """The first build with a cache guesses the page count (wrong here); the second
    takes every part from the cache, laid out with the folios the first found."""
    root = made["root"]
    assert made["cold"].parts_relaid == _referencing(made)
    warm = made["warm"]
    assert warm.parts_laid_out == () and warm.parts_relaid == ()
    assert (root / "warm.pdf").read_bytes() == (root / "right.pdf").read_bytes()


def _long_story_spans(root: Path) -> list[tuple[int, int]]:
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    parts = plan_parts(book.anthology, documents, 2, part_words=PART_WORDS)
    assert parts is not None
    return [part.span for part in parts if part.span is not None]


def test_the_referencing_piece_of_a_long_story_is_its_first_chapter(tmp_path: Path) -> None:
    """The piece laid out again on a wrong guess is kept small: the long story's
    first piece ends at its second chapter; shown warnings leave the plan alone."""
    from fanbind.pdf.parts import story_seams

    root = warnings_book(tmp_path / "end")
    spans = _long_story_spans(root)
    shown = tmp_path / "shown"
    make_book(shown)
    plain = _long_story_spans(shown)
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    second_chapter = story_seams(next(d for d in documents if d.story is not None
                                      and d.story.index == 1))[1][0]
    assert plain[0][1] > second_chapter  # the plan's first piece holds more chapters
    assert spans[0] == (0, second_chapter)
    assert spans[1] == (second_chapter, plain[0][1]) and spans[2:] == plain[1:]


def test_the_first_pieces_laid_out_ahead_are_taken_with_their_stand_ins(
        tmp_path: Path) -> None:
    """A one-fic book's first pieces, laid out while the book is read
    (pdf/ahead.py), carry the stand-ins the build guesses: the build takes them (a
    piece without them would have another key and be laid out again), and the book
    is the one laid out without them, byte for byte."""
    from fanbind.pdf.ahead import first_parts
    from fanbind.pdf.workers import PdfWorkers
    from test_laid_out_ahead import TWO_PARTS, _fic

    root = _fic(tmp_path / "fic")
    meta = root / "metadata.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        "stories:\n", "warnings_display: end\nstories:\n").replace(
        "    authors: [Ada]\n", "    authors: [Ada]\n    warnings: [Major Character Death]\n"),
        encoding="utf-8")
    anthology = load_book(open_project(root)).anthology
    documents = render_book(anthology, stylesheets=("css/epub.css",))

    def lay_out(name: str, ahead: bool) -> tuple[bytes, object]:
        workers = PdfWorkers(2).start()
        if ahead:
            folder = tmp_path / f"{name}-ahead"
            for part in first_parts(anthology, documents, project_dir=root,
                                    extra_stylesheets=(), jobs=2,
                                    folder=lambda: folder.mkdir() or folder,
                                    part_words=TWO_PARTS):
                assert part.task.stubs == (("story-001-warnings", part.book_pages),) \
                    or part.index > 0
                workers.lay_out_ahead(part.index, part.key, part.book_pages, part.task)
        with workers:
            pdf = write_parallel_pdf(anthology, documents, tmp_path / f"{name}.pdf",
                                     project_dir=root, created=WHEN, jobs=2,
                                     workers=workers, part_words=TWO_PARTS)
        assert pdf is not None and pdf.parts == 3  # the first chapter apart
        return (tmp_path / f"{name}.pdf").read_bytes(), pdf

    plain, plain_pdf = lay_out("plain", ahead=False)
    same, same_pdf = lay_out("same", ahead=True)
    assert plain_pdf.parts_ahead == () and same_pdf.parts_ahead == (0, 1)
    assert same_pdf.parts_relaid == (0,)  # the guess (the page count) is wrong here
    assert same == plain


def test_a_book_whose_parts_mostly_print_references_stays_in_one_piece(tmp_path: Path) -> None:
    """A cold build lays the referencing parts out twice: the book goes to parts only
    when they hold little of it (a share of its words, or a few thousand words at
    least: this book is under that floor). Parameters, nothing laid out."""
    from fanbind.pdf.parts import page_references

    root = warnings_book(tmp_path / "book")
    anthology = load_book(open_project(root)).anthology
    documents = render_book(anthology, stylesheets=("css/epub.css",))
    parts = plan_parts(anthology, documents, 2, part_words=PART_WORDS)
    assert parts is not None
    found = page_references(parts, documents, anthology)
    assert found is not None and sorted(found) == [0, 1]  # the short story, the first chapter
    bodies = [part for part in parts if part.kind == "body"]
    referencing = sum(len(" ".join(documents[i].root.itertext()).split())
                      for i in bodies[0].documents)  # the short story's part, whole
    total = sum(story.words for story in anthology.stories)
    assert referencing < total * 0.5
    assert page_references(parts, documents, anthology, least=0) is None  # over 10 %
    assert page_references(parts, documents, anthology, least=0, share=0.5) == found
    assert page_references(parts, documents) == found  # no anthology: no policy
