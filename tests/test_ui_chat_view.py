"""ui.chat_view (an answer: lead, then one-line clause chips; copy; link) and ui.conversations (kept in
the browser, per user). Pure functions, fast. Every text here is SYNTHETIC (a made-up decree
999/2099/NĐ-CP), not law."""
from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs

import gradio as gr

from qa.types import Answer, Citation, ClauseHit
from ui import chat_view, conversations

DOC = "Nghị định 999/2099/NĐ-CP"
C1 = f"Khoản 1 Điều 2 {DOC}"
C2 = f"Khoản 2 Điều 2 {DOC}"
Q1 = "1. Bộ Thử nghiệm chủ trì tổ chức Ngày Kỳ Lân thử nghiệm tại các tỉnh mẫu, bắt đầu từ năm giả định đầu tiên."
Q2 = "2. Ngày Kỳ Lân thử nghiệm được tổ chức mỗi năm một lần vào tháng Mười Ba giả định."
EVIL = '<script>alert("x")</script>'


def cit(citation, quote, node, title="Tổ chức Ngày Kỳ Lân thử nghiệm", **kw) -> Citation:
    return Citation(document=DOC, article="2", clause="1", point="", citation=citation, quote=quote,
                    node_id=node, article_title=title, **kw)


def extractive(basis="found", continues="", lead_sentence=True) -> Answer:
    said = f" «{Q1[3:40]}»" if lead_sentence else ""
    parts = ([f"(Tiếp theo câu hỏi: «{continues}»)"] if continues else []) + [
        f"Theo {C1} (Bộ Thử nghiệm):{said}", f"{C1} (Bộ Thử nghiệm):", f"> {Q1}", f"{C2} (liên quan):", f"> {Q2}"]
    return Answer(question="Ai tổ chức Ngày Kỳ Lân?", answer="\n\n".join(parts),
                  citations=[cit(C1, Q1, "n1"), cit(C2, Q2, "n2")], basis=basis, confidence=0.9, mode="extractive",
                  warnings=["Điều 2: lưu ý thử nghiệm"], continues=continues)


def test_the_lead_comes_first_then_one_chip_per_clause_closed():
    out = chat_view.render_answer(extractive(), turn=1)
    lead, rest = out.split('class="kb-chips-box"')
    # the lead: its sentence, and the citation it names opens clause 1; no quote block in the lead
    assert "Theo" in lead and "<blockquote" not in lead
    assert re.search(r'class="kb-ref kb-head" data-action="cite" data-turn="1" data-cite="0"[^>]*>'
                     + re.escape(html.escape(C1)), lead)
    # the clauses: one <details> each, in the answer's order, none open, the full quote inside
    summaries = re.findall(r'<summary class="kb-chip"[^>]*>(.*?)</summary>', rest)
    assert len(summaries) == 2 and "<details open" not in out
    text = [html.unescape(re.sub(r"<[^>]+>", "", s)) for s in summaries]
    assert text[0].startswith(f"[1] {C1} — 1. Bộ Thử nghiệm") and text[1].startswith(f"[2] {C2} — 2.")
    assert len(text[0]) < len(C1) + chat_view.FIRST_WORDS + 12 and text[0].endswith("…")  # first words only
    assert html.escape(Q1) in rest and html.escape(Q2) in rest
    assert rest.count('data-drawer="1"') == 2  # each opens in the clause panel / drawer too
    # warnings come after the chips, feedback and copy after everything
    assert rest.index("kb-warnings") < rest.index("Sao chép câu trả lời")


def test_a_follow_up_is_said_by_the_question_not_in_the_lead():
    turn = {"question": "Còn tháng nào?", "answer": extractive(continues="Ai tổ chức Ngày Kỳ Lân?")}
    out = chat_view.render_turn(turn, 0)
    q, a = out.split('<div class="kb-a ', 1)
    assert "(tiếp theo câu hỏi: Ai tổ chức Ngày Kỳ Lân?)" in html.unescape(q)
    assert "Tiếp theo câu hỏi" not in a


def test_an_answer_without_unit_blocks_keeps_its_text_and_lists_every_citation():
    """An assistant's answer: prose with [n] markers; the chips list every citation."""
    a = Answer(question="q", answer="Bộ Thử nghiệm chủ trì [1], mỗi năm một lần [2].",
               citations=[cit(C1, Q1, "n1"), cit(C2, Q2, "n2")], basis="found", confidence=0.8, mode="llm")
    out = chat_view.render_answer(a, 0)
    assert out.count('class="kb-ref"') == 2 and out.count('<summary class="kb-chip"') == 2


