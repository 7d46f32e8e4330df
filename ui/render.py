"""Pure functions: qa results (LookupResult, ClauseHit, document dicts) -> HTML (the conversation: ui.chat_view).

Every piece of document text, question and model output is escaped here; the only markup in the
output is ours. Interactive elements carry `data-action` (sent to the server by ui/static/events.js)
or `data-copy` (copied to the clipboard in the browser, nothing sent).
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable

from core.vocab import LEGAL_STATUS, VALIDITY_SOURCES, format_moment, parse_date, unit_label
from ingest.compare import STATUS_LABELS, outline
from ingest.corrections import FIELD_LABELS, FIELDS as CORRECTION_FIELDS, STATUS_DETAILS, STATUSES as CORRECTION_STATUSES, \
    check_correction, describe as corrected_text, shown_value
from ingest.identity import formal_citation
from qa.features import FEATURE_LABELS, RULE_LABELS
from qa.types import ClauseHit, DocumentSummary, DocumentTree, LookupResult

__all__ = ["parse_date", "corrected_text"]  # re-exported: the app parses the as-of date; staff messages



def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# An absolute server path inside a message: a ReaderError's file (<home>/uploads/…), an OSError's
# file name, the data directory of a disk-full note. The page never shows where the server keeps
# things (the CLI, run on the server, does): only the last part, the file's own name.
_SERVER_PATH = re.compile(r"(?<![\w.:/~-])(?:[A-Za-z]:\\|/)(?:[^\s/\\'\"`<>|;,()“”]+[/\\])+[^\s/\\'\"`<>|;,()“”]*")


def public_text(message) -> str:
    """`message` without server paths: each becomes its last part ("synthetic.txt")."""
    def last_part(m: re.Match) -> str:
        return next((p for p in reversed(re.split(r"[/\\]", m.group(0))) if p), "…")

    return _SERVER_PATH.sub(last_part, "" if message is None else str(message))


def esc_public(value) -> str:
    """esc() for a message that may come from an exception or a reader: server paths removed."""
    return esc(public_text(value))


def legal_status_label(status: str) -> str:
    return LEGAL_STATUS.get(status or "", status)


def validity_text(validity: dict | None, fallback: str = "") -> str:
    """"Còn hiệu lực — Bộ pháp điển (…) còn ghi …": a qa.validity.Status (as a dict) with its source;
    `fallback` (a stored status word) when the service computed none."""
    if not validity:
        return legal_status_label(fallback)
    return f"{validity.get('label', '')} — {validity['reason']}" if validity.get("reason") else validity.get("label", "")


def _validity_short(validity: dict | None, fallback: str = "") -> str:
    """"Còn hiệu lực (Bộ pháp điển)": the table cell; the full reason is its tooltip."""
    if not validity:
        return legal_status_label(fallback)
    source = VALIDITY_SOURCES.get(validity.get("source", ""), "")
    return f"{validity.get('label', '')} ({source})" if source else validity.get("label", "")


def _validity_html(validity: dict | None, fallback: str = "", as_of: str = "") -> str:
    when = f" tại ngày {format_date(as_of)}" if as_of else ""
    value = (validity or {}).get("value", "")
    return (f'<div class="kb-validity" data-validity="{esc(value)}"><span class="kb-sub">Hiệu lực{esc(when)}:</span> '
            f"{esc(validity_text(validity, fallback))}</div>")


def format_date(iso: str) -> str:
    """"2015-10-22" -> "22/10/2015"; anything else is returned unchanged."""
    try:
        return dt.date.fromisoformat((iso or "").strip()).strftime("%d/%m/%Y")
    except ValueError:
        return iso or ""


def copy_payload(quote: str, citation: str) -> str:
    """What "Sao chép kèm trích dẫn" puts on the clipboard: «quote» (citation)."""
    return f"«{(quote or '').strip()}» ({citation})"


def _copy_button(quote: str, citation: str, label: str = "Sao chép kèm trích dẫn") -> str:
    return (f'<button type="button" class="kb-copy" data-copy="{esc(copy_payload(quote, citation))}" '
            f'title="Sao chép đoạn trích và trích dẫn">{esc(label)}</button>')


def _formal_button(formal: str) -> str:
    """Copies the formal citation alone: drafters put it in running text ("theo quy định tại …")."""
    return (f'<button type="button" class="kb-copy kb-copy-formal" data-copy="{esc(formal)}" '
            f'title="{esc(formal)}">Sao chép trích dẫn đầy đủ</button>')


def _collect_button(citation: str) -> str:
    """Adds the unit to the drafter's selection (exported as DOCX); the server resolves the citation again."""
    return (f'<button type="button" class="kb-collect" data-action="collect" data-cite="{esc(citation)}" '
            f'title="Thêm {esc(citation)} vào bản trích">Thêm vào bản trích</button>')


