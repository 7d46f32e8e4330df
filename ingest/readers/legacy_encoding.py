"""Legacy Vietnamese encodings (TCVN3/ABC, VNI, VISCII, Windows-1258) -> Unicode NFC.

Documents typed before Unicode use a font whose glyphs sit on Latin-1 code points: a TCVN3 file
written with .VnTime shows "§iÒu 1" where the reader sees "Điều 1", a VNI-Times file "Ñieàu 1".
Those characters reach us as a "surface": the raw bytes read as Latin-1 (a .txt file), or the
same code points inside a Unicode container (a DOCX run, an HTML page saved from Word).

The tables are the published layouts, not guesses:
- TCVN3 (TCVN 5712:1993, "ABC"): one byte per letter, 0xA1–0xFE, lower case only; upper-case
  accented letters exist only as the same bytes drawn by an "H" font (.VnTimeH).
- VNI (VNI-Windows): a base letter followed by one mark byte (tone, circumflex, breve, or both),
  plus single bytes for đ ơ ư ị ỉ ĩ; the VNI table is generated from that rule below.
- VISCII (RFC 1456): a full 8-bit charset, 134 precomposed letters.
- Windows-1258: Python's codec (base letters + combining tones, composed by NFC).
The TCVN3 and VISCII tables are checked against glibc's iconv in the tests. The PyPI package
viparse (0.1.31) was weighed instead: its TCVN3 and VISCII tables agree with these entry for entry,
but its VNI table is derived from a small corpus and lacks ẳ/Ẳ, its tables are internal modules
of a young single-maintainer loader framework, and its detector is a character-frequency model;
the tables are short and standard, so they are kept here.

Which one a text is in is decided by what the conversion produces: the share of its non-ASCII
words that become valid Vietnamese syllables. Text that already reads as Vietnamese is never
converted, and a sample too small or too ambiguous to tell is left alone (the caller then refuses
the file rather than guess: a wrong guess silently corrupts the diacritics a citation quotes).

The tables, convert/encode and detect are pure; the reader-facing helpers at the end
(decode_legacy_bytes, fix_legacy_lines, docx_paragraph_text) also note the conversion, which
becomes a line of the document's warnings ("Đã chuyển mã từ TCVN3 sang Unicode …").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.vocab import nfc
from ingest.readers.notes import note

TCVN3, VNI, VISCII, CP1258 = "TCVN3", "VNI", "VISCII", "Windows-1258"
ENCODINGS = (TCVN3, VNI, VISCII)

# ---------------------------------------------------------------- TCVN3 (ABC)

_TCVN3_BYTES = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}

# ---------------------------------------------------------------- VNI (VNI-Windows)

# Mark byte (lower-case form; the upper-case letter's mark is the same byte minus 0x20) -> what it adds.
_VNI_TONES = {0xF9: "\u0301", 0xF8: "\u0300", 0xFB: "\u0309", 0xF5: "\u0303", 0xEF: "\u0323"}
_VNI_CIRCUMFLEX = {0xE2: "", 0xE1: "\u0301", 0xE0: "\u0300", 0xE5: "\u0309", 0xE3: "\u0303", 0xE4: "\u0323"}
_VNI_BREVE = {0xEA: "", 0xE9: "\u0301", 0xE8: "\u0300", 0xFA: "\u0309", 0xFC: "\u0303", 0xEB: "\u0323"}
# Single bytes: đ, ơ, ư, and the i's (Latin-1 has no spare i-with-mark slots to pair with "i").
_VNI_SINGLE = {0xF1: "đ", 0xF4: "ơ", 0xF6: "ư", 0xF2: "ị", 0xE6: "ỉ", 0xF3: "ĩ", 0xEC: "ì", 0xED: "í"}


def _vni_sequences() -> dict[str, str]:
    """Every VNI sequence -> its letter, generated from the layout rule (lower and upper case)."""
    lower: dict[str, str] = {}
    for base in "aeiouy":
        for mark, tone in _VNI_TONES.items():
            if base != "i":  # the i's are single bytes
                lower[base + chr(mark)] = base + tone
    for base, marks in (("a", _VNI_CIRCUMFLEX), ("e", _VNI_CIRCUMFLEX), ("o", _VNI_CIRCUMFLEX), ("a", _VNI_BREVE)):
        shape = "\u0302" if marks is _VNI_CIRCUMFLEX else "\u0306"
        for mark, tone in marks.items():
            lower[base + chr(mark)] = base + shape + tone
    for base, letter in ((0xF4, "ơ"), (0xF6, "ư")):
        for mark, tone in _VNI_TONES.items():
            lower[chr(base) + chr(mark)] = letter + tone
    for byte, letter in _VNI_SINGLE.items():
        lower[chr(byte)] = letter
    table: dict[str, str] = {}
    for seq, letter in lower.items():
        letter = nfc(letter)
        table[seq] = letter
        upper_seq = "".join(c.upper() if c.isascii() else chr(ord(c) - 0x20) for c in seq)
        table[upper_seq] = letter.upper()
        if len(seq) == 2:  # title case typed with a lower-case mark ("Aù") still means "Á"
            table[upper_seq[0] + seq[1]] = letter.upper()
    return table


# ---------------------------------------------------------------- VISCII (RFC 1456)

_VISCII_BYTES = dict(zip(
    [0x02, 0x05, 0x06, 0x14, 0x19, 0x1E, *range(0x80, 0x100)],
    "ẲẴẪỶỸỴ"
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐ" "ỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ" "Õắằặấầẩậẽẹếềểễệố" "ồổỗỠƠộờởịỰỨỪỬơớƯ"
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳ" "ĐứÒÓÔạỷừửÙÚỹỵÝỡư" "àáâãảăữẫèéêẻìíĩỉ" "đựòóôõỏọụùúũủýợỮ",
))

_TABLES: dict[str, dict[str, str]] = {
    TCVN3: {chr(b): u for b, u in _TCVN3_BYTES.items()},
    VNI: _vni_sequences(),
    VISCII: {chr(b): u for b, u in _VISCII_BYTES.items()},
}


def _compile(table: dict[str, str]) -> re.Pattern:
    return re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))


_PATTERNS = {name: _compile(table) for name, table in _TABLES.items()}


def convert(text: str, encoding: str) -> str:
    """A legacy surface -> Unicode NFC. Characters outside the table pass through unchanged."""
    if encoding == CP1258:
        return nfc(text.encode("latin-1", "ignore").decode("cp1258", "replace"))
    if encoding not in _TABLES:
        raise ValueError(f"bảng mã không hỗ trợ: {encoding}")
    table = _TABLES[encoding]
    return nfc(_PATTERNS[encoding].sub(lambda m: table[m.group(0)], text))


def encode(text: str, encoding: str) -> str:
    """Unicode -> the legacy surface (the reverse tables; used to build test documents).

    TCVN3 has no upper-case accented letters: they are written with the lower-case byte, as
    typed for an "H" font (see upper_case_heading_lines)."""
    reverse: dict[str, str] = {}
    for seq, letter in _TABLES[encoding].items():
        if encoding == VNI and seq[0].isupper() and not seq[1:2].isupper() and len(seq) == 2:
            continue  # keep the canonical upper-case mark for upper-case letters
        reverse.setdefault(letter, seq)
    if encoding == TCVN3:
        for seq, letter in _TABLES[TCVN3].items():
            reverse.setdefault(letter.upper(), seq)
    return "".join(reverse.get(c, c) for c in nfc(text))


# ---------------------------------------------------------------- detection

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_SYLLABLE = re.compile(rf"^(?:{_ONSETS})?[aăâeêioôơuưy]{{1,3}}(?:ch|ng|nh|c|m|n|p|t)?$")
# A "word" of a surface: everything between spaces, digits and ASCII punctuation (legacy letters
# such as "§" or "¸" are symbols to Unicode, so \w cannot find the words).
_SURFACE_WORD = re.compile(r"[^\s0-9!-/:-@\[-`{-~\u2010-\u201f\u2026]+")
# Below this many non-ASCII words the evidence is too thin to convert anything.
MIN_EVIDENCE = 8
# A converted text must read as Vietnamese at least this well …
MIN_VALID = 0.85
# … and at least this much better than as it stands, and better than the runner-up.
MIN_GAIN = 0.4
MIN_LEAD = 0.1


def is_vietnamese_syllable(word: str) -> bool:
    """One written Vietnamese syllable ("Điều", "khoản", "nghiêng"): onset, vowels, coda, one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in decomposed) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return bool(_SYLLABLE.match(toneless))


