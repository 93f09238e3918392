"""EPUB (AO3's and FanFicFare's downloads) → one HTML tree for the HTML readers.

An EPUB is a zip from the internet, so it is opened with bounds before anything
is decompressed: at most :data:`MAX_MEMBERS` files, at most the story size limit
uncompressed in all (each member read no further than that, whatever its header
claims), no absolute or ``../`` names. An EPUB with ``META-INF/encryption.xml``
is encrypted or DRM-protected: refused, saying so (unless all it does is obfuscate
embedded fonts, which leaves the text plain). The spine's XHTML documents
are decoded like story files and their bodies joined in reading order; AO3's
EPUB splits its download into a preface, the chapters and an afterword, which
join back into the shape of its HTML download.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from urllib.parse import unquote

from lxml import etree

from fanbind.diagnostics import Diagnostic
from fanbind.errors import StoryFileError
from fanbind.text.readers.html import FILE_ATTR, classes, local, parse_html_checked
from fanbind.text.sources import decode_bytes

__all__ = ["INSIDE", "MAX_MEMBERS", "EpubText", "epub_tree", "inner_name"]

#: More files than this is not a story (AO3's longest works have a few hundred chapters).
MAX_MEMBERS = 10_000
_OPF_NS = "http://www.idpf.org/2007/opf"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
_XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})
#: Font obfuscation, not DRM: IDPF's and Adobe's algorithms, applied to font files only.
_FONT_MANGLING = frozenset({"http://www.idpf.org/2008/embedding",
                            "http://ns.adobe.com/pdf/enc#RC"})
_FONT_FILES = (".otf", ".ttf", ".woff", ".woff2")

EpubText = tuple[etree._Element, tuple[Diagnostic, ...]]


def _refuse(message: str, file: str, hint: str) -> StoryFileError:
    return StoryFileError(message, file=file, hint=hint)


class _Archive:
    """A bounded view of the zip: names checked once, reads capped in total."""

    def __init__(self, data: bytes, file: str, max_bytes: int) -> None:
        self.file = file
        self.budget = max_bytes
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _refuse(f"is not a readable EPUB: the zip is damaged ({exc})", file,
                          "download the EPUB again, or use the work's HTML download") from None
        if len(infos) > MAX_MEMBERS:
            raise _refuse(f"is refused: its zip holds {len(infos)} files, more than "
                          f"{MAX_MEMBERS:,}", file, "this is not an EPUB of one story")
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or (
                    len(name) > 1 and name[1] == ":"):
                raise _refuse(f"is refused: its zip names a file outside itself ({name!r})",
                              file, "this EPUB is damaged or hostile; download it again")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise _refuse(f"is refused: it unpacks to {declared:,} bytes, more than the "
                          f"{max_bytes:,}-byte limit for one story", file,
                          "raise `limits:` → `max_story_mb` in metadata.yaml if this really "
                          "is one story")
        self.names = {info.filename for info in infos}
        if "META-INF/encryption.xml" in self.names and not self._fonts_only():
            raise _refuse("is encrypted or DRM-protected (it has META-INF/encryption.xml): "
                          "fanbind cannot read it", file,
                          "use a DRM-free copy, such as the work's own download from the archive")

    def _fonts_only(self) -> bool:
        """Whether encryption.xml only obfuscates embedded fonts (the IDPF and Adobe
        font mangling many EPUB tools apply): the text is plain, and fonts are not read."""
        root = _xml(self.read("META-INF/encryption.xml"), "META-INF/encryption.xml",
                    self.file)
        methods = [el.get("Algorithm") or "" for el in root.iter()
                   if isinstance(el.tag, str) and el.tag.endswith("EncryptionMethod")]
        targets = [el.get("URI") or "" for el in root.iter()
                   if isinstance(el.tag, str) and el.tag.endswith("CipherReference")]
        return bool(methods) and all(m in _FONT_MANGLING for m in methods) and all(
            t.lower().endswith(_FONT_FILES) for t in targets)

    def read(self, name: str) -> bytes:
        if name not in self.names:
            raise _refuse(f"is not a readable EPUB: it names {name!r}, which it does not hold",
                          self.file, "download the EPUB again")
        try:
            with self.zip.open(name) as handle:
                data = handle.read(self.budget + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError) as exc:
            raise _refuse(f"is not a readable EPUB: {name!r} cannot be unpacked ({exc})",
                          self.file, "download the EPUB again") from None
        self.budget -= len(data)
        if self.budget < 0:
            raise _refuse("is refused: it unpacks to more than the limit for one story "
                          "(its zip understates its size)", self.file,
                          "this EPUB is damaged or hostile; download it again")
        return data


def _xml(data: bytes, name: str, file: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise _refuse(f"is not a readable EPUB: {name} is not XML", file,
                      "download the EPUB again")
    return root


def _spine(archive: _Archive) -> list[str]:
    """The XHTML documents of the spine, in reading order, as zip names."""
    container = _xml(archive.read("META-INF/container.xml"), "META-INF/container.xml",
                     archive.file)
    rootfile = container.find(f".//{{{_CONTAINER_NS}}}rootfile")
    opf_name = rootfile.get("full-path") if rootfile is not None else None
    if not opf_name:
        raise _refuse("is not a readable EPUB: META-INF/container.xml names no package file",
                      archive.file, "download the EPUB again")
    opf = _xml(archive.read(opf_name), opf_name, archive.file)
    base = posixpath.dirname(opf_name)
    manifest = {}
    for item in opf.iter(f"{{{_OPF_NS}}}item"):
        if item.get("id") and item.get("href"):
            manifest[item.get("id")] = (item.get("href") or "", item.get("media-type") or "")
    names = []
    for itemref in opf.iter(f"{{{_OPF_NS}}}itemref"):
        href, media = manifest.get(itemref.get("idref") or "", ("", ""))
        if href and media in _XHTML_TYPES:
            names.append(posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0]))))
    return names


#: What joins the EPUB's name and a document's in a finding's file.
INSIDE = " \u203a "


def inner_name(file: str, member: str) -> str:
    """How a finding names a document inside the EPUB: ``fff.epub › OEBPS/ch1.xhtml``
    (its line numbers are that document's, not the zip's)."""
    return f"{file}{INSIDE}{member}"


def epub_tree(data: bytes, *, file: str, max_bytes: int) -> EpubText:
    """The spine's documents joined into one HTML tree, and what decoding them found."""
    archive = _Archive(data, file, max_bytes)
    names = _spine(archive)
    if not names:
        raise _refuse("is not a readable EPUB: its spine lists no XHTML document", file,
                      "download the EPUB again")
    joined = etree.Element("html")
    body = etree.SubElement(joined, "body")
    diagnostics: list[Diagnostic] = []
    sheets: dict[str, _Rules] = {}
    for name in names:
        if name in ("nav.xhtml",) or name.endswith("/nav.xhtml"):
            continue
        inside = inner_name(file, name)
        decoded = decode_bytes(archive.read(name), file=inside)
        diagnostics.extend(decoded.diagnostics)
        page, problems = parse_html_checked(decoded.text, file=inside)
        diagnostics.extend(problems)
        _inline_class_styles(page, _class_rules(page, name, archive, sheets))
        page_body = page.find("body")
        into = body
        kind = (page_body.get("class") or "") if page_body is not None else ""
        if kind.startswith("fff_"):  # FanFicFare marks its title page and chapters so
            into = etree.SubElement(body, "div", {"class": kind, FILE_ATTR: inside})
        if page_body is not None and (page_body.text or "").strip():
            loose = etree.SubElement(into, "p", {FILE_ATTR: inside})  # text right in <body>
            loose.text = page_body.text
        for child in list(page_body if page_body is not None else page):
            if isinstance(child.tag, str):  # its lines are its document's: say which
                child.set(FILE_ATTR, inside)
            into.append(child)
    _ao3_shape(body)
    return joined, tuple(diagnostics)


