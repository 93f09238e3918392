"""The one length parser and the trim presets (fanbind.units)."""

from __future__ import annotations

import pytest

from fanbind.units import PT_PER_UNIT, TRIMS, find_trim, parse_length


def test_lengths_in_points() -> None:
    assert parse_length("0.1mm") == pytest.approx(0.2835, abs=1e-4)
    assert parse_length("1in") == 72
    assert parse_length(" 5.5 IN ") == 5.5 * 72
    assert parse_length(".5pc") == 6
    assert parse_length("2.54cm") == pytest.approx(72)


@pytest.mark.parametrize("bad", ["0.1", "thick", "1 furlong", "-1mm", "", "1.mm", "1in\n2"])
def test_not_lengths(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_length(bad)


def test_a_bare_zero_only_when_asked() -> None:
    """A paper thickness may be 0; a page width of "0" is a slip."""
    assert parse_length("0", bare_zero=True) == 0
    with pytest.raises(ValueError):
        parse_length("0")
    with pytest.raises(ValueError):
        parse_length("1", bare_zero=True)


def test_every_css_absolute_unit_is_known() -> None:
    assert set(PT_PER_UNIT) == {"pt", "in", "mm", "cm", "pc", "px", "q"}


@pytest.mark.parametrize(("written", "name"), [
    ("a5", "A5"), ("5.5 x 8.5", "5.5x8.5"), ("6x9in", "6x9"), ("US-Letter", "letter"),
    ("5×8", "5x8"),
])
def test_trims_found_as_people_write_them(written: str, name: str) -> None:
    preset = find_trim(written)
    assert preset is not None and preset is TRIMS[name]


def test_unknown_trim() -> None:
    assert find_trim("B5") is None
