"""The answer stage: which units to cite, in which order and role, and the extractive answer.

Retrieval has already ordered the candidates by the one learned score (qa.features, qa.ranker).
`plan_answer` reads that order and re-ranks nothing, with two policies on what may lead at all:
a secondary source only when no primary clause is a candidate, a document whose scope excludes the
asker only when none that applies to them is a candidate (unless the question names that document);
an article about the document itself (scope, entry into force) is weighed by the ranker's
`about_document` feature, not held back (the hard rule cost more than it saved, cross-validated).
It applies the first rule of
`LEAD_RULES` that fires and records its name (an answer's `why`):
- `applicability`: the question asks whom a named document applies to: its scope articles answer;
- `quoted_term`: the question quotes a term: the candidate about that term leads;
- `entity_article`: the best candidate's article is titled by the body the question names: the
  article answers whole (its khoản are that body's duties);
- `asker_clause`: the best candidate's article gives each kind of body its khoản, and the asker's
  kind has one: that khoản leads;
- `ranked`: the best candidate leads.
Runners-up follow when their score is within the model's `answer_gap` of the lead (as answers) or
`context_gap` (as context), never re-sorted by number, up to a cap that grows with the parts of a
question; a point is cited alone when it clearly answers; a khoản split over several nodes is quoted
whole; units a quoted clause refers to follow it (role "reference"); a reference that cannot be
followed is named in a warning, never silently dropped. The secondary source (the founding
article) is used only when no primary clause is a candidate.

Citation strings come from node metadata or from `kb lookup` of the unit; quotes are stored text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

import numpy as np

from core.bodies import ACTOR_LABELS, bodies_in
from core.vocab import NO_BASIS, NOT_IN_BASE, PLAIN_STOPWORDS, SECONDARY_LABEL, fold, nfc
from ingest.identity import citation_string
from ingest.structure import split_clauses
from qa.features import about_the_document
from qa.intent import clause_subject, is_about_term
from qa.question import Question
from qa.ranker import BASIS_FEATURES, Ranker
from qa.relevance import names_entity, title_entity
from qa.types import Answer, Citation, ClauseHit, LookupResult

MAX_QUOTED = 3
MAX_QUOTED_MULTI = 5
MAX_ARTICLE_CLAUSES = 12  # an article answered whole (its title names the body asked about): all its khoản
MAX_REFERENCES = 6  # "khoản 1 các Điều 7, 8, 9, 10 Nghị định …": several units answer together
MAX_REFERENCE_CHARS = 1500
# Attachment names a clause may end with ("Phụ lục 01.doc"): not law text, dropped from quotes.
_ATTACHMENT_RE = re.compile(r"^\S.{0,120}\.(?:docx?|pdf|xlsx?|rtf)\s*$", re.I)
_SENTENCE_RE = re.compile(r"[^.;:!?\n]+(?:[.;:!?]+|$)")


class UnitSource(Protocol):
    """What the answer stage may look up: a unit by citation, and the nodes of an article."""

    def lookup(self, reference: str) -> LookupResult: ...

    def article_hits(self, document: str, unit_kind: str, article: str) -> list[ClauseHit]: ...


@dataclass
class Quoted:
    """One unit of an answer: the node it came from, the unit cited, its verbatim text, its role."""

    hit: ClauseHit
    citation: str
    quote: str
    role: str = "answer"  # "answer" | "context" | "reference"
    point: str = ""
    clause: str = ""

    def as_hit(self) -> ClauseHit:
        """The hit as the LLM prompt and the citation list see it: this unit's text and citation."""
        return replace(self.hit, text=self.quote, citation=self.citation, clause=self.clause, point=self.point)


# ---------------------------------------------------------------- words


def _words(text: str) -> set[str]:
    text = nfc(text).lower()
    return {w for w in re.findall(r"\w+", text) if w not in PLAIN_STOPWORDS and not w.isdigit() and len(w) > 1}


