"""Line breaks in the print PDF (issue 16): dashes, last words, URLs, names, exceptions.

Each test lays out a one-story book on the narrow 5x8 trim (a second or two)
whose text is made so that, without :mod:`fanbind.pdf.linebreaks`, the fault
shows up several times, and reads the lines back from the PDF with pypdfium2.
The paragraphs rotate their words so that line ends fall at different places.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pyphen
import pytest
import yaml
from lxml import etree
from tests.test_pdf import Built, build_pdf, read_pages, spelled_text

from fanbind.errors import MetadataError
from fanbind.pdf.kept_words import KeptWordsPyphen
from fanbind.pdf.linebreaks import Hyphenation, tie_breaks
from fanbind.render import XHTML_NS
from fanbind.settings import parse_config

HYPHENS = ("\u2010", "-", "\u00ad")
WORDS = ["the", "harbour", "lanterns", "were", "counted", "slowly", "while", "ferrymen",
         "argued", "about", "weather", "and", "tides", "and", "the", "price", "of", "apples",
         "in", "winter"]


def rotate(index: int, count: int = 14) -> list[str]:
    start = (index * 5) % len(WORDS)
    return [WORDS[(start + k) % len(WORDS)] for k in range(count + index % 7)]


def write_book(root: Path, text: str, **extra: Any) -> Path:
    (root / "texts").mkdir(parents=True, exist_ok=True)
    (root / "texts" / "story.txt").write_text(text, encoding="utf-8")
    story = {"file": "texts/story.txt", "title": "Breaks", "authors": ["Ada Lind"],
             **extra.pop("story", {})}
    meta = {"title": "Line Breaks", "language": "en", "print": {"trim": "5x8"},
            "stories": [story], **extra}
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                        encoding="utf-8")
    return root


def body_lines(built: Built) -> list[str]:
    """The text block's lines of every page, in order (heads and folios left out)."""
    return [line for page in read_pages(built.path, built.layout.geometry) for line in page.body]


# ---------------------------------------------------------------------- dashes


def dashed_text() -> str:
    """Speech broken off with closed em dashes, every paragraph ending on "—”"."""
    paragraphs = []
    for i in range(40):
        words = rotate(i, 20)
        for cut in range(2 + i % 3, len(words) - 1, 3):
            words[cut] += "\u2014"
        paragraphs.append("\u201c" + " ".join(words).replace("\u2014 ", "\u2014") + "\u2014\u201d")
    return "\n\n".join(paragraphs)


def test_no_line_starts_with_a_closed_em_dash_or_holds_only_punctuation(tmp_path: Path) -> None:
    lines = body_lines(build_pdf(write_book(tmp_path, dashed_text())))
    assert sum("\u2014" in line for line in lines) > 40, lines  # the dashes are all set
    assert [line for line in lines if line.startswith("\u2014")] == []
    assert [line for line in lines if not re.search(r"\w", line)] == []


# ---------------------------------------------------------------------- last words


LONG_LAST = ["understanding", "situation", "remembering", "particularly", "extraordinary",
             "unfortunately", "neighbourhood", "conversation"]


def last_word_text() -> str:
    return "\n\n".join(" ".join(rotate(i, 10 + i % 11)) + " " + LONG_LAST[i % 8] + "."
                       for i in range(60))


def test_a_paragraphs_last_word_is_never_hyphenated(tmp_path: Path) -> None:
    lines = body_lines(build_pdf(write_book(tmp_path, last_word_text())))
    broken = [(line, following) for line, following in itertools.pairwise(lines)
              if line.endswith(HYPHENS)]
    assert broken, "the text should hyphenate some words (else the test proves nothing)"
    # A one-word line after a hyphenated one is a paragraph's broken last word.
    assert [pair for pair in broken if " " not in pair[1]] == []


# ---------------------------------------------------------------------- URLs

URLS = ["https://archiveofourown.org/works/48213597/chapters/121553287",
        "archiveofourown.org/users/somebodysomewhere/pseuds/somebodysomewhere",
        "www.fanfiction.net/s/13512345/1/Twelve_Ways_Through_the_Harbour"]


def url_text() -> str:
    return "\n\n".join(" ".join(rotate(i, 4 + i % 9)) + f" at {URLS[i % 3]}, "
                       + " ".join(rotate(i + 3, 6)) + "." for i in range(24))


