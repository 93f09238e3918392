"""The incremental-build cache: ``.fanbind-cache/`` in the project folder.

Two kinds of work are worth keeping between builds: a story through the text
stages (read, clean, parse, typeset — :func:`fanbind.text.pipeline.load_story`) and a
group of stories laid out as a PDF part (:mod:`fanbind.pdf.parts`). Both are
pure functions of their inputs, so each result is stored under a key that is a
hash of *everything* it depends on:

* the input bytes (the story file; for a PDF part, the part's HTML and every
  stylesheet and font it uses, see :mod:`fanbind.pdf.parts`);
* the settings (the story's and the book's metadata, trim, page offsets…);
* the code: fanbind's version **and** a digest of fanbind's own source files,
  plus the versions of the libraries that shape the result. A developer who
  edits a rule table without bumping the version still gets fresh results.

A wrong cache hit would silently print a stale book, which is worse than a slow
build, so when in doubt a part of the key is included rather than left out.

Entries are pickles, and unpickling runs code, so each entry is signed with an
HMAC whose key lives in the user's own cache folder (``$XDG_CACHE_HOME/fanbind``),
never in the project: a ``.fanbind-cache/`` that arrives inside a shared project
folder (a zip from a friend) fails the check and is simply ignored. When that
folder cannot be written, a key made up for the process is used, so the cache
still works within one ``fanbind build --watch`` session.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import pickle
import secrets
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fanbind import __version__

CACHE_DIR_NAME = ".fanbind-cache"
_MAGIC = b"fanbind-cache-1\n"
_DIGEST = 32


@functools.cache
def code_fingerprint() -> str:
    """fanbind's version and a digest of its source files and bundled styles.

    Reading ~0.5 MB of source takes a few milliseconds; it makes the cache safe
    across code changes that keep the version number (a development checkout).
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    digest.update(sys.version.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".css", ".tsv", ".yaml", ".json") and path.is_file():
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return f"{__version__}:{digest.hexdigest()[:32]}"


@functools.cache
def library_version(module: str, distribution: str | None = None) -> str:
    """An installed library's version, read from its ``.dist-info`` folder's name.

    ``distribution`` is the name it is installed under when that is not the
    module's (Pillow for ``PIL``).

    For cache keys: importing ftfy or charset-normalizer only to read
    ``__version__`` costs a tenth of a second that a build whose stories all
    come from the cache would otherwise not spend. Falls back to importing.
    """
    import importlib
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return f"{module}:missing"
    folder = Path(spec.origin).parent.parent
    wanted = (distribution or module).replace("-", "_").lower()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    for name in names:
        project, _, version = name.removesuffix(".dist-info").rpartition("-")
        if name.endswith(".dist-info") and project.replace("-", "_").lower() == wanted:
            return f"{module}:{version}"
    return f"{module}:{getattr(importlib.import_module(module), '__version__', '?')}"


