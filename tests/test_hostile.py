"""Hostile and broken input (issue 6): a clear error or a good book, never a mess.

Every case runs ``fanbind build`` in-process through the CLI, the way a person
would, and checks what that person gets: the exit code of the README's table,
one message naming the file (with line and column for metadata.yaml, the byte
offset for encodings) and a hint, no Python traceback, and an output folder
exactly as it was — an older book already there stays byte-identical and no
new, partial or temporary file appears. Cases that must build read the books
back (lxml for the EPUB's XHTML, pypdfium2 for the PDF's text).

Things that cannot be staged for real when the tests run as root (an
unreadable file, a read-only folder, a full disk, Ctrl-C) are simulated by
monkeypatching the one call that would fail.
"""

from __future__ import annotations

import errno
import http.server
import os
import random
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from tests.conftest import REPO, SOURCE_DATE_EPOCH
from typer.testing import CliRunner

from fanbind import errors
from fanbind.cli import app
from fanbind.interrupts import STOPPED_EXIT_CODES

runner = CliRunner()
XHTML = "{http://www.w3.org/1999/xhtml}"
STORY = (
    "A Small Story\n\n"
    "Iruka said hello to the class and opened the window.\n\n"
    "Kakashi smiled behind his mask and sat down on the sill.\n"
)
OLD_BOOKS = {"t.epub": b"an older EPUB that must survive\n", "t.pdf": b"an older PDF\n"}
VOCABULARY = ("the", "a", "leaf", "village", "ninja", "said", "quietly", "and", "then", "walked",
              "home", "under", "rain", "window")
PNG = (REPO / "tests" / "data" / "encodings" / "png-renamed.txt").read_bytes()


def metadata(file: str = "a.txt", extra: str = "", story_extra: str = "") -> str:
    """A valid metadata.yaml with one story; ``extra`` adds top-level keys."""
    return (f'title: "T"\n{extra}stories:\n  - file: {file}\n    authors: [A]\n'
            f"{story_extra}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A one-story project whose dist/ already holds an older book."""
    root = tmp_path / "book"
    root.mkdir()
    (root / "a.txt").write_text(STORY)
    (root / "metadata.yaml").write_text(metadata())
    dist = root / "dist"
    dist.mkdir()
    for name, data in OLD_BOOKS.items():
        (dist / name).write_bytes(data)
    return root


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    for name in ("FANBIND_MAX_YAML_BYTES", "FANBIND_MAX_ALIASES", "FANBIND_MAX_STORIES",
                 "FANBIND_MAX_DEPTH", "FANBIND_MAX_NODES", "FANBIND_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden temporary files included) with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fanbind(*args: str | Path) -> object:
    """Run the CLI in-process; fail the test on any traceback."""
    result = runner.invoke(app, [str(a) for a in args])
    crash = result.exception
    assert crash is None or isinstance(crash, SystemExit), (
        f"unexpected {type(crash).__name__}: {crash}\n{result.output}")
    assert "Traceback" not in result.output
    return result


def refused(project: Path, code: int, *needles: str, args: tuple[str, ...] = ()) -> str:
    """Build, expect exit ``code`` and every needle in stderr; dist/ must be unchanged."""
    before = files_in(project / "dist")
    result = fanbind("build", project, *args)
    assert result.exit_code == code, result.output
    error = result.stderr
    assert error.count("\nerror: ") + error.startswith("error: ") == 1, error  # one error
    message = error[error.index("error: "):]
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"
    assert "Hint:" in message, message
    assert files_in(project / "dist") == before
    return message


def built(project: Path, *args: str) -> object:
    result = fanbind("build", project, *args)
    assert result.exit_code == 0, result.output
    return result


# ---------------------------------------------------------------------- reading books back


def epub_texts(path: Path) -> dict[str, etree._Element]:
    """Every XHTML document of an EPUB, parsed (it must parse)."""
    with zipfile.ZipFile(path) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist()
                if name.endswith(".xhtml")}


def epub_story_text(path: Path) -> str:
    """The text of every XHTML body in reading order, tags dropped."""
    return "\n".join("".join(root.find(f"{XHTML}body").itertext())
                     for root in epub_texts(path).values())


def pdf_text(path: Path) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(document[i].get_textpage().get_text_range()
                         for i in range(len(document)))
    finally:
        document.close()


# ---------------------------------------------------------------------- metadata.yaml

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
    for i in range(8))


@dataclass(frozen=True)
class MetaCase:
    text: str | None  # None: no metadata.yaml at all
    where: str  # the location the message must start with
    words: tuple[str, ...]