def _evidence(surface: str, limit: int = 2000) -> list[str]:
    words = [w for w in _SURFACE_WORD.findall(surface) if not w.isascii()]
    return words[:limit]


def _score(words: list[str], encoding: str | None) -> float:
    if not words:
        return 0.0
    converted = words if encoding is None else [convert(w, encoding) for w in words]
    return sum(is_vietnamese_syllable(w) for w in converted) / len(words)


@dataclass(frozen=True)
class Detection:
    encoding: str | None  # None: leave the text as it is
    score: float  # share of non-ASCII words that read as Vietnamese after conversion
    evidence: int  # how many non-ASCII words were judged


def detect(surface: str, candidates=ENCODINGS) -> Detection:
    """Which legacy encoding `surface` is in, or None when it already reads as Vietnamese, is not
    Vietnamese, or is too short or too ambiguous to tell."""
    words = _evidence(surface)
    if len(words) < MIN_EVIDENCE:
        return Detection(None, 0.0, len(words))
    as_is = _score(words, None)
    if as_is > 1 - MIN_GAIN:  # already reads as Vietnamese: no conversion could gain enough
        return Detection(None, as_is, len(words))
    ranked = sorted(((_score(words, enc), enc) for enc in candidates), reverse=True)
    best, enc = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best >= MIN_VALID and best - as_is >= MIN_GAIN and best - runner_up >= MIN_LEAD:
        return Detection(enc, best, len(words))
    return Detection(None, as_is, len(words))


