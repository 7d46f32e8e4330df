"""The Hỏi đáp conversation as HTML: each answer's lead first, then its clauses as one-line chips
that open in place, and what a reader does with an answer (copy it with formal citations, a link
that asks it again, feedback).

Answers used to be quote dumps: every clause quoted in full inside the answer, 1.4–2.8 k px each
(issue 20). The extractive answer's text is "lead paragraphs, then `citation:` + `> quote` per
unit"; the units become <details> chips here (the quote one click away, not all open) and the
lead stays as written. Everything from documents, questions and models is escaped.
"""
from __future__ import annotations

import html
import re
from urllib.parse import quote as url_quote

from core.vocab import NO_BASIS
from qa.types import Answer
from ui.render import esc, esc_public, format_date, validity_text

# Said on an answer only when the assistant wrote it (the verbatim answer needs no label); plain words, no "LLM".
MODE_LABELS = {"extractive": "Trích nguyên văn", "llm": "Trợ lý viết câu trả lời, căn cứ trích từ văn bản"}
BASIS_LABELS = {"found": "Có căn cứ", "weak": "Căn cứ yếu — cần kiểm tra lại"}
FIRST_WORDS = 90  # characters of a quote on its chip's one line (CSS cuts it to the width)
CONTINUES_PREFIX = "(Tiếp theo câu hỏi:"  # qa.answer.render_extractive's follow-up line, shown by the question
_LATER = " · nội dung hiện hành, không phải tại ngày hỏi"
MAX_SUGGESTIONS = 3


def _chip_title(article_title: str, validity: dict | None = None) -> str:
    """The chip's tooltip: the article's title (the body an article is titled by is often named
    nowhere in its khoản), its hiệu lực, then what a click does."""
    return ((f"Điều này: {article_title}. " if article_title else "")
            + (f"Hiệu lực: {validity_text(validity)}. " if validity else "") + "Xem nguyên văn, đường dẫn và hiệu lực")


def first_words(text: str, limit: int = FIRST_WORDS) -> str:
    """The start of a quote on one line, cut at a word."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + "…"


# ---------------------------------------------------------------- the answer's text: lead and units


def split_answer(text: str, citations: list[str]) -> tuple[list[str], list[int]]:
    """The answer's paragraphs without the unit blocks ("citation…:" followed by "> quote"), and the
    citation index of each unit block in order. A block whose heading names no citation stays in
    the lead (it is shown as it was). `citations`: the answer's citation strings, in order."""
    paras = [p for p in re.split(r"\n\s*\n", (text or "").strip()) if p.strip()]
    lead, units, used = [], [], set()
    i = 0
    while i < len(paras):
        para = paras[i]
        nxt = paras[i + 1] if i + 1 < len(paras) else ""
        if para.rstrip().endswith(":") and _is_quote(nxt):
            index = next((k for k, c in enumerate(citations) if k not in used and c and para.startswith(c)), None)
            if index is not None:
                used.add(index)
                units.append(index)
                i += 2
                continue
        lead.append(para)
        i += 1
    return lead, units


def _is_quote(para: str) -> bool:
    lines = para.split("\n")
    return bool(para) and all(line.startswith(">") for line in lines)


def _cite_button(label: str, turn: int, index: int) -> str:
    return (f'<button type="button" class="kb-ref kb-head" data-action="cite" data-turn="{turn}" '
            f'data-cite="{index}" title="Xem nguyên văn, đường dẫn và hiệu lực">{label}</button>')


