"""Stories through the text stages, from the cache or on every core.

Each story file is read, cleaned, parsed and typeset on its own. Results come
from the cache (:mod:`fanbind.cache`) when the story, its metadata, the book's
:class:`TextSettings` and fanbind are unchanged; the rest are shared among forked
worker processes, which receive only the path of their story. Errors keep their
serial meaning: the first failing story in reading order stops the build, with
the warnings of the stories before it.

A changed story read in this process keeps its unchanged chapters' typesetting
(:class:`ChapterCache`): typesetting is half of reading a story, and an edit in
one chapter of a 300,000-word story should not typeset sixty. The stages before it
(decoding, cleaning, finding the chapters) and the lint run on the whole file, as
a fresh build does, so every finding and its line are the same.
"""

from __future__ import annotations

import stat
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, cast

from fanbind.cache import ProjectCache, library_version, make_key
from fanbind.diagnostics import Diagnostic, Diagnostics
from fanbind.errors import FanbindError
from fanbind.model import Block, BlockT, Heading, Inline, LineBreak, Paragraph, Story, Text
from fanbind.processes import default_jobs, worker_pool
from fanbind.settings.schema import StoryConfig
from fanbind.text.lint.story import lint_story
from fanbind.text.pipeline import (
    BlockTypesetter,
    LoadedStory,
    WrittenAt,
    load_story,
    set_aside_finding,
    typeset_afresh,
)
from fanbind.text.settings import TextSettings
from fanbind.text.structure.parser import ParsedStory
from fanbind.text.typography import typeset_blocks
from fanbind.timings import record as record_timing
from fanbind.timings import start as start_timing

STORY_NAMESPACE = "stories"
#: The typeset chapters (:class:`ChapterCache`).
CHAPTER_NAMESPACE = "story-chapters"
#: Both, for the build's pruning.
STORY_NAMESPACES = (STORY_NAMESPACE, CHAPTER_NAMESPACE)
#: Fewer stories than this to load are loaded in this process: starting
#: workers and sending results back costs more than it saves on small books
#: (the default of ``load_stories(min_parallel=)``).
MIN_PARALLEL_STORIES = 24


@dataclass(frozen=True)
class StoryTask:
    """One story to load: where it is, what metadata.yaml says, where it goes."""

    path: Path
    meta: StoryConfig
    index: int
    display_name: str
    #: Where metadata.yaml writes this story's fields (named in FB242).
    written: WrittenAt = field(default_factory=WrittenAt)


def story_key(task: StoryTask, settings: TextSettings, data: bytes) -> str:
    """Everything :func:`fanbind.text.pipeline.load_story` depends on, hashed.

    The file's bytes, the story's metadata, the book's text settings (and no
    other book setting: a new trim or book title reads no story again), the
    story's place and name (they are written into ids and diagnostics), and the
    code: fanbind's (in every key) and the libraries that decode and clean text.
    """
    return make_key("story", data, task.meta.model_dump_json(), settings, task.index,
                    task.display_name, library_version("ftfy"),
                    library_version("charset_normalizer"))


def _readable_bytes(task: StoryTask, settings: TextSettings) -> bytes | None:
    """The file's bytes when it is a regular file within the size limit, else None.

    Anything else (missing, a FIFO, too big) goes straight to ``load_story``,
    which reports it properly; the cache never reads what the loader would refuse.
    """
    try:
        info = task.path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > settings.max_story_bytes:
            return None
        return task.path.read_bytes()
    except OSError:
        return None


def all_cached(tasks: Sequence[StoryTask], settings: TextSettings, cache: ProjectCache) -> bool:
    """Whether :func:`load_stories` would take every story from ``cache`` (none of
    their files, metadata or settings changed): a build asks before it reads."""
    if not cache.enabled:
        return False
    for task in tasks:
        data = _readable_bytes(task, settings)
        if data is None or not cache.has(STORY_NAMESPACE, story_key(task, settings, data)):
            return False
    return True


#: The typesetting of one run of blocks as kept: per block its typeset spans
#: (None: a scene break, kept as it is), and the changes per rule.
TypesetBlocks = tuple[tuple[tuple[Inline, ...] | None, ...], dict[str, int]]


