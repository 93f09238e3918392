"""The stories read in a process of their own while the build imports WeasyPrint.

A cold PDF build in parts imports :mod:`fanbind.pdf.layout` (WeasyPrint, about
0.5 s of CPU) before it forks its workers, so that they share one import
(:func:`fanbind.pdf.workers.early_pdf_workers`). Reading the stories needs
none of it, and until then it came after, on the same core, while the other
core idled: the 5-story sample read for 0.15 s, a 300,000-word story for 1.1 s,
after importing the text stages (0.3 s). :class:`ReadAhead` forks one process,
before the import, that imports the text stages and reads the book
(:func:`fanbind.build.load_book`, with the same cache and jobs) while this one
imports WeasyPrint and forks the workers; the book comes back pickled (the
anthology and the findings, not the text stages' workings), and this process
never imports the text stages at all.

The outcome is the serial read's: the same book, the same findings in the
same order, and the cache entries the reader used are kept by this build's
cache too (:meth:`fanbind.cache.ProjectCache.keep`), so pruning keeps them. On
an error the reader gives up and the book is read again here, where the error
is raised with the findings of the stories before it, as without the reader
(errors are rare; their cost does not matter).

The reader may also :func:`tell` the building process things before the book is
read, up a pipe of their own that :meth:`ReadAhead.result` listens to while it
waits: a book of one long story has its first parts planned and laid out
meanwhile (:mod:`fanbind.pdf.ahead`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostic
from fanbind.model import Anthology
from fanbind.processes import pool_context, process_pool, stop_pool


@dataclass(frozen=True)
class Read:
    """What the reader read: the book, its findings in the order a serial read
    gives them, and the cache keys it used per namespace."""

    anthology: Anthology
    found: list[Diagnostic]
    used: dict[str, frozenset[str]]


#: In the reader: what it runs, given at the fork (never pickled: a closure will do),
#: and its end of the line that tells the building process things before the book
#: is read (:func:`tell`).
_WORK: Callable[[], Read | None] | None = None
_TOLD: Connection | None = None
#: The last message on that line: the reader is done telling.
_DONE = ("done", None)


def _take(work: Callable[[], Read | None], told: Connection) -> None:
    global _WORK, _TOLD
    _WORK = work
    _TOLD = told


def _read() -> Read | None:
    assert _WORK is not None  # given at the fork: see ReadAhead
    try:
        return _WORK()
    finally:
        tell(_DONE)


def tell(message: tuple[str, Any]) -> bool:
    """From the reader: ``message`` to the building process now, before the book
    is read (:attr:`ReadAhead.on_told` hears it). False outside a reader."""
    if _TOLD is None:
        return False
    _TOLD.send(message)
    return True


class ReadAhead:
    """``read`` running in a forked process from now on; it returns the book, or
    None on an error (then the caller reads it itself).

    :meth:`result` waits for it; :meth:`stop` kills the reader (an error or a
    signal ended the build); :meth:`close` waits for it to exit. A worker of
    :func:`fanbind.processes.process_pool`: it ignores Ctrl-C and dies with
    this process.
    """

    def __init__(self, read: Callable[[], Read | None]) -> None:
        self._heard, told = pool_context().Pipe(duplex=False)
        #: Hears what the reader tells (:func:`tell`) while :meth:`result` waits;
        #: what it tells while this is None is not heard.
        self.on_told: Callable[[tuple[str, Any]], None] | None = None
        self.pool: ProcessPoolExecutor | None = process_pool(1, _take, read, told)
        self.future = self.pool.submit(_read)  # forks the reader now

    def result(self, cache: ProjectCache | None) -> Read | None:
        """The book read, its cache keys kept by ``cache``; None when the reader
        met an error or died. What the reader tells meanwhile goes to
        :attr:`on_told`."""
        try:
            self._hear()
            read = self.future.result()
        except BrokenProcessPool:
            read = None
        self.close()
        if read is not None and cache is not None:
            for namespace, keys in read.used.items():
                cache.keep(namespace, keys)
        return read

    def _hear(self) -> None:
        """Pass on what the reader tells until it is done (or died: then its
        future is done with nothing told)."""
        while True:
            if self._heard.poll(0.05):
                message = self._heard.recv()
                if message == _DONE:
                    return
                if self.on_told is not None:
                    self.on_told(message)
            elif self.future.done():
                return

    def stop(self) -> None:
        if self.pool is not None:
            stop_pool(self.pool)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
