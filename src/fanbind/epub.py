"""EPUB writer: the only module that imports ebooklib.

ebooklib writes the package document (OPF) and the zip container. The XHTML
content documents, the nav document and the NCX are ours, stored byte for byte:
ebooklib's own ``EpubHtml`` re-parses content and silently empties a chapter it
cannot parse, and its NCX has no page list, a depth of 0 and no play order that
follows the reading order. The zip is then repacked with fixed timestamps so two
builds are byte-identical.

What the book promises readers, and where it is kept:

* EPUBCheck-clean EPUB 3 with an EPUB 2 fallback (NCX mirroring the nav, OPF
  ``guide``), so Kindle's converter, Kobo, Apple Books, KOReader and old Adobe
  readers all open it.
* Navigation: story › chapter toc, landmarks, and — when the print PDF was laid
  out in the same run — a page-list whose markers sit where the printed pages
  begin (:func:`fanbind.render.insert_page_breaks`).
* Metadata that a library shows correctly, and accessibility metadata computed
  from the documents actually written (:func:`accessibility_metadata`), so it
  cannot claim an image description or page list the book does not have.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ebooklib import epub
from lxml import etree

from fanbind import __version__
from fanbind.errors import BuildError
from fanbind.model import Anthology
from fanbind.render import (
    EPUB_CSS_HREF,
    FONTS_CSS_HREF,
    XHTML_NS,
    Document,
    NavPoint,
    PageTarget,
    book_identifier,
    epub_stylesheets,
    insert_page_breaks,
    new_document,
    set_language,
    sub,
)
from fanbind.resources import BOLD_FONT_FILES, FONT_FILES, FONTS_DIR, STYLES_DIR

if TYPE_CHECKING:
    from fanbind.cover import CoverImage  # the cover module imports Pillow when it draws

__all__ = ["EpubResult", "accessibility_metadata", "book_identifier", "epub_stylesheets",
           "nav_document", "ncx_document", "repack", "write_epub"]

XHTML_MEDIA_TYPE = "application/xhtml+xml"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
OPF = "OPF"
# A fixed zip timestamp: the zip format cannot store dates before 1980, and the
# real build date lives in the OPF (dcterms:modified), not in the container.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

#: The @font-face rules for ``embed_fonts: true``, kept apart from epub.css so a
#: book without embedded fonts names no font at all.
EPUB_FONTS_CSS = STYLES_DIR / "epub-fonts.css"
#: The bold faces' rules, added to it when the book's text has bold.
EPUB_BOLD_FONTS_CSS = STYLES_DIR / "epub-fonts-bold.css"

#: EPUB 2 ``guide`` reference types, by document role (Kindle reads the guide).
GUIDE_TYPES = {"cover": "cover", "titlepage": "title-page", "copyright": "copyright-page",
               "toc": "toc"}


@dataclass(frozen=True)
class EpubResult:
    """What was written: the page-list size and the accessibility claims made."""

    pages: int
    accessibility: tuple[tuple[str, str], ...]


class _Item(epub.EpubItem):  # type: ignore[misc]  # ebooklib ships no types: Any
    """A finished file stored as is, with manifest ``properties``."""

    def __init__(self, uid: str, file_name: str, media_type: str, content: bytes,
                 properties: Iterable[str] = ()):
        super().__init__(uid=uid, file_name=file_name, media_type=media_type, content=content)
        self.properties = list(properties)


# ------------------------------------------------------------------ navigation


def _toc_points(documents: Sequence[Document]) -> list[NavPoint]:
    """The toc: every EPUB document but the cover, stories with their chapters."""
    return [d.nav or NavPoint(d.title, d.filename) for d in documents
            if "epub" in d.formats and d.role != "cover"]


def _nav_list(parent: etree._Element, points: Iterable[NavPoint]) -> None:
    ol = sub(parent, "ol")
    for point in points:
        li = sub(ol, "li")
        a = sub(li, "a", point.title, href=point.href)
        if point.language:
            set_language(a, point.language)
        if point.children:
            _nav_list(li, point.children)


def nav_document(anthology: Anthology, documents: Sequence[Document], stylesheets: tuple[str, ...],
                 pages: Sequence[PageTarget] = ()) -> bytes:
    """The EPUB 3 navigation document: toc (story › chapter), landmarks, page-list."""
    html, body = new_document("Contents", anthology.meta.language, stylesheets)
    toc = sub(body, "nav", id="toc", epub_type="toc", role="doc-toc")
    sub(toc, "h1", "Contents")
    _nav_list(toc, _toc_points(documents))
    landmarks = sub(body, "nav", id="landmarks", epub_type="landmarks", hidden="hidden",
                    aria_labelledby="landmarks-title")
    sub(landmarks, "h2", "Landmarks", id="landmarks-title")
    ol = sub(landmarks, "ol")
    for doc in documents:
        if doc.landmark and "epub" in doc.formats:
            li = sub(ol, "li")
            sub(li, "a", doc.title, href=doc.filename, epub_type=doc.landmark)
    if pages:
        page_list = sub(body, "nav", id="page-list", epub_type="page-list", role="doc-pagelist",
                        hidden="hidden", aria_labelledby="page-list-title")
        sub(page_list, "h2", "Pages", id="page-list-title")
        ol = sub(page_list, "ol")
        for page in pages:
            sub(sub(ol, "li"), "a", page.label, href=page.href)
    return etree.tostring(html, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def _reading_positions(documents: Sequence[Document]) -> dict[str, tuple[int, int]]:
    """``file`` and ``file#id`` → (spine position, element position): the reading order."""
    positions: dict[str, tuple[int, int]] = {}
    for spine_index, doc in enumerate(documents):
        positions[doc.filename] = (spine_index, -1)
        for element_index, element in enumerate(doc.root.iter()):
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id:
                positions.setdefault(f"{doc.filename}#{element_id}", (spine_index, element_index))
    return positions


