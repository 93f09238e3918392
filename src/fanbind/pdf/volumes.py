"""Volumes: a long anthology split at story boundaries into books of balanced length.

A sewn book has a practical thickness limit; binders' rule of thumb is about
175,000–200,000 words a volume. ``print: {volumes: auto}`` splits an anthology
that is longer than ``volume_words`` into the fewest volumes that respect it;
``volumes: 3`` asks for exactly three. Stories are never cut, and the split is
*balanced*: of all ways to cut the list of stories into that many runs, the one
whose longest volume is shortest (the linear-partition problem), and among
those, the one with the most even lengths (least sum of squared lengths). A
greedy fill would give full volumes and a thin last one.

Each volume is built as its own :class:`~fanbind.model.Anthology` (a run of the
same :class:`~fanbind.model.Story` objects, so story ids stay unique across the
set) through the normal renderer and PDF writer. :func:`mark_volume` then adds
"Volume 1 of 2" to the title page and makes the contents list the whole set,
stories in other volumes shown with their volume instead of a page number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from fanbind.model import Anthology, Story
from fanbind.render import Document
from fanbind.resources import STYLES_DIR

#: Print styles for the volume line and the other volumes' contents entries.
VOLUMES_CSS = STYLES_DIR / "volumes.css"

XHTML = "{http://www.w3.org/1999/xhtml}"


# ------------------------------------------------------------------ partition


def fewest_volumes(words: Sequence[int], cap: int) -> int:
    """The fewest runs of ``words`` with no run above ``cap`` (greedy is optimal)."""
    count, load = 1, 0
    for value in words:
        if load and load + value > cap:
            count, load = count + 1, 0
        load += value
    return count


def smallest_cap(words: Sequence[int], volumes: int) -> int:
    """The least possible length of the longest of ``volumes`` runs of ``words``.

    A binary search over the answer with :func:`fewest_volumes` as the test:
    exact for whole numbers, and O(n log total) rather than the O(k n²) of the
    textbook table.
    """
    low, high = max(words, default=0), sum(words)
    while low < high:
        middle = (low + high) // 2
        if fewest_volumes(words, middle) <= volumes:
            high = middle
        else:
            low = middle + 1
    return low


def balanced_partition(words: Sequence[int], volumes: int) -> list[range]:
    """Cut ``words`` into ``volumes`` non-empty runs: longest run minimal, then most even.

    Dynamic programming over (volumes used, stories placed), each run capped at
    :func:`smallest_cap`, minimising the sum of squared run lengths. The cap
    keeps the table to a narrow band: with j volumes behind it, story i can only
    be a boundary if the first i stories fit in j volumes and the rest in the
    others. Between equally even splits the earlier volumes get the extra
    stories (4, 3, 3 rather than 3, 3, 4). Returns the runs as ranges of story
    indexes.
    """
    n = len(words)
    if not 1 <= volumes <= n:
        raise ValueError(f"cannot make {volumes} volumes of {n} stories")
    cap = smallest_cap(words, volumes)
    prefix = [0]
    for value in words:
        prefix.append(prefix[-1] + value)
    total = prefix[-1]
    inf = math.inf
    cost: list[dict[int, float]] = [{0: 0.0}]
    back: list[dict[int, int]] = [{}]
    for j in range(1, volumes + 1):
        row: dict[int, float] = {}
        links: dict[int, int] = {}
        start = 0
        for i in range(j, n - (volumes - j) + 1):
            if prefix[i] > j * cap or total - prefix[i] > (volumes - j) * cap:
                continue
            while prefix[i] - prefix[start] > cap:
                start += 1
            best: float = inf
            best_s = -1
            for s in range(max(start, j - 1), i):
                before = cost[j - 1].get(s)
                if before is None:
                    continue
                candidate = before + (prefix[i] - prefix[s]) ** 2
                if candidate <= best:  # on a tie, the later cut: earlier volumes the longer
                    best, best_s = candidate, s
            if best_s >= 0:
                row[i], links[i] = best, best_s
        cost.append(row)
        back.append(links)
    bounds = [n]
    for j in range(volumes, 0, -1):
        bounds.append(back[j][bounds[-1]])
    bounds.reverse()
    return [range(bounds[k], bounds[k + 1]) for k in range(volumes)]


@dataclass(frozen=True)
class VolumePlan:
    """Which stories go in which volume, and why."""

    runs: tuple[range, ...]
    words: tuple[int, ...]
    limit: int | None
    oversized: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.runs)

    def volume_of(self, story_index: int) -> int:
        """The 1-based volume that holds a story (by its position in the book)."""
        for number, run in enumerate(self.runs, 1):
            if story_index in run:
                return number
        raise IndexError(story_index)


def plan_volumes(words: Sequence[int], setting: str | int | None, *,
                 limit: int = 180_000) -> VolumePlan | None:
    """The volumes for stories of these word counts, or ``None`` for one book.

    ``setting`` is ``print.volumes``: ``None`` (one book), ``"auto"`` (the fewest
    volumes of at most ``limit`` words each; a story longer than that on its own
    gets a volume of its own and is reported in ``oversized``), or a number of
    volumes (at most one per story).
    """
    if setting is None or not words:
        return None
    words = list(words)
    oversized: tuple[int, ...] = ()
    if setting == "auto":
        oversized = tuple(i for i, value in enumerate(words) if value > limit)
        count = fewest_volumes(words, max(limit, max(words)))
        plan_limit: int | None = limit
    else:
        count = min(int(setting), len(words))
        plan_limit = None
    runs = balanced_partition(words, count)
    totals = tuple(sum(words[i] for i in run) for run in runs)
    return VolumePlan(tuple(runs), totals, plan_limit, oversized)


# ------------------------------------------------------------------ books


@dataclass(frozen=True)
class Volume:
    """One volume: its number, the set's size, and its stories as an anthology."""

    number: int
    total: int
    anthology: Anthology

    @property
    def label(self) -> str:
        return f"Volume {self.number} of {self.total}"