META_CASES = {
    "missing": MetaCase(None, "metadata.yaml: not found", ("fanbind init",)),
    "empty": MetaCase("", "metadata.yaml:1: metadata.yaml is empty", ("title:",)),
    "comments-only": MetaCase("# nothing yet\n", "metadata.yaml:1:", ("empty",)),
    "a-list": MetaCase("- a.txt\n- b.txt\n", "metadata.yaml:1:1:", ("must be a mapping",)),
    "a-scalar": MetaCase("just words\n", "metadata.yaml:1:1:", ("must be a mapping",)),
    "bad-indentation": MetaCase('title: T\nstories:\n  - file: a.txt\n   authors: [A]\n',
                                "metadata.yaml:4:4:", ("indentation",)),
    "tab-indentation": MetaCase("title: T\nstories:\n\t- file: a.txt\n",
                                "metadata.yaml:3:1:", ("tab",)),
    "unclosed-quote": MetaCase('title: "T\nstories:\n  - file: a.txt\n    authors: [A]\n',
                               "metadata.yaml:1:8:", ("never closed",)),
    "unknown-key": MetaCase(metadata(extra="titel: X\n"), "metadata.yaml:2:1:",
                            ("unknown key 'titel'", "did you mean 'title'")),
    "wrong-type": MetaCase(metadata().replace('"T"', "[1, 2]"), "metadata.yaml:1:8:",
                           ("title", "expected text, got a list")),
    "missing-title": MetaCase("stories:\n  - file: a.txt\n    authors: [A]\n",
                              "metadata.yaml:1:1:", ("missing `title:`",)),
    "missing-stories": MetaCase("title: T\n", "metadata.yaml:1:1:", ("missing `stories:`",)),
    "missing-authors": MetaCase("title: T\nstories:\n  - file: a.txt\n", "metadata.yaml:3:5:",
                                ("stories[1]", "missing `author:`")),
    "unknown-rating": MetaCase(metadata(story_extra="    rating: PG-13\n"),
                               "metadata.yaml:5:13:", ("'PG-13' is not an AO3 rating",
                                                       "Teen And Up Audiences")),
    "impossible-date": MetaCase(metadata(extra="date: 2024-13-45\n"), "metadata.yaml:2:7:",
                                ("not a real date",)),
    "date-in-words": MetaCase(metadata(extra="date: next tuesday\n"), "metadata.yaml:2:7:",
                              ("date",)),
    "duplicate-story": MetaCase(metadata() + "  - file: ./a.txt\n    authors: [B]\n",
                                "metadata.yaml:5:", ("listed twice",)),
    "billion-laughs": MetaCase(LAUGHS + metadata(), "metadata.yaml:", ("alias bomb",
                                                                        "FANBIND_MAX_NODES")),
    "python-tag": MetaCase(
        metadata().replace('"T"', '!!python/object/apply:os.system ["touch {marker}"]'),
        "metadata.yaml:1:8:", ("tag", "not allowed", "never run")),
    "python-name-tag": MetaCase(metadata(extra="x: !!python/name:os.system\n"),
                                "metadata.yaml:2:4:", ("tag", "not allowed")),
    "escaped-control": MetaCase(metadata().replace('"T"', '"Bell\\x07"'), "metadata.yaml:1:8:",
                                ("U+0007", "control character")),
    "escaped-surrogate": MetaCase(metadata().replace('"T"', '"\\ud800"'), "metadata.yaml:1:8:",
                                  ("U+D800",)),
    "not-utf8": MetaCase("title: Caf\udce9\n", "metadata.yaml:1:11:", ("not valid UTF-8",
                                                                       "byte offset 10")),
}


@pytest.mark.parametrize("case", list(META_CASES.values()), ids=list(META_CASES))
def test_bad_metadata_is_refused_with_its_place(project: Path, case: MetaCase,
                                                tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = project / "metadata.yaml"
    if case.text is None:
        path.unlink()
    else:
        text = case.text.replace("{marker}", str(marker))
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    message = refused(project, 3, *case.words)
    assert message.startswith("error: " + case.where), message
    assert not marker.exists()  # a tag that would run a command never ran


def test_metadata_folder_is_refused(project: Path) -> None:
    (project / "metadata.yaml").unlink()
    (project / "metadata.yaml").mkdir()
    refused(project, 3, "metadata.yaml: this is a folder, not a metadata file")


def test_fifty_megabyte_metadata_is_refused_unread(project: Path) -> None:
    with (project / "metadata.yaml").open("w") as handle:
        handle.write(metadata())
        handle.write("# " + "x" * 1000 + "\n" * 1)
        handle.truncate(50 * 1024 * 1024)
    refused(project, 3, "metadata.yaml: the metadata file is 50.0 MB, more than the 2.0 MB",
            "FANBIND_MAX_YAML_BYTES")


# ---------------------------------------------------------------------- story files


def _unreadable(monkeypatch: pytest.MonkeyPatch, project: Path) -> None:
    """``chmod 000`` does not stop root: make opening a.txt fail as it would for a user."""
    real_open = Path.open

    def deny(self: Path, mode: str = "r", *args: object, **kwargs: object):
        if self.name == "a.txt" and "r" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)


@dataclass(frozen=True)
class StoryCase:
    make: Callable[[Path], None]  # writes the story file (or not)
    where: str
    words: tuple[str, ...]


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / "a.txt").write_bytes(data)


def _folder(root: Path) -> None:
    (root / "a.txt").unlink()
    (root / "a.txt").mkdir()


