"""FanFicFare's downloads (HTML, EPUB, TXT) → title, metadata, chapters with their notes.

FanFicFare (JimmXinu/FanFicFare, ``fanficfare/writers/``) opens every download with
a title page: the title linked to the story's address and ``by`` its authors, then
one ``Label: value`` line per field (``<b>Label:</b>`` in a table row in its HTML,
followed by ``<br />`` in its EPUB's ``title_page.xhtml``, plain ``Label: value``
lines in its TXT). The title page, the table of contents and the update log are
never story text: their fields fill the story's metadata. Each chapter follows under
its own heading (``<a name="section0001"><h2>`` in HTML, ``h3.fff_chapter_title`` in
a ``file0001.xhtml`` of the EPUB, a tab-indented line in TXT); FanFicFare's AO3
adapter puts a chapter's notes in ``div.fff_chapter_notes`` (``fff_head_notes``
before the text, ``fff_foot_notes`` after), each a bold label and a block quote, and
the work's own notes as an "Author's Note" before the first chapter and after the
last (with AO3's "Inspired by" links as a list before the quote); other adapters
write a label, a line break and the note, with no quote. The TXT's chapters are
html2text's Markdown, read by the Markdown reader: its labels come bold, unbolded
or bold with their space inside the marks (``**Notes: **``, as the html2text that
FanFicFare bundles writes any bold or italic run ending in a space), which is
tightened before CommonMark reads it, or the marks would be set as characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from fanbind.model import Block, Chapter, Heading, Origin, Paragraph, plain_text
from fanbind.settings.vocab import CATEGORY_WORDS, fold
from fanbind.text.readers.html import (
    FILE_ATTR,
    LINE_ATTR,
    Flow,
    classes,
    flow,
    local,
    origin_of,
    paragraphs,
    remote_stylesheets,
    skipped_warning,
    source_file,
    source_line,
    text_of,
    tidy_breaks,
)
from fanbind.text.readers.markdown import markdown_tree
from fanbind.text.structure.ao3_tags import LANGUAGES
from fanbind.text.structure.parser import FoundField, ParsedStory

__all__ = ["is_fanficfare", "is_fanficfare_text", "read_fanficfare", "read_fanficfare_text"]

#: FanFicFare's default title-page labels → StoryConfig fields. For AO3 its
#: "Category" holds the fandoms and "Genre" the additional tags and AO3 categories.
_LABELS = {
    "category": "fandoms", "fandoms": "fandoms", "fandom": "fandoms",
    "genre": "tags", "freeform tags": "tags", "extra tags": "tags", "additional tags": "tags",
    "ao3 category": "categories",
    "language": "language_name",
    "characters": "characters",
    "relationships": "relationships", "ships": "relationships", "pairings": "relationships",
    "rating": "rating",
    "warnings": "warnings",
    "published": "published",
    "series": "series",
    "summary": "summary",
    "story url": "source",
    "author": "authors",
    "title": "title",
}
#: FanFicFare's own labels for the notes it copies from AO3.
_NOTE_LABELS = {
    "author's note": "work", "summary for the chapter": "summary",
    "notes for the chapter": "notes", "summary": "summary", "notes": "notes",
    "end notes": "end_notes", "chapter summary": "summary", "chapter notes": "notes",
    "chapter end notes": "end_notes",
}
_SERIES = re.compile(r"^(.*\S)\s*\[(\d+)\]$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LIST_SPLIT = re.compile(r"\s*,\s*")


def _label(text: str) -> str:
    return text.strip().rstrip(":").strip().lower()


# ---------------------------------------------------------------------- detection


def _title_page(root: etree._Element) -> etree._Element | None:
    """The EPUB's title page (its body class kept on a wrapper) or the HTML's table."""
    for element in root.iter("div", "table"):
        if "fff_titlepage" in classes(element):
            return element
        if local(element) == "table" and "full" in classes(element) and any(
                (parent := b.getparent()) is not None and local(parent) == "td"
                for b in element.iter("b")):
            return element
    return None


def is_fanficfare(root: etree._Element) -> bool:
    """FanFicFare's HTML (a ``table.full`` title page and ``section`` anchors) or EPUB
    (its ``fff_titlepage``/``fff_chapter`` documents)."""
    page = _title_page(root)
    if page is not None and "fff_titlepage" in classes(page):
        return True
    chapters = any("fff_chapter" in classes(el) for el in root.iter("div"))
    # FanFicFare's own chapter anchor: <a name="section0001"><h2>…</h2></a>, there
    # with or without the title page (include_titlepage: false).
    sections = any((a.get("name") or "").startswith("section") and a.find(".//h2") is not None
                   for a in root.iter("a"))
    return sections or chapters


# ----------------------------------------------------------------- the title page


def _entries(page: etree._Element) -> Iterator[tuple[str, list[etree._Element | str], int | None]]:
    """Each ``<b>Label:</b>`` of the title page with its value's parts (elements and
    text, in order) and its line: the next cell in a table, else up to the next
    ``<br />`` or label."""
    for bold in page.iter("b"):
        label = text_of(bold)
        if not label.endswith(":"):
            continue
        parent = bold.getparent()
        parts: list[etree._Element | str] = []
        if parent is not None and local(parent) == "td":
            cell = parent.getnext()
            if cell is not None:
                if cell.text:
                    parts.append(cell.text)
                parts.extend(cell)
        else:
            if bold.tail:
                parts.append(bold.tail)
            sibling = bold.getnext()
            while sibling is not None and local(sibling) not in ("br", "b"):
                parts.append(sibling)
                sibling = sibling.getnext()
        yield _label(label), parts, source_line(bold)


def _text(parts: list[etree._Element | str]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            out.append(text_of(part))
            if part.tail:
                out.append(part.tail)
    return re.sub(r"\s+", " ", " ".join(out)).strip()


def _split(value: str) -> tuple[str, ...]:
    return tuple(item for item in _LIST_SPLIT.split(value.strip()) if item)


def fields_of(label: str, value: str, line: int | None) -> list[FoundField]:
    """One title-page entry as the StoryConfig fields it fills (none if not one of them)."""
    target = _LABELS.get(label)
    if target is None or not value:
        return []
    if target == "tags":
        # FanFicFare's Genre holds AO3's categories among the tags.
        items = _split(value)
        categories = tuple(i for i in items if "".join(fold(i).split()) in CATEGORY_WORDS)
        tags = tuple(i for i in items if i not in categories)
        out: list[FoundField] = []
        if categories:
            out.append(("categories", categories, line))
        if tags:
            out.append(("tags", tags, line))
        return out
    if target == "language_name":
        code = LANGUAGES.get(value.casefold())
        named: list[FoundField] = [("language_name", value, line)]
        return named + ([("language", code, line)] if code else [])
    if target == "series":
        match = _SERIES.match(value)
        if match:
            return [("series", match.group(1), line), ("series_part", match.group(2), line)]
        return [("series", value, line)]
    if target == "published":
        date = _DATE.search(value)
        return [("published", date.group(0), line)] if date else []
    if target in ("rating", "source", "title"):
        return [(target, value, line)]
    return [(target, _split(value), line)]


def _heading_fields(heading: etree._Element) -> list[FoundField]:
    """``<a href=URL>Title</a> by <a>Author</a>, <a>Author</a>`` → title, source, authors."""
    line = source_line(heading)
    links = list(heading.iter("a"))
    found: list[FoundField] = []
    if links and links[0].get("href"):
        found.append(("source", (links[0].get("href") or "").strip(), line))
    authors = tuple(text_of(a) for a in links[1:] if text_of(a))
    if not authors:
        by = re.split(r"\bby\b", text_of(heading), maxsplit=1)
        authors = _split(by[1]) if len(by) == 2 else ()
    if authors:
        found.append(("authors", authors, line))
    return found


def _heading_title(heading: etree._Element) -> str | None:
    links = list(heading.iter("a"))
    if links and text_of(links[0]):
        return text_of(links[0])
    title = re.split(r"\s+by\s+", text_of(heading), maxsplit=1)[0].strip()
    return title or None


# ------------------------------------------------------------------------ chapters


@dataclass
class _Chapter:
    title: str | None
    origin: Origin | None
    parts: list[etree._Element] = field(default_factory=list)


@dataclass
class _Notes:
    """Notes found in the chapters: each chapter's, and the work's own."""

    work_notes: list[Paragraph] = field(default_factory=list)
    work_end_notes: list[Paragraph] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)


def _label_kind(element: etree._Element) -> str | None:
    """The note a label element (``<b>Notes for the Chapter:</b>``, its Markdown
    paragraph, or the same words unbolded) starts, else None."""
    if local(element) not in ("b", "strong", "p"):
        return None
    text = text_of(element)
    return _NOTE_LABELS.get(_label(text)) if text.rstrip().endswith(":") else None


def _label_then_break(paragraph: etree._Element) -> str | None:
    """A paragraph whose first line is a note label, the note after it (html2text's
    ``**Author's note:**`` + line break + the note, which adapters without a block
    quote produce; the break may be a hard one or, once trailing spaces are
    trimmed, a plain newline): the label is taken out, its kind returned."""
    if local(paragraph) != "p":
        return None
    head = paragraph.text or ""
    children = list(paragraph)
    newline = ""
    if children and local(children[0]) in ("b", "strong") and not head.strip():
        label, after, taken = text_of(children[0]), children[0].tail or "", [children[0]]
        following = children[1] if len(children) > 1 else None
    else:
        label, newline, after = head.partition("\n")
        taken, following = [], children[0] if children else None
    label = label.strip()
    kind = _NOTE_LABELS.get(_label(label)) if label.endswith(":") else None
    if kind is None:
        return None
    if newline:  # "Label:" and the note on the lines after it
        rest = after
    elif "\n" in after and not after.split("\n", 1)[0].strip():
        rest = after.split("\n", 1)[1]
    elif not after.strip() and following is not None and local(following) == "br":
        rest = following.tail or ""
        taken.append(following)
    else:
        return None
    if not rest.strip() and len(paragraph) == len(taken):
        return None  # a label alone: its note, if any, is what follows
    for element in taken:
        paragraph.remove(element)
    paragraph.text = rest
    return kind


def _note_at(elements: list[etree._Element],
             index: int) -> tuple[str, list[etree._Element], int] | None:
    """The note that starts at ``elements[index]``: (its kind, the elements that
    hold it, how many elements it spans with its label), or None.

    A label is followed by its block quote, with the links AO3 lists beside a
    work's notes (a ``ul``: "Inspired by …") between them; or a paragraph is a
    label, a line break and the note.
    """
    element = elements[index]
    kind = _label_kind(element)
    if kind is not None:
        after = index + 1
        while after < len(elements) and local(elements[after]) in ("ul", "ol"):
            after += 1
        if after < len(elements) and local(elements[after]) == "blockquote":
            return kind, elements[index + 1:after + 1], after + 1 - index
        return None
    kind = _label_then_break(element)
    return (kind, [element], 1) if kind is not None else None


def _notes_div(element: etree._Element) -> Iterator[tuple[str, list[etree._Element]]]:
    """Each note in a ``div.fff_chapter_notes``: (kind, its elements). Everything in
    the div is a note: what follows a label up to the next one is that label's (a
    block quote, or loose text and line breaks as some adapters write it; a rule
    between notes is left out), and anything before the first label is the
    chapter's notes. Each note's content is moved into one wrapper, so loose text
    and inline elements stay one paragraph."""
    kind = "notes"
    held = _wrapper(element, element.text)
    for child in list(element):
        label = _label_kind(child) if isinstance(child.tag, str) else None
        if label is not None:
            if (held.text or "").strip() or len(held):
                yield kind, [held]
            kind, held = label, _wrapper(child, child.tail)
        elif local(child) == "hr":
            if child.tail and len(held):
                held[-1].tail = (held[-1].tail or "") + child.tail
            elif child.tail:
                held.text = (held.text or "") + child.tail
        else:
            held.append(child)
    if (held.text or "").strip() or len(held):
        yield kind, [held]


def _wrapper(near: etree._Element, text: str | None) -> etree._Element:
    """A ``div`` for one note's content that keeps ``near``'s file and line."""
    div = etree.Element("div")
    div.text = text
    if inside := source_file(near, ""):
        div.set(FILE_ATTR, inside)
    if line := source_line(near):
        div.set(LINE_ATTR, str(line))
    return div


def _chapter(found: _Chapter, file: str, notes: _Notes, *, first: bool,
             last: bool) -> Chapter:
    own: dict[str, tuple[Paragraph, ...]] = {}
    blocks: list[Block] = []
    seen_text = False
    elements = found.parts
    index = 0
    while index < len(elements):
        element = elements[index]
        kinds = classes(element)
        if "fff_chapter_notes" in kinds:
            foot = "fff_foot_notes" in kinds or ("fff_head_notes" not in kinds and seen_text)
            for kind, held in _notes_div(element):
                _file_note(kind, held, foot=foot, first=first, last=last, file=file,
                           own=own, notes=notes)
            index += 1
            continue
        note = _note_at(elements, index)
        if note is not None:  # a label and its note loose in the text (the TXT's Markdown)
            kind, held, span = note
            _file_note(kind, held, foot=seen_text, first=first, last=last, file=file,
                       own=own, notes=notes)
            index += span
            continue
        part = flow([element], file=file)
        notes.flows.append(part)
        blocks.extend(part.blocks)
        seen_text = seen_text or any(isinstance(b, Paragraph) for b in part.blocks)
        index += 1
    if blocks and isinstance(blocks[0], Heading) and found.title is not None and plain_text(
            blocks[0].inlines).strip() == found.title:
        blocks = blocks[1:]
    return Chapter(found.title, tidy_breaks(blocks), found.origin,
                   summary=own.get("summary", ()), notes=own.get("notes", ()),
                   end_notes=own.get("end_notes", ()))


def _file_note(kind: str, held: list[etree._Element], *, foot: bool, first: bool,
               last: bool, file: str, own: dict[str, tuple[Paragraph, ...]],
               notes: _Notes) -> None:
    found = flow(held, file=file)
    notes.flows.append(found)
    texts = paragraphs(found.blocks)
    if kind == "work" and not foot and first:
        notes.work_notes.extend(texts)
    elif kind == "work" and foot and last:
        notes.work_end_notes.extend(texts)
    else:
        target = "end_notes" if foot and kind in ("notes", "work") else (
            "notes" if kind == "work" else kind)
        own[target] = own.get(target, ()) + texts


def _html_chapters(body: etree._Element) -> list[_Chapter]:
    """FanFicFare's HTML: a chapter from each ``<a name="sectionN">`` to the next."""
    chapters: list[_Chapter] = []
    for child in body:
        if not isinstance(child.tag, str):
            continue
        name = child.get("name") or ""
        if local(child) == "a" and name.startswith("section"):
            heading = child.find(".//h2")
            title = text_of(heading if heading is not None else child) or None
            chapters.append(_Chapter(title, origin_of(child, "")))
        elif chapters:
            chapters[-1].parts.append(child)
    return chapters