class ChapterCache:
    """A :class:`~fanbind.text.pipeline.BlockTypesetter` that keeps each chapter's
    typesetting in the project's cache between builds.

    Keyed by the chapter's spans (text and emphasis, block by block) and the text
    settings the story is typeset with (language, dash style; the rules are code,
    in every key): typesetting reads nothing else. The lines the blocks came
    from stay out of the key and are the current ones (a paragraph added above a
    chapter moves its lines, not its typesetting). ``hits`` and ``misses``
    count the runs of blocks found and typeset (tests: an edit typesets one chapter).
    """

    def __init__(self, cache: ProjectCache) -> None:
        # A cache of its own: the build's counts stay those of whole stories. The
        # build's keeps the keys (load_stories), for its pruning.
        self.cache = ProjectCache(cache.root)
        self.hits = 0
        self.misses = 0
        self.keys: list[str] = []  # every key asked for (kept with the story: see keep())

    def __call__(self, blocks: tuple[BlockT, ...], settings: TextSettings,
                 counts: Counter[str]) -> tuple[BlockT, ...]:
        key = make_key("typeset", _spans_of(blocks), settings)
        self.keys.append(key)
        hit = self.cache.get(CHAPTER_NAMESPACE, key)
        if isinstance(hit, tuple) and len(hit) == 2 and len(hit[0]) == len(blocks):
            self.hits += 1
            typeset, changes = hit
            counts.update(changes)
            return tuple(block if inlines is None else replace(block, inlines=inlines)
                         for block, inlines in zip(blocks, typeset, strict=True))
        self.misses += 1
        changed: Counter[str] = Counter()
        out = typeset_blocks(blocks, settings, counts=changed)
        counts.update(changed)
        kept: TypesetBlocks = (tuple(block.inlines if isinstance(block, Paragraph | Heading)
                                     else None for block in out), dict(changed))
        self.cache.put(CHAPTER_NAMESPACE, key, kept)
        return out


def _spans_of(blocks: Sequence[Block]) -> str:
    """What typesetting reads of ``blocks``, as one string for a key: each block's
    spans (kind, and text with its length), a scene break as a mark.

    Written out by hand: pickling a chapter's many small frozen objects took
    longer (6 ms a chapter) than reading the typeset chapter from the cache.
    """
    out: list[str] = []

    def spans(inlines: tuple[Inline, ...]) -> None:
        for span in inlines:
            if isinstance(span, Text):
                out.append(f"T{len(span.text)}:{span.text}")
            elif isinstance(span, LineBreak):
                out.append("B")
            else:
                out.append(f"{type(span).__name__}(")
                spans(span.children)
                out.append(")")

    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            out.append("\n")
            spans(block.inlines)
        else:
            out.append("\nS")
    return "".join(out)


#: A loaded story, what the text stages found and what the story's lint found
#: (kept together in the cache: linting 200 stories takes 0.4 s), and the keys of
#: its chapters in :data:`CHAPTER_NAMESPACE` (kept while the story is).
Loaded = tuple[LoadedStory, list[Diagnostic], list[Diagnostic], tuple[str, ...]]


class TypesetAhead:
    """The :class:`BlockTypesetter` of a story load that some of its chapters were
    typeset ahead with (:meth:`ahead`, from a :data:`StoryHook`'s ``parsed``): the
    load takes them as typeset then instead of typesetting them again, with the
    same changes counted."""

    def __init__(self, typeset: BlockTypesetter) -> None:
        self.typeset = typeset
        #: By the id of a run of blocks: the run, as typeset, the changes counted.
        self._kept: dict[int, tuple[tuple[Block, ...], tuple[Block, ...], Counter[str]]] = {}

    def ahead(self, blocks: tuple[BlockT, ...], settings: TextSettings) -> tuple[BlockT, ...]:
        changed: Counter[str] = Counter()
        out = self.typeset(blocks, settings, changed)
        self._kept[id(blocks)] = (blocks, out, changed)
        return out

    def __call__(self, blocks: tuple[BlockT, ...], settings: TextSettings,
                 counts: Counter[str]) -> tuple[BlockT, ...]:
        kept = self._kept.pop(id(blocks), None)
        if kept is not None and kept[0] is blocks:
            counts.update(kept[2])
            return cast("tuple[BlockT, ...]", kept[1])  # the same blocks, typeset
        return self.typeset(blocks, settings, counts)


class StoryHook(Protocol):
    """Hears each story loaded in this process: ``parsed`` once it is parsed, before
    it is typeset (its position, the parse, a way to make the story with another
    typesetter, and the load's own typesetter); ``loaded`` as soon as it is loaded,
    before its lint (its position, the story). A story from the cache or a worker
    is only ``loaded``."""

    def parsed(self, position: int, parsed: ParsedStory,
               story_with: Callable[[BlockTypesetter], Story],
               typeset: TypesetAhead) -> None: ...

    def loaded(self, position: int, story: LoadedStory) -> None: ...


def _load(task: StoryTask, settings: TextSettings,
          chapters: ChapterCache | None = None,
          hook: StoryHook | None = None, position: int = 0) -> Loaded:
    found = Diagnostics()
    typeset: BlockTypesetter = chapters if chapters is not None else typeset_afresh
    on_parsed = None
    if hook is not None:
        typeset = ahead = TypesetAhead(typeset)

        def on_parsed(parsed: ParsedStory, story_with: Callable[[BlockTypesetter], Story]
                      ) -> None:
            hook.parsed(position, parsed, story_with, ahead)

    # Without metadata.yaml's lines (not in the cache key): see _placed.
    loaded = load_story(task.path, task.meta, index=task.index, display_name=task.display_name,
                        settings=settings, diagnostics=found, typeset=typeset,
                        on_parsed=on_parsed)
    if hook is not None:
        hook.loaded(position, loaded)
    language = settings.in_language(task.meta.language).language
    keys = tuple(chapters.keys) if chapters is not None else ()
    return loaded, list(found), lint_story(loaded, language=language), keys