STORY_CASES = {
    "missing": StoryCase(lambda root: (root / "a.txt").rename(root / "b.txt"),
                         "a.txt: story file not found", ("did you mean 'b.txt'",)),
    "a-folder": StoryCase(_folder, "a.txt: is a folder, not a story file", ()),
    "empty": StoryCase(_write(b""), "a.txt: is empty: the story would be blank", ()),
    "whitespace-only": StoryCase(_write(b" \n\t\r\n  \n\xc2\xa0\n"),
                                 "a.txt: contains only whitespace", ()),
    "random-bytes": StoryCase(_write(random.Random(6).randbytes(4096)), "a.txt: contains a NUL",
                              ("byte offset", "binary file")),
    "png-renamed": StoryCase(_write(PNG), "a.txt: is not a plain-text story",
                             ("PNG image", "byte offset 0")),
    "fifo": StoryCase(lambda root: ((root / "a.txt").unlink(), os.mkfifo(root / "a.txt")),
                      "a.txt: is not a regular file", ()),
    "symlink-loop": StoryCase(lambda root: ((root / "a.txt").unlink(),
                                            (root / "a.txt").symlink_to("a.txt")),
                              "metadata.yaml:3:11: the story path 'a.txt' cannot be resolved", ()),
    "invalid-utf8": StoryCase(_write(b"Hello \xff\xfe\x80\x81 there \x90\x8d\x8f\x9d.\n" * 3),
                              "a.txt:1: invalid UTF-8 at byte offset 6 (0xff", ("encoding:",)),
}


@pytest.mark.parametrize("case", list(STORY_CASES.values()), ids=list(STORY_CASES))
def test_bad_story_file_is_refused(project: Path, case: StoryCase) -> None:
    case.make(project)
    message = refused(project, 4, *case.words)
    assert message.startswith("error: " + case.where), message


def test_unreadable_story_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _unreadable(monkeypatch, project)
    message = refused(project, 4, "permission")
    assert message.startswith("error: a.txt: cannot be read: permission denied"), message


def test_story_over_the_size_limit_is_refused_and_the_limit_can_be_raised(
        project: Path) -> None:
    (project / "a.txt").write_text(STORY + ("More words in a line. " * 50 + "\n\n") * 1500)
    (project / "metadata.yaml").write_text(metadata(extra="limits: {max_story_mb: 1}\n"))
    refused(project, 4, "a.txt: is 1.6 MB, larger than the 1 MB limit", "max_story_mb: 2")
    (project / "metadata.yaml").write_text(metadata(extra="limits: {max_story_mb: 2}\n"))
    built(project, "-f", "epub")


def test_stray_nul_and_control_characters_are_removed_and_warned(project: Path) -> None:
    (project / "a.txt").write_bytes(
        b"A Small Story\n\nIruka\x00 said hello\x00 to the class.\n\n"
        b"The bell\x07 rang; \x1b[1mloud\x1b[0m and clear\x7f.\n\n" + STORY.encode() * 10)
    result = built(project, "-f", "epub")
    warnings = result.stderr
    assert "a.txt:3: FB102 removed 2 NUL characters (the first at byte offset 20)" in warnings
    assert re.search(r"a\.txt:5: FB102 removed .*control character", warnings), warnings
    assert warnings.count("\na.txt\n") + warnings.startswith("a.txt\n") == 1  # one group
    text = epub_story_text(project / "dist" / "t.epub")
    assert "Iruka said hello to the class." in text
    assert "The bell rang; [1mloud[0m and clear." in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)


#: Each one its own short paragraph, so no line break or hyphen splits it in the PDF.
#: No quotes, dashes or asterisks: typography and emphasis would rightly change those.
LITERALS = ("<script>alert(1)</script>", "]]>", "&amp;", "<?xml version=1.0?>",
            "&lt;b&gt;", "&#60;", "&#x41;", "&nbsp;", "&bogus;", "&copy;",
            "<![CDATA[ x ]]>", "<!DOCTYPE html>", "<b>bold?</b>", "<img src=x onerror=y>")


MARKUP_TITLE = "T & <b>tags</b> ]]> &amp; <?pi?>"
MARKUP_AUTHOR = "<script>Eve</script> &lt;"


