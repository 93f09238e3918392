"""A book's PDF in parts: where it is cut, and what each part's cache key holds.

How a book laid out in parts is joined, and why each step is there, is told in
``docs/pdf-in-parts.md``. This module plans: :func:`parallel_pdf_wanted` (whether
to cut at all), :func:`plan_parts` (where), :func:`positions` (on which page each
part starts) and the cache keys (:func:`part_key`, :func:`layout_key`). The work
is done by :mod:`fanbind.pdf.workers` (story parts), :mod:`fanbind.pdf.matter`
(front and back matter) and :mod:`fanbind.pdf.join`, in the order
:mod:`fanbind.pdf.in_parts` gives.
"""

from __future__ import annotations

import copy
import ctypes
import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from lxml import etree

from fanbind.cache import (
    ProjectCache,
    file_digest,
    library_version,
    make_key,
    system_fonts_digest,
)
from fanbind.model import Anthology
from fanbind.pdf.arrange import PartOptions, has_class, part_of
from fanbind.pdf.geometry import Geometry
from fanbind.pdf.result import BLOCK_ID, FolioPlan
from fanbind.pdf.stylesheets import any_stylesheet_matches
from fanbind.print_services import ALL_EDGES
from fanbind.processes import default_jobs
from fanbind.render import XHTML_NS, Document
from fanbind.resources import PRINT_CSS

PART_NAMESPACE = "pdf-parts"
STAMP_NAMESPACE = "pdf-folios"
BOOK_NAMESPACE = "pdf-book"
MATTER_NAMESPACE = "pdf-matter"
#: Every namespace a parallel PDF build reads, for :meth:`ProjectCache.prune`.
PDF_NAMESPACES = (PART_NAMESPACE, STAMP_NAMESPACE, BOOK_NAMESPACE, MATTER_NAMESPACE)
#: Stories per part. Small parts make an edit cheap to lay out again (the part
#: of the edited story is the whole layout cost of such a rebuild) and keep a
#: worker's memory low; each part costs a little CSS and font set-up and its
#: own font subsets: two stories a part cost 4 % more CPU than four (50-story
#: book) and halve the layout of a one-paragraph rebuild. The size depends only
#: on the story count and ``jobs`` for small books (at least two parts per
#: worker), so part boundaries, and with them the cache keys, stay put when a
#: story is edited.
STORIES_PER_PART = 2
#: Body parts are laid out with this date: the build date is written only by
#: the front matter (the joined PDF's metadata), so cached parts never go stale
#: because a file's modification time moved.
PART_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Bumped when what a cached part holds changes shape.
PART_FORMAT = 4
#: With ``jobs`` left to the default, a book is laid out in parts only from this
#: size on. Below it, starting workers and joining costs more than the second core
#: saves, and the one-piece layout has two refinements the parts lack: the gutter
#: is checked against the real page count, and hyphen ladders are broken over the
#: whole book in one pass. See benchmarks/RESULTS.md for the measurements.
PARALLEL_MIN_WORDS = 60_000
PARALLEL_MIN_STORIES = 10
#: …and a smaller book of several stories is laid out in one part per core
#: (:func:`small_book_groups`, stories kept whole, balanced by words) when the
#: second core would take at least this many words off the longest part's
#: share: about 30 pages, 1.5–2 s of layout on one core, against the fixed
#: costs of parts (the front and back matter laid out on their own, the
#: join, each part's style and font set-up: about 1.3 s). The 5-story sample
#: (22,700 words) saves 9,600.
PARTS_MIN_SAVED_WORDS = 8_000
#: A long story is cut at chapter seams into parts of about the book's words over
#: two parts per worker, but never smaller than this: each part pays a fixed cost
#: (its task, cache key and folios, its font subsets: about 0.45 s of CPU measured
#: in session 6, before a worker kept its parsed stylesheets and fonts for the
#: build, pdf/kept_styles.py), and a part much smaller than its share leaves the
#: cores idle while the longest runs.
#: A story is cut only when it is at least 1.5 such parts long.
MIN_PART_WORDS = 20_000
#: …and never larger than this, whatever the book's length. A rebuild after an
#: edit in one chapter lays out the part holding it, on one core, while the full
#: build shares its parts between the cores: the part must be about a tenth of
#: the book for that rebuild to cost under 15 % of the full build. 300,000 words
#: (2 cores, CPU at load 6-12): 4 parts of 75,000 words, full build 73 s,
#: rebuild 18 s (25 %); 8 of 37,500: 81 s and 14 s (17 %); 10 of 30,000: 86 s
#: and 9.6 s (11 %; wall 13 %); 15 of 20,000: 91 s and 8.9 s (10 %). Each part
#: more costs about 1.5 s (WeasyPrint's start-up, two renders' fixed costs, its
#: own font subsets, its folios). Memory follows the part too (WeasyPrint keeps
#: every page's boxes until it writes): largest process 315 MB with 75,000-word
#: parts, 217 MB with 30,000. Measured again in session 6 (full build, no cache,
#: CPU at load 9-11): 10 parts 53.8 s, 30 of 10,000 words 67.5 s, 60 of one
#: chapter 77.0 s — about 0.45 s a part more, so smaller parts do not pay for the
#: smaller rebuild (docs/pdf-in-parts.md, "Incremental builds").
MAX_PART_WORDS = 30_000
#: The class of a story section in a part that starts after its opening (at a
#: chapter seam): :attr:`PartOptions.css` takes away its page break, which the
#: chapter it starts with makes anyway.
CONTINUED_CLASS = "fanbind-continued"
#: Progress messages for the user ("laying out 3 of 50 story parts").
Reporter = Callable[[str], None]


