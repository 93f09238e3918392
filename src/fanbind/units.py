"""Lengths, units and trim sizes: the one place a ``5.5in`` becomes points.

The settings check lengths and trims while validating metadata.yaml, and the PDF
stages compute with them; both import this module, so neither imports the other
for it. The page-frame rules at the end (smallest margin, widest binding
allowance, fewest lines) are here for the same reason: the schema refuses a page
the layout could not fill, with the numbers the layout uses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Points per unit for the lengths metadata.yaml may use (CSS's absolute units).
PT_PER_UNIT = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pc": 12.0,
               "px": 0.75, "q": 72 / 101.6}
PT_PER_MM = PT_PER_UNIT["mm"]
_LENGTH = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse_length(text: str, *, bare_zero: bool = False) -> float:
    """A CSS length with an absolute unit (``5.5in``, ``148mm``, ``10.5pt``) in points.

    A number needs its unit: a paper thickness of "0.1" could mean millimetres or
    inches, and the two differ 25×. ``bare_zero`` accepts a lone ``0`` (nothing
    is ambiguous about none). Raises :class:`ValueError` for anything else.
    """
    match = _LENGTH.fullmatch(text)
    if not match:
        raise ValueError(f"not a length with a unit: {text!r}")
    number, unit = float(match[1]), match[2].lower()
    if not unit and bare_zero and number == 0:
        return 0.0
    if unit not in PT_PER_UNIT:
        raise ValueError(f"not a length with a unit: {text!r}")
    return number * PT_PER_UNIT[unit]


# ------------------------------------------------------------------ trims


@dataclass(frozen=True)
class TrimPreset:
    """A named trim size and the body size and measure that suit it."""

    name: str
    width: float
    height: float
    font_size: float
    measure_em: float
    mirrored: bool


#: The measure of every preset, in ems of its body size: about 65 characters of EB
#: Garamond a line (60–68 is a comfortable book measure; 29 em gave 72, 33 em on A4
#: and letter 83). The home-printing sizes get a larger body size instead of a
#: longer line: they are read at arm's length on a desk.
MEASURE_EM = 26.0

TRIMS: dict[str, TrimPreset] = {
    preset.name: preset for preset in (
        TrimPreset("A5", 148 * PT_PER_MM, 210 * PT_PER_MM, 10.5, MEASURE_EM, True),
        TrimPreset("5x8", 5 * 72, 8 * 72, 10, MEASURE_EM, True),
        TrimPreset("5.25x8", 5.25 * 72, 8 * 72, 10, MEASURE_EM, True),
        TrimPreset("5.5x8.5", 5.5 * 72, 8.5 * 72, 10.5, MEASURE_EM, True),
        TrimPreset("6x9", 6 * 72, 9 * 72, 11, MEASURE_EM, True),
        TrimPreset("A4", 210 * PT_PER_MM, 297 * PT_PER_MM, 13, MEASURE_EM, False),
        TrimPreset("letter", 8.5 * 72, 11 * 72, 13, MEASURE_EM, False),
    )
}
DEFAULT_TRIM = "5.5x8.5"
_TRIM_ALIASES = {"us-letter": "letter", "usletter": "letter", "us letter": "letter"}


def find_trim(name: str) -> TrimPreset | None:
    """Look up a preset by name: case, spaces and a trailing ``in`` do not matter."""
    key = name.strip().lower().replace(" ", "").replace("×", "x").removesuffix("in")
    key = _TRIM_ALIASES.get(key, key)
    return next((p for p in TRIMS.values() if p.name.lower() == key), None)


@dataclass(frozen=True)
class CustomTrim:
    """What a custom ``width``/``height`` page gets in place of a preset's choices."""

    font_size: float
    measure_em: float
    mirrored: bool = True


def custom_trim(width: float) -> CustomTrim:
    """Pages wider than 6.5in are read on a desk, like A4: bigger type, the same measure."""
    home = width > 6.5 * 72
    return CustomTrim(13.0 if home else 10.5, MEASURE_EM)


# ------------------------------------------------------- the page frame

#: No side margin is narrower than half an inch (printers' safe zone is 0.25 in).
MIN_SIDE = 0.5 * 72
#: The binding allowance of the thickest book (the last row of the gutter table).
MAX_BINDING_ALLOWANCE = 0.625 * 72
#: A text block narrower than this many ems of the body size cannot be set justified.
MIN_MEASURE_EM = 12
#: A page holds at least this many lines of body text.
MIN_LINES = 10
#: Custom page sizes, in points: 2in to 20in on either side.
MIN_PAGE, MAX_PAGE = 2 * 72, 20 * 72
#: Body text size, in points.
MIN_FONT_SIZE, MAX_FONT_SIZE = 6.0, 24.0
#: The most bleed a printer asks for, in points.
MAX_BLEED = 0.5 * 72


#: How far a running head reaches up from the top margin's foot, in lines: print.css
#: sets it 1.2 lines above the text block, and its own line box is under one line.
HEAD_REACH = 2.2
#: How far a folio reaches down into the bottom margin, in lines (a line's padding, one line).
FOLIO_REACH = 2.0


def head_and_foot(height: float, line: float = 0.0,
                  least: float | None = None) -> tuple[float, float]:
    """The top and bottom margins a page of ``height`` aims at, before line fitting.

    ``least``: a print-on-demand service's least margin, which running heads and
    folios must keep too (they stand in these margins, ``line`` apart).
    """
    top, bottom = max(MIN_SIDE, 0.085 * height), max(0.6 * 72, 0.105 * height)
    if least is not None:
        top, bottom = max(top, least + HEAD_REACH * line), max(bottom, least + FOLIO_REACH * line)
    return top, bottom


def body_lines(height: float, line: float, least: float | None = None) -> int:
    """Whole lines of ``line`` pitch between the head and foot margins."""
    top, bottom = head_and_foot(height, line, least)
    return math.floor((height - top - bottom) / line)
