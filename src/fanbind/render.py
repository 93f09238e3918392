"""The one XHTML renderer: model → a list of XHTML documents.

Both writers consume these documents: the EPUB writer stores each one as a file,
the PDF writer joins their bodies into one HTML document for WeasyPrint. Neither
looks at the story text again. Documents are built with lxml's tree API, so every
character from a story or from metadata.yaml is escaped by the serializer;
``<script>`` in a story stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from fanbind.model import (
    Anthology,
    Block,
    Chapter,
    Emphasis,
    Heading,
    Inline,
    Paragraph,
    SceneBreak,
    Story,
    Text,
)

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: XHTML_NS, "epub": EPUB_NS}
EPUB_TYPE = f"{{{EPUB_NS}}}type"

Format = Literal["epub", "pdf"]

# The AO3 tag block, in AO3's order: (label, attribute of StoryConfig).
TAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("Rating", "rating"),
    ("Archive Warnings", "warnings"),
    ("Category", "categories"),
    ("Fandom", "fandoms"),
    ("Relationships", "relationships"),
    ("Characters", "characters"),
    ("Additional Tags", "tags"),
)


@dataclass(frozen=True)
class NavPoint:
    """An entry of the table of contents: a title, a target and its children."""

    title: str
    href: str
    children: tuple[NavPoint, ...] = ()


@dataclass
class Document:
    """One XHTML document of the book.

    ``formats`` says which outputs include it (the cover page exists only in the
    EPUB, the half-title only in print). ``landmark`` is the EPUB 3 landmark type.
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

    def to_bytes(self) -> bytes:
        """Serialise as XHTML5 with a UTF-8 XML declaration (Kindle wants one)."""
        return etree.tostring(
            self.root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>"
        )


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


def new_document(title: str, language: str, stylesheets: Iterable[str]) -> tuple[etree._Element, etree._Element]:
    """An empty XHTML document: returns (html root, body)."""
    html = etree.Element(_x("html"), nsmap=NSMAP)
    html.set("lang", language)
    html.set(XML_LANG, language)
    head = sub(html, "head")
    sub(head, "meta", charset="utf-8")
    sub(head, "title", title)
    for href in stylesheets:
        sub(head, "link", rel="stylesheet", type="text/css", href=href)
    body = sub(html, "body")
    return html, body


def append_inlines(parent: etree._Element, inlines: Iterable[Inline]) -> None:
    """Append inline spans as text and ``<em>`` children, in order."""
    for span in inlines:
        if isinstance(span, Text):
            _append_text(parent, span.text)
        elif isinstance(span, Emphasis):
            em = sub(parent, "em")
            append_inlines(em, span.children)


def _append_text(parent: etree._Element, text: str) -> None:
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


