"""The project folder: where a build may write, and what ``init`` may list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fanbind.cli import app

STORY = "A Title\n\nIt was a quiet morning in the village.\n\nThe end came softly.\n"
METADATA = "title: Linked\nstories:\n  - file: seeds/a.txt\n    author: A\n"


def project(root: Path) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "a.txt").write_text(STORY, encoding="utf-8")
    (root / "metadata.yaml").write_text(METADATA, encoding="utf-8")
    return root


def build(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["build", *map(str, args)])
    return result.exit_code, result.output


def test_a_dist_link_leading_outside_is_not_followed(tmp_path: Path) -> None:
    """Like .fanbind-cache: a shared project's ``dist -> ~/somewhere`` must not get the books."""
    root = project(tmp_path / "zine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "dist").symlink_to(elsewhere, target_is_directory=True)
    code, output = build(root, "-f", "epub", "-q", "--no-cache")
    assert code == 1, output
    assert "the output folder dist/ is a symbolic link leading outside the project" in output
    assert "-o FOLDER" in output
    assert list(elsewhere.iterdir()) == []


def test_an_explicit_output_outside_stays_allowed(tmp_path: Path) -> None:
    root = project(tmp_path / "zine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "dist").symlink_to(elsewhere, target_is_directory=True)
    code, output = build(root, "-f", "epub", "-q", "--no-cache", "-o", root / "dist")
    assert code == 0, output
    assert [p.name for p in elsewhere.iterdir()] == ["linked.epub"]


def test_a_dist_link_inside_the_project_is_followed(tmp_path: Path) -> None:
    root = project(tmp_path / "zine")
    (root / "books").mkdir()
    (root / "dist").symlink_to(root / "books", target_is_directory=True)
    code, output = build(root, "-f", "epub", "-q", "--no-cache")
    assert code == 0, output
    assert [p.name for p in (root / "books").iterdir()] == ["linked.epub"]


def test_a_dist_link_loop_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "zine")
    os.symlink(root / "dist", root / "dist")
    code, output = build(root, "-f", "epub", "-q", "--no-cache")
    assert code == 1, output
    assert "dist/" in output and "Traceback" not in output


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


# ------------------------------------------------------------------ init


def test_init_refuses_story_names_that_are_not_utf8(tmp_path: Path) -> None:
    """They became ``\\udce9`` escapes in metadata.yaml, which every build then refused."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "fine.txt").write_text(STORY, encoding="utf-8")
    try:
        (seeds / os.fsdecode(b"caf\xe9.txt")).write_text(STORY, encoding="utf-8")
    except (UnicodeEncodeError, OSError):
        pytest.fail("this file system refuses non-UTF-8 names; the test needs one that does not")
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 4, result.output
    assert "not valid UTF-8" in result.output and "caf\\xe9.txt" in result.output
    assert "rename" in result.output
    assert not (tmp_path / "metadata.yaml").exists()


def test_init_output_builds_when_names_are_utf8(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "café.txt").write_text(STORY, encoding="utf-8")
    assert CliRunner().invoke(app, ["init", str(tmp_path)]).exit_code == 0
    code, output = build(tmp_path, "-f", "epub", "-q", "--no-cache")
    assert code == 0, output
