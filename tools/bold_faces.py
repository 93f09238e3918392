"""Make the bundled bold faces (run by hand when the faces are to be remade; never by a build).

EB Garamond 12 by Georg Duffner, the book's face, has a bold of 127 glyphs (no
curly quotes, no accents), so fanbind's bold comes from Octavio Pardo's EB
Garamond (Copyright 2017 The EB Garamond Project Authors, SIL OFL 1.1), the
continuation of Duffner's work at the same scale (x-height 400/1000), published
as a variable font with a weight axis (400–800). This script makes
two static faces from it, once, for the package to ship:

1. an instance at ``--weight`` (fontTools.varLib.instancer);
2. cut down to the characters the bundled roman (or italic) has and the
   OpenType features fanbind's styles use (:data:`FEATURES`);
3. its vertical metrics set to those of the EB Garamond 12 face it stands beside
   (the variable font's ascender is 1007/1000 against 710: in a line of fixed
   height a run of bold would push the line box down by 0.14 em, off the grid),
   and its spaces to that face's widths (:func:`_fit_spaces`);
4. its TrueType outlines redrawn as CFF (cubic) outlines and subroutinised, so
   that WeasyPrint embeds it as it embeds the other faces (``/FontFile3``) and
   :mod:`fanbind.pdf.fonts` shares one copy of it in a book joined from parts.

Usage (the variable fonts come from e.g. PyPI's ``fontpkg-eb-garamond``, which
carries Google Fonts' ``ofl/ebgaramond`` unmodified)::

    python3 tools/bold_faces.py 'EBGaramond[wght].ttf' 'EBGaramond-Italic[wght].ttf'

The output is deterministic (no date of today): the same input gives the same
files byte for byte.
"""

from __future__ import annotations

import argparse
import io
import unicodedata
from pathlib import Path

import cffsubr  # pip install cffsubr: AFDKO's subroutiniser (halves the CFF)
from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.qu2cuPen import Qu2CuPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fontTools.varLib import instancer

FONTS = Path(__file__).resolve().parent.parent / "src" / "fanbind" / "styles" / "fonts"

#: Per style of the variable source: the EB Garamond 12 face it stands beside, the output stem.
FACES = {
    "roman": ("EBGaramond12-Regular.otf", "EBGaramond-Bold"),
    "italic": ("EBGaramond12-Italic.otf", "EBGaramond-BoldItalic"),
}

#: The OpenType features kept: HarfBuzz's defaults for Latin, Greek and Cyrillic and
#: what print.css asks for (small caps, figures). Swashes, stylistic sets and
#: historical forms would nearly double the glyphs and no rule of fanbind's uses them.
FEATURES = ("ccmp", "locl", "mark", "mkmk", "kern", "liga", "clig", "calt", "rlig", "rvrn",
            "smcp", "c2sc", "pcap", "c2pc", "case", "onum", "lnum", "pnum", "tnum", "frac",
            "numr", "dnom", "sups", "subs", "sinf", "ordn")

#: How far (in units of 1/1000 em) a cubic curve may stray from the quadratic
#: splines it replaces: 0.011 pt at 11 pt, nothing a printer can show.
MAX_ERR = 1.0

#: Tables that only TrueType outlines or a variable font use.
TRUETYPE_ONLY = ("glyf", "loca", "fpgm", "prep", "cvt ", "gasp", "cvar", "gvar", "HVAR",
                 "MVAR", "STAT", "avar", "fvar")


def make_face(variable: Path, beside: Path, stem: str, weight: int, style: str) -> bytes:
    """The static face ``stem`` from ``variable``, fitted to ``beside``."""
    with TTFont(variable, recalcTimestamp=False) as source:
        font = instancer.instantiateVariableFont(source, {"wght": weight})
    with TTFont(beside, lazy=True) as companion:
        characters = set(companion.getBestCmap())
        _fit_metrics(font, companion["hhea"], companion["OS/2"])
        _subset(font, characters)
        _fit_spaces(font, companion)
    _to_cff(font, stem, style, weight)
    cffsubr.subroutinize(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _subset(font: TTFont, characters: set[int]) -> None:
    options = subset.Options(layout_features=list(FEATURES), name_IDs=["*"], name_languages=["*"],
                             glyph_names=True, notdef_outline=True, hinting=False,
                             legacy_kern=True, drop_tables=["DSIG"])
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters & set(font.getBestCmap()))
    subsetter.subset(font)


