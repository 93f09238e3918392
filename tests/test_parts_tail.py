"""The tail of a PDF laid out in parts: what follows the parts' layouts.

The folios, the front and back matter and the join (``docs/pdf-in-parts.md``),
and what happens when a part cannot be numbered apart from its layout
(:class:`fanbind.pdf.parts.NotStampable`): the build falls back to one piece
and the workers are left with nothing to wait for.

Cost: the small chaptered book of tests/test_story_parts.py (about 17 pages,
four parts of a long story), laid out a few times on two workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from fanbind.build import load_book, open_project
from fanbind.cache import ProjectCache
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.join import JoinOptions
from fanbind.pdf.parts import NotStampable
from fanbind.pdf.result import PdfResult
from fanbind.pdf.workers import BodyTask, PdfWorkers, lay_out_body_part
from fanbind.render import render_book
from fanbind.scratch import build_temp_folder
from test_story_parts import PART_WORDS, WHEN, make_book


def lay_out_then_refuse(task: BodyTask) -> Any:
    """A part laid out as usual (its plan sent, so the pieces after it get their
    side), whose folios then cannot be drawn apart: as running elements make it."""
    lay_out_body_part(task)
    raise NotStampable(f"part {task.index}")


class RefusingWorkers(PdfWorkers):
    """Workers on which story part ``refused`` raises NotStampable after its layout."""

    def __init__(self, jobs: int, refused: int) -> None:
        super().__init__(jobs)
        self.refused = refused

    def submit(self, function: Callable[[Any], Any], task: Any) -> Future[Any]:
        if function is lay_out_body_part and task.index == self.refused:
            function = lay_out_then_refuse
        return super().submit(function, task)


def test_a_part_that_cannot_be_numbered_falls_back_and_leaves_no_worker_waiting(
        tmp_path: Path) -> None:
    """Part 0 of four pieces of one story refuses: the book is laid out in one
    piece (None), and the pieces after it, which ask for their side, are not
    left waiting for an answer, so the workers can be closed (last session a
    build hung there, its workers idle)."""
    root = make_book(tmp_path / "book")
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    workers = RefusingWorkers(2, refused=0)
    closing = threading.Thread(target=workers.close, daemon=True)
    # As a build does: what a stopped worker leaves goes with the build's folder.
    with build_temp_folder():
        try:
            joined = write_parallel_pdf(book.anthology, documents, root / "parts.pdf",
                                        project_dir=root, created=WHEN, jobs=2,
                                        part_words=PART_WORDS, workers=workers)
            assert joined is None
            closing.start()
            closing.join(timeout=30)
            assert not closing.is_alive(), "a worker still waits for the stopped build"
        finally:
            workers.stop()
    assert not (root / "parts.pdf").exists()


def lay_out_in_parts(root: Path, target: str, *, beside: bool = True,
                     extra: tuple[Path, ...] = (), cache: ProjectCache | None = None
                     ) -> PdfResult:
    book = load_book(open_project(root))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    joined = write_parallel_pdf(book.anthology, documents, root / target, project_dir=root,
                                created=WHEN, jobs=2, part_words=PART_WORDS,
                                extra_stylesheets=extra, cache=cache,
                                join_options=JoinOptions(beside_layouts=beside))
    assert joined is not None
    return joined


@pytest.mark.parametrize("total", [False, True], ids=["folios", "page-total"])
def test_folios_and_matter_drawn_beside_the_layouts_give_the_same_bytes(
        tmp_path: Path, total: bool) -> None:
    """Each part's folios are drawn as soon as the parts before it are laid out, and
    the matter once the last one is, while it is written: the same PDF, byte for
    byte, as when both wait for the last part. With a stylesheet that prints the
    page total, the stamps wait for the matter (which gives the total) instead."""
    root = make_book(tmp_path / "book")
    extra: tuple[Path, ...] = ()
    if total:
        sheet = root / "total.css"
        sheet.write_text("@page { @bottom-right { content: counter(page) ' of '"
                         " counter(pages) } }\n", encoding="utf-8")
        extra = (sheet,)
    early = lay_out_in_parts(root, "early.pdf", extra=extra)
    late = lay_out_in_parts(root, "late.pdf", beside=False, extra=extra)
    assert early.parts == late.parts == 5  # the short story, the long one in four
    assert early.stamped_early == (0, 1, 2, 3, 4) and early.matter_early
    assert late.stamped_early == () and not late.matter_early
    assert early.parts_stamped == late.parts_stamped == (0, 1, 2, 3, 4)
    assert (root / "early.pdf").read_bytes() == (root / "late.pdf").read_bytes()


def test_stamps_drawn_beside_the_layouts_are_cached_and_reused(tmp_path: Path) -> None:
    """The stamps drawn early go to the cache under the same keys as before; a
    rebuild takes every part and stamp from it (drawing none) and gives the same
    bytes."""
    root = make_book(tmp_path / "book")
    cache = ProjectCache(root)
    first = lay_out_in_parts(root, "first.pdf", cache=cache)
    assert first.parts_laid_out and first.stamped_early == (0, 1, 2, 3, 4)
    again = lay_out_in_parts(root, "again.pdf", cache=ProjectCache(root))
    assert again.parts_laid_out == () and again.parts_stamped == ()
    late = lay_out_in_parts(root, "late.pdf", beside=False, cache=ProjectCache(root))
    assert late.parts_stamped == ()  # the keys are the ones the late path reads
    assert (root / "first.pdf").read_bytes() == (root / "again.pdf").read_bytes() \
        == (root / "late.pdf").read_bytes()
