"""The closed vocabularies of the settings, as ``Literal`` types.

The schema validates with them and the command line offers them as choices,
so a new value is added once. This module imports nothing of fanbind's and no
pydantic: the CLI builds its options from it without loading the settings.
"""

from __future__ import annotations

from typing import Literal, get_args

TrimName = Literal["A5", "5x8", "5.25x8", "5.5x8.5", "6x9", "A4", "letter"]
Folio = Literal["outer", "centre", "center"]
Sheet = Literal["auto", "a4", "letter"]
Signature = Literal["folio", "quarto", "octavo"]
Pad = Literal["end", "split"]
Flip = Literal["short", "long"]
PdfVariant = Literal["pdf/a-3b", "pdf/ua-1"]
VersoHead = Literal["authors", "title"]
DashStyle = Literal["em", "spaced-en"]
WarningsDisplay = Literal["shown", "end", "hidden"]
PrintService = Literal["home", "kdp", "ingramspark", "lulu"]
Paper = Literal["white", "cream"]


def choices(literal: object) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in the order written."""
    return tuple(str(value) for value in get_args(literal))
