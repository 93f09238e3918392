"""The EPUB, read back: valid, Kindle-safe, navigable, honest metadata, reproducible.

Test books are built once per session (``books``): the sample, a "tricky" book
(markup characters, quotes and non-ASCII text in every field, two languages,
chapters, a series, warnings at the back, and a page-list from a stand-in page
map), a one-story book with the user's own cover and embedded fonts, and a
300-story book. EPUBCheck runs once per book (``epubcheck_reports``). Every
other test opens the zip and parses what it needs with lxml.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import tinycss2
import yaml
from lxml import etree
from PIL import Image
from tests.conftest import SOURCE_DATE_EPOCH, copy_sample, read_zip, run_epubcheck, summarize

from fanbind.build import build, load_book, open_project
from fanbind.cover import HEIGHT, WIDTH, generated_cover
from fanbind.epub import accessibility_metadata
from fanbind.errors import MetadataError
from fanbind.render import EPUB_TYPE, XHTML_NS, insert_page_breaks, page_anchor, render_book

DATA = Path(__file__).parent / "data" / "epub"
NS = {"x": XHTML_NS, "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XML_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>"
TRICKY_TITLE = "Zoë & the <Ångström> “Quoted” Book"


# ---------------------------------------------------------------------- fixtures


@dataclass
class Book:
    """A built EPUB, unzipped and parsed once."""

    path: Path
    files: dict[str, bytes]

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.files[f"EPUB/{name}"])

    @property
    def opf(self) -> etree._Element:
        return self.xml("content.opf")

    def xhtml_names(self) -> list[str]:
        return sorted(n.removeprefix("EPUB/") for n in self.files if n.endswith(".xhtml"))

    def metas(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


def fake_page_map(documents) -> tuple[tuple[str, str], ...]:
    """A stand-in for the PDF's page map, shaped like the real one.

    Roman labels for the front matter (one of them for the print-only
    half-title, which has no place in the EPUB), every fourth story block, a
    paragraph running over two pages (its id twice), a page starting at a scene
    break (an ``hr``, which cannot hold the marker), back matter, and an id no
    document has.
    """
    pages = [("half-title", "i"), ("titlepage", "iii"), ("colophon", "iv"), ("contents", "v")]
    blocks = [el.get("id") for doc in documents for el in doc.root.iter(f"{{{XHTML_NS}}}p",
                                                                         f"{{{XHTML_NS}}}hr")
              if re.fullmatch(r"story-\d+-b\d+", el.get("id") or "")]
    hrs = [el.get("id") for doc in documents for el in doc.root.iter(f"{{{XHTML_NS}}}hr")]
    chosen = list(dict.fromkeys([*blocks[::4], *hrs]))
    chosen.sort(key=blocks.index)
    number = 1
    for index, block in enumerate(chosen):
        pages.append((block, str(number)))
        number += 1
        if index == 1:  # a long paragraph: the next page starts inside it too
            pages.append((block, str(number)))
            number += 1
    pages += [("authors", str(number)), ("no-such-block", str(number + 1))]
    return tuple(pages)


def _copy_tricky(target: Path) -> Path:
    shutil.copytree(DATA / "tricky", target)
    return target


def _one_story_project(target: Path) -> Path:
    """One story, the user's own JPEG cover (a name with a space), embedded fonts."""
    (target / "images").mkdir(parents=True)
    image = Image.new("RGB", (400, 640), "#336699")
    image.save(target / "images" / "my cover.jpg", "JPEG", quality=80)
    shutil.copy(DATA / "tricky" / "stories" / "plain.txt", target / "story.txt")
    (target / "metadata.yaml").write_text(yaml.safe_dump({
        "title": "Just One", "editor": "Solo Editor", "cover": "images/my cover.jpg",
        "embed_fonts": True, "warnings_display": "hidden",
        "stories": [{"file": "story.txt", "title": "The Only Story", "authors": ["Solo"],
                     "warnings": ["Major Character Death"], "end_notes": "The end."}],
    }, allow_unicode=True), encoding="utf-8")
    return target


def _many_stories_project(target: Path, count: int = 300) -> Path:
    (target / "seeds").mkdir(parents=True)
    stories = []
    for index in range(count):
        name = f"seeds/s{index:03d}.txt"
        (target / name).write_text(f"Story {index}\n\nThe first paragraph of story {index}.\n\n"
                                   "A second paragraph, in which it rains.\n", encoding="utf-8")
        stories.append({"file": name, "title": f"Story Number {index + 1}",
                        "authors": [f"Writer {index % 37}"], "tags": ["Fluff", f"Tag {index % 7}"]})
    (target / "metadata.yaml").write_text(yaml.safe_dump({"title": "Three Hundred",
                                                          "stories": stories}), encoding="utf-8")
    return target


@dataclass
class Books:
    sample: Book
    tricky: Book
    one: Book
    many: Book
    tricky_page_map: tuple[tuple[str, str], ...]
    tricky_project: Path
    one_project: Path


@pytest.fixture(scope="session")
def books(sample_build, tmp_path_factory: pytest.TempPathFactory) -> Books:
    root = tmp_path_factory.mktemp("epub-books")
    tricky = _copy_tricky(root / "tricky")
    one = _one_story_project(root / "one")
    many = _many_stories_project(root / "many")
    captured: dict[str, tuple] = {}

    def stand_in(anthology, documents, **_kwargs):
        captured["map"] = fake_page_map(documents)
        return captured["map"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        tricky_epub = build(tricky, formats=("epub",), page_list=True,
                            page_layout=stand_in).outputs[0]
        one_epub = build(one, formats=("epub",)).outputs[0]
        many_epub = build(many, formats=("epub",)).outputs[0]
    return Books(Book(sample_build.epub, read_zip(sample_build.epub)),
                 Book(tricky_epub, read_zip(tricky_epub)), Book(one_epub, read_zip(one_epub)),
                 Book(many_epub, read_zip(many_epub)), captured["map"], tricky, one)


@pytest.fixture(scope="session")
def epubcheck_reports(books: Books, tmp_path_factory) -> dict[str, dict]:
    paths = {"tricky": books.tricky.path, "one": books.one.path, "many": books.many.path}
    reports = run_epubcheck(list(paths.values()), tmp_path_factory.mktemp("epubcheck-books"),
                            usage=True)
    return {name: reports[path] for name, path in paths.items()}


def all_books(books: Books) -> list[Book]:
    return [books.sample, books.tricky, books.one, books.many]


# ---------------------------------------------------------------------- validity


def test_sample_epubcheck_clean_with_usage(sample_epubcheck):
    checker = sample_epubcheck["checker"]
    assert checker["checkerVersion"].startswith("5.")
    counts = (checker["nFatal"], checker["nError"], checker["nWarning"], checker["nUsage"])
    assert counts == (0, 0, 0, 0), "\n".join(summarize(sample_epubcheck))


@pytest.mark.parametrize("name", ["tricky", "many"])
def test_test_books_epubcheck_clean(epubcheck_reports, name):
    report = epubcheck_reports[name]
    checker = report["checker"]
    counts = (checker["nFatal"], checker["nError"], checker["nWarning"], checker["nUsage"])
    assert counts == (0, 0, 0, 0), "\n".join(summarize(report))


def test_embedded_fonts_book_epubcheck_clean(epubcheck_reports):
    """The only message allowed is CSS-028, EPUBCheck's note that @font-face is used.

    It is a usage note EPUBCheck gives for every embedded font whatever the CSS
    says, so a book with ``embed_fonts: true`` cannot avoid it.
    """
    report = epubcheck_reports["one"]
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), \
        "\n".join(summarize(report))
    assert {m["ID"] for m in report["messages"]} <= {"CSS-028"}, "\n".join(summarize(report))


