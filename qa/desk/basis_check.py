"""Kiểm tra căn cứ: every document and unit a draft cites, checked against the base on a date.

    check_basis(draft, view, as_of) -> BasisReport, passage by passage ("Căn cứ 1", "Khoản 2 Điều 3"…)

Each citation the draft writes (ingest.crossrefs.find_citations; the document words resolved by
qa.references) gets one verdict (VERDICTS) with its reasons, and, for a document whose facts the base
or the catalogue holds, a check of the form it is written in:

    ok          the document (and the unit) exist and were in force on the date
    amended     … and were changed by another document in force by then (which one, from when)
    repealed    no longer in force on the date: the document or the unit repealed, replaced, expired
                (the relation, the catalogue, or a stored text that says so, quoted with its place)
    not_yet     not yet in force on the date
    no_unit     the document has no such Điều / khoản / điểm (nor does the draft itself, for its own)
    missing     catalogued, but its text is not in the base (named: staff should add it)
    unknown     neither in the base nor in the catalogue
    ambiguous   the words fit several documents, or a unit with no document in a draft without Điều
    secondary   a secondary source (an article about a text), never a legal basis

The form: the first time the draft names a document (and on every "Căn cứ" line) it must identify it
in full — type and complete number, the date it was issued, and the issuing body for documents
other than Hiến pháp, Luật, Bộ luật and Pháp lệnh, which are named by name and date or number; later
mentions may be short (type and complete number). Facts written that contradict the base (a wrong
date, type, year or issuer) are errors wherever they stand. The corrected form offered is
ingest.identity.formal_citation's. The document's subject line (trích yếu) is not checked.

The bodies the draft addresses are checked against the succession catalogue (qa.succession): one
line per body that no longer exists as named on the date, with the passages that name it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from core.vocab import NAMED_TYPES, NOT_IN_BASE, TYPE_WORDS, fold, format_iso
from ingest.amendments import Amendment, touches
from ingest.crossrefs import Citation, CrossRef, find_citations
from ingest.identity import citation_string, formal_citation, formal_date
from qa.amended import amending_label, describe
from qa.desk.base_view import BaseView, Facts
from qa.desk.draft import Draft, Passage
from qa.references import DocDescriptor, ParsedReference, match_documents, parse_reference

VERDICTS = {
    "ok": "Hợp lệ",
    "amended": "Còn hiệu lực, đã được sửa đổi, bổ sung",
    "repealed": "Không còn hiệu lực",
    "not_yet": "Chưa có hiệu lực",
    "no_unit": "Không có điều, khoản, điểm được dẫn",
    "missing": "Có trong danh mục, chưa có văn bản",
    "unknown": "Không có trong cơ sở dữ liệu và danh mục",
    "ambiguous": "Chưa xác định được văn bản",
    "secondary": "Nguồn thứ cấp, không phải căn cứ pháp lý",
}
# Verdicts a drafter has to act on (the rest are fine as they stand, or only informative).
PROBLEMS = ("repealed", "not_yet", "no_unit", "missing", "unknown", "ambiguous", "secondary")
THIS_DRAFT = "dự thảo này"
_ENDED = {"expired", "replaced", "repealed"}  # catalogue / registry status words of a document no longer in force


@dataclass
class CheckedCitation:
    written: str  # the citation as the draft writes it
    verdict: str  # a key of VERDICTS
    citation: str = ""  # canonical: "Khoản 3 Điều 24 Nghị định 72/2015/NĐ-CP" ("" when unresolved)
    document: str = ""  # key of the document resolved ("" none; THIS_DRAFT for the draft's own units)
    document_name: str = ""
    reasons: list[str] = field(default_factory=list)  # Vietnamese, one per fact
    amended_by: list[str] = field(default_factory=list)  # "Điều 20 Luật 35/2018/QH14 (từ 01/01/2019)"
    replaced_by: list[str] = field(default_factory=list)
    form: str = ""  # "ok" | "fix" | "" (not checked: the document's facts are unknown)
    form_issues: list[str] = field(default_factory=list)
    suggested: str = ""  # the corrected form, when form == "fix"
    lookup: str = ""  # what `kb lookup` (and the UI's link) resolves; "" when there is nothing to look up
    start: int = 0  # span in the passage text
    end: int = 0

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict]

    def to_dict(self) -> dict:
        return asdict(self) | {"label": self.label}


@dataclass
class PassageReport:
    label: str
    text: str
    kind: str
    citations: list[CheckedCitation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"label": self.label, "text": self.text, "kind": self.kind,
                "citations": [c.to_dict() for c in self.citations]}


@dataclass
class BasisReport:
    draft: str  # file name or "văn bản dán vào"
    as_of: str  # ISO date the check is for
    as_of_source: str  # "chọn" | "dự thảo" | "hôm nay"
    passages: list[PassageReport] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # bodies named that no longer exist as named, and where
    notes: list[str] = field(default_factory=list)

    @property
    def citations(self) -> list[CheckedCitation]:
        return [c for p in self.passages for c in p.citations]

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in VERDICTS}
        for c in self.citations:
            out[c.verdict] += 1
        out["form_fix"] = sum(c.form == "fix" for c in self.citations)
        return out

    def to_dict(self) -> dict:
        return {"draft": self.draft, "as_of": self.as_of, "as_of_source": self.as_of_source,
                "counts": self.counts(), "passages": [p.to_dict() for p in self.passages if p.citations],
                "bodies": self.bodies, "notes": self.notes}

    def lines(self) -> list[str]:
        """The report as text (`kb check-basis`): passage by passage, one line per citation, its reasons under it."""
        c = self.counts()
        said = {"chọn": "ngày được chọn", "dự thảo": "ngày ghi trên dự thảo", "hôm nay": "hôm nay"}[self.as_of_source]
        out = [f"Kiểm tra căn cứ: {self.draft} — tại ngày {format_iso(self.as_of)} ({said})",
               f"{len(self.citations)} trích dẫn: " + ", ".join(f"{VERDICTS[k].lower()} {n}" for k, n in c.items()
                                                         if k in VERDICTS and n)
               + (f"; {c['form_fix']} cần sửa cách ghi" if c["form_fix"] else "")]
        for p in self.passages:
            if not p.citations:
                continue
            out.append(f"\n{p.label}: {_clip(p.text, 110)}")
            for x in p.citations:
                out.append(f"  • “{x.written}” — {x.label.upper() if x.verdict in PROBLEMS else x.label}"
                           + (f" [{x.citation}]" if x.citation and x.citation != x.written else ""))
                out += [f"      {r}" for r in x.reasons]
                if x.form == "fix":
                    out += [f"      Cách ghi: {i}" for i in x.form_issues]
                    out.append(f"      Đề nghị ghi: {x.suggested}")
        if self.bodies:
            out += ["\nCơ quan được nêu trong dự thảo:"] + [f"  • {b}" for b in self.bodies]
        out += [f"\nLưu ý: {n}" for n in self.notes]
        return out


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _today() -> str:
    return dt.date.today().isoformat()


# ---------------------------------------------------------------- resolving the document


@dataclass(frozen=True)
class Resolution:
    status: str  # "loaded" | "catalogued" | "unknown" | "ambiguous"
    ref: ParsedReference
    doc: DocDescriptor | None = None
    candidates: tuple[DocDescriptor, ...] = ()
    words: str = ""  # the words that resolved (a name shortened to what names a document)


def resolve_document(cit: Citation, view: BaseView) -> Resolution:
    """The document a citation's words name: in the base, only in the catalogue, several, or none. A
    name read up to a stop word ("Luật Báo chí hiện hành") is tried whole, then a word shorter each time."""
    words = cit.document_words
    tries = [words]
    if cit.name_words and not re.search(r"\d", words):
        head = words[: len(words) - len(" ".join(cit.name_words))].strip()
        tries = [f"{head} {' '.join(cit.name_words[:n])}" for n in range(len(cit.name_words), 0, -1)]
    first = None
    for words_try in tries:
        ref = parse_reference(words_try + (f" năm {cit.year}" if cit.year else ""))
        first = first or ref
        for status, docs in (("loaded", view.loaded), ("catalogued", view.catalogued)):
            found = match_documents(ref, docs)
            if len(found) == 1:
                return Resolution(status, ref, found[0], words=words_try)
            if found:
                return Resolution("ambiguous", ref, candidates=tuple(found), words=words_try)
    return Resolution("unknown", first or parse_reference(words), words=words)


# ---------------------------------------------------------------- what stored texts say about a document

_REPEAL_CUES = (("het hieu luc", "hết hiệu lực"), ("bai bo", "bị bãi bỏ"), ("huy bo", "bị hủy bỏ"),
                ("thay the", "được thay thế"))
# The same words as stored (NFC, with diacritics): the registry keeps only nodes holding one of them.
_REPEAL_WORDS = ("hết hiệu lực", "bãi bỏ", "hủy bỏ", "huỷ bỏ", "thay thế")
_SENTENCE_RE = re.compile(r"[^.;\n]+(?:\.\d[^.;\n]*)*")
_SINCE_RE = re.compile(r"(?:kể\s+)?từ\s+ngày\s+(?:(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})|(\d{1,2})/(\d{1,2})/(\d{4}))")


@dataclass(frozen=True)
class RepealStatement:
    """A stored text saying a document is no longer in force: "Quyết định số … hết hiệu lực kể từ ngày
    Nghị định này có hiệu lực thi hành" (the final provisions of the document that replaced it)."""

    where: str  # the citation of the unit that says it
    sentence: str  # verbatim
    action: str  # "hết hiệu lực", "bị bãi bỏ", …
    since: str  # ISO date it takes effect ("" when the text gives none and its document has no date)
    by: str  # the stating document's name
    by_key: str


