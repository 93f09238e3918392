"""The folio stamp made from specimen pages (fanbind.pdf.stamps): the same pages as
WeasyPrint draws one by one, for a fraction of the pages drawn.

One part of two sample stories is laid out once for the module (a few seconds);
each stamp of it is a few hundredths of a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from tests.conftest import copy_sample_stories, laid_out_part

from fanbind.pdf import layout as pdf
from fanbind.pdf.stamps import _glyphs, _written
from fanbind.scratch import build_temp_folder
from fanbind.timings import ENVIRONMENT

WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def part(tmp_path_factory: pytest.TempPathFactory) -> tuple[pdf.FolioPlan, str, Path]:
    root = copy_sample_stories(tmp_path_factory.mktemp("stamps") / "book", (0, 3))
    layout, plan = laid_out_part(root, WHEN)
    assert len(plan.pages) > 20
    return plan, layout.geometry.css(), root


def _streams(path: Path) -> list[bytes]:
    """Each page's content stream, the font's subset tag (it names the glyphs the
    file holds, and the specimens' file holds every digit) left out."""
    with pikepdf.open(path) as stamp:
        return [re.sub(rb"/[A-Z]{6} ", b"/F ", page.obj.Contents.read_bytes())
                for page in stamp.pages]


def _stamp(part: tuple[pdf.FolioPlan, str, Path], target: Path, specimens: bool,
           sheets: tuple[Path, ...] = (), **options: object) -> tuple[bool, ...]:
    plan, css, root = part
    _, drawn = pdf.stamp_folios(plan, target, project_dir=root, extra_stylesheets=sheets,
                                geometry_css=css, specimens=specimens,
                                **{"page_offset": 7, "page_total": None, **options})
    return drawn


@pytest.mark.parametrize(("offset", "total", "flip"), [
    (7, None, False),
    (7, 321, True),  # the page total printed nowhere: the same pages
    (85, None, False),  # the folios run from two figures to three
    (85, None, True),
])
def test_the_stamp_from_specimens_is_the_stamp_weasyprint_draws(
        part, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        offset: int, total: int | None, flip: bool) -> None:
    timings = tmp_path / "timings.jsonl"
    monkeypatch.setenv(ENVIRONMENT, str(timings))
    options = {"page_offset": offset, "page_total": total, "flip": flip}
    quick = _stamp(part, tmp_path / "quick.pdf", True, **options)
    slow = _stamp(part, tmp_path / "slow.pdf", False, **options)
    pages = len(part[0].pages)
    assert quick == slow and sum(quick) > 20
    assert _streams(tmp_path / "quick.pdf") == _streams(tmp_path / "slow.pdf")
    steps = [json.loads(line) for line in timings.read_text().splitlines()]
    assert [step["pages"] for step in steps] == [pages, pages]
    # Two stories: a few kinds of page each (opening, recto, verso, paratext…),
    # one more per kind where the folios gain a figure, and the probe.
    assert steps[0]["drawn"] <= 16 < pages and steps[1]["drawn"] == pages


RECTOS = "@page body:right, story:right, chapter:right"  # print.css's own selectors
VERSOS = "@page body:left, story:left, chapter:left"


@pytest.mark.parametrize(("css", "drawn"), [
    # Proportional figures: another folio would move (assemble() cannot vouch: the
    # specimens are drawn, then every page).
    ("@page { @bottom-right { font-variant-numeric: proportional-nums oldstyle-nums } "
     "@bottom-left { font-variant-numeric: proportional-nums oldstyle-nums } }", "all"),
    # Folios that are more than the counter's figures, or not figures: those pages.
    (RECTOS + ' { @bottom-right { content: "p. " counter(page) } }', "rectos"),
    (VERSOS + " { @bottom-left { content: counter(page, upper-roman) } }", "versos"),
    # The page counter moved in a margin box.
    (VERSOS + " { @bottom-left { counter-increment: page 2 } }", "versos"),
])
def test_folios_a_specimen_cannot_give_are_drawn_by_weasyprint(
        part, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, css: str, drawn: str) -> None:
    sheet = part[2] / "folios.css"
    sheet.write_text(css, encoding="utf-8")
    timings = tmp_path / "timings.jsonl"
    monkeypatch.setenv(ENVIRONMENT, str(timings))
    options = {"page_offset": 85, "sheets": (sheet,)}
    quick = _stamp(part, tmp_path / "quick.pdf", True, **options)
    slow = _stamp(part, tmp_path / "slow.pdf", False, **options)
    assert quick == slow and sum(quick) > 20
    pages = len(part[0].pages)
    count = json.loads(timings.read_text().splitlines()[0])["drawn"]
    if drawn == "all":
        assert count > pages
    else:  # about half the pages, and the rest from specimens
        assert pages // 3 < count < pages
    quick_streams, slow_streams = _streams(tmp_path / "quick.pdf"), \
        _streams(tmp_path / "slow.pdf")
    assert quick_streams == slow_streams
    assert len(set(slow_streams)) > len(slow_streams) // 2  # the folios differ page to page


@pytest.mark.parametrize("written", [
    b"<07d9>0<07e2>0", b"<07d907e2>", b"<07d9>-12<07e2>", b"<07d9>3<07e207e3>",
])
def test_a_tj_string_is_read_and_written_back_as_the_glyph_writer_closes_it(
        written: bytes) -> None:
    glyphs = _glyphs(written)
    assert glyphs is not None and _written(glyphs) == written


def test_a_tj_string_with_spacing_is_not_a_folio() -> None:
    assert _glyphs(b"<07d9>-59<>-61.4<07e2>") is None
    assert _glyphs(b"<07d>") is None


def test_stamps_drawn_with_the_pages_kept_for_the_build_are_the_same(part, tmp_path: Path) -> None:
    """Inside a build each process keeps its stamps' page contexts (a few, by the
    part's root classes): the next stamps, on their other side and offset, with
    another root between them, give the bytes a fresh context gives."""
    plan, css, root = part
    other = replace(plan, root=(*plan.root, ("data-other", "yes")))
    runs = [(plan, 7, False), (other, 7, False), (plan, 85, True), (plan, 7, True)]
    made = []
    for kept in (False, True):
        pdf._KEPT_STAMP_PAGES.clear()
        with build_temp_folder() if kept else contextlib.nullcontext():
            for index, (which, offset, flip) in enumerate(runs):
                target = tmp_path / f"stamp-{kept}-{index}.pdf"
                pdf.stamp_folios(which, target, page_offset=offset, page_total=None,
                                 project_dir=root, extra_stylesheets=(), geometry_css=css,
                                 flip=flip)
                made.append(target.read_bytes())
            assert len(pdf._KEPT_STAMP_PAGES) == (2 if kept else 0)
    assert made[:len(runs)] == made[len(runs):]
