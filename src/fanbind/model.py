"""The one document model every stage shares.

Text flows one way: sources → normalize → structure → typography → this model →
render → EPUB and PDF writers. The model is frozen and holds no markup: inline
text is plain Unicode, and the renderer alone decides how it becomes XHTML. Every
block remembers where it came from so diagnostics can point at a file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from fanbind.settings.schema import AnthologyConfig, StoryConfig


@dataclass(frozen=True)
class Origin:
    """Where a block came from: the story file and its 1-based line number."""

    file: str
    line: int


# ----------------------------------------------------------------- inline spans


@dataclass(frozen=True)
class Text:
    """A run of plain text."""

    text: str


@dataclass(frozen=True)
class Emphasis:
    """Emphasised text (``*word*``, ``_word_`` or ``/word/`` in the source)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strong:
    """Strong importance (``<b>``/``<strong>`` or ``**word**`` in HTML and Markdown sources)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Underline:
    """Underlined text (``<u>`` in an HTML source): authors use it for titles and stress."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strike:
    """Struck-through text (``<s>``/``<strike>``/``<del>``): a joke the author kept visible."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class LineBreak:
    """A line break inside a paragraph (``<br>`` in verse or a letter), not a new paragraph."""


#: The inline kinds that wrap other spans; each renders as its own XHTML element.
Span = Emphasis | Strong | Underline | Strike
Inline = Text | Span | LineBreak


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """The text of a run of inline spans with the markup dropped (a line break is ``\\n``)."""
    out: list[str] = []
    for span in inlines:
        if isinstance(span, Text):
            out.append(span.text)
        elif isinstance(span, LineBreak):
            out.append("\n")
        else:
            out.append(plain_text(span.children))
    return "".join(out)


# ----------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of prose; ``quote`` marks one inside a block quote (HTML, Markdown).

    Consecutive quoted paragraphs are rendered as one ``<blockquote>``: a flag
    rather than a nesting block, so every stage that walks paragraphs sees them.
    """

    inlines: tuple[Inline, ...]
    origin: Origin | None = None
    quote: bool = False


@dataclass(frozen=True)
class SceneBreak:
    """A change of scene (``***``, ``~~~``, ``oOo`` …), drawn as an ornament."""

    origin: Origin | None = None


@dataclass(frozen=True)
class Heading:
    """A small heading inside a chapter, such as a point-of-view label line."""

    inlines: tuple[Inline, ...]
    origin: Origin | None = None


Block = Paragraph | SceneBreak | Heading
#: One kind of block, kept by a stage that changes text only (paragraphs stay paragraphs).
BlockT = TypeVar("BlockT", bound=Block)


# ------------------------------------------------------------- larger structure


@dataclass(frozen=True)
class Chapter:
    """A run of blocks; a story without chapter headings has one untitled chapter.

    ``summary``, ``notes`` and ``end_notes`` are the chapter's own (AO3's "Chapter
    Summary", "Chapter Notes", "Chapter End Notes"): they stay with the chapter.
    """

    title: str | None
    blocks: tuple[Block, ...]
    origin: Origin | None = None
    summary: tuple[Paragraph, ...] = ()
    notes: tuple[Paragraph, ...] = ()
    end_notes: tuple[Paragraph, ...] = ()


@dataclass(frozen=True)
class Story:
    """One story: its resolved metadata, front texts and chapters.

    ``summary``, ``notes`` and ``end_notes`` come from metadata.yaml or, when it has
    none, from ``Summary:``/``Notes:`` sections found in the story file.
    """

    meta: StoryConfig
    title: str
    chapters: tuple[Chapter, ...]
    summary: tuple[Paragraph, ...] = ()
    notes: tuple[Paragraph, ...] = ()
    end_notes: tuple[Paragraph, ...] = ()
    words: int = 0
    index: int = 0

    @property
    def id(self) -> str:
        """A stable, ASCII id used for file names and anchors."""
        return f"story-{self.index + 1:03d}"


@dataclass(frozen=True)
class Anthology:
    """The whole book."""

    meta: AnthologyConfig
    stories: tuple[Story, ...] = field(default_factory=tuple)

    @property
    def words(self) -> int:
        return sum(story.words for story in self.stories)
