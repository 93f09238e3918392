"""Tests for the typography stage: the rule tables, the engine, and the English cases.

Three sources of cases: each rule's own examples (one test per example, checked
against the whole table *and* against which rule fired), the shared TSV of English
cases (``tests/data/typography-cases.tsv``), and hypothesis properties (never raises,
idempotent, keeps every letter and digit, keeps the node structure).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanbind.model import Emphasis, Heading, Inline, Origin, Paragraph, SceneBreak, Text
from fanbind.text.settings import TextSettings
from fanbind.text.typography import en, locales, typeset_blocks, typeset_inlines, typeset_text
from fanbind.text.typography.rules import Rule, apply_table

CASES_FILE = Path(__file__).parent / "data" / "typography-cases.tsv"
LOCALE_CASES = Path(__file__).parent / "data" / "locales"
NBSP = "\u00a0"
NNBSP = "\u202f"

# ----------------------------------------------------------------- rule examples


def _distinct_tables() -> dict[str, tuple[Rule, ...]]:
    """Each table once (a language with its own dash has one table for both dash styles)."""
    seen: dict[int, str] = {}
    tables: dict[str, tuple[Rule, ...]] = {}
    for (language, dash_style), table in locales.TABLES.items():
        if id(table) not in seen:
            seen[id(table)] = language
            name = language if locales.LOCALES[language].between != locales.BOOK_DASH \
                else f"{language}-{dash_style}"
            tables[name] = table
    return tables


TABLES = _distinct_tables()


def _example_params() -> list:
    """English examples one test each; other tables one test per rule, looping its examples."""
    params = []
    for name, table in TABLES.items():
        for rule in table:
            if name.startswith("en-"):
                prefix = "" if name == "en-em" else f"{name}:"
                for index, example in enumerate(rule.examples):
                    params.append(pytest.param(table, rule, (example,),
                                               id=f"{prefix}{rule.name}{index}"))
            else:
                params.append(pytest.param(table, rule, rule.examples, id=f"{name}:{rule.name}"))
    return params


def _check_example(table: tuple[Rule, ...], rule: Rule, source: str, expected: str) -> None:
    counts: Counter[str] = Counter()
    result, _ = apply_table(table, source, (), counts)
    assert result == expected
    if source == expected:
        assert counts[rule.name] == 0, f"{rule.name} fired on a negative example"
    else:
        assert counts[rule.name] > 0, f"{rule.name} did not fire; changes came from {counts}"
    again, _ = apply_table(table, result)
    assert again == result, "not idempotent"


@pytest.mark.parametrize(("table", "rule", "examples"), _example_params())
def test_rule_example(
    table: tuple[Rule, ...], rule: Rule, examples: tuple[tuple[str, str], ...]
) -> None:
    """Each example holds for the whole table, and its rule fires exactly when it should.

    A positive example (output differs from input) must be changed by *this* rule; a
    negative one (output equals input) must leave the rule silent.
    """
    assert examples
    for source, expected in examples:
        _check_example(table, rule, source, expected)


def test_every_example_is_checked() -> None:
    """The report's count: every example of every distinct table is in some test."""
    checked = sum(len(param.values[2]) for param in _example_params())
    total = sum(len(rule.examples) for table in TABLES.values() for rule in table)
    assert checked == total
    assert locales.TABLES[("en-GB", "em")] is en.TABLES["em"]  # en-GB types as English
    assert sum(len(rule.examples) for rule in en.TABLES["em"]) >= 120


@pytest.mark.parametrize(("key", "table"), list(TABLES.items()), ids=str)
def test_tables_are_data(key: tuple[str, str], table: tuple[Rule, ...]) -> None:
    """Every rule is named, says why in one line, and has positive and negative examples."""
    names = [rule.name for rule in table]
    assert len(names) == len(set(names)), f"duplicate rule names in {key}"
    for rule in table:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
        assert rule.why and "\n" not in rule.why
        assert isinstance(rule.pattern, re.Pattern)
        assert any(a != b for a, b in rule.examples), f"{rule.name} has no positive example"
        assert any(a == b for a, b in rule.examples), f"{rule.name} has no negative example"


