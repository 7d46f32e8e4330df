"""Typed results of the Q&A service. The UI and the CLI only render these."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ClauseHit:
    """One retrieved clause node with everything needed to show and cite it."""

    node_id: str
    document: str  # document key: number, or lower-cased title when there is none
    document_number: str
    document_name: str  # "Nghị định 72/2015/NĐ-CP"
    doc_type: str
    title: str  # document title
    article: str  # "7"
    article_title: str
    clause: str  # "3" or ""
    point: str  # "a", "a-c" for a group of points, or ""
    citation: str  # rendered from metadata: "Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"
    text: str  # verbatim node text
    path: str  # "/Chương II/Điều 7/Khoản 3"
    status: str = ""  # document status: "in_force", "amended", "secondary", "not_yet", …
    effective_from: str = ""
    amendment_note: str = ""
    phapdien_id: str = ""
    url: str = ""
    score: float = 0.0
    unit_kind: str = "dieu"
    references: tuple[str, ...] = ()  # citations of the units this clause's text refers to
    coverage: float = 0.0  # IDF-weighted share of the question's words this clause (with its heading) covers
    source_kind: str = ""  # "phapdien" | "original" | "secondary" | "benchmark"
    issued_on: str = ""
    scope: tuple[str, ...] = ()  # who the document applies to, when its scope article says (core.bodies actor kinds)
    issuer: str = ""  # "Chính phủ": the formal citation drafters write names it
    # The changes other documents made to this unit, one Vietnamese line each (qa.amended): shown
    # in the clause panel, and in an answer's warnings instead of the raw Pháp điển note.
    amendments: tuple[str, ...] = ()
    # Hiệu lực of this unit (qa.validity.Status.to_dict: value, label, source, reason, since); {} = not computed.
    validity: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Citation:
    """A citation in an answer. `citation` comes from node metadata, never from a model."""

    document: str  # document number or name
    article: str
    clause: str
    point: str
    citation: str
    quote: str  # verbatim substring of the node text
    node_id: str
    status: str = ""
    url: str = ""
    # "answer": the clause that answers; "context": quoted to complete or qualify it;
    # "reference": a clause the quoted text refers to ("theo quy định tại khoản 2 Điều này"), followed.
    role: str = "answer"
    # The amending provisions of the cited unit, labelled with their date ("Khoản 1 Điều 1 Nghị định
    # 999/2099/NĐ-CP (từ 01/07/2099)"), marked when their text is not in the base (qa.amended).
    amended_by: list[str] = field(default_factory=list)
    # The article's title: the body an article is titled by ("Ủy ban nhân dân cấp tỉnh") is often
    # named nowhere in its khoản.
    article_title: str = ""
    # Hiệu lực of the cited unit on the answer's date, and where that came from (qa.validity.Status.to_dict);
    # `status` above is the document's stored status word ("secondary", "amended"…), kept for compatibility.
    validity: dict = field(default_factory=dict)
    # The quote is the current wording: the unit changed after the answer's date and the wording in force
    # then is not in the base (qa.validity.stored_wording). Such a citation is never the answer's basis.
    current_wording: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation]
    basis: str  # "found" | "weak" | "none"
    confidence: float
    mode: str  # "extractive" | "llm"
    retrieved: list[ClauseHit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # amended / not in force / dropped citations
    dropped_citations: list[str] = field(default_factory=list)  # invalid [n] markers from the model
    fell_back: bool = False  # llm answer replaced by the extractive one
    # Catalogued documents the question names whose text is not in the base ("47/NQ-CP").
    missing_documents: list[str] = field(default_factory=list)
    # Dense search was down (Chroma stopped…): found by lexical search only; a warning says so.
    lexical_only: bool = False
    # Why the lead was chosen: the rule (qa.answer LEAD_RULES), the lead's score and the features that
    # weighed most in it, the basis probability (qa.ranker).
    why: dict = field(default_factory=dict)
    # The previous question this one was read as a follow-up of ("" when it stands alone).
    continues: str = ""

    def to_public_dict(self) -> dict:
        """Stable JSON shape of `kb ask --json`."""
        return {
            "answer": self.answer,
            "citations": [
                {k: c.to_dict()[k] for k in ("document", "article", "clause", "point", "citation", "quote")}
                | {"node_id": c.node_id, "status": c.status, "role": c.role, "amended_by": c.amended_by,
                   "article_title": c.article_title, "validity": c.validity, "current_wording": c.current_wording}
                for c in self.citations
            ],
            "basis": self.basis,
            "confidence": round(self.confidence, 4),
            "mode": self.mode,
            "warnings": self.warnings,
            "dropped_citations": self.dropped_citations,
            "fell_back": self.fell_back,
            "missing_documents": self.missing_documents,
            "lexical_only": self.lexical_only,
            "why": self.why,
            "continues": self.continues,
        }


@dataclass
class LookupResult:
    """`kb lookup`: the exact referenced unit, or why not."""

    status: str  # "found" | "ambiguous" | "not_found"
    document: str = ""
    article: str = ""
    clause: str = ""
    point: str = ""
    citation: str = ""
    text: str = ""
    message: str = ""  # Vietnamese explanation for ambiguous / not found
    suggestions: list[str] = field(default_factory=list)
    hits: list[ClauseHit] = field(default_factory=list)
    # "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ" (ingest.identity.formal_citation)
    formal_citation: str = ""
    # Amendments (qa.amended): the date the text is in force on ("" = as enacted), one line per change
    # made to the unit, the amending provisions, and whether the unit was repealed by then.
    as_of: str = ""
    notes: list[str] = field(default_factory=list)
    amended_by: list[str] = field(default_factory=list)
    repealed: bool = False
    article_title: str = ""
    # Hiệu lực of the unit on `as_of` (today when none), with its source (qa.validity.Status.to_dict).
    validity: dict = field(default_factory=dict)
    # `text` is the current wording, not the one in force on `as_of` (not in the base; `notes` say so).
    current_wording: bool = False

    def to_public_dict(self) -> dict:
        return {
            "status": self.status,
            "document": self.document,
            "article": self.article,
            "clause": self.clause,
            "point": self.point,
            "citation": self.citation,
            "text": self.text,
            "message": self.message,
            "suggestions": self.suggestions,
            "as_of": self.as_of,
            "notes": self.notes,
            "amended_by": self.amended_by,
            "repealed": self.repealed,
            "article_title": self.article_title,
            "validity": self.validity,
            "current_wording": self.current_wording,
        }


# ---------------------------------------------------------------- documents and their trees


@dataclass
class DocumentSummary:
    """A row of the document list (`kb docs --json`, the Văn bản tab): loaded or catalogued-missing."""

    key: str
    number: str
    title: str
    type: str
    name: str  # how a citation names it: "Nghị định 72/2015/NĐ-CP"
    status: str  # "ready" (text in the base) | "missing" (catalogued, no text)
    articles: int = 0
    nodes: int = 0
    dense_nodes: int = 0
    legal_status: str = ""  # in_force, amended, secondary …
    source_kind: str = ""
    issuer: str = ""
    issued_on: str = ""
    effective_from: str = ""
    in_catalog: bool = False
    relations: list[str] = field(default_factory=list)
    note: str = ""
    text_source: str | None = None  # catalogue entries: where the official text can be found
    validity: dict = field(default_factory=dict)  # hiệu lực today, with its source (qa.validity.Status.to_dict)

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["text_source"] is None:
            del d["text_source"]
        return d


@dataclass
class EmbedProgress:
    """Vectors computed so far and the background embedding's speed (`kb docs`, the Văn bản tab)."""

    nodes: int
    dense: int
    rate: float = 0.0  # nodes/s, recent; 0 when no embedding ran in the last minutes
    active: bool = False

    @property
    def pending(self) -> int:
        return max(self.nodes - self.dense, 0)

    @property
    def eta_s(self) -> float | None:
        return self.pending / self.rate if self.rate > 0 and self.pending else None

    def describe(self) -> str:
        """One line in Vietnamese: "Tìm theo nghĩa: 1.234/5.678 đoạn có vectơ (22%); đang tính nền …"."""
        if not self.nodes:
            return ""
        pct = 100.0 * self.dense / self.nodes
        line = f"Tìm theo nghĩa: {self.dense:,}/{self.nodes:,} đoạn có vectơ ({pct:.0f}%)".replace(",", ".")
        if not self.pending:
            return line + "."
        if self.active and self.eta_s is not None:
            eta = self.eta_s
            left = f"{eta / 3600:.1f} giờ".replace(".", ",") if eta >= 3600 else f"{max(eta / 60, 1):.0f} phút"
            return (line + f"; đang tính nền ~{self.rate:.1f} đoạn/giây".replace(".", ",") + f", còn khoảng {left} "
                    "(văn bản trong danh mục trước, rồi văn bản được hỏi nhiều).")
        return line + "; phần còn lại vẫn tìm được theo từ ngữ (chạy `kb embed` hoặc `kb serve` để tính tiếp)."

    def to_dict(self) -> dict:
        return {"nodes": self.nodes, "dense": self.dense, "pending": self.pending, "rate": round(self.rate, 2),
                "active": self.active, "eta_s": round(self.eta_s) if self.eta_s is not None else None}


