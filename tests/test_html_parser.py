"""tinyhtml5 (WeasyPrint's HTML parser) finds its scanning patterns again (pdf/html_parser.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest
import tinyhtml5
import tinyhtml5.inputstream as inputstream

import fanbind.pdf.layout  # noqa: F401  # mends the cache, as every layout does
from fanbind.pdf.html_parser import mend_pattern_cache

DOCUMENT = (
    '<html><head><title>T</title></head><body lang="en">'
    '<p data-fb-block="story-1-b1" class="first lead">“Fish &amp; chips,” she said\u2060—'
    'and <em>left</em>.</p><!-- a comment --><p id="x" data-running-head=\'A &lt; B\'>Two'
    '<br>lines</p><hr class="scene-break"><script>if (a < b) {}</script></body></html>')


def test_patterns_are_filed_under_what_was_asked() -> None:
    mend_pattern_cache()
    tinyhtml5.parse(DOCUMENT)
    keys = set(inputstream.characters_until_regex)
    assert keys and not any(isinstance(characters, re.Pattern) for characters, _ in keys)
    tinyhtml5.parse(DOCUMENT)
    assert set(inputstream.characters_until_regex) == keys  # found, not made again


def test_the_parse_is_tinyhtml5s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    mend_pattern_cache()
    mended = ElementTree.tostring(tinyhtml5.parse(DOCUMENT))
    monkeypatch.setattr(inputstream, "characters_until_regex", {})  # tinyhtml5's as shipped
    assert ElementTree.tostring(tinyhtml5.parse(DOCUMENT)) == mended
    assert b"Fish &amp; chips" in mended and b"data-running-head=\"A &lt; B\"" in mended
