"""The HTML tree arranged for print: the rendered documents joined and rearranged.

Everything here works on the lxml tree only, before WeasyPrint sees it
(:mod:`fanbind.pdf.layout`): :func:`join_documents` makes one document of the
print documents, :func:`arrange_for_print` moves paratext and marks leads and
story ends, and :func:`prepare_part` adjusts the tree of one part of a book laid
out in parts (:mod:`fanbind.pdf.parts`) as :class:`PartOptions` say.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from fanbind.model import Anthology
from fanbind.pdf.advance import HEAD_SIZE_EM, fit, small_caps_width
from fanbind.pdf.result import BLOCK_ID
from fanbind.render import XHTML_NS, Document, new_document, sub

#: The class of a part's root when its first story opens on a verso (its paratext
#: faces the opening); :attr:`PartOptions.css` starts such a part on the left.
START_LEFT_CLASS = "fanbind-start-left"
#: The attribute of a byline's names that print.css sets the verso head from, when
#: the head is not the byline's own text (:func:`verso_head`).
RUNNING_HEAD_ATTRIBUTE = "data-running-head"
#: The class of the page of stand-ins for link targets in other parts.
STUB_CLASS = "fanbind-stubs"


def join_documents(anthology: Anthology, documents: list[Document]) -> etree._Element:
    """One HTML tree from the print documents' bodies, with in-document links."""
    meta = anthology.meta
    html, body = new_document(meta.title, meta.language, ())
    head = part_of(html, "head")
    authors = list(dict.fromkeys(a for s in anthology.stories for a in s.meta.authors))
    sub(head, "meta", name="author", content=", ".join(authors or meta.editors))
    keywords = dict.fromkeys(t for s in anthology.stories
                             for t in (*s.meta.fandoms, *s.meta.relationships, *s.meta.tags))
    if keywords:
        sub(head, "meta", name="keywords", content=", ".join(keywords))
    if meta.description:
        sub(head, "meta", name="description", content=meta.description)
    sub(head, "meta", name="generator", content="fanbind")
    # Consecutive documents of the same matter share a wrapper, so print.css can
    # give each matter its own named page (roman folios, a page counter reset).
    wrapper: etree._Element | None = None
    for doc in documents:
        if "pdf" not in doc.formats:
            continue
        if wrapper is None or wrapper.get("class") != f"{doc.matter}matter":
            wrapper = sub(body, "div", class_=f"{doc.matter}matter")
        for child in part_of(doc.root, "body"):
            part = copy.deepcopy(child)
            if doc.language != meta.language:
                part.set("lang", doc.language)
            wrapper.append(part)
    heads = {story.id: verso_head(story.meta.authors) for story in anthology.stories}
    for section in body.iter(xhtml("section")):
        running = heads.get(section.get("id") or "")
        if running is not None and has_class(section, "story"):
            for span in section.iter(xhtml("span")):
                parent = span.getparent()
                if (has_class(span, "authors") and parent is not None
                        and has_class(parent, "byline")):
                    span.set(RUNNING_HEAD_ATTRIBUTE, running)
    for link in body.iter(f"{{{XHTML_NS}}}a"):
        href = link.get("href", "")
        if ".xhtml" in href and "://" not in href:
            filename, _, anchor = href.partition("#")
            link.set("href", "#" + (anchor or filename.removesuffix(".xhtml")))
    return html


def verso_head(authors: list[str] | tuple[str, ...]) -> str | None:
    """The verso running head for a story by ``authors``, when not the byline's text.

    Three or more names do not fit a running head (eight overran the trim):
    the first author and "et al." stand for them. None keeps the byline's names.
    """
    if len(authors) > 2:
        return f"{authors[0]} {ET_AL}"
    return None


ET_AL = "et al."
#: The book's title as a versos' running head, set on every story (print.css).
BOOK_HEAD_ATTRIBUTE = "data-book-head"


