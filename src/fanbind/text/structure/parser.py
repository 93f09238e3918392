"""The structure stage: clean text → title, chapters of blocks, and what left the body.

Passes, each linear in the input: Project Gutenberg boilerplate, every line
classified once against :mod:`fanbind.text.structure.rules`, the preface (title,
AO3 work header, byline), the paragraph model (:mod:`fanbind.text.structure.paragraphs`),
the scan into chapters with AO3 notes moved out, then blocks with emphasis
(:mod:`fanbind.text.structure.inlines`). Nothing is silently lost: every line that
leaves the body is a title, a note, a chapter title, or a ``DroppedLine`` naming
its rule. docs/architecture-text.md walks through the passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fanbind.diagnostics import Diagnostic, Diagnostics
from fanbind.model import (
    Block,
    Chapter,
    Heading,
    Origin,
    Paragraph,
    SceneBreak,
    plain_text,
)
from fanbind.text.structure.ao3_tags import FoundField, split_names, tag_fields
from fanbind.text.structure.inlines import parse_inlines
from fanbind.text.structure.paragraphs import (
    BLANK,
    BOUNDARY,
    ORNAMENT,
    TEXT,
    Break,
    Para,
    Paragraphs,
    ends_sentence,
)
from fanbind.text.structure.rules import (
    AO3_PAGE_RULES,
    AO3_RULES,
    BRACKETS,
    CHAPTER_RULES,
    GUTENBERG_RULES,
    HEADING_PATTERN_RULES,
    KUDOS_MARK,
    LABEL_SMALL_WORDS,
    LABEL_TIME_WORDS,
    MAX_RULE_LINE,
    NOT_LABEL_WORDS,
    ORNAMENT_RULES,
    QUOTE_CHARS,
    RULE_TRIGGER,
    SENTENCE_PUNCTUATION,
    Action,
    StructureRule,
    ornament_kind,
)

__all__ = ["DroppedLine", "FoundField", "ParsedStory", "parse_story"]


@dataclass(frozen=True)
class DroppedLine:
    """A source line left out of the story body, and the rule that left it out."""

    line: int  # 1-based line in the source file
    text: str
    reason: str  # rule name, e.g. "ao3-chapter-text", "gutenberg-header", "scene-break"


@dataclass(frozen=True)
class ParsedStory:
    """What the structure stage (or a reader of another format) found in one story file.

    ``summary``, ``notes`` and ``end_notes`` are plain text from a text file and
    paragraphs, emphasis kept, from HTML. ``found`` is metadata the file states
    (an AO3 download's tags): ``(field, value, line)`` with StoryConfig's field names.
    ``stated_in`` pairs a field of ``found`` (or "title") with the document inside the
    file whose line it gives (an EPUB's preface or title page); a field not listed is
    stated in the file itself.
    """

    title: str | None
    title_line: int | None
    chapters: tuple[Chapter, ...]
    summary: tuple[str | Paragraph, ...]
    notes: tuple[str | Paragraph, ...]
    end_notes: tuple[str | Paragraph, ...]
    paragraph_model: str
    dropped: tuple[DroppedLine, ...]
    diagnostics: tuple[Diagnostic, ...]
    found: tuple[FoundField, ...] = ()
    stated_in: tuple[tuple[str, str], ...] = ()

    def inside(self, field: str) -> str | None:
        """The document inside the file that states ``field``, if it is not the file."""
        return dict(self.stated_in).get(field)


# ------------------------------------------------------------------ constants

#: A title line is at most this long; a longer first line is prose.
MAX_TITLE = 80
MAX_TITLE_WORDS = 14
#: Label headings ("Kakashi", "Three years later") are short.
MAX_LABEL = 40
MAX_LABEL_WORDS = 3
#: An AO3 work-header field with its value on the next lines has at most this many.
MAX_HEADER_VALUE_LINES = 12

_RULES_BY_NAME: dict[str, StructureRule] = {
    rule.name: rule
    for rule in (*GUTENBERG_RULES, *AO3_RULES, *AO3_PAGE_RULES, *CHAPTER_RULES, *ORNAMENT_RULES,
                 *HEADING_PATTERN_RULES)
}
_HEADING_SHAPES = tuple(rule for rule in HEADING_PATTERN_RULES if rule.pattern is not None)
#: Paragraphs of text a shape needs between two of its headings (dialogue in corner
#: brackets comes closer together than chapters do).
_HEADING_GAP = {"heading-quoted": 3}
#: Lines that head a file's own contents list.
_CONTENTS_WORDS = frozenset({"contents", "table of contents", "目录", "目錄", "index"})
#: What may come before the first keyword-less heading: notes and explicit headings.
_OPENERS = frozenset({Action.CHAPTER, Action.SUMMARY, Action.NOTES, Action.END_NOTES,
                      Action.SUMMARY_INLINE, Action.NOTES_INLINE, Action.BODY_START,
                      Action.SEE_END})
_GUTENBERG_START, _GUTENBERG_END, _GUTENBERG_CREDITS = GUTENBERG_RULES
_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_NORM_WORD = re.compile(r"[^\W_]+")  # letters and digits: emphasis underscores do not count
_LETTERS = re.compile(r"[^\W\d_]+")

#: Labels that close notes before the text and so prove where the text begins.
_FRONT_ENDS = frozenset({Action.BODY_START, Action.SEE_END, Action.SUMMARY, Action.NOTES,
                         Action.SUMMARY_INLINE})
_INLINE = frozenset({Action.SUMMARY_INLINE, Action.NOTES_INLINE})
#: What may follow a paste's byline: the labels and headings AO3 sets under it.
_UNDER_BYLINE = frozenset({Action.SUMMARY, Action.NOTES, Action.BODY_START, Action.SEE_END,
                           Action.CHAPTER, Action.SUMMARY_INLINE, Action.NOTES_INLINE})
#: The work header's statistics, each its own "Label:" line when a page is pasted.
_STATS_LABELS = frozenset({"published", "updated", "completed", "words", "chapters",
                           "comments", "kudos", "bookmarks", "hits"})
#: A gift work's recipients under a pasted page's byline ("for Sam, Ash").
_GIFT_LINE = re.compile(r"(?-i:for)\s+[^\s.!?…:;\"“”]{1,60}(?:,?\s+[^\s.!?…:;\"“”]{1,60}){0,5}")
#: An AO3 work's address.
_WORK_URL = re.compile(r"https?://\S*archiveofourown\.org/works/\d+\S*")
#: A "Label:" line (a word or three, then a colon) that AO3's header does not have.
_LABEL_LINE = re.compile(r"[^\W\d_][\w'’ /-]{0,30}:(?:\s.*)?")
#: A pasted byline: names, commas, "and", pseudonyms in brackets; no sentence.
_NAMES_LINE = re.compile(r"[^\s.!?…:;\"“”]{1,60}(?:,?\s+[^\s.!?…:;\"“”]{1,60}){0,9}")


@dataclass(frozen=True, slots=True)
class _Line:
    """One classified line: blank, prose text, or matched by a rule."""

    kind: int  # TEXT or BLANK, or _RULE for a rule match
    rule: StructureRule | None = None
    chapter_title: str | None = None
    bare_chapter: bool = False  # chapter line without its own title part


_RULE = -1
_BLANK_LINE = _Line(BLANK)
_TEXT_LINE = _Line(TEXT)


@dataclass
class _Segment:
    """The stream of one chapter: its heading (if any) and its lines."""

    title: str | None
    line: int | None  # 0-based index of the heading line
    items: list[tuple[int, int]] = field(default_factory=list)
    #: The chapter's own summary, notes and end notes (AO3's "Chapter Notes" …).
    notes: dict[str, list[Paragraph]] = field(
        default_factory=lambda: {"summary": [], "notes": [], "end_notes": []})
    end_notes_at: int | None = None  # the label line of its end notes


@dataclass
class _Section:
    """An open AO3 summary/notes/end-notes section being collected."""

    target: str  # "summary" | "notes" | "end_notes"
    label_line: int
    in_preface: bool
    chapter: _Segment | None = None  # the titled chapter it belongs to; None: the story's
    label: str = ""  # the author's own label ("A/N:"), kept at the head of the note
    items: list[tuple[int, int]] = field(default_factory=list)


# ------------------------------------------------------------------- helpers


def _norm(text: str) -> str:
    """Casefolded words joined by single spaces: how titles are compared."""
    return " ".join(_NORM_WORD.findall(text.casefold()))


def _capitalise_words(text: str) -> str:
    """"twenty-one" → "Twenty-One": number words read like the rest of a heading."""
    return _LETTERS.sub(lambda m: m.group().capitalize(), text)


def _chapter_title(match: re.Match[str]) -> tuple[str, bool] | None:
    """The normalised title of a chapter line ("Chapter 3: The Gate") and whether
    the line had no title part; ``None`` when the "number" is no real numeral."""
    groups = match.groupdict()
    if groups.get("cjk"):  # 第一章 「风起」: the title as written
        return " ".join(match.group(0).split()), False
    # The keyword keeps its spelling ("Ch. 7" stays "Ch. 7"): only case and the
    # separator are normalised, so no letter is ever added to or removed from a title.
    keyword = (groups.get("kw") or groups.get("kwa") or "").capitalize()
    parts = [keyword]
    number = groups.get("num")
    if number:
        parts.append(_numeral(number))
        if parts[-1] == "":
            return None
    if groups.get("of"):
        other = _numeral(groups["of"].split(None, 1)[1])
        if not other:
            return None
        parts.append(f"of {other}")
    title = (groups.get("title") or groups.get("title2") or "").strip()
    head = " ".join(parts)
    return (f"{head}: {title}", False) if title else (head, True)


def _numeral(number: str) -> str:
    """Digits as written, Roman numerals in capitals, number words capitalised;
    empty for letters that only look like a Roman numeral ("CIVIL")."""
    if number.isdigit():
        return number
    if number.isalpha() and set(number.upper()) <= set("IVXLC"):
        upper = number.upper()
        return upper if _ROMAN.fullmatch(upper) else ""
    return _capitalise_words(number)


def _classify(stripped: str) -> _Line:
    """Classify one stripped line against the context-free rule tables."""
    if not stripped:
        return _BLANK_LINE
    ornament = ornament_kind(stripped)
    if ornament is not None:
        return _Line(_RULE, _RULES_BY_NAME[ornament])
    if len(stripped) > MAX_RULE_LINE or not (RULE_TRIGGER.match(stripped)
                                             or KUDOS_MARK in stripped):
        return _TEXT_LINE
    for rule in (*AO3_RULES, *AO3_PAGE_RULES):
        if rule.matches(stripped):
            return _Line(_RULE, rule)
    for rule in CHAPTER_RULES:
        assert rule.pattern is not None
        match = rule.pattern.fullmatch(stripped)
        if match:
            found = _chapter_title(match)
            if found is not None:
                return _Line(_RULE, rule, found[0], found[1])
    return _TEXT_LINE


def _prose_kind(line: _Line) -> int:
    """How the paragraph model sees a line: a preface-only label or an "Afterword"
    line counts as prose, as the scan keeps it in the body unless its context
    says otherwise."""
    if line.kind != _RULE:
        return line.kind
    rule = line.rule
    assert rule is not None
    return TEXT if rule.preface_only or rule.action in (Action.AFTERWORD, Action.CHROME) \
        else _RULE


def _title_shape(text: str) -> bool:
    """A short line with a letter, no opening quote and no sentence ending."""
    return (
        0 < len(text) <= MAX_TITLE
        and len(text.split()) <= MAX_TITLE_WORDS
        and text[0] not in QUOTE_CHARS
        and any(c.isalpha() for c in text)
        and not ends_sentence(text)
    )


def _heading_number(match: re.Match[str]) -> int | None:
    """The number of a numbered heading (1, or 3 for "III"), ``None`` for a shape
    without one."""
    number = match.groupdict().get("num")
    if number is None:
        return None
    if number.isdigit():
        return int(number)
    if not _ROMAN.fullmatch(number):
        return -1
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for k, char in enumerate(number):
        value = values[char]
        total += -value if k + 1 < len(number) and values[number[k + 1]] > value else value
    return total


def _kept_label(text: str) -> str:
    """An author's label kept at the head of their note: "A/N" → "A/N:"."""
    return text if text.endswith(":") else f"{text}:"


#: What parts a label's words: spaces, dashes (em, en, doubled hyphens) and a
#: hyphen that is not inside a word.
_LABEL_WORD_BREAKS = re.compile(r"(?:\s|[—–]|--|(?<!\w)-|-(?!\w))+")


def _is_label(text: str) -> bool:
    """A POV or time-skip label: 1–3 words, capitalised, no sentence punctuation,
    no quotes (apostrophes inside words are fine: "Iruka's POV").

    A dash parts words as a space does, spaced or not, ASCII or typeset: the
    typography stage closes ``Kakashi -- really`` up into ``Kakashi—really``, and
    a label must read the same before and after it (a fic run through fanbind
    twice keeps its paragraphs)."""
    # A dash at either end ("Cat —", "1-") leaves an empty piece: not a word.
    words = [word for word in _LABEL_WORD_BREAKS.split(text.strip()) if word]
    if not 1 <= len(words) <= MAX_LABEL_WORDS or len(text) > MAX_LABEL:
        return False
    for k, char in enumerate(text):
        if char in SENTENCE_PUNCTUATION or char in BRACKETS:
            return False
        if char in QUOTE_CHARS:
            inside = 0 < k < len(text) - 1 and text[k - 1].isalpha() and text[k + 1].isalpha()
            if not (char in "'’" and inside):
                return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    folded = [w.casefold() for w in words]
    if len(words) == 1:
        return folded[0] not in NOT_LABEL_WORDS
    if folded[-1] == "pov" or any(w in LABEL_TIME_WORDS for w in folded):
        return True
    return all(w[0].isupper() or w[0].isdigit() or w.casefold() in LABEL_SMALL_WORDS
               for w in words[1:])


def _caps_subtitle(text: str) -> bool:
    """An all-capitals line under a bare "CHAPTER I" is that chapter's title
    (Project Gutenberg style)."""
    return (
        0 < len(text) <= 60
        and len(text.split()) <= 8
        and text.upper() == text
        and any(c.isalpha() for c in text)
        and text[0] not in QUOTE_CHARS
        and text.rstrip()[-1] not in ",;!?"
    )


# -------------------------------------------------------------------- parser


def parse_story(text: str, *, file: str, metadata_title: str | None = None) -> ParsedStory:
    """Find the title, chapters, paragraphs, scene breaks and emphasis of a story.

    ``file`` is used for origins and diagnostics only. ``metadata_title`` (from
    metadata.yaml) decides doubtful title lines: a first line equal to it is the
    title and is dropped from the body; a first line that merely looks like a title
    but differs from it stays in the body.
    """
    return _Parser(text, file, metadata_title).run()


class _Parser:
    """One parse of one story; see the module docstring for the passes."""

    def __init__(self, text: str, file: str, metadata_title: str | None) -> None:
        self.file = file
        self.metadata_title = metadata_title
        self.lines = text.split("\n")
        self.stripped = [line.strip() for line in self.lines]
        self.lo = 0
        self.hi = len(self.lines)
        self.classes: list[_Line] = []
        self.diagnostics = Diagnostics()
        self.dropped: list[DroppedLine] = []
        self.title: str | None = None
        self.title_line: int | None = None
        self.sections: dict[str, list[str]] = {"summary": [], "notes": [], "end_notes": []}
        self.found: list[FoundField] = []
        self.paste = False  # a whole AO3 page pasted: its header, chrome and all

    # ------------------------------------------------------------------ passes

    def run(self) -> ParsedStory:
        self._strip_gutenberg()
        self.classes = [_classify(self.stripped[i]) if self.lo <= i < self.hi else _BLANK_LINE
                        for i in range(len(self.lines))]
        self._find_paste()
        self.paragraphs = Paragraphs(self.lines, self.stripped, self.lo, self.hi,
                                     file=self.file, diagnostics=self.diagnostics)
        body_start = self._preface()
        self._pattern_headings(body_start)
        self.paragraphs.detect(body_start, [_prose_kind(line) for line in self.classes])
        segments = self._scan(body_start)
        chapters = self._chapters(segments)
        rejoined = self.paragraphs.dehyphenated
        if rejoined:
            self._emit("FB204", None, f"rejoined {rejoined} word(s) hyphenated across a line break")
        self.dropped.sort(key=lambda d: d.line)
        return ParsedStory(
            title=self.title,
            title_line=self.title_line,
            chapters=chapters,
            summary=tuple(self.sections["summary"]),
            notes=tuple(self.sections["notes"]),
            end_notes=tuple(self.sections["end_notes"]),
            paragraph_model=self.paragraphs.model,
            dropped=tuple(self.dropped),
            diagnostics=tuple(self.diagnostics),
            found=tuple(self.found),
        )

    def _emit(self, code: str, index: int | None, message: str) -> None:
        self.diagnostics.report(code, self.file, None if index is None else index + 1, message)

    def _drop(self, index: int, reason: str, *, report: bool = True) -> None:
        text = self.stripped[index]
        if not text:
            return
        self.dropped.append(DroppedLine(index + 1, text, reason))
        if report:
            self._emit("FB210", index, f"dropped export line ({reason}): {text[:60]}")

    # -------------------------------------------------------------- gutenberg

    def _strip_gutenberg(self) -> None:
        """Drop everything up to the START marker and from the footer on."""
        start = end = None
        for i, text in enumerate(self.stripped):
            if start is None and text[:1] == "*" and _GUTENBERG_START.matches(text):
                start = i
            elif text and text[0] in "*Ee" and _GUTENBERG_END.matches(text):
                end = i
                break
        if start is None and end is None:
            return
        removed = 0
        if start is not None:
            for i in range(start + 1):
                self._drop(i, "gutenberg-header", report=False)
            removed += start + 1
            self.lo = start + 1
        if end is not None:
            for i in range(end, len(self.lines)):
                self._drop(i, "gutenberg-footer", report=False)
            # The "line" after a final newline is no line of the file.
            removed += len(self.lines) - end - (self.lines[-1] == "")
            self.hi = end
        removed += self._strip_credits()
        self._emit(
            "FB211", start if start is not None else end,
            f"dropped {removed} line(s) of Project Gutenberg boilerplate",
        )

    def _strip_credits(self) -> int:
        """Drop a "Produced by …" paragraph right after the header."""
        i = self.lo
        while i < self.hi and not self.stripped[i]:
            i += 1
        if i >= self.hi or not _GUTENBERG_CREDITS.matches(self.stripped[i]):
            return 0
        count = 0
        while i < self.hi and self.stripped[i]:
            self._drop(i, "gutenberg-credits", report=False)
            count += 1
            i += 1
        # The credits are dropped lines now: skip them, keep any blank lines after.
        self.lo = i
        return count

    # ------------------------------------------------------------ whole pages

    def _find_paste(self) -> None:
        """A whole AO3 work page pasted as text: its chrome, then the work header.

        Only then are chrome lines ("Actions", "Kudos ♥", "← Previous Chapter") the
        page's: those above the header are dropped by the preface, those after the
        last line of text here, each run with one FB210. Anywhere else they are text.
        """
        i = self.lo
        while i < self.hi:
            if (self.classes[i].kind == BLANK or self._action(i) is Action.CHROME
                    or self._posted(i)):
                i += 1
            elif self.classes[i].kind == TEXT and self._posted(self._next_line(i)):
                i += 1  # the download's message: the title, then "Posted originally …"
            else:
                break
        fields = sum(1 for k in range(i, min(i + 60, self.hi)) if self._action(k) is Action.HEADER)
        if i < self.hi and self._action(i) is Action.HEADER and (fields >= 2 or i > self.lo):
            # One "Rating: 5/5" line alone at the top is no page; chrome or a second
            # field make it one.
            self.paste = True
            self._drop_chrome(range(self.lo, i))
            end = self.hi
            while end > i and (self.classes[end - 1].kind == BLANK
                               or self._action(end - 1) is Action.CHROME):
                end -= 1
            self._drop_chrome(range(end, self.hi))
            self.hi = end
            self.lo = i
        for k in range(self.lo, self.hi):  # chrome anywhere else is words
            if self._action(k) is Action.CHROME:
                self.classes[k] = _TEXT_LINE

    def _posted(self, i: int) -> bool:
        """Line ``i`` is AO3's "Posted originally on the Archive of Our Own at …"."""
        rule = self.classes[i].rule if i < self.hi else None
        return rule is not None and rule.name == "ao3-posted-originally"

    def _next_line(self, i: int) -> int:
        """The first non-blank line after ``i`` (``self.hi`` if none)."""
        i += 1
        while i < self.hi and self.classes[i].kind == BLANK:
            i += 1
        return i

    def _source(self, i: int) -> None:
        """The work's address from AO3's "Posted originally … at URL." line."""
        match = _WORK_URL.search(self.stripped[i])
        if match:
            self.found.append(("source", match.group().rstrip("."), i + 1))

    def _drop_chrome(self, indexes: range | list[int]) -> None:
        lines = [i for i in indexes if self.stripped[i]]
        for i in lines:
            rule = self.classes[i].rule
            if self._posted(i):
                self._source(i)
            # A text line here is the download's message repeating the title.
            self._drop(i, rule.name if rule is not None else "ao3-repeated-title", report=False)
        if lines:
            self._emit("FB210", lines[0], f"dropped {len(lines)} line(s) of AO3's page "
                       f"(buttons, landmarks, kudos) from a pasted page: {self.stripped[lines[0]]}"
                       + (f" … {self.stripped[lines[-1]]}" if len(lines) > 1 else ""))

    # ---------------------------------------------------------------- preface

    def _action(self, index: int) -> Action | None:
        rule = self.classes[index].rule
        return rule.action if rule is not None else None

    def _preface(self) -> int:
        """Consume the title, AO3 banner, work header, repeated title and byline.

        Returns the index of the first line the main scan should look at.
        """
        i = self.lo
        title_tried = False
        after_title = False
        while i < self.hi:
            line = self.classes[i]
            if line.kind == BLANK:
                i += 1
                continue
            rule = line.rule
            action = rule.action if rule is not None else None
            if rule is not None and rule.name == "ao3-posted-originally":
                self._drop(i, rule.name)
                self._source(i)
                i += 1
                continue
            if action is Action.HEADER:
                i = self._header_block(i)
                continue
            if not title_tried and line.kind == TEXT:
                title_tried = True
                if self._try_title(i):
                    i += 1
                    after_title = True
                    if self.paste:
                        i = self._paste_byline(i)
                    continue
                break
            if (self.title is not None and line.kind == TEXT
                    and len(self.stripped[i]) <= MAX_TITLE
                    and _norm(self.stripped[i]) == _norm(self.title)):
                self._drop(i, "ao3-repeated-title")
                after_title = True
                i += 1
                continue
            if after_title and rule is not None and rule.action is Action.ORNAMENT:
                # An ornament between the title and the text opens no scene: drop it
                # here, so what follows is judged as if it came straight after the title.
                self._drop(i, rule.name, report=False)
                self._emit("FB222", i, "scene break at the start of a chapter dropped")
                i += 1
                continue
            if after_title and rule is not None and rule.action is Action.BYLINE:
                self._drop(i, rule.name)
                self.found.append(("authors", split_names(self.stripped[i]), i + 1))
                after_title = False
                i += 1
                continue
            break
        if self.title is None and self.metadata_title is None:
            self._emit("FB201", None, "no title found: the story will be called 'Untitled'")
        return i

    def _header_block(self, i: int) -> int:
        """Drop an AO3 work-header block starting at field line ``i``, keeping what it
        states as :attr:`found` fields; returns the first line after it.

        A field's value is on its line ("Rating: Mature", indented continuations
        allowed) or, when the label stands alone, on the lines under it, one tag a
        line or several split at commas (a page copied from a browser). The block
        ends at the first line that is neither: a "Label:" line AO3 does not have
        stays story text, with an FB213 note.
        """
        stats: list[str] = []
        stats_line: int | None = None
        while i < self.hi:
            if self._action(i) is Action.HEADER:
                label, _, inline = self.stripped[i].partition(":")
                label = " ".join(label.split()).casefold()
                values = [inline.strip()] if inline.strip() else []
                inline_value = bool(values)
                field_line = i
                self._drop(i, "ao3-work-header")
                i += 1
                taken = 0
                while i < self.hi and taken < MAX_HEADER_VALUE_LINES:
                    if self.classes[i].kind == BLANK or self._action(i) is Action.HEADER:
                        break
                    if inline_value and not self.lines[i][:1].isspace():
                        break  # value given inline: only indented continuations follow
                    values.append(self.stripped[i])
                    self._drop(i, "ao3-work-header")
                    i += 1
                    taken += 1
                if label in _STATS_LABELS or label == "stats":
                    stats_line = field_line + 1 if stats_line is None else stats_line
                    stats.append(f"{label.capitalize()}: " if label != "stats" else "")
                    stats.append(" ".join(values) + " ")
                else:
                    tags = tuple(tag.strip() for value in values for tag in value.split(",")
                                 if tag.strip())
                    self.found += tag_fields(label, tags, " ".join(values), field_line + 1)
                continue
            if self.classes[i].kind == BLANK:
                j = i
                while j < self.hi and self.classes[j].kind == BLANK:
                    j += 1
                if j < self.hi and self._action(j) is Action.HEADER:
                    i = j
                    continue
            break
        if stats:
            self.found += tag_fields("stats", (), "".join(stats), stats_line)
        if (self.paste and i < self.hi and self.classes[i].kind == TEXT
                and _LABEL_LINE.fullmatch(self.stripped[i])):
            self._emit("FB213", i, "not one of AO3's header fields, kept as story text: "
                       f"{self.stripped[i][:60]}")
        return i

    def _paste_byline(self, i: int) -> int:
        """The author line under a pasted page's title: AO3's page prints the names
        alone ("Wren Alder, Fen Marsh"), no "by". Taken only when a label AO3 sets
        under the byline ("Summary:", "Work Text:", a chapter heading) follows it."""
        j = i
        while j < self.hi and self.classes[j].kind == BLANK:
            j += 1
        if j >= self.hi or self.classes[j].kind != TEXT or not _NAMES_LINE.fullmatch(
                self.stripped[j]):
            return i
        k = self._next_line(j)
        gift = k < self.hi and _GIFT_LINE.fullmatch(self.stripped[k]) is not None
        after = self._next_line(k) if gift else k
        if after < self.hi and self._action(after) in _UNDER_BYLINE:
            self._drop(j, "ao3-byline")
            self.found.append(("authors", split_names(self.stripped[j]), j + 1))
            if gift:  # a gift work's "for Name" line: the archive's, reported
                self._drop(k, "ao3-recipients")
                return k + 1
            return j + 1
        return i

    def _try_title(self, i: int) -> bool:
        """Take line ``i`` as the title if it is one; see :data:`TITLE_RULE`."""
        text = self.stripped[i]
        if len(text) > 3 * MAX_TITLE:
            return False
        shaped = _title_shape(text)
        nxt = i + 1
        set_off = (
            nxt >= self.hi
            or self.classes[nxt].kind == BLANK
            or self._action(nxt) in (
                Action.DROP, Action.HEADER, Action.BYLINE, Action.SUMMARY, Action.NOTES,
                Action.BODY_START, Action.SEE_END, Action.CHAPTER, Action.SUMMARY_INLINE,
                Action.NOTES_INLINE,
            )
        )
        if self.paste:
            # AO3's page sets the title right under its header; metadata.yaml's own
            # title wins later, and FB242 names this one as set aside. A label line
            # AO3 does not have (FB213) is no title.
            is_title = not _LABEL_LINE.fullmatch(text)
        elif self.metadata_title is not None:
            meta = _norm(self.metadata_title)
            own = _norm(text)
            is_title = bool(meta) and (own == meta or (shaped and own.startswith(meta + " ")))
            if not is_title and shaped and set_off:
                self._emit("FB202", i, "the first line looks like a title but differs from "
                           f"the metadata title {self.metadata_title!r}: kept in the story")
        else:
            is_title = shaped and set_off
        if is_title:
            self.title = plain_text(parse_inlines(text))
            self.title_line = i + 1
        return is_title

    # -------------------------------------------------- headings without keyword

    def _pattern_headings(self, start: int) -> None:
        """Lines that are chapter headings only as a repeating pattern; see
        :data:`~fanbind.text.structure.rules.HEADING_PATTERN_RULES` for the rule."""
        if self._contents_headings(start):
            return
        for rule in _HEADING_SHAPES:
            assert rule.pattern is not None
            found: list[tuple[int, re.Match[str]]] = []
            for i in range(start, self.hi):
                if (self.classes[i].kind == TEXT and len(self.stripped[i]) <= MAX_RULE_LINE
                        and self._alone(i, start)):
                    match = rule.pattern.fullmatch(self.stripped[i])
                    if match:
                        found.append((i, match))
            if len(found) < 2 or not self._spaced([i for i, _ in found], start,
                                                  _HEADING_GAP.get(rule.name, 1)):
                continue
            numbers = [_heading_number(match) for _, match in found]
            if numbers[0] is not None and numbers != list(range(1, len(found) + 1)):
                continue
            for i, _ in found:
                title = self.stripped[i].rstrip(".") if rule.name == "heading-roman" \
                    else self.stripped[i]
                self.classes[i] = _Line(_RULE, rule, title, False)
            self._emit("FB231", found[0][0], f"{len(found)} lines taken as chapter headings "
                       f"by their repeating pattern ({rule.name}): "
                       + ", ".join(repr(self.stripped[i]) for i, _ in found[:3])
                       + (" …" if len(found) > 3 else ""))
            return

    def _alone(self, i: int, start: int) -> bool:
        """A blank line (or the start of the text) above line ``i`` and below it."""
        above = i == start or self.classes[i - 1].kind == BLANK
        return above and (i + 1 >= self.hi or self.classes[i + 1].kind == BLANK)

    def _spaced(self, heads: list[int], start: int, gap: int) -> bool:
        """No story text before the first heading (notes and explicit headings may
        come first), and ``gap`` paragraphs or more after each."""
        opened = False
        for k in range(start, heads[0]):
            line = self.classes[k]
            if line.rule is not None and line.rule.action in _OPENERS:
                opened = True
            elif line.kind == TEXT and not opened:
                return False
        for head, end in zip(heads, [*heads[1:], self.hi], strict=True):
            paragraphs = sum(1 for k in range(head + 1, end) if self.classes[k].kind == TEXT
                             and self.classes[k - 1].kind != TEXT)
            if paragraphs < gap:
                return False
        return True

    def _contents_headings(self, start: int) -> bool:
        """The file's own contents at the top of its text, and its titles later, alone."""
        i = start
        while i < self.hi and self.classes[i].kind == BLANK:
            i += 1
        first = i
        if i < self.hi and _norm(self.stripped[i]) in _CONTENTS_WORDS:
            i += 1
            while i < self.hi and self.classes[i].kind == BLANK:
                i += 1
        entries: list[int] = []
        while i < self.hi and self.classes[i].kind == TEXT and _title_shape(self.stripped[i]):
            entries.append(i)
            i += 1
        if len(entries) < 2 or (i < self.hi and self.classes[i].kind != BLANK):
            return False
        heads: list[int] = []
        k = i
        for entry in entries:
            want = _norm(self.stripped[entry])
            while k < self.hi and not (self.classes[k].kind == TEXT
                                       and len(self.stripped[k]) <= MAX_TITLE
                                       and self._alone(k, start)
                                       and _norm(self.stripped[k]) == want):
                k += 1
            if k >= self.hi:
                return False
            heads.append(k)
            k += 1
        if not self._spaced(heads, i, 1):
            return False
        listed = _RULES_BY_NAME["contents-list"]
        for k in range(first, i):
            if self.classes[k].kind != BLANK:
                self.classes[k] = _Line(_RULE, listed)
        rule = _RULES_BY_NAME["heading-contents"]
        for head in heads:
            self.classes[head] = _Line(_RULE, rule, self.stripped[head], False)
        self._emit("FB231", heads[0], f"{len(heads)} lines taken as chapter headings: the "
                   f"file's own contents (line {first + 1}, dropped) lists them")
        return True

    # ------------------------------------------------------------------- scan

    def _effective(self, index: int, preface: bool, pre_text: bool) -> StructureRule | None:
        """The rule that applies to line ``index`` here, or ``None`` if it is text.

        ``preface``: nothing but front matter so far in the file; ``pre_text``: the
        current chapter's text has not begun ("Summary: x" counts only then).
        """
        line = self.classes[index]
        rule = line.rule
        if rule is None:
            return None
        if rule.action in (Action.HEADER, Action.BYLINE, Action.CHROME):
            return None  # only meaningful in the preface (and a paste's end), already consumed
        if rule.preface_only and not (pre_text if rule.action in _INLINE else preface):
            return None
        if rule.action is Action.AFTERWORD:
            j = index + 1
            while j < self.hi and self.classes[j].kind == BLANK:
                j += 1
            if j >= self.hi or self._action(j) not in (Action.END_NOTES, Action.NOTES):
                return None
        return rule

    def _scan(self, start: int) -> list[_Segment]:
        """Split the body into chapter segments, moving AO3 sections out."""
        segments = [_Segment(None, None)]
        section: _Section | None = None
        pre_text = True  # in the current chapter, the story text has not begun
        seen_body = seen_chapter = False
        i = start
        while i < self.hi:
            preface = not seen_body and not seen_chapter
            rule = self._effective(i, preface, pre_text)
            line = self.classes[i]
            if section is not None:
                if rule is not None and rule.action is not Action.ORNAMENT:
                    restart = self._close_section(section, rule)
                    section = None
                    if restart is not None:
                        i = restart
                        continue
                else:
                    if rule is not None:  # an ornament inside notes
                        section.items.append((ORNAMENT, i))
                    else:
                        section.items.append((BLANK if line.kind == BLANK else TEXT, i))
                    i += 1
                    continue
            items = segments[-1].items
            if rule is None:
                if line.kind == BLANK:
                    items.append((BLANK, i))
                else:  # prose, or a rule line that means nothing here
                    items.append((TEXT, i))
                    pre_text = False
                    seen_body = True
            elif rule.action is Action.ORNAMENT:
                self._drop(i, "scene-break", report=False)
                items.append((ORNAMENT, i))
            elif rule.action is Action.CHAPTER:
                title = line.chapter_title
                if line.bare_chapter:
                    subtitle = self._subtitle(i)
                    if subtitle is not None:
                        title = f"{title}: {self.stripped[subtitle].rstrip('.')}"
                        segments.append(_Segment(title, i))
                        i = subtitle + 1
                        pre_text, seen_chapter = True, True
                        continue
                segments.append(_Segment(title, i))
                pre_text, seen_chapter = True, True
            elif rule.action in _INLINE:
                self._inline_note(i, rule, pre_text, self._chapter_of(segments[-1], i, rule))
                items.append((BOUNDARY, i))
            elif rule.action in (Action.SUMMARY, Action.NOTES, Action.END_NOTES):
                if not rule.keep_label:  # an author's label is kept with the note
                    self._drop(i, rule.name)
                if rule.action is Action.SUMMARY:
                    target = "summary"
                elif rule.action is Action.NOTES and pre_text:
                    target = "notes"
                else:
                    target = "end_notes"
                chapter = self._chapter_of(segments[-1], i, rule)
                if chapter is not None and target == "end_notes":
                    chapter.end_notes_at = i
                section = _Section(target, i, preface, chapter,
                                   _kept_label(self.stripped[i]) if rule.keep_label else "")
            else:  # body start, see-end, posted banner, comment plea, afterword
                self._drop(i, rule.name)
                items.append((BOUNDARY, i))
                if rule.action is Action.BODY_START:
                    pre_text = False
            i += 1
        if section is not None:
            restart = self._close_section(section, None)
            if restart is not None:
                return self._continue_scan(segments, restart)
        return segments

    def _chapter_of(self, segment: _Segment, index: int, rule: StructureRule) -> _Segment | None:
        """The chapter a notes section at line ``index`` belongs to, or ``None`` for the story's.

        Notes under a chapter heading are that chapter's (AO3's "Chapter Summary",
        "Chapter Notes", "Chapter End Notes", and on the page a chapter's "Summary:"
        and "Notes:"); a story without chapter headings keeps them in its preface and
        end notes. After a chapter's text, the download's "End Notes" (no "Chapter")
        and a second notes section (the page's work notes after the last chapter's
        own) are the work's.
        """
        if segment.title is None:
            return None
        if rule.action is Action.END_NOTES and not self.stripped[index].casefold().startswith(
                "chapter"):
            return None
        at = segment.end_notes_at
        if at is not None and not any(kind == TEXT and k > at for kind, k in segment.items):
            return None  # the chapter's end notes came just before: these are the work's
        return segment

    def _continue_scan(self, segments: list[_Segment], restart: int) -> list[_Segment]:
        """After a notes section with no clear end, the rest of the file is story."""
        rest = self._scan(restart)
        segments[-1].items.extend(rest[0].items)
        segments.extend(rest[1:])
        return segments

    def _subtitle(self, index: int) -> int | None:
        """The all-capitals title line under a bare chapter line, if there is one."""
        j = index + 1
        while j < self.hi and j - index <= 3 and self.classes[j].kind == BLANK:
            j += 1
        if j >= self.hi or self.classes[j].kind != TEXT or not _caps_subtitle(self.stripped[j]):
            return None
        if j + 1 < self.hi and self.classes[j + 1].kind == TEXT:
            return None
        return j

    def _close_section(self, section: _Section, terminator: StructureRule | None) -> int | None:
        """Store a section's paragraphs. Returns where to resume scanning when only
        its first paragraph was notes (FB212), else ``None``."""
        # Only something that comes *before* a story's text proves that the notes
        # ended there: "Chapter Text", the see-the-end pointer, another front label,
        # or the first chapter heading after a preface. End notes, "Afterword" or the
        # comment banner come after the text, so notes running into them swallowed it.
        explicit = terminator is not None and (
            terminator.action in _FRONT_ENDS
            or (terminator.action is Action.NOTES_INLINE and terminator.preface_only)
            or (terminator.action is Action.CHAPTER and section.in_preface)
        )
        units = self.paragraphs.group(section.items, breaks=False)
        paras = [u for u in units if isinstance(u, Para)]
        taken = paras if section.target == "end_notes" or explicit or len(paras) <= 1 \
            else paras[:1]
        resume = None if taken is paras else paras[0].lines[-1] + 1
        for kind, index in section.items:
            if kind == ORNAMENT and (resume is None or index < resume):
                self._drop(index, "scene-break", report=False)
        if section.label and not taken:  # "A/N:" with nothing under it: say so
            self._drop(section.label_line, "author-note")
        for k, para in enumerate(taken):
            joined = self.paragraphs.join(para.lines)
            if k == 0 and section.label:
                joined = f"{section.label} {joined}"
            if section.chapter is not None:
                section.chapter.notes[section.target].append(Paragraph(
                    parse_inlines(joined), Origin(self.file, para.lines[0] + 1)))
            else:
                self.sections[section.target].append(plain_text(parse_inlines(joined)))
        if resume is None:
            return None
        label = self.stripped[section.label_line]
        self._emit(
            "FB212", section.label_line,
            f"'{label}' section has no clear end: took its first paragraph as "
            f"{section.target.replace('_', ' ')} and the rest as story",
        )
        return resume

    def _inline_note(self, index: int, rule: StructureRule, pre_text: bool,
                     chapter: _Segment | None) -> None:
        """"Summary: text" / "A/N: text": move the text; drop an archive's label
        ("Summary:", shown by the book's own heading), keep the author's ("A/N:")."""
        assert rule.pattern is not None
        text = self.stripped[index]
        match = rule.pattern.fullmatch(text)
        assert match is not None
        label = text[: match.start("rest")].rstrip()
        rest = match.group("rest")
        if rule.keep_label:
            rest = f"{label} {rest}"
        else:
            self.dropped.append(DroppedLine(index + 1, label, rule.name))
            self._emit("FB210", index, f"dropped export line ({rule.name}): {label}")
        if rule.action is Action.SUMMARY_INLINE:
            target = "summary"
        else:
            target = "notes" if pre_text else "end_notes"
        inlines = parse_inlines(rest)
        if chapter is not None:
            chapter.notes[target].append(Paragraph(inlines, Origin(self.file, index + 1)))
        else:
            self.sections[target].append(plain_text(inlines))

    def _section_text(self, para: Para) -> str:
        return plain_text(parse_inlines(self.paragraphs.join(para.lines)))

    # ---------------------------------------------------------------- chapters

    def _chapters(self, segments: list[_Segment]) -> tuple[Chapter, ...]:
        chapters: list[Chapter] = []
        for segment in segments:
            blocks = self._blocks(self.paragraphs.group(segment.items))
            if segment.title is None and not blocks:
                continue
            if segment.line is not None:
                origin = Origin(self.file, segment.line + 1)
            else:
                origin = blocks[0].origin or Origin(self.file, 1)
            notes = segment.notes
            chapters.append(Chapter(segment.title, tuple(blocks), origin,
                                    summary=tuple(notes["summary"]), notes=tuple(notes["notes"]),
                                    end_notes=tuple(notes["end_notes"])))
        if not chapters:
            chapters.append(Chapter(None, (), Origin(self.file, 1)))
        return tuple(chapters)

    def _blocks(self, units: list[Para | Break]) -> list[Block]:
        """Collapse and trim scene breaks, find label headings, parse emphasis."""
        cleaned: list[Para | Break] = []
        for unit in units:
            if isinstance(unit, Break):
                if not cleaned:
                    self._emit("FB222", unit.line, "scene break at the start of a chapter dropped")
                    continue
                if isinstance(cleaned[-1], Break):
                    self._emit("FB223", unit.line, "consecutive scene breaks collapsed into one")
                    continue
            cleaned.append(unit)
        while cleaned and isinstance(cleaned[-1], Break):
            self._emit("FB222", cleaned[-1].line, "scene break at the end of a chapter dropped")
            cleaned.pop()
        blocks: list[Block] = []
        for k, unit in enumerate(cleaned):
            if isinstance(unit, Break):
                blocks.append(SceneBreak(Origin(self.file, unit.line + 1)))
                continue
            origin = Origin(self.file, unit.lines[0] + 1)
            inlines = parse_inlines(self.paragraphs.join(unit.lines))
            if self._label_here(cleaned, k) and _is_label(plain_text(inlines)):
                self._emit("FB230", unit.lines[0], "short label line taken as a heading: "
                           f"{plain_text(inlines)!r}")
                blocks.append(Heading(inlines, origin))
            else:
                blocks.append(Paragraph(inlines, origin))
        return blocks

    @staticmethod
    def _label_here(units: list[Para | Break], k: int) -> bool:
        """Labels only open a chapter or a scene, and only before a paragraph."""
        unit = units[k]
        return (
            isinstance(unit, Para)
            and len(unit.lines) == 1
            and (k == 0 or isinstance(units[k - 1], Break))
            and k + 1 < len(units)
            and isinstance(units[k + 1], Para)
        )

