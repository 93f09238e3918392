"""One story file through the text stages: bytes → text → structure → typography.

This is the only place that strings the text stages together, so the CLI's
``normalize`` command, ``check`` and ``build`` all see the same result.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fanbind.diagnostics import Diagnostic, Diagnostics, Severity
from fanbind.errors import StoryFileError
from fanbind.model import BlockT, Chapter, Heading, Paragraph, Story, Text, plain_text
from fanbind.settings.schema import StoryConfig
from fanbind.text.normalize import clean_text
from fanbind.text.settings import TextSettings
from fanbind.text.sources import DecodedText, read_story
from fanbind.text.structure.parser import ParsedStory, parse_story
from fanbind.text.typography import typeset_blocks, typeset_text

WORD = re.compile(r"\w+(?:['’\-]\w+)*")


@dataclass(frozen=True)
class LoadedStory:
    """A story with everything the stages found out about it."""

    story: Story
    parsed: ParsedStory
    source_text: str
    encoding: str
    rule_counts: Counter[str]


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def _paragraphs(texts: tuple[str, ...] | list[str]) -> tuple[Paragraph, ...]:
    return tuple(Paragraph((Text(t),)) for t in texts if t.strip())


def _split_meta_text(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip().replace("\n", " ") for part in re.split(r"\n\s*\n", text) if part.strip()]


def load_story(
    path: Path,
    meta: StoryConfig,
    *,
    index: int,
    display_name: str,
    settings: TextSettings,
    diagnostics: Diagnostics,
) -> LoadedStory:
    """Read, clean, parse and typeset one story file.

    The file may be at most ``settings.max_story_bytes`` long (the size is
    checked before anything is read, see :func:`fanbind.text.sources.read_story`).
    """
    decoded = read_story(path, display_name=display_name, encoding=meta.encoding,
                         max_bytes=settings.max_story_bytes)
    return story_from_text(decoded, meta, index=index, display_name=display_name,
                           settings=settings, diagnostics=diagnostics)


def story_from_text(
    decoded: DecodedText,
    meta: StoryConfig,
    *,
    index: int,
    display_name: str,
    settings: TextSettings,
    diagnostics: Diagnostics,
) -> LoadedStory:
    """Clean, parse and typeset decoded story text (the stages after reading).

    Separate from :func:`load_story` so tests and fuzzers can feed bytes from
    memory through exactly the stages a build uses.
    """
    diagnostics.extend(decoded.diagnostics)
    text, found = clean_text(decoded.text, file=display_name)
    diagnostics.extend(found)
    parsed = parse_story(text, file=display_name, metadata_title=meta.title)
    diagnostics.extend(parsed.diagnostics)

    story_settings = settings.in_language(meta.language)
    counts: Counter[str] = Counter()

    def typeset(blocks: tuple[BlockT, ...]) -> tuple[BlockT, ...]:
        return typeset_blocks(blocks, story_settings, counts=counts)

    chapters = tuple(
        Chapter(ch.title, typeset(ch.blocks), ch.origin) for ch in parsed.chapters
    )
    if not any(isinstance(b, Paragraph) for ch in chapters for b in ch.blocks):
        raise StoryFileError("has no story text once export lines and ornaments are removed",
                             file=display_name,
                             hint="check that the file holds the story, not only its notes")
    title = meta.title or parsed.title
    title = typeset_text(title, story_settings) if title else "Untitled"
    words = 0
    for chapter in chapters:
        for block in chapter.blocks:
            if isinstance(block, (Paragraph, Heading)):
                words += count_words(plain_text(block.inlines))

    def front(meta_text: str | None, found_texts: tuple[str, ...]) -> tuple[Paragraph, ...]:
        texts = _split_meta_text(meta_text) or list(found_texts)
        return typeset(_paragraphs(texts))

    story = Story(
        meta=meta,
        title=title,
        chapters=chapters,
        summary=front(meta.summary, parsed.summary),
        notes=front(meta.notes, parsed.notes),
        end_notes=front(meta.end_notes, parsed.end_notes),
        words=words,
        index=index,
    )
    return LoadedStory(story, parsed, text, decoded.encoding, counts)


def errors_in(items: list[Diagnostic]) -> int:
    return sum(1 for d in items if d.severity is Severity.ERROR)
