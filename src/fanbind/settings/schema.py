"""metadata.yaml: loading, validation and the frozen settings every stage reads.

metadata.yaml is written by hand, by people who are not programmers, and it may
come from somewhere untrusted (a shared anthology project, an upload). So this
module has two jobs:

* **Never crash, never obey.** Only a :class:`yaml.SafeLoader` subclass reads
  the file; tags that would build Python objects are refused while the node tree
  is composed (so they are never constructed, let alone run); alias bombs, deep
  nesting, oversized files and undecodable bytes all become a
  :class:`~fanbind.errors.MetadataError`. No other exception type leaves
  :func:`load_config` or :func:`parse_config`.
* **Explain, in people's words, where.** Validation is pydantic's, but every
  error is mapped back to the YAML node it came from, so a message reads
  ``metadata.yaml:7:11: stories[3] (seeds/003.txt).rating: 'PG-13' is not an AO3
  rating`` with a hint listing the allowed values. Misspelt keys get the nearest
  known key. Story numbers in messages count from 1, like people do.

Plain scalars are read as *text*, not as YAML 1.1 booleans, numbers or dates:
``title: 1984``, ``language: no`` (Norwegian) and ``identifier: 0123`` mean what
they say. Fields that want a number, a flag or a date convert the text
themselves (pydantic's lax mode, or the date validator below), so
``crop_marks: yes`` and ``pad_to: 4`` still work.

Settings that bound the *work* of reading the file live in :class:`Limits`
(chosen by the program, overridable with ``FANBIND_*`` environment variables);
settings that describe the *book* live in metadata.yaml itself, including the
``limits:`` mapping (:class:`LimitsConfig`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import os
import posixpath
import re
import stat
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, get_args, get_origin
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fanbind.errors import MetadataError
from fanbind.languages import unknown_subtag

__all__ = [
    "AnthologyConfig",
    "Category",
    "Limits",
    "LimitsConfig",
    "PrintConfig",
    "Rating",
    "StoryConfig",
    "load_config",
    "parse_config",
]

# ------------------------------------------------------------------ limits


@dataclass(frozen=True)
class Limits:
    """Bounds on the work of reading metadata.yaml, chosen by the caller.

    They exist because the file may be hostile: each one stops a way to make
    the loader eat memory or time before validation could say anything useful.
    They are checked before the thing they bound is expanded (size before
    reading, aliases and depth while composing, the expanded node count before
    building Python objects). :meth:`from_env` lets a person raise one without
    a code change; every "limit exceeded" message names its variable.
    """

    max_yaml_bytes: int = 2 * 1024 * 1024
    """metadata.yaml bigger than this is refused before it is read."""
    max_aliases: int = 100
    """YAML aliases (``*name``) allowed in one file ("billion laughs")."""
    max_stories: int = 5000
    """Stories allowed when metadata.yaml does not set ``limits: max_stories``."""
    max_depth: int = 100
    """Nesting depth of lists and mappings (aliases included)."""
    max_nodes: int = 1_000_000
    """Values in the document once every alias is expanded."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by ``FANBIND_MAX_YAML_BYTES`` and friends.

        The CLI has no flag for these (they rarely need raising), so the
        environment is the one place a person can raise them.
        """
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for spec in fields(cls):
            name = _env_name(spec.name)
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                number = int(raw.strip().replace("_", ""))
            except ValueError:
                number = 0
            if number < 1:
                raise MetadataError(
                    f"the environment variable {name}={raw!r} is not a positive whole number",
                    hint=f"unset {name}, or set it to a number such as {getattr(cls, spec.name)}",
                )
            values[spec.name] = number
        return cls(**values)


def _env_name(field_name: str) -> str:
    """``max_yaml_bytes`` → ``FANBIND_MAX_YAML_BYTES``."""
    return "FANBIND_" + field_name.upper()


#: Top-level keys starting with this are ignored: a place for YAML anchors
#: (``x-defaults: &defaults {author: Anonymous}``), as in docker-compose files.
EXTENSION_PREFIX = "x-"
#: Stories shown per error message: past this, reading on only makes a wall of text.
MAX_REPORTED_PROBLEMS = 50
#: Unknown keys reported one by one in a mapping; more than this is a wrong file.
_MAX_UNKNOWN_KEYS = 20

# ------------------------------------------------------------- vocabularies


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


def _fold(text: str) -> str:
    """Case, ``-``/``_`` and spacing differences do not make a different word."""
    text = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[-_]+", " ", text).split())


#: AO3 shows ratings as G/T/M/E badges and people write them that way; the
#: MPAA/FFN ratings (PG-13, K+, R) are *not* accepted: their mapping is a guess.
_RATING_WORDS: dict[str, Rating] = {
    **{_fold(r.value): r for r in Rating},
    "g": Rating.GENERAL, "gen": Rating.GENERAL, "general": Rating.GENERAL,
    "t": Rating.TEEN, "teen": Rating.TEEN, "teen and up": Rating.TEEN,
    "teen and up audience": Rating.TEEN,
    "m": Rating.MATURE,
    "e": Rating.EXPLICIT,
    "nr": Rating.NOT_RATED, "notrated": Rating.NOT_RATED, "unrated": Rating.NOT_RATED,
}
_RATING_CHOICES = ", ".join(r.value for r in Rating)

_CATEGORY_WORDS: dict[str, Category] = {
    "f/f": Category.FF, "ff": Category.FF,
    "f/m": Category.FM, "fm": Category.FM, "m/f": Category.FM, "mf": Category.FM,
    "m/m": Category.MM, "mm": Category.MM,
    "gen": Category.GEN, "general": Category.GEN,
    "multi": Category.MULTI, "multiple": Category.MULTI,
    "other": Category.OTHER,
}
_CATEGORY_CHOICES = ", ".join(c.value for c in Category)

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


# -------------------------------------------------------- field validators


def _fail(message: str, hint: str | None = None, *, at: tuple[str | int, ...] = ()) -> NoReturn:
    """Raise a validation error that carries a person's message and hint.

    ``at`` extends the error's location (a list item, a key) so the formatter
    can point at the exact value even when pydantic only knows the field.
    """
    raise PydanticCustomError("fanbind", "{message}", {"message": message, "hint": hint, "at": at})


def _show(value: Any, width: int = 60) -> str:
    """A value as it may appear in a message: quoted, escaped, bounded."""
    if isinstance(value, str):
        text = repr(value)
        if len(text) > width:
            text = text[: width - 2] + "…" + text[0]
        return text
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping (key: value lines)"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)[:width]


def _kind(value: Any) -> str:
    """What a value *is*, for "expected text, got …" messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    return _show(value)


