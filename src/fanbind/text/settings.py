"""TextSettings: the few book settings the text stages read, and nothing else.

The story cache is keyed on these (:func:`fanbind.loading.story_key`), so a
change anywhere else in metadata.yaml (print settings, the book's title) reads
no story again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: typography needs no pydantic models
    from fanbind.settings.schema import AnthologyConfig

__all__ = ["TextSettings"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class TextSettings:
    """Language, dash style and story size limit, from the book (or a story's own language).

    ``language`` is a BCP-47 tag; ``dash_style`` is checked by the typography
    tables when they are chosen (an unknown style is a ``ValueError`` there).
    """

    language: str = "en"
    dash_style: str = "em"
    max_story_bytes: int = 64 * _MB

    @classmethod
    def from_book(cls, book: AnthologyConfig) -> TextSettings:
        """The text settings of a book's metadata.yaml."""
        return cls(language=book.language, dash_style=book.dash_style,
                   max_story_bytes=book.limits.max_story_mb * _MB)

    def in_language(self, language: str | None) -> TextSettings:
        """These settings for a story in ``language`` (its own ``language:``), if it has one."""
        if not language or language == self.language:
            return self
        return replace(self, language=language)
