"""The rebuild after an edit in one chapter of a long story: the same books, less work.

One small book (a chaptered story of about 2,000 words and a short one, about
17 pages) is cut into parts inside its long story by lowering the part size
through ``part_words``. It is built with the cache, one paragraph of its fourth
chapter is changed, and it is built again; a third build of the edited project
uses no cache at all. The rebuild must give that fresh build's EPUB and PDF
byte for byte and its warnings (file, line, message) one for one, while it
typesets only the changed chapter (the others come from the chapter cache),
lays out only the changed part, and cuts no font again (the join's shared
font programs come from the cache). The counts are read from the build's
``FANBIND_TIMINGS`` steps (:mod:`fanbind.timings`), which the benchmarks read too.

Cost: three builds of the small book with two workers (one module fixture), and a
fourth from the cache with the join in a process of its own. The splice's cases
(:data:`SPLICES`): nine PDF-only builds of a 23-page book in one module fixture and
a tenth from the cache, about 12 s of CPU.
"""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from fanbind.build import build
from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostics
from fanbind.loading import CHAPTER_NAMESPACE, ChapterCache
from fanbind.pdf.fonts import fonttools_subset, harfbuzz_subset, subset_program, subsetter_version
from fanbind.pdf.join import JoinOptions
from fanbind.resources import FONTS_DIR
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import load_story
from fanbind.text.settings import TextSettings
from fanbind.timings import ENVIRONMENT, read

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "pdf"
EN = (DATA / "paragraphs-en.txt").read_text(encoding="utf-8").strip().split("\n\n")
#: Paragraphs per chapter; small parts (PART_WORDS) put chapter 4 in a part of its own.
CHAPTERS = (4, 8, 3, 12, 5, 7)
PART_WORDS = 100
EPOCH = "1700000000"
#: A paragraph with a stray closing quote (FB304), so the warnings have lines to compare.
STRAY = "He said it twice,” and left."


def chaptered(edit: str = "") -> str:
    """The long story; ``edit`` is appended to the second paragraph of chapter 4."""
    out, k = [], 0
    for number, count in enumerate(CHAPTERS, start=1):
        paragraphs = [EN[(k + i) % len(EN)] for i in range(count)]
        if number in (2, 5):
            paragraphs.insert(1, STRAY)
        if number == 4 and edit:
            paragraphs[1] += edit
        out.append(f"Chapter {number}: Part {number}\n\n" + "\n\n".join(paragraphs))
        k += count
    return "\n\n".join(out) + "\n"


