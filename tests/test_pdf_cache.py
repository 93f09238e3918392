"""The PDF part cache: a rebuild lays out only what changed, and prints the same book.

A wrong cache hit would print a stale page, so every test changes one input
and checks which story parts were laid out again (``PdfResult.parts_laid_out``)
and which got new folios (``parts_stamped``); the edits that move pages are
compared page for page, in text, with a build that uses no cache at all.

The book is the sample cut down to a few paragraphs per story (five small
parts with two workers), built once with a cache; each test works on its own
copy of that warm project.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from conftest import copy_sample
from fanbind import cache as cache_module
from fanbind.build import build
from fanbind.pdf.join import JoinOptions
from fanbind.resources import FONTS_DIR

pytestmark = pytest.mark.slow

JOBS = 2
PARAGRAPHS = 7  # per story: each part a few pages
EPOCH = 1_700_000_000


def _build(root: Path, out: str = "dist", *, cache: bool = True, epoch: int = EPOCH,
           monkeypatch: pytest.MonkeyPatch | None = None, **options):
    patch = monkeypatch or pytest.MonkeyPatch()
    patch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    try:
        result = build(root, out_dir=root / out, formats=("pdf",), jobs=JOBS, cache=cache,
                       **options)
    finally:
        if monkeypatch is None:
            patch.undo()
    return result


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _same_book(cached: Path, fresh: Path) -> None:
    """The cached build's pages equal the uncached build's, text for text, and byte for byte."""
    one, two = _pages(cached), _pages(fresh)
    assert len(one) == len(two)
    for number, (a, b) in enumerate(zip(one, two, strict=True), start=1):
        assert a == b, f"page {number} differs"
    assert cached.read_bytes() == fresh.read_bytes()


def _pdf(result) -> Path:
    return next(p for p in result.outputs if p.suffix == ".pdf")


def _edit_metadata(root: Path, change) -> None:
    path = root / "metadata.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _story(root: Path, index: int) -> Path:
    return sorted((root / "seeds").glob("*.txt"))[index]


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The small book, built once with a cache (every part laid out)."""
    root = copy_sample(tmp_path_factory.mktemp("warm") / "book")
    for path in sorted((root / "seeds").glob("*.txt")):
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        path.write_text("\n\n".join(blocks[:PARAGRAPHS]) + "\n", encoding="utf-8")
    result = _build(root)
    assert result.pdf.parts == 5 and result.pdf.parts_laid_out == (0, 1, 2, 3, 4)
    assert result.pdf.matter_laid_out == ("back", "front")
    return root, result


@pytest.fixture
def project(warm, tmp_path: Path) -> Path:
    """A copy of the warm project, cache included."""
    root = tmp_path / "book"
    shutil.copytree(warm[0], root, ignore=shutil.ignore_patterns("dist"))
    return root


def test_nothing_changed_nothing_laid_out_and_the_date_still_new(warm, project: Path) -> None:
    later = EPOCH + 86_400 * 30
    result = _build(project, epoch=later)
    assert result.pdf.parts_laid_out == () and result.pdf.parts_stamped == ()
    assert result.pdf.matter_laid_out == ()  # the date is not in the front matter's key
    assert _pages(_pdf(result)) == _pages(_pdf(warm[1]))
    created = PdfReader(_pdf(result)).metadata.creation_date
    assert created == dt.datetime.fromtimestamp(later, tz=dt.UTC)


