"""Stage 1: story file bytes → ``str``.

Every story file ends here as a :class:`DecodedText` or a
:class:`~fanbind.errors.StoryFileError` naming the file and, for bad bytes, the byte
offset and the byte; no other exception escapes, whatever the bytes. Detection runs
binary signatures, byte-order marks, NUL patterns, strict UTF-8, Western cp1252 (or
cp1254), then charset-normalizer's candidates; mojibake is repaired with ftfy's
encoding fixer only (FB101). docs/architecture-text.md gives the order and the
measurements behind it.
"""

from __future__ import annotations

import codecs
import difflib
import encodings.aliases
import functools
import re
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fanbind.diagnostics import Diagnostic
from fanbind.errors import StoryFileError


# ftfy and charset-normalizer take a tenth of a second to import, and a build whose
# stories all come from the cache needs neither: they are imported on first use.
def _sloppy_codecs(name: str) -> codecs.CodecInfo | None:
    """Find ftfy's "sloppy-windows-125x" codecs by name without importing ftfy first
    (``encoding: sloppy-windows-1252`` in metadata.yaml is checked before any story is read)."""
    if "sloppy" not in name.lower():
        return None
    import ftfy.bad_codecs  # deferred: see above

    return ftfy.bad_codecs.search_function(name)


codecs.register(_sloppy_codecs)

__all__ = [
    "DEFAULT_MAX_STORY_BYTES",
    "DecodedText",
    "decode_bytes",
    "read_story",
    "read_story_bytes",
]

DEFAULT_MAX_STORY_BYTES = 64 * 1024 * 1024
"""64 MiB: ten times the longest novels on AO3; anything bigger is almost surely not a story."""

_ENCODING_HINT = (
    "if you know the file's encoding, add `encoding: <name>` (for example cp1251 or "
    "shift_jis) to this story in metadata.yaml; otherwise re-save the file as UTF-8"
)


@dataclass(frozen=True)
class DecodedText:
    """A story file's text, decoded but otherwise untouched.

    ``text`` has its BOM removed and mojibake repaired, but its line endings are the
    file's own (``\\r\\n``, ``\\r`` or ``\\n``) so that later stages count lines the way the
    user's editor does.
    """

    text: str
    encoding: str
    diagnostics: tuple[Diagnostic, ...]


# --------------------------------------------------------------------------- signatures

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "copy the story's text into a .txt file"),
    (b"\xff\xd8\xff", "a JPEG image", "copy the story's text into a .txt file"),
    (b"GIF87a", "a GIF image", "copy the story's text into a .txt file"),
    (b"GIF89a", "a GIF image", "copy the story's text into a .txt file"),
    (b"%PDF-", "a PDF document", "copy the story's text out of the PDF into a .txt file"),
    (b"PK\x03\x04", "a ZIP archive",
     "a .docx, .odt or .epub file is a ZIP archive: open it in its program and save or "
     "export the story as plain text (.txt)"),
    (b"PK\x05\x06", "a ZIP archive", "save or export the story as plain text (.txt)"),
    (b"\x1f\x8b", "a gzip-compressed file", "uncompress it first"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document (.doc)",
     "open it in Word or LibreOffice and save it as plain text (.txt)"),
    (b"{\\rtf", "an RTF document", "open it in a word processor and save it as plain text (.txt)"),
    (b"\x7fELF", "a program", "point metadata.yaml at the story's .txt file"),
)

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
)

# ----------------------------------------------------------------- plausibility checks

# Characters a Western text really does put *inside* a word: apostrophes (including the
# acute accent people type for one), the Catalan middle dot, dashes, an ellipsis.
_WORD_INTERNAL_PUNCTUATION = frozenset("’‘´·–—‑…")
# Control characters no text file contains (tab, LF, VT, FF, CR and the DOS end-of-file
# mark Ctrl-Z are the exceptions; later stages remove the strays).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
_CONTROL_BYTES_RE = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
# A file whose NUL and other control characters are at most this share of it is text
# with a few strays (a crashed editor's NUL padding, a bad paste): they are removed with a
# warning. Above it, it is a binary file. Random bytes are ~10% C0 controls; the one
# stray NUL in a 75-byte snippet of the tests is over the line, in a story far under it.
_MAX_STRAY_CONTROL_SHARE = 0.01
_MAX_NON_ASCII_LETTER_SHARE = 0.4
_MAX_NON_ASCII_LETTER_RUN = 3
_MIN_NON_ASCII_LETTER_SHARE_FOREIGN = 0.5
_ICELANDIC_ONLY = frozenset("ÐÝÞðýþ")
_ICELANDIC_COMPANIONS = frozenset("áéíóúæÁÉÍÓÚÆ")

