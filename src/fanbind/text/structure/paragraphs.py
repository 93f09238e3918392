"""Paragraph models: how one file separates its paragraphs, and lines grouped by it.

A file is *blank-line* (a blank line between paragraphs), *line-per-paragraph*,
*hard-wrapped* (wrapped at a column, blank lines between paragraphs) or *indented*
(wrapped, a first-line indent opens each paragraph). The model is decided once per
file (FB200); the parser then hands each chapter's stream of lines to
:meth:`Paragraphs.group` and each paragraph's lines to :meth:`Paragraphs.join`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fanbind.diagnostics import Diagnostics
from fanbind.text.structure.rules import HYPHEN_KEEP_PREFIXES, SENTENCE_PUNCTUATION

__all__ = [
    "BLANK",
    "BOUNDARY",
    "ORNAMENT",
    "PARAGRAPH_MODELS",
    "TEXT",
    "Break",
    "Para",
    "Paragraphs",
    "ends_sentence",
]

PARAGRAPH_MODELS = ("blank-line", "line-per-paragraph", "hard-wrapped", "indented")

#: A blank-line file needs this many blank lines in a row for a scene break.
SCENE_BREAK_BLANKS = 3

# Kinds of the items in a chapter's stream: (kind, 0-based line index). A line of
# prose, a blank line, a line that ends a paragraph and is gone (an export label),
# an ornament (a scene break). TEXT and BLANK also classify lines for detection.
TEXT, BLANK, BOUNDARY, ORNAMENT = range(4)

_LETTERS_TAIL = re.compile(r"([^\W\d_]+)-\Z")
_LETTERS_HEAD = re.compile(r"[^\W\d_]+")
_DOC_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph before inline parsing: the lines it is joined from."""

    lines: tuple[int, ...]  # 0-based indices


@dataclass(frozen=True, slots=True)
class Break:
    """A scene break (ornament line or blank-line run) before collapsing."""

    line: int  # 0-based index


def ends_sentence(text: str) -> bool:
    """Whether the text ends in sentence punctuation, looking through closing
    quotes and brackets (``…heat.”`` ends a sentence)."""
    end = text.rstrip("\"”’'»)]*_ ")
    return bool(end) and end[-1] in SENTENCE_PUNCTUATION


