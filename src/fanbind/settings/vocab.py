"""AO3's vocabularies (ratings, categories) and language tags, as people write them."""

from __future__ import annotations

import re
from enum import StrEnum


class Rating(StrEnum):
    """AO3's ratings, spelt as AO3 spells them."""

    GENERAL = "General Audiences"
    TEEN = "Teen And Up Audiences"
    MATURE = "Mature"
    EXPLICIT = "Explicit"
    NOT_RATED = "Not Rated"


class Category(StrEnum):
    """AO3's relationship categories."""

    FF = "F/F"
    FM = "F/M"
    GEN = "Gen"
    MM = "M/M"
    MULTI = "Multi"
    OTHER = "Other"


def fold(text: str) -> str:
    """Case, ``-``/``_`` and spacing differences do not make a different word."""
    text = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[-_]+", " ", text).split())


#: AO3 shows ratings as G/T/M/E badges and people write them that way; the
#: MPAA/FFN ratings (PG-13, K+, R) are *not* accepted: their mapping is a guess.
RATING_WORDS: dict[str, Rating] = {
    **{fold(r.value): r for r in Rating},
    "g": Rating.GENERAL, "gen": Rating.GENERAL, "general": Rating.GENERAL,
    "t": Rating.TEEN, "teen": Rating.TEEN, "teen and up": Rating.TEEN,
    "teen and up audience": Rating.TEEN,
    "m": Rating.MATURE,
    "e": Rating.EXPLICIT,
    "nr": Rating.NOT_RATED, "notrated": Rating.NOT_RATED, "unrated": Rating.NOT_RATED,
}
RATING_CHOICES = ", ".join(r.value for r in Rating)

CATEGORY_WORDS: dict[str, Category] = {
    "f/f": Category.FF, "ff": Category.FF,
    "f/m": Category.FM, "fm": Category.FM, "m/f": Category.FM, "mf": Category.FM,
    "m/m": Category.MM, "mm": Category.MM,
    "gen": Category.GEN, "general": Category.GEN,
    "multi": Category.MULTI, "multiple": Category.MULTI,
    "other": Category.OTHER,
}
CATEGORY_CHOICES = ", ".join(c.value for c in Category)

# BCP 47 (RFC 5646) by shape only: language[-extlang][-Script][-REGION][-variant]*
# [-singleton-ext]*[-x-private]. Whether the subtags are *registered* is not
# checked: the registry changes and a wrong-but-well-formed tag only costs a
# reading system's hyphenation, not the build. One narrowing of the grammar: the
# primary language must be 2-3 letters. The grammar's 4-8 letter form is reserved
# and unused, and allowing it would accept the commonest mistake, `english`.
_BCP47 = re.compile(
    r"""^[a-z]{2,3}(?:-[a-z]{3}){0,3}
        (?:-[a-z]{4})?
        (?:-(?:[a-z]{2}|[0-9]{3}))?
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
        (?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*
        (?:-x(?:-[a-z0-9]{1,8})+)?$""",
    re.VERBOSE,
)


def normalise_language(tag: str) -> str:
    """Check a BCP 47 tag's shape and give it its conventional case.

    ``EN-gb`` → ``en-GB``, ``zh-hant-tw`` → ``zh-Hant-TW``, ``pt_BR`` → ``pt-BR``
    (the underscore spelling comes from locales and is too common to refuse).
    Raises :class:`ValueError` with a reason when the shape is wrong.
    """
    lowered = tag.strip().replace("_", "-").lower()
    if not _BCP47.match(lowered):
        raise ValueError(tag)
    parts = lowered.split("-")
    out = [parts[0]]
    singleton = False
    for part in parts[1:]:
        if len(part) == 1:
            singleton = True
        if not singleton and len(part) == 4 and part.isalpha():
            part = part.title()
        elif not singleton and len(part) == 2:
            part = part.upper()
        out.append(part)
    return "-".join(out)


#: Language *names* people write instead of tags (for the hint only).
LANGUAGE_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "francais": "fr",
    "français": "fr", "spanish": "es", "español": "es", "espanol": "es", "portuguese": "pt",
    "italian": "it", "dutch": "nl", "polish": "pl", "russian": "ru", "japanese": "ja",
    "chinese": "zh", "korean": "ko", "swedish": "sv", "norwegian": "nb", "danish": "da",
    "finnish": "fi", "turkish": "tr", "vietnamese": "vi", "indonesian": "id",
}