# Legacy encodings a story could plausibly be saved in, as Python codec names. DOS, Mac
# and exotic code pages are left out on purpose: charset-normalizer picks them for short
# Western texts or random bytes, never rightly for a fan-fiction file.
_LATIN_FALLBACKS = frozenset(
    codecs.lookup(name).name
    for name in (
        "cp1250", "cp1254", "cp1257", "cp1258", "iso8859-2", "iso8859-3", "iso8859-4",
        "iso8859-9", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16",
    )
)
_ALPHABET_FALLBACKS = frozenset(
    codecs.lookup(name).name
    for name in (
        "cp1251", "koi8-r", "koi8-u", "iso8859-5", "cp866", "mac-cyrillic", "cp1253",
        "iso8859-7", "cp1255", "iso8859-8", "cp1256", "iso8859-6", "cp874", "tis-620",
    )
)
_CJK_FALLBACKS = frozenset(
    codecs.lookup(name).name
    for name in (
        "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5",
        "big5hkscs", "cp950", "euc_kr", "cp949", "johab",
    )
)
_CP1252_UNDEFINED_RE = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_HALFWIDTH_KATAKANA_RE = re.compile(r"[\uff61-\uff9f]")
# Alphabetic scripts whose letters never share a word with Latin letters. (CJK does mix
# with Latin inside "words", e.g. "iPhoneを", so it is not listed.)
_ALPHABETIC_SCRIPTS = ("CYRILLIC", "GREEK", "HEBREW", "ARABIC", "THAI", "ARMENIAN", "GEORGIAN")


_SAMPLE_CHUNK = 64 * 1024
_SAMPLE_CHUNKS = 16


def _sample(text: str) -> str:
    """At most 1 MiB of *text*, in chunks spread over the whole of it.

    The statistics below are pure-Python loops; a megabyte of story is plenty to judge an
    encoding by, and keeps a 64 MB file from taking a minute.
    """
    if len(text) <= _SAMPLE_CHUNK * _SAMPLE_CHUNKS:
        return text
    step = len(text) // _SAMPLE_CHUNKS
    return "\n".join(text[i : i + _SAMPLE_CHUNK] for i in range(0, len(text), step))


def _letter_stats(text: str) -> tuple[int, int, int, int, int]:
    """Return (letters, non-ASCII letters, longest run of non-ASCII letters,
    non-ASCII symbols inside words, non-ASCII characters)."""
    letters = foreign = run = longest = inner = non_ascii = 0
    last = len(text) - 1
    for i, char in enumerate(text):
        wide = ord(char) > 127
        non_ascii += wide
        if char.isalpha():
            letters += 1
            if wide:
                foreign += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
            continue
        run = 0
        if (
            wide
            and char not in _WORD_INTERNAL_PUNCTUATION
            and 0 < i < last
            and text[i - 1].isalpha()
            and text[i + 1].isalpha()
        ):
            inner += 1
    return letters, foreign, longest, inner, non_ascii


def _looks_western(text: str, *, max_run: int | None = _MAX_NON_ASCII_LETTER_RUN) -> bool:
    """Whether *text* (a cp1252 reading) reads like English or another Western language.

    Three signs of a wrong reading, each measured on the samples in docs/architecture-text.md:
    more than 40% of the letters non-ASCII (Western samples: 1–23%; Cyrillic, Greek,
    Hebrew, Arabic, CJK read as cp1252: 100%); four or more non-ASCII letters in a row
    (Western: at most 2, e.g. ``Þó``; wrong readings: 4–8); and symbols inside words
    (``Za¿ó³æ``, Polish read as cp1252) making up more than 5% of the non-ASCII characters
    (so one stray ``x³y`` in a novel does not condemn it). Control characters other than
    whitespace mean it is not text in this encoding at all.
    """
    if _CONTROL_RE.search(text):
        return False
    letters, foreign, longest, inner, non_ascii = _letter_stats(_sample(text))
    if letters and foreign / letters > _MAX_NON_ASCII_LETTER_SHARE:
        return False
    if max_run is not None and longest > max_run:
        return False
    return inner * 20 <= non_ascii