def render_picks(picks: list[str], note: str = "") -> str:
    """The drafter's selection: citations in the order picked, each with a button to take it out."""
    note_html = f'<div class="kb-note">{esc(note)}</div>' if note else ""
    if not picks:
        return (f'<div class="kb-picks kb-empty">Chưa chọn đoạn nào. Bấm “Thêm vào bản trích” ở kết quả tra cứu hoặc '
                f'ở một khoản trong cấu trúc văn bản, rồi xuất thành tệp Word (DOCX).{note_html}</div>')
    items = "".join(
        f'<li><span class="kb-pick">{esc(c)}</span> <button type="button" class="kb-uncollect" data-action="uncollect" '
        f'data-index="{i}" title="Bỏ {esc(c)} khỏi bản trích">Bỏ</button></li>' for i, c in enumerate(picks))
    return (f'<div class="kb-picks"><div class="kb-sub">Bản trích ({len(picks)} đoạn, theo thứ tự đã chọn):</div>'
            f'<ol class="kb-pick-list">{items}</ol>{note_html}</div>')


def _formal_line(formal: str) -> str:
    return f'<div class="kb-formal"><span class="kb-sub">Trích dẫn đầy đủ:</span> {esc(formal)}</div>'


def hit_formal_citation(hit: ClauseHit, citation: str | None = None) -> str:
    return formal_citation(citation or hit.citation, hit.document_name, hit.document_number, hit.doc_type,
                           hit.issued_on, hit.issuer)


def _text_block(text: str, cls: str = "kb-verbatim") -> str:
    return f'<div class="{cls}">{esc(text)}</div>'


# ---------------------------------------------------------------- answers


# ---------------------------------------------------------------- clauses


def clause_path(hit: ClauseHit) -> list[str]:
    """Document → chương → điều → khoản → điểm, from the stored node path."""
    parts = [p for p in (hit.path or "").split("/") if p.strip()]
    name = hit.document_name or hit.document_number or hit.document
    if not parts:
        parts = [p for p in (f"Điều {hit.article}" if hit.article else "",
                             f"Khoản {hit.clause}" if hit.clause else "",
                             f"Điểm {hit.point}" if hit.point else "") if p]
    elif hit.point and not any(p.lower().startswith("điểm") for p in parts):
        parts.append(f"Điểm {hit.point}")
    return [name, *parts] if name else parts


def why_line(why: dict) -> str:
    """For legal staff: why the answer cited this clause first (the lead rule and the features that
    weighed most), in words."""
    if not why or not why.get("rule"):
        return ""
    parts = [f"quy tắc: {RULE_LABELS.get(why['rule'], why['rule'])}"]
    feats = [f"{FEATURE_LABELS.get(f['feature'], f['feature'])} ({'+' if f['contribution'] >= 0 else '−'}"
             f"{abs(f['contribution']):.2f})".replace(".", ",") for f in why.get("features", [])[:4]]
    if feats:
        parts.append("yếu tố chính: " + "; ".join(feats))
    if "basis_probability" in why:
        parts.append(f"xác suất đúng căn cứ {why['basis_probability']:.0%}")
    return f'<div class="kb-why">Vì sao trích đầu tiên — {esc(", ".join(parts))}.</div>'


def render_clause(hit: ClauseHit | None, relations: Iterable[str] = (), quote: str | None = None,
                  citation: str | None = None, why: dict | None = None, validity: dict | None = None,
                  later_note: str = "") -> str:
    """The cited clause verbatim with its path, status, effective date, relations and copy button.
    `validity`: the status on the answer's date (the citation's; else the hit's, today); `later_note`:
    the quote is a later wording than that date, said plainly above the text."""
    if hit is None:
        return '<div class="kb-clause kb-empty">Không tìm thấy điều khoản này trong cơ sở dữ liệu (có thể văn bản vừa bị gỡ).</div>'
    cite = citation or hit.citation
    path = " › ".join(f"<span>{esc(p)}</span>" for p in clause_path(hit))
    facts = []
    if hit.effective_from:
        facts.append(f"Có hiệu lực từ {esc(format_date(hit.effective_from))}")
    status_html = _validity_html(validity or hit.validity, hit.status)
    if later_note:
        status_html += f'<div class="kb-warn kb-later" role="note">{esc(later_note)}</div>'
    title = f'<div class="kb-doctitle">Trích yếu: {esc(hit.title)}</div>' if hit.title else ""
    article = (f'<div class="kb-article-title">Điều {esc(hit.article)}. {esc(hit.article_title)}</div>'
               if hit.article and hit.article_title else "")
    amend = f'<div class="kb-amend">Lưu ý: điều này {esc(hit.amendment_note)}</div>' if hit.amendment_note else ""
    if hit.amendments:  # the changes, each naming the amending document and its date (qa.amended)
        amend = _amendment_list(hit.amendments)
    quoted = ""
    if quote and quote.strip() and quote.strip() != hit.text.strip():
        quoted = f'<div class="kb-sub">Đoạn được trích trong câu trả lời:</div>{_text_block(quote, "kb-verbatim kb-quoted")}'
    formal = hit_formal_citation(hit, cite)
    formal_html = _formal_line(formal) if formal != cite else ""
    rel = list(relations)
    rel_html = ("<div class=\"kb-relations\"><div class=\"kb-sub\">Văn bản liên quan</div><ul>"
                + "".join(f"<li>{esc(r)}</li>" for r in rel) + "</ul></div>") if rel else ""
    return (f'<div class="kb-clause" data-node="{esc(hit.node_id)}" tabindex="-1" aria-label="{esc(cite)}">'
            f'<nav class="kb-path" aria-label="Vị trí">{path}</nav>'
            f'<div class="kb-citation">{esc(cite)}</div>{formal_html}{title}'
            f'{status_html}<div class="kb-docmeta">{" · ".join(facts)}</div>{article}{amend}{why_line(why or {})}'
            f'<div class="kb-sub">Nguyên văn:</div>{_text_block(hit.text)}{quoted}'
            f'<div class="kb-actions">{_copy_button(quote or hit.text, cite)}'
            f'{_copy_button(hit.text, cite, "Sao chép toàn văn khoản") if quoted else ""}'
            f'{_formal_button(formal) if formal_html else ""}</div>'
            f"{rel_html}</div>")


