"""What a story part's task carries to its worker: its documents, and of its
stories only what the layout reads (metadata, title, id, words).

A task is pickled in the building process and again read in the worker, on the
way to the part's first layout: a piece of a 300,000-word story carried the
whole story's model with each of its ten parts (2.4 MB a task, 0.21 MB now).
That the layouts are unchanged is checked by the sample's bytes (the tests of
parts compare every page with the one-piece layout); here, what goes in a task.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_sample
from fanbind.build import load_book, open_project
from fanbind.pdf.parts import Job, Setup, plan_parts
from fanbind.pdf.workers import BodyTask
from fanbind.render import render_book


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Any:
    book = load_book(open_project(copy_sample(tmp_path_factory.mktemp("hand-out") / "book")))
    documents = render_book(book.anthology, stylesheets=("css/epub.css",))
    # Small parts, so the longest stories are cut at their chapters.
    parts = plan_parts(book.anthology, documents, 2, part_words=2_000)
    assert parts is not None
    bodies = [p for p in parts if p.kind == "body"]
    assert any(p.span is not None for p in bodies), "no story cut at its chapters"
    return Job(book.anthology, documents, bodies, Setup(Path("."), (), Path(tempfile.gettempdir())))


def test_a_task_carries_its_stories_without_their_text(job: Any) -> None:
    for index, part in enumerate(job.parts):
        task = BodyTask.of(job, index, 90)
        whole = [job.anthology.stories[i] for i in part.stories]
        assert [s.id for s in task.anthology.stories] == [s.id for s in whole]
        assert [(s.meta, s.title, s.words) for s in task.anthology.stories] == \
            [(s.meta, s.title, s.words) for s in whole]
        assert all(not (s.chapters or s.summary or s.notes or s.end_notes)
                   for s in task.anthology.stories)
        # The documents are the part's own, each with the same bare story.
        assert [d.id for d in task.documents] == [d.id for d in job.part_documents(part)]
        bare = {s.id: s for s in task.anthology.stories}
        assert all(d.story is None or d.story is bare[d.story.id] for d in task.documents)
        # What goes down the pipe: less than the part's documents with their stories.
        assert len(pickle.dumps(task)) < len(pickle.dumps(job.part_documents(part)))


def test_the_building_process_keeps_the_whole_stories(job: Any) -> None:
    BodyTask.of(job, 0, 90)
    assert all(story.chapters for story in job.anthology.stories)
    assert all(d.story is None or d.story.chapters for d in job.documents)
