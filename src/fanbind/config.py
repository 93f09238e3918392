"""metadata.yaml: loading, validation and the frozen settings every stage reads.

Validation is pydantic's; this module turns its errors into messages for people:
the file, line and column, the key path (``stories[2].rating``), the allowed values
and, for a misspelt key, the nearest known one.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Rating(str, Enum):
    GENERAL = "General Audiences"
    TEEN = "Teen And Up Audiences"
    MATURE = "Mature"
    EXPLICIT = "Explicit"
    NOT_RATED = "Not Rated"


class Category(str, Enum):
    FF = "F/F"
    FM = "F/M"
    GEN = "Gen"
    MM = "M/M"
    MULTI = "Multi"
    OTHER = "Other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _as_list(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    if isinstance(value, str):
        return [value]
    return value


class StoryConfig(_Strict):
    """One entry of ``stories:``."""

    file: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    rating: Rating | None = None
    warnings: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    fandoms: tuple[str, ...] = ()
    relationships: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    notes: str | None = None
    end_notes: str | None = None
    source: str | None = None
    published: dt.date | None = None
    language: str | None = None
    encoding: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _author_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "author" in data:
            data = dict(data)
            author = data.pop("author")
            if "authors" in data:
                raise ValueError("give either 'author' or 'authors', not both")
            data["authors"] = author
        return data

    @field_validator(
        "authors", "warnings", "categories", "fandoms", "relationships", "characters", "tags",
        mode="before",
    )
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("authors")
    @classmethod
    def _need_author(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or not all(value):
            raise ValueError("every story needs at least one author (use 'Anonymous' if unknown)")
        return value


class PrintConfig(_Strict):
    """``print:`` settings for the PDF."""

    trim: str = "5.5x8.5"
    width: str | None = None
    height: str | None = None
    font_size: str = "10.5pt"
    leading: float = 1.35
    folio: Literal["outer", "centre", "center"] = "outer"
    bleed: str | None = None
    crop_marks: bool = False
    pad_to: int | None = Field(default=None, ge=2)


class AnthologyConfig(_Strict):
    """The whole of metadata.yaml."""

    title: str
    subtitle: str | None = None
    editors: tuple[str, ...] = ()
    language: str = "en"
    description: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    identifier: str | None = None
    rights: str | None = None
    cover: str | None = None
    stylesheet: str | None = None
    series: str | None = None
    series_index: int | None = None
    dash_style: Literal["em", "spaced-en"] = "em"
    warnings_display: Literal["shown", "end", "hidden"] = "shown"
    embed_fonts: bool = False
    print: PrintConfig = PrintConfig()
    stories: tuple[StoryConfig, ...]

    @model_validator(mode="before")
    @classmethod
    def _editor_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "editor" in data:
            data = dict(data)
            editor = data.pop("editor")
            if "editors" in data:
                raise ValueError("give either 'editor' or 'editors', not both")
            data["editors"] = editor
        return data

    @field_validator("editors", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("stories")
    @classmethod
    def _need_stories(cls, value: tuple[StoryConfig, ...]) -> tuple[StoryConfig, ...]:
        if not value:
            raise ValueError("list at least one story")
        return value


def load_config(path: Path) -> AnthologyConfig:
    """Read and validate metadata.yaml (placeholder: replaced by the full loader)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return AnthologyConfig.model_validate(data)
