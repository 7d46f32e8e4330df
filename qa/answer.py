"""The answer stage: which units to cite, in which order and role, and the extractive answer.

`plan_answer` turns retrieval hits into an ordered list of `Quoted` units, the same for both
answer modes (the LLM is given exactly these, in this order):
- the clause that answers leads: ranked by retrieval, re-ranked by who the question is about
  (an article titled by the body the question names answers with all of its khoản; a clause of
  a document whose scope excludes the asker goes after clauses that apply to them);
- runners-up follow when they answer about as well, in order of relevance (never re-sorted by
  number), up to a cap that grows with the parts of a multi-part question;
- a point is cited alone when it clearly answers; a khoản split over several nodes is quoted whole;
- units a quoted clause refers to ("theo quy định tại khoản 5 Điều 42 Luật báo chí") follow it,
  with role "reference";
- the secondary source (the founding article) is used only when no primary clause answers.

Citation strings come from node metadata or from `kb lookup` of the unit; quotes are stored text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Protocol

from core.vocab import (ACTOR_LABELS, NO_BASIS, NOT_IN_BASE, PLAIN_STOPWORDS, SECONDARY_LABEL, actors_in, bodies_in, fold,
                        nfc)
from ingest.identity import citation_string
from ingest.structure import split_clauses
from qa.intent import QuestionIntent, asker_body, asks_applicability, clause_subject, question_parts
from qa.relevance import names_entity, title_entity
from qa.types import Answer, Citation, ClauseHit, LookupResult

# Calibrated on the đề mục 32.1 dev questions against off-topic ones (docs/BENCHMARKS.md):
# IDF-weighted coverage of the question's words by the best clauses, and the dense cosine
# (multilingual-e5) of the best clause.
FOUND_COVERAGE = 0.60
MIN_COVERAGE = 0.45
FOUND_DENSE = 0.86
FOUND_DENSE_HIGH = 0.89  # close enough in meaning that a third of the question's words will do
WEAK_COVERAGE = 0.30
NONE_DENSE = 0.85
FOUND_MARGIN = 0.05
FOUND_MARGIN_LOW_COVERAGE = 0.15  # with only a third of the words covered, the lead must stand out
MAX_QUOTED = 3
MAX_QUOTED_MULTI = 5
MAX_ARTICLE_CLAUSES = 12  # an article answered whole (its title names the body asked about): all its khoản
MAX_REFERENCES = 4  # "khoản 1 các Điều 7, 8, 9, 10 Nghị định …": four units answer together
POINTER_MIN_SCORE = 0.6  # a pointing clause may lead from a little lower in the ranking
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


def coverage(question: str, text: str) -> float:
    """Share of the question's content words found in a text (diacritics ignored when the
    question has none)."""
    q, t = _words(question), _words(text)
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


def _best_point(question: str, hit: ClauseHit) -> tuple[str, str] | None:
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


def _quoted(question: str, hit: ClauseHit, role: str, source: UnitSource | None) -> Quoted:
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


def _entity_article(question: str, hits: list[ClauseHit]) -> ClauseHit | None:
    """The best hit of an article whose title names the body the question asks about. Several
    articles may name the same body (its duties under two decrees): the one whose clauses cover
    the question best wins, then the better ranked."""
    best: tuple[float, int, ClauseHit] | None = None
    for rank, h in enumerate(hits[:8]):
        entity = title_entity(h.article_title)
        if entity and names_entity(question, entity):
            key = (round(h.coverage, 2), -rank)
            if best is None or key > best[:2]:
                best = (*key, h)
    return best[2] if best else None


def _clause_for_named_body(question: str, hits: list[ClauseHit]) -> ClauseHit | None:
    """A khoản whose lead line is the body the question names ("2. Ủy ban nhân dân cấp tỉnh:" for
    "ubnd tinh … họp báo định kỳ"): its points are that body's duties. Not when the best hit already
    addresses that body ("3. Người thực hiện phát ngôn … của Ủy ban nhân dân cấp xã, gồm:")."""
    asker = asker_body(question)
    if hits and asker and asker in bodies_in(clause_subject(hits[0].text)):
        return None
    for h in hits[:6]:
        first = re.sub(r"^\d+\.\s*", "", h.text.split("\n", 1)[0]).rstrip(" :;.")
        if len(first.split()) > 12:
            continue
        entity = title_entity(first)
        if entity and names_entity(question, entity):
            return h
    return None


def _pointer_to_another_document(candidates: list[ClauseHit], source: UnitSource) -> ClauseHit | None:
    """A clause that applies another document's provision ("thực hiện theo quy định tại khoản 5
    Điều 42 Luật báo chí") when that provision is itself among the best hits: the pair answers
    together, and the pointing clause is the specific answer, so it leads."""
    ids = {c.node_id for c in candidates[:10]}
    for r in candidates[:8]:
        for ref in r.references:
            if ref.endswith(" " + r.document_name):
                continue  # a reference inside the same document: siblings are not a pair
            found = source.lookup(ref)
            if found.status == "found" and any(h.node_id in ids and h.node_id != r.node_id for h in found.hits):
                return r
    return None


def _for_the_asker(question: str, lead: ClauseHit, source: UnitSource) -> ClauseHit | None:
    """The sibling clause that says the same for the asker's kind of body: a provincial department
    asking about the spokesperson gets the khoản on departments, not the khoản on ministries and
    provinces the search ranked first (each khoản names its bodies in its lead line)."""
    asker = asker_body(question)
    named = bodies_in(clause_subject(lead.text))
    if not asker or not named or asker in named:
        return None
    for s in source.article_hits(lead.document, lead.unit_kind, lead.article):
        if s.node_id != lead.node_id and asker in bodies_in(clause_subject(s.text)):
            return s
    return None


def _carrying_the_answer(question: str, lead: ClauseHit, candidates: list[ClauseHit]) -> ClauseHit | None:
    """When the lead does not state the kind of thing asked for (who, how long, where, how much) and
    a clause just below does, about as well covered and for the asker's kind of body, that one
    answers: "… giao cho Chánh văn phòng Sở làm người phát ngôn được không?" is answered by the
    khoản naming who speaks for a department, not by the department's duties that rank first."""
    intent = QuestionIntent.of(question, question_parts(question))
    if not intent.expects or intent.answer_match(lead.text):
        return None
    for h in candidates[1:5]:
        if _ABOUT_THE_DOCUMENT_RE.search(fold(h.article_title)):
            continue  # "Trách nhiệm thi hành": names every head of body, answers nothing asked
        if (intent.answer_match(h.text) and h.coverage >= 0.85 * lead.coverage
                and (not intent.asker or intent.addresses_asker(h.text))):
            return h
    return None


