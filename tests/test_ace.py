"""Ace by DAISY, the accessibility checker, on the sample and on a multi-chapter book.

Ace needs Node.js and a Chromium; ``.ci/run`` installs both (Debian's chromium,
``@daisy/ace-cli`` from npm without puppeteer's own browser) and sets
``FANBIND_ACE`` and ``FANBIND_REQUIRE_ACE=1``, so in CI a missing tool is a
failure, not a skip. Elsewhere the test is skipped, saying what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import SOURCE_DATE_EPOCH

from fanbind.build import build

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "epub"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _tools() -> tuple[list[str], str] | str:
    """The Ace command and the browser, or why they cannot be had."""
    ace = os.environ.get("FANBIND_ACE") or shutil.which("ace")
    if not ace or not Path(ace).exists():
        return ("Ace by DAISY not found (set FANBIND_ACE or put `ace` on the PATH; "
                ".ci/run installs it)")
    if not shutil.which("node"):
        return "Node.js not found (Ace by DAISY runs on it)"
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next(
        (found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)
    if not browser:
        return "Chromium not found (Ace by DAISY drives it; Debian package: chromium)"
    return [ace], browser


@pytest.fixture(scope="module")
def ace() -> tuple[list[str], str]:
    tools = _tools()
    if isinstance(tools, str):
        if os.environ.get("FANBIND_REQUIRE_ACE") == "1":
            pytest.fail(tools)
        pytest.skip(tools)
    return tools


def run_ace(tools: tuple[list[str], str], book: Path, out: Path) -> dict:
    """Ace's report on ``book``; a run that fails twice shows Ace's own log.

    Ace exits 1 without a report when its headless Chromium does not start or
    answer in time (a loaded machine), which says nothing about the book, so
    one failed run is tried again; findings in the book are in the report and
    fail the assertions, never reach this retry.
    """
    command, browser = tools
    # Ace gives Chromium 5 s to start (its ACE_TIMEOUT_INITIAL); a cold Chromium in
    # a fresh CI clone took longer ("Timed out after 5000 ms while waiting for the WS
    # endpoint URL"), twice: a minute says nothing about the book either way.
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser, "ACE_TIMEOUT_INITIAL": "60000"}
    logs = []
    for _attempt in range(2):
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([*command, "--verbose", "--force", "--outdir", str(out),
                               "--tempdir", str(out / "tmp"), str(book)],
                              env=env, timeout=600, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace")
        if done.returncode == 0:
            return json.loads((out / "report.json").read_text(encoding="utf-8"))
        logs.append(done.stdout[-4000:])
    pytest.fail(f"Ace exited {done.returncode} twice on {book.name}; the end of its log:\n"
                + logs[-1])


def violations(report: dict) -> list[str]:
    found = []
    for document in report["assertions"]:
        where = document.get("earl:testSubject", {}).get("url", "?")
        for finding in document.get("assertions", []):
            test = finding["earl:test"]
            found.append(f"{where}: {test['dct:title']} ({test['earl:impact']}) "
                         f"{test.get('help', {}).get('dct:description', '')}")
    return found


def test_sample_passes_ace(ace, sample_build, tmp_path: Path) -> None:
    report = run_ace(ace, sample_build.epub, tmp_path / "ace")
    assert violations(report) == []
    assert report["earl:result"]["earl:outcome"] == "pass"
    assert "dcterms:conformsTo" in report["a11y-metadata"]["present"]


def test_multi_chapter_book_passes_ace(ace, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapters, two languages, warnings at the back, markup characters everywhere."""
    project = shutil.copytree(DATA / "tricky", tmp_path / "tricky")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    book = build(project, formats=("epub",)).outputs[0]
    report = run_ace(ace, book, tmp_path / "ace")
    assert violations(report) == []
    assert report["earl:result"]["earl:outcome"] == "pass"