@functools.cache
def system_fonts_digest() -> str:
    """A digest of the fonts fontconfig offers (file, style, version), from ``fc-list``.

    WeasyPrint and the cover fall back to system fonts for characters the
    bundled faces lack, so installing or upgrading a font can change a page:
    cached pages and covers are keyed by this (``fc-list`` takes milliseconds).
    """
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return "no fc-list"
    try:
        found = subprocess.run([fc_list, "--format", "%{file}|%{style}|%{fontversion}\n"],
                               capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return "fc-list failed"
    return hashlib.sha256(b"".join(sorted(found.stdout.splitlines(keepends=True)))).hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (stylesheets, fonts, story files)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_key(*parts: object) -> str:
    """A key from any mix of str, bytes and reprs; the code fingerprint is always in it."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _stored_key(path: Path) -> bytes | None:
    """The key in ``path``, if there is a whole one."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) >= 32 else None


# The key of each key file this process has settled on. Only an answer is kept,
# never "no key file yet": that answer changes as soon as this build writes one,
# and remembering it would sign every entry with a new random key.
_KEYS: dict[Path, bytes] = {}


def _publish_key(path: Path, key: bytes) -> bytes:
    """Write ``key`` to ``path`` unless a key is there already; the key that is there after.

    The key goes to a temporary file first and is hard-linked into place: a link
    appears whole or not at all, so a build starting at the same moment never
    reads half a key, and one that got there first wins. Raises OSError when the
    folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=".cache-key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        try:
            os.link(temp, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create-if-absent instead
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(key)
        return key
    except FileExistsError:  # another build wrote it first: use theirs
        return _stored_key(path) or key
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _secret() -> bytes:
    """The HMAC key: kept in the user's cache folder, outside every project."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fanbind"
    path = base / "cache-key"
    key = _KEYS.get(path) or _stored_key(path)
    if key is None:
        try:
            key = _publish_key(path, secrets.token_bytes(32))
        except OSError:  # not writable: this process's key, the cache lasts as long as it does
            key = secrets.token_bytes(32)
    _KEYS[path] = key
    return key


def _stays_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, every link in it resolved, is inside ``root`` (a resolved path)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


class ProjectCache:
    """Signed pickles under ``<project>/.fanbind-cache/<namespace>/<key>``.

    ``enabled=False`` gives a cache that never hits and never writes, so
    callers need no special case for ``--no-cache`` or ``fanbind check``.
    """

    def __init__(self, root: Path, *, enabled: bool = True):
        self.root = root.resolve()
        self.folder = root / CACHE_DIR_NAME
        # A project from elsewhere may ship .fanbind-cache as a link to the user's own
        # files, which put() would write into and prune() empty: such a cache is off.
        self.enabled = enabled and _stays_inside(self.folder, self.root)
        self.hits = 0
        self.misses = 0
        self._used: dict[str, set[str]] = {}

    def _path(self, namespace: str, key: str) -> Path:
        return self.folder / namespace / key

    def _namespace_folder(self, namespace: str) -> Path | None:
        """The folder of ``namespace``, or None when a link takes it out of the project."""
        folder = self.folder / namespace
        return folder if _stays_inside(folder, self.root) else None

    def get(self, namespace: str, key: str) -> object | None:
        """The value stored under ``key``, or None (missing, unsigned, damaged)."""
        if not self.enabled:
            return None
        self._used.setdefault(namespace, set()).add(key)
        if self._namespace_folder(namespace) is None:
            self.misses += 1
            return None
        try:
            data = self._path(namespace, key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        body = data[len(_MAGIC) + _DIGEST:]
        signature = data[len(_MAGIC):len(_MAGIC) + _DIGEST]
        expected = hmac.new(_secret(), key.encode() + body, hashlib.sha256).digest()
        if not data.startswith(_MAGIC) or not hmac.compare_digest(signature, expected):
            self.misses += 1
            return None
        try:
            value: object = pickle.loads(body)
        except Exception:  # signed by us but unreadable (a Python upgrade): a miss
            self.misses += 1
            return None
        self.hits += 1
        return value

    def has(self, namespace: str, key: str) -> bool:
        """Whether an entry is stored under ``key`` (unread: it may still be damaged)."""
        return self.enabled and self._namespace_folder(namespace) is not None and \
            self._path(namespace, key).is_file()

    def holds(self, namespace: str) -> bool:
        """Whether anything is stored in ``namespace`` (a cold build finds nothing)."""
        folder = self._namespace_folder(namespace) if self.enabled else None
        try:
            return folder is not None and any(folder.iterdir())
        except OSError:
            return False

    def keep(self, namespace: str, keys: Iterable[str]) -> None:
        """Count ``keys`` as used by this build without reading them, so that
        :meth:`prune` keeps them (the chapters of a story found whole in the cache)."""
        if self.enabled:
            self._used.setdefault(namespace, set()).update(keys)

    def used(self, namespace: str) -> frozenset[str]:
        """The keys of ``namespace`` this build asked for, kept or stored (what
        :meth:`prune` keeps): a reader in another process hands them over."""
        return frozenset(self._used.get(namespace, ()))

    def put(self, namespace: str, key: str, value: object) -> None:
        """Store ``value``; a cache that cannot be written is only slower, never an error."""
        if not self.enabled:
            return
        self._used.setdefault(namespace, set()).add(key)
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        signature = hmac.new(_secret(), key.encode() + body, hashlib.sha256).digest()
        folder = self.folder / namespace
        temp = None
        try:
            if self._namespace_folder(namespace) is None:
                return
            folder.mkdir(parents=True, exist_ok=True)
            if self._namespace_folder(namespace) is None:  # a link that appeared meanwhile
                return
            tag = self.folder / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                               "# fanbind's incremental-build cache; safe to delete.\n")
            descriptor, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(_MAGIC + signature + body)
            os.replace(temp, folder / key)
            temp = None
        except OSError:
            return
        finally:
            if temp is not None:  # a full disk: leave no half-written entry behind
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def prune(self, namespaces: Iterable[str]) -> int:
        """Delete the entries of ``namespaces`` that this build did not ask for.

        Called after a successful build, so the cache holds one book's worth of
        results rather than every version of every story ever built.
        """
        removed = 0
        if not self.enabled:
            return 0
        for namespace in namespaces:
            used = self._used.get(namespace, set())
            folder = self._namespace_folder(namespace)
            if folder is None:
                continue
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name not in used:
                    try:
                        entry.unlink()
                        removed += 1
                    except OSError:
                        pass
        return removed