def test_no_basis_lists_the_nearest_clauses_as_chips_with_suggestions():
    hits = [ClauseHit(node_id=f"n{i}", document="999/2099/NĐ-CP", document_number="999/2099/NĐ-CP",
                      document_name=DOC, doc_type="Nghị định", title="", article=str(i), article_title=t,
                      clause="", point="", citation=f"Điều {i} {DOC}", text=f"Nội dung thử nghiệm {i}.", path="")
            for i, t in ((1, "Phạm vi điều chỉnh"), (2, "Tổ chức Ngày Kỳ Lân thử nghiệm"))]
    a = Answer(question="q", answer=f"Không tìm thấy căn cứ trong cơ sở dữ liệu. Các quy định gần nhất: "
                                    f"Điều 1 {DOC}; Điều 2 {DOC}.", citations=[], basis="none", confidence=0.1,
               mode="extractive", retrieved=hits)
    near = chat_view.near_clauses(a)
    assert [n["node_id"] for n in near] == ["n1", "n2"]
    out = chat_view.render_turn({"question": "q", "answer": a, "near": near}, 3)
    assert out.count('<summary class="kb-chip" data-action="near" data-turn="3"') == 2
    assert "Có phải bạn muốn hỏi:" in out
    assert f'data-ask="Phạm vi điều chỉnh theo {DOC}"' in html.unescape(out).replace("&", "&")
    # a weak answer suggests too, from its clauses' article titles
    assert "Có phải bạn muốn hỏi:" in chat_view.render_answer(extractive(basis="weak"), 0)
    assert "Có phải bạn muốn hỏi:" not in chat_view.render_answer(extractive(), 0)


def test_copy_gives_the_answer_with_every_citation_in_formal_form_and_the_link_asks_again():
    formal = [f"khoản 1 Điều 2 Nghị định số 999/2099/NĐ-CP ngày 07/9/2099 của Chính phủ Thử nghiệm",
              f"khoản 2 Điều 2 Nghị định số 999/2099/NĐ-CP ngày 07/9/2099 của Chính phủ Thử nghiệm"]
    turn = {"question": "Ai tổ chức Ngày Kỳ Lân?", "answer": extractive(), "formal": formal}
    text = chat_view.copy_text(turn)
    assert text.startswith("Hỏi: Ai tổ chức Ngày Kỳ Lân?") and f"«{Q1}»" in text and "> " not in text
    assert text.endswith(f"Căn cứ:\n1. {formal[0]}\n2. {formal[1]}")
    out = chat_view.render_turn(turn, 0)
    copied = [html.unescape(m) for m in re.findall(r'data-copy="([^"]*)"', out)]
    assert text in copied
    link = html.unescape(re.search(r'class="kb-link" href="([^"]*)"', out)[1])
    assert parse_qs(link[1:])["q"] == ["Ai tổ chức Ngày Kỳ Lân?"]


def test_everything_in_a_turn_is_escaped():
    a = Answer(question=EVIL, answer=f"{EVIL}:\n\n> {EVIL}", citations=[cit(EVIL, EVIL, EVIL, title=EVIL)],
               basis="weak", confidence=0.5, mode="extractive", continues=EVIL)
    out = chat_view.render_chat([{"question": EVIL, "answer": a, "formal": [EVIL], "near": []}])
    assert "<script>" not in out


# ---------------------------------------------------------------- conversations in the browser


def live_turn(question="Ai tổ chức Ngày Kỳ Lân?", **kw) -> dict:
    return {"id": "t1", "question": question, "text": "", "answer": extractive(), "feedback": "up", "error": "",
            "as_of": "2099-10-22", "documents": ["999/2099/NĐ-CP"], "mode": "extractive",
            "formal": ["khoản 1 …", "khoản 2 …"], "near": [], **kw}


def test_a_conversation_comes_back_as_it_was_shown_and_per_user():
    stored = conversations.save(conversations.EMPTY, "", "c1", [live_turn(), {"question": "x", "answer": None}])
    stored = conversations.save(stored, "phapche", "c9", [live_turn("Câu của cán bộ")])
    back = conversations.turns_of(conversations.find(stored, "", "c1"), 1000)
    assert len(back) == 1  # the turn that never got an answer is not kept
    assert chat_view.render_chat(back) == chat_view.render_chat([live_turn()])
    assert [c["title"] for c in conversations.conversations(stored, "phapche")] == ["Câu của cán bộ"]
    assert conversations.find(stored, "phapche", "c1") is None
    # newest first; saving again moves it up; "Xoá lịch sử" forgets one user only
    stored = conversations.save(stored, "", "c2", [live_turn("Câu thứ hai")])
    stored = conversations.save(stored, "", "c1", [live_turn(), live_turn("Câu tiếp")])
    assert [c["id"] for c in conversations.conversations(stored, "")] == ["c1", "c2"]
    stored = conversations.forget(stored, "")
    assert conversations.conversations(stored, "") == [] and conversations.conversations(stored, "phapche")