def test_every_text_file_declares_utf8(books):
    for book in all_books(books):
        for name, data in book.files.items():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                assert data.startswith(XML_DECLARATION), name
                data.decode("utf-8")


def test_file_names_are_ascii_without_spaces(books):
    for book in all_books(books):
        for name in book.files:
            assert re.fullmatch(r"[A-Za-z0-9._/-]+", name), name


def test_no_link_targets_a_body_and_every_target_exists(books):
    for book in all_books(books):
        ids = {}
        for name in book.xhtml_names():
            root = book.xml(name)
            ids[name] = {el.get("id") for el in root.iter() if isinstance(el.tag, str)
                         and el.get("id")}
            assert root.find("x:body", NS).get("id") is None, name
        hrefs = [(name, a.get("href")) for name in book.xhtml_names()
                 for a in book.xml(name).iter(f"{{{XHTML_NS}}}a")]
        ncx = book.xml("toc.ncx")
        hrefs += [("toc.ncx", c.get("src")) for c in ncx.iter(f"{{{NS['ncx']}}}content")]
        hrefs += [("content.opf", r.get("href")) for r in
                  book.opf.iterfind(".//opf:guide/opf:reference", NS)]
        assert hrefs
        for source, href in hrefs:
            if "://" in href:
                continue
            filename, _, fragment = href.partition("#")
            assert filename in ids, (source, href)
            if fragment:
                assert fragment in ids[filename], (source, href)


def test_images_have_src_and_alt(books):
    for book in all_books(books):
        images = [(name, img) for name in book.xhtml_names()
                  for img in book.xml(name).iter(f"{{{XHTML_NS}}}img")]
        assert images, "every book has at least its cover"
        for name, img in images:
            assert img.get("src") and f"EPUB/{img.get('src')}" in book.files, name
            assert (img.get("alt") or "").strip(), name


def test_language_is_valid_bcp47(books):
    for book in all_books(books):
        languages = book.opf.xpath("//dc:language/text()", namespaces=NS)
        assert languages and all(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", lang)
                                 for lang in languages)


# ---------------------------------------------------------------------- cover


def _cover_item(book: Book) -> etree._Element:
    items = book.opf.xpath("//opf:manifest/opf:item[contains(@properties, 'cover-image')]",
                           namespaces=NS)
    assert len(items) == 1
    meta = book.opf.xpath("//opf:meta[@name='cover']/@content", namespaces=NS)
    assert meta == [items[0].get("id")]
    return items[0]


def test_generated_cover(books):
    item = _cover_item(books.sample)
    assert item.get("media-type") == "image/png"
    data = books.sample.files["EPUB/" + item.get("href")]
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (WIDTH, HEIGHT)
    cover_page = books.sample.xml("cover.xhtml")
    img = cover_page.find(".//x:img", NS)
    assert img.get("src") == item.get("href")
    assert img.get("alt") == ("Cover: Bonds of the Leaf. Five Stories of Kakashi, Iruka and "
                              "Minato. Edited by The fanbind team.")
    assert img.get("role") == "doc-cover"


def test_generated_cover_is_deterministic_and_differs_by_title(books):
    meta = open_project(books.tricky_project).config
    first, second = generated_cover(meta), generated_cover(meta)
    assert first.data == second.data
    other = generated_cover(meta.model_copy(update={"title": "Another Book"}))
    assert other.data != first.data


def test_users_cover_is_stored_unchanged(books):
    item = _cover_item(books.one)
    assert item.get("href") == "images/cover.jpg" and item.get("media-type") == "image/jpeg"
    original = (books.one_project / "images" / "my cover.jpg").read_bytes()
    assert books.one.files["EPUB/images/cover.jpg"] == original
    img = books.one.xml("cover.xhtml").find(".//x:img", NS)
    assert img.get("alt") == "Cover of Just One"


def test_cover_in_other_formats_is_converted(tmp_path):
    from fanbind.cover import load_cover

    meta = open_project(_one_story_project(tmp_path / "p")).config
    Image.new("RGB", (40, 64), "red").save(tmp_path / "c.webp", "WEBP")
    Image.new("RGBA", (40, 64), (0, 0, 0, 0)).save(tmp_path / "c.gif", "GIF")
    webp = load_cover(tmp_path / "c.webp", meta, shown="c.webp", metadata_file="metadata.yaml")
    gif = load_cover(tmp_path / "c.gif", meta, shown="c.gif", metadata_file="metadata.yaml")
    assert (webp.media_type, webp.file_name) == ("image/jpeg", "images/cover.jpg")
    assert Image.open(io.BytesIO(webp.data)).format == "JPEG"
    assert (gif.media_type, gif.file_name) == ("image/png", "images/cover.png")


