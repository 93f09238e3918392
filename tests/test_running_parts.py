"""A long story without chapters, laid out in parts cut inside its text, is the same
book as in one piece (issue 15; :mod:`fanbind.pdf.running`).

The parts are cut at paragraph boundaries (a scene break first), where the
one-piece layout has no page break: each part's first render is read as rows,
the whole story is planned as one, and each part's second layout is cut at the
planned page starts. Small books (about 20 pages) whose long story is cut into
four parts by lowering the part size through ``part_words`` (a parameter, not a
patched constant), compared page for page with the one-piece layout of the same
documents by tests/test_story_parts.py's ``assert_same_book``: every page's text
(running heads, folios), the outline, links and destinations, the EPUB page map
and every page's pixels.

Cost: each fixture book is laid out in one piece and in parts (two rounds of
four small renders); the plan tests lay nothing out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from fanbind.build import load_book, open_project
from fanbind.pdf import makeup
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.parts import cut_story, plan_parts, story_section, text_seams
from fanbind.pdf.result import PdfResult
from fanbind.pdf.rows import Edge, Place, RunningFlow
from fanbind.pdf.running import NoSeams, plan_story, planned_starts
from fanbind.pdf.running import seam_row as make_seam_row
from fanbind.render import render_book
from test_story_parts import EN, WHEN, assert_same_book
from test_story_parts import lay_out_both as story_parts_lay_out_both

#: Paragraphs of the story; a scene break before paragraph SCENE (near the end of
#: the first part's share, so a seam is taken after it).
PARAGRAPHS = 90
SCENE = 20
#: The story is about 4,400 words: four parts.
PART_WORDS = 200


def oneshot(paragraphs: int = PARAGRAPHS, scene: int = SCENE) -> str:
    text = [EN[i % len(EN)] for i in range(paragraphs)]
    text.insert(scene, "* * *")
    return "\n\n".join(text) + "\n"


def make_book(root: Path, *, volumes: bool = False) -> Path:
    """A short story, then a long one without chapters by three authors with a
    summary (a paratext verso) and end notes; ``volumes``: two more short stories
    before it and ``print: volumes: 2`` (the long story is the second volume)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.txt").write_text(oneshot(), encoding="utf-8")
    (root / "short.txt").write_text("\n\n".join(EN[:5]) + "\n", encoding="utf-8")
    shorts = ["  - file: short.txt\n    title: Short\n    authors: [Bo]\n"]
    if volumes:
        for n in (2, 3):
            (root / f"short-{n}.txt").write_text("\n\n".join(EN[n:n + 4]) + "\n",
                                                 encoding="utf-8")
            shorts.append(f"  - file: short-{n}.txt\n    title: Short {n}\n    authors: [Bo]\n")
    long = ("  - file: long.txt\n    title: The Long One\n"
            "    authors: [Ada Lind, Cy Moss, Di Park]\n    summary: a summary\n"
            "    end_notes: Thanks for reading.\n")
    (root / "metadata.yaml").write_text(
        "title: Test\nlanguage: en\nstories:\n" + "".join(shorts) + long
        + ("print:\n  volumes: 2\n" if volumes else ""), encoding="utf-8")
    return root


