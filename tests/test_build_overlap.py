"""A book laid out in parts keeps its cores busy between the steps that must wait.

What is checked is the order of hand-offs (counted and recorded in the building
process), never how long anything took: the benchmarks (``benchmarks/run.py``)
give the times. The books are two of the sample's shortest stories (11 pages):
two story parts, each laid out once. And where a small book is worth laying
out in parts on two cores: planned, not laid out.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import copy_sample_stories
from fanbind.build import build
from fanbind.pdf import numbering
from fanbind.pdf.parts import (
    PARALLEL_MIN_STORIES,
    PARALLEL_MIN_WORDS,
    PARTS_MIN_SAVED_WORDS,
    cut_story,
    parallel_pdf_wanted,
    parts_wanted,
    plan_parts,
    small_book_groups,
    small_book_share,
    text_seams,
)
from fanbind.pdf.workers import PdfWorkers, stamp_body_part


def _record_hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Note when each part's folios go to the workers (with which page total) and
    when the front and back matter are laid out."""
    events: list[object] = []
    real_matter = numbering.lay_out_front_and_back
    real_submit = PdfWorkers.submit

    def matter(*args: Any, **kwargs: Any) -> Any:
        events.append("matter")
        return real_matter(*args, **kwargs)

    def submit(self: PdfWorkers, function: Callable[[Any], Any], task: Any) -> Any:
        if function is stamp_body_part:
            events.append(("folios", task.index, repr(task.total)))
        return real_submit(self, function, task)

    monkeypatch.setattr(numbering, "lay_out_front_and_back", matter)
    monkeypatch.setattr(PdfWorkers, "submit", submit)
    return events


def test_the_workers_draw_the_folios_while_the_matter_is_laid_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's folios depend on where it starts, not on the front matter: they are
    handed to the workers as soon as the parts before it are laid out, before this
    process lays out the contents — which it does once the last part is laid out,
    while that part is written (pdf/numbering.py)."""
    events = _record_hand_offs(monkeypatch)
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    result = build(root, formats=("pdf",), jobs=2, cache=False)
    assert result.pdf is not None and result.pdf.parts == 2
    assert events == [("folios", 0, "None"), ("folios", 1, "None"), "matter"]
    assert result.pdf.parts_stamped == result.pdf.stamped_early == (0, 1)
    assert result.pdf.matter_early


def test_a_page_total_in_the_folios_waits_for_the_matter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``counter(pages)`` in a margin box needs the whole book's count, which the
    front and back matter settle: then the folios are drawn after them, with it."""
    events = _record_hand_offs(monkeypatch)
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    (root / "book.css").write_text(
        "@page :right { @bottom-left { content: counter(page) ' of ' counter(pages) } }\n",
        encoding="utf-8")
    meta = yaml.safe_load((root / "metadata.yaml").read_text(encoding="utf-8"))
    meta["stylesheet"] = "book.css"
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                        encoding="utf-8")
    result = build(root, formats=("pdf",), jobs=2, cache=False)
    assert result.pdf is not None and result.pdf.parts == 2
    total = repr(result.pdf.pages)
    assert events == ["matter", ("folios", 0, total), ("folios", 1, total)]
    assert result.pdf.stamped_early == (0, 1)


_WORKERS = """
import sys
from fanbind.pdf.workers import early_pdf_workers
workers = early_pdf_workers([1], 2, cold={cold})
here = 'weasyprint' in sys.modules
there = workers.pool.submit(eval, "'weasyprint' in __import__('sys').modules").result()
workers.close()
print(here, there)
"""


@pytest.mark.parametrize("cold", [True, False])
def test_a_cold_build_imports_weasyprint_once_before_the_workers_fork(cold: bool) -> None:
    """With nothing cached every part is laid out: WeasyPrint is imported before the
    fork, once, instead of in every worker and again here for the matter. With a
    cache, a rebuild may need none of it (tests/test_pdf_cache.py)."""
    done = subprocess.run([sys.executable, "-c", _WORKERS.format(cold=cold)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(cold), str(cold)]


# ---------------------------------------------------------------- small books on two cores


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any]]:
    from conftest import copy_sample
    from fanbind.build import load_book, open_project
    from fanbind.render import render_book

    book = load_book(open_project(copy_sample(tmp_path_factory.mktemp("small") / "book")))
    return book.anthology, render_book(book.anthology, stylesheets=("css/epub.css",))


