"""Markdown (CommonMark) → HTML → the HTML reader.

markdown-it-py renders CommonMark (plus ``~~strike~~``); raw HTML in the file
passes into that HTML and is then cleaned like any HTML story (scripts, styles
and forms dropped), so Markdown needs no reader of its own for blocks and spans.
Each block element carries its Markdown line (``data-source-line``) so diagnostics
point at the Markdown file's lines, not at the rendered HTML's.
"""

from __future__ import annotations

from lxml import etree
from markdown_it import MarkdownIt

from fanbind.text.readers.html import LINE_ATTR, parse_html

__all__ = ["markdown_tree"]


def markdown_tree(text: str) -> etree._Element:
    """The Markdown file as an HTML tree whose blocks carry the Markdown file's lines."""
    md = MarkdownIt("commonmark", {"html": True}).enable("strikethrough")
    env: dict[str, object] = {}
    tokens = md.parse(text, env)
    for token in tokens:
        if token.map is not None and (token.nesting == 1 or token.type == "hr"):
            token.attrSet(LINE_ATTR, str(token.map[0] + 1))
    return parse_html(md.renderer.render(tokens, md.options, env))