_LEVELS = {
    "tinh": re.compile(r"\b(?:cap tinh|uy ban nhan dan tinh|tinh)\b"),
    "huyen": re.compile(r"\b(?:cap huyen|huyen)\b"),
    "xa": re.compile(r"\b(?:cap xa|uy ban nhan dan xa)\b"),
}


def _levels(text: str) -> set[str]:
    """Administrative levels a text names: tỉnh, huyện, xã."""
    plain = " ".join(re.findall(r"[a-z0-9]+", fold(text).replace("ubnd", "uy ban nhan dan")))
    return {level for level, pat in _LEVELS.items() if pat.search(plain)}


def _level_first(question: str, hits: list[ClauseHit]) -> list[ClauseHit]:
    """A question about the province goes first to clauses whose lead line is not about another
    level only ("4. Ủy ban nhân dân cấp xã:" when the question says "UBND tỉnh")."""
    asked = _levels(question)
    if not asked:
        return hits
    other = [h for h in hits if (lv := _levels(h.text.split("\n", 1)[0])) and not (lv & asked)]
    return [h for h in hits if h not in other] + other


def _in_scope_first(question: str, hits: list[ClauseHit]) -> list[ClauseHit]:
    """Hits of documents that apply to whoever the question is about come first."""
    asker = actors_in(question)
    if not asker:
        return hits
    who = asker[0]
    return [h for h in hits if not h.scope or who in h.scope] + [h for h in hits if h.scope and who not in h.scope]


def _scope_note(question: str, lead: ClauseHit) -> str:
    """Said when the leading clause's document applies to someone other than the asker."""
    asker = actors_in(question)
    if not asker or not lead.scope or asker[0] in lead.scope:
        return ""
    return (f"{lead.document_name} áp dụng cho {ACTOR_LABELS.get(lead.scope[0], lead.scope[0])}, "
            "không trực tiếp cho cơ quan được hỏi.")


# Articles about the document itself: its scope, its entry into force, who implements it. They
# share the words of any question on the document and answer only a question about them.
_ABOUT_THE_DOCUMENT_RE = re.compile(r"\b(?:pham vi dieu chinh|doi tuong ap dung|hieu luc thi hanh|trach nhiem thi hanh"
                                    r"|to chuc thuc hien|dieu khoan thi hanh)\b")
