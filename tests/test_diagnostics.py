"""The diagnostic code registry: every code emitted is registered, documented, and used.

Codes are read from the source (every string constant in ``src/fanbind`` that is a
code), so a new emitter that forgets the registry fails here, not in a user's
terminal; the README's table is compared row by row with the registry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fanbind.diagnostics import CODES, Code, Diagnostic, Diagnostics, Severity
from fanbind.text.normalize import clean_text
from fanbind.text.sources import decode_bytes

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "fanbind"
REGISTRY = PACKAGE / "diagnostics.py"
CODE = re.compile(r"FB\d{3}")


def _constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _emitted() -> dict[str, set[str]]:
    """Codes written as a whole string constant (what emitters pass), by module."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == REGISTRY:
            continue
        for value in _constants(path):
            if CODE.fullmatch(value):
                found.setdefault(value, set()).add(str(path.relative_to(PACKAGE)))
    return found


def _mentioned() -> dict[str, set[str]]:
    """Codes named anywhere in a string, docstrings included."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == REGISTRY:
            continue
        for value in _constants(path):
            for code in CODE.findall(value):
                found.setdefault(code, set()).add(str(path.relative_to(PACKAGE)))
    return found


def test_the_source_scan_finds_emitters() -> None:
    # The scan itself must work: the parser and the quote lint emit these today.
    emitted = _emitted()
    assert {"FB200", "FB301", "FB803"} <= emitted.keys()
    assert len(emitted) >= 25


def test_every_emitted_or_mentioned_code_is_registered() -> None:
    unknown = {code: where for code, where in _mentioned().items() if code not in CODES}
    assert not unknown, f"codes used but not in fanbind.diagnostics.CODES: {unknown}"


def test_every_registered_code_is_emitted_somewhere() -> None:
    unused = sorted(CODES.keys() - _emitted().keys())
    assert not unused, f"registered codes no module emits (retire or emit them): {unused}"


def test_registry_entries_are_well_formed() -> None:
    for code, entry in CODES.items():
        assert CODE.fullmatch(code), code
        assert isinstance(entry, Code) and entry.severity in (Severity.INFO, Severity.WARNING)
        assert entry.summary and "\n" not in entry.summary and "|" not in entry.summary, code
        # A warning asks the user to do something, so it says what.
        assert entry.severity is Severity.INFO or entry.hint, f"{code} is a warning without a hint"
    assert list(CODES) == sorted(CODES), "keep the registry in code order"


def _readme_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Diagnostics"):]
    section = section[: section.index("\n## ")]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and CODE.fullmatch(cells[0]):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_readme_lists_every_code_with_its_severity_and_summary() -> None:
    expected = [(code, str(entry.severity), entry.summary) for code, entry in CODES.items()]
    assert _readme_rows() == expected


@pytest.mark.parametrize("make", [
    lambda: Diagnostic.create("FB999", "a.txt", 1, "no such code"),
    lambda: Diagnostic("FB999", Severity.WARNING, "a.txt", 1, "no such code"),
    lambda: Diagnostics().report("FB999", "a.txt", None, "no such code"),
    lambda: Diagnostic.create("fb200", "a.txt", 1, "codes are upper case"),
])
def test_an_unregistered_code_is_refused_at_creation(make) -> None:
    with pytest.raises(ValueError, match="unregistered diagnostic code"):
        make()


def test_a_severity_other_than_the_registered_one_is_refused() -> None:
    with pytest.raises(ValueError, match="registered as info"):
        Diagnostic("FB200", Severity.WARNING, "a.txt", None, "paragraph model: blank-line")


def test_severity_and_hint_come_from_the_registry() -> None:
    found = Diagnostics()
    item = found.report("FB220", "a.txt", 4, "two blank lines: a scene break?")
    assert (item.severity, item.hint) == (CODES["FB220"].severity, CODES["FB220"].hint)
    assert list(found) == [item]
    assert item.format() == ("a.txt:4: FB220 two blank lines: a scene break?\n"
                             f"    Hint: {CODES['FB220'].hint}")
    assert Diagnostic.create("FB200", "a.txt", None, "paragraph model: x").hint is None


def test_hint_fields_are_filled_and_must_match() -> None:
    item = Diagnostic.create("FB304", "a.txt", 2, "missing", open="«")
    assert item.hint == "Add the opening « where the speech starts."
    with pytest.raises(ValueError, match="needs fields"):
        Diagnostic.create("FB304", "a.txt", 2, "missing")
    with pytest.raises(ValueError, match="needs fields"):
        Diagnostic.create("FB304", "a.txt", 2, "missing", open="«", close="»")
    with pytest.raises(ValueError, match="needs fields"):
        Diagnostic.create("FB220", "a.txt", 2, "two blank lines", open="«")


def test_fb100_has_no_hint_when_the_user_set_the_encoding() -> None:
    data = "café\n".encode("cp1252")
    (detected,) = decode_bytes(data, file="s.txt").diagnostics
    (declared,) = decode_bytes(data, file="s.txt", encoding="cp1252").diagnostics
    assert detected.code == declared.code == "FB100"
    assert detected.hint == CODES["FB100"].hint
    assert declared.hint is None


def test_one_code_one_hint_for_nul_and_control_characters() -> None:
    # FB102 is reported by the decoder (NULs) and by cleanup (other controls);
    # both now carry the registry's one hint.
    story = b"A line of the story, long enough for one stray NUL.\n" * 3
    (nul,) = decode_bytes(story + b"two\x00\n", file="s.txt").diagnostics
    _, (control,) = clean_text("one\ntwo\x01\n", file="s.txt")
    assert nul.code == control.code == "FB102"
    assert nul.hint == control.hint == CODES["FB102"].hint
