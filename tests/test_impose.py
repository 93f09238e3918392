"""Imposition: read the imposed PDF back and check every sheet side.

The book PDFs here are synthetic (made with pikepdf in milliseconds): each page
says ``PAGE n`` in its middle and ``TOP n`` near its head, so text extraction
in a box (pypdfium2) tells which book page sits on which half of a sheet side,
and whether it is upright. One test imposes the real sample book (the session's
``sample_build``) to check text and embedded fonts survive.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from typer.testing import CliRunner

from fanbind.pdf.impose import (
    PT_PER_MM,
    SHEETS,
    ImposeOptions,
    fit_scale,
    impose,
    plan_imposition,
    sewing_stations,
    split_padding,
)
from fanbind.units import parse_length

LETTER = SHEETS["letter"]
A4 = SHEETS["a4"]
TRIM_55 = (396.0, 612.0)  # 5.5 x 8.5 in
TRIM_A5 = (148 * PT_PER_MM, 210 * PT_PER_MM)
TRIM_5x8 = (360.0, 576.0)  # smaller than half a Letter sheet: crop marks


def make_book(path: Path, pages: int, trim: tuple[float, float] = TRIM_55) -> Path:
    """A book PDF whose page n says ``PAGE n`` (middle) and ``TOP n`` (near the head)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    width, height = trim
    for number in range(1, pages + 1):
        page = pdf.add_blank_page(page_size=trim)
        page.obj.TrimBox = pikepdf.Array([0, 0, width, height])
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        stream = (f"BT /F1 20 Tf 1 0 0 1 {width / 2 - 50} {height / 2} Tm (PAGE {number}) Tj ET\n"
                  f"BT /F1 12 Tf 1 0 0 1 {width / 2 - 30} {height - 60} Tm (TOP {number}) Tj ET\n"
                  f"0 0 {width} {height} re S\n")
        page.obj.Contents = pdf.make_stream(stream.encode())
    pdf.save(path)
    return path


def fold_order(sides: list[tuple[int | None, int | None]], sheets: int) -> list[int | None]:
    """Reading order of one signature, found by 'folding' its printed sides.

    ``sides`` alternates front, back (as seen, upright) for sheets outermost
    first. Folded with the front outside and nested, the book reads: for each
    sheet from the outside in, the front's right half then the back's left
    half; then from the inside out, the back's right half then the front's left
    half. Written from the physical picture, not from the imposition formula.
    """
    fronts = sides[0::2]
    backs = sides[1::2]
    order: list[int | None] = []
    for d in range(sheets):
        order += [fronts[d][1], backs[d][0]]
    for d in reversed(range(sheets)):
        order += [backs[d][1], fronts[d][0]]
    return order


def read_sides(path: Path, guide: int = 2) -> list[dict]:
    """Per sheet side: the book page number on each half and whether it is upright."""
    document = pypdfium2.PdfDocument(str(path))
    sides = []
    try:
        for index in range(guide, len(document)):
            page = document[index]
            width, height = page.get_size()
            text = page.get_textpage()
            info: dict = {"size": (round(width, 2), round(height, 2))}
            for half, (x0, x1) in (("left", (0, width / 2)), ("right", (width / 2, width))):
                found = re.findall(r"PAGE (\d+)", text.get_text_bounded(x0, 0, x1, height))
                info[half] = int(found[0]) if found else None
                assert len(found) <= 1, f"sheet page {index + 1} {half}: {found}"
                if found:
                    top_half = text.get_text_bounded(x0, height / 2, x1, height)
                    info[half + "_upright"] = "TOP" in top_half
            sides.append(info)
    finally:
        document.close()
    return sides


def content_ops(path: Path, page_index: int) -> list[tuple[list, str]]:
    with pikepdf.open(path) as pdf:
        return [(list(operands), str(op))
                for operands, op in pikepdf.parse_content_stream(pdf.pages[page_index])]


