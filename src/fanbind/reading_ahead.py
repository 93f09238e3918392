"""The stories read in a process of their own while the build imports WeasyPrint.

A cold PDF build in parts imports :mod:`fanbind.pdf.layout` (WeasyPrint, about
0.5 s of CPU) before it forks its workers, so that they share one import
(:func:`fanbind.pdf.workers.early_pdf_workers`). Reading the stories needs
none of it, and until then it came after, on the same core, while the other
core idled: the 5-story sample read for 0.15 s, a 300,000-word story for 1.1 s.
:class:`ReadAhead` forks one process, before the import, that reads them
(:func:`fanbind.loading.load_stories`, with the same cache and jobs) while this
one imports and forks the workers; the loaded stories come back pickled, as
the story pool's do.

The outcome is the serial read's: the same stories, the same findings in the
same order (the reader collects them and they are added here at the point the
read would have added them), and the cache entries it used are kept by this
build's cache too (:meth:`fanbind.cache.ProjectCache.keep`), so pruning keeps
them. On an error in a story the reader gives up and the stories are read
again here, where the error is raised with the findings of the stories before
it, as without the reader (errors are rare; their cost does not matter).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostic, Diagnostics
from fanbind.errors import FanbindError
from fanbind.loading import STORY_NAMESPACES, StoryTask, load_stories
from fanbind.processes import process_pool, stop_pool
from fanbind.text.pipeline import LoadedStory
from fanbind.text.settings import TextSettings


@dataclass(frozen=True)
class Read:
    """What the reader read: the stories, the findings of the text stages in the
    order a serial read gives them, each story's lint findings, and the cache
    keys it used per namespace."""

    stories: list[LoadedStory]
    found: list[Diagnostic]
    lints: list[list[Diagnostic]]
    used: dict[str, frozenset[str]]


@dataclass(frozen=True)
class _Work:
    tasks: tuple[StoryTask, ...]
    settings: TextSettings
    cache_root: Path
    cache_enabled: bool
    jobs: int | None


#: In the reader: its work, given at the fork (never pickled).
_WORK: _Work | None = None


def _take(work: _Work) -> None:
    global _WORK
    _WORK = work


def _read() -> Read | None:
    """The reader: every story as :func:`fanbind.loading.load_stories` reads it
    here; None on a story's error (the building process reads again and raises it)."""
    work = _WORK
    assert work is not None  # given at the fork: see ReadAhead
    cache = ProjectCache(work.cache_root, enabled=work.cache_enabled)
    found = Diagnostics()
    lints: list[list[Diagnostic]] = []
    try:
        stories = load_stories(work.tasks, settings=work.settings, diagnostics=found,
                               cache=cache, jobs=work.jobs, lints=lints)
    except FanbindError:
        return None
    return Read(stories, list(found), lints,
                {namespace: cache.used(namespace) for namespace in STORY_NAMESPACES})


class ReadAhead:
    """The stories of ``tasks`` being read in a forked process from now on.

    :meth:`result` waits for them (None: read them here instead); :meth:`stop`
    kills the reader (an error or a signal ended the build); :meth:`close` waits
    for it to exit. A worker of :func:`fanbind.processes.process_pool`: it
    ignores Ctrl-C and dies with this process.
    """

    def __init__(self, tasks: Sequence[StoryTask], *, settings: TextSettings,
                 cache: ProjectCache, jobs: int | None) -> None:
        self.pool: ProcessPoolExecutor | None = process_pool(
            1, _take, _Work(tuple(tasks), settings, cache.root, cache.enabled, jobs))
        self.future = self.pool.submit(_read)  # forks the reader now

    def result(self, cache: ProjectCache | None) -> Read | None:
        """The stories read, their cache keys kept by ``cache``; None when the reader
        met an error or died (then the caller reads them itself)."""
        try:
            read = self.future.result()
        except BrokenProcessPool:
            read = None
        self.close()
        if read is not None and cache is not None:
            for namespace, keys in read.used.items():
                cache.keep(namespace, keys)
        return read

    def stop(self) -> None:
        if self.pool is not None:
            stop_pool(self.pool)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
