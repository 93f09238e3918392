"""Signals, full disks and killed builds leave nothing behind (issue 13).

These run ``fanbind build`` as a real process, the way a shell, ``timeout``
or a CI runner does, in a session of its own (so every process it starts can
be found in the process table) and with ``TMPDIR`` pointed at a folder of the
test's own. After the build ends, the test checks what a person would find:
the exit code and one message, the output folder, the temp folder, and no
process of the build still running — the caller's pipes reach end-of-file.

The sample book with ``--jobs 2`` is laid out in five parts on two worker
processes, so a signal sent once its parts folder exists lands while workers
are in the middle of a layout.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer

from conftest import SOURCE_DATE_EPOCH, copy_sample
from fanbind import scratch
from fanbind.cli import _watch
from fanbind.interrupts import Stopped, interrupted, signals_interrupt

pytestmark = pytest.mark.slow

BOOK = "bonds-of-the-leaf"
#: How long a build may take to get going or to end; only a guard against hanging.
PATIENCE = 300
#: Waiting is counted in polls, a guard against a hang rather than a timing.
POLL_SECONDS = 0.05
POLLS = int(PATIENCE / POLL_SECONDS)
EXIT_POLLS = 600


class Build:
    """A ``fanbind build`` process in a session of its own."""

    def __init__(self, project: Path, temp: Path, *args: str) -> None:
        env = dict(os.environ, TMPDIR=str(temp), SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
        env.pop("FANBIND_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fanbind", "build", str(project), "--no-cache", "-q", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.temp = temp

    def wait_for(self, found: Callable[[], bool], what: str) -> None:
        """Poll until ``found``; the build ending first fails, and so does a hang
        (a bounded number of polls, not a speed check)."""
        for _ in range(POLLS):
            if found():
                return
            assert self.process.poll() is None, f"the build ended before {what}: " + \
                self.process.stderr.read().decode()  # type: ignore[union-attr]
            time.sleep(POLL_SECONDS)
        pytest.fail(f"no {what} after {POLLS} polls")

    def wait_for_layout(self) -> None:
        """Until the parts are being laid out on the workers."""
        self.wait_for(lambda: any(self.temp.glob("fanbind-*/fanbind-parts-*")),
                      "parts folder")
        self.wait_for(lambda: any(self.temp.glob("fanbind-*/**/weasyprint-*")), "layout")

    def finish(self) -> tuple[int, str, str]:
        """Wait for the end: both pipes at end-of-file, so no process holds them."""
        out, err = self.process.communicate(timeout=PATIENCE)
        return self.process.returncode, out.decode(), err.decode()

    def living(self) -> list[str]:
        """Processes of the build's session alive now (zombies are dead)."""
        return session_processes(self.process.pid)

    def left_running(self) -> list[str]:
        """Processes of the build's session still alive once those that are exiting
        are gone: a process closes its files (the pipes reach end-of-file) a moment
        before it is dead."""
        for _ in range(EXIT_POLLS):
            if not (living := self.living()):
                break
            time.sleep(POLL_SECONDS)
        return living


def session_processes(session: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # after "pid (name) "
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(text[: text.rindex(")") + 1])
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "book")


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def needs_proc() -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("the process table is read from /proc (Linux)")


# ---------------------------------------------------------------------- signals


@pytest.mark.parametrize(("signum", "code", "said", "group"), [
    (signal.SIGTERM, 143, "terminated (SIGTERM)", False),
    (signal.SIGHUP, 129, "hung up (SIGHUP)", False),
    (signal.SIGINT, 130, "interrupted (Ctrl-C)", False),
    (signal.SIGINT, 130, "interrupted (Ctrl-C)", True),  # Ctrl-C at a terminal: every process
], ids=["TERM", "HUP", "INT", "INT-to-group"])
def test_a_signal_during_a_parallel_pdf_build_leaves_nothing(
        project: Path, temp: Path, signum: int, code: int, said: str, group: bool) -> None:
    needs_proc()
    build = Build(project, temp, "--jobs", "2")
    build.wait_for_layout()
    assert len(build.living()) >= 3, "the build and its two workers"
    if group:
        os.killpg(build.process.pid, signum)
    else:
        build.process.send_signal(signum)
    returncode, out, err = build.finish()
    assert returncode == code, err
    assert err == f"error: {said}: the build stopped and no partial file was left behind\n"
    assert out == ""
    assert list((project / "dist").iterdir()) == []
    assert list(temp.iterdir()) == []
    assert build.left_running() == []


