"""HTML → the document model: a lenient parse, then blocks with their emphasis.

Any HTML a fan has: AO3's and FanFicFare's downloads, a page saved from a
browser, the XHTML inside an EPUB, Markdown rendered to HTML. lxml's HTML
parser (libxml2, recovering from broken markup) reads it; scripts, styles,
comments, forms and embedded objects are dropped before anything is read, so no
markup can reach the book as text. Nothing is fetched: an image is never loaded
(one standing alone is a scene-break divider), and remote images and stylesheets
are named once in a warning (FB241).

:func:`flow` is the one walk from elements to blocks; :mod:`.ao3` uses it for each
part of an AO3 download, :func:`read_html` for any other page.
"""

from __future__ import annotations

import html as html_entities
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from fanbind.diagnostics import Diagnostic
from fanbind.model import (
    Block,
    Chapter,
    Emphasis,
    Heading,
    Inline,
    LineBreak,
    Origin,
    Paragraph,
    SceneBreak,
    Span,
    Strike,
    Strong,
    Text,
    Underline,
    plain_text,
)
from fanbind.text.structure.parser import FoundField, ParsedStory
from fanbind.text.structure.rules import ornament_kind

__all__ = ["FILE_ATTR", "Flow", "flow", "origin_of", "parse_html", "read_page", "source_file",
           "text_of"]

#: Elements whose content is never story text.
DROPPED = frozenset({
    "script", "style", "noscript", "template", "form", "input", "button", "select",
    "textarea", "option", "iframe", "object", "embed", "applet", "canvas", "svg", "math",
    "audio", "video", "source", "track", "map", "head", "title", "meta", "link", "base",
    "nav", "dialog",
})
#: Elements that start and end a block (everything else is inline and transparent).
BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "aside", "header", "footer", "body", "html",
    "blockquote", "center", "figure", "figcaption", "address", "pre", "ul", "ol", "li",
    "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "details", "summary", "fieldset", "legend",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPAN_OF_TAG: dict[str, type[Span]] = {
    "i": Emphasis, "em": Emphasis, "cite": Emphasis, "var": Emphasis, "dfn": Emphasis,
    "b": Strong, "strong": Strong,
    "u": Underline, "ins": Underline,
    "s": Strike, "strike": Strike, "del": Strike,
}
_STYLE_SPANS: tuple[tuple[re.Pattern[str], type[Span]], ...] = (
    (re.compile(r"font-style\s*:\s*(?:italic|oblique)", re.I), Emphasis),
    (re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.I), Strong),
    (re.compile(r"text-decoration[\w-]*\s*:[^;]*underline", re.I), Underline),
    (re.compile(r"text-decoration[\w-]*\s*:[^;]*line-through", re.I), Strike),
)
_CENTRED = re.compile(r"text-align\s*:\s*center", re.I)
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,30});")
_CUT_TAG = re.compile(r"<[/!?]?(?:[A-Za-z][^<>]*)?\Z")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>", re.IGNORECASE)
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
#: A byline under a page's title: "by Name", "by A and B" (short, no sentence).
_BYLINE = re.compile(r"(?i)by\s+([^.!?\n]{1,120})")
_MAX_BYLINE_WORDS = 8
#: A centred paragraph this short with no letters is an ornament (``~ * ~``, ``◆``).
_MAX_CENTRED_ORNAMENT = 12


@dataclass
class Flow:
    """What a walk found: blocks in order, and what it skipped."""

    file: str
    blocks: list[Block] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_html(text: str) -> etree._Element:
    """A lenient parse of a whole page or a fragment; never raises on bad markup.

    Comments and processing instructions are dropped by the parser, the
    network is never used.
    """
    return parse_html_checked(text, file=None)[0]


#: At most this many markup problems are named in the one FB243 warning.
_SHOWN_PROBLEMS = 3


