"""Probes of issue 22, items 5 and 6: legacy encodings converted line by line (and named), and
what leaked: another browser's page state through a copied session_hash, a removed document's
original, server paths in messages, a registry lost beside a full index.

Each `test_probe22_*` reproduces the probe and states it in its docstring ("probe. Expected: …");
tests/write_security_table.py turns them into rows of docs/SECURITY.md. Every document here is
SYNTHETIC text written for these tests (made-up numbers 9xx/2099), never law text; the legacy
files are that text encoded with the project's own tables (ingest.readers.legacy_encoding).
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import httpx
import pytest

from ingest.model import ReaderError
from ingest.readers import legacy_encoding as le
from ingest.readers.original import read_original_file

# ------------------------------------------------------------------------------ synthetic text

SYNTHETIC_LEGACY = """BỘ THỬ NGHIỆM
Số: 951/2099/TT-BTN
THÔNG TƯ
QUY ĐỊNH MẪU VỀ VĂN BẢN TỔNG HỢP ĐỂ KIỂM THỬ CHUYỂN MÃ TỪNG DÒNG (SYNTHETIC)
Điều 1. Phạm vi của văn bản tổng hợp
1. Văn bản tổng hợp này chỉ dùng để kiểm thử việc chuyển mã tiếng Việt, không phải văn bản pháp luật.
2. Người kiểm thử đọc từng dòng và ghi lại mọi chữ sai dấu.
Điều 2. Trách nhiệm của nhóm kiểm thử
1. Nhóm kiểm thử lập báo cáo về các lỗi chuyển mã và gửi cho bộ phận kỹ thuật trước ngày 15 hằng tháng.
2. Báo cáo được lập thành hai bản, một bản lưu tại nhóm, một bản gửi cán bộ phụ trách."""
# Typed later in Unicode into the same file (the probe's line): only Latin-1 letters in its first
# words, so that a TCVN3 reading of them ("Thụng tin chớnh") is still made of Vietnamese syllables.
UNICODE_LINE = "Thông tin chính thức về văn bản thử nghiệm được cập nhật hằng tuần."
NUMBER = "951/2099/TT-BTN"

# Natural synthetic prose for Windows-1258: many words (là, các, báo, cáo …) hold only letters that
# Latin-1 shares, so the file read as Latin-1 already "reads" as half Vietnamese.
SYNTHETIC_1258 = """BỘ THỬ NGHIỆM
Số: 952/2099/TT-BTN
THÔNG TƯ
QUY ĐỊNH MẪU VỀ BÁO CÁO KIỂM THỬ (VĂN BẢN TỔNG HỢP, SYNTHETIC)
Điều 1. Trách nhiệm của nhóm kiểm thử
1. Nhóm kiểm thử có trách nhiệm lập báo cáo về các lỗi chuyển mã và gửi báo cáo cho bộ phận kỹ thuật trước ngày 15 hằng tháng.
2. Các tệp mẫu phải được lưu trong thư mục chung, có ghi chú “bản thử” và không dùng cho mục đích khác.
Điều 2. Cách ghi sai lệch
1. Khi phát hiện sai lệch, người kiểm thử ghi rõ tên tệp, vị trí dòng và nội dung trước và sau khi chuyển – kèm ảnh chụp màn hình nếu có…
2. Báo cáo được lập thành hai bản, một bản lưu tại nhóm, một bản gửi cán bộ phụ trách."""


def windows_1258(text: str) -> bytes:
    """What Windows writes for "ANSI" on a Vietnamese system: a precomposed letter where cp1258
    has one (à á â é ê ô …), else the base letter and a combining tone mark (cp1258 has no ạ, ố …)."""
    out = []
    for c in unicodedata.normalize("NFC", text):
        try:
            out.append(c.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", c)
        tones = "".join(m for m in d if m in le._TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(m for m in d if m not in le._TONE_MARKS))
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def clause_texts(doc) -> dict[tuple[str, str], str]:
    return {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses}


def expected_clauses(text: str) -> dict[tuple[str, str], str]:
    from ingest.document_parser import parse_document_lines

    return clause_texts(parse_document_lines(text.splitlines()))


# ------------------------------------------------------------------------------ 5. encodings


def test_probe22_mixed_tcvn3_and_unicode_lines_are_converted_one_by_one(tmp_path):
    """A UTF-8 .txt holding a TCVN3 document (pasted from .VnTime) with one line typed later in Unicode ("Thông tin chính thức …").
    Expected: each TCVN3 line is converted, the Unicode line is left exactly as typed (not "Thụng tin chớnh thức"); the preview's warning names TCVN3, says one line was already Unicode, and quotes the converted lines."""
    lines = SYNTHETIC_LEGACY.splitlines()
    lines = lines[:7] + ["3. Người kiểm thử ký tên vào báo cáo.", "4. " + UNICODE_LINE] + lines[7:]
    mixed = [line if UNICODE_LINE in line else le.encode(line, le.TCVN3) for line in lines]
    path = tmp_path / "synthetic_tcvn3_mixed.txt"
    path.write_text("\n".join(mixed), encoding="utf-8")
    doc = read_original_file(path)
    assert doc.number == NUMBER
    got = clause_texts(doc)
    assert got == expected_clauses("\n".join(lines))
    assert got[("1", "4")] == "4. " + UNICODE_LINE  # not "Thụng tin chớnh thức"
    note = doc.warnings[0]
    assert note.startswith("Đã chuyển mã từ TCVN3 sang Unicode") and "1 dòng khác đã là Unicode nên giữ nguyên" in note
    assert "“Điều 1. Phạm vi của văn bản tổng hợp”" in note and "Thông tin chính thức" not in note


