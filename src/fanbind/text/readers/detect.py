"""Which reader a story file needs: declared, else told by its content, not its name.

A saved web page is often called ``story.txt`` and a Markdown file ``fic.txt``; an
AO3 download renamed ``.html`` → ``.txt`` must not be set as prose with its markup.
So the content decides, and when the extension says otherwise an info note says
which won (FB240). ``format:`` in metadata.yaml overrides both.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Literal

from fanbind.diagnostics import Diagnostic

__all__ = ["FORMATS", "StoryFormat", "choose_format", "extension_note", "is_epub_bytes"]

StoryFormat = Literal["text", "html", "epub", "markdown"]
FORMATS: tuple[StoryFormat, ...] = ("text", "html", "epub", "markdown")

_BY_EXTENSION: dict[str, StoryFormat] = {
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".epub": "epub",
    ".md": "markdown", ".markdown": "markdown", ".mkd": "markdown",
}

#: Only the start of a file is looked at: the signs sit at the top.
_SNIFF = 4096
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
    re.IGNORECASE | re.DOTALL,
)
#: Tags that, several times over, make a text an HTML fragment (a page's body pasted).
_HTML_TAGS = re.compile(r"</?(?:p|div|br|em|i|b|strong|span|h[1-6]|blockquote|hr)\b[^<>]*>",
                        re.IGNORECASE)
#: Markdown's own signs: an ATX heading line, **strong**, a backslash escape.
_MD_HEADING = re.compile(r"^#{1,6} \S", re.MULTILINE)
_MD_STRONG = re.compile(r"\*\*\S[^*\n]*\S\*\*|__\S[^_\n]*\S__")
_MD_ESCAPE = re.compile(r"\\[-*_`#\[\]!.]")
#: *Emphasis* or _emphasis_: plain text uses it too, so it counts only beside tags.
_MD_EMPHASIS = re.compile(r"(?<![*\w])\*[^*\s][^*\n]*(?<!\s)\*(?![*\w])"
                          r"|(?<![_\w])_[^_\s][^_\n]*(?<!\s)_(?![_\w])")


def is_epub_bytes(data: bytes) -> bool:
    """A zip whose first member is ``mimetype`` saying EPUB (or any zip with one).

    Only the zip's directory is read here; nothing is decompressed.
    """
    if not data.startswith(b"PK\x03\x04"):
        return False
    if data[30:38] == b"mimetype" and b"application/epub+zip" in data[38:100]:
        return True
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "META-INF/container.xml" in names


def _content_format(text: str) -> StoryFormat:
    head = text[:_SNIFF]
    tags = len(_HTML_TAGS.findall(head))
    if _HTML_START.match(head) or tags >= 6:
        return "html"
    signs = (bool(_MD_HEADING.search(head)) + bool(_MD_STRONG.search(head))
             + bool(_MD_ESCAPE.search(head)))
    if tags:
        # A converted fic: Markdown with a few inline tags left in (<em>, <br>). Read
        # as text its tags would be words; the Markdown reader sanitises them as HTML.
        signs += 1 + bool(_MD_EMPHASIS.search(head))
    if signs >= 2:
        return "markdown"
    return "text"


def choose_format(text: str, *, suffix: str, declared: StoryFormat | None,
                  file: str) -> tuple[StoryFormat, list[Diagnostic]]:
    """The reader for decoded story text, and a note when its extension disagrees.

    A ``.md`` file whose content shows no Markdown signs is still Markdown (plain
    prose is valid Markdown); an ``.html`` or ``.txt`` file is what its content is.
    """
    if declared is not None:
        return declared, []
    by_name = _BY_EXTENSION.get(suffix.lower())
    found = _content_format(text)
    if by_name == "markdown" and found == "text":
        return "markdown", []
    return found, extension_note(found, suffix=suffix, file=file)


def extension_note(found: StoryFormat, *, suffix: str, file: str) -> list[Diagnostic]:
    """FB240 when the extension names another format than the content that won
    (also for an EPUB, which is known by its bytes before any text is decoded)."""
    by_name = _BY_EXTENSION.get(suffix.lower())
    if by_name is None or by_name == found:
        return []
    return [Diagnostic.create(
        "FB240", file, None,
        f"the file is named as {by_name} ({suffix}) but its content is {found}: read as "
        f"{found}")]
