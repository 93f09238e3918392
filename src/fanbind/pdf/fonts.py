"""One copy of each bundled font in a book joined from parts.

Every part of a book laid out by :mod:`fanbind.pdf.parts` embeds its own subset of
EB Garamond, so a 200-story book carried a hundred copies of each face (5 of its
18 MB). WeasyPrint subsets with the original font's glyph ids kept (HarfBuzz's
*retain-gids*), so a glyph id names the same glyph in every part, and one subset
holding every glyph the book uses can stand in for all of them.

:func:`prepare_shared_fonts` finds the copies of the package's own faces in the
parts (by the PostScript name, creation date and revision in their ``name`` and
``head`` tables: a font from a user's stylesheet is never touched) and subsets
each face once from the bundled file with the union of the glyphs the parts use
(their ``/W`` width arrays list exactly the glyphs WeasyPrint subsetted by);
:func:`apply_shared_fonts` then points every font of the joined book at that one
program. Widths and ToUnicode maps stay with each
part: they are small, and one glyph may stand for different text in different
parts (a space and a no-break space share a glyph).

Every font fanbind embeds keeps a date that depends on nothing but the font
(:func:`pin_font_clock`), so a book is the same byte for byte whatever the day,
the build date and the subsetter WeasyPrint found.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fanbind.resources import FONT_FILES, FONTS_DIR

#: Tables WeasyPrint leaves out of the fonts it embeds (the PDF needs no shaping).
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH",
                  "PCLT", "SVG ")

if TYPE_CHECKING:  # pikepdf is imported where it is used: a cached rebuild needs none of it
    from pikepdf import Object, Pdf


#: What fontTools writes into the ``head`` table (``modified``) of a font it saves
#: while :func:`pin_font_clock` holds: 1970-01-01, a date no one takes for the book's.
FONT_EPOCH = 0


def pin_font_clock() -> Callable[[], None]:
    """Make fontTools date the fonts it saves :data:`FONT_EPOCH`; call the result to undo.

    fontTools stamps every font it saves with the current time unless
    ``SOURCE_DATE_EPOCH`` is set, and WeasyPrint saves fonts through it: always
    for a WOFF font from a stylesheet, a variable or colour font, and for every
    subset when HarfBuzz's subsetter (``libharfbuzz-subset``) is missing. Such a
    book would differ from second to second. The build date is no better: parts
    of a book come from the cache whatever the date (their keys leave it out, so
    that an edit does not lay out every part again), so a font must be a pure
    function of its file and its glyphs, as HarfBuzz and :func:`subset_program`
    make it (they keep the source's date). Held by
    :mod:`fanbind.pdf.layout` while WeasyPrint loads and writes fonts, in
    whatever process does it; the variable is put back as it was after, so
    nothing outside the layout sees it.
    """
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(FONT_EPOCH)

    def restore() -> None:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved

    return restore


@dataclass
class _Face:
    """A bundled font file and the embedded copies of it found in the book."""

    path: Path
    identity: tuple[str, int, float]
    glyphs: set[int] = field(default_factory=set)
    #: (Type0 font, its CIDFont) pairs whose descriptor embeds a copy of this face.
    fonts: list[tuple[Object, Object]] = field(default_factory=list)
    #: The embedded programs: (which source, object number, generation).
    programs: set[tuple[int, int, int]] = field(default_factory=set)


def _identity(data: bytes | Path) -> tuple[str, int, float] | None:
    """PostScript name, creation date and revision: what a subset keeps of its source."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(io.BytesIO(data) if isinstance(data, bytes) else data, lazy=True) as font:
            return (str(font["name"].getDebugName(6)), int(font["head"].created),
                    float(font["head"].fontRevision))
    except (TTLibError, KeyError, AssertionError, ValueError, struct.error):
        return None  # not a font fontTools can read: not one of ours


def bundled_faces() -> list[tuple[Path, tuple[str, int, float]]]:
    """The package's own font files with their identities."""
    faces = []
    for name in FONT_FILES:
        identity = _identity(FONTS_DIR / name)
        if identity is not None:
            faces.append((FONTS_DIR / name, identity))
    return faces


def _type0_fonts(pdf: Pdf) -> Iterator[Object]:
    """Every Type0 font the pages use, directly or inside form XObjects, once."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    fonts: set[tuple[int, int]] = set()

    def walk(resources: Object | None) -> Iterator[Object]:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        for font in (resources.get("/Font") or {}).values():
            if font.get("/Subtype") == "/Type0" and font.objgen not in fonts:
                fonts.add(font.objgen)
                yield font
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield from walk(xobject.get("/Resources"))

    for page in pdf.pages:
        yield from walk(page.obj.get("/Resources"))


def _cid_fonts(pdf: Pdf) -> Iterator[tuple[Object, Object, Object]]:
    """(Type0 font, its CIDFont, the CIDFont's descriptor) for every composite font."""
    import pikepdf

    for font in _type0_fonts(pdf):
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or len(descendants) != 1:
            continue
        descriptor = descendants[0].get("/FontDescriptor")
        if isinstance(descriptor, pikepdf.Dictionary):
            yield font, descendants[0], descriptor


def _glyph_ids(widths: Object) -> set[int]:
    """The glyph ids of a CIDFont's ``/W`` array (``c [w …]`` and ``first last w`` runs)."""
    import pikepdf

    items = list(widths)
    glyphs: set[int] = set()
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            glyphs.update(range(first, first + len(items[index + 1])))
            index += 2
        else:
            glyphs.update(range(first, int(items[index + 1]) + 1))
            index += 3
    return glyphs


def subset_program(path: Path, glyphs: Sequence[int]) -> bytes:
    """``path`` cut down to ``glyphs``, glyph ids kept, as WeasyPrint cuts its fonts:
    with HarfBuzz's subsetter when the system has it (:func:`harfbuzz_subset`, as
    WeasyPrint does; a few milliseconds a face), else with fontTools (about 0.4 s
    of CPU a face: most of a big book's join)."""
    program = harfbuzz_subset(path.read_bytes(), glyphs)
    return program if program is not None else fonttools_subset(path, glyphs)


def subsetter_version() -> str:
    """Which subsetter :func:`subset_program` uses, and its version (for cache keys)."""
    library = _harfbuzz()
    if library is not None:
        return f"harfbuzz {library.hb_version_string().decode('ascii', 'replace')}"
    from fontTools import version

    return f"fontTools {version}"


#: HarfBuzz's subsetting flags and input sets (hb-subset.h; their values are ABI).
_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE = 0x1, 0x2, 0x4
_PASSTHROUGH_UNRECOGNIZED, _NOTDEF_OUTLINE = 0x20, 0x40
_GLYPH_INDEX_SET, _DROP_TABLE_TAG_SET = 0, 3
_HARFBUZZ: list[object] = []  # the library once looked for (None: not there)


def _harfbuzz() -> ctypes.CDLL | None:
    """``libharfbuzz-subset`` (3.0 or later: the flags API), or None.

    Through ctypes, not WeasyPrint's bindings: the join imports no WeasyPrint (a
    rebuild whose parts all come from the cache never loads it).
    """
    if _HARFBUZZ:
        return _HARFBUZZ[0]  # type: ignore[return-value]
    library = None
    names = [ctypes.util.find_library("harfbuzz-subset"), "libharfbuzz-subset.so.0",
             "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll"]
    for name in filter(None, names):
        try:
            candidate = ctypes.CDLL(name)
            pointer = ctypes.c_void_p
            for function, result, arguments in (
                    ("hb_version_atleast", ctypes.c_int, [ctypes.c_uint] * 3),
                    ("hb_version_string", ctypes.c_char_p, []),
                    ("hb_blob_create", pointer,
                     [ctypes.c_char_p, ctypes.c_uint, ctypes.c_int, pointer, pointer]),
                    ("hb_blob_get_data", ctypes.POINTER(ctypes.c_char),
                     [pointer, ctypes.POINTER(ctypes.c_uint)]),
                    ("hb_blob_destroy", None, [pointer]),
                    ("hb_face_create", pointer, [pointer, ctypes.c_uint]),
                    ("hb_face_reference_blob", pointer, [pointer]),
                    ("hb_face_destroy", None, [pointer]),
                    ("hb_set_add", None, [pointer, ctypes.c_uint32]),
                    ("hb_set_add_range", None, [pointer, ctypes.c_uint32, ctypes.c_uint32]),
                    ("hb_subset_input_create_or_fail", pointer, []),
                    ("hb_subset_input_set", pointer, [pointer, ctypes.c_int]),
                    ("hb_subset_input_set_flags", None, [pointer, ctypes.c_uint]),
                    ("hb_subset_input_destroy", None, [pointer]),
                    ("hb_subset_or_fail", pointer, [pointer, pointer]),
                    ("hb_tag_from_string", ctypes.c_uint32, [ctypes.c_char_p, ctypes.c_int])):
                getattr(candidate, function).restype = result
                getattr(candidate, function).argtypes = arguments
            if candidate.hb_version_atleast(3, 0, 0):
                library = candidate
                break
        except (OSError, AttributeError):
            continue
    _HARFBUZZ.append(library)
    return library


def harfbuzz_subset(data: bytes, glyphs: Sequence[int]) -> bytes | None:
    """The font ``data`` cut down to ``glyphs`` by HarfBuzz as WeasyPrint 70 cuts a
    font (``Font._harfbuzz_subset``): glyph ids retained and the tables a PDF needs
    no shaping for dropped, then the empty glyphs after the last one used dropped,
    without hints; ``.notdef`` keeps its outline. None when HarfBuzz is missing or fails.
    """
    hb = _harfbuzz()
    if hb is None or not glyphs:
        return None
    blob = hb.hb_blob_create(data, len(data), 0, None, None)  # 0: HarfBuzz copies it
    face = hb.hb_face_create(blob, 0)
    request = hb.hb_subset_input_create_or_fail()
    faces = []
    try:
        if not request:
            return None
        wanted = hb.hb_subset_input_set(request, _GLYPH_INDEX_SET)
        for glyph in sorted(set(glyphs)):
            hb.hb_set_add(wanted, glyph)
        dropped = hb.hb_subset_input_set(request, _DROP_TABLE_TAG_SET)
        for tag in DROPPED_TABLES:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(tag.encode("ascii"), -1))
        hb.hb_subset_input_set_flags(request, _RETAIN_GIDS | _PASSTHROUGH_UNRECOGNIZED
                                     | _DESUBROUTINIZE | _NOTDEF_OUTLINE)
        faces.append(hb.hb_subset_or_fail(face, request))
        if not faces[-1]:
            return None
        hb.hb_set_add_range(wanted, 0, max(glyphs))
        hb.hb_subset_input_set_flags(request, _PASSTHROUGH_UNRECOGNIZED | _DESUBROUTINIZE
                                     | _NO_HINTING | _NOTDEF_OUTLINE)
        faces.append(hb.hb_subset_or_fail(faces[-1], request))
        if not faces[-1]:
            return None
        out = hb.hb_face_reference_blob(faces[-1])
        try:
            size = ctypes.c_uint()
            start = hb.hb_blob_get_data(out, ctypes.byref(size))
            return ctypes.string_at(start, size.value) if size.value else None
        finally:
            hb.hb_blob_destroy(out)
    finally:
        for made in faces:
            if made:
                hb.hb_face_destroy(made)
        if request:
            hb.hb_subset_input_destroy(request)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def fonttools_subset(path: Path, glyphs: Sequence[int]) -> bytes:
    """``path`` cut down to ``glyphs`` with fontTools, as WeasyPrint does without HarfBuzz."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(retain_gids=True, passthrough_tables=True,
                             ignore_missing_glyphs=True, hinting=False, desubroutinize=True,
                             notdef_outline=True)
    options.drop_tables += [tag.strip() for tag in DROPPED_TABLES]
    # No timestamp of today in the font: the book must be the same byte for byte.
    with TTFont(path, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(glyphs))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def _tag(face: _Face) -> str:
    """Six capital letters naming this subset, from what it holds (PDF 9.6.4)."""
    digest = hashlib.sha256(repr((face.identity, sorted(face.glyphs))).encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


#: A private key put on the descriptors :func:`prepare_shared_fonts` found, so
#: that :func:`apply_shared_fonts` knows them again in the joined book.
MARK = "/FanbindFace"


@dataclass(frozen=True)
class SharedFace:
    """One face's shared program and the name it goes by (tag + the part's name)."""

    program: bytes
    name: str
    copies: int


#: Cuts a font file down to some glyphs (:func:`subset_program`, or one that remembers).
Subsetter = Callable[[Path, Sequence[int]], bytes]


def prepare_shared_fonts(
    sources: Sequence[Pdf],
    faces: Sequence[tuple[Path, tuple[str, int, float]]] | None = None,
    subset: Subsetter = subset_program,
) -> dict[int, SharedFace]:
    """Before the parts' pages are copied: find the copies of bundled faces in
    ``sources``, mark their descriptors (:data:`MARK`) and subset each face once.

    Done on the parts, before the joined book holds every page, so that reading
    the programs and subsetting (30 MB for a moment) do not add to the join's
    peak. Fonts that are not copies of a bundled face, or that carry a
    ``/CIDSet`` (a PDF/A book, whose set would have to list the shared
    program's glyphs), are not marked. ``subset`` makes each face's program
    (:func:`subset_program`; the join passes one that keeps them in the project's
    cache, as subsetting is most of a rebuild's join).
    """

    found = [_Face(path, identity) for path, identity in
             (bundled_faces() if faces is None else faces)]
    by_identity = {face.identity: index for index, face in enumerate(found)}
    for number, source in enumerate(sources):
        identities: dict[tuple[int, int], int | None] = {}
        for font, cid_font, descriptor in _cid_fonts(source):
            program = descriptor.get("/FontFile3")
            if (cid_font.get("/Subtype") != "/CIDFontType0" or program is None
                    or program.get("/Subtype") != "/OpenType" or "/CIDSet" in descriptor
                    or "/W" not in cid_font):
                continue
            if program.objgen not in identities:
                identity = _identity(program.read_bytes())
                identities[program.objgen] = None if identity is None else by_identity.get(identity)
            index = identities[program.objgen]
            if index is None:
                continue
            face = found[index]
            face.glyphs |= _glyph_ids(cid_font.W)
            face.fonts.append((font, cid_font))
            face.programs.add((number, *program.objgen))
            descriptor[MARK] = index

    shared: dict[int, SharedFace] = {}
    for index, face in enumerate(found):
        if len(face.programs) < 2:
            for _, cid_font in face.fonts:  # nothing to share
                if MARK in cid_font.FontDescriptor:
                    del cid_font.FontDescriptor[MARK]
            continue
        face.glyphs.add(0)  # .notdef, which every subset keeps
        suffix = str(face.fonts[0][1].BaseFont).split("+", 1)[-1].lstrip("/")
        shared[index] = SharedFace(subset(face.path, sorted(face.glyphs)),
                                   f"/{_tag(face)}+{suffix}", len(face.programs))
    return shared


def apply_shared_fonts(pdf: Pdf, shared: dict[int, SharedFace]) -> int:
    """Point every marked font of ``pdf`` at its face's one program; return how
    many copies of programs were dropped."""
    import pikepdf

    programs = {index: pikepdf.Stream(pdf, face.program) for index, face in shared.items()}
    for program in programs.values():
        program.Subtype = pikepdf.Name.OpenType
    # The parts' descriptors differ in name and program only (the rest comes from
    # the face): one descriptor serves every part that agrees on the rest.
    descriptors: dict[tuple[int, str], Object] = {}
    for font, cid_font, old in _cid_fonts(pdf):
        if MARK not in old:
            continue
        index = int(old[MARK])
        del old[MARK]
        if index not in shared:
            continue
        name = pikepdf.Name(shared[index].name)
        rest = {key: value for key, value in old.items()
                if key not in ("/FontName", "/FontFile3", MARK)}
        key = (index, repr(sorted((k, repr(v)) for k, v in rest.items())))
        if key not in descriptors:
            descriptor = pikepdf.Dictionary(rest)
            descriptor.FontName = name
            descriptor.FontFile3 = programs[index]
            descriptors[key] = pdf.make_indirect(descriptor)
        font.BaseFont = name
        cid_font.BaseFont = name
        cid_font.FontDescriptor = descriptors[key]
    return sum(face.copies - 1 for face in shared.values())


def share_fonts(
    pdf: Pdf, faces: Sequence[tuple[Path, tuple[str, int, float]]] | None = None
) -> int:
    """Embed each bundled face once in ``pdf``; return how many copies were dropped."""
    return apply_shared_fonts(pdf, prepare_shared_fonts([pdf], faces))