class Renderer:
    """Turns an :class:`Anthology` into :class:`Document` objects.

    ``stylesheets`` are the hrefs (relative to the documents) that each document
    links; the EPUB writer stores the files under those names.
    """

    def __init__(self, anthology: Anthology, *, stylesheets: tuple[str, ...] = ("css/book.css",)):
        self.book = anthology
        self.meta = anthology.meta
        self.stylesheets = stylesheets

    # ------------------------------------------------------------------ helpers

    def _doc(self, title: str, language: str | None = None) -> tuple[etree._Element, etree._Element]:
        return new_document(title, language or self.meta.language, self.stylesheets)

    def story_href(self, story: Story, anchor: str | None = None) -> str:
        return f"{story.id}.xhtml#{anchor or story.id}"

    def chapter_anchor(self, story: Story, index: int) -> str:
        return f"{story.id}-ch{index + 1}"

    # ------------------------------------------------------------------ pages

    def render(self) -> list[Document]:
        """Every document of the book, in reading order."""
        docs = [self.half_title(), self.title_page(), self.contents()]
        docs.extend(self.story_document(story) for story in self.book.stories)
        return docs

    def half_title(self) -> Document:
        html, body = self._doc(self.meta.title)
        section = sub(body, "section", class_="half-title", id="half-title", epub_type="halftitlepage")
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

    def contents(self) -> Document:
        html, body = self._doc("Contents")
        section = sub(body, "section", class_="contents", id="contents", epub_type="toc",
                      role="doc-toc")
        sub(section, "h2", "Contents", class_="contents-title")
        ol = sub(section, "ol", class_="contents-list")
        for story in self.book.stories:
            li = sub(ol, "li", class_="contents-entry")
            a = sub(li, "a", href=self.story_href(story), class_="contents-link")
            sub(a, "span", story.title, class_="contents-story")
            sub(li, "span", _join_names(story.meta.authors), class_="contents-authors")
        return Document("contents", "contents.xhtml", "Contents", "toc", html,
                        self.meta.language, landmark="toc")

    def story_document(self, story: Story) -> Document:
        language = story.meta.language or self.meta.language
        html, body = self._doc(story.title, language)
        section = sub(body, "section", class_="story", id=story.id, epub_type="bodymatter chapter",
                      role="doc-chapter")
        section.set("aria-labelledby", f"{story.id}-title")
        self._preface(section, story)
        titled = [ch for ch in story.chapters if ch.title]
        children: list[NavPoint] = []
        counter = [0]
        for index, chapter in enumerate(story.chapters):
            if titled:
                anchor = self.chapter_anchor(story, index)
                container = sub(section, "section", class_="chapter", id=anchor)
                if chapter.title:
                    sub(container, "h2", chapter.title, class_="chapter-title")
                    children.append(NavPoint(chapter.title, self.story_href(story, anchor)))
                self._blocks(container, chapter, heading_level=3, story=story, counter=counter)
            else:
                self._blocks(section, chapter, heading_level=2, story=story, counter=counter)
        self._end_notes(section, story)
        nav = NavPoint(story.title, self.story_href(story), tuple(children))
        return Document(story.id, f"{story.id}.xhtml", story.title, "story", html, language,
                        landmark="bodymatter" if story.index == 0 else None, matter="body",
                        nav=nav, story=story)

    # ------------------------------------------------------------------ story parts

    def _preface(self, section: etree._Element, story: Story) -> None:
        header = sub(section, "header", class_="preface")
        sub(header, "h1", story.title, class_="story-title", id=f"{story.id}-title")
        byline = sub(header, "p", "by ", class_="byline")
        sub(byline, "span", _join_names(story.meta.authors), class_="authors")
        rows = [(label, _tag_values(story, attr)) for label, attr in TAG_FIELDS]
        rows = [(label, values) for label, values in rows if values]
        if rows:
            dl = sub(header, "dl", class_="tags")
            for label, values in rows:
                sub(dl, "dt", label)
                dd = sub(dl, "dd")
                for i, value in enumerate(values):
                    if i:
                        _append_text(dd, ", ")
                    sub(dd, "span", value, class_="tag")
        for kind, title, paragraphs in (("summary", "Summary", story.summary),
                                        ("notes", "Notes", story.notes)):
            if paragraphs:
                box = sub(header, "section", class_=kind)
                sub(box, "h2", title)
                for paragraph in paragraphs:
                    append_inlines(sub(box, "p"), paragraph.inlines)

    def _end_notes(self, section: etree._Element, story: Story) -> None:
        if not story.end_notes:
            return
        aside = sub(section, "section", class_="end-notes", epub_type="afterword")
        sub(aside, "h2", "End Notes")
        for paragraph in story.end_notes:
            append_inlines(sub(aside, "p"), paragraph.inlines)

    def _blocks(self, parent: etree._Element, chapter: Chapter, *, heading_level: int,
                story: Story, counter: list[int]) -> None:
        """Render a chapter's blocks; each gets a stable id ``story-003-b42``.

        The ids let the PDF writer report which block starts each printed page, so
        the EPUB's page-list can point at the same places as the printed book.
        """
        first = True
        for block in chapter.blocks:
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


def _join_names(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _tag_values(story: Story, attr: str) -> list[str]:
    value = getattr(story.meta, attr)
    if value is None:
        return []
    if isinstance(value, tuple):
        return [getattr(v, "value", v) for v in value]
    return [getattr(value, "value", value)]


def render_book(anthology: Anthology, *, stylesheets: tuple[str, ...] = ("css/book.css",)) -> list[Document]:
    """Render the whole anthology (see :class:`Renderer`)."""
    return Renderer(anthology, stylesheets=stylesheets).render()
