"""A part's folio stamp made from a few specimen pages: each page's folio written in.

A story part's running heads and folios are drawn after its layout, one stamp
page per page of the part (:func:`fanbind.pdf.layout.stamp_folios`). Drawing
every page with WeasyPrint cost 1.5–5 ms a page (the 300,000-word story's
twelve stamps 2.6 s of CPU, between the layouts and at the end of the build),
yet most pages of a part differ from another of the same kind (a recto of the
same story, a chapter opening) only in the folio's digits. So WeasyPrint draws
one *specimen* page per kind of page and folio length, and a *probe* per kind
whose folio is ``1234567890`` (which puts every digit, in the folio's font and
features, in the stamp's font subset and shows how WeasyPrint writes each);
this module makes every page from its specimen's content stream, the folio's
``TJ`` string written with the page's own digits, as WeasyPrint would write it.

That only holds when the folio's digits all have the same advance (lining
tabular figures, print.css's folios): any folio of the same length then lays out
where the specimen's does, so nothing else on the page moves. :func:`assemble`
checks it (and that the specimen's folio is written as the probe says) and
returns False when it cannot vouch for a page: the caller then draws every page
with WeasyPrint, as before. Nothing here imports WeasyPrint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

#: The folio the probe page of a kind is drawn with: every digit once.
PROBE_FOLIO = 1234567890

#: A ``TJ`` array as pydyf writes WeasyPrint's text, and the font set before it.
_SHOW = re.compile(rb"\[((?:<[0-9a-f]*>(?:-?[0-9.]+)?)*)\] TJ")
_PIECE = re.compile(rb"<([0-9a-f]*)>(-?[0-9.]+)?")
_FONT = re.compile(rb"/([^\s/]+) (-?[0-9.]+) Tf")

Glyph = tuple[bytes, bytes]  # a glyph id (4 hex digits) and the number after it, if any


@dataclass(frozen=True)
class Folio:
    """A specimen page whose folio is written anew on the pages made from it."""

    digits: str  # the specimen's own folio
    probe: int  # the index of its kind's probe page in the specimen file


def _glyphs(array: bytes) -> list[Glyph] | None:
    """A ``TJ`` array's glyphs, or None when it holds anything else (spacing, an
    empty string)."""
    glyphs: list[Glyph] = []
    end = 0
    for piece in _PIECE.finditer(array):
        hexes, number = piece.group(1), piece.group(2) or b""
        if piece.start() != end or not hexes or len(hexes) % 4:
            return None
        end = piece.end()
        ids = [hexes[i:i + 4] for i in range(0, len(hexes), 4)]
        glyphs += [(gid, b"") for gid in ids[:-1]] + [(ids[-1], number)]
    return glyphs if end == len(array) else None


def _written(glyphs: Sequence[Glyph]) -> bytes:
    """Glyphs as :class:`fanbind.pdf.glyph_runs.GlyphWriter` closes them: one hex
    string up to each number."""
    out = b"<"
    for gid, number in glyphs:
        out += gid + (b">" + number + b"<" if number else b"")
    return out[:-1] if out.endswith(b"<") else out + b">"


def _shows(stream: bytes) -> list[tuple[re.Match[bytes], bytes, bytes, list[Glyph] | None]]:
    """Every ``TJ`` of a content stream, with the font and size it is set in."""
    fonts = [(m.start(), m.group(1), m.group(2)) for m in _FONT.finditer(stream)]
    shows = []
    for show in _SHOW.finditer(stream):
        font = [(name, size) for start, name, size in fonts if start < show.start()]
        if font:
            shows.append((show, *font[-1], _glyphs(show.group(1))))
    return shows


def _widths(page: pikepdf.Page, font: bytes) -> dict[int, float]:
    """The ``/W`` widths of a Type0 font of the page's resources, by glyph id."""
    try:
        descendant = page.obj.Resources.Font[f"/{font.decode()}"].DescendantFonts[0]
        entries = list(descendant.get("/W") or ())
    except (AttributeError, KeyError, IndexError, TypeError):
        return {}
    widths: dict[int, float] = {}
    index = 0
    while index < len(entries):
        first = int(entries[index])
        if isinstance(entries[index + 1], pikepdf.Array):
            for offset, width in enumerate(entries[index + 1]):
                widths[first + offset] = float(width)
            index += 2
        else:
            for gid in range(first, int(entries[index + 1]) + 1):
                widths[gid] = float(entries[index + 2])
            index += 3
    return widths


@dataclass(frozen=True)
class _Template:
    before: bytes
    after: bytes
    digits: dict[str, Glyph]


def _template(specimen: pikepdf.Page, folio: Folio, probe: pikepdf.Page,
              widths_of: dict[bytes, dict[int, float]]) -> _Template | None:
    """The specimen's stream cut around its folio's ``TJ``, and how each digit is
    written; None unless exactly one ``TJ`` is the folio and the digits have one
    advance. ``widths_of``: the probe's fonts' widths, as read so far."""
    probe_stream = probe.obj.Contents.read_bytes()
    stream = specimen.obj.Contents.read_bytes()
    found = []
    for _, font, size, glyphs in _shows(probe_stream):
        if glyphs is None or len(glyphs) != len(str(PROBE_FOLIO)):
            continue
        digits = dict(zip(str(PROBE_FOLIO), glyphs, strict=True))
        wanted = [digits[d] for d in folio.digits]
        matches = [show for show, f, s, g in _shows(stream)
                   if (f, s) == (font, size) and g == wanted]
        found += [(font, digits, show) for show in matches]
    if len(found) != 1:
        return None
    font, digits, show = found[0]
    widths = widths_of.get(font)
    if widths is None:
        widths = widths_of[font] = _widths(probe, font)
    try:
        advances = {widths[int(gid, 16)] - float(number or 0) for gid, number in digits.values()}
    except (KeyError, ValueError):
        return None
    if len(advances) != 1:
        return None  # proportional figures: another folio would move
    return _Template(stream[:show.start()], stream[show.end():], digits)


def assemble(source: Path, target: Path, pages: Sequence[tuple[int, str | None]],
             folios: Mapping[int, Folio]) -> bool:
    """Write ``target``: for each ``(specimen, digits)`` of ``pages`` a page like the
    specimen page of ``source``, its folio (a specimen in ``folios``) written with
    ``digits``. False, and nothing written, when a folio cannot be written anew."""
    with pikepdf.open(source) as pdf:
        originals = list(pdf.pages)
        templates = {}
        widths: dict[int, dict[bytes, dict[int, float]]] = {}
        for index, folio in folios.items():
            template = _template(originals[index], folio, originals[folio.probe],
                                 widths.setdefault(folio.probe, {}))
            if template is None:
                return False
            templates[index] = template
        for index, digits in pages:
            page = originals[index].obj
            if digits is None or digits == folios[index].digits:
                contents = page.Contents
            else:
                template = templates[index]
                contents = pdf.make_stream(
                    template.before + b"[" + _written([template.digits[d] for d in digits])
                    + b"] TJ" + template.after)
            made = pikepdf.Dictionary({key: value for key, value in page.items()
                                       if key not in ("/Parent", "/Contents", "/Annots")})
            made.Contents = contents
            pdf.pages.append(pikepdf.Page(made))
        del pdf.pages[:len(originals)]
        pdf.save(target, static_id=True)
    return True
