"""Metadata harvested from story files (issue 14): FanFicFare's downloads, series and
part, every field a file states filling what metadata.yaml leaves out, FB242.

Fixtures in tests/data/readers/ are invented stories in the shape of FanFicFare's
public writer templates (``fanficfare/writers/``): ``fff-story.html`` its HTML,
``fff-epub/`` the documents of its EPUB (assembled here), ``fff-story.txt`` its TXT.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from fanbind.diagnostics import Diagnostic, Diagnostics
from fanbind.errors import MetadataError
from fanbind.model import Emphasis, Paragraph, Strong, plain_text
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import LoadedStory, WrittenAt, load_story
from fanbind.text.readers.fanficfare import is_fanficfare_text
from fanbind.text.settings import TextSettings
from test_readers import CHINESE, MARKDOWN, MULTI, ONESHOT, make_epub

DATA = Path(__file__).parent / "data" / "readers"
FFF_HTML = DATA / "fff-story.html"
FFF_TXT = DATA / "fff-story.txt"
FFF_EPUB_PARTS = DATA / "fff-epub"


def fff_epub(path: Path) -> Path:
    """FanFicFare's EPUB: title page, contents page and one file per chapter."""
    names = ("title_page.xhtml", "toc_page.xhtml", "file0001.xhtml", "file0002.xhtml")
    return make_epub(path, {name: (FFF_EPUB_PARTS / name).read_text(encoding="utf-8")
                            for name in names})


def load(path: Path, written: WrittenAt | None = None,
         **meta: object) -> tuple[LoadedStory, list[Diagnostic]]:
    diagnostics = Diagnostics()
    config = StoryConfig(file=path.name, **meta)  # type: ignore[arg-type]
    loaded = load_story(path, config, index=0, display_name=path.name, settings=TextSettings(),
                        diagnostics=diagnostics, written=written)
    return loaded, list(diagnostics)


def texts(paragraphs: tuple[Paragraph, ...]) -> list[str]:
    return [plain_text(p.inlines) for p in paragraphs]


def book_text(loaded: LoadedStory) -> str:
    return "\n".join(plain_text(block.inlines) for chapter in loaded.story.chapters
                     for block in chapter.blocks if isinstance(block, Paragraph))


def count_spans(loaded: LoadedStory, kind: type) -> int:
    def walk(inlines: tuple) -> int:
        return sum(isinstance(span, kind) + walk(getattr(span, "children", ()))
                   for span in inlines)
    return sum(walk(block.inlines) for chapter in loaded.story.chapters
               for block in chapter.blocks if isinstance(block, Paragraph))


# ------------------------------------------------------------------- FanFicFare


