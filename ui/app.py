"""The web app (Gradio): Hỏi đáp, Tra cứu, Văn bản.

It calls `qa.service.KnowledgeBase` and shows what it returns through `ui.render`; there is no
retrieval logic here. Reading is open (when settings.allow_anonymous); changing the collection
needs a legal-staff login bound to an HttpOnly cookie (ui.web) and held server-side, and every
mutating handler checks it itself, because any event handler can be called over HTTP, not only
from the page. Inputs are bounded where they enter (settings, "Limits (hardening)").
"""
from __future__ import annotations

import json
import secrets
import shutil
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from core.settings import Settings, SettingsError, configure_offline_environment

configure_offline_environment()

import gradio as gr  # noqa: E402  (after the offline environment is set)

from core.backends import make_backends  # noqa: E402
from qa.service import KnowledgeBase, KnowledgeService  # noqa: E402
from qa.types import Answer, DocumentSummary  # noqa: E402
from ui import audit_tab, basis_tab, chat_view, conversations, desk_tab, render, scratch, web, wording  # noqa: E402
from ui.audit import AuditLog, FeedbackLog, clip  # noqa: E402
from ui.conversation_actions import ConversationActions  # noqa: E402
from ui.auth import SESSION_ENDED, Authenticator, Session, SessionStore, can_manage  # noqa: E402
from ui.export import ExportItem, answer_docx, clauses_docx  # noqa: E402
from ui.staff import (LOGIN_JS, LOGOUT_JS, UPLOAD_TYPES, FailureNotes, StaffActions,  # noqa: E402
                      client_address as _client)

