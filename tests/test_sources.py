"""Stage 1: bytes → str. Fixtures live in tests/data/encodings/ (see generate.py there)."""

from __future__ import annotations

import codecs
import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanbind.diagnostics import Severity
from fanbind.errors import StoryFileError
from fanbind.text.normalize import clean_text
from fanbind.text.sources import (
    DEFAULT_MAX_STORY_BYTES,
    MOJIBAKE_PROOF,
    DecodedText,
    decode_bytes,
    read_story,
)

DATA = Path(__file__).parent / "data" / "encodings"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _load_generator():
    spec = importlib.util.spec_from_file_location("encoding_fixtures", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
STORY: str = gen.STORY


def read(name: str, **kwargs) -> DecodedText:
    return read_story(DATA / name, display_name=f"stories/{name}", **kwargs)


def codes(decoded: DecodedText) -> list[str]:
    return [d.code for d in decoded.diagnostics]


# ------------------------------------------------------------------------------ fixtures


def test_fixture_files_are_what_the_generator_writes() -> None:
    expected = gen.fixtures()
    on_disk = {p.name: p.read_bytes() for p in DATA.glob("*.txt")}
    assert on_disk == expected


@pytest.mark.parametrize(
    ("name", "encoding", "text"),
    [
        ("utf8.txt", "utf-8", STORY),
        ("utf8-bom.txt", "utf-8-sig", STORY),
        ("utf16le-bom.txt", "utf-16-le", STORY),
        ("utf16be-bom.txt", "utf-16-be", STORY),
        ("utf16le-nobom.txt", "utf-16-le", STORY),
        ("utf32le-bom.txt", "utf-32-le", STORY),
        ("cp1252.txt", "cp1252", STORY),
        ("latin1.txt", "cp1252", gen.STORY_LATIN1),
        ("mojibake.txt", "utf-8", STORY),
        ("crlf.txt", "utf-8", STORY.replace("\n", "\r\n")),
        ("cr.txt", "utf-8", STORY.replace("\n", "\r")),
    ],
)
def test_fixture_decodes_to_the_story(name: str, encoding: str, text: str) -> None:
    decoded = read(name)
    assert decoded.encoding == encoding
    assert decoded.text == text
    cleaned, _ = clean_text(decoded.text, file=name)
    assert cleaned == text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("png-renamed.txt", ["PNG image", "byte offset 0"]),
        ("random.txt", ["NUL byte at byte offset 78", "binary file"]),
        ("invalid.txt", ["invalid UTF-8 at byte offset 20 (0x81)"]),
        ("empty.txt", ["is empty", "blank"]),
        ("whitespace.txt", ["only whitespace", "blank"]),
    ],
)
def test_fixture_is_refused(name: str, needles: list[str]) -> None:
    with pytest.raises(StoryFileError) as caught:
        read(name)
    error = caught.value
    assert error.file == f"stories/{name}"
    assert f"stories/{name}" in str(error)
    for needle in needles:
        assert needle in error.message
    assert error.hint
    assert error.exit_code == 4


def test_random_fixture_points_at_its_first_nul() -> None:
    data = (DATA / "random.txt").read_bytes()
    with pytest.raises(StoryFileError, match=f"NUL byte at byte offset {data.index(0)}:"):
        read("random.txt")


def test_invalid_fixture_names_line_and_cp1252_culprit() -> None:
    with pytest.raises(StoryFileError) as caught:
        read("invalid.txt")
    assert caught.value.line == 3
    assert str(caught.value).startswith("stories/invalid.txt:3: invalid UTF-8")
    assert "0x81 at byte offset 20" in (caught.value.hint or "")


def test_encoding_is_reported_as_info_only_when_not_utf8() -> None:
    assert codes(read("utf8.txt")) == []
    assert codes(read("utf8-bom.txt")) == []
    info = read("cp1252.txt").diagnostics
    assert [(d.code, d.severity) for d in info] == [("FB100", Severity.INFO)]
    assert "cp1252" in info[0].message
    assert codes(read("utf16le-bom.txt")) == ["FB100"]