CLAUSE_PLACEHOLDER = ('<div class="kb-clause kb-empty">Bấm vào một căn cứ dưới câu trả lời để xem nguyên văn '
                      'điều khoản, vị trí trong văn bản, hiệu lực và văn bản liên quan.</div>')


# ---------------------------------------------------------------- lookup


def render_lookup(result: LookupResult) -> str:
    if result.status == "found":
        formal = result.formal_citation if result.formal_citation not in ("", result.citation) else ""
        title = (f'<div class="kb-article-title">Điều {esc(result.article)}. {esc(result.article_title)}</div>'
                 if result.article and result.article_title else "")
        status = _validity_html(result.validity, as_of=result.as_of) if result.validity else ""
        notes = ("".join(f'<li>{esc(n)}</li>' for n in result.notes))
        notes_html = (f'<div class="kb-amend{" kb-later" if result.current_wording else ""}"><div class="kb-sub">'
                      f'Sửa đổi, bổ sung, bãi bỏ và thời điểm:</div><ul>{notes}</ul></div>' if notes else "")
        label = ('<div class="kb-sub">Nội dung hiện hành (không phải nội dung tại ngày đã chọn):</div>'
                 if result.current_wording else
                 f'<div class="kb-sub">Nội dung có hiệu lực tại ngày {esc(format_date(result.as_of))}:</div>'
                 if result.as_of else "")
        return (f'<div class="kb-lookup kb-found"><div class="kb-citation">{esc(result.citation)}</div>'
                f"{_formal_line(formal) if formal else ''}{title}{status}{notes_html}{label}{_text_block(result.text)}"
                f'<div class="kb-actions">{_copy_button(result.text, result.citation)}'
                f"{_formal_button(formal) if formal else ''}{_collect_button(result.citation)}</div></div>")
    sugg = ""
    if result.suggestions:
        # One button per candidate (for a bare "Điều 5": every loaded document that has it); a click looks it up.
        sugg = ('<div class="kb-suggestions"><span class="kb-sub">Gợi ý:</span><ul class="kb-choices">'
                + "".join(f'<li><button type="button" class="kb-suggest" data-action="lookup" data-ref="{esc(s)}">'
                          f"{esc(s)}</button></li>" for s in result.suggestions) + "</ul></div>")
    kind = "kb-ambiguous" if result.status == "ambiguous" else "kb-notfound"
    return f'<div class="kb-lookup {kind}" role="status"><p class="kb-para">{esc(result.message)}</p>{sugg}</div>'


# ---------------------------------------------------------------- documents


def _doc_label(d: DocumentSummary) -> str:
    return d.name or " ".join(p for p in (d.type, d.number) if p) or d.title


def document_choices(docs: list[DocumentSummary]) -> list[tuple[str, str]]:
    """(label, key) for dropdowns: loaded documents only."""
    out = []
    for d in docs:
        if not d.ready:
            continue
        label = _doc_label(d)
        if d.title and d.title not in label:
            label = f"{label} — {d.title}"
        out.append((label if len(label) <= 120 else label[:117] + "…", d.key))
    return out


def _doc_facts(d: DocumentSummary) -> str:
    facts = [d.validity.get("label") if d.validity else legal_status_label(d.legal_status)]
    if d.effective_from:
        facts.append(f"có hiệu lực từ {format_date(d.effective_from)}")
    if d.ready:
        facts.append(f"{d.articles} điều/mục")
    return " · ".join(facts)


