"""Whole AO3 pages pasted as text (issue 14, the plain-text side).

The fixtures in tests/data/paste/ are invented works in the shape of AO3's work
page (otwcode/otwarchive ``app/views/works/_work_header_navigation``, ``_meta``,
``_work_header``, ``chapters/_chapter``) as a browser copies it: the page's
buttons, the tag list with label and value on one line or on two, the title,
the byline, the summary and notes, the text, and the kudos footer.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from fanbind.model import Paragraph, SceneBreak, plain_text
from fanbind.text.structure.parser import ParsedStory, parse_story
from fanbind.text.structure.rules import (
    AO3_PAGE_RULES,
    HEADING_PATTERN_RULES,
    StructureRule,
)

DATA = Path(__file__).parent / "data" / "paste"
ONESHOT = DATA / "oneshot.txt"
THREE = DATA / "three-chapters.txt"
DOWNLOAD = DATA / "download-copied.txt"

#: Words that only AO3's header, byline or chrome may hold.
HEADER_WORDS = ("Rating", "Archive Warning", "Stats", "Words:", "Published", "Kudos",
                "Summary", "Actions", "Bookmark", "Wren Alder", "Kestrel_Vane")


def parse(text: str, **kwargs: object) -> ParsedStory:
    return parse_story(text, file="paste.txt", **kwargs)  # type: ignore[arg-type]


def body(parsed: ParsedStory) -> list[str]:
    return [plain_text(b.inlines) for c in parsed.chapters for b in c.blocks
            if not isinstance(b, SceneBreak)]


def found(parsed: ParsedStory) -> dict[str, object]:
    return {name: value for name, value, _ in parsed.found}


def prose_of(path: Path, start: str, stop: str) -> list[str]:
    """The fixture's paragraphs from the line after ``start`` to the line before ``stop``."""
    text = path.read_text(encoding="utf-8")
    part = text.split(f"\n{start}\n", 1)[1].split(f"\n{stop}\n", 1)[0]
    return [p.strip() for p in part.split("\n\n") if p.strip() and p.strip() != "~*~"]


# --------------------------------------------------------------- page chrome rules

#: A minimal paste: chrome, a header field, the title, the text, chrome again.
PASTE = "{line}\nRating:\nGeneral Audiences\n\nA Tale\n\nThe story.\n\n{line}\n"


def _cases(rules: tuple[StructureRule, ...]) -> list:
    return [pytest.param(rule, ex.text, id=f"{rule.name}:{ex.text[:40]}")
            for rule in rules for ex in rule.examples]


@pytest.mark.parametrize(("rule", "text"), _cases(AO3_PAGE_RULES))
def test_page_chrome_rule_example_is_dropped_from_a_paste(rule: StructureRule,
                                                         text: str) -> None:
    assert rule.matches(text)
    parsed = parse(PASTE.format(line=text))
    assert parsed.title == "A Tale"
    assert body(parsed) == ["The story."]
    assert [d.reason for d in parsed.dropped].count(rule.name) == 2
    assert found(parsed)["rating"] == "General Audiences"


@pytest.mark.parametrize(("rule", "text"), _cases(AO3_PAGE_RULES))
def test_page_chrome_outside_a_paste_is_story_text(rule: StructureRule, text: str) -> None:
    """Without AO3's header the same line is the author's: "Share" may be a title."""
    parsed = parse(f"A Tale\n\nThe story.\n\n{text}\n\nMore story.\n")
    assert body(parsed) == ["The story.", text, "More story."]
    assert parsed.dropped == ()


@pytest.mark.parametrize(("rule", "text"), [
    pytest.param(rule, text, id=f"{rule.name}:not:{text[:40]}")
    for rule in AO3_PAGE_RULES for text in rule.non_examples])
def test_page_chrome_rule_non_example(rule: StructureRule, text: str) -> None:
    assert not rule.matches(text)
    parsed = parse(PASTE.format(line=text))
    assert body(parsed)[-1] == text  # after the text: the story's own last line