def _norm_number(number: str) -> str:
    return re.sub(r"\s+", "", fold(number))


def repeal_statements(number: str, nodes: list, dates: dict[str, str]) -> list[RepealStatement]:
    """Sentences of stored nodes that say the document `number` is repealed, replaced or expired, with
    the date: the one the sentence gives, else (", kể từ ngày Nghị định này có hiệu lực") the stating
    document's effective date (`dates`: key -> ISO). Only sentences naming the whole document count
    ("bãi bỏ Điều 5 của …" repeals a unit, and is a relation the amendment reader keeps)."""
    target = _norm_number(number)
    # a sentence whose first document is `number` writes its leading digits ("72" of "72/2015/NĐ-CP"):
    # the others are not folded and parsed (on the whole Pháp điển that is most of the time of a check)
    digits = re.match(r"\d+", target)
    written = re.compile(rf"(?<!\d)0*{digits.group().lstrip('0') or '0'}(?!\d)") if digits else None
    out = []
    for n in nodes:
        if n.meta.source_kind == "secondary":
            continue  # an article about a text says nothing with legal effect
        lead_cue, lead = "", ""  # "… các văn bản sau đây hết hiệu lực:" then the documents, one điểm each
        for line in n.text.split("\n"):
            for m in _SENTENCE_RE.finditer(line):
                sentence = m.group().strip()
                if written is not None and not written.search(sentence):
                    continue
                folded = fold(sentence)
                cue = next((said for cue, said in _REPEAL_CUES if cue in folded and "cum tu" not in folded), "")
                # the document the sentence is about is the first it names ("b) Quyết định 18a/… sửa đổi … Quy chế
                # ban hành kèm theo Quyết định 20/…": the point lists 18a/…, not 20/…)
                first = next((c for c in find_citations(sentence) if c.document_words), None)
                if (first is None or any(r.article for r in first.refs) or not (cue or lead_cue)
                        or _norm_number(parse_reference(first.document_words).number) != target):
                    continue
                d = _SINCE_RE.search(sentence) or (_SINCE_RE.search(lead) if not cue else None)
                if d:
                    g = d.groups()
                    day, month, year = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
                    since = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
                else:  # "kể từ ngày Nghị định này có hiệu lực thi hành", or no date: the stating document's
                    since = dates.get(n.meta.doc_key, "")
                out.append(RepealStatement(n.meta.citation, sentence, cue or lead_cue, since, n.meta.document_name,
                                           n.meta.doc_key))
            if line.rstrip().endswith(":"):
                folded_line = fold(line)
                lead_cue = next((said for cue, said in _REPEAL_CUES if cue in folded_line and "cum tu" not in folded_line), "")
                lead = line
    return out


