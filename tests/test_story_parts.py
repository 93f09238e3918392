"""A long story laid out in parts cut at chapter seams is the same book as in one piece.

Small books (about 17 pages) whose long story is cut into four parts by lowering
the part size through ``part_words`` (a parameter, not a patched constant).
Each joined book is read back and compared with the one-piece layout of the
same documents: every page's text (running heads and folios included), the
outline (story › chapter), where every link lands and every named destination
points (page and position), the EPUB page map, and every page rendered to
pixels — which is what shows that a part laid out starting on a recto and
placed on a verso was moved across exactly (text block, folio, running head).

Cost: each fixture book is laid out twice (one piece, parts) at 17 pages;
pixels are compared at half scale. The plan tests lay nothing out.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from fanbind.build import load_book, open_project
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.layout import write_pdf
from fanbind.pdf.parts import (
    CONTINUED_CLASS,
    carried_strings,
    cut_document,
    plan_parts,
    positions,
    seams_are_breaks,
    story_seams,
    story_section,
    whole_rounds,
)
from fanbind.pdf.result import FolioPlan
from fanbind.pdf.volumes import VOLUMES_CSS, mark_volume, plan_volumes, split_anthology
from fanbind.render import render_book
from pdf_links import internal_links

DATA = Path(__file__).parent / "data" / "pdf"
EN = (DATA / "paragraphs-en.txt").read_text(encoding="utf-8").strip().split("\n\n")
WHEN = dt.datetime(2024, 2, 14, tzinfo=dt.UTC)
#: Paragraphs per chapter. With the story's paratext verso, its first part ends on
#: a recto, so the second (chapter 4, three pages) starts on a verso: it is laid
#: out starting on a recto and moved across (asserted below, so the case cannot
#: go untested).
CHAPTERS = (4, 8, 3, 30, 5, 7)
#: Small enough that the 2,000-word story is cut into four parts.
PART_WORDS = 100


def chaptered(lengths: tuple[int, ...]) -> str:
    out, k = [], 0
    for number, count in enumerate(lengths, start=1):
        out.append(f"Chapter {number}: Part {number}\n\n"
                   + "\n\n".join(EN[(k + i) % len(EN)] for i in range(count)))
        k += count
    return "\n\n".join(out) + "\n"


def make_fic(root: Path, text: str) -> Path:
    """A book of one story, ``text`` (a fanbinder's one fic), by one author."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "fic.txt").write_text(text, encoding="utf-8")
    (root / "metadata.yaml").write_text(
        "title: One Fic\nlanguage: en\nstories:\n  - file: fic.txt\n    title: The Fic\n"
        "    authors: [Ada]\n", encoding="utf-8")
    return root


def make_book(root: Path, lengths: tuple[int, ...] = CHAPTERS, print_settings: str = "",
              *, long_first: bool = False) -> Path:
    """A short story, then a long chaptered one by three authors (its verso head is
    'Ada Lind et al.') with a summary (a paratext verso) and end notes (a page of
    their own, named differently from the chapters'); ``long_first``: the other
    way round (the first story's folio 1 is on its title page, in its first part)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.txt").write_text(chaptered(lengths), encoding="utf-8")
    (root / "short.txt").write_text("\n\n".join(EN[:5]) + "\n", encoding="utf-8")
    short = "  - file: short.txt\n    title: Short\n    authors: [Bo]\n"
    long = ("  - file: long.txt\n    title: The Long One\n"
            "    authors: [Ada Lind, Cy Moss, Di Park]\n    summary: a summary\n"
            "    end_notes: Thanks for reading.\n")
    (root / "metadata.yaml").write_text(
        "title: Test\nlanguage: en\nstories:\n" + (long + short if long_first else short + long)
        + print_settings, encoding="utf-8")
    return root


def lay_out_both(root: Path, *, jobs: int = 2, volume: int | None = None,
                 part_words: int = PART_WORDS) -> dict:
    """The book (or with ``volume``, that volume of ``print: volumes``, as
    :func:`fanbind.build.build_volumes` makes it) in one piece and in parts, and its plan."""
    book = load_book(open_project(root))
    anthology, extra = book.anthology, ()
    if volume is not None:
        plan = plan_volumes([s.words for s in anthology.stories],
                            anthology.meta.print.volumes)
        assert plan is not None
        anthology = split_anthology(book.anthology, plan)[volume - 1].anthology
    documents = render_book(anthology, stylesheets=("css/epub.css",))
    if volume is not None:
        assert plan is not None
        mark_volume(documents, split_anthology(book.anthology, plan)[volume - 1],
                    book.anthology, plan)
        extra = (VOLUMES_CSS,)
    one = write_pdf(anthology, documents, root / "one.pdf", project_dir=root, created=WHEN,
                    extra_stylesheets=extra)
    joined = write_parallel_pdf(anthology, documents, root / "parts.pdf", project_dir=root,
                                created=WHEN, jobs=jobs, part_words=part_words,
                                extra_stylesheets=extra)
    assert joined is not None
    parts = plan_parts(anthology, documents, jobs, part_words=part_words)
    assert parts is not None
    return {"one": one, "joined": joined, "one_file": root / "one.pdf",
            "joined_file": root / "parts.pdf", "plan": parts, "documents": documents}


@pytest.fixture(scope="module")
def seams(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return lay_out_both(make_book(tmp_path_factory.mktemp("seams") / "book"))


@pytest.fixture(scope="module")
def marks(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Crop marks are drawn with the page: a part on the wrong side is laid out again."""
    return lay_out_both(make_book(tmp_path_factory.mktemp("marks") / "book",
                                  print_settings="print:\n  crop_marks: true\n  bleed: 9pt\n"))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The long story first: its end notes, in its last part, carry on the folios."""
    return lay_out_both(make_book(tmp_path_factory.mktemp("first") / "book", long_first=True))


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The second volume of :func:`make_volumes_book`: the long story (its own title
    page, contents of the whole set)."""
    return lay_out_both(make_volumes_book(tmp_path_factory.mktemp("volumes") / "book"),
                        volume=2)


def make_volumes_book(root: Path) -> Path:
    """Three short stories and the long one, ``print: volumes: 2``: the long story is
    the second volume."""
    make_book(root)
    for n in (2, 3):
        (root / f"short-{n}.txt").write_text("\n\n".join(EN[n:n + 4]) + "\n", encoding="utf-8")
    meta = root / "metadata.yaml"
    head, _, long = meta.read_text(encoding="utf-8").partition("  - file: long.txt")
    meta.write_text(head + "".join(
        f"  - file: short-{n}.txt\n    title: Short {n}\n    authors: [Bo]\n" for n in (2, 3))
        + "  - file: long.txt" + long + "print:\n  volumes: 2\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def one_job(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same cuts laid out in this process, one after the other (``jobs`` 1)."""
    return lay_out_both(make_book(tmp_path_factory.mktemp("one-job") / "book"), jobs=1)


def outline_entries(reader: PdfReader) -> list[tuple[int, str, int, float, float]]:
    found: list[tuple[int, str, int, float, float]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item),
                              round(float(item.left), 2), round(float(item.top), 2)))

    walk(reader.outline, 0)
    return found


