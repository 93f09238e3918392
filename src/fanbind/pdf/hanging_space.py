"""A text that fits its line but for the space it ends with is not broken after its first word.

WeasyPrint 70 lays a line out box by box. A text box that an inline element
follows ends with a space ("…as in fateful " before ``<em>archive…</em>``).
``split_first_line`` measures that text *with* its trailing space; when the
words fit the line but the space does not, it takes the text for one that cannot
be broken earlier, tries to fit the first word alone, and returns the line
broken after it: "In" alone on a line, then "you limp flush from … fateful", then
the emphasised words. CSS hangs (or drops) a collapsible space at the end of a
line, and WeasyPrint itself does when it checks a line for overflow
(``trailing_whitespace_size``) — only this one measure counts it.

The chance is about a space's width in a line's (2–3 %) for every inline element
after a space: a story with a few thousand italic phrases had a few dozen
one-word lines. fanbind's print tree avoided it for the spans it adds (the last
word's span takes the space before it: :mod:`fanbind.pdf.linebreaks`), but a
story's own emphasis, links and spans met it. :func:`hanging_trailing_space` wraps
WeasyPrint's function, and :mod:`fanbind.pdf.layout` puts the wrapper where its
inline layout and intrinsic widths look it up: when
WeasyPrint breaks a text that ends with collapsible spaces, and the text without
them fits the width on one line, the whole text is the line, as it would be had
the space fitted. Every other answer is WeasyPrint's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The ``white-space`` values whose spaces collapse (and so hang at a line's end).
COLLAPSING = frozenset({"normal", "nowrap", "pre-line"})
#: WeasyPrint's own bound on the characters a line can hold (``split_first_line``
#: step 1: a character is never narrower than a quarter of the font size): a
#: longer text cannot fit, and is not measured again.
CHARACTERS_PER_EM = 4

SplitFirstLine = Callable[..., tuple[Any, ...]]


def hanging_trailing_space(weasyprint_split_first_line: SplitFirstLine) -> SplitFirstLine:
    """WeasyPrint's ``split_first_line``, with a trailing collapsible space left out of the fit.

    Takes WeasyPrint's function (this module imports no WeasyPrint: only
    :mod:`fanbind.pdf.layout` does, which puts the result where WeasyPrint's
    inline layout and intrinsic widths look the function up, once, at import).
    """

    def split_first_line(text: str, style: Any, context: Any, max_width: float | None,
                         justification_spacing: float, is_line_start: bool = True,
                         minimum: bool = False) -> tuple[Any, ...]:
        result = weasyprint_split_first_line(text, style, context, max_width,
                                             justification_spacing, is_line_start, minimum)
        if result[2] is None or max_width is None or minimum or not text.endswith(" ") \
                or style["white_space"] not in COLLAPSING:
            return result
        words = text.rstrip(" ")
        font_size = style["font_size"]
        if not words or (font_size and len(words) > max_width / font_size * CHARACTERS_PER_EM):
            return result
        alone = weasyprint_split_first_line(words, style, context, max_width,
                                            justification_spacing, is_line_start, minimum)
        if alone[2] is not None or alone[3] > max_width:
            return result  # the words themselves do not fit: WeasyPrint's break stands
        # The whole text on one line, laid out as WeasyPrint lays out a text that fits.
        return weasyprint_split_first_line(text, style, context, None,
                                           justification_spacing, is_line_start, minimum)

    split_first_line.hangs_trailing_space = True  # type: ignore[attr-defined]
    return split_first_line