def parse_html_checked(text: str, *, file: str | None) -> tuple[etree._Element,
                                                                list[Diagnostic]]:
    """:func:`parse_html`, and one FB243 warning (for ``file``) naming the first
    places where the parser had to repair the markup (a tag closed out of order).
    """
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str with one
    # A file cut short inside a tag (an interrupted save): libxml2 would keep the
    # "<b>Warn</" as text, so the unfinished tag is left out.
    text = _CUT_TAG.sub("", text, count=1)
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                  recover=True, default_doctype=False, remove_blank_text=False)
    root = lxml_html.document_fromstring(text or "<p></p>", parser=parser)
    if file is None:
        return root, []
    # An unknown tag, or an id used twice (AO3's own page repeats id="work"), does
    # not change what is read: not worth a warning.
    problems = [entry for entry in parser.error_log
                if entry.type_name not in ("HTML_UNKNOWN_TAG", "XML_DTD_ID_REDEFINED")
                and "already defined" not in entry.message]
    if not problems:
        return root, []
    shown = "; ".join(f"line {entry.line}: {entry.message.strip()}"
                      for entry in problems[:_SHOWN_PROBLEMS])
    more = f" (and {len(problems) - _SHOWN_PROBLEMS} more)" if len(
        problems) > _SHOWN_PROBLEMS else ""
    return root, [Diagnostic.create("FB243", file, problems[0].line,
                                    f"malformed HTML read leniently: {shown}{more}")]


def local(element: etree._Element) -> str:
    """The element's tag without a namespace, lower case ('' for comments and entities)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def text_of(element: etree._Element) -> str:
    """All the text inside ``element`` (dropped elements excluded), spaces collapsed."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if local(el) in DROPPED:
            return
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if local(el) in BLOCKS or local(el) == "br":
            parts.append(" ")

    walk(element)
    return _SPACE.sub(" ", _unescape("".join(parts))).strip()


def _unescape(text: str) -> str:
    # An entity left as text (``&#39;`` escaped twice by an exporter) is a character.
    return html_entities.unescape(text) if _ENTITY.search(text) else text


# ----------------------------------------------------------------- inline tokens
# A paragraph is first a flat run of tokens (text, open span, close span, line
# break), so whitespace can be collapsed across element boundaries the way a
# browser does; the span tree is built from the tokens afterwards.

_OPEN, _CLOSE, _TEXT, _BREAK, _IMAGE = range(5)
_Token = tuple[int, object]


def _span_kinds(element: etree._Element, tag: str) -> list[type[Span]]:
    kinds: list[type[Span]] = []
    if tag in _SPAN_OF_TAG:
        kinds.append(_SPAN_OF_TAG[tag])
    style = element.get("style")
    if style:
        kinds.extend(kind for pattern, kind in _STYLE_SPANS
                     if pattern.search(style) and kind not in kinds)
    return kinds


def _build(tokens: list[_Token]) -> tuple[Inline, ...]:
    """Spaces collapsed, trimmed at the ends and around line breaks; then the span tree."""
    # Collapse: every whitespace run is one space; none at a line's start or end.
    cooked: list[_Token] = []
    at_line_start = True
    for kind, value in tokens:
        if kind == _TEXT:
            assert isinstance(value, str)
            text = _SPACE.sub(" ", value)
            if at_line_start or (cooked and _ends_with_space(cooked)):
                text = text.lstrip(" ")
            if not text:
                continue
            at_line_start = False
            cooked.append((_TEXT, text))
        elif kind == _BREAK:
            _strip_trailing(cooked)
            cooked.append((_BREAK, None))
            at_line_start = True
        elif kind != _IMAGE:
            cooked.append((kind, value))
    _strip_trailing(cooked)
    while cooked and cooked[-1][0] == _BREAK:
        cooked.pop()
    while cooked and cooked[0][0] == _BREAK:
        cooked.pop(0)
    stack: list[tuple[type[Span] | None, list[Inline]]] = [(None, [])]
    for kind, value in cooked:
        if kind == _OPEN:
            assert isinstance(value, type)
            stack.append((value, []))
        elif kind == _CLOSE:
            span_kind, children = stack.pop()
            if span_kind is not None and children:
                _add(stack[-1][1], span_kind(tuple(children)))
        elif kind == _TEXT:
            assert isinstance(value, str)
            _add(stack[-1][1], Text(value))
        else:
            stack[-1][1].append(LineBreak())
    while len(stack) > 1:  # unbalanced only if a caller forgot a close; keep the text
        span_kind, children = stack.pop()
        if span_kind is not None and children:
            _add(stack[-1][1], span_kind(tuple(children)))
    return tuple(stack[0][1])


