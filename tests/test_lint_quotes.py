"""Tests for the quote lint: each code fires on its case and stays quiet on its near miss.

Paragraphs go through the real typography first, as they do in a build, so the lint
is tested on what it will actually see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fanbind.diagnostics import Diagnostic, Severity
from fanbind.model import Paragraph, Text, plain_text
from fanbind.text.lint.quotes import lint_quotes
from fanbind.text.settings import TextSettings
from fanbind.text.typography import typeset_blocks, typeset_text
from fanbind.text.typography.locales import LOCALES

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def lint(*sources: str, language: str = "en", with_source: bool = False) -> list[Diagnostic]:
    """Typeset ``sources`` as consecutive paragraphs (lines 1, 3, 5 …) and lint them."""
    blocks = typeset_blocks(tuple(Paragraph((Text(s),)) for s in sources),
                            TextSettings(language=language))
    paragraphs = [(plain_text(b.inlines), 2 * i + 1) for i, b in enumerate(blocks)]
    return lint_quotes(
        paragraphs,
        file="story.txt",
        source_paragraphs=list(sources) if with_source else None,
        language=language,
    )


def codes(found: list[Diagnostic]) -> list[tuple[str, int | None]]:
    return [(d.code, d.line) for d in found]


# ------------------------------------------------------------------------ FB301


def test_fb301_unclosed_quote() -> None:
    found = lint('"Hello, she said.', "She left.")
    assert codes(found) == [("FB301", 1)]
    assert found[0].severity is Severity.WARNING
    assert "“Hello, she said." in found[0].message
    assert found[0].hint and "next paragraph" in found[0].hint


def test_fb301_unclosed_quote_in_last_paragraph() -> None:
    assert codes(lint("He turned.", '"Wait,')) == [("FB301", 3)]


def test_fb301_unclosed_single_quote() -> None:
    assert codes(lint("They call it the 'Will of Fire.")) == [("FB301", 1)]


def test_fb301_balanced_quotes_are_fine() -> None:
    assert lint('"Hello," she said. "Bye."', "They call it the 'Will of Fire'.") == []


def test_fb301_apostrophes_do_not_unbalance() -> None:
    assert lint("The dogs' bowls, 'til dawn, rock 'n' roll, the '90s.") == []


def test_fb301_continued_speech_is_not_flagged() -> None:
    """The last case of the shared TSV: speech carried over a paragraph break."""
    assert lint('"First paragraph of speech.', '"Second paragraph of the same speech."') == []


def test_fb301_continued_nested_speech_is_not_flagged() -> None:
    assert lint("\"He said, 'come.", "\"'Now,' he said.\"") == []


# ------------------------------------------------------------------------ FB302


def test_fb302_undecided_straight_quote() -> None:
    found = lint('He said " and left.')
    assert codes(found) == [("FB302", 1)]
    assert "1 straight quote" in found[0].message


def test_fb302_quiet_when_everything_is_curled() -> None:
    assert lint('"Don\'t--" he began. "--you\'re late."') == []


# ------------------------------------------------------------------------ FB303


def test_fb303_mixed_styles_reported_once_with_counts() -> None:
    sources = ('"Hi," she said.', "“Bye,” he said.", "“Later.”", "It’s late.")
    found = lint(*sources, with_source=True)
    assert codes(found) == [("FB303", 1)]
    assert found[0].severity is Severity.INFO
    assert "1 paragraph(s) use straight" in found[0].message
    assert "3 use curly" in found[0].message


def test_fb303_one_style_is_fine() -> None:
    assert lint('"Hi," she said.', "It's late.", with_source=True) == []
    assert lint("“Hi,” she said.", "It’s late.", with_source=True) == []


def test_fb303_needs_source_paragraphs() -> None:
    assert lint('"Hi," she said.', "“Bye,” he said.") == []


# ------------------------------------------------------------------------ FB304


SEED_LINE = (
    "Take the bedroll, Kakashi. You’re soaked too. You need rest,” Minato said softly "
    "once Kakashi finished."
)


def test_fb304_missing_opening_quote() -> None:
    found = lint("Minato frowned.", SEED_LINE)
    assert codes(found) == [("FB304", 3)]
    assert "rest,” Minato" in found[0].message
    assert found[0].hint == "Add the opening “ where the speech starts."


def test_fb304_after_a_balanced_quotation() -> None:
    assert codes(lint('"Hi." Then bye," he said.')) == [("FB304", 1)]


@pytest.mark.parametrize(
    "source",
    [
        "Minato sighed. “You can’t…” he said.",
        'Minato sighed. "You can\'t..." he said.',
        '"Hello," she said.',
        "”Hello,” he said.",
    ],
)
def test_fb304_normal_dialogue_is_fine(source: str) -> None:
    assert lint(source) == []


def test_german_marks() -> None:
    assert lint('"Hallo," sagte er.', language="de") == []
    assert codes(lint("Hallo“, sagte er.", language="de")) == [("FB304", 1)]
    assert codes(lint("„Hallo, sagte er.", language="de")) == [("FB301", 1)]


# ------------------------------------------------------------ the real seed stories


def _seed_paragraphs(path: Path) -> list[tuple[str, int]]:
    """Blank-line paragraphs; ``001_…`` has one paragraph per line instead."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if path.name.startswith("001_"):
        return [(line.strip(), n) for n, line in enumerate(lines, 1) if line.strip()]
    found: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            start = start if current else number
            current.append(line.strip())
        elif current:
            found.append((" ".join(current), start))
            current = []
    if current:
        found.append((" ".join(current), start))
    return found


