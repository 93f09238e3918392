"""The default measure (issue 16): about 60–68 characters a line on every trim preset.

Counted as a designer counts: the average characters (spaces included) of the
full lines of justified body paragraphs — every line but a paragraph's last —
read from WeasyPrint's line boxes of a small book laid out on two presets, the
smallest trade trim's size class and a home-printing size (A4 has its own body
size). A second or two each.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from tests.test_pdf import Built, build_pdf, write_project

from fanbind.pdf import layout as pdf
from fanbind.pdf.result import BLOCK_ID, element_id


def characters_per_line(built: Built) -> float:
    rows = [(line.element, pdf._line_text(line).replace("\u2060", "").rstrip())
            for page in built.layout.rendered.pages for line in pdf._iter_lines(page._page_box)]
    full = [len(text) for (element, text), (following, _) in itertools.pairwise(rows)
            if element is not None and element is following and element.tag == "p"
            and BLOCK_ID.match(element_id(element) or "")]
    assert len(full) > 100, len(full)
    return sum(full) / len(full)


@pytest.mark.parametrize("trim", ["5.5x8.5", "A4"])
def test_the_default_measure_is_about_sixty_five_characters(tmp_path: Path, trim: str) -> None:
    built = build_pdf(write_project(tmp_path, ("crossing", "short", "spelled"), {"trim": trim}))
    assert 60 <= characters_per_line(built) <= 68