def _looks_turkish(text: str) -> bool:
    """Whether a Western-looking cp1252 reading is really Turkish (cp1254).

    cp1254 differs from cp1252 only where cp1252 has the Icelandic letters ``ÐÝÞðýþ``
    (Turkish ``ĞİŞğış``). Icelandic, the one language that uses those letters, also uses
    ``á é í ó ú æ``; Turkish never does. So: Icelandic-only letters without their
    companions mean Turkish.
    """
    chars = set(text)
    return bool(chars & _ICELANDIC_ONLY) and not chars & _ICELANDIC_COMPANIONS


def _script(char: str) -> str | None:
    """The alphabetic script of a letter, if it is one of :data:`_ALPHABETIC_SCRIPTS`."""
    name = unicodedata.name(char, "")
    for script in _ALPHABETIC_SCRIPTS:
        if name.startswith(script):
            return script
    return "LATIN" if name.startswith("LATIN") else None


def _mixes_scripts(text: str) -> bool:
    """Whether any word glues a Latin letter to a Cyrillic/Greek/Hebrew/... one.

    That is what a wrong legacy decoding of a mostly-ASCII file looks like
    (``She said Ѓhello``); real Russian or Greek text never does it.
    """
    previous: str | None = None
    for char in text:
        current = _script(char) if char.isalpha() else None
        if current and previous and current != previous and "LATIN" in (current, previous):
            return True
        previous = current
    return False


def _plausible(text: str, codec: str, coherence: float) -> bool:
    """Whether charset-normalizer's candidate *codec* gave believable story text.

    charset-normalizer always finds *some* code page that decodes a file; for a
    mostly-English file with a few stray bytes its best guesses were mac_greek, cp1125,
    mac_latin2 and cp1257, and for a short Arabic text cp932. So a candidate must be a
    real-world story encoding, decode without control characters, and then:

    - Latin-script code pages (cp1250, …): the cp1252 test, without its limit on runs of
      accented letters (Polish has ``żółć``);
    - other alphabets (cp1251, cp1253, …): at least half the letters non-ASCII, no word
      mixing Latin with that alphabet, and charset-normalizer recognised a language in it
      (coherence > 0; 0.5–0.6 for the Russian, Greek and Hebrew samples, 0 for five stray
      bytes read as Macedonian letters);
    - CJK multibyte encodings (coherence is always 0 there): at least half the letters
      non-ASCII and under 10% half-width katakana, which is what Arabic read as cp932 is
      made of.
    """
    if _CONTROL_RE.search(text) or "\ufffd" in text:
        return False
    if codec in _LATIN_FALLBACKS:
        return _looks_western(text, max_run=None)
    if codec not in _ALPHABET_FALLBACKS and codec not in _CJK_FALLBACKS:
        return False
    sample = _sample(text)
    letters, foreign, _, _, non_ascii = _letter_stats(sample)
    if not letters or foreign / letters < _MIN_NON_ASCII_LETTER_SHARE_FOREIGN:
        return False
    if codec in _CJK_FALLBACKS:
        return len(_HALFWIDTH_KATAKANA_RE.findall(sample)) * 10 < non_ascii
    return coherence > 0 and not _mixes_scripts(sample)


# -------------------------------------------------------------------------- mojibake

@functools.cache
def _fix_encoding() -> Callable[[str], str]:
    """ftfy's encoding fixer only: never its quote, dash, width or normalisation fixes."""
    import ftfy  # deferred: see the top of the module

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_encoding=True,
        restore_byte_a0=True,
        # Replacing half-lost sequences with U+FFFD swaps visible garbage for invisible loss.
        replace_lossy_sequences=False,
        decode_inconsistent_utf8=True,
        # U+0080–U+009F in text are cp1252 bytes read as Latin-1 (``it\x92s``): mojibake too.
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )
    return functools.partial(ftfy.fix_encoding, config=config)
