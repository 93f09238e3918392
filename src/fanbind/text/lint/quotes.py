"""Quote lint: findings about quotation marks in one story, after typesetting.

Typography curls quotes by context, but it cannot repair a quotation whose opening
or closing mark is missing in the source, and a wrong curl is easy to miss in a long
story. These checks look at the *typeset* paragraphs (where every mark has a facing)
and report, with stable codes and a hint each, in the manner of ``se lint``:

``FB301``  a paragraph opens a quotation and never closes it (or opens more than it
           closes). Speech continued into the next paragraph is correct and is not
           reported: the paragraph leaves the quotation open and the next one starts
           with an opening mark (in French and Spanish also with »).
``FB302``  a straight ``"`` or ``'`` survived typesetting: the rules could not tell
           which way it faces (usually a quote with spaces on both sides).
``FB303``  the source mixes straight and curly quotes (reported once per file): the
           story was probably pasted together from different editors, and the
           straight parts deserve a proofread.
``FB304``  a closing mark with no opening mark before it in the paragraph, as in
           ``You need rest,” Minato said.``: the opening quote was lost.

Every language pairs its own marks (the locale's ``pairs``: German „…“ and »…«, French
« … », Swedish ”…”, Japanese 「…」…), nesting in any order. Closing single quotes share
their glyph with the apostrophe in English and several other languages, so a missing
opening ‘ cannot be told from an apostrophe; such pairs are only checked for an
opening mark that is never closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fanbind.diagnostics import Diagnostic
from fanbind.text.typography.locales import Locale, locale_for

__all__ = ["lint_quotes"]

_STRAIGHT = "\"'"
_CURLY = "“”‘’„‚«»‹›「」『』"
_APOSTROPHE = "’"
_EXCERPT = 24


@dataclass(frozen=True)
class _Marks:
    """The quotation marks one language pairs up, as single characters.

    ``pairs`` come from the locale, primary first. A pair whose marks are one glyph
    (Swedish ”…”) toggles; a pair closed by the apostrophe (English ‘…’) closes only
    where the glyph cannot be an apostrophe, and a stray one is never reported; a
    pair that is *only* the apostrophe (Swedish ’…’) cannot be told apart at all and
    is not checked.
    """

    pairs: tuple[tuple[str, str], ...]
    continuation: str

    @classmethod
    def for_locale(cls, locale: Locale) -> _Marks:
        pairs = tuple(pair for pair in locale.pairs if pair != (_APOSTROPHE, _APOSTROPHE))
        return cls(pairs, locale.continuation)

    @property
    def chars(self) -> str:
        return "".join(dict.fromkeys(c for pair in self.pairs for c in pair))

    @property
    def openers(self) -> str:
        return "".join(o for o, c in self.pairs) + self.continuation


@dataclass
class _Balance:
    """How one paragraph's quotation marks pair up."""

    unclosed: int = -1  # offset of the first opening mark left open, or -1
    unclosed_pair: tuple[str, str] = ("", "")
    stray_close: int = -1  # offset of the first closing mark with no opener, or -1
    stray_pair: tuple[str, str] = ("", "")


def _excerpt(text: str, index: int) -> str:
    start, end = max(0, index - _EXCERPT), min(len(text), index + _EXCERPT + 1)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _closes_single(text: str, index: int) -> bool:
    """Whether the ’ at ``index`` can close a quotation rather than sit inside a word."""
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return not before.isspace() and not after.isalnum()


def _mark_positions(text: str, chars: str) -> list[int]:
    """Offsets of every character of ``chars`` in ``text``, in order.

    Found with ``str.find`` (C speed) rather than a Python loop over every letter:
    on prose a paragraph has a handful of marks among hundreds of characters.
    """
    positions: list[int] = []
    for mark in chars:
        index = text.find(mark)
        while index >= 0:
            positions.append(index)
            index = text.find(mark, index + 1)
    positions.sort()
    return positions