def lay_out_both(root: Path, *, jobs: int = 2, volume: int | None = None) -> dict:
    """The book (or that volume) in one piece and in parts, and its plan."""
    return story_parts_lay_out_both(root, jobs=jobs, volume=volume, part_words=PART_WORDS)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return lay_out_both(make_book(tmp_path_factory.mktemp("running") / "book"))


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The long story as the second volume of three short stories and it, laid out
    with one job (the first round's renders in this process, one after the other)."""
    return lay_out_both(make_book(tmp_path_factory.mktemp("volumes") / "book", volumes=True),
                        jobs=1, volume=2)


def _running_parts(made: dict) -> list:
    return [p for p in made["plan"] if p.kind == "body" and p.running]


def test_a_story_without_chapters_is_cut_inside_its_text(running: dict) -> None:
    parts = _running_parts(running)
    assert len(parts) == 4
    # Made up as one story: no part fell back to the story laid out whole.
    joined = running["joined"]
    assert joined.parts == 5 and len(joined.parts_running) == 4
    # A seam right after the scene break, the others between two paragraphs.
    story = next(d for d in running["documents"] if "Long" in d.title)
    section = story_section(story)
    assert section is not None
    before = [section[p.span[0] - 1] for p in parts[1:]]
    assert "scene-break" in (before[0].get("class") or "")
    assert all(b.tag.endswith("}p") for b in before[1:])


def test_the_parts_give_the_one_piece_book(running: dict) -> None:
    """Pages starting inside a paragraph and a part landing on a verso included
    (asserted, so the cases cannot go untested)."""
    joined = running["joined"]
    assert any(split for _, split, _ in joined.parts_running), joined.parts_running
    assert any(left for _, _, left in joined.parts_running[1:]), joined.parts_running
    assert joined.parts_relaid == () and joined.parts_flipped == ()
    assert_same_book(running)


def test_the_end_notes_and_running_heads_carry_on(running: dict) -> None:
    texts = [page.extract_text() for page in PdfReader(running["joined_file"]).pages]
    notes = next(i for i, text in enumerate(texts) if "End Notes" in text)
    opening = next(i for i, text in enumerate(texts) if text.startswith("The Long One"))
    first = next(i for i, text in enumerate(texts) if text.startswith("Short"))
    assert texts[notes].split()[-1] == str(notes - first + 1)  # folios run on
    heads = [text.split("\n")[-2] for text in texts[opening + 1:notes]]
    assert set(heads) == {"The Long One", "Ada Lind et al."}


def test_a_volume_cut_inside_its_text_gives_the_same_book(volumes: dict) -> None:
    assert len(_running_parts(volumes)) >= 2
    assert len(volumes["joined"].parts_running) == len(_running_parts(volumes))
    assert_same_book(volumes)


def test_an_edit_in_one_part_reads_only_that_part_again(tmp_path: Path) -> None:
    """A part's first round is cached by its own paragraphs: a word added to the
    last part's text reads only that part again (the others' rows come from the
    cache), and the book is still the one-piece layout of the edited text."""
    from fanbind.cache import ProjectCache

    root = make_book(tmp_path / "book")
    cache = ProjectCache(root)

    def lay_out(target: str) -> object:
        book = load_book(open_project(root))
        documents = render_book(book.anthology, stylesheets=("css/epub.css",))
        return write_parallel_pdf(book.anthology, documents, root / target, project_dir=root,
                                  created=WHEN, jobs=2, part_words=PART_WORDS, cache=cache)

    first = lay_out("first.pdf")
    assert first is not None and first.parts_read == (1, 2, 3, 4)
    story = root / "long.txt"
    last = EN[(PARAGRAPHS - 1) % len(EN)]
    text = story.read_text(encoding="utf-8")
    assert text.rstrip().endswith(last)
    story.write_text(text.rstrip()[:-len(last)] + "Then, " + last + "\n", encoding="utf-8")
    again = lay_out("again.pdf")
    assert again is not None and again.parts_read == (4,)
    assert 4 in again.parts_laid_out and len(again.parts_running) == 4
    fresh = lay_out_both(root)
    one = [page.extract_text() for page in PdfReader(fresh["one_file"]).pages]
    assert [page.extract_text() for page in PdfReader(root / "again.pdf").pages] == one


def test_each_part_is_rendered_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts' first renders run on into the next part's text and are kept on the
    workers, which make the planned pages from their boxes (pdf/holding.py): the
    renders are counted from the layouts' own records (``FANBIND_TIMINGS``, written
    by every process), not assumed. Kept renders within ``hold_words`` only: with
    room for one part a worker, one or two parts are made up from their renders and
    the others rendered again; with none, all four. The three books are the same, byte for
    byte (the remake makes the pages a second layout makes)."""
    from fanbind.timings import ENVIRONMENT, read

    root = make_book(tmp_path / "book")
    anthology, documents = _documents(root)
    share = max(anthology.stories[1].words // 4 + 200, PART_WORDS)

    def lay_out(hold_words: int) -> tuple[PdfResult, int, bytes]:
        timings = tmp_path / f"timings-{hold_words}.jsonl"
        monkeypatch.setenv(ENVIRONMENT, str(timings))
        target = tmp_path / f"held-{hold_words}.pdf"
        made = write_parallel_pdf(anthology, documents, target, project_dir=root,
                                  created=WHEN, jobs=2, part_words=PART_WORDS,
                                  hold_words=hold_words)
        assert made is not None
        renders = sum(int(str(event["passes"])) for event in read(timings)
                      if event["step"] == "layout")
        return made, renders, target.read_bytes()

    held, held_renders, held_pdf = lay_out(100_000)
    some, some_renders, some_pdf = lay_out(share)
    none, none_renders, none_pdf = lay_out(0)
    assert held.parts_remade == (1, 2, 3, 4) and held.parts_not_remade == ()
    assert none.parts_remade == () and some.parts_not_remade == ()
    # A worker holds one part: two if the second worker claimed one before the first
    # finished its first render (the workers claim parts as they come free).
    assert 1 <= len(some.parts_remade) <= 2
    # Four second renders less; one less for each part made up from its render.
    assert none_renders - held_renders == 4
    assert none_renders - some_renders == len(some.parts_remade)
    assert held_pdf == none_pdf and some_pdf == none_pdf


# ---------------------------------------------------------------------- the plan


def _documents(root: Path) -> tuple:
    book = load_book(open_project(root))
    return book.anthology, render_book(book.anthology, stylesheets=("css/epub.css",))


def test_seams_inside_text_prefer_a_scene_break(tmp_path: Path) -> None:
    anthology, documents = _documents(make_book(tmp_path / "book"))
    story = next(d for d in documents if "Long" in d.title)
    seams = text_seams(story)
    scenes = [at for at, _ in seams if at < 0]
    assert len(scenes) == 1 and len(seams) == PARAGRAPHS  # each paragraph after the first
    words = anthology.stories[1].words
    taken = [span[0] for span in cut_story(story, words, words // 4, seams)]
    plain = [span[0] for span in cut_story(story, words, words // 4,
                                           [(abs(at), w) for at, w in seams])]
    assert -scenes[0] in taken and -scenes[0] not in plain
    # A book with chapters keeps its chapter seams; inside_text=False keeps it whole.
    parts = plan_parts(anthology, documents, 2, part_words=PART_WORDS, inside_text=False)
    assert parts is not None and not any(p.span for p in parts)


def _row(cut: str | None = None, breakable: bool = True) -> makeup.Row:
    return makeup.Row(breakable=breakable, movable=cut is not None,
                      cut=makeup.Cut(cut, 10) if cut else None)


def test_planned_starts_follow_the_cuts() -> None:
    rows = tuple(_row(f"b{i}") for i in range(10))
    flow = makeup.Flow(rows, (0, 4, 8), False, 4.0)
    assert planned_starts(flow, []) == [0, 4, 8]
    assert planned_starts(flow, [rows[3].cut]) == [0, 3, 7]


def test_a_seam_row_follows_the_part_before() -> None:
    """After a paragraph: a line on; after a scene break (half a line below it, no
    break after it): a line and a half on, and no page may start there."""
    pitch = 16.0
    line = Edge(line=pitch, blocks=1)
    last = Place("b1", "b1", 40, False, True, True, False, True)
    row = make_seam_row(line, last, line, _row(), pitch)
    assert (row.height, row.advance, row.breakable) == (1.0, 1.0, True)
    assert row.cut == makeup.Cut("b1", 40)
    scene = Edge(line=pitch, margins=(pitch / 2, 0.0), avoid=True, blocks=2)
    row = make_seam_row(scene, last, line, _row(), pitch)
    assert (row.height, row.advance, row.breakable, row.cut) == (1.0, 1.5, False, None)


def test_a_page_start_no_part_can_start_at_is_refused(tmp_path: Path) -> None:
    """A planned page starting inside a block that is not a paragraph of the section
    (here: every line's place says so) cannot start a part: NoSeams, and the story
    is laid out in one part (pdf/in_parts.py)."""
    _, documents = _documents(make_book(tmp_path / "book"))
    story = next(d for d in documents if "Long" in d.title)
    nowhere = Place(None, None, 0, False, False, False, False, False)
    flows = [RunningFlow(tuple(_row() for _ in range(12)), (0, 4, 8), (nowhere,) * 12,
                         False, 4.0, 16.0, 0, Edge(16.0), Edge(16.0))
             for _ in range(2)]
    with pytest.raises(NoSeams):
        plan_story(story, [(0, 40), (40, 92)], flows)