_ASKS_ABOUT_THE_DOCUMENT_RE = re.compile(r"\b(?:pham vi|doi tuong|hieu luc|thi hanh|ap dung|dieu chinh)\b")


def _about_the_document_last(question: str, hits: list[ClauseHit]) -> list[ClauseHit]:
    """Scope and final-provision articles after the others, unless the question asks about them."""
    if _ASKS_ABOUT_THE_DOCUMENT_RE.search(fold(question)):
        return hits
    about = [h for h in hits if _ABOUT_THE_DOCUMENT_RE.search(fold(h.article_title))]
    return [h for h in hits if h not in about] + about


def _named_first(hits: list[ClauseHit], mentioned: list[str] | tuple[str, ...]) -> list[ClauseHit]:
    """Clauses of the documents the question names ("… Thông tư 02/2019 không?") come first: an
    answer from another document, however well it matches the words, answers another question."""
    named = [h for h in hits if h.document in mentioned]
    return named + [h for h in hits if h.document not in mentioned] if named else hits


_SCOPE_TITLES = ("doi tuong ap dung", "pham vi dieu chinh")


def _scope_articles(candidates: list[ClauseHit], mentioned: list[str] | tuple[str, ...], source: UnitSource,
                    question: str) -> list[ClauseHit]:
    """The "Đối tượng áp dụng", then "Phạm vi điều chỉnh" units of the named documents (their first
    articles), for a question on whom a document applies to."""
    found: list[tuple[int, ClauseHit]] = []
    for key in mentioned:
        if not any(h.document == key for h in candidates):
            continue  # named but not in the base, or filtered out
        for article in ("1", "2", "3"):
            units = source.article_hits(key, "dieu", article)
            title = fold(units[0].article_title) if units else ""
            rank = next((i for i, t in enumerate(_SCOPE_TITLES) if t in title), None)
            if rank is not None:
                units = sorted(units, key=lambda u: -coverage(question, u.text))
                found += [(rank, u) for u in units]
    return [u for _, u in sorted(found, key=lambda x: x[0])]


def applicability_units(question: str, hits: list[ClauseHit], source: UnitSource | None,
                        mentioned: list[str] | tuple[str, ...]) -> list[ClauseHit]:
    """For "… có phải thực hiện Thông tư 02/2019 không?": the named documents' scope units, which
    answer it by what they are whatever words they share with it; [] for any other question."""
    if source is None or not mentioned or not asks_applicability(question):
        return []
    return _scope_articles(_named_first(hits, mentioned), mentioned, source, question)


# ---------------------------------------------------------------- the plan


