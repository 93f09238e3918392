"""``mypy --strict`` passes on src/ (issue 12), so fanbind's own types are checked, not guessed.

The README's test command runs this, so a change that breaks the types fails the suite
like any other regression. mypy keeps its incremental cache in ``.mypy_cache`` (ignored
by git): a second run checks only what changed.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Libraries that ship no types (no py.typed, no stub package): the only ones whose
#: missing types may be ignored.
# pydyf is WeasyPrint's PDF writer: pdf/layout.py hands it /PageLabels in WeasyPrint's finisher.
UNTYPED = {"ebooklib", "ebooklib.*", "weasyprint", "weasyprint.*", "fontTools", "fontTools.*",
           "pydyf"}


def test_mypy_config_is_strict_on_src() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert config["files"] == ["src"]
    for override in config.get("overrides", []):
        modules = override["module"]
        modules = {modules} if isinstance(modules, str) else set(modules)
        assert modules <= UNTYPED, f"types relaxed for fanbind or a typed library: {modules}"
        assert set(override) == {"module", "ignore_missing_imports"}, override


def test_mypy_strict_passes_on_src() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, f"mypy --strict found errors:\n{result.stdout}{result.stderr}"
