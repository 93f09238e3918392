"""Quote styles and rule tables keyed by language.

Dashes, ellipses, number ranges, primes and apostrophes are the same across the
languages fanbind knows; what differs is the quotation marks (and, for French, the
narrow no-break space inside guillemets and before high punctuation, which is why
the French table does not remove spaces before ``;:!?``). A story's BCP-47 language
tag picks the table by its primary subtag (``en-GB`` → ``en``, ``de-AT`` → ``de``);
anything unknown falls back to English, the language of the rules' examples.

German and French tables only curl *straight* quotes: an already-curly “ means
opening in English but closing in German, so turning curly marks round is an
English-only rule.
"""

from __future__ import annotations

from fanbind.text.typography import en
from fanbind.text.typography.rules import (
    QuoteStyle,
    Rule,
    Table,
    double_quote_rule,
    single_quote_rule,
)

NNBSP = "\u202f"

ENGLISH = en.QUOTES
GERMAN = QuoteStyle(open_double="„", close_double="“", open_single="‚", close_single="‘")
FRENCH = QuoteStyle(
    open_double="«" + NNBSP, close_double=NNBSP + "»", open_single="“", close_single="”"
)

QUOTE_STYLES: dict[str, QuoteStyle] = {"en": ENGLISH, "de": GERMAN, "fr": FRENCH}
"""Quotation marks by primary language subtag."""

DEFAULT_LANGUAGE = "en"


def primary_language(language: str | None) -> str:
    """The known primary subtag of a BCP-47 tag, or the default (``en``)."""
    primary = (language or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in QUOTE_STYLES else DEFAULT_LANGUAGE


def quote_style(language: str | None) -> QuoteStyle:
    """The quotation marks for ``language``."""
    return QUOTE_STYLES[primary_language(language)]


_GERMAN_DOUBLE = (
    ('"Hallo," sagte sie.', "„Hallo,“ sagte sie."),
    ('Er sagte: "Nein."', "Er sagte: „Nein.“"),
    ("„Hallo“", "„Hallo“"),
)
_GERMAN_SINGLE = (
    ("\"Sie sagte 'nein' zu mir.\"", "„Sie sagte ‚nein‘ zu mir.“"),
    ("Geht’s dir gut?", "Geht’s dir gut?"),
    ("Hans' Auto", "Hans’ Auto"),
)
_FRENCH_DOUBLE = (
    ('"Bonjour," dit-elle.', f"«{NNBSP}Bonjour,{NNBSP}» dit-elle."),
    (f"«{NNBSP}Bonjour{NNBSP}»", f"«{NNBSP}Bonjour{NNBSP}»"),
)
_FRENCH_SINGLE = (
    ("\"Il a dit 'non'.\"", f"«{NNBSP}Il a dit “non”.{NNBSP}»"),
    ("l’homme", "l’homme"),
)


def _shared(dash_style: str) -> tuple[Rule, ...]:
    """Everything but the quote rules: the neutral head and straight apostrophes."""
    return (
        *en.head_rules(dash_style),
        en.decade_rule(fix_curly=False),
        en.apostrophe_rule(fix_curly=False),
    )


def _german(dash_style: str) -> Table:
    return (
        *_shared(dash_style),
        double_quote_rule("double-quotes-de", GERMAN, _GERMAN_DOUBLE),
        single_quote_rule("single-quotes-de", GERMAN, _GERMAN_SINGLE),
        en.space_before_punctuation_rule(),
    )


def _french(dash_style: str) -> Table:
    return (
        *_shared(dash_style),
        double_quote_rule("double-quotes-fr", FRENCH, _FRENCH_DOUBLE),
        single_quote_rule("single-quotes-fr", FRENCH, _FRENCH_SINGLE),
    )


TABLES: dict[tuple[str, str], Table] = {
    **{("en", style): table for style, table in en.TABLES.items()},
    **{("de", style): _german(style) for style in en.DASH_STYLES},
    **{("fr", style): _french(style) for style in en.DASH_STYLES},
}
"""Every rule table, keyed by (primary language, dash style); built once at import."""


def table_for(language: str | None = "en", dash_style: str = "em") -> Table:
    """The rule table for a story's language tag and the book's dash style."""
    en.check_dash_style(dash_style)
    return TABLES[(primary_language(language), dash_style)]
