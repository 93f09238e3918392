"""``fanbind build --watch``: which file changes start a new build.

Only the book's inputs: ``metadata.yaml``, the story files, the ``stylesheet:``
and every file it ``@import``s or ``url()``s (fonts, images, more stylesheets,
followed through imports), and the ``cover:``. Anything else written in the
project folder — a log, an editor's swap file, the books in the output folder,
the cache — is no reason to build again (a log written inside the project made
every build start the next: 135 builds in 18 s).

The inputs are read again after every build, so a story added to metadata.yaml
or a font added to the stylesheet is watched from then on. A file named there
that does not exist yet is an input too: creating it is a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fanbind.errors import FanbindError
from fanbind.project import open_project

#: How many stylesheets an ``@import`` chain may reach before the rest is ignored.
MAX_STYLESHEETS = 100


def book_inputs(project_dir: Path, metadata: Path | None = None) -> frozenset[Path]:
    """Every file the book is built from, resolved; metadata.yaml alone when it cannot be read."""
    root = project_dir.resolve()
    metadata_path = metadata if metadata is not None else root / "metadata.yaml"
    if not metadata_path.is_absolute():
        metadata_path = Path.cwd() / metadata_path
    inputs = {metadata_path.resolve()}
    try:
        project = open_project(project_dir, metadata)
    except FanbindError:  # being edited: watch it until it is whole again
        return frozenset(inputs)
    base = project.metadata_path.parent
    config = project.config
    names = [story.file for story in config.stories]
    names += [name for name in (config.cover, config.stylesheet) if name]
    for name in names:
        try:
            inputs.add((base / name).resolve())
        except (OSError, RuntimeError, ValueError):
            continue
    if config.stylesheet:
        inputs |= stylesheet_inputs((base / config.stylesheet).resolve())
    return frozenset(inputs)


def stylesheet_inputs(sheet: Path) -> set[Path]:
    """The local files a stylesheet refers to, through its ``@import``s (not ``sheet`` itself)."""
    import tinycss2

    found: set[Path] = set()
    pending = [sheet]
    seen: set[Path] = set()
    while pending and len(seen) < MAX_STYLESHEETS:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            text = current.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        for url, imported in _urls(rules):
            path = _local(url, current.parent)
            if path is None:
                continue
            found.add(path)
            if imported:
                pending.append(path)
    return found


def _urls(nodes: Iterable[object]) -> Iterable[tuple[str, bool]]:
    """Each URL in ``nodes`` (parsed CSS), with whether an ``@import`` names it."""
    for node in nodes:
        kind = getattr(node, "type", None)
        if kind == "at-rule" and node.lower_at_keyword == "import":  # type: ignore[attr-defined]
            for token in node.prelude:  # type: ignore[attr-defined]
                if token.type in ("string", "url"):
                    yield token.value, True
                    break
                if token.type == "function" and token.lower_name == "url" and token.arguments:
                    first = next((t for t in token.arguments if t.type == "string"), None)
                    if first is not None:
                        yield first.value, True
                    break
            continue
        if kind == "url":
            yield node.value, False  # type: ignore[attr-defined]
        elif kind == "function" and node.lower_name == "url":  # type: ignore[attr-defined]
            for token in node.arguments:  # type: ignore[attr-defined]
                if token.type == "string":
                    yield token.value, False
        for child in ("prelude", "content", "arguments"):
            value = getattr(node, child, None)
            if isinstance(value, list):
                yield from _urls(value)


def _local(url: str, base: Path) -> Path | None:
    """The file a URL in a stylesheet at ``base`` names, when it names a local one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("", "file") or parts.netloc or not parts.path:
        return None
    try:
        return (base / unquote(parts.path)).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def is_input(path: str | Path, inputs: frozenset[Path]) -> bool:
    """Whether a changed ``path`` (as the watcher reports it) is one of ``inputs``."""
    try:
        return Path(path).resolve() in inputs
    except (OSError, RuntimeError, ValueError):
        return False


def watched_folders(root: Path, inputs: frozenset[Path]) -> list[Path]:
    """The project folder, plus the folders of inputs outside it (``--allow-outside``)."""
    folders = [root]
    for path in sorted(inputs):
        if not path.is_relative_to(root) and path.parent not in folders:
            folders.append(path.parent)
    return [folder for folder in folders if folder.is_dir()]