@pytest.fixture(scope="module")
def markup_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One book, both formats, whose story is made of markup-looking text."""
    root = tmp_path_factory.mktemp("markup")
    (root / "a.txt").write_text("Markup Story\n\n" + "\n\n".join(LITERALS) + "\n\nThe end.\n")
    (root / "metadata.yaml").write_text(
        metadata().replace('"T"', f"'{MARKUP_TITLE}'").replace("[A]", f"['{MARKUP_AUTHOR}']"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        result = fanbind("build", root)
    assert result.exit_code == 0, result.output
    return next((root / "dist").glob("*.epub")), next((root / "dist").glob("*.pdf"))


@pytest.mark.parametrize("literal", LITERALS)
def test_markup_in_a_story_is_shown_literally_in_the_epub(markup_book, literal: str) -> None:
    epub, _ = markup_book
    documents = epub_texts(epub)
    assert literal in epub_story_text(epub)
    for root in documents.values():
        assert not list(root.iter(f"{XHTML}script", f"{XHTML}b"))
        sources = [img.get("src", "") for img in root.iter(f"{XHTML}img")]
        assert all(src.startswith("images/cover.") for src in sources), sources
        assert not [key for element in root.iter() for key in element.attrib
                    if key.startswith("on")]
        assert not list(root.iter(etree.ProcessingInstruction))


@pytest.mark.parametrize("literal", LITERALS)
def test_markup_in_a_story_is_shown_literally_in_the_pdf(markup_book, literal: str) -> None:
    _, pdf = markup_book
    assert literal in pdf_text(pdf)


def test_markup_in_metadata_is_shown_literally_in_both_books(markup_book) -> None:
    epub, pdf = markup_book
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert next(e.text for e in opf.iter(f"{dc}title")) == MARKUP_TITLE
    assert MARKUP_AUTHOR in [e.text for e in opf.iter(f"{dc}creator")]
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        assert document.get_metadata_dict()["Title"] == MARKUP_TITLE
        assert MARKUP_AUTHOR in document.get_metadata_dict()["Author"]
    finally:
        document.close()
    assert MARKUP_TITLE in pdf_text(pdf) and MARKUP_AUTHOR in pdf_text(pdf)


def test_one_500_kb_line_without_a_newline_builds(project: Path) -> None:
    words = random.Random(5).choices(VOCABULARY,
                                     k=90_000)
    line = " ".join(words)[:500_000] + "."
    (project / "a.txt").write_text("A Long Line\n\n" + line)
    built(project, "-f", "epub")
    text = epub_story_text(project / "dist" / "t.epub")
    assert line[:2000] in text and line[-2000:] in text


#: Peak memory allowed for the 50 MB story's EPUB build (measured: 630–680 MB).
FIFTY_MB_MEMORY_BUDGET = 1536 * 1024 * 1024


def test_fifty_megabyte_story_builds_within_the_memory_budget(project: Path) -> None:
    """Within the default 64 MB limit a long, dull story builds (EPUB only: speed).

    The build runs in a child process of a small wrapper, so ``RUSAGE_CHILDREN``
    is that build's own peak memory (its largest process), not the test run's.
    """
    rng = random.Random(50)
    paragraph = " ".join(rng.choices(VOCABULARY, k=60)).capitalize() + ".\n\n"
    with (project / "a.txt").open("w") as handle:
        handle.write("A Very Long Story\n\n")
        size = 0
        while size < 50 * 1024 * 1024:
            handle.write(paragraph)
            size += len(paragraph)
    wrapper = ("import resource, subprocess, sys; "
               "code = subprocess.run([sys.executable, '-m', 'fanbind', 'build', sys.argv[1], "
               "'-f', 'epub', '-q']).returncode; "
               "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", wrapper, str(project)], capture_output=True,
                         text=True, timeout=900, check=False)
    code, peak_kb = map(int, run.stdout.split())
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert peak_kb * 1024 < FIFTY_MB_MEMORY_BUDGET, f"peak {peak_kb / 1024:.0f} MB"
    with zipfile.ZipFile(project / "dist" / "t.epub") as archive:
        assert sum(info.file_size for info in archive.infolist()) > 50 * 1024 * 1024


# ---------------------------------------------------------------------- paths


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the project with a story, a cover and a stylesheet in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "story.txt").write_text(STORY)
    (folder / "style.css").write_text("p { color: red }\n")
    (folder / "cover.png").write_bytes(PNG)
    return folder


def _link(project: Path, outside: Path, name: str) -> str:
    (project / f"link-{name}").symlink_to(outside / name)
    return f"link-{name}"


def _folder_link(project: Path, outside: Path, name: str) -> str:
    (project / "shared").symlink_to(outside, target_is_directory=True)
    return f"shared/{name}"


PATH_FORMS = {
    "parent": lambda project, outside, name: f"../outside/{name}",
    "etc-passwd": lambda project, outside, name: "../../../../../../../etc/passwd",
    "absolute": lambda project, outside, name: str(outside / name),
    "symlink": _link,
    "symlinked-folder": _folder_link,
}
WHAT = {"story": ("story.txt", 4), "cover": ("cover.png", 3), "stylesheet": ("style.css", 3)}


def _point(project: Path, what: str, path: str) -> None:
    if what == "story":
        (project / "metadata.yaml").write_text(metadata(file=path))
    else:
        (project / "metadata.yaml").write_text(metadata(extra=f"{what}: {path}\n"))


@pytest.mark.parametrize("form", list(PATH_FORMS))
@pytest.mark.parametrize("what", list(WHAT))
def test_path_escaping_the_project_is_refused(project: Path, outside: Path, what: str,
                                              form: str) -> None:
    name, code = WHAT[what]
    path = PATH_FORMS[form](project, outside, name)
    _point(project, what, path)
    line = 3 if what == "story" else 2
    message = refused(project, code, f"the {what} path", "outside the project folder",
                      "--allow-outside")
    assert message.startswith(f"error: metadata.yaml:{line}:"), message


@pytest.mark.parametrize("what", ["story", "stylesheet"])
def test_allow_outside_lets_a_trusted_path_through(project: Path, outside: Path,
                                                   what: str) -> None:
    name, _ = WHAT[what]
    _point(project, what, str(outside / name))
    built(project, "-f", "epub", "--allow-outside")


@pytest.mark.parametrize("link", [".fanbind-cache", ".fanbind-cache/stories"])
def test_cache_folder_linked_outside_is_never_written_or_pruned(project: Path, outside: Path,
                                                                link: str) -> None:
    """A shared project may ship its cache folder as a link to the user's own files."""
    from fanbind.cache import ProjectCache

    (project / link).parent.mkdir(exist_ok=True)
    (project / link).symlink_to(outside, target_is_directory=True)
    before = files_in(outside)
    built(project, "-f", "epub")
    built(project, "-f", "epub")
    cache = ProjectCache(project)
    cache.put("stories", "k", "value")
    cache.prune(["stories"])
    assert files_in(outside) == before


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_stylesheet_that_is_not_a_file_is_refused_before_writing(project: Path,
                                                                 kind: str) -> None:
    if kind == "folder":
        (project / "style.css").mkdir()
    (project / "metadata.yaml").write_text(metadata(extra="stylesheet: style.css\n"))
    why = "does not exist" if kind == "missing" else "is a folder, not a file"
    message = refused(project, 3, f"the stylesheet 'style.css' {why}", "`stylesheet:` line")
    assert message.startswith("error: metadata.yaml:2:13:"), message