STATIC = Path(__file__).resolve().parent / "static"
SYSTEM_FONTS = ["Segoe UI", "Noto Sans", "DejaVu Sans", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["Consolas", "Noto Sans Mono", "DejaVu Sans Mono", "Menlo", "monospace"]
EXAMPLES = [
    "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?",
    "Thông tin chính thức về Việt Nam được cung cấp bằng những hình thức nào?",
    "Người phát ngôn của cơ quan hành chính nhà nước có trách nhiệm gì?",
]
READ = dict(concurrency_id="kb-read", concurrency_limit=4, api_visibility="private")
WRITE = dict(concurrency_id="kb-write", concurrency_limit=1, api_visibility="private")
# Login only reads the cookie /kb/session set: it must not wait behind an ingest in the write queue.
LOGIN = dict(concurrency_id="kb-login", concurrency_limit=4, api_visibility="private")
ERROR_TITLE = "Lỗi"
NOT_STAFF = "Chỉ cán bộ pháp chế đã đăng nhập mới được nạp, thay thế hoặc gỡ văn bản."
MAX_DOCUMENT_FILTERS = 50
MAX_PICKS = 100  # clauses in one DOCX selection
EXPORT_NAME = "ban-trich-dieu-khoan.docx"
ANSWER_EXPORT_NAME = "cau-tra-loi-kem-can-cu.docx"


class ReadWriteLock:
    """Many readers or one writer: questions never see a half-applied ingest or removal."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def read(self):
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


# Gradio 6's own strings ("Drop File Here", "Click to Upload", "Error", "Use via API"…) in Vietnamese.
# gr.I18n is Gradio's mechanism, but its front end only picks a locale it ships (Vietnamese is not
# one: a vi-VN browser falls back to "en"), so the same strings are registered for every shipped
# locale. Flat dotted keys win over Gradio's nested built-in dictionaries (svelte-i18n looks the
# exact key up first), which is what makes the override take effect.
GRADIO_STRINGS_VI = {
    "upload_text.drop_file": "Kéo thả tệp vào đây",
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "common.or": "hoặc",
    "common.error": "Lỗi",
    "common.clear": "Xoá",
    "common.submit": "Gửi",
    "common.loading": "Đang tải",
    "common.remove": "Bỏ",
    "common.upload": "Tải thêm tệp",
    "common.complete": "Xong",  # said to screen readers when an action finishes (Gradio has no English for it)
    "common.download": "Tải xuống",
    "common.download_all": "Tải xuống tất cả",
    "common.edit": "Sửa",
    "common.undo": "Hoàn tác",
    "common.empty": "Trống",
    "common.settings": "Cài đặt",
    "common.language": "Ngôn ngữ",
    "common.display_theme": "Giao diện",
    "common.progress": "Tiến độ",
    "common.share": "Chia sẻ",
    "common.run": "Chạy",
    "common.built_with": "xây dựng bằng",
    "common.built_with_gradio": "Xây dựng bằng Gradio",
    "errors.use_via_api": "Gọi từ chương trình (API)",
    "errors.use_via_api_or_mcp": "Gọi từ chương trình (API)",
    "file.uploading": "Đang tải lên…",
    "dropdown.dropdown": "Danh sách chọn",
    "checkbox.checkbox": "Ô chọn",
    "status.queue_position": "Đang chờ: {position}/{size}",
    "blocks.lost_connection": "Mất kết nối do rời trang. Đang kết nối lại…",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp lên xong, hãy thử lại.",
    "blocks.connection_can_break": "Trên điện thoại, kết nối có thể bị ngắt khi chuyển thẻ hoặc màn hình tắt.",
    "login.login": "Đăng nhập",
    "login.username": "Tên đăng nhập",
    "login.password": "Mật khẩu",
    "login.incorrect_credentials": "Tên đăng nhập hoặc mật khẩu không đúng",
}
GRADIO_LOCALES = ("en", "ar", "ca", "ckb", "de", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id", "ja", "ko",
                  "lt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz",
                  "zh-CN", "zh-TW")
def head(settings: Settings) -> str:
    """<head> additions: ui/static/page.js (lang="vi", skip link, arrow keys on tabs, the upload limit
    said in Vietnamese before Gradio refuses in English, Gradio's toasts translated), given the limit
    Gradio enforces (its FileSize: MB = 1024 × 1024 bytes)."""
    page_js = (STATIC / "page.js").read_text(encoding="utf-8")
    limit = int(settings.max_upload_mb * 1024 * 1024)
    # Gradio's container clips with overflow: hidden, which makes it the scroll box of every sticky element
    # inside (they would stick to it, not to the screen); clip keeps the clipping without that. kb.css cannot
    # say it: Gradio scopes that file's selectors inside the container.
    sticky = "<style>.gradio-container.gradio-container { overflow: clip; }</style>"
    return f"{sticky}<script>window.KB_MAX_UPLOAD_BYTES = {limit};\n{page_js}</script>"


# First paint at once: the question and a placeholder appear as the button is pressed, even while the
# request waits in the read queue behind other answers; the server's first frame replaces them.
ASK_JS = """(question, ...rest) => {
  const q = typeof question === "string" ? question.trim() : "";
  const host = document.querySelector("#kb-chat");
  if (q && host) {
    let list = host.querySelector(".kb-chat");
    const empty = host.querySelector(".kb-empty");
    if (!list && empty) { list = document.createElement("div"); list.className = "kb-chat"; empty.replaceWith(list); }
    if (list) {
      const turn = document.createElement("section");
      turn.className = "kb-turn kb-turn-local";
      turn.innerHTML = '<div class="kb-q"><span class="kb-who">Hỏi</span><p class="kb-para"></p></div>'
        + '<div class="kb-a kb-pending" aria-busy="true"><div class="kb-meta">Đang gửi câu hỏi…</div></div>';
      turn.querySelector(".kb-q .kb-para").textContent = q;
      list.appendChild(turn);
      // the new question at the top of the screen, its answer's lead and first clauses below it; once more
      // when the answer is in (events.js), as the page may have been too short to bring it up now
      turn.scrollIntoView({block: "start"});
      window.kbFollowTurn = {index: list.querySelectorAll(".kb-turn").length - 1, until: Date.now() + 120000};
    }
  }
  return [question, ...rest];
}"""


def i18n() -> gr.I18n:
    return gr.I18n(**{locale: dict(GRADIO_STRINGS_VI) for locale in GRADIO_LOCALES})


def theme() -> gr.themes.Base:
    """System fonts with Vietnamese glyphs (no web font is fetched), and Gradio's own colours moved to
    WCAG AA: its defaults put white on orange-500 (2.8:1) for primary buttons and the active tab,
    grey-400 (1.9:1) for placeholders, help text and "hoặc", and a pale-blue focus ring (1.8:1).
    Text is 4.5:1 or more on its background, field borders and focus rings 3:1 or more
    (tests/test_ui_browser_a11y.py measures the computed colours)."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS).set(
        color_accent="*primary_700",  # dark: kb.css sets --color-accent
        loader_color="*primary_700", loader_color_dark="*primary_300",
        button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
        button_primary_border_color="*primary_700", button_primary_border_color_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700", button_primary_background_fill_hover_dark="*primary_800",
        button_primary_border_color_dark="*primary_700", button_primary_border_color_hover_dark="*primary_800",
        button_primary_text_color="white", button_primary_text_color_dark="white",
        button_cancel_background_fill="#b91c1c", button_cancel_background_fill_hover="#991b1b",
        button_cancel_background_fill_dark="#b91c1c", button_cancel_background_fill_hover_dark="#991b1b",
        body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_300",
        block_label_text_color="*neutral_600", block_label_text_color_dark="*neutral_200",
        block_info_text_color="*neutral_600", block_info_text_color_dark="*neutral_300",
        input_placeholder_color="*neutral_600", input_placeholder_color_dark="*neutral_300",
        input_border_color="*neutral_500", input_border_color_dark="*neutral_400",
        input_border_color_hover="*neutral_600", input_border_color_hover_dark="*neutral_300",
        input_border_color_focus="*primary_700", input_border_color_focus_dark="*primary_300",
        input_shadow_focus="0 0 0 2px *primary_700", input_shadow_focus_dark="0 0 0 2px *primary_300",
        checkbox_border_color="*neutral_500", checkbox_border_color_dark="*neutral_400",
        checkbox_border_color_hover="*neutral_600", checkbox_border_color_hover_dark="*neutral_300",
        checkbox_border_color_focus="*primary_700", checkbox_border_color_focus_dark="*primary_300",
    )


def launch_options(settings: Settings) -> dict:
    """Keyword arguments for Blocks.launch (Gradio 6 takes theme and css there)."""
    return dict(
        theme=theme(),
        css=(STATIC / "kb.css").read_text(encoding="utf-8"),
        i18n=i18n(),
        head=head(settings),
        footer_links=[],  # no footer: its "API" link is for programs, documented in docs/UI.md
        run_history=False,
        mcp_server=False,
        ssr_mode=False,
        pwa=False,
        enable_monitoring=False,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=True,
    )


class KbBlocks(gr.Blocks):
    """gr.Blocks whose server always carries ui.web's session route and security middleware.

    Overriding launch() rather than relying on every caller (serve, tests, benchmarks) to pass
    them: Gradio builds its FastAPI app inside launch(), and the middleware must be there from
    the start (Starlette refuses middleware added after the first request).
    """

    kb_app: "App"

    def launch(self, *args, **kwargs):
        kwargs["app_kwargs"] = web.app_kwargs(self.kb_app, kwargs.get("app_kwargs"))
        kwargs.setdefault("max_file_size", f"{self.kb_app.settings.max_upload_mb}mb")
        kwargs["num_workers"] = 0  # static-file worker processes would serve uploads outside the middleware
        # Files handed to readers: originals of ingested documents and their DOCX selections (never uploads
        # that are only previewed). Gradio serves a returned file only from a path it allows.
        settings = self.kb_app.settings
        kwargs["allowed_paths"] = [*(kwargs.get("allowed_paths") or []), str(settings.originals_path),
                                   str(settings.exports_path)]
        return super().launch(*args, **kwargs)

    async def process_api(self, *args, **kwargs):
        """Every event: an error a handler lets through (Gradio would show str(exc), e.g. an OSError
        with the file it failed on) reaches the page without server paths; the log keeps them."""
        try:
            return await super().process_api(*args, **kwargs)
        except gr.Error as exc:
            exc.message = render.public_text(exc.message)
            raise
        except Exception as exc:
            traceback.print_exc()
            raise gr.Error(render.public_text(str(exc)) or type(exc).__name__, title=ERROR_TITLE,
                           print_exception=False) from exc


class App(StaffActions, ConversationActions):
    """Handlers. `self.kb` is the service; every method that changes data calls `_require_staff`."""

    def __init__(self, settings: Settings, kb: KnowledgeService):
        self.settings = settings
        self.kb = kb
        self.auth = Authenticator(
            settings.users_file, max_failures=settings.login_max_failures,
            max_client_failures=settings.login_max_failures_per_client, lockout_s=settings.login_lockout_s,
            max_tracked=settings.max_tracked_logins, max_username_chars=settings.max_username_chars,
            max_password_chars=settings.max_password_chars,
            # failed logins counted in the registry: one budget of guesses across every `kb serve`
            # process and host (the UI's test doubles of the service keep them in memory)
            shared=kb.store.registry if isinstance(kb, KnowledgeBase) else None)
        self.audit = AuditLog(settings.audit_path, settings.max_log_field_chars)
        # Every lookup re-checks the account against the users file: a deleted, demoted or
        # re-passworded account loses its sessions at the next request, not 8 hours later. The sessions
        # live in the registry: a login made through one `kb serve` process or host holds in the others,
        # a logout ends it in all (the UI's test doubles of the service keep them in memory).
        self.sessions = SessionStore(settings.session_ttl_s, settings.max_tracked_logins, accounts=self.auth,
                                     on_end=self._session_ended,
                                     shared=kb.store.registry if isinstance(kb, KnowledgeBase) else None)
        self.feedback = FeedbackLog(settings.feedback_path, settings.max_log_field_chars)
        self.lock = ReadWriteLock()
        self.failure_notes = FailureNotes(settings.max_tracked_logins)
        self.uploads = Path(settings.home) / "uploads"

    # ------------------------------------------------------------ sessions
    def _session_ended(self, s: Session, reason: str) -> None:
        self.audit.record("session_ended", user=s.username, role=s.role, outcome=reason,
                          detail="tài khoản đã thay đổi trong tệp tài khoản")

    @staticmethod
    def _cookie(request: gr.Request | None) -> str:
        return web.cookie_token(request) if request is not None else ""

    def session_of(self, session: Session | None, request: gr.Request | None) -> Session | None:
        """The login bound to this browser's HttpOnly cookie. The gr.State `session` is only what the
        page shows: it is keyed by Gradio's session_hash, which a second client can copy, so it is
        never trusted for who is logged in."""
        return self.sessions.get(self._cookie(request))

    def _require_reader(self, session, request) -> None:
        # Closed reading: Gradio's /login guards every route; request.username is its logged-in user.
        if (not self.settings.allow_anonymous and not getattr(request, "username", None)
                and self.session_of(session, request) is None):
            raise gr.Error("Cần đăng nhập để tra cứu.", title=ERROR_TITLE)

    def _require_staff(self, session, request, action: str, target: str = "") -> Session:
        """The live legal-staff session of this request, its account checked against the users file now."""
        s, reason, former = self.sessions.lookup(self._cookie(request))
        if not can_manage(s):
            who = s or former
            self.audit.record("denied", user=who.username if who else "", role=who.role if who else "",
                              outcome="refused", target=target, client=_client(request),
                              detail=f"{action}: {reason}" if reason else action)
            # Not shown as a toast (it would cover the controls): the page's .failure handler
            # (staff_refused) says it inline; an HTTP caller still gets the refusal and its message.
            raise gr.Error(SESSION_ENDED.get(reason, NOT_STAFF), title=ERROR_TITLE, visible=False)
        return s

    def _docs(self) -> list[DocumentSummary]:
        with self.lock.read():
            return self.kb.documents()

    # ------------------------------------------------------------ Hỏi đáp
    def _check_length(self, text: str, what: str) -> None:
        limit = self.settings.max_question_chars
        if len(text) > limit:  # refused before any retrieval: a long text holds a read slot for seconds
            raise ValueError(f"{what} dài {len(text):,} ký tự, vượt giới hạn {limit:,} ký tự. "
                             "Hãy rút gọn.".replace(",", "."))

    def _check_documents(self, documents) -> list[str] | None:
        """`documents`: one key (str) or a list of keys; every key must name a loaded document."""
        if documents is None or documents == "":
            return None
        if isinstance(documents, str):
            documents = [documents]
        if not isinstance(documents, (list, tuple)) or not all(isinstance(d, str) for d in documents):
            raise ValueError("documents phải là khoá của một văn bản hoặc danh sách khoá, ví dụ "
                             "[\"72/2015/NĐ-CP\"].")
        keys = list(dict.fromkeys(d.strip() for d in documents if d.strip()))
        if len(keys) > MAX_DOCUMENT_FILTERS:
            raise ValueError(f"Chỉ lọc được tối đa {MAX_DOCUMENT_FILTERS} văn bản mỗi câu hỏi.")
        known = {d.key for d in self._docs()}
        unknown = [k for k in keys if k not in known]
        if unknown:
            shown = ", ".join(f"“{clip(k, 60)}”" for k in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise ValueError(f"Không có văn bản {shown} trong cơ sở dữ liệu. Khoá hợp lệ là số hiệu văn bản đã nạp, "
                             "xem ở tab “Văn bản” hoặc bằng lệnh `kb docs`.")
        return keys or None

    def _check_question(self, question, as_of_text, mode, documents) -> tuple[str, str | None, str, list[str] | None]:
        question = (question or "").strip() if isinstance(question, str) else ""
        if not question:
            raise ValueError("Hãy nhập câu hỏi.")
        self._check_length(question, "Câu hỏi")
        as_of = render.parse_date(as_of_text)
        mode = mode or "extractive"
        if mode not in ("extractive", "llm"):
            raise ValueError(f"Chế độ “{mode}” không hợp lệ: chọn extractive hoặc llm.")
        if mode == "llm" and not self.settings.llm_configured:
            raise ValueError("Trợ lý viết câu trả lời (mode=\"llm\") chưa được bật trên máy chủ này; "
                             "dùng mode=\"extractive\" (trích nguyên văn).")
        return question, as_of, mode, self._check_documents(documents)

    def ask_chat(self, question, as_of_text, mode, documents, turns, session, request: gr.Request):
        turns = list(turns or [])
        # `id`: made here, kept server-side in gr.State; a feedback vote is stored once per id.
        shown = clip((question or "").strip() if isinstance(question, str) else "", self.settings.max_question_chars)
        turn = {"id": secrets.token_hex(8), "question": shown, "text": "", "answer": None, "feedback": None,
                "error": ""}
        turns.append(turn)
        try:
            self._require_reader(session, request)
            q, as_of, mode, docs = self._check_question(question, as_of_text, mode, documents)
        except (ValueError, gr.Error) as exc:
            turn["error"] = getattr(exc, "message", None) or str(exc)
            yield chat_view.render_chat(turns), turns, question
            return
        turn.update(as_of=as_of, documents=docs or [], mode=mode)
        yield chat_view.render_chat(turns), turns, ""
        # the conversation's previous question: a follow-up ("còn cấp xã thì sao?") is read with it;
        # "Cuộc hội thoại mới" empties `turns`, and with it this
        previous = next((t["question"] for t in reversed(turns[:-1]) if t.get("answer") is not None), None)
        stream = self.kb.ask_stream(q, as_of=as_of, mode=mode, documents=docs, previous=previous)
        try:
            while True:
                with self.lock.read():
                    item = next(stream, None)
                if item is None:
                    break
                if isinstance(item, Answer):
                    turn["answer"] = item
                    # before the answer shows, so that its yield is this turn's last: a reader who asks
                    # again as soon as it shows must not have a later yield of this one overwrite the
                    # page and the turns with their new question left out
                    self._keep_for_reader(turn)
                else:
                    turn["text"] += item
                yield chat_view.render_chat(turns), turns, ""
        except (SettingsError, ValueError) as exc:
            turn["error"] = str(exc)
        except Exception as exc:  # the page must not stay on "Đang trả lời…"; the details go to stderr
            print(f"kb: hỏi đáp: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            turn["error"] = ("Dịch vụ hỏi đáp gặp lỗi nên chưa trả lời được câu hỏi này. Hãy thử lại sau ít phút; "
                             "nếu lỗi lặp lại, báo quản trị viên.")
        if turn["answer"] is None and not turn["error"]:
            turn["error"] = "Không nhận được câu trả lời từ dịch vụ."
        if turn["error"]:  # an answer already had its last yield above
            yield chat_view.render_chat(turns), turns, ""

    def _keep_for_reader(self, turn: dict) -> None:
        """What the page shows of an answer beyond the service's result: every citation in formal
        form (for "Sao chép câu trả lời") and, when there is no basis, the nearest clauses as chips."""
        answer = turn["answer"]
        formal = []
        with self.lock.read():
            for c in answer.citations:
                hit = self.kb.clause(c.node_id)
                formal.append(render.hit_formal_citation(hit, c.citation) if hit else c.citation)
        turn["formal"] = formal
        turn["near"] = chat_view.near_clauses(answer)

    def chat_click(self, turns, session, evt: gr.EventData, request: gr.Request):
        """A citation chip ([n] or the chip below an answer) or a thumbs button. The last output (the
        `voted` state) changes on a vote, which stores the conversation in the browser again (a chip
        changes nothing there, and does not send the stored conversations back and forth)."""
        data = getattr(evt, "_data", None) or {}
        turns = list(turns or [])
        try:
            index = int(data.get("turn", -1))
            turn = turns[index] if index >= 0 else None
        except (ValueError, TypeError, IndexError):
            turn = None
        if turn is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        answer = turn.get("answer")
        if answer is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if data.get("action") == "feedback" and data.get("value") in ("up", "down"):
            s = self.session_of(session, request)
            vote = f"{getattr(request, 'session_hash', '') or ''}:{turn.get('id') or index}"
            self.feedback.record(vote=vote, rating=data["value"], question=turn["question"],
                                 answer=answer.to_public_dict(), user=s.username if s else "",
                                 as_of=turn.get("as_of"), documents=turn.get("documents"))
            turn["feedback"] = data["value"]
            return chat_view.render_chat(turns), turns, gr.skip(), time.monotonic_ns(), gr.skip()
        if data.get("action") == "answer-docx" and turn.get("answer") is not None:
            path = self._export_path(ANSWER_EXPORT_NAME)
            path.write_bytes(answer_docx(chat_view.copy_text(turn)))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.update(value=str(path), visible=True)
        if data.get("action") == "near":  # a clause a "Không tìm thấy căn cứ" answer names as nearest
            try:
                index = int(data.get("cite", -1))
                near = (turn.get("near") or [])[index] if index >= 0 else None
            except (ValueError, TypeError, IndexError):
                near = None
            if not near:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return gr.skip(), gr.skip(), self.clause_panel(near["node_id"]), gr.skip(), gr.skip()
        if data.get("action") == "cite":
            try:
                index = int(data.get("cite", -1))
                cit = answer.citations[index] if index >= 0 else None
            except (ValueError, TypeError, IndexError):
                cit = None
            if cit is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            # legal staff see why the first citation was chosen (officials see the clause only)
            why = answer.why if index == 0 and can_manage(self.session_of(session, request)) else None
            later = (f"Đoạn trích là nội dung hiện hành, không phải nội dung có hiệu lực tại ngày "
                     f"{render.format_date(turn.get('as_of') or '')}: nội dung tại ngày đó không có trong cơ sở dữ "
                     "liệu, nên đoạn này không được dùng làm căn cứ." if cit.current_wording else "")
            return gr.skip(), gr.skip(), self.clause_panel(cit.node_id, cit.quote, cit.citation, why,
                                                           cit.validity, later), gr.skip(), gr.skip()
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def clause_panel(self, node_id: str, quote: str | None = None, citation: str | None = None,
                     why: dict | None = None, validity: dict | None = None, later: str = "") -> str:
        with self.lock.read():
            hit = self.kb.clause(node_id)
            relations = self.kb.relations(hit.document) if hit else []
        return render.render_clause(hit, relations, quote=quote, citation=citation, why=why, validity=validity,
                                    later_note=later)

    def clear_chat(self):
        # A new conversation starts from scratch: the document filter and the date go too. The one
        # left stays in the browser's list of past conversations (new_conversation drops its id only).
        return chat_view.render_chat([]), [], render.CLAUSE_PLACEHOLDER, gr.update(value=[]), ""

    # ------------------------------------------------------------ Tra cứu
    def lookup(self, reference, as_of_text, session, request: gr.Request):
        """Tra cứu: the unit's text in force on the date chosen ("Áp dụng tại ngày"), or as enacted."""
        self._require_reader(session, request)
        if not (reference or "").strip():
            return '<div class="kb-empty">Nhập tham chiếu, ví dụ “khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP”.</div>'
        try:
            self._check_length(reference.strip(), "Tham chiếu")
            as_of = render.parse_date(as_of_text if isinstance(as_of_text, str) else "")
        except ValueError as exc:
            return f'<div class="kb-empty" role="alert">{render.esc(str(exc))}</div>'
        with self.lock.read():
            return render.render_lookup(self.kb.lookup(reference.strip(), as_of=as_of))

    def lookup_click(self, as_of_text, session, evt: gr.EventData, request: gr.Request):
        data = getattr(evt, "_data", None) or {}
        ref = data.get("ref", "") if data.get("action") == "lookup" else ""
        if not ref:
            return gr.skip(), gr.skip()
        return ref, self.lookup(ref, as_of_text, session, request)

    def catalogue_click(self, session, evt: gr.EventData, request: gr.Request):
        """The document's tree, and its original file to download when it was read from one."""
        self._require_reader(session, request)
        key = (getattr(evt, "_data", None) or {}).get("key", "")
        if not key:
            return gr.skip(), gr.skip()
        with self.lock.read():
            tree, original = self.kb.document_tree(key), self.kb.original_file(key)
        if original is None:
            return render.render_tree(tree), gr.update(value=None, visible=False)
        return render.render_tree(tree), gr.update(value=original.path, visible=True,
                                                   label=f"Tải tệp gốc: {original.name}")

    # ------------------------------------------------------------ the drafter's selection (DOCX)
    def collect_click(self, picks, session, evt: gr.EventData, request: gr.Request):
        """“Thêm vào bản trích” (lookup result, tree) and “Bỏ” (the selection): only citations are kept;
        the export looks each one up again, so the document gets stored text, never page text."""
        data = getattr(evt, "_data", None) or {}
        picks = list(picks or [])
        if data.get("action") == "collect":
            cite = str(data.get("cite", "")).strip()[: self.settings.max_question_chars]
            if not cite:
                return gr.skip(), gr.skip()
            if cite in picks:
                return picks, render.render_picks(picks, f"{cite} đã có trong bản trích.")
            if len(picks) >= MAX_PICKS:
                return picks, render.render_picks(picks, f"Bản trích có tối đa {MAX_PICKS} đoạn.")
            picks.append(cite)
            return picks, render.render_picks(picks)
        if data.get("action") == "uncollect":
            try:
                picks.pop(int(data.get("index", -1)))
            except (ValueError, TypeError, IndexError):
                return gr.skip(), gr.skip()
            return picks, render.render_picks(picks)
        return gr.skip(), gr.skip()

    def export_docx(self, picks, as_of_text, session, request: gr.Request):
        """The selection as a .docx: each clause's text in force on the lookup tab's date (stored text,
        amended where the amending text is stored), its formal citation, its hiệu lực and notes."""
        self._require_reader(session, request)
        try:
            as_of = render.parse_date(as_of_text if isinstance(as_of_text, str) else "")
        except ValueError as exc:
            return gr.update(value=None, visible=False), render.render_action_error(f"Áp dụng tại ngày: {exc}")
        picks = [p for p in (picks or []) if isinstance(p, str)][:MAX_PICKS]
        if not picks:
            return gr.update(value=None, visible=False), render.render_action_error(
                "Chưa có đoạn nào trong bản trích: bấm “Thêm vào bản trích” ở kết quả tra cứu trước.")
        items, missing = [], []
        with self.lock.read():
            for cite in picks:
                found = self.kb.lookup(cite, as_of=as_of)
                if found.status == "found" and found.text:
                    items.append(ExportItem(found.text, found.formal_citation or found.citation,
                                            status=render.validity_text(found.validity) if found.validity else "",
                                            notes=tuple(found.notes),
                                            as_of=found.as_of))
                else:
                    missing.append(cite)
        if not items:
            return gr.update(value=None, visible=False), render.render_action_error(
                "Không còn đoạn nào trong cơ sở dữ liệu (văn bản có thể vừa bị gỡ): " + "; ".join(missing))
        path = self._export_path()
        path.write_bytes(clauses_docx(items))
        note = f"Tệp Word gồm {len(items)} đoạn kèm trích dẫn đầy đủ."
        if missing:
            note += " Không còn trong cơ sở dữ liệu nên đã bỏ: " + "; ".join(missing) + "."
        return gr.update(value=str(path), visible=True), f'<div class="kb-report">{render.esc(note)}</div>'

    def _export_path(self, name: str = EXPORT_NAME) -> Path:
        """A fresh directory per export (the file keeps a readable name); exports older than an hour go."""
        root = self.settings.exports_path
        root.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - 3600
        for old in root.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:
                continue
        folder = root / secrets.token_hex(8)
        folder.mkdir()
        return folder / name

    # ------------------------------------------------------------ documents (shared outputs)
    def doc_views(self):
        """Catalogue (Tra cứu), document list (Văn bản), and the four document dropdowns (ui.staff.DOC_VIEWS in all)."""
        docs = self._docs()
        choices = render.document_choices(docs)
        # clauses still being prepared for search by meaning, and when they will be (a fake service may not say)
        progress = getattr(self.kb, "embedding_progress", None)
        vectors = wording.search_readiness(progress()) if progress else ""
        return (render.render_catalogue(docs), render.render_catalogue(docs, browsable=False, progress=vectors),
                gr.update(choices=choices), gr.update(choices=choices, value=None),
                gr.update(choices=[("— Không thay thế —", "")] + choices, value=""), gr.update(choices=choices))

    def _session_views(self, s: Session | None):
        staff = can_manage(s)
        return (render.render_session(s, self.settings.allow_anonymous, self.auth.configured),
                gr.update(visible=s is None and self.auth.configured),
                gr.update(visible=s is not None and self.settings.allow_anonymous),  # else Gradio's /logout
                gr.update(visible=staff))

    def on_load(self, request: gr.Request):
        s = self.session_of(None, request)
        return (s, *self._session_views(s), *self.doc_views())

    # ------------------------------------------------------------ login
    def api_ask(self, question: str, as_of: str | None = None, mode: str = "extractive",
                documents: str | list[str] | None = None, history: list[str] | None = None) -> dict:
        """Hỏi đáp: the answer with citations, as `kb ask --json`. `documents`: one document key or a
        list of keys (see `kb docs`) to search only in those documents. `history`: the conversation's
        earlier questions, oldest first; a follow-up is read with the last of them."""
        try:
            q, as_of_iso, mode, docs = self._check_question(question, as_of, mode, documents)
            previous = None
            if history:
                if isinstance(history, str):
                    history = [history]
                if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
                    raise ValueError("“history” phải là danh sách các câu hỏi trước (chuỗi).")
                previous = history[-1].strip() or None
                if previous:
                    self._check_length(previous, "Câu hỏi trước")
        except ValueError as exc:
            raise gr.Error(str(exc), title=ERROR_TITLE) from None
        with self.lock.read():
            return self.kb.ask(q, as_of=as_of_iso, mode=mode, documents=docs, previous=previous).to_public_dict()

    def api_lookup(self, reference: str, as_of: str | None = None) -> dict:
        """Tra cứu: the exact text of a reference such as "khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"; `as_of`
        (dd/mm/yyyy or YYYY-MM-DD): the text in force that day, with its hiệu lực, as `kb lookup --as-of`."""
        reference = (reference or "").strip() if isinstance(reference, str) else ""
        try:
            self._check_length(reference, "Tham chiếu")
            as_of_iso = render.parse_date(as_of if isinstance(as_of, str) else "")
        except ValueError as exc:
            raise gr.Error(str(exc), title=ERROR_TITLE) from None
        with self.lock.read():
            return self.kb.lookup(reference, as_of=as_of_iso).to_public_dict()


def correction_form(prefix: str, note_chars: int) -> list:
    """The correction form's boxes (render.EDITABLE_FIELDS), the same in the preview and for a stored
    document: the header facts, then the status staff set with its date and grounds."""
    boxes = []
    for k, label in render.EDITABLE_FIELDS:
        if k == "status":
            boxes.append(gr.Dropdown(label=label, choices=render.STATUS_CHOICES, value="", elem_id=f"{prefix}-{k}"))
        elif k == "status_since":
            boxes.append(gr.Textbox(label=label, placeholder="dd/mm/yyyy (tuỳ chọn)", elem_id=f"{prefix}-{k}"))
        elif k == "status_note":  # recorded with the correction and in the audit log
            boxes.append(gr.Textbox(label=label, max_length=note_chars, elem_id=f"{prefix}-{k}"))
        else:
            boxes.append(gr.Textbox(label=label, elem_id=f"{prefix}-{k}"))
    return boxes


def build_app(settings: Settings, kb: KnowledgeService) -> gr.Blocks:
    # Before any component: each one records Gradio's temp dir when it is made (ui.scratch: why).
    scratch.use(settings)
    app = App(settings, kb)
    events_js = (STATIC / "events.js").read_text(encoding="utf-8")
    llm = settings.llm_configured
    # delete_cache: Gradio's upload cache is emptied of files older than upload_cache_ttl_s (what staff
    # keep is copied to <home>/uploads at preview), and entirely when the server restarts.
    with KbBlocks(title="Tra cứu văn bản thông tin đối ngoại", analytics_enabled=False,
                  delete_cache=(min(600, settings.upload_cache_ttl_s), settings.upload_cache_ttl_s)) as demo:
        demo.kb_app = app
        session = gr.State(None)
        turns = gr.State([])
        voted = gr.State(0)  # changes (a new number) when a vote changes a turn: only then is the conversation stored again
        conv = gr.State("")  # id of the conversation on the page in the browser's store ("" until its first answer)
        # The reader's conversations, in this browser's localStorage (ui.conversations). Gradio encrypts the
        # value with this key, which it also sends to the page: it keeps the text unreadable at a glance in
        # the storage, nothing more; the value is checked like any input when it comes back.
        history = gr.BrowserState(conversations.EMPTY, storage_key="kb-conversations", secret=conversations.SECRET)
        picks = gr.State([])  # citations the drafter collected, in order
        previews = gr.State([])
        overrides = gr.State({})
        gr.HTML('<h1 class="kb-title">Cơ sở tri thức văn bản pháp luật về thông tin đối ngoại</h1>'
                '<div class="kb-meta">Câu trả lời chỉ trích từ văn bản đã nạp; luôn kiểm tra căn cứ trước khi sử dụng.</div>',
                js_on_load=None)
        with gr.Tabs(elem_id="kb-main"):
            with gr.Tab("Hỏi đáp", id="ask"):
                # equal height: the clause column runs the conversation's full height, so its panel can stay
                # in view beside it (position: sticky, kb.css)
                with gr.Row(equal_height=True, elem_id="kb-ask-tab"):
                    with gr.Column(scale=3):
                        # autoscroll off: the page brings a new question to the top itself (ASK_JS) and
                        # never moves while an answer streams in or a clause is opened
                        chat = gr.HTML(chat_view.render_chat([]), js_on_load=events_js, elem_id="kb-chat",
                                       autoscroll=False, min_height=240)
                        # "Tải câu trả lời (Word)" under an answer fills this (ui.export.answer_docx)
                        answer_file = gr.File(label="Câu trả lời kèm căn cứ (Word)", visible=False, interactive=False,
                                              elem_id="kb-answer-file")
                        with gr.Row(elem_id="kb-ask-row"):  # sticky at the bottom of the screen (kb.css)
                            question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: " + EXAMPLES[0], lines=1,
                                                  scale=5, elem_id="kb-question",
                                                  max_length=settings.max_question_chars)
                            ask_btn = gr.Button("Hỏi", variant="primary", scale=1, elem_id="kb-ask-btn")
                        with gr.Row():
                            as_of = gr.Textbox(label="Áp dụng tại ngày", placeholder="dd/mm/yyyy (tuỳ chọn)",
                                               elem_id="kb-as-of", scale=1)
                            doc_filter = gr.Dropdown(label="Chỉ tìm trong văn bản", choices=[], multiselect=True,
                                                     elem_id="kb-doc-filter", scale=2)
                        with gr.Row():
                            mode = gr.Radio(
                                choices=[("Trích nguyên văn", "extractive"), ("Trợ lý viết câu trả lời", "llm")],
                                value=settings.answer_mode if llm else "extractive", label="Cách trả lời",
                                interactive=llm, elem_id="kb-mode",
                                info="Trợ lý viết câu trả lời bằng lời văn; căn cứ vẫn trích nguyên văn từ văn bản."
                                if llm else "Máy chủ này chưa bật trợ lý viết câu trả lời.")
                        gr.Examples(EXAMPLES, inputs=[question], label="Câu hỏi mẫu")
                        clear_btn = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="kb-clear")
                        with gr.Accordion("Các cuộc hội thoại trước", open=False, elem_id="kb-history-box"):
                            conv_list = gr.HTML(conversations.render_list([]), js_on_load=events_js,
                                                elem_id="kb-conversations")
                            forget_btn = gr.Button("Xoá lịch sử", size="sm", variant="stop", elem_id="kb-forget")
                            forget_msg = gr.HTML("", js_on_load=None, elem_id="kb-forget-msg")
                    with gr.Column(scale=2):
                        clause = gr.HTML(render.CLAUSE_PLACEHOLDER, js_on_load=events_js, elem_id="kb-clause",
                                         label="Điều khoản được trích")
            with gr.Tab("Tra cứu", id="lookup"):
                with gr.Row():
                    reference = gr.Textbox(label="Tham chiếu", scale=5, elem_id="kb-ref",
                                           max_length=settings.max_question_chars,
                                           placeholder="Ví dụ: khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP")
                    lookup_as_of = gr.Textbox(label="Áp dụng tại ngày", placeholder="dd/mm/yyyy (tuỳ chọn)",
                                              elem_id="kb-lookup-as-of", scale=1)
                    lookup_btn = gr.Button("Tra cứu", variant="primary", scale=1, elem_id="kb-lookup-btn")
                lookup_out = gr.HTML("", js_on_load=events_js, elem_id="kb-lookup-result")
                with gr.Accordion("Bản trích để soạn thảo (xuất Word)", open=True, elem_id="kb-picks-box"):
                    picks_html = gr.HTML(render.render_picks([]), js_on_load=events_js, elem_id="kb-picks")
                    with gr.Row():
                        export_btn = gr.Button("Xuất tệp Word (DOCX)", elem_id="kb-export-btn", scale=1)
                        export_file = gr.File(label="Tệp Word", visible=False, interactive=False,
                                              elem_id="kb-export-file", scale=2)
                    export_msg = gr.HTML("", js_on_load=None, elem_id="kb-export-msg")
                with gr.Row():
                    with gr.Column(scale=2):
                        gr.Markdown("## Danh mục văn bản\nBấm tên văn bản để xem cấu trúc. Dòng mờ: văn bản còn thiếu, "
                                    "cán bộ pháp chế cần bổ sung tệp.")
                        catalogue = gr.HTML("", js_on_load=events_js, elem_id="kb-catalogue")
                    with gr.Column(scale=3):
                        original_btn = gr.DownloadButton("Tải tệp gốc", visible=False, elem_id="kb-original",
                                                         size="sm")
                        tree = gr.HTML(render.render_tree({}), js_on_load=events_js, elem_id="kb-tree")
            desk_tab.build(app, session, READ)  # “Bàn làm việc” (ui/desk_tab.py)
            basis_tab.build(app, session, events_js, UPLOAD_TYPES, READ)  # Kiểm tra căn cứ, Đối chiếu văn bản
            with gr.Tab("Văn bản", id="documents"):
                session_html = gr.HTML(render.render_session(None, settings.allow_anonymous, app.auth.configured),
                                       js_on_load=None, elem_id="kb-session")
                with gr.Group(visible=app.auth.configured, elem_id="kb-login") as login_box:
                    with gr.Row():
                        username = gr.Textbox(label="Tên đăng nhập", elem_id="kb-user",
                                              max_length=settings.max_username_chars)
                        password = gr.Textbox(label="Mật khẩu", type="password", elem_id="kb-pass",
                                              max_length=settings.max_password_chars)
                        login_btn = gr.Button("Đăng nhập", elem_id="kb-login-btn")
                login_msg = gr.HTML("", js_on_load=None, elem_id="kb-login-msg")
                logout_btn = gr.Button("Đăng xuất", visible=False, size="sm", elem_id="kb-logout-btn")
                with gr.Column(visible=False, elem_id="kb-manage") as manage:
                    gr.Markdown("## Nạp hoặc thay thế văn bản\nTải lên PDF, DOCX, HTML, TXT hoặc tệp HTML của Bộ pháp "
                                "điển, bấm “Xem trước” để kiểm tra thông tin nhận dạng và cấu trúc, sửa nếu cần, rồi nạp.")
                    files = gr.File(label="Tệp văn bản", file_count="multiple", type="filepath",
                                    file_types=list(UPLOAD_TYPES), elem_id="kb-upload")
                    replace_choice = gr.Dropdown(label="Thay thế hoàn toàn văn bản (tuỳ chọn): bản cũ chỉ bị gỡ sau khi bản mới nạp xong",
                                                 choices=[], elem_id="kb-replace")
                    preview_btn = gr.Button("Xem trước", elem_id="kb-preview-btn")
                    preview_out = gr.HTML("", js_on_load=None, elem_id="kb-preview")
                    with gr.Accordion("Sửa thông tin nhận dạng", open=False, elem_id="kb-fix"):
                        fix_key = gr.Dropdown(label="Văn bản", choices=[], elem_id="kb-fix-key")
                        fix_boxes = correction_form("kb-fix", settings.max_log_field_chars)
                        fix_btn = gr.Button("Áp dụng sửa đổi", elem_id="kb-fix-btn")
                    fix_msg = gr.HTML("", js_on_load=None, elem_id="kb-fix-msg")
                    # A replacement is shown compared with the stored version, and stored only on confirm.
                    compare_out = gr.HTML("", js_on_load=None, elem_id="kb-compare")
                    with gr.Row(visible=False, elem_id="kb-confirm-row") as confirm_row:
                        confirm_btn = gr.Button("Xác nhận thay thế", variant="primary", elem_id="kb-confirm-replace-btn")
                        cancel_btn = gr.Button("Huỷ", elem_id="kb-cancel-replace-btn")
                    ingest_btn = gr.Button("Nạp vào cơ sở dữ liệu", variant="primary", elem_id="kb-ingest-btn")
                    ingest_out = gr.HTML("", js_on_load=None, elem_id="kb-ingest-report")
                    # A stored document's facts corrected after the fact: its file read again with them, audited.
                    with gr.Accordion("Sửa thông tin văn bản đã lưu", open=False, elem_id="kb-correct") as correct_box:
                        correct_key = gr.Dropdown(label="Văn bản đã lưu", choices=[], elem_id="kb-correct-key")
                        correct_boxes = correction_form("kb-correct", settings.max_log_field_chars)
                        correct_btn = gr.Button("Lưu sửa đổi", elem_id="kb-correct-btn")
                    correct_msg = gr.HTML("", js_on_load=None, elem_id="kb-correct-msg")
                    gr.Markdown("## Gỡ văn bản")
                    with gr.Row():
                        remove_choice = gr.Dropdown(label="Văn bản cần gỡ", choices=[], elem_id="kb-remove-choice", scale=3)
                        remove_confirm = gr.Checkbox(label="Tôi xác nhận gỡ văn bản này", elem_id="kb-remove-confirm", scale=1)
                        remove_btn = gr.Button("Gỡ văn bản", variant="stop", elem_id="kb-remove-btn", scale=1)
                    remove_out = gr.HTML("", js_on_load=None, elem_id="kb-remove-msg")
                    gr.Markdown("## Lịch sử phiên bản\nMỗi lần nạp hoặc thay thế, bản đã lưu được giữ lại: xem lại và "
                                "khôi phục bản cũ khi cần.")
                    with gr.Row():
                        history_choice = gr.Dropdown(label="Văn bản", choices=[], elem_id="kb-history-choice", scale=3)
                        history_btn = gr.Button("Xem lịch sử", elem_id="kb-history-btn", scale=1)
                    history_out = gr.HTML("", js_on_load=None, elem_id="kb-history")
                    with gr.Row():
                        version_choice = gr.Dropdown(label="Phiên bản", choices=[], elem_id="kb-version-choice", scale=2)
                        version_btn = gr.Button("Xem nội dung", elem_id="kb-version-view-btn", scale=1)
                        restore_confirm = gr.Checkbox(label="Tôi xác nhận khôi phục phiên bản này",
                                                      elem_id="kb-restore-confirm", scale=1)
                        restore_btn = gr.Button("Khôi phục phiên bản này", variant="stop", elem_id="kb-restore-btn",
                                                scale=1)
                    restore_out = gr.HTML("", js_on_load=None, elem_id="kb-restore-msg")
                    version_out = gr.HTML("", js_on_load=None, elem_id="kb-version-text")
                    audit_box = gr.Column()  # “Nhật ký” (ui/audit_tab.py), built below with the events it needs
                gr.Markdown("## Danh sách văn bản")
                docs_html = gr.HTML("", js_on_load=None, elem_id="kb-docs")

        doc_outputs = [catalogue, docs_html, doc_filter, remove_choice, replace_choice, history_choice]
        session_outputs = [session_html, login_box, logout_btn, manage]

        loaded = demo.load(app.on_load, None, [session, *session_outputs, *doc_outputs], api_name="ui_load", **READ)
        ask_inputs = [question, as_of, mode, doc_filter, turns, session]
        # show_progress hidden: the conversation stays readable while an answer streams in (the turn
        # says “Đang trả lời…” itself) instead of going under Gradio's loading overlay.
        # each answer (and each vote) is then stored in the browser with its conversation
        save_io = dict(fn=app.save_chat, inputs=[history, turns, conv, session], outputs=[history, conv, conv_list],
                       **READ)
        ask_btn.click(app.ask_chat, ask_inputs, [chat, turns, question], api_name="ui_ask", js=ASK_JS,
                      show_progress="hidden", **READ).then(api_name="ui_save_ask", **save_io)
        question.submit(app.ask_chat, ask_inputs, [chat, turns, question], api_name="ui_ask_submit", js=ASK_JS,
                        show_progress="hidden", **READ).then(api_name="ui_save_submit", **save_io)
        chat.click(app.chat_click, [turns, session], [chat, turns, clause, voted, answer_file], api_name="ui_chat_click",
                   **READ)
        voted.change(api_name="ui_save_vote", **save_io)
        clear_btn.click(app.clear_chat, None, [chat, turns, clause, doc_filter, as_of], api_name="ui_clear",
                        api_visibility="private").then(app.new_conversation, [history, session], [conv, conv_list],
                                                       api_name="ui_clear_list", **READ)
        # the last conversation back after a reload (once the page has its documents and login: the load
        # comes first), then the question a ?q=… link carries, if any
        loaded.then(app.restore_chat, [history, turns, session], [chat, turns, conv, conv_list], api_name="ui_restore_chat",
                  **READ).then(app.ask_link, [as_of, mode, doc_filter, turns, session], [chat, turns, question],
                               api_name="ui_ask_link", show_progress="hidden", **READ).then(
            api_name="ui_save_link", **save_io)
        conv_list.click(app.open_conversation, [history, session], [chat, turns, conv, conv_list, clause],
                        api_name="ui_open_conversation", **READ)
        # another tab of this browser stored its conversations: taken here too (events.js, "storage")
        conv_list.click(app.adopt_stored, [history, conv, session], [history, conv_list],
                        api_name="ui_adopt_stored", **READ)
        forget_btn.click(app.forget_history, [history, session],
                         [history, chat, turns, conv, conv_list, clause, forget_msg], api_name="ui_forget", **READ)
        lookup_btn.click(app.lookup, [reference, lookup_as_of, session], lookup_out, api_name="ui_lookup", **READ)
        reference.submit(app.lookup, [reference, lookup_as_of, session], lookup_out, api_name="ui_lookup_submit", **READ)
        lookup_as_of.submit(app.lookup, [reference, lookup_as_of, session], lookup_out, api_name="ui_lookup_as_of",
                            **READ)
        lookup_out.click(app.lookup_click, [lookup_as_of, session], [reference, lookup_out], api_name="ui_lookup_click",
                         **READ)
        catalogue.click(app.catalogue_click, [session], [tree, original_btn], api_name="ui_tree", **READ)
        for panel, name in ((lookup_out, "ui_collect_lookup"), (tree, "ui_collect_tree"), (picks_html, "ui_collect")):
            panel.click(app.collect_click, [picks, session], [picks, picks_html], api_name=name, **READ)
        export_btn.click(app.export_docx, [picks, lookup_as_of, session], [export_file, export_msg], api_name="ui_export",
                         **READ)

        login_io = [session, *session_outputs, login_msg, password]
        # LOGIN_JS posts the password to /kb/session (sets the HttpOnly cookie); the event gets the outcome only.
        login_btn.click(app.login, [username, password, session], login_io, api_name="ui_login", js=LOGIN_JS, **LOGIN)
        password.submit(app.login, [username, password, session], login_io, api_name="ui_login_submit", js=LOGIN_JS,
                        **LOGIN)
        logout_btn.click(app.logout, [session],
                         [*login_io, previews, overrides, preview_out, fix_msg, ingest_out, remove_out, compare_out,
                          confirm_row, correct_msg, history_out, restore_out, version_out],
                         api_name="ui_logout", js=LOGOUT_JS, **LOGIN)
        # A refused staff action (session expired) is said next to its button by staff_refused, not in a toast.
        refused = dict(fn=app.staff_refused, inputs=None, api_visibility="private", concurrency_id="kb-login",
                       concurrency_limit=4)
        with audit_box:  # “Nhật ký”: the audit log, for legal staff (the staff column is theirs only)
            audit_outputs = audit_tab.build(app, session, READ, refused, [session, *session_outputs])
        # logging out leaves nothing of the log on the page (client-side: no round trip)
        logout_btn.click(None, None, audit_outputs, js=f"() => [{json.dumps(audit_tab.PLACEHOLDER)}, null, '']",
                         api_visibility="private")
        # A staff action clears what earlier actions said (a report, a refusal) the moment it starts,
        # in the browser (no round trip), so no stale message stays beside the one being worked on.
        staff_msgs = [login_msg, fix_msg, ingest_out, remove_out, correct_msg, restore_out, audit_outputs[2]]

        def clear_on_start(trigger, own=(), extra=()):
            """`own`: what the action itself writes (left to it: cleared here, it could race its result)."""
            outs = [m for m in staff_msgs if m not in own] + list(extra)
            trigger(None, None, outs, js=f"() => {json.dumps([''] * len(outs))}", show_progress="hidden",
                    api_visibility="private")

        clear_on_start(preview_btn.click, own=[fix_msg], extra=[compare_out])
        for button, own in ((fix_btn, [fix_msg]), (ingest_btn, [ingest_out]), (confirm_btn, [ingest_out]),
                            (cancel_btn, [ingest_out]), (correct_btn, [correct_msg]), (remove_btn, [remove_out]),
                            (history_btn, [restore_out]), (version_btn, [restore_out]), (restore_btn, [restore_out]),
                            (login_btn, [login_msg])):
            clear_on_start(button.click, own=own)
        clear_on_start(password.submit, own=[login_msg])

        compare_io = dict(fn=app.compare, inputs=[previews, overrides, replace_choice, session],
                          outputs=[compare_out, confirm_row], **WRITE)
        previewed = preview_btn.click(app.preview, [files, session], [previews, overrides, preview_out, fix_key, fix_msg],
                                      api_name="ui_preview", **WRITE)
        previewed.failure(outputs=[session, *session_outputs, preview_out], api_name="ui_preview_refused", **refused)
        previewed.success(api_name="ui_compare", **compare_io)
        replace_choice.input(api_name="ui_compare_replace", **compare_io)
        fix_key.change(app.fix_fields, [fix_key, previews, session], fix_boxes, api_name="ui_fix_fields", **WRITE)
        fixed = fix_btn.click(app.apply_fix, [fix_key, *fix_boxes, previews, overrides, session],
                              [previews, overrides, preview_out, fix_key, fix_msg], api_name="ui_fix", **WRITE)
        fixed.failure(outputs=[session, *session_outputs, fix_msg], api_name="ui_fix_refused", **refused)
        fixed.success(api_name="ui_compare_fix", **compare_io)
        # ingest_live says each step under the button (Gradio's overlay: a timer and a percentage stuck at 0 %)
        ingest_btn.click(app.ingest_live, [previews, overrides, replace_choice, session],
                         [ingest_out, previews, overrides, preview_out, fix_key, *doc_outputs], api_name="ui_ingest",
                         show_progress="hidden", **WRITE).failure(outputs=[session, *session_outputs, ingest_out], api_name="ui_ingest_refused",
                                          **refused)
        confirm_btn.click(app.confirm_live, [previews, overrides, replace_choice, session],
                          [ingest_out, previews, overrides, preview_out, fix_key, *doc_outputs, compare_out, confirm_row],
                          api_name="ui_confirm_replace", show_progress="hidden", **WRITE).failure(
            outputs=[session, *session_outputs, ingest_out], api_name="ui_confirm_refused", **refused)
        cancel_btn.click(app.cancel_replace, [session],
                         [previews, overrides, preview_out, fix_key, compare_out, confirm_row, ingest_out, files,
                          replace_choice], api_name="ui_cancel_replace", **LOGIN)
        correct_box.expand(app.stored_choices, [session], correct_key, api_name="ui_correct_choices", **WRITE)
        correct_key.change(app.stored_fields, [correct_key, session], correct_boxes, api_name="ui_correct_fields",
                           **WRITE)
        correct_btn.click(app.correct_stored, [correct_key, *correct_boxes, session], [correct_msg, *doc_outputs],
                          api_name="ui_correct", **WRITE).failure(
            outputs=[session, *session_outputs, correct_msg], api_name="ui_correct_refused", **refused)
        remove_btn.click(app.remove, [remove_choice, remove_confirm, session],
                         [remove_out, remove_confirm, *doc_outputs], api_name="ui_remove", **WRITE).failure(
            outputs=[session, *session_outputs, remove_out], api_name="ui_remove_refused", **refused)

        history_btn.click(app.history, [history_choice, session], [history_out, version_choice, restore_out],
                          api_name="ui_history", **READ).failure(
            outputs=[session, *session_outputs, restore_out], api_name="ui_history_refused", **refused)
        version_btn.click(app.view_version, [history_choice, version_choice, session], version_out,
                          api_name="ui_version", **READ).failure(
            outputs=[session, *session_outputs, restore_out], api_name="ui_version_refused", **refused)
        restore_btn.click(app.restore_version, [history_choice, version_choice, restore_confirm, session],
                          [restore_out, restore_confirm, history_out, version_choice, *doc_outputs],
                          api_name="ui_restore", **WRITE).failure(
            outputs=[session, *session_outputs, restore_out], api_name="ui_restore_refused", **refused)

        gr.api(app.api_ask, api_name="ask", concurrency_id="kb-read", concurrency_limit=4)
        gr.api(app.api_lookup, api_name="lookup", concurrency_id="kb-read", concurrency_limit=4)
    return demo


def serve(settings: Settings, kb: KnowledgeService | None = None, **launch_kw):
    """Run the web app on settings.host:settings.port. Reading is open unless allow_anonymous is off."""
    if kb is None:
        kb = KnowledgeBase(settings, make_backends(settings))
    demo = build_app(settings, kb)
    auth = None
    if not settings.allow_anonymous:
        if not demo.kb_app.auth.configured:
            raise SettingsError("KB_ALLOW_ANONYMOUS=false cần tệp tài khoản KB_USERS_FILE.")
        auth = demo.kb_app.gradio_auth  # throttled per address and audited (client from ui.web)
    options = launch_options(settings) | launch_kw
    demo.queue(default_concurrency_limit=4).launch(
        server_name=settings.host, server_port=settings.port, auth=auth,
        auth_message="Đăng nhập bằng tài khoản đã được cấp.", **options)
    return demo
