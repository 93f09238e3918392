"""Print-on-demand presets (``print: service:``), crop marks in the slug, the cover wrap.

The PDFs are read back with pikepdf (page boxes, outline, annotations) and
pypdfium2 (where the ink is). Books are small (two short stories, about 20
pages) and built once per module and setting: each build lays out a PDF.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml

from fanbind.build import build
from fanbind.errors import MetadataError
from fanbind.pdf.geometry import page_geometry
from fanbind.print_services import KDP_GUTTER, SERVICES
from fanbind.settings import parse_config, print_settings

IN = 72.0
PARAGRAPH = ("The ferry left at dawn, and the gulls followed it out past the breakwater, "
             "calling over the wake while the passengers stood at the rail and watched "
             "the town grow small behind them. Nobody spoke until the lighthouse had gone.")


def write_book(root: Path, print_settings: dict | None = None, *, paragraphs: int = 40,
               stories: int = 2) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for number in range(stories):
        name = f"story{number}.txt"
        (root / name).write_text(f"Crossing {number + 1}\n\n"
                                 + "\n\n".join([PARAGRAPH] * paragraphs), encoding="utf-8")
        entries.append({"file": name, "title": f"Crossing {number + 1}", "authors": ["Eli Park"],
                        "summary": "A ferry, a town, gulls.",
                        "source": f"https://archiveofourown.org/works/{number + 1}"})
    meta: dict = {"title": "Paper Cranes", "editors": ["Fay Quill"],
                  "description": "Two crossings by ferry, in a fixture book for the print tests.",
                  "stories": entries}
    if print_settings:
        meta["print"] = print_settings
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return root


def build_book(root: Path, monkeypatch: pytest.MonkeyPatch | None = None,
               formats: tuple[str, ...] = ("pdf",)) -> Path:
    if monkeypatch is not None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(root, formats=formats, jobs=1, cache=False)
    return root / "dist" / "paper-cranes.pdf"


def box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.obj[name])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def ink(path: Path) -> list[tuple[float, float, float, float] | None]:
    """Per page, the bounding box of its text in PDF user space (None: no text)."""
    document = pdfium.PdfDocument(str(path))
    out: list[tuple[float, float, float, float] | None] = []
    try:
        for page in document:
            textpage = page.get_textpage()
            boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
            boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
            if not boxes:
                out.append(None)
                continue
            # pdfium gives boxes in the page's user space, as the PDF boxes are.
            out.append((min(b[0] for b in boxes), min(b[1] for b in boxes),
                        max(b[2] for b in boxes), max(b[3] for b in boxes)))
    finally:
        document.close()
    return out


# ------------------------------------------------------------------ settings

BASE = "title: T\nstories:\n  - file: a.txt\n    author: A\n"


def test_service_names_fold_and_home_is_the_default() -> None:
    assert parse_config(BASE, file="metadata.yaml").print.service == "home"
    config = parse_config(BASE + "print:\n  service: KDP\n  paper: Cream\n", file="metadata.yaml")
    assert (config.print.service, config.print.paper) == ("kdp", "cream")


@pytest.mark.parametrize("name", [n for n, row in SERVICES.items() if not row.marks])
def test_crop_marks_with_a_service_that_refuses_them_is_one_located_error(name: str) -> None:
    text = BASE + f"print:\n  service: {name}\n  crop_marks: true\n"
    with pytest.raises(MetadataError) as info:
        parse_config(text, file="metadata.yaml")
    error = info.value
    assert (error.file, error.line) == ("metadata.yaml", 7)
    assert "crop marks" in str(error) and SERVICES[name].label in str(error)


def test_a_bleed_the_service_does_not_use_is_refused_at_its_line() -> None:
    with pytest.raises(MetadataError) as info:
        parse_config(BASE + "print:\n  service: kdp\n  bleed: 5mm\n", file="metadata.yaml")
    assert info.value.line == 7 and "0.125in" in str(info.value)
    assert parse_config(BASE + "print:\n  service: kdp\n  bleed: 0.125in\n",
                        file="metadata.yaml").print.bleed == "0.125in"


def test_a_page_too_short_for_the_services_margins_is_refused_by_check() -> None:
    """Heads and folios keep a service's margin too: a squat page that holds ten lines at
    home does not within Lulu's half inch, and `fanbind check` says so before any layout."""
    page = "print:\n  width: 5in\n  height: 3.5in\n"
    assert parse_config(BASE + page, file="metadata.yaml").print.service == "home"
    with pytest.raises(MetadataError) as info:
        parse_config(BASE + page + "  service: lulu\n", file="metadata.yaml")
    assert "too short" in str(info.value) and "Lulu's 0.5in margins" in str(info.value)