@dataclass(frozen=True)
class Part:
    """A run of the book's documents laid out together."""

    kind: Literal["front", "body", "back"]  # body: in a worker; front, back: last, here
    stories: tuple[int, ...]  # indexes into anthology.stories
    documents: tuple[int, ...]  # indexes into the documents list
    #: For a piece of one long story: which children of its story section it lays
    #: out (``start``, ``end``), cut at chapter seams (:func:`story_seams`); the
    #: others stay as empty, undisplayed stand-ins. None: whole stories.
    span: tuple[int, int] | None = None
    #: Cut inside running text (a story without chapters, :func:`text_seams`): its
    #: pages are planned with its whole story's (:mod:`fanbind.pdf.running`).
    running: bool = False

    @property
    def continues(self) -> bool:
        """Whether the part starts inside a story (after a chapter seam)."""
        return self.span is not None and self.span[0] > 0


@dataclass
class PartResult:
    """What a laid-out story part tells the join (and what the cache keeps of it)."""

    file: Path | None
    pages: int
    start_left: bool  # laid out starting on a verso
    opening: int  # pages before the first story's title page (part 0 only matters)
    ids: tuple[str, ...]  # page map ids, one per page
    anchors: dict[str, int]  # link targets → page within the part
    warnings: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()
    folios: FolioPlan | None = None
    stamp: Path | None = None  # the part's margin boxes, laid over its pages
    drawn: tuple[bool, ...] = ()  # per page: whether the stamp has anything on it
    side_free: bool = True  # its makeup is the same on either side (pdf/makeup.py)
    #: The side its makeup was planned for its first page to land on: a piece of a
    #: long story laid out on the other side is moved across by the join.
    planned_left: bool = False
    passes: int = 0  # WeasyPrint renders of its layout (laid out by this build)
    #: Made from its cached layout with these pieces laid out again (pdf/splice.py);
    #: None: laid out whole.
    spliced: tuple[int, ...] | None = None


class NotStampable(Exception):
    """A part's margin boxes cannot be drawn apart from it (running elements)."""


@dataclass(frozen=True)
class Setup:
    """What every part's layout needs of the build besides its own documents: small
    and picklable, so workers need not be forked from the process holding the book."""

    project_dir: Path
    extra_stylesheets: tuple[Path, ...]
    folder: Path  # the build's temporary folder, where parts are written
    part_css: str = PartOptions.css


@dataclass
class Job:
    """The book being laid out in parts, as the building process sees it; workers get
    a task cut from it (:mod:`fanbind.pdf.workers`)."""

    anthology: Anthology
    documents: list[Document]
    parts: list[Part]  # the story parts only
    setup: Setup
    cuts: dict[tuple[int, tuple[int, int]], Document] = field(default_factory=dict)

    def document(self, index: int, span: tuple[int, int] | None) -> Document:
        """Document ``index``, cut to ``span`` of its story (made once per build)."""
        if span is None:
            return self.documents[index]
        if (index, span) not in self.cuts:
            self.cuts[index, span] = cut_document(self.documents[index], span)
        return self.cuts[index, span]

    def part_documents(self, part: Part) -> list[Document]:
        return [self.document(i, part.span) for i in part.documents]


def parallel_pdf_wanted(anthology: Anthology, jobs: int | None, *,
                        cores: int | None = None) -> bool:
    """Whether to lay the PDF out in parts: ``--jobs N`` decides, else the book's size.

    ``jobs == 1`` is one piece, ``jobs > 1`` parts; ``None`` (the default) parts
    only with more than one core (``cores``, default: this machine's), for a
    book of at least :data:`PARALLEL_MIN_STORIES` stories or
    :data:`PARALLEL_MIN_WORDS` words, or a smaller one whose stories share out
    well between the cores (:func:`small_book_groups`).
    """
    return parts_wanted([s.words for s in anthology.stories], jobs, cores=cores)


def parts_wanted(words: Sequence[int], jobs: int | None, *, cores: int | None = None) -> bool:
    """:func:`parallel_pdf_wanted` for a book of stories of ``words`` words (an
    estimate will do: :func:`fanbind.pdf.workers.early_pdf_workers`)."""
    if jobs is not None:
        return jobs > 1
    cores = cores or default_jobs()
    if cores < 2:
        return False
    return len(words) >= PARALLEL_MIN_STORIES or sum(words) >= PARALLEL_MIN_WORDS or \
        small_book_groups(words, cores) is not None or small_book_share(words, cores) is not None


