"""The joined book's resources made a function of its pages, not of its parts.

WeasyPrint writes, per PDF, one resource dictionary shared by its pages, and
in it one ``/Font`` and one ``/ColorSpace`` dictionary (and the ``/ExtGState``,
``/Pattern``, ``/Shading`` and ``/XObject`` ones) listing what that PDF uses.
A book joined from parts carried one of each per part, so the same pages
joined from another cut (another core count, a chapter laid out again alone
and spliced into its cached part) gave other bytes. :func:`share_resources`
makes each kind one dictionary for the whole book — the union of the parts'
entries, which WeasyPrint names by what they are (a font by its description,
an alpha state by its value, an image by its file) — and the pages' resource
dictionaries one per value; :func:`share_small_streams` makes the join's own
little content streams (``q``, ``Q``, the folio's ``Do``) one per book.

A kind whose names clash (the same name for two different things in two
parts: WeasyPrint counts soft masks, patterns, shadings and groups per PDF,
and a font from a user's stylesheet is subset per part) is left as the parts
wrote it, so such a book still depends on its cut (``Shared.clashes`` says
which kinds). Nothing here reads a page's content: a name is never renamed.

Run by :func:`fanbind.pdf.join.assemble` after the fonts are made one per face
(:func:`fanbind.pdf.fonts.apply_shared_fonts`). qpdf writes objects in the
order it reaches them and dictionaries by key, so equal object graphs give
equal files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

#: The kinds of resources the book shares.
KINDS = ("/ColorSpace", "/ExtGState", "/Font", "/Pattern", "/Properties", "/Shading",
         "/XObject")
#: Content streams this short (bytes) are made one per value (the join's ``q``/``Q``).
SMALL_STREAM = 128


@dataclass(frozen=True)
class Shared:
    """What :func:`share_resources` made one: kinds shared, resource
    dictionaries before and after, and the kinds left per part (names clash)."""

    kinds: tuple[str, ...]
    dictionaries: int
    distinct: int
    clashes: tuple[str, ...]


class ValueKeys:
    """A hashable key per PDF object, equal for objects equal by value
    (streams by their dictionary and raw bytes; indirect objects remembered)."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], object] = {}
        #: Direct objects by their text (which names the indirect ones they hold):
        #: the join gives every stamped page a copy of its part's resources.
        self.direct: dict[bytes, object] = {}

    def __call__(self, value: Any) -> object:
        if not isinstance(value, pikepdf.Object):
            return ("p", type(value).__name__, repr(value))  # pikepdf gives numbers as Python's
        if value.is_indirect:
            objgen = value.objgen
            if objgen not in self.memo:
                self.memo[objgen] = ("cycle", objgen)  # until known (a form drawing itself)
                self.memo[objgen] = self._by_value(value)
            return self.memo[objgen]
        if isinstance(value, pikepdf.Stream):  # not written out by unparse
            return self._by_value(value)
        text = bytes(value.unparse())
        if text not in self.direct:
            self.direct[text] = self._by_value(value)
        return self.direct[text]

    def _by_value(self, value: pikepdf.Object) -> object:
        if isinstance(value, pikepdf.Stream):
            entries = {k: v for k, v in value.stream_dict.items() if k != "/Length"}
            return ("s", self._entries(entries),
                    hashlib.sha256(value.read_raw_bytes()).digest())
        if isinstance(value, pikepdf.Dictionary):
            return ("d", self._entries(dict(value.items())))
        if isinstance(value, pikepdf.Array):
            return ("a", tuple(self(item) for item in value))
        return ("v", bytes(value.unparse()))

    def _entries(self, entries: dict[str, Any]) -> tuple[tuple[str, object], ...]:
        return tuple(sorted((key, self(item)) for key, item in entries.items()))


