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

Which one a text is in is decided by what the conversion produces: a table must turn words that
are not Vietnamese syllables into ones that are (words that read as Vietnamese either way decide
nothing). A sample too small or too ambiguous to tell is left alone (the caller then refuses the
file rather than guess: a wrong guess silently corrupts the diacritics a citation quotes). Then
each line (each run of a DOCX) is converted only where its own words say so: a line holding a
letter no legacy byte can be ("ư", "ạ", "ứ" …) is Unicode already, so a file a legacy document
was pasted into, or a .VnTime document someone went on typing in Unicode, is converted part by
part, and the note names the lines converted.

The tables, convert/encode, detect and unit_vote are pure; the reader-facing helpers at the end
(decode_legacy_bytes, fix_legacy_lines, docx_paragraph_text) also note the conversion, which
becomes a line of the document's warnings ("Đã chuyển mã từ TCVN3 sang Unicode …").
"""
from __future__ import annotations

import itertools
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
# One byte per letter (TCVN3, VISCII): str.translate, several times faster than a regex on long files.
_TRANSLATIONS = {name: str.maketrans(table) for name, table in _TABLES.items() if all(len(k) == 1 for k in table)}


def convert(text: str, encoding: str) -> str:
    """A legacy surface -> Unicode NFC. Characters outside the table pass through unchanged."""
    if encoding == CP1258:
        return nfc(text.encode("latin-1", "ignore").decode("cp1258", "replace"))
    if encoding not in _TABLES:
        raise ValueError(f"bảng mã không hỗ trợ: {encoding}")
    if encoding in _TRANSLATIONS:
        return nfc(text.translate(_TRANSLATIONS[encoding]))
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
# What may stick to a word without being part of it: Windows-1258 writes “ ” – … as bytes 0x80–0x9F
# (C1 controls when read as Latin-1, quotes and dashes once decoded).
_EDGE = "".join(map(chr, range(0x80, 0xA0))) + "".join(map(chr, range(0x2010, 0x2070))) + "\u2122"
# Vietnamese letters above U+00FF ("ư", "ạ", "ế" …): no legacy surface holds them (every legacy
# byte reads as a code point up to U+00FF), so a line or run with one of them is already Unicode.
_UNICODE_ONLY = re.compile("[" + "".join(sorted({c for table in (_TABLES[VNI], _TABLES[VISCII])
                                                 for c in table.values() if len(c) == 1 and ord(c) > 0xFF})) + "]")
# Below this many non-ASCII words the evidence is too thin to convert anything.
MIN_EVIDENCE = 8
# A converted text must read as Vietnamese at least this well …
MIN_VALID = 0.85
# … turn at least this many words that are not Vietnamese into Vietnamese ones (and more than it
# spoils), and read better than the runner-up table: by MIN_LEAD overall, or else on the words
# where the two tables disagree.
MIN_GAINS = 4
MIN_LEAD = 0.1


def is_vietnamese_syllable(word: str) -> bool:
    """One written Vietnamese syllable ("Điều", "khoản", "nghiêng"): onset, vowels, coda, one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in decomposed) > 1:
        return False
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return bool(_SYLLABLE.match(toneless))


def _reads_vietnamese(word: str) -> bool:
    return is_vietnamese_syllable(word.strip(_EDGE))


def _evidence(surface: str, limit: int = 2000) -> list[str]:
    """The first non-ASCII words that could be a legacy surface (not those already in Unicode)."""
    words = (m.group(0) for m in _SURFACE_WORD.finditer(surface))
    return list(itertools.islice((w for w in words if not w.isascii() and not _UNICODE_ONLY.search(w)), limit))


def _score(words: list[str], encoding: str | None) -> float:
    if not words:
        return 0.0
    converted = words if encoding is None else [convert(w, encoding) for w in words]
    return sum(_reads_vietnamese(w) for w in converted) / len(words)


def _word_vote(word: str, encoding: str) -> int:
    """+1: the conversion makes `word` Vietnamese and it was not; -1: it spoils a Vietnamese word;
    0: it leaves the word alone, or the word reads as Vietnamese (or not) either way."""
    converted = convert(word, encoding)
    if converted == word:
        return 0
    before, after = _reads_vietnamese(word), _reads_vietnamese(converted)
    return int(after and not before) - int(before and not after)


def _gain_loss(words, encoding: str, cache: dict[str, int] | None = None) -> tuple[int, int]:
    """How many `words` the conversion makes Vietnamese, and how many it spoils (_word_vote).
    `cache`: votes already known (a document repeats its words: a long one is judged in seconds)."""
    gain = loss = 0
    for w in words:
        vote = cache.get(w) if cache is not None else None
        if vote is None:
            vote = _word_vote(w, encoding)
            if cache is not None:
                cache[w] = vote
        gain += vote > 0
        loss += vote < 0
    return gain, loss