def coverage(question: Question | str, text: str) -> float:
    """Share of the question's content words found in a text (diacritics ignored when the
    question has none)."""
    q = set(question.words) if isinstance(question, Question) else _words(question)
    t = _words(text)
    if q and all(w.isascii() for w in q):
        q, t = {fold(w) for w in q}, {fold(w) for w in t}
    return len(q & t) / len(q) if q else 0.0


def document_label(hit: ClauseHit) -> str:
    return hit.document_number or hit.document_name


# ---------------------------------------------------------------- units of a hit


def _without_attachments(text: str) -> str:
    return "\n".join(l for l in text.split("\n") if not _ATTACHMENT_RE.match(l.strip())).strip()


def _points_of(hit: ClauseHit) -> tuple[str, list[tuple[str, str]]]:
    """(lead line, [(letter, point text)]) of a khoản node; points verbatim from the node text."""
    if not hit.clause:
        return hit.text, []
    _, clauses = split_clauses(hit.text.split("\n"))
    if len(clauses) != 1:
        return hit.text, []
    return clauses[0].text, [(p.label, p.text) for p in clauses[0].points]


def _best_point(question: Question, hit: ClauseHit) -> tuple[str, str] | None:
    """The one point that answers, when one clearly does better than the lead line and the others."""
    lead, points = _points_of(hit)
    if len(points) < 2:
        return None
    scored = sorted(((coverage(question, text), label, text) for label, text in points), reverse=True)
    best, runner = scored[0], scored[1]
    lead_cov = coverage(question, lead)
    if best[0] >= 0.4 and best[0] >= 1.5 * max(runner[0], 0.01) and best[0] > lead_cov:
        return best[1], best[2]
    return None


def _quoted(question: Question, hit: ClauseHit, role: str, source: UnitSource | None) -> Quoted:
    """The unit to cite for a hit: one point if it clearly answers, else the whole khoản.

    A long khoản is stored as several nodes (its lead line repeated with some of its points); such
    a node is read back as the whole khoản first, so what is quoted is always the stored text of
    the unit cited: the điểm alone, or the khoản whole."""
    khoan = hit
    if hit.point and source is not None:
        whole = source.lookup(citation_string(hit.document_name, hit.unit_kind, hit.article, hit.clause))
        if whole.status == "found" and whole.text:
            khoan = replace(hit, text=whole.text, citation=whole.citation, point="")
    best = _best_point(question, khoan)
    if best and "-" not in best[0]:
        label, text = best
        cit = citation_string(hit.document_name, hit.unit_kind, hit.article, hit.clause, label)
        return Quoted(hit, cit, _without_attachments(text), role, point=label, clause=hit.clause)
    if khoan.point and "-" not in khoan.point:  # no whole khoản to read: the node's own điểm, its text only
        _, points = _points_of(replace(khoan, point=""))
        text = dict(points).get(khoan.point)
        if text:
            return Quoted(hit, khoan.citation, _without_attachments(text), role, point=khoan.point, clause=hit.clause)
    cit = khoan.citation if not khoan.point else citation_string(hit.document_name, hit.unit_kind, hit.article,
                                                                 hit.clause)
    return Quoted(hit, cit, _without_attachments(khoan.text), role, clause=hit.clause)


def _same_unit_or_inside(a: Quoted, citation: str) -> bool:
    """True when `citation` names the unit a quotes or a unit inside it (same citation suffix)."""
    return citation == a.citation or citation.endswith(" " + a.citation) or a.citation.endswith(" " + citation)


# ---------------------------------------------------------------- who the question is about


def scope_note(q: Question, lead: ClauseHit) -> str:
    """Said when the leading clause's document applies to someone other than the asker."""
    asker = q.actors
    if not asker or not lead.scope or asker[0] in lead.scope:
        return ""
    return (f"{lead.document_name} áp dụng cho {ACTOR_LABELS.get(lead.scope[0], lead.scope[0])}, "
            "không trực tiếp cho cơ quan được hỏi.")