def render_catalogue(docs: list[DocumentSummary], browsable: bool = True, progress: str = "") -> str:
    """Every loaded document and every catalogue entry still missing (greyed, with the note).

    browsable: the compact list of the Tra cứu tab, names open the document tree; otherwise the
    table of the Văn bản tab with status and counts.
    """
    if not docs:
        return '<div class="kb-empty">Chưa có văn bản nào. Cán bộ pháp chế nạp văn bản ở thẻ “Văn bản”.</div>'
    if browsable:
        items = []
        for d in docs:
            missing = not d.ready
            name = esc(_doc_label(d))
            head = (f'<span class="kb-docname">{name}</span>' if missing else
                    f'<button type="button" class="kb-doclink" data-action="tree" data-key="{esc(d.key)}">{name}</button>')
            note = f'<div class="kb-note">{esc(d.note)}</div>' if d.note else ""
            items.append(f'<li class="{"kb-missing" if missing else "kb-ready"}" data-key="{esc(d.key)}">{head}'
                         f'<div class="kb-doctitle">{esc(d.title)}</div>'
                         f'<div class="kb-meta">{esc(_doc_facts(d))}</div>{note}</li>')
        return '<ul class="kb-catalogue">' + "".join(items) + "</ul>"
    rows = []
    for d in docs:
        missing = not d.ready
        note = esc(d.note)
        rel = "; ".join(d.relations or [])
        rows.append(
            f'<tr class="{"kb-missing" if missing else "kb-ready"}" data-key="{esc(d.key)}">'
            f"<td>{esc(_doc_label(d))}<div class=\"kb-doctitle\">{esc(d.title)}</div>"
            + (f'<div class="kb-note">{note}</div>' if note else "")
            + (f'<div class="kb-rel">{esc(rel)}</div>' if rel else "")
            + f"</td><td>{'Chưa có văn bản' if missing else 'Đã nạp'}</td>"
            f'<td data-validity="{esc(d.validity.get("value", ""))}" title="{esc(validity_text(d.validity))}">'
            f"{esc(_validity_short(d.validity, d.legal_status))}</td>"
            f"<td>{esc(format_date(d.effective_from))}</td>"
            f"<td class=\"kb-num\">{d.articles}</td><td class=\"kb-num\">{d.nodes}"
            # still being embedded: how far (the rest is found by lexical search meanwhile)
            + (f'<div class="kb-sub">{d.dense_nodes} sẵn sàng tìm theo nghĩa</div>' if d.ready and d.dense_nodes < d.nodes else "")
            + "</td></tr>"
        )
    return ((f'<div class="kb-note kb-embed-progress">{esc(progress)}</div>' if progress else "")
            + '<div class="kb-table-scroll" role="region" aria-label="Danh sách văn bản" tabindex="0">'
            '<table class="kb-docs"><thead><tr><th>Văn bản</th><th>Trạng thái</th><th>Hiệu lực</th>'
            "<th>Có hiệu lực từ</th><th>Số điều/mục</th><th>Số đoạn</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def _amendment_list(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{esc(x)}</li>" for x in lines)
    return f'<div class="kb-amend"><div class="kb-sub">Sửa đổi, bổ sung, bãi bỏ:</div><ul>{items}</ul></div>'