def split_anthology(anthology: Anthology, plan: VolumePlan) -> list[Volume]:
    """One :class:`Anthology` per volume, sharing the book's metadata and stories."""
    return [Volume(number, plan.count,
                   Anthology(anthology.meta, tuple(anthology.stories[i] for i in run)))
            for number, run in enumerate(plan.runs, 1)]


def _x(tag: str) -> str:
    return f"{XHTML}{tag}"


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _first(root: etree._Element, cls: str) -> etree._Element | None:
    for element in root.iter():
        if isinstance(element.tag, str) and cls in _classes(element):
            return element
    return None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str,
         ) -> etree._Element:
    element = etree.SubElement(parent, _x(tag))
    for key, value in attrs.items():
        element.set("class" if key == "class_" else key.replace("_", "-"), value)
    if text is not None:
        element.text = text
    return element


def _story_entry(items: Sequence[etree._Element], story: Story) -> etree._Element | None:
    """The contents entry that links to ``story`` (its href ends in ``#story-id``)."""
    for item in items:
        for link in item.iter(_x("a")):
            href = link.get("href", "")
            if href.split("#")[-1] == story.id or href.split("#")[0] == f"{story.id}.xhtml":
                return item
    return None


def mark_volume(
    documents: Sequence[Document], volume: Volume, whole: Anthology, plan: VolumePlan
) -> None:
    """Label a volume's rendered documents, in place (lxml tree edits only).

    The title page gets ``<p class="book-volume">Volume 1 of 2</p>``; the
    contents list is regrouped under one heading per volume and lists every
    story of the set. This volume's entries keep their links (and page numbers
    in print); the others become plain entries naming their volume.
    """
    for document in documents:
        if document.role == "titlepage":
            _label_title_page(document.root, volume)
        elif document.role == "toc":
            _list_whole_set(document.root, volume, whole, plan)


def _label_title_page(root: etree._Element, volume: Volume) -> None:
    section = _first(root, "titlepage")
    if section is None:
        return
    anchor = _first(section, "book-subtitle")
    if anchor is None:
        anchor = _first(section, "book-title")
    line = etree.Element(_x("p"))
    line.set("class", "book-volume")
    line.text = volume.label
    if anchor is not None:
        anchor.addnext(line)
    else:
        section.append(line)


def _list_whole_set(root: etree._Element, volume: Volume, whole: Anthology,
                    plan: VolumePlan) -> None:
    listing = _first(root, "contents-list")
    if listing is None:
        return
    items = list(listing)
    story_items = {story.id: _story_entry(items, story) for story in volume.anthology.stories}
    kept = {id(item) for item in story_items.values() if item is not None}
    others = [item for item in items if id(item) not in kept]  # back matter, kept at the end
    for item in items:
        listing.remove(item)
    for number, run in enumerate(plan.runs, 1):
        heading = _sub(listing, "li", f"Volume {number}", class_="contents-volume")
        if number == volume.number:
            heading.set("class", "contents-volume contents-this-volume")
        for index in run:
            story = whole.stories[index]
            own = story_items.get(story.id) if number == volume.number else None
            if own is not None:
                listing.append(own)
                continue
            entry = _sub(listing, "li", class_="contents-entry contents-elsewhere")
            title = _sub(entry, "span", story.title, class_="contents-story")
            title.set("data-volume", f"Vol. {number}")
            _sub(entry, "span", _names(story.meta.authors), class_="contents-authors")
    for item in others:
        listing.append(item)


def _names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]
