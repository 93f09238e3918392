"""The reader for a story's format: one call from the pipeline for HTML, Markdown, EPUB."""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from fanbind.text.readers.ao3 import is_ao3, read_ao3
from fanbind.text.readers.ao3_page import as_download, is_ao3_page
from fanbind.text.readers.detect import StoryFormat
from fanbind.text.readers.fanficfare import is_fanficfare, read_fanficfare
from fanbind.text.readers.html import parse_html_checked, read_page
from fanbind.text.readers.markdown import markdown_tree
from fanbind.text.structure.parser import ParsedStory

__all__ = ["read_markup", "read_tree"]


def read_tree(root: etree._Element, *, file: str) -> ParsedStory:
    """An HTML tree as a story: AO3's and FanFicFare's downloads by their structure,
    any other page generically (AO3's work page saved from a browser is first put
    in its download's shape)."""
    if is_ao3_page(root):
        root = as_download(root)
    if is_ao3(root):
        return read_ao3(root, file=file)
    if is_fanficfare(root):
        return read_fanficfare(root, file=file)
    return read_page(root, file=file)


def read_markup(text: str, story_format: StoryFormat, *, file: str) -> ParsedStory:
    """Decoded HTML or Markdown text as a story."""
    if story_format == "markdown":
        return read_tree(markdown_tree(text), file=file)
    root, problems = parse_html_checked(text, file=file)
    parsed = read_tree(root, file=file)
    return replace(parsed, diagnostics=(*problems, *parsed.diagnostics))