def ncx_document(anthology: Anthology, documents: Sequence[Document],
                 pages: Sequence[PageTarget] = ()) -> bytes:
    """The EPUB 2 NCX: the nav's toc as a navMap, its page-list as a pageList.

    ``playOrder`` follows the reading order across both lists, and targets that
    are the same place share a number, as the NCX specification asks.
    """
    epub_docs = [d for d in documents if "epub" in d.formats]
    points = _toc_points(epub_docs)
    positions = _reading_positions(epub_docs)
    hrefs: list[str] = []

    def collect(items: Iterable[NavPoint]) -> int:
        depth = 0
        for point in items:
            hrefs.append(point.href)
            depth = max(depth, 1 + collect(point.children))
        return depth

    depth = collect(points)
    hrefs += [page.href for page in pages]
    unknown = [href for href in hrefs if href not in positions]
    if unknown:
        raise BuildError(f"internal error: navigation points at missing targets: {unknown[:3]}")
    order = {key: number for number, key in
             enumerate(sorted({positions[href] for href in hrefs}), start=1)}

    def play_order(href: str) -> str:
        return str(order[positions[href]])

    ncx = etree.Element(f"{{{NCX_NS}}}ncx", nsmap={None: NCX_NS}, version="2005-1")
    ncx.set("{http://www.w3.org/XML/1998/namespace}lang", anthology.meta.language)
    head = etree.SubElement(ncx, f"{{{NCX_NS}}}head")
    numbers = [int(p.label) for p in pages if p.label.isdigit()]
    for name, content in (("dtb:uid", book_identifier(anthology)),
                          ("dtb:depth", str(max(depth, 1))),
                          ("dtb:totalPageCount", str(len(pages))),
                          ("dtb:maxPageNumber", str(max(numbers, default=0)))):
        etree.SubElement(head, f"{{{NCX_NS}}}meta", name=name, content=content)

    def label(parent: etree._Element, tag: str, text: str) -> None:
        etree.SubElement(etree.SubElement(parent, f"{{{NCX_NS}}}{tag}"),
                         f"{{{NCX_NS}}}text").text = text

    label(ncx, "docTitle", anthology.meta.title)
    for author in book_authors(anthology):
        label(ncx, "docAuthor", author)
    nav_map = etree.SubElement(ncx, f"{{{NCX_NS}}}navMap")
    counter = [0]

    def add_points(parent: etree._Element, items: Iterable[NavPoint]) -> None:
        for point in items:
            counter[0] += 1
            element = etree.SubElement(parent, f"{{{NCX_NS}}}navPoint", id=f"np-{counter[0]}",
                                       playOrder=play_order(point.href))
            label(element, "navLabel", point.title)
            etree.SubElement(element, f"{{{NCX_NS}}}content", src=point.href)
            add_points(element, point.children)

    add_points(nav_map, points)
    if pages:
        page_list = etree.SubElement(ncx, f"{{{NCX_NS}}}pageList")
        label(page_list, "navLabel", "Pages")
        for index, page in enumerate(pages, start=1):
            attrs = {"id": f"pt-{index}", "playOrder": play_order(page.href)}
            if page.label.isdigit():
                attrs.update(type="normal", value=str(int(page.label)))
            elif page.label.isalpha() and set(page.label.lower()) <= set("ivxlcdm"):
                attrs["type"] = "front"
            else:
                attrs["type"] = "special"
            target = etree.SubElement(page_list, f"{{{NCX_NS}}}pageTarget", attrs)
            label(target, "navLabel", page.label)
            etree.SubElement(target, f"{{{NCX_NS}}}content", src=page.href)
    return etree.tostring(ncx, xml_declaration=True, encoding="utf-8", pretty_print=True)


