"""Fuzzing with Hypothesis: whatever the bytes or the YAML, fanbind answers in its own words.

Three properties, at modest example counts so the suite stays fast (the long run
is ``fuzz/run.py``, not part of CI):

* random Unicode text and random bytes go through every stage a build uses —
  decode → normalize → parse → typography → lint → render — and either make a
  book whose every XHTML document parses with lxml, or stop with a
  :class:`~fanbind.errors.StoryFileError`; nothing else may escape;
* a sample of such texts, chosen by Hypothesis, is built into real EPUBs that
  must pass EPUBCheck with no message at all;
* random metadata documents, valid or broken, are either a config or a
  :class:`~fanbind.errors.MetadataError` that names the file and a line.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.conftest import SOURCE_DATE_EPOCH, run_epubcheck, summarize

from fanbind.build import typeset_config
from fanbind.diagnostics import Diagnostics
from fanbind.errors import MetadataError, StoryFileError
from fanbind.model import Anthology
from fanbind.render import epub_stylesheets, render_book
from fanbind.settings import AnthologyConfig, parse_config
from fanbind.text.lint.story import lint_book
from fanbind.text.pipeline import story_from_text
from fanbind.text.settings import TextSettings
from fanbind.text.sources import decode_bytes

BOOK = parse_config('title: "Fuzz & <Friends>"\nstories:\n  - file: fuzz.txt\n    authors: [A]\n',
                    file="metadata.yaml")

#: Pieces that mean something to some stage: markup, entities, structure cues, quote and
#: dash material, controls, invisible and bidi characters, astral and combining ones.
FRAGMENTS = (
    "\n", "\n\n", "\r\n", "\r", " ", "  ", "\t", "*", "_", "**", "~~", "#", "* * *", "***",
    "-", "--", "---", "...", "'", '"', "`", "“", "”", "‘", "’", "«", "»", "„", "<", ">", "&",
    "&amp;", "&#60;", "&bogus;", "]]>", "<?xml version='1.0'?>", "<script>", "</p>", "<!--",
    "Chapter 1", "CHAPTER TWO", "Part I", "Summary:", "Notes:", "A/N:", "End Notes", "by ",
    "Title: ", "Author: ", "http://x.org/a_b", "www.x.com", "\x00", "\x07", "\x0b", "\x0c",
    "\x1b[1m", "\x7f", "\x85", "\x9d", "\u2028", "\u2029", "\u202e", "\u2066", "\u2069",
    "\ufeff", "\u00ad", "\u200b", "\u200d", "\u00a0", "\u202f", "\u0301", "e\u0301", "ß", "ǅ",
    "İ", "ﬁ", "𝔘", "😀", "👩\u200d👩\u200d👧", "\ufffd", "\uffff", "\ufdd0", "\U0010ffff",
    "\U0001fffe", "Ω", "שלום", "السلام", "中文", "ー", "\u3000", "0", "1984", "’60s",
)
story_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=80)
    .map("".join),
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")


def framed(text: str) -> str:
    """*text* between a title and a paragraph. Alone, a short text is mostly taken as a
    title and refused for having no story text: framed, it reaches every stage."""
    return f"A Title\n\n{text}\n\nThe night was quiet.\n"


#: Half as they come, half framed: both the refusals and the later stages get inputs.
fuzz_text = st.one_of(story_text, story_text.map(framed))


def pipeline(data: bytes) -> list[etree._Element]:
    """Every stage of a build on one story given as bytes; the documents, parsed."""
    decoded = decode_bytes(data, file="fuzz.txt")
    found = Diagnostics()
    loaded = story_from_text(decoded, BOOK.stories[0], index=0, display_name="fuzz.txt",
                             settings=TextSettings.from_book(BOOK), diagnostics=found)
    found.extend(lint_book([loaded]))
    assert all(item.file == "fuzz.txt" for item in found if item.file != "metadata.yaml")
    anthology = Anthology(typeset_config(BOOK), (loaded.story,))
    documents = render_book(anthology, stylesheets=epub_stylesheets(False),
                            date=dt.date(2024, 1, 1))
    return [etree.fromstring(document.to_bytes()) for document in documents]


def _through_the_pipeline(data: bytes) -> str:
    """How one input ended: ``"book"`` (every stage passed) or ``"refused"``."""
    try:
        roots = pipeline(data)
    except StoryFileError as error:
        assert error.file == "fuzz.txt" and error.hint
        return "refused"
    assert roots
    return "book"


# Each property counts how its inputs ended and asserts a floor on those that went all
# the way through (about half of a typical run): were every input refused, the test
# would pass having tested nothing.


def test_random_unicode_makes_valid_xhtml_or_a_story_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=fuzz_text, encoding=st.sampled_from(ENCODINGS))
    def check(text: str, encoding: str) -> None:
        outcomes[_through_the_pipeline(text.encode(encoding))] += 1

    check()
    assert outcomes["book"] >= 50, outcomes


#: Text with a burst of random bytes in it: a damaged download, a bad paste.
noisy_bytes = st.tuples(fuzz_text, st.binary(max_size=40), st.integers(0, 400)).map(
    lambda t: t[0].encode()[: t[2]] + t[1] + t[0].encode()[t[2]:])


def test_random_bytes_make_valid_xhtml_or_a_story_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.one_of(st.binary(max_size=1500), noisy_bytes))
    def check(data: bytes) -> None:
        outcomes[_through_the_pipeline(data)] += 1

    check()
    assert outcomes["book"] >= 15, outcomes


@pytest.mark.parametrize("data", [b"A Title\n\n1-\n\nThe night was quiet.\n",
                                  "    Cat \u2014\n    the".encode()])
def test_a_line_ending_in_a_dash_is_not_a_crash(data: bytes) -> None:
    """Found by the properties above: a short line ending in a dash ("1-", "Cat —")
    split into an empty "word" and the label test indexed into it."""
    assert _through_the_pipeline(data) in {"book", "refused"}


# ---------------------------------------------------------------------- EPUBCheck on a sample


def _pick(strategy: st.SearchStrategy, count: int, keep) -> list:
    """``count`` varied values of ``strategy`` that ``keep`` accepts, chosen by Hypothesis.

    Derandomized, so every run checks the same books; the values that together
    hold the most distinct characters are kept, not Hypothesis's tiny first examples.
    """
    found: list = []

    @settings(max_examples=120, database=None, derandomize=True, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value) -> None:
        if keep(value):
            found.append(value)

    collect()
    pool = sorted(set(found), key=repr)
    assert len(pool) >= count
    chosen: list = []
    seen: set = set()
    while len(chosen) < count:  # greedy: each pick brings the most characters not yet seen
        best = max(pool, key=lambda value: (len(set(value) - seen), len(value)))
        chosen.append(best)
        seen |= set(best)
        pool.remove(best)
    return chosen


def _decodes(data: bytes) -> bool:
    try:
        pipeline(data)
    except StoryFileError:
        return False
    return True


def _acceptable_name(name: str) -> bool:
    """Whether metadata.yaml may hold ``name`` as a title and an author."""
    document = {"title": name, "stories": [{"file": "a.txt", "authors": [name]}]}
    try:
        parse_config(yaml.safe_dump(document, allow_unicode=True), file="metadata.yaml")
    except MetadataError:
        return False
    return True


@pytest.fixture(scope="session")
def fuzzed_books(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two anthologies of six hostile stories each, built with ``fanbind.build.build``."""
    from fanbind.build import build

    texts = _pick(story_text, 6, lambda t: _decodes(t.encode()))
    blobs = _pick(noisy_bytes, 6, _decodes)
    names = _pick(st.text(min_size=1, max_size=30), 6, _acceptable_name)
    books = []
    for label, stories in (("unicode", [t.encode() for t in texts]), ("bytes", blobs)):
        root = tmp_path_factory.mktemp(f"fuzz-{label}")
        entries = []
        for index, (data, name) in enumerate(zip(stories, names, strict=True)):
            (root / f"s{index}.txt").write_bytes(data)
            entries.append({"file": f"s{index}.txt", "title": name, "authors": [name],
                            "tags": [name], "summary": name})
        document = {"title": f"{label} & <{names[0]}>", "subtitle": names[1],
                    "editors": [names[2]], "description": names[3], "stories": entries}
        (root / "metadata.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            result = build(root, formats=("epub",))
        books.append(result.outputs[0])
    return books


@pytest.mark.slow
def test_a_sample_of_fuzzed_books_passes_epubcheck(fuzzed_books: list[Path],
                                                   tmp_path_factory) -> None:
    reports = run_epubcheck(fuzzed_books, tmp_path_factory.mktemp("fuzz-epubcheck"))
    for path, report in reports.items():
        checker = report["checker"]
        counts = (checker["nFatal"], checker["nError"], checker["nWarning"])
        assert counts == (0, 0, 0), f"{path.name}:\n" + "\n".join(summarize(report))


# ---------------------------------------------------------------------- metadata documents

KEYS = ("title", "subtitle", "editor", "editors", "language", "date", "cover", "stylesheet",
        "dash_style", "limits", "max_story_mb", "max_stories", "print", "trim", "stories", "file",
        "author", "authors", "rating", "warnings", "categories", "fandoms", "tags", "summary",
        "published", "encoding", "source", "x-defaults", "<<", "titel")
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=True),
    st.sampled_from(["", "a.txt", "Mature", "PG-13", "2024-02-30", "2024-05-31", "en", "xx-?",
                     "utf-8", "cp999", "yes", "no", "~", "null", "0x10", "1e9", "M/M", "..",
                     "../../etc/passwd", "http://x", "*", "&", "!!python/object:os.system"]),
    st.text(max_size=20),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)),
    max_leaves=25)
