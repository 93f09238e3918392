"""Reproducible books: the same inputs give the same bytes, whatever the machine.

"The same" must hold whichever way WeasyPrint subsets fonts — HarfBuzz's
subsetter (``libharfbuzz-subset``) or, when that library is missing, fontTools,
which dates every font it saves with the current time unless told otherwise —
and whatever the clock, the project's folder, the hash seed and the number of
worker processes. The fontTools path is forced here by making WeasyPrint
believe the library is missing, so it is tested on every machine; the HarfBuzz
path runs where the library is installed.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from fanbind.build import build
from fanbind.resources import FONTS_DIR

SUBSETTERS = ("harfbuzz", "fonttools")
MTIME = 1_600_000_000  # every input's date: the build date when SOURCE_DATE_EPOCH is unset
FONTTOOLS_EPOCH_1904 = 2_082_844_800  # seconds from 1904 (fonts' epoch) to 1970


def _harfbuzz_subset_available() -> bool:
    from weasyprint.pdf import fonts as weasy_fonts

    return weasy_fonts.harfbuzz_subset is not None


def use_subsetter(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make WeasyPrint subset with ``name`` in this process and the workers it forks."""
    from weasyprint.pdf import fonts as weasy_fonts

    if name == "fonttools":
        monkeypatch.setattr(weasy_fonts, "harfbuzz_subset", None)
    elif not _harfbuzz_subset_available():
        pytest.skip("libharfbuzz-subset is not installed (apt-get install libharfbuzz-subset0)")


def write_project(root: Path, stories: int = 1) -> Path:
    """A small book with a WOFF font in its stylesheet (WeasyPrint decodes WOFF with
    fontTools on either subsetting path); every file dated :data:`MTIME`."""
    root.mkdir(parents=True)
    (root / "seeds").mkdir()
    entries = []
    for number in range(stories):
        text = "\n\n".join(f"Paragraph {k} of story {number}: the river kept its own counsel, "
                           "and “nobody” asked it — not once — what it knew." for k in range(4))
        (root / "seeds" / f"s{number}.txt").write_text(f"Story {number}\n\n{text}\n",
                                                       encoding="utf-8")
        entries.append(f"  - file: seeds/s{number}.txt\n    authors: [Someone]\n")
    with TTFont(FONTS_DIR / "EBGaramond12-Italic.otf") as font:
        font.flavor = "woff"
        font.save(root / "display.woff")
    (root / "style.css").write_text(
        '@font-face { font-family: "Display"; src: url(display.woff); }\n'
        'h1, h2 { font-family: "Display"; }\n', encoding="utf-8")
    (root / "metadata.yaml").write_text(
        'title: "Same Every Time"\neditor: Ed\nstylesheet: style.css\nstories:\n'
        + "".join(entries), encoding="utf-8")
    for path in root.rglob("*"):
        os.utime(path, (MTIME, MTIME))
    return root


def build_pdf(root: Path, *, jobs: int = 1) -> bytes:
    result = build(root, formats=("pdf",), cache=False, jobs=jobs)
    (path,) = result.outputs
    # WeasyPrint's "Using fontTools instead of HarfBuzz-Subset" (once per font and
    # part) is not passed on: fanbind says once per build what the library costs.
    assert not [w for w in result.pdf.warnings if "HarfBuzz" in w]
    return path.read_bytes()


def font_dates(pdf_bytes: bytes) -> set[int]:
    """``head.modified`` of every font program embedded in a PDF."""
    dates = set()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile2", "/FontFile3"):
                    if key in obj:
                        with TTFont(io.BytesIO(obj[key].read_bytes())) as font:
                            dates.add(font["head"].modified)
    return dates


@pytest.mark.parametrize("subsetter", SUBSETTERS)
def test_the_clock_never_reaches_the_book(subsetter: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds at different times (no SOURCE_DATE_EPOCH) give the same bytes, and
    the variable is as it was after the build."""
    use_subsetter(subsetter, monkeypatch)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = write_project(tmp_path / "book")
    books = []
    for now in (1_800_000_000.25, 1_900_000_000.75):  # what fontTools would stamp
        monkeypatch.setattr(time, "time", lambda now=now: now)
        books.append(build_pdf(root))
        assert "SOURCE_DATE_EPOCH" not in os.environ
    monkeypatch.undo()
    assert books[0] == books[1]
    dates = font_dates(books[0])
    assert dates and not dates & {1_800_000_000 + FONTTOOLS_EPOCH_1904,
                                  1_900_000_000 + FONTTOOLS_EPOCH_1904}


@pytest.mark.parametrize("subsetter", SUBSETTERS)
def test_the_build_date_never_reaches_a_font(subsetter: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Fonts keep a date of their own (the source's, or 1970 when fontTools saves
    them), never SOURCE_DATE_EPOCH: parts from the cache, laid out on another day,
    must fit a book of today byte for byte. The variable is left as the user set it."""
    use_subsetter(subsetter, monkeypatch)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    found = font_dates(build_pdf(write_project(tmp_path / "book")))
    assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"
    allowed = {FONTTOOLS_EPOCH_1904}  # 1970-01-01, or the date of the font's source
    for name in ("EBGaramond12-Italic.otf", "EBGaramond12-Regular.otf"):
        with TTFont(FONTS_DIR / name, lazy=True) as source:
            allowed.add(source["head"].modified)
    assert found and found <= allowed


@pytest.mark.parametrize("subsetter", SUBSETTERS)
def test_parts_laid_out_by_workers_are_the_same_every_time(
        subsetter: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A book joined from parts laid out in worker processes, twice at different times."""
    use_subsetter(subsetter, monkeypatch)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = write_project(tmp_path / "book", stories=4)
    books = []
    for now in (1_800_000_000.0, 1_900_000_000.0):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        books.append(build_pdf(root, jobs=2))
    monkeypatch.undo()
    assert books[0] == books[1]


FRESH_PROCESS = """
import sys
from pathlib import Path
if sys.argv[2] == "fonttools":
    from weasyprint.pdf import fonts
    fonts.harfbuzz_subset = None
from fanbind.build import build
result = build(Path(sys.argv[1]), formats=("pdf",), cache=False, jobs=1)
"""


@pytest.mark.parametrize("subsetter", SUBSETTERS)
def test_other_folders_and_hash_seeds_give_the_same_bytes(
        subsetter: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_subsetter(subsetter, monkeypatch)
    books = []
    first = write_project(tmp_path / "one")
    second = tmp_path / "elsewhere" / "two"
    shutil.copytree(first, second, copy_function=shutil.copy2)  # the same file dates
    for root, seed in ((first, "0"), (second, "12345")):
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env["PYTHONHASHSEED"] = seed
        subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(root), subsetter],
                       env=env, check=True, capture_output=True)
        books.append((root / "dist" / "same-every-time.pdf").read_bytes())
    assert books[0] == books[1]