# ------------------------------------------------------------------ metadata


def book_authors(anthology: Anthology) -> list[str]:
    """Every story author once, in reading order (editors are not authors)."""
    return list(dict.fromkeys(a for story in anthology.stories for a in story.meta.authors))



#: The conformance claim, when a build can stand behind it (EPUB Accessibility 1.1).
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def accessibility_metadata(documents: Sequence[Document], *, page_list: bool,
                           embedded_fonts: bool = False,
                           conformance: bool = False) -> tuple[tuple[str, str], ...]:
    """EPUB Accessibility 1.1 metadata, worked out from the documents themselves.

    Every claim is checked, not assumed: ``visual`` access mode and the
    ``alternativeText`` feature only when there are images (each of which must
    then carry alt text), the page features only with a page-list, chapters in
    the summary only when a story has them, fonts as the settings have them.
    ``conformance`` adds the ``dcterms:conformsTo`` claim: the caller passes it
    only for a book made of what fanbind wrote itself (a generated cover whose
    alt text is the text drawn on it, fanbind's own styles), the content that
    Ace by DAISY checks with no violations in the test suite; a user's picture
    or stylesheet needs a person's review that a build cannot give.
    """
    epub_docs = [d for d in documents if "epub" in d.formats]
    images = [img for d in epub_docs for img in d.root.iter(f"{{{XHTML_NS}}}img")]
    if any(not (img.get("alt") or "").strip() for img in images):
        raise BuildError("internal error: an image without alt text")
    chapters = any(d.nav is not None and d.nav.children for d in epub_docs)
    props: list[tuple[str, str]] = [("schema:accessMode", "textual")]
    if images:
        props.append(("schema:accessMode", "visual"))
    props.append(("schema:accessModeSufficient", "textual"))
    features = ["structuralNavigation", "tableOfContents", "readingOrder",
                "displayTransformability"]
    if images:
        features.append("alternativeText")
    if page_list:
        features += ["pageBreakMarkers", "pageNavigation", "printPageNumbers"]
    props += [("schema:accessibilityFeature", feature) for feature in features]
    props += [("schema:accessibilityHazard", "none"),
              ("schema:accessibilitySummary",
               _summary(len(images), page_list=page_list, chapters=chapters,
                        embedded_fonts=embedded_fonts))]
    if conformance:
        props += [("dcterms:conformsTo", CONFORMANCE),
                  ("a11y:certifiedBy", f"fanbind {__version__} (automated checks)")]
    return tuple(props)


