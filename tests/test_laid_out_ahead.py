"""A long story's first parts are laid out while the book is still being read.

The reader (:mod:`fanbind.reading_ahead`) plans a book of one long story as soon
as the story is loaded and the workers start its first parts
(:mod:`fanbind.pdf.ahead`); the build takes such a part only when its key is
that of the part its own plan hands out. Checked here: they are taken, the book
is byte for byte the one laid out without them, a part of another plan is never
taken, and an error after the reading stops them with nothing left behind. And a
rebuild after an edit has its workers import WeasyPrint while it reads. The
book is one fic of six short chapters (about 1,600 words, ten pages) cut into two
or four parts by ``part_words``: cheap to lay out. Nothing is timed.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import fanbind.build
from fanbind.build import build, load_book, story_tasks
from fanbind.cache import ProjectCache
from fanbind.errors import BuildError
from fanbind.loading import all_cached
from fanbind.pdf.ahead import first_parts
from fanbind.pdf.in_parts import write_parallel_pdf
from fanbind.pdf.workers import PdfWorkers
from fanbind.processes import default_jobs
from fanbind.project import open_project
from fanbind.render import render_book
from fanbind.text.settings import TextSettings
from test_story_parts import chaptered, make_fic

WHEN = dt.datetime(2024, 2, 14, tzinfo=dt.UTC)
#: Two parts of three chapters each (the story's 1,600 words over 700).
TWO_PARTS = 700
#: Four parts: another plan, whose first part is not the first of TWO_PARTS.
FOUR_PARTS = 400


def _fic(root: Path, extra: str = "") -> Path:
    return make_fic(root, chaptered((8,) * 6) + extra)


def test_a_part_is_taken_only_when_it_is_the_plans_and_the_book_is_the_same(
        tmp_path: Path) -> None:
    root = _fic(tmp_path / "fic")
    anthology = load_book(open_project(root)).anthology
    documents = render_book(anthology, stylesheets=("css/epub.css",))

    def lay_out(name: str, ahead_words: int | None) -> tuple[bytes, Any, list[int]]:
        workers = PdfWorkers(2).start()
        started = []
        if ahead_words is not None:
            folder = tmp_path / f"{name}-ahead"
            for part in first_parts(anthology, documents, project_dir=root,
                                    extra_stylesheets=(), jobs=2,
                                    folder=lambda: folder.mkdir() or folder,
                                    part_words=ahead_words):
                workers.lay_out_ahead(part.index, part.key, part.book_pages, part.task)
                started.append(part.index)
        with workers:
            pdf = write_parallel_pdf(anthology, documents, tmp_path / f"{name}.pdf",
                                     project_dir=root, created=WHEN, jobs=2,
                                     workers=workers, part_words=TWO_PARTS)
        assert pdf is not None and pdf.parts == 2
        return (tmp_path / f"{name}.pdf").read_bytes(), pdf, started

    plain, plain_pdf, _ = lay_out("plain", None)
    assert plain_pdf.parts_ahead == ()
    same, same_pdf, started = lay_out("same", TWO_PARTS)
    assert started == [0, 1] and same_pdf.parts_ahead == (0, 1)
    assert same_pdf.parts_laid_out and sorted(same_pdf.parts_laid_out) == [0, 1]
    assert same == plain
    other, other_pdf, started = lay_out("other", FOUR_PARTS)
    assert started == [0, 1] and other_pdf.parts_ahead == ()  # another plan: laid out again
    assert other == plain
    assert multiprocessing.active_children() == []


def _record_ahead(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The parts the building process hands to the workers ahead; each must have
    been planned from the story as parsed, before the rest of it was typeset."""
    started: list[int] = []
    real = fanbind.build._heard_from_reader

    def heard(workers: PdfWorkers, message: tuple[str, Any]) -> None:
        assert message[0] == "part" and message[1].parsed
        started.append(message[1].index)
        real(workers, message)

    monkeypatch.setattr(fanbind.build, "_heard_from_reader", heard)
    return started


