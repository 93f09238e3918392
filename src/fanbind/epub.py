"""EPUB writer: the only module that imports ebooklib.

ebooklib writes the package document (OPF), the NCX and the zip container. The
XHTML content documents and the nav document are ours, stored byte for byte:
ebooklib's own ``EpubHtml`` re-parses content and silently empties a chapter it
cannot parse, so we hand it finished XHTML through plain ``EpubItem`` objects.
The zip is then repacked with fixed timestamps so two builds are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ebooklib import epub
from lxml import etree

from fanbind.errors import BuildError
from fanbind.model import Anthology
from fanbind.render import Document, NavPoint, new_document, sub

XHTML_MEDIA_TYPE = "application/xhtml+xml"
# A fixed zip timestamp: the zip format cannot store dates before 1980, and the
# real build date lives in the OPF (dcterms:modified), not in the container.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class XhtmlItem(epub.EpubItem):
    """A finished XHTML document stored as is."""

    def __init__(self, uid: str, file_name: str, content: bytes, properties: Iterable[str] = ()):
        super().__init__(uid=uid, file_name=file_name, media_type=XHTML_MEDIA_TYPE, content=content)
        self.properties = list(properties)


def book_identifier(anthology: Anthology) -> str:
    """The configured identifier, else a UUID derived from the content (stable)."""
    if anthology.meta.identifier:
        return anthology.meta.identifier
    seed = "\n".join([anthology.meta.title, *(s.title + "\0" + ",".join(s.meta.authors)
                                               for s in anthology.stories)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'fanbind:' + seed)}"


def _nav_list(parent: etree._Element, points: Iterable[NavPoint]) -> None:
    ol = sub(parent, "ol")
    for point in points:
        li = sub(ol, "li")
        sub(li, "a", point.title, href=point.href)
        if point.children:
            _nav_list(li, point.children)


def nav_document(anthology: Anthology, documents: list[Document], stylesheets: tuple[str, ...]) -> bytes:
    """The EPUB 3 navigation document: toc (story › chapter) and landmarks."""
    html, body = new_document("Contents", anthology.meta.language, stylesheets)
    toc = sub(body, "nav", id="toc", epub_type="toc", role="doc-toc")
    sub(toc, "h1", "Contents")
    points = [NavPoint(d.title, d.filename) for d in documents
              if d.nav is None and d.role in ("titlepage", "toc")]
    points += [d.nav for d in documents if d.nav is not None]
    _nav_list(toc, points)
    landmarks = sub(body, "nav", id="landmarks", epub_type="landmarks", hidden="hidden")
    sub(landmarks, "h2", "Landmarks")
    ol = sub(landmarks, "ol")
    for doc in documents:
        if doc.landmark:
            li = sub(ol, "li")
            sub(li, "a", doc.title, href=doc.filename, epub_type=doc.landmark)
    return etree.tostring(html, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def write_epub(
    anthology: Anthology,
    documents: list[Document],
    target: Path,
    *,
    stylesheet: bytes,
    modified: dt.datetime,
) -> None:
    """Write the EPUB to ``target`` (the caller makes the write atomic)."""
    meta = anthology.meta
    book = epub.EpubBook()
    book.set_identifier(book_identifier(anthology))
    book.set_title(meta.title)
    book.set_language(meta.language)
    for index, editor in enumerate(meta.editors):
        book.add_author(editor, role="edt", uid=f"editor-{index + 1}")
    seen_authors: dict[str, str] = {}
    for story in anthology.stories:
        for author in story.meta.authors:
            if author not in seen_authors:
                uid = f"author-{len(seen_authors) + 1}"
                seen_authors[author] = uid
                book.add_author(author, file_as=author, role="aut", uid=uid)
    subjects: dict[str, None] = {}
    for story in anthology.stories:
        m = story.meta
        for tag in (*m.fandoms, *m.relationships, *m.characters, *m.tags):
            subjects.setdefault(tag, None)
    for tag in subjects:
        book.add_metadata("DC", "subject", tag)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        book.add_metadata("DC", "rights", meta.rights)
    if meta.date:
        book.add_metadata("DC", "date", meta.date.isoformat())

    css = epub.EpubItem(uid="css", file_name="css/epub.css", media_type="text/css", content=stylesheet)
    book.add_item(css)

    epub_docs = [d for d in documents if "epub" in d.formats]
    items = []
    for doc in epub_docs:
        item = XhtmlItem(doc.id, doc.filename, doc.to_bytes())
        book.add_item(item)
        items.append(item)
    nav = XhtmlItem("nav", "nav.xhtml", nav_document(anthology, epub_docs, ("css/epub.css",)),
                    properties=["nav"])
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.spine = items

    # The NCX (for EPUB 2 readers) mirrors the nav.
    def ncx_entry(point: NavPoint, uid: str):
        link = epub.Link(point.href, point.title, uid)
        if not point.children:
            return link
        section = epub.Section(point.title, href=point.href)
        return (section, [ncx_entry(child, f"{uid}-{i}") for i, child in enumerate(point.children)])

    book.toc = [ncx_entry(d.nav or NavPoint(d.title, d.filename), d.id) for d in epub_docs]
    book.guide = [{"href": d.filename, "title": d.title, "type": {"titlepage": "title-page",
                   "toc": "toc", "bodymatter": "text"}[d.landmark]} for d in epub_docs if d.landmark]

    buffer = io.BytesIO()
    options = {"mtime": modified.astimezone(dt.timezone.utc), "epub3_landmark": False,
               "raise_exceptions": True, "epub3_pages": False}
    try:
        epub.write_epub(buffer, book, options)
    except Exception as exc:  # ebooklib raises bare exceptions from deep inside
        raise BuildError(f"could not write the EPUB: {exc}", file=str(target)) from exc
    target.write_bytes(repack(buffer.getvalue()))


def repack(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and attributes, ``mimetype`` first and stored."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dest:
        names = source.namelist()
        names.sort(key=lambda n: (n != "mimetype", n != "META-INF/container.xml", 0))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            dest.writestr(info, source.read(name), compresslevel=9)
    return out.getvalue()
