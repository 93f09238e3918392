"""metadata.yaml loading: every refusal is a located MetadataError in plain words.

Cases are data (text, expected line, column, words in the message) so each is
its own test id; the property tests at the end throw random text and random
YAML at the parser and require a config or a MetadataError, nothing else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanbind.choices import TrimName, choices
from fanbind.errors import MetadataError, UsageError
from fanbind.pdf.geometry import page_geometry
from fanbind.settings import (
    AnthologyConfig,
    Category,
    Limits,
    Rating,
    StoryConfig,
    load_config,
    parse_config,
    print_settings,
    with_print_overrides,
)
from fanbind.settings.explain import MAX_REPORTED_PROBLEMS
from fanbind.settings.vocab import normalise_language
from fanbind.units import MIN_LINES, MIN_MEASURE_EM, TRIMS

DATA = Path(__file__).parent / "data" / "metadata"
REPO = Path(__file__).parent.parent

#: One valid story, to which cases append keys (its keys are on lines 3 and 4).
BASE = "title: T\nstories:\n  - file: a.txt\n    author: A\n"


def parse(text: str, **kwargs: Any) -> AnthologyConfig:
    return parse_config(text, file="metadata.yaml", **kwargs)


def refusal(text: str, **kwargs: Any) -> MetadataError:
    with pytest.raises(MetadataError) as info:
        parse(text, **kwargs)
    error = info.value
    assert error.file == "metadata.yaml"
    return error


def assert_says(error: MetadataError, words: tuple[str, ...]) -> None:
    shown = str(error)
    for word in words:
        assert word in shown, f"{word!r} not in:\n{shown}"


# ------------------------------------------------------------- happy paths


def test_full_document_sets_every_key() -> None:
    config = load_config(DATA / "full.yaml")
    assert config.title == "The Whole Thing"
    assert config.subtitle == "Every Key, Once"
    assert config.editors == ("Ed One", "Ed Two")
    assert config.language == "en-GB"
    assert config.description is not None and config.description.startswith("An anthology")
    assert config.publisher == "Test Press"
    assert config.date == dt.date(2024, 5, 31)
    assert config.identifier == "urn:isbn:9780000000002"
    assert config.rights == "CC BY-NC 4.0"
    assert config.cover == "images/cover.jpg"
    assert config.stylesheet == "styles/extra.css"
    assert (config.series, config.series_index) == ("The Series", 2)
    assert config.dash_style == "spaced-en"
    assert config.warnings_display == "end"
    assert config.embed_fonts is True
    p = config.print
    assert (p.trim, p.width, p.height, p.font_size) == ("6x9", "6in", "9in", "11pt")
    assert (p.leading, p.folio, p.bleed, p.crop_marks, p.pad_to) == (1.4, "centre", "3mm", True, 4)
    assert (config.limits.max_story_mb, config.limits.max_stories) == (8, 10)

    first, second = config.stories
    assert first.file == "seeds/001.txt"
    assert first.title == "First"
    assert first.authors == ("Solo Writer",)
    assert first.rating is Rating.TEEN
    assert first.warnings == ("No Archive Warnings Apply",)
    assert first.categories == (Category.MM, Category.GEN)
    assert first.fandoms == ("Naruto", "Boruto: Naruto Next Generations")
    assert first.relationships == ("Hatake Kakashi/Umino Iruka",)
    assert first.characters == ("Hatake Kakashi", "Umino Iruka")
    assert first.tags == ("Fluff", "Angst: With a Happy Ending")
    assert first.summary == "Two lines\nof summary."
    assert (first.notes, first.end_notes) == ("A note.", "An end note.")
    assert first.source == "https://archiveofourown.org/works/123456"
    assert first.published == dt.date(2020, 2, 29)
    assert first.language == "pt-BR"
    assert first.encoding == "cp1252"
    # The second story takes fandoms and language from a merge key (<<: *shared).
    assert second.authors == ("Writer A", "Writer B")
    assert second.fandoms == ("Naruto",)
    assert second.language == "de"
    assert second.rating is Rating.NOT_RATED


def test_positions_point_later_stages_at_the_line_to_edit() -> None:
    config = load_config(DATA / "full.yaml")
    assert config.position("title") == (2, 8)
    assert config.position("editors") == (4, 10)
    assert config.position("stories", 0) == (37, 5)
    assert config.position("stories", 0, "file") == (37, 11)
    assert config.position("stories", 0, "authors") == (39, 13)  # written as `author:`
    assert config.position("stories", 1, "fandoms") == (34, 12)  # merged in from x-shared
    assert config.position("stories", 1, "summary") is None  # not written
    assert AnthologyConfig(title="T", stories=(StoryConfig(file="a", authors=("A",)),)
                           ).position("title") is None


def test_minimal_document_takes_defaults() -> None:
    config = load_config(DATA / "minimal.yaml")
    assert config.language == "en"
    assert config.print.trim == "5.5x8.5"
    assert (config.limits.max_story_mb, config.limits.max_stories) == (64, 5000)
    assert config.stories[0].authors == ("Anonymous",)


def test_the_sample_project_loads() -> None:
    config = load_config(REPO / "metadata.yaml")
    assert len(config.stories) == 5
    assert config.editors == ("The fanbind team",)


def test_models_still_build_from_python() -> None:
    """The preview command builds configs in code, without YAML."""
    story = StoryConfig(file="x.txt", authors=("Anonymous",), encoding=None)
    book = AnthologyConfig(title="Preview", language="en", stories=(story,))
    assert book.stories[0].file == "x.txt"


def test_scalars_are_text_not_yaml_11_guesses() -> None:
    """``1984`` stays a title, ``no`` stays Norwegian, ``0123`` is not octal."""
    config = parse("title: 1984\nlanguage: no\nidentifier: 0123\nseries: 1.10\n" + BASE[9:])
    assert config.title == "1984"
    assert config.language == "no"
    assert config.identifier == "0123"
    assert config.series == "1.10"


@pytest.mark.parametrize(("flag", "expected"), [("yes", True), ("true", True), ("False", False),
                                                ("off", False)])
def test_flags_still_read_as_booleans(flag: str, expected: bool) -> None:
    assert parse(BASE + f"print:\n  crop_marks: {flag}\n").print.crop_marks is expected


def test_a_single_string_is_a_one_item_list() -> None:
    story = parse(BASE + "    tags: Fluff\n    fandoms: Naruto\n").stories[0]
    assert (story.tags, story.fandoms) == (("Fluff",), ("Naruto",))


def test_empty_list_keys_are_empty_lists() -> None:
    assert parse(BASE + "    tags:\n    warnings:\n").stories[0].tags == ()


def test_paths_are_kept_as_written() -> None:
    config = parse("title: T\ncover: ../outside/c.jpg\nstories:\n"
                   "  - file: 'seeds/../seeds/a b.txt'\n    author: A\n")
    assert config.cover == "../outside/c.jpg"
    assert config.stories[0].file == "seeds/../seeds/a b.txt"


def test_extension_keys_hold_anchors_and_are_ignored() -> None:
    config = parse("x-defaults: &d {author: Anon, rating: E}\ntitle: T\nstories:\n"
                   "  - <<: *d\n    file: a.txt\n  - <<: *d\n    file: b.txt\n    rating: G\n")
    assert [s.rating for s in config.stories] == [Rating.EXPLICIT, Rating.GENERAL]
    assert config.stories[0].authors == ("Anon",)


def test_own_authors_override_merged_author() -> None:
    config = parse("x-d: &d {author: Anonymous}\ntitle: T\nstories:\n"
                   "  - <<: *d\n    file: a.txt\n    authors: [X, Y]\n")
    assert config.stories[0].authors == ("X", "Y")


def test_bom_does_not_shift_error_positions() -> None:
    error = refusal("\ufefftitle: T\ntitle: U\n")
    assert (error.line, error.column) == (2, 1)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_config(path).title == "T"


# ------------------------------------------------------------ vocabularies


@pytest.mark.parametrize(("written", "rating"), [
    ("General Audiences", Rating.GENERAL), ("general audiences", Rating.GENERAL),
    ("G", Rating.GENERAL), ("gen", Rating.GENERAL),
    ("Teen And Up Audiences", Rating.TEEN), ("teen and up", Rating.TEEN), ("T", Rating.TEEN),
    ("teen", Rating.TEEN), ("Teen & Up Audiences", Rating.TEEN),
    ("MATURE", Rating.MATURE), ("m", Rating.MATURE),
    ("explicit", Rating.EXPLICIT), ("E", Rating.EXPLICIT),
    ("not rated", Rating.NOT_RATED), ("Not-Rated", Rating.NOT_RATED), ("NR", Rating.NOT_RATED),
])
def test_rating_spellings_normalise(written: str, rating: Rating) -> None:
    assert parse(BASE + f"    rating: {written}\n").stories[0].rating is rating


@pytest.mark.parametrize(("written", "category"), [
    ("M/M", Category.MM), ("m/m", Category.MM), ("mm", Category.MM), ("F/F", Category.FF),
    ("f/m", Category.FM), ("M/F", Category.FM), ("gen", Category.GEN), ("MULTI", Category.MULTI),
    ("other", Category.OTHER),
])
def test_category_spellings_normalise(written: str, category: Category) -> None:
    assert parse(BASE + f"    categories: [{written}]\n").stories[0].categories == (category,)


@pytest.mark.parametrize(("tag", "normal"), [
    ("en", "en"), ("EN", "en"), ("en-GB", "en-GB"), ("EN-gb", "en-GB"), ("pt-BR", "pt-BR"),
    ("pt_br", "pt-BR"), ("zh-Hant", "zh-Hant"), ("ZH-HANT-tw", "zh-Hant-TW"), ("de", "de"),
    ("es-419", "es-419"), ("sl-rozaj-biske", "sl-rozaj-biske"), ("de-CH-1996", "de-CH-1996"),
    ("en-US-x-twain", "en-US-x-twain"), ("ast", "ast"),
])
def test_language_tags_normalise(tag: str, normal: str) -> None:
    assert normalise_language(tag) == normal
    assert parse(f"language: {tag}\n" + BASE).language == normal


@pytest.mark.parametrize("tag", ["english", "e", "en-", "en--GB", "123", "en-GBR-x", "en GB",
                                 "x-klingon-too-long-subtag"])
def test_malformed_language_tags_are_refused(tag: str) -> None:
    error = refusal(f"language: '{tag}'\n" + BASE)
    assert (error.line, error.column) == (1, 11)
    assert_says(error, ("is not a language tag", "BCP 47", "en-GB"))


@pytest.mark.parametrize(("written", "name"), [("utf-8", "utf-8"), ("UTF8", "utf-8"),
                                               ("latin-1", "iso8859-1"), ("cp1252", "cp1252"),
                                               ("Shift_JIS", "shift_jis")])
def test_encodings_are_looked_up(written: str, name: str) -> None:
    assert parse(BASE + f"    encoding: {written}\n").stories[0].encoding == name


@pytest.mark.parametrize(("date", "expected"), [("2024-05-31", dt.date(2024, 5, 31)),
                                                ("2024-5-1", dt.date(2024, 5, 1)),
                                                ("2024-05-31T22:10:00Z", dt.date(2024, 5, 31)),
                                                ("'2024-05-31'", dt.date(2024, 5, 31))])
def test_dates(date: str, expected: dt.date) -> None:
    config = parse(f"date: {date}\n" + BASE + f"    published: {date}\n")
    assert config.date == expected
    assert config.stories[0].published == expected


# --------------------------------------------------------- refusals, by case

S = "stories[1] (a.txt)"  # how the first story of BASE is named in messages

CASES: list[tuple[str, str, int, int | None, tuple[str, ...]]] = [
    # id, text, line, column, words in str(error)
    ("empty", "", 1, None, ("metadata.yaml is empty", "title:", "stories:", "minimal")),
    ("only-comments", "# nothing\n\n# here\n", 1, None, ("is empty", "author: Anonymous")),
    ("only-document-marker", "---\n", 1, None, ("is empty",)),
    ("top-level-list", "- file: a.txt\n", 1, 1, ("must be a mapping", "holds a list")),
    ("top-level-scalar", "just words\n", 1, 1, ("must be a mapping", "'just words'")),
    # malformed YAML
    ("tab-indent", "title: T\nstories:\n\t- file: a\n", 3, 1,
     ("tab is used for indentation", "forbids", "spaces")),
    ("tab-in-story", "title: T\nstories:\n  - file: a\n\t  author: b\n", 4, 1,
     ("tab is used for indentation",)),
    ("tab-after-colon", "title:\tT\n", 1, 7, ("tab character", "spaces")),
    ("bad-indent", "title: T\nstories:\n  - file: a\n   author: b\n", 4, 4,
     ("indentation does not match",)),
    ("colon-in-value", "title: Naruto: The Book\n", 1, 14, ("':' is not allowed here", "quotes")),
    ("unclosed-double-quote", 'title: "Bonds\nstories: []\n', 1, 8,
     ("never closed", '"', "closing")),
    ("unclosed-single-quote", "title: T\nsubtitle: 'Bonds\n", 2, 11, ("never closed", "'")),
    ("unclosed-bracket", "title: T\ntags: [a, b\nstories: []\n", 3, 8,
     ("[brackets] is not closed",)),
    ("unclosed-brace", "print: {trim: 6x9\n", 2, 1, ("{braces} is not closed",)),
    ("undefined-alias", "title: *name\n", 1, 8, ("alias *name", "no anchor &name")),
    ("duplicate-anchor", "a: &x 1\nb: &x 2\n", 2, 4, ("defined twice",)),
    ("two-documents", BASE + "---\ntitle: U\n", 5, 1, ("more than one YAML document",)),
    ("control-char", "title: a\x07b\n", 1, 9, ("character U+0007 (a control character)",)),
    ("bad-escape", 'title: "a\\qb"\n', 1, 11, ("'\\q' is not a known escape", "single quotes")),
    ("at-sign", "title: @home\n", 1, 8, ("cannot start with '@'", "quotes")),
    ("yaml-2", "%YAML 2.0\n---\ntitle: T\n", 1, 1, ("YAML version",)),
    # unknown keys
    ("typo-in-story", BASE + "    ratin: Mature\n", 5, 5,
     (f"{S}.ratin: unknown key 'ratin' — did you mean 'rating'?", "valid keys here: file",
      "author/authors", "counts from 1")),
    ("typo-at-top", "titel: T\n" + BASE, 1, 1,
     ("unknown key 'titel' — did you mean 'title'?", "valid keys here: title")),
    ("capitalised-key", BASE + "    Rating: M\n", 5, 5, ("did you mean 'rating'?",)),
    ("synonym-key", BASE + "    url: https://example.org/\n", 5, 5, ("did you mean 'source'?",)),
    ("story-key-at-top", BASE + "rating: Mature\n", 5, 1,
     ("unknown key 'rating'", "belongs to a story")),
    ("print-typo", BASE + "print:\n  trimm: 6x9\n", 6, 3, ("print.trimm", "did you mean 'trim'?")),
    ("junk-mapping", "title: T\nstories:\n  - {" + ", ".join(f"k{i}: 1" for i in range(30))
     + "}\n", 3, 5, ("30 unknown keys", "does not look like fanbind metadata")),
    # wrong types and missing keys
    ("title-is-list", "title: [a, b]\n" + BASE[9:], 1, 8, ("title: expected text, got a list",)),
    ("title-is-empty", "title:\n" + BASE[9:], 1, 7, ("title: expected text, got nothing",)),
    ("title-is-blank", "title: '  '\n" + BASE[9:], 1, 8, ("title: the value is empty",)),
    ("stories-is-mapping", "title: T\nstories: {file: a.txt}\n", 2, 10,
     ("stories: expected a list, got a mapping",)),
    ("story-is-string", "title: T\nstories:\n  - a.txt\n", 3, 5,
     ("stories[1]: expected a mapping", "'a.txt'", "- file:")),
    ("stories-empty", "title: T\nstories: []\n", 2, 10, ("list at least one story",)),
    ("missing-title", "stories:\n  - file: a.txt\n    author: A\n", 1, 1, ("missing `title:`",)),
    ("missing-stories", "title: T\n", 1, 1, ("missing `stories:`", "minimal")),
    ("missing-file", "title: T\nstories:\n  - author: A\n", 3, 5, ("stories[1]: missing `file:`",)),
    ("author-and-authors", BASE + "    authors: [B]\n", 4, 5,
     (f"{S}.author: give either 'author' or 'authors'",)),
    ("editor-and-editors", "editor: A\neditors: [B]\n" + BASE, 1, 1,
     ("editor: give either 'editor' or 'editors'",)),
    ("empty-author-list", BASE.replace("author: A", "authors: []"), 4, 14,
     ("at least one author",)),
    ("author-item-is-list", BASE.replace("author: A", "authors: [A, [B]]"), 4, 18,
     (f"{S}.authors[2]: expected text, got a list",)),
    ("tag-item-empty", BASE + "    tags: [a, '']\n", 5, 15, (f"{S}.tags[2]: this item is empty",)),
    ("tags-is-mapping", BASE + "    tags: {a: b}\n", 5, 11, ("expected a list, got a mapping",)),
    ("series-index-word", "series_index: two\n" + BASE, 1, 15, ("'two' is not a whole number",)),
    ("leading-negative", BASE + "print:\n  leading: -1\n", 6, 12, ("-1 is out of range",)),
    ("leading-infinite", BASE + "print:\n  leading: .inf\n", 6, 12, ("is not a number",)),
    ("pad-to-small", BASE + "print:\n  pad_to: 1\n", 6, 11, ("at least 2",)),
    ("folio-literal", BASE + "print:\n  folio: left\n", 6, 10,
     ("print.folio: 'left' is not allowed", "'outer', 'centre' or 'center'")),
    ("crop-marks-maybe", BASE + "print:\n  crop_marks: maybe\n", 6, 15, ("not true or false",)),
    # print: cross-field checks, once raised by the layout with no line (issue 12)
    ("width-without-height", BASE + "print: {width: 4in}\n", 5, 9,
     ("print.width: a custom page needs both width and height: height is missing",)),
    ("height-without-width", BASE + "print:\n  trim: 6x9\n  height: 7in\n", 7, 3,
     ("print.height: a custom page needs both width and height: width is missing",)),
    ("page-too-small", BASE + "print: {width: 0.5in, height: 0.5in}\n", 5, 9,
     ("print.width: '0.5in' is out of range", "2in to 20in")),
    ("page-too-tall", BASE + "print: {width: 5in, height: 21in}\n", 5, 21,
     ("print.height: '21in' is out of range",)),
    ("font-size-huge", BASE + "print: {font_size: 100pt}\n", 5, 9,
     ("print.font_size: '100pt' is out of range: the type size must be 6pt to 24pt",)),
    ("font-size-tiny", BASE + "print:\n  font_size: 2pt\n", 6, 3, ("6pt to 24pt",)),
    ("bleed-too-much", BASE + "print:\n  bleed: 1in\n", 6, 3,
     ("print.bleed: '1in' is more than 0.5in of bleed",)),
    ("narrow-for-type", BASE + "print:\n  trim: 5x8\n  font_size: 21pt\n", 7, 3,
     ("print.font_size: the page is too narrow for 21pt type",)),
    ("narrow-custom", BASE + "print:\n  width: 3in\n  height: 5in\n", 6, 3,
     ("print.width: the page is too narrow for 10.5pt type",)),
    ("short-for-leading", BASE + "print:\n  trim: A5\n  leading: 5\n", 7, 3,
     ("print.leading: the page is too short for 10.5pt type at leading 5",
      "fewer than 10 lines")),
    ("trim-unknown", BASE + "print:\n  trim: B5\n", 6, 9,
     ("print.trim: 'B5' is not a trim size fanbind knows", "A5, 5x8")),
    ("max-story-mb-zero", BASE + "limits:\n  max_story_mb: 0\n", 6, 17, ("at least 1",)),
    # vocabularies
    ("rating-pg13", BASE + "    rating: PG-13\n", 5, 13,
     (f"{S}.rating: 'PG-13' is not an AO3 rating",
      "use one of: General Audiences, Teen And Up Audiences, Mature, Explicit, Not Rated")),
    ("rating-list", BASE + "    rating: [M]\n", 5, 13, ("a list is not an AO3 rating",)),
    ("category-unknown", BASE + "    categories: [M/M, slash]\n", 5, 23,
     (f"{S}.categories[2]: 'slash' is not an AO3 category", "F/F, F/M, Gen, M/M, Multi, Other")),
    ("date-impossible", "date: 2024-13-45\n" + BASE, 1, 7,
     ("date: '2024-13-45' is not a real date", "month must be in 1..12", "YYYY-MM-DD")),
    ("date-feb-30", "date: 2023-02-29\n" + BASE, 1, 7, ("is not a real date",)),
    ("published-words", BASE + "    published: next tuesday\n", 5, 16,
     (f"{S}.published: 'next tuesday' is not a date", "YYYY-MM-DD")),
    ("source-not-http", BASE + "    source: ftp://example.org/x\n", 5, 13,
     ("is not a web address", "https://")),
    ("source-no-host", BASE + "    source: https://\n", 5, 13, ("is not a web address",)),
    ("encoding-unknown", BASE + "    encoding: klingon-8\n", 5, 15,
     ("'klingon-8' is not an encoding Python knows", "utf-8", "cp1252")),
    ("encoding-not-text", BASE + "    encoding: base64\n", 5, 15, ("is not a text encoding",)),
    ("story-language", BASE + "    language: english\n", 5, 15,
     (f"{S}.language: 'english' is not a language tag",)),
    ("empty-file-path", BASE.replace("file: a.txt", "file: ''"), 3, 11,
     ("stories[1].file: the value is empty",)),
    ("empty-cover", "cover: ''\n" + BASE, 1, 8, ("cover: the value is empty",)),
    ("empty-stylesheet", "stylesheet: ' '\n" + BASE, 1, 13, ("stylesheet: the value is empty",)),
    # duplicates
    ("duplicate-file", BASE + "  - file: b.txt\n    author: B\n  - file: ./a.txt\n    author: C\n",
     7, 5, ("stories[3] (./a.txt).file: './a.txt' is listed twice", "same file as stories[1]")),
    ("duplicate-key-top", "title: T\ntitle: U\n", 2, 1,
     ("duplicate key 'title'", "already set on line 1", "only the last")),
    ("duplicate-key-story", BASE + "    file: b.txt\n", 5, 5, ("duplicate key 'file'", "line 3")),
    ("duplicate-key-flow", "print: {trim: a, trim: b}\n", 1, 18, ("duplicate key 'trim'",)),
    # hostile YAML
    ("python-object", "title: !!python/object/apply:os.system ['echo pwned']\n", 1, 8,
     ("'!!python/object/apply:os.system' is not allowed", "never run")),
    ("python-name-verbatim", "title: !<tag:yaml.org,2002:python/name:os.system> x\n", 1, 8,
     ("'!!python/name:os.system' is not allowed",)),
    ("tag-directive", "%TAG !p! tag:yaml.org,2002:python/\n---\ntitle: !p!object/new:int []\n",
     3, 8, ("'!!python/object/new:int' is not allowed",)),
    ("local-tag", "title: !secret x\n", 1, 8, ("'!secret' is not allowed",)),
    ("binary-tag", "title: !!binary aGk=\n", 1, 8, ("'!!binary' is not allowed",)),
    ("str-tag-on-mapping", "title: !!str {a: b}\n", 1, 8, ("'!!str' is not allowed",)),
    ("alias-loop", "title: T\nstories: &s [*s]\n", 2, 10, ("endless loop",)),
    ("complex-key", "? [a, b]\n: c\n", 1, 3, ("key must be a plain word",)),
    ("merge-scalar", "<<: 5\n" + BASE, 1, 5, ("'<<' merges mappings",)),
    ("deep-brackets", "a: " + "[" * 10_000, 1, 103, ("nested more than 100 levels",)),
    ("deep-braces", "{a: " * 5_000, 1, 398, ("nested more than 100 levels",)),
    ("surrogate", "title: \ud800\n", 1, 8, ("U+D800 (half of a broken surrogate pair)",)),
    # NEL is a line break to YAML, not to an editor: the one line it shows, then the end.
    ("unseen-breaks", "[{title: {? '\x85      ' : {? '\x85        ' : null}}}\n", 2, 1,
     ("not closed",)),
]


@pytest.mark.parametrize(("text", "line", "column", "words"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_refusals(text: str, line: int, column: int | None, words: tuple[str, ...]) -> None:
    error = refusal(text)
    assert (error.line, error.column) == (line, column), str(error)
    assert_says(error, words)
    assert str(error).startswith(f"metadata.yaml:{line}")


def test_line_breaks_no_editor_shows_read_as_spaces() -> None:
    # Pasted from a web page or a word processor: the words stay apart, the lines
    # a message would name are the editor's.
    config = parse(BASE + '    summary: "one\u2028two\x85three\u2029four"\n')
    assert config.stories[0].summary == "one two three four"
    error = refusal("title: T\x85\x85\nstories: [\n")
    assert error.line == 3, str(error)


def test_python_tags_are_never_run(tmp_path: Path) -> None:
    flag = tmp_path / "ran"
    payload = f"open({str(flag)!r}, 'w').write('x')"
    text = f"title: !!python/object/apply:builtins.exec [{payload!r}]\n" + BASE[9:]
    with pytest.raises(MetadataError):
        parse(text)
    assert not flag.exists()


def test_several_problems_are_reported_together_in_file_order() -> None:
    text = ("title: T\nlanguage: english\nstories:\n"
            "  - file: a.txt\n    author: A\n    rating: PG\n"
            "  - file: b.txt\n    categories: [Q]\n")
    error = refusal(text)
    lines = error.message.splitlines()
    assert lines[0] == "language: 'english' is not a language tag"
    assert lines[1:] == [
        "metadata.yaml:6:13: stories[1] (a.txt).rating: 'PG' is not an AO3 rating",
        "metadata.yaml:8:18: stories[2] (b.txt).categories[1]: 'Q' is not an AO3 category",
    ]
    assert (error.line, error.column) == (2, 11)
    assert error.hint is not None and "General Audiences" in error.hint and "F/F" in error.hint


def test_a_wall_of_errors_stops_early() -> None:
    text = "title: T\nstories:\n" + "".join(f"  - {{file: f{i}.txt, rating: PG}}\n"
                                             for i in range(200))
    error = refusal(text)
    assert len(error.message.splitlines()) == MAX_REPORTED_PROBLEMS + 1
    assert "stopped after" in error.message


def test_messages_quote_hostile_text_safely() -> None:
    error = refusal(BASE + "    rating: \"\\u202eevil\\x1b[31m" + "x" * 500 + "\"\n")
    assert "\u202e" not in str(error) and "\x1b" not in str(error)
    assert len(str(error).splitlines()[0]) < 200


# -------------------------------------------------------------- limits


def peak_memory(action: Callable[[], object]) -> int:
    """Bytes allocated at the peak of ``action`` (a bound on its work, unlike a clock)."""
    tracemalloc.start()
    try:
        with contextlib.suppress(MetadataError):
            action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_billion_laughs_is_refused_before_expanding() -> None:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    error = refusal(text)
    # 9**9 values expanded would take gigabytes; the refusal costs what the file does.
    assert peak_memory(lambda: parse(text)) < 4_000_000
    assert_says(error, ("alias bomb", "FANBIND_MAX_NODES"))


def test_too_many_aliases_are_refused_while_composing() -> None:
    text = "x-a: &a {author: A}\ntitle: T\nstories:\n" + "".join(
        f"  - {{<<: *a, file: f{i}.txt}}\n" for i in range(101))
    error = refusal(text)
    assert (error.line, error.column) == (104, 10)  # the 101st alias
    assert_says(error, ("more than 100 YAML aliases", "FANBIND_MAX_ALIASES"))
    assert len(parse(text, limits=Limits(max_aliases=101)).stories) == 101


def test_merge_key_bomb_is_refused_before_expanding() -> None:
    text = "x-0: &a0 {k0: 1, k1: 2, k2: 3}\n"
    for i in range(1, 10):
        text += f"x-{i}: &a{i} {{<<: [" + ", ".join([f"*a{i - 1}"] * 9) + "]}\n"
    error = refusal(text + BASE)
    assert peak_memory(lambda: parse(text + BASE)) < 4_000_000
    assert_says(error, ("alias bomb",))


def test_nesting_through_aliases_is_bounded() -> None:
    text = "x-0: &d0 " + "[" * 90 + "]" * 90 + "\n"
    for i in range(1, 5):
        text += f"x-{i}: &d{i} " + "[" * 50 + f"*d{i - 1}" + "]" * 50 + "\n"
    assert_says(refusal(text + BASE), ("nests more than 100 levels",))


def test_oversized_text_is_refused_before_parsing() -> None:
    error = refusal("a" * 3_000_000)
    assert_says(error, ("2.0 MB limit", "max_yaml_bytes", "FANBIND_MAX_YAML_BYTES"))


def test_story_count_limit_and_its_override() -> None:
    text = "title: T\nstories:\n" + "".join(f"  - {{file: f{i}, author: a}}\n" for i in range(4))
    error = refusal(text, limits=Limits(max_stories=3))
    assert (error.line, error.column) == (2, 1)
    assert_says(error, ("4 stories, more than the limit of 3", "max_stories: 4"))
    raised = text.replace("title: T\n", "title: T\nlimits: {max_stories: 4}\n")
    assert len(parse(raised, limits=Limits(max_stories=3)).stories) == 4


@pytest.mark.parametrize(("written", "name"), [("a5", "A5"), (" 6 x 9 in", "6x9"),
                                            ("US Letter", "letter")])
def test_trims_are_stored_by_their_preset_name(written: str, name: str) -> None:
    assert parse(BASE + f"print: {{trim: {written}}}\n").print.trim == name


def test_trim_choices_are_the_presets() -> None:
    """The CLI offers the Literal's names; geometry looks them up in TRIMS."""
    assert choices(TrimName) == tuple(TRIMS)


