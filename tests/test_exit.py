"""The command ends as soon as its work is done.

The interpreter's last garbage collections walked every object a PDF build left
behind (0.2 s of CPU and more between the finished book and the prompt): the
command freezes the heap at exit instead (:func:`fanbind.cli.main`). What is
checked is that it does, in a process of its own, and that it still ends as
before: outputs flushed, exit code kept. Nothing is timed.
"""

from __future__ import annotations

import subprocess
import sys

_AT_EXIT = """
import atexit, gc, sys
# Registered before the command's own handler, so it runs after it (last in, first out).
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0, flush=True))
from fanbind import cli
sys.argv = ["fanbind", *sys.argv[1:]]
cli.main()
"""


def test_the_heap_is_frozen_at_exit_and_the_output_kept() -> None:
    done = subprocess.run([sys.executable, "-c", _AT_EXIT, "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("fanbind ")
    assert done.stdout.splitlines()[-1] == "frozen True"


def test_an_error_still_exits_with_its_code() -> None:
    done = subprocess.run([sys.executable, "-c", _AT_EXIT, "build", "/nonexistent/project"],
                          capture_output=True, text=True, check=False)
    assert done.returncode not in (0, 1), done.stderr  # a documented code, not a crash
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert done.stdout.splitlines()[-1] == "frozen True"