#: The settings forked workers load with (set before the fork, so tasks carry only paths).
_WORKER_SETTINGS: TextSettings | None = None


def _load_in_worker(task: StoryTask) -> Loaded | None:
    """A worker's load: None on a story error, which the parent then raises in order."""
    assert _WORKER_SETTINGS is not None
    try:
        return _load(task, _WORKER_SETTINGS)
    except FanbindError:
        return None


def _placed(found: list[Diagnostic], story: LoadedStory, task: StoryTask) -> list[Diagnostic]:
    """``found`` with each FB242 naming the metadata.yaml lines of this build."""
    plain = WrittenAt()
    again = {set_aside_finding(task.display_name, item, plain):
             set_aside_finding(task.display_name, item, task.written)
             for item in story.set_aside}
    return [again.get(item, item) for item in found]


def load_stories(
    tasks: Sequence[StoryTask],
    *,
    settings: TextSettings,
    diagnostics: Diagnostics,
    cache: ProjectCache | None = None,
    jobs: int | None = None,
    min_parallel: int = MIN_PARALLEL_STORIES,
    report: Callable[[str], None] | None = None,
    lints: list[list[Diagnostic]] | None = None,
    on_story: StoryHook | None = None,
) -> list[LoadedStory]:
    """Every story through the text stages, from the cache or on ``jobs`` cores.

    Same result, diagnostics and errors as loading them one by one in order.
    Workers start only when at least ``min_parallel`` stories are not in the
    cache. ``lints`` receives each story's :func:`fanbind.text.lint.story.lint_story`
    findings, cached with the story. ``on_story`` hears each story, in order, as
    soon as it is parsed and loaded (:class:`StoryHook`; the reader lays out a
    long story's first parts from there, :mod:`fanbind.pdf.ahead`).
    """
    global _WORKER_SETTINGS
    clock = start_timing()  # for the benchmarks and tests: fanbind.timings
    jobs = jobs or default_jobs()
    typeset = [0, 0]  # runs of blocks (chapters) typeset afresh, and taken from the cache
    results: dict[int, Loaded | None] = {}
    keys: dict[int, str] = {}
    missing: list[int] = []
    for position, task in enumerate(tasks):
        data = _readable_bytes(task, settings) if cache is not None and cache.enabled else None
        if data is not None:
            keys[position] = story_key(task, settings, data)
            hit = cache.get(STORY_NAMESPACE, keys[position]) if cache is not None else None
            if isinstance(hit, tuple) and len(hit) == 4:
                results[position] = hit
                if cache is not None:
                    cache.keep(CHAPTER_NAMESPACE, hit[3])
                continue
        missing.append(position)

    if len(missing) >= min_parallel and jobs > 1:
        if report:
            report(f"reading {len(missing)} stories on {jobs} cores")
        _WORKER_SETTINGS = settings
        try:
            with worker_pool(jobs) as pool:  # stopped at once by an error or Ctrl-C
                chunk = max(1, len(missing) // (jobs * 8))
                for position, result in zip(missing, pool.map(
                        _load_in_worker, [tasks[p] for p in missing], chunksize=chunk),
                        strict=True):
                    results[position] = result
        finally:
            _WORKER_SETTINGS = None

    loaded: list[LoadedStory] = []
    for position, task in enumerate(tasks):
        result = results.get(position)
        if result is None:
            # Not loaded yet, or a worker met an error: load it here, where an
            # error is raised with the diagnostics of the stories before it.
            if report:
                report(f"reading {task.display_name}")
            # Its unchanged chapters from the cache (here only: a worker's keys would
            # not be known to this process's cache, which prunes what it did not use).
            chapters = ChapterCache(cache) if cache is not None and cache.enabled else None
            result = _load(task, settings, chapters, on_story, position)
            if cache is not None and chapters is not None:
                cache.keep(CHAPTER_NAMESPACE, result[3])
                typeset[0] += chapters.misses
                typeset[1] += chapters.hits
            if cache is not None and position in keys:
                cache.put(STORY_NAMESPACE, keys[position], result)
        else:
            if position in missing and cache is not None and position in keys:
                cache.put(STORY_NAMESPACE, keys[position], result)
            if on_story is not None:
                on_story.loaded(position, result[0])
        story, found, linted, _ = result
        diagnostics.extend(_placed(found, story, task))
        loaded.append(story)
        if lints is not None:
            lints.append(linted)
    record_timing("stories", clock, stories=len(tasks), cached=len(tasks) - len(missing),
                  chapters_typeset=typeset[0], chapters_cached=typeset[1])
    return loaded