def test_every_page_the_settings_allow_can_be_laid_out() -> None:
    """The schema assumes the thickest book's gutter, so the layout never meets a page
    without room for its text, whatever the book's length."""
    accepted = refused = 0
    for width, height, size in itertools.product((2, 2.75, 3.5, 4.25, 6, 9, 20),
                                                 (2, 3, 4.5, 7, 20), (6, 9, 12, 18, 24)):
        text = BASE + f"print: {{width: {width}in, height: {height}in, font_size: {size}pt}}\n"
        try:
            config = parse(text)
        except MetadataError:
            refused += 1
            continue
        accepted += 1
        for pages in (10, 400, 5000):
            geo = page_geometry(config.print, pages=pages)
            assert geo.measure >= MIN_MEASURE_EM * geo.font_size - 1e-9
            assert geo.lines >= MIN_LINES
    assert accepted > 60 and refused > 60


def test_command_line_values_are_usage_errors_naming_the_option() -> None:
    config = parse(BASE)
    with pytest.raises(UsageError) as info:
        with_print_overrides(config, {"trim": "B5", "width": None, "height": None},
                             file="metadata.yaml")
    assert str(info.value).startswith("--trim: 'B5' is not a trim size fanbind knows")
    with pytest.raises(UsageError, match=r"^--sheets: 9 is out of range"):
        with_print_overrides(config, {"sheets_per_signature": 9})
    with pytest.raises(UsageError, match=r"^--pdf-variant: 'pdf/x' is not allowed"):
        print_settings({"pdf_variant": "pdf/x"})
    assert with_print_overrides(config, {"trim": "a4"}).print.trim == "A4"


