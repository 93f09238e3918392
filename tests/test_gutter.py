"""The gutter of a printed book is the row of its final page count (issue 16 follow-up).

The inside margin comes from the page count's row of the gutter table
(:func:`fanbind.pdf.geometry.gutter_band`), settled after the first layout; the
makeup by spread then shortens pages, and the lines they push on can carry the
count over a row's end. The fixture sits at the first boundary (150 pages): two
stories of two-line paragraphs on a small page (14 lines), which the first
layout sets on 143 pages (144 padded to a multiple of 4, the first row) and the
makeup on 155 (156 padded: the second row). Its gutter is read back from the
PDF: the left edge of the text on the rectos.

On a page 5.5 in wide the second row's gutter keeps the measure (the text block
moves outward: one more layout moves the margins); on one 4.9 in wide the outer
margin is already at its least, so the wider gutter narrows the measure, the
lines change and the book is laid out afresh with the second row's gutter.

Cost: the book is laid out in one piece at both widths (three layouts, then
four) and in parts on two workers, about 40 s of CPU together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf.geometry import gutter_band, page_geometry
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.render import render_book
from fanbind.settings.schema import PrintConfig

DATA = Path(__file__).parent / "data" / "pdf"
EN = (DATA / "paragraphs-en.txt").read_text(encoding="utf-8").strip().split("\n\n")
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
#: Paragraphs per story: the first layout ends in the first row, the made-up one in the second.
PARAGRAPHS = 262
PRINT = {"width": "5.5in", "height": "4in", "pad_to": 4}
NARROW = {**PRINT, "width": "4.9in"}


def write_book(root: Path, settings: dict[str, object]) -> Path:
    (root / "texts").mkdir()
    # Five paragraphs of about two lines each, over and over: breaks fall every
    # other line, so balancing the spreads shortens many pages.
    text = "\n\n".join(EN[i * 7 % len(EN)] for i in range(PARAGRAPHS))
    stories = []
    for name, title in (("near", "Near the Boundary"), ("past", "Past the Boundary")):
        (root / "texts" / f"{name}.txt").write_text(text, encoding="utf-8")
        stories.append({"file": f"texts/{name}.txt", "title": title, "authors": ["Ada Lind"],
                        "rating": "General Audiences", "fandoms": ["Original Work"]})
    meta = {"title": "At the Boundary", "date": "2024-05-01", "stories": stories,
            "print": settings}
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def boundary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("gutter"), PRINT)


def test_a_gutter_row_moves_the_text_block_or_narrows_it():
    wide = [page_geometry(PrintConfig(**PRINT), pages=n) for n in (144, 156)]
    assert pdf.same_text_block(*wide) and wide[0].inner < wide[1].inner
    narrow = [page_geometry(PrintConfig(**NARROW), pages=n) for n in (144, 156)]
    assert not pdf.same_text_block(*narrow) and narrow[0].measure > narrow[1].measure


def recto_text_left(path: Path) -> tuple[int, float]:
    """The page count and the commonest left edge of the text on the rectos (points)."""
    document = pdfium.PdfDocument(str(path))
    edges: Counter[float] = Counter()
    for index in range(0, len(document), 2):
        text = document[index].get_textpage()
        lefts = [text.get_charbox(i)[0] for i in range(text.count_chars())
                 if not text.get_text_range(i, 1).isspace()]
        if len(lefts) > 100:  # a text page, not an opening or a blank
            edges[round(min(lefts), 1)] += 1
    count = len(document)
    document.close()
    return count, edges.most_common(1)[0][0]


def assert_gutter_of_final_count(path: Path, config) -> int:
    count, left = recto_text_left(path)
    want = page_geometry(config, pages=count)
    # The text block starts at the inside margin (a glyph's ink a little further in).
    assert want.inner <= left < want.inner + 2, (
        f"{count} pages (gutter row {gutter_band(count)}): rectos start their text at "
        f"{left:.1f} pt, the row's inside margin is {want.inner:.1f} pt")
    return count


@pytest.mark.parametrize(("settings", "layouts"), [(PRINT, 2), (NARROW, 2)],
                         ids=["same-measure", "narrower-measure"])
def test_the_gutter_is_the_row_of_the_count_after_the_makeup(
        tmp_path: Path, monkeypatch, settings: dict[str, object], layouts: int):
    boundary = write_book(tmp_path, settings)
    book = load_book(open_project(boundary))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    first: list[int] = []
    flows = pdf.read_flows

    def counted(rendered, geometry):  # observes the count the makeup starts from
        first.append(len(rendered.pages))
        return flows(rendered, geometry)

    monkeypatch.setattr(pdf, "read_flows", counted)
    layout = pdf.lay_out(book.anthology, documents, project_dir=boundary, created=WHEN)
    result = pdf.write_layout(layout, boundary / "one.pdf")
    # The case: the first layout's count is in the first row, the made-up book's not.
    assert gutter_band(first[0] + (-first[0]) % 4) == 0, f"first layout: {first[0]} pages"
    assert gutter_band(result.pages) == 1, f"made up: {result.pages} pages"
    assert layout.geometry.band == 1
    # The first and the margins' (the makeup and the contents made from its boxes);
    # or the first twice over (laid out afresh for a text block of another width).
    assert result.passes == layouts
    assert assert_gutter_of_final_count(boundary / "one.pdf", book.anthology.meta.print) \
        == result.pages


def test_in_parts_the_gutter_is_the_row_of_the_joined_count(boundary: Path):
    book = load_book(open_project(boundary))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    joined = write_parallel_pdf(book.anthology, documents, boundary / "parts.pdf",
                                project_dir=boundary, created=WHEN, jobs=2, part_words=100)
    # Its two stories have no chapters: each is cut in two inside its text and made
    # up as one (pdf/running.py), so the parts' count is the one-piece count.
    assert joined is not None and joined.parts == 4 and len(joined.parts_running) == 4
    assert gutter_band(joined.pages) == 1
    assert assert_gutter_of_final_count(boundary / "parts.pdf", book.anthology.meta.print) \
        == joined.pages