def _statements(view: BaseView, number: str, self_key: str = "") -> list[RepealStatement]:
    if not number or "/" not in number and "-" not in number:
        return []  # a bare "72" is too short to look for in every stored text
    fragment = number[: number.index("/") + 1] if "/" in number else number
    nodes = [n for n in view.nodes_mentioning(fragment, _REPEAL_WORDS) if n.meta.doc_key != self_key]
    dates = {k: (f.effective_from if (f := view.facts(k)) else "") for k in {n.meta.doc_key for n in nodes}}
    return repeal_statements(number, nodes, dates)


def _statement_lines(found: list[RepealStatement], as_of: str) -> tuple[bool, list[str], list[str]]:
    """(in effect on the date, reasons, replacing documents) from the statements found."""
    ended, reasons, by = False, [], []
    for s in found:
        when = f" từ {format_iso(s.since)}" if s.since else ""
        pending = bool(s.since) and s.since > as_of
        ended |= not pending
        reasons.append(f"Theo {s.where}: “{_clip(s.sentence, 300)}”"
                       + (f" (tại ngày {format_iso(as_of)} chưa {s.action}; {s.action}{when})" if pending
                          else f" ({s.action}{when})"))
        if s.action in ("hết hiệu lực", "được thay thế") and s.by not in by:
            by.append(s.by)
    return ended, reasons, by


