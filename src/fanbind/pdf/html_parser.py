"""WeasyPrint's HTML parser (tinyhtml5) with a cache of its scanning patterns that hits.

tinyhtml5's tokenizer reads text, attribute names and values with
``chars_until(characters)``, which builds a regular expression for the
characters and keeps it in ``characters_until_regex``, keyed by the characters.
Its store, ``characters = cache[(characters, opposite)] = regex``, assigns
``characters`` first, so the pattern is filed under itself and never found
again: every call builds the pattern's source character by character and looks
it up in :mod:`re`'s cache. A run of letters in an attribute name is one call,
so is every attribute value and every run of text between tags: on the sample
book, two thirds of the parse (0.08 of 0.12 s a layout pass, every pass and
every part parses the book again).

:func:`mend_pattern_cache` puts a dictionary in the cache's place that makes
the same pattern on a miss and files it under the key it was asked for. The
patterns are those tinyhtml5 would make (its own recipe, repeated), so the parse
is the same; a tinyhtml5 that files them right finds them there all the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# WeasyPrint's own parser; untyped, like WeasyPrint (pyproject's mypy overrides).
import tinyhtml5.inputstream as inputstream  # type: ignore[import-untyped]


class _PatternCache(dict[tuple[Iterable[str], bool], re.Pattern[str]]):
    """``chars_until``'s patterns by ``(characters, opposite)``, made on first use."""

    def __missing__(self, key: tuple[Iterable[str], bool]) -> re.Pattern[str]:
        characters, opposite = key
        # tinyhtml5's recipe (inputstream.HTMLInputStream.chars_until), unchanged.
        regex = "".join([f"\\x{ord(character):02x}" for character in characters])
        if not opposite:
            regex = f"^{regex}"
        pattern = self[key] = re.compile(f"[{regex}]+")
        return pattern


def mend_pattern_cache() -> None:
    """Give tinyhtml5 a pattern cache that hits (once per process; idempotent)."""
    if not isinstance(inputstream.characters_until_regex, _PatternCache):
        inputstream.characters_until_regex = _PatternCache()
