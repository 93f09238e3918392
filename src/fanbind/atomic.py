"""Atomic output files: a finished book appears under its name or not at all.

Each output is written to a hidden temporary file in the same folder (so the
final rename never crosses a file system), flushed to disk with ``fsync``, then
renamed over the target in one step, and the folder itself is synced so the
rename survives a power cut. On any failure — a full disk, a writer error,
Ctrl-C — the temporary file is removed and an older book under the target name
stays byte-for-byte intact.

OS errors become :class:`~fanbind.errors.BuildError` in people's words (a full
disk, a read-only or forbidden folder), naming the *book's* path, never the
temporary file a person has never heard of.

A build killed outright (``kill -9``) cannot remove its temporary file; its
name says whose it is, so the next build removes it (:mod:`fanbind.scratch`).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fanbind.errors import BuildError, FanbindError
from fanbind.scratch import owned_temp_file, system_temp_folder

if TYPE_CHECKING:
    from typing_extensions import Buffer

_CHOOSE_ANOTHER = "choose another folder with -o/--output"


def ensure_output_dir(path: Path) -> None:
    """Create the output folder, or explain why it cannot be used."""
    if path.exists() and not path.is_dir():
        raise BuildError("the output path is a file, not a folder", file=str(path),
                         hint=f"delete or rename that file, or {_CHOOSE_ANOTHER}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a dangling symlink, or a file that appeared just now
        raise BuildError("the output path exists but is not a folder", file=str(path),
                         hint=f"delete or rename it, or {_CHOOSE_ANOTHER}") from None
    except OSError as exc:
        raise _os_error("cannot create the output folder", exc, str(path)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise BuildError("the output folder is not writable", file=str(path),
                         hint=f"check the folder's permissions, or {_CHOOSE_ANOTHER}")


def _os_error(doing: str, exc: OSError, file: str, what: str = "book") -> BuildError:
    """An OSError told as what went wrong and what to do; the older file is untouched."""
    kept = f"nothing was written, and an older {what} there is unchanged"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = _temp_folder_elsewhere(Path(file))
        also = f" there or in the temporary folder {where} (TMPDIR)" if where else ""
        return BuildError(f"{doing}: the disk is full", file=file,
                          hint=f"free some disk space{also} or {_CHOOSE_ANOTHER}; {kept}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return BuildError(f"{doing}: permission denied (the folder is not writable)", file=file,
                          hint=f"check the folder's permissions, or {_CHOOSE_ANOTHER}; {kept}")
    if exc.errno == errno.EROFS:
        return BuildError(f"{doing}: the disk is read-only", file=file,
                          hint=f"{_CHOOSE_ANOTHER}; {kept}")
    if exc.errno == errno.EISDIR:
        return BuildError(f"{doing}: a folder has the {what}'s name", file=file,
                          hint=f"delete or rename that folder, or {_CHOOSE_ANOTHER}; {kept}")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return BuildError(f"{doing}: {reason}", file=file,
                      hint=f"check free disk space and the folder's permissions; {kept}")


def _temp_folder_elsewhere(file: Path) -> Path | None:
    """The system's temp folder when it is on another disk than ``file``'s folder.

    A full disk is often the temp folder, where a PDF's parts are laid out, and
    the OS error does not say which file it was writing.
    """
    temp = system_temp_folder()
    try:
        here = os.stat(file if file.is_dir() else file.parent).st_dev
        return temp if os.stat(temp).st_dev != here else None
    except OSError:
        return None


def _about_another_file(exc: OSError, temp: Path, target: Path) -> bool:
    """Whether ``exc`` names a file that is neither the book nor its temporary file
    and is not about a full disk (which no read of an input can be: a PDF part or
    the join's plan in the temp folder failed to be written)."""
    names = [name for name in (exc.filename, exc.filename2) if name is not None]
    if not names or exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return False
    ours = {str(temp), str(target), str(target.parent)}
    return not any(str(name) in ours for name in names)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; best effort, as some file systems cannot sync a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_output(target: Path, *, what: str = "book") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``.

    The caller writes the whole file to the yielded path. If the ``with`` body
    raises anything (including ``KeyboardInterrupt``), the temporary file is
    deleted and ``target`` is left as it was. A :class:`FanbindError` that names
    the temporary file is made to name ``target`` instead. ``what`` names the
    file in messages ("could not write the book").
    """
    try:
        # Kept open until the end: it holds the lock that says a live build owns it.
        owner, temp = owned_temp_file(target.parent, target.name)
    except OSError as exc:
        raise _os_error("cannot write to the folder", exc, str(target.parent), what) from None
    try:
        try:
            yield temp
        except FanbindError as error:
            cause = error.__cause__
            if isinstance(cause, OSError) and not _about_another_file(cause, temp, target):
                # A writer wrapped the OS error in its own words: tell it in ours (a full
                # disk, a forbidden folder), with the hint a writer may not give.
                raise _os_error(f"could not write the {what}", cause, str(target),
                                what) from None
            if error.file == str(temp):
                error.file = str(target)
            raise
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        if _about_another_file(exc, temp, target):
            # Reading an input failed while the book was being written: say which one,
            # rather than blaming the book (a missing stylesheet is not a full disk).
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise BuildError(f"could not read {exc.filename}: {reason}", file=str(target),
                             hint="check that the file exists and is readable; nothing was "
                                  f"written, and an older {what} there is unchanged") from None
        raise _os_error(f"could not write the {what}", exc, str(target), what) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
        os.close(owner)
    _sync_folder(target.parent)


class _Remembering(io.RawIOBase):
    """A file whose failed write is remembered rather than raised (see :func:`library_writer`)."""

    def __init__(self, path: Path) -> None:
        self.file = io.FileIO(path, "w")
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def write(self, data: Buffer, /) -> int:
        if self.error is None:
            try:
                return self.file.write(data)
            except OSError as error:
                self.error = error
        # Once a write failed, the rest is dropped; the error is raised after the save.
        return memoryview(data).nbytes

    def close(self) -> None:
        if not self.closed:
            try:
                self.file.close()
            except OSError as error:
                self.error = self.error or error
        super().close()


@contextlib.contextmanager
def library_writer(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for pikepdf, whose write errors are raised here, after it is done.

    pikepdf writes from C++, and an OS error there (a full disk) — whether on the
    file's descriptor or raised by a Python ``write()`` — can abort the whole
    process (``terminate called after throwing an instance of
    'QPDFSystemError'``), leaving every temporary file and worker behind. So the
    stream it is given never fails: the first failed write is remembered, the
    rest of the output dropped, and the OSError raised once the ``with`` block
    ends. The stream has no descriptor, so pikepdf calls ``write()``, buffered
    (a call per MiB, not per token).
    """
    raw = _Remembering(path)
    with io.BufferedWriter(raw, buffer_size=1 << 20) as stream:
        yield stream
    if raw.error is not None:
        raise raw.error
