"""LegalDocument -> clause-level nodes (pure).

One node per khoản (per điều when it has none). A long khoản splits at điểm boundaries, each
part repeating the khoản's lead line so it is understandable alone; nothing splits mid-sentence.
The embedded text starts with the document and article heading; the quoted text is verbatim.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from core.bodies import GENERAL_SCOPE_RE, actors_in
from core.vocab import nfc
from ingest.crossrefs import clause_references
from ingest.identity import citation_string, document_name, unit_label
from ingest.model import Article, Clause, LegalDocument, NodeMeta
from ingest.structure import clause_tail

# ~250 tokens of Vietnamese: keeps dense embedding (the bottleneck) cheap and focused.
MAX_NODE_CHARS = 1100
# Article intros repeated in each clause's embedded text are cut to this length.
MAX_CONTEXT_CHARS = 240
_NS = uuid.UUID("6f1c2b7e-55a4-4f0e-9a51-3c0a8f2d7b10")


@dataclass
class ClauseNode:
    node_id: str
    doc_key: str
    text: str  # verbatim: what is quoted and cited
    embed_text: str  # heading + context + text: what is embedded and indexed
    citation: str
    path: str
    article: str
    clause: str = ""
    point: str = ""
    part_index: int = 0
    metadata: NodeMeta | None = None

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:16]


def stable_node_id(doc_key: str, path: str) -> str:
    """Same document + same structural path -> same id, so re-ingesting is idempotent."""
    return str(uuid.uuid5(_NS, f"{doc_key}|{path}"))


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _group_points(clause: Clause) -> list[tuple[str, list]]:
    """Split a long clause's points into groups that fit, keeping the lead line with each."""
    groups: list[tuple[str, list]] = []
    cur: list = []
    size = len(clause.text)
    for p in clause.points:
        if cur and size + len(p.text) > MAX_NODE_CHARS:
            groups.append((clause.text, cur))
            cur, size = [], len(clause.text)
        cur.append(p)
        size += len(p.text) + 1
    if cur:
        groups.append((clause.text, cur))
    return groups


def _split_paragraphs(text: str) -> list[str]:
    """A long article without khoản: split between paragraphs (never inside one)."""
    parts, cur = [], ""
    for para in text.split("\n"):
        if cur and len(cur) + len(para) > MAX_NODE_CHARS:
            parts.append(cur)
            cur = para
        else:
            cur = f"{cur}\n{para}" if cur else para
    if cur:
        parts.append(cur)
    return parts


def _structure_path(unit: Article) -> str:
    bits = [b.split(".")[0].strip() for b in (unit.part, unit.chapter, unit.section) if b]
    bits.append(unit_label(unit.kind, unit.number) or "Mở đầu")
    return "/" + "/".join(bits)


_SCOPE_TITLE_RE = re.compile(r"phạm vi điều chỉnh|đối tượng áp dụng", re.I)


def document_scope(doc: LegalDocument) -> tuple[str, ...]:
    """Who the document applies to, when its scope articles name one kind of body only.

    ("ministry",) for a text that governs "các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ" and no
    one else; () when the scope is general or not stated (the usual case).
    """
    text = " ".join(u.full_text for u in doc.units if u.kind == "dieu" and _SCOPE_TITLE_RE.search(u.title))
    if not text or GENERAL_SCOPE_RE.search(nfc(text).lower()):
        return ()
    actors = actors_in(text)
    return tuple(actors) if len(actors) == 1 else ()


def build_nodes(doc: LegalDocument) -> list[ClauseNode]:
    key = doc.key
    name = document_name(doc.number, doc.doc_type, doc.title)
    nodes: list[ClauseNode] = []
    base_meta = dict(
        doc_key=key, document_number=doc.number, document_name=name, doc_type=doc.doc_type, doc_title=doc.title,
        issuer=doc.issuer, issued_on=doc.issued_on, doc_effective_from=doc.effective_from, status=doc.status,
        source_kind=doc.source_kind, scope=document_scope(doc),
    )
    for unit in doc.units:
        upath = _structure_path(unit)
        heading = f"{name} — {unit_label(unit.kind, unit.number)}".rstrip(" —")
        if unit.title:
            heading += f". {unit.title}"
        unit_meta = base_meta | dict(
            unit_kind=unit.kind, article=unit.number, article_title=unit.title, chapter=unit.chapter,
            section=unit.section, part=unit.part, phapdien_id=unit.phapdien_id,
            effective_from=unit.effective_from or doc.effective_from, amendment_note=unit.amendment_note,
            url=unit.url or doc.source_url,
        )
        if doc.status == "amended" and doc.source_kind == "phapdien" and not unit.amendment_note:
            # The Pháp điển notes say which articles an amendment touched: the others are in force as enacted.
            unit_meta["status"] = "in_force"

        def add(text: str, clause: str, point: str, part: int, context: str = ""):
            path = upath + (f"/Khoản {clause}" if clause else "") + (f"/Điểm {point}" if point else "")
            path += f"/#{part}" if part else ""
            cit = citation_string(name, unit.kind, unit.number, clause, point if point and "-" not in point else "")
            embed = "\n".join(x for x in (heading, context, text) if x)
            refs = clause_references(text, document_name=name, article=unit.number, clause=clause,
                                     unit_kind=unit.kind, self_citation=cit)
            nodes.append(
                ClauseNode(
                    node_id=stable_node_id(key, path),
                    doc_key=key,
                    text=text,
                    embed_text=embed,
                    citation=cit,
                    path=path,
                    article=unit.number,
                    clause=clause,
                    point=point,
                    part_index=part,
                    metadata=NodeMeta(**unit_meta, clause=clause, point=point, path=path, citation=cit, references=refs),
                )
            )

        context = _shorten(unit.intro, MAX_CONTEXT_CHARS) if unit.intro else ""
        if not unit.clauses:
            parts = _split_paragraphs(unit.intro) if unit.intro else []
            if not parts and unit.title:
                parts = [unit.title]  # heading-only article (e.g. "Điều 5. (bãi bỏ)")
            for i, text in enumerate(parts):
                add(text, "", "", i)
            continue
        for clause in unit.clauses:
            full = clause.full_text
            if len(full) <= MAX_NODE_CHARS or len(clause.points) < 2:
                add(full, clause.number, "", 0, context)
                continue
            # the sentence that closes a list of papers is the clause's, not its last point's: cited so
            points, tail = clause_tail(clause)
            groups = _group_points(Clause(clause.number, clause.text, points))
            for i, (lead, pts) in enumerate(groups):
                label = pts[0].label if len(pts) == 1 else f"{pts[0].label}-{pts[-1].label}"
                text = "\n".join([lead, *[p.text for p in pts]])
                add(text, clause.number, label, i + 1, context)
            if tail:
                add("\n".join([clause.text, tail]), clause.number, "", len(groups) + 1, context)
    return nodes