def test_a_signal_is_raised_once_and_says_which_it_was() -> None:
    """A second signal while the first is being handled does not cut the cleanup short."""
    caught: list[object] = []
    before = signal.getsignal(signal.SIGTERM)
    with signals_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this returns
        except Stopped as stop:
            caught.append(stop.signum)
            os.kill(os.getpid(), signal.SIGHUP)  # ignored: we are cleaning up
            caught.append("cleaned up")
    assert caught == [signal.SIGTERM, "cleaned up"]
    assert signal.getsignal(signal.SIGTERM) == before
    error = interrupted(Stopped(signal.SIGHUP), "no book was written")
    assert (str(error), error.exit_code) == ("hung up (SIGHUP): no book was written", 129)
    error = interrupted(KeyboardInterrupt(), "")
    assert (str(error), error.exit_code) == ("interrupted (Ctrl-C)", 130)


def test_watching_stops_when_a_build_is_stopped_by_a_signal(project: Path) -> None:
    """``build --watch`` used to go on watching after Ctrl-C or SIGTERM stopped a build."""
    runs = []

    def run() -> None:
        runs.append(1)
        raise typer.Exit(143)

    with pytest.raises(typer.Exit) as stopped:
        _watch(project, None, run)
    assert stopped.value.exit_code == 143
    assert runs == [1]


def test_init_stopped_by_a_signal_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``init`` had no handler: click printed "Aborted!" and exited 1."""
    from typer.testing import CliRunner

    from fanbind import starter
    from fanbind.cli import app

    def stopped(*args: object, **kwargs: object) -> Path:
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(starter, "write_starter", stopped)
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 143
    assert result.stderr == "error: terminated (SIGTERM): no file was written\n"


# ---------------------------------------------------------------------- full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KB file system: the sample's EPUB fits, its PDF does not."""
    where = tmp_path / "small-disk"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["one-piece", "parallel"])
def test_a_full_disk_gives_the_same_message_in_parts_as_in_one_piece(
        project: Path, temp: Path, small_disk: Path, jobs: str) -> None:
    """In parts, pikepdf's write used to abort the process (exit 134, ``terminate called
    after throwing an instance of 'QPDFSystemError'``), leaving its temporary files and
    the workers behind."""
    needs_proc()
    build = Build(project, temp, "--jobs", jobs, "-o", str(small_disk))
    returncode, _, err = build.finish()
    assert returncode == 1, err
    target = small_disk / f"{BOOK}.pdf"
    assert err.splitlines()[-2:] == [
        f"error: {target}: could not write the book: the disk is full",
        f"  Hint: free some disk space there or in the temporary folder {temp} (TMPDIR) or "
        "choose another folder with -o/--output; nothing was written, and an older book "
        "there is unchanged"]
    assert "Traceback" not in err and "terminate called" not in err
    assert list(small_disk.iterdir()) == []
    assert list(temp.iterdir()) == []
    assert build.left_running() == []