def _epub_chapters(body: etree._Element) -> list[_Chapter]:
    """FanFicFare's EPUB: each ``fff_chapter`` document, titled by its ``h3``."""
    chapters: list[_Chapter] = []
    for wrapper in body.iter("div"):
        if "fff_chapter" not in classes(wrapper):
            continue
        heading = next((h for h in wrapper.iter("h1", "h2", "h3")
                        if "fff_chapter_title" in classes(h)), None)
        title = text_of(heading) if heading is not None else None
        parts = [child for child in wrapper if isinstance(child.tag, str)
                 and child is not heading]
        # "" is the story file, filled in by _assemble; a document of an EPUB is named.
        origin = origin_of(heading, "") if heading is not None else None
        chapters.append(_Chapter(title or None, origin, parts))
    return chapters


def _assemble(title: str | None, title_line: int | None, found: list[FoundField],
              summary: tuple[Paragraph, ...], chapters: list[_Chapter], *, file: str,
              model: str, skipped: list[str], notes: _Notes,
              stated_in: str | None = None) -> ParsedStory:
    built = []
    for index, chapter in enumerate(chapters):
        if chapter.origin is not None and not chapter.origin.file:
            chapter.origin = Origin(file, chapter.origin.line)
        built.append(_chapter(chapter, file, notes, first=index == 0,
                              last=index == len(chapters) - 1))
    for each in notes.flows:
        skipped += [src for src in each.skipped if src not in skipped]
    made = tuple(ch for ch in built if ch.blocks)
    if len(made) == 1 and len(chapters) == 1 and made[0].title == title:
        made = (Chapter(None, made[0].blocks, made[0].origin, summary=made[0].summary,
                        notes=made[0].notes, end_notes=made[0].end_notes),)
    return ParsedStory(
        title=title, title_line=title_line, chapters=made, summary=summary,
        notes=tuple(notes.work_notes), end_notes=tuple(notes.work_end_notes),
        paragraph_model=model, dropped=(), diagnostics=tuple(skipped_warning(skipped, file)),
        found=tuple(found), stated_in=tuple(
            (field, stated_in) for field in ("title", *(f for f, _, _ in found))
        ) if stated_in and stated_in != file else ())


