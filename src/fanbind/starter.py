"""``fanbind init``: a starter metadata.yaml for a folder of stories.

The file is written as text (not dumped) so it can carry comments that teach the
format; every value is quoted by PyYAML so odd titles stay valid YAML.
"""

from __future__ import annotations

import datetime as dt
import os
from enum import Enum
from pathlib import Path

import yaml

from fanbind.atomic import atomic_output
from fanbind.diagnostics import Diagnostics
from fanbind.errors import MetadataError, StoryFileError, UsageError
from fanbind.model import plain_text
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import count_words, load_story
from fanbind.text.readers.epub import INSIDE
from fanbind.text.settings import TextSettings
from fanbind.text.structure.parser import ParsedStory

#: Story files ``init`` lists: plain text and the formats fanbind.text.readers reads.
STORY_SUFFIXES = frozenset({".txt", ".html", ".htm", ".xhtml", ".epub", ".md", ".markdown"})
#: Fields a file may state, in metadata.yaml's order, as init writes them.
_FOUND_ORDER = ("rating", "warnings", "categories", "fandoms", "relationships", "characters",
                "tags", "language", "series", "series_part", "source", "published")

COMMENTED_FIELDS = (
    "# rating: Teen And Up Audiences",
    "#   (General Audiences | Teen And Up Audiences | Mature | Explicit | Not Rated)",
    "# warnings: [No Archive Warnings Apply]",
    "# categories: [M/M]             # F/F, F/M, Gen, M/M, Multi, Other",
    "# fandoms: []",
    "# relationships: []",
    "# characters: []",
    "# tags: []",
    "# summary: >",
    "#   One paragraph about the story.",
)


def _scalar(value: str) -> str:
    # One line whatever its length: a comment follows it on the same line.
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=2**31).strip()


def _shown(path: str | Path) -> str:
    """A path whose name is not UTF-8 as people can read it: undecodable bytes as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _refuse_undecodable_names(files: list[Path], project: Path) -> None:
    """Refuse story files whose names are not valid UTF-8.

    Python hands such a name over as lone surrogates (``caf\\udce9.txt``);
    metadata.yaml is UTF-8 and cannot hold them, so a starter file naming them
    would be refused by every ``build``. Renaming is the person's call (the
    name's real encoding is a guess), so ``init`` says which files and stops.
    """
    bad = [path for path in files if not _is_utf8(str(_as_written(path, project)))]
    if not bad:
        return
    listed = ", ".join(_shown(path.name) for path in bad[:5]) + (" …" if len(bad) > 5 else "")
    raise StoryFileError(
        f"{len(bad)} story file name(s) are not valid UTF-8, so metadata.yaml cannot name "
        f"them: {listed}", file=_shown(bad[0].parent),
        hint="rename them using ordinary letters (e.g. cafe.txt for caf\\xe9.txt), then run "
             "`fanbind init` again")


def _as_written(path: Path, project: Path) -> Path:
    """A story's path as metadata.yaml gives it: relative to the project when inside."""
    resolved, root = path.resolve(), project.resolve()
    return resolved.relative_to(root) if resolved.is_relative_to(root) else resolved


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def write_starter(project: Path, *, stories_dir: Path | None = None, force: bool = False) -> Path:
    """Write ``project/metadata.yaml``; refuses to overwrite without ``force``."""
    target = project / "metadata.yaml"
    if target.exists() and not force:
        raise MetadataError("metadata.yaml already exists", file=str(target),
                            hint="pass --force to overwrite it")
    folder = stories_dir if stories_dir is not None else project / "seeds"
    if not folder.is_dir():
        raise UsageError("no stories folder", file=str(folder),
                         hint="put your .txt stories in seeds/ or pass --stories FOLDER")
    files = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() in STORY_SUFFIXES and p.is_file())
    if not files:
        raise UsageError("no story files (.txt, .html, .epub, .md) in the stories folder",
                         file=str(folder))
    _refuse_undecodable_names(files, project)
    lines = [
        "# fanbind metadata: the anthology's details, then its stories in reading order.",
        f"title: {_scalar(project.resolve().name.replace('-', ' ').title())}",
        "# subtitle: \"\"",
        "# editor: Your Name",
        "language: en",
        "# description: \"\"",
        "# rights: \"All stories © their authors; shared for personal use.\"",
        "stories:",
    ]
    entries = [_entry(path, project) for path in files]
    for _, story_lines in _in_series_order(entries):
        lines.extend(story_lines)
    # Atomically: with --force, a full disk must not leave a hand-edited file half-overwritten.
    with atomic_output(target, what="metadata file") as temp:
        temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


