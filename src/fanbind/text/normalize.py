"""Stage 2: decoded text → clean text, as a table of named rules.

Removes the invisible debris of pasted text (CR line endings, control codes, zero-width
spaces, soft hyphens, stray no-break spaces, tab-and-space runs) and nothing else: no
typography, no change to letters or digits, never a line added or removed (later stages
report line numbers against the user's file), leading indentation kept. Each
:class:`CleanupRule` carries a *why* and examples run as tests; the table's order
matters (see docs/architecture-text.md) and it is idempotent as a whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from fanbind.diagnostics import Diagnostic

__all__ = ["RULES", "CleanResult", "CleanupRule", "clean", "clean_text"]

Fix = Callable[[str], tuple[str, int]]
"""A rule's action: text in, (text out, number of changes) out."""


@dataclass(frozen=True)
class Report:
    """How a rule's changes are reported: diagnostic code and what was changed."""

    code: str
    noun: str  # singular; an "s" is added for plurals


@dataclass(frozen=True)
class CleanupRule:
    """One named cleanup: what it does (``fix``), why, and examples.

    ``examples`` are (input, expected :func:`clean_text` output) pairs for the whole
    table, negative cases (output equal to input) included; the tests run each one and,
    when the output differs, check that this rule is among those that fired.
    """

    name: str
    why: str
    fix: Fix
    examples: tuple[tuple[str, str], ...]
    report: Report | None = None


def _substitute(
    pattern: re.Pattern[str],
    replacement: str | Callable[[re.Match[str]], str],
    *,
    trigger: Callable[[str], object] | None = None,
) -> Fix:
    """A :data:`Fix` from a regex substitution; counts only matches that changed.

    *trigger*, a cheap test for something the rule needs (such as a regex's ``search``),
    lets a long story skip a pattern that costs a second per 64 MB when the rule has
    nothing to do.
    """

    def fix(text: str) -> tuple[str, int]:
        if trigger is not None and not trigger(text):
            return text, 0
        changes = 0

        def one(match: re.Match[str]) -> str:
            nonlocal changes
            new = replacement(match) if callable(replacement) else replacement
            if new != match.group(0):
                changes += 1
            return new

        return pattern.sub(one, text), changes

    return fix


# ------------------------------------------------------------------ character classes

# Horizontal whitespace: tab and the Unicode space separators (Zs).
_HWS = "\t \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_HWS_NOT_SPACE = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_BREAKING_HWS = "\t \u1680\u2000-\u2006\u2008-\u200a\u205f\u3000"
_NO_BREAK = "\u00a0\u202f\u2007"
_TAB_WIDTH = 4

_CONTROL_TO_SPACE = {"\x0b": " ", "\x0c": " ", "\x85": " "}
_CONTROL_BMP = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_CONTROL_RE = re.compile(f"[{_CONTROL_BMP}]")
# Noncharacters U+1FFFE, U+1FFFF, …, U+10FFFF. Python's re is slow with a class of
# scattered astral characters, so this one runs only when a character from plane 1's
# last code points upwards is present at all.
_CONTROL_ASTRAL_RE = re.compile(
    f"[{_CONTROL_BMP}"
    + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF)
              for plane in range(1, 17))
    + "]"
)
_ASTRAL_TRIGGER_RE = re.compile("[\U0001fffe-\U0010ffff]")
_JUNK_RE = re.compile("[\u00ad\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]")
_JOINER_RE = re.compile("[\u200c\u200d]")
_LINE_SEPARATOR_RE = re.compile("[\u2028\u2029]")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BIDI_OPENERS = {"\u202a": "E", "\u202b": "E", "\u202d": "E", "\u202e": "E",
                 "\u2066": "I", "\u2067": "I", "\u2068": "I"}
_PDF, _PDI = "\u202c", "\u2069"