@dataclass
class PointView:
    label: str
    citation: str
    text: str


@dataclass
class ClauseView:
    number: str
    citation: str
    text: str
    node_id: str | None
    points: list[PointView] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *[p.text for p in self.points]]).strip()


@dataclass
class UnitView:
    kind: str
    number: str
    title: str
    chapter: str
    section: str
    citation: str
    intro: str
    clauses: list[ClauseView] = field(default_factory=list)
    effective_from: str = ""
    amendment_note: str = ""
    phapdien_id: str = ""
    amendments: list[str] = field(default_factory=list)  # changes made to this article (qa.amended)
    amended_by: list[str] = field(default_factory=list)  # the amending provisions, with their dates
    validity: dict = field(default_factory=dict)  # set when the article's hiệu lực differs from the document's


@dataclass
class DocumentTree:
    """Chương → điều → khoản → điểm of one document, with citations for every unit."""

    key: str
    name: str
    status: str = ""
    effective_from: str = ""
    issuer: str = ""
    number: str = ""  # with doc_type and issued_on: what the formal citation of each unit needs
    doc_type: str = ""
    issued_on: str = ""
    relations: list[str] = field(default_factory=list)
    units: list[UnitView] = field(default_factory=list)
    # changes to the whole document or to articles it does not have yet (added by another document)
    amendments: list[str] = field(default_factory=list)
    validity: dict = field(default_factory=dict)  # hiệu lực today, with its source (qa.validity.Status.to_dict)
    # staff corrections of its header facts, one line each: what was read, what it was corrected to, who, when
    corrections: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class OriginalFile:
    """The file a document was read from, kept byte for byte as ingested (for download)."""

    key: str
    name: str  # the file name as uploaded: "nghi-dinh-72-2015.pdf"
    path: str  # where the server keeps it; never shown
    size: int = 0