def test_a_title_that_is_a_button_word_stays_the_title_outside_a_paste() -> None:
    parsed = parse("Bookmark\n\nShe kept the page with a leaf.\n")
    assert parsed.title == "Bookmark" and parsed.dropped == ()


# ------------------------------------------------------------------- the header


ONE_LINE = """Rating: Teen And Up Audiences
Archive Warning: No Archive Warnings Apply
Category: F/M
Fandom: Original Work
Relationship: Mara/Tobin
Characters: Mara (Original Character), Tobin (Original Character)
Additional Tags: Road Trips, Bad Weather, Fluff
Language: English
Series: Part 2 of The Border Roads
Stats: Published: 2020-03-04 Words: 412 Chapters: 1/1 Comments: 12 Kudos: 88 Hits: 1,024
"""

FIELDS = {
    "rating": "Teen And Up Audiences",
    "warnings": ("No Archive Warnings Apply",),
    "categories": ("F/M",),
    "fandoms": ("Original Work",),
    "relationships": ("Mara/Tobin",),
    "characters": ("Mara (Original Character)", "Tobin (Original Character)"),
    "tags": ("Road Trips", "Bad Weather", "Fluff"),
    "language_name": "English",
    "language": "en",
    "series": "The Border Roads",
    "series_part": "2",
    "published": "2020-03-04",
    "authors": ("Wren Alder",),
}



