"""The ``fanbind`` command: a thin Typer shell over :mod:`fanbind.build`.

Every error meant for a person is a :class:`fanbind.errors.FanbindError`; this
module prints it (file, line, message, hint) and exits with its code (see the
README's table). Warnings are collected during a run and printed once, grouped
by file, after it — also when an error stops it, since they may explain it.
Ctrl-C, SIGTERM and SIGHUP stop a run the same way (:mod:`fanbind.interrupts`):
one line, exit 130, 143 or 129. Anything else is a bug in
fanbind: :func:`main` says so in one paragraph instead of a traceback
(``FANBIND_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from fanbind import __version__
from fanbind.choices import Flip, Pad, PdfVariant, Sheet, Signature, TrimName, choices
from fanbind.errors import FanbindError
from fanbind.interrupts import STOPPED_EXIT_CODES, interrupted, signals_interrupt

if TYPE_CHECKING:  # the commands import these on use: --help and init stay fast

    from fanbind.build import BuildResult
    from fanbind.diagnostics import Diagnostics

app = typer.Typer(
    name="fanbind",
    help="Compile plain-text fan fiction into an anthology EPUB and a print-ready PDF.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
# Messages quote user text (file names, story lines): no markup, no :emoji: codes,
# or `a:100:b.txt` prints as `a💯b.txt` and `[bold]` disappears.
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


class OutputFormat(StrEnum):
    epub = "epub"
    pdf = "pdf"
    imposed = "imposed"
    kepub = "kepub"
    cover = "cover"


def _version(value: bool) -> None:
    if value:
        out.print(f"fanbind {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Compile plain-text fan fiction into an anthology EPUB and a print-ready PDF.

    [b]Examples[/b]

      fanbind init              write a starter metadata.yaml for the stories in seeds/
      fanbind check             validate metadata.yaml and lint every story
      fanbind build             write dist/<title>.epub and dist/<title>.pdf
    """


def _fail(error: FanbindError) -> typer.Exit:
    # A closed terminal (SIGHUP) may have taken stderr with it: the exit code still counts.
    with contextlib.suppress(OSError):
        err.print("error: " + str(error), markup=False)
    return typer.Exit(error.exit_code)


#: What Ctrl-C (or SIGTERM, SIGHUP) during a build prints after saying which it was:
#: atomic outputs mean nothing half-written is left.
INTERRUPTED = "the build stopped and no partial file was left behind"


#: Notes ``check`` lists without -v: where a story file and metadata.yaml disagree
#: (the file's value set aside) is what check is asked to report.
CHECK_SHOWN = frozenset({"FB242"})


def _print_diagnostics(diagnostics: Diagnostics, *, verbose: bool = False,
                       shown: frozenset[str] = frozenset()) -> None:
    text = diagnostics.format(include_info=verbose, shown=shown)
    if text:
        err.print(text, markup=False)


def _either(literal: object) -> str:
    """``a, b or c``: the values a setting allows, for an option's help."""
    *rest, last = choices(literal)
    return f"{', '.join(rest)} or {last}" if rest else last


ProjectArg = Annotated[Path, typer.Argument(help="Project folder holding metadata.yaml.")]
MetadataOpt = Annotated[Path | None, typer.Option(
    "--metadata", "-m", help="Metadata file (default: PROJECT/metadata.yaml).")]


