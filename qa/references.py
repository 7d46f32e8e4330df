"""Parse and resolve Vietnamese legal references (pure functions, in the spirit of eyecite).

    parse_reference("k3 đ7 nđ 72/2015")
      -> ParsedReference(article="7", clause="3", doc_type="Nghị định", number="72/2015", year="2015")
    match_documents(ref, docs)          -> the best-scoring catalogued documents (ties = ambiguous)
    find_document_mentions(question, docs) -> keys of documents a free-text question names
    suggest_documents(text, docs)       -> nearest documents when a reference resolves to nothing
    format_reference(ref)               -> "Khoản 3 Điều 7 Nghị định 72/2015"

Parsing runs on a *folded* copy of the text (lower case, no diacritics, "đ" -> "d") that is
character-aligned with the NFC original, so every regex span maps straight back to the
original: names keep their diacritics and the point letter "đ" is told apart from "d".
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from core.vocab import (CODE_ABBREVIATIONS, NAMED_TYPES, NUMBER_TYPE_CODES, TYPE_WORDS, aligned_fold, fold,
                        nfc)
from ingest.identity import citation_string, document_key


@dataclass(frozen=True)
class DocDescriptor:
    """A loaded or catalogued document, as far as reference resolution needs it."""

    key: str  # "72/2015/NĐ-CP", or "luật phòng, chống ma túy" when there is no number
    number: str
    doc_type: str
    title: str
    aliases: tuple[str, ...] = ()  # other names or numbers staff use for it


@dataclass(frozen=True)
class ParsedReference:
    article: str = ""
    clause: str = ""
    point: str = ""
    doc_type: str = ""
    number: str = ""  # "72/2015/NĐ-CP", or partial: "72/2015", "72", "BTTTT-TTĐN"
    section: str = ""  # "Mục (2)" of a letter or an article without Điều: "(2)", "2", "I"
    year: str = ""
    name: str = ""  # document name words as written: "Báo chí", "phòng, chống ma túy"
    raw: str = ""


def make_descriptor(number: str, doc_type: str, title: str, aliases: tuple[str, ...] = ()) -> DocDescriptor:
    """Descriptor whose key follows ingest.identity.document_key."""
    return DocDescriptor(document_key(number, title, doc_type), nfc(number).strip(), doc_type, title, aliases)


# --- tables ---------------------------------------------------------------------------------

_TYPE_WORDS = TYPE_WORDS
_NAMED_TYPES = NAMED_TYPES
_CODE_ABBREVIATIONS = CODE_ABBREVIATIONS
_NUMBER_TYPE_CODES = NUMBER_TYPE_CODES
# Words that end a document name ("Luật Báo chí năm 2016", "Luật Cư trú thì …"). Compared with
# diacritics: folded "so", "co", "tai", "duoc" would cut "Sở hữu trí tuệ", "Cơ yếu", "Tài nguyên",
# "Dược". Typed without diacritics only these are safe; "so"/"nam" only before a number.
_NAME_STOP_WORDS = {"số", "năm", "của", "thì", "là", "có", "được", "theo", "tại", "ngày"}
_ASCII_NAME_STOP_WORDS = {"cua", "theo"}
_MAX_NAME_WORDS = 10
# Point letters in folded form ("đ" folds to "d"): the Vietnamese ones, and "f" of the texts that letter
# their points in the Latin order (a, b, c, d, e, f).
_POINT = r"[a-ik-vxy]"
_FILL = "\0"
_GLUED_TYPE_RE = re.compile(r"(?<![^\W\d_])((?i:nđ|nd|ttlt|tt|qđ|qd|nq|kl|cv|ct))(?=\d)")  # replaces consumed spans in the folded copy; never part of a word

# --- compiled patterns ------------------------------------------------------------------------

# Article / clause / point in any order. Alternation order matters: "điểm đ" is a point before
# the bare "đ" is tried as Điều, and "đ" means Điều only when a number follows ("đ.7", "Đ7").
# (?<![a-z]) instead of \b so compact forms like "k3đ7" split, while the "d" of "nd" does not.
_UNIT_RE = re.compile(
    rf"""(?<![a-z])(?:
        diem\s*\.?\s*(?P<point>{_POINT})(?![a-z0-9])
      | (?:dieu|d)\s*\.?\s*(?P<article>\d+(?:[a-z](?![a-z0-9]))?)(?!\d)
      | (?:khoan|k)\s*\.?\s*(?P<clause>\d+)(?!\d)
      | muc\s*\.?\s*(?P<section>\(\d+\)|\d+|[ivxlc]+(?![a-z]))
    )
    | (?<![a-z0-9])(?P<point_paren>{_POINT})\)""",
    re.X,
)
# Document numbers with a year and/or an issuer code; bare "72" is only taken after a type word.
_NUMBER_RE = re.compile(
    r"""(?<![\w/.-])(?:
        \d+[a-z]?(?:/\d{4})?/[a-z][a-z0-9]*(?:-[a-z0-9]+)*   # 72/2015/nd-cp, 3837/btttt-ttdn
      | \d+-[a-z]+/[a-z0-9]+(?:-[a-z0-9]+)*                  # 57-kl/tw
      | \d+/\d{4}                                            # 72/2015
    )(?![\w/])""",
    re.X,
)
_YEAR_IN_NUMBER_RE = re.compile(r"^\d+[a-z]?/(\d{4})(?:/|$)")
# Type words, longest first so "bo luat" wins over "luat"; "pháp luật" is not a Luật. A digit
# may follow directly ("NĐ72"); the guards keep "ND" inside "72/2015/ND-CP" from counting.
_TYPE_RE = re.compile(
    r"(?<![\w/-])(?<!phap )("
    + "|".join(sorted((re.escape(k) for k in {**_TYPE_WORDS, **_CODE_ABBREVIATIONS}), key=len, reverse=True))
    + r")(?![a-z/-])"
)
# What follows a type word: an optional "số" and a bare number ("Nghị định 72", "nđ số 72").
_BARE_NUMBER_AFTER_TYPE_RE = re.compile(r"[\s.:]*(?:so\b[\s.:]*)?(\d+[a-z]?)(?![\w/])")
# In questions a type word may also be followed by "number/year" ("Thông tư 03/2019").
_PARTIAL_NUMBER_AFTER_TYPE_RE = re.compile(r"[\s.:]*(?:so\b[\s.:]*)?(\d+[a-z]?(?:/\d{4})?)(?![\w/])")
# Name words after a type word; commas allowed inside ("phòng, chống ma túy").
_NAME_RE = re.compile(r"[\s.:]*([a-z]+(?:[\s,]+[a-z]+)*)")
_WORD_RE = re.compile(r"[a-z]+")
_STANDALONE_YEAR_RE = re.compile(r"(?<![\w/])((?:19|20)\d{2})(?![\w/])")
# Issuer code without a number ("Công văn BTTTT-TTĐN"): upper case in the original text.
_ISSUER_CODE_RE = re.compile(r"(?<![\w/-])([A-ZĐ]{2,}(?:-[A-ZĐ0-9]+)+)(?![\w/-])")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
# "BLDS" in a question is spelt out ("bo luat dan su") so it meets the catalogue's own phrases.
_CODE_ABBREVIATION_RE = re.compile(r"(?<![a-z0-9])(?:" + "|".join(_CODE_ABBREVIATIONS) + r")(?![a-z0-9])")


# --- parsing --------------------------------------------------------------------------------


_aligned_fold = aligned_fold


def _blank(folded: str, start: int, end: int) -> str:
    return folded[:start] + _FILL * (end - start) + folded[end:]


def _type_from_number(number: str) -> str:
    for part in re.split(r"[/-]", fold(number))[1:]:
        if part in _NUMBER_TYPE_CODES:
            return _NUMBER_TYPE_CODES[part]
    return ""


def _capture_name(text: str, folded: str, start: int) -> str:
    """Document name words right after a type word, cut at the first stop word."""
    m = _NAME_RE.match(folded, start)
    if not m:
        return ""
    end, words = None, list(_WORD_RE.finditer(folded, m.start(1), m.end(1)))
    for i, w in enumerate(words[:_MAX_NAME_WORDS]):
        word, after = text[w.start():w.end()].lower(), folded[w.end():].lstrip(" ")
        next_word = words[i + 1].group() if i + 1 < len(words) else ""
        before_number = after[:1].isdigit() or after[:1] == _FILL
        ascii_stop = word in _ASCII_NAME_STOP_WORDS or (
            word in ("so", "nam") and before_number and folded[w.start() - 5:w.start()] != "viet "
        )
        if word in _NAME_STOP_WORDS or ascii_stop or (w.group() == "quy" and next_word == "dinh"):
            break
        end = w.end()
    return text[m.start(1):end].strip(" ,") if end else ""


def parse_reference(text: str) -> ParsedReference:
    """Split a reference into article / clause / point / document parts (fields may be empty)."""
    # "nđ72/2015", "tt02/2019": people type the number against the abbreviation.
    raw = nfc(text).strip()
    original = _GLUED_TYPE_RE.sub(r"\1 ", raw)
    folded = _aligned_fold(original)
    units: dict[str, str] = {}
    units_span: dict[str, tuple[int, int]] = {}
    for m in _UNIT_RE.finditer(folded):
        kind = next(k for k in ("point", "article", "clause", "section", "point_paren") if m.group(k))
        field, start = ("point" if kind == "point_paren" else kind), m.start(kind)
        value = m.group(kind)
        if field == "point" and original[start] in "đĐ":
            value = "đ"
        units.setdefault(field, value)
        if field == "section":
            units_span.setdefault("section", m.span(kind))
        folded = _blank(folded, m.start(), m.end())

    number = year = doc_type = name = ""
    m = _NUMBER_RE.search(folded)
    if m:
        number = original[m.start():m.end()].upper()
        year_m = _YEAR_IN_NUMBER_RE.match(fold(number))
        year = year_m.group(1) if year_m else ""
        folded = _blank(folded, m.start(), m.end())
    elif code := _ISSUER_CODE_RE.search("".join(o if f != _FILL else " " for o, f in zip(original, folded))):
        number = code.group(1)
        folded = _blank(folded, code.start(1), code.end(1))

    m = _TYPE_RE.search(folded)
    if m:
        word = m.group(1)
        if word in _CODE_ABBREVIATIONS:
            doc_type, name = _CODE_ABBREVIATIONS[word]
        else:
            doc_type = _TYPE_WORDS[word]
            bare = _BARE_NUMBER_AFTER_TYPE_RE.match(folded, m.end())
            if bare and doc_type in _NAMED_TYPES and _STANDALONE_YEAR_RE.fullmatch(bare.group(1)):
                bare = None  # "Hiến pháp 2013", "Luật 2016": these are cited by year, not number
            if bare and not number:
                number = original[bare.start(1):bare.end(1)].upper()
                folded = _blank(folded, bare.start(1), bare.end(1))
            elif not bare:
                name = _capture_name(original, folded, m.end())
        folded = _blank(folded, m.start(), m.end())
    if not year:
        year_m = _STANDALONE_YEAR_RE.search(folded)
        year = year_m.group(1) if year_m else ""
    return ParsedReference(
        article=units.get("article", ""), clause=units.get("clause", ""), point=units.get("point", ""),
        doc_type=doc_type or _type_from_number(number), number=number, year=year, name=name, raw=raw,
        section=original[units_span["section"][0]:units_span["section"][1]] if "section" in units_span else "",
    )


# --- matching -------------------------------------------------------------------------------


def _norm_number(number: str) -> str:
    return re.sub(r"\s+", "", fold(number))


def _norm_words(text: str) -> str:
    """Folded words separated by single spaces: "Phòng, chống ma túy" -> "phong chong ma tuy"."""
    return _NON_ALNUM_RE.sub(" ", fold(text)).strip()


_TYPE_PREFIXES = sorted({_norm_words(t) for t in _TYPE_WORDS.values()}, key=len, reverse=True)


def _strip_type(name: str, doc_type: str = "") -> str:
    """Drop a leading type from a normalised name: "bo luat dan su" -> "dan su"."""
    for prefix in [_norm_words(doc_type)] * bool(doc_type) + _TYPE_PREFIXES:
        if name.startswith(prefix + " "):
            return name[len(prefix) + 1:]
    return name


def _doc_names(doc: DocDescriptor) -> set[str]:
    names = {_strip_type(_norm_words(t), doc.doc_type) for t in (doc.title, *doc.aliases)}
    return {n for n in names if n}


@dataclass(frozen=True)
class _Facts:
    """What matching compares of a document, normalised once per descriptor list, not once per
    question and document (the whole Pháp điển has 4,000 documents, a question several references)."""

    number: str
    aliases: frozenset[str]
    names: frozenset[str]
    year: str
    doc_type: str  # folded; "" when the document has no type


def _facts(doc: DocDescriptor) -> _Facts:
    number = _norm_number(doc.number)
    m = _YEAR_IN_NUMBER_RE.match(number)
    return _Facts(number, frozenset(_norm_number(a) for a in doc.aliases), frozenset(_doc_names(doc)),
                  m.group(1) if m else "", fold(doc.doc_type) if doc.doc_type else "")


class _DocTable:
    """Facts of every document of a list, and its numbers by exact value, by leading segments
    ("72", "72/2015" of "72/2015/nd-cp") and by what follows a "/" ("bttttt-ttdn"): a reference
    with a number is scored against the few documents it can match, never the whole list."""

    def __init__(self, docs: list[DocDescriptor]):
        self.docs = docs
        self.facts = [_facts(d) for d in docs]
        self._phrases: list[set[str] | None] = [None] * len(docs)
        self.exact: dict[str, list[int]] = {}
        self.prefix: dict[str, list[int]] = {}
        self.suffix: dict[str, list[int]] = {}
        for i, f in enumerate(self.facts):
            for n in {f.number, *f.aliases} - {""}:
                self.exact.setdefault(n, []).append(i)
            for p, ch in enumerate(f.number):
                if ch in "/-":
                    self.prefix.setdefault(f.number[:p], []).append(i)
                if ch == "/":
                    self.suffix.setdefault(f.number[p + 1:], []).append(i)

    def phrases(self, i: int) -> set[str]:
        """_mention_phrases of document i, computed when first asked (suggestions only)."""
        if self._phrases[i] is None:
            self._phrases[i] = _mention_phrases(self.docs[i])
        return self._phrases[i]

    def candidates(self, number: str) -> list[int]:
        """Indexes of the documents a (normalised) number can match, in list order."""
        found = {*self.exact.get(number, ()), *self.prefix.get(number, ()), *self.suffix.get(number, ())}
        return sorted(found)


_TABLE_CACHE: dict[int, _DocTable] = {}


def _doc_table(docs: list[DocDescriptor]) -> _DocTable:
    """Built once per descriptor list (the service keeps its lists until the registry changes)."""
    table = _TABLE_CACHE.get(id(docs))
    if table is not None and table.docs is docs:
        return table
    table = _DocTable(docs)
    if len(docs) >= 32:  # one-document lists (qa.amended) are cheap and would only churn the cache
        if len(_TABLE_CACHE) >= 8:
            _TABLE_CACHE.clear()
        _TABLE_CACHE[id(docs)] = table
    return table


@dataclass(frozen=True)
class _RefFacts:
    """The reference's side of matching, normalised once per call."""

    number: str
    name: str
    doc_type: str  # folded
    year: str

    @classmethod
    def of(cls, ref: ParsedReference) -> "_RefFacts":
        return cls(_norm_number(ref.number), _strip_type(_norm_words(ref.name), ref.doc_type),
                   fold(ref.doc_type) if ref.doc_type else "", ref.year)