# ---------------------------------------------------------------- TCVN3 upper case

_UPPER_ASCII = re.compile(r"[A-Z]")
_LOWER_ASCII = re.compile(r"[a-z]")


def upper_case_heading_lines(lines: list[str]) -> list[str]:
    """TCVN3 text without its fonts: a line typed in an "H" font (.VnTimeH) has upper-case ASCII
    letters and lower-case accented ones ("NGHị ĐịNH"). Such a line was upper case on the page."""
    out = []
    for line in lines:
        if len(_UPPER_ASCII.findall(line)) >= 2 and not _LOWER_ASCII.search(line) and line != line.upper():
            line = line.upper()
        out.append(line)
    return out


def converted_note(encoding: str) -> str:
    """The warning shown in the preview and the ingest report."""
    return f"Đã chuyển mã từ {encoding} sang Unicode — kiểm tra lại dấu tiếng Việt trước khi dùng"


def convert_text(text: str, from_bytes: bool = False) -> tuple[str, str | None]:
    """Detect and convert a whole text: (text, encoding found or None). `from_bytes`: the text is
    raw bytes read as Latin-1, so Windows-1258 is a candidate too."""
    found = detect(text, ENCODINGS + ((CP1258,) if from_bytes else ()))
    if found.encoding is None:
        return text, None
    converted = convert(text, found.encoding)
    if found.encoding == TCVN3:
        converted = "\n".join(upper_case_heading_lines(converted.split("\n")))
    return converted, found.encoding


def decode_legacy_bytes(data: bytes) -> str | None:
    """Bytes that are not UTF-8: their Unicode text when they are TCVN3/VNI/VISCII/Windows-1258
    (noted for the document's warnings), else None."""
    text, encoding = convert_text(data.decode("latin-1"), from_bytes=True)
    if encoding is None:
        return None
    note(converted_note(encoding))
    return text