def render_tree(tree: DocumentTree | None) -> str:
    """Chương → điều → khoản (→ điểm) of one document, each khoản with its text and a copy button."""
    if not tree:
        return '<div class="kb-empty">Chọn một văn bản đã nạp trong danh mục để xem cấu trúc.</div>'
    facts = []
    if tree.effective_from:
        facts.append(f"Có hiệu lực từ {esc(format_date(tree.effective_from))}")
    if tree.issuer:
        facts.append(f"Cơ quan ban hành: {esc(tree.issuer)}")
    rel = tree.relations or []
    head = (f'<div class="kb-citation">{esc(tree.name or tree.key)}</div>'
            + _validity_html(tree.validity, tree.status)
            + f'<div class="kb-docmeta">{" · ".join(facts)}</div>'
            + ('<ul class="kb-relations">' + "".join(f"<li>{esc(r)}</li>" for r in rel) + "</ul>" if rel else "")
            + (_amendment_list(tree.amendments) if tree.amendments else "")
            + ('<div class="kb-sub">Thông tin đã được cán bộ pháp chế sửa:</div><ul class="kb-corrections">'
               + "".join(f"<li>{esc(c)}</li>" for c in tree.corrections) + "</ul>" if tree.corrections else ""))

    def formal(citation: str) -> str:
        return formal_citation(citation, tree.name, tree.number, tree.doc_type, tree.issued_on, tree.issuer)

    # Chương, then Mục inside it: each a <details> named as the source names it ("Chương II. HOẠT ĐỘNG …",
    # or only "Chương II" when the source gives no name, as Pháp điển does).
    body, open_at = [], {"chapter": None, "section": None}
    for u in tree.units:
        for level in ("chapter", "section"):
            value = getattr(u, level) or ""
            if level == "chapter" and value != open_at["chapter"]:
                if open_at["section"]:
                    body.append("</details>")
                if open_at["chapter"]:
                    body.append("</details>")
                open_at = {"chapter": value, "section": ""}
                if value:
                    body.append(f'<details class="kb-chapter" open><summary>{esc(value)}</summary>')
            elif level == "section" and value != open_at["section"]:
                if open_at["section"]:
                    body.append("</details>")
                open_at["section"] = value
                if value:
                    body.append(f'<details class="kb-section" open><summary>{esc(value)}</summary>')
        label = unit_label(u.kind, u.number)
        parts = [_amendment_list(u.amendments)] if u.amendments else []
        if u.validity:  # this article's hiệu lực differs from the document's (repealed, suspended…)
            parts.insert(0, _validity_html(u.validity))
        if u.intro:
            parts.append(_text_block(u.intro, "kb-verbatim kb-intro"))
        for c in u.clauses:
            pts = "".join(
                f'<div class="kb-point">{_text_block(p.text)}'
                f'<div class="kb-actions">{_copy_button(p.text, p.citation, "Sao chép điểm")}</div></div>'
                for p in c.points)
            full = formal(c.citation)
            parts.append(
                f'<div class="kb-tclause" data-node="{esc(c.node_id or "")}">'
                f'<div class="kb-tcite">{esc(c.citation)}</div>{_text_block(c.text)}{pts}'
                f'<div class="kb-actions">{_copy_button(c.full_text, c.citation)}'
                f'{_formal_button(full) if full != c.citation else ""}{_collect_button(c.citation)}</div></div>')
        mark = (f' <span class="kb-amend">— sửa đổi, bổ sung, bãi bỏ: {esc("; ".join(u.amended_by))}</span>'
                if u.amended_by else "")
        if u.validity:
            mark += f' <span class="kb-validity">— {esc(u.validity.get("label", ""))}</span>'
        body.append(f'<details class="kb-unit"><summary>{esc(label)}. {esc(u.title)}{mark}</summary>'
                    f'{"".join(parts)}</details>')
    body += ["</details>"] * (bool(open_at["section"]) + bool(open_at["chapter"]))
    # tabindex: the page moves focus here when a document is opened from the catalogue
    return (f'<div class="kb-tree" data-key="{esc(tree.key)}" tabindex="-1" aria-label="{esc(tree.name or tree.key)}">'
            f'{head}{"".join(body)}</div>')


# ---------------------------------------------------------------- legal staff: preview and ingest

# The correction form, the same in the preview and for a stored document (ingest.corrections): the
# header facts, then staff's status with its date and grounds.
EDITABLE_FIELDS = tuple((k, FIELD_LABELS[k]) for k in (*CORRECTION_FIELDS, *STATUS_DETAILS))
# The staff's status choices; "" leaves it to the sources (and, for a stored document, takes staff's away).
STATUS_CHOICES = [("— Theo nguồn (danh mục, Bộ pháp điển, quan hệ sửa đổi) —", ""),
                  *[(LEGAL_STATUS[s], s) for s in CORRECTION_STATUSES]]


def stored_fields(d: DocumentSummary | None, staff_status: dict | None = None) -> dict[str, str]:
    """A stored document's facts as the correction form shows them (dates as dd/mm/yyyy); the status
    is staff's own setting (`staff_status`, the stored correction), never the catalogue's or the reader's."""
    if d is None:
        return {k: "" for k, _ in EDITABLE_FIELDS}
    staff = staff_status or {}
    return {"number": d.number, "type": d.type, "title": d.title, "issuer": d.issuer,
            "issued_on": format_date(d.issued_on), "effective_from": format_date(d.effective_from),
            "status": staff.get("value", ""), "status_since": format_date(staff.get("since", "")),
            "status_note": staff.get("note", "")}


def _preview_row(p: dict, k: str, label: str) -> str:
    if k in STATUS_DETAILS:  # said in the status row's reason
        return ""
    if k == "status":  # what the document's hiệu lực will be, and from which source
        v = p.get("validity") or {}
        return f"<tr><th>Hiệu lực</th><td>{esc(validity_text(v, p.get('status', '')))}</td></tr>"
    value = p.get(k) or ""
    shown = format_date(value) if k in ("issued_on", "effective_from") else value
    unknown = "" if value else ' <span class="kb-warn">(không nhận ra)</span>'
    return f"<tr><th>{esc(label)}</th><td>{esc(shown)}{unknown}</td></tr>"