def make_book(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.txt").write_text(chaptered(), encoding="utf-8")
    (root / "short.txt").write_text("\n\n".join(EN[:5]) + "\n", encoding="utf-8")
    (root / "metadata.yaml").write_text(
        "title: Test\nlanguage: en\nstories:\n"
        "  - file: short.txt\n    title: Short\n    authors: [Bo]\n"
        "  - file: long.txt\n    title: The Long One\n    authors: [Ada Lind]\n"
        "    summary: a summary\n", encoding="utf-8")
    return root


def _build(root: Path, out: str, timings: Path, monkeypatch: pytest.MonkeyPatch, *,
           cache: bool = True):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv(ENVIRONMENT, str(timings))
    return build(root, out_dir=root / out, formats=("epub", "pdf"), jobs=2, cache=cache,
                 part_words=PART_WORDS)


def _step(timings: Path, name: str) -> dict[str, object]:
    found = [step for step in read(timings) if step["step"] == name]
    assert len(found) == 1, f"{name}: {len(found)} steps"
    return found[0]


def _warnings(result) -> list[tuple[str, str, int | None, str]]:
    return [(d.code, d.file, d.line, d.message) for d in result.diagnostics]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_book(tmp_path_factory.mktemp("rebuild") / "book")
    folder = root.parent
    with pytest.MonkeyPatch.context() as patch:
        cold = _build(root, "cold", folder / "cold.jsonl", patch)
        (root / "long.txt").write_text(chaptered(" Then he laughed."), encoding="utf-8")
        again = _build(root, "dist", folder / "again.jsonl", patch)
        fresh = _build(root, "fresh", folder / "fresh.jsonl", patch, cache=False)
    return {"root": root, "folder": folder, "cold": cold, "again": again, "fresh": fresh}


@pytest.mark.parametrize("suffix", [".epub", ".pdf"])
def test_the_rebuild_is_the_fresh_build_byte_for_byte(builds: dict, suffix: str) -> None:
    again = next(p for p in builds["again"].outputs if p.suffix == suffix)
    fresh = next(p for p in builds["fresh"].outputs if p.suffix == suffix)
    cold = next(p for p in builds["cold"].outputs if p.suffix == suffix)
    assert again.read_bytes() == fresh.read_bytes()
    assert cold.read_bytes() != fresh.read_bytes()  # the edit shows: the test can fail


#: One-line paragraphs added to chapter 4 and the pages that adds to it (read from
#: the page map below, so a change in the layout that makes a case another cannot go
#: unseen): one page more moves every later chapter across a recto/verso boundary,
#: two keep their sides. Short lines grow the chapter by pages while adding few
#: words, which the story's cuts follow (parts.cut_story).
GROWN = {"one page more": (30, 1), "two pages more": (60, 2)}
#: The paragraph added.
LINE = "Yes. No."


def _folios(pdf) -> dict[str, int]:
    """The folio of each chapter's first page, from the page map."""
    return {page_id: int(label) for page_id, label in pdf.page_map
            if page_id.endswith(("-ch4", "-ch5", "-ch6")) and label.isdigit()}


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The book built with the cache, then each :data:`GROWN` edit rebuilt from that
    cache (a copy of the project each) and built afresh without one."""
    folder = tmp_path_factory.mktemp("grown")
    root = make_book(folder / "cold")
    out: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        out["cold"] = _build(root, "dist", folder / "cold.jsonl", patch)
        for name, (count, _) in GROWN.items():
            copy = folder / name.replace(" ", "-")
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("dist"))
            added = "".join("\n\n" + LINE for _ in range(count))
            (copy / "long.txt").write_text(chaptered(added), encoding="utf-8")
            out[name] = (_build(copy, "dist", folder / f"{name}.jsonl", patch),
                         _build(copy, "fresh", folder / f"{name}-fresh.jsonl", patch,
                                cache=False))
    return out


@pytest.mark.parametrize("name", list(GROWN))
def test_a_rebuild_that_moves_pages_is_the_fresh_build(grown: dict, name: str) -> None:
    """A chapter grows by one page (the chapters after it change sides) or two: the
    rebuild is the fresh build byte for byte, lays out again only from the grown
    chapter's part on (its part, and those whose cut moved with the story's words:
    never one before it), and draws new folios only for the parts whose pages moved."""
    again, fresh = grown[name]
    for suffix in (".epub", ".pdf"):
        rebuilt = next(p for p in again.outputs if p.suffix == suffix)
        assert rebuilt.read_bytes() == next(p for p in fresh.outputs
                                            if p.suffix == suffix).read_bytes(), suffix
    before, after = _folios(grown["cold"].pdf), _folios(again.pdf)
    pages = GROWN[name][1]
    assert after["story-002-ch4"] == before["story-002-ch4"]
    assert after["story-002-ch5"] - before["story-002-ch5"] == pages
    assert after["story-002-ch6"] - before["story-002-ch6"] == pages
    pdf = again.pdf
    assert pdf is not None and pdf.parts >= 4
    # Part 0 is the short story, the long one's pieces follow; chapter 4 is in the
    # piece laid out first below, and nothing before it is laid out or numbered again.
    grown_part = min(pdf.parts_laid_out)
    assert grown_part >= 2 and set(pdf.parts_stamped) <= set(range(grown_part, pdf.parts))
    assert pdf.parts_stamped, "the pages after the grown chapter moved: new folios"


def test_the_rebuild_warns_as_the_fresh_build(builds: dict) -> None:
    again, fresh = _warnings(builds["again"]), _warnings(builds["fresh"])
    assert again == fresh
    assert [w for w in again if w[0] == "FB304"], "the stray quotes are reported"


def test_the_rebuild_typesets_one_chapter_and_lays_out_one_part(builds: dict) -> None:
    folder = builds["folder"]
    cold, again = _step(folder / "cold.jsonl", "stories"), \
        _step(folder / "again.jsonl", "stories")
    assert (cold["chapters_typeset"], cold["chapters_cached"]) == (len(CHAPTERS) + 1, 0)
    # The long story is read again, its chapters but the fourth from the cache.
    assert (again["cached"], again["chapters_typeset"], again["chapters_cached"]) == \
        (1, 1, len(CHAPTERS) - 1)
    pdf = builds["again"].pdf
    assert pdf is not None and pdf.parts >= 4  # the story is in parts
    assert len(pdf.parts_laid_out) == 1
    # Its pages are the same: its folios (drawn from its folio plan, not its text)
    # come from the cache, as every other part's do.
    assert pdf.parts_stamped == ()


def test_the_join_cuts_no_font_again(builds: dict) -> None:
    folder = builds["folder"]
    cold, again = _step(folder / "cold.jsonl", "fonts"), _step(folder / "again.jsonl", "fonts")
    assert cold["faces"] and (cold["made"], cold["cached"]) == (cold["faces"], 0)
    assert (again["made"], again["cached"]) == (0, cold["faces"])
    fresh = _step(folder / "fresh.jsonl", "fonts")
    assert (fresh["made"], fresh["cached"]) == (cold["faces"], 0)  # no cache: cut afresh


def test_the_cache_keeps_what_the_rebuild_used_only(builds: dict) -> None:
    """The chapters of the story before the edit are pruned, the rebuild's are kept."""
    kept = {p.name for p in (builds["root"] / ".fanbind-cache" / CHAPTER_NAMESPACE).iterdir()}
    # Seven runs of blocks typeset over the two stories: six chapters and the short one.
    assert len(kept) == len(CHAPTERS) + 1
    fonts = list((builds["root"] / ".fanbind-cache" / "pdf-fonts").iterdir())
    assert len(fonts) == _step(builds["folder"] / "again.jsonl", "fonts")["faces"]


