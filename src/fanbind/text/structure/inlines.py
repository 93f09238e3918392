"""Inline spans of one paragraph: ``Text`` and ``Emphasis`` from ``*x*``, ``_x_``, ``/x/``.

Runs after the structure stage has joined a paragraph's lines; the marker rules
(which characters may stand before an opener or after a closer) are data in
:mod:`fanbind.text.structure.rules`.
"""

from __future__ import annotations

import re

from fanbind.model import Emphasis, Inline, Text
from fanbind.text.structure.rules import (
    EMPHASIS_CLOSE_AFTER,
    EMPHASIS_MARKERS,
    EMPHASIS_OPEN_BEFORE,
    MAX_SLASH_SPAN,
    SLASH_CLOSE_BEFORE,
)

__all__ = ["parse_inlines"]

#: A URL runs to the next space but does not swallow punctuation or an emphasis
#: marker right after it (``*see http://x.org*``, ``(www.x.org).``).
_MARKER_OR_URL = re.compile(
    r"(?P<url>(?:(?:https?|ftp)://|www\.)\S*[^\s*_.,;:!?)\]\"'’”])|\*+|_+|/+", re.IGNORECASE
)


def parse_inlines(text: str) -> tuple[Inline, ...]:
    """Split a paragraph's text into ``Text`` and ``Emphasis`` spans.

    ``*x*``, ``**x**``, ``***x***``, ``_x_``, ``__x__`` and ``/x/`` become emphasis
    when the opening marker starts a word (space or opening punctuation before it,
    text after it) and the closing marker ends one. So markers inside words
    (``snake_case``), spaced-out arithmetic (``2 * 3``) and list bullets stay
    literal; URLs are skipped whole; slashes pair only around a few words with no
    other slash between (never ``and/or``, dates or paths). Unmatched markers stay
    as literal text. One left-to-right pass with a stack holding at most one open
    marker per kind, so the time is linear in the paragraph length.
    """
    if not text:
        return ()
    if "*" not in text and "_" not in text and "/" not in text:
        return (Text(text),)
    pairs = _pair_markers(text)
    if not pairs:
        return (Text(text),)
    pairs.sort()
    spans, _ = _build_spans(text, pairs, 0, 0, len(text))
    return tuple(spans)


def _pair_markers(text: str) -> list[tuple[int, int, int, int]]:
    """Matched marker pairs as ``(open_start, open_end, close_start, close_end)``."""
    stack: list[tuple[str, int, int]] = []
    pairs: list[tuple[int, int, int, int]] = []
    size = len(text)
    for match in _MARKER_OR_URL.finditer(text):
        if match.group("url"):
            continue
        start, end = match.span()
        run = match.group()
        char = run[0]
        pending = next((k for k in range(len(stack) - 1, -1, -1) if stack[k][0] == run), None)
        if len(run) not in EMPHASIS_MARKERS[char]:
            if char == "/":
                _drop_slash(stack)
            continue
        before = text[start - 1] if start else " "
        after = text[end] if end < size else " "
        can_open = (before.isspace() or before in EMPHASIS_OPEN_BEFORE) and not after.isspace()
        can_close = not before.isspace() and (after.isspace() or after in EMPHASIS_CLOSE_AFTER)
        if char == "/":
            can_open = can_open and after.isalpha()
            can_close = can_close and (before.isalpha() or before in SLASH_CLOSE_BEFORE)
            if pending is not None and start - stack[pending][2] > MAX_SLASH_SPAN:
                del stack[pending]
                pending = None
        if can_close and pending is not None:
            _, open_start, open_end = stack[pending]
            del stack[pending:]  # openers inside a closed pair that never closed stay literal
            pairs.append((open_start, open_end, start, end))
            continue
        if char == "/" and pending is not None:
            # A slash that neither closes nor pairs (a path, a fraction) cancels slash emphasis.
            del stack[pending]
            pending = None
        if can_open and pending is None:
            stack.append((run, start, end))
    return pairs


def _drop_slash(stack: list[tuple[str, int, int]]) -> None:
    for k in range(len(stack) - 1, -1, -1):
        if stack[k][0] == "/":
            del stack[k]
            return


def _build_spans(
    text: str, pairs: list[tuple[int, int, int, int]], index: int, start: int, end: int
) -> tuple[list[Inline], int]:
    """Turn sorted, properly nested pairs into spans for ``text[start:end]``."""
    spans: list[Inline] = []
    pos = start
    while index < len(pairs) and pairs[index][0] < end:
        open_start, open_end, close_start, close_end = pairs[index]
        if open_start > pos:
            spans.append(Text(text[pos:open_start]))
        children, index = _build_spans(text, pairs, index + 1, open_end, close_start)
        spans.append(Emphasis(tuple(children)))
        pos = close_end
    if pos < end:
        spans.append(Text(text[pos:end]))
    return spans, index