def _destinations(reader: PdfReader) -> dict[str, tuple[int, float, float]]:
    return {name: (reader.get_destination_page_number(dest), round(float(dest.left), 2),
                   round(float(dest.top), 2))
            for name, dest in reader.named_destinations.items()}


def assert_same_book(made: dict) -> None:
    one, joined = PdfReader(made["one_file"]), PdfReader(made["joined_file"])
    assert len(joined.pages) == len(one.pages) == made["joined"].pages
    for number, (a, b) in enumerate(zip(one.pages, joined.pages, strict=True), start=1):
        assert b.extract_text() == a.extract_text(), f"page {number} differs"
    assert outline_entries(joined) == outline_entries(one)
    assert internal_links(joined) == internal_links(one) and internal_links(one)
    kept = _destinations(joined)
    assert {n: d for n, d in _destinations(one).items() if n in kept} == kept
    assert made["joined"].page_map == made["one"].page_map
    a, b = pdfium.PdfDocument(made["one_file"]), pdfium.PdfDocument(made["joined_file"])
    for index in range(len(a)):
        left = a[index].render(scale=0.5).to_pil().tobytes()
        right = b[index].render(scale=0.5).to_pil().tobytes()
        assert left == right, f"page {index + 1} looks different"


def test_the_long_story_is_cut_at_chapter_seams(seams: dict) -> None:
    spans = [(p.stories, p.span) for p in seams["plan"] if p.kind == "body"]
    assert spans[0] == ((0,), None)  # the short story whole
    cut = [span for stories, span in spans[1:]]
    assert len(cut) == 4 and all(stories == (1,) for stories, _ in spans[1:])
    assert cut[0][0] == 0 and all(a[1] == b[0] for a, b in itertools.pairwise(cut))
    assert seams["joined"].parts == 5


