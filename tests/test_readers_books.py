"""Issue 14's numbers, read back from one built book holding every reader's fixture.

One book (eleven small stories: AO3 HTML multi-chapter, one-shot, Chinese and
Japanese, AO3's EPUB in our shape and as calibre makes it, Markdown, FanFicFare's
HTML, EPUB and TXT, a whole-page paste of AO3) is built once for the module, EPUB
and PDF, with no metadata but each story's file: one WeasyPrint layout of ~45 pages
for all the checks below.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import zipfile
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from test_harvest import FFF_HTML, FFF_TXT, fff_epub
from test_readers import CHINESE, DATA, MARKDOWN, MULTI, ONESHOT, ao3_epub

pytestmark = pytest.mark.slow

XHTML = "{http://www.w3.org/1999/xhtml}"
#: Markup that must never be book text: a tag, a character reference, a CSS rule.
MARKUP = re.compile(r"<|&#|&[a-z]+;|\{[^}]*:")
EMPHASIS = {"i", "em", "b", "strong"}

#: Each story file and the chapter titles the book must give it (none: a one-shot).
STORIES: dict[str, tuple[str, ...]] = {
    "ao3-multi.html": ("Chapter 1: The Stairs", "Chapter 2: What the Logbook Said",
                       "Chapter 3"),
    "ao3-oneshot.html": (),
    "ao3-zh.html": tuple(f"第{n}夜" + (f"：“风{n}”" if n in ("三", "六", "九", "十二") else "")
                         for n in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                                   "十一", "十二", "十三", "十四")),
    "story.md": (),
    "ao3.epub": ("Chapter 1: The Stairs", "Chapter 2: What the Logbook Said", "Chapter 3"),
    "fff-story.html": ("Frost Dates", "Grafting"),
    "fff.epub": ("First Light", "The Late Letter"),
    "fff-story.txt": ("The Pass", "Down to the Sea"),
    "ao3-paste.txt": (),
    # AO3's EPUB as calibre makes it (tests/data/readers/calibre), and a Japanese one-shot
    "ao3-calibre.epub": ("Chapter 1: The Stairs", "Chapter 2: What the Logbook Said",
                         "Chapter 3"),
    "ao3-ja.html": (),
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(stories folder, EPUB, PDF) of the book of every reader's fixture."""
    from fanbind.build import build

    project = tmp_path_factory.mktemp("readers-book")
    stories = project / "stories"
    stories.mkdir()
    for source in (MULTI, ONESHOT, CHINESE, MARKDOWN, FFF_HTML, FFF_TXT,
                   DATA / "ao3-paste.txt", DATA / "ao3-ja.html"):
        shutil.copy(source, stories / source.name)
    shutil.copy(DATA / "calibre" / "ao3-multi.epub", stories / "ao3-calibre.epub")
    ao3_epub(stories / "ao3.epub")
    fff_epub(stories / "fff.epub")
    (project / "metadata.yaml").write_text(
        "title: Every Reader\nstories:\n"
        + "".join(f"  - {{file: stories/{name}}}\n" for name in STORIES), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = build(project)
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    return stories, epub, pdf


def _story_xhtml(epub: Path, index: int) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(f"EPUB/story-{index:03d}.xhtml"))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _source_runs(path: Path, title: str, authors: set[str]) -> list[str]:
    """The text of each emphasised run in a source file's markup, leaving out the
    archive's own: field labels (``<b>Rating:</b>``), the title and the byline."""
    if path.suffix == ".epub":
        with zipfile.ZipFile(path) as archive:
            pages = [lxml_html.document_fromstring(archive.read(name))
                     for name in archive.namelist() if name.endswith((".xhtml", ".html"))]
    elif path.suffix == ".md":
        pages = [lxml_html.document_fromstring(
            MarkdownIt("commonmark").render(path.read_text(encoding="utf-8")))]
    else:
        pages = [lxml_html.document_fromstring(path.read_bytes())]
    runs = []
    for page in pages:
        for element in page.iter(*EMPHASIS):
            text = " ".join(element.text_content().split())
            if text.endswith(":") or text in (title, "by") or text in authors:
                continue
            runs.append(text)
    return runs