def fit_running_heads(html: etree._Element, anthology: Anthology, *, measure: float,
                      font_size: float) -> None:
    """Running heads that fit their measure: set as ``data-running-head`` where they differ.

    A story's recto head is its ``short_title`` when given, else its title; the
    verso head its authors (or "First Author et al."); the book's title heads
    versos with ``verso_head: title``. Each is cut at a word with "…" when wider
    than ``measure`` at the running-head size (both in points), measured with
    the font's advance widths (:mod:`fanbind.pdf.advance`), never by a layout
    trial. A head that overran the trim would print across the gutter.
    """
    size = HEAD_SIZE_EM * font_size
    room = measure * 0.95  # a little white either side; kerning is not counted

    def settle(element: etree._Element, head: str) -> None:
        if head != " ".join("".join(element.itertext()).split()):
            element.set(RUNNING_HEAD_ATTRIBUTE, head)

    def authors_head(names: list[str] | tuple[str, ...]) -> str:
        """The names, else the first with "et al." (its name cut, "et al." kept)."""
        whole = verso_head(names) or " and ".join(names)
        if small_caps_width(whole, size) <= room or not names:
            return whole
        et_al = f" {ET_AL}" if len(names) > 1 else ""
        return fit(names[0], room - small_caps_width(et_al, size), size) + et_al

    stories = {story.id: story for story in anthology.stories}
    body = part_of(html, "body")
    # Each story carries the book's title for title-headed versos: a story laid out
    # in a part of its own has no half-title to take it from (pdf/parts.py).
    book_head = fit(anthology.meta.title, room, size)
    for section in body.iter(xhtml("section")):
        story = stories.get(section.get("id") or "")
        if story is None or not has_class(section, "story"):
            continue
        section.set(BOOK_HEAD_ATTRIBUTE, book_head)
        for element in section.iter(xhtml("h1"), xhtml("span")):
            if element.tag == xhtml("h1") and has_class(element, "story-title"):
                settle(element, fit(story.meta.short_title or story.title, room, size))
            elif has_class(element, "authors"):
                settle(element, authors_head(story.meta.authors))
    for element in body.iter(xhtml("p")):
        if has_class(element, "half-title-text"):
            settle(element, fit("".join(element.itertext()), room, size))


def xhtml(tag: str) -> str:
    """``tag`` in the XHTML namespace, as lxml names it."""
    return f"{{{XHTML_NS}}}{tag}"


def part_of(html: etree._Element, tag: str) -> etree._Element:
    """The ``head`` or ``body`` of an XHTML tree the renderer made (it has both)."""
    element = html.find(xhtml(tag))
    if element is None:
        raise ValueError(f"an XHTML document without <{tag}>")
    return element


