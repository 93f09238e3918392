"""Temporary files and folders that say whose they are, so a dead build's can go.

A build writes each book to a hidden ``.part`` file next to it and keeps its
other temporary files (the PDF's parts, WeasyPrint's font folders, those of its
worker processes) in one folder of its own in the system's temp folder. Both
are removed when the build ends, however it ends — except when it cannot run
any code at all (``kill -9``, a power cut). For that case each name carries
the owner's process id, and the owner holds an advisory lock (``flock``) on
the file or folder while it lives. The next build removes what it finds whose
owner is gone: no process with that id on this machine *and* nobody holding
the lock. Both, because each alone can be wrong: a process id means nothing
to another machine sharing the folder (where the lock still counts), and a
lock is taken a moment after the file is made (where the id already counts).
A reused process id only keeps a stale file longer; nothing a live build owns
is ever removed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on this platform: process ids alone decide
    fcntl = None  # type: ignore[assignment]

#: mkstemp's and mkdtemp's random part: eight of ``[a-z0-9_]``.
_RANDOM = r"[a-z0-9_]{8}"
#: ``.<book>.<pid>.<random>.part``: a book being written (:func:`owned_temp_file`).
PART_FILE = re.compile(rf"^\..+\.(?P<pid>\d+)\.{_RANDOM}\.part$")
#: ``fanbind-<pid>-<random>``: a build's own temp folder (:func:`build_temp_folder`).
BUILD_FOLDER = re.compile(rf"^fanbind-(?P<pid>\d+)-{_RANDOM}$")


def _lock(fd: int) -> bool:
    """Take the lock on ``fd`` without waiting; False when someone else holds it.

    True also where the file system has no locks: then only the process id tells.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def owned_temp_file(folder: Path, name: str) -> tuple[int, Path]:
    """A new hidden ``.<name>.<pid>.<random>.part`` file in ``folder``, locked.

    Returns its open descriptor (the lock lasts while it is open: close it
    after the file is renamed or removed) and its path.
    """
    fd, path = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".part", dir=folder)
    _lock(fd)
    return fd, Path(path)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists here (when unsure: yes)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no way to ask
        return True
    return True


def _abandoned(path: Path, pid: int) -> int | None:
    """A locked descriptor of ``path`` when its owner is gone (the caller removes it
    and closes the descriptor), else None."""
    if _alive(pid):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0))
    except OSError:
        return None
    if _lock(fd):
        return fd
    os.close(fd)
    return None


def remove_abandoned(folder: Path, pattern: re.Pattern[str] = PART_FILE) -> list[Path]:
    """Remove the temporary files (or build folders) in ``folder`` whose owner is gone.

    Returns what was removed. Never fails: a folder that cannot be listed or an
    entry that cannot be removed is left as it is.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        path = Path(entry.path)
        fd = _abandoned(path, int(match["pid"]))
        if fd is None:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def system_temp_folder() -> Path:
    """The temp folder builds make theirs in (not a build's own, while one runs)."""
    folder = Path(tempfile.gettempdir())
    return folder.parent if BUILD_FOLDER.match(folder.name) else folder


@contextlib.contextmanager
def build_temp_folder() -> Iterator[Path]:
    """A locked ``fanbind-<pid>-<random>`` folder in the system's temp folder, made
    the default temp folder (``tempfile.tempdir``) while the build runs.

    Worker processes forked meanwhile inherit it, and WeasyPrint makes its font
    folders there, so when a worker is killed in the middle of a layout, what it
    left goes with this folder; it is removed when the ``with`` block ends
    (after the build has stopped its workers). Abandoned folders of builds that
    were killed are removed first.
    """
    system = Path(tempfile.gettempdir())
    remove_abandoned(system, BUILD_FOLDER)
    folder = Path(tempfile.mkdtemp(prefix=f"fanbind-{os.getpid()}-", dir=system))
    try:
        fd: int | None = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a folder cannot be opened here (Windows): its name alone tells
        fd = None
    if fd is not None:
        _lock(fd)
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)
        if fd is not None:
            os.close(fd)
