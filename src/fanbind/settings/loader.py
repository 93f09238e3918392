"""metadata.yaml in, a validated :class:`AnthologyConfig` out (or one MetadataError).

The pipeline: read the file under its size limit and decode it
(:mod:`~fanbind.settings.yaml_guard`), compose the YAML node tree under guard,
refuse loops and alias bombs, build plain data, validate it with pydantic story
by story (:mod:`~fanbind.settings.schema`), and translate errors to node
positions (:mod:`~fanbind.settings.explain`). No other exception type leaves
:func:`load_config` or :func:`parse_config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fanbind.errors import MetadataError
from fanbind.settings.explain import (
    MAX_REPORTED_PROBLEMS,
    Problem,
    override_error,
    problems_of,
    raise_problems,
)
from fanbind.settings.limits import Limits
from fanbind.settings.schema import AnthologyConfig, LimitsConfig, PrintConfig, StoryConfig
from fanbind.settings.wording import MINIMAL_HINT, show
from fanbind.settings.yaml_guard import (
    NULL_TAG,
    Builder,
    Refused,
    compose,
    lookup,
    measure,
    read_metadata,
    syntax_error,
    too_big,
)

#: Top-level keys starting with this are ignored: a place for YAML anchors
#: (``x-defaults: &defaults {author: Anonymous}``), as in docker-compose files.
EXTENSION_PREFIX = "x-"


def load_config(path: Path, *, display_name: str | None = None,
                limits: Limits | None = None) -> AnthologyConfig:
    """Read, decode and validate metadata.yaml.

    ``display_name`` is how the file is named in messages (default: ``path`` as
    given). ``limits`` default to :meth:`Limits.from_env`.
    """
    shown = display_name if display_name is not None else str(path)
    limits = limits if limits is not None else Limits.from_env()
    return parse_config(read_metadata(path, shown, limits), file=shown, limits=limits)


#: Characters YAML takes for line breaks and editors do not show as ones (NEL; the
#: line and paragraph separators pasted from web pages and word processors): read
#: as the spaces they look like, so the line a message names is the editor's line
#: and a summary pasted with one keeps its words apart.
_UNSEEN_BREAKS = str.maketrans({"\x85": " ", "\u2028": " ", "\u2029": " "})


def parse_config(text: str, *, file: str, limits: Limits | None = None) -> AnthologyConfig:
    """Validate metadata.yaml given as text; ``file`` names it in messages.

    The whole pipeline after decoding: compose the YAML node tree under
    guard, refuse loops and alias bombs, build plain data, validate it with
    pydantic story by story, and translate errors to node positions. Any
    failure is a :class:`MetadataError`.
    """
    limits = limits if limits is not None else Limits()
    # Before parsing, so error positions match the text as an editor shows it.
    text = text.removeprefix("\ufeff").translate(_UNSEEN_BREAKS)
    try:
        return _parse(text, file, limits)
    except MetadataError:
        raise
    except Refused as exc:
        mark = exc.mark
        raise MetadataError(exc.message, file=file,
                            line=mark.line + 1 if mark is not None else None,
                            column=mark.column + 1 if mark is not None else None,
                            hint=exc.hint) from None
    except yaml.YAMLError as exc:
        raise syntax_error(exc, text, file) from None
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
        raise too_big(len(text.encode("utf-8", "surrogatepass")), limits, file)
    root = compose(text, limits)
    if root is None or (isinstance(root, ScalarNode) and root.tag == NULL_TAG):
        raise MetadataError(f"{name} is empty: it needs at least `title:` and `stories:`",
                            file=file, line=1,
                            hint=MINIMAL_HINT)
    if not isinstance(root, MappingNode):
        what = ("a list" if isinstance(root, SequenceNode)
                else f"the single value {show(root.value)}")
        raise MetadataError(f"{name} must be a mapping of keys such as `title:` and `stories:`, "
                            f"but it holds {what}", file=file, line=root.start_mark.line + 1,
                            column=root.start_mark.column + 1, hint=MINIMAL_HINT)
    measure(root, limits)
    data = Builder().build(root)
    _check_story_count(data, root, limits, file)
    return _validate(data, root, file)


def _positions(root: MappingNode) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Where each top-level value, each ``print:``/``limits:`` value, each story and each
    story value is written."""
    out: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def mark(node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    for name in AnthologyConfig.model_fields:
        found = lookup(root, name) or lookup(root, {"editors": "editor"}.get(name, name))
        if found:
            out[(name,)] = mark(found[1])
    for section, model in (("print", PrintConfig), ("limits", LimitsConfig)):
        found = lookup(root, section)
        if found and isinstance(found[1], MappingNode):
            for name in model.model_fields:
                value = lookup(found[1], name)
                if value:
                    out[(section, name)] = mark(value[1])
    stories = lookup(root, "stories")
    if stories and isinstance(stories[1], SequenceNode):
        for index, story in enumerate(stories[1].value):
            out[("stories", index)] = mark(story)
            if isinstance(story, MappingNode):
                for name in StoryConfig.model_fields:
                    found = lookup(story, name) or (
                        lookup(story, "author") if name == "authors" else None)
                    if found:
                        out[("stories", index, name)] = mark(found[1])
                if lookup(story, "author"):  # the key as written, for messages
                    out[("stories", index, "author")] = out[("stories", index, "authors")]
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
        found = lookup(root, "stories")
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
    problems: list[Problem] = []
    data = {k: v for k, v in data.items() if not k.startswith(EXTENSION_PREFIX)}
    stories = data.get("stories")
    stopped = False
    if isinstance(stories, list):
        valid: list[StoryConfig] = []
        for index, story in enumerate(stories):
            try:
                valid.append(StoryConfig.model_validate(story))
            except ValidationError as exc:
                problems.extend(problems_of(exc, root, ("stories", index)))
                if len(problems) >= MAX_REPORTED_PROBLEMS:
                    stopped = True
                    break
        data = {**data, "stories": valid}
    story_problems = bool(problems)
    try:
        config = AnthologyConfig.model_validate(data)
    except ValidationError as exc:
        for problem in problems_of(exc, root):
            # With a story refused, checks on the list as a whole see only a part of it.
            if not (story_problems and problem.where.startswith("stories")):
                problems.append(problem)
    else:
        if not problems:
            config._positions.update(_positions(root))
            return config
    raise_problems(problems[:MAX_REPORTED_PROBLEMS], file, stopped=stopped)
    raise AssertionError("unreachable")  # pragma: no cover


def with_print_overrides(config: AnthologyConfig, overrides: dict[str, object] | None, *,
                         file: str | None = None) -> AnthologyConfig:
    """``config`` with some ``print:`` settings replaced by the command line's.

    The merged settings are validated as one ``print:`` mapping, so every
    cross-field check sees the values the build will use. A problem with a
    command-line value is a usage error naming its option; one with a value
    from the file (found wrong only next to an option) points at its line.
    """
    if not overrides:
        return config
    merged = {**config.print.model_dump(exclude_unset=True), **overrides}
    try:
        printing = PrintConfig.model_validate(merged)
    except ValidationError as exc:
        raise override_error(exc, given=overrides, section="print", file=file,
                             positions=config.position) from None
    return config.model_copy(update={"print": printing})


def print_settings(overrides: dict[str, object] | None) -> PrintConfig:
    """``print:`` settings from the command line alone (``impose --pdf`` without a project)."""
    try:
        return PrintConfig.model_validate(dict(overrides or {}))
    except ValidationError as exc:
        raise override_error(exc, given=dict(overrides or {}), section="print") from None