def test_english_rule_order() -> None:
    """The order is part of the table: apostrophes before quotes, spacing last."""
    assert [rule.name for rule in en.TABLES["em"]] == [
        "collapse-spaces",
        "ellipsis",
        "withheld-letters",
        "withheld-word",
        "number-range",
        "em-dash",
        "spaced-dash",
        "dangling-dash",
        "primes",
        "elision",
        "decade",
        "apostrophe",
        "double-quotes",
        "single-quotes",
        "space-before-punctuation",
    ]
    spaced = [rule.name for rule in en.TABLES["spaced-en"]]
    assert spaced.index("closed-dash") == spaced.index("em-dash") + 1


def test_patterns_are_compiled_once() -> None:
    """Building a table again reuses the module's compiled patterns."""
    rebuilt = en.english_table("em")
    for old, new in zip(en.TABLES["em"], rebuilt, strict=True):
        assert old.pattern is new.pattern


# ------------------------------------------------------------------ the TSV cases

_EMPHASIS = re.compile(r"\*([^*]+)\*")


def _inlines(text: str) -> tuple[Inline, ...]:
    """``*word*`` in a case becomes an Emphasis node, so cases can split text runs."""
    spans: list[Inline] = []
    pos = 0
    for match in _EMPHASIS.finditer(text):
        if match.start() > pos:
            spans.append(Text(text[pos : match.start()]))
        spans.append(Emphasis((Text(match.group(1)),)))
        pos = match.end()
    if pos < len(text) or not spans:
        spans.append(Text(text[pos:]))
    return tuple(spans)


def _render(inlines: tuple[Inline, ...]) -> str:
    return "".join(
        span.text if isinstance(span, Text) else "*" + _render(span.children) + "*"
        for span in inlines
    )


