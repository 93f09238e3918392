"""``build --watch`` builds again for the book's inputs only (fanbind.watching).

A log written inside the project made every build start the next (135 builds in
18 s); the books, the cache and any other file are no reason to build either.
The watcher's filter is a plain function, tested here without a watch loop.
"""

from __future__ import annotations

from pathlib import Path

from conftest import copy_sample
from fanbind.watching import book_inputs, is_input, stylesheet_inputs, watched_folders


def test_the_sample_book_is_its_metadata_and_stories(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    inputs = book_inputs(root)
    expected = {root / "metadata.yaml", *(root / "seeds").glob("*.txt")}
    assert inputs == {path.resolve() for path in expected}


def test_files_that_are_not_inputs_start_no_build(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    inputs = book_inputs(root)
    for name in ("build.log", "dist/bonds-of-the-leaf.pdf", "dist/.bonds.pdf.1234.part",
                 ".fanbind-cache/stories/abc", "seeds/notes.md", ".metadata.yaml.swp",
                 "seeds/000_a377e873b6712cad.txt~"):
        assert not is_input(root / name, inputs), name
    assert is_input(root / "seeds" / "000_a377e873b6712cad.txt", inputs)
    assert is_input(str(root / "metadata.yaml"), inputs)


def test_stylesheet_cover_and_what_the_stylesheet_fetches_are_inputs(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    (root / "css").mkdir()
    (root / "css" / "book.css").write_text(
        '@import "more.css";\n'
        '@import url("http://example.com/remote.css");\n'
        "body { background: url(../img/paper.png); }\n"
        'h1 { background-image: url("data:image/png;base64,iVBO"); }\n', encoding="utf-8")
    (root / "css" / "more.css").write_text(
        '@font-face { font-family: X; src: url("../fonts/x.otf") format("opentype"); }\n'
        "@media print { p { background: url('ornament.svg') } }\n", encoding="utf-8")
    metadata = root / "metadata.yaml"
    metadata.write_text("stylesheet: css/book.css\ncover: img/cover.jpg\n"
                        + metadata.read_text(encoding="utf-8"), encoding="utf-8")
    inputs = book_inputs(root)
    for name in ("css/book.css", "css/more.css", "img/paper.png", "fonts/x.otf",
                 "css/ornament.svg", "img/cover.jpg"):  # present or not yet: both watched
        assert is_input(root / name, inputs), name
    assert not any("example.com" in str(path) or "data:" in str(path) for path in inputs)


def test_an_import_loop_ends(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text('@import "b.css";\n', encoding="utf-8")
    (tmp_path / "b.css").write_text('@import "a.css";\np { background: url(x.png) }\n',
                                    encoding="utf-8")
    assert stylesheet_inputs(tmp_path / "a.css") == {
        (tmp_path / name).resolve() for name in ("a.css", "b.css", "x.png")}


def test_a_metadata_file_being_edited_is_still_watched(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    (root / "metadata.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    assert book_inputs(root) == {(root / "metadata.yaml").resolve()}


def test_a_story_outside_the_project_has_its_folder_watched(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "book")
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    (elsewhere / "extra.txt").write_text("Extra\n\nMore text.\n", encoding="utf-8")
    metadata = root / "metadata.yaml"
    metadata.write_text(metadata.read_text(encoding="utf-8")
                        + "  - file: ../shared/extra.txt\n    authors: [B]\n", encoding="utf-8")
    inputs = book_inputs(root)
    assert is_input(elsewhere / "extra.txt", inputs)
    assert watched_folders(root.resolve(), inputs) == [root.resolve(), elsewhere.resolve()]