def _duel(words: list[str], a: str, b: str) -> tuple[int, int]:
    """Words that read as Vietnamese through table `a` and not through `b`, and the reverse."""
    a_wins = b_wins = 0
    for w in words:
        by_a, by_b = _reads_vietnamese(convert(w, a)), _reads_vietnamese(convert(w, b))
        a_wins += by_a and not by_b
        b_wins += by_b and not by_a
    return a_wins, b_wins


@dataclass(frozen=True)
class Detection:
    encoding: str | None  # None: leave the text as it is
    score: float  # share of the judged words that read as Vietnamese after conversion
    evidence: int  # how many non-ASCII words were judged


def detect(surface: str, candidates=ENCODINGS) -> Detection:
    """Which legacy encoding (some of) `surface` is in, or None when it already reads as Vietnamese,
    is not Vietnamese, or is too short or too ambiguous to tell.

    Judged on the words a table changes: it must turn words that are not Vietnamese into Vietnamese
    ones. Words that read as Vietnamese either way ("cá" is also TCVN3 for "cỏ") decide nothing,
    which is why Windows-1258 (whose letters à á â … are also Latin-1's) is found at all."""
    words = _evidence(surface)
    if len(words) < MIN_EVIDENCE:
        return Detection(None, 0.0, len(words))
    ranked = sorted(((_score(words, enc), enc) for enc in candidates), reverse=True)
    best, enc = ranked[0]
    gain, loss = _gain_loss(words, enc)
    if best < MIN_VALID or gain < MIN_GAINS or gain <= 2 * loss:
        return Detection(None, _score(words, None), len(words))
    if len(ranked) > 1 and best - ranked[1][0] < MIN_LEAD:
        wins, losses = _duel(words, enc, ranked[1][1])
        if wins < MIN_GAINS or losses * 5 > wins:
            return Detection(None, _score(words, None), len(words))
    return Detection(enc, best, len(words))


def unit_vote(text: str, encoding: str, cache: dict[str, int] | None = None) -> bool | None:
    """Should this line (or run) be converted from `encoding`? True when its words read as
    Vietnamese only once converted; False when it holds letters no legacy surface can (it is
    Unicode already), or when conversion spoils more words than it mends; None when nothing tells."""
    if _UNICODE_ONLY.search(text):
        return False
    words = [w for w in _SURFACE_WORD.findall(text) if not w.isascii()]
    gain, loss = _gain_loss(words, encoding, cache)
    return True if gain > loss else False if loss > gain else None


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


# ---------------------------------------------------------------- converting lines, noting which

NOTE_SAMPLES = 8  # converted lines quoted in the note (the count says how many more)
NOTE_SAMPLE_CHARS = 60


def converted_note(encoding: str, converted: list[str] = (), kept: int = 0, unit: str = "dòng") -> str:
    """The warning shown in the preview and the ingest report. When only part of the text was
    converted (`kept` lines or runs with accents were Unicode already), it quotes the converted ones."""
    check = "kiểm tra lại dấu tiếng Việt trước khi dùng"
    if not kept:
        return f"Đã chuyển mã từ {encoding} sang Unicode — {check}"
    quoted = "; ".join("“" + (t if len(t) <= NOTE_SAMPLE_CHARS else t[:NOTE_SAMPLE_CHARS].rstrip() + "…") + "”"
                       for t in converted[:NOTE_SAMPLES])
    more = f" và {len(converted) - NOTE_SAMPLES} {unit} khác" if len(converted) > NOTE_SAMPLES else ""
    return (f"Đã chuyển mã từ {encoding} sang Unicode {len(converted)} {unit}; {kept} {unit} khác đã là Unicode "
            f"nên giữ nguyên. Các {unit} đã chuyển: {quoted}{more} — {check}")


def _fill(votes: list[bool | None]) -> list[bool]:
    """A line nothing decides goes with the line before it that was decided, else the one after."""
    out: list[bool | None] = list(votes)
    last = None
    for i, v in enumerate(out):
        out[i] = last if v is None else v
        last = out[i] if out[i] is not None else last
    nxt = None
    for i in range(len(out) - 1, -1, -1):
        if votes[i] is not None:
            nxt = votes[i]
        if out[i] is None:
            out[i] = nxt
    return [bool(v) for v in out]


def _convert_lines(lines: list[str], candidates, unicode_lines=frozenset()) -> tuple[list[str], int]:
    """(lines, how many were converted): see convert_lines."""
    found = detect("\n".join(l for i, l in enumerate(lines) if i not in unicode_lines), candidates)
    if found.encoding is None:
        return lines, 0
    enc = found.encoding
    cache: dict[str, int] = {}
    votes = [False if i in unicode_lines else unit_vote(line, enc, cache) for i, line in enumerate(lines)]
    out, converted, kept = [], [], 0
    for line, vote, yes in zip(lines, votes, _fill(votes)):
        new = convert(line, enc) if yes else line
        if enc == TCVN3 and new != line:
            new = upper_case_heading_lines([new])[0]
        if new != line:
            converted.append(new.strip())
        elif vote is False and not line.isascii():
            kept += 1
        out.append(new)
    if converted:
        note(converted_note(enc, converted, kept))
    return out, len(converted)