_LINE_SPLIT_RE = re.compile(r"(\r\n|\r|\n)")
# Characters that cannot take part in mojibake: ASCII, and the curly quotes, dashes and
# ellipsis that fill most story lines. In each single-byte encoding ftfy undoes (Latin-1,
# Windows-125x, ISO-8859-2, MacRoman, cp437) these encode either only to UTF-8 lead bytes
# (MacRoman) or only to continuation bytes (Windows-125x), never both, so a line made of
# them and ASCII cannot hold mis-decoded UTF-8 and skips ftfy: that keeps a 64 MB story
# fast. (Checked in the tests.)
MOJIBAKE_PROOF = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"
_MAY_BE_MOJIBAKE_RE = re.compile(f"[^\x00-\x7f{MOJIBAKE_PROOF}]")


def _repair_mojibake(text: str) -> tuple[str, int, int | None, int]:
    """Fix mojibake line by line with ftfy's encoding fixer.

    Line by line so that a repair in one line cannot spill into another, the line of the
    first repair can be reported, and line endings are left exactly as they are.
    Returns (text, repairs, first repaired line, repaired lines); a "repair" is one changed
    stretch of characters, so ``donâ€™t and cafÃ©`` counts two.
    """
    pieces = _LINE_SPLIT_RE.split(text)
    repairs = lines_changed = 0
    first_line: int | None = None
    for index in range(0, len(pieces), 2):
        line = pieces[index]
        if not _MAY_BE_MOJIBAKE_RE.search(line):
            continue
        try:
            fixed = _fix_encoding()(line)
        except Exception:  # a heuristic failing on odd input must not stop the build
            continue
        if fixed == line or set(_CONTROL_RE.findall(fixed)) - set(_CONTROL_RE.findall(line)):
            # No change, or a "repair" that invents control characters (ftfy reads an
            # overlong C0 80 as NUL): not text anyone wrote.
            continue
        pieces[index] = fixed
        lines_changed += 1
        if first_line is None:
            first_line = index // 2 + 1
        matcher = difflib.SequenceMatcher(None, line, fixed, autojunk=False)
        repairs += max(1, sum(1 for op in matcher.get_opcodes() if op[0] != "equal"))
    return "".join(pieces), repairs, first_line, lines_changed


# -------------------------------------------------------------------------------- errors


def _show_bytes(chunk: bytes) -> str:
    return " ".join(f"0x{byte:02x}" for byte in chunk[:4])