# ---------------------------------------------------------------- the form it is written in


def _written_type(words: str) -> tuple[str, str]:
    """(the type word as written, folded): "NĐ 72/2015" -> ("NĐ", "nd")."""
    m = re.match(r"\s*([^\d]+?)\s*(?:số\b|\d|$)", words)
    return (m.group(1), fold(m.group(1)).strip(" .:")) if m else ("", "")


def _same_issuer(written: str, stored: str) -> bool:
    """"Chính phủ" is not "Thủ tướng Chính phủ"; a Bộ's Thông tư may name the Bộ or its Bộ trưởng. The words
    read after "của" may run on into the subject ("… của Chính phủ quy định …" is cut there, but not every
    sentence is), so the written issuer need only begin with the stored one."""
    written, stored = fold(written), fold(stored)
    return any(written == s or written.startswith(s + " ") for s in
               (stored, f"bo truong {stored}" if stored.startswith("bo ") else stored))


def form_issues(cit: Citation, res: Resolution, f: Facts, full: bool) -> list[str]:
    """What is wrong in how the draft writes the document (Vietnamese, one line each); `full`: the first
    mention in the draft, or a Căn cứ line, where the document must be identified in full."""
    issues = []
    as_written, written_type = _written_type(cit.document_words)
    if written_type in TYPE_WORDS and len(written_type) <= 4:  # "NĐ", "TT", "QĐ"
        issues.append(f"loại văn bản viết tắt “{as_written}”; ghi đủ “{f.doc_type}”")
    elif res.ref.doc_type and f.doc_type and fold(res.ref.doc_type) != fold(f.doc_type) and not (
            {fold(res.ref.doc_type), fold(f.doc_type)} <= {"luat", "bo luat"}):
        issues.append(f"ghi loại văn bản “{res.ref.doc_type}”, văn bản này là {f.doc_type}")
    named = f.doc_type in NAMED_TYPES
    written_number = _norm_number(res.ref.number)
    if written_number and f.number and written_number != _norm_number(f.number):
        issues.append(f"số, ký hiệu chưa đầy đủ: “{res.ref.number}”; đầy đủ là {f.number}")
    elif not written_number and f.number and not named:
        issues.append(f"chưa ghi số, ký hiệu văn bản ({f.number})")
    if cit.date and f.issued_on and cit.date != f.issued_on:
        issues.append(f"ghi ngày ban hành {formal_date(cit.date)}, văn bản ban hành ngày {formal_date(f.issued_on)}")
    year = cit.year or (cit.date[:4] if cit.date else "")
    if cit.year and f.issued_on and cit.year != f.issued_on[:4]:
        issues.append(f"ghi năm {cit.year}, văn bản ban hành năm {f.issued_on[:4]}")
    if cit.issuer and f.issuer and not _same_issuer(cit.issuer, f.issuer):
        issues.append(f"ghi cơ quan ban hành “{cit.issuer}”, văn bản do {f.issuer} ban hành")
    if full:
        if not named and not cit.date and f.issued_on:
            issues.append("lần đầu viện dẫn (và trong phần căn cứ) cần ghi ngày ban hành")
        if not named and not cit.issuer and f.issuer:
            issues.append("lần đầu viện dẫn (và trong phần căn cứ) cần ghi cơ quan ban hành")
        if named and not (year or written_number) and (f.issued_on or f.number):
            issues.append("lần đầu viện dẫn (và trong phần căn cứ) cần ghi năm ban hành hoặc số, ký hiệu của văn bản")
    return issues


