"""Readers for HTML, AO3 downloads, EPUB and Markdown (issue 14).

Fixtures in tests/data/readers/ are invented stories in the shape of AO3's
public download templates; the EPUBs are assembled here from the same parts.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from lxml import etree

from fanbind.diagnostics import Diagnostics
from fanbind.errors import StoryFileError
from fanbind.model import (
    Emphasis,
    Heading,
    Inline,
    LineBreak,
    Paragraph,
    SceneBreak,
    Strike,
    Strong,
    Text,
    Underline,
    plain_text,
)
from fanbind.render import append_inlines
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import load_story, story_from_text
from fanbind.text.readers.detect import choose_format, is_epub_bytes
from fanbind.text.readers.epub import MAX_MEMBERS, epub_tree
from fanbind.text.readers.read import read_markup
from fanbind.text.settings import TextSettings
from fanbind.text.sources import DecodedText
from fanbind.text.typography import typeset_inlines

DATA = Path(__file__).parent / "data" / "readers"
MULTI = DATA / "ao3-multi.html"
ONESHOT = DATA / "ao3-oneshot.html"
CHINESE = DATA / "ao3-zh.html"
MARKDOWN = DATA / "story.md"


def parsed(path: Path):
    fmt = "markdown" if path.suffix == ".md" else "html"
    return read_markup(path.read_text(encoding="utf-8"), fmt, file=path.name)


def load(path: Path, **meta: object):
    diagnostics = Diagnostics()
    config = StoryConfig(file=path.name, **{"authors": ["someone"], **meta})
    loaded = load_story(path, config, index=0, display_name=path.name, settings=TextSettings(),
                        diagnostics=diagnostics)
    return loaded, list(diagnostics)


def spans(inlines: tuple[Inline, ...], kind: type) -> list[str]:
    """The text of every span of ``kind``, depth first."""
    out: list[str] = []
    for span in inlines:
        if isinstance(span, kind):
            out.append(plain_text(span.children))
        if isinstance(span, Emphasis | Strong | Underline | Strike):
            out += spans(span.children, kind)
    return out


# ---------------------------------------------------------------------- detection


@pytest.mark.parametrize(("text", "suffix", "expected", "noted"), [
    ("<!DOCTYPE html><html><body><p>Hi</p></body></html>", ".txt", "html", True),
    ("<?xml version='1.0'?>\n<html><p>x</p></html>", ".html", "html", False),
    ("  <html>\n<p>x</p>", "", "html", False),
    ("Title\n\nA story about <b>bold</b> claims.", ".txt", "text", False),
    ("Title\n\nA story.", ".html", "text", True),
    ("# Title\n\nSome **bold** words.", ".txt", "markdown", True),
    ("Plain prose is Markdown too.", ".md", "markdown", False),
    ("<p>a</p><p>b</p><p>c</p><p>d</p><p>e</p><p>f</p>", ".txt", "html", True),
    # Markdown with a few raw inline tags, saved as .html: Markdown, and noted
    ("# Title\n\nShe ran <em>fast</em>.", ".html", "markdown", True),
    ("Title\n\nShe ran *far* and <em>fast</em>.", ".html", "markdown", True),
    ("Title\n\nA file_name and <br> one tag.", ".txt", "text", False),
])
def test_content_chooses_the_reader_and_a_disagreeing_extension_is_noted(
        text: str, suffix: str, expected: str, noted: bool) -> None:
    found, notes = choose_format(text, suffix=suffix, declared=None, file="f")
    assert found == expected
    assert [n.code for n in notes] == (["FB240"] if noted else [])


def test_a_declared_format_wins_over_the_content() -> None:
    assert choose_format("<html><p>x</p></html>", suffix=".html", declared="text",
                         file="f") == ("text", [])


def test_format_in_metadata_yaml_chooses_the_reader_of_a_story(tmp_path: Path) -> None:
    story = tmp_path / "notes.txt"  # Markdown by its content, text by its name
    story.write_text("# The Quay\n\nShe ran **fast** along the quay.\n", encoding="utf-8")

    def strong(loaded) -> list[str]:
        paragraph = loaded.story.chapters[0].blocks[0]
        assert isinstance(paragraph, Paragraph)
        return spans(paragraph.inlines, Strong)

    by_content, diagnostics = load(story)
    assert strong(by_content) == ["fast"] and "FB240" in {d.code for d in diagnostics}
    as_text, diagnostics = load(story, format="text")
    assert strong(as_text) == [] and "FB240" not in {d.code for d in diagnostics}
    as_html, _ = load(story, format="html")  # no tags: one paragraph of words
    assert "**fast**" in plain_text(as_html.story.chapters[0].blocks[0].inlines)


def test_an_html_story_named_txt_is_read_as_html_not_as_prose(tmp_path: Path) -> None:
    story = tmp_path / "download.txt"
    story.write_bytes(MULTI.read_bytes())
    loaded, diagnostics = load(story)
    assert "FB240" in {d.code for d in diagnostics}
    assert loaded.story.title == "The Lantern Keeper’s Apprentice"
    assert len(loaded.story.chapters) == 3


def test_an_epub_named_txt_is_read_as_epub_and_a_note_says_so(tmp_path: Path) -> None:
    story = ao3_epub(tmp_path / "download.txt")
    loaded, diagnostics = load(story)
    notes = [d for d in diagnostics if d.code == "FB240"]
    assert len(notes) == 1 and "(.txt) but its content is epub" in notes[0].message
    assert len(loaded.story.chapters) == 3
    assert not [d for d in load(ao3_epub(tmp_path / "w.epub"))[1] if d.code == "FB240"]


def test_markdown_with_raw_html_named_html_is_sanitised_and_keeps_both_emphases(
        tmp_path: Path) -> None:
    story = tmp_path / "converted.html"
    story.write_text("# The Salt Road\n\nby wren\n\nShe walked the <em>long</em> way, "
                     "past the <span class='x'>old</span> mill.\n\nIt was *late*.<br>\n"
                     "Later than she thought.<script>alert(1)</script>\n", encoding="utf-8")
    loaded, diagnostics = load(story)
    [note] = [d for d in diagnostics if d.code == "FB240"]
    assert note.file == "converted.html" and "content is markdown" in note.message
    assert loaded.story.title == "The Salt Road"
    paragraphs = [b for ch in loaded.story.chapters for b in ch.blocks
                  if isinstance(b, Paragraph)]
    text = "\n".join(plain_text(p.inlines) for p in paragraphs)
    assert text == ("She walked the long way, past the old mill.\n"
                    "It was late.\nLater than she thought.")
    assert spans(tuple(s for p in paragraphs for s in p.inlines), Emphasis) == ["long", "late"]


# ------------------------------------------------------------------------- AO3 HTML


def test_ao3_download_title_tags_and_byline() -> None:
    story = parsed(MULTI)
    assert story.title == "The Lantern Keeper's Apprentice"
    found = {field: value for field, value, _ in story.found}
    assert found["rating"] == "Teen And Up Audiences"
    assert found["fandoms"] == ("Original Work",)
    assert found["relationships"] == ("Maren & Tobiah",)
    assert found["characters"] == ("Maren (Original Character)", "Tobiah (Original Character)")
    assert found["tags"] == ("Lighthouses", "Found Family", "Storms")
    assert found["authors"] == ("fernwick",)
    assert (found["language_name"], found["language"]) == ("English", "en")
    assert found["source"] == "https://archiveofourown.org/works/900001"
    assert found["published"] == "2021-06-12"
    assert (found["series"], found["series_part"]) == ("The Salt Coast", "2")


def test_ao3_chapters_keep_their_titles_notes_and_end_notes() -> None:
    story = parsed(MULTI)
    assert [ch.title for ch in story.chapters] == [
        "Chapter 1: The Stairs", "Chapter 2: What the Logbook Said", "Chapter 3"]
    one, two, three = story.chapters
    assert [plain_text(p.inlines) for p in one.notes] == [
        "There are two hundred and twelve of them. I counted."]
    assert not one.summary and not one.end_notes
    assert [plain_text(p.inlines) for p in two.summary] == ["Tobiah finds the old logbook."]
    assert spans(two.notes[0].inlines, Emphasis) == ["verse"]
    assert plain_text(two.end_notes[0].inlines).startswith("The verse is mine")
    assert not (three.summary or three.notes or three.end_notes)
    # The work's own notes go to the story, not to a chapter.
    assert plain_text(story.summary[0].inlines).startswith("Maren keeps the light")
    assert spans(story.notes[0].inlines, Strong) == ["Salt Coast"]
    assert [plain_text(p.inlines) for p in story.end_notes] == [
        "Two more chapters are planned. Thank you for reading!"]


def test_ao3_text_keeps_emphasis_breaks_quotes_and_verse_lines() -> None:
    story = parsed(MULTI)
    blocks = [b for ch in story.chapters for b in ch.blocks]
    paragraphs = [b for b in blocks if isinstance(b, Paragraph)]
    every = tuple(span for p in paragraphs for span in p.inlines)
    assert spans(every, Emphasis) == ["twice", "two hundred and ten, two hundred and eleven,"]
    assert spans(every, Strong) == ["thick"]
    assert spans(every, Underline) == ["eleven"]
    assert spans(every, Strike) == ["pencil"]
    # centred "* * *", <hr> and an image alone: three scene breaks, none at a chapter's edge
    assert sum(isinstance(b, SceneBreak) for b in blocks) == 3
    verse = next(p for p in paragraphs if p.quote)
    assert sum(isinstance(s, LineBreak) for s in verse.inlines) == 2
    assert plain_text(verse.inlines).split("\n")[0] == "Keep the wick and keep the glass,"
    assert all(p.origin is not None and p.origin.line > 50 for p in paragraphs)


def test_no_markup_script_style_or_archive_message_is_story_text() -> None:
    story = parsed(MULTI)
    text = "\n".join(plain_text(b.inlines) for ch in story.chapters for b in ch.blocks
                     if isinstance(b, Paragraph | Heading))
    for bad in ("<", "&#", "{", "document.title", "chapter content", "Archive of Our Own",
                "comment", "See the end"):
        assert bad not in text
    assert [d.code for d in story.diagnostics] == ["FB241"]
    assert "https://example.org/remote.css" in story.diagnostics[0].message
    assert "https://example.org/divider.png" in story.diagnostics[0].message


def test_a_one_shot_is_one_untitled_chapter_with_its_letter_ornament_as_a_break() -> None:
    story = parsed(ONESHOT)
    assert story.title == "Seven Bells"
    assert [ch.title for ch in story.chapters] == [None]
    assert [type(b).__name__ for b in story.chapters[0].blocks] == [
        "Paragraph", "Paragraph", "SceneBreak", "Paragraph"]
    found = {field: value for field, value, _ in story.found}
    assert found["authors"] == ("quillon", "tamsin")
    assert not story.diagnostics


def test_a_chinese_work_of_fourteen_chapters() -> None:
    story = parsed(CHINESE)
    assert story.title == "灯塔的十四夜"
    assert ("language", "zh", 20) in story.found
    assert len(story.chapters) == 14
    assert story.chapters[2].title == "第三夜：“风三”"
    assert [plain_text(p.inlines) for p in story.chapters[4].notes] == ["这一章写得最久。"]
    for chapter in story.chapters:
        kinds = [type(b).__name__ for b in chapter.blocks]
        assert kinds == ["Paragraph", "Paragraph", "SceneBreak", "Paragraph"]
        assert spans(tuple(s for b in chapter.blocks if isinstance(b, Paragraph)
                           for s in b.inlines), Emphasis) == ["周远"]


def test_a_japanese_one_shot_keeps_its_ruby_readings_in_parentheses() -> None:
    # AO3 allows <ruby>; a reading without <rp> would otherwise run into its base.
    story = parsed(DATA / "ao3-ja.html")
    assert story.title == "灯台守の冬" and ("language", "ja", 28) in story.found
    text = [plain_text(b.inlines) for b in story.chapters[0].blocks if isinstance(b, Paragraph)]
    assert text[:2] == ["その冬、灯台（とうだい）の階段は百二十段あった。",
                        "「寒くないか」と兄（あに）は言った。"]
    latin = read_markup("<p><ruby>Tokyo<rt>east capital</rt></ruby> at dusk.</p>", "html",
                        file="r.html")
    assert plain_text(latin.chapters[0].blocks[0].inlines) == "Tokyo(east capital) at dusk."


def test_a_whole_page_paste_of_a_work_gives_its_download_s_title_metadata_and_words() -> None:
    # The paste is ao3-ru.html's work as a browser copies AO3's page: labels and values
    # on two lines, the byline without "by", a chapter's "Chapter by …" line.
    from test_harvest import load as load_bare

    paste, _ = load_bare(DATA / "ao3-ru-paste.txt")
    download, _ = load_bare(DATA / "ao3-ru.html")
    assert paste.story.title == download.story.title
    assert paste.story.meta.model_dump(exclude={"file", "source"}) == (
        download.story.meta.model_dump(exclude={"file", "source"}))
    assert [ch.title for ch in paste.story.chapters] == [
        ch.title for ch in download.story.chapters]

    def words(loaded) -> list[str]:
        return [word for ch in loaded.story.chapters for b in ch.blocks
                if isinstance(b, Paragraph) for word in re.findall(r"\w+", plain_text(b.inlines))]

    assert words(paste) == words(download)


@pytest.mark.parametrize(("page", "download"), [
    ("ao3-ru-page.html", "ao3-ru.html"), ("ao3-ja-page.html", "ao3-ja.html")])
def test_ao3_s_work_page_saved_from_a_browser_reads_like_its_download(
        page: str, download: str) -> None:
    # The whole page: the archive's header and menus, the work, kudos, comments, footer.
    from test_harvest import load as load_bare

    saved, found = load_bare(DATA / page)
    made, _ = load_bare(DATA / download)
    assert saved.story.title == made.story.title
    assert saved.story.meta.model_dump(exclude={"file"}) == (
        made.story.meta.model_dump(exclude={"file"}))
    assert _same_text(saved.story, made.story)
    for part in ("summary", "notes", "end_notes"):
        assert [plain_text(p.inlines) for p in getattr(saved.story, part)] == [
            plain_text(p.inlines) for p in getattr(made.story, part)], part
    text = " ".join(plain_text(b.inlines) for ch in saved.story.chapters for b in ch.blocks
                    if isinstance(b, Paragraph | Heading))
    for chrome in ("Archive of Our Own", "Chapter Text", "Work Text", "kudos", "Comments",
                   "Footer", "Прекрасно"):
        assert chrome not in text
    assert "FB243" not in {d.code for d in found}  # AO3's repeated id="work" is no problem
    chapters = saved.story.chapters
    assert all(ch.origin is not None for ch in chapters if ch.title)


# ------------------------------------------------------------------ other HTML pages


def test_a_saved_page_title_chapters_and_nothing_dropped_silently() -> None:
    page = """<html><head><title>Ignored Site Title</title>
    <style>p { color: red }</style><script>var x = "<p>no</p>";</script></head>
    <body><h1>River &amp; Stone</h1>
    <h2>One</h2><p>First &amp;#39;words&amp;#39; and
    <span style="font-style: italic">slant</span>.</p>
    <form><input value="no"/><p>form text</p></form>
    <!-- a comment -->
    <h2>Two</h2><div>Loose text<br>on two lines</div><p><b><i>both</i></b></p>
    <h3>Later</h3><p>more</p>
    </body></html>"""
    story = read_markup(page, "html", file="page.html")
    assert story.title == "River & Stone"
    assert not story.found  # no byline under the title
    assert [ch.title for ch in story.chapters] == ["One", "Two"]
    first = story.chapters[0].blocks[0]
    assert isinstance(first, Paragraph)
    assert plain_text(first.inlines) == "First 'words' and slant."
    assert spans(first.inlines, Emphasis) == ["slant"]
    two = story.chapters[1].blocks
    assert plain_text(two[0].inlines) == "Loose text\non two lines"
    assert spans(two[1].inlines, Strong) == ["both"] and spans(two[1].inlines, Emphasis) == [
        "both"]
    assert isinstance(two[2], Heading)
    every = " ".join(plain_text(b.inlines) for ch in story.chapters for b in ch.blocks
                     if isinstance(b, Paragraph | Heading))
    assert "form text" not in every and "comment" not in every and "color" not in every


@pytest.mark.parametrize("markup", [
    "<p>a", "<p><i>unclosed <b>nest</p><p>next</i>", "</div></div><p>x</p>",
    "<p>\x00</p>", "<<<>>>", "<p>&bogus; &#xZZ; &#99999999;</p>", "",
])
def test_malformed_html_never_raises_and_never_leaks_tags(markup: str) -> None:
    story = read_markup("<html><body>" + markup + "<p>end</p></body></html>", "html", file="m")
    assert all(d.file == "m" and d.line == 1 for d in story.diagnostics)
    text = "".join(plain_text(b.inlines) for ch in story.chapters for b in ch.blocks
                   if isinstance(b, Paragraph | Heading))
    assert "end" in text
    assert not re.search(r"</?[a-z]+[ >]", text)


def test_misnested_tags_are_warned_once_with_their_lines() -> None:
    page = "<html><body>\n<p>fine</p>\n<p><i>open <b>nest</p>\n<p>x</i></p>\n</div>\n</body></html>"
    story = read_markup(page, "html", file="bad.html")
    [warning] = story.diagnostics
    assert (warning.code, warning.line) == ("FB243", 3)
    assert "line 3:" in warning.message and "line 4:" in warning.message
    assert warning.message.endswith("(and 1 more)")  # the stray </div> on line 5
    clean = read_markup(MULTI.read_text(encoding="utf-8"), "html", file="m")
    assert "FB243" not in {d.code for d in clean.diagnostics}


def test_malformed_html_inside_an_epub_is_named_by_its_document_and_line(
        tmp_path: Path) -> None:
    epub = make_epub(tmp_path / "bad.epub", {
        "one.xhtml": "<html><body>\n<h1>T</h1>\n<p>Fine words here.</p>\n</body></html>",
        "two.xhtml": "<html><body>\n<p>fine</p>\n<p><i>open <b>nest</p>\n</body></html>"})
    _, found = epub_tree(epub.read_bytes(), file="bad.epub", max_bytes=1024 * 1024)
    [warning] = [d for d in found if d.code == "FB243"]
    assert (warning.file, warning.line) == ("bad.epub \u203a OEBPS/two.xhtml", 3)


def test_every_finding_from_an_epub_names_its_inner_document_and_line(
        tmp_path: Path) -> None:
    from fanbind.text.lint.story import lint_story

    long = " ".join(["word"] * 450)
    epub = make_epub(tmp_path / "work.epub", {
        "one.xhtml": "<html><body>\n<h1>The Quay</h1>\n<p>by wren</p>\n"
                     "<p>Fine words here.</p>\n</body></html>",
        "two.xhtml": "<html><body>\n<h2>Two</h2>\n<p>More words.</p>\n"
                     "<p>You need rest,\u201d Minato said.</p>\n<p>Plain.</p>\n"
                     f"<p>{long}</p>\n</body></html>"})
    loaded, diagnostics = load(epub, title="Mine")
    one, two = "work.epub \u203a OEBPS/one.xhtml", "work.epub \u203a OEBPS/two.xhtml"
    aside = {d.message.split("`")[1]: (d.file, d.line) for d in diagnostics
             if d.code == "FB242"}
    assert aside == {"title": (one, 2), "authors": (one, 3)}
    found = {d.code: (d.file, d.line) for d in lint_story(loaded)}
    assert found["FB304"] == (two, 4) and found["FB310"] == (two, 6)
    chapter = loaded.story.chapters[-1]
    assert chapter.origin is not None and (chapter.origin.file, chapter.origin.line) == (two, 2)


# ------------------------------------------------------------------------- Markdown


def test_markdown_title_strong_escapes_quotes_and_raw_html() -> None:
    loaded, _ = load(MARKDOWN)
    story = loaded.story
    assert story.title == "The Tide Clock"
    assert story.meta.authors == ("someone",)  # metadata.yaml's; the file's byline set aside
    assert ("authors", ("marrow",), 3) in loaded.parsed.found
    blocks = story.chapters[0].blocks
    paragraphs = [b for b in blocks if isinstance(b, Paragraph)]
    every = tuple(s for p in paragraphs for s in p.inlines)
    assert "backwards" in spans(every, Strong)
    assert spans(every, Strike) == ["Nobody"]
    text = "\n".join(plain_text(p.inlines) for p in paragraphs)
    assert "Wen-li" in text and "\\" not in text
    assert "that way—it told" in text  # \-\- is a dash once escapes are gone
    assert "alert" not in text
    assert sum(isinstance(b, SceneBreak) for b in blocks) == 2  # * * * and a centred ~*~
    verse = next(p for p in paragraphs if p.quote)
    assert plain_text(verse.inlines) == "Low water at six,\nhigh water at noon."
    # lines are the Markdown file's
    assert paragraphs[-1].origin is not None and paragraphs[-1].origin.line == 17


# ---------------------------------------------------------------------------- EPUB


def make_epub(path: Path, documents: dict[str, str], *, extra: dict[str, bytes] | None = None,
              mimetype_first: bool = True) -> Path:
    """An EPUB 3 in AO3's shape: the given XHTML documents in spine order."""
    manifest = "".join(f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>'
                       for i, name in enumerate(documents))
    spine = "".join(f'<itemref idref="d{i}"/>' for i in range(len(documents)))
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>t</dc:title>'
           f"</metadata><manifest>{manifest}</manifest><spine>{spine}</spine></package>")
    container = ('<?xml version="1.0"?><container version="1.0" '
                 'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                 '<rootfile full-path="OEBPS/content.opf" '
                 'media-type="application/oebps-package+xml"/></rootfiles></container>')
    with zipfile.ZipFile(path, "w") as archive:
        if mimetype_first:
            archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        for name, body in documents.items():
            archive.writestr(f"OEBPS/{name}", body, zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def xhtml(body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>x</title></head><body>{body}</body></html>")


def ao3_epub(path: Path) -> Path:
    """AO3's EPUB: a preface file, one file per chapter, an afterword file."""
    page = MULTI.read_text(encoding="utf-8")
    root = etree.HTML(page)
    preface, chapters, afterword = (root.find(f".//div[@id='{i}']")
                                    for i in ("preface", "chapters", "afterword"))
    parts: dict[str, str] = {"preface.xhtml": xhtml(etree.tostring(preface, encoding="unicode"))}
    current: list[str] = []
    number = 0
    for child in chapters:
        if "meta" in (child.get("class") or "") and child.find(".//h2") is not None and current:
            number += 1
            parts[f"chapter{number}.xhtml"] = xhtml("".join(current))
            current = []
        current.append(etree.tostring(child, encoding="unicode", with_tail=False))
    parts[f"chapter{number + 1}.xhtml"] = xhtml("".join(current))
    parts["afterword.xhtml"] = xhtml(etree.tostring(afterword, encoding="unicode"))
    return make_epub(path, parts)


def test_an_ao3_epub_reads_like_its_html_download(tmp_path: Path) -> None:
    epub = ao3_epub(tmp_path / "work.epub")
    assert is_epub_bytes(epub.read_bytes())
    from_epub, _ = load(epub)
    from_html, _ = load(MULTI)
    assert from_epub.story.title == from_html.story.title
    assert from_epub.story.meta.model_dump(exclude={"file"}) == (
        from_html.story.meta.model_dump(exclude={"file"}))
    assert _same_text(from_epub.story, from_html.story)


def _same_text(a, b) -> bool:
    def text(story):
        return [(ch.title, [plain_text(x.inlines) if not isinstance(x, SceneBreak) else "*"
                            for x in ch.blocks],
                 [plain_text(p.inlines) for p in (*ch.summary, *ch.notes, *ch.end_notes)])
                for ch in story.chapters]
    assert text(a) == text(b)
    assert [plain_text(p.inlines) for p in a.end_notes] == [plain_text(p.inlines)
                                                              for p in b.end_notes]
    return True


CALIBRE = DATA / "calibre"


@pytest.mark.parametrize("name", ["ao3-multi", "ao3-oneshot", "ao3-ru", "ao3-zh"])
def test_ao3s_own_epub_made_by_calibre_reads_like_its_html_download(name: str) -> None:
    # calibre split the work at each heading, gave each chapter its own div#chapters,
    # the preface two documents, and renamed every class (see calibre/README.md).
    from test_harvest import count_spans
    from test_harvest import load as load_bare  # metadata.yaml gives nothing, not even authors

    from_epub, found = load_bare(CALIBRE / f"{name}.epub")
    from_html, _ = load_bare(DATA / f"{name}.html")
    assert from_epub.story.title == from_html.story.title
    assert from_epub.story.meta.authors  # the "by" line, its class renamed
    assert from_epub.story.meta.model_dump(exclude={"file"}) == (
        from_html.story.meta.model_dump(exclude={"file"}))
    assert _same_text(from_epub.story, from_html.story)
    assert [count_spans(from_epub, kind) for kind in (Emphasis, Strong, Underline, Strike)] == [
        count_spans(from_html, kind) for kind in (Emphasis, Strong, Underline, Strike)]
    assert [plain_text(p.inlines) for p in from_epub.story.summary] == [
        plain_text(p.inlines) for p in from_html.story.summary]
    assert not [d for d in found if d.code in ("FB243",)]


@pytest.mark.parametrize("path", [DATA / "ao3-ru.html", CALIBRE / "ao3-ru.epub",
                                  DATA / "ao3-ru-paste.txt"])
def test_related_works_stay_with_the_work_s_notes(path: Path) -> None:
    # "Inspired by …" under the work's notes; "Works inspired by this one" after its
    # end notes (a paste cannot tell the last chapter's end notes from the work's).
    loaded, _ = load(path)
    notes = [plain_text(p.inlines) for p in loaded.story.notes]
    assert notes[-1] == "Inspired by [Restricted Work] by kalina (Log in to access.)"
    end = [plain_text(p.inlines) for p in (*loaded.story.end_notes,
                                           *loaded.story.chapters[-1].end_notes)]
    assert end[-2:] == ["Works inspired by this one:", "Маяк зимой by tisa"]


def test_fb242_names_the_document_of_a_split_preface_that_states_each_field() -> None:
    # calibre split AO3's preface: the tags are in one document, title and byline in
    # the next; each set-aside names its own, with that document's line.
    _, diagnostics = load(CALIBRE / "ao3-ru.epub", title="Mine", rating="Explicit")
    aside = {d.message.split("`")[1]: (d.file, d.line) for d in diagnostics
             if d.code == "FB242"}
    inner = "ao3-ru.epub \u203a ao3-ru_split_00{}.html".format
    assert aside == {"title": (inner(1), 12), "authors": (inner(1), 13),
                     "rating": (inner(0), 21)}


@pytest.mark.parametrize(("extra", "message"), [
    ({"META-INF/encryption.xml": b"<encryption/>"}, "encrypted or DRM-protected"),
    ({"../evil.txt": b"x"}, "outside itself"),
    ({"/etc/evil": b"x"}, "outside itself"),
])
def test_hostile_epubs_are_refused_with_a_reason(tmp_path: Path, extra: dict[str, bytes],
                                                 message: str) -> None:
    epub = make_epub(tmp_path / "bad.epub", {"a.xhtml": xhtml("<p>text</p>")}, extra=extra)
    with pytest.raises(StoryFileError, match=message) as caught:
        load(epub)
    assert caught.value.exit_code == 4


_ENCRYPTION = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
               'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
               '<enc:EncryptionMethod Algorithm="{}"/><enc:CipherData>'
               '<enc:CipherReference URI="{}"/></enc:CipherData></enc:EncryptedData>'
               '</encryption>')


@pytest.mark.parametrize(("algorithm", "target", "refused"), [
    ("http://www.idpf.org/2008/embedding", "OEBPS/fonts/Serif.otf", False),
    ("http://ns.adobe.com/pdf/enc#RC", "OEBPS/fonts/Serif.ttf", False),
    ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "OEBPS/a.xhtml", True),
    ("http://www.idpf.org/2008/embedding", "OEBPS/a.xhtml", True),
])
def test_only_font_obfuscation_is_let_through_of_encryption_xml(
        tmp_path: Path, algorithm: str, target: str, refused: bool) -> None:
    encryption = _ENCRYPTION.format(algorithm, target).encode()
    epub = make_epub(tmp_path / "e.epub", {"a.xhtml": xhtml("<p>Plain text here.</p>")},
                     extra={"META-INF/encryption.xml": encryption})
    if refused:
        with pytest.raises(StoryFileError, match="encrypted or DRM-protected"):
            load(epub)
    else:
        loaded, _ = load(epub)
        assert plain_text(loaded.story.chapters[0].blocks[0].inlines) == "Plain text here."


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = "<p>" + "a" * (3 * 1024 * 1024) + "</p>"
    epub = make_epub(tmp_path / "bomb.epub", {"a.xhtml": xhtml(bomb)})
    assert epub.stat().st_size < 64 * 1024  # it compresses to almost nothing
    with pytest.raises(StoryFileError, match="unpacks to"):
        epub_tree(epub.read_bytes(), file="bomb.epub", max_bytes=1024 * 1024)
    # within the limit it is read
    root, _ = epub_tree(epub.read_bytes(), file="bomb.epub", max_bytes=4 * 1024 * 1024)
    assert len("".join(root.itertext())) >= 3 * 1024 * 1024


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    epub = make_epub(tmp_path / "many.epub", {"a.xhtml": xhtml("<p>t</p>")},
                     extra={f"f/{i}": b"" for i in range(MAX_MEMBERS)})
    with pytest.raises(StoryFileError, match="holds"):
        load(epub)