#: Declarations by (tag or None, class) from a stylesheet's simple ``tag.class`` rules.
_Rules = dict[tuple[str | None, str], str]
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CLASS_SELECTOR = re.compile(r"\s*([a-zA-Z][\w-]*)?\.([\w-]+)\s*")


def _parse_rules(css: str) -> _Rules:
    rules: _Rules = {}
    for selectors, declarations in _CSS_RULE.findall(_CSS_COMMENT.sub("", css)):
        for selector in selectors.split(","):
            match = _CLASS_SELECTOR.fullmatch(selector)
            if match:
                key = (match.group(1).lower() if match.group(1) else None, match.group(2))
                rules[key] = rules.get(key, "") + declarations.strip() + ";"
    return rules


def _class_rules(page: etree._Element, name: str, archive: _Archive,
                 sheets: dict[str, _Rules]) -> _Rules:
    """The class rules of the stylesheets ``page`` links from inside the EPUB (each
    read once) and of its own ``<style>`` elements. Nothing outside is fetched."""
    rules: _Rules = {}
    for link in page.iter("link"):
        href = (link.get("href") or "").split("#")[0]
        if "stylesheet" not in (link.get("rel") or "").lower() or not href or "//" in href:
            continue
        sheet = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(href)))
        if sheet not in sheets:
            css = archive.read(sheet) if sheet in archive.names else b""
            sheets[sheet] = _parse_rules(css.decode("utf-8", "replace"))
        rules.update(sheets[sheet])
    for style in page.iter("style"):
        rules.update(_parse_rules(style.text or ""))
    return rules


