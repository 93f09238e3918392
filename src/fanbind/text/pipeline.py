"""One story file through the text stages: bytes → text → structure → typography.

This is the only place that strings the text stages together, so the CLI's
``normalize`` command, ``check`` and ``build`` all see the same result.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from fanbind.diagnostics import Diagnostic, Diagnostics, Severity
from fanbind.errors import StoryFileError
from fanbind.model import BlockT, Chapter, Heading, Paragraph, Story, Text, plain_text
from fanbind.settings.schema import StoryConfig
from fanbind.text.normalize import clean_text
from fanbind.text.readers.detect import choose_format, extension_note, is_epub_bytes
from fanbind.text.readers.epub import epub_tree
from fanbind.text.readers.fanficfare import is_fanficfare_text, read_fanficfare_text
from fanbind.text.readers.read import read_markup, read_tree
from fanbind.text.settings import TextSettings
from fanbind.text.sources import DecodedText, decode_bytes, read_story_bytes
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
    #: Fields metadata.yaml gives and the file gives otherwise: (field, the file's
    #: value as shown, its line). FB242 is made of these with :func:`set_aside_finding`.
    set_aside: tuple[SetAside, ...] = ()


#: A field of the file's set aside for metadata.yaml's: (field, value shown, line, and
#: the document inside the file that line is in, an EPUB's, or None for the file itself).
SetAside = tuple[str, str, int | None, str | None]


@dataclass(frozen=True)
class WrittenAt:
    """Where metadata.yaml writes one story's fields, so that FB242 can point at the
    line a person would edit: ``lines`` maps a field to its line, ``keys`` a field to
    the key as written (``author`` for ``authors``)."""

    file: str = "metadata.yaml"
    lines: tuple[tuple[str, int], ...] = ()
    keys: tuple[tuple[str, str], ...] = ()

    def line(self, field: str) -> int | None:
        return dict(self.lines).get(field)

    def key(self, field: str) -> str:
        return dict(self.keys).get(field, field)


class BlockTypesetter(Protocol):
    """Typesets a chapter's blocks as :func:`fanbind.text.typography.typeset_blocks`
    does, ``counts`` gaining the changes per rule: :func:`typeset_afresh`, or one that
    remembers earlier builds' chapters (:class:`fanbind.loading.ChapterCache`)."""

    def __call__(self, blocks: tuple[BlockT, ...], settings: TextSettings,
                 counts: Counter[str]) -> tuple[BlockT, ...]: ...


def typeset_afresh(blocks: tuple[BlockT, ...], settings: TextSettings,
                   counts: Counter[str]) -> tuple[BlockT, ...]:
    """The blocks typeset now (the :class:`BlockTypesetter` of a build without a cache)."""
    return typeset_blocks(blocks, settings, counts=counts)


#: Hears a story once it is parsed, before it is typeset: the parse, and a way to
#: make the story from it with another typesetter (nothing it finds is reported;
#: it may raise as the load would). The reader of a cold build plans a long
#: story's first parts from there (:func:`fanbind.build.read_in_reader`).
ParsedHook = Callable[[ParsedStory, Callable[[BlockTypesetter], Story]], None]


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def _paragraphs(texts: tuple[str | Paragraph, ...] | list[str | Paragraph],
                ) -> tuple[Paragraph, ...]:
    return tuple(t if isinstance(t, Paragraph) else Paragraph((Text(t),))
                 for t in texts if isinstance(t, Paragraph) or t.strip())


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
    written: WrittenAt | None = None,
    typeset: BlockTypesetter = typeset_afresh,
    on_parsed: ParsedHook | None = None,
) -> LoadedStory:
    """Read, clean, parse and typeset one story file, in whatever format it is.

    The file may be at most ``settings.max_story_bytes`` long (the size is
    checked before anything is read, see :func:`fanbind.text.sources.read_story_bytes`).
    ``typeset`` typesets each chapter (the build's may take it from the cache);
    ``on_parsed`` hears the story before it is typeset (:data:`ParsedHook`).
    An EPUB (``format: epub``, or a zip that says it is one) is read as a zip; any
    other file is decoded to text and its content chooses the reader.
    """
    data = read_story_bytes(path, display_name=display_name, max_bytes=settings.max_story_bytes)
    if meta.format == "epub" or (meta.format is None and is_epub_bytes(data)):
        root, found = epub_tree(data, file=display_name, max_bytes=settings.max_story_bytes)
        diagnostics.extend(found)
        if meta.format is None:  # a zip named .txt or .html: the content won, say so
            diagnostics.extend(extension_note("epub", suffix=path.suffix, file=display_name))
        parsed = read_tree(root, file=display_name)
        return _story_from_parsed(parsed, meta, "", "epub", index=index,
                                  display_name=display_name, settings=settings,
                                  diagnostics=diagnostics, written=written, typeset=typeset,
                                  on_parsed=on_parsed)
    decoded = decode_bytes(data, file=display_name, encoding=meta.encoding)
    return story_from_text(decoded, meta, index=index, display_name=display_name,
                           settings=settings, diagnostics=diagnostics, suffix=path.suffix,
                           written=written, typeset=typeset, on_parsed=on_parsed)


