"""What the user's stylesheets say, read before layout to choose how to lay out.

Several decisions (cutting a story into parts, moving a part across, stamping
folios, sparing short last words) hold only when no stylesheet changes what they
rely on. Each asks one question of the files: does any of them match a pattern?
A file that cannot be read is answered for by the caller (``unreadable``): the
layout itself reports it, but a decision may have to assume the worst.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path


def any_stylesheet_matches(paths: Iterable[Path], pattern: re.Pattern[str] | str, *,
                           unreadable: bool = False) -> bool:
    """Whether any of ``paths`` contains ``pattern`` (a regex or a plain string)."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            if unreadable:
                return True
            continue
        found = pattern.search(text) if isinstance(pattern, re.Pattern) else pattern in text
        if found:
            return True
    return False