def _line_of(data: bytes, offset: int) -> int:
    """1-based line of *offset*, counting LF, CRLF and lone CR as line breaks."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _nul_error(file: str, offset: int) -> StoryFileError:
    return StoryFileError(
        f"contains a NUL byte at byte offset {offset}: this looks like a binary file, "
        "not a story",
        file=file,
        hint="check that metadata.yaml points at the story's .txt file; if it is text, "
        "re-save it as UTF-8",
    )


def _blank_error(file: str, empty: bool) -> StoryFileError:
    what = "is empty" if empty else "contains only whitespace"
    return StoryFileError(
        f"{what}: the story would be blank",
        file=file,
        hint="paste the story's text into the file, or remove it from metadata.yaml",
    )


def _invalid_error(
    data: bytes, exc: UnicodeDecodeError, *, file: str, label: str, hint: str, skip: int = 0
) -> StoryFileError:
    """pandoc-style "invalid UTF-8 at byte offset 1234 (0xff)"; *skip* = BOM length."""
    offset = exc.start + skip
    chunk = data[offset : max(exc.end + skip, offset + 1)]
    return StoryFileError(
        f"invalid {label} at byte offset {offset} ({_show_bytes(chunk)})",
        file=file,
        line=_line_of(data, offset),
        hint=hint,
    )


# ------------------------------------------------------------------------------ decoding


def _check_signature(data: bytes, file: str) -> None:
    for magic, what, hint in _SIGNATURES:
        if data.startswith(magic):
            raise StoryFileError(
                f"is not a plain-text story: it starts with the signature of {what} "
                "(at byte offset 0)",
                file=file,
                hint=hint,
            )


def _nul_offset(text: str, index: int, codec: str, skip: int) -> int:
    """Byte offset of ``text[index]`` in a file decoded with *codec* after a *skip*-byte BOM."""
    try:
        return skip + len(text[:index].encode(codec.removesuffix("-sig")))
    except (UnicodeError, LookupError):
        return skip + index


def _bomless_utf16(data: bytes) -> str | None:
    """The UTF-16 codec a BOM-less file certainly is, judged by where its NULs are.

    UTF-16 text in any alphabetic language has a NUL high byte in most code units (every
    ASCII space, digit and newline), while a NUL low byte is rare and a NUL *pair* (U+0000)
    never happens. So: even length, at least half the high bytes NUL, no NUL low byte, and a
    strict decode without control characters. Anything less certain is a binary file.
    """
    if len(data) % 2:
        return None
    evens, odds = data[0::2], data[1::2]
    for codec, high, low in (("utf-16-le", odds, evens), ("utf-16-be", evens, odds)):
        if low.count(0) == 0 and high.count(0) * 2 >= len(high):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            return None if _CONTROL_RE.search(text) else codec
    return None


def _decode_declared(data: bytes, file: str, encoding: str) -> tuple[str, str]:
    """Decode with the ``encoding:`` from metadata.yaml; errors name that encoding."""
    try:
        codec = codecs.lookup(encoding).name
        text = data.decode(codec)
    except LookupError:
        close = difflib.get_close_matches(
            encoding.lower().replace("-", "_"), list(encodings.aliases.aliases), n=1
        )
        suggestion = f"did you mean {close[0]!r}? " if close else ""
        raise StoryFileError(
            f"unknown text encoding {encoding!r} (set with `encoding:` in metadata.yaml)",
            file=file,
            hint=f"{suggestion}use a name such as utf-8, cp1252, latin-1, utf-16, cp1251 "
            "or shift_jis, or remove the key to let fanbind detect the encoding",
        ) from None
    except UnicodeDecodeError as exc:
        raise _invalid_error(
            data, exc, file=file, label=f"{codec} (the encoding set in metadata.yaml)",
            hint="check the `encoding:` key for this story, or remove it to let fanbind "
            "detect the encoding",
        ) from None
    except (UnicodeError, ValueError) as exc:
        raise StoryFileError(
            f"cannot be decoded as {encoding!r} (set with `encoding:` in metadata.yaml): "
            f"{exc}",
            file=file,
            hint="check the `encoding:` key for this story, or remove it",
        ) from None
    return text, codec


def _utf8_behind_utf16_bom(data: bytes, codec: str) -> bool:
    """A UTF-16 byte-order mark followed by UTF-8 text (an editor that wrote the wrong mark).

    Real UTF-16 text has a NUL byte in every space, newline and ASCII letter; text with
    none at all that is valid UTF-8 is UTF-8 whatever the mark says (read as UTF-16 it
    would be CJK nonsense, or an odd byte left over).
    """
    if not codec.startswith("utf-16"):
        return False
    body = data[2:]
    if not body or b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_detected(data: bytes, file: str) -> tuple[str, str, int]:
    """Detect the encoding (order: docs/architecture-text.md); return (text, codec, BOM length)."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            if _utf8_behind_utf16_bom(data, codec):
                return data[len(bom):].decode("utf-8"), "utf-8", len(bom)
            try:
                return data[len(bom) :].decode(codec.removesuffix("-sig")), codec, len(bom)
            except UnicodeDecodeError as exc:
                raise _invalid_error(
                    data, exc, file=file, label=label, skip=len(bom),
                    hint=f"the file starts with a {label} byte-order mark but is damaged "
                    "after it; re-save it as UTF-8",
                ) from None

    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            return data.decode(utf16), utf16, 0
        if len(_CONTROL_BYTES_RE.findall(data)) > len(data) * _MAX_STRAY_CONTROL_SHARE:
            raise _nul_error(file, data.index(b"\x00"))
        # A few stray NULs in text: detect as usual; decode_bytes removes them.

    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError as exc:
        utf8_error = exc

    # "Sloppy" cp1252 reads the five bytes cp1252 leaves undefined as C1 controls, so a
    # file that mixes UTF-8 (whose ” is E2 80 9D) with cp1252 still decodes; the mojibake
    # repair then fixes the UTF-8 parts, and any C1 control left over is a byte that is
    # undefined in cp1252 after all, which _looks_western rejects.
    western = data.decode("sloppy-windows-1252")
    if _looks_western(_repair_mojibake(western.replace("\x00", ""))[0]):
        if _looks_turkish(western):
            return data.decode("sloppy-windows-1254"), "cp1254", 0
        return western, "cp1252", 0

    try:
        from charset_normalizer import from_bytes

        candidates = [(match.encoding, match.coherence) for match in from_bytes(data)]
    except Exception:  # third-party heuristics: a crash there is just "no guess"
        candidates = []
    for candidate, coherence in candidates:
        try:
            codec = codecs.lookup(candidate).name
            text = data.decode(codec)
        except (LookupError, UnicodeError, ValueError):
            continue
        if _plausible(text, codec, coherence):
            return text, codec, 0

    undefined = _CP1252_UNDEFINED_RE.search(data)
    hint = _ENCODING_HINT
    if undefined is not None:
        hint = (
            f"it is not Windows-1252 either (byte 0x{data[undefined.start()]:02x} at byte "
            f"offset {undefined.start()} means nothing there); {hint}"
        )
    raise _invalid_error(data, utf8_error, file=file, label="UTF-8", hint=hint)


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})