def test_the_store_is_bounded_and_what_comes_back_from_the_browser_is_checked():
    stored = conversations.EMPTY
    for i in range(conversations.MAX_CONVERSATIONS + 5):  # short conversations: the count is the bound
        stored = conversations.save(stored, "", f"c{i}", [live_turn(f"Câu {i}")])
    convs = conversations.conversations(stored, "")
    assert len(convs) == conversations.MAX_CONVERSATIONS and convs[0]["id"] == f"c{conversations.MAX_CONVERSATIONS + 4}"
    long = conversations.save(stored, "", "dai", [live_turn("Câu")] * (conversations.MAX_TURNS + 3))
    assert len(conversations.find(long, "", "dai")["turns"]) == conversations.MAX_TURNS
    # long answers: the oldest conversations go until the value fits under the server's request cap
    big = conversations.EMPTY
    for i in range(12):
        big = conversations.save(big, "", f"b{i}", [live_turn(f"Câu dài {i} " + "ệ" * 12_000)] * 5)
    assert len(json.dumps(big, ensure_ascii=False).encode("utf-8")) <= conversations.MAX_STORED_BYTES
    assert 1 < len(conversations.conversations(big, "")) < 12 and conversations.conversations(big, "")[0]["id"] == "b11"
    for junk in (None, "x", [], {"v": 99, "users": {}}, {"v": 1, "users": {"": "x"}},
                 {"v": 1, "users": {"": [{"id": "a", "turns": [None, "x", {"question": 1}, {"question": "q"}]}]}}):
        assert conversations.turns_of(conversations.find(junk, "", "a"), 100) == []
    bad = conversations.save(conversations.EMPTY, "", "c", [live_turn()])
    rec = bad["users"][""][0]["turns"][0]
    rec["answer"]["basis"] = "<b>"
    rec["answer"]["citations"] = [{"citation": EVIL}, "x", {"citation": C1, "node_id": "n1", "quote": Q1 * 1000}]
    rec["question"] = "q" * 5000
    turn = conversations.turns_of(bad["users"][""][0], 200)[0]
    assert turn["answer"].basis == "none" and len(turn["question"]) == 200
    assert [c.node_id for c in turn["answer"].citations] == ["n1"]
    assert len(turn["answer"].citations[0].quote) == conversations.MAX_TEXT


def _sealed_as_the_browser_does(value, secret: str, salt: bytes = b"synthsal") -> str:
    """What gr.BrowserState writes (CryptoJS AES with a passphrase, OpenSSL's salted form), sealed here
    for the table below; the browser's own sealing is read in tests/test_ui_browser_chat.py (two tabs)."""
    import base64
    import hashlib
    import json

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    passphrase = hashlib.sha256(secret.encode()).hexdigest().encode()
    derived, block = b"", b""
    while len(derived) < 48:
        block = hashlib.md5(block + passphrase + salt).digest()
        derived += block
    padder = padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(value).encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(derived[:32]), modes.CBC(derived[32:48])).encryptor()
    sealed = b"Salted__" + salt + enc.update(plain) + enc.finalize()
    return base64.b64encode(b"iv-not-used-here").decode() + ":" + base64.b64encode(sealed).decode()


def test_what_another_tab_stored_is_read_back_or_refused():
    stored = conversations.save(conversations.EMPTY, "", "c1", [live_turn("Câu của thẻ khác")])
    raw = _sealed_as_the_browser_does(stored, conversations.SECRET)
    assert conversations.from_browser_storage(raw, conversations.SECRET) == stored
    # forgotten in the other tab: the empty value is taken as well
    assert conversations.from_browser_storage(_sealed_as_the_browser_does(conversations.EMPTY, conversations.SECRET),
                                              conversations.SECRET) == conversations.EMPTY
    for junk in (None, 5, "", "x", "a:b", raw.split(":")[0] + ":" + "A" * 64,  # not the sealed form
                 _sealed_as_the_browser_does(stored, "another secret"),  # sealed with another key
                 _sealed_as_the_browser_does({"v": 99, "users": {}}, conversations.SECRET),  # another format
                 _sealed_as_the_browser_does(["x"], conversations.SECRET),
                 "a:" + "A" * (conversations.MAX_STORED_BYTES * 2)):  # too long to be ours
        assert conversations.from_browser_storage(junk, conversations.SECRET) is None, str(junk)[:40]


def test_the_list_of_past_conversations_marks_the_open_one():
    stored = conversations.save(conversations.EMPTY, "", "c1", [live_turn(EVIL)])
    out = conversations.render_list(conversations.conversations(stored, ""), "c1")
    assert 'data-action="open-conv" data-conv="c1" aria-current="true"' in out and "<script>" not in out
    assert "1 câu hỏi" in out
    assert "Chưa có cuộc hội thoại" in conversations.render_list([])