@pytest.fixture(params=["html", "epub", "txt"])
def fanficfare(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    kind = request.param
    path = {"html": FFF_HTML, "txt": FFF_TXT}.get(kind) or fff_epub(tmp_path / "fff.epub")
    return kind, path


#: What each FanFicFare fixture's title page states (no title page line is story text).
EXPECTED = {
    "html": dict(title="The Orchard Keeper", authors=("wrenfield",),
                 rating="Teen And Up Audiences", warnings=("No Archive Warnings Apply",),
                 categories=("Gen",), fandoms=("Original Work",),
                 relationships=("Maren Holt & Old Tobiah",),
                 characters=("Maren Holt", "Old Tobiah"),
                 tags=("Found Family", "Gardening", "Slow Burn"), language="en",
                 source="https://archiveofourown.org/works/900010", published="2022-09-14",
                 series="Seasons of the Hill", series_part=2,
                 chapters=["Frost Dates", "Grafting"],
                 summary=["An orchard, a ledger of every tree, and the winter it all nearly "
                          "froze."]),
    "epub": dict(title="Lanterns Over Vell", authors=("corriander", "moth_and_ink"),
                 rating="General Audiences", warnings=("No Archive Warnings Apply",),
                 categories=("F/F",), fandoms=("Original Work",),
                 relationships=("Ysolde/Petra Vance",), characters=("Ysolde", "Petra Vance"),
                 tags=("Festivals", "Pining"), language="en",
                 source="https://archiveofourown.org/works/900020", published="2021-12-01",
                 series="Seasons of the Hill", series_part=1,
                 chapters=["First Light", "The Late Letter"],
                 summary=["Paper lanterns, a river town, and a letter that arrives a year "
                          "late."]),
    "txt": dict(title="The Salt Road", authors=("pellucid",), rating="Not Rated",
                warnings=("Creator Chose Not To Use Archive Warnings",), categories=("Gen",),
                fandoms=("Original Work",), relationships=(),
                characters=("Anselm", "The Courier"), tags=("Travel", "Weather"),
                language="en", source=None, published="2023-03-05",
                series="Seasons of the Hill", series_part=3,
                chapters=["The Pass", "Down to the Sea"],
                summary=["A courier carries salt over the pass and learns the names of the "
                         "winds on the way."]),
}


def test_fanficfare_title_page_fills_the_metadata(fanficfare: tuple[str, Path]) -> None:
    kind, path = fanficfare
    loaded, diagnostics = load(path)
    want = EXPECTED[kind]
    meta = loaded.story.meta
    assert loaded.story.title == want["title"]
    assert meta.authors == want["authors"]
    assert meta.rating is not None and meta.rating.value == want["rating"]
    assert meta.warnings == want["warnings"]
    assert tuple(c.value for c in meta.categories) == want["categories"]
    assert meta.fandoms == want["fandoms"]
    assert meta.relationships == want["relationships"]
    assert meta.characters == want["characters"]
    assert meta.tags == want["tags"]
    assert meta.language == want["language"]
    assert meta.source == want["source"]
    assert str(meta.published) == want["published"]
    assert (meta.series, meta.series_part) == (want["series"], want["series_part"])
    assert [ch.title for ch in loaded.story.chapters] == want["chapters"]
    assert texts(loaded.story.summary) == want["summary"]
    assert not [d for d in diagnostics if d.code in ("FB242", "FB243")]


def test_fanficfare_title_page_and_contents_are_never_story_text(
        fanficfare: tuple[str, Path]) -> None:
    kind, path = fanficfare
    loaded, _ = load(path)
    text = book_text(loaded)
    for debris in ("Packaged", "Publisher", "Table of Contents", "TABLE OF CONTENTS",
                   "Status", "Words:", "Chapters:", "Genre", "End file", "by ",
                   "archiveofourown.org", "<", "&#", "**", "_in", "Notes for the Chapter"):
        assert debris not in text, (kind, debris)
    first = loaded.story.chapters[0].blocks[0]
    assert isinstance(first, Paragraph)
    assert plain_text(first.inlines).split()[0] in ("Maren", "The", "Anselm")


def test_fanficfare_notes_stay_with_their_chapter_and_the_works_notes_with_the_story(
        ) -> None:
    html, _ = load(FFF_HTML)
    first, second = html.story.chapters
    assert texts(first.summary) == ["The first cold night."]
    assert texts(first.notes) == ["Apples are real; the frost charts are invented."]
    assert texts(first.end_notes) == ["Next: the grafting knife."]
    assert (second.summary, second.notes, second.end_notes) == ((), (), ())
    assert texts(html.story.notes) == ["Written for a prompt about patience."]
    assert texts(html.story.end_notes) == ["Thank you for reading to the last row."]
    txt, _ = load(FFF_TXT)
    assert texts(txt.story.chapters[0].notes) == ["Written on a long train ride."]


#: The chapter note of fff-story.txt as FanFicFare's TXT writes it through its bundled
#: html2text (2016), which bolds a label with its edge space inside the marks and
#: writes AO3's "Inspired by" links as a list; and as adapters without a block quote
#: give it (a label, a line break, the note).
_TXT_NOTE = "**Notes for the Chapter:**\n\n> Written on a long train ride."


@pytest.mark.parametrize(("form", "where"), [
    ("Notes for the Chapter:\n\n> Written on a long train ride.", "notes"),
    ("**Notes for the Chapter: **\n\n> Written on a long train ride.", "notes"),
    ("**Author's Note:**\n\n  * Inspired by [Salt](https://example.org/works/1) by oleander"
     "\n\n\n\n> Written on a long train ride.", "work"),
    ("**Notes for the Chapter:**  \nWritten on a long train ride.", "notes"),
    ("Notes for the Chapter:  \nWritten on a long train ride.", "notes"),
])
def test_fanficfare_txt_notes_are_found_in_every_form_its_writer_gives_them(
        form: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "fff.txt"
    text = FFF_TXT.read_text(encoding="utf-8")
    assert _TXT_NOTE in text
    path.write_text(text.replace(_TXT_NOTE, form), encoding="utf-8")
    loaded, _ = load(path)
    notes = loaded.story.chapters[0].notes if where == "notes" else loaded.story.notes
    assert texts(notes)[-1] == "Written on a long train ride."
    if "Inspired" in form:
        assert texts(notes)[0] == "Inspired by Salt by oleander"
    assert book_text(loaded).startswith("Anselm walked")
    assert "*" not in book_text(loaded) and "Notes for" not in book_text(loaded)


def test_fanficfare_txt_emphasis_with_its_spaces_inside_the_marks_is_emphasis(
        tmp_path: Path) -> None:
    # html2text 2016 writes <i>in his </i>teeth as "_in his _teeth": CommonMark would
    # set the underscores as characters.
    path = tmp_path / "fff.txt"
    text = FFF_TXT.read_text(encoding="utf-8").replace(
        "_in his teeth_.", "_in his _teeth. The ** bora** and a **gale **came.")
    path.write_text(text, encoding="utf-8")
    loaded, _ = load(path)
    assert "_" not in book_text(loaded) and "*" not in book_text(loaded)
    assert "in his teeth. The bora and a gale came." in book_text(loaded)
    assert count_spans(loaded, Emphasis) == 1 and count_spans(loaded, Strong) == 3


def test_fanficfare_html_notes_with_links_or_without_a_block_quote_are_kept() -> None:
    from fanbind.text.readers.read import read_markup

    page = FFF_HTML.read_text(encoding="utf-8")
    page = page.replace(
        "<b>Author's Note:</b><blockquote", "<b>Author's Note:</b><ul class=\"associations\">"
        "<li>Inspired by <a href=\"https://example.org/works/1\">Salt</a></li></ul><blockquote")
    page = page.replace(
        "<b>Notes for the Chapter:</b><blockquote class=\"userstuff\"><p>Next: the grafting "
        "knife.</p></blockquote>", "<b>Notes for the Chapter: </b><br/>Next: the <i>grafting</i> "
        "knife.<br/>And the ladder.<hr/>")
    story = read_markup(page, "html", file="f.html")
    assert texts(story.notes) == ["Inspired by Salt", "Written for a prompt about patience."]
    assert texts(story.chapters[0].end_notes) == ["Next: the grafting knife.\nAnd the ladder."]


@pytest.mark.parametrize(("path", "emphasis", "strong"), [
    (FFF_HTML, 3, 1),  # every, sixty-one, the two runs of the ledger's margin; stiff
    (FFF_TXT, 1, 1),   # html2text's _in his teeth_ and **bora**
])
def test_fanficfare_keeps_every_emphasised_run(path: Path, emphasis: int, strong: int) -> None:
    loaded, _ = load(path)
    assert count_spans(loaded, Emphasis) == emphasis
    assert count_spans(loaded, Strong) == strong


def test_fanficfare_epub_keeps_emphasis_and_its_centred_ornament_is_a_break(
        tmp_path: Path) -> None:
    from fanbind.model import SceneBreak

    loaded, _ = load(fff_epub(tmp_path / "fff.epub"))
    assert count_spans(loaded, Emphasis) == 2  # "still damp", "Last"
    kinds = [type(b) for b in loaded.story.chapters[0].blocks]
    assert kinds == [Paragraph, Paragraph, SceneBreak, Paragraph]


def test_fanficfare_html_without_its_title_page_keeps_its_contents_out_of_the_text() -> None:
    from fanbind.text.readers.read import read_markup

    page = FFF_HTML.read_text(encoding="utf-8")
    page = page[:page.index('<table class="full">')] + page[page.index("</table>") + 8:]
    story = read_markup(page, "html", file="f.html")
    assert story.title == "The Orchard Keeper"
    assert [ch.title for ch in story.chapters] == ["Frost Dates", "Grafting"]
    text = " ".join(plain_text(b.inlines) for ch in story.chapters for b in ch.blocks
                    if isinstance(b, Paragraph))
    assert "Table of Contents" not in text and "Grafting" not in text


@pytest.mark.parametrize("text", [
    # An AO3 whole-page paste: its labels come before the title, not after a byline.
    "Rating:\nGeneral Audiences\nArchive Warning:\nNo Archive Warnings Apply\n\nTitle\n\nby a\n",
    # A story whose second line happens to start with "by".
    "Morning\n\nby the river the reeds were high.\n\nStatus: unknown\nGenre: none\n",
    "A Title\n\nby someone\n\nRating: Mature\nWarnings: none\n\nText.\n",
])
def test_other_texts_are_not_taken_for_fanficfare(text: str) -> None:
    assert not is_fanficfare_text(text)


# ------------------------------------------------------------- every field, every reader


def ao3_epub_file(tmp_path: Path) -> Path:
    from test_readers import ao3_epub
    return ao3_epub(tmp_path / "ao3.epub")


#: Each reader's fixture and the fields it states (metadata.yaml left empty).
READERS = {
    "ao3-html": (lambda tmp: MULTI, ("title", "authors", "rating", "warnings", "categories",
                                     "fandoms", "relationships", "characters", "tags",
                                     "language", "source", "published", "series",
                                     "series_part", "summary", "notes", "end_notes")),
    "ao3-epub": (ao3_epub_file, ("title", "authors", "rating", "warnings", "categories",
                                 "fandoms", "relationships", "characters", "tags", "language",
                                 "source", "published", "series", "series_part", "summary",
                                 "notes", "end_notes")),
    "ao3-zh": (lambda tmp: CHINESE, ("title", "authors", "rating", "fandoms", "language")),
    "ao3-oneshot": (lambda tmp: ONESHOT, ("title", "authors", "rating", "warnings", "fandoms",
                                          "tags", "source", "published", "summary")),
    "fff-html": (lambda tmp: FFF_HTML, ("title", "authors", "rating", "warnings", "categories",
                                        "fandoms", "relationships", "characters", "tags",
                                        "language", "source", "published", "series",
                                        "series_part", "summary", "notes", "end_notes")),
    "fff-epub": (lambda tmp: fff_epub(tmp / "fff.epub"),
                 ("title", "authors", "rating", "warnings", "categories", "fandoms",
                  "relationships", "characters", "tags", "language", "source", "published",
                  "series", "series_part", "summary")),
    "fff-txt": (lambda tmp: FFF_TXT, ("title", "authors", "rating", "warnings", "categories",
                                      "fandoms", "characters", "tags", "language", "published",
                                      "series", "series_part", "summary")),
    "ao3-paste": (lambda tmp: DATA / "ao3-paste.txt",
                  ("title", "authors", "rating", "warnings", "categories", "fandoms",
                   "characters", "tags", "language", "series", "series_part", "published",
                   "summary")),
    "markdown": (lambda tmp: MARKDOWN, ("title", "authors")),
}
#: A value metadata.yaml could give for each field, unlike every fixture's.
MINE: dict[str, object] = {
    "title": "Mine", "authors": ["me"], "rating": "Explicit", "warnings": ["Mine W"],
    "categories": ["Multi"], "fandoms": ["Mine F"], "relationships": ["A/B"],
    "characters": ["C"], "tags": ["T"], "language": "de", "source": "https://example.org/m",
    "published": "2000-01-02", "series": "Mine S", "series_part": 9, "summary": "Mine.",
    "notes": "Mine.", "end_notes": "Mine.",
}


def _value(loaded: LoadedStory, field: str) -> object:
    if field == "title":
        return loaded.story.title
    if field in ("summary", "notes", "end_notes"):
        return texts(getattr(loaded.story, field))
    return getattr(loaded.story.meta, field)


@pytest.mark.parametrize("reader", list(READERS))
def test_every_field_a_file_states_fills_what_metadata_yaml_leaves_out(
        reader: str, tmp_path: Path) -> None:
    make, fields = READERS[reader]
    path = make(tmp_path)
    loaded, _ = load(path)
    for field in fields:
        assert _value(loaded, field) not in (None, (), [], "Untitled"), (reader, field)


@pytest.mark.parametrize("reader", list(READERS))
def test_metadata_yaml_wins_every_field_and_fb242_names_it_with_both_lines(
        reader: str, tmp_path: Path) -> None:
    make, fields = READERS[reader]
    path = make(tmp_path)
    lines = tuple((field, 10 + i) for i, field in enumerate(fields))
    written = WrittenAt("zine/metadata.yaml", lines, (("authors", "author"),))
    loaded, diagnostics = load(path, written, **{f: MINE[f] for f in fields})
    aside = {d.message.split("`")[1]: d for d in diagnostics if d.code == "FB242"}
    for field, line in lines:
        key = "author" if field == "authors" else field
        assert key in aside, (reader, field)
        finding = aside[key]
        assert f"zine/metadata.yaml:{line} gives `{key}`" in finding.message
        assert finding.hint is not None and f"delete `{key}:`" in finding.hint
        assert f"(line {line})" in finding.hint
        if path.suffix == ".epub":  # the document inside the EPUB that states it
            assert finding.file.startswith(f"{path.name} \u203a OEBPS/"), finding.file
        else:
            assert finding.file == path.name
        mine = MINE[field]
        got = _value(loaded, field)
        if field == "title":
            assert got == "Mine"
        elif field in ("summary", "notes", "end_notes"):
            assert got == ["Mine."]
        else:
            shown = tuple(getattr(v, "value", v) for v in got) if isinstance(got, tuple) \
                else str(getattr(got, "value", got))
            assert shown == (tuple(mine) if isinstance(mine, list) else str(mine)), field
    # The file's line is named where the file gives one for the field.
    assert aside["title"].line is not None


def test_fb242_hint_for_authors_names_the_field_and_says_what_to_do() -> None:
    _, diagnostics = load(MULTI, WrittenAt("metadata.yaml", (("authors", 7),)),
                          authors=["someone"])
    finding = next(d for d in diagnostics if d.code == "FB242" and "authors" in d.message)
    assert finding.hint == ("to use the file's, delete `authors:` from metadata.yaml (line 7); "
                            "to keep yours, nothing needs doing")


# ------------------------------------------------------------------ authors left out


def _project(tmp_path: Path, story: str, name: str, entry: str) -> Path:
    (tmp_path / name).write_text(story, encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text(f"title: T\nstories:\n  - {entry}\n",
                                            encoding="utf-8")
    return tmp_path


def test_no_author_anywhere_is_refused_at_the_storys_line(tmp_path: Path) -> None:
    from fanbind.build import load_book
    from fanbind.project import open_project

    project = _project(tmp_path, "A Title\n\nSome words.\n", "a.txt", "file: a.txt")
    with pytest.raises(MetadataError) as info:
        load_book(open_project(project))
    error = info.value
    assert (error.line, error.column) == (3, 5)
    assert "missing `author:`" in error.message and "a.txt names no author" in error.message
    assert error.hint is not None and "author: Anonymous" in error.hint


def test_authors_left_out_come_from_the_files_byline(tmp_path: Path) -> None:
    from fanbind.build import load_book
    from fanbind.project import open_project

    project = _project(tmp_path, FFF_HTML.read_text(encoding="utf-8"), "s.html", "file: s.html")
    book = load_book(open_project(project))
    assert book.anthology.stories[0].meta.authors == ("wrenfield",)
    assert not [d for d in book.diagnostics if d.code == "FB242"]


def test_check_lists_every_disagreement_without_verbose(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fanbind.cli import app

    (tmp_path / "s.html").write_bytes(FFF_HTML.read_bytes())
    (tmp_path / "metadata.yaml").write_text(
        "title: T\nstories:\n  - file: s.html\n    author: me\n    rating: Explicit\n"
        "    fandoms: [Original Work]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "s.html:12: FB242 metadata.yaml:4 gives `author`" in output
    assert "s.html:36: FB242 metadata.yaml:5 gives `rating`" in output
    assert "fandoms" not in output  # the same value in both: nothing to report
    assert "2 field(s) where a story file and metadata.yaml differ" in output


# ------------------------------------------------------------------- series in the preface


def test_series_and_part_are_shown_in_the_story_preface() -> None:
    from fanbind.model import Anthology
    from fanbind.render import render_book
    from fanbind.settings.schema import AnthologyConfig

    loaded, _ = load(FFF_HTML)
    book = Anthology(AnthologyConfig(title="T", stories=(loaded.story.meta,)), (loaded.story,))
    story = next(doc for doc in render_book(book) if doc.story is not None)
    assert story.formats == {"epub", "pdf"}  # one tree for both outputs
    text = etree.tostring(story.root, encoding="unicode")
    assert "<dt>Series</dt>" in text and "Part 2 of Seasons of the Hill" in text


def test_a_cached_story_names_metadata_yamls_lines_of_this_build(tmp_path: Path) -> None:
    """The cache is not keyed on metadata.yaml's lines, yet FB242 names the current ones."""
    from fanbind.build import load_book
    from fanbind.cache import ProjectCache
    from fanbind.project import open_project

    (tmp_path / "s.html").write_bytes(FFF_HTML.read_bytes())
    entry = "  - file: s.html\n    author: me\n"
    lines = []
    for head in ("title: T\nstories:\n", "title: T\nsubtitle: S\nstories:\n"):
        (tmp_path / "metadata.yaml").write_text(head + entry, encoding="utf-8")
        store = ProjectCache(tmp_path, enabled=True)
        book = load_book(open_project(tmp_path), cache=store, jobs=1)
        finding = next(d for d in book.diagnostics if d.code == "FB242")
        lines.append((finding.message.split(" gives")[0], finding.hint, store.hits))
    assert lines[0][0] == "metadata.yaml:4" and "(line 4)" in (lines[0][1] or "")
    assert lines[1][0] == "metadata.yaml:5" and "(line 5)" in (lines[1][1] or "")
    assert lines[1][2] == 1  # the story itself came from the cache


# ------------------------------------------------------------------ init, then build


def test_init_then_build_on_a_folder_of_downloads_needs_no_hand_written_metadata(
        tmp_path: Path) -> None:
    """AO3 HTML and EPUB, FanFicFare HTML, EPUB and TXT: init names every title and
    author and where each field came from; the build's OPF, nav and prefaces carry them."""
    import zipfile

    import yaml

    from fanbind.build import build
    from fanbind.settings import load_config
    from fanbind.starter import write_starter
    from test_readers import ao3_epub

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for source in (MULTI, ONESHOT, FFF_HTML, FFF_TXT):
        (seeds / source.name).write_bytes(source.read_bytes())
    ao3_epub(seeds / "salt-coast.epub")
    fff_epub(seeds / "lanterns.epub")
    written = write_starter(tmp_path)
    text = written.read_text(encoding="utf-8")
    for placeholder in ("Preface", "Anonymous", "Untitled", "# title:"):
        assert placeholder not in text
    assert ("authors: [\"wrenfield\"]   # from fff-story.html (FanFicFare title page, line 12)"
            in text)
    assert "rating: \"Teen And Up Audiences\"   # from ao3-multi.html (AO3 preface, line 22)" \
        in text
    assert "series_part: 3   # from fff-story.txt (FanFicFare title page, line 9)" in text
    # inside a zip, the line is that of the document inside it
    assert ("rating: \"General Audiences\"   # from lanterns.epub (FanFicFare title page, "
            "OEBPS/title_page.xhtml line 31)") in text
    stories = yaml.safe_load(text)["stories"]
    assert all(story["title"] and story["authors"] for story in stories)
    # One series in part order, in the places its stories held by file name.
    seasons = [(s["file"], s["series_part"]) for s in stories
               if s.get("series") == "Seasons of the Hill"]
    assert [part for _, part in seasons] == [1, 2, 3]
    assert [name for name, _ in seasons] == [
        "seeds/lanterns.epub", "seeds/fff-story.html", "seeds/fff-story.txt"]
    load_config(written)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = build(tmp_path, formats=("epub",))
    assert not [d for d in result.diagnostics if d.code == "FB242"]
    with zipfile.ZipFile(result.outputs[0]) as archive:
        names = archive.namelist()
        opf = archive.read(next(n for n in names if n.endswith(".opf"))).decode()
        nav = archive.read(next(n for n in names if n.endswith("nav.xhtml"))).decode()
        pages = "".join(archive.read(n).decode() for n in names if n.endswith(".xhtml"))
    for author in ("fernwick", "quillon", "tamsin", "wrenfield", "corriander", "moth_and_ink",
                   "pellucid"):
        assert f">{author}</dc:creator>" in opf
    for subject in ("Maren Holt &amp; Old Tobiah", "Ysolde/Petra Vance", "Anselm", "Slow Burn",
                    "Lighthouses"):
        assert f">{subject}</dc:subject>" in opf
    for title in ("The Orchard Keeper", "Lanterns Over Vell", "The Salt Road", "Seven Bells",
                  "Frost Dates", "The Late Letter", "Down to the Sea"):
        assert title in nav
    assert "Packaged" not in pages and "TABLE OF CONTENTS" not in pages
    assert pages.count("Part 2 of Seasons of the Hill") == 1
    assert "Part 3 of Seasons of the Hill" in pages and "Part 2 of The Salt Coast" in pages


@pytest.mark.parametrize("path", [FFF_HTML, FFF_TXT])
def test_a_fanficfare_download_cut_anywhere_never_raises_or_leaks_markup(path: Path) -> None:
    """A download cut short (an interrupted save) is read as far as it goes."""
    from fanbind.text.normalize import clean_text
    from fanbind.text.readers.fanficfare import read_fanficfare_text
    from fanbind.text.readers.read import read_markup

    whole = path.read_text(encoding="utf-8")
    cuts = range(40, len(whole), len(whole) // 40)
    for cut in cuts:
        text, _ = clean_text(whole[:cut], file="f")
        if path.suffix == ".html":
            story = read_markup(text, "html", file="f")
        elif is_fanficfare_text(text):
            story = read_fanficfare_text(text, file="f")
        else:
            continue
        for chapter in story.chapters:
            for block in chapter.blocks:
                if isinstance(block, Paragraph):
                    words = plain_text(block.inlines)
                    assert "<" not in words and "&#" not in words, (cut, words)
    assert len(cuts) >= 39
