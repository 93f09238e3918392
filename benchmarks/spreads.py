"""Makeup by spread, read back from the PDF (issue 16 items 2–3).

    python benchmarks/spreads.py PROJECT [--jobs N]      # build PROJECT's PDF, report
    python benchmarks/spreads.py --long-story FOLDER     # first write the 150,000-word
                                                         # story of 30 chapters there

Builds the PDF (no cache) with the fanbind on ``PYTHONPATH`` in a child process
and reads the pages back with ``tests/spread_readback.py``: the full spreads and
those of unequal depth (by how many lines), the story's or chapter's last pages
under five lines, the page count, the layouts the build made and the CPU it took
(the child's user + system time). Run it with another checkout's ``src`` on
``PYTHONPATH`` for the figures before. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from spread_readback import read_makeup  # noqa: E402  (a test helper, found above)

BUILD = """
import json, sys
from pathlib import Path
from fanbind.build import build
result = build(Path(sys.argv[1]), out_dir=Path(sys.argv[2]), formats=("pdf",),
               cache=False, jobs=int(sys.argv[3]) if sys.argv[3] != "0" else None)
pdf = getattr(result, "pdf", None)
print(json.dumps({"passes": getattr(pdf, "passes", None)}))
"""


def build(project: Path, out: Path, jobs: int) -> tuple[dict, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run([sys.executable, "-c", BUILD, str(project), str(out), str(jobs)],
                          capture_output=True, text=True, check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else {}), cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--jobs", type=int, default=1, help="0: fanbind's default")
    parser.add_argument("--long-story", action="store_true",
                        help="write the 150,000-word story corpus into PROJECT first")
    args = parser.parse_args(argv)
    if args.long_story:
        from corpus import generate_story

        generate_story("story-150k", args.project)
    with tempfile.TemporaryDirectory(prefix="spreads-") as out:
        info, cpu = build(args.project, Path(out), args.jobs)
        pdf = next(Path(out).glob("*.pdf"))
        found = read_makeup(pdf)
    unequal = sorted(found.unequal.items())
    by = {}
    for _, lines in unequal:
        by[abs(lines)] = by.get(abs(lines), 0) + 1
    print(f"pages {len(found.pages)}, full spreads {len(found.full_spreads)}, "
          f"unequal {len(unequal)} (by lines: {by or '-'}), "
          f"last pages {len(found.last_pages)}, under 5 lines {found.short_last_pages() or '-'}, "
          f"layouts {info.get('passes')}, build CPU {cpu:.1f} s")
    if unequal:
        print("  unequal spreads (verso: lines):", ", ".join(f"{p}: {d}" for p, d in unequal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