def render_preview(previews: list[dict], existing_keys: Iterable[str] = (), corrected: Iterable[str] = ()) -> str:
    """previews: [{"file", "key", metadata…, "warnings", "units", "error"}] — nothing stored yet."""
    if not previews:
        return ""
    existing, corrected = set(existing_keys), set(corrected)
    out = []
    for p in previews:
        fname = esc(p.get("file", ""))
        if p.get("error"):
            error = public_text(p["error"])  # a ReaderError names its file first: it is in bold already
            error = error[len(p.get("file", "")) + 2:] if error.startswith(f'{p.get("file", "")}: ') else error
            out.append(f'<div class="kb-preview kb-error" role="alert"><b>{fname}</b>: {esc(error)}</div>')
            continue
        key = p.get("key", "")
        badge = ("Đã có trong cơ sở dữ liệu — xem so sánh với bản đang có bên dưới" if key in existing
                 else "Văn bản mới")
        if key in corrected:
            badge += " · đã sửa thông tin"
        kept = p.get("kept_corrections") or {}
        if kept:
            labels = dict(EDITABLE_FIELDS)
            badge += " · áp dụng lại sửa đổi đã lưu của bản trước: " + ", ".join(
                f"{labels.get(k, k)} {_shown_value(k, v)}" for k, v in kept.items())
        if p.get("draft"):
            badge += f" · dự thảo (“{p['draft']}”): không sửa đổi văn bản nào"
        rows = "".join(_preview_row(p, k, label) for k, label in EDITABLE_FIELDS)
        warns = "".join(f"<li>{esc_public(w)}</li>" for w in p.get("warnings", []))
        amends = "".join(f"<li>{esc(a)}</li>" for a in p.get("amendments", []))
        refused = "".join(f"<li>{esc(a)}</li>" for a in p.get("refused_amendments", []))
        units = "".join(f"<li>{esc(u)}</li>" for u in p.get("units", []))
        out.append(
            f'<div class="kb-preview" data-key="{esc(key)}"><div class="kb-citation">{esc(key)}</div>'
            f'<div class="kb-docmeta">Tệp {fname} · {esc(badge)} · {p.get("articles", 0)} điều/mục, '
            f'{p.get("clauses", 0)} khoản</div><table class="kb-meta-table">{rows}</table>'
            + (f'<div class="kb-sub">Cảnh báo (nhận dạng chữ, bảng mã, cấu trúc):</div><ul class="kb-warnings">{warns}</ul>' if warns else "")
            + (f'<div class="kb-sub">Quan hệ sửa đổi sẽ được ghi nhận khi nạp (nạp là xác nhận, ghi tên người nạp):'
               f'</div><ul class="kb-amendments">{amends}</ul>' if amends else "")
            + (f'<div class="kb-sub">Nội dung sửa đổi không được ghi nhận:</div>'
               f'<ul class="kb-warnings kb-refused-amendments">{refused}</ul>' if refused else "")
            + (f'<details><summary>Cấu trúc nhận dạng được</summary><ul class="kb-units">{units}</ul></details>' if units else "")
            + "</div>")
    return "".join(out)


def overrides_from_form(preview: dict, values: dict) -> dict:
    """Corrected metadata for one previewed document: only fields that differ, dates as ISO; the
    status whenever chosen, with its date and grounds (a choice, not a reading to compare with).
    CorrectionError (a ValueError) names the field that is not valid."""
    checked = check_correction({k: (values.get(k) or "").strip() for k, _ in EDITABLE_FIELDS})
    statement = ("status", *STATUS_DETAILS)
    return {k: v for k, v in checked.items() if k in statement or v != (preview.get(k) or "")}


# ---------------------------------------------------------------- legal staff: a replacement compared first

CHANGE_LABELS = STATUS_LABELS
MAX_SHOWN_CHANGES = 300  # a wholly rewritten code would otherwise make a page of megabytes
SAME_CONTEXT = 160  # characters of unchanged text kept on each side of a change


def _diff_spans(spans) -> str:
    out = []
    for i, (op, text) in enumerate(spans):
        if op == "del":
            out.append(f'<del title="Bị bỏ">{esc(text)}</del>')
        elif op == "ins":
            out.append(f'<ins title="Thêm mới">{esc(text)}</ins>')
        else:
            # Long unchanged stretches are cut to the words next to a change: the change is what staff check.
            first, last, n = i == 0, i == len(spans) - 1, SAME_CONTEXT
            if first and not last and len(text) > n + 20:
                text = "… " + text[-n:]
            elif last and not first and len(text) > n + 20:
                text = text[:n] + " …"
            elif not first and not last and len(text) > 2 * n + 20:
                text = text[:n] + " … " + text[-n:]
            out.append(esc(text))
    return "".join(out)


