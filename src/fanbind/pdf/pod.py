"""The written interior PDF made fit for its printer: what WeasyPrint cannot do itself.

Run on the finished file (laid out in one piece or joined from parts), before it
is moved into ``dist/``:

* **print-on-demand cleaning** — a service that refuses bookmarks or link
  annotations in an interior file (KDP: :mod:`fanbind.print_services`) gets a
  file without the outline and without ``/Link`` annotations;
* **crop marks outside the bleed** — for home trimming. WeasyPrint draws
  ``marks: crop`` inside the bleed, where a trimmed-off strip of background
  would carry them; here the page is laid out with a slug (an extra margin
  beyond the bleed, :data:`fanbind.pdf.geometry.SLUG`), the PDF's BleedBox is set to the real bleed,
  and the marks are drawn in the slug, outside the BleedBox, each one starting
  a little way off it so nothing of them reaches the printed page.

The boxes, from the outside in: MediaBox (trim + bleed + slug) ⊃ BleedBox
(trim + bleed) ⊃ TrimBox (the page). A home book without crop marks is not
touched, so its bytes are those of the layout.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

from fanbind.pdf.geometry import Geometry
from fanbind.print_services import Service
from fanbind.print_services import service as service_row

MARK_OFFSET = 3.0
"""Crop marks start this far outside the bleed (points), so they never touch it."""
MARK_WIDTH = 0.25
"""Hairline crop marks, as printers draw them (points)."""


def needs_finishing(row: Service, geometry: Geometry) -> bool:
    """Whether :func:`finish_interior` has anything to do for this book."""
    return not row.outline or not row.links or geometry.slug > 0


def finish_interior(path: Path, row: Service, geometry: Geometry) -> None:
    """Rewrite the PDF at ``path`` in place, as the module docstring says."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        if not row.outline:
            for key in ("/Outlines", "/PageMode"):
                if key in pdf.Root:
                    del pdf.Root[key]
        if not row.links:
            for page in pdf.pages:
                _drop_links(page)
        if geometry.slug > 0:
            for page in pdf.pages:
                _marks_in_slug(pdf, page, geometry)
        pdf.save(path, deterministic_id=True)


def _drop_links(page: pikepdf.Page) -> None:
    annots = page.obj.get("/Annots")
    if annots is None:
        return
    kept = [annot for annot in annots if annot.get("/Subtype") != pikepdf.Name.Link]
    if kept:
        page.obj.Annots = pikepdf.Array(kept)
    else:
        del page.obj["/Annots"]


def _box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.obj[name])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _marks_in_slug(pdf: pikepdf.Pdf, page: pikepdf.Page, geometry: Geometry) -> None:
    """Set the BleedBox to the real bleed and draw the eight crop marks in the slug."""
    left, bottom, right, top = _box(page, "/TrimBox")
    media = _box(page, "/MediaBox")
    # Which side is outside follows from the slug: the page was laid out with bleed +
    # slug on its bleeding edges and the slug alone on the others.
    bleed = {
        "left": left - media[0] - geometry.slug, "bottom": bottom - media[1] - geometry.slug,
        "right": media[2] - right - geometry.slug, "top": media[3] - top - geometry.slug,
    }
    bleed = {side: max(0.0, round(value, 3)) for side, value in bleed.items()}
    page.obj.BleedBox = pikepdf.Array([left - bleed["left"], bottom - bleed["bottom"],
                                       right + bleed["right"], top + bleed["top"]])
    length = geometry.slug - MARK_OFFSET - 3.0
    strokes = []
    for x, y in ((left, bottom), (right, bottom), (left, top), (right, top)):
        sx = -1 if x == left else 1
        sy = -1 if y == bottom else 1
        hx = bleed["left" if sx < 0 else "right"] + MARK_OFFSET
        vy = bleed["bottom" if sy < 0 else "top"] + MARK_OFFSET
        # Horizontal mark on the trim line y, out beyond the side bleed; vertical on x.
        strokes.append(f"{x + sx * hx:.3f} {y:.3f} m {x + sx * (hx + length):.3f} {y:.3f} l S")
        strokes.append(f"{x:.3f} {y + sy * vy:.3f} m {x:.3f} {y + sy * (vy + length):.3f} l S")
    stream = (f"q 0 0 0 RG {MARK_WIDTH} w 0 J [] 0 d\n" + "\n".join(strokes)
              + "\nQ\n").encode("ascii")
    # The page's own drawing may leave its coordinate system changed: wrap it in q … Q.
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + stream), prepend=False)


def finish_book(geometry: Geometry, path: Path) -> bool:
    """Finish the interior PDF at ``path`` for its service and marks; False if untouched."""
    row = service_row(geometry.service)
    if not needs_finishing(row, geometry):
        return False
    finish_interior(path, row, geometry)
    return True
