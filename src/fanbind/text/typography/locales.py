"""What differs between languages, as data: one :class:`Locale` per language, and its tables.

A story's BCP 47 tag picks a locale (:func:`locale_for`: ``de-AT`` → ``de``, ``de-CH``
→ Swiss German, ``en-AU`` → British nesting, ``nb`` → Norwegian); anything unknown
falls back to English, the language of the rules' examples. A locale says:

- what typed straight quotes become (``"`` → the primary marks, ``'`` → the secondary
  ones, except English, whose writers type both levels themselves) and which pairs of
  marks the quote lint balances (its primary first, for its hints);
- what a dash between words becomes (English follows the book's ``dash_style``; German,
  French, Nordic, Slavic and others their spaced dash; Spanish and CJK keep spacing as
  typed) and the dash that opens a line of dialogue, if the language uses one;
- spacing: none before ``, . ; : ! ?`` (English and most), French narrow no-break spaces
  before ``; : ! ?`` and inside « », or nothing touched (Chinese, Japanese: full-width
  punctuation and CJK brackets are left alone and no Latin spacing is ever inserted);
- the ellipsis (``……`` in Chinese and Japanese).

Only English turns already-curly marks round: “ means opening in English and closing
in German, so elsewhere a curly mark is taken as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import fanbind.text.typography.en as en
from fanbind.text.typography.en import SPACED_EM, SPACED_EN
from fanbind.text.typography.rules import (
    QuoteStyle,
    Rule,
    Table,
    double_quote_rule,
    single_quote_rule,
)

NNBSP = "\u202f"
NBSP = "\u00a0"

#: ``Locale.between`` for the book's own ``dash_style`` (English).
BOOK_DASH = "book"
#: ``Locale.spacing`` values.
SPACING_NONE, SPACING_FRENCH, SPACING_KEEP = "none-before", "french", "keep"


@dataclass(frozen=True)
class Locale:
    """The typographic conventions of one language (see the module docstring)."""

    tag: str
    name: str
    quotes: QuoteStyle
    #: Every pair of marks the quote lint balances, the primary (outer) pair first.
    pairs: tuple[tuple[str, str], ...]
    #: What a dash between words becomes; :data:`BOOK_DASH`: the book's ``dash_style``;
    #: ``None``: dashes keep the spaces they were typed with.
    between: str | None = SPACED_EN
    #: The dash (and space) that opens a paragraph of dialogue, or ``None``.
    dialogue: str | None = None
    spacing: str = SPACING_NONE
    ellipsis: str = "…"
    #: A mark that starts a paragraph continuing a quotation (French and Spanish »).
    continuation: str = ""
    #: Single hyphens hugging a narrator's aside are rayas (Spanish ``-dijo ella-.``).
    rayas: bool = False
    #: A word of speech and a few words of narration, for the quote rules' examples.
    sample: tuple[str, str] = ("Hello", "she said")

    @property
    def key(self) -> str:
        """The tag as a rule-name suffix: ``de-CH`` → ``de-ch``."""
        return self.tag.lower()

    @property
    def primary(self) -> tuple[str, str]:
        return self.pairs[0]


def _style(double: str, single: str, *, french: bool = False) -> QuoteStyle:
    """A quote style from two-character pairs: ``„“`` and ``‚‘``."""
    pad = NNBSP if french else ""
    return QuoteStyle(double[0] + pad, pad + double[1], single[0], single[1])


ENGLISH = en.QUOTES
GERMAN = _style("„“", "‚‘")
FRENCH = _style("«»", "“”", french=True)

LOCALES: dict[str, Locale] = {
    locale.tag: locale
    for locale in (
        Locale("en", "English (US nesting)", ENGLISH, (("“", "”"), ("‘", "’")),
               between=BOOK_DASH),
        Locale("en-GB", "English (UK nesting)", ENGLISH, (("‘", "’"), ("“", "”")),
               between=BOOK_DASH),
        Locale("de", "German", GERMAN, (("„", "“"), ("‚", "‘"), ("»", "«"), ("›", "‹")),
               sample=("Hallo", "sagte sie")),
        Locale("de-CH", "Swiss German", _style("«»", "‹›"),
               (("«", "»"), ("‹", "›"), ("„", "“"), ("‚", "‘")), sample=("Grüezi", "sagte sie")),
        Locale("fr", "French", FRENCH, (("«", "»"), ("“", "”"), ("‹", "›")),
               dialogue="—" + NBSP, spacing=SPACING_FRENCH, continuation="»",
               sample=("Bonjour", "dit-elle")),
        Locale("es", "Spanish", _style("«»", "“”"), (("«", "»"), ("“", "”"), ("‘", "’")),
               between=None, dialogue="—", continuation="»", rayas=True,
               sample=("Hola", "dijo ella")),
        Locale("it", "Italian", _style("«»", "“”"), (("«", "»"), ("“", "”"), ("‘", "’")),
               between=SPACED_EM, dialogue="—" + NBSP, continuation="»",
               sample=("Ciao", "disse lei")),
        Locale("pt", "Portuguese", _style("«»", "“”"), (("«", "»"), ("“", "”"), ("‘", "’")),
               between=SPACED_EM, dialogue="—" + NBSP, continuation="»",
               sample=("Olá", "disse ela")),
        Locale("pt-BR", "Brazilian Portuguese", _style("“”", "‘’"),
               (("“", "”"), ("‘", "’"), ("«", "»")), between=SPACED_EM, dialogue="—" + NBSP,
               sample=("Oi", "disse ela")),
        Locale("nl", "Dutch", _style("“”", "‘’"), (("“", "”"), ("‘", "’"), ("„", "”")),
               sample=("Hallo", "zei ze")),
        Locale("sv", "Swedish", _style("””", "’’"), (("”", "”"), ("’", "’"), ("»", "»")),
               dialogue="–" + NBSP, sample=("Hej", "sa hon")),
        Locale("da", "Danish", _style("»«", "›‹"), (("»", "«"), ("›", "‹"), ("„", "“")),
               dialogue="–" + NBSP, sample=("Hej", "sagde hun")),
        Locale("no", "Norwegian", _style("«»", "‘’"), (("«", "»"), ("‘", "’"), ("„", "“")),
               dialogue="–" + NBSP, sample=("Hei", "sa hun")),
        Locale("fi", "Finnish", _style("””", "’’"), (("”", "”"), ("’", "’"), ("»", "»")),
               dialogue="–" + NBSP, sample=("Hei", "hän sanoi")),
        Locale("pl", "Polish", _style("„”", "«»"), (("„", "”"), ("«", "»"), ("‚", "’")),
               between=SPACED_EM, dialogue="—" + NBSP, sample=("Cześć", "powiedziała")),
        Locale("cs", "Czech", _style("„“", "‚‘"), (("„", "“"), ("‚", "‘"), ("»", "«")),
               sample=("Ahoj", "řekla")),
        Locale("ru", "Russian", _style("«»", "„“"), (("«", "»"), ("„", "“")),
               between=SPACED_EM, dialogue="—" + NBSP, sample=("Привет", "сказала она")),
        Locale("uk", "Ukrainian", _style("«»", "„“"), (("«", "»"), ("„", "“")),
               between=SPACED_EM, dialogue="—" + NBSP, sample=("Привіт", "сказала вона")),
        Locale("ja", "Japanese", QuoteStyle("“", "”", "‘", "’"),
               (("「", "」"), ("『", "』"), ("“", "”"), ("‘", "’")),
               between=None, spacing=SPACING_KEEP, ellipsis="……", sample=("はい", "と言った")),
        Locale("zh", "Chinese", QuoteStyle("“", "”", "‘", "’"),
               (("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』")),
               between=None, spacing=SPACING_KEEP, ellipsis="……", sample=("你好", "她说")),
    )
}
"""Every locale fanbind knows, by tag."""

#: Tags that share another's conventions (primary subtag, or the whole tag).
ALIASES = {
    "nb": "no", "nn": "no", "en-au": "en-GB", "en-nz": "en-GB", "en-ie": "en-GB",
    "en-za": "en-GB", "en-in": "en-GB", "de-li": "de-CH", "pt-pt": "pt",
}

DEFAULT_LANGUAGE = "en"


def locale_for(language: str | None) -> Locale:
    """The locale of a BCP 47 tag: its longest known prefix, else English.

    ``de-CH-1996`` → Swiss German, ``de-AT`` → German, ``zh-Hant-TW`` → Chinese,
    ``xx`` → English.
    """
    return _locale_for((language or "").strip().replace("_", "-").lower())


@lru_cache(maxsize=256)
def _locale_for(tag: str) -> Locale:
    by_key = {key.lower(): locale for key, locale in LOCALES.items()}
    parts = tag.split("-")
    for end in range(len(parts), 0, -1):
        prefix = "-".join(parts[:end])
        prefix = ALIASES.get(prefix, prefix).lower()
        if prefix in by_key:
            return by_key[prefix]
    return LOCALES[DEFAULT_LANGUAGE]


def primary_language(language: str | None) -> str:
    """The tag of the locale that ``language`` resolves to (``de-AT`` → ``de``)."""
    return locale_for(language).tag


def quote_style(language: str | None) -> QuoteStyle:
    """The quotation marks typed quotes become for ``language``."""
    return locale_for(language).quotes


# ------------------------------------------------------------- locale-only rules

_DIALOGUE = re.compile(r"^(?:-{1,3}|[–—―])[ \u00a0]*(?=[^\W\d_]|[¿¡«„“\"'…])")
_GATE_DIALOGUE = re.compile(r"^[-–—―]")
_FRENCH_HIGH = re.compile(
    r"(?<=[^\W_]|[»”’)…\]])[ \u00a0\u202f]?(?=[;!?](?:\s|$|[;:!?»”’)…])|:(?:\s|$))"
)
_GATE_FRENCH_HIGH = re.compile("[;:!?]")
# Opening, closing, and the » that opens a paragraph continuing a quotation.
_FRENCH_GUILLEMETS = re.compile(
    r"«[ \u00a0\u202f]?(?=[^\s»])|(?<=[^\s«])[ \u00a0\u202f]?»|^»[ \u00a0\u202f]?(?=[^\s»])"
)
_GATE_FRENCH_GUILLEMETS = re.compile("[«»]")


_RAYA = re.compile(r"(?<=\s)-(?=[^\W\d_])|(?<=[^\W\d_])-(?=[.,;:]|\s|$)")
_GATE_RAYA = re.compile("-")


def raya_rule() -> Rule:
    return Rule(
        name="raya",
        why="A hyphen opening or closing a narrator's aside in dialogue is a raya hugging it.",
        pattern=_RAYA,
        gate=_GATE_RAYA,
        replacement="—",
        examples=(
            ("—Hola -dijo ella-. ¿Vienes?", "—Hola —dijo ella—. ¿Vienes?"),
            ("—No -susurró- ahora no.", "—No —susurró— ahora no."),
            ("un acuerdo franco-alemán", "un acuerdo franco-alemán"),
            ("-5 grados", "-5 grados"),
        ),
    )


def dialogue_dash_rule(locale: Locale) -> Rule:
    """A hyphen or dash opening a paragraph of dialogue → the language's dialogue dash."""
    mark = locale.dialogue or "—"
    word = locale.sample[0]
    return Rule(
        name="dialogue-dash",
        why="A paragraph of speech opens with the language's dialogue dash and its spacing.",
        pattern=_DIALOGUE,
        gate=_GATE_DIALOGUE,
        replacement=mark,
        examples=(
            (f"- {word}.", f"{mark}{word}."),
            (f"-- {word}.", f"{mark}{word}."),
            (f"— {word}.", f"{mark}{word}."),
            (f"{mark}{word}.", f"{mark}{word}."),
            ("-5", "-5"),
        ),
    )