def _summary(images: int, *, page_list: bool, chapters: bool, embedded_fonts: bool) -> str:
    structure = "each story and its chapters" if chapters else "each story"
    parts = [f"This anthology is text, structured with headings for {structure}, "
             "with a table of contents and a logical reading order."]
    if images == 1:
        parts.append("Its one image, the cover, has a text alternative.")
    elif images:
        parts.append("Every image, the cover included, has a text alternative.")
    if page_list:
        parts.append("Page break markers and a page list give the page numbers of the "
                     "print edition.")
    if embedded_fonts:
        parts.append("It embeds the EB Garamond typeface; text size and colours are left to "
                     "the reading system, which may also replace the typeface.")
    else:
        parts.append("Fonts, text size and colours are left to the reading system.")
    return " ".join(parts)


def _add_metadata(book: epub.EpubBook, anthology: Anthology, *, modified_date: dt.date,
                  cover: CoverImage | None, access: Sequence[tuple[str, str]],
                  page_source: str | None) -> None:
    """Dublin Core and EPUB 3 metadata (titles, creators, subjects, series, a11y)."""
    meta = anthology.meta
    identifier = book_identifier(anthology)
    book.set_identifier(identifier)
    book.title = meta.title
    book.add_metadata("DC", "title", meta.title, {"id": "title"})
    book.add_metadata(OPF, "meta", "main", {"refines": "#title", "property": "title-type"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(OPF, "meta", "subtitle", {"refines": "#subtitle",
                                                    "property": "title-type"})
    languages = dict.fromkeys([meta.language, *(s.meta.language for s in anthology.stories
                                                if s.meta.language)])
    for language in languages:
        book.add_metadata("DC", "language", language)

    # One dc:creator per person, with every role they had: an editor who also
    # wrote a story is one name in a library, not two. Authors come first:
    # reading systems that ignore the role refinements show the first creator
    # as the author.
    creators: dict[str, list[str]] = {author: ["aut"] for author in book_authors(anthology)}
    for editor in meta.editors:
        creators.setdefault(editor, []).append("edt")
    for number, (name, roles) in enumerate(creators.items(), start=1):
        uid = f"creator-{number}"
        book.add_metadata("DC", "creator", name, {"id": uid})
        for role in roles:
            book.add_metadata(OPF, "meta", role, {"refines": f"#{uid}", "property": "role",
                                                  "scheme": "marc:relators"})
        # Pen names sort as written: inverting "Hatake Kakashi" or "tinyredrobin"
        # into "Last, First" would be wrong far more often than right.
        book.add_metadata(OPF, "meta", name, {"refines": f"#{uid}", "property": "file-as"})

    # Every tag of AO3's list, in AO3's order, as library software files a work
    # (AO3's own EPUBs list them so); archive warnings only where the book shows
    # them: a reader who asked for them at the back or hidden should not meet
    # them in a library's subject list.
    subjects: dict[str, str] = {}
    show_warnings = meta.warnings_display == "shown"
    for story in anthology.stories:
        m = story.meta
        rating = (str(m.rating),) if m.rating else ()
        warnings = m.warnings if show_warnings else ()
        for tag in (*rating, *warnings, *map(str, m.categories), *m.fandoms,
                    *m.relationships, *m.characters, *m.tags):
            subjects.setdefault(tag.casefold(), tag)
    for tag in subjects.values():
        book.add_metadata("DC", "subject", tag)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        book.add_metadata("DC", "rights", meta.rights)
    book.add_metadata("DC", "date", (meta.date or modified_date).isoformat())

    if meta.series:
        book.add_metadata(OPF, "meta", meta.series, {"property": "belongs-to-collection",
                                                     "id": "series"})
        book.add_metadata(OPF, "meta", "series", {"refines": "#series",
                                                  "property": "collection-type"})
        # calibre (and Kobo through calibre) reads its own pair of names.
        book.add_metadata(OPF, "meta", "", {"name": "calibre:series", "content": meta.series})
        if meta.series_index is not None:
            book.add_metadata(OPF, "meta", str(meta.series_index),
                              {"refines": "#series", "property": "group-position"})
            book.add_metadata(OPF, "meta", "", {"name": "calibre:series_index",
                                                "content": str(meta.series_index)})
    if cover is not None:
        # EPUB 2 readers and Kindle find the cover through this (EPUB 3 through the item).
        book.add_metadata(OPF, "meta", "", {"name": "cover", "content": "cover-image"})
    for prop, value in access:
        book.add_metadata(OPF, "meta", value, {"property": prop})
    if page_source:
        book.add_metadata(OPF, "meta", page_source, {"property": "pageBreakSource"})
    opf_ns = epub.NAMESPACES[OPF]
    book.metadata[opf_ns]["generator"] = [("", {"name": "generator",
                                                "content": f"fanbind {__version__}"})]
    # Dublin Core first, then the meta elements refining it: easier to read.
    book.metadata[opf_ns] = book.metadata.pop(opf_ns)


# ------------------------------------------------------------------ writing


def print_edition(anthology: Anthology) -> str:
    """Names the print edition a page-list follows (``pageBreakSource``).

    The PDF has no ISBN of its own, so it is named by what decides its pages:
    the book's identifier and the trim size (another trim, other page numbers).
    """
    meta = anthology.meta
    return (f"{meta.title}, print edition, trim {meta.print.trim} "
            f"({book_identifier(anthology)})")


def write_epub(
    anthology: Anthology,
    documents: list[Document],
    target: Path,
    *,
    stylesheet: bytes,
    modified: dt.datetime,
    cover: CoverImage | None = None,
    page_map: Sequence[tuple[str, str]] = (),
    page_source: str | None = None,
    embed_fonts: bool | None = None,
) -> EpubResult:
    """Write the EPUB to ``target`` (the caller makes the write atomic).

    ``page_map`` is the print PDF's ``(block id, page label)`` list; when given,
    the book gets pagebreak markers, a page-list and the page metadata, with
    ``page_source`` naming the print edition. ``embed_fonts`` defaults to the
    ``embed_fonts:`` setting; the documents must link :func:`epub_stylesheets`.
    """
    meta = anthology.meta
    embed = meta.embed_fonts if embed_fonts is None else embed_fonts
    epub_docs = [d for d in documents if "epub" in d.formats]
    pages: tuple[PageTarget, ...] = ()
    if page_map:
        epub_docs, pages = insert_page_breaks(epub_docs, page_map)
    # The user's stylesheet styles the PDF only; a user's cover picture needs a
    # person to write its description.
    own_content = cover is None or (cover.generated and not cover.missing)
    access = accessibility_metadata(epub_docs, page_list=bool(pages), embedded_fonts=embed,
                                    conformance=own_content)

    book = epub.EpubBook()
    _add_metadata(book, anthology, modified_date=modified.astimezone(dt.UTC).date(),
                  cover=cover, access=access,
                  page_source=(page_source or print_edition(anthology)) if pages else None)

    book.add_item(_Item("css", EPUB_CSS_HREF, "text/css", stylesheet))
    contents = [(doc, doc.to_bytes()) for doc in epub_docs]
    if embed:
        # The bold faces (900 kB) travel only in a book whose text has bold.
        bold = any(b"<strong" in content for _, content in contents)
        fonts_css = EPUB_FONTS_CSS.read_bytes()
        if bold:
            fonts_css += EPUB_BOLD_FONTS_CSS.read_bytes()
        book.add_item(_Item("fonts-css", FONTS_CSS_HREF, "text/css", fonts_css))
        names = FONT_FILES if bold else tuple(n for n in FONT_FILES if n not in BOLD_FONT_FILES)
        for index, name in enumerate(names, start=1):
            book.add_item(_Item(f"font-{index}", f"fonts/{name}", "font/otf",
                                (FONTS_DIR / name).read_bytes()))
    if cover is not None:
        book.add_item(_Item("cover-image", cover.file_name, cover.media_type, cover.data,
                            properties=["cover-image"]))

    items = []
    for doc, content in contents:
        item = _Item(doc.id, doc.filename, XHTML_MEDIA_TYPE, content)
        book.add_item(item)
        items.append(item)
    book.add_item(_Item("nav", "nav.xhtml", XHTML_MEDIA_TYPE,
                        nav_document(anthology, epub_docs, epub_stylesheets(embed), pages),
                        properties=["nav"]))
    # Our own NCX under the id ebooklib names in <spine toc="ncx">.
    book.add_item(_Item("ncx", "toc.ncx", "application/x-dtbncx+xml",
                        ncx_document(anthology, epub_docs, pages)))
    book.spine = items

    guide = [{"href": d.filename, "title": d.title, "type": GUIDE_TYPES[d.role]}
             for d in epub_docs if d.role in GUIDE_TYPES]
    guide += [{"href": d.filename, "title": d.title, "type": "text"}
              for d in epub_docs if d.landmark == "bodymatter"]
    book.guide = guide

    buffer = io.BytesIO()
    # ebooklib's zip is only an intermediate (repack rewrites it with fixed dates and
    # attributes): level 0 spares compressing everything twice.
    options = {"mtime": modified.astimezone(dt.UTC), "epub3_landmark": False,
               "raise_exceptions": True, "epub3_pages": False, "compresslevel": 0}
    try:
        epub.write_epub(buffer, book, options)
    except Exception as exc:  # ebooklib raises bare exceptions from deep inside
        raise BuildError(f"could not write the EPUB: {exc}", file=str(target)) from exc
    extra = {APPLE_OPTIONS: APPLE_OPTIONS_XML} if embed else {}
    target.write_bytes(repack(buffer.getvalue(), language=meta.language, extra=extra))
    return EpubResult(len(pages), access)


#: Already compressed: deflating them again costs time and saves nothing.
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


#: Apple Books shows embedded fonts only when the book asks for them here.
APPLE_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n'
                     b'  <platform name="*">\n'
                     b'    <option name="specified-fonts">true</option>\n'
                     b'  </platform>\n</display_options>\n')


def _package_language(opf: bytes, language: str) -> bytes:
    """The OPF with ``xml:lang`` on ``<package>``, which ebooklib does not write.

    Accessibility checkers (Ace's ``epub-lang``) read the package's language
    from this attribute, not from ``dc:language``.
    """
    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def repack(data: bytes, *, language: str | None = None,
           extra: dict[str, bytes] | None = None) -> bytes:
    """Rewrite a zip with fixed timestamps and attributes, ``mimetype`` first and stored.

    Images are stored as they are (they are compressed already); everything
    else is deflated once, at the highest level. ``language`` goes onto the
    OPF's ``<package>``; ``extra`` files (name → bytes) are added.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {name: source.read(name) for name in source.namelist()}
    if language:
        for name in files:
            if name.endswith(".opf"):
                files[name] = _package_language(files[name], language)
    files.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dest:
        names = list(files)
        names.sort(key=lambda n: (n != "mimetype", n != "META-INF/container.xml", 0))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name == "mimetype" or name.lower().endswith(_STORED_SUFFIXES):
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            dest.writestr(info, files[name], compresslevel=9)
    return out.getvalue()
