"""AO3's work page saved from a browser → the shape of AO3's HTML download.

"Save page as" on a work gives the archive's whole page: its header and menus,
the tag list (``dl.work.meta.group``), the work in ``div#workskin`` (a
``div.preface.group`` with ``h2.title``, ``h3.byline`` and the summary and notes
modules; ``div#chapters`` with one ``div.chapter`` per chapter, each with its
``h3.title``, notes modules, ``div.userstuff.module`` text under a hidden "Chapter
Text" landmark, and end notes; ``div.afterword``), then kudos, comments and the
footer (otwcode/otwarchive, ``app/views/works/`` and ``app/views/chapters/``).
Its parts are moved into the download's shape (``div#preface``, ``div#chapters``
with ``div.meta.group``/``h2.heading`` per chapter, ``div#afterword``), so
:mod:`.ao3` reads both alike; the site around the work is never read.
"""

from __future__ import annotations

import re

from lxml import etree

from fanbind.text.readers.html import LINE_ATTR, classes, local, text_of

__all__ = ["as_download", "is_ao3_page"]

_WORK_LINK = re.compile(r"/works/(\d+)")
_ARCHIVE = "https://archiveofourown.org"


def _find(root: etree._Element, tag: str, *names: str) -> etree._Element | None:
    for element in root.iter(tag):
        if set(names) <= classes(element):
            return element
    return None


def _by_id(root: etree._Element, element_id: str) -> etree._Element | None:
    return next((el for el in root.iter() if el.get("id") == element_id), None)


def is_ao3_page(root: etree._Element) -> bool:
    """AO3's work page: the work in ``div#workskin``, with its ``div#chapters``."""
    skin = _by_id(root, "workskin")
    return skin is not None and _by_id(skin, "chapters") is not None


def _labelled(parent: etree._Element, label: str, quote: etree._Element | None) -> None:
    """``<p>label</p>`` and the module's block quote, as the download writes a note."""
    if quote is None:
        return
    etree.SubElement(parent, "p").text = label
    parent.append(quote)


def _quote(module: etree._Element | None) -> etree._Element | None:
    return module.find("blockquote") if module is not None else None


def as_download(root: etree._Element) -> etree._Element:
    """The page's work moved into a new tree in the download's shape."""
    skin = _by_id(root, "workskin")
    assert skin is not None, "as_download needs is_ao3_page"
    page = etree.Element("html")
    head = etree.SubElement(page, "head")
    for link in list(root.iter("link")):  # remote stylesheets are still named (FB241)
        head.append(link)
    body = etree.SubElement(page, "body")
    preface = etree.SubElement(body, "div", id="preface")
    top = _find(skin, "div", "preface", "group")
    work = next((m.group(1) for a in root.iter("a")
                 if (m := _WORK_LINK.search(a.get("href") or ""))), None)
    if work is not None:  # the page names its work only in links: the download's notice
        notice = etree.SubElement(preface, "p", {"class": "message"})
        notice.text = "Posted originally on the Archive of Our Own at "
        link = etree.SubElement(notice, "a", href=f"{_ARCHIVE}/works/{work}")
        link.text = f"{_ARCHIVE}/works/{work}"
    meta = etree.SubElement(preface, "div", {"class": "meta"})
    tags = _find(root, "dl", "work", "meta")
    if tags is not None:
        tags.set("class", "tags")
        meta.append(tags)
    if top is not None:
        title = _find(top, "h2", "title")
        if title is not None:
            _at(etree.SubElement(meta, "h1"), title).text = text_of(title)
        byline = _find(top, "h3", "byline")
        if byline is not None:
            byline.tag, byline.attrib["class"] = "div", "byline"
            meta.append(byline)
        _labelled(meta, "Summary", _quote(_find(top, "div", "summary", "module")))
        notes = _find(top, "div", "notes", "module")
        _labelled(meta, "Notes", _quote(notes))
        related = _find(notes, "ul", "associations") if notes is not None else None
        if related is not None:
            meta.append(related)
    chapters = etree.SubElement(body, "div", id="chapters")
    container = _by_id(skin, "chapters")
    assert container is not None
    parts = [el for el in container if local(el) == "div" and "chapter" in classes(el)]
    for number, part in enumerate(parts or [container], 1):
        _chapter(part, number, chapters, one_shot=not parts)
    afterword = etree.SubElement(body, "div", id="afterword")
    end = _by_id(skin, "work_endnotes")
    if end is not None:
        _labelled(etree.SubElement(afterword, "div", id="endnotes"), "End Notes", _quote(end))
    children = _by_id(skin, "children")
    if children is not None and children.find(".//li") is not None:
        listed = etree.SubElement(afterword, "dl")
        label = children.find("h3")
        etree.SubElement(listed, "dt").text = (
            text_of(label) if label is not None else "Works inspired by this one:")
        for item in children.iter("li"):
            item.tag = "dd"
            listed.append(item)
    return page


def _chapter(part: etree._Element, number: int, into: etree._Element, *,
             one_shot: bool) -> None:
    """One ``div.chapter`` (or a one-shot's ``div#chapters``) as the download's parts."""
    if not one_shot:
        group = etree.SubElement(into, "div", {"class": "meta group"})
        title = _find(part, "h3", "title")
        heading = etree.SubElement(group, "h2", {"class": "heading"})
        heading.text = text_of(title) if title is not None else f"Chapter {number}"
        _at(heading, title if title is not None else part)
        _labelled(group, "Chapter Summary", _quote(_find(part, "div", "summary", "module")))
        _labelled(group, "Chapter Notes", _quote(next(
            (m for m in part.iter("div") if {"notes", "module"} <= classes(m)
             and "end" not in classes(m)), None)))
    text = _find(part, "div", "userstuff")
    if text is not None:
        for landmark in [h for h in text.iter("h3") if "landmark" in classes(h)]:
            _drop(landmark)
        text.set("class", "userstuff")
        into.append(text)
    end = _find(part, "div", "end", "notes")
    if end is not None and not one_shot:
        _labelled(etree.SubElement(into, "div", {"class": "meta", "id": f"endnotes{number}"}),
                  "Chapter End Notes", _quote(end))


def _at(made: etree._Element, source: etree._Element) -> etree._Element:
    """``made`` carries ``source``'s line: findings point at the saved page."""
    if source.sourceline:
        made.set(LINE_ATTR, str(source.sourceline))
    return made


def _drop(element: etree._Element) -> None:
    """Remove ``element`` but keep the text after it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
