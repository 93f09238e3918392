"""The fast paths of an EPUB build: what it skips must stay skipped, and stay right.

A warm EPUB build (stories and cover from the cache) imports neither the PDF
stack nor the text-repair libraries nor Pillow; a cold one draws the cover
without a font parser, from the bundled fonts' character lists — which must
match the fonts. Timings are in benchmarks/, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import copy_sample
from fanbind.cache import ProjectCache, file_digest, library_version
from fanbind.cover import (
    COVERAGE_FILE,
    _draw_cover,
    coverage_ranges,
    font_charmap,
    generated_cover,
)
from fanbind.resources import FONT_FILES, FONTS_DIR
from fanbind.settings import load_config

HEAVY = ("weasyprint", "pikepdf", "pydyf", "ftfy", "charset_normalizer", "PIL", "fontTools")


def _epub_build_modules(project: Path, out: Path) -> list[str]:
    """Build the EPUB in a fresh interpreter; the heavy modules it imported."""
    code = ("import sys\nfrom pathlib import Path\nfrom fanbind.build import build\n"
            f"build(Path({str(project)!r}), out_dir=Path({str(out)!r}), formats=('epub',))\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().replace("'", '"'))


def test_a_warm_epub_build_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "book")
    cold = _epub_build_modules(project, tmp_path / "cold")
    # The cover is drawn (Pillow) and the stories read (ftfy for their non-ASCII
    # lines), but the cover's fonts are checked without fontTools.
    assert "PIL" in cold and "ftfy" in cold
    assert not {"weasyprint", "pikepdf", "fontTools"} & set(cold)
    warm = _epub_build_modules(project, tmp_path / "warm")
    assert warm == []
    assert (tmp_path / "warm" / "bonds-of-the-leaf.epub").read_bytes() == \
        (tmp_path / "cold" / "bonds-of-the-leaf.epub").read_bytes()


def test_bundled_font_coverage_matches_the_fonts() -> None:
    """coverage.json lists exactly the characters fontTools finds in each bundled face."""
    data = json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
    assert sorted(data) == sorted(FONT_FILES)
    for name in FONT_FILES:
        assert data[name]["sha256"] == file_digest(FONTS_DIR / name), \
            f"{name} changed: regenerate coverage.json (see fanbind.cover.coverage_ranges)"
        assert data[name]["ranges"] == coverage_ranges(font_charmap(FONTS_DIR / name))


def test_the_cached_cover_is_the_drawn_cover(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "book")
    meta = load_config(project / "metadata.yaml")
    store = ProjectCache(project)
    first = generated_cover(meta, cache=store)
    again = generated_cover(meta, cache=store)
    assert (store.misses, store.hits) == (1, 1)
    assert first == again == _draw_cover(meta)
    other = generated_cover(meta.model_copy(update={"subtitle": "A Different Subtitle"}),
                            cache=store)
    assert store.misses == 2 and other.data != first.data


def test_images_are_stored_and_text_deflated_in_the_epub(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "book")
    from fanbind.build import build

    result = build(project, formats=("epub",), cache=False)
    with zipfile.ZipFile(result.outputs[0]) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds["mimetype"] == zipfile.ZIP_STORED
    assert kinds["EPUB/images/cover.png"] == zipfile.ZIP_STORED
    assert all(kind == zipfile.ZIP_DEFLATED for name, kind in kinds.items()
               if name.endswith((".xhtml", ".opf", ".css", ".ncx")))


@pytest.mark.parametrize(("module", "distribution"), [
    ("ftfy", None), ("charset_normalizer", None), ("lxml", None), ("PIL", "pillow")])
def test_library_versions_match_the_imported_modules(module: str, distribution: str | None
                                                     ) -> None:
    imported = __import__(module)
    assert library_version(module, distribution) == f"{module}:{imported.__version__}"


# ------------------------------------------------------------------ metadata.yaml via libyaml

#: What libyaml reads and PyYAML's pure-Python parser refuses (libyaml is the
#: reference implementation; fanbind takes its reading).
LIBYAML_ACCEPTS = ("but got '?'", "chomping or indentation indicators")
_PIECES = (" ", ":", "-", "\n", '"', "'", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">",
           "%", "@", "`", ",", "?", "a", "ō", "\r", "\x85", "\u2028", "\\", "\n  ", "\n- ",
           ": ", "&a ", "*a", "!!str ", "---\n", "...\n", "~", "null", "<<: ", "\x07", "? ",
           "\t", ":\t", "\ufeff")


def _parse(text: str, monkeypatch: pytest.MonkeyPatch, *, libyaml: bool):
    from fanbind import settings as config
    from fanbind.errors import MetadataError
    from fanbind.settings import yaml_guard

    with monkeypatch.context() as patch:
        patch.setattr(yaml_guard.yaml, "__with_libyaml__", libyaml)
        try:
            found = config.parse_config(text, file="metadata.yaml")
        except MetadataError as error:
            return "error", str(error)
    return "ok", (found, dict(found._positions))


def test_libyaml_reads_metadata_as_pyyaml_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mangled copies of the sample's metadata.yaml: same book and positions, or the
    same message (errors are always told by the pure-Python reader)."""
    import random

    from fanbind.settings import yaml_guard

    if not getattr(yaml_guard.yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    source = (Path(__file__).resolve().parent.parent / "metadata.yaml").read_text("utf-8")
    rng = random.Random(7)
    compared = 0
    for _ in range(200):
        text = source
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.3:
                text = text[:at] + text[at + rng.randint(1, 5):]
            else:
                text = text[:at] + rng.choice(_PIECES) + text[at:]
        fast = _parse(text, monkeypatch, libyaml=True)
        pure = _parse(text, monkeypatch, libyaml=False)
        if fast != pure:  # only where libyaml reads what PyYAML refuses
            with pytest.raises(yaml_guard.yaml.MarkedYAMLError) as raw:
                yaml_guard.yaml.compose(text, Loader=yaml_guard.yaml.SafeLoader)
            assert any(words in str(raw.value.problem) for words in LIBYAML_ACCEPTS), pure[1]
            continue
        compared += fast[0] == "ok"
    assert compared >= 20  # enough of them were still valid books