def placements(path: Path, page_index: int) -> dict[str, tuple[float, ...]]:
    """The ``cm`` matrix in force for each form XObject drawn on a sheet side."""
    result = {}
    last_cm = None
    for operands, op in content_ops(path, page_index):
        if op == "cm":
            last_cm = tuple(float(v) for v in operands)
        elif op == "Do":
            result[str(operands[0])] = last_cm
    return result


# ---------------------------------------------------------------- the plan


@pytest.mark.parametrize("sheets", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("pages", [1, 2, 3, 4, 7, 16, 17, 33, 75])
def test_plan_places_every_page_once_in_fold_order(pages, sheets):
    plan = plan_imposition(pages, sheets_per_signature=sheets)
    size = 4 * sheets
    assert plan.signatures == -(-pages // size)
    # Whole sheets, never a blank one: the last signature is as small as its pages allow.
    assert plan.sheets == -(-pages // 4)
    assert plan.blanks == -pages % 4 < 4
    assert plan.signature_sheets[:-1] == (sheets,) * (plan.signatures - 1)
    assert 1 <= plan.last_sheets <= sheets
    placed = [p for s in plan.sides for p in (s.left, s.right) if p is not None]
    assert sorted(placed) == list(range(pages))
    for signature in range(plan.signatures):
        sides = [(s.left, s.right) for s in plan.sides if s.signature == signature]
        assert fold_order(sides, plan.signature_sheets[signature]) == \
            plan.signature_pages(signature)
    reading = [p for sig in range(plan.signatures) for p in plan.signature_pages(sig)]
    assert [p for p in reading if p is not None] == list(range(pages))


def test_known_first_signatures():
    """The tables every imposition tool agrees on (psbook, bookbinder-js)."""
    def first(sheets: int) -> list[tuple[int | None, int | None]]:
        plan = plan_imposition(4 * sheets, sheets_per_signature=sheets)
        return [(s.left + 1, s.right + 1) for s in plan.sides]

    assert first(1) == [(4, 1), (2, 3)]
    assert first(2) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert first(4) == [(16, 1), (2, 15), (14, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)]


@pytest.mark.parametrize("blanks", range(0, 32))
def test_split_padding_keeps_rectos_on_the_right(blanks):
    before, after = split_padding(blanks, "split")
    assert before + after == blanks
    assert before % 2 == 0, "an odd number of blanks in front would swap rectos and versos"
    assert before <= after + 1
    assert split_padding(blanks, "end") == (0, blanks)


def test_creep_grows_toward_the_centre_of_each_signature():
    creep = parse_length("0.1mm")
    plan = plan_imposition(48, sheets_per_signature=6, creep=creep)
    for signature in range(plan.signatures):
        fronts = [s for s in plan.sides if s.signature == signature and s.side == "front"]
        shifts = [s.creep for s in fronts]
        assert shifts[0] == 0
        assert all(b > a for a, b in itertools.pairwise(shifts))
        assert shifts[-1] == pytest.approx(5 * creep)


def test_sewing_stations_for_a_half_letter_page():
    stations = sewing_stations(612)
    assert len(stations) == 6
    assert stations[0] == 36 and stations[-1] == 612 - 36
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(stations)}
    assert len(gaps) == 1 and gaps.pop() <= 108


# ---------------------------------------------------------------- the PDF


LAYOUTS = [("folio", 1), ("quarto", 2), ("octavo", 4), ("custom-5", 5), ("custom-8", 8)]


@pytest.mark.parametrize(("name", "sheets"), LAYOUTS)
def test_every_sheet_side_carries_the_right_pages_upright(tmp_path, name, sheets):
    book = make_book(tmp_path / "book.pdf", 37)
    target = tmp_path / "imposed.pdf"
    result = impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=sheets))
    sides = read_sides(target)
    plan = result.plan
    assert len(sides) == 2 * plan.sheets == 2 * -(-37 // 4)
    assert plan.signatures == -(-37 // (4 * sheets))
    assert all(side["size"] == LETTER for side in sides)
    for side, expected in zip(sides, plan.sides, strict=True):
        assert (side["left"], side["right"]) == (
            None if expected.left is None else expected.left + 1,
            None if expected.right is None else expected.right + 1)
        for half in ("left", "right"):
            if side[half] is not None:
                assert side[half + "_upright"], f"{name}: page {side[half]} is not upright"
    for signature in range(plan.signatures):
        count = plan.signature_sheets[signature]
        start = plan.first_sheet(signature)
        printed = [(s["left"], s["right"]) for s in sides[2 * start:2 * (start + count)]]
        order = fold_order(printed, count)
        first = signature * 4 * sheets + 1
        expected = [n if n <= 37 else None for n in range(first, first + 4 * count)]
        assert order == expected


def test_long_edge_flip_turns_every_back_side(tmp_path):
    book = make_book(tmp_path / "book.pdf", 16)
    target = tmp_path / "imposed.pdf"
    impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4, flip="long"))
    sides = read_sides(target)
    fronts, backs = sides[0::2], sides[1::2]
    assert all(s["left_upright"] and s["right_upright"] for s in fronts)
    assert not any(s["left_upright"] or s["right_upright"] for s in backs)
    # Turned by 180°, sheet 1's back (2 | 15 seen upright) prints as 15 | 2.
    assert (backs[0]["left"], backs[0]["right"]) == (15, 2)
    assert (fronts[0]["left"], fronts[0]["right"]) == (16, 1)


