"""The app's HTTP API: `ask` and `lookup` are named endpoints; nothing else changes data without a
legal-staff session, whether called through gradio_client or raw HTTP to /gradio_api/….

The fast tests run the real app (ui.app.build_app) over a recording fake service, so they can
show that a refused call never reached `ingest_files` / `remove_document`; a positive control
(the same raw calls after a legal-staff login) proves the raw calls do reach the handlers.
The slow tests repeat the essentials against `kb serve` over the đề mục 32.1 home.
"""
from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import UI_ACCOUNTS, free_port, write_users_file
from qa.service import KnowledgeService
from qa.types import Answer, Citation, ClauseHit, DocumentSummary, DocumentTree, LookupResult
from ui.audit import read_jsonl

CITE = "Khoản 2 Điều 14 Nghị định 72/2015/NĐ-CP"
TEXT = "2. Thủ tướng Chính phủ quy định việc tổ chức Ngày Việt Nam ở nước ngoài."
FORMAL = "khoản 2 Điều 14 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ"


class FakeKB(KnowledgeService):
    """Implements the KnowledgeService contract with canned data and records every change."""

    def __init__(self):
        self.docs = {"72/2015/NĐ-CP": {"key": "72/2015/NĐ-CP", "number": "72/2015/NĐ-CP", "type": "Nghị định",
                                       "name": "Nghị định 72/2015/NĐ-CP", "title": "Về quản lý hoạt động thông tin đối ngoại",
                                       "articles": 26, "nodes": 85, "status": "ready", "legal_status": "in_force",
                                       "effective_from": "2015-10-22", "relations": [], "note": ""}}
        self.template = dict(self.docs["72/2015/NĐ-CP"])
        self.removed: list[str] = []
        self.ingested: list[tuple[list[str], dict | None]] = []
        self.replace_args: list = []  # what the UI allowed to be replaced, per ingest
        self.asked: list[tuple] = []
        self.originals: dict = {}  # key -> qa.types.OriginalFile
        self.users: list[str] = []  # who each ingest was recorded for
        self.current_version = 2  # of 72/2015 (its two versions: versions())
        self.restored: list[tuple] = []

    def _hit(self) -> ClauseHit:
        return ClauseHit(node_id="n1", document="72/2015/NĐ-CP", document_number="72/2015/NĐ-CP",
                         document_name="Nghị định 72/2015/NĐ-CP", doc_type="Nghị định", title="T", article="14",
                         article_title="Sự kiện", clause="2", point="", citation=CITE, text=TEXT,
                         path="/Chương II/Điều 14/Khoản 2", status="in_force", effective_from="2015-10-22")

    def ask_stream(self, question, as_of=None, mode="extractive", documents=None, previous=None):
        a = self.ask(question, as_of, mode, documents, previous)
        yield a.answer
        yield a

    def ask(self, question, as_of=None, mode="extractive", documents=None, previous=None):
        self.asked.append((question, as_of, mode, documents))
        self.previous = previous
        cit = Citation(document="72/2015/NĐ-CP", article="14", clause="2", point="", citation=CITE, quote=TEXT,
                       node_id="n1", status="in_force")
        return Answer(question=question, answer=f"Theo {CITE}:\n\n> {TEXT}", citations=[cit], basis="found",
                      confidence=0.9, mode=mode, retrieved=[self._hit()])

    def lookup(self, reference, as_of=None):
        if reference == "gone":  # a unit whose document was removed since it was collected
            return LookupResult(status="not_found", message="Không có.")
        return LookupResult(status="found", document="72/2015/NĐ-CP", article="14", clause="2", citation=CITE,
                            text=TEXT, hits=[self._hit()], formal_citation=FORMAL)

    def documents(self):
        return [DocumentSummary(**d) for d in self.docs.values()]

    def document_tree(self, key):
        return DocumentTree(key=key, name=key)

    def clause(self, node_id):
        return self._hit() if node_id == "n1" else None

    def relations(self, key):
        return ["Được hướng dẫn bởi Thông tư 02/2019/TT-BTTTT"]

    def preview_file(self, path, overrides=None):
        return [{"key": "999/2099/NĐ-CP", "number": "999/2099/NĐ-CP", "type": "Nghị định", "title": "Thử",
                 "issuer": "", "issued_on": "", "effective_from": "", "articles": 1, "clauses": 1, "units": [],
                 "warnings": [], "error": None}]

    def ingest_files(self, paths, overrides=None, progress=None, replace=False, commit_lock=None, user=""):
        self.ingested.append((list(paths), overrides))
        self.users.append(user)
        self.replace_args.append(replace)
        with commit_lock() if commit_lock else contextlib.nullcontext():  # the registry swap
            self.docs["999/2099/NĐ-CP"] = dict(self.template, key="999/2099/NĐ-CP", number="999/2099/NĐ-CP")
        return {"documents": 1, "articles": 1, "nodes": 1, "skipped": [], "refused": []}

    def remove_document(self, key):
        self.removed.append(key)
        return self.docs.pop(key, None) is not None

    def compare_file(self, path, overrides=None, replace=None):
        """The previewed 999/2099 against its stored version (or the chosen one): Điều 1 changed."""
        from ingest.compare import ArticleChange, DocumentDiff, word_diff

        target = "999/2099/NĐ-CP" if "999/2099/NĐ-CP" in self.docs else replace
        if not target or target not in self.docs:
            return []
        old, new = "1. Nội dung thử nghiệm cũ.", "1. Nội dung thử nghiệm mới."
        return [DocumentDiff(old_key=target, new_key="999/2099/NĐ-CP", unchanged=0, articles=[
            ArticleChange("dieu", "1", "changed", "Thử nghiệm", "Thử nghiệm", old, new, word_diff(old, new))])]

    def original_file(self, key):
        return self.originals.get(key)

    def versions(self, key):
        from ingest.versions import VersionRow

        if key != "72/2015/NĐ-CP":
            return []
        return [VersionRow(key, n, 4_102_444_800.0 + n * 86_400, "phapche", f"{n}" * 64, f"nd72-v{n}.txt", "", 10,
                           "", current=n == self.current_version) for n in (1, 2)]

    def version_document(self, key, version):
        from ingest.model import Article, Clause, LegalDocument

        if not any(v.version == version for v in self.versions(key)):
            return None
        return LegalDocument(number=key, units=[Article("1", "Thử nghiệm", clauses=[
            Clause("1", f"1. Nội dung thử nghiệm của phiên bản {version}.")])])

    def restore_version(self, key, version, user="", commit_lock=None):
        from core.errors import KbError
        from ingest.store import FileOutcome

        if self.version_document(key, version) is None:
            raise KbError(f"Văn bản {key} không có phiên bản {version}; chưa có gì thay đổi.")
        if version == self.current_version:
            return FileOutcome(f"nd72-v{version}.txt", "unchanged", f"phiên bản {version} đang là bản lưu của {key}")
        with commit_lock() if commit_lock else contextlib.nullcontext():
            self.restored.append((key, version, user))
            self.current_version = version
        return FileOutcome(f"nd72-v{version}.txt", "ingested", "", [key], 1, 1, str(version) * 64,
                           versions={key: version})


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory):
    from core.settings import load_settings
    from ui.app import build_app, launch_options

    root = tmp_path_factory.mktemp("ui-api")
    users = write_users_file(root / "users.toml")
    settings = load_settings(env={}, home=str(root / "home"), users_file=str(users))
    kb = FakeKB()
    demo = build_app(settings, kb)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options(settings))
    yield f"http://127.0.0.1:{port}/", kb, settings
    demo.close()


