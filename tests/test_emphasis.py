"""Every inline kind of the model shows in both books (issue 14): bold in the bundled
bold faces, underline and strike-through drawn at the face's own place.

One small book (a Markdown story of three paragraphs, ~9 pages with its front
matter) is built twice for the module: one WeasyPrint layout to read back, one to
compare byte for byte. The bundled faces are checked with fontTools alone.
"""

from __future__ import annotations

import ctypes
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from fontTools.ttLib import TTFont

from fanbind.cover import font_charmap
from fanbind.resources import BOLD_FONT_FILES, FONT_FILES, FONTS_DIR

REPO = Path(__file__).resolve().parent.parent
#: The bold faces and the EB Garamond 12 face each stands beside.
COMPANIONS = {"EBGaramond-Bold.otf": "EBGaramond12-Regular.otf",
              "EBGaramond-BoldItalic.otf": "EBGaramond12-Italic.otf"}

STORY = """\
# The Tide Clock

The tide clock ran **backwards**, and Wen-li liked it *better* that way. It told her
***how long*** she had left, and *the logbook said **never** to wind it*.

She had written <u>eleven</u> entries in <s>pencil</s> ink, and the harbour master
had underlined the word <u>thick</u> twice, and struck out <del>fog</del> and <strike>mist</strike>.

“**Don’t**,” she said. The sign read **naïve café Æsop**.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(EPUB, PDF, the PDF of a second build of the same project)."""
    from fanbind.build import build

    project = tmp_path_factory.mktemp("emphasis")
    (project / "stories").mkdir()
    (project / "stories" / "tide.md").write_text(STORY, encoding="utf-8")
    (project / "metadata.yaml").write_text(
        "title: Bold Tides\nembed_fonts: true\nstories:\n"
        "  - {file: stories/tide.md, authors: [Someone]}\n", encoding="utf-8")
    again = tmp_path_factory.mktemp("emphasis-again") / "book"
    shutil.copytree(project, again)
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        for root in (project, again):
            result = build(root, cache=False)
            outputs.append({p.suffix: p for p in result.outputs})
    return outputs[0][".epub"], outputs[0][".pdf"], outputs[1][".pdf"]


def _font(textpage: pdfium.PdfTextPage, index: int) -> str:
    """The PDF font name of a character, subset tag dropped."""
    size = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, None)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, size, None)
    return buffer.value.decode("utf-8", "replace").split("+")[-1]


def _story_page(pdf: Path) -> tuple[pdfium.PdfPage, pdfium.PdfTextPage]:
    for page in pdfium.PdfDocument(str(pdf)):
        textpage = page.get_textpage()
        if "backwards" in textpage.get_text_range():
            return page, textpage
    raise AssertionError("the story's page is not in the PDF")


def _fonts_of(textpage: pdfium.PdfTextPage, run: str) -> set[str]:
    """The fonts of a run's letters (spaces and punctuation may come from either side)."""
    search = textpage.search(run, match_case=True)
    found = search.get_next()
    assert found is not None, run
    start, count = found
    return {_font(textpage, i) for i in range(start, start + count)
            if textpage.get_text_range(i, 1).isalpha()}


@pytest.mark.slow
@pytest.mark.parametrize(("run", "face"), [
    ("backwards", "fanbind-EB-Garamond-Bold"),
    ("naïve café Æsop", "fanbind-EB-Garamond-Bold"),
    ("Don’t", "fanbind-EB-Garamond-Bold"),
    ("how long", "fanbind-EB-Garamond-Bold-Italic"),  # ***both***
    ("never", "fanbind-EB-Garamond-Bold-Italic"),     # bold inside italic
    ("better", "fanbind-EB-Garamond-Italic"),
    ("ink", "fanbind-EB-Garamond"),
])
def test_each_run_is_set_in_its_face(built: tuple[Path, Path, Path], run: str,
                                     face: str) -> None:
    _, pdf, _ = built
    _, textpage = _story_page(pdf)
    assert _fonts_of(textpage, run) == {face}


def _baseline(textpage: pdfium.PdfTextPage, index: int) -> float:
    x, y = ctypes.c_double(), ctypes.c_double()
    assert pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
    return y.value


@pytest.mark.slow
@pytest.mark.parametrize(("run", "line"), [
    ("eleven", "under"), ("thick", "under"),
    ("pencil", "through"), ("fog", "through"), ("mist", "through"),
])
def test_underline_and_strike_through_are_drawn_under_and_through_the_run(
        built: tuple[Path, Path, Path], run: str, line: str) -> None:
    """A rule as long as the run, as thick as the face says (50/1000 em), under the
    baseline for ``u``, across the lower-case letters for ``s``/``del``/``strike``."""
    _, pdf, _ = built
    page, textpage = _story_page(pdf)
    start, count = textpage.search(run, match_case=True).get_next()
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    baseline = _baseline(textpage, start)
    em = pdfium_c.FPDFText_GetFontSize(textpage.raw, start)
    rules = []
    for path in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=5):
        x0, y0, x1, y1 = path.get_pos() if hasattr(path, "get_pos") else path.get_bounds()
        if x0 <= left + 1 and x1 >= right - 1 and x1 - x0 < (right - left) + 0.5 * em \
                and abs(y0 - baseline) < em:
            rules.append(((y0 - baseline) / em, (y1 - baseline) / em))
    assert len(rules) == 1, (run, rules)
    bottom, top = rules[0]
    assert 0.03 < top - bottom < 0.08
    if line == "under":
        assert -0.2 < bottom < top < 0
    else:  # across the x-height (0.4 em)
        assert 0.1 < bottom < top < 0.4