@app.command()
def build(
    project: ProjectArg = Path("."),
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Output folder (default: PROJECT/dist).")] = None,
    formats: Annotated[list[OutputFormat] | None, typer.Option(
        "--format", "-f", help="Output format; repeat for several (default: epub and pdf).")
        ] = None,
    metadata: MetadataOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    allow_outside: Annotated[bool, typer.Option(
        "--allow-outside", help="Allow story, cover and stylesheet paths outside the project.")
        ] = False,
    quiet: Annotated[bool, typer.Option(
        "-q", "--quiet", help="Print only warnings and errors.")] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Worker processes for reading stories and laying out "
        "the PDF in parts (default: one per core; 1 lays the PDF out in one piece).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Neither use nor fill the build cache in PROJECT/.fanbind-cache.")
        ] = False,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Build, then build again whenever a file of the project changes "
        "(Ctrl-C stops).")] = False,
    page_list: Annotated[bool, typer.Option(
        "--page-list", help="Give an EPUB-only build the print page numbers (lays out the "
        "pages; automatic when the PDF is built too).")] = False,
    trim: Annotated[str | None, typer.Option(
        "--trim", help=f"PDF trim size: {_either(TrimName)} "
        "(overrides print: trim, width and height).")] = None,
    pdf_variant: Annotated[str | None, typer.Option(
        "--pdf-variant", help=f"Write a PDF/A-3b or PDF/UA-1 file: {_either(PdfVariant)}.")
        ] = None,
) -> None:
    """Build the anthology EPUB and PDF.

    [b]Examples[/b]

      fanbind build                         both books into ./dist
      fanbind build my-zine -o out          a project in my-zine, books into out/
      fanbind build --format epub           only the EPUB (fast: no page layout)
      fanbind build -f epub --page-list     only the EPUB, with the print page numbers
      fanbind build --format imposed        the PDF and its sheets for home binding
      fanbind build --format kepub          Kobo's kepub (<slug>.kepub.epub) only
      fanbind build --format cover          the PDF and its cover wrap (<slug>-cover.pdf)
      fanbind build -f pdf --trim A4        a PDF to print at home on A4
    """
    if watch:
        settings = dict(locals())  # only the options so far: build again with them
        _watch(project, metadata, lambda: build(**{**settings, "watch": False}))
        return
    # on use: --help and init stay fast
    from fanbind.diagnostics import Diagnostics

    chosen = tuple(f.value for f in formats) if formats else ("epub", "pdf")
    overrides: dict[str, object] = {}
    if trim is not None:
        overrides.update(trim=trim, width=None, height=None)
    if pdf_variant is not None:
        overrides["pdf_variant"] = pdf_variant
    progress_console = err if not quiet else None
    diagnostics = Diagnostics()
    try:
        # on use: --help and init stay fast
        from fanbind.build import build as run_build

        def run(report: Callable[[str], None] | None = None) -> BuildResult:
            return run_build(project, out_dir=output, formats=chosen, metadata=metadata,
                             strict=strict, allow_outside=allow_outside, page_list=page_list,
                             cache=not no_cache, jobs=jobs, print_overrides=overrides or None,
                             diagnostics=diagnostics, report=report)

        if progress_console is not None and progress_console.is_terminal:
            with progress_console.status("building…") as status:
                result = run(lambda msg: status.update(msg))
        else:
            result = run()
    except KeyboardInterrupt as stop:
        raise _fail(interrupted(stop, INTERRUPTED)) from None
    except FanbindError as error:
        _print_diagnostics(diagnostics)
        raise _fail(error) from None
    _print_diagnostics(result.diagnostics)
    if not quiet and result.pages is not None:
        _note_once_about_missing_libraries()
    if not quiet:
        summary = f"{result.stories} stories, {result.words:,} words"
        if result.pages is not None:
            summary += f", {result.pages} pages"
        out.print(summary, markup=False)
        for path in result.outputs:
            out.print(f"wrote {path}", markup=False)
        _print_kit(result)
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items() if k != "read")
        out.print(f"time: {timing}", markup=False)


