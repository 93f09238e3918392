"""Volumes: balanced splits at story boundaries, labelled title pages, whole-set contents."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pypdfium2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from fanbind.pdf.volumes import (
    balanced_partition,
    fewest_volumes,
    mark_volume,
    plan_volumes,
    smallest_cap,
    split_anthology,
)

XHTML = {"x": "http://www.w3.org/1999/xhtml"}


def all_partitions(words: list[int], k: int):
    """Every way to cut ``words`` into ``k`` non-empty runs (brute force)."""
    n = len(words)
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        yield [sum(words[bounds[i]:bounds[i + 1]]) for i in range(k)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300_000), min_size=1, max_size=9),
       st.integers(min_value=1, max_value=9))
def test_balanced_partition_matches_brute_force(words, k):
    k = min(k, len(words))
    runs = balanced_partition(words, k)
    assert len(runs) == k
    assert [i for run in runs for i in run] == list(range(len(words))), "story order kept"
    assert all(len(run) for run in runs)
    loads = [sum(words[i] for i in run) for run in runs]
    best_max = min(max(p) for p in all_partitions(words, k))
    assert max(loads) == best_max == smallest_cap(words, k)
    best_even = min(sum(x * x for x in p) for p in all_partitions(words, k) if max(p) == best_max)
    assert sum(x * x for x in loads) == best_even


@given(st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=40),
       st.integers(min_value=50_000, max_value=200_000))
def test_fewest_volumes_is_the_least_count_that_fits(words, cap):
    count = fewest_volumes(words, cap)
    assert smallest_cap(words, count) <= cap
    if count > 1:
        assert smallest_cap(words, count - 1) > cap


def test_auto_splits_a_long_anthology_under_the_limit():
    # 12 stories, 490k words: the binders' 180k limit needs 3 volumes.
    words = [60_000, 25_000, 40_000, 50_000, 35_000, 20_000, 70_000, 45_000, 30_000, 55_000,
             20_000, 40_000]
    plan = plan_volumes(words, "auto", limit=180_000)
    assert plan is not None and plan.count == 3 == fewest_volumes(words, 180_000)
    assert all(w <= 180_000 for w in plan.words)
    assert sum(plan.words) == sum(words)
    assert max(plan.words) == smallest_cap(words, 3)
    assert plan.volume_of(0) == 1 and plan.volume_of(11) == 3


def test_auto_balances_instead_of_filling_volumes_to_the_limit():
    """Ten 40k stories, limit 180k: a greedy fill gives 160k, 160k, 80k."""
    plan = plan_volumes([40_000] * 10, "auto", limit=180_000)
    assert sorted(plan.words) == [120_000, 120_000, 160_000]
    assert [len(run) for run in plan.runs] == [4, 3, 3]


def test_auto_keeps_a_short_book_whole_and_reports_oversized_stories():
    assert plan_volumes([50_000, 60_000], "auto", limit=180_000).count == 1
    assert plan_volumes([50_000, 60_000], None) is None
    plan = plan_volumes([50_000, 250_000, 40_000, 30_000], "auto", limit=180_000)
    assert plan.oversized == (1,)
    assert plan.count == 3 and plan.words == (50_000, 250_000, 70_000)


def test_a_number_of_volumes_is_obeyed_up_to_one_per_story():
    plan = plan_volumes([10, 10, 10, 10], 2)
    assert [list(run) for run in plan.runs] == [[0, 1], [2, 3]]
    assert plan_volumes([10, 10], 5).count == 2


# ---------------------------------------------------------------- books


def make_project(root: Path, sizes: list[int], extra: str = "") -> Path:
    """A project of stories with the given numbers of words (roughly)."""
    entries = []
    for index, size in enumerate(sizes):
        words = " ".join(f"tale{index}w{i % 50}" for i in range(size))
        sentences = re.sub(r"((?:\S+ ){12})", r"\1\n\n", words)
        (root / f"s{index}.txt").write_text(f"Story Number {index + 1}\n\n{sentences}.\n",
                                            encoding="utf-8")
        entries.append(f"  - file: s{index}.txt\n    title: Story Number {index + 1}\n"
                       f"    author: Writer {index + 1}\n")
    (root / "metadata.yaml").write_text("title: Long Shelf\nstories:\n" + "".join(entries) + extra,
                                        encoding="utf-8")
    return root


def test_each_volume_gets_its_label_and_the_whole_set_in_its_contents(tmp_path):
    from fanbind.build import load_book, open_project
    from fanbind.render import render_book

    book = load_book(open_project(make_project(tmp_path, [300, 100, 100, 200, 150])))
    words = [story.words for story in book.anthology.stories]
    plan = plan_volumes(words, 2)
    volumes = split_anthology(book.anthology, plan)
    assert [len(v.anthology.stories) for v in volumes] == [len(r) for r in plan.runs]
    for volume in volumes:
        documents = render_book(volume.anthology, stylesheets=("css/epub.css",))
        mark_volume(documents, volume, book.anthology, plan)
        title = next(d for d in documents if d.role == "titlepage").root
        assert title.xpath("string(//x:p[@class='book-volume'])", namespaces=XHTML) == \
            f"Volume {volume.number} of 2"
        contents = next(d for d in documents if d.role == "toc").root
        listing = contents.xpath("//x:ol[contains(@class, 'contents-list')]", namespaces=XHTML)[0]
        headings = listing.xpath("x:li[contains(@class, 'contents-volume')]/text()",
                                 namespaces=XHTML)
        assert headings == ["Volume 1", "Volume 2"]
        stories = listing.xpath(".//x:span[contains(@class, 'contents-story')]", namespaces=XHTML)
        titles = ["".join(s.itertext()) for s in stories]
        assert titles[:5] == [f"Story Number {n}" for n in range(1, 6)]
        mine = {story.id for story in volume.anthology.stories}
        for span, story in zip(stories, book.anthology.stories, strict=False):
            linked = span.getparent().tag == f"{{{XHTML['x']}}}a"
            assert linked == (story.id in mine)
            if not linked:
                other = plan.volume_of(story.index)
                assert span.get("data-volume") == f"Vol. {other}" and other != volume.number
        etree.tostring(contents)  # still serialisable XHTML


def pdf_pages(path: Path) -> list[str]:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [" ".join(document[i].get_textpage().get_text_range().split())
                for i in range(len(document))]
    finally:
        document.close()


def test_build_writes_one_pdf_per_volume(tmp_path, monkeypatch):
    from fanbind.build import build

    project = make_project(tmp_path, [1200, 400, 500, 900, 700],
                           "print:\n  volumes: auto\n  volume_words: 2500\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(project, formats=("pdf",))
    plan = result.volumes
    assert plan is not None and plan.count == 2
    assert all(w <= 2500 for w in plan.words)
    names = sorted(p.name for p in (project / "dist").iterdir())
    assert names == ["long-shelf-volume-1.pdf", "long-shelf-volume-2.pdf"]
    for number, run in enumerate(plan.runs, 1):
        pages = pdf_pages(project / "dist" / f"long-shelf-volume-{number}.pdf")
        front = " ".join(pages[:6])
        assert f"Volume {number} of 2" in front
        contents = next(p for p in pages if "Vol." in p)
        for n in range(1, 6):
            assert f"Story Number {n}" in contents
        other = 2 if number == 1 else 1
        assert f"Vol. {other}" in contents and f"Vol. {number}" not in contents
        body = " ".join(pages)
        for index in range(5):
            assert (f"tale{index}w1 tale{index}w2" in body) == (index in run), (number, index)


@pytest.mark.parametrize("value", ["many", "0", "-2"])
def test_bad_volumes_setting_is_refused_with_a_line(tmp_path, value):
    from fanbind.build import open_project
    from fanbind.errors import MetadataError

    make_project(tmp_path, [10], f"print:\n  volumes: {value}\n")
    with pytest.raises(MetadataError, match=r"metadata.yaml:\d+:\d+: print.volumes"):
        open_project(tmp_path)