# ---------------------------------------------------------------------- resources


class _CountingServer:
    """An HTTP server on 127.0.0.1 that counts every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"p { color: red }")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[_CountingServer]:
    serving = _CountingServer()
    yield serving
    serving.close()


def _stylesheet(url: str) -> dict[str, str]:
    """Each way a stylesheet can ask for a resource, keyed by what it refers to."""
    host = url.removeprefix("http://")
    return {
        "@import http": f'@import url("{url}/import.css");',
        "@import https": f'@import "https://{host}/import-tls.css";',
        "@import file": '@import url("file:///etc/passwd");',
        "@import outside": '@import url("../outside.css");',
        "font http": f'@font-face {{ font-family: X; src: url("{url}/font.woff"); }}',
        "background http": f'body {{ background: url("{url}/bg.png"); }}',
        "background https": f'h1 {{ background-image: url("https://{host}/bg.png"); }}',
        "data url": 'h2 { background-image: url("data:image/png;base64,iVBORw0KGgo="); }',
        "absolute path": 'p { background-image: url("/etc/hostname"); font-family: X; }',
        "file url": 'p::after { content: url("file:///etc/shadow"); }',
    }


RESOURCES = {
    "@import http": "/import.css", "@import https": "/import-tls.css",
    "@import file": "file:///etc/passwd", "@import outside": "outside.css",
    "font http": "/font.woff", "background http": "/bg.png", "background https": "/bg.png",
    "data url": "data:image/png;base64", "absolute path": "file:///etc/hostname",
    "file url": "file:///etc/shadow",
}


@pytest.fixture(scope="module")
def fetched_book(tmp_path_factory: pytest.TempPathFactory,
                 server: _CountingServer) -> tuple[object, Path]:
    """One build (EPUB and PDF) whose stylesheet reaches out every way CSS allows."""
    base = tmp_path_factory.mktemp("fetch")
    (base / "outside.css").write_text("p { color: blue }")
    root = base / "book"
    root.mkdir()
    (root / "a.txt").write_text(STORY)
    (root / "style.css").write_text("\n".join(_stylesheet(server.url).values()) + "\n")
    (root / "metadata.yaml").write_text(metadata(extra="stylesheet: style.css\n"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        result = fanbind("build", root)
    assert result.exit_code == 0, result.output
    return result, root / "dist" / "t.pdf"


def test_stylesheet_resources_are_never_fetched(fetched_book, server: _CountingServer) -> None:
    _, pdf = fetched_book
    assert pdf.is_file()
    assert server.requests == []


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_each_refused_resource_is_warned(fetched_book, kind: str) -> None:
    result, _ = fetched_book
    warned = [line for line in result.stderr.splitlines() if "FB601 not fetched" in line]
    assert any(RESOURCES[kind] in line and line.lstrip().startswith("style.css: ")
               for line in warned), result.stderr
    assert result.stderr.count("\nstyle.css\n") + result.stderr.startswith("style.css\n") == 1


def test_a_missing_file_inside_the_project_is_not_called_outside_it(project: Path) -> None:
    """FB601 said "not fetched … only files inside the project" for a typo in a path."""
    (project / "img").mkdir()
    (project / "style.css").write_text('@import "later.css";\n'
                                       'p { background: url(img/nope.png); }\n'
                                       'h1 { background: url(img); }\n')
    (project / "metadata.yaml").write_text(metadata(extra="stylesheet: style.css\n"))
    result = built(project, "-f", "pdf")
    text = result.stderr
    assert "style.css: FB601 not found: later.css\n" in text
    assert "style.css: FB601 not found: img/nope.png\n" in text
    assert "style.css: FB601 not fetched: img is a folder, not a file\n" in text
    assert text.count("create a missing file or correct its path") == 3
    assert "outside" not in text


def test_broken_css_in_the_users_stylesheet_is_warned_at_its_line(project: Path) -> None:
    (project / "style.css").write_text("p { colr: red; font-size: banana }\n"
                                       "@page { size: nonsense }\nh1 { color: blue }\n")
    (project / "metadata.yaml").write_text(metadata(extra="stylesheet: style.css\n"))
    result = built(project, "-f", "pdf")
    found = [line.strip() for line in result.stderr.splitlines() if "FB603" in line]
    assert found == [
        "style.css:1: FB603 CSS ignored: `colr: red` (column 5): unknown property",
        "style.css:1: FB603 CSS ignored: `font-size: banana` (column 16): invalid value",
        "style.css:2: FB603 CSS ignored: `size: nonsense` (column 9): invalid value",
    ]


URL_FORMS = {
    "http": "{server}/story.txt",
    "https": "https://127.0.0.1:9/story.txt",
    "file-url": "file:///etc/passwd",
    "data-url": "data:text/plain,Hello",
    "protocol-relative": "//127.0.0.1/story.txt",
}


@pytest.mark.parametrize("form", list(URL_FORMS))
@pytest.mark.parametrize("what", list(WHAT))
def test_url_instead_of_a_path_is_refused_unfetched(project: Path, server: _CountingServer,
                                                    what: str, form: str) -> None:
    url = URL_FORMS[form].format(server=server.url)
    _point(project, what, url)
    before = list(server.requests)
    _, code = WHAT[what]
    if form == "protocol-relative":  # a path starting with // is an absolute path
        refused(project, code, "outside the project folder", args=("-f", "epub"))
    else:
        refused(project, code, "is a URL", "never fetches", args=("--allow-outside",))
    assert server.requests == before


def test_svg_cover_with_remote_image_is_refused_unfetched(project: Path,
                                                          server: _CountingServer) -> None:
    (project / "cover.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{server.url}/cover.png" '
        'width="10" height="10"/></svg>')
    (project / "metadata.yaml").write_text(metadata(extra="cover: cover.svg\n"))
    before = list(server.requests)
    message = refused(project, 3, "cover.svg")
    assert message.startswith("error: metadata.yaml:2:8: "), message
    assert server.requests == before


@pytest.mark.parametrize("data", [None, b"", PNG[:40], b"GIF89a not really"],
                         ids=["missing", "empty", "truncated-png", "fake-gif"])
def test_broken_cover_is_refused_at_its_line(project: Path, data: bytes | None) -> None:
    if data is not None:
        (project / "cover.png").write_bytes(data)
    (project / "metadata.yaml").write_text(metadata(extra="cover: cover.png\n"))
    message = refused(project, 3, "cover.png")
    assert message.startswith("error: metadata.yaml:2:8: "), message


# ---------------------------------------------------------------------- output


def test_output_path_that_is_a_file_is_refused(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_bytes(b"precious")
    message = refused(project, 1, "the output path is a file, not a folder",
                      args=("-o", str(target)))
    assert str(target) in message
    assert target.read_bytes() == b"precious"


def test_book_name_taken_by_a_folder_is_refused(project: Path) -> None:
    (project / "dist" / "t.epub").unlink()
    (project / "dist" / "t.epub").mkdir()
    refused(project, 1, "t.epub: could not write the book: a folder has the book's name",
            args=("-f", "epub"))


def test_output_folder_not_writable(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access
    dist = project / "dist"
    monkeypatch.setattr(os, "access", lambda path, mode, **kw:
                        False if Path(path) == dist else real_access(path, mode, **kw))
    refused(project, 1, f"{dist}: the output folder is not writable", "permissions")


def test_output_folder_refusing_new_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.access can say yes where creating a file fails (ACLs, NFS, a read-only mount)."""
    import tempfile

    def deny(*args: object, **kwargs: object):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    refused(project, 1, "cannot write to the folder: permission denied")


