"""Work the PDF build no longer does (bounds on work, never on time).

Importing WeasyPrint (through :mod:`fanbind.pdf.layout`, its only door) finds
its C libraries from the linker's cache: no ``gcc`` or ``ld`` is run to search
for the Windows and macOS names WeasyPrint tries first
(:mod:`fanbind.pdf.libraries`), and every library found before is found still.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
