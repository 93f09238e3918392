"""The book's cover image: the one from ``cover:``, or a typographic one we draw.

AO3's own downloads arrive without a cover, and a library grid full of blank
tiles is the long-standing complaint. So fanbind never ships a coverless book:
without ``cover:`` it sets the title, subtitle and editors in the bundled EB
Garamond on a plain ground, with Pillow. The drawing is deterministic — no
dates, no randomness, no PNG/JPEG metadata — so two builds give identical bytes.

A user's JPEG or PNG is stored as it is (re-encoding would only lose quality);
other formats Pillow can read (WebP, GIF, TIFF, BMP) are converted, because
Kindle and older EPUB 2 readers only show JPEG and PNG covers.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import shutil
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from fanbind.cache import ProjectCache, file_digest, library_version, make_key, system_fonts_digest
from fanbind.errors import MetadataError
from fanbind.resources import FONTS_DIR
from fanbind.settings.schema import AnthologyConfig

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

#: Generated covers are 1600 × 2560 (1 : 1.6), the size Kindle and Kobo stores ask for.
WIDTH, HEIGHT = 1600, 2560
REGULAR = FONTS_DIR / "EBGaramond12-Regular.otf"
ITALIC = FONTS_DIR / "EBGaramond12-Italic.otf"

#: (ground, ink, accent) colour sets; the title picks one, so different anthologies
#: look different on a shelf while one anthology always gets the same cover.
PALETTES: tuple[tuple[str, str, str], ...] = (
    ("#1f2d3a", "#f1e9d8", "#c8a46a"),  # ink blue, cream, old gold
    ("#2f3b2c", "#efe8d6", "#bfa56a"),  # forest, cream, brass
    ("#4a1f24", "#f3e6da", "#d4a373"),  # oxblood, cream, tan
    ("#2b2540", "#ece6f2", "#b9a0d0"),  # aubergine, mist, lilac
    ("#f2ece0", "#2a2622", "#8c2f2a"),  # paper, ink, rubric red
    ("#1e3a3a", "#e9f0ea", "#9cc0a8"),  # deep teal, pale, sage
)

#: Readers' stores convert anything else; these two every reader shows.
STORED_AS_IS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class CoverImage:
    """A finished cover: the bytes to store in the EPUB and what to say about them.

    ``alt`` is the image's text alternative: for a generated cover it is exactly
    the text drawn on it, so a screen-reader user misses nothing. ``missing``
    holds characters no available font could draw (shown as boxes).
    """

    data: bytes
    media_type: str
    file_name: str
    alt: str
    width: int
    height: int
    generated: bool
    missing: str = ""


# ------------------------------------------------------------------ user covers


def load_cover(path: Path, meta: AnthologyConfig, *, shown: str, metadata_file: str) -> CoverImage:
    """Read the ``cover:`` image; convert formats that readers cannot show.

    Errors name metadata.yaml (where the path was written) and the image file.
    """
    from PIL import Image

    hint = "give a JPEG or PNG image inside the project, or delete the cover: line"
    if not path.is_file():
        raise MetadataError(f"the cover image {shown!r} does not exist", file=metadata_file,
                            hint=hint)
    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except OSError as exc:
        raise MetadataError(f"the cover {shown!r} cannot be read as an image "
                            f"({_image_problem(exc)})", file=metadata_file, hint=hint) from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise MetadataError(f"the cover {shown!r} is too large an image ({exc})",
                            file=metadata_file, hint="use an image of about 1600 × 2560 pixels") \
            from exc
    alt = f"Cover of {meta.title}"
    if image.format in STORED_AS_IS:
        media_type, ext = STORED_AS_IS[image.format]
        return CoverImage(data, media_type, f"images/cover.{ext}", alt, image.width, image.height,
                          generated=False)
    # Anything else is re-encoded: JPEG for opaque pictures, PNG when transparency matters.
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        media_type, ext = "image/png", "png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=92, subsampling=0)
        media_type, ext = "image/jpeg", "jpg"
    return CoverImage(out.getvalue(), media_type, f"images/cover.{ext}", alt, image.width,
                      image.height, generated=False)


def _image_problem(exc: OSError) -> str:
    """What Pillow found wrong with an image, in words (its own message names the
    in-memory buffer it read from: ``<_io.BytesIO object at 0x…>``)."""
    from PIL import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image, or damaged, or in a format fanbind cannot read"
    if exc.strerror:
        return exc.strerror
    text = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-f]+>", "", str(exc)).strip()
    if "truncated" in text.lower():
        return "the file is cut short"
    return text or type(exc).__name__


# ------------------------------------------------------------------ generated covers


def cover_lines(meta: AnthologyConfig) -> tuple[str, str | None, str | None]:
    """The three texts a generated cover shows: title, subtitle, "Edited by …"."""
    editors = _join(meta.editors) if meta.editors else None
    return meta.title, meta.subtitle, f"Edited by {editors}" if editors else None


def cover_alt(meta: AnthologyConfig) -> str:
    """The generated cover's alt text: the very words printed on it."""
    title, subtitle, editors = cover_lines(meta)
    parts = [f"Cover: {title}"] + [p for p in (subtitle, editors) if p]
    return ". ".join(part.rstrip(".") for part in parts) + "."