_SCOPE_TITLES = ("doi tuong ap dung", "pham vi dieu chinh")


def applicability_units(q: Question, hits: list[ClauseHit], source: UnitSource | None) -> list[ClauseHit]:
    """For "… có phải thực hiện Thông tư 02/2019 không?": the "Đối tượng áp dụng", then "Phạm vi điều
    chỉnh" units of the named documents (their first articles), which answer it by what they are
    whatever words they share with it; [] for any other question."""
    if source is None or not q.mentioned or not q.applicability:
        return []
    found: list[tuple[int, ClauseHit]] = []
    for key in q.mentioned:
        if not any(h.document == key for h in hits):
            continue  # named but not in the base, or filtered out
        for article in ("1", "2", "3"):
            units = source.article_hits(key, "dieu", article)
            title = fold(units[0].article_title) if units else ""
            rank = next((i for i, t in enumerate(_SCOPE_TITLES) if t in title), None)
            if rank is not None:
                units = sorted(units, key=lambda u: -coverage(q, u.text))
                found += [(rank, u) for u in units]
    return [u for _, u in sorted(found, key=lambda x: x[0])]


# ---------------------------------------------------------------- the plan


@dataclass
class Plan:
    """What an answer cites, in order, and why its lead was chosen."""

    units: list[Quoted]
    rule: str = ""  # the LEAD_RULES name that chose the lead
    scope_note: str = ""
    dropped: list[str] = field(default_factory=list)  # references that could not be followed, named
    left_out: int = 0  # khoản of an article answered whole that the cap left out


@dataclass
class RuleContext:
    """What a lead rule may read: the question, the candidates in the ranker's order, the base."""

    q: Question
    candidates: list[ClauseHit]
    source: UnitSource | None
    gaps: tuple[float, float]
    cap: int
    scope_units: list[ClauseHit]


Chosen = list[tuple[ClauseHit, str]]


def _applicability(c: RuleContext) -> Chosen | None:
    """"UBND tỉnh có phải thực hiện Thông tư 02/2019 không?": whom the named document applies to."""
    return [(u, "answer") for u in c.scope_units[:MAX_QUOTED_MULTI]] or None


def _entity_article(c: RuleContext) -> Chosen | None:
    """A candidate about as good as the best (within the learned answer gap) has an article titled by a
    body the question names ("Bộ Ngoại giao có trách nhiệm gì?" and "Điều 19. Bộ Ngoại giao"): all of
    its khoản, that candidate first. A question on two bodies ("… tỉnh tự làm hay Bộ TT&TT?") or in
    several parts gets, right after it, the best candidates of other articles for the other body (their
    article title or lead line names it), else the ranker's runners-up within its gaps."""
    if c.source is None:
        return None
    top = c.candidates[0]
    # the best-ranked candidate titled by the named body, among those about as good as the best (within
    # the answer gap): a body titled article far behind is not what was asked ("Kinh phí … của UBND tỉnh")
    lead = next((h for h in c.candidates[:5] if top.score - h.score <= c.gaps[0]
                 and (e := title_entity(h.article_title)) and names_entity(c.q.search_text, e)), None)
    if lead is None:
        return None
    entity = title_entity(lead.article_title)
    if lead is not top:
        lead = replace(lead, score=top.score)
        c = replace(c, candidates=[lead] + [h for h in c.candidates if h.node_id != lead.node_id])
    siblings = [s for s in c.source.article_hits(lead.document, lead.unit_kind, lead.article) if s.node_id != lead.node_id]
    others: Chosen = []
    if c.q.parts > 1 or len(c.q.bodies) > 1:
        entity_kinds = set(bodies_in(entity))
        other_bodies = [b for b in c.q.bodies if b not in entity_kinds]
        elsewhere = [h for h in c.candidates[1:8] if h.article_title != lead.article_title]
        for_other = [h for h in elsewhere
                     if set(bodies_in(f"{h.article_title} {clause_subject(h.text)}")) & set(other_bodies)]
        others = [(h, "answer") for h in for_other[:2]] or [
            (h, role) for h, role in _ranked(c)[1:] if h.article_title != lead.article_title][:2]
    return [(lead, "answer")] + others + [(h, "answer") for h in siblings]