def _score(ref: _RefFacts, doc: _Facts) -> int | None:
    """Higher is better; None when the document contradicts the reference."""
    score = 0
    number = ref.number
    if number:
        if number == doc.number or number in doc.aliases:
            score += 100
        elif doc.number and doc.number.startswith((number + "/", number + "-")):
            score += 60  # "72/2015", "Nghị định 72", "57"
        elif doc.number and doc.number.endswith("/" + number):
            score += 50  # issuer code only: "Công văn BTTTT-TTĐN"
        else:
            return None
    name = ref.name
    if name:
        if name in doc.names:
            score += 40
        elif any(f" {name} " in f" {n} " for n in doc.names):
            score += 20  # "Nghị định thông tin đối ngoại"
        elif not number:
            return None
    if ref.doc_type and doc.doc_type:
        if ref.doc_type == doc.doc_type:
            score += 10
        # "Luật Dân sự" is how people often name the Bộ luật Dân sự; an exact number outweighs a
        # mistyped document type.
        elif not ({ref.doc_type, doc.doc_type} <= {"luat", "bo luat"} or score >= 100):
            return None
    if ref.year:
        if doc.year and doc.year != ref.year:
            return None
        score += 5 if doc.year else 0
    if not number and not name:
        # Only a type: enough for the one Hiến pháp, never for "Nghị định" in general.
        return score if ref.doc_type == "hien phap" and score >= 10 else None
    return score