def test_probe22_docx_runs_typed_in_unicode_under_a_vntime_style_stay_unicode(tmp_path):
    """A DOCX whose Normal style is .VnTime: TCVN3 paragraphs, and one paragraph typed in Unicode without changing the font.
    Expected: the TCVN3 runs are converted, the Unicode paragraph is kept as typed; the warning says one run was already Unicode and quotes the converted paragraphs."""
    from docx import Document

    doc = Document()
    doc.styles["Normal"].font.name = ".VnTime"
    for line in SYNTHETIC_LEGACY.splitlines():
        doc.add_paragraph(le.encode(line, le.TCVN3))
    doc.add_paragraph("3. " + UNICODE_LINE)
    path = tmp_path / "synthetic_vntime_mixed.docx"
    doc.save(str(path))
    read = read_original_file(path)
    assert read.number == NUMBER
    assert clause_texts(read) == expected_clauses(SYNTHETIC_LEGACY + "\n3. " + UNICODE_LINE)
    note = read.warnings[0]
    assert note.startswith("Đã chuyển mã từ TCVN3 sang Unicode") and "1 đoạn khác đã là Unicode" in note
    assert "“Điều 2. Trách nhiệm của nhóm kiểm thử”" in note


def test_probe22_windows_1258_file_is_detected_and_named(tmp_path):
    """A .txt written by Windows in its Vietnamese "ANSI" code page (Windows-1258: precomposed à á â …, combining marks for the rest), with “quotes”, – and …; a binary file refused.
    Expected: read and converted (cp1258 decoding, NFC), every clause as written, the warning names "Windows-1258"; the refusal of an undecodable file lists Windows-1258 among the encodings tried."""
    path = tmp_path / "synthetic_windows_1258.txt"
    data = windows_1258(SYNTHETIC_1258)
    assert data.decode("latin-1") != SYNTHETIC_1258  # really a legacy file
    path.write_bytes(data)
    doc = read_original_file(path)
    assert doc.number == "952/2099/TT-BTN"
    assert clause_texts(doc) == expected_clauses(SYNTHETIC_1258)
    assert doc.warnings[0].startswith("Đã chuyển mã từ Windows-1258 sang Unicode")
    junk = tmp_path / "synthetic_binaryish.txt"
    junk.write_bytes(bytes(range(0x80, 0x100)) * 4 + b"\n")
    with pytest.raises(ReaderError, match="Windows-1258"):
        read_original_file(junk)


# ------------------------------------------------------------------------------ 6. leaks: the web app

SYNTHETIC_DOCS = {
    "961/2099/TT-BTN": "trò chuyện riêng",
    "962/2099/TT-BTN": "tệp gốc bị gỡ",
}


def synthetic_doc(path: Path, number: str, topic: str) -> Path:
    path.write_text(f"""BỘ THỬ NGHIỆM
Số: {number}
THÔNG TƯ
QUY ĐỊNH MẪU VỀ {topic.upper()} (VĂN BẢN TỔNG HỢP, SYNTHETIC)
Điều 1. Phạm vi
1. Văn bản tổng hợp này chỉ dùng để kiểm thử {topic}, không phải văn bản pháp luật.
2. Tệp gốc của văn bản tổng hợp được lưu để tải về.
Điều 2. Trách nhiệm
1. Nhóm kiểm thử giữ bản sao tệp gốc về {topic}.
""", encoding="utf-8")
    return path


