"""The makeup's pages made from the first layout's boxes are the pages a second layout makes.

:func:`fanbind.pdf.layout.lay_out` makes the planned pages from its first
layout's boxes (:mod:`fanbind.pdf.remake`); ``reuse_boxes=False`` lays the book
out again with the cuts, as before. Each small book below is laid out both ways
and the two are compared page for page: text, pixels (pypdfium2 at half scale,
as tests/test_story_parts.py does), links, named destinations, the outline, the
EPUB page map, the folios — and the bytes of the PDF, which are the same too.
Every case asserts that the pages were remade (else it would compare a second
layout with itself) and what made it a case: a split paragraph and a cut
between paragraphs, a flow that gains a page so the next story's opening gets a
blank page before it (and one where a blank page goes), chapters and end notes,
a part that lands on a verso, a contents page whose page numbers the makeup
moves (laid out again alone, as WeasyPrint's repagination does). Where that
page would not end where it did, the book is laid out again, and says so.

Cost: four books of 20–80 pages, each laid out twice (about 25 s of CPU in all).
The WeasyPrint internals :mod:`fanbind.pdf.remake` relies on are pinned at the top.
"""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from tests.conftest import copy_sample_stories
from tests.test_story_parts import make_book, outline_entries
from weasyprint import document as weasyprint_document
from weasyprint import layout as weasyprint_layout
from weasyprint.css.targets import TargetCollector
from weasyprint.formatting_structure import boxes
from weasyprint.layout import page as weasyprint_page

from fanbind.build import load_book, open_project
from fanbind.pdf import layout as pdf
from fanbind.pdf import makeup, remake
from fanbind.pdf.arrange import PartOptions
from fanbind.render import render_book
from pdf_links import internal_links

WHEN = dt.datetime(2024, 2, 14, tzinfo=dt.UTC)


# ---------------------------------------------------------------------- WeasyPrint's internals


def test_the_weasyprint_internals_the_remake_reads_are_where_it_reads_them():
    # The layout context is captured where Document._render hands it to the layout.
    assert "layout_document(html, root_box, context)" in inspect.getsource(
        weasyprint_document.Document._render)
    assert list(inspect.signature(weasyprint_layout.layout_document).parameters)[:3] == [
        "html", "root_box", "context"]
    # Per page: (resume_at, next_page, right_page, page_state, remake_state); the state
    # after page i (its counters) is page_maker[i + 1][3], as the margin boxes read it.
    source = inspect.getsource(weasyprint_layout.layout_document)
    assert "state = context.page_maker[context.current_page][3]" in source
    assert "make_margin_boxes(context, page, state)" in source
    assert "context.string_set[string_name][i+1].append(text)" in source
    assert "resume_at, next_page, right_page, page_state, _ = page_maker[index]" in \
        inspect.getsource(weasyprint_page.remake_page)
    # A page printing target counters is laid out again as repagination does: its
    # lookups parsed again with their own page's counters, its remake state reset,
    # remake_page(index, …) returning the page without margin boxes.
    assert "item.parse_again(item.cached_page_counter_values)" in inspect.getsource(
        TargetCollector.cache_target_page_counters)
    make_all = inspect.getsource(weasyprint_page.make_all_pages)
    assert "remake_state['content_lookups'] = []" in make_all
    assert "page, resume_at = remake_page(i, context, root_box, html)" in make_all
    assert "root, footnote_area, note_area = page.children" in source
    assert weasyprint_page.PageType._fields == ("side", "blank", "name", "index", "groups")
    # A fragment broken at a page's foot loses its bottom decoration and reaches the
    # foot; one continued loses its top one; margins at an unforced break go.
    block = inspect.getsource(weasyprint_layout.block.block_container_layout)
    assert "new_box.remove_decoration(\n        start=not is_start, end=box_is_fragmented" \
        in block
    assert "context.page_bottom - bottom_space - new_box.position_y" in block
    assert "if not context.forced_break:\n                        box.margin_top = 0" in \
        inspect.getsource(weasyprint_layout.block.block_level_layout)
    assert set(inspect.signature(boxes.ParentBox._reset_spacing).parameters) == {"self", "side"}
    # A blank page's name is its parent's (remake._blank_name does the same walk).
    assert "return parent_element.style['page']" in inspect.getsource(
        weasyprint_page._update_page_groups)


# ---------------------------------------------------------------------- both ways


