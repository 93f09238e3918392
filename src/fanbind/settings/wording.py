"""How settings problems are worded: the raise helper and value display every module shares.

Validators (schema), the YAML guard and the error mapper all quote a person's
value back to them; one :func:`show` keeps those quotes bounded and alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from pydantic_core import PydanticCustomError

#: Shown when the file has no usable content at all.
MINIMAL_HINT = (
    "a minimal metadata.yaml is:\n"
    "          title: My Anthology\n"
    "          stories:\n"
    "            - file: seeds/first-story.txt\n"
    "              author: Anonymous"
)


def fail(message: str, hint: str | None = None, *, at: tuple[str | int, ...] = ()) -> NoReturn:
    """Raise a validation error that carries a person's message and hint.

    ``at`` extends the error's location (a list item, a key) so the formatter
    can point at the exact value even when pydantic only knows the field.
    """
    raise PydanticCustomError("fanbind", "{message}", {"message": message, "hint": hint, "at": at})


def show(value: Any, width: int = 60) -> str:
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


def kind_of(value: Any) -> str:
    """What a value *is*, for "expected text, got …" messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, str):
        return f"the text {show(value)}"
    return show(value)

