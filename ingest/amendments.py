"""Amendment relations: which unit of which document another document changes, how, from when
(pure functions over ingest.model dataclasses).

    amendments_in(doc)        an amending document's own words:
        "1. Sửa đổi, bổ sung khoản 2 Điều 2 như sau: “2. …”"   (Nghị định 999/2099/NĐ-CP, synthetic)
        -> Amendment(target_key="998/2098/NĐ-CP", article="2", clause="2", action="amend", new_text="2. …",
                     effective_from="2099-07-01", amending_unit="Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP")
    phapdien_amendments(doc)  the Pháp điển source notes of an amended document:
        "…, có nội dung được sửa đổi bởi Điều 20 Luật số 35/2018/QH14 có hiệu lực thi hành kể từ ngày 01/01/2019"
        -> Amendment(article=<this article>, action="amend", partial=True, amending_key="35/2018/QH14", …)
    apply_amendments(units, amendments, as_of) -> the units as in force on a date, and what was repealed

Actions: "amend" (sửa đổi, bổ sung / thay thế a unit), "add" (bổ sung a new unit), "repeal" (bãi bỏ),
"replace_words" (thay thế cụm từ “A” bằng cụm từ “B”), "suspend" (ngưng hiệu lực). A Pháp điển note may
join several ("amend,add"): it does not say which change each document made.
"""
from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, replace

from core.vocab import DOC_TYPES, NUMBER_TYPE_CODES, POINT_LETTERS, aligned_fold, fold, iso_date, nfc
from ingest.crossrefs import find_cross_references
from ingest.identity import citation_string, document_key, document_name
from ingest.model import Article, Clause, LegalDocument, Point
from ingest.structure import split_clauses

ACTIONS = ("amend", "add", "repeal", "replace_words", "suspend")


@dataclass(frozen=True)
class Amendment:
    target_key: str  # document key of the amended document; "" when the words name it without a number
    target_ref: str  # the amended document as written: "Nghị định số 998/2098/NĐ-CP"
    article: str  # the unit changed; "" = the whole document (a phrase replaced throughout)
    clause: str = ""
    point: str = ""
    action: str = "amend"
    new_text: str = ""  # verbatim new text, without the quotes around it
    old_words: str = ""  # replace_words: “old” -> “new” ("" new = the words are dropped)
    new_words: str = ""
    effective_from: str = ""  # ISO date the change takes effect
    amending_key: str = ""
    amending_name: str = ""  # "Nghị định 999/2099/NĐ-CP"
    amending_unit: str = ""  # the amending provision: "Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP"
    source: str = "text"  # "text": the amending document's words; "phapdien": the amended article's source note
    partial: bool = False  # Pháp điển "có nội dung được …": part of the article changed, not which part
    note: str = ""  # the words the relation was read from, verbatim

    @property
    def unit(self) -> tuple[str, str, str]:
        return (self.article, self.clause, self.point)

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- documents named

_TYPE_ALT = "|".join(re.escape(t) for t in sorted((*DOC_TYPES, "Bộ Luật"), key=len, reverse=True))
# "Nghị định số 998/2098/NĐ-CP", "Luật số 35/2018/QH14", "Thông tư 05 /2019/TT-BGTVT" (a stray space)
_NUMBERED_DOC_RE = re.compile(
    rf"(?P<type>{_TYPE_ALT})(?:\s+liên\s+tịch)?\s+(?:số\s+)?(?P<number>\d+[a-zđ]?\s?/\s?[\w/.-]*[\w])", re.I)
# "Luật Tổ chức Cơ quan điều tra hình sự số 99/2015/QH13": the name between the type and the number
_NAMED_THEN_NUMBER_RE = re.compile(
    rf"(?P<type>{_TYPE_ALT})\b[^;:“”]{{0,150}}?\bsố\s+(?P<number>\d+[a-zđ]?/[\w/.-]*[\w])", re.I)
_AMENDING_WORDS_RE = re.compile(r"sua doi|bo sung|bai bo|thay the|huy bo")


def _canonical_type(word: str) -> str:
    return next((t for t in DOC_TYPES if t.lower() == word.lower()), word.capitalize())


