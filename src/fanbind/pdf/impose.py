"""Imposition: the book PDF's pages placed two-up on printer sheets, in signature order.

Fanbinders print on a home duplex printer, fold the sheets, nest them into
signatures and sew the signatures together. This module turns the finished book
PDF (pages of the trim size, as the normal PDF build writes them) into the PDF
they print: landscape A4 or US Letter sheets, two book pages per side, in the
order that makes the folded, nested sheets read 1, 2, 3 …

**What the signature names mean here.** Every sheet is printed *two-up* (one
book page on each half of each side) and folded once; this is bookbinder-js's
"folio" page layout, the only one in which a 5.5 × 8.5 in or A5 page fits a home
printer's sheet at full size. A *signature* is a number of such folded sheets
nested one inside the other and sewn through their common fold (bookbinder-js's
"signature length", counted in sheets):

========  ======  =====  =============================================
name      sheets  pages  note
========  ======  =====  =============================================
folio     1       4      one folded sheet
quarto    2       8      the page count of a true quarto gathering
octavo    4       16     the page count of a true octavo gathering
custom    3–8     12–32  ``sheets_per_signature`` overrides the name
========  ======  =====  =============================================

A true quarto or octavo is one large sheet printed four or eight pages a side
and folded twice or three times. Nesting two or four separately folded sheets
gives a gathering of the same size with the same sewing, folds more accurately,
needs no cutting of folded edges, and fits a home printer.

**Duplex.** Sheets are printed on both sides, *flip on short edge*: both sides
of a sheet are drawn upright, so the page behind the right-hand page of the front
is the left-hand page of the back. ``flip: long`` draws every back side turned by
180° instead, for printers that only flip on the long edge.

Pages are placed as form XObjects (the page's own vector content and embedded
fonts, copied once, never rasterised) with pikepdf. The output is deterministic:
no clock is read, and the PDF's /ID is derived from its content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fanbind.atomic import library_writer
from fanbind.errors import BuildError, InputFileError
from fanbind.resources import STYLES_DIR
from fanbind.units import PT_PER_MM, parse_length

if TYPE_CHECKING:
    import pikepdf

    from fanbind.settings.schema import PrintConfig

#: Printer sheets, landscape (width, height) in points.
SHEETS: dict[str, tuple[float, float]] = {
    "letter": (792.0, 612.0),
    "a4": (297 * PT_PER_MM, 210 * PT_PER_MM),
}
SHEET_NAMES = {"letter": "US Letter", "a4": "A4"}
#: Sheets per signature for the named layouts (see the module docstring).
SIGNATURE_SHEETS = {"folio": 1, "quarto": 2, "octavo": 4}

#: Sewing stations: kettle stitches this far from head and tail, others at most this apart.
KETTLE_INSET = 36.0
STATION_SPACING = 108.0
#: Crop marks: the gap between a mark and the trim, and the longest mark.
CROP_GAP = 6.0
CROP_LENGTH = 18.0
CROP_MIN = 4.0
#: How far (points) a page may overhang half a sheet and still count as fitting.
FIT_TOLERANCE = 0.05
#: Fold-line ticks run this far into the head and tail margins at the fold.
FOLD_TICK = 18.0
#: Collation marks: a box this wide across the fold and this tall, the first this far
#: below the head.
COLLATION_WIDTH = 6.0
COLLATION_HEIGHT = 14.0
COLLATION_INSET = 18.0

Side = Literal["front", "back"]


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class SheetSide:
    """One side of one printed sheet: which book pages go left and right.

    ``left``/``right`` are 0-based page indexes of the book PDF, ``None`` for a
    blank added as padding. They are given as the side is *seen*, upright; with
    ``rotated`` (long-edge flip) the whole side is drawn turned by 180°.
    ``creep`` is how far, in points, both pages move toward the fold.
    """

    sheet: int
    signature: int
    depth: int
    side: Side
    left: int | None
    right: int | None
    creep: float
    rotated: bool = False


@dataclass(frozen=True)
class Plan:
    """Where every book page goes: signatures, sheets, sides, blanks.

    Every signature has ``sheets_per_signature`` sheets but the last, which has
    only as many as the remaining pages need (``signature_sheets``): a book that
    overruns its last full signature by a page gets one more folded sheet, not a
    whole signature of blank sheets.
    """

    pages: int
    sheets_per_signature: int
    signatures: int
    blanks_before: int
    blanks_after: int
    sides: tuple[SheetSide, ...]
    signature_sheets: tuple[int, ...] = ()

    @property
    def sheets(self) -> int:
        return len(self.sides) // 2

    @property
    def blanks(self) -> int:
        return self.blanks_before + self.blanks_after

    @property
    def pages_per_signature(self) -> int:
        return 4 * self.sheets_per_signature

    @property
    def last_sheets(self) -> int:
        """Sheets in the last signature (fewer than the others when the book ends early)."""
        return self.signature_sheets[-1] if self.signature_sheets else self.sheets_per_signature

    def first_sheet(self, signature: int) -> int:
        """The 0-based index of a signature's outermost sheet."""
        return sum(self.signature_sheets[:signature])

    def signature_pages(self, signature: int) -> list[int | None]:
        """The book pages (0-based, ``None`` for blanks) of one signature, in reading order."""
        sequence = [None] * self.blanks_before + list(range(self.pages)) + \
            [None] * self.blanks_after
        start = 4 * self.first_sheet(signature)
        return sequence[start:start + 4 * self.signature_sheets[signature]]

    def is_innermost(self, side: SheetSide) -> bool:
        return side.depth == self.signature_sheets[side.signature] - 1