def test_a_failed_read_while_writing_is_not_blamed_on_the_book(tmp_path: Path) -> None:
    """An input that cannot be read mid-write is named; the book is not called unwritable."""
    from fanbind.atomic import atomic_output
    from fanbind.errors import BuildError

    target = tmp_path / "book.pdf"
    target.write_bytes(b"older book")
    with pytest.raises(BuildError) as caught, atomic_output(target) as temp:
        temp.write_bytes(b"half a book")
        (tmp_path / "gone.css").read_bytes()
    assert str(caught.value).startswith(f"{target}: could not read {tmp_path / 'gone.css'}: "
                                        "No such file or directory")
    assert files_in(tmp_path) == {"book.pdf": b"older book"}


def _disk_full_on_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a book file stops half-way with ENOSPC, as on a full disk."""
    real_write_bytes = Path.write_bytes

    def write_half(self: Path, data: bytes) -> int:
        if self.name.endswith(".part"):
            real_write_bytes(self, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_half)


def _disk_full_on_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data fits in the page cache; the disk says no when it is flushed."""
    from fanbind import atomic

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)


def _disk_full_in_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's own write of the PDF stops half-way with ENOSPC."""
    from weasyprint.document import Document

    def write_pdf(self, target=None, *args: object, **kwargs: object):
        Path(target).write_bytes(b"%PDF-1.7\n% half a book")
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(Document, "write_pdf", write_pdf)


