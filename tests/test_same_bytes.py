"""A book joined from parts has the same bytes however it was cut (issue 15).

The join makes every object the pages use a function of the book's pages
(:mod:`fanbind.pdf.book_resources`, :func:`fanbind.pdf.fonts.apply_shared_fonts`):
one Type0 font per face and name, one dictionary per kind of resource. Before,
each part brought its own fonts (widths and ToUnicode maps of its glyphs only)
and resource dictionaries, so another core count gave another file.

Each case joins one small book (17-20 pages) from two part plans chosen through
the parameters the part planner already takes (``part_words``, ``jobs``), checks
that the plans differ and that the files are the same byte for byte, and reads
the joined book's text back (pdfium, which reads the ToUnicode maps) against the
book laid out in one piece, which WeasyPrint maps as a whole: copy and search
give the text, no-break spaces included. The cuts keep every part on the side
it was laid out on in both plans: a part moved across by the join (laid out on
a recto, placed on a verso) has other content streams than the same pages laid
out on their side, which no join can make the same (docs/pdf-in-parts.md).

Cost: three books, each laid out three times (two plans, one piece), at about
18 pages; the font rule is tested on objects made here, without a layout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from fanbind.build import load_book, open_project
from fanbind.pdf import fonts as pdf_fonts
from fanbind.pdf.book_resources import share_resources, share_small_streams
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.layout import write_pdf
from fanbind.pdf.parts import plan_parts
from fanbind.pdf.volumes import VOLUMES_CSS, mark_volume, plan_volumes, split_anthology
from fanbind.render import render_book
from test_story_parts import EN, make_book, make_volumes_book

pytestmark = pytest.mark.slow

WHEN = dt.datetime(2024, 2, 14, tzinfo=dt.UTC)
#: A paragraph whose no-break spaces the text stages keep (after "Mr.", before a unit).
NO_BREAK = "Mr.\u00a0Lind walked 5\u00a0km before the rain came."


def _with_no_break_spaces(root: Path) -> Path:
    short = root / "short.txt"
    short.write_text(short.read_text(encoding="utf-8") + "\n" + NO_BREAK + "\n",
                     encoding="utf-8")
    return root


def stories_book(root: Path) -> Path:
    """Five short stories: with ``jobs`` 1 they are laid out in parts of two (2 + 2 + 1),
    with ``jobs`` 2 one part each."""
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for n in range(5):
        text = "\n\n".join(EN[n * 2:n * 2 + 3 + n % 2]) + ("\n\n" + NO_BREAK if n == 3 else "")
        (root / f"s{n}.txt").write_text(text + "\n", encoding="utf-8")
        entries.append(f"  - file: s{n}.txt\n    title: Story {n}\n    authors: [Bo]\n")
    (root / "metadata.yaml").write_text("title: Test\nlanguage: en\nstories:\n"
                                        + "".join(entries), encoding="utf-8")
    return root


def lay_out(root: Path, plans: tuple[tuple[int, int], ...], volume: int | None = None) -> dict:
    """The book (or that volume) joined from each plan ``(jobs, part_words)`` and laid
    out in one piece."""
    book = load_book(open_project(root))
    anthology, extra = book.anthology, ()
    documents = None
    if volume is not None:
        plan = plan_volumes([s.words for s in anthology.stories], anthology.meta.print.volumes)
        assert plan is not None
        anthology = split_anthology(book.anthology, plan)[volume - 1].anthology
        documents = render_book(anthology, stylesheets=("css/epub.css",))
        mark_volume(documents, split_anthology(book.anthology, plan)[volume - 1],
                    book.anthology, plan)
        extra = (VOLUMES_CSS,)
    else:
        documents = render_book(anthology, stylesheets=("css/epub.css",))
    made: dict = {"files": [], "plans": []}
    for jobs, part_words in plans:
        target = root / f"joined-{jobs}-{part_words}.pdf"
        result = write_parallel_pdf(anthology, documents, target, project_dir=root,
                                    created=WHEN, jobs=jobs, part_words=part_words,
                                    extra_stylesheets=extra)
        assert result is not None
        parts = plan_parts(anthology, documents, jobs, part_words=part_words)
        assert parts is not None
        made["files"].append(target)
        made["plans"].append([(p.stories, p.span) for p in parts if p.kind == "body"])
    write_pdf(anthology, documents, root / "one.pdf", project_dir=root, created=WHEN,
              extra_stylesheets=extra)
    made["one"] = root / "one.pdf"
    return made


@pytest.fixture(scope="module")
def chapters(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A short story and a chaptered one with end notes, the long one cut after its
    fourth and fifth chapter seams or after the fourth only."""
    root = _with_no_break_spaces(make_book(tmp_path_factory.mktemp("chapters") / "book"))
    return lay_out(root, ((2, 600), (2, 800)))


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return lay_out(stories_book(tmp_path_factory.mktemp("stories") / "book"),
                   ((1, 20_000), (2, 20_000)))


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The second volume of a set (the long story, its own title page and contents),
    cut into three pieces by three workers and two by two (two workers and the
    smaller part size would make four: :func:`fanbind.pdf.parts.whole_rounds`)."""
    root = make_volumes_book(tmp_path_factory.mktemp("volume") / "book")
    return lay_out(root, ((3, 600), (2, 800)), volume=2)


CASES = ("chapters", "stories", "volume")


def _text(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


@pytest.mark.parametrize("case", CASES)
def test_other_cuts_give_the_same_bytes(case: str, request: pytest.FixtureRequest) -> None:
    made = request.getfixturevalue(case)
    first, second = made["plans"]
    assert first != second  # the cuts differ: the test can fail
    assert made["files"][0].read_bytes() == made["files"][1].read_bytes()


@pytest.mark.parametrize("case", CASES)
def test_the_joined_text_is_the_one_piece_text(case: str, request: pytest.FixtureRequest
                                               ) -> None:
    made = request.getfixturevalue(case)
    one, joined = _text(made["one"]), _text(made["files"][0])
    assert joined == one
    if case != "volume":  # the volume is the long story alone
        text = "".join(joined)
        assert "Mr.\u00a0Lind" in text and "5\u00a0km" in text, "the no-break spaces were lost"


def test_the_book_has_one_font_per_face_and_one_dictionary_per_kind(chapters: dict) -> None:
    with pikepdf.open(chapters["files"][0]) as pdf:
        fonts = list(pdf_fonts._type0_fonts(pdf))
        names = [str(font.BaseFont) for font in fonts]
        assert len(names) == len(set(names)) >= 2
        resources = {page.obj.Resources.objgen for page in pdf.pages
                     if page.obj.Resources.is_indirect}
        assert len(resources) <= 1
        kinds = {kind: {page.obj.Resources[kind].objgen for page in pdf.pages
                        if kind in page.obj.Resources}
                 for kind in ("/Font", "/ColorSpace", "/ExtGState")}
        assert all(len(found) == 1 for found in kinds.values()), kinds


# ------------------------------------------------------- the rule for glyphs that disagree


def _font(pdf: pikepdf.Pdf, widths: list, texts: dict[int, str], box: list[int]
          ) -> pikepdf.Object:
    """A Type0 font as WeasyPrint writes one (its descriptor without a program)."""
    cmap = b"".join(f"<{g:04x}> <{t.encode('utf-16-be').hex()}>\n".encode()
                    for g, t in texts.items())
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/ABCDEF+Face"), Flags=6,
        FontBBox=pikepdf.Array(box), ItalicAngle=0, Ascent=box[3], Descent=box[1],
        CapHeight=box[3], StemV=80, StemH=80))
    cid_font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType0,
        BaseFont=pikepdf.Name("/ABCDEF+Face"), CIDToGIDMap=pikepdf.Name.Identity,
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                         Ordering=pikepdf.String("Identity"), Supplement=0),
        W=pikepdf.Array(widths), FontDescriptor=descriptor))
    stream = pdf.make_stream(pdf_fonts._CMAP_HEAD + f"{len(texts)} beginbfchar\n".encode()
                             + cmap + b"endbfchar\n" + pdf_fonts._CMAP_TAIL)
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name("/ABCDEF+Face"),
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=pikepdf.Array([cid_font]),
        ToUnicode=stream))


def test_a_glyph_takes_its_first_width_and_text_in_book_order() -> None:
    """Part 1 uses glyph 3 for a space, part 2 for a no-break space (and gives glyph 5
    another width): the merged font keeps part 1's, as WeasyPrint keeps a glyph's
    first use in a PDF, so the book's first use wins whatever the cut."""
    with pikepdf.new() as pdf:
        first = _font(pdf, [3, [250], 5, [400, 410]], {3: " ", 5: "a", 6: "b"}, [0, -300, 900, 700])
        second = _font(pdf, [3, 3, 250, 5, [401], 9, [500]], {3: "\u00a0", 5: "a", 9: "c"},
                       [0, -310, 1200, 700])
        merged = pdf_fonts._merge_fonts(pdf, [(first, first.DescendantFonts[0]),
                                              (second, second.DescendantFonts[0])])
        assert merged is not None
        font, cid_font, rest = merged
        assert list(cid_font.W) == [3, [250], 5, [400, 410], 9, [500]]
        assert pdf_fonts._read_to_unicode(font.ToUnicode) == {
            3: " ".encode("utf-16-be"), 5: b"\x00a", 6: b"\x00b", 9: b"\x00c"}
        assert list(rest["/FontBBox"]) == [0, -310, 1200, 700]  # the union of the boxes
        # The other order gives the other text: the rule is the order, not the value.
        merged = pdf_fonts._merge_fonts(pdf, [(second, second.DescendantFonts[0]),
                                              (first, first.DescendantFonts[0])])
        assert merged is not None
        assert pdf_fonts._read_to_unicode(merged[0].ToUnicode)[3] == "\u00a0".encode("utf-16-be")
        # A font WeasyPrint did not write that way (a custom encoding) is not merged.
        second.Encoding = pikepdf.Name("/Identity-V")
        assert pdf_fonts._merge_fonts(pdf, [(first, first.DescendantFonts[0]),
                                            (second, second.DescendantFonts[0])]) is None