def _quoted_term(c: RuleContext) -> Chosen | None:
    """The question puts a term in quotes ('"nội dung thông tin đối ngoại" gồm những gì?'): the best
    candidate about that term (its article title or first words begin with it) answers, then the
    ranker's runners-up. Users quote a term to ask for it: too few labelled questions do for a model
    to learn that, so it is a rule."""
    if not c.q.quoted:
        return None
    about = next((h for h in c.candidates[:10] if any(is_about_term(t, h.article_title, h.text) for t in c.q.quoted)),
                 None)
    if about is None:
        return None
    rest = replace(c, candidates=[about] + [h for h in c.candidates if h.node_id != about.node_id])
    return _ranked(rest)


def _asker_clause(c: RuleContext) -> Chosen | None:
    """The best candidate's article gives each kind of body its own khoản ("1. … của các bộ, Ủy ban nhân
    dân cấp tỉnh", "2. … của các cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh") and the best
    candidate is another kind's: the asker's khoản leads ("Sở Y tế chúng tôi …" gets the khoản on
    departments), then the ranker's runners-up. Explicit in the text's structure and rare in labelled
    questions, so a rule rather than a weight."""
    lead, asker = c.candidates[0], c.q.asker
    named = bodies_in(clause_subject(lead.text))
    if c.source is None or not asker or not named or asker in named:
        return None
    own = next((s for s in c.source.article_hits(lead.document, lead.unit_kind, lead.article)
                if s.node_id != lead.node_id and asker in bodies_in(clause_subject(s.text))), None)
    if own is None:
        return None
    own = replace(own, score=lead.score, coverage=max(own.coverage, lead.coverage))
    return _ranked(replace(c, candidates=[own] + [h for h in c.candidates if h.node_id != own.node_id]))


def _ranked(c: RuleContext) -> Chosen:
    """The best candidate, then those whose score is within the learned gaps of it."""
    answer_gap, context_gap = c.gaps
    lead = c.candidates[0]
    chosen = [(lead, "answer")]
    for h in c.candidates[1:6]:
        if len(chosen) >= c.cap:
            break
        behind = lead.score - h.score
        beside = any((h.document, h.unit_kind, h.article) == (x.document, x.unit_kind, x.article) for x, _ in chosen)
        if behind <= answer_gap:
            chosen.append((h, "answer"))
        elif behind <= context_gap and (beside or not about_the_document(h.article_title)):
            chosen.append((h, "context"))
    return chosen


# Rules and policies switched off, by name: for the ablation table of `kb bench qa` only (a benchmark
# sets it, measures, and empties it again); empty in the product.
ABLATED: set[str] = set()

# The lead rules, in order: the first that fires chooses what the answer cites and names itself in
# the answer's `why`. A new rule is a row here, never a re-sort of the ranker's order.
LEAD_RULES: tuple[tuple[str, Callable[[RuleContext], Chosen | None]], ...] = (
    ("applicability", _applicability),
    ("quoted_term", _quoted_term),
    ("entity_article", _entity_article),
    ("asker_clause", _asker_clause),
    ("ranked", _ranked),
)