@pytest.mark.parametrize(("cover", "message"), [
    ("../outside.jpg", "points outside the project folder"),
    ("images/missing.jpg", "does not exist"),
    ("story.txt", r"cannot be read as an image \(not an image, or damaged"),
    ("cut.png", r"cannot be read as an image \(the file is cut short\)"),
])
def test_bad_cover_is_a_metadata_error(tmp_path, cover, message):
    """Named in words: never Pillow's ``<_io.BytesIO object at 0x…>``."""
    project = _one_story_project(tmp_path / "p")
    Image.new("RGB", (10, 10)).save(tmp_path / "outside.jpg")
    whole = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(whole, "PNG")
    (project / "cut.png").write_bytes(whole.getvalue()[:60])
    meta = yaml.safe_load((project / "metadata.yaml").read_text(encoding="utf-8"))
    meta["cover"] = cover
    (project / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    with pytest.raises(MetadataError, match=message) as caught:
        build(project, formats=("epub",))
    assert caught.value.exit_code == 3
    assert "BytesIO" not in str(caught.value) and " at 0x" not in str(caught.value)
    assert not list((project / "dist").glob("*.epub"))


# ---------------------------------------------------------------------- navigation


def _nav_tree(ol: etree._Element) -> list[tuple[str, str, list]]:
    return [(li.find("x:a", NS).text, li.find("x:a", NS).get("href"),
             _nav_tree(li.find("x:ol", NS)) if li.find("x:ol", NS) is not None else [])
            for li in ol.findall("x:li", NS)]


def _ncx_tree(parent: etree._Element) -> list[tuple[str, str, list]]:
    return [(p.findtext("ncx:navLabel/ncx:text", namespaces=NS),
             p.find("ncx:content", NS).get("src"), _ncx_tree(p))
            for p in parent.findall("ncx:navPoint", NS)]


def test_nav_has_story_chapter_hierarchy(books):
    nav = books.tricky.xml("nav.xhtml")
    tree = _nav_tree(nav.find(".//x:nav[@epub:type='toc']/x:ol", NS))
    titles = [title for title, _, _ in tree]
    assert titles == ["Title Page", "Copyright", "Contents", "Chapters & <Scenes>",
                      "Die Brücke über den Fluss", "No Warnings Here", "Archive Warnings",
                      "About the Authors"]
    chapters = tree[3][2]
    assert [title for title, _, _ in chapters] == ["Chapter 1: Arrival", "Chapter 2: Departure"]
    assert chapters[0][1] == "story-001.xhtml#story-001-ch1"


def test_ncx_mirrors_nav(books):
    for book in all_books(books):
        nav = book.xml("nav.xhtml")
        ncx = book.xml("toc.ncx")
        toc = _nav_tree(nav.find(".//x:nav[@epub:type='toc']/x:ol", NS))
        assert _ncx_tree(ncx.find("ncx:navMap", NS)) == toc

        def depth(tree):
            return max((1 + depth(children) for _, _, children in tree), default=0)

        assert ncx.xpath("string(//ncx:meta[@name='dtb:depth']/@content)",
                         namespaces=NS) == str(depth(toc))
        page_nav = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
        targets = ncx.findall("ncx:pageList/ncx:pageTarget", NS)
        assert [(a.text, a.get("href")) for a in page_nav] == \
            [(t.findtext("ncx:navLabel/ncx:text", namespaces=NS),
              t.find("ncx:content", NS).get("src")) for t in targets]


def test_ncx_play_order_follows_reading_order(books):
    ncx = books.tricky.xml("toc.ncx")
    spine = [books.tricky.opf.xpath(f"string(//opf:item[@id='{ref}']/@href)", namespaces=NS)
             for ref in books.tricky.opf.xpath("//opf:itemref/@idref", namespaces=NS)]
    position = {}
    for index, name in enumerate(spine):
        position[name] = (index, -1)
        for order, el in enumerate(books.tricky.xml(name).iter()):
            if isinstance(el.tag, str) and el.get("id"):
                position[f"{name}#{el.get('id')}"] = (index, order)
    pairs = [(position[el.find("ncx:content", NS).get("src")], int(el.get("playOrder")))
             for el in ncx.iter(f"{{{NS['ncx']}}}navPoint", f"{{{NS['ncx']}}}pageTarget")]
    by_place = dict(pairs)
    assert all(by_place[place] == order for place, order in pairs), "same place, same number"
    ordered = sorted(by_place)
    assert [by_place[place] for place in ordered] == list(range(1, len(ordered) + 1))


def test_landmarks_and_guide(books):
    for book in (books.sample, books.tricky):
        nav = book.xml("nav.xhtml")
        landmarks = {a.get(EPUB_TYPE): a.get("href") for a in
                     nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)}
        assert {"cover": "cover.xhtml", "titlepage": "titlepage.xhtml", "toc": "contents.xhtml",
                "bodymatter": "story-001.xhtml"}.items() <= landmarks.items()
        spine = {book.opf.xpath(f"string(//opf:item[@id='{ref}']/@href)", namespaces=NS)
                 for ref in book.opf.xpath("//opf:itemref/@idref", namespaces=NS)}
        assert set(landmarks.values()) <= spine
        guide = {r.get("type"): r.get("href") for r in
                 book.opf.iterfind(".//opf:guide/opf:reference", NS)}
        assert guide == {"cover": "cover.xhtml", "title-page": "titlepage.xhtml",
                         "copyright-page": "colophon.xhtml", "toc": "contents.xhtml",
                         "text": "story-001.xhtml"}


def test_three_hundred_stories(books):
    opf = books.many.opf
    spine = opf.xpath("//opf:itemref/@idref", namespaces=NS)
    assert spine[4:304] == [f"story-{n:03d}" for n in range(1, 301)]
    nav_titles = books.many.xml("nav.xhtml").xpath(
        "//x:nav[@epub:type='toc']/x:ol/x:li/x:a/text()", namespaces=NS)
    assert [t for t in nav_titles if t.startswith("Story Number")] == \
        [f"Story Number {n}" for n in range(1, 301)]
    authors = books.many.xml("authors.xhtml").xpath("//x:h2/text()", namespaces=NS)
    assert len(authors) == 37


# ---------------------------------------------------------------------- page-list


def test_page_list_matches_the_page_map(books):
    book, page_map = books.tricky, books.tricky_page_map
    placed = [(block, label) for block, label in page_map
              if block not in ("half-title", "no-such-block")]
    nav = book.xml("nav.xhtml")
    entries = [(a.text, a.get("href")) for a in
               nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)]
    assert [label for label, _ in entries] == [label for _, label in placed]
    for (block, label), (_, href) in zip(placed, entries, strict=True):
        filename, _, anchor = href.partition("#")
        assert anchor == page_anchor(label)
        root = book.xml(filename)
        marker = root.xpath(f"//*[@id='{anchor}']")[0]
        assert etree.QName(marker).localname == "span"
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == label and not (marker.text or "")
        target = root.xpath(f"//*[@id='{block}']")[0]
        if etree.QName(target).localname == "hr":
            # An hr holds nothing: the marker stands just before it.
            following = marker.itersiblings()
            assert next(el for el in following if el.get("role") != "doc-pagebreak") is target
        else:
            assert marker.getparent() is target
            # Markers come first in the block, before any of its text.
            before = [target.text or ""] + [(m.tail or "") for m in target
                                            if m.get("role") == "doc-pagebreak" and
                                            m.getnext() is not None and
                                            m.getnext().get("role") == "doc-pagebreak"]
            assert "".join(before) == ""