def _is_blank(text: str) -> bool:
    """True when nothing visible is left: only whitespace, controls and format characters."""
    return all(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in text)


def decode_bytes(data: bytes, *, file: str, encoding: str | None = None) -> DecodedText:
    """Decode a story file's bytes (the detection order: docs/architecture-text.md).

    *file* is the name used in errors and diagnostics; *encoding* (the story's
    ``encoding:`` key) overrides detection. Raises :class:`StoryFileError` for anything
    that is not story text, and nothing else.
    """
    if not data:
        raise _blank_error(file, empty=True)
    _check_signature(data, file)

    if encoding is not None:
        text, codec = _decode_declared(data, file, encoding)
        skip = 0
    else:
        text, codec, skip = _decode_detected(data, file)

    diagnostics: list[Diagnostic] = []
    if codec == "utf-8" and skip == 2:  # only a UTF-16 mark is two bytes long
        label = "UTF-16LE" if data.startswith(codecs.BOM_UTF16_LE) else "UTF-16BE"
        diagnostics.append(
            Diagnostic.create(
                "FB104", file, 1,
                f"the file starts with a {label} byte-order mark, but the text after it is "
                "UTF-8: read as UTF-8",
            )
        )
    if "\x00" in text:
        offset = _nul_offset(text, text.index("\x00"), codec, skip)
        if len(_CONTROL_RE.findall(text)) > len(text) * _MAX_STRAY_CONTROL_SHARE:
            raise _nul_error(file, offset)
        count = text.count("\x00")
        text = text.replace("\x00", "")
        plural = "s" if count != 1 else ""
        diagnostics.append(
            Diagnostic.create(
                "FB102", file, _line_of(data, offset),
                f"removed {count} NUL character{plural} (the first at byte offset {offset}): "
                "they are invisible and not text",
            )
        )
    text = text.lstrip("\ufeff")  # a BOM the codec kept, or several (concatenated files)
    if _is_blank(text):
        raise _blank_error(file, empty=False)

    if codec not in ("utf-8", "utf-8-sig"):
        message = (
            f"read as {codec}, as set by `encoding:` in metadata.yaml"
            if encoding is not None
            else f"not UTF-8: detected encoding {codec}"
        )
        diagnostics.append(
            # Telling a user who set `encoding:` to set it would be no help.
            Diagnostic.create("FB100", file, None, message, with_hint=encoding is None)
        )

    text, repairs, first_line, lines_changed = _repair_mojibake(text)
    # A UTF-8 BOM read as cp1252 ("ï»¿") is repaired into a BOM.
    text = text.lstrip("\ufeff")
    if repairs and _is_blank(text):
        raise _blank_error(file, empty=False)
    if repairs:
        plural = "s" if repairs != 1 else ""
        on_lines = f" on {lines_changed} lines" if lines_changed != 1 else ""
        diagnostics.append(
            Diagnostic.create(
                "FB101", file, first_line,
                f"repaired {repairs} mis-decoded character sequence{plural} (mojibake such "
                f"as â€™ for ’){on_lines}; the first is on line {first_line}",
            )
        )
    return DecodedText(text=text, encoding=codec, diagnostics=tuple(diagnostics))