def plan_answer(question: str, hits: list[ClauseHit], source: UnitSource | None = None,
                mentioned: list[str] | tuple[str, ...] = (),
                scope_units: list[ClauseHit] | None = None) -> tuple[list[Quoted], str]:
    """The units to cite, in order, with roles; and a scope note ("" when none).

    `mentioned`: keys of the documents the question names; the body-named article is then looked
    for in them only ("ubnd tinh … nđ 09" is about Nghị định 09, not any article on provinces).
    `scope_units`: `applicability_units` of the question when the caller has them already."""
    if not hits:
        return [], ""
    primary = [h for h in hits if h.source_kind != "secondary" and h.status != "secondary"]
    candidates = primary or hits
    candidates = _named_first(_in_scope_first(question, _level_first(question, _about_the_document_last(
        question, candidates))), mentioned)
    cap = MAX_QUOTED_MULTI if question_parts(question) > 1 else MAX_QUOTED
    lead = candidates[0]
    chosen: list[tuple[ClauseHit, str]] = []
    in_named = [h for h in candidates if h.document in mentioned] if mentioned else candidates
    entity_hit = _entity_article(question, in_named)
    if scope_units is None:
        scope_units = applicability_units(question, candidates, source, mentioned)
    if scope_units:
        # "UBND tỉnh có phải thực hiện Thông tư 02/2019 không?": whom the document applies to.
        chosen = [(u, "answer") for u in scope_units[:MAX_QUOTED_MULTI]]
    elif entity_hit is not None and source is not None:
        # "Bộ Nội vụ có trách nhiệm gì?": the article titled by that body, all of its khoản.
        siblings = [s for s in source.article_hits(entity_hit.document, entity_hit.unit_kind, entity_hit.article)
                    if s.node_id != entity_hit.node_id]
        # A question in several parts, or on two bodies ("… do tỉnh tự làm hay Bộ TT&TT?"): clauses of
        # other articles that cover it as well answer the other part.
        several = cap > MAX_QUOTED or len(bodies_in(question)) > 1
        others = [h for h in candidates[:5] if several and h.article_title != entity_hit.article_title
                  and h.coverage >= 0.9 * entity_hit.coverage][:2]
        ordered = [entity_hit] + others + siblings
        chosen = [(h, "answer") for h in ordered[:MAX_ARTICLE_CLAUSES]]
        lead = entity_hit
    else:
        better = _clause_for_named_body(question, in_named)
        if better is None and source is not None:
            pointer = _pointer_to_another_document(candidates, source)
            better = pointer if pointer is not None and pointer.score >= POINTER_MIN_SCORE * lead.score else None
        if better is None and source is not None:
            better = _for_the_asker(question, lead, source)
        if better is None:
            better = _carrying_the_answer(question, lead, candidates)
        if better is not None and better.node_id != lead.node_id:
            # a copy: the retrieval hits stay as they were (the LLM path plans from them again)
            better = replace(better, coverage=max(better.coverage, lead.coverage), score=lead.score)
            candidates = [better] + [c for c in candidates if c.node_id != better.node_id]
            lead = better
        chosen = [(lead, "answer")]
        lead_cov = max(lead.coverage, 1e-6)
        # A question in several parts may be answered part by part by clauses ranked a little lower.
        closeness = 0.85 if cap == MAX_QUOTED else 0.75
        for h in candidates[1:6]:
            if len(chosen) >= cap:
                break
            same_article = (h.document, h.unit_kind, h.article) == (lead.document, lead.unit_kind, lead.article)
            # a sibling of a unit already chosen reads with it (khoản 1 and 2 of the article on
            # collaborators, when the question asks about them)
            beside_chosen = any((h.document, h.unit_kind, h.article) == (c.document, c.unit_kind, c.article)
                                for c, _ in chosen)
            close = h.score >= closeness * lead.score
            if h.coverage >= 0.9 * lead_cov and (close or same_article):
                chosen.append((h, "answer"))
            elif beside_chosen and h.coverage >= 0.6 * lead_cov:
                chosen.append((h, "context"))
            elif close and h.coverage >= 0.75 * lead_cov:
                chosen.append((h, "context"))
    plan: list[Quoted] = []
    for h, role in chosen:
        q = _quoted(question, h, role, source)
        if not any(_same_unit_or_inside(p, q.citation) for p in plan):
            plan.append(q)
    if source is not None:
        plan = _follow_references(plan, source)
    return plan, (_scope_note(question, plan[0].hit) if plan else "")


def _follow_references(plan: list[Quoted], source: UnitSource) -> list[Quoted]:
    """After each answering unit, the units its text refers to (at most MAX_REFERENCES in all). A
    referred unit already in the plan is moved there, as a reference: the pair reads together."""
    out: list[Quoted] = []
    rest = list(plan)
    followed = 0
    while rest:
        q = rest.pop(0)
        out.append(q)
        if q.role != "answer":
            continue
        for ref in q.hit.references:
            if followed >= MAX_REFERENCES:
                break
            if ref not in q.quote and not _refers_from(q, ref):
                continue  # a reference made by another part of a split khoản
            found = source.lookup(ref)  # also gives the canonical citation ("Nghị định số …" -> "Nghị định …")
            if found.status != "found" or not found.citation:
                continue
            ref = found.citation
            if any(_same_unit_or_inside(p, ref) for p in out):
                continue
            later = next((p for p in rest if _same_unit_or_inside(p, ref)), None)
            if later is not None:
                rest.remove(later)
                out.append(replace(later, role="reference"))
                followed += 1
                continue
            if not found.text or len(found.text) > MAX_REFERENCE_CHARS or not found.hits:
                continue
            out.append(Quoted(found.hits[0], found.citation, _without_attachments(found.text), "reference",
                              point=found.point, clause=found.clause))
            followed += 1
    return out


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