def read_fanficfare(root: etree._Element, *, file: str) -> ParsedStory:
    """FanFicFare's HTML or EPUB (its documents joined) as a parsed story."""
    page = _title_page(root)
    found: list[FoundField] = []
    summary: tuple[Paragraph, ...] = ()
    notes = _Notes()
    title: str | None = None
    title_line: int | None = None
    body = root.find("body")
    body = body if body is not None else root
    epub = page is not None and "fff_titlepage" in classes(page)
    heading = None
    if epub and page is not None:
        heading = next(iter(page.iter("h3", "h2", "h1")), None)
    else:
        heading = next(iter(body.iter("h1")), None)
    if heading is not None:
        title, title_line = _heading_title(heading), source_line(heading)
        found += _heading_fields(heading)
    if page is not None:
        for label, parts, line in _entries(page):
            if label == "summary":
                blocks = [part for part in parts if not isinstance(part, str)]
                loose = " ".join(part for part in parts if isinstance(part, str)).strip()
                got = flow(blocks, file=file) if blocks else Flow(file)
                notes.flows.append(got)
                summary = paragraphs(got.blocks) or (
                    paragraphs(flow([_paragraph(loose)], file=file).blocks) if loose else ())
                continue
            for item in fields_of(label, _text(parts), line):
                if item[0] == "title":
                    title = title or str(item[1])
                else:
                    found.append(item)
    chapters = _epub_chapters(body) if epub or not any(
        (a.get("name") or "").startswith("section") for a in body.iter("a")) else (
        _html_chapters(body))
    anchor = page if page is not None else heading
    return _assemble(title, title_line, _unique(found), summary, chapters, file=file,
                     model="html (FanFicFare download)", skipped=remote_stylesheets(root),
                     notes=notes,
                     stated_in=source_file(anchor, file) if anchor is not None else None)