_HWS_CHARS = "\t \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_LEADING_RE = re.compile(f"^ *[{_HWS_NOT_SPACE}][{_HWS}]*", re.MULTILINE)
_NO_BREAK_RE = re.compile(f"[{_NO_BREAK}]")
_NO_BREAK_RUN_RE = re.compile(f"(?<=[^{_HWS}\n])[{_HWS}]*[{_NO_BREAK}][{_HWS}]*")
_HWS_NOT_SPACE_RE = re.compile(f"[{_HWS_NOT_SPACE}]")
_INTERIOR_RUN_RE = re.compile(f"(?<=[^{_HWS}\n])(?:[{_BREAKING_HWS}]{{2,}}|\t)")

# Where a no-break space is typography, not a paste artefact.
_NBSP_BEFORE_PUNCT_RE = re.compile(r"[:;!?»›%‰]")
_NBSP_AFTER_RE = re.compile(
    r"(?:[«‹§¶]"
    r"|\b(?:Mr|Mrs|Ms|Mx|Dr|Drs|Prof|St|Sr|Sra|Srta|Jr|Mme|Mmes|Mlle|Mlles|Messrs|Hr|Frl)\.?"
    r"|\b(?:[A-Z]|Rev|Fr|Hon|Capt|Col|Gen|Lt|Sgt|Cpl|Maj|No|Nos|Nr|no|nr|Vol|vol|pp?|ch|Ch"
    r"|Fig|fig|Art|art|cf|vs|ca|approx)\.)$"
)
_UNIT_RE = re.compile(
    r"(?:\d|[%‰°′″€$£¥¢₽₹]"
    r"|(?:[kMGTmµμcdn]?(?:m|g|s|l|L|W|V|A|J|N|Hz|Pa|B|b|bit|t)|km/h|mph|kph|ft|in|yd|mi"
    r"|lbs?|oz|st|pt|px|hrs?|h|mins?|secs?|ms|am|pm|AM|PM|a\.m\.|p\.m\.|kcal|cal|mL|K)"
    r"(?![^\W\d_]))"
)
_CONTEXT = 12  # characters of context either side of a no-break space


# ------------------------------------------------------------------------------ fixes


def _fix_line_endings(text: str) -> tuple[str, int]:
    """CRLF and lone CR → LF: Python's universal newlines, which editors agree with."""
    crlf = text.count("\r\n")
    lone = text.count("\r") - crlf
    if not crlf and not lone:
        return text, 0
    return text.replace("\r\n", "\n").replace("\r", "\n"), crlf + lone


def _control(match: re.Match[str]) -> str:
    return _CONTROL_TO_SPACE.get(match.group(0), "")


def _fix_controls(text: str) -> tuple[str, int]:
    pattern = _CONTROL_ASTRAL_RE if _ASTRAL_TRIGGER_RE.search(text) else _CONTROL_RE
    return _substitute(pattern, _control)(text)


def _has_interior_candidates(text: str) -> bool:
    return "  " in text or _HWS_NOT_SPACE_RE.search(text) is not None


def _fix_trailing(text: str) -> tuple[str, int]:
    """Strip horizontal whitespace at line ends (line by line: faster than a regex)."""
    lines = text.split("\n")
    stripped = [line.rstrip(_HWS_CHARS) for line in lines]
    changes = sum(len(a) != len(b) for a, b in zip(lines, stripped, strict=True))
    return ("\n".join(stripped), changes) if changes else (text, 0)


def _balance_bidi_line(line: str) -> str:
    """Drop embedding/override/isolate controls that are not closed (or not opened).

    Follows UAX #9 pairing: PDF closes the innermost embedding or override inside the
    current isolate, PDI closes the innermost isolate (and with it any embeddings left
    open inside it, which are dropped). A balanced line is left alone, so right-to-left
    text that uses them properly keeps them.
    """
    stack: list[tuple[int, str]] = []
    drop: set[int] = set()
    for index, char in enumerate(line):
        kind = _BIDI_OPENERS.get(char)
        if kind is not None:
            stack.append((index, kind))
        elif char == _PDF:
            if stack and stack[-1][1] == "E":
                stack.pop()
            else:
                drop.add(index)
        elif char == _PDI:
            if any(entry[1] == "I" for entry in stack):
                while stack[-1][1] != "I":
                    drop.add(stack.pop()[0])
                stack.pop()
            else:
                drop.add(index)
    drop.update(index for index, _ in stack)
    return "".join(char for index, char in enumerate(line) if index not in drop)