def small_book_groups(words: Sequence[int], cores: int) -> list[range] | None:
    """A small book's stories in one run of consecutive stories per core, the
    longest run as short as can be; None when that would not pay
    (:data:`PARTS_MIN_SAVED_WORDS`) or the book is not small.

    Unlike :data:`STORIES_PER_PART`, the cut points follow the words, so an
    edit may move them and a rebuild lay out both parts again: for a book this
    small, the cost of a cold build.
    """
    count = min(cores, len(words))
    if count < 2 or len(words) >= PARALLEL_MIN_STORIES or sum(words) >= PARALLEL_MIN_WORDS:
        return None
    before = [0]
    for w in words:
        before.append(before[-1] + w)
    # best[k][j]: the least longest run cutting the first j stories into k runs.
    best = [[0] + [before[j] for j in range(1, len(words) + 1)]]
    cut: list[list[int]] = [[0] * (len(words) + 1)]
    for k in range(2, count + 1):
        row, where = [0] * (len(words) + 1), [0] * (len(words) + 1)
        for j in range(k, len(words) + 1):
            row[j], where[j] = min((max(best[-1][i], before[j] - before[i]), i)
                                   for i in range(k - 1, j))
        best.append(row)
        cut.append(where)
    ends, j = [], len(words)
    for k in range(count, 0, -1):
        ends.append(j)
        j = cut[k - 1][j] if k > 1 else 0
    ends.reverse()
    groups = [range(start, end) for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    longest = max(before[g.stop] - before[g.start] for g in groups)
    return groups if before[-1] - longest >= PARTS_MIN_SAVED_WORDS else None


def small_book_share(words: Sequence[int], cores: int) -> int | None:
    """The words per core of a small book whose stories could be cut at their seams
    into one share per core, when that could pay (:data:`PARTS_MIN_SAVED_WORDS`);
    None when the book is not small or too short.

    :func:`small_book_groups` keeps stories whole, which does nothing for the
    commonest small book: one fic of 20,000–60,000 words. It can be cut as a
    long story is (:func:`cut_story`): at its chapters, which open on a new page,
    or, without chapters, at scene breaks or paragraphs, each part rendered once
    (:mod:`fanbind.pdf.running`); whether the seams fall well enough to pay is
    known only once the story is read (:func:`plan_parts` checks the parts it makes).
    """
    total = sum(words)
    if cores < 2 or not words or len(words) >= PARALLEL_MIN_STORIES \
            or total >= PARALLEL_MIN_WORDS:
        return None
    share = -(-total // cores)
    if total - share < PARTS_MIN_SAVED_WORDS or max(words) < 1.5 * share:
        return None
    return share


def plan_parts(anthology: Anthology, documents: Sequence[Document], jobs: int, *,
               part_words: int = MIN_PART_WORDS, max_part_words: int = MAX_PART_WORDS,
               inside_stories: bool = True, inside_text: bool = True,
               balance: bool = False, run_on: int = 0) -> list[Part] | None:
    """Cut the book into front, story groups and back; None when it cannot be cut.

    Groups hold :data:`STORIES_PER_PART` consecutive stories (fewer in a small book,
    so each worker gets at least two parts); the cut points depend only on the
    number of stories, so editing a story never moves them. A story of at least 1.5
    parts' worth of words (the book's words over two parts per worker, at least
    ``part_words`` and at most ``max_part_words``) is a run of parts of its own, cut
    at chapter seams (:func:`cut_story`) when ``inside_stories`` (in a book of that
    story alone, into :func:`whole_rounds`); one without chapters at scene breaks or
    paragraphs (:func:`text_seams`) when ``inside_text`` too. With ``balance``
    (``jobs`` left to the default), a small book whose stories share out well gets
    one part per worker instead (:func:`small_book_groups`), or one whose long story
    can be cut into one share per core (:func:`small_book_share`): there the parts
    are cut for the longest to be as short as can be (a scene break is preferred
    only within :data:`SMALL_BOOK_SCENE_SLACK`; the parts cut in running text before
    the last are given ``run_on`` words fewer, the words their held render runs on
    into the next part's, :mod:`fanbind.pdf.holding`, which imports this module and
    so gives the figure).
    """
    front = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "front"]
    body = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "body"]
    back = [i for i, d in enumerate(documents) if "pdf" in d.formats and d.matter == "back"]
    stories = len(anthology.stories)
    if not stories or len(body) != stories or (front and body and max(front) > min(body)) \
            or (back and body and min(back) < max(body)):
        return None
    size = max(1, min(STORIES_PER_PART, stories // (2 * max(1, jobs))))
    share = sum(s.words for s in anthology.stories) // (2 * max(1, jobs))
    target = max(part_words, min(max_part_words, share))
    parts = [Part("front", (), tuple(front))]
    words = [s.words for s in anthology.stories]
    groups = small_book_groups(words, jobs) if balance else None
    if groups is not None and not any(w >= 1.5 * target for w in words):
        parts += [Part("body", tuple(g), tuple(body[i] for i in g)) for g in groups]
        return [*parts, Part("back", (), tuple(back))] if back else parts
    small_share = small_book_share(words, jobs) if balance and groups is None else None
    slack, lead = SCENE_SLACK, 0
    if small_share is not None:
        # A small book cut into about one share per core: at chapter seams, or in a
        # story without chapters at scene breaks or paragraphs (pdf/running.py).
        # Each part is a core's whole work: cut for the same words laid out.
        target, slack, lead = small_share, SMALL_BOOK_SCENE_SLACK, run_on
    run: list[int] = []

    def flush() -> None:
        for start in range(0, len(run), size):
            chunk = tuple(run[start:start + size])
            parts.append(Part("body", chunk, tuple(body[i] for i in chunk)))
        run.clear()

    for index, story in enumerate(anthology.stories):
        document = documents[body[index]]
        long = inside_stories and story.words >= 1.5 * target
        cut_at: float = target
        if long and stories == 1 and small_share is None:  # one fic: whole rounds
            cut_at = story.words / whole_rounds(round(story.words / target), jobs)
        spans = cut_story(document, story.words, cut_at) if long else []
        running = False
        if long and len(spans) < 2 and inside_text and len(story_seams(document)) < 2:
            spans = cut_story(document, story.words, target, text_seams(document),
                              slack=slack, lead=lead)
            running = True
        if len(spans) < 2:
            run.append(index)
            continue
        if not running:
            spans = first_chapter_apart(document, spans)
        flush()
        parts.extend(Part("body", (index,), (body[index],), span, running) for span in spans)
    flush()
    if len(parts) < 3:  # one story part: nothing to lay out side by side
        return None
    if small_share is not None and sum(words) - max(
            _part_words(p, anthology, documents) for p in parts[1:]) < PARTS_MIN_SAVED_WORDS:
        return None  # the seams fall too unevenly for the second core to pay
    if back:
        parts.append(Part("back", (), tuple(back)))
    return parts


def whole_rounds(count: int, jobs: int) -> int:
    """How many parts to cut a one-story book into, for ``count`` parts of the
    target size: the next multiple of ``jobs`` once there are more parts than
    workers, so the last round keeps every worker busy.

    A 150,000-word fic is five parts of 30,000 words; on two workers the fifth was
    laid out alone, one core idle for a fifth of the build (busy 1.58). Six parts
    of 25,000 cost one part's start-up more (about 0.45 s of CPU) and end
    together: 17.3–18.5 s became 14.8–15.7 s (three runs each, back to back).
    Fewer parts than workers already run in one round.
    """
    if jobs < 2 or count <= jobs:
        return count
    return -(-count // jobs) * jobs


def _part_words(part: Part, anthology: Anthology, documents: Sequence[Document]) -> int:
    """The words of a body part: its stories', or those between its span's seams."""
    if part.span is None:
        return sum(anthology.stories[i].words for i in part.stories)
    document = documents[part.documents[0]]
    seams = text_seams(document) if part.running else story_seams(document)
    start, end = part.span
    return sum(w for at, w in seams if start <= abs(at) < end)


def story_section(document: Document) -> etree._Element | None:
    """The ``section.story`` of a story's document (the renderer makes one per story)."""
    for child in part_of(document.root, "body"):
        if has_class(child, "story"):
            return child
    return None


def story_seams(document: Document) -> list[tuple[int, int]]:
    """Where a story may be cut: (index of a child of its section, words from there
    to the next seam), the first entry (0, …) the story's start.

    A seam is a chapter after the first: print.css opens it on a new page
    (``.chapter ~ .chapter { break-before: page }``), so the page break a part
    starts with is one the one-piece layout has too. What is not a chapter (the
    paratext, the opening, the end notes) stays with its neighbouring chapter.
    """
    section = story_section(document)
    if section is None:
        return []
    seams: list[tuple[int, int]] = [(0, 0)]
    seen_chapter = False
    for index, child in enumerate(section):
        if has_class(child, "chapter"):
            if seen_chapter:
                seams.append((index, 0))
            seen_chapter = True
        words = len("".join(child.itertext()).split())
        seams[-1] = (seams[-1][0], seams[-1][1] + words)
    return seams


def text_seams(document: Document) -> list[tuple[int, int]]:
    """Where a story without chapters may be cut (as :func:`story_seams` says it):
    before a story paragraph directly in its section that follows another one or
    a scene break. The one-piece layout has no page break there: such parts are
    planned as one (:mod:`fanbind.pdf.running`). A seam after a scene break is
    marked by a negative index (``-index``), which :func:`cut_story` prefers.
    """
    section = story_section(document)
    if section is None:
        return []
    seams: list[tuple[int, int]] = [(0, 0)]
    previous: etree._Element | None = None
    for index, child in enumerate(section):
        if previous is not None and _story_paragraph(child) and (
                _story_paragraph(previous) or has_class(previous, "scene-break")):
            seams.append((-index if has_class(previous, "scene-break") else index, 0))
        words = len("".join(child.itertext()).split())
        seams[-1] = (seams[-1][0], seams[-1][1] + words)
        if isinstance(child.tag, str):
            previous = child
    return seams


def _story_paragraph(element: etree._Element) -> bool:
    return element.tag == f"{{{XHTML_NS}}}p" and bool(BLOCK_ID.match(element.get("id") or ""))


#: A part cut at a scene break may be this much of a share longer or shorter than
#: one cut at the paragraph nearest its share: the seam a reader would choose.
SCENE_SLACK = 0.2
#: …but in a small book cut into one share per core (:func:`small_book_share`)
#: each part is a core's whole work, so the longest part is the build's critical
#: path: a part 20 % over its share costs 10 % more wall time. There a scene break
#: is taken only within this much of a share (2 %: about a page of a 25,000-word
#: one-shot's two parts). The 25,000-word one-shot of benchmarks/ (a scene break
#: every 5,000 words) was cut at 10,026 and 14,995 words, 33 and 46 pages.
SMALL_BOOK_SCENE_SLACK = 0.02


def cut_story(document: Document, words: int, target: float,
              seams: list[tuple[int, int]] | None = None, *,
              slack: float = SCENE_SLACK, lead: int = 0) -> list[tuple[int, int]]:
    """A long story's parts as spans of its section's children: about ``words /
    target`` parts, cut at the seams nearest to equal shares of its words (of
    :func:`story_seams`, or ``seams``: then a scene break within ``slack`` of a
    share is taken before the nearest paragraph).

    ``lead``: words every part but the last lays out past its share (a held
    render runs on into the next part's text, :mod:`fanbind.pdf.holding`): the
    shares are then cut so that every part lays out as many words, the last
    one ``lead`` longer than the others.
    """
    seams = story_seams(document) if seams is None else seams
    scenes = {j for j, (at, _) in enumerate(seams) if at < 0}
    seams = [(abs(at), w) for at, w in seams]
    count = min(len(seams), max(1, round(words / max(1, target))))
    if count < 2:
        return []
    total = sum(w for _, w in seams)
    before = [0]
    for _, w in seams:
        before.append(before[-1] + w)
    cuts = [0]
    for k in range(1, count):
        goal = max(0, total - lead) * k / count
        low, high = cuts[-1] + 1, len(seams) - (count - k)
        near = [j for j in range(low, high + 1) if j in scenes
                and abs(before[j] - goal) <= slack * total / count]
        cuts.append(min(near or range(low, high + 1),
                        key=lambda j: (abs(before[j] - goal), j)))
    section = story_section(document)
    ends = [seams[j][0] for j in cuts[1:]] + [len(section) if section is not None else 0]
    return [(seams[j][0], end) for j, end in zip(cuts, ends, strict=True)]


def cut_document(document: Document, span: tuple[int, int]) -> Document:
    """A copy of a story's document holding only ``span`` of its section's children.

    The children left out stay as empty, undisplayed stand-ins of the same tag and
    class (no id), so selectors that count siblings — ``.chapter ~ .chapter``,
    which opens a chapter on a new page and gives it its sink — match the part as
    they match the whole story. A part that starts after the story's opening is
    marked :data:`CONTINUED_CLASS` and loses ``has-paratext`` (which would start
    it on a verso); its running heads carry on from the parts before it
    (:func:`carried_strings`).
    """
    section = story_section(document)
    if section is None:
        return document
    children = list(section)
    start, end = span
    del section[:]
    try:
        root = copy.deepcopy(document.root)
    finally:
        section.extend(children)
    cut = story_section(replace(document, root=root))
    assert cut is not None  # copied from the section found above
    for index, child in enumerate(children):
        if start <= index < end or not isinstance(child.tag, str):
            cut.append(copy.deepcopy(child))
            continue
        stand_in = etree.SubElement(cut, child.tag)
        if child.get("class"):
            stand_in.set("class", child.get("class") or "")
        stand_in.set("style", "display: none")
    if start > 0:
        classes = [c for c in (cut.get("class") or "").split() if c != "has-paratext"]
        cut.set("class", " ".join([*classes, CONTINUED_CLASS]))
    return replace(document, root=root)


def carried_strings(plans: Sequence[FolioPlan | None]) -> list[tuple[tuple[str, str], ...]]:
    """Per part, the named strings (running heads) in force where it starts.

    In a one-piece layout a page without an assignment of its own shows the
    last value set on the pages before it; a part laid out alone knows only its
    own. So each part is given, per name, the last value of the parts before it.
    """
    found: list[tuple[tuple[str, str], ...]] = []
    current: dict[str, str] = {}
    for plan in plans:
        found.append(tuple(sorted(current.items())))
        for name, by_page in plan.strings if plan is not None else ():
            values = [v for _, values in sorted(by_page) for v in values]
            if values:
                current[name] = values[-1]
    return found


#: A stylesheet with any of these may move the page breaks at chapter seams.
_BREAKS = re.compile(r"break-(before|after)|page-break|(^|[;{\s])page\s*:")


def seams_are_breaks(extra_stylesheets: Sequence[Path]) -> bool:
    """Whether chapter seams stay page breaks with the user's stylesheets (none of
    them sets breaks or named pages); else long stories are laid out whole."""
    return not any_stylesheet_matches(extra_stylesheets, _BREAKS)


def positions(counts: Sequence[int], sides: Sequence[bool], first_left: bool,
              free: Sequence[bool] = ()) -> tuple[list[int], int]:
    """Physical first pages of parts (1-based, as if the body started the book) and blanks.

    A part starting on a recto needs an odd page, one starting on a verso an
    even one; one blank page goes in front of a part that would start on the
    wrong side. A ``free`` part (one starting inside a story) follows on
    whatever side the part before it leaves.
    """
    found: list[int] = []
    page = 2 if first_left else 1
    blanks = 0
    for index, count in enumerate(counts):
        wanted_odd = not sides[index]
        if index < len(free) and free[index]:
            pass
        elif (page % 2 == 1) != wanted_odd:
            page += 1
            blanks += 1
        found.append(page)
        page += count
    return found, blanks


def sides_differ_only_in_margins(geometry: Geometry, extra_stylesheets: Sequence[Path]
                                 ) -> bool:
    """Whether a page laid out as a recto becomes the verso it lands on by moving its
    text block across (the join does that for a part inside a story).

    print.css and the settings sheet make the two sides differ only in their
    mirrored side margins (the text block keeps its width) and their margin
    boxes, which are drawn apart anyway (:func:`fanbind.pdf.layout.stamp_folios`).
    Crop marks (their slug) and bleed on some edges only make the sides differ
    in size, and a user's ``@page`` rules may make more of them differ: then
    such a part is laid out again on the side it lands on.
    """
    if geometry.crop_marks or geometry.slug or (
            geometry.bleed and set(geometry.bleed_edges) != set(ALL_EDGES)):
        return False  # a slug or bleed by edge: the sides differ in size
    return not any_stylesheet_matches(extra_stylesheets, "@page", unreadable=True)


def stampable_stylesheets(extra_stylesheets: Sequence[Path]) -> bool:
    """False when a stylesheet uses running elements, which only a one-piece layout draws."""
    return not any_stylesheet_matches(extra_stylesheets, _RUNNING_ELEMENTS)


#: Links whose target's page number print.css prints in a story ("listed at the back
#: of the book, page N"). Laid out in parts, the target (the warnings page) is in
#: the back matter, laid out after every story part: the part prints the number
#: through a stand-in (:attr:`PartOptions.stubs`) at a guessed folio, and is laid
#: out again when the back matter puts the target elsewhere (pdf/in_parts.py).
PAGE_REFERENCE_CLASSES = ("warnings-link",)


#: The words a book's story parts that print page references may hold, laid out in
#: parts: the larger of this share of the book and :data:`REFERENCE_LEAST_WORDS`.
#: A cold build lays those parts out twice (the guessed folio is wrong), so an
#: anthology whose every story lists its warnings at the back stays in one piece:
#: in parts, the 50-story corpus took 1.8 times the CPU (70.8 s, not 38.9 s).
REFERENCE_SHARE = 0.1
#: ...a second layout of this many words costs about 0.7 s of CPU.
REFERENCE_LEAST_WORDS = 6_000


def page_references(parts: Sequence[Part], documents: Sequence[Document],
                    anthology: Anthology | None = None, *, share: float = REFERENCE_SHARE,
                    least: int = REFERENCE_LEAST_WORDS) -> dict[int, tuple[str, ...]] | None:
    """Per story part (its index among the story parts), the targets in other parts
    whose page numbers it prints; None when the book is better laid out in one piece.

    A part of a story without chapters (``running``) cannot print them: its pages
    are planned from a first render without the stand-ins' numbers and made from
    that render's boxes (pdf/running.py, pdf/holding.py). With ``anthology``, the
    parts printing them may hold ``share`` of the book's words, or ``least``
    (:data:`REFERENCE_SHARE`). Only the span a piece of a long story lays out
    counts: the warnings link is in its story's preface, in the story's first piece.
    """
    found: dict[int, tuple[str, ...]] = {}
    bodies = [part for part in parts if part.kind == "body"]
    for number, part in enumerate(bodies):
        own = {documents[i].filename for i in part.documents}
        names: list[str] = []
        for index in part.documents:
            root = documents[index].root
            scopes: list[etree._Element] = [root]
            if part.span is not None and (section := story_section(documents[index])) is not None:
                scopes = list(section)[part.span[0]:part.span[1]]
            for scope in scopes:
                names += _referenced(scope, own)
        if names:
            if part.running:
                return None
            found[number] = tuple(dict.fromkeys(names))
    if anthology is not None and found:
        words = sum(_part_words(bodies[i], anthology, documents) for i in found)
        if words > max(share * sum(s.words for s in anthology.stories), least):
            return None
    return found


def reference_folios_key(anthology: Anthology) -> str:
    """The cache key of the folios the last build's page references printed."""
    return make_key("reference folios", anthology.meta.print.model_dump_json(),
                    len(anthology.stories))


def guess_reference_folios(anthology: Anthology, references: Mapping[int, tuple[str, ...]],
                           given: Mapping[str, int] | None, cache: ProjectCache | None,
                           book_pages: int) -> dict[str, int]:
    """The folio each page reference of a story part is first laid out with: ``given``,
    else the last build's in ``cache`` (an unchanged book needs no second layout),
    else the page count guessed for the gutter (the warnings page is near the end)."""
    names = {name for found in references.values() for name in found}
    if not names:
        return {}
    if given is None and cache is not None:
        remembered = cache.get(BOOK_NAMESPACE, reference_folios_key(anthology))
        given = remembered if isinstance(remembered, dict) else None
    return {name: int((given or {}).get(name, book_pages)) for name in sorted(names)}


def _referenced(scope: etree._Element, own: set[str]) -> list[str]:
    """The targets outside the documents ``own`` whose page numbers ``scope`` prints."""
    names = []
    for link in scope.iter(f"{{{XHTML_NS}}}a"):
        if any(has_class(link, name) for name in PAGE_REFERENCE_CLASSES):
            filename, _, anchor = (link.get("href") or "").partition("#")
            if filename and filename not in own:
                names.append(anchor or filename.removesuffix(".xhtml"))
    return names


def first_chapter_apart(document: Document, spans: list[tuple[int, int]]
                        ) -> list[tuple[int, int]]:
    """A long story's pieces with its first chapter a piece of its own when its
    preface prints a page reference (``warnings_display: end``).

    That piece is laid out again when the folio guessed for the reference is wrong
    (every cold build: pdf/in_parts.py), at the end, with one core busy: a
    5,000-word chapter costs a tenth of a 300,000-word story's first share.
    """
    seams = story_seams(document)
    if len(spans) < 2 or len(seams) < 2 or not _referenced(document.root,
                                                            {document.filename}):
        return spans
    start, end = spans[0]
    first = seams[1][0]  # the second chapter
    return [(start, first), (first, end), *spans[1:]] if start < first < end else spans


def page_references_resolve(parts: Sequence[Part], documents: Sequence[Document],
                            anthology: Anthology | None = None) -> bool:
    """Whether every page number a story part prints can be printed by the part:
    names a page of the same part, or one a stand-in can give, at a cost the
    parts pay for (:func:`page_references`).

    False sends the book to the one-piece layout (a correct book over a parallel one).
    """
    return page_references(parts, documents, anthology) is not None


# ---------------------------------------------------------------- cache keys


@functools.cache
def renderer_versions() -> tuple[str, ...]:
    """What shapes a laid-out page besides its input, for cache keys: WeasyPrint,
    pydyf, Pango, pikepdf and the system's fonts.

    Read without importing WeasyPrint (0.6 s): a rebuild whose parts all come from
    the cache never needs it.
    """
    return (library_version("weasyprint"), library_version("pydyf"), _pango_version(),
            library_version("pikepdf"), system_fonts_digest())


def _pango_version() -> str:
    """Pango's version number, from the library WeasyPrint lays text out with."""
    for name in ("libpango-1.0.so.0", "libpango-1.0.0.dylib", "libpango-1.0-0.dll"):
        try:
            return str(ctypes.CDLL(name).pango_version())
        except (OSError, AttributeError):
            continue
    return "?"


#: Stylesheets that print the total page count need it in every stamp.
_PAGES_COUNTER = re.compile(r"counters?\(\s*pages\b")
_RUNNING_ELEMENTS = re.compile(r"running\(|element\(")


def uses_page_total(extra_stylesheets: Sequence[Path]) -> bool:
    """Whether any stylesheet prints ``counter(pages)`` (then stamps depend on the total)."""
    # Unreadable here: assume the worst, the key gets the total.
    return any_stylesheet_matches((PRINT_CSS, *extra_stylesheets), _PAGES_COUNTER,
                                  unreadable=True)


def part_key(job: Job, part: Part, book_pages_css: str, start_left: bool = False,
             lands_left: bool | None = None, stubs: tuple[tuple[str, int], ...] = ()) -> str:
    """Everything a story part's layout reads, hashed (see docs/pdf-in-parts.md).

    ``book_pages_css`` is the page geometry stylesheet (it carries the gutter
    row, which depends on the book's page count); ``start_left`` the side a
    part inside a story was laid out starting on, ``lands_left`` the side its
    makeup was planned for; ``stubs`` the folios its page references print
    (:func:`page_references`). The stylesheet *files*
    are read here; what they fetch (fonts, images, ``@import``) is checked
    against the digests stored with the entry (:func:`dependencies_match`).
    """
    return layout_key(job, "pdf-part", part.documents, part.stories, book_pages_css,
                      0 in part.stories, part.span, start_left, lands_left,
                      *((stubs,) if stubs else ()), span=part.span, words=part.span is None)


def stamp_basis(job: Job, folios: FolioPlan | None, book_pages_css: str) -> str:
    """What a story part's folio stamp reads besides where the part lands, hashed.

    The stamp (:func:`fanbind.pdf.layout.stamp_folios`) is drawn from the part's
    folio plan (page types, counters, running heads), the page geometry, the
    book's settings and the stylesheets, never from the part's text: keyed by
    these instead of the part's layout key, an edit that keeps a part's pages
    keeps its stamp, and a rebuild draws no folios for it (no WeasyPrint render,
    nor WeasyPrint imported in a worker that had nothing else to lay out). The
    caller adds the files the layout fetched, the offset and the rest of the
    part's place in the book.
    """
    setup = job.setup
    sheets = [(_in_project(path, setup.project_dir),
               file_digest(path) if path.is_file() else "missing")
              for path in setup.extra_stylesheets]
    return make_key("folio plan", PART_FORMAT, _canonical(folios),
                    job.anthology.meta.model_dump_json(exclude={"stories"}),
                    book_pages_css, setup.part_css, sheets, renderer_versions())


def _canonical(value: object) -> object:
    """``value`` with every set and mapping in a fixed order, for a key.

    A folio plan holds WeasyPrint's page states, whose counter scopes are sets:
    their order (and so their repr) changes with the process's hash seed.
    """
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted(repr(_canonical(item)) for item in value)))
    if isinstance(value, dict):
        return ("map", tuple(sorted((repr(_canonical(k)), _canonical(v))
                                    for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_canonical(item) for item in value))
    if isinstance(value, FolioPlan):
        return ("plan", _canonical(value.pages), _canonical(value.strings),
                _canonical(value.root), value.overflow)
    return value


def layout_key(job: Job, kind: str, documents: Sequence[int], stories: Sequence[int],
               book_pages_css: str, *options: object, words: bool = True,
               span: tuple[int, int] | None = None) -> str:
    """The key of a layout of ``documents`` (indexes) with ``stories`` in its anthology.

    ``words``: whether the stories' word counts belong in it (the front and back
    matter name every story's authors and tags in their metadata, but never
    their length, and a one-word edit must not lay out the contents again; nor
    does a part of a story, whose page geometry comes with ``book_pages_css``).
    ``span``: the documents are cut to that span of a story (:func:`cut_document`),
    so an edit elsewhere in the story keeps this part's key.
    """
    anthology = job.anthology
    serialised = []
    for index in documents:
        doc = job.document(index, span)
        serialised.append((doc.matter, tuple(sorted(doc.formats)), doc.language,
                           etree.tostring(doc.root, encoding="utf-8")))
    story_data = [(s.id, s.words if words else None, s.meta.model_dump_json())
                  for s in (anthology.stories[i] for i in stories)]
    meta = anthology.meta.model_dump_json(exclude={"stories"})  # print: settings too
    # Stylesheets by their place in the project (a moved project keeps its cache) and
    # bytes; what they fetch is checked through the entry's dependencies.
    setup = job.setup
    sheets = [(_in_project(path, setup.project_dir),
               file_digest(path) if path.is_file() else "missing")
              for path in setup.extra_stylesheets]
    return make_key(kind, PART_FORMAT, serialised, story_data, meta,
                    book_pages_css, setup.part_css, sheets, renderer_versions(), *options)


def _in_project(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class Digests:
    """File digests, each file read once per build."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def of(self, uri: str) -> str:
        if uri not in self.known:
            try:
                self.known[uri] = file_digest(Path(unquote(urlsplit(uri).path)))
            except OSError:
                self.known[uri] = "unreadable"
        return self.known[uri]


def dependencies(fetched: Sequence[str], refused: Sequence[str], project_dir: Path,
                 digests: Digests) -> tuple[tuple[str, str], ...]:
    """What a layout read, and what it looked for in the project and did not find.

    A stylesheet may ``@import`` or ``url()`` a file that does not exist yet; the
    layout goes on without it. Once the file is there the layout must be done
    again, so each such file is a dependency too (its digest "unreadable" until
    it appears). Refused URLs elsewhere (another scheme, outside the project)
    are refused whatever happens to them, and are not read.
    """
    root = project_dir.resolve()
    tried = list(fetched)
    for url in refused:
        parts = urlsplit(url)
        if parts.scheme == "file" and Path(unquote(parts.path)).resolve().is_relative_to(root):
            tried.append(url)
    return tuple((uri, digests.of(uri)) for uri in dict.fromkeys(tried))


def dependencies_match(entry: Mapping[str, object], digests: Digests) -> bool:
    """Whether every file a cached layout fetched is still the same."""
    dependencies = entry["dependencies"]
    assert isinstance(dependencies, tuple)
    return all(digests.of(uri) == digest for uri, digest in dependencies)