#: Documents that are books: a title, stories with a file and an author, and some of the
#: optional keys with values that are allowed. Edits below break some of them.
prose = st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=20)
books = st.fixed_dictionaries(
    {"title": st.sampled_from(["Bonds", "Fuzz & <Friends>", "Ünïcode: a title", "1984"]),
     "stories": st.lists(st.fixed_dictionaries(
         {"file": st.sampled_from(["a.txt", "stories/b.txt", "c d.txt"]),
          "author": st.sampled_from(["A", "Hatake Kakashi", "匿名"])},
         optional={"rating": st.sampled_from(["Mature", "T", "g", "Explicit", "not rated"]),
                   "summary": prose, "encoding": st.just("cp1252"),
                   "title": st.sampled_from(["One", "Two: the sequel"])}),
         min_size=1, max_size=3, unique_by=lambda story: story["file"])},
    optional={"subtitle": prose, "language": st.sampled_from(["en", "de", "fr"]),
              "editor": st.just("Ed"), "dash_style": st.sampled_from(["em", "spaced-en"]),
              "print": st.fixed_dictionaries({}, optional={
                  "trim": st.sampled_from(["A5", "5x8", "6x9", "letter"])})})
documents = st.one_of(st.dictionaries(st.sampled_from(KEYS), values, max_size=8), books)