def _lead_html(paras: list[str], turn: int, citations: list[str]) -> str:
    """Paragraphs and "> " quote blocks; "[n]" markers and the citations the lead names ("Theo
    Khoản 6 Điều 24 …:") become buttons that open the clause."""
    names = sorted({c for c in citations if c}, key=len, reverse=True)
    first = {c: citations.index(c) for c in names}
    pattern = re.compile("|".join(re.escape(esc(c)) for c in names)) if names else None
    n = len(citations)

    def links(escaped: str) -> str:
        def marker(m: re.Match) -> str:
            k = int(m[1])
            if 1 <= k <= n:
                return (f'<button type="button" class="kb-ref" data-action="cite" data-turn="{turn}" '
                        f'data-cite="{k - 1}" title="Xem nguyên văn">[{k}]</button>')
            return m[0]

        out = re.sub(r"\[(\d{1,2})\]", marker, escaped)
        if pattern is None:
            return out
        # a citation named in the lead opens its clause; only outside the buttons just made
        parts = re.split(r"(<button[^>]*>.*?</button>)", out)
        return "".join(p if p.startswith("<button") else
                       pattern.sub(lambda m: _cite_button(m[0], turn, first[_unescape(m[0])]), p) for p in parts)

    out = []
    for para in paras:
        if _is_quote(para):
            body = "\n".join(re.sub(r"^> ?", "", line) for line in para.split("\n"))
            out.append(f'<blockquote class="kb-quote">{esc(body)}</blockquote>')
        else:
            out.append(f'<p class="kb-para">{links(esc(para))}</p>')
    return "".join(out)


def _unescape(escaped: str) -> str:
    return html.unescape(escaped)


# ---------------------------------------------------------------- chips


def _chip(turn: int, index: int, label: str, quote: str, *, action: str = "cite", article_title: str = "",
          validity: dict | None = None, later: bool = False) -> str:
    """One clause on one line (number, citation, first words), opening in place to its quote; the
    summary also fills the clause panel beside the conversation (desktop), the button inside opens
    it as a drawer (phone)."""
    data = f'data-action="{action}" data-turn="{turn}" data-cite="{index}"'
    value = esc((validity or {}).get("value", ""))
    note = esc(_LATER) if later else ""
    words = first_words(quote)
    return (f'<li><details class="kb-cite">'
            f'<summary class="kb-chip" {data} title="{esc(_chip_title(article_title, validity))}" '
            f'data-validity="{value}"><span class="kb-chip-cite">[{index + 1}] {esc(label)}{note}</span>'
            + (f'<span class="kb-chip-words"> — {esc(words)}</span>' if words else "")
            + '</summary><div class="kb-cite-body">'
            + (f'<blockquote class="kb-quote">{esc(quote)}</blockquote>' if quote else "")
            + f'<div class="kb-actions"><button type="button" class="kb-open" {data} data-drawer="1">'
              f'Xem toàn văn, vị trí và hiệu lực</button></div></div></details></li>')


def _chips(answer: Answer, turn: int, units: list[int]) -> str:
    if not answer.citations:
        return ""
    # the units in the order the answer quoted them, then any citation it did not quote (an LLM answer's)
    order = units + [i for i in range(len(answer.citations)) if i not in units]
    items = "".join(
        _chip(turn, i, c.citation, c.quote, article_title=c.article_title, validity=c.validity,
              later=c.current_wording)
        for i, c in ((i, answer.citations[i]) for i in order))
    return (f'<div class="kb-chips-box"><div class="kb-chips-label" id="kb-chips-{turn}">Căn cứ '
            f'({len(answer.citations)}) — bấm để xem đoạn trích:</div>'
            f'<ol class="kb-chips" aria-labelledby="kb-chips-{turn}">{items}</ol></div>')


def _near_chips(near: list[dict], turn: int) -> str:
    """The clauses a "Không tìm thấy căn cứ" answer names as nearest: chips too, opening the clause."""
    if not near:
        return ""
    items = "".join(_chip(turn, i, n.get("citation", ""), n.get("text", ""), action="near",
                          article_title=n.get("article_title", "")) for i, n in enumerate(near))
    return (f'<div class="kb-chips-box"><div class="kb-chips-label" id="kb-chips-{turn}">Các quy định gần nhất:</div>'
            f'<ol class="kb-chips" aria-labelledby="kb-chips-{turn}">{items}</ol></div>')


def suggestions(items: list[dict]) -> list[str]:
    """Questions the reader may have meant, from the titles of the articles the clauses are in
    (each {"article_title", "document"}): "Trách nhiệm của … theo Nghị định 72/2015/NĐ-CP"."""
    out: list[str] = []
    for item in items:
        title = " ".join((item.get("article_title") or "").split()).rstrip(".")
        if not title:
            continue
        doc = item.get("document") or ""
        q = f"{title} theo {doc}" if doc else title
        if q not in out:
            out.append(q)
        if len(out) >= MAX_SUGGESTIONS:
            break
    return out


