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

from fanbind.build import load_book, open_project
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.parts import NotStampable
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