def _doc_match(text: str):
    return _NUMBERED_DOC_RE.search(nfc(text)) or _NAMED_THEN_NUMBER_RE.search(nfc(text))


def named_document(text: str) -> tuple[str, str, str]:
    """(key, type, number) of the first document named with a number in `text`, or ("", "", "")."""
    m = _doc_match(text)
    if not m:
        return "", "", ""
    number = re.sub(r"\s+", "", m.group("number")).upper()
    doc_type = _canonical_type(m.group("type"))
    return document_key(number, "", doc_type), doc_type, number


def _amended_document(text: str) -> tuple[str, str]:
    """(key, words as written) of the document an amending title or article heading names:
    "Sửa đổi, bổ sung một số điều của Nghị định số 998/2098/NĐ-CP …"; ("", "") when it names none."""
    if not _AMENDING_WORDS_RE.search(fold(text or "")):
        return "", ""
    m = _NUMBERED_DOC_RE.search(nfc(text))
    return (named_document(text)[0], m.group(0)) if m else ("", "")


# ---------------------------------------------------------------- one instruction

_MARKER_RE = re.compile(r"^\s*(?:\d{1,3}\.|[a-zđ]\))\s*")
_ACTION_RE = re.compile(
    r"^(?P<words>(?:sua doi|thay the|thay|bo) cum tu|sua doi,? bo sung|sua doi|thay the|bai bo|huy bo|bo sung|bo)\b")
_WORDS_RE = re.compile(r"cụm từ\s*“(?P<old>[^”]*)”(?:\s*bằng\s*(?:cụm từ\s*)?“(?P<new>[^”]*)”)?", re.I)
_ADD_INTO_RE = re.compile(
    r"^bo sung (?:them )?(?P<level>diem|khoan|dieu) (?P<labels>.+?) (?:vao|tai) (?:sau |truoc |cuoi )?")
_PART_RE = re.compile(r"^\S+ \S+ (?:cac |mot so )?(?:quy dinh ve|noi dung)")
_HEADING_RE = re.compile(r"^Điều\s+(\d{1,3}[a-zđ]?)\s*[.:]\s*(.*)$")


@dataclass(frozen=True)
class _Context:
    """Where an instruction stands: the amending document, its provision, the default target."""

    target_key: str
    target_ref: str
    effective_from: str
    amending_key: str
    amending_name: str
    amending_unit: str
    article: str = ""  # "Sửa đổi, bổ sung một số khoản của Điều 7 như sau:" -> its points inherit Điều 7


def _split_instruction(text: str) -> tuple[str, str]:
    """(head, new text): the head up to "như sau:" or the first opening quote; the new text verbatim
    without its outer quotes ("" when none follows)."""
    text = nfc(text).strip()
    m = re.search(r"như sau\s*:", text)
    if m:
        head, rest = text[:m.start()], text[m.end():].strip()
    else:
        head, rest = text, ""
    if rest.startswith("“"):
        end = rest.rfind("”")
        rest = rest[1:end] if end > 0 else rest[1:]
    return head.strip(), rest.strip().rstrip("”").strip()


def _units_of(head: str, action: str, ctx: _Context) -> list[tuple[str, str, str, str]]:
    """(article, clause, point, document words) the head names; for an addition "Bổ sung khoản 4 vào
    sau khoản 3 Điều 2", the new unit (khoản 4 of Điều 2), not the place it goes after."""
    head = _MARKER_RE.sub("", head, count=1)
    folded = aligned_fold(head)
    m = _ADD_INTO_RE.match(folded) if action == "add" else None
    if m:
        level, (start, end) = m.group("level"), m.span("labels")
        token = r"(?<![a-z])[a-z](?![a-z])" if level == "diem" else r"\d+[a-z]?"
        labels = [head[start:][t.start():t.end()] for t in re.finditer(token, folded[start:end].replace("va", "  "))]
        where = find_cross_references(head[m.end():])
        first = where[0] if where else None
        art = (first.article if first else "") or ctx.article
        doc = first.document if first else ""
        if level == "dieu":
            return [(lab, "", "", doc) for lab in labels]
        if level == "khoan":
            return [(art, lab, "", doc) for lab in labels]
        return [(art, first.clause if first else "", lab, doc) for lab in labels]
    out = []
    for ref in find_cross_references(head):
        out.append((ref.article or ctx.article, ref.clause, ref.point, ref.document))
    return out