def story_from_text(
    decoded: DecodedText,
    meta: StoryConfig,
    *,
    index: int,
    display_name: str,
    settings: TextSettings,
    diagnostics: Diagnostics,
    suffix: str = "",
    written: WrittenAt | None = None,
    typeset: BlockTypesetter = typeset_afresh,
    on_parsed: ParsedHook | None = None,
) -> LoadedStory:
    """Clean, parse and typeset decoded story text (the stages after reading).

    Separate from :func:`load_story` so tests and fuzzers can feed bytes from
    memory through exactly the stages a build uses. ``suffix`` is the file's
    extension, which the content overrules when they disagree.
    """
    diagnostics.extend(decoded.diagnostics)
    text, found = clean_text(decoded.text, file=display_name)
    diagnostics.extend(found)
    story_format, notes = choose_format(text, suffix=suffix, declared=meta.format,
                                        file=display_name)
    diagnostics.extend(notes)
    if story_format == "text" and is_fanficfare_text(text):
        parsed = read_fanficfare_text(text, file=display_name)
    elif story_format == "text":
        parsed = parse_story(text, file=display_name, metadata_title=meta.title)
    else:
        parsed = read_markup(text, story_format, file=display_name)
    return _story_from_parsed(parsed, meta, text, decoded.encoding, index=index,
                              display_name=display_name, settings=settings,
                              diagnostics=diagnostics, written=written, typeset=typeset,
                              on_parsed=on_parsed)