def test_page_list_text_is_untouched(books):
    """Markers add no text: each block reads exactly as it does without a page-list."""
    project = open_project(books.tricky_project)
    documents = render_book(load_book(project).anthology)
    copies, targets = insert_page_breaks(documents, books.tricky_page_map)
    assert targets
    for original, marked in zip(documents, copies, strict=True):
        assert "".join(original.root.itertext()) == "".join(marked.root.itertext())
    assert not any(el.get("role") == "doc-pagebreak" for doc in documents
                   for el in doc.root.iter() if isinstance(el.tag, str)), "originals unchanged"


def test_page_list_metadata(books):
    features = books.tricky.metas("schema:accessibilityFeature")
    assert {"printPageNumbers", "pageBreakMarkers", "pageNavigation"} <= set(features)
    source = books.tricky.metas("pageBreakSource")
    assert len(source) == 1 and TRICKY_TITLE in source[0]
    ncx = books.tricky.xml("toc.ncx")
    numbers = [int(label) for _, label in books.tricky_page_map if label.isdigit()]
    assert ncx.xpath("string(//ncx:meta[@name='dtb:maxPageNumber']/@content)",
                     namespaces=NS) == str(max(numbers) - 1)  # the last one has no place
    types = {t.findtext("ncx:navLabel/ncx:text", namespaces=NS): t.get("type")
             for t in ncx.iterfind("ncx:pageList/ncx:pageTarget", NS)}
    assert types["iii"] == "front" and types["1"] == "normal"


def test_no_page_list_without_a_page_map(books):
    for book in (books.one, books.many):
        assert not book.xml("nav.xhtml").xpath("//x:nav[@epub:type='page-list']", namespaces=NS)
        assert "printPageNumbers" not in book.metas("schema:accessibilityFeature")
        assert not book.metas("pageBreakSource")
        assert b"pagebreak" not in b"".join(book.files[f"EPUB/{n}"] for n in book.xhtml_names())


def test_page_map_of_the_pdf_reaches_the_epub(tmp_path, monkeypatch):
    """With the PDF built in the same run, its page map becomes the page-list."""
    from tests.conftest import copy_sample

    import fanbind.pdf.layout

    project = copy_sample(tmp_path / "sample")
    seen = {}

    def fake_write_pdf(anthology, documents, target, **kwargs):
        target.write_bytes(b"%PDF-1.7\n")
        seen["map"] = fake_page_map(documents)
        return fanbind.pdf.layout.PdfResult(len(seen["map"]), (), (), page_map=seen["map"])

    monkeypatch.setattr(fanbind.pdf.layout, "write_pdf", fake_write_pdf)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    result = build(project, jobs=1)  # in one piece: by default the sample is laid out in parts
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    nav = etree.fromstring(read_zip(epub)["EPUB/nav.xhtml"])
    labels = nav.xpath("//x:nav[@epub:type='page-list']//x:a/text()", namespaces=NS)
    assert labels == [label for block, label in seen["map"]
                      if block not in ("half-title", "no-such-block")]


