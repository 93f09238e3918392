"""Line breaks a book designer would allow, set in the print tree only.

WeasyPrint breaks lines as Unicode's line-breaking rules allow and hyphenates
every word of six letters or more. Some of those breaks are wrong in a book, and
CSS has no property for them, so :func:`tie_breaks` marks the arranged HTML tree
(:mod:`fanbind.pdf.arrange`) before layout:

* a closed em dash is tied to the word before it (U+2060 WORD JOINER), so no
  line starts with "—and" and no paragraph ends on a line holding only "—”";
  the break after the dash stays allowed;
* a paragraph's last word (with the space before it) is wrapped in a
  ``hyphens: manual`` span, so the last line is never a fragment ("stu-/dents?");
* a URL is wrapped in a ``hyphens: manual`` span with zero-width spaces after
  each "/" and before each ".", so it breaks only there, without a hyphen;
* names (``never``, every story's characters and relationships) are kept whole
  by the layout's hyphenation dictionary (:mod:`fanbind.pdf.kept_words`: no
  span, which would cost WeasyPrint a layout per box per line), and
  ``exceptions`` words get soft hyphens at their given points only, in spans
  (the project's ``hyphenation:`` setting).

The EPUB gets none of this: the same renderer's documents go to both outputs
untouched, and some Kindles draw a word joiner as a box. Everything is escaped
text in spans with classes print.css styles (:data:`KEEP_CLASS`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from fanbind.model import Anthology
from fanbind.pdf.stylesheets import any_stylesheet_matches
from fanbind.render import XHTML_NS

WORD_JOINER = "\u2060"
ZERO_WIDTH_SPACE = "\u200b"
SOFT_HYPHEN = "\u00ad"
#: The class of the spans print.css keeps from automatic hyphenation.
KEEP_CLASS = "fb-keep"
#: Extra classes saying why (for tests and for a user stylesheet).
LAST_WORD_CLASS = "fb-last-word"
URL_CLASS = "fb-url"
NAME_CLASS = "fb-name"
EXCEPTION_CLASS = "fb-exception"

#: A closed em dash: one that touches the character before it (a letter,
#: punctuation or a closing quote, not a space).
_CLOSED_DASH = re.compile(r"(?<=[^\s\u2060])\u2014")
#: A URL: with a scheme, after www., or a bare host name under a common
#: top-level domain (archiveofourown.org/works/1). Trailing sentence
#: punctuation is not part of it.
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"“”‘’]+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:org|com|net|io|info|edu|gov|me|uk|de|fr|jp|ru|co|tv)\b"
    r"(?:/[^\s<>\"“”‘’]*)?",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'’”»…"
#: The last word of a text: its letters and whatever punctuation follows, with the
#: space before it. The space goes into the span: WeasyPrint 70 found no break
#: between a text and a following span that begins with a letter when the span
#: did not fit the line, and broke after the line's first word instead ("Iruka's"
#: alone on a line, then "form as if…": five lines of the sample).
_LAST_WORD = re.compile(r"\s*\S*\w\S*\s*$")
#: A word from its first letter to its last: what WeasyPrint could hyphenate lies in it.
_CORE = re.compile(r"\w(?:.*\w)?")
#: Elements whose text is not set as prose (nothing to tie or wrap).
#: Headings too: their text is also the outline's and the running heads', where
#: an invisible character is one a viewer may draw as a box.
_SKIP = frozenset({"head", "script", "style", "title", "meta", "link",
                   "h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class Hyphenation:
    """Project-wide word rules: words never hyphenated, words hyphenated only at given points.

    ``exceptions`` maps a lower-case word to the letter offsets after which it
    may break ("ta-ble-top" → ``{"tabletop": (2, 5)}``).
    """

    never: frozenset[str] = frozenset()
    exceptions: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @classmethod
    def from_settings(cls, never: Iterable[str], exceptions: Iterable[str],
                      names: Iterable[str] = ()) -> Hyphenation:
        """Rules from ``hyphenation:`` settings plus names from the stories' tags.

        Names are split into words ("Hatake Kakashi/Umino Iruka" → four words):
        a word of a name is kept whole wherever it stands.
        """
        words = {word for entry in (*never, *names)
                 for word in re.split(r"[\s/&|()]+", entry) if re.search(r"\w", word)}
        points = []
        for entry in exceptions:
            parts = entry.split("-")
            offsets, total = [], 0
            for part in parts[:-1]:
                total += len(part)
                offsets.append(total)
            points.append(("".join(parts).lower(), tuple(offsets)))
        return cls(frozenset(words), tuple(points))


#: The shortest word WeasyPrint hyphenates under print.css (``hyphenate-limit-chars:
#: 6 3 3``). A paragraph's last word shorter than this is never split, so it gets no
#: span: every span is inline boxes WeasyPrint breaks on their own (a tenth of the
#: sample's line breaking went to last-word spans, over half of them for words it
#: would never have hyphenated).
SHORTEST_HYPHENATED = 6
_LIMIT_CHARS = re.compile(r"hyphenate-limit-chars")


def shortest_hyphenated(stylesheets: Iterable[Path]) -> int:
    """:data:`SHORTEST_HYPHENATED`, or 1 when a user stylesheet sets its own limit."""
    return 1 if any_stylesheet_matches(stylesheets, _LIMIT_CHARS) else SHORTEST_HYPHENATED


def tie_breaks(html: etree._Element, hyphenation: Hyphenation | None = None, *,
               shortest: int = SHORTEST_HYPHENATED) -> None:
    """Mark the print tree's body as the module docstring says (in place).

    ``shortest``: the shortest last word that gets a span (:func:`shortest_hyphenated`).
    """
    body = html.find(f"{{{XHTML_NS}}}body")
    if body is None:
        return
    # Dashes first: the joiners change no structure, and the spans made after
    # would hide the text a dash follows.
    for element, is_tail in list(_slots(body)):
        if is_tail and element.tail:
            element.tail = _tie_text(element.tail, True)
        elif not is_tail and element.text:
            element.text = _tie_text(element.text, _text_before(element))
    for url in _wrap_all(body, _URL, _url_span, trim=_URL_TRAILING):
        url.text = _url_breaks(url.text or "")
    if hyphenation is not None:
        _apply_word_rules(body, hyphenation)
    for paragraph in body.iter(f"{{{XHTML_NS}}}p"):
        _keep_last_word(paragraph, shortest)


# ---------------------------------------------------------------------- dashes


def _tie_text(text: str, joined_at_start: bool) -> str:
    """``text`` with a word joiner before each closed em dash.

    ``joined_at_start``: something other than a space stands right before the
    text (a tail follows its element's content), so a dash opening it is closed.
    """
    text = _CLOSED_DASH.sub(WORD_JOINER + "\u2014", text)
    if joined_at_start and text.startswith("\u2014"):
        text = WORD_JOINER + text
    return text


def _text_before(element: etree._Element) -> bool:
    """Whether an inline element's text follows other text with no space between."""
    parent = element.getparent()
    if parent is None or etree.QName(element).localname not in _INLINE:
        return False
    previous = element.getprevious()
    before = (previous.tail if previous is not None else parent.text) or ""
    return bool(before) and not before[-1].isspace()


_INLINE = frozenset({"em", "i", "strong", "b", "u", "s", "span", "a", "cite", "abbr", "time"})


# ---------------------------------------------------------------------- spans


def _slots(root: etree._Element, *,
           kept: bool = False) -> Iterator[tuple[etree._Element, bool]]:
    """Every text slot under ``root`` in document order: (element, is its tail).

    ``root``'s own tail is not under it. The text of spans this module made is
    already set: left out, unless ``kept`` (then their own text, not their
    children's, is yielded).
    """
    def walk(element: etree._Element) -> Iterator[tuple[etree._Element, bool]]:
        if not isinstance(element.tag, str) or element.tag.split("}")[-1] in _SKIP:
            return
        if KEEP_CLASS in (element.get("class") or "").split():
            if kept:
                yield element, False
            return
        yield element, False
        for child in element:
            yield from walk(child)
            yield child, True

    yield from walk(root)


def _span(text: str, *classes: str) -> etree._Element:
    span = etree.Element(f"{{{XHTML_NS}}}span")
    span.set("class", " ".join((KEEP_CLASS, *classes)))
    span.text = text
    return span


def _url_span(text: str) -> etree._Element:
    return _span(text, URL_CLASS)


def _wrap_all(root: etree._Element, pattern: re.Pattern[str],
              make: Callable[[str], etree._Element], *, trim: str = "",
              keep: Callable[[str], bool] | None = None) -> list[etree._Element]:
    """Wrap every match of ``pattern`` in the text under ``root`` in a span ``make`` makes.

    ``trim``: characters stripped from a match's end (and left outside the span);
    ``keep``: which matches to wrap (all when None).
    """
    made: list[etree._Element] = []
    for element, is_tail in list(_slots(root)):
        text = element.tail if is_tail else element.text
        if not text:
            continue
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(text):
            end = match.start() + len(match.group().rstrip(trim))
            if end > match.start() and (keep is None or keep(match.group())):
                spans.append((match.start(), end))
        if spans:
            made += _split(element, is_tail, text, spans, make)
    return made


def _split(element: etree._Element, is_tail: bool, text: str, spans: list[tuple[int, int]],
           make: Callable[[str], etree._Element]) -> list[etree._Element]:
    """Replace one text slot with its text cut at ``spans``, each span in an element."""
    made = []
    position = 0
    head = text[:spans[0][0]]
    if is_tail:
        element.tail = head
        anchor = element
    else:
        element.text = head
        anchor = None
    for index, (start, end) in enumerate(spans):
        span = make(text[start:end])
        following = spans[index + 1][0] if index + 1 < len(spans) else len(text)
        span.tail = text[end:following] or None
        if anchor is None:
            element.insert(0, span)
        else:
            anchor.addnext(span)
        anchor = span
        made.append(span)
        position = following
    assert position == len(text)
    return made


def _url_breaks(url: str) -> str:
    """Zero-width spaces after each "/" and before each "." (not at the ends)."""
    out = []
    for index, char in enumerate(url):
        if char == "." and 0 < index < len(url) - 1:
            out.append(ZERO_WIDTH_SPACE)
        out.append(char)
        if char == "/" and index < len(url) - 1 and url[index + 1] != "/":
            out.append(ZERO_WIDTH_SPACE)
    return "".join(out)


def _keep_last_word(paragraph: etree._Element, shortest: int) -> None:
    """Wrap the paragraph's last word (with its trailing punctuation) in a keep span.

    When the last word already stands in a keep span (a URL, a name), it is left;
    so is one shorter than ``shortest`` from its first letter to its last.
    """
    last: tuple[etree._Element, bool] | None = None
    for element, is_tail in _slots(paragraph, kept=True):
        text = element.tail if is_tail else element.text
        if text and re.search(r"\w", text):
            kept = not is_tail and KEEP_CLASS in (element.get("class") or "").split()
            last = None if kept else (element, is_tail)
    if last is None:
        return
    element, is_tail = last
    text = (element.tail if is_tail else element.text) or ""
    match = _LAST_WORD.search(text)
    if match is None:
        return
    core = _CORE.search(match.group())
    if core is None or len(core.group()) < shortest:
        return
    _split(element, is_tail, text, [(match.start(), len(text))],
           lambda word: _span(word, LAST_WORD_CLASS))


# ---------------------------------------------------------------------- word rules


def _apply_word_rules(body: etree._Element, rules: Hyphenation) -> None:
    """Wrap every exception word (any case) in a keep span with soft hyphens at its points.

    ``never`` words and names get no span: the layout's hyphenation dictionary
    keeps them whole (:mod:`fanbind.pdf.kept_words`), which costs WeasyPrint
    nothing, where a span per name cost a quarter of its line breaking.
    Words are found by one scan for ``\\w+`` and a set lookup, not by a pattern
    of every word.
    """
    exceptions = dict(rules.exceptions)
    words = set(exceptions)
    if not words:
        return

    def make(word: str) -> etree._Element:
        points = exceptions[word.lower()]
        cut = [0, *points, len(word)]
        return _span(SOFT_HYPHEN.join(word[a:b] for a, b in itertools.pairwise(cut)),
                     EXCEPTION_CLASS)

    _wrap_all(body, _WORD, make, keep=lambda word: word.lower() in words)


_WORD = re.compile(r"\w+")


def book_rules(anthology: Anthology) -> Hyphenation:
    """The book's word rules: ``hyphenation:`` and every story's characters and relationships.

    AO3's stand-ins ("Original Female Character", "Original Characters") name
    no one and are left out.
    """
    config = anthology.meta.hyphenation
    names = [name for story in anthology.stories
             for name in (*story.meta.characters, *story.meta.relationships)
             if not name.lower().startswith("original ")]
    return Hyphenation.from_settings(config.never, config.exceptions, names)