def _action_of(head: str) -> str:
    m = _ACTION_RE.match(fold(_MARKER_RE.sub("", head, count=1)))
    if not m:
        return ""
    words = m.group("words")
    if words.endswith("cum tu"):
        return "replace_words"
    if words in ("bai bo", "huy bo"):
        return "repeal"
    if words == "bo sung":
        return "add"
    if words == "bo":
        return ""
    return "amend"  # sửa đổi (, bổ sung) / thay thế a unit


def _split_articles(new_text: str) -> list[tuple[str, str]]:
    """A new text holding whole articles ("Điều 4a. …\\nĐiều 4b. …") -> [(number, its text)]."""
    out: list[tuple[str, list[str]]] = []
    for line in new_text.split("\n"):
        m = _HEADING_RE.match(line)
        if m:
            out.append((m.group(1), [line]))
        elif out:
            out[-1][1].append(line)
    return [(n, "\n".join(lines)) for n, lines in out]


def parse_instruction(text: str, ctx: _Context) -> list[Amendment]:
    """One amending provision (a khoản or điểm of the amending article) -> the changes it makes."""
    head, new_text = _split_instruction(text)
    action = _action_of(head)
    if not action:
        return []
    # "Bãi bỏ quy định về … tại điểm e khoản 2 Điều 20", "Bãi bỏ các nội dung …": part of the unit only
    partial = bool(_PART_RE.match(fold(_MARKER_RE.sub("", head, count=1))))
    base = dict(target_key=ctx.target_key, target_ref=ctx.target_ref, action=action, partial=partial,
                effective_from=ctx.effective_from, amending_key=ctx.amending_key, amending_name=ctx.amending_name,
                amending_unit=ctx.amending_unit, note=nfc(text).strip())
    if action == "replace_words":
        w = _WORDS_RE.search(head)
        if not w:
            return []
        base |= dict(old_words=w.group("old"), new_words=w.group("new") or "")
        where = re.search(r"\s(?:tại|ở|trong)\s", head[w.end():])
        head = head[w.end() + where.start():] if where else ""
        units = _units_of(head, action, ctx) if head else []
        if not units:  # "… trong toàn bộ Nghị định": the whole document
            units = [("", "", "", "")]
    else:
        units = _units_of(head, action, ctx)
        articles = _split_articles(new_text) if new_text else []
        if action in ("amend", "add") and articles and len(articles) > 1:
            units = [(n, "", "", units[0][3] if units else "") for n, _ in articles]
    out = []
    for article, clause, point, doc_words in units:
        if not article:
            if action != "replace_words":
                continue  # a change to nothing we can name (e.g. "Bổ sung cụm từ …")
        target_key, target_ref = ctx.target_key, ctx.target_ref
        if doc_words and "này" not in doc_words:
            # the words crossrefs kept may stop before the number: read on from where they start
            key = named_document(doc_words)[0] or named_document(head[head.find(doc_words):])[0]
            target_key, target_ref = key, doc_words
        elif not doc_words and (named := _doc_match(head)):
            # "Điều 44 của Luật … số 97/2097/QH99": a name crossrefs does not take as a document
            target_key, target_ref = named_document(named.group(0))[0], named.group(0)
        text_for_unit = ""
        if action in ("amend", "add") and new_text:
            text_for_unit = _text_for(new_text, article, clause, point, single=len(units) == 1)
        out.append(Amendment(**base | dict(target_key=target_key, target_ref=target_ref, article=article,
                                           clause=clause, point=point, new_text=text_for_unit)))
    return out


