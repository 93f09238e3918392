"""AO3's tag list → StoryConfig fields: one mapping for every form a work reaches us in.

The HTML/EPUB download (``dl.tags`` in the preface, :mod:`fanbind.text.readers.ao3`)
and a whole page pasted as text (``Rating:`` / ``Teen And Up Audiences``, read by
the structure parser) state the same labels with the same values; both turn them
into :data:`FoundField` rows here, so ``init``, ``build`` and ``check`` see one set
of field names whatever the file was.
"""

from __future__ import annotations

import re

__all__ = ["LANGUAGES", "TAG_FIELDS", "FoundField", "split_names", "tag_fields"]

#: A metadata field a story file states: (StoryConfig field, value, 1-based line).
FoundField = tuple[str, str | tuple[str, ...], int | None]

#: AO3's tag labels (lower case, no colon) → StoryConfig's list fields (and the
#: one-value rating; ``language_name``, ``series`` and ``stats`` are read specially).
TAG_FIELDS = {
    "rating": "rating", "ratings": "rating",
    "archive warning": "warnings", "archive warnings": "warnings",
    "category": "categories", "categories": "categories",
    "fandom": "fandoms", "fandoms": "fandoms",
    "relationship": "relationships", "relationships": "relationships",
    "character": "characters", "characters": "characters",
    "additional tags": "tags", "freeform": "tags",
    "language": "language_name",
    "series": "series",
    "collections": "collections", "collection": "collections",
    "stats": "stats",
}
#: AO3's language names (each in its own language) → BCP 47, for the common ones; an
#: unlisted name is left out and the story keeps the book's language.
LANGUAGES = {
    "english": "en", "español": "es", "français": "fr", "deutsch": "de", "italiano": "it",
    "русский": "ru", "polski": "pl", "nederlands": "nl", "svenska": "sv", "suomi": "fi",
    "dansk": "da", "norsk": "no", "čeština": "cs", "português brasileiro": "pt-BR",
    "português europeu": "pt-PT", "日本語": "ja", "한국어": "ko", "中文-普通话 國語": "zh",
    "中文-廣東話 粵語": "yue", "türkçe": "tr", "tiếng việt": "vi", "bahasa indonesia": "id",
    "українська": "uk", "magyar": "hu", "română": "ro", "ελληνικά": "el", "עברית": "he",
    "العربية": "ar", "català": "ca",
}
_PUBLISHED = re.compile(r"Published:\s*(\d{4}-\d{2}-\d{2})")
_PART = re.compile(r"Part\s+(\d+)\s+of\s+(.+)", re.IGNORECASE)
_SERIES_NAV = re.compile(r"\s*(?:Next Work\s*→?|→)\s*$", re.IGNORECASE)


def tag_fields(label: str, values: tuple[str, ...], text: str,
               line: int | None) -> list[FoundField]:
    """The fields one entry of AO3's tag list states.

    ``label`` is the entry's label, lower case without its colon ("archive warnings");
    ``values`` its tags one by one; ``text`` the entry's whole text ("Part 2 of Bells",
    "Published: 2020-03-04 Words: 4,559"). Unknown labels and collections state nothing.
    """
    field = TAG_FIELDS.get(label)
    if field == "rating":
        return [("rating", values[0], line)] if values else []
    if field == "language_name":
        name = text.strip()
        found: list[FoundField] = [("language_name", name, line)]
        if name.lower() in LANGUAGES:
            found.append(("language", LANGUAGES[name.lower()], line))
        return found
    if field == "series":
        match = _PART.search(text)
        if not match:
            return []
        # A pasted page's series entry carries its links: "… Part 2 of X Next Work →".
        name = _SERIES_NAV.sub("", match.group(2)).strip()
        return [("series", name, line), ("series_part", match.group(1), line)]
    if field == "stats":
        published = _PUBLISHED.search(text)
        return [("published", published.group(1), line)] if published else []
    if field is None or field == "collections" or not values:
        return []
    return [(field, values, line)]


def split_names(byline: str) -> tuple[str, ...]:
    """"by Wren Alder, Fen Marsh and Ash" → the names, as AO3's byline lists them."""
    names = re.split(r",|\s+and\s+|\s+&\s+", byline.strip().removeprefix("by ").strip())
    return tuple(name.strip() for name in names if name.strip())
