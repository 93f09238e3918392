"""The incremental-build cache: hits when nothing changed, misses when anything did.

A wrong hit prints a stale book, so most tests here change one input and check
that the result reflects the change (and that the other stories still hit).
PDF-part invalidation (stylesheet, font, trim) is in ``test_parallel.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from conftest import copy_sample
from fanbind import cache as cache_module
from fanbind import loading
from fanbind.build import load_book, open_project
from fanbind.cache import CACHE_DIR_NAME, ProjectCache
from fanbind.errors import StoryFileError
from fanbind.loading import STORY_NAMESPACE as STORIES
from fanbind.model import plain_text


def _load(root: Path, *, enabled: bool = True, jobs: int = 1):
    store = ProjectCache(root, enabled=enabled)
    book = load_book(open_project(root), cache=store, jobs=jobs)
    return book, store


def _text(book, index: int) -> str:
    story = book.anthology.stories[index]
    return "\n".join(plain_text(b.inlines) for ch in story.chapters for b in ch.blocks
                     if hasattr(b, "inlines"))


def _edit_metadata(root: Path, change) -> None:
    path = root / "metadata.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "book")


def test_second_load_hits_and_gives_the_same_book(project: Path) -> None:
    first, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)
    second, store = _load(project)
    assert (store.hits, store.misses) == (5, 0)
    assert second.anthology == first.anthology
    assert [d.format() for d in second.diagnostics] == [d.format() for d in first.diagnostics]


def test_story_text_change_misses_for_that_story_only(project: Path) -> None:
    _load(project)
    path = project / "seeds" / "001_b93b42b5401a4ec4.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA brand-new closing line.\n",
                    encoding="utf-8")
    book, store = _load(project)
    assert (store.hits, store.misses) == (4, 1)
    assert "A brand-new closing line." in _text(book, 1)


def test_story_metadata_change_misses(project: Path) -> None:
    _load(project)
    _edit_metadata(project, lambda d: d["stories"][2].update(title="A Retitled Story"))
    book, store = _load(project)
    assert store.misses == 1
    assert book.anthology.stories[2].title == "A Retitled Story"


def test_book_setting_change_misses_for_every_story(project: Path) -> None:
    before, _ = _load(project)
    assert "—" in _text(before, 0)
    _edit_metadata(project, lambda d: d.update(dash_style="spaced-en"))
    book, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)
    assert "\u00a0– " in _text(book, 0)
    assert _text(book, 0) != _text(before, 0)


def test_reordered_stories_are_not_taken_from_their_old_places(project: Path) -> None:
    _load(project)
    _edit_metadata(project, lambda d: d["stories"].reverse())
    book, _ = _load(project)
    titles = [s.title for s in book.anthology.stories]
    assert [s.index for s in book.anthology.stories] == list(range(5))
    assert titles[0] == "This beating heart won’t rest"


def test_a_new_fanbind_version_misses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _load(project)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "99.0:elsewhere")
    _, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)


def test_fingerprint_covers_the_source_code(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    """Editing a rule table without a version bump still changes every key."""
    before = cache_module.code_fingerprint()
    assert before.startswith(cache_module.__version__ + ":")
    package = tmp_path / "fanbind"
    package.mkdir()
    (package / "cache.py").write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "__file__", str(package / "cache.py"))
    cache_module.code_fingerprint.cache_clear()
    try:
        one = cache_module.code_fingerprint()
        (package / "rules.py").write_text("RULES = ()\n")
        cache_module.code_fingerprint.cache_clear()
        assert cache_module.code_fingerprint() != one
    finally:
        monkeypatch.undo()
        cache_module.code_fingerprint.cache_clear()
    assert cache_module.code_fingerprint() == before


def test_entries_signed_elsewhere_are_ignored(project: Path) -> None:
    """A cache that came with a shared project folder is never unpickled."""
    _load(project)
    folder = project / CACHE_DIR_NAME / STORIES
    for entry in folder.iterdir():
        data = entry.read_bytes()
        body = pickle.dumps("not a story")
        entry.write_bytes(data[:len(cache_module._MAGIC)] + b"\0" * 32 + body)
    book, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)
    assert book.anthology.stories[0].title == "Any Alpha Would"


def test_the_first_build_on_a_machine_keeps_its_cache(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No key file yet: the build writes one and signs its entries with it; the next reads them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-home-cache"))
    _load(project)
    key_file = tmp_path / "fresh-home-cache" / "fanbind" / "cache-key"
    assert len(key_file.read_bytes()) == 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["cache-key"]  # no temporary left
    _, store = _load(project)
    assert (store.hits, store.misses) == (5, 0)


def test_a_key_folder_that_cannot_be_written_still_caches_within_the_process(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--watch`` on a machine whose home cache is read-only still rebuilds from the cache."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _load(project)
    _, store = _load(project)
    assert (store.hits, store.misses) == (5, 0)


def test_a_key_written_by_another_build_first_is_the_one_used(tmp_path: Path) -> None:
    path = tmp_path / "fanbind" / "cache-key"
    path.parent.mkdir()
    path.write_bytes(b"k" * 32)
    assert cache_module._publish_key(path, b"m" * 32) == b"k" * 32
    assert path.read_bytes() == b"k" * 32
    assert [p.name for p in path.parent.iterdir()] == ["cache-key"]


def test_disabled_cache_writes_nothing(project: Path) -> None:
    _load(project, enabled=False)
    assert not (project / CACHE_DIR_NAME).exists()


def test_prune_keeps_only_what_the_build_used(project: Path) -> None:
    _load(project)
    path = project / "seeds" / "000_a377e873b6712cad.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    _, store = _load(project)
    folder = project / CACHE_DIR_NAME / STORIES
    assert len(list(folder.iterdir())) == 6
    assert store.prune([STORIES]) == 1
    assert len(list(folder.iterdir())) == 5


def test_parallel_load_equals_serial_load(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial, _ = _load(project, enabled=False, jobs=1)
    monkeypatch.setattr(loading, "MIN_PARALLEL_STORIES", 2)
    both, store = _load(project, enabled=True, jobs=2)
    assert both.anthology == serial.anthology
    assert [d.format() for d in both.diagnostics] == [d.format() for d in serial.diagnostics]
    assert store.misses == 5


def test_parallel_load_raises_the_first_error_in_order(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "seeds" / "002_5d635883762769c9.txt").write_bytes(b"")
    (project / "seeds" / "004_8414831067124d50.txt").unlink()
    monkeypatch.setattr(loading, "MIN_PARALLEL_STORIES", 2)
    with pytest.raises(StoryFileError) as serial:
        _load(project, enabled=False, jobs=1)
    with pytest.raises(StoryFileError) as both:
        _load(project, enabled=True, jobs=2)
    assert str(both.value) == str(serial.value)
    assert "002_5d635883762769c9.txt" in str(both.value)


def test_an_epub_only_build_never_imports_weasyprint(project: Path, tmp_path: Path) -> None:
    """The fast path: no PDF asked for, no WeasyPrint (nor pikepdf) loaded at all."""
    import subprocess
    import sys

    code = ("import sys\nfrom pathlib import Path\nfrom fanbind.build import build\n"
            f"build(Path({str(project)!r}), out_dir=Path({str(tmp_path / 'out')!r}), "
            "formats=('epub',))\n"
            "print(sorted(m for m in ('weasyprint', 'pikepdf', 'fanbind.pdf.layout') "
            "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "bonds-of-the-leaf.epub").is_file()