def _paragraph(text: str) -> etree._Element:
    element = etree.Element("p")
    element.text = text
    return element


def _unique(found: list[FoundField]) -> list[FoundField]:
    """The first value of each field (the heading's authors before an Author: entry)."""
    seen: set[str] = set()
    out = []
    for item in found:
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out


# ----------------------------------------------------------------------------- TXT

_TXT_LABEL = re.compile(r"^([A-Z][A-Za-z' ]{1,24}):\s+(\S.*)$")
#: Labels only FanFicFare's text title page has (AO3's own pages have the others).
_TXT_OWN = frozenset({"category", "genre", "status", "packaged", "publisher", "updated"})
#: Every label a TXT title page may have: a line starting otherwise continues a value.
_TXT_KNOWN = frozenset(_LABELS) | _TXT_OWN | {"chapters", "words", "story id", "site"}


def _txt_head(lines: list[str]) -> tuple[int, int, int] | None:
    """Line indexes of the title, the ``by`` line and the first entry, if the text
    opens like FanFicFare's TXT title page."""
    filled = [i for i, line in enumerate(lines[:40]) if line.strip()]
    if len(filled) < 4:
        return None
    title, by, first = filled[0], filled[1], filled[2]
    if not lines[by].strip().startswith("by ") or by != title + 2:
        return None
    labels = []
    for line in lines[first:first + 40]:
        if not line.strip():
            break
        match = _TXT_LABEL.match(line.strip())
        if match:
            labels.append(match.group(1).lower())
    if len(labels) >= 3 and _TXT_OWN & set(labels):
        return title, by, first
    return None


