"""The sample anthology, built once: EPUB valid and complete, PDF well formed."""

from __future__ import annotations

import re

import pypdfium2
import pytest
from lxml import etree
from pypdf import PdfReader
from tests.conftest import read_zip, summarize

TITLES = [
    "Any Alpha Would",
    "Storm Over the Mission Cabin",
    "Don’t Ever Leave Me",
    "Unbreakable Bonds",
    "This beating heart won’t rest",
]
OPF_NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def test_epubcheck_clean(sample_epubcheck):
    checker = sample_epubcheck["checker"]
    counts = (checker["nFatal"], checker["nError"], checker["nWarning"], checker["nUsage"])
    assert counts == (0, 0, 0, 0), "\n".join(summarize(sample_epubcheck))


def test_epub_has_every_story_in_spine_and_nav(sample_build):
    files = read_zip(sample_build.epub)
    opf = etree.fromstring(files["EPUB/content.opf"])
    spine = [i.get("idref") for i in opf.iterfind(".//opf:spine/opf:itemref", OPF_NS)]
    assert spine[:4] == ["cover", "titlepage", "colophon", "contents"]
    assert spine[4:] == [f"story-{n:03d}" for n in range(1, 6)] + ["authors"]
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    toc_titles = nav.xpath("//x:nav[@epub:type='toc']//x:a/text()", namespaces=XHTML)
    for title in TITLES:
        assert title in toc_titles
    assert "toc.ncx" in " ".join(files)


def test_epub_opf_metadata(sample_build):
    opf = etree.fromstring(read_zip(sample_build.epub)["EPUB/content.opf"])
    creators = opf.xpath("//dc:creator/text()", namespaces=OPF_NS)
    assert "Anonymous" in creators and "The fanbind team" in creators
    subjects = opf.xpath("//dc:subject/text()", namespaces=OPF_NS)
    assert "Naruto" in subjects and subjects.count("Naruto") == 1
    assert "Hatake Kakashi/Umino Iruka" in subjects
    # the rest of AO3's tag list too: rating, warnings (shown in this book), category
    assert {"Mature", "Explicit", "No Archive Warnings Apply", "M/M"} <= set(subjects)
    assert opf.xpath("//dc:language/text()", namespaces=OPF_NS) == ["en"]
    modified = opf.xpath("//opf:meta[@property='dcterms:modified']/text()", namespaces=OPF_NS)
    assert modified == ["2023-11-14T22:13:20Z"]  # SOURCE_DATE_EPOCH=1700000000


def test_story_preface_and_text(sample_build):
    files = read_zip(sample_build.epub)
    doc = etree.fromstring(files["EPUB/story-002.xhtml"])
    assert doc.xpath("string(//x:h1)", namespaces=XHTML) == "Storm Over the Mission Cabin"
    labels = doc.xpath("//x:dl[@class='tags']/x:dt/text()", namespaces=XHTML)
    assert labels == ["Rating", "Archive Warnings", "Category", "Fandom", "Relationships",
                      "Characters", "Additional Tags"]
    text = "".join(doc.itertext())
    assert "Chapter Text" not in text
    assert "Kakashi still remembers that fateful night." in text
    assert files["EPUB/story-002.xhtml"].startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_typography_reached_the_book(sample_build):
    text = read_zip(sample_build.epub)["EPUB/story-005.xhtml"].decode()
    assert "won't" not in text and "won’t" in text
    assert '"' not in re.sub(r"<[^>]+>", "", text)


def test_pdf_outline_text_and_pages(sample_build):
    reader = PdfReader(sample_build.pdf)
    assert len(reader.pages) > 20
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == [*TITLES, "About the Authors"]  # back matter is bookmarked too
    pdf = pypdfium2.PdfDocument(str(sample_build.pdf))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    for title in TITLES:
        assert title in text
    assert reader.metadata.title == "Bonds of the Leaf"
    assert "Anonymous" in reader.metadata.author


def test_pdf_fonts_embedded(sample_build):
    reader = PdfReader(sample_build.pdf)
    fonts = {}
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()[
                "/FontDescriptor"]
            descriptor = descriptor.get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    assert fonts and all(fonts.values()), fonts
    assert all("EB-Garamond" in name for name in fonts), fonts


def test_pdf_trim_size_default(sample_build):
    box = PdfReader(sample_build.pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (396, 612)  # 5.5 × 8.5 in


@pytest.mark.parametrize("story", range(5))
def test_story_opens_on_right_hand_page(sample_build, story):
    pdf = pypdfium2.PdfDocument(str(sample_build.pdf))
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    title = TITLES[story]
    opening = next(i for i, text in enumerate(pages)
                   if title in text and "by Anonymous" in text.replace("\r\n", " "))
    assert opening % 2 == 0, f"{title} opens on page index {opening} (a left-hand page)"