def _load_cases() -> list:
    params = []
    for number, line in enumerate(CASES_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        source, expected, why = line.split("\t")
        params.append(pytest.param(source, expected, id=f"line{number}-{why[:40]}"))
    return params


CASES = _load_cases()


def _typeset_case(source: str) -> str:
    blocks = tuple(Paragraph(_inlines(part)) for part in source.split("\\n"))
    out = typeset_blocks(blocks)
    return "\\n".join(_render(block.inlines) for block in out)


def test_case_file_has_own_cases() -> None:
    assert len(CASES) >= 31 + 25


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_case(source: str, expected: str) -> None:
    assert _typeset_case(source) == expected


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_case_is_idempotent(source: str, expected: str) -> None:
    for paragraph in source.split("\\n"):
        once = typeset_text(paragraph)
        assert typeset_text(once) == once
    assert _typeset_case(expected) == expected


# --------------------------------------------------------- blocks and inline nodes


def test_quote_context_crosses_emphasis() -> None:
    paragraph = Paragraph(
        (Text('"'), Emphasis((Text("Hello"),)), Text(',"\u0020she said.')),
        Origin("story.txt", 7),
    )
    (out,) = typeset_blocks((paragraph,))
    assert out == Paragraph(
        (Text("“"), Emphasis((Text("Hello"),)), Text(",” she said.")), Origin("story.txt", 7)
    )


def test_nested_emphasis_structure_is_kept() -> None:
    inlines = (
        Text("He said, "),
        Emphasis((Text('"no '), Emphasis((Text("way"),)), Text('"'))),
        Text(" -- and left..."),
    )
    out = typeset_inlines(inlines)
    assert out == (
        Text("He said, "),
        Emphasis((Text("“no "), Emphasis((Text("way"),)), Text("”"))),
        Text("—and left…"),
    )


def test_substitution_across_a_node_boundary_is_skipped() -> None:
    """``-`` + ``-`` split by emphasis cannot become one dash without merging nodes."""
    inlines = (Text("a-"), Emphasis((Text("-b"),)))
    assert typeset_inlines(inlines) == inlines


def test_headings_typeset_scene_breaks_unchanged() -> None:
    breaks = SceneBreak(Origin("s.txt", 3))
    blocks = (Heading((Text("Kakashi's POV"),)), breaks, Paragraph(()))
    out = typeset_blocks(blocks)
    assert out[0] == Heading((Text("Kakashi’s POV"),))
    assert out[1] is breaks
    assert out[2] == Paragraph(())


def test_counts_by_rule() -> None:
    counts: Counter[str] = Counter()
    blocks = (Paragraph((Text('"It\'s late..." he said -- twice.'),)), Paragraph((Text("'90s"),)))
    typeset_blocks(blocks, counts=counts)
    assert counts == Counter(
        {
            "double-quotes": 2,
            "apostrophe": 1,
            "ellipsis": 1,
            "em-dash": 1,
            "spaced-dash": 1,
            "decade": 1,
        }
    )


def test_spaced_en_dash_style() -> None:
    assert typeset_text("He paused -- then ran.", TextSettings(dash_style="spaced-en")) == (
        f"He paused{NBSP}– then ran."
    )
    spaced = TextSettings(dash_style="spaced-en")
    assert typeset_text("hope—hope", spaced) == f"hope{NBSP}– hope"
    assert typeset_text('"I\'m not in lo--"', spaced) == "“I’m not in lo—”"
    assert typeset_text("Pages 10-20", spaced) == "Pages 10–20"


def test_unknown_dash_style_is_an_error() -> None:
    with pytest.raises(ValueError, match="dash style"):
        typeset_text("a", TextSettings(dash_style="hyphen"))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "“Hi,” she said, ‘no.’"),
        ("en-GB", "“Hi,” she said, ‘no.’"),
        ("de-AT", "„Hi,“ she said, ‚no.‘"),
        ("DE", "„Hi,“ she said, ‚no.‘"),
        ("fr-CA", "«\u202fHi,\u202f» she said, “no.”"),
        ("ja", "“Hi,” she said, ‘no.’"),
        ("", "“Hi,” she said, ‘no.’"),
        ("xx-bogus", "“Hi,” she said, ‘no.’"),
        ("de-CH", "«Hi,» she said, ‹no.›"),
        ("sv", "”Hi,” she said, ’no.’"),
        ("fi-FI", "”Hi,” she said, ’no.’"),
        ("da", "»Hi,« she said, ›no.‹"),
        ("nb", "«Hi,» she said, ‘no.’"),
        ("pl", "„Hi,” she said, «no.»"),
        ("cs", "„Hi,“ she said, ‚no.‘"),
        ("ru", "«Hi,» she said, „no.“"),
        ("uk", "«Hi,» she said, „no.“"),
        ("es", "«Hi,» she said, “no.”"),
        ("it", "«Hi,» she said, “no.”"),
        ("pt", "«Hi,» she said, “no.”"),
        ("pt-BR", "“Hi,” she said, ‘no.’"),
        ("nl", "“Hi,” she said, ‘no.’"),
    ],
)
def test_quote_style_by_language(language: str, expected: str) -> None:
    assert typeset_text("\"Hi,\" she said, 'no.'", TextSettings(language=language)) == expected


def test_german_keeps_its_closing_quote() -> None:
    """In German “ closes; the English wrong-facing fix must not turn it round."""
    assert typeset_text("„Hallo“, sagte er.", TextSettings(language="de")) == "„Hallo“, sagte er."


def test_german_apostrophes_are_not_closing_quotes() -> None:
    """German closes single quotes with ‘, which is not its apostrophe (’)."""
    german = TextSettings(language="de")
    assert typeset_text("die '90er, Hans' Auto", german) == "die ’90er, Hans’ Auto"
    assert typeset_text("„Naruto“'s Ramen", german) == "„Naruto“’s Ramen"
    assert typeset_text("Er sagte 'ja' dazu.", german) == "Er sagte ‚ja‘ dazu."


