"""Ctrl-C, SIGTERM and SIGHUP stop fanbind the same way.

A build is stopped by more than Ctrl-C: ``timeout`` and CI runners send
SIGTERM, a closed terminal sends SIGHUP. Python turns only SIGINT into an
exception; the other two would kill the process where it stands, leaving its
temporary files and its worker processes behind. While
:func:`signals_interrupt` is active, all three raise :class:`Stopped`, a
:class:`KeyboardInterrupt`, so every cleanup written for Ctrl-C (temporary
files removed, workers stopped, one message) runs for them too, and the exit
code says which signal it was (128 + its number, as a shell reports it).

Worker processes do not take part: they ignore SIGINT (a Ctrl-C at the
terminal reaches the whole process group, and the workers' parent stops them)
and die at once on SIGTERM and SIGHUP (:func:`worker_signals`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from fanbind.errors import Interrupted

#: The signals that stop a run, and how a message names each (SIGHUP is not on Windows).
STOPPING = {getattr(signal, name): said for name, said in (
    ("SIGINT", "interrupted (Ctrl-C)"), ("SIGTERM", "terminated (SIGTERM)"),
    ("SIGHUP", "hung up (SIGHUP)")) if hasattr(signal, name)}
#: The exit codes they give (128 + the signal's number, as a shell reports it).
STOPPED_EXIT_CODES = frozenset(128 + signum for signum in STOPPING)


class Stopped(KeyboardInterrupt):
    """A stopping signal arrived; raised where the program was, as Ctrl-C raises."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Make SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in this process.

    Only the first one does: a second signal while the first is being cleaned
    up after is ignored, so the cleanup itself is never cut short (it is
    short: workers are killed, temporary files removed). A process forked
    while this is active (a worker) that gets one of them before it has set
    its own handlers dies of it, as it would have without fanbind.
    """
    owner = os.getpid()
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if stopping:
            return
        stopping = True
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOPPING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def worker_signals(parent: int) -> None:
    """In a worker process of ``parent``: ignore Ctrl-C, die at once on SIGTERM and
    SIGHUP, and (on Linux) get SIGTERM when the parent dies.

    The parent turns a signal into cleanup, which includes killing its
    workers; a worker that raised KeyboardInterrupt itself would only print a
    traceback into the user's terminal. A parent killed outright (``kill -9``)
    cleans up nothing: its workers would live on, waiting for tasks that never
    come, holding the caller's pipes open.
    """
    for signum in STOPPING:
        signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else signal.SIG_DFL)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """Ask Linux for SIGTERM when this process's parent dies (``PR_SET_PDEATHSIG``; strictly,
    when the thread that forked it ends: the pool forks from the thread that uses it)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only here: a worker's start, on Linux

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


#: From <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1


def interrupted(stop: BaseException, outcome: str) -> Interrupted:
    """The error to report for ``stop`` (a :class:`Stopped` or a plain Ctrl-C).

    ``outcome`` says what was left behind ("the build stopped and no partial
    file was left behind"). The exit code is 128 + the signal's number: 130
    for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP.
    """
    signum = stop.signum if isinstance(stop, Stopped) else signal.SIGINT
    error = Interrupted(f"{STOPPING[signal.Signals(signum)]}: {outcome}" if outcome
                        else STOPPING[signal.Signals(signum)])
    error.exit_code = 128 + signum
    return error