def _lay_out_both(root: Path, tmp: Path, *, part: bool = False, **options: Any
                  ) -> tuple[Any, Any, dict]:
    """The book laid out with the remake and with a second layout, both written;
    and what the remake saw (cuts applied, pages and blank pages before and after)."""
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    if part:  # the stories only, as a worker gets them
        documents = [d for d in documents if d.matter == "body"]
        options["part"] = PartOptions(60, first_story=True, **options.pop("part_options", {}))
    seen: dict = {}
    apply_cuts, remake_pages = makeup.apply_cuts, remake.remake_pages

    def watch_cuts(html: Any, cuts: Any) -> int:
        applied = apply_cuts(html, cuts)
        continued = [e for e in html.iter() if e.get(makeup.CONTINUED_ATTRIBUTE) is not None]
        ended = [e for e in html.iter() if makeup.END_STYLE in (e.get("style") or "")]
        seen.setdefault("split", len(continued))
        seen.setdefault("between", sum(1 for e in ended if e.getnext() is None
                                       or e.getnext().get(makeup.CONTINUED_ATTRIBUTE) is None))
        return applied

    def watch_remake(rendered: Any, *args: Any) -> int:
        blank = sum(p._page_box.page_type.blank for p in rendered.pages)
        seen.update(pages_before=len(rendered.pages), blank_before=blank)
        made = remake_pages(rendered, *args)
        seen.update(pages_after=len(rendered.pages),
                    blank_after=sum(p._page_box.page_type.blank for p in rendered.pages))
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(makeup, "apply_cuts", watch_cuts)
        patch.setattr(remake, "remake_pages", watch_remake)
        remade = pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN,
                             **options)
    laid = pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN,
                       reuse_boxes=False, **options)
    assert laid.remade == 0 and laid.passes == remade.passes + 1
    pdf.write_layout(remade, tmp / "remade.pdf")
    pdf.write_layout(laid, tmp / "laid.pdf")
    return remade, laid, seen


def assert_same_pages(remade: Any, laid: Any, tmp: Path) -> None:
    one, other = PdfReader(tmp / "remade.pdf"), PdfReader(tmp / "laid.pdf")
    assert len(one.pages) == len(other.pages) == len(laid.rendered.pages)
    for number, (a, b) in enumerate(zip(one.pages, other.pages, strict=True), start=1):
        assert a.extract_text() == b.extract_text(), f"page {number} differs"
    assert outline_entries(one) == outline_entries(other)
    assert internal_links(one) == internal_links(other)
    assert {n: (one.get_destination_page_number(d), round(float(d.left), 2),
                round(float(d.top), 2)) for n, d in one.named_destinations.items()} == \
        {n: (other.get_destination_page_number(d), round(float(d.left), 2),
             round(float(d.top), 2)) for n, d in other.named_destinations.items()}
    assert remade.page_map == laid.page_map
    assert remade.folios == laid.folios
    a, b = pdfium.PdfDocument(tmp / "remade.pdf"), pdfium.PdfDocument(tmp / "laid.pdf")
    for index in range(len(a)):
        left = a[index].render(scale=0.5).to_pil().tobytes()
        right = b[index].render(scale=0.5).to_pil().tobytes()
        assert left == right, f"page {index + 1} looks different"
    # Nothing the eye or a reader could tell apart: the bytes are the same too.
    assert (tmp / "remade.pdf").read_bytes() == (tmp / "laid.pdf").read_bytes()


def test_a_flow_that_gains_a_page_puts_a_blank_page_before_the_next_opening(tmp_path: Path):
    # The sample's stories as one part: the fourth story gains a page, so the fifth's
    # opening (a recto) gets a blank page before it. Splits and cuts between paragraphs.
    root = copy_sample_stories(tmp_path / "book", (0, 1, 2, 3, 4))
    remade, laid, seen = _lay_out_both(root, tmp_path, part=True)
    assert remade.passes == 1 and remade.remade > 40 and not remade.not_remade
    assert seen["split"] and seen["between"]
    assert seen["blank_after"] == seen["blank_before"] + 1
    assert seen["pages_after"] == seen["pages_before"] + 2
    assert_same_pages(remade, laid, tmp_path)