def _add(out: list[Inline], span: Inline) -> None:
    # Adjacent runs merge: <i>a</i><i>b</i> is one emphasis, text + text one text.
    if out and isinstance(span, Text) and isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text + span.text)
    elif (out and not isinstance(span, Text | LineBreak) and type(out[-1]) is type(span)
          and not isinstance(out[-1], Text | LineBreak)):
        previous = out[-1]
        assert not isinstance(previous, Text | LineBreak)
        out[-1] = type(span)(previous.children + span.children)
    else:
        out.append(span)


def _ends_with_space(cooked: list[_Token]) -> bool:
    for kind, value in reversed(cooked):
        if kind == _TEXT:
            assert isinstance(value, str)
            return value.endswith(" ")
        if kind == _BREAK:
            return True
    return True


def _strip_trailing(cooked: list[_Token]) -> None:
    for index in range(len(cooked) - 1, -1, -1):
        kind, value = cooked[index]
        if kind == _TEXT:
            assert isinstance(value, str)
            stripped = value.rstrip(" ")
            if stripped:
                cooked[index] = (_TEXT, stripped)
                return
            del cooked[index]
        elif kind == _BREAK:
            return


# ------------------------------------------------------------------------ blocks


class _Walker:
    """Turns an element tree into blocks: inline runs become paragraphs."""

    def __init__(self, out: Flow) -> None:
        self.out = out
        self.tokens: list[_Token] = []
        self.line: int | None = None
        self.line_file = out.file
        self.quote = 0
        self.centred = 0
        self.images = 0

    # A run of inline content is a paragraph once a block boundary closes it.
    def close(self) -> None:
        tokens, self.tokens = self.tokens, []
        images, self.images = self.images, 0
        inlines = _build(tokens)
        origin = Origin(self.line_file, self.line) if self.line else None
        self.line = None
        if not inlines:
            if images:
                self.out.blocks.append(SceneBreak(origin))  # an image alone: a divider
            return
        text = plain_text(inlines).strip()
        if _is_ornament(text, centred=self.centred > 0):
            self.out.blocks.append(SceneBreak(origin))
            return
        self.out.blocks.append(Paragraph(inlines, origin, quote=self.quote > 0))

    def walk(self, element: etree._Element) -> None:
        tag = local(element)
        if tag in DROPPED or not tag:
            self._tail(element)
            return
        if tag == "br":
            self._mark_line(element)
            self.tokens.append((_BREAK, None))
        elif tag == "img":
            self._mark_line(element)
            src = element.get("src") or ""
            if _REMOTE.match(src) and src not in self.out.skipped:
                self.out.skipped.append(src)
            self.images += 1
        elif tag == "rt" and not _after_rp(element):
            # A ruby's reading with no <rp> around it: set after its base in
            # parentheses, as a reader without ruby shows it (兄（あに）, not 兄あに).
            self._mark_line(element)
            wide = any(ord(char) > 0x2E7F for char in (element.text or "")[:1])
            self.tokens.append((_TEXT, "\uff08" if wide else "("))
            self._content(element)
            self.tokens.append((_TEXT, "\uff09" if wide else ")"))
        elif tag == "hr":
            self.close()
            self.out.blocks.append(SceneBreak(origin_of(element, self.out.file)))
        elif tag in _HEADINGS:
            self.close()
            self._heading(element)
        elif tag in BLOCKS:
            self.close()
            quote = tag == "blockquote"
            centred = tag == "center" or (element.get("align") or "").lower() == "center" or (
                bool(_CENTRED.search(element.get("style") or "")))
            self.quote += quote
            self.centred += centred
            self._content(element)
            self.close()
            self.quote -= quote
            self.centred -= centred
        else:
            kinds = _span_kinds(element, tag)
            for kind in kinds:
                self.tokens.append((_OPEN, kind))
            self._content(element)
            for _ in kinds:
                self.tokens.append((_CLOSE, None))
        self._tail(element)

    def _content(self, element: etree._Element) -> None:
        if element.text:
            self._text(element, element.text)
        for child in element:
            self.walk(child)

    def _tail(self, element: etree._Element) -> None:
        if element.tail:
            parent = element.getparent()
            self._text(parent if parent is not None else element, element.tail)

    def _text(self, element: etree._Element, text: str) -> None:
        if not text.strip() and not self.tokens:
            return
        self._mark_line(element)
        self.tokens.append((_TEXT, _unescape(text)))

    def _mark_line(self, element: etree._Element) -> None:
        if self.line is None:
            self.line = source_line(element)
            self.line_file = source_file(element, self.out.file)

    def _heading(self, element: etree._Element) -> None:
        sub = Flow(self.out.file)
        inner = _Walker(sub)
        inner._content(element)
        inner.close()
        inlines = tuple(span for block in sub.blocks if isinstance(block, Paragraph)
                        for span in block.inlines)
        self.out.skipped.extend(src for src in sub.skipped if src not in self.out.skipped)
        if inlines:
            self.out.blocks.append(Heading(inlines, origin_of(element, self.out.file)))


