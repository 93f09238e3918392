"""The one XHTML renderer: model → a list of XHTML documents.

Both writers consume these documents: the EPUB writer stores each one as a file,
the PDF writer joins their bodies into one HTML document for WeasyPrint. Neither
looks at the story text again. Documents are built with lxml's tree API, so every
character from a story or from metadata.yaml is escaped by the serializer;
``<script>`` in a story stays text.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from lxml import etree

from fanbind import __version__
from fanbind.model import (
    Anthology,
    Block,
    Chapter,
    Emphasis,
    Heading,
    Inline,
    LineBreak,
    Paragraph,
    SceneBreak,
    Story,
    Strike,
    Strong,
    Text,
    Underline,
)

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: XHTML_NS, "epub": EPUB_NS}
EPUB_TYPE = f"{{{EPUB_NS}}}type"

Format = Literal["epub", "pdf"]



#: Where the EPUB stores its stylesheets; every document links them (the PDF
#: writer ignores the links and applies print.css).
EPUB_CSS_HREF = "css/epub.css"
FONTS_CSS_HREF = "css/fonts.css"

#: What a pagebreak marker is called in the page-list and read aloud.
PAGEBREAK_TYPE = "pagebreak"

#: Elements a pagebreak marker cannot go inside (void, or lists and tables whose
#: children must be items): the marker goes just before them instead.
_MARK_BEFORE = frozenset({"hr", "img", "br", "ol", "ul", "dl", "table", "tr", "tbody", "thead",
                          "tfoot", "figure", "nav"})
#: A page marker goes before a heading, never into its accessible name.
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class NavPoint:
    """An entry of the table of contents: a title, a target and its children.

    ``language`` is set when the title is in another language than the book
    (a German story in an English anthology), so the nav can mark it.
    """

    title: str
    href: str
    children: tuple[NavPoint, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class PageTarget:
    """One printed page, as the EPUB's page-list points at it."""

    label: str
    href: str


@dataclass
class Document:
    """One XHTML document of the book.

    ``formats`` says which outputs include it (the cover page exists only in the
    EPUB, the half-title only in print). ``landmark`` is the EPUB 3 landmark type.
    ``matter`` says where it belongs in a printed book: front matter (roman
    folios), the stories, or back matter (about the authors, warnings).
    """

    id: str
    filename: str
    title: str
    role: str
    root: etree._Element
    language: str
    formats: frozenset[str] = frozenset({"epub", "pdf"})
    landmark: str | None = None
    matter: Literal["front", "body", "back"] = "front"
    nav: NavPoint | None = None
    story: Story | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, object]:
        """Picklable, so a part of the book can be sent to a worker process: the
        tree goes as its XML (lxml elements do not pickle; the XML is lossless)."""
        state = dict(self.__dict__)
        state["root"] = etree.tostring(self.root, encoding="utf-8")
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state = dict(state)
        xml = state["root"]
        assert isinstance(xml, bytes), "pickled by __getstate__"
        state["root"] = etree.fromstring(xml, etree.XMLParser(resolve_entities=False,
                                                              huge_tree=True))
        self.__dict__.update(state)

    def to_bytes(self) -> bytes:
        """Serialise as XHTML5 with a UTF-8 XML declaration (Kindle wants one)."""
        return etree.tostring(
            self.root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>"
        )


def epub_stylesheets(embed_fonts: bool) -> tuple[str, ...]:
    """The stylesheet hrefs every EPUB document links, fonts first when embedded."""
    return (FONTS_CSS_HREF, EPUB_CSS_HREF) if embed_fonts else (EPUB_CSS_HREF,)