@pytest.mark.parametrize(("pad", "before", "after"), [("end", 0, 3), ("split", 2, 1)])
def test_padding_blanks_are_placed_and_reported(tmp_path, pad, before, after):
    book = make_book(tmp_path / "book.pdf", 9)
    target = tmp_path / "imposed.pdf"
    result = impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4, pad=pad))
    assert (result.plan.blanks_before, result.plan.blanks_after) == (before, after)
    sides = read_sides(target)
    halves = [s[h] for s in sides for h in ("left", "right")]
    assert halves.count(None) == 3
    order = fold_order([(s["left"], s["right"]) for s in sides], 3)
    assert order == [None] * before + list(range(1, 10)) + [None] * after
    assert "3 blank pages added" in result.summary()
    guide = guide_text(target)
    assert "Blank pages added: 3" in guide


def guide_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_guide_says_how_to_print_and_fold(tmp_path):
    book = make_book(tmp_path / "book.pdf", 75)
    target = tmp_path / "imposed.pdf"
    impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4),
           title="Bonds of the Leaf")
    text = " ".join(guide_text(target).split())
    assert "Bonds of the Leaf: printing guide" in text
    assert "19 sheets of US Letter" in text
    assert ("Signatures: 4 signatures of 4 sheets (16 pages) and a last one of 3 sheets "
            "(12 pages)") in text
    assert "FLIP ON SHORT EDGE" in text
    assert "PDF pages 3-40" in text
    assert "pages 8 | 9" in text  # the centre spread of signature 1
    assert "5: sheets 17-19, pages 65-75 + 1 blank" in text
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == 40
        assert [float(v) for v in pdf.pages[1].mediabox] == [0, 0, *LETTER]


def test_creep_moves_inner_sheets_toward_the_fold(tmp_path):
    creep = parse_length("0.1mm")
    book = make_book(tmp_path / "book.pdf", 24)
    target = tmp_path / "imposed.pdf"
    impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=6, creep=creep))
    centred = (LETTER[0] / 2 - TRIM_55[0]) / 2  # 0 for 5.5 in on Letter
    for depth in range(6):
        front = placements(target, 2 + 2 * depth)
        left_page, right_page = 24 - 2 * depth, 1 + 2 * depth
        left_x = front[f"/P{left_page}"][4]
        right_x = front[f"/P{right_page}"][4]
        assert left_x == pytest.approx(centred + depth * creep, abs=1e-3)
        assert right_x == pytest.approx(LETTER[0] / 2 + centred - depth * creep, abs=1e-3)
    # Toward the fold, growing sheet by sheet: the innermost moved 5 x 0.1 mm.
    inner = placements(target, 2 + 2 * 5)
    assert inner["/P14"][4] - centred == pytest.approx(5 * creep, abs=1e-3)