#: The attribute that carries a source line when the HTML was made from another
#: format (Markdown): its lines, not the generated HTML's, are the user's.
LINE_ATTR = "data-source-line"


def source_line(element: etree._Element) -> int | None:
    """The user's line for ``element``: a carried source line, else the parser's."""
    for candidate in (element, *element.iterancestors()):
        carried = candidate.get(LINE_ATTR)
        if carried is not None:
            return int(carried) if carried.isdigit() else None
    return element.sourceline or None


#: The attribute that names the document inside a container an element came from
#: (an EPUB's ``story.epub › OEBPS/two.xhtml``): its lines are that document's, so
#: a finding names it, not the container alone.
FILE_ATTR = "data-source-file"


def source_file(element: etree._Element, file: str) -> str:
    """The name findings give ``element``'s lines: its document inside ``file`` if
    it came out of one, else ``file``."""
    for candidate in (element, *element.iterancestors()):
        named = candidate.get(FILE_ATTR)
        if named:
            return named
    return file


def origin_of(element: etree._Element, file: str) -> Origin | None:
    """Where ``element`` is in the user's files (None when the parser gave no line)."""
    line = source_line(element)
    return Origin(source_file(element, file), line) if line else None


def _after_rp(element: etree._Element) -> bool:
    previous = element.getprevious()
    return previous is not None and local(previous) == "rp"


def _is_ornament(text: str, *, centred: bool) -> bool:
    if not text or "\n" in text:
        return False
    if ornament_kind(text) is not None:
        return True
    # A centred line of symbols with no letters or digits: an ornament the rules
    # do not list (❀ ~ ❀, a row of hearts in another block).
    return (centred and len(text) <= _MAX_CENTRED_ORNAMENT
            and not any(char.isalnum() for char in text))


def flow(elements: Iterable[etree._Element], *, file: str,
         into: Flow | None = None) -> Flow:
    """The blocks of ``elements`` (and their content), in order."""
    out = into if into is not None else Flow(file)
    walker = _Walker(out)
    for element in elements:
        walker.close()
        walker._content(element) if local(element) in ("body", "html") else walker.walk(element)
    walker.close()
    return out