def test_no_markup_reaches_any_readers_book_as_text(book: tuple[Path, Path, Path]) -> None:
    _, epub, pdf = book
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                root = etree.fromstring(archive.read(name))
                body = root.find(f"{XHTML}body")
                text = "".join(body.itertext())
                assert not MARKUP.search(text), (name, MARKUP.search(text))
    for number, page in enumerate(pdfium.PdfDocument(str(pdf))):
        text = page.get_textpage().get_text_range()
        assert not MARKUP.search(text), (number, MARKUP.search(text))


def test_every_emphasised_run_of_the_source_is_in_the_epub_and_italic_in_the_pdf(
        book: tuple[Path, Path, Path]) -> None:
    stories, epub, pdf = book
    italic_runs: list[str] = []
    for index, name in enumerate(STORIES, 1):
        root = _story_xhtml(epub, index)
        title = "".join(root.find(f".//{XHTML}h1").itertext())
        authors = {"".join(a.itertext()) for a in root.iter(f"{XHTML}span")
                   if a.get("class") == "authors"}
        built = [(_local(e), " ".join("".join(e.itertext()).split()))
                 for e in root.iter(f"{XHTML}em", f"{XHTML}strong")]
        if name.endswith(".txt"):
            continue  # plain text states no runs in markup
        source = _source_runs(stories / name, title.replace("’", "'"), authors)
        assert len(built) == len(source), (name, source, built)
        italic_runs += [text for kind, text in built if kind == "em"]
    assert len(italic_runs) >= 25
    # In the PDF a run is set apart from the letters around it: italic in roman
    # text, roman inside an italic summary (print.css reverses emphasis there).
    pages = [page.get_textpage() for page in pdfium.PdfDocument(str(pdf))]
    checked = 0
    for run in italic_runs:
        seen: list[tuple[str, set[str]]] = []  # a run's words may also stand unemphasised
        for textpage in pages:
            search = textpage.search(run, match_case=True)
            while (found := search.get_next()) is not None:
                start, count = found
                seen.append((_font(textpage, start), {_font(textpage, at) for at in (
                    _letter(textpage, start - 1, -1), _letter(textpage, start + count, 1))
                    if at is not None}))
        if not seen:
            continue  # broken across lines or pages: looked for no further
        assert any(outside and inside not in outside for inside, outside in seen), (run, seen)
        checked += 1
    assert checked >= 0.8 * len(italic_runs)


def _letter(textpage: pdfium.PdfTextPage, index: int, step: int) -> int | None:
    """The nearest character from ``index`` on (in ``step``'s direction) that is not a space."""
    while 0 <= index < textpage.count_chars():
        if not textpage.get_text_range(index, 1).isspace():
            return index
        index += step
    return None


def _font(textpage: pdfium.PdfTextPage, index: int) -> str:
    size = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, None)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, size, None)
    return buffer.value.decode("utf-8", "replace")


def test_every_chapter_in_the_nav_and_the_outline_under_its_story_with_its_title(
        book: tuple[Path, Path, Path]) -> None:
    _, epub, pdf = book
    with zipfile.ZipFile(epub) as archive:
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
    toc = next(n for n in nav.iter(f"{XHTML}nav") if "toc" in (n.get(
        "{http://www.idpf.org/2007/ops}type") or ""))
    in_nav: dict[str, tuple[str, ...]] = {}
    for item in toc.find(f"{XHTML}ol"):
        link = item.find(f"{XHTML}a")
        if link is None or not (link.get("href") or "").startswith("story-"):
            continue
        in_nav[link.get("href")] = tuple("".join(a.itertext()) for a in item.iterfind(
            f"{XHTML}ol/{XHTML}li/{XHTML}a"))
    assert list(in_nav.values()) == list(STORIES.values())

    outline = pypdf.PdfReader(str(pdf)).outline
    in_outline: list[tuple[str, ...]] = []
    for position, entry in enumerate(outline):
        if isinstance(entry, list):
            continue
        after = outline[position + 1] if position + 1 < len(outline) else None
        in_outline.append(tuple(e.title for e in after) if isinstance(after, list) else ())
    story_titles = [e.title for e in outline if not isinstance(e, list)]
    assert len(story_titles) >= len(STORIES)
    # the outline's entries for the stories, in book order, each with its chapters
    first = story_titles.index("The Lantern Keeper’s Apprentice")
    assert in_outline[first:first + len(STORIES)] == list(STORIES.values())