def _fix_bidi(text: str) -> tuple[str, int]:
    """Balance bidi controls line by line (a line is a paragraph to the bidi algorithm);
    only lines that contain one are looked at."""
    if not _BIDI_RE.search(text):
        return text, 0
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if _BIDI_RE.search(line):
            lines[number] = _balance_bidi_line(line)
    fixed = "\n".join(lines)
    return fixed, len(text) - len(fixed)


def _is_latin_context(char: str) -> bool:
    """ASCII, Latin-1 and Latin Extended letters and punctuation: scripts without joining."""
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code <= 0x1EFF


def _joiner(match: re.Match[str]) -> str:
    """Keep ZWJ/ZWNJ where they may join something; drop them where they cannot.

    Emoji sequences (👩‍💻), Indic conjuncts and Persian/Arabic word shapes need them,
    so they stay between any two characters unless both are Latin-script (where a joiner
    does nothing) — and they go when they touch whitespace or a line end, where there is
    nothing to join.
    """
    text, start, end = match.string, match.start(), match.end()
    left = start - 1
    while left >= 0 and text[left] in "\u200c\u200d":
        left -= 1
    right = end
    while right < len(text) and text[right] in "\u200c\u200d":
        right += 1
    if left < 0 or right >= len(text):
        return ""
    before, after = text[left], text[right]
    if before.isspace() or after.isspace():
        return ""
    if _is_latin_context(before) and _is_latin_context(after):
        return ""
    return match.group(0)


def _fix_nfc(text: str) -> tuple[str, int]:
    fixed = unicodedata.normalize("NFC", text)
    return fixed, int(fixed != text)