def test_sheet_auto_chooses_the_paper_the_trim_fits(tmp_path):
    for trim, sheet in ((TRIM_55, "letter"), (TRIM_A5, "a4")):
        book = make_book(tmp_path / "book.pdf", 4, trim)
        result = impose(book, tmp_path / "imposed.pdf", ImposeOptions(sheets_per_signature=1))
        assert result.sheet == sheet and result.scale == 1
        assert read_sides(tmp_path / "imposed.pdf")[0]["size"] == tuple(
            round(v, 2) for v in SHEETS[sheet])


def test_a_page_too_big_for_half_a_sheet_is_shrunk_not_cut(tmp_path):
    six_by_nine = (432.0, 648.0)
    book = make_book(tmp_path / "book.pdf", 4, six_by_nine)
    result = impose(book, tmp_path / "imposed.pdf",
                    ImposeOptions(sheet="letter", sheets_per_signature=1))
    assert result.scale == pytest.approx(fit_scale(six_by_nine, LETTER)) == pytest.approx(396 / 432)
    assert "scaled to 92%" in result.summary()
    sides = read_sides(tmp_path / "imposed.pdf")
    assert (sides[0]["left"], sides[0]["right"]) == (4, 1)


def stroked_lines(path: Path, page_index: int) -> list[tuple[float, float, float, float]]:
    """Every ``x0 y0 m x1 y1 l`` segment drawn on a sheet side."""
    lines, start = [], None
    for operands, op in content_ops(path, page_index):
        if op == "m":
            start = tuple(float(v) for v in operands)
        elif op == "l" and start is not None:
            lines.append((*start, *(float(v) for v in operands)))
    return lines


def test_crop_marks_only_when_the_trim_is_smaller_than_half_a_sheet(tmp_path):
    exact = make_book(tmp_path / "exact.pdf", 4, TRIM_55)
    result = impose(exact, tmp_path / "a.pdf", ImposeOptions(sheet="letter",
                                                             sheets_per_signature=1))
    assert not result.crop_marks and stroked_lines(tmp_path / "a.pdf", 2) == []
    small = make_book(tmp_path / "small.pdf", 4, TRIM_5x8)
    result = impose(small, tmp_path / "b.pdf", ImposeOptions(sheet="letter",
                                                             sheets_per_signature=1))
    assert result.crop_marks
    lines = stroked_lines(tmp_path / "b.pdf", 2)
    margin_x, margin_y = (396 - 360) / 2, (612 - 576) / 2
    fore_edges = {margin_x, 792 - margin_x}
    trim_lines = {margin_y, 612 - margin_y}
    # 2 pages x 2 corners x (one vertical + one horizontal mark); none at the spine.
    assert len(lines) == 8
    for x0, y0, x1, y1 in lines:
        if x0 == x1:
            assert x0 in fore_edges
            assert min(y0, y1) >= 612 - margin_y or max(y0, y1) <= margin_y
        else:
            assert y0 == y1 and y0 in trim_lines
            assert max(x0, x1) <= margin_x or min(x0, x1) >= 792 - margin_x
        assert 396 not in (x0, x1)


def test_sewing_marks_and_fold_lines_on_the_centre_spread_only(tmp_path):
    book = make_book(tmp_path / "book.pdf", 32)
    target = tmp_path / "imposed.pdf"
    impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4,
                                       sewing_marks=True, fold_lines=True))
    with pikepdf.open(target) as pdf:
        count = len(pdf.pages)
    centre_spreads = {2 + 2 * 3 + 1, 2 + 2 * 7 + 1}  # back of the 4th sheet of each signature
    for index in range(2, count):
        lines = stroked_lines(target, index)
        stations = [ln for ln in lines if ln[1] == ln[3] and ln[0] < 396 < ln[2]]
        folds = [ln for ln in lines if ln[0] == ln[2] == 396]
        if index in centre_spreads:
            assert len(stations) == 6
            heights = sorted(612 - ln[1] for ln in stations)
            assert heights == pytest.approx(sewing_stations(612))
            assert len(folds) == 2
        else:
            assert stations == [] and folds == []
    sides = read_sides(target)
    assert (sides[7]["left"], sides[7]["right"]) == (8, 9)


