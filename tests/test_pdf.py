"""The print PDF, read back with pypdf and pypdfium2.

Two books are used: the sample anthology (built once per session by
``conftest.sample_build``) and a small fixture book assembled from the
paragraphs in ``tests/data/pdf/`` (two English stories — one with chapters,
one with dozens of scene breaks — and a German one), laid out once per module.
Trim sizes, variants, padding and the fetcher use a one-story book, which lays
out in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import http.server
import io
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pypdf
import pypdfium2 as pdfium
import pyphen
import pytest
import yaml
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from lxml import etree
from weasyprint.formatting_structure import boxes

from fanbind.build import load_book, open_project
from fanbind.pdf import geometry
from fanbind.pdf import layout as pdf
from fanbind.pdf.folios import roman
from fanbind.pdf.result import BLOCK_ID, element_id
from fanbind.render import render_book
from fanbind.units import TRIMS

DATA = Path(__file__).parent / "data" / "pdf"
EN = (DATA / "paragraphs-en.txt").read_text(encoding="utf-8").strip().split("\n\n")
DE = (DATA / "paragraphs-de.txt").read_text(encoding="utf-8").strip().split("\n\n")
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)  # SOURCE_DATE_EPOCH 1700000000
ORNAMENT = "❦"
SCENES = 36
#: Words that en-US and en-GB hyphenate differently (at-tract-ed / at-trac-ted).
US_GB_WORDS = ["attracted", "suspected", "chronically", "envelope", "restaurant",
               "anticipation", "extraordinary", "mischievous", "immediately", "unfortunately"]


def spelled_text() -> str:
    """Paragraphs of :data:`US_GB_WORDS`, each rotated so lines break in different words."""
    return "\n\n".join(" ".join(US_GB_WORDS[i % 10:] + US_GB_WORDS[:i % 10] + ["and"] * (i % 3)) * 4
                       + "." for i in range(24))


# ---------------------------------------------------------------------- fixture books


def crossing_text() -> str:
    """Two titled chapters, a scene break in the first."""
    return ("Chapter One: The River\n\n" + "\n\n".join(EN[:8]) + "\n\n* * *\n\n"
            + "\n\n".join(EN[8:10]) + "\n\nChapter Two: The House\n\n" + "\n\n".join(EN[10:]))


def scenes_text() -> str:
    """Many short scenes of 1–3 paragraphs: some break must land near a page edge."""
    scenes = []
    for i in range(SCENES):
        count = i % 3 + 1
        scenes.append("\n\n".join(EN[(i * 5 + k) % len(EN)] for k in range(count)))
    return "\n\n* * *\n\n".join(scenes)


STORIES = {
    "crossing": ("The Crossing", ["Ada Lind"], crossing_text, None),
    "scenes": ("Thirty-Six Scenes", ["Bo Reyes", "Cy Moss"], scenes_text, None),
    "fahrt": ("Die Überfahrt", ["Dora Weiss"], lambda: "\n\n".join(DE * 2), "de"),
    "short": ("A Short One", ["Eli Park"], lambda: "\n\n".join(EN[:4]), None),
    "spelled": ("Spelled Out", ["Gil Ames"], spelled_text, None),
    "display": ("Incomprehensibilities Notwithstanding Extraordinarily Uncharacteristic",
                ["Maximilianus Wolfeschlegelsteinhausen", "Bartholomew Featherstonehaugh",
                 "Constantinopolitanus Extraordinaire"], lambda: "\n\n".join(EN[:16]), None),
}


def write_project(root: Path, names: tuple[str, ...], print_settings: dict | None = None,
                  **extra: Any) -> Path:
    """A project folder with metadata.yaml and the named fixture stories."""
    (root / "texts").mkdir(parents=True, exist_ok=True)
    stories = []
    for name in names:
        title, authors, text, language = STORIES[name]
        (root / "texts" / f"{name}.txt").write_text(text(), encoding="utf-8")
        entry: dict[str, Any] = {"file": f"texts/{name}.txt", "title": title, "authors": authors,
                                 "rating": "General Audiences",
                                 "warnings": ["No Archive Warnings Apply"],
                                 "fandoms": ["Original Work"], "tags": [f"{name}-tag", "Ferries"],
                                 "summary": f"The {name} story, in brief."}
        if language:
            entry["language"] = language
        stories.append(entry)
    meta = {"title": "Paper Cranes", "subtitle": "Three Crossings", "editors": ["Fay Quill"],
            "description": "A fixture anthology for the PDF tests.", "publisher": "Test Press",
            "date": "2024-05-01", "rights": "All rights reserved.", "stories": stories, **extra}
    if print_settings:
        meta["print"] = print_settings
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                        encoding="utf-8")
    return root


@dataclass
class Built:
    path: Path
    result: pdf.PdfResult
    layout: pdf.Layout
    anthology: Any
    documents: list


def build_pdf(project_dir: Path, target: Path | None = None, *,
              print_overrides: dict[str, object] | None = None,
              variant: str | None = None) -> Built:
    project = open_project(project_dir).with_print_overrides(print_overrides)
    book = load_book(project)
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    extra = (project.root / project.config.stylesheet,) if project.config.stylesheet else ()
    layout = pdf.lay_out(book.anthology, documents, project_dir=project.root,
                         extra_stylesheets=extra, created=WHEN)
    target = target or project.root / "book.pdf"
    result = pdf.write_layout(layout, target, pdf_variant=variant)
    return Built(target, result, layout, book.anthology, documents)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = write_project(tmp_path_factory.mktemp("book"), ("crossing", "scenes", "fahrt"))
    return build_pdf(root)


def tiny(tmp_path: Path, print_settings: dict | None = None, **kw: Any) -> Built:
    return build_pdf(write_project(tmp_path, ("short",), print_settings), **kw)


# ---------------------------------------------------------------------- reading helpers


def page_texts(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


@dataclass
class Page:
    """A page's text by region: the running head, the text block, the foot (folio)."""

    head: str
    body: list[str]
    foot: str

    @property
    def blank(self) -> bool:
        return not (self.head or self.body or self.foot)