@app.command()
def check(
    project: ProjectArg = Path("."),
    metadata: MetadataOpt = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit non-zero on warnings too.")] = False,
    allow_outside: Annotated[bool, typer.Option("--allow-outside")] = False,
    verbose: Annotated[bool, typer.Option(
        "-v", "--verbose", help="Also show notes: encoding, paragraph model, dropped lines.")
        ] = False,
) -> None:
    """Validate metadata.yaml and lint every story; writes nothing.

    Prints findings as `file:line: CODE message`, grouped by file. Exits 0 when
    there are no errors (with --strict: no warnings either).

    [b]Examples[/b]

      fanbind check
      fanbind check -v my-zine
    """
    # on use: --help and init stay fast
    from fanbind.diagnostics import Diagnostics, Severity

    diagnostics = Diagnostics()
    try:
        # on use: --help and init stay fast
        from fanbind.build import load_book
        from fanbind.project import check_resources, open_project

        opened = open_project(project, metadata)
        check_resources(opened, allow_outside=allow_outside)
        book = load_book(opened, allow_outside=allow_outside, diagnostics=diagnostics)
    except KeyboardInterrupt as stop:
        raise _fail(interrupted(stop, "")) from None
    except FanbindError as error:
        _print_diagnostics(diagnostics, verbose=verbose, shown=CHECK_SHOWN)
        raise _fail(error) from None
    _print_diagnostics(book.diagnostics, verbose=verbose, shown=CHECK_SHOWN)
    warnings = book.diagnostics.count(Severity.WARNING)
    errors = book.diagnostics.count(Severity.ERROR)
    differ = sum(1 for item in book.diagnostics if item.code in CHECK_SHOWN)
    out.print(f"{len(book.stories)} stories, {book.anthology.words:,} words: "
              f"{errors} error(s), {warnings} warning(s)"
              + (f", {differ} field(s) where a story file and metadata.yaml differ"
                 if differ else ""), markup=False)
    if errors or (strict and warnings):
        raise typer.Exit(1)


@app.command()
def init(
    project: Annotated[Path, typer.Argument(
        help="Project folder to write metadata.yaml into.")] = Path("."),
    stories: Annotated[Path | None, typer.Option(
        "--stories", help="Folder of .txt stories (default: PROJECT/seeds).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing metadata.yaml.")] = False,
) -> None:
    """Write a starter metadata.yaml listing every .txt story.

    Titles and word counts are detected from the files; tag fields are written
    commented out, ready to fill in.

    [b]Examples[/b]

      fanbind init
      fanbind init my-zine --stories my-zine/texts
    """
    # on use: --help stays fast
    from fanbind.starter import write_starter

    try:
        path = write_starter(project, stories_dir=stories, force=force)
    except KeyboardInterrupt as stop:
        raise _fail(interrupted(stop, "no file was written")) from None
    except FanbindError as error:
        raise _fail(error) from None
    out.print(f"wrote {path}", markup=False)


@app.command()
def normalize(
    file: Annotated[Path, typer.Argument(help="A story file.")],
    diff: Annotated[bool, typer.Option(
        "--diff", help="Show every change against the source.")] = False,
    language: Annotated[str, typer.Option(
        "--language", help="Language for typography rules.")] = "en",
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Override encoding detection.")] = None,
) -> None:
    """Print a story as fanbind reads it, blocks marked; --diff shows the changes.

    [b]Examples[/b]

      fanbind normalize seeds/001_b93b42b5401a4ec4.txt
      fanbind normalize --diff story.txt | less
    """
    from pydantic import ValidationError

    # on use: --help and init stay fast
    from fanbind.settings.explain import override_error
    from fanbind.text.report import normalized_diff, normalized_listing

    try:
        text = (normalized_diff if diff else normalized_listing)(file, language=language,
                                                                 encoding=encoding)
    except ValidationError as error:  # --language or --encoding refused by the config model
        raise _fail(override_error(error, given={"language": language, "encoding": encoding})
                    ) from None
    except KeyboardInterrupt as stop:
        raise _fail(interrupted(stop, "")) from None
    except FanbindError as error:
        raise _fail(error) from None
    out.print(text, markup=False, highlight=False)


@app.command()
def doctor() -> None:
    """Show the libraries and programs fanbind found, and what each enables.

    Python, WeasyPrint, Pango, HarfBuzz and its font subsetter, fontconfig,
    fontTools, pikepdf, Java for EPUBCheck… with their versions; for anything
    missing, what to install. Always exits 0.

    [b]Examples[/b]

      fanbind doctor
    """
    from fanbind.doctor import checks, report  # (waits for the command: ctypes, subprocess)

    out.print(report(checks()), markup=False)


#: Notes already printed by this process (``--watch`` builds many times).
_NOTED: set[str] = set()


def _note_once_about_missing_libraries() -> None:
    """After a build that laid out a PDF: say once what a missing optional library costs."""
    from fanbind.doctor import missing_subsetter_note  # (only once a PDF was made)

    note = missing_subsetter_note()
    if note is not None and note not in _NOTED:
        _NOTED.add(note)
        err.print(note, markup=False)


