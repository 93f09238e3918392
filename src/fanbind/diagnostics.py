"""Warnings and lint findings as data, collected during a build and printed once.

A :class:`Diagnostic` has a stable code (``FB`` + category digit + number), so users
can look it up and tests can assert on it. Fatal problems are exceptions
(:mod:`fanbind.errors`); everything here lets the build go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: what, where, and how to fix it."""

    code: str
    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.code} {self.message}"
        if self.hint:
            text += f"\n    Hint: {self.hint}"
        return text


class Diagnostics:
    """An ordered collection of findings for one build or check run."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def add(
        self,
        code: str,
        severity: Severity,
        file: str,
        line: int | None,
        message: str,
        hint: str | None = None,
    ) -> Diagnostic:
        item = Diagnostic(code, severity, file, line, message, hint)
        self._items.append(item)
        return item

    def warn(self, code: str, file: str, line: int | None, message: str,
             hint: str | None = None) -> None:
        self.add(code, Severity.WARNING, file, line, message, hint)

    def info(self, code: str, file: str, line: int | None, message: str,
             hint: str | None = None) -> None:
        self.add(code, Severity.INFO, file, line, message, hint)

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self._items.extend(items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def count(self, severity: Severity) -> int:
        return sum(1 for item in self._items if item.severity is severity)

    def by_file(self, *, include_info: bool = False) -> dict[str, list[Diagnostic]]:
        """Findings grouped by file, files in first-seen order, lines ascending.

        A finding reported twice (the same URL refused in two volumes, say) is
        listed once: the printout is for reading, not for counting.
        """
        groups: dict[str, list[Diagnostic]] = {}
        seen: set[Diagnostic] = set()
        for item in self._items:
            if (item.severity is Severity.INFO and not include_info) or item in seen:
                continue
            seen.add(item)
            groups.setdefault(item.file, []).append(item)
        for items in groups.values():
            items.sort(key=lambda d: (d.line or 0))
        return groups

    def format(self, *, include_info: bool = False) -> str:
        """All findings as text, one block per file."""
        blocks = []
        for file, items in self.by_file(include_info=include_info).items():
            lines = [file] + ["  " + item.format() for item in items]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
