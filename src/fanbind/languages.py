"""Whether a well-formed language tag names a language, and what was probably meant.

The settings check a tag's BCP 47 *shape*; this module checks its language, extended
language and region subtags against ISO's lists (:mod:`fanbind.language_codes`), so
``xx-bogus``, ``eng`` and ``en-UK`` are caught where they are given rather than
silently set as English. Scripts and variants are left to the shape check: their
registries change more often than a wrong one costs.
"""

from __future__ import annotations

from functools import cache

from fanbind import language_codes as codes

__all__ = ["is_known_language", "unknown_subtag"]

#: Two-letter codes BCP 47 deprecated, and what replaced them.
_DEPRECATED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
#: Country codes people write for a language (``jp`` for Japanese).
_COUNTRY_FOR_LANGUAGE = {
    "jp": "ja", "cn": "zh", "gr": "el", "dk": "da", "ua": "uk", "cz": "cs", "kr": "ko",
    "us": "en", "gb": "en", "vn": "vi", "rs": "sr", "ir": "fa", "il": "he", "at": "de",
}
_REGION_MISTAKES = {"UK": "GB"}
#: Regions BCP 47 registers beyond ISO 3166-1, and its private-use ranges.
_EXTRA_REGIONS = frozenset(
    {"EU", "UN", "AA", "ZZ"}
    | {"Q" + c for c in "MNOPQRSTUVWXYZ"}
    | {"X" + chr(c) for c in range(ord("A"), ord("Z") + 1)}
)


@cache
def _two() -> frozenset[str]:
    return frozenset(codes.LANGUAGES_2.split())


@cache
def _three() -> frozenset[str]:
    return frozenset(codes.LANGUAGES_3.split())


@cache
def _regions() -> frozenset[str]:
    return frozenset(codes.REGIONS.split()) | _EXTRA_REGIONS


def _private_use(code: str) -> bool:
    """``qaa``–``qtz``: languages a tag may name by private agreement."""
    return len(code) == 3 and code[0] == "q" and "a" <= code[1] <= "t"


def _language_problem(code: str) -> tuple[str, str | None] | None:
    if len(code) == 2:
        if code in _two():
            return None
        if code in _DEPRECATED:
            return f"{code!r} is an old code for {_DEPRECATED[code]!r}", _DEPRECATED[code]
        if code in _COUNTRY_FOR_LANGUAGE:
            suggestion = _COUNTRY_FOR_LANGUAGE[code]
            return f"{code!r} is a country, not a language", suggestion
        return f"{code!r} is not a known language", None
    if code in codes.BIBLIOGRAPHIC:
        short = codes.BIBLIOGRAPHIC[code]
        return f"{code!r} is a library code; tags write {short!r}", short
    if code in codes.SHORTER:
        short = codes.SHORTER[code]
        return f"{code!r} is written {short!r} in a language tag", short
    if code in _three() or _private_use(code):
        return None
    return f"{code!r} is not a known language", None


def unknown_subtag(tag: str) -> tuple[str, str | None] | None:
    """What is unknown in a well-formed ``tag``, and a tag that was probably meant.

    ``None`` when the language (and extended language and region, if any) are
    known: ``en``, ``de-CH``, ``zh-Hant-TW``, ``yue``, ``es-419``, ``x-…`` private
    parts. Otherwise a reason and a suggestion (``None`` when there is no guess):
    ``en-UK`` → ("'UK' is not a region", "en-GB"), ``xx-bogus`` → ("'xx' is not a
    known language", None).
    """
    parts = tag.replace("_", "-").split("-")
    primary = parts[0].lower()
    problem = _language_problem(primary)
    if problem is not None:
        reason, better = problem
        return reason, "-".join([better, *parts[1:]]) if better else None
    for position, part in enumerate(parts[1:], 1):
        if len(part) == 1:
            break  # extensions and private use (-u-…, -x-…) are beyond the lists
        if len(part) == 3 and part.isalpha() and position <= 3:
            if part.lower() not in _three():
                return f"{part!r} is not a known language", None
        elif len(part) == 2 and part.isalpha():
            region = part.upper()
            if region not in _regions():
                better = _REGION_MISTAKES.get(region)
                fixed = "-".join([*parts[:position], better, *parts[position + 1:]]) \
                    if better else None
                return f"{part!r} is not a region", fixed
    return None


def is_known_language(tag: str) -> bool:
    """Whether a well-formed BCP 47 ``tag`` names known subtags (see :func:`unknown_subtag`)."""
    return unknown_subtag(tag) is None
