"""Page numbers over generated books: folios run roman then arabic, every printed
reference names the real page, /PageLabels and the EPUB page list agree with them.

Each example is a whole build (PDF and EPUB) of a tiny book: one or two stories of
0–4 chapters with 1–4 short paragraphs each, with or without a summary and notes,
chapter notes (from an AO3-shaped HTML download, the only source of them) and end
notes, under every ``warnings_display``, in one volume or two, laid out in one piece
(``jobs=1``) or in parts (``jobs=2``: ``--jobs 2`` lays a book of two or more
stories out in parts whatever its size, ``warnings_display: end`` too; asserted).
The paragraph counts move openings, end notes and back matter onto both odd and
even pages. A build costs 1–4 s of CPU, so
the property runs :data:`EXAMPLES` examples (with the regression case of issue 16
as an explicit one) and no deadline: enough to meet each setting a few times per
run, and different books on each run.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fanbind.build import build
from fanbind.pdf.result import BLOCK_ID
from test_folios import (
    PARAGRAPHS,
    ReadBook,
    check_folios,
    check_references,
    epub_page_list,
    is_contents,
    read_book,
    story_text,
    write_book,
)

pytestmark = pytest.mark.slow

EXAMPLES = 12
DISPLAYS = ("shown", "end", "hidden")

stories = st.fixed_dictionaries({
    "chapters": st.integers(0, 4),
    "paragraphs": st.integers(1, 4),
    "summary": st.booleans(),
    "notes": st.booleans(),
    "chapter_notes": st.booleans(),
    "end_notes": st.booleans(),
})
books = st.fixed_dictionaries({
    "stories": st.lists(stories, min_size=1, max_size=2),
    "display": st.sampled_from(DISPLAYS),
    "volumes": st.sampled_from((1, 2)),
    "jobs": st.sampled_from((1, 2)),
})


def ao3_html(chapters: int, paragraphs: int, start: int) -> str:
    """An AO3 download of ``chapters`` chapters, each with notes and end notes."""
    body = []
    for number in range(1, max(chapters, 1) + 1):
        picked = (PARAGRAPHS[(start + number * paragraphs + k) % len(PARAGRAPHS)]
                  for k in range(paragraphs))
        text = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in picked)
        body.append(
            f'<div class="meta group"><h2 class="heading">Chapter {number}</h2>'
            f'<p>Chapter Notes</p><blockquote class="userstuff"><p>Notes to chapter {number}.'
            f'</p></blockquote></div><div class="userstuff">{text}</div>'
            f'<div class="meta group" id="endnotes{number}"><p>Chapter End Notes</p>'
            f'<blockquote class="userstuff"><p>After chapter {number}.</p></blockquote></div>')
    return ('<html><head><title>Work - someone - Original Work [Archive of Our Own]</title>'
            '</head><body><div id="preface"><p class="message">Posted originally on the '
            '<a href="https://archiveofourown.org/">Archive of Our Own</a>.</p>'
            '<h1>Work</h1><div class="byline">by <a rel="author">someone</a></div></div>'
            f'<div id="chapters" class="userstuff">{"".join(body)}</div></body></html>')


def make_book(root: Path, spec: dict[str, Any]) -> Path:
    entries = []
    for index, story in enumerate(spec["stories"]):
        start = 7 * index
        entry: dict[str, Any] = {}
        if story["chapter_notes"]:
            entry["text"] = ao3_html(story["chapters"], story["paragraphs"], start)
            entry["format"] = "html"
        else:
            entry["text"] = story_text(story["chapters"], story["paragraphs"], start)
        if story["summary"]:
            entry["summary"] = f"What story {index + 1} is about."
        if story["notes"]:
            entry["notes"] = "A note before the story."
        if story["end_notes"]:
            entry["end_notes"] = "A note after the story.\n\nAnd another."
        entries.append(entry)
    volumes = min(spec["volumes"], len(entries))
    extra: dict[str, Any] = {"warnings_display": spec["display"]}
    if volumes > 1:
        extra["print"] = {"volumes": volumes}
    return write_book(root, entries, **extra)


def check_book(book: ReadBook) -> None:
    folios = check_folios(book)
    check_references(book, folios)
    assert book.labels == list(folios.labels()), "/PageLabels differ from the folios"
    # The outline's entries land where the contents entries do.
    contents = [r for r in book.references if is_contents(book.texts[r.page])]
    assert contents, "no contents entries read"
    assert {r.dest for r in contents} <= {page for _, page in book.outline}, book.outline


def check_page_list(book: ReadBook, epub: Path) -> int:
    """Each page-list entry at a section or heading has the label of that element's page."""
    folios = check_folios(book)
    checked = 0
    for label, ids in epub_page_list(epub):
        named = [name for name in ids if name in book.dests and not BLOCK_ID.match(name)]
        if not named:
            continue
        page = book.dests[named[-1]]
        assert label == folios.label(page), (
            f"page list says {label} at {named[-1]}, the PDF prints {folios.label(page)} "
            f"on page {page + 1}")
        checked += 1
    return checked


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example({"stories": [{"chapters": 3, "paragraphs": 4, "summary": True, "notes": False,
                       "chapter_notes": False, "end_notes": True},
                      {"chapters": 0, "paragraphs": 3, "summary": False, "notes": False,
                       "chapter_notes": False, "end_notes": False}],
          "display": "end", "volumes": 1, "jobs": 2})
@given(spec=books)
def test_folios_and_page_references_over_generated_books(tmp_path_factory, spec) -> None:
    root = make_book(tmp_path_factory.mktemp("folios"), spec)
    result = build(root, formats=("pdf", "epub"), cache=False, jobs=spec["jobs"])
    pdfs = sorted((root / "dist").glob("*.pdf"))
    assert pdfs
    if spec["jobs"] == 2 and len(pdfs) == 1 and len(spec["stories"]) == 2:
        # In parts under every warnings display (``end`` too: a stand-in prints
        # the warnings page's number in each story's part), so the property
        # checks the joined book, not a one-piece fallback.
        assert result.pdf is not None and result.pdf.parts
    for pdf in pdfs:
        check_book(read_book(pdf))
    if len(pdfs) == 1:
        check_page_list(read_book(pdfs[0]), next((root / "dist").glob("*.epub")))


def test_the_generated_html_has_chapter_notes(tmp_path: Path) -> None:
    """The AO3-shaped story the property uses really gives chapters with notes."""
    root = make_book(tmp_path, {"stories": [{"chapters": 2, "paragraphs": 1, "summary": False,
                                             "notes": False, "chapter_notes": True,
                                             "end_notes": False}],
                                "display": "shown", "volumes": 1, "jobs": 1})
    build(root, formats=("pdf",), cache=False, jobs=1)
    text = " ".join(read_book(root / "dist" / "folio-test.pdf").texts)
    assert re.search(r"Notes to chapter 2", text) and re.search(r"After chapter 1", text)
