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
:func:`apply_shared_fonts` then makes the fonts of each face one for the whole
book: one Type0 font per face and name (WeasyPrint's, from the font description),
its widths and ToUnicode map the union of the parts', pointing at that one
program. So the fonts are a function of the book's pages, not of how they were
cut into parts. A glyph that stands for different text in different parts (in
an all-small-caps running head, ``a.sc`` is both "A" and "a") takes its first
use in book order — the pages' own text first, then the folios and running
heads — which is WeasyPrint's own rule within one PDF.

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
import re
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def _resource_dicts(pdf: Pdf) -> Iterator[Object]:
    """Every resource dictionary of ``pdf``'s pages, of the forms and tiling
    patterns they draw and of theirs, once each, in page order."""
    import pikepdf

    seen: set[tuple[int, int]] = set()

    def walk(resources: Object | None) -> Iterator[Object]:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        yield resources
        for kind in ("/XObject", "/Pattern"):
            for inner in (resources.get(kind) or {}).values():
                if isinstance(inner, pikepdf.Dictionary | pikepdf.Stream) \
                        and "/Resources" in inner and inner.objgen not in seen:
                    if inner.is_indirect:
                        seen.add(inner.objgen)
                    yield from walk(inner.get("/Resources"))

    for page in pdf.pages:
        yield from walk(page.obj.get("/Resources"))


def _type0_fonts(pdf: Pdf, font_dicts: list[Object] | None = None) -> Iterator[Object]:
    """Every Type0 font the pages use, directly or inside form XObjects, once;
    ``font_dicts`` gets every ``/Font`` dictionary that names them, once."""
    fonts: set[tuple[int, int]] = set()
    listed: set[tuple[int, int]] = set()
    for resources in _resource_dicts(pdf):
        named = resources.get("/Font")
        if font_dicts is not None and named is not None:
            if not named.is_indirect:
                font_dicts.append(named)
            elif named.objgen not in listed:
                listed.add(named.objgen)
                font_dicts.append(named)
        for font in (named or {}).values():
            if font.get("/Subtype") == "/Type0" and font.objgen not in fonts:
                fonts.add(font.objgen)
                yield font


def _cid_fonts(pdf: Pdf, font_dicts: list[Object] | None = None
               ) -> Iterator[tuple[Object, Object, Object]]:
    """(Type0 font, its CIDFont, the CIDFont's descriptor) for every composite font
    (``font_dicts``: see :func:`_type0_fonts`)."""
    import pikepdf

    for font in _type0_fonts(pdf, font_dicts):
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
#: ...and on their Type0 fonts: the place of the source they came from (book order).
RANK = "/FanbindRank"


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

    ``sources`` come in book order, the pages' own PDFs (front, body parts, back)
    before their folio stamps: each marked font is given its source's place
    (:data:`RANK`), which decides a glyph's width and text where the parts'
    fonts disagree (:func:`apply_shared_fonts`).
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
            font[RANK] = number

    shared: dict[int, SharedFace] = {}
    for index, face in enumerate(found):
        # Even a face found once is cut from the bundled file: its program and name
        # must not depend on how many parts the pages using it were laid out in.
        if not face.programs:
            continue
        face.glyphs.add(0)  # .notdef, which every subset keeps
        # The least of the names it goes by, not the first found: which part holds
        # which of them depends on the cut.
        suffix = min(str(cid_font.BaseFont).split("+", 1)[-1].lstrip("/")
                     for _, cid_font in face.fonts)
        shared[index] = SharedFace(subset(face.path, sorted(face.glyphs)),
                                   f"/{_tag(face)}+{suffix}", len(face.programs))
    return shared


def apply_shared_fonts(pdf: Pdf, shared: dict[int, SharedFace]) -> int:
    """Make every marked font of ``pdf`` one font per face and name for the
    whole book; return how many copies of programs were dropped.

    WeasyPrint writes, per PDF, a Type0 font for each face (named by its font
    description, the same in every part) whose ``/W`` widths and ``/ToUnicode``
    map list that PDF's glyphs only, and a descriptor whose box follows its
    widths. A book joined from parts carried one of each per part, so its bytes
    depended on how the pages were grouped into parts. Here the fonts of one
    face and name are made one (:func:`_merge_fonts`): the union of the widths
    and of the maps, the union of the boxes, the face's one program. Where the
    parts disagree on a glyph, the first source in book order wins
    (:data:`RANK`; WeasyPrint keeps a glyph's first use within a PDF, so this is
    the glyph's first use in the book's pages, the folios and running heads
    after every page). Fonts that do not merge (another encoding, a map
    WeasyPrint did not write) keep their own widths and map, pointed at the
    face's program as before: the file then depends on the cut.
    """
    import pikepdf

    programs = {index: pikepdf.Stream(pdf, face.program) for index, face in shared.items()}
    for program in programs.values():
        program.Subtype = pikepdf.Name.OpenType
    groups: dict[tuple[int, str], list[tuple[int, Object, Object]]] = {}
    font_dicts: list[Object] = []
    for font, cid_font, old in _cid_fonts(pdf, font_dicts):
        if MARK not in old:
            continue
        index = int(old[MARK])
        del old[MARK]
        rank = int(font[RANK]) if RANK in font else 0
        if RANK in font:
            del font[RANK]
        if index in shared:
            groups.setdefault((index, str(font.BaseFont)), []).append((rank, font, cid_font))
    # One descriptor serves every font of a face that agrees on the rest (the
    # parts' descriptors differ in name, program and box: the rest is the face's).
    descriptors: dict[tuple[int, str], Object] = {}

    def descriptor(index: int, rest: dict[str, Any]) -> Object:
        key = (index, repr(sorted((k, repr(v)) for k, v in rest.items())))
        if key not in descriptors:
            made = pikepdf.Dictionary(rest)
            made.FontName = pikepdf.Name(shared[index].name)
            made.FontFile3 = programs[index]
            descriptors[key] = pdf.make_indirect(made)
        return descriptors[key]

    merged: dict[tuple[int, int], Object] = {}
    for (index, _), members in sorted(groups.items()):
        members.sort(key=lambda member: member[0])
        name = pikepdf.Name(shared[index].name)
        one = _merge_fonts(pdf, [(font, cid_font) for _, font, cid_font in members])
        if one is None:  # as before: each keeps its widths and map
            for _, font, cid_font in members:
                font.BaseFont = cid_font.BaseFont = name
                cid_font.FontDescriptor = descriptor(index, _rest(cid_font.FontDescriptor))
            continue
        font, cid_font, rest = one
        font.BaseFont = cid_font.BaseFont = name
        cid_font.FontDescriptor = descriptor(index, rest)
        made = pdf.make_indirect(font)
        merged.update({old_font.objgen: made for _, old_font, _ in members})
    for fonts in font_dicts:
        if isinstance(fonts, pikepdf.Dictionary):
            for key, value in list(fonts.items()):
                if value.is_indirect and value.objgen in merged:
                    fonts[key] = merged[value.objgen]
    return sum(face.copies - 1 for face in shared.values())


def _rest(descriptor: Object) -> dict[str, Any]:
    """A descriptor's entries but its name and program (the shared face's)."""
    return {key: value for key, value in descriptor.items()
            if key not in ("/FontName", "/FontFile3", MARK)}


#: The entries of the Type0 fonts and CIDFonts WeasyPrint writes for a face
#: (``weasyprint.pdf.fonts``) that :func:`_merge_fonts` can make one; a font
#: with any other (a bitmap font, a custom encoding for missing glyphs) is left.
_TYPE0_KEYS = {"/Type", "/Subtype", "/BaseFont", "/Encoding", "/DescendantFonts", "/ToUnicode",
               RANK}
_CID_KEYS = {"/Type", "/Subtype", "/BaseFont", "/CIDSystemInfo", "/CIDToGIDMap", "/W",
             "/FontDescriptor", "/DW"}


def _merge_fonts(pdf: Pdf, fonts: Sequence[tuple[Object, Object]]
                 ) -> tuple[Object, Object, dict[str, Any]] | None:
    """One Type0 font (direct; its CIDFont indirect) for ``fonts``, the same face
    and name from parts in book order, and its descriptor's entries but name and
    program; None when they cannot be made one (see :data:`_TYPE0_KEYS`).

    The result is a function of the union of their widths and maps and of the
    descriptors' boxes, written in one order (by glyph id), so the same glyphs
    give the same objects however they were shared out between the parts.
    """
    import pikepdf

    widths: dict[int, Object] = {}
    texts: dict[int, bytes] = {}
    box: list[float] = []
    flags: int | None = None
    first_font, first_cid = fonts[0]
    alike = ("/Encoding", "/Subtype")
    cid_alike = ("/Subtype", "/CIDSystemInfo", "/CIDToGIDMap", "/DW")
    for font, cid_font in fonts:
        if (set(font.keys()) - _TYPE0_KEYS or set(cid_font.keys()) - _CID_KEYS
                or font.get("/Encoding") != pikepdf.Name("/Identity-H")
                or any(_unparsed(font.get(k)) != _unparsed(first_font.get(k)) for k in alike)
                or any(_unparsed(cid_font.get(k)) != _unparsed(first_cid.get(k))
                       for k in cid_alike)):
            return None
        descriptor = cid_font.FontDescriptor
        own_box = [float(value) for value in descriptor.get("/FontBBox") or ()]
        unicode_map = _read_to_unicode(font.get("/ToUnicode"))
        if len(own_box) != 4 or unicode_map is None:
            return None
        box = own_box if not box else [min(box[0], own_box[0]), min(box[1], own_box[1]),
                                       max(box[2], own_box[2]), max(box[3], own_box[3])]
        flags = int(descriptor.get("/Flags", 0)) if flags is None else flags
        for glyph, width in _widths(cid_font.W).items():
            widths.setdefault(glyph, width)  # the first part's, as WeasyPrint keeps the first
        for glyph, text in unicode_map.items():
            texts.setdefault(glyph, text)
    rest = _rest(first_cid.FontDescriptor)
    rest["/FontBBox"] = pikepdf.Array([_number(value) for value in box])
    # WeasyPrint marks a face fixed-pitch when every width it wrote is the same.
    values = {float(width) for width in widths.values()}
    fixed = 1 if len(widths) > 1 and len(values) == 1 else 0
    rest["/Flags"] = ((flags or 0) & ~1) | fixed
    runs = pikepdf.Array()
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            runs.append(glyph)
            runs.append(pikepdf.Array())
        runs[len(runs) - 1].append(widths[glyph])
    cid_font = pikepdf.Dictionary({key: value for key, value in first_cid.items()
                                   if key != "/W"})
    cid_font.W = runs
    font = pikepdf.Dictionary({key: value for key, value in first_font.items()
                               if key != RANK})
    font.DescendantFonts = pikepdf.Array([pdf.make_indirect(cid_font)])
    font.ToUnicode = pdf.make_stream(_to_unicode(texts))
    return font, font.DescendantFonts[0], rest


def _unparsed(value: Object | None) -> bytes | None:
    return None if value is None else bytes(value.unparse(resolved=True))


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _widths(runs: Object) -> dict[int, Object]:
    """A CIDFont's ``/W`` array as glyph id → width (``c [w …]`` and ``first last w``)."""
    import pikepdf

    items = list(runs)
    widths: dict[int, Object] = {}
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            widths.update({first + k: w for k, w in enumerate(items[index + 1])})
            index += 2
        else:
            widths.update({glyph: items[index + 2]
                           for glyph in range(first, int(items[index + 1]) + 1)})
            index += 3
    return widths


_BFCHAR = re.compile(rb"(\d+)\s+beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]{1,4})>\s*<([0-9A-Fa-f]*)>")
#: The ToUnicode CMap as WeasyPrint writes it, around its ``bfchar`` blocks.
_CMAP_HEAD = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
              b"/CIDSystemInfo\n<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n"
              b">> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
              b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n")
_CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"


def _read_to_unicode(stream: Object | None) -> dict[int, bytes] | None:
    """A ToUnicode CMap's glyph → UTF-16 text, or None when it is not one of
    WeasyPrint's (``bfchar`` entries only)."""
    import pikepdf

    if not isinstance(stream, pikepdf.Stream):
        return None
    data = stream.read_bytes()
    if b"beginbfrange" in data:
        return None
    found: dict[int, bytes] = {}
    for count, block in _BFCHAR.findall(data):
        pairs = _PAIR.findall(block)
        if len(pairs) != int(count):
            return None
        for glyph, text in pairs:
            found.setdefault(int(glyph, 16), bytes.fromhex(text.decode("ascii")))
    return found


def _to_unicode(texts: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap for ``texts`` (glyph → UTF-16 text), by glyph id, in
    blocks of 100 as WeasyPrint writes them."""
    lines = [_CMAP_HEAD]
    glyphs = sorted(texts)
    for start in range(0, len(glyphs), 100):
        block = glyphs[start:start + 100]
        lines.append(f"{len(block)} beginbfchar\n".encode())
        lines += [f"<{glyph:04x}> <{texts[glyph].hex()}>\n".encode() for glyph in block]
        lines.append(b"endbfchar\n")
    lines.append(_CMAP_TAIL)
    return b"".join(lines)


def share_fonts(
    pdf: Pdf, faces: Sequence[tuple[Path, tuple[str, int, float]]] | None = None
) -> int:
    """Embed each bundled face once in ``pdf``; return how many copies were dropped."""
    return apply_shared_fonts(pdf, prepare_shared_fonts([pdf], faces))