def test_pages_stay_vector_and_text_and_fonts_survive(sample_build, tmp_path):
    """The real sample book: each half of each sheet has its book page's text."""
    target = tmp_path / "imposed.pdf"
    result = impose(sample_build.pdf, target, ImposeOptions(sheet="letter",
                                                           sheets_per_signature=4))
    book = pypdfium2.PdfDocument(str(sample_build.pdf))
    sheets = pypdfium2.PdfDocument(str(target))
    try:
        book_text = [_words(book[i].get_textpage().get_text_range()) for i in range(len(book))]
        for index, side in enumerate(result.plan.sides):
            page = sheets[2 + index]
            width, height = page.get_size()
            text = page.get_textpage()
            for half, number, (x0, x1) in (("left", side.left, (0, width / 2)),
                                           ("right", side.right, (width / 2, width))):
                found = _words(text.get_text_bounded(x0, 0, x1, height))
                assert found == ("" if number is None else book_text[number]), (index, half)
    finally:
        book.close()
        sheets.close()
    with pikepdf.open(target) as pdf:
        fonts = set()
        for page in pdf.pages[2:]:
            for form in page.Resources.XObject.values():
                assert form.Subtype == "/Form"
                for xobject in form.get("/Resources", {}).get("/XObject", {}).values():
                    assert xobject.Subtype != "/Image", "a page was rasterised"
                for font in form.Resources.get("/Font", {}).values():
                    fonts.add(font.objgen)
                    descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                    descriptor = descendant.FontDescriptor
                    assert any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                         "/FontFile3")), "font not embedded"
        assert fonts, "no fonts found on the sheets"
        with pikepdf.open(sample_build.pdf) as source:
            in_book = {font.objgen for page in source.pages
                       for font in page.Resources.get("/Font", {}).values()}
        # WeasyPrint writes one font dictionary per font and feature set (small caps,
        # old-style figures…), so compare with the book rather than a fixed number.
        assert len(fonts) <= len(in_book), "each font is copied once, not once per page"


def _words(text: str) -> str:
    """Text with whitespace evened out and pdfium's line-break markers dropped.

    pdfium marks a hyphen at a line end as U+FFFE or U+0002 differently in a
    whole-page and a bounded extraction; it is the same glyph on the page.
    """
    return " ".join(re.sub("[\ufffe\u00ad\x00-\x08]", "", text).split())


def test_output_is_deterministic(tmp_path):
    book = make_book(tmp_path / "book.pdf", 20)
    options = ImposeOptions(sheet="a4", sheets_per_signature=3, sewing_marks=True,
                            creep=parse_length("0.1mm"))
    impose(book, tmp_path / "one.pdf", options, title="T")
    impose(book, tmp_path / "two.pdf", options, title="T")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()


def _locked(path: Path) -> None:
    make_book(path, 4)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="owner"))


def _cut_short(path: Path) -> None:
    make_book(path, 4)
    data = path.read_bytes()
    path.write_bytes(data[:120])  # the header and part of the first object