def _suggestions_html(questions: list[str]) -> str:
    if not questions:
        return ""
    buttons = "".join(f'<li><button type="button" class="kb-suggest" data-ask="{esc(q)}">{esc(q)}?</button></li>'
                      for q in questions)
    return (f'<div class="kb-maybe"><span class="kb-sub">Có phải bạn muốn hỏi:</span>'
            f'<ul class="kb-choices">{buttons}</ul></div>')


# ---------------------------------------------------------------- what a reader does with an answer


def copy_text(turn: dict) -> str:
    """"Sao chép câu trả lời": the question, the answer (quotes in «»), then every citation in the
    formal form drafters write (turn["formal"], one per citation; the short citation when unknown)."""
    answer: Answer = turn["answer"]
    lines = [f"Hỏi: {turn.get('question', '')}"]
    if answer.continues:
        lines.append(f"(tiếp theo câu hỏi: {answer.continues})")
    body = []
    for para in re.split(r"\n\s*\n", (answer.answer or "").strip()):
        if para.startswith(CONTINUES_PREFIX):
            continue
        if _is_quote(para):
            para = "«" + "\n".join(re.sub(r"^> ?", "", line) for line in para.split("\n")) + "»"
        body.append(para)
    lines.append("\n\n".join(body))
    formal = list(turn.get("formal") or [])
    if answer.citations:
        lines.append("Căn cứ:")
        lines += [f"{i + 1}. {formal[i] if i < len(formal) and formal[i] else c.citation}"
                  for i, c in enumerate(answer.citations)]
    return "\n".join(lines)


def question_link(question: str) -> str:
    """A link that opens the page and asks the same question (?q=…), relative to the page's address."""
    return "?q=" + url_quote(question or "", safe="")


def _actions(turn: dict, index: int) -> str:
    chosen = turn.get("feedback")

    def btn(value: str, icon: str, label: str) -> str:
        pressed = "true" if chosen == value else "false"
        return (f'<button type="button" class="kb-fb kb-fb-{value}" data-action="feedback" data-turn="{index}" '
                f'data-value="{value}" aria-pressed="{pressed}" title="{label}">{icon} {label}</button>')

    note = '<span class="kb-fb-note">Đã ghi nhận phản hồi</span>' if chosen else ""
    extra = ""
    if turn.get("answer") is not None:
        extra = (f'<button type="button" class="kb-copy kb-copy-answer" data-copy="{esc(copy_text(turn))}" '
                 f'title="Câu hỏi, câu trả lời và trích dẫn đầy đủ của mọi căn cứ">Sao chép câu trả lời</button>'
                 f'<button type="button" class="kb-copy kb-answer-docx" data-action="answer-docx" data-turn="{index}" '
                 f'title="Câu hỏi, câu trả lời và trích dẫn đầy đủ của mọi căn cứ, thành tệp Word">'
                 f'Tải câu trả lời (Word)</button>'
                 f'<a class="kb-link" href="{esc(question_link(turn.get("question", "")))}" '
                 f'title="Mở trang và hỏi lại đúng câu này">Liên kết tới câu hỏi</a>')
    return (f'<div class="kb-feedback">{btn("up", "✓", "Hữu ích")}{btn("down", "✗", "Chưa đúng")}{note}'
            f'{extra}</div>')


# ---------------------------------------------------------------- answers, turns, the conversation