def split_padding(blanks: int, pad: str) -> tuple[int, int]:
    """Blanks (before, after) the book's pages.

    ``split`` puts the larger *even* share not above half before page 1: an odd
    number of blanks in front would turn every recto into a verso, and every
    story that opens on a right-hand page would open on a left-hand one.
    """
    if pad == "end":
        return 0, blanks
    if pad != "split":
        raise ValueError(pad)
    before = math.ceil(blanks / 2)
    before -= before % 2
    return before, blanks - before


def plan_imposition(pages: int, *, sheets_per_signature: int, pad: str = "end",
                    creep: float = 0.0, flip: str = "short") -> Plan:
    """Signature order for a book of ``pages`` pages.

    The book is padded to whole sheets (at most three blank pages) and cut into
    signatures of ``sheets_per_signature`` sheets, the last one smaller if the
    pages run out. Within a signature of *n* sheets (4n pages, numbered 0 …
    4n−1), sheet *d* (0 = outermost) carries on its front, left to right, pages
    4n−1−2d and 2d, and on its back 2d+1 and 4n−2−2d: folded with the front
    outside and nested in order, the sheets read in sequence. Creep grows by
    ``creep`` points per sheet toward the centre of the signature: the outer
    sheets wrap around the inner ones, so an inner sheet's fold sits that much
    further in and its pages are moved toward the fold to keep the text blocks
    in line.
    """
    if pages < 1:
        raise ValueError("a book has at least one page")
    if sheets_per_signature < 1:
        raise ValueError("a signature has at least one sheet")
    before, after = split_padding(-pages % 4, pad)
    sequence: list[int | None] = [None] * before + list(range(pages)) + [None] * after
    full, rest = divmod(len(sequence) // 4, sheets_per_signature)
    counts = (sheets_per_signature,) * full + ((rest,) if rest else ())
    sides: list[SheetSide] = []
    sheet = 0
    start = 0
    for signature, count in enumerate(counts):
        size = 4 * count
        chunk = sequence[start:start + size]
        start += size
        for depth in range(count):
            shift = depth * creep
            sides.append(SheetSide(sheet, signature, depth, "front",
                                   chunk[size - 1 - 2 * depth], chunk[2 * depth], shift))
            sides.append(SheetSide(sheet, signature, depth, "back",
                                   chunk[2 * depth + 1], chunk[size - 2 - 2 * depth], shift,
                                   rotated=flip == "long"))
            sheet += 1
    return Plan(pages, sheets_per_signature, len(counts), before, after, tuple(sides), counts)


# ------------------------------------------------------------------ options


@dataclass(frozen=True)
class ImposeOptions:
    """How to impose; :meth:`from_print_config` reads metadata.yaml's ``print:``."""

    sheet: str = "auto"
    sheets_per_signature: int = 4
    pad: str = "end"
    creep: float = 0.0
    flip: str = "short"
    sewing_marks: bool = False
    fold_lines: bool = False
    guide: bool = True
    collation_marks: bool = False

    @classmethod
    def from_print_config(cls, config: PrintConfig) -> ImposeOptions:
        sheets = config.sheets_per_signature or SIGNATURE_SHEETS[config.signature]
        return cls(sheet=config.sheet, sheets_per_signature=sheets, pad=config.pad,
                   creep=parse_length(config.creep, bare_zero=True) if config.creep else 0.0,
                   flip=config.flip, sewing_marks=config.sewing_marks,
                   fold_lines=config.fold_lines, collation_marks=config.collation_marks)


@dataclass(frozen=True)
class ImposeResult:
    """What was imposed, for the report and the printing guide."""

    target: Path
    plan: Plan
    sheet: str
    sheet_size: tuple[float, float]
    trim: tuple[float, float]
    scale: float
    crop_marks: bool
    guide_pages: int

    @property
    def sheet_label(self) -> str:
        return SHEET_NAMES[self.sheet]

    def summary(self) -> str:
        """One line for the build report."""
        plan = self.plan
        text = (f"{plan.sheets} sheets of {SHEET_NAMES[self.sheet]}, "
                f"{signature_counts(plan)}, {plan.blanks} blank page"
                f"{'s' if plan.blanks != 1 else ''} added")
        if plan.blanks:
            text += (" at the end" if not plan.blanks_before else
                     f" ({plan.blanks_before} before, {plan.blanks_after} after)")
        if self.scale < 1:
            text += f"; pages scaled to {self.scale:.0%}"
        return text


def _sheets(count: int) -> str:
    return f"{count} sheet{'s' if count != 1 else ''} ({4 * count} pages)"


def signature_counts(plan: Plan) -> str:
    """``5 signatures of 4 sheets (16 pages) and a last one of 1 sheet (4 pages)``."""
    full = plan.signatures - (1 if plan.last_sheets != plan.sheets_per_signature else 0)
    parts = []
    if full:
        parts.append(f"{full} signature{'s' if full != 1 else ''} of "
                     f"{_sheets(plan.sheets_per_signature)}")
    if full != plan.signatures:
        parts.append(("a last one of " if full else "1 signature of ")
                     + _sheets(plan.last_sheets))
    return " and ".join(parts)


# ------------------------------------------------------------------ geometry


def choose_sheet(name: str, trim: tuple[float, float]) -> str:
    """The sheet to print on: the one asked for, or for ``auto`` the best fit.

    ``auto`` picks the sheet whose half holds the page at full size with the
    least paper to spare (5.5 × 8.5 in → US Letter, A5 → A4); if neither holds
    it, the one that needs the least shrinking.
    """
    if name != "auto":
        if name not in SHEETS:
            raise ValueError(name)
        return name

    def key(item: tuple[str, tuple[float, float]]) -> tuple[float, float, str]:
        sheet, (width, height) = item
        return (-min(1.0, fit_scale(trim, (width, height))), width * height, sheet)

    return min(SHEETS.items(), key=key)[0]


def fit_scale(trim: tuple[float, float], sheet: tuple[float, float]) -> float:
    """1, or the factor that makes a page fit half the sheet (never enlarged).

    A page within a twentieth of a point of fitting fits: A5 is exactly half of
    A4, but PDFs round its size to a few decimals.
    """
    half = sheet[0] / 2
    scale = min(1.0, half / trim[0], sheet[1] / trim[1])
    return 1.0 if scale > 1 - FIT_TOLERANCE / max(trim) else scale


def sewing_stations(height: float) -> list[float]:
    """Stations from the head of a page ``height`` points tall, in points.

    Kettle stitches half an inch from head and tail, the stations between them
    evenly spaced at most 1.5 in apart and never fewer than three in all: six
    for a 8.5 in page, the usual count for a link stitch on a page that tall.
    """
    span = height - 2 * KETTLE_INSET
    if span <= 0:
        return [height / 2]
    intervals = max(2, math.ceil(span / STATION_SPACING - 1e-9))
    return [KETTLE_INSET + span * i / intervals for i in range(intervals + 1)]


def _num(value: float) -> str:
    """A number for a content stream: short, and the same on every machine."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class _Layout:
    sheet: tuple[float, float]
    trim: tuple[float, float]
    scale: float

    @property
    def page_size(self) -> tuple[float, float]:
        return self.trim[0] * self.scale, self.trim[1] * self.scale

    def origin(self, half: Literal["left", "right"], creep: float = 0.0) -> tuple[float, float]:
        """Lower-left corner of a page's trim on the sheet, centred on its half.

        ``creep`` moves it toward the fold (the spine of the folded sheet).
        """
        width, height = self.sheet
        pw, ph = self.page_size
        x = (width / 2 - pw) / 2
        if half == "right":
            x += width / 2
        x += creep if half == "left" else -creep
        return x, (height - ph) / 2

    @property
    def room(self) -> tuple[float, float]:
        """Paper to spare beyond the trim: at the fore-edge, and at head and tail."""
        pw, ph = self.page_size
        return (self.sheet[0] / 2 - pw) / 2, (self.sheet[1] - ph) / 2


def _crop_marks(layout: _Layout) -> list[str]:
    """Crop marks at the fore-edge corners of both pages, where there is room.

    There are none at the spine: it is the fold, which is sewn, not cut.
    """
    room_x, room_y = layout.room
    ops: list[str] = []
    pw, ph = layout.page_size
    for half in ("left", "right"):
        x, y = layout.origin(half)
        fore = x if half == "left" else x + pw
        outward = -1 if half == "left" else 1
        if room_y >= CROP_GAP + CROP_MIN:
            length = min(CROP_LENGTH, room_y - CROP_GAP)
            for edge, sign in ((y + ph, 1), (y, -1)):
                start = edge + sign * CROP_GAP
                ops.append(f"{_num(fore)} {_num(start)} m {_num(fore)} "
                           f"{_num(start + sign * length)} l S")
        if room_x >= CROP_GAP + CROP_MIN:
            length = min(CROP_LENGTH, room_x - CROP_GAP)
            for edge in (y, y + ph):
                start = fore + outward * CROP_GAP
                ops.append(f"{_num(start)} {_num(edge)} m {_num(start + outward * length)} "
                           f"{_num(edge)} l S")
    if not ops:
        return []
    return ["q 0 G 0.25 w [] 0 d", *ops, "Q"]


def _fold_marks(layout: _Layout, *, fold_lines: bool, sewing_marks: bool) -> list[str]:
    """Fold line ticks and sewing stations on the fold, for the centre spread.

    The fold-line ticks run from the sheet's edges into the head and tail
    margins (where a page has no text at the gutter); the sewing stations are
    short crossings of the fold, to pierce from inside the signature.
    """
    width, height = layout.sheet
    x = width / 2
    _, ph = layout.page_size
    _, y = layout.origin("left")
    ops: list[str] = []
    if fold_lines:
        ops += ["q 0.5 G 0.5 w [3 2] 0 d",
                f"{_num(x)} {_num(height)} m {_num(x)} {_num(y + ph - FOLD_TICK)} l S",
                f"{_num(x)} 0 m {_num(x)} {_num(y + FOLD_TICK)} l S", "Q"]
    if sewing_marks:
        ops.append("q 0.25 G 0.6 w [] 0 d")
        for station in sewing_stations(ph):
            at = y + ph - station
            ops.append(f"{_num(x - 4)} {_num(at)} m {_num(x + 4)} {_num(at)} l S")
        ops.append("Q")
    return ops


def collation_mark(layout: _Layout, signature: int) -> list[str]:
    """A black box across the fold of a signature's outside, a step lower each signature.

    Gathered, the signatures' spines show the boxes as a staircase from head to
    tail; a signature out of order or missing breaks the line. The box straddles
    the fold of the outermost sheet's front (the signature's outside), so half of
    it shows on the spine. It starts :data:`COLLATION_INSET` below the head (the
    head is trimmed at home) and wraps back to the top after the tail.
    """
    width, _ = layout.sheet
    _, ph = layout.page_size
    _, y = layout.origin("left")
    steps = max(1, int((ph - 2 * COLLATION_INSET) // COLLATION_HEIGHT))
    top = y + ph - COLLATION_INSET - (signature % steps) * COLLATION_HEIGHT
    return ["q 0 g",
            f"{_num(width / 2 - COLLATION_WIDTH / 2)} {_num(top - COLLATION_HEIGHT)} "
            f"{_num(COLLATION_WIDTH)} {_num(COLLATION_HEIGHT)} re f", "Q"]


# ------------------------------------------------------------------ the PDF


def _page_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    """The trim box of a book page (its media box when it has none)."""
    box = page.obj.get("/TrimBox") or page.obj.get("/CropBox") or page.mediabox
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _side_stream(side: SheetSide, layout: _Layout, names: dict[int, str],
                 boxes: Sequence[tuple[float, float, float, float]], *, crop: list[str],
                 centre_marks: list[str]) -> bytes:
    width, height = layout.sheet
    ops: list[str] = ["q"]
    if side.rotated:
        ops.append(f"-1 0 0 -1 {_num(width)} {_num(height)} cm")
    halves: tuple[tuple[Literal["left", "right"], int | None], ...] = (
        ("left", side.left), ("right", side.right))
    for half, page in halves:
        if page is None:
            continue
        x, y = layout.origin(half, side.creep)
        bx0, by0, _, _ = boxes[page]
        clip_x = 0.0 if half == "left" else width / 2
        ops.append(f"q {_num(clip_x)} 0 {_num(width / 2)} {_num(height)} re W n "
                   f"{_num(layout.scale)} 0 0 {_num(layout.scale)} "
                   f"{_num(x - layout.scale * bx0)} {_num(y - layout.scale * by0)} cm "
                   f"{names[page]} Do Q")
    ops += crop
    ops += centre_marks
    ops.append("Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def impose(source: Path, target: Path, options: ImposeOptions = ImposeOptions(), *,
           title: str | None = None, created: dt.datetime | None = None,
           source_name: str | None = None) -> ImposeResult:
    """Impose the book PDF ``source`` into ``target`` (the caller makes it atomic).

    The first two pages of ``target`` are the printing guide and its blank back
    (so printing the whole file duplex keeps every sheet's sides paired); the
    sheets follow, front then back.
    """
    import pikepdf

    book = _open_book(source)
    with book, _damaged(source):
        if not len(book.pages):
            raise BuildError("the book PDF has no pages", file=str(source))
        boxes = [_page_box(page) for page in book.pages]
        trim = (max(b[2] - b[0] for b in boxes), max(b[3] - b[1] for b in boxes))
        sheet = choose_sheet(options.sheet, trim)
        sheet_size = SHEETS[sheet]
        layout = _Layout(sheet_size, trim, fit_scale(trim, sheet_size))
        plan = plan_imposition(len(book.pages), sheets_per_signature=options.sheets_per_signature,
                               pad=options.pad, creep=options.creep, flip=options.flip)
        crop = _crop_marks(layout) if layout.scale == 1 else []
        centre = _fold_marks(layout, fold_lines=options.fold_lines,
                             sewing_marks=options.sewing_marks)
        result = ImposeResult(target, plan, sheet, sheet_size, trim, layout.scale, bool(crop),
                              2 if options.guide else 0)

        out = pikepdf.new()
        forms: dict[int, pikepdf.Object] = {}
        for index, page in enumerate(book.pages):
            form = book.make_indirect(page.as_form_xobject())
            forms[index] = out.copy_foreign(form)
        names = {index: f"/P{index + 1}" for index in forms}

        if options.guide:
            _add_guide(out, result, title=title, source_name=source_name or source.name,
                       options=options)
        for side in plan.sides:
            used = [p for p in (side.left, side.right) if p is not None]
            marks = centre if side.side == "back" and plan.is_innermost(side) else []
            if options.collation_marks and side.side == "front" and side.depth == 0:
                marks = [*marks, *collation_mark(layout, side.signature)]
            stream = _side_stream(side, layout, names, boxes, crop=crop, centre_marks=marks)
            page = out.add_blank_page(page_size=sheet_size)
            page.obj.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary({names[p]: forms[p] for p in used}))
            page.obj.Contents = out.make_stream(stream)
        _set_info(out, title, created)
        try:
            with library_writer(target) as sink:  # a full disk raises, never aborts
                out.save(sink, deterministic_id=True, compress_streams=True,
                         object_stream_mode=pikepdf.ObjectStreamMode.generate)
        except OSError as exc:
            raise BuildError(f"could not write the imposed PDF: {exc.strerror or exc}",
                             file=str(target)) from exc
    return result


def _open_book(source: Path) -> pikepdf.Pdf:
    """``source`` opened, or an error that says what is wrong with it (exit 4)."""
    import pikepdf

    try:
        return pikepdf.open(source)
    except pikepdf.PasswordError as exc:
        raise InputFileError(
            "the PDF is protected by a password, so its pages cannot be read",
            file=str(source),
            hint="save a copy without the password (a PDF viewer's export, or "
                 "`qpdf --password=PASSWORD --decrypt book.pdf open.pdf`) and impose that"
        ) from exc
    except pikepdf.PdfError as exc:
        raise _damaged_error(source, exc) from exc
    except OSError as exc:
        raise InputFileError(f"cannot read the PDF: {exc.strerror or exc}", file=str(source),
                             hint="check that the file exists and that you may read it") from exc


def _damaged_error(source: Path, exc: Exception) -> InputFileError:
    detail = str(exc).removeprefix(f"{source}: ").removeprefix(f"{source.name}: ")
    return InputFileError(
        f"not a PDF fanbind can read, or a damaged one ({detail})", file=str(source),
        hint="check that it opens in a PDF viewer; export or print it to PDF again "
             "(a download cut short is the usual cause)")


@contextlib.contextmanager
def _damaged(source: Path) -> Iterator[None]:
    """A PDF that opened but breaks while its pages are read: the same message."""
    import pikepdf

    try:
        yield
    except pikepdf.PdfError as exc:
        raise _damaged_error(source, exc) from exc


def _set_info(out: pikepdf.Pdf, title: str | None, created: dt.datetime | None) -> None:
    import pikepdf

    info = pikepdf.Dictionary(Creator=pikepdf.String("fanbind"),
                              Producer=pikepdf.String("fanbind (pikepdf)"))
    if title:
        info.Title = pikepdf.String(f"{title} – imposed for printing")
    if created is not None:
        stamp = created.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")
        info.CreationDate = pikepdf.String(stamp)
        info.ModDate = pikepdf.String(stamp)
    out.trailer.Info = out.make_indirect(info)


# ------------------------------------------------------------------ the printing guide


def guide_lines(result: ImposeResult, options: ImposeOptions, *,
                source_name: str) -> list[tuple[str, str]]:
    """The printing guide as (style, text) lines.

    Styles: ``h`` a heading, ``p`` a paragraph, ``t`` the heading of the
    signature list and ``s`` one entry of it.
    """
    plan = result.plan
    sheet_name = SHEET_NAMES[result.sheet]
    width_in, height_in = (v / 72 for v in result.trim)
    first, last = result.guide_pages + 1, result.guide_pages + 2 * plan.sheets
    size = 4 * plan.signature_sheets[0]  # signature 1's pages (the guide's example)
    lines: list[tuple[str, str]] = []
    lines.append(("p", f"Book: {source_name}, {plan.pages} pages of {width_in:.4g} × "
                       f"{height_in:.4g} in ({result.trim[0] / PT_PER_MM:.0f} × "
                       f"{result.trim[1] / PT_PER_MM:.0f} mm)."))
    lines.append(("p", f"Sheets: {plan.sheets} sheets of {sheet_name}, printed on both sides "
                       f"(PDF pages {first}-{last})."))
    lines.append(("p", f"Signatures: {signature_counts(plan)}."))
    if plan.blanks:
        where = ("at the end" if not plan.blanks_before else
                 f"{plan.blanks_before} before page 1, {plan.blanks_after} after the last page")
        lines.append(("p", f"Blank pages added: {plan.blanks} ({where}), so that every sheet "
                           "carries four pages."))
    else:
        lines.append(("p", "Blank pages added: none; the book fills every sheet."))
    if result.scale < 1:
        lines.append(("p", f"The pages are larger than half a {sheet_name} sheet and are "
                           f"printed at {result.scale:.0%}."))
    if options.creep:
        deepest = (plan.sheets_per_signature - 1) * options.creep
        lines.append(("p", f"Creep: inner sheets are shifted toward the fold by "
                           f"{options.creep / PT_PER_MM:.2g} mm per sheet (up to "
                           f"{deepest / PT_PER_MM:.2g} mm on the innermost)."))
    lines.append(("h", "How to print"))
    flip = "short" if options.flip == "short" else "long"
    lines.append(("p", f"Print the whole file on both sides of the paper: duplex, FLIP ON "
                       f"{flip.upper()} EDGE, at actual size (100 %, not ‘fit to page’)."))
    lines.append(("p", "This guide and its blank back are a sheet of their own; to skip it, "
                       f"print PDF pages {first}-{last}."))
    front = plan.sides[0]
    back = plan.sides[1]
    lines.append(("p", f"Test first: print PDF pages {first}-{first + 1} on one sheet. Its "
                       f"front carries book pages {_label(front.left, plan)} | "
                       f"{_label(front.right, plan)}, its back {_label(back.left, plan)} | "
                       f"{_label(back.right, plan)}, both upright, each page behind its "
                       "neighbour in the book."))
    lines.append(("h", "How to fold"))
    centre = plan.signature_pages(0)[size // 2 - 1:size // 2 + 1]
    lines.append(("p", f"Take the sheets of one signature (signature 1 is sheets 1-"
                       f"{plan.signature_sheets[0]}) in printed order. Stack them with the "
                       "first sheet at the bottom and the side showing the signature’s first "
                       "page face down."))
    lines.append(("p", "Fold the stack in half, short edge to short edge, so the centre spread "
                       f"(in signature 1: pages {_label(centre[0], plan)} | "
                       f"{_label(centre[1], plan)}) is inside; crease the fold with a bone "
                       "folder. The first sheet is now the outside."))
    marks = []
    if options.sewing_marks:
        marks.append(f"{len(sewing_stations(result.trim[1] * result.scale))} sewing stations "
                     "(short marks across the fold)")
    if options.fold_lines:
        marks.append("the fold (dashed ticks at head and tail)")
    if marks:
        lines.append(("p", "The centre spread of every signature shows " + " and ".join(marks)
                           + ": pierce from the inside."))
    if options.collation_marks:
        lines.append(("p", "A black box on the fold of each signature’s outside steps down "
                           "signature by signature: gathered in order, the spines show a "
                           "staircase; a gap or a step back is a signature missing or out "
                           "of place."))
    if result.crop_marks:
        lines.append(("p", "Crop marks at the fore-edge corners show where to trim the sewn "
                           "book block."))
    lines.append(("p", "Keep the signatures in order: they are numbered below."))
    lines.append(("t", "Signatures"))
    for signature in range(plan.signatures):
        pages = [p for p in plan.signature_pages(signature) if p is not None]
        blanks = 4 * plan.signature_sheets[signature] - len(pages)
        first_sheet = plan.first_sheet(signature) + 1
        last_sheet = first_sheet + plan.signature_sheets[signature] - 1
        sheets = (f"sheets {first_sheet}-{last_sheet}" if last_sheet > first_sheet
                  else f"sheet {first_sheet}")
        if not pages:
            text = f"{signature + 1}: {sheets}, blank"
        elif len(pages) == 1:
            text = f"{signature + 1}: {sheets}, page {pages[0] + 1}"
        else:
            text = f"{signature + 1}: {sheets}, pages {pages[0] + 1}-{pages[-1] + 1}"
        if pages and blanks:
            text += f" + {blanks} blank"
        lines.append(("s", text))
    return lines


def _label(page: int | None, plan: Plan) -> str:
    return "blank" if page is None else str(page + 1)


#: The most signatures the guide lists one by one (twelve rows of three columns).
GUIDE_SIGNATURES = 36


def _add_guide(out: pikepdf.Pdf, result: ImposeResult, *, title: str | None,
               source_name: str, options: ImposeOptions) -> None:
    """The printing guide and its blank back, set in the bundled EB Garamond (embedded).

    Text on the left, on the right a drawing of the test sheet's two sides, and
    the list of signatures across the foot of the page. Laid out by WeasyPrint
    (:func:`fanbind.pdf.layout.html_page_pdf`) and copied in as two pages.
    """
    import pikepdf

    # WeasyPrint only for the guide: imposing reads and writes PDFs with pikepdf.
    from fanbind.pdf.layout import html_page_pdf

    page_html, css = guide_document(result, title=title, source_name=source_name,
                                    options=options)
    data, _warnings = html_page_pdf(page_html, css, project_dir=STYLES_DIR)
    with pikepdf.open(io.BytesIO(data)) as guide:
        for page in guide.pages[:2]:
            out.pages.append(page)


def guide_document(result: ImposeResult, *, title: str | None, source_name: str,
                   options: ImposeOptions) -> tuple[str, str]:
    """The printing guide as HTML (two pages: the guide, its blank back) and its CSS."""
    plan = result.plan
    width, height = result.sheet_size
    margin = 48.0
    diagram_width = 220.0
    esc = html.escape
    heading = title or "Your book"
    heading = heading if len(heading) <= 60 else heading[:59] + "…"
    lines = guide_lines(result, options, source_name=source_name)
    text: list[str] = [f'<h1>{esc(heading)}: printing guide</h1>']
    for style, line in lines:
        if style == "h":
            text.append(f"<h2>{esc(line)}</h2>")
        elif style == "p":
            text.append(f"<p>{esc(line)}</p>")
    listed = [line for style, line in lines if style == "s"]
    if len(listed) > GUIDE_SIGNATURES:
        more = len(listed) - GUIDE_SIGNATURES + 1
        listed = [*listed[:GUIDE_SIGNATURES - 1], f"… and {more} more, in the same pattern"]
    heading_list = next(line for style, line in lines if style == "t")
    text.append(f'<h2 class="list">{esc(heading_list)}</h2><ul>'
                + "".join(f"<li>{esc(item)}</li>" for item in listed) + "</ul>")

    sheet_height = diagram_width * height / width
    turn = "top to bottom" if plan.sides[1].rotated else "sideways"
    diagram = []
    for side, caption in ((plan.sides[0], "Sheet 1, front"),
                          (plan.sides[1], f"Sheet 1, back (turned over {turn})")):
        halves = "".join(
            f'<div class="half{" blank" if page is None else ""}">{_label(page, plan)}</div>'
            for page in (side.left, side.right))
        diagram.append(f'<p class="caption">{esc(caption)}</p><div class="sheet">{halves}'
                       '<div class="fold"></div></div>')
    diagram.append('<p class="note">Dashed: the fold. Numbers: the book’s PDF pages.</p>')

    page_html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f'{esc(heading)}: printing guide</title></head><body>'
        f'<div class="diagram">{"".join(diagram)}</div>'
        f'<div class="text">{"".join(text)}</div>'
        '<p class="back">Back of the printing guide: intentionally blank.</p>'
        '</body></html>')
    pt = _num
    css = f"""
@font-face {{ font-family: "fanbind EB Garamond"; src: url(fonts/EBGaramond12-Regular.otf);
  font-style: normal; font-weight: normal; }}
@font-face {{ font-family: "fanbind EB Garamond"; src: url(fonts/EBGaramond12-Italic.otf);
  font-style: italic; font-weight: normal; }}
@page {{ size: {pt(width)}pt {pt(height)}pt; margin: {pt(margin)}pt {pt(margin)}pt
  {pt(margin / 2)}pt; }}
html {{ font-family: "fanbind EB Garamond", serif; font-size: 10pt; line-height: 12.5pt;
  hyphens: manual; font-variant-numeric: lining-nums; }}
body {{ margin: 0; }}
h1 {{ font-size: 18pt; line-height: 22pt; font-weight: normal; margin: 0 0 8pt; }}
h2 {{ font-size: 11pt; font-weight: normal; font-variant-caps: all-small-caps;
  letter-spacing: 0.08em; margin: 7pt 0 2pt; }}
p {{ margin: 0 0 3pt; }}
.text {{ width: {pt(width - 2 * margin - diagram_width - 24)}pt; }}
ul {{ list-style: none; padding: 0; margin: 0; columns: 3; font-size: 8.5pt;
  line-height: 10.5pt; }}
.diagram {{ position: absolute; right: 0; top: 0; width: {pt(diagram_width)}pt; }}
.caption {{ font-style: italic; font-size: 9pt; margin: 0 0 3pt; }}
.sheet {{ position: relative; height: {pt(sheet_height)}pt; border: 0.6pt solid black;
  margin-bottom: 10pt; }}
.half {{ float: left; width: 50%; height: 100%; line-height: {pt(sheet_height)}pt;
  text-align: center; font-size: 26pt; }}
.half.blank {{ font-size: 12pt; font-style: italic; }}
.fold {{ position: absolute; left: 50%; top: 0; bottom: 0;
  border-left: 0.5pt dashed #808080; }}
.note {{ font-size: 8pt; }}
.back {{ break-before: page; font-size: 8pt; }}
"""
    return page_html, css