def tidy_breaks(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """No scene break at a chapter's start or end, and never two in a row."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, SceneBreak) and (not out or isinstance(out[-1], SceneBreak)):
            continue
        out.append(block)
    while out and isinstance(out[-1], SceneBreak):
        out.pop()
    return tuple(out)


def paragraphs(blocks: Iterable[Block]) -> tuple[Paragraph, ...]:
    """The paragraphs of a notes block (a heading inside notes becomes a paragraph)."""
    out: list[Paragraph] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            out.append(Paragraph(block.inlines, block.origin))
    return tuple(out)


def skipped_warning(skipped: list[str], file: str) -> list[Diagnostic]:
    """One warning naming the remote images and stylesheets that were not fetched."""
    if not skipped:
        return []
    shown = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3} more" if len(skipped) > 3
                                       else "")
    return [Diagnostic.create("FB241", file, None,
                              f"{len(skipped)} remote image(s) or stylesheet(s) not fetched: "
                              f"{shown}")]


def remote_stylesheets(root: etree._Element) -> list[str]:
    """Stylesheets a page links from the network (never fetched: only named)."""
    found = []
    for link in root.iter("link"):
        href = link.get("href") or ""
        if "stylesheet" in (link.get("rel") or "").lower() and _REMOTE.match(href):
            found.append(href)
    return found


# -------------------------------------------------------------------------- pages


def _title_of(root: etree._Element) -> str | None:
    for element in root.iter("title"):
        title = _SPACE.sub(" ", _unescape("".join(element.itertext()))).strip()
        if title:
            return title
    return None


def read_page(root: etree._Element, *, file: str) -> ParsedStory:
    """A page that is not AO3's: the first ``h1`` (else ``<title>``) is the title,
    each ``h1``/``h2`` after it opens a chapter, smaller headings stay in the text."""
    skipped = remote_stylesheets(root)
    body = root.find("body")
    found = flow([body if body is not None else root], file=file)
    skipped += [src for src in found.skipped if src not in skipped]
    blocks = found.blocks
    title: str | None = None
    title_line: int | None = None
    levels, h1_count = _heading_levels(root)
    first = blocks[0] if blocks else None
    # The page's title is its only h1 when the page opens with it.
    if isinstance(first, Heading) and h1_count == 1 and levels.get(
            plain_text(first.inlines).strip()) == "h1":
        title = plain_text(first.inlines).strip()
        title_line = first.origin.line if first.origin else None
        blocks = blocks[1:]
    # The title and byline open the page: one document even inside an EPUB.
    stated_in = first.origin.file if first is not None and first.origin and (
        first.origin.file != file) else None
    if title is None:
        title = _title_of(root)
    stated: list[FoundField] = []
    byline = _BYLINE.fullmatch(plain_text(blocks[0].inlines).strip()) if blocks and isinstance(
        blocks[0], Paragraph) else None
    if byline and len(byline.group(1).split()) > _MAX_BYLINE_WORDS:
        byline = None
    if title is not None and byline:  # "by Name" under the title: the authors, not text
        names = tuple(n.strip() for n in re.split(r",\s*|\s+(?:and|&)\s+", byline.group(1))
                      if n.strip())
        stated.append(("authors", names, blocks[0].origin.line if blocks[0].origin else None))
        blocks = blocks[1:]
    chapters = _chapters(blocks, levels)
    return ParsedStory(
        title=title, title_line=title_line, chapters=chapters, summary=(), notes=(),
        end_notes=(), paragraph_model="html", dropped=(),
        diagnostics=tuple(skipped_warning(skipped, file)), found=tuple(stated),
        stated_in=tuple((field, stated_in) for field in ("title", *(f for f, _, _ in stated))
                        ) if stated_in else (),
    )


def _heading_levels(root: etree._Element) -> tuple[dict[str, str], int]:
    """Heading text → its tag (the first one with that text), and the number of ``h1``."""
    levels: dict[str, str] = {}
    h1_count = 0
    for element in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        tag = local(element)
        levels.setdefault(text_of(element), tag)
        h1_count += tag == "h1"
    return levels, h1_count


def _chapters(blocks: list[Block], levels: dict[str, str]) -> tuple[Chapter, ...]:
    """Split at ``h1``/``h2`` headings; a page without them is one untitled chapter."""
    chapters: list[Chapter] = []
    title: str | None = None
    origin: Origin | None = None
    current: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading) and levels.get(plain_text(block.inlines).strip()) in (
                "h1", "h2"):
            if current or title is not None:
                chapters.append(Chapter(title, tidy_breaks(current), origin))
            title = plain_text(block.inlines).strip()
            origin, current = block.origin, []
            continue
        current.append(block)
    if current or title is not None:
        chapters.append(Chapter(title, tidy_breaks(current), origin))
    return tuple(ch for ch in chapters if ch.blocks or ch.title)
