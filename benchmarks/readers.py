"""Reading an HTML story against reading the same story as plain text (issue 14).

    python benchmarks/readers.py            # the seeds, each repeated to ~60,000 words

Each seed story is read through the text stages as a build reads it (decoded
bytes → clean → structure → typography → Story); its HTML twin (the same
paragraphs, emphasis and scene breaks, in AO3's download shape, made from the
parsed text) is read through the HTML reader the same way, and so is its twin in
FanFicFare's HTML shape (a title page of ``<b>Label:</b>`` rows, a table of
contents, the text in ten ``<a name="sectionN">`` chapters, each with a chapter
note). Best-of CPU time per story, and the ratios to text; the issue's target is
at most 1.5×. Nothing
here asserts a time: benchmarks are not tests.
"""

from __future__ import annotations

import html
import sys
import time
from pathlib import Path

from fanbind.diagnostics import Diagnostics
from fanbind.model import Emphasis, Inline, Paragraph, SceneBreak, Text
from fanbind.settings.schema import StoryConfig
from fanbind.text.pipeline import story_from_text
from fanbind.text.settings import TextSettings
from fanbind.text.sources import decode_bytes

ROOT = Path(__file__).resolve().parent.parent
REPEAT_TO_WORDS = 60_000
ROUNDS = 5


def _inline_html(inlines: tuple[Inline, ...]) -> str:
    out = []
    for span in inlines:
        if isinstance(span, Text):
            out.append(html.escape(span.text, quote=False))
        elif isinstance(span, Emphasis):
            out.append(f"<em>{_inline_html(span.children)}</em>")
    return "".join(out)


def _blocks_html(text: str) -> list[str]:
    """The story's paragraphs and scene breaks, as parsed from the text, as HTML."""
    loaded = story_from_text(decode_bytes(text.encode(), file="x"),
                             StoryConfig(file="x", authors=["a"]), index=0, display_name="x",
                             settings=TextSettings(), diagnostics=Diagnostics())
    body = []
    for chapter in loaded.parsed.chapters:
        for block in chapter.blocks:
            if isinstance(block, Paragraph):
                body.append(f"<p>{_inline_html(block.inlines)}</p>")
            elif isinstance(block, SceneBreak):
                body.append("<hr/>")
    return body


def as_ao3_html(text: str, title: str) -> str:
    """The story's structure as AO3's one-chapter HTML download."""
    body = _blocks_html(text)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'/><title>t</title>"
            "<style>p{margin:0}</style></head><body><div id='preface'><h1>"
            f"{html.escape(title)}</h1><div class='byline'>by <a>a</a></div></div>"
            "<div id='chapters' class='userstuff'><div class='userstuff'>\n"
            + "\n".join(body) + "\n</div></div></body></html>")


#: FanFicFare's title page entries, as its HTML writer sets them (values invented).
_FFF_ENTRIES = (("Category", "Original Work"), ("Genre", "Gen, Found Family"),
                ("Language", "English"), ("Characters", "A, B"), ("Relationships", "A &amp; B"),
                ("Status", "Completed"), ("Published", "2022-09-14"),
                ("Updated", "2022-10-02"), ("Packaged", "2026-11-30 10:12:44"),
                ("Rating", "Teen And Up Audiences"), ("Warnings", "No Archive Warnings Apply"),
                ("Chapters", "10"), ("Words", "60,000"), ("Publisher", "archiveofourown.org"),
                ("Summary", "<p>A summary with <i>emphasis</i>.</p>"))
FFF_CHAPTERS = 10


def as_fanficfare_html(text: str, title: str) -> str:
    """The story's structure as FanFicFare's HTML download, in ten chapters."""
    body = _blocks_html(text)
    rows = "".join(f"<tr><td><b>{label}:</b></td><td>{value}</td></tr>\n"
                   for label, value in _FFF_ENTRIES)
    size = max(1, len(body) // FFF_CHAPTERS)
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    toc = "".join(f'<a href="#section{n:04d}">Chapter {n}</a><br />\n'
                  for n in range(1, len(parts) + 1))
    chapters = "".join(
        f'<a name="section{n:04d}"><h2>Chapter {n}</h2></a>\n'
        '<div class="fff_chapter_notes fff_head_notes"><b>Notes for the Chapter:</b>'
        '<blockquote class="userstuff"><p>A note.</p></blockquote></div>'
        '<div class="userstuff module">\n' + "\n".join(part) + "\n</div>\n"
        for n, part in enumerate(parts, 1))
    return ("<!DOCTYPE html>\n<html>\n<head>\n<meta charset='UTF-8'>\n<title>t by a</title>\n"
            "<style type='text/css'>body { margin: 1%; }</style>\n</head>\n<body>\n"
            f"<h1><a href='https://archiveofourown.org/works/1'>{html.escape(title)}</a> by "
            "<a class='authorlink' href='https://archiveofourown.org/users/a'>a</a></h1>\n"
            f"<table class='full'>\n{rows}</table>\n"
            f"<a name='TOCTOP'><h2>Table of Contents</h2></a>\n<p>\n{toc}</p>\n"
            f"{chapters}</body>\n</html>")


def cpu_to_read(data: bytes, suffix: str) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        story_from_text(decode_bytes(data, file="x"), StoryConfig(file="x", authors=["a"]),
                        index=0, display_name="x", settings=TextSettings(),
                        diagnostics=Diagnostics(), suffix=suffix)
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    rows = []
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        words = max(len(body.split()), 1)
        text = title + "\n" + body * max(1, REPEAT_TO_WORDS // words)
        page = as_ao3_html(text, title)
        fff = as_fanficfare_html(text, title)
        as_text = cpu_to_read(text.encode(), ".txt")
        as_html = cpu_to_read(page.encode(), ".html")
        as_fff = cpu_to_read(fff.encode(), ".html")
        rows.append((seed.name, len(text.split()), as_text, as_html, as_fff))
    print("| story | words | text | AO3 HTML | ÷ text | FanFicFare HTML | ÷ text |\n"
          "|---|---|---|---|---|---|---|")
    for name, words, as_text, as_html, as_fff in rows:
        print(f"| {name} | {words:,} | {as_text:.3f} s | {as_html:.3f} s | "
              f"{as_html / as_text:.2f}× | {as_fff:.3f} s | {as_fff / as_text:.2f}× |")
    total_text = sum(r[2] for r in rows)
    total_html = sum(r[3] for r in rows)
    total_fff = sum(r[4] for r in rows)
    print(f"| all | {sum(r[1] for r in rows):,} | {total_text:.3f} s | {total_html:.3f} s | "
          f"{total_html / total_text:.2f}× | {total_fff:.3f} s | "
          f"{total_fff / total_text:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