def assess_basis(question: str, hits: list[ClauseHit], dense_top: float, has_dense: bool,
                 term_coverage: float | None = None, unaccented: bool = False) -> tuple[str, float]:
    """("found" | "weak" | "none", confidence in [0, 1])."""
    if not hits:
        return "none", 0.0
    cov = term_coverage if term_coverage is not None else max(
        coverage(question, h.text + " " + h.article_title) for h in hits[:3])
    if not has_dense:
        basis = "found" if cov >= FOUND_COVERAGE else "weak" if cov >= MIN_COVERAGE else "none"
        return basis, min(1.0, cov)
    conf = 0.5 * min(1.0, cov) + 0.5 * max(0.0, min(1.0, (dense_top - 0.80) / 0.12))
    # No basis: under a third of the question's words, or under MIN_COVERAGE without a clause close
    # in meaning (off-topic questions on the dev sets: coverage ≤ 0.43, cosine ≤ 0.88). Typed
    # without diacritics, a question embeds poorly: its cosine says little, its words decide.
    close = dense_top >= (NONE_DENSE if unaccented else FOUND_DENSE_HIGH)
    if cov < WEAK_COVERAGE or (cov < MIN_COVERAGE and not close):
        return "none", conf
    # Typed with diacritics, no clause this far in meaning answered a dev question (the lowest was
    # 0.86): unless it covers most of the question's words, the words matched by chance.
    if not unaccented and dense_top < NONE_DENSE and cov < FOUND_COVERAGE:
        return "none", conf
    # Found: the best clause is close in meaning and covers the question, and no other clause is
    # about as good (a near tie means the search cannot tell which clause answers).
    lead = hits[0]
    runner = hits[1].score if len(hits) > 1 else 0.0
    margin = (lead.score - runner) / lead.score if lead.score > 0 else 0.0
    strong = (cov >= FOUND_COVERAGE and dense_top >= FOUND_DENSE and margin >= FOUND_MARGIN) or (
        cov >= WEAK_COVERAGE and dense_top >= FOUND_DENSE_HIGH and margin >= FOUND_MARGIN_LOW_COVERAGE)
    return ("found" if strong else "weak"), conf


# ---------------------------------------------------------------- rendering


def citation_for(q: Quoted) -> Citation:
    h = q.hit
    return Citation(document=document_label(h), article=h.article, clause=q.clause, point=q.point,
                    citation=q.citation, quote=q.quote, node_id=h.node_id, status=h.status, url=h.url, role=q.role)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.split("\n"))


def answering_sentence(question: str, text: str) -> str:
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


def extractive_answer(question: str, hits: list[ClauseHit], *, dense_top: float = 1.0, has_dense: bool = True,
                      term_coverage: float | None = None, as_of: str | None = None,
                      source: UnitSource | None = None, mentioned: list[str] | tuple[str, ...] = (),
                      unaccented: bool = False) -> Answer:
    basis, conf = assess_basis(question, hits, dense_top, has_dense, term_coverage, unaccented)
    if basis == "none":
        return no_basis_answer(question, hits, conf)
    plan, scope_note = plan_answer(question, hits, source, mentioned)
    return render_extractive(question, hits, basis, conf, plan, scope_note, as_of)


def render_extractive(question: str, hits: list[ClauseHit], basis: str, conf: float, plan: list[Quoted],
                      scope_note: str = "", as_of: str | None = None) -> Answer:
    """The extractive answer for a plan: a lead sentence of the first unit, then every unit quoted."""
    lead = plan[0]
    secondary = lead.hit.source_kind == "secondary" or lead.hit.status == "secondary"
    sentence = answering_sentence(question, lead.quote)
    if secondary:
        head = (f"Không tìm thấy điều khoản của văn bản chính thức trả lời trực tiếp; "
                f"{SECONDARY_LABEL} ({lead.citation}) viết:")
        basis = "weak"
    elif basis == "weak":
        head = f"Căn cứ gần nhất tìm được (cần kiểm tra lại) là {lead.citation}:"
    else:
        head = f"Theo {lead.citation}:"
    parts = [head + (f" «{sentence}»" if sentence and sentence != lead.quote.strip() else "")]
    for q in plan:
        label = {"reference": " (được dẫn chiếu)", "context": " (liên quan)"}.get(q.role, "")
        parts.append(f"{q.citation}{label}:")
        parts.append(_quote(q.quote))
    warnings = status_warnings([q.hit for q in plan], as_of)
    if scope_note:
        warnings.insert(0, scope_note)
    return Answer(
        question=question,
        answer="\n\n".join(parts),
        citations=[citation_for(q) for q in plan],
        basis=basis,
        confidence=conf,
        mode="extractive",
        retrieved=hits,
        warnings=warnings,
    )