def match_documents(ref: ParsedReference, docs: list[DocDescriptor]) -> list[DocDescriptor]:
    """The best-scoring candidates: [] = not found, one = resolved, several = ambiguous (tie)."""
    table, facts = _doc_table(docs), _RefFacts.of(ref)
    # A number rules out every document outside its candidates (_score returns None for them).
    indexes = table.candidates(facts.number) if facts.number else range(len(docs))
    scored = [(s, docs[i]) for i in indexes if (s := _score(facts, table.facts[i])) is not None]
    if not scored:
        return []
    best = max(s for s, _ in scored)
    return [d for s, d in scored if s == best]


def resolution_message(ref: ParsedReference, candidates: list[DocDescriptor]) -> str:
    """Vietnamese explanation for a reference that resolved to nothing or to several documents."""
    label = format_reference(ref) or ref.raw
    if not candidates:
        return f"Không tìm thấy văn bản được dẫn chiếu trong “{label}”."
    if len(candidates) > 1:
        names = "; ".join(d.number or d.title for d in candidates)
        return f"“{label}” có thể chỉ nhiều văn bản: {names}. Vui lòng ghi rõ số hiệu văn bản."
    return ""


# --- questions ------------------------------------------------------------------------------


def _mention_phrases(doc: DocDescriptor) -> set[str]:
    """How a question names the document in words: "luat bao chi", "bo luat dan su"."""
    type_words = _norm_words(doc.doc_type)
    phrases = {f"{type_words} {n}".strip() for n in _doc_names(doc)} | {_norm_words(a) for a in doc.aliases}
    return {p for p in phrases if len(p.split()) >= 2 and p != type_words}


