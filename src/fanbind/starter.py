"""``fanbind init``: a starter metadata.yaml for a folder of stories.

The file is written as text (not dumped) so it can carry comments that teach the
format; every value is quoted by PyYAML so odd titles stay valid YAML.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from fanbind.atomic import atomic_output
from fanbind.errors import MetadataError, StoryFileError, UsageError
from fanbind.text.normalize import clean_text
from fanbind.text.pipeline import count_words
from fanbind.text.sources import read_story
from fanbind.text.structure.parser import parse_story

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
    return yaml.safe_dump(value, default_style='"', allow_unicode=True).strip()


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
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
    if not files:
        raise UsageError("no .txt files in the stories folder", file=str(folder))
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
    for path in files:
        relative = _as_written(path, project)
        decoded = read_story(path, display_name=str(relative))
        text, _ = clean_text(decoded.text, file=str(relative))
        parsed = parse_story(text, file=str(relative))
        words = count_words(text)
        lines.append(f"  - file: {_scalar(str(relative))}")
        if parsed.title:
            lines.append(f"    title: {_scalar(parsed.title)}   # detected; {words:,} words")
        else:
            lines.append(f'    # title: ""   # no title line found: fill one in ({words:,} words)')
        lines.append("    authors: [Anonymous]")
        lines.extend("    " + field for field in COMMENTED_FIELDS)
    # Atomically: with --force, a full disk must not leave a hand-edited file half-overwritten.
    with atomic_output(target, what="metadata file") as temp:
        temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
