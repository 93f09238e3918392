"""Book-level lint: findings that need the typeset text or the whole anthology.

Quote checks live in :mod:`fanbind.text.lint.quotes`; structural findings (hard wrap,
two blank lines) come from :mod:`fanbind.text.structure`. Codes are stable: FB3xx for
text, registered with their hints in :data:`fanbind.diagnostics.CODES`.
"""

from __future__ import annotations

from collections.abc import Sequence

from fanbind.diagnostics import Diagnostic
from fanbind.model import Paragraph, plain_text
from fanbind.text.lint.quotes import lint_quotes
from fanbind.text.pipeline import LoadedStory, count_words

OVERLONG_PARAGRAPH_WORDS = 400


def lint_story(loaded: LoadedStory, *, language: str | None = None) -> list[Diagnostic]:
    """Quote balance and paragraph length for one story.

    ``language`` is the one the story was typeset in (its own, else the book's): the
    quote lint pairs that language's marks (German „…“ is balanced, not unbalanced).
    """
    story = loaded.story
    file = loaded.parsed.chapters[0].origin.file if loaded.parsed.chapters and \
        loaded.parsed.chapters[0].origin else story.meta.file
    typeset: list[tuple[str, int]] = []
    source: list[str] = []
    # Each paragraph's own file: a story read out of an EPUB is several documents.
    files: list[str] = []
    for chapter, parsed_chapter in zip(story.chapters, loaded.parsed.chapters, strict=True):
        for block, raw in zip(chapter.blocks, parsed_chapter.blocks, strict=True):
            if isinstance(block, Paragraph):
                assert isinstance(raw, Paragraph), "typesetting keeps each block's kind"
                line = block.origin.line if block.origin else 0
                typeset.append((plain_text(block.inlines), line))
                source.append(plain_text(raw.inlines))
                files.append(block.origin.file if block.origin else file)
    found = lint_quotes(typeset, file=file, source_paragraphs=source, files=files,
                        language=language or story.meta.language or "en")
    for (text, line), in_file in zip(typeset, files, strict=True):
        # A word takes at least two characters with its separator, so a shorter
        # paragraph cannot be overlong: most are, and counting is a regex pass.
        if len(text) <= 2 * OVERLONG_PARAGRAPH_WORDS:
            continue
        words = count_words(text)
        if words > OVERLONG_PARAGRAPH_WORDS:
            found.append(Diagnostic.create(
                "FB310", in_file, line, f"overlong paragraph ({words} words)"))
    return found


def lint_book(stories: Sequence[LoadedStory],
              per_story: Sequence[Sequence[Diagnostic]] | None = None) -> list[Diagnostic]:
    """Lint every story, then the anthology as a whole.

    ``per_story`` holds :func:`lint_story`'s findings for each story when they are
    known already (the build cache keeps them with the story).
    """
    found: list[Diagnostic] = []
    if per_story is not None and len(per_story) == len(stories):
        for findings in per_story:
            found.extend(findings)
    else:
        for loaded in stories:
            found.extend(lint_story(loaded))
    seen: dict[str, str] = {}
    for loaded in stories:
        key = loaded.story.title.casefold()
        if key in seen:
            found.append(Diagnostic.create(
                "FB320", loaded.story.meta.file, None,
                f"duplicate story title {loaded.story.title!r} (also {seen[key]})"))
        else:
            seen[key] = loaded.story.meta.file
    return found