def convert_lines(lines: list[str], candidates=ENCODINGS, unicode_lines=frozenset()) -> list[str]:
    """Lines, some of which may be a legacy surface: the encoding is found on the whole text
    (detect), then each line is converted only where its own words say so (unit_vote); a line
    nothing decides goes with its neighbours. `unicode_lines`: indices known to be Unicode (decoded
    as UTF-8). The conversion is noted, quoting the converted lines when some were left as they were."""
    return _convert_lines(lines, candidates, unicode_lines)[0]


def decode_legacy_bytes(data: bytes) -> str | None:
    """Bytes that are not UTF-8: their Unicode text when (some of) their lines are TCVN3, VNI,
    VISCII or Windows-1258 (noted for the document's warnings), else None. A line that is valid
    UTF-8 is taken as Unicode: a file a legacy document was pasted into holds both."""
    lines, unicode_lines = [], set()
    for i, raw in enumerate(data.split(b"\n")):
        try:
            line = raw.decode("utf-8")
            if not line.isascii():
                unicode_lines.add(i)
        except UnicodeDecodeError:
            line = raw.decode("latin-1")  # the surface: each byte a code point, as the tables expect
        lines.append(line)
    out, converted = _convert_lines(lines, ENCODINGS + (CP1258,), frozenset(unicode_lines))
    return "\n".join(out) if converted else None


def fix_legacy_lines(lines: list[str]) -> list[str]:
    """Lines whose characters are a legacy surface (a .VnTime PDF, a UTF-8 file pasted from a
    TCVN3 document …) converted to Unicode and noted, line by line; any other lines unchanged."""
    return convert_lines(lines)


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


class RunTally:
    """What the legacy-font runs of one DOCX came to, noted once for the whole document: the
    paragraphs converted, and the runs left alone because they were Unicode already. `last`: the
    latest decided vote per encoding, for a run whose own words decide nothing."""

    def __init__(self):
        self.last: dict[str, bool] = {}
        self.converted: dict[str, list[str]] = {}
        self.kept: dict[str, int] = {}
        self.cache: dict[str, dict[str, int]] = {}  # per encoding: word -> its vote

    def vote(self, raw: str, encoding: str) -> bool:
        found = unit_vote(raw, encoding, self.cache.setdefault(encoding, {}))
        if found is None:  # nothing tells: as the runs before it went, else as the font says
            return self.last.get(encoding, True)
        self.last[encoding] = found
        if not found and not raw.isascii():
            self.kept[encoding] = self.kept.get(encoding, 0) + 1
        return found

    def emit(self) -> None:
        for encoding, paragraphs in self.converted.items():
            note(converted_note(encoding, paragraphs, self.kept.get(encoding, 0), unit="đoạn"))


def docx_paragraph_text(paragraph, tally: RunTally | None = None) -> str | None:
    """The Unicode text of a python-docx paragraph some of whose runs use legacy fonts, or None
    when no run does. Each such run is converted by its font's encoding unless its words show it
    is Unicode already (typed in Unicode with the old font left on); `tally` collects the outcome
    for the document's note (without one, it is noted at once)."""
    from docx.oxml.ns import qn
    from docx.text.hyperlink import Hyperlink

    runs = []
    for item in paragraph.iter_inner_content():
        runs.extend(item.runs if isinstance(item, Hyperlink) else [item])
    fonts = [_run_font(run, paragraph) for run in runs]
    if not any(font_encoding(f) for f in fonts):
        return None
    own = tally is None
    tally = tally or RunTally()
    parts, used = [], set()
    for run, font in zip(runs, fonts):
        encoding = font_encoding(font)
        if encoding is None:
            parts.append(run.text)
            continue
        # Word stores TCVN3's "ư" (byte 0xAD, the soft-hyphen slot) as <w:softHyphen/>, which
        # python-docx's run.text drops: read the run's children ourselves.
        raw = "".join("\xad" if child.tag == qn("w:softHyphen") else str(child)
                      for child in run._r.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab | w:softHyphen"))
        if not tally.vote(raw, encoding):
            parts.append(raw.replace("\xad", ""))  # Unicode: U+00AD is only an optional hyphen here
            continue
        text = convert(raw, encoding)
        if encoding == TCVN3 and is_heading_font(font):
            text = text.upper()
        parts.append(text)
        if text != raw:
            used.add(encoding)
    out = "".join(parts)
    for encoding in used:
        tally.converted.setdefault(encoding, []).append(out.strip())
    if own:
        tally.emit()
    return out


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
