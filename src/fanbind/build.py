"""Build orchestration: metadata.yaml and story files in, books out.

``cli.py`` is a thin shell over the functions here; tests call them directly.
The writers are imported lazily so an EPUB-only build never imports WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fanbind.atomic import atomic_output, ensure_output_dir
from fanbind.config import AnthologyConfig, load_config
from fanbind.diagnostics import Diagnostics, Severity
from fanbind.errors import BuildError, MetadataError, StoryFileError
from fanbind.model import Anthology
from fanbind.resources import EPUB_CSS
from fanbind.stories import LoadedStory, load_story

FORMATS = ("epub", "pdf")
Reporter = Callable[[str], None]


@dataclass(frozen=True)
class Project:
    """A project folder with its validated metadata."""

    root: Path
    metadata_path: Path
    config: AnthologyConfig

    def display(self, path: Path) -> str:
        """A path as the user should see it: relative to the project when inside."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


@dataclass
class LoadedBook:
    project: Project
    anthology: Anthology
    stories: list[LoadedStory]
    diagnostics: Diagnostics


@dataclass
class BuildResult:
    outputs: list[Path] = field(default_factory=list)
    stories: int = 0
    words: int = 0
    pages: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def open_project(project_dir: Path, metadata: Path | None = None) -> Project:
    """Find and validate metadata.yaml for a project folder."""
    root = project_dir.resolve()
    if not root.is_dir():
        raise MetadataError("the project folder does not exist", file=str(project_dir))
    path = metadata if metadata is not None else root / "metadata.yaml"
    if not path.is_absolute():
        path = (Path.cwd() / path)
    shown = _display(root, path)
    if not path.exists():
        raise MetadataError("metadata.yaml not found", file=shown,
                            hint="run `fanbind init` to write a starter file")
    config = load_config(path, display_name=shown)
    return Project(root, path, config)


def _display(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def resolve_inside(project: Project, name: str, *, what: str, allow_outside: bool,
                   error: type[MetadataError] | type[StoryFileError] = StoryFileError) -> Path:
    """Resolve a path from metadata.yaml and refuse one that leaves the project.

    Symlinks are resolved first, so a link pointing outside is refused too.
    """
    base = project.metadata_path.parent
    path = (base / name).resolve()
    if not allow_outside and not path.is_relative_to(project.root):
        raise error(f"the {what} path {name!r} points outside the project folder",
                    file=_display(project.root, project.metadata_path),
                    hint="move the file into the project, or pass --allow-outside")
    return path


def load_book(project: Project, *, allow_outside: bool = False,
              report: Reporter | None = None) -> LoadedBook:
    """Read every story through the text stages into one :class:`Anthology`."""
    diagnostics = Diagnostics()
    loaded: list[LoadedStory] = []
    for index, meta in enumerate(project.config.stories):
        path = resolve_inside(project, meta.file, what="story", allow_outside=allow_outside)
        shown = project.display(path)
        if report:
            report(f"reading {shown}")
        loaded.append(load_story(path, meta, index=index, display_name=shown,
                                 book=project.config, diagnostics=diagnostics))
    from fanbind.lint import lint_book

    diagnostics.extend(lint_book(loaded))
    anthology = Anthology(typeset_config(project.config), tuple(item.story for item in loaded))
    return LoadedBook(project, anthology, loaded, diagnostics)


def typeset_config(config: AnthologyConfig) -> AnthologyConfig:
    """The anthology's display texts (title, subtitle, description) with typography applied."""
    from fanbind.typography import typeset_text

    def fix(text: str | None) -> str | None:
        return typeset_text(text, language=config.language, dash_style=config.dash_style) \
            if text else text

    return config.model_copy(update={"title": fix(config.title), "subtitle": fix(config.subtitle),
                                     "description": fix(config.description),
                                     "rights": fix(config.rights)})


def build_time(paths: Sequence[Path]) -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` when set, else the newest input's modification time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        except ValueError as exc:
            raise BuildError(f"SOURCE_DATE_EPOCH is not a whole number of seconds: {epoch!r}") from exc
    newest = max((p.stat().st_mtime for p in paths if p.exists()), default=0)
    return dt.datetime.fromtimestamp(int(newest), tz=dt.timezone.utc)


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
) -> BuildResult:
    """Build the requested formats; every output is written atomically."""
    started = time.perf_counter()
    project = open_project(project_dir, metadata)
    book = load_book(project, allow_outside=allow_outside, report=report)
    result = BuildResult(stories=len(book.anthology.stories), words=book.anthology.words,
                         diagnostics=book.diagnostics)
    result.timings["read"] = time.perf_counter() - started
    if strict and book.diagnostics.count(Severity.WARNING):
        raise BuildError(f"{book.diagnostics.count(Severity.WARNING)} warning(s) and --strict is on",
                         hint="fix the warnings listed above, or build without --strict")

    out = (out_dir if out_dir is not None else project.root / "dist").resolve()
    ensure_output_dir(out)
    slug = slugify(project.config.title)
    inputs = [project.metadata_path, *(project.root / s.story.meta.file for s in book.stories)]
    when = build_time(inputs)
    from fanbind.render import render_book

    stylesheet_path = None
    if project.config.stylesheet:
        stylesheet_path = resolve_inside(project, project.config.stylesheet, what="stylesheet",
                                         allow_outside=allow_outside, error=MetadataError)
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))

    if "epub" in formats:
        t0 = time.perf_counter()
        if report:
            report("writing the EPUB")
        from fanbind.epub import write_epub

        css = EPUB_CSS.read_bytes()
        target = out / f"{slug}.epub"
        with atomic_output(target) as temp:
            write_epub(book.anthology, documents, temp, stylesheet=css, modified=when)
        result.outputs.append(target)
        result.timings["epub"] = time.perf_counter() - t0

    if "pdf" in formats:
        t0 = time.perf_counter()
        if report:
            report("laying out the PDF")
        from fanbind.pdf import write_pdf

        target = out / f"{slug}.pdf"
        extra = (stylesheet_path,) if stylesheet_path else ()
        with atomic_output(target) as temp:
            pdf = write_pdf(book.anthology, documents, temp, project_dir=project.root,
                            extra_stylesheets=extra, created=when)
        for url in pdf.refused:
            result.diagnostics.warn("FB601", project.display(stylesheet_path or project.metadata_path),
                                    None, f"not fetched: {url}",
                                    "fanbind uses only files inside the project folder")
        result.pages = pdf.pages
        result.outputs.append(target)
        result.timings["pdf"] = time.perf_counter() - t0
    result.timings["total"] = time.perf_counter() - started
    return result
