"""A project folder: its metadata, and which paths it may read.

Paths in metadata.yaml (stories, ``cover:``, ``stylesheet:``) are resolved here
and refused when they leave the project folder (``../``, absolute paths,
symbolic links pointing outside) unless the user passed ``--allow-outside``;
URLs are always refused, since fanbind never fetches anything. Every refusal
points at the line of metadata.yaml where the path is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from fanbind.errors import BuildError, MetadataError, StoryFileError, UsageError
from fanbind.settings import AnthologyConfig, load_config, with_print_overrides

#: The output folder inside the project when ``-o`` is not given.
DEFAULT_OUTPUT = "dist"


@dataclass(frozen=True)
class Project:
    """A project folder with its validated metadata."""

    root: Path
    metadata_path: Path
    config: AnthologyConfig

    def with_print_overrides(self, overrides: dict[str, object] | None) -> Project:
        """The project with some ``print:`` settings replaced by the command line's."""
        if not overrides:
            return self
        shown = self.display(self.metadata_path)
        return replace(self, config=with_print_overrides(self.config, overrides, file=shown))

    def output_folder(self, chosen: Path | None) -> Path:
        """Where the books go: ``chosen`` (``-o``) as given, else ``dist/`` in the project.

        The default is followed only while it stays inside the project, as
        ``.fanbind-cache`` is: a ``dist`` that arrives with a shared project as a
        symbolic link to elsewhere would have the build write there. An ``-o``
        outside the project is the user's own choice and stays allowed.
        """
        if chosen is not None:
            return chosen.resolve()
        default = self.root / DEFAULT_OUTPUT
        try:
            resolved = default.resolve()
        except (OSError, RuntimeError):  # a link loop
            resolved = None
        if resolved is None or not resolved.is_relative_to(self.root):
            where = f" ({resolved})" if resolved is not None else ""
            raise BuildError(
                f"the output folder {DEFAULT_OUTPUT}/ is a symbolic link leading outside the "
                f"project folder{where}: fanbind does not follow it",
                file=str(default),
                hint=f"delete the link (a real {DEFAULT_OUTPUT}/ folder is then made), or pass "
                     "-o FOLDER to write the books outside the project on purpose")
        return resolved

    def display(self, path: Path) -> str:
        """A path as the user should see it: relative to the project when inside."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)



def open_project(project_dir: Path, metadata: Path | None = None) -> Project:
    """Find and validate metadata.yaml for a project folder."""
    root = project_dir.resolve()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise UsageError(f"the project folder {what}", file=str(project_dir),
                         hint="give the folder that holds metadata.yaml (default: the "
                              "current folder)")
    path = metadata if metadata is not None else root / "metadata.yaml"
    if not path.is_absolute():
        path = (Path.cwd() / path)
    shown = _display(root, path)
    if not path.exists():
        raise MetadataError("not found: every project needs a metadata.yaml", file=shown,
                            hint="run `fanbind init` to write a starter file, or give its path "
                                 "with --metadata")
    config = load_config(path, display_name=shown)
    return Project(root, path, config)


def _display(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


#: ``scheme:`` at the start of a path from metadata.yaml; two letters at least, so a
#: Windows drive (``C:\\stories``) is not taken for one.
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_URL_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "file", "data", "javascript",
                          "mailto", "blob", "ws", "wss", "sftp", "smb"})
#: Where each kind of path is written in metadata.yaml (stories add their index).
_PATH_KEYS = {"cover": ("cover",), "stylesheet": ("stylesheet",)}


def _url_scheme(name: str) -> str | None:
    """The scheme when ``name`` is a URL (``https://…``, ``data:…``), else None."""
    found = _URL_SCHEME.match(name.strip())
    if found is None:
        return None
    scheme = found.group(1).lower()
    rest = name.strip()[found.end():]
    return scheme if scheme in _URL_SCHEMES or rest.startswith("//") else None


def resolve_inside(project: Project, name: str, *, what: str, allow_outside: bool,
                   error: type[MetadataError] | type[StoryFileError] = StoryFileError,
                   at: tuple[str | int, ...] | None = None) -> Path:
    """Resolve a path from metadata.yaml and refuse one that leaves the project.

    Symlinks are resolved first, so a link pointing outside is refused too.
    URLs are refused even with ``allow_outside``: fanbind never fetches anything
    from the network, and a ``file://`` URL is a path written the wrong way.
    Errors point at the line of metadata.yaml where the path is written
    (``at`` is its key path, e.g. ``("stories", 2, "file")``).
    """
    position = project.config.position(*(at if at is not None else _PATH_KEYS.get(what, ())))
    line, column = position if position is not None else (None, None)
    shown = _display(project.root, project.metadata_path)
    scheme = _url_scheme(name)
    if scheme is not None:
        hint = ("write the file's path relative to metadata.yaml instead of a file:// URL"
                if scheme == "file" else
                "save the file into the project folder and write its path here")
        raise error(f"the {what} {name[:80]!r} is a URL: fanbind reads files from the project "
                    "folder only and never fetches anything from the network",
                    file=shown, line=line, column=column, hint=hint)
    base = project.metadata_path.parent
    try:
        path = (base / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL in the name
        raise error(f"the {what} path {name!r} cannot be resolved: {exc}", file=shown,
                    line=line, column=column, hint="check the path") from None
    if not allow_outside and not path.is_relative_to(project.root):
        if Path(name).is_absolute():
            why = "is an absolute path outside"
        elif _through_symlink(base / name, project.root):
            why = "is a symbolic link to a place outside"
        else:
            why = "points outside"
        raise error(f"the {what} path {name!r} {why} the project folder",
                    file=shown, line=line, column=column,
                    hint="move the file into the project folder, or pass --allow-outside if "
                         "you trust this metadata.yaml")
    return path


def require_file(project: Project, path: Path, *, what: str, name: str) -> None:
    """Refuse a ``cover:`` or ``stylesheet:`` that is missing or not a regular file.

    Checked before anything is written, so the message points at the line of
    metadata.yaml to fix instead of surfacing later as a failed write.
    """
    if path.is_file():
        return
    position = project.config.position(*_PATH_KEYS.get(what, ()))
    line, column = position if position is not None else (None, None)
    why = "is a folder, not a file" if path.is_dir() else (
        "is not a regular file" if path.exists() else "does not exist")
    raise MetadataError(f"the {what} {name!r} {why}",
                        file=_display(project.root, project.metadata_path), line=line,
                        column=column, hint=f"check the `{what}:` line (paths are relative to "
                                            f"metadata.yaml), or delete it")


def check_resources(project: Project, *, allow_outside: bool) -> None:
    """Refuse the ``stylesheet:`` and ``cover:`` paths as a build would (``fanbind check``)."""
    for what, name in (("stylesheet", project.config.stylesheet),
                       ("cover", project.config.cover)):
        if name:
            path = resolve_inside(project, name, what=what, allow_outside=allow_outside,
                                  error=MetadataError)
            require_file(project, path, what=what, name=name)


def _through_symlink(path: Path, root: Path) -> bool:
    """Whether ``path`` lies inside ``root`` as written (so it leaves through a symlink)."""
    return Path(os.path.normpath(path.absolute())).is_relative_to(root)