def _subject(f: Facts) -> str:
    """The document's subject line as a Căn cứ line continues it ("về quản lý …"), when its title is one."""
    title = (f.title or "").strip()
    if not title or f.doc_type in NAMED_TYPES or "(" in title:
        return ""  # a law's title is its name; a catalogue description in brackets is not a title
    if fold(title).startswith(fold(f.doc_type) + " "):
        title = title[len(f.doc_type) + 1:]
    return title[:1].lower() + title[1:]


def suggested_form(unit_citation: str, f: Facts, full: bool, basis: bool) -> str:
    """The form to write: in full (formal_citation, and the subject on a Căn cứ line), else short."""
    if full or basis:
        text = formal_citation(unit_citation, f.name, f.number, f.doc_type, f.issued_on, f.issuer)
        subject = _subject(f) if basis and unit_citation == f.name else ""
        return f"{text} {subject}".strip()
    return re.sub(r"^(Điểm|Khoản)\b", lambda m: m[1].lower(), unit_citation)


# ---------------------------------------------------------------- one citation


def _unit_of(ref: CrossRef) -> tuple[str, str, str]:
    return ref.article, ref.clause, ref.point


def _internal(ref: CrossRef, p: Passage, draft: Draft, written: str) -> CheckedCitation:
    """A unit of the draft itself: "khoản 2 Điều 5 của Nghị định này", "Điều 3", "khoản 1 Điều này"."""
    article = ref.article or p.article
    clause = ref.clause or (p.clause if ref.point and not ref.article else "")
    cit = citation_string(THIS_DRAFT, "dieu", article, clause, ref.point) if article else ""
    if not draft.has_articles or not article:
        return CheckedCitation(written, "ambiguous", reasons=[
            f"“{written}” không ghi tên văn bản được dẫn và dự thảo không chia Điều; cần ghi rõ văn bản."])
    if draft.has_unit(article, clause, ref.point):
        return CheckedCitation(written, "ok", cit, THIS_DRAFT, THIS_DRAFT, ["Dẫn chiếu đến chính dự thảo."])
    return CheckedCitation(written, "no_unit", cit, THIS_DRAFT, THIS_DRAFT, [f"Dự thảo không có {cit[: -len(THIS_DRAFT)].strip()}."])