def plan_answer(q: Question, hits: list[ClauseHit], source: UnitSource | None = None,
                ranker: Ranker | None = None, scope_units: list[ClauseHit] | None = None,
                held_back: frozenset[str] | set[str] = frozenset()) -> Plan:
    """The units to cite, in order, with roles, and the rule that chose the lead. `held_back`: node ids
    of candidates not in force on the question's date (qa.asof.not_in_force): they go after every
    candidate that is, so one of them leads only when nothing in force was found."""
    if not hits:
        return Plan([])
    primary = [h for h in hits if h.source_kind != "secondary" and h.status != "secondary"]
    candidates = primary or hits
    # Articles about the document itself (scope, entry into force) are not pushed last here: the
    # ranker weighs them by its `about_document` feature, and the hard re-sort cost 6 first citations
    # of 521 on ALQAC and 2 of 194 on our questions, cross-validated, for none gained (BENCHMARKS.md).
    asker = q.actors
    if asker and "out_of_scope_last" not in ABLATED:
        # A clause of a document whose scope excludes the asker ("Thông tư … áp dụng đối với các Bộ" and a
        # province asking) goes after clauses that apply to them; the scope note says so if it leads.
        applies = [h for h in candidates if not h.scope or asker[0] in h.scope or h.document in q.mentioned]
        candidates = applies + [h for h in candidates if h not in applies] if applies else candidates
    best = candidates[0] if candidates else None
    if held_back and "not_in_force_last" not in ABLATED:
        # An expired, suspended or not yet effective unit is not the law of the date asked: a unit in
        # force leads when there is one (the one held back may still follow, labelled by qa.asof).
        live = [h for h in candidates if h.node_id not in held_back]
        candidates = live + [h for h in candidates if h.node_id in held_back] if live else candidates
    ctx = RuleContext(q, candidates, source,
                      (ranker.answer_gap, ranker.context_gap) if ranker is not None else (0.0, 0.0),
                      MAX_QUOTED_MULTI if q.parts > 1 else MAX_QUOTED,
                      scope_units if scope_units is not None else applicability_units(q, candidates, source))
    rule, chosen = next((name, got) for name, fn in LEAD_RULES
                        if name not in ABLATED and (got := fn(ctx)) is not None)
    if held_back and "not_in_force_last" not in ABLATED:
        # one held back that follows a lead in force is related, not an answer of the date
        chosen = [(h, "context" if i and role == "answer" and h.node_id in held_back else role)
                  for i, (h, role) in enumerate(chosen)]
        if best is not None and best.node_id in held_back and all(h is not best for h, _ in chosen):
            chosen.append((best, "context"))  # the closest match is listed, with its status, not left unsaid
    left_out = max(0, len(chosen) - MAX_ARTICLE_CLAUSES) if rule == "entity_article" else 0
    units: list[Quoted] = []
    for h, role in chosen[:MAX_ARTICLE_CLAUSES]:
        quoted = _quoted(q, h, role, source)
        if not any(_same_unit_or_inside(p, quoted.citation) for p in units):
            units.append(quoted)
    dropped: list[str] = []
    if source is not None:
        units, dropped = _follow_references(units, source)
    return Plan(units, rule, scope_note(q, units[0].hit) if units else "", dropped, left_out)


def _follow_references(plan: list[Quoted], source: UnitSource) -> tuple[list[Quoted], list[str]]:
    """After each answering unit, the units its text refers to (at most MAX_REFERENCES in all). A
    referred unit already in the plan is moved there, as a reference: the pair reads together.
    Also returns the references not followed (over the cap, too long to quote, not in the base):
    the answer names them."""
    out: list[Quoted] = []
    dropped: list[str] = []
    rest = list(plan)
    followed = 0
    while rest:
        q = rest.pop(0)
        out.append(q)
        if q.role != "answer":
            continue
        for ref in q.hit.references:
            if ref not in q.quote and not _refers_from(q, ref):
                continue  # a reference made by another part of a split khoản
            found = source.lookup(ref)  # also gives the canonical citation ("Nghị định số …" -> "Nghị định …")
            if found.status != "found" or not found.citation:
                dropped.append(ref)
                continue
            ref = found.citation
            if any(_same_unit_or_inside(p, ref) for p in out):
                continue
            if followed >= MAX_REFERENCES:
                dropped.append(ref)
                continue
            later = next((p for p in rest if _same_unit_or_inside(p, ref)), None)
            if later is not None:
                rest.remove(later)
                out.append(replace(later, role="reference"))
                followed += 1
                continue
            if not found.text or len(found.text) > MAX_REFERENCE_CHARS or not found.hits:
                dropped.append(ref)
                continue
            out.append(Quoted(found.hits[0], found.citation, _without_attachments(found.text), "reference",
                              point=found.point, clause=found.clause))
            followed += 1
    return out, list(dict.fromkeys(dropped))