def test_urls_break_after_a_slash_or_before_a_dot_without_a_hyphen(tmp_path: Path) -> None:
    text = "\n".join(body_lines(build_pdf(write_book(tmp_path, url_text()))))
    breaks = 0
    for url in URLS:
        # The URL as set, with a line break (and perhaps a false hyphen) anywhere.
        pattern = "(?:[\u2010-]?\n)?".join(re.escape(char) for char in url)
        found = re.findall(pattern, text)
        assert len(found) == 8, (url, found)
        for setting in found:
            for match in re.finditer(r"[\u2010-]?\n", setting):
                breaks += 1
                before, after = setting[match.start() - 1], setting[match.end()]
                assert match.group() == "\n", ("hyphenated", setting)
                assert before == "/" or after == ".", ("broken inside a name", setting)
    assert breaks >= 10, "the URLs should have to break on a 5x8 page"


def test_the_epub_keeps_its_text_untouched(tmp_path: Path) -> None:
    """Word joiners and zero-width spaces go into the print tree only."""
    built = build_pdf(write_book(tmp_path, dashed_text() + "\n\n" + url_text()))
    text = "".join("".join(doc.root.itertext()) for doc in built.documents)
    assert "\u2060" not in text and "\u200b" not in text
    assert "fb-keep" not in b"".join(etree.tostring(doc.root) for doc in built.documents).decode()


def paragraph(markup: str) -> etree._Element:
    html = etree.fromstring(f'<html xmlns="{XHTML_NS}"><body><p>{markup}</p></body></html>')
    return html


@pytest.mark.parametrize(("markup", "expected"), [
    ("one two—three", "one two\u2060—three"),
    ("she said, “Wait—”", "she said, “Wait\u2060—”"),
    ("<em>Wait</em>—and", "Wait\u2060—and"),
    ("a dash — spaced", "a dash — spaced"),
    ("<em>—</em> opening", "— opening"),
])
def test_closed_dashes_are_joined_to_the_word_before(markup: str, expected: str) -> None:
    html = paragraph(markup)
    tie_breaks(html)
    assert "".join(html.itertext()) == expected


def test_the_last_word_span_holds_the_word_and_its_punctuation() -> None:
    # and the space before the word (see linebreaks._LAST_WORD; test_pdf's
    # test_sample_paragraphs_never_break_after_one_word shows why)
    html = paragraph("It was <em>very</em> extraordinary.” ")
    tie_breaks(html)
    span = html.find(f".//{{{XHTML_NS}}}span")
    assert span is not None and span.text == " extraordinary.” "
    assert "".join(html.itertext()) == "It was very extraordinary.” "
    last_in_em = paragraph("It was <em>very extraordinary</em>.")
    tie_breaks(last_in_em)
    em = last_in_em.find(f".//{{{XHTML_NS}}}em")
    assert em is not None and em[0].text == " extraordinary" and em.tail == "."


def test_word_rules_from_settings() -> None:
    rules = Hyphenation.from_settings(["Kakashi"], ["ta-ble-top"],
                                      ["Hatake Kakashi/Umino Iruka", "Tenzou & Yamato"])
    assert rules.never == {"Kakashi", "Hatake", "Umino", "Iruka", "Tenzou", "Yamato"}
    assert rules.exceptions == (("tabletop", (2, 5)),)
    html = paragraph("Iruka set the Tabletop down. Kakashi’s turn, then.")
    tie_breaks(html, rules)
    spans = [(s.get("class"), s.text) for s in html.iter(f"{{{XHTML_NS}}}span")]
    assert ("fb-keep fb-exception", "Ta\u00adble\u00adtop") in spans
    # Names get no span: the layout's dictionary keeps them (fanbind.pdf.kept_words).
    assert not any(text in ("Iruka", "Kakashi") for _, text in spans)
    kept = KeptWordsPyphen(rules.never, pyphen).Pyphen(lang="en_US", left=3, right=3)
    assert list(kept.iterate("Kakashi’s")) == [] and list(kept.iterate("IRUKA")) == []
    assert list(kept.iterate("extraordinary")), "other words keep pyphen's break points"


# ---------------------------------------------------------------------- word rules

NEVER = "Wolfeschlegelsteinhausen"
NAME = "Featherstonehaugh"  # from a story's characters:
EXCEPTION = "extra-ordinarily"  # pyphen: ex-tra-or-di-nar-i-ly