def _amendments_in_effect(rels: list[Amendment], unit: tuple[str, str, str], as_of: str) -> tuple[list, list]:
    mine = [a for a in rels if (not unit[0] or touches(a, *unit))]
    done = [a for a in mine if a.effective_from and a.effective_from <= as_of]
    pending = [a for a in mine if not a.effective_from or a.effective_from > as_of]
    return done, pending


def _check_stored(cc: CheckedCitation, ref: CrossRef, desc: DocDescriptor, f: Facts, view: BaseView,
                  as_of: str) -> None:
    """Verdict for a document whose text is stored (and the unit named)."""
    if f.source_kind == "secondary":
        cc.verdict = "secondary"
        cc.reasons.append(f"{f.name or f.title} là nguồn thứ cấp (bài viết, tư vấn), không phải văn bản có hiệu lực pháp lý.")
        return
    if f.effective_from and as_of < f.effective_from:
        cc.verdict = "not_yet"
        cc.reasons.append(f"{f.name} có hiệu lực từ {format_iso(f.effective_from)}.")
        return
    ended, reasons, by = _statement_lines(_statements(view, f.number, f.key), as_of)
    entry = view.entry(f.key)
    replaced = view.replaced_by(f.key)
    if f.status in _ENDED or (entry and entry.status in _ENDED) or replaced or ended:
        cc.verdict = "repealed"
        if entry and (entry.status in _ENDED or replaced):
            cc.reasons.append(f"Theo danh mục: {f.name} không còn hiệu lực"
                              + (f" ({entry.status_note})" if entry.status_note else "") + ".")
        cc.reasons += reasons
        cc.replaced_by = list(dict.fromkeys(replaced + by))
        return
    cc.reasons += reasons  # a statement not yet in effect on the date
    rels = view.relations(desc)
    unit = _unit_of(ref)
    if unit[0]:
        res = view.lookup(cc.citation, as_of)
        if res.status != "found":
            added = [a for a in rels if a.action in ("add", "amend") and touches(a, *unit)
                     and a.effective_from and a.effective_from <= as_of]
            if not added:
                cc.verdict = "no_unit"
                cc.reasons.append(res.message)
                cc.lookup = ""  # nothing to open (the whole document would be; the message lists what it has)
                return
        elif res.repealed:
            cc.verdict = "repealed"
            cc.reasons += [n for n in res.notes if "bãi bỏ" in n or "không còn hiệu lực" in n] or [
                f"{cc.citation} đã bị bãi bỏ."]
            return
        else:
            eff = next((h.effective_from for h in res.hits if h.effective_from), "")
            if eff and as_of < eff:
                cc.verdict = "not_yet"
                cc.reasons.append(f"{cc.citation} có hiệu lực từ {format_iso(eff)}.")
                return
    done, pending = _amendments_in_effect(rels, unit, as_of)
    loaded = view.loaded_keys
    for a in pending:
        cc.reasons.append(describe(a, _where(a, f.name), a.amending_key in loaded, as_of) + ".")
    if not done:
        return
    cc.verdict = "amended"
    if unit[0] and any(_repeals(a, unit) for a in done):
        cc.verdict = "repealed"  # repealed by a document whose text the base lacks (a Pháp điển note)
    if not unit[0]:  # the document as a whole: one line per amending document, the units it changed
        by_doc: dict[tuple[str, str], list[Amendment]] = {}
        for a in done:
            by_doc.setdefault((a.amending_key, a.effective_from), []).append(a)
        for (key, eff), changes in by_doc.items():
            who = changes[0].amending_name or key
            who += "" if key in loaded else " (chưa có trong cơ sở dữ liệu)"
            units = ", ".join(dict.fromkeys(a.article for a in changes if a.article))
            cc.reasons.append(f"{f.name} đã được sửa đổi, bổ sung bởi {who}, có hiệu lực từ {format_iso(eff)}"
                              + (f" (Điều {units})" if units else "") + ".")
            cc.amended_by.append(f"{changes[0].amending_name or key} (từ {format_iso(eff)})")
        return
    for a in done:
        cc.reasons.append(describe(a, _where(a, f.name), a.amending_key in loaded, as_of) + ".")
        label = amending_label(a, a.amending_key in loaded) + (f" (từ {format_iso(a.effective_from)})"
                                                              if a.effective_from else "")
        if label not in cc.amended_by:
            cc.amended_by.append(label)


