"""The stylesheets and fonts a build's layouts share (fanbind.pdf.kept_styles).

Each layout here is the one-story "short" book of test_pdf.py (one or two pages,
a few tenths of a second): what is tested is what a layout is given, not pages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from tests.test_pdf import Built, build_pdf, write_project

from fanbind.build import load_book
from fanbind.pdf import layout as pdf
from fanbind.pdf.arrange import PartOptions
from fanbind.pdf.kept_styles import StyleKeeper, Styles, styles_key
from fanbind.pdf.parts import PART_CREATED, Setup
from fanbind.pdf.workers import lay_out_part
from fanbind.project import open_project
from fanbind.render import render_book
from fanbind.resources import PRINT_CSS, STYLES_DIR
from fanbind.scratch import build_temp_folder

#: A user stylesheet that fetches (an @import, a font of the project's), is refused
#: (a font on the network) and is warned about (an unknown property) while parsed.
USER_CSS = """@import url("more.css");
@font-face { font-family: Kept; src: url("kept.otf"); }
@font-face { font-family: Remote; src: url("https://127.0.0.1:9/font.otf"); }
.byline { font-family: Kept, serif; }
p { colr: red; }
"""


def styled_project(root: Path) -> Path:
    project = write_project(root, ("short",), stylesheet="user.css")
    (project / "user.css").write_text(USER_CSS, encoding="utf-8")
    (project / "more.css").write_text(".story-title { letter-spacing: 0.01em; }\n",
                                      encoding="utf-8")
    shutil.copy(STYLES_DIR / "fonts" / "EBGaramond12-Italic.otf", project / "kept.otf")
    return project


def what_it_read(built: Built) -> tuple:
    result = built.result
    return result.fetched, result.refused, result.warnings, result.pages


def test_a_build_lays_out_with_the_sheets_and_fonts_parsed_once(tmp_path: Path) -> None:
    project = styled_project(tmp_path / "project")
    fresh = build_pdf(project, tmp_path / "fresh.pdf")  # outside a build: nothing kept
    assert fresh.layout.fonts._folder is None, "released after the write, as before"
    with build_temp_folder():
        first = build_pdf(project, tmp_path / "first.pdf")
        second = build_pdf(project, tmp_path / "second.pdf")
        assert second.layout.fonts is first.layout.fonts
        folder = first.layout.fonts._folder
        assert folder is not None and folder.is_dir(), "kept for the build's next layout"
    # The same book and the same account of what was read, parsed or kept.
    assert what_it_read(fresh) == what_it_read(first) == what_it_read(second)
    assert any(url.endswith("/kept.otf") for url in first.result.fetched)
    assert any(url.endswith("/more.css") for url in first.result.fetched)
    assert any("127.0.0.1" in url for url in second.result.refused)
    assert any("colr" in warning for warning in second.result.warnings)
    data = fresh.path.read_bytes()
    assert first.path.read_bytes() == data and second.path.read_bytes() == data
    assert not folder.exists(), "the fonts go with the build's temp folder"


def test_other_or_edited_stylesheets_get_fresh_sheets_and_fonts(tmp_path: Path) -> None:
    project = styled_project(tmp_path / "project")
    plain = write_project(tmp_path / "plain", ("short",))
    with build_temp_folder():
        styled = build_pdf(project, tmp_path / "styled.pdf")
        kept = styled.layout.fonts
        other = build_pdf(plain, tmp_path / "plain.pdf")
        assert other.layout.fonts is not kept
        assert kept._folder is None, "the set kept before is released"
        again = build_pdf(project, tmp_path / "again.pdf")
        assert again.layout.fonts is not kept and again.layout.fonts is not other.layout.fonts
        (project / "user.css").write_text(USER_CSS.replace("0.01em", "0.02em")
                                          .replace(".byline", ".byline, h1"), encoding="utf-8")
        edited = build_pdf(project, tmp_path / "edited.pdf")
        assert edited.layout.fonts is not again.layout.fonts
    with build_temp_folder():  # another build: nothing of the last one
        later = build_pdf(project, tmp_path / "later.pdf")
        assert later.layout.fonts is not edited.layout.fonts
    assert again.path.read_bytes() == styled.path.read_bytes()
    assert edited.path.read_bytes() != styled.path.read_bytes()
    assert later.path.read_bytes() == edited.path.read_bytes()


def test_the_key_holds_the_build_the_project_the_sheets_and_the_part_rules(
        tmp_path: Path) -> None:
    sheet = tmp_path / "user.css"
    sheet.write_text("p { color: red; }", encoding="utf-8")
    assert styles_key(tmp_path, PRINT_CSS, (sheet,), "") is None, "outside a build"
    with build_temp_folder():
        key = styles_key(tmp_path, PRINT_CSS, (sheet,), "")
        assert key is not None and key == styles_key(tmp_path, PRINT_CSS, (sheet,), "")
        assert key[0] == os.getpid()
        assert styles_key(tmp_path, PRINT_CSS, (), "") != key
        assert styles_key(tmp_path, PRINT_CSS, (sheet,), "html { x: y }") != key
        assert styles_key(tmp_path / "other", PRINT_CSS, (sheet,), "") != key
        assert styles_key(tmp_path, PRINT_CSS, (tmp_path / "missing.css",), "") is None
        sheet.write_text("p { color: blue; }", encoding="utf-8")
        assert styles_key(tmp_path, PRINT_CSS, (sheet,), "") != key
    with build_temp_folder():
        assert styles_key(tmp_path, PRINT_CSS, (sheet,), "")[:2] != key[:2]


def test_the_keeper_keeps_one_set_and_releases_only_its_own() -> None:
    released: list[object] = []
    keeper = StyleKeeper(released.append)
    fonts = [object() for _ in range(5)]
    made = iter(fonts)

    def parse() -> Styles:
        return Styles(next(made), (), ())

    here = (os.getpid(), "build")
    first = keeper.styles((*here, "a"), parse)
    assert keeper.styles((*here, "a"), parse) is first and keeper.keeps(fonts[0])
    second = keeper.styles((*here, "b"), parse)
    assert second is not first and released == [fonts[0]] and not keeper.keeps(fonts[0])
    unkept = keeper.styles(None, parse)  # not to be kept: the kept set goes too
    assert released == fonts[:2] and not keeper.keeps(unkept.fonts)
    assert keeper.styles(None, parse) is not unkept
    # A worker forked with its parent's set must not remove the parent's fonts.
    keeper.styles((os.getpid() + 1, "build", "a"), parse)
    keeper.forget()
    assert released == fonts[:2]


def test_a_folio_stamp_uses_the_layouts_kept_sheets(tmp_path: Path) -> None:
    """A part's margin boxes are drawn with its layout's sheets: kept, the same pages."""
    project = write_project(tmp_path / "project", ("short",))
    book = load_book(open_project(project))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    setup = Setup(project, (), tmp_path)
    made = []
    for kept in (False, True):
        with build_temp_folder() if kept else contextlib.nullcontext():
            layout, records = lay_out_part(setup, book.anthology, documents,
                                           PartOptions(10, first_story=True), defer=True,
                                           created=PART_CREATED)
            plan = pdf.folio_plan(layout.rendered, records)
            assert plan is not None
            pdf.write_layout(layout, tmp_path / f"part-{kept}.pdf")
            pdf.stamp_folios(plan, tmp_path / f"stamp-{kept}.pdf", page_offset=3,
                             page_total=None, project_dir=project, extra_stylesheets=(),
                             geometry_css=layout.geometry.css(), part_css=setup.part_css)
            assert pdf._KEEPER.keeps(layout.fonts) == kept
        made.append([(tmp_path / f"{name}-{kept}.pdf").read_bytes()
                     for name in ("part", "stamp")])
    assert made[0] == made[1]