class Served:
    def __init__(self, url, kb, settings, demo):
        self.url, self.kb, self.settings, self.demo = url, kb, settings, demo

    def audit(self) -> list[dict]:
        from ui.audit import read_jsonl

        return read_jsonl(self.settings.audit_path)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real app (ui.app.build_app, launched like `kb serve`) over a real knowledge base with the
    fake embedding, holding the synthetic documents above."""
    from conftest import free_port, write_users_file
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase
    from ui.app import build_app, launch_options

    root = tmp_path_factory.mktemp("hardening-leaks")
    users = write_users_file(root / "synthetic_users.toml")
    settings = load_settings(env={"KB_EMBEDDING": "fake"}, home=str(root / "home"), users_file=str(users))
    kb = KnowledgeBase(settings, make_backends(settings))
    files = [synthetic_doc(root / f"synthetic_{n[:3]}.txt", n, topic) for n, topic in SYNTHETIC_DOCS.items()]
    report = kb.store.ingest([str(f) for f in files])
    assert not report.refused, [(o.path, o.reason) for o in report.refused]
    demo = build_app(settings, kb)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options(settings))
    yield Served(f"http://127.0.0.1:{port}/", kb, settings, demo)
    demo.close()


def staff(served: Served):
    from conftest import UI_ACCOUNTS
    from test_ui_api import Raw

    raw = Raw(served.url)
    assert raw.call("ui_load", [])["success"]
    assert raw.login("phapche", UI_ACCOUNTS["phapche"][1])["success"]
    return raw


def test_probe22_copied_session_hash_reads_nothing(served):
    """A reader asks a question and collects a clause; a second client (its own cookies) copies the reader's Gradio session_hash (it travels in URLs: queue/data?session_hash=…, heartbeat/<hash>) and replays the page's events: a 👍 on the first answer (which returns the conversation), the DOCX export, the event stream, the heartbeat, and /gradio_api/call/ui_export.
    Expected: every request with the copied hash gets 403 (“… một trình duyệt khác …”) before Gradio runs it, audited as denied; the reader's page keeps working; the per-browser cookie kb_browser is HttpOnly."""
    from test_ui_api import Raw, _error

    question = "Câu hỏi riêng của người đọc về trò chuyện riêng trong văn bản tổng hợp 961/2099?"
    reader = Raw(served.url)
    assert reader.call("ui_load", [])["success"]
    asked = reader.call("ui_ask", [question, "", "extractive", [], None, None])
    assert asked["success"] and "Câu hỏi riêng của người đọc" in asked["output"]["data"][0]
    cite = "khoản 1 Điều 1 Thông tư 961/2099/TT-BTN"
    assert reader.call("ui_collect_lookup", [None, None], event_data={"action": "collect", "cite": cite})["success"]

    thief = Raw(served.url, session=reader.session)
    denied_before = sum(r["action"] == "denied" for r in served.audit())
    read = thief.call("ui_chat_click", [None, None], event_data={"turn": 0, "action": "feedback", "value": "up"})
    assert read.get("http") == 403 and "trình duyệt khác" in _error(read), read
    exported = thief.call("ui_export", [None, None])
    assert exported.get("http") == 403, exported
    hash_ = reader.session
    for r in (thief.http.get(served.url + "gradio_api/queue/data", params={"session_hash": hash_}),
              thief.http.get(served.url + f"gradio_api/heartbeat/{hash_}"),
              thief.http.post(served.url + "gradio_api/call/ui_export", json={"data": [None, None, None], "session_hash": hash_})):
        assert r.status_code == 403 and "trình duyệt khác" in r.text, (r.request.url, r.status_code, r.text[:200])
        assert "Câu hỏi riêng" not in r.text
    assert sum(r["action"] == "denied" for r in served.audit()) >= denied_before + 5
    assert served.audit()[-1]["detail"] == "session_hash của trình duyệt khác"

    mine = reader.call("ui_export", [None, None, None])  # the reader's own page is untouched
    assert mine["success"] and mine["output"]["data"][0]["visible"] is True
    assert reader.http.cookies.get("kb_browser")  # set with its first /config, as gradio_client keeps it
    assert "kb_browser=" not in reader.http.get(served.url + "config").headers.get("set-cookie", "")  # not renewed
    first = httpx.get(served.url)  # a browser's first request: the cookie comes with the page
    assert "kb_browser=" in first.headers["set-cookie"] and "HttpOnly" in first.headers["set-cookie"]