def test_a_small_book_is_shared_out_by_words() -> None:
    # The sample's stories: the longest run of stories as short as can be.
    words = [1_000, 1_400, 6_500, 10_300, 3_500]
    assert small_book_groups(words, 2) == [range(0, 3), range(3, 5)]
    assert small_book_groups(words, 3) == [range(0, 3), range(3, 4), range(4, 5)]
    assert small_book_groups([9_000, 9_000], 4) == [range(0, 1), range(1, 2)]
    # Not worth it: the second core would take fewer words than the fixed costs pay for.
    assert small_book_groups([4_000, 4_100], 2) is None
    assert small_book_groups([30_000, PARTS_MIN_SAVED_WORDS - 1], 2) is None
    assert small_book_groups(words, 1) is None and small_book_groups([20_000], 2) is None
    # Not small: the story and word thresholds cut as before.
    assert small_book_groups([2_000] * PARALLEL_MIN_STORIES, 2) is None
    assert small_book_groups([PARALLEL_MIN_WORDS // 2] * 2, 2) is None


def test_the_sample_is_laid_out_in_two_parts_by_default_on_two_cores(sample) -> None:
    anthology, documents = sample
    assert parallel_pdf_wanted(anthology, None, cores=2)
    assert not parallel_pdf_wanted(anthology, None, cores=1)
    assert not parallel_pdf_wanted(anthology, 1, cores=2)
    balanced = plan_parts(anthology, documents, 2, balance=True)
    assert balanced is not None
    assert [p.stories for p in balanced if p.kind == "body"] == [(0, 1, 2), (3, 4)]
    assert [p.kind for p in balanced] == ["front", "body", "body", "back"]
    # --jobs 2 keeps the parts that depend only on the story count (the cache's keys).
    fixed = plan_parts(anthology, documents, 2)
    assert fixed is not None and [p.stories for p in fixed if p.kind == "body"] == \
        [(0,), (1,), (2,), (3,), (4,)]


def test_the_workers_are_started_early_for_a_small_book_worth_parts() -> None:
    """Before the stories are read, their files' sizes stand for their words."""
    assert parts_wanted([1_000, 1_400, 6_500, 10_300, 3_500], None, cores=2)
    assert not parts_wanted([1_000, 1_400], None, cores=2)
    # One fic: worth cutting at its chapters when the second core takes enough.
    assert parts_wanted([25_000], None, cores=2)
    assert not parts_wanted([12_000], None, cores=2)
    assert not parts_wanted([25_000], None, cores=1)


def test_a_small_book_with_a_long_story_shares_out_by_chapters() -> None:
    assert small_book_share([25_000], 2) == 12_500
    assert small_book_share([20_000, 3_000], 2) == 11_500
    assert small_book_share([25_000], 3) == 8_334
    # Too short for the second core to pay, or no story long enough to cut.
    assert small_book_share([2 * PARTS_MIN_SAVED_WORDS - 2], 2) is None
    assert small_book_share([1_000, 1_400, 6_500, 10_300, 3_500], 2) is None
    assert small_book_share([25_000], 1) is None and small_book_share([], 2) is None
    # Not small: cut as any book is.
    assert small_book_share([PARALLEL_MIN_WORDS], 2) is None
    assert small_book_share([9_000] * PARALLEL_MIN_STORIES, 2) is None


def _one_fic(root: Path, chapters: Sequence[int], scenes: Sequence[int] = ()
             ) -> tuple[Any, list[Any]]:
    """A one-story book of chapters of ``chapters`` paragraphs (about 34 words each);
    one chapter: paragraphs only, no chapter heading (a one-shot), with a scene
    break before each paragraph of ``scenes``."""
    from fanbind.build import load_book, open_project
    from fanbind.render import render_book
    from test_story_parts import EN, chaptered, make_fic

    text = chaptered(tuple(chapters)) if len(chapters) > 1 else "\n\n".join(
        ("* * *\n\n" if i in scenes else "") + EN[i % len(EN)]
        for i in range(chapters[0])) + "\n"
    book = load_book(open_project(make_fic(root, text)))
    return book.anthology, render_book(book.anthology, stylesheets=("css/epub.css",))


def test_one_fic_is_cut_at_the_chapter_nearest_its_middle(tmp_path: Path) -> None:
    anthology, documents = _one_fic(tmp_path / "even", [120] * 5)  # ~20,000 words
    assert plan_parts(anthology, documents, 2) is None  # under the long-story size
    parts = plan_parts(anthology, documents, 2, balance=True)
    assert parts is not None
    body = [p for p in parts if p.kind == "body"]
    assert [p.stories for p in body] == [(0,), (0,)]
    assert body[0].span is not None and body[1].span is not None
    assert body[0].span[1] == body[1].span[0] and not body[0].continues and body[1].continues
    assert not any(p.running for p in body)  # chapter seams


def test_a_one_shot_is_cut_inside_its_text_near_its_middle(tmp_path: Path) -> None:
    anthology, documents = _one_fic(tmp_path / "one-shot", [600])  # ~20,000 words
    parts = plan_parts(anthology, documents, 2, balance=True)
    assert parts is not None
    body = [p for p in parts if p.kind == "body"]
    assert len(body) == 2 and all(p.running for p in body)
    assert body[0].span is not None and body[1].span is not None
    seams = dict((abs(at), w) for at, w in text_seams(documents[body[0].documents[0]]))
    halves = [sum(w for at, w in seams.items() if start <= at < end)
              for start, end in (body[0].span, body[1].span)]
    assert abs(halves[0] - halves[1]) <= max(seams.values())  # a paragraph from the middle


def _halves(parts: Sequence[Any], documents: Sequence[Any]) -> list[int]:
    """The words of each of a one-shot's two parts."""
    body = [p for p in parts if p.kind == "body"]
    assert len(body) == 2 and all(p.running and p.span for p in body)
    seams = dict((abs(at), w) for at, w in text_seams(documents[body[0].documents[0]]))
    return [sum(w for at, w in seams.items() if start <= at < end)
            for start, end in (body[0].span, body[1].span)]


def test_a_small_one_shot_is_cut_for_balance_not_at_a_scene_break(tmp_path: Path) -> None:
    """Each of a small book's two parts is a core's whole work: a scene break 5-10 %
    of the book before its middle (within SCENE_SLACK of a share) is passed over
    for the paragraph nearest the middle; a long story's parts still take it."""
    anthology, documents = _one_fic(tmp_path / "scenes", [600], scenes=[252])
    story = documents[next(i for i, d in enumerate(documents) if d.matter == "body")]
    seams = text_seams(story)
    scene = next(j for j, (at, _) in enumerate(seams) if at < 0)
    before_scene = sum(w for _, w in seams[:scene])
    total = sum(w for _, w in seams)
    assert 0.4 * total < before_scene < 0.45 * total
    parts = plan_parts(anthology, documents, 2, balance=True)
    assert parts is not None
    halves = _halves(parts, documents)
    assert abs(halves[0] - halves[1]) <= max(w for _, w in seams)
    # The same story cut as a long one (not a small book's shares): at the scene break.
    spans = cut_story(story, total, total // 2, seams)
    assert spans[1][0] == -seams[scene][0]


def test_a_small_one_shot_leaves_its_first_part_the_run_on(tmp_path: Path) -> None:
    """The first part's held render runs on into the second's text (pdf/holding.py):
    its share is that many words shorter, so both render as many words."""
    anthology, documents = _one_fic(tmp_path / "run-on", [600])
    even = plan_parts(anthology, documents, 2, balance=True)
    led = plan_parts(anthology, documents, 2, balance=True, run_on=1_200)
    assert even is not None and led is not None
    paragraph = max(w for _, w in text_seams(documents[even[1].documents[0]]))
    first, second = _halves(led, documents)
    assert abs(first + 1_200 - second) <= paragraph
    assert abs(_halves(even, documents)[0] - first - 600) <= paragraph


def test_one_fic_whose_chapters_fall_unevenly_stays_in_one_piece(tmp_path: Path) -> None:
    # One chapter holds nearly every word: no cut leaves the second core enough.
    anthology, documents = _one_fic(tmp_path / "uneven", [560, 20, 20])
    assert small_book_share([anthology.stories[0].words], 2) is not None
    assert plan_parts(anthology, documents, 2, balance=True) is None