COVER_NAMESPACE = "cover"


def generated_cover(meta: AnthologyConfig, *, cache: ProjectCache | None = None) -> CoverImage:
    """Draw the typographic cover for ``meta``: a PNG of 1600 × 2560 pixels.

    PNG, not JPEG: flat colour and type compress well losslessly (about 120 KB)
    and keep crisp edges, which JPEG would fringe. Drawing and compressing take
    a few tenths of a second, so with ``cache`` the result is kept under a key
    of everything it depends on (the three texts, the fonts' bytes, the system's
    fallback fonts, Pillow's version and whether it shapes with Raqm, fanbind's
    code).
    """
    if cache is None or not cache.enabled:
        return _draw_cover(meta)
    key = make_key("cover", cover_lines(meta), WIDTH, HEIGHT, file_digest(REGULAR),
                   file_digest(ITALIC), library_version("PIL", "pillow"), system_fonts_digest())
    found = cache.get(COVER_NAMESPACE, key)
    if isinstance(found, CoverImage):
        return found
    cover = _draw_cover(meta)
    cache.put(COVER_NAMESPACE, key, cover)
    return cover


def _draw_cover(meta: AnthologyConfig) -> CoverImage:
    from PIL import Image, ImageDraw

    title, subtitle, editors = cover_lines(meta)
    ground, ink, accent = PALETTES[_palette_index(meta.title)]
    image = Image.new("RGB", (WIDTH, HEIGHT), ground)
    draw = ImageDraw.Draw(image)
    missing: set[str] = set()

    # A double frame, inset: gives the cover an edge even as a small thumbnail.
    for inset, width in ((70, 6), (96, 2)):
        draw.rectangle((inset, inset, WIDTH - inset, HEIGHT - inset), outline=accent, width=width)

    measure = 1200  # the text column, in pixels
    # Title: as large as fits in four lines and about a third of the height.
    title_lines = _fit(title, REGULAR, measure, sizes=range(230, 79, -6), max_lines=4,
                       max_height=880, missing=missing)
    y = _draw_lines(draw, title_lines, 560, ink, leading=1.12)

    # An ornament between title and subtitle: rule, fleuron, rule.
    y += 70
    ornament = _font(REGULAR, 96, "❦", missing)
    mid = WIDTH // 2
    draw.line((mid - 300, y + 52, mid - 80, y + 52), fill=accent, width=3)
    draw.line((mid + 80, y + 52, mid + 300, y + 52), fill=accent, width=3)
    draw.text((mid, y + 52), "❦", font=ornament, fill=accent, anchor="mm")
    y += 170

    if subtitle:
        sub_lines = _fit(subtitle, ITALIC, measure, sizes=range(96, 43, -4), max_lines=4,
                         max_height=520, missing=missing)
        _draw_lines(draw, sub_lines, y, ink, leading=1.2)

    if editors:
        ed_lines = _fit(editors, REGULAR, measure, sizes=range(80, 35, -4), max_lines=3,
                        max_height=320, missing=missing)
        height = sum(int(font.size * 1.2) for _, font in ed_lines)
        _draw_lines(draw, ed_lines, HEIGHT - 300 - height, ink, leading=1.2)

    out = io.BytesIO()
    # Run-length zlib (Z_RLE = 3) suits flat colour: 0.04 s for 145 KB, where the
    # default strategy takes twice as long for 120 KB and optimize=True 0.5 s.
    image.save(out, "PNG", compress_level=6, compress_type=3)
    return CoverImage(out.getvalue(), "image/png", "images/cover.png", cover_alt(meta),
                      WIDTH, HEIGHT, generated=True, missing="".join(sorted(missing)))


def palette(title: str) -> tuple[str, str, str]:
    """The (ground, ink, accent) colours of the generated cover for ``title`` (the
    print cover wrap, :mod:`fanbind.pdf.cover_wrap`, uses the same)."""
    return PALETTES[_palette_index(title)]


def _palette_index(title: str) -> int:
    return hashlib.sha256(title.encode("utf-8")).digest()[0] % len(PALETTES)


