"""AO3's HTML download → title, metadata, chapters with their own notes.

The download templates (otwcode/otwarchive, ``app/views/downloads/``) put the
work's header in ``div#preface`` (a ``dl.tags`` list of labelled tags, the title
``h1``, ``div.byline``, "Summary" and "Notes" each a ``p`` followed by a
``blockquote.userstuff``), the text in ``div#chapters`` (per chapter a
``div.meta.group`` with the ``h2.heading`` title and the chapter's summary and
notes, the text in ``div.userstuff``, then a ``div#endnotesN``) and the work's end
notes in ``div#afterword``. Every part is walked with :func:`..html.flow`, so
emphasis, breaks and quotes are kept the same everywhere; the archive's own
messages (the download notice, the request for comments, "See the end of the
chapter for more notes") are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from fanbind.model import Block, Chapter, Origin, Paragraph
from fanbind.text.readers.html import (
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
from fanbind.text.structure.ao3_tags import FoundField, split_names, tag_fields
from fanbind.text.structure.parser import ParsedStory

__all__ = ["is_ao3", "read_ao3"]

_NOTE_LABELS = {
    "summary": "summary", "notes": "notes", "end notes": "end_notes",
    "chapter summary": "summary", "chapter notes": "notes", "chapter end notes": "end_notes",
}


def _by_id(root: etree._Element, element_id: str) -> etree._Element | None:
    for element in root.iter():
        if element.get("id") == element_id:
            return element
    return None


def is_ao3(root: etree._Element) -> bool:
    """AO3's download: a ``div#preface`` with its tag list, or ``div#chapters``."""
    preface = _by_id(root, "preface")
    chapters = _by_id(root, "chapters")
    return chapters is not None and (preface is not None or any(
        "userstuff" in classes(el) for el in chapters.iter("div")))


def _label(element: etree._Element) -> str:
    return text_of(element).rstrip(":").strip().lower()


def _line(element: etree._Element) -> int | None:
    return source_line(element)


def _notes_after(elements: list[etree._Element], file: str,
                 into: dict[str, tuple[Paragraph, ...]], flows: list[Flow]) -> None:
    """"Summary"/"Notes"/"End Notes" labels, each followed by its blockquote."""
    for index, element in enumerate(elements):
        if local(element) != "p":
            continue
        target = _NOTE_LABELS.get(_label(element))
        if target is None:
            continue
        body = next((el for el in elements[index + 1:] if local(el) == "blockquote"), None)
        if body is None:
            continue
        found = flow([body], file=file)
        flows.append(found)
        into[target] = into.get(target, ()) + paragraphs(found.blocks)


def _related(part: etree._Element, tag: str, file: str,
             into: dict[str, tuple[Paragraph, ...]], target: str, flows: list[Flow]) -> None:
    """Each ``tag`` list of related works in ``part`` (none inside a note's quote) as
    paragraphs after the ``target`` notes."""
    for element in part.iter(tag):
        if any(local(up) in ("blockquote", "dl") for up in element.iterancestors()):
            continue  # a note's own list, or the tag list's (a saved page's ul.commas)
        found = flow([element], file=file)
        flows.append(found)
        if texts := paragraphs(found.blocks):
            into[target] = into.get(target, ()) + texts


def _descendants_in_order(element: etree._Element) -> list[etree._Element]:
    return [el for el in element.iter() if isinstance(el.tag, str) and el is not element]