def _mutate(text: str, cuts: list[tuple[int, str]]) -> str:
    """Damage a document the way hand-editing does: characters dropped or inserted."""
    for position, insert in cuts:
        index = position % (len(text) + 1)
        text = text[:index] + insert + text[index + (insert == ""):]
    return text


edits = st.lists(st.tuples(st.integers(0, 10_000),
                           st.sampled_from(["", " ", "\t", ":", "-", "'", '"', "[", "{", "&a",
                                            "*a", "!!", "\n", "#", "\x07", "\ufeff", "é"])),
                 max_size=4)


def test_random_metadata_is_a_config_or_a_located_metadata_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=documents, cuts=edits, flow=st.booleans())
    def check(document, cuts, flow) -> None:
        text = _mutate(yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow),
                       cuts)
        try:
            config = parse_config(text, file="metadata.yaml")
        except MetadataError as error:
            assert error.file == "metadata.yaml"
            assert error.line is not None and 1 <= error.line <= text.count("\n") + 2, str(error)
            assert error.hint, str(error)  # every refusal says how to fix it
            outcomes["refused"] += 1
            return
        assert isinstance(config, AnthologyConfig) and config.stories
        outcomes["config"] += 1

    check()
    # Both ends are the point here: configs that load, and refusals that are located.
    assert outcomes["config"] >= 40 and outcomes["refused"] >= 100, outcomes


def test_random_text_as_metadata_is_a_config_or_a_located_metadata_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=150, deadline=None)
    @given(text=st.text(max_size=300))
    def check(text: str) -> None:
        try:
            parse_config(text, file="metadata.yaml")
        except MetadataError as error:
            assert error.file == "metadata.yaml" and error.line is not None, str(error)
            assert error.hint, str(error)
            outcomes["refused"] += 1
            return
        outcomes["config"] += 1

    check()
    # Random text is almost never a book: what must go through is the refusal's checks.
    assert outcomes["refused"] >= 75, outcomes


def test_the_fragment_list_reaches_every_stage() -> None:
    """The hand-picked fragments, all at once, in a seeded random order, make a book.

    (NUL is left out: so many control characters at once make a binary file.)
    """
    rng = random.Random(2024)
    pieces = [piece for piece in FRAGMENTS if piece != "\x00"] * 3
    rng.shuffle(pieces)
    roots = pipeline(("Title\n\n" + "".join(pieces)).encode())
    assert len(roots) >= 3
