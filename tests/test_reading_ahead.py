"""Stories read in a process of their own while a cold PDF build imports WeasyPrint.

The reader (:mod:`fanbind.reading_ahead`) must give what reading here gives:
the same stories, the same findings in the same order, the same error (raised
here, after the findings of the stories before it), and a cache that keeps
what it stored. Only the order of work changes, so nothing here is timed.
"""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_sample, copy_sample_stories
from fanbind.build import load_book, read_in_reader
from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostics
from fanbind.errors import StoryFileError
from fanbind.loading import CHAPTER_NAMESPACE, STORY_NAMESPACE
from fanbind.project import open_project
from fanbind.reading_ahead import ReadAhead


def _reader(root: Path, *, cache: bool) -> ReadAhead:
    project = open_project(root)
    return ReadAhead(lambda: read_in_reader(project, allow_outside=False, cache=cache,
                                            jobs=None))


def test_the_book_read_ahead_is_the_book_read_here(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    here = load_book(open_project(root), diagnostics=Diagnostics())
    there = load_book(open_project(root), diagnostics=Diagnostics(),
                      ahead=_reader(root, cache=False))
    assert there.anthology == here.anthology
    assert list(there.diagnostics) == list(here.diagnostics)
    assert any(d.code == "FB304" for d in there.diagnostics)  # the sample's findings, in order
    assert multiprocessing.active_children() == []  # the reader is gone


def test_what_the_reader_stored_is_kept_by_the_build(tmp_path: Path) -> None:
    """The reader's cache entries count as this build's: pruning keeps them."""
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    store = ProjectCache(root)
    there = load_book(open_project(root), diagnostics=Diagnostics(), cache=store,
                      ahead=_reader(root, cache=True))
    assert set(there.namespaces) == {STORY_NAMESPACE, CHAPTER_NAMESPACE}
    assert len(store.used(STORY_NAMESPACE)) == 2
    assert store.used(CHAPTER_NAMESPACE)
    assert store.prune(there.namespaces) == 0
    again = ProjectCache(root)
    reread = load_book(open_project(root), diagnostics=Diagnostics(), cache=again)
    assert (again.hits, again.misses) == (2, 0)
    assert list(reread.diagnostics) == list(there.diagnostics)


def test_an_error_read_ahead_is_raised_here_after_the_findings_before_it(
        tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    missing = root / open_project(root).config.stories[3].file
    missing.unlink()
    errors = []
    found = []
    for ahead in (False, True):
        diagnostics = Diagnostics()
        with pytest.raises(StoryFileError) as raised:
            load_book(open_project(root), diagnostics=diagnostics,
                      ahead=_reader(root, cache=False) if ahead else None)
        errors.append((str(raised.value), raised.value.file))
        found.append(list(diagnostics))
    assert errors[0] == errors[1] and missing.name in errors[0][1]
    assert found[0] == found[1] and found[0]  # the stories before it warned
    assert multiprocessing.active_children() == []


_BUILD = """
import sys
from pathlib import Path
from fanbind.build import build
result = build(Path(sys.argv[1]), formats=("pdf",), jobs=2)
print(result.pdf.parts, "fanbind.loading" in sys.modules, "fanbind.text.pipeline" in sys.modules)
"""


def test_a_cold_pdf_build_in_parts_reads_ahead_and_keeps_the_stories_cached(
        tmp_path: Path) -> None:
    """Two of the sample's shortest stories on two workers: the book is read by the
    reader (the building process never imports the text stages), and the next
    build finds the stories in the cache."""
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    done = subprocess.run([sys.executable, "-c", _BUILD, str(root)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["2", "False", "False"]
    store = ProjectCache(root)
    load_book(open_project(root), cache=store)
    assert (store.hits, store.misses) == (2, 0)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_book_is_read_ahead_leaves_nothing(
        tmp_path: Path, signum: int) -> None:
    """Sent as soon as the build's first other process (the reader, forked before
    WeasyPrint's import and the workers) is alive; whatever the build is doing
    when it lands, it stops cleanly: one message, nothing written, no process left."""
    from test_signals import Build, needs_proc

    needs_proc()
    project = copy_sample(tmp_path / "book")
    temp = tmp_path / "tmp"
    temp.mkdir()
    build = Build(project, temp, "--jobs", "2", "-f", "pdf")
    build.wait_for(lambda: len(build.living()) >= 2, "the reader")
    build.process.send_signal(signum)
    returncode, out, err = build.finish()
    assert returncode == 128 + signum, err
    assert err.endswith("the build stopped and no partial file was left behind\n")
    assert out == ""
    assert not (project / "dist").exists() or list((project / "dist").iterdir()) == []
    assert list(temp.iterdir()) == []
    assert build.left_running() == []