def _refers_from(q: Quoted, ref: str) -> bool:
    """Whether the quoted text itself makes the reference (its unit words appear in it)."""
    m = re.match(r"(?:Điểm (\S+) )?(?:Khoản (\S+) )?(?:Điều (\S+))?", ref)
    text = fold(q.quote)
    parts = [p for p in (m.group(3), m.group(2)) if p] if m else []
    return all(re.search(rf"\b{re.escape(fold(p))}\b", text) for p in parts)


# ---------------------------------------------------------------- basis and warnings


def status_warnings(hits: list[ClauseHit], as_of: str | None = None) -> list[str]:
    """Flag amended, secondary or not-yet-in-force sources among the cited clauses."""
    today = as_of or dt.date.today().isoformat()
    out: list[str] = []
    for h in hits:
        if h.amendments:  # qa.amended: each change, naming the amending document and its date
            out.extend(h.amendments)
        elif h.amendment_note:
            where = f"Điều {h.article} {h.document_name}" if h.unit_kind == "dieu" else h.citation
            out.append(f"{where}: {h.amendment_note} — kiểm tra văn bản sửa đổi.")
        if h.status == "secondary":
            out.append(f"{h.document_name}: {SECONDARY_LABEL}.")
        elif h.status in ("replaced", "expired"):
            out.append(f"{h.document_name}: văn bản đã hết hiệu lực hoặc bị thay thế.")
        if h.effective_from and h.effective_from > today:
            out.append(f"{h.citation}: chưa có hiệu lực (từ {h.effective_from}).")
    return list(dict.fromkeys(out))


def basis_features(q: Question, hits: list[ClauseHit], features: dict[str, np.ndarray], dense_top: float,
                   unknown_words: float = 0.0, unknown_folded: float = 0.0) -> np.ndarray:
    """The BASIS_FEATURES row of a ranked list (qa.ranker.BasisModel reads it)."""
    from qa.features import FEATURES

    col = {name: i for i, name in enumerate(FEATURES)}
    lead = hits[0]
    row = features.get(lead.node_id)
    runner = hits[1].score if len(hits) > 1 else lead.score - 5.0
    z = {
        "lead_score": lead.score,
        "margin": lead.score - runner,
        "lead_coverage": lead.coverage,
        "best_coverage": max(h.coverage for h in hits[:3]),
        "lead_bigrams": float(row[col["bigram_cov"]]) if row is not None else 0.0,
        "dense_top": dense_top,
        "no_dense": float(dense_top <= 0),
        "unaccented": float(q.unaccented),
        "named_document": float(row[col["named_document"]]) if row is not None else 0.0,
        "unknown_words": unknown_words,
        "unknown_folded": unknown_folded,
    }
    return np.array([z[f] for f in BASIS_FEATURES], dtype=np.float64)


# Without a trained basis model (a model file of weights only): coverage alone decides.
FALLBACK_FOUND_COVERAGE = 0.6
FALLBACK_NONE_COVERAGE = 0.3


