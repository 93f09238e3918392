"""Build orchestration: metadata.yaml and story files in, books out.

``cli.py`` is a thin shell over the functions here; tests call them directly.
The writers are imported where they are used: an EPUB-only build never imports
the PDF stack (WeasyPrint, pikepdf, ``fanbind.pdf``), a PDF-only build never
imports ebooklib (tests/test_fast_paths.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from fanbind.atomic import atomic_output, ensure_output_dir
from fanbind.cache import ProjectCache
from fanbind.diagnostics import Diagnostic, Diagnostics, Severity
from fanbind.errors import (
    BuildError,
    FanbindError,
    InputFileError,
    MetadataError,
)
from fanbind.model import Anthology, Story
from fanbind.project import Project, open_project, require_file, resolve_inside
from fanbind.render import Document, epub_stylesheets, render_book
from fanbind.resources import EPUB_CSS
from fanbind.scratch import build_temp_folder, remove_abandoned
from fanbind.settings import AnthologyConfig, print_settings
from fanbind.settings.schema import MAX_VOLUMES, StoryConfig
from fanbind.text.settings import TextSettings
from fanbind.timings import record as record_timing
from fanbind.timings import start as start_timing

if TYPE_CHECKING:
    from fanbind.cover import CoverImage
    from fanbind.loading import StoryHook, StoryTask, TypesetAhead
    from fanbind.model import BlockT
    from fanbind.pdf.ahead import Plan
    from fanbind.pdf.impose import ImposeResult
    from fanbind.pdf.join import JoinOptions
    from fanbind.pdf.result import PageMap, PdfResult
    from fanbind.pdf.volumes import VolumePlan
    from fanbind.pdf.workers import PdfWorkers
    from fanbind.reading_ahead import Read, ReadAhead
    from fanbind.text.pipeline import BlockTypesetter, LoadedStory, WrittenAt
    from fanbind.text.structure.parser import ParsedStory

FORMATS = ("epub", "pdf")
#: Every format ``--format`` accepts; ``imposed`` (sheets for home binding) and ``cover``
#: (the print cover wrap, sized by the interior's page count) imply ``pdf``.
ALL_FORMATS = (*FORMATS, "imposed", "kepub", "cover")
#: The formats written by the EPUB writer: the EPUB and Kobo's kepub.
EPUB_FORMATS = ("epub", "kepub")
Reporter = Callable[[str], None]


@dataclass
class LoadedBook:
    project: Project
    anthology: Anthology
    #: What the text stages made of each story (empty when the book was read in
    #: another process: :mod:`fanbind.reading_ahead`; the anthology has the stories).
    stories: list[LoadedStory]
    diagnostics: Diagnostics
    #: The cache namespaces the stories were read from and into (kept by the build).
    namespaces: tuple[str, ...] = ()


#: The text stages (:mod:`fanbind.loading`, :mod:`fanbind.text.pipeline`, the lint,
#: typography: 0.3 s to import) are imported where the stories are read: a build
#: that reads them in a process of its own (fanbind.reading_ahead) never imports them.


@dataclass
class BuildResult:
    outputs: list[Path] = field(default_factory=list)
    stories: int = 0
    words: int = 0
    pages: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    imposed: list[ImposeResult] = field(default_factory=list)  # one per book or volume
    volumes: VolumePlan | None = None  # when the book was split
    pdf: PdfResult | None = None  # of the book's PDF (not of volumes)


def load_book(project: Project, *, allow_outside: bool = False,
              report: Reporter | None = None,
              diagnostics: Diagnostics | None = None,
              cache: ProjectCache | None = None, jobs: int | None = None,
              ahead: ReadAhead | None = None,
              on_story: StoryHook | None = None) -> LoadedBook:
    """Read every story through the text stages into one :class:`Anthology`.

    Findings go to ``diagnostics`` when given, so a caller can still show the
    warnings gathered before a later story stops the build. ``cache`` keeps
    loaded stories between builds; ``jobs`` caps the worker processes.
    ``ahead``: the stories already being read in a process of their own
    (:mod:`fanbind.reading_ahead`), taken from there. ``on_story`` hears each
    story as soon as it is loaded (:func:`fanbind.loading.load_stories`).
    """
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    read = ahead.result(cache) if ahead is not None else None
    if read is not None:
        diagnostics.extend(read.found)
        return LoadedBook(project, read.anthology, [], diagnostics, tuple(read.used))
    # The text stages: deferred (see above).
    from fanbind.loading import STORY_NAMESPACES, load_stories
    from fanbind.text.lint.story import lint_book

    # Stories come from the cache or are loaded on several cores (fanbind.loading);
    # the result, the diagnostics and the first error are those of a serial load.
    tasks, path_error = story_tasks(project, allow_outside=allow_outside)
    lints: list[list[Diagnostic]] = []  # each story's lint findings, kept in the cache with it
    loaded = load_stories(tasks, settings=TextSettings.from_book(project.config),
                          diagnostics=diagnostics, cache=cache, jobs=jobs, report=report,
                          lints=lints, on_story=on_story)
    if path_error is not None:
        raise path_error
    for index, item in enumerate(loaded):
        if not item.story.meta.authors:
            raise _no_authors(project, index)
    diagnostics.extend(lint_book(loaded, per_story=lints))
    stories = tuple(item.story for item in loaded)
    anthology = Anthology(with_verso_head(typeset_config(project.config), stories), stories)
    return LoadedBook(project, anthology, loaded, diagnostics, STORY_NAMESPACES)


def read_in_reader(project: Project, *, allow_outside: bool, cache: bool,
                   jobs: int | None, part_words: int | None = None) -> Read | None:
    """:func:`load_book` as the reader of :mod:`fanbind.reading_ahead` runs it: the
    book, its findings and the cache keys it used; None on an error (read again
    and raised by the building process). A book of one long story has its first
    parts told to the building process before the book is read
    (:class:`_FirstParts`); ``part_words`` as :func:`build` has it."""
    from fanbind.reading_ahead import Read  # in the reader only: see _read_ahead

    store = ProjectCache(project.root, enabled=cache)
    found = Diagnostics()
    ahead = _FirstParts(project, store, jobs=jobs, part_words=part_words,
                        allow_outside=allow_outside) if len(project.config.stories) == 1 else None
    try:
        book = load_book(project, allow_outside=allow_outside, diagnostics=found, cache=store,
                         jobs=jobs, on_story=ahead)
    except FanbindError:
        return None
    return Read(book.anthology, list(found),
                {namespace: store.used(namespace) for namespace in book.namespaces})


class _FirstParts:
    """In the reader of a book of one story: the first part per worker, planned and
    told to the building process, whose workers lay them out while the reader goes
    on (:mod:`fanbind.pdf.ahead`: a part is taken only when it is the one the
    build's own plan hands out, so a plan made early cannot change the book).

    As soon as the story is parsed (a :class:`fanbind.loading.StoryHook`): planned
    from its chapters as parsed (typesetting keeps their words in English), the
    chapters of the first parts typeset then (the load takes them as typeset:
    :class:`fanbind.loading.TypesetAhead`), the rest of the story typeset and
    linted while those parts are laid out. A story from the cache is planned once
    loaded.
    """

    def __init__(self, project: Project, cache: ProjectCache, *, jobs: int | None,
                 part_words: int | None, allow_outside: bool) -> None:
        from fanbind.pdf.parts import MIN_PART_WORDS  # the PDF stack, without WeasyPrint

        self.project = project
        self.cache = cache
        self.jobs = jobs
        self.part_words = part_words or MIN_PART_WORDS
        self.allow_outside = allow_outside
        self.told = False

    def parsed(self, position: int, parsed: ParsedStory,
               story_with: Callable[[BlockTypesetter], Story], typeset: TypesetAhead) -> None:
        from fanbind.pdf.ahead import chapters_ahead, plan_ahead  # see __init__

        settings: list[TextSettings] = []  # the story's, as the load typesets it

        def as_parsed(blocks: tuple[BlockT, ...], story_settings: TextSettings,
                      counts: object) -> tuple[BlockT, ...]:
            settings[:] = [story_settings]
            return blocks

        try:
            raw = story_with(cast("BlockTypesetter", as_parsed))  # generic: see BlockT
        except FanbindError:
            return  # the load raises it
        book = self._book(raw)
        if book is None or not settings:
            return
        plan = plan_ahead(book[0], book[1], extra_stylesheets=book[2], jobs=self.jobs,
                          part_words=self.part_words)
        if plan is None:
            return
        # The first parts' chapters typeset (the load takes them so), the rest as parsed:
        # the chapters of the story made as parsed are the parse's own runs of blocks.

        def typeset_now(blocks: tuple[BlockT, ...]) -> tuple[BlockT, ...]:
            return typeset.ahead(blocks, settings[0]) if blocks else blocks

        first = chapters_ahead(plan, book[1])
        chapters = tuple(
            replace(chapter, blocks=typeset_now(chapter.blocks),
                    summary=typeset_now(chapter.summary), notes=typeset_now(chapter.notes),
                    end_notes=typeset_now(chapter.end_notes)) if number < first else chapter
            for number, chapter in enumerate(raw.chapters))
        self._tell(replace(raw, chapters=chapters), parsed=True, plan=plan)

    def loaded(self, position: int, story: LoadedStory) -> None:
        if not self.told:
            self._tell(story.story)

    def _book(self, story: Story
              ) -> tuple[Anthology, list[Document], tuple[Path, ...]] | None:
        """The book as the building process will make it of ``story`` (its display
        texts typeset, its verso head, its documents as rendered for print) and its
        stylesheets; None when the build stops on it (no author) or lays it out in
        one piece or in volumes."""
        from fanbind.pdf.volumes import plan_volumes  # see __init__

        project, config = self.project, self.project.config
        if not story.meta.authors or config.print.bleeds_by_side or plan_volumes(
                [story.words], config.print.volumes, limit=config.print.volume_words):
            return None
        extra: tuple[Path, ...] = ()
        if config.stylesheet:
            try:
                extra = (resolve_inside(project, config.stylesheet, what="stylesheet",
                                        allow_outside=self.allow_outside,
                                        error=MetadataError),)
            except FanbindError:
                return None
            if not extra[0].is_file():
                return None
        anthology = Anthology(with_verso_head(typeset_config(config), (story,)), (story,))
        when = build_time([project.metadata_path, project.root / story.meta.file])
        documents = render_book(anthology, stylesheets=epub_stylesheets(config.embed_fonts),
                                date=config.date or when.date())
        return anthology, documents, extra

    def _tell(self, story: Story, *, parsed: bool = False, plan: Plan | None = None) -> None:
        import tempfile

        from fanbind.pdf.ahead import first_parts  # see __init__
        from fanbind.reading_ahead import tell

        book = self._book(story)
        if book is None:
            return
        for part in first_parts(book[0], book[1], project_dir=self.project.root,
                                extra_stylesheets=book[2], jobs=self.jobs, cache=self.cache,
                                folder=lambda: Path(tempfile.mkdtemp(prefix="fanbind-ahead-")),
                                part_words=self.part_words, parsed=parsed, plan=plan):
            self.told = tell(("part", part))


def story_tasks(project: Project, *, allow_outside: bool = False
                ) -> tuple[list[StoryTask], FanbindError | None]:
    """The stories to read, in order, up to the first whose path is refused, and
    that refusal (raised once the stories before it are read, as a serial load would)."""
    from fanbind.loading import StoryTask  # the text stages: deferred (see above)

    tasks: list[StoryTask] = []
    for index, meta in enumerate(project.config.stories):
        try:
            path = resolve_inside(project, meta.file, what="story", allow_outside=allow_outside,
                                  at=("stories", index, "file"))
        except FanbindError as error:
            return tasks, error
        tasks.append(StoryTask(path, meta, index, project.display(path),
                               written_at(project, index)))
    return tasks, None


def written_at(project: Project, index: int) -> WrittenAt:
    """Where metadata.yaml writes the fields of story ``index`` (for FB242)."""
    from fanbind.text.pipeline import WrittenAt  # the text stages: deferred (see above)

    config = project.config
    lines = tuple((name, where[0]) for name in StoryConfig.model_fields
                  if (where := config.position("stories", index, name)) is not None)
    keys = (("authors", "author"),) if config.position("stories", index, "author") else ()
    return WrittenAt(project.display(project.metadata_path), lines, keys)


def _no_authors(project: Project, index: int) -> MetadataError:
    """metadata.yaml gives a story no authors and its file names none either."""
    story = project.config.stories[index]
    line, column = project.config.position("stories", index) or (None, None)
    return MetadataError(
        f"stories[{index + 1}]: missing `author:`, and {story.file} names no author",
        file=project.display(project.metadata_path), line=line, column=column,
        hint="write `author: Anonymous` if the author is unknown")


def typeset_config(config: AnthologyConfig) -> AnthologyConfig:
    """The anthology's display texts (title, subtitle, description) with typography applied."""
    from fanbind.text.typography import typeset_text  # the text stages: deferred (see above)

    settings = TextSettings.from_book(config)

    def fix(text: str | None) -> str | None:
        return typeset_text(text, settings) if text else text

    return config.model_copy(update={"title": fix(config.title), "subtitle": fix(config.subtitle),
                                     "description": fix(config.description),
                                     "rights": fix(config.rights)})


def with_verso_head(config: AnthologyConfig, stories: Sequence[Story]) -> AnthologyConfig:
    """``print: verso_head`` decided when metadata.yaml leaves it out.

    When one author (or one set of authors) wrote every story, versos headed
    with that name say nothing a reader needs (the sample's 37 versos all read
    ANONYMOUS): the book's title heads them instead, as in a single-author
    novel. Decided after the stories are read, since a file's byline may name
    the authors.
    """
    if config.print.verso_head is not None:
        return config
    head = "title" if len({tuple(story.meta.authors) for story in stories}) == 1 else "authors"
    return config.model_copy(update={"print": config.print.model_copy(update={"verso_head": head})})


def build_time(paths: Sequence[Path]) -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` when set, else the newest input's modification time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise BuildError(f"SOURCE_DATE_EPOCH is not a whole number of seconds: {epoch!r}",
                             hint="set it to seconds since 1970, e.g. SOURCE_DATE_EPOCH="
                                  "$(date +%s), or unset it") from None
    newest = max((p.stat().st_mtime for p in paths if p.exists()), default=0)
    return dt.datetime.fromtimestamp(int(newest), tz=dt.UTC)


def book_cover(project: Project, anthology: Anthology, *, allow_outside: bool,
               diagnostics: Diagnostics, cache: ProjectCache | None = None) -> CoverImage:
    """The EPUB's cover: ``cover:`` from metadata.yaml, else a generated typographic one
    (drawn once and kept in ``cache``)."""
    from fanbind.cover import generated_cover, load_cover  # EPUB builds only

    config = project.config
    metadata_file = project.display(project.metadata_path)
    if config.cover:
        path = resolve_inside(project, config.cover, what="cover", allow_outside=allow_outside,
                              error=MetadataError)
        try:
            return load_cover(path, anthology.meta, shown=config.cover,
                              metadata_file=metadata_file)
        except MetadataError as error:  # point at the `cover:` line, as other path errors do
            if error.line is None and (where := config.position("cover")) is not None:
                error.line, error.column = where
            raise
    cover = generated_cover(anthology.meta, cache=cache)
    if cover.missing:
        diagnostics.report("FB602", metadata_file, None,
                           f"the generated cover cannot draw {cover.missing!r}: no installed "
                           "font has these characters, so they show as boxes")
    return cover


class PageLayout(Protocol):
    """Lays out the print pages of a book without writing a PDF (:func:`print_page_map`)."""

    def __call__(self, anthology: Anthology, documents: list[Document], *, project_dir: Path,
                 extra_stylesheets: tuple[Path, ...], created: dt.datetime) -> PageMap: ...


def print_page_map(anthology: Anthology, documents: list[Document], *, project_dir: Path,
                   extra_stylesheets: tuple[Path, ...], created: dt.datetime) -> PageMap:
    """Lay out the print pages without writing a PDF: (block id, page label) per page."""
    from fanbind.pdf.layout import layout_page_map  # WeasyPrint: only when laying out

    return layout_page_map(anthology, documents, project_dir=project_dir,
                           extra_stylesheets=extra_stylesheets, created=created)


#: How WeasyPrint reports a skipped declaration:
#: ``Ignored `colr: red` at 1:5, unknown property.``
_IGNORED_CSS = re.compile(r"Ignored `(?P<what>.*?)` at (?P<line>\d+):(?P<column>\d+), "
                          r"(?P<why>.*?)\.?$", re.DOTALL)


def _refusal(project: Project, url: str) -> str:
    """Why the renderer did not fetch ``url``: a file of the project that is not
    there is a different matter from one outside it."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file":
        return f"not fetched: {url}"
    path = Path(unquote(parts.path))
    try:
        inside = path.resolve().is_relative_to(project.root)
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        return f"not fetched (outside the project folder): {url}"
    if path.is_dir():
        return f"not fetched: {project.display(path)} is a folder, not a file"
    return f"not found: {project.display(path)}"


def report_pdf_findings(project: Project, stylesheet: Path | None, pdf: PdfResult,
                        diagnostics: Diagnostics) -> None:
    """What the PDF renderer refused to fetch (FB601) and skipped in the user's CSS (FB603).

    fanbind's own styles are tested to lay out without a single warning, so a
    declaration WeasyPrint ignored comes from the ``stylesheet:`` of metadata.yaml;
    without one there is nothing the user could fix, and nothing is reported.
    """
    shown = project.display(stylesheet or project.metadata_path)
    for url in pdf.refused:
        diagnostics.report("FB601", shown, None, _refusal(project, url))
    if stylesheet is None:
        return
    for message in pdf.warnings:
        found = _IGNORED_CSS.match(message.strip())
        if found is None:
            continue
        diagnostics.report("FB603", shown, int(found["line"]),
                           f"CSS ignored: `{found['what'].strip()}` (column {found['column']}): "
                           f"{found['why']}")


def slugify(title: str) -> str:
    """An ASCII file name for a title: ``Kakashi & Iruka!`` → ``kakashi-iruka``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].strip("-") or "anthology"


def build(
    project_dir: Path,
    *,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    metadata: Path | None = None,
    strict: bool = False,
    allow_outside: bool = False,
    report: Reporter | None = None,
    print_overrides: dict[str, object] | None = None,
    page_list: bool = False,
    diagnostics: Diagnostics | None = None,
    cache: bool = True,
    jobs: int | None = None,
    page_layout: PageLayout = print_page_map,
    join_options: JoinOptions | None = None,
    part_words: int | None = None,
) -> BuildResult:
    """Build the requested formats; every output is written atomically.

    The EPUB gets a page-list matching the PDF's pages whenever the PDF is built
    too; ``page_list`` asks for one in an EPUB-only build (the pages are laid
    out by ``page_layout``, not written). ``join_options`` tune the join of a PDF
    laid out in parts (:class:`fanbind.pdf.join.JoinOptions`); ``part_words``, the
    least words of a part inside a long story (default
    :data:`fanbind.pdf.parts.MIN_PART_WORDS`; tests cut small books).

    ``print_overrides`` replaces ``print:`` settings from metadata.yaml (the
    ``fanbind impose`` options).

    Warnings go to ``diagnostics`` when given (else to a new collection in the
    result), so the CLI can print those found before an error too.

    ``cache`` keeps stories and PDF parts in ``.fanbind-cache/`` for the next
    build (:mod:`fanbind.cache`); ``jobs`` is the number of worker processes
    (default: one per core; 1 lays the PDF out in this process, in one piece,
    as does the default for a book too small to gain from parts:
    :func:`fanbind.pdf.parts.parallel_pdf_wanted`).
    """
    from fanbind.pdf.parts import PART_NAMESPACE, parts_wanted  # the PDF stack: see the docstring
    from fanbind.pdf.workers import early_pdf_workers

    started = time.perf_counter()
    clock = start_timing()  # the whole build, for the benchmarks (fanbind.timings)
    project = open_project(project_dir, metadata).with_print_overrides(print_overrides)
    if ("imposed" in formats or "cover" in formats) and "pdf" not in formats:
        formats = (*formats, "pdf")
    # Every temporary file of the build and its workers goes in one folder, removed
    # once the workers are gone, whatever stopped the build (fanbind.scratch).
    with build_temp_folder():
        workers = None
        ahead = None
        try:
            if "pdf" in formats and not project.config.print.pdf_variant:
                # Before the stories are read: see fanbind.pdf.workers.PdfWorkers.
                # Nothing cached for the PDF: every part will be laid out.
                words = _words_before_reading(project)
                cold = not ProjectCache(project.root, enabled=cache).holds(PART_NAMESPACE)
                if cold and parts_wanted(words, jobs):
                    # WeasyPrint is imported before the workers fork: the stories are
                    # read meanwhile, in a process of their own (fanbind.reading_ahead).
                    ahead = _read_ahead(project, allow_outside=allow_outside, cache=cache,
                                        jobs=jobs, part_words=part_words)
                # A rebuild after an edit: a part will be laid out again, its worker
                # importing WeasyPrint while this process reads.
                warm = not cold and parts_wanted(words, jobs) and _a_story_changed(
                    project, cache, allow_outside=allow_outside)
                workers = early_pdf_workers(words, jobs, cold=cold, warm=warm)
                if ahead is not None and workers is not None:
                    # A long story's first parts, laid out while it is read (pdf/ahead.py).
                    ahead.on_told = functools.partial(_heard_from_reader, workers)
            built = _build(project, started, out_dir=out_dir, formats=formats, strict=strict,
                           allow_outside=allow_outside, report=report, page_list=page_list,
                           diagnostics=diagnostics, cache=cache, jobs=jobs, workers=workers,
                           page_layout=page_layout, join_options=join_options,
                           part_words=part_words, ahead=ahead)
            record_timing("build", clock)
            return built
        except BaseException:
            # An error or a signal: the parts being laid out (the stories being read) are lost.
            if ahead is not None:
                ahead.stop()
            if workers is not None:
                workers.stop()
            raise
        finally:
            if ahead is not None:
                ahead.close()
            if workers is not None:
                workers.close()


def _read_ahead(project: Project, *, allow_outside: bool, cache: bool, jobs: int | None,
                part_words: int | None = None) -> ReadAhead:
    """The book being read in a process of its own (:mod:`fanbind.reading_ahead`)."""
    from fanbind.reading_ahead import ReadAhead  # only a build that imports WeasyPrint early

    return ReadAhead(lambda: read_in_reader(project, allow_outside=allow_outside, cache=cache,
                                            jobs=jobs, part_words=part_words))


def _heard_from_reader(workers: PdfWorkers, message: tuple[str, object]) -> None:
    """What the reader told: a part to lay out ahead (:func:`_tell_first_parts`)."""
    from fanbind.pdf.ahead import AheadPart  # the PDF stack: see the module docstring

    kind, part = message
    if kind == "part" and isinstance(part, AheadPart):
        workers.lay_out_ahead(part.index, part.key, part.book_pages, part.task)


def _a_story_changed(project: Project, cache: bool, *, allow_outside: bool) -> bool:
    """Whether a story will be read afresh (a rebuild after an edit): a part of the
    PDF will then likely be laid out again, and its worker may import WeasyPrint
    while this process reads (:func:`fanbind.pdf.workers.early_pdf_workers`)."""
    from fanbind.loading import all_cached  # the text stages: this build reads here

    tasks, refused = story_tasks(project, allow_outside=allow_outside)
    return refused is None and not all_cached(
        tasks, TextSettings.from_book(project.config), ProjectCache(project.root, enabled=cache))


def _words_before_reading(project: Project) -> list[int]:
    """Each story's words as its file's size tells (about 6 bytes a word in UTF-8
    text with curly quotes; more in HTML): enough to decide on the PDF's
    workers before the stories are read."""
    sizes = []
    for meta in project.config.stories:
        try:
            sizes.append((project.root / meta.file).stat().st_size // 6)
        except (OSError, ValueError):
            sizes.append(0)
    return sizes


def _build(project: Project, started: float, *, out_dir: Path | None, formats: Sequence[str],
           strict: bool, allow_outside: bool, report: Reporter | None, page_list: bool,
           diagnostics: Diagnostics | None, cache: bool, jobs: int | None,
           workers: PdfWorkers | None, page_layout: PageLayout,
           join_options: JoinOptions | None, part_words: int | None = None,
           ahead: ReadAhead | None = None) -> BuildResult:
    """:func:`build`, once the project is open (and the PDF's workers started)."""
    out = project.output_folder(out_dir)  # before the stories: a refused dist/ fails fast
    store = ProjectCache(project.root, enabled=cache)
    used_namespaces: list[str] = []  # cache entries this build keeps; the rest pruned
    clock = start_timing()  # for the benchmarks: fanbind.timings
    book = load_book(project, allow_outside=allow_outside, report=report,
                     diagnostics=diagnostics, cache=store, jobs=jobs, ahead=ahead)
    used_namespaces += book.namespaces
    record_timing("read", clock, stories=len(book.anthology.stories))
    result = BuildResult(stories=len(book.anthology.stories), words=book.anthology.words,
                         diagnostics=book.diagnostics)
    result.timings["read"] = time.perf_counter() - started
    if strict and book.diagnostics.count(Severity.WARNING):
        raise BuildError(f"{book.diagnostics.count(Severity.WARNING)} warning(s) and --strict "
                         "is on", hint="fix the warnings listed above, or build without --strict")

    ensure_output_dir(out)
    remove_abandoned(out)  # books half-written by builds that were killed
    slug = slugify(project.config.title)
    inputs = [project.metadata_path,
              *(project.root / story.meta.file for story in book.anthology.stories)]
    when = build_time(inputs)
    stylesheet_path = None
    if project.config.stylesheet:
        stylesheet_path = resolve_inside(project, project.config.stylesheet, what="stylesheet",
                                         allow_outside=allow_outside, error=MetadataError)
        require_file(project, stylesheet_path, what="stylesheet", name=project.config.stylesheet)
    cover = None
    epubs = [name for name in EPUB_FORMATS if name in formats]
    if epubs:
        cover = book_cover(project, book.anthology, allow_outside=allow_outside,
                           diagnostics=result.diagnostics, cache=store)
        used_namespaces.append("cover")
    clock = start_timing()
    documents = render_book(book.anthology,
                            stylesheets=epub_stylesheets(project.config.embed_fonts),
                            cover_href=cover.file_name if cover else None,
                            cover_alt=cover.alt if cover else "",
                            date=project.config.date or when.date())
    record_timing("render", clock, documents=len(documents))
    extra = (stylesheet_path,) if stylesheet_path else ()

    # The PDF comes first: its page layout gives the EPUB its page-list.
    page_map: PageMap = ()
    epub_written = False

    def write_the_epub(pages: PageMap) -> None:
        """The EPUB, after the PDF's layout (a big book's PDF is still being joined)."""
        nonlocal epub_written
        t0 = time.perf_counter()
        if report:
            report("writing the EPUB")
        # ebooklib: see the module docstring.
        from fanbind.epub import write_epub
        from fanbind.kepub import kobo_documents

        css = EPUB_CSS.read_bytes()
        for position, name in enumerate(epubs):
            target = out / (f"{slug}.epub" if name == "epub" else f"{slug}.kepub.epub")
            with atomic_output(target) as temp:
                write_epub(book.anthology,
                           documents if name == "epub" else kobo_documents(documents),
                           temp, stylesheet=css, modified=when, cover=cover, page_map=pages)
            result.outputs.insert(position, target)
        result.timings["epub"] = time.perf_counter() - t0
        epub_written = True

    plan = plan_book_volumes(project, book, result.diagnostics) if "pdf" in formats else None
    if plan is not None:
        if workers is not None:
            workers.drop_ahead()  # not this book's parts (pdf/ahead.py)
        # Volumes have page numbers of their own: no page-list can match them all.
        build_volumes(project, book, plan, out=out, slug=slug, when=when,
                      stylesheet_path=stylesheet_path, impose="imposed" in formats,
                      result=result, report=report, cover="cover" in formats, jobs=jobs)
    elif "pdf" in formats:
        t0 = time.perf_counter()
        if report:
            report("laying out the PDF")
        target = out / f"{slug}.pdf"
        with atomic_output(target) as temp:
            pdf = None
            # The PDF stack (see the module docstring); WeasyPrint only when laid out here.
            from fanbind.pdf.geometry import page_geometry
            from fanbind.pdf.parts import PDF_NAMESPACES, parallel_pdf_wanted
            from fanbind.pdf.pod import finish_book

            printing = project.config.print
            # A book bleeding on some edges only has rectos and versos of different
            # sizes; the parts' shared blank pages would not know their side.
            if (parallel_pdf_wanted(book.anthology, jobs) and not printing.pdf_variant
                    and not printing.bleeds_by_side):
                # In parts on every core, joined (fanbind.pdf.in_parts); None when the
                # book cannot be cut (a single story), then in one piece here. Imported
                # only here: a book laid out in one piece needs no join, matter or workers.
                from fanbind.pdf.in_parts import write_parallel_pdf
                from fanbind.pdf.parts import MIN_PART_WORDS

                pdf = write_parallel_pdf(
                    book.anthology, documents, temp, project_dir=project.root,
                    extra_stylesheets=extra, created=when, jobs=jobs, report=report, cache=store,
                    while_joining=(lambda joined: write_the_epub(joined.page_map))
                    if epubs else None, workers=workers, join_options=join_options,
                    part_words=part_words or MIN_PART_WORDS)
                if pdf is not None:
                    used_namespaces.extend(PDF_NAMESPACES)
                    # Laid out in one piece, write_pdf finishes the file itself.
                    finish_book(page_geometry(printing, pages=pdf.pages), temp)
            if workers is not None:
                workers.drop_ahead()  # what the book did not take (pdf/ahead.py)
            if pdf is None:
                from fanbind.pdf.layout import write_pdf  # WeasyPrint: only when laid out here

                pdf = write_pdf(book.anthology, documents, temp, project_dir=project.root,
                                extra_stylesheets=extra, created=when)
        report_pdf_findings(project, stylesheet_path, pdf, result.diagnostics)
        page_map = pdf.page_map
        result.pages = pdf.pages
        result.pdf = pdf
        result.outputs.append(target)
        result.timings["pdf"] = time.perf_counter() - t0 - result.timings.get("epub", 0.0)
        if "imposed" in formats:
            impose_book(project, target, result=result, when=when, report=report)
        if "cover" in formats:
            write_cover(project, book.anthology, target, pages=pdf.pages, result=result,
                        allow_outside=allow_outside, report=report)
    elif epubs and page_list:
        t0 = time.perf_counter()
        if report:
            report("laying out the pages for the page-list")
        page_map = page_layout(book.anthology, documents, project_dir=project.root,
                               extra_stylesheets=extra, created=when)
        result.timings["layout"] = time.perf_counter() - t0

    if epubs and not epub_written:
        write_the_epub(page_map)
    store.prune(used_namespaces)
    result.timings["total"] = time.perf_counter() - started
    return result


# ---------------------------------------------------------------- fanbinding kit


def plan_book_volumes(project: Project, book: LoadedBook, diagnostics: Diagnostics
                      ) -> VolumePlan | None:
    """The split into volumes that ``print.volumes`` asks for, or ``None`` for one book."""
    from fanbind.pdf.volumes import plan_volumes  # the PDF stack: see the module docstring

    printing = project.config.print
    words = [story.words for story in book.anthology.stories]
    plan = plan_volumes(words, printing.volumes, limit=printing.volume_words)
    shown = project.display(project.metadata_path)
    if plan is None:
        return None
    if plan.count > MAX_VOLUMES:  # only `volumes: auto` can get here: it follows the words
        line, column = project.config.position("print", "volume_words") or (None, None)
        raise MetadataError(
            f"print.volume_words: {printing.volume_words:,} words a volume would split this "
            f"book of {sum(words):,} words into {plan.count:,} volumes, more than the limit "
            f"of {MAX_VOLUMES}", file=shown, line=line, column=column,
            hint=f"raise volume_words to at least {-(-sum(words) // MAX_VOLUMES):,}, or give "
                 "a number of volumes")
    for index in plan.oversized:
        story = book.anthology.stories[index]
        diagnostics.report("FB801", shown, None,
                           f"{story.title!r} has {story.words:,} words, more than volume_words "
                           f"({printing.volume_words:,}): it makes a volume on its own")
    if plan.count == 1:
        return None
    sizes = ", ".join(f"{w:,}" for w in plan.words)
    diagnostics.report("FB802", shown, None,
                       f"split into {plan.count} volumes at story boundaries ({sizes} words)")
    return plan


def build_volumes(project: Project, book: LoadedBook, plan: VolumePlan, *, out: Path, slug: str,
                  when: dt.datetime, stylesheet_path: Path | None, impose: bool,
                  result: BuildResult, report: Reporter | None, cover: bool = False,
                  jobs: int | None = None) -> None:
    """Write ``<slug>-volume-N.pdf`` for each volume (and its imposed sheets, its cover).

    Each volume goes through the normal renderer and PDF writer as an anthology
    of its own stories (in parts on every core when the book's would be:
    ``jobs``); :func:`fanbind.pdf.volumes.mark_volume` labels its title page and
    makes its contents list the whole set.
    """
    # The PDF stack: see the module docstring.
    from fanbind.pdf.geometry import page_geometry
    from fanbind.pdf.in_parts import write_parallel_pdf
    from fanbind.pdf.layout import write_pdf
    from fanbind.pdf.parts import parallel_pdf_wanted
    from fanbind.pdf.pod import finish_book
    from fanbind.pdf.volumes import VOLUMES_CSS, mark_volume, split_anthology

    t0 = time.perf_counter()
    result.volumes = plan
    extra = (VOLUMES_CSS, *((stylesheet_path,) if stylesheet_path else ()))
    for volume in split_anthology(book.anthology, plan):
        if report:
            report(f"laying out volume {volume.number} of {volume.total}")
        documents = render_book(volume.anthology, stylesheets=("css/epub.css",))
        mark_volume(documents, volume, book.anthology, plan)
        target = out / f"{slug}-volume-{volume.number}.pdf"
        with atomic_output(target) as temp:
            printing = project.config.print
            pdf = None
            if (parallel_pdf_wanted(volume.anthology, jobs) and not printing.pdf_variant
                    and not printing.bleeds_by_side):  # as for the whole book
                pdf = write_parallel_pdf(volume.anthology, documents, temp,
                                         project_dir=project.root, extra_stylesheets=extra,
                                         created=when, jobs=jobs, report=report)
                if pdf is not None:
                    finish_book(page_geometry(printing, pages=pdf.pages), temp)
            if pdf is None:
                pdf = write_pdf(volume.anthology, documents, temp, project_dir=project.root,
                                extra_stylesheets=extra, created=when)
        report_pdf_findings(project, stylesheet_path, pdf, result.diagnostics)
        result.pages = (result.pages or 0) + pdf.pages
        result.outputs.append(target)
        if impose:
            impose_book(project, target, result=result, when=when, report=report)
        if cover:
            write_cover(project, volume.anthology, target, pages=pdf.pages, result=result,
                        allow_outside=False, report=report)
    result.timings["volumes"] = time.perf_counter() - t0


def write_cover(project: Project, anthology: Anthology, book_pdf: Path, *, pages: int,
                result: BuildResult, allow_outside: bool, report: Reporter | None) -> None:
    """Write ``<book>-cover.pdf`` next to a book PDF: the wrap for ``pages`` pages."""
    from fanbind.pdf.cover_wrap import write_cover_wrap  # the PDF stack: see the docstring

    t0 = time.perf_counter()
    if report:
        report(f"drawing the cover wrap for {book_pdf.name}")
    front = None
    if project.config.cover:
        front = resolve_inside(project, project.config.cover, what="cover",
                               allow_outside=allow_outside, error=MetadataError)
        require_file(project, front, what="cover", name=project.config.cover)
    target = book_pdf.with_name(f"{book_pdf.stem}-cover.pdf")
    with atomic_output(target) as temp:
        wrap, warnings = write_cover_wrap(anthology.meta, pages=pages, target=temp,
                                          project_dir=project.root, front_image=front)
    shown = project.display(project.metadata_path)
    if front is not None and any("image" in message.lower() for message in warnings):
        line = (project.config.position("cover") or (None, None))[0]
        result.diagnostics.report("FB604", shown, line,
                                  f"{project.config.cover} could not be drawn on {target.name}")
    if wrap.description_cut:
        line = (project.config.position("description") or (None, None))[0]
        result.diagnostics.report("FB605", shown, line,
                                  f"the description is cut at a word on the back of "
                                  f"{target.name}, to keep clear of the barcode area")
    result.outputs.append(target)
    result.timings["cover"] = result.timings.get("cover", 0.0) + time.perf_counter() - t0


def impose_book(project: Project, book_pdf: Path, *, result: BuildResult, when: dt.datetime,
                report: Reporter | None) -> None:
    """Write ``<book>-imposed.pdf`` next to a book PDF: sheets for home binding."""
    from fanbind.pdf.impose import ImposeOptions, impose  # the PDF stack: see the module docstring

    t0 = time.perf_counter()
    if report:
        report(f"imposing {book_pdf.name}")
    target = book_pdf.with_name(f"{book_pdf.stem}-imposed.pdf")
    options = ImposeOptions.from_print_config(project.config.print)
    with atomic_output(target) as temp:
        imposed = impose(book_pdf, temp, options, title=project.config.title, created=when,
                         source_name=book_pdf.name)
    imposed = dataclasses.replace(imposed, target=target)
    if imposed.scale < 1:
        result.diagnostics.report(
            "FB803", project.display(project.metadata_path), None,
            f"the pages are larger than half a {imposed.sheet_label} sheet: the imposed "
            f"sheets print them at {imposed.scale:.0%}")
    result.imposed.append(imposed)
    result.outputs.append(target)
    result.timings["imposed"] = result.timings.get("imposed", 0.0) + time.perf_counter() - t0


def impose_file(pdf: Path, *, project_dir: Path = Path("."), metadata: Path | None = None,
                out_dir: Path | None = None,
                print_overrides: dict[str, object] | None = None) -> ImposeResult:
    """Impose an existing PDF (``fanbind impose --pdf``): any book, not only fanbind's.

    ``print:`` settings come from the project's metadata.yaml when there is one,
    else from the defaults; ``print_overrides`` win over both.
    """
    from fanbind.pdf.impose import ImposeOptions, impose  # the PDF stack: see the module docstring

    source = pdf.resolve()
    if not source.is_file():
        raise InputFileError("the PDF to impose does not exist" if not source.exists()
                             else "the PDF to impose is not a file", file=str(pdf),
                             hint="give the path of a PDF file to --pdf")
    title = None
    has_metadata = metadata is not None or (project_dir / "metadata.yaml").exists()
    if has_metadata:
        project = open_project(project_dir, metadata).with_print_overrides(print_overrides)
        printing, title = project.config.print, project.config.title
    else:
        printing = print_settings(print_overrides)
    out = (out_dir if out_dir is not None else source.parent).resolve()
    ensure_output_dir(out)
    target = out / f"{source.stem}-imposed.pdf"
    with atomic_output(target) as temp:
        imposed = impose(source, temp, ImposeOptions.from_print_config(printing),
                         title=title or source.stem, created=build_time([source]),
                         source_name=source.name)
    return dataclasses.replace(imposed, target=target)