def test_probe22_removed_document_original_is_no_longer_downloadable(served):
    """A reader downloads a document's original (the “Tải tệp gốc” button); legal staff then remove the document. The reader fetches the link it was given again, and the original's own path under <home>/originals (in Gradio's allowed_paths).
    Expected: both refused once it is removed (the file moved to <home>/withdrawn, outside allowed_paths, and Gradio's cached copy deleted); the version history keeps it: restoring the version (staff only) brings the original back and downloadable."""
    from test_ui_api import Raw, _download

    key = "962/2099/TT-BTN"
    settings = served.settings
    kept = served.kb.store.original_file(key)
    assert kept is not None and kept.is_relative_to(settings.originals_path)
    direct = served.url + "gradio_api/file=" + str(kept)
    reader = Raw(served.url)
    assert reader.call("ui_load", [])["success"]
    tree = reader.call("ui_tree", [None], event_data={"action": "tree", "key": key})
    button = tree["output"]["data"][1]
    assert button["visible"] is True
    original_bytes = kept.read_bytes()
    assert _download(reader, button["value"]) == original_bytes
    assert reader.http.get(direct).status_code == 200  # the probe: its path is under allowed_paths

    removed = staff(served).call("ui_remove", [key, True, None])
    assert removed["success"] and "Đã gỡ" in removed["output"]["data"][0], removed
    link = button["value"]["url"]
    again = reader.http.get(link if link.startswith("http") else reader.url + link)
    assert again.status_code in (403, 404), again.status_code
    assert reader.http.get(direct).status_code in (403, 404)
    assert not kept.exists()
    withdrawn = settings.withdrawn_path / kept.parent.name / kept.name
    assert withdrawn.read_bytes() == original_bytes
    assert not withdrawn.is_relative_to(settings.originals_path) and not withdrawn.is_relative_to(settings.exports_path)

    [version] = [v.version for v in served.kb.versions(key)]
    restored = served.kb.restore_version(key, version, user="phapche")  # what `kb restore` and the staff panel call
    assert restored.status == "ingested"
    assert served.kb.store.original_file(key) == kept and kept.read_bytes() == original_bytes
    tree = reader.call("ui_tree", [None], event_data={"action": "tree", "key": key})
    assert _download(reader, tree["output"]["data"][1]["value"]) == original_bytes


def test_probe22_staff_messages_name_no_server_path(served, tmp_path):
    """Legal staff preview an upload the readers refuse (undecodable bytes); an ingest report carries a reader bug's exception and a disk-full note; a reader's question fails inside the service with an OSError naming a file.
    Expected: each message names the file by its own name and says why, but no server path (not <home>/uploads/…, not the data directory, not the registry's path)."""
    from test_ui_api import _error
    from ui import render

    junk = tmp_path / "synthetic_undecodable.txt"
    junk.write_bytes(bytes(range(0x80, 0x100)) * 4 + b"\n")
    raw = staff(served)
    shown = raw.call("ui_preview", [[raw.upload(junk)], None])
    assert shown["success"], shown
    html = shown["output"]["data"][2]
    home = str(served.settings.home)
    assert "synthetic_undecodable.txt" in html and "không giải mã được" in html, html
    assert home not in html and "/uploads/" not in html, html

    report = {"documents": 0, "refused": [{"path": f"{home}/uploads/0123/synthetic_x.txt",
                                           "reason": f"lỗi khi đọc: FileNotFoundError: [Errno 2] No such file or directory: "
                                                     f"'{home}/uploads/0123/synthetic_x.txt'"}],
              "index_note": f"Ổ đĩa chứa thư mục dữ liệu {home} đã đầy khi ghi chỉ mục từ vựng."}
    shown = render.render_ingest_report(report)
    assert "synthetic_x.txt" in shown and home not in shown, shown

    original_ask = served.kb.ask_stream
    failure = OSError(5, "Input/output error", str(served.settings.registry_path))

    def fails_at_once(*args, **kwargs):  # escapes the handler: Gradio's own error message
        raise failure

    def fails_midway(*args, **kwargs):  # inside the answer's stream: the chat's error line
        raise failure
        yield

    question = ["Câu hỏi thử về tệp gốc bị gỡ trong văn bản tổng hợp?", "", "extractive", [], None, None]
    for fake in (fails_at_once, fails_midway):
        served.kb.ask_stream = fake
        try:
            out = raw.call("ui_ask", question)
        finally:
            served.kb.ask_stream = original_ask
        shown = out["output"]["data"][0] if out.get("success") else _error(out)
        if fake is fails_at_once:  # Gradio's own error: the file named, not where it is
            assert "registry.sqlite3" in shown and "Input/output error" in shown, (fake.__name__, shown)
        else:  # the chat's own error line says what to do, in plain words (ui.wording): no path, no errno
            assert "thử lại" in shown and "Errno" not in shown, (fake.__name__, shown)
        assert home not in shown, (fake.__name__, shown)