def test_a_seam_on_a_left_page_is_moved_across_and_the_book_is_the_same(seams: dict) -> None:
    joined = seams["joined"]
    # At least one part must have been moved across, or the case is untested.
    assert joined.parts_flipped, "no part was moved across"
    assert_same_book(seams)


def test_a_part_whose_makeup_depends_on_its_side_is_laid_out_once_for_a_verso(
        seams: dict) -> None:
    """Part 2 (chapter 4) is laid out starting on a recto and lands on a verso, and its
    makeup by spread differs between the sides: it is planned for the verso (its
    side is known once the parts before it are planned) and laid out once — one
    render, or two when the plan moves a page break — never again after the join
    found it on the other side; the book is the one-piece layout (test above)."""
    joined = seams["joined"]
    assert 2 in joined.parts_sided and 2 in joined.parts_flipped
    assert joined.parts_relaid == ()
    assert sorted(joined.parts_laid_out) == list(range(joined.parts))
    assert all(1 <= passes <= 2 for passes in joined.parts_passes), joined.parts_passes


def test_chapters_stay_under_their_story_in_theoutline_entries(seams: dict) -> None:
    outline = outline_entries(PdfReader(seams["joined_file"]))
    titles = [(depth, title) for depth, title, *_ in outline]
    assert (0, "The Long One") in titles
    start = titles.index((0, "The Long One"))
    assert titles[start + 1:start + 7] == [(1, f"Chapter {n}: Part {n}") for n in range(1, 7)]


def test_running_heads_carry_over_a_seam(seams: dict) -> None:
    """A part starting at a chapter has no title or byline of its own: its versos
    still say 'Ada Lind et al.' and its rectos the story's title."""
    reader = PdfReader(seams["joined_file"])
    texts = [page.extract_text() for page in reader.pages]
    chapter_pages = [i for i, text in enumerate(texts) if "Chapter 4: Part 4" in text]
    assert chapter_pages
    # The chapter's own part: its opening (no head), a recto, a verso.
    recto, verso = texts[chapter_pages[0] + 1:chapter_pages[0] + 3]
    assert recto.split("\n")[-2:-1] == ["The Long One"]
    assert verso.split("\n")[-2:-1] == ["Ada Lind et al."]
    assert chapter_pages[0] % 2 == 1  # 0-based odd: the part starts on a verso
    assert seams["joined"].parts_flipped