def test_a_damaged_epub_is_a_story_file_error(tmp_path: Path) -> None:
    epub = make_epub(tmp_path / "cut.epub", {"a.xhtml": xhtml("<p>text</p>")})
    data = epub.read_bytes()
    epub.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoryFileError):
        load(epub, format="epub")


# ----------------------------------------------------------- model, typography, render


def test_typography_keeps_every_inline_kind_and_line_breaks() -> None:
    inlines = (Text('"Look,'), LineBreak(), Strong((Text("it's"),)), Text(" "),
               Underline((Text("here"),)), Text(" "), Strike((Text("there"),)), Text('..."'))
    out = typeset_inlines(inlines)
    assert [type(s).__name__ for s in out] == [
        "Text", "LineBreak", "Strong", "Text", "Underline", "Text", "Strike", "Text"]
    assert plain_text(out) == "“Look,\nit’s here there…”"


def test_the_renderer_writes_each_inline_kind_as_its_element() -> None:
    parent = etree.Element("{http://www.w3.org/1999/xhtml}p")
    append_inlines(parent, (Text("a"), Emphasis((Text("b"),)), Strong((Text("c"),)),
                            Underline((Text("d"),)), Strike((Text("e"),)), LineBreak(),
                            Text("f")))
    assert [etree.QName(e).localname for e in parent] == ["em", "strong", "u", "s", "br"]
    assert "".join(parent.itertext()) == "abcdef"


