"""Every CLI command's happy path and exit codes, run in-process with Typer's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.conftest import copy_sample
from typer.testing import CliRunner

from fanbind import __version__
from fanbind.cli import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "project")


def edit_metadata(project: Path, change) -> None:
    path = project / "metadata.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"fanbind {__version__}"


@pytest.mark.parametrize("command", ["build", "check", "init", "normalize"])
def test_help_has_examples(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.stdout


def test_build_epub_only(project: Path):
    result = runner.invoke(app, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 0, result.output
    assert (project / "dist" / "bonds-of-the-leaf.epub").is_file()
    assert not (project / "dist" / "bonds-of-the-leaf.pdf").exists()
    assert "5 stories" in result.stdout
    assert "wrote" in result.stdout


def test_build_output_folder_and_quiet(project: Path, tmp_path: Path):
    out = tmp_path / "elsewhere"
    result = runner.invoke(app, ["build", str(project), "-o", str(out), "-f", "epub", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (out / "bonds-of-the-leaf.epub").is_file()


def test_check_ok(project: Path):
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 0, result.output
    assert "5 stories" in result.stdout
    assert not (project / "dist").exists()


def test_check_reports_lint_with_file_and_line(project: Path):
    result = runner.invoke(app, ["check", str(project)])
    assert "seeds/001_b93b42b5401a4ec4.txt:14: FB304" in result.stderr


def test_check_verbose_shows_paragraph_model(project: Path):
    result = runner.invoke(app, ["check", "-v", str(project)])
    assert "line-per-paragraph" in result.stderr


def test_check_strict_fails_on_warnings(project: Path):
    result = runner.invoke(app, ["check", "--strict", str(project)])
    assert result.exit_code == 1


def test_missing_metadata_exit_3(tmp_path: Path):
    result = runner.invoke(app, ["build", str(tmp_path)])
    assert result.exit_code == 3
    assert "metadata.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_bad_rating_exit_3(project: Path):
    edit_metadata(project, lambda d: d["stories"][1].__setitem__("rating", "PG-13"))
    result = runner.invoke(app, ["build", str(project)])
    assert result.exit_code == 3
    assert "rating" in result.stderr and "Teen And Up Audiences" in result.stderr
    assert not (project / "dist").exists()


def test_missing_story_file_exit_4(project: Path):
    (project / "seeds" / "003_7d005fd212dc1fa2.txt").unlink()
    result = runner.invoke(app, ["build", str(project)])
    assert result.exit_code == 4
    assert "seeds/003_7d005fd212dc1fa2.txt" in result.stderr
    assert not list((project / "dist").glob("*")) if (project / "dist").exists() else True


def test_story_outside_project_refused(project: Path, tmp_path: Path):
    outside = tmp_path / "outside.txt"
    outside.write_text("Title\n\nSome text here.\n")
    edit_metadata(project, lambda d: d["stories"][0].__setitem__("file", str(outside)))
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 4
    assert "outside the project" in result.stderr
    assert runner.invoke(app, ["check", str(project), "--allow-outside"]).exit_code == 0


def test_init_writes_starter_and_refuses_overwrite(tmp_path: Path):
    project = tmp_path / "zine"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "a.txt").write_text("My Story\n\nIt was a dark night.\n")
    (project / "seeds" / "b.txt").write_text("Another One\n\nThe end came quickly.\n")
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((project / "metadata.yaml").read_text())
    assert [s["title"] for s in data["stories"]] == ["My Story", "Another One"]
    assert "# rating:" in (project / "metadata.yaml").read_text()
    again = runner.invoke(app, ["init", str(project)])
    assert again.exit_code != 0 and "--force" in again.stderr
    assert runner.invoke(app, ["init", str(project), "--force"]).exit_code == 0
    built = runner.invoke(app, ["build", str(project), "-f", "epub"])
    assert built.exit_code == 0, built.output


def test_init_without_stories_folder(tmp_path: Path):
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "seeds" in result.stderr


def test_normalize_listing_and_diff():
    seed = Path(__file__).resolve().parent.parent / "seeds" / "001_b93b42b5401a4ec4.txt"
    listing = runner.invoke(app, ["normalize", str(seed)])
    assert listing.exit_code == 0, listing.output
    assert "HEADING" in listing.stdout and "Kakashi" in listing.stdout
    diff = runner.invoke(app, ["normalize", "--diff", str(seed)])
    assert diff.exit_code == 0
    assert "-Chapter Text" in diff.stdout
