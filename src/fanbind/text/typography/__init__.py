"""The typography stage: plain text in, typographic text out, on text nodes only.

Rules are data (:mod:`fanbind.text.typography.rules`), the English table is
:mod:`fanbind.text.typography.en`, and :mod:`fanbind.text.typography.locales` picks a table by
language. This module applies a table to whole blocks of the document model,
carrying quote context across inline nodes: in ``"*Hello*," she said`` the emphasis
splits the text into three runs, but the first quote must still open and the second
close. The runs are joined, the rules see one string, and the boundaries between runs
are carried through every substitution so the text splits back into exactly the same
node structure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise

from fanbind.model import BlockT, Heading, Inline, LineBreak, Paragraph, Text
from fanbind.text.settings import TextSettings
from fanbind.text.typography.locales import table_for
from fanbind.text.typography.rules import apply_table

__all__ = ["typeset_blocks", "typeset_inlines", "typeset_text"]

_ENGLISH = TextSettings()


def typeset_text(text: str, settings: TextSettings = _ENGLISH) -> str:
    """One paragraph of plain text → typographic text, in ``settings``' language
    and dash style.

    For tests and for metadata strings (summaries, titles) that never become blocks.
    """
    result, _ = apply_table(table_for(settings.language, settings.dash_style), text)
    return result


def _leaves(inlines: tuple[Inline, ...], out: list[str]) -> list[str]:
    """The text of every Text node, depth first, in reading order.

    A line break is a ``\\n`` leaf, so the rules see the lines of a verse apart
    (a quote closing one line must not look glued to the next).
    """
    for span in inlines:
        if isinstance(span, Text):
            out.append(span.text)
        elif isinstance(span, LineBreak):
            out.append("\n")
        else:
            _leaves(span.children, out)
    return out


def _rebuild(inlines: tuple[Inline, ...], texts: Iterator[str]) -> tuple[Inline, ...]:
    """The same tree as ``inlines`` with each Text node's text taken from ``texts``."""
    rebuilt: list[Inline] = []
    for span in inlines:
        if isinstance(span, Text):
            rebuilt.append(Text(next(texts)))
        elif isinstance(span, LineBreak):
            # A rule may have moved a character next to the break: keep it, as text.
            extra = next(texts).replace("\n", "")
            if extra:
                rebuilt.append(Text(extra))
            rebuilt.append(span)
        else:
            rebuilt.append(replace(span, children=_rebuild(span.children, texts)))
    return tuple(rebuilt)


def typeset_inlines(
    inlines: tuple[Inline, ...],
    settings: TextSettings = _ENGLISH,
    *,
    counts: Counter[str] | None = None,
) -> tuple[Inline, ...]:
    """Typeset one run of inline spans as a single paragraph, keeping its structure."""
    texts = _leaves(inlines, [])
    if not texts:
        return inlines
    boundaries: list[int] = []
    offset = 0
    for text in texts[:-1]:
        offset += len(text)
        boundaries.append(offset)
    table = table_for(settings.language, settings.dash_style)
    joined, moved = apply_table(table, "".join(texts), boundaries, counts)
    cuts = (0, *moved, len(joined))
    pieces = [joined[start:end] for start, end in pairwise(cuts)]
    return _rebuild(inlines, iter(pieces))


def typeset_blocks(
    blocks: tuple[BlockT, ...],
    settings: TextSettings = _ENGLISH,
    *,
    counts: Counter[str] | None = None,
) -> tuple[BlockT, ...]:
    """Apply the rules to the Text nodes of Paragraph and Heading blocks.

    SceneBreaks pass through unchanged; each block is typeset on its own (quote
    context does not cross paragraphs: a paragraph of continued speech opens with a
    fresh quote). ``counts``, when given, gains the number of changes per rule name,
    so a build can report what changed.
    """
    out: list[BlockT] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            inlines = typeset_inlines(block.inlines, settings, counts=counts)
            out.append(replace(block, inlines=inlines))
        else:
            out.append(block)
    return tuple(out)