def test_the_print_html_has_one_break_per_line_break() -> None:
    # lxml wrote an XHTML br as <br></br>; the HTML5 parser read two breaks,
    # and verse in a block quote came out double-spaced in the PDF.
    from weasyprint import HTML

    from fanbind.pdf.layout import html_source
    from fanbind.render import new_document

    root, body = new_document("t", "en", [])
    verse = etree.SubElement(body, "{http://www.w3.org/1999/xhtml}p")
    append_inlines(verse, (Text("one"), LineBreak(), Text("two"), LineBreak(), Text("three")))
    parsed = HTML(string=html_source(root)).etree_element
    assert [e.tag.rsplit("}", 1)[-1] for e in parsed.iter() if isinstance(e.tag, str)
            ].count("br") == 2


# --------------------------------------------------------- metadata from the file


def test_the_file_fills_what_metadata_yaml_leaves_out_and_yields_where_it_speaks() -> None:
    loaded, diagnostics = load(MULTI, fandoms=["Lighthouse Stories"], summary="Mine.")
    meta = loaded.story.meta
    assert meta.fandoms == ("Lighthouse Stories",)
    assert meta.rating is not None and meta.rating.value == "Teen And Up Audiences"
    assert meta.tags == ("Lighthouses", "Found Family", "Storms")
    assert meta.source == "https://archiveofourown.org/works/900001"
    assert str(meta.published) == "2021-06-12"
    aside = Counter(d.message.split("`")[1] for d in diagnostics if d.code == "FB242")
    assert aside == Counter({"fandoms": 1, "authors": 1, "summary": 1})
    assert [plain_text(p.inlines) for p in loaded.story.summary] == ["Mine."]
    fandom = next(d for d in diagnostics if d.code == "FB242" and "fandoms" in d.message)
    assert fandom.file == "ao3-multi.html" and fandom.line == 28