def _text_list(value: Any) -> Any:
    """Accept one string where a list of strings is expected; check every item.

    Items are checked here, in one pass, rather than by pydantic item by item,
    so a list of a million wrong items yields one error, not a million.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return _fail(f"expected a list, got {_kind(value)}",
                     "write `[one, two]` or one `- item` per line; a single value may be "
                     "written on its own")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            return _fail(f"expected text, got {_kind(item)}",
                         "each item of this list is one piece of text; quote it if it "
                         "contains ': ' or starts with a special character", at=(index,))
        if not item.strip():
            return _fail("this item is empty", "delete it or write something", at=(index,))
    return value


def _to_date(value: Any) -> dt.date | None:
    """A date from ``2024-05-31`` (or an ISO date-time), else a clear refusal.

    YAML's own timestamp resolution is bypassed (all scalars are text), because
    PyYAML raises a bare ValueError for ``2024-13-45`` and builds a date from a
    bare integer as seconds since 1970.
    """
    hint = "write the date as YYYY-MM-DD, for example 2024-05-31"
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(value, str):
        return _fail(f"expected a date, got {_kind(value)}", hint)
    text = value.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            return _fail(f"{_show(value)} is not a real date ({exc})", hint)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return _fail(f"{_show(value)} is not a date", hint)


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


# ------------------------------------------------------------------ models


class _Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently drop a setting)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _not_a_junk_mapping(cls, data: Any) -> Any:
        """Refuse a mapping of hundreds of unknown keys in one error.

        pydantic reports every extra key separately; a hostile mapping with
        100,000 of them would cost seconds and hundreds of MB of error objects.
        """
        if isinstance(data, dict) and len(data) > _MAX_UNKNOWN_KEYS:
            known = _known_keys(cls)
            unknown = [k for k in data if k not in known]
            if len(unknown) > _MAX_UNKNOWN_KEYS:
                shown = ", ".join(_show(k, 30) for k in unknown[:5])
                _fail(f"{len(unknown)} unknown keys ({shown}, …): this does not look like "
                      "fanbind metadata", f"valid keys here: {_key_list(cls)}")
        return data


class StoryConfig(_Strict):
    """One entry of ``stories:``: a story file and its AO3-style metadata.

    ``file`` is kept exactly as written; resolving it (and refusing paths that
    leave the project) is the build's job. ``author:`` is accepted for
    ``authors:``; a list field accepts a single string.
    """

    file: NonEmpty
    title: NonEmpty | None = None
    authors: tuple[NonEmpty, ...]
    rating: Rating | None = None
    warnings: tuple[NonEmpty, ...] = ()
    categories: tuple[Category, ...] = ()
    fandoms: tuple[NonEmpty, ...] = ()
    relationships: tuple[NonEmpty, ...] = ()
    characters: tuple[NonEmpty, ...] = ()
    tags: tuple[NonEmpty, ...] = ()
    summary: NonEmpty | None = None
    notes: NonEmpty | None = None
    end_notes: NonEmpty | None = None
    source: NonEmpty | None = None
    published: dt.date | None = None
    language: NonEmpty | None = None
    encoding: NonEmpty | None = None

    @model_validator(mode="before")
    @classmethod
    def _author_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "author" in data:
            if "authors" in data:
                _fail("give either 'author' or 'authors', not both",
                      "keep `authors:` with a list of every author", at=("author",))
            data = dict(data)
            data["authors"] = data.pop("author")
        return data

    @field_validator("authors", "warnings", "fandoms", "relationships", "characters", "tags",
                     mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _text_list(value)

    @field_validator("authors")
    @classmethod
    def _need_author(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            _fail("every story needs at least one author",
                  "write `author: Anonymous` if the author is unknown")
        return value

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, value: Any) -> Any:
        if value is None or isinstance(value, Rating):
            return value
        if isinstance(value, str) and _fold(value) in _RATING_WORDS:
            return _RATING_WORDS[_fold(value)]
        return _fail(f"{_show(value) if isinstance(value, str) else _kind(value)} "
                     "is not an AO3 rating", f"use one of: {_RATING_CHOICES}")

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        items = _text_list(value)
        out = []
        for index, item in enumerate(items):
            if isinstance(item, Category):
                out.append(item)
                continue
            key = "".join(_fold(item).split())
            if key not in _CATEGORY_WORDS:
                _fail(f"{_show(item)} is not an AO3 category",
                      f"use any of: {_CATEGORY_CHOICES}", at=(index,))
            out.append(_CATEGORY_WORDS[key])
        return out

    @field_validator("published", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _to_date(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return None if value is None else _language(value)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
            c.isspace() for c in value
        ):
            _fail(f"{_show(value)} is not a web address",
                  "give the story's http:// or https:// address, e.g. "
                  "https://archiveofourown.org/works/123456")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        """Known to Python and a *text* encoding (not base64, rot13 or zlib)."""
        if value is None:
            return None
        hint = ("use a text encoding Python knows, e.g. utf-8, cp1252, latin-1, "
                "utf-16, shift_jis, gb18030, koi8-r — or delete the line to detect it")
        try:
            info = codecs.lookup(value)
        except (LookupError, ValueError, TypeError):
            return _fail(f"{_show(value)} is not an encoding Python knows", hint)
        if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
            return _fail(f"{_show(value)} is not a text encoding", hint)
        return info.name


class PrintConfig(_Strict):
    """``print:`` settings for the PDF (lengths are CSS lengths, kept as text)."""

    trim: NonEmpty = "5.5x8.5"
    width: NonEmpty | None = None
    height: NonEmpty | None = None
    font_size: NonEmpty = "10.5pt"
    leading: float = Field(default=1.35, gt=0, le=5)
    folio: Literal["outer", "centre", "center"] = "outer"
    bleed: NonEmpty | None = None
    crop_marks: bool = False
    pad_to: int | None = Field(default=None, ge=2)
    # -- fanbinding kit (imposed sheets and volumes; see impose.py, volumes.py) --
    sheet: Literal["auto", "a4", "letter"] = "auto"
    signature: Literal["folio", "quarto", "octavo"] = "octavo"
    sheets_per_signature: int | None = Field(default=None, ge=3, le=8)
    pad: Literal["end", "split"] = "end"
    creep: NonEmpty | None = None
    flip: Literal["short", "long"] = "short"
    sewing_marks: bool = False
    fold_lines: bool = False
    volumes: Literal["auto"] | int | None = None
    volume_words: int = Field(default=180_000, ge=1_000)
    # -- print PDF design (see geometry.py, pdf.py) --
    pdf_variant: Literal["pdf/a-3b", "pdf/ua-1"] | None = None
    verso_head: Literal["authors", "title"] = "authors"

    @field_validator("pdf_variant", "verso_head", mode="before")
    @classmethod
    def _fold_print_choice(cls, value: Any) -> Any:
        """``PDF/A-3b`` and ``Title`` are how people write them."""
        if isinstance(value, str):
            folded = value.strip().lower()
            return None if folded in ("none", "null", "~", "") else folded
        return value

    @field_validator("trim")
    @classmethod
    def _trim_name(cls, value: str) -> str:
        """A trim preset name; checked here so the error has a line."""
        from fanbind.pdf.geometry import TRIMS, find_trim

        if find_trim(value) is None:
            return _fail(f"{_show(value)} is not a trim size fanbind knows",
                         "use one of " + ", ".join(TRIMS) + ", or set width and height")
        return value

    @field_validator("width", "height", "font_size", "bleed")
    @classmethod
    def _print_length(cls, value: str | None) -> str | None:
        """A length with a unit (``5.5in``, ``148mm``, ``10.5pt``)."""
        if value is None:
            return None
        from fanbind.pdf.geometry import parse_length

        try:
            parse_length(value)
        except ValueError:
            return _fail(f"{_show(value)} is not a length",
                         "write a number with a unit: in, mm, cm, pt or pc (e.g. 5.5in, 3mm)")
        return value

    @field_validator("sheet", "signature", "pad", "flip", mode="before")
    @classmethod
    def _fold_choice(cls, value: Any) -> Any:
        """``A4``, ``Letter`` and ``Auto`` are how people write them."""
        if isinstance(value, str):
            folded = value.strip().lower()
            return {"us-letter": "letter", "us letter": "letter", "none": None,
                    "null": None, "~": None, "": None}.get(folded, folded)
        return value

    @field_validator("volumes", mode="before")
    @classmethod
    def _volumes(cls, value: Any) -> Any:
        """``auto``, a number of volumes, or nothing (one book)."""
        hint = ("write `volumes: auto` to split by length (see volume_words), a number such "
                "as 2, or delete the line for one book")
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            number = value
        elif isinstance(value, str) and value.strip().lower() in ("auto", "none", "null", "~", ""):
            folded = value.strip().lower()
            return "auto" if folded == "auto" else None
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        else:
            return _fail(f"{_show(value) if isinstance(value, str) else _kind(value)} is not a "
                         "number of volumes", hint)
        if number is not None and not 1 <= number <= 100:
            return _fail(f"{number} volumes is out of range: use 1 to 100", hint)
        return number

    @field_validator("creep")
    @classmethod
    def _creep_length(cls, value: str | None) -> str | None:
        """A paper thickness such as ``0.1mm``; checked here so the error has a line."""
        if value is None:
            return None
        from fanbind.pdf.impose import parse_length

        try:
            points = parse_length(value)
        except ValueError:
            return _fail(f"{_show(value)} is not a length",
                         "write the paper's thickness with a unit, e.g. 0.1mm or 0.004in")
        if points > 72 / 25.4 * 2:
            return _fail(f"{_show(value)} is too thick for one sheet of paper",
                         "creep is the thickness of one sheet, typically 0.08mm to 0.15mm")
        return value


class LimitsConfig(_Strict):
    """``limits:`` in metadata.yaml: the book's own bounds.

    ``max_story_mb``: a story file bigger than this is refused before it is
    read (a wrong path can point at a video). ``max_stories``: how many stories
    the file may list; when absent, :attr:`Limits.max_stories` applies.
    """

    max_story_mb: int = Field(default=64, ge=1, le=4096)
    max_stories: int = Field(default=5000, ge=1)


class AnthologyConfig(_Strict):
    """The whole of metadata.yaml."""

    title: NonEmpty
    subtitle: NonEmpty | None = None
    editors: tuple[NonEmpty, ...] = ()
    language: NonEmpty = "en"
    description: NonEmpty | None = None
    publisher: NonEmpty | None = None
    date: dt.date | None = None
    identifier: NonEmpty | None = None
    rights: NonEmpty | None = None
    cover: NonEmpty | None = None
    stylesheet: NonEmpty | None = None
    series: NonEmpty | None = None
    series_index: int | None = Field(default=None, ge=0)
    dash_style: Literal["em", "spaced-en"] = "em"
    warnings_display: Literal["shown", "end", "hidden"] = "shown"
    embed_fonts: bool = False
    print: PrintConfig = PrintConfig()
    limits: LimitsConfig = LimitsConfig()
    stories: tuple[StoryConfig, ...]

    _positions: dict[tuple[str | int, ...], tuple[int, int]] = PrivateAttr(default_factory=dict)

    def position(self, *loc: str | int) -> tuple[int, int] | None:
        """Line and column (1-based) in metadata.yaml of the value at ``loc``.

        ``config.position("stories", 2, "file")`` is where the third story's
        ``file:`` value is written (indices count from 0, as in Python), so a
        later stage can point its own error at the line a person must edit.
        Keys not written in the file, and configs built in code, give None.
        """
        return self._positions.get(loc)

    @model_validator(mode="before")
    @classmethod
    def _editor_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "editor" in data:
            if "editors" in data:
                _fail("give either 'editor' or 'editors', not both",
                      "keep `editors:` with a list of every editor", at=("editor",))
            data = dict(data)
            data["editors"] = data.pop("editor")
        return data

    @field_validator("editors", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _text_list(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _to_date(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return _language(value)

    @field_validator("stories")
    @classmethod
    def _need_stories(cls, value: tuple[StoryConfig, ...]) -> tuple[StoryConfig, ...]:
        if not value:
            _fail("list at least one story", _MINIMAL_HINT)
        return value

    @model_validator(mode="after")
    def _no_duplicate_files(self) -> AnthologyConfig:
        """The same file twice is a copy-paste slip; it would print the story twice."""
        first: dict[str, int] = {}
        for index, story in enumerate(self.stories):
            key = posixpath.normpath(story.file.replace("\\", "/"))
            if key in first:
                _fail(f"{_show(story.file)} is listed twice: it is the same file as "
                      f"stories[{first[key] + 1}]",
                      "delete one of the two entries", at=("stories", index, "file"))
            first[key] = index
        return self


#: Language *names* people write instead of tags (for the hint only).
_LANGUAGE_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "francais": "fr",
    "français": "fr", "spanish": "es", "español": "es", "espanol": "es", "portuguese": "pt",
    "italian": "it", "dutch": "nl", "polish": "pl", "russian": "ru", "japanese": "ja",
    "chinese": "zh", "korean": "ko", "swedish": "sv", "norwegian": "nb", "danish": "da",
    "finnish": "fi", "turkish": "tr", "vietnamese": "vi", "indonesian": "id",
}


def _language(value: str) -> str:
    hint = "use a BCP 47 tag such as en, en-GB, de, fr, pt-BR, zh-Hant or ja"
    try:
        tag = normalise_language(value)
    except ValueError:
        guess = _LANGUAGE_NAMES.get(value.strip().casefold())
        if guess:
            hint = f"did you mean {guess!r}? " + hint
        return _fail(f"{_show(value)} is not a language tag", hint)
    unknown = unknown_subtag(tag)  # well-formed, but does it name a language?
    if unknown is not None:
        reason, guess = unknown
        if guess:
            hint = f"did you mean {guess!r}? " + hint
        return _fail(f"{_show(value)} is not a language tag: {reason}", hint)
    return tag


# ------------------------------------------------------------ key knowledge

_ALIASES: dict[type[BaseModel], dict[str, str]] = {
    StoryConfig: {"author": "authors"},
    AnthologyConfig: {"editor": "editors"},
}

#: Words people use for a key fanbind spells differently (suggestions only).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "url": ("source",), "link": ("source",), "href": ("source",),
    "lang": ("language",), "locale": ("language",),
    "path": ("file",), "filename": ("file",), "filepath": ("file",),
    "ship": ("relationships",), "ships": ("relationships",), "pairing": ("relationships",),
    "pairings": ("relationships",), "freeform": ("tags",), "freeforms": ("tags",),
    "additional_tags": ("tags",), "writer": ("authors",), "by": ("authors",),
    "creator": ("authors",), "creators": ("authors",), "blurb": ("summary", "description"),
    "abstract": ("description",), "charset": ("encoding",), "codec": ("encoding",),
    "date": ("published",), "published": ("date",), "isbn": ("identifier",),
    "uuid": ("identifier",), "id": ("identifier",), "css": ("stylesheet",),
    "style": ("stylesheet",), "licence": ("rights",), "license": ("rights",),
    "copyright": ("rights",), "archive_warnings": ("warnings",), "endnotes": ("end_notes",),
}


def _known_keys(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields) | set(_ALIASES.get(model, {}))


def _key_list(model: type[BaseModel]) -> str:
    aliases = {v: k for k, v in _ALIASES.get(model, {}).items()}
    return ", ".join(f"{aliases[k]}/{k}" if k in aliases else k for k in model.model_fields)


def _suggest(key: str, model: type[BaseModel]) -> str | None:
    """The known key a person most likely meant by ``key``."""
    known = _known_keys(model)
    folded = re.sub(r"[-\s]+", "_", key.strip().lower())
    if folded in known:
        return folded
    for candidate in _SYNONYMS.get(folded, ()):
        if candidate in known:
            return candidate
    close = difflib.get_close_matches(folded, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping found at ``loc``."""
    model: type[BaseModel] = AnthologyConfig
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        if get_origin(annotation) is tuple:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


