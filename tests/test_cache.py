"""The incremental-build cache: hits when nothing changed, misses when anything did.

A wrong hit prints a stale book, so most tests here change one input and check
that the result reflects the change (and that the other stories still hit).
PDF-part invalidation (stylesheet, font, trim) is in ``test_parallel.py``.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import copy_sample
from fanbind import cache as cache_module
from fanbind.build import build, load_book, open_project
from fanbind.cache import CACHE_DIR_NAME, ProjectCache
from fanbind.diagnostics import Diagnostics
from fanbind.errors import StoryFileError
from fanbind.loading import STORY_NAMESPACE as STORIES
from fanbind.loading import StoryTask, load_stories, story_key
from fanbind.model import plain_text
from fanbind.settings import load_config
from fanbind.text.settings import TextSettings


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


def test_dash_style_change_misses_for_every_story(project: Path) -> None:
    before, _ = _load(project)
    assert "—" in _text(before, 0)
    _edit_metadata(project, lambda d: d.update(dash_style="spaced-en"))
    book, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)
    assert "\u00a0– " in _text(book, 0)
    assert _text(book, 0) != _text(before, 0)


def test_language_change_misses_for_every_story(project: Path) -> None:
    before, _ = _load(project)
    assert not any(rule.endswith("-de") for rule in before.stories[4].rule_counts)
    _edit_metadata(project, lambda d: d.update(language="de"))
    book, store = _load(project)
    assert (store.hits, store.misses) == (0, 5)
    # typeset again, by the German table (story 4 has straight quotes)
    assert any(rule.endswith("-de") for rule in book.stories[4].rule_counts)
    assert book.anthology == _load(project, enabled=False)[0].anthology


def test_a_story_language_change_misses_for_that_story_only(project: Path) -> None:
    _load(project)
    _edit_metadata(project, lambda d: d["stories"][4].update(language="de"))
    book, store = _load(project)
    assert (store.hits, store.misses) == (4, 1)
    assert any(rule.endswith("-de") for rule in book.stories[4].rule_counts)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.setdefault("print", {}).update(trim="a5"), id="print.trim"),
        pytest.param(lambda d: d.setdefault("print", {}).update(
            font_size="12pt", leading=1.5, folio="centre", crop_marks=True, bleed="3mm",
            signature="quarto", volume_words=50_000, verso_head="title"), id="print.*"),
        pytest.param(lambda d: d.update(title="A New -- Title", description="All new..."),
                     id="title-and-description"),
        pytest.param(lambda d: d.update(subtitle=None, publisher="Elsewhere", rights="Mine",
                                        series="Leaves", embed_fonts=True,
                                        warnings_display="end"),
                     id="other-book-metadata"),
    ],
)
def test_book_settings_outside_the_text_stages_read_no_story_again(project: Path,
                                                                   change) -> None:
    before, _ = _load(project)
    _edit_metadata(project, change)
    book, store = _load(project)
    assert (store.hits, store.misses) == (5, 0)
    fresh, _ = _load(project, enabled=False)
    assert book.anthology == fresh.anthology  # stories from the cache, the new settings
    assert [d.format() for d in book.diagnostics] == [d.format() for d in fresh.diagnostics]
    assert book.anthology.meta != before.anthology.meta


def test_a_retitled_book_from_the_cache_is_the_book_built_afresh(project: Path,
                                                                 tmp_path: Path) -> None:
    """A whole EPUB build after a new title reads no story, and writes the same bytes
    as a build without the cache."""
    first: list[str] = []
    build(project, out_dir=tmp_path / "first", formats=("epub",), report=first.append)
    assert "reading seeds/000_a377e873b6712cad.txt" in first  # what a story read says
    _edit_metadata(project, lambda d: d.update(title="Leaves, Again", description="New."))
    said: list[str] = []
    cached = build(project, out_dir=tmp_path / "cached", formats=("epub",), report=said.append)
    fresh = build(project, out_dir=tmp_path / "fresh", formats=("epub",), cache=False)
    assert not [line for line in said if line.startswith("reading")]
    (epub,) = cached.outputs
    assert epub.read_bytes() == fresh.outputs[0].read_bytes()
    assert "Leaves, Again" in _epub_text(epub)


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace")
                       for name in archive.namelist() if name.endswith((".opf", ".xhtml")))


def test_the_book_title_is_typeset_though_no_story_is_read(project: Path) -> None:
    _load(project)
    _edit_metadata(project, lambda d: d.update(title='"A New -- Title"'))
    book, store = _load(project)
    assert store.misses == 0
    assert book.anthology.meta.title == "“A New—Title”"


def test_story_key_hashes_the_text_settings_not_the_book(project: Path) -> None:
    config = load_config(project / "metadata.yaml")
    task = StoryTask(project / "x.txt", config.stories[0], 0, "x.txt")
    other = config.model_copy(update={"title": "Else", "print": config.print.model_copy(
        update={"trim": "a5"})})
    key = story_key(task, TextSettings.from_book(config), b"text")
    assert story_key(task, TextSettings.from_book(other), b"text") == key
    for settings in (TextSettings(language="de"), TextSettings(dash_style="spaced-en"),
                     TextSettings(max_story_bytes=1024)):
        assert story_key(task, settings, b"text") != key


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


def _load_stories(root: Path, *, jobs: int, min_parallel: int, cache: ProjectCache | None = None):
    """The stories of ``root`` through :func:`load_stories` directly (workers from
    ``min_parallel`` stories on); the stories, the findings and the lint findings."""
    config = load_config(root / "metadata.yaml")
    tasks = [StoryTask(root / meta.file, meta, index, meta.file)
             for index, meta in enumerate(config.stories)]
    found = Diagnostics()
    lints: list = []
    loaded = load_stories(tasks, settings=TextSettings.from_book(config), diagnostics=found,
                          cache=cache, jobs=jobs, min_parallel=min_parallel, lints=lints)
    return [item.story for item in loaded], [d.format() for d in found], lints


def test_parallel_load_equals_serial_load(project: Path) -> None:
    serial = _load_stories(project, jobs=1, min_parallel=2)
    store = ProjectCache(project)
    both = _load_stories(project, jobs=2, min_parallel=2, cache=store)
    assert both == serial
    assert len(serial[0]) == 5
    assert store.misses == 5


def test_parallel_load_starts_workers_from_min_parallel_stories(project: Path) -> None:
    """Below ``min_parallel`` the stories are read here, one by one, and reported so."""
    for min_parallel, reading_here in ((6, 5), (5, 0)):
        config = load_config(project / "metadata.yaml")
        tasks = [StoryTask(project / meta.file, meta, index, meta.file)
                 for index, meta in enumerate(config.stories)]
        said: list[str] = []
        load_stories(tasks, settings=TextSettings.from_book(config), diagnostics=Diagnostics(),
                     jobs=2, min_parallel=min_parallel, report=said.append)
        assert sum(line.startswith("reading seeds/") for line in said) == reading_here
        assert ("reading 5 stories on 2 cores" in said) == (reading_here == 0)


def test_parallel_load_raises_the_first_error_in_order(project: Path) -> None:
    (project / "seeds" / "002_5d635883762769c9.txt").write_bytes(b"")
    (project / "seeds" / "004_8414831067124d50.txt").unlink()
    with pytest.raises(StoryFileError) as serial:
        _load_stories(project, jobs=1, min_parallel=2)
    with pytest.raises(StoryFileError) as both:
        _load_stories(project, jobs=2, min_parallel=2, cache=ProjectCache(project))
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
