"""Bounded work: every number that drives a loop and every list and text in metadata.yaml
has a documented limit, refused at its line (exit 3) before any stage runs.
"""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest
from PIL import Image
from typer.testing import CliRunner

from fanbind import cover
from fanbind.cli import app
from fanbind.errors import MetadataError
from fanbind.settings import parse_config
from fanbind.settings.schema import MAX_LINE_CHARS, MAX_LIST_ITEMS, MAX_PROSE_CHARS

BASE = "title: T\nstories:\n  - file: a.txt\n    author: A\n"


def refusal(text: str) -> MetadataError:
    with pytest.raises(MetadataError) as info:
        parse_config(text, file="metadata.yaml")
    return info.value


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    pytest.param(BASE + "print: {pad_to: 100000}\n", 5, 17,
                 "print.pad_to: 100000 is out of range: it must be at most 64", id="pad-to"),
    pytest.param("series_index: 1000000\n" + BASE, 1, 15,
                 "series_index: 1000000 is out of range: it must be at most 9999",
                 id="series-index"),
    pytest.param(BASE + "print: {sheets_per_signature: 50}\n", 5, 31, "at most 8",
                 id="sheets"),
    pytest.param(BASE + "print: {volumes: 5000}\n", 5, 18, "use 1 to 100", id="volumes"),
    pytest.param("title: " + "T" * 1_000_000 + "\nstories:\n  - {file: a.txt, author: A}\n",
                 1, 8, "title: this text is 1,000,000 characters long, more than the limit "
                 f"of {MAX_LINE_CHARS}", id="title-million"),
    pytest.param("subtitle: " + "S" * 501 + "\n" + BASE, 1, 11, "limit of 500", id="subtitle"),
    pytest.param(BASE.replace("author: A", "authors: [A, " + "B" * 501 + "]"), 4, 18,
                 "stories[1] (a.txt).authors[2]: this text is 501 characters long",
                 id="author-name"),
    pytest.param(BASE + "    summary: " + "s" * (MAX_PROSE_CHARS + 1) + "\n", 5, 14,
                 f"more than the limit of {MAX_PROSE_CHARS:,}", id="summary"),
    pytest.param(BASE + "    tags: [" + ", ".join(["t"] * 100_000) + "]\n", 5, 11,
                 f"stories[1] (a.txt).tags: this list has 100,000 items, more than the "
                 f"limit of {MAX_LIST_ITEMS}", id="100k-tags"),
    pytest.param("editors: [" + ", ".join(["e"] * 201) + "]\n" + BASE, 1, 10,
                 "editors: this list has 201 items", id="editors"),
])
def test_limits_are_refused_at_their_line(text: str, line: int, column: int, words: str,
                                          ) -> None:
    error = refusal(text)
    assert (error.line, error.column) == (line, column), str(error)
    assert words in str(error)


def test_a_refused_list_costs_one_error_not_one_per_item() -> None:
    text = BASE + "    tags: [" + ", ".join(["t"] * 100_000) + "]\n"
    tracemalloc.start()
    try:
        refusal(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60_000_000  # the node tree of 100,000 scalars; no rendering, no errors each


def test_lists_at_their_limit_are_accepted() -> None:
    tags = ", ".join(f"t{i}" for i in range(MAX_LIST_ITEMS))
    config = parse_config(BASE + f"    tags: [{tags}]\n", file="metadata.yaml")
    assert len(config.stories[0].tags) == MAX_LIST_ITEMS


def test_check_refuses_a_million_character_title(tmp_path) -> None:
    """It crashed the generated cover (DecompressionBombError: 'fanbind failed unexpectedly')."""
    (tmp_path / "a.txt").write_text("A story.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text(
        "title: " + "T" * 1_000_000 + "\nstories:\n  - {file: a.txt, author: A}\n",
        encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(tmp_path), "-f", "epub", "-q"])
    assert result.exit_code == 3, result.output
    assert "metadata.yaml:1:8: title: this text is 1,000,000 characters long" in result.output
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


@pytest.mark.parametrize("unit", ["W", "Wm ", "漢"])
def test_the_cover_sets_the_longest_allowed_texts(unit: str) -> None:
    """Longest title and subtitle, most editors with the longest names: a cover, with each
    text cut to its lines (the work and the image stay bounded)."""
    longest = (unit * MAX_LINE_CHARS)[:MAX_LINE_CHARS].strip()
    text = (f"title: {json.dumps(longest)}\nsubtitle: {json.dumps(longest)}\n"
            f"editors: {json.dumps([longest] * MAX_LIST_ITEMS)}\n"
            "stories:\n  - {file: a.txt, author: A}\n")
    meta = parse_config(text, file="metadata.yaml")
    image = cover.generated_cover(meta)
    with Image.open(io.BytesIO(image.data)) as drawn:
        assert drawn.size == (cover.WIDTH, cover.HEIGHT)
    _, _, editors = cover.cover_lines(meta)
    assert editors is not None
    lines = cover._fit(editors, cover.REGULAR, 1200, sizes=range(80, 35, -4), max_lines=3,
                       max_height=320, missing=set())
    assert len(lines) <= 3 and lines[-1][0].endswith("…")


def test_volume_words_cannot_split_a_book_into_more_than_100_volumes(tmp_path) -> None:
    """``volumes: auto`` follows the words: 101 stories over volume_words each would be
    101 PDFs to lay out. Refused at volume_words' line before any layout."""
    story = "Title\n\n" + "\n\n".join(["word " * 100] * 11) + "\n"  # 1,100 words
    entries = []
    for i in range(101):
        (tmp_path / f"s{i}.txt").write_text(story, encoding="utf-8")
        entries.append(f"  - {{file: s{i}.txt, author: A}}\n")
    (tmp_path / "metadata.yaml").write_text(
        "title: T\nprint:\n  volumes: auto\n  volume_words: 1000\nstories:\n"
        + "".join(entries), encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(tmp_path), "-f", "pdf", "-q", "--no-cache"])
    assert result.exit_code == 3, result.output
    assert "metadata.yaml:4:17: print.volume_words: 1,000 words a volume would split" \
        in result.output
    assert "into 101 volumes, more than the limit of 100" in result.output
    assert not list((tmp_path / "dist").glob("*.pdf"))
