"""Atomic output files: a finished book appears under its name or not at all.

Each output is written to a hidden temporary file in the same folder, flushed to
disk, then renamed over the target in one step. On any failure — including
Ctrl-C — the temporary file is removed and an older book stays intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fanbind.errors import BuildError


def ensure_output_dir(path: Path) -> None:
    """Create the output folder, or explain why it cannot be used."""
    if path.exists() and not path.is_dir():
        raise BuildError("the output path is a file, not a folder", file=str(path),
                         hint="choose another folder with -o/--output")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the output folder: {exc.strerror or exc}", file=str(path),
                         hint="check the folder's permissions or choose another with -o") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise BuildError("the output folder is not writable", file=str(path),
                         hint="check the folder's permissions or choose another with -o")


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` atomically."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise BuildError(f"cannot write to the output folder: {exc.strerror or exc}",
                         file=str(target.parent)) from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        raise BuildError(f"could not write the file: {exc.strerror or exc}", file=str(target),
                         hint="check free disk space and permissions") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