@pytest.mark.parametrize(("make", "what", "hint"), [
    (_locked, "the PDF is protected by a password", "without the password"),
    (lambda path: path.write_bytes(b"this is not a PDF"), "not a PDF fanbind can read",
     "opens in a PDF viewer"),
    (_cut_short, "not a PDF fanbind can read, or a damaged one", "cut short"),
    (lambda path: None, "the PDF to impose does not exist", "--pdf"),
])
def test_a_pdf_that_cannot_be_imposed_is_an_error_for_people(tmp_path, make, what, hint):
    """Named, said what is wrong, a hint, exit 4 (as for a story file); nothing written."""
    from fanbind.cli import app

    book = tmp_path / "book.pdf"
    make(book)
    done = CliRunner().invoke(app, ["impose", "--pdf", str(book), "-o", str(tmp_path / "out")])
    assert done.exit_code == 4, done.output
    text = " ".join(done.output.split())
    assert text.startswith(f"error: {book}: {what}")
    assert "Hint:" in text and hint in text
    assert "bug in fanbind" not in text and "Traceback" not in text
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# ---------------------------------------------------------------- CLI and build


def test_cli_imposes_a_given_pdf(tmp_path):
    from fanbind.cli import app

    make_book(tmp_path / "zine.pdf", 10)
    runner = CliRunner()
    done = runner.invoke(app, ["impose", str(tmp_path), "--pdf", str(tmp_path / "zine.pdf"),
                               "--sheet", "letter", "--signature", "quarto", "--pad", "split"])
    assert done.exit_code == 0, done.output
    target = tmp_path / "zine-imposed.pdf"
    assert ("3 sheets of US Letter, 1 signature of 2 sheets (8 pages) and a last one of 1 "
            "sheet (4 pages), 2 blank pages added at the end") in " ".join(done.output.split())
    sides = read_sides(target)
    assert len(sides) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    refused = runner.invoke(app, ["impose", str(tmp_path), "--pdf", str(tmp_path / "zine.pdf"),
                                  "--creep", "thick"])
    assert refused.exit_code == 2  # a wrong option is wrong usage, as --trim B5 is
    assert "--creep: 'thick' is not a length" in refused.output


def test_build_format_imposed_writes_the_sheets_next_to_the_book(tmp_path, monkeypatch):
    """A two-story project: the book PDF and ``<slug>-imposed.pdf`` beside it."""
    from fanbind.build import build

    (tmp_path / "a.txt").write_text("One\n\nA first story, short.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Two\n\nA second story, shorter.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text(
        "title: Tiny Zine\nstories:\n  - file: a.txt\n    author: A\n"
        "  - file: b.txt\n    author: B\nprint:\n  signature: folio\n  sewing_marks: yes\n",
        encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(tmp_path, formats=("imposed",))
    names = sorted(p.name for p in (tmp_path / "dist").iterdir())
    assert names == ["tiny-zine-imposed.pdf", "tiny-zine.pdf"]
    imposed = result.imposed[0]
    assert imposed.target == tmp_path / "dist" / "tiny-zine-imposed.pdf"
    assert imposed.plan.pages == result.pages
    assert imposed.plan.sheets_per_signature == 1
    assert len(read_sides(imposed.target)) == 2 * imposed.plan.sheets


def test_the_last_signature_is_made_smaller_instead_of_blank_sheets(tmp_path):
    """81 pages in 16-page signatures: five of 4 sheets and a last of 1 sheet (3 blank
    pages), where a whole last signature would have carried 15 blanks on 3 empty sheets."""
    book = make_book(tmp_path / "book.pdf", 81)
    target = tmp_path / "imposed.pdf"
    result = impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4))
    plan = result.plan
    assert plan.signature_sheets == (4, 4, 4, 4, 4, 1)
    assert (plan.sheets, plan.blanks) == (21, 3)
    sides = read_sides(target)
    sheets = [sides[i:i + 2] for i in range(0, len(sides), 2)]
    assert all(any(s[h] is not None for s in sheet for h in ("left", "right"))
               for sheet in sheets), "a wholly blank sheet"
    assert "5 signatures of 4 sheets (16 pages) and a last one of 1 sheet (4 pages), " \
        "3 blank pages added" in result.summary()
    text = " ".join(guide_text(target).split())
    assert "6: sheet 21, page 81 + 3 blank" in text
    exact = impose(make_book(tmp_path / "b.pdf", 80), target,
                   ImposeOptions(sheet="letter", sheets_per_signature=4))
    assert exact.plan.blanks == 0 and exact.plan.signature_sheets == (4,) * 5