def _tags(preface: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for dl in preface.iter("dl"):
        label: str | None = None
        for child in dl:
            if local(child) == "dt":
                label = _label(child)
            elif local(child) == "dd" and label is not None:
                yield label, child


def _values(dd: etree._Element) -> tuple[str, ...]:
    links = [text_of(a) for a in dd.iter("a")]
    values = links if links else [part.strip() for part in text_of(dd).split(",")]
    return tuple(value for value in values if value)


def _found_fields(preface: etree._Element, file: str,
                  docs: dict[str, str]) -> list[FoundField]:
    """The fields the preface states; ``docs`` gets each one's document where it is
    one inside ``file`` (calibre splits AO3's preface in two)."""
    found: list[FoundField] = []

    def add(items: list[FoundField], element: etree._Element) -> None:
        inside = source_file(element, file)
        for item in items:
            found.append(item)
            if inside != file:
                docs.setdefault(item[0], inside)

    for label, dd in _tags(preface):
        add(tag_fields(label, _values(dd), text_of(dd), _line(dd)), dd)
    for p in preface.iter("p"):
        # calibre renames classes in AO3's EPUB: the notice is also known by its words
        if "message" in classes(p) or "posted originally" in text_of(p).lower():
            for a in p.iter("a"):
                href = a.get("href") or ""
                if "/works/" in href:
                    add([("source", href.strip(), _line(a))], a)
                    break
    byline = next((el for el in preface.iter("div") if "byline" in classes(el)), None)
    if byline is None:  # classes renamed (AO3's EPUB): the "by …" line under the title
        title = next(preface.iter("h1"), None)
        after = title.getnext() if title is not None else None
        byline = after if after is not None and text_of(after).startswith("by ") else None
    if byline is not None:
        authors = tuple(text_of(a) for a in byline.iter("a") if text_of(a))
        if not authors:
            authors = split_names(text_of(byline))
        if authors:
            add([("authors", authors, _line(byline))], byline)
    return found


def _title(preface: etree._Element | None,
           root: etree._Element) -> tuple[str | None, etree._Element | None]:
    for h1 in (*(preface.iter("h1") if preface is not None else ()), *root.iter("h1")):
        title = text_of(h1)
        if title:
            return title, h1
    return None, None


def _chapter_parts(container: etree._Element) -> Iterator[etree._Element]:
    """The direct parts of ``div#chapters``, looking through wrapper divs with no class."""
    for child in container:
        if not isinstance(child.tag, str):
            continue
        if local(child) == "div" and not classes(child) and not child.get("id") and any(
                local(grand) == "div" and ("meta" in classes(grand) or "userstuff"
                                           in classes(grand)) for grand in child):
            yield from _chapter_parts(child)
        else:
            yield child


def _is_chapter_meta(part: etree._Element) -> bool:
    """A chapter's ``div.meta.group``: its title ``h2`` and notes. In AO3's EPUB calibre
    has renamed the classes, so it is also known as a div that opens with an ``h2``."""
    if "meta" in classes(part):
        return part.find(".//h2") is not None
    if "userstuff" in classes(part):
        return False
    first = next((child for child in part if isinstance(child.tag, str)), None)
    return first is not None and local(first) == "h2"


def _chapters(container: etree._Element, file: str,
              flows: list[Flow]) -> tuple[Chapter, ...]:
    chapters: list[Chapter] = []
    title: str | None = None
    origin: Origin | None = None
    notes: dict[str, tuple[Paragraph, ...]] = {}
    blocks: list[Block] = []
    started = False

    def finish() -> None:
        if started or blocks or notes:
            chapters.append(Chapter(title, tidy_breaks(blocks), origin,
                                    summary=notes.get("summary", ()),
                                    notes=notes.get("notes", ()),
                                    end_notes=notes.get("end_notes", ())))

    for part in _chapter_parts(container):
        kinds = classes(part)
        end_notes = (part.get("id") or "").startswith("endnotes")
        if local(part) == "div" and not end_notes and _is_chapter_meta(part):
            finish()
            started, blocks, notes = True, [], {}
            heading = part.find(".//h2")
            assert heading is not None
            title = text_of(heading) or None
            origin = origin_of(heading, file)
            _notes_after(_descendants_in_order(part), file, notes, flows)
        elif local(part) == "div" and ("meta" in kinds or end_notes):  # a chapter's end notes
            _notes_after(_descendants_in_order(part), file, notes, flows)
        elif "endnote-link" in kinds or (local(part) in ("h2", "h3") and not blocks):
            continue
        else:
            found = flow([part], file=file)
            flows.append(found)
            blocks.extend(found.blocks)
    finish()
    return tuple(ch for ch in chapters if ch.blocks)


def read_ao3(root: etree._Element, *, file: str) -> ParsedStory:
    """An AO3 download (HTML, or one EPUB's XHTML joined) as a parsed story."""
    preface = _by_id(root, "preface")
    container = _by_id(root, "chapters")
    afterword = _by_id(root, "afterword")
    flows: list[Flow] = []
    work_notes: dict[str, tuple[Paragraph, ...]] = {}
    found: list[FoundField] = []
    docs: dict[str, str] = {}
    if preface is not None:
        found = _found_fields(preface, file, docs)
        _notes_after(_descendants_in_order(preface), file, work_notes, flows)
    end: dict[str, tuple[Paragraph, ...]] = {}
    if afterword is not None:
        _notes_after(_descendants_in_order(afterword), file, end, flows)
    # The works this one is related to ("Inspired by …", "Translation of …") under the
    # work's notes, and those inspired by it in the afterword: AO3's page shows them
    # with the notes, and a paste keeps them there; dropped, they would be lost unsaid.
    if preface is not None:
        _related(preface, "ul", file, work_notes, "notes", flows)
    if afterword is not None:
        _related(afterword, "dl", file, end, "end_notes", flows)
    title, heading = _title(preface, root)
    if heading is not None and source_file(heading, file) != file:
        docs["title"] = source_file(heading, file)
    chapters = _chapters(container, file, flows) if container is not None else ()
    skipped = remote_stylesheets(root)
    for each in flows:
        skipped += [src for src in each.skipped if src not in skipped]
    return ParsedStory(
        title=title, title_line=_line(heading) if heading is not None else None,
        chapters=chapters,
        summary=work_notes.get("summary", ()), notes=work_notes.get("notes", ()),
        end_notes=end.get("end_notes", ()) or end.get("notes", ()),
        paragraph_model="html (AO3 download)", dropped=(),
        diagnostics=tuple(skipped_warning(skipped, file)), found=tuple(found),
        stated_in=tuple(docs.items()),
    )