def _repeals(a: Amendment, unit: tuple[str, str, str]) -> bool:
    """The change repeals the unit itself or one that contains it (not a part of it, not "có nội dung")."""
    article, clause, point = unit
    return ("repeal" in a.action.split(",") and not a.partial and a.article.lower() == article.lower()
            and (not a.clause or a.clause == clause) and (not a.point or a.point == point))


def _where(a: Amendment, name: str) -> str:
    return citation_string(name, "dieu", a.article, a.clause, a.point) if a.article else name


def _check_external(cit: Citation, ref: CrossRef, res: Resolution, view: BaseView, as_of: str,
                    full: bool, basis: bool) -> CheckedCitation:
    cc = CheckedCitation(cit.text, "ok")
    if res.status == "ambiguous":
        cc.verdict = "ambiguous"
        cc.reasons.append(f"“{res.words}” có thể chỉ nhiều văn bản: "
                          + "; ".join(view.name_of(d.key) for d in res.candidates) + ". Ghi rõ số, ký hiệu.")
        return cc
    if res.status == "unknown":
        ended, reasons, by = _statement_lines(_statements(view, res.ref.number), as_of)
        cc.document_name = res.words
        cc.verdict = "repealed" if ended else "unknown"
        cc.reasons.append(f"“{cit.text}”: không có trong cơ sở dữ liệu và danh mục văn bản.")
        cc.reasons += reasons
        cc.replaced_by = by
        return cc
    desc = res.doc
    f = view.facts(desc.key)
    cc.document, cc.document_name = desc.key, f.name
    cc.citation = citation_string(f.name, "dieu", *_unit_of(ref)) if ref.article else f.name
    if res.status == "catalogued":
        entry = view.entry(desc.key)
        replaced = view.replaced_by(desc.key)
        ended, reasons, by = _statement_lines(_statements(view, f.number), as_of)
        if (entry and entry.status in _ENDED) or replaced or ended:
            cc.verdict = "repealed"
            cc.reasons.append(f"{f.name}: {NOT_IN_BASE}.")
            if entry and (entry.status in _ENDED or replaced):
                cc.reasons.append(f"Theo danh mục: {f.name} không còn hiệu lực"
                                  + (f" ({entry.status_note})" if entry.status_note else "") + ".")
            cc.reasons += reasons
            cc.replaced_by = list(dict.fromkeys(replaced + by))
        else:
            cc.verdict = "missing"
            cc.reasons.append(f"{f.name} có trong danh mục nhưng {NOT_IN_BASE}; cán bộ pháp chế cần bổ sung tệp "
                              "chính thức." + (f" Không kiểm tra được {cc.citation[: -len(f.name)].strip()}."
                                              if ref.article else ""))
            if f.effective_from and as_of < f.effective_from:
                cc.reasons.append(f"Theo danh mục, {f.name} có hiệu lực từ {format_iso(f.effective_from)}.")
    else:
        cc.lookup = cc.citation
        _check_stored(cc, ref, desc, f, view, as_of)
    if f.source_kind != "secondary":
        issues = form_issues(cit, res, f, full)
        cc.form = "fix" if issues else "ok"
        if issues:
            cc.form_issues = issues
            cc.suggested = suggested_form(cc.citation, f, full, basis)
    if basis and cc.verdict == "amended" and not ref.article:
        by = ", ".join(dict.fromkeys(re.sub(r" \(từ .*\)$", "", b) for b in cc.amended_by))
        cc.reasons.append(f"Văn bản đã được sửa đổi, bổ sung: phần căn cứ nêu cả {by}.")
    return cc