def test_a_chapter_from_the_cache_is_the_chapter_typeset_afresh(tmp_path: Path) -> None:
    """Lines moved by a paragraph added above keep the typesetting and take the new lines."""
    root = make_book(tmp_path / "book")
    path, meta = root / "long.txt", StoryConfig(file="long.txt", authors=("A",))
    settings = TextSettings()

    def load(typeset: ChapterCache | None):
        found = Diagnostics()
        kwargs = {"typeset": typeset} if typeset is not None else {}
        story = load_story(path, meta, index=0, display_name="long.txt", settings=settings,
                           diagnostics=found, **kwargs)
        return story, [(d.code, d.line, d.message) for d in found]

    store = ProjectCache(root)
    first = ChapterCache(store)
    load(first)
    assert (first.hits, first.misses) == (0, len(CHAPTERS))
    # Two paragraphs more in chapter 1: every later chapter's lines move.
    text = path.read_text(encoding="utf-8").replace(
        "Chapter 2:", "A new “paragraph.\n\nAnd one more.\n\nChapter 2:", 1)
    path.write_text(text, encoding="utf-8")
    second = ChapterCache(store)
    cached, found = load(second)
    assert (second.hits, second.misses) == (len(CHAPTERS) - 1, 1)
    afresh, found_afresh = load(None)
    assert cached.story == afresh.story
    assert cached.rule_counts == afresh.rule_counts and sum(cached.rule_counts.values()) > 0
    assert found == found_afresh
    lines = [b.origin.line for b in cached.story.chapters[3].blocks if b.origin]
    assert lines == [b.origin.line for b in afresh.story.chapters[3].blocks if b.origin]