def squash(text: str) -> str:
    """Letter-spaced small caps come out as 'R ating': compare without spaces, any case."""
    return re.sub(r"\s+", "", text).lower()


def read_pages(path: Path, geo: geometry.Geometry) -> list[Page]:
    """Text by region, found by position (content-stream order puts heads anywhere)."""
    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            height = page.get_height()
            head = textpage.get_text_bounded(top=height, bottom=height - geo.top)
            body = textpage.get_text_bounded(top=height - geo.top + 0.5, bottom=geo.bottom - 0.5)
            foot = textpage.get_text_bounded(top=geo.bottom - 0.5, bottom=0)
            pages.append(Page(" ".join(head.split()), lines(body), " ".join(foot.split())))
        return pages
    finally:
        document.close()


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def object_counts(path: Path) -> list[int]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [len(list(page.get_objects())) for page in document]
    finally:
        document.close()


def text_left_edges(path: Path) -> list[float | None]:
    """Per page: the leftmost x of any character (None on a page without text)."""
    document = pdfium.PdfDocument(str(path))
    try:
        edges: list[float | None] = []
        for page in document:
            textpage = page.get_textpage()
            lefts = [textpage.get_charbox(i)[0] for i in range(textpage.count_chars())
                     if not textpage.get_text_range(i, 1).isspace()]
            edges.append(min(lefts) if lefts else None)
        return edges
    finally:
        document.close()


def outline(reader: pypdf.PdfReader) -> list[tuple[str, int, list]]:
    """[(title, page index, children)] from the PDF's bookmarks."""
    def walk(items: list) -> list:
        out: list = []
        for item in items:
            if isinstance(item, list):
                out[-1][2].extend(walk(item))
            else:
                out.append((item.title, reader.get_destination_page_number(item), []))
        return out
    return walk(reader.outline)


# ---------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample(sample_build) -> tuple[pypdf.PdfReader, list[Page], Any]:
    reader = pypdf.PdfReader(sample_build.pdf)
    geo = geometry.page_geometry(geometry.PrintConfig(), pages=len(reader.pages))
    return reader, read_pages(sample_build.pdf, geo), sample_build


def contents_page(pages: list[Page]) -> int:
    return next(i for i, page in enumerate(pages)
                if page.body and squash(page.body[0]) == "contents")


def is_paratext(page: Page) -> bool:
    return "rating" in squash(" ".join(page.body))