# ---------------------------------------------------------------- the draft


class CitationChecker:
    """Checks citations one passage after another, remembering what the text already named (the first
    mention of a document must be in full) and what its words resolved to."""

    def __init__(self, view: BaseView, as_of: str, draft: Draft | None = None, check_form: bool = True):
        self.view, self.as_of, self.draft, self.check_form = view, as_of, draft, check_form
        self.mentioned: set[str] = set()
        self.resolved: dict[tuple, Resolution] = {}

    def check(self, p: Passage, cits: list[Citation], limit: int) -> list[CheckedCitation]:
        """At most `limit` checked citations (one per unit named) of the passage `p`."""
        out: list[CheckedCitation] = []
        for cit in cits:
            left = limit - len(out)
            if left <= 0:
                break
            if cit.this_document:
                if self.draft is not None:
                    out += [self._at(_internal(ref, p, self.draft, cit.text), cit) for ref in cit.refs[:left]]
                continue
            key = (cit.document_words, cit.name_words, cit.year)
            if key not in self.resolved:
                self.resolved[key] = resolve_document(cit, self.view)
            res = self.resolved[key]
            doc_key = res.doc.key if res.doc else res.words
            full = doc_key not in self.mentioned or p.kind == "basis"
            self.mentioned.add(doc_key)
            for ref in cit.refs[:left]:
                cc = _check_external(cit, ref, res, self.view, self.as_of, full, p.kind == "basis")
                if not self.check_form:
                    cc.form, cc.form_issues, cc.suggested = "", [], ""
                out.append(self._at(cc, cit))
                full = False  # "Điều 5, 6 Luật …": one mention of the document
        return out

    @staticmethod
    def _at(cc: CheckedCitation, cit: Citation) -> CheckedCitation:
        cc.start, cc.end = cit.start, cit.end
        return cc


def as_of_for(as_of: str | None, draft: Draft) -> tuple[str, str]:
    """(the date a check is for, where it comes from): chosen, else the draft's own date, else today."""
    if as_of:
        return as_of, "chọn"
    return (draft.date, "dự thảo") if draft.date else (_today(), "hôm nay")


def check_basis(draft: Draft, view: BaseView, as_of: str | None = None, max_citations: int = 400) -> BasisReport:
    """Every citation of the draft, passage by passage, checked on `as_of` (else the draft's own date,
    else today)."""
    date, source = as_of_for(as_of, draft)
    report = BasisReport(draft=draft.name, as_of=date, as_of_source=source)
    checker = CitationChecker(view, date, draft)
    found = [(p, find_citations(p.text)) for p in draft.passages]
    for p, cits in found:
        report.passages.append(PassageReport(p.label, p.text, p.kind,
                                             checker.check(p, cits, max_citations - len(report.citations))))
    skipped = sum(len(c.refs) for _, cits in found for c in cits) - len(report.citations)
    if skipped > 0:
        report.notes.append(f"Chỉ kiểm tra {max_citations} trích dẫn đầu tiên (KB_DESK_MAX_CITATIONS); còn {skipped} "
                            "trích dẫn chưa kiểm tra: chia dự thảo để kiểm tra phần còn lại.")
    report.bodies = addressed_bodies(draft, view, date)
    return report


def addressed_bodies(draft: Draft, view: BaseView, as_of: str) -> list[str]:
    """Each body the draft names that no longer exists as named on the date (corpus/catalog.toml
    [[succession]]), once, with the passages that name it: "Từ 01/03/2025, … — Căn cứ 4; Khoản 4 Điều 2."."""
    where: dict[str, list[str]] = {}
    for p in draft.passages:
        for line in view.body_notes([p.text], as_of):
            where.setdefault(line, []).append(p.label)
    return [f"{line.rstrip('.')} — {'; '.join(labels)}." for line, labels in where.items()]
