"""The one mapper from a pydantic error to words for people, with the place to fix.

Validation is pydantic's; this module says what went wrong the way a person
would: the line and column in metadata.yaml, the key path as written
(``stories[3] (seeds/003.txt).rating``, stories counted from 1), the allowed
values, and the nearest known key for a misspelt one. The same words serve the
command line's overrides (``--trim``, ``--pdf-variant``, the ``impose``
options), which have a flag instead of a line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fanbind.errors import FanbindError, MetadataError, UsageError
from fanbind.settings.schema import (
    KEY_ALIASES,
    AnthologyConfig,
    StoryConfig,
    key_list,
    known_keys,
)
from fanbind.settings.wording import MINIMAL_HINT, kind_of, show
from fanbind.settings.yaml_guard import lookup

#: Problems shown per error message: past this, reading on only makes a wall of text.
MAX_REPORTED_PROBLEMS = 50

# ------------------------------------------------------------ key knowledge

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


def _suggest(key: str, model: type[BaseModel]) -> str | None:
    """The known key a person most likely meant by ``key``."""
    known = known_keys(model)
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


# ------------------------------------------------- pydantic errors → words

#: The last resort when no hint fits a problem: where every key is described.
_README_HINT = "the metadata.yaml section of the README lists every key and what it accepts"


@dataclass
class Problem:
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
                    found = lookup(item, "file")
                    if found and isinstance(found[1], ScalarNode) and found[1].value.strip():
                        path += f" ({show(found[1].value.strip(), 50)[1:-1]})"
                node = item
            else:
                path += f"[{part + 1}]"
            continue
        name = part
        found = None
        if isinstance(node, MappingNode):
            found = lookup(node, part)
            if found is None:
                for alias, field in KEY_ALIASES.get(_model_at(loc[:position]) or BaseModel,
                                                 {}).items():
                    if field == part:
                        found = lookup(node, alias)
                        name = alias if found else part
        path += ("." if path else "") + (name if re.fullmatch(r"[\w-]+", name) else show(name))
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
            return f"missing `{key}:`", MINIMAL_HINT
        return f"missing `{key}:`", f"add `{key}:` here, or delete the mapping it belongs to"
    if kind == "extra_forbidden" and model is not None:
        name = str(key)
        guess = _suggest(name, model)
        text = f"unknown key {show(name)}"
        if guess:
            text += f" — did you mean {guess!r}?"
        hint = f"valid keys here: {key_list(model)}"
        if model is AnthologyConfig and guess is None and name in StoryConfig.model_fields:
            hint = (f"{name!r} belongs to a story: indent it under the story's `- file:` line")
        elif model is StoryConfig and guess is None and name in AnthologyConfig.model_fields:
            hint = f"{name!r} is a setting for the whole book: move it to the top level, unindented"
        return text, hint
    if kind == "string_too_short":
        return "the value is empty", "write a value, or delete the line"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else 0
        return (f"this text is {length:,} characters long, more than the limit of "
                f"{ctx.get('max_length', 0):,}", "shorten it; the README's Limits section "
                "lists each maximum")
    if kind == "string_type":
        return f"expected text, got {kind_of(value)}", (
            "write one value on this line" if isinstance(value, list | dict) else
            "write a value, or delete the line")
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return f"expected a list, got {kind_of(value)}", (
            "write a list: `[first, second]`, or one `- item` per line under the key")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        story_hint = None
        if model is StoryConfig or key == "stories" or isinstance(key, int):
            story_hint = ("each story is a mapping: `- file: seeds/story.txt` with "
                          "`author: Name` indented under it")
        return f"expected a mapping (key: value lines), got {kind_of(value)}", story_hint or (
            "write its settings indented under the key, one `name: value` per line, or "
            "delete the key")
    if kind in ("bool_parsing", "bool_type"):
        return f"{show(value)} is not true or false", "write true or false"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{show(value)} is not a whole number", "write a whole number, such as 64"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{show(value)} is not a number", "write a number, such as 1.5"
    if kind == "literal_error":
        return f"{show(value)} is not allowed here", f"use {ctx.get('expected')}"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, name = bounds[kind]
        shown = value if isinstance(value, str) and len(value) < 20 else show(value)
        return (f"{shown} is out of range: it must be {word} {ctx.get(name)}",
                f"write a number {word} {ctx.get(name)}")
    message = str(error.get("msg", kind))
    return message.removeprefix("Value error, "), _README_HINT


def problems_of(exc: ValidationError, root: Node, prefix: tuple[str | int, ...] = (),
              ) -> Iterator[Problem]:
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
        yield Problem(node.start_mark.line + 1, node.start_mark.column + 1, where, text, hint,
                       numbered=counted)


def raise_problems(problems: list[Problem], file: str, *, stopped: bool) -> None:
    """All problems in one error: compiler style, one ``file:line:col:`` per line."""
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    first, *rest = problems

    def line_of(problem: Problem) -> str:
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



# ------------------------------------------------- command-line values → words

#: Options whose name is not the setting's with dashes.
_FLAGS = {"sheets_per_signature": "--sheets"}


def flag_for(field: str) -> str:
    """The command-line option that sets ``field`` (``pdf_variant`` → ``--pdf-variant``)."""
    return _FLAGS.get(field) or "--" + field.replace("_", "-")


def override_error(exc: ValidationError, *, given: Mapping[str, object], section: str = "",
                   file: str | None = None,
                   positions: Callable[..., tuple[int, int] | None] | None = None,
                   ) -> FanbindError:
    """The first problem of settings validated from command-line values, in words.

    ``given`` are the values that came from the command line: a problem with
    one is a :class:`UsageError` naming its option (exit 2). The others came
    from metadata.yaml (``file``, ``section:`` such as ``print``); ``positions``
    (:meth:`AnthologyConfig.position`) finds their line, and the error is a
    :class:`MetadataError` (exit 3) that says which options it was checked with.
    """
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"]) + (tuple(ctx.get("at") or ()) if error["type"] == "fanbind"
                                 else ())
    key = loc[-1] if loc else None
    model = _model_at((section, *loc[:-1])) if section else None
    text, hint = _explain(error, key, model)
    field = str(loc[0]) if loc else None
    if field is None or field in given or positions is None:
        flag = flag_for(field) if field else "an option"
        return UsageError(f"{flag}: {text}", hint=hint or f"check the value given to {flag}")
    where = ".".join(str(part) for part in (section, *loc) if part != "")
    line, column = positions(*((section,) if section else ()), field) or (None, None)
    options = ", ".join(flag_for(name) for name, value in given.items() if value is not None)
    return MetadataError(f"{where}: {text}", file=file, line=line, column=column,
                         hint=(hint + "\n        " if hint else "")
                         + f"(checked together with the command line's {options})")