def test_mojibake_repair_is_reported_with_first_line_and_count() -> None:
    (warning,) = read("mojibake.txt").diagnostics
    assert warning.code == "FB101"
    assert warning.severity is Severity.WARNING
    assert warning.file == "stories/mojibake.txt"
    assert warning.line == 3
    # “ ’ ” — ’ on line 3; ï ç ’ on line 4.
    assert "repaired 8 " in warning.message
    assert "on 2 lines" in warning.message


# ---------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("don’t".encode().decode("cp1252").encode(), "don’t"),
        ("café".encode().decode("cp1252").encode(), "café"),
        (b"it\xc2\x92s", "it’s"),  # cp1252 byte once read as Latin-1
        ("plain ’ and Ã".encode(), "plain ’ and Ã"),  # a lone Ã is not mojibake
    ],
)
def test_mojibake_examples(data: bytes, text: str) -> None:
    assert decode_bytes(data, file="s.txt").text == text


def test_lines_skipped_by_the_mojibake_repair_really_cannot_hold_mojibake() -> None:
    """No sequence of ASCII and MOJIBAKE_PROOF characters, in any encoding ftfy undoes,
    gives a UTF-8 lead byte followed by a continuation byte."""
    import ftfy.chardata

    for encoding in ftfy.chardata.CHARMAP_ENCODINGS:
        encoded = set()
        for char in MOJIBAKE_PROOF:
            try:
                encoded.update(char.encode(encoding))
            except UnicodeEncodeError:
                continue
        leads = {b for b in encoded if 0xC2 <= b <= 0xF4}
        continuations = {b for b in encoded if 0x80 <= b <= 0xBF}
        assert not (leads and continuations), encoding


@pytest.mark.parametrize(
    "text",
    [
        "\"Straight\" quotes -- and 'single' ones...",
        "“Curly” ‘quotes’ — em – en … ellipsis",
        "ﬁ ligature, ｆｕｌｌ width, e\u0301 decomposed, tab\there, trailing  ",
        "&amp; stays &lt;as is&gt;",
    ],
)
def test_mojibake_repair_does_no_typography(text: str) -> None:
    assert decode_bytes(text.encode(), file="s.txt").text == text


def test_mojibake_repair_never_invents_control_characters() -> None:
    # ftfy would read "À\x80" as the overlong UTF-8 C0 80, i.e. NUL.
    assert decode_bytes("xÀ\x80y".encode(), file="s.txt").text == "xÀ\x80y"


def test_every_leading_bom_is_removed_even_after_repair() -> None:
    assert decode_bytes(codecs.BOM_UTF8 * 3 + b"Hi", file="s.txt").text == "Hi"
    decoded = decode_bytes("ï»¿Hi".encode(), file="s.txt")
    assert decoded.text == "Hi"
    with pytest.raises(StoryFileError, match="blank"):
        decode_bytes(codecs.BOM_UTF8, file="s.txt", encoding="cp1252")


def test_mixed_utf8_and_cp1252_file_is_read_as_cp1252_and_repaired() -> None:
    data = "café “ok” ".encode() + "don’t".encode("cp1252") + b"\n"
    decoded = decode_bytes(data, file="s.txt")
    assert (decoded.encoding, decoded.text) == ("cp1252", "café “ok” don’t\n")
    assert codes(decoded) == ["FB100", "FB101"]