def _join(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


Line = tuple[str, "ImageFont.FreeTypeFont"]


def _draw_lines(draw: ImageDraw.ImageDraw, lines: list[Line], y: int, fill: str, *,
                leading: float) -> int:
    """Draw centred lines from ``y`` down; returns the y below the last line."""
    for text, font in lines:
        step = int(font.size * leading)
        draw.text((WIDTH // 2, y + step // 2), text, font=font, fill=fill, anchor="mm")
        y += step
    return y


def _fit(text: str, face: Path, measure: int, *, sizes: range, max_lines: int, max_height: int,
         missing: set[str]) -> list[Line]:
    """The largest size at which ``text`` wraps into ``max_lines`` lines of ``measure``.

    Each line is set in the bundled face when it has every glyph, else in a
    fallback the system's fontconfig finds (for CJK titles, say).
    """
    words = text.split()
    for size in sizes:
        font = _font(face, size, text, set())
        lines = _wrap(words, font, measure, max_lines=max_lines)
        if lines is not None and len(lines) * size * 1.15 <= max_height:
            break
    else:
        size = sizes[-1]
        font = _font(face, size, text, set())
        lines = _wrap(words, font, measure, max_lines=max_lines, force=True) or [text]
    return [(line, _font(face, size, line, missing)) for line in lines]


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, measure: int, *, max_lines: int,
          force: bool = False) -> list[str] | None:
    """Greedy line filling; None when one word alone is wider than the measure or the
    text needs more than ``max_lines`` lines.

    Text without spaces (Chinese, Japanese) is broken between characters. Forced,
    the text is cut after ``max_lines`` lines with an ellipsis: the work and the
    drawing stay bounded however long the text (200 editors' names, say).
    """
    if len(words) == 1 and font.getlength(words[0]) > measure and not words[0].isascii():
        words = list(words[0])
        joiner = ""
    else:
        joiner = " "
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current}{joiner}{word}" if current else word
        if font.getlength(candidate) <= measure:
            current = candidate
            continue
        if not force and (not current or font.getlength(word) > measure):
            return None  # one word alone is wider than the measure
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines:
            if not force:
                return None
            lines[-1] += "…"
            return lines
    if current:
        lines.append(current)
    return lines


def _font(face: Path, size: int, text: str, missing: set[str]) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` if it can draw ``text``, else a fallback that can."""
    from PIL import ImageFont

    needed = {c for c in text if not c.isspace()}
    lacking = {c for c in needed if ord(c) not in _charmap(face)}
    if lacking:
        fallback = _fallback_font(face.name, "".join(sorted(needed)))
        if fallback is not None:
            face = fallback
            lacking = {c for c in needed if ord(c) not in _charmap(fallback)}
        missing.update(lacking)
    return ImageFont.truetype(str(face), size, layout_engine=ImageFont.Layout.RAQM
                              if _has_raqm() else ImageFont.Layout.BASIC)


@functools.cache
def _has_raqm() -> bool:
    from PIL import features

    return bool(features.check("raqm"))


#: The characters of the bundled faces, so a cover needs no font parser (fontTools
#: takes 0.2 s to read a cmap). Keyed by file name, checked by the file's digest; a
#: test keeps it in step with the fonts.
COVERAGE_FILE = FONTS_DIR / "coverage.json"


class _Coverage(TypedDict):
    """One face's entry in coverage.json."""

    sha256: str
    ranges: list[list[int]]


@functools.cache
def _charmap(face: Path) -> frozenset[int]:
    known = _bundled_coverage().get(face.name)
    if known is not None and known["sha256"] == file_digest(face):
        return frozenset(c for start, end in known["ranges"] for c in range(start, end + 1))
    return font_charmap(face)


def font_charmap(face: Path) -> frozenset[int]:
    """Every character ``face`` has a glyph for, as fontTools reads its cmap."""
    from fontTools.ttLib import TTFont

    with TTFont(str(face), lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


def coverage_ranges(characters: frozenset[int]) -> list[list[int]]:
    """``characters`` as sorted [first, last] runs (the form coverage.json keeps)."""
    ranges: list[list[int]] = []
    for code in sorted(characters):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


@functools.cache
def _bundled_coverage() -> dict[str, _Coverage]:
    import json

    try:
        coverage: dict[str, _Coverage] = json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
        return coverage
    except (OSError, ValueError):
        return {}


@functools.cache
def _fallback_font(face_name: str, chars: str) -> Path | None:
    """A local font covering ``chars``, found by fontconfig; None without one.

    Only local files: fontconfig reads the system's font folders, nothing more.
    """
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    style = ":style=Italic" if "Italic" in face_name else ""
    charset = " ".join(f"{ord(c):x}" for c in chars)
    try:
        found = subprocess.run([fc_match, "--format=%{file}", f"serif{style}:charset={charset}"],
                               capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found.stdout.strip())
    if found.returncode != 0 or not path.is_file() or path.suffix.lower() not in (".ttf", ".otf",
                                                                                     ".ttc"):
        return None
    return path