# ---------------------------------------------------------------- fanbinding kit


def _print_kit(result: BuildResult) -> None:
    """The volumes and imposed sheets of a build, one line each."""
    plan = result.volumes
    if plan is not None:
        sizes = ", ".join(f"{w:,}" for w in plan.words)
        out.print(f"{plan.count} volumes, split at story boundaries: {sizes} words", markup=False)
    for imposed in result.imposed:
        out.print(f"{imposed.target.name}: {imposed.summary()}", markup=False)


_Opt = typer.Option


@app.command()
def impose(
    project: Annotated[Path, typer.Argument(help="Project folder holding metadata.yaml.")
                       ] = Path("."),
    pdf: Annotated[Path | None, _Opt(
        "--pdf", help="Impose this PDF instead of building the project's book.")] = None,
    output: Annotated[Path | None, _Opt(
        "-o", "--output", help="Output folder (default: PROJECT/dist, or that of --pdf).")] = None,
    metadata: Annotated[Path | None, _Opt(
        "--metadata", "-m", help="Metadata file (default: PROJECT/metadata.yaml).")] = None,
    sheet: Annotated[str | None, _Opt(
        help=f"Printer paper: {_either(Sheet)} (default: print.sheet, auto).")] = None,
    signature: Annotated[str | None, _Opt(
        help=f"{_either(Signature)}: folio = 1 sheet (4 pages), quarto = 2 (8), "
        "octavo = 4 (16).")] = None,
    sheets: Annotated[int | None, _Opt(
        "--sheets", help="Sheets per signature, 3-8 (overrides --signature).")] = None,
    pad: Annotated[str | None, _Opt(
        help=f"{_either(Pad)}: blank pages at the end, or split before and after.")] = None,
    creep: Annotated[str | None, _Opt(help="Paper thickness for creep, e.g. 0.1mm.")] = None,
    flip: Annotated[str | None, _Opt(
        help=f"Duplex flip edge: {_either(Flip)} (default short).")] = None,
    sewing_marks: Annotated[bool | None, _Opt(
        "--sewing-marks/--no-sewing-marks", help="Sewing stations on each centre spread.")
        ] = None,
    fold_lines: Annotated[bool | None, _Opt(
        "--fold-lines/--no-fold-lines", help="Fold ticks on each centre spread.")] = None,
    collation_marks: Annotated[bool | None, _Opt(
        "--collation-marks/--no-collation-marks",
        help="A black box on each signature's spine fold, a step lower each signature.")
        ] = None,
    strict: Annotated[bool, _Opt("--strict", help="Treat warnings as errors.")] = False,
    allow_outside: Annotated[bool, _Opt("--allow-outside")] = False,
    quiet: Annotated[bool, _Opt("-q", "--quiet", help="Print only warnings and errors.")
                     ] = False,
) -> None:
    """Build the book PDF and impose it for home printing and binding.

    Writes `<title>.pdf` and `<title>-imposed.pdf`: two book pages on each side
    of landscape A4 or US Letter sheets, in signature order, for duplex printing
    (flip on short edge), with a printing guide as the first page. Options
    override `print:` in metadata.yaml. With --pdf, imposes an existing PDF.

    [b]Examples[/b]

      fanbind impose                                sheets for the project in .
      fanbind impose --sheet letter --sheets 5      20-page signatures on US Letter
      fanbind impose --pdf book.pdf --creep 0.1mm   impose any PDF
    """
    overrides: dict[str, object] = {
        key: value for key, value in (("sheet", sheet), ("signature", signature),
                           ("sheets_per_signature", sheets), ("pad", pad), ("creep", creep),
                           ("flip", flip), ("sewing_marks", sewing_marks),
                           ("collation_marks", collation_marks),
                           ("fold_lines", fold_lines))
        if value is not None}
    if signature is not None and sheets is None:
        overrides["sheets_per_signature"] = None
    try:
        if pdf is not None:
            # on use: --help and init stay fast
            from fanbind.build import impose_file

            imposed = impose_file(pdf, project_dir=project, metadata=metadata, out_dir=output,
                                  print_overrides=overrides)
            if not quiet:
                out.print(f"wrote {imposed.target}", markup=False)
                out.print(imposed.summary(), markup=False)
            return
        # on use: --help and init stay fast
        from fanbind.build import build as run_build

        result = run_build(project, out_dir=output, formats=("imposed",), metadata=metadata,
                           strict=strict, allow_outside=allow_outside, print_overrides=overrides)
    except KeyboardInterrupt as stop:
        raise _fail(interrupted(stop, "no book was written")) from None
    except FanbindError as error:
        raise _fail(error) from None
    _print_diagnostics(result.diagnostics)
    if not quiet:
        for path in result.outputs:
            out.print(f"wrote {path}", markup=False)
        _print_kit(result)