SAMPLES = {
    "en": ("cp1252", "“It’s okay,” she said — and he didn’t believe her. The café was closed."),
    "fr": ("cp1252", "« Déjà ? » demanda-t-elle. Il était là, près de la fenêtre ; le cœur "
                     "battant, elle s’approcha. Où étais-tu passé ?"),
    "de": ("cp1252", "Größenwahn ist kein Grund, die Tür zu schließen. Übermorgen fährt er nach "
                     "München, sagte Jürgen."),
    "es": ("cp1252", "¿Dónde está el niño? ¡Qué sorpresa! La señora Núñez cantó una canción."),
    "is": ("cp1252", "Þórður og Guðrún fóru til Reykjavíkur. Það var kalt en þau höfðu gaman."),
    "title": ("cp1252", "Café Élan"),
    "short": ("cp1252", "Naïve — he said."),
    "tr": ("cp1254", "Çok güzel bir gün. İstanbul'da yaşıyorum ve şehri çok seviyorum."),
    "pl": ("cp1250", "Zażółć gęślą jaźń. Łódź jest dużym miastem w Polsce, a Kraków jest piękny."),
    "cs": ("cp1250", "Příliš žluťoučký kůň úpěl ďábelské ódy. Děkuji, že jste přišli."),
    "ru": ("cp1251", "Привет, как дела? Я не знаю, что сказать. Это была очень длинная ночь."),
    "el": ("cp1253", "Καλημέρα, τι κάνεις; Δεν ξέρω τι να πω. Ήταν μια πολύ μεγάλη νύχτα."),
    "he": ("cp1255", "שלום, מה שלומך? אני לא יודע מה לומר. זה היה לילה ארוך מאוד."),
    "ar": ("cp1256", "مرحبا، كيف حالك؟ لا أعرف ماذا أقول. كانت ليلة طويلة جدا."),
    "ja": ("shift_jis", "こんにちは、元気ですか？何を言えばいいのかわかりません。"
                        "とても長い夜でした。"),
    "zh": ("gb18030", "你好，你好吗？我不知道该说什么。那是一个非常漫长的夜晚。"),
    "ko": ("euc-kr", "안녕하세요, 어떻게 지내세요? 무슨 말을 해야 할지 모르겠어요. "
                     "아주 긴 밤이었어요."),
}


@pytest.mark.parametrize("language", list(SAMPLES))
def test_detection_matrix(language: str) -> None:
    """Short legacy-encoded texts decode correctly, or are refused: never wrong text.

    (Arabic in cp1256 is refused with charset-normalizer 3.4.7, whose only guesses are
    Japanese code pages; the user then sets ``encoding: cp1256``.)
    """
    encoding, text = SAMPLES[language]
    data = text.encode(encoding)
    try:
        decoded = decode_bytes(data, file="s.txt")
    except StoryFileError as error:
        assert language == "ar", error
        assert decode_bytes(data, file="s.txt", encoding=encoding).text == text
        return
    assert decoded.text == text
    assert codecs.lookup(decoded.encoding).name != "utf-8"


def test_icelandic_is_not_mistaken_for_turkish() -> None:
    decoded = decode_bytes(SAMPLES["is"][1].encode("cp1252"), file="s.txt")
    assert decoded.encoding == "cp1252"


