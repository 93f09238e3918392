"""Stories read in a process of their own while a cold PDF build imports WeasyPrint.

The reader (:mod:`fanbind.reading_ahead`) must give what reading here gives:
the same stories, the same findings in the same order, the same error (raised
here, after the findings of the stories before it), and a cache that keeps
what it stored. Only the order of work changes, so nothing here is timed.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_sample, copy_sample_stories
from fanbind import reading_ahead
from fanbind.build import build, load_book, story_tasks
from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostics
from fanbind.errors import StoryFileError
from fanbind.loading import CHAPTER_NAMESPACE, STORY_NAMESPACE
from fanbind.project import open_project
from fanbind.reading_ahead import ReadAhead
from fanbind.text.settings import TextSettings


def _read_here_and_ahead(root: Path, *, cache: bool) -> tuple[Any, Any, ProjectCache]:
    """The book read here, and read ahead (into a cache of its own when ``cache``)."""
    project = open_project(root)
    here = load_book(project, diagnostics=Diagnostics())
    tasks, refused = story_tasks(project)
    assert refused is None
    store = ProjectCache(project.root, enabled=cache)
    ahead = ReadAhead(tasks, settings=TextSettings.from_book(project.config), cache=store,
                      jobs=None)
    there = load_book(project, diagnostics=Diagnostics(), cache=store, ahead=ahead)
    return here, there, store


def test_the_stories_read_ahead_are_those_read_here(tmp_path: Path) -> None:
    here, there, _ = _read_here_and_ahead(copy_sample(tmp_path / "book"), cache=False)
    assert there.anthology == here.anthology
    assert [s.parsed for s in there.stories] == [s.parsed for s in here.stories]
    assert list(there.diagnostics) == list(here.diagnostics)
    assert any(d.code == "FB304" for d in there.diagnostics)  # the sample's findings, in order
    assert multiprocessing.active_children() == []  # the reader is gone


def test_what_the_reader_stored_is_kept_by_the_build(tmp_path: Path) -> None:
    """The reader's cache entries count as this build's: pruning keeps them."""
    _, there, store = _read_here_and_ahead(copy_sample_stories(tmp_path / "book", (0, 1)),
                                           cache=True)
    assert len(store.used(STORY_NAMESPACE)) == 2
    assert store.used(CHAPTER_NAMESPACE)
    assert store.prune([STORY_NAMESPACE, CHAPTER_NAMESPACE]) == 0
    again = ProjectCache(store.root)
    reread = load_book(open_project(store.root), diagnostics=Diagnostics(), cache=again)
    assert (again.hits, again.misses) == (2, 0)
    assert list(reread.diagnostics) == list(there.diagnostics)


def test_an_error_read_ahead_is_raised_here_after_the_findings_before_it(
        tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    project = open_project(root)
    missing = root / project.config.stories[3].file
    missing.unlink()
    errors = []
    found = []
    for ahead in (False, True):
        tasks, _ = story_tasks(project)
        diagnostics = Diagnostics()
        reader = ReadAhead(tasks, settings=TextSettings.from_book(project.config),
                           cache=ProjectCache(root, enabled=False), jobs=None) if ahead else None
        with pytest.raises(StoryFileError) as raised:
            load_book(project, diagnostics=diagnostics, ahead=reader)
        errors.append((str(raised.value), raised.value.file))
        found.append(list(diagnostics))
    assert errors[0] == errors[1] and missing.name in errors[0][1]
    assert found[0] == found[1] and found[0]  # the stories before it warned
    assert multiprocessing.active_children() == []


def test_a_cold_pdf_build_in_parts_reads_ahead_and_keeps_the_stories_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two of the sample's shortest stories on two workers: the stories are read by
    the reader, and the next build finds them in the cache."""
    taken: list[bool] = []
    real = ReadAhead.result

    def result(self: ReadAhead, cache: ProjectCache | None) -> Any:
        read = real(self, cache)
        taken.append(read is not None)
        return read

    monkeypatch.setattr(reading_ahead.ReadAhead, "result", result)
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    first = build(root, formats=("pdf",), jobs=2)
    assert taken == [True]
    assert first.pdf is not None and first.pdf.parts == 2
    store = ProjectCache(root)
    load_book(open_project(root), cache=store)
    assert (store.hits, store.misses) == (2, 0)
    assert multiprocessing.active_children() == []