def test_sample_page_size_is_the_default_trim(sample) -> None:
    reader, _, _ = sample
    sizes = {(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
             for p in reader.pages}
    assert sizes == {(396.0, 612.0)}  # 5.5 × 8.5 in


def test_sample_outline_lists_the_stories_in_order(sample) -> None:
    reader, _, built = sample
    config = yaml.safe_load((built.project / "metadata.yaml").read_text(encoding="utf-8"))
    titles = [entry[0] for entry in outline(reader)]
    expected = [s["title"].replace("'", "’") for s in config["stories"]]
    assert titles[:len(expected)] == expected
    assert titles[len(expected):] == ["About the Authors"]


def test_sample_stories_open_on_right_hand_pages(sample) -> None:
    reader, pages, _ = sample
    for title, index, _children in outline(reader):
        assert index % 2 == 0, f"{title} opens on page {index + 1}, a left-hand page"
        assert pages[index].head == "" and pages[index].body[0] == title


def test_sample_pages_before_openings_are_paratext_or_truly_blank(sample, sample_build) -> None:
    reader, pages, _ = sample
    counts = object_counts(sample_build.pdf)
    for title, index, _ in outline(reader)[:-1]:
        before = pages[index - 1]
        assert (index - 1) % 2 == 1  # a verso, facing the opening
        if is_paratext(before):
            assert before.head == "" and before.foot == "", "no head or folio on the paratext"
        else:
            assert before.blank and counts[index - 1] == 0, title
    blanks = [i for i, page in enumerate(pages) if page.blank]
    assert len(blanks) >= 3, "the sample has blank pages to check"
    for index in blanks:
        assert counts[index] == 0, f"page {index + 1} looks blank but draws something"


def test_sample_metadata(sample) -> None:
    reader, _, _ = sample
    info = reader.metadata
    assert info.title == "Bonds of the Leaf"
    assert info.author == "Anonymous"
    assert info.subject.startswith("Five Naruto fan-fiction stories")
    keywords = info["/Keywords"].split(", ")
    assert {"Naruto", "Hatake Kakashi/Umino Iruka", "Fluff"} <= set(keywords)
    assert info["/CreationDate"] == "D:20231114221320Z"  # SOURCE_DATE_EPOCH=1700000000
    assert info["/ModDate"] == "D:20231114221320Z"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_sample_contents_page_numbers_are_the_real_pages(sample) -> None:
    reader, pages, _ = sample
    contents = contents_page(pages)
    entries = {}
    for line in pages[contents].body:
        match = re.fullmatch(r"(.+?)\s*(?:\.\s*)+(\d+)", line)
        if match:
            entries[match[1].strip()] = match[2]
    stories = outline(reader)
    assert set(entries) == {title for title, _, _ in stories}
    for title, index, _ in stories:
        assert pages[index].foot == entries[title], title
    assert pages[contents].foot == "v"


def test_sample_contents_links_go_to_the_openings(sample) -> None:
    reader, pages, _ = sample
    contents = contents_page(pages)
    targets = set()
    for annotation in reader.pages[contents]["/Annots"]:
        annotation = annotation.get_object()
        assert annotation["/Subtype"] == "/Link"
        destination = reader.named_destinations[annotation["/Dest"]]
        targets.add(reader.get_destination_page_number(destination))
    assert targets == {index for _, index, _ in outline(reader)}


def test_sample_fonts_are_the_bundled_eb_garamond_embedded(sample) -> None:
    reader, _, _ = sample
    seen = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = next(descriptor[k] for k in ("/FontFile3", "/FontFile2", "/FontFile")
                          if k in descriptor)
            program = TTFont(io.BytesIO(stream.get_object().get_data()))
            seen.add((str(font["/BaseFont"]).split("+")[-1], program["name"].getDebugName(6)))
    # The PostScript names prove the bundled optical size 12 was embedded, not a
    # system-installed EB Garamond that fontconfig might prefer.
    assert seen == {("fanbind-EB-Garamond", "EBGaramond12-Regular"),
                    ("fanbind-EB-Garamond-Italic", "EBGaramond12-Italic")}


def test_small_caps_are_the_fonts_own(book: Built) -> None:
    """Lead-ins, bylines and heads use EB Garamond's drawn small capitals (smcp)."""
    reader = pypdf.PdfReader(book.path)
    drawn: set[str] = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            data = descendant["/FontDescriptor"].get_object()["/FontFile3"].get_object()
            program = TTFont(io.BytesIO(data.get_data()))
            glyphs = program.getGlyphSet()
            for name in program.getGlyphOrder():
                pen = BoundsPen(glyphs)
                glyphs[name].draw(pen)
                if pen.bounds:
                    drawn.add(name)
    small_caps = {name for name in drawn if name.endswith(".sc")}
    assert {"h.sc", "e.sc", "T.sc"} <= small_caps  # lead-ins (smcp), heads (c2sc)
    assert len(small_caps) >= 10


def test_sample_running_heads(sample) -> None:
    reader, pages, _ = sample
    entries = outline(reader)
    openings = {index: title for title, index, _ in entries[:-1]}
    title, checked = None, 0
    for index in range(min(openings), entries[-1][1]):
        page = pages[index]
        if index in openings:
            title = openings[index]
            assert page.head == "" and page.foot.isdigit()  # a drop folio, no head
            continue
        if page.blank or is_paratext(page):
            continue
        # One author (Anonymous) wrote every story: the versos carry the book's title.
        expected = title if index % 2 == 0 else "Bonds of the Leaf"
        assert squash(page.head) == squash(expected), (index + 1, page.head)
        assert page.foot.isdigit()
        checked += 1
    assert checked > 40


def test_sample_stories_never_end_with_a_lone_line(sample) -> None:
    reader, pages, _ = sample
    stories = outline(reader)
    for number, (title, start, _) in enumerate(stories[:-1]):
        last = stories[number + 1][1] - 1
        while pages[last].blank or is_paratext(pages[last]):
            last -= 1
        if last > start:
            assert len(pages[last].body) >= 2, (title, pages[last].body)


def test_sample_paragraphs_never_break_after_one_word(sample) -> None:
    """No line of running text holds a single word that its paragraph goes on from.

    WeasyPrint found no break between a text and the span keeping a paragraph's
    last word whole when that span began with a letter, and broke the line after
    its first word instead: "Iruka’s" alone, then "form as if…" (five lines
    of the sample; the span now takes the space before the word)."""
    _, pages, _ = sample
    lines = [line for page in pages if not is_paratext(page) for line in page.body]
    alone = [(line, following) for line, following in itertools.pairwise(lines)
             if " " not in line.strip() and following[:1].islower()]
    assert alone == []


# ---------------------------------------------------------------------- the fixture book


def test_fixture_outline_has_chapters_under_their_story(book: Built) -> None:
    reader = pypdf.PdfReader(book.path)
    tree = outline(reader)
    assert [t for t, _, _ in tree] == ["The Crossing", "Thirty-Six Scenes", "Die Überfahrt",
                                       "About the Authors"]
    chapters = tree[0][2]
    assert [t for t, _, _ in chapters] == ["Chapter One: The River", "Chapter Two: The House"]
    pages = read_pages(book.path, book.layout.geometry)
    second = chapters[1][1]
    assert second > chapters[0][1]
    assert pages[second].body[0] == "Chapter Two: The House"
    assert pages[second].head == ""  # no running head on a chapter opening


def test_page_map_labels_are_the_printed_folios(book: Built) -> None:
    pages = read_pages(book.path, book.layout.geometry)
    page_map = book.result.page_map
    assert len(page_map) == len(pages) == book.result.pages
    first_story = next(i for i, (block, _) in enumerate(page_map)
                       if re.fullmatch(r"story-\d+-title", block))
    printed = 0
    for index, ((_, label), page) in enumerate(zip(page_map, pages, strict=True)):
        assert label == (roman(index + 1) if index < first_story
                         else str(index - first_story + 1))
        if page.foot:
            assert page.foot == label, f"page {index + 1} prints {page.foot!r}, not {label!r}"
            printed += 1
    assert printed > len(pages) // 2
    assert page_map[first_story][1] == "1"
    assert any(label == "v" for _, label in page_map[:first_story])


def test_page_map_ids_name_the_top_of_each_page(book: Built) -> None:
    page_map = book.result.page_map
    epub_ids = {element.get("id") for doc in book.documents if "epub" in doc.formats
                for element in doc.root.iter() if element.get("id")}
    for block, _ in page_map:
        assert block in epub_ids or block == "half-title", block  # page-list targets exist
    assert page_map[0][0] == "half-title"
    assert [b for b, _ in page_map].count("contents") >= 1
    pages = read_pages(book.path, book.layout.geometry)
    elements = {element.get("id"): element for doc in book.documents
                for element in doc.root.iter() if element.get("id")}
    checked = 0
    for index, (block, label) in enumerate(page_map):
        if not re.fullmatch(r"story-\d+-b\d+", block) or not label.isdigit():
            continue
        top = pages[index].body[0]
        words = re.findall(r"[\w’']+", top.rstrip("‐-"))[:2]
        text = " ".join(re.findall(r"[\w’']+", "".join(elements[block].itertext())))
        if words and ORNAMENT not in top:
            assert " ".join(words) in text, (index + 1, block, top)
            checked += 1
    assert checked >= 10


def test_page_map_marks_openings_and_paratext(book: Built) -> None:
    ids = [block for block, _ in book.result.page_map]
    for story in book.anthology.stories:
        opening = ids.index(f"{story.id}-title")
        assert opening % 2 == 0
        assert ids[opening - 1] == story.id  # the paratext verso facing it


def test_layout_page_map_matches_the_written_pdf(book: Built) -> None:
    again = pdf.layout_page_map(book.anthology, book.documents,
                                project_dir=book.path.parent, created=WHEN)
    assert again == book.result.page_map


def test_paragraph_ids_are_no_named_destinations(sample) -> None:
    # The page map reads the paragraphs' ids from the layout; in the PDF they would
    # be destinations nothing links to (the joined book drops them too).
    names = set(sample[0].named_destinations)
    assert not {name for name in names if BLOCK_ID.match(name)}
    assert {"contents", "story-001", "story-001-title", "story-005-title"} <= names


def test_story_paragraphs_share_their_computed_style(book: Built) -> None:
    # WeasyPrint shares a computed style only between elements without declarations
    # of their own, which an ``id`` is: laid out under an id, every paragraph had
    # every property computed anew (pdf/result.py's BLOCK_ATTRIBUTE).
    root = book.layout.rendered._html.etree_element
    parent_of = {child: parent for parent in root.iter() for child in parent}
    styles, parents, seen = set(), set(), set()
    for page in book.layout.rendered.pages:
        for box in page._page_box.descendants():
            element = box.element
            if not isinstance(box, boxes.BlockBox) or box.element_tag != "p" or element in seen \
                    or element.get("class") or element.get("style") \
                    or not BLOCK_ID.match(element_id(element) or ""):
                continue
            seen.add(element)  # a paragraph's first box: a split one's rest has a copy
            styles.add(id(box.style))
            parents.add(parent_of[element])
    assert len(seen) > 40
    assert len(styles) <= len(parents)


def test_html_source_hands_over_unlinked_paragraph_ids() -> None:
    root = etree.fromstring(
        '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        '<p id="story-1-b1" class="first">One.</p><p id="story-1-b2">Two.</p>'
        '<p><a href="#story-1-b2">back</a></p><section id="story-1"/></body></html>')
    before = etree.tostring(root)
    source = pdf.html_source(root)
    assert etree.tostring(root) == before  # the print tree is left as it was
    assert '<p data-fb-block="story-1-b1" class="first">' in source
    assert '<p id="story-1-b2">' in source  # a link names it: a destination still
    assert '<section id="story-1">' in source


def test_scene_breaks_are_printed_and_never_at_a_page_edge(book: Built) -> None:
    pages = read_pages(book.path, book.layout.geometry)
    breaks = sum(1 for doc in book.documents if "pdf" in doc.formats
                 for element in doc.root.iter() if element.get("class") == "scene-break")
    assert breaks == SCENES  # 35 in the scenes story, one in the crossing
    assert sum(line.count(ORNAMENT) for page in pages for line in page.body) == breaks
    for index, page in enumerate(pages):
        if any(ORNAMENT in line for line in page.body):
            assert page.body[0] != ORNAMENT, f"page {index + 1} starts with the ornament"
            assert page.body[-1] != ORNAMENT, f"page {index + 1} ends with the ornament"


def test_widows_and_orphans_are_at_least_two_lines(book: Built) -> None:
    pages_of: dict[str, list[int]] = {}
    for number, page in enumerate(book.layout.rendered.pages):
        for line in pdf._iter_lines(page._page_box):
            element = line.element
            if element is not None and element.tag == "p" and element_id(element):
                pages_of.setdefault(element_id(element), []).append(number)
    split = 0
    for block, numbers in pages_of.items():
        for page in set(numbers):
            if len(set(numbers)) > 1:
                assert numbers.count(page) >= 2, (block, numbers)
        split += len(set(numbers)) > 1
    assert split >= 3, "the fixture should split some paragraphs across pages"


def test_story_text_sits_on_the_baseline_grid(book: Built) -> None:
    geo = book.layout.geometry
    line, top = geo.line / 0.75, geo.top / 0.75  # WeasyPrint lays out in CSS px
    checked = 0
    for page in book.layout.rendered.pages:
        for box in pdf._iter_lines(page._page_box):
            element = box.element  # paragraphs; the ornament is centred between two lines
            if element is not None and element.tag == "p" and \
                    re.fullmatch(r"story-\d+-b\d+", element_id(element) or ""):
                offset = (box.position_y - top) / line
                assert offset == pytest.approx(round(offset), abs=0.01), element_id(element)
                checked += 1
    assert checked > 300


def test_headings_are_kept_with_their_text(book: Built) -> None:
    for page in book.layout.rendered.pages:
        found = list(pdf._iter_lines(page._page_box))
        if found and found[-1].element is not None:
            assert found[-1].element.tag not in ("h1", "h2", "h3")


def test_no_more_than_two_hyphenated_lines_in_a_row(book: Built) -> None:
    run = longest = 0
    previous = None
    for page in book.layout.rendered.pages:
        for line in pdf._iter_lines(page._page_box):
            if line.element is not previous:
                run, previous = 0, line.element
            run = run + 1 if pdf._line_text(line).rstrip().endswith(("‐", "-")) else 0
            longest = max(longest, run)
    assert longest <= pdf.MAX_LADDER


def test_hyphenation_follows_the_story_language(book: Built) -> None:
    german = pyphen.Pyphen(lang="de_DE")
    english = pyphen.Pyphen(lang="en_US")
    german_story = book.anthology.stories[2].id + "-"
    assert book.anthology.stories[2].meta.language == "de"
    checked = 0
    for page in book.layout.rendered.pages:
        found = list(pdf._iter_lines(page._page_box))
        for line, following in itertools.pairwise(found):
            text = pdf._line_text(line).rstrip()
            if not text.endswith("‐") or line.element is not following.element:
                continue
            head = re.findall(r"\w+", text)[-1]
            tail = re.findall(r"\w+", pdf._line_text(following))[0]
            word = head + tail
            is_german = (element_id(line.element) or "").startswith(german_story)
            dictionary = german if is_german else english
            assert len(head) in dictionary.positions(word), (word, head, is_german)
            checked += is_german
    assert checked >= 1, "the German story should hyphenate at least once"


def test_mirrored_margins_put_the_gutter_inside(book: Built) -> None:
    geo = book.layout.geometry
    assert geo.mirrored and geo.inner > geo.outer
    edges = text_left_edges(book.path)
    ids = [block for block, _ in book.result.page_map]
    body = [i for i, block in enumerate(ids) if re.fullmatch(r"story-\d+-b\d+", block)]
    rectos = [edges[i] for i in body if i % 2 == 0 and edges[i] is not None]
    versos = [edges[i] for i in body if i % 2 == 1 and edges[i] is not None]
    assert rectos and versos
    assert min(rectos) == pytest.approx(geo.inner, abs=1.5)
    assert min(versos) == pytest.approx(geo.outer, abs=1.5)


# ---------------------------------------------------------------------- geometry


@pytest.mark.parametrize("name, size", [
    ("A5", (419.53, 595.28)), ("5x8", (360, 576)), ("5.25x8", (378, 576)),
    ("5.5x8.5", (396, 612)), ("6x9", (432, 648)), ("A4", (595.28, 841.89)),
    ("letter", (612, 792)),
])
def test_trim_presets_set_the_page_size(tmp_path: Path, name: str, size: tuple) -> None:
    built = tiny(tmp_path, {"trim": name})
    reader = pypdf.PdfReader(built.path)
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(size[0], abs=0.05)
        assert float(page.mediabox.height) == pytest.approx(size[1], abs=0.05)
    assert built.result.trim == name


def test_trim_option_overrides_metadata_and_custom_sizes(tmp_path: Path) -> None:
    # As the CLI's --trim does: the settings change, not an argument of the layout.
    built = tiny(tmp_path, {"width": "4.25in", "height": "7in"},
                 print_overrides={"trim": "A4", "width": None, "height": None})
    page = pypdf.PdfReader(built.path).pages[0]
    assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == \
        (595.28, 841.89)


def test_custom_width_and_height(tmp_path: Path) -> None:
    built = tiny(tmp_path, {"width": "110mm", "height": "178mm"})
    page = pypdf.PdfReader(built.path).pages[0]
    assert float(page.mediabox.width) == pytest.approx(110 * 72 / 25.4, abs=0.05)
    assert float(page.mediabox.height) == pytest.approx(178 * 72 / 25.4, abs=0.05)
    assert built.result.trim == "custom"


def test_home_printing_trims_are_not_mirrored() -> None:
    config = geometry.PrintConfig(trim="A4")
    geo = geometry.page_geometry(config, pages=400)
    assert not geo.mirrored and geo.inner == geo.outer


def test_bleed_and_crop_marks(tmp_path: Path) -> None:
    built = tiny(tmp_path, {"bleed": "0.125in", "crop_marks": True})
    page = pypdf.PdfReader(built.path).pages[0]
    trim = page.trimbox
    assert (round(float(trim.width), 2), round(float(trim.height), 2)) == (396.0, 612.0)
    bleed = page.bleedbox
    assert float(bleed.width) == pytest.approx(396 + 2 * 9, abs=0.05)
    assert float(page.mediabox.width) >= float(bleed.width)
    counts = object_counts(built.path)
    texts = page_texts(built.path)
    blank = next(i for i, text in enumerate(texts) if not text.strip())
    assert counts[blank] > 0, "crop marks are drawn even on blank pages"


def test_gutter_table_grows_with_the_page_count() -> None:
    config = geometry.PrintConfig()
    previous = None
    for pages, allowance in [(24, 0.125), (150, 0.125), (151, 0.25), (300, 0.25),
                             (301, 0.375), (500, 0.375), (501, 0.5), (700, 0.5), (701, 0.625)]:
        geo = geometry.page_geometry(config, pages=pages)
        assert geo.inner - geo.outer == pytest.approx(allowance * 72)
        assert geo.outer >= geometry.MIN_SIDE - 1e-9
        if previous is not None:
            assert geo.inner >= previous.inner
        previous = geo


def test_text_block_is_a_whole_number_of_lines() -> None:
    for name in TRIMS:
        geo = geometry.page_geometry(geometry.PrintConfig(trim=name), pages=100)
        text_height = geo.height - geo.top - geo.bottom
        assert text_height == pytest.approx(geo.lines * geo.line)
        assert geo.bottom > geo.top  # the folio lives in the larger bottom margin


def test_font_size_and_leading_settings() -> None:
    geo = geometry.page_geometry(geometry.PrintConfig(font_size="12pt", leading=1.5), pages=50)
    assert geo.font_size == 12 and geo.line == 18
    assert "font-size: 12.000pt" in geo.css() and "line-height: 18.000pt" in geo.css()
    default = geometry.page_geometry(geometry.PrintConfig(trim="6x9"), pages=50)
    assert default.font_size == 11  # the preset's size when metadata.yaml sets none


def test_a_wrong_estimate_is_corrected_by_a_second_pass(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pdf, "estimate_pages", lambda words, geo: 450)
    built = tiny(tmp_path)
    assert built.result.passes == 2
    assert built.layout.geometry.band == 0
    assert built.layout.geometry.inner - built.layout.geometry.outer == pytest.approx(9)


# ---------------------------------------------------------------------- settings


def test_pad_to_a_signature_multiple(tmp_path: Path) -> None:
    built = tiny(tmp_path, {"pad_to": 16})
    texts = page_texts(built.path)
    assert len(texts) % 16 == 0 and built.result.pages == len(texts)
    assert built.result.padded > 0
    counts = object_counts(built.path)
    for index in range(len(texts) - built.result.padded, len(texts)):
        assert texts[index].strip() == "" and counts[index] == 0
    assert len(built.result.page_map) == len(texts)
    sizes = {(float(p.mediabox.width), float(p.mediabox.height))
             for p in pypdf.PdfReader(built.path).pages}
    assert len(sizes) == 1


def test_centred_folios_and_title_on_versos(tmp_path: Path) -> None:
    root = write_project(tmp_path, ("crossing",), {"folio": "centre", "verso_head": "title"})
    built = build_pdf(root)
    pages = read_pages(built.path, built.layout.geometry)
    document = pdfium.PdfDocument(str(built.path))
    checked = 0
    for index, (block, label) in enumerate(built.result.page_map):
        if not label.isdigit() or pages[index].blank:
            continue
        if index % 2 == 1 and re.fullmatch(r"story-\d+-b\d+", block):
            assert squash(pages[index].head) == "papercranes"
        textpage = document[index].get_textpage()
        chars = [textpage.get_charbox(i) for i in range(textpage.count_chars())
                 if not textpage.get_text_range(i, 1).isspace()]
        lowest = min(c[1] for c in chars)
        folio_chars = [c for c in chars if c[1] < lowest + 2]  # the bottom line: the folio
        middle = (min(c[0] for c in folio_chars) + max(c[2] for c in folio_chars)) / 2
        geo = built.layout.geometry
        left = geo.inner if index % 2 == 0 else geo.outer
        assert middle == pytest.approx(left + geo.measure / 2, abs=1.5)  # under the text block
        assert pages[index].foot == label
        checked += 1
    document.close()
    assert checked >= 3


# WeasyPrint leaves its sRGB profile file open when it writes PDF/A's output intent.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1"])
def test_pdf_variants_write_their_identification(tmp_path: Path, variant: str) -> None:
    built = tiny(tmp_path, variant=variant)
    reader = pypdf.PdfReader(built.path)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    if variant == "pdf/a-3b":
        assert re.search(r'pdfaid:part(="|>)3', xmp)
        assert re.search(r'pdfaid:conformance(="|>)B', xmp)
        assert "/OutputIntents" in root
    else:
        assert re.search(r'pdfuaid:part(="|>)1', xmp)
        assert bool(root["/MarkInfo"]["/Marked"])
        assert "/StructTreeRoot" in root and root["/Lang"] == "en"
    assert reader.metadata.title == "Paper Cranes"


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = tiny(tmp_path / "one", {"pad_to": 4})
    second = tiny(tmp_path / "two", {"pad_to": 4})
    assert first.path.read_bytes() == second.path.read_bytes()


# ---------------------------------------------------------------------- nothing reaches out


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    _Counting.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.requests
    finally:
        server.shutdown()
        server.server_close()


def test_fetcher_refuses_network_and_outside_files(tmp_path: Path, http_server) -> None:
    base, requests = http_server
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    project = write_project(tmp_path / "project", ("short",), stylesheet="hostile.css")
    css = (DATA / "hostile.css").read_text(encoding="utf-8")
    css = css.replace("{BASE}", base).replace("{OUTSIDE}", secret.as_uri())
    (project / "hostile.css").write_text(css, encoding="utf-8")
    (project / "inside.png").write_bytes(secret.read_bytes())
    built = build_pdf(project)
    assert requests == [], "nothing may be fetched from the network"
    refused = "\n".join(built.result.refused)
    for fragment in (f"{base}/import.css", f"{base}/font.otf", f"{base}/bg.png",
                     "https://127.0.0.1", secret.as_uri(), "data:image/png"):
        assert fragment in refused, fragment
    assert not any("outside" in url for url in built.result.fetched)
    assert any(url.endswith("/inside.png") for url in built.result.fetched)
    assert all(url.startswith("file://") for url in built.result.fetched)


def test_fetcher_refuses_symlinks_out_of_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red; }", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.css").symlink_to(outside)
    fetcher = pdf.ProjectFetcher([project])
    with pytest.raises(pdf.RefusedResource):
        fetcher.fetch((project / "link.css").as_uri())
    assert fetcher.fetched == [] and fetcher.refused


