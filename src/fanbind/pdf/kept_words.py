"""Words kept whole by the hyphenation dictionary: names and ``hyphenation: never`` words.

WeasyPrint hyphenates a word that does not fit at a line's end with a pyphen
dictionary it makes per language (``context.dictionaries`` in its line
breaker). :class:`KeptWordsPyphen` stands in for the ``pyphen`` module there
during fanbind's layouts (:func:`fanbind.pdf.layout.lay_out`): its
dictionaries have no break points for a word that is, or contains, a kept word
(any case: "Kakashi", "KAKASHI", "Kakashi’s"), and are pyphen's own for every
other word.

Why not a ``hyphens: manual`` span around each name, as before: a span cuts the
paragraph into inline boxes, and WeasyPrint breaks every box's text with Pango
layouts of its own, line by line. The sample's names (Kakashi, Iruka, …, a few
hundred times) made a quarter of its line breaking — 3,545 of 13,994 first-line
layouts — for nothing a reader sees; a span also cut the kerning between a name
and the letters after it ("Kakashi’s"). Exception words (soft hyphens at given
points) stay spans (:mod:`fanbind.pdf.linebreaks`): they are few, and manual
hyphenation breaks them where they say whatever their length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

#: The parts of a word WeasyPrint hands the dictionary ("Kakashi’s": Kakashi, s).
_PARTS = re.compile(r"\w+")


class KeptWords:
    """A pyphen dictionary without break points for words holding a kept word."""

    def __init__(self, inner: Any, kept: frozenset[str]) -> None:
        self.inner = inner
        self.kept = kept

    def iterate(self, word: str) -> Iterator[tuple[str, str]]:
        """pyphen's break points of ``word`` (longest first), none for a kept word."""
        if any(part.lower() in self.kept for part in _PARTS.findall(word)):
            return iter(())
        return iter(self.inner.iterate(word))


class KeptWordsPyphen:
    """The ``pyphen`` module as WeasyPrint's line breaker uses it, keeping ``kept`` whole.

    ``pyphen`` is the module it stands in for (the line breaker's own, handed
    in by the layout: pyphen ships no types, and fanbind never imports it).
    """

    def __init__(self, kept: Iterable[str], pyphen: Any) -> None:
        self.kept = frozenset(word.lower() for word in kept)
        self.pyphen = pyphen

    def language_fallback(self, language: str) -> str | None:
        found: str | None = self.pyphen.language_fallback(language)
        return found

    def Pyphen(self, **options: Any) -> KeptWords:  # named as pyphen's class: WeasyPrint calls it
        return KeptWords(self.pyphen.Pyphen(**options), self.kept)
