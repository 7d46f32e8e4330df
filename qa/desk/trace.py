"""Đối chiếu văn bản: a guidance letter, a plan or a resolution split into its tasks, each traced to
the clauses it carries out or repeats.

    trace(draft, view, as_of) -> TraceReport

Tasks are the numbered items of the text (I., 1., (1), a), khoản, điểm), the bullets under them
("- Bố trí …") and, elsewhere, the sentences that carry a duty (DUTY_CUES: "đề nghị", "có trách
nhiệm", "chủ trì" …). Each task's text is searched with the KnowledgeBase's retrieval over the legal
documents of the base (secondary sources and the traced text itself left out); the answer stage's
basis model gives the confidence that the clauses found are its basis ("found" / "weak" / "none").
A clause whose words the task mostly repeats is "restated", otherwise "implemented". The documents a
task names are resolved as the basis check resolves them (qa.desk.basis_check). A task with no basis
found and no document of the base named is flagged.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from core.vocab import SECONDARY_LABEL, fold, format_iso
from ingest.crossrefs import find_citations
from qa.answer import assess_basis
from qa.desk.base_view import BaseView
from qa.desk.basis_check import CheckedCitation, CitationChecker, as_of_for
from qa.desk.draft import Draft, Passage

# Words that make a sentence a duty (folded, whole words). Numbered items are tasks without them.
DUTY_CUES = ("phai", "co trach nhiem", "chiu trach nhiem", "de nghi", "yeu cau", "chu tri", "phoi hop", "giao",
             "trien khai", "to chuc", "xay dung", "bo tri", "bao dam", "dam bao", "thuc hien", "bao cao",
             "hoan thanh", "ra soat", "kiem tra", "tang cuong", "day manh", "khuyen khich", "theo doi", "tham muu")
_CUE_RE = re.compile(r"(?<![a-z])(?:" + "|".join(c.replace(" ", r"\s+") for c in DUTY_CUES) + r")(?![a-z])")
_BULLET_RE = re.compile(r"^\s*[-+•–]\s+")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ])")
BASIS_LABELS = {"found": "Có căn cứ", "weak": "Căn cứ yếu — cần kiểm tra lại", "none": "Không tìm thấy căn cứ"}
RELATIONS = {"implements": "triển khai", "restates": "nhắc lại"}
LINKS_PER_TASK = 3
RESTATES_AT = 0.6  # share of the task's words found in the clause, in order, in runs of three words or more


@dataclass
class Link:
    citation: str
    document: str  # key
    node_id: str
    relation: str  # a key of RELATIONS
    score: float  # the ranker's score
    text: str  # the clause text, verbatim (clipped for display by the renderers)

    def to_dict(self) -> dict:
        return asdict(self) | {"relation_label": RELATIONS[self.relation]}


@dataclass
class Task:
    label: str  # "Mục (1)", "Mục (1), ý 2", "Khoản 2 Điều 3"
    text: str
    basis: str  # "found" | "weak" | "none"
    confidence: float  # the basis model's probability that the clauses found are its basis
    links: list[Link] = field(default_factory=list)  # with basis "none": the nearest clauses, not a basis
    named: list[CheckedCitation] = field(default_factory=list)  # documents the task itself names
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"label": self.label, "text": self.text, "basis": self.basis, "basis_label": BASIS_LABELS[self.basis],
                "confidence": round(self.confidence, 4), "flagged": self.flagged, "reasons": self.reasons,
                "links": [l.to_dict() for l in self.links], "named": [c.to_dict() for c in self.named]}


@dataclass
class TraceReport:
    source: str  # file name or "văn bản dán vào"
    as_of: str
    source_note: str = ""  # a secondary source says so here
    tasks: list[Task] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"source": self.source, "as_of": self.as_of, "source_note": self.source_note,
                "flagged": sum(t.flagged for t in self.tasks), "tasks": [t.to_dict() for t in self.tasks],
                "notes": self.notes}

    def lines(self) -> list[str]:
        """The report as text (`kb trace`)."""
        out = [f"Đối chiếu văn bản: {self.source} — tại ngày {format_iso(self.as_of)}"]
        if self.source_note:
            out.append(f"LƯU Ý: {self.source_note}")
        out.append(f"{len(self.tasks)} nhiệm vụ; {sum(t.flagged for t in self.tasks)} chưa tìm thấy căn cứ trong cơ sở dữ liệu")
        for t in self.tasks:
            mark = "  [CHƯA CÓ CĂN CỨ]" if t.flagged else ""
            out.append(f"\n{t.label}: {_clip(t.text, 140)}{mark}")
            out.append(f"  {BASIS_LABELS[t.basis]} (độ tin cậy {t.confidence:.0%})")
            if t.links and t.basis == "none":
                out.append("  Gần nhất (không đủ làm căn cứ): " + "; ".join(l.citation for l in t.links))
            else:
                out += [f"  → {link.citation} ({RELATIONS[link.relation]})" for link in t.links]
            for c in t.named:
                out.append(f"  Văn bản được nêu: “{c.written}” — {c.label}"
                           + (f" [{c.citation}]" if c.citation and c.citation != c.written else ""))
            out += [f"  {r}" for r in t.reasons]
        out += [f"\nLưu ý: {n}" for n in self.notes]
        return out


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------- tasks


def has_duty(text: str) -> bool:
    return bool(_CUE_RE.search(fold(text)))


def _numbered(p: Passage) -> bool:
    """A numbered item: a khoản, a điểm, or a numbered section of a letter (not its opening words)."""
    return p.kind in ("clause", "point") or (p.kind == "section" and bool(p.label) and p.label != "Mở đầu"
                                              and not p.label.startswith("Mở đầu"))


def split_tasks(draft: Draft) -> list[tuple[str, str]]:
    """(label, text) of each task, in order. In a text with numbered items, its unnumbered opening is
    context, not tasks; without any, every sentence carrying a duty is one."""
    body = [p for p in draft.passages if p.kind != "basis"]
    any_numbered = any(_numbered(p) for p in body)
    tasks: list[tuple[str, str]] = []
    for p in body:
        numbered = _numbered(p)
        if not numbered and any_numbered and p.kind != "intro":
            continue
        lines = [l.strip() for l in p.text.split("\n") if l.strip()]
        bullet = 0
        for i, line in enumerate(lines):
            if numbered and i == 0:
                tasks.append((p.label, line))
            elif _BULLET_RE.match(line):
                bullet += 1
                tasks.append((f"{p.label}, ý {bullet}", _BULLET_RE.sub("", line)))
            else:
                for sentence in _SENTENCE_SPLIT_RE.split(line):
                    if has_duty(sentence):
                        tasks.append((p.label, sentence.strip()))
    return tasks


# ---------------------------------------------------------------- tracing


def _relation(task: str, clause: str) -> str:
    words, other = fold(task).split(), fold(clause).split()
    if not words:
        return "implements"
    # runs of three words or more: a long clause shares many single words with any task on its subject
    matched = sum(b.size for b in difflib.SequenceMatcher(None, words, other, autojunk=False).get_matching_blocks()
                  if b.size >= 3)
    return "restates" if matched / len(words) >= RESTATES_AT else "implements"


def _legal_documents(view: BaseView, exclude: set[str]) -> list[str]:
    """Keys of the stored documents a task may rest on: not secondary sources, not the traced text."""
    return [d.key for d in view.registry.documents() if d.source_kind != "secondary" and d.key not in exclude]


def trace(draft: Draft, view: BaseView, as_of: str | None = None, max_tasks: int = 60) -> TraceReport:
    date, _ = as_of_for(as_of, draft)
    doc = view.catalog.apply_secondary(draft.doc)  # a file the catalogue lists as a secondary source is one
    report = TraceReport(source=draft.name, as_of=date)
    if doc.source_kind == "secondary":
        about = next((s for s in view.catalog.secondary if s.title == doc.title), None)
        report.source_note = (about.note if about and about.note else f"Văn bản này là {SECONDARY_LABEL}.")
        if about and about.about:
            state = "có" if about.about.upper() in view.loaded_keys else "chưa có"
            report.source_note += f" Văn bản chính thức ({about.about}) {state} trong cơ sở dữ liệu."
    documents = _legal_documents(view, {doc.key})
    if not documents:
        report.notes.append("Cơ sở dữ liệu chưa có văn bản pháp luật nào để đối chiếu.")
    checker = CitationChecker(view, date, check_form=False)
    tasks = split_tasks(draft)
    if len(tasks) > max_tasks:
        report.notes.append(f"Chỉ đối chiếu {max_tasks} nhiệm vụ đầu tiên trong {len(tasks)} (KB_DESK_MAX_TASKS).")
    for label, text in tasks[:max_tasks]:
        task = Task(label, text, "none", 0.0)
        task.named = checker.check(Passage(label, text), find_citations(text), 20)
        if documents:
            res = view.retrieve(text, 10, date, documents)
            task.basis, task.confidence = assess_basis(res.question, res.hits, res.features, res.dense_top, view.ranker,
                                                       res.unknown_words)
            seen = set()  # one clause per article: three articles say more than three khoản of one
            for h in res.hits:
                if (h.document, h.article) in seen:
                    continue
                seen.add((h.document, h.article))
                task.links.append(Link(h.citation, h.document, h.node_id, _relation(text, h.text), round(h.score, 4),
                                       h.text))
                if len(task.links) >= LINKS_PER_TASK:
                    break
        in_base = [c for c in task.named if c.document and c.document in view.loaded_keys]
        task.flagged = task.basis == "none" and not in_base
        missing = [c.document_name or c.written for c in task.named if c.verdict in ("missing", "unknown")]
        if missing:
            task.reasons.append("Văn bản được nêu chưa có trong cơ sở dữ liệu: " + "; ".join(dict.fromkeys(missing)) + ".")
        if task.flagged:
            task.reasons.append("Không tìm thấy điều khoản nào trong cơ sở dữ liệu làm căn cứ cho nhiệm vụ này.")
        report.tasks.append(task)
    return report