def test_a_blank_page_goes_where_the_opening_comes_round_to_a_recto(tmp_path: Path):
    # One piece, contents and all: a page gained before the last story puts its
    # opening on a recto without the blank page it had (the contents' numbers stay).
    root = copy_sample_stories(tmp_path / "book", (1, 3))
    remade, laid, seen = _lay_out_both(root, tmp_path)
    assert remade.passes == 1 and remade.remade and not remade.not_remade
    assert seen["blank_after"] == seen["blank_before"] - 1
    assert seen["pages_after"] == seen["pages_before"]
    assert_same_pages(remade, laid, tmp_path)


class _LandsLeft:
    """A part laid out on a recto that lands on a verso: planned for it, moved across
    by the join (``layout.Landing``)."""

    movable = True

    def lands_left(self, laid_left: bool) -> bool:
        return True

    def planned(self, pages: int, lands_left: bool) -> None:
        pass


@pytest.mark.parametrize("side", ["recto", "verso", "planned-verso"])
def test_chapters_and_end_notes_as_a_part_on_either_side(tmp_path: Path, side: str):
    # A chaptered story with a summary and end notes, laid out as a part starting on a
    # recto, starting on a verso, and on a recto but planned for a verso it lands on.
    root = make_book(tmp_path / "book", (7, 17, 22, 15, 10))
    options: dict[str, Any] = {"part_options": {"start_left": side == "verso"}}
    if side == "planned-verso":
        options["landing"] = _LandsLeft()
    remade, laid, seen = _lay_out_both(root, tmp_path, part=True, **options)
    assert remade.passes == 1 and remade.remade and not remade.not_remade
    assert remade.planned_left == (side != "recto")
    assert seen["split"] or seen["between"]
    assert_same_pages(remade, laid, tmp_path)


def test_the_contents_get_the_page_numbers_the_makeup_moves(tmp_path: Path):
    # The whole sample in one piece: the fifth story moves by two pages and the
    # contents print its page number: the contents page is laid out again with the
    # new numbers (as WeasyPrint's repagination does), the rest made from boxes.
    root = copy_sample_stories(tmp_path / "book", (0, 1, 2, 3, 4))
    numbers = []
    real = remake._remake_referring_pages

    def watch(context: Any, html: Any, root_box: Any, pages: Any, specs: Any,
              moved: dict[str, int]) -> dict[int, Any]:
        made = real(context, html, root_box, pages, specs, moved)
        numbers.append((dict(moved), sorted(made)))
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(remake, "_remake_referring_pages", watch)
        remade, laid, _ = _lay_out_both(root, tmp_path)
    assert remade.passes == 1 and remade.remade and not remade.not_remade
    [(moved, pages)] = numbers
    assert moved and len(pages) == 1  # the contents page
    assert_same_pages(remade, laid, tmp_path)


def test_a_page_reference_the_remake_cannot_make_lays_the_book_out_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # The contents page made again ends elsewhere (here: told so): laid out again.
    root = copy_sample_stories(tmp_path / "book", (0, 1, 2, 3, 4))
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    real, remake_pages = weasyprint_page.remake_page, remake.remake_pages

    def ends_elsewhere(index: int, context: Any, *args: Any) -> Any:
        made = real(index, context, *args)
        context.page_maker[index + 1] = (None, *context.page_maker[index + 1][1:])
        return made

    def remake_with_it(*args: Any) -> int:  # only the remake's call, not the layout's
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(weasyprint_page, "remake_page", ends_elsewhere)
            return remake_pages(*args)

    monkeypatch.setattr(remake, "remake_pages", remake_with_it)
    layout = pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN)
    assert layout.remade == 0 and layout.passes == 2
    assert layout.not_remade == "a page reference changes where its page ends"


def test_a_box_tree_the_remake_did_not_foresee_is_laid_out_again(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    root = copy_sample_stories(tmp_path / "book", (0, -1))
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))

    def unforeseen(self: Any, number: int, page: Any) -> Any:
        raise KeyError("a line outside its flow")

    monkeypatch.setattr(remake._FlowPages, "make", unforeseen)
    layout = pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN)
    assert layout.remade == 0 and layout.passes == 2
    assert layout.not_remade == "unexpected: KeyError('a line outside its flow')"
    laid = pdf.lay_out(book.anthology, documents, project_dir=root, created=WHEN,
                       reuse_boxes=False)
    pdf.write_layout(layout, tmp_path / "remade.pdf")
    pdf.write_layout(laid, tmp_path / "laid.pdf")
    assert (tmp_path / "remade.pdf").read_bytes() == (tmp_path / "laid.pdf").read_bytes()