def test_large_cp1252_file_is_sampled_and_still_detected() -> None:
    text = (SAMPLES["fr"][1] + "\n") * 20_000  # ~2.5 MB, over the 1 MiB sample
    decoded = decode_bytes(text.encode("cp1252"), file="s.txt")
    assert (decoded.encoding, decoded.text) == ("cp1252", text)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Hi there, it’s me\n".encode("utf-16-le"), "utf-16-le"),
        ("Hi there, it’s me\n".encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_bomless_utf16_when_the_nul_pattern_is_certain(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data, file="s.txt")
    assert (decoded.encoding, decoded.text) == (encoding, "Hi there, it’s me\n")


def test_nul_in_utf8_text_is_binary_with_offset() -> None:
    data = b"x" * 57 + b"\x00" + b"rest of the story"
    with pytest.raises(StoryFileError) as caught:
        decode_bytes(data, file="s.txt")
    assert caught.value.message == (
        "contains a NUL byte at byte offset 57: this looks like a binary file, not a story"
    )


def test_nul_character_in_utf16_file_reports_its_byte_offset() -> None:
    data = codecs.BOM_UTF16_LE + "abc\x00def".encode("utf-16-le")
    with pytest.raises(StoryFileError, match="NUL byte at byte offset 8:"):
        decode_bytes(data, file="s.txt")


def test_damaged_utf16_after_bom_reports_offset() -> None:
    data = codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xdc" + b"c\x00"
    with pytest.raises(StoryFileError, match=r"invalid UTF-16LE at byte offset 6 \(0x00 0xdc\)"):
        decode_bytes(data, file="s.txt")


UTF8_STORY = "The Title\n\n“Don’t,” she said to the river — and it said nothing back.\n"


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
@pytest.mark.parametrize("extra", ["", "!"])  # an even and an odd number of bytes after it
def test_a_utf16_mark_before_utf8_text_is_read_as_utf8_with_a_warning(bom: bytes,
                                                                      extra: str) -> None:
    """Was "no story text" (even length: read as CJK) or "damaged UTF-16" (odd length)."""
    decoded = decode_bytes(bom + (UTF8_STORY + extra).encode("utf-8"), file="s.txt")
    assert decoded.text == UTF8_STORY + extra
    assert decoded.encoding == "utf-8"
    (finding,) = [d for d in decoded.diagnostics if d.code == "FB104"]
    assert finding.severity is Severity.WARNING and finding.line == 1
    assert "UTF-16" in finding.message and "UTF-8" in finding.message


@pytest.mark.parametrize("text", ["中文故事，没有空格", UTF8_STORY, "Ab\nc"])
def test_real_utf16_after_its_mark_is_still_utf16(text: str) -> None:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        decoded = decode_bytes(bom + text.encode(codec), file="s.txt")
        assert decoded.text == text and decoded.encoding == codec
        assert not [d for d in decoded.diagnostics if d.code == "FB104"]


@pytest.mark.parametrize(
    ("magic", "what"),
    [
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xff\xd8\xff\xe0", "JPEG image"),
        (b"%PDF-1.7\n", "PDF document"),
        (b"PK\x03\x04", "ZIP archive"),
        (b"GIF89a", "GIF image"),
        (b"{\\rtf1\\ansi Story", "RTF document"),
    ],
)
def test_binary_signatures_are_refused(magic: bytes, what: str) -> None:
    with pytest.raises(StoryFileError) as caught:
        decode_bytes(magic + b" then some words", file="story.txt")
    assert what in caught.value.message
    assert "byte offset 0" in caught.value.message


# ---------------------------------------------------------------------- declared encoding


def test_declared_encoding_overrides_detection() -> None:
    data = "Café".encode("cp1252")
    decoded = decode_bytes(data, file="s.txt", encoding="iso-8859-15")
    assert decoded.encoding == "iso8859-15"
    assert decoded.text == "Café"
    assert "metadata.yaml" in decoded.diagnostics[0].message
    # Would have been read as cp1252, where 0xA4 is "¤", not ISO-8859-15's "€".
    assert decode_bytes(b"5 \xa4 ok", file="s.txt", encoding="latin9").text == "5 € ok"


def test_declared_utf8_strips_a_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + b"Hi", file="s.txt", encoding="utf-8").text == "Hi"


@pytest.mark.parametrize("name", ["utf-9", "base64", "rot13", "klingon"])
def test_unknown_declared_encoding_is_named(name: str) -> None:
    with pytest.raises(StoryFileError) as caught:
        decode_bytes(b"Story text", file="s.txt", encoding=name)
    assert repr(name) in caught.value.message
    assert caught.value.file == "s.txt"


def test_unknown_declared_encoding_suggests_a_close_name() -> None:
    with pytest.raises(StoryFileError) as caught:
        decode_bytes(b"Story text", file="s.txt", encoding="cp125")
    assert "did you mean" in (caught.value.hint or "")


def test_declared_encoding_that_does_not_fit_names_it_and_the_offset() -> None:
    data = "Caf\u00e9 and more".encode("cp1252")
    with pytest.raises(StoryFileError) as caught:
        decode_bytes(data, file="s.txt", encoding="utf-8")
    assert "utf-8 (the encoding set in metadata.yaml) at byte offset 3 (0xe9)" in (
        caught.value.message
    )


# ---------------------------------------------------------------------------- read_story


def test_missing_file_suggests_a_near_name(tmp_path: Path) -> None:
    (tmp_path / "chapter-one.txt").write_text("Story")
    with pytest.raises(StoryFileError) as caught:
        read_story(tmp_path / "chapter-0ne.txt", display_name="chapter-0ne.txt")
    assert caught.value.message == "story file not found"
    assert caught.value.file == "chapter-0ne.txt"
    assert "chapter-one.txt" in (caught.value.hint or "")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoryFileError, match="is a folder"):
        read_story(tmp_path, display_name="stories")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(StoryFileError, match="not a regular file"):
        read_story(fifo, display_name="pipe.txt")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_file_really_chmod_000(tmp_path: Path) -> None:
    story = tmp_path / "locked.txt"
    story.write_text("Story")
    story.chmod(0)
    try:
        with pytest.raises(StoryFileError, match="permission denied"):
            read_story(story, display_name="locked.txt")
    finally:
        story.chmod(0o644)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    story = tmp_path / "locked.txt"
    story.write_text("Story")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(StoryFileError) as caught:
        read_story(story, display_name="locked.txt")
    assert caught.value.message == "cannot be read: permission denied"
    assert caught.value.file == "locked.txt"
    assert caught.value.hint


