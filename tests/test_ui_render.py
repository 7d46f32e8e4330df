"""ui.render: qa results -> HTML. Pure functions, fast; document text is always escaped."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from qa.types import (Answer, Citation, ClauseHit, ClauseView, DocumentSummary, DocumentTree, LookupResult, PointView,
                      UnitView)
from ui import chat_view, render

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
QUOTE = "3. Thông tin chính thức về Việt Nam được cung cấp bằng các hình thức sau đây:"
CITE = "Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"


def hit(**kw) -> ClauseHit:
    base = dict(node_id="n-7-3", document="72/2015/NĐ-CP", document_number="72/2015/NĐ-CP",
                document_name="Nghị định 72/2015/NĐ-CP", doc_type="Nghị định",
                title="Về quản lý hoạt động thông tin đối ngoại", article="7",
                article_title="Cung cấp thông tin chính thức về Việt Nam", clause="3", point="", citation=CITE,
                text=QUOTE, path="/Chương II/Điều 7/Khoản 3", status="in_force", effective_from="2015-10-22")
    base.update(kw)
    return ClauseHit(**base)


def answer(basis="found", text=None, citations=None, **kw) -> Answer:
    cits = citations if citations is not None else [
        Citation(document="72/2015/NĐ-CP", article="7", clause="3", point="", citation=CITE, quote=QUOTE,
                 node_id="n-7-3", status="in_force")]
    return Answer(question="q", answer=text if text is not None else f"Theo {CITE}:\n\n> {QUOTE}", citations=cits,
                  basis=basis, confidence=0.9, mode="extractive", **kw)


def data_copy(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'data-copy="([^"]*)"', fragment)]


def test_copy_payload_format():
    assert render.copy_payload("  trích  ", CITE) == f"«trích» ({CITE})"


def test_answer_has_citation_chips_and_feedback():
    out = chat_view.render_answer(answer(), turn=2)
    assert 'class="kb-chip"' in out and 'data-turn="2"' in out and 'data-cite="0"' in out
    assert f"[1] {CITE}" in html.unescape(out)
    assert 'data-action="feedback"' in out and 'data-value="up"' in out and 'data-value="down"' in out
    assert "<blockquote" in out and html.escape(QUOTE) in out
    assert "Có căn cứ" in out
    # the verbatim answer carries no mode label; the assistant's says so in plain words, never "LLM"
    assert "Chế độ" not in out and "Trích nguyên văn" not in out
    written = chat_view.render_answer(Answer(**{**answer().__dict__, "mode": "llm", "fell_back": True}), turn=0)
    assert "Trợ lý" in written and "LLM" not in written


def test_feedback_choice_is_shown():
    out = chat_view.render_answer(answer(), turn=0, feedback="down")
    assert 'data-value="down" aria-pressed="true"' in out and "Đã ghi nhận" in out


def test_no_basis_answer_is_plain():
    """Without nearest clauses kept with the turn: the text, nothing dressed up (tests/test_ui_chat_view.py
    has the nearest clauses as chips)."""
    text = "Không tìm thấy căn cứ trong cơ sở dữ liệu. Các quy định gần nhất: Điều 1 Luật X."
    out = chat_view.render_answer(answer(basis="none", text=text, citations=[]), turn=0)
    assert 'data-basis="none"' in out
    assert html.escape(text) in out
    assert "kb-chip" not in out and "kb-meta" not in out and "blockquote" not in out and "Có căn cứ" not in out


def test_weak_basis_and_warnings_are_visible():
    a = answer(basis="weak", warnings=["Khoản 3 Điều 7: điều này có nội dung được sửa đổi"], dropped_citations=["[9]"])
    out = chat_view.render_answer(a, turn=0)
    assert "Căn cứ yếu" in out and "được sửa đổi" in out and "[9]" in out


def test_reference_markers_link_only_to_existing_citations():
    out = chat_view.render_answer(answer(text="Ý một [1]. Ý hai [2]."), turn=0)
    assert out.count('class="kb-ref"') == 1 and "[2]" in out


def test_everything_from_documents_is_escaped():
    a = answer(text=EVIL, citations=[Citation(document=EVIL, article="1", clause="", point="", citation=EVIL,
                                              quote=EVIL, node_id=EVIL)])
    outs = [
        chat_view.render_chat([{"question": EVIL, "answer": a, "feedback": None, "as_of": "", "documents": [EVIL]}]),
        render.render_clause(hit(text=EVIL, citation=EVIL, title=EVIL, path=f"/{EVIL}", amendment_note=EVIL),
                             [EVIL], quote=EVIL),
        render.render_lookup(LookupResult(status="found", citation=EVIL, text=EVIL)),
        render.render_lookup(LookupResult(status="not_found", message=EVIL, suggestions=[EVIL])),
        render.render_catalogue([DocumentSummary(key=EVIL, number=EVIL, type=EVIL, name=EVIL, title=EVIL,
                                                 status="ready", note=EVIL, relations=[EVIL])]),
        render.render_tree(DocumentTree(key=EVIL, name=EVIL, relations=[EVIL], units=[
            UnitView(kind="dieu", number=EVIL, title=EVIL, chapter=EVIL, section=EVIL, intro=EVIL, citation=EVIL,
                     clauses=[ClauseView(number="1", citation=EVIL, text=EVIL, node_id=EVIL,
                                         points=[PointView(label="a", citation=EVIL, text=EVIL)])])])),
        render.render_preview([{"file": EVIL, "key": EVIL, "title": EVIL, "warnings": [EVIL], "units": [EVIL]},
                               {"file": EVIL, "error": EVIL}]),
        render.render_ingest_report({"refused": [{"path": EVIL, "reason": EVIL}],
                                     "warnings": [{"path": EVIL, "warnings": [EVIL]}]}),
    ]
    for out in outs:
        assert "<script" not in out and "<img" not in out, out


def test_clause_panel_shows_path_status_date_relations_and_copy():
    out = render.render_clause(hit(), ["Được hướng dẫn bởi Thông tư 02/2019/TT-BTTTT"], quote=QUOTE, citation=CITE)
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "Nghị định 72/2015/NĐ-CP › Chương II › Điều 7 › Khoản 3" in text
    assert "Còn hiệu lực" in text and "22/10/2015" in text
    assert "Được hướng dẫn bởi Thông tư 02/2019/TT-BTTTT" in text
    assert QUOTE in text
    # short form with the quote, then the formal citation (no issue date or issuer known here)
    assert data_copy(out) == [f"«{QUOTE}» ({CITE})", "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP"]


def test_clause_panel_point_and_partial_quote():
    h = hit(point="a", path="/Chương II/Điều 7/Khoản 3", text=QUOTE + "\na) Phát ngôn chính thức.")
    out = render.render_clause(h, [], quote="a) Phát ngôn chính thức.")
    assert render.clause_path(h)[-1] == "Điểm a"
    assert data_copy(out)[0] == f"«a) Phát ngôn chính thức.» ({CITE})"
    assert len(data_copy(out)) == 3  # the quote, the whole clause, the formal citation


def test_clause_missing():
    assert "Không tìm thấy" in render.render_clause(None)


def test_lookup_found_has_text_and_copy():
    out = render.render_lookup(LookupResult(status="found", citation=CITE, text=QUOTE))
    assert CITE in html.unescape(out) and html.escape(QUOTE) in out
    assert data_copy(out) == [f"«{QUOTE}» ({CITE})"]


@pytest.mark.parametrize("status, cls", [("ambiguous", "kb-ambiguous"), ("not_found", "kb-notfound")])
def test_lookup_messages_with_suggestions(status, cls):
    res = LookupResult(status=status, message="“Điều 7” khớp nhiều văn bản; hãy ghi rõ số hiệu.",
                       suggestions=["Điều 7 Nghị định 72/2015/NĐ-CP", "Điều 7 Luật Báo chí 103/2016/QH13"])
    out = render.render_lookup(res)
    assert cls in out and "hãy ghi rõ số hiệu" in out
    refs = [html.unescape(r) for r in re.findall(r'data-action="lookup" data-ref="([^"]*)"', out)]
    assert refs == res.suggestions


DOCS = [
    {"key": "72/2015/NĐ-CP", "number": "72/2015/NĐ-CP", "name": "Nghị định 72/2015/NĐ-CP", "type": "Nghị định",
     "title": "Về quản lý hoạt động thông tin đối ngoại", "status": "ready", "legal_status": "in_force",
     "effective_from": "2015-10-22", "articles": 26, "nodes": 85, "relations": [], "note": ""},
    {"key": "22/2016/TT-BTTTT", "number": "22/2016/TT-BTTTT", "name": "Thông tư 22/2016/TT-BTTTT",
     "type": "Thông tư", "title": "Hướng dẫn …", "status": "missing", "legal_status": "", "articles": 0,
     "nodes": 0, "relations": [], "note": "Chưa có văn bản — cán bộ pháp chế cần bổ sung tệp chính thức"},
]


DOCS = [DocumentSummary(**d) for d in DOCS]


def test_catalogue_greys_missing_documents():
    out = render.render_catalogue(DOCS)
    assert out.count('data-action="tree"') == 1 and 'data-key="72/2015/NĐ-CP"' in out
    missing = re.search(r'<li class="kb-missing".*?</li>', out, re.S).group(0)
    assert "22/2016/TT-BTTTT" in missing and "cán bộ pháp chế cần bổ sung" in missing
    table = render.render_catalogue(DOCS, browsable=False)
    assert "<table" in table and 'class="kb-missing"' in table and ">26<" in table and ">85<" in table
    assert "data-action" not in table


def test_document_choices_only_ready():
    assert render.document_choices(DOCS) == [
        ("Nghị định 72/2015/NĐ-CP — Về quản lý hoạt động thông tin đối ngoại", "72/2015/NĐ-CP")]


def test_tree_groups_chapters_and_has_copy_buttons():
    tree = DocumentTree(key="K", name="Nghị định 72/2015/NĐ-CP", status="in_force", effective_from="2015-10-22",
                        relations=["Được hướng dẫn bởi Thông tư 02/2019/TT-BTTTT"], units=[
                            UnitView(kind="dieu", number="1", title="Phạm vi", chapter="Chương I. QUY ĐỊNH CHUNG",
                                     section="", citation="Điều 1 Nghị định 72/2015/NĐ-CP", intro=""),
                            UnitView(kind="dieu", number="7", title="Cung cấp", chapter="Chương II. HOẠT ĐỘNG",
                                     section="", citation="Điều 7", intro="", clauses=[
                                         ClauseView(number="3", citation=CITE, text=QUOTE, node_id="n", points=[
                                             PointView(label="a", citation=CITE.replace("Khoản", "Điểm a khoản"),
                                                       text="a) Phát ngôn.")])])])
    out = render.render_tree(tree)
    assert out.count('class="kb-chapter"') == 2 and out.count('class="kb-unit"') == 2
    assert out.count("<details") == out.count("</details>")
    copies = data_copy(out)
    assert f"«{QUOTE}\na) Phát ngôn.» ({CITE})" in copies
    assert "22/10/2015" in out and "Được hướng dẫn bởi" in out
    assert "Chọn một văn bản" in render.render_tree(None)


def test_dates():
    assert render.format_date("2015-10-22") == "22/10/2015"
    assert render.format_date("") == "" and render.format_date("2015") == "2015"
    assert render.parse_date("22/10/2015") == "2015-10-22"
    assert render.parse_date("1-2-2020") == "2020-02-01"
    assert render.parse_date(" 2015-10-22 ") == "2015-10-22"
    assert render.parse_date("") is None and render.parse_date(None) is None
    for bad in ("31/02/2020", "hôm qua", "2020/13/01"):
        with pytest.raises(ValueError):
            render.parse_date(bad)


def test_overrides_only_changed_fields():
    original = {"number": "999/2099/NĐ-CP", "type": "Nghị định", "title": "Về thử", "issuer": "",
                "issued_on": "2099-09-07", "effective_from": "2099-10-22"}
    form = dict(original, issued_on="07/09/2099", effective_from="01/01/2020", issuer="Chính phủ thử nghiệm")
    assert render.overrides_from_form(original, form) == {"effective_from": "2020-01-01",
                                                          "issuer": "Chính phủ thử nghiệm"}
    assert render.overrides_from_form(original, dict(original, title="")) == {}
    with pytest.raises(ValueError, match="Ngày có hiệu lực"):
        render.overrides_from_form(original, dict(original, effective_from="32/01/2020"))


def test_preview_marks_new_existing_corrected_and_errors():
    previews = [
        {"file": "a.docx", "key": "999/2099/NĐ-CP", "number": "999/2099/NĐ-CP", "type": "Nghị định", "title": "",
         "articles": 3, "clauses": 2, "warnings": ["Điều 2: thiếu khoản 3"], "units": ["Điều 1. Phạm vi"]},
        {"file": "b.pdf", "key": "72/2015/NĐ-CP", "number": "72/2015/NĐ-CP", "warnings": [], "units": []},
        {"file": "c.pdf", "error": "tệp PDF chỉ có ảnh quét"},
    ]
    out = render.render_preview(previews, existing_keys={"72/2015/NĐ-CP"}, corrected={"999/2099/NĐ-CP"})
    assert "Văn bản mới · đã sửa thông tin" in out and "Đã có trong cơ sở dữ liệu" in out
    assert "thiếu khoản 3" in out and "không nhận ra" in out and "ảnh quét" in out and 'role="alert"' in out


def test_chat_pending_error_and_filters():
    pending = chat_view.render_chat([{"question": "Hỏi?", "text": "Theo", "answer": None}])
    assert "Đang trả lời" in pending and 'aria-busy="true"' in pending
    err = chat_view.render_chat([{"question": "Hỏi?", "error": "Ngày không hợp lệ", "answer": None}])
    assert "Ngày không hợp lệ" in err and 'role="alert"' in err
    filt = chat_view.render_chat([{"question": "Hỏi?", "answer": answer(), "as_of": "2020-01-01",
                                "documents": ["72/2015/NĐ-CP"]}])
    assert "01/01/2020" in filt and "72/2015/NĐ-CP" in filt
    assert "kb-empty" in chat_view.render_chat([])


def test_static_assets_reference_nothing_outside():
    static = Path(render.__file__).parent / "static"
    for f in static.iterdir():
        body = f.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", body, re.I), f


# ---------------------------------------------------------------- drafter's desk: the formal citation

FORMAL_CASES = [
    # (short citation, document name, number, type, issued on, issuer, formal citation)
    (CITE, "Nghị định 72/2015/NĐ-CP", "72/2015/NĐ-CP", "Nghị định", "2015-09-07", "Chính phủ",
     "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ"),
    ("Điểm b Khoản 2 Điều 5 Nghị định 09/2017/NĐ-CP", "Nghị định 09/2017/NĐ-CP", "09/2017/NĐ-CP", "Nghị định",
     "2017-02-09", "Chính phủ", "điểm b khoản 2 Điều 5 Nghị định số 09/2017/NĐ-CP ngày 09/02/2017 của Chính phủ"),
    # a law: cited by its name, number and date, without the issuing body
    ("Khoản 3 Điều 41 Luật Báo chí 103/2016/QH13", "Luật Báo chí 103/2016/QH13", "103/2016/QH13", "Luật",
     "2016-04-05", "Quốc hội", "khoản 3 Điều 41 Luật Báo chí số 103/2016/QH13 ngày 05/4/2016"),
    ("Điều 1 Quyết định 79/QĐ-TTg", "Quyết định 79/QĐ-TTg", "79/QĐ-TTg", "Quyết định", "2012-12-13",
     "Thủ tướng Chính phủ", "Điều 1 Quyết định số 79/QĐ-TTg ngày 13/12/2012 của Thủ tướng Chính phủ"),
    # unknown facts are left out, never invented
    (CITE, "Nghị định 72/2015/NĐ-CP", "72/2015/NĐ-CP", "Nghị định", "", "",
     "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP"),
    # the whole document
    ("Nghị định 72/2015/NĐ-CP", "Nghị định 72/2015/NĐ-CP", "72/2015/NĐ-CP", "Nghị định", "2015-09-07", "Chính phủ",
     "Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ"),
]


@pytest.mark.parametrize("short, name, number, doc_type, issued_on, issuer, formal", FORMAL_CASES)
def test_formal_citation_is_what_drafters_write(short, name, number, doc_type, issued_on, issuer, formal):
    from ingest.identity import formal_citation

    assert formal_citation(short, name, number, doc_type, issued_on, issuer) == formal
    # the clause panel shows it and copies it alone; the short «quote» (citation) copy stays first
    h = hit(citation=short, document_name=name, document_number=number, doc_type=doc_type, issued_on=issued_on,
            issuer=issuer)
    out = render.render_clause(h, quote=QUOTE, citation=short)
    assert data_copy(out)[0] == f"«{QUOTE}» ({short})"
    assert data_copy(out)[-1] == formal
    assert formal in html.unescape(re.sub(r"<[^>]+>", "", out))
    found = render.render_lookup(LookupResult(status="found", citation=short, text=QUOTE, formal_citation=formal))
    assert data_copy(found) == [f"«{QUOTE}» ({short})", formal]


def test_tree_copies_the_formal_citation_of_each_clause_and_names_sections():
    tree = DocumentTree(key="72/2015/NĐ-CP", name="Nghị định 72/2015/NĐ-CP", number="72/2015/NĐ-CP",
                        doc_type="Nghị định", issued_on="2015-09-07", issuer="Chính phủ", units=[
                            UnitView(kind="dieu", number="7", title="Cung cấp", chapter="Chương II. HOẠT ĐỘNG",
                                     section="Mục 1. CUNG CẤP THÔNG TIN", citation="Điều 7", intro="", clauses=[
                                         ClauseView(number="3", citation=CITE, text=QUOTE, node_id="n")]),
                            UnitView(kind="dieu", number="8", title="Khác", chapter="Chương II. HOẠT ĐỘNG",
                                     section="", citation="Điều 8", intro="")])
    out = render.render_tree(tree)
    assert "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ" in data_copy(out)
    assert re.search(r'class="kb-chapter" open><summary>Chương II\. HOẠT ĐỘNG</summary>'
                     r'<details class="kb-section" open><summary>Mục 1\. CUNG CẤP THÔNG TIN</summary>', out)
    assert out.count("<details") == out.count("</details>")
    # Điều 8 has no Mục: it sits in the chapter, after the section closed
    assert out.index("Mục 1.") < out.index("Điều 8.") and out.count('class="kb-section"') == 1
    assert 'data-key="72/2015/NĐ-CP"' in out and 'tabindex="-1"' in out  # focus target after a catalogue click


# ---------------------------------------------------------------- a bare "Điều 5": every document that has it

ARTICLE_LISTS = [
    ("Điều 5", ["Điều 5 Nghị định 72/2015/NĐ-CP", "Điều 5 Nghị định 09/2017/NĐ-CP", "Điều 5 Luật Báo chí 103/2016/QH13"]),
    ("k2 đ5", ["Khoản 2 Điều 5 Nghị định 72/2015/NĐ-CP"]),
]


@pytest.mark.parametrize("reference, suggestions", ARTICLE_LISTS)
def test_bare_article_lists_each_document_as_a_button(reference, suggestions):
    res = LookupResult(status="ambiguous", article="5", message=f"{len(suggestions)} văn bản có Điều 5; chọn văn bản cần xem.",
                       suggestions=suggestions)
    out = render.render_lookup(res)
    buttons = re.findall(r'<li><button type="button" class="kb-suggest" data-action="lookup" data-ref="([^"]*)">', out)
    assert [html.unescape(b) for b in buttons] == suggestions  # one per document, in order, each opens it
    assert "chọn văn bản cần xem" in out


# ---------------------------------------------------------------- colours of kb.css at WCAG AA

CSS = Path(render.__file__).parent / "static" / "kb.css"


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(h[i:i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_helper_matches_known_values():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-failing grey


def _css_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"@media[^{]*{((?:[^{}]*{[^{}]*})*)\s*}", r"\1", text)  # media blocks: their rules count too
    rules = []
    for selector, body in re.findall(r"([^{}]+){([^{}]*)}", text):
        decls = dict((k.strip(), v.strip()) for k, v in
                     (d.split(":", 1) for d in body.split(";") if ":" in d))
        rules.append((selector.strip(), decls))
    return rules


def test_every_text_colour_of_kb_css_meets_wcag_aa():
    rules = _css_rules(CSS.read_text(encoding="utf-8"))
    schemes = {sel: {k: v for k, v in decls.items() if k.startswith("--kb-")}
               for sel, decls in rules if sel in (":root", ".dark")}
    assert set(schemes) == {":root", ".dark"}, "light and dark colours are declared as --kb-* variables"
    pairs = 0
    for scheme, variables in schemes.items():
        def resolve(value: str) -> str:
            m = re.fullmatch(r"var\((--kb-[a-z-]+)\)", value)
            colour = variables[m[1]] if m else value
            assert re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", colour), (
                f"{value}: text colours of kb.css must be ours (a --kb-* variable or a hex colour), "
                "so their contrast is known")
            return colour
        for selector, decls in rules:
            assert "opacity" not in decls, f"{selector}: opacity lowers text contrast"
            if "color" not in decls:
                continue
            fg = resolve(decls["color"])
            bg_decl = decls.get("background") or decls.get("background-color")
            # without a background of its own, the text may sit on the page or on a soft panel
            backgrounds = [resolve(bg_decl)] if bg_decl else [variables["--kb-bg"], variables["--kb-bg-soft"]]
            for bg in backgrounds:
                pairs += 1
                assert contrast(fg, bg) >= 4.5, f"{scheme} {selector}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"
    assert pairs >= 20


# ---------------------------------------------------------------- Gradio's own strings in Vietnamese

GRADIO_ENGLISH = ["Drop File Here", "Click to Upload", "Error", "Use via API", "Submit", "Clear", "or", "Uploading..."]


def test_gradio_default_strings_are_overridden_for_every_shipped_locale():
    """Finds each English default in Gradio's bundled dictionary, and checks that its key has a
    Vietnamese string and that every locale Gradio can pick gets it (fails on a Gradio upgrade
    that adds a locale or moves a key)."""
    import gradio

    from ui.app import GRADIO_LOCALES, GRADIO_STRINGS_VI, i18n

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    bundle = next(f.read_text(encoding="utf-8") for f in assets.glob("core-*.js")
                  if "drop_file:`Drop File Here`" in f.read_text(encoding="utf-8"))
    for english in GRADIO_ENGLISH:
        keys = re.findall(r"(\w+)=\{(?:[^{}]|\{\w+\})*?\b(\w+):`" + re.escape(english) + "`", bundle)
        assert keys, english
        groups = dict(re.findall(r"\b([\w$]+):([\w$]+)(?=[,}])", bundle[bundle.index("Q={_name:"):][:2000]))
        names = {f"{group}.{key}" for var, key in keys for group, v in groups.items() if v == var}
        assert names & set(GRADIO_STRINGS_VI), (english, names)
    shipped = re.search(r"ut=\{(ar:[^}]*)\}", bundle)[1]
    locales = {m.strip('"') for m in re.findall(r'("?[\w-]+"?):`', shipped)}
    assert locales <= set(GRADIO_LOCALES), locales - set(GRADIO_LOCALES)
    assert set(i18n().translations_dict) == set(GRADIO_LOCALES)
    assert all(v and not re.search(r"[A-Z][a-z]+ [A-Z]", v) for v in GRADIO_STRINGS_VI.values())


def test_why_line_for_staff_is_in_words():
    """Legal staff see why the first citation was chosen: the rule and the features, in Vietnamese."""
    from ui.render import why_line

    why = {"rule": "entity_article", "basis_probability": 0.93,
           "features": [{"feature": "entity_title", "value": 1.0, "contribution": 1.25},
                        {"feature": "other_level", "value": 1.0, "contribution": -0.5}]}
    line = why_line(why)
    assert "điều mang tên cơ quan được hỏi" in line and "tên điều là cơ quan được hỏi (+1,25)" in line
    assert "cấp chính quyền khác (−0,50)" in line and "93%" in line
    assert "entity_title" not in line and why_line({}) == ""


def test_a_chip_carries_the_article_title():
    """The body an article is titled by ("Ủy ban nhân dân cấp tỉnh") is often named nowhere in the
    khoản cited: the chip's tooltip says it, escaped."""
    from ui.chat_view import render_answer

    cit = Citation(document="72/2015/NĐ-CP", article="24", clause="6", point="", citation=CITE, quote=QUOTE,
                   node_id="n1", article_title="Ủy ban nhân dân cấp tỉnh <b>")
    out = render_answer(answer(citations=[cit]), 0)
    assert 'title="Điều này: Ủy ban nhân dân cấp tỉnh &lt;b&gt;. Xem nguyên văn' in out
