"""Typography rules as data, and the small engine that applies a table of them.

A :class:`Rule` is a named regex substitution with a one-line *why* and its own
examples; a *table* is an ordered tuple of rules. Keeping rules as data (rather than
one long order-dependent function, as smartypants and ``se typogrify`` do) means each
rule is its own documented, individually tested unit, and the counts of what changed
can be reported per rule.

The engine also knows about inline-node *boundaries*: a paragraph such as
``"*Hello*," she said`` is three text runs, but quote context must flow across them,
so the runs are joined, the rules run on the whole string, and the offsets where one
run ends and the next begins are carried through every substitution. A substitution
that would straddle a boundary is skipped, so splitting back always gives the same
node structure. Rules match only the characters they change and look at their
context through look-arounds, which keeps such straddles rare.

Curling quotes needs more than one character of context (is a quote open already?),
so the two quote rules are small left-to-right state machines wrapped as ordinary
rules whose replacement is a function; see :func:`double_quote_rule`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

Replacement = str | Callable[[re.Match[str]], str]


class AnyOf:
    """A gate of literal strings, found when any of them is in the text.

    A regex alternation of literals is tried at every position (about ten times
    slower than one literal); ``in`` is a C-speed scan per literal.
    """

    def __init__(self, *literals: str) -> None:
        self.literals = literals
        self.pattern = "|".join(re.escape(literal) for literal in literals)

    def search(self, text: str) -> bool | None:
        return True if any(literal in text for literal in self.literals) else None


@dataclass(frozen=True)
class Rule:
    """One named substitution: where it applies, what it writes, and why.

    ``examples`` are (input, expected output) pairs for the whole table the rule
    lives in, negative cases (output equal to input) included; the test suite turns
    each into its own case and also checks that *this* rule is the one that fired.
    """

    name: str
    why: str
    pattern: re.Pattern[str]
    replacement: Replacement
    examples: tuple[tuple[str, str], ...] = ()
    #: A cheap pattern that finds something wherever ``pattern`` could match (the
    #: characters the rule cannot do without, such as ``--`` for the em dash),
    #: tried first. Most rules match nothing in most paragraphs, and a pattern
    #: that opens with a look-behind is tried at every position of the text; a
    #: gate that opens with a literal is found by a fast scan (:class:`AnyOf` for
    #: several literals). ``None``: no gate. The tests check that a gate never hides
    #: a match.
    gate: re.Pattern[str] | AnyOf | None = None

    def replace(self, match: re.Match[str]) -> str:
        """The text this rule writes in place of ``match``."""
        if callable(self.replacement):
            return self.replacement(match)
        return match.expand(self.replacement)

    def apply(self, text: str, boundaries: Sequence[int] = ()) -> tuple[str, tuple[int, ...], int]:
        """Apply the rule once over ``text``.

        Returns the new text, the boundaries moved to their new offsets, and how many
        substitutions actually changed something (a match whose replacement equals
        the original is not a change and is not counted).
        """
        # Most rules match nothing in most paragraphs: the gate, then one search,
        # decide that before any list is built (this runs per rule per paragraph).
        if self.gate is not None and self.gate.search(text) is None:
            return text, tuple(boundaries), 0
        first = self.pattern.search(text)
        if first is None:
            return text, tuple(boundaries), 0
        pieces: list[str] = []
        edits: list[tuple[int, int, int]] = []
        pos = 0
        for match in self.pattern.finditer(text, first.start()):
            start, end = match.span()
            new = self.replace(match)
            if new == match.group(0):
                continue
            if boundaries and any(start < b < end for b in boundaries):
                # Rewriting across two inline nodes would merge or move their text.
                continue
            pieces.append(text[pos:start])
            pieces.append(new)
            pos = end
            edits.append((start, end, len(new) - (end - start)))
        if not edits:
            return text, tuple(boundaries), 0
        pieces.append(text[pos:])
        moved = tuple(
            b + sum(delta for start, end, delta in edits if end <= b and start < b)
            for b in boundaries
        )
        return "".join(pieces), moved, len(edits)


Table = tuple[Rule, ...]


def apply_table(
    table: Table,
    text: str,
    boundaries: Sequence[int] = (),
    counts: Counter[str] | None = None,
) -> tuple[str, tuple[int, ...]]:
    """Run every rule of ``table`` in order over ``text``, carrying ``boundaries``.

    ``counts`` (if given) gains, per rule name, the number of substitutions made.
    """
    current = tuple(boundaries)
    for rule in table:
        text, current, changed = rule.apply(text, current)
        if changed and counts is not None:
            counts[rule.name] += changed
    return text, current


# ------------------------------------------------------------------ quote styles


@dataclass(frozen=True)
class QuoteStyle:
    """The quotation marks of one language.

    ``open_double`` and friends may be longer than one character: French guillemets
    carry their narrow no-break space with them (``«\\u202f``). Opening and closing
    may be the same glyph (Swedish and Finnish ”…”): such a mark toggles. ``fix_curly`` says
    whether already-curly marks in the English glyphs may be turned round when they
    face the wrong way; that only makes sense where those glyphs mean what English
    means by them (in German “ is a *closing* mark).
    """

    open_double: str
    close_double: str
    open_single: str
    close_single: str
    apostrophe: str = "’"
    fix_curly: bool = False
    #: After these a mark opens (unless it is also one of ``closing``); computed once.
    opening: str = field(init=False, repr=False, compare=False)
    closing: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "opening", OPENING_MARKS + self.open_double + self.open_single)
        object.__setattr__(self, "closing", self.close_double + self.close_single)


# Characters after which a quote mark starts a quotation: brackets (CJK ones too), and
# opening quote marks of every style (the French ones end in a no-break space, which
# counts as space anyway).
OPEN_PUNCT = "([{<「『（【〈《〔¿¡"
OPENING_MARKS = "“‘„‚«‹"
DASHES = "-‐‒–—―"
# What may follow a quote mark that closes speech cut off by a dash: ``lo—”,``.
CLOSE_FOLLOW = ",.;:!?)]}>…"
DIGITS = "0123456789"
PRIME = "′"
DOUBLE_PRIME = "″"


def _is_space(char: str | None) -> bool:
    return char is None or char.isspace()


def _ends_speech(nxt: str | None) -> bool:
    """True where the end, a space or closing punctuation follows a mark."""
    return nxt is None or nxt.isspace() or nxt in CLOSE_FOLLOW


def _opening_context(prev: str | None, style: QuoteStyle) -> bool:
    """True where a mark can only be opening: after start, space, bracket, opening mark."""
    if prev is None or prev.isspace() or prev in OPEN_PUNCT:
        return True
    # German closes with “ and ‘, which English (and OPENING_MARKS) use to open;
    # Danish opens with », which French uses to close.
    return prev in style.opening and prev not in style.closing


def _closing_context(prev: str | None, style: QuoteStyle) -> bool:
    """True after a letter, digit or closing punctuation: a mark here closes."""
    return prev is not None and not _opening_context(prev, style) and prev not in DASHES


def _decide_straight(
    char: str, prev: str | None, nxt: str | None, is_open: bool, style: QuoteStyle
) -> str:
    """What one straight quote mark becomes, given its neighbours and the open state.

    Context first: after start, space, bracket or an opening mark a quote opens;
    after a letter or punctuation it closes (for single quotes that closing mark is
    also the apostrophe: ``dogs’``). Memory of whether a quotation is open decides
    the rest: after a dash a quote before space or punctuation closes cut-off speech
    (``lo—”``) but one before a word opens new speech unless speech is open
    (``said—“Wait``); after a digit a mark closes open speech (``“Room 101”``) and is
    otherwise a prime (``a 6″ blade``, but ``90’s``); with space on both sides it
    closes an open quotation and is otherwise left straight for the linter to report.
    """
    if char == '"':
        opening, closing, prime = style.open_double, style.close_double, DOUBLE_PRIME
    else:
        opening, closing, prime = style.open_single, style.close_single, PRIME
    if prev is None or _opening_context(prev, style):
        if _is_space(nxt) and _is_space(prev):
            return closing if is_open else char
        return opening
    if prev in DASHES:
        if _ends_speech(nxt):
            return closing
        return closing if is_open else opening
    if prev in DIGITS and not is_open and not (nxt is not None and nxt.isalpha()):
        return prime
    if char == "'" and not is_open:
        # No single quotation to close: an apostrophe (Hans’ Auto, “Naruto”’s). The
        # same glyph as the closing mark in English, not in German or French.
        return style.apostrophe
    return closing


@lru_cache(maxsize=64)
def _quote_chars(style: QuoteStyle) -> frozenset[str]:
    """Every character whose decision or effect on the open state can differ from itself.

    Only these need the state machine; any other character is left as it is and
    leaves the state alone (it cannot equal a mark of ``style``).
    """
    marks = (style.open_double, style.close_double, style.open_single, style.close_single,
             style.apostrophe)
    return frozenset("\"'“”‘’" + "".join(m.strip() or m for m in marks))


@lru_cache(maxsize=256)
def _quote_decisions(text: str, style: QuoteStyle) -> dict[int, str]:
    """Decide every quote mark of ``text`` in one left-to-right pass: offset → mark.

    Doubles and singles are decided together, so each mark sees the *decided* mark
    before it (``“‘Hello`` opens both; ``'"Hello"'`` opens both) and the state of
    both quotation levels. Already-curly English marks facing the wrong way are
    turned round where the context leaves no doubt (``”Hello`` at a paragraph start;
    ``Hello“`` before a space), when ``style.fix_curly`` allows it. The two quote
    rules both read this analysis; each applies only the marks it owns.

    Only the quote-like characters are visited (found with one ``str.find`` sweep
    per character kind, not a Python loop over every letter): on prose that is a
    few per paragraph, and this function was the build's hottest spot.
    """
    decisions: dict[int, str] = {}
    double_open = single_open = False
    chars = _quote_chars(style)
    positions = sorted(i for c in chars if c in text for i in _find_all(text, c))
    last_index, last_decided = -2, ""
    for index in positions:
        char = text[index]
        # The character before: the decided mark when it was one, else the text's own.
        prev: str | None = text[index - 1] if index else None
        if index == last_index + 1:
            prev = last_decided[-1]
        nxt = text[index + 1] if index + 1 < len(text) else None
        decided = char
        if char in "\"'":
            is_open = double_open if char == '"' else single_open
            decided = _decide_straight(char, prev, nxt, is_open, style)
        elif style.fix_curly and char == "”":
            # Only before a word: ``x ”,`` is a stray mark, not a wrong-facing opener.
            if _opening_context(prev, style) and not _ends_speech(nxt):
                decided = "“"
        elif (
            style.fix_curly
            and char in "“‘"
            and _closing_context(prev, style)
            and _ends_speech(nxt)
        ):
            decided = "”" if char == "“" else "’"
        mark = decided.strip() or decided
        if mark == style.open_double.strip() == style.close_double.strip():
            double_open = not double_open  # ”…” (Swedish, Finnish): the same mark toggles
        elif mark == style.open_single.strip() == style.close_single.strip():
            pass  # ’…’ is also the apostrophe: every straight ' becomes ’ whatever the state
        elif mark == style.open_double.strip():
            double_open = True
        elif mark == style.close_double.strip():
            double_open = False
        elif mark == style.open_single.strip():
            single_open = True
        elif (
            mark in (style.close_single.strip(), style.apostrophe)
            and _closing_context(prev, style)
            and not (nxt is not None and nxt.isalnum())
        ):
            single_open = False
        if decided != char:
            decisions[index] = decided
        last_index, last_decided = index, decided
    return decisions


def _find_all(text: str, char: str) -> list[int]:
    found: list[int] = []
    index = text.find(char)
    while index >= 0:
        found.append(index)
        index = text.find(char, index + 1)
    return found


def double_quote_rule(name: str, style: QuoteStyle, examples: tuple[tuple[str, str], ...]) -> Rule:
    """The double-quote state machine for ``style``, wrapped as a rule."""
    chars = '"“”' if style.fix_curly else '"'

    def curl(match: re.Match[str]) -> str:
        return _quote_decisions(match.string, style).get(match.start(), match.group(0))

    return Rule(
        name=name,
        why=(
            "Straight double quotes open or close by context (what precedes, whether a "
            "quotation is open)"
            + ("; wrong-facing curly ones are turned." if style.fix_curly else ".")
        ),
        pattern=_DOUBLE_PATTERNS[chars],
        replacement=curl,
        examples=examples,
    )


def single_quote_rule(name: str, style: QuoteStyle, examples: tuple[tuple[str, str], ...]) -> Rule:
    """The single-quote state machine for ``style``, wrapped as a rule."""
    chars = "'‘" if style.fix_curly else "'"

    def curl(match: re.Match[str]) -> str:
        return _quote_decisions(match.string, style).get(match.start(), match.group(0))

    return Rule(
        name=name,
        why=(
            "Single quotes left after the apostrophe rules open after space, brackets or an "
            "opening mark and close (’) elsewhere; after a digit they are primes."
        ),
        pattern=_SINGLE_PATTERNS[chars],
        replacement=curl,
        examples=examples,
    )


_DOUBLE_PATTERNS = {chars: re.compile(f"[{chars}]") for chars in ('"“”', '"')}
_SINGLE_PATTERNS = {chars: re.compile(f"[{chars}]") for chars in ("'‘", "'")}