def assess_basis(q: Question, hits: list[ClauseHit], features: dict[str, np.ndarray], dense_top: float,
                 ranker: Ranker | None, unknown_words: float = 0.0, unknown_folded: float = 0.0) -> tuple[str, float]:
    """("found" | "weak" | "none", the probability that the lead answers)."""
    if not hits:
        return "none", 0.0
    model = ranker.basis_model if ranker is not None else None
    if model is None or hits[0].node_id not in features:
        cov = max(h.coverage for h in hits[:3])
        return ("found" if cov >= FALLBACK_FOUND_COVERAGE else "weak" if cov >= FALLBACK_NONE_COVERAGE
                else "none"), min(1.0, cov)
    p = model.probability(basis_features(q, hits, features, dense_top, unknown_words, unknown_folded))
    return model.basis(p, unknown_words), p


# ---------------------------------------------------------------- rendering


def citation_for(q: Quoted) -> Citation:
    h = q.hit
    return Citation(document=document_label(h), article=h.article, clause=q.clause, point=q.point,
                    citation=q.citation, quote=q.quote, node_id=h.node_id, status=h.status, url=h.url, role=q.role,
                    article_title=h.article_title)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.split("\n"))


def answering_sentence(question: Question | str, text: str) -> str:
    """The sentence (or điểm) of a quote that best covers the question, verbatim."""
    best, best_cov = "", -1.0
    for line in text.split("\n"):
        for m in _SENTENCE_RE.finditer(line):
            sentence = m.group().strip()
            if len(sentence) < 12:
                continue
            cov = coverage(question, sentence)
            if cov > best_cov:
                best, best_cov = sentence, cov
    return best


def no_basis_answer(question: str, hits: list[ClauseHit], conf: float, prefix: str = "",
                    missing: list[str] | None = None) -> Answer:
    near = "; ".join(dict.fromkeys(h.citation for h in hits[:3] if h.source_kind != "secondary"))
    text = (prefix or f"{NO_BASIS}.") + (f" Các quy định gần nhất: {near}." if near else "")
    return Answer(question=question, answer=text, citations=[], basis="none", confidence=conf, mode="extractive",
                  retrieved=hits, missing_documents=list(missing or []))


def summary_answer(question: str, summaries: list[ClauseHit], hits: list[ClauseHit], names: str,
                   missing: list[str]) -> Answer:
    """A catalogued document without text that a secondary source summarises: say the text is not in
    the base, then quote the summary labelled as what it is (basis "weak", role "context")."""
    plan = [Quoted(h, h.citation, _without_attachments(h.text), "context") for h in summaries]
    parts = [f"{names} có trong danh mục nhưng {NOT_IN_BASE}. Dưới đây là một bài tư vấn "
             f"tóm tắt văn bản này ({SECONDARY_LABEL}), chỉ để tham khảo:"]
    for q in plan:
        parts += [f"{q.citation}:", _quote(q.quote)]
    return Answer(question=question, answer="\n\n".join(parts), citations=[citation_for(q) for q in plan],
                  basis="weak", confidence=0.3, mode="extractive", retrieved=hits,
                  warnings=status_warnings(summaries), missing_documents=list(missing))


def extractive_answer(question: Question | str, hits: list[ClauseHit], *, as_of: str | None = None,
                      source: UnitSource | None = None, ranker: Ranker | None = None) -> Answer:
    """The extractive answer for hits already ranked (the LLM path's fallback; the service plans once)."""
    q = question if isinstance(question, Question) else Question.parse(question)
    basis, conf = assess_basis(q, hits, {}, 0.0, None)
    if basis == "none":
        return no_basis_answer(q.text, hits, conf)
    return render_extractive(q, hits, basis, conf, plan_answer(q, hits, source, ranker), as_of)


# The sentence must be about what was asked (half the question's words) before its modal answers it.
YES_NO_MIN_COVERAGE = 0.5
# Words of a clause that say plainly whether something must, may or must not be done.
_NO_RE = re.compile(r"\b(?:khong duoc|nghiem cam|bi cam|khong phai|khong bat buoc)\b")
_YES_RE = re.compile(r"\b(?:phai|co trach nhiem|duoc|bat buoc)\b")


