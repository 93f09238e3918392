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

Run ``python benchmarks/corpus.py 200`` to write ``benchmarks/corpora/200/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

from fanbind.pdf.result import roman  # the folios' numerals, upper-cased for titles

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPORA = HERE / "corpora"
SIZES = (5, 50, 200, 1000)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    args = parser.parse_args(argv)
    for size in args.sizes:
        print(generate(size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