def _french_high(match: re.Match[str]) -> str:
    following = match.string[match.end()]
    return NBSP if following == ":" else NNBSP


def french_spacing_rule() -> Rule:
    return Rule(
        name="french-spacing",
        why="French sets a narrow no-break space before ; ! ? and a no-break space before :.",
        pattern=_FRENCH_HIGH,
        gate=_GATE_FRENCH_HIGH,
        replacement=_french_high,
        examples=(
            ("Quoi ?", f"Quoi{NNBSP}?"),
            ("Quoi?!", f"Quoi{NNBSP}?!"),
            ("Viens ; vite !", f"Viens{NNBSP}; vite{NNBSP}!"),
            ("Il dit : non.", f"Il dit{NBSP}: non."),
            ("à 10:30", "à 10:30"),
            ("https://example.org/?q=1", "https://example.org/?q=1"),
            (f"Quoi{NNBSP}?", f"Quoi{NNBSP}?"),
        ),
    )


def _french_guillemet(match: re.Match[str]) -> str:
    found = match.group(0)
    if found[0] in "«»" and (found[0] == "«" or match.start() == 0):
        return found[0] + NNBSP
    return NNBSP + "»"


def french_guillemets_rule() -> Rule:
    return Rule(
        name="french-guillemets",
        why="French guillemets hold their words at a narrow no-break space: «\u202fOui\u202f».",
        pattern=_FRENCH_GUILLEMETS,
        gate=_GATE_FRENCH_GUILLEMETS,
        replacement=_french_guillemet,
        examples=(
            ("» Suite du discours.", f"»{NNBSP}Suite du discours."),
            ("«Oui»", f"«{NNBSP}Oui{NNBSP}»"),
            ("« Oui »", f"«{NNBSP}Oui{NNBSP}»"),
            (f"«{NNBSP}Oui{NNBSP}»", f"«{NNBSP}Oui{NNBSP}»"),
        ),
    )


