"""Golden files: what the text stages make of each seed, reviewed by reading them.

Each golden file is the output of ``fanbind normalize`` for one seed (blocks
marked with their source line and kind, then the findings). A change to any
text stage that alters a seed shows up here as a readable diff. To accept a
deliberate change, regenerate with ``FANBIND_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fanbind.text.report import normalized_listing

HERE = Path(__file__).resolve().parent
SEEDS = sorted((HERE.parent / "seeds").glob("*.txt"))
GOLDEN = HERE / "golden"


@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem for p in SEEDS])
def test_seed_matches_golden(seed: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(seed.parent.parent)
    listing = normalized_listing(Path("seeds") / seed.name) + "\n"
    golden = GOLDEN / f"{seed.stem}.txt"
    if os.environ.get("FANBIND_UPDATE_GOLDEN"):
        golden.write_text(listing, encoding="utf-8")
    assert golden.exists(), f"no golden file yet: run FANBIND_UPDATE_GOLDEN=1 pytest {__file__}"
    assert listing == golden.read_text(encoding="utf-8")


def test_golden_files_have_no_straight_quotes_in_text():
    """The seeds' straight quotes and apostrophes are all decided (a cheap sanity check)."""
    for golden in GOLDEN.glob("*.txt"):
        for line in golden.read_text(encoding="utf-8").splitlines():
            if line[6:13].strip() in {"P", "TITLE", "HEADING"}:
                assert '"' not in line[14:] and "'" not in line[14:], (golden.name, line)
