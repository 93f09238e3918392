"""Worker processes: how many, how they are started, and how they are stopped.

Workers are forked (``fork`` start method where the platform has it), so they
inherit the imported modules and the book's settings instead of re-importing
them; both the story pool (:mod:`fanbind.loading`) and the PDF workers
(:mod:`fanbind.pdf.workers`) start theirs here. A worker leaves signals to its
parent (:func:`fanbind.interrupts.worker_signals`), and a pool left by an error
or a signal is stopped at once (:func:`stop_pool`), never waited for: a worker
outliving its build would keep the caller's pipes open.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fanbind.interrupts import worker_signals

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.context import BaseContext


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def process_pool(jobs: int, setup: Callable[..., None] | None = None,
                 *args: object) -> ProcessPoolExecutor:
    """``jobs`` workers; each calls ``setup(*args)`` when it starts (after
    :func:`~fanbind.interrupts.worker_signals`)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, mp_context=pool_context(),
                               initializer=_start_worker, initargs=(os.getpid(), setup, args))


def pool_context() -> BaseContext:
    """How workers are started: forked where the platform can."""
    import multiprocessing  # deferred: only a build with workers needs it

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _start_worker(parent: int, setup: Callable[..., None] | None,
                  args: tuple[object, ...]) -> None:
    worker_signals(parent)
    if setup is not None:
        setup(*args)


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """:func:`process_pool` for a ``with`` block: shut down when it ends, stopped
    (:func:`stop_pool`) when it ends by an exception, Ctrl-C included, instead of
    waiting for every task still queued."""
    pool = process_pool(jobs)
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and wait until they are gone; queued tasks are dropped.

    SIGTERM, which a worker does not catch (:func:`fanbind.interrupts.worker_signals`),
    so one in the middle of a layout dies there, not after it.
    """
    # The executor keeps its workers in ``_processes`` (pid → Process) and has no
    # public way to kill them before Python 3.14's terminate_workers().
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            worker.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(ValueError, AttributeError, AssertionError):
            worker.join()
