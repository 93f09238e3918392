"""A book laid out in parts keeps its cores busy between the steps that must wait.

What is checked is the order of hand-offs (counted and recorded in the building
process), never how long anything took: the benchmarks (``benchmarks/run.py``)
give the times. The books are two of the sample's shortest stories (11 pages):
two story parts, each laid out once.
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
from fanbind.pdf import in_parts
from fanbind.pdf.workers import PdfWorkers, stamp_body_part


def _record_hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Note when the folios go to the workers (how many, with which page total)
    and when the front and back matter are laid out."""
    events: list[object] = []
    real_matter = in_parts.lay_out_front_and_back
    real_later = PdfWorkers.map_later

    def matter(*args: Any, **kwargs: Any) -> Any:
        events.append("matter")
        return real_matter(*args, **kwargs)

    def later(self: PdfWorkers, function: Callable[[Any], Any], tasks: Sequence[Any]) -> Any:
        if function is stamp_body_part:
            events.append(("folios", len(tasks), sorted({repr(t.total) for t in tasks})))
        return real_later(self, function, tasks)

    monkeypatch.setattr(in_parts, "lay_out_front_and_back", matter)
    monkeypatch.setattr(PdfWorkers, "map_later", later)
    return events


def test_the_workers_draw_the_folios_while_the_matter_is_laid_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's folios depend on where it starts, not on the front matter: they are
    handed to the workers before this process lays out the contents (they waited
    for it, one core idle, while the matter was laid out)."""
    events = _record_hand_offs(monkeypatch)
    root = copy_sample_stories(tmp_path / "book", (0, 1))
    result = build(root, formats=("pdf",), jobs=2, cache=False)
    assert result.pdf is not None and result.pdf.parts == 2
    assert events == [("folios", 2, ["None"]), "matter"]
    assert result.pdf.parts_stamped == (0, 1)


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
    assert events == ["matter", ("folios", 2, [repr(result.pdf.pages)])]


_WORKERS = """
import sys
from fanbind.pdf.workers import early_pdf_workers
workers = early_pdf_workers(1, 2, cold={cold})
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