def _text_for(new_text: str, article: str, clause: str, point: str, single: bool) -> str:
    """The part of a new text that replaces one unit: all of it for a single unit, else the article,
    khoản or điểm of that number within it ("" when it cannot be told apart)."""
    if single:
        return new_text
    if not clause:
        return next((t for n, t in _split_articles(new_text) if n == article), "")
    _, clauses = split_clauses(new_text.split("\n"))
    if not point:
        return next((c.full_text for c in clauses if c.number == clause), "")
    _, parts = split_clauses(["0."] + new_text.split("\n"))
    pts = [p for c in parts for p in c.points]
    return next((p.text for p in pts if p.label == point), "")


# ---------------------------------------------------------------- an amending document


def amendments_in(doc: LegalDocument) -> list[Amendment]:
    """Every change a document's words make, whoever wrote them (screen_amendments keeps those of an
    instrument that may make them). A document that amends nothing (no "sửa đổi / bổ sung / bãi bỏ /
    thay thế" instruction naming a unit) gives []; a Pháp điển document's notes are read elsewhere."""
    if doc.source_kind == "phapdien":
        return []
    doc_target = _amended_document(doc.title)
    name = document_name(doc.number, doc.doc_type, doc.title)
    out: list[Amendment] = []
    for unit in doc.units:
        if unit.kind != "dieu":
            continue
        target = _amended_document(unit.title) if unit.title else ("", "")
        if not target[0]:
            target = _amended_document(unit.intro.split("\n")[0]) if unit.intro else ("", "")
        key, ref = target if target[0] else doc_target
        if not unit.clauses:  # "Điều 2. Bãi bỏ khoản 3 Điều 5 Nghị định số …": the article is one instruction
            ctx = _Context(key, ref, doc.effective_from, doc.key, name, citation_string(name, "dieu", unit.number))
            out += [a for a in parse_instruction(unit.intro, ctx) if a.target_key or a.target_ref]
            continue
        for c in unit.clauses:
            cit = citation_string(name, "dieu", unit.number, c.number)
            ctx = _Context(key, ref, doc.effective_from, doc.key, name, cit)
            found = parse_instruction(c.full_text if not c.points else c.text, ctx)
            whole = found and all(a.new_text or a.action in ("repeal", "replace_words") for a in found)
            if c.points and not whole:
                # "3. Sửa đổi, bổ sung một số khoản của Điều 7 như sau:" then "a) Sửa đổi khoản 1 …"
                art = next((a.article for a in found if a.article), "")
                sub = [a for p in c.points for a in parse_instruction(
                    p.text, replace(ctx, article=art, amending_unit=citation_string(name, "dieu", unit.number,
                                                                                  c.number, p.label)))]
                if sub:
                    found = sub
                elif found:
                    found = parse_instruction(c.full_text, ctx)
            out += [a for a in found if a.target_key or a.target_ref]
    return out


# ---------------------------------------------------------------- who may amend

# Rank of a legal normative instrument, 0 = the highest: one of lower rank cannot amend one of higher
# rank (a Thông tư cannot amend a Nghị định or a Luật). Nghị quyết and Quyết định rank by their issuer.
_TYPE_RANKS = {"Hiến pháp": 0, "Bộ luật": 10, "Luật": 10, "Pháp lệnh": 20, "Nghị định": 30, "Thông tư": 50,
               "Thông tư liên tịch": 50}
_ISSUED_RANKS = {("Nghị quyết", "qh"): 10, ("Nghị quyết", "ubtvqh"): 20, ("Quyết định", "ctn"): 25,
                 ("Quyết định", "ttg"): 40, ("Quyết định", "ktnn"): 50, ("Quyết định", "ubnd"): 60}
# Issuers told by their name (folded) or by the code in the number ("…/QĐ-TTg", "…/NQ-UBTVQH15", "…/QH14");
# the Standing Committee before the Quốc hội, whose name it contains.
_ISSUERS = (("ubtvqh", "uy ban thuong vu quoc hoi"), ("qh", "quoc hoi"), ("ttg", "thu tuong"),
            ("ctn", "chu tich nuoc"), ("ubnd", "uy ban nhan dan"), ("ktnn", "kiem toan nha nuoc"))
_COMPETENT = {"Nghị quyết": "Nghị quyết của Quốc hội, Ủy ban Thường vụ Quốc hội",
              "Quyết định": "Quyết định của Thủ tướng Chính phủ, Chủ tịch nước, Ủy ban nhân dân, Tổng Kiểm toán nhà nước"}
