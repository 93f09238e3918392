"""The hardened YAML reader: metadata.yaml's text to a node tree, never to objects.

metadata.yaml is written by hand and may come from somewhere untrusted (a
shared anthology project, an upload). Only a :class:`yaml.SafeLoader` subclass
reads it; tags that would build Python objects are refused while the node tree
is composed (so they are never constructed, let alone run); alias bombs, deep
nesting, oversized files and undecodable bytes are refused before they cost
anything, each against a :class:`~fanbind.settings.limits.Limits` bound. Every
scalar becomes its text: the schema converts what it needs.
"""

from __future__ import annotations

import codecs
import stat
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fanbind.errors import MetadataError
from fanbind.settings.limits import Limits, env_name
from fanbind.settings.wording import show

_T = "tag:yaml.org,2002:"
NULL_TAG, MERGE_TAG, _STR = _T + "null", _T + "merge", _T + "str"
_SCALAR_TAGS = frozenset(_T + t for t in ("str", "int", "float", "bool", "null", "timestamp",
                                          "merge"))
_SEQUENCE_TAGS = frozenset({_T + "seq"})
_MAPPING_TAGS = frozenset({_T + "map"})


class Refused(Exception):
    """A problem found while reading YAML; becomes a MetadataError at the edge."""

    def __init__(self, message: str, mark: Any = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_T):] if tag.startswith(_T) else tag


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that composes a node tree and never constructs from tags.

    Composition (events → nodes) is where the attacks live, so the checks are
    made here, each before the thing it guards is built: explicit tags outside
    YAML's plain core types, more than ``max_aliases`` aliases, nesting deeper
    than ``max_depth`` (the composer is recursive: 10,000 ``[`` would otherwise
    be a RecursionError), and duplicate keys (a constructor would silently keep
    the last one).
    """

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits = limits
        self.alias_count = 0
        self.depth = 0

    # The "type: ignore"s below are for types-PyYAML: it leaves the pure-Python parser and
    # resolver untyped, and gives compose_mapping_node's anchor (a name) the type of anchors.

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self.alias_count += 1
            if self.alias_count > self.limits.max_aliases:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise Refused(
                    f"more than {self.limits.max_aliases} YAML aliases (*name): this file "
                    "repeats its own parts so often it looks like an 'alias bomb'",
                    event.start_mark,
                    f"write the values out in full; if the file is genuine, raise the limit "
                    f"with the environment variable {env_name('max_aliases')}",
                )
            return super().compose_node(parent, index)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            allowed = (_SCALAR_TAGS if isinstance(event, ScalarEvent) else
                       _SEQUENCE_TAGS if isinstance(event, SequenceStartEvent) else
                       _MAPPING_TAGS)
            if tag not in allowed:
                raise Refused(
                    f"the YAML tag {_short_tag(tag)!r} is not allowed: metadata.yaml holds "
                    "plain text, lists and mappings only (tags that would create program "
                    "objects are refused, never run)",
                    event.start_mark, "delete the tag (the word starting with '!')",
                )
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise Refused(
                    f"lists and mappings are nested more than {self.limits.max_depth} levels "
                    "deep", event.start_mark,
                    "metadata.yaml needs three or four levels; check for unclosed '[' or '{'",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:  # type: ignore[override]
        """PyYAML's own, plus a duplicate-key check as each key is read."""
        start_event = self.get_event()  # type: ignore[no-untyped-call]
        tag = start_event.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start_event.implicit)  # type: ignore[no-untyped-call]
        node = MappingNode(tag, [], start_event.start_mark, None,
                           flow_style=start_event.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        seen: dict[str, Any] = {}
        while not self.check_event(MappingEndEvent):
            key_node = self.compose_node(node, None)
            if isinstance(key_node, ScalarNode) and key_node.tag != MERGE_TAG:
                earlier = seen.get(key_node.value)
                if earlier is not None:
                    raise Refused(
                        f"duplicate key {show(key_node.value)}: it is already set on line "
                        f"{earlier.line + 1} of this mapping (YAML would silently keep only "
                        "the last one)",
                        key_node.start_mark, "delete one of the two, or merge their values",
                    )
                seen[key_node.value] = key_node.start_mark
            value_node = self.compose_node(node, key_node)
            node.value.append((key_node, value_node))
        node.end_mark = self.get_event().end_mark  # type: ignore[no-untyped-call]
        return node


class _FastGuardedLoader(_GuardedLoader):
    """The same guarded composer, fed with events by libyaml's parser (C).

    PyYAML's pure-Python scanner and parser are nine tenths of the time it
    takes to read a metadata.yaml (3 s for 1,000 stories); libyaml's take a
    tenth of that. The composer, and with it every check above, stays the
    Python one, and PyYAML's reader still checks the characters first. Only a
    file that reads without a problem is taken from here: for any error,
    :func:`compose` reads the file again the pure-Python way, so messages and
    positions are exactly those of PyYAML.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text, limits)
        self._events = yaml.CBaseLoader(text)  # only its parser (CParser) is used

    def check_event(self, *choices: Any) -> bool:
        return self._events.check_event(*choices)

    def peek_event(self) -> Any:
        return self._events.peek_event()

    def get_event(self) -> Any:
        return self._events.get_event()

    def dispose(self) -> None:
        super().dispose()
        self._events.dispose()


def compose(text: str, limits: Limits) -> Node | None:
    """The node tree of ``text``, composed under guard (libyaml when installed).

    libyaml accepts a tab after ``key:``, which PyYAML refuses, and counts a
    U+FEFF inside a line as no column: a file with either is read the
    pure-Python way only.
    """
    if getattr(yaml, "__with_libyaml__", False) and "\t" not in text and \
            "\ufeff" not in text:
        fast = None
        try:
            fast = _FastGuardedLoader(text, limits)
            return fast.get_single_node()
        except (yaml.YAMLError, Refused):
            pass  # told below exactly as the pure-Python reader tells it
        finally:
            if fast is not None:
                fast.dispose()
    loader = _GuardedLoader(text, limits)
    try:
        return loader.get_single_node()
    except ValueError as exc:
        # PyYAML's scanner turns a double-quoted "\U…" escape into a character with
        # chr(), which raises a bare ValueError past U+10FFFF (libyaml refuses it
        # as a YAMLError, and the file is then read again here). Any other
        # ValueError is still told with its place, never as a traceback.
        if "chr()" in str(exc):
            raise Refused("a \\U escape in a double-quoted value names no character: "
                          "the last one is U+10FFFF", loader.get_mark(),
                          "write the character itself, or fix the escape's eight hex "
                          "digits (\\U0001F600, not \\U7FFFFFFF)") from None
        raise Refused(f"not valid YAML: {exc}", loader.get_mark(),
                      "check the quoting and escapes around this place") from None
    finally:
        loader.dispose()


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def measure(root: Node, limits: Limits) -> None:
    """Refuse loops and alias expansions too big or too deep, before expanding.

    Aliases make the node tree a graph: a few anchors can stand for billions
    of values ("billion laughs") or for a value that contains itself. Sizes
    are counted per distinct node (memoised), iteratively, so this pass costs
    the size of the *file*, never of the expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > limits.max_nodes:
                raise Refused(
                    f"through its aliases (*name) this value expands to more than "
                    f"{limits.max_nodes:,} values: that is an 'alias bomb', not metadata",
                    node.start_mark,
                    "write the values out; if the file is genuine, raise the limit with the "
                    f"environment variable {env_name('max_nodes')}",
                )
            if depth[key] > limits.max_depth:
                raise Refused(
                    f"through its aliases (*name) this value nests more than "
                    f"{limits.max_depth} levels deep", node.start_mark,
                    "metadata.yaml needs three or four levels of nesting",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise Refused("an alias (*name) is used inside the value it names, which makes "
                           "an endless loop", node.start_mark,
                           "an anchor (&name) can only be used after its value is complete")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


#: Spellings of one key (``author``/``authors``), for merge-key overrides.
_SAME_KEY = {"author": ("authors",), "authors": ("author",), "editor": ("editors",),
             "editors": ("editor",)}


class Builder:
    """Node graph → plain Python (dicts, lists, str, None), sharing aliased values.

    Every scalar becomes its text (or None for YAML null): see the module
    docstring for why. Merge keys (``<<: *defaults``) are honoured the way the
    YAML merge-key spec says (own keys win, earlier merged mappings beat later
    ones) without PyYAML's ``flatten_mapping``, which copies merged pairs and
    so can be made to grow exponentially.
    """

    def __init__(self) -> None:
        self.done: dict[int, Any] = {}

    def build(self, node: Node) -> Any:
        key = id(node)
        if key in self.done:
            return self.done[key]
        if isinstance(node, ScalarNode):
            value: Any = None if node.tag == NULL_TAG else node.value
            if value is not None:
                _refuse_escaped_controls(value, node)
            self.done[key] = value
            return value
        if isinstance(node, SequenceNode):
            items: list[Any] = []
            self.done[key] = items
            items.extend(self.build(child) for child in node.value)
            return items
        mapping: dict[str, Any] = {}
        self.done[key] = mapping
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                for source in _merge_sources(value_node):
                    for name, value in self.build(source).items():
                        merged.setdefault(name, value)
                continue
            if not isinstance(key_node, ScalarNode):
                raise Refused("a key must be a plain word, not a list or mapping",
                               key_node.start_mark, "write keys as `name: value`")
            mapping[key_node.value] = self.build(value_node)
        for name, value in merged.items():
            # A story's own `authors:` overrides a merged-in `author:` (and so on),
            # rather than colliding with it as "give either 'author' or 'authors'".
            if not any(other in mapping for other in _SAME_KEY.get(name, ())):
                mapping.setdefault(name, value)
        return mapping


def _character_kind(char: str) -> str:
    """What a character YAML refuses is, in words: the hint depends on it."""
    return {"Cc": "a control character", "Cs": "half of a broken surrogate pair"}.get(
        unicodedata.category(char), "a non-character")


def _refuse_escaped_controls(value: str, node: ScalarNode) -> None:
    """Refuse characters YAML forbids in a file but lets a quoted escape write.

    ``"\\x07"``, ``"\\0"`` or ``"\\ud800"`` inside double quotes produce a control
    character or half a surrogate pair, which no book can show and XML cannot even
    hold; the reader refuses the raw characters (see :func:`syntax_error`), so the
    escaped ones are refused here with the same words.
    """
    found = yaml.reader.Reader.NON_PRINTABLE.search(value)
    if found is None:
        return
    char = found.group()
    raise Refused(
        f"the value contains the character U+{ord(char):04X} ({_character_kind(char)}), "
        "written as a backslash escape: it cannot appear in a book",
        node.start_mark,
        "delete the escape (a backslash sequence such as \\x07, \\0 or \\ud800 inside "
        "double quotes)",
    )


def _merge_sources(value_node: Node) -> list[MappingNode]:
    """The mappings a ``<<`` key merges in, in priority order."""
    if isinstance(value_node, MappingNode):
        return [value_node]
    if isinstance(value_node, SequenceNode) and all(
        isinstance(n, MappingNode) for n in value_node.value
    ):
        return list(value_node.value)
    raise Refused("'<<' merges mappings: it must be followed by an alias such as *defaults "
                   "or a list of them", value_node.start_mark,
                   "define the shared keys once with `defaults: &defaults` and write "
                   "`<<: *defaults` in each entry")


def lookup(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    """The (key, value) nodes for ``key``, looking through merge keys as built."""
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG and isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            try:
                sources = _merge_sources(value_node)
            except Refused:
                continue
            for source in sources:
                found = lookup(source, key)
                if found:
                    return found
    return None


# ------------------------------------------------------ YAML errors → words


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def syntax_error(exc: yaml.YAMLError, text: str, file: str) -> MetadataError:
    """Turn a PyYAML error into a MetadataError in plain words, with its place."""
    if isinstance(exc, yaml.reader.ReaderError):
        at_line, at_column = _position(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        what = _character_kind(char)
        return MetadataError(
            f"the character U+{ord(char):04X} ({what}) is not allowed in YAML",
            file=file, line=at_line, column=at_column,
            hint="delete it (it is often left by copying from a word processor)",
        )
    if not isinstance(exc, yaml.MarkedYAMLError):  # pragma: no cover - PyYAML raises marked ones
        return MetadataError(f"not valid YAML: {exc}", file=file)
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    hint: str | None = _SYNTAX_HINT
    before = ""
    if mark is not None and 0 <= mark.index <= len(text):
        before = text[text.rfind("\n", 0, mark.index) + 1 : mark.index]
    if "'\\t'" in problem or "tab character" in problem:
        if not before.strip():
            message = "a tab is used for indentation, and YAML forbids tabs there"
        else:
            message = "a tab character here is not allowed by YAML (only spaces separate values)"
        hint = "replace the tab with spaces (set your editor to insert spaces for Tab)"
    elif "quoted scalar" in context and "end of stream" in problem:
        # The problem mark is the end of the file; the fix belongs where the quote opens.
        mark = exc.context_mark or mark
        quote = text[mark.index] if mark is not None and mark.index < len(text) else '"'
        message = f"this quoted value is never closed: its {quote} has no matching {quote}"
        inside = "write it twice ('')" if quote == "'" else 'write it as \\"'
        hint = f"add the closing {quote}; to put a {quote} inside the value, {inside}"
    elif "mapping values are not allowed" in problem:
        message = "a ':' is not allowed here"
        hint = ("if the value contains ': ', put it in quotes; otherwise check the indentation "
                "of this line and that the line above has its ':'")
    elif problem.startswith("expected <block end>") or "could not find expected ':'" in problem:
        message = "this line's indentation does not match the lines around it"
        hint = ("keys of the same mapping must start in the same column, and a story's keys "
                "must line up under the first one after '- '")
        if "'<scalar>'" in problem:
            message = "unexpected text after a value (a quoted value followed by more text?)"
            hint = "put the whole value inside the quotes"
    elif "undefined alias" in problem:
        name = problem.split("alias", 1)[1].strip().strip("'")
        message = f"the alias *{name} is used, but no anchor &{name} is defined before it"
        hint = "define the anchor first (`key: &name value`), or remove the '*'"
    elif "duplicate anchor" in context:
        message = f"the {context.split(';')[0].replace('found duplicate', 'anchor')} is defined " \
            "twice"
        hint = "give each anchor (&name) a different name"
    elif "expected a single document" in context:
        message = "the file holds more than one YAML document (a second '---' line)"
        hint = "keep a single document: delete the '---' line and merge the parts"
    elif "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "?"
        message = f"a value cannot start with {char!r} in YAML"
        hint = "put the value in quotes"
    elif "while parsing a flow sequence" in context:
        message = "a list in [brackets] is not closed, or its items are not separated by commas"
        hint = "close it with ']' and separate items with ', '; quote items containing ':'"
    elif "while parsing a flow mapping" in context:
        message = "a mapping in {braces} is not closed, or its items are not separated by commas"
        hint = "close it with '}' and separate items with ', '"
    elif "unknown escape character" in problem:
        char = problem.rsplit(" ", 1)[-1].strip("'")
        message = f"'\\{char}' is not a known escape in a \"double-quoted\" value"
        hint = r"write \\ for a backslash, or use 'single quotes' which have no escapes"
    elif "incompatible YAML document" in problem:
        message = "this file declares a YAML version other than 1.x"
        hint = "delete the %YAML line"
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return MetadataError(message, file=file, line=line, column=column, hint=hint)


#: For a YAML error PyYAML describes in its own words: what usually causes one.
_SYNTAX_HINT = ("check this line and the one above it: every key needs a ':' after it, list "
                "items start with '- ' at the same indentation, and a value containing ': ' or "
                "' #' needs quotes")


# ------------------------------------------------------ reading the file


def read_metadata(path: Path, shown: str, limits: Limits) -> str:
    """metadata.yaml's text, read under its size limit and decoded as UTF-8.

    The size is checked with ``stat`` before reading (and the read itself is
    bounded, in case the file grows or is not a regular file), so a 50 MB file
    costs nothing. ``shown`` names the file in messages.
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise MetadataError("this is a folder, not a metadata file", file=shown,
                                hint="give the path of metadata.yaml itself")
        if not stat.S_ISREG(info.st_mode):
            raise MetadataError("this is not a regular file", file=shown,
                                hint="give the path of a metadata.yaml text file")
        if info.st_size > limits.max_yaml_bytes:
            raise too_big(info.st_size, limits, shown)
        with path.open("rb") as handle:
            data = handle.read(limits.max_yaml_bytes + 1)
    except FileNotFoundError:
        raise MetadataError("metadata file not found", file=shown,
                            hint="check the path; `fanbind init` writes a starter "
                                 "metadata.yaml") from None
    except PermissionError:
        raise MetadataError("cannot read the metadata file: permission denied", file=shown,
                            hint="check the file's permissions") from None
    except OSError as exc:
        raise MetadataError(f"cannot read the metadata file: {exc.strerror or exc}",
                            file=shown, hint="check that the file is readable and the disk "
                                             "is not failing") from None
    if len(data) > limits.max_yaml_bytes:
        raise too_big(len(data), limits, shown)
    return decode(data, shown)


def too_big(size: int, limits: Limits, file: str) -> MetadataError:
    return MetadataError(
        f"the metadata file is {_bytes(size)}, more than the {_bytes(limits.max_yaml_bytes)} "
        "limit (Limits.max_yaml_bytes)",
        file=file,
        hint="metadata.yaml normally holds a few kilobytes: is this the right file? If it is, "
             f"raise the limit with the environment variable {env_name('max_yaml_bytes')}"
             f"=<bytes>",
    )


def _bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def decode(data: bytes, file: str) -> str:
    """Strict UTF-8 (a BOM is allowed): guessing an encoding would garble names."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[start:offset].decode("utf-8", "replace")) + 1
        hint = "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)"
        if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            hint = "the file is UTF-16; " + hint
        raise MetadataError(
            f"the file is not valid UTF-8: byte 0x{data[offset]:02X} at byte offset {offset} "
            "cannot be decoded",
            file=file, line=line, column=column, hint=hint,
        ) from None