# ---------------------------------------------------------------------- ladders


def test_hyphen_ladders_are_broken_by_a_second_pass(tmp_path: Path) -> None:
    words = ["internationalisation", "counterrevolutionary", "institutionalisation",
             "incomprehensibility", "uncharacteristically", "disproportionately",
             "electroencephalograph", "telecommunications"]
    paragraph = " ".join(words[(i * 3) % len(words)] for i in range(40))
    root = write_project(tmp_path, ("short",), {"width": "3in", "height": "6in",
                                                 "font_size": "8pt"})
    (root / "texts" / "short.txt").write_text(paragraph + "\n\n" + paragraph, encoding="utf-8")
    built = build_pdf(root)
    assert built.result.passes >= 2, "the fixture should produce a ladder in the first pass"
    assert built.result.ladders == 0
    test_no_more_than_two_hyphenated_lines_in_a_row(built)


def test_ladder_finder_counts_runs() -> None:
    class Line(boxes.LineBox):
        def __init__(self, element: Any, text: str) -> None:
            self.element = element
            self.children = [_Text(text)]

    class _Text(boxes.TextBox):
        def __init__(self, text: str) -> None:
            self.text = text
            self.children = ()

    class Element(dict):
        pass

    p = Element(id="story-001-b7")
    lines_ = [Line(p, t) for t in ("a‐", "b‐", "c-", "d")]
    q = Element(id="story-001-b8")
    lines_ += [Line(q, t) for t in ("a‐", "b‐", "c")]

    class Page:
        _page_box = type("B", (), {"children": lines_})()

    rendered = type("R", (), {"pages": [Page()]})()
    assert pdf._ladder_paragraphs(rendered) == {"story-001-b7"}