def word_rules_text() -> str:
    return "\n\n".join(" ".join(rotate(i, 3 + i % 5)) + f" {NEVER} "
                       + " ".join(rotate(i + 1, 2 + i % 3)) + f" {NAME}’s "
                       + " ".join(rotate(i + 2, 1 + i % 4)) + " extraordinarily "
                       + " ".join(rotate(i + 3, 3)) + "." for i in range(40))


def line_breaks(lines: list[str]) -> list[tuple[str, int]]:
    """(word, letters before the break) for every line ending in a hyphen."""
    found = []
    for line, following in itertools.pairwise(lines):
        if line.endswith(HYPHENS) and re.match(r"\w", following):
            head = re.findall(r"\w+", line)[-1]
            found.append((head + re.findall(r"\w+", following)[0], len(head)))
    return found


def test_never_words_and_names_stay_whole_and_exceptions_break_at_their_points(
        tmp_path: Path) -> None:
    root = write_book(tmp_path, word_rules_text(),
                      hyphenation={"never": [NEVER], "exceptions": [EXCEPTION]},
                      story={"characters": [f"Ada {NAME}"], "relationships": ["Ada/Bo"]})
    breaks = line_breaks(body_lines(build_pdf(root)))
    assert len(breaks) >= 5, breaks  # the text does hyphenate (10 lines on the test machine)
    assert [word for word, _ in breaks if word in (NEVER, NAME)] == []
    assert [at for word, at in breaks if word == "extraordinarily"] != []
    assert {at for word, at in breaks if word == "extraordinarily"} == {5}


def test_without_word_rules_the_same_words_do_break(tmp_path: Path) -> None:
    """The test above can fail: the same book without the rules splits those words."""
    breaks = line_breaks(body_lines(build_pdf(write_book(tmp_path, word_rules_text()))))
    words = {word for word, _ in breaks}
    assert NEVER in words and NAME in words, breaks
    assert {at for word, at in breaks if word == "extraordinarily"} - {5}, breaks


@pytest.mark.parametrize("entry", ["table top", "tabletop", "ta--ble", "-ta", "ta-ble-", "1-2"])
def test_an_exception_must_be_one_word_with_its_break_points(entry: str) -> None:
    text = f"title: T\nhyphenation:\n  exceptions: [ta-ble-top, \"{entry}\"]\n" \
           "stories:\n  - file: a.txt\n    author: A\n"
    with pytest.raises(MetadataError) as info:
        parse_config(text, file="metadata.yaml")
    assert (info.value.file, info.value.line) == ("metadata.yaml", 3)
    assert "hyphenation.exceptions[2]" in str(info.value)  # counted from 1
    assert "ta-ble-top" in str(info.value)  # the hint shows how


def test_word_rule_lists_are_bounded() -> None:
    words = ", ".join(f"w{i}" for i in range(201))
    text = f"title: T\nhyphenation:\n  never: [{words}]\nstories:\n  - file: a.txt\n    author: A\n"
    with pytest.raises(MetadataError, match="more than the limit of 200"):
        parse_config(text, file="metadata.yaml")
    config = parse_config("title: T\nhyphenation: {never: Kakashi, exceptions: [ta-ble-top]}\n"
                          "stories:\n  - file: a.txt\n    author: A\n", file="metadata.yaml")
    assert config.hyphenation.never == ("Kakashi",)
    assert config.hyphenation.exceptions == ("ta-ble-top",)


@pytest.mark.parametrize(("book", "story", "patterns"), [
    ("en-GB", "en", "en_US"), ("en", "en-GB", "en_GB"), ("en-GB", None, "en_GB")])
def test_a_storys_bare_en_is_american_and_its_region_is_kept(
        tmp_path: Path, book: str, story: str | None, patterns: str) -> None:
    root = write_book(tmp_path, spelled_text(), language=book,
                      story={"language": story} if story else {})
    breaks = line_breaks(body_lines(build_pdf(root)))
    chosen, other = pyphen.Pyphen(lang=patterns), pyphen.Pyphen(
        lang="en_GB" if patterns == "en_US" else "en_US")
    assert breaks
    assert [(w, at) for w, at in breaks if at not in chosen.positions(w.lower())] == []
    assert [(w, at) for w, at in breaks if at not in other.positions(w.lower())] != []
