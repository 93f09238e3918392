"""``fanbind doctor`` and the note a build prints when an optional library is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fanbind import cli
from fanbind import doctor as doctor_module
from fanbind.doctor import Check, checks, missing_subsetter_note, report, subsetter_available


def test_doctor_lists_what_it_found_and_exits_0() -> None:
    done = CliRunner().invoke(cli.app, ["doctor"])
    assert done.exit_code == 0, done.output
    for name in ("Python", "WeasyPrint", "Pango", "HarfBuzz", "HarfBuzz subsetter", "fontTools",
                 "pikepdf", "Java", "EPUBCheck"):
        assert any(line.split()[1:2] == name.split()[:1] for line in done.output.splitlines()
                   if line.startswith("  ")), name
    found = {check.name: check for check in checks()}
    assert found["Python"].version and found["WeasyPrint"].version and found["Pango"].version


def test_the_subsetter_is_found_exactly_when_weasyprint_finds_it() -> None:
    """fanbind looks without importing WeasyPrint; both must agree, with or without it."""
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import harfbuzz

    weasyprint_uses_it = fonts.harfbuzz_subset is not None and \
        bool(harfbuzz.hb_version_atleast(4, 1, 0))
    assert subsetter_available() is weasyprint_uses_it
    assert (missing_subsetter_note() is None) is weasyprint_uses_it


def test_a_missing_library_is_reported_with_what_to_install() -> None:
    text = report([Check("Python", "3.11.7", "runs fanbind", needed=True),
                   Check("HarfBuzz subsetter", None, "fast font subsetting",
                         advice="Debian/Ubuntu: apt install libharfbuzz-subset0"),
                   Check("Java", "11.0.2", "runs EPUBCheck", advice="install Java 17+",
                         usable=False)])
    lines = text.splitlines()
    assert lines[1].split()[:3] == ["ok", "Python", "3.11.7"]
    assert lines[2].split()[:4] == ["missing", "HarfBuzz", "subsetter", "-"]
    assert lines[3].split()[:4] == ["too", "old", "Java", "11.0.2"]
    assert "HarfBuzz subsetter missing: Debian/Ubuntu: apt install libharfbuzz-subset0" in lines
    assert "Java too old: install Java 17+" in lines


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "a.txt").write_text("A Tale\n\nThe river kept its counsel.\n", encoding="utf-8")
    (root / "metadata.yaml").write_text("title: T\nstories:\n  - file: a.txt\n    author: A\n",
                                        encoding="utf-8")
    return root


@pytest.mark.parametrize("available", [True, False])
def test_a_build_says_once_what_the_missing_subsetter_costs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(doctor_module, "subsetter_available", lambda: available)
    monkeypatch.setattr(cli, "_NOTED", set())
    root = _project(tmp_path / "book")
    outputs = []
    for _ in range(2):  # as --watch builds again, in the same process
        done = CliRunner().invoke(cli.app, ["build", str(root), "-f", "pdf"])
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    note = "HarfBuzz's font subsetter (libharfbuzz-subset) was not found"
    assert [note in output for output in outputs] == ([False, False] if available
                                                      else [True, False])
    if not available:
        assert "apt install libharfbuzz-subset0" in outputs[0]
        assert "Traceback" not in outputs[0]
    epub_only = CliRunner().invoke(cli.app, ["build", str(root), "-f", "epub"])
    assert note not in epub_only.output  # no PDF, nothing to say
