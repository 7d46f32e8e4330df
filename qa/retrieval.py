"""Hybrid retrieval: dense (Chroma) + lexical (bm25) fused, filtered, then scored once.

Fusion is weighted reciprocal-rank fusion (tuned on ALQAC dev, docs/BENCHMARKS.md); the top 30
candidates that pass the filters get their named features (qa.features) and the one learned score
(qa.ranker), and are returned in that order with their features (an answer's `why`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from core.errors import DenseUnavailable
from core.bodies import bodies_in
from core.vocab import DUTY_WORDS, FOLDED_SYNONYMS, STOPWORDS, SYNONYMS
from ingest.lexical import LexicalIndex, folded_query_tokens, folded_tokens, lexical_words, tokens_from_words
from ingest.model import NodeMeta
from ingest.registry import NodeRow
from ingest.store import KnowledgeStore
from qa.features import CandidateSignals, feature_matrix
from qa.intent import clause_subject
from qa.question import Question
from qa.ranker import Ranker, default_ranker
from qa.references import DocDescriptor
from qa.relevance import FOLDED_STOPWORDS, title_entity, weighted_coverage
from qa.types import ClauseHit


# Words of a question embedded for dense search. The encoder's time grows faster than the text
# (0.03 s for 10 words, over a second for 240 on a busy core): a long pasted text or a plan's task would cost
# seconds per search, and a query vector of a whole paragraph matches nothing better. Every labelled
# question (56 words at most, a follow-up with its previous question included) fits; lexical search
# still reads the whole text.
DENSE_QUERY_WORDS = 64


def dense_query_text(text: str) -> str:
    words = text.split()
    return text if len(words) <= DENSE_QUERY_WORDS else " ".join(words[:DENSE_QUERY_WORDS])


@dataclass
class RetrievalFilters:
    documents: list[str] | None = None  # document keys
    doc_types: list[str] | None = None
    statuses: list[str] | None = None  # legal status: in_force, amended, secondary …
    as_of: str | None = None  # ISO date: exclude what was not yet in force then


@dataclass
class FusionParams:
    # Tuned on ALQAC dev (docs/BENCHMARKS.md): a small k trusts the top ranks of each list.
    rrf_k: float = 5.0
    w_lexical: float = 1.0
    w_dense: float = 1.3
    candidates: int = 100
    # The top fused candidates are scored by the learned ranker (qa.ranker) on their features
    # (qa.features); False keeps the fused order (the baselines of `kb bench qa`).
    rerank: bool = True
    rerank_depth: int = 30
    # Typed without diacritics, a question embeds poorly: the dense list counts less in the fusion.
    folded_dense_factor: float = 0.5
    mode: str = "hybrid"  # "hybrid" | "lexical" | "dense"


@dataclass
class RetrievalResult:
    hits: list[ClauseHit]
    mentioned: list[str] = field(default_factory=list)
    lexical_top: float = 0.0
    dense_top: float = 0.0
    coverage: float = 0.0  # IDF-weighted share of the question's words in the best of the top clauses
    folded: bool = False  # the question was typed without diacritics and searched in the folded index
    dense_unavailable: str = ""  # why dense search was skipped (Chroma down…): lexical results only
    # The features of each returned hit that was scored by the ranker, by node id (an answer's `why`).
    features: dict[str, np.ndarray] = field(default_factory=dict)
    question: Question | None = None
    unknown_words: float = 0.0  # QueryTerms.unknown_share: the question's words the corpus never uses
    unknown_folded: float = 0.0  # QueryTerms.unknown_folded_share: the same, typed without diacritics


def hit_from_row(row: NodeRow, score: float = 0.0) -> ClauseHit:
    m = row.meta
    return ClauseHit(
        node_id=row.node_id, document=m.doc_key, document_number=m.document_number, document_name=m.document_name,
        doc_type=m.doc_type, title=m.doc_title, article=m.article, article_title=m.article_title, clause=m.clause,
        point=m.point, citation=m.citation, text=row.text, path=m.path, status=m.status,
        effective_from=m.effective_from, amendment_note=m.amendment_note, phapdien_id=m.phapdien_id, url=m.url,
        score=score, unit_kind=m.unit_kind or "dieu", references=m.references, source_kind=m.source_kind,
        issued_on=m.issued_on, scope=m.scope, issuer=m.issuer,
    )


def passes(meta: NodeMeta, f: RetrievalFilters | None) -> bool:
    if f is None:
        return True
    if f.documents and meta.doc_key not in f.documents:
        return False
    if f.doc_types and meta.doc_type not in f.doc_types:
        return False
    if f.statuses and (meta.status or "") not in f.statuses:
        return False
    if f.as_of:
        # A secondary source (an article, a letter) counts from the day it was written.
        eff = meta.effective_from or meta.doc_effective_from or meta.issued_on or ""
        if eff and eff > f.as_of:
            return False
    return True


@dataclass
class QueryTerms:
    """The question's words as the lexical index and the coverage measure see them: segmented
    and accented, or folded syllables when the question was typed without diacritics."""

    words: list[str]  # content candidates for coverage
    tokens: list[str]  # BM25 query tokens
    folded: bool
    idf: Callable[[str], float]
    asker: str = ""  # the asker's kind of body (qa.intent)
    body_words: frozenset[str] = frozenset()  # its everyday name's words ("sở", "tư_pháp")

    @classmethod
    def of(cls, q: Question, lex: LexicalIndex) -> "QueryTerms":
        # The legal name of the asker's body ("Sở Y tế" -> "cơ quan chuyên môn thuộc Ủy ban nhân dân
        # cấp tỉnh") is searched for too; coverage still measures the question's own words.
        extra = q.legal_name
        if q.unaccented and lex.has_folded:
            tokens = folded_query_tokens(q.search_text)
            more = (folded_query_tokens(extra) if extra else []) + [
                s for t in tokens for s in sorted(FOLDED_SYNONYMS.get(t, ()))]
            return cls([t for t in tokens if "_" not in t], tokens + more, True, lex.idf_folded)
        words = lexical_words(q.search_text)
        more = [s for w in words for s in sorted(SYNONYMS.get(w, ()))] + (lexical_words(extra) if extra else [])
        return cls(words, tokens_from_words(words + more), False, lex.idf, q.asker, q.body_words(words))

    def clause_tokens(self, row: NodeRow) -> set[str]:
        tokens = row.lex_tokens.split()
        if title_entity(row.meta.article_title):
            # An article titled by a body ("Bộ Ngoại giao", in the chapter on responsibilities) is
            # that body's duties: "trách nhiệm gì" is answered by it as by "Trách nhiệm của Bộ …".
            tokens += [part for w in DUTY_WORDS for part in (w, *w.split("_"))]
        out = set(folded_tokens(tokens)) if self.folded else set(tokens)
        # The segmenter joins differently in a clause and a question ("thực_hiện_phát_ngôn" in the
        # clause, "phát_ngôn" in the question): a word found inside a longer one is found.
        for tok in [t for t in out if t.count("_") >= 2]:
            parts = tok.split("_")
            out.update("_".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 2, len(parts) + 1))
        if self.body_words and self.asker in bodies_in(clause_subject(row.text)):
            out |= self.body_words  # "Sở Tư pháp" is one of the "cơ quan chuyên môn" the clause addresses
        return out

    def unknown_share(self, df: dict[str, int]) -> float:
        """IDF-weighted share of the question's content words the corpus never uses ("kết_hôn" asked of
        the press texts): what no clause here can answer. Accented questions only: folded syllables
        ("ket", "hon") are all somewhere."""
        if self.folded:
            return 0.0
        words = [w for w in dict.fromkeys(self.words) if w not in STOPWORDS and not w.isdigit() and len(w) > 1]
        if not words:
            return 0.0
        total = sum(self.idf(w) for w in words)
        # only words of several syllables: a lone unknown token is an abbreviation ("ubnd", "nđ"), a
        # typo or a number, not a subject the corpus lacks
        return sum(self.idf(w) for w in words if "_" in w and not df.get(w)) / total if total else 0.0

    def unknown_folded_share(self, df_folded: dict[str, int]) -> float:
        """The same for a question typed without diacritics: the share of its content syllables that
        belong to no word of two or three syllables the corpus uses ("ket hon", "nghia vu quan su"
        asked of the press texts), since every folded syllable alone is somewhere ("hon" = "hơn")."""
        if not self.folded:
            return 0.0
        syl = self.words
        known = [False] * len(syl)
        for n in (2, 3):
            for i in range(len(syl) - n + 1):
                if df_folded.get("_".join(syl[i:i + n])):
                    known[i:i + n] = [True] * n
        content = [i for i, w in enumerate(syl) if w not in FOLDED_STOPWORDS and not w.isdigit() and len(w) > 1]
        return sum(1 for i in content if not known[i]) / len(content) if content else 0.0

    def coverage(self, row: NodeRow) -> float:
        stop = FOLDED_STOPWORDS if self.folded else STOPWORDS
        return weighted_coverage(self.words, self.clause_tokens(row), self.idf, stop)


def rrf(ranked: list[str], k: float, weight: float) -> dict[str, float]:
    return {nid: weight / (k + i + 1) for i, nid in enumerate(ranked)}


class Retriever:
    def __init__(self, store: KnowledgeStore, params: FusionParams | None = None, ranker: Ranker | None = None):
        self.store = store
        self.params = params or FusionParams()
        self.ranker = ranker or default_ranker()
        self._descriptors = None
        self._descriptors_gen = -1

    # ---- document mentions ("theo Luật Cư trú", "Nghị định 72")
    def descriptors(self) -> list[DocDescriptor]:
        gen = self.store.registry.generation()
        if self._descriptors is None or self._descriptors_gen != gen:
            descs = []
            aliases = {e.key: tuple(e.aliases) for e in self.store.catalog.entries}
            for d in self.store.registry.documents():
                descs.append(DocDescriptor(key=d.key, number=d.number, doc_type=d.doc_type,
                                           title=d.title, aliases=aliases.get(d.key, ())))
            self._descriptors, self._descriptors_gen = descs, gen
        return self._descriptors

    # ---- the two retrievers
    def lexical(self, lex: LexicalIndex, tokens: list[str], n: int, folded: bool = False) -> list[tuple[str, float]]:
        scores = lex.scores(tokens, folded)
        if scores.size == 0:
            return []
        n = min(n, scores.size)
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(lex.node_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def dense(self, question: str, n: int, doc_keys: list[str] | None = None) -> list[tuple[str, float]]:
        if not self.store.registry.has_dense():
            return []
        self.store.dense.check_available()  # Chroma known down: no query embedding for nothing
        vec = self.store.dense.embed_query(dense_query_text(question))
        return self.store.dense.query(vec, n, doc_keys)

    def question(self, text: str, previous: Question | None = None) -> Question:
        """The question parsed once, against the documents loaded now (the service passes the
        catalogue too, for missing documents)."""
        return Question.parse(text, self.descriptors(), previous=previous)

    def search(self, question: Question | str, k: int = 10, filters: RetrievalFilters | None = None) -> RetrievalResult:
        q = question if isinstance(question, Question) else self.question(question)
        p = self.params
        n = p.candidates * (3 if filters and (filters.as_of or filters.statuses or filters.doc_types) else 1)
        lex_index = self.store.lexical()
        terms = QueryTerms.of(q, lex_index)
        lex = self.lexical(lex_index, terms.tokens, n, terms.folded) if p.mode in ("hybrid", "lexical") else []
        den, dense_down = [], ""
        if p.mode in ("hybrid", "dense"):
            try:
                den = self.dense(q.search_text, n, filters.documents if filters else None)
            except DenseUnavailable as exc:  # Chroma or the embedding server is down: lexical only, said
                dense_down = str(exc)
        ids = list(dict.fromkeys([i for i, _ in lex] + [i for i, _ in den]))
        rows = self.store.registry.nodes_by_id(ids)
        # The lexical index may lag the registry by a generation while another process rebuilds it
        # (KnowledgeStore.lexical): a node since removed is dropped, like a stale vector.
        lex = [(i, s) for i, s in lex if i in rows]
        # A vector whose text hash differs from the node's is stale (interrupted sync): ignore it.
        held = self.store.registry.dense_hashes([i for i, _ in den]) if den else {}
        den = [(i, s) for i, s in den if i in rows and held.get(i) == rows[i].text_hash]
        fused: dict[str, float] = {}
        for nid, s in rrf([i for i, _ in lex], p.rrf_k, p.w_lexical).items():
            fused[nid] = fused.get(nid, 0.0) + s
        w_dense = p.w_dense * (p.folded_dense_factor if terms.folded else 1.0)
        for nid, s in rrf([i for i, _ in den], p.rrf_k, w_dense).items():
            fused[nid] = fused.get(nid, 0.0) + s
        ranked = sorted(fused, key=lambda i: -fused[i])
        # Filters apply before scoring: the ranker orders what can be shown.
        ranked = [nid for nid in ranked if passes(rows[nid].meta, filters)]
        head = ranked[: p.rerank_depth]
        cov = {nid: terms.coverage(rows[nid]) for nid in head}
        head_hits = [hit_from_row(rows[nid], fused[nid]) for nid in head]
        for h in head_hits:
            h.coverage = cov[h.node_id]
        features: dict[str, np.ndarray] = {}
        if p.rerank and head_hits:
            lex_rank = {nid: i for i, (nid, _) in enumerate(lex)}
            bm25 = dict(lex)
            dense_rank = {nid: i for i, (nid, _) in enumerate(den)}
            cos = dict(den)
            signals = [CandidateSignals(fused[h.node_id], lex_rank.get(h.node_id), dense_rank.get(h.node_id),
                                        bm25.get(h.node_id, 0.0), cos.get(h.node_id), h.coverage) for h in head_hits]
            X = feature_matrix(q, head_hits, signals)
            scores = self.ranker.score(X)
            order = np.argsort(-scores, kind="stable")
            for i, h in enumerate(head_hits):
                h.score = float(scores[i])
                features[h.node_id] = X[i]
            head_hits = [head_hits[i] for i in order]
        hits = head_hits[:k]
        for nid in ranked[p.rerank_depth:]:
            if len(hits) >= k:
                break
            hit = hit_from_row(rows[nid], fused[nid] - 1e3 if p.rerank else fused[nid])  # below every scored hit
            hit.coverage = terms.coverage(rows[nid])
            hits.append(hit)
        top_cov = max((h.coverage for h in hits[:3]), default=0.0)
        return RetrievalResult(
            hits=hits,
            coverage=top_cov,
            folded=terms.folded,
            mentioned=list(q.mentioned),
            lexical_top=lex[0][1] if lex else 0.0,
            dense_top=den[0][1] if den else 0.0,
            dense_unavailable=dense_down,
            features={h.node_id: features[h.node_id] for h in hits if h.node_id in features},
            question=q,
            unknown_words=terms.unknown_share(lex_index.df or {}),
            unknown_folded=terms.unknown_folded_share(lex_index.df_folded or {}),
        )


def group_by_article(hits: list[ClauseHit]) -> list[list[ClauseHit]]:
    """Clause hits grouped by (document, article), groups in order of their best clause."""
    groups: dict[tuple[str, str], list[ClauseHit]] = {}
    for h in hits:
        groups.setdefault((h.document, h.article), []).append(h)
    return list(groups.values())