def test_crop_marks_lay_a_part_out_on_the_side_it_lands_on(marks: dict) -> None:
    """Crop marks are drawn with the page, so a part cannot be moved across: a part
    landing on a verso has its second layout there (two renders), planned for it —
    or only one, on that side, when its side was known before it was handed out
    (one part a worker: pdf/numbering.py; the parts before it were planned by then)."""
    joined = marks["joined"]
    assert not joined.parts_flipped and joined.parts_relaid == ()
    assert joined.parts_sided and all(joined.parts_passes[i] in (1, 2) for i in (2, 3)), \
        joined.parts_passes
    assert_same_book(marks)


def test_the_first_story_cut_with_its_end_notes_gives_the_same_book(first: dict) -> None:
    texts = [page.extract_text() for page in PdfReader(first["joined_file"]).pages]
    notes = next(i for i, text in enumerate(texts) if "End Notes" in text)  # run on
    opening = next(i for i, text in enumerate(texts) if text.startswith("The Long One"))
    assert texts[notes].split()[-1] == str(notes - opening + 1)  # folios run on
    assert_same_book(first)


def test_a_volume_cut_inside_its_long_story_gives_the_same_book(volumes: dict) -> None:
    assert any(p.span for p in volumes["plan"] if p.kind == "body")
    texts = [page.extract_text() for page in PdfReader(volumes["joined_file"]).pages]
    assert any("Volume 2" in text or "volume 2" in text.lower() for text in texts[:4])
    assert_same_book(volumes)


def test_one_job_gives_the_same_book(one_job: dict) -> None:
    assert one_job["joined"].parts >= 3  # the parts are a share of one core's work: fewer
    assert_same_book(one_job)


# ---------------------------------------------------------------------- the plan


def _documents(root: Path) -> tuple:
    book = load_book(open_project(root))
    return book.anthology, render_book(book.anthology, stylesheets=("css/epub.css",))


def test_seams_are_the_chapters_after_the_first(tmp_path: Path) -> None:
    anthology, documents = _documents(make_book(tmp_path / "book"))
    story = next(d for d in documents if d.matter == "body" and "Long" in d.title)
    seams = story_seams(story)
    section = story_section(story)
    assert section is not None
    assert len(seams) == len(CHAPTERS)
    assert seams[0][0] == 0
    for index, _ in seams[1:]:
        assert "chapter" in (section[index].get("class") or "")
    assert sum(words for _, words in seams) >= anthology.stories[1].words - 20


def test_a_cut_document_keeps_stand_ins_for_the_rest(tmp_path: Path) -> None:
    _, documents = _documents(make_book(tmp_path / "book"))
    story = next(d for d in documents if d.matter == "body" and "Long" in d.title)
    seams = story_seams(story)
    cut = cut_document(story, (seams[2][0], seams[3][0]))
    section, whole = story_section(cut), story_section(story)
    assert section is not None and whole is not None
    assert len(section) == len(whole)  # sibling selectors count the same
    shown = [c for c in section if c.get("style") != "display: none"]
    assert [c.get("id") for c in shown] == [whole[seams[2][0]].get("id")]
    assert CONTINUED_CLASS in section.get("class", "")
    assert "has-paratext" not in section.get("class", "")
    assert len(list(whole.iter())) > len(list(section.iter()))  # the original is untouched
    assert "story-" in (whole[0].get("id") or whole[0][0].get("id") or "story-")


def test_a_book_under_the_part_size_is_not_cut_inside_its_stories(tmp_path: Path) -> None:
    anthology, documents = _documents(make_book(tmp_path / "book"))
    parts = plan_parts(anthology, documents, 2)  # MIN_PART_WORDS: 2,000 words stay whole
    assert parts is not None and all(p.span is None for p in parts)
    parts = plan_parts(anthology, documents, 2, part_words=PART_WORDS, inside_stories=False)
    assert parts is not None and all(p.span is None for p in parts)