def test_a_file_value_refused_next_to_an_option_points_at_its_line() -> None:
    config = parse(BASE + "print:\n  font_size: 21pt\n")  # fits 5.5x8.5, not 5x8
    with pytest.raises(MetadataError) as info:
        with_print_overrides(config, {"trim": "5x8", "width": None, "height": None},
                             file="metadata.yaml")
    error = info.value
    assert (error.file, error.line, error.column) == ("metadata.yaml", 6, 14)
    assert_says(error, ("print.font_size: the page is too narrow", "command line's --trim"))


def test_limits_from_environment() -> None:
    limits = Limits.from_env({"FANBIND_MAX_YAML_BYTES": "10_000", "FANBIND_MAX_ALIASES": " 7 "})
    assert (limits.max_yaml_bytes, limits.max_aliases, limits.max_stories) == (10_000, 7, 5000)
    with pytest.raises(MetadataError, match="FANBIND_MAX_STORIES"):
        Limits.from_env({"FANBIND_MAX_STORIES": "lots"})
    with pytest.raises(MetadataError, match="positive whole number"):
        Limits.from_env({"FANBIND_MAX_DEPTH": "0"})


# --------------------------------------------------------------- the file


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MetadataError) as info:
        load_config(tmp_path / "metadata.yaml", display_name="metadata.yaml")
    assert info.value.file == "metadata.yaml"
    assert_says(info.value, ("not found", "fanbind init"))


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="folder"):
        load_config(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_file_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "metadata.yaml"
    os.mkfifo(fifo)
    with pytest.raises(MetadataError, match="not a regular file"):
        load_config(fifo)  # opening a FIFO for reading would block forever


def test_fifty_megabyte_file_is_refused_by_size(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    with path.open("wb") as handle:  # sparse: costs no disk, and is never read
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(MetadataError) as info:
        load_config(path, display_name="metadata.yaml")
    assert peak_memory(lambda: load_config(path)) < 1_000_000  # never read
    assert_says(info.value, ("50.0 MB", "more than the 2.0 MB limit", "FANBIND_MAX_YAML_BYTES"))


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_text(BASE, encoding="utf-8")
    with pytest.raises(MetadataError, match="more than the 10 bytes limit"):
        load_config(path, limits=Limits(max_yaml_bytes=10))


def test_non_utf8_bytes_name_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_bytes(b"title: T\nsubtitle: caf\xe9 au lait\n")
    with pytest.raises(MetadataError) as info:
        load_config(path, display_name="metadata.yaml")
    error = info.value
    assert (error.line, error.column) == (2, 14)
    assert_says(error, ("not valid UTF-8", "byte 0xE9 at byte offset 22", "save the file as UTF-8"))


def test_utf16_file_gets_a_specific_hint(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_bytes(BASE.encode("utf-16"))
    with pytest.raises(MetadataError, match="UTF-16"):
        load_config(path)


# ------------------------------------------------------------- properties

#: Values a metadata field might plausibly hold, right and wrong.
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.dates(), st.text(max_size=20),
    st.sampled_from(["Mature", "PG-13", "M/M", "en-GB", "english", "2024-13-45", "utf-8",
                     "https://example.org/", "", " ", "seeds/a.txt", "<<", "~", "*a"]),
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_word = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=15).filter(
    str.strip)
#: Per key: a right value (so some documents are valid), or anything at all.
_RIGHT = {
    "authors": st.lists(_word, min_size=1, max_size=3),
    "rating": st.sampled_from(["Mature", "T", "explicit", "Not Rated"]),
    "categories": st.lists(st.sampled_from(["M/M", "gen", "F/F"]), max_size=2),
    "tags": st.lists(_word, max_size=3), "published": st.dates(),
    "language": st.sampled_from(["en", "de-AT", "zh-hant"]), "encoding": st.just("utf-8"),
    "source": st.just("https://archiveofourown.org/works/1"), "ratin": _values,
}
_story = st.fixed_dictionaries(
    {"file": st.one_of(st.sampled_from(["a.txt", "b.txt", "./a.txt", "c.txt"]), _values),
     "author": st.one_of(_word, _values)},
    optional={key: st.one_of(right, right, _values) for key, right in _RIGHT.items()},
)
_document = st.fixed_dictionaries(
    {"title": st.one_of(_word, _word, _values),
     "stories": st.one_of(st.lists(_story, min_size=1, max_size=3), _values)},
    optional={"language": st.one_of(st.just("en-GB"), _values), "date": st.one_of(st.dates(),
              _values), "print": _values, "limits": _values, "editor": _values,
              "titel": _values},
)
#: Books with only right values: alone, _document is valid for one draw in twenty or so.
_book = st.fixed_dictionaries(
    {"title": _word,
     "stories": st.lists(st.fixed_dictionaries(
         {"file": st.sampled_from(["a.txt", "b.txt", "c.txt"]), "author": _word},
         optional={key: right for key, right in _RIGHT.items() if key != "ratin"}),
         min_size=1, max_size=3, unique_by=lambda story: story["file"])},
)


def _check_outcome(text: str) -> str:
    """``"config"`` or ``"refused"``, each checked; the tests count them and assert a floor
    (about half of a typical run), so neither branch can go untested unnoticed."""
    try:
        config = parse_config(text, file="fuzz.yaml")
    except MetadataError as error:
        assert error.file == "fuzz.yaml"
        assert error.line is not None and error.line >= 1, str(error)
        assert error.message
        return "refused"
    assert isinstance(config, AnthologyConfig)
    assert config.stories
    return "config"


def test_random_text_is_config_or_located_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(max_size=300))
    def check(text: str) -> None:
        outcomes[_check_outcome(text)] += 1

    check()
    assert outcomes["refused"] >= 100, outcomes


def test_yaml_punctuation_soup_is_config_or_located_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(alphabet=st.sampled_from([*"ab:- \n\t[]{},'\"&*!<>|#%@`?~\\", "\ufeff"]),
                   max_size=200))
    def check(text: str) -> None:
        outcomes[_check_outcome(text)] += 1

    check()
    assert outcomes["refused"] >= 100, outcomes