# ------------------------------------------------------------------------------ 6. the registry lost or damaged


def _home_with_a_document(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A home holding one synthetic document (registry, lexical index and embedded Chroma filled)."""
    import gc

    from core.backends import make_backends
    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    home = tmp_path / "home"
    doc = synthetic_doc(tmp_path / "synthetic_963.txt", "963/2099/TT-BTN", "cơ sở dữ liệu bị mất")
    settings = load_settings(home=str(home))
    store = KnowledgeStore(settings, make_backends(settings))
    assert not store.ingest([str(doc)]).refused
    assert store.dense.count() > 0
    store.registry.close()
    del store
    gc.collect()
    return home, doc


def _kb(home: Path, *args: str, capsys) -> tuple[int, str]:
    from kb.cli import main

    code = main(["--home", str(home), *args])
    return code, capsys.readouterr().err


def test_probe22_missing_registry_beside_full_indexes_is_refused(tmp_path, monkeypatch, capsys):
    """registry.sqlite3 deleted from a home whose lexical index and Chroma still hold the documents' nodes; then `kb serve`, `kb docs` and `kb ingest --default-corpus` (the start-up of `make run`).
    Expected: each refuses (exit 4) with a Vietnamese message naming registry.sqlite3, what still holds data and the restore step (backup, or `kb ingest --force …`), never serving an empty base; `kb ingest --force FILE` rebuilds it."""
    import ui.app

    home, doc = _home_with_a_document(tmp_path, monkeypatch)
    for part in home.glob("registry.sqlite3*"):
        part.unlink()
    served = []
    monkeypatch.setattr(ui.app, "serve", lambda *a, **k: served.append(a))
    for args in (("serve",), ("docs",), ("ingest", "--default-corpus")):
        code, err = _kb(home, *args, capsys=capsys)
        assert code == 4, (args, code, err)
        assert "registry.sqlite3 không có văn bản nào" in err and "chỉ mục từ vựng" in err and "Chroma" in err, err
        assert "bản sao lưu" in err and "kb ingest --force" in err, err
    assert served == []
    code, err = _kb(home, "ingest", "--force", str(doc), capsys=capsys)
    assert code == 0, err
    code, _ = _kb(home, "docs", "--json", capsys=capsys)
    assert code == 0


def test_probe22_damaged_registry_is_named_with_the_restore_step(tmp_path, monkeypatch, capsys):
    """registry.sqlite3 overwritten with bytes that are not a database; then `kb docs` and `kb serve`.
    Expected: refused (exit 4): “registry.sqlite3 bị hỏng: file is not a database …; khôi phục … từ bản sao lưu … hoặc chạy `kb ingest --force …`”; `kb ingest --force FILE` sets the damaged file aside (kept as registry.sqlite3.hong-…) and rebuilds the base."""
    import ui.app

    home, doc = _home_with_a_document(tmp_path, monkeypatch)
    for part in home.glob("registry.sqlite3-*"):
        part.unlink()
    (home / "registry.sqlite3").write_bytes(b"synthetic damage: not an SQLite database\n" * 200)
    served = []
    monkeypatch.setattr(ui.app, "serve", lambda *a, **k: served.append(a))
    for args in (("docs",), ("serve",)):
        code, err = _kb(home, *args, capsys=capsys)
        assert code == 4, (args, code, err)
        assert "registry.sqlite3 bị hỏng: file is not a database" in err, err
        assert "từ bản sao lưu" in err and "kb ingest --force" in err, err
    assert served == []
    code, err = _kb(home, "ingest", "--force", str(doc), capsys=capsys)
    assert code == 0, err
    assert "bị hỏng" in err and list(home.glob("registry.sqlite3.hong-*"))
    code, _ = _kb(home, "docs", "--json", capsys=capsys)
    assert code == 0
