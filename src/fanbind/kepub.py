"""Kobo's flavour of the EPUB (``<slug>.kepub.epub``), made from the same documents.

Kobo devices open a file named ``.kepub.epub`` with their newer renderer
(reading statistics, faster page turns in long chapters) when its text is cut
into *sentence spans*: every sentence in a ``<span class="koboSpan"
id="kobo.P.S">``, P counting the text blocks of a document and S the sentences
of a block, and the body's content wrapped in ``div#book-columns >
div#book-inner``. kepubify and calibre's KoboTouch driver do the same to a
finished EPUB; here it is done to the rendered trees, so no text is parsed
again and the ids are the same in every build of the same book.

The spans add no words and move none: a span is wrapped round text that was
already there, in place. Everything else is the plain EPUB's (same writer), so
the kepub passes EPUBCheck as the EPUB does.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from lxml import etree

from fanbind.render import XHTML_NS, Document

KOBO_SPAN_CLASS = "koboSpan"

#: Elements whose text starts a new paragraph number (P in ``kobo.P.S``).
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote",
                     "figcaption", "td", "th", "pre", "div", "section", "header", "footer",
                     "nav", "aside", "dl", "ul", "ol", "table", "figure", "body"})
#: Elements whose text is not reading text.
_SKIP = frozenset({"head", "script", "style", "svg", "math"})

#: Where a sentence ends: after . ! ? … (and any closing quotes or brackets)
#: and the spaces that follow. The spaces stay with the sentence they end.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+")


def _x(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end; the pieces join back to ``text``."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


class _Numbering:
    """The P and S counters of one document.

    P counts the blocks that have text, so the numbers run on without gaps;
    a block only marks that the next sentence starts a new P.
    """

    def __init__(self) -> None:
        self.paragraph = 0
        self.sentence = 0
        self.pending = True

    def new_block(self) -> None:
        self.pending = True

    def span(self, text: str) -> etree._Element:
        if self.pending:
            self.paragraph += 1
            self.sentence = 0
            self.pending = False
        self.sentence += 1
        span = etree.Element(_x("span"), {"class": KOBO_SPAN_CLASS,
                                          "id": f"kobo.{self.paragraph}.{self.sentence}"})
        span.text = text
        return span


def _spans(text: str, numbering: _Numbering) -> Iterator[etree._Element | str]:
    """``text`` as sentence spans, with whitespace-only pieces left as text."""
    for piece in sentences(text):
        yield piece if not piece.strip() else numbering.span(piece)


def _wrap_text(element: etree._Element, numbering: _Numbering) -> None:
    """Wrap the text inside ``element`` (not its tail) in sentence spans, depth first."""
    name = _local(element)
    if name in _SKIP or KOBO_SPAN_CLASS in (element.get("class") or "").split():
        return
    if name in _BLOCKS:
        numbering.new_block()
    if element.text and element.text.strip():
        text, element.text = element.text, None
        _insert(element, 0, list(_spans(text, numbering)))
    for child in list(element):
        _wrap_text(child, numbering)
        if child.tail and child.tail.strip():
            tail, child.tail = child.tail, None
            parent = child.getparent()
            assert parent is not None
            _insert(parent, parent.index(child) + 1, list(_spans(tail, numbering)))
        if _local(child) in _BLOCKS:
            numbering.new_block()


def _insert(parent: etree._Element, index: int, items: list[etree._Element | str]) -> None:
    """Put spans and plain strings into ``parent`` at ``index``, in order."""
    previous = parent[index - 1] if index > 0 else None
    for item in items:
        if isinstance(item, str):
            if previous is None:
                parent.text = (parent.text or "") + item
            else:
                previous.tail = (previous.tail or "") + item
            continue
        parent.insert(index, item)
        index += 1
        previous = item


def kobo_document(document: Document) -> Document:
    """A copy of ``document`` with sentence spans and Kobo's two wrappers."""
    root = copy.deepcopy(document.root)
    body = root.find(_x("body"))
    if body is None:
        return replace(document, root=root)
    columns = etree.Element(_x("div"), id="book-columns")
    inner = etree.SubElement(columns, _x("div"), id="book-inner")
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)  # moves the child with its tail
    body.append(columns)
    numbering = _Numbering()
    for child in list(inner):
        _wrap_text(child, numbering)
    return replace(document, root=root)


def kobo_documents(documents: Sequence[Document]) -> list[Document]:
    """Every EPUB content document made Kobo's way (the nav document is written apart)."""
    return [kobo_document(doc) if "epub" in doc.formats else doc for doc in documents]
