"""Page geometry of the print PDF: trim presets, margins, the gutter table, bleed.

The book design (type, openings, running heads) lives in ``styles/print.css``;
what depends on the *settings* — page size, margins, font size, leading, bleed,
crop marks, folio position — is computed here and handed to WeasyPrint as a
small stylesheet placed after ``print.css`` and before the user's own, so a
user stylesheet can still override anything.

Why compute margins instead of listing them per preset: the inside margin has
to grow with the thickness of the book (:data:`GUTTER_TABLE`), and custom
``width``/``height`` need margins too. One rule serves every size:

* the **measure** (line length) aims at ``measure_em`` ems of the body size —
  29 em (about 66 characters of EB Garamond) for trade trims, 33 em for the
  home-printing sizes A4 and letter, which are read at arm's length on a desk;
* it shrinks only when the side margins would fall under :data:`MIN_SIDE`;
* the white left over is split evenly between the outer margin and the
  visual inside margin, and on mirrored (bound) books the binding allowance
  from :data:`GUTTER_TABLE` is *added* to the inside — so a thicker book moves
  its text block outward rather than narrowing it, and re-pagination is rare;
* the text block height is a whole number of lines, so every full page ends
  on the same baseline (the remainder goes into the bottom margin, where the
  folio sits).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from fanbind.errors import MetadataError
from fanbind.settings.schema import PrintConfig

PT_PER_UNIT = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pc": 12.0,
               "px": 0.75, "q": 72 / 101.6}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]+)\s*$")

MIN_SIDE = 0.5 * 72
"""No side margin is narrower than half an inch (printers' safe zone is 0.25 in)."""

GUTTER_TABLE: tuple[tuple[int | None, float], ...] = (
    (150, 0.125 * 72),
    (300, 0.25 * 72),
    (500, 0.375 * 72),
    (700, 0.5 * 72),
    (None, 0.625 * 72),
)
"""Binding allowance added to the inside margin, by page count (upper bound, points).

Up to 150 pages 1/8 in, 151–300 1/4 in, 301–500 3/8 in, 501–700 1/2 in, more
3/8 + 1/4 in. These are the print-on-demand minimum inside margins (KDP's
paperback table: 0.375, 0.5, 0.625, 0.75, 0.875 in) minus their 0.25 in outside
minimum — i.e. the paper the spine swallows. Only mirrored trims use it.
"""


def parse_length(text: str) -> float:
    """A CSS length with an absolute unit (``5.5in``, ``148mm``, ``10.5pt``) in points."""
    match = _LENGTH.match(text)
    if not match or match[2].lower() not in PT_PER_UNIT:
        raise ValueError(f"not a length with a unit: {text!r}")
    return float(match[1]) * PT_PER_UNIT[match[2].lower()]


@dataclass(frozen=True)
class TrimPreset:
    """A named trim size and the body size and measure that suit it."""

    name: str
    width: float
    height: float
    font_size: float
    measure_em: float
    mirrored: bool


def _mm(value: float) -> float:
    return value * PT_PER_UNIT["mm"]


TRIMS: dict[str, TrimPreset] = {
    preset.name: preset for preset in (
        TrimPreset("A5", _mm(148), _mm(210), 10.5, 29, True),
        TrimPreset("5x8", 5 * 72, 8 * 72, 10, 29, True),
        TrimPreset("5.25x8", 5.25 * 72, 8 * 72, 10, 29, True),
        TrimPreset("5.5x8.5", 5.5 * 72, 8.5 * 72, 10.5, 29, True),
        TrimPreset("6x9", 6 * 72, 9 * 72, 11, 29, True),
        TrimPreset("A4", _mm(210), _mm(297), 12, 33, False),
        TrimPreset("letter", 8.5 * 72, 11 * 72, 12, 33, False),
    )
}
DEFAULT_TRIM = "5.5x8.5"
_ALIASES = {"us-letter": "letter", "usletter": "letter", "us letter": "letter"}


def find_trim(name: str) -> TrimPreset | None:
    """Look up a preset by name: case, spaces and a trailing ``in`` do not matter."""
    key = name.strip().lower().replace(" ", "").replace("×", "x").removesuffix("in")
    key = _ALIASES.get(key, key)
    return next((p for p in TRIMS.values() if p.name.lower() == key), None)


def trim_preset(name: str) -> TrimPreset:
    """:func:`find_trim`, or a :class:`MetadataError` listing the presets."""
    preset = find_trim(name)
    if preset is None:
        raise MetadataError(f"unknown trim size {name!r}",
                            hint="use one of " + ", ".join(TRIMS)
                            + ", or give print: width and height (e.g. 4.25in, 7in)")
    return preset


def binding_allowance(pages: int) -> float:
    """The extra inside margin (points) a book of ``pages`` pages needs (GUTTER_TABLE)."""
    for limit, allowance in GUTTER_TABLE:
        if limit is None or pages <= limit:
            return allowance
    raise AssertionError("unreachable: the table ends with None")  # pragma: no cover


def gutter_band(pages: int) -> int:
    """The row of :data:`GUTTER_TABLE` a page count falls in."""
    for index, (limit, _) in enumerate(GUTTER_TABLE):
        if limit is None or pages <= limit:
            return index
    raise AssertionError("unreachable")  # pragma: no cover


Folio = Literal["outer", "centre"]


@dataclass(frozen=True)
class Geometry:
    """Everything about the page that comes from settings, in points."""

    trim: str
    width: float
    height: float
    font_size: float
    leading: float
    mirrored: bool
    top: float
    bottom: float
    outer: float
    inner: float
    lines: int
    bleed: float
    crop_marks: bool
    folio: Folio
    band: int
    verso_head: Literal["authors", "title"] = "authors"

    @property
    def line(self) -> float:
        """The line pitch: every body line sits on this grid."""
        return self.font_size * self.leading

    @property
    def measure(self) -> float:
        return self.width - self.outer - self.inner

    def words_per_page(self) -> float:
        """A rough count for the page estimate: EB Garamond averages ~0.43 em a character
        and English ~6 characters a word with its space."""
        characters = self.measure / (0.43 * self.font_size)
        return self.lines * characters / 6.0

    def css(self) -> str:
        """The settings stylesheet (placed after print.css)."""
        def pt(value: float) -> str:
            return f"{value:.3f}pt"

        recto = f"{pt(self.top)} {pt(self.outer)} {pt(self.bottom)} {pt(self.inner)}"
        verso = f"{pt(self.top)} {pt(self.inner)} {pt(self.bottom)} {pt(self.outer)}"
        sink = max(3, round(self.lines * 0.22))
        rules = [
            "/* generated by fanbind.pdf.geometry from metadata.yaml's print: settings */",
            "@page {",
            f"  size: {pt(self.width)} {pt(self.height)};",
            f"  margin: {recto};",
        ]
        if self.bleed:
            rules.append(f"  bleed: {pt(self.bleed)};")
        if self.crop_marks:
            rules.append("  marks: crop;")
        rules += [
            "}",
            f"@page :right {{ margin: {recto}; }}",
            f"@page :left {{ margin: {verso}; }}",
            ":root {",
            f"  --line: {pt(self.line)};",
            f"  --sink: {pt(sink * self.line)};",
            f"  --chapter-sink: {pt(max(2, sink // 2) * self.line)};",
            f"  --text-height: {pt(self.lines * self.line)};",
            f"  --top-margin: {pt(self.top)};",
            f"  --bottom-margin: {pt(self.bottom)};",
            "}",
            f"html {{ font-size: {pt(self.font_size)}; line-height: {pt(self.line)}; }}",
        ]
        if self.folio == "centre":
            rules.append(CENTRED_FOLIOS)
        if self.verso_head == "title":
            rules.append(TITLE_VERSO_HEADS)
        return "\n".join(rules) + "\n"


# Folios centred at the foot: the outer-corner boxes of print.css are emptied and
# the centre box carries the number (all named pages with folios).
CENTRED_FOLIOS = """
@page :left, :right, body:left, body:right, story:left, story:right, back:left, back:right {
  @bottom-left { content: none; }
  @bottom-right { content: none; }
  @bottom-center { content: counter(page); }
}
"""


# Versos headed with the anthology's title (``print: verso_head: title``).
TITLE_VERSO_HEADS = """
@page body:left, story:left, chapter:left { @top-center { content: string(book-title); } }
"""


def page_geometry(config: PrintConfig, *, pages: int) -> Geometry:
    """The geometry for a book of about ``pages`` pages.

    ``print: width`` and ``height`` override ``print: trim`` (the ``--trim``
    option replaces all three in the settings). ``font_size`` falls back to the preset's when
    metadata.yaml does not set it.
    """
    explicit = config.model_fields_set
    if config.width or config.height:
        if not (config.width and config.height):
            raise MetadataError("print: give both width and height for a custom trim",
                                hint="e.g. width: 4.25in and height: 7in, or a trim name")
        try:
            width = parse_length(config.width)
            height = parse_length(config.height)
        except ValueError:
            raise MetadataError(
                f"print: width {config.width!r} and height {config.height!r} must be lengths",
                hint="write them with a unit, e.g. width: 4.25in and height: 7in") from None
        if not (144 <= width <= 1440 and 144 <= height <= 1440):
            raise MetadataError("print: width and height must be between 2in and 20in",
                                hint="e.g. width: 4.25in, height: 7in")
        label, mirrored = "custom", True
        home = width > 6.5 * 72
        font_default = 12.0 if home else 10.5
        measure_em = 33.0 if home else 29.0
    else:
        preset = trim_preset(config.trim or DEFAULT_TRIM)
        width, height, label = preset.width, preset.height, preset.name
        mirrored, font_default, measure_em = preset.mirrored, preset.font_size, preset.measure_em
    if "font_size" in explicit:
        try:
            font_size = parse_length(config.font_size)
        except ValueError:
            raise MetadataError(f"print: font_size {config.font_size!r} is not a length",
                                hint="write it with a unit, e.g. 10.5pt") from None
        if not 6 <= font_size <= 24:
            raise MetadataError(f"print: font_size {config.font_size!r} is outside 6pt–24pt",
                                hint="book text is usually 9.5pt to 12pt")
    else:
        font_size = font_default
    leading = config.leading
    line = font_size * leading

    allowance = binding_allowance(pages) if mirrored else 0.0
    measure = min(measure_em * font_size, width - 2 * MIN_SIDE - allowance)
    if measure < 12 * font_size:
        raise MetadataError("the page is too narrow for the type size",
                            hint="choose a wider trim or a smaller print: font_size")
    side = (width - allowance - measure) / 2
    outer, inner = side, side + allowance

    top_target = max(MIN_SIDE, 0.085 * height)
    bottom_target = max(0.6 * 72, 0.105 * height)
    lines = math.floor((height - top_target - bottom_target) / line)
    if lines < 10:
        raise MetadataError("the page is too short for the type size and leading",
                            hint="choose a taller trim, a smaller font_size or leading")
    spare = height - lines * line - top_target - bottom_target
    top = top_target + spare * 0.4
    bottom = height - top - lines * line

    bleed = 0.0
    if config.bleed:
        try:
            bleed = parse_length(config.bleed)
        except ValueError:
            raise MetadataError(f"print: bleed {config.bleed!r} is not a length",
                                hint="the usual bleed is 0.125in (3mm)") from None
        if bleed > 0.5 * 72:
            raise MetadataError(f"print: bleed {config.bleed!r} is more than 0.5in",
                                hint="the usual bleed is 0.125in (3mm)")
    folio: Folio = "outer" if config.folio == "outer" else "centre"
    return Geometry(label, width, height, font_size, leading, mirrored, top, bottom, outer,
                    inner, lines, bleed, config.crop_marks, folio, gutter_band(pages),
                    getattr(config, "verso_head", "authors"))


def estimate_pages(words_per_story: list[int], geometry: Geometry) -> int:
    """Guess the page count before layout, to pick the gutter row.

    Front matter ~6 pages; each story its text plus ~1.5 pages for the opening
    sink, the paratext verso and the blank page a recto start often needs. The
    guess only chooses the first layout's gutter; the real count is checked
    after layout and the book is laid out again if it fell in another row.
    """
    per_page = max(geometry.words_per_page(), 1.0)
    return 6 + sum(math.ceil(words / per_page + 1.5) for words in words_per_story)