def test_resources_whose_names_clash_are_left_per_part() -> None:
    """Two pages from two 'parts': the same alpha state by value becomes one
    dictionary; a pattern counted per part (the same name, another value) keeps
    each part's dictionary; equal little content streams become one."""
    with pikepdf.new() as pdf:
        for n in range(2):
            pdf.add_blank_page()
            resources = pdf.make_indirect(pikepdf.Dictionary(
                ExtGState=pikepdf.Dictionary({"/a1.0": pikepdf.Dictionary(CA=1, ca=1)}),
                Pattern=pikepdf.Dictionary({"/p0": pdf.make_stream(f"{n}".encode())})))
            page = pdf.pages[n].obj
            page.Resources = resources
            page.Contents = pikepdf.Array([pdf.make_stream(b"q\n"), pdf.make_stream(b"Q\n")])
        shared = share_resources(pdf)
        assert shared.kinds == ("/ExtGState",) and shared.clashes == ("/Pattern",)
        first, second = (page.obj.Resources for page in pdf.pages)
        assert first.ExtGState.objgen == second.ExtGState.objgen
        assert first.Pattern.p0.read_bytes() != second.Pattern.p0.read_bytes()
        assert first.objgen != second.objgen  # so the dictionaries stay two
        assert share_small_streams(pdf) == 2
        assert [s.objgen for s in pdf.pages[0].obj.Contents] == \
            [s.objgen for s in pdf.pages[1].obj.Contents]
