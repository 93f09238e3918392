"""What ``fanbind check`` prints: user text verbatim, and lint in the story's language."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fanbind.cli import app

runner = CliRunner()


def _project(root: Path, name: str, text: str, language: str = "en") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "metadata.yaml").write_text(
        f'title: T\nlanguage: {language}\nstories:\n  - file: "{name}"\n    authors: [X]\n',
        encoding="utf-8",
    )
    (root / name).write_text(text, encoding="utf-8")
    return root


def test_user_text_is_printed_literally(tmp_path: Path) -> None:
    """No emoji codes (``:100:`` → 💯) and no console markup (``[bold]``) in messages."""
    story = 'Title\n\n"[bold]x[/bold] :smile: he said.\n\nShe left.\n'
    project = _project(tmp_path / "p", "a:100:b.txt", story)
    result = runner.invoke(app, ["check", "-v", str(project)])
    assert result.exit_code == 0, result.output
    assert "a:100:b.txt:3: FB301" in result.stderr
    assert "[bold]x[/bold] :smile:" in result.stderr
    assert "💯" not in result.output and "😄" not in result.output


def test_german_story_quotes_are_balanced(tmp_path: Path) -> None:
    """``language: de`` reaches the lint: correct „…“ dialogue is not "unbalanced"."""
    story = (
        "Titel\n\n„Kommst du mit?“, fragte sie.\n\n"
        "„Nein“, sagte er. „Ich bleibe hier.“\n\nEr sagte: „Sie rief ‚Halt!‘ und lief.“\n"
    )
    project = _project(tmp_path / "de", "geschichte.txt", story, language="de")
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 0, result.output
    assert "FB30" not in result.stderr, result.stderr
    english = _project(tmp_path / "en", "geschichte.txt", story, language="en")
    assert "FB30" in runner.invoke(app, ["check", str(english)]).stderr  # the test can fail
