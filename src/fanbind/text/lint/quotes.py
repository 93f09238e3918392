"""Quote lint: findings about quotation marks in one story, after typesetting.

Typography curls quotes by context, but it cannot repair a quotation whose opening
or closing mark is missing in the source, and a wrong curl is easy to miss in a long
story. These checks look at the *typeset* paragraphs (where every mark has a facing)
and report, with stable codes and a hint each, in the manner of ``se lint``:

``FB301``  a paragraph opens a quotation and never closes it (or opens more than it
           closes). Speech continued into the next paragraph is correct English and
           is not reported: the paragraph leaves the quotation open and the next
           one starts with an opening mark.
``FB302``  a straight ``"`` or ``'`` survived typesetting: the rules could not tell
           which way it faces (usually a quote with spaces on both sides).
``FB303``  the source mixes straight and curly quotes (reported once per file): the
           story was probably pasted together from different editors, and the
           straight parts deserve a proofread.
``FB304``  a closing mark with no opening mark before it in the paragraph, as in
           ``You need rest,” Minato said.``: the opening quote was lost.

Closing single quotes share their glyph with the apostrophe in English, so a missing
opening ‘ cannot be told from an apostrophe; single quotes are only checked for an
opening mark that is never closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fanbind.diagnostics import Diagnostic
from fanbind.text.typography.locales import quote_style

__all__ = ["lint_quotes"]

_STRAIGHT = "\"'"
_CURLY = "“”‘’„‚«»‹›"
_EXCERPT = 24


@dataclass(frozen=True)
class _Marks:
    """The quotation marks one language uses, as single characters."""

    open_double: str
    close_double: str
    open_single: str
    close_single: str

    @classmethod
    def for_language(cls, language: str) -> _Marks:
        style = quote_style(language)
        return cls(
            style.open_double.strip(),
            style.close_double.strip(),
            style.open_single.strip(),
            style.close_single.strip(),
        )

    @property
    def single_is_apostrophe(self) -> bool:
        return self.close_single == "’"


@dataclass
class _Balance:
    """How one paragraph's quotation marks pair up."""

    unclosed_double: int = -1  # offset of the first opening mark left open, or -1
    unclosed_single: int = -1
    stray_close: int = -1  # offset of the first closing mark with no opener, or -1


def _excerpt(text: str, index: int) -> str:
    start, end = max(0, index - _EXCERPT), min(len(text), index + _EXCERPT + 1)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _closes_single(text: str, index: int) -> bool:
    """Whether the ’ at ``index`` can close a quotation rather than sit inside a word."""
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return not before.isspace() and not after.isalnum()


def _mark_positions(text: str, marks: _Marks) -> list[int]:
    """Offsets of every character that is one of ``marks``, in order.

    Found with ``str.find`` (C speed) rather than a Python loop over every letter:
    on prose a paragraph has a handful of marks among hundreds of characters.
    """
    positions: list[int] = []
    for mark in {marks.open_double, marks.close_double, marks.open_single, marks.close_single}:
        index = text.find(mark)
        while index >= 0:
            positions.append(index)
            index = text.find(mark, index + 1)
    positions.sort()
    return positions


def _balance(text: str, marks: _Marks) -> _Balance:
    result = _Balance()
    doubles: list[int] = []
    singles: list[int] = []
    for index in _mark_positions(text, marks):
        char = text[index]
        if char == marks.open_double and marks.open_double != marks.close_double:
            doubles.append(index)
        elif char == marks.close_double:
            if doubles:
                doubles.pop()
            elif result.stray_close < 0:
                result.stray_close = index
        elif char == marks.open_single:
            singles.append(index)
        elif (
            char == marks.close_single
            and singles
            and (not marks.single_is_apostrophe or _closes_single(text, index))
        ):
            singles.pop()
    if doubles:
        result.unclosed_double = doubles[0]
    if singles:
        result.unclosed_single = singles[0]
    return result


def _continues(next_text: str | None, marks: _Marks) -> bool:
    """Whether the next paragraph reopens the quotation (continued speech)."""
    if next_text is None:
        return False
    head = next_text.lstrip()
    return head[:1] in (marks.open_double, marks.open_single)


def _mixed_styles(
    file: str, paragraphs: Sequence[tuple[str, int]], source_paragraphs: Sequence[str]
) -> Diagnostic | None:
    # ``c in text`` per mark is a C-level search; a loop over the text's characters
    # was one of the build's hot spots.
    straight = [i for i, text in enumerate(source_paragraphs) if any(c in text for c in _STRAIGHT)]
    curly = [i for i, text in enumerate(source_paragraphs) if any(c in text for c in _CURLY)]
    if not straight or not curly:
        return None
    # Point at the first paragraph in the rarer style: that is the one to proofread.
    first = (straight if len(straight) <= len(curly) else curly)[0]
    line = paragraphs[first][1] if len(paragraphs) == len(source_paragraphs) else None
    return Diagnostic.create(
        "FB303",
        file,
        line,
        f"mixed quote styles in the source: {len(straight)} paragraph(s) use straight "
        f"quotes or apostrophes, {len(curly)} use curly ones",
    )


def lint_quotes(
    paragraphs: Sequence[tuple[str, int]],
    *,
    file: str,
    source_paragraphs: Sequence[str] | None = None,
    language: str = "en",
) -> list[Diagnostic]:
    """Quote findings for one story.

    ``paragraphs`` are the typeset paragraph texts with their 1-based source lines,
    in story order (order matters: continued speech is judged by the next one).
    ``source_paragraphs``, the same paragraphs before typography, enables FB303.
    ``language`` picks the quotation marks to pair (default English).
    """
    marks = _Marks.for_language(language)
    found: list[Diagnostic] = []
    if source_paragraphs is not None:
        mixed = _mixed_styles(file, paragraphs, source_paragraphs)
        if mixed is not None:
            found.append(mixed)

    for position, (text, line) in enumerate(paragraphs):
        next_text = paragraphs[position + 1][0] if position + 1 < len(paragraphs) else None
        balance = _balance(text, marks)

        if balance.stray_close >= 0:
            found.append(
                Diagnostic.create(
                    "FB304",
                    file,
                    line,
                    f"suspected missing opening quote: {marks.close_double} with no "
                    f"{marks.open_double} before it in “{_excerpt(text, balance.stray_close)}”",
                    open=marks.open_double,
                )
            )

        unclosed = balance.unclosed_double >= 0 or balance.unclosed_single >= 0
        if unclosed and not _continues(next_text, marks):
            if balance.unclosed_double >= 0:
                where, mark, close = balance.unclosed_double, marks.open_double, marks.close_double
            else:
                where, mark, close = balance.unclosed_single, marks.open_single, marks.close_single
            found.append(
                Diagnostic.create(
                    "FB301",
                    file,
                    line,
                    f"unbalanced quotes: {mark} is never closed in “{_excerpt(text, where)}”",
                    close=close,
                    open=mark,
                )
            )

        stray = sorted(i for c in _STRAIGHT for i in (text.find(c),) if i >= 0)
        if stray:
            count = sum(text.count(c) for c in _STRAIGHT)
            found.append(
                Diagnostic.create(
                    "FB302",
                    file,
                    line,
                    f"{count} straight quote(s) left undecided after typesetting, "
                    f"first in “{_excerpt(text, stray[0])}”",
                )
            )
    return found
