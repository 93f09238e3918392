"""A text that fits its line but for its trailing space is not broken after its first word.

WeasyPrint 70 measures a text box followed by an inline element with the space
it ends with, and when only that space overflows breaks the line after the
text's first word (:mod:`fanbind.pdf.hanging_space`). These tests set the same
paragraphs with WeasyPrint's own line splitter and with fanbind's, at widths
where the defect shows, in the bundled EB Garamond (so the widths are the same on
every machine), and read the lines back from the boxes.
"""

from __future__ import annotations

import itertools
from html import escape

import pytest
import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break

from fanbind.pdf import layout  # noqa: F401  (puts fanbind's splitter in place)
from fanbind.pdf.hanging_space import hanging_trailing_space
from fanbind.resources import STYLES_DIR

WORDS = (
    "In", "you", "limp", "flush", "from", "kakashi", "as", "in", "fateful", "once", "curve",
    "the", "kakashi", "reached", "higher", "just", "the", "need", "to", "uneven", "already",
    "after", "he", "him", "on", "to", "instincts",
)
#: Widths (px) to try: the defect needs the words before the emphasis to fit a
#: line within a space's width, so a handful of widths finds some.
WIDTHS = range(280, 330, 3)


def _html(width: int) -> str:
    font = (STYLES_DIR / "fonts" / "EBGaramond12-Regular.otf").as_uri()
    italic = (STYLES_DIR / "fonts" / "EBGaramond12-Italic.otf").as_uri()
    paragraphs = []
    for n in range(3, 16):
        before = escape(" ".join(WORDS[:n]))
        after = escape(" ".join(WORDS[n + 2:]))
        paragraphs.append(f"<p>{before} <em>archiveofourown somewhere</em> {after}</p>")
    return (f"<html lang='en'><head><style>"
            f"@font-face {{ font-family: T; src: url('{font}'); }}"
            f"@font-face {{ font-family: T; font-style: italic; src: url('{italic}'); }}"
            f"body {{ font-family: T; font-size: 11pt; width: {width}px; hyphens: auto;"
            f" text-align: justify; margin: 0 }} p {{ margin: 0 }}"
            f"</style></head><body>{''.join(paragraphs)}</body></html>")


def _lines(box: boxes.Box) -> list[str]:
    if isinstance(box, boxes.LineBox):
        return ["".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))]
    return [line for child in getattr(box, "children", ()) for line in _lines(child)]


def _one_word_lines(width: int) -> list[tuple[str, str]]:
    """Lines holding one word that the paragraph goes on from (the next line starts lower case)."""
    document = weasyprint.HTML(string=_html(width)).render()
    lines = [line.strip() for page in document.pages for line in _lines(page._page_box)]
    return [(line, following) for line, following in itertools.pairwise(lines)
            if line and " " not in line and following[:1].islower()]


def test_weasyprint_alone_breaks_after_the_first_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect is still WeasyPrint's: with its own splitter some width shows it.

    Fails when a WeasyPrint release fixes it; then fanbind.pdf.hanging_space can go."""
    monkeypatch.setattr(inline, "split_first_line", line_break.split_first_line)
    found = [line for width in WIDTHS for line in _one_word_lines(width)]
    assert found, "WeasyPrint no longer breaks after the first word: drop hanging_space"


def test_fanbind_never_breaks_after_the_first_word() -> None:
    assert getattr(inline.split_first_line, "hangs_trailing_space", False)
    assert [line for width in WIDTHS for line in _one_word_lines(width)] == []


def test_every_other_answer_is_weasyprints() -> None:
    """The wrapper asks again only for a text ending in a space that WeasyPrint broke."""
    calls: list[tuple[str, float | None]] = []

    def splitter(text, style, context, max_width, spacing, is_line_start=True, minimum=False):
        calls.append((text, max_width))
        fits = max_width is None or len(text) <= max_width  # the space counted, as WeasyPrint does
        return (None, len(text), None if fits else 3, float(len(text)), 1.0, 1.0)

    split = hanging_trailing_space(splitter)
    style = {"white_space": "normal", "font_size": 1.0}
    assert split("abc def", style, None, 3, 0)[2] == 3  # no trailing space: WeasyPrint's
    assert calls == [("abc def", 3)]
    calls.clear()
    assert split("ab cd ", style, None, 5, 0)[2] is None  # fits but for the space
    assert calls == [("ab cd ", 5), ("ab cd", 5), ("ab cd ", None)]
    calls.clear()
    assert split("ab cd ", {**style, "white_space": "pre"}, None, 5, 0)[2] == 3
    assert split("abc def ", style, None, 5, 0)[2] == 3  # the words do not fit either
    assert split("abc def ", style, None, 5, 0, minimum=True)[2] == 3