# What staff can do about a refusal the header facts caused (the preview lets them correct those).
_FIX_HINT = "nếu văn bản đã ban hành, sửa thông tin này ở phần xem trước rồi nạp lại"


def _issuer_code(issuer: str, number: str) -> str:
    folded, codes = fold(issuer or ""), re.split(r"[/-]", fold(number or ""))[1:]
    return next((code for code, words in _ISSUERS
                 if words in folded or any(c.startswith(code) for c in codes)), "")


def instrument_rank(doc_type: str, issuer: str = "", number: str = "") -> int | None:
    """Rank of a legal normative instrument (0 = Hiến pháp; a larger number ranks lower); None when
    the document is not one that can amend (a Công văn, a ministry's Quyết định, a Nghị quyết of the
    Chính phủ …). A Quốc hội number ("35/2018/QH14") ranks as a Luật whatever the type word says."""
    if doc_type in _TYPE_RANKS:
        return _TYPE_RANKS[doc_type]
    code = _issuer_code(issuer, number)
    if not doc_type and code == "qh":
        return 10
    return _ISSUED_RANKS.get((doc_type, code))


@dataclass(frozen=True)
class AmendingSource:
    """The facts of a document that decide whether its words may change another document."""

    doc_type: str = ""
    number: str = ""
    issued_on: str = ""  # ISO date
    issuer: str = ""
    source_kind: str = "original"
    draft: str = ""  # the words that mark it as a draft ("DỰ THẢO"), "" when none

    @classmethod
    def of(cls, doc: LegalDocument) -> "AmendingSource":
        return cls(doc.doc_type, doc.number, doc.issued_on, doc.issuer, doc.source_kind, doc.draft)


@dataclass(frozen=True)
class Refusal:
    rule: str  # "source", "draft", "type", "issuer", "number", "issued_on", "rank"
    reason: str  # Vietnamese, said to staff in the preview


def may_amend(source: AmendingSource, target_key: str, target_type: str = "") -> Refusal | None:
    """None when a document with these facts may amend the document `target_key` (of type
    `target_type`, "" = told by its number only); else why not. Only an issued legal normative
    instrument amends: not a draft, a Công văn, an article about the law, nor one without number
    or date, nor one ranking below the document it would change."""
    if source.source_kind not in ("original", ""):
        return Refusal("source", "văn bản là tài liệu tham khảo (bài viết, tin tức, tư vấn), không phải văn bản "
                                 "quy phạm pháp luật")
    if source.draft:
        return Refusal("draft", f"văn bản là dự thảo (“{source.draft}”), chưa ban hành; nạp bản đã ban hành "
                                "(số hiệu, ngày ban hành, không ghi “Dự thảo”) để ghi nhận việc sửa đổi")
    if source.doc_type not in _TYPE_RANKS and source.doc_type not in _COMPETENT:
        what = f"{source.doc_type} không phải" if source.doc_type else "không rõ loại văn bản, không nhận ra"
        return Refusal("type", f"{what} văn bản quy phạm pháp luật sửa đổi được văn bản khác (Luật, Bộ luật, "
                               f"Nghị quyết, Pháp lệnh, Nghị định, Thông tư, Quyết định); {_FIX_HINT} (Loại văn bản)")
    rank = instrument_rank(source.doc_type, source.issuer, source.number)
    if rank is None:
        by = f"của {source.issuer}" if source.issuer else "không rõ cơ quan ban hành"
        return Refusal("issuer", f"{source.doc_type} {by} không sửa đổi được văn bản khác (chỉ "
                                 f"{_COMPETENT[source.doc_type]}); {_FIX_HINT} (Cơ quan ban hành)")
    if not re.match(r"\d", source.number or ""):  # "Số:     /2099/NĐ-CP": the number is left blank
        return Refusal("number", f"văn bản không có số hiệu; {_FIX_HINT} (Số hiệu)")
    if not source.issued_on:
        return Refusal("issued_on", f"văn bản không có ngày ban hành; {_FIX_HINT} (Ngày ban hành)")
    target_rank = instrument_rank(target_type, "", target_key)
    if target_rank is not None and rank > target_rank:
        target = f"{target_type} {target_key}".strip() if target_type else target_key or "văn bản được sửa"
        return Refusal("rank", f"{source.doc_type} có hiệu lực pháp lý thấp hơn {target}, không sửa đổi, bổ sung, "
                               "bãi bỏ được văn bản đó")
    return None


