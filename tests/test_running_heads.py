"""Running heads that fit their measure (issue 16), read back from the PDF with pypdfium2.

One book on the narrow 5x8 trim with three short stories (a few pages each, laid
out in a second or two): a 200-character title by eight authors, a long title with a
``short_title:``, and two authors whose names together overrun the measure.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
from tests.test_pdf import EN, Built, build_pdf, squash

from fanbind.pdf.advance import ELLIPSIS, HEAD_SIZE_EM, fit, small_caps_width

LONG_TITLE = ("The Very Long and Winding Account of How the Harbour Lanterns Were Counted, "
              "Recounted, Argued Over and Finally Lit on the Night the Ferry Came Back From "
              "the Island in the Storm")
EIGHT = [f"{first} {last}" for first, last in zip(
    ["Maximilianus", "Bartholomew", "Constantinopolitanus", "Evangelina", "Wilhelmina",
     "Theodosius", "Anastasiya", "Fitzwilliam"],
    ["Wolfeschlegel", "Featherstonehaugh", "Extraordinaire", "Montgomery-Smythe",
     "Vanderbilt", "Papadopoulos", "Romanovskaya", "Darcy"], strict=True)]
SHORT = "The Other Crossing"
TWO = ["Alexandrina Wilhelmina Featherstonehaugh-Montmorency",
       "Constantinopolitanus Bartholomew Extraordinaire"]


def write_heads_book(root: Path) -> Path:
    (root / "texts").mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(EN[:20])
    stories = []
    for name, extra in [("long", {"title": LONG_TITLE, "authors": EIGHT}),
                        ("short", {"title": "The Crossing That Nobody on the Island Wanted to "
                                   "Talk About for Eleven Long Years", "short_title": SHORT,
                                   "authors": ["Ada Lind"]}),
                        ("two", {"title": "Two", "authors": TWO})]:
        (root / "texts" / f"{name}.txt").write_text(text, encoding="utf-8")
        stories.append({"file": f"texts/{name}.txt", **extra})
    meta = {"title": "Heads", "print": {"trim": "5x8"}, "stories": stories}
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_pdf(write_heads_book(tmp_path_factory.mktemp("heads")))


def heads(built: Built) -> list[tuple[str, float, float, float, float]]:
    """(text, leftmost x, rightmost x, text block left, text block right) per running head."""
    geo = built.layout.geometry
    found = []
    document = pdfium.PdfDocument(str(built.path))
    try:
        for index, page in enumerate(document):
            textpage = page.get_textpage()
            top = page.get_height()
            boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())
                     if not textpage.get_text_range(i, 1).isspace()]
            boxes = [box for box in boxes if box[1] > top - geo.top]  # above the text block
            if not boxes:
                continue
            text = textpage.get_text_bounded(top=top, bottom=top - geo.top)
            # WeasyPrint's first page is a recto: the inside margin is on its left.
            left = geo.inner if index % 2 == 0 else geo.outer
            found.append((" ".join(text.split()), min(b[0] for b in boxes),
                          max(b[2] for b in boxes), left, left + geo.measure))
    finally:
        document.close()
    return found


def test_every_running_head_stays_inside_the_text_block(built: Built) -> None:
    found = heads(built)
    assert len(found) >= 6, found
    for text, first, last, left, right in found:
        assert left - 0.5 <= first and last <= right + 0.5, (text, first, last, left, right)


def test_long_titles_are_cut_at_a_word_and_short_titles_used(built: Built) -> None:
    texts = {squash(text) for text, *_ in heads(built)}
    cut = [text for text in texts if text.endswith(ELLIPSIS)]
    assert cut, texts
    assert all(squash(LONG_TITLE).startswith(text.removesuffix(ELLIPSIS)) for text in cut
               if text.startswith("thevery")), cut
    assert squash(SHORT) in texts
    assert squash(f"{EIGHT[0]} et al.") in texts
    # Two names too wide together: the first (cut at a word if need be) and "et al."
    assert [text for text in texts if text.startswith("alexandrina") and text.endswith("etal.")]


def test_fit_cuts_at_a_word_and_measures_the_small_caps() -> None:
    size = HEAD_SIZE_EM * 10
    assert fit("Any Alpha Would", 300, size) == "Any Alpha Would"
    width = small_caps_width("Any Alpha", size)
    assert fit("Any Alpha Would", width + small_caps_width(ELLIPSIS, size) + 0.1, size) \
        == "Any Alpha" + ELLIPSIS
    assert fit("Wait, what happened", small_caps_width("Wait…", size) + 0.1, size) == "Wait…"
    assert fit("Incomprehensibilities", small_caps_width("Inc…", size) + 0.1, size) == "Inc…"
    # Wider letters measure wider: small caps of "MMM" outrun "iii".
    assert small_caps_width("MMM", size) > small_caps_width("iii", size)


def test_centred_folios_are_printed_once_on_a_chapters_verso(tmp_path: Path) -> None:
    """``folio: centre`` empties the corner boxes of every named page: a chapter's
    verso printed its folio twice (corner and centre) when chapter was left out."""
    (tmp_path / "texts").mkdir()
    text = "Chapter One\n\n" + "\n\n".join(EN) + "\n\nChapter Two\n\n" + "\n\n".join(EN * 2)
    (tmp_path / "texts" / "one.txt").write_text(text, encoding="utf-8")
    meta = {"title": "Folios", "print": {"trim": "5x8", "folio": "centre"},
            "stories": [{"file": "texts/one.txt", "title": "One", "authors": ["Ada Lind"]}]}
    (tmp_path / "metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    built = build_pdf(tmp_path)
    geo = built.layout.geometry
    blocks = [block for block, _ in built.result.page_map]
    second = blocks.index("story-001-ch2")  # the second chapter's opening
    chapter_versos = 0
    document = pdfium.PdfDocument(str(built.path))
    try:
        for index, (_, label) in enumerate(built.result.page_map):
            if not label.isdigit():
                continue
            foot = document[index].get_textpage().get_text_bounded(top=geo.bottom - 0.5,
                                                                  bottom=0).split()
            if foot:
                assert foot == [label], (index, foot)
            chapter_versos += index > second and index % 2 == 1 and foot != []
    finally:
        document.close()
    assert chapter_versos >= 1