def test_plain_text_is_read_as_before() -> None:
    text = "A Title\n\nFirst *line* here.\n\n* * *\n\nSecond line.\n"
    diagnostics = Diagnostics()
    loaded = story_from_text(DecodedText(text, "utf-8", ()),
                             StoryConfig(file="s.txt", authors=["a"]), index=0,
                             display_name="s.txt", settings=TextSettings(),
                             diagnostics=diagnostics, suffix=".txt")
    assert loaded.parsed.paragraph_model != "html"
    assert loaded.story.title == "A Title"


# ------------------------------------------------------------- whole books, read back


@pytest.mark.slow
def test_books_from_html_epub_and_markdown_carry_no_markup_and_every_chapter(
        tmp_path: Path) -> None:
    from fanbind.build import build

    stories = tmp_path / "stories"
    stories.mkdir()
    for source in (MULTI, ONESHOT, CHINESE, MARKDOWN):
        (stories / source.name).write_bytes(source.read_bytes())
    ao3_epub(stories / "work.epub")
    (tmp_path / "metadata.yaml").write_text(
        "title: Readers\nstories:\n"
        "  - {file: stories/ao3-multi.html, authors: [fernwick]}\n"
        "  - {file: stories/ao3-oneshot.html, authors: [quillon, tamsin]}\n"
        "  - {file: stories/ao3-zh.html, authors: [青禾], language: zh}\n"
        "  - {file: stories/story.md, authors: [marrow]}\n"
        "  - {file: stories/work.epub, authors: [fernwick], title: From the EPUB}\n",
        encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = build(tmp_path)
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    markup = re.compile(r"<|&#|&[a-z]+;|\{[^}]*:|chapter content")
    with zipfile.ZipFile(epub) as archive:
        texts = []
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                root = etree.fromstring(archive.read(name))
                texts += [t for t in root.itertext()]
        nav = archive.read(next(n for n in archive.namelist() if n.endswith("nav.xhtml")))
    book_text = "".join(texts)
    assert not markup.search(book_text), markup.search(book_text)
    nav_text = "".join(etree.fromstring(nav).itertext())
    for title in ("Chapter 1: The Stairs", "Chapter 3", "第十四夜", "第三夜：“风三”"):
        assert title in nav_text
    assert "Chapter Notes" not in nav_text
    assert "There are two hundred and twelve of them" in book_text
    pdf_text = "".join(page.get_textpage().get_text_range()
                       for page in pdfium.PdfDocument(str(pdf)))
    assert not markup.search(pdf_text)
    squeezed = re.sub(r"\s+", "", pdf_text)  # small caps are letter-spaced in the text layer
    assert "ChapterEndNotes" in squeezed and "Keepthewick" in squeezed
    assert verse_pitch(pdf) < 1.2 * line_pitch(pdf)

    def titles(items) -> list[str]:
        out: list[str] = []
        for item in items:
            out += titles(item) if isinstance(item, list) else [item.title]
        return out

    outline = titles(pypdf.PdfReader(str(pdf)).outline)
    assert outline.count("Chapter 2: What the Logbook Said") == 2  # the HTML and the EPUB
    assert "第十四夜" in outline and "Chapter Notes" not in outline


def _top(pdf: Path, text: str) -> tuple[int, float]:
    """(page index, top of the font box) where ``text`` first occurs, case kept."""
    for number, page in enumerate(pdfium.PdfDocument(str(pdf))):
        found = page.get_textpage().search(text, match_case=True).get_next()
        if found:
            return number, page.get_textpage().get_charbox(found[0], loose=True)[3]
    raise AssertionError(text)


def verse_pitch(pdf: Path) -> float:
    """How far apart the first two verse lines of ao3-multi's chapter 2 are set."""
    (page, first), (same, second) = _top(pdf, "Keep the wick"), _top(pdf, "keep the watch")
    assert page == same
    return first - second


def line_pitch(pdf: Path) -> float:
    """Two lines of one running paragraph in the same chapter, for comparison."""
    (page, first), (same, second) = _top(pdf, "The logbook"), _top(pdf, "only a verse")
    assert page == same and first > second
    return first - second


@pytest.mark.parametrize("mark", ["xxx", "XXX", "x x x", "XxX", "~*~", "-x-", "o0o", "⁂",
                                  "_____", "=====", "-----", "* * *"])
def test_scene_break_marks_from_real_archives_in_plain_text(mark: str) -> None:
    from fanbind.text.structure.parser import parse_story

    story = parse_story(f"Title\n\nOne para here.\n\n{mark}\n\nTwo para here.\n", file="f")
    assert [type(b).__name__ for b in story.chapters[0].blocks] == [
        "Paragraph", "SceneBreak", "Paragraph"]


def test_init_fills_metadata_from_the_files_and_orders_a_series_by_part(tmp_path: Path) -> None:
    import yaml

    from fanbind.settings import load_config
    from fanbind.starter import write_starter

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "c-plain.txt").write_text("A Plain Title\n\nSome plain text here.\n",
                                       encoding="utf-8")
    one_shot = ONESHOT.read_text(encoding="utf-8")
    for name, part, title in (("a-second.html", 2, "Second Bell"), ("b-first.html", 1,
                                                                     "First Bell")):
        page = one_shot.replace("<dt>Stats:</dt>", f"<dt>Series:</dt><dd>Part {part} of "
                                "<a href='https://archiveofourown.org/series/1'>Bells</a>"
                                "</dd>\n<dt>Stats:</dt>").replace("Seven Bells", title)
        (seeds / name).write_text(page, encoding="utf-8")
    (seeds / "d-story.md").write_bytes(MARKDOWN.read_bytes())
    written = write_starter(tmp_path)
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    stories = data["stories"]
    assert [s["file"] for s in stories] == [
        "seeds/b-first.html", "seeds/a-second.html", "seeds/c-plain.txt", "seeds/d-story.md"]
    first = stories[0]
    assert first["title"] == "First Bell" and first["authors"] == ["quillon", "tamsin"]
    assert first["rating"] == "General Audiences" and first["tags"] == ["Ships", "Bells"]
    assert first["source"] == "https://archiveofourown.org/works/900002"
    assert first["summary"] == "The last watch of a long voyage."
    assert stories[2] == {"file": "seeds/c-plain.txt", "title": "A Plain Title",
                          "authors": ["Anonymous"]}
    assert stories[3]["title"] == "The Tide Clock" and stories[3]["authors"] == ["marrow"]
    assert "# from b-first.html (AO3 preface, line 26)" in written.read_text(encoding="utf-8")
    load_config(written)  # and it is a valid metadata.yaml