def _watch(project: Path, metadata: Path | None, run: Callable[[], None]) -> None:
    """Build now and again whenever one of the book's inputs changes (``build --watch``).

    Only the inputs (:mod:`fanbind.watching`), read again after each build: a
    log or the books themselves written in the project never start a build.
    The cache makes each rebuild redo only what changed.
    """
    import watchfiles

    # on use, with watchfiles: only --watch needs them
    from fanbind.watching import book_inputs, is_input, watched_folders

    root = project.resolve()
    inputs = [book_inputs(project, metadata)]

    def relevant(_change: watchfiles.Change, path: str) -> bool:
        return is_input(path, inputs[0])

    def once() -> None:
        try:
            run()
        except typer.Exit as done:
            if done.exit_code in STOPPED_EXIT_CODES:
                raise  # Ctrl-C, SIGTERM or SIGHUP during a build stops watching too
            if done.exit_code not in (0, None):
                err.print(f"build failed (exit {done.exit_code}); waiting for changes",
                          markup=False)
        inputs[0] = book_inputs(project, metadata)

    once()
    err.print(f"watching the {len(inputs[0])} input files of the book in {root} "
              "(Ctrl-C stops)", markup=False)
    try:
        while True:
            folders = watched_folders(root, inputs[0])
            for changes in watchfiles.watch(*folders, watch_filter=relevant, debounce=400,
                                            raise_interrupt=False):
                names = sorted({Path(path).name for _, path in changes})
                err.print("changed: " + ", ".join(names[:5]) + (" …" if len(names) > 5 else ""),
                          markup=False)
                once()
                if watched_folders(root, inputs[0]) != folders:
                    break  # an input outside the project moved: watch its new folder
            else:
                return  # the watcher stopped (Ctrl-C)
    except KeyboardInterrupt:
        pass


def main() -> None:
    """Console-script entry point: the last line of defence against tracebacks.

    The commands turn every :class:`FanbindError` and Ctrl-C into a message and
    an exit code themselves. Whatever still escapes is a bug in fanbind, not in
    the user's files: it gets one paragraph saying so (exit 1), and the
    traceback only with ``FANBIND_DEBUG=1``, for the bug report.

    The heap is frozen at exit (:func:`gc.freeze`): the interpreter's last
    collections would otherwise walk every object a PDF build left (WeasyPrint's
    boxes and fonts, the book), 0.2 s and more between the finished book and the
    shell's prompt. Everything is still closed and flushed as before: the
    atexit handlers run, objects are freed by their counts; only garbage in
    reference cycles is left to the operating system.
    """
    atexit.register(gc.freeze)  # runs after the command, at exit: never in a test's middle
    try:
        with signals_interrupt():
            app()
    except FanbindError as error:  # pragma: no cover - the commands catch their own
        err.print("error: " + str(error), markup=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt as stop:  # pragma: no cover - outside a command's own handler
        stopped = interrupted(stop, "")
        err.print(f"error: {stopped}", markup=False)
        sys.exit(stopped.exit_code)
    except Exception as exc:
        if os.environ.get("FANBIND_DEBUG"):
            raise
        err.print(f"error: fanbind failed unexpectedly ({type(exc).__name__}: {exc})\n"
                  "  Hint: this is a bug in fanbind, not a problem with your files; please "
                  "report it with the command you ran (run it again with FANBIND_DEBUG=1 "
                  "to see the details)", markup=False)
        sys.exit(1)
