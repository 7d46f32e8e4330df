"""Compare two versions of one document (or two documents), article by article (pure: no registry, no I/O).

Staff replacing a document see what the new file changes before it is stored, and `kb compare`
shows the same for any two stored documents, versions or files: articles added, removed, changed
(each as a word diff of the verbatim text, and khoản by khoản), renumbered, and the header facts
(number, title, dates…) that differ. Articles, and the khoản of a changed article, are matched by
what they say, not by number (ingest.align): inserting a new Điều 6 reads "thêm Điều 6; Điều 6–20
cũ thành Điều 7–21", not as fifteen amended articles.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from core.vocab import unit_label
from ingest.align import Match, Unit, align
from ingest.model import Article, LegalDocument

# Header facts compared, with the label staff know them by.
HEADER_FIELDS = (("number", "Số hiệu"), ("doc_type", "Loại văn bản"), ("title", "Trích yếu"),
                 ("issuer", "Cơ quan ban hành"), ("issued_on", "Ngày ban hành"),
                 ("effective_from", "Ngày có hiệu lực"))
_TOKEN = re.compile(r"^\s+|\S+\s*")  # a word and the whitespace after it
_FINE = re.compile(r"\s+|\S+")  # a word, or whitespace
# A khoản's own number at the head of its text ("2. ", "3a) "): not what it says, so a renumbered
# khoản is recognised as the same one.
_CLAUSE_MARK = re.compile(r"^\s*\(?[0-9]+[a-zđ]?[.)]\s*")
# What each status is called, in the summary and in each change's line.
STATUS_LABELS = {"added": "thêm mới", "removed": "bị bỏ", "changed": "sửa đổi", "renumbered": "đánh số lại",
                 "unchanged": "giữ nguyên"}


@dataclass(frozen=True)
class FieldChange:
    name: str  # attribute of LegalDocument: "effective_from"
    label: str  # "Ngày có hiệu lực"
    old: str
    new: str


@dataclass(frozen=True)
class ClauseChange:
    """One khoản of a changed article that is not the same in both versions; number "" is the
    article's lead text before its first khoản."""

    number: str  # in the new version (the old one for a removed khoản)
    status: str  # "added" | "removed" | "changed" | "renumbered"
    old_number: str = ""  # in the old version ("" for an added khoản)
    old_text: str = ""
    new_text: str = ""
    spans: tuple[tuple[str, str], ...] = ()  # word diff, for "changed"
    moved: bool = False  # moved elsewhere in the article
    old_index: int = -1  # position among the old article's khoản (-1: added)
    new_index: int = -1  # position among the new article's khoản (-1: removed)

    @property
    def label(self) -> str:
        return clause_label(self.number)

    @property
    def old_label(self) -> str:
        return clause_label(self.old_number)


@dataclass(frozen=True)
class ArticleChange:
    """One article that is not the same in both versions."""

    kind: str  # "dieu" | "section"
    number: str  # in the new version (the old one for a removed article)
    status: str  # "added" | "removed" | "changed" | "renumbered"
    old_title: str = ""
    new_title: str = ""
    old_text: str = ""
    new_text: str = ""
    # The word diff of old -> new text: ("same" | "del" | "ins", text with its whitespace).
    spans: tuple[tuple[str, str], ...] = ()
    old_number: str = ""  # in the old version ("" for an added article)
    moved: bool = False  # matched out of order: moved elsewhere in the document
    clauses: tuple[ClauseChange, ...] = ()  # for "changed": its khoản that differ, in the new order
    old_index: int = -1  # position among the old version's units (-1: added)
    new_index: int = -1  # position among the new version's units (-1: removed)

    @property
    def label(self) -> str:
        return unit_label(self.kind, self.number)

    @property
    def old_label(self) -> str:
        return unit_label(self.kind, self.old_number) if self.old_number else ""

    @property
    def renumbered_from(self) -> str:
        """The old label when the article had another number, else ""."""
        return self.old_label if self.status in ("changed", "renumbered") and self.old_number != self.number else ""

    @property
    def title(self) -> str:
        return self.new_title or self.old_title