#: Where in a file of each kind its fields are stated, for init's comments.
_PLACES = {
    "html (AO3 download)": "AO3 preface",
    "html (FanFicFare download)": "FanFicFare title page",
    "FanFicFare text": "FanFicFare title page",
}


def _place(parsed: ParsedStory, path: Path) -> str:
    """What part of the file stated its fields: "AO3 preface", "Markdown title"…"""
    if parsed.paragraph_model in _PLACES:
        return _PLACES[parsed.paragraph_model]
    if path.suffix.lower() in (".md", ".markdown"):
        return "Markdown title"
    if parsed.paragraph_model == "html":
        return "page title"
    return "AO3 header" if parsed.found else "first line"


def _yaml_value(value: object) -> str:
    """A validated StoryConfig value as one line of YAML (enums and dates as written)."""
    if isinstance(value, tuple):
        return f"[{', '.join(_yaml_value(item) for item in value)}]"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dt.date):
        value = value.isoformat()
    return _scalar(str(value))


def _entry(path: Path, project: Path) -> tuple[ParsedStory, list[str]]:
    """One story's lines: what the file states filled in, each with where it came from.

    Values are written as the build validated them (a tag the schema refuses is
    left out, so the starter file is always valid); a comment names the file, the
    part of it and the line each came from.
    """
    relative = _as_written(path, project)
    loaded = load_story(path, StoryConfig(file=str(relative)), index=0,
                        display_name=str(relative), settings=TextSettings(),
                        diagnostics=Diagnostics())
    parsed, meta = loaded.parsed, loaded.story.meta
    found = {field: line for field, _, line in parsed.found}
    place = _place(parsed, path)

    def origin(line: int | None, field: str = "", inside: str | None = None) -> str:
        inside = inside or parsed.inside(field)
        # An EPUB's lines are those of a document inside it: named with its line.
        if inside and INSIDE in inside:
            at = f", {inside.split(INSIDE, 1)[1]} line {line}" if line else ""
        else:
            at = f", line {line}" if line and loaded.encoding != "epub" else ""
        return f"from {path.name} ({place}{at})"

    words = (count_words(loaded.source_text) if parsed.paragraph_model != "html"
             and not found and loaded.source_text else loaded.story.words)
    lines = [f"  - file: {_scalar(str(relative))}"]
    if parsed.title:
        at_title = origin(parsed.title_line, "title")
        lines.append(f"    title: {_scalar(parsed.title)}   # {at_title}; {words:,} words")
    else:
        lines.append(f'    # title: ""   # no title line found: fill one in ({words:,} words)')
    if meta.authors:
        lines.append(f"    authors: {_yaml_value(meta.authors)}   "
                     f"# {origin(found.get('authors'), 'authors')}")
    else:
        lines.append(f"    authors: [Anonymous]   # {path.name} names no author: fill one in")
    if not found:
        lines.extend("    " + field for field in COMMENTED_FIELDS)
        return parsed, lines
    for field in _FOUND_ORDER:
        value = getattr(meta, field)
        if field in found and value not in (None, ()):
            lines.append(f"    {field}: {_yaml_value(value)}   # {origin(found[field], field)}")
    if parsed.summary:
        summary = "\n\n".join(item if isinstance(item, str) else plain_text(item.inlines)
                               for item in parsed.summary)
        first = parsed.summary[0]
        at = None if isinstance(first, str) else first.origin
        lines.append(f"    summary: {_scalar(summary)}   "
                     f"# {origin(at.line if at else None, inside=at.file if at else None)}")
    return parsed, lines


def _in_series_order(entries: list[tuple[ParsedStory, list[str]]],
                     ) -> list[tuple[ParsedStory, list[str]]]:
    """Entries by file name, except that the stories of one series swap places so
    that they come in part order (the places they hold stay the same)."""
    by_series: dict[str, list[int]] = {}
    parts: dict[int, int] = {}
    for index, (parsed, _) in enumerate(entries):
        found = {field: value for field, value, _ in parsed.found}
        series, part = found.get("series"), found.get("series_part")
        if isinstance(series, str) and isinstance(part, str) and part.isdigit():
            by_series.setdefault(series, []).append(index)
            parts[index] = int(part)
    ordered = list(entries)
    for places in by_series.values():
        for place, index in zip(places, sorted(places, key=parts.__getitem__), strict=True):
            ordered[place] = entries[index]
    return ordered