def _holders(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """The pages, and the forms and tiling patterns they draw (and theirs): every
    object with a ``/Resources`` entry, once each, in page order."""
    seen: set[tuple[int, int]] = set()

    def walk(holder: pikepdf.Object) -> Iterator[pikepdf.Object]:
        yield holder
        resources = holder.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            return
        for kind in ("/XObject", "/Pattern"):
            for inner in (resources.get(kind) or {}).values():
                if not isinstance(inner, pikepdf.Dictionary | pikepdf.Stream) \
                        or "/Resources" not in inner:
                    continue
                if inner.is_indirect:
                    if inner.objgen in seen:
                        continue
                    seen.add(inner.objgen)
                yield from walk(inner)

    for page in pdf.pages:
        yield from walk(page.obj)


def share_resources(pdf: pikepdf.Pdf, own: Collection[str] = ()) -> Shared:
    """Make each kind of resource one dictionary for the whole of ``pdf`` and its
    resource dictionaries one per value; ``own``: names that belong to their page
    (the join's folio form), kept where they are."""
    # Each object's entries are read once (items()): a big book has a resource
    # dictionary per stamped page, and every pikepdf call costs microseconds.
    held: list[tuple[pikepdf.Object, pikepdf.Dictionary]] = []
    dictionaries: list[pikepdf.Dictionary] = []
    seen: set[tuple[int, int]] = set()
    for holder in _holders(pdf):
        resources = holder.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        held.append((holder, resources))
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        dictionaries.append(resources)

    keys = ValueKeys()
    union: dict[str, dict[str, tuple[object, pikepdf.Object]]] = {}
    clashes: set[str] = set()
    done: set[object] = set()  # the kinds' dictionaries read (by object, or by text)
    for resources in dictionaries:
        for kind, entries in resources.items():
            if kind not in KINDS:
                continue
            if not isinstance(entries, pikepdf.Dictionary):
                clashes.add(kind)
                continue
            seen_as = (kind, entries.objgen if entries.is_indirect else bytes(entries.unparse()))
            if seen_as in done:
                continue
            done.add(seen_as)
            found = union.setdefault(kind, {})
            for name, value in entries.items():
                if name in own:
                    continue
                key = keys(value)
                if name not in found:
                    found[name] = (key, value)
                elif found[name][0] != key:
                    clashes.add(kind)
    shared = {kind: pdf.make_indirect(pikepdf.Dictionary(
        {name: value for name, (_, value) in sorted(found.items())}))
        for kind, found in union.items() if kind not in clashes}
    every = {kind: dict(one.items()) for kind, one in shared.items()}
    for resources in dictionaries:
        for kind, entries in resources.items():
            one = shared.get(kind)
            if one is None:
                continue
            mine = {name: entries[name] for name in own if name in entries}
            resources[kind] = pikepdf.Dictionary({**every[kind], **mine}) if mine else one

    # The parts' resource dictionaries now hold the same objects: one per value.
    fresh = ValueKeys()
    distinct: dict[object, pikepdf.Object] = {}
    for holder, resources in held:
        if not resources.is_indirect:
            continue
        key = tuple(sorted((name, ("r", value.objgen) if isinstance(value, pikepdf.Object)
                            and value.is_indirect else fresh(value))
                           for name, value in resources.items()))
        holder.Resources = distinct.setdefault(key, resources)
    return Shared(tuple(sorted(shared)), len(dictionaries), len(distinct), tuple(sorted(clashes)))


def share_small_streams(pdf: pikepdf.Pdf, limit: int = SMALL_STREAM) -> int:
    """Make the short streams in the pages' ``/Contents`` arrays one per value
    (the join writes its ``q``, ``Q`` and folio ``Do`` once per part); return how
    many were dropped. A stream whose ``/Length`` says it is longer is not read."""
    keys = ValueKeys()
    kept: dict[object, pikepdf.Object] = {}
    known: dict[tuple[int, int], pikepdf.Object | None] = {}  # a part's streams recur
    dropped = 0
    for page in pdf.pages:
        contents = page.obj.get("/Contents")
        if not isinstance(contents, pikepdf.Array):
            continue
        items = list(contents)
        changed = False
        for at, item in enumerate(items):
            if not isinstance(item, pikepdf.Stream):
                continue
            if item.objgen not in known:
                length = item.stream_dict.get("/Length")
                known[item.objgen] = None if (isinstance(length, int) and length > limit) \
                    or len(item.read_raw_bytes()) > limit else kept.setdefault(keys(item), item)
            one = known[item.objgen]
            if one is not None and one.objgen != item.objgen:
                items[at] = one
                changed = True
                dropped += 1
        if changed:
            page.obj.Contents = pikepdf.Array(items)
    return dropped
