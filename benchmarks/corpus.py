"""Scaled test anthologies, generated deterministically from the sample in ``seeds/``.

Story *i* of a corpus is seed ``i mod 5`` with the sample's metadata for that
seed and a title of its own ("Any Alpha Would (VII)"), so every corpus is a
valid fanbind project with distinct titles, ids and contents entries. Each
copy's text is the seed's text byte for byte except its title line: the
comparison with pandoc is then on the same words, and no tool can take a
short cut by noticing that two files are identical (every copy differs in its
first line).

The same corpus also gets one Markdown file per story for pandoc
(``pandoc/NNNN.md``: a level-1 heading with the title, then the text), since
pandoc has no notion of an anthology of plain-text files.

One long story (:func:`generate_story`, issue 15: the job fanbinders do most) is
the seeds' paragraphs in order, over and over, cut into chapters of about
:data:`CHAPTER_WORDS` words, each opened by a "Chapter N" line (pandoc's copy:
a ``## Chapter N`` heading). Its corpora are named by size: ``story-300k``.

Run ``python benchmarks/corpus.py 200`` to write ``benchmarks/corpora/200/``,
``python benchmarks/corpus.py story-300k`` for ``benchmarks/corpora/story-300k/``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import yaml

from fanbind.pdf.result import roman  # the folios' numerals, upper-cased for titles

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPORA = HERE / "corpora"
SIZES = (5, 50, 200, 1000)
#: The single-story corpora: name → words.
STORIES = {"story-25k": 25_000, "story-150k": 150_000, "story-300k": 300_000, "story-600k": 600_000,
           "oneshot-25k": 25_000, "oneshot-150k": 150_000}
#: Single-story corpora without chapters (a one-shot): the same text, a scene
#: break where a chapter would start (laid out in parts at paragraph seams).
ONESHOTS = ("oneshot-25k", "oneshot-150k")
#: A chapter closes at the first paragraph end from this many words on.
CHAPTER_WORDS = 5_000
#: A word as the benchmark counts them (the same rule as ``run.words_in``).
WORD = re.compile(r"\w+(?:['’\-]\w+)*")
#: Seed lines that are AO3's landmarks, not story text: left out of the long story,
#: where they would read as chapter markers in the middle of it.
_DEBRIS = re.compile(r"^(?:chapter|work) text:?$", re.IGNORECASE)


class _Dumper(yaml.SafeDumper):
    """Writes repeated lists out in full: no YAML anchors or aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _sample() -> tuple[dict, list[dict]]:
    data = yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))
    stories = data.pop("stories")
    return data, stories


def _body_lines(text: str, title: str) -> list[str]:
    """The seed's lines without its first line when that line is the title."""
    lines = text.splitlines()
    if lines and lines[0].strip().casefold() == title.strip().casefold():
        lines = lines[1:]
    return lines


def generate(count: int, target: Path | None = None) -> Path:
    """Write the ``count``-story corpus (replacing an older one) and return its folder."""
    book, seeds = _sample()
    folder = target or CORPORA / str(count)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "stories").mkdir(parents=True)
    (folder / "pandoc").mkdir()
    texts = [(ROOT / s["file"]).read_text(encoding="utf-8") for s in seeds]
    entries = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        copy = i // len(seeds) + 1
        title = f"{seed['title']} ({roman(copy).upper()})" if count > len(seeds) else seed["title"]
        name = f"{i + 1:04d}.txt"
        body = _body_lines(texts[i % len(seeds)], seed["title"])
        # The story file: its own title line, then the seed's text.
        (folder / "stories" / name).write_text("\n".join([title, *body]) + "\n",
                                               encoding="utf-8")
        (folder / "pandoc" / f"{i + 1:04d}.md").write_text(
            "\n".join([f"# {title}", "", *body]) + "\n", encoding="utf-8")
        entry = {**seed, "file": f"stories/{name}", "title": title}
        if copy > 1:
            entry["summary"] = (seed.get("summary") or f"{seed['title']}, once more.") + \
                f" (Copy {copy}.)"
        entries.append(entry)
    meta = {**book, "title": f"Bonds of the Leaf: {count} Stories",
            "subtitle": f"The five sample stories, {count} times over" if count > len(seeds)
            else book.get("subtitle"),
            "identifier": f"urn:uuid:00000000-0000-4000-8000-{count:012d}",
            "stories": entries}
    (folder / "metadata.yaml").write_text(
        yaml.dump(meta, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8")
    return folder


def story_chapters(words: int) -> list[list[str]]:
    """The long story's chapters (lists of paragraphs), about ``words`` words in all.

    The seeds' paragraphs (their non-empty lines, titles and AO3 landmarks left
    out) in order, repeated; a chapter closes at the first paragraph end at or
    past :data:`CHAPTER_WORDS` words, the story at the first past ``words``.
    """
    _book, seeds = _sample()
    paragraphs: list[tuple[str, int]] = []
    for seed in seeds:
        text = (ROOT / seed["file"]).read_text(encoding="utf-8")
        for line in _body_lines(text, seed["title"]):
            line = line.strip()
            if line and not _DEBRIS.match(line):
                paragraphs.append((line, len(WORD.findall(line))))
    chapters: list[list[str]] = []
    chapter: list[str] = []
    in_chapter = total = 0
    index = 0
    while total < words:
        text, count = paragraphs[index % len(paragraphs)]
        index += 1
        chapter.append(text)
        in_chapter += count
        total += count
        if in_chapter >= CHAPTER_WORDS or total >= words:
            chapters.append(chapter)
            chapter, in_chapter = [], 0
    return chapters


def generate_story(name: str, target: Path | None = None) -> Path:
    """Write the single-story corpus ``name`` (a key of :data:`STORIES`); return its folder."""
    words = STORIES[name]
    book, seeds = _sample()
    folder = target or CORPORA / name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "stories").mkdir(parents=True)
    (folder / "pandoc").mkdir()
    title = f"The Long Way Round ({words // 1000:,}k)"
    chapters = story_chapters(words)
    lines = [title, ""]
    markdown = [f"# {title}", ""]
    for number, paragraphs in enumerate(chapters, 1):
        if name in ONESHOTS:
            if number > 1:
                lines += ["* * *", ""]
                markdown += ["* * *", ""]
        else:
            lines += [f"Chapter {number}", ""]
            markdown += [f"## Chapter {number}", ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
            markdown += [paragraph, ""]
    (folder / "stories" / "0001.txt").write_text("\n".join(lines), encoding="utf-8")
    (folder / "pandoc" / "0001.md").write_text("\n".join(markdown), encoding="utf-8")
    entry = {**seeds[0], "file": "stories/0001.txt", "title": title,
             "summary": f"The five sample stories, told over and over in {len(chapters)} "
             + ("scenes: a one-shot." if name in ONESHOTS else
                "chapters: one long fic, as fanbinders bind them.")}
    meta = {**book, "title": f"Bonds of the Leaf: {title}",
            "subtitle": f"One story of {words:,} words",
            "identifier": f"urn:uuid:00000000-0000-4000-8001-{words:012d}",
            "stories": [entry]}
    (folder / "metadata.yaml").write_text(
        yaml.dump(meta, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=[*map(str, SIZES), *STORIES],
                        help="story counts (200) or single-story corpora (story-300k)")
    args = parser.parse_args(argv)
    for size in args.sizes:
        print(generate_story(size) if size in STORIES else generate(int(size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
