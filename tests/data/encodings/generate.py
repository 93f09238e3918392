"""Write the encoding fixtures in this folder: ``python tests/data/encodings/generate.py``.

Every file holds (or deliberately fails to hold) the same short story, so the tests can
assert that each one decodes to exactly :data:`STORY`. ``tests/test_sources.py`` checks
that the files on disk are what this script writes.
"""

from __future__ import annotations

import codecs
import random
from pathlib import Path

HERE = Path(__file__).parent

STORY = (
    "The Café\n"
    "\n"
    "“It’s okay,” she said — and he didn’t believe her.\n"
    "The naïve façade held; it wasn’t hers to keep.\n"
)
# Latin-1 has no curly quotes or dashes: the same story as a Latin-1 writer would type it.
STORY_LATIN1 = (
    "The Café\n"
    "\n"
    "\"It's okay,\" she said -- and he didn't believe her. « Très bien », naïve.\n"
)
# Line 3 onwards was once saved as UTF-8, read as Windows-1252 and saved as UTF-8 again.
_MOJIBAKE_FROM = 2
# English with bytes that mean nothing in cp1252 (0x81 0x8D 0x8F 0x90 0x9D), glued to words.
INVALID = b"Chapter 1\n\nShe said \x81hello\x8d and left the room.\nThe end\x90 of the \x9dstory.\n"


def _mojibake() -> bytes:
    lines = STORY.splitlines(keepends=True)
    broken = [
        line if index < _MOJIBAKE_FROM else line.encode("utf-8").decode("sloppy-windows-1252")
        for index, line in enumerate(lines)
    ]
    return "".join(broken).encode("utf-8")


def fixtures() -> dict[str, bytes]:
    """File name → bytes."""
    import ftfy.bad_codecs  # noqa: F401  (the "sloppy-windows-1252" codec)

    return {
        "utf8.txt": STORY.encode("utf-8"),
        "utf8-bom.txt": STORY.encode("utf-8-sig"),
        "utf16le-bom.txt": codecs.BOM_UTF16_LE + STORY.encode("utf-16-le"),
        "utf16be-bom.txt": codecs.BOM_UTF16_BE + STORY.encode("utf-16-be"),
        "utf16le-nobom.txt": STORY.encode("utf-16-le"),
        "utf32le-bom.txt": codecs.BOM_UTF32_LE + STORY.encode("utf-32-le"),
        "cp1252.txt": STORY.encode("cp1252"),
        "latin1.txt": STORY_LATIN1.encode("latin-1"),
        "mojibake.txt": _mojibake(),
        "crlf.txt": STORY.replace("\n", "\r\n").encode("utf-8"),
        "cr.txt": STORY.replace("\n", "\r").encode("utf-8"),
        "png-renamed.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01",
        "random.txt": random.Random(20240501).randbytes(512),
        "invalid.txt": INVALID,
        "empty.txt": b"",
        "whitespace.txt": b"  \n\t\n   \r\n\xc2\xa0\n",
    }


def main() -> None:
    for name, data in fixtures().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
