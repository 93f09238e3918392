"""Kobo's kepub: sentence spans and wrappers, nothing else changed, EPUBCheck-clean."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from tests.conftest import SOURCE_DATE_EPOCH, copy_sample, read_zip, run_epubcheck, summarize

from fanbind.build import build
from fanbind.kepub import KOBO_SPAN_CLASS, kobo_document, sentences
from fanbind.render import XHTML_NS, Document, new_document, sub

NS = {"x": XHTML_NS}
KOBO_ID = re.compile(r"kobo\.(\d+)\.(\d+)")


@given(st.text())
def test_sentences_join_back_to_the_text(text: str) -> None:
    assert "".join(sentences(text)) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("One. Two! Three? Four", ["One. ", "Two! ", "Three? ", "Four"]),
    ("“Go.” She went… Then “stop!” he said.", ["“Go.” ", "She went… ", "Then “stop!” ",
                                              "he said."]),
    ("No end", ["No end"]),
    ("Dr.Who", ["Dr.Who"]),  # no space after the stop: not a sentence end
])
def test_sentence_ends(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def _document() -> Document:
    html, body = new_document("T", "en", ("css/epub.css",))
    section = sub(body, "section", id="s")
    sub(section, "h1", "A Title", id="t")
    p = sub(section, "p", "First one. Second ", id="b1")
    em = sub(p, "em", "in italics. Still")
    em.tail = " going. End."
    sub(section, "hr", class_="scene-break")
    sub(section, "p", "Next paragraph.", id="b2")
    return Document("d", "d.xhtml", "T", "story", html, "en")


def test_kobo_document_wraps_sentences_and_keeps_the_text() -> None:
    plain = _document()
    kobo = kobo_document(plain)
    body = kobo.root.find("x:body", NS)
    assert [c.get("id") for c in body] == ["book-columns"]
    assert [c.get("id") for c in body[0]] == ["book-inner"]
    assert "".join(kobo.root.find("x:body", NS).itertext()) == \
        "".join(plain.root.find("x:body", NS).itertext())
    spans = kobo.root.xpath("//x:span[@class='koboSpan']", namespaces=NS)
    assert [(s.get("id"), s.text) for s in spans] == [
        ("kobo.1.1", "A Title"),
        ("kobo.2.1", "First one. "), ("kobo.2.2", "Second "), ("kobo.2.3", "in italics. "),
        ("kobo.2.4", "Still"), ("kobo.2.5", " going. "), ("kobo.2.6", "End."),
        ("kobo.3.1", "Next paragraph.")]
    # The original is untouched (the plain EPUB is written from it).
    assert not plain.root.xpath("//x:span", namespaces=NS)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("kepub")
    project = copy_sample(root / "sample")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        first = build(project, formats=("epub", "kepub"), page_list=True)
        again = shutil.copy(first.outputs[1], root / "first.kepub.epub")
        build(project, formats=("kepub",), page_list=True)
    epub, kepub = first.outputs[0], first.outputs[1]
    assert epub.name == "bonds-of-the-leaf.epub" and kepub.name == "bonds-of-the-leaf.kepub.epub"
    return epub, kepub, Path(again)


def test_kepub_is_epubcheck_clean(books, tmp_path: Path) -> None:
    _, kepub, _ = books
    report = run_epubcheck([kepub], tmp_path, usage=True)[kepub]
    assert summarize(report) == []


def test_kepub_has_the_epubs_words_in_order_and_stable_ids(books) -> None:
    epub, kepub, first = books
    plain, kobo = read_zip(epub), read_zip(kepub)
    assert kepub.read_bytes() == first.read_bytes()  # ids and bytes stable between builds
    assert sorted(plain) == sorted(kobo)
    documents = [name for name in plain if name.endswith(".xhtml") and "nav" not in name]
    spans = 0
    for name in documents:
        a, b = etree.fromstring(plain[name]), etree.fromstring(kobo[name])
        assert "".join(a.find("x:body", NS).itertext()) == \
            "".join(b.find("x:body", NS).itertext()), name
        ids = [s.get("id") for s in b.iter(f"{{{XHTML_NS}}}span")
               if s.get("class") == KOBO_SPAN_CLASS]
        numbers = [tuple(map(int, KOBO_ID.fullmatch(i).groups())) for i in ids]
        assert numbers == sorted(numbers) and len(set(ids)) == len(ids), name
        assert b.find("x:body/x:div[@id='book-columns']/x:div[@id='book-inner']", NS) is not None
        spans += len(ids)
    assert spans > 1000
    assert plain["EPUB/nav.xhtml"] == kobo["EPUB/nav.xhtml"]
