"""The cover wrap: back, spine and front on one page, for a print-on-demand paperback.

``fanbind build --format cover`` writes ``<slug>-cover.pdf`` after the interior,
from the interior's final page count (the padded count the printer binds). The
page is the trim's height plus bleed, and as wide as two trims, the spine and
the bleed on the two outer edges:

    spine = pages × paper thickness        (print: paper, from the service's row)
    width = bleed + trim width + spine + trim width + bleed
    height = bleed + trim height + bleed

The thickness per page and the barcode area come from
:mod:`fanbind.print_services` (home printing uses KDP's figures). The TrimBox is
the wrap without its bleed, the BleedBox the whole page.

Why HTML laid out by WeasyPrint rather than drawn: the text (title, description,
spine) is set in the bundled EB Garamond, shaped, embedded and searchable, as in
the interior. The front is ``cover:`` (an image in the project, covering the
front panel and its bleed) or the generated design of :mod:`fanbind.cover` —
its palette, its double frame, its fleuron — drawn in vector type. Nothing is
fetched but the project's image and fanbind's fonts; nothing depends on the
clock, so two builds give the same bytes.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass
from pathlib import Path

from fanbind.cover import cover_lines, palette
from fanbind.pdf.geometry import page_geometry
from fanbind.pdf.layout import write_html_page
from fanbind.print_services import (
    IN,
    barcode_area,
    paper_thickness,
    spine_text_pages,
)
from fanbind.print_services import service as service_row
from fanbind.settings.schema import AnthologyConfig, PrintConfig

BLEED = 0.125 * IN
"""Cover bleed on the outer edges (KDP, IngramSpark and Lulu all ask 0.125 in)."""
SAFE = 0.25 * IN
"""Text keeps this far inside the trim and the spine folds."""
SPINE_MARGIN = 0.0625 * IN
"""Spine text keeps this far from each fold (KDP's spine margin)."""
MIN_SPINE_TYPE = 6.0
"""The smallest spine type worth printing, in points: a thinner spine stays blank."""
MAX_SPINE_TYPE = 14.0
BACK_TYPE = 10.5
"""The description's type size on the back, in points."""


@dataclass(frozen=True)
class Wrap:
    """The cover wrap's measurements, in points."""

    trim_width: float
    trim_height: float
    pages: int
    spine: float
    bleed: float
    spine_type: float | None
    """The spine text's size, or None when the spine stays blank."""
    barcode: tuple[float, float, float, float]
    """The barcode area (left, top, width, height) from the wrap's top-left trim corner."""
    description_cut: bool = False
    """The description was cut to keep clear of the barcode area."""

    @property
    def width(self) -> float:
        """The trimmed wrap's width: back, spine, front."""
        return 2 * self.trim_width + self.spine

    @property
    def front_left(self) -> float:
        return self.trim_width + self.spine


def spine_width(pages: int, *, service: str, paper: str) -> float:
    """The spine's width in points for ``pages`` pages on ``paper``."""
    return pages * paper_thickness(service_row(service), paper) * IN


def spine_type_size(pages: int, spine: float, *, service: str) -> float | None:
    """The spine text's size, or None when the book is too thin for spine text.

    Two rules: the service's page threshold (KDP: more than 79 pages), and room
    for type of at least :data:`MIN_SPINE_TYPE` between the spine margins.
    """
    if pages <= spine_text_pages(service_row(service)):
        return None
    size = min(MAX_SPINE_TYPE, (spine - 2 * SPINE_MARGIN) * 0.7)
    return size if size >= MIN_SPINE_TYPE else None


def wrap_for(config_print: PrintConfig, pages: int) -> Wrap:
    """The wrap of a book with ``pages`` interior pages and ``print:`` settings."""
    geometry = page_geometry(config_print, pages=pages)
    spine = spine_width(pages, service=config_print.service, paper=config_print.paper)
    width, height = barcode_area(service_row(config_print.service))
    barcode = (geometry.width - SAFE - width * IN, geometry.height - SAFE - height * IN,
               width * IN, height * IN)
    return Wrap(geometry.width, geometry.height, pages, spine, BLEED,
                spine_type_size(pages, spine, service=config_print.service), barcode)


def write_cover_wrap(meta: AnthologyConfig, *, pages: int, target: Path, project_dir: Path,
                     front_image: Path | None) -> tuple[Wrap, tuple[str, ...]]:
    """Write the cover wrap PDF to ``target``; the wrap and WeasyPrint's warnings."""
    wrap = wrap_for(meta.print, pages)
    page_html, css, cut = cover_document(meta, wrap, front_image)
    warnings = write_html_page(page_html, css, target, project_dir=project_dir)
    return dataclasses.replace(wrap, description_cut=cut), warnings


# ---------------------------------------------------------------------- the design


def _pt(value: float) -> str:
    return f"{value:.3f}pt"


def _fit_description(text: str, width: float, height: float, size: float) -> str:
    """The description cut at a word, with an ellipsis, to what fits above the barcode.

    A generous estimate (EB Garamond averages under 0.45 em a character) keeps a
    long description out of the barcode area without a second layout.
    """
    per_line = max(1, int(width / (0.47 * size)))
    lines = max(1, int(height / (1.35 * size)))
    budget = per_line * lines
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    out: list[str] = []
    used = 0
    for paragraph in paragraphs:
        cost = math.ceil(len(paragraph) / per_line) * per_line
        if used + cost <= budget:
            out.append(paragraph)
            used += cost
            continue
        room = budget - used - per_line // 2
        if room > per_line:
            cut = paragraph[:room].rsplit(" ", 1)[0].rstrip(",;:—–- ")
            out.append(cut + "…")
        break
    return "\n\n".join(out)


def cover_document(meta: AnthologyConfig, wrap: Wrap, front_image: Path | None
                   ) -> tuple[str, str, bool]:
    """The wrap as one HTML page, its stylesheet, and whether the description was cut."""
    ground, ink, accent = palette(meta.title)
    title, subtitle, editors = cover_lines(meta)
    esc = html.escape
    w, h, b = wrap.trim_width, wrap.trim_height, wrap.bleed
    bx, by, bw, bh = wrap.barcode

    # The back: title, then the description, in the column above the barcode area.
    column = w - 2 * SAFE - 0.25 * IN
    top_of_text = SAFE + 0.5 * IN
    room = by - 0.25 * IN - top_of_text - 3 * BACK_TYPE * 1.35
    description = _fit_description(meta.description or "", column, room, BACK_TYPE)
    back = [f'<p class="back-title">{esc(title)}</p>']
    back += [f'<p class="blurb">{esc(p)}</p>' for p in description.split("\n\n") if p]

    parts = [f'<div class="back">{"".join(back)}</div>',
             '<div class="barcode"></div>']
    if wrap.spine_type is not None:
        spine_words = esc(title) + (
            f'<span class="spine-editors">{esc(", ".join(meta.editors))}</span>'
            if meta.editors else "")
        parts.append(f'<div class="spine">{spine_words}</div>')
    if front_image is not None:
        parts.append(f'<img class="front-image" src="{esc(front_image.resolve().as_uri())}" '
                     'alt="">')
    else:
        front = ['<div class="frame"></div>', '<div class="frame inner"></div>',
                 f'<p class="title">{esc(title)}</p>',
                 '<p class="fleuron"><span class="rule"></span>❦<span class="rule"></span></p>']
        if subtitle:
            front.append(f'<p class="subtitle">{esc(subtitle)}</p>')
        if editors:
            front.append(f'<p class="editors">{esc(editors)}</p>')
        parts.append(f'<div class="front">{"".join(front)}</div>')
    page_html = ("<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
                 "<title>{title}</title></head><body>{body}</body></html>").format(
        lang=esc(meta.language), title=esc(title) + " — cover", body="".join(parts))

    scale = w / 1600  # the generated EPUB cover is 1600 px wide: the same proportions
    title_size = min(230 * scale, 230 * scale * math.sqrt(22 / max(22, len(title))))
    sp = wrap.spine
    css = f"""
@font-face {{ font-family: "fanbind EB Garamond"; src: url(fonts/EBGaramond12-Regular.otf);
  font-style: normal; font-weight: normal; }}
@font-face {{ font-family: "fanbind EB Garamond"; src: url(fonts/EBGaramond12-Italic.otf);
  font-style: italic; font-weight: normal; }}
@page {{ size: {_pt(wrap.width)} {_pt(h)}; margin: 0; bleed: {_pt(b)}; background: {ground}; }}
html {{ font-family: "fanbind EB Garamond", serif; color: {ink}; hyphens: manual; }}
body {{ margin: 0; }}
p {{ margin: 0; }}
.back {{ position: absolute; left: {_pt(SAFE + 0.125 * IN)}; top: {_pt(top_of_text)};
  width: {_pt(column)}; font-size: {_pt(BACK_TYPE)}; line-height: 1.35; text-align: left; }}
.back-title {{ font-variant-caps: all-small-caps; letter-spacing: 0.12em; color: {accent};
  font-size: 1.15em; margin-bottom: {_pt(BACK_TYPE * 1.35)}; }}
.blurb {{ margin-bottom: 0.6em; }}
.barcode {{ position: absolute; left: {_pt(bx)}; top: {_pt(by)}; width: {_pt(bw)};
  height: {_pt(bh)}; background: #ffffff; }}
.spine {{ position: absolute; left: {_pt(w + sp)}; top: 0; width: {_pt(h)};
  height: {_pt(sp)}; transform-origin: 0 0; transform: rotate(90deg);
  font-size: {_pt(wrap.spine_type or 1)}; line-height: {_pt(sp)}; text-align: center;
  white-space: nowrap; overflow: hidden; letter-spacing: 0.05em; }}
.spine-editors {{ font-style: italic; margin-left: 2em; color: {accent}; }}
.front-image {{ position: absolute; left: {_pt(wrap.front_left)}; top: {_pt(-b)};
  width: {_pt(w + b)}; height: {_pt(h + 2 * b)}; object-fit: cover; }}
.front {{ position: absolute; left: {_pt(wrap.front_left)}; top: 0; width: {_pt(w)};
  height: {_pt(h)}; text-align: center; }}
.frame {{ position: absolute; left: {_pt(70 * scale)}; top: {_pt(70 * scale)};
  right: {_pt(70 * scale)}; bottom: {_pt(70 * scale)};
  border: {_pt(6 * scale)} solid {accent}; }}
.frame.inner {{ left: {_pt(96 * scale)}; top: {_pt(96 * scale)}; right: {_pt(96 * scale)};
  bottom: {_pt(96 * scale)}; border-width: {_pt(2 * scale)}; }}
.title {{ position: absolute; left: {_pt(200 * scale)}; right: {_pt(200 * scale)};
  top: {_pt(560 * scale)}; font-size: {_pt(title_size)}; line-height: 1.12; }}
.fleuron {{ position: absolute; left: 0; right: 0; top: {_pt(h * 0.52)};
  font-size: {_pt(96 * scale)}; color: {accent}; line-height: 1; }}
.rule {{ display: inline-block; width: {_pt(220 * scale)}; height: 0;
  border-top: {_pt(3 * scale)} solid {accent}; vertical-align: middle; margin: 0 0.6em; }}
.subtitle {{ position: absolute; left: {_pt(200 * scale)}; right: {_pt(200 * scale)};
  top: {_pt(h * 0.52 + 170 * scale)}; font-style: italic; font-size: {_pt(80 * scale)};
  line-height: 1.2; }}
.editors {{ position: absolute; left: {_pt(200 * scale)}; right: {_pt(200 * scale)};
  bottom: {_pt(300 * scale)}; font-size: {_pt(64 * scale)}; line-height: 1.2; }}
"""
    whole = "\n\n".join(" ".join(p.split()) for p in (meta.description or "").split("\n\n")
                        if p.strip())
    return page_html, css, description != whole