def is_fanficfare_text(text: str) -> bool:
    """A text that opens with FanFicFare's TXT title page."""
    return _txt_head(text[:8192].split("\n")) is not None


def read_fanficfare_text(text: str, *, file: str) -> ParsedStory:
    """FanFicFare's TXT: the title page's lines as metadata, each tab-indented heading
    a chapter, each chapter's Markdown (html2text's) read by the Markdown reader."""
    lines = text.split("\n")
    head = _txt_head(lines)
    assert head is not None, "read_fanficfare_text needs is_fanficfare_text"
    title_at, by_at, first = head
    title = lines[title_at].strip()
    found: list[FoundField] = [("authors", _split(lines[by_at].strip()[3:]), by_at + 1)]
    summary: tuple[Paragraph, ...] = ()
    end = first
    entries: list[tuple[str, str, int]] = []
    while end < len(lines) and lines[end].strip():
        match = _TXT_LABEL.match(lines[end].strip())
        if match and _label(match.group(1)) in _TXT_KNOWN:
            entries.append((_label(match.group(1)), match.group(2), end + 1))
        elif entries:  # a wrapped value goes on
            label, value, line = entries[-1]
            entries[-1] = (label, f"{value} {lines[end].strip()}", line)
        end += 1
    for label, value, line in entries:
        if label == "summary":
            summary = tuple(Paragraph(p.inlines, Origin(file, line)) for p in paragraphs(
                flow([_paragraph(value)], file=file).blocks))
            continue
        for item in fields_of(label, value, line):
            if item[0] != "title":
                found.append(item)
    headings = _txt_chapters(lines, end)
    chapters: list[_Chapter] = []
    for number, (at, heading) in enumerate(headings):
        stop = headings[number + 1][0] if number + 1 < len(headings) else len(lines)
        chunk = lines[at + 1:stop]
        while chunk and chunk[-1].strip() in ("", "End file."):
            chunk.pop()
        # Blank lines stand for the lines before the chunk, so the Markdown's
        # source lines are the file's.
        tree = markdown_tree("\n" * (at + 1) + _tight_marks("\n".join(chunk)))
        body = tree.find("body")
        parts = [child for child in (body if body is not None else tree)
                 if isinstance(child.tag, str)]
        chapters.append(_Chapter(heading, Origin(file, at + 1), parts))
    return _assemble(title, title_at + 1, _unique(found), summary, chapters, file=file,
                     model="FanFicFare text", skipped=[], notes=_Notes())


