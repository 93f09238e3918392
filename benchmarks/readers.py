"""Reading an HTML story against reading the same story as plain text (issue 14).

    python benchmarks/readers.py            # the seeds, each repeated to ~60,000 words

Each seed story is read through the text stages as a build reads it (decoded
bytes → clean → structure → typography → Story); its HTML twin (the same
paragraphs, emphasis and scene breaks, in AO3's download shape, made from the
parsed text) is read through the HTML reader the same way. Best-of CPU time per
story, and the ratio HTML ÷ text; the issue's target is at most 1.5×. Nothing
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


def as_ao3_html(text: str, title: str) -> str:
    """The story's structure as AO3's one-chapter HTML download."""
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
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'/><title>t</title>"
            "<style>p{margin:0}</style></head><body><div id='preface'><h1>"
            f"{html.escape(title)}</h1><div class='byline'>by <a>a</a></div></div>"
            "<div id='chapters' class='userstuff'><div class='userstuff'>\n"
            + "\n".join(body) + "\n</div></div></body></html>")


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
        as_text = cpu_to_read(text.encode(), ".txt")
        as_html = cpu_to_read(page.encode(), ".html")
        rows.append((seed.name, len(text.split()), as_text, as_html))
    print("| story | words | text | HTML | HTML ÷ text |\n|---|---|---|---|---|")
    for name, words, as_text, as_html in rows:
        print(f"| {name} | {words:,} | {as_text:.3f} s | {as_html:.3f} s | "
              f"{as_html / as_text:.2f}× |")
    total_text = sum(r[2] for r in rows)
    total_html = sum(r[3] for r in rows)
    print(f"| all | {sum(r[1] for r in rows):,} | {total_text:.3f} s | {total_html:.3f} s | "
          f"{total_html / total_text:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