def test_french_spacing() -> None:
    """French: narrow no-break spaces before ; ! ? and inside « », a no-break space before :."""
    assert typeset_text("Quoi ?", TextSettings(language="fr")) == f"Quoi{NNBSP}?"
    assert typeset_text("Quoi?", TextSettings(language="fr-CA")) == f"Quoi{NNBSP}?"
    assert typeset_text("Il dit : « non ».", TextSettings(language="fr")) == (
        f"Il dit{NBSP}: «{NNBSP}non{NNBSP}»."
    )
    assert typeset_text("Quoi ?") == "Quoi?"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"), ("en-US", "en"), ("en-GB", "en-GB"), ("en-AU", "en-GB"),
        ("de-AT", "de"), ("de-CH", "de-CH"), ("de-CH-1996", "de-CH"), ("DE_ch", "de-CH"),
        ("nb", "no"), ("nn-NO", "no"), ("pt-PT", "pt"), ("pt-BR", "pt-BR"), ("pt", "pt"),
        ("zh-Hant-TW", "zh"), ("ja-JP", "ja"), ("xx-bogus", "en"), ("", "en"), (None, "en"),
    ],
)
def test_locale_for(tag: str | None, expected: str) -> None:
    assert locales.locale_for(tag).tag == expected


def _locale_cases(path: Path) -> list[tuple[str, str]]:
    def text(field: str) -> str:
        return field.replace("<nbsp>", NBSP).replace("<nnbsp>", NNBSP)

    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    return [(text(source), text(expected)) for source, expected in rows]


def test_every_locale_has_sentences() -> None:
    assert {path.stem for path in LOCALE_CASES.glob("*.tsv")} == set(locales.LOCALES)


@pytest.mark.parametrize("tag", sorted(locales.LOCALES))
def test_locale_sentences(tag: str) -> None:
    """Real sentences of each language, typed as people type them, typeset by its table."""
    cases = _locale_cases(LOCALE_CASES / f"{tag}.tsv")
    assert len(cases) >= 2 and any(source != expected for source, expected in cases)
    for source, expected in cases:
        assert typeset_text(source, TextSettings(language=tag)) == expected, source
        assert typeset_text(expected, TextSettings(language=tag)) == expected, "not idempotent"


@pytest.mark.parametrize("tag", ["ja", "zh"])
def test_cjk_is_left_alone(tag: str) -> None:
    """CJK brackets and full-width punctuation stay; no Latin spacing is inserted."""
    for text in ["「はい」と言った。", "『本』を読んだ。", "本当に！？", "他说：“你好。”",
                 "真的吗？！", "（注）", "えっ？　本当", "a ? b"]:
        assert typeset_text(text, TextSettings(language=tag)) == text


def test_language_dash_is_the_languages_own() -> None:
    """The book's dash_style is English's choice; German keeps its Gedankenstrich."""
    for style in ("em", "spaced-en"):
        german = TextSettings(language="de", dash_style=style)
        assert typeset_text("Er kam -- spät -- heim.", german) == (
            f"Er kam{NBSP}– spät{NBSP}– heim."
        )
    assert typeset_text("«Да», - сказала", TextSettings(language="ru")) == f"«Да»,{NBSP}— сказала"


# ---------------------------------------------------------------------- properties


def _letters_and_digits(text: str) -> list[str]:
    return [c for c in text.casefold() if c.isalnum()]