def test_even_page_counts_where_the_service_wants_them() -> None:
    assert print_settings({"service": "home"}).page_multiple is None
    assert print_settings({"service": "ingramspark"}).page_multiple == 2
    assert print_settings({"service": "kdp", "pad_to": 16}).page_multiple == 16
    assert print_settings({"service": "lulu", "pad_to": 3}).page_multiple == 6


# ------------------------------------------------------------------ geometry


@pytest.mark.parametrize("trim", ["5x8", "5.5x8.5", "6x9", "A5"])
@pytest.mark.parametrize("pages", [24, 150, 151, 300, 301, 500, 501, 700, 701, 828])
def test_kdp_inside_margin_is_at_least_its_gutter_table(trim: str, pages: int) -> None:
    config = print_settings({"service": "kdp", "trim": trim, "bleed": "0.125in"})
    geometry = page_geometry(config, pages=pages)
    least = next(margin for limit, margin in KDP_GUTTER if limit is None or pages <= limit)
    assert geometry.inner >= least - 1e-6
    assert geometry.outer >= 0.375 * IN


def test_kdp_bleeds_top_bottom_and_outside_only() -> None:
    geometry = page_geometry(print_settings({"service": "kdp", "bleed": "0.125in"}), pages=100)
    b = 0.125 * IN
    assert geometry.page_bleed("right") == (b, b, b, 0.0)  # top, right (outside), bottom, left
    assert geometry.page_bleed("left") == (b, 0.0, b, b)
    home = page_geometry(print_settings({"bleed": "0.125in"}), pages=100)
    assert home.page_bleed("right") == home.page_bleed("left") == (b, b, b, b)


def test_home_geometry_is_unchanged_by_the_presets() -> None:
    """Home printing is today's behaviour: the same page as before services existed."""
    home = page_geometry(print_settings({}), pages=80)
    assert (round(home.top, 3), round(home.bottom, 3), home.lines) == (
        round(page_geometry(print_settings({"service": "home"}), pages=80).top, 3),
        round(home.bottom, 3), home.lines)
    assert "bleed" not in home.css() and "marks" not in home.css()


# ------------------------------------------------------------------ built books


@pytest.fixture(scope="module")
def kdp_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    try:
        root = write_book(tmp_path_factory.mktemp("kdp"), {"service": "kdp", "bleed": "0.125in"})
        return build_book(root, mp)
    finally:
        mp.undo()


def test_kdp_pages_are_trim_plus_bleed_on_three_edges(kdp_book: Path) -> None:
    width, height = 5.5 * IN, 8.5 * IN
    with pikepdf.open(kdp_book) as pdf:
        for index, page in enumerate(pdf.pages):
            media, trim = box(page, "/MediaBox"), box(page, "/TrimBox")
            assert trim[2] - trim[0] == pytest.approx(width, abs=0.01)
            assert media[2] - media[0] == pytest.approx(width + 0.125 * IN, abs=0.01)
            assert media[3] - media[1] == pytest.approx(height + 0.25 * IN, abs=0.01)
            recto = index % 2 == 0
            inside = trim[0] - media[0] if recto else media[2] - trim[2]
            outside = media[2] - trim[2] if recto else trim[0] - media[0]
            assert inside == pytest.approx(0, abs=0.01), f"page {index + 1}: bleed at the spine"
            assert outside == pytest.approx(0.125 * IN, abs=0.01)