def _indent(match: re.Match[str]) -> str:
    """Leading whitespace as spaces: tab stops every 4 columns, other spaces 1 column."""
    column = 0
    for char in match.group(0):
        column = (column // _TAB_WIDTH + 1) * _TAB_WIDTH if char == "\t" else column + 1
    return " " * column


def _no_break_run(match: re.Match[str]) -> str:
    """A whitespace run containing a no-break space, inside a line.

    U+202F (narrow no-break, French) and U+2007 (figure space) are never typed by
    accident, so they are kept. A plain NBSP is kept where typography wants one — before
    ``: ; ! ? »`` (French spacing), after ``«``, ``§`` and abbreviations such as
    ``Mr.``/``Dr``/``p.``/an initial, and between a number and a digit or unit
    (``10 000``, ``5 km``, ``20 %``) — and is otherwise an ordinary space that a web page
    pasted in (``&nbsp;``).
    """
    run = match.group(0)
    if "\u202f" in run:
        return "\u202f"
    if "\u2007" in run:
        return "\u2007"
    text, start, end = match.string, match.start(), match.end()
    before = text[max(0, start - _CONTEXT) : start]
    after = text[end : end + _CONTEXT]
    keep = (
        _NBSP_BEFORE_PUNCT_RE.match(after) is not None
        or _NBSP_AFTER_RE.search(before) is not None
        or (before[-1:].isdigit() and _UNIT_RE.match(after) is not None)
    )
    return "\u00a0" if keep else " "


# ------------------------------------------------------------------------------ table

RULES: tuple[CleanupRule, ...] = (
    CleanupRule(
        "line-endings",
        "Windows (CRLF) and old Mac (CR) files must count lines like Unix ones; each CRLF "
        "or lone CR is one line break, so line N stays line N.",
        _fix_line_endings,
        (
            ("one\r\ntwo\r\n", "one\ntwo\n"),
            ("one\rtwo\r", "one\ntwo\n"),
            ("one\r\r\ntwo", "one\n\ntwo"),
            ("one\n\ntwo", "one\n\ntwo"),
        ),
    ),
    CleanupRule(
        "control-characters",
        "Control codes (NUL, ESC, DEL, C1) are invisible, break XHTML and have no meaning "
        "in a story; vertical tab, form feed and NEL separated words, so they become spaces.",
        _fix_controls,
        (
            ("a\x00b", "ab"),
            ("\x1b[1mbold\x1b[0m", "[1mbold[0m"),
            ("page one\x0cpage two", "page one page two"),
            ("\x0c\nChapter 2", "\nChapter 2"),
            ("it\x92s", "its"),
            ("end\x7f", "end"),
            ("keeps\nnewlines", "keeps\nnewlines"),
        ),
        Report("FB102", "control character"),
    ),
    CleanupRule(
        "unbalanced-bidi",
        "A right-to-left embedding, override or isolate that is never closed reorders "
        "everything after it on the line (the 'Trojan Source' trick); balanced pairs stay.",
        _fix_bidi,
        (
            ("abc\u202edef", "abcdef"),
            ("abc\u202cdef", "abcdef"),
            ("say \u2067שלום\u2069 twice", "say \u2067שלום\u2069 twice"),
            ("\u202bעברית\u202c and \u2066x", "\u202bעברית\u202c and x"),
            ("\u2067a\u202ab\u2069", "\u2067ab\u2069"),
        ),
        Report("FB102", "unbalanced bidirectional-text control"),
    ),
    CleanupRule(
        "invisible-junk",
        "Zero-width spaces, word joiners, BOMs and soft hyphens pasted from web pages and "
        "word processors are invisible, break search and hyphenation, and mean nothing. "
        "Before NFC, so what they separated can compose.",
        _substitute(_JUNK_RE, ""),
        (
            ("zero\u200bwidth", "zerowidth"),
            ("\ufeffTitle", "Title"),
            ("mid\ufefffile", "midfile"),
            ("co\u00adoperate", "cooperate"),
            ("word\u2060joiner", "wordjoiner"),
            ("e\u200b\u0301", "é"),
        ),
        Report("FB103", "invisible formatting character"),
    ),
    CleanupRule(
        "nfc",
        "One spelling per character (é as one code point, not e + accent), so search, "
        "hyphenation, fonts and the typography rules see the same text.",
        _fix_nfc,
        (
            ("cafe\u0301", "café"),
            ("A\u030angstro\u0308m", "Ångström"),
            ("café", "café"),
        ),
    ),
    CleanupRule(
        "stray-joiners",
        "ZWJ/ZWNJ are needed in emoji, Indic and Persian text but are junk between Latin "
        "letters or next to a space. After NFC, so it sees composed neighbours.",
        _substitute(_JOINER_RE, _joiner),
        (
            ("wo\u200drd", "word"),
            ("end\u200c here", "end here"),
            ("\u200dstart", "start"),
            ("a\u0301\u200db", "áb"),
            ("👩\u200d💻", "👩\u200d💻"),
            ("क्\u200dष", "क्\u200dष"),
            ("می\u200cخواهم", "می\u200cخواهم"),
        ),
        Report("FB103", "invisible formatting character"),
    ),
    CleanupRule(
        "line-separators",
        "U+2028/U+2029 are line breaks to some programs and not to others; a space keeps "
        "the words apart without adding a line.",
        _substitute(_LINE_SEPARATOR_RE, " ", trigger=_LINE_SEPARATOR_RE.search),
        (
            ("first\u2028second", "first second"),
            ("para\u2029", "para"),
        ),
    ),
    CleanupRule(
        "trailing-whitespace",
        "Spaces at a line's end are invisible and make a blank line look non-blank; "
        "AO3 pastes use lines of only non-breaking spaces as blank lines.",
        _fix_trailing,
        (
            ("end.   \nnext", "end.\nnext"),
            ("one\n\u00a0\u00a0\ntwo", "one\n\ntwo"),
            ("one\n \t \ntwo", "one\n\ntwo"),
            ("last\t", "last"),
        ),
    ),
    CleanupRule(
        "leading-indent",
        "The parser detects indented-paragraph files by leading whitespace, so it is kept, "
        "as spaces: tab stops every 4 columns, a (no-break) space is one column.",
        _substitute(_LEADING_RE, _indent),
        (
            ("\tIndented.", "    Indented."),
            ("  \tMixed.", "    Mixed."),
            ("\u00a0\u00a0\u00a0\u00a0Pasted.", "    Pasted."),
            ("    Spaces.", "    Spaces."),
            ("\u3000Full width.", " Full width."),
        ),
    ),
    CleanupRule(
        "nbsp-word-space",
        "A no-break space belongs before French : ; ! ? », after Mr. or an initial, and "
        "between a number and its unit; elsewhere it is a pasted &nbsp; that stops lines "
        "from breaking, and becomes a space.",
        _substitute(_NO_BREAK_RUN_RE, _no_break_run, trigger=_NO_BREAK_RE.search),
        (
            ("the\u00a0cat\u00a0sat", "the cat sat"),
            ("Sentence.\u00a0 Next", "Sentence. Next"),
            ("Quoi\u00a0?", "Quoi\u00a0?"),
            ("«\u00a0Oui\u00a0»", "«\u00a0Oui\u00a0»"),
            ("Mr.\u00a0Smith", "Mr.\u00a0Smith"),
            ("J.\u00a0R. Tolkien", "J.\u00a0R. Tolkien"),
            ("5\u00a0km", "5\u00a0km"),
            ("10\u00a0000", "10\u00a0000"),
            ("5\u00a0men", "5 men"),
            ("Attention\u202f!", "Attention\u202f!"),
        ),
    ),
    CleanupRule(
        "interior-spaces",
        "Tabs and runs of spaces inside a line are layout, not text; one space remains. "
        "A single thin, em or ideographic space is deliberate and stays.",
        _substitute(_INTERIOR_RUN_RE, " ", trigger=_has_interior_candidates),
        (
            ("too   many", "too many"),
            ("tab\there", "tab here"),
            ("two.  Spaces", "two. Spaces"),
            ("thin\u2009space", "thin\u2009space"),
            ("    indent  kept", "    indent kept"),
        ),
    ),
)


# ------------------------------------------------------------------------------ engine


@dataclass(frozen=True)
class CleanResult:
    """The cleaned text, the diagnostics, and how many changes each rule made."""

    text: str
    diagnostics: tuple[Diagnostic, ...]
    counts: dict[str, int]


def _first_changed_line(before: str, after: str) -> int | None:
    """1-based number of the first line that differs (the rules keep line counts equal)."""
    if before == after:
        return None
    for number, (old, new) in enumerate(zip(before.split("\n"), after.split("\n"), strict=False),
                                        start=1):
        if old != new:
            return number
    return None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def clean(text: str, *, file: str) -> CleanResult:
    """Run :data:`RULES` over *text*; see :func:`clean_text`."""
    counts: dict[str, int] = {}
    found: dict[str, tuple[int | None, list[tuple[Report, int]]]] = {}
    for rule in RULES:
        fixed, changes = rule.fix(text)
        counts[rule.name] = changes
        if changes and rule.report is not None:
            line = _first_changed_line(text, fixed)
            first, parts = found.get(rule.report.code, (None, []))
            if first is None or (line is not None and line < first):
                first = line
            parts.append((rule.report, changes))
            found[rule.report.code] = (first, parts)
        text = fixed

    diagnostics = []
    for code, (line, parts) in found.items():
        what = " and ".join(_plural(count, report.noun) for report, count in parts)
        where = f"; the first was on line {line}" if line is not None else ""
        diagnostics.append(Diagnostic.create(code, file, line, f"removed {what}{where}"))
    return CleanResult(text, tuple(diagnostics), counts)


def clean_text(text: str, *, file: str) -> tuple[str, list[Diagnostic]]:
    """Clean decoded story text with :data:`RULES`, keeping every line where it was.

    Returns the text and its diagnostics: ``FB102`` (warning) when control characters or
    unbalanced bidi controls were removed, ``FB103`` (info) for zero-width junk and soft
    hyphens. Never raises; the number of lines (LF, CRLF and lone CR each ending one)
    never changes.
    """
    result = clean(text, file=file)
    return result.text, list(result.diagnostics)
