"""CPU and clock time of each PDF layout step, for the benchmarks (``FANBIND_TIMINGS``).

The benchmark (``benchmarks/run.py``) compares a build's wall time with its
*floor*: the CPU its layouts took divided by the cores. The operating system
counts a command's CPU as a whole (startup, reading stories, joining
included), so the layout's share must be told from inside: when the
environment variable ``FANBIND_TIMINGS`` names a file, every layout step
(:mod:`fanbind.pdf.layout`: laying out a book or a part, writing it, drawing a
part's folios) appends one JSON line to it — what, which process, its start
and end on the system-wide monotonic clock (comparable between the worker
processes) and the CPU this process spent on it. Unset (the normal case), the
steps cost one dictionary lookup each and nothing is written.

Lines are appended with one ``write`` each to a file opened ``O_APPEND``, so
worker processes can share the file without locking.
"""

from __future__ import annotations

import json
import os
import time

ENVIRONMENT = "FANBIND_TIMINGS"

#: What :func:`start` returns: the monotonic clock and this process's CPU time then.
Clock = tuple[float, float]


def start() -> Clock:
    """Note the time a step starts (cheap: two clock reads)."""
    return time.monotonic(), time.process_time()


def record(step: str, clock: Clock, **fields: object) -> None:
    """Append the step begun at ``clock`` to the ``FANBIND_TIMINGS`` file, if one is named.

    A file that cannot be written is ignored: timings are a measurement aid and
    must never fail a build.
    """
    path = os.environ.get(ENVIRONMENT)
    if not path:
        return
    began, cpu = clock
    line = json.dumps({"step": step, "pid": os.getpid(), "start": began,
                       "end": time.monotonic(), "cpu": time.process_time() - cpu, **fields})
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read(path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """The steps recorded in ``path``, in the order they were written."""
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
