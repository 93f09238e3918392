"""What a part's first render tells the plan of a story laid out in parts inside its
text (:mod:`fanbind.pdf.running`): plain data, read by
:func:`fanbind.pdf.layout.running_flow` and pickled from the workers.
"""

from __future__ import annotations

from dataclasses import dataclass

from fanbind.pdf import makeup


@dataclass(frozen=True)
class Place:
    """Where a row's line is in the story: what a cut at a page start needs."""

    child: str | None  # the id of the story section's child holding the line
    block: str | None  # the id of the line's own block
    chars: int  # non-space characters of its block up to the line's end
    first: bool  # the first line of the section's child
    direct: bool  # its block is a story paragraph directly in the section
    exact: bool  # the block's lines account for its text (it can be split by characters)
    hyphenated: bool  # the line ends in a hyphen
    flush: bool  # the blocks it starts have no top margin (dropped at a page top anyway)


@dataclass(frozen=True)
class Edge:
    """The blocks below the story section that a part's first line starts (its
    head) or its last line ends (its tail), as :func:`seam_row` joins them."""

    line: float = 0.0  # the line's height (px)
    margins: tuple[float, ...] = ()  # their top (head) or bottom (tail) margins (px)
    avoid: bool = False  # break-before (head) or break-after (tail) avoid
    forced: bool = False  # break-before (head) or break-after (tail) forced
    keep: bool = True  # the blocks around them allow a break inside (head)
    blocks: int = 0


@dataclass(frozen=True)
class RunningFlow:
    """A part's text flow as its first render laid it out (:func:`read_rows`)."""

    rows: tuple[makeup.Row, ...]
    starts: tuple[int, ...]
    places: tuple[Place, ...]
    first_verso: bool
    capacity: float
    pitch: float
    before: int  # pages of the part before its flow (part 0: paratext, blank)
    head: Edge
    tail: Edge
    ladders: frozenset[str] = frozenset()
    #: What the render fetched and was refused (a cached first round's dependencies).
    fetched: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
