"""One error hierarchy, one exit code per class.

The CLI catches :class:`FanbindError` and prints its message and hint; it never
shows a traceback for bad input. The exit codes are documented in the README.
"""

from __future__ import annotations


class FanbindError(Exception):
    """Base class for every error meant for a person rather than a programmer."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint

    def location(self) -> str:
        """``file:line:column`` with whatever parts are known."""
        parts = [self.file or ""]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  Hint: {self.hint}"
        return text


class BuildError(FanbindError):
    """The book could not be written (output folder, disk, renderer)."""

    exit_code = 1


class UsageError(FanbindError):
    """The command line asked for something impossible."""

    exit_code = 2


class MetadataError(FanbindError):
    """metadata.yaml is missing, malformed or invalid."""

    exit_code = 3


class StoryFileError(FanbindError):
    """A story file is missing, unreadable, not text or empty."""

    exit_code = 4


class InputFileError(FanbindError):
    """Another input file (the PDF given to ``impose --pdf``) is missing, unreadable,
    locked or damaged: the same exit code as a story file's problem."""

    exit_code = 4


class Interrupted(FanbindError):
    """The user pressed Ctrl-C."""

    exit_code = 130
