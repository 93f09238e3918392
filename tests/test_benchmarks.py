"""The benchmark's own arithmetic and corpora (benchmarks/run.py, benchmarks/corpus.py).

Nothing here times anything: the long-story corpus is checked for its words and
chapters (as fanbind reads them), the floor for its arithmetic on recorded steps,
and the ``FANBIND_TIMINGS`` hook for writing one line per step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fanbind import timings
from fanbind.text.structure.parser import parse_story

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import corpus  # noqa: E402
import run  # noqa: E402


def test_story_chapters_hold_the_words_asked_for_in_chapters_of_about_5000() -> None:
    chapters = corpus.story_chapters(150_000)
    counts = [sum(len(corpus.WORD.findall(p)) for p in chapter) for chapter in chapters]
    assert 150_000 <= sum(counts) < 150_000 + 2_000  # stops at the first paragraph past it
    assert len(chapters) == 30
    # Every chapter but the last closes at the first paragraph end past 5,000 words.
    longest_paragraph = max(len(corpus.WORD.findall(p)) for c in chapters for p in c)
    for count in counts[:-1]:
        assert corpus.CHAPTER_WORDS <= count < corpus.CHAPTER_WORDS + longest_paragraph
    assert corpus.story_chapters(150_000) == chapters  # deterministic


def test_generated_story_reads_as_one_story_of_its_chapters(tmp_path: Path) -> None:
    folder = corpus.generate_story("story-150k", tmp_path / "story")
    story = (folder / "stories" / "0001.txt")
    text = story.read_text(encoding="utf-8")
    assert text.count("\nChapter ") == 30
    markdown = (folder / "pandoc" / "0001.md").read_text(encoding="utf-8")
    assert markdown.count("\n## Chapter ") == 30
    assert run.words_in(folder) >= 150_000
    title = text.splitlines()[0]
    parsed = parse_story(text, file="0001.txt", metadata_title=title)
    assert parsed.title == title
    assert [c.title for c in parsed.chapters] == [f"Chapter {n}" for n in range(1, 31)]


def test_the_one_shot_is_the_same_text_in_scenes_without_chapters(tmp_path: Path) -> None:
    """oneshot-150k: the 150k story's paragraphs, a scene break for each chapter seam,
    no chapter heading (the story the PDF cuts inside its text: pdf/running.py)."""
    folder = corpus.generate_story("oneshot-150k", tmp_path / "oneshot")
    text = (folder / "stories" / "0001.txt").read_text(encoding="utf-8")
    assert "\nChapter " not in text and text.count("\n* * *\n") == 29
    assert (folder / "pandoc" / "0001.md").read_text(encoding="utf-8").count("\n* * *\n") == 29
    title = text.splitlines()[0]
    parsed = parse_story(text, file="0001.txt", metadata_title=title)
    assert len(parsed.chapters) == 1
    assert run.words_in(folder) >= 150_000
    assert run._label("oneshot-150k") != run._label("story-150k")


def test_floor_is_layout_cpu_over_cores_and_busy_cores_over_the_layout_span() -> None:
    steps = [
        {"step": "layout", "start": 10.0, "end": 14.0, "cpu": 3.8, "passes": 1},
        {"step": "layout", "start": 10.5, "end": 14.5, "cpu": 3.6, "passes": 2},
        {"step": "write", "start": 14.0, "end": 15.0, "cpu": 1.0},
        {"step": "write", "start": 14.5, "end": 16.0, "cpu": 1.2},
        {"step": "stamp", "start": 16.0, "end": 16.5, "cpu": 0.4},  # not layout: left out
    ]
    found = run.floor(steps, wall=6.0, cores=2)
    assert found is not None
    assert found["layout_cpu"] == pytest.approx(9.6)
    assert found["floor"] == pytest.approx(4.8)
    assert found["multiple"] == pytest.approx(6.0 / 4.8)
    assert found["span"] == pytest.approx(6.0)
    assert found["busy"] == pytest.approx(9.6 / 6.0)
    assert found["stamp_cpu"] == pytest.approx(0.4)
    assert (found["layouts"], found["passes"]) == (2, 3)
    assert run.floor([{"step": "stamp", "start": 0, "end": 1, "cpu": 1}], 1.0, 2) is None


def test_timings_are_written_only_when_asked(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "timings.jsonl"
    monkeypatch.delenv(timings.ENVIRONMENT, raising=False)
    timings.record("layout", timings.start(), pages=3)
    assert not target.exists()
    monkeypatch.setenv(timings.ENVIRONMENT, str(target))
    clock = timings.start()
    sum(range(10_000))
    timings.record("layout", clock, pages=3)
    timings.record("write", timings.start())
    steps = timings.read(target)
    assert [s["step"] for s in steps] == ["layout", "write"]
    assert steps[0]["pages"] == 3 and steps[0]["end"] >= steps[0]["start"]
    assert steps[0]["cpu"] >= 0


def test_step_cpu_sums_each_step_and_leaves_the_nested_ones_out_of_the_rest() -> None:
    steps = [{"step": "build", "cpu": 7.0}, {"step": "read", "cpu": 0.5},
             {"step": "stories", "cpu": 0.4}, {"step": "layout", "cpu": 3.0},
             {"step": "layout", "cpu": 1.0}, {"step": "join", "cpu": 0.3},
             {"step": "fonts", "cpu": 0.1}]
    found = run.step_cpu(steps, total=8.0)
    assert list(found) == ["build", "read", "stories", "layout", "join", "fonts", "rest"]
    assert found["layout"] == pytest.approx(4.0)
    assert found["rest"] == pytest.approx(8.0 - 0.5 - 4.0 - 0.3)
    assert "rest" not in run.step_cpu(steps)