def _article_change(a) -> str:
    status = CHANGE_LABELS.get(a.status, a.status)
    heading = f"{esc(a.label)}. {esc(a.title)}" if a.title else esc(a.label)
    if a.renumbered_from:
        heading += f" ({esc(a.renumbered_from)} cũ)"
    if a.status == "changed":
        title = ""
        if a.clauses:  # the khoản, aligned by what they say: "thêm khoản 1 · khoản 1–2 cũ thành khoản 2–3"
            title = f'<div class="kb-sub">{esc(" · ".join(line for line, _ in outline(a.clauses)))}</div>'
        if a.old_title != a.new_title:
            title += (f'<div class="kb-sub">Tên điều: <del>{esc(a.old_title)}</del> → <ins>{esc(a.new_title)}</ins></div>')
        body = (f'{title}<div class="kb-verbatim kb-diff">{_diff_spans(a.spans)}</div>'
                f'<details class="kb-both"><summary>Xem toàn văn bản đang có và bản mới</summary>'
                f'<div class="kb-sub">Bản đang có:</div>{_text_block(a.old_text)}'
                f'<div class="kb-sub">Bản mới:</div>{_text_block(a.new_text)}</details>')
    elif a.status == "removed":
        body = f'<div class="kb-sub">Bản đang có (sẽ bị bỏ):</div>{_text_block(a.old_text)}'
    else:
        body = f'<div class="kb-sub">Bản mới:</div>{_text_block(a.new_text)}'
    return (f'<details class="kb-change" data-status="{esc(a.status)}" data-unit="{esc(a.label)}">'
            f'<summary><span class="kb-change-kind">{esc(status)}</span> {heading}</summary>{body}</details>')


def _renumbered(line: str, run) -> str:
    """"Điều 3–8 cũ thành Điều 4–9": the same text under other numbers, one line for the run."""
    return (f'<div class="kb-change" data-status="renumbered" data-unit="{esc(run[0].label)}">'
            f'<span class="kb-change-kind">{esc(CHANGE_LABELS["renumbered"])}</span> {esc(line)}</div>')


def render_comparison(diffs, names: dict[str, str] | None = None) -> str:
    """ingest.compare.DocumentDiff list -> what a replacement would change, shown before it is confirmed."""
    if not diffs:
        return ""
    names = names or {}
    out = []
    for d in diffs:
        old_name = names.get(d.old_key) or d.old_key
        head = (f'<div class="kb-citation">Bản mới sẽ thay thế {esc(old_name)}</div>'
                f'<div class="kb-docmeta">So với bản đang có: {esc(d.summary())}</div>')
        fields = ""
        if d.fields:
            rows = "".join(
                f"<tr><th>{esc(f.label)}</th><td>{esc(_shown_value(f.name, f.old)) or '—'}</td>"
                f"<td>{esc(_shown_value(f.name, f.new)) or '—'}</td></tr>" for f in d.fields)
            fields = ('<table class="kb-meta-table kb-compare-fields"><thead><tr><th>Thông tin</th><th>Bản đang có</th>'
                      f"<th>Bản mới</th></tr></thead><tbody>{rows}</tbody></table>")
        if d.identical:
            body = '<p class="kb-para">Nội dung và thông tin nhận dạng của hai bản giống nhau.</p>'
        elif not d.articles:
            body = '<p class="kb-para">Nội dung các điều không thay đổi.</p>'
        else:
            items = outline(d.articles)  # a run of renumbered articles is one line
            shown = items[:MAX_SHOWN_CHANGES]
            more = len(items) - len(shown)
            body = ('<div class="kb-sub">Chữ gạch ngang: bị bỏ; chữ gạch chân: thêm mới.</div>'
                    + "".join(_renumbered(line, run) if run[0].status == "renumbered" else _article_change(run[0])
                              for line, run in shown)
                    + (f'<div class="kb-note">… và {more} thay đổi khác.</div>' if more else ""))
        out.append(f'<div class="kb-compare" data-old="{esc(d.old_key)}" data-new="{esc(d.new_key)}">'
                   f"{head}{fields}{body}</div>")
    return ('<div class="kb-compare-all" role="region" aria-label="So sánh với bản đang có">'
            '<div class="kb-report">Chưa thay đổi gì. Kiểm tra so sánh dưới đây rồi bấm “Xác nhận thay thế”, '
            "hoặc “Huỷ” để giữ nguyên bản đang có.</div>" + "".join(out) + "</div>")


def _shown_value(name: str, value: str) -> str:
    return shown_value(name, value) if value else ""