@pytest.mark.slow
def test_the_epub_keeps_every_kind_and_embeds_the_bold_faces(
        built: tuple[Path, Path, Path]) -> None:
    epub, _, _ = built
    with zipfile.ZipFile(epub) as archive:
        story = archive.read("EPUB/story-001.xhtml").decode()
        fonts_css = archive.read("EPUB/css/fonts.css").decode()
        names = set(archive.namelist())
    for element in ("<strong>backwards</strong>", "<em><strong>how long</strong></em>",
                    "<u>eleven</u>", "<s>pencil</s>", "<s>fog</s>", "<s>mist</s>"):
        assert element in story
    for name in FONT_FILES:
        assert f"EPUB/fonts/{name}" in names
        assert f"url(../fonts/{name})" in fonts_css


def test_an_epub_without_bold_carries_no_bold_faces(tmp_path: Path) -> None:
    """The bold faces (900 kB) travel only with text that has bold."""
    from fanbind.build import build

    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "tide.md").write_text(STORY.replace("**", ""), encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text(
        "title: Plain Tides\nembed_fonts: true\nstories:\n"
        "  - {file: stories/tide.md, authors: [Someone]}\n", encoding="utf-8")
    result = build(tmp_path, formats=("epub",), cache=False)
    with zipfile.ZipFile(result.outputs[0]) as archive:
        fonts = sorted(n for n in archive.namelist() if n.startswith("EPUB/fonts/"))
        fonts_css = archive.read("EPUB/css/fonts.css").decode()
    assert fonts == sorted(f"EPUB/fonts/{n}" for n in FONT_FILES if n not in BOLD_FONT_FILES)
    assert "Bold" not in fonts_css


@pytest.mark.slow
def test_a_book_with_bold_is_the_same_every_time(built: tuple[Path, Path, Path]) -> None:
    _, pdf, again = built
    assert pdf.read_bytes() == again.read_bytes()


def test_every_bundled_font_has_its_licence_beside_it() -> None:
    """Each face is named in an OFL text in its folder, and says OFL in its own name table."""
    licences = {path: path.read_text(encoding="utf-8") for path in FONTS_DIR.glob("OFL*.txt")}
    for name in FONT_FILES:
        holders = [text for text in licences.values()
                   if name in text.split("\n\n", 1)[0]
                   and "SIL OPEN FONT LICENSE Version 1.1" in text]
        assert len(holders) == 1, name
        with TTFont(FONTS_DIR / name, lazy=True) as font:
            own = " ".join(str(font["name"].getDebugName(n)) for n in (0, 13))
        assert "Open Font License" in own or "OFL" in own, name
        if name in BOLD_FONT_FILES:  # the licence text names the face's own copyright
            assert own.split(")")[0] in holders[0]


def _characters_used() -> set[int]:
    """Every printable character of the sample's and the test books' sources."""
    found: set[str] = set()
    roots = [REPO / "seeds", REPO / "tests" / "data" / "readers", REPO / "tests" / "data" / "paste",
             REPO / "tests" / "data" / "corpus"]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                try:
                    found |= set(path.read_text(encoding="utf-8"))
                except UnicodeDecodeError:
                    continue
    found |= set(STORY)
    return {ord(c) for c in found if not unicodedata.category(c).startswith("C")}


@pytest.mark.parametrize("name", BOLD_FONT_FILES)
def test_the_bold_faces_fit_the_face_they_stand_beside(name: str) -> None:
    """Bold, CFF (shared once in a book joined from parts), the companion's vertical
    metrics (a bold word keeps its line on the grid), its space widths, and every
    character the sample and the test books use that the companion has."""
    companion = COMPANIONS[name]
    with TTFont(FONTS_DIR / name) as bold, TTFont(FONTS_DIR / companion) as roman:
        assert bold["OS/2"].usWeightClass == 700
        assert "CFF " in bold and "glyf" not in bold
        for table, fields in (("hhea", ("ascent", "descent", "lineGap")),
                              ("OS/2", ("sTypoAscender", "sTypoDescender", "sTypoLineGap",
                                        "usWinAscent", "usWinDescent"))):
            for field in fields:
                assert getattr(bold[table], field) == getattr(roman[table], field), field
        theirs, ours = roman.getBestCmap(), bold.getBestCmap()
        for code, glyph in theirs.items():
            if unicodedata.category(chr(code)) == "Zs":
                assert bold["hmtx"][ours[code]][0] == roman["hmtx"][glyph][0], hex(code)
    wanted = _characters_used() & font_charmap(FONTS_DIR / companion)
    assert not sorted(chr(c) for c in wanted - font_charmap(FONTS_DIR / name))
