"""The settings models: metadata.yaml as frozen, fully checked pydantic models.

Everything a stage will need is checked here, cross-field rules included (a
custom page needs both sides; the type must fit the page), so ``fanbind
check`` reports every settings problem with its line before any stage runs.
Reading the YAML is :mod:`fanbind.settings.yaml_guard`'s job; turning a
pydantic error into words at a line is :mod:`fanbind.settings.explain`'s.

Plain scalars arrive as *text*, not as YAML 1.1 booleans, numbers or dates:
``title: 1984``, ``language: no`` (Norwegian) and ``identifier: 0123`` mean what
they say. Fields that want a number, a flag or a date convert the text
themselves (pydantic's lax mode, or the date validator below), so
``crop_marks: yes`` and ``pad_to: 4`` still work.
"""

from __future__ import annotations

import codecs
import datetime as dt
import posixpath
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from fanbind.choices import (
    DashStyle,
    Flip,
    Folio,
    Pad,
    Paper,
    PdfVariant,
    PrintService,
    Sheet,
    Signature,
    TrimName,
    VersoHead,
    WarningsDisplay,
)
from fanbind.languages import unknown_subtag
from fanbind.print_services import ALL_EDGES, least_margin, pad_multiple
from fanbind.print_services import service as service_row
from fanbind.settings.vocab import (
    CATEGORY_CHOICES,
    CATEGORY_WORDS,
    LANGUAGE_NAMES,
    RATING_CHOICES,
    RATING_WORDS,
    Category,
    Rating,
    fold,
    normalise_language,
)
from fanbind.settings.wording import MINIMAL_HINT, fail, kind_of, show
from fanbind.units import (
    MAX_BINDING_ALLOWANCE,
    MAX_BLEED,
    MAX_FONT_SIZE,
    MAX_PAGE,
    MIN_FONT_SIZE,
    MIN_LINES,
    MIN_MEASURE_EM,
    MIN_PAGE,
    MIN_SIDE,
    TRIMS,
    body_lines,
    custom_trim,
    find_trim,
    parse_length,
)

__all__ = ["AnthologyConfig", "HyphenationConfig", "LimitsConfig", "PrintConfig", "StoryConfig"]

#: Unknown keys reported one by one in a mapping; more than this is a wrong file.
_MAX_UNKNOWN_KEYS = 20

# -------------------------------------------------------- field validators


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
        return fail(f"expected a list, got {kind_of(value)}",
                     "write `[one, two]` or one `- item` per line; a single value may be "
                     "written on its own")
    if len(value) > MAX_LIST_ITEMS:
        return fail(f"this list has {len(value):,} items, more than the limit of "
                    f"{MAX_LIST_ITEMS}", "keep the ones a reader needs (AO3 itself allows 75 "
                    "tags on a work)")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            return fail(f"expected text, got {kind_of(item)}",
                         "each item of this list is one piece of text; quote it if it "
                         "contains ': ' or starts with a special character", at=(index,))
        if not item.strip():
            return fail("this item is empty", "delete it or write something", at=(index,))
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
        return fail(f"expected a date, got {kind_of(value)}", hint)
    text = value.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            return fail(f"{show(value)} is not a real date ({exc})", hint)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return fail(f"{show(value)} is not a date", hint)


#: The longest title, name, tag or other one-line value. AO3's own are lower (255 for a
#: title, 100 for a tag); the bound is what the cover and the contents must be able to set.
MAX_LINE_CHARS = 500
#: The longest path or web address (Linux's PATH_MAX).
MAX_PATH_CHARS = 4096
#: The longest summary, notes, description or rights statement.
MAX_PROSE_CHARS = 100_000
#: The most volumes a book is split into, by number or by ``volume_words`` (each is laid out).
MAX_VOLUMES = 100
#: The most items in one list (authors, tags, fandoms, …); stories have ``limits: max_stories``.
MAX_LIST_ITEMS = 200

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=MAX_LINE_CHARS)]
PathText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=MAX_PATH_CHARS)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                         max_length=MAX_PROSE_CHARS)]