def render_answer(answer: Answer, turn: int, feedback: str | None = None, state: dict | None = None) -> str:
    """One finished answer: its lead, its clauses as chips, its warnings, then feedback and copy.
    `state`: the turn dict (question, formal citations, nearest clauses) when there is one."""
    state = state or {"question": answer.question, "answer": answer}
    state = {**state, "answer": answer, "feedback": feedback}
    citations = [c.citation for c in answer.citations]
    lead, units = split_answer(answer.answer, citations)
    lead = [p for p in lead if not p.startswith(CONTINUES_PREFIX)]  # said by the question instead
    if answer.basis == "none":
        near = list(state.get("near") or [])
        return (f'<div class="kb-a kb-basis-none" data-basis="none">{_lead_html(lead, turn, [])}'
                f'{_near_chips(near, turn)}{_suggestions_html(suggestions(near))}{_actions(state, turn)}</div>')
    meta = ([esc(MODE_LABELS.get(answer.mode, answer.mode))] if answer.mode != "extractive" else []) + [
        esc(BASIS_LABELS.get(answer.basis, answer.basis))]
    if answer.fell_back:
        meta.append("Trợ lý không viết được câu trả lời có căn cứ — hiển thị nguyên văn các căn cứ")
    warn = ""
    notes = list(answer.warnings) + [f"Đã bỏ trích dẫn không hợp lệ: {d}" for d in answer.dropped_citations]
    if notes:
        warn = '<ul class="kb-warnings">' + "".join(f"<li>{esc(w)}</li>" for w in notes) + "</ul>"
    maybe = ""
    if answer.basis == "weak":
        # the document's name is the end of the citation ("Khoản 1 Điều 24 Nghị định 72/2015/NĐ-CP")
        maybe = _suggestions_html(suggestions([{"article_title": c.article_title,
                                                "document": re.sub(r"^.*?\bĐiều \S+\s+", "", c.citation)}
                                               for c in answer.citations]))
    return (f'<div class="kb-a kb-basis-{esc(answer.basis)}" data-basis="{esc(answer.basis)}">'
            f'<div class="kb-meta">{" · ".join(meta)}</div>'
            f'<div class="kb-answer-text">{_lead_html(lead, turn, citations)}</div>'
            f"{_chips(answer, turn, units)}{maybe}{warn}{_actions(state, turn)}</div>")


def render_turn(turn: dict, index: int) -> str:
    """turn: {"question", "text" (streamed so far), "answer": Answer | None, "feedback", "error",
    "formal", "near"}."""
    q = f'<div class="kb-q"><span class="kb-who">Hỏi</span><p class="kb-para">{esc(turn.get("question", ""))}</p></div>'
    answer = turn.get("answer")
    if answer is not None and answer.continues:  # read with the previous question: say so by this one
        q += f'<div class="kb-continues">(tiếp theo câu hỏi: {esc(answer.continues)})</div>'
    filters = []
    if turn.get("as_of"):
        filters.append(f"áp dụng tại ngày {format_date(turn['as_of'])}")
    if turn.get("documents"):
        filters.append("chỉ trong: " + ", ".join(turn["documents"]))
    if filters:
        q += f'<div class="kb-filters">{esc("; ".join(filters))}</div>'
    if turn.get("error"):
        a = f'<div class="kb-a kb-error" role="alert">{esc_public(turn["error"])}</div>'
    elif answer is not None:
        a = render_answer(answer, index, turn.get("feedback"), turn)
    else:
        a = (f'<div class="kb-a kb-pending" aria-busy="true"><div class="kb-answer-text">'
             f'{_lead_html(split_answer(turn.get("text", ""), [])[0], index, [])}</div>'
             f'<div class="kb-meta">Đang trả lời…</div></div>')
    return f'<section class="kb-turn" data-turn="{index}">{q}{a}</section>'


def render_chat(turns: list[dict]) -> str:
    if not turns:
        return ('<div class="kb-empty">Đặt câu hỏi về văn bản pháp luật thông tin đối ngoại. Mỗi câu trả lời '
                'trích nguyên văn điều, khoản làm căn cứ; bấm vào một căn cứ để xem toàn văn và hiệu lực.</div>')
    return '<div class="kb-chat">' + "".join(render_turn(t, i) for i, t in enumerate(turns)) + "</div>"


def near_clauses(answer: Answer, limit: int = 3) -> list[dict]:
    """The clauses a "Không tìm thấy căn cứ" answer names as nearest (qa.answer.no_basis_answer: the
    first three retrieved, secondary sources left out), as the turn keeps them."""
    if answer.basis != "none" or not answer.answer.startswith(NO_BASIS):
        return []
    out, seen = [], set()
    for h in answer.retrieved:
        if h.source_kind == "secondary" or h.citation in seen or h.citation not in answer.answer:
            continue
        seen.add(h.citation)
        out.append({"citation": h.citation, "node_id": h.node_id, "article_title": h.article_title,
                    "document": h.document_name or h.document_number or h.document, "text": h.text})
        if len(out) >= limit:
            break
    return out