# ------------------------------------------------------------------------------- reading


def _format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size} bytes"


def _too_big(file: str, size: int | None, max_bytes: int) -> StoryFileError:
    suggested = max(2 * max_bytes // (1024 * 1024), 1)
    actual = f"is {_format_size(size)}, " if size is not None else "is "
    return StoryFileError(
        f"{actual}larger than the {_format_size(max_bytes)} limit for one story",
        file=file,
        hint="if this really is one story, raise the limit in metadata.yaml: "
        f"`limits:` → `max_story_mb: {suggested}`",
    )


def _not_found(path: Path, file: str) -> StoryFileError:
    hint = "check the `file:` entry in metadata.yaml (paths are relative to the project folder)"
    try:
        siblings = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        siblings = []
    close = difflib.get_close_matches(path.name, siblings, n=1)
    if close:
        hint = f"did you mean {close[0]!r}? " + hint
    return StoryFileError("story file not found", file=file, hint=hint)


def read_story(
    path: Path,
    *,
    display_name: str,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_STORY_BYTES,
) -> DecodedText:
    """Read and decode one story file (see :func:`read_story_bytes`)."""
    data = read_story_bytes(path, display_name=display_name, max_bytes=max_bytes)
    return decode_bytes(data, file=display_name, encoding=encoding)


def read_story_bytes(path: Path, *, display_name: str,
                     max_bytes: int = DEFAULT_MAX_STORY_BYTES) -> bytes:
    """Read one story file's bytes, undecoded (an EPUB is read as a zip, not as text).

    *display_name* is the path as the user should see it (relative to the project); it is
    the ``file`` of every error and diagnostic. Only regular files are read, and never more
    than *max_bytes* + 1 bytes, so a FIFO or ``/dev/zero`` in metadata.yaml cannot hang or
    exhaust memory. Every failure is a :class:`StoryFileError` with a hint.
    """
    file = display_name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _not_found(path, file) from None
    except PermissionError:
        raise StoryFileError(
            "cannot be read: permission denied",
            file=file,
            hint="check the permissions of the file and of the folders above it",
        ) from None
    except OSError as exc:
        raise StoryFileError(
            f"cannot be read: {exc.strerror or exc}", file=file,
            hint="check the `file:` entry in metadata.yaml",
        ) from None

    if stat.S_ISDIR(info.st_mode):
        raise StoryFileError(
            "is a folder, not a story file",
            file=file,
            hint="point the `file:` entry in metadata.yaml at a .txt file inside it",
        )
    if not stat.S_ISREG(info.st_mode):
        raise StoryFileError(
            "is not a regular file (a device, pipe or socket)",
            file=file,
            hint="point the `file:` entry in metadata.yaml at the story's .txt file",
        )
    if info.st_size > max_bytes:
        raise _too_big(file, info.st_size, max_bytes)

    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise StoryFileError(
            "cannot be read: permission denied",
            file=file,
            hint="make the file readable (for example with `chmod a+r`)",
        ) from None
    except IsADirectoryError:
        raise StoryFileError("is a folder, not a story file", file=file) from None
    except OSError as exc:
        raise StoryFileError(
            f"cannot be read: {exc.strerror or exc}", file=file,
            hint="check that the disk is readable and the file is not locked",
        ) from None
    if len(data) > max_bytes:
        raise _too_big(file, None, max_bytes)
    return data
