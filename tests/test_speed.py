"""Work the PDF build no longer does (bounds on work, never on time).

Importing WeasyPrint (through :mod:`fanbind.pdf.layout`, its only door) finds
its C libraries from the linker's cache: no ``gcc`` or ``ld`` is run to search
for the Windows and macOS names WeasyPrint tries first
(:mod:`fanbind.pdf.libraries`), and every library found before is found still.
A paragraph's last word too short for WeasyPrint to hyphenate gets no span (a
span is inline boxes WeasyPrint breaks on their own).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fanbind.pdf.linebreaks import SHORTEST_HYPHENATED, shortest_hyphenated, tie_breaks
from fanbind.resources import PRINT_CSS

SRC = Path(__file__).resolve().parent.parent / "src"

_SPY = """
import json, subprocess
runs = []
real = subprocess.Popen.__init__
def spy(self, args, *rest, **named):
    runs.append(args if isinstance(args, str) else str(args[0]))
    return real(self, args, *rest, **named)
subprocess.Popen.__init__ = spy
import ctypes.util
before = ctypes.util.find_library
import fanbind.pdf.layout
from weasyprint.text import ffi
print(json.dumps({"runs": runs, "restored": ctypes.util.find_library is before,
                  "subset": ffi.harfbuzz_subset is not None,
                  "vector": ffi.harfbuzz_vector is not None}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the linker-cache search is Linux's; elsewhere nothing changes")
def test_weasyprint_finds_its_libraries_without_running_a_compiler() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", _SPY], capture_output=True, text=True,
                          check=True, env=env)
    found = json.loads(done.stdout.splitlines()[-1])
    programs = {Path(run.split()[0]).name for run in found["runs"]}
    assert programs <= {"ldconfig"}, f"ran {sorted(programs)} to find WeasyPrint's libraries"
    assert len(found["runs"]) <= 25  # one ldconfig per name WeasyPrint asks for, at most
    assert found["restored"], "find_library is ctypes' own again after the import"
    # What the linker's cache lists is what WeasyPrint opens: the subsetter (which
    # the PDF's bytes depend on) when the system has it.
    finder = getattr(ctypes.util, "_findSoname_ldconfig", lambda name: None)
    assert found["subset"] == (finder("harfbuzz-subset") is not None)


# ---------------------------------------------------------------------- spans


def _paragraph(text: str) -> Any:
    from fanbind.render import XHTML_NS

    return etree.fromstring(f'<html xmlns="{XHTML_NS}"><body><p id="story-1-b1">{text}</p>'
                            "</body></html>")


def _spans(html: Any) -> list[str]:
    from fanbind.render import XHTML_NS

    return [s.text for s in html.iter(f"{{{XHTML_NS}}}span")]


def test_print_css_hyphenates_no_word_shorter_than_the_span_threshold() -> None:
    """The threshold below which last words get no span is print.css's own limit."""
    css = PRINT_CSS.read_text(encoding="utf-8")
    found = re.search(r"hyphenate-limit-chars:\s*(\d+)", css)
    assert found is not None and int(found.group(1)) == SHORTEST_HYPHENATED


@pytest.mark.parametrize(("text", "spanned"), [
    ("It was late, she said.", None),  # said: 4 letters, never hyphenated
    ("He did.”", None),
    ("He didn’t.”", "didn’t.”"),  # six characters to WeasyPrint (the apostrophe too)
    ("They waited for students?”", "students?”"),
    ("A well-known.", "well-known."),  # from its first letter to its last: 10
    ("Six letters: abcdef.", "abcdef."),
])
def test_a_last_word_too_short_to_hyphenate_gets_no_span(text: str, spanned: str | None
                                                         ) -> None:
    html = _paragraph(text)
    tie_breaks(html)
    # the span also holds the space before the word (linebreaks._LAST_WORD)
    assert [span.lstrip() for span in _spans(html)] == ([spanned] if spanned else [])
    everything = _paragraph(text)
    tie_breaks(everything, shortest=1)  # a user stylesheet with its own limit: all spanned
    assert len(_spans(everything)) == 1


def test_a_user_stylesheet_with_its_own_hyphenation_limit_keeps_every_last_word(
        tmp_path: Path) -> None:
    plain, limited = tmp_path / "plain.css", tmp_path / "limited.css"
    plain.write_text("p { color: black; }", encoding="utf-8")
    limited.write_text("p { hyphenate-limit-chars: 4 2 2; }", encoding="utf-8")
    assert shortest_hyphenated([plain]) == SHORTEST_HYPHENATED
    assert shortest_hyphenated([plain, limited]) == 1
    assert shortest_hyphenated([tmp_path / "missing.css"]) == SHORTEST_HYPHENATED