def fix_legacy_lines(lines: list[str]) -> list[str]:
    """Lines whose characters are a legacy surface (a .VnTime PDF, a UTF-8 file pasted from a
    TCVN3 document …) converted to Unicode and noted; any other lines returned unchanged."""
    text, encoding = convert_text("\n".join(lines))
    if encoding is None:
        return lines
    note(converted_note(encoding))
    return text.split("\n")


# ---------------------------------------------------------------- DOCX runs

# Fonts of each legacy encoding: .VnTime, .VnArial, .VnTimeH …; VNI-Times, VNI-Helve …
_TCVN3_FONT = re.compile(r"^(?:[A-Z]{6}\+)?\.?vn", re.I)
_VNI_FONT = re.compile(r"^(?:[A-Z]{6}\+)?vni[-_ ]", re.I)


def font_encoding(font: str | None) -> str | None:
    if not font:
        return None
    font = font.strip()
    if _VNI_FONT.match(font):
        return VNI
    if font.startswith(".") and _TCVN3_FONT.match(font):
        return TCVN3
    return None


def is_heading_font(font: str) -> bool:
    """.VnTimeH, .VnArialH …: the TCVN3 fonts that draw every letter upper case."""
    return font_encoding(font) == TCVN3 and font.rstrip().endswith("H")


def docx_paragraph_text(paragraph) -> str | None:
    """The Unicode text of a python-docx paragraph some of whose runs use legacy fonts (each such
    run converted by its font's encoding, and noted); None when no run does."""
    from docx.oxml.ns import qn
    from docx.text.hyperlink import Hyperlink

    runs = []
    for item in paragraph.iter_inner_content():
        runs.extend(item.runs if isinstance(item, Hyperlink) else [item])
    fonts = [_run_font(run, paragraph) for run in runs]
    if not any(font_encoding(f) for f in fonts):
        return None
    parts = []
    for run, font in zip(runs, fonts):
        encoding = font_encoding(font)
        if encoding is None:
            parts.append(run.text)
            continue
        # Word stores TCVN3's "ư" (byte 0xAD, the soft-hyphen slot) as <w:softHyphen/>, which
        # python-docx's run.text drops: read the run's children ourselves.
        raw = "".join("\xad" if child.tag == qn("w:softHyphen") else str(child)
                      for child in run._r.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab | w:softHyphen"))
        text = convert(raw, encoding)
        if encoding == TCVN3 and is_heading_font(font):
            text = text.upper()
        parts.append(text)
        note(converted_note(encoding))
    return "".join(parts)


def _run_font(run, paragraph) -> str | None:
    """The font that draws the run's non-ASCII characters: the run's own, else its character
    style's, else the paragraph style chain's, else the document default."""
    from docx.oxml.ns import qn

    def rfonts(el):
        rpr = el.find(qn("w:rPr")) if el is not None else None
        fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        if fonts is None:
            return None
        # Word draws characters above 0x7F with the hAnsi font
        return fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:ascii"))

    chain = [run._r]
    styles = getattr(paragraph.part, "styles", None)
    rpr = run._r.rPr
    if styles is not None and rpr is not None and rpr.rStyle is not None:
        chain.append(styles.element.get_by_id(rpr.rStyle.val))
    style = paragraph.style
    while style is not None and len(chain) < 12:
        chain.append(style.element)
        style = style.base_style
    if styles is not None:
        defaults = styles.element.find(qn("w:docDefaults"))
        chain.append(defaults.find(qn("w:rPrDefault")) if defaults is not None else None)
    for el in chain:
        found = rfonts(el)
        if found:
            return found
    return None


def uses_legacy_fonts(document) -> bool:
    """Does any run, style or default of a python-docx Document name a TCVN3/VNI font? (One pass
    over the XML, so that ordinary documents skip the per-run font resolution.)"""
    from docx.oxml.ns import qn

    roots = [document.element]
    styles = getattr(document.part, "styles", None)
    if styles is not None:
        roots.append(styles.element)
    for root in roots:
        for fonts in root.iter(qn("w:rFonts")):
            if font_encoding(fonts.get(qn("w:hAnsi"))) or font_encoding(fonts.get(qn("w:ascii"))):
                return True
    return False