def yes_or_no(q: Question, sentence: str) -> str:
    """ "Có" or "Không" for a yes/no question, only when the answering sentence says it in so many
    words ("phải", "có trách nhiệm", "được" / "không được", "nghiêm cấm"); "" otherwise."""
    if not q.yes_no or not sentence or coverage(q, sentence) < YES_NO_MIN_COVERAGE:
        return ""
    p = " ".join(re.findall(r"[a-z0-9]+", fold(sentence)))
    if _NO_RE.search(p):
        return "Không"
    return "Có" if _YES_RE.search(p) else ""


def _label(q: Quoted) -> str:
    """The citation, with the body the article is titled by when the clause never names it
    ("Khoản 6 Điều 24 Nghị định 72/2015/NĐ-CP (Ủy ban nhân dân cấp tỉnh)")."""
    entity = title_entity(q.hit.article_title)
    if entity and fold(entity) not in fold(q.quote):
        return f"{q.citation} ({entity})"
    return q.citation


def render_extractive(q: Question, hits: list[ClauseHit], basis: str, conf: float, plan: Plan,
                      as_of: str | None = None, why: dict | None = None) -> Answer:
    """The extractive answer for a plan: the lead line (the answering sentence of the first unit, its
    full citation; for a question in two parts, a second lead from another article), then every unit
    quoted."""
    units = plan.units
    lead = units[0]
    secondary = lead.hit.source_kind == "secondary" or lead.hit.status == "secondary"
    sentence = answering_sentence(q, lead.quote)
    said = f" «{sentence}»" if sentence and sentence != lead.quote.strip() else ""
    if secondary:
        head = (f"Không tìm thấy điều khoản của văn bản chính thức trả lời trực tiếp; "
                f"{SECONDARY_LABEL} ({lead.citation}) viết:{said}")
        basis = "weak"
    elif basis == "weak":
        head = f"Căn cứ gần nhất tìm được (cần kiểm tra lại) là {_label(lead)}:{said}"
    else:
        answer_word = yes_or_no(q, sentence or lead.quote)
        head = (f"{answer_word}. " if answer_word else "") + f"Theo {_label(lead)}:{said}"
    parts = []
    if q.continues:
        parts.append(f"(Tiếp theo câu hỏi: «{q.continues}»)")
    parts.append(head)
    if q.parts > 1 and basis != "none":
        second = next((u for u in units[1:] if u.role == "answer" and u.hit.article != lead.hit.article), None)
        if second is not None:
            s2 = answering_sentence(q, second.quote)
            parts.append(f"Ý tiếp theo — theo {_label(second)}:" + (f" «{s2}»" if s2 and s2 != second.quote.strip() else ""))
    for u in units:
        label = {"reference": " (được dẫn chiếu)", "context": " (liên quan)"}.get(u.role, "")
        parts.append(f"{_label(u)}{label}:")
        parts.append(_quote(u.quote))
    warnings = status_warnings([u.hit for u in units], as_of)
    if plan.scope_note:
        warnings.insert(0, plan.scope_note)
    if plan.left_out:
        warnings.append(f"Điều {lead.hit.article} {lead.hit.document_name} còn {plan.left_out} khoản không trích "
                        f"ở đây; xem toàn văn điều này.")
    if plan.dropped:
        warnings.append("Quy định được dẫn chiếu nhưng không trích ở đây: " + "; ".join(plan.dropped) + ".")
    return Answer(
        question=q.text,
        answer="\n\n".join(parts),
        citations=[citation_for(u) for u in units],
        basis=basis,
        confidence=conf,
        mode="extractive",
        retrieved=hits,
        warnings=warnings,
        why=why or {"rule": plan.rule},
        continues=q.continues,
    )