def _inline_class_styles(page: etree._Element, rules: _Rules) -> None:
    """Each element's class rules copied into its ``style``, so the HTML reader sees
    the emphasis and centring they give.

    calibre, which makes AO3's EPUB, turns ``<u>`` and ``<span style=…>`` into
    ``<span class="calibre9">`` with the style in its stylesheet, and the centred
    paragraph of a scene break likewise; read by tag alone, those runs would be
    lost. Links are left alone (their underline is the link's, not the author's).
    """
    if not rules:
        return
    for element in page.iter():
        if not isinstance(element.tag, str) or local(element) == "a":
            continue
        names = (element.get("class") or "").split()
        if not names:
            continue
        tag = local(element)
        found = "".join(rules.get((tag, n), "") + rules.get((None, n), "") for n in names)
        if found:
            element.set("style", found + (element.get("style") or ""))


def _ao3_shape(body: etree._Element) -> None:
    """AO3's EPUB joined back into the shape of its HTML download: one ``div#preface``,
    one ``div#chapters`` holding every chapter, one ``div#afterword``.

    AO3 makes its EPUB with calibre, which splits the download before each heading
    and copies the split element's ancestors into each part: the preface comes in
    two documents, and each chapter in its own ``div#chapters`` (or, split by older
    versions, loose between the preface and the afterword). Same-id wrappers are
    merged in reading order; loose parts go into the chapters.
    """
    tops = [child for child in body if isinstance(child.tag, str)]
    if not any(child.get("id") == "preface" for child in tops):
        return
    first: dict[str, etree._Element] = {}
    chapters: etree._Element | None = None
    for child in tops:
        key = child.get("id") or ""
        if key in ("preface", "afterword"):
            if key in first:
                _merge(child, into=first[key])
            else:
                first[key] = child
            continue
        if local(child) == "div" and "toc" in classes(child):
            continue
        if chapters is None:
            if key == "chapters":
                chapters = child
                continue
            chapters = etree.Element("div", id="chapters")
            child.addprevious(chapters)
        if key == "chapters":
            _merge(child, into=chapters)
        else:
            chapters.append(child)


def _merge(wrapper: etree._Element, *, into: etree._Element) -> None:
    """Move ``wrapper``'s children to the end of ``into`` and drop it; each child keeps
    the name of the document it came from."""
    inside = wrapper.get(FILE_ATTR)
    for child in list(wrapper):
        if isinstance(child.tag, str) and inside and not child.get(FILE_ATTR):
            child.set(FILE_ATTR, inside)
        into.append(child)
    parent = wrapper.getparent()
    if parent is not None:
        parent.remove(wrapper)