def test_a_full_disk_in_a_join_of_its_own(project: Path, small_disk: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A big book is joined in a process of its own (here every book): its full disk
    comes back as the same message, and nothing is left on the disk."""
    from fanbind.build import build
    from fanbind.errors import BuildError
    from fanbind.pdf.join import JoinOptions

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    with pytest.raises(BuildError) as caught:
        build(project, out_dir=small_disk, formats=("pdf",), jobs=2, cache=False,
              join_options=JoinOptions(apart_pages=0))
    assert str(caught.value).startswith(
        f"{small_disk / BOOK}.pdf: could not write the book: the disk is full")
    assert list(small_disk.iterdir()) == []


def test_a_full_temp_folder_is_named(project: Path, small_disk: Path) -> None:
    """The PDF's parts are laid out in the temp folder; the OS error does not say which
    disk was full, so the hint names the temp folder when it is on another disk."""
    needs_proc()
    build = Build(project, small_disk, "--jobs", "2")
    returncode, _, err = build.finish()
    assert returncode == 1, err
    assert err.splitlines()[-2:] == [
        f"error: {project / 'dist' / BOOK}.pdf: could not write the book: the disk is full",
        f"  Hint: free some disk space there or in the temporary folder {small_disk} (TMPDIR) "
        "or choose another folder with -o/--output; nothing was written, and an older book "
        "there is unchanged"]
    assert list(small_disk.iterdir()) == []
    assert list((project / "dist").iterdir()) == []
    assert build.left_running() == []


def test_a_full_disk_under_another_file_is_not_a_failed_read(tmp_path: Path) -> None:
    """A temporary file of the build (the big book's join plan) that cannot be written
    for lack of space is a full disk, not an input that "could not be read"."""
    from fanbind.atomic import atomic_output
    from fanbind.errors import BuildError

    target = tmp_path / "book.pdf"
    with pytest.raises(BuildError) as caught, atomic_output(target):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "join-plan"))
    assert str(caught.value).startswith(f"{target}: could not write the book: the disk is full")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- kill -9


def test_the_next_build_removes_what_a_killed_build_left(project: Path, temp: Path) -> None:
    needs_proc()
    killed = Build(project, temp, "--jobs", "2")
    killed.wait_for_layout()
    os.kill(killed.process.pid, signal.SIGKILL)
    returncode, _, _ = killed.finish()  # its workers die with it: the pipes reach EOF
    assert returncode == -signal.SIGKILL
    assert killed.left_running() == []
    left = [p.name for p in (project / "dist").iterdir()]
    assert len(left) == 1 and left[0].startswith(f".{BOOK}.pdf.{killed.process.pid}.")
    assert [p.name.split("-")[:2] for p in temp.iterdir()] == [
        ["fanbind", str(killed.process.pid)]]

    again = Build(project, temp, "-f", "epub")
    returncode, _, err = again.finish()
    assert returncode == 0, err
    assert sorted(p.name for p in (project / "dist").iterdir()) == [f"{BOOK}.epub"]
    assert list(temp.iterdir()) == []


def test_a_live_build_keeps_its_temporary_files(project: Path, temp: Path) -> None:
    """Another build into the same folder while one is writing its PDF (stopped, so
    it cannot finish in between) leaves that build's files alone; it then finishes."""
    live = Build(project, temp, "--jobs", "2", "-f", "pdf")
    live.wait_for_layout()
    os.kill(live.process.pid, signal.SIGSTOP)
    try:
        mine = sorted(p.name for p in (project / "dist").iterdir())
        folders = sorted(p.name for p in temp.iterdir())
        assert len(mine) == 1 and len(folders) == 1
        other = Build(project, temp, "-f", "epub")
        returncode, _, err = other.finish()
        assert returncode == 0, err
        assert sorted(p.name for p in (project / "dist").iterdir()) == sorted(
            [*mine, f"{BOOK}.epub"])
        assert sorted(p.name for p in temp.iterdir()) == folders
    finally:
        os.kill(live.process.pid, signal.SIGCONT)
    returncode, _, err = live.finish()
    assert returncode == 0, err
    assert sorted(p.name for p in (project / "dist").iterdir()) == [f"{BOOK}.epub",
                                                                    f"{BOOK}.pdf"]
    assert list(temp.iterdir()) == []


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_only_files_of_a_gone_owner_are_removed(tmp_path: Path) -> None:
    """Gone: no such process here and nobody holding the lock (which still counts
    when the owner runs on another machine sharing the folder)."""
    import fcntl

    dead = _dead_pid()
    names = {"dead": f".b.pdf.{dead}.abcd_123.part",
             "locked": f".b.epub.{dead}.efgh_456.part",  # held by a process elsewhere
             "mine": f".b.pdf.{os.getpid()}.ijkl_789.part",
             "other": f".b.pdf.{dead}.part",  # not a name fanbind makes
             "book": "b.pdf"}
    for name in names.values():
        (tmp_path / name).write_bytes(b"x")
    holder = os.open(tmp_path / names["locked"], os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        assert scratch.remove_abandoned(tmp_path) == [tmp_path / names["dead"]]
    finally:
        os.close(holder)
    assert scratch.remove_abandoned(tmp_path) == [tmp_path / names["locked"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names["mine"], names["other"], names["book"]])


def test_a_temporary_book_file_names_and_locks_its_owner(tmp_path: Path) -> None:
    import fcntl

    fd, path = scratch.owned_temp_file(tmp_path, "b.pdf")
    try:
        match = scratch.PART_FILE.match(path.name)
        assert match is not None and int(match["pid"]) == os.getpid()
        probe = os.open(path, os.O_RDONLY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(probe)
    finally:
        os.close(fd)