def test_kdp_file_has_no_outline_no_annotations_and_an_even_count(kdp_book: Path) -> None:
    with pikepdf.open(kdp_book) as pdf:
        assert "/Outlines" not in pdf.Root
        assert not any("/Annots" in page.obj for page in pdf.pages)
        assert len(pdf.pages) % 2 == 0


def test_kdp_heads_folios_and_text_keep_the_bleed_book_margin(kdp_book: Path) -> None:
    """Running heads and folios count as content: 0.375 in from the trim (with bleed)."""
    least = 0.375 * IN
    with pikepdf.open(kdp_book) as pdf:
        trims = [box(page, "/TrimBox") for page in pdf.pages]
    checked = 0
    for index, (found, trim) in enumerate(zip(ink(kdp_book), trims, strict=True)):
        if found is None:
            continue
        checked += 1
        left, bottom, right, top = found
        assert trim[3] - top >= least, f"page {index + 1}: head {(trim[3] - top) / IN:.3f} in"
        assert bottom - trim[1] >= least, f"page {index + 1}: folio too near the foot"
        assert left - trim[0] >= least and trim[2] - right >= least, f"page {index + 1}"
    assert checked > 10


def test_ingramspark_pads_an_odd_book_to_an_even_count(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two books a paragraph-page apart: both come out even, one of them by a blank page."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    padded = []
    for paragraphs in (30, 36):
        root = write_book(tmp_path / str(paragraphs), {"service": "ingramspark"}, stories=1,
                          paragraphs=paragraphs)
        result = build(root, formats=("pdf",), jobs=1, cache=False)
        assert result.pdf is not None and result.pdf.pages % 2 == 0
        with pikepdf.open(root / "dist" / "paper-cranes.pdf") as pdf:
            assert len(pdf.pages) == result.pdf.pages
            assert "/Outlines" in pdf.Root  # IngramSpark does not refuse bookmarks
        padded.append(result.pdf.padded)
    assert 1 in padded, "neither fixture book was odd: the padding went untested"


# ------------------------------------------------------------------ crop marks


@pytest.fixture(scope="module")
def marked_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    try:
        root = write_book(tmp_path_factory.mktemp("marks"),
                          {"bleed": "0.125in", "crop_marks": True}, stories=1, paragraphs=12)
        return build_book(root, mp)
    finally:
        mp.undo()


def test_crop_marks_sit_in_a_slug_outside_the_bleed(marked_book: Path) -> None:
    """MediaBox ⊃ BleedBox ⊃ TrimBox, and every mark lies outside the BleedBox."""
    document = pdfium.PdfDocument(str(marked_book))
    with pikepdf.open(marked_book) as pdf:
        try:
            for index, page in enumerate(pdf.pages):
                media, bleed, trim = (box(page, n) for n in ("/MediaBox", "/BleedBox",
                                                              "/TrimBox"))
                assert [round(bleed[i] - trim[i], 2) for i in range(4)] == [-9, -9, 9, 9]
                assert media[0] < bleed[0] - 18 and media[1] < bleed[1] - 18
                assert media[2] > bleed[2] + 18 and media[3] > bleed[3] + 18
                marks = [obj for obj in document[index].get_objects()
                         if obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH]
                outside = [obj for obj in marks if not _overlaps(obj.get_bounds(), bleed)]
                assert len(outside) == 8, f"page {index + 1}: {len(outside)} marks in the slug"
                # Nothing drawn between the trim and the bleed's edge, a mark least of all.
                in_bleed = [obj for obj in marks if _overlaps(obj.get_bounds(), bleed)
                            and not _within(obj.get_bounds(), trim)]
                assert not in_bleed, f"page {index + 1}: something drawn in the bleed"
        finally:
            document.close()


def _overlaps(pos: tuple[float, float, float, float],
              rect: tuple[float, float, float, float]) -> bool:
    return pos[0] < rect[2] and pos[2] > rect[0] and pos[1] < rect[3] and pos[3] > rect[1]


def _within(pos: tuple[float, float, float, float],
            rect: tuple[float, float, float, float]) -> bool:
    return pos[0] >= rect[0] and pos[2] <= rect[2] and pos[1] >= rect[1] and pos[3] <= rect[3]


# ------------------------------------------------------------------ the cover wrap


def cover_meta(root: Path, description: str | None = None, **print_settings: object):
    from fanbind.build import typeset_config
    from fanbind.settings import load_config

    write_book(root, dict(print_settings) or None, stories=1, paragraphs=2)
    meta = typeset_config(load_config(root / "metadata.yaml"))
    if description is not None:
        meta = meta.model_copy(update={"description": description})
    return meta


def draw_wrap(root: Path, pages: int, *, description: str | None = None,
              front: Path | None = None, **print_settings: object):
    from fanbind.pdf.cover_wrap import write_cover_wrap

    meta = cover_meta(root, description, **print_settings)
    target = root / f"cover-{pages}.pdf"
    wrap, warnings = write_cover_wrap(meta, pages=pages, target=target, project_dir=root,
                                      front_image=front)
    assert warnings == ()
    return wrap, target


def chars_in(path: Path, rect: tuple[float, float, float, float]) -> str:
    """The characters whose boxes meet ``rect`` (left, bottom, right, top; PDF space)."""
    document = pdfium.PdfDocument(str(path))
    try:
        textpage = document[0].get_textpage()
        found = []
        for i in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(i)
            if right > left and left < rect[2] and right > rect[0] and bottom < rect[3] \
                    and top > rect[1]:
                found.append(textpage.get_text_range(i, 1))
        return "".join(found)
    finally:
        document.close()


@pytest.mark.parametrize(("pages", "paper", "inches"), [
    (100, "white", 0.2252), (200, "white", 0.4504), (300, "cream", 0.75), (82, "cream", 0.205),
])
def test_spine_width_is_pages_times_the_papers_thickness(pages: int, paper: str,
                                                         inches: float) -> None:
    from fanbind.pdf.cover_wrap import spine_width

    for service in ("kdp", "home"):  # home printing uses KDP's figures
        assert spine_width(pages, service=service, paper=paper) == pytest.approx(inches * IN)


def test_the_wrap_is_back_spine_front_at_trim_height_plus_bleed(tmp_path: Path) -> None:
    wrap, path = draw_wrap(tmp_path, 120, service="kdp", paper="cream", trim="6x9")
    spine = 120 * 0.0025 * IN
    assert wrap.spine == pytest.approx(spine)
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        trim, bleed, media = (box(page, n) for n in ("/TrimBox", "/BleedBox", "/MediaBox"))
    assert trim[2] - trim[0] == pytest.approx(2 * 6 * IN + spine, abs=0.01)
    assert trim[3] - trim[1] == pytest.approx(9 * IN, abs=0.01)
    assert media[2] - media[0] == pytest.approx(2 * 6 * IN + spine + 0.25 * IN, abs=0.01)
    assert media[3] - media[1] == pytest.approx(9.25 * IN, abs=0.01)
    assert bleed == pytest.approx(media, abs=0.01)


@pytest.mark.parametrize(("pages", "shown"), [(60, False), (79, False), (80, False),
                                              (300, True)])
def test_spine_text_only_when_the_spine_is_wide_enough(tmp_path: Path, pages: int,
                                                       shown: bool) -> None:
    """KDP: more than 79 pages, and room for 6 pt type (80 white pages: a 0.18 in spine)."""
    wrap, path = draw_wrap(tmp_path, pages, service="kdp")
    spine = (wrap.trim_width + 1, 0, wrap.trim_width + wrap.spine - 1, wrap.trim_height)
    text = chars_in(path, spine)
    assert ("Paper" in text.replace(" ", "")) is shown, repr(text)
    assert (wrap.spine_type is not None) is shown


def test_the_barcode_area_is_kept_free(tmp_path: Path) -> None:
    """No text and no image in KDP's 2 × 1.2 in at the foot of the back, whatever the
    description's length and with a front image."""
    from PIL import Image

    Image.new("RGB", (400, 600), "#884422").save(tmp_path / "front.png")
    long = " ".join(["The ferry left at dawn and the gulls followed it out."] * 120)
    wrap, path = draw_wrap(tmp_path, 200, description=long, front=tmp_path / "front.png",
                           service="kdp")
    left, top, width, height = wrap.barcode
    assert (width, height) == pytest.approx((2 * IN, 1.2 * IN))
    assert left + width <= wrap.trim_width and top + height <= wrap.trim_height
    rect = (left, wrap.trim_height - top - height, left + width, wrap.trim_height - top)
    assert chars_in(path, rect) == ""
    assert "ferry" in chars_in(path, (0, 0, wrap.trim_width, wrap.trim_height)), \
        "the description is on the back"
    document = pdfium.PdfDocument(str(path))
    try:
        images = [obj.get_bounds() for obj in document[0].get_objects()
                  if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    finally:
        document.close()
    assert len(images) == 1
    assert images[0][0] > left + width  # the image is the front's, clear of the back


def test_the_wrap_is_reproducible(tmp_path: Path) -> None:
    _, first = draw_wrap(tmp_path / "a", 150)
    _, second = draw_wrap(tmp_path / "b", 150)
    assert first.read_bytes() == second.read_bytes()


def test_build_format_cover_sizes_the_spine_by_the_final_interior(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_book(tmp_path, {"service": "ingramspark", "paper": "cream"}, paragraphs=20)
    interior = build_book(root, monkeypatch, formats=("cover",))
    cover = root / "dist" / "paper-cranes-cover.pdf"
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
    assert pages % 2 == 0  # IngramSpark's even count is the count the spine is made from
    with pikepdf.open(cover) as pdf:
        trim = box(pdf.pages[0], "/TrimBox")
    assert trim[2] - trim[0] == pytest.approx(2 * 5.5 * IN + pages * 0.0025 * IN, abs=0.01)


def test_an_unreadable_cover_image_and_a_cut_description_are_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_book(tmp_path, stories=1, paragraphs=3)
    meta = yaml.safe_load((root / "metadata.yaml").read_text(encoding="utf-8"))
    meta["cover"] = "front.png"
    meta["description"] = " ".join(["The ferry left at dawn and the gulls followed it."] * 150)
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    (root / "front.png").write_bytes(b"this is not a PNG")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(root, formats=("cover",), jobs=1, cache=False)
    found = {d.code: d for d in result.diagnostics}
    assert "FB604" in found and "front.png" in found["FB604"].message
    assert "FB605" in found
    assert (root / "dist" / "paper-cranes-cover.pdf").exists()


def test_each_volume_gets_a_cover_sized_by_its_own_pages(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_book(tmp_path, {"volumes": 2}, stories=2, paragraphs=12)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(root, formats=("cover",), jobs=1, cache=False)
    for number in (1, 2):
        interior = root / "dist" / f"paper-cranes-volume-{number}.pdf"
        with pikepdf.open(interior) as pdf:
            pages = len(pdf.pages)
        with pikepdf.open(interior.with_name(interior.stem + "-cover.pdf")) as pdf:
            trim = box(pdf.pages[0], "/TrimBox")
        assert trim[2] - trim[0] == pytest.approx(2 * 5.5 * IN + pages * 0.002252 * IN, abs=0.01)