def test_other_os_errors_become_story_file_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Story")

    def broken(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "open", broken)
    with pytest.raises(StoryFileError, match="Input/output error"):
        read_story(story, display_name="story.txt")


def test_oversize_file_names_the_limit_and_the_setting(tmp_path: Path) -> None:
    story = tmp_path / "big.txt"
    story.write_bytes(b"word " * 100)
    with pytest.raises(StoryFileError) as caught:
        read_story(story, display_name="big.txt", max_bytes=100)
    assert caught.value.message == "is 500 bytes, larger than the 100 bytes limit for one story"
    assert "max_story_mb" in (caught.value.hint or "")
    assert read_story(story, display_name="big.txt", max_bytes=500).text == "word " * 100


def test_default_limit_is_64_mib() -> None:
    assert DEFAULT_MAX_STORY_BYTES == 64 * 1024 * 1024


def test_read_story_passes_the_declared_encoding(tmp_path: Path) -> None:
    story = tmp_path / "ru.txt"
    story.write_bytes("Привет".encode("koi8-r"))
    assert read_story(story, display_name="ru.txt", encoding="koi8-r").text == "Привет"


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seeds_decode_as_plain_utf8(seed: Path) -> None:
    decoded = read_story(seed, display_name=seed.name)
    assert decoded.encoding == "utf-8"
    assert decoded.diagnostics == ()
    assert decoded.text == seed.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- properties

ENCODINGS = st.sampled_from([None, None, None, "utf-8", "cp1252", "utf-16", "shift_jis", "idna"])


# Each property counts how many inputs were decoded, not refused, and asserts a floor
# (about half of a typical run): a strategy whose inputs were all refused would pass
# while testing nothing.


def test_random_bytes_only_ever_raise_story_file_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None)
    @given(data=st.binary(max_size=300), encoding=ENCODINGS)
    def check(data: bytes, encoding: str | None) -> None:
        try:
            decoded = decode_bytes(data, file="r.txt", encoding=encoding)
        except StoryFileError as error:
            assert error.file == "r.txt"
            outcomes["refused"] += 1
            return
        assert isinstance(decoded.text, str)
        assert "\x00" not in decoded.text
        assert not decoded.text.startswith("\ufeff")
        outcomes["decoded"] += 1

    check()
    assert outcomes["decoded"] >= 35, outcomes


def test_mostly_text_bytes_only_ever_raise_story_file_error() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None)
    @given(data=st.binary(max_size=200))
    def check(data: bytes) -> None:
        story = b"Once upon a time \xe2\x80\x9cshe\xe2\x80\x9d said " + data + b" and left.\n"
        try:
            decode_bytes(story, file="r.txt")
        except StoryFileError as error:
            assert error.file == "r.txt"
            outcomes["refused"] += 1
            return
        outcomes["decoded"] += 1

    check()
    assert outcomes["decoded"] >= 50, outcomes


def test_any_nonblank_utf8_is_read_as_utf8() -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=200, deadline=None)
    @given(text=st.text(min_size=1).filter(lambda s: "\x00" not in s and s.strip()))
    def check(text: str) -> None:
        data = text.encode("utf-8")
        try:
            decoded = decode_bytes(data, file="u.txt")
        except StoryFileError as error:
            # Only a binary signature or invisible-only content may be refused.
            assert "signature" in error.message or "blank" in error.message
            outcomes["refused"] += 1
            return
        assert decoded.encoding in ("utf-8", "utf-8-sig")
        outcomes["decoded"] += 1

    check()
    assert outcomes["decoded"] >= 100, outcomes