def test_a_fresh_process_finds_every_part(project: Path) -> None:
    """Keys must not depend on the process: set order varies with the hash seed (with
    seed 0, ``frozenset({"epub", "pdf"})`` iterates pdf first; with 4, epub first).
    And a book whose every part is cached is joined without importing WeasyPrint."""
    code = ("import sys\nfrom pathlib import Path\nfrom fanbind.build import build\n"
            f"r = build(Path({str(project)!r}), formats=('pdf',), jobs={JOBS})\n"
            "print(list(r.pdf.parts_laid_out), list(r.pdf.parts_stamped), "
            "'weasyprint' in sys.modules)\n")
    for seed in ("0", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": str(EPOCH)}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env=env)
        # Nothing to lay out: WeasyPrint not even imported.
        assert done.stdout.splitlines()[-1] == "[] [] False", f"hash seed {seed}"


def test_story_text_edit_lays_out_that_part_only(project: Path) -> None:
    path = _story(project, 2)
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    blocks[3] = blocks[3].replace(" ", " truly ", 1)
    path.write_text("\n\n".join(blocks), encoding="utf-8")
    result = _build(project)
    assert result.pdf.parts_laid_out == (2,)
    # One word moves no page: no part gets new folios (the edited part's folio plan is
    # the same: parts.stamp_basis), and the front and back matter (which print the
    # page numbers, never the word counts) come from the cache.
    assert result.pdf.parts_stamped == () and result.pdf.matter_laid_out == ()
    assert "truly" in "".join(_pages(_pdf(result)))
    _same_book(_pdf(result), _pdf(_build(project, "fresh", cache=False)))


def test_page_shift_renumbers_the_later_parts(warm, project: Path) -> None:
    """Two more pages in story 1: the later parts keep their layout, with new folios."""
    path = _story(project, 1)
    text = path.read_text(encoding="utf-8")
    extra = "\n\n".join(f"An added paragraph, number {n}, long enough to fill a few lines of "
                        "the page and push the stories after it further into the book."
                        for n in range(18))
    path.write_text(text.rstrip("\n") + "\n\n" + extra + "\n", encoding="utf-8")
    result = _build(project)
    assert result.pdf.parts_laid_out == (1,)
    assert {1, 2, 3, 4} <= set(result.pdf.parts_stamped)
    assert result.pdf.matter_laid_out == ("back", "front")  # their page numbers moved
    assert 0 not in result.pdf.parts_stamped  # before the edit: nothing moved
    before, after = _pages(_pdf(warm[1])), _pages(_pdf(result))
    assert len(after) > len(before)
    _same_book(_pdf(result), _pdf(_build(project, "fresh", cache=False)))


def test_story_metadata_change_lays_out_that_part(project: Path) -> None:
    _edit_metadata(project, lambda d: d["stories"][3].update(title="A Retitled Story"))
    result = _build(project)
    assert result.pdf.parts_laid_out == (3,)
    assert "A Retitled Story" in "".join(_pages(_pdf(result))[:8])  # the contents
    assert any(page.startswith("A Retitled Story") or "\nA Retitled Story" in page
               for page in _pages(_pdf(result))[8:])  # the opening and running heads


def test_book_print_setting_change_lays_out_every_part(project: Path) -> None:
    # One author wrote every story, so versos carry the title unless told: ask for the authors.
    _edit_metadata(project, lambda d: d.setdefault("print", {}).update(verso_head="authors"))
    result = _build(project)
    assert result.pdf.parts_laid_out == (0, 1, 2, 3, 4)


def test_trim_change_lays_out_every_part(project: Path) -> None:
    result = _build(project, print_overrides={"trim": "A5", "width": None, "height": None})
    assert result.pdf.parts_laid_out == (0, 1, 2, 3, 4)
    assert result.pdf.trim.startswith("A5") or "148" in result.pdf.trim


def test_fanbind_code_change_lays_out_every_part(project: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "0.0.0:another-build")
    result = _build(project, monkeypatch=monkeypatch)
    assert result.pdf.parts_laid_out == (0, 1, 2, 3, 4)


def test_stylesheet_and_its_font_are_part_of_the_key(project: Path) -> None:
    """A new stylesheet, a changed font file behind it, a changed stylesheet: each a miss."""
    fonts = project / "fonts"
    fonts.mkdir()
    shutil.copy(FONTS_DIR / "EBGaramond12-Italic.otf", fonts / "face.otf")
    css = project / "extra.css"
    css.write_text('@font-face { font-family: "Test Face"; src: url(fonts/face.otf); }\n'
                   '.story p { font-family: "Test Face"; }\n', encoding="utf-8")
    _edit_metadata(project, lambda d: d.update(stylesheet="extra.css"))
    first = _build(project)
    assert first.pdf.parts_laid_out == (0, 1, 2, 3, 4)
    assert any(url.endswith("/fonts/face.otf") for url in first.pdf.fetched)

    again = _build(project)
    assert again.pdf.parts_laid_out == ()

    shutil.copy(FONTS_DIR / "EBGaramond12-Regular.otf", fonts / "face.otf")
    font_changed = _build(project)
    assert font_changed.pdf.parts_laid_out == (0, 1, 2, 3, 4)
    _same_book(_pdf(font_changed), _pdf(_build(project, "fresh", cache=False)))

    css.write_text(css.read_text(encoding="utf-8") + ".story p { letter-spacing: 0.02em; }\n",
                   encoding="utf-8")
    assert _build(project).pdf.parts_laid_out == (0, 1, 2, 3, 4)


@pytest.mark.parametrize("fetch", ['@import "later.css";\n',
                                   ".story p { background: url(later.png); }\n"])
def test_a_file_missing_at_the_first_build_and_made_later_is_noticed(
        project: Path, fetch: str) -> None:
    """What a layout tried and failed to fetch is part of its key: once it exists,
    the parts that looked for it are laid out again (they were reused, stale)."""
    (project / "extra.css").write_text(fetch, encoding="utf-8")
    _edit_metadata(project, lambda d: d.update(stylesheet="extra.css"))
    first = _build(project)
    assert any(url.endswith("/later.css") or url.endswith("/later.png")
               for url in first.pdf.refused)
    (project / "later.css").write_text(".story p { letter-spacing: 0.1em; }\n",
                                       encoding="utf-8")
    Image.new("RGB", (4, 4), "red").save(project / "later.png")
    later = _build(project)
    assert later.pdf.parts_laid_out == (0, 1, 2, 3, 4)
    assert not later.pdf.refused
    _same_book(_pdf(later), _pdf(_build(project, "fresh", cache=False)))


def test_epub_written_while_the_pdf_is_joined_apart(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A big book's EPUB is written while another process joins its PDF: both books are
    byte-identical to those of a build that joins first and writes the EPUB after."""

    def both(out: str, apart_pages: int) -> dict[str, bytes]:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        result = build(project, out_dir=project / out, jobs=JOBS,
                       join_options=JoinOptions(apart_pages=apart_pages))
        return {p.suffix: p.read_bytes() for p in result.outputs}

    apart = both("apart", 0)
    here = both("here", 10**9)
    assert set(apart) == {".epub", ".pdf"} and apart == here


def test_an_epub_error_while_joining_stops_the_join(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import fanbind.epub
    from fanbind.errors import BuildError

    def broken(*args, **kwargs):
        raise BuildError("could not write the EPUB: no space left on device")

    monkeypatch.setattr(fanbind.epub, "write_epub", broken)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    with pytest.raises(BuildError, match="no space left"):
        build(project, out_dir=project / "out", jobs=JOBS,
              join_options=JoinOptions(apart_pages=0))
    assert sorted(p.name for p in (project / "out").iterdir()) == []