# ---------------------------------------------------------------------- the command line


def test_cli_trim_and_pdf_variant(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from fanbind.cli import app

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = write_project(tmp_path, ("short",), {"trim": "6x9"})
    runner = CliRunner()
    result = runner.invoke(app, ["build", str(project), "-f", "pdf", "-q", "--no-cache",
                                 "--trim", "A4", "--pdf-variant", "PDF/UA-1"])
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(project / "dist" / "paper-cranes.pdf")
    page = reader.pages[0]
    assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == \
        (595.28, 841.89)
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
    wrong = runner.invoke(app, ["build", str(project), "-f", "pdf", "--trim", "B5"])
    assert wrong.exit_code == 2
    assert "not a trim size" in wrong.output


def hyphenated_breaks(built: Built) -> list[tuple[str, int]]:
    """(word, letters before the break) for every text line of the PDF ending in a hyphen.

    Body lines of consecutive pages are read as one run (running heads and
    folios left out), so a word broken across a page turn counts too.
    """
    body = [line for page in read_pages(built.path, built.layout.geometry) for line in page.body]
    breaks = []
    for line, following in itertools.pairwise(body):
        if line.endswith(("\u2010", "-")) and re.match(r"[^\W\d_]", following):
            head = re.findall(r"\w+", line)[-1]
            breaks.append((head + re.findall(r"\w+", following)[0], len(head)))
    return breaks


def test_bare_en_hyphenates_as_american_english(tmp_path: Path) -> None:
    built = build_pdf(write_project(tmp_path, ("spelled",)))
    american, british = pyphen.Pyphen(lang="en_US"), pyphen.Pyphen(lang="en_GB")
    breaks = hyphenated_breaks(built)
    assert breaks, "the spelled-out story should hyphenate"
    for word, at in breaks:
        assert at in american.positions(word.lower()), (word, at)
    assert any(at not in british.positions(word.lower()) for word, at in breaks), breaks


#: Classes of the display type print.css keeps unhyphenated (with h1–h4 and running heads).
DISPLAY_CLASSES = {"half-title-text", "titlepage", "byline", "story-title", "chapter-title",
                   "contents-entry", "contents-title"}


def display_lines(box: Any, display: bool = False) -> Iterator[tuple[Any, Any]]:
    """(line, its display element) for every line of display type in ``box``'s subtree."""
    element = getattr(box, "element", None)
    classes = set((element.get("class") or "").split()) if element is not None else set()
    display = display or bool(classes & DISPLAY_CLASSES) or isinstance(box, boxes.MarginBox)
    if isinstance(box, boxes.LineBox):
        if display:
            yield box, element
        return
    for child in getattr(box, "children", ()):
        yield from display_lines(child, display)


def test_display_type_is_never_hyphenated(tmp_path: Path) -> None:
    root = write_project(tmp_path, ("display",), {"trim": "5x8"},
                         title="Uncharacteristically Incomprehensible Characterisations",
                         editors=["Wolfeschlegelsteinhausen Featherstonehaugh"])
    built = build_pdf(root)
    found = [(pdf._line_text(line).rstrip(), getattr(element, "tag", None))
             for page in built.layout.rendered.pages
             for line, element in display_lines(page._page_box)]
    assert len(found) > 10, found
    assert not [text for text, _ in found if text.endswith(("\u2010", "-", "\u00ad"))], found


def figures(path: Path, geo: geometry.Geometry) -> dict[str, list[tuple[float, float]]]:
    """(ink height, advance width) of each digit in the folios and on the contents page.

    Lining figures all stand cap-high on the baseline; old-style ones range from
    x-height (1, 2, 0) to ascenders and descenders. Tabular ones share one width.
    """
    found: dict[str, list[tuple[float, float]]] = {"folios": [], "contents": []}
    document = pdfium.PdfDocument(str(path))
    try:
        for page in document:
            textpage = page.get_textpage()
            # The letter-spaced heading reads back as "C o n t e n t s".
            is_contents = squash(textpage.get_text_range()).startswith("contents")
            for i in range(textpage.count_chars()):
                if not textpage.get_text_range(i, 1).isdigit():
                    continue
                _, bottom, _, top = textpage.get_charbox(i)
                left, _, right, _ = textpage.get_charbox(i, loose=True)
                if bottom < geo.bottom:
                    found["folios"].append((top - bottom, right - left))
                elif is_contents:
                    found["contents"].append((top - bottom, right - left))
    finally:
        document.close()
    return found


def test_folios_and_contents_numbers_are_lining_tabular_figures(book: Built) -> None:
    for where, digits in figures(book.path, book.layout.geometry).items():
        assert len(digits) >= 3, where
        heights, widths = [h for h, _ in digits], [w for _, w in digits]
        assert max(heights) - min(heights) < 0.1 * book.layout.geometry.font_size, (where, heights)
        assert max(widths) - min(widths) < 0.01, (where, widths)


def test_more_than_two_authors_head_the_verso_as_first_author_et_al(tmp_path: Path) -> None:
    built = build_pdf(write_project(tmp_path, ("display", "scenes"), {"trim": "5x8"}))
    heads = {squash(page.head) for page in read_pages(built.path, built.layout.geometry)}
    assert squash("Maximilianus Wolfeschlegelsteinhausen et al.") in heads, heads
    assert not [head for head in heads if "bartholomew" in head], heads
    assert squash("Bo Reyes and Cy Moss") in heads, heads  # two authors: both named


def test_one_author_for_the_whole_book_heads_the_versos_with_its_title(tmp_path: Path) -> None:
    """Versos all reading one name say nothing: the book's title heads them (issue 16)."""
    built = build_pdf(write_project(tmp_path, ("crossing",)))
    author = squash(STORIES["crossing"][1][0])
    pages = read_pages(built.path, built.layout.geometry)
    heads = [squash(page.head) for index, page in enumerate(pages) if index % 2 == 1 and page.head]
    assert "papercranes" in heads, heads
    assert author not in heads, heads


def test_verso_head_set_in_metadata_is_kept_for_one_author(tmp_path: Path) -> None:
    project = open_project(write_project(tmp_path, ("crossing",), {"verso_head": "authors"}))
    assert load_book(project).anthology.meta.print.verso_head == "authors"
    several = open_project(write_project(tmp_path / "two", ("crossing", "scenes")))
    assert load_book(several).anthology.meta.print.verso_head == "authors"