@pytest.mark.parametrize(("fail", "book"), [(_disk_full_on_write, "epub"),
                                            (_disk_full_on_fsync, "epub"),
                                            (_disk_full_in_weasyprint, "pdf")],
                         ids=["epub-write", "fsync", "pdf-write"])
def test_disk_full_leaves_the_older_book(project: Path, monkeypatch: pytest.MonkeyPatch,
                                         fail, book: str) -> None:
    fail(monkeypatch)
    refused(project, 1, f"t.{book}: could not write the book: the disk is full",
            "free some disk", args=("-f", book))


def test_init_force_on_a_full_disk_keeps_the_hand_edited_metadata(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "seeds").mkdir()
    (project / "seeds" / "a.txt").write_text(STORY)
    edited = (project / "metadata.yaml").read_bytes()
    _disk_full_on_fsync(monkeypatch)
    result = fanbind("init", project, "--force")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {project / 'metadata.yaml'}: could not write the "
                                    "metadata file: the disk is full")
    assert "an older metadata file there is unchanged" in result.stderr
    assert (project / "metadata.yaml").read_bytes() == edited
    assert sorted(p.name for p in project.iterdir()) == ["a.txt", "dist", "metadata.yaml",
                                                         "seeds"]


def _interrupt_pdf_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while WeasyPrint writes the PDF: half a file is on disk already."""
    from weasyprint.document import Document

    def write_pdf(self, target=None, *args: object, **kwargs: object):
        Path(target).write_bytes(b"%PDF-1.7\n% half a book")
        raise KeyboardInterrupt

    monkeypatch.setattr(Document, "write_pdf", write_pdf)


def _interrupt_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while WeasyPrint lays out the pages."""
    from weasyprint import HTML

    def render(self, *args: object, **kwargs: object):
        raise KeyboardInterrupt

    monkeypatch.setattr(HTML, "render", render)


@pytest.mark.parametrize("interrupt", [_interrupt_pdf_write, _interrupt_layout],
                         ids=["writing", "layout"])
def test_ctrl_c_during_the_pdf_render(project: Path, monkeypatch: pytest.MonkeyPatch,
                                      interrupt) -> None:
    interrupt(monkeypatch)
    before = files_in(project / "dist")
    result = fanbind("build", project)
    assert result.exit_code == 130, result.output
    assert result.stderr.strip() == (
        "error: interrupted (Ctrl-C): the build stopped and no partial file was left behind")
    assert files_in(project / "dist") == before


# ---------------------------------------------------------------------- limits