# ------------------------------------------------------------------ models



def _singular_alias(data: Any, key: str) -> Any:
    """``author: Name`` read as ``authors: [Name]`` (and the same for ``editor``)."""
    plural = f"{key}s"
    if isinstance(data, dict) and key in data:
        if plural in data:
            fail(f"give either '{key}' or '{plural}', not both",
                 f"keep `{plural}:` with a list of every {key}", at=(key,))
        data = dict(data)
        data[plural] = data.pop(key)
    return data

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
            known = known_keys(cls)
            unknown = [k for k in data if k not in known]
            if len(unknown) > _MAX_UNKNOWN_KEYS:
                shown = ", ".join(show(k, 30) for k in unknown[:5])
                fail(f"{len(unknown)} unknown keys ({shown}, …): this does not look like "
                      "fanbind metadata", f"valid keys here: {key_list(cls)}")
        return data


class StoryConfig(_Strict):
    """One entry of ``stories:``: a story file and its AO3-style metadata.

    ``file`` is kept exactly as written; resolving it (and refusing paths that
    leave the project) is the build's job. ``author:`` is accepted for
    ``authors:``; a list field accepts a single string.
    """

    file: PathText
    title: NonEmpty | None = None
    #: The recto running head of the print PDF, for a title too long to head a page.
    short_title: NonEmpty | None = None
    #: Left out, the story file's byline gives them (a build stops if it names none).
    authors: tuple[NonEmpty, ...] = ()
    rating: Rating | None = None
    warnings: tuple[NonEmpty, ...] = ()
    categories: tuple[Category, ...] = ()
    fandoms: tuple[NonEmpty, ...] = ()
    relationships: tuple[NonEmpty, ...] = ()
    characters: tuple[NonEmpty, ...] = ()
    tags: tuple[NonEmpty, ...] = ()
    summary: Prose | None = None
    notes: Prose | None = None
    end_notes: Prose | None = None
    source: PathText | None = None
    published: dt.date | None = None
    language: NonEmpty | None = None
    #: The series the story is part of and its place in it (AO3's "Part 2 of …").
    series: NonEmpty | None = None
    series_part: int | None = Field(default=None, ge=0, le=9999)
    encoding: NonEmpty | None = None
    #: The story file's format; unset, the file's content decides (fanbind.text.readers).
    format: Literal["text", "html", "epub", "markdown"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _author_alias(cls, data: Any) -> Any:
        return _singular_alias(data, "author")

    @field_validator("authors", "warnings", "fandoms", "relationships", "characters", "tags",
                     mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _text_list(value)

    @field_validator("authors")
    @classmethod
    def _need_author(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            fail("every story needs at least one author",
                  "write `author: Anonymous` if the author is unknown")
        return value

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, value: Any) -> Any:
        if value is None or isinstance(value, Rating):
            return value
        if isinstance(value, str) and fold(value) in RATING_WORDS:
            return RATING_WORDS[fold(value)]
        return fail(f"{show(value) if isinstance(value, str) else kind_of(value)} "
                     "is not an AO3 rating", f"use one of: {RATING_CHOICES}")

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        items = _text_list(value)
        out = []
        for index, item in enumerate(items):
            if isinstance(item, Category):
                out.append(item)
                continue
            key = "".join(fold(item).split())
            if key not in CATEGORY_WORDS:
                fail(f"{show(item)} is not an AO3 category",
                      f"use any of: {CATEGORY_CHOICES}", at=(index,))
            out.append(CATEGORY_WORDS[key])
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
            fail(f"{show(value)} is not a web address",
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
            return fail(f"{show(value)} is not an encoding Python knows", hint)
        if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
            return fail(f"{show(value)} is not a text encoding", hint)
        return info.name


class PrintConfig(_Strict):
    """``print:`` settings for the PDF (lengths are CSS lengths, kept as text)."""

    trim: TrimName = "5.5x8.5"
    width: NonEmpty | None = None
    height: NonEmpty | None = None
    font_size: NonEmpty = "10.5pt"
    leading: float = Field(default=1.35, gt=0, le=5)
    folio: Folio = "outer"
    bleed: NonEmpty | None = None
    crop_marks: bool = False
    pad_to: int | None = Field(default=None, ge=2, le=64)
    # -- fanbinding kit (imposed sheets and volumes; see pdf/impose.py, pdf/volumes.py) --
    sheet: Sheet = "auto"
    signature: Signature = "octavo"
    sheets_per_signature: int | None = Field(default=None, ge=3, le=8)
    pad: Pad = "end"
    creep: NonEmpty | None = None
    flip: Flip = "short"
    sewing_marks: bool = False
    collation_marks: bool = False
    fold_lines: bool = False
    volumes: Literal["auto"] | int | None = None
    volume_words: int = Field(default=180_000, ge=1_000)
    # -- print PDF design (see pdf/geometry.py, pdf/layout.py) --
    pdf_variant: PdfVariant | None = None
    # None: the book's title when one author wrote every story, else each story's authors
    # (resolved once the stories are read: build.with_verso_head).
    verso_head: VersoHead | None = None
    # -- print on demand (see print_services.py, pdf/pod.py, pdf/cover_wrap.py) --
    service: PrintService = "home"
    paper: Paper = "white"

    @field_validator("pdf_variant", "verso_head", "service", "paper", mode="before")
    @classmethod
    def _fold_print_choice(cls, value: Any) -> Any:
        """``PDF/A-3b`` and ``Title`` are how people write them."""
        if isinstance(value, str):
            folded = value.strip().lower()
            return None if folded in ("none", "null", "~", "") else folded
        return value

    @field_validator("trim", mode="before")
    @classmethod
    def _trim_name(cls, value: Any) -> Any:
        """A preset as people write it (``a5``, ``6 x 9 in``, ``US Letter``), by its name."""
        if not isinstance(value, str):
            return value
        preset = find_trim(value)
        if preset is None:
            return fail(f"{show(value)} is not a trim size fanbind knows",
                        "use one of " + ", ".join(TRIMS) + ", or set width and height")
        return preset.name

    @field_validator("width", "height", "font_size", "bleed")
    @classmethod
    def _print_length(cls, value: str | None) -> str | None:
        """A length with a unit (``5.5in``, ``148mm``, ``10.5pt``)."""
        if value is None:
            return None
        try:
            parse_length(value)
        except ValueError:
            return fail(f"{show(value)} is not a length",
                         "write a number with a unit: in, mm, cm, pt or pc (e.g. 5.5in, 3mm)")
        return value

    @model_validator(mode="after")
    def _page_fits(self) -> PrintConfig:
        """The checks the layout would otherwise meet halfway through a build.

        A custom page needs both sides; sizes stay in range; and the page must
        hold a justified text block (12 ems wide, 10 lines) for *any* length of
        book, so the widest binding allowance is assumed: adding a story never
        turns valid settings into a failed build.
        """
        if bool(self.width) != bool(self.height):
            given, missing = ("width", "height") if self.width else ("height", "width")
            fail(f"a custom page needs both width and height: {missing} is missing",
                 "e.g. width: 4.25in and height: 7in, or a trim name such as 5x8 instead",
                 at=(given,))
        font_size = parse_length(self.font_size)
        if not MIN_FONT_SIZE <= font_size <= MAX_FONT_SIZE:
            fail(f"{show(self.font_size)} is out of range: the type size must be 6pt to 24pt",
                 "book text is usually 9.5pt to 12pt", at=("font_size",))
        if self.bleed and parse_length(self.bleed) > MAX_BLEED:
            fail(f"{show(self.bleed)} is more than 0.5in of bleed",
                 "the usual bleed is 0.125in (3mm)", at=("bleed",))
        self._service_allows()
        where: tuple[str, ...]
        if self.width and self.height:
            width, height = parse_length(self.width), parse_length(self.height)
            for key, given, points in (("width", self.width, width),
                                       ("height", self.height, height)):
                if not MIN_PAGE <= points <= MAX_PAGE:
                    fail(f"{show(given)} is out of range: a page's {key} must be "
                         "2in to 20in", "e.g. width: 4.25in, height: 7in", at=(key,))
            custom = custom_trim(width)
            mirrored, default_size, measure_em = True, custom.font_size, custom.measure_em
            where = ("width",)
        else:
            preset = TRIMS[self.trim]
            width, height, mirrored = preset.width, preset.height, preset.mirrored
            default_size, measure_em = preset.font_size, preset.measure_em
            where = ("trim",) if "trim" in self.model_fields_set else ()
        if "font_size" in self.model_fields_set:
            where = ("font_size",)
        else:
            font_size = default_size
        allowance = MAX_BINDING_ALLOWANCE if mirrored else 0.0
        measure = min(measure_em * font_size, width - 2 * MIN_SIDE - allowance)
        if measure < MIN_MEASURE_EM * font_size:
            fail(f"the page is too narrow for {font_size:g}pt type: a line would hold fewer "
                 f"than {MIN_MEASURE_EM} ems between the margins",
                 "choose a wider page or a smaller font_size", at=where)
        least = least_margin(service_row(self.service), bleed=bool(self.bleed))
        if body_lines(height, font_size * self.leading, least) < MIN_LINES:
            margins = "" if least is None else \
                f" within {service_row(self.service).label}'s {least / 72:g}in margins"
            fail(f"the page is too short for {font_size:g}pt type at leading "
                 f"{self.leading:g}{margins}: it would hold fewer than {MIN_LINES} lines",
                 "choose a taller page, a smaller font_size or a smaller leading",
                 at=("leading",) if "leading" in self.model_fields_set else where)
        return self

    @property
    def page_multiple(self) -> int | None:
        """The page count is padded to a multiple of this: ``pad_to``, made even when the
        service wants an even count (None: no padding)."""
        return pad_multiple(service_row(self.service), self.pad_to)

    @property
    def bleeds_by_side(self) -> bool:
        """Bleed on some edges only, so a recto and a verso differ in size (KDP)."""
        return bool(self.bleed) and set(service_row(self.service).bleed_edges) != set(ALL_EDGES)

    def _service_allows(self) -> None:
        """Settings the chosen print-on-demand service would refuse the file for."""
        row = service_row(self.service)
        if self.crop_marks and not row.marks:
            fail(f"{row.label} refuses interior files with crop marks, and crop_marks is on",
                 "delete `crop_marks: true` (marks are for trimming at home), or use "
                 "`service: home`", at=("crop_marks",))
        if (self.bleed and row.bleed is not None
                and abs(parse_length(self.bleed) - row.bleed) > 0.01):
            fail(f"{row.label} wants {row.bleed / 72:g}in of bleed, not {show(self.bleed)}",
                 f"write `bleed: {row.bleed / 72:g}in`, or delete the line for no bleed",
                 at=("bleed",))

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
            return fail(f"{show(value) if isinstance(value, str) else kind_of(value)} is not a "
                         "number of volumes", hint)
        if number is not None and not 1 <= number <= MAX_VOLUMES:
            return fail(f"{number} volumes is out of range: use 1 to {MAX_VOLUMES}", hint)
        return number

    @field_validator("creep")
    @classmethod
    def _creep_length(cls, value: str | None) -> str | None:
        """A paper thickness such as ``0.1mm``; checked here so the error has a line."""
        if value is None:
            return None
        try:
            points = parse_length(value, bare_zero=True)
        except ValueError:
            return fail(f"{show(value)} is not a length",
                         "write the paper's thickness with a unit, e.g. 0.1mm or 0.004in")
        if points > 72 / 25.4 * 2:
            return fail(f"{show(value)} is too thick for one sheet of paper",
                         "creep is the thickness of one sheet, typically 0.08mm to 0.15mm")
        return value


class LimitsConfig(_Strict):
    """``limits:`` in metadata.yaml: the book's own bounds.

    ``max_story_mb``: a story file bigger than this is refused before it is
    read (a wrong path can point at a video). ``max_stories``: how many stories
    the file may list; when absent, :attr:`fanbind.settings.limits.Limits.max_stories` applies.
    """

    max_story_mb: int = Field(default=64, ge=1, le=4096)
    max_stories: int = Field(default=5000, ge=1)


class HyphenationConfig(_Strict):
    """``hyphenation:`` in metadata.yaml: the print PDF's word rules (fanbind.pdf.linebreaks).

    ``never``: words (or names) set whole wherever they stand; every name in the
    stories' ``characters:`` and ``relationships:`` is kept whole as well.
    ``exceptions``: words written with a hyphen at each point where they may
    break (``ta-ble-top``); they break there and nowhere else.
    """

    exceptions: tuple[NonEmpty, ...] = ()
    never: tuple[NonEmpty, ...] = ()

    @field_validator("exceptions", "never", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _text_list(value)

    @field_validator("exceptions")
    @classmethod
    def _break_points(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, word in enumerate(value):
            if not re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)+",
                                word):
                fail(f"{show(word)} is not one word with its break points",
                     "write the word with a hyphen at each point it may break, e.g. "
                     "`ta-ble-top`; a word never to be broken goes under `never:`",
                     at=(index,))
        return value


class AnthologyConfig(_Strict):
    """The whole of metadata.yaml."""

    title: NonEmpty
    subtitle: NonEmpty | None = None
    editors: tuple[NonEmpty, ...] = ()
    language: NonEmpty = "en"
    description: Prose | None = None
    publisher: NonEmpty | None = None
    date: dt.date | None = None
    identifier: NonEmpty | None = None
    rights: Prose | None = None
    cover: PathText | None = None
    stylesheet: PathText | None = None
    series: NonEmpty | None = None
    series_index: int | None = Field(default=None, ge=0, le=9999)
    dash_style: DashStyle = "em"
    warnings_display: WarningsDisplay = "shown"
    embed_fonts: bool = False
    print: PrintConfig = PrintConfig()
    hyphenation: HyphenationConfig = HyphenationConfig()
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
        return _singular_alias(data, "editor")

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
            fail("list at least one story", MINIMAL_HINT)
        return value

    @model_validator(mode="after")
    def _no_duplicate_files(self) -> AnthologyConfig:
        """The same file twice is a copy-paste slip; it would print the story twice."""
        first: dict[str, int] = {}
        for index, story in enumerate(self.stories):
            key = posixpath.normpath(story.file.replace("\\", "/"))
            if key in first:
                fail(f"{show(story.file)} is listed twice: it is the same file as "
                      f"stories[{first[key] + 1}]",
                      "delete one of the two entries", at=("stories", index, "file"))
            first[key] = index
        return self




def _language(value: str) -> str:
    hint = "use a BCP 47 tag such as en, en-GB, de, fr, pt-BR, zh-Hant or ja"
    try:
        tag = normalise_language(value)
    except ValueError:
        guess = LANGUAGE_NAMES.get(value.strip().casefold())
        if guess:
            hint = f"did you mean {guess!r}? " + hint
        return fail(f"{show(value)} is not a language tag", hint)
    unknown = unknown_subtag(tag)  # well-formed, but does it name a language?
    if unknown is not None:
        reason, guess = unknown
        if guess:
            hint = f"did you mean {guess!r}? " + hint
        return fail(f"{show(value)} is not a language tag: {reason}", hint)
    return tag


# ------------------------------------------------------------ key knowledge

#: Second spellings of a key, accepted on input (``author:`` for ``authors:``).
KEY_ALIASES: dict[type[BaseModel], dict[str, str]] = {
    StoryConfig: {"author": "authors"},
    AnthologyConfig: {"editor": "editors"},
}


def known_keys(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields) | set(KEY_ALIASES.get(model, {}))


def key_list(model: type[BaseModel]) -> str:
    aliases = {v: k for k, v in KEY_ALIASES.get(model, {}).items()}
    return ", ".join(f"{aliases[k]}/{k}" if k in aliases else k for k in model.model_fields)