def _story_from_parsed(
    parsed: ParsedStory,
    meta: StoryConfig,
    text: str,
    encoding: str,
    *,
    index: int,
    display_name: str,
    settings: TextSettings,
    diagnostics: Diagnostics,
    written: WrittenAt | None = None,
    typeset: BlockTypesetter = typeset_afresh,
    on_parsed: ParsedHook | None = None,
) -> LoadedStory:
    """Typeset what a reader found into a :class:`Story`, with the file's metadata
    filling what metadata.yaml leaves out."""
    if on_parsed is not None:
        def story_with(other: BlockTypesetter) -> Story:
            return _story_from_parsed(parsed, meta, text, encoding, index=index,
                                      display_name=display_name, settings=settings,
                                      diagnostics=Diagnostics(), written=written,
                                      typeset=other).story

        on_parsed(parsed, story_with)
    diagnostics.extend(parsed.diagnostics)
    written = written if written is not None else WrittenAt()
    aside: list[SetAside] = []
    meta = _with_found(meta, parsed, display_name, diagnostics, aside)

    story_settings = settings.in_language(meta.language)
    counts: Counter[str] = Counter()

    def typeset_all(blocks: tuple[BlockT, ...]) -> tuple[BlockT, ...]:
        return typeset(blocks, story_settings, counts) if blocks else blocks

    chapters = tuple(
        Chapter(ch.title, typeset_all(ch.blocks), ch.origin, summary=typeset_all(ch.summary),
                notes=typeset_all(ch.notes), end_notes=typeset_all(ch.end_notes))
        for ch in parsed.chapters
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

    def front(meta_text: str | None, found_texts: tuple[str | Paragraph, ...],
              field: str) -> tuple[Paragraph, ...]:
        if meta_text and found_texts and _words(meta_text) == _words(found_texts):
            meta_text = None  # the file's own words (init copies them): keep its emphasis
        if meta_text and found_texts:
            first = found_texts[0]
            origin = first.origin if isinstance(first, Paragraph) else None
            aside.append((field, f"{len(found_texts)} paragraph(s)",
                          origin.line if origin else None,
                          origin.file if origin and origin.file != display_name else None))
        texts: list[str | Paragraph] = [*_split_meta_text(meta_text)] or list(found_texts)
        return typeset_blocks(_paragraphs(texts), story_settings, counts=counts)

    story = Story(
        meta=meta,
        title=title,
        chapters=chapters,
        summary=front(meta.summary, parsed.summary, "summary"),
        notes=front(meta.notes, parsed.notes, "notes"),
        end_notes=front(meta.end_notes, parsed.end_notes, "end_notes"),
        words=words,
        index=index,
    )
    diagnostics.extend(set_aside_finding(display_name, item, written) for item in aside)
    return LoadedStory(story, parsed, text, encoding, counts, tuple(aside))


#: Fields a story file may state that metadata.yaml's StoryConfig also has.
_FILE_FIELDS = frozenset({"authors", "rating", "warnings", "categories", "fandoms",
                          "relationships", "characters", "tags", "source", "published",
                          "language", "series", "series_part"})


def set_aside_finding(file: str, item: SetAside, written: WrittenAt) -> Diagnostic:
    """FB242 for one field set aside, at the file's line, naming metadata.yaml's.

    Made apart from the loading so that the cache, which keeps a loaded story,
    need not be keyed on metadata.yaml's line numbers (a line added above a story
    would miss every story after it): :mod:`fanbind.loading` makes these again
    with the lines of the build at hand.
    """
    field, value, line, inside = item
    at = written.line(field)
    key = written.key(field)
    yours = f"{written.file}:{at}" if at else written.file
    return Diagnostic.create("FB242", inside or file, line,
                             f"{yours} gives `{key}`, which is used; the file's own ({value}) "
                             "is set aside", field=key, where=f" (line {at})" if at else "")


def _words(text: str | tuple[str | Paragraph, ...]) -> list[str]:
    """The words of a summary or notes, to tell the same text written twice."""
    if not isinstance(text, str):
        text = " ".join(t if isinstance(t, str) else plain_text(t.inlines) for t in text)
    return text.split()


def _shown(value: str | tuple[str, ...]) -> str:
    text = ", ".join(value) if isinstance(value, tuple) else value
    return text if len(text) <= 80 else text[:79] + "…"


def _with_found(meta: StoryConfig, parsed: ParsedStory, file: str,
                diagnostics: Diagnostics, aside: list[SetAside]) -> StoryConfig:
    """``meta`` with what the file states filling each field metadata.yaml leaves out.

    Where both give a field, metadata.yaml wins and FB242 names what was set aside;
    a value the schema refuses (an unknown rating) is set aside the same way.
    """
    inside = parsed.inside
    if parsed.title and meta.title and parsed.found and parsed.title != meta.title:
        aside.append(("title", parsed.title, parsed.title_line, inside("title")))
    fields: dict[str, object] = meta.model_dump()
    updates: dict[str, object] = {}
    for field, value, line in parsed.found:
        if field not in _FILE_FIELDS:
            continue
        given = fields.get(field)
        if given in (None, (), []) and field not in updates:
            # The value is checked on its own: the story may have no authors yet.
            try:
                checked = StoryConfig.model_validate({"file": meta.file, "authors": ("-",),
                                                      field: value})
            except ValidationError:
                diagnostics.extend([Diagnostic.create(
                    "FB242", inside(field) or file, line,
                    f"the file's `{field}` ({_shown(value)}) is not a value metadata.yaml "
                    "accepts: set aside", with_hint=False, field=field,
                    where="")])
                continue
            updates[field] = getattr(checked, field)
        elif field not in updates and _normal(given) != _normal(value):
            aside.append((field, _shown(value), line, inside(field)))
    return meta.model_copy(update=updates) if updates else meta


def _normal(value: object) -> object:
    """A field's value as compared across metadata.yaml and a file (enums by value)."""
    if isinstance(value, (tuple, list)):
        return tuple(_normal(item) for item in value)
    return str(getattr(value, "value", value))


def errors_in(items: list[Diagnostic]) -> int:
    return sum(1 for d in items if d.severity is Severity.ERROR)