def test_yaml_size_limit_can_be_raised(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    padding = "A long note. " * 250_000  # 3 MB, in an x- key (a description is 100,000 at most)
    (project / "metadata.yaml").write_text(metadata(extra=f"x-notes: {padding}\n"))
    refused(project, 3, "more than the 2.0 MB limit", "FANBIND_MAX_YAML_BYTES")
    monkeypatch.setenv("FANBIND_MAX_YAML_BYTES", str(4 * 1024 * 1024))
    built(project, "-f", "epub")


def test_alias_limit_can_be_raised(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stories = "".join(f"  - file: s{i}.txt\n    authors: *who\n" for i in range(101))
    for i in range(101):
        (project / f"s{i}.txt").write_text(STORY)
    (project / "metadata.yaml").write_text(
        f'title: "T"\nx-who: &who [Anonymous]\nstories:\n{stories}')
    refused(project, 3, "more than 100 YAML aliases", "FANBIND_MAX_ALIASES")
    monkeypatch.setenv("FANBIND_MAX_ALIASES", "200")
    built(project, "-f", "epub")


def test_story_count_limit_can_be_raised(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("b.txt", "c.txt"):
        (project / name).write_text(STORY)
    three = metadata() + "".join(f"  - file: {n}\n    authors: [A]\n" for n in ("b.txt", "c.txt"))
    (project / "metadata.yaml").write_text(three)
    monkeypatch.setenv("FANBIND_MAX_STORIES", "2")
    refused(project, 3, "stories lists 3 stories, more than the limit of 2", "max_stories: 3")
    (project / "metadata.yaml").write_text(three.replace("stories:", "limits: {max_stories: 3}\n"
                                                         "stories:", 1))
    built(project, "-f", "epub")


def test_bad_limit_setting_is_a_metadata_error(project: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANBIND_MAX_ALIASES", "lots")
    refused(project, 3, "FANBIND_MAX_ALIASES='lots' is not a positive whole number")


# ---------------------------------------------------------------------- one error hierarchy


def _exit_codes_in_readme() -> dict[int, str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("### Exit codes"):]
    section = section[: section.index("\n#", 1)]
    return {int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$",
                                                               section, flags=re.M)}


def test_readme_documents_every_exit_code() -> None:
    classes = [errors.FanbindError, *errors.FanbindError.__subclasses__()]
    codes = {cls.exit_code for cls in classes} | STOPPED_EXIT_CODES  # Ctrl-C, TERM, HUP
    assert set(_exit_codes_in_readme()) == {0, *codes}


def test_readme_documents_every_limit_variable() -> None:
    from dataclasses import fields

    from fanbind.settings import Limits, LimitsConfig

    text = (REPO / "README.md").read_text()
    limits = text[text.index("### Limits"):]
    for spec in fields(Limits):
        assert f"FANBIND_{spec.name.upper()}" in limits
    for name in LimitsConfig.model_fields:
        assert name in limits


def test_missing_project_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = fanbind("build", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "the project folder does not exist" in result.stderr


def test_unknown_format_is_a_usage_error(project: Path) -> None:
    result = fanbind("build", project, "--format", "docx")
    assert result.exit_code == 2
    assert files_in(project / "dist") == OLD_BOOKS


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--encoding", "bogus", "--encoding: 'bogus' is not an encoding Python knows"),
    ("--language", "xx!!", "--language: 'xx!!' is not a language tag"),
])
def test_bad_normalize_option_is_a_usage_error(project: Path, option: str, value: str,
                                               words: str) -> None:
    result = fanbind("normalize", option, value, project / "a.txt")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {words}") and "Hint:" in result.stderr


def test_check_refuses_the_stylesheet_a_build_would_refuse(project: Path) -> None:
    (project / "metadata.yaml").write_text(metadata(extra="stylesheet: ../style.css\n"))
    result = fanbind("check", project)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: metadata.yaml:2:13: the stylesheet path "
                                    "'../style.css' points outside the project folder")


# ---------------------------------------------------------------------- warnings, once


def test_warnings_are_printed_once_grouped_by_file_also_when_a_later_story_fails(
        project: Path) -> None:
    (project / "a.txt").write_bytes(b"First\n\nBell\x07 one.\n\nBell\x07 two.\n")
    (project / "b.txt").write_bytes(b"Second\n\nEscape\x1b here.\n")
    (project / "c.txt").write_bytes(PNG)
    (project / "metadata.yaml").write_text(metadata() + "".join(
        f"  - file: {n}\n    authors: [A]\n" for n in ("b.txt", "c.txt")))
    before = files_in(project / "dist")
    result = fanbind("build", project)
    assert result.exit_code == 4
    headers = [line for line in result.stderr.splitlines() if line and line[0] != " "]
    assert headers[:2] == ["a.txt", "b.txt"]  # each file once, in reading order
    assert headers[2].startswith("error: c.txt: is not a plain-text story")
    assert len(headers) == 3  # the error comes last, once
    assert "  a.txt:3: FB102 removed 2 control characters" in result.stderr
    assert "  b.txt:3: FB102 removed 1 control character" in result.stderr
    assert result.stderr.count("FB102") == 2
    assert files_in(project / "dist") == before


def test_strict_lists_the_warnings_it_refuses_to_ignore(project: Path) -> None:
    (project / "a.txt").write_bytes(b"First\n\nBell\x07 one.\n")
    result = fanbind("build", project, "--strict")
    assert result.exit_code == 1
    assert result.stderr.index("a.txt:3: FB102") < result.stderr.index("error: 1 warning(s)")
    assert files_in(project / "dist") == OLD_BOOKS


# ---------------------------------------------------------------------- no traceback, ever


def test_an_unexpected_exception_is_reported_as_a_bug_without_traceback(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from fanbind import build as build_module
    from fanbind import cli

    def broken(*args: object, **kwargs: object):
        raise ValueError("a bug, not the user's fault")

    monkeypatch.setattr(build_module, "build", broken)
    monkeypatch.setattr(sys, "argv", ["fanbind", "build", str(project)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    shown = capsys.readouterr().err
    assert "fanbind failed unexpectedly (ValueError: a bug, not the user's fault)" in shown
    assert "this is a bug in fanbind" in shown and "Traceback" not in shown
    monkeypatch.setenv("FANBIND_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main()


def test_the_installed_command_shows_no_traceback(project: Path) -> None:
    """The real console script, in a process of its own, on two kinds of bad input."""
    (project / "a.txt").write_bytes(PNG)
    command = [sys.executable, "-m", "fanbind", "build", str(project)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr and "a.txt: is not a plain-text story" in result.stderr
    (project / "metadata.yaml").write_text("title: [unclosed\n")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and "metadata.yaml:" in result.stderr
