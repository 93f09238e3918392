"""The English typography table, and the language-neutral rules other tables share.

Order matters and is part of the table: spaces are tidied first, then ellipses and
dashes (so a quote next to ``--`` sees a dash), then number ranges and primes, then
the apostrophe rules (elisions, decades, contractions), and only then the quote state
machines, so that whatever straight quote is left really is a quotation mark (or a
prime). Spaces before punctuation are removed last, once every quote is decided.

Every pattern is compiled once, here, at import; the tables are built once too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fanbind.text.typography.rules import (
    DOUBLE_PRIME,
    PRIME,
    AnyOf,
    QuoteStyle,
    Rule,
    Table,
    double_quote_rule,
    single_quote_rule,
)

NBSP = "\u00a0"

QUOTES = QuoteStyle(
    open_double="“", close_double="”", open_single="‘", close_single="’", fix_curly=True
)
"""English quotation marks: “double” outside, ‘single’ inside; ’ for apostrophes."""

DASH_STYLES = ("em", "spaced-en")

#: What a dash between words becomes: a closed em dash, or a spaced en or em dash
#: with a no-break space before it, so it never starts a line.
CLOSED_EM = "—"
SPACED_EN = f"{NBSP}– "
SPACED_EM = f"{NBSP}— "

# Words written with a leading apostrophe for dropped letters. A straight quote
# before one of these is an apostrophe (’til), never an opening quote (‘til):
# smartypants gets this wrong. Kept short and unambiguous on purpose: a word that is
# often quoted on its own would turn a real opening quote into an apostrophe.
ELISIONS = (
    "til",
    "tis",
    "twas",
    "twere",
    "twill",
    "twould",
    "em",
    "cause",
    "cos",
    "coz",
    "cuz",
    "bout",
    "round",
    "cept",
    "n",
    "neath",
    "nuff",
    "fore",
    "gainst",
    "nother",
    "kay",
    "scuse",
    "sup",
    "fraid",
)

# Words with a dropped *h* (’ammer, ’orse, ’ouse). Unlike the words above, many of
# these are also words a quotation may open with (’is / ‘Is it?’, ’er / ‘Er, no.’),
# so a quote mark before one is an apostrophe only when no closing single quote
# follows in the paragraph (see _closes_later).
DROPPED_H = (
    "e", "ammer", "orse", "orses", "ouse", "ouses", "ome", "ead", "eads", "eard", "ear", "eart",
    "elp", "ell", "ello", "ere", "im", "imself", "er", "erself", "is", "ad", "ave", "avin",
    "aving", "alf", "appen", "appened", "appy", "ard", "ardly", "eavens", "igh", "oo",
    "urt", "urry", "ungry", "usband", "ospital", "ole", "ope", "orrible", "ow", "uh",
)

# "Not preceded by anything but space, a bracket, a quote or a dash" (start included):
# the places where a quote mark could open, and so where an elision must be told apart.
# Rules that run before the quote rules see every quote mark alike, whichever way it
# faces, because the quote rules may still turn a curly one round; otherwise a second
# run could see a different context than the first, and typesetting would not be
# idempotent.
_WORD_START = r"""(?<![^\s(\[{"'“”‘’—–-])"""

_COLLAPSE = re.compile(r"""(?<=[.!?…:;,"'“”‘’)\]]) {2,}""")
_ELLIPSIS = re.compile(r"\.(?: ?\.){2,}")
_EM_DASH = re.compile(r"(?<!-)-{2,3}(?!-)")
# A name's letters withheld after its first one or two (S----, Mr. B----, d----d), or
# a year's last digits (18--): a two-em dash, the length of the missing letters.
# A run is four hyphens or more, or two dashes or more with an em dash among them
# (what the em dash rule would make of ``--—``), so a second run finds the same runs.
_LONG_RUN = r"(?=[-—]{2})(?:-{4,}|-*—[-—]*)"
_WITHHELD_LETTERS = re.compile(
    rf"(?<![^\W_])(?:([^\W\d_]{{1,3}}){_LONG_RUN}|((?:1[6-9]|20)(?=[-—]{{2}})[-—]+))(?![\w\-—])"
    rf"|(?<![^\W_])([^\W\d_]){_LONG_RUN}(?=[^\W\d_]\b)"
)
# A whole word withheld (a ---- fool): a run of hyphens standing alone among words.
_WITHHELD_WORD = re.compile(
    rf"""(?:(?<=[\s"'“”‘’«»‹›(])|^){_LONG_RUN}(?=[\s,.;:!?…"'“”‘’«»‹›)]|$)"""
)
# Quote marks count alike on either side of a dash (whichever way they face): the
# quote rules run later and may still turn a curly one round.
_SPACED_DASH = re.compile(r"(?<=[^\s(\[{—–-])[ \u00a0]+([—–-])[ \u00a0]+(?=[^\s)\]}—–-])")
_DANGLING_DASH = re.compile(
    r"(?<=[^\s(\[{—–-])[ \u00a0]+(?:[—–](?=[“”‘’\"']|[ \u00a0]*$)|-(?=[“”‘’\"']))"
)
_CLOSED_DASH = re.compile(r"(?<=[^\W_])—(?=[^\W_])")
# Ranges typed with one or two hyphens, chapter:verse and time ranges included
# (5-7, 1987--1999, 5:3-11, 5:1-7:29). Runs before the em dash takes ``--``.
_NUMBER_RANGE = re.compile(
    r"(?<![\w.,/:–])(?<!(?<!-)-)([0-9]+(?::[0-9]+)?)(--?)([0-9]+(?::[0-9]+)?)"
    r"(?![\w/–]|:[0-9]|-(?!-)|[.,][0-9])"
)
_PRIMES = re.compile(r"(?<=[0-9])'([0-9]{1,2})(?:(\"|'')|(?![0-9'’]))")
# The quote first and its word start checked after it (two characters back): a
# pattern that opens with a literal is found by a fast scan, one that opens with a
# look-behind is tried at every position.
_ELISION = re.compile(
    r"""['‘](?<![^\s(\[{"'“”‘’—–-]['‘])(?=(?:"""
    + "|".join(ELISIONS)
    + r")\b|s(?![\w'’‘])|(?P<h>(?:"
    + "|".join(DROPPED_H)
    + r")\b))",
    re.IGNORECASE,
)
# A single quote that closes a quotation: after the quotation's own punctuation, or
# before punctuation or the end (``an’ tongs`` and ``goin’ home`` end elided words).
# Any facing: the quote rules may still turn a mark round (but after a digit it may
# become a prime).
_SINGLE_CLOSER = re.compile(r"""(?<=[.,!?…—–-])['’‘]|(?<=[^\s\d"'“”‘’(\[])['’‘](?=[.,;:!?)…]|$)""")
_DECADE_TAIL = r"(?=[0-9]{2}(?:s\b|er\b|(?![\w'‘’])))"
_DECADE = re.compile(_WORD_START + r"['‘]" + _DECADE_TAIL)
_DECADE_STRAIGHT = re.compile(_WORD_START + "'" + _DECADE_TAIL)
_APOSTROPHE = re.compile(r"(?<=[^\W_])['‘](?=[^\W_])")
_APOSTROPHE_STRAIGHT = re.compile(r"(?<=[^\W_])'(?=[^\W_])")
_SPACE_BEFORE_PUNCT = re.compile(
    r"(?<=[\w”’)\]…])(?<!_)[ \t]+"
    r"(?=[,;:!?](?:[\s”’\"']|$|[,;:!?.…])|\.(?:[\s”’\"']|$))"
)

# Gates (see Rule.gate): what each pattern above cannot match without.
_GATE_COLLAPSE = re.compile("  ")
_GATE_DOUBLE_HYPHEN = re.compile("--")
_GATE_SPACED_DASH = re.compile("[ \u00a0][—–-]")
_GATE_EM_DASH = re.compile("—")
_GATE_NUMBER_RANGE = re.compile("[0-9]--?[0-9]")
# A long run has four hyphens or an em dash beside another dash; a year (16..–20..)
# two dashes after its last digit.
_GATE_WITHHELD_WORD = AnyOf("----", "-—", "—-", "——")
_GATE_WITHHELD_LETTERS = AnyOf("----", "-—", "—-", "——", "0--", "6--", "7--", "8--", "9--")
_GATE_PRIMES = re.compile("[0-9]'")
_GATE_ELISION = re.compile(
    r"['‘](?:" + "|".join((*ELISIONS, "s", *DROPPED_H)) + ")", re.IGNORECASE
)
_GATE_DECADE = re.compile("['‘][0-9]{2}")
_GATE_DECADE_STRAIGHT = re.compile("'[0-9]{2}")
_GATE_APOSTROPHE = re.compile("['‘]")
_GATE_APOSTROPHE_STRAIGHT = re.compile("'")
_GATE_SPACE_BEFORE_PUNCT = re.compile("[ \t][,;:!?.]")
_SPACE_BEFORE_LOW_PUNCT = re.compile(
    r"(?<=[\w”’»)\]…])(?<!_)[ \t]+(?=,(?:[\s”’»\"']|$|[,.…])|\.(?:[\s”’»\"']|$))"
)
_GATE_SPACE_BEFORE_LOW_PUNCT = re.compile("[ \t][,.]")

_QUOTE_MARKS = "\"'“”‘’«»„"
# ``», - сказала``: a typed hyphen after a comma is a dash in dialogue too.
_SINGLE_HYPHEN_LEFT = ".,!?…)" + _QUOTE_MARKS
_SINGLE_HYPHEN_RIGHT = "(" + _QUOTE_MARKS


def _ellipsis(mark: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith(". ") and "." not in found[2:].replace("...", "", 1):
            # ``fall. ...``: a sentence's full stop, then an ellipsis: order and space kept.
            return ". " + mark
        # Three dots are an ellipsis; four are an ellipsis and a full stop; a longer
        # run is a long trailing-off, still one ellipsis.
        return mark + "." if found.count(".") == 4 else mark

    return replace


def _is_wordish(char: str) -> bool:
    return char.isalnum()


def _spaced_dash(replacement: str) -> Callable[[re.Match[str]], str]:
    """A spaced dash between words becomes the house dash.

    A single hyphen only counts between words or quotes (``paused - then``), so a
    list marker or a stray hyphen next to a bracket is left alone; nothing is touched
    between two digits, where ``5 - 3`` is arithmetic and ``1990 – 1995`` a range.
    """

    def replace(match: re.Match[str]) -> str:
        text = match.string
        left, right = text[match.start() - 1], text[match.end()]
        if left.isdigit() and right.isdigit():
            return match.group(0)
        if match.group(1) == "-" and not (
            (_is_wordish(left) or left in _SINGLE_HYPHEN_LEFT)
            and (_is_wordish(right) or right in _SINGLE_HYPHEN_RIGHT)
        ):
            return match.group(0)
        return replacement

    return replace


def _number_range(match: re.Match[str]) -> str:
    first, hyphens, second = match.groups()
    if hyphens == "-" and len(first) == 3 and len(second) == 4 and second.isdigit():
        return match.group(0)  # 555-1234 is a phone number, not a range
    return f"{first}–{second}"


def _withheld_letters(match: re.Match[str]) -> str:
    kept = match.group(1) or match.group(3)
    if kept is None:
        kept = match.group(2).rstrip("-—")  # the year's century: 18-- → 18⸺
    return kept + "⸺"


def _withheld_word(match: re.Match[str]) -> str:
    # A paragraph of nothing but hyphens is a rule (or a scene break), not a word.
    text = match.string
    if not any(char.isalpha() for char in text):
        return match.group(0)
    return "⸻"


def _elision(match: re.Match[str]) -> str:
    if match.group("h") is not None and _SINGLE_CLOSER.search(match.string, match.end()):
        # ‘Ammer,’ he said: a closing quote follows, so this one opens a quotation.
        return match.group(0)
    return "’"


def _primes(match: re.Match[str]) -> str:
    return PRIME + match.group(1) + (DOUBLE_PRIME if match.group(2) else "")


# ------------------------------------------------------------------ rule factories


def collapse_spaces_rule() -> Rule:
    return Rule(
        name="collapse-spaces",
        why="Typewriter double spaces after a sentence become one; the renderer sets spacing.",
        pattern=_COLLAPSE,
        gate=_GATE_COLLAPSE,
        replacement=" ",
        examples=(
            ("Stop.  Go.", "Stop. Go."),
            ("Stop,   go.", "Stop, go."),
            ("a  b", "a  b"),
        ),
    )


def ellipsis_rule(mark: str = "…") -> Rule:
    """Dots to the language's ellipsis (``…``; Chinese and Japanese use ``……``)."""
    return Rule(
        name="ellipsis",
        why="Three dots, spaced or not, are one ellipsis character, which never breaks apart.",
        pattern=_ELLIPSIS,
        replacement=_ellipsis(mark),
        examples=(
            ("Well...", f"Well{mark}"),
            ("Well. . . maybe.", f"Well{mark} maybe."),
            ("Wait....", f"Wait{mark}."),
            ("Hmm.......", f"Hmm{mark}"),
            ("...and then", f"{mark}and then"),
            ("Mr. Smith.", "Mr. Smith."),
            ("Wait..", "Wait.."),
            ("And then they fall. ...”", f"And then they fall. {mark}”"),
            ("the end. ... And", f"the end. {mark} And"),
        ),
    )


def em_dash_rule(between: str | None) -> Rule:
    """Typed hyphens to an em dash; ``between`` is what a dash between words ends up as."""
    between = between or CLOSED_EM
    return Rule(
        name="em-dash",
        why="Two or three hyphens are a typed em dash; four or more are a rule, left alone.",
        pattern=_EM_DASH,
        gate=_GATE_DOUBLE_HYPHEN,
        replacement="—",
        examples=(
            ("Wait--", "Wait—"),
            ("I--I can't.", "I" + between + "I can’t."),
            ("Room 101--", "Room 101—"),
            ("Wait---", "Wait—"),
            ("Wait--what", "Wait" + between + "what"),
            ("----", "----"),
            ("a well-known fact", "a well-known fact"),
        ),
    )


def spaced_dash_rule(between: str) -> Rule:
    if between == CLOSED_EM:
        why = "A spaced dash between words is set as the house style's closed em dash."
    else:
        why = (
            f"A dash between words is set as a spaced {'en' if '–' in between else 'em'} dash, "
            "with a no-break space before it so it never starts a line."
        )
    out = f"He paused{between}then ran."
    return Rule(
        name="spaced-dash",
        why=why,
        pattern=_SPACED_DASH,
        gate=_GATE_SPACED_DASH,
        replacement=_spaced_dash(between),
        examples=(
            ("He paused -- then ran.", out),
            ("He paused - then ran.", out),
            ("He paused – then ran.", out),
            ("He paused — then ran.", out),
            ("5 - 3 = 2", "5 - 3 = 2"),
            ("1990 – 1995", "1990 – 1995"),
            ("a - [b]", "a - [b]"),
        ),
    )


def dangling_dash_rule(between: str) -> Rule:
    dash = between.rstrip(" ")
    return Rule(
        name="dangling-dash",
        why="A spaced dash (or hyphen) cutting off speech or a paragraph hugs the word before it.",
        pattern=_DANGLING_DASH,
        gate=_GATE_SPACED_DASH,
        replacement=dash,
        examples=(
            ("I can – you can –", "I can" + between + "you can" + dash),
            ("a –b", "a –b"),
            ("a -", "a -"),
        ),
    )


def closed_dash_rule(between: str) -> Rule:
    return Rule(
        name="closed-dash",
        why="Where a dash between words is spaced, a closed em dash between words is spaced too.",
        pattern=_CLOSED_DASH,
        gate=_GATE_EM_DASH,
        replacement=between,
        examples=(
            ("hope—hope", f"hope{between}hope"),
            ("Wait--what", f"Wait{between}what"),
            ("lo—", "lo—"),
        ),
    )


def withheld_letters_rule() -> Rule:
    return Rule(
        name="withheld-letters",
        why="Letters withheld from a name (S----, d----d) or a year (18--) are a two-em dash.",
        pattern=_WITHHELD_LETTERS,
        gate=_GATE_WITHHELD_LETTERS,
        replacement=_withheld_letters,
        examples=(
            ("S---- was there.", "S⸺ was there."),
            ("I met Mr. B---- today.", "I met Mr. B⸺ today."),
            ("that d----d fellow", "that d⸺d fellow"),
            ("Lady Ch----, he wrote.", "Lady Ch⸺, he wrote."),
            ("in the year 18--.", "in the year 18⸺."),
            ("in 19-- or so", "in 19⸺ or so"),
            ("Colonel R——", "Colonel R⸺"),
            ("----", "----"),
            ("a well-known fact", "a well-known fact"),
            ("A-B-C", "A-B-C"),
        ),
    )


def withheld_word_rule() -> Rule:
    return Rule(
        name="withheld-word",
        why="A word withheld (a ---- fool) is a three-em dash standing between spaces like a word.",
        pattern=_WITHHELD_WORD,
        gate=_GATE_WITHHELD_WORD,
        replacement=_withheld_word,
        examples=(
            ("He was a ---- fool.", "He was a ⸻ fool."),
            ("“---- it,” he said.", "“⸻ it,” he said."),
            ("the ------ of it", "the ⸻ of it"),
            ("Go to —— now.", "Go to ⸻ now."),
            ("----", "----"),
            ("-------- * --------", "-------- * --------"),
        ),
    )


def number_range_rule() -> Rule:
    return Rule(
        name="number-range",
        why="A range of numbers takes an en dash; phone numbers and ISBN-like runs keep hyphens.",
        pattern=_NUMBER_RANGE,
        gate=_GATE_NUMBER_RANGE,
        replacement=_number_range,
        examples=(
            ("Read pages 10-20.", "Read pages 10–20."),
            ("From 1990-1995, then", "From 1990–1995, then"),
            ("Read pages 5--7.", "Read pages 5–7."),
            ("From 1987--1999, then", "From 1987–1999, then"),
            ("Tolkien (1892--1973)", "Tolkien (1892–1973)"),
            ("Matthew 5:3-11", "Matthew 5:3–11"),
            ("Matthew 5:1-7:29", "Matthew 5:1–7:29"),
            ("from 10:30-11:45", "from 10:30–11:45"),
            ("Call 555--1234.", "Call 555–1234."),
            ("pages 10-20, see", "pages 10–20, see"),
            ("ratio 16:9", "ratio 16:9"),
            ("1:2-3:4:5", "1:2-3:4:5"),
            ("Call 555-1234.", "Call 555-1234."),
            ("ISBN 978-3-16-148410-0", "ISBN 978-3-16-148410-0"),
            ("on 2024-01-15", "on 2024-01-15"),
            ("MP3-5", "MP3-5"),
            ("a well-known fact", "a well-known fact"),
            ("1.5-2", "1.5-2"),
        ),
    )


def primes_rule() -> Rule:
    return Rule(
        name="primes",
        why="Feet and inches (5'9\") are primes, not quotes or apostrophes.",
        pattern=_PRIMES,
        gate=_GATE_PRIMES,
        replacement=_primes,
        examples=(
            ("He was 5'9 and thin.", "He was 5′9 and thin."),
            ("It's 6'10'' long", "It’s 6′10″ long"),
            ("He was 5'9\" tall.", "He was 5′9″ tall."),
            ("in the 90’s", "in the 90’s"),
        ),
    )


def elision_rule() -> Rule:
    return Rule(
        name="elision",
        why="An apostrophe for dropped leading letters (’til, ’ammer, It ’s) faces like a closer.",
        pattern=_ELISION,
        gate=_GATE_ELISION,
        replacement=_elision,
        examples=(
            ("Wait 'til morning.", "Wait ’til morning."),
            ("Tell 'em I said so.", "Tell ’em I said so."),
            ("'Twas the night before.", "’Twas the night before."),
            ("'Cause I said so.", "’Cause I said so."),
            ("Get the 'ammer.", "Get the ’ammer."),
            ("'Is 'orse is in the 'ouse, an' that's that.",
             "’Is ’orse is in the ’ouse, an’ that’s that."),
            ("It 's late.", "It ’s late."),
            ("'S fine.", "’S fine."),
            ("Rock 'n' roll.", "Rock ’n’ roll."),
            ("Wait ‘til dawn.", "Wait ’til dawn."),
            ("‘Emma,’ he said.", "‘Emma,’ he said."),
            ("‘Tilly!’", "‘Tilly!’"),
            ("’Ammer time.", "’Ammer time."),
            ("It’s fine.", "It’s fine."),
        ),
    )


def decade_rule(*, fix_curly: bool) -> Rule:
    return Rule(
        name="decade",
        why="An apostrophe before two digits stands for the century ('90s, class of '99).",
        pattern=_DECADE if fix_curly else _DECADE_STRAIGHT,
        gate=_GATE_DECADE if fix_curly else _GATE_DECADE_STRAIGHT,
        replacement="’",
        examples=(
            ("The '90s were loud.", "The ’90s were loud."),
            ("'60s music", "’60s music"),
            ("the class of '99.", "the class of ’99."),
            ("‘1990’ was the year", "‘1990’ was the year"),
        )
        + ((("the ‘80s", "the ’80s"),) if fix_curly else ()),
    )


def apostrophe_rule(*, fix_curly: bool) -> Rule:
    return Rule(
        name="apostrophe",
        why="A quote mark between two letters is an apostrophe (It’s, o’clock, ma’am).",
        pattern=_APOSTROPHE if fix_curly else _APOSTROPHE_STRAIGHT,
        gate=_GATE_APOSTROPHE if fix_curly else _GATE_APOSTROPHE_STRAIGHT,
        replacement="’",
        examples=(
            ("It's Kakashi's book.", "It’s Kakashi’s book."),
            ("Yes, ma'am, at five o'clock.", "Yes, ma’am, at five o’clock."),
            ("Iruka-sensei's desk.", "Iruka-sensei’s desk."),
            ("jōnin's vest", "jōnin’s vest"),
            ("rock ’n’ roll", "rock ’n’ roll"),
        )
        + ((("don‘t", "don’t"),) if fix_curly else ()),
    )


def space_before_punctuation_rule(*, high: bool = True) -> Rule:
    """No space before punctuation; with ``high=False`` only before , and . (French)."""
    if not high:
        return Rule(
            name="space-before-punctuation",
            why="No space before , or . (; : ! ? take a narrow no-break space instead).",
            pattern=_SPACE_BEFORE_LOW_PUNCT,
            gate=_GATE_SPACE_BEFORE_LOW_PUNCT,
            replacement="",
            examples=(
                ("Bonjour , Paul .", "Bonjour, Paul."),
                ("Attends …", "Attends …"),
                ("a .45 calibre", "a .45 calibre"),
            ),
        )
    return Rule(
        name="space-before-punctuation",
        why="No space before , . ; : ! ? (an ellipsis or a decimal keeps its space).",
        pattern=_SPACE_BEFORE_PUNCT,
        gate=_GATE_SPACE_BEFORE_PUNCT,
        replacement="",
        examples=(
            ("Hello , world !", "Hello, world!"),
            ("Really ?!", "Really?!"),
            ("Wait …", "Wait …"),
            ("a .45 calibre", "a .45 calibre"),
            ("smile :)", "smile :)"),
            ("- , -", "- , -"),
        ),
    )


ENGLISH_DOUBLE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ('"Hello," she said.', "“Hello,” she said."),
    ('He said, "Hi."', "He said, “Hi.”"),
    ('("Really?")', "(“Really?”)"),
    ('"What?!"', "“What?!”"),
    ('"Don\'t--" he began.', "“Don’t—” he began."),
    ('"--you\'re disposable"', "“—you’re disposable”"),
    ("”Hello,” he said.", "“Hello,” he said."),
    ("“Hello,” he said.", "“Hello,” he said."),
    ('a 6" blade', "a 6″ blade"),
    ('"Room 101"', "“Room 101”"),
    ('"Hello "', "“Hello ”"),
    ('a " b', 'a " b'),
)

ENGLISH_SINGLE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("'Hello,' she said.", "‘Hello,’ she said."),
    ("\"She said 'no' to me.\"", "“She said ‘no’ to me.”"),
    ("They call it the 'Will of Fire'.", "They call it the ‘Will of Fire’."),
    ("The dogs' bowls were empty.", "The dogs’ bowls were empty."),
    ("He is 6' tall.", "He is 6′ tall."),
    ("'Give me 5'", "‘Give me 5’"),
    ("'Emma,' he said.", "‘Emma,’ he said."),
    ("'Tilly!'", "‘Tilly!’"),
    ("'1990' was the year", "‘1990’ was the year"),
    ("'Ammer,' he said.", "‘Ammer,’ he said."),
    ("'Is it true?' she asked.", "‘Is it true?’ she asked."),
    ("the letter 's' is", "the letter ‘s’ is"),
    ("dogs‘ bowls", "dogs’ bowls"),
    ("a ' b", "a ' b"),
)


def check_dash_style(dash_style: str) -> None:
    """Refuse an unknown dash style early, naming the ones there are."""
    if dash_style not in DASH_STYLES:
        raise ValueError(f"unknown dash style {dash_style!r}; expected one of {DASH_STYLES}")


def between_dash(dash_style: str) -> str:
    """The book's ``dash_style`` as the text a dash between words becomes."""
    check_dash_style(dash_style)
    return CLOSED_EM if dash_style == "em" else SPACED_EN


def head_rules(between: str | None, *, ellipsis: str = "…") -> tuple[Rule, ...]:
    """The language-neutral head of every table: spaces, ellipses, dashes, numbers.

    ``between`` is what a dash between words becomes (:data:`CLOSED_EM`,
    :data:`SPACED_EN`, :data:`SPACED_EM`); ``None`` leaves the spaces around dashes as
    typed (Spanish rayas hug the words they set off; CJK text takes no Latin spacing).
    """
    closed = (closed_dash_rule(between),) if between not in (None, CLOSED_EM) else ()
    spacing = (
        (spaced_dash_rule(between), dangling_dash_rule(between)) if between is not None else ()
    )
    return (
        collapse_spaces_rule(),
        ellipsis_rule(ellipsis),
        withheld_letters_rule(),
        withheld_word_rule(),
        number_range_rule(),
        em_dash_rule(between),
        *closed,
        *spacing,
        primes_rule(),
    )


def english_table(dash_style: str) -> Table:
    """The ordered English rule table for one dash style."""
    return (
        *head_rules(between_dash(dash_style)),
        elision_rule(),
        decade_rule(fix_curly=True),
        apostrophe_rule(fix_curly=True),
        double_quote_rule("double-quotes", QUOTES, ENGLISH_DOUBLE_EXAMPLES),
        single_quote_rule("single-quotes", QUOTES, ENGLISH_SINGLE_EXAMPLES),
        space_before_punctuation_rule(),
    )


TABLES: dict[str, Table] = {style: english_table(style) for style in DASH_STYLES}
"""The English tables, one per dash style, built once at import."""

__all__ = [
    "CLOSED_EM",
    "DASH_STYLES",
    "ELISIONS",
    "QUOTES",
    "SPACED_EM",
    "SPACED_EN",
    "TABLES",
    "between_dash",
    "english_table",
    "head_rules",
]