class Raw:
    """The browser's protocol by hand: POST /gradio_api/queue/join, read the SSE stream.

    Like a browser it keeps its cookies (the staff cookie /kb/session sets at login); `session`
    is Gradio's session_hash, which another Raw may copy (see test_ui_security.py)."""

    def __init__(self, url: str, session: str | None = None, **client_kw):
        self.url = url.rstrip("/")
        self.session = session or uuid.uuid4().hex[:11]
        self.http = httpx.Client(timeout=30, **client_kw)
        config = self.http.get(f"{self.url}/config").json()
        self.components = {c["id"]: c for c in config["components"]}
        self.deps = {d["api_name"]: (i, d) for i, d in enumerate(config["dependencies"])}

    def call(self, api_name: str, data: list, event_data: dict | None = None) -> dict:
        fn_index, dep = self.deps[api_name]
        body = {"data": data, "event_data": event_data, "fn_index": fn_index,
                "trigger_id": dep["targets"][0][0] if dep["targets"] else None, "session_hash": self.session}
        r = self.http.post(f"{self.url}/gradio_api/queue/join", json=body)
        if r.status_code != 200:
            return {"success": False, "http": r.status_code, "output": r.text}
        with self.http.stream("GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session},
                              timeout=120) as resp:
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        return msg
        raise AssertionError("no process_completed message")

    def post_upload(self, path: Path) -> httpx.Response:
        with open(path, "rb") as fh:
            return self.http.post(f"{self.url}/gradio_api/upload", files={"files": (path.name, fh)})

    def upload(self, path: Path) -> dict:
        r = self.post_upload(path)
        r.raise_for_status()
        return {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def session_login(self, user: str, password: str) -> httpx.Response:
        """What the login button's script does first: POST /kb/session, which sets the staff cookie."""
        return self.http.post(f"{self.url}/kb/session", json={"username": user, "password": password})

    def login(self, user: str, password: str) -> dict:
        code = self.session_login(user, password).json().get("code", "")
        return self.call("ui_login", [user, code, None])


def legal_staff(url: str) -> Raw:
    """A raw client with the page loaded and logged in as legal staff."""
    raw = Raw(url)
    assert raw.call("ui_load", [])["success"]
    assert raw.login("phapche", UI_ACCOUNTS["phapche"][1])["success"]
    return raw


def _error(msg: dict) -> str:
    out = msg.get("output")
    return out.get("error", "") if isinstance(out, dict) else str(out)


# ------------------------------------------------------------------------------ fast: fake service


def test_named_endpoints_are_only_ask_and_lookup(fake_app):
    from gradio_client import Client

    url, _, _ = fake_app
    info = Client(url, verbose=False).view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/ask", "/lookup"}
    assert not info.get("unnamed_endpoints")


def test_ask_and_lookup_with_gradio_client(fake_app):
    from gradio_client import Client

    url, kb, _ = fake_app
    client = Client(url, verbose=False)
    res = client.predict(question="Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?", as_of="22/10/2020",
                         api_name="/ask")
    assert res["basis"] == "found" and res["citations"][0]["citation"] == CITE and res["mode"] == "extractive"
    assert set(res) >= {"answer", "citations", "basis", "confidence", "mode", "warnings"}
    assert kb.asked[-1][1] == "2020-10-22"  # the date is normalised before the service sees it
    look = client.predict(reference="khoản 2 Điều 14 Nghị định 72/2015/NĐ-CP", api_name="/lookup")
    assert look == LookupResult(status="found", document="72/2015/NĐ-CP", article="14", clause="2",
                                citation=CITE, text=TEXT).to_public_dict()


def test_ask_takes_the_conversation_history(fake_app):
    """A follow-up through the API: the last earlier question reaches the service as `previous`."""
    from gradio_client import Client

    url, kb, _ = fake_app
    client = Client(url, verbose=False)
    client.predict(question="Còn cấp xã thì sao?", history=["UBND tỉnh họp báo định kỳ bao lâu một lần?"],
                   api_name="/ask")
    assert kb.previous == "UBND tỉnh họp báo định kỳ bao lâu một lần?"
    client.predict(question="Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?", api_name="/ask")
    assert kb.previous is None


def test_ask_refuses_llm_mode_when_not_configured(fake_app):
    from gradio_client import Client

    url, _, _ = fake_app
    with pytest.raises(Exception, match="mode=\"llm\""):
        Client(url, verbose=False).predict(question="q", mode="llm", api_name="/ask")


def test_gradio_client_cannot_call_the_mutating_handlers(fake_app):
    from gradio_client import Client

    url, kb, _ = fake_app
    client = Client(url, verbose=False)
    removed_before, ingested_before = len(kb.removed), len(kb.ingested)
    for name in ("/ui_remove", "/ui_ingest", "/ui_preview", "/ui_login"):
        with pytest.raises(Exception):
            client.predict("72/2015/NĐ-CP", True, api_name=name)
    assert len(kb.removed) == removed_before and len(kb.ingested) == ingested_before


def test_raw_http_cannot_remove_or_ingest_without_legal_staff(fake_app, tmp_path):
    url, kb, settings = fake_app
    removed_before, ingested_before = len(kb.removed), len(kb.ingested)
    denied_before = sum(r["action"] == "denied" for r in read_jsonl(settings.audit_path))
    for login in (None, "canbo", "wrong"):
        raw = Raw(url)
        assert raw.call("ui_load", [])["success"]  # what the page does first: fills the dropdowns
        if login == "canbo":
            assert raw.login("canbo", UI_ACCOUNTS["canbo"][1])["success"]
        elif login == "wrong":
            raw.login("phapche", "not-the-password")
        removed = raw.call("ui_remove", ["72/2015/NĐ-CP", True, None])
        assert not removed["success"] and "cán bộ pháp chế" in _error(removed), removed
        doc = tmp_path / "vb.txt"
        doc.write_text("Điều 1. Thử nghiệm\n1. Nội dung thử nghiệm.", encoding="utf-8")
        assert raw.post_upload(doc).status_code == 403  # no staff cookie: the upload route refuses the file
        preview = raw.call("ui_preview", [None, None])
        assert not preview["success"] and "cán bộ pháp chế" in _error(preview)
        forged = [{"path": str(doc), "file": "vb.txt", "sha256": "0" * 64, "key": "X", "orig_key": "X"}]
        ingested = raw.call("ui_ingest", [forged, {}, "", None])
        assert not ingested["success"] and "cán bộ pháp chế" in _error(ingested)
    assert len(kb.removed) == removed_before and len(kb.ingested) == ingested_before
    denied = [r for r in read_jsonl(settings.audit_path) if r["action"] == "denied"]
    # per client: remove, preview and ingest refused by their handlers, the upload by the edge (ui.web)
    assert len(denied) - denied_before == 12 and {r["detail"] for r in denied} >= {"remove", "preview", "upload"}
    assert sum(r["target"] == "/gradio_api/upload" for r in denied) == 3
    assert any(r["action"] == "login_failed" for r in read_jsonl(settings.audit_path))


def test_raw_http_positive_control_legal_staff(fake_app, tmp_path):
    """The same raw calls work after a legal-staff login: the refusals above are real refusals."""
    url, kb, settings = fake_app
    raw = legal_staff(url)
    doc = tmp_path / "nd999.txt"
    doc.write_text("Điều 1. Thử nghiệm\n1. Nội dung thử nghiệm.", encoding="utf-8")
    assert raw.call("ui_preview", [[raw.upload(doc)], None])["success"]
    ingested = raw.call("ui_ingest", [None, None, "", None])
    assert ingested["success"], ingested
    assert kb.ingested and Path(kb.ingested[-1][0][0]).name == "nd999.txt"
    assert kb.replace_args[-1] is False  # no replace chosen: nothing another file holds may be replaced
    assert kb.users[-1] == "phapche"  # recorded with the version stored and as who confirmed the relations
    assert Path(kb.ingested[-1][0][0]).is_relative_to(Path(settings.home) / "uploads")
    assert raw.call("ui_remove", ["999/2099/NĐ-CP", True, None])["success"]
    assert kb.removed[-1] == "999/2099/NĐ-CP"
    log = read_jsonl(settings.audit_path)
    up = next(r for r in log if r["action"] == "upload")
    assert up["user"] == "phapche" and up["file"] == "nd999.txt" and len(up["sha256"]) == 64
    assert any(r["action"] == "remove" and r["target"] == "999/2099/NĐ-CP" for r in log)


def test_every_staff_action_updates_all_the_document_views(fake_app):
    """ui.staff.DOC_VIEWS is what App.doc_views returns and what each corpus-changing event lists as
    outputs: a handler that refuses (nothing chosen) skips exactly that many, or Gradio fails the event."""
    from ui.staff import DOC_VIEWS

    url, kb, settings = fake_app
    raw = legal_staff(url)
    views = raw.deps["ui_load"][1]["outputs"][-DOC_VIEWS:]
    assert [raw.components[i]["type"] for i in views] == ["html", "html", *["dropdown"] * (DOC_VIEWS - 2)]
    for api_name, data, said in (
            ("ui_remove", [None, False, None], "Chọn văn bản cần gỡ"),
            ("ui_correct", [None, *[""] * 9, None], "Chọn văn bản cần sửa"),
            ("ui_restore", [None, None, False, None], "Chọn văn bản và phiên bản"),
            ("ui_ingest", [None, None, "", None], "Chưa có tệp hợp lệ")):
        assert raw.deps[api_name][1]["outputs"][-DOC_VIEWS:] == views, api_name
        out = raw.call(api_name, data)
        assert out["success"] and said in json.dumps(out["output"], ensure_ascii=False), (api_name, out)


def test_the_same_file_chosen_twice_is_read_once(fake_app, tmp_path):
    """Chosen twice (a second pick while the first was still uploading), a file is previewed and
    ingested once, not shown as two documents with the same number."""
    url, kb, settings = fake_app
    raw = legal_staff(url)
    doc = tmp_path / "nd999-synthetic.txt"
    doc.write_text("Điều 1. Thử nghiệm\n1. Nội dung thử nghiệm.", encoding="utf-8")
    shown = raw.call("ui_preview", [[raw.upload(doc), raw.upload(doc)], None])
    assert shown["success"], shown
    assert str(shown["output"]).count('class="kb-preview"') == 1
    assert raw.call("ui_ingest", [None, None, "", None])["success"]
    assert len(kb.ingested[-1][0]) == 1
    assert raw.call("ui_remove", ["999/2099/NĐ-CP", True, None])["success"]  # the app is shared by this module


# ------------------------------------------------------------------------------ slow: kb serve


@pytest.mark.slow
def test_real_server_api(ui_server):
    from gradio_client import Client

    client = Client(ui_server.url, verbose=False)
    res = client.predict(question="Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?", api_name="/ask")
    assert res["basis"] in ("found", "weak")
    assert any("72/2015/NĐ-CP" in c["citation"] for c in res["citations"]), res
    look = client.predict(reference="khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP", api_name="/lookup")
    assert look["status"] == "found"
    assert "Thông tin chính thức về Việt Nam được cung cấp bằng các hình thức sau đây" in look["text"]
    missing = client.predict(reference="Điều 7 Nghị định 999/1999/NĐ-CP", api_name="/lookup")
    assert missing["status"] == "not_found" and missing["message"]


@pytest.mark.slow
def test_real_server_refuses_raw_remove_and_upload(ui_server, tmp_path):
    from gradio_client import Client

    raw = Raw(ui_server.url)
    assert raw.call("ui_load", [])["success"]
    removed = raw.call("ui_remove", ["72/2015/NĐ-CP", True, None])
    assert not removed["success"] and "cán bộ pháp chế" in _error(removed)
    doc = tmp_path / "vb.txt"
    doc.write_text("Điều 1. Thử nghiệm\n1. Nội dung thử nghiệm.", encoding="utf-8")
    assert raw.post_upload(doc).status_code == 403
    assert not raw.call("ui_preview", [None, None])["success"]
    assert not raw.call("ui_ingest", [None, None, "", None])["success"]
    still = Client(ui_server.url, verbose=False).predict(reference="Điều 7 Nghị định 72/2015/NĐ-CP", api_name="/lookup")
    assert still["status"] == "found"
    assert not (ui_server.home / "uploads").exists() or not any((ui_server.home / "uploads").rglob("vb.txt"))
    assert any(r["action"] == "denied" for r in read_jsonl(ui_server.home / "audit.jsonl"))


def test_replace_removes_the_old_version_only_after_the_new_one_is_in_and_is_audited(fake_app, tmp_path):
    url, kb, settings = fake_app
    raw = legal_staff(url)
    doc = tmp_path / "nd72-ban-moi.txt"
    doc.write_text("Điều 1. Thử nghiệm thay thế\n1. Nội dung.", encoding="utf-8")
    assert raw.call("ui_preview", [[raw.upload(doc)], None])["success"]
    kb.removed.clear()
    n = len(kb.ingested)
    compared = raw.call("ui_compare_replace", [None, None, "72/2015/NĐ-CP", None])
    assert compared["success"] and "Bản mới sẽ thay thế" in compared["output"]["data"][0]
    # "Nạp" alone does not replace: the comparison has to be confirmed
    refused = raw.call("ui_ingest", [None, None, "72/2015/NĐ-CP", None])
    assert refused["success"] and "Xác nhận thay thế" in refused["output"]["data"][0]
    assert kb.removed == [] and len(kb.ingested) == n
    assert raw.call("ui_confirm_replace", [None, None, "72/2015/NĐ-CP", None])["success"]
    assert kb.removed == ["72/2015/NĐ-CP"] and len(kb.ingested) == n + 1
    assert kb.replace_args[-1] == ["72/2015/NĐ-CP"]  # only the document the user chose may be replaced
    log = read_jsonl(settings.audit_path)
    assert any(r["action"] == "replace" and r["outcome"] == "intent" and r["detail"]["replaced"] == "72/2015/NĐ-CP"
               for r in log)  # written before anything changed
    replaced = [r for r in log if r["action"] == "replace" and r["outcome"] != "intent"]
    assert replaced and replaced[0]["target"] == "72/2015/NĐ-CP" and replaced[-1]["file"] == "nd72-ban-moi.txt"


def test_closed_reading_uses_login_for_everything(tmp_path):
    """KB_ALLOW_ANONYMOUS=false: Gradio's login guards the page and the API, same users file."""
    from gradio_client import Client

    from core.settings import load_settings
    from ui.app import serve

    users = write_users_file(tmp_path / "users.toml")
    port = free_port()
    settings = load_settings(env={}, home=str(tmp_path / "home"), users_file=str(users), allow_anonymous=False,
                             port=port)
    demo = serve(settings, FakeKB(), prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(reference="Điều 14 Nghị định 72/2015/NĐ-CP", api_name="/lookup")
        ok = Client(url, verbose=False, auth=("canbo", UI_ACCOUNTS["canbo"][1]))
        assert ok.predict(reference="Điều 14 Nghị định 72/2015/NĐ-CP", api_name="/lookup")["status"] == "found"
        assert httpx.get(url + "config", timeout=10).status_code in (401, 403)
    finally:
        demo.close()


# ------------------------------------------------------------------------------ fast: replace, originals, DOCX


def test_cancelling_a_replacement_changes_nothing(fake_app, tmp_path):
    url, kb, settings = fake_app
    kb.docs.setdefault("72/2015/NĐ-CP", dict(kb.template))  # an earlier test replaced it
    raw = legal_staff(url)
    doc = tmp_path / "nd72-huy.txt"
    doc.write_text("Điều 1. Thử nghiệm huỷ\n1. Nội dung.", encoding="utf-8")
    assert raw.call("ui_preview", [[raw.upload(doc)], None])["success"]
    n, removed = len(kb.ingested), list(kb.removed)
    assert "Bản mới sẽ thay thế" in raw.call("ui_compare_replace", [None, None, "72/2015/NĐ-CP", None])["output"]["data"][0]
    cancelled = raw.call("ui_cancel_replace", [None])
    assert cancelled["success"] and "không có gì thay đổi" in cancelled["output"]["data"][6]
    # the previews are gone: a confirm now has nothing to store
    after = raw.call("ui_confirm_replace", [None, None, "72/2015/NĐ-CP", None])
    assert after["success"] and "Chưa có tệp hợp lệ" in after["output"]["data"][0]
    assert len(kb.ingested) == n and kb.removed == removed and "72/2015/NĐ-CP" in kb.docs
    assert any(r["action"] == "replace" and r["outcome"] == "cancelled" for r in read_jsonl(settings.audit_path))


def test_confirm_and_compare_need_legal_staff(fake_app):
    url, kb, _ = fake_app
    raw = Raw(url)
    assert raw.call("ui_load", [])["success"]
    n = len(kb.ingested)
    for name, data in (("ui_confirm_replace", [None, None, "72/2015/NĐ-CP", None]),
                       ("ui_compare_replace", [None, None, "72/2015/NĐ-CP", None])):
        out = raw.call(name, data)
        assert not out["success"] and "cán bộ pháp chế" in _error(out)
    assert len(kb.ingested) == n


def test_version_history_is_listed_read_and_restored_by_legal_staff_only(fake_app):
    """The “Lịch sử phiên bản” panel: staff list a document's versions, read one and restore it
    (audited, with the version); anyone else is refused and nothing is restored."""
    url, kb, settings = fake_app
    kb.docs.setdefault("72/2015/NĐ-CP", dict(kb.template))
    for login in (None, "canbo"):
        raw = Raw(url)
        assert raw.call("ui_load", [])["success"]
        if login:
            assert raw.login(login, UI_ACCOUNTS[login][1])["success"]
        for name, data in (("ui_history", ["72/2015/NĐ-CP", None]), ("ui_version", ["72/2015/NĐ-CP", 1, None]),
                           ("ui_restore", ["72/2015/NĐ-CP", 1, True, None])):
            out = raw.call(name, data)  # (a version never listed to this page is refused by Gradio first)
            assert not out["success"], (login, name, out)
    assert kb.restored == []
    raw = legal_staff(url)
    listed = raw.call("ui_history", ["72/2015/NĐ-CP", None])["output"]["data"]
    assert "nd72-v1.txt" in listed[0] and "Đang dùng" in listed[0] and listed[1]["value"] == 2
    assert [c[1] for c in listed[1]["choices"]] == [1, 2]
    shown = raw.call("ui_version", ["72/2015/NĐ-CP", 1, None])["output"]["data"][0]
    assert "Nội dung thử nghiệm của phiên bản 1." in shown
    unconfirmed = raw.call("ui_restore", ["72/2015/NĐ-CP", 1, False, None])["output"]["data"][0]
    assert "xác nhận" in unconfirmed and kb.restored == []
    done = raw.call("ui_restore", ["72/2015/NĐ-CP", 1, True, None])["output"]["data"]
    assert "Đã khôi phục phiên bản 1" in done[0] and kb.restored == [("72/2015/NĐ-CP", 1, "phapche")]
    assert done[1] is False and done[3]["value"] == 1  # the box unticked, the restored version now current
    log = [r for r in read_jsonl(settings.audit_path) if r["action"] == "restore"]
    assert [(r["user"], r["outcome"], r["detail"]["version"], r["target"]) for r in log] == [
        ("phapche", "intent", 1, "72/2015/NĐ-CP"), ("phapche", "ok", 1, "72/2015/NĐ-CP")]
    assert log[1]["intent"] == log[0]["id"]  # the outcome answers the intent written before the restore
    denied = [r for r in read_jsonl(settings.audit_path) if r["action"] == "denied"]
    assert "history" in {r["detail"] for r in denied}
    kb.current_version = 2


def _download(raw: Raw, file_data: dict) -> bytes:
    url = file_data["url"]
    r = raw.http.get(url if url.startswith("http") else raw.url + url)
    r.raise_for_status()
    return r.content


def test_original_file_is_offered_with_the_document_tree(fake_app):
    from qa.types import OriginalFile

    url, kb, settings = fake_app
    kb.docs.setdefault("72/2015/NĐ-CP", dict(kb.template))
    kept = settings.originals_path / "0123456789abcdef" / "nd72-goc.txt"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes("Bản gốc tổng hợp dùng cho kiểm thử.".encode())
    kb.originals["72/2015/NĐ-CP"] = OriginalFile(key="72/2015/NĐ-CP", name=kept.name, path=str(kept), size=10)
    try:
        raw = Raw(url)  # anonymous: reading includes the original
        out = raw.call("ui_tree", [None], event_data={"action": "tree", "key": "72/2015/NĐ-CP"})
        assert out["success"], out
        button = out["output"]["data"][1]
        assert button["visible"] is True and "nd72-goc.txt" in button["label"]
        assert _download(raw, button["value"]) == kept.read_bytes()
        # the page never sees where originals are kept (it gets a copy in Gradio's cache, <home>/tmp/gradio)
        assert str(settings.originals_path) not in json.dumps(out)
        # a document without an original file: no button
        kb.originals.clear()
        out = raw.call("ui_tree", [None], event_data={"action": "tree", "key": "72/2015/NĐ-CP"})
        assert out["output"]["data"][1]["visible"] is False
    finally:
        kb.originals.clear()


def test_collected_clauses_export_as_docx_with_their_formal_citations(fake_app, tmp_path):
    import io

    from docx import Document

    url, kb, _ = fake_app
    raw = Raw(url)
    assert raw.call("ui_load", [])["success"]
    empty = raw.call("ui_export", [None, None, None])
    assert empty["success"] and "Chưa có đoạn nào" in empty["output"]["data"][1]
    for cite in (CITE, CITE, "gone"):  # the same clause twice is kept once
        picked = raw.call("ui_collect_lookup", [None, None], event_data={"action": "collect", "cite": cite})
        assert picked["success"], picked
    assert picked["output"]["data"][1].count('class="kb-uncollect"') == 2
    out = raw.call("ui_export", [None, None, None])
    assert out["success"], out
    file_data, note = out["output"]["data"]
    assert file_data["visible"] is True and file_data["value"]["orig_name"].endswith(".docx")
    data = _download(raw, file_data["value"])
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs if p.text.strip()]
    assert paragraphs == [TEXT, FORMAL]
    assert "Không còn trong cơ sở dữ liệu" in note and "gone" in note
    # "Bỏ" takes a clause out of the selection
    raw.call("ui_collect", [None, None], event_data={"action": "uncollect", "index": "0"})
    out = raw.call("ui_export", [None, None, None])
    assert "Không còn đoạn nào" in out["output"]["data"][1]
