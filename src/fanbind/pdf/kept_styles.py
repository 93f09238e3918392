"""The stylesheets and fonts every layout of a build shares, parsed once per process.

Each part of a book laid out in parts used to start from nothing: a new font
configuration (fontconfig and a Pango font map), print.css and the user's
stylesheets parsed again, their ``@font-face`` fonts copied and registered
again, and every Pango font and HarfBuzz face made cold for its first lines.
All of that is the same for every part of a build, so a process keeps one
:class:`Styles` — for the build only, and for one set of stylesheets:

* **Keyed by what it depends on**: the process, the build's temp folder, the
  project folder (which files may be fetched), the stylesheets' contents and the
  part's own rules (:func:`styles_key`). Another build, another stylesheet or an
  edited one gets a fresh parse and fresh fonts; the one kept before is
  released.
* **Only inside a build** (the temp folder is a build's own,
  :func:`fanbind.scratch.build_temp_folder`): WeasyPrint copies the
  ``@font-face`` fonts to a folder of the temp folder, which must live as long
  as the font configuration that reads them; a build's folder goes, with the
  fonts, when the build ends. Outside a build (a direct call, most tests) every
  run parses afresh and its fonts are released after its write, as before.
* **The same result**: what parsing fetched, refused and warned about is kept
  with the sheets and given to every run that uses them, so a part's result
  (its warnings, the files its cache entry depends on) is the one a fresh
  parse would give. WeasyPrint reads the parsed sheets without changing them,
  and the PDF takes its fonts' names from their descriptions, not from objects,
  so pages and bytes are the same (tests/test_kept_styles.py).

WeasyPrint is not imported here (:mod:`fanbind.pdf.layout` is its importer):
the caller says how to parse.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanbind.cache import file_digest
from fanbind.scratch import BUILD_FOLDER

#: What a set of parsed stylesheets was made from (None: not to be kept).
StylesKey = tuple[object, ...]


@dataclass
class Styles:
    """A run's stylesheets, parsed, and the font configuration their ``@font-face``
    rules were added to.

    ``fetched``, ``refused``, ``warnings``: what parsing them fetched (fonts,
    ``@import``), refused and said, for every run that uses them. (The settings
    sheet, :meth:`fanbind.pdf.geometry.Geometry.css`, is parsed per render: 1 ms.)
    """

    fonts: Any  # WeasyPrint's FontConfiguration
    design: tuple[Any, ...]  # print.css
    user: tuple[Any, ...]  # the user's stylesheets, then the part's own rules
    fetched: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def styles_key(project_dir: Path, design: Path, sheets: Iterable[Path], part_css: str
               ) -> StylesKey | None:
    """What parsing these stylesheets for a project gives depends on; None outside
    a build (nothing is kept) or when a stylesheet cannot be read (the parse
    reports it)."""
    folder = tempfile.gettempdir()
    if not BUILD_FOLDER.match(Path(folder).name):
        return None
    digests = []
    for path in (design, *sheets):
        try:
            digests.append((str(path), file_digest(path)))
        except OSError:
            return None
    return (os.getpid(), folder, str(project_dir), tuple(digests), part_css)


class StyleKeeper:
    """The :class:`Styles` this process keeps for its build (at most one set)."""

    def __init__(self, release: Callable[[Any], None]) -> None:
        self._release = release  # frees a font configuration's fonts (its folder)
        self._key: StylesKey | None = None
        self._kept: Styles | None = None

    def styles(self, key: StylesKey | None, parse: Callable[[], Styles]) -> Styles:
        """The styles kept under ``key``, else those ``parse`` makes, kept under ``key``
        unless it is None (the set kept before is released either way)."""
        if key is not None and key == self._key and self._kept is not None:
            return self._kept
        self.forget()
        styles = parse()
        if key is not None:
            self._key, self._kept = key, styles
        return styles

    def keeps(self, fonts: Any) -> bool:
        """Whether ``fonts`` belong to the kept styles (not to be released after a run)."""
        return self._kept is not None and fonts is self._kept.fonts

    def forget(self) -> None:
        """Drop the kept styles; their fonts are released by the process that made
        them (a worker forked with its parent's set leaves the parent's fonts alone)."""
        key, kept, self._key, self._kept = self._key, self._kept, None, None
        if kept is not None and key is not None and key[0] == os.getpid():
            self._release(kept.fonts)