#: A scene-break mark standing alone in AO3's text (set as a break, not as words).
BREAK_MARK = re.compile(r"\W*(?:x\s*x\s*x|o0o|-x-)\W*", re.IGNORECASE)


def _ao3_text_words(pages: list[lxml_html.HtmlElement]) -> list[str]:
    """The words of an AO3 download's work text: its innermost ``div.userstuff``
    (a chapter's text, or a one-shot's), not its notes' blockquotes."""
    words: list[str] = []
    for page in pages:
        for div in page.iter("div"):
            if "userstuff" in div.classes and not any(
                    "userstuff" in inner.classes for inner in div.iterdescendants("div")):
                for paragraph in div.iter("p"):
                    text = paragraph.text_content()
                    if not BREAK_MARK.fullmatch(text):
                        words += re.findall(r"\w+", text)
    return words


@pytest.mark.parametrize(("name", "index"), [
    ("ao3-multi.html", 1), ("ao3-oneshot.html", 2), ("ao3-zh.html", 3), ("ao3.epub", 5),
    ("ao3-calibre.epub", 10)])
def test_every_word_of_an_ao3_works_text_in_order(book: tuple[Path, Path, Path], name: str,
                                                   index: int) -> None:
    stories, epub, _ = book
    path = stories / name
    if name == "ao3-calibre.epub":  # calibre renamed the classes the words are found by
        pages = [lxml_html.document_fromstring(MULTI.read_bytes())]
    elif path.suffix == ".epub":
        with zipfile.ZipFile(path) as archive:
            pages = [lxml_html.document_fromstring(archive.read(member))
                     for member in archive.namelist() if member.endswith(".xhtml")]
    else:
        pages = [lxml_html.document_fromstring(path.read_bytes())]
    root = _story_xhtml(epub, index)
    blocks = [e for e in root.iter() if re.fullmatch(rf"story-{index:03d}-b\d+", e.get("id") or "")]
    built = re.findall(r"\w+", " ".join("".join(block.itertext()) for block in blocks))
    source = _ao3_text_words(pages)
    assert len(source) > 40 and built == source


def test_every_strong_run_of_the_source_is_bold_in_the_pdf(
        book: tuple[Path, Path, Path]) -> None:
    """``b``/``strong``/``**`` runs are set in the bundled bold faces (bold italic
    inside italic), never left in the roman as print.css once had them."""
    _, epub, pdf = book
    strong_runs = []
    for index in range(1, len(STORIES) + 1):
        root = _story_xhtml(epub, index)
        strong_runs += [" ".join("".join(e.itertext()).split())
                        for e in root.iter(f"{XHTML}strong")]
    assert len(strong_runs) >= 4
    pages = [page.get_textpage() for page in pdfium.PdfDocument(str(pdf))]
    checked = 0
    for run in strong_runs:
        seen: list[set[str]] = []  # a run's words may also stand elsewhere, not bold
        for textpage in pages:
            search = textpage.search(run, match_case=True)
            while (found := search.get_next()) is not None:
                start, count = found
                seen.append({_font(textpage, i).split("+")[-1] for i in range(start, start + count)
                             if textpage.get_text_range(i, 1).isalpha()})
        if not seen:
            continue  # broken across lines or pages: looked for no further
        assert any(fonts and all(font.endswith(("-Bold", "-Bold-Italic")) for font in fonts)
                   for fonts in seen), (run, seen)
        checked += 1
    assert checked >= 0.8 * len(strong_runs)