def test_the_guide_is_set_in_the_bundled_font_with_real_signs(tmp_path):
    """EB Garamond, embedded (no base-14 Helvetica); a real × and curly quotes."""
    book = make_book(tmp_path / "book.pdf", 20)
    target = tmp_path / "imposed.pdf"
    impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4), title="Zine")
    with pikepdf.open(target) as pdf:
        for index in (0, 1):
            fonts = pdf.pages[index].obj.Resources.Font
            assert len(fonts) >= 1
            for _name, font in fonts.items():
                assert "EB-Garamond" in str(font.BaseFont)
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                assert any(key in descriptor for key in ("/FontFile", "/FontFile2",
                                                         "/FontFile3")), "not embedded"
    text = " ".join(guide_text(target).split())
    assert "5.5 × 8.5 in" in text and " x " not in text
    assert "not ‘fit to page’" in text and "'" not in text
    document = pypdfium2.PdfDocument(str(target))
    try:
        back = document[1].get_textpage().get_text_range()
    finally:
        document.close()
    assert "intentionally blank" in back


def filled_boxes(path: Path, page_index: int) -> list[tuple[float, float, float, float]]:
    """The rectangles filled on a sheet side (x, y, width, height)."""
    found, pending = [], []
    for operands, op in content_ops(path, page_index):
        if op == "re":
            pending.append(tuple(float(v) for v in operands))
        elif op in ("f", "f*", "F"):
            found += pending
            pending = []
        elif op in ("S", "n", "W"):
            pending = []
    return found


def test_collation_marks_step_down_signature_by_signature(tmp_path):
    """One box per signature, on the fold of its outermost sheet's front, each one a box
    lower than the last; no box anywhere else (the option off: none at all)."""
    book = make_book(tmp_path / "book.pdf", 81)
    target = tmp_path / "imposed.pdf"
    result = impose(book, target, ImposeOptions(sheet="letter", sheets_per_signature=4,
                                                collation_marks=True))
    plan = result.plan
    outsides = {2 + 2 * plan.first_sheet(k): k for k in range(plan.signatures)}
    tops = []
    with pikepdf.open(target) as pdf:
        count = len(pdf.pages)
    for index in range(2, count):
        boxes = [b for b in filled_boxes(target, index) if b[0] < 396 < b[0] + b[2]]
        if index in outsides:
            assert len(boxes) == 1, f"sheet side {index + 1}"
            x, y, width, height = boxes[0]
            assert x + width / 2 == pytest.approx(396)  # across the fold
            tops.append(y + height)
        else:
            assert boxes == [], f"sheet side {index + 1}: a box off the signature's outside"
    assert len(tops) == plan.signatures == 6
    steps = [a - b for a, b in itertools.pairwise(tops)]
    assert all(step == pytest.approx(steps[0]) and step > 0 for step in steps)
    assert "staircase" in " ".join(guide_text(target).split())
    plain = impose(book, tmp_path / "plain.pdf", ImposeOptions(sheet="letter"))
    assert all(not [b for b in filled_boxes(tmp_path / "plain.pdf", i) if b[0] < 396 < b[0] + b[2]]
               for i in range(2, 2 + 2 * plain.plan.sheets))


def test_cli_collation_marks_option(tmp_path):
    from fanbind.cli import app

    make_book(tmp_path / "zine.pdf", 20)
    done = CliRunner().invoke(app, ["impose", str(tmp_path), "--pdf", str(tmp_path / "zine.pdf"),
                                    "--sheet", "letter", "--signature", "quarto",
                                    "--collation-marks"])
    assert done.exit_code == 0, done.output
    target = tmp_path / "zine-imposed.pdf"
    fronts = [2, 6, 10]  # the outermost sheets of three 2-sheet signatures (20 pages)
    found = [[b for b in filled_boxes(target, i) if b[0] < 396 < b[0] + b[2]] for i in fronts]
    assert all(len(boxes) == 1 for boxes in found)