def _balance(text: str, marks: _Marks) -> _Balance:
    """Pair the marks of one paragraph with a stack (quotations nest)."""
    result = _Balance()
    stack: list[tuple[int, tuple[str, str]]] = []
    head = len(text) - len(text.lstrip())
    for index in _mark_positions(text, marks.chars):
        char = text[index]
        # A closing mark this one may close: the innermost open quotation it closes.
        depth = next(
            (d for d in range(len(stack) - 1, -1, -1) if stack[d][1][1] == char), -1
        )
        if depth >= 0 and not (char == _APOSTROPHE and not _closes_single(text, index)):
            if depth + 1 < len(stack) and result.unclosed < 0:
                # »Er rief ›Halt! und lief.«: the inner quotation was never closed.
                result.unclosed, result.unclosed_pair = stack[depth + 1]
            del stack[depth:]
            continue
        opening = next((pair for pair in marks.pairs if pair[0] == char), None)
        if opening is None and index == head and char == marks.continuation:
            # ``» suite du discours``: a French paragraph continuing a quotation.
            opening = next(pair for pair in marks.pairs if pair[1] == char)
        if opening is not None:
            stack.append((index, opening))
            continue
        closing = next(pair for pair in marks.pairs if pair[1] == char)
        if char != _APOSTROPHE and result.stray_close < 0:
            result.stray_close, result.stray_pair = index, closing
    if stack and result.unclosed < 0:
        result.unclosed, result.unclosed_pair = stack[0]
    return result


def _continues(next_text: str | None, marks: _Marks) -> bool:
    """Whether the next paragraph reopens the quotation (continued speech)."""
    if next_text is None:
        return False
    head = next_text.lstrip()[:1]
    return bool(head) and head in marks.openers


def _mixed_styles(
    file: str,
    files: Sequence[str],
    paragraphs: Sequence[tuple[str, int]],
    source_paragraphs: Sequence[str],
) -> Diagnostic | None:
    # ``c in text`` per mark is a C-level search; a loop over the text's characters
    # was one of the build's hot spots.
    straight = [i for i, text in enumerate(source_paragraphs) if any(c in text for c in _STRAIGHT)]
    curly = [i for i, text in enumerate(source_paragraphs) if any(c in text for c in _CURLY)]
    if not straight or not curly:
        return None
    # Point at the first paragraph in the rarer style: that is the one to proofread.
    first = (straight if len(straight) <= len(curly) else curly)[0]
    same = len(paragraphs) == len(source_paragraphs)
    line = paragraphs[first][1] if same else None
    return Diagnostic.create(
        "FB303",
        files[first] if same else file,
        line,
        f"mixed quote styles in the source: {len(straight)} paragraph(s) use straight "
        f"quotes or apostrophes, {len(curly)} use curly ones",
    )


def lint_quotes(
    paragraphs: Sequence[tuple[str, int]],
    *,
    file: str,
    source_paragraphs: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
    language: str = "en",
) -> list[Diagnostic]:
    """Quote findings for one story.

    ``paragraphs`` are the typeset paragraph texts with their 1-based source lines,
    in story order (order matters: continued speech is judged by the next one).
    ``source_paragraphs``, the same paragraphs before typography, enables FB303.
    ``files`` names each paragraph's file when they differ (the documents inside an
    EPUB, whose lines are their own); otherwise every finding names ``file``.
    ``language`` picks the quotation marks to pair (default English), see
    :mod:`fanbind.text.typography.locales`.
    """
    marks = _Marks.for_locale(locale_for(language))
    found: list[Diagnostic] = []
    if files is None or len(files) != len(paragraphs):
        files = [file] * len(paragraphs)
    if source_paragraphs is not None:
        mixed = _mixed_styles(file, files, paragraphs, source_paragraphs)
        if mixed is not None:
            found.append(mixed)

    for position, (text, line) in enumerate(paragraphs):
        in_file = files[position]
        next_text = paragraphs[position + 1][0] if position + 1 < len(paragraphs) else None
        balance = _balance(text, marks)

        if balance.stray_close >= 0:
            opener, closer = balance.stray_pair
            found.append(
                Diagnostic.create(
                    "FB304",
                    in_file,
                    line,
                    f"suspected missing opening quote: {closer} with no "
                    f"{opener} before it in “{_excerpt(text, balance.stray_close)}”",
                    open=opener,
                )
            )

        if balance.unclosed >= 0 and not _continues(next_text, marks):
            where, (mark, close) = balance.unclosed, balance.unclosed_pair
            found.append(
                Diagnostic.create(
                    "FB301",
                    in_file,
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
                    in_file,
                    line,
                    f"{count} straight quote(s) left undecided after typesetting, "
                    f"first in “{_excerpt(text, stray[0])}”",
                )
            )
    return found