def has_class(element: etree._Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def add_class(element: etree._Element, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join([*classes, name]))


PARATEXT_CLASSES = ("story-preface", "tags", "summary", "notes")


def arrange_for_print(html: etree._Element, *, long_paratext: int = 900) -> etree._Element:
    """Rearrange the joined tree for the printed page (this tree only; no text changes).

    * The story's paratext — the tag block, summary and notes that the renderer
      puts in the story header — moves into a ``div.story-paratext`` ahead of
      the header, so print.css can set it on the verso *facing* the opening:
      readers see warnings and tags before the first line, and the opening page
      keeps the sink, title, byline and text. Stories with paratext get the
      class ``has-paratext``; paratext longer than ``long_paratext``
      characters gets ``long`` (no sink, so it fits its page).
    * The first paragraph of each story and chapter gets ``lead`` (the
      small-caps lead-in), the last story paragraph ``story-end`` (kept with
      the lines before it, so no story ends with a lone line on a page).
    * The first story gets ``first-story``: its opening restarts the folios.
    * Contents links retarget from the story section (which now starts on the
      paratext verso) to the story title, so page numbers name the opening.
    """
    body = part_of(html, "body")
    stories = [s for s in body.iter(xhtml("section")) if has_class(s, "story")]
    for index, story in enumerate(stories):
        if index == 0:
            add_class(story, "first-story")
        header = next((c for c in story if has_class(c, "preface")), None)
        if header is not None:
            moved = [c for c in header if any(has_class(c, k) for k in PARATEXT_CLASSES)]
            if moved:
                paratext = etree.Element(xhtml("div"))
                paratext.set("class", "story-paratext")
                for child in moved:
                    paratext.append(child)  # lxml moves the element
                story.insert(list(story).index(header), paratext)
                add_class(story, "has-paratext")
                if len("".join(paratext.itertext())) > long_paratext:
                    add_class(paratext, "long")
        containers = [story, *(c for c in story if has_class(c, "chapter"))]
        for container in containers:
            first = next((c for c in container if c.tag == xhtml("p")
                          and BLOCK_ID.match(c.get("id") or "")), None)
            if first is not None:
                add_class(first, "lead")
        paragraphs = [p for p in story.iter(xhtml("p")) if BLOCK_ID.match(p.get("id") or "")]
        if paragraphs:
            add_class(paragraphs[-1], "story-end")
    titles = {s.get("id"): f"{s.get('id')}-title" for s in stories}
    present = {e.get("id") for e in body.iter() if e.get("id")}
    for link in body.iter(xhtml("a")):
        target = (link.get("href") or "").removeprefix("#")
        if target in titles and titles[target] in present:
            link.set("href", "#" + titles[target])
    return html


def one_link_per_entry(html: etree._Element) -> None:
    """Contents entries set for print with one link annotation each.

    WeasyPrint gives every box inside a link an annotation of its own (an entry's
    title, its leaders and its number made four overlapping links). So the entry's
    line moves out of its ``a.contents-link`` into a ``span.contents-line`` that
    prints the number (``data-href``: the link's target), and the emptied link is
    laid over the whole entry (print.css). Run after :func:`prepare_part`, which
    may retarget the links.
    """
    for link in part_of(html, "body").iter(xhtml("a")):
        entry = link.getparent()
        if not has_class(link, "contents-link") or entry is None or len(link) == 0:
            continue
        line = etree.Element(xhtml("span"))
        line.set("class", "contents-line")
        line.set("data-href", link.get("href") or "")
        line.text, link.text = link.text, None
        for child in list(link):
            line.append(child)  # lxml moves the element
        link.addprevious(line)
        entry.append(link)


def add_dates(html: etree._Element, created: dt.datetime) -> None:
    """The build date as ``dcterms.created``/``modified``: WeasyPrint writes it into the PDF."""
    head = part_of(html, "head")
    stamp = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sub(head, "meta", name="dcterms.created", content=stamp)
    sub(head, "meta", name="dcterms.modified", content=stamp)


# ---------------------------------------------------------------------- one part of a book


@dataclass(frozen=True)
class PartOptions:
    """How :func:`fanbind.pdf.layout.lay_out` treats one part of a book laid out in parts.

    ``book_pages`` is the whole book's page count (for the gutter, which depends
    on it); ``first_story`` whether this part holds the book's first story (its
    opening restarts the folios at 1); ``stubs`` the link targets of other
    parts with the folio each is printed on; ``blank_pages`` blank pages to add
    at the end (the join takes its blank pages from there); ``start_left``
    starts a part on a verso whatever its first story asks (a part that begins
    inside a story, on the side the pages before it leave).
    """

    book_pages: int
    first_story: bool = False
    stubs: tuple[tuple[str, int], ...] = ()
    blank_pages: int = 0
    start_left: bool = False
    css: str = f"html.{START_LEFT_CLASS} {{ break-before: left; }}"


def prepare_part(html: etree._Element, part: PartOptions) -> None:
    """Adjust one part's arranged tree: its first-story mark, its side, the stand-ins."""

    def classes(element: etree._Element) -> list[str]:
        return (element.get("class") or "").split()

    body = part_of(html, "body")
    stories = [s for s in body.iter(xhtml("section")) if "story" in classes(s)]
    if not part.first_story:
        for story in stories:
            if "first-story" in classes(story):
                story.set("class", " ".join(c for c in classes(story) if c != "first-story"))
    if part.start_left or (stories and "has-paratext" in classes(stories[0])):
        html.set("class", " ".join([*classes(html), START_LEFT_CLASS]))
    if part.stubs:
        present = {e.get("id") for e in body.iter() if e.get("id")}
        stubs = dict(part.stubs)
        # Links into other parts name the story title, as arrange_for_print does
        # when the whole book is one tree.
        for link in body.iter(xhtml("a")):
            target = (link.get("href") or "").removeprefix("#")
            if target and target not in present and f"{target}-title" in stubs:
                link.set("href", f"#{target}-title")
        holder = etree.SubElement(body, xhtml("div"))
        holder.set("class", STUB_CLASS)
        holder.set("style", "break-before: page; page: auto")
        for name, folio in part.stubs:
            if name not in present:
                span = etree.SubElement(holder, xhtml("span"))
                span.set("id", name)
                span.set("style", f"counter-reset: page {folio}")
