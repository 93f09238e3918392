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
  26 em on every preset, about 65 characters of EB Garamond a line (a book
  measure is 60–68); the home-printing sizes A4 and letter, read at arm's length
  on a desk, get a larger body size (13 pt) rather than a longer line;
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
from dataclasses import dataclass
from typing import Literal

from fanbind.print_services import ALL_EDGES, Edge, least_inside, least_margin
from fanbind.print_services import service as service_row
from fanbind.settings.schema import PrintConfig
from fanbind.units import (
    MAX_BINDING_ALLOWANCE,
    MIN_SIDE,
    custom_trim,
    find_trim,
    head_and_foot,
    parse_length,
)

GUTTER_TABLE: tuple[tuple[int | None, float], ...] = (
    (150, 0.125 * 72),
    (300, 0.25 * 72),
    (500, 0.375 * 72),
    (700, 0.5 * 72),
    (None, MAX_BINDING_ALLOWANCE),
)
"""Binding allowance added to the inside margin, by page count (upper bound, points).

Up to 150 pages 1/8 in, 151–300 1/4 in, 301–500 3/8 in, 501–700 1/2 in, more
3/8 + 1/4 in. These are the print-on-demand minimum inside margins (KDP's
paperback table: 0.375, 0.5, 0.625, 0.75, 0.875 in) minus their 0.25 in outside
minimum — i.e. the paper the spine swallows. Only mirrored trims use it.
"""


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

#: The slug beyond the bleed that holds crop marks for home trimming (points).
SLUG = 0.375 * 72


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
    bleed_edges: tuple[Edge, ...] = ALL_EDGES
    """The edges that get ``bleed`` (a print-on-demand service bleeds only some)."""
    slug: float = 0.0
    """Paper beyond the bleed on every edge, for crop marks (:mod:`fanbind.pdf.pod`)."""
    service: str = "home"
    """The print-on-demand service the file is for (:mod:`fanbind.print_services`)."""

    def page_bleed(self, side: Literal["right", "left"]) -> tuple[float, float, float, float]:
        """Bleed (top, right, bottom, left) of a recto (``right``) or verso page, in points."""
        outside, inside = ("right", "left") if side == "right" else ("left", "right")
        by_edge = {"top": "top", "bottom": "bottom", outside: "outside", inside: "inside"}
        return tuple((self.bleed if by_edge[name] in self.bleed_edges else 0.0)  # type: ignore[return-value]
                     + self.slug for name in ("top", "right", "bottom", "left"))

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
        # Bleed the same on every edge is one rule; bleed on some edges only (a
        # service's) or a slug for crop marks goes by side. The crop marks themselves
        # are drawn outside the bleed after layout (fanbind.pdf.pod), not by WeasyPrint.
        uneven = bool(self.slug) or (bool(self.bleed) and set(self.bleed_edges) != set(ALL_EDGES))
        if self.bleed and not uneven:
            rules.append(f"  bleed: {pt(self.bleed)};")
        recto_rule, verso_rule = f"margin: {recto};", f"margin: {verso};"
        if uneven:
            recto_rule += " bleed: " + " ".join(pt(b) for b in self.page_bleed("right")) + ";"
            verso_rule += " bleed: " + " ".join(pt(b) for b in self.page_bleed("left")) + ";"
        rules += [
            "}",
            f"@page :right {{ {recto_rule} }}",
            f"@page :left {{ {verso_rule} }}",
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
# the centre box carries the number (all named pages with folios; a chapter's
# verso printed its folio twice, in the corner and centred, when chapter was missing).
CENTRED_FOLIOS = """
@page :left, :right, body:left, body:right, story:left, story:right, chapter:left,
      chapter:right, back:left, back:right {
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
    option replaces all three in the settings). ``font_size`` falls back to the
    preset's when metadata.yaml does not set it. The settings were checked when
    they were read (:class:`~fanbind.settings.schema.PrintConfig`): every page
    they allow has room for its text block, whatever the binding allowance.
    """
    explicit = config.model_fields_set
    if config.width and config.height:
        width = parse_length(config.width)
        height = parse_length(config.height)
        custom = custom_trim(width)
        label, mirrored = "custom", custom.mirrored
        font_default, measure_em = custom.font_size, custom.measure_em
    else:
        preset = find_trim(config.trim)
        assert preset is not None, "PrintConfig checks the trim name"
        width, height, label = preset.width, preset.height, preset.name
        mirrored, font_default, measure_em = preset.mirrored, preset.font_size, preset.measure_em
    font_size = parse_length(config.font_size) if "font_size" in explicit else font_default
    leading = config.leading
    line = font_size * leading

    bleed = parse_length(config.bleed) if config.bleed else 0.0
    row = service_row(config.service)
    least = least_margin(row, bleed=bool(bleed))
    least_side = max(MIN_SIDE, least or 0.0)
    allowance = binding_allowance(pages) if mirrored else 0.0
    measure = min(measure_em * font_size, width - 2 * least_side - allowance)
    side = (width - allowance - measure) / 2
    outer, inner = side, side + allowance
    if mirrored and (inside := least_inside(row, pages)) is not None and inner < inside:
        inner = inside  # the service's gutter table, where it is wider than fanbind's
        outer = width - inner - measure

    # A service counts running heads and folios as content: they keep `least` too.
    top_target, bottom_target = head_and_foot(height, line, least)
    lines = math.floor((height - top_target - bottom_target) / line)
    spare = height - lines * line - top_target - bottom_target
    top = top_target + spare * 0.4
    bottom = height - top - lines * line

    folio: Folio = "outer" if config.folio == "outer" else "centre"
    return Geometry(label, width, height, font_size, leading, mirrored, top, bottom, outer,
                    inner, lines, bleed, config.crop_marks, folio, gutter_band(pages),
                    config.verso_head or "authors", row.bleed_edges,
                    SLUG if config.crop_marks else 0.0, config.service)


def estimate_pages(words_per_story: list[int], geometry: Geometry) -> int:
    """Guess the page count before layout, to pick the gutter row.

    Front matter ~6 pages; each story its text plus ~1.5 pages for the opening
    sink, the paratext verso and the blank page a recto start often needs. The
    guess only chooses the first layout's gutter; the real count is checked
    after layout and the book is laid out again if it fell in another row.
    """
    per_page = max(geometry.words_per_page(), 1.0)
    return 6 + sum(math.ceil(words / per_page + 1.5) for words in words_per_story)