def _x(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append an XHTML element; ``class_`` and ``epub_type`` map to their attributes."""
    element = etree.SubElement(parent, _x(tag))
    for key, value in attrs.items():
        if key == "class_":
            element.set("class", value)
        elif key == "epub_type":
            element.set(EPUB_TYPE, value)
        else:
            element.set(key.replace("_", "-"), value)
    if text is not None:
        element.text = text
    return element


def set_language(element: etree._Element, language: str) -> None:
    """Mark an element's language both ways: ``lang`` for HTML, ``xml:lang`` for XML readers."""
    element.set("lang", language)
    element.set(XML_LANG, language)


def new_document(title: str, language: str,
                 stylesheets: Iterable[str]) -> tuple[etree._Element, etree._Element]:
    """An empty XHTML document: returns (html root, body)."""
    html = etree.Element(_x("html"), nsmap=NSMAP)
    set_language(html, language)
    head = sub(html, "head")
    sub(head, "meta", charset="utf-8")
    sub(head, "title", title)
    for href in stylesheets:
        sub(head, "link", rel="stylesheet", type="text/css", href=href)
    body = sub(html, "body")
    return html, body


#: The element each wrapping inline kind becomes (HTML's own meaning for each).
_SPAN_TAGS: dict[type, str] = {Emphasis: "em", Strong: "strong", Underline: "u", Strike: "s"}


def append_inlines(parent: etree._Element, inlines: Iterable[Inline]) -> None:
    """Append inline spans as text and ``em``/``strong``/``u``/``s``/``br`` children, in order."""
    for span in inlines:
        if isinstance(span, Text):
            _append_text(parent, span.text)
        elif isinstance(span, LineBreak):
            sub(parent, "br")
        else:
            append_inlines(sub(parent, _SPAN_TAGS[type(span)]), span.children)


def _append_text(parent: etree._Element, text: str) -> None:
    # The last child straight from its pointer: len(parent) walks every child, and
    # a tag list calls this once per tag (100,000 tags took minutes).
    last = next(parent.iterchildren(reversed=True), None)
    if last is not None:
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def book_identifier(anthology: Anthology) -> str:
    """The configured identifier, else a UUID derived from the content (stable).

    Derived from the title and the stories' titles and authors, so rebuilding
    the same anthology keeps its identity (readers file it as the same book)
    while a different selection of stories becomes a different book.
    """
    if anthology.meta.identifier:
        return anthology.meta.identifier
    seed = "\n".join([anthology.meta.title, *(s.title + "\0" + ",".join(s.meta.authors)
                                               for s in anthology.stories)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'fanbind:' + seed)}"


class Renderer:
    """Turns an :class:`Anthology` into :class:`Document` objects.

    ``stylesheets`` are the hrefs (relative to the documents) that each document
    links; the EPUB writer stores the files under those names. ``cover_href``
    and ``cover_alt`` describe the cover image (EPUB only: print has its own
    cover); without them there is no cover page. ``date`` is the publication date
    the colophon shows (metadata.yaml's ``date:``, else the build's date).
    """

    def __init__(self, anthology: Anthology, *, stylesheets: tuple[str, ...] = ("css/book.css",),
                 cover_href: str | None = None, cover_alt: str = "",
                 date: dt.date | None = None):
        self.book = anthology
        self.meta = anthology.meta
        self.stylesheets = stylesheets
        self.cover_href = cover_href
        self.cover_alt = cover_alt or f"Cover of {anthology.meta.title}"
        self.date = date or anthology.meta.date

    # ------------------------------------------------------------------ helpers

    def _doc(self, title: str,
             language: str | None = None) -> tuple[etree._Element, etree._Element]:
        return new_document(title, language or self.meta.language, self.stylesheets)

    def story_href(self, story: Story, anchor: str | None = None) -> str:
        return f"{story.id}.xhtml#{anchor or story.id}"

    def chapter_anchor(self, story: Story, index: int) -> str:
        return f"{story.id}-ch{index + 1}"

    def story_language(self, story: Story) -> str:
        return story.meta.language or self.meta.language

    def _foreign(self, element: etree._Element, story: Story) -> etree._Element:
        """Mark ``element`` with the story's language when it differs from the book's."""
        language = self.story_language(story)
        if language != self.meta.language:
            set_language(element, language)
        return element

    def _story_nav_language(self, story: Story) -> str | None:
        language = self.story_language(story)
        return language if language != self.meta.language else None

    @property
    def warnings_at_end(self) -> bool:
        """Warnings go to a back-matter page (and some story has any)."""
        return self.meta.warnings_display == "end" and any(s.meta.warnings
                                                            for s in self.book.stories)

    # ------------------------------------------------------------------ pages

    def render(self) -> list[Document]:
        """Every document of the book, in reading order."""
        stories = [self.story_document(story) for story in self.book.stories]
        back = self.back_matter()
        docs = [self.cover_page()] if self.cover_href else []
        docs += [self.half_title(), self.title_page(), self.colophon(), self.contents(back)]
        return docs + stories + back

    def back_matter(self) -> list[Document]:
        """The pages after the stories: archive warnings (when moved there), the authors."""
        docs = []
        if self.warnings_at_end:
            docs.append(self.warnings_page())
        docs.append(self.authors_page())
        if docs:
            docs[0].landmark = "backmatter"
        return docs

    def cover_page(self) -> Document:
        """The cover as a page (EPUB only): the image, scaled to the screen by CSS."""
        html, body = self._doc(self.meta.title)
        section = sub(body, "section", class_="cover", id="cover", epub_type="cover")
        sub(section, "img", src=self.cover_href or "", alt=self.cover_alt, class_="cover-image",
            role="doc-cover")
        return Document("cover", "cover.xhtml", "Cover", "cover", html, self.meta.language,
                        formats=frozenset({"epub"}), landmark="cover")

    def half_title(self) -> Document:
        html, body = self._doc(self.meta.title)
        section = sub(body, "section", class_="half-title", id="half-title",
                      epub_type="halftitlepage")
        sub(section, "p", self.meta.title, class_="half-title-text")
        return Document("half-title", "half-title.xhtml", self.meta.title, "halftitlepage", html,
                        self.meta.language, formats=frozenset({"pdf"}))

    def title_page(self) -> Document:
        html, body = self._doc(self.meta.title)
        section = sub(body, "section", class_="titlepage", id="titlepage", epub_type="titlepage")
        sub(section, "h1", self.meta.title, class_="book-title")
        if self.meta.subtitle:
            sub(section, "p", self.meta.subtitle, class_="book-subtitle")
        if self.meta.editors:
            p = sub(section, "p", "Edited by ", class_="book-editors")
            sub(p, "span", _join_names(self.meta.editors), class_="name")
        if self.meta.publisher:
            sub(section, "p", self.meta.publisher, class_="book-publisher")
        return Document("titlepage", "titlepage.xhtml", "Title Page", "titlepage", html,
                        self.meta.language, landmark="titlepage")

    def colophon(self) -> Document:
        """The copyright page (title verso): rights, first publication, identifier, date.

        It is where a reader looks to learn whose stories these are and where
        they first appeared, so each story with a ``source:`` or ``published:``
        gets a credit line.
        """
        html, body = self._doc("Copyright")
        section = sub(body, "section", class_="colophon", id="colophon",
                      epub_type="colophon copyright-page", role="doc-colophon",
                      aria_label="Copyright")
        title = sub(section, "p", class_="colophon-book")
        sub(title, "cite", self.meta.title)
        if self.meta.subtitle:
            _append_text(title, ": " + self.meta.subtitle)
        if self.meta.editors:
            sub(section, "p", f"Edited by {_join_names(self.meta.editors)}",
                class_="colophon-editors")
        if self.meta.rights:
            sub(section, "p", self.meta.rights, class_="rights")
        credited = [s for s in self.book.stories if s.meta.source or s.meta.published]
        if credited:
            ul = sub(section, "ul", class_="credits")
            for story in credited:
                li = sub(ul, "li")
                cite = self._foreign(sub(li, "cite", story.title), story)
                cite.tail = f" by {_join_names(story.meta.authors)}"
                if story.meta.published:
                    _append_text(li, ", first published ")
                    sub(li, "time", story.meta.published.isoformat(),
                        datetime=story.meta.published.isoformat())
                if story.meta.source:
                    _append_text(li, " at " if story.meta.published else ", first published at ")
                    sub(li, "a", story.meta.source, href=story.meta.source, class_="source")
                _append_text(li, ".")
        published = sub(section, "p", class_="colophon-published")
        if self.meta.publisher:
            _append_text(published, f"Published by {self.meta.publisher}")
        if self.date:
            _append_text(published, ", " if self.meta.publisher else "Published ")
            sub(published, "time", self.date.isoformat(), datetime=self.date.isoformat())
        if len(published) or published.text:
            _append_text(published, ".")
        else:
            section.remove(published)
        sub(section, "p", f"Identifier: {book_identifier(self.book)}", class_="identifier")
        sub(section, "p", f"Made with fanbind {__version__}.", class_="made-with")
        return Document("colophon", "colophon.xhtml", "Copyright", "copyright", html,
                        self.meta.language)

    def contents(self, back: Sequence[Document] = ()) -> Document:
        html, body = self._doc("Contents")
        section = sub(body, "section", class_="contents", id="contents", epub_type="toc",
                      role="doc-toc", aria_labelledby="contents-title")
        sub(section, "h1", "Contents", class_="contents-title", id="contents-title")
        ol = sub(section, "ol", class_="contents-list")
        for story in self.book.stories:
            li = sub(ol, "li", class_="contents-entry")
            a = sub(li, "a", href=self.story_href(story), class_="contents-link")
            self._foreign(sub(a, "span", story.title, class_="contents-story"), story)
            sub(li, "span", _join_names(story.meta.authors), class_="contents-authors")
        for doc in back:
            li = sub(ol, "li", class_="contents-entry contents-back")
            a = sub(li, "a", href=doc.nav.href if doc.nav else doc.filename, class_="contents-link")
            sub(a, "span", doc.title, class_="contents-story")
        return Document("contents", "contents.xhtml", "Contents", "toc", html,
                        self.meta.language, landmark="toc")

    def story_document(self, story: Story) -> Document:
        language = self.story_language(story)
        html, body = self._doc(story.title, language)
        section = sub(body, "section", class_="story", id=story.id, epub_type="bodymatter chapter",
                      role="doc-chapter")
        section.set("aria-labelledby", f"{story.id}-title")
        self._preface(section, story)
        titled = [ch for ch in story.chapters if ch.title]
        children: list[NavPoint] = []
        counter = [0]
        nav_language = self._story_nav_language(story)
        for index, chapter in enumerate(story.chapters):
            if titled:
                anchor = self.chapter_anchor(story, index)
                container = sub(section, "section", class_="chapter", id=anchor)
                if chapter.title:
                    sub(container, "h2", chapter.title, class_="chapter-title")
                    children.append(NavPoint(chapter.title, self.story_href(story, anchor),
                                             language=nav_language))
                self._chapter_notes(container, (("summary", "Chapter Summary", chapter.summary),
                                                ("notes", "Chapter Notes", chapter.notes)))
                self._blocks(container, chapter, heading_level=3, story=story, counter=counter)
                self._chapter_notes(container, (("end-notes", "Chapter End Notes",
                                                 chapter.end_notes),))
            else:
                self._chapter_notes(section, (("summary", "Chapter Summary", chapter.summary),
                                              ("notes", "Chapter Notes", chapter.notes)))
                self._blocks(section, chapter, heading_level=2, story=story, counter=counter)
                self._chapter_notes(section, (("end-notes", "Chapter End Notes",
                                               chapter.end_notes),))
        self._end_notes(section, story)
        nav = NavPoint(story.title, self.story_href(story), tuple(children), nav_language)
        return Document(story.id, f"{story.id}.xhtml", story.title, "story", html, language,
                        landmark="bodymatter" if story.index == 0 else None, matter="body",
                        nav=nav, story=story)

    def warnings_page(self) -> Document:
        """Archive warnings moved out of the prefaces (``warnings_display: end``).

        For readers who avoid spoilers: each preface links here instead of naming
        the warnings, and each entry links back to its story.
        """
        html, body = self._doc("Archive Warnings")
        section = sub(body, "section", class_="warnings", id="warnings", epub_type="appendix",
                      role="doc-appendix", aria_labelledby="warnings-title")
        sub(section, "h1", "Archive Warnings", class_="warnings-title", id="warnings-title")
        sub(section, "p", "The archive warnings of each story, kept here for readers who "
            "prefer to read without them.", class_="warnings-intro")
        for story in self.book.stories:
            if not story.meta.warnings:
                continue
            entry = sub(section, "section", class_="story-warnings", id=f"{story.id}-warnings")
            self._foreign(sub(entry, "h2", story.title), story)
            ul = sub(entry, "ul")
            for warning in story.meta.warnings:
                sub(ul, "li", warning)
            back = sub(entry, "p", class_="backlink")
            a = sub(back, "a", "Back to ", href=self.story_href(story, f"{story.id}-title"))
            self._foreign(sub(a, "cite", story.title), story)
        return Document("warnings", "warnings.xhtml", "Archive Warnings", "appendix", html,
                        self.meta.language, matter="back",
                        nav=NavPoint("Archive Warnings", "warnings.xhtml"))

    def authors_page(self) -> Document:
        """About the authors: each author once, with the stories they wrote here."""
        html, body = self._doc("About the Authors")
        section = sub(body, "section", class_="authors", id="authors", epub_type="contributors",
                      aria_labelledby="authors-title")
        sub(section, "h1", "About the Authors", class_="authors-title", id="authors-title")
        by_author: dict[str, list[Story]] = {}
        for story in self.book.stories:
            for author in story.meta.authors:
                by_author.setdefault(author, []).append(story)
        for number, (author, stories) in enumerate(by_author.items(), start=1):
            entry = sub(section, "section", class_="author", id=f"author-{number}")
            sub(entry, "h2", author, class_="author-name")
            ul = sub(entry, "ul", class_="author-stories")
            for story in stories:
                li = sub(ul, "li")
                a = sub(li, "a", href=self.story_href(story))
                self._foreign(sub(a, "cite", story.title), story)
                others = [name for name in story.meta.authors if name != author]
                if others:
                    _append_text(li, f" (with {_join_names(others)})")
        return Document("authors", "authors.xhtml", "About the Authors", "contributors", html,
                        self.meta.language, matter="back",
                        nav=NavPoint("About the Authors", "authors.xhtml"))

    # ------------------------------------------------------------------ story parts

    def _preface(self, section: etree._Element, story: Story) -> None:
        """AO3's preface: title, byline, then the tags, summary and notes.

        The tag block and texts sit in their own ``doc-preface`` section. The
        opening is a ``div`` with the class ``preface`` that both stylesheets hang
        the story opening on, not a ``header``: reading systems expose a header
        as a banner landmark, one per story.
        """
        header = sub(section, "div", class_="preface")
        sub(header, "h1", story.title, class_="story-title", id=f"{story.id}-title")
        byline = sub(header, "p", "by ", class_="byline")
        sub(byline, "span", _join_names(story.meta.authors), class_="authors")
        rows = [row for row in _tag_rows(story) if row[2]]
        if self.meta.warnings_display == "hidden":
            rows = [row for row in rows if row[1] != "warnings"]
        texts = [(kind, title, paragraphs) for kind, title, paragraphs in
                 (("summary", "Summary", story.summary), ("notes", "Notes", story.notes))
                 if paragraphs]
        if not rows and not texts:
            return
        info = sub(header, "section", class_="story-preface", epub_type="preface",
                   role="doc-preface", aria_label="Preface")
        if rows:
            dl = sub(info, "dl", class_="tags")
            for label, attr, values in rows:
                sub(dl, "dt", label)
                dd = sub(dl, "dd")
                if attr == "warnings" and self.warnings_at_end:
                    sub(dd, "a", "Listed at the back of the book",
                        href=f"warnings.xhtml#{story.id}-warnings", class_="warnings-link")
                    continue
                for i, value in enumerate(values):
                    if i:
                        _append_text(dd, ", ")
                    sub(dd, "span", value, class_="tag")
        for kind, title, paragraphs in texts:
            box = sub(info, "section", class_=kind)
            sub(box, "h2", title)
            for paragraph in paragraphs:
                append_inlines(sub(box, "p"), paragraph.inlines)

    def _end_notes(self, section: etree._Element, story: Story) -> None:
        if not story.end_notes:
            return
        aside = sub(section, "section", class_="end-notes", id=f"{story.id}-end-notes",
                    epub_type="afterword", role="doc-afterword",
                    aria_labelledby=f"{story.id}-end-notes-title")
        sub(aside, "h2", "End Notes", id=f"{story.id}-end-notes-title")
        for paragraph in story.end_notes:
            append_inlines(sub(aside, "p"), paragraph.inlines)

    def _chapter_notes(self, parent: etree._Element,
                       texts: Iterable[tuple[str, str, tuple[Paragraph, ...]]]) -> None:
        """A chapter's own summary, notes or end notes, labelled, where the chapter has them.

        Set like the story's preface notes; the labels are ``h3`` elements that
        neither the EPUB nav nor the PDF outline lists (only chapter titles are).
        """
        for kind, label, paragraphs in texts:
            if not paragraphs:
                continue
            box = sub(parent, "section", class_=f"chapter-notes {kind}", aria_label=label)
            sub(box, "h3", label, class_="notes-label")
            for paragraph in paragraphs:
                append_inlines(sub(box, "p"), paragraph.inlines)

    def _blocks(self, parent: etree._Element, chapter: Chapter, *, heading_level: int,
                story: Story, counter: list[int]) -> None:
        """Render a chapter's blocks; each gets a stable id ``story-003-b42``.

        The ids let the PDF writer report which block starts each printed page, so
        the EPUB's page-list can point at the same places as the printed book.
        Consecutive quoted paragraphs share one ``<blockquote>``.
        """
        first = True
        quote: etree._Element | None = None
        for block in chapter.blocks:
            if isinstance(block, Paragraph) and block.quote:
                if quote is None:
                    quote = sub(parent, "blockquote")
                element = self._block(quote, block, heading_level)
            else:
                quote = None
                element = self._block(parent, block, heading_level)
            counter[0] += 1
            element.set("id", f"{story.id}-b{counter[0]}")
            if first and isinstance(block, Paragraph):
                element.set("class", "first")
                first = False
            elif isinstance(block, (SceneBreak, Heading)):
                first = True
            else:
                first = False

    def _block(self, parent: etree._Element, block: Block, heading_level: int) -> etree._Element:
        if isinstance(block, Paragraph):
            p = sub(parent, "p")
            append_inlines(p, block.inlines)
            return p
        if isinstance(block, Heading):
            h = sub(parent, f"h{heading_level}", class_="label")
            append_inlines(h, block.inlines)
            return h
        return sub(parent, "hr", class_="scene-break", aria_label="Scene break")


# ---------------------------------------------------------------------- page breaks


def page_anchor(label: str) -> str:
    """The marker id for a printed page label: ``112`` → ``page-112``, ``xii`` → ``page-xii``."""
    return "page-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "x")


def insert_page_breaks(
    documents: Sequence[Document], page_map: Iterable[tuple[str, str]]
) -> tuple[list[Document], tuple[PageTarget, ...]]:
    """Copies of ``documents`` with a pagebreak marker where each printed page begins.

    ``page_map`` comes from the PDF writer: for each printed page in order, the id
    of the block element at its top and the page's printed label. The marker,
    ``<span epub:type="pagebreak" role="doc-pagebreak" id="page-112"
    aria-label="112"></span>``, goes at the start of that block — inside it, or
    just before it where the block cannot hold a span (``hr``, lists). A block
    that runs over several pages gets one marker per page, in order, so a page
    that starts mid-paragraph maps to the start of that paragraph ("paragraph
    precision"). Pages whose block is not in the EPUB (the print-only half-title)
    have no marker.

    A marker never goes inside a heading, where it would become part of the
    heading's accessible name ("1 Any Alpha Would"): it goes before it. A story
    whose preface faces its opening in print (preface on page vi, title on 1)
    gets the opening's marker after the preface, so the markers keep the
    printed order.

    The originals are left alone: the PDF is laid out from the same documents.
    Returns the copies and the page-list entries in reading order.
    """
    copies = [replace(doc, root=copy.deepcopy(doc.root)) for doc in documents]
    where: dict[str, tuple[Document, etree._Element]] = {}
    for doc in copies:
        if "epub" not in doc.formats:
            continue
        for element in doc.root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id and element_id not in where:
                where[element_id] = (doc, element)
    used: set[str] = set(where)
    # Keyed by the element itself, which keeps its lxml proxy alive: an id() of a
    # proxy that was freed can come back for another element (the marker then
    # went after some other block's marker, in another document).
    last_marker: dict[etree._Element, etree._Element] = {}
    targets: list[PageTarget] = []
    for block_id, label in page_map:
        found = where.get(block_id)
        if found is None or not label:
            continue
        doc, element = found
        element, after = _marker_place(element)
        anchor = page_anchor(label)
        suffix = 2
        while anchor in used:
            anchor = f"{page_anchor(label)}-{suffix}"
            suffix += 1
        used.add(anchor)
        marker = etree.Element(_x("span"))
        marker.set(EPUB_TYPE, PAGEBREAK_TYPE)
        marker.set("role", "doc-pagebreak")
        marker.set("id", anchor)
        marker.set("aria-label", label)
        marker.text = ""  # serialised as <span …></span>: safe for HTML parsers too
        previous = last_marker.get(element)
        if after:
            (previous if previous is not None else element).addnext(marker)
        elif previous is not None:
            # After the markers already placed for this block, before its text.
            marker.tail, previous.tail = previous.tail, None
            previous.addnext(marker)
        elif (etree.QName(element).localname in _MARK_BEFORE | _HEADINGS
              or element.getparent() is None):
            element.addprevious(marker)
        else:
            marker.tail, element.text = element.text, None
            element.insert(0, marker)
        last_marker[element] = marker
        targets.append(PageTarget(label, f"{doc.filename}#{anchor}"))
    return copies, tuple(targets)



def _marker_place(element: etree._Element) -> tuple[etree._Element, bool]:
    """Where a page marker for ``element`` goes: (anchor element, after it?).

    Headings take their marker before them; a story title whose preface faces
    the opening in print takes it after the preface, where the text begins.
    """
    if etree.QName(element).localname not in _HEADINGS:
        return element, False
    opening = element.getparent()
    if opening is not None and "preface" in (opening.get("class") or "").split():
        has_preface = any("story-preface" in (child.get("class") or "").split()
                          for child in opening if isinstance(child.tag, str))
        return opening, has_preface
    return element, False


# ---------------------------------------------------------------------- helpers


def _join_names(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _tag_rows(story: Story) -> list[tuple[str, str, tuple[str, ...]]]:
    """The AO3 tag block, in AO3's order: (label, StoryConfig field, values)."""
    meta = story.meta
    return [
        ("Rating", "rating", () if meta.rating is None else (meta.rating.value,)),
        ("Archive Warnings", "warnings", meta.warnings),
        ("Category", "categories", tuple(category.value for category in meta.categories)),
        ("Fandom", "fandoms", meta.fandoms),
        ("Relationships", "relationships", meta.relationships),
        ("Characters", "characters", meta.characters),
        ("Additional Tags", "tags", meta.tags),
        ("Series", "series", () if meta.series is None else (
            meta.series if meta.series_part is None
            else f"Part {meta.series_part} of {meta.series}",)),
    ]


def render_book(anthology: Anthology, *, stylesheets: tuple[str, ...] = ("css/book.css",),
                cover_href: str | None = None, cover_alt: str = "",
                date: dt.date | None = None) -> list[Document]:
    """Render the whole anthology (see :class:`Renderer`)."""
    return Renderer(anthology, stylesheets=stylesheets, cover_href=cover_href,
                    cover_alt=cover_alt, date=date).render()