#: A bold or italic run with its own edge spaces inside its marks (``**Notes: **``,
#: ``_no _and``): the html2text FanFicFare bundles (2016) writes them so, and
#: CommonMark then reads the marks as characters. Only ``**`` and ``_``, which is
#: what it writes (a lone ``*`` is as likely to be a multiplication sign).
_LOOSE_MARKS = (
    re.compile(r"(?<!\*)(\*\*)([ \t]*)([^\s*](?:[^*\n]*[^\s*])?)([ \t]*)\*\*(?!\*)"),
    re.compile(r"(?<![\w_])(_)([ \t]*)([^\s_](?:[^_\n]*[^\s_])?)([ \t]*)_(?!_)"),
)


def _tighten(match: re.Match[str]) -> str:
    mark, before, inner, after = match.groups()
    if not before and not after:
        return match.group(0)
    return f"{before}{mark}{inner}{mark}{after}"


def _tight_marks(markdown: str) -> str:
    for _ in range(2):  # twice: a run inside another (**_both _**) frees the outer one
        for pattern in _LOOSE_MARKS:
            markdown = pattern.sub(_tighten, markdown)
    return markdown


def _txt_chapters(lines: list[str], start: int) -> list[tuple[int, str]]:
    """The chapter headings after the title page: indented lines after a blank one
    (FanFicFare starts each with a tab), in the table of contents' order when it has one."""
    toc: list[str] = []
    at = start
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at < len(lines) and lines[at].strip() == "TABLE OF CONTENTS":
        at += 1
        while at < len(lines) and (not lines[at].strip() or not lines[at][:1].isspace()):
            if lines[at].strip():
                toc.append(lines[at].strip())
            at += 1
    headings: list[tuple[int, str]] = []
    for index in range(at, len(lines)):
        line = lines[index]
        if not line.strip() or not line[:1].isspace() or (index and lines[index - 1].strip()):
            continue
        if index + 1 < len(lines) and lines[index + 1].strip():
            continue
        if toc and (len(headings) >= len(toc) or line.strip() != toc[len(headings)]):
            continue
        headings.append((index, line.strip()))
    return headings