@pytest.mark.parametrize("escape", ["\\U7fffffff", "\\U00110000"])
def test_an_escape_past_the_last_character_is_a_located_error(escape: str) -> None:
    # Found by test_fuzz's metadata property: PyYAML's scanner let a ValueError out.
    text = f'title: T\nstories:\n  - file: a.txt\n    summary: "ok {escape}"\n'
    with pytest.raises(MetadataError) as caught:
        parse_config(text, file="metadata.yaml")
    assert caught.value.line == 4 and caught.value.hint
    assert "U+10FFFF" in str(caught.value)


def test_random_documents_are_config_or_located_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(_document, _book), st.booleans())
    def check(document: dict[str, Any], flow: bool) -> None:
        text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
        outcomes[_check_outcome(text)] += 1

    check()
    # A floor on each outcome, so the test fails if every input ends the same way. Over
    # 30 seeds the configs ran 26-70 of 200 (a floor of 25 failed one run in ~10).
    assert outcomes["config"] >= 10 and outcomes["refused"] >= 60, outcomes


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Mature", "T", "g", "Explicit", "not rated"]), min_size=1,
                max_size=5))
def test_valid_documents_round_trip(ratings: list[str]) -> None:
    """Generated *valid* documents load, keeping order and normalising ratings."""
    document = {"title": "T", "stories": [{"file": f"s{i}.txt", "author": "A", "rating": r}
                                          for i, r in enumerate(ratings)]}
    config = parse_config(yaml.safe_dump(document), file="ok.yaml")
    assert [s.file for s in config.stories] == [f"s{i}.txt" for i in range(len(ratings))]
    assert all(isinstance(s.rating, Rating) for s in config.stories)


# ------------------------------------------------------------ the command line


def test_check_reports_a_page_the_layout_would_refuse(tmp_path: Path) -> None:
    """``print: {width: 4in}`` used to pass ``check`` and fail the build with no line."""
    from typer.testing import CliRunner

    from fanbind.cli import app

    (tmp_path / "a.txt").write_text("A story.\n\nIt ends.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text(BASE + "print: {width: 4in}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert "metadata.yaml:5:9: print.width: a custom page needs both width and height" \
        in result.output