# ---------------------------------------------------------------- the handlers (ui.conversation_actions)


class Req:
    """What the handlers read of a gr.Request: the address's query, cookies, the logged-in user."""

    def __init__(self, q: str = ""):
        self.query_params = {"q": q} if q else {}
        self.cookies, self.username, self.headers, self.session_hash = {}, None, {}, "s1"


def test_an_answer_is_kept_restored_after_a_reload_opened_and_forgotten(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_ui_api import CITE, FakeKB

    from core.settings import load_settings
    from ui.app import App

    app = App(load_settings(env={}, home=str(tmp_path / "home")), FakeKB())
    chat, turns, _ = list(app.ask_chat("Câu hỏi thử nghiệm synthetic?", "", "extractive", None, [], None, Req()))[-1]
    assert turns[-1]["formal"] == ["khoản 2 Điều 14 Nghị định số 72/2015/NĐ-CP"]  # from the stored clause
    stored, conv, listing = app.save_chat(conversations.EMPTY, turns, "", None, Req())
    assert conv and f'data-conv="{conv}" aria-current="true"' in listing
    # a reload: the same conversation, drawn the same
    again, back, conv2, _ = app.restore_chat(stored, [], None, Req())
    assert again == chat and conv2 == conv and back[0]["answer"].citations[0].citation == CITE
    # a question asked before the restore ran (CI's browser once did, and the late restore emptied
    # the page): the page keeps it, with or without a stored conversation
    asked = list(app.ask_chat("Ngày 31/02 synthetic?", "31/02/2020", "extractive", None, [], None, Req()))[-1][1]
    for kept in (stored, conversations.EMPTY):
        page, page_turns, page_conv, listing = app.restore_chat(kept, asked, None, Req())
        assert all(isinstance(v, type(gr.skip())) for v in (page, page_turns, page_conv)), "the asked turn was erased"
    # a ?q= link starts a new conversation (ask_link asks its question) without restoring the last one
    first, _, conv3, _ = app.restore_chat(stored, [], None, Req(q="Câu hỏi từ liên kết synthetic?"))
    assert isinstance(first, type(gr.skip())) and isinstance(conv3, type(gr.skip()))
    linked = list(app.ask_link("", "extractive", None, [], None, Req(q="Câu hỏi từ liên kết synthetic?")))
    assert "Câu hỏi từ liên kết synthetic?" in linked[-1][0]
    # a past conversation opens from the list (the event names it); "Xoá lịch sử" forgets them
    evt = type("Evt", (), {"_data": {"action": "open-conv", "conv": conv}})()
    opened = app.open_conversation(stored, None, evt, Req())
    assert opened[0] == chat and opened[2] == conv
    forgotten = app.forget_history(stored, None, Req())
    assert conversations.conversations(forgotten[0], "") == [] and forgotten[2] == []


def test_the_answer_as_word_holds_the_copied_text_with_the_citations_in_italics(tmp_path):
    import io
    import sys
    from pathlib import Path

    from docx import Document

    sys.path.insert(0, str(Path(__file__).parent))
    from test_ui_api import FakeKB

    from core.settings import load_settings
    from ui.app import App
    from ui.export import answer_docx

    formal = ["khoản 1 Điều 2 Nghị định số 999/2099/NĐ-CP", "khoản 2 Điều 2 Nghị định số 999/2099/NĐ-CP"]
    text = chat_view.copy_text({"question": "Ai tổ chức Ngày Kỳ Lân?", "answer": extractive(), "formal": formal})
    doc = Document(io.BytesIO(answer_docx(text)))
    paragraphs = [(p.text, p.style.name) for p in doc.paragraphs]
    assert paragraphs[0] == ("Hỏi: Ai tổ chức Ngày Kỳ Lân?", "Normal")
    assert (f"«{Q1}»", "Normal") in paragraphs
    assert paragraphs[-3:] == [("Căn cứ:", "Normal"), (f"1. {formal[0]}", "KbCitation"), (f"2. {formal[1]}", "KbCitation")]
    # the button under an answer makes the file for that answer
    app = App(load_settings(env={}, home=str(tmp_path / "home")), FakeKB())
    _, turns, _ = list(app.ask_chat("Câu hỏi thử nghiệm synthetic?", "", "extractive", None, [], None, Req()))[-1]
    assert 'data-action="answer-docx" data-turn="0"' in chat_view.render_chat(turns)
    evt = type("Evt", (), {"_data": {"action": "answer-docx", "turn": "0"}})()
    out = app.chat_click(turns, None, evt, Req())[-1]
    saved = Document(out["value"])
    assert saved.paragraphs[-1].text == "1. khoản 2 Điều 14 Nghị định số 72/2015/NĐ-CP" and out["visible"]