def test_chapter_cache_counts_add_to_the_story_counts(tmp_path: Path) -> None:
    """The rule counts of a chapter from the cache add up as a typeset one's do."""
    root = make_book(tmp_path / "book")
    store = ProjectCache(root)
    settings = TextSettings()
    story = load_story(root / "long.txt", StoryConfig(file="long.txt", authors=("A",)),
                       index=0, display_name="long.txt", settings=settings,
                       diagnostics=Diagnostics())
    blocks = story.parsed.chapters[0].blocks
    typeset = ChapterCache(store)
    counts: Counter[str] = Counter({"earlier": 2})
    typeset(blocks, settings, counts)
    again: Counter[str] = Counter({"earlier": 2})
    out = ChapterCache(store)(blocks, settings, again)
    assert again == counts and len(counts) > 1
    assert out == story.story.chapters[0].blocks


def test_a_join_in_a_process_of_its_own_takes_the_fonts_from_the_cache(
        builds: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The join apart (a big book's) reads and prunes the same cache: nothing cut again."""
    root = tmp_path / "book"
    shutil.copytree(builds["root"], root, ignore=shutil.ignore_patterns("cold", "fresh"))
    timings = tmp_path / "apart.jsonl"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv(ENVIRONMENT, str(timings))
    result = build(root, out_dir=root / "apart", formats=("pdf",), jobs=2,
                   part_words=PART_WORDS, join_options=JoinOptions(apart_pages=0))
    fonts = _step(timings, "fonts")
    assert fonts["pid"] != os.getpid()  # joined in a process of its own
    assert (fonts["made"], fonts["cached"]) == (0, fonts["faces"])
    fresh = next(p for p in builds["fresh"].outputs if p.suffix == ".pdf")
    assert next(p for p in result.outputs if p.suffix == ".pdf").read_bytes() == \
        fresh.read_bytes()
    assert len(list((root / ".fanbind-cache" / "pdf-fonts").iterdir())) == fonts["faces"]


def _outlines(program: bytes, glyphs: list[int]) -> list[list[tuple]]:
    with TTFont(io.BytesIO(program)) as font:
        order, charstrings = font.getGlyphOrder(), font["CFF "].cff.topDictIndex[0].CharStrings
        drawn = []
        for glyph in glyphs:
            pen = RecordingPen()
            charstrings[order[glyph]].draw(pen)
            drawn.append(pen.value)
        return drawn


def test_harfbuzz_cuts_the_shared_faces_as_fonttools_did() -> None:
    """The same glyphs at the same ids, drawn the same, and the source's dates kept
    (the book must not depend on the day): HarfBuzz's program stands in for fontTools'."""
    path = FONTS_DIR / "EBGaramond12-Regular.otf"
    glyphs = [0, 3, 17, 68, 250, 901]
    made = harfbuzz_subset(path.read_bytes(), glyphs)
    if made is None:
        pytest.skip("no libharfbuzz-subset on this system: fontTools cuts the faces")
    before = fonttools_subset(path, glyphs)
    assert subset_program(path, glyphs) == made
    assert subsetter_version().startswith("harfbuzz ")
    assert _outlines(made, glyphs) == _outlines(before, glyphs)
    assert all(_outlines(made, glyphs)[1:])  # real outlines, not empty glyphs
    with TTFont(io.BytesIO(made)) as cut, TTFont(path) as source:
        assert len(cut.getGlyphOrder()) == max(glyphs) + 1  # ids kept, nothing after
        assert (cut["head"].created, cut["head"].modified) == \
            (source["head"].created, source["head"].modified)
        assert not {"GSUB", "GPOS"} & set(cut.keys())


# ---------------------------------------------------------------------- the splice
#
# A long story alone, of equal chapters (the same paragraphs in another order each), so
# the story's cuts fall every two chapters and stay put when a chapter grows by a few
# dozen words: each part holds two chapters, and an edit in one lays out only that
# one (pdf/splice.py) when its page count keeps its parity.

#: Chapters of the spliced book and the paragraphs each is made of (rotated per chapter).
SPLICE_CHAPTERS = 8
SPLICE_PARAGRAPHS = EN[:8]


def spliced_story(edits: dict[int, str]) -> str:
    """The story; ``edits[n]`` is appended to the second paragraph of chapter ``n``."""
    out = []
    for number in range(1, SPLICE_CHAPTERS + 1):
        turn = number % len(SPLICE_PARAGRAPHS)
        paragraphs = SPLICE_PARAGRAPHS[turn:] + SPLICE_PARAGRAPHS[:turn]
        paragraphs[1] += edits.get(number, "")
        out.append(f"Chapter {number}: Part {number}\n\n" + "\n\n".join(paragraphs))
    return "\n\n".join(out) + "\n"


def make_spliced_book(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.txt").write_text(spliced_story({}), encoding="utf-8")
    (root / "metadata.yaml").write_text(
        "title: Test\nlanguage: en\nstories:\n"
        "  - file: long.txt\n    title: The Long One\n    authors: [Ada Lind]\n"
        "    summary: a summary\n", encoding="utf-8")
    return root


def _lines(count: int) -> str:
    return "".join("\n\n" + LINE for _ in range(count))


#: name → (the edits, the parts expected spliced with their pieces laid out again, the
#: pages the edited chapters gain: a chapter is two pages, 40 short lines make it three,
#: 70 four, read back from the page map below). Parts are two chapters each: part 0 opens the story
#: (its chapters sit under the story's bookmark), chapter 2 is its second piece;
#: chapter 5 opens part 2, chapter 4 ends part 1. One page more moves the chapters
#: after it to the other side: that part is laid out whole; two keep the sides. Lines
#: added as paragraphs renumber the later paragraphs' ids, so the later parts are laid
#: out again whole (their text changed); a word changed in a paragraph does not.
SPLICES: dict[str, tuple[dict[int, str], dict[int, tuple[int, ...]], int]] = {
    "one paragraph in two parts": ({2: " Then he laughed.", 5: " Then he laughed."},
                                   {0: (1,), 2: (0,)}, 0),
    "the story's opening": ({1: " Then he laughed."}, {0: (0,)}, 0),
    "one page more": ({4: _lines(40)}, {}, 1),
    "two pages more": ({4: _lines(70)}, {1: (1,)}, 2),
}


def _build_pdf(root: Path, out: str, timings: Path, monkeypatch: pytest.MonkeyPatch, *,
               cache: bool = True):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv(ENVIRONMENT, str(timings))
    return build(root, out_dir=root / out, formats=("pdf",), jobs=2, cache=cache,
                 part_words=PART_WORDS)


@pytest.fixture(scope="module")
def splices(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The book built with the cache, then each :data:`SPLICES` edit rebuilt from that
    cache (a copy of the project each) and built afresh without one."""
    folder = tmp_path_factory.mktemp("splice")
    root = make_spliced_book(folder / "cold")
    out: dict = {"folder": folder}
    with pytest.MonkeyPatch.context() as patch:
        out["cold"] = _build_pdf(root, "dist", folder / "cold.jsonl", patch)
        for number, (name, (edits, _, _)) in enumerate(SPLICES.items()):
            copy = folder / f"edit-{number}"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("dist"))
            (copy / "long.txt").write_text(spliced_story(edits), encoding="utf-8")
            out[name] = (_build_pdf(copy, "dist", folder / f"{number}.jsonl", patch),
                         _build_pdf(copy, "fresh", folder / f"{number}-fresh.jsonl", patch,
                                    cache=False), folder / f"{number}.jsonl")
    return out


def _pdf(result) -> Path:
    return next(p for p in result.outputs if p.suffix == ".pdf")


def _seen(path: Path) -> dict[str, object]:
    """What a reader sees of a PDF: each page's text and where its first and last
    letters stand, the page labels, the outline, the links and named destinations."""
    import pikepdf
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for page in document:
            text = page.get_textpage()
            count = text.count_chars()
            texts.append((text.get_text_range(), tuple(
                round(v, 1) for at in (0, count - 1) if count for v in text.get_charbox(at))))
    finally:
        document.close()
    with pikepdf.open(path) as pdf:
        number = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        marks: list[tuple[int, str, int | None, tuple[float, ...]]] = []

        def walk(items, level: int) -> None:
            for item in items:
                dest = item.destination
                marks.append((level, str(item.title), number.get(dest[0].objgen),
                              tuple(float(v) for v in list(dest)[2:]
                                    if not isinstance(v, pikepdf.Name))))
                walk(item.children, level + 1)

        with pdf.open_outline() as outline:
            walk(outline.root, 0)
        dests = {str(name): number.get(dest[0].objgen)
                 for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
        links = [[(str(a.get("/Dest")), tuple(round(float(v), 2) for v in a.Rect))
                  for a in page.obj.get("/Annots") or ()] for page in pdf.pages]
        labels = repr(pdf.Root.PageLabels)
    return {"texts": texts, "labels": labels, "outline": marks, "dests": dests, "links": links}


def _chapter_pages(pdf, numbers) -> int:
    """The pages of chapters ``numbers`` in the book, from its page map (the first
    from the story's opening)."""
    ids = [page_id for page_id, _ in pdf.page_map]
    starts = [ids.index("story-001")] + [index for index, page_id in enumerate(ids)
                                         if page_id.startswith("story-001-ch")]
    ends = [*starts[1:], len(pdf.page_map)]
    return sum(ends[n - 1] - starts[n - 1] for n in numbers)


@pytest.mark.parametrize("name", list(SPLICES))
def test_a_rebuild_lays_out_only_the_changed_chapters(splices: dict, name: str) -> None:
    """The parts holding the edited chapters are made from their cached layout with
    only those chapters laid out again — when each keeps its page count's parity,
    else laid out whole — and the book reads as the fresh build page for page: the
    text where it stands, the folios, the outline, the links — byte for byte (the join
    writes the same bytes however the pages were grouped into PDFs)."""
    again, fresh, timings = splices[name]
    edits, spliced, grown = SPLICES[name]
    assert _pdf(again).read_bytes() == _pdf(fresh).read_bytes()
    assert _seen(_pdf(again)) == _seen(_pdf(fresh))  # what differs, when it does
    assert again.pdf.page_map == fresh.pdf.page_map
    # The case is the one named: the edited chapters grew by that many pages.
    assert _chapter_pages(again.pdf, edits) - _chapter_pages(splices["cold"].pdf, edits) == grown
    assert dict(again.pdf.parts_spliced) == spliced
    laid = sum(step["pages"] for step in read(timings) if step["step"] == "layout")
    if spliced and not grown:
        # Only the edited chapters were laid out: their pages, nothing else.
        assert again.pdf.parts_laid_out == tuple(sorted(spliced))
        assert laid == _chapter_pages(fresh.pdf, edits)
    else:
        # Laid out from the edited part on (whole, but for a spliced one).
        assert min(again.pdf.parts_laid_out) == 1 and laid > _chapter_pages(fresh.pdf, edits)
    if not grown:
        # The spliced folio plans are the whole part's: every part's folios come
        # from the cache (they are keyed by the plan).
        assert again.pdf.parts_stamped == ()


def test_a_spliced_part_is_cached_as_laid_out(splices: dict,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The next build of the edited project lays out nothing: the spliced parts were
    cached under their new keys."""
    root = splices["folder"] / "edit-0"
    again = _build_pdf(root, "dist", splices["folder"] / "next.jsonl", monkeypatch)
    assert again.pdf.parts_laid_out == () and again.pdf.parts_spliced == ()
    assert _seen(_pdf(again)) == _seen(_pdf(splices["one paragraph in two parts"][1]))