def target_type(a: Amendment) -> str:
    """The type of the document an amendment changes: as the amending words name it ("Nghị định số …"),
    else by the code in its number ("…/NĐ-CP"); "" when neither tells."""
    named = named_document(a.target_ref)[1] if a.target_ref else ""
    if named:
        return named
    lead = next((t for t in DOC_TYPES if fold(a.target_ref or "").startswith(fold(t) + " ")), "")
    codes = re.split(r"[/-]", fold(a.target_key or ""))[1:]
    return lead or next((NUMBER_TYPE_CODES[c] for c in codes if c in NUMBER_TYPE_CODES), "")


@dataclass(frozen=True)
class RefusedAmendment:
    amendment: Amendment
    refusal: Refusal


def screen_amendments(doc: LegalDocument) -> tuple[list[Amendment], list[RefusedAmendment]]:
    """(the relations a document makes, those its words state but it may not make, with the reason)."""
    if doc.source_kind == "phapdien":
        return phapdien_amendments(doc), []
    source, kept, refused = AmendingSource.of(doc), [], []
    for a in amendments_in(doc):
        why = may_amend(source, a.target_key, target_type(a))
        if why is None:
            kept.append(a)
        else:
            refused.append(RefusedAmendment(a, why))
    return kept, refused


# ---------------------------------------------------------------- Pháp điển source notes

_PD_ACTIONS = (("sua doi", "amend"), ("bo sung", "add"), ("bai bo", "repeal"), ("huy bo", "repeal"),
               ("ngung hieu luc", "suspend"))
_PD_SPLIT_RE = re.compile(r"\s(?:bởi|theo quy định tại|tại)\s")
_PD_DATE_RE = re.compile(r"có hiệu lực(?: thi hành)?(?: kể)? từ ngày\s*(?:(\d{1,2})/(\d{1,2})/(\d{4})"
                         r"|(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4}))")


def parse_amendment_note(note: str) -> list[tuple[str, bool, str, str, str, str, str]]:
    """A Pháp điển amendment note -> [(actions, partial, amending key, type, number, provision words, date)],
    one per amending document it names (separated by ";")."""
    note = nfc(note or "").strip()
    m = _PD_SPLIT_RE.search(note)
    if not m:
        return []
    head, rest = note[:m.start()], note[m.end():]
    folded = fold(head)
    actions = ",".join(dict.fromkeys(a for w, a in _PD_ACTIONS if w in folded))
    if not actions:
        return []
    partial = "noi dung" in folded
    out = []
    for seg in rest.split(";"):
        d = named_document(seg)
        if not d[0]:
            continue
        doc_m = _doc_match(seg)
        provision = re.sub(r"\s+(?:của|cua)$", "", seg[:doc_m.start()].strip(" ,"))
        date_m = _PD_DATE_RE.search(seg)
        date = iso_date(*(date_m.groups()[0:3] if date_m and date_m.group(1) else
                          date_m.groups()[3:6])) if date_m else ""
        out.append((actions, partial, d[0], d[1], d[2], provision, date))
    return out


def phapdien_amendments(doc: LegalDocument) -> list[Amendment]:
    """The relations the source notes of a Pháp điển document state, one per article and amending
    document, named whether or not that document is in the base."""
    if doc.source_kind != "phapdien":
        return []
    out = []
    for unit in doc.units:
        for actions, partial, key, doc_type, number, provision, date in parse_amendment_note(unit.amendment_note):
            name = document_name(number, doc_type, "")
            out.append(Amendment(
                target_key=doc.key, target_ref=document_name(doc.number, doc.doc_type, doc.title),
                article=unit.number, action=actions, effective_from=date, amending_key=key, amending_name=name,
                amending_unit=f"{provision} {name}".strip(), source="phapdien", partial=partial,
                note=unit.amendment_note))
    return out