@dataclass
class DocumentDiff:
    old_key: str
    new_key: str
    fields: list[FieldChange] = field(default_factory=list)
    articles: list[ArticleChange] = field(default_factory=list)  # in the new version's order, removed ones where they were
    unchanged: int = 0  # articles identical in both versions, under the same number
    old_name: str = ""  # what each side is, for the reader ("Nghị định 998/2099/NĐ-CP, phiên bản 1")
    new_name: str = ""

    def _with(self, status: str) -> list[ArticleChange]:
        return [a for a in self.articles if a.status == status]

    @property
    def added(self) -> list[ArticleChange]:
        return self._with("added")

    @property
    def removed(self) -> list[ArticleChange]:
        return self._with("removed")

    @property
    def changed(self) -> list[ArticleChange]:
        return self._with("changed")

    @property
    def renumbered(self) -> list[ArticleChange]:
        """Articles with the same heading and text under another number."""
        return self._with("renumbered")

    @property
    def identical(self) -> bool:
        return not self.fields and not self.articles

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                "renumbered": len(self.renumbered), "unchanged": self.unchanged}

    def summary(self) -> str:
        """"1 điều thêm mới · 0 điều bị bỏ · 2 điều sửa đổi · 15 điều đánh số lại · 5 điều giữ nguyên"."""
        return " · ".join(f"{n} điều {STATUS_LABELS[k]}" for k, n in self.counts().items())

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(counts=self.counts(), summary=self.summary(), outline=[line for line, _ in outline(self.articles)])
        for a, row in zip(self.articles, out["articles"]):
            row.update(label=a.label, old_label=a.old_label)
            for c, crow in zip(a.clauses, row["clauses"]):
                crow.update(label=c.label, old_label=c.old_label)
        return out


def clause_label(number: str) -> str:
    return f"khoản {number}" if number else "đoạn mở đầu"