_PHRASE_CACHE: dict[int, tuple[list, dict, set]] = {}


def _phrase_index(docs: list[DocDescriptor]) -> tuple[dict[tuple[str, ...], list[str]], set[tuple[str, ...]]]:
    """Word sequence -> keys of the documents it names, built once per descriptor list (a question
    is then matched by looking up its n-grams, not by one pattern per document: the whole Pháp
    điển has 4,000 documents), and every prefix of those sequences: a question's n-gram is extended
    only while it is still the start of some name, so a long text costs its length, not its length
    times the longest title."""
    cached = _PHRASE_CACHE.get(id(docs))
    if cached is not None and cached[0] is docs:
        return cached[1], cached[2]
    index: dict[tuple[str, ...], list[str]] = {}
    for doc in docs:
        for phrase in _mention_phrases(doc):
            keys = index.setdefault(tuple(phrase.split()), [])
            if doc.key not in keys:
                keys.append(doc.key)
    prefixes = {words[:n] for words in index for n in range(2, len(words) + 1)}
    if len(_PHRASE_CACHE) >= 8:
        _PHRASE_CACHE.clear()
    _PHRASE_CACHE[id(docs)] = (docs, index, prefixes)
    return index, prefixes


def find_document_mentions(question: str, docs: list[DocDescriptor]) -> list[str]:
    """Keys of the documents a question names, in order of first mention.

    Fires on full numbers ("72/2015/NĐ-CP"), on a type word followed by a (partial) number
    ("Nghị định 72", "Thông tư 03/2019") and on a type followed by a title ("Luật Cư trú").
    A bare "luật" or "nghị định", or a date-like "12/2019" without a type word, names nothing.
    """
    original = nfc(question)
    folded = _aligned_fold(original)
    folded = _CODE_ABBREVIATION_RE.sub(lambda m: _norm_words(" ".join(_CODE_ABBREVIATIONS[m.group()])), folded)
    found: list[tuple[int, str]] = []
    for m in _NUMBER_RE.finditer(folded):
        if re.search(r"[a-z]", m.group()):  # has an issuer code: specific enough on its own
            found += [(m.start(), d.key) for d in match_documents(ParsedReference(number=m.group()), docs)]
    for m in _TYPE_RE.finditer(folded):
        if m.group(1) in _CODE_ABBREVIATIONS:
            continue
        bare = _PARTIAL_NUMBER_AFTER_TYPE_RE.match(folded, m.end())
        if bare:
            ref = ParsedReference(doc_type=_TYPE_WORDS[m.group(1)], number=bare.group(1))
            found += [(m.start(), d.key) for d in match_documents(ref, docs)]
    phrases, prefixes = _phrase_index(docs)
    tokens = [(m.start(), m.group()) for m in re.finditer(r"[a-z0-9]+", folded)]
    words = [w for _, w in tokens]
    for i, (start, _) in enumerate(tokens):
        for n in range(2, len(words) - i + 1):
            gram = tuple(words[i:i + n])
            if gram not in prefixes:
                break
            for key in phrases.get(gram, ()):
                found.append((start, key))
    keys: list[str] = []
    for _, key in sorted(found, key=lambda item: item[0]):
        if key not in keys:
            keys.append(key)
    return keys