def document_amendments(doc: LegalDocument) -> list[Amendment]:
    """The relations stored for a document: the changes it makes when it is an instrument that may
    make them (screen_amendments), or (Pháp điển) the changes its notes say were made to it."""
    return screen_amendments(doc)[0]


# ---------------------------------------------------------------- the text in force on a date


def touches(a: Amendment, article: str, clause: str = "", point: str = "") -> bool:
    """Whether a change concerns a unit: the unit itself, a unit inside it, or one that contains it."""
    if not a.article:
        return True  # a phrase replaced throughout the document
    if a.article.lower() != article.lower():
        return False
    return (not a.clause or not clause or a.clause == clause) and (not a.point or not point or a.point == point)


def _parse_article(text: str, number: str, old: Article | None) -> Article:
    lines = text.split("\n")
    m = _HEADING_RE.match(lines[0]) if lines else None
    title = m.group(2).strip() if m else (old.title if old else "")
    intro, clauses = split_clauses(lines[1:] if m else lines)
    new = Article(number=number, title=title, intro=intro, clauses=clauses)
    if old is not None:
        new.part, new.chapter, new.section = old.part, old.chapter, old.section
    return new


def _order_key(label: str):
    m = re.match(r"(\d+)(.*)", label or "")
    if m:
        return (int(m.group(1)), m.group(2))
    return (POINT_LETTERS.index(label) if label in POINT_LETTERS else 99, label)


def _put(items: list, item, key, number: str) -> None:
    """Replace the item with this number, or insert it in number order."""
    for i, x in enumerate(items):
        if key(x) == number:
            items[i] = item
            return
    after = [i for i, x in enumerate(items) if _order_key(key(x)) <= _order_key(number)]
    items.insert(after[-1] + 1 if after else len(items), item)


def _replace_words(unit: Article, a: Amendment) -> None:
    sub = lambda s: s.replace(a.old_words, a.new_words)  # noqa: E731
    if not a.clause:
        unit.intro = sub(unit.intro)
    for c in unit.clauses:
        if a.clause and c.number != a.clause:
            continue
        if not a.point:
            c.text = sub(c.text)
        for p in c.points:
            if not a.point or p.label == a.point:
                p.text = sub(p.text)


def apply_amendments(units: list[Article], amendments: list[Amendment], as_of: str
                     ) -> tuple[list[Article], set[tuple[str, str, str]], list[Amendment]]:
    """The units as in force on `as_of` (ISO date): the changes read from amending documents (source
    "text") that took effect by then, in date order, applied to a copy. Returns (units, the units
    repealed as (article, clause, point), the amendments applied)."""
    units = copy.deepcopy(units)
    repealed: set[tuple[str, str, str]] = set()
    applied = []
    todo = sorted((a for a in amendments if a.source == "text" and a.effective_from and a.effective_from <= as_of),
                  key=lambda a: a.effective_from)
    for a in todo:
        art = next((u for u in units if u.kind == "dieu" and u.number.lower() == a.article.lower()), None)
        if a.action == "replace_words":
            for u in units if not a.article else [art] if art else []:
                _replace_words(u, a)
            applied.append(a)
        elif a.action == "repeal":
            repealed.add(a.unit)
            applied.append(a)
        elif a.action in ("amend", "add") and a.new_text:
            if not a.clause:
                _put(units, _parse_article(a.new_text, a.article, art), lambda u: u.number if u.kind == "dieu" else "",
                     a.article)
            elif art is None:
                continue
            elif not a.point:
                _, cl = split_clauses(a.new_text.split("\n"))
                new = cl[0] if len(cl) == 1 and cl[0].number == a.clause else Clause(a.clause, a.new_text)
                _put(art.clauses, new, lambda c: c.number, a.clause)
            else:
                clause = next((c for c in art.clauses if c.number == a.clause), None)
                if clause is None:
                    continue
                _put(clause.points, Point(a.point, a.new_text), lambda p: p.label, a.point)
            repealed -= {a.unit}
            applied.append(a)
    return units, repealed, applied
