"""Language tags are checked for a known language wherever they are given."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fanbind.cli import app
from fanbind.languages import is_known_language, unknown_subtag
from fanbind.text.typography.locales import LOCALES

runner = CliRunner()


@pytest.mark.parametrize(
    "tag",
    ["en", "en-GB", "de-CH-1996", "zh-Hant-TW", "yue", "es-419", "zh-yue", "en-x-fan",
     "qaa", "nb", "sgn-ase", "sr-Latn-RS", "de-u-co-phonebk", "en-EU"],
)
def test_known(tag: str) -> None:
    assert is_known_language(tag)
    assert unknown_subtag(tag) is None


@pytest.mark.parametrize(
    ("tag", "guess"),
    [
        ("xx-bogus", None), ("xx", None), ("eng", "en"), ("deu-CH", "de-CH"), ("ger", "de"),
        ("jp", "ja"), ("iw", "he"), ("en-UK", "en-GB"), ("en-OO", None), ("zh-qqq", None),
    ],
)
def test_unknown_with_a_guess(tag: str, guess: str | None) -> None:
    found = unknown_subtag(tag)
    assert found is not None
    assert found[1] == guess


def test_every_locale_is_a_known_language() -> None:
    assert all(is_known_language(tag) for tag in LOCALES)


def _project(root: Path, book: str, story: str) -> Path:
    root.mkdir(parents=True)
    (root / "metadata.yaml").write_text(
        f"title: T\nlanguage: {book}\nstories:\n  - file: s.txt\n    authors: [X]\n"
        f"    language: {story}\n",
        encoding="utf-8",
    )
    (root / "s.txt").write_text("Title\n\nHello.\n", encoding="utf-8")
    return root


def test_metadata_language_is_checked(tmp_path: Path) -> None:
    """An invented tag in metadata.yaml: exit 3, file, line and column, and a hint."""
    result = runner.invoke(app, ["check", str(_project(tmp_path / "a", "xx-bogus", "en"))])
    assert result.exit_code == 3
    assert "metadata.yaml:2:11: language: 'xx-bogus' is not a language tag" in result.stderr
    assert "'xx' is not a known language" in result.stderr


def test_story_language_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(_project(tmp_path / "b", "en", "en-UK"))])
    assert result.exit_code == 3
    assert "metadata.yaml:6:15:" in result.stderr
    assert "did you mean 'en-GB'?" in result.stderr
    ok = runner.invoke(app, ["check", str(_project(tmp_path / "c", "de-CH", "pt-BR"))])
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize(("tag", "says"), [("xx-bogus", "'xx' is not a known language"),
                                           ("jp", "did you mean 'ja'?")])
def test_language_option_is_checked(tmp_path: Path, tag: str, says: str) -> None:
    story = tmp_path / "s.txt"
    story.write_text("Title\n\nHello.\n", encoding="utf-8")
    result = runner.invoke(app, ["normalize", "--language", tag, str(story)])
    assert result.exit_code == 2
    assert "--language" in result.stderr and says in result.stderr
    good = runner.invoke(app, ["normalize", "--language", "de-AT", str(story)])
    assert good.exit_code == 0, good.output