def test_sample_page_list_points_into_the_printed_pages(books, sample_build):
    """Against the real PDF: the block under each page marker is printed on that page.

    A block that starts on page n and runs over the next pages carries the
    markers of those pages too, so the test asks only that its start is on or
    before the labelled page and its end on or after it.
    """
    import pypdfium2

    nav = books.sample.xml("nav.xhtml")
    entries = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    pdf = pypdfium2.PdfDocument(str(sample_build.pdf))
    assert len(entries) >= len(pdf) - 4, "only the half-title and blank pages may be missing"

    def words(text: str) -> str:
        text = re.sub(r"[\u00ad\u2010-]\s*\n\s*", "", text)  # hyphenated line ends
        return re.sub(r"\W+", " ", text).lower().strip()

    pages = [words(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    labels = {}
    for index, (_, label) in enumerate(books_page_labels(pages)):
        labels[label] = index
    checked = 0
    for a in entries[::7]:
        label = a.text
        if not label.isdigit():
            continue
        filename, _, anchor = a.get("href").partition("#")
        marker = books.sample.xml(filename).xpath(f"//*[@id='{anchor}']")[0]
        block = marker.getparent()
        text = words(" ".join(block.itertext()))  # a list's items are words apart
        if len(text.split()) < 8 or block.get("role") == "doc-chapter":
            continue
        head, tail = " ".join(text.split()[:4]), " ".join(text.split()[-4:])
        page = int(label) - 1 + labels["1"]
        if not pages[page]:
            continue  # a blank page's marker stands before the text that follows it
        start = next(i for i, p in enumerate(pages) if head in p and i <= page + 1)
        end = max(i for i, p in enumerate(pages) if tail in p)
        assert start <= page <= end, (label, text[:60])
        checked += 1
    assert checked >= 5


def books_page_labels(pages: list[str]) -> list[tuple[int, str]]:
    """Printed folio of each page: the arabic 1 is the first story's opening."""
    first = next(i for i, text in enumerate(pages) if "any alpha would" in text and
                 "by anonymous" in text)
    return [(i, str(i - first + 1) if i >= first else f"front{i}") for i in range(len(pages))]


# ---------------------------------------------------------------------- metadata


def test_opf_titles_creators_subjects(books):
    opf = books.tricky.opf
    titles = {t.get("id"): t.text for t in opf.iterfind(".//dc:title", NS)}
    assert titles == {"title": TRICKY_TITLE, "subtitle": "Tales of <b>bold</b> & ‘brave’ friends"}
    types = {m.get("refines"): m.text for m in opf.xpath("//opf:meta[@property='title-type']",
                                                          namespaces=NS)}
    assert types == {"#title": "main", "#subtitle": "subtitle"}
    creators = {c.text: c.get("id") for c in opf.iterfind(".//dc:creator", NS)}
    # Authors first, in reading order: reading systems that ignore the role
    # refinements take the first creator for the author. Editors follow.
    assert list(creators) == ["Renée O'Connor", "Ádám Kovács", "Jürgen Groß", "渡辺 さくら"]

    def refined(prop: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for m in opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS):
            out.setdefault(m.get("refines"), []).append(m.text)
        return out

    roles, file_as = refined("role"), refined("file-as")
    assert roles[f"#{creators['Renée O' + chr(39) + 'Connor']}"] == ["aut", "edt"]
    assert roles[f"#{creators['渡辺 さくら']}"] == ["edt"]
    assert roles[f"#{creators['Ádám Kovács']}"] == ["aut"]
    assert all(file_as[f"#{uid}"] == [name] for name, uid in creators.items())
    subjects = opf.xpath("//dc:subject/text()", namespaces=NS)
    assert subjects.count("Original Work") == 1 and "original work" not in subjects
    assert subjects.count("Fluff & Angst") == 1 and "fluff & angst" not in subjects
    assert "<Hurt>/Comfort" in subjects and 'Quotes "inside" tags' in subjects
    # AO3's whole tag list, rating and category first; this book keeps its
    # archive warnings at the back (warnings_display: end), so not in the OPF either.
    assert subjects[:2] == ["Teen And Up Audiences", "F/F"]
    assert "Major Character Death" not in subjects


def test_opf_other_metadata(books):
    opf = books.tricky.opf

    def dc(name: str) -> list[str]:
        return opf.xpath(f"//dc:{name}/text()", namespaces=NS)

    assert dc("language") == ["en", "de"]
    assert dc("description") == ["A test book: <script>alert(1)</script> & other “tricks”."]
    assert dc("publisher") == ["Press & Co. <Ltd>"]
    assert dc("rights") == ["© the authors & “friends”, 2025."]
    assert dc("date") == ["2025-03-01"]
    assert books.tricky.metas("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    collection = opf.xpath("//opf:meta[@property='belongs-to-collection']", namespaces=NS)
    assert [c.text for c in collection] == ["Fanbind Test Series & <More>"]
    series_id = "#" + collection[0].get("id")
    refinements = {m.get("property"): m.text for m in opf.xpath(
        f"//opf:meta[@refines='{series_id}']", namespaces=NS)}
    assert refinements == {"collection-type": "series", "group-position": "2"}


def test_identifier_is_stable_and_unique_identifier(books, tmp_path, monkeypatch):
    opf = books.tricky.opf
    unique = opf.get("unique-identifier")
    first = opf.xpath(f"string(//dc:identifier[@id='{unique}'])", namespaces=NS)
    assert first.startswith("urn:uuid:")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # another day, same book
    again = build(_copy_tricky(tmp_path / "t"), formats=("epub",)).outputs[0]
    opf2 = etree.fromstring(read_zip(again)["EPUB/content.opf"])
    assert opf2.xpath(f"string(//dc:identifier[@id='{unique}'])", namespaces=NS) == first
    assert opf2.xpath("//opf:meta[@property='dcterms:modified']/text()",
                      namespaces=NS) == ["2027-01-15T08:00:00Z"]


def test_modified_from_newest_input_without_source_date_epoch(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = _copy_tricky(tmp_path / "t")
    for path in project.rglob("*"):
        os.utime(path, (1600000000, 1600000000))
    os.utime(project / "stories" / "german.txt", (1650000000, 1650000000))
    epub = build(project, formats=("epub",)).outputs[0]
    opf = etree.fromstring(read_zip(epub)["EPUB/content.opf"])
    assert opf.xpath("//opf:meta[@property='dcterms:modified']/text()",
                     namespaces=NS) == ["2022-04-15T05:20:00Z"]


def test_markup_characters_stay_text_everywhere(books):
    """``<``, ``&`` and quotes from metadata are text in every file, never markup."""
    book = books.tricky
    title_page = book.xml("titlepage.xhtml")
    assert title_page.findtext(".//x:h1", namespaces=NS) == TRICKY_TITLE
    assert not title_page.xpath("//x:b | //x:script", namespaces=NS)
    story = book.xml("story-001.xhtml")
    assert story.findtext(".//x:h1", namespaces=NS) == "Chapters & <Scenes>"
    assert "A summary with <tags> & “quotes”." in "".join(story.itertext())
    assert "the <platform> was empty" in "".join(story.itertext())
    assert book.xml("toc.ncx").findtext("ncx:docTitle/ncx:text", namespaces=NS) == TRICKY_TITLE
    assert not any(b"<script" in data or b"<b>" in data for data in book.files.values())


# ---------------------------------------------------------------------- accessibility


def test_accessibility_metadata_tells_the_truth(books):
    for book in all_books(books):
        has_images = any(book.xml(n).find(".//x:img", NS) is not None for n in book.xhtml_names())
        has_pages = bool(book.xml("nav.xhtml").xpath("//x:nav[@epub:type='page-list']",
                                                    namespaces=NS))
        features = set(book.metas("schema:accessibilityFeature"))
        assert {"structuralNavigation", "tableOfContents", "readingOrder"} <= features
        assert ("alternativeText" in features) == has_images
        assert ("printPageNumbers" in features) == has_pages
        assert ("visual" in book.metas("schema:accessMode")) == has_images
        assert book.metas("schema:accessModeSufficient") == ["textual"]
        assert book.metas("schema:accessibilityHazard") == ["none"]
        assert len(book.metas("schema:accessibilitySummary")) == 1
        chapters = any(book.xml(n).find(".//x:h2[@class='chapter-title']", NS) is not None
                       for n in book.xhtml_names())
        summary = book.metas("schema:accessibilitySummary")[0]
        assert ("chapters" in summary) == chapters, summary
        embedded = any(name.startswith("EPUB/fonts/") for name in book.files)
        assert ("embeds the EB Garamond" in summary) == embedded, summary
        assert ("Fonts, text size and colours are left" in summary) == (not embedded)


def test_conformance_claimed_only_for_content_fanbind_made(books):
    """A generated cover (alt = the text drawn) may claim WCAG; a user's picture may not."""
    claim = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
    assert books.sample.metas("dcterms:conformsTo") == [claim]
    assert books.sample.metas("a11y:certifiedBy")
    assert books.one.metas("dcterms:conformsTo") == []  # the user's own JPEG cover
    assert books.one.metas("a11y:certifiedBy") == []


def test_package_names_its_language(books):
    """Ace's ``epub-lang`` rule reads ``xml:lang`` on the OPF's ``<package>``."""
    for book in all_books(books):
        language = book.opf.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert language == book.opf.findtext(".//dc:language", namespaces=NS)


def test_authors_come_first_in_opf_and_ncx(books):
    """Reading systems that ignore roles (and the NCX) show the first creator as author."""
    for book in (books.sample, books.one):
        creators = [c.text for c in book.opf.iterfind(".//dc:creator", NS)]
        ncx_authors = [a.findtext("ncx:text", namespaces=NS)
                       for a in book.xml("toc.ncx").iterfind("ncx:docAuthor", NS)]
        assert creators[0] in ("Anonymous", "Solo")
        assert ncx_authors == [creators[0]]
    assert "The fanbind team" in [c.text for c in books.sample.opf.iterfind(".//dc:creator", NS)]


def _accessible_name(element: etree._Element) -> str:
    """A heading's name as a screen reader computes it from its content.

    The subset of the accessible-name computation our markup can meet: a
    hidden element adds nothing, an ``aria-label`` replaces its element's
    content, otherwise the text and the children's names in order.
    """
    def walk(node: etree._Element) -> str:
        if node.get("aria-hidden") == "true":
            return ""
        if node.get("aria-label") is not None:
            return " " + node.get("aria-label") + " "
        parts = [node.text or ""]
        for child in node:
            parts += [walk(child), child.tail or ""]
        return "".join(parts)
    return " ".join(walk(element).split())


def test_every_heading_is_named_by_its_visible_text(books):
    """Page markers must not be read as part of a heading ("1 Any Alpha Would")."""
    checked = 0
    for book in all_books(books):
        for name in book.xhtml_names():
            root = book.xml(name)
            for heading in root.xpath("//x:h1|//x:h2|//x:h3|//x:h4|//x:h5|//x:h6",
                                      namespaces=NS):
                visible = " ".join("".join(heading.itertext()).split())
                assert _accessible_name(heading) == visible, (book.path.name, name, visible)
                checked += 1
            # Regions are named by their headings, so they inherit the fix; check it.
            for region in root.xpath("//*[@aria-labelledby]"):
                target = root.xpath(f"//*[@id='{region.get('aria-labelledby')}']")
                assert target and target[0].find(".//*[@aria-label]") is None
    assert checked > 50


def test_each_page_marker_is_in_the_document_it_names(books):
    """The page map of the tricky book as printed (front matter, each story's preface
    page then its title page, a chapter, end notes, back matter): each marker must
    land in the document its page-list entry names. A marker once followed another
    story's, found through a reused ``id()`` of an lxml element; that depended on
    memory reuse, so the map is applied several times."""
    project = open_project(books.tricky_project)
    documents = render_book(load_book(project).anthology)
    stories = [doc.id for doc in documents if doc.matter == "body"]
    page_map = [("half-title", "i"), ("titlepage", "ii"), ("titlepage", "iii"),
                ("colophon", "iv"), ("contents", "v")]
    for number, story in enumerate(stories, start=1):
        page_map += [(story, f"p{number}"), (f"{story}-title", str(number))]
    page_map += [("story-001-ch2", "20"), ("story-001-end-notes-title", "21"),
                 ("warnings-title", "22"), ("authors-title", "23")]
    for _ in range(20):
        copies, targets = insert_page_breaks(documents, page_map)
        assert len(targets) >= 2 * len(stories) + 4
        by_name = {doc.filename: doc for doc in copies}
        for target in targets:
            filename, _, anchor = target.href.partition("#")
            ids = {el.get("id") for el in by_name[filename].root.iter()
                   if isinstance(el.tag, str)}
            assert anchor in ids, target


def test_page_one_follows_the_facing_preface(books):
    """In print the preface faces the opening (page vi), the opening is page 1."""
    root = books.sample.xml("story-001.xhtml")
    order = [el.get("id") or el.get("class") for el in root.iter()
             if isinstance(el.tag, str) and (el.get("id") in ("page-vi", "page-1", "story-001-b1")
                                             or el.get("class") == "story-preface")]
    assert order == ["page-vi", "story-preface", "page-1", "story-001-b1"]
    labels = [a.text for a in books.sample.xml("nav.xhtml").xpath(
        "//x:nav[@epub:type='page-list']//x:a", namespaces=NS)]
    arabic = [int(label) for label in labels if label.isdigit()]
    assert arabic == sorted(arabic) and arabic[0] == 1


def test_no_banner_landmark_per_story(books):
    """A ``header`` in each story would be exposed as a banner landmark."""
    for book in all_books(books):
        for name in book.xhtml_names():
            assert book.xml(name).find(".//x:header", NS) is None, name


def test_scene_break_needs_no_generated_content(books):
    """An ``hr`` drawn by its border: visible where ``::before`` or the glyph is missing."""
    css = books.sample.files["EPUB/css/epub.css"].decode()
    rules = {tinycss2.serialize(r.prelude).strip(): tinycss2.serialize(r.content)
             for r in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
             if r.type == "qualified-rule"}
    assert "hr.scene-break::before" not in rules
    assert "border-top: 1px solid" in rules["hr.scene-break"]
    root = books.sample.xml("story-004.xhtml")
    breaks = root.findall(".//x:hr", NS)
    assert breaks and all(hr.get("class") == "scene-break" for hr in breaks)


def test_apple_books_told_to_use_embedded_fonts(books):
    name = "META-INF/com.apple.ibooks.display-options.xml"
    assert name in books.one.files  # embed_fonts: true
    options = etree.fromstring(books.one.files[name])
    assert options.xpath("//option[@name='specified-fonts']/text()") == ["true"]
    assert name not in books.sample.files


def test_accessibility_metadata_without_images():
    project = open_project(DATA / "tricky")
    documents = render_book(load_book(project).anthology)  # no cover page: no image
    props = accessibility_metadata(documents, page_list=False)
    assert ("schema:accessMode", "visual") not in props
    assert ("schema:accessibilityFeature", "alternativeText") not in props
    assert "cover" not in dict(props)["schema:accessibilitySummary"]


def test_semantic_sections_and_roles(books):
    book = books.tricky
    parsed: dict[str, etree._Element] = {}

    def first(name: str, xpath: str) -> etree._Element:
        found = parsed.setdefault(name, book.xml(name)).xpath(xpath, namespaces=NS)
        assert found, (name, xpath)
        return found[0]

    assert first("titlepage.xhtml", "//x:section").get(EPUB_TYPE) == "titlepage"
    toc = first("contents.xhtml", "//x:section")
    assert (toc.get(EPUB_TYPE), toc.get("role")) == ("toc", "doc-toc")
    colophon = first("colophon.xhtml", "//x:section")
    assert "colophon" in colophon.get(EPUB_TYPE) and colophon.get("role") == "doc-colophon"
    story = first("story-001.xhtml", "//x:section[@id='story-001']")
    assert "chapter" in story.get(EPUB_TYPE).split() and story.get("role") == "doc-chapter"
    preface = first("story-001.xhtml", "//*[@epub:type='preface']")
    assert preface.get("role") == "doc-preface"
    notes = first("story-001.xhtml", "//*[@epub:type='afterword']")
    assert notes.get("role") == "doc-afterword"
    assert notes.getparent() is story and notes is story[-1], "end notes close the story"
    hr = first("story-001.xhtml", "//x:hr")
    assert hr.get("class") == "scene-break" and hr.get("aria-label") == "Scene break"


def test_headings_in_order(books):
    for book in all_books(books):
        for name in book.xhtml_names():
            levels = [int(el.tag[-1]) for el in book.xml(name).iter()
                      if isinstance(el.tag, str) and re.fullmatch(rf"\{{{XHTML_NS}\}}h[1-6]",
                                                                  el.tag)]
            if name in ("cover.xhtml", "colophon.xhtml"):
                continue  # an image; the copyright page, named by aria-label
            assert levels and levels[0] == 1, name
            assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (name, levels)


def test_story_language(books):
    book = books.tricky
    german = book.xml("story-002.xhtml")
    assert german.get("lang") == "de"
    assert german.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert book.xml("story-001.xhtml").get("lang") == "en"
    entry = book.xml("contents.xhtml").xpath("//*[text()='Die Brücke über den Fluss']",
                                             namespaces=NS)[0]
    assert entry.get("lang") == "de"
    nav_entry = book.xml("nav.xhtml").xpath("//x:a[text()='Die Brücke über den Fluss']",
                                            namespaces=NS)[0]
    assert nav_entry.get("lang") == "de"


# ---------------------------------------------------------------------- front and back matter


def test_colophon(books):
    text = " ".join("".join(books.tricky.xml("colophon.xhtml").itertext()).split())
    identifier = books.tricky.opf.xpath("string(//dc:identifier)", namespaces=NS)
    assert "© the authors & “friends”, 2025." in text
    assert f"Identifier: {identifier}" in text
    assert "Published by Press & Co. <Ltd>, 2025-03-01." in text
    assert "Made with fanbind" in text
    assert ("Chapters & <Scenes> by Renée O'Connor and Ádám Kovács, first published 2024-02-14 "
            "at https://archiveofourown.org/works/123456?view_full_work=true&x=1.") in text
    link = books.tricky.xml("colophon.xhtml").xpath("//x:a[@class='source']/@href", namespaces=NS)
    assert link == ["https://archiveofourown.org/works/123456?view_full_work=true&x=1"]
    assert "No Warnings Here" not in text, "only stories with a source or date are credited"


def test_about_the_authors(books):
    authors = books.tricky.xml("authors.xhtml")
    entries = {sec.findtext("x:h2", namespaces=NS):
               [" ".join("".join(li.itertext()).split()) for li in sec.iterfind(".//x:li", NS)]
               for sec in authors.iterfind(".//x:section[@class='author']", NS)}
    assert entries == {
        "Renée O'Connor": ["Chapters & <Scenes> (with Ádám Kovács)"],
        "Ádám Kovács": ["Chapters & <Scenes> (with Renée O'Connor)", "No Warnings Here"],
        "Jürgen Groß": ["Die Brücke über den Fluss"],
    }


def test_back_matter_documents_are_marked_back():
    project = open_project(DATA / "tricky")
    documents = render_book(load_book(project).anthology)
    matter = {doc.id: doc.matter for doc in documents}
    assert matter["authors"] == matter["warnings"] == "back"
    assert matter["story-001"] == "body" and matter["titlepage"] == "front"
    assert [doc.id for doc in documents][-2:] == ["warnings", "authors"]


def test_warnings_at_the_end(books):
    book = books.tricky
    story = book.xml("story-001.xhtml")
    dd = story.xpath("//x:dt[text()='Archive Warnings']/following-sibling::x:dd[1]",
                     namespaces=NS)[0]
    assert "Violence" not in "".join(dd.itertext())
    assert dd.find("x:a", NS).get("href") == "warnings.xhtml#story-001-warnings"
    page = book.xml("warnings.xhtml")
    entry = page.xpath("//*[@id='story-001-warnings']")[0]
    assert entry.xpath(".//x:li/text()", namespaces=NS) == ["Graphic Depictions Of Violence",
                                                            "Major Character Death"]
    assert entry.xpath(".//x:a/@href", namespaces=NS) == ["story-001.xhtml#story-001-title"]
    assert not page.xpath("//*[@id='story-003-warnings']"), "no warnings, no entry"


@pytest.mark.parametrize("display", ["shown", "hidden"])
def test_warnings_shown_or_hidden(display, tmp_path):
    project = _copy_tricky(tmp_path / "t")
    text = (project / "metadata.yaml").read_text(encoding="utf-8")
    (project / "metadata.yaml").write_text(text.replace("warnings_display: end",
                                                        f"warnings_display: {display}"),
                                           encoding="utf-8")
    documents = render_book(load_book(open_project(project)).anthology)
    assert "warnings" not in [doc.id for doc in documents]
    story = next(doc for doc in documents if doc.id == "story-001").root
    labels = story.xpath("//x:dt/text()", namespaces=NS)
    text = "".join(story.itertext())
    if display == "shown":
        assert "Archive Warnings" in labels and "Major Character Death" in text
    else:
        assert "Archive Warnings" not in labels and "Major Character Death" not in text


# ---------------------------------------------------------------------- styles and fonts


def test_embedded_fonts(books):
    book = books.one
    fonts = book.opf.xpath("//opf:item[starts-with(@href, 'fonts/')]", namespaces=NS)
    assert {f.get("media-type") for f in fonts} == {"font/otf"} and len(fonts) == 2
    css = book.files["EPUB/css/fonts.css"].decode()
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert sorted(u.removeprefix("../") for u in urls) == sorted(f.get("href") for f in fonts)
    for name in book.xhtml_names():
        links = book.xml(name).xpath("//x:link/@href", namespaces=NS)
        assert "css/fonts.css" in links, name
    assert b"font-face" not in book.files["EPUB/css/epub.css"].replace(b"@font-face", b"")


def test_no_fonts_without_embed_fonts(books):
    book = books.sample
    assert not [n for n in book.files if n.startswith("EPUB/fonts/") or n.endswith("fonts.css")]
    assert b"css/fonts.css" not in book.files["EPUB/story-001.xhtml"]


def test_epub_css_leaves_the_reader_in_charge(books):
    """No colours, backgrounds, named fonts or absolute font sizes: night modes work."""
    css = books.sample.files["EPUB/css/epub.css"].decode()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    declarations = []
    for rule in rules:
        assert rule.type == "qualified-rule", rule
        declarations += [d for d in tinycss2.parse_declaration_list(rule.content, True, True)
                         if d.type == "declaration"]
    assert declarations
    for declaration in declarations:
        value = tinycss2.serialize(declaration.value).strip()
        assert declaration.lower_name not in ("font-family", "background", "background-color")
        if declaration.lower_name == "color":
            assert value == "inherit"
        if declaration.lower_name in ("font-size", "line-height", "margin", "text-indent"):
            assert not re.search(r"\d(px|pt|pc|cm|mm|in)\b", value), (declaration.name, value)


# ---------------------------------------------------------------------- reproducibility


def test_rebuild_is_byte_identical(books, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = build(_copy_tricky(tmp_path / "t"), formats=("epub",), page_list=True,
                  page_layout=lambda anthology, documents, **_: fake_page_map(documents)
                  ).outputs[0]
    assert again.read_bytes() == books.tricky.path.read_bytes()
    with zipfile.ZipFile(again) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)


def test_cli_page_list_flag(tmp_path, monkeypatch):
    """``fanbind build -f epub --page-list`` lays out the pages and adds the page-list."""
    from typer.testing import CliRunner

    from fanbind.cli import app

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    project = _copy_tricky(tmp_path / "t")
    runner = CliRunner()
    for flag, expected in (([], False), (["--page-list"], True)):
        result = runner.invoke(app, ["build", str(project), "-f", "epub", "-q", *flag])
        assert result.exit_code == 0, result.output
        epub = next((project / "dist").glob("*.epub"))
        nav = etree.fromstring(read_zip(epub)["EPUB/nav.xhtml"])
        found = nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS)
        assert bool(found) == expected, flag


def test_cover_glyphs_no_font_has_are_reported(tmp_path, monkeypatch):
    import fanbind.cover

    monkeypatch.setattr(fanbind.cover, "_fallback_font", lambda face, chars: None)
    project = _copy_tricky(tmp_path / "t")
    text = (project / "metadata.yaml").read_text(encoding="utf-8")
    (project / "metadata.yaml").write_text(text.replace('title: "Zoë', 'title: "物語 Zoë'),
                                           encoding="utf-8")
    result = build(project, formats=("epub",))
    found = [d for d in result.diagnostics if d.code == "FB602"]
    assert len(found) == 1 and "物" in found[0].message and "語" in found[0].message
    assert "渡" in found[0].message, "the editors' names are on the cover too"


# ---------------------------------------------------------------------- bounded work


def _children_counted(tmp_path: Path, tags: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Render a story with ``tags`` tags; return how many children ``len()`` counted
    on elements in :mod:`fanbind.render` (lxml walks every child to count them)."""
    from fanbind import render

    root = tmp_path / f"tags-{tags}"
    root.mkdir()
    (root / "a.txt").write_text("A Tale\n\nThe river kept its counsel.\n", encoding="utf-8")
    (root / "metadata.yaml").write_text(yaml.safe_dump({
        "title": "Tags", "stories": [{"file": "a.txt", "authors": ["A"], "tags": ["t"]}]}),
        encoding="utf-8")
    anthology = load_book(open_project(root)).anthology
    # More tags than metadata.yaml allows (200): the renderer must not rely on the limit.
    (story,) = anthology.stories
    meta = story.meta.model_copy(update={"tags": tuple(f"t{i}" for i in range(tags))})
    anthology = dataclasses.replace(anthology,
                                    stories=(dataclasses.replace(story, meta=meta),))
    counted = [0]
    builtin_len = len

    def counting_len(value: object) -> int:
        size = builtin_len(value)  # type: ignore[arg-type]
        if isinstance(value, etree._Element):
            counted[0] += size
        return size

    monkeypatch.setattr(render, "len", counting_len, raising=False)
    documents = render_book(anthology)
    monkeypatch.undo()
    story = next(d for d in documents if d.root.find(f".//{{{XHTML_NS}}}dl") is not None)
    text = "".join(story.root.find(f".//{{{XHTML_NS}}}dd").itertext())
    assert text == ", ".join(f"t{i}" for i in range(tags))
    return counted[0]


def test_tags_are_rendered_in_work_linear_in_their_number(tmp_path, monkeypatch) -> None:
    """Each tag was appended after counting the tags before it: 100,000 tags took
    minutes (metadata.yaml now allows 200 a list; the renderer is linear all the same).
    The work counted grows no faster than the number of tags."""
    small = _children_counted(tmp_path, 1_000, monkeypatch)
    large = _children_counted(tmp_path, 10_000, monkeypatch)
    assert large <= 10 * small + 1_000
    assert large <= 10_000


def test_page_markers_land_in_their_own_documents(tmp_path: Path):
    """Each story opening's marker goes after its own preface, in its own document.

    The last marker of each block was looked up by ``id()`` of a transient
    lxml proxy (the story opening), which Python hands to the next opening's
    proxy once the first is freed: with openings on consecutive pages, a
    marker followed another story's marker in another document.
    """
    project = open_project(copy_sample(tmp_path / "sample"))
    documents = render_book(load_book(project).anthology)
    titles = [f"story-00{n}-title" for n in range(1, 6)]
    for page_map in ([(title, str(n)) for n, title in enumerate(titles, start=1)],
                     [(title, label) for title in titles for label in ("a", "b")]):
        copies, targets = insert_page_breaks(documents, page_map)
        ids = {f"{doc.filename}#{el.get('id')}" for doc in copies for el in doc.root.iter()
               if isinstance(el.tag, str) and el.get("id")}
        assert [t.href for t in targets if t.href not in ids] == []
        for doc in copies:
            if doc.story is not None:
                marks = doc.root.xpath("//x:span[@epub:type='pagebreak']", namespaces=NS)
                assert len(marks) == len(page_map) // 5
                assert marks[0].getprevious().get("class") == "preface"