def render_ingest_report(report: dict, action: str = "Nạp") -> str:
    if not report.get("documents"):  # nothing stored: the reasons below say why, never a “done” with 0
        lines = [f'<div class="kb-report"><b>{esc(action)}: không có văn bản nào được lưu.</b>']
    else:
        versions = report.get("versions") or {}
        lines = [f'<div class="kb-report"><b>{esc(action)} xong:</b> {report.get("documents", 0)} văn bản, '
                 f'{report.get("articles", 0)} điều/mục, {report.get("nodes", 0)} đoạn.'
                 + "".join(f" {esc(k)}: phiên bản {v}." for k, v in versions.items())]
    if report.get("dense_pending"):
        lines.append(f'<div class="kb-warn">Còn {report["dense_pending"]} đoạn chưa sẵn sàng tìm theo nghĩa (vẫn tìm '
                     "được theo từ ngữ); quản trị viên cần hoàn tất bước này.</div>")
    if report.get("index_note"):
        lines.append(f'<div class="kb-warn">{esc_public(report["index_note"])}</div>')
    for kind, label in (("refused", "Từ chối"), ("skipped", "Bỏ qua")):
        for item in report.get(kind, []):
            name = str(item.get("path", "")).rsplit("/", 1)[-1]
            lines.append(f'<div class="kb-{kind}">{label} {esc(name)}: {esc_public(item.get("reason", ""))}</div>')
    for item in report.get("warnings", []):  # OCR confidence, encoding converted, structure
        name = str(item.get("path", "")).rsplit("/", 1)[-1]
        lines += [f'<div class="kb-warn">Cảnh báo {esc(name)}: {esc_public(w)}</div>' for w in item.get("warnings", [])]
    return "".join(lines) + "</div>"


def render_versions(key: str, versions) -> str:
    """The version history of one document (ingest.versions.VersionRow list), the current one marked."""
    if not versions:
        return (f'<div class="kb-note">{esc(key)} chưa có phiên bản nào được lưu: chỉ văn bản nạp nguyên từ một tệp '
                "(PDF, DOCX, TXT…) mới có lịch sử phiên bản.</div>")
    rows = "".join(
        f'<tr class="{"kb-current" if v.current else ""}"><td class="kb-num">{v.version}</td>'
        f"<td>{esc(format_moment(v.ingested_at))}</td><td>{esc(v.user or '(không rõ)')}</td>"
        f'<td><code title="{esc(v.sha256)}">{esc(v.sha256[:12])}</code></td><td>{esc(v.source_name)}</td>'
        f"<td>{'Đang dùng' if v.current else ''}</td></tr>" for v in versions)
    gone = "" if any(v.current for v in versions) else (
        '<div class="kb-note">Văn bản này đã bị gỡ: không phiên bản nào đang dùng.</div>')
    return (f'<div class="kb-report"><b>Lịch sử phiên bản của {esc(key)}</b>{gone}'
            '<div class="kb-table-scroll" role="region" aria-label="Lịch sử phiên bản" tabindex="0">'
            '<table class="kb-docs kb-versions"><thead><tr><th>Phiên bản</th><th>Ngày nạp</th><th>Người nạp</th>'
            "<th>SHA-256</th><th>Tệp</th><th>Hiện hành</th></tr></thead><tbody>" + rows + "</tbody></table></div></div>")


def render_version_document(key: str, version: int, doc) -> str:
    """The text of one stored version (an ingest.model.LegalDocument), to read before restoring it."""
    if doc is None:
        return render_action_error(f"Văn bản {key} không có phiên bản {version}.")
    units = "".join(f"<h4>{esc(unit_label(u.kind, u.number))}. {esc(u.title)}</h4>{_text_block(u.full_text)}"
                    for u in doc.units)
    return (f'<div class="kb-report kb-version-text"><b>Phiên bản {version} của {esc(key)}</b>'
            f'<div class="kb-note">{len(doc.units)} điều/mục; hiệu lực từ {esc(format_date(doc.effective_from)) or "—"}'
            f"</div>{units}</div>")


def render_action_error(message: str) -> str:
    """A refused or failed staff action, shown next to its button (never a toast over the controls)."""
    return f'<div class="kb-error kb-action-error" role="alert">{esc_public(message)}</div>'


def render_session(session, allow_anonymous: bool, users_configured: bool) -> str:
    if session is not None:
        from ui.auth import ROLE_LABELS

        return (f'<div class="kb-session">Đã đăng nhập: <b>{esc(session.name)}</b> '
                f"({esc(ROLE_LABELS.get(session.role, session.role))})</div>")
    if not users_configured:
        return ('<div class="kb-session">Chưa có tài khoản cán bộ pháp chế nào, nên không ai đăng nhập được: '
                "mọi người chỉ xem. Quản trị viên tạo tài khoản theo hướng dẫn cài đặt.</div>")
    who = "Đang xem với tư cách khách (chỉ đọc)." if allow_anonymous else "Chưa đăng nhập."
    return f'<div class="kb-session">{who} Cán bộ pháp chế đăng nhập để nạp, thay thế hoặc gỡ văn bản.</div>'