def _percentile(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


class Paragraphs:
    """The paragraph model of one file, and grouping and joining of its lines by it.

    ``lines`` are the file's raw lines (indentation counts), ``stripped`` the same
    lines stripped; ``lo``/``hi`` bound the story text (Gutenberg boilerplate
    outside). Findings go to the parser's ``diagnostics``.
    """

    def __init__(self, lines: list[str], stripped: list[str], lo: int, hi: int, *,
                 file: str, diagnostics: Diagnostics) -> None:
        self.lines = lines
        self.stripped = stripped
        self.lo = lo
        self.hi = hi
        self.file = file
        self.diagnostics = diagnostics
        self.model = "blank-line"
        self.width = 0  # wrap column of a hard-wrapped or indented file
        self.base_indent = 0
        self._doc_words: tuple[set[str], set[str]] | None = None
        self.dehyphenated = 0  # words rejoined across a line-end hyphen (FB204)

    def _emit(self, code: str, index: int | None, message: str) -> None:
        self.diagnostics.report(code, self.file, None if index is None else index + 1, message)

    # ------------------------------------------------------------------ detection

    def detect(self, start: int, kinds: Sequence[int]) -> None:
        """Decide how paragraphs are delimited in this file (FB200), from line
        lengths, blank lines between prose lines, and indentation.

        ``kinds[i]`` is TEXT for a prose line, BLANK for a blank one, anything
        else for a line the parser recognised (a label, a chapter line…).
        """
        lengths: list[int] = []
        indents: list[int] = []
        tight: list[tuple[int, int]] = []  # prose line followed directly by prose line
        pairs = blank_pairs = 0
        prev: int | None = None
        blanks = 0
        for i in range(start, self.hi):
            kind = kinds[i]
            if kind == BLANK:
                blanks += 1
                continue
            if kind != TEXT:
                prev, blanks = None, 0
                continue
            line = self.lines[i].rstrip()
            lengths.append(len(line))
            indents.append(len(line) - len(line.lstrip()))
            if prev is not None:
                pairs += 1
                if blanks:
                    blank_pairs += 1
                else:
                    tight.append((prev, i))
            prev, blanks = i, 0
        total = len(lengths)
        model = "blank-line"
        wrapped = False
        if total:
            self.base_indent = min(indents)
            indented = sum(1 for n in indents if n > self.base_indent)
            # Lines followed by a continuation line: where a wrap would have broken.
            inner_lines = [p for p, n in tight if self._indent(n) <= self.base_indent]
            inner = [len(self.lines[p].rstrip()) for p in inner_lines]
            if len(inner) >= 3:
                width = _percentile(inner, 0.95)
                if 30 <= width <= 100:
                    # Wrapped lines end near one column, mostly mid-sentence, and
                    # hardly any line runs past that column.
                    near = sum(1 for n in inner if n >= width - 20) / len(inner)
                    ended = sum(1 for p in inner_lines if ends_sentence(self.stripped[p]))
                    overlong = sum(1 for n in lengths if n > width + 10)
                    wrapped = (near >= 0.75 and ended < len(inner) / 2
                               and overlong <= max(1, total // 20))
                    self.width = width
            if wrapped:
                if indented >= 2 and indented >= total / 20 and 2 * blank_pairs < indented:
                    model = "indented"
                elif blank_pairs and 20 * blank_pairs >= len(tight):
                    # Blank lines separate paragraphs (of 20 lines at most on average),
                    # not just the odd scene in a file of unseparated lines.
                    model = "hard-wrapped"
                else:
                    model = "line-per-paragraph"
            elif pairs and blank_pairs / pairs < 0.5:
                model = "line-per-paragraph"
        self.model = model
        self._emit("FB200", None, f"paragraph model: {model}")
        unwrapped_here = model in ("hard-wrapped", "indented")
        if not unwrapped_here:
            first, count = self._wrapped_groups(tight, wrapped)
            if count:
                self._emit(
                    "FB203", first,
                    f"looks hard-wrapped but was not unwrapped ({count} group(s) of lines); "
                    "each line was kept as its own paragraph",
                )

    def _indent(self, index: int) -> int:
        line = self.lines[index]
        return len(line) - len(line.lstrip())

    def _wrapped_groups(
        self, tight: list[tuple[int, int]], wrapped: bool
    ) -> tuple[int | None, int]:
        """Runs of 3+ adjacent lines that look wrapped at a fixed width: lines of
        40–100 characters, within 20 of each other, at least one ending mid-sentence."""
        if wrapped and tight:
            return tight[0][0], 1
        count = 0
        first: int | None = None
        run: list[int] = []

        def close() -> None:
            nonlocal count, first
            if len(run) >= 3:
                inner = run[:-1]
                sizes = [len(self.stripped[k]) for k in inner]
                if (min(sizes) >= 40 and max(sizes) <= 100 and max(sizes) - min(sizes) <= 20
                        and any(not ends_sentence(self.stripped[k]) for k in inner)):
                    count += 1
                    if first is None:
                        first = run[0]

        for prev, nxt in tight:
            if run and run[-1] == prev:
                run.append(nxt)
            else:
                close()
                run = [prev, nxt]
        close()
        return first, count

    # ------------------------------------------------------------------- grouping

    def group(self, items: list[tuple[int, int]], *, breaks: bool = True) -> list[Para | Break]:
        """Group a stream of lines into paragraphs and scene breaks by the model."""
        units: list[Para | Break] = []
        current: list[int] = []
        blanks = 0
        blank_start = -1
        after_text = False  # a text line came earlier with no boundary since

        def flush() -> None:
            if current:
                units.append(Para(tuple(current)))
                current.clear()

        for kind, index in items:
            if kind == BLANK:
                if not blanks:
                    blank_start = index
                blanks += 1
                continue
            if kind == TEXT:
                if blanks:
                    flush()
                    if breaks and after_text:
                        self._blank_run(units, blank_start, blanks)
                    blanks = 0
                    current.append(index)
                elif current and self._continues(current[-1], index):
                    current.append(index)
                else:
                    flush()
                    current.append(index)
                after_text = True
                continue
            flush()
            blanks = 0
            after_text = False
            if kind == ORNAMENT and breaks:
                units.append(Break(index))
        flush()
        return units

    def _blank_run(self, units: list[Para | Break], start: int, count: int) -> None:
        """A run of blank lines between two text lines: a scene break or not."""
        if self.model in ("line-per-paragraph", "indented"):
            units.append(Break(start))
            self._emit("FB221", start, f"{count} blank line(s) in a file without blank lines "
                       "between paragraphs: taken as a scene break")
        elif count >= SCENE_BREAK_BLANKS:
            units.append(Break(start))
        elif count == 2:
            self._emit("FB220", start, "two blank lines: a scene break?")

    def _continues(self, prev: int, index: int) -> bool:
        """Whether line ``index`` continues the paragraph whose last line is ``prev``."""
        if self.model not in ("hard-wrapped", "indented"):
            return False
        if len(self.lines[prev].rstrip()) < max(int(self.width * 0.6), self.width - 25):
            return False  # a short line ends its paragraph (or is verse)
        indent = self._indent(index)
        if self.model == "indented":
            return indent <= self.base_indent
        return indent <= self._indent(prev)

    # -------------------------------------------------------------------- joining

    def join(self, indices: tuple[int, ...]) -> str:
        """Unwrap a paragraph's lines: join with a space, or without one after a
        line-end hyphen or dash (see :meth:`_hyphen_join`)."""
        text = self.stripped[indices[0]]
        if len(indices) == 1:
            return text
        parts = [text]
        for index in indices[1:]:
            nxt = self.stripped[index]
            prev = parts[-1]
            if prev.endswith(("-", "—", "–")) and len(prev) > 1 and not prev[-2].isspace():
                parts[-1] = self._hyphen_join(prev, nxt)
                parts.append(nxt)
            else:
                parts.append(" ")
                parts.append(nxt)
        return "".join(parts)

    def _hyphen_join(self, prev: str, nxt: str) -> str:
        """Drop a line-end hyphen only when the split is certain, else keep it.

        Certain means: a lowercase letter before the hyphen, a lowercase letter
        starting the next line, the joined word appears unhyphenated elsewhere in
        this file, the hyphenated form never appears inside a line, and the first
        part is not a compound-forming prefix (``self-``, ``well-``, ``half-``…).
        Otherwise the hyphen stays and the lines join without a space, so a real
        compound (``half-\\nbrother``) survives and no word is ever split in two.
        """
        if not prev.endswith("-") or prev.endswith("--"):
            return prev
        head = _LETTERS_TAIL.search(prev[-64:])
        tail = _LETTERS_HEAD.match(nxt[:64])
        if head is None or tail is None:
            return prev
        first, second = head.group(1), tail.group()
        if not (first[-1].islower() and second[0].islower()):
            return prev
        if first.casefold() in HYPHEN_KEEP_PREFIXES:
            return prev
        words, compounds = self._words()
        joined = (first + second).casefold()
        if joined in words and f"{first}-{second}".casefold() not in compounds:
            self.dehyphenated += 1
            return prev[:-1]
        return prev

    def _words(self) -> tuple[set[str], set[str]]:
        """Words and hyphenated compounds used inside lines anywhere in the file."""
        if self._doc_words is None:
            words: set[str] = set()
            compounds: set[str] = set()
            for text in self.stripped[self.lo:self.hi]:
                for token in _DOC_WORD.findall(text.casefold()):
                    (compounds if "-" in token else words).add(token)
            self._doc_words = (words, compounds)
        return self._doc_words