def _fit_spaces(font: TTFont, companion: TTFont) -> None:
    """Every space the companion has, at the companion's width.

    The variable font's thin and hair spaces (U+2009, U+200A) are half an em
    wide, and it has no narrow no-break space (U+202F), which fanbind puts inside
    French guillemets: a bold « Oui » would gape, or take its space from another
    font. Spaces have no outline, so the companion's widths are the right ones.
    """
    cmap = font.getBestCmap()
    theirs = companion.getBestCmap()
    order = font.getGlyphOrder()
    for code, their_glyph in sorted(theirs.items()):
        if not (unicodedata.category(chr(code)) == "Zs"
                or code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)):
            continue
        width = companion["hmtx"][their_glyph][0]
        glyph = cmap.get(code)
        if glyph is None:
            glyph = f"uni{code:04X}"
            assert glyph not in order
            order.append(glyph)
            font["glyf"].glyphs[glyph] = Glyph()
            font["glyf"].glyphOrder = order
            for table in font["cmap"].tables:
                if table.isUnicode():
                    table.cmap[code] = glyph
        font["hmtx"][glyph] = (width, 0)
    font.setGlyphOrder(order)


def _fit_metrics(font: TTFont, hhea: object, os2: object) -> None:
    """Ascender, descender and gaps of the companion face (same units per em)."""
    assert font["head"].unitsPerEm == 1000
    for name in ("ascent", "descent", "lineGap"):
        setattr(font["hhea"], name, getattr(hhea, name))
    for name in ("sTypoAscender", "sTypoDescender", "sTypoLineGap", "usWinAscent",
                 "usWinDescent"):
        setattr(font["OS/2"], name, getattr(os2, name))


def _to_cff(font: TTFont, stem: str, style: str, weight: int) -> None:
    """Replace ``glyf`` by ``CFF `` (quadratic splines joined into cubic curves)."""
    glyphs = font.getGlyphSet()
    order = font.getGlyphOrder()
    widths = font["hmtx"].metrics
    charstrings = {}
    for name in order:
        pen = T2CharStringPen(widths[name][0], glyphs)
        glyphs[name].draw(Qu2CuPen(pen, max_err=MAX_ERR, all_cubic=True))
        charstrings[name] = pen.getCharString()
    family = "EB Garamond"
    full = f"{family} {'Bold Italic' if style == 'italic' else 'Bold'}"
    names = font["name"]
    info = {"FullName": full, "FamilyName": family,
            "Weight": "Bold", "Notice": names.getDebugName(0) or "",
            "Copyright": names.getDebugName(0) or "",
            "ItalicAngle": font["post"].italicAngle,
            "UnderlinePosition": font["post"].underlinePosition,
            "UnderlineThickness": font["post"].underlineThickness}
    for tag in TRUETYPE_ONLY:
        if tag in font:
            del font[tag]
    font.sfntVersion = "OTTO"
    builder = FontBuilder(font=font)
    builder.setupCFF(stem, info, charstrings, {})
    font["maxp"].tableVersion = 0x00005000
    font["post"].formatType = 3.0  # CFF keeps the glyph names
    # Names the face by what it now is (the instancer leaves the variable font's);
    # the copyright, licence and designer records stay as they are.
    style_name = "Bold Italic" if style == "italic" else "Bold"
    for number in (1, 2, 3, 4, 6, 16, 17, 25):
        names.removeNames(nameID=number)
    for number, value in ((1, family), (2, style_name), (3, f"{stem};fanbind"), (4, full),
                          (6, stem)):
        names.setName(value, number, 3, 1, 0x409)
    os2 = font["OS/2"]
    os2.usWeightClass = weight
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | 0b100000 | (1 if style == "italic"
                                                                      else 0)
    font["head"].macStyle = 0b11 if style == "italic" else 0b01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roman", type=Path, help="EBGaramond[wght].ttf")
    parser.add_argument("italic", type=Path, help="EBGaramond-Italic[wght].ttf")
    parser.add_argument("--weight", type=int, default=700)
    parser.add_argument("--out", type=Path, default=FONTS)
    args = parser.parse_args()
    for style, variable in (("roman", args.roman), ("italic", args.italic)):
        beside, stem = FACES[style]
        data = make_face(variable, FONTS / beside, stem, args.weight, style)
        (args.out / f"{stem}.otf").write_bytes(data)
        print(f"{stem}.otf: {len(data)} bytes")


if __name__ == "__main__":
    main()
