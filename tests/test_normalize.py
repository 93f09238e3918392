"""Stage 2: clean_text and its table of rules."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanbind.diagnostics import Severity
from fanbind.text.normalize import RULES, clean, clean_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

EXAMPLES = [
    pytest.param(rule.name, before, after, id=f"{rule.name}-{index}")
    for rule in RULES
    for index, (before, after) in enumerate(rule.examples)
]


def test_every_rule_has_a_name_a_reason_and_a_changing_example() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.why.strip()
        assert any(before != after for before, after in rule.examples), rule.name


@pytest.mark.parametrize(("rule_name", "before", "after"), EXAMPLES)
def test_rule_example(rule_name: str, before: str, after: str) -> None:
    result = clean(before, file="s.txt")
    assert result.text == after
    if before != after:
        assert result.counts[rule_name] > 0, f"{rule_name} did not fire"
    assert before.count("\n") + before.count("\r") - before.count("\r\n") == after.count("\n")


@pytest.mark.parametrize(("rule_name", "before", "after"), EXAMPLES)
def test_rule_example_is_stable(rule_name: str, before: str, after: str) -> None:
    assert clean_text(after, file="s.txt")[0] == after


# ------------------------------------------------------------------------- diagnostics


def test_clean_text_has_no_diagnostics_for_clean_text() -> None:
    assert clean_text("“Fine,” she said.\n\n    Indented.\n", file="s.txt") == (
        "“Fine,” she said.\n\n    Indented.\n", []
    )


def test_control_characters_warn_with_count_and_first_line() -> None:
    text = "fine\r\nalso fine\r\nbad\x00one\x01\r\nok\x1b\r\n"
    cleaned, found = clean_text(text, file="stories/a.txt")
    assert cleaned == "fine\nalso fine\nbadone\nok\n"
    (warning,) = found
    assert (warning.code, warning.severity, warning.file, warning.line) == (
        "FB102", Severity.WARNING, "stories/a.txt", 3,
    )
    assert "removed 3 control characters" in warning.message
    assert "line 3" in warning.message


def test_bidi_and_control_characters_share_one_warning() -> None:
    _, found = clean_text("one\nrtl \u202eoops\nnul\x00\n", file="a.txt")
    (warning,) = found
    assert warning.line == 2
    assert warning.message.startswith(
        "removed 1 control character and 1 unbalanced bidirectional-text control"
    )


def test_invisible_junk_is_info() -> None:
    _, found = clean_text("one\nsoft\u00adhyphen and zero\u200bwidth\n", file="a.txt")
    (info,) = found
    assert (info.code, info.severity, info.line) == ("FB103", Severity.INFO, 2)
    assert "removed 2 invisible formatting characters" in info.message


def test_whitespace_cleanup_is_silent() -> None:
    assert clean_text("a  b\t\n\u00a0\n\tc", file="a.txt") == ("a b\n\n    c", [])


def test_crlf_file_keeps_its_line_numbers() -> None:
    lines = ["Title", "", "\tFirst paragraph.  ", "\u00a0", "Second\u00a0paragraph."]
    cleaned, _ = clean_text("\r\n".join(lines), file="a.txt")
    assert cleaned.split("\n") == ["Title", "", "    First paragraph.", "", "Second paragraph."]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Mrs.\u00a0Hudson and Dr\u00a0Watson", "Mrs.\u00a0Hudson and Dr\u00a0Watson"),
        ("p.\u00a012, § 4", "p.\u00a012, § 4"),
        ("§\u00a04", "§\u00a04"),
        ("20\u00a0%", "20\u00a0%"),
        ("at 5\u00a0p.m.", "at 5\u00a0p.m."),
        ("it\u00a0was\u00a05 or 6", "it was 5 or 6"),
        ("Merci\u00a0!\u00a0Vraiment\u00a0?", "Merci\u00a0! Vraiment\u00a0?"),
        ("a \u00a0\u202f b", "a\u202fb"),
        ("no\u00a0one", "no one"),
    ],
)
def test_no_break_space_contexts(before: str, after: str) -> None:
    assert clean_text(before, file="a.txt")[0] == after


def test_joiners_that_join_nothing_are_dropped() -> None:
    assert clean_text("Lat\u200din \u200cspace\u200d", file="a.txt")[0] == "Latin space"


def test_no_line_breaks_other_than_lf_survive() -> None:
    """Later stages may use str.splitlines(), which also breaks at VT, FF, FS–RS, NEL,
    U+2028 and U+2029; none of them may be left for it to find."""
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\nj"
    cleaned, _ = clean_text(text, file="a.txt")
    assert cleaned.splitlines() == cleaned.split("\n") == ["a b cdef g h i", "j"]


def test_emoji_zwj_sequences_survive_whole() -> None:
    family = "👨\u200d👩\u200d👧 and ❤\ufe0f\u200d🔥 and 🏳\ufe0f\u200d🌈"
    assert clean_text(family, file="a.txt")[0] == family


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seeds_pass_through_unchanged(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    result = clean(text, file=seed.name)
    assert result.text == text
    assert result.diagnostics == ()


# ---------------------------------------------------------------------------- properties

_AWKWARD = (
    "\r", "\n", "\r\n", "\t", " ", "  ", "\u00a0", "\u202f", "\u2007", "\u2009", "\u3000",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x92", "\ud800", "\ufffe",
    "e\u0301", "\u0301", "\u0345", "\u1100\u1161", "a", "Z", "5", ":", "«", "»", "Mr.", "é",
    "👩", "\ufe0f", "क्", "ि",
)
TEXT = st.lists(
    st.one_of(st.sampled_from(_AWKWARD), st.characters(), st.text(max_size=4)), max_size=40
).map("".join)


def _lines(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _letters(text: str) -> list[str]:
    """Letters and digits, casefolded, in canonical decomposition.

    Comparing NFC forms is not enough: removing a zero-width space between ``e`` and a
    combining accent lets NFC compose them, so the input's NFC has ``e`` where the output
    has ``é``. Decomposing both sides compares the same letters either way.
    """
    return [c for c in unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold())
            if c.isalnum()]


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_output_is_nfc_and_free_of_control_characters(text: str) -> None:
    cleaned, _ = clean_text(text, file="h.txt")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert all(c == "\n" or unicodedata.category(c) not in ("Cc", "Cs") for c in cleaned)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_line_count_is_kept(text: str) -> None:
    cleaned, _ = clean_text(text, file="h.txt")
    assert cleaned.count("\n") == _lines(text)
    assert len((cleaned + "x").splitlines()) == cleaned.count("\n") + 1


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_idempotent(text: str) -> None:
    once, _ = clean_text(text, file="h.txt")
    twice, found = clean_text(once, file="h.txt")
    assert twice == once
    assert found == []


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_letters_and_digits_are_kept(text: str) -> None:
    cleaned, _ = clean_text(text, file="h.txt")
    assert _letters(cleaned) == _letters(text)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_no_trailing_or_doubled_interior_spaces(text: str) -> None:
    cleaned, _ = clean_text(text, file="h.txt")
    for line in cleaned.split("\n"):
        assert line == line.rstrip()
        body = line.lstrip(" ")
        assert "\t" not in line
        assert "  " not in body
