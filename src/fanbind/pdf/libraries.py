"""WeasyPrint's C libraries found from the linker's cache, not by compiling: a third of its import.

WeasyPrint opens Pango, HarfBuzz, fontconfig and GObject through cffi at import,
trying a list of names per library (Windows' and macOS' names first). cffi
hands every name it cannot open directly to :func:`ctypes.util.find_library`,
which on Linux asks ``ldconfig -p`` and, for a name not in the linker's cache,
runs ``gcc`` and then ``ld`` to search for it: 54 processes and about 0.3 s of
CPU per import (0.2 s of it in ``gcc`` and ``ld``), paid by the build and by every
PDF worker process that imports WeasyPrint — a sixth of a small book's PDF build.

While WeasyPrint is imported, :func:`quick_library_search` answers from the
linker's cache only (what ``ldconfig -p`` lists, as ``find_library`` itself
tries first), each name once. A library the cache does not list is still found:
WeasyPrint's list ends with the plain file names (``libpango-1.0.so.0``), which
the dynamic loader opens by its own rules (``LD_LIBRARY_PATH``, the cache, the
system folders). Other platforms, and Pythons without ctypes' cache reader, are
left as they are.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def quick_library_search() -> Iterator[None]:
    """Within the block, :func:`ctypes.util.find_library` reads only the linker's cache."""
    reader: Callable[[str], str | None] | None = getattr(ctypes.util, "_findSoname_ldconfig",
                                                         None)
    if not sys.platform.startswith("linux") or reader is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = functools.cache(reader)
    try:
        yield
    finally:
        ctypes.util.find_library = original
