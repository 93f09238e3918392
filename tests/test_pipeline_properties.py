"""Properties of the whole text pipeline (decode → clean → structure → typography).

Each stage has its own property tests; these check the stages together, the way
a story file actually goes through them: nothing but fanbind's own error type
escapes, no word is lost or invented (except debris lines, which are reported),
output is NFC without control characters, and normalizing the normalized text
changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fanbind.errors import FanbindError
from fanbind.model import Heading, Paragraph, plain_text
from fanbind.text.report import _load, story_lines

WORDS = st.sampled_from([
    "Kakashi", "Iruka", "said", "the", "night", "don't", "'til", "rock 'n' roll", "5'9\"",
    "well-known", "--", " - ", "...", "\"Hello,\"", "'no'", "*really*", "_quiet_", "1990-1995",
    "Chapter", "café", "naïve", "“Hi”", "”Wrong", "o'clock", "Summary:", "oOo", "—", "…",
])
LINE = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
BLOCK = st.one_of(LINE, st.sampled_from(["***", "~~~", "Chapter 2", "Epilogue", "Kakashi", ""]))


def framed(text: str) -> str:
    """*text* between a title and a paragraph: a story, even when *text* alone would be
    only a title (a lone line) or nothing at all (and refused as having no text)."""
    return f"A Title\n\n{text}\n\nThe night was quiet.\n"


def either(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """*strategy*'s values as they are, or framed: about half of them reach every stage."""
    return st.one_of(strategy, strategy.map(framed))


STORY = either(st.lists(BLOCK, min_size=1, max_size=30).map(lambda ls: "\n\n".join(ls) + "\n"))
# Without AO3 front-matter labels: a summary made only of a dash reads back as a
# scene-break ornament, a degenerate case the round trip through plain text
# cannot keep (the words are still all accounted for, see the test above).
PLAIN_STORY = STORY.filter(lambda text: "Summary:" not in text)


PROPERTY = settings(max_examples=150, deadline=None)


def alnum(text: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFC", text).casefold() if c.isalnum()]


def story_text(loaded) -> str:
    """Every word the pipeline kept or reported as dropped, in one string (a
    chapter's own summary and notes included)."""
    parts = [loaded.parsed.title or ""]
    parts += list(loaded.parsed.summary) + list(loaded.parsed.notes)
    for chapter in loaded.parsed.chapters:
        parts.append(chapter.title or "")
        for block in (*chapter.summary, *chapter.notes, *chapter.blocks, *chapter.end_notes):
            if isinstance(block, (Paragraph, Heading)):
                parts.append(plain_text(block.inlines))
    parts += list(loaded.parsed.end_notes)
    parts += [d.text for d in loaded.parsed.dropped]
    return " ".join(parts)


def load_text(tmp: Path, data: bytes):
    path = tmp / "story.txt"
    path.write_bytes(data)
    return _load(path, language="en", encoding=None)[0]


# Each property counts the inputs that went all the way through (a test that let every
# input stop at an error would pass and test nothing) and asserts a floor at the end:
# about half of what a run of 150 examples gets through.


def test_arbitrary_bytes_raise_only_fanbind_errors(tmp_path):
    outcomes: Counter[str] = Counter()

    @PROPERTY
    @given(data=st.one_of(st.binary(max_size=400),
                          st.binary(max_size=40).map(lambda noise: framed("x").encode() + noise)))
    def check(data):
        try:
            load_text(tmp_path, data)
        except FanbindError:
            outcomes["refused"] += 1
            return
        outcomes["through"] += 1

    check()
    assert outcomes["through"] >= 25, outcomes


def test_arbitrary_unicode_raises_only_fanbind_errors(tmp_path):
    outcomes: Counter[str] = Counter()

    @PROPERTY
    @given(text=either(st.text(max_size=300)))
    def check(text):
        try:
            loaded = load_text(tmp_path, text.encode("utf-8", "surrogatepass"))
        except FanbindError:
            outcomes["refused"] += 1
            return
        for line in story_lines(loaded, marked=False):
            assert unicodedata.is_normalized("NFC", line)
            assert not any(unicodedata.category(c) == "Cc" for c in line)
        outcomes["through"] += 1

    check()
    assert outcomes["through"] >= 40, outcomes


def test_no_word_lost_or_invented(tmp_path):
    outcomes: Counter[str] = Counter()

    @PROPERTY
    @given(text=STORY)
    def check(text):
        try:
            loaded = load_text(tmp_path, text.encode())
        except FanbindError:
            outcomes["refused"] += 1
            return
        # Dropped lines are reported apart from the text, so compare as multisets.
        assert Counter(alnum(story_text(loaded))) == Counter(alnum(text))
        outcomes["through"] += 1

    check()
    assert outcomes["through"] >= 65, outcomes


def test_normalizing_twice_changes_nothing(tmp_path):
    outcomes: Counter[str] = Counter()

    @PROPERTY
    @given(text=PLAIN_STORY)
    # Found by hypothesis: the dash closed up made the line a one-word label the
    # second time ("Kakashi—*really*" read as a POV heading).
    @example(text=framed("Kakashi -- *really*\n"))
    def check(text):
        try:
            once = load_text(tmp_path, text.encode())
        except FanbindError:
            outcomes["refused"] += 1
            return
        first = story_lines(once, marked=False)
        twice = load_text(tmp_path, "\n".join(first).encode())
        assert story_lines(twice, marked=False) == first
        outcomes["through"] += 1

    check()
    assert outcomes["through"] >= 50, outcomes