# ------------------------------------------------------------------ the tables


def _quote_examples(locale: Locale) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Examples for the quote rules, made of the locale's own marks and words."""
    q = locale.quotes
    word, narration = locale.sample
    double: tuple[tuple[str, str], ...] = (
        (f'"{word}" {narration}.', f"{q.open_double}{word}{q.close_double} {narration}."),
        (f'{narration}: "{word}"', f"{narration}: {q.open_double}{word}{q.close_double}"),
        (f"{q.open_double}{word}{q.close_double}", f"{q.open_double}{word}{q.close_double}"),
    )
    single = (
        (f"{narration} '{word}'", f"{narration} {q.open_single}{word}{q.close_single}"),
        (f"{word}s' {narration}", f"{word}s’ {narration}"),
        (f"{q.open_single}{word}{q.close_single}", f"{q.open_single}{word}{q.close_single}"),
    )
    if locale.spacing == SPACING_FRENCH:
        double = double[:1] + double[2:]  # the colon takes its own space in French
    return double, single


def _spacing_rules(locale: Locale) -> tuple[Rule, ...]:
    if locale.spacing == SPACING_FRENCH:
        return (
            en.space_before_punctuation_rule(high=False),
            # Guillemets first: ``:»`` becomes ``:\u202f»``, and then the colon's space
            # is due (in the other order a second run would add it).
            french_guillemets_rule(),
            french_spacing_rule(),
        )
    if locale.spacing == SPACING_KEEP:
        return ()
    return (en.space_before_punctuation_rule(),)