def test_seed_stories_have_few_and_real_findings() -> None:
    """The five real stories: only the known slips fire (a false-positive guard)."""
    found: list[tuple[str, str, int | None]] = []
    for path in sorted(SEEDS.glob("*.txt")):
        paragraphs = _seed_paragraphs(path)
        typeset = [(typeset_text(text), line) for text, line in paragraphs]
        sources = [text for text, _ in paragraphs]
        for item in lint_quotes(typeset, file=path.name, source_paragraphs=sources):
            found.append((item.code, path.name[:3], item.line))
    assert sorted(found) == [
        ("FB303", "001", 3),
        ("FB303", "002", 1),
        ("FB303", "003", 23),
        ("FB303", "004", 135),
        ("FB304", "001", 14),  # “…You need rest,” Minato said — opening quote lost
        ("FB304", "002", 432),  # Kashi,” I panted — opening quote lost
        ("FB304", "003", 529),  # The mission--” — opening quote lost
    ]


# ------------------------------------------------------------- every language

LOCALE_CASES = Path(__file__).resolve().parent / "data" / "locales"


def _dialogue(tag: str) -> list[str]:
    """The locale's sentences as a story: each line a paragraph, in order."""
    lines = (LOCALE_CASES / f"{tag}.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("tag", sorted(LOCALES))
def test_correct_dialogue_has_no_findings(tag: str) -> None:
    """A corpus of correct dialogue in each language: nested, continued, its own marks."""
    sources = _dialogue(tag)
    blocks = typeset_blocks(tuple(Paragraph((Text(s),)) for s in sources),
                            TextSettings(language=tag))
    typeset = [(plain_text(b.inlines), n) for n, b in enumerate(blocks, 1)]
    found = lint_quotes(typeset, file="s.txt", source_paragraphs=[t for t, _ in typeset],
                        language=tag)
    assert codes(found) == []


@pytest.mark.parametrize("tag", sorted(LOCALES))
def test_each_language_finds_a_lost_mark(tag: str) -> None:
    """The same lint still fires in every language: a primary quotation never closed."""
    opener, closer = LOCALES[tag].primary
    word, narration = LOCALES[tag].sample
    assert codes(lint(f"{narration}: {opener}{word}.", narration, language=tag)) == [
        ("FB301", 1)
    ]
    if closer != "’" and opener != closer:
        assert codes(lint(f"{word}.{closer} {narration}.", language=tag)) == [("FB304", 1)]


def test_german_guillemets_and_nesting() -> None:
    assert lint("»Er rief ›Halt!‹ und lief.«", "„Sie sagte ‚nein‘.“", language="de") == []
    assert codes(lint("»Er rief ›Halt! und lief.«", language="de")) == [("FB301", 1)]


def test_french_continued_speech() -> None:
    """French continues a quotation with » at the start of each following paragraph."""
    assert lint("« Le premier paragraphe.", "» Le second paragraphe. »", language="fr") == []
    assert codes(lint("« Le premier paragraphe.", "Le narrateur.", language="fr")) == [
        ("FB301", 1)
    ]


def test_swedish_marks_toggle() -> None:
    assert lint("”Hej”, sa hon. ”Kommer du?”", language="sv") == []
    assert codes(lint("”Hej, sa hon.", "Han gick.", language="sv")) == [("FB301", 1)]