def test_a_build_takes_the_parts_the_reader_planned(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the reader: both formats (the EPUB's cover page is a document of
    the book, not of its parts), no cache, parts laid out ahead and taken."""
    started = _record_ahead(monkeypatch)
    root = _fic(tmp_path / "fic")
    result = build(root, jobs=2, cache=False, part_words=TWO_PARTS)
    assert started == [0, 1]
    assert result.pdf is not None and result.pdf.parts == 2
    assert result.pdf.parts_ahead == (0, 1)
    assert multiprocessing.active_children() == []


def test_an_error_after_the_reading_stops_the_parts_laid_out_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--strict`` and a warning in the last chapter: the build stops once the
    book is read, with its one message, no book written and no worker left."""
    started = _record_ahead(monkeypatch)
    root = _fic(tmp_path / "fic", extra="\nShe had said it all,” he thought.\n")
    with pytest.raises(BuildError, match="--strict"):
        build(root, formats=("pdf",), jobs=2, cache=False, strict=True, part_words=TWO_PARTS)
    assert started == [0, 1]  # laid out ahead, then stopped
    assert multiprocessing.active_children() == []
    assert not (root / "dist").exists() or not any((root / "dist").iterdir())


# ---------------------------------------------------------------- a rebuild's workers

_WARM = """
import sys, threading
from fanbind.pdf.workers import WARMING, early_pdf_workers

def imported() -> bool:
    for thread in threading.enumerate():
        if thread.name == WARMING:
            thread.join()
    return 'weasyprint' in sys.modules

workers = early_pdf_workers([1], 2, warm={warm})
there = [workers.pool.submit(imported).result() for _ in range(4)]
print('weasyprint' in sys.modules, all(there), any(there))
workers.close()
"""


@pytest.mark.parametrize("warm", [True, False])
def test_a_rebuild_that_will_lay_out_imports_weasyprint_in_its_workers_as_they_start(
        warm: bool) -> None:
    """A story changed: each worker imports WeasyPrint as it starts, while the
    building process reads (which never imports it for that)."""
    done = subprocess.run([sys.executable, "-c", _WARM.format(warm=warm)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", str(warm), str(warm)]


def test_a_build_knows_before_reading_whether_a_story_changed(tmp_path: Path) -> None:
    root = _fic(tmp_path / "fic")
    project = open_project(root)
    tasks, refused = story_tasks(project)
    settings = TextSettings.from_book(project.config)
    assert refused is None and not all_cached(tasks, settings, ProjectCache(root))
    load_book(project, cache=ProjectCache(root))
    assert all_cached(tasks, settings, ProjectCache(root))
    assert not all_cached(tasks, settings, ProjectCache(root, enabled=False))
    text = root / "fic.txt"
    text.write_text(text.read_text(encoding="utf-8").replace(" ", " very ", 1),
                    encoding="utf-8")
    assert not all_cached(tasks, settings, ProjectCache(root))


def test_only_a_rebuild_after_an_edit_warms_its_workers(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    warmed: list[bool] = []
    real = PdfWorkers.__init__

    def init(self: PdfWorkers, jobs: int, *, warm: bool = False) -> None:
        warmed.append(warm)
        real(self, jobs, warm=warm)

    monkeypatch.setattr(PdfWorkers, "__init__", init)
    root = _fic(tmp_path / "fic")
    for edit in ("", "", " very"):
        if edit:
            text = root / "fic.txt"
            text.write_text(text.read_text(encoding="utf-8").replace(" ", f"{edit} ", 1),
                            encoding="utf-8")
        build(root, formats=("pdf",), jobs=2, part_words=TWO_PARTS)
    # Cold (WeasyPrint imported before the fork), nothing changed, a story changed.
    assert warmed == [False, False, True]


def test_chapters_typeset_ahead_are_those_the_load_gives(tmp_path: Path) -> None:
    """The reader's hook typesets the first parts' chapters from the parse; the load
    takes them as typeset: the same story, changes counted the same, same findings."""
    root = _fic(tmp_path / "fic", extra="\nShe said -- and then... nothing.\n")
    alone = load_book(open_project(root))

    class Early:
        story: Any = None

        def parsed(self, position: int, parsed: Any, story_with: Any, typeset: Any) -> None:
            runs = {id(chapter.blocks) for chapter in parsed.chapters[:3]}
            self.story = story_with(lambda blocks, settings, counts: typeset.ahead(
                blocks, settings) if id(blocks) in runs else blocks)

        def loaded(self, position: int, story: Any) -> None:
            pass

    early = Early()
    hooked = load_book(open_project(root), on_story=early)
    assert hooked.anthology == alone.anthology
    assert list(hooked.stories[0].rule_counts.items()) == \
        list(alone.stories[0].rule_counts.items())
    assert list(hooked.diagnostics) == list(alone.diagnostics)
    chapters = alone.anthology.stories[0].chapters
    assert early.story.chapters[:3] == chapters[:3]  # typeset ahead
    assert early.story.chapters[3:] != chapters[3:]  # as parsed
    assert early.story.words == alone.anthology.stories[0].words  # the plan's words


def test_ctrl_c_while_parts_are_laid_out_ahead_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C to every process of the build once a part laid out ahead is being laid
    out (the reader made its folder; a worker, WeasyPrint's): the one message, no
    book, no temporary file, no process left. About 18,000 words, cut in two by
    default on two cores (parts.small_book_share), so the layouts last a while."""
    from test_signals import Build, needs_proc

    needs_proc()
    if default_jobs() < 2:
        pytest.skip("a one-story book this size is cut only on two cores or more")
    root = make_fic(tmp_path / "fic", chaptered((90,) * 6))
    temp = tmp_path / "tmp"
    temp.mkdir()
    build = Build(root, temp, "-f", "pdf")
    build.wait_for(lambda: any(temp.glob("fanbind-*/fanbind-ahead-*")), "parts ahead")
    build.wait_for(lambda: any(temp.glob("fanbind-*/**/weasyprint-*")), "layout")
    os.killpg(build.process.pid, signal.SIGINT)
    returncode, out, err = build.finish()
    assert returncode == 130, err
    assert err == "error: interrupted (Ctrl-C): the build stopped and no partial file " \
                  "was left behind\n"
    assert out == ""
    assert not (root / "dist").exists() or list((root / "dist").iterdir()) == []
    assert list(temp.iterdir()) == []
    assert build.left_running() == []