# Fragments that stress the rules' edges.
# fmt: off
TOKENS = st.sampled_from(
    [
        '"', "'", "“", "”", "‘", "’", "-", "--", "---", " - ", " -- ", " – ", " — ", "–", "—",
        "...", ". . .", "....", "…", ".", ",", "!", "?", ":", ";", " ", "  ", NBSP, "(", ")",
        "[", "]", "'til", "'em", "'n'", "'90s", "90", "5'9\"", "6", "10-20", "a", "Hello",
        "It's", "s", "Emma", "o'clock", "\n", "\t", "_", "*",
    ]
)
# fmt: on
PUNCTUATION_HEAVY = st.lists(TOKENS, max_size=20).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    once = typeset_text(text)
    assert typeset_text(once) == once
    assert _letters_and_digits(once) == _letters_and_digits(text)


@settings(max_examples=200, deadline=None)
@given(PUNCTUATION_HEAVY, st.sampled_from(sorted(locales.TABLES)))
def test_punctuation_heavy_text(text: str, key: tuple[str, str]) -> None:
    language, dash_style = key
    once = typeset_text(text, TextSettings(language=language, dash_style=dash_style))
    assert typeset_text(once, TextSettings(language=language, dash_style=dash_style)) == once
    assert _letters_and_digits(once) == _letters_and_digits(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(PUNCTUATION_HEAVY, st.booleans()), min_size=1, max_size=5))
def test_node_structure_is_kept(runs: list[tuple[str, bool]]) -> None:
    inlines = tuple(Emphasis((Text(text),)) if emph else Text(text) for text, emph in runs)
    out = typeset_inlines(inlines)
    assert len(out) == len(inlines)
    for before, after in zip(inlines, out, strict=True):
        assert type(before) is type(after)
        if isinstance(before, Emphasis):
            assert isinstance(after, Emphasis) and len(after.children) == 1
    assert typeset_inlines(out) == out
    before_text = "".join(_render((span,)) for span in inlines)
    assert _letters_and_digits(_render(out)) == _letters_and_digits(before_text)


# ----------------------------------------------------------------- gates


def _gated_rules() -> list[Rule]:
    seen: dict[str, Rule] = {}
    for table in TABLES.values():
        for rule in table:
            if rule.gate is not None:
                seen.setdefault(f"{rule.name}:{rule.pattern.pattern}", rule)
    return list(seen.values())


GATED = _gated_rules()
SEED_LINES = [
    line
    for path in sorted((Path(__file__).parents[1] / "seeds").glob("*.txt"))
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
]


def test_most_rules_have_a_gate() -> None:
    """The gates are what keeps typesetting cheap; a rule that loses its gate is slow."""
    names = {rule.name for rule in GATED}
    assert {"em-dash", "spaced-dash", "dangling-dash", "number-range", "primes", "elision",
            "decade", "apostrophe", "space-before-punctuation", "collapse-spaces",
            "closed-dash"} <= names


def _gate_admits(rule: Rule, text: str) -> None:
    if rule.pattern.search(text) is not None:
        assert rule.gate is not None and rule.gate.search(text) is not None, (rule.name, text)


@pytest.mark.parametrize("rule", GATED, ids=lambda rule: rule.name)
def test_gate_admits_every_example_and_seed_line(rule: Rule) -> None:
    texts = [source for table in TABLES.values() for r in table
             for source, _ in r.examples] + SEED_LINES
    matched = 0
    for text in texts:
        _gate_admits(rule, text)
        matched += rule.pattern.search(text) is not None
    assert matched, f"{rule.name}: no example matches, so this test proves nothing"


@settings(max_examples=300, deadline=None)
@given(st.one_of(PUNCTUATION_HEAVY, st.text()))
def test_a_gate_never_hides_a_match(text: str) -> None:
    for rule in GATED:
        _gate_admits(rule, text)


def test_a_wrong_gate_would_be_caught() -> None:
    """The property above can fail: a gate that misses matches is noticed."""
    rule = next(rule for rule in GATED if rule.name == "em-dash")
    wrong = Rule(rule.name, rule.why, rule.pattern, rule.replacement, gate=re.compile("---"))
    with pytest.raises(AssertionError):
        _gate_admits(wrong, "Wait--what")
