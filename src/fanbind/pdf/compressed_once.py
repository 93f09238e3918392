"""Each PDF stream compressed once per write, not twice.

pydyf (WeasyPrint's PDF writer) compresses a stream (zlib level 9) each time its
``data`` is read, and a file written with an identifier reads every object's
data twice: once to write it, once more to hash the whole file for ``/ID``.
Half of a part's compression (0.1 of 0.2 s of CPU for 90 pages) went on
bytes thrown away. :class:`CompressedOnce` keeps each stream's data for the
length of one ``PDF.write`` (the objects are not changed while it writes: pydyf
only serialises them), so the file is the same byte for byte and its streams are
compressed once. tests/test_glyph_runs.py pins the pydyf source this relies on.

Nothing here imports pydyf: pdf/layout.py hands in its classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CompressedOnce:
    """``Stream.data`` remembered during ``PDF.write``; ``reused`` counts the reads
    answered from memory (the tests read it)."""

    def __init__(self, pdf_class: Any, stream_class: Any) -> None:
        self._pdf_class = pdf_class
        self._stream_class = stream_class
        self._writing: dict[int, bytes] | None = None
        self.reused = 0

    def install(self) -> Callable[[], None]:
        """Put the memo in place; returns the function that gives pydyf its own back."""
        data = self._stream_class.__dict__["data"]
        write = self._pdf_class.__dict__["write"]
        memo = self

        def remembered(stream: Any) -> bytes:
            writing = memo._writing
            if writing is None:
                made: bytes = data.fget(stream)
                return made
            known = writing.get(id(stream))
            if known is None:
                known = writing[id(stream)] = data.fget(stream)
            else:
                memo.reused += 1
            return known

        def writing_once(pdf: Any, *args: Any, **kwargs: Any) -> Any:
            # The streams stay alive (pdf.objects holds them) while their ids are keys.
            memo._writing = {}
            try:
                return write(pdf, *args, **kwargs)
            finally:
                memo._writing = None

        self._stream_class.data = property(remembered)
        self._pdf_class.write = writing_once

        def restore() -> None:
            self._stream_class.data = data
            self._pdf_class.write = write

        return restore
