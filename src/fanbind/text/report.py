"""``fanbind normalize``: show what the text stages make of one story file.

A user about to print 300 pages needs to trust the normalizer; this prints the
result with its blocks marked, or a diff against the source.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from fanbind.diagnostics import Diagnostics
from fanbind.model import (
    Emphasis,
    Heading,
    Inline,
    LineBreak,
    Paragraph,
    SceneBreak,
    Strong,
    Text,
    plain_text,
)
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import LoadedStory, load_story
from fanbind.text.settings import TextSettings


def _load(file: Path, *, language: str, encoding: str | None) -> tuple[LoadedStory, Diagnostics]:
    # The story's model checks --language and --encoding as metadata.yaml would
    # (a pydantic ValidationError the CLI reports as a usage error).
    meta = StoryConfig(file=str(file), authors=("Anonymous",), encoding=encoding,
                       language=language)
    diagnostics = Diagnostics()
    loaded = load_story(file, meta, index=0, display_name=str(file), settings=TextSettings(),
                        diagnostics=diagnostics)
    return loaded, diagnostics


def story_lines(loaded: LoadedStory, *, marked: bool) -> list[str]:
    """The normalized story as text lines; ``marked`` prefixes each block with its kind."""
    parsed, story = loaded.parsed, loaded.story
    lines: list[str] = []

    def emit(kind: str, text: str, line: int | None) -> None:
        if marked:
            where = f"{line:>5}" if line else "     "
            lines.append(f"{where} {kind:<7} {text}")
        else:
            lines.extend([text, ""])

    if parsed.title or not marked:
        # The plain text always opens with the title line, as a story file should,
        # so reading the normalized text again finds the same title and body.
        emit("TITLE", story.title, parsed.title_line)
    # In plain text, front and end notes keep AO3's labels, so the text read again
    # puts them back where they were instead of into the story.
    for kind, label, paragraphs in (("SUMMARY", "Summary:", story.summary),
                                    ("NOTES", "Notes:", story.notes)):
        if paragraphs and not marked:
            lines.extend([label, ""])
        for paragraph in paragraphs:
            emit(kind, plain_text(paragraph.inlines), None)
    if (story.summary or story.notes) and not marked:
        lines.extend(["Chapter Text", ""])
    for chapter in story.chapters:
        if chapter.title:
            emit("CHAPTER", chapter.title, chapter.origin.line if chapter.origin else None)
        for kind, label, paragraphs in (("CH-SUM", "Chapter Summary", chapter.summary),
                                        ("CH-NOTE", "Chapter Notes", chapter.notes)):
            if paragraphs and not marked:
                lines.extend([label, ""])
            for paragraph in paragraphs:
                emit(kind, plain_text(paragraph.inlines), None)
        for block in chapter.blocks:
            line = block.origin.line if block.origin else None
            if isinstance(block, Paragraph):
                emit("P", _with_emphasis(block), line)
            elif isinstance(block, Heading):
                emit("HEADING", plain_text(block.inlines), line)
            elif isinstance(block, SceneBreak):
                emit("BREAK", "* * *", line)
        if chapter.end_notes and not marked:
            lines.extend(["Chapter End Notes", ""])
        for paragraph in chapter.end_notes:
            emit("CH-END", plain_text(paragraph.inlines), None)
    if story.end_notes and not marked:
        lines.extend(["Chapter End Notes", ""])
    for paragraph in story.end_notes:
        emit("ENDNOTE", plain_text(paragraph.inlines), None)
    return lines


def _with_emphasis(paragraph: Paragraph) -> str:
    # Plain text has marks for emphasis and strong text only; underlined and
    # struck text keep their words, and a line break stays a line break.
    def walk(spans: tuple[Inline, ...]) -> str:
        out: list[str] = []
        for s in spans:
            if isinstance(s, Text):
                out.append(s.text)
            elif isinstance(s, LineBreak):
                out.append("\n")
            elif isinstance(s, Emphasis):
                out.append(f"*{walk(s.children)}*")
            elif isinstance(s, Strong):
                out.append(f"**{walk(s.children)}**")
            else:
                out.append(walk(s.children))
        return "".join(out)

    return walk(paragraph.inlines)


def normalized_listing(file: Path, *, language: str = "en", encoding: str | None = None) -> str:
    """The story with blocks marked: line number, kind, text; then the findings."""
    loaded, diagnostics = _load(file, language=language, encoding=encoding)
    header = (f"{file}: {loaded.encoding}, {loaded.parsed.paragraph_model} paragraphs, "
              f"{loaded.story.words:,} words")
    parts = [header, "", *story_lines(loaded, marked=True)]
    findings = diagnostics.format(include_info=True)
    if findings:
        parts += ["", findings]
    return "\n".join(parts)


def normalized_diff(file: Path, *, language: str = "en", encoding: str | None = None) -> str:
    """A unified diff from the source text to the normalized text."""
    loaded, _ = _load(file, language=language, encoding=encoding)
    before = loaded.source_text.splitlines()
    after = story_lines(loaded, marked=False)
    while after and not after[-1]:
        after.pop()
    diff = difflib.unified_diff(before, after, fromfile=f"{file} (source)",
                                tofile=f"{file} (fanbind)", lineterm="", n=1)
    return "\n".join(diff) or "no changes"