# --------------------------------------------------------- the YAML reader

_T = "tag:yaml.org,2002:"
_NULL, _MERGE, _STR = _T + "null", _T + "merge", _T + "str"
_SCALAR_TAGS = frozenset(_T + t for t in ("str", "int", "float", "bool", "null", "timestamp",
                                          "merge"))
_SEQUENCE_TAGS = frozenset({_T + "seq"})
_MAPPING_TAGS = frozenset({_T + "map"})


class _Refused(Exception):
    """A problem found while reading YAML; becomes a MetadataError at the edge."""

    def __init__(self, message: str, mark: Any = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_T):] if tag.startswith(_T) else tag


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that composes a node tree and never constructs from tags.

    Composition (events → nodes) is where the attacks live, so the checks are
    made here, each before the thing it guards is built: explicit tags outside
    YAML's plain core types, more than ``max_aliases`` aliases, nesting deeper
    than ``max_depth`` (the composer is recursive: 10,000 ``[`` would otherwise
    be a RecursionError), and duplicate keys (a constructor would silently keep
    the last one).
    """

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits = limits
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            self.alias_count += 1
            if self.alias_count > self.limits.max_aliases:
                event = self.peek_event()
                raise _Refused(
                    f"more than {self.limits.max_aliases} YAML aliases (*name): this file "
                    "repeats its own parts so often it looks like an 'alias bomb'",
                    event.start_mark,
                    f"write the values out in full; if the file is genuine, raise the limit "
                    f"with the environment variable {_env_name('max_aliases')}",
                )
            return super().compose_node(parent, index)
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            allowed = (_SCALAR_TAGS if isinstance(event, ScalarEvent) else
                       _SEQUENCE_TAGS if isinstance(event, SequenceStartEvent) else
                       _MAPPING_TAGS)
            if tag not in allowed:
                raise _Refused(
                    f"the YAML tag {_short_tag(tag)!r} is not allowed: metadata.yaml holds "
                    "plain text, lists and mappings only (tags that would create program "
                    "objects are refused, never run)",
                    event.start_mark, "delete the tag (the word starting with '!')",
                )
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _Refused(
                    f"lists and mappings are nested more than {self.limits.max_depth} levels "
                    "deep", event.start_mark,
                    "metadata.yaml needs three or four levels; check for unclosed '[' or '{'",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:
        """PyYAML's own, plus a duplicate-key check as each key is read."""
        start_event = self.get_event()
        tag = start_event.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start_event.implicit)
        node = MappingNode(tag, [], start_event.start_mark, None,
                           flow_style=start_event.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        seen: dict[str, Any] = {}
        while not self.check_event(MappingEndEvent):
            key_node = self.compose_node(node, None)
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                earlier = seen.get(key_node.value)
                if earlier is not None:
                    raise _Refused(
                        f"duplicate key {_show(key_node.value)}: it is already set on line "
                        f"{earlier.line + 1} of this mapping (YAML would silently keep only "
                        "the last one)",
                        key_node.start_mark, "delete one of the two, or merge their values",
                    )
                seen[key_node.value] = key_node.start_mark
            value_node = self.compose_node(node, key_node)
            node.value.append((key_node, value_node))
        node.end_mark = self.get_event().end_mark
        return node


class _FastGuardedLoader(_GuardedLoader):
    """The same guarded composer, fed with events by libyaml's parser (C).

    PyYAML's pure-Python scanner and parser are nine tenths of the time it
    takes to read a metadata.yaml (3 s for 1,000 stories); libyaml's take a
    tenth of that. The composer, and with it every check above, stays the
    Python one, and PyYAML's reader still checks the characters first. Only a
    file that reads without a problem is taken from here: for any error,
    :func:`_compose` reads the file again the pure-Python way, so messages and
    positions are exactly those of PyYAML.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text, limits)
        self._events = yaml.CBaseLoader(text)  # only its parser (CParser) is used

    def check_event(self, *choices: Any) -> bool:
        return self._events.check_event(*choices)

    def peek_event(self) -> Any:
        return self._events.peek_event()

    def get_event(self) -> Any:
        return self._events.get_event()

    def dispose(self) -> None:
        super().dispose()
        self._events.dispose()


def _compose(text: str, limits: Limits) -> Node | None:
    """The node tree of ``text``, composed under guard (libyaml when installed).

    libyaml accepts a tab after ``key:``, which PyYAML refuses, and counts a
    U+FEFF inside a line as no column: a file with either is read the
    pure-Python way only.
    """
    if getattr(yaml, "__with_libyaml__", False) and "\t" not in text and \
            "\ufeff" not in text:
        fast = None
        try:
            fast = _FastGuardedLoader(text, limits)
            return fast.get_single_node()
        except (yaml.YAMLError, _Refused):
            pass  # told below exactly as the pure-Python reader tells it
        finally:
            if fast is not None:
                fast.dispose()
    loader = _GuardedLoader(text, limits)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _measure(root: Node, limits: Limits) -> None:
    """Refuse loops and alias expansions too big or too deep, before expanding.

    Aliases make the node tree a graph: a few anchors can stand for billions
    of values ("billion laughs") or for a value that contains itself. Sizes
    are counted per distinct node (memoised), iteratively, so this pass costs
    the size of the *file*, never of the expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > limits.max_nodes:
                raise _Refused(
                    f"through its aliases (*name) this value expands to more than "
                    f"{limits.max_nodes:,} values: that is an 'alias bomb', not metadata",
                    node.start_mark,
                    "write the values out; if the file is genuine, raise the limit with the "
                    f"environment variable {_env_name('max_nodes')}",
                )
            if depth[key] > limits.max_depth:
                raise _Refused(
                    f"through its aliases (*name) this value nests more than "
                    f"{limits.max_depth} levels deep", node.start_mark,
                    "metadata.yaml needs three or four levels of nesting",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused("an alias (*name) is used inside the value it names, which makes "
                           "an endless loop", node.start_mark,
                           "an anchor (&name) can only be used after its value is complete")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


#: Spellings of one key (``author``/``authors``), for merge-key overrides.
_SAME_KEY = {"author": ("authors",), "authors": ("author",), "editor": ("editors",),
             "editors": ("editor",)}


class _Builder:
    """Node graph → plain Python (dicts, lists, str, None), sharing aliased values.

    Every scalar becomes its text (or None for YAML null): see the module
    docstring for why. Merge keys (``<<: *defaults``) are honoured the way the
    YAML merge-key spec says (own keys win, earlier merged mappings beat later
    ones) without PyYAML's ``flatten_mapping``, which copies merged pairs and
    so can be made to grow exponentially.
    """

    def __init__(self) -> None:
        self.done: dict[int, Any] = {}

    def build(self, node: Node) -> Any:
        key = id(node)
        if key in self.done:
            return self.done[key]
        if isinstance(node, ScalarNode):
            value: Any = None if node.tag == _NULL else node.value
            if value is not None:
                _refuse_escaped_controls(value, node)
            self.done[key] = value
            return value
        if isinstance(node, SequenceNode):
            items: list[Any] = []
            self.done[key] = items
            items.extend(self.build(child) for child in node.value)
            return items
        mapping: dict[str, Any] = {}
        self.done[key] = mapping
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in _merge_sources(value_node):
                    for name, value in self.build(source).items():
                        merged.setdefault(name, value)
                continue
            if not isinstance(key_node, ScalarNode):
                raise _Refused("a key must be a plain word, not a list or mapping",
                               key_node.start_mark, "write keys as `name: value`")
            mapping[key_node.value] = self.build(value_node)
        for name, value in merged.items():
            # A story's own `authors:` overrides a merged-in `author:` (and so on),
            # rather than colliding with it as "give either 'author' or 'authors'".
            if not any(other in mapping for other in _SAME_KEY.get(name, ())):
                mapping.setdefault(name, value)
        return mapping


def _character_kind(char: str) -> str:
    """What a character YAML refuses is, in words: the hint depends on it."""
    return {"Cc": "a control character", "Cs": "half of a broken surrogate pair"}.get(
        unicodedata.category(char), "a non-character")


def _refuse_escaped_controls(value: str, node: ScalarNode) -> None:
    """Refuse characters YAML forbids in a file but lets a quoted escape write.

    ``"\\x07"``, ``"\\0"`` or ``"\\ud800"`` inside double quotes produce a control
    character or half a surrogate pair, which no book can show and XML cannot even
    hold; the reader refuses the raw characters (see :func:`_syntax_error`), so the
    escaped ones are refused here with the same words.
    """
    found = yaml.reader.Reader.NON_PRINTABLE.search(value)
    if found is None:
        return
    char = found.group()
    raise _Refused(
        f"the value contains the character U+{ord(char):04X} ({_character_kind(char)}), "
        "written as a backslash escape: it cannot appear in a book",
        node.start_mark,
        "delete the escape (a backslash sequence such as \\x07, \\0 or \\ud800 inside "
        "double quotes)",
    )


def _merge_sources(value_node: Node) -> list[MappingNode]:
    """The mappings a ``<<`` key merges in, in priority order."""
    if isinstance(value_node, MappingNode):
        return [value_node]
    if isinstance(value_node, SequenceNode) and all(
        isinstance(n, MappingNode) for n in value_node.value
    ):
        return list(value_node.value)
    raise _Refused("'<<' merges mappings: it must be followed by an alias such as *defaults "
                   "or a list of them", value_node.start_mark,
                   "define the shared keys once with `defaults: &defaults` and write "
                   "`<<: *defaults` in each entry")


def _lookup(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    """The (key, value) nodes for ``key``, looking through merge keys as built."""
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE and isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            try:
                sources = _merge_sources(value_node)
            except _Refused:
                continue
            for source in sources:
                found = _lookup(source, key)
                if found:
                    return found
    return None


# ------------------------------------------------------ YAML errors → words


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def _syntax_error(exc: yaml.YAMLError, text: str, file: str) -> MetadataError:
    """Turn a PyYAML error into a MetadataError in plain words, with its place."""
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _position(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        what = _character_kind(char)
        return MetadataError(
            f"the character U+{ord(char):04X} ({what}) is not allowed in YAML",
            file=file, line=line, column=column,
            hint="delete it (it is often left by copying from a word processor)",
        )
    if not isinstance(exc, yaml.MarkedYAMLError):  # pragma: no cover - PyYAML raises marked ones
        return MetadataError(f"not valid YAML: {exc}", file=file)
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    hint: str | None = _SYNTAX_HINT
    before = ""
    if mark is not None and 0 <= mark.index <= len(text):
        before = text[text.rfind("\n", 0, mark.index) + 1 : mark.index]
    if "'\\t'" in problem or "tab character" in problem:
        if not before.strip():
            message = "a tab is used for indentation, and YAML forbids tabs there"
        else:
            message = "a tab character here is not allowed by YAML (only spaces separate values)"
        hint = "replace the tab with spaces (set your editor to insert spaces for Tab)"
    elif "quoted scalar" in context and "end of stream" in problem:
        # The problem mark is the end of the file; the fix belongs where the quote opens.
        mark = exc.context_mark or mark
        quote = text[mark.index] if mark is not None and mark.index < len(text) else '"'
        message = f"this quoted value is never closed: its {quote} has no matching {quote}"
        inside = "write it twice ('')" if quote == "'" else 'write it as \\"'
        hint = f"add the closing {quote}; to put a {quote} inside the value, {inside}"
    elif "mapping values are not allowed" in problem:
        message = "a ':' is not allowed here"
        hint = ("if the value contains ': ', put it in quotes; otherwise check the indentation "
                "of this line and that the line above has its ':'")
    elif problem.startswith("expected <block end>") or "could not find expected ':'" in problem:
        message = "this line's indentation does not match the lines around it"
        hint = ("keys of the same mapping must start in the same column, and a story's keys "
                "must line up under the first one after '- '")
        if "'<scalar>'" in problem:
            message = "unexpected text after a value (a quoted value followed by more text?)"
            hint = "put the whole value inside the quotes"
    elif "undefined alias" in problem:
        name = problem.split("alias", 1)[1].strip().strip("'")
        message = f"the alias *{name} is used, but no anchor &{name} is defined before it"
        hint = "define the anchor first (`key: &name value`), or remove the '*'"
    elif "duplicate anchor" in context:
        message = f"the {context.split(';')[0].replace('found duplicate', 'anchor')} is defined " \
            "twice"
        hint = "give each anchor (&name) a different name"
    elif "expected a single document" in context:
        message = "the file holds more than one YAML document (a second '---' line)"
        hint = "keep a single document: delete the '---' line and merge the parts"
    elif "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        message = f"a value cannot start with {char!r} in YAML"
        hint = "put the value in quotes"
    elif "while parsing a flow sequence" in context:
        message = "a list in [brackets] is not closed, or its items are not separated by commas"
        hint = "close it with ']' and separate items with ', '; quote items containing ':'"
    elif "while parsing a flow mapping" in context:
        message = "a mapping in {braces} is not closed, or its items are not separated by commas"
        hint = "close it with '}' and separate items with ', '"
    elif "unknown escape character" in problem:
        char = problem.rsplit(" ", 1)[-1].strip("'")
        message = f"'\\{char}' is not a known escape in a \"double-quoted\" value"
        hint = r"write \\ for a backslash, or use 'single quotes' which have no escapes"
    elif "incompatible YAML document" in problem:
        message = "this file declares a YAML version other than 1.x"
        hint = "delete the %YAML line"
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return MetadataError(message, file=file, line=line, column=column, hint=hint)


# ------------------------------------------------- pydantic errors → words

#: For a YAML error PyYAML describes in its own words: what usually causes one.
_SYNTAX_HINT = ("check this line and the one above it: every key needs a ':' after it, list "
                "items start with '- ' at the same indentation, and a value containing ': ' or "
                "' #' needs quotes")
#: The last resort when no hint fits a problem: where every key is described.
_README_HINT = "the metadata.yaml section of the README lists every key and what it accepts"


@dataclass
class _Problem:
    line: int | None
    column: int | None
    where: str
    text: str
    hint: str | None
    numbered: bool = False
    """The path holds a story number (the message then says they count from 1)."""


def _locate(root: Node, loc: tuple[str | int, ...], *, at_key: bool,
            ) -> tuple[Node, str, bool]:
    """The node for ``loc``, its path for people, and whether a story index occurs.

    The path uses the keys as written (``author`` when the file says
    ``author:``) and 1-based story numbers followed by the story's file, so a
    person can find the entry. When ``at_key`` the key node (not the value) is
    returned: the place to fix an unknown or duplicated key. Parts of ``loc``
    with no node (a default value) leave the nearest known ancestor.
    """
    node, path, counted = root, "", False
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int):
            if isinstance(node, SequenceNode) and 0 <= part < len(node.value):
                item = node.value[part]
                path += f"[{part + 1}]"
                counted = True
                if position == 1 and loc[0] == "stories" and isinstance(item, MappingNode):
                    found = _lookup(item, "file")
                    if found and isinstance(found[1], ScalarNode) and found[1].value.strip():
                        path += f" ({_show(found[1].value.strip(), 50)[1:-1]})"
                node = item
            else:
                path += f"[{part + 1}]"
            continue
        name = part
        found = None
        if isinstance(node, MappingNode):
            found = _lookup(node, part)
            if found is None:
                for alias, field in _ALIASES.get(_model_at(loc[:position]) or BaseModel,
                                                 {}).items():
                    if field == part:
                        found = _lookup(node, alias)
                        name = alias if found else part
        path += ("." if path else "") + (name if re.fullmatch(r"[\w-]+", name) else _show(name))
        if found is not None:
            node = found[0] if (last and at_key) else found[1]
    return node, path, counted


def _explain(error: Mapping[str, Any], key: str | int | None,
             model: type[BaseModel] | None) -> tuple[str, str | None]:
    """One pydantic error as (message, hint) for people."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "fanbind":
        return ctx["message"], ctx.get("hint")
    if kind == "missing":
        if key in ("authors",):
            return ("missing `author:` — every story needs at least one author",
                    "add `author: Name` under the story's `file:` line; use Anonymous if "
                    "unknown")
        if key == "file":
            return ("missing `file:` — which text file holds this story?",
                    "add `file: seeds/story.txt` (a path relative to metadata.yaml)")
        if key in ("title", "stories") and model is AnthologyConfig:
            return f"missing `{key}:`", _MINIMAL_HINT
        return f"missing `{key}:`", f"add `{key}:` here, or delete the mapping it belongs to"
    if kind == "extra_forbidden" and model is not None:
        name = str(key)
        guess = _suggest(name, model)
        text = f"unknown key {_show(name)}"
        if guess:
            text += f" — did you mean {guess!r}?"
        hint = f"valid keys here: {_key_list(model)}"
        if model is AnthologyConfig and guess is None and name in StoryConfig.model_fields:
            hint = (f"{name!r} belongs to a story: indent it under the story's `- file:` line")
        elif model is StoryConfig and guess is None and name in AnthologyConfig.model_fields:
            hint = f"{name!r} is a setting for the whole book: move it to the top level, unindented"
        return text, hint
    if kind == "string_too_short":
        return "the value is empty", "write a value, or delete the line"
    if kind == "string_type":
        return f"expected text, got {_kind(value)}", (
            "write one value on this line" if isinstance(value, list | dict) else
            "write a value, or delete the line")
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return f"expected a list, got {_kind(value)}", (
            "write a list: `[first, second]`, or one `- item` per line under the key")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        hint = None
        if model is StoryConfig or key == "stories" or isinstance(key, int):
            hint = ("each story is a mapping: `- file: seeds/story.txt` with `author: Name` "
                    "indented under it")
        return f"expected a mapping (key: value lines), got {_kind(value)}", hint or (
            "write its settings indented under the key, one `name: value` per line, or "
            "delete the key")
    if kind in ("bool_parsing", "bool_type"):
        return f"{_show(value)} is not true or false", "write true or false"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{_show(value)} is not a whole number", "write a whole number, such as 64"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{_show(value)} is not a number", "write a number, such as 1.5"
    if kind == "literal_error":
        return f"{_show(value)} is not allowed here", f"use {ctx.get('expected')}"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, name = bounds[kind]
        shown = value if isinstance(value, str) and len(value) < 20 else _show(value)
        return (f"{shown} is out of range: it must be {word} {ctx.get(name)}",
                f"write a number {word} {ctx.get(name)}")
    message = str(error.get("msg", kind))
    return message.removeprefix("Value error, "), _README_HINT


def _problems(exc: ValidationError, root: Node, prefix: tuple[str | int, ...] = (),
              ) -> Iterator[_Problem]:
    for error in exc.errors(include_url=False):
        loc = prefix + tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "fanbind":
            loc += tuple(ctx.get("at") or ())
        kind = error["type"]
        at_key = kind == "extra_forbidden" or (kind == "fanbind" and bool(ctx.get("at"))
                                               and isinstance(loc[-1], str))
        if kind == "missing":
            parent = loc[:-1]
            node, where, counted = _locate(root, parent, at_key=False)
            model = _model_at(parent)
        else:
            node, where, counted = _locate(root, loc, at_key=at_key)
            model = _model_at(loc[:-1]) if loc else AnthologyConfig
        key = loc[-1] if loc else None
        text, hint = _explain(error, key, model)
        if kind == "extra_forbidden" and len(loc) == 1:
            where = ""  # "titel: unknown key 'titel'" says it twice
        yield _Problem(node.start_mark.line + 1, node.start_mark.column + 1, where, text, hint,
                       numbered=counted)


def _raise_problems(problems: list[_Problem], file: str, *, stopped: bool) -> None:
    """All problems in one error: compiler style, one ``file:line:col:`` per line."""
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    first, *rest = problems

    def line_of(problem: _Problem) -> str:
        return f"{problem.where}: {problem.text}" if problem.where else problem.text

    lines = [line_of(first)]
    lines += [f"{file}:{p.line}:{p.column}: {line_of(p)}" for p in rest]
    if stopped:
        lines.append(f"(stopped after {MAX_REPORTED_PROBLEMS} problems; fix these and run again)")
    hints = list(dict.fromkeys(p.hint for p in problems if p.hint))
    if any(p.numbered for p in problems):
        hints.append("[N] counts from 1: stories[1] is the first entry under `stories:`")
    raise MetadataError("\n".join(lines), file=file, line=first.line, column=first.column,
                        hint="\n        ".join(hints) or _README_HINT)


# ------------------------------------------------------------- entry points

_MINIMAL_HINT = (
    "a minimal metadata.yaml is:\n"
    "          title: My Anthology\n"
    "          stories:\n"
    "            - file: seeds/first-story.txt\n"
    "              author: Anonymous"
)


def load_config(path: Path, *, display_name: str | None = None,
                limits: Limits | None = None) -> AnthologyConfig:
    """Read, decode and validate metadata.yaml.

    The size is checked with ``stat`` before reading (and the read itself is
    bounded, in case the file grows or is not a regular file), so a 50 MB file
    costs nothing. ``display_name`` is how the file is named in messages
    (default: ``path`` as given). ``limits`` default to :meth:`Limits.from_env`.
    """
    shown = display_name if display_name is not None else str(path)
    limits = limits if limits is not None else Limits.from_env()
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise MetadataError("this is a folder, not a metadata file", file=shown,
                                hint="give the path of metadata.yaml itself")
        if not stat.S_ISREG(info.st_mode):
            raise MetadataError("this is not a regular file", file=shown,
                                hint="give the path of a metadata.yaml text file")
        if info.st_size > limits.max_yaml_bytes:
            raise _too_big(info.st_size, limits, shown)
        with path.open("rb") as handle:
            data = handle.read(limits.max_yaml_bytes + 1)
    except FileNotFoundError:
        raise MetadataError("metadata file not found", file=shown,
                            hint="check the path; `fanbind init` writes a starter "
                                 "metadata.yaml") from None
    except PermissionError:
        raise MetadataError("cannot read the metadata file: permission denied", file=shown,
                            hint="check the file's permissions") from None
    except OSError as exc:
        raise MetadataError(f"cannot read the metadata file: {exc.strerror or exc}",
                            file=shown, hint="check that the file is readable and the disk "
                                             "is not failing") from None
    if len(data) > limits.max_yaml_bytes:
        raise _too_big(len(data), limits, shown)
    return parse_config(_decode(data, shown), file=shown, limits=limits)


def _too_big(size: int, limits: Limits, file: str) -> MetadataError:
    return MetadataError(
        f"the metadata file is {_bytes(size)}, more than the {_bytes(limits.max_yaml_bytes)} "
        "limit (Limits.max_yaml_bytes)",
        file=file,
        hint="metadata.yaml normally holds a few kilobytes: is this the right file? If it is, "
             f"raise the limit with the environment variable {_env_name('max_yaml_bytes')}"
             f"=<bytes>",
    )


def _bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def _decode(data: bytes, file: str) -> str:
    """Strict UTF-8 (a BOM is allowed): guessing an encoding would garble names."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[start:offset].decode("utf-8", "replace")) + 1
        hint = "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)"
        if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            hint = "the file is UTF-16; " + hint
        raise MetadataError(
            f"the file is not valid UTF-8: byte 0x{data[offset]:02X} at byte offset {offset} "
            "cannot be decoded",
            file=file, line=line, column=column, hint=hint,
        ) from None


def parse_config(text: str, *, file: str, limits: Limits | None = None) -> AnthologyConfig:
    """Validate metadata.yaml given as text; ``file`` names it in messages.

    The whole pipeline after decoding: compose the YAML node tree under
    guard, refuse loops and alias bombs, build plain data, validate it with
    pydantic story by story, and translate errors to node positions. Any
    failure is a :class:`MetadataError`.
    """
    limits = limits if limits is not None else Limits()
    text = text.removeprefix("\ufeff")  # before parsing, so error positions match the text
    try:
        return _parse(text, file, limits)
    except MetadataError:
        raise
    except _Refused as exc:
        mark = exc.mark
        raise MetadataError(exc.message, file=file,
                            line=mark.line + 1 if mark is not None else None,
                            column=mark.column + 1 if mark is not None else None,
                            hint=exc.hint) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, file) from None
    except RecursionError:
        raise MetadataError("the file is nested too deeply to read", file=file,
                            hint="check for unclosed '[' or '{'") from None
    except MemoryError:
        raise MetadataError("the file needs more memory to read than is available",
                            file=file) from None


def _parse(text: str, file: str, limits: Limits) -> AnthologyConfig:
    name = Path(file).name or "metadata.yaml"
    if len(text) > limits.max_yaml_bytes or len(text.encode("utf-8", "surrogatepass")) > \
            limits.max_yaml_bytes:
        raise _too_big(len(text.encode("utf-8", "surrogatepass")), limits, file)
    root = _compose(text, limits)
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
        raise MetadataError(f"{name} is empty: it needs at least `title:` and `stories:`",
                            file=file, line=1,
                            hint=_MINIMAL_HINT)
    if not isinstance(root, MappingNode):
        what = ("a list" if isinstance(root, SequenceNode)
                else f"the single value {_show(root.value)}")
        raise MetadataError(f"{name} must be a mapping of keys such as `title:` and `stories:`, "
                            f"but it holds {what}", file=file, line=root.start_mark.line + 1,
                            column=root.start_mark.column + 1, hint=_MINIMAL_HINT)
    _measure(root, limits)
    data = _Builder().build(root)
    _check_story_count(data, root, limits, file)
    return _validate(data, root, file)


def _positions(root: MappingNode) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Where each top-level value, each story and each story value is written."""
    out: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def mark(node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    for name in AnthologyConfig.model_fields:
        found = _lookup(root, name) or _lookup(root, {"editors": "editor"}.get(name, name))
        if found:
            out[(name,)] = mark(found[1])
    stories = _lookup(root, "stories")
    if stories and isinstance(stories[1], SequenceNode):
        for index, story in enumerate(stories[1].value):
            out[("stories", index)] = mark(story)
            if isinstance(story, MappingNode):
                for name in StoryConfig.model_fields:
                    found = _lookup(story, name) or (
                        _lookup(story, "author") if name == "authors" else None)
                    if found:
                        out[("stories", index, name)] = mark(found[1])
    return out


def _check_story_count(data: dict[str, Any], root: MappingNode, limits: Limits,
                       file: str) -> None:
    """Refuse too many stories before validating any (validation is the slow part)."""
    stories = data.get("stories")
    if not isinstance(stories, list):
        return
    allowed = limits.max_stories
    own = data.get("limits")
    if isinstance(own, dict) and isinstance(own.get("max_stories"), str):
        text = own["max_stories"].strip().replace("_", "")
        if text.isdigit():
            allowed = int(text)
    if len(stories) > allowed:
        found = _lookup(root, "stories")
        mark = found[0].start_mark if found else root.start_mark
        raise MetadataError(
            f"stories lists {len(stories):,} stories, more than the limit of {allowed:,}",
            file=file, line=mark.line + 1, column=mark.column + 1,
            hint="if you mean it, raise the limit in metadata.yaml: "
                 f"`limits: {{max_stories: {len(stories)}}}`",
        )


def _validate(data: dict[str, Any], root: MappingNode, file: str) -> AnthologyConfig:
    """Validate stories one by one, then the book; report everything found at once.

    Story by story so that a broken file stops after :data:`MAX_REPORTED_PROBLEMS`
    instead of building error objects for thousands of stories.
    """
    problems: list[_Problem] = []
    data = {k: v for k, v in data.items() if not k.startswith(EXTENSION_PREFIX)}
    stories = data.get("stories")
    stopped = False
    if isinstance(stories, list):
        valid: list[StoryConfig] = []
        for index, story in enumerate(stories):
            try:
                valid.append(StoryConfig.model_validate(story))
            except ValidationError as exc:
                problems.extend(_problems(exc, root, ("stories", index)))
                if len(problems) >= MAX_REPORTED_PROBLEMS:
                    stopped = True
                    break
        data = {**data, "stories": valid}
    story_problems = bool(problems)
    try:
        config = AnthologyConfig.model_validate(data)
    except ValidationError as exc:
        for problem in _problems(exc, root):
            # With a story refused, checks on the list as a whole see only a part of it.
            if not (story_problems and problem.where.startswith("stories")):
                problems.append(problem)
    else:
        if not problems:
            config._positions.update(_positions(root))
            return config
    _raise_problems(problems[:MAX_REPORTED_PROBLEMS], file, stopped=stopped)
    raise AssertionError("unreachable")  # pragma: no cover