def test_parts_are_sized_by_words(tmp_path: Path) -> None:
    lengths = (6,) * 12
    anthology, documents = _documents(make_book(tmp_path / "book", lengths))
    words = anthology.stories[1].words
    story = next(d for d in documents if d.matter == "body" and "Long" in d.title)
    seams = dict(story_seams(story))
    for part_words, expected in ((words // 2, 2), (words // 3, 3), (words // 6, 6)):
        # Eight workers: the share of a worker (a sixteenth of the book) is below
        # part_words, which then sets the size.
        parts = plan_parts(anthology, documents, 8, part_words=part_words)
        assert parts is not None
        spans = [p.span for p in parts if p.span is not None]
        assert len(spans) == expected, part_words
        sizes = [sum(w for at, w in seams.items() if start <= at < end) for start, end in spans]
        assert max(sizes) <= 1.5 * min(sizes), sizes
    # The share of one worker when it is the larger: two parts per worker.
    parts = plan_parts(anthology, documents, 2, part_words=10)
    assert parts is not None and len([p for p in parts if p.span is not None]) == 4
    # ...but never more than max_part_words, however few the workers: a worker's
    # memory is bounded by the part.
    parts = plan_parts(anthology, documents, 1, part_words=10, max_part_words=words // 6)
    assert parts is not None and len([p for p in parts if p.span is not None]) == 6


def test_a_one_story_book_is_cut_into_whole_rounds_of_parts(tmp_path: Path) -> None:
    # One fic alone in its book, parts capped at a fifth of it: five parts with
    # one worker; with two the fifth would be laid out alone, so six.
    anthology, documents = _documents(make_fic(tmp_path / "book", chaptered((6,) * 12)))
    words = anthology.stories[0].words

    def pieces(jobs: int) -> int:
        parts = plan_parts(anthology, documents, jobs, part_words=10, max_part_words=words // 5)
        assert parts is not None
        return sum(1 for p in parts if p.span is not None)

    assert pieces(1) == 5
    assert pieces(2) == 6
    # In an anthology the other stories' parts fill the rounds: the count stays.
    two = make_book(tmp_path / "two", (6,) * 12)
    anthology, documents = _documents(two)
    words = anthology.stories[1].words
    parts = plan_parts(anthology, documents, 2, part_words=10, max_part_words=words // 5)
    assert parts is not None and sum(1 for p in parts if p.span is not None) == 5


def test_whole_rounds_fill_the_last_round_once_parts_outnumber_workers() -> None:
    assert [whole_rounds(n, 2) for n in (1, 2, 3, 4, 5, 10)] == [1, 2, 4, 4, 6, 10]
    assert [whole_rounds(n, 4) for n in (3, 4, 5, 9)] == [3, 4, 8, 12]
    assert whole_rounds(7, 1) == 7


def test_a_stylesheet_that_moves_breaks_keeps_stories_whole(tmp_path: Path) -> None:
    plain = tmp_path / "plain.css"
    plain.write_text(".chapter-title { font-size: 2em; }")
    breaking = tmp_path / "breaking.css"
    breaking.write_text(".chapter ~ .chapter { break-before: auto; }")
    named = tmp_path / "named.css"
    named.write_text(".chapter {\n  page: wide; }")
    assert seams_are_breaks([plain])
    assert not seams_are_breaks([plain, breaking])
    assert not seams_are_breaks([named])


def test_a_part_inside_a_story_follows_on_either_side() -> None:
    # Three parts of 3, 4 and 2 pages: the second starts a story on a recto (a
    # blank before it); the third starts inside it, on the verso that follows.
    assert positions([3, 4, 2], [False, False, False], False) == ([1, 5, 9], 1)
    assert positions([3, 4, 2], [False, False, False], False, [False, False, True]) == \
        ([1, 5, 9], 1)
    assert positions([3, 3, 2], [False, False, False], False, [False, True, True]) == \
        ([1, 4, 7], 0)


def test_running_heads_are_carried_from_the_parts_before() -> None:
    def plan(*strings: tuple[str, tuple]) -> FolioPlan:
        return FolioPlan((), tuple(strings), (), "visible")

    plans = [plan(("story-title", ((1, ("A",)), (3, ("B", "C"))))),
             plan(),
             plan(("story-authors", ((2, ("X",)),))),
             None]
    assert carried_strings(plans) == [
        (), (("story-title", "C"),), (("story-title", "C"),),
        (("story-authors", "X"), ("story-title", "C"))]


def test_a_build_lays_its_volumes_out_in_parts_with_jobs(tmp_path: Path) -> None:
    """build_volumes takes ``--jobs`` as the whole book's PDF does: with 2 each volume
    of two stories or more is laid out in parts (here between stories: the build's
    part size is the default) and reads the same as with 1."""
    from fanbind.build import build

    made, said = {}, {}
    for jobs in (1, 2):
        root = make_volumes_book(tmp_path / f"jobs-{jobs}")
        said[jobs] = []
        result = build(root, formats=("pdf",), cache=False, jobs=jobs, report=said[jobs].append)
        made[jobs] = sorted(p for p in result.outputs if p.suffix == ".pdf")
    assert [p.name for p in made[1]] == [p.name for p in made[2]] and len(made[1]) == 2
    assert not any("story parts" in line for line in said[1])
    assert any("story parts" in line for line in said[2])  # the three short stories
    for one, parts in zip(made[1], made[2], strict=True):
        a, b = PdfReader(one), PdfReader(parts)
        assert [p.extract_text() for p in a.pages] == [p.extract_text() for p in b.pages]


def test_an_edit_in_one_chapter_lays_out_only_its_part(tmp_path: Path) -> None:
    """A part's cache key is made of its own chapters (and the stand-ins for the
    rest), not of the whole story: a word added to chapter 5 lays out only the
    part holding it, and the book is still the one-piece layout of the edited text."""
    from fanbind.cache import ProjectCache

    root = make_book(tmp_path / "book")
    cache = ProjectCache(root)

    def lay_out(target: str) -> object:
        book = load_book(open_project(root))
        documents = render_book(book.anthology, stylesheets=("css/epub.css",))
        return write_parallel_pdf(book.anthology, documents, root / target, project_dir=root,
                                  created=WHEN, jobs=2, part_words=PART_WORDS, cache=cache)

    first = lay_out("first.pdf")
    assert first is not None and len(first.parts_laid_out) == first.parts == 5
    story = root / "long.txt"
    heading = "Chapter 5: Part 5\n\n"
    assert heading in story.read_text(encoding="utf-8")
    story.write_text(story.read_text(encoding="utf-8").replace(heading, heading + "Then, "),
                     encoding="utf-8")
    again = lay_out("again.pdf")
    assert again is not None and again.parts_laid_out == (3,)  # short, (0-3), 4, 5, 6
    fresh = lay_out_both(root)
    one = [page.extract_text() for page in PdfReader(fresh["one_file"]).pages]
    assert [page.extract_text() for page in PdfReader(root / "again.pdf").pages] == one


def test_title_headed_versos_keep_the_title_in_every_part(tmp_path: Path) -> None:
    """``verso_head: title`` (the default when one author wrote the book): a part
    laid out without the front matter still heads its versos with the book's title
    (it was empty: the title came only from the half-title)."""
    settings = "print:\n  verso_head: title\n"
    made = lay_out_both(make_book(tmp_path / "book", print_settings=settings))
    assert_same_book(made)
    texts = [page.extract_text() for page in PdfReader(made["joined_file"]).pages]
    chapter = next(i for i, text in enumerate(texts) if "Chapter 4: Part 4" in text)
    versos = [texts[i] for i in range(chapter + 1, len(texts))
              if i % 2 == 1 and texts[i].strip() and "Chapter" not in texts[i]
              and "End Notes" not in texts[i]]
    assert versos
    assert all(text.split("\n")[-2:-1] == ["Test"] for text in versos), versos