def _two_lines(header: str) -> str:
    """Each "Label: value" as "Label:" and the value on the next line; stats one a line."""
    out = []
    for line in header.splitlines():
        label, value = line.split(": ", 1)
        if label == "Stats":
            out.append("Stats:")
            parts = value.split()
            out += [f"{parts[k]}\n{parts[k + 1]}" for k in range(0, len(parts), 2)]
        else:
            out.append(f"{label}:\n{value}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("header", [ONE_LINE, _two_lines(ONE_LINE)], ids=["one-line", "two-lines"])
def test_header_fields_on_one_line_or_two_give_the_same_fields(header: str) -> None:
    text = (f"{header}\nThe Long Way Round\nWren Alder\nSummary:\n\nA bet.\n\nWork Text:\n\n"
            "Mara had the faster horse.\n")
    parsed = parse(text)
    assert parsed.title == "The Long Way Round"
    assert found(parsed) == FIELDS
    assert parsed.summary == ("A bet.",)
    assert body(parsed) == ["Mara had the faster horse."]


def test_the_stats_block_one_field_a_line_gives_the_published_date() -> None:
    header = "Rating:\nMature\nStats:\nPublished:\n2021-06-30\nWords:\n9\n"
    parsed = parse(header + "\nT\n\nText here.\n")
    assert found(parsed) == {"rating": "Mature", "published": "2021-06-30"}
    assert parsed.title == "T"


def test_a_series_entry_with_its_links_gives_the_series_name() -> None:
    parsed = parse("Series: ← Previous Work Part 3 of Lanterns Next Work →\n\nT\n\nText.\n")
    assert found(parsed)["series"] == "Lanterns" and found(parsed)["series_part"] == "3"


def test_a_label_ao3_does_not_have_ends_the_header_and_stays_text() -> None:
    parsed = parse("Rating: Mature\nFandom: Original Work\nGenre: Romance\n\nThe story.\n")
    assert body(parsed) == ["Genre: Romance", "The story."] and parsed.title is None
    note = next(d for d in parsed.diagnostics if d.code == "FB213")
    assert note.line == 3 and "Genre: Romance" in note.message


def test_a_name_line_under_the_title_is_text_unless_a_label_follows() -> None:
    """AO3's page prints the authors alone under the title; a first line of prose
    could look the same, so it is the byline only when "Summary:", "Notes:",
    "Work Text:" or a chapter heading comes next."""
    kept = parse("Rating: Mature\nFandom: Original Work\n\nA Tale\nMorning came\n\nThe story.\n")
    assert body(kept)[0] == "Morning came" and "authors" not in found(kept)
    taken = parse("Rating: Mature\nFandom: Original Work\n\nA Tale\nWren Alder, Fen Marsh\n\n"
                  "Chapter 1\n\nText.\n")
    assert found(taken)["authors"] == ("Wren Alder", "Fen Marsh")
    assert body(taken) == ["Text."]


def test_one_header_like_line_alone_at_the_top_is_no_pasted_page() -> None:
    """Without chrome above it, a page's header has more than one field: a lone
    "Rating:" line is dropped as before, and what follows is judged as usual."""
    text = "Rating: 5/5\nThe soup was cold and the waiter rude, she wrote.\n\nShe left.\n"
    parsed = parse(text)
    assert parsed.title is None
    assert body(parsed) == ["The soup was cold and the waiter rude, she wrote.", "She left."]


def test_a_gift_work_line_under_the_byline_is_reported_not_text() -> None:
    parsed = parse("Rating: Mature\nFandom: Original Work\n\nA Tale\nWren Alder\nfor Sam\n"
                   "Summary:\n\nA bet.\n\nWork Text:\n\nText.\n")
    assert found(parsed)["authors"] == ("Wren Alder",) and body(parsed) == ["Text."]
    assert [(d.line, d.reason) for d in parsed.dropped if d.reason.startswith("ao3-r")] == [
        (6, "ao3-recipients")]
    assert any(d.code == "FB210" and "for Sam" in d.message for d in parsed.diagnostics)


def test_a_by_line_in_any_text_file_states_its_authors() -> None:
    parsed = parse("A Tale\nby Wren Alder and Fen Marsh\n\nThe story.\n")
    assert found(parsed)["authors"] == ("Wren Alder", "Fen Marsh")
    assert body(parsed) == ["The story."]


# ------------------------------------------------------------------ the fixtures


def test_one_shot_paste_title_fields_notes_and_every_word_of_the_text() -> None:
    parsed = parse(ONESHOT.read_text(encoding="utf-8"))
    assert parsed.title == "The Long Way Round"
    assert found(parsed) == {**FIELDS, "characters": ("Mara (Original Character)",
                                                      "Tobin (Original Character)")}
    assert parsed.summary == ("Two couriers, one road, and a bet about who gets to the "
                              "border first.",)
    assert parsed.notes == ("Written for a friend who wanted road trips and bad weather.",)
    assert parsed.end_notes == ("The stone bridge is real, more or less. I have walked "
                                "across it twice.",)
    assert len(parsed.chapters) == 1 and parsed.chapters[0].title is None
    assert body(parsed) == prose_of(ONESHOT, "Work Text:", "Notes:")
    assert parsed.paragraph_model == "blank-line"
    text = " ".join(body(parsed))
    for word in HEADER_WORDS:
        assert word not in text


def test_three_chapter_paste_has_no_chapter_before_chapter_one() -> None:
    parsed = parse(THREE.read_text(encoding="utf-8"))
    assert parsed.title == "The Ferryman's Daughter"
    assert [c.title for c in parsed.chapters] == [
        "Chapter 1: The Crossing", "Chapter 2: The Storm", "Chapter 3: Morning"]
    got = found(parsed)
    assert got["authors"] == ("Kestrel_Vane",) and got["rating"] == "Mature"
    assert got["warnings"] == ("Graphic Depictions Of Violence", "Major Character Death")
    assert got["series"] == "The Border Roads" and got["published"] == "2020-09-01"
    assert parsed.summary == ("A river, a ferry, and three nights of weather.",)
    text = " ".join(body(parsed))
    for word in HEADER_WORDS:
        assert word not in text
    assert "Previous Chapter" not in text and "Comments" not in text


def texts(paragraphs: tuple[Paragraph, ...]) -> list[str]:
    return [plain_text(p.inlines) for p in paragraphs]


def test_chapter_summary_notes_and_end_notes_stay_with_their_chapter() -> None:
    """The download's "Chapter Summary" / "Chapter Notes" / "Chapter End Notes" and
    the page's "Notes:" after a chapter's text; a second "Notes:" right after the
    last chapter's own is the work's end notes."""
    parsed = parse(THREE.read_text(encoding="utf-8"))
    one, two, three = parsed.chapters
    assert (one.summary, one.notes, one.end_notes) == ((), (), ())
    assert texts(two.summary) == ["The storm arrives early."]
    assert texts(two.notes) == ["This chapter has a flood in it; nobody drowns."]
    assert texts(two.end_notes) == ["Thank you for the kind words on the first chapter!"]
    assert texts(three.end_notes) == ["The heron was my grandmother's idea."]
    assert parsed.notes == ()
    assert parsed.end_notes == ("This was for the Autumn Exchange. Happy reading!",)
    assert two.notes[0].origin is not None and two.notes[0].origin.line == 38
    assert body(parsed)[2].startswith("The wind came up the valley")


@pytest.mark.parametrize(("text", "where"), [
    ("A Tale\n\nChapter 1\n\nOne.\n\nChapter 2\nChapter Summary\n\nS.\n\nChapter Text\n\n"
     "Two.\n\nEnd Notes\n\nE.\n", {"summary": (1, "S."), "end": (None, "E.")}),
    ("A Tale\n\nChapter 1\n\nOne.\n\nChapter 2\nSummary:\n\nS.\n\nChapter Text\n\nTwo.\n\n"
     "Notes:\n\nE.\n", {"summary": (1, "S."), "end": (1, "E.")}),
    ("A Tale\nSummary:\n\nS.\n\nChapter Text\n\nOne.\n\nNotes:\n\nE.\n",
     {"summary": (None, "S."), "end": (None, "E.")}),
], ids=["download-end-notes-are-the-work's", "page-labels", "one-shot-keeps-story-notes"])
def test_where_a_notes_section_goes(text: str, where: dict[str, tuple[int | None, str]]) -> None:
    parsed = parse(text)
    for kind, attribute in (("summary", "summary"), ("end", "end_notes")):
        chapter, note = where[kind]
        if chapter is None:
            assert getattr(parsed, attribute) == (note,)
        else:
            assert texts(getattr(parsed.chapters[chapter], attribute)) == [note]
            assert getattr(parsed, attribute) == ()


def test_a_copied_html_download_is_not_titled_preface() -> None:
    """AO3's download copied as text: the hidden "Preface" heading, the message with
    the title and the work's address, the tags, then the title again and "by"."""
    parsed = parse(DOWNLOAD.read_text(encoding="utf-8"))
    assert parsed.title == "Lanterns on the Water" and parsed.title_line == 16
    got = found(parsed)
    assert got["source"] == "https://archiveofourown.org/works/4242424"
    assert got["authors"] == ("Orla_Finch",) and got["published"] == "2022-08-15"
    assert [c.title for c in parsed.chapters] == ["Chapter 1: Dusk", "Chapter 2: Dawn"]
    assert texts(parsed.chapters[0].end_notes) == ["More lanterns next time."]
    assert parsed.end_notes == ("Thank you for reading my first work!",)
    assert body(parsed)[0].startswith("The lanterns went out")
    assert [d.reason for d in parsed.dropped][:3] == [
        "ao3-page-navigation", "ao3-repeated-title", "ao3-posted-originally"]


# ------------------------------------------------------------ a book, read back


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def test_pasted_pages_build_a_book_with_their_titles_authors_and_every_word(
        tmp_path: Path) -> None:
    """``fanbind init`` then ``fanbind build`` on two pasted pages, nothing written by
    hand: the EPUB is read back (EPUB only: the PDF's share of this is layout)."""
    from fanbind.build import build
    from fanbind.starter import write_starter

    stories = tmp_path / "seeds"
    stories.mkdir()
    for source in (ONESHOT, THREE):
        (stories / source.name).write_bytes(source.read_bytes())
    write_starter(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = build(tmp_path, formats=("epub",), cache=False)
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    ns = {"h": "http://www.w3.org/1999/xhtml", "dc": "http://purl.org/dc/elements/1.1/"}
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
        docs = {n: etree.fromstring(archive.read(n)) for n in ("EPUB/story-001.xhtml",
                                                                "EPUB/story-002.xhtml")}
    creators = [el.text for el in opf.iterfind(".//dc:creator", ns)]
    assert creators == ["Wren Alder", "Kestrel_Vane"]
    entries = ["".join(a.itertext()) for a in nav.iterfind(".//h:nav[@id='toc']//h:a", ns)]
    for title in ("The Long Way Round", "The Ferryman’s Daughter", "Chapter 1: The Crossing",
                  "Chapter 2: The Storm", "Chapter 3: Morning"):
        assert entries.count(title) == 1
    assert "Preface" not in entries and "Chapter Notes" not in entries
    expected = {
        "EPUB/story-001.xhtml": prose_of(ONESHOT, "Work Text:", "Notes:"),
        "EPUB/story-002.xhtml": [p for chapter in THREE.read_text(encoding="utf-8").split(
            "Chapter Text\n")[1:] for p in chapter.split("\n\nChapter ")[0].split(
            "\n\nNotes:")[0].split("\n\n") if p.strip()],
    }
    for name, root in docs.items():
        # The story's text: its block paragraphs (ids story-NNN-bK), not its preface or notes.
        blocks = [" ".join("".join(p.itertext()).split()) for p in root.iterfind(".//h:p", ns)
                  if re.fullmatch(r"story-\d{3}-b\d+", p.get("id") or "")]
        text = " ".join(blocks)
        for word in (*HEADER_WORDS, "Rating:", "Stats:", "Words:", "by Wren", "by Kestrel"):
            assert word not in text, (name, word)
        assert _words(text) == _words(" ".join(expected[name])), name
        chapters = root.iterfind(".//h:section[@class='chapter']", ns)
        titles = ["".join(h.itertext()) for s in chapters for h in s.iterfind("h:h2", ns)]
        assert titles == ([] if name.endswith("001.xhtml") else [
            "Chapter 1: The Crossing", "Chapter 2: The Storm", "Chapter 3: Morning"])


# ------------------------------------------------- chapter titles without "Chapter"

SHAPES = [rule for rule in HEADING_PATTERN_RULES if rule.pattern is not None]


def chapter_titles(parsed: ParsedStory) -> list[str | None]:
    return [c.title for c in parsed.chapters]


#: For each example line of a shape, a run of headings it belongs in (numbered ones
#: count up from one).
RUNS = {
    "1. The Storm": ("1. The Storm", "2. The Bridge"),
    "2) The Bridge": ("1) The Storm", "2) The Bridge"),
    "I": ("I", "II"),
    "II.": ("I.", "II."),
    "III. The Bridge": ("I. The Storm", "II. The Rain", "III. The Bridge"),
    "「风起」": ("「风起」", "「夜雨」"),
    "『夜雨』": ("『晨光』", "『夜雨』"),
}


@pytest.mark.parametrize(("rule", "example"), [
    pytest.param(rule, ex, id=f"{rule.name}:{ex.text}") for rule in SHAPES for ex in rule.examples])
def test_a_heading_shape_repeated_makes_chapters(rule: StructureRule, example) -> None:
    assert rule.pattern is not None and rule.pattern.fullmatch(example.text)
    heads = RUNS[example.text]
    gap = "一。\n\n二。\n\n三。" if rule.name == "heading-quoted" else "Some text."
    parsed = parse("A Tale\n\n" + "".join(f"{head}\n\n{gap}\n\n" for head in heads))
    expected = [h.rstrip(".") if rule.name == "heading-roman" else h for h in heads]
    assert chapter_titles(parsed) == expected and example.expect in expected
    assert sum(d.code == "FB231" for d in parsed.diagnostics) == 1
    assert len(body(parsed)) == len(heads) * gap.count("\n\n") + len(heads)


@pytest.mark.parametrize(("rule", "text"), [
    pytest.param(rule, text, id=f"{rule.name}:not:{text}")
    for rule in SHAPES for text in rule.non_examples])
def test_a_heading_shape_non_example_line(rule: StructureRule, text: str) -> None:
    assert rule.pattern is not None and not rule.pattern.fullmatch(text)


@pytest.mark.parametrize("text", [
    # Once only: a pattern needs two.
    "A Tale\n\n1. The Storm\n\nRain came.\n",
    # Story text before the first: a line of dialogue or a list item, not chapter 1.
    "A Tale\n\nHe counted.\n\n1. Run\n\nShe ran.\n\n2. Hide\n\nShe hid.\n",
    # A list: its items are not alone between blank lines.
    "A Tale\n\n1. Milk\n2. Eggs\n\nShe shopped.\n\n1. Bread\n2. Jam\n\nDone.\n",
    # Numbers that do not count up from one.
    "A Tale\n\n1. The Storm\n\nRain.\n\n3. The Bridge\n\nDry.\n",
    "A Tale\n\n2. The Storm\n\nRain.\n\n3. The Bridge\n\nDry.\n",
    # No text between two of them.
    "A Tale\n\nI\n\nII\n\nRain.\n",
    # "I" as a word of dialogue, twice: not a count.
    "A Tale\n\nI\n\nHe said nothing.\n\nI\n\nShe said less.\n",
    # Dialogue in corner brackets, close together and after the text has begun.
    "风起\n\n天亮了。\n\n「走吧」\n\n他说。\n\n「好」\n\n完了。\n",
    "风起\n\n「走吧」\n\n他说。\n\n「好」\n\n完了。\n\n又完了。\n\n真完了。\n",
    # Short lines at the top that never come back alone: no contents list.
    "A Tale\n\nRoses are red\nViolets are blue\n\nThe end.\n",
], ids=["once", "text-first", "list", "gap-in-count", "not-from-one", "no-text-between",
        "dialogue-I", "quoted-dialogue-late", "quoted-dialogue-close", "verse-not-contents"])
def test_a_short_line_is_not_a_chapter_without_the_pattern(text: str) -> None:
    parsed = parse(text)
    assert chapter_titles(parsed) == [None]
    assert not any(d.code == "FB231" for d in parsed.diagnostics)


def test_a_contents_list_at_the_top_names_the_chapters_and_is_dropped() -> None:
    text = ("A Tale\n\nContents\nThe Storm\nThe Bridge\nMorning\n\nThe Storm\n\nRain came.\n\n"
            "The Bridge\n\nThey crossed.\n\nMorning\n\nIt was over.\n")
    parsed = parse(text)
    assert chapter_titles(parsed) == ["The Storm", "The Bridge", "Morning"]
    assert body(parsed) == ["Rain came.", "They crossed.", "It was over."]
    assert [(d.line, d.reason) for d in parsed.dropped] == [
        (3, "contents-list"), (4, "contents-list"), (5, "contents-list"), (6, "contents-list")]
    note = next(d for d in parsed.diagnostics if d.code == "FB231")
    assert note.line == 8


def test_chinese_chapter_lines_with_or_without_a_quoted_title() -> None:
    parsed = parse("风起\n\n第一章 「风起」\n\n天亮了。\n\n第2章\n\n下雨了。\n\n"
                   "第三章：夜雨\n\n完了。\n")
    assert chapter_titles(parsed) == ["第一章 「风起」", "第2章", "第三章：夜雨"]
    assert body(parsed) == ["天亮了。", "下雨了。", "完了。"]


def test_part_one_and_prologue_epilogue_interlude_open_chapters() -> None:
    parsed = parse("A Tale\n\nPrologue\n\nBefore.\n\nPart One\n\nOne.\n\nInterlude\n\n"
                   "Between.\n\nPart Two\n\nTwo.\n\nEpilogue\n\nAfter.\n")
    assert chapter_titles(parsed) == ["Prologue", "Part One", "Interlude", "Part Two",
                                      "Epilogue"]


def test_a_prologue_may_come_before_numbered_titles() -> None:
    parsed = parse("A Tale\n\nPrologue\n\nBefore.\n\n1. The Storm\n\nRain.\n\n"
                   "2. The Bridge\n\nDry.\n")
    assert chapter_titles(parsed) == ["Prologue", "1. The Storm", "2. The Bridge"]
