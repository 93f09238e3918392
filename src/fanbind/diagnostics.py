"""Warnings and lint findings as data, collected during a build and printed once.

A :class:`Diagnostic` has a stable code (``FB`` + category digit + number), so users
can look it up and tests can assert on it. Fatal problems are exceptions
(:mod:`fanbind.errors`); everything here lets the build go on.

:data:`CODES` is the one registry of codes: an emitter names the code and says what
it found, and the code's severity and hint come from here, so a code cannot be
a warning in one module and a note in another, and the README's table (checked by
a test against this registry) lists every code a user can meet.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Code:
    """What a code means: its severity, a one-line summary (the README's) and its hint.

    A hint may name ``{fields}`` that depend on the finding (the quotation marks of
    the story's language); the emitter fills them.
    """

    severity: Severity
    summary: str
    hint: str | None = None

    @property
    def fields(self) -> frozenset[str]:
        """The ``{fields}`` the hint needs."""
        if self.hint is None:
            return frozenset()
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.hint) if name)


_INFO, _WARNING = Severity.INFO, Severity.WARNING

#: Every diagnostic code fanbind emits. Codes are stable: never reuse a retired one.
#: FB1xx decoding and cleanup, FB2xx structure, FB3xx text lint, FB6xx PDF resources,
#: FB8xx volumes and imposition.
CODES: Mapping[str, Code] = MappingProxyType({
    "FB100": Code(_INFO, "the story is not UTF-8: its encoding was detected, or set by "
                  "`encoding:`",
                  "if the text looks wrong, set `encoding:` for this story in metadata.yaml; "
                  "re-saving as UTF-8 avoids guessing"),
    "FB101": Code(_WARNING, "mis-decoded characters (mojibake such as â€™) repaired",
                  "the file was once saved with the wrong encoding; check the repaired lines, "
                  "and re-save the fixed text as UTF-8"),
    "FB102": Code(_WARNING, "NUL, control or unbalanced bidirectional-text characters removed",
                  "they come from a damaged file (a crash while saving, a bad copy) or from "
                  "copying text out of programs or terminals; check the text around the "
                  "line shown is complete"),
    "FB103": Code(_INFO, "invisible formatting characters (zero-width spaces, soft hyphens) "
                  "removed"),
    "FB104": Code(_WARNING, "a UTF-16 byte-order mark before UTF-8 text: read as UTF-8",
                  "re-save the file as UTF-8 (an editor wrote the wrong mark)"),
    "FB200": Code(_INFO, "the paragraph model chosen for the file"),
    "FB201": Code(_WARNING, "no title found: the story is called 'Untitled'",
                  "give the story a `title:` in metadata.yaml, or put the title on the "
                  "first line followed by a blank line"),
    "FB202": Code(_INFO, "the first line looks like a title but differs from the metadata "
                  "title: kept in the story",
                  "if it is the title, make metadata.yaml's `title:` match it"),
    "FB203": Code(_WARNING, "the text looks hard-wrapped but was left wrapped",
                  "join the lines of each paragraph, or separate paragraphs with blank lines"),
    "FB204": Code(_INFO, "words hyphenated across a line break rejoined"),
    "FB210": Code(_INFO, "an export line (AO3 header, byline, label) dropped"),
    "FB211": Code(_WARNING, "Project Gutenberg boilerplate dropped",
                  "the licence header and footer are not part of the story; check the first "
                  "and last paragraphs of the story are intact"),
    "FB212": Code(_WARNING, "a notes or summary section with no clear end: only its first "
                  "paragraph taken",
                  "put a 'Chapter Text' line (or a chapter heading) where the story begins"),
    "FB213": Code(_INFO, "a 'Label:' line under a pasted AO3 header that is not one of AO3's "
                  "fields: kept as story text",
                  "if it is part of the header, delete the line; if it is the story's, "
                  "nothing to do"),
    "FB220": Code(_INFO, "two blank lines: a scene break?",
                  "use three blank lines or a line such as *** to mark a scene break"),
    "FB221": Code(_INFO, "blank lines in a file without blank lines between paragraphs taken "
                  "as a scene break"),
    "FB222": Code(_INFO, "a scene break at the start or end of a chapter dropped"),
    "FB223": Code(_INFO, "consecutive scene breaks collapsed into one"),
    "FB230": Code(_INFO, "a short label line taken as a heading"),
    "FB231": Code(_INFO, "lines without 'Chapter' taken as chapter headings by their repeating "
                  "pattern (1. Title, II, 「Title」, the file's own contents)",
                  "if they are not chapters, write them differently (a line of dialogue "
                  "with its punctuation), or give the chapters 'Chapter N' lines"),
    "FB240": Code(_INFO, "the file's extension and content disagree: read as its content says",
                  "rename the file, or set `format:` for this story in metadata.yaml"),
    "FB241": Code(_WARNING, "remote images or stylesheets in an HTML story not fetched",
                  "nothing is fetched from the network; an image standing alone is set as a "
                  "scene break"),
    "FB242": Code(_INFO, "metadata.yaml and the story file both give a field: metadata.yaml's "
                  "is used, the file's set aside",
                  "to use the file's, delete `{field}:` from metadata.yaml{where}; to keep "
                  "yours, nothing needs doing"),
    "FB243": Code(_WARNING, "malformed HTML read leniently (tags closed out of order or never)",
                  "check the text around the lines shown; re-download or re-save the page"),
    "FB301": Code(_WARNING, "unbalanced quotes in a paragraph (speech continued into the next "
                  "paragraph is not flagged)",
                  "Close the quotation with {close}; if the speech goes on in the next "
                  "paragraph, start that paragraph with {open}."),
    "FB302": Code(_WARNING, "a straight quote left undecided after typesetting",
                  "A quote with spaces on both sides cannot be curled: remove the stray "
                  "space, or type the curly mark you mean."),
    "FB303": Code(_INFO, "straight and curly quotes mixed in the source",
                  "Typography curls the straight ones by context; proofread those paragraphs, "
                  "since text pasted from another editor often hides other slips."),
    "FB304": Code(_WARNING, "a suspected missing opening quote",
                  "Add the opening {open} where the speech starts."),
    "FB310": Code(_WARNING, "an overlong paragraph (lost line breaks?)",
                  "a paragraph this long is often several paragraphs run together: check "
                  "for lost line breaks"),
    "FB320": Code(_WARNING, "duplicate story titles",
                  "give one of them a distinct `title:` in metadata.yaml"),
    "FB601": Code(_WARNING, "a resource the PDF renderer did not fetch: missing from the "
                  "project, outside it, or a URL",
                  "fanbind reads only files inside the project folder and nothing from the "
                  "network: create a missing file or correct its path (relative to the "
                  "stylesheet); copy any other file into the project"),
    "FB602": Code(_WARNING, "characters no installed font has, drawn as boxes on the generated "
                  "cover",
                  "install a font that has them (e.g. Noto CJK), or give a cover: image"),
    "FB603": Code(_WARNING, "a stylesheet declaration the PDF renderer skipped",
                  "fix or delete the declaration; the PDF is laid out without it"),
    "FB604": Code(_WARNING, "the cover image could not be drawn on the print cover wrap",
                  "give `cover:` a JPEG or PNG file; the wrap's front is left plain without it"),
    "FB605": Code(_INFO, "the description was cut at a word to fit the back of the cover wrap",
                  "shorten `description:` to see all of it on the back"),
    "FB801": Code(_WARNING, "a story longer than a volume: it makes a volume on its own",
                  "raise print.volume_words, or accept a thicker volume"),
    "FB802": Code(_INFO, "the book split into volumes"),
    "FB803": Code(_WARNING, "pages scaled down to fit the imposition sheet",
                  "choose print.sheet: a4 or letter to suit the trim, or a smaller trim"),
})


def code_info(code: str) -> Code:
    """The registry entry for *code*; an unregistered code is a bug in fanbind."""
    try:
        return CODES[code]
    except KeyError:
        raise ValueError(f"unregistered diagnostic code {code!r}: add it to "
                         "fanbind.diagnostics.CODES and the README") from None


@dataclass(frozen=True)
class Diagnostic:
    """One finding: what, where, and how to fix it.

    Made with :meth:`create`, which takes severity and hint from :data:`CODES`;
    the constructor only checks that they agree with it.
    """

    code: str
    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        entry = code_info(self.code)
        if self.severity is not entry.severity:
            raise ValueError(f"{self.code} is registered as {entry.severity}, "
                             f"not {self.severity}")

    @classmethod
    def create(cls, code: str, file: str, line: int | None, message: str, *,
               with_hint: bool = True, **fields: str) -> Diagnostic:
        """The finding *code* at *file*:*line*; *fields* fill the code's hint.

        ``with_hint=False`` leaves the hint out where it cannot apply (FB100 when
        the user set the encoding: telling them to set it would be wrong).
        """
        entry = code_info(code)
        if set(fields) != entry.fields:
            raise ValueError(f"{code}'s hint needs fields {sorted(entry.fields)}, "
                             f"got {sorted(fields)}")
        hint = entry.hint.format(**fields) if entry.hint is not None and with_hint else None
        return cls(code, entry.severity, file, line, message, hint)

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

    def report(self, code: str, file: str, line: int | None, message: str,
               **fields: str) -> Diagnostic:
        """Record the finding *code* (see :meth:`Diagnostic.create`)."""
        item = Diagnostic.create(code, file, line, message, with_hint=True, **fields)
        self._items.append(item)
        return item

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self._items.extend(items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def count(self, severity: Severity) -> int:
        return sum(1 for item in self._items if item.severity is severity)

    def by_file(self, *, include_info: bool = False,
                shown: frozenset[str] = frozenset()) -> dict[str, list[Diagnostic]]:
        """Findings grouped by file, files in first-seen order, lines ascending.

        A finding reported twice (the same URL refused in two volumes, say) is
        listed once: the printout is for reading, not for counting. Notes whose
        code is in ``shown`` are listed even without ``include_info``.
        """
        groups: dict[str, list[Diagnostic]] = {}
        seen: set[Diagnostic] = set()
        for item in self._items:
            hidden = (item.severity is Severity.INFO and not include_info
                      and item.code not in shown)
            if hidden or item in seen:
                continue
            seen.add(item)
            groups.setdefault(item.file, []).append(item)
        for items in groups.values():
            items.sort(key=lambda d: (d.line or 0))
        return groups

    def format(self, *, include_info: bool = False,
               shown: frozenset[str] = frozenset()) -> str:
        """All findings as text, one block per file (``shown``: see :meth:`by_file`)."""
        blocks = []
        for file, items in self.by_file(include_info=include_info, shown=shown).items():
            lines = [file] + ["  " + item.format() for item in items]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