def build_table(locale: Locale, dash_style: str = "em") -> Table:
    """The ordered rule table for ``locale`` (and, for English, the book's dash style)."""
    if locale.quotes is ENGLISH:
        return en.TABLES[dash_style]  # en-GB nests the other way round but types the same
    between = en.between_dash(dash_style) if locale.between == BOOK_DASH else locale.between
    double, single = _quote_examples(locale)
    dialogue: tuple[Rule, ...] = (dialogue_dash_rule(locale),) if locale.dialogue else ()
    if locale.rayas:
        dialogue += (raya_rule(),)
    return (
        *en.head_rules(between, ellipsis=locale.ellipsis),
        *dialogue,
        en.decade_rule(fix_curly=False),
        en.apostrophe_rule(fix_curly=False),
        double_quote_rule(f"double-quotes-{locale.key}", locale.quotes, double),
        single_quote_rule(f"single-quotes-{locale.key}", locale.quotes, single),
        *_spacing_rules(locale),
    )


def _tables() -> dict[tuple[str, str], Table]:
    tables: dict[tuple[str, str], Table] = {}
    for tag, locale in LOCALES.items():
        if locale.between == BOOK_DASH:
            for style in en.DASH_STYLES:
                tables[(tag, style)] = build_table(locale, style)
        else:
            # The language's own dash: one table serves both dash styles.
            table = build_table(locale)
            for style in en.DASH_STYLES:
                tables[(tag, style)] = table
    return tables


TABLES: dict[tuple[str, str], Table] = _tables()
"""Every rule table, keyed by (locale tag, dash style); built once at import."""


def table_for(language: str | None = "en", dash_style: str = "em") -> Table:
    """The rule table for a story's language tag and the book's dash style."""
    en.check_dash_style(dash_style)
    return TABLES[(locale_for(language).tag, dash_style)]