# --- suggestions and formatting -------------------------------------------------------------


# A suggestion needs a similarity of 0.5, or 0.4 with the right type: below this, how low does not matter.
_SUGGEST_FLOOR = 0.35


def _similarity(a: str, b: str, floor: float = 0.0) -> float:
    """difflib's ratio; 0.0 when its cheap upper bounds already fall under `floor` (the whole Pháp
    điển is 4,000 documents to compare a reference with)."""
    if not (a and b):
        return 0.0
    if floor and 2 * min(len(a), len(b)) / (len(a) + len(b)) < floor:  # real_quick_ratio, before building a matcher
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b)
    if floor and matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def suggest_documents(text: str, docs: list[DocDescriptor], limit: int = 5) -> list[DocDescriptor]:
    """Nearest documents for a reference that matched nothing (fuzzy on number and name)."""
    ref = parse_reference(text)
    number = _norm_number(ref.number)
    name = _strip_type(_norm_words(ref.name), ref.doc_type)
    whole = _norm_words(text) if not (number or name) else ""
    segments = 2 * len(re.split(r"[/-]", number)) - 1
    table, floor = _doc_table(docs), _SUGGEST_FLOOR
    scored = []
    for i, doc in enumerate(docs):
        facts = table.facts[i]
        doc_number = facts.number
        # Compare a partial number with as many segments of the document number.
        prefix = "".join(re.split(r"([/-])", doc_number)[:segments])
        score = max(
            _similarity(number, doc_number, floor),
            _similarity(number, prefix, floor),
            *(_similarity(name, n, floor) for n in facts.names),
            *(_similarity(whole, p, floor) for p in (table.phrases(i) | {doc_number} if whole else ())),
            0.0,
        )
        if ref.doc_type and fold(ref.doc_type) == fold(doc.doc_type):
            score += 0.1
        if score >= 0.5:
            scored.append((score, doc))
    scored.sort(key=lambda item: item[0], reverse=True)  # stable: ties keep catalogue order
    return [d for _, d in scored[:limit]]


def format_reference(ref: ParsedReference) -> str:
    """Human form for messages, most specific first: "Khoản 3 Điều 7 Nghị định 72/2015"."""
    document = " ".join(p for p in (ref.doc_type, ref.name, ref.number) if p)
    if ref.year and ref.year not in ref.number:
        document = f"{document} năm {ref.year}".strip()
    return citation_string(document, "dieu", ref.article, ref.clause, ref.point)