def article_text(unit: Article) -> str:
    """What is compared: the verbatim text of the article (its heading is compared apart)."""
    return unit.full_text


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Spans ("same" | "del" | "ins", text) that turn `old` into `new`, word by word.

    Whitespace is kept inside the spans so that joining the "same" and "del" spans gives back
    `old` exactly, and the "same" and "ins" spans give back `new`. The texts are diffed first as
    words each with the whitespace after it (as tokens of their own, the spaces, half of all
    tokens and all alike, made difflib quadratic in the length of an article), then each replaced
    stretch again with words and spaces apart, so that "một lần." -> "hai lần" keeps "lần"."""
    spans: list[tuple[str, str]] = []

    def put(op: str, text: str) -> None:
        if not text:
            return
        if spans and spans[-1][0] == op:
            spans[-1] = (op, spans[-1][1] + text)
        else:
            spans.append((op, text))

    def diff(a: list[str], b: list[str], fine: bool) -> None:
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag == "equal":
                put("same", "".join(a[i1:i2]))
            elif tag == "replace" and not fine:
                diff(_FINE.findall("".join(a[i1:i2])), _FINE.findall("".join(b[j1:j2])), True)
            else:
                put("del", "".join(a[i1:i2]))
                put("ins", "".join(b[j1:j2]))

    diff(_TOKEN.findall(old), _TOKEN.findall(new), False)
    return tuple(spans)


def _clause_units(unit: Article) -> list[Unit]:
    lead = [Unit("", "", unit.intro)] if unit.intro else []
    return lead + [Unit(c.number, "", _CLAUSE_MARK.sub("", c.full_text, count=1)) for c in unit.clauses]


def _clause_texts(unit: Article) -> list[str]:
    return ([unit.intro] if unit.intro else []) + [c.full_text for c in unit.clauses]


def compare_clauses(old: Article, new: Article) -> tuple[ClauseChange, ...]:
    """The khoản of two versions of an article that differ, aligned by what they say."""
    a, b = _clause_units(old), _clause_units(new)
    ta, tb = _clause_texts(old), _clause_texts(new)
    out = []
    for m in align(a, b):
        if m.new is None:
            out.append(ClauseChange(a[m.old].number, "removed", a[m.old].number, old_text=ta[m.old], old_index=m.old))
            continue
        if m.old is None:
            out.append(ClauseChange(b[m.new].number, "added", new_text=tb[m.new], new_index=m.new))
            continue
        common = dict(old_number=a[m.old].number, old_text=ta[m.old], new_text=tb[m.new], moved=m.moved,
                      old_index=m.old, new_index=m.new)
        if a[m.old].text != b[m.new].text:
            out.append(ClauseChange(b[m.new].number, "changed", spans=word_diff(ta[m.old], tb[m.new]), **common))
        elif a[m.old].number != b[m.new].number:
            out.append(ClauseChange(b[m.new].number, "renumbered", **common))
    return tuple(out)


def _article_unit(u: Article) -> Unit:
    return Unit(u.number, u.title, article_text(u), u.kind)


def _article_change(m: Match, old: list[Article], new: list[Article]) -> ArticleChange | None:
    """The change one step of the alignment is; None for an article that is the same, same number."""
    if m.new is None:
        u = old[m.old]
        return ArticleChange(u.kind, u.number, "removed", old_title=u.title, old_text=article_text(u),
                             old_number=u.number, old_index=m.old)
    u = new[m.new]
    if m.old is None:
        return ArticleChange(u.kind, u.number, "added", new_title=u.title, new_text=article_text(u), new_index=m.new)
    prev = old[m.old]
    a, b = article_text(prev), article_text(u)
    common = dict(old_title=prev.title, new_title=u.title, old_text=a, new_text=b, old_number=prev.number,
                  moved=m.moved, old_index=m.old, new_index=m.new)
    if a != b or prev.title != u.title:
        return ArticleChange(u.kind, u.number, "changed", spans=word_diff(a, b),
                             clauses=compare_clauses(prev, u) if a != b else (), **common)
    if prev.number != u.number:
        return ArticleChange(u.kind, u.number, "renumbered", **common)
    return None


def compare_documents(old: LegalDocument, new: LegalDocument) -> DocumentDiff:
    """Article-level comparison of the stored version `old` with the new version `new`."""
    diff = DocumentDiff(old_key=old.key, new_key=new.key)
    for name, label in HEADER_FIELDS:
        a, b = (getattr(old, name) or "").strip(), (getattr(new, name) or "").strip()
        if a != b:
            diff.fields.append(FieldChange(name, label, a, b))
    for m in align([_article_unit(u) for u in old.units], [_article_unit(u) for u in new.units]):
        change = _article_change(m, old.units, new.units)
        if change is None:
            diff.unchanged += 1
        else:
            diff.articles.append(change)
    return diff


def renumber_runs(changes) -> list[list]:
    """The "renumbered" ones of `changes` (articles or khoản) in runs that moved together
    (consecutive in both versions): one line "Điều 6–20 cũ thành Điều 7–21" for an insertion,
    not fifteen."""
    runs: list[list] = []
    for c in changes:
        if c.status != "renumbered":
            continue
        last = runs[-1][-1] if runs else None
        if (last is not None and not c.moved and not last.moved and getattr(c, "kind", "") == getattr(last, "kind", "")
                and c.old_index == last.old_index + 1 and c.new_index == last.new_index + 1):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def run_line(run: list) -> str:
    """"Điều 6–20 cũ thành Điều 7–21", "khoản 3 cũ thành khoản 4", "Điều 2 cũ chuyển thành Điều 9"."""
    first, last = run[0], run[-1]
    if len(run) == 1:
        return f"{first.old_label} cũ {'chuyển thành' if first.moved else 'thành'} {first.label}"
    return f"{first.old_label}–{last.old_number} cũ thành {first.label}–{last.number}"


def headline(change) -> str:
    """One change of an article or khoản in words: "thêm Điều 3", "bỏ khoản 2", "sửa đổi Điều 7
    (Điều 6 cũ)"."""
    if change.status == "renumbered":
        return run_line([change])
    verb = {"added": "thêm", "removed": "bỏ", "changed": "sửa đổi"}[change.status]
    was = f" ({change.old_label} cũ)" if change.status == "changed" and change.old_number != change.number else ""
    return f"{verb} {change.label}{was}"


def outline(changes) -> list[tuple[str, list]]:
    """The changes (articles or khoản) as they are read: (headline, the changes it covers), one
    line per change, one per run of renumbered ones."""
    runs = {id(r[0]): r for r in renumber_runs(changes)}
    in_runs = {id(c) for r in runs.values() for c in r}
    out = []
    for c in changes:
        if id(c) in runs:
            out.append((run_line(runs[id(c)]), runs[id(c)]))
        elif id(c) not in in_runs:
            out.append((headline(c), [c]))
    return out
